/* test_future.c - futures without a network: completion exactly once,
 * callbacks, deferred free, and waits on futures already done. */
#include <ahttp.h>
#include <string.h>

#include "alloc.h"
#include "future.h"
#include "reactor.h"
#include "testutil.h"

/* An owner of nothing: the futures here are completed by the test. */
static const struct ah__future_ops no_owner;

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
  ah_future *f = ah__future_new(&no_owner, NULL);
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
  ah_future *f = ah__future_new(&no_owner, NULL);
  struct rec r = {0, 0, 0, 1};

  (void)state;
  ah_future_on_done(f, rec_cb, &r);
  ah__future_complete(f, AH_OK, NULL, NULL); /* frees f after rec_cb */
  assert_int_equal(r.calls, 1);
  /* Freed: under ASan/valgrind any later touch would be reported. */
}

static void test_callback_set_after_done_runs_at_once(void **state)
{
  ah_future *f = ah__future_new(&no_owner, NULL);
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
    fs[i] = ah__future_new(&no_owner, NULL);
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

/* A pretend owner: futures reach it only through its table. */
struct owner {
  int runs, holds, releases, cancels, marks;
  ah_future *complete_on_run; /* completed by the second run */
};

static int o_cancel(ah_future *f)
{
  ((struct owner *)f->owner)->cancels++;
  ah__future_complete(f, AH_ECANCELED, NULL, NULL);
  return AH_OK;
}

static int o_run(void *owner, long ms)
{
  struct owner *o = owner;

  (void)ms;
  if (++o->runs == 2)
    ah__future_complete(o->complete_on_run, AH_OK, NULL, NULL);
  return 0;
}

static int o_poll_fd(const void *owner, int64_t *due)
{
  (void)owner;
  *due = AH__NO_DEADLINE;
  return -1;
}

static int o_mark(void *owner, unsigned long mark)
{
  (void)mark;
  return ((struct owner *)owner)->marks++ == 0;
}

static void o_hold(void *owner)
{
  ((struct owner *)owner)->holds++;
}

static void o_release(void *owner)
{
  ((struct owner *)owner)->releases++;
}

static const struct ah__future_ops owner_ops = {
  0, NULL, NULL, NULL, NULL, o_cancel, o_run, o_poll_fd, o_mark, o_hold, o_release
};

static void test_owner_reached_through_ops(void **state)
{
  struct owner o;
  ah_future *f, *g;

  (void)state;
  memset(&o, 0, sizeof o);
  f = ah__future_new(&owner_ops, &o);
  g = ah__future_new(&owner_ops, &o);
  o.complete_on_run = f;
  assert_ptr_equal(ah_future_session(f), &o); /* the owner, while pending */
  assert_int_equal(ah_future_wait(f, 5000), AH_OK);
  assert_int_equal(o.runs, 2); /* run until done, no more */
  assert_int_equal(o.holds, 1);
  assert_int_equal(o.releases, 1);
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_null(ah_future_session(f)); /* done: no owner */
  /* A cancel of a pending future goes to its owner; of a done one, not. */
  assert_int_equal(ah_future_cancel(g), AH_OK);
  assert_int_equal(o.cancels, 1);
  assert_int_equal(ah_future_error(g), AH_ECANCELED);
  assert_int_equal(ah_future_cancel(f), AH_OK);
  assert_int_equal(o.cancels, 1);
  ah_future_free(f);
  ah_future_free(g);
}

/* ah_wait_first tells a timeout from the other failures that
 * ah_wait_any reports as NULL alike. */
static void test_wait_first_says_why(void **state)
{
  struct owner o;
  ah_future *f, *g, *first = (ah_future *)1;

  (void)state;
  memset(&o, 0, sizeof o);
  f = ah__future_new(&owner_ops, &o);
  g = ah__future_new(&owner_ops, &o);
  o.complete_on_run = g; /* a future that is not waited for */
  assert_int_equal(ah_wait_first(&f, 1, 0, &first), AH_ETIMEDOUT);
  assert_null(first);
  assert_null(first = ah_wait_any(&f, 1, 0));
  assert_int_equal(ah_wait_first(NULL, 1, 0, &first), AH_EINVAL);
  assert_int_equal(ah_wait_first(&f, 0, 0, &first), AH_EINVAL);
  assert_int_equal(ah_wait_first(&f, 1, 0, NULL), AH_EINVAL);
  ah__future_complete(f, AH_EIO, NULL, NULL);
  assert_int_equal(ah_wait_first(&f, 1, 0, &first), AH_OK);
  assert_ptr_equal(first, f); /* done, failed or not, it is the first */
  ah_future_free(f);
  ah_future_free(g);
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
    TU_TEST(test_owner_reached_through_ops),
    TU_TEST(test_wait_first_says_why),
    TU_TEST(test_null_getters),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
