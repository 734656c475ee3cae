/* test_queue_oom.c - the queue (lib/queue.c) when a start fails for want
 * of memory at the end of a reactor turn. A callback of the turn (a
 * retry whose rewind refused, so no transfer ended) fetches X, which
 * takes the window's one place (READY), and Y, which waits in the queue;
 * X's start then finds no memory. Y must still start, and so must a
 * later fetch: a review found the queue never pumped again after such a
 * failure (the session stalled for good). Its own binary: the failing
 * allocator must be set before ahttp's first allocation. */
#include <ahttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static int failing; /* the next allocations fail */

static void *f_malloc(size_t n) { return failing ? NULL : malloc(n); }
static void *f_calloc(size_t n, size_t s) { return failing ? NULL : calloc(n, s); }
static void *f_realloc(void *p, size_t n) { return failing ? NULL : realloc(p, n); }
static char *f_strdup(const char *s) { return failing ? NULL : strdup(s); }

static ah_session *oom_s;
static ah_future *oom_x, *oom_y;

static int refuse_rewind(ah_future *f, void *ud)
{
  (void)f;
  (void)ud;
  return -1;
}

static void x_done(ah_future *f, void *ud)
{
  (void)f;
  (void)ud;
  failing = 0;
}

static void fetch_two(ah_future *f, void *ud)
{
  (void)f;
  (void)ud;
  oom_x = ah_session_fetch(oom_s, tu_url("/size/5"), NULL);
  oom_y = ah_session_fetch(oom_s, tu_url("/size/6"), NULL);
  ah_future_on_done(oom_x, x_done, NULL);
  failing = 1; /* X's start, at the turn's end, finds no memory */
}

static void test_failed_start_leaves_the_queue_moving(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_request_opts *put_o = ah_request_opts_new();
  static struct tu_text body = {"hello", 0, 0};
  ah_future *r1, *z;
  char p1[96];
  int i;

  (void)state;
  ah_session_opts_set_max_connections(so, 1, 0);
  ah_session_opts_set_retries(so, 2, AH_RETRY_STATUS);
  ah_session_opts_set_retry_backoff(so, 1, 5000);
  ah_session_opts_set_retry_budget(so, -1, 0);
  oom_s = ah_session_new(so);
  ah_request_opts_set_method(put_o, "PUT");
  ah_request_opts_set_body_reader(put_o, tu_text_read, &body, 5);
  ah_request_opts_set_body_rewind(put_o, refuse_rewind);
  snprintf(p1, sizeof p1, "/flaky/oom-%d/1/503?retry-after=1", (int)getpid());
  r1 = ah_session_fetch(oom_s, tu_url(p1), put_o);
  ah_future_on_done(r1, fetch_two, NULL);
  for (i = 0; i < 500 && !ah_future_done(r1); i++)
    ah_session_run(oom_s, 10);
  failing = 0;
  assert_true(ah_future_done(r1));
  assert_non_null(oom_y);
  assert_true(ah_future_done(oom_x));
  assert_int_equal(ah_future_error(oom_x), AH_ENOMEM);
  assert_int_equal(ah_future_wait(oom_y, 10000), AH_OK);
  assert_int_equal(ah_future_error(oom_y), AH_OK);
  z = ah_session_fetch(oom_s, tu_url("/size/7"), NULL);
  assert_int_equal(ah_future_wait(z, 10000), AH_OK);
  assert_int_equal(ah_future_error(z), AH_OK);
  ah_future_free(z);
  ah_future_free(r1);
  ah_future_free(oom_x);
  ah_future_free(oom_y);
  ah_session_free(oom_s);
  ah_session_opts_free(so);
  ah_request_opts_free(put_o);
}

int main(void)
{
  static const ah_allocator a = {sizeof a, f_malloc, f_calloc, f_realloc, free, f_strdup};
  const struct CMUnitTest tests[] = {
    TU_TEST(test_failed_start_leaves_the_queue_moving),
  };

  if (ah_set_allocator(&a) != AH_OK)
    return 1;
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
