/* queue.c - the session's admission (queue.h): the FIFO queue and its
 * timeout, the connection window, the retry list, the pause when
 * descriptors run out, and a request's start and end. The per-host gates
 * a request passes on its way out of the queue are in gate.c. */
#include "queue.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "curl_caps.h"
#include "easy.h"
#include "error.h"
#include "event.h"
#include "future.h"
#include "gate.h"
#include "journey.h"
#include "reactor.h"
#include "request.h"
#include "request_opts.h"
#include "response.h"
#include "rx.h"
#include "session_opts.h"
#include "url.h"

/* An event of q, now. */
static void event(struct ah__queue *aq, struct ah__request *q, int type, int status,
                  int err, int64_t delay_ns)
{
  ah__tell(aq->d, q, type, ah__now_ns(), status, err, delay_ns);
}

/* Requests. */

static void wake(struct ah__queue *aq, struct ah__request *w);

static void request_free(struct ah__queue *aq, struct ah__request *q)
{
  wake(aq, ah__gates_leave(&aq->g, q)); /* a start that failed */
  ah__dl_remove(&q->total_dl);
  ah__dl_remove(&q->connect_dl);
  if (q->slot)
    ah__pool_put(&aq->pool, q->slot);
  curl_url_cleanup(q->url);
  ah__journey_free(q->j);
  ah__reqspec_unref(q->spec);
  ah__free(q);
}

static void pump(struct ah__queue *aq);
static void arm(struct ah__queue *aq);
static void finish(struct ah__queue *aq, struct ah__request *q, CURLcode rc, int err);
static void on_timer(void *arg);
static void time_out(struct ah__queue *aq, struct ah__request *q, const char *why);

/* The one transition of a request's place (enum ah__place, request.h):
 * out of the list of the place it is in (out of libcurl, for ACTIVE),
 * then into the list of place to, before before (NULL: at the tail; the
 * queue and the retry list take a position, the others append). The
 * timers of the queue's head and of the retry list's head follow. */
/* Places are tested most travelled first, in chains of ifs: a switch's
 * jump table mispredicted about twice per request. */
static void move(struct ah__queue *aq, struct ah__request *q, enum ah__place to,
                 struct ah__request *before)
{
  enum ah__place from = (enum ah__place)q->place;

  if (from == AH__ACTIVE) {
    ah__bridge_remove(aq->bridge, q->slot->easy);
    ah__list_remove(&aq->active, q);
  } else if (from == AH__READY) {
    ah__list_remove(&aq->ready, q);
  } else if (from == AH__QUEUED || from == AH__WAITING) {
    ah__list_remove(from == AH__QUEUED ? &aq->queue : &aq->waiting, q);
    arm(aq);
  } else if (from == AH__PARKED || from == AH__HELD) {
    ah__gates_unlink(&aq->g, q, from);
  }
  q->place = (uint8_t)to;
  if (to == AH__ACTIVE) {
    ah__list_append(&aq->active, q);
  } else if (to == AH__READY) {
    ah__list_append(&aq->ready, q);
  } else if (to == AH__QUEUED) {
    ah__list_insert(&aq->queue, before, q);
    if (aq->queue.head == q)
      arm(aq);
  } else if (to == AH__WAITING) {
    ah__list_insert(&aq->waiting, before, q);
    arm(aq);
  } else if (to == AH__PARKED || to == AH__HELD) {
    ah__gates_link(&aq->g, q, to);
  }
}

/* Room in the window: requests in libcurl or about to be, and those that
 * keep their place while they wait at a gate (gate.h: nheld). */
static int room(const struct ah__queue *aq)
{
  return aq->active.n + aq->ready.n + aq->g.nheld < aq->window;
}

static void gate_timer_at(struct ah__queue *aq, int64_t at)
{
  if (at < aq->gate_due) {
    aq->gate_due = at;
    arm(aq);
  }
}

/* 1 when q, leaving the queue, may start now; else 0: it waits at a gate. */
static int admit(struct ah__queue *aq, struct ah__request *q)
{
  int64_t due, queued = q->queued_ns;
  int place;

  if (!aq->g.limited && aq->g.hosts.limit == 0)
    return 1;
  if ((place = ah__gates_pass(&aq->g, q, ah__now_ns(), aq->queue_ns, &due)) == AH__ACTIVE)
    return 1;
  move(aq, q, (enum ah__place)place, NULL);
  if (q->place != place)
    return 1; /* its bucket could not be found again (no memory): not held */
  gate_timer_at(aq, due);
  if (queued == 0 && aq->d->on_event != NULL) /* told once for one wait */
    event(aq, q, AH_EVENT_QUEUED, 0, 0, 0);
  return 0;
}

/* Room came at an origin for w (ah__gates_leave): a redirect's hop (in
 * the window) starts with the next starts, another goes to the queue's head. */
static void wake(struct ah__queue *aq, struct ah__request *w)
{
  if (w != NULL)
    move(aq, w, w->slot != NULL ? AH__READY : AH__QUEUED, aq->queue.head);
}

/* The gates' timer: those waiting there past the queue timeout end,
 * those whose token came go to the queue's head in order. */
static void gates_due(struct ah__queue *aq, int64_t now)
{
  struct ah__request *q, *before;
  int64_t next = AH__NO_DEADLINE;

  while (!aq->closing && (q = ah__gates_expired(&aq->g, now, aq->queue_ns)) != NULL)
    q->slot != NULL ? time_out(aq, q, "the request's total timeout passed") /* a hop */
                    : finish(aq, q, CURLE_OK, AH_ETIMEDOUT);
  before = aq->queue.head;
  while (!aq->closing && (q = ah__gates_token(&aq->g, now, aq->queue_ns, &next)) != NULL)
    move(aq, q, q->host_held ? AH__READY : AH__QUEUED, before); /* its room kept */
  gate_timer_at(aq, next);
  pump(aq);
}
static int start(struct ah__queue *aq, struct ah__request *q, const char **why);
static int follow(struct ah__queue *aq, struct ah__request *q, const char **why);

/* Start q, taken off a list; if it cannot start, it ends with the reason. */
static void start_or_fail(struct ah__queue *aq, struct ah__request *q)
{
  const char *why = NULL;
  int err;

  if ((err = start(aq, q, &why)) != AH_OK) {
    ah_future *f = q->f;
    request_free(aq, q);
    ah__future_complete(f, err, NULL, ah__message(err, why, NULL));
  }
}

/* Start q, taken off a list, now; during the reactor's turn at its end
 * (READY: it holds its place in the window meanwhile). */
static void start_or_ready(struct ah__queue *aq, struct ah__request *q)
{
  if (aq->bridge->turn)
    move(aq, q, AH__READY, NULL);
  else
    start_or_fail(aq, q);
}

/* q's attempt is over and another will follow: let go of the easy
 * handle (others may use it meanwhile) and forget the attempt. */
static void end_attempt(struct ah__queue *aq, struct ah__request *q)
{
  ah__pool_put(&aq->pool, q->slot);
  ah__request_rearm(q);
}

/* Retry q later if the policy says so (on its response's headers for a
 * status, now for a failure): 1 when it waits in aq->waiting. */
static int retry_later(struct ah__queue *aq, struct ah__request *q, int err)
{
  int64_t now, delay = q->retry_ns;
  struct ah__request *at;

  if (delay < 0 && err == AH_OK)
    return 0; /* the common case: a response, not to be retried */
  now = ah__now_ns();
  if (delay < 0)
    delay = ah__retry_decide(&aq->rt, q->attempt,
                             ah__request_attempts(q, aq->rt.p.attempts),
                             ah__request_outcome(q, err), 0,
                             ah__request_resendable(q) && ah__request_replayable(q),
                             NULL, now, time(NULL));
  if (delay < 0)
    return 0;
  if (aq->d->on_event != NULL)
    event(aq, q, AH_EVENT_RETRY, q->rx->status, err, delay);
  end_attempt(aq, q);
  q->attempt++;
  q->queued_ns = 0;
  q->retry_ns = now + delay; /* now the time it falls due */
  /* Sorted by due time; most retries fall due after those waiting. */
  for (at = aq->waiting.tail; at != NULL && at->retry_ns > q->retry_ns; at = at->prev)
    ;
  move(aq, q, AH__WAITING, at ? at->next : aq->waiting.head);
  pump(aq);
  return 1;
}

/* Requests whose wait is over go back in: started if there is room, else
 * at the tail of the queue like a new fetch. */
static void retries_due(struct ah__queue *aq, int64_t now)
{
  while (!aq->closing && aq->waiting.head && aq->waiting.head->retry_ns <= now) {
    struct ah__request *q = aq->waiting.head;
    move(aq, q, AH__NOWHERE, NULL);
    q->retry_ns = -1;
    if (room(aq) && aq->queue.head == NULL && !aq->starved) {
      if (admit(aq, q))
        start_or_ready(aq, q);
    } else {
      q->queued_ns = now;
      move(aq, q, AH__QUEUED, NULL);
      if (aq->d->on_event != NULL)
        event(aq, q, AH_EVENT_QUEUED, 0, 0, 0);
    }
  }
  pump(aq); /* a start that failed may have woken one waiting at its host */
}

/* Out of descriptors before anything was sent: q goes back to the head of
 * the queue, and admission pauses until a request of the session ends or
 * a timer (10 ms, doubling to 1 s) lets it try again. It fails with
 * AH_ENOFD once it has waited ah__request_fd_wait_ms. 1 when requeued. */
static int starve(struct ah__queue *aq, struct ah__request *q)
{
  int64_t now = ah__now_ns(), limit;

  limit = (int64_t)ah__request_fd_wait_ms(q, aq->d) * 1000000;
  if (q->sent)
    return 0;
  if (q->starved_ns == 0)
    q->starved_ns = now;
  else if (now - q->starved_ns >= limit)
    return 0;
  end_attempt(aq, q);
  /* Its place in the queue's order: where it would be had it waited. */
  q->queued_ns = now - q->queued_ns;
  move(aq, q, AH__QUEUED, aq->queue.head);
  aq->starve_ns = aq->starved ? aq->starve_ns * 2 : 10000000;
  if (aq->starve_ns > 1000000000)
    aq->starve_ns = 1000000000;
  aq->starved = 1;
  aq->fd_due = now + aq->starve_ns;
  arm(aq);
  return 1;
}

static void unstarve(struct ah__queue *aq)
{
  aq->starved = 0;
  arm(aq);
}

/* End a request: out of libcurl (or the queue), start the next queued
 * request in its place, then complete its future. Starting the next one
 * first keeps the queue FIFO: a fetch from the callback queues behind it.
 * rc is the transfer's result, or err (not AH_OK) overrides it. */
static void finish(struct ah__queue *aq, struct ah__request *q, CURLcode rc, int err)
{
  ah_future *f = q->f;
  ah_response *resp = NULL;
  char *msg = NULL;
  int marked = 0;

  q->curl_code = 0; /* ah__request_result names libcurl's failure, if any */
  if (q->place == AH__ACTIVE && ah__request_leave_connection(q, rc, aq->active.head, &marked))
    ah__bridge_shut_connection(q->slot->easy);
  aq->nshut += (size_t)(ptrdiff_t)marked; /* while any, new requests keep off */
  move(aq, q, AH__NOWHERE, NULL);
  ah__dl_remove(&q->connect_dl);
  if (q->doom_err)
    aq->ndoomed--;
  if (err == AH_OK && rc == CURLE_OK)
    ah__request_cookies(q);
  if (err == AH_OK && q->doom_err == 0 && !aq->closing &&
      ah__request_redirected(q, rc)) {
    const char *why;
    if ((err = ah__request_redirect(q, &why)) == AH_OK) {
      if ((err = follow(aq, q, &why)) == AH_OK) {
        pump(aq); /* its room at the origin it left may go to another */
        return; /* the next hop is under way */
      }
      msg = ah__message(err, why, NULL);
      goto done;
    }
    /* A redirect that cannot be followed ends the transfer: the
     * response's URL names where it was. */
    q->abort_err = err;
    q->abort_why = why;
    rc = CURLE_ABORTED_BY_CALLBACK;
    err = AH_OK;
  }
  ah__dl_remove(&q->total_dl); /* the attempt is over */
  wake(aq, ah__gates_leave(&aq->g, q));
  if (err == AH_OK) {
    err = ah__request_result(q, rc, &msg, &resp);
    if (!aq->closing && q->doom_err == 0 &&
        (err == AH_ENOFD ? starve(aq, q) : retry_later(aq, q, err))) {
      ah__free(msg);
      ah__response_free(resp);
      return;
    }
    if (q->attempt > 1 && msg != NULL)
      msg = ah__message_attempts(msg, q->attempt);
  } else if (err == AH_ECANCELED) {
    msg = ah__message(err, aq->closing ? "the session was freed"
                                      : "canceled by the caller", NULL);
  } else if (err == AH_ETIMEDOUT) {
    msg = ah__message(err, "the request waited in the session's queue longer "
                           "than its queue timeout", NULL);
  } else {
    msg = ah__message(err, q->doom_why ? q->doom_why
                           : q->watch_err ? "the reactor could not watch a socket"
                                          : "the request could not be started",
                      NULL);
  }
done:
  wake(aq, ah__gates_leave(&aq->g, q));
  if (aq->d->on_event != NULL)
    event(aq, q, AH_EVENT_DONE, resp ? ah_response_status(resp) : 0, err, 0);
  /* The request goes now, its future completes after the next ones are
   * started (FIFO): a callback run meanwhile (the next one's start that
   * failed, a rewind) may cancel or free this future, which then has no
   * request to end (a cancel is a no-op, a free waits for the end). */
  f->u.req = NULL;
  f->curl_code = err != AH_OK ? q->curl_code : 0;
  request_free(aq, q);
  if (aq->starved)
    unstarve(aq); /* a request ended: a descriptor may be free again */
  pump(aq);
  ah__future_complete(f, err, resp, msg);
}

/* Start a reader's body over before it is sent again. The rewind runs
 * the caller's code, which may cancel or free this very future: as inside
 * libcurl, that is deferred, and ends it here. */
static int rewind_body(struct ah__queue *aq, struct ah__request *q, const char **why)
{
  int err;

  aq->bridge->in_curl++;
  err = ah__request_rewind(q, why);
  aq->bridge->in_curl--;
  if (q->doom_err != 0) {
    err = q->doom_err;
    q->doom_err = 0;
    aq->ndoomed--;
    *why = "canceled by the caller";
  }
  return err;
}

/* Keep a timeout of ms (0: none) in deadlines d from now: 0, or 1 when
 * every list there is taken by other spans and libcurl must keep it
 * (the request's setup then gives it the option). */
static unsigned keep_timeout(struct ah__queue *aq, struct ah__deadlines *d,
                             struct ah__dl_node *n, long ms, int64_t now)
{
  if (ms > 0 && (ms > AH__DL_MAX_MS || !ah__dl_add(d, n, (int64_t)ms * 1000000, now)))
    return 1;
  if (n->in != NULL && n->at < aq->armed)
    arm(aq);
  return 0;
}

/* Set q up on its slot, its connect timeout running from now, and hand
 * it to libcurl. */
static int launch(struct ah__queue *aq, struct ah__request *q, int64_t now,
                  const char **why)
{
  CURLMcode mc;
  int err;
  long ms = ah__request_connect_ms(q, aq->d);

  /* Before 8.16 libcurl shares the connect timeout between a name's
   * addresses: its own timer then (curl_caps.h). */
  if (ah__curl_caps()->connect_split && ms > 0 && !ah__request_one_address(q, aq->d))
    q->lib_connect = 1;
  else
    q->lib_connect = keep_timeout(aq, &aq->connects, &q->connect_dl, ms, now);
  q->fresh = aq->nshut > 0 && ah__request_may_share(q);
  if ((err = ah__request_setup(q, why)) != AH_OK)
    return err;
  if ((mc = ah__bridge_add(aq->bridge, q->slot->easy)) != CURLM_OK) {
    *why = mc == CURLM_OUT_OF_MEMORY ? "no memory to start the request"
                                     : "libcurl refused to start the request";
    return ah__error_from_multi(mc);
  }
  move(aq, q, AH__ACTIVE, NULL);
  return AH_OK;
}

/* Hand q to libcurl: an easy handle, a response, its options. */
static int start(struct ah__queue *aq, struct ah__request *q, const char **why)
{
  int64_t now;
  int err;

  if (q->slot != NULL) /* a redirect's hop that waited for room (follow) */
    return launch(aq, q, ah__now_ns(), why);
  if ((err = ah__request_supported(q, aq->d, why)) != AH_OK ||
      (err = rewind_body(aq, q, why)) != AH_OK)
    return err;
  *why = "no memory to start the request";
  q->oom_mark = ah__alloc_failures();
  now = ah__now_ns();
  if (q->queued_ns != 0)
    q->queued_ns = now - q->queued_ns;
  if ((q->slot = ah__pool_get(&aq->pool)) == NULL)
    return AH_ENOMEM;
  q->rx = q->slot->rx;
  if (aq->d->on_event != NULL)
    event(aq, q, AH_EVENT_DEQUEUED, 0, 0, 0);
  /* The attempt's total timeout runs across its redirects. */
  q->lib_total = keep_timeout(aq, &aq->totals, &q->total_dl,
                              ah__request_total_ms(q, aq->d), now);
  return launch(aq, q, now, why);
}

/* The next hop of q's journey (ah__request_redirect decided it), on the
 * same easy handle: libcurl's connection pool serves it on the same
 * connection when it goes to the same place. */
static int follow(struct ah__queue *aq, struct ah__request *q, const char **why)
{
  int err;

  if (ah__slot_recycle(q->slot) != AH_OK) { /* the hop is set up from the journey */
    *why = "no memory to set the next hop up";
    return AH_ENOMEM;
  }
  if ((err = ah__request_supported(q, aq->d, why)) != AH_OK ||
      (err = rewind_body(aq, q, why)) != AH_OK)
    return err;
  if (aq->g.hosts.limit > 0) {
    struct ah__request *w;
    int place = ah__gates_hop(&aq->g, q, q->lib_total ? ah__request_total_ms(q, aq->d) : 0, &w);
    wake(aq, w);
    if (place != AH__ACTIVE) { /* it waits for room at its new origin */
      move(aq, q, AH__HELD, NULL);
      gate_timer_at(aq, q->hop_due_ns);
      return AH_OK;
    }
  }
  return launch(aq, q, ah__now_ns(), why);
}

/* The queue's one deadline timer, at the earliest of: the queue timeout
 * of the queue's head (FIFO, one timeout: only the head's can be due),
 * the retry list's head, gate_due (gate.c), the end of a pause for
 * descriptors. Registered at its first use, set when the earliest moves. */
static void arm(struct ah__queue *aq)
{
  int64_t at = aq->gate_due;

  if (aq->queue_ns > 0 && aq->queue.head != NULL &&
      aq->queue.head->queued_ns + aq->queue_ns < at)
    at = aq->queue.head->queued_ns + aq->queue_ns;
  if (aq->waiting.head != NULL && aq->waiting.head->retry_ns < at)
    at = aq->waiting.head->retry_ns;
  if (aq->starved && aq->fd_due < at)
    at = aq->fd_due;
  if (ah__dl_earliest(&aq->totals) < at)
    at = ah__dl_earliest(&aq->totals);
  if (ah__dl_earliest(&aq->connects) < at)
    at = ah__dl_earliest(&aq->connects);
  if (at == aq->armed)
    return;
  if (aq->timer == 0) {
    if (at == AH__NO_DEADLINE)
      return;
    aq->timer = ah__reactor_timer(aq->reactor, on_timer, aq);
  }
  aq->armed = at;
  ah__reactor_set_timer(aq->reactor, aq->timer, at);
}

/* Requests that waited in the queue longer than its timeout end. */
static void queue_expired(struct ah__queue *aq, int64_t now)
{
  while (!aq->closing && aq->queue.head &&
         aq->queue.head->queued_ns + aq->queue_ns <= now)
    finish(aq, aq->queue.head, CURLE_OK, AH_ETIMEDOUT);
}

/* Requests in libcurl past their total or connect timeout end as our
 * callbacks' aborts do (retried if the policy says so). A list's head that
 * ended early leaves its timer: it fires once for nothing, then is reset. */
static void time_out(struct ah__queue *aq, struct ah__request *q, const char *why)
{
  q->abort_err = AH_ETIMEDOUT;
  q->abort_why = why;
  q->deadline_hit = 1;
  finish(aq, q, CURLE_ABORTED_BY_CALLBACK, AH_OK);
}

#define MEMBER(n, link) \
  ((struct ah__request *)(void *)((char *)(n) - offsetof(struct ah__request, link)))

static void timeouts_due(struct ah__queue *aq, int64_t now)
{
  struct ah__dl_node *n;

  while (!aq->closing && (n = ah__dl_due(&aq->totals, now)) != NULL)
    time_out(aq, MEMBER(n, total_dl), "the request's total timeout passed");
  while (!aq->closing && (n = ah__dl_due(&aq->connects, now)) != NULL)
    time_out(aq, MEMBER(n, connect_dl), "no connection within the connect timeout");
}
#undef MEMBER

/* Whatever fell due: the reactor disarmed the timer before calling. */
static void on_timer(void *arg)
{
  struct ah__queue *aq = arg;
  int64_t now = ah__now_ns();

  aq->armed = AH__NO_DEADLINE;
  if (aq->queue_ns > 0)
    queue_expired(aq, now);
  /* The timers run after the turn's ready sockets: a transfer libcurl
   * ended in them got its response before the deadline was looked at,
   * so it ends as it did, not as timed out. */
  ah__bridge_drain(aq->bridge);
  timeouts_due(aq, now);
  if (aq->gate_due <= now) {
    aq->gate_due = AH__NO_DEADLINE;
    gates_due(aq, now);
  }
  if (aq->waiting.head != NULL && aq->waiting.head->retry_ns <= now)
    retries_due(aq, now);
  if (aq->starved && aq->fd_due <= now) {
    aq->starved = 0; /* the pause's length is kept: it doubles if it fails */
    pump(aq);
  }
  arm(aq); /* also when it fired early, with nothing due */
}

/* Move queued requests into libcurl while there is room. One that cannot
 * start (no memory) fails on its own future. */
static void pump(struct ah__queue *aq)
{
  /* Not inside libcurl, which cannot take a handle from its callback;
   * not during the reactor's turn: the starts come after its ends. */
  if (aq->bridge->in_curl || aq->bridge->turn) {
    aq->pump_later = 1;
    return;
  }
  while (!aq->closing) {
    struct ah__request *q = aq->ready.head; /* hops woken by an end */
    if (q != NULL) {
      move(aq, q, AH__NOWHERE, NULL);
      start_or_fail(aq, q); /* its failure may wake another */
      continue;
    }
    if (aq->starved || (q = aq->queue.head) == NULL || !room(aq))
      break;
    if (q->doom_err) { /* canceled from a transfer callback, queued */
      finish(aq, q, CURLE_OK, q->doom_err);
      continue;
    }
    move(aq, q, AH__NOWHERE, NULL);
    if (admit(aq, q))
      start_or_fail(aq, q);
  }
}

static struct ah__request *request_of(CURL *easy)
{
  struct ah__slot *slot = NULL;

  curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&slot);
  return slot ? slot->q : NULL;
}

static void on_done(void *arg, CURL *easy, CURLcode rc)
{
  struct ah__request *q = request_of(easy);

  if (q != NULL)
    finish(arg, q, rc, AH_OK);
}

/* End every request still running with err (after the current libcurl
 * call), for a failure that is the whole session's, not one request's. */
static void doom_active(struct ah__queue *aq, int err, int watch_err, const char *why)
{
  struct ah__request *q;

  for (q = aq->active.head; q; q = q->next)
    if (q->doom_err == 0) {
      q->watch_err = watch_err;
      q->doom_err = err;
      q->doom_why = why;
      aq->ndoomed++;
    }
}

static void on_watch_failed(void *arg, CURL *easy, int err)
{
  struct ah__queue *aq = arg;
  struct ah__request *q = request_of(easy);
  int code = err == EMFILE || err == ENFILE ? AH_ENOFD : AH_ENOMEM;

  if (q != NULL && q->doom_err == 0) {
    q->watch_err = err;
    q->doom_err = code;
    aq->ndoomed++;
  } else if (q == NULL) {
    /* A descriptor of the multi's own (8.21 watches its wake-up eventfd
     * through the multi's internal handle, and a resolver thread reports
     * only through it): unwatched, any request could wait forever. */
    doom_active(aq, code, err, "the reactor could not watch libcurl's wake-up descriptor");
  }
}

/* libcurl ran short of memory while serving the session: end every
 * request still running with AH_ENOMEM (after this call), rather than
 * trust libcurl to have kept track of each. */
static void on_oom(void *arg)
{
  doom_active(arg, AH_ENOMEM, 0, "an allocation failed inside libcurl while it "
                                 "served the request");
}

/* libcurl connects again for q, inside the same transfer (a resend after
 * an auth challenge on a closed connection, a dead reused one): as its
 * own connect timeout did, ours runs again until prereq. Where libcurl
 * keeps it (lib_connect) it restarts it itself; with every list taken
 * by other spans, libcurl's default (300 s) holds, as before. */
static void on_reconnect(void *arg, void *request)
{
  struct ah__queue *aq = arg;
  struct ah__request *q = request;

  if (!q->lib_connect && q->connect_dl.in == NULL && q->place == AH__ACTIVE)
    (void)keep_timeout(aq, &aq->connects, &q->connect_dl,
                       ah__request_connect_ms(q, aq->d), ah__now_ns());
}

const struct ah__bridge_ops ah__queue_bridge_ops = {on_done, on_watch_failed, on_oom,
                                                    on_reconnect};

/* End the requests that could not be ended inside libcurl (a socket the
 * reactor refused, a cancel from a transfer callback), now that no
 * libcurl call is under way. Rare: a scan of the lists is fine. */
static void fail_doomed(struct ah__queue *aq)
{
  struct ah__request *q;

  while (aq->ndoomed > 0 && ((q = ah__list_doomed(&aq->active)) != NULL ||
                             (q = ah__list_doomed(&aq->queue)) != NULL ||
                             (q = ah__list_doomed(&aq->ready)) != NULL ||
                             (q = ah__list_doomed(&aq->waiting)) != NULL ||
                             (q = ah__gates_any(&aq->g, 1)) != NULL))
    finish(aq, q, CURLE_OK, q->doom_err);
}

/* The queue's entry points (queue.h). Its timers fire only inside the
 * reactor's turn, which the session holds itself across, as it does
 * across every call into here: a callback that frees the session does not
 * free the queue under these functions. */

int ah__queue_init(struct ah__queue *aq, struct ah__reactor *r,
                   struct ah__bridge *b, const struct ah__defaults *d,
                   size_t window, long queue_ms)
{
  aq->reactor = r;
  aq->bridge = b;
  aq->d = d;
  /* HTTP/1.1: one request per connection, so the connection limit is the
   * window; the rest wait in ahttp's queue holding no easy handle. */
  aq->window = window == 0 ? (size_t)-1 : window;
  if (queue_ms > 0)
    aq->queue_ns = (int64_t)queue_ms * 1000000;
  aq->armed = AH__NO_DEADLINE;
  aq->rt.rng = (uint64_t)ah__now_ns() ^ (uint64_t)(uintptr_t)aq;
  aq->gate_due = AH__NO_DEADLINE;
  aq->g.limited = ah__rates_any(&aq->g.rates);
  return ah__pool_init(&aq->pool, d);
}

void ah__queue_close(struct ah__queue *aq)
{
  ah__pool_close(&aq->pool);
  ah__gates_free(&aq->g);
}

void ah__queue_request_free(struct ah__queue *aq, struct ah__request *q)
{
  int counted = q->host_held;

  request_free(aq, q);
  if (counted)
    pump(aq); /* its room at its origin went to another */
}

int ah__queue_submit(struct ah__queue *aq, struct ah__request *q, const char **why)
{
  if (ah__request_attempts(q, aq->rt.p.attempts) > 1)
    ah__budget_first(&aq->rt.budget, ah__now_ns());
  if (room(aq) && aq->queue.head == NULL && !aq->bridge->in_curl) {
    int err;
    if (!aq->bridge->turn)
      return admit(aq, q) ? start(aq, q, why) : AH_OK;
    /* Fetched during the reactor's turn (a callback's next request):
     * it starts with the others when the turn ends (curl_bridge.c says
     * why). What would end it at once still does. */
    if ((err = ah__request_supported(q, aq->d, why)) != AH_OK)
      return err;
    if (admit(aq, q))
      move(aq, q, AH__READY, NULL);
    return AH_OK;
  }
  if (aq->bridge->in_curl)
    aq->pump_later = 1;
  q->queued_ns = ah__now_ns();
  move(aq, q, AH__QUEUED, NULL);
  if (aq->d->on_event != NULL)
    event(aq, q, AH_EVENT_QUEUED, 0, 0, 0);
  return AH_OK;
}

void ah__queue_cancel(struct ah__queue *aq, struct ah__request *q, int err)
{
  if (aq->bridge->in_curl) {
    /* From a transfer callback: libcurl cannot let go of a handle inside
     * its own callback, so the request ends when the call returns. */
    if (q->doom_err == 0) {
      q->doom_err = err;
      aq->ndoomed++;
    }
    return;
  }
  finish(aq, q, CURLE_OK, err);
}

void ah__queue_cancel_all(struct ah__queue *aq)
{
  struct ah__request *q;

  /* Each completion may run callbacks that cancel or free others. */
  while (aq->waiting.head != NULL)
    finish(aq, aq->waiting.head, CURLE_OK, AH_ECANCELED);
  while ((q = ah__gates_any(&aq->g, 0)) != NULL)
    finish(aq, q, CURLE_OK, AH_ECANCELED);
  while (aq->queue.head != NULL)
    finish(aq, aq->queue.head, CURLE_OK, AH_ECANCELED);
  while (aq->ready.head != NULL)
    finish(aq, aq->ready.head, CURLE_OK, AH_ECANCELED);
  while (aq->active.head != NULL)
    finish(aq, aq->active.head, CURLE_OK, AH_ECANCELED);
}

void ah__queue_before_run(struct ah__queue *aq)
{
  aq->bridge->turn = 1;
}

void ah__queue_after_run(struct ah__queue *aq)
{
  /* The turn's ends (their callbacks' fetches become ready), then its
   * starts. */
  ah__bridge_drain(aq->bridge);
  if (aq->ndoomed > 0)
    fail_doomed(aq);
  /* Still in the turn: what the callbacks of failed starts fetch is
   * READY behind the rest, in order. */
  while (aq->ready.head != NULL && !aq->closing) {
    struct ah__request *q = aq->ready.head;
    move(aq, q, AH__NOWHERE, NULL);
    start_or_fail(aq, q);
  }
  aq->bridge->turn = 0;
  /* Always: a start that failed above left room that no end announced. */
  aq->pump_later = 0;
  pump(aq);
}
