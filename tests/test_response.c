/* test_response.c - the compact result built from a receiver, without any
 * network: one block for a small body, a large body handed over. */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "journey.h"
#include "response.h"
#include "rx.h"
#include "testutil.h"

/* A small body lives in the result's one block; a large one is handed
 * over, shrunk to its size when growth left much unused. */
static void test_result_is_compact(void **state)
{
  struct ah__rx *rx = ah__rx_new(1 << 20, 4096, AH__FOLLOW_ALL);
  const char *why = NULL;
  ah_response *res;
  char big[5000];
  size_t len;
  char *before;

  (void)state;
  ah__rx_header_line(rx, "HTTP/1.1 200 OK\r\n", 17, &why);
  ah__rx_header_line(rx, "\r\n", 2, &why);
  ah__rx_body(rx, "tiny", 4, &why);
  res = ah__response_build(rx, "http://h.test/", 200, NULL);
  assert_true(res->body_inline);
  /* After the URL and the two addresses (empty without a connection). */
  assert_string_equal(ah_response_remote_addr(res, NULL), "");
  assert_ptr_equal(res->body, ah_response_local_addr(res, NULL) + 1);
  assert_string_equal(ah_response_body(res, &len), "tiny");
  assert_int_equal(len, 4);
  ah__response_free(res);
  ah__rx_free(rx);

  rx = ah__rx_new(1 << 20, 4096, AH__FOLLOW_ALL);
  ah__rx_header_line(rx, "HTTP/1.1 200 OK\r\n", 17, &why);
  ah__rx_header_line(rx, "\r\n", 2, &why);
  memset(big, 'B', sizeof big);
  ah__rx_body(rx, big, sizeof big, &why); /* no Content-Length: grown */
  assert_true(rx->body_cap > sizeof big + 1 + (sizeof big) / 8);
  before = rx->body;
  (void)before;
  res = ah__response_build(rx, "http://h.test/", 200, NULL);
  assert_false(res->body_inline);
  assert_null(rx->body); /* taken, not copied */
  assert_int_equal(res->body_len, sizeof big);
  assert_int_equal(res->body[sizeof big], '\0');
  assert_int_equal(res->body[0], 'B');
  ah__response_free(res);
  ah__rx_free(rx);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_result_is_compact),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
