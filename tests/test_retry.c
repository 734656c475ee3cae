/* test_retry.c - lib/retry.c and the retries it drives: the policy's
 * arithmetic (backoff, Retry-After, budget) on its own, then retries
 * against tests/server.py: statuses, resets, connect failures, methods
 * that are not resent, the budget, callbacks, waits in the reactor. */
#include <ahttp.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "retry.h"
#include "testutil.h"

static double now_s(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Full jitter: every wait within [0, min(max, base * 2^(n-1))], spread
 * over the whole range, not clustered at its top. */
static void test_backoff_full_jitter(void **state)
{
  struct ah__retry_policy p;
  uint64_t rng = 42;
  int n, i;

  (void)state;
  ah__retry_policy_init(&p); /* 100 ms, at most 10 s */
  for (n = 1; n <= 10; n++) {
    int64_t cap = (int64_t)100000000 << (n - 1), low = 0, high = 0;
    if (cap > p.max_ns)
      cap = p.max_ns;
    for (i = 0; i < 2000; i++) {
      int64_t d = ah__retry_backoff(&p, n, &rng);
      assert_true(d >= 0 && d <= cap);
      low += d < cap / 2;
      high += d >= cap / 2;
    }
    assert_true(low > 800 && high > 800);
  }
}

static void test_retry_after_values(void **state)
{
  /* Wed, 21 Oct 2015 07:28:00 GMT */
  time_t t = 1445412480;

  (void)state;
  assert_true(ah__retry_after("120", t) == (int64_t)120 * 1000000000);
  assert_true(ah__retry_after("0", t) == 0);
  assert_true(ah__retry_after("Wed, 21 Oct 2015 07:28:30 GMT", t) == (int64_t)30 * 1000000000);
  assert_true(ah__retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", t) == (int64_t)60 * 1000000000);
  assert_true(ah__retry_after("Wed Oct 21 07:28:05 2015", t) == (int64_t)5 * 1000000000);
  assert_true(ah__retry_after("Tue, 20 Oct 2015 07:28:00 GMT", t) == 0); /* past */
  /* Not a value: the response is returned, never retried early. */
  assert_true(ah__retry_after("soon", t) == AH__RETRY_AFTER_BAD);
  assert_true(ah__retry_after("12 s", t) == AH__RETRY_AFTER_BAD);
  assert_true(ah__retry_after("-5", t) == AH__RETRY_AFTER_BAD);
  assert_true(ah__retry_after("", t) == AH__RETRY_AFTER_NONE);
  assert_true(ah__retry_after(NULL, t) == AH__RETRY_AFTER_NONE);
  /* Past what int64_t nanoseconds hold: saturated, never wrapped. */
  assert_true(ah__retry_after("9223372036", t) == (int64_t)9223372036 * 1000000000);
  assert_true(ah__retry_after("9223372037", t) == INT64_MAX);
  assert_true(ah__retry_after("99999999999999999999", t) == INT64_MAX);
  assert_true(ah__retry_after("Fri, 31 Dec 9999 23:59:59 GMT", t) == INT64_MAX);
}

/* Dates are read the same in every locale: strptime's %a and %b follow
 * LC_TIME ("Mi, 21 Okt" in German). tests/deps.sh generates de_DE.UTF-8. */
static void test_retry_after_any_locale(void **state)
{
  time_t t = 1445412480; /* Wed, 21 Oct 2015 07:28:00 GMT */
  const char *was = setlocale(LC_ALL, NULL);
  char saved[64];

  (void)state;
  snprintf(saved, sizeof saved, "%s", was ? was : "C");
  if (setlocale(LC_ALL, "de_DE.UTF-8") == NULL)
    fail_msg("the de_DE.UTF-8 locale is missing (tests/deps.sh generates it)");
  assert_true(ah__retry_after("Wed, 21 Oct 2015 07:28:30 GMT", t) == (int64_t)30 * 1000000000);
  assert_true(ah__retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", t) == (int64_t)60 * 1000000000);
  assert_true(ah__retry_after("Wed Oct 21 07:28:05 2015", t) == (int64_t)5 * 1000000000);
  setlocale(LC_ALL, saved);
}

/* Retries at most ratio x first attempts + min_per_s x 10 over the last
 * 10 s; the window slides. */
static void test_budget(void **state)
{
  struct ah__retry_policy p;
  struct ah__retry_budget b;
  int64_t t = (int64_t)5000 * 1000000000;
  int i, granted = 0;

  (void)state;
  ah__retry_policy_init(&p);
  p.ratio = 0.2;
  p.min_per_s = 1;
  memset(&b, 0, sizeof b);
  for (i = 0; i < 100; i++)
    ah__budget_first(&b, t);
  for (i = 0; i < 100; i++)
    granted += ah__budget_take(&b, &p, t + 1000000);
  assert_int_equal(granted, 20 + 10);
  /* 11 s later the old counts are gone: the minimum alone is left. */
  for (i = 0, granted = 0; i < 100; i++)
    granted += ah__budget_take(&b, &p, t + (int64_t)11 * 1000000000);
  assert_int_equal(granted, 10);
  /* No budget: every retry allowed. */
  p.ratio = -1;
  for (i = 0, granted = 0; i < 1000; i++)
    granted += ah__budget_take(&b, &p, t + (int64_t)12 * 1000000000);
  assert_int_equal(granted, 1000);
}

/* Which outcomes a policy retries, by whether a resend is safe. */
static void test_outcomes(void **state)
{
  struct ah__retry_policy p;

  (void)state;
  ah__retry_policy_init(&p);
  assert_true(ah__retry_wanted(&p, AH__OUT_CONNECT, 0)); /* nothing was sent */
  assert_false(ah__retry_wanted(&p, AH__OUT_RESET, 0));
  assert_false(ah__retry_wanted(&p, AH__OUT_TIMEOUT, 0));
  assert_false(ah__retry_wanted(&p, AH__OUT_STATUS, 0));
  assert_true(ah__retry_wanted(&p, AH__OUT_RESET, 1));
  assert_true(ah__retry_wanted(&p, AH__OUT_TIMEOUT, 1));
  assert_false(ah__retry_wanted(&p, AH__OUT_FINAL, 1));
  p.on = AH_RETRY_STATUS;
  assert_false(ah__retry_wanted(&p, AH__OUT_CONNECT, 1));
  assert_true(ah__retry_wanted(&p, AH__OUT_STATUS, 1));
  assert_true(ah__retry_status(&p, 503));
  assert_false(ah__retry_status(&p, 500));
}

/* A session retrying up to attempts times, 10 ms apart at first, waiting
 * at most 2 s (a Retry-After up to 2 s is honoured). */
static ah_session *retrying(int attempts)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s;

  assert_int_equal(ah_session_opts_set_retries(o, attempts, AH_RETRY_DEFAULT), AH_OK);
  assert_int_equal(ah_session_opts_set_retry_backoff(o, 10, 2000), AH_OK);
  s = ah_session_new(o);
  ah_session_opts_free(o);
  return s;
}

static ah_future *get(ah_session *s, const char *path, const ah_request_opts *o)
{
  ah_future *f = ah_session_fetch(s, tu_url(path), o);

  assert_int_equal(ah_future_wait(f, 20000), AH_OK);
  return f;
}

/* How many requests for path the server saw. */
static int seen(const char *path)
{
  char q[256];
  ah_session *s = ah_session_new(NULL);
  ah_future *f;
  int n;

  snprintf(q, sizeof q, "/seen?%s", path);
  f = get(s, q, NULL);
  n = atoi(ah_response_body(ah_future_response(f), NULL));
  ah_future_free(f);
  ah_session_free(s);
  return n;
}

static void test_statuses_retried(void **state)
{
  ah_session *s = retrying(4);
  ah_future *f;
  const ah_response *r;

  (void)state;
  f = get(s, "/flaky/st1/2/503", NULL);
  r = ah_future_response(f);
  assert_int_equal(ah_response_status(r), 200);
  assert_string_equal(ah_response_body(r, NULL), "ok at 3");
  assert_int_equal(ah_response_attempts(r), 3);
  ah_future_free(f);
  /* Still failing after every attempt: the last response is the answer. */
  f = get(s, "/flaky/st2/9/429", NULL);
  r = ah_future_response(f);
  assert_int_equal(ah_response_status(r), 429);
  assert_int_equal(ah_response_attempts(r), 4);
  ah_future_free(f);
  assert_int_equal(seen("/flaky/st2/9/429"), 4);
  /* 500 is not in the default set. */
  f = get(s, "/flaky/st3/1/500", NULL);
  assert_int_equal(ah_response_status(ah_future_response(f)), 500);
  assert_int_equal(ah_response_attempts(ah_future_response(f)), 1);
  ah_future_free(f);
  ah_session_free(s);
  /* Without a policy nothing is retried. */
  s = ah_session_new(NULL);
  f = get(s, "/flaky/st4/1/503", NULL);
  assert_int_equal(ah_response_status(ah_future_response(f)), 503);
  assert_int_equal(ah_response_attempts(ah_future_response(f)), 1);
  ah_future_free(f);
  ah_session_free(s);
}

static void test_own_status_set(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  int codes[] = {500, 418};
  ah_session *s;
  ah_future *f;

  (void)state;
  ah_session_opts_set_retries(o, 3, AH_RETRY_STATUS);
  ah_session_opts_set_retry_backoff(o, 1, 5);
  assert_int_equal(ah_session_opts_set_retry_statuses(o, codes, 2), AH_OK);
  assert_int_equal(ah_session_opts_set_retry_statuses(o, codes, 17), AH_EINVAL);
  codes[1] = 99;
  assert_int_equal(ah_session_opts_set_retry_statuses(o, codes, 2), AH_EINVAL);
  s = ah_session_new(o);
  ah_session_opts_free(o);
  f = get(s, "/flaky/own1/1/500", NULL);
  assert_int_equal(ah_response_status(ah_future_response(f)), 200);
  ah_future_free(f);
  f = get(s, "/flaky/own2/1/503", NULL); /* no longer in the set */
  assert_int_equal(ah_response_status(ah_future_response(f)), 503);
  ah_future_free(f);
  ah_session_free(s);
}

/* Retry-After: waited when longer than the backoff; beyond the policy's
 * longest wait, the response is returned at once. */
static void test_retry_after_honoured(void **state)
{
  ah_session *s = retrying(3);
  ah_future *f;
  double t0 = now_s(), took;

  (void)state;
  f = get(s, "/flaky/ra1/1/503?retry-after=1", NULL);
  took = now_s() - t0;
  assert_int_equal(ah_response_status(ah_future_response(f)), 200);
  assert_int_equal(ah_response_attempts(ah_future_response(f)), 2);
  assert_true(took >= 0.95);
  ah_future_free(f);
  /* The policy waits 2 s at most: 5 s is too long. */
  t0 = now_s();
  f = get(s, "/flaky/ra2/1/503?retry-after=5", NULL);
  assert_int_equal(ah_response_status(ah_future_response(f)), 503);
  assert_int_equal(ah_response_attempts(ah_future_response(f)), 1);
  assert_true(now_s() - t0 < 2);
  ah_future_free(f);
  ah_session_free(s);
}

/* A Retry-After the policy cannot honour, because it overflows, lies in
 * year 9999 or is no value at all, gives the response back at once: it
 * never turns into an immediate retry. */
static void test_retry_after_absurd(void **state)
{
  static const char *const values[] = {
    "9223372037", "99999999999999999999",
    "Fri,%2031%20Dec%209999%2023:59:59%20GMT", "soon", "12%20s",
  };
  ah_session *s = retrying(3);
  size_t i;
  char path[128];

  (void)state;
  for (i = 0; i < sizeof values / sizeof *values; i++) {
    ah_future *f;
    double t0 = now_s();
    snprintf(path, sizeof path, "/flaky/absurd%zu/1/503?retry-after=%s", i, values[i]);
    f = get(s, path, NULL);
    if (ah_response_attempts(ah_future_response(f)) != 1)
      fail_msg("Retry-After %s: %d attempts", values[i],
               ah_response_attempts(ah_future_response(f)));
    assert_int_equal(ah_response_status(ah_future_response(f)), 503);
    assert_true(now_s() - t0 < 2);
    ah_future_free(f);
  }
  ah_session_free(s);
}

/* A POST is not resent after it reached the server, unless it allows it;
 * a connection refused is retried for any method (nothing was sent). */
static void test_methods_not_resent(void **state)
{
  ah_session *s = retrying(3);
  ah_request_opts *post = ah_request_opts_new(), *unsafe = ah_request_opts_new();
  ah_future *f;

  (void)state;
  ah_request_opts_set_body(post, "x", 1);
  f = get(s, "/flaky/m1/1/503", post);
  assert_int_equal(ah_response_status(ah_future_response(f)), 503);
  assert_int_equal(ah_response_attempts(ah_future_response(f)), 1);
  ah_future_free(f);
  ah_request_opts_set_body(unsafe, "x", 1);
  assert_int_equal(ah_request_opts_set_retries(unsafe, -1, 1), AH_OK);
  f = get(s, "/flaky/m2/1/503", unsafe);
  assert_int_equal(ah_response_status(ah_future_response(f)), 200);
  assert_int_equal(ah_response_attempts(ah_future_response(f)), 2);
  ah_future_free(f);
  /* Refused: retried, then the failure names the attempts. */
  f = ah_session_fetch(s, "http://127.0.0.1:1/", post);
  assert_int_equal(ah_future_wait(f, 20000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_ECONNECT);
  assert_non_null(strstr(ah_future_errmsg(f), "after 3 attempts"));
  ah_future_free(f);
  /* A request may ask for more or fewer attempts than the session. */
  assert_int_equal(ah_request_opts_set_retries(unsafe, 1, 0), AH_OK);
  f = ah_session_fetch(s, "http://127.0.0.1:1/", unsafe);
  assert_int_equal(ah_future_wait(f, 20000), AH_OK);
  assert_null(strstr(ah_future_errmsg(f), "attempts"));
  ah_future_free(f);
  assert_int_equal(ah_request_opts_set_retries(unsafe, 0, 0), AH_EINVAL);
  ah_request_opts_free(post);
  ah_request_opts_free(unsafe);
  ah_session_free(s);
}

/* A connection closed before any response byte: a GET is tried again, a
 * POST is not (the server may have acted on it). */
static void test_reset_retried_when_safe(void **state)
{
  ah_session *s = retrying(3);
  ah_request_opts *post = ah_request_opts_new();
  ah_future *f;

  (void)state;
  f = get(s, "/flaky-reset/r1/1", NULL);
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_int_equal(ah_response_attempts(ah_future_response(f)), 2);
  ah_future_free(f);
  ah_request_opts_set_method(post, "POST");
  f = get(s, "/flaky-reset/r2/1", post);
  /* An empty reply: on the reused connection of r1, "not sent twice". */
  assert_true(ah_future_error(f) == AH_EIO || ah_future_error(f) == AH_EPROTO);
  ah_future_free(f);
  assert_int_equal(seen("/flaky-reset/r2/1"), 1);
  ah_request_opts_free(post);
  ah_session_free(s);
}

/* SPEC's trap: libcurl 7.88 resends a POST by itself when the reused
 * keep-alive connection it went out on was closed before an answer. The
 * server got it once; ahttp does not send it again. */
static void test_stale_connection_post_sent_once(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_request_opts *post = ah_request_opts_new(), *unsafe = ah_request_opts_new();
  ah_session *s;
  ah_future *f;

  (void)state;
  ah_session_opts_set_max_connections(so, 1, 0); /* one connection, reused */
  s = ah_session_new(so);
  ah_session_opts_free(so);
  ah_request_opts_set_body(post, "pay", 3);
  ah_future_free(get(s, "/drop-next", NULL));
  f = get(s, "/echo?id=stale-post", post);
  assert_int_equal(ah_future_error(f), AH_EIO);
  assert_non_null(strstr(ah_future_errmsg(f), "not sent twice"));
  ah_future_free(f);
  assert_int_equal(seen("/echo?id=stale-post"), 1);
  /* A GET, and a POST that allows it, are resent on a new connection. */
  ah_future_free(get(s, "/drop-next", NULL));
  f = get(s, "/echo?id=stale-get", NULL);
  assert_int_equal(ah_future_error(f), AH_OK);
  ah_future_free(f);
  assert_int_equal(seen("/echo?id=stale-get"), 2);
  ah_request_opts_set_body(unsafe, "pay", 3);
  ah_request_opts_set_retries(unsafe, -1, 1);
  ah_future_free(get(s, "/drop-next", NULL));
  f = get(s, "/echo?id=stale-unsafe", unsafe);
  assert_int_equal(ah_future_error(f), AH_OK);
  ah_future_free(f);
  assert_int_equal(seen("/echo?id=stale-unsafe"), 2);
  ah_request_opts_free(post);
  ah_request_opts_free(unsafe);
  ah_session_free(s);
}

/* A GET on a kept connection the server resets is sent again on a new
 * one (libcurl's own resend), whose response is refused: the failure's
 * message is that of the second try. libcurl 7.88 and 8.5 keep a
 * transfer's first message, the reset, for it. */
static void test_resent_request_failure_has_its_own_message(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_session *s;
  ah_future *f;

  (void)state;
  ah_session_opts_set_max_connections(so, 1, 0);
  s = ah_session_new(so);
  ah_session_opts_free(so);
  ah_future_free(get(s, "/reset-next", NULL));
  f = get(s, "/nul-header?id=stale-message", NULL);
  assert_int_equal(ah_future_error(f), AH_EPROTO);
  assert_null(strstr(ah_future_errmsg(f), "reset"));
  assert_null(strstr(ah_future_errmsg(f), "Recv failure"));
  /* The second try's words (8.21), or its code's (7.88, 8.5). */
  assert_true(strstr(ah_future_errmsg(f), "Nul byte") != NULL ||
              strstr(ah_future_errmsg(f), "Weird server reply") != NULL);
  ah_future_free(f);
  assert_int_equal(seen("/nul-header?id=stale-message"), 2);
  ah_session_free(s);
}

/* The same rule on every hop: a POST redirected by a 307 goes out again
 * as POST on the kept connection, which the server then drops unanswered;
 * libcurl would send it once more, and the server would see it twice. */
static void test_redirected_post_sent_once(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_request_opts *post = ah_request_opts_new();
  ah_session *s;
  ah_future *f;

  (void)state;
  ah_session_opts_set_max_connections(so, 1, 0); /* one connection, reused */
  s = ah_session_new(so);
  ah_session_opts_free(so);
  ah_request_opts_set_body(post, "pay", 3);
  f = get(s, "/redirect-drop/307?/echo?id=r307", post);
  if (ah_future_error(f) != AH_EIO)
    fail_msg("got %s (%s)", ah_strerror(ah_future_error(f)), ah_future_errmsg(f));
  assert_non_null(strstr(ah_future_errmsg(f), "not sent twice"));
  ah_future_free(f);
  assert_int_equal(seen("/echo?id=r307"), 1);
  /* A POST that a 303 (or a 301/302) turned into a GET may go again. */
  f = get(s, "/redirect-drop/303?/echo?id=p303", post);
  if (ah_future_error(f) != AH_OK)
    fail_msg("POST then 303: %s", ah_future_errmsg(f));
  assert_non_null(strstr(ah_response_body(ah_future_response(f), NULL), "method GET\n"));
  ah_future_free(f);
  assert_int_equal(seen("/echo?id=p303"), 2);
  /* A GET on the same journey is sent again, as before. */
  f = get(s, "/redirect-drop/307?/echo?id=g307", NULL);
  assert_int_equal(ah_future_error(f), AH_OK);
  ah_future_free(f);
  assert_int_equal(seen("/echo?id=g307"), 2);
  ah_request_opts_free(post);
  ah_session_free(s);
}

/* A body from a reader goes again only through its rewind callback: a
 * PUT retried after a 503 (idempotent, so retried) must not go out empty
 * or hang for its Content-Length. Without a rewind the 503 is the answer;
 * with one the retry carries the whole body, chunked or not. A 307 that
 * libcurl follows rewinds through it too. */
static void test_reader_body_sent_again_only_with_rewind(void **state)
{
  static const char text[] = "a body from a reader, 38 bytes long!!";
  ah_session *s = retrying(3);
  char want[128], path[64];
  int with, chunked, i;

  (void)state;
  for (with = 0; with < 2; with++) {
    for (chunked = 0; chunked < 2; chunked++) {
      ah_request_opts *o = ah_request_opts_new();
      struct tu_text b = {text, 0, 0};
      ah_future *f;
      const ah_response *r;
      ah_request_opts_set_method(o, "PUT");
      ah_request_opts_set_body_reader(o, tu_text_read, &b,
                                      chunked ? -1 : (long long)strlen(text));
      if (with)
        ah_request_opts_set_body_rewind(o, tu_text_rewind);
      snprintf(path, sizeof path, "/flaky/rw%d%d/1/503", with, chunked);
      f = get(s, path, o);
      if (ah_future_error(f) != AH_OK)
        fail_msg("%s: %s", path, ah_future_errmsg(f));
      r = ah_future_response(f);
      if (!with) {
        assert_int_equal(ah_response_status(r), 503);
        assert_int_equal(ah_response_attempts(r), 1);
        assert_int_equal(b.rewinds, 0);
      } else {
        snprintf(want, sizeof want, "ok at 2: %s", text);
        assert_int_equal(ah_response_status(r), 200);
        assert_int_equal(ah_response_attempts(r), 2);
        assert_string_equal(ah_response_body(r, NULL), want);
        assert_int_equal(b.rewinds, 1);
      }
      ah_future_free(f);
      ah_request_opts_free(o);
    }
  }
  /* A POST from a reader answered 307: the same body at the new place,
   * every time (libcurl rewinds through the callback). */
  for (i = 0; i < 6; i++) {
    ah_request_opts *o = ah_request_opts_new();
    struct tu_text b = {text, 0, 0};
    ah_future *f;
    ah_request_opts_set_body_reader(o, tu_text_read, &b, -1);
    ah_request_opts_set_body_rewind(o, tu_text_rewind);
    f = get(s, "/redirect-code/307?/echo", o);
    if (ah_future_error(f) != AH_OK)
      fail_msg("307 run %d: %s", i, ah_future_errmsg(f));
    assert_non_null(strstr(ah_response_body(ah_future_response(f), NULL), "method POST\n"));
    snprintf(want, sizeof want, "\n%s", text);
    assert_non_null(strstr(ah_response_body(ah_future_response(f), NULL), want));
    assert_int_equal(b.rewinds, 1);
    ah_future_free(f);
    ah_request_opts_free(o);
  }
  ah_session_free(s);
}

static int rewind_and_cancel(ah_future *f, void *ud)
{
  (void)ud;
  assert_int_equal(ah_future_cancel(f), AH_OK);
  return 0;
}

static int rewind_and_free(ah_future *f, void *ud)
{
  (void)ud;
  ah_future_free(f);
  return 0;
}

static int rewind_fails(ah_future *f, void *ud)
{
  (void)f; (void)ud;
  return -1;
}

/* The rewind callback is the caller's code run before a retry: it may
 * cancel or free its own future (deferred, as from any transfer
 * callback), or fail, and the request ends cleanly each time. */
static void test_rewind_callback_ends_the_request(void **state)
{
  static const char text[] = "body for the rewind test";
  ah_session *s = retrying(3);
  ah_request_opts *o = ah_request_opts_new();
  struct tu_text b = {text, 0, 0};
  ah_future *f;

  (void)state;
  ah_request_opts_set_method(o, "PUT");
  ah_request_opts_set_body_reader(o, tu_text_read, &b, -1);
  ah_request_opts_set_body_rewind(o, rewind_and_cancel);
  f = get(s, "/flaky/rc1/1/503", o);
  assert_int_equal(ah_future_error(f), AH_ECANCELED);
  ah_future_free(f);
  b.at = 0;
  ah_request_opts_set_body_rewind(o, rewind_fails);
  f = get(s, "/flaky/rc2/1/503", o);
  assert_int_equal(ah_future_error(f), AH_ESTOPPED);
  assert_non_null(strstr(ah_future_errmsg(f), "could not rewind"));
  ah_future_free(f);
  b.at = 0;
  ah_request_opts_set_body_rewind(o, rewind_and_free);
  f = ah_session_fetch(s, tu_url("/flaky/rc3/1/503"), o);
  while (ah_session_run(s, 50) == AH_OK && seen("/flaky/rc3/1/503") < 1)
    ;
  {
    int i; /* the retry's rewind frees it; the session goes on */
    for (i = 0; i < 40; i++)
      ah_session_run(s, 25);
  }
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* A timeout once connected: a GET is tried again, a POST is not. */
static void test_timeout_retried_when_safe(void **state)
{
  ah_session *s = retrying(2);
  ah_request_opts *o = ah_request_opts_new(), *post = ah_request_opts_new();
  ah_future *f;

  (void)state;
  ah_request_opts_set_timeout(o, 200);
  f = get(s, "/delay/400?t=get", o);
  assert_int_equal(ah_future_error(f), AH_ETIMEDOUT);
  assert_non_null(strstr(ah_future_errmsg(f), "after 2 attempts"));
  ah_future_free(f);
  ah_request_opts_set_timeout(post, 200);
  ah_request_opts_set_body(post, "p", 1);
  f = get(s, "/delay/400?t=post", post);
  assert_int_equal(ah_future_error(f), AH_ETIMEDOUT);
  assert_null(strstr(ah_future_errmsg(f), "attempts"));
  ah_future_free(f);
  assert_int_equal(seen("/delay/400?t=get"), 2);
  assert_int_equal(seen("/delay/400?t=post"), 1);
  ah_request_opts_free(o);
  ah_request_opts_free(post);
  ah_session_free(s);
}

/* An empty budget: no retry at all, however many attempts are allowed. */
static void test_budget_stops_retries(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s;
  ah_future *f;

  (void)state;
  ah_session_opts_set_retries(o, 5, AH_RETRY_DEFAULT);
  ah_session_opts_set_retry_backoff(o, 1, 5);
  assert_int_equal(ah_session_opts_set_retry_budget(o, 0, 0), AH_OK);
  s = ah_session_new(o);
  ah_session_opts_free(o);
  f = get(s, "/flaky/b1/1/503", NULL);
  assert_int_equal(ah_response_status(ah_future_response(f)), 503);
  assert_int_equal(ah_response_attempts(ah_future_response(f)), 1);
  ah_future_free(f);
  ah_session_free(s);
}

/* The caller's headers and data callbacks see the last attempt only. */
struct seen_cb {
  int headers, status;
  char data[64];
};

static int on_head(ah_future *f, const ah_response *r, void *ud)
{
  struct seen_cb *k = ud;

  (void)f;
  k->headers++;
  k->status = ah_response_status(r);
  return 0;
}

static int on_data(ah_future *f, const char *d, size_t n, void *ud)
{
  struct seen_cb *k = ud;

  (void)f;
  strncat(k->data, d, n < sizeof k->data - strlen(k->data) - 1
                          ? n : sizeof k->data - strlen(k->data) - 1);
  return 0;
}

static void test_callbacks_see_last_attempt(void **state)
{
  ah_session *s = retrying(4);
  ah_request_opts *o = ah_request_opts_new();
  struct seen_cb k;
  ah_future *f;

  (void)state;
  memset(&k, 0, sizeof k);
  ah_request_opts_on_headers(o, on_head, &k);
  ah_request_opts_on_data(o, on_data, &k);
  f = get(s, "/flaky/cb1/2/502", o);
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_int_equal(k.headers, 1);
  assert_int_equal(k.status, 200);
  assert_string_equal(k.data, "ok at 3");
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* Backoff waits live in the reactor: other requests go on meanwhile, and
 * a request waiting to be retried can be canceled or dropped with its
 * session. */
static void test_waits_in_the_reactor(void **state)
{
  ah_session *s = retrying(3);
  ah_future *slow, *fast, *gone;
  double t0 = now_s();

  (void)state;
  slow = ah_session_fetch(s, tu_url("/flaky/w1/1/503?retry-after=1"), NULL);
  fast = ah_session_fetch(s, tu_url("/size/5"), NULL);
  assert_int_equal(ah_future_wait(fast, 5000), AH_OK);
  assert_true(now_s() - t0 < 0.5);
  assert_false(ah_future_done(slow));
  assert_int_equal(ah_future_wait(slow, 5000), AH_OK);
  assert_int_equal(ah_response_attempts(ah_future_response(slow)), 2);
  ah_future_free(slow);
  ah_future_free(fast);
  /* Canceled while waiting for its retry. */
  gone = ah_session_fetch(s, tu_url("/flaky/w2/1/503?retry-after=1"), NULL);
  assert_int_equal(ah_future_wait(gone, 300), AH_ETIMEDOUT);
  t0 = now_s();
  ah_future_cancel(gone);
  assert_int_equal(ah_future_error(gone), AH_ECANCELED);
  assert_true(now_s() - t0 < 0.1);
  ah_future_free(gone);
  /* And one dropped with its session. */
  gone = ah_session_fetch(s, tu_url("/flaky/w3/1/503?retry-after=1"), NULL);
  assert_int_equal(ah_future_wait(gone, 300), AH_ETIMEDOUT);
  ah_session_free(s);
  assert_int_equal(ah_future_error(gone), AH_ECANCELED);
  ah_future_free(gone);
  assert_int_equal(seen("/flaky/w3/1/503?retry-after=1"), 1);
}

static void test_options_checked(void **state)
{
  ah_session_opts *o = ah_session_opts_new();

  (void)state;
  assert_int_equal(ah_session_opts_set_retries(o, 0, AH_RETRY_DEFAULT), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_retries(o, 101, AH_RETRY_DEFAULT), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_retries(o, 2, 64), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_retry_backoff(o, 100, 10), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_retry_backoff(o, -1, 10), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_retry_budget(o, 0.5, -1), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_retries(NULL, 2, 0), AH_EINVAL);
  assert_int_equal(ah_response_attempts(NULL), 0);
  ah_session_opts_free(o);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_backoff_full_jitter),
    TU_TEST(test_retry_after_values),
    TU_TEST(test_retry_after_any_locale),
    TU_TEST(test_budget),
    TU_TEST(test_outcomes),
    TU_TEST(test_statuses_retried),
    TU_TEST(test_own_status_set),
    TU_TEST(test_retry_after_honoured),
    TU_TEST(test_retry_after_absurd),
    TU_TEST(test_methods_not_resent),
    TU_TEST(test_reset_retried_when_safe),
    TU_TEST(test_stale_connection_post_sent_once),
    TU_TEST(test_resent_request_failure_has_its_own_message),
    TU_TEST(test_redirected_post_sent_once),
    TU_TEST(test_reader_body_sent_again_only_with_rewind),
    TU_TEST(test_rewind_callback_ends_the_request),
    TU_TEST(test_timeout_retried_when_safe),
    TU_TEST(test_budget_stops_retries),
    TU_TEST(test_callbacks_see_last_attempt),
    TU_TEST(test_waits_in_the_reactor),
    TU_TEST(test_options_checked),
  };
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
