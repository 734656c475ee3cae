/* test_response.c - header and body accumulation without any network. */
#include <string.h>

#include "alloc.h"
#include "response.h"
#include "testutil.h"

#define LINE(r, s) ah__response_header_line(r, s, strlen(s), &why)

static void test_blocks_and_final_headers(void **state)
{
  ah_response *r = ah__response_new(1000, 4096, 1);
  const char *why = NULL, *n, *v;

  (void)state;
  assert_int_equal(LINE(r, "HTTP/1.1 100 Continue\r\n"), AH_OK);
  assert_int_equal(LINE(r, "\r\n"), AH_OK);
  assert_int_equal(LINE(r, "HTTP/1.1 302 Found\r\n"), AH_OK);
  assert_int_equal(LINE(r, "Location: /next\r\n"), AH_OK);
  assert_int_equal(LINE(r, "\r\n"), AH_OK);
  assert_int_equal(LINE(r, "HTTP/2 200 \r\n"), AH_OK);
  assert_int_equal(ah__response_headers_complete(r), 0);
  assert_int_equal(LINE(r, "Content-Type: a/b\r\n"), AH_OK);
  assert_int_equal(LINE(r, "X-Y:\tspaced \r\n"), AH_OK);
  assert_int_equal(LINE(r, "\r\n"), AH_OK);
  assert_int_equal(ah__response_headers_complete(r), 1);
  /* Trailers after the body are not headers of the response. */
  assert_int_equal(LINE(r, "X-Trailer: t\r\n"), AH_OK);
  assert_int_equal(r->status, 200);
  assert_int_equal(ah_response_header_count(r), 2);
  assert_null(ah_response_header(r, "location"));
  assert_string_equal(ah_response_header(r, "x-y"), "spaced");
  assert_int_equal(ah_response_header_at(r, 0, &n, &v), AH_OK);
  assert_string_equal(n, "Content-Type");
  assert_string_equal(v, "a/b");
  ah__response_free(r);
  ah__response_free(NULL);
}

static void test_status_line_checked(void **state)
{
  ah_response *r = ah__response_new(1000, 4096, 1);
  const char *why = NULL;

  (void)state;
  assert_int_equal(LINE(r, "HTTP/1.1 abc\r\n"), AH_EPROTO);
  assert_non_null(why);
  ah__response_free(r);
}

static void test_content_length_rules(void **state)
{
  ah_response *r = ah__response_new(1000, 4096, 1);
  const char *why = NULL;

  (void)state;
  LINE(r, "HTTP/1.1 200 OK\r\n");
  assert_int_equal(LINE(r, "Content-Length: 5\r\n"), AH_OK);
  assert_int_equal(LINE(r, "Content-Length: 5\r\n"), AH_OK); /* same value: fine */
  assert_int_equal(LINE(r, "content-length: 5, 5\r\n"), AH_OK);
  assert_int_equal(LINE(r, "Content-Length: 6\r\n"), AH_EPROTO);
  assert_non_null(strstr(why, "Content-Length"));
  ah__response_free(r);
  r = ah__response_new(1000, 4096, 1);
  LINE(r, "HTTP/1.1 200 OK\r\n");
  assert_int_equal(LINE(r, "Content-Length: 5, 6\r\n"), AH_EPROTO);
  ah__response_free(r);
  r = ah__response_new(1000, 4096, 1);
  LINE(r, "HTTP/1.1 200 OK\r\n");
  assert_int_equal(LINE(r, "Content-Length: -1\r\n"), AH_EPROTO);
  ah__response_free(r);
  r = ah__response_new(1000, 4096, 1);
  LINE(r, "HTTP/1.1 200 OK\r\n");
  assert_int_equal(LINE(r, "Content-Length: 99999999999999999999999\r\n"), AH_EPROTO);
  ah__response_free(r);
}

static void test_nul_and_header_limit(void **state)
{
  ah_response *r = ah__response_new(1000, 64, 1);
  const char *why = NULL;
  char line[100];

  (void)state;
  LINE(r, "HTTP/1.1 200 OK\r\n");
  assert_int_equal(ah__response_header_line(r, "X: a\0b\r\n", 8, &why), AH_EPROTO);
  memset(line, 'a', sizeof line);
  memcpy(line, "X-Long: ", 8);
  line[98] = '\r';
  line[99] = '\n';
  assert_int_equal(ah__response_header_line(r, line, 100, &why), AH_ETOOLARGE);
  assert_non_null(strstr(why, "header size limit"));
  ah__response_free(r);
}

static void test_redirect_scheme(void **state)
{
  ah_response *r = ah__response_new(1000, 4096, 1);
  ah_response *nofollow = ah__response_new(1000, 4096, 0);
  const char *why = NULL;

  (void)state;
  LINE(r, "HTTP/1.1 301 Moved\r\n");
  assert_int_equal(LINE(r, "Location: https://x.test/\r\n"), AH_OK);
  assert_int_equal(LINE(r, "Location: HTTP://x.test/\r\n"), AH_OK);
  assert_int_equal(LINE(r, "Location: /relative:colon\r\n"), AH_OK);
  assert_int_equal(LINE(r, "Location: other/path\r\n"), AH_OK);
  assert_int_equal(LINE(r, "Location: file:///etc/passwd\r\n"), AH_EREDIRECTS);
  assert_int_equal(LINE(r, "Location: gopher://x/\r\n"), AH_EREDIRECTS);
  /* Not followed: the 3xx is just a response. */
  LINE(nofollow, "HTTP/1.1 301 Moved\r\n");
  assert_int_equal(ah__response_header_line(nofollow, "Location: ftp://x/\r\n", 20, &why), AH_OK);
  ah__response_free(r);
  ah__response_free(nofollow);
}

static void test_body_limit_and_presize(void **state)
{
  ah_response *r = ah__response_new(10, 4096, 1);
  const char *why = NULL;
  size_t len;

  (void)state;
  assert_string_equal(ah_response_body(r, &len), "");
  assert_int_equal(len, 0);
  assert_int_equal(ah__response_body(r, "0123456789", 10, &why), AH_OK);
  assert_int_equal(ah__response_body(r, "x", 1, &why), AH_ETOOLARGE);
  assert_string_equal(ah_response_body(r, &len), "0123456789");
  assert_int_equal(len, 10);
  ah__response_free(r);
  /* Content-Length sizes the buffer once; too large is refused early. */
  r = ah__response_new(1 << 20, 4096, 1);
  LINE(r, "HTTP/1.1 200 OK\r\n");
  LINE(r, "Content-Length: 5000\r\n");
  LINE(r, "\r\n");
  assert_int_equal(ah__response_body(r, "abc", 3, &why), AH_OK);
  assert_int_equal(r->body_cap, 5001);
  ah__response_free(r);
  r = ah__response_new(100, 4096, 1);
  LINE(r, "HTTP/1.1 200 OK\r\n");
  LINE(r, "Content-Length: 101\r\n");
  LINE(r, "\r\n");
  assert_int_equal(ah__response_body(r, "abc", 3, &why), AH_ETOOLARGE);
  ah__response_free(r);
}

static void test_body_grows_geometrically(void **state)
{
  ah_response *r = ah__response_new(1 << 20, 4096, 1);
  const char *why = NULL;
  char chunk[100];
  int i, reallocs = 0;
  size_t cap = 0;

  (void)state;
  memset(chunk, 'g', sizeof chunk);
  for (i = 0; i < 10000; i++) {
    assert_int_equal(ah__response_body(r, chunk, sizeof chunk, &why), AH_OK);
    if (r->body_cap != cap) {
      reallocs++;
      cap = r->body_cap;
    }
  }
  assert_int_equal(r->body_len, 1000000);
  assert_true(reallocs <= 12); /* 1 KiB doubling to 1 MiB */
  ah__response_free(r);
}

static void test_url_credentials_removed(void **state)
{
  static const char *cases[][2] = {
    {"http://u:p@h.test/x", "http://h.test/x"},
    {"https://user@h.test:8443/a?b=c@d", "https://h.test:8443/a?b=c@d"},
    {"http://h.test/path@x", "http://h.test/path@x"},
    {"http://a@b@h.test/", "http://h.test/"},
    {"http://h.test", "http://h.test"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *u = ah__url_without_credentials(cases[i][0]);
    assert_string_equal(u, cases[i][1]);
    ah__free(u);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_blocks_and_final_headers),
    TU_TEST(test_status_line_checked),
    TU_TEST(test_content_length_rules),
    TU_TEST(test_nul_and_header_limit),
    TU_TEST(test_redirect_scheme),
    TU_TEST(test_body_limit_and_presize),
    TU_TEST(test_body_grows_geometrically),
    TU_TEST(test_url_credentials_removed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
