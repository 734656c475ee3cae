/* per_host.c - the records of the per-host limit (per_host.h): a hash
 * table of origins, chained so that a record goes as soon as its last
 * request does. */
#include "per_host.h"

#include <string.h>

#include "alloc.h"

/* FNV-1a: origins come in lower case. */
static size_t hash(const char *s, size_t len)
{
  size_t h = (size_t)14695981039346656037u, i;

  for (i = 0; i < len; i++)
    h = (h ^ (unsigned char)s[i]) * (size_t)1099511628211u;
  return h;
}

static int grow(struct ah__hosts *h)
{
  size_t cap = h->cap ? h->cap * 2 : 16, i;
  struct ah__host **t = ah__calloc(cap, sizeof *t);

  if (t == NULL)
    return -1;
  for (i = 0; i < h->cap; i++)
    while (h->table[i] != NULL) {
      struct ah__host *e = h->table[i];
      h->table[i] = e->next;
      e->next = t[e->hash & (cap - 1)];
      t[e->hash & (cap - 1)] = e;
    }
  ah__free(h->table);
  h->table = t;
  h->cap = cap;
  return 0;
}

struct ah__host *ah__hosts_get(struct ah__hosts *h, const char *origin, size_t len)
{
  size_t hv = hash(origin, len);
  struct ah__host *e;

  if (h->cap > 0)
    for (e = h->table[hv & (h->cap - 1)]; e != NULL; e = e->next)
      if (e->hash == hv && strncmp(e->origin, origin, len) == 0 &&
          e->origin[len] == '\0')
        return e;
  if (h->n >= h->cap && grow(h) < 0) /* a load of one at most */
    return NULL;
  if ((e = ah__calloc(1, sizeof *e + len + 1)) == NULL)
    return NULL;
  memcpy(e->origin, origin, len);
  e->hash = hv;
  e->next = h->table[hv & (h->cap - 1)];
  h->table[hv & (h->cap - 1)] = e;
  h->n++;
  return e;
}

void ah__hosts_put(struct ah__hosts *h, struct ah__host *e)
{
  struct ah__host **p;

  if (e->running > 0 || e->woken > 0 || e->waiting.head != NULL || e->hops.head != NULL)
    return;
  for (p = &h->table[e->hash & (h->cap - 1)]; *p != e; p = &(*p)->next)
    ;
  *p = e->next;
  h->n--;
  ah__free(e);
}

void ah__hosts_free(struct ah__hosts *h)
{
  size_t i;

  for (i = 0; i < h->cap; i++)
    while (h->table[i] != NULL) {
      struct ah__host *e = h->table[i];
      h->table[i] = e->next;
      ah__free(e);
    }
  ah__free(h->table);
  h->table = NULL;
  h->cap = h->n = 0;
}
