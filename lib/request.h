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
#include <stdint.h>

#include "ahttp.h"
#include "retry.h"
#include "url.h"

struct ah__reqspec;
struct ah__bridge;
struct ah__journey;

/* What libcurl's trace tells of the HTTP/2 stream of a transfer: a
 * request sent on a stream the server refused unprocessed
 * (REFUSED_STREAM, or a stream above a GOAWAY's last stream id) may be
 * sent again whatever its method (SPEC 4b). libcurl says so in no other
 * way, and in other words in each release (see request.c). */
struct ah__refusal {
  int32_t sid;         /* the stream the request went out on, 0: unknown */
  int32_t goaway_last; /* a GOAWAY's last stream id, -1: none seen */
  int refused;         /* the stream was refused */
};
/* Note one line of libcurl's trace (CURLINFO_TEXT) in w. */
void ah__refusal_note(struct ah__refusal *w, const char *text, size_t len);
/* 1 when w shows the request's stream went unprocessed. */
int ah__refusal_unprocessed(const struct ah__refusal *w);

/* Session-wide defaults a request falls back on. */
struct ah__defaults {
  size_t max_body, max_header;
  long max_redirects, total_ms, connect_ms, idle_ms;
  char *user_agent;
  int http_version;             /* ah_http_version */
  char *ca_file, *ca_dir, *cert, *key;
  char *proxy, *unix_path, *base_url;
  char *pinned_key;             /* CURLOPT_PINNEDPUBLICKEY, NULL: none */
  int insecure, no_cookies;
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
};

/* 1 when url is a proxy ahttp accepts: http://, socks5:// or socks5h://
 * (the proxy resolves names), with no CR or LF. */
int ah__proxy_ok(const char *url);

/* 1 when s is a non-empty HTTP token (RFC 9110 tchar): a method or a
 * header name. */
int ah__is_token(const char *s);

/* Append the line for header name: value to *list, as libcurl reads it
 * (value NULL: do not send a header of libcurl's with that name; "": send
 * it empty). Name and value already checked. AH_OK or AH_ENOMEM. */
int ah__header_append(struct curl_slist **list, const char *name,
                      const char *value);

/* *to = a copy of the list from; 0, or -1 without memory (what was
 * copied stays in *to, for the caller to free). */
int ah__slist_dup(struct curl_slist **to, const struct curl_slist *from);

/* Build d->headers from d->user_agent and d->extra. AH_OK or AH_ENOMEM. */
int ah__defaults_headers(struct ah__defaults *d);

/* A pooled easy handle, configured once with the session's defaults. A
 * request borrows it; the options a request changed are undone when it is
 * returned, so the common request sets nothing but its URL. libcurl's
 * callbacks get the slot, and the slot names its current request. */
struct ah__slot {
  CURL *easy;
  const struct ah__defaults *d; /* the session's, restored after a request */
  struct ah__bridge *bridge;    /* told of each socket the slot opens */
  struct ah__rx *rx;            /* the receiver, reset for each request */
  int multiplex_tls;            /* HTTP/2 over TLS may multiplex: wait */
  int h2c_fresh;                /* cleartext prior knowledge: no reuse */
  struct ah__request *q;        /* the borrower, NULL while pooled */
  unsigned dirty;               /* options to undo (DIRTY_* in request.c) */
  struct curl_slist *merged;    /* session and request headers, if both */
  struct curl_slist *stripped;  /* merged without the sensitive ones */
  curl_mime *mime;              /* a multipart body being sent */
  char errbuf[CURL_ERROR_SIZE]; /* cleared for every request */
  struct ah__url_cache urls;    /* the URL handle of plain requests */
  /* The addresses of the connection the last request went out on, as
   * libcurl's prereq callback tells them (addr_ok: told and not cut). */
  char remote_ip[64], local_ip[64];
  int remote_port, local_port, addr_ok;
  long errno_before;            /* CURLINFO_OS_ERRNO when the request was
                                   set up, where it is sticky (curl_caps.h) */
  /* With a lifecycle hook: libcurl's phase times (cumulative over the
   * redirects of a transfer) at the last request sent, and whether the
   * first byte was told, for this attempt. */
  curl_off_t ph_dns, ph_connect, ph_tls;
  long ph_conns;
  int ph_first_byte;
  /* The idle timeout of the request under way (0: none), and when a byte
   * last came or went: any byte, header lines and 1xx responses too. */
  int64_t idle_ns, last_byte_ns;
  curl_off_t last_ul;
  /* HTTP/2 refusals libcurl's trace told of, for a request that watches
   * for them (ah__refusal_note). */
  struct ah__refusal watch;
};

/* One request in flight, from fetch to completion. */
struct ah__request {
  ah_future *f;
  struct ah__slot *slot;        /* NULL until it has an easy handle */
  CURLU *url;                   /* parsed at fetch, libcurl dups it; NULL
                                   for a plain URL (set into the slot's
                                   handle at start) */
  const char *url_str;          /* the URL as given, when it is the whole
                                   URL (in the request's own block) */
  struct ah__rx *rx;            /* the slot's receiver while it has one */
  struct ah__reqspec *spec;     /* NULL: plain GET */
  struct ah__request *prev, *next; /* the session's queue, active or retry list */
  unsigned queued : 1;          /* waiting in the queue: no slot, no resp */
  unsigned https : 1;           /* the URL's scheme is https */
  unsigned literal : 1;         /* q->url is its string as given: absolute,
                                   no query parameters added */
  unsigned waiting : 1;         /* in the session's retry list */
  unsigned parked : 1;          /* in its host's bucket, for a token */
  unsigned rate_paid : 1;       /* holds its host's token already */
  /* Of the hop under way (ah__request_rearm and a redirect clear them): */
  unsigned challenged : 1;      /* a digest challenge was answered */
  unsigned sent : 1;            /* the request went out */
  unsigned empty_reply : 1;     /* it ended with no response byte */
  unsigned told : 1;            /* the caller's callbacks saw it */
  unsigned body_dirty : 1;      /* the reader was read since its start */
  uint8_t attempt;              /* 1 for the first */
  uint8_t sent_finals;          /* rx->finals when it was last sent */
  struct ah__journey *j;        /* its redirects, NULL until the first */
  uint16_t plain_path;          /* a plain URL's path offset (url is NULL) */
  int abort_err;                /* set by our callbacks to end the transfer */
  const char *abort_why;
  int watch_err;                /* the reactor refused a socket: errno */
  int doom_err;                 /* to end with this code once out of libcurl */
  const char *doom_why;         /* and this reason (static text) */
  int socket_err;               /* errno of the last failed socket() */
  unsigned long oom_mark;       /* ah__alloc_failures() at the start */
  int64_t queued_ns;            /* when queued (monotonic), then how long */
  /* The wait before a retry, decided on the headers (-1: none); in the
   * retry list, the time it falls due (monotonic). */
  int64_t retry_ns;
  int64_t starved_ns;           /* first ran out of descriptors, or 0 */
};

/* Another options object sharing o's spec (a counted reference: safe on
 * any thread, as fetches are); NULL for o == NULL or without memory. */
ah_request_opts *ah__request_opts_share(const ah_request_opts *o);
/* A counted reference to the spec of o, or NULL for o == NULL. */
struct ah__reqspec *ah__reqspec_ref(const ah_request_opts *o);
void ah__reqspec_unref(struct ah__reqspec *spec);
/* AH_OK, or the code of the first bad input given to the builder, with
 * a sentence saying which input in *why. */
int ah__reqspec_error(const struct ah__reqspec *spec, const char **why);

/* A new easy handle with the session's defaults; NULL without memory. */
struct ah__slot *ah__slot_new(const struct ah__defaults *d);
/* Undo what the last request changed, ready for the next. */
void ah__slot_recycle(struct ah__slot *slot);
void ah__slot_free(struct ah__slot *slot);

/* Lend q->slot to q and set its per-request options (URL, method, body,
 * headers, timeouts, auth...), and ready its receiver. AH_OK, or
 * AH_ENOMEM or AH_EINVAL with *why. */
int ah__request_setup(struct ah__request *q, const char **why);
/* The outcome of a finished transfer: an ahttp code, and either the
 * compact response in *resp (on success) or a message for the failure in
 * *msg (NULL without memory). */
int ah__request_result(struct ah__request *q, CURLcode rc, char **msg,
                       ah_response **resp);

/* After q's transfer: when its response set cookies, hold the session's
 * jar to its caps (cookies.c). */
void ah__request_cookies(struct ah__request *q);
/* 1 when q's transfer, ended with rc, is a redirect q follows (ahttp
 * follows them, not libcurl): ah__request_redirect takes the next hop. */
int ah__request_redirected(const struct ah__request *q, CURLcode rc);
/* Take the redirect q's finished transfer answered: its journey gets the
 * next URL, method and what it may carry (SPEC 4b), the hop is noted and
 * told (AH_EVENT_REDIRECT). The slot still holds the finished transfer;
 * the caller then recycles it and sets q up again (ah__request_setup
 * builds each hop from the journey). AH_OK, or the code that ends q
 * (AH_EREDIRECTS past the limit or to another scheme, AH_EPROTO for a
 * Location that is no URL, AH_ENOMEM) with *why. */
int ah__request_redirect(struct ah__request *q, const char **why);

/* 1 when q's body can be sent again: not from a reader, or one with a
 * rewind callback, or one not read yet. */
int ah__request_replayable(const struct ah__request *q);
/* Start a reader's body over if it was read: AH_OK, or the code that
 * ends q (no rewind callback, or it failed) with *why. */
int ah__request_rewind(struct ah__request *q, const char **why);

/* AH_OK when the running libcurl can serve q with the session's
 * defaults d; AH_ENOTSUP with *why when it lacks TLS or HTTP/2 for it. */
int ah__request_supported(const struct ah__request *q, const struct ah__defaults *d,
                          const char **why);

/* q->url and q->https from url (and base), with q->spec's query
 * parameters appended. AH_OK, AH_EINVAL with *why, or AH_ENOMEM. */
int ah__request_url(struct ah__request *q, const char *url,
                    const CURLU *base, const char **why);
/* Attempts q may make: its own, else the session's. */
int ah__request_attempts(const struct ah__request *q, int session_attempts);
/* 1 when q may be sent again: an idempotent method, or allowed. */
int ah__request_resendable(const struct ah__request *q);
/* What the attempt that just failed with err means for a retry (a
 * status is decided on the response's headers: q->retry_ns). */
enum ah__outcome ah__request_outcome(const struct ah__request *q, int err);
/* Forget the ended attempt's state (its slot is the caller's to return):
 * ready for the next attempt. */
void ah__request_rearm(struct ah__request *q);

/* Tell the session's hook (d->on_event, not NULL) of ev, an event of q
 * whose type, time and details are set: its future and attempt are
 * filled in here. */
void ah__event(const struct ah__defaults *d, const struct ah__request *q,
               ah_event *ev);
/* An event of q of this type and time, with a status, error and delay. */
void ah__tell(const struct ah__defaults *d, const struct ah__request *q,
              int type, int64_t t_ns, int status, int err, int64_t delay_ns);

/* An allocated message "text (url)", url credentials removed. */
char *ah__message(int err, const char *detail, const char *url);

#endif
