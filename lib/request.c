/* request.c - one request's policy and verdict: what may be sent again,
 * the URL it goes to, the outcome of a finished transfer, and the next
 * hop of a redirect. Its transfer runs on a pooled easy handle (easy.c)
 * whose libcurl callbacks are transfer.c's. */
#include "request.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alloc.h"
#include "cookies.h"
#include "curl_caps.h"
#include "easy.h"
#include "error.h"
#include "event.h"
#include "future.h"
#include "journey.h"
#include "reactor.h"
#include "refusal.h"
#include "request_body.h"
#include "request_opts.h"
#include "response.h"
#include "rx.h"
#include "url.h"

int ah__request_attempts(const struct ah__request *q, int session_attempts)
{
  return q->spec != NULL && q->spec->retries > 0 ? q->spec->retries
                                                  : session_attempts;
}

/* RFC 9110 section 9.2.2: sending these twice does what sending them
 * once does. */
static int idempotent(const char *m)
{
  static const char *const methods[] = {"GET", "HEAD", "OPTIONS", "TRACE",
                                        "PUT", "DELETE"};
  size_t i;

  for (i = 0; i < sizeof methods / sizeof *methods; i++)
    if (strcmp(m, methods[i]) == 0)
      return 1;
  return 0;
}

int ah__request_replayable(const struct ah__request *q)
{
  const struct ah__reqspec *sp = q->spec;

  return sp == NULL || sp->reader == NULL || sp->rewind != NULL ||
         !q->body_dirty || (q->j != NULL && q->j->get);
}

int ah__request_rewind(struct ah__request *q, const char **why)
{
  const struct ah__reqspec *sp = q->spec;
  int rc;

  if (sp == NULL || sp->reader == NULL || !q->body_dirty ||
      (q->j != NULL && q->j->get))
    return AH_OK; /* nothing read, or nothing to send again */
  if (sp->rewind == NULL) {
    *why = "the body reader has no rewind callback: its body cannot be sent again";
    return AH_EIO;
  }
  ah__future_cb_enter();
  rc = sp->rewind(q->f, sp->reader_ud);
  ah__future_cb_leave();
  if (rc != 0) {
    *why = "the body reader could not rewind";
    return AH_ESTOPPED;
  }
  q->body_dirty = 0;
  q->body_read = 0;
  return AH_OK;
}

int ah__request_resendable(const struct ah__request *q)
{
  const struct ah__reqspec *sp = q->spec;

  if (sp == NULL || (q->j != NULL && q->j->get))
    return 1; /* GET */
  if (sp->retry_unsafe)
    return 1;
  if (sp->method != NULL)
    return idempotent(sp->method);
  return !ah__reqspec_has_body(sp); /* POST */
}

enum ah__outcome ah__request_outcome(const struct ah__request *q, int err)
{
  if (err == AH_OK || q->told)
    return AH__OUT_FINAL; /* a response, or bytes the caller has seen */
  if (!q->sent) /* the request never left: whatever failed, it is unseen */
    return err == AH_ECONNECT || err == AH_ETIMEDOUT || err == AH_EIO
               ? AH__OUT_CONNECT : AH__OUT_FINAL;
  if (err == AH_ETIMEDOUT)
    return AH__OUT_TIMEOUT;
  if (q->slot != NULL && q->rx != NULL && q->rx->status == 0 &&
      ah__refusal_unprocessed(&q->slot->watch))
    return AH__OUT_REFUSED;
  if ((err == AH_EIO || err == AH_EPROTO) && q->rx != NULL &&
      q->rx->status == 0 && q->empty_reply)
    return AH__OUT_RESET;
  return AH__OUT_FINAL;
}

void ah__request_rearm(struct ah__request *q)
{
  q->slot = NULL;
  q->rx = NULL;
  q->abort_err = AH_OK;
  q->abort_why = NULL;
  q->deadline_hit = 0;
  q->watch_err = 0;
  q->challenged = 0;
  q->socket_err = 0;
  q->sent = 0;
  q->empty_reply = 0;
  q->retry_ns = -1;
  q->told = 0;
  if (q->j != NULL)
    q->j->spent_us = 0; /* the next attempt resumes at this hop */
}

/* URLs. */

int ah__request_url(struct ah__request *q, const char *url,
                    const CURLU *base, const char **why)
{
  int how = 0, err;
  struct ah__plain pl;
  CURLUcode uc;
  unsigned long mark;

  if (url != NULL && (q->spec == NULL || q->spec->query == NULL) &&
      ah__url_plain_scan(url, &pl)) {
    /* Checked now; set into the slot's URL handle when it starts. */
    q->https = pl.https;
    q->literal = 1;
    q->plain_path = (uint16_t)pl.path;
    return AH_OK;
  }
  if ((err = ah__url_parse(url, base, &q->url, &how, why)) != AH_OK)
    return err;
  q->https = (how & AH__URL_HTTPS) != 0;
  /* Only a plain URL is, to the byte, what libcurl's parser makes of it
   * (tests/test_url.c): any other is reported as libcurl normalized it
   * (dot segments removed, escapes added), the URL actually requested. */
  q->literal = 0;
  mark = ah__alloc_failures();
  if (q->spec != NULL && q->spec->query != NULL &&
      (uc = curl_url_set(q->url, CURLUPART_QUERY, q->spec->query,
                         CURLU_APPENDQUERY)) != CURLUE_OK)
    return ah__url_error(uc, mark, why);
  return AH_OK;
}

char *ah__message(int err, const char *detail, const char *url)
{
  char *safe = url ? ah__url_without_credentials(url) : NULL;
  const char *u = safe ? safe : "";
  int n = snprintf(NULL, 0, "%s: %s%s%s%s", ah_strerror(err), detail,
                   *u ? " (" : "", u, *u ? ")" : "");
  char *m = n >= 0 ? ah__malloc((size_t)n + 1) : NULL;

  if (m != NULL)
    snprintf(m, (size_t)n + 1, "%s: %s%s%s%s", ah_strerror(err), detail,
             *u ? " (" : "", u, *u ? ")" : "");
  ah__free(safe);
  return m;
}

char *ah__message_attempts(char *msg, int n)
{
  size_t len = strlen(msg) + 32;
  char *m = ah__malloc(len);

  if (m == NULL)
    return msg;
  snprintf(m, len, "%s, after %d attempts", msg, n);
  ah__free(msg);
  return m;
}

static int64_t at_least(int64_t v, int64_t floor)
{
  return v > floor ? v : floor;
}

/* Timings, version, redirects and addresses of a finished transfer. The
 * marks are made monotonic: a phase the request skipped (no TLS, a reused
 * connection) takes no time, its mark equal to the one before. */
static void resp_info(struct ah__request *q, struct ah__resp_info *in)
{
  CURL *e = q->slot->easy;
  int64_t *t = in->time_us;

  in->attempts = q->attempt;
  t[AH_TIME_QUEUE] = q->queued_ns / 1000;
  t[AH_TIME_LOOKUP] = (int64_t)ah__info_off(e, CURLINFO_NAMELOOKUP_TIME_T);
  t[AH_TIME_CONNECT] = at_least((int64_t)ah__info_off(e, CURLINFO_CONNECT_TIME_T),
                                t[AH_TIME_LOOKUP]);
  t[AH_TIME_TLS] = at_least((int64_t)ah__info_off(e, CURLINFO_APPCONNECT_TIME_T),
                            t[AH_TIME_CONNECT]);
  t[AH_TIME_FIRST_BYTE] = at_least((int64_t)ah__info_off(e, CURLINFO_STARTTRANSFER_TIME_T),
                                   t[AH_TIME_TLS]);
  t[AH_TIME_TOTAL] = at_least((int64_t)ah__info_off(e, CURLINFO_TOTAL_TIME_T),
                              t[AH_TIME_FIRST_BYTE]);
  /* The marks above are the final hop's (each hop is a transfer of its
   * own); the hops before it took the redirect time. */
  t[AH_TIME_REDIRECT] = 0;
  in->redirects = in->nhops = 0;
  in->hops = NULL;
  in->hops_len = 0;
  if (q->j != NULL) {
    t[AH_TIME_REDIRECT] = q->j->spent_us;
    in->redirects = in->nhops = q->j->nhops;
    in->hops = q->j->hops;
    in->hops_len = q->j->hops_len;
  }
  in->version = q->rx->version; /* the final status line's */
  if (q->slot->addr_ok) {
    in->remote_ip = q->slot->remote_ip;
    in->local_ip = q->slot->local_ip;
    in->remote_port = q->slot->remote_port;
    in->local_port = q->slot->local_port;
  } else {
    in->remote_ip = in->local_ip = NULL;
    in->remote_port = in->local_port = 0;
    curl_easy_getinfo(e, CURLINFO_PRIMARY_IP, &in->remote_ip);
    curl_easy_getinfo(e, CURLINFO_PRIMARY_PORT, &in->remote_port);
    curl_easy_getinfo(e, CURLINFO_LOCAL_IP, &in->local_ip);
    curl_easy_getinfo(e, CURLINFO_LOCAL_PORT, &in->local_port);
  }
  in->url_plain = 0;
}

/* The OS errno of this transfer's failure, 0 if none. Before 8.8 the
 * handle keeps an earlier transfer's: the same value as at setup is this
 * transfer's only if its error text names it (libcurl writes "Recv
 * failure: Connection reset by peer" for a reset); a reset and then a bad
 * chunk on one handle read as two resets otherwise. */
static long transfer_errno(const struct ah__request *q)
{
  const struct ah__slot *slot = q->slot;
  long e = 0;
  char buf[128];

  curl_easy_getinfo(slot->easy, CURLINFO_OS_ERRNO, &e);
  if (e != 0 && ah__curl_caps()->os_errno_sticky && e == slot->errno_before &&
      strstr(slot->errbuf, strerror_r((int)e, buf, sizeof buf)) == NULL)
    return 0;
  return e;
}

/* libcurl's words for a failure: its message, unless the message was
 * there when libcurl last sent the request. That one is a try's before
 * (it still informs the judgement of the failure: a second try mostly
 * fails as the first did); then the code's text. */
static const char *last_words(const struct ah__slot *slot, CURLcode rc)
{
  if (slot->errbuf[0] == '\0' ||
      (slot->errbuf_sent != 0 && ah__errbuf_hash(slot->errbuf) == slot->errbuf_sent))
    return curl_easy_strerror(rc);
  return slot->errbuf;
}

int ah__request_result(struct ah__request *q, CURLcode rc, char **msg,
                       ah_response **resp)
{
  char *eff = NULL;
  const char *why;
  int err;
  CURL *easy = q->slot->easy;

  *msg = NULL;
  *resp = NULL;
  if (rc == CURLE_OK && ah__rx_headers_complete(q->rx)) {
    struct ah__resp_info info;
    resp_info(q, &info);
    /* Without a redirect, the URL libcurl reports is the string it was
     * given; the status is the final status line's, as libcurl's. */
    if (q->url_str != NULL && q->j == NULL) {
      eff = (char *)q->url_str;
      info.url_plain = q->url == NULL; /* plain: no user:password@ */
    } else {
      curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &eff);
    }
    if ((*resp = ah__response_build(q->rx, eff, q->rx->status, &info)) != NULL)
      return AH_OK;
    *msg = ah__message(AH_ENOMEM, "out of memory while storing the response", eff);
    return AH_ENOMEM;
  }
  curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &eff);
  q->curl_code = 0;
  if (rc == CURLE_OK) {
    /* libcurl 7.88 calls a response cut inside its headers a success. */
    err = AH_EPROTO;
    why = "the connection closed before the end of the response headers";
  } else if (q->abort_err != AH_OK) {
    err = q->abort_err;
    why = q->abort_why;
    /* The timeouts ahttp keeps for libcurl (queue.c) report its code,
     * as when libcurl keeps them (a span without a list). */
    if (q->deadline_hit)
      q->curl_code = CURLE_OPERATION_TIMEDOUT;
  } else {
    struct ah__failure fl;
    q->curl_code = (int)rc; /* libcurl's own failure: the caller may ask */
    fl.rc = rc;
    fl.os_errno = transfer_errno(q);
    if (q->socket_err != 0 && rc == CURLE_COULDNT_CONNECT)
      fl.os_errno = q->socket_err;
    fl.real_oom = ah__alloc_failures() != q->oom_mark;
    /* libcurl's OpenSSL layer words its own failures "OpenSSL SSL_read:"
     * or "SSL_write:"; with no OS errno behind them they are TLS errors.
     * But not the peer's end without TLS's close_notify: OpenSSL 3's
     * error 0A000126 ("unexpected eof", 8.21 says it), or
     * "SSL_ERROR_SYSCALL, errno 0" (7.88 when h2o was killed mid-response):
     * a response cut short there is one cut short, AH_EPROTO as over plain
     * HTTP (on a write, AH_EIO). */
    fl.tls_layer = q->https && fl.os_errno == 0 &&
                   strncmp(q->slot->errbuf, "OpenSSL SSL_", 12) == 0 &&
                   strstr(q->slot->errbuf, "0A000126") == NULL &&
                   strstr(q->slot->errbuf, "SSL_ERROR_SYSCALL") == NULL;
    /* The final response's headers, not a 1xx block's. */
    fl.headers_done = ah__rx_headers_complete(q->rx) && q->rx->status >= 200;
    /* No response byte, and the connection or its HTTP/2 stream ended:
     * a reset, as far as retries go (7.88 says CURLE_HTTP2 for a stream
     * above a GOAWAY's last id and CURLE_PARTIAL_FILE for an HTTP/2
     * connection closed under a stream, 8.5 a receive error). */
    q->empty_reply = q->rx->status == 0 &&
                     (rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR ||
                      rc == CURLE_SEND_ERROR || rc == CURLE_HTTP2 ||
                      rc == CURLE_HTTP2_STREAM || rc == CURLE_PARTIAL_FILE);
    fl.proxy_err = 0;
    if (rc == CURLE_PROXY)
      curl_easy_getinfo(easy, CURLINFO_PROXY_ERROR, &fl.proxy_err);
    err = ah__error_from_curl(&fl);
    /* An HTTP proxy that answered CONNECT with an error: 7.88 and 8.5 say
     * CURLE_RECV_ERROR, 8.21 CURLE_COULDNT_CONNECT. Either way the server
     * could not be reached through it, as with a SOCKS proxy's refusal. */
    if (err != AH_ENOMEM && rc != CURLE_OPERATION_TIMEDOUT) {
      long tunnel = 0;
      curl_easy_getinfo(easy, CURLINFO_HTTP_CONNECTCODE, &tunnel);
      if (tunnel != 0 && (tunnel < 200 || tunnel > 299)) {
        err = AH_ECONNECT;
        q->empty_reply = 0;
      }
    }
    /* A client key libcurl cannot use with its certificate: 7.88 and
     * 8.5 say CURLE_SSL_CERTPROBLEM, 8.21 CURLE_BAD_FUNCTION_ARGUMENT
     * ("unable to set private key file"), before any handshake. A TLS
     * failure on every release. */
    if (rc == CURLE_BAD_FUNCTION_ARGUMENT && q->https &&
        (q->slot->d->cert != NULL || (q->spec != NULL && q->spec->cert != NULL)) &&
        ah__info_off(easy, CURLINFO_APPCONNECT_TIME_T) == 0)
      err = AH_ETLS;
    /* libcurl reports an allocation that failed under many names ("No
     * URL set" when it could not copy the URL): while this request ran,
     * one did, so that is what happened. */
    if (fl.real_oom)
      err = AH_ENOMEM;
    why = last_words(q->slot, rc);
    if (err == AH_ENOFD)
      why = "the process or the system is out of file descriptors";
    /* libcurl's own caps, whatever max_header says: 100 KiB a header
     * line over HTTP/1 (7.88 and 8.5 word it "Out of memory", 8.21, with
     * CURLE_TOO_LARGE, "A value or data field grew larger than
     * allowed"), and 300 KiB of headers, a read error on every release. */
    if (err == AH_ETOOLARGE && !fl.headers_done &&
        (rc == CURLE_OUT_OF_MEMORY || (long)rc == 100))
      why = "a response header line is longer than libcurl takes (100 KiB)";
    if (rc == CURLE_RECV_ERROR && !fl.headers_done &&
        strncmp(q->slot->errbuf, "Too large response headers", 26) == 0) {
      err = AH_ETOOLARGE;
      why = "the response's headers are larger than libcurl takes (300 KiB)";
    }
    /* 7.88 and 8.0 refuse an HTTP/2 header block over 128 KiB decoded
     * (an HPACK bomb, a flood of 1xx) only as nghttp2's "callback
     * failed" (-902): before any final status, that is a block too large
     * for them, as ahttp's own limit there (63.5 KiB) says. */
    if (err == AH_EPROTO && ah__curl_caps()->h2_header_stall && q->rx->status < 200 &&
        strstr(q->slot->errbuf, "returned -902:") != NULL) {
      err = AH_ETOOLARGE;
      why = "the response's HTTP/2 header block is larger than this libcurl takes";
    }
  }
  *msg = ah__message(err, why, eff);
  return err;
}

/* libcurl keeps a multiplexed connection in its pool whatever ended a
 * transfer on it (multi.c closes only a connection that is not
 * multiplexed after a premature end), and some ends leave it unusable:
 * the next request on it fails, with nothing sent or on garbage.
 *  - CURLE_HTTP2: the HTTP/2 session itself failed. 7.88 then fails every
 *    later request on it at once (a SETTINGS flood); 8.21 leaves the input
 *    nghttp2 refused in its buffer and feeds it again to the next stream,
 *    which reads it as a COMPRESSION_ERROR or FRAME_SIZE_ERROR.
 *  - CURLE_RECV_ERROR: what 7.88 and 8.5 say for the same (a PING flood),
 *    and a receive failure anywhere else: the connection is gone anyway.
 *  - CURLE_HTTP2_STREAM, one stream reset, where that breaks the whole
 *    connection (7.88: see h2_reset_breaks_conn).
 * But one stream's own end (a server's RST_STREAM with NO_ERROR before a
 * body: CURLE_HTTP2 on 8.21, CURLE_RECV_ERROR on 8.5) leaves the
 * connection as it was, and other streams may be on it: every release
 * words that "HTTP/2 stream N ..." as the transfer's first error. */
int ah__request_breaks_connection(const struct ah__request *q, CURLcode rc)
{
  if (rc == CURLE_HTTP2_STREAM)
    return ah__curl_caps()->h2_reset_breaks_conn;
  if (rc != CURLE_HTTP2 && rc != CURLE_RECV_ERROR)
    return 0;
  return ah__curl_caps()->h2_reset_breaks_conn ||
         strncmp(q->slot->errbuf, "HTTP/2 stream ", 14) != 0;
}

/* Shutting a connection under the streams still in flight on it would
 * end them too (7.88 fails them "not closed cleanly"): they finish
 * first, and the last one shuts it. A transfer's connection is known by
 * its two addresses (prereq's; a unix socket's, with no port, by none):
 * libcurl's CURLINFO_ACTIVESOCKET names it only once a transfer is done.
 * Requests not yet sent take a fresh connection, not that one. */
static int same_connection(const struct ah__slot *a, const struct ah__slot *b)
{
  return a->addr_ok && b->addr_ok && a->local_port != 0 &&
         a->local_port == b->local_port && a->remote_port == b->remote_port &&
         strcmp(a->local_ip, b->local_ip) == 0 && strcmp(a->remote_ip, b->remote_ip) == 0;
}

int ah__request_may_share(const struct ah__request *q)
{
  const struct ah__slot *s = q->slot;

  return q->https ? s->multiplex_tls
                  : s->d->http_version == AH_HTTP_2_PRIOR_KNOWLEDGE && !s->h2c_fresh;
}

int ah__request_leave_connection(struct ah__request *q, CURLcode rc,
                                 struct ah__request *active, int *marked)
{
  struct ah__request *o;
  int others = 0, breaks;

  *marked = -(int)q->shut_after; /* its attempt is over: no longer marked */
  if (!q->shut_after && (rc == CURLE_OK || !ah__request_breaks_connection(q, rc)))
    return 0; /* the common end */
  breaks = !q->shut_after;
  q->shut_after = 0;
  if (breaks && !ah__request_may_share(q))
    return 1; /* HTTP/1.1: no other request on it */
  for (o = active; o != NULL; o = o->next) {
    if (o == q || o->slot == NULL)
      continue;
    if (o->sent && same_connection(o->slot, q->slot)) {
      others++;
      if (!o->shut_after) {
        o->shut_after = 1;
        ++*marked;
      }
    } else if (!o->sent && breaks) {
      o->slot->dirty |= DIRTY_FRESH;
      curl_easy_setopt(o->slot->easy, CURLOPT_FRESH_CONNECT, 1L);
    }
  }
  return others == 0;
}

/* Redirects: ahttp follows them, one transfer per hop (libcurl's own
 * following is off), so that what is judged is what is requested. */

int ah__request_redirected(const struct ah__request *q, CURLcode rc)
{
  return rc == CURLE_OK && q->abort_err == AH_OK && ah__rx_redirect_headers(q->rx);
}

/* The URL handle the finished transfer was given. */
static const CURLU *current_url(const struct ah__request *q)
{
  if (q->j != NULL)
    return q->j->url;
  return q->url != NULL ? q->url : q->slot->urls.u;
}

size_t ah__request_origin(const struct ah__request *q, char *out, size_t cap)
{
  const CURLU *u = q->j != NULL ? q->j->url : q->url;

  return ah__url_origin_into(u, u == NULL ? q->url_str : NULL, out, cap);
}

void ah__request_cookies(struct ah__request *q)
{
  char host[256];

  if (!q->rx->set_cookie || q->slot->d->no_cookies || q->slot->d->share == NULL)
    return; /* the common case: one bit */
  if (ah__url_host(current_url(q), NULL, host, sizeof host) == 0)
    ah__cookies_bound(q->slot->easy, q->slot->d->share, q->rx, host,
                      AH__COOKIES_PER_DOMAIN, AH__COOKIES_TOTAL);
}

/* URL credentials go only to the original origin: a hop elsewhere has
 * none (even ones the Location named: they are the server's words, not
 * the caller's); one back at it keeps the caller's (an absolute
 * Location names none). 0, or -1 without memory. */
static int hop_credentials(CURLU *next, const CURLU *base, int foreign)
{
  char *user = NULL, *password = NULL;
  CURLUcode uc = CURLUE_OK;

  if (foreign)
    return curl_url_set(next, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
           curl_url_set(next, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK ? 0 : -1;
  if (curl_url_get(next, CURLUPART_USER, &user, 0) == CURLUE_OK) {
    curl_free(user);
    return 0; /* its own, or the base's kept by a relative reference */
  }
  if (curl_url_get((CURLU *)base, CURLUPART_USER, &user, 0) == CURLUE_OK) {
    uc = curl_url_set(next, CURLUPART_USER, user, 0);
    if (uc == CURLUE_OK &&
        curl_url_get((CURLU *)base, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK)
      uc = curl_url_set(next, CURLUPART_PASSWORD, password, 0);
  }
  curl_free(user);
  curl_free(password);
  return uc == CURLUE_OK ? 0 : -1;
}

static void tell_redirect(struct ah__request *q, int status, const CURLU *next)
{
  char *url = NULL, *safe = NULL;

  curl_url_get((CURLU *)next, CURLUPART_URL, &url, 0);
  if (url != NULL)
    safe = ah__url_without_credentials(url);
  ah__tell_redirect(q->slot->d, q, ah__now_ns(), status, safe != NULL ? safe : "");
  ah__free(safe);
  curl_free(url);
}

int ah__request_redirect(struct ah__request *q, const char **why)
{
  struct ah__slot *slot = q->slot;
  const struct ah__reqspec *sp = q->spec;
  const CURLU *base = current_url(q);
  struct ah__journey *j = q->j;
  long max = sp != NULL && sp->max_redirects >= 0 ? sp->max_redirects
                                                  : slot->d->max_redirects;
  int status = q->rx->status, https = 0, err;
  char *url = NULL, *origin = NULL;
  curl_off_t took = 0;
  CURLU *next = NULL;

  *why = "no memory to follow a redirect";
  if (j == NULL) {
    if ((origin = ah__url_origin(base)) == NULL ||
        (j = q->j = ah__journey_new(origin)) == NULL) {
      ah__free(origin);
      return AH_ENOMEM;
    }
    ah__free(origin);
  }
  if (j->nhops >= max) {
    *why = "the request was redirected more times than its redirect limit";
    return AH_EREDIRECTS;
  }
  err = ah__url_redirect(base, ah__rx_header(q->rx, "location"), &next, &https, why);
  if (err != AH_OK)
    return err;
  curl_easy_getinfo(slot->easy, CURLINFO_EFFECTIVE_URL, &url);
  if ((origin = ah__url_origin(next)) == NULL ||
      ah__journey_record(j, status, url != NULL ? url : "") != 0) {
    ah__free(origin);
    curl_url_cleanup(next);
    *why = "no memory to follow a redirect";
    return AH_ENOMEM;
  }
  /* Once away from the original origin, the secrets stay behind for the
   * rest of the journey, even back at it. */
  if (strcmp(origin, j->origin) != 0)
    j->foreign = 1;
  ah__free(origin);
  if (hop_credentials(next, base, j->foreign) != 0) {
    curl_url_cleanup(next);
    *why = "no memory to follow a redirect";
    return AH_ENOMEM;
  }
  if (sp != NULL && !j->get && ah__journey_to_get(status, sp->method, ah__reqspec_has_body(sp)))
    j->get = 1;
  curl_easy_getinfo(slot->easy, CURLINFO_TOTAL_TIME_T, &took);
  j->spent_us += took;
  if (slot->d->on_event != NULL)
    tell_redirect(q, status, next);
  curl_url_cleanup(j->url);
  j->url = next;
  q->https = https ? 1 : 0;
  /* The next hop is a request of its own, sent once on its own. */
  q->sent = 0;
  q->sent_finals = 0;
  q->challenged = 0;
  q->empty_reply = 0;
  return AH_OK;
}

/* 1 when host (n bytes) is an IP literal, one address: bracketed (IPv6,
 * its form checked by the URL's parser) or digits and dots (never a name
 * to look up, as libcurl reads it). */
static int ip_literal(const char *h, size_t n)
{
  size_t i;

  if (n > 2 && h[0] == '[')
    return 1;
  for (i = 0; i < n; i++)
    if ((h[i] < '0' || h[i] > '9') && h[i] != '.')
      return 0;
  return n > 0;
}

int ah__request_one_address(const struct ah__request *q, const struct ah__defaults *d)
{
  const struct ah__reqspec *sp = q->spec;
  const char *proxy = sp != NULL && sp->proxy != NULL ? sp->proxy : d->proxy;
  char host[64];

  if ((sp != NULL && sp->unix_path != NULL) || d->unix_path != NULL)
    return 1;
  if ((proxy != NULL ? proxy[0] != '\0' : d->trust_env) || d->connect_to != NULL)
    return 0; /* the proxy's addresses, or an override's */
  if (q->j == NULL && q->url == NULL && q->url_str != NULL) {
    /* A plain URL: "http://" or "https://", the host, then ':' or '/'. */
    const char *h = q->url_str + (q->https ? 8 : 7);
    return ip_literal(h, strcspn(h, ":/"));
  }
  if (ah__url_host(q->j != NULL ? q->j->url : q->url, NULL, host, sizeof host) < 0)
    return 0;
  return ip_literal(host, strlen(host));
}

long ah__request_connect_ms(const struct ah__request *q, const struct ah__defaults *d)
{
  const struct ah__reqspec *sp = q->spec;

  return sp != NULL && sp->connect_ms >= 0 ? sp->connect_ms : d->connect_ms;
}

long ah__request_fd_wait_ms(const struct ah__request *q, const struct ah__defaults *d)
{
  long connect = ah__request_connect_ms(q, d), total = ah__request_total_ms(q, d);

  if (connect <= 0)
    connect = 30000;
  return total > 0 && total < connect ? total : connect;
}

long ah__request_total_ms(const struct ah__request *q, const struct ah__defaults *d)
{
  const struct ah__reqspec *sp = q->spec;

  return sp != NULL && sp->timeout_ms >= 0 ? sp->timeout_ms : d->total_ms;
}
