/* retry.h - when and how soon a failed request is tried again.
 *
 * Policy only: given what happened to an attempt, whether to try again and
 * after how long. Knows nothing of curl (but its date parser), sockets or
 * futures: the session asks, and does the waiting in the reactor's timers. */
#ifndef AH_RETRY_H
#define AH_RETRY_H

#include <stdint.h>
#include <time.h>

#define AH__RETRY_MAX_STATUSES 16
#define AH__BUDGET_SECONDS 10

/* What happened to an attempt, as far as retrying is concerned. */
enum ah__outcome {
  AH__OUT_FINAL = 0,   /* a response or a failure not worth retrying */
  AH__OUT_CONNECT,     /* no connection was made: nothing was sent */
  AH__OUT_RESET,       /* the connection ended before any response byte */
  AH__OUT_TIMEOUT,     /* a timeout after the connection was made */
  AH__OUT_STATUS,      /* a response whose status asks for a retry */
  AH__OUT_REFUSED      /* an HTTP/2 stream refused unprocessed: safe for
                          any method, retried with AH_RETRY_RESET */
};

struct ah__retry_policy {
  int attempts;            /* in all, the first included; 1: no retry */
  unsigned on;             /* AH_RETRY_* */
  int64_t base_ns, max_ns; /* backoff: full jitter, capped */
  int statuses[AH__RETRY_MAX_STATUSES];
  int nstatuses;
  double ratio;            /* budget: retries per first attempt; < 0 none */
  long min_per_s;          /* budget: retries always allowed per second */
};

/* Retries as a fraction of recent first attempts, per second, over the
 * last AH__BUDGET_SECONDS seconds. */
struct ah__retry_budget {
  int64_t second;          /* the second the newest counts are for */
  uint32_t first[AH__BUDGET_SECONDS], retries[AH__BUDGET_SECONDS];
};

/* A session's retrying: its policy, its budget, its jitter. */
struct ah__retrier {
  struct ah__retry_policy p;
  struct ah__retry_budget budget;
  uint64_t rng;
};

/* The wait before the next attempt, in ns, or -1 for no retry: for a
 * request that made attempt attempts of max, whose last ended in o (with
 * status and its Retry-After value for a response), resendable or not.
 * A yes is taken from the budget. now_ns is monotonic, wall the clock. */
int64_t ah__retry_decide(struct ah__retrier *rt, int attempt, int max,
                         enum ah__outcome o, int status, int resendable,
                         const char *retry_after, int64_t now_ns, time_t wall);

/* Defaults: no retry; when turned on, every outcome, 100 ms to 10 s,
 * statuses 429 502 503 504, budget 20% plus 10 per second. */
void ah__retry_policy_init(struct ah__retry_policy *p);

/* 1 when an attempt that ended in outcome o may be tried again by p,
 * for a request that is idempotent or allowed to be resent (safe). A
 * request that was never sent (AH__OUT_CONNECT) is always safe. */
int ah__retry_wanted(const struct ah__retry_policy *p, enum ah__outcome o,
                     int safe);
/* 1 when status is one p retries. */
int ah__retry_status(const struct ah__retry_policy *p, int status);

/* The wait before retry n (1: the first), drawn uniformly from
 * [0, min(max, base * 2^(n-1))] with *rng. */
int64_t ah__retry_backoff(const struct ah__retry_policy *p, int n,
                          uint64_t *rng);
/* A Retry-After value (delta seconds or an HTTP date) as nanoseconds from
 * now (the wall clock, seconds since the epoch), saturating at INT64_MAX;
 * AH__RETRY_AFTER_NONE without a value, AH__RETRY_AFTER_BAD for one that
 * is neither (the response is then returned, not retried early). */
#define AH__RETRY_AFTER_NONE (-1)
#define AH__RETRY_AFTER_BAD (-2)
int64_t ah__retry_after(const char *value, time_t now);

/* Count a first attempt at monotonic time now_ns. */
void ah__budget_first(struct ah__retry_budget *b, int64_t now_ns);
/* 1, counting it, when a retry fits in the budget of p at now_ns. */
int ah__budget_take(struct ah__retry_budget *b,
                    const struct ah__retry_policy *p, int64_t now_ns);

#endif
