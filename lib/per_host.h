/* per_host.h - the per-host limit (SPEC 3): how many of the session's
 * requests run at once to each origin ("scheme://host:port"), and the
 * requests waiting for room there, in the order they came.
 *
 * Knows origins, counts and request lists; nothing of curl, sockets or
 * the session's queue (queue.c decides when a request counts and where
 * it goes when room comes). An origin's record lives while a request
 * counts in it or waits in it, so a crawler's hosts come and go. */
#ifndef AH_PER_HOST_H
#define AH_PER_HOST_H

#include <stddef.h>

#include "list.h"

/* The longest origin kept: scheme, "://", a host of 255 bytes, a zone,
 * ":" and a port. A longer one is not limited (no such host resolves). */
#define AH__ORIGIN_MAX 300

struct ah__host {
  struct ah__host *next;   /* the table's chain */
  size_t running;          /* requests counted in it */
  size_t woken;            /* requests room came for, on their way back */
  struct ah__list waiting; /* requests waiting for room, in order */
  struct ah__list hops;    /* redirects' hops waiting for room, in order */
  size_t hash;
  char origin[];           /* "scheme://host:port", in lower case */
};

struct ah__hosts {
  size_t limit;            /* requests at once per origin; 0: none */
  struct ah__host **table; /* chains by hash, cap a power of two */
  size_t cap, n;
};

/* The record of origin (len bytes), made on its first use: NULL without
 * memory. */
struct ah__host *ah__hosts_get(struct ah__hosts *h, const char *origin, size_t len);
/* Free e when no request counts, waits or is on its way back there. */
void ah__hosts_put(struct ah__hosts *h, struct ah__host *e);
/* Free every record (none holds a request any more). */
void ah__hosts_free(struct ah__hosts *h);

#endif
