/* event.h - lifecycle events for the session's hook (d->on_event, not
 * NULL): every ah_event is filled in and delivered here, its future and
 * attempt from the request. */
#ifndef AH_EVENT_H
#define AH_EVENT_H

#include <stdint.h>

#include "ahttp.h"

struct ah__defaults;
struct ah__request;

/* An event of q of this type and time, with a status, error and delay. */
void ah__tell(const struct ah__defaults *d, const struct ah__request *q,
              int type, int64_t t_ns, int status, int err, int64_t delay_ns);

/* AH_EVENT_CONNECTED of q at t_ns: a new connection, or an idle one
 * reused. */
void ah__tell_connected(const struct ah__defaults *d, const struct ah__request *q,
                        int64_t t_ns, int reused);
/* AH_EVENT_REDIRECT of q at t_ns: the status and the Location followed
 * (credentials removed by the caller). */
void ah__tell_redirect(const struct ah__defaults *d, const struct ah__request *q,
                       int64_t t_ns, int status, const char *url);

#endif
