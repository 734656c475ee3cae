/* url.h - a request's URL, parsed once into the handle libcurl is given. */
#ifndef AH_URL_H
#define AH_URL_H

#include <curl/curl.h>

/* Parse an http(s) URL into a new handle (*out), which the request hands
 * to libcurl: one parse validates and serves the transfer. A URL without
 * a scheme is resolved against base (NULL: refused). *how gets
 * AH__URL_HTTPS for the https scheme, AH__URL_ABSOLUTE when url has a
 * scheme of its own. AH_OK, AH_EINVAL with *why, or AH_ENOMEM. */
enum { AH__URL_HTTPS = 1, AH__URL_ABSOLUTE = 2 };
int ah__url_parse(const char *url, const CURLU *base, CURLU **out,
                  int *how, const char **why);

/* AH_ENOMEM or AH_EINVAL for a CURLU error, with *why: AH_ENOMEM too
 * when an allocation failed since mark (ah__alloc_failures() before the
 * call), which libcurl 8.21's parser reports as a malformed URL. */
int ah__url_error(CURLUcode uc, unsigned long mark, const char **why);

/* A plain URL (see url.c) as ah__url_plain_scan finds it: the host at
 * url[host, host + host_len), then ":" and port_len digits if port_len,
 * then the path from url[path] (the origin is what comes before), to a
 * '?' and the query if there is one. */
struct ah__plain {
  size_t host, host_len, port_len, path;
  int https;
};
/* 1 when url is plain, with *pl filled in; 0 when libcurl must judge it. */
int ah__url_plain_scan(const char *url, struct ah__plain *pl);

/* A handle kept for plain URLs, one per easy handle, with the origin it
 * was last set to: the next URL of the same origin changes only its path
 * and query (~300 instructions instead of ~2,300 for a new handle). */
struct ah__url_cache {
  CURLU *u;
  char *origin;
  size_t origin_len, origin_cap;
};
/* Set c's handle to the plain url whose path starts at url[path] (from
 * ah__url_plain_scan); *out gets the handle, owned by c. CURLUE_OK, or
 * CURLUE_OUT_OF_MEMORY (c stays usable). */
CURLUcode ah__url_cache_set(struct ah__url_cache *c, const char *url,
                            size_t path, CURLU **out);
void ah__url_cache_free(struct ah__url_cache *c);

/* The fast path of ah__url_parse: a plain absolute URL (see url.c) set
 * into a new handle part by part. 1 with *out set, 0 when url is not
 * plain (libcurl's parser must judge it), -1 without memory. Exposed for
 * the test that holds it to libcurl's parser. */
int ah__url_plain(const char *url, CURLU **out);

/* The next URL of a redirect: location resolved against base (the URL
 * that answered), spaces and bytes above ASCII escaped, into a new handle
 * (*out); *https tells its scheme. AH_OK; AH_EREDIRECTS for a scheme
 * other than http or https; AH_EPROTO for a Location that is no URL;
 * AH_ENOMEM. *why says which. */
int ah__url_redirect(const CURLU *base, const char *location, CURLU **out,
                     int *https, const char **why);

/* The origin of url, "scheme://host:port" in lower case with the
 * scheme's default port made explicit: allocated, NULL without memory or
 * without a host. */
char *ah__url_origin(const CURLU *url);
/* The same into out (cap bytes, with the NUL), from the string of a
 * plain URL (u NULL) or else from u: its length, or 0 (no host, too long,
 * or no memory). */
size_t ah__url_origin_into(const CURLU *u, const char *plain, char *out, size_t cap);

/* 1 when h is a host name or address as the session options take it
 * (rates, host overrides): letters, digits, '-', '.', '_', or an IPv6
 * address in brackets; 1 to 255 bytes. */
int ah__url_host_ok(const char *h);

/* The userinfo of url ("user:password@" after "://"), as the range
 * [*from, *to) to leave out; an empty range when there is none. */
void ah__url_credentials(const char *url, size_t *from, size_t *to);
/* 1 when u names a user or a password (credentials libcurl sends). */
int ah__url_has_user(const CURLU *u);
/* url (len bytes) without [from, to) into out (len - (to - from) + 1
 * bytes, with the NUL). */
void ah__url_copy_without(char *out, const char *url, size_t len, size_t from,
                          size_t to);
/* An allocated copy of url without its credentials; NULL without memory. */
char *ah__url_without_credentials(const char *url);
/* The host of a request's URL into out (cap bytes, with the NUL): from
 * the string of a plain URL (u NULL), else from u. 0, or -1 (no host, too
 * long, or no memory). */
int ah__url_host(const CURLU *u, const char *plain, char *out, size_t cap);

#endif
