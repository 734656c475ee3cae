/* gate.h - the gates a request passes on its way out of the session's
 * queue, one set per host: room under the per-host limit (per_host.h),
 * then a token of its host's rate (rate.h), taken as it starts.
 *
 * Decides and keeps the gates' waiting lists; the queue (queue.c) moves
 * the requests, keeps the timer and ends them. A request stopped at a
 * gate waits in that gate's list holding no easy handle (a redirect's
 * hop keeps its own, and its place in the window), and goes back to the
 * head of the queue when its token or its room comes; its wait there
 * counts against the queue timeout from when it was first queued. */
#ifndef AH_GATE_H
#define AH_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "per_host.h"
#include "rate.h"

struct ah__request;

struct ah__gates {
  struct ah__rates rates; /* per-host rate limits and their buckets */
  int limited;            /* some rule limits a host */
  struct ah__hosts hosts; /* the per-host limit and its waiting lists */
  /* Requests waiting at a gate that keep a place in the window:
   * redirects' hops waiting for room, and requests holding their room
   * while they wait for a token. Each room is held in the window, so
   * that hops, which wait for rooms in the window, cannot fill it while
   * the rooms they wait for wait for a place there. */
  size_t nheld;
};

/* Where q, leaving the queue at now, goes (enum ah__place): AH__ACTIVE
 * when it may start (it then counts at its origin), AH__HELD when its
 * origin has no room, AH__PARKED when its host has no token for it (it
 * keeps its room meanwhile). For a
 * wait, *due is when the queue's timer must look at it (a token, or the
 * queue timeout queue_ns); AH__NO_DEADLINE: no sooner than before. */
int ah__gates_pass(struct ah__gates *g, struct ah__request *q, int64_t now,
                   int64_t queue_ns, int64_t *due);
/* The same for the next hop of q's redirect (q->j names it): AH__ACTIVE
 * when it goes on (the same origin keeps its room), else AH__HELD, with
 * q->hop_due_ns when the total timeout libcurl keeps for it ends
 * (lib_total_ms: that timeout, 0: ahttp keeps it, and it runs on).
 * *woken: the request that room came for at the origin it left, or NULL
 * (as ah__gates_leave). */
int ah__gates_hop(struct ah__gates *g, struct ah__request *q, long lib_total_ms,
                  struct ah__request **woken);
/* q stops running, or ends on its way back after room came: the room
 * goes to the first waiting there, returned (still in its list): a hop
 * first, counted there at once; else the first of the others, marked
 * (host_woken) to try again from the queue before those behind it.
 * NULL when none. */
struct ah__request *ah__gates_leave(struct ah__gates *g, struct ah__request *q);

/* Put q in the list of the gate it waits at (place, from ah__gates_pass
 * or ah__gates_hop), or take it out of there. */
void ah__gates_link(struct ah__gates *g, struct ah__request *q, int place);
void ah__gates_unlink(struct ah__gates *g, struct ah__request *q, int place);

/* The queue's timer for the gates: a request that waited at a gate past
 * the queue timeout at now, or a redirect's hop past its hop_due_ns, or
 * NULL; then, one at a time, parked requests whose token has come (taken:
 * rate_paid, unless it holds its room and starts at once), or NULL with
 * *next set to the earliest time any of these can happen again. */
struct ah__request *ah__gates_expired(struct ah__gates *g, int64_t now, int64_t queue_ns);
struct ah__request *ah__gates_token(struct ah__gates *g, int64_t now, int64_t queue_ns,
                                    int64_t *next);
/* The first request waiting at a gate (with an end pending, doom_err,
 * when doomed), or NULL. */
struct ah__request *ah__gates_any(const struct ah__gates *g, int doomed);
void ah__gates_free(struct ah__gates *g);

#endif
