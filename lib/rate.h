/* rate.h - per-host request rates: a token bucket for each host that a
 * rule limits, and the requests waiting for its next token.
 *
 * Knows host names, times and request lists; nothing of curl or sockets.
 * The session asks for a token when a request is about to start (at
 * dequeue time, so the limit combines with the connection limits) and
 * parks the request in its host's bucket when there is none. */
#ifndef AH_RATE_H
#define AH_RATE_H

#include <stddef.h>
#include <stdint.h>

#include "list.h"

struct ah__rate_rule {
  char *host;        /* NULL: every host without a rule of its own */
  double per_s;      /* tokens per second; 0: no limit */
  double burst;      /* the bucket's size */
};

struct ah__bucket {
  char *host;
  const struct ah__rate_rule *rule;
  double tokens;
  int64_t updated_ns;
  struct ah__list parked; /* requests waiting for a token, in order */
};

struct ah__rates {
  struct ah__rate_rule *rules;
  size_t nrules;
  struct ah__bucket **table; /* open addressing by host, NULL: empty */
  size_t cap, n;
};

/* Add or replace the rule for host (NULL: the default). 0, or -1 without
 * memory. */
int ah__rates_rule(struct ah__rates *r, const char *host, double per_s,
                   double burst);
/* Copy the rules of from into to (empty); 0, or -1 without memory. */
int ah__rates_copy(struct ah__rates *to, const struct ah__rates *from);
/* 1 when some rule limits a host. */
int ah__rates_any(const struct ah__rates *r);
/* The bucket of host, made on its first use: NULL when no rule limits it,
 * or without memory (then *nomem is set). */
struct ah__bucket *ah__rates_bucket(struct ah__rates *r, const char *host,
                                    int *nomem);
/* Take a token at now_ns: 1, or 0 with *next_ns set to when the next one
 * will be there. */
int ah__bucket_take(struct ah__bucket *b, int64_t now_ns, int64_t *next_ns);
void ah__rates_free(struct ah__rates *r);

/* The requests parked in the buckets. */
struct ah__request;
/* The bucket of q's host: NULL when no rule limits it, or without memory
 * to tell (then it is not held). */
struct ah__bucket *ah__rates_bucket_of(struct ah__rates *r, const struct ah__request *q);
/* The bucket q, parked, waits in: its host's, or found by a search when
 * its host cannot be had (no memory). */
struct ah__bucket *ah__rates_parked_in(struct ah__rates *r, const struct ah__request *q);
/* A parked request with an end pending (doom_err), or NULL. */
struct ah__request *ah__rates_doomed(const struct ah__rates *r);

#endif
