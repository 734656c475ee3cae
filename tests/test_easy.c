/* test_easy.c - the pooled easy handle (lib/easy.c), against the test
 * server: a request's options are undone when its handle goes back to the
 * pool, the handle reports the URL of the request it serves, the session's
 * prebuilt header lines go once, and no proxy comes from the environment. */
#include <ahttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Easy handles are pooled: a plain GET after a HEAD, a POST with headers
 * and a short timeout must be a plain GET with none of them. */
static void test_pooled_handle_forgets_options(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *head = ah_request_opts_new(), *post = ah_request_opts_new();
  ah_future *f;
  const char *b;
  int round;

  (void)state;
  ah_request_opts_set_method(head, "HEAD");
  ah_request_opts_set_method(post, "DELETE");
  ah_request_opts_set_body(post, "gone", 4);
  ah_request_opts_add_header(post, "X-Once", "1");
  ah_request_opts_set_timeout(post, 100);
  for (round = 0; round < 3; round++) {
    f = ah_session_fetch(s, tu_url("/size/10"), head);
    assert_int_equal(ah_future_wait(f, 10000), AH_OK);
    ah_future_free(f);
    b = tu_body(f = tu_fetch(s, tu_url("/echo"), NULL));
    assert_non_null(strstr(b, "method GET\n"));
    ah_future_free(f);
    f = ah_session_fetch(s, tu_url("/echo"), post);
    assert_int_equal(ah_future_wait(f, 10000), AH_OK);
    assert_non_null(strstr(ah_response_body(ah_future_response(f), NULL), "method DELETE\n"));
    ah_future_free(f);
    b = tu_body(f = tu_fetch(s, tu_url("/echo"), NULL));
    assert_non_null(strstr(b, "method GET\n"));
    assert_null(strstr(b, "X-Once"));
    assert_null(strstr(b, "Content-Length"));
    assert_null(strstr(b, "gone"));
    ah_future_free(f);
    /* The 100 ms timeout is gone too. */
    f = ah_session_fetch(s, tu_url("/delay/300"), NULL);
    assert_int_equal(ah_future_wait(f, 10000), AH_OK);
    assert_int_equal(ah_future_error(f), AH_OK);
    ah_future_free(f);
  }
  ah_request_opts_free(head);
  ah_request_opts_free(post);
  ah_session_free(s);
}

/* A pooled handle reports the URL of its own request, in the response
 * and in an error message, never its previous request's: libcurl 7.88
 * keeps the last URL string of a handle given a CURLU. */
static void test_pooled_handle_reports_its_url(void **state)
{
  ah_session *s = ah_session_new(NULL);
  const char *paths[] = {"/size/3", "/size/4", "/redirect/1", "/size/5"};
  char want[128];
  ah_future *f;
  size_t i;

  (void)state;
  for (i = 0; i < sizeof paths / sizeof *paths; i++) {
    f = ah_session_fetch(s, tu_url(paths[i]), NULL);
    assert_int_equal(ah_future_wait(f, 10000), AH_OK);
    assert_int_equal(ah_future_error(f), AH_OK);
    assert_string_equal(ah_response_url(ah_future_response(f)),
                        tu_url(i == 2 ? "/redirect/0" : paths[i]));
    ah_future_free(f);
  }
  f = ah_session_fetch(s, "http://127.0.0.1:1/refused", NULL);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_ECONNECT);
  snprintf(want, sizeof want, "(http://127.0.0.1:1/refused)");
  assert_non_null(strstr(ah_future_errmsg(f), want));
  ah_future_free(f);
  ah_session_free(s);
}

/* The default User-Agent and Accept-Encoding go out exactly once, whether
 * the request brings its own header list or not. */
static void test_default_headers_once(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  ah_future *f;
  const char *b;
  int i;

  (void)state;
  ah_request_opts_add_header(o, "X-Mine", "1");
  for (i = 0; i < 2; i++) {
    b = tu_body(f = tu_fetch(s, tu_url("/echo"), i ? o : NULL));
    assert_int_equal(tu_count(b, "header User-Agent: ahttp/"), 1);
    assert_int_equal(tu_count(b, "header Accept-Encoding: "), 1);
    assert_non_null(strstr(b, "gzip"));
    ah_future_free(f);
  }
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* Proxy variables in the environment are not obeyed (aiohttp's default):
 * a proxy that refuses everything must not matter. */
static void test_environment_proxy_ignored(void **state)
{
  ah_session *s;
  ah_future *f;

  (void)state;
  setenv("http_proxy", "http://127.0.0.1:1", 1);
  setenv("HTTP_PROXY", "http://127.0.0.1:1", 1);
  setenv("ALL_PROXY", "http://127.0.0.1:1", 1);
  s = ah_session_new(NULL);
  f = ah_session_fetch(s, tu_url("/size/3"), NULL);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  unsetenv("http_proxy");
  unsetenv("HTTP_PROXY");
  unsetenv("ALL_PROXY");
  if (ah_future_error(f) != AH_OK)
    fail_msg("went through the proxy: %s", ah_future_errmsg(f));
  ah_future_free(f);
  ah_session_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_pooled_handle_forgets_options),
    TU_TEST(test_pooled_handle_reports_its_url),
    TU_TEST(test_default_headers_once),
    TU_TEST(test_environment_proxy_ignored),
  };
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
