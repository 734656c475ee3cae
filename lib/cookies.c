/* cookies.c - the bounds of a session's cookie jar.
 *
 * libcurl keeps every cookie a server sets (up to 50 per response) and
 * looks through all the cookies of a domain for each request: a server
 * setting new cookies on every response made each later request slower
 * without end (0.66 s for 100 requests with an empty jar, 11.9 s with
 * 25-30k cookies). RFC 6265 section 6.1 lets a user agent cap the jar,
 * per domain and in total, as browsers do. After a response that set
 * cookies, the jar is counted (libcurl's CURLINFO_COOKIELIST, bounded by
 * the caps themselves); the cookies that response set beyond a cap are
 * expired at once. The ones the jar held already stay: a server cannot
 * push a program's other cookies out by flooding. */
#include "cookies.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alloc.h"

/* One line of CURLINFO_COOKIELIST (Netscape format: domain, tailmatch,
 * path, secure, expires, name, value, tab-separated), taken apart. */
struct entry {
  const char *line;
  const char *domain;  /* without "#HttpOnly_" and a leading dot */
  size_t domain_len;
  const char *name;
  size_t name_len;
  int set_now;         /* set by this response */
  int dropped;
};

static int parse(struct entry *en, const char *line)
{
  const char *f[7];
  int i;

  f[0] = line;
  for (i = 1; i < 7; i++) {
    const char *tab = strchr(f[i - 1], '\t');
    if (tab == NULL)
      return -1;
    f[i] = tab + 1;
  }
  en->line = line;
  en->domain = f[0];
  if (strncmp(en->domain, "#HttpOnly_", 10) == 0)
    en->domain += 10;
  if (*en->domain == '.')
    en->domain++;
  en->domain_len = (size_t)(strchr(en->domain, '\t') - en->domain);
  en->name = f[5];
  en->name_len = (size_t)(f[6] - 1 - f[5]);
  en->set_now = en->dropped = 0;
  return 0;
}

/* 1 when the response's Set-Cookie headers name this cookie and host
 * may have set it (the domain is the host or a parent of it). */
static int set_by(const struct entry *en, const struct ah__rx *rx, const char *host)
{
  size_t hl = strlen(host), i;

  if (!(hl == en->domain_len ||
        (hl > en->domain_len && host[hl - en->domain_len - 1] == '.')) ||
      strncasecmp(host + hl - en->domain_len, en->domain, en->domain_len) != 0)
    return 0;
  for (i = 0; i < rx->nhdr; i++) {
    const char *n = rx->hdr + rx->hdr_off[i], *v;
    size_t k;
    if (strcasecmp(n, "set-cookie") != 0)
      continue;
    v = n + strlen(n) + 1;
    while (*v == ' ' || *v == '\t')
      v++;
    k = strcspn(v, "=;");
    while (k > 0 && (v[k - 1] == ' ' || v[k - 1] == '\t'))
      k--;
    if (k == en->name_len && memcmp(v, en->name, k) == 0)
      return 1;
  }
  return 0;
}

/* Expire en now: the same cookie with an expiry in 1970 replaces it. On
 * a handle of its own (w, on the session's share): libcurl refuses any
 * cookie, these too, on the handle whose response already set 50
 * (MAX_SET_COOKIE_AMOUNT, counted per request), which is the flood. */
static void drop(CURL *w, struct entry *en)
{
  const char *p = en->line;
  char *out;
  size_t len = strlen(p), i;
  int tabs = 0;

  if ((out = ah__malloc(len + 2)) == NULL)
    return; /* kept: the next response that sets cookies tries again */
  for (i = 0; *p; p++) {
    if (tabs == 4 && *p != '\t')
      continue; /* the expiry, rewritten below */
    out[i++] = *p;
    if (*p == '\t' && ++tabs == 4)
      out[i++] = '1';
  }
  out[i] = '\0';
  curl_easy_setopt(w, CURLOPT_COOKIELIST, out);
  ah__free(out);
  en->dropped = 1;
}

static int same_domain(const struct entry *a, const struct entry *b)
{
  return a->domain_len == b->domain_len &&
         strncasecmp(a->domain, b->domain, a->domain_len) == 0;
}

void ah__cookies_bound(CURL *e, CURLSH *share, const struct ah__rx *rx,
                       const char *host, size_t per_domain, size_t total)
{
  struct curl_slist *list = NULL, *l;
  struct entry *en = NULL;
  CURL *w = NULL;
  size_t n = 0, i, j, alive;

  if (host == NULL || !rx->set_cookie ||
      curl_easy_getinfo(e, CURLINFO_COOKIELIST, &list) != CURLE_OK || list == NULL)
    return;
  for (l = list; l; l = l->next)
    n++;
  if ((en = ah__reallocarray(NULL, n, sizeof *en)) == NULL)
    goto out;
  for (l = list, i = 0; l; l = l->next)
    if (parse(&en[i], l->data) == 0) {
      en[i].set_now = set_by(&en[i], rx, host);
      i++;
    }
  n = i;
  if (n <= per_domain && n <= total)
    goto out; /* under both caps: nothing to drop */
  if ((w = curl_easy_init()) == NULL ||
      curl_easy_setopt(w, CURLOPT_SHARE, share) != CURLE_OK)
    goto out; /* kept: the next response that sets cookies tries again */
  /* Per domain: for each domain this response set cookies in, the ones
   * it set past the cap, the last listed first. */
  for (i = 0; i < n; i++) {
    size_t count = 0;
    if (!en[i].set_now)
      continue;
    for (j = 0; j < n; j++)
      count += same_domain(&en[i], &en[j]) && !en[j].dropped;
    for (j = n; j-- > 0 && count > per_domain;)
      if (en[j].set_now && !en[j].dropped && same_domain(&en[i], &en[j])) {
        drop(w, &en[j]);
        count--;
      }
  }
  /* In total: the same, past the jar's cap. */
  for (i = 0, alive = 0; i < n; i++)
    alive += !en[i].dropped;
  for (j = n; j-- > 0 && alive > total;)
    if (en[j].set_now && !en[j].dropped) {
      drop(w, &en[j]);
      alive--;
    }
out:
  if (w != NULL)
    curl_easy_cleanup(w);
  ah__free(en);
  curl_slist_free_all(list);
}

/* 1 when the jar would send en to host (RFC 6265 section 5.1.3's domain
 * match): host is the cookie's domain, or a subdomain of it when the
 * cookie is for subdomains too (tailmatch, libcurl's second field). */
static int for_host(const struct entry *en, const char *host)
{
  size_t hl = strlen(host);
  const char *tail = en->domain + en->domain_len + 1;

  if (hl == en->domain_len)
    return strncasecmp(host, en->domain, hl) == 0;
  return hl > en->domain_len && strncmp(tail, "TRUE\t", 5) == 0 &&
         host[hl - en->domain_len - 1] == '.' &&
         strncasecmp(host + hl - en->domain_len, en->domain, en->domain_len) == 0;
}

/* The 5th field, the expiry (0: at the end of the session). */
static long long expires_of(const struct entry *en)
{
  const char *p = en->line;
  int i;

  for (i = 0; i < 4; i++)
    p = strchr(p, '\t') + 1;
  return strtoll(p, NULL, 10);
}

int ah__cookies_clear(CURL *w, const char *host)
{
  struct curl_slist *list = NULL, *l;
  struct entry en;

  if (host == NULL)
    return curl_easy_setopt(w, CURLOPT_COOKIELIST, "ALL") == CURLE_OK ? AH_OK : AH_ENOMEM;
  if (curl_easy_getinfo(w, CURLINFO_COOKIELIST, &list) != CURLE_OK)
    return AH_ENOMEM;
  for (l = list; l; l = l->next)
    if (parse(&en, l->data) == 0 && for_host(&en, host)) {
      drop(w, &en);
      if (!en.dropped) {
        curl_slist_free_all(list);
        return AH_ENOMEM;
      }
    }
  curl_slist_free_all(list);
  return AH_OK;
}

/* A snapshot of the jar: each cookie's fields, copied into one block
 * that lives until ah_cookies_free. */
struct ah_cookies {
  size_t n;
  struct ah__cookie {
    const char *name, *value, *domain, *path;
    long long expires;
    int flags;
  } c[];
};

int ah__cookies_snapshot(CURL *w, const char *host, ah_cookies **out)
{
  struct curl_slist *list = NULL, *l;
  struct entry en;
  ah_cookies *cs;
  size_t n = 0, text = 0, size;
  char *t;
  long long now = (long long)time(NULL);

  *out = NULL;
  if (w != NULL && curl_easy_getinfo(w, CURLINFO_COOKIELIST, &list) != CURLE_OK)
    return AH_ENOMEM;
  for (l = list; l; l = l->next) {
    n++;
    text += strlen(l->data) + 1;
  }
  /* n entries and their text: every field of a line fits in the line. */
  if (n > (SIZE_MAX - sizeof *cs - text) / sizeof cs->c[0] ||
      (cs = ah__malloc((size = sizeof *cs + n * sizeof cs->c[0]) + text)) == NULL) {
    curl_slist_free_all(list);
    return AH_ENOMEM;
  }
  cs->n = 0;
  t = (char *)cs + size;
  for (l = list; l; l = l->next) {
    struct ah__cookie *c = &cs->c[cs->n];
    const char *f = l->data, *path, *secure;
    long long exp;
    if (parse(&en, f) != 0 || (host != NULL && !for_host(&en, host)))
      continue;
    exp = expires_of(&en);
    if (exp != 0 && exp <= now)
      continue; /* expired (as ahttp's caps expire a flood) */
    path = strchr(strchr(en.domain, '\t') + 1, '\t') + 1;
    secure = strchr(path, '\t') + 1;
    c->flags = (strncmp(f, "#HttpOnly_", 10) == 0 ? AH_COOKIE_HTTP_ONLY : 0) |
               (strncmp(secure, "TRUE\t", 5) == 0 ? AH_COOKIE_SECURE : 0) |
               (strncmp(en.domain + en.domain_len + 1, "TRUE\t", 5) == 0
                    ? AH_COOKIE_SUBDOMAINS : 0);
    c->expires = exp;
#define FIELD(dst, from, len) \
    (dst = t, memcpy(t, from, len), t[len] = '\0', t += (len) + 1)
    FIELD(c->domain, en.domain, en.domain_len);
    FIELD(c->path, path, (size_t)(secure - 1 - path));
    FIELD(c->name, en.name, en.name_len);
    FIELD(c->value, en.name + en.name_len + 1, strlen(en.name + en.name_len + 1));
#undef FIELD
    cs->n++;
  }
  curl_slist_free_all(list);
  *out = cs;
  return AH_OK;
}

void ah_cookies_free(ah_cookies *cs)
{
  ah__free(cs);
}

size_t ah_cookies_count(const ah_cookies *cs)
{
  return cs ? cs->n : 0;
}

#define GETTER(type, field, none) \
  type ah_cookies_##field(const ah_cookies *cs, size_t i) \
  { return cs != NULL && i < cs->n ? cs->c[i].field : none; }
GETTER(const char *, name, NULL)
GETTER(const char *, value, NULL)
GETTER(const char *, domain, NULL)
GETTER(const char *, path, NULL)
GETTER(long long, expires, -1)
GETTER(int, flags, -1)
#undef GETTER
