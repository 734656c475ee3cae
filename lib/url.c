/* url.c - a request's URL, parsed once into the handle libcurl is given.
 *
 * libcurl's URL parser (curl_url_set with CURLUPART_URL) costs about
 * 5,900 instructions in 7.88, the largest single cost of a small request
 * after the transfer itself. Most URLs a program fetches are plain:
 * lowercase http or https, a lowercase host name or dotted-quad address,
 * an optional port, and a path and query made of characters libcurl
 * stores as they are. For those, the parts are found here in one pass and
 * set one by one (about 2,200 instructions); anything else, and every
 * relative URL, goes to libcurl's parser, which stays the judge of what a
 * URL is. tests/test_url.c holds the two to the same result. */
#include "url.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ahttp.h"
#include "alloc.h"

/* The scheme of url, if it has one: its length, else 0. */
static size_t scheme_len(const char *url)
{
  size_t i;

  for (i = 0; url[i]; i++) {
    char c = url[i];
    if (c == ':')
      return i;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' ||
                     c == '.'))))
      return 0;
  }
  return 0;
}

int ah__url_error(CURLUcode uc, unsigned long mark, const char **why)
{
  if (uc == CURLUE_OUT_OF_MEMORY || ah__alloc_failures() != mark) {
    *why = "no memory for the URL";
    return AH_ENOMEM;
  }
  *why = "the URL is malformed";
  return AH_EINVAL;
}

/* Characters a plain path or query may hold: RFC 3986's unreserved and
 * sub-delims, ':', '@', '/' and '?', which every libcurl from 7.88 to
 * 8.21 keeps as they are, parsing a whole URL or setting a part. Not
 * '%': the case of a %XX escape is kept by one and changed by the other,
 * differently from release to release (7.88's part setter lowercases
 * "%2F", 8.21's uppercases "%2f", and both full parsers keep it), so a
 * URL with an escape goes to libcurl's parser, whichever runs. */
static int plain_char(unsigned char c)
{
  /* One bit per ASCII character: letters, digits and -._~!$&'()*+,;=:@/? */
  static const uint64_t bits[2] = {0xafffffd200000000u, 0x47fffffe87ffffffu};
  return c < 128 && (bits[c >> 6] >> (c & 63) & 1);
}

/* A host libcurl takes as it is: a name starting with a lowercase letter
 * (so not one of the numeric IPv4 forms libcurl rewrites), or a dotted
 * quad written canonically. */
static int plain_host(const char *h, size_t n)
{
  size_t i;

  if (n == 0 || n > 253)
    return 0;
  if (h[0] >= 'a' && h[0] <= 'z') {
    for (i = 1; i < n; i++) {
      char c = h[i];
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '.'))
        return 0;
    }
    return 1;
  }
  for (int part = 0; part < 4; part++) {
    unsigned v = 0;
    if (part > 0) {
      if (n == 0 || *h != '.')
        return 0;
      h++, n--;
    }
    for (i = 0; i < n && i < 3 && h[i] >= '0' && h[i] <= '9'; i++)
      v = v * 10 + (unsigned)(h[i] - '0');
    if (i == 0 || v > 255 || (i > 1 && h[0] == '0'))
      return 0;
    h += i, n -= i;
  }
  return n == 0;
}

/* Parts are copied into this room to end them with a NUL; a longer URL
 * goes to libcurl's parser. */
#define PLAIN_MAX 1024

int ah__url_plain_scan(const char *url, struct ah__plain *pl)
{
  const char *host, *end, *p, *query = NULL;
  size_t pn = 0;

  if (strncmp(url, "http", 4) != 0)
    return 0;
  pl->https = url[4] == 's';
  if (strncmp(url + 4 + pl->https, "://", 3) != 0)
    return 0;
  host = url + 7 + pl->https;
  for (end = host; *end && *end != '/' && *end != ':'; end++)
    ;
  if (!plain_host(host, (size_t)(end - host)))
    return 0;
  p = end;
  if (*p == ':') {
    unsigned port = 0;
    for (p++; *p >= '0' && *p <= '9' && pn < 5; p++, pn++)
      port = port * 10 + (unsigned)(*p - '0');
    if (pn == 0 || port == 0 || port > 65535 || end[1] == '0')
      return 0;
  }
  if (*p != '/')
    return 0;
  pl->host = (size_t)(host - url);
  pl->host_len = (size_t)(end - host);
  pl->port_len = pn;
  pl->path = (size_t)(p - url);
  for (; *p; p++) {
    if (!plain_char((unsigned char)*p))
      return 0;
    if (query == NULL) {
      if (*p == '?')
        query = p;
      else if (p[0] == '/' && p[1] == '.')
        return 0; /* a dot segment maybe: libcurl removes those */
    }
  }
  return (size_t)(p - url) < PLAIN_MAX;
}

/* Set u's scheme, host and port to those of url. */
static CURLUcode set_origin(CURLU *u, const char *url, const struct ah__plain *pl)
{
  char room[PLAIN_MAX];
  CURLUcode uc;

  /* The scheme is known to be http(s): skip libcurl's scheme lookup. */
  uc = curl_url_set(u, CURLUPART_SCHEME, pl->https ? "https" : "http",
                    CURLU_NON_SUPPORT_SCHEME);
  if (uc == CURLUE_OK) {
    memcpy(room, url + pl->host, pl->host_len);
    room[pl->host_len] = '\0';
    uc = curl_url_set(u, CURLUPART_HOST, room, 0);
  }
  if (uc == CURLUE_OK && pl->port_len != 0) {
    memcpy(room, url + pl->host + pl->host_len + 1, pl->port_len);
    room[pl->port_len] = '\0';
    uc = curl_url_set(u, CURLUPART_PORT, room, 0);
  } else if (uc == CURLUE_OK) {
    uc = curl_url_set(u, CURLUPART_PORT, NULL, 0);
  }
  return uc;
}

/* Set u's path and query to those of url, whose path starts at url[path]
 * (no query: none). */
static CURLUcode set_path_query(CURLU *u, const char *url, size_t path)
{
  char room[PLAIN_MAX];
  const char *q = strchr(url + path, '?');
  size_t n = (size_t)((q ? q : url + path + strlen(url + path)) - url) - path;
  CURLUcode uc;

  memcpy(room, url + path, n);
  room[n] = '\0';
  if ((uc = curl_url_set(u, CURLUPART_PATH, room, 0)) == CURLUE_OK)
    uc = curl_url_set(u, CURLUPART_QUERY, q ? q + 1 : NULL, 0);
  return uc;
}

CURLUcode ah__url_cache_set(struct ah__url_cache *c, const char *url,
                            size_t path, CURLU **out)
{
  CURLUcode uc;

  *out = NULL;
  if (c->u == NULL && (c->u = curl_url()) == NULL)
    return CURLUE_OUT_OF_MEMORY;
  if (path != c->origin_len || memcmp(url, c->origin, path) != 0) {
    struct ah__plain pl;
    c->origin_len = 0; /* the handle is between origins until set */
    if (!ah__url_plain_scan(url, &pl) || pl.path != path)
      return CURLUE_MALFORMED_INPUT; /* not what the caller scanned */
    if ((uc = set_origin(c->u, url, &pl)) != CURLUE_OK)
      return uc;
    if (path > c->origin_cap) {
      char *o = ah__realloc(c->origin, path);
      if (o == NULL)
        return CURLUE_OUT_OF_MEMORY;
      c->origin = o;
      c->origin_cap = path;
    }
    memcpy(c->origin, url, path);
    c->origin_len = path;
  }
  if ((uc = set_path_query(c->u, url, path)) != CURLUE_OK) {
    c->origin_len = 0;
    return uc;
  }
  *out = c->u;
  return CURLUE_OK;
}

void ah__url_cache_free(struct ah__url_cache *c)
{
  curl_url_cleanup(c->u);
  ah__free(c->origin);
  c->u = NULL;
  c->origin = NULL;
  c->origin_len = c->origin_cap = 0;
}

int ah__url_plain(const char *url, CURLU **out)
{
  struct ah__plain pl;
  CURLUcode uc;
  CURLU *u;

  *out = NULL;
  if (!ah__url_plain_scan(url, &pl))
    return 0;
  if ((u = curl_url()) == NULL)
    return -1;
  if ((uc = set_origin(u, url, &pl)) == CURLUE_OK)
    uc = set_path_query(u, url, pl.path);
  if (uc != CURLUE_OK) {
    curl_url_cleanup(u);
    return uc == CURLUE_OUT_OF_MEMORY ? -1 : 0;
  }
  *out = u;
  return 1;
}

/* url with every byte outside ASCII after the authority written %XX, as
 * RFC 3986 wants it on the wire (libcurl's parser keeps such bytes raw in
 * some releases), and spaces too if spaces: *out is a new string, or NULL
 * when url needs none. AH_OK or AH_ENOMEM. The host is left alone (a
 * name is not escaped). */
static int escaped(unsigned char c, int spaces)
{
  return c >= 0x80 || (spaces && c == ' ');
}

static int encode_high(const char *url, size_t scheme, int spaces, char **out)
{
  static const char hex[] = "0123456789ABCDEF";
  const char *p = url + (scheme ? scheme + 1 : 0), *q;
  size_t extra = 0;
  char *o;

  *out = NULL;
  if (p[0] == '/' && p[1] == '/')
    p += 2 + strcspn(p + 2, "/?#");
  for (q = p; *q; q++)
    extra += escaped((unsigned char)*q, spaces) ? 2 : 0;
  if (extra == 0)
    return AH_OK;
  if ((o = ah__malloc(strlen(url) + extra + 1)) == NULL)
    return AH_ENOMEM;
  *out = o;
  memcpy(o, url, (size_t)(p - url));
  o += p - url;
  for (q = p; *q; q++) {
    unsigned char c = (unsigned char)*q;
    if (escaped(c, spaces)) {
      *o++ = '%';
      *o++ = hex[c >> 4];
      *o++ = hex[c & 15];
    } else {
      *o++ = (char)c;
    }
  }
  *o = '\0';
  return AH_OK;
}

int ah__url_parse(const char *url, const CURLU *base, CURLU **out,
                  int *how, const char **why)
{
  size_t n;
  CURLU *u;
  CURLUcode uc;
  char *encoded;
  unsigned long mark;

  *out = NULL;
  if (url == NULL) {
    *why = "the URL is NULL";
    return AH_EINVAL;
  }
  n = scheme_len(url);
  *how = n != 0 ? AH__URL_ABSOLUTE : 0;
  if (n == 0 && base == NULL) {
    *why = "the URL is relative and the session has no base URL";
    return AH_EINVAL;
  }
  if (n != 0 && !(n == 4 && strncasecmp(url, "http", 4) == 0) &&
      !(n == 5 && strncasecmp(url, "https", 5) == 0)) {
    *why = "the URL's scheme is not http or https";
    return AH_EINVAL;
  }
  if (n != 0) {
    switch (ah__url_plain(url, out)) {
    case 1:
      *how |= n == 5 ? AH__URL_HTTPS : 0;
      return AH_OK;
    case -1:
      *why = "no memory for the URL";
      return AH_ENOMEM;
    }
  }
  if (encode_high(url, n, 0, &encoded) != AH_OK ||
      (u = n == 0 ? curl_url_dup((CURLU *)base) /* 7.88: not const */ : curl_url()) == NULL) {
    ah__free(encoded);
    *why = "no memory for the URL";
    return AH_ENOMEM;
  }
  /* Rejects control characters (CR, LF), spaces and bad hosts or ports;
   * on a copy of the base, resolves a relative reference against it. */
  mark = ah__alloc_failures();
  uc = curl_url_set(u, CURLUPART_URL, encoded ? encoded : url, 0);
  ah__free(encoded);
  if (uc != CURLUE_OK) {
    curl_url_cleanup(u);
    return ah__url_error(uc, mark, why);
  }
  if (n == 0) {
    char *scheme = NULL; /* "//host/path" keeps the base's scheme */
    if ((uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0)) != CURLUE_OK) {
      curl_url_cleanup(u);
      return ah__url_error(uc, mark, why);
    }
    n = strlen(scheme);
    curl_free(scheme);
  }
  *how |= n == 5 ? AH__URL_HTTPS : 0;
  *out = u;
  return AH_OK;
}

int ah__url_redirect(const CURLU *base, const char *location, CURLU **out,
                     int *https, const char **why)
{
  size_t i, n = scheme_len(location);
  char *encoded = NULL, *scheme = NULL;
  unsigned long mark = ah__alloc_failures();
  CURLU *u;
  CURLUcode uc;

  *out = NULL;
  if (n != 0 && !(n == 4 && strncasecmp(location, "http", 4) == 0) &&
      !(n == 5 && strncasecmp(location, "https", 5) == 0)) {
    *why = "a redirect points to a scheme other than http or https";
    return AH_EREDIRECTS;
  }
  /* Control bytes: 7.88 and 8.5 refuse them, 8.21 escapes them. One
   * outcome on every release, and the server's fault. */
  for (i = 0; location[i]; i++)
    if ((unsigned char)location[i] < 0x20 || location[i] == 0x7f) {
      *why = "a redirect's Location holds a control character";
      return AH_EPROTO;
    }
  /* Browsers and libcurl's own following send a space in a Location as
   * %20; raw bytes above ASCII are escaped as in any URL ahttp sends. A
   * fragment is never sent: it goes before the reference is resolved,
   * since releases resolve "#f" differently (7.88 drops the last path
   * segment), and a Location that is only one names the same URL. */
  if (encode_high(location, n, 1, &encoded) != AH_OK)
    goto nomem;
  if (encoded == NULL && strchr(location, '#') != NULL) {
    if ((encoded = ah__malloc(strlen(location) + 1)) == NULL)
      goto nomem;
    strcpy(encoded, location);
  }
  if (encoded != NULL)
    encoded[strcspn(encoded, "#")] = '\0';
  if ((u = curl_url_dup((CURLU *)base)) == NULL) /* 7.88: not const */
    goto nomem;
  uc = curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
  if (uc == CURLUE_OK && (encoded ? encoded : location)[0] != '\0')
    uc = curl_url_set(u, CURLUPART_URL, encoded ? encoded : location, 0);
  ah__free(encoded);
  encoded = NULL;
  if (uc == CURLUE_OK)
    uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
  if (uc != CURLUE_OK) {
    curl_url_cleanup(u);
    /* libcurl's parser reports an allocation that failed under other
     * names too (a malformed URL): one did, so that is what happened. */
    if (uc == CURLUE_OUT_OF_MEMORY || ah__alloc_failures() != mark) {
      *why = "no memory for the redirect's URL";
      return AH_ENOMEM;
    }
    *why = "a redirect's Location is not a valid URL";
    return AH_EPROTO;
  }
  *https = strcasecmp(scheme, "https") == 0;
  curl_free(scheme);
  *out = u;
  return AH_OK;
nomem:
  ah__free(encoded);
  *why = "no memory for the redirect's URL";
  return AH_ENOMEM;
}

char *ah__url_origin(const CURLU *url)
{
  CURLU *u = (CURLU *)url; /* 7.88's curl_url_get takes no const */
  char *scheme = NULL, *host = NULL, *port = NULL, *zone = NULL, *origin = NULL;
  size_t i, n;

  /* An IPv6 zone names another interface: another origin. */
  curl_url_get(u, CURLUPART_ZONEID, &zone, 0);
  if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
      (origin = ah__malloc(n = strlen(scheme) + strlen(host) + strlen(port) +
                               (zone ? strlen(zone) + 1 : 0) + 5)) != NULL) {
    snprintf(origin, n, "%s://%s%s%s:%s", scheme, host, zone ? "%" : "",
             zone ? zone : "", port);
    for (i = 0; origin[i]; i++) /* scheme and host compare in any case */
      if (origin[i] >= 'A' && origin[i] <= 'Z')
        origin[i] = (char)(origin[i] - 'A' + 'a');
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_free(zone);
  return origin;
}

size_t ah__url_origin_into(const CURLU *u, const char *plain, char *out, size_t cap)
{
  size_t n, i;
  char *o;

  if (u == NULL) {
    struct ah__plain pl;
    if (plain == NULL || !ah__url_plain_scan(plain, &pl))
      return 0;
    n = (size_t)snprintf(out, cap, "http%s://%.*s:%.*s", pl.https ? "s" : "",
                         (int)pl.host_len, plain + pl.host,
                         pl.port_len ? (int)pl.port_len : pl.https ? 3 : 2,
                         pl.port_len ? plain + pl.host + pl.host_len + 1
                                     : pl.https ? "443" : "80");
    if (n >= cap)
      return 0;
    for (i = 0; i < n; i++)
      if (out[i] >= 'A' && out[i] <= 'Z')
        out[i] = (char)(out[i] - 'A' + 'a');
    return n;
  }
  if ((o = ah__url_origin(u)) == NULL)
    return 0;
  n = strlen(o);
  if (n < cap)
    memcpy(out, o, n + 1);
  ah__free(o);
  return n < cap ? n : 0;
}

int ah__url_host_ok(const char *h)
{
  size_t n = strlen(h);

  if (n == 0 || n > 255)
    return 0;
  if (h[0] == '[')
    return n > 2 && h[n - 1] == ']' &&
           strspn(h + 1, "0123456789abcdefABCDEF:.") == n - 2;
  return strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789-._") == n;
}

/* The userinfo of url ("user:password@" after "://"), as the range
 * [*from, *to) to leave out; an empty range when there is none. */
void ah__url_credentials(const char *url, size_t *from, size_t *to)
{
  const char *auth = strstr(url, "://");
  const char *end, *at = NULL, *p;

  *from = *to = 0;
  if (auth == NULL)
    return;
  auth += 3;
  end = auth + strcspn(auth, "/?#");
  for (p = auth; p < end; p++)
    if (*p == '@')
      at = p;
  if (at != NULL) {
    *from = (size_t)(auth - url);
    *to = (size_t)(at + 1 - url);
  }
}

int ah__url_has_user(const CURLU *u)
{
  char *part = NULL;
  int has = u != NULL &&
            (curl_url_get((CURLU *)u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
             curl_url_get((CURLU *)u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK);

  curl_free(part);
  return has;
}

/* url without its credentials into out (len - (to - from) + 1 bytes). */
void ah__url_copy_without(char *out, const char *url, size_t len, size_t from,
                         size_t to)
{
  memcpy(out, url, from);
  memcpy(out + from, url + to, len - to + 1);
}

char *ah__url_without_credentials(const char *url)
{
  size_t len = strlen(url), from, to;
  char *out;

  ah__url_credentials(url, &from, &to);
  if ((out = ah__malloc(len - (to - from) + 1)) != NULL)
    ah__url_copy_without(out, url, len, from, to);
  return out;
}

/* The host of a request's URL: from the string of a plain URL (u NULL),
 * else from its handle, as libcurl gives it. */
int ah__url_host(const CURLU *u, const char *plain, char *out, size_t cap)
{
  char *host = NULL;
  size_t n;

  if (u == NULL) {
    struct ah__plain pl;
    if (plain == NULL || !ah__url_plain_scan(plain, &pl) || pl.host_len >= cap)
      return -1;
    memcpy(out, plain + pl.host, pl.host_len);
    out[pl.host_len] = '\0';
    return 0;
  }
  if (curl_url_get((CURLU *)u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
    return -1;
  n = strlen(host);
  if (n < cap)
    memcpy(out, host, n + 1);
  curl_free(host);
  return n < cap ? 0 : -1;
}
