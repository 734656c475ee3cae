/* journey.h - where a request goes next after a redirect, and what it
 * carries there (shared/SPEC.md section 4b).
 *
 * Policy and record only: which statuses a request follows, what method
 * the next hop uses, the redirects followed so far. Knows nothing of easy
 * handles or sessions: request.c applies a hop to the handle, session.c
 * hands it back to libcurl. libcurl's own following stays off, so that
 * the URL judged (secrets, scheme, limit) is the URL requested, on every
 * libcurl release alike. */
#ifndef AH_JOURNEY_H
#define AH_JOURNEY_H

#include <stddef.h>
#include <stdint.h>

struct Curl_URL; /* libcurl's CURLU */

/* The statuses a request follows, as bits (ah__journey_bit). */
enum {
  AH__FOLLOW_301 = 1, AH__FOLLOW_302 = 2, AH__FOLLOW_303 = 4,
  AH__FOLLOW_307 = 8, AH__FOLLOW_308 = 16,
  AH__FOLLOW_ALL = 31
};

/* A request's journey, made at its first redirect (a request that is
 * never redirected has none, and pays nothing for it). It outlives
 * attempts: a retry resumes at the current hop, never resending a POST
 * a redirect already turned into a GET. */
struct ah__journey {
  struct Curl_URL *url; /* the current hop's URL (owned) */
  char *origin;        /* the original origin, "scheme://host:port" */
  char *hops;          /* each redirect: 2-byte status, URL, NUL */
  size_t hops_len, hops_cap;
  int nhops;
  int64_t spent_us;    /* this attempt's time in redirects so far */
  unsigned get : 1;    /* a redirect turned the method into GET */
  unsigned foreign : 1; /* it left the original origin: secrets stay behind */
};

/* The bit of a redirect status, 0 for any other status (300, 304, 305
 * and the rest are final responses, Location or not). */
unsigned ah__journey_bit(int status);

/* The statuses followed by a request with this method (NULL: the
 * default, GET or POST with a body) and body. A body that cannot be sent
 * again (a reader with no rewind callback) keeps only the redirects that
 * drop it: the others are returned to the caller, the same on every run,
 * whether or not libcurl had started reading it. */
unsigned ah__journey_follows(const char *method, int has_body, int body_resendable);

/* 1 when a redirect with this status turns the method into GET (and
 * drops the body): 303 but for HEAD; 301 and 302 for POST. */
int ah__journey_to_get(int status, const char *method, int has_body);

/* The journey of a request, made on its first redirect; NULL without
 * memory. origin: the original origin (copied). */
struct ah__journey *ah__journey_new(const char *origin);
void ah__journey_free(struct ah__journey *j);

/* Note a redirect followed: its status and the URL that answered it.
 * 0, or -1 without memory. */
int ah__journey_record(struct ah__journey *j, int status, const char *url);

#endif
