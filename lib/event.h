/* event.h - lifecycle events for the session's hook. */
#ifndef AH_EVENT_H
#define AH_EVENT_H

#include <stdint.h>

#include "ahttp.h"

struct ah__defaults;
struct ah__request;

/* Tell the session's hook (d->on_event, not NULL) of ev, an event of q
 * whose type, time and details are set: its future and attempt are
 * filled in here. */
void ah__event(const struct ah__defaults *d, const struct ah__request *q,
               ah_event *ev);
/* An event of q of this type and time, with a status, error and delay. */
void ah__tell(const struct ah__defaults *d, const struct ah__request *q,
              int type, int64_t t_ns, int status, int err, int64_t delay_ns);

#endif
