/* session.h - what a loop needs of the session it runs. */
#ifndef AH_SESSION_H
#define AH_SESSION_H

#include "ahttp.h"

struct ah__reactor;
struct ah__defaults;
struct ah__future_ops;

/* Run the reactor once, as ah_session_run, for a wait: 1 when woken by
 * ah_session_wakeup, 0, or a negative AH_E* code. */
int ah__session_run(ah_session *s, long timeout_ms);

/* What ws.c needs of a session. Its WebSockets live beside the request
 * queue, in state ws.c owns: the session holds it as an opaque pointer
 * with a function to close it, so that calls go from ws.c to the
 * session only. close(ws, 0) at ah_session_free: complete every pending
 * future with AH_ECANCELED and drop the connections; close(ws, 1) when
 * the session is destroyed (after its last run): release the rest. */
void *ah__session_ws(const ah_session *s);
void ah__session_set_ws(ah_session *s, void *ws, void (*close)(void *ws, int final));
struct ah__reactor *ah__session_reactor(ah_session *s);
const struct ah__defaults *ah__session_defaults(const ah_session *s);
/* 1 once ah_session_free was called. */
int ah__session_closing(const ah_session *s);
/* The operations of a session's futures (future.h), for futures of a
 * session that others complete (ws.c replaces cancel). */
const struct ah__future_ops *ah__session_future_ops(void);

#endif
