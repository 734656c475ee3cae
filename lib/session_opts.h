/* session_opts.h - the session's defaults, as its options builder
 * leaves them: what every request falls back on. */
#ifndef AH_SESSION_OPTS_H
#define AH_SESSION_OPTS_H

#include <curl/curl.h>
#include <stddef.h>

#include "ahttp.h"
#include "rate.h"
#include "retry.h"

struct ah__bridge;

/* Session-wide defaults a request falls back on. */
struct ah__defaults {
  size_t max_body, max_header;
  long max_redirects, total_ms, connect_ms, idle_ms;
  char *user_agent;
  int http_version;             /* ah_http_version */
  char *ca_file, *ca_dir, *cert, *key;
  char *proxy, *unix_path, *base_url;
  char *pinned_key;             /* CURLOPT_PINNEDPUBLICKEY, NULL: none */
  char *proxy_user, *proxy_password; /* CURLOPT_PROXYUSERNAME, ...PASSWORD */
  char *no_proxy;               /* CURLOPT_NOPROXY, NULL: none (or the
                                   environment's with trust_env) */
  int insecure, no_cookies;
  int trust_env;                /* proxies from the environment when none
                                   is set (libcurl reads it per request) */
  struct curl_slist *extra;     /* ah_session_opts_add_header lines */
  struct curl_slist *connect_to; /* host overrides, CURLOPT_CONNECT_TO */
  CURLSH *share;                /* the session's TLS session cache */
  struct ah__retrier *rt;       /* the session's retrying */
  ah_event_cb on_event;         /* the lifecycle hook, NULL: none */
  void *event_ud;
  struct ah__bridge *bridge;    /* drives the slots; sees their sockets */
  /* "User-Agent: ..." and "Accept-Encoding: ..." as prebuilt header lines:
   * libcurl formats its own with a slow printf on every request unless a
   * header of that name is in the list. Built by ah__defaults_headers. */
  struct curl_slist *headers;
  int auth_header;              /* an Authorization line is among them */
};

/* Build d->headers from d->user_agent and d->extra. AH_OK or AH_ENOMEM. */
int ah__defaults_headers(struct ah__defaults *d);

/* The builder: the defaults, and what the session itself takes. */
struct ah_session_opts {
  struct ah__defaults d;
  long max_total, max_host, queue_ms;
  struct ah__retry_policy retry;
  struct ah__rates rates;
};

/* d as a new options object leaves it. */
void ah__defaults_init(struct ah__defaults *d);
/* Copy the strings of from into to (the shallow copy is the caller's):
 * AH_OK or AH_ENOMEM (what was copied stays for ah__defaults_free). */
int ah__defaults_copy(struct ah__defaults *to, const struct ah__defaults *from);
/* The strings of d, each freed. */
void ah__defaults_free(struct ah__defaults *d);

#endif
