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
 *
 * The socket is read only while something waits for what it brings: a
 * recv, a ping's pong or the close handshake; otherwise the kernel's
 * buffers fill and TCP's flow control holds the server back. libcurl may
 * keep decoded bytes of its own, which no readiness announces: each
 * recv pumps at once.
 *
 * Callbacks: completing a future runs its on_done, which may free the
 * WebSocket or the whole session. Every completion takes the operation
 * out of its list first, and the pumps look again at the WebSocket's
 * state after each one; a WebSocket freed while a pump runs on it is
 * only marked, and freed when the pump ends (busy). */
#include "ahttp.h"

#include <curl/curl.h>
#include <pthread.h>
#include <string.h>

#include "alloc.h"
#include "curl_bridge.h"
#include "curl_caps.h"
#include "error.h"
#include "future.h"
#include "global.h"
#include "reactor.h"
#include "request.h"
#include "request_opts.h"
#include "session.h"
#include "session_opts.h"

/* aiohttp's max_msg_size; a frame may be as large as a message. */
#define DEFAULT_MAX 4194304u
#define READ_CHUNK 16384
#define CLOSE_NO_STATUS 1005

enum op_kind { OP_CONNECT, OP_RECV, OP_SEND, OP_PING, OP_CLOSE };

/* A message as it is assembled, then the payload of its future. */
struct ah__ws_msg {
  struct ah__ws_msg *next;
  int type;        /* AH_WS_TEXT, AH_WS_BINARY, AH_WS_CLOSE */
  size_t len, cap; /* data[len] is a NUL */
  char data[];
};

struct ah__ws_op {
  struct ah__ws_op *next;
  int kind;
  ah_future *f;    /* NULL: a frame of ahttp's own (the reply to a close) */
  ah_ws *ws;
  unsigned flags;  /* OP_SEND: CURLWS_* */
  int started;     /* OP_SEND: handed to libcurl, which may hold part of
                      it: it must go on whole, canceled or not */
  size_t len, off; /* OP_SEND: bytes of data, sent so far */
  char data[];
};

struct list {
  struct ah__ws_op *head, **tail;
};

struct ws_set {
  ah_session *s;
  struct ah__reactor *r;
  struct ah__bridge bridge;
  int handler;       /* reactor handler of open WebSockets' sockets */
  ah_ws *head;       /* every WebSocket with a connection or connecting */
};

enum state { CONNECTING, OPEN, CLOSING, ENDED };

struct ah_ws {
  struct ws_set *set;   /* NULL once ended */
  ah_ws *prev, *next;
  CURL *easy;
  struct curl_slist *headers;
  int state;
  int fd;               /* the socket once open, -1 */
  unsigned watching;    /* AH__IO_* asked of the reactor */
  int busy;             /* pumps under way */
  int free_later;       /* freed by the caller during a pump */
  int close_sent;       /* a close frame is queued or sent */
  int peer_closed;      /* the peer's close frame arrived */
  int close_code;       /* the peer's, 0 before it */
  char close_reason[124];
  int end_err;          /* why it ended, for operations after */
  char *end_msg;
  size_t max_frame, max_message;
  struct ah__ws_op *connect;
  struct list recvs, sends, pings, closes;
  struct ah__ws_msg *part;              /* being assembled */
  struct ah__ws_msg *ready, **ready_tail; /* complete, no recv yet */
  char url[]; /* for messages, credentials removed by ah__message */
};

static struct ah__future_ops ws_ops;
static pthread_once_t ops_once = PTHREAD_ONCE_INIT;

static int op_cancel(ah_future *f);

static void ops_init(void)
{
  ws_ops = *ah__session_future_ops();
  ws_ops.cancel = op_cancel;
}

static void list_init(struct list *l)
{
  l->head = NULL;
  l->tail = &l->head;
}

static void list_push(struct list *l, struct ah__ws_op *op)
{
  op->next = NULL;
  *l->tail = op;
  l->tail = &op->next;
}

static struct ah__ws_op *list_pop(struct list *l)
{
  struct ah__ws_op *op = l->head;

  if (op != NULL && (l->head = op->next) == NULL)
    l->tail = &l->head;
  return op;
}

static int list_unlink(struct list *l, struct ah__ws_op *op)
{
  struct ah__ws_op **p;

  for (p = &l->head; *p != NULL; p = &(*p)->next) {
    if (*p == op) {
      if ((*p = op->next) == NULL)
        l->tail = p;
      return 1;
    }
  }
  return 0;
}

/* A future of s, already completed with err (s may be NULL). */
static ah_future *failed(ah_session *s, int err, const char *why)
{
  ah_future *f;

  pthread_once(&ops_once, ops_init);
  f = ah__future_new(&ws_ops, s);
  if (f != NULL)
    ah__future_complete(f, err, NULL,
                        why != NULL ? ah__message(err, why, NULL) : NULL);
  return f;
}

/* Complete op's future (if any) and free op; op is out of every list. */
static void finish(struct ah__ws_op *op, int err, const char *why,
                   struct ah__ws_msg *msg, int curl_code)
{
  ah_future *f = op->f;

  ah__free(op);
  if (f == NULL) {
    ah__free(msg);
    return;
  }
  f->payload = msg;
  f->curl_code = curl_code;
  ah__future_complete(f, err, NULL,
                      why != NULL ? ah__message(err, why, NULL) : NULL);
}

static struct ah__ws_op *op_new(ah_ws *ws, int kind, size_t extra, int with_future)
{
  struct ah__ws_op *op = ah__calloc(1, sizeof *op + extra);

  if (op == NULL)
    return NULL;
  op->kind = kind;
  op->ws = ws;
  if (with_future) {
    op->f = ah__future_new(&ws_ops, ws->set->s);
    if (op->f == NULL) {
      ah__free(op);
      return NULL;
    }
    op->f->u.ws = op;
  }
  return op;
}

/* The connection: watching, and its end. */

static void watch(ah_ws *ws)
{
  unsigned want = 0;

  if (ws->fd < 0 || ws->set == NULL)
    return;
  if (ws->recvs.head || ws->pings.head || ws->closes.head)
    want |= AH__IO_IN;
  if (ws->sends.head)
    want |= AH__IO_OUT;
  if (want == ws->watching)
    return;
  if (want == 0)
    ah__reactor_unwatch(ws->set->r, ws->fd);
  else
    (void)ah__reactor_watch(ws->set->r, ws->fd, want, ws->set->handler,
                            ws->watching == 0);
  ws->watching = want;
}

/* Drop the connection and libcurl's handle (nothing is sent). */
static void drop_connection(ah_ws *ws)
{
  struct ws_set *set = ws->set;

  if (set == NULL)
    return;
  if (ws->fd >= 0 && ws->watching)
    ah__reactor_unwatch(set->r, ws->fd);
  ws->watching = 0;
  ws->fd = -1;
  if (ws->easy != NULL) {
    ah__bridge_remove(&set->bridge, ws->easy); /* closes the connection */
    curl_easy_cleanup(ws->easy);
    ws->easy = NULL;
  }
  curl_slist_free_all(ws->headers);
  ws->headers = NULL;
  if (ws->prev)
    ws->prev->next = ws->next;
  else
    set->head = ws->next;
  if (ws->next)
    ws->next->prev = ws->prev;
  ws->prev = ws->next = NULL;
  ws->set = NULL;
}

static struct ah__ws_msg *close_message(const ah_ws *ws)
{
  size_t n = strlen(ws->close_reason);
  struct ah__ws_msg *m = ah__malloc(sizeof *m + n + 1);

  if (m != NULL) {
    m->next = NULL;
    m->type = AH_WS_CLOSE;
    m->len = m->cap = n;
    memcpy(m->data, ws->close_reason, n + 1);
  }
  return m;
}

/* What an operation on an ended WebSocket gets. */
static void finish_ended(ah_ws *ws, struct ah__ws_op *op)
{
  if (op->kind == OP_RECV && ws->peer_closed) {
    struct ah__ws_msg *m = close_message(ws);
    if (m == NULL)
      finish(op, AH_ENOMEM, "no memory for the close message", NULL, 0);
    else
      finish(op, AH_OK, NULL, m, 0);
  } else if (op->kind == OP_CLOSE && ws->peer_closed) {
    finish(op, AH_OK, NULL, NULL, 0);
  } else {
    finish(op, ws->end_err, ws->end_msg, NULL, 0);
  }
}

/* End ws: drop the connection, then complete every pending operation
 * (a recv after the peer's close gets that close). err and why: the
 * outcome of the others (why copied). Callbacks may free ws: it is held
 * by the caller (busy) or by this function. */
static void end(ah_ws *ws, int err, const char *why, int curl_code)
{
  struct list *lists[4] = {&ws->recvs, &ws->sends, &ws->pings, &ws->closes};
  struct ah__ws_op *op;
  int i;

  if (ws->state != ENDED) {
    ws->state = ENDED;
    ws->end_err = err;
    ws->end_msg = ah__strdup(why); /* NULL: ah_strerror's text then */
  }
  drop_connection(ws);
  ws->busy++;
  if ((op = ws->connect) != NULL) {
    ws->connect = NULL;
    finish(op, err, why, NULL, curl_code);
  }
  for (i = 0; i < 4; i++)
    while ((op = list_pop(lists[i])) != NULL)
      finish_ended(ws, op);
  ws->busy--;
}

/* Sending. */

static int pump_sends(ah_ws *ws)
{
  struct ah__ws_op *op;
  size_t n;
  CURLcode rc;

  while ((op = ws->sends.head) != NULL && ws->easy != NULL) {
    n = 0;
    op->started = 1;
    rc = curl_ws_send(ws->easy, op->data + op->off, op->len - op->off, &n, 0,
                      op->flags);
    if (rc == CURLE_AGAIN)
      return 0;
    if (rc != CURLE_OK) {
      end(ws, AH_EIO, "the WebSocket connection failed while sending", (int)rc);
      return -1;
    }
    op->off += n;
    if (op->off < op->len || (op->len == 0 && n != 0))
      continue; /* more of it, or wait until writable */
    list_pop(&ws->sends);
    finish(op, AH_OK, NULL, NULL, 0);
    if (ws->state == ENDED)
      return -1;
  }
  /* The reply to the peer's close is out: the handshake is done. */
  if (ws->peer_closed && ws->close_sent && ws->sends.head == NULL) {
    end(ws, AH_EIO, "the WebSocket is closed", 0);
    return -1;
  }
  return 0;
}

static void pump(ah_ws *ws);

/* Queue a frame; sent at once when nothing else is under way. */
static void queue_send(ah_ws *ws, struct ah__ws_op *op)
{
  list_push(&ws->sends, op);
  if (ws->state == OPEN || ws->state == CLOSING) {
    if (ws->busy == 0)
      pump(ws); /* may free ws */
    else
      watch(ws);
  }
}

/* Receiving. */

static int deliver(ah_ws *ws, struct ah__ws_msg *m)
{
  struct ah__ws_op *op = list_pop(&ws->recvs);

  if (op == NULL) { /* read for a ping or a close: kept for a recv */
    m->next = NULL;
    *ws->ready_tail = m;
    ws->ready_tail = &m->next;
    return 0;
  }
  finish(op, AH_OK, NULL, m, 0);
  return ws->state == ENDED ? -1 : 0;
}

static void on_peer_close(ah_ws *ws, const char *p, size_t n)
{
  size_t r;

  ws->peer_closed = 1;
  ws->close_code = n >= 2 ? ((unsigned char)p[0] << 8) | (unsigned char)p[1]
                          : CLOSE_NO_STATUS;
  r = n > 2 ? n - 2 : 0;
  if (r >= sizeof ws->close_reason)
    r = sizeof ws->close_reason - 1;
  memcpy(ws->close_reason, p + 2, r);
  ws->close_reason[r] = '\0';
}

/* One decoded chunk of a frame. 0 to go on, -1 when ws ended. */
static int take(ah_ws *ws, const char *buf, size_t n,
                const struct curl_ws_frame *meta)
{
  struct ah__ws_msg *m = ws->part;
  int flags = meta->flags;
  size_t frame = (size_t)meta->offset + n + (size_t)meta->bytesleft;
  size_t want;

  if (flags & CURLWS_PONG) {
    struct ah__ws_op *op;
    if (meta->bytesleft == 0 && (op = list_pop(&ws->pings)) != NULL)
      finish(op, AH_OK, NULL, NULL, 0);
    return ws->state == ENDED ? -1 : 0;
  }
  if (flags & CURLWS_PING) {
    /* Only with CURLWS_NOAUTOPONG (else libcurl keeps pings to itself):
     * the pong, with the ping's payload (at most 125 bytes, whole). */
    struct ah__ws_op *op;
    if (ws->close_sent || meta->offset != 0 || meta->bytesleft != 0)
      return 0;
    if ((op = op_new(ws, OP_SEND, n, 0)) == NULL) {
      end(ws, AH_ENOMEM, "no memory for a pong", 0);
      return -1;
    }
    op->flags = CURLWS_PONG;
    op->len = n;
    memcpy(op->data, buf, n);
    list_push(&ws->sends, op);
    return pump_sends(ws);
  }
  if (meta->offset == 0 && frame > ws->max_frame) {
    end(ws, AH_ETOOLARGE, "a WebSocket frame is larger than the frame limit", 0);
    return -1;
  }
  if (m == NULL) {
    if ((m = ah__malloc(sizeof *m + 256)) == NULL) {
      end(ws, AH_ENOMEM, "no memory for a WebSocket message", 0);
      return -1;
    }
    m->next = NULL;
    m->type = flags & CURLWS_CLOSE ? AH_WS_CLOSE
              : flags & CURLWS_BINARY ? AH_WS_BINARY : AH_WS_TEXT;
    m->len = 0;
    m->cap = 255;
    ws->part = m;
  }
  if (m->len + n + (size_t)meta->bytesleft > ws->max_message ||
      m->len + n + (size_t)meta->bytesleft < m->len) {
    end(ws, AH_ETOOLARGE, "a WebSocket message is larger than the message limit", 0);
    return -1;
  }
  want = m->len + n + (size_t)meta->bytesleft;
  if (want > m->cap) {
    struct ah__ws_msg *g = ah__realloc(m, sizeof *m + want + 1);
    if (g == NULL) {
      end(ws, AH_ENOMEM, "no memory for a WebSocket message", 0);
      return -1;
    }
    ws->part = m = g;
    m->cap = want;
  }
  memcpy(m->data + m->len, buf, n);
  m->len += n;
  m->data[m->len] = '\0';
  if (meta->bytesleft != 0 || (flags & CURLWS_CONT))
    return 0;
  ws->part = NULL;
  if (m->type != AH_WS_CLOSE)
    return deliver(ws, m);
  on_peer_close(ws, m->data, m->len);
  ah__free(m);
  {
    struct ah__ws_op *op;
    while ((op = list_pop(&ws->closes)) != NULL) {
      finish(op, AH_OK, NULL, NULL, 0);
      if (ws->state == ENDED)
        return -1;
    }
  }
  if (!ws->close_sent) {
    /* The reply: the peer's code alone (RFC 6455 5.5.1). */
    struct ah__ws_op *op = op_new(ws, OP_SEND, 2, 0);
    if (op == NULL) {
      end(ws, AH_ENOMEM, "no memory for the WebSocket close reply", 0);
      return -1;
    }
    op->flags = CURLWS_CLOSE;
    op->len = ws->close_code == CLOSE_NO_STATUS ? 0 : 2;
    op->data[0] = (char)(ws->close_code >> 8);
    op->data[1] = (char)(ws->close_code & 0xff);
    ws->close_sent = 1;
    ws->state = CLOSING;
    list_push(&ws->sends, op);
  }
  /* The reply goes out (pump_sends then ends ws: pending recvs get the
   * close), or waits for the socket to take it. */
  (void)pump_sends(ws);
  return -1;
}

static int wants_read(const ah_ws *ws)
{
  return ws->recvs.head || ws->pings.head || ws->closes.head;
}

static void pump_recv(ah_ws *ws)
{
  char buf[READ_CHUNK];
  const struct curl_ws_frame *meta;
  struct ah__ws_msg *m;
  size_t n;
  CURLcode rc;

  while (ws->state != ENDED && ws->easy != NULL && !ws->peer_closed) {
    /* Messages read earlier go first. */
    while (ws->recvs.head != NULL && (m = ws->ready) != NULL) {
      if ((ws->ready = m->next) == NULL)
        ws->ready_tail = &ws->ready;
      if (deliver(ws, m) < 0)
        return;
    }
    if (!wants_read(ws))
      return;
    n = 0;
    meta = NULL;
    /* 7.88's headers declare the frame pointer without const */
    rc = curl_ws_recv(ws->easy, buf, sizeof buf, &n, (void *)&meta);
    if (rc == CURLE_AGAIN)
      return;
    if (rc == CURLE_GOT_NOTHING) {
      end(ws, AH_EIO, "the server closed the WebSocket connection without a "
          "close frame", (int)rc);
      return;
    }
    if (rc != CURLE_OK || meta == NULL) {
      end(ws, rc == CURLE_OUT_OF_MEMORY ? AH_ENOMEM : AH_EIO,
          "the WebSocket connection failed while receiving", (int)rc);
      return;
    }
    if (take(ws, buf, n, meta) < 0)
      return;
  }
}

/* Both ways, held: callbacks may free ws (then freed here at the end). */
static void ws_free_now(ah_ws *ws);

static void pump(ah_ws *ws)
{
  ws->busy++;
  if (pump_sends(ws) == 0)
    pump_recv(ws);
  ws->busy--;
  if (ws->free_later && ws->busy == 0) {
    ws_free_now(ws);
    return;
  }
  watch(ws);
}

static void on_io(void *arg, int fd, unsigned flags)
{
  struct ws_set *set = arg;
  ah_ws *ws;

  (void)flags;
  for (ws = set->head; ws != NULL; ws = ws->next)
    if (ws->fd == fd)
      break;
  if (ws == NULL) {
    ah__reactor_unwatch(set->r, fd);
    return;
  }
  pump(ws);
}

/* The handshake's end (the bridge's done, outside libcurl's calls). */
static void on_done(void *arg, CURL *easy, CURLcode rc)
{
  struct ws_set *set = arg;
  ah_ws *ws = NULL;
  long status = 0;
  curl_socket_t fd = CURL_SOCKET_BAD;
  struct ah__ws_op *op;

  char *priv = NULL;

  (void)set;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
  ws = (ah_ws *)(void *)priv;
  if (ws == NULL || ws->state != CONNECTING)
    return;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK || status != 101) {
    struct ah__failure fl;
    char why[160];
    int err;
    memset(&fl, 0, sizeof fl);
    fl.rc = rc;
    curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &fl.os_errno);
    fl.headers_done = status != 0;
    err = rc == CURLE_OK ? AH_EPROTO : ah__error_from_curl(&fl);
    if (status != 0 && status != 101) {
      err = AH_EPROTO;
      snprintf(why, sizeof why,
               "the server refused the WebSocket upgrade (status %ld)", status);
    } else {
      snprintf(why, sizeof why, "the WebSocket handshake failed: %s",
               curl_easy_strerror(rc));
    }
    end(ws, err, why, status != 0 ? 0 : (int)rc);
    return;
  }
  if (curl_easy_getinfo(easy, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK ||
      fd == CURL_SOCKET_BAD) {
    end(ws, AH_EIO, "the WebSocket connection is gone after its handshake", 0);
    return;
  }
  ws->fd = fd;
  ws->state = OPEN;
  op = ws->connect;
  ws->connect = NULL;
  ws->busy++;
  finish(op, AH_OK, NULL, NULL, 0);
  ws->busy--;
  if (ws->free_later && ws->busy == 0) {
    ws_free_now(ws);
    return;
  }
  if (ws->state == OPEN || ws->state == CLOSING)
    pump(ws); /* what was asked of it while it connected */
}

static void on_watch_failed(void *arg, CURL *easy, int err)
{
  (void)arg;
  (void)easy;
  (void)err; /* the handshake then ends by the connect timeout */
}

static const struct ah__bridge_ops bridge_ops = {on_done, on_watch_failed, NULL};

/* The session's side (session.h): closing, then destroyed. */
static void set_close(void *p, int final)
{
  struct ws_set *set = p;

  if (!final) {
    while (set->head != NULL) {
      ah_ws *ws = set->head;
      ws->busy++;
      end(ws, AH_ECANCELED, "the session was freed", 0);
      ws->busy--;
      if (ws->free_later && ws->busy == 0)
        ws_free_now(ws);
    }
    return;
  }
  ah__bridge_close(&set->bridge);
  ah__free(set);
}

static struct ws_set *set_of(ah_session *s)
{
  struct ws_set *set = ah__session_ws(s);

  if (set != NULL)
    return set;
  if ((set = ah__calloc(1, sizeof *set)) == NULL)
    return NULL;
  set->s = s;
  set->r = ah__session_reactor(s);
  if ((set->handler = ah__reactor_handler(set->r, on_io, set)) < 0 ||
      ah__bridge_init(&set->bridge, set->r, &bridge_ops, set) < 0 ||
      (set->bridge.timer = ah__reactor_timer(set->r, ah__bridge_on_timer,
                                             &set->bridge)) < 0) {
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
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  SET(CURLOPT_TIMEOUT_MS, total_ms); /* the handshake's */
  SET(CURLOPT_PROXY, d->proxy ? d->proxy : "");
  SET(CURLOPT_NOPROXY, "");
  if (d->unix_path)
    SET(CURLOPT_UNIX_SOCKET_PATH, d->unix_path);
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
  struct ws_set *set;
  const char *why = NULL;
  ah_ws *ws;
  ah_future *f;
  size_t ulen;
  int tls, err;

  if (out != NULL)
    *out = NULL;
  if (s == NULL || out == NULL)
    return failed(s, AH_EINVAL, s == NULL ? "the session is NULL"
                                          : "no place for the WebSocket (ws is NULL)");
  if (ah__session_closing(s))
    return failed(s, AH_ECANCELED, "the session is being freed");
  if (ah_ws_check(&why) != AH_OK)
    return failed(s, AH_ENOTSUP, why);
  if (url == NULL || !scheme_ok(url, &tls) || strpbrk(url, "\r\n \t") != NULL)
    return failed(s, AH_EINVAL, "the URL is not a ws:// or wss:// URL");
  if (tls && !ah__curl_caps()->wss)
    return failed(s, AH_ENOTSUP, "the libcurl in this process has no wss (WebSocket over TLS)");
  sp = ah__reqspec_ref(opts);
  if ((err = ah__reqspec_error(sp, &why)) != AH_OK) {
    ah__reqspec_unref(sp);
    return failed(s, err, why);
  }
  if ((set = set_of(s)) == NULL) {
    ah__reqspec_unref(sp);
    return failed(s, AH_ENOMEM, "no room for the session's WebSockets");
  }
  ulen = strlen(url) + 1;
  if ((ws = ah__calloc(1, sizeof *ws + ulen)) == NULL) {
    ah__reqspec_unref(sp);
    return failed(s, AH_ENOMEM, "no memory for the WebSocket");
  }
  memcpy(ws->url, url, ulen);
  ws->set = set;
  ws->fd = -1;
  ws->state = CONNECTING;
  ws->max_frame = ws->max_message = DEFAULT_MAX;
  list_init(&ws->recvs);
  list_init(&ws->sends);
  list_init(&ws->pings);
  list_init(&ws->closes);
  ws->ready_tail = &ws->ready;
  pthread_once(&ops_once, ops_init);
  if ((ws->connect = op_new(ws, OP_CONNECT, 0, 1)) == NULL) {
    ah__reqspec_unref(sp);
    ah__free(ws);
    return failed(s, AH_ENOMEM, "no memory for the WebSocket");
  }
  f = ws->connect->f;
  ws->next = set->head;
  if (set->head)
    set->head->prev = ws;
  set->head = ws;
  *out = ws;
  if ((ws->easy = curl_easy_init()) == NULL) {
    ah__reqspec_unref(sp);
    end(ws, AH_ENOMEM, "no memory for the WebSocket's handle", 0);
    return f;
  }
  {
    CURLcode rc = setup(ws, ah__session_defaults(s), sp, url);
    CURLMcode mc;
    ah__reqspec_unref(sp);
    if (rc != CURLE_OK) {
      end(ws, rc == CURLE_OUT_OF_MEMORY ? AH_ENOMEM : AH_EINVAL,
          rc == CURLE_OUT_OF_MEMORY ? "no memory for the WebSocket's options"
                                    : "libcurl refused the WebSocket's options", (int)rc);
      return f;
    }
    if ((mc = ah__bridge_add(&set->bridge, ws->easy)) != CURLM_OK)
      end(ws, ah__error_from_multi(mc), "libcurl refused the WebSocket", 0);
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
  return AH_OK;
}

/* An operation of ws, or a future already failed: ENDED gives the end's
 * outcome (a recv after the peer's close: that close). */
static ah_future *start(ah_ws *ws, struct ah__ws_op *op)
{
  ah_future *f = op->f;

  if (ws->state == ENDED) {
    finish_ended(ws, op);
    return f;
  }
  switch (op->kind) {
  case OP_RECV:
    list_push(&ws->recvs, op);
    if (ws->state != CONNECTING && ws->busy == 0)
      pump(ws);
    else if (ws->state != CONNECTING)
      watch(ws);
    break;
  case OP_CLOSE:
    list_push(&ws->closes, op);
    watch(ws);
    break;
  default:
    queue_send(ws, op); /* may complete f, and free ws */
    break;
  }
  return f;
}

ah_future *ah_ws_recv(ah_ws *ws)
{
  struct ah__ws_op *op;

  if (ws == NULL)
    return failed(NULL, AH_EINVAL, "the WebSocket is NULL");
  if (ws->set == NULL) { /* ended: no session to own a new future */
    pthread_once(&ops_once, ops_init);
    if ((op = ah__calloc(1, sizeof *op)) == NULL)
      return NULL;
    op->kind = OP_RECV;
    if ((op->f = ah__future_new(&ws_ops, NULL)) == NULL) {
      ah__free(op);
      return NULL;
    }
    return start(ws, op);
  }
  if ((op = op_new(ws, OP_RECV, 0, 1)) == NULL)
    return failed(ws->set->s, AH_ENOMEM, "no memory for the receive");
  return start(ws, op);
}

static ah_future *send_frame(ah_ws *ws, unsigned flags, const void *data,
                             size_t len, const char *what)
{
  struct ah__ws_op *op;

  if (ws == NULL)
    return failed(NULL, AH_EINVAL, "the WebSocket is NULL");
  if (data == NULL && len != 0)
    return failed(ws->set ? ws->set->s : NULL, AH_EINVAL, "data is NULL");
  if (ws->set == NULL)
    return failed(NULL, ws->end_err, ws->end_msg);
  if (ws->close_sent)
    return failed(ws->set->s, AH_EINVAL, "the WebSocket is closing");
  if ((op = op_new(ws, OP_SEND, len, 1)) == NULL)
    return failed(ws->set->s, AH_ENOMEM, what);
  op->flags = flags;
  op->len = len;
  if (len != 0)
    memcpy(op->data, data, len);
  return start(ws, op);
}

ah_future *ah_ws_send(ah_ws *ws, ah_ws_type type, const void *data, size_t len)
{
  if (type != AH_WS_TEXT && type != AH_WS_BINARY)
    return failed(ws && ws->set ? ws->set->s : NULL, AH_EINVAL,
                  "a message is AH_WS_TEXT or AH_WS_BINARY");
  return send_frame(ws, type == AH_WS_TEXT ? CURLWS_TEXT : CURLWS_BINARY, data,
                    len, "no memory for the message");
}

ah_future *ah_ws_ping(ah_ws *ws, const void *data, size_t len)
{
  struct ah__ws_op *op, *frame;
  ah_future *f;

  if (ws == NULL)
    return failed(NULL, AH_EINVAL, "the WebSocket is NULL");
  if (ws->set == NULL)
    return failed(NULL, ws->end_err, ws->end_msg);
  if (len > 125 || (data == NULL && len != 0))
    return failed(ws->set->s, AH_EINVAL, "a ping carries at most 125 bytes");
  if (ws->close_sent)
    return failed(ws->set->s, AH_EINVAL, "the WebSocket is closing");
  /* The future waits for the pong; the frame goes without one. */
  if ((op = op_new(ws, OP_PING, 0, 1)) == NULL)
    return failed(ws->set->s, AH_ENOMEM, "no memory for the ping");
  if ((frame = op_new(ws, OP_SEND, len, 0)) == NULL) {
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
  list_push(&ws->pings, op);
  queue_send(ws, frame);
  return f;
}

ah_future *ah_ws_close(ah_ws *ws, int code, const char *reason)
{
  struct ah__ws_op *op, *frame;
  size_t rlen = reason ? strlen(reason) : 0;
  ah_future *f;

  if (ws == NULL)
    return failed(NULL, AH_EINVAL, "the WebSocket is NULL");
  if (ws->set == NULL)
    return failed(NULL, ws->peer_closed ? AH_OK : ws->end_err,
                  ws->peer_closed ? NULL : ws->end_msg);
  if (code < 1000 || code > 4999 || code == 1005 || code == 1006 ||
      code == 1015 || rlen > 123)
    return failed(ws->set->s, AH_EINVAL,
                  "a close code is 1000 to 4999 (not 1005, 1006 or 1015), "
                  "its reason at most 123 bytes");
  if ((op = op_new(ws, OP_CLOSE, 0, 1)) == NULL)
    return failed(ws->set->s, AH_ENOMEM, "no memory for the close");
  if (!ws->close_sent) {
    if ((frame = op_new(ws, OP_SEND, 2 + rlen, 0)) == NULL) {
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
    list_push(&ws->closes, op);
    queue_send(ws, frame);
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

/* A pending operation's future was canceled (or freed). */
static int op_cancel(ah_future *f)
{
  struct ah__ws_op *op = f->u.ws;
  ah_ws *ws;

  if (op == NULL)
    return AH_OK;
  ws = op->ws;
  if (op->kind == OP_CONNECT) {
    /* Canceling the handshake ends the WebSocket. */
    ws->busy++;
    end(ws, AH_ECANCELED, "canceled", 0);
    ws->busy--;
    if (ws->free_later && ws->busy == 0)
      ws_free_now(ws);
    return AH_OK;
  }
  if (op->kind == OP_SEND && op->started) {
    /* Half a frame is out: the frame goes on, its future no more. */
    op->f = NULL;
    ah__future_complete(f, AH_ECANCELED, NULL, NULL);
    return AH_OK;
  }
  if (!list_unlink(&ws->recvs, op) && !list_unlink(&ws->sends, op) &&
      !list_unlink(&ws->pings, op))
    (void)list_unlink(&ws->closes, op);
  finish(op, AH_ECANCELED, NULL, NULL, 0);
  watch(ws);
  return AH_OK;
}

static void ws_free_now(ah_ws *ws)
{
  struct ah__ws_msg *m;

  ws->busy = 1; /* the last callbacks must not free it again */
  end(ws, AH_ECANCELED, "the WebSocket was freed", 0);
  while ((m = ws->ready) != NULL) {
    ws->ready = m->next;
    ah__free(m);
  }
  ah__free(ws->part);
  ah__free(ws->end_msg);
  ah__free(ws);
}

void ah_ws_free(ah_ws *ws)
{
  if (ws == NULL || ws->free_later)
    return;
  if (ws->busy > 0) {
    ws->free_later = 1;
    end(ws, AH_ECANCELED, "the WebSocket was freed", 0);
    return;
  }
  ws_free_now(ws);
}
