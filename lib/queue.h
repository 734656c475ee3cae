/* queue.h - the session's admission: where each of its requests is
 * (waiting for room in libcurl, for a token of its host's rate, for its
 * retry, or running in libcurl), when it moves on, and how it ends.
 *
 * Knows nothing of the session's lifecycle: the session embeds one queue,
 * hands it each new request (ah__queue_submit) and the reactor's turns
 * (ah__queue_after_run), and the curl bridge reports to it
 * (ah__queue_bridge_ops, with the queue as the argument). Completing a
 * request runs the caller's callbacks, which may fetch, cancel or free
 * the session: the session holds itself across every call into here. */
#ifndef AH_QUEUE_H
#define AH_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "curl_bridge.h"
#include "deadline.h"
#include "easy.h"
#include "gate.h"
#include "list.h"
#include "retry.h"

struct ah__defaults;
struct ah__reactor;
struct ah__request;
struct ah__slot;

struct ah__queue {
  struct ah__reactor *reactor;
  struct ah__bridge *bridge;
  const struct ah__defaults *d;
  struct ah__list active;    /* requests handed to libcurl */
  struct ah__list queue;     /* requests waiting for room, FIFO */
  struct ah__list ready;     /* admitted during the reactor's turn, to
                                start when it ends (in the window) */
  struct ah__list waiting;   /* requests waiting to be retried, by due time */
  struct ah__retrier rt;     /* retry policy, budget, jitter */
  int timer;                 /* the one deadline timer; 0: none yet */
  int64_t armed;             /* what it is set to, AH__NO_DEADLINE: none */
  int starved;               /* out of descriptors: admission paused */
  int64_t fd_due;            /* when the pause ends */
  struct ah__gates g;        /* per host: rates, and the per-host limit */
  int64_t gate_due;          /* when the gates' waits next change: a token,
                                or a queue timeout; AH__NO_DEADLINE: none */
  int64_t starve_ns;         /* the pause's length, doubled each time */
  size_t window;             /* most requests in libcurl at once */
  int64_t queue_ns;          /* queue timeout, 0: none */
  /* The total and connect timeouts of the requests in libcurl, kept by
   * ahttp: libcurl's own put every handle in its timer tree for the
   * whole transfer, a tree walk through other handles at each change. */
  struct ah__deadlines totals, connects;
  size_t ndoomed;            /* requests with doom_err, to fail */
  size_t nshut;              /* requests marked shut_after (request.h) */
  struct ah__slot_pool pool; /* idle easy handles, configured */
  int closing;               /* the session is being freed */
  int pump_later;            /* fetched inside libcurl: start it after */
};

/* What the curl bridge reports to a queue (its argument). */
extern const struct ah__bridge_ops ah__queue_bridge_ops;

/* Ready aq (zeroed by the caller, rt.p and rates already set): at most
 * window requests in libcurl (0: no limit), queue_ms the longest wait in
 * the queue (0: none). 0, or -1 without memory. */
int ah__queue_init(struct ah__queue *aq, struct ah__reactor *r,
                   struct ah__bridge *b, const struct ah__defaults *d,
                   size_t window, long queue_ms);
/* Free the idle easy handles and the rates (every request has ended). */
void ah__queue_close(struct ah__queue *aq);
/* Admit q, a new request: it starts now, or waits its turn. AH_OK, or
 * the code that ends it at once (q is then the caller's to free) with
 * *why. */
int ah__queue_submit(struct ah__queue *aq, struct ah__request *q, const char **why);
/* End q, wherever it is, with err (AH_ECANCELED for a cancel): at once,
 * or inside libcurl's callbacks once the call returns. */
void ah__queue_cancel(struct ah__queue *aq, struct ah__request *q, int err);
/* End every request with AH_ECANCELED: those waiting first, so that none
 * moves up into libcurl meanwhile. */
void ah__queue_cancel_all(struct ah__queue *aq);
/* Before a turn of the reactor: the ends of transfers and the starts
 * of new requests wait for its end (curl_bridge.c says why). */
void ah__queue_before_run(struct ah__queue *aq);
/* After a turn of the reactor: end the transfers that ended in it, the
 * requests doomed inside libcurl, then start those fetched meanwhile. */
void ah__queue_after_run(struct ah__queue *aq);
/* Free a request that never started or has ended (its slot back to the
 * pool). */
void ah__queue_request_free(struct ah__queue *aq, struct ah__request *q);


#endif
