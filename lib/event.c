/* event.c - lifecycle events for the session's hook (ah_event): the one
 * place an ah_event is filled in and delivered. */
#include "event.h"

#include <string.h>

#include "future.h"
#include "request.h"
#include "session_opts.h"

/* Deliver ev, an event of q, to the hook: its future and attempt are
 * filled in here. */
static void deliver(const struct ah__defaults *d, const struct ah__request *q,
                    ah_event *ev)
{
  ev->future = q->f;
  ev->attempt = q->attempt;
  ah__future_cb_enter();
  d->on_event(ev, d->event_ud);
  ah__future_cb_leave();
}

void ah__tell(const struct ah__defaults *d, const struct ah__request *q,
              int type, int64_t t_ns, int status, int err, int64_t delay_ns)
{
  ah_event ev;

  memset(&ev, 0, sizeof ev);
  ev.type = type;
  ev.time_ns = t_ns;
  ev.status = status;
  ev.error = err;
  ev.delay_us = delay_ns / 1000;
  deliver(d, q, &ev);
}

void ah__tell_connected(const struct ah__defaults *d, const struct ah__request *q,
                        int64_t t_ns, int reused)
{
  ah_event ev;

  memset(&ev, 0, sizeof ev);
  ev.type = AH_EVENT_CONNECTED;
  ev.time_ns = t_ns;
  ev.reused = reused;
  deliver(d, q, &ev);
}

void ah__tell_redirect(const struct ah__defaults *d, const struct ah__request *q,
                       int64_t t_ns, int status, const char *url)
{
  ah_event ev;

  memset(&ev, 0, sizeof ev);
  ev.type = AH_EVENT_REDIRECT;
  ev.time_ns = t_ns;
  ev.status = status;
  ev.url = url;
  deliver(d, q, &ev);
}
