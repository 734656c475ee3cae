/* test_rate.c - lib/rate.c and the per-host rate limits it drives: token
 * arithmetic on its own, then limits against tests/server.py, counted in
 * requests started over time (the lifecycle hook's dequeue times), with
 * tolerances that a loaded machine cannot break in the wrong direction. */
#include <ahttp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rate.h"
#include "testutil.h"

#define MS 1000000LL

static void test_bucket_math(void **state)
{
  struct ah__rates r;
  struct ah__bucket *b;
  int64_t t = 1000 * MS, next = 0;
  int nomem, i;

  (void)state;
  memset(&r, 0, sizeof r);
  assert_int_equal(ah__rates_rule(&r, "api.test", 10, 3), 0);
  b = ah__rates_bucket(&r, "API.test", &nomem); /* names in any case */
  assert_non_null(b);
  for (i = 0; i < 3; i++) /* the burst */
    assert_true(ah__bucket_take(b, t, &next));
  assert_false(ah__bucket_take(b, t, &next));
  assert_true(next > t + 99 * MS && next <= t + 101 * MS);
  assert_false(ah__bucket_take(b, t + 50 * MS, &next));
  assert_true(next > t + 99 * MS && next <= t + 101 * MS);
  assert_true(ah__bucket_take(b, next, &next));
  /* A long pause fills the bucket to its size, not beyond. */
  t += 60000 * MS;
  for (i = 0; i < 3; i++)
    assert_true(ah__bucket_take(b, t, &next));
  assert_false(ah__bucket_take(b, t, &next));
  assert_ptr_equal(ah__rates_bucket(&r, "api.test", &nomem), b);
  ah__rates_free(&r);
}

static void test_rules(void **state)
{
  struct ah__rates r, c;
  int nomem, i;
  char name[32];

  (void)state;
  memset(&r, 0, sizeof r);
  assert_false(ah__rates_any(&r));
  assert_null(ah__rates_bucket(&r, "a.test", &nomem));
  ah__rates_rule(&r, NULL, 5, 1);      /* every host */
  ah__rates_rule(&r, "free.test", 0, 1); /* except this one */
  ah__rates_rule(&r, "fast.test", 100, 10);
  ah__rates_rule(&r, "fast.test", 200, 20); /* replaces */
  assert_true(ah__rates_any(&r));
  assert_int_equal(r.nrules, 3);
  assert_null(ah__rates_bucket(&r, "free.test", &nomem));
  assert_int_equal(nomem, 0);
  assert_true(ah__rates_bucket(&r, "fast.test", &nomem)->rule->per_s == 200);
  assert_true(ah__rates_bucket(&r, "other.test", &nomem)->rule->per_s == 5);
  /* Many hosts: the table grows and finds each again. */
  for (i = 0; i < 200; i++) {
    snprintf(name, sizeof name, "h%d.test", i);
    assert_non_null(ah__rates_bucket(&r, name, &nomem));
  }
  for (i = 0; i < 200; i++) {
    snprintf(name, sizeof name, "H%d.TEST", i);
    assert_int_equal(strcasecmp(ah__rates_bucket(&r, name, &nomem)->host, name), 0);
  }
  assert_int_equal(r.n, 202);
  assert_int_equal(ah__rates_copy(&c, &r), 0);
  assert_int_equal(c.nrules, 3);
  assert_int_equal(c.n, 0); /* rules, not buckets */
  ah__rates_free(&c);
  ah__rates_free(&r);
}

/* The times requests started, from the lifecycle hook. */
#define N_LIMITED 45
#define N_FREE 20
static struct {
  ah_future *f;
  long long t;
} started[N_LIMITED + N_FREE + 8];
static int nstarted;

static void on_event(const ah_event *ev, void *ud)
{
  (void)ud;
  if (ev->type == AH_EVENT_DEQUEUED && nstarted < (int)(sizeof started / sizeof *started)) {
    started[nstarted].f = ev->future;
    started[nstarted].t = ev->time_ns;
    nstarted++;
  }
}

static long long start_of(ah_future *f)
{
  int i;

  for (i = 0; i < nstarted; i++)
    if (started[i].f == f)
      return started[i].t;
  fail_msg("a request never started");
  return 0;
}

static int cmp_ll(const void *a, const void *b)
{
  long long x = *(const long long *)a, y = *(const long long *)b;

  return x < y ? -1 : x > y;
}

/* 20 per second with bursts of 5 to 127.0.0.1; localhost, the same
 * server under another name, unlimited. The limited host's k-th start
 * comes no sooner than the bucket allows (k + 1 <= 5 + 20 t + 1); its
 * whole run takes about (45 - 5) / 20 = 2 s, and the other host's
 * requests do not wait behind it. */
static void test_limits_one_host(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_future *fs[N_LIMITED + N_FREE];
  long long t[N_LIMITED], t0, free_last = 0;
  char url[96];
  ah_session *s;
  int i;

  (void)state;
  nstarted = 0;
  assert_int_equal(ah_session_opts_set_host_rate(o, "127.0.0.1", 20, 5), AH_OK);
  ah_session_opts_on_event(o, on_event, NULL);
  s = ah_session_new(o);
  ah_session_opts_free(o);
  for (i = 0; i < N_LIMITED; i++)
    fs[i] = ah_session_fetch(s, tu_url("/size/10"), NULL);
  for (i = 0; i < N_FREE; i++) {
    snprintf(url, sizeof url, "http://localhost:%d/size/3", tu_port);
    fs[N_LIMITED + i] = ah_session_fetch(s, url, NULL);
  }
  assert_int_equal(ah_gather(fs, N_LIMITED + N_FREE, 20000), AH_OK);
  for (i = 0; i < N_LIMITED + N_FREE; i++)
    if (ah_future_error(fs[i]) != AH_OK)
      fail_msg("request %d: %s", i, ah_future_errmsg(fs[i]));
  for (i = 0; i < N_LIMITED; i++)
    t[i] = start_of(fs[i]);
  qsort(t, N_LIMITED, sizeof *t, cmp_ll);
  t0 = t[0];
  for (i = 0; i < N_LIMITED; i++) {
    double secs = (double)(t[i] - t0) / 1e9;
    if (i + 1 > 5 + 20 * secs + 1)
      fail_msg("start %d came %.3f s in: faster than 20/s with bursts of 5", i, secs);
  }
  assert_true((double)(t[N_LIMITED - 1] - t0) / 1e9 < 2.0 * 1.5 + 1);
  print_message("limited host: %d requests started in %.2f s, %.1f/s after "
                "the burst of 5 (limit 20/s)\n", N_LIMITED,
                (double)(t[N_LIMITED - 1] - t0) / 1e9,
                (N_LIMITED - 5) / ((double)(t[N_LIMITED - 1] - t0) / 1e9));
  for (i = 0; i < N_FREE; i++) {
    long long ts = start_of(fs[N_LIMITED + i]);
    if (ts > free_last)
      free_last = ts;
  }
  /* The unlimited host was done starting long before the limited one. */
  assert_true(free_last < t[N_LIMITED / 2]);
  /* Time waiting for a token is time queued. */
  assert_true(ah_response_time_us(ah_future_response(fs[N_LIMITED - 1]), AH_TIME_QUEUE) >
              1000000);
  for (i = 0; i < N_LIMITED + N_FREE; i++)
    ah_future_free(fs[i]);
  ah_session_free(s);
}

/* A request waiting for a token can be canceled, or dropped with its
 * session, at once. */
static void test_waiting_request_canceled(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_future *fs[3];
  ah_session *s;

  (void)state;
  ah_session_opts_set_host_rate(o, NULL, 0.5, 1); /* every host: one per 2 s */
  s = ah_session_new(o);
  ah_session_opts_free(o);
  fs[0] = ah_session_fetch(s, tu_url("/size/1"), NULL);
  fs[1] = ah_session_fetch(s, tu_url("/size/2"), NULL);
  fs[2] = ah_session_fetch(s, tu_url("/size/3"), NULL);
  assert_int_equal(ah_future_wait(fs[0], 5000), AH_OK);
  assert_int_equal(ah_future_error(fs[0]), AH_OK);
  assert_int_equal(ah_future_wait(fs[1], 200), AH_ETIMEDOUT); /* waits */
  ah_future_cancel(fs[1]);
  assert_int_equal(ah_future_error(fs[1]), AH_ECANCELED);
  ah_session_free(s);
  assert_int_equal(ah_future_error(fs[2]), AH_ECANCELED);
  ah_future_free(fs[0]);
  ah_future_free(fs[1]);
  ah_future_free(fs[2]);
}

/* The queue timeout bounds the wait for a token: requests end at it, not
 * at the token (two seconds off), and are never sent. */
static void test_queue_timeout_bounds_the_wait(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_future *fs[3], *f;
  ah_session *s;

  (void)state;
  ah_session_opts_set_host_rate(o, NULL, 0.5, 1); /* one per 2 s */
  ah_session_opts_set_queue_timeout(o, 300);
  s = ah_session_new(o);
  ah_session_opts_free(o);
  fs[0] = ah_session_fetch(s, tu_url("/size/21"), NULL);
  fs[1] = ah_session_fetch(s, tu_url("/size/22"), NULL);
  fs[2] = ah_session_fetch(s, tu_url("/size/23"), NULL);
  assert_int_equal(ah_gather(fs, 3, (long)(1500 * tu_slowdown())), AH_OK);
  assert_int_equal(ah_future_error(fs[0]), AH_OK);
  assert_int_equal(ah_future_error(fs[1]), AH_ETIMEDOUT);
  assert_int_equal(ah_future_error(fs[2]), AH_ETIMEDOUT);
  ah_session_free(s);
  s = ah_session_new(NULL);
  assert_string_equal(tu_fetch_ok(s, tu_url("/seen?/size/22"), NULL, &f), "0");
  ah_future_free(f);
  assert_string_equal(tu_fetch_ok(s, tu_url("/seen?/size/23"), NULL, &f), "0");
  ah_future_free(f);
  ah_session_free(s);
  ah_future_free(fs[0]);
  ah_future_free(fs[1]);
  ah_future_free(fs[2]);
}

/* A request that waited in the queue, then for a token, ends at its
 * queue timeout counted from its fetch, not from the wait for the token:
 * here at 1 s, not at 1.8 s. */
static void test_queue_timeout_counts_both_waits(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_future *a, *b;
  ah_session *s;

  (void)state;
  ah_session_opts_set_host_rate(o, NULL, 0.1, 1); /* one per 10 s */
  ah_session_opts_set_max_connections(o, 1, 0);
  ah_session_opts_set_queue_timeout(o, 1000);
  s = ah_session_new(o);
  ah_session_opts_free(o);
  a = ah_session_fetch(s, tu_url("/delay/800"), NULL); /* the token */
  b = ah_session_fetch(s, tu_url("/size/24"), NULL);   /* queued, then parked */
  assert_int_equal(ah_future_wait(b, (long)(1400 * tu_slowdown())), AH_OK);
  assert_int_equal(ah_future_error(b), AH_ETIMEDOUT);
  assert_int_equal(ah_future_wait(a, 5000), AH_OK);
  assert_int_equal(ah_future_error(a), AH_OK);
  ah_future_free(a);
  ah_future_free(b);
  ah_session_free(s);
}

static void test_options_checked(void **state)
{
  ah_session_opts *o = ah_session_opts_new();

  (void)state;
  assert_int_equal(ah_session_opts_set_host_rate(o, "a.test", -1, 1), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_host_rate(o, "a.test", NAN, 1), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_host_rate(o, "a.test", 5, 0.5), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_host_rate(o, "a test", 5, 1), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_host_rate(o, "a.test", 0, 0), AH_OK);
  assert_int_equal(ah_session_opts_set_host_rate(NULL, NULL, 1, 1), AH_EINVAL);
  ah_session_opts_free(o);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_bucket_math),
    TU_TEST(test_rules),
    TU_TEST(test_limits_one_host),
    TU_TEST(test_waiting_request_canceled),
    TU_TEST(test_queue_timeout_bounds_the_wait),
    TU_TEST(test_queue_timeout_counts_both_waits),
    TU_TEST(test_options_checked),
  };
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
