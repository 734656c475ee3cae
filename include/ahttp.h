/*
 * ahttp - an embeddable asynchronous HTTP client.
 *
 * One session owns an epoll reactor driving libcurl. ah_session_fetch()
 * starts a request and returns a future at once; ah_future_wait(),
 * ah_gather() and ah_wait_any() run the reactor until futures complete.
 * Every function is documented in its man page (docs/man3); each
 * declaration below carries a one-line summary.
 *
 * Threading: a session and its futures are used from one thread at a
 * time. ah_session_wakeup() is the one call that is safe from any thread.
 * Processes: a session belongs to the process that made it; after
 * fork(2) the child neither uses nor frees its parent's sessions (they
 * share the parent's epoll instance and connections) and makes its own.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef AHTTP_H
#define AHTTP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AH_VERSION_MAJOR 0
#define AH_VERSION_MINOR 2
#define AH_VERSION_PATCH 0
#define AH_VERSION_NUM \
  ((AH_VERSION_MAJOR << 16) | (AH_VERSION_MINOR << 8) | AH_VERSION_PATCH)
#define AH_VERSION_STR_(x) #x
#define AH_VERSION_XSTR_(x) AH_VERSION_STR_(x)
/* "MAJOR.MINOR.PATCH", made from the three numbers above (the one place
 * the version is written; the Makefile reads them too). */
#define AH_VERSION_STRING \
  AH_VERSION_XSTR_(AH_VERSION_MAJOR) "." AH_VERSION_XSTR_(AH_VERSION_MINOR) "." \
  AH_VERSION_XSTR_(AH_VERSION_PATCH)

#if defined(AH_BUILDING_LIBRARY) && defined(__GNUC__)
#define AH_EXTERN __attribute__((visibility("default")))
#else
#define AH_EXTERN
#endif

/* Error codes. The numbers are fixed and never reused. */
typedef enum ah_error {
  AH_OK = 0,
  AH_EINVAL = -1,      /* bad argument, URL, method or header */
  AH_ENOMEM = -2,      /* out of memory */
  AH_ERESOLVE = -3,    /* host name did not resolve */
  AH_ECONNECT = -4,    /* connection refused or unreachable */
  AH_ETLS = -5,        /* any TLS failure */
  AH_ETIMEDOUT = -6,   /* connect, total, idle or queue timeout */
  AH_EPROTO = -7,      /* the server broke HTTP */
  AH_EIO = -8,         /* connection reset, read or write error */
  AH_ETOOLARGE = -9,   /* response header or body over its limit */
  AH_EREDIRECTS = -10, /* too many redirects, or to a forbidden scheme */
  AH_ECANCELED = -11,  /* canceled, or the session was freed */
  AH_EPENDING = -12,   /* the future has not completed yet */
  AH_EBUSY = -13,      /* called from inside a callback where not allowed */
  AH_EINTR = -14,      /* a wait was ended early by ah_session_wakeup() */
  AH_ENOFD = -15,      /* out of file descriptors */
  AH_ESTOPPED = -16,   /* a data, headers, progress or read callback stopped it */
  AH_ENOTSUP = -17     /* the libcurl this process runs cannot do it */
} ah_error;

/* HTTP versions for ah_session_opts_set_http_version. */
typedef enum ah_http_version {
  AH_HTTP_DEFAULT = 0,   /* HTTP/2 over TLS when the server offers it, else 1.1 */
  AH_HTTP_1_1 = 1,       /* HTTP/1.1 only */
  AH_HTTP_2 = 2,         /* HTTP/2 over TLS (ALPN), 1.1 for cleartext */
  AH_HTTP_2_PRIOR_KNOWLEDGE = 3 /* HTTP/2 without upgrade, also cleartext */
} ah_http_version;

/* A cookie's attributes, as bits (ah_cookies_flags). */
enum {
  AH_COOKIE_SECURE = 1,     /* sent over https only */
  AH_COOKIE_HTTP_ONLY = 2,  /* HttpOnly: not for scripts */
  AH_COOKIE_SUBDOMAINS = 4  /* sent to subdomains of its domain too */
};

/* What a retry policy retries (ah_session_opts_set_retries). */
typedef enum ah_retry_on {
  AH_RETRY_CONNECT = 1, /* no connection made: refused, unreachable, connect timeout */
  AH_RETRY_RESET = 2,   /* the connection ended before any response byte */
  AH_RETRY_TIMEOUT = 4, /* a timeout once connected */
  AH_RETRY_STATUS = 8,  /* a response with a status of the retry set */
  AH_RETRY_DEFAULT = 15 /* all of these */
} ah_retry_on;

/* Marks of a response's timeline, for ah_response_time_us. */
typedef enum ah_time {
  AH_TIME_QUEUE = 0,      /* waited in ahttp's queue before starting */
  AH_TIME_LOOKUP = 1,     /* from the start: the name was resolved */
  AH_TIME_CONNECT = 2,    /* ... connected */
  AH_TIME_TLS = 3,        /* ... TLS handshake done */
  AH_TIME_FIRST_BYTE = 4, /* ... the first response byte arrived */
  AH_TIME_TOTAL = 5,      /* ... the response was complete */
  AH_TIME_REDIRECT = 6    /* spent on redirects before the final request */
} ah_time;

typedef struct ah_session ah_session;
typedef struct ah_session_opts ah_session_opts;
typedef struct ah_request_opts ah_request_opts;
typedef struct ah_future ah_future;
typedef struct ah_response ah_response;
typedef struct ah_loop ah_loop;
/* A copy of a session's cookies (ah_session_cookies_list). */
typedef struct ah_cookies ah_cookies;

typedef struct ah_ws ah_ws;

/* What a WebSocket message is (ah_ws_send, ah_ws_message). */
typedef enum ah_ws_type {
  AH_WS_TEXT = 1,   /* UTF-8 text */
  AH_WS_BINARY = 2, /* bytes */
  AH_WS_CLOSE = 3   /* the peer's close (received only): its reason */
} ah_ws_type;

/* What happened to a request, for ah_session_opts_on_event. */
typedef enum ah_event_type {
  AH_EVENT_QUEUED = 1,     /* waits in the session's queue */
  AH_EVENT_DEQUEUED = 2,   /* an attempt starts (left the queue, or at once) */
  AH_EVENT_DNS = 3,        /* the host name was resolved, for a new connection */
  AH_EVENT_CONNECTED = 4,  /* a connection: new, or reused (ev->reused) */
  AH_EVENT_TLS = 5,        /* the TLS handshake of a new connection is done */
  AH_EVENT_SENT = 6,       /* the connection is ready; the request goes out */
  AH_EVENT_FIRST_BYTE = 7, /* the first byte of the response arrived */
  AH_EVENT_REDIRECT = 8,   /* a redirect is followed (status, url: Location) */
  AH_EVENT_RETRY = 9,      /* another attempt in delay_us (error or status) */
  AH_EVENT_DONE = 10       /* the request is over: error, status */
} ah_event_type;

/* One event. Owned by ahttp, valid during the callback; members may be
 * added at the end in later versions. */
typedef struct ah_event {
  int type;              /* ah_event_type */
  ah_future *future;     /* the request: its identity until it is freed */
  long long time_ns;     /* when, on CLOCK_MONOTONIC */
  int attempt;           /* 1 for the first */
  int reused;            /* AH_EVENT_CONNECTED: an idle connection reused */
  int status;            /* REDIRECT, RETRY, DONE: the HTTP status, or 0 */
  int error;             /* RETRY, DONE: AH_OK or the attempt's code */
  long long delay_us;    /* RETRY: the wait before the next attempt */
  const char *url;       /* REDIRECT: the Location; else NULL */
} ah_event;

/* Called for each event of each request of a session, on the reactor's
 * thread; it must not call ahttp functions on the session or its futures. */
typedef void (*ah_event_cb)(const ah_event *ev, void *userdata);

/* Called exactly once, on the reactor's thread, when a future completes. */
typedef void (*ah_done_cb)(ah_future *f, void *userdata);
/* Transfer callbacks, run on the reactor's thread while the request is
 * under way; a non-zero return stops it with AH_ESTOPPED. */
/* Body bytes as they arrive (the body is then not kept). */
typedef int (*ah_data_cb)(ah_future *f, const char *data, size_t len,
                          void *userdata);
/* Status and headers of the final response, before its body. */
typedef int (*ah_headers_cb)(ah_future *f, const ah_response *head,
                             void *userdata);
/* Bytes received and sent so far, and their totals when known (else 0). */
typedef int (*ah_progress_cb)(ah_future *f, long long down,
                              long long down_total, long long up,
                              long long up_total, void *userdata);
/* Fill buf with up to max bytes of the request body: returns the count,
 * 0 at the end, or -1 to stop the request with AH_ESTOPPED. */
typedef long (*ah_read_cb)(ah_future *f, char *buf, size_t max,
                           void *userdata);
/* Start the request body over, so that the next ah_read_cb call returns
 * its first byte again: 0, or -1 when it cannot. */
typedef int (*ah_rewind_cb)(ah_future *f, void *userdata);

/* The allocator ahttp and its libcurl use. size is sizeof(ah_allocator)
 * as the caller was built: a later release may add members after strdup
 * and reads them only when size covers them. Every member must be set:
 *   ah_allocator a = {sizeof a, my_malloc, my_calloc, ...}; */
typedef struct ah_allocator {
  size_t size;
  void *(*malloc)(size_t size);
  void *(*calloc)(size_t n, size_t size);
  void *(*realloc)(void *p, size_t size);
  void (*free)(void *p);
  char *(*strdup)(const char *s);
} ah_allocator;

/* Use a (copied) for every allocation of ahttp and of libcurl, for the
 * whole process (ahttp initializes libcurl with it), before anything else
 * of ahttp is called; NULL restores the C library's. AH_EINVAL for a size
 * below this release's struct or a NULL member; AH_EBUSY once ahttp has
 * started. */
AH_EXTERN int ah_set_allocator(const ah_allocator *a);

/* Version of the library at run time, as AH_VERSION_NUM. */
AH_EXTERN unsigned ah_version(void);
/* AH_OK when the libcurl this process runs is one ahttp supports (7.88.1
 * or newer), else AH_ENOTSUP with *why (if why) a static sentence. */
AH_EXTERN int ah_libcurl_check(const char **why);
/* Static text for an error code; never NULL, never allocates. */
AH_EXTERN const char *ah_strerror(int err);
/* The code's name ("AH_ETIMEDOUT"), for logs and machine-read output;
 * "AH_EUNKNOWN" for a code it does not know. Static, never NULL. */
AH_EXTERN const char *ah_errname(int err);

/* Session options: a builder whose setters copy what they are given. */
AH_EXTERN ah_session_opts *ah_session_opts_new(void);
AH_EXTERN void ah_session_opts_free(ah_session_opts *o);
/* Requests at once: in total (default 100) and to one origin, scheme,
 * host and port (default 0: no limit); beyond them requests wait in the
 * session's queue, their timeouts not running. */
AH_EXTERN int ah_session_opts_set_max_connections(ah_session_opts *o,
                                                  long total, long per_host);
/* Largest body kept or delivered, after decompression (default 64 MiB). */
AH_EXTERN int ah_session_opts_set_max_body(ah_session_opts *o, size_t bytes);
/* Largest response header block (default 256 KiB). */
AH_EXTERN int ah_session_opts_set_max_header(ah_session_opts *o, size_t bytes);
/* Redirects followed before AH_EREDIRECTS (default 10; 0 follows none). */
AH_EXTERN int ah_session_opts_set_max_redirects(ah_session_opts *o, long n);
/* Default total, connect and idle timeouts of each request, in ms
 * (300000, 30000 and 0; 0: none; -1 leaves that one as it is, where a
 * request's -1 means the session's). The same shape as
 * ah_request_opts_set_timeouts. */
AH_EXTERN int ah_session_opts_set_timeouts(ah_session_opts *o, long total_ms,
                                           long connect_ms, long idle_ms);
/* User-Agent sent with every request (default "ahttp/VERSION"). */
AH_EXTERN int ah_session_opts_set_user_agent(ah_session_opts *o,
                                             const char *ua);

/* HTTP version policy (default AH_HTTP_DEFAULT); HTTP/2 multiplexes. */
AH_EXTERN int ah_session_opts_set_http_version(ah_session_opts *o,
                                               ah_http_version version);
/* Trusted CA certificates: a PEM bundle file and/or a hashed directory. */
AH_EXTERN int ah_session_opts_set_ca(ah_session_opts *o, const char *file,
                                     const char *dir);
/* Client certificate and private key (PEM files) for mutual TLS. */
AH_EXTERN int ah_session_opts_set_client_cert(ah_session_opts *o,
                                              const char *cert,
                                              const char *key);
/* Turn off TLS certificate and host name verification (default: on). */
AH_EXTERN int ah_session_opts_set_tls_insecure_no_verify(ah_session_opts *o,
                                                         int on);

/* A header sent with every request (a request's own header of the same
 * name replaces it). */
AH_EXTERN int ah_session_opts_add_header(ah_session_opts *o, const char *name,
                                         const char *value);
/* Base URL that relative URLs given to ah_session_fetch resolve against. */
AH_EXTERN int ah_session_opts_set_base_url(ah_session_opts *o,
                                           const char *url);
/* Longest wait in the session's queue, in ms, before AH_ETIMEDOUT (0:
 * none, the default). A request's own timeouts start when it leaves. */
AH_EXTERN int ah_session_opts_set_queue_timeout(ah_session_opts *o,
                                                long queue_ms);
/* Default proxy: "http://host:port" (https goes through CONNECT),
 * "socks5://host:port", or "socks5h://host:port" (the proxy resolves). */
AH_EXTERN int ah_session_opts_set_proxy(ah_session_opts *o, const char *url);
/* Credentials for the proxy (Proxy-Authorization, basic), never sent to
 * a server that is not the proxy; user NULL: none. */
AH_EXTERN int ah_session_opts_set_proxy_auth(ah_session_opts *o,
                                             const char *user,
                                             const char *password);
/* Hosts reached without a proxy, as curl's no_proxy: "a.com,10.0.0.0/8",
 * "*" for all; NULL: none (with trust_env, the no_proxy variable). */
AH_EXTERN int ah_session_opts_set_no_proxy(ah_session_opts *o,
                                           const char *hosts);
/* Opt in (1) to the proxy environment variables, http_proxy,
 * https_proxy, all_proxy and no_proxy, when no proxy is set (default 0). */
AH_EXTERN int ah_session_opts_set_trust_env(ah_session_opts *o, int on);
/* Accept only servers whose TLS public key matches: "sha256//BASE64" pins
 * separated by ';', or the path of a PEM or DER public key file. */
AH_EXTERN int ah_session_opts_set_pinned_key(ah_session_opts *o,
                                             const char *pins);
/* Connect to address instead of host, on port (0: any port); the URL,
 * the Host header and TLS still name host (like curl --connect-to). */
AH_EXTERN int ah_session_opts_add_host_override(ah_session_opts *o,
                                                const char *host, int port,
                                                const char *address);
/* curl's --connect-to HOST:PORT:TO_HOST:TO_PORT: requests for host (NULL:
 * any) on port (0: any) connect to to_host (NULL: the URL's host) on
 * to_port (0: the URL's port); the URL, Host and TLS still name host. */
AH_EXTERN int ah_session_opts_add_connect_to(ah_session_opts *o,
                                             const char *host, int port,
                                             const char *to_host,
                                             int to_port);
/* Default unix socket to connect to instead of the URL's host. */
AH_EXTERN int ah_session_opts_set_unix_socket(ah_session_opts *o,
                                              const char *path);
/* The session's cookie jar: on (1, the default) or off (0). */
AH_EXTERN int ah_session_opts_set_cookies(ah_session_opts *o, int on);

/* Requests per second to host (NULL: to every host without a rule of its
 * own), with bursts of up to burst; 0 per second: no limit. Applied when
 * a request is about to start, with the connection limits. */
AH_EXTERN int ah_session_opts_set_host_rate(ah_session_opts *o,
                                           const char *host,
                                           double per_second, double burst);
/* Retries: attempts in all (1, the default: none), of the outcomes in on
 * (AH_RETRY_*). A request not idempotent is retried only when nothing was
 * sent, unless it allows more (ah_request_opts_set_retries). */
AH_EXTERN int ah_session_opts_set_retries(ah_session_opts *o, int attempts,
                                          unsigned on);
/* Backoff: retry n waits a random time up to min(max_ms, base_ms *
 * 2^(n-1)) (default 100 and 10000); a longer Retry-After is honoured up
 * to max_ms, and beyond it the response is returned. */
AH_EXTERN int ah_session_opts_set_retry_backoff(ah_session_opts *o,
                                                long base_ms, long max_ms);
/* Statuses retried with AH_RETRY_STATUS (default 429, 502, 503, 504). */
AH_EXTERN int ah_session_opts_set_retry_statuses(ah_session_opts *o,
                                                 const int *codes, size_t n);
/* Retry budget: retries in the last 10 s at most ratio times the first
 * attempts plus min_per_second per second (default 0.2 and 10; a
 * negative ratio: no budget). */
AH_EXTERN int ah_session_opts_set_retry_budget(ah_session_opts *o,
                                               double ratio,
                                               long min_per_second);

/* Lifecycle hook: cb is told of every request's events (tracing,
 * metrics). Without one, nothing is spent on events. */
AH_EXTERN int ah_session_opts_on_event(ah_session_opts *o, ah_event_cb cb,
                                       void *userdata);

/* Create a session; opts may be NULL and may be freed afterwards. */
AH_EXTERN ah_session *ah_session_new(const ah_session_opts *opts);
/* Cancel every pending future (AH_ECANCELED) and release the session. */
AH_EXTERN void ah_session_free(ah_session *s);
/* The epoll fd: readable whenever the session has work, timers included. */
AH_EXTERN int ah_session_fd(const ah_session *s);
/* Wait up to timeout_ms (-1: forever) and process what is ready, once. */
AH_EXTERN int ah_session_run(ah_session *s, long timeout_ms);
/* Make a blocked wait on s return AH_EINTR; safe from any thread. */
AH_EXTERN int ah_session_wakeup(ah_session *s);
/* Add the cookies of a Netscape cookie file to the session's jar. */
AH_EXTERN int ah_session_cookies_load(ah_session *s, const char *path);
/* Write the session's cookies to a Netscape cookie file. */
AH_EXTERN int ah_session_cookies_save(ah_session *s, const char *path);
/* *out = a copy of the jar's cookies that would go to host (NULL: all). */
AH_EXTERN int ah_session_cookies_list(ah_session *s, const char *host,
                                      ah_cookies **out);
/* Remove from the jar the cookies that would go to host (NULL: all). */
AH_EXTERN int ah_session_cookies_clear(ah_session *s, const char *host);
/* The number of cookies in a list from ah_session_cookies_list. */
AH_EXTERN size_t ah_cookies_count(const ah_cookies *c);
/* Cookie i's name (NULL past the end); valid until ah_cookies_free. */
AH_EXTERN const char *ah_cookies_name(const ah_cookies *c, size_t i);
/* Cookie i's value (NULL past the end); valid until ah_cookies_free. */
AH_EXTERN const char *ah_cookies_value(const ah_cookies *c, size_t i);
/* Cookie i's domain, no leading dot (NULL past the end). */
AH_EXTERN const char *ah_cookies_domain(const ah_cookies *c, size_t i);
/* Cookie i's path (NULL past the end). */
AH_EXTERN const char *ah_cookies_path(const ah_cookies *c, size_t i);
/* Cookie i's expiry in Unix seconds, 0 at the session's end, -1 past the end. */
AH_EXTERN long long ah_cookies_expires(const ah_cookies *c, size_t i);
/* Cookie i's AH_COOKIE_* bits, -1 past the end. */
AH_EXTERN int ah_cookies_flags(const ah_cookies *c, size_t i);
/* Release a cookie list; NULL does nothing. */
AH_EXTERN void ah_cookies_free(ah_cookies *c);

/* Request options: a builder; a future keeps what it needs of it. */
AH_EXTERN ah_request_opts *ah_request_opts_new(void);
AH_EXTERN void ah_request_opts_free(ah_request_opts *o);
/* HTTP method, any token (default GET). */
AH_EXTERN int ah_request_opts_set_method(ah_request_opts *o,
                                         const char *method);
/* Add a request header; value NULL removes a header libcurl would send. */
AH_EXTERN int ah_request_opts_add_header(ah_request_opts *o, const char *name,
                                         const char *value);
/* Add a sensitive header: as add_header, and never sent to another host
 * when the request is redirected (as Authorization and Cookie). */
AH_EXTERN int ah_request_opts_add_sensitive_header(ah_request_opts *o,
                                                   const char *name,
                                                   const char *value);
/* Request body, copied. */
AH_EXTERN int ah_request_opts_set_body(ah_request_opts *o, const void *data,
                                       size_t len);
/* Total timeout of this request in ms (0: none, -1: session default). */
AH_EXTERN int ah_request_opts_set_timeout(ah_request_opts *o, long total_ms);
/* Total, connect and idle timeouts in ms (0: none, -1: session default). */
AH_EXTERN int ah_request_opts_set_timeouts(ah_request_opts *o, long total_ms,
                                           long connect_ms, long idle_ms);
/* Append a query parameter, percent-encoded. */
AH_EXTERN int ah_request_opts_add_query(ah_request_opts *o, const char *key,
                                        const char *value);
/* JSON text as the body, with Content-Type: application/json. */
AH_EXTERN int ah_request_opts_set_json(ah_request_opts *o, const char *json);
/* Body from a callback; len -1 when unknown (then sent chunked). */
AH_EXTERN int ah_request_opts_set_body_reader(ah_request_opts *o,
                                              ah_read_cb cb, void *userdata,
                                              long long len);
/* How to start the reader's body over (same userdata): without it a body
 * from a reader is never sent twice (no retry after it was read). */
AH_EXTERN int ah_request_opts_set_body_rewind(ah_request_opts *o,
                                              ah_rewind_cb cb);
/* A multipart/form-data text field. */
AH_EXTERN int ah_request_opts_add_form_field(ah_request_opts *o,
                                             const char *name,
                                             const char *value);
/* A multipart/form-data part from memory (len bytes, copied, NULs too);
 * filename and content_type may be NULL. */
AH_EXTERN int ah_request_opts_add_form_data(ah_request_opts *o,
                                            const char *name,
                                            const void *data, size_t len,
                                            const char *filename,
                                            const char *content_type);
/* Append name=value to an application/x-www-form-urlencoded body. */
AH_EXTERN int ah_request_opts_add_urlencoded(ah_request_opts *o,
                                             const char *name,
                                             const char *value);
/* A cookie for this request alone: not stored, kept to its origin. */
AH_EXTERN int ah_request_opts_add_cookie(ah_request_opts *o, const char *name,
                                         const char *value);
/* A multipart/form-data file part read from path when the request starts. */
AH_EXTERN int ah_request_opts_add_form_file(ah_request_opts *o,
                                            const char *name,
                                            const char *path,
                                            const char *filename,
                                            const char *content_type);
/* Redirects followed (-1: session default, 0: none, followed or not). */
AH_EXTERN int ah_request_opts_set_redirects(ah_request_opts *o, long max);
/* HTTP basic authentication; never sent to another host on redirect. */
AH_EXTERN int ah_request_opts_set_basic_auth(ah_request_opts *o,
                                             const char *user,
                                             const char *password);
/* HTTP digest authentication (RFC 7616), answering the server's
 * challenge; never sent to another host on redirect. */
AH_EXTERN int ah_request_opts_set_digest_auth(ah_request_opts *o,
                                              const char *user,
                                              const char *password);
/* Authorization: Bearer token; never sent to another host on redirect. */
AH_EXTERN int ah_request_opts_set_bearer_token(ah_request_opts *o,
                                               const char *token);
/* Proxy for this request, as ah_session_opts_set_proxy ("" for none,
 * overriding the session's). */
AH_EXTERN int ah_request_opts_set_proxy(ah_request_opts *o, const char *url);
/* Credentials for this request's proxy, overriding the session's
 * (user NULL: the session's); never sent to a server not the proxy. */
AH_EXTERN int ah_request_opts_set_proxy_auth(ah_request_opts *o,
                                             const char *user,
                                             const char *password);
/* Trusted CA for this request: file and/or dir, each replacing the
 * session's (NULL: the session's). */
AH_EXTERN int ah_request_opts_set_ca(ah_request_opts *o, const char *file,
                                     const char *dir);
/* Client certificate and key for this request (cert NULL: the
 * session's; key NULL: in the cert file). */
AH_EXTERN int ah_request_opts_set_client_cert(ah_request_opts *o,
                                              const char *cert,
                                              const char *key);
/* Verification off (1) or on (0) for this request; -1: the session's. */
AH_EXTERN int ah_request_opts_set_tls_insecure_no_verify(ah_request_opts *o,
                                                         int on);
/* Pins for this request, as ah_session_opts_set_pinned_key (NULL: the
 * session's, "": none). */
AH_EXTERN int ah_request_opts_set_pinned_key(ah_request_opts *o,
                                             const char *pins);
/* Connect to this unix socket instead of the URL's host. */
AH_EXTERN int ah_request_opts_set_unix_socket(ah_request_opts *o,
                                             const char *path);
/* Attempts for this request (-1: the session's), and with unsafe set,
 * retries of a request that is not idempotent (POST, PATCH) too. */
AH_EXTERN int ah_request_opts_set_retries(ah_request_opts *o, int attempts,
                                          int unsafe);
/* Decode a compressed body (on, the default) or receive it as sent
 * (0): the Content-Encoding header then says how it is encoded. */
AH_EXTERN int ah_request_opts_set_decompress(ah_request_opts *o, int on);
/* Receive the body through cb instead of keeping it. */
AH_EXTERN int ah_request_opts_on_data(ah_request_opts *o, ah_data_cb cb,
                                      void *userdata);
/* Be told of the final response's status and headers before its body. */
AH_EXTERN int ah_request_opts_on_headers(ah_request_opts *o, ah_headers_cb cb,
                                         void *userdata);
/* Be told of progress, at least once a second while the request runs. */
AH_EXTERN int ah_request_opts_on_progress(ah_request_opts *o,
                                          ah_progress_cb cb, void *userdata);

/* Start a request and return its future at once; NULL only without memory. */
AH_EXTERN ah_future *ah_session_fetch(ah_session *s, const char *url,
                                      const ah_request_opts *opts);

/* Run the reactor until f is done or timeout_ms (-1: forever) passes. */
AH_EXTERN int ah_future_wait(ah_future *f, long timeout_ms);
/* Run the reactor until all n futures are done or timeout_ms passes. */
AH_EXTERN int ah_gather(ah_future *const *fs, size_t n, long timeout_ms);
/* The first done future of fs, waiting up to timeout_ms; NULL on timeout
 * or any other failure (ah_wait_first says which). */
AH_EXTERN ah_future *ah_wait_any(ah_future *const *fs, size_t n,
                                 long timeout_ms);
/* As ah_wait_any, with the outcome as a code: AH_OK and *first the done
 * future, or AH_ETIMEDOUT, AH_EINTR, AH_EBUSY, AH_EINVAL, AH_ENOMEM,
 * AH_EIO. */
AH_EXTERN int ah_wait_first(ah_future *const *fs, size_t n, long timeout_ms,
                            ah_future **first);
/* 1 when f has completed (success, error or canceled), else 0. */
AH_EXTERN int ah_future_done(const ah_future *f);
/* AH_OK, an AH_E* code, or AH_EPENDING. */
AH_EXTERN int ah_future_error(const ah_future *f);
/* A sentence describing the outcome; owned by the future. */
AH_EXTERN const char *ah_future_errmsg(const ah_future *f);
/* The libcurl code (CURLcode) of the transfer whose failure f reports,
 * or 0: success, pending, or a failure ahttp decided itself (cancel,
 * queue timeout, a redirect or header refused...). libcurl's codes keep
 * their numbers across releases: they tell apart what one AH_E* code
 * groups (AH_ETLS: 60 the peer unverified, 58 the client certificate,
 * 90 the pinned key). */
AH_EXTERN int ah_future_curl_code(const ah_future *f);
/* The response when f succeeded, else NULL; owned by the future. */
AH_EXTERN const ah_response *ah_future_response(const ah_future *f);
/* Cancel a pending future: it completes with AH_ECANCELED. */
AH_EXTERN int ah_future_cancel(ah_future *f);
/* Release f; a pending future is canceled first. NULL is ignored. */
AH_EXTERN void ah_future_free(ah_future *f);
/* Set the completion callback; runs at once if f is already done. */
AH_EXTERN int ah_future_on_done(ah_future *f, ah_done_cb cb, void *userdata);
/* The session a future belongs to, NULL once done or the session freed. */
AH_EXTERN ah_session *ah_future_session(const ah_future *f);

/* A session on a thread of its own (opts may be NULL); NULL on failure. */
AH_EXTERN ah_loop *ah_loop_new(const ah_session_opts *opts);
/* From any thread: start a fetch on the loop's thread and return its
 * future at once; cb (may be NULL) runs on the loop's thread. */
AH_EXTERN ah_future *ah_loop_fetch(ah_loop *l, const char *url,
                                   const ah_request_opts *opts, ah_done_cb cb,
                                   void *userdata);
/* Stop the loop: pending futures complete with AH_ECANCELED; they stay
 * valid until freed. */
AH_EXTERN void ah_loop_free(ah_loop *l);

/* WebSocket. AH_OK when the libcurl this process runs can open
 * WebSockets (8.11 or newer, built with them), else AH_ENOTSUP with *why
 * (if why) a static sentence naming what is missing. */
AH_EXTERN int ah_ws_check(const char **why);
/* Open a WebSocket (ws:// or wss://) on s; *ws gets its handle, NULL
 * when the returned future failed at once. The future completes when the
 * handshake is done. opts (may be NULL): its headers and timeouts. */
AH_EXTERN ah_future *ah_ws_connect(ah_session *s, const char *url,
                                   const ah_request_opts *opts, ah_ws **ws);
/* Largest frame and message received (default 4 MiB each; 0 leaves one
 * as it is); a larger one ends ws with AH_ETOOLARGE. */
AH_EXTERN int ah_ws_set_limits(ah_ws *ws, size_t max_frame,
                               size_t max_message);
/* The next whole message; read it with ah_ws_message. */
AH_EXTERN ah_future *ah_ws_recv(ah_ws *ws);
/* A received message: its ah_ws_type, its bytes in *data (NUL-terminated,
 * owned by f) and *len; an AH_E* code when f is no received message. */
AH_EXTERN int ah_ws_message(const ah_future *f, const char **data,
                            size_t *len);
/* Send one message (data copied); completes when libcurl took it all. */
AH_EXTERN ah_future *ah_ws_send(ah_ws *ws, ah_ws_type type, const void *data,
                                size_t len);
/* Send a ping (up to 125 bytes); completes when the pong arrives. */
AH_EXTERN ah_future *ah_ws_ping(ah_ws *ws, const void *data, size_t len);
/* Start the close handshake; completes when the peer's close arrived. */
AH_EXTERN ah_future *ah_ws_close(ah_ws *ws, int code, const char *reason);
/* The close code the peer sent (1005: none in its frame), 0 before its
 * close; *reason (if reason) its reason, owned by ws. */
AH_EXTERN int ah_ws_close_code(const ah_ws *ws, const char **reason);
/* Release ws: pending futures complete with AH_ECANCELED and the
 * connection closes at once. NULL is ignored. */
AH_EXTERN void ah_ws_free(ah_ws *ws);

/* HTTP status code of the final response. */
AH_EXTERN int ah_response_status(const ah_response *r);
/* The whole body, NUL-terminated; *len gets its size when len is not NULL. */
AH_EXTERN const char *ah_response_body(const ah_response *r, size_t *len);
/* Value of the first header with that name (any case), NULL if absent. */
AH_EXTERN const char *ah_response_header(const ah_response *r,
                                         const char *name);
/* Number of headers of the final response. */
AH_EXTERN size_t ah_response_header_count(const ah_response *r);
/* Header i (0-based) of the final response, in arrival order. */
AH_EXTERN int ah_response_header_at(const ah_response *r, size_t i,
                                    const char **name, const char **value);
/* Reason phrase of the final response's status line ("OK"); "" when it
 * has none, as over HTTP/2. */
AH_EXTERN const char *ah_response_reason(const ah_response *r);
/* Value of the first trailer with that name (any case), NULL if absent. */
AH_EXTERN const char *ah_response_trailer(const ah_response *r,
                                          const char *name);
/* Number of trailers (fields after the body) of the final response. */
AH_EXTERN size_t ah_response_trailer_count(const ah_response *r);
/* Trailer i (0-based) of the final response, in arrival order. */
AH_EXTERN int ah_response_trailer_at(const ah_response *r, size_t i,
                                     const char **name, const char **value);
/* URL of the final response after redirects, without credentials. */
AH_EXTERN const char *ah_response_url(const ah_response *r);
/* A mark of the response's timeline in microseconds (ah_time), or -1. */
AH_EXTERN long long ah_response_time_us(const ah_response *r, ah_time which);
/* Number of redirects followed to reach this response. */
AH_EXTERN int ah_response_redirects(const ah_response *r);
/* The i-th redirect of the journey (0: the first, i < ah_response_redirects):
 * its status and the URL that answered it, credentials removed. AH_OK or
 * AH_EINVAL. */
AH_EXTERN int ah_response_history_at(const ah_response *r, size_t i,
                                     int *status, const char **url);
/* Attempts it took to get this response (1 without a retry). */
AH_EXTERN int ah_response_attempts(const ah_response *r);
/* HTTP version of the response: 10, 11, 20 or 30. */
AH_EXTERN int ah_response_http_version(const ah_response *r);
/* Address of the server (its port in *port), "" over a unix socket. */
AH_EXTERN const char *ah_response_remote_addr(const ah_response *r,
                                             int *port);
/* Local address of the connection (its port in *port). */
AH_EXTERN const char *ah_response_local_addr(const ah_response *r, int *port);

#ifdef __cplusplus
}
#endif

#endif /* AHTTP_H */
