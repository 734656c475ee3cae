/* ahttp/adapters/libuv.h - drive an ahttp session from a libuv loop.
 *
 *   #include <ahttp/adapters/libuv.h>
 *   ah_uv w;
 *   ah_uv_attach(&w, uv_default_loop(), s);   ... uv_run(...)
 *   ah_uv_detach(&w);                         before ah_session_free(s)
 *
 * A session has one descriptor (ah_session_fd) that is readable whenever
 * it has work: a socket ready, a timer due, a request submitted from
 * another thread. The adapter watches it with a uv_poll handle and calls
 * ah_session_run(s, 0) when it is readable; nothing else is needed, not
 * even a uv_timer, since ahttp's timers live behind the same descriptor.
 * Completions (ah_future_on_done) then run on the loop's thread.
 *
 * Header only: nothing of it is in libahttp, and it needs libuv's
 * headers and library (pkg-config libuv) only in the program that
 * includes it. The ah_uv is the caller's and must stay in place (not
 * moved or freed) until the close callback of ah_uv_detach has run, or
 * the loop has run once after ah_uv_detach. */
#ifndef AHTTP_ADAPTERS_LIBUV_H
#define AHTTP_ADAPTERS_LIBUV_H

#include <ahttp.h>
#include <uv.h>

typedef struct ah_uv {
  uv_poll_t poll;   /* first: a uv_handle_t * is an ah_uv * */
  ah_session *s;
  int attached;     /* the poll handle is open: ah_uv_detach closes it */
} ah_uv;

static inline void ah_uv__readable(uv_poll_t *h, int status, int events)
{
  (void)status; /* an error on the session's descriptor: run tells */
  (void)events;
  ah_session_run(((ah_uv *)h->data)->s, 0);
}

/* Start serving s from loop: 0, or a libuv error code (negative), and
 * then nothing of w is left open (ah_uv_detach is a no-op on it; after a
 * failed uv_poll_start the handle closes as the loop runs once more). */
static inline int ah_uv_attach(ah_uv *w, uv_loop_t *loop, ah_session *s)
{
  int rc;

  w->s = s;
  w->attached = 0;
  rc = uv_poll_init(loop, &w->poll, ah_session_fd(s));
  if (rc != 0)
    return rc;
  w->poll.data = w;
  rc = uv_poll_start(&w->poll, UV_READABLE, ah_uv__readable);
  if (rc != 0) {
    uv_close((uv_handle_t *)&w->poll, NULL);
    return rc;
  }
  w->attached = 1;
  return 0;
}

/* Stop serving: the poll handle is closed (uv_run returns once nothing
 * else is active); a no-op when w is not attached. The session is left
 * as it is, for the caller to free. */
static inline void ah_uv_detach(ah_uv *w)
{
  if (w->attached) {
    w->attached = 0;
    uv_close((uv_handle_t *)&w->poll, NULL);
  }
}

#endif
