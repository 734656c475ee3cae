/* loop.c - ah_loop: a session running on its own thread, fed from any.
 *
 * The submitter's future (outer) is separate from the session's (inner):
 * the inner one lives and dies on the loop thread, the outer one is
 * shared, and every field of it that both threads touch is read and
 * written under the loop's mutex. An outer future is *released* once the
 * loop thread will never touch it again (its outcome stored, its
 * callback run); waits end on release, and a future freed before that is
 * marked an orphan and freed by the loop thread at release. */
#include "loop.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "future.h"
#include "reactor.h"
#include "request.h"
#include "request_opts.h"
#include "response.h"
#include "session.h"

/* What one ah_loop_fetch asks of the loop thread. */
struct ah__submit {
  struct ah__submit *next;   /* in the inbox */
  ah_future *outer;
  ah_future *inner;          /* once started (loop thread only) */
  char *url;
  ah_request_opts *opts;     /* a share of the caller's, or NULL */
  int cancel;                /* cancel asked (under the lock) */
  int started;               /* handed to the session (under the lock) */
  struct ah__submit *cnext, **cpprev; /* in l->cancels (under the lock) */
};

struct ah_loop {
  pthread_mutex_t lock;
  pthread_cond_t done;       /* an outer future was released */
  pthread_t thread;
  ah_session *s;             /* used by the loop thread only */
  struct ah__submit *inbox, **inbox_tail; /* new submissions */
  struct ah__submit *cancels; /* started ones whose cancel was asked */
  int stop, closed, self_free;
  int session_gone;          /* l->s freed: nothing to wake */
  /* The loop's memory (lock, condition) outlives its thread while outer
   * futures remain: each holds a reference, and so does the loop until
   * ah_loop_free. */
  size_t refs;
};

static struct ah_loop *of(const ah_future *f)
{
  return f->owner;
}

/* Wake the loop thread; the lock is held, so the session cannot be
 * freed meanwhile. */
static void wake_locked(struct ah_loop *l)
{
  if (!l->session_gone)
    ah_session_wakeup(l->s);
}

static void loop_destroy(struct ah_loop *l)
{
  pthread_mutex_destroy(&l->lock);
  pthread_cond_destroy(&l->done);
  ah__free(l);
}

/* Drop a reference (the lock not held); the last one frees the loop. */
static void loop_unref(struct ah_loop *l)
{
  size_t left;

  pthread_mutex_lock(&l->lock);
  left = --l->refs;
  pthread_mutex_unlock(&l->lock);
  if (left == 0)
    loop_destroy(l);
}

/* Free an outer future and what it holds. */
static void outer_destroy(ah_future *f)
{
  struct ah_loop *l = of(f);

  ah__response_free(f->resp);
  ah__free(f->msg);
  ah__free(f);
  loop_unref(l);
}

static void submit_free(struct ah__submit *sub)
{
  ah__free(sub->url);
  ah_request_opts_free(sub->opts);
  ah__free(sub);
}

/* The cancel list; the lock is held. */
static void cancel_push(struct ah_loop *l, struct ah__submit *sub)
{
  sub->cnext = l->cancels;
  if (l->cancels)
    l->cancels->cpprev = &sub->cnext;
  sub->cpprev = &l->cancels;
  l->cancels = sub;
}

static void cancel_unlink(struct ah__submit *sub)
{
  if (sub->cpprev == NULL)
    return;
  *sub->cpprev = sub->cnext;
  if (sub->cnext)
    sub->cnext->cpprev = sub->cpprev;
  sub->cpprev = NULL;
}

/* The outer future whose callback runs on this thread: it may read the
 * outcome it announces, though the other threads see it pending until its
 * release. */
static __thread const ah_future *announcing;

/* On the loop thread: the outcome goes to the outer future, its callback
 * runs, then it is released to the other threads. */
static void complete_outer(struct ah_loop *l, struct ah__submit *sub, int err,
                           ah_response *resp, char *msg, int curl_code)
{
  ah_future *f = sub->outer;
  struct ah__waiter *w;
  int orphan;

  pthread_mutex_lock(&l->lock);
  f->resp = resp;
  f->msg = msg;
  f->curl_code = curl_code;
  f->err = err;
  f->u.sub = NULL;
  cancel_unlink(sub); /* a cancel asked too late must not name it */
  pthread_mutex_unlock(&l->lock);
  if (f->cb != NULL) {
    const ah_future *outer_cb = announcing; /* a callback's fetch may nest */
    announcing = f;
    ah__future_cb_enter(); /* a wait from it would deadlock: refused */
    f->cb(f, f->ud);
    ah__future_cb_leave();
    announcing = outer_cb;
  }
  pthread_mutex_lock(&l->lock);
  f->released = 1;
  if ((w = f->w) != NULL) {
    w->pending--;
    if (w->first == NULL)
      w->first = f;
  }
  orphan = f->orphan;
  pthread_cond_broadcast(&l->done);
  pthread_mutex_unlock(&l->lock);
  if (orphan)
    outer_destroy(f);
  submit_free(sub);
}

static void on_inner_done(ah_future *inner, void *ud)
{
  struct ah__submit *sub = ud;
  struct ah_loop *l = of(sub->outer);
  ah_response *resp = inner->resp;
  char *msg = inner->msg;
  int err = inner->err, curl_code = inner->curl_code;

  inner->resp = NULL; /* the outer future takes them */
  inner->msg = NULL;
  ah_future_free(inner);
  complete_outer(l, sub, err, resp, msg, curl_code);
}

/* On the loop thread: start what came in, cancel what was asked. */
static void serve_inbox(struct ah_loop *l)
{
  struct ah__submit *todo, *sub, *next;

  pthread_mutex_lock(&l->lock);
  todo = l->inbox;
  l->inbox = NULL;
  l->inbox_tail = &l->inbox;
  pthread_mutex_unlock(&l->lock);
  for (sub = todo; sub; sub = next) {
    int canceled;
    next = sub->next;
    pthread_mutex_lock(&l->lock);
    canceled = sub->cancel || l->stop;
    sub->started = !canceled; /* a cancel from now on joins l->cancels */
    pthread_mutex_unlock(&l->lock);
    if (canceled) {
      complete_outer(l, sub, AH_ECANCELED, NULL,
                     ah__message(AH_ECANCELED, "canceled before it started", NULL), 0);
      continue;
    }
    sub->inner = ah_session_fetch(l->s, sub->url, sub->opts);
    if (sub->inner == NULL) {
      complete_outer(l, sub, AH_ENOMEM, NULL, NULL, 0);
      continue;
    }
    ah_future_on_done(sub->inner, on_inner_done, sub); /* may run at once */
  }
  /* One at a time: canceling one may complete others (a queued request
   * that then fails to start), which leave the list as they complete. */
  for (;;) {
    pthread_mutex_lock(&l->lock);
    if ((sub = l->cancels) != NULL)
      cancel_unlink(sub);
    pthread_mutex_unlock(&l->lock);
    if (sub == NULL)
      break;
    ah_future_cancel(sub->inner);
  }
}

static void *loop_main(void *arg)
{
  struct ah_loop *l = arg;
  struct ah__submit *left, *next;
  int stop = 0;

  while (!stop) {
    serve_inbox(l);
    pthread_mutex_lock(&l->lock);
    stop = l->stop;
    pthread_mutex_unlock(&l->lock);
    if (!stop)
      ah__session_run(l->s, -1); /* returns when woken, or on work */
  }
  /* Every started request completes here, AH_ECANCELED. Wakers check
   * session_gone under the lock, so the session is not freed under them. */
  pthread_mutex_lock(&l->lock);
  l->session_gone = 1;
  pthread_mutex_unlock(&l->lock);
  ah_session_free(l->s);
  pthread_mutex_lock(&l->lock);
  l->closed = 1;             /* fetches from now on fail at once */
  left = l->inbox;
  l->inbox = NULL;
  pthread_mutex_unlock(&l->lock);
  for (; left; left = next) {
    next = left->next;
    complete_outer(l, left, AH_ECANCELED,
                   NULL, ah__message(AH_ECANCELED, "the loop was freed", NULL), 0);
  }
  if (l->self_free)
    loop_unref(l); /* freed from its own callback: the loop's reference */
  return NULL;
}

ah_loop *ah_loop_new(const ah_session_opts *opts)
{
  struct ah_loop *l = ah__calloc(1, sizeof *l);

  if (l == NULL)
    return NULL;
  l->inbox_tail = &l->inbox;
  l->refs = 1;
  if ((l->s = ah_session_new(opts)) == NULL)
    goto fail;
  if (pthread_mutex_init(&l->lock, NULL) != 0)
    goto fail_session;
  if (pthread_cond_init(&l->done, NULL) != 0)
    goto fail_mutex;
  if (pthread_create(&l->thread, NULL, loop_main, l) != 0)
    goto fail_cond;
  return l;
fail_cond:
  pthread_cond_destroy(&l->done);
fail_mutex:
  pthread_mutex_destroy(&l->lock);
fail_session:
  ah_session_free(l->s);
fail:
  ah__free(l);
  return NULL;
}

void ah_loop_free(ah_loop *l)
{
  int self;

  if (l == NULL)
    return;
  self = pthread_equal(pthread_self(), l->thread);
  pthread_mutex_lock(&l->lock);
  l->stop = 1;
  l->self_free = self;
  wake_locked(l);
  pthread_mutex_unlock(&l->lock);
  if (self) { /* from one of its callbacks: it frees itself when done */
    pthread_detach(l->thread);
    return;
  }
  pthread_join(l->thread, NULL);
  loop_unref(l);
}

/* What a loop's futures ask of it (future.h): each is shared with the
 * loop's thread. A future refused before any loop saw it is done as it
 * is, and needs nothing of anyone. */
static int loop_future_done(const ah_future *f);
static int loop_future_error(const ah_future *f);
static int loop_future_cancel(ah_future *f);
static void loop_future_free(ah_future *f);
static int loop_wait(ah_future *const *fs, size_t n, long timeout_ms, int any,
                     ah_future **first);

static const struct ah__future_ops future_ops = {
  1, loop_future_done, loop_future_error, loop_future_free, loop_wait,
  loop_future_cancel, NULL, NULL, NULL, NULL, NULL
};
static const struct ah__future_ops done_ops = {
  0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

ah_future *ah_loop_fetch(ah_loop *l, const char *url,
                         const ah_request_opts *opts, ah_done_cb cb,
                         void *userdata)
{
  ah_future *f = ah__future_new(&done_ops, NULL);
  struct ah__submit *sub;

  if (f == NULL)
    return NULL;
  f->cb = cb;
  f->ud = userdata;
  if (l == NULL || url == NULL) {
    f->err = AH_EINVAL;
    f->msg = ah__message(AH_EINVAL, l ? "the URL is NULL" : "the loop is NULL",
                         NULL);
    return f; /* never touched by a loop: released as it is */
  }
  if ((sub = ah__calloc(1, sizeof *sub)) == NULL ||
      (sub->url = ah__strdup(url)) == NULL ||
      (opts != NULL && (sub->opts = ah__request_opts_share(opts)) == NULL)) {
    if (sub)
      submit_free(sub);
    ah__free(f);
    return NULL;
  }
  sub->outer = f;
  f->u.sub = sub;
  f->ops = &future_ops;
  f->owner = l;
  pthread_mutex_lock(&l->lock);
  l->refs++;
  if (l->closed) {
    pthread_mutex_unlock(&l->lock);
    submit_free(sub);
    f->u.sub = NULL;
    f->err = AH_ECANCELED;
    f->msg = ah__message(AH_ECANCELED, "the loop was freed", NULL);
    f->released = 1;
    return f;
  }
  *l->inbox_tail = sub;
  l->inbox_tail = &sub->next;
  wake_locked(l);
  pthread_mutex_unlock(&l->lock);
  return f;
}

/* The future functions, for a loop's futures. */

static int loop_future_done(const ah_future *f)
{
  struct ah_loop *l = of(f);
  int done;

  if (f == announcing)
    return 1; /* its own callback, on the thread that stored the outcome */
  pthread_mutex_lock(&l->lock);
  done = f->released;
  pthread_mutex_unlock(&l->lock);
  return done;
}

static int loop_future_error(const ah_future *f)
{
  struct ah_loop *l = of(f);
  int err;

  if (f == announcing)
    return f->err;
  pthread_mutex_lock(&l->lock);
  err = f->released ? f->err : AH_EPENDING;
  pthread_mutex_unlock(&l->lock);
  return err;
}

/* Ask the loop thread to cancel f; the lock is held. */
static void cancel_locked(struct ah_loop *l, ah_future *f)
{
  struct ah__submit *sub = f->u.sub;

  if (sub == NULL || sub->cancel)
    return;
  sub->cancel = 1;
  if (sub->started) /* else the inbox sees the flag */
    cancel_push(l, sub);
  wake_locked(l);
}

static int loop_future_cancel(ah_future *f)
{
  struct ah_loop *l = of(f);

  pthread_mutex_lock(&l->lock);
  cancel_locked(l, f);
  pthread_mutex_unlock(&l->lock);
  return AH_OK;
}

static void loop_future_free(ah_future *f)
{
  struct ah_loop *l = of(f);
  int released;

  pthread_mutex_lock(&l->lock);
  released = f->released;
  if (!released) {
    f->orphan = 1; /* the loop thread frees it when it is done with it */
    cancel_locked(l, f);
  }
  pthread_mutex_unlock(&l->lock);
  if (released)
    outer_destroy(f);
}

static int loop_wait(ah_future *const *fs, size_t n, long timeout_ms, int any,
                  ah_future **first)
{
  struct ah_loop *l = of(fs[0]);
  struct ah__waiter w = {NULL, 0, NULL};
  struct timespec until;
  size_t i;
  int rc = AH_OK;

  if (ah__future_in_callback())
    return AH_EBUSY;
  for (i = 0; i < n; i++)
    if (fs[i]->owner != fs[0]->owner)
      return AH_EINVAL; /* one loop per wait */
  clock_gettime(CLOCK_REALTIME, &until);
  if (timeout_ms >= 0) {
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (timeout_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000;
    }
  }
  pthread_mutex_lock(&l->lock);
  for (i = 0; i < n; i++) {
    ah_future *f = fs[i];
    if (f->released) {
      if (any && w.first == NULL)
        w.first = f;
      continue;
    }
    if (f->w == &w)
      continue;
    if (f->w != NULL) {
      rc = AH_EBUSY; /* waited on by another thread */
      goto out;
    }
    f->w = &w;
    f->wnext = w.head;
    w.head = f;
    w.pending++;
  }
  while (any ? (w.first == NULL && w.pending > 0) : w.pending > 0) {
    int e = timeout_ms < 0 ? pthread_cond_wait(&l->done, &l->lock)
                           : pthread_cond_timedwait(&l->done, &l->lock, &until);
    if (e == ETIMEDOUT &&
        (any ? (w.first == NULL && w.pending > 0) : w.pending > 0)) {
      rc = AH_ETIMEDOUT;
      break;
    }
  }
  if (any && rc == AH_OK)
    *first = w.first;
out:
  while (w.head) {
    ah_future *f = w.head;
    w.head = f->wnext;
    f->w = NULL;
    f->wnext = NULL;
  }
  pthread_mutex_unlock(&l->lock);
  return rc;
}
