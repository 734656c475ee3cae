/* test_event.c - the lifecycle hook (lib/event.c): what a tracer sees of
 * each request, against the test server. */
#include <ahttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Lifecycle events: what a tracer sees of each request. */
#define MAX_EVENTS 64
struct trace {
  int n;
  struct {
    int type, attempt, reused, status, error;
    long long time_ns, delay_us;
    ah_future *f;
    char url[64];
  } ev[MAX_EVENTS];
};

static void record(const ah_event *ev, void *ud)
{
  struct trace *t = ud;

  if (t->n == MAX_EVENTS)
    return;
  t->ev[t->n].type = ev->type;
  t->ev[t->n].attempt = ev->attempt;
  t->ev[t->n].reused = ev->reused;
  t->ev[t->n].status = ev->status;
  t->ev[t->n].error = ev->error;
  t->ev[t->n].time_ns = ev->time_ns;
  t->ev[t->n].delay_us = ev->delay_us;
  t->ev[t->n].f = ev->future;
  snprintf(t->ev[t->n].url, sizeof t->ev[0].url, "%s", ev->url ? ev->url : "");
  t->n++;
}

/* The events of future f, as a string of letters (Q queued, S dequeued
 * or started, D dns, C new connection, R reused, T tls, W sent (written),
 * F first byte, L redirect (Location), A retry (again), E done (end)). */
static const char *story(const struct trace *t, ah_future *f)
{
  static char out[MAX_EVENTS + 1];
  static const char letter[] = "?QSDCTWFLAE";
  int i, n = 0;
  long long last = 0;

  for (i = 0; i < t->n; i++) {
    if (t->ev[i].f != f)
      continue;
    out[n++] = t->ev[i].type == AH_EVENT_CONNECTED && t->ev[i].reused
                   ? 'R' : letter[t->ev[i].type];
    /* Each event no earlier than the one before (10 us of slack for the
     * phases placed back from libcurl's microsecond times). */
    assert_true(t->ev[i].time_ns + 10000 >= last);
    if (t->ev[i].time_ns > last)
      last = t->ev[i].time_ns;
  }
  out[n] = '\0';
  return out;
}

static const struct trace *last_trace;
static int event_of(ah_future *f, int type)
{
  int i;

  for (i = 0; i < last_trace->n; i++)
    if (last_trace->ev[i].f == f && last_trace->ev[i].type == type)
      return i;
  fail_msg("no event %d", type);
  return -1;
}

static void test_lifecycle_events(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s;
  ah_future *fs[3];
  static struct trace t;
  int i;

  (void)state;
  memset(&t, 0, sizeof t);
  last_trace = &t;
  assert_int_equal(ah_session_opts_on_event(o, record, &t), AH_OK);
  ah_session_opts_set_max_connections(o, 1, 0); /* the second one queues */
  ah_session_opts_set_retries(o, 2, AH_RETRY_STATUS);
  ah_session_opts_set_retry_backoff(o, 1, 10);
  s = ah_session_new(o);
  ah_session_opts_free(o);
  fs[0] = ah_session_fetch(s, tu_url("/redirect/1"), NULL);
  fs[1] = ah_session_fetch(s, tu_url("/flaky/events/1/503"), NULL);
  assert_int_equal(ah_gather(fs, 2, 20000), AH_OK);
  /* Alone: with a limit of one connection, libcurl would close the kept
   * one to try this. */
  fs[2] = ah_session_fetch(s, "http://127.0.0.1:1/", NULL);
  assert_int_equal(ah_future_wait(fs[2], 20000), AH_OK);
  /* A new connection, a redirect followed on the same connection (a
   * new round: sent, first byte), done. */
  assert_string_equal(story(&t, fs[0]), "SDCWFLRWFE");
  i = event_of(fs[0], AH_EVENT_REDIRECT);
  assert_int_equal(t.ev[i].status, 302);
  assert_string_equal(t.ev[i].url, tu_url("/redirect/0")); /* resolved */
  i = event_of(fs[0], AH_EVENT_DONE);
  assert_int_equal(t.ev[i].status, 200);
  assert_int_equal(t.ev[i].error, AH_OK);
  /* Queued behind it, a 503 retried on the kept connection. */
  assert_string_equal(story(&t, fs[1]), "QSRWFASRWFE");
  i = event_of(fs[1], AH_EVENT_RETRY);
  assert_int_equal(t.ev[i].status, 503);
  assert_int_equal(t.ev[i].attempt, 1);
  assert_true(t.ev[i].delay_us >= 0 && t.ev[i].delay_us <= 10000);
  i = event_of(fs[1], AH_EVENT_DONE);
  assert_int_equal(t.ev[i].attempt, 2);
  /* Refused: it never got to send. */
  assert_string_equal(story(&t, fs[2]), "SE");
  i = event_of(fs[2], AH_EVENT_DONE);
  assert_int_equal(t.ev[i].error, AH_ECONNECT);
  for (i = 0; i < 3; i++)
    ah_future_free(fs[i]);
  ah_session_free(s);
  /* Without a hook, nothing is told (and nothing spent: bench-instr). */
  assert_int_equal(ah_session_opts_on_event(NULL, record, &t), AH_EINVAL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_lifecycle_events),
  };
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
