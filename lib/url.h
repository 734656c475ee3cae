/* url.h - a request's URL, parsed once into the handle libcurl is given. */
#ifndef AH_URL_H
#define AH_URL_H

#include <curl/curl.h>

/* Parse an http(s) URL into a new handle (*out), which the request hands
 * to libcurl: one parse validates and serves the transfer. A URL without
 * a scheme is resolved against base (NULL: refused). *how gets
 * AH__URL_HTTPS for the https scheme, AH__URL_ABSOLUTE when url has a
 * scheme of its own, AH__URL_PLAIN when it is plain (no user:password@
 * among other things: see url.c). AH_OK, AH_EINVAL with *why, or AH_ENOMEM. */
enum { AH__URL_HTTPS = 1, AH__URL_ABSOLUTE = 2, AH__URL_PLAIN = 4 };
int ah__url_parse(const char *url, const CURLU *base, CURLU **out,
                  int *how, const char **why);

/* AH_ENOMEM or AH_EINVAL for a CURLU error, with *why. */
int ah__url_error(CURLUcode uc, const char **why);

/* The fast path of ah__url_parse: a plain absolute URL (see url.c) set
 * into a new handle part by part. 1 with *out set, 0 when url is not
 * plain (libcurl's parser must judge it), -1 without memory. Exposed for
 * the test that holds it to libcurl's parser. */
int ah__url_plain(const char *url, CURLU **out);

#endif
