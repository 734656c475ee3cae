/* transfer.c - libcurl's callbacks for a request's transfer: they feed
 * the receiver, send the body, watch the idle time, tell the lifecycle
 * events and end the transfer on a verdict (a limit, a stop, a resend
 * that must not happen). The caller's transfer callbacks run inside them. */
#include "transfer.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "curl_bridge.h"
#include "curl_caps.h"
#include "easy.h"
#include "event.h"
#include "future.h"
#include "journey.h"
#include "reactor.h"
#include "refusal.h"
#include "request.h"
#include "request_opts.h"
#include "response.h"
#include "rx.h"
#include "retry.h"
#include "session_opts.h"

/* An event with no detail but its time. */
static void tell(const struct ah__defaults *d, const struct ah__request *q,
                 int type, int64_t t_ns)
{
  ah__tell(d, q, type, t_ns, 0, 0, 0);
}

/* The connection is ready: tell the hook how it came to be. libcurl's
 * phase times add up over the requests of a transfer (a digest
 * challenge and its answer, a resend on a reused connection), so
 * this request's phases are what they grew by since the last one sent,
 * placed back from now (the moment the connection is ready and the
 * request about to be sent). */
static void tell_connection(struct ah__slot *slot, struct ah__request *q)
{
  const struct ah__defaults *d = slot->d;
  CURL *e = slot->easy;
  curl_off_t dns = ah__info_off(e, CURLINFO_NAMELOOKUP_TIME_T);
  curl_off_t con = ah__info_off(e, CURLINFO_CONNECT_TIME_T);
  curl_off_t tls = ah__info_off(e, CURLINFO_APPCONNECT_TIME_T);
  int64_t now = ah__now_ns();
  long conns = 0;

  curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &conns);
  if (conns > slot->ph_conns) {
    /* libcurl's phase times run from the start of this request (added
     * up over a transfer's requests, hence the differences); its pretransfer
     * time is stamped only after this callback. The connection was
     * ready just now, at the end of its last phase: the hop started
     * that phase's length ago. */
    int64_t d_dns = (int64_t)(dns - slot->ph_dns) * 1000;
    int64_t d_con = (int64_t)(con - slot->ph_connect) * 1000;
    int64_t d_tls = tls > slot->ph_tls ? (int64_t)(tls - slot->ph_tls) * 1000 : 0;
    int64_t start = now - (d_tls > d_con ? d_tls : d_con);
    tell(d, q, AH_EVENT_DNS, start + d_dns);
    tell(d, q, AH_EVENT_CONNECTED, start + d_con);
    if (d_tls > 0)
      tell(d, q, AH_EVENT_TLS, start + d_tls);
  } else {
    ah__tell_connected(d, q, now, 1);
  }
  tell(d, q, AH_EVENT_SENT, now);
  slot->ph_dns = dns;
  slot->ph_connect = con;
  slot->ph_tls = tls;
  slot->ph_conns = conns;
}

/* libcurl callbacks: feed the response, end the transfer on its verdict.
 * The caller's transfer callbacks run inside them: they count as
 * callbacks (a wait from one is refused with AH_EBUSY). */

static int stopped(struct ah__request *q, int verdict)
{
  if (verdict == 0)
    return 0;
  q->abort_err = AH_ESTOPPED;
  q->abort_why = "a callback of the request asked to stop";
  return 1;
}

/* The status and headers of the final response, to the caller. */
static int tell_headers(struct ah__request *q)
{
  const struct ah__reqspec *sp = q->spec;
  struct ah__resp_info info;
  char *url = NULL;
  ah_response *head;
  long code = 0;
  int verdict;

  curl_easy_getinfo(q->slot->easy, CURLINFO_EFFECTIVE_URL, &url);
  curl_easy_getinfo(q->slot->easy, CURLINFO_RESPONSE_CODE, &code);
  /* The journey so far is known: the head tells it (no timings yet). */
  memset(&info, 0, sizeof info);
  info.attempts = q->attempt;
  info.version = q->rx->version;
  if (q->j != NULL) {
    info.redirects = info.nhops = q->j->nhops;
    info.hops = q->j->hops;
    info.hops_len = q->j->hops_len;
  }
  if ((head = ah__response_build(q->rx, url, (int)code, &info)) == NULL) {
    q->abort_err = AH_ENOMEM;
    q->abort_why = "out of memory while presenting the response headers";
    return 1;
  }
  q->told = 1;
  ah__future_cb_enter();
  verdict = ((ah_headers_cb)sp->on_headers.fn)(q->f, head, sp->on_headers.ud);
  ah__future_cb_leave();
  ah__response_free(head);
  return stopped(q, verdict);
}

/* The first 401 of a request with digest credentials is the server's
 * challenge, which libcurl answers: not the final response. */
static int digest_challenge(struct ah__request *q)
{
  if (q->spec == NULL || !q->spec->digest || q->challenged ||
      q->rx->status != 401 || (q->j != NULL && q->j->foreign))
    return 0; /* off the origin no credentials answer it: final */
  q->challenged = 1;
  return 1;
}

/* A final response whose status the session retries: decided now, on
 * its headers, so that the caller's callbacks never see an attempt that
 * is not the last. 1 when it will be retried. */
static int retry_status(struct ah__request *q)
{
  struct ah__retrier *rt = q->slot->d->rt;
  int max;

  if (rt == NULL || (max = ah__request_attempts(q, rt->p.attempts)) <= 1 ||
      q->attempt >= max || !ah__retry_status(&rt->p, q->rx->status))
    return 0;
  q->retry_ns = ah__retry_decide(rt, q->attempt, max, AH__OUT_STATUS,
                                 q->rx->status,
                                 ah__request_resendable(q) && ah__request_replayable(q),
                                 ah__rx_header(q->rx, "retry-after"),
                                 ah__now_ns(), time(NULL));
  return q->retry_ns >= 0;
}

/* A byte came or went: the idle time starts over. */
static void moved(struct ah__slot *slot)
{
  if (slot->idle_ns != 0)
    slot->last_byte_ns = ah__now_ns();
}

static size_t on_header(char *buf, size_t size, size_t n, void *arg)
{
  struct ah__slot *slot = arg;
  struct ah__request *q = slot->q;
  int err;

  (void)size; /* always 1 */
  moved(slot);
  if (slot->d->on_event != NULL && !slot->ph_first_byte) {
    slot->ph_first_byte = 1;
    tell(slot->d, q, AH_EVENT_FIRST_BYTE, ah__now_ns());
  }
  if ((err = ah__rx_header_line(q->rx, buf, n, &q->abort_why)) != AH_OK) {
    q->abort_err = err;
    /* A header block refused: over HTTP/2, libcurl goes on decoding the
     * rest of it into its own header store after the stream is refused,
     * up to its own limits (8.21: 5,000 lines or 300 KiB), where nghttp2
     * fails and the connection is left with input it will feed again to
     * the next stream. Whatever sent such a block gets no other request
     * on that connection: libcurl closes it at the end of this transfer
     * when no other stream is on it (it skips the option otherwise); the
     * others then fail on the broken session, and the end of each shuts
     * the connection (ah__request_breaks_connection, in queue.c's finish). */
    slot->dirty |= DIRTY_FRESH;
    curl_easy_setopt(slot->easy, CURLOPT_FORBID_REUSE, 1L);
    return 0;
  }
  if (!q->rx->complete || q->rx->trailing)
    return n; /* a header or trailer line: what follows is for the blank
               * line that ends a header block */
  if (ah__rx_final_headers(q->rx) && !digest_challenge(q)) {
    if (retry_status(q))
      return n; /* another attempt follows: this one's body is dropped */
    if (q->spec != NULL && q->spec->on_headers.fn != NULL && tell_headers(q))
      return 0;
  }
  return n;
}

static size_t on_write(char *buf, size_t size, size_t n, void *arg)
{
  struct ah__request *q = ((struct ah__slot *)arg)->q;
  const struct ah__reqspec *sp = q->spec;
  int err;

  (void)size;
  moved(arg);
  if (q->retry_ns >= 0)
    return n; /* an attempt that will be retried */
  /* A redirect's body is read and dropped, as libcurl's following did:
   * neither stored nor counted against the body limit, and the caller's
   * callback never sees it (the total timeout bounds it). */
  if (ah__rx_redirect_headers(q->rx))
    return n;
  if (sp != NULL && sp->on_data.fn != NULL) {
    int verdict;
    q->told = 1;
    ah__future_cb_enter();
    verdict = ((ah_data_cb)sp->on_data.fn)(q->f, buf, n, sp->on_data.ud);
    ah__future_cb_leave();
    return stopped(q, verdict) ? CURL_WRITEFUNC_ERROR : n;
  }
  if ((err = ah__rx_body(q->rx, buf, n, &q->abort_why)) != AH_OK) {
    q->abort_err = err;
    return CURL_WRITEFUNC_ERROR;
  }
  return n;
}

/* The caller's reader. A body of a stated length is held to it, on every
 * release: the reader is never asked for more (libcurl 7.88 asks for a
 * buffer's worth and sends all it gets, so a surplus would go out as the
 * start of the connection's next request), and an end before it fails
 * at once (7.88 waits for the rest until the total timeout). */
static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
  struct ah__request *q = ((struct ah__slot *)arg)->q;
  const struct ah__reqspec *sp = q ? q->spec : NULL;
  size_t max = size * n;
  long got;

  if (sp == NULL || sp->reader == NULL)
    return 0;
  if (sp->reader_len >= 0 && (unsigned long long)(sp->reader_len - q->body_read) < max)
    max = (size_t)(sp->reader_len - q->body_read);
  if (max == 0 && n != 0)
    return 0; /* all of it given */
  q->body_dirty = 1;
  ah__future_cb_enter();
  got = sp->reader(q->f, buf, max, sp->reader_ud);
  ah__future_cb_leave();
  if (got < 0 || (size_t)got > max) {
    stopped(q, 1);
    if (got >= 0)
      q->abort_why = "the body reader returned more bytes than asked for";
    return CURL_READFUNC_ABORT;
  }
  q->body_read += got;
  if (got == 0 && max != 0 && sp->reader_len >= 0) {
    q->abort_err = AH_EIO;
    q->abort_why = "the body reader ended before the length it was given";
    return CURL_READFUNC_ABORT;
  }
  return (size_t)got;
}

/* libcurl starts the body over by itself: a 307 or 308 it follows, an
 * auth challenge, a resend on a reused connection. Through the caller's
 * rewind callback, or not at all (the transfer then fails). */
static int on_seek(void *arg, curl_off_t offset, int origin)
{
  struct ah__request *q = ((struct ah__slot *)arg)->q;
  const char *why;

  if (q == NULL || offset != 0 || origin != SEEK_SET || q->spec == NULL ||
      q->spec->rewind == NULL)
    return CURL_SEEKFUNC_CANTSEEK;
  return ah__request_rewind(q, &why) == AH_OK ? CURL_SEEKFUNC_OK
                                              : CURL_SEEKFUNC_FAIL;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
  struct ah__slot *slot = arg;
  struct ah__request *q = slot->q;
  const struct ah__reqspec *sp = q ? q->spec : NULL;
  int verdict;

  /* The idle time runs once the request is sent (the connect timeout
   * covers what comes before); bytes sent count as bytes moving. */
  if (slot->idle_ns != 0 && q != NULL && q->sent) {
    int64_t now = ah__now_ns();
    if (ulnow != slot->last_ul) {
      slot->last_ul = ulnow;
      slot->last_byte_ns = now;
    } else if (now - slot->last_byte_ns >= slot->idle_ns) {
      q->abort_err = AH_ETIMEDOUT;
      q->abort_why = "no byte came or went for the idle timeout";
      return 1;
    }
  }
  if (sp == NULL || sp->on_progress.fn == NULL)
    return 0;
  ah__future_cb_enter();
  verdict = ((ah_progress_cb)sp->on_progress.fn)(
      q->f, (long long)dlnow, (long long)dltotal, (long long)ulnow,
      (long long)ultotal, sp->on_progress.ud);
  ah__future_cb_leave();
  return stopped(q, verdict);
}

/* ahttp opens libcurl's sockets: close-on-exec, so that no descriptor of
 * the library leaks into a child the program executes, and with the errno
 * of a failure kept, since libcurl reports a socket() that failed for want
 * of descriptors as a refused connection. The bridge closes them, and is
 * told of each (ah__bridge_adopt). */
static curl_socket_t open_socket(void *arg, curlsocktype purpose,
                                 struct curl_sockaddr *a)
{
  struct ah__slot *slot = arg;
  int fd;

  (void)purpose;
  fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
  if (fd < 0) {
    if (slot->q != NULL)
      slot->q->socket_err = errno;
    return CURL_SOCKET_BAD;
  }
  if (slot->bridge != NULL) {
    /* libcurl 8.9 on add SOCK_NONBLOCK or SOCK_CLOEXEC to socktype. */
    int type = a->socktype & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    ah__bridge_adopt(slot->bridge, fd,
                     (a->family == AF_INET || a->family == AF_INET6) &&
                         type == SOCK_STREAM);
    /* Sent once on another connection: libcurl connects again by itself
     * (prereq ended the connect timeout at the first). */
    if (slot->q != NULL && slot->q->sent && slot->bridge->ops->reconnect != NULL)
      slot->bridge->ops->reconnect(slot->bridge->arg, slot->q);
  }
  return fd;
}

static int on_trace(CURL *e, curl_infotype type, char *data, size_t size, void *arg)
{
  (void)e;
  if (type == CURLINFO_TEXT)
    ah__refusal_note(&((struct ah__slot *)arg)->watch, data, size);
  return 0;
}

/* libcurl resends a request whose HTTP/2 stream the server refused
 * (REFUSED_STREAM, or above a GOAWAY's last stream id) by itself: nothing
 * was processed, so any method may go again, as an attempt of its retry
 * policy. 1 when this resend is one. */
static int refused_resend(struct ah__slot *slot, struct ah__request *q)
{
  const struct ah__retrier *rt = slot->d->rt;

  /* 7.88 tells of a refused stream on a connection other streams share
   * in no line; it resent such a stream when one of ours was opened (the
   * trace named it) and no error text came before the resend: every other
   * way 7.88 loses an HTTP/2 stream (reset, connection closed, a read or
   * write failing) writes one. */
  int silent = ah__curl_caps()->h2_refusal_silent && slot->watch.sid > 0 &&
               slot->errbuf[0] == '\0';

  if (!(ah__refusal_unprocessed(&slot->watch) || silent) || rt == NULL ||
      !ah__retry_wanted(&rt->p, AH__OUT_REFUSED, 0) ||
      q->attempt >= ah__request_attempts(q, rt->p.attempts))
    return 0;
  if (slot->d->on_event != NULL)
    ah__tell(slot->d, q, AH_EVENT_RETRY, ah__now_ns(), 0, AH_EIO, 0);
  q->attempt++;
  slot->watch.sid = 0; /* a new stream now */
  slot->watch.goaway_last = -1;
  slot->watch.refused = 0;
  return 1;
}

/* The connection is ready and the request is about to be sent: on a new
 * or a reused connection, after each redirect, and when libcurl sends it
 * again by itself. libcurl 7.88 resends any request, a POST too, when a
 * reused keep-alive connection turns out closed before any response
 * byte; the server may have acted on the first copy. A request that is
 * not idempotent is not resent unless it allows it
 * (ah_request_opts_set_retries). */
static int prereq(void *arg, char *remote_ip, char *local_ip, int remote_port,
                  int local_port)
{
  struct ah__slot *slot = arg;
  struct ah__request *q = slot->q;
  size_t rn = strlen(remote_ip), ln = strlen(local_ip);

  /* Kept for the response: four curl_easy_getinfo calls fewer. */
  slot->addr_ok = rn < sizeof slot->remote_ip && ln < sizeof slot->local_ip;
  if (slot->addr_ok) {
    memcpy(slot->remote_ip, remote_ip, rn + 1);
    memcpy(slot->local_ip, local_ip, ln + 1);
    slot->remote_port = remote_port;
    slot->local_port = local_port;
  }
  if (q == NULL)
    return CURL_PREREQFUNC_OK;
  /* Sent before and no final response since: libcurl is sending the
   * same request again (after a 401 the response is new, and so is the
   * request; a redirect is a new transfer, sent afresh). */
  if (q->sent && (uint8_t)q->rx->finals == q->sent_finals &&
      !ah__request_resendable(q) && !refused_resend(slot, q)) {
    q->abort_err = AH_EIO;
    /* Which, libcurl does not say unless its trace is read
     * (watch_refusals, only when a retry would follow). */
    q->abort_why = "the server did not answer the request's first sending (a "
                   "reused connection closed, the HTTP/2 stream refused, or "
                   "HTTP/1.1 asked for); a request that is not idempotent is "
                   "not sent twice";
    q->empty_reply = 1;
    return CURL_PREREQFUNC_ABORT;
  }
  /* A body read for an earlier sending starts over, whoever resends:
   * libcurl 7.88 and 8.5 resend a refused HTTP/2 stream (GOAWAY,
   * REFUSED_STREAM) reading on where the reader stood, never seeking. */
  if (q->body_dirty) {
    int err = ah__request_rewind(q, &q->abort_why);
    if (err != AH_OK) {
      q->abort_err = err;
      return CURL_PREREQFUNC_ABORT;
    }
  }
  ah__dl_remove(&q->connect_dl); /* connected: its timeout is over */
  /* A failure after this sending is not that message's. */
  slot->errbuf_sent = slot->errbuf[0] != '\0' ? ah__errbuf_hash(slot->errbuf) : 0;
  q->sent = 1;
  q->sent_finals = (uint8_t)q->rx->finals;
  if (slot->idle_ns != 0)
    slot->last_byte_ns = ah__now_ns();
  if (slot->d->on_event != NULL)
    tell_connection(slot, q);
  return CURL_PREREQFUNC_OK;
}

#define SET(opt, val) \
  do { if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val); } while (0)

CURLcode ah__transfer_hook(CURL *e, struct ah__slot *slot)
{
  CURLcode rc = CURLE_OK;

  SET(CURLOPT_HEADERFUNCTION, on_header);
  SET(CURLOPT_HEADERDATA, slot);
  SET(CURLOPT_WRITEFUNCTION, on_write);
  SET(CURLOPT_WRITEDATA, slot);
  SET(CURLOPT_READFUNCTION, on_read);
  SET(CURLOPT_READDATA, slot);
  SET(CURLOPT_SEEKFUNCTION, on_seek);
  SET(CURLOPT_SEEKDATA, slot);
  SET(CURLOPT_XFERINFOFUNCTION, on_progress);
  SET(CURLOPT_XFERINFODATA, slot);
  SET(CURLOPT_PREREQFUNCTION, prereq);
  SET(CURLOPT_PREREQDATA, slot);
  SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
  SET(CURLOPT_OPENSOCKETDATA, slot);
  SET(CURLOPT_DEBUGFUNCTION, on_trace); /* called only with CURLOPT_VERBOSE */
  SET(CURLOPT_DEBUGDATA, slot);
  return rc;
}
