/* future.h - a result that completes exactly once, and waiting for many.
 *
 * Knows nothing of sockets, curl, sessions or loops: a future reaches
 * whatever completes it (its owner) only through the small table of
 * operations that owner provides (session.c, loop.c), so that no call
 * goes from futures back up to them. */
#ifndef AH_FUTURE_H
#define AH_FUTURE_H

#include <stddef.h>
#include <stdint.h>

#include "ahttp.h"

struct ah__request;
struct ah__submit;
struct ah__ws_op;

/* What a future asks of its owner. */
struct ah__future_ops {
  /* 1: the future is completed on another thread (a loop's): its state
   * is read, and it is canceled, freed and waited for, through the owner
   * (done, error, cancel, free, wait). 0 (a session's): the future's own
   * fields say its state, and a wait drives the owner (run, poll_fd,
   * mark, hold, release), as many owners at once as the futures have. */
  int shared;
  int (*done)(const ah_future *f);
  int (*error)(const ah_future *f);
  void (*free)(ah_future *f);
  /* All (any: the first) of fs, futures of this owner's kind, done or
   * timeout_ms passed: AH_OK, AH_ETIMEDOUT, AH_EBUSY. */
  int (*wait)(ah_future *const *fs, size_t n, long timeout_ms, int any,
              ah_future **first);
  /* Cancel f, pending or not (a done one stays as it is). AH_OK or an
   * AH_E* code. */
  int (*cancel)(ah_future *f);
  /* Run the owner's reactor once for a wait: 1 when woken by
   * ah_session_wakeup, 0, or a negative AH_E* code. */
  int (*run)(void *owner, long timeout_ms);
  /* The descriptor a wait on several owners polls, -1: none (the owner
   * is being freed); *due: when the owner's earliest timer is due (it
   * bounds the poll: the descriptor wakes for sockets, not timers). */
  int (*poll_fd)(const void *owner, int64_t *due);
  /* 1 the first time owner is seen with this mark (distinct owners). */
  int (*mark)(void *owner, unsigned long mark);
  /* Keep the owner allocated across a run, whose callbacks may free it. */
  void (*hold)(void *owner);
  void (*release)(void *owner);
};

/* One wait in progress (ah_gather, ah_wait_any, ah_future_wait): the
 * futures it watches are linked to it, so completing one is O(1). */
struct ah__waiter {
  ah_future *head;
  size_t pending;   /* linked futures not done yet */
  ah_future *first; /* first linked future to complete, NULL if none */
};

struct ah_future {
  int err;                 /* AH_EPENDING until complete */
  unsigned in_cb : 1;      /* its on_done callback is running */
  unsigned free_later : 1; /* freed while in_cb: free when it returns */
  unsigned released : 1;   /* a loop's future: the loop is done with it */
  unsigned orphan : 1;     /* a loop's future freed while pending */
  const struct ah__future_ops *ops;
  void *owner;             /* a session's future: its session while
                              pending; a loop's: its loop, whose lock
                              guards it */
  union {
    struct ah__request *req; /* while pending, a session's future */
    struct ah__submit *sub;  /* while pending, a loop's future */
    struct ah__ws_op *ws;    /* while pending, a WebSocket's (ws.c) */
  } u;
  ah_response *resp;       /* on success */
  void *payload;           /* a WebSocket message (ws.c): one block,
                              freed with the future */
  char *msg;               /* detail of the outcome, may be NULL */
  int curl_code;           /* libcurl's code behind a failure, else 0 */
  ah_done_cb cb;
  void *ud;
  struct ah__waiter *w;
  ah_future *wprev, *wnext;
};

/* A pending future of owner, reached through ops; NULL without memory. */
ah_future *ah__future_new(const struct ah__future_ops *ops, void *owner);
/* Complete f: store the outcome (taking resp and msg), tell its waiter,
 * run on_done, and free f if the callback asked to. f may be gone after. */
void ah__future_complete(ah_future *f, int err, ah_response *resp, char *msg);
/* 1 while an on_done callback runs on this thread: waits are refused. */
int ah__future_in_callback(void);
/* Around a transfer callback of the caller's (data, headers, progress,
 * read): it counts as a callback too. */
void ah__future_cb_enter(void);
void ah__future_cb_leave(void);

#endif
