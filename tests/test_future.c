/* test_future.c - futures without a network: completion exactly once,
 * callbacks, deferred free, and waits on futures already done. */
#include <ahttp.h>
#include <string.h>

#include "alloc.h"
#include "future.h"
#include "testutil.h"

struct rec {
  int calls, err, busy_rc;
  int free_self;
};

static void rec_cb(ah_future *f, void *ud)
{
  struct rec *r = ud;
  r->calls++;
  r->err = ah_future_error(f);
  r->busy_rc = ah_gather(&f, 1, 0);
  if (r->free_self)
    ah_future_free(f); /* deferred until the callback returns */
}

static void test_complete_runs_callback_once(void **state)
{
  ah_future *f = ah__future_new(NULL);
  struct rec r = {0, 0, 0, 0};

  (void)state;
  assert_int_equal(ah_future_error(f), AH_EPENDING);
  assert_string_equal(ah_future_errmsg(f), "pending");
  assert_int_equal(ah_future_on_done(f, rec_cb, &r), AH_OK);
  assert_int_equal(r.calls, 0);
  ah__future_complete(f, AH_EIO, NULL, ah__strdup("connection reset: detail"));
  assert_int_equal(r.calls, 1);
  assert_int_equal(r.err, AH_EIO);
  assert_int_equal(r.busy_rc, AH_EBUSY); /* no waiting inside a callback */
  assert_string_equal(ah_future_errmsg(f), "connection reset: detail");
  assert_null(ah_future_response(f));
  assert_int_equal(ah_future_done(f), 1);
  ah_future_free(f);
}

static void test_free_inside_callback_is_deferred(void **state)
{
  ah_future *f = ah__future_new(NULL);
  struct rec r = {0, 0, 0, 1};

  (void)state;
  ah_future_on_done(f, rec_cb, &r);
  ah__future_complete(f, AH_OK, NULL, NULL); /* frees f after rec_cb */
  assert_int_equal(r.calls, 1);
  /* Freed: under ASan/valgrind any later touch would be reported. */
}

static void test_callback_set_after_done_runs_at_once(void **state)
{
  ah_future *f = ah__future_new(NULL);
  struct rec r = {0, 0, 0, 0};

  (void)state;
  ah__future_complete(f, AH_ECANCELED, NULL, NULL);
  assert_string_equal(ah_future_errmsg(f), "canceled");
  ah_future_on_done(f, rec_cb, &r);
  assert_int_equal(r.calls, 1);
  assert_int_equal(r.err, AH_ECANCELED);
  ah_future_free(f);
}

static void test_waits_on_done_futures(void **state)
{
  ah_future *fs[3];
  ah_future *missing[2];
  int i;

  (void)state;
  for (i = 0; i < 3; i++) {
    fs[i] = ah__future_new(NULL);
    ah__future_complete(fs[i], AH_OK, NULL, NULL);
  }
  assert_int_equal(ah_gather(fs, 3, -1), AH_OK); /* returns at once */
  assert_int_equal(ah_future_wait(fs[0], -1), AH_OK);
  assert_ptr_equal(ah_wait_any(fs, 3, -1), fs[0]);
  missing[0] = fs[0];
  missing[1] = NULL;
  assert_int_equal(ah_gather(missing, 2, 0), AH_EINVAL);
  assert_int_equal(ah_gather(NULL, 2, 0), AH_EINVAL);
  assert_null(ah_wait_any(NULL, 1, 0));
  assert_int_equal(ah_future_wait(NULL, 0), AH_EINVAL);
  for (i = 0; i < 3; i++)
    ah_future_free(fs[i]);
}

static void test_null_getters(void **state)
{
  (void)state;
  assert_int_equal(ah_future_done(NULL), 0);
  assert_int_equal(ah_future_error(NULL), AH_EINVAL);
  assert_non_null(ah_future_errmsg(NULL));
  assert_null(ah_future_response(NULL));
  assert_null(ah_future_session(NULL));
  assert_int_equal(ah_future_on_done(NULL, rec_cb, NULL), AH_EINVAL);
  assert_int_equal(ah_response_status(NULL), 0);
  assert_null(ah_response_body(NULL, NULL));
  assert_null(ah_response_header(NULL, "x"));
  assert_int_equal(ah_response_header_count(NULL), 0);
  assert_null(ah_response_url(NULL));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_complete_runs_callback_once),
    TU_TEST(test_free_inside_callback_is_deferred),
    TU_TEST(test_callback_set_after_done_runs_at_once),
    TU_TEST(test_waits_on_done_futures),
    TU_TEST(test_null_getters),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
