/* ws.c - WebSocket connections of a session (ah_ws_*).
 *
 * The handshake is an HTTP/1.1 upgrade that libcurl makes with
 * CURLOPT_CONNECT_ONLY 2 on an easy handle of the session's second multi
 * (one per session, made at its first WebSocket, driven by the same
 * reactor through a second bridge with a timer of its own): the transfer
 * ends at the 101, and the easy handle stays in the multi, which keeps
 * the connection (removing it closes the connection). From then on the
 * socket is ahttp's to watch: the reactor reports it readable or
 * writable under a handler of this file, and curl_ws_recv/curl_ws_send
 * (non-blocking in this mode) move frames. Why this and not libcurl's
 * write-callback mode: see docs/design.md, "WebSocket".
 * Frames move in ws_io.c. */
#include "ws.h"

#include <curl/curl.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "alloc.h"
#include "curl_bridge.h"
#include "curl_caps.h"
#include "deadline.h"
#include "easy.h"
#include "error.h"
#include "future.h"
#include "global.h"
#include "reactor.h"
#include "request.h"
#include "request_opts.h"
#include "session.h"
#include "session_opts.h"

/* The handshake's socket, opened by ahttp as a fetch's is (transfer.c):
 * close-on-exec, and the errno of a failure kept, since libcurl reports
 * a socket() that failed for want of descriptors as a refused
 * connection. */
static curl_socket_t open_socket(void *arg, curlsocktype purpose,
                                 struct curl_sockaddr *a)
{
  ah_ws *ws = arg;
  int fd;

  (void)purpose;
  fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
  if (fd < 0) {
    ws->socket_err = errno;
    return CURL_SOCKET_BAD;
  }
  return fd;
}

/* A header line of the handshake's response (libcurl's callback). */
static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
  ah_ws *ws = arg;

  return ah__ws_hs_line(&ws->hs, p, size * n) < 0 ? 0 : size * n;
}

/* The handshake's end: ws open, or ended (its connect's on_done may
 * free it: the caller holds it). */
static void handshake_done(ah_ws *ws, CURL *easy, CURLcode rc)
{
  long status = 0;
  curl_socket_t fd = CURL_SOCKET_BAD;
  struct ah__ws_op *op;

  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  if (ah__ws_hs_too_large(&ws->hs)) {
    /* The header callback stopped the transfer (libcurl: a write error). */
    ah__ws_end(ws, AH_ETOOLARGE, "the WebSocket handshake's response headers "
               "exceed the header size limit", 0);
    return;
  }
  if (rc != CURLE_OK || status != 101) {
    struct ah__failure fl;
    char why[160];
    int err;
    memset(&fl, 0, sizeof fl);
    fl.rc = rc;
    curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &fl.os_errno);
    if (ws->socket_err != 0)
      fl.os_errno = ws->socket_err;
    fl.headers_done = status != 0;
    fl.real_oom = ah__alloc_failures() != ws->oom_mark;
    err = rc == CURLE_OK ? AH_EPROTO : ah__error_from_curl(&fl);
    if (status != 0 && status != 101) {
      err = AH_EPROTO;
      snprintf(why, sizeof why,
               "the server refused the WebSocket upgrade (status %ld)", status);
    } else if (err == AH_ENOFD) {
      snprintf(why, sizeof why, "no file descriptor left for the WebSocket's "
               "connection: %s", strerror(ws->socket_err ? ws->socket_err : (int)fl.os_errno));
    } else if (rc == CURLE_OK) {
      /* 8.21 calls an empty reply or a cut status line a success here
       * (a fetch gets CURLE_GOT_NOTHING): ahttp's judgement, no code. */
      snprintf(why, sizeof why, "the server closed the connection without "
               "answering the WebSocket upgrade (an empty or cut reply)");
    } else {
      snprintf(why, sizeof why, "the WebSocket handshake failed: %s",
               curl_easy_strerror(rc));
    }
    ah__ws_end(ws, err, why, (int)rc);
    return;
  }
  {
    /* libcurl takes any 101: ahttp checks it (ws_hs.h). */
    const char *bad = ah__ws_hs_check(&ws->hs);
    if (bad != NULL) {
      char why[160];
      snprintf(why, sizeof why, "the server's 101 does not open a WebSocket: %s", bad);
      ah__ws_end(ws, AH_EPROTO, why, 0);
      return;
    }
  }
  if (curl_easy_getinfo(easy, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK ||
      fd == CURL_SOCKET_BAD) {
    ah__ws_end(ws, AH_EIO, "the WebSocket connection is gone after its handshake", 0);
    return;
  }
  ws->fd = fd;
  ws->state = OPEN;
  op = ws->connect;
  ws->connect = NULL;
  ah__ws_finish(op, AH_OK, NULL, NULL, 0);
  if (!ws->free_later && (ws->state == OPEN || ws->state == CLOSING))
    ah__ws_pump(ws); /* what was asked of it while it connected */
}

/* The handshake's end (the bridge's done, outside libcurl's calls). */
static void on_done(void *arg, CURL *easy, CURLcode rc)
{
  struct ah__ws_set *set = arg;
  char *priv = NULL;
  ah_ws *ws;

  curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
  ws = (ah_ws *)(void *)priv;
  if (ws == NULL || ws->state != CONNECTING)
    return;
  ws->busy++;
  handshake_done(ws, easy, rc);
  if (--ws->busy == 0 && ws->free_later)
    ah__ws_free_now(ws);
  ah__ws_arm(set); /* its deadline no longer counts */
}

static void on_watch_failed(void *arg, CURL *easy, int err)
{
  (void)arg;
  (void)easy;
  (void)err; /* the handshake then ends by the connect timeout */
}

/* An allocation failed inside libcurl while it served the handshakes:
 * libcurl may leave a transfer waiting forever then (curl_bridge.h), so
 * every handshake still under way ends with AH_ENOMEM. */
static void on_oom(void *arg)
{
  struct ah__ws_set *set = arg;
  ah_ws *ws;

  /* From the head each time: an end's callbacks may free any of them
   * (an ended WebSocket leaves the list). */
  for (;;) {
    for (ws = set->head; ws != NULL && ws->state != CONNECTING; ws = ws->next)
      ;
    if (ws == NULL)
      return;
    ws->busy++;
    ah__ws_end(ws, AH_ENOMEM, "no memory in libcurl for the WebSocket handshake", 0);
    if (--ws->busy == 0 && ws->free_later)
      ah__ws_free_now(ws);
  }
}

static const struct ah__bridge_ops bridge_ops = {on_done, on_watch_failed, on_oom, NULL};

/* The session's side (session.h): closing, then destroyed. */
static void set_close(void *p, int final)
{
  struct ah__ws_set *set = p;

  if (!final) {
    while (set->head != NULL) {
      ah_ws *ws = set->head;
      ws->busy++;
      ah__ws_end(ws, AH_ECANCELED, "the session was freed", 0);
      ws->busy--;
      if (ws->free_later && ws->busy == 0)
        ah__ws_free_now(ws);
    }
    return;
  }
  ah__bridge_close(&set->bridge);
  ah__free(set);
}

static struct ah__ws_set *set_of(ah_session *s)
{
  struct ah__ws_set *set = ah__session_ws(s);

  if (set != NULL)
    return set;
  if ((set = ah__calloc(1, sizeof *set)) == NULL)
    return NULL;
  set->s = s;
  set->r = ah__session_reactor(s);
  if ((set->handler = ah__reactor_handler(set->r, ah__ws_on_io, set)) < 0 ||
      ah__bridge_init(&set->bridge, set->r, &bridge_ops, set) < 0 ||
      (set->bridge.timer = ah__reactor_timer(set->r, ah__bridge_on_timer,
                                             &set->bridge)) < 0 ||
      (set->timer = ah__reactor_timer(set->r, ah__ws_on_timer, set)) < 0) {
    ah__bridge_close(&set->bridge);
    ah__free(set);
    return NULL; /* the reactor's slots are spent: only a new session */
  }
  ah__session_set_ws(s, set, set_close);
  return set;
}

/* Public functions. */

int ah_ws_check(const char **why)
{
  const struct ah__curl_caps *c;

  if (ah__global_init() < 0) {
    if (why)
      *why = "libcurl could not be initialized";
    return AH_ENOMEM;
  }
  c = ah__curl_caps();
  if (why)
    *why = c->ws ? NULL : c->ws_why;
  return c->ws ? AH_OK : AH_ENOTSUP;
}

static CURLcode setup(ah_ws *ws, const struct ah__defaults *d,
                      const struct ah__reqspec *sp, const char *url)
{
  CURL *e = ws->easy;
  const struct curl_slist *l;
  long connect_ms = sp && sp->connect_ms >= 0 ? sp->connect_ms : d->connect_ms;
  long total_ms = sp && sp->timeout_ms >= 0 ? sp->timeout_ms : d->total_ms;
  CURLcode rc = CURLE_OK;

#define SET(opt, val) \
  do { if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val); } while (0)
  SET(CURLOPT_URL, url);
  SET(CURLOPT_CONNECT_ONLY, 2L);
  if (ah__curl_caps()->ws_noautopong)
    SET(CURLOPT_WS_OPTIONS, 2L); /* CURLWS_NOAUTOPONG, 8.14's: see curl_caps.h */
  SET(CURLOPT_PRIVATE, (void *)ws);
  SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
  SET(CURLOPT_OPENSOCKETDATA, (void *)ws);
  SET(CURLOPT_HEADERFUNCTION, on_header);
  SET(CURLOPT_HEADERDATA, (void *)ws);
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  SET(CURLOPT_TIMEOUT_MS, total_ms); /* the handshake's */
  SET(CURLOPT_PROXY, d->proxy ? d->proxy : "");
  SET(CURLOPT_NOPROXY, "");
  if (d->unix_path)
    SET(CURLOPT_UNIX_SOCKET_PATH, d->unix_path);
  if (rc == CURLE_OK)
    rc = ah__easy_session_tls(e, d);
  if (d->share)
    SET(CURLOPT_SHARE, d->share);
  if (rc != CURLE_OK)
    return rc;
  /* The session's headers, then the caller's. */
  if (ah__slist_dup(&ws->headers, d->headers) < 0)
    return CURLE_OUT_OF_MEMORY;
  for (l = sp ? sp->headers : NULL; l != NULL; l = l->next) {
    struct curl_slist *n = curl_slist_append(ws->headers, l->data);
    if (n == NULL)
      return CURLE_OUT_OF_MEMORY;
    ws->headers = n;
  }
  /* The key: ahttp's, so that it can check the answer (libcurl sends
   * none of its own then), or the caller's own. */
  ah__ws_hs_init(&ws->hs, d->max_header);
  for (l = ws->headers; l != NULL; l = l->next)
    if (strncasecmp(l->data, "Sec-WebSocket-Key:", 18) == 0)
      break;
  if (l != NULL) {
    const char *k = l->data + 18;
    size_t n;
    while (*k == ' ' || *k == '\t')
      k++;
    for (n = strlen(k); n > 0 && (k[n - 1] == ' ' || k[n - 1] == '\t'); n--)
      ;
    ah__ws_hs_set_key(&ws->hs, k, n);
  } else {
    char line[48];
    struct curl_slist *n;
    snprintf(line, sizeof line, "Sec-WebSocket-Key: %s", ws->hs.key);
    if ((n = curl_slist_append(ws->headers, line)) == NULL)
      return CURLE_OUT_OF_MEMORY;
    ws->headers = n;
  }
  SET(CURLOPT_HTTPHEADER, ws->headers);
#undef SET
  return rc;
}

static int scheme_ok(const char *url, int *tls)
{
  *tls = strncasecmp(url, "wss://", 6) == 0;
  return *tls || strncasecmp(url, "ws://", 5) == 0;
}

ah_future *ah_ws_connect(ah_session *s, const char *url,
                         const ah_request_opts *opts, ah_ws **out)
{
  struct ah__reqspec *sp;
  struct ah__ws_set *set;
  const char *why = NULL;
  ah_ws *ws;
  ah_future *f;
  size_t ulen;
  int tls, err;

  if (out != NULL)
    *out = NULL;
  if (s == NULL || out == NULL)
    return ah__ws_failed(s, AH_EINVAL, s == NULL ? "the session is NULL"
                                          : "no place for the WebSocket (ws is NULL)");
  if (ah__session_closing(s))
    return ah__ws_failed(s, AH_ECANCELED, "the session is being freed");
  if (ah_ws_check(&why) != AH_OK)
    return ah__ws_failed(s, AH_ENOTSUP, why);
  if (url == NULL || !scheme_ok(url, &tls) || strpbrk(url, "\r\n \t") != NULL)
    return ah__ws_failed(s, AH_EINVAL, "the URL is not a ws:// or wss:// URL");
  if (tls && !ah__curl_caps()->wss)
    return ah__ws_failed(s, AH_ENOTSUP, "the libcurl in this process has no wss (WebSocket over TLS)");
  sp = ah__reqspec_ref(opts);
  if ((err = ah__reqspec_error(sp, &why)) != AH_OK) {
    ah__reqspec_unref(sp);
    return ah__ws_failed(s, err, why);
  }
  if ((set = set_of(s)) == NULL) {
    ah__reqspec_unref(sp);
    return ah__ws_failed(s, AH_ENOMEM, "no room for the session's WebSockets");
  }
  ulen = strlen(url) + 1;
  if ((ws = ah__calloc(1, sizeof *ws + ulen)) == NULL) {
    ah__reqspec_unref(sp);
    return ah__ws_failed(s, AH_ENOMEM, "no memory for the WebSocket");
  }
  memcpy(ws->url, url, ulen);
  ws->set = set;
  ws->fd = -1;
  ws->state = CONNECTING;
  ws->oom_mark = ah__alloc_failures();
  ws->max_frame = ws->max_message = DEFAULT_MAX;
  ws->deadline = AH__NO_DEADLINE;
  ah__ws_list_init(&ws->recvs);
  ah__ws_list_init(&ws->sends);
  ah__ws_list_init(&ws->pings);
  ah__ws_list_init(&ws->closes);
  ws->ready_tail = &ws->ready;
  if ((ws->connect = ah__ws_op_new(ws, OP_CONNECT, 0, 1)) == NULL) {
    ah__reqspec_unref(sp);
    ah__free(ws);
    return ah__ws_failed(s, AH_ENOMEM, "no memory for the WebSocket");
  }
  f = ws->connect->f;
  ws->next = set->head;
  if (set->head)
    set->head->prev = ws;
  set->head = ws;
  *out = ws;
  if ((ws->easy = curl_easy_init()) == NULL) {
    ah__reqspec_unref(sp);
    ah__ws_end(ws, AH_ENOMEM, "no memory for the WebSocket's handle", 0);
    return f;
  }
  {
    const struct ah__defaults *d = ah__session_defaults(s);
    long total_ms = sp && sp->timeout_ms >= 0 ? sp->timeout_ms : d->total_ms;
    CURLcode rc = setup(ws, d, sp, url);
    CURLMcode mc;

    ah__reqspec_unref(sp);
    /* libcurl 8.21 keeps no total timeout over a connect-only handshake
     * (a server that never answers the upgrade held it until the connect
     * timeout): ahttp keeps it. */
    if (total_ms > 0 && total_ms <= AH__DL_MAX_MS) { /* above: none */
      ws->deadline = ah__now_ns() + (int64_t)total_ms * 1000000;
      ah__ws_arm(set);
    }
    if (rc != CURLE_OK) {
      ah__ws_end(ws, rc == CURLE_OUT_OF_MEMORY ? AH_ENOMEM : AH_EINVAL,
          rc == CURLE_OUT_OF_MEMORY ? "no memory for the WebSocket's options"
                                    : "libcurl refused the WebSocket's options", (int)rc);
      return f;
    }
    if ((mc = ah__bridge_add(&set->bridge, ws->easy)) != CURLM_OK)
      ah__ws_end(ws, ah__error_from_multi(mc), "libcurl refused the WebSocket", 0);
  }
  return f;
}

int ah_ws_set_limits(ah_ws *ws, size_t max_frame, size_t max_message)
{
  if (ws == NULL)
    return AH_EINVAL;
  if (max_frame != 0)
    ws->max_frame = max_frame;
  if (max_message != 0)
    ws->max_message = max_message;
  if (ws->set != NULL && (ws->state == OPEN || ws->state == CLOSING)) {
    /* A larger limit may let reading resume: the next turn pumps (what
     * libcurl holds already no readiness announces). */
    ws->again = 1;
    ah__ws_arm(ws->set);
  }
  return AH_OK;
}

/* An operation of ws, or a future already failed: ENDED gives the end's
 * outcome (a recv after the peer's close: that close). */
static ah_future *start(ah_ws *ws, struct ah__ws_op *op)
{
  ah_future *f = op->f;

  if (ws->state == ENDED) {
    ah__ws_finish_ended(ws, op);
    return f;
  }
  switch (op->kind) {
  case OP_RECV:
    ah__ws_list_push(&ws->recvs, op);
    if (ws->state != CONNECTING && ws->busy == 0)
      ah__ws_pump(ws);
    else if (ws->state != CONNECTING)
      ah__ws_watch(ws);
    break;
  case OP_CLOSE:
    ah__ws_list_push(&ws->closes, op);
    ah__ws_watch(ws);
    break;
  default:
    ah__ws_queue_send(ws, op); /* may complete f, and free ws */
    break;
  }
  return f;
}

ah_future *ah_ws_recv(ah_ws *ws)
{
  struct ah__ws_op *op;

  if (ws == NULL)
    return ah__ws_failed(NULL, AH_EINVAL, "the WebSocket is NULL");
  if (ws->set == NULL) { /* ended: no session to own a new future */
    if ((op = ah__calloc(1, sizeof *op)) == NULL)
      return NULL;
    op->kind = OP_RECV;
    if ((op->f = ah__ws_future(NULL)) == NULL) {
      ah__free(op);
      return NULL;
    }
    return start(ws, op);
  }
  if ((op = ah__ws_op_new(ws, OP_RECV, 0, 1)) == NULL)
    return ah__ws_failed(ws->set->s, AH_ENOMEM, "no memory for the receive");
  return start(ws, op);
}

static ah_future *send_frame(ah_ws *ws, unsigned flags, const void *data,
                             size_t len, const char *what)
{
  struct ah__ws_op *op;

  if (ws == NULL)
    return ah__ws_failed(NULL, AH_EINVAL, "the WebSocket is NULL");
  if (data == NULL && len != 0)
    return ah__ws_failed(ws->set ? ws->set->s : NULL, AH_EINVAL, "data is NULL");
  if (ws->set == NULL)
    return ah__ws_failed(NULL, ws->end_err, ws->end_msg);
  if (ws->close_sent)
    return ah__ws_failed(ws->set->s, AH_EINVAL, "the WebSocket is closing");
  if (len > SIZE_MAX - sizeof *op)
    return ah__ws_failed(ws->set->s, AH_EINVAL, "the message is larger than "
                         "memory can hold");
  if ((op = ah__ws_op_new(ws, OP_SEND, len, 1)) == NULL)
    return ah__ws_failed(ws->set->s, AH_ENOMEM, what);
  op->flags = flags;
  op->len = len;
  if (len != 0)
    memcpy(op->data, data, len);
  return start(ws, op);
}

ah_future *ah_ws_send(ah_ws *ws, ah_ws_type type, const void *data, size_t len)
{
  if (type != AH_WS_TEXT && type != AH_WS_BINARY)
    return ah__ws_failed(ws && ws->set ? ws->set->s : NULL, AH_EINVAL,
                  "a message is AH_WS_TEXT or AH_WS_BINARY");
  return send_frame(ws, type == AH_WS_TEXT ? CURLWS_TEXT : CURLWS_BINARY, data,
                    len, "no memory for the message");
}

/* Canceled pings stay for their pong (ws_io.c's take_control), which
 * completes the pings before them; a peer that never answers would have
 * them pile up: beyond MAX_CANCELED_PINGS the oldest goes. */
#define MAX_CANCELED_PINGS 32

static void drop_canceled_ping(ah_ws *ws)
{
  struct ah__ws_op *p, *oldest = NULL;
  int n = 0;

  for (p = ws->pings.head; p != NULL; p = p->next)
    if (p->f == NULL && n++ == 0)
      oldest = p;
  if (n >= MAX_CANCELED_PINGS) {
    (void)ah__ws_list_unlink(&ws->pings, oldest);
    ah__free(oldest);
  }
}

ah_future *ah_ws_ping(ah_ws *ws, const void *data, size_t len)
{
  struct ah__ws_op *op, *frame;
  ah_future *f;

  if (ws == NULL)
    return ah__ws_failed(NULL, AH_EINVAL, "the WebSocket is NULL");
  /* The arguments first: wrong whatever the state. */
  if (len > 125 || (data == NULL && len != 0))
    return ah__ws_failed(ws->set ? ws->set->s : NULL, AH_EINVAL,
                         "a ping carries at most 125 bytes");
  if (ws->set == NULL)
    return ah__ws_failed(NULL, ws->end_err, ws->end_msg);
  if (ws->close_sent)
    return ah__ws_failed(ws->set->s, AH_EINVAL, "the WebSocket is closing");
  /* The future waits for the pong; the frame goes without one. */
  if ((op = ah__ws_op_new(ws, OP_PING, len, 1)) == NULL)
    return ah__ws_failed(ws->set->s, AH_ENOMEM, "no memory for the ping");
  op->len = len; /* the payload its pong must carry */
  if (len != 0)
    memcpy(op->data, data, len);
  if ((frame = ah__ws_op_new(ws, OP_SEND, len, 0)) == NULL) {
    f = op->f;
    op->f = NULL;
    ah__free(op);
    ah__future_complete(f, AH_ENOMEM, NULL, NULL);
    return f;
  }
  f = op->f;
  frame->flags = CURLWS_PING;
  frame->len = len;
  if (len != 0)
    memcpy(frame->data, data, len);
  drop_canceled_ping(ws);
  ah__ws_list_push(&ws->pings, op);
  ah__ws_queue_send(ws, frame);
  return f;
}

ah_future *ah_ws_close(ah_ws *ws, int code, const char *reason)
{
  struct ah__ws_op *op, *frame;
  size_t rlen = reason ? strlen(reason) : 0;
  ah_future *f;

  if (ws == NULL)
    return ah__ws_failed(NULL, AH_EINVAL, "the WebSocket is NULL");
  /* The arguments first: wrong whatever the state. */
  if (!ah__ws_hs_close_code(code) || rlen > 123 ||
      !ah__ws_hs_utf8(reason ? reason : "", rlen))
    return ah__ws_failed(ws->set ? ws->set->s : NULL, AH_EINVAL,
                  "a close code is 1000 to 1003, 1007 to 1014 or 3000 to 4999, "
                  "its reason UTF-8 of at most 123 bytes");
  if (ws->set == NULL)
    return ah__ws_failed(NULL, ws->peer_closed ? AH_OK : ws->end_err,
                  ws->peer_closed ? NULL : ws->end_msg);
  if ((op = ah__ws_op_new(ws, OP_CLOSE, 0, 1)) == NULL)
    return ah__ws_failed(ws->set->s, AH_ENOMEM, "no memory for the close");
  if (!ws->close_sent) {
    if ((frame = ah__ws_op_new(ws, OP_SEND, 2 + rlen, 0)) == NULL) {
      f = op->f;
      op->f = NULL;
      ah__free(op);
      ah__future_complete(f, AH_ENOMEM, NULL, NULL);
      return f;
    }
    f = op->f;
    frame->flags = CURLWS_CLOSE;
    frame->len = 2 + rlen;
    frame->data[0] = (char)(code >> 8);
    frame->data[1] = (char)(code & 0xff);
    memcpy(frame->data + 2, reason ? reason : "", rlen);
    ws->close_sent = 1;
    if (ws->state == OPEN)
      ws->state = CLOSING;
    ah__ws_list_push(&ws->closes, op);
    ah__ws_queue_send(ws, frame);
    return f;
  }
  return start(ws, op);
}

int ah_ws_message(const ah_future *f, const char **data, size_t *len)
{
  const struct ah__ws_msg *m;
  int err;

  if (f == NULL)
    return AH_EINVAL;
  err = ah_future_error(f);
  if (err != AH_OK)
    return err;
  if ((m = f->payload) == NULL)
    return AH_EINVAL; /* not a received message */
  if (data)
    *data = m->data;
  if (len)
    *len = m->len;
  return m->type;
}

int ah_ws_close_code(const ah_ws *ws, const char **reason)
{
  if (ws == NULL)
    return AH_EINVAL;
  if (reason)
    *reason = ws->close_code ? ws->close_reason : NULL;
  return ws->close_code;
}

void ah_ws_free(ah_ws *ws)
{
  struct ah__ws_set *set;

  if (ws == NULL || ws->free_later)
    return;
  set = ws->state == CONNECTING ? ws->set : NULL;
  if (ws->busy > 0) {
    ws->free_later = 1;
    ah__ws_end(ws, AH_ECANCELED, "the WebSocket was freed", 0);
  } else {
    ah__ws_free_now(ws);
  }
  if (set != NULL)
    ah__ws_arm(set); /* its handshake's deadline no longer counts */
}
