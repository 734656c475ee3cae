/* future.c - future lifecycle, on_done, and the waits. */
#include "future.h"

#include <limits.h>
#include <poll.h>
#include <string.h>

#include "alloc.h"
#include "reactor.h"
#include "response.h"

/* Callbacks nest per thread; a session is used by one thread at a time. */
static __thread int cb_depth;
/* Numbers each multi-session wait, to find its distinct sessions. */
static __thread unsigned long wait_gen;

int ah__future_in_callback(void)
{
  return cb_depth > 0;
}

void ah__future_cb_enter(void)
{
  cb_depth++;
}

void ah__future_cb_leave(void)
{
  cb_depth--;
}

ah_future *ah__future_new(const struct ah__future_ops *ops, void *owner)
{
  ah_future *f = ah__malloc(sizeof *f); /* the allocator's cache, as a request */

  if (f != NULL) {
    memset(f, 0, sizeof *f);
    f->err = AH_EPENDING;
    f->ops = ops;
    f->owner = owner;
  }
  return f;
}

static void unlink_waiter(ah_future *f)
{
  struct ah__waiter *w = f->w;

  if (f->wprev)
    f->wprev->wnext = f->wnext;
  else
    w->head = f->wnext;
  if (f->wnext)
    f->wnext->wprev = f->wprev;
  if (f->err == AH_EPENDING)
    w->pending--;
  if (w->first == f)
    w->first = NULL;
  f->w = NULL;
  f->wprev = f->wnext = NULL;
}

static void destroy(ah_future *f)
{
  if (f->w)
    unlink_waiter(f);
  ah__response_free(f->resp);
  ah__free(f->payload);
  ah__free(f->msg);
  ah__free(f);
}

static void run_cb(ah_future *f)
{
  ah_done_cb cb = f->cb;

  f->cb = NULL; /* exactly once */
  f->in_cb = 1;
  cb_depth++;
  cb(f, f->ud);
  cb_depth--;
  f->in_cb = 0;
  if (f->free_later)
    destroy(f);
}

void ah__future_complete(ah_future *f, int err, ah_response *resp, char *msg)
{
  f->err = err;
  f->resp = resp;
  f->msg = msg;
  f->owner = NULL;
  f->u.req = NULL;
  if (f->w) {
    f->w->pending--;
    if (f->w->first == NULL)
      f->w->first = f;
  }
  if (f->cb)
    run_cb(f);
  else if (f->free_later)
    destroy(f);
}

/* A loop's future (loop.c) is shared with the loop's thread: its state is
 * read under the loop's lock, and its outcome only once it is released. */

int ah_future_done(const ah_future *f)
{
  if (f != NULL && f->ops->shared)
    return f->ops->done(f);
  return f != NULL && f->err != AH_EPENDING;
}

int ah_future_error(const ah_future *f)
{
  if (f != NULL && f->ops->shared)
    return f->ops->error(f);
  return f ? f->err : AH_EINVAL;
}

const char *ah_future_errmsg(const ah_future *f)
{
  int err = ah_future_error(f);

  if (f == NULL || err == AH_EPENDING)
    return ah_strerror(err);
  return f->msg ? f->msg : ah_strerror(err);
}

int ah_future_curl_code(const ah_future *f)
{
  int err = ah_future_error(f); /* a loop's: readable once released */

  return f != NULL && err != AH_OK && err != AH_EPENDING ? f->curl_code : 0;
}

const ah_response *ah_future_response(const ah_future *f)
{
  return ah_future_error(f) == AH_OK ? f->resp : NULL;
}

ah_session *ah_future_session(const ah_future *f)
{
  return f != NULL && !f->ops->shared ? f->owner : NULL;
}

int ah_future_on_done(ah_future *f, ah_done_cb cb, void *userdata)
{
  if (f == NULL || cb == NULL || f->ops->shared)
    return AH_EINVAL; /* a loop's future: the callback goes to the fetch */
  f->cb = cb;
  f->ud = userdata;
  if (f->err != AH_EPENDING && !f->in_cb)
    run_cb(f);
  return AH_OK;
}

int ah_future_cancel(ah_future *f)
{
  if (f == NULL)
    return AH_EINVAL;
  if (f->ops->shared || f->err == AH_EPENDING)
    return f->ops->cancel(f);
  return AH_OK;
}

void ah_future_free(ah_future *f)
{
  if (f == NULL)
    return;
  if (f->ops->shared) {
    f->ops->free(f);
    return;
  }
  if (f->in_cb) {
    f->free_later = 1;
    return;
  }
  if (f->err == AH_EPENDING) {
    /* Completing it frees it, after its callback if it has one. */
    f->free_later = 1;
    f->ops->cancel(f);
    return;
  }
  destroy(f);
}

/* The waits. */

static long ms_left(int64_t deadline)
{
  int64_t left;

  if (deadline == AH__NO_DEADLINE)
    return -1;
  left = deadline - ah__now_ns();
  return left <= 0 ? 0 : (long)((left + 999999) / 1000000);
}

static int satisfied(const struct ah__waiter *w, int any)
{
  return any ? w->first != NULL : w->pending == 0;
}

/* Futures of several sessions: run each without blocking, then block on
 * all their epoll fds at once. */
static int run_owners(const struct ah__future_ops *ops, void **ss, size_t nss,
                      struct pollfd *pfd, const struct ah__waiter *w, int any,
                      long ms)
{
  size_t i;
  int rc;

  for (i = 0; i < nss; i++) {
    rc = ops->run(ss[i], 0);
    if (rc != 0)
      return rc;
    if (satisfied(w, any))
      return 0;
  }
  for (i = 0; i < nss; i++) {
    int64_t due;
    long left;
    pfd[i].fd = ops->poll_fd(ss[i], &due); /* -1, skipped: being freed */
    pfd[i].events = POLLIN;
    if (pfd[i].fd >= 0 && (left = ms_left(due)) >= 0 && (ms < 0 || left < ms))
      ms = left;
  }
  /* A deadline past INT_MAX ms is waited for in steps: -1 would be
   * forever, and the deadline's timer then never runs. */
  if (poll(pfd, nss, ms > INT_MAX ? INT_MAX : (int)ms) < 0)
    return 0; /* EINTR: loop again */
  return 0;
}

static int wait_for(ah_future *const *fs, size_t n, long timeout_ms, int any,
                    ah_future **first)
{
  struct ah__waiter w = {NULL, 0, NULL};
  const struct ah__future_ops *ops = NULL;
  void *one = NULL, **ss = NULL;
  struct pollfd *pfd = NULL;
  size_t i, nss = 0;
  int64_t deadline;
  int rc = AH_OK, multi = 0;
  ah_future *f;

  if (cb_depth > 0)
    return AH_EBUSY;
  if (n > 0 && fs == NULL)
    return AH_EINVAL;
  for (i = 0; i < n; i++)
    if (fs[i] == NULL || fs[i]->ops->shared != fs[0]->ops->shared)
      return AH_EINVAL; /* a wait is on a loop's futures or on sessions' */
  if (n > 0 && fs[0]->ops->shared)
    return fs[0]->ops->wait(fs, n, timeout_ms, any, first);
  deadline = timeout_ms < 0 ? AH__NO_DEADLINE
                            : ah__now_ns() + (int64_t)timeout_ms * 1000000;
  for (i = 0; i < n; i++) {
    f = fs[i];
    if (f->err != AH_EPENDING) {
      if (any) {
        *first = f;
        goto out;
      }
      continue;
    }
    if (f->w == &w)
      continue; /* listed twice */
    if (f->w != NULL) {
      rc = AH_EBUSY; /* already waited on elsewhere */
      goto out;
    }
    f->w = &w;
    f->wprev = NULL;
    f->wnext = w.head;
    if (w.head)
      w.head->wprev = f;
    w.head = f;
    w.pending++;
    if (one == NULL) {
      one = f->owner;
      ops = f->ops; /* a pending one's: a session's */
    } else if (f->owner != one) {
      multi = 1;
    }
  }
  if (w.pending == 0)
    goto out;
  if (multi) {
    /* Distinct sessions, found in O(n) with a mark on each. */
    ss = ah__reallocarray(NULL, w.pending, sizeof *ss);
    pfd = ah__reallocarray(NULL, w.pending, sizeof *pfd);
    if (ss == NULL || pfd == NULL) {
      rc = AH_ENOMEM;
      goto out;
    }
    wait_gen++;
    for (f = w.head; f; f = f->wnext)
      if (ops->mark(f->owner, wait_gen))
        ss[nss++] = f->owner;
    for (i = 0; i < nss; i++)
      ops->hold(ss[i]);
  } else {
    ops->hold(one);
  }
  while (!satisfied(&w, any)) {
    long ms = ms_left(deadline);
    int r = multi ? run_owners(ops, ss, nss, pfd, &w, any, ms)
                  : ops->run(one, ms);
    if (satisfied(&w, any))
      break;
    if (r == 1) {
      rc = AH_EINTR;
      break;
    }
    if (r < 0) {
      rc = r;
      break;
    }
    if (ms == 0) {
      rc = AH_ETIMEDOUT;
      break;
    }
  }
  if (any && rc == AH_OK)
    *first = w.first;
  if (multi) {
    for (i = 0; i < nss; i++)
      ops->release(ss[i]);
  } else {
    ops->release(one);
  }
out:
  while (w.head)
    unlink_waiter(w.head);
  ah__free(ss);
  ah__free(pfd);
  return rc;
}

int ah_future_wait(ah_future *f, long timeout_ms)
{
  if (f == NULL)
    return AH_EINVAL;
  return wait_for(&f, 1, timeout_ms, 0, NULL);
}

int ah_gather(ah_future *const *fs, size_t n, long timeout_ms)
{
  return wait_for(fs, n, timeout_ms, 0, NULL);
}

int ah_wait_first(ah_future *const *fs, size_t n, long timeout_ms,
                  ah_future **first)
{
  int rc;

  if (first == NULL)
    return AH_EINVAL;
  *first = NULL;
  if (n == 0)
    return AH_EINVAL; /* no future to be the first */
  rc = wait_for(fs, n, timeout_ms, 1, first);
  return rc == AH_OK && *first == NULL ? AH_ETIMEDOUT : rc;
}

ah_future *ah_wait_any(ah_future *const *fs, size_t n, long timeout_ms)
{
  ah_future *first = NULL;

  if (ah_wait_first(fs, n, timeout_ms, &first) != AH_OK)
    return NULL;
  return first;
}
