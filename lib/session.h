/* session.h - what the futures need of a session. */
#ifndef AH_SESSION_H
#define AH_SESSION_H

#include "ahttp.h"

struct ah__request;

/* Run the reactor once, as ah_session_run, for a wait: 1 when woken by
 * ah_session_wakeup, 0, or a negative AH_E* code. */
int ah__session_run(ah_session *s, long timeout_ms);
/* Stop a pending request and complete its future with err. */
void ah__session_cancel(ah_session *s, struct ah__request *q, int err);
/* Keep s allocated across a call that may run callbacks, one of which may
 * free the session: the free then happens at the last release. */
void ah__session_hold(ah_session *s);
void ah__session_release(ah_session *s);
/* The descriptor a wait on several sessions polls for s: its epoll fd,
 * or -1 once s is being freed (its events are no longer read, and a
 * ready one would make poll return at once, forever). */
int ah__session_poll_fd(const ah_session *s);
/* 1 the first time s is seen with this mark, else 0 (distinct sessions). */
int ah__session_mark(ah_session *s, unsigned long mark);

#endif
