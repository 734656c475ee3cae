/* easy.c - the pooled easy handle (ah__slot): configured once with the
 * session's defaults, set for each request with only what that request
 * changes, and undone when it is returned. */
#include "easy.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "curl_bridge.h"
#include "curl_caps.h"
#include "journey.h"
#include "request.h"
#include "request_body.h"
#include "request_opts.h"
#include "response.h"
#include "rx.h"
#include "retry.h"
#include "transfer.h"
#include "url.h"

/* libcurl's receive buffer (CURLOPT_BUFFERSIZE), and what of it an HTTP/2
 * header block may fill where a larger one stalls (h2_header_stall): the
 * status line and the blank line fit beside it. */
#define AH__RECV_BUFFER 65536
#define AH__H2_HEADER_ROOM (AH__RECV_BUFFER - 512)

/* 1 when q may go over HTTP/2. */
static int may_be_h2(const struct ah__request *q, const struct ah__defaults *d)
{
  return ah__curl_caps()->http2 && d->http_version != AH_HTTP_1_1 &&
         (q->https || d->http_version == AH_HTTP_2_PRIOR_KNOWLEDGE);
}

/* Whether q reads libcurl's trace for refusals: only where it changes
 * the outcome (a request not sent twice without proof, over HTTP/2, with
 * retries of resets on), since the trace makes libcurl format every line
 * of its verbose output. */
static int watch_refusals(const struct ah__request *q, const struct ah__defaults *d)
{
  const struct ah__retrier *rt = d->rt;

  return may_be_h2(q, d) && rt != NULL && ah__retry_wanted(&rt->p, AH__OUT_REFUSED, 0) &&
         ah__request_attempts(q, rt->p.attempts) > 1 && !ah__request_resendable(q);
}

static long curl_http_version(int v)
{
  switch (v) {
  case AH_HTTP_1_1: return CURL_HTTP_VERSION_1_1;
  case AH_HTTP_2_PRIOR_KNOWLEDGE: return CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
  case AH_HTTP_2: return CURL_HTTP_VERSION_2TLS;
  default: /* AH_HTTP_DEFAULT: HTTP/2 when this libcurl has it */
    return ah__curl_caps()->http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1;
  }
}

int ah__request_supported(const struct ah__request *q, const struct ah__defaults *d,
                          const char **why)
{
  const struct ah__curl_caps *c = ah__curl_caps();

  if (q->https && !c->tls) {
    *why = "the libcurl in use was built without TLS: https cannot be fetched";
    return AH_ENOTSUP;
  }
  if (!c->http2 && (d->http_version == AH_HTTP_2 ||
                    d->http_version == AH_HTTP_2_PRIOR_KNOWLEDGE)) {
    *why = "the libcurl in use was built without HTTP/2";
    return AH_ENOTSUP;
  }
  return AH_OK;
}

#define SET(opt, val) \
  do { if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val); } while (0)

/* A multipart body from the spec's parts, on the slot's handle. */
static int build_form(struct ah__slot *slot, const struct ah__reqspec *sp,
                      const char **why)
{
  const struct ah__form *p;
  curl_mime *m = curl_mime_init(slot->easy);
  CURLcode rc = CURLE_OK;

  if (m == NULL)
    return AH_ENOMEM;
  slot->mime = m;
  for (p = sp->form; p && rc == CURLE_OK; p = p->next) {
    curl_mimepart *part = curl_mime_addpart(m);
    if (part == NULL)
      return AH_ENOMEM;
    rc = curl_mime_name(part, p->name);
    if (rc == CURLE_OK && p->is_file) {
      FILE *fp = fopen(p->value, "rb"); /* refuse a missing file now */
      if (fp == NULL) {
        *why = "a form file cannot be read";
        return AH_EINVAL;
      }
      fclose(fp);
      rc = curl_mime_filedata(part, p->value);
      if (rc == CURLE_OK && p->filename)
        rc = curl_mime_filename(part, p->filename);
    } else if (rc == CURLE_OK) {
      /* Bytes from memory, NULs and all; libcurl copies them, and reads
       * its copy again for each hop and attempt. */
      rc = curl_mime_data(part, p->value, p->value_len);
      if (rc == CURLE_OK && p->filename)
        rc = curl_mime_filename(part, p->filename);
    }
    if (rc == CURLE_OK && p->type)
      rc = curl_mime_type(part, p->type);
  }
  if (rc == CURLE_OK)
    rc = curl_easy_setopt(slot->easy, CURLOPT_MIMEPOST, m);
  return rc == CURLE_OK ? AH_OK : AH_ENOMEM;
}

static CURLcode set_method(struct ah__slot *slot, const struct ah__reqspec *sp)
{
  const char *m = sp->method;
  CURL *e = slot->easy;
  CURLcode rc = CURLE_OK;
  int body = ah__reqspec_has_body(sp);

  if (m != NULL && strcmp(m, "HEAD") == 0) {
    SET(CURLOPT_NOBODY, 1L);
  } else if (sp->form != NULL) {
    /* set by build_form */
  } else if (sp->reader != NULL) {
    /* Unknown length: chunked over HTTP/1.1. */
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)sp->reader_len);
  } else if (sp->has_body || (m != NULL && strcmp(m, "POST") == 0)) {
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)sp->body_len);
    SET(CURLOPT_POSTFIELDS, sp->body ? sp->body : "");
  }
  /* GET with a body needs the method named, or libcurl sends POST. */
  if (m != NULL && strcmp(m, "HEAD") != 0 && strcmp(m, "POST") != 0 &&
      (strcmp(m, "GET") != 0 || body))
    SET(CURLOPT_CUSTOMREQUEST, m);
  return rc;
}

/* The name of a header line ("Name: v", "Name:" or "Name;"): its length. */
static size_t header_name_len(const char *line)
{
  return strcspn(line, ":;");
}

static int has_header(const struct curl_slist *l, const char *line)
{
  size_t n = header_name_len(line);

  for (; l; l = l->next)
    if (header_name_len(l->data) == n && strncasecmp(l->data, line, n) == 0)
      return 1;
  return 0;
}

static int named(const char *const *names, const char *line)
{
  size_t n = header_name_len(line);

  for (; *names; names++)
    if (strlen(*names) == n && strncasecmp(*names, line, n) == 0)
      return 1;
  return 0;
}

/* The session's lines a request did not name itself, then the request's:
 * a request's header replaces the session's of the same name, and so do
 * its credentials (own_auth) the session's Authorization. */
static struct curl_slist *merge_headers(const struct curl_slist *session,
                                        const struct curl_slist *request,
                                        int own_auth)
{
  static const char *const auth[] = {"Authorization", NULL};
  struct curl_slist *l = NULL, *n;
  const struct curl_slist *h;

  for (h = session; h; h = h->next) {
    if (has_header(request, h->data) || (own_auth && named(auth, h->data)))
      continue;
    if ((n = curl_slist_append(l, h->data)) == NULL)
      goto nomem;
    l = n;
  }
  for (h = request; h; h = h->next) {
    if ((n = curl_slist_append(l, h->data)) == NULL)
      goto nomem;
    l = n;
  }
  return l;
nomem:
  curl_slist_free_all(l);
  return NULL;
}

/* A body goes as what it is. libcurl labels a raw body (memory or
 * reader) application/x-www-form-urlencoded, as curl -d does; ahttp sends
 * application/octet-stream, as aiohttp does, unless the caller named a
 * Content-Type (request or session). And libcurl asks for "100 Continue"
 * before a chunked or large body, then waits up to a second for a server
 * that never sends one: ahttp sends the body at once, unless the caller
 * set Expect. The lines a request needs, as BODY_* bits. */
enum { BODY_TYPE = 1, BODY_NO_EXPECT = 2, BODY_FORM = 4, BODY_JSON = 8 };
static int body_defaults(const struct ah__defaults *d, const struct ah__reqspec *sp)
{
  int need = 0;

  if (!ah__reqspec_has_body(sp))
    return 0;
  if (sp->form == NULL && !has_header(sp->headers, "Content-Type") &&
      !has_header(d->headers, "Content-Type"))
    need |= sp->urlencoded ? BODY_FORM : sp->json ? BODY_JSON : BODY_TYPE;
  if (!has_header(sp->headers, "Expect") && !has_header(d->headers, "Expect"))
    need |= BODY_NO_EXPECT;
  return need;
}

static int add_body_defaults(struct curl_slist **l, int need)
{
  static const char *const lines[] = { /* by bit: BODY_TYPE, ... */
      "Content-Type: application/octet-stream", "Expect:",
      "Content-Type: application/x-www-form-urlencoded", "Content-Type: application/json"};
  struct curl_slist *n;
  int i;

  for (i = 0; i < 4; i++)
    if ((need & 1 << i) && (n = curl_slist_append(*l, lines[i])) != NULL)
      *l = n, need &= ~(1 << i);
  return need == 0 ? AH_OK : AH_ENOMEM;
}

/* Idle: no byte for the idle time, header lines and 1xx responses
 * counted (libcurl's low-speed limit counts body bytes only, and in whole
 * seconds). ahttp keeps the time itself (on_progress), and asks libcurl
 * only for its low-speed check's tick: a limit it never reaches in time
 * (a year) keeps the progress callback coming once a second while
 * nothing moves. 0: none. */
static CURLcode set_idle(CURL *e, long idle_ms)
{
  CURLcode rc = curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, idle_ms > 0 ? 1L : 0L);

  if (rc == CURLE_OK)
    rc = curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, idle_ms > 0 ? 365L * 86400 : 0L);
  if (rc == CURLE_OK)
    rc = curl_easy_setopt(e, CURLOPT_NOPROGRESS, idle_ms > 0 ? 0L : 1L);
  return rc;
}

/* The session's proxy as libcurl is told it: "" for none, so that
 * libcurl reads no environment variable, as in aiohttp by default: a
 * library should not change where a service's requests go behind its
 * back (and this spares libcurl's per-request getenv() probing). With
 * trust_env and no proxy of the session's, NULL: libcurl picks one from
 * http_proxy, https_proxy/HTTPS_PROXY, all_proxy/ALL_PROXY per request. */
static const char *session_proxy(const struct ah__defaults *d)
{
  if (d->proxy != NULL)
    return d->proxy;
  return d->trust_env ? NULL : "";
}

/* The hosts reached without a proxy: the session's list, else with
 * trust_env NULL (libcurl reads no_proxy/NO_PROXY), else "" (none). */
static const char *session_no_proxy(const struct ah__defaults *d)
{
  if (d->no_proxy != NULL)
    return d->no_proxy;
  return d->trust_env ? NULL : "";
}

static int differ(const char *a, const char *b)
{
  return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

/* The TLS settings of the session's, as the slot was made with them. */
static CURLcode tls_restore(struct ah__slot *slot)
{
  const struct ah__defaults *d = slot->d;
  CURL *e = slot->easy;
  CURLcode rc = CURLE_OK;

  SET(CURLOPT_CAINFO, d->ca_file ? d->ca_file : slot->ca_file_builtin);
  SET(CURLOPT_CAPATH, d->ca_dir ? d->ca_dir : slot->ca_dir_builtin);
  SET(CURLOPT_SSLCERT, d->cert);
  SET(CURLOPT_SSLKEY, d->key);
  SET(CURLOPT_SSL_VERIFYPEER, d->insecure ? 0L : 1L);
  SET(CURLOPT_SSL_VERIFYHOST, d->insecure ? 0L : 2L);
  SET(CURLOPT_PINNEDPUBLICKEY, d->pinned_key);
  SET(CURLOPT_SSL_SESSIONID_CACHE, 1L);
  return rc;
}

/* A request's own TLS settings (sp->tls). libcurl gives a request only a
 * connection (or a TLS session to resume) made with the same CA file and
 * directory, client certificate, verification and pins, on every release
 * ahttp supports; before 8.21 not the same client key, and pins compared
 * without case: there a request whose key or pins differ from the
 * session's gets a connection of its own, never kept, and no TLS session
 * resumed. */
static CURLcode tls_override(struct ah__slot *slot, const struct ah__reqspec *sp)
{
  const struct ah__defaults *d = slot->d;
  CURL *e = slot->easy;
  CURLcode rc = CURLE_OK;
  const char *key = sp->cert ? sp->key : d->key;
  const char *pins = sp->pinned_key ? (*sp->pinned_key ? sp->pinned_key : NULL)
                                    : d->pinned_key;

  slot->dirty |= DIRTY_TLS;
  if (sp->ca_file)
    SET(CURLOPT_CAINFO, sp->ca_file);
  if (sp->ca_dir)
    SET(CURLOPT_CAPATH, sp->ca_dir);
  if (sp->cert) {
    SET(CURLOPT_SSLCERT, sp->cert);
    SET(CURLOPT_SSLKEY, sp->key);
  }
  if (sp->insecure >= 0) {
    SET(CURLOPT_SSL_VERIFYPEER, sp->insecure ? 0L : 1L);
    SET(CURLOPT_SSL_VERIFYHOST, sp->insecure ? 0L : 2L);
  }
  if (sp->pinned_key)
    SET(CURLOPT_PINNEDPUBLICKEY, pins);
  if (ah__curl_caps()->tls_reuse_partial &&
      (differ(key, d->key) || differ(pins, d->pinned_key))) {
    slot->dirty |= DIRTY_FRESH;
    SET(CURLOPT_FRESH_CONNECT, 1L);
    SET(CURLOPT_FORBID_REUSE, 1L);
    SET(CURLOPT_SSL_SESSIONID_CACHE, 0L);
  }
  return rc;
}

/* The session's TLS settings and connect-to rules on e (a pooled
 * handle, or a WebSocket's). */
CURLcode ah__easy_session_tls(CURL *e, const struct ah__defaults *d)
{
  CURLcode rc = CURLE_OK;

  if (d->ca_file)
    SET(CURLOPT_CAINFO, d->ca_file);
  if (d->ca_dir)
    SET(CURLOPT_CAPATH, d->ca_dir);
  if (d->cert)
    SET(CURLOPT_SSLCERT, d->cert);
  if (d->key)
    SET(CURLOPT_SSLKEY, d->key);
  if (d->insecure) {
    SET(CURLOPT_SSL_VERIFYPEER, 0L);
    SET(CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (d->pinned_key)
    SET(CURLOPT_PINNEDPUBLICKEY, d->pinned_key);
  if (d->connect_to)
    SET(CURLOPT_CONNECT_TO, d->connect_to);
  return rc;
}

struct ah__slot *ah__slot_new(const struct ah__defaults *d)
{
  /* On a cache line of its own: its hot fields in two lines, not three. */
  void *mem = ah__calloc(1, sizeof(struct ah__slot) + 63);
  struct ah__slot *slot = (void *)(((uintptr_t)mem + 63) & ~(uintptr_t)63);
  CURLcode rc = CURLE_OK;
  CURL *e;

  if (mem == NULL)
    return NULL;
  slot->mem = mem;
  if ((slot->rx = ah__rx_new(d->max_body, d->max_header,
                             d->max_redirects > 0 ? AH__FOLLOW_ALL : 0)) == NULL ||
      (e = slot->easy = curl_easy_init()) == NULL) {
    ah__rx_free(slot->rx);
    ah__free(mem);
    return NULL;
  }
  slot->d = d;
  SET(CURLOPT_PRIVATE, slot);
  SET(CURLOPT_ERRORBUFFER, slot->errbuf);
  SET(CURLOPT_NOSIGNAL, 1L);
  /* A request still resolving its host name is let go at once (canceled,
   * timed out, its session freed): without this libcurl joins the
   * resolver thread, and a cancel waited for getaddrinfo (3 s for a slow
   * resolver). The thread finishes on its own and frees what it has. */
  SET(CURLOPT_QUICK_EXIT, 1L);
  /* Naming a protocol this libcurl lacks fails the option: no https
   * without TLS (ah__request_supported refuses such URLs). */
  SET(CURLOPT_PROTOCOLS_STR, ah__curl_caps()->tls ? "http,https" : "http");
  /* libcurl's following stays off (its default): each redirect is a
   * transfer of its own, decided by ahttp (ah__request_redirect). */
  /* No total or connect timeout: ahttp keeps them (queue.c), libcurl
   * only when a request's cannot be kept there (ah__request_setup). */
  if (rc == CURLE_OK)
    rc = set_idle(e, d->idle_ms);
  SET(CURLOPT_ACCEPT_ENCODING, ""); /* every decoder libcurl has */
  if (rc == CURLE_OK)
    rc = ah__transfer_hook(e, slot);
  /* A proxy's answer to CONNECT is not a response of the request: it
   * must not count as one (sent once, retries, the headers callback). */
  SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  if ((slot->bridge = d->bridge) != NULL && rc == CURLE_OK)
    rc = ah__bridge_prepare(d->bridge, e);
  /* libcurl's 16 KiB default halves the rate of 1 MiB responses under
   * multi_socket; 64 KiB measured best (bench W3: 1,244 -> 3,001 req/s,
   * 128 KiB 2,423, 256 KiB 2,101), for 3.6 MiB more peak RSS. */
  SET(CURLOPT_BUFFERSIZE, (long)AH__RECV_BUFFER);
  /* Proxy environment variables are not obeyed unless the caller opted
   * in (aiohttp's trust_env): see session_proxy. */
  SET(CURLOPT_PROXY, session_proxy(d));
  SET(CURLOPT_NOPROXY, session_no_proxy(d));
  if (d->proxy_user != NULL) {
    SET(CURLOPT_PROXYUSERNAME, d->proxy_user);
    SET(CURLOPT_PROXYPASSWORD, d->proxy_password);
  }
  if (d->unix_path)
    SET(CURLOPT_UNIX_SOCKET_PATH, d->unix_path);
  SET(CURLOPT_HTTP_VERSION, curl_http_version(d->http_version));
  /* libcurl before 8.0 breaks a cleartext HTTP/2 connection it reuses
   * with prior knowledge ("Error in the HTTP2 framing layer" on every
   * request after the first; curl issue 10634): there each such request
   * gets a connection of its own (see ah__request_setup). */
  slot->h2c_fresh = d->http_version == AH_HTTP_2_PRIOR_KNOWLEDGE &&
                    ah__curl_caps()->h2c_reuse_broken;
  /* With prior knowledge every request may share one connection: wait
   * for it rather than open another. Over TLS, per request (https). */
  if (d->http_version == AH_HTTP_2_PRIOR_KNOWLEDGE && !slot->h2c_fresh)
    SET(CURLOPT_PIPEWAIT, 1L);
  slot->multiplex_tls = d->http_version != AH_HTTP_1_1 &&
                        d->http_version != AH_HTTP_2_PRIOR_KNOWLEDGE;
  if (d->share)
    SET(CURLOPT_SHARE, d->share);
  /* The cookie engine on, reading and writing the share's jar. Not with
   * CURLOPT_COOKIEFILE "", which libcurl 7.88 and 8.5 take as a file to
   * open before every transfer (a failed fopen, its syscall and 30
   * instruction-cache misses per request): a cookie jar file name of
   * NULL turns the engine on and names no file to write (every release;
   * after the share, so that the jar is the share's). */
  if (!d->no_cookies)
    SET(CURLOPT_COOKIEJAR, NULL);
  /* What libcurl trusts when not told (static strings, read before the
   * session's CA replaces them): what a request's CA is undone to. */
  curl_easy_getinfo(e, CURLINFO_CAINFO, &slot->ca_file_builtin);
  curl_easy_getinfo(e, CURLINFO_CAPATH, &slot->ca_dir_builtin);
  if (rc == CURLE_OK)
    rc = ah__easy_session_tls(e, d);
  SET(CURLOPT_HTTPHEADER, d->headers);
  if (rc != CURLE_OK) {
    ah__slot_free(slot);
    return NULL;
  }
  return slot;
}

void ah__slot_free(struct ah__slot *slot)
{
  if (slot == NULL)
    return;
  curl_easy_cleanup(slot->easy);
  ah__url_cache_free(&slot->urls); /* the handle pointed to it: after */
  curl_mime_free(slot->mime);
  curl_slist_free_all(slot->merged);
  curl_slist_free_all(slot->stripped);
  ah__rx_free(slot->rx);
  ah__free(slot->mem);
}

int ah__slot_recycle(struct ah__slot *slot)
{
  const struct ah__defaults *d = slot->d;
  CURL *e = slot->easy;
  unsigned dirty = slot->dirty;
  int ok = 1;

  /* Setting NULL or a number allocates nothing and cannot fail; nor does
   * a string the handle held before (libcurl frees the old copy first). */
  if (dirty & (DIRTY_METHOD | DIRTY_FORM)) {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1);
    curl_easy_setopt(e, CURLOPT_NOBODY, 0L);
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  }
  if (dirty & DIRTY_FORM) {
    curl_easy_setopt(e, CURLOPT_MIMEPOST, NULL);
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    curl_mime_free(slot->mime);
    slot->mime = NULL;
  }
  if (dirty & DIRTY_HEADERS) {
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, d->headers);
    curl_slist_free_all(slot->merged);
    curl_slist_free_all(slot->stripped);
    slot->merged = slot->stripped = NULL;
  }
  if (dirty & DIRTY_TIMEOUT)
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 0L);
  if (dirty & DIRTY_CONNECT)
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 0L);
  if (dirty & DIRTY_IDLE)
    set_idle(e, d->idle_ms);
  if (dirty & DIRTY_AUTH) {
    curl_easy_setopt(e, CURLOPT_USERNAME, NULL);
    curl_easy_setopt(e, CURLOPT_PASSWORD, NULL);
    curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, NULL);
    curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
  }
  /* A string the session set allocates its copy again and can fail:
   * then the handle would keep the request's proxy, credentials or TLS
   * settings, and is not pooled (ah__slot_recycle's result). */
  if (dirty & DIRTY_PROXY) {
    ok &= curl_easy_setopt(e, CURLOPT_PROXY, session_proxy(d)) == CURLE_OK;
    ok &= curl_easy_setopt(e, CURLOPT_PROXYUSERNAME, d->proxy_user) == CURLE_OK;
    ok &= curl_easy_setopt(e, CURLOPT_PROXYPASSWORD, d->proxy_password) == CURLE_OK;
  }
  if (dirty & DIRTY_TLS)
    ok &= tls_restore(slot) == CURLE_OK;
  if (dirty & DIRTY_COOKIE)
    curl_easy_setopt(e, CURLOPT_COOKIE, NULL);
  if (dirty & DIRTY_UNIX)
    curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, d->unix_path);
  if (dirty & DIRTY_PROGRESS)
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, d->idle_ms > 0 ? 0L : 1L);
  if (dirty & DIRTY_PIPEWAIT)
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 0L);
  if (dirty & DIRTY_TRACE)
    curl_easy_setopt(e, CURLOPT_VERBOSE, 0L);
  if (dirty & DIRTY_DECODE)
    curl_easy_setopt(e, CURLOPT_HTTP_CONTENT_DECODING, 1L);
  if (dirty & DIRTY_FRESH) {
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 0L);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 0L);
  }
  if (dirty & DIRTY_URLU) {
    curl_easy_setopt(e, CURLOPT_CURLU, NULL);
    slot->uh = NULL;
  }
  /* A failed request may leave a large partial body: let it go now. */
  ah__rx_reset(slot->rx, d->max_body, d->max_header,
               d->max_redirects > 0 ? AH__FOLLOW_ALL : 0);
  slot->dirty = ok ? 0 : dirty; /* what failed is tried again */
  slot->q = NULL;
  return ok ? AH_OK : AH_ENOMEM;
}

/* The header names a hop after a redirect leaves behind: the secrets
 * when it left the original origin (and a Host the caller set, which
 * names that origin), the body's when it became a GET (as the Fetch
 * standard drops them on a redirect). */
static const char *const secret_names[] = {"Authorization", "Proxy-Authorization",
                                           "Cookie", "Host", NULL};
static const char *const body_names[] = {"Content-Type", "Content-Length",
                                         "Content-Encoding", "Content-Language",
                                         "Content-Location", "Transfer-Encoding",
                                         NULL};

/* A hop after a redirect, on top of what the request itself sets: the
 * header lines it leaves behind, and what is left of the total timeout
 * (it spans the hops of an attempt). AH_OK, AH_ETIMEDOUT or AH_ENOMEM. */
static int setup_hop(struct ah__request *q, long total, const char **why)
{
  struct ah__slot *slot = q->slot;
  const struct ah__journey *j = q->j;
  const struct curl_slist *from = slot->merged ? slot->merged : slot->d->headers, *h;
  const struct curl_slist *sensitive = q->spec ? q->spec->sensitive : NULL;
  struct curl_slist *out = NULL, *n;
  CURL *e = slot->easy;

  if (q->lib_total && total > 0 && j->spent_us > 0) {
    long left = total - (long)(j->spent_us / 1000);
    if (left <= 0) {
      *why = "the total timeout passed while following redirects";
      return AH_ETIMEDOUT;
    }
    slot->dirty |= DIRTY_TIMEOUT;
    if (curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, left) != CURLE_OK)
      return AH_ENOMEM;
  }
  if (!j->foreign && !j->get)
    return AH_OK;
  for (h = from; h; h = h->next) {
    if ((j->foreign && (named(secret_names, h->data) || has_header(sensitive, h->data))) ||
        (j->get && named(body_names, h->data)))
      continue;
    if ((n = curl_slist_append(out, h->data)) == NULL)
      goto nomem;
    out = n;
  }
  if (out == NULL && (out = curl_slist_append(NULL, ":")) == NULL)
    goto nomem; /* a line libcurl ignores: NULL would mean its defaults */
  slot->stripped = out;
  slot->dirty |= DIRTY_HEADERS;
  if (curl_easy_setopt(e, CURLOPT_HTTPHEADER, out) != CURLE_OK)
    return AH_ENOMEM;
  return AH_OK;
nomem:
  curl_slist_free_all(out);
  return AH_ENOMEM;
}

/* Override a session default with the request's value when it differs. */
#define OVERRIDE(flag, cond, opt, val) \
  do { if (cond) { slot->dirty |= (flag); SET(opt, val); } } while (0)

int ah__request_setup(struct ah__request *q, const char **why)
{
  struct ah__slot *slot = q->slot;
  const struct ah__defaults *d = slot->d;
  const struct ah__reqspec *sp = q->spec;
  CURL *e = slot->easy;
  const struct ah__journey *j = q->j;
  CURLcode rc = CURLE_OK;
  long redirects = d->max_redirects, total = ah__request_total_ms(q, d);
  int err, need, own_auth;
  unsigned follow = AH__FOLLOW_ALL;

  slot->q = q;
  slot->errbuf[0] = '\0'; /* never an earlier request's message */
  slot->errbuf_sent = 0;
  slot->idle_ns = (int64_t)d->idle_ms * 1000000; /* a request may change it */
  slot->last_ul = 0;
  if (ah__curl_caps()->os_errno_sticky)
    curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &slot->errno_before);
  slot->addr_ok = 0;
  if (d->on_event != NULL) {
    slot->ph_dns = slot->ph_connect = slot->ph_tls = 0;
    slot->ph_conns = 0;
    slot->ph_first_byte = 0;
  }
  *why = "no memory to set the request up";
  if (j != NULL || q->url != NULL) {
    slot->dirty |= DIRTY_URLU;
    slot->uh = j != NULL ? j->url : q->url;
    SET(CURLOPT_CURLU, slot->uh);
  } else {
    CURLU *u;
    unsigned long mark = ah__alloc_failures();
    CURLUcode uc = ah__url_cache_set(&slot->urls, q->url_str, q->plain_path, &u);
    if (uc != CURLUE_OK)
      return ah__url_error(uc, mark, why);
    if (u != slot->uh) {
      slot->uh = u;
      SET(CURLOPT_CURLU, u);
    }
  }
  /* libcurl 7.88 turns the CURLU into the URL string it reports with a
   * curl_url_get of about 6,000 instructions, unless the handle has a
   * string already: the one given to the fetch, when it is the whole URL.
   * Without one, the handle must hold none (7.88 keeps the string it
   * made from the last URL handle), or the response's URL and the URL in
   * an error message would be an earlier request's. */
  SET(CURLOPT_URL, q->url_str != NULL && j == NULL ? q->url_str : NULL);
  if (q->https && slot->multiplex_tls) {
    slot->dirty |= DIRTY_PIPEWAIT;
    SET(CURLOPT_PIPEWAIT, 1L);
  }
  slot->watch.sid = 0;
  slot->watch.goaway_last = -1;
  slot->watch.refused = 0;
  /* A header block libcurl would stall on ends at once, AH_ETOOLARGE
   * (the receiver is reset to the session's limit at recycle). */
  if (ah__curl_caps()->h2_header_stall && d->max_header > AH__H2_HEADER_ROOM &&
      may_be_h2(q, d))
    q->rx->max_header = AH__H2_HEADER_ROOM;
  if (watch_refusals(q, d)) {
    slot->dirty |= DIRTY_TRACE;
    SET(CURLOPT_VERBOSE, 1L);
  }
  if (q->fresh || (!q->https && slot->h2c_fresh)) {
    slot->dirty |= DIRTY_FRESH;
    SET(CURLOPT_FRESH_CONNECT, 1L);
    SET(CURLOPT_FORBID_REUSE, 1L);
  }
  /* Credentials of its own (options or URL) go instead of a session's
   * Authorization line, which libcurl would send instead, as in aiohttp. */
  own_auth = d->auth_header &&
             ((sp != NULL && (sp->user != NULL || sp->bearer != NULL)) ||
              ah__url_has_user(slot->uh));
  need = 0;
  if (sp != NULL) {
    if (sp->max_redirects >= 0)
      redirects = sp->max_redirects;
    if (sp->idle_ms >= 0 && sp->idle_ms != d->idle_ms && rc == CURLE_OK) {
      slot->dirty |= DIRTY_IDLE | DIRTY_PROGRESS;
      rc = set_idle(e, sp->idle_ms);
      slot->idle_ns = (int64_t)sp->idle_ms * 1000000;
    }
    /* A body that goes no further (a redirect made the request a GET)
     * has no defaults; one that cannot be sent again stops the redirects
     * that would need it. */
    need = j != NULL && j->get ? 0 : body_defaults(d, sp); /* 0 without a body */
    if (j == NULL || !j->get)
      follow = ah__journey_follows(sp->method, ah__reqspec_has_body(sp),
                                   sp->reader == NULL || sp->rewind != NULL);
    if ((sp->user != NULL || sp->bearer != NULL) && (j == NULL || !j->foreign)) {
      slot->dirty |= DIRTY_AUTH;
      if (sp->bearer != NULL) {
        SET(CURLOPT_XOAUTH2_BEARER, sp->bearer);
        SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
      } else {
        SET(CURLOPT_USERNAME, sp->user);
        SET(CURLOPT_PASSWORD, sp->password);
        SET(CURLOPT_HTTPAUTH, sp->digest ? (long)CURLAUTH_DIGEST
                                         : (long)CURLAUTH_BASIC);
      }
    }
    /* The caller's cookies: libcurl puts them in one Cookie header with
     * the jar's, and never into the jar. A secret of the original
     * origin (SPEC 4b): a hop that left it goes without them. */
    OVERRIDE(DIRTY_COOKIE, sp->cookies != NULL && (j == NULL || !j->foreign),
             CURLOPT_COOKIE, sp->cookies);
    OVERRIDE(DIRTY_PROXY, sp->proxy != NULL, CURLOPT_PROXY, sp->proxy);
    if (sp->proxy_user != NULL) {
      slot->dirty |= DIRTY_PROXY;
      SET(CURLOPT_PROXYUSERNAME, sp->proxy_user);
      SET(CURLOPT_PROXYPASSWORD, sp->proxy_password);
    }
    if (sp->tls && rc == CURLE_OK)
      rc = tls_override(slot, sp);
    OVERRIDE(DIRTY_UNIX, sp->unix_path != NULL, CURLOPT_UNIX_SOCKET_PATH,
             sp->unix_path);
    OVERRIDE(DIRTY_PROGRESS, sp->on_progress.fn != NULL, CURLOPT_NOPROGRESS, 0L);
    /* The body as sent: libcurl decodes nothing, the body limit counts
     * the bytes received, and Accept-Encoding stays the session's (what
     * this libcurl decodes; the caller may set or remove it). */
    OVERRIDE(DIRTY_DECODE, sp->raw, CURLOPT_HTTP_CONTENT_DECODING, 0L);
    if (j != NULL && j->get) {
      /* the handle's default: GET, no body */
    } else {
      if (sp->form != NULL && rc == CURLE_OK) {
        slot->dirty |= DIRTY_FORM;
        if ((err = build_form(slot, sp, why)) != AH_OK)
          return err;
      }
      if (sp->method != NULL || sp->has_body || sp->reader != NULL) {
        slot->dirty |= DIRTY_METHOD;
        if (rc == CURLE_OK)
          rc = set_method(slot, sp);
      }
    }
  }
  if ((sp != NULL && sp->headers != NULL) || need != 0 || own_auth) {
    slot->dirty |= DIRTY_HEADERS;
    if ((slot->merged = merge_headers(d->headers, sp ? sp->headers : NULL,
                                      own_auth)) == NULL ||
        add_body_defaults(&slot->merged, need) != AH_OK)
      return AH_ENOMEM;
    SET(CURLOPT_HTTPHEADER, slot->merged);
  }
  /* The timeouts ahttp could not keep (queue.c): libcurl's, then. */
  OVERRIDE(DIRTY_TIMEOUT, q->lib_total, CURLOPT_TIMEOUT_MS, total);
  OVERRIDE(DIRTY_CONNECT, q->lib_connect, CURLOPT_CONNECTTIMEOUT_MS,
           ah__request_connect_ms(q, d));
  if (j != NULL && rc == CURLE_OK && (err = setup_hop(q, total, why)) != AH_OK)
    return err;
  /* The receiver was reset when the slot was made or last recycled. */
  q->rx->follow = (uint8_t)(redirects > 0 ? follow : 0);
  return rc == CURLE_OK ? AH_OK : AH_ENOMEM;
}
#undef OVERRIDE
#undef SET

int ah__pool_init(struct ah__slot_pool *p, const struct ah__defaults *d)
{
  p->d = d;
  p->n = 0;
  p->slots = ah__reallocarray(NULL, AH__POOL_MAX, sizeof *p->slots);
  return p->slots != NULL ? 0 : -1;
}

struct ah__slot *ah__pool_get(struct ah__slot_pool *p)
{
  if (p->n > 0)
    return p->slots[--p->n];
  return ah__slot_new(p->d);
}

void ah__pool_put(struct ah__slot_pool *p, struct ah__slot *slot)
{
  if (p->n < AH__POOL_MAX && ah__slot_recycle(slot) == AH_OK)
    p->slots[p->n++] = slot;
  else
    ah__slot_free(slot);
}

void ah__pool_close(struct ah__slot_pool *p)
{
  while (p->n > 0)
    ah__slot_free(p->slots[--p->n]);
  ah__free(p->slots);
  p->slots = NULL;
}
