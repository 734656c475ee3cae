/* test_ws_hs.c - the checks of a WebSocket's opening handshake
 * (lib/ws_hs.c) on their own: the accept of a key (RFC 6455's example),
 * keys new for each connection, and what a 101's header lines must hold.
 * The same checks against servers: tests/test_ws.c (test_bad_101). */
#include <string.h>

#include "testutil.h"
#include "ws_hs.h"

static void feed(struct ah__ws_hs *hs, const char *const *lines)
{
  for (; *lines != NULL; lines++)
    assert_int_equal(ah__ws_hs_line(hs, *lines, strlen(*lines)), 0);
}

static void test_accept_of_key(void **state)
{
  char out[29];

  (void)state;
  /* RFC 6455 1.3 */
  ah__ws_hs_accept("dGhlIHNhbXBsZSBub25jZQ==", 24, out);
  assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  /* The GUID alone (36 bytes: one block), checked with Python's hashlib. */
  ah__ws_hs_accept("", 0, out);
  assert_string_equal(out, "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w=");
}

static void test_keys_differ(void **state)
{
  struct ah__ws_hs a, b;
  char out[29];

  (void)state;
  ah__ws_hs_init(&a, 0);
  ah__ws_hs_init(&b, 0);
  assert_int_equal(strlen(a.key), 24);
  assert_string_not_equal(a.key, b.key);
  ah__ws_hs_accept(a.key, 24, out);
  assert_string_equal(out, a.accept);
}

static void test_101_lines(void **state)
{
  struct ah__ws_hs hs;
  const char *good[] = {"HTTP/1.1 101 Switching Protocols\r\n",
                        "upgrade:  WebSocket \r\n",
                        "Connection: keep-alive, Upgrade\r\n",
                        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
                        "\r\n", NULL};
  const char *two_accepts[] = {"HTTP/1.1 101 Switching Protocols\r\n",
                               "Upgrade: websocket\r\n", "Connection: Upgrade\r\n",
                               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
                               "Sec-WebSocket-Accept: AAAA\r\n", "\r\n", NULL};
  const char *no_conn[] = {"HTTP/1.1 101 Switching Protocols\r\n",
                           "Upgrade: websocket\r\n", "Connection: Upgrades\r\n",
                           "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
                           "\r\n", NULL};
  const char *cut[] = {"HTTP/1.1 101 Switching Protocols\r\n",
                       "Upgrade: websocket\r\n", NULL};

  (void)state;
  ah__ws_hs_init(&hs, 0);
  ah__ws_hs_set_key(&hs, "dGhlIHNhbXBsZSBub25jZQ==", 24);
  feed(&hs, good);
  assert_null(ah__ws_hs_check(&hs));

  ah__ws_hs_init(&hs, 0);
  ah__ws_hs_set_key(&hs, "dGhlIHNhbXBsZSBub25jZQ==", 24);
  feed(&hs, two_accepts);
  assert_non_null(strstr(ah__ws_hs_check(&hs), "does not answer"));

  ah__ws_hs_init(&hs, 0);
  ah__ws_hs_set_key(&hs, "dGhlIHNhbXBsZSBub25jZQ==", 24);
  feed(&hs, no_conn);
  assert_non_null(strstr(ah__ws_hs_check(&hs), "Connection: Upgrade"));

  ah__ws_hs_init(&hs, 0);
  feed(&hs, cut);
  assert_non_null(strstr(ah__ws_hs_check(&hs), "cut before"));

  /* An interim response before the 101 does not count for it. */
  ah__ws_hs_init(&hs, 0);
  ah__ws_hs_set_key(&hs, "dGhlIHNhbXBsZSBub25jZQ==", 24);
  {
    const char *interim[] = {"HTTP/1.1 100 Continue\r\n", "Upgrade: websocket\r\n",
                             "\r\n", NULL};
    feed(&hs, interim);
  }
  feed(&hs, cut);
  assert_non_null(strstr(ah__ws_hs_check(&hs), "cut before"));

  /* A field that starts "HTTP/" is no new response: the limit holds. */
  ah__ws_hs_init(&hs, 200);
  {
    static const char pad[] = "HTTP/pad: 0123456789012345678\r\n"; /* 32 */
    int i, rc = 0;
    assert_int_equal(ah__ws_hs_line(&hs, cut[0], strlen(cut[0])), 0);
    for (i = 0; i < 20 && rc == 0; i++)
      rc = ah__ws_hs_line(&hs, pad, strlen(pad));
    assert_int_equal(rc, -1);
    assert_true(ah__ws_hs_too_large(&hs));
  }
}

static void test_utf8(void **state)
{
  static const char *good[] = {"", "plain", "\xc3\xa9", "\xe2\x82\xac",
                               "\xf0\x9f\x98\x80", "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf"};
  static const char *bad[] = {"\xff", "\xc3", "\xc0\xaf", "\xe0\x80\xaf",
                              "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf0\x9f\x98",
                              "a\x80", "\xe2\x82\x2c"};
  size_t i;

  (void)state;
  for (i = 0; i < sizeof good / sizeof good[0]; i++)
    assert_true(ah__ws_hs_utf8(good[i], strlen(good[i])));
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (ah__ws_hs_utf8(bad[i], strlen(bad[i])))
      fail_msg("taken as UTF-8: case %zu", i);
}

static void test_close_codes(void **state)
{
  (void)state;
  assert_true(ah__ws_hs_close_code(1000));
  assert_true(ah__ws_hs_close_code(1003));
  assert_true(ah__ws_hs_close_code(1007));
  assert_true(ah__ws_hs_close_code(1014));
  assert_true(ah__ws_hs_close_code(3000));
  assert_true(ah__ws_hs_close_code(4999));
  assert_false(ah__ws_hs_close_code(999));
  assert_false(ah__ws_hs_close_code(1004));
  assert_false(ah__ws_hs_close_code(1005));
  assert_false(ah__ws_hs_close_code(1006));
  assert_false(ah__ws_hs_close_code(1015));
  assert_false(ah__ws_hs_close_code(2999));
  assert_false(ah__ws_hs_close_code(5000));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_accept_of_key),
    TU_TEST(test_keys_differ),
    TU_TEST(test_101_lines),
    TU_TEST(test_utf8),
    TU_TEST(test_close_codes),
  };

  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
