/* rate.c - per-host token buckets. */
#include "rate.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "request.h"
#include "url.h"

static const struct ah__rate_rule *rule_of(const struct ah__rates *r,
                                           const char *host)
{
  const struct ah__rate_rule *any = NULL;
  size_t i;

  for (i = 0; i < r->nrules; i++) {
    if (r->rules[i].host == NULL)
      any = &r->rules[i];
    else if (strcasecmp(r->rules[i].host, host) == 0)
      return r->rules[i].per_s > 0 ? &r->rules[i] : NULL;
  }
  return any != NULL && any->per_s > 0 ? any : NULL;
}

int ah__rates_rule(struct ah__rates *r, const char *host, double per_s,
                   double burst)
{
  struct ah__rate_rule *p;
  char *h = NULL;
  size_t i;

  for (i = 0; i < r->nrules; i++)
    if (host == NULL ? r->rules[i].host == NULL
                     : r->rules[i].host && strcasecmp(r->rules[i].host, host) == 0)
      break;
  if (i == r->nrules) {
    if (host != NULL && (h = ah__strdup(host)) == NULL)
      return -1;
    p = ah__reallocarray(r->rules, r->nrules + 1, sizeof *p);
    if (p == NULL) {
      ah__free(h);
      return -1;
    }
    r->rules = p;
    r->rules[r->nrules++].host = h;
  }
  r->rules[i].per_s = per_s;
  r->rules[i].burst = burst;
  return 0;
}

int ah__rates_copy(struct ah__rates *to, const struct ah__rates *from)
{
  size_t i;

  memset(to, 0, sizeof *to);
  for (i = 0; i < from->nrules; i++)
    if (ah__rates_rule(to, from->rules[i].host, from->rules[i].per_s,
                       from->rules[i].burst) < 0)
      return -1;
  return 0;
}

int ah__rates_any(const struct ah__rates *r)
{
  size_t i;

  for (i = 0; i < r->nrules; i++)
    if (r->rules[i].per_s > 0)
      return 1;
  return 0;
}

/* FNV-1a over the lowercased name. */
static size_t hash(const char *s)
{
  size_t h = (size_t)14695981039346656037u;

  for (; *s; s++)
    h = (h ^ (unsigned char)tolower((unsigned char)*s)) * (size_t)1099511628211u;
  return h;
}

static int grow(struct ah__rates *r)
{
  size_t cap = r->cap ? r->cap * 2 : 16, i;
  struct ah__bucket **t = ah__calloc(cap, sizeof *t);

  if (t == NULL)
    return -1;
  for (i = 0; i < r->cap; i++) {
    size_t j;
    if (r->table[i] == NULL)
      continue;
    for (j = hash(r->table[i]->host) & (cap - 1); t[j]; j = (j + 1) & (cap - 1))
      ;
    t[j] = r->table[i];
  }
  ah__free(r->table);
  r->table = t;
  r->cap = cap;
  return 0;
}

struct ah__bucket *ah__rates_bucket(struct ah__rates *r, const char *host,
                                    int *nomem)
{
  const struct ah__rate_rule *rule = rule_of(r, host);
  struct ah__bucket *b;
  size_t j;

  *nomem = 0;
  if (rule == NULL)
    return NULL;
  if (r->cap > 0)
    for (j = hash(host) & (r->cap - 1); r->table[j]; j = (j + 1) & (r->cap - 1))
      if (strcasecmp(r->table[j]->host, host) == 0)
        return r->table[j];
  if ((r->n + 1) * 2 > r->cap && grow(r) < 0)
    goto nomem;
  if ((b = ah__calloc(1, sizeof *b)) == NULL)
    goto nomem;
  if ((b->host = ah__strdup(host)) == NULL) {
    ah__free(b);
    goto nomem;
  }
  b->rule = rule;
  b->tokens = rule->burst; /* a new host starts with a full bucket */
  b->updated_ns = -1;
  for (j = hash(host) & (r->cap - 1); r->table[j]; j = (j + 1) & (r->cap - 1))
    ;
  r->table[j] = b;
  r->n++;
  return b;
nomem:
  *nomem = 1;
  return NULL;
}

int ah__bucket_take(struct ah__bucket *b, int64_t now_ns, int64_t *next_ns)
{
  const struct ah__rate_rule *rule = b->rule;

  if (b->updated_ns >= 0 && now_ns > b->updated_ns) {
    b->tokens += (double)(now_ns - b->updated_ns) * 1e-9 * rule->per_s;
    if (b->tokens > rule->burst)
      b->tokens = rule->burst;
  }
  b->updated_ns = now_ns;
  if (b->tokens >= 1.0) {
    b->tokens -= 1.0;
    return 1;
  }
  /* Rounded up, so that the token is there when the timer fires. */
  *next_ns = now_ns + (int64_t)((1.0 - b->tokens) / rule->per_s * 1e9) + 1;
  return 0;
}

void ah__rates_free(struct ah__rates *r)
{
  size_t i;

  for (i = 0; i < r->nrules; i++)
    ah__free(r->rules[i].host);
  ah__free(r->rules);
  for (i = 0; i < r->cap; i++)
    if (r->table[i] != NULL) {
      ah__free(r->table[i]->host);
      ah__free(r->table[i]);
    }
  ah__free(r->table);
  memset(r, 0, sizeof *r);
}

struct ah__bucket *ah__rates_bucket_of(struct ah__rates *r, const struct ah__request *q)
{
  char host[256];
  int nomem;

  if (ah__url_host(q->url, q->url_str, host, sizeof host) < 0)
    return NULL;
  return ah__rates_bucket(r, host, &nomem);
}

struct ah__bucket *ah__rates_parked_in(struct ah__rates *r, const struct ah__request *q)
{
  struct ah__bucket *b = ah__rates_bucket_of(r, q);
  size_t i;

  for (i = 0; b == NULL && i < r->cap; i++) {
    const struct ah__request *p;
    if (r->table[i] == NULL)
      continue;
    for (p = r->table[i]->parked.head; p != NULL && p != q; p = p->next)
      ;
    if (p == q)
      b = r->table[i];
  }
  return b;
}

struct ah__request *ah__rates_doomed(const struct ah__rates *r)
{
  size_t i;

  for (i = 0; i < r->cap; i++) {
    struct ah__request *q;
    if (r->table[i] == NULL)
      continue;
    for (q = r->table[i]->parked.head; q; q = q->next)
      if (q->doom_err != 0)
        return q;
  }
  return NULL;
}
