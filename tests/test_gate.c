/* test_gate.c - lib/gate.c, the per-host gates of admission: the
 * decisions on their own (rates, room per origin, the order of those
 * waiting, a redirect's hop), then the per-host limit through the public
 * API against tests/server.py, whose /peaks tells how many requests each
 * Host had at once. SPEC 3: requests beyond the limits wait in ahttp's
 * queue, their timeouts starting when they leave it. */
#include <ahttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "journey.h"
#include "reactor.h"
#include "request.h"
#include "testutil.h"
#include "url.h"

#define MS 1000000LL

/* q for url as a fetch makes it: a plain URL kept as its string, any
 * other parsed (see url.h). */
static void set_url(struct ah__request *q, const char *url)
{
  struct ah__plain pl;
  const char *why;
  int how;

  memset(q, 0, sizeof *q);
  if (ah__url_plain_scan(url, &pl))
    q->url_str = url;
  else
    assert_int_equal(ah__url_parse(url, NULL, &q->url, &how, &why), AH_OK);
}

static void free_urls(struct ah__request *q, int n)
{
  while (n-- > 0)
    curl_url_cleanup(q[n].url);
}

/* Pass q at now; a wait puts it in its gate's list, as the queue does. */
static int pass(struct ah__gates *g, struct ah__request *q, int64_t now, int64_t queue_ns,
                int64_t *due)
{
  int place = ah__gates_pass(g, q, now, queue_ns, due);

  if (place != AH__ACTIVE) {
    q->place = (uint8_t)place;
    ah__gates_link(g, q, place);
  }
  return place;
}

static void test_room_per_origin_in_order(void **state)
{
  struct ah__gates g;
  struct ah__request q[6];
  int64_t due;

  (void)state;
  memset(&g, 0, sizeof g);
  g.hosts.limit = 2;
  set_url(&q[0], "http://A.test/x");
  set_url(&q[1], "http://a.test:80/y"); /* the same origin */
  set_url(&q[2], "http://a.test/z");
  set_url(&q[3], "http://a.test/w");
  set_url(&q[4], "https://a.test/x");   /* another scheme: another origin */
  set_url(&q[5], "http://a.test:81/x"); /* another port: another origin */
  assert_int_equal(pass(&g, &q[0], 1000 * MS, 0, &due), AH__ACTIVE);
  assert_int_equal(pass(&g, &q[1], 1000 * MS, 0, &due), AH__ACTIVE);
  assert_int_equal(pass(&g, &q[2], 1000 * MS, 500 * MS, &due), AH__HELD);
  assert_int_equal(due, 1500 * MS); /* its queue timeout */
  assert_int_equal(q[2].queued_ns, 1000 * MS);
  assert_int_equal(pass(&g, &q[3], 1100 * MS, 500 * MS, &due), AH__HELD);
  assert_int_equal(pass(&g, &q[4], 1100 * MS, 0, &due), AH__ACTIVE);
  assert_int_equal(pass(&g, &q[5], 1100 * MS, 0, &due), AH__ACTIVE);
  assert_int_equal(g.hosts.n, 3);
  assert_string_equal(q[0].host->origin, "http://a.test:80");
  /* The queue timeout, first come first due. */
  assert_null(ah__gates_expired(&g, 1499 * MS, 500 * MS));
  assert_ptr_equal(ah__gates_expired(&g, 1500 * MS, 500 * MS), &q[2]);
  assert_null(ah__gates_token(&g, 1499 * MS, 500 * MS, &due));
  assert_int_equal(due, 1500 * MS);
  /* Room: the first waiting is woken, still listed; not counted until
   * it comes back, first, from the queue. */
  assert_ptr_equal(ah__gates_leave(&g, &q[1]), &q[2]);
  assert_true(q[2].host_woken);
  assert_int_equal(q[2].host->running, 1);
  ah__gates_unlink(&g, &q[2], AH__HELD);
  assert_non_null(q[2].host); /* its record stays for it */
  assert_int_equal(pass(&g, &q[2], 1200 * MS, 0, &due), AH__ACTIVE);
  assert_true(q[2].host_held);
  /* A woken request that ends on its way gives its turn on. */
  set_url(&q[1], "http://a.test/again");
  assert_int_equal(pass(&g, &q[1], 1300 * MS, 0, &due), AH__HELD); /* behind q[3] */
  assert_ptr_equal(ah__gates_leave(&g, &q[2]), &q[3]);
  ah__gates_unlink(&g, &q[3], AH__HELD);
  assert_ptr_equal(ah__gates_leave(&g, &q[3]), &q[1]);
  ah__gates_unlink(&g, &q[1], AH__HELD);
  assert_null(ah__gates_leave(&g, &q[1]));
  assert_null(ah__gates_leave(&g, &q[1])); /* once only */
  assert_null(ah__gates_leave(&g, &q[0]));
  assert_null(ah__gates_leave(&g, &q[4]));
  assert_null(ah__gates_leave(&g, &q[5]));
  assert_int_equal(g.hosts.n, 0); /* the records went with their requests */
  ah__gates_free(&g);
  free_urls(q, 6);
}

/* Room first, then the token, taken as the request starts: one held for
 * room takes no token meanwhile, so starts keep to the rate; one waiting
 * for its token keeps its room. */
static void test_room_then_token(void **state)
{
  struct ah__gates g;
  struct ah__request q[3];
  int64_t due;

  (void)state;
  memset(&g, 0, sizeof g);
  g.hosts.limit = 1;
  assert_int_equal(ah__rates_rule(&g.rates, "a.test", 1, 1), 0);
  g.limited = 1;
  set_url(&q[0], "http://a.test/1");
  set_url(&q[1], "http://a.test/2");
  set_url(&q[2], "http://a.test/3");
  assert_int_equal(pass(&g, &q[0], 1000 * MS, 0, &due), AH__ACTIVE);
  assert_int_equal(pass(&g, &q[1], 1000 * MS, 0, &due), AH__HELD);
  assert_int_equal(pass(&g, &q[2], 1000 * MS, 0, &due), AH__HELD);
  assert_ptr_equal(ah__gates_leave(&g, &q[0]), &q[1]);
  ah__gates_unlink(&g, &q[1], AH__HELD);
  /* Room at 1.5 s, the next token at 2 s: it waits for it, counted. */
  assert_int_equal(pass(&g, &q[1], 1500 * MS, 0, &due), AH__PARKED);
  assert_int_equal(due, 2000 * MS + 1);
  assert_true(q[1].host_held);
  assert_int_equal(g.nheld, 1); /* and its place in the window */
  assert_null(ah__gates_token(&g, 1999 * MS, 0, &due));
  assert_ptr_equal(ah__gates_token(&g, 2001 * MS, 0, &due), &q[1]);
  assert_false(q[1].rate_paid); /* taken: it starts at once, room kept */
  ah__gates_unlink(&g, &q[1], AH__PARKED);
  assert_int_equal(g.nheld, 0);
  assert_ptr_equal(ah__gates_any(&g, 0), &q[2]);
  assert_null(ah__gates_any(&g, 1));
  q[2].doom_err = AH_ECANCELED;
  assert_ptr_equal(ah__gates_any(&g, 1), &q[2]);
  ah__gates_unlink(&g, &q[2], AH__HELD);
  assert_null(ah__gates_leave(&g, &q[1]));
  assert_int_equal(g.hosts.n, 0);
  ah__gates_free(&g);
}

/* A redirect's next hop: to the same origin it keeps its room; to a full
 * one it waits (holding its handle: counted in nheld), and its room at
 * the origin it left goes to the first waiting there. Room goes to a
 * waiting hop before the others: it holds a place in the window. */
static void test_hop(void **state)
{
  struct ah__gates g;
  struct ah__request q[4];
  struct ah__journey j;
  struct ah__request *w;
  int64_t due;

  (void)state;
  memset(&g, 0, sizeof g);
  memset(&j, 0, sizeof j);
  g.hosts.limit = 1;
  set_url(&q[0], "http://a.test/1");
  set_url(&q[1], "http://a.test/2");
  set_url(&q[2], "http://b.test/1");
  set_url(&q[3], "http://b.test/2");
  assert_int_equal(pass(&g, &q[0], 0, 0, &due), AH__ACTIVE);
  assert_int_equal(pass(&g, &q[1], 0, 0, &due), AH__HELD);
  assert_int_equal(pass(&g, &q[2], 0, 0, &due), AH__ACTIVE);
  assert_int_equal(pass(&g, &q[3], 0, 0, &due), AH__HELD);
  q[0].slot = (struct ah__slot *)&j; /* a hop holds its handle */
  q[0].j = &j;
  assert_non_null(j.url = curl_url());
  assert_int_equal(curl_url_set(j.url, CURLUPART_URL, "http://a.test/next", 0), CURLUE_OK);
  assert_int_equal(ah__gates_hop(&g, &q[0], 0, &w), AH__ACTIVE);
  assert_null(w);
  assert_true(q[0].host_held);
  assert_int_equal(curl_url_set(j.url, CURLUPART_URL, "http://B.test:80/x", 0), CURLUE_OK);
  /* libcurl keeps its total timeout (300 ms): its end is looked at here. */
  assert_int_equal(ah__gates_hop(&g, &q[0], 300, &w), AH__HELD);
  assert_ptr_equal(w, &q[1]); /* a.test's turn went on */
  assert_int_equal(q[0].hop_due_ns, q[0].held_ns + 300 * MS);
  ah__gates_unlink(&g, &q[1], AH__HELD);
  q[0].place = AH__HELD;
  ah__gates_link(&g, &q[0], AH__HELD);
  assert_int_equal(g.nheld, 1);
  /* No queue timeout for a hop: its total timeout. */
  assert_null(ah__gates_expired(&g, q[0].held_ns + 299 * MS, 0));
  assert_null(ah__gates_token(&g, 0, 0, &due));
  assert_int_equal(due, q[0].held_ns + 300 * MS);
  assert_ptr_equal(ah__gates_expired(&g, q[0].held_ns + 300 * MS, 0), &q[0]);
  assert_ptr_equal(ah__gates_leave(&g, &q[2]), &q[0]); /* before q[3] */
  ah__gates_unlink(&g, &q[0], AH__HELD);
  assert_int_equal(g.nheld, 0);
  assert_true(q[0].host_held);
  assert_ptr_equal(ah__gates_leave(&g, &q[0]), &q[3]);
  ah__gates_unlink(&g, &q[3], AH__HELD);
  assert_null(ah__gates_leave(&g, &q[3]));
  assert_int_equal(pass(&g, &q[1], 0, 0, &due), AH__ACTIVE);
  assert_null(ah__gates_leave(&g, &q[1]));
  assert_int_equal(g.hosts.n, 0);
  curl_url_cleanup(j.url);
  ah__gates_free(&g);
}

/* Through the session. */

/* The most requests each Host had at once since the last call, from
 * the server: "HOST N" lines. */
static int peak(const char *peaks, const char *host)
{
  char key[96];
  const char *p;
  int n = snprintf(key, sizeof key, "%s:%d ", host, tu_port);

  for (p = peaks; (p = strstr(p, key)) != NULL; p += n)
    if (p == peaks || p[-1] == '\n')
      return atoi(p + n);
  return 0;
}

static char *read_peaks(void)
{
  ah_session *s = ah_session_new(NULL);
  ah_future *f;
  char *out = strdup(tu_fetch_ok(s, tu_url("/peaks"), NULL, &f));

  ah_future_free(f);
  ah_session_free(s);
  return out;
}

static int nqueued;

static void count_queued(const ah_event *ev, void *ud)
{
  (void)ud;
  nqueued += ev->type == AH_EVENT_QUEUED;
}

/* total, per_host, queue_ms; b.test and c.test reach the test server
 * too (c.test for requests a test leaves running: the server counts
 * them on after the test). */
static ah_session *limited(long total, long per_host, long queue_ms)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s;

  ah_session_opts_set_max_connections(o, total, per_host);
  if (queue_ms > 0)
    ah_session_opts_set_queue_timeout(o, queue_ms);
  ah_session_opts_add_host_override(o, "b.test", 0, "127.0.0.1");
  ah_session_opts_add_host_override(o, "c.test", 0, "127.0.0.1");
  ah_session_opts_on_event(o, count_queued, NULL);
  s = ah_session_new(o);
  ah_session_opts_free(o);
  assert_non_null(s);
  nqueued = 0;
  return s;
}

static const char *b_url(const char *path)
{
  static char url[2][192];
  static int k;

  k ^= 1;
  snprintf(url[k], sizeof url[k], "http://b.test:%d%s", tu_port, path);
  return url[k];
}

/* "/hold/MS" with MS scaled by tu_slowdown: the waits these tests order
 * things by grow with the run's overhead. */
static const char *hold(long ms)
{
  static char path[4][32];
  static int k;

  k = (k + 1) % 4;
  snprintf(path[k], sizeof path[k], "/hold/%ld", (long)(ms * tu_slowdown()));
  return path[k];
}

static void gather_ok(ah_future **fs, int n)
{
  int i;

  assert_int_equal(ah_gather(fs, n, (long)(20000 * tu_slowdown())), AH_OK);
  for (i = 0; i < n; i++)
    if (ah_future_error(fs[i]) != AH_OK)
      fail_msg("request %d: %s", i, ah_future_errmsg(fs[i]));
}

/* Two origins, 10 requests each, a limit of 2 per host: the server sees
 * 2 at once from each, never more, both hosts at the same time. */
static void test_limit_holds_per_origin(void **state)
{
  ah_session *s = limited(100, 2, 0);
  ah_future *fs[20];
  char *peaks;
  int i;

  (void)state;
  free(read_peaks());
  for (i = 0; i < 10; i++) {
    fs[2 * i] = ah_session_fetch(s, tu_url(hold(100)), NULL);
    fs[2 * i + 1] = ah_session_fetch(s, b_url(hold(100)), NULL);
  }
  gather_ok(fs, 20);
  peaks = read_peaks();
  assert_int_equal(peak(peaks, "127.0.0.1"), 2);
  assert_int_equal(peak(peaks, "b.test"), 2);
  assert_true(nqueued >= 16); /* each beyond the limit was told queued */
  free(peaks);
  for (i = 0; i < 20; i++)
    ah_future_free(fs[i]);
  ah_session_free(s);
}

/* A request's timeouts start when it leaves the queue: the fourth of
 * four 300 ms requests with a limit of 1 waits 900 ms, and its total
 * timeout of 700 ms does not run meanwhile. (Waiting inside libcurl, it
 * would fail.) The wait is its time queued. */
static void test_timeouts_start_past_the_gate(void **state)
{
  ah_session *s = limited(100, 1, 0);
  ah_request_opts *o = ah_request_opts_new();
  ah_future *fs[4];
  int i;

  (void)state;
  ah_request_opts_set_timeouts(o, (long)(700 * tu_slowdown()), 0, 0);
  for (i = 0; i < 4; i++)
    fs[i] = ah_session_fetch(s, tu_url("/hold/300"), o);
  gather_ok(fs, 4);
  assert_true(ah_response_time_us(ah_future_response(fs[3]), AH_TIME_QUEUE) > 850000);
  for (i = 0; i < 4; i++)
    ah_future_free(fs[i]);
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* Requests waiting for one host take no place under the total: with a
 * total of 2 and 1 per host, b.test's request runs beside 127.0.0.1's
 * first, not after its second. */
static void test_other_hosts_go_past(void **state)
{
  ah_session *s = limited(2, 1, 0);
  ah_future *a1, *a2, *b1;

  (void)state;
  a1 = ah_session_fetch(s, tu_url(hold(800)), NULL);
  a2 = ah_session_fetch(s, tu_url("/hold/10"), NULL);
  b1 = ah_session_fetch(s, b_url("/hold/10"), NULL);
  assert_int_equal(ah_future_wait(b1, (long)(5000 * tu_slowdown())), AH_OK);
  assert_int_equal(ah_future_error(b1), AH_OK);
  assert_false(ah_future_done(a1));
  assert_false(ah_future_done(a2));
  assert_int_equal(ah_future_wait(a2, (long)(5000 * tu_slowdown())), AH_OK);
  assert_int_equal(ah_future_error(a2), AH_OK);
  assert_true(ah_future_done(a1));
  ah_future_free(a1);
  ah_future_free(a2);
  ah_future_free(b1);
  ah_session_free(s);
}

/* The queue timeout bounds a wait for room; canceling a waiting request
 * ends it at once, and the others go on. */
static void test_queue_timeout_and_cancel_at_the_gate(void **state)
{
  ah_session *s = limited(100, 1, 300);
  ah_future *f[4];

  (void)state;
  f[0] = ah_session_fetch(s, tu_url(hold(900)), NULL);
  f[1] = ah_session_fetch(s, tu_url("/hold/10"), NULL);
  f[2] = ah_session_fetch(s, b_url(hold(900)), NULL);
  f[3] = ah_session_fetch(s, b_url("/hold/10"), NULL);
  ah_future_cancel(f[3]);
  assert_int_equal(ah_future_error(f[3]), AH_ECANCELED);
  assert_int_equal(ah_future_wait(f[1], (long)(5000 * tu_slowdown())), AH_OK);
  assert_int_equal(ah_future_error(f[1]), AH_ETIMEDOUT);
  assert_non_null(strstr(ah_future_errmsg(f[1]), "queue"));
  assert_false(ah_future_done(f[0]));
  gather_ok(f, 1);
  assert_int_equal(ah_future_wait(f[2], (long)(5000 * tu_slowdown())), AH_OK);
  assert_int_equal(ah_future_error(f[2]), AH_OK);
  ah_future_free(f[0]);
  ah_future_free(f[1]);
  ah_future_free(f[2]);
  ah_future_free(f[3]);
  ah_session_free(s);
}

/* A redirect to another origin is a request there: its hop waits for
 * room, and the limit holds at b.test. */
static void test_redirect_waits_for_room(void **state)
{
  ah_session *s = limited(100, 1, 0);
  ah_future *f[3];
  char path[160];
  char *peaks;

  (void)state;
  free(read_peaks());
  snprintf(path, sizeof path, "/redirect-to?http://b.test:%d/hold/10", tu_port);
  f[0] = ah_session_fetch(s, b_url(hold(500)), NULL);
  f[1] = ah_session_fetch(s, tu_url(path), NULL);
  f[2] = ah_session_fetch(s, tu_url("/hold/10"), NULL); /* 127.0.0.1's room, left */
  assert_int_equal(ah_future_wait(f[2], (long)(5000 * tu_slowdown())), AH_OK);
  assert_int_equal(ah_future_error(f[2]), AH_OK);
  assert_false(ah_future_done(f[1])); /* behind b.test's first */
  gather_ok(f, 3);
  assert_string_equal(ah_response_body(ah_future_response(f[1]), NULL), "held 10");
  peaks = read_peaks();
  assert_int_equal(peak(peaks, "b.test"), 1);
  free(peaks);
  ah_future_free(f[0]);
  ah_future_free(f[1]);
  ah_future_free(f[2]);
  ah_session_free(s);
}

/* A hop waiting for room still ends at its total timeout, and its
 * session can be freed with it waiting. */
static void test_waiting_hop_times_out(void **state)
{
  ah_session *s = limited(100, 1, 0);
  ah_request_opts *o = ah_request_opts_new();
  ah_future *f[3];
  char path[160], hold[96];

  (void)state;
  snprintf(path, sizeof path, "/redirect-to?http://c.test:%d/hold/10", tu_port);
  ah_request_opts_set_timeouts(o, (long)(300 * tu_slowdown()), 0, 0);
  snprintf(hold, sizeof hold, "http://c.test:%d/hold/%ld", tu_port,
           (long)(1500 * tu_slowdown()));
  f[0] = ah_session_fetch(s, hold, NULL);
  f[1] = ah_session_fetch(s, tu_url(path), o);
  f[2] = ah_session_fetch(s, tu_url(path), NULL);
  assert_int_equal(ah_future_wait(f[1], (long)(5000 * tu_slowdown())), AH_OK);
  assert_int_equal(ah_future_error(f[1]), AH_ETIMEDOUT);
  assert_false(ah_future_done(f[0]));
  ah_session_free(s);
  assert_int_equal(ah_future_error(f[0]), AH_ECANCELED);
  assert_int_equal(ah_future_error(f[2]), AH_ECANCELED);
  ah_future_free(f[0]);
  ah_future_free(f[1]);
  ah_future_free(f[2]);
  ah_request_opts_free(o);
}

/* Redirects across two origins in both directions, 1 per host and 3 in
 * all: hops waiting at an origin hold places in the window, so room
 * there goes to them first. (When it went to requests still to pass the
 * window, hops filled it and nothing ran: all waited for ever.) */
static void test_crossed_redirects_do_not_stall(void **state)
{
  ah_session *s = limited(3, 1, 0);
  ah_future *fs[12];
  char to_a[96], to_b[96];
  char *peaks;
  int i;

  (void)state;
  free(read_peaks());
  snprintf(to_b, sizeof to_b, "/redirect-to?http://b.test:%d/hold/100", tu_port);
  snprintf(to_a, sizeof to_a, "/redirect-to?http://127.0.0.1:%d/hold/100", tu_port);
  for (i = 0; i < 6; i++) {
    fs[2 * i] = ah_session_fetch(s, tu_url(to_b), NULL);
    fs[2 * i + 1] = ah_session_fetch(s, b_url(to_a), NULL);
  }
  gather_ok(fs, 12);
  peaks = read_peaks();
  assert_int_equal(peak(peaks, "127.0.0.1"), 1);
  assert_int_equal(peak(peaks, "b.test"), 1);
  free(peaks);
  for (i = 0; i < 12; i++)
    ah_future_free(fs[i]);
  ah_session_free(s);
}

static long long starts[8];
static int nstarts;

static void on_start(const ah_event *ev, void *ud)
{
  (void)ud;
  nqueued += ev->type == AH_EVENT_QUEUED;
  if (ev->type == AH_EVENT_DEQUEUED && nstarts < 8)
    starts[nstarts++] = ev->time_ns;
}

/* A host's rate with its per-host limit: a request takes its token as it
 * starts, not while it waits for room, so starts keep to the rate even
 * when room comes to two at once; and each wait is told once. */
static void test_rate_holds_beside_the_limit(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_future *fs[4];
  ah_session *s;
  int i;

  (void)state;
  ah_session_opts_set_max_connections(o, 100, 2);
  ah_session_opts_set_host_rate(o, "127.0.0.1", 4, 1); /* one per 250 ms */
  ah_session_opts_on_event(o, on_start, NULL);
  s = ah_session_new(o);
  ah_session_opts_free(o);
  nqueued = nstarts = 0;
  /* Both running end at about 1 s: room for two at once. */
  fs[0] = ah_session_fetch(s, tu_url("/hold/1000"), NULL);
  fs[1] = ah_session_fetch(s, tu_url("/hold/750"), NULL);
  fs[2] = ah_session_fetch(s, tu_url("/hold/10"), NULL);
  fs[3] = ah_session_fetch(s, tu_url("/hold/10"), NULL);
  gather_ok(fs, 4);
  assert_int_equal(nstarts, 4);
  for (i = 1; i < 4; i++)
    if (starts[i] - starts[i - 1] < 200 * MS)
      fail_msg("start %d came %lld ms after the one before (rate: 250 ms)", i,
               (starts[i] - starts[i - 1]) / MS);
  assert_int_equal(nqueued, 3);
  for (i = 0; i < 4; i++)
    ah_future_free(fs[i]);
  ah_session_free(s);
}

/* A request parked for its host's token keeps its room there, and with
 * it a place in the window: a hop waiting for that room, in the window's
 * only place, kept it from starting when its token came (1 in all, 1 per
 * host, a rate on 127.0.0.1). */
static void test_rate_room_and_hop_do_not_stall(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_future *t0, *f[2];
  char path[96];
  ah_session *s;

  (void)state;
  ah_session_opts_set_max_connections(o, 1, 1);
  ah_session_opts_set_host_rate(o, "127.0.0.1", 2, 1);
  ah_session_opts_add_host_override(o, "b.test", 0, "127.0.0.1");
  s = ah_session_new(o);
  ah_session_opts_free(o);
  t0 = ah_session_fetch(s, tu_url("/hold/10"), NULL); /* takes the token */
  gather_ok(&t0, 1);
  f[0] = ah_session_fetch(s, tu_url("/hold/10"), NULL); /* room, no token */
  snprintf(path, sizeof path, "/redirect-to?http://127.0.0.1:%d/hold/10", tu_port);
  f[1] = ah_session_fetch(s, b_url(path), NULL); /* its hop wants the room */
  gather_ok(f, 2);
  ah_future_free(t0);
  ah_future_free(f[0]);
  ah_future_free(f[1]);
  ah_session_free(s);
}

static char done_order[8];
static int ndone;

static void note_done(ah_future *f, void *ud)
{
  (void)f;
  if (ndone < (int)sizeof done_order - 1)
    done_order[ndone++] = *(const char *)ud;
}

/* One room, one woken request: B, woken when A's redirect left
 * 127.0.0.1, waits for a place in the window while D's hop takes the
 * room; when that hop ends, the room is B's turn, not C's too (C went
 * ahead of B: two woken for one room). Total 2, 1 per host. */
static void test_room_goes_in_order(void **state)
{
  ah_session *s = limited(2, 1, 0);
  ah_future *f[4];
  char a[128], d[128];
  int i;

  (void)state;
  ndone = 0;
  snprintf(a, sizeof a, "/redirect-after/%ld?http://b.test:%d/hold/10",
           (long)(300 * tu_slowdown()), tu_port);
  snprintf(d, sizeof d, "/redirect-after/%ld?http://127.0.0.1:%d/hold/10",
           (long)(600 * tu_slowdown()), tu_port);
  f[0] = ah_session_fetch(s, tu_url(a), NULL);
  f[1] = ah_session_fetch(s, tu_url(hold(200)), NULL); /* B */
  f[2] = ah_session_fetch(s, tu_url("/hold/10"), NULL); /* C */
  f[3] = ah_session_fetch(s, b_url(d), NULL);
  ah_future_on_done(f[1], note_done, "B");
  ah_future_on_done(f[2], note_done, "C");
  gather_ok(f, 4);
  assert_string_equal(done_order, "BC");
  for (i = 0; i < 4; i++)
    ah_future_free(f[i]);
  ah_session_free(s);
}

/* A hop waiting for room ends at its total timeout when libcurl keeps
 * it too: four distinct total timeouts already running take ahttp's four
 * deadline lists, so a fifth request's is libcurl's, which counts
 * nothing while the hop waits outside libcurl (it ended after the 2 s
 * its origin was full, AH_OK). */
static void test_hop_total_kept_by_libcurl(void **state)
{
  ah_session *s = limited(100, 4, 0);
  ah_request_opts *o[5];
  ah_future *f[5];
  char path[96];
  int64_t t0;
  int i;

  (void)state;
  for (i = 0; i < 5; i++)
    o[i] = ah_request_opts_new();
  for (i = 0; i < 4; i++) {
    ah_request_opts_set_timeouts(o[i], (long)(20000 * tu_slowdown()) + 1 + i, 0, 0);
    f[i] = ah_session_fetch(s, tu_url(hold(2000)), o[i]); /* 127.0.0.1 full */
  }
  ah_session_run(s, 100);
  ah_request_opts_set_timeouts(o[4], (long)(300 * tu_slowdown()), 0, 0);
  snprintf(path, sizeof path, "/redirect-to?http://127.0.0.1:%d/hold/10", tu_port);
  t0 = ah__now_ns();
  f[4] = ah_session_fetch(s, b_url(path), o[4]);
  assert_int_equal(ah_future_wait(f[4], (long)(5000 * tu_slowdown())), AH_OK);
  assert_int_equal(ah_future_error(f[4]), AH_ETIMEDOUT);
  assert_true(ah__now_ns() - t0 < (int64_t)(1000 * tu_slowdown()) * MS);
  assert_false(ah_future_done(f[0]));
  gather_ok(f, 4);
  for (i = 0; i < 5; i++) {
    ah_future_free(f[i]);
    ah_request_opts_free(o[i]);
  }
  ah_session_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_room_per_origin_in_order),
    cmocka_unit_test(test_room_then_token),
    cmocka_unit_test(test_hop),
    TU_TEST(test_limit_holds_per_origin),
    TU_TEST(test_timeouts_start_past_the_gate),
    TU_TEST(test_other_hosts_go_past),
    TU_TEST(test_queue_timeout_and_cancel_at_the_gate),
    TU_TEST(test_redirect_waits_for_room),
    TU_TEST(test_waiting_hop_times_out),
    TU_TEST(test_crossed_redirects_do_not_stall),
    TU_TEST(test_rate_holds_beside_the_limit),
    TU_TEST(test_rate_room_and_hop_do_not_stall),
    TU_TEST(test_room_goes_in_order),
    TU_TEST(test_hop_total_kept_by_libcurl),
  };
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
