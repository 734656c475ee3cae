/* ahttp/adapters/libevent.h - drive an ahttp session from a libevent loop.
 *
 *   #include <ahttp/adapters/libevent.h>
 *   struct event *ev = ah_libevent_attach(base, s);   ... event_base_dispatch(base)
 *   ah_libevent_detach(ev);                           before ah_session_free(s)
 *
 * A session has one descriptor (ah_session_fd) that is readable whenever
 * it has work: a socket ready, a timer due, a request submitted from
 * another thread. The adapter watches it with one persistent read event
 * and calls ah_session_run(s, 0) when it fires; no timer event is needed,
 * since ahttp's timers live behind the same descriptor. Completions
 * (ah_future_on_done) then run on the loop's thread.
 *
 * Header only: nothing of it is in libahttp, and it needs libevent's
 * headers and library (pkg-config libevent) only in the program that
 * includes it. */
#ifndef AHTTP_ADAPTERS_LIBEVENT_H
#define AHTTP_ADAPTERS_LIBEVENT_H

#include <ahttp.h>
#include <event2/event.h>

static inline void ah_libevent__readable(evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  ah_session_run((ah_session *)arg, 0);
}

/* Start serving s from base: the event (added), or NULL when libevent
 * could not make or add it. */
static inline struct event *ah_libevent_attach(struct event_base *base, ah_session *s)
{
  struct event *ev = event_new(base, ah_session_fd(s), EV_READ | EV_PERSIST,
                               ah_libevent__readable, s);

  if (ev != NULL && event_add(ev, NULL) != 0) {
    event_free(ev);
    ev = NULL;
  }
  return ev;
}

/* Stop serving and free the event (NULL is a no-op): event_base_dispatch
 * returns once nothing else is pending. The session is left as it is. */
static inline void ah_libevent_detach(struct event *ev)
{
  if (ev != NULL)
    event_free(ev); /* deletes it from the base first */
}

#endif
