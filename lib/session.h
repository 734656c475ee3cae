/* session.h - what a loop needs of the session it runs. */
#ifndef AH_SESSION_H
#define AH_SESSION_H

#include "ahttp.h"

/* Run the reactor once, as ah_session_run, for a wait: 1 when woken by
 * ah_session_wakeup, 0, or a negative AH_E* code. */
int ah__session_run(ah_session *s, long timeout_ms);

#endif
