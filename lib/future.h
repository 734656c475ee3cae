/* future.h - a result that completes exactly once, and waiting for many.
 *
 * Knows nothing of sockets or curl: a pending future points at the
 * session that will complete it and at an opaque request to cancel. */
#ifndef AH_FUTURE_H
#define AH_FUTURE_H

#include <stddef.h>

#include "ahttp.h"

struct ah__request;
struct ah__submit;

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
  ah_session *s;           /* while pending */
  union {
    struct ah__request *req; /* while pending, a session's future */
    struct ah__submit *sub;  /* while pending, a loop's future */
  } u;
  ah_loop *loop;           /* a loop's future (loop.c): its lock guards it */
  ah_response *resp;       /* on success */
  char *msg;               /* detail of the outcome, may be NULL */
  ah_done_cb cb;
  void *ud;
  struct ah__waiter *w;
  ah_future *wprev, *wnext;
};

/* A pending future of session s; NULL without memory. */
ah_future *ah__future_new(ah_session *s);
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
