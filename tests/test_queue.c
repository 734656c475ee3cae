/* test_queue.c - requests beyond the connection limit wait in ahttp's own
 * queue: the limit holds, the order is FIFO, a queued request's timeout
 * starts when it leaves the queue, and canceling it frees its place. */
#include <ahttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static ah_session *limited(long total)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s;

  ah_session_opts_set_max_connections(o, total, 0);
  s = ah_session_new(o);
  ah_session_opts_free(o);
  assert_non_null(s);
  return s;
}

/* Connections the server has accepted so far (its own counter). */
static long server_connections(void)
{
  ah_session *s = ah_session_new(NULL);
  ah_future *f = ah_session_fetch(s, tu_url("/stats"), NULL);
  long n;

  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_OK);
  n = atol(ah_response_body(ah_future_response(f), NULL));
  ah_future_free(f);
  ah_session_free(s);
  return n;
}

static void test_limit_holds(void **state)
{
  ah_session *s = limited(3);
  ah_future *fs[30];
  long before, opened;
  int i;

  (void)state;
  before = server_connections();
  for (i = 0; i < 30; i++)
    fs[i] = ah_session_fetch(s, tu_url("/delay/20"), NULL);
  assert_int_equal(ah_gather(fs, 30, 20000), AH_OK);
  for (i = 0; i < 30; i++) {
    assert_int_equal(ah_future_error(fs[i]), AH_OK);
    ah_future_free(fs[i]);
  }
  /* 3 for the session, 1 for the /stats probe itself. */
  opened = server_connections() - before;
  assert_true(opened >= 2 && opened <= 3 + 1);
  ah_session_free(s);
}

struct order {
  int seen[16];
  int n;
};

struct tag {
  struct order *o;
  int id;
};

static void record(ah_future *f, void *ud)
{
  struct tag *t = ud;
  (void)f;
  t->o->seen[t->o->n++] = t->id;
}

static void test_fifo_order(void **state)
{
  ah_session *s = limited(1);
  ah_future *fs[8];
  struct order o;
  struct tag tags[8];
  int i;

  (void)state;
  memset(&o, 0, sizeof o);
  for (i = 0; i < 8; i++) {
    tags[i].o = &o;
    tags[i].id = i;
    /* Later ones are faster: only the queue keeps them in order. */
    fs[i] = ah_session_fetch(s, tu_url(i == 0 ? "/delay/100" : "/size/1"), NULL);
    ah_future_on_done(fs[i], record, &tags[i]);
  }
  assert_int_equal(ah_gather(fs, 8, 20000), AH_OK);
  assert_int_equal(o.n, 8);
  for (i = 0; i < 8; i++) {
    assert_int_equal(o.seen[i], i);
    ah_future_free(fs[i]);
  }
  ah_session_free(s);
}

/* Each request may take 400 ms; three of 250 ms each through one
 * connection take 750 ms in all. They succeed only if the clock starts at
 * dequeue (libcurl's own pending queue would count the wait). */
static void test_timeout_starts_at_dequeue(void **state)
{
  ah_session *s = limited(1);
  ah_request_opts *o = ah_request_opts_new();
  ah_future *fs[3];
  int i;

  (void)state;
  ah_request_opts_set_timeout(o, 400);
  for (i = 0; i < 3; i++)
    fs[i] = ah_session_fetch(s, tu_url("/delay/250"), o);
  assert_int_equal(ah_gather(fs, 3, 20000), AH_OK);
  for (i = 0; i < 3; i++) {
    if (ah_future_error(fs[i]) != AH_OK)
      fail_msg("request %d: %s", i, ah_future_errmsg(fs[i]));
    ah_future_free(fs[i]);
  }
  ah_request_opts_free(o);
  ah_session_free(s);
}

static void test_cancel_queued(void **state)
{
  ah_session *s = limited(1);
  ah_future *busy, *queued, *after;

  (void)state;
  busy = ah_session_fetch(s, tu_url("/delay/200"), NULL);
  queued = ah_session_fetch(s, tu_url("/delay/5000"), NULL);
  after = ah_session_fetch(s, tu_url("/size/5"), NULL);
  assert_ptr_equal(ah_future_session(queued), s); /* pending while queued */
  assert_int_equal(ah_future_cancel(queued), AH_OK);
  assert_int_equal(ah_future_error(queued), AH_ECANCELED);
  /* The canceled one never started: the next gets the place in turn. */
  assert_int_equal(ah_future_wait(after, 10000), AH_OK);
  assert_int_equal(ah_future_error(after), AH_OK);
  assert_int_equal(ah_future_error(busy), AH_OK);
  ah_future_free(busy);
  ah_future_free(queued);
  ah_future_free(after);
  /* Freeing a queued future and freeing the session with a queue. */
  busy = ah_session_fetch(s, tu_url("/delay/5000"), NULL);
  queued = ah_session_fetch(s, tu_url("/delay/5000"), NULL);
  ah_future_free(queued);
  queued = ah_session_fetch(s, tu_url("/delay/5000"), NULL);
  ah_session_free(s);
  assert_int_equal(ah_future_error(busy), AH_ECANCELED);
  assert_int_equal(ah_future_error(queued), AH_ECANCELED);
  ah_future_free(busy);
  ah_future_free(queued);
}

/* A fetch from a callback goes behind requests already queued. */
struct chain {
  ah_session *s;
  ah_future *late;
  struct order *o;
  struct tag late_tag;
};

static void chain_cb(ah_future *f, void *ud)
{
  struct chain *c = ud;
  (void)f;
  c->o->seen[c->o->n++] = 0;
  c->late = ah_session_fetch(c->s, tu_url("/size/1"), NULL);
  c->late_tag.o = c->o;
  c->late_tag.id = 2;
  ah_future_on_done(c->late, record, &c->late_tag);
}

static void test_callback_fetch_queues_behind(void **state)
{
  struct order o;
  struct chain c;
  struct tag t = {&o, 1};
  ah_future *first, *second;

  (void)state;
  memset(&o, 0, sizeof o);
  c.s = limited(1);
  c.o = &o;
  c.late = NULL;
  first = ah_session_fetch(c.s, tu_url("/size/1"), NULL);
  second = ah_session_fetch(c.s, tu_url("/delay/100"), NULL);
  ah_future_on_done(first, chain_cb, &c);
  ah_future_on_done(second, record, &t);
  assert_int_equal(ah_future_wait(second, 10000), AH_OK);
  assert_non_null(c.late);
  assert_int_equal(ah_future_wait(c.late, 10000), AH_OK);
  assert_int_equal(ah_future_error(c.late), AH_OK);
  /* The slow request queued first completes before the fast late one. */
  assert_int_equal(o.n, 3);
  assert_int_equal(o.seen[0], 0);
  assert_int_equal(o.seen[1], 1);
  assert_int_equal(o.seen[2], 2);
  ah_future_free(first);
  ah_future_free(second);
  ah_future_free(c.late);
  ah_session_free(c.s);
}

/* A request that waits in the queue longer than the queue timeout fails
 * with AH_ETIMEDOUT on its own, while the request holding the only
 * connection is still running; the queue timeout does not touch a
 * request once it has left the queue. */
static void test_queue_timeout(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s;
  ah_future *busy, *waiting, *later;

  (void)state;
  assert_int_equal(ah_session_opts_set_queue_timeout(o, -1), AH_EINVAL);
  ah_session_opts_set_max_connections(o, 1, 0);
  assert_int_equal(ah_session_opts_set_queue_timeout(o, 200), AH_OK);
  s = ah_session_new(o);
  busy = ah_session_fetch(s, tu_url("/delay/1500"), NULL);
  waiting = ah_session_fetch(s, tu_url("/size/10"), NULL);
  assert_int_equal(ah_future_wait(waiting, 10000), AH_OK);
  assert_int_equal(ah_future_error(waiting), AH_ETIMEDOUT);
  assert_non_null(strstr(ah_future_errmsg(waiting), "queue"));
  assert_false(ah_future_done(busy)); /* it fired on its own, not after */
  /* The running request outlives the queue timeout: its own clock. */
  assert_int_equal(ah_future_wait(busy, 10000), AH_OK);
  assert_int_equal(ah_future_error(busy), AH_OK);
  /* With room again, a new request does not wait at all. */
  later = ah_session_fetch(s, tu_url("/size/10"), NULL);
  assert_int_equal(ah_future_wait(later, 10000), AH_OK);
  assert_int_equal(ah_future_error(later), AH_OK);
  ah_future_free(busy);
  ah_future_free(waiting);
  ah_future_free(later);
  ah_session_free(s);
  ah_session_opts_free(o);
}

static long big_body(ah_future *f, char *buf, size_t max, void *ud)
{
  (void)f; (void)ud;
  memset(buf, 'u', max);
  return (long)max; /* endless: the peer never reads it anyway */
}

/* Cancel a request in each state it can be in: queued, resolving,
 * connecting, sending, receiving. Each time its socket is gone at once
 * (the descriptor count is back to what it was), the future says
 * AH_ECANCELED, and the next request gets the one connection slot. */
static void test_cancel_in_every_state(void **state)
{
  enum { QUEUED, RESOLVING, CONNECTING, SENDING, RECEIVING, NSTATES };
  ah_session_opts *so = ah_session_opts_new();
  ah_request_opts *upload = ah_request_opts_new();
  ah_session *s;
  int st, fill[8], nfill, port, lfd;

  (void)state;
  ah_session_opts_set_max_connections(so, 1, 0);
  ah_request_opts_set_body_reader(upload, big_body, NULL, -1);
  for (st = 0; st < NSTATES; st++) {
    char url[96];
    ah_future *f, *busy = NULL, *next;
    int base, i, peer = -1, want;
    s = ah_session_new(so); /* a session each: no idle connection around */
    base = tu_fd_count();
    lfd = -1;
    nfill = 0;
    switch (st) {
    case QUEUED:
      busy = ah_session_fetch(s, tu_url("/delay/300"), NULL);
      f = ah_session_fetch(s, tu_url("/size/10"), NULL);
      break;
    case RESOLVING: /* a name, not an address: libcurl resolves first */
      snprintf(url, sizeof url, "http://localhost:%d/size/10", tu_port);
      f = ah_session_fetch(s, url, NULL);
      ah_session_run(s, 0); /* the resolver starts (it may hold a pipe) */
      break;
    case CONNECTING:
      lfd = tu_listener(&port, 1, fill, &nfill);
      assert_true(lfd >= 0);
      snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
      f = ah_session_fetch(s, url, NULL);
      for (i = 0; i < 5; i++)
        ah_session_run(s, 20);
      break;
    case SENDING: /* a peer that accepts and never reads */
      lfd = tu_listener(&port, 0, fill, &nfill);
      assert_true(lfd >= 0);
      snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
      f = ah_session_fetch(s, url, upload);
      for (i = 0; i < 20 && peer < 0; i++) {
        ah_session_run(s, 20);
        peer = accept(lfd, NULL, NULL);
      }
      assert_true(peer >= 0);
      for (i = 0; i < 10; i++)
        ah_session_run(s, 20); /* until the socket buffers are full */
      break;
    default: /* RECEIVING: a body arriving a byte at a time */
      f = ah_session_fetch(s, tu_url("/drip/50"), NULL);
      for (i = 0; i < 10; i++)
        ah_session_run(s, 30);
      break;
    }
    assert_false(ah_future_done(f));
    /* What should be open once it is canceled: for a queued request
     * whatever is open now (it holds no socket); otherwise what was open
     * before it, plus this test's own listener and peer sockets. */
    if (st == QUEUED) {
      want = tu_fd_count();
    } else {
      want = base + (peer >= 0) + (lfd >= 0) + nfill;
      if (st != RESOLVING && tu_fd_count() <= want)
        fail_msg("state %d: the request holds no socket yet", st);
    }
    assert_int_equal(ah_future_cancel(f), AH_OK);
    assert_int_equal(ah_future_error(f), AH_ECANCELED);
    if (tu_fd_count() != want) /* at once */
      fail_msg("state %d: %d descriptors open, want %d", st, tu_fd_count(), want);
    ah_future_free(f);
    if (busy) {
      assert_int_equal(ah_future_wait(busy, 10000), AH_OK);
      ah_future_free(busy);
    }
    next = ah_session_fetch(s, tu_url("/size/10"), NULL);
    assert_int_equal(ah_future_wait(next, 10000), AH_OK);
    if (ah_future_error(next) != AH_OK)
      fail_msg("state %d: the next request failed: %s", st, ah_future_errmsg(next));
    ah_future_free(next);
    if (peer >= 0)
      close(peer);
    for (i = 0; i < nfill; i++)
      close(fill[i]);
    if (lfd >= 0)
      close(lfd);
    ah_session_free(s);
  }
  ah_session_opts_free(so);
  ah_request_opts_free(upload);
}

/* A request ends, and before its future completes the next one starts
 * in its place; that start fails (its body's rewind refuses) and the
 * failed one's callback cancels the first future. The first request is
 * already gone: the cancel must not touch it (it did: a use after free,
 * found by a review under ASan), and the first future completes as it
 * would have. */
static ah_future *first_of_pair;

static void cancel_first(ah_future *f, void *ud)
{
  (void)f;
  (void)ud;
  assert_int_equal(ah_future_cancel(first_of_pair), AH_OK);
}

static int refuse_rewind(ah_future *f, void *ud)
{
  (void)f;
  (void)ud;
  return -1;
}

static void test_cancel_while_ending(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_request_opts *put_o = ah_request_opts_new();
  static struct tu_text body = {"hello", 0, 0};
  ah_session *s;
  ah_future *b;
  char path[64];

  (void)state;
  ah_session_opts_set_max_connections(so, 1, 1);
  ah_session_opts_set_retries(so, 2, AH_RETRY_STATUS);
  ah_session_opts_set_retry_backoff(so, 1, 1);
  ah_session_opts_set_retry_budget(so, -1, 0);
  s = ah_session_new(so);
  ah_session_opts_free(so);
  ah_request_opts_set_method(put_o, "PUT");
  ah_request_opts_set_body_reader(put_o, tu_text_read, &body, 5);
  ah_request_opts_set_body_rewind(put_o, refuse_rewind);
  /* b: a 503, retried; its retry waits in the queue behind the first. */
  snprintf(path, sizeof path, "/flaky/cancel-ending-%d/1/503", (int)getpid());
  b = ah_session_fetch(s, tu_url(path), put_o);
  ah_future_on_done(b, cancel_first, NULL);
  first_of_pair = ah_session_fetch(s, tu_url("/delay/300"), NULL);
  assert_int_equal(ah_future_wait(first_of_pair, 10000), AH_OK);
  assert_int_equal(ah_future_error(first_of_pair), AH_OK); /* it had ended */
  assert_int_equal(ah_future_wait(b, 10000), AH_OK);
  assert_int_equal(ah_future_error(b), AH_ESTOPPED); /* the rewind refused */
  ah_future_free(first_of_pair);
  ah_future_free(b);
  ah_request_opts_free(put_o);
  ah_session_free(s);
}

/* A request fetched during the reactor's turn (from an on_done callback)
 * starts when the turn ends, after every end of that turn (the phases of
 * curl_bridge.c): its attempt has not started when the fetch returns,
 * has when the turn is over, and it never waited in the queue while the
 * window had room. It holds its place in the window meanwhile: with one
 * connection a second such fetch waits in the queue, behind it. Canceled
 * before the turn ends, it ends at once and never starts. */
struct turn_log {
  ah_session *s;
  ah_future *f[4];  /* ready, queued, canceled, first */
  struct { int type; ah_future *f; } ev[64];
  int nev;
  int nev_at_fetch;
};

static void turn_event(const ah_event *ev, void *ud)
{
  struct turn_log *l = ud;

  if (l->nev < 64) {
    l->ev[l->nev].type = ev->type;
    l->ev[l->nev++].f = ev->future;
  }
}

/* How many events of type for the future i, among the first n. */
static int events_of(const struct turn_log *l, int i, int type, int n)
{
  int k, c = 0;

  for (k = 0; k < n; k++)
    c += l->ev[k].f == l->f[i] && l->ev[k].type == type;
  return c;
}

/* The order in which the futures' DONE events came: order[k] = i. */
static int done_order(const struct turn_log *l, int *order)
{
  int k, i, n = 0;

  for (k = 0; k < l->nev; k++)
    for (i = 0; i < 4; i++)
      if (l->ev[k].type == AH_EVENT_DONE && l->ev[k].f == l->f[i] && n < 4)
        order[n++] = i;
  return n;
}

static void turn_fetch(ah_future *f, void *ud)
{
  struct turn_log *l = ud;
  ah_session *s = l->s;

  (void)f;
  l->f[0] = ah_session_fetch(s, tu_url("/size/2"), NULL);
  l->f[1] = ah_session_fetch(s, tu_url("/size/3"), NULL);
  l->f[2] = ah_session_fetch(s, tu_url("/size/4"), NULL);
  l->nev_at_fetch = l->nev;
  assert_int_equal(ah_future_cancel(l->f[2]), AH_OK);
  assert_true(ah_future_done(l->f[2])); /* at once */
  assert_int_equal(ah_future_error(l->f[2]), AH_ECANCELED);
}

static void test_fetched_in_a_turn_starts_at_its_end(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  struct turn_log l;
  ah_session *s;
  int i, runs, order[4];

  (void)state;
  memset(&l, 0, sizeof l);
  ah_session_opts_set_max_connections(o, 1, 0);
  ah_session_opts_on_event(o, turn_event, &l);
  s = l.s = ah_session_new(o);
  ah_session_opts_free(o);
  l.f[3] = ah_session_fetch(s, tu_url("/size/1"), NULL);
  ah_future_on_done(l.f[3], turn_fetch, &l);
  for (runs = 0; runs < 500 && !ah_future_done(l.f[3]); runs++)
    ah_session_run(s, 20);
  assert_true(ah_future_done(l.f[3]));
  assert_non_null(l.f[0]);
  /* not started inside the fetch, started once the turn ended */
  assert_int_equal(events_of(&l, 0, AH_EVENT_DEQUEUED, l.nev_at_fetch), 0);
  assert_int_equal(ah_future_wait(l.f[1], 10000), AH_OK);
  assert_int_equal(events_of(&l, 0, AH_EVENT_DEQUEUED, l.nev), 1);
  assert_int_equal(events_of(&l, 0, AH_EVENT_QUEUED, l.nev), 0); /* had room */
  assert_int_equal(events_of(&l, 1, AH_EVENT_QUEUED, l.nev), 1); /* had none */
  assert_int_equal(events_of(&l, 2, AH_EVENT_DEQUEUED, l.nev), 0); /* canceled */
  assert_int_equal(ah_future_error(l.f[0]), AH_OK);
  assert_int_equal(ah_future_error(l.f[1]), AH_OK);
  /* first, the canceled one (at once), the ready one, then the queued. */
  assert_int_equal(done_order(&l, order), 4);
  assert_int_equal(order[0], 3);
  assert_int_equal(order[1], 2);
  assert_int_equal(order[2], 0);
  assert_int_equal(order[3], 1);
  for (i = 0; i < 4; i++)
    ah_future_free(l.f[i]);
  ah_session_free(s);
}

/* The session freed from a callback, with a request fetched in the same
 * turn not started yet: that request ends canceled, and nothing leaks
 * (the sanitizer and valgrind legs). */
static ah_future *fetched_then_freed;

static void fetch_then_free(ah_future *f, void *ud)
{
  ah_session *s = ud;

  (void)f;
  fetched_then_freed = ah_session_fetch(s, tu_url("/size/2"), NULL);
  ah_session_free(s);
}

static void test_session_freed_before_turn_ends(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_future *f;
  int runs;

  (void)state;
  fetched_then_freed = NULL;
  f = ah_session_fetch(s, tu_url("/size/1"), NULL);
  ah_future_on_done(f, fetch_then_free, s);
  for (runs = 0; runs < 500 && !ah_future_done(f); runs++)
    ah_session_run(s, 20);
  assert_true(ah_future_done(f));
  assert_non_null(fetched_then_freed);
  assert_true(ah_future_done(fetched_then_freed));
  assert_int_equal(ah_future_error(fetched_then_freed), AH_ECANCELED);
  assert_non_null(strstr(ah_future_errmsg(fetched_then_freed), "session was freed"));
  ah_future_free(fetched_then_freed);
  ah_future_free(f);
}

/* Two retries fall due in one turn while a request fetched in that turn
 * (by the callback of a retry whose rewind refused) holds the window's
 * one place: the second retry waits in the queue (a review found it
 * started inside the turn, two requests in libcurl for a window of 1). */
static ah_session *rw_s;
static ah_future *rw_x;
struct rw_log {
  int type[256];
  ah_future *f[256];
  int n;
};

static void rw_event(const ah_event *ev, void *ud)
{
  struct rw_log *l = ud;

  if (l->n < 256) {
    l->type[l->n] = ev->type;
    l->f[l->n++] = ev->future;
  }
}

static void rw_fetch(ah_future *f, void *ud)
{
  (void)f;
  (void)ud;
  rw_x = ah_session_fetch(rw_s, tu_url("/delay/300"), NULL);
}

static void test_retry_due_in_a_turn_keeps_the_window(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_request_opts *put_o = ah_request_opts_new();
  static struct tu_text body = {"hello", 0, 0};
  static struct rw_log l;
  ah_future *r1, *r2;
  char p1[96], p2[96];
  int i, k, retries = 0, mark, dequeued = 0, r2_queued = 0;

  (void)state;
  memset(&l, 0, sizeof l);
  rw_x = NULL;
  ah_session_opts_set_max_connections(so, 1, 0);
  ah_session_opts_set_retries(so, 2, AH_RETRY_STATUS);
  ah_session_opts_set_retry_backoff(so, 1, 5000);
  ah_session_opts_set_retry_budget(so, -1, 0);
  ah_session_opts_on_event(so, rw_event, &l);
  rw_s = ah_session_new(so);
  ah_request_opts_set_method(put_o, "PUT");
  ah_request_opts_set_body_reader(put_o, tu_text_read, &body, 5);
  ah_request_opts_set_body_rewind(put_o, refuse_rewind);
  snprintf(p1, sizeof p1, "/flaky/rw1-%d/1/503?retry-after=1", (int)getpid());
  snprintf(p2, sizeof p2, "/flaky/rw2-%d/1/503?retry-after=1", (int)getpid());
  r1 = ah_session_fetch(rw_s, tu_url(p1), put_o);
  ah_future_on_done(r1, rw_fetch, NULL);
  r2 = ah_session_fetch(rw_s, tu_url(p2), NULL);
  for (i = 0; i < 300 && retries < 2; i++) {
    ah_session_run(rw_s, 10);
    for (retries = 0, k = 0; k < l.n; k++)
      retries += l.type[k] == AH_EVENT_RETRY;
  }
  assert_int_equal(retries, 2);
  usleep(1500 * 1000); /* both retries fall due before the next turn */
  mark = l.n;
  ah_session_run(rw_s, 0);
  for (k = mark; k < l.n; k++) {
    dequeued += l.type[k] == AH_EVENT_DEQUEUED;
    r2_queued += l.type[k] == AH_EVENT_QUEUED && l.f[k] == r2;
  }
  assert_non_null(rw_x);
  assert_int_equal(dequeued, 1); /* the window's one place, once */
  assert_int_equal(r2_queued, 1);
  assert_int_equal(ah_future_wait(r2, 10000), AH_OK);
  assert_int_equal(ah_future_error(r2), AH_OK);
  assert_int_equal(ah_future_wait(rw_x, 10000), AH_OK);
  assert_int_equal(ah_future_error(rw_x), AH_OK);
  ah_future_free(r1);
  ah_future_free(r2);
  ah_future_free(rw_x);
  ah_session_free(rw_s);
  ah_session_opts_free(so);
  ah_request_opts_free(put_o);
}

/* The total and connect timeouts ahttp keeps itself (queue.c), in a list
 * per span. */

static double mono_s(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void note_end(ah_future *f, void *ud)
{
  (void)f;
  *(double *)ud = mono_s();
}

/* Five timeouts at once: four spans have a list each, the fifth is left
 * to libcurl (its own words in the message). Each ends at its time, not
 * before. */
static void test_timeouts_kept_per_span(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o[5];
  ah_future *fs[5];
  double t0, end[5];
  long ms;
  int i;

  (void)state;
  t0 = mono_s();
  for (i = 0; i < 5; i++) {
    o[i] = ah_request_opts_new();
    ah_request_opts_set_timeout(o[i], 300 + 100 * i);
    fs[i] = ah_session_fetch(s, tu_url("/silent"), o[i]);
    ah_future_on_done(fs[i], note_end, &end[i]);
  }
  assert_int_equal(ah_gather(fs, 5, 20000), AH_OK);
  for (i = 0; i < 5; i++) {
    const char *m = ah_future_errmsg(fs[i]);
    ms = (long)((end[i] - t0) * 1000);
    assert_int_equal(ah_future_error(fs[i]), AH_ETIMEDOUT);
    if (ms < 300 + 100 * i)
      fail_msg("request %d, timeout %d ms, ended after %ld ms", i, 300 + 100 * i, ms);
    if ((strstr(m, "total timeout passed") != NULL) != (i < 4))
      fail_msg("request %d: %s", i, m);
    ah_future_free(fs[i]);
    ah_request_opts_free(o[i]);
  }
  ah_session_free(s);
}

/* The head of a list that ended early leaves the timer set for its
 * deadline: it fires for nothing, and the request behind it still gets
 * its whole time. */
static void test_timeout_not_early_behind_an_end(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_session *s;
  ah_future *a, *b;
  double t0;
  long ms;

  (void)state;
  assert_int_equal(ah_session_opts_set_timeouts(so, 500, -1, -1), AH_OK);
  s = ah_session_new(so);
  a = ah_session_fetch(s, tu_url("/delay/10"), NULL);
  assert_int_equal(ah_future_wait(a, 10000), AH_OK);
  assert_int_equal(ah_future_error(a), AH_OK);
  usleep(250000); /* a's deadline falls in b's wait */
  t0 = mono_s();
  b = ah_session_fetch(s, tu_url("/silent"), NULL);
  assert_int_equal(ah_future_wait(b, 10000), AH_OK);
  ms = (long)((mono_s() - t0) * 1000);
  assert_int_equal(ah_future_error(b), AH_ETIMEDOUT);
  if (ms < 500)
    fail_msg("a 500 ms timeout ended after %ld ms", ms);
  assert_non_null(strstr(ah_future_errmsg(b), "total timeout passed"));
  ah_future_free(a);
  ah_future_free(b);
  ah_session_free(s);
  ah_session_opts_free(so);
}

/* A response that came before its deadline but is read in the turn in
 * which the deadline falls due (the program did not run the session in
 * between) is the response: the transfers libcurl ended in a turn are
 * reported before the timeouts due in it are applied. */
static void test_response_read_with_its_deadline_due(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_session *s;
  ah_future *f;
  double t0;
  int i;

  (void)state;
  assert_int_equal(ah_session_opts_set_timeouts(so, 300, -1, -1), AH_OK);
  s = ah_session_new(so);
  f = ah_session_fetch(s, tu_url("/delay/100"), NULL);
  t0 = mono_s();
  for (i = 0; i < 1000 && mono_s() - t0 < 0.03; i++) /* connect, send */
    assert_true(ah_session_run(s, 5) >= 0);
  assert_false(ah_future_done(f));
  usleep(500000); /* the answer arrives at 100 ms, the deadline at 300 */
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_int_equal(ah_response_status(ah_future_response(f)), 200);
  ah_future_free(f);
  ah_session_free(s);
  ah_session_opts_free(so);
}

/* The connect timeout ends once the connection is ready: a response that
 * takes longer than it still comes; a connection that never completes
 * ends at it. */
static void test_connect_timeout_until_connected(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  int fill[8], nfill, port, i;
  int lfd = tu_listener(&port, 1, fill, &nfill);
  ah_session *s;
  ah_future *f;
  char url[64];

  (void)state;
  assert_true(lfd >= 0);
  assert_int_equal(ah_session_opts_set_timeouts(so, -1, 200, -1), AH_OK);
  s = ah_session_new(so);
  f = ah_session_fetch(s, tu_url("/delay/600"), NULL);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  if (ah_future_error(f) != AH_OK)
    fail_msg("%s", ah_future_errmsg(f));
  ah_future_free(f);
  snprintf(url, sizeof url, "http://127.0.0.1:%d/", port); /* its queue is full */
  f = ah_session_fetch(s, url, NULL);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_ETIMEDOUT);
  assert_non_null(strstr(ah_future_errmsg(f), "connect timeout"));
  ah_future_free(f);
  ah_session_free(s);
  ah_session_opts_free(so);
  for (i = 0; i < nfill; i++)
    close(fill[i]);
  close(lfd);
}

/* A total timeout reports libcurl's code for it (28) whether ahttp or
 * libcurl kept it: the fifth span is left to libcurl. */
static void test_timeout_curl_code_the_same_either_way(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o[5];
  ah_future *fs[5];
  int i;

  (void)state;
  for (i = 0; i < 5; i++) {
    o[i] = ah_request_opts_new();
    ah_request_opts_set_timeout(o[i], 300 + 50 * i);
    fs[i] = ah_session_fetch(s, tu_url("/silent"), o[i]);
  }
  assert_int_equal(ah_gather(fs, 5, 20000), AH_OK);
  for (i = 0; i < 5; i++) {
    assert_int_equal(ah_future_error(fs[i]), AH_ETIMEDOUT);
    if (ah_future_curl_code(fs[i]) != 28)
      fail_msg("request %d: curl code %d (%s)", i, ah_future_curl_code(fs[i]),
               ah_future_errmsg(fs[i]));
    ah_future_free(fs[i]);
    ah_request_opts_free(o[i]);
  }
  ah_session_free(s);
}
/* A server that answers the first request with a digest challenge and
 * Connection: close, then stops accepting (its accept queue full): the
 * client's second connect never completes. */
struct challenger {
  int lfd, port, fill[8], nfill;
};

static void *challenge_once(void *arg)
{
  struct challenger *c = arg;
  static const char resp[] =
      "HTTP/1.1 401 Unauthorized\r\n"
      "WWW-Authenticate: Digest realm=\"r\", nonce=\"abc\", qop=\"auth\"\r\n"
      "Content-Length: 0\r\nConnection: close\r\n\r\n";
  struct sockaddr_in a;
  char buf[4096];
  int fd = accept(c->lfd, NULL, NULL), i;

  if (fd < 0)
    return NULL;
  (void)!read(fd, buf, sizeof buf);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((uint16_t)c->port);
  /* Fill the accept queue before the close: the reconnect hangs. */
  for (i = 0; i < 8; i++) {
    struct pollfd p;
    c->fill[c->nfill] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(c->fill[c->nfill], (struct sockaddr *)&a, sizeof a);
    p.fd = c->fill[c->nfill++];
    p.events = POLLOUT;
    if (poll(&p, 1, 200) == 0)
      break;
  }
  (void)!write(fd, resp, sizeof resp - 1);
  close(fd);
  return NULL;
}

/* libcurl's resend after a digest challenge on a new connection: the
 * connect timeout holds for that connect too, as libcurl's did. */
static void test_connect_timeout_on_the_digest_reconnect(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_request_opts *o = ah_request_opts_new();
  struct challenger c = {.nfill = 0};
  int unused[8], nunused, i;
  pthread_t th;
  ah_session *s;
  ah_future *f;
  char url[64];

  (void)state;
  c.lfd = tu_listener(&c.port, 0, unused, &nunused);
  assert_true(c.lfd >= 0);
  listen(c.lfd, 0);
  assert_int_equal(pthread_create(&th, NULL, challenge_once, &c), 0);
  assert_int_equal(ah_session_opts_set_timeouts(so, 0, 300, -1), AH_OK);
  ah_request_opts_set_digest_auth(o, "u", "p");
  s = ah_session_new(so);
  snprintf(url, sizeof url, "http://127.0.0.1:%d/x", c.port);
  f = ah_session_fetch(s, url, o);
  if (ah_future_wait(f, 5000) != AH_OK)
    fail_msg("still running after 5 s, with a connect timeout of 300 ms");
  assert_int_equal(ah_future_error(f), AH_ETIMEDOUT);
  ah_future_free(f);
  ah_session_free(s);
  pthread_join(th, NULL);
  for (i = 0; i < c.nfill; i++)
    close(c.fill[i]);
  close(c.lfd);
  ah_request_opts_free(o);
  ah_session_opts_free(so);
}

/* A timeout too long to count in nanoseconds (LONG_MAX: "never") is
 * none, as it was for libcurl: not one that has already passed. */
static void test_longest_timeout_is_not_past(void **state)
{
  ah_request_opts *o = ah_request_opts_new();
  ah_session *s = ah_session_new(NULL);
  ah_future *f;

  (void)state;
  assert_int_equal(ah_request_opts_set_timeouts(o, LONG_MAX, LONG_MAX, -1), AH_OK);
  f = ah_session_fetch(s, tu_url("/delay/50"), o);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  if (ah_future_error(f) != AH_OK)
    fail_msg("%s", ah_future_errmsg(f));
  ah_future_free(f);
  ah_session_free(s);
  ah_request_opts_free(o);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_queue_timeout),
    TU_TEST(test_limit_holds),
    TU_TEST(test_fifo_order),
    TU_TEST(test_timeout_starts_at_dequeue),
    TU_TEST(test_cancel_queued),
    TU_TEST(test_callback_fetch_queues_behind),
    TU_TEST(test_cancel_in_every_state),
    TU_TEST(test_cancel_while_ending),
    TU_TEST(test_fetched_in_a_turn_starts_at_its_end),
    TU_TEST(test_session_freed_before_turn_ends),
    TU_TEST(test_retry_due_in_a_turn_keeps_the_window),
    TU_TEST(test_timeouts_kept_per_span),
    TU_TEST(test_timeout_not_early_behind_an_end),
    TU_TEST(test_response_read_with_its_deadline_due),
    TU_TEST(test_connect_timeout_until_connected),
    TU_TEST(test_timeout_curl_code_the_same_either_way),
    TU_TEST(test_longest_timeout_is_not_past),
    TU_TEST(test_connect_timeout_on_the_digest_reconnect),
  };
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
