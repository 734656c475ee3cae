/* session.c - sessions: options, fetch, run, free. The glue between the
 * reactor, the curl bridge, requests and futures. */
#include "session.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alloc.h"
#include "curl_bridge.h"
#include "curl_caps.h"
#include "easy.h"
#include "error.h"
#include "event.h"
#include "future.h"
#include "global.h"
#include "journey.h"
#include "queue.h"
#include "rate.h"
#include "reactor.h"
#include "request.h"
#include "request_opts.h"
#include "response.h"
#include "retry.h"
#include "session_opts.h"
#include "url.h"

#define POOL_MAX 256 /* idle easy handles kept for reuse */

/* A request is allocated with this much room to spare. When it completes,
 * its memory is freed just as the compact response is allocated; with the
 * spare room that hole holds a response with a typical header set, so a
 * gather of 100,000 reuses the memory of its requests instead of growing
 * the heap by a hole per request. Measured on W4 (peak RSS of a gather of
 * 100,000 nginx responses of 16 B): 48 bytes 80.0 MB, 208 95.6 MB, 224
 * 59.2 MB, 240 60.8 MB, 288 65.3 MB; 240 leaves a margin below the cliff
 * for a few more header bytes. Meanwhile the room holds the URL's string,
 * when it is the whole URL (a longer one makes the room larger). */
#define REQUEST_RESERVE 240

struct ah_session {
  struct ah__reactor reactor;
  struct ah__bridge bridge;
  struct ah__defaults d;
  struct ah__list active;    /* requests handed to libcurl */
  struct ah__list queue;     /* requests waiting for room, FIFO */
  struct ah__list waiting;   /* requests waiting to be retried, by due time */
  struct ah__retrier rt;     /* retry policy, budget, jitter */
  int retry_timer;           /* fires for the head of waiting; 0: none yet */
  int fd_timer;              /* ends a pause of admission; 0: none yet */
  int starved;               /* out of descriptors: admission paused */
  struct ah__rates rates;    /* per-host rate limits and their buckets */
  int limited;               /* some rule limits a host */
  int rate_timer;            /* the next token of a bucket with requests */
  int64_t rate_due;          /* when it fires, AH__NO_DEADLINE: not set */
  int64_t starve_ns;         /* the pause's length, doubled each time */
  size_t window;             /* most requests in libcurl at once */
  int64_t queue_ns;          /* queue timeout, 0: none */
  int queue_timer;           /* the reactor's timer for it */
  size_t ndoomed;            /* requests with doom_err, to fail */
  CURLU *base;               /* the base URL, parsed; NULL if none */
  struct ah__slot **pool;    /* idle easy handles, configured */
  size_t npool;
  int holds;                 /* calls under way that may run callbacks */
  int closing;               /* ah_session_free was called */
  int pump_later;            /* fetched inside libcurl: start it after */
  int free_later;            /* freed inside libcurl: free it after */
  unsigned long mark;
};

/* An event of q, now. */
static void event(ah_session *s, struct ah__request *q, int type, int status,
                  int err, int64_t delay_ns)
{
  ah__tell(&s->d, q, type, ah__now_ns(), status, err, delay_ns);
}

/* Easy handles: configured once, reused. */

static struct ah__slot *slot_get(ah_session *s)
{
  if (s->npool > 0)
    return s->pool[--s->npool];
  return ah__slot_new(&s->d);
}

static void slot_put(ah_session *s, struct ah__slot *slot)
{
  if (s->npool < POOL_MAX) {
    ah__slot_recycle(slot);
    s->pool[s->npool++] = slot;
  } else {
    ah__slot_free(slot);
  }
}

/* Requests. */

static void request_free(ah_session *s, struct ah__request *q)
{
  if (q->slot)
    slot_put(s, q->slot);
  curl_url_cleanup(q->url);
  ah__journey_free(q->j);
  ah__reqspec_unref(q->spec);
  ah__free(q);
}

static void session_hold(ah_session *s);
static void session_release(ah_session *s);
static void pump(ah_session *s);
static void queue_timer_update(ah_session *s);
static void retry_timer_update(ah_session *s);
static int rate_admit(ah_session *s, struct ah__request *q);
static int start(ah_session *s, struct ah__request *q, const char **why);
static int follow(ah_session *s, struct ah__request *q, const char **why);

/* Start q, taken off a list; if it cannot start, it ends with the reason. */
static void start_or_fail(ah_session *s, struct ah__request *q)
{
  const char *why = NULL;
  int err;

  if ((err = start(s, q, &why)) != AH_OK) {
    ah_future *f = q->f;
    request_free(s, q);
    ah__future_complete(f, err, NULL, ah__message(err, why, NULL));
  }
}

/* msg + " (after N attempts)": the failure of the last attempt. */
static char *with_attempts(char *msg, int n)
{
  size_t len = strlen(msg) + 32;
  char *m = ah__malloc(len);

  if (m == NULL)
    return msg; /* the message without the count */
  snprintf(m, len, "%s, after %d attempts", msg, n);
  ah__free(msg);
  return m;
}

/* q's attempt is over and another will follow: let go of the easy
 * handle (others may use it meanwhile) and forget the attempt. */
static void end_attempt(ah_session *s, struct ah__request *q)
{
  slot_put(s, q->slot);
  ah__request_rearm(q);
}

/* Retry q later if the policy says so (on its response's headers for a
 * status, now for a failure): 1 when it waits in s->waiting. */
static int retry_later(ah_session *s, struct ah__request *q, int err)
{
  int64_t now, delay = q->retry_ns;
  struct ah__request *at;

  if (delay < 0 && err == AH_OK)
    return 0; /* the common case: a response, not to be retried */
  now = ah__now_ns();
  if (delay < 0)
    delay = ah__retry_decide(&s->rt, q->attempt,
                             ah__request_attempts(q, s->rt.p.attempts),
                             ah__request_outcome(q, err), 0,
                             ah__request_resendable(q) && ah__request_replayable(q),
                             NULL, now, time(NULL));
  if (delay < 0)
    return 0;
  if (s->d.on_event != NULL)
    event(s, q, AH_EVENT_RETRY, q->rx->status, err, delay);
  end_attempt(s, q);
  q->attempt++;
  q->queued_ns = 0;
  q->retry_ns = now + delay; /* now the time it falls due */
  /* Sorted by due time; most retries fall due after those waiting. */
  for (at = s->waiting.tail; at != NULL && at->retry_ns > q->retry_ns; at = at->prev)
    ;
  ah__list_insert(&s->waiting, at ? at->next : s->waiting.head, q);
  q->waiting = 1;
  retry_timer_update(s);
  pump(s);
  return 1;
}

static void on_retry_timer(void *arg);
static void on_fd_timer(void *arg);

/* Set the timer *id (registered at its first use, so that a session that
 * never needs it pays nothing for it in every timer update). */
static void set_timer(ah_session *s, int *id, ah__timer_cb cb, int64_t at)
{
  if (*id == 0) {
    if (at == AH__NO_DEADLINE)
      return;
    *id = ah__reactor_timer(&s->reactor, cb, s); /* room for all four */
  }
  ah__reactor_set_timer(&s->reactor, *id, at);
}

static void retry_timer_update(ah_session *s)
{
  set_timer(s, &s->retry_timer, on_retry_timer,
                        s->waiting.head ? s->waiting.head->retry_ns
                                        : AH__NO_DEADLINE);
}

/* Requests whose wait is over go back in: started if there is room, else
 * at the tail of the queue like a new fetch. */
static void on_retry_timer(void *arg)
{
  ah_session *s = arg;
  int64_t now = ah__now_ns();

  session_hold(s);
  while (!s->closing && s->waiting.head && s->waiting.head->retry_ns <= now) {
    struct ah__request *q = s->waiting.head;
    ah__list_remove(&s->waiting, q);
    q->waiting = 0;
    q->retry_ns = -1;
    if (s->active.n < s->window && s->queue.head == NULL && !s->starved) {
      if (rate_admit(s, q))
        start_or_fail(s, q);
    } else {
      q->queued = 1;
      q->queued_ns = now;
      ah__list_append(&s->queue, q);
      if (s->queue.head == q)
        queue_timer_update(s);
      if (s->d.on_event != NULL)
        event(s, q, AH_EVENT_QUEUED, 0, 0, 0);
    }
  }
  retry_timer_update(s);
  session_release(s);
}

/* Out of descriptors before anything was sent: q goes back to the head of
 * the queue, and admission pauses until a request of the session ends or
 * a timer (10 ms, doubling to 1 s) lets it try again. It fails with
 * AH_ENOFD once it has waited the connect timeout. 1 when requeued. */
static int starve(ah_session *s, struct ah__request *q)
{
  int64_t now = ah__now_ns(), limit;

  limit = (int64_t)(s->d.connect_ms > 0 ? s->d.connect_ms : 30000) * 1000000;
  if (q->sent)
    return 0;
  if (q->starved_ns == 0)
    q->starved_ns = now;
  else if (now - q->starved_ns >= limit)
    return 0;
  end_attempt(s, q);
  /* Its place in the queue's order: where it would be had it waited. */
  q->queued_ns = now - q->queued_ns;
  q->queued = 1;
  ah__list_insert(&s->queue, s->queue.head, q);
  queue_timer_update(s);
  s->starve_ns = s->starved ? s->starve_ns * 2 : 10000000;
  if (s->starve_ns > 1000000000)
    s->starve_ns = 1000000000;
  s->starved = 1;
  set_timer(s, &s->fd_timer, on_fd_timer, now + s->starve_ns);
  return 1;
}

static void unstarve(ah_session *s)
{
  s->starved = 0;
  set_timer(s, &s->fd_timer, on_fd_timer, AH__NO_DEADLINE);
}

/* Per-host rates. */

static void on_rate_timer(void *arg);

static struct ah__bucket *bucket_of(ah_session *s, const struct ah__request *q)
{
  struct ah__bucket *b;
  char *host = NULL;
  int nomem;

  if (q->url == NULL) { /* plain: the host as written */
    struct ah__plain pl;
    char name[256];
    if (!ah__url_plain_scan(q->url_str, &pl) || pl.host_len >= sizeof name)
      return NULL;
    memcpy(name, q->url_str + pl.host, pl.host_len);
    name[pl.host_len] = '\0';
    return ah__rates_bucket(&s->rates, name, &nomem);
  }
  if (curl_url_get(q->url, CURLUPART_HOST, &host, 0) != CURLUE_OK)
    return NULL; /* without memory to tell: not limited */
  b = ah__rates_bucket(&s->rates, host, &nomem);
  curl_free(host);
  return b;
}

/* Take q out of the bucket it waits in. Its host names the bucket; if
 * the host cannot be had (no memory), the buckets are searched. */
static void unpark(ah_session *s, struct ah__request *q)
{
  struct ah__bucket *b = bucket_of(s, q);
  size_t i;

  for (i = 0; b == NULL && i < s->rates.cap; i++) {
    struct ah__request *p;
    if (s->rates.table[i] == NULL)
      continue;
    for (p = s->rates.table[i]->parked.head; p != NULL && p != q; p = p->next)
      ;
    if (p == q)
      b = s->rates.table[i];
  }
  ah__list_remove(&b->parked, q);
  q->parked = 0;
}

static void rate_timer_at(ah_session *s, int64_t at)
{
  if (at < s->rate_due) {
    s->rate_due = at;
    set_timer(s, &s->rate_timer, on_rate_timer, at);
  }
}

/* 1 when q may start now as far as its host's rate goes; else 0, q waits
 * in its host's bucket (behind the others waiting there). */
static int rate_admit(ah_session *s, struct ah__request *q)
{
  struct ah__bucket *b;
  int64_t now, next;

  if (!s->limited)
    return 1;
  if (q->rate_paid) {
    q->rate_paid = 0;
    return 1;
  }
  if ((b = bucket_of(s, q)) == NULL)
    return 1;
  now = ah__now_ns();
  if (b->parked.n == 0) {
    if (ah__bucket_take(b, now, &next))
      return 1;
    rate_timer_at(s, next);
  } /* else: behind those waiting, for whom the timer is set */
  ah__list_append(&b->parked, q);
  q->parked = 1;
  if (q->queued_ns == 0)
    q->queued_ns = now; /* the wait counts as time queued */
  if (s->d.on_event != NULL)
    event(s, q, AH_EVENT_QUEUED, 0, 0, 0);
  return 0;
}

/* Tokens are due: move as many waiting requests as there are tokens to
 * the head of the queue, their tokens taken, in the order they came. */
static void on_rate_timer(void *arg)
{
  ah_session *s = arg;
  int64_t now = ah__now_ns();
  size_t i;

  session_hold(s);
  s->rate_due = AH__NO_DEADLINE;
  for (i = 0; i < s->rates.cap && !s->closing; i++) {
    struct ah__bucket *b = s->rates.table[i];
    struct ah__request *before = s->queue.head;
    int64_t next = AH__NO_DEADLINE;
    while (b != NULL && b->parked.head != NULL && ah__bucket_take(b, now, &next)) {
      struct ah__request *q = b->parked.head;
      ah__list_remove(&b->parked, q);
      q->parked = 0;
      q->rate_paid = 1;
      q->queued = 1;
      ah__list_insert(&s->queue, before, q);
    }
    if (b != NULL && b->parked.head != NULL)
      rate_timer_at(s, next);
  }
  queue_timer_update(s);
  pump(s);
  session_release(s);
}

static void on_fd_timer(void *arg)
{
  ah_session *s = arg;

  session_hold(s);
  s->starved = 0; /* the pause's length is kept: it doubles if it fails */
  pump(s);
  session_release(s);
}

/* End a request: out of libcurl (or the queue), start the next queued
 * request in its place, then complete its future. Starting the next one
 * first keeps the queue FIFO: a fetch from the callback queues behind it.
 * rc is the transfer's result, or err (not AH_OK) overrides it. */
static void finish(ah_session *s, struct ah__request *q, CURLcode rc, int err)
{
  ah_future *f = q->f;
  ah_response *resp = NULL;
  char *msg = NULL;

  if (q->waiting) {
    ah__list_remove(&s->waiting, q);
    q->waiting = 0;
    retry_timer_update(s);
  } else if (q->parked) {
    unpark(s, q);
  } else if (q->queued) {
    ah__list_remove(&s->queue, q);
    queue_timer_update(s);
  } else {
    ah__bridge_remove(&s->bridge, q->slot->easy);
    ah__list_remove(&s->active, q);
  }
  if (q->doom_err)
    s->ndoomed--;
  if (err == AH_OK && rc == CURLE_OK)
    ah__request_cookies(q);
  if (err == AH_OK && q->doom_err == 0 && !s->closing &&
      ah__request_redirected(q, rc)) {
    const char *why;
    if ((err = ah__request_redirect(q, &why)) == AH_OK) {
      if ((err = follow(s, q, &why)) == AH_OK)
        return; /* the next hop is under way */
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
  if (err == AH_OK) {
    err = ah__request_result(q, rc, &msg, &resp);
    if (!s->closing && q->doom_err == 0 &&
        (err == AH_ENOFD ? starve(s, q) : retry_later(s, q, err))) {
      ah__free(msg);
      ah__response_free(resp);
      return;
    }
    if (q->attempt > 1 && msg != NULL)
      msg = with_attempts(msg, q->attempt);
  } else if (err == AH_ECANCELED) {
    msg = ah__message(err, s->closing ? "the session was freed"
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
  if (s->d.on_event != NULL)
    event(s, q, AH_EVENT_DONE, resp ? ah_response_status(resp) : 0, err, 0);
  request_free(s, q);
  if (s->starved)
    unstarve(s); /* a request ended: a descriptor may be free again */
  pump(s);
  ah__future_complete(f, err, resp, msg);
}

/* Start a reader's body over before it is sent again. The rewind runs
 * the caller's code, which may cancel or free this very future: as inside
 * libcurl, that is deferred, and ends it here. */
static int rewind_body(ah_session *s, struct ah__request *q, const char **why)
{
  int err;

  s->bridge.in_curl++;
  err = ah__request_rewind(q, why);
  s->bridge.in_curl--;
  if (q->doom_err != 0) {
    err = q->doom_err;
    q->doom_err = 0;
    s->ndoomed--;
    *why = "canceled by the caller";
  }
  return err;
}

/* Set q up on its slot and hand it to libcurl. */
static int launch(ah_session *s, struct ah__request *q, const char **why)
{
  CURLMcode mc;
  int err;

  if ((err = ah__request_setup(q, why)) != AH_OK)
    return err;
  if ((mc = ah__bridge_add(&s->bridge, q->slot->easy)) != CURLM_OK) {
    *why = mc == CURLM_OUT_OF_MEMORY ? "no memory to start the request"
                                     : "libcurl refused to start the request";
    return ah__error_from_multi(mc);
  }
  ah__list_append(&s->active, q);
  return AH_OK;
}

/* Hand q to libcurl: an easy handle, a response, its options. */
static int start(ah_session *s, struct ah__request *q, const char **why)
{
  int err;

  if ((err = ah__request_supported(q, &s->d, why)) != AH_OK ||
      (err = rewind_body(s, q, why)) != AH_OK)
    return err;
  *why = "no memory to start the request";
  q->oom_mark = ah__alloc_failures();
  if (q->queued_ns != 0)
    q->queued_ns = ah__now_ns() - q->queued_ns;
  if ((q->slot = slot_get(s)) == NULL)
    return AH_ENOMEM;
  q->rx = q->slot->rx;
  if (s->d.on_event != NULL)
    event(s, q, AH_EVENT_DEQUEUED, 0, 0, 0);
  q->queued = 0;
  return launch(s, q, why);
}

/* The next hop of q's journey (ah__request_redirect decided it), on the
 * same easy handle: libcurl's connection pool serves it on the same
 * connection when it goes to the same place. */
static int follow(ah_session *s, struct ah__request *q, const char **why)
{
  int err;

  ah__slot_recycle(q->slot); /* the hop is set up from the journey */
  if ((err = ah__request_supported(q, &s->d, why)) != AH_OK ||
      (err = rewind_body(s, q, why)) != AH_OK)
    return err;
  return launch(s, q, why);
}

/* The queue timeout: one timer, for the head of the queue, since the queue
 * is FIFO and every request waits at most the same time. */
static void queue_timer_update(ah_session *s)
{
  if (s->queue_ns == 0)
    return;
  ah__reactor_set_timer(&s->reactor, s->queue_timer,
                        s->queue.head ? s->queue.head->queued_ns + s->queue_ns
                                      : AH__NO_DEADLINE);
}

static void on_queue_timer(void *arg)
{
  ah_session *s = arg;
  int64_t now = ah__now_ns();

  session_hold(s);
  while (!s->closing && s->queue.head &&
         s->queue.head->queued_ns + s->queue_ns <= now)
    finish(s, s->queue.head, CURLE_OK, AH_ETIMEDOUT);
  queue_timer_update(s);
  session_release(s);
}

/* Move queued requests into libcurl while there is room. One that cannot
 * start (no memory) fails on its own future. */
static void pump(ah_session *s)
{
  if (s->bridge.in_curl) {
    s->pump_later = 1; /* libcurl cannot take a handle from its callback */
    return;
  }
  while (!s->closing && !s->starved && s->queue.head &&
         s->active.n < s->window) {
    struct ah__request *q = s->queue.head;
    if (q->doom_err) { /* canceled from a transfer callback, queued */
      finish(s, q, CURLE_OK, q->doom_err);
      continue;
    }
    ah__list_remove(&s->queue, q);
    queue_timer_update(s);
    q->queued = 0;
    if (rate_admit(s, q))
      start_or_fail(s, q);
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
static void doom_active(ah_session *s, int err, int watch_err, const char *why)
{
  struct ah__request *q;

  for (q = s->active.head; q; q = q->next)
    if (q->doom_err == 0) {
      q->watch_err = watch_err;
      q->doom_err = err;
      q->doom_why = why;
      s->ndoomed++;
    }
}

static void on_watch_failed(void *arg, CURL *easy, int err)
{
  ah_session *s = arg;
  struct ah__request *q = request_of(easy);
  int code = err == EMFILE || err == ENFILE ? AH_ENOFD : AH_ENOMEM;

  if (q != NULL && q->doom_err == 0) {
    q->watch_err = err;
    q->doom_err = code;
    s->ndoomed++;
  } else if (q == NULL) {
    /* A descriptor of the multi's own (8.21 watches its wake-up eventfd
     * through the multi's internal handle, and a resolver thread reports
     * only through it): unwatched, any request could wait forever. */
    doom_active(s, code, err, "the reactor could not watch libcurl's wake-up descriptor");
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

static const struct ah__bridge_ops bridge_ops = {on_done, on_watch_failed, on_oom};

/* A doomed request waiting for a token, or NULL. */
static struct ah__request *doomed_parked(ah_session *s)
{
  size_t i;

  for (i = 0; i < s->rates.cap; i++) {
    struct ah__request *q;
    if (s->rates.table[i] == NULL)
      continue;
    for (q = s->rates.table[i]->parked.head; q; q = q->next)
      if (q->doom_err != 0)
        return q;
  }
  return NULL;
}

/* End the requests that could not be ended inside libcurl (a socket the
 * reactor refused, a cancel from a transfer callback), now that no
 * libcurl call is under way. Rare: a scan of the lists is fine. */
static void fail_doomed(ah_session *s)
{
  while (s->ndoomed > 0) {
    struct ah__request *q = s->active.head;
    while (q && q->doom_err == 0)
      q = q->next;
    if (q == NULL)
      for (q = s->queue.head; q && q->doom_err == 0;)
        q = q->next;
    if (q == NULL)
      for (q = s->waiting.head; q && q->doom_err == 0;)
        q = q->next;
    if (q == NULL)
      q = doomed_parked(s);
    if (q == NULL)
      break;
    finish(s, q, CURLE_OK, q->doom_err);
  }
}

/* Lifecycle. */

ah_session *ah_session_new(const ah_session_opts *opts)
{
  ah_session *s;

  if (ah__global_init() < 0)
    return NULL;
  if (!ah__curl_caps()->supported) {
    errno = ENOTSUP; /* ah_libcurl_check says why */
    return NULL;
  }
  s = ah__calloc(1, sizeof *s);
  if (s == NULL)
    return NULL;
  s->reactor.epfd = -1;
  if (opts) {
    s->d = opts->d;
    s->d.share = NULL;
    if (ah__defaults_copy(&s->d, &opts->d) != AH_OK)
      goto fail;
  } else {
    ah__defaults_init(&s->d);
  }
  if (s->d.user_agent == NULL &&
      (s->d.user_agent = ah__strdup("ahttp/" AH_VERSION_STRING)) == NULL)
    goto fail;
  s->d.headers = NULL;
  if (ah__defaults_headers(&s->d) != AH_OK)
    goto fail;
  /* TLS sessions resumed across the session's pooled handles (the DNS
   * cache and connections are shared by the multi handle already). One
   * thread uses a session, so the share needs no locks. */
  if ((s->d.share = curl_share_init()) == NULL ||
      curl_share_setopt(s->d.share, CURLSHOPT_SHARE,
                        CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK)
    goto fail;
  /* The cookie jar: one per session, shared by its requests. */
  if (!s->d.no_cookies &&
      curl_share_setopt(s->d.share, CURLSHOPT_SHARE,
                        CURL_LOCK_DATA_COOKIE) != CURLSHE_OK)
    goto fail;
  if (s->d.base_url != NULL) {
    int https;
    const char *why;
    if (ah__url_parse(s->d.base_url, NULL, &s->base, &https, &why) != AH_OK)
      goto fail;
  }
  if (ah__reactor_init(&s->reactor, ah__bridge_on_timer, &s->bridge) < 0)
    goto fail;
  if (ah__bridge_init(&s->bridge, &s->reactor, &bridge_ops, s) < 0)
    goto fail;
  s->d.bridge = &s->bridge;
  ah__bridge_set_limits(&s->bridge, opts ? opts->max_total : 100,
                        opts ? opts->max_host : 0);
  /* HTTP/1.1: one request per connection, so the connection limit is the
   * window; the rest wait in ahttp's queue holding no easy handle. */
  s->window = opts ? (size_t)opts->max_total : 100;
  if (opts && opts->queue_ms > 0) {
    s->queue_ns = (int64_t)opts->queue_ms * 1000000;
    s->queue_timer = ah__reactor_timer(&s->reactor, on_queue_timer, s);
  }
  if (s->window == 0)
    s->window = (size_t)-1;
  if (opts)
    s->rt.p = opts->retry;
  else
    ah__retry_policy_init(&s->rt.p);
  s->rt.rng = (uint64_t)ah__now_ns() ^ (uint64_t)(uintptr_t)s;
  s->d.rt = &s->rt; /* request.c decides on statuses as they arrive */
  s->rate_due = AH__NO_DEADLINE;
  if (opts && ah__rates_copy(&s->rates, &opts->rates) < 0)
    goto fail;
  s->limited = ah__rates_any(&s->rates);
  s->pool = ah__reallocarray(NULL, POOL_MAX, sizeof *s->pool);
  if (s->pool == NULL)
    goto fail;
  return s;
fail:
  ah__bridge_close(&s->bridge);
  if (s->reactor.epfd >= 0)
    ah__reactor_close(&s->reactor);
  ah__free(s->pool);
  curl_url_cleanup(s->base);
  ah__defaults_free(&s->d);
  ah__rates_free(&s->rates);
  if (s->d.share)
    curl_share_cleanup(s->d.share);
  ah__free(s);
  return NULL;
}

static void destroy(ah_session *s)
{
  /* libcurl closes its cached connections here, through the socket
   * callback, so the reactor must still be open. */
  ah__bridge_close(&s->bridge);
  ah__reactor_close(&s->reactor);
  while (s->npool > 0)
    ah__slot_free(s->pool[--s->npool]);
  ah__free(s->pool);
  curl_url_cleanup(s->base);
  ah__defaults_free(&s->d);
  ah__rates_free(&s->rates);
  if (s->d.share)
    curl_share_cleanup(s->d.share);
  ah__free(s);
}

static void session_hold(ah_session *s)
{
  s->holds++;
}

static void session_release(ah_session *s)
{
  if (--s->holds == 0 && s->closing)
    destroy(s);
}

static int session_poll_fd(const ah_session *s)
{
  return s->closing ? -1 : s->reactor.epfd;
}

static int session_mark(ah_session *s, unsigned long mark)
{
  if (s->mark == mark)
    return 0;
  s->mark = mark;
  return 1;
}

void ah_session_free(ah_session *s)
{
  size_t i;

  if (s == NULL || s->closing)
    return;
  if (s->bridge.in_curl) {
    s->free_later = 1; /* from a transfer callback: once libcurl returns */
    return;
  }
  s->closing = 1;
  session_hold(s);
  /* Each completion may run callbacks that cancel or free others. */
  /* Queued first, so that nothing moves up into libcurl meanwhile. */
  while (s->waiting.head != NULL)
    finish(s, s->waiting.head, CURLE_OK, AH_ECANCELED);
  for (i = 0; i < s->rates.cap; i++)
    while (s->rates.table[i] != NULL && s->rates.table[i]->parked.head != NULL)
      finish(s, s->rates.table[i]->parked.head, CURLE_OK, AH_ECANCELED);
  while (s->queue.head != NULL)
    finish(s, s->queue.head, CURLE_OK, AH_ECANCELED);
  while (s->active.head != NULL)
    finish(s, s->active.head, CURLE_OK, AH_ECANCELED);
  session_release(s);
}

static void session_cancel(ah_session *s, struct ah__request *q, int err)
{
  if (s->bridge.in_curl) {
    /* From a transfer callback: libcurl cannot let go of a handle inside
     * its own callback, so the request ends when the call returns. */
    if (q->doom_err == 0) {
      q->doom_err = err;
      s->ndoomed++;
    }
    return;
  }
  session_hold(s);
  finish(s, q, CURLE_OK, err);
  session_release(s);
}

/* What a session's futures ask of it (future.h). */
static int future_cancel(ah_future *f)
{
  session_cancel(f->owner, f->u.req, AH_ECANCELED);
  return AH_OK;
}

static int future_run(void *s, long timeout_ms)
{
  return ah__session_run(s, timeout_ms);
}

static int future_poll_fd(const void *s)
{
  return session_poll_fd(s);
}

static int future_mark(void *s, unsigned long mark)
{
  return session_mark(s, mark);
}

static void future_hold(void *s)
{
  session_hold(s);
}

static void future_release(void *s)
{
  session_release(s);
}

static const struct ah__future_ops future_ops = {
  0, NULL, NULL, NULL, NULL, future_cancel,
  future_run, future_poll_fd, future_mark, future_hold, future_release
};

/* A future that failed before reaching libcurl. */
static ah_future *failed(ah_future *f, int err, const char *why,
                         const char *url)
{
  ah__future_complete(f, err, NULL, ah__message(err, why, NULL));
  (void)url; /* never echoed: a bad URL may hold credentials or junk */
  return f;
}

ah_future *ah_session_fetch(ah_session *s, const char *url,
                            const ah_request_opts *opts)
{
  struct ah__request *q;
  ah_future *f;
  const char *why = NULL;
  size_t ulen;
  int err;

  f = ah__future_new(&future_ops, s);
  if (f == NULL)
    return NULL;
  if (s == NULL)
    return failed(f, AH_EINVAL, "the session is NULL", url);
  if (s->closing)
    return failed(f, AH_ECANCELED, "the session is being freed", url);
  ulen = url != NULL ? strlen(url) + 1 : 0;
  q = ah__calloc(1, sizeof *q + (ulen > REQUEST_RESERVE ? ulen : REQUEST_RESERVE));
  if (q == NULL)
    return failed(f, AH_ENOMEM, "no memory for the request", url);
  q->f = f;
  q->attempt = 1;
  q->spec = ah__reqspec_ref(opts);
  if ((err = ah__reqspec_error(q->spec, &why)) != AH_OK ||
      (err = ah__request_url(q, url, s->base, &why)) != AH_OK) {
    request_free(s, q);
    return failed(f, err, why, url);
  }
  if (q->literal) /* libcurl is given it as the URL string it reports */
    q->url_str = memcpy(q + 1, url, ulen);
  q->retry_ns = -1;
  if (ah__request_attempts(q, s->rt.p.attempts) > 1)
    ah__budget_first(&s->rt.budget, ah__now_ns());
  if (s->active.n < s->window && s->queue.head == NULL && !s->bridge.in_curl) {
    if (rate_admit(s, q) && (err = start(s, q, &why)) != AH_OK) {
      request_free(s, q);
      return failed(f, err, why, url);
    }
  } else {
    if (s->bridge.in_curl)
      s->pump_later = 1;
    q->queued = 1;
    q->queued_ns = ah__now_ns();
    ah__list_append(&s->queue, q);
    if (s->queue.head == q)
      queue_timer_update(s);
    if (s->d.on_event != NULL)
      event(s, q, AH_EVENT_QUEUED, 0, 0, 0);
  }
  f->u.req = q;
  return f;
}

int ah__session_run(ah_session *s, long timeout_ms)
{
  int r;

  if (s->closing)
    return 0;
  session_hold(s);
  r = ah__reactor_run(&s->reactor, timeout_ms);
  if (s->ndoomed > 0)
    fail_doomed(s);
  if (s->pump_later) {
    s->pump_later = 0;
    pump(s);
  }
  if (s->free_later) {
    s->free_later = 0;
    ah_session_free(s); /* destroyed by the release below */
  }
  session_release(s);
  if (r < 0)
    return AH_EIO;
  return r;
}

int ah_session_run(ah_session *s, long timeout_ms)
{
  int r;

  if (s == NULL)
    return AH_EINVAL;
  if (ah__future_in_callback())
    return AH_EBUSY;
  r = ah__session_run(s, timeout_ms);
  return r == 1 ? AH_EINTR : r;
}

int ah_session_fd(const ah_session *s)
{
  return s ? s->reactor.epfd : AH_EINVAL;
}

int ah_session_wakeup(ah_session *s)
{
  if (s == NULL)
    return AH_EINVAL;
  return ah__reactor_wakeup(&s->reactor) == 0 ? AH_OK : AH_EIO;
}

/* Cookies: a short-lived easy handle on the session's share reaches the
 * jar, since libcurl loads and saves cookie files through a handle. */
static CURL *jar_handle(ah_session *s)
{
  CURL *e;

  if (s == NULL || s->d.no_cookies || (e = curl_easy_init()) == NULL)
    return NULL;
  if (curl_easy_setopt(e, CURLOPT_SHARE, s->d.share) != CURLE_OK) {
    curl_easy_cleanup(e);
    return NULL;
  }
  return e;
}

int ah_session_cookies_load(ah_session *s, const char *path)
{
  CURL *e;
  FILE *fp;
  CURLcode rc;

  if (s == NULL || path == NULL || s->d.no_cookies)
    return AH_EINVAL;
  if ((fp = fopen(path, "r")) == NULL)
    return AH_EIO; /* libcurl would ignore a file it cannot read */
  fclose(fp);
  if ((e = jar_handle(s)) == NULL)
    return AH_ENOMEM;
  rc = curl_easy_setopt(e, CURLOPT_COOKIEFILE, path);
  if (rc == CURLE_OK)
    rc = curl_easy_setopt(e, CURLOPT_COOKIELIST, "RELOAD");
  curl_easy_cleanup(e);
  return rc == CURLE_OK ? AH_OK : AH_ENOMEM;
}

int ah_session_cookies_save(ah_session *s, const char *path)
{
  CURL *e;
  FILE *fp;
  CURLcode rc;

  if (s == NULL || path == NULL || s->d.no_cookies)
    return AH_EINVAL;
  if ((fp = fopen(path, "a")) == NULL)
    return AH_EIO; /* libcurl would not say that it could not write */
  fclose(fp);
  if ((e = jar_handle(s)) == NULL)
    return AH_ENOMEM;
  rc = curl_easy_setopt(e, CURLOPT_COOKIEJAR, path);
  if (rc == CURLE_OK)
    rc = curl_easy_setopt(e, CURLOPT_COOKIELIST, "FLUSH");
  /* Cleanup would write the jar once more: clear the name first. */
  curl_easy_setopt(e, CURLOPT_COOKIEJAR, NULL);
  curl_easy_cleanup(e);
  return rc == CURLE_OK ? AH_OK : AH_ENOMEM;
}

unsigned ah_version(void)
{
  return AH_VERSION_NUM;
}
