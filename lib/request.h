/* request.h - request options and one request's life on an easy handle.
 *
 * Options are a builder over an immutable, reference-counted spec: a
 * fetch takes a reference, so 100,000 fetches with one ah_request_opts
 * share one copy of its headers and body, and setters called later copy
 * the spec first (copy on write). The count is atomic, so one options
 * object may serve fetches on sessions of several threads at once; only
 * its setters must not run concurrently with those fetches. */
#ifndef AH_REQUEST_H
#define AH_REQUEST_H

#include <curl/curl.h>
#include <stddef.h>

#include "ahttp.h"

struct ah__reqspec;

/* Session-wide defaults a request falls back on. */
struct ah__defaults {
  size_t max_body, max_header;
  long max_redirects, total_ms, connect_ms;
  char *user_agent;
};

/* One request in flight, from fetch to completion. */
struct ah__request {
  ah_future *f;
  CURL *easy;
  ah_response *resp;
  struct ah__reqspec *spec;     /* NULL: plain GET */
  struct ah__request *prev, *next; /* the session's list of requests */
  int abort_err;                /* set by our callbacks to end the transfer */
  const char *abort_why;
  int watch_err;                /* the reactor refused a socket: errno */
  int socket_err;               /* errno of the last failed socket() */
  unsigned long oom_mark;       /* ah__alloc_failures() at the start */
  char errbuf[CURL_ERROR_SIZE];
};

/* A counted reference to the spec of o, or NULL for o == NULL. */
struct ah__reqspec *ah__reqspec_ref(const ah_request_opts *o);
void ah__reqspec_unref(struct ah__reqspec *spec);
/* AH_OK, or the code of the first bad input given to the builder, with
 * a sentence saying which input in *why. */
int ah__reqspec_error(const struct ah__reqspec *spec, const char **why);

/* Configure q->easy (freshly reset) for url with the spec and defaults.
 * AH_OK or AH_ENOMEM. */
int ah__request_setup(struct ah__request *q, const char *url,
                      const struct ah__defaults *d);
/* The outcome of a finished transfer: an ahttp code, a message for a
 * failure in *msg (may be NULL without memory), and on success the
 * response completed with its URL. */
int ah__request_result(struct ah__request *q, CURLcode rc, char **msg);

/* Validates an absolute http(s) URL; AH_OK or AH_EINVAL with *why. */
int ah__url_check(CURLU *parser, const char *url, const char **why);
/* An allocated message "text (url)", url credentials removed. */
char *ah__message(int err, const char *detail, const char *url);

#endif
