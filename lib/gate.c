/* gate.c - the per-host gates of admission (gate.h): room under the
 * per-host limit, then a token of the host's rate. */
#include "gate.h"

#include <string.h>

#include "journey.h"
#include "reactor.h"
#include "request.h"

/* When q, waiting at a gate since q->queued_ns, has waited too long. */
static int64_t expiry(const struct ah__request *q, int64_t queue_ns)
{
  return queue_ns > 0 ? q->queued_ns + queue_ns : AH__NO_DEADLINE;
}

static int64_t earlier(int64_t a, int64_t b)
{
  return a < b ? a : b;
}

/* Room at q's origin: AH__ACTIVE when q may start (it counts there from
 * now), else AH__HELD with q->host its origin. A redirect's hop takes
 * any room there is, before the others waiting: it holds a place in the
 * window, which they need to start (so room goes to hops first, or hops
 * could fill the window waiting for rooms only the others can free). A
 * woken request comes first among the others; a hop's wait has no due
 * time: its total timeout runs. */
static int host_pass(struct ah__gates *g, struct ah__request *q, int64_t now,
                     int64_t queue_ns, int64_t *due)
{
  char origin[AH__ORIGIN_MAX];
  struct ah__host *e;
  size_t n;
  int first = q->host_woken, hop = q->slot != NULL;

  if (g->hosts.limit == 0 || q->host_held)
    return AH__ACTIVE;
  if (first) {
    e = q->host;
    e->woken--;
    q->host_woken = 0;
  } else if ((n = ah__request_origin(q, origin, sizeof origin)) == 0 ||
             (e = ah__hosts_get(&g->hosts, origin, n)) == NULL) {
    return AH__ACTIVE; /* nothing to count it by, or no memory: not held */
  }
  q->host = e;
  /* A hop or a woken request needs room; any other also none promised
   * to those woken, and none waiting before it. */
  if (e->running < g->hosts.limit && e->hops.head == NULL &&
      (hop || first ||
       (e->running + e->woken < g->hosts.limit && e->waiting.head == NULL))) {
    e->running++;
    q->host_held = 1;
    return AH__ACTIVE;
  }
  if (!hop) {
    q->host_first = (unsigned)first;
    if (q->queued_ns == 0)
      q->queued_ns = now; /* a wait for room counts as time queued */
    *due = expiry(q, queue_ns);
  }
  return AH__HELD;
}

int ah__gates_pass(struct ah__gates *g, struct ah__request *q, int64_t now,
                   int64_t queue_ns, int64_t *due)
{
  struct ah__bucket *b;
  int64_t next;
  int place;

  /* Room first, then the token: a token is taken only as the request
   * starts, so that starts keep to the rate. One waiting for its token
   * keeps its room. */
  *due = AH__NO_DEADLINE;
  if ((place = host_pass(g, q, now, queue_ns, due)) != AH__ACTIVE || !g->limited)
    return place;
  if (q->rate_paid) {
    q->rate_paid = 0;
    return AH__ACTIVE;
  }
  if ((b = ah__rates_bucket_of(&g->rates, q)) == NULL)
    return AH__ACTIVE;
  if (q->queued_ns == 0)
    q->queued_ns = now; /* a wait for a token counts as time queued */
  if (b->parked.n > 0)
    return AH__PARKED; /* behind those waiting, for whom the timer is set */
  if (ah__bucket_take(b, now, &next))
    return AH__ACTIVE;
  *due = earlier(expiry(q, queue_ns), next);
  return AH__PARKED;
}

int ah__gates_hop(struct ah__gates *g, struct ah__request *q, long lib_total_ms,
                  struct ah__request **woken)
{
  char origin[AH__ORIGIN_MAX];
  int64_t due;
  int place;

  *woken = NULL;
  if (g->hosts.limit == 0)
    return AH__ACTIVE;
  if (q->host_held && ah__request_origin(q, origin, sizeof origin) > 0 &&
      strcmp(q->host->origin, origin) == 0)
    return AH__ACTIVE; /* the same origin: it keeps its room */
  *woken = ah__gates_leave(g, q);
  if ((place = host_pass(g, q, 0, 0, &due)) == AH__HELD) {
    /* libcurl counts its total from each hop's start: the wait here is
     * time spent following redirects (easy.c gives the next hop what is
     * left), and its end is looked at here. */
    q->held_ns = ah__now_ns();
    q->hop_due_ns = lib_total_ms > 0 ? q->held_ns + (int64_t)lib_total_ms * 1000000 -
                                           q->j->spent_us * 1000
                                     : AH__NO_DEADLINE;
  }
  return place;
}

struct ah__request *ah__gates_leave(struct ah__gates *g, struct ah__request *q)
{
  struct ah__host *e = q->host;
  struct ah__request *w;

  if (q->host_held)
    e->running--;
  else if (q->host_woken)
    e->woken--; /* it ends on its way back: its turn goes on */
  else
    return NULL;
  q->host_held = q->host_woken = 0;
  q->host = NULL;
  if ((w = e->hops.head) != NULL && e->running < g->hosts.limit) {
    e->running++; /* counted now: it starts at once */
    w->host_held = 1;
    w->j->spent_us += (ah__now_ns() - w->held_ns) / 1000;
    return w;
  }
  /* One woken for each room: it tries again from the queue. */
  if ((w = e->waiting.head) != NULL && e->running + e->woken < g->hosts.limit) {
    e->woken++;
    w->host_woken = 1;
    return w;
  }
  ah__hosts_put(&g->hosts, e);
  return NULL;
}

void ah__gates_link(struct ah__gates *g, struct ah__request *q, int place)
{
  struct ah__bucket *b;
  struct ah__host *e = q->host;

  if (place == AH__PARKED) {
    /* ah__gates_pass found the bucket: its host has one */
    if ((b = ah__rates_bucket_of(&g->rates, q)) != NULL) {
      ah__list_append(&b->parked, q);
      g->nheld += q->host_held;
    } else {
      q->place = AH__NOWHERE;
    }
  } else if (q->slot != NULL) {
    ah__list_append(&e->hops, q);
    g->nheld++;
  } else {
    ah__list_insert(&e->waiting, q->host_first ? e->waiting.head : NULL, q);
    q->host_first = 0;
  }
}

void ah__gates_unlink(struct ah__gates *g, struct ah__request *q, int place)
{
  struct ah__bucket *b;
  struct ah__host *e = q->host;

  if (place == AH__PARKED) {
    if ((b = ah__rates_parked_in(&g->rates, q)) != NULL) {
      ah__list_remove(&b->parked, q);
      g->nheld -= q->host_held;
    }
    return;
  }
  if (q->slot != NULL) {
    ah__list_remove(&e->hops, q);
    g->nheld--;
  } else {
    ah__list_remove(&e->waiting, q);
  }
  if (!q->host_held && !q->host_woken) {
    q->host = NULL;
    ah__hosts_put(&g->hosts, e);
  }
}

struct ah__request *ah__gates_expired(struct ah__gates *g, int64_t now, int64_t queue_ns)
{
  struct ah__request *q;
  struct ah__host *e;
  size_t i;

  for (i = 0; i < g->hosts.cap; i++)
    for (e = g->hosts.table[i]; e != NULL; e = e->next)
      for (q = e->hops.head; q != NULL; q = q->next)
        if (q->hop_due_ns <= now)
          return q;
  if (queue_ns == 0)
    return NULL; /* FIFO at each gate: only the first can be due */
  for (i = 0; i < g->rates.cap; i++)
    if (g->rates.table[i] != NULL && (q = g->rates.table[i]->parked.head) != NULL &&
        expiry(q, queue_ns) <= now)
      return q;
  for (i = 0; i < g->hosts.cap; i++)
    for (e = g->hosts.table[i]; e != NULL; e = e->next)
      if ((q = e->waiting.head) != NULL && expiry(q, queue_ns) <= now)
        return q;
  return NULL;
}

struct ah__request *ah__gates_token(struct ah__gates *g, int64_t now, int64_t queue_ns,
                                    int64_t *next)
{
  struct ah__request *q;
  struct ah__host *e;
  size_t i;

  *next = AH__NO_DEADLINE;
  for (i = 0; i < g->rates.cap; i++) {
    struct ah__bucket *b = g->rates.table[i];
    int64_t t = AH__NO_DEADLINE;
    if (b == NULL || (q = b->parked.head) == NULL)
      continue;
    if (ah__bucket_take(b, now, &t)) {
      q->rate_paid = !q->host_held; /* else it starts at once */
      return q;
    }
    *next = earlier(*next, earlier(t, expiry(q, queue_ns)));
  }
  for (i = 0; i < g->hosts.cap; i++)
    for (e = g->hosts.table[i]; e != NULL; e = e->next) {
      if ((q = e->waiting.head) != NULL)
        *next = earlier(*next, expiry(q, queue_ns));
      for (q = e->hops.head; q != NULL; q = q->next)
        *next = earlier(*next, q->hop_due_ns);
    }
  return NULL;
}

struct ah__request *ah__gates_any(const struct ah__gates *g, int doomed)
{
  struct ah__request *q;
  struct ah__host *e;
  size_t i;

  if (doomed && (q = ah__rates_doomed(&g->rates)) != NULL)
    return q;
  for (i = 0; !doomed && i < g->rates.cap; i++)
    if (g->rates.table[i] != NULL && g->rates.table[i]->parked.head != NULL)
      return g->rates.table[i]->parked.head;
  for (i = 0; i < g->hosts.cap; i++)
    for (e = g->hosts.table[i]; e != NULL; e = e->next)
      if ((q = doomed ? ah__list_doomed(&e->waiting) : e->waiting.head) != NULL ||
          (q = doomed ? ah__list_doomed(&e->hops) : e->hops.head) != NULL)
        return q;
  return NULL;
}

void ah__gates_free(struct ah__gates *g)
{
  ah__rates_free(&g->rates);
  ah__hosts_free(&g->hosts);
}
