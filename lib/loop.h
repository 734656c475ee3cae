/* loop.h - a session on a thread of its own, fed from any thread.
 *
 * ah_loop_fetch (any thread) queues a submission in the loop's inbox and
 * wakes the session; the loop thread starts it as an ordinary fetch (the
 * inner future) and, when that completes, moves its outcome into the
 * future the submitter holds (the outer future), runs the submitter's
 * callback, and only then releases the outer future to other threads.
 * The loop's mutex guards everything of an outer future that two threads
 * touch; its condition variable wakes threads waiting on outer futures. */
#ifndef AH_LOOP_H
#define AH_LOOP_H

#include <stddef.h>

#include "ahttp.h"

#endif
