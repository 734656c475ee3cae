/* test_session_opts.c - the session option builder (lib/session_opts.c):
 * what it refuses, and what a session built from it sends. */
#include <ahttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static void test_session_opts(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s;
  ah_future *f;

  (void)state;
  assert_int_equal(ah_session_opts_set_user_agent(o, "tester/1"), AH_OK);
  assert_int_equal(ah_session_opts_set_user_agent(o, "bad\r\nua"), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_max_connections(o, -1, 0), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_max_connections(o, 4, 2), AH_OK);
  assert_int_equal(ah_session_opts_set_timeouts(o, -5, 0, 0), AH_EINVAL);
  s = ah_session_new(o);
  ah_session_opts_free(o); /* the session copied what it needed */
  f = ah_session_fetch(s, tu_url("/echo"), NULL);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_non_null(strstr(ah_response_body(ah_future_response(f), NULL),
                         "header User-Agent: tester/1\n"));
  ah_future_free(f);
  ah_session_free(s);
  ah_session_opts_free(NULL);
  assert_int_equal(ah_version(), AH_VERSION_NUM);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_session_opts),
  };
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
