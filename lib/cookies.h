/* cookies.h - the bounds of a session's cookie jar (see cookies.c). */
#ifndef AH_COOKIES_H
#define AH_COOKIES_H

#include <curl/curl.h>
#include <stddef.h>

#include "ahttp.h"
#include "rx.h"

/* The jar's caps: RFC 6265 section 6.1 asks for at least 50 cookies per
 * domain and 3000 in all; browsers keep about 150-180 per domain. */
#define AH__COOKIES_PER_DOMAIN 150
#define AH__COOKIES_TOTAL 3000

/* After a transfer on e (its handle shares the session's jar, share)
 * whose response rx came from host: when rx set cookies, expire those it
 * set beyond per_domain in their domain or beyond total in the jar. */
void ah__cookies_bound(CURL *e, CURLSH *share, const struct ah__rx *rx,
                       const char *host, size_t per_domain, size_t total);

/* Expire the cookies of w's jar that would go to host (NULL: all). */
int ah__cookies_clear(CURL *w, const char *host);

/* *out = a copy of the live cookies of w's jar that would go to host
 * (NULL: all); w NULL gives an empty list. AH_OK or AH_ENOMEM. */
int ah__cookies_snapshot(CURL *w, const char *host, ah_cookies **out);

#endif
