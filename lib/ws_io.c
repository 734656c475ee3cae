/* ws_io.c - a WebSocket's frames both ways, once its handshake is done,
 * and its end.
 *
 * The socket is read only while something waits for what it brings: a
 * recv, a ping's pong or the close handshake; otherwise the kernel's
 * buffers fill and TCP's flow control holds the server back. libcurl may
 * keep decoded bytes of its own, which no readiness announces: each
 * recv pumps at once. Completing a future runs its on_done, which may
 * free the WebSocket or the whole session: each operation leaves its
 * list before it completes, the pumps look at the WebSocket's state
 * again after each completion, and a WebSocket freed during a pump is
 * freed when the pump ends (busy, free_later). */
#include "ws.h"

#include <pthread.h>
#include <string.h>

#include "alloc.h"
#include "future.h"
#include "reactor.h"
#include "request.h"
#include "session.h"

static struct ah__future_ops ws_ops;
static pthread_once_t ops_once = PTHREAD_ONCE_INIT;

static int op_cancel(ah_future *f);

static void ops_init(void)
{
  ws_ops = *ah__session_future_ops();
  ws_ops.cancel = op_cancel;
}

ah_future *ah__ws_future(ah_session *s)
{
  pthread_once(&ops_once, ops_init);
  return ah__future_new(&ws_ops, s);
}

void ah__ws_list_init(struct ah__ws_list *l)
{
  l->head = NULL;
  l->tail = &l->head;
}

void ah__ws_list_push(struct ah__ws_list *l, struct ah__ws_op *op)
{
  op->next = NULL;
  *l->tail = op;
  l->tail = &op->next;
}

static struct ah__ws_op *ah__ws_list_pop(struct ah__ws_list *l)
{
  struct ah__ws_op *op = l->head;

  if (op != NULL && (l->head = op->next) == NULL)
    l->tail = &l->head;
  return op;
}

int ah__ws_list_unlink(struct ah__ws_list *l, struct ah__ws_op *op)
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
ah_future *ah__ws_failed(ah_session *s, int err, const char *why)
{
  ah_future *f;

  f = ah__ws_future(s);
  if (f != NULL)
    ah__future_complete(f, err, NULL,
                        why != NULL ? ah__message(err, why, NULL) : NULL);
  return f;
}

/* Complete op's future (if any) and free op; op is out of every list. */
void ah__ws_finish(struct ah__ws_op *op, int err, const char *why,
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

struct ah__ws_op *ah__ws_op_new(ah_ws *ws, int kind, size_t extra, int with_future)
{
  struct ah__ws_op *op;

  if (extra > SIZE_MAX - sizeof *op)
    return NULL; /* callers refuse such a length first (AH_EINVAL) */
  if ((op = ah__calloc(1, sizeof *op + extra)) == NULL)
    return NULL;
  op->kind = kind;
  op->ws = ws;
  if (with_future) {
    op->f = ah__ws_future(ws->set->s);
    if (op->f == NULL) {
      ah__free(op);
      return NULL;
    }
    op->f->u.ws = op;
  }
  return op;
}

/* The connection: watching, and its end. */

/* Something waits for what the socket brings: a receive; or a pong or
 * the peer's close, as long as the messages read meanwhile and kept for
 * later receives stay within the message limit (beyond it, TCP's flow
 * control holds the peer back until a receive takes them). */
static int wants_read(const ah_ws *ws)
{
  const struct ah__ws_op *p;

  if (ws->peer_closed)
    return 0; /* nothing more comes; EOF would be readable every turn */
  if (ws->recvs.head)
    return 1;
  if (ws->kept >= ws->max_message)
    return 0;
  for (p = ws->pings.head; p != NULL; p = p->next)
    if (p->f != NULL) /* not canceled */
      return 1;
  return ws->closes.head != NULL;
}

void ah__ws_watch(ah_ws *ws)
{
  unsigned want = 0;

  if (ws->fd < 0 || ws->set == NULL)
    return;
  if (wants_read(ws))
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
  struct ah__ws_set *set = ws->set;

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

/* What an operation on an ended WebSocket gets: a receive, first the
 * messages kept for receives (read while a ping or the close waited),
 * whatever the end (not once freed), then the peer's close, or the end's
 * error. Also a receive once the peer closed, before the end. */
void ah__ws_finish_ended(ah_ws *ws, struct ah__ws_op *op)
{
  struct ah__ws_msg *kept = ws->ready;

  if (op->kind == OP_RECV && kept != NULL && !ws->free_later) {
    if ((ws->ready = kept->next) == NULL)
      ws->ready_tail = &ws->ready;
    ws->kept -= kept->len;
    ah__ws_finish(op, AH_OK, NULL, kept, 0);
  } else if (op->kind == OP_RECV && ws->peer_closed) {
    struct ah__ws_msg *m = close_message(ws);
    if (m == NULL)
      ah__ws_finish(op, AH_ENOMEM, "no memory for the close message", NULL, 0);
    else
      ah__ws_finish(op, AH_OK, NULL, m, 0);
  } else if (op->kind == OP_CLOSE && ws->peer_closed) {
    ah__ws_finish(op, AH_OK, NULL, NULL, 0);
  } else {
    ah__ws_finish(op, ws->end_err, ws->end_msg, NULL, 0);
  }
}

/* End ws: drop the connection, then complete every pending operation
 * (a recv after the peer's close gets that close). err and why: the
 * outcome of the others (why copied). Callbacks may free ws: it is held
 * by the caller (busy) or by this function. */
void ah__ws_end(ah_ws *ws, int err, const char *why, int curl_code)
{
  struct ah__ws_list *lists[4] = {&ws->recvs, &ws->sends, &ws->pings, &ws->closes};
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
    /* The connect's message names the URL (without credentials). */
    ah_future *f = op->f;
    ws->connect = NULL;
    ah__free(op);
    f->curl_code = curl_code;
    ah__future_complete(f, err, NULL,
                        why != NULL ? ah__message(err, why, ws->url) : NULL);
  }
  for (i = 0; i < 4; i++)
    while ((op = ah__ws_list_pop(lists[i])) != NULL)
      ah__ws_finish_ended(ws, op);
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
      ah__ws_end(ws, rc == CURLE_OUT_OF_MEMORY ? AH_ENOMEM : AH_EIO,
                 "the WebSocket connection failed while sending", (int)rc);
      return -1;
    }
    op->off += n;
    if (op->off < op->len || (op->len == 0 && n != 0))
      continue; /* more of it, or wait until writable */
    ah__ws_list_pop(&ws->sends);
    ah__ws_finish(op, AH_OK, NULL, NULL, 0);
    if (ws->state == ENDED)
      return -1;
  }
  /* The reply to the peer's close is out: the handshake is done. */
  if (ws->peer_closed && ws->close_sent && ws->sends.head == NULL) {
    ah__ws_end(ws, AH_EIO, "the WebSocket is closed", 0);
    return -1;
  }
  return 0;
}

/* Queue a frame; sent at once when nothing else is under way. */
void ah__ws_queue_send(ah_ws *ws, struct ah__ws_op *op)
{
  ah__ws_list_push(&ws->sends, op);
  if (ws->state == OPEN || ws->state == CLOSING) {
    if (ws->busy == 0)
      ah__ws_pump(ws); /* may free ws */
    else
      ah__ws_watch(ws);
  }
}

/* Receiving. */

static int deliver(ah_ws *ws, struct ah__ws_msg *m)
{
  struct ah__ws_op *op = ah__ws_list_pop(&ws->recvs);

  if (op == NULL) { /* read for a ping or a close: kept for a recv */
    ws->kept += m->len;
    m->next = NULL;
    *ws->ready_tail = m;
    ws->ready_tail = &m->next;
    return 0;
  }
  ah__ws_finish(op, AH_OK, NULL, m, 0);
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

/* Once the peer's close came, pending receives need not wait for our
 * reply to be written: they get the kept messages, then the close. 0 to
 * go on, -1 when ws ended. */
static int serve_closed(ah_ws *ws)
{
  struct ah__ws_op *op;

  while (ws->state != ENDED && (op = ah__ws_list_pop(&ws->recvs)) != NULL)
    ah__ws_finish_ended(ws, op);
  return ws->state == ENDED ? -1 : 0;
}

/* The peer broke the protocol (RFC 6455 7.1.7, "Fail the WebSocket
 * Connection"): a close with code goes out if the socket takes it at
 * once, and ws ends with AH_EPROTO. Always -1. */
static int fail(ah_ws *ws, int code, const char *why)
{
  struct ah__ws_op *op;

  if (!ws->close_sent && (op = ah__ws_op_new(ws, OP_SEND, 2, 0)) != NULL) {
    op->flags = CURLWS_CLOSE;
    op->len = 2;
    op->data[0] = (char)(code >> 8);
    op->data[1] = (char)(code & 0xff);
    ws->close_sent = 1;
    ah__ws_list_push(&ws->sends, op);
    (void)pump_sends(ws);
  }
  ah__ws_end(ws, AH_EPROTO, why, 0); /* nothing if pump_sends ended it */
  return -1;
}

/* The peer's close frame, whole in ws->ctl: pending closes complete,
 * the reply goes out, and the connection ends. Always -1. */
static int take_close(ah_ws *ws)
{
  struct ah__ws_op *op;

  if (ws->ctl_len == 1)
    return fail(ws, 1002, "the server broke the WebSocket protocol: a close "
                "frame of one byte");
  if (ws->ctl_len >= 2 &&
      !ah__ws_hs_close_code((unsigned char)ws->ctl[0] << 8 | (unsigned char)ws->ctl[1]))
    return fail(ws, 1002, "the server broke the WebSocket protocol: a close "
                "code no endpoint may send");
  if (ws->ctl_len > 2 && !ah__ws_hs_utf8(ws->ctl + 2, ws->ctl_len - 2))
    return fail(ws, 1007, "the server broke the WebSocket protocol: a close "
                "reason that is not UTF-8");
  on_peer_close(ws, ws->ctl, ws->ctl_len);
  while ((op = ah__ws_list_pop(&ws->closes)) != NULL) {
    ah__ws_finish(op, AH_OK, NULL, NULL, 0);
    if (ws->state == ENDED)
      return -1;
  }
  if (!ws->close_sent) {
    /* The reply: the peer's code alone (RFC 6455 5.5.1). */
    if ((op = ah__ws_op_new(ws, OP_SEND, 2, 0)) == NULL) {
      ah__ws_end(ws, AH_ENOMEM, "no memory for the WebSocket close reply", 0);
      return -1;
    }
    op->flags = CURLWS_CLOSE;
    op->len = ws->close_code == CLOSE_NO_STATUS ? 0 : 2;
    op->data[0] = (char)(ws->close_code >> 8);
    op->data[1] = (char)(ws->close_code & 0xff);
    ws->close_sent = 1;
    ws->state = CLOSING;
    ah__ws_list_push(&ws->sends, op);
  }
  /* The reply goes out (pump_sends then ends ws: pending recvs get the
   * close), or waits for the socket to take it (the recvs get it now). */
  if (pump_sends(ws) == 0)
    (void)serve_closed(ws);
  return -1;
}

/* A control frame (close, ping, pong): gathered in ws->ctl (at most 125
 * bytes, which may come in several reads), then acted on. It may come
 * between the fragments of a message, which stays unfinished in
 * ws->part (RFC 6455 5.4). 0 to go on, -1 when ws ended. */
static int take_control(ah_ws *ws, const char *buf, size_t n,
                        const struct curl_ws_frame *meta)
{
  struct ah__ws_op *op;

  if (meta->offset == 0)
    ws->ctl_len = 0;
  if ((size_t)meta->offset + n + (size_t)meta->bytesleft > sizeof ws->ctl ||
      ws->ctl_len + n > sizeof ws->ctl) {
    return fail(ws, 1002, "the server broke the WebSocket protocol: a control "
                "frame over 125 bytes");
  }
  memcpy(ws->ctl + ws->ctl_len, buf, n);
  ws->ctl_len += n;
  if (meta->bytesleft != 0)
    return 0;
  if (meta->flags & CURLWS_CLOSE)
    return take_close(ws);
  if (meta->flags & CURLWS_PONG) {
    /* The pong of the newest ping with its payload, which answers the
     * pings before it too (RFC 6455 5.5.3: a peer may answer only the
     * latest, and pings of one payload look alike). Another pong is
     * unsolicited: ignored. */
    struct ah__ws_op *p, *q;
    int last;
    for (p = NULL, q = ws->pings.head; q != NULL; q = q->next)
      if (q->len == ws->ctl_len && memcmp(q->data, ws->ctl, q->len) == 0)
        p = q;
    if (p == NULL)
      return 0;
    do {
      op = ah__ws_list_pop(&ws->pings);
      last = op == p;
      ah__ws_finish(op, AH_OK, NULL, NULL, 0); /* a canceled one: freed */
      if (ws->state == ENDED)
        return -1;
    } while (!last);
    return 0;
  }
  /* A ping: only with CURLWS_NOAUTOPONG (else libcurl keeps pings to
   * itself). The pong carries the ping's payload. */
  if (ws->close_sent)
    return 0;
  if ((op = ah__ws_op_new(ws, OP_SEND, ws->ctl_len, 0)) == NULL) {
    ah__ws_end(ws, AH_ENOMEM, "no memory for a pong", 0);
    return -1;
  }
  op->flags = CURLWS_PONG;
  op->len = ws->ctl_len;
  memcpy(op->data, ws->ctl, ws->ctl_len);
  ah__ws_list_push(&ws->sends, op);
  return pump_sends(ws);
}

/* One decoded chunk of a frame. 0 to go on, -1 when ws ended. */
static int take(ah_ws *ws, const char *buf, size_t n,
                const struct curl_ws_frame *meta)
{
  struct ah__ws_msg *m = ws->part;
  int flags = meta->flags;
  size_t frame = (size_t)meta->offset + n + (size_t)meta->bytesleft;
  size_t want;

  if (flags & (CURLWS_CLOSE | CURLWS_PING | CURLWS_PONG))
    return take_control(ws, buf, n, meta);
  if (meta->offset == 0 && frame > ws->max_frame) {
    ah__ws_end(ws, AH_ETOOLARGE, "a WebSocket frame is larger than the frame limit", 0);
    return -1;
  }
  if (m == NULL) {
    if ((m = ah__malloc(sizeof *m + 256)) == NULL) {
      ah__ws_end(ws, AH_ENOMEM, "no memory for a WebSocket message", 0);
      return -1;
    }
    m->next = NULL;
    m->type = flags & CURLWS_BINARY ? AH_WS_BINARY : AH_WS_TEXT;
    m->len = 0;
    m->cap = 255;
    ws->part = m;
  }
  if (m->len + n + (size_t)meta->bytesleft > ws->max_message ||
      m->len + n + (size_t)meta->bytesleft < m->len) {
    ah__ws_end(ws, AH_ETOOLARGE, "a WebSocket message is larger than the message limit", 0);
    return -1;
  }
  want = m->len + n + (size_t)meta->bytesleft;
  if (want > m->cap) {
    /* Twice as much, or the frame's end, within the limit: a message of
     * many small fragments costs O(n) copies, not O(n^2). */
    size_t cap = m->cap <= ws->max_message / 2 ? 2 * m->cap : ws->max_message;
    struct ah__ws_msg *g;
    if (cap < want)
      cap = want;
    if ((g = ah__realloc(m, sizeof *m + cap + 1)) == NULL) {
      ah__ws_end(ws, AH_ENOMEM, "no memory for a WebSocket message", 0);
      return -1;
    }
    ws->part = m = g;
    m->cap = cap;
  }
  memcpy(m->data + m->len, buf, n);
  m->len += n;
  m->data[m->len] = '\0';
  if (meta->bytesleft != 0 || (flags & CURLWS_CONT))
    return 0;
  ws->part = NULL;
  if (m->type == AH_WS_TEXT && !ah__ws_hs_utf8(m->data, m->len)) {
    ah__free(m);
    return fail(ws, 1007, "the server broke the WebSocket protocol: a text "
                "message that is not UTF-8");
  }
  return deliver(ws, m);
}

static void pump_recv(ah_ws *ws)
{
  char buf[READ_CHUNK];
  const struct curl_ws_frame *meta;
  struct ah__ws_msg *m;
  size_t n;
  CURLcode rc;
  int budget = READ_BUDGET;

  ws->again = 0;
  while (ws->state != ENDED && ws->easy != NULL) {
    /* Messages read earlier go first. */
    while (ws->recvs.head != NULL && (m = ws->ready) != NULL) {
      if ((ws->ready = m->next) == NULL)
        ws->ready_tail = &ws->ready;
      ws->kept -= m->len;
      if (deliver(ws, m) < 0)
        return;
    }
    if (ws->peer_closed) {
      (void)serve_closed(ws);
      return;
    }
    if (!wants_read(ws))
      return;
    if (budget <= 0) {
      /* More may be in libcurl's buffers, which no readiness announces. */
      ws->again = 1;
      ah__ws_arm(ws->set);
      return;
    }
    n = 0;
    meta = NULL;
    /* 7.88's headers declare the frame pointer without const */
    rc = curl_ws_recv(ws->easy, buf, sizeof buf, &n, (void *)&meta);
    if (rc == CURLE_AGAIN)
      return;
    if (rc == CURLE_GOT_NOTHING) {
      ah__ws_end(ws, AH_EIO, "the server closed the WebSocket connection without a "
          "close frame", (int)rc);
      return;
    }
    if (rc != CURLE_OK || meta == NULL) {
      ah__ws_end(ws, rc == CURLE_OUT_OF_MEMORY ? AH_ENOMEM : AH_EIO,
          "the WebSocket connection failed while receiving", (int)rc);
      return;
    }
    budget -= 1 + (int)(n >> 10);
    if (take(ws, buf, n, meta) < 0)
      return;
  }
}

/* Both ways, held: callbacks may free ws (then freed here at the end). */

void ah__ws_pump(ah_ws *ws)
{
  ws->busy++;
  if (pump_sends(ws) == 0)
    pump_recv(ws);
  ws->busy--;
  if (ws->free_later && ws->busy == 0) {
    ah__ws_free_now(ws);
    return;
  }
  ah__ws_watch(ws);
}

void ah__ws_on_io(void *arg, int fd, unsigned flags)
{
  struct ah__ws_set *set = arg;
  ah_ws *ws;

  (void)flags;
  for (ws = set->head; ws != NULL; ws = ws->next)
    if (ws->fd == fd)
      break;
  if (ws == NULL) {
    ah__reactor_unwatch(set->r, fd);
    return;
  }
  ah__ws_pump(ws);
}

void ah__ws_arm(struct ah__ws_set *set)
{
  int64_t at = AH__NO_DEADLINE;
  ah_ws *ws;

  for (ws = set->head; ws != NULL; ws = ws->next) {
    if (ws->again) {
      at = ah__now_ns(); /* the next turn */
      break;
    }
    if (ws->state == CONNECTING && ws->deadline < at)
      at = ws->deadline;
  }
  ah__reactor_set_timer(set->r, set->timer, at);
}

/* The next WebSocket the timer has to serve: a pump marked for this round
 * (again 2: marked before the round began, so that a pump that spends its
 * budget again waits for the next turn), or a handshake past its end. */
static ah_ws *due(struct ah__ws_set *set, int64_t now)
{
  ah_ws *ws;

  for (ws = set->head; ws != NULL; ws = ws->next)
    if (ws->again == 2 || (ws->state == CONNECTING && ws->deadline <= now))
      return ws;
  return NULL;
}

void ah__ws_on_timer(void *arg)
{
  struct ah__ws_set *set = arg;
  int64_t now = ah__now_ns();
  ah_ws *ws;

  for (ws = set->head; ws != NULL; ws = ws->next)
    if (ws->again)
      ws->again = 2;
  /* From the head each time: callbacks may free any of them. */
  while ((ws = due(set, now)) != NULL) {
    if (ws->state != CONNECTING) {
      ah__ws_pump(ws); /* clears again */
      continue;
    }
    ws->busy++;
    ah__ws_end(ws, AH_ETIMEDOUT, "the WebSocket handshake took longer than "
               "its total timeout", 0);
    if (--ws->busy == 0 && ws->free_later)
      ah__ws_free_now(ws);
  }
  ah__ws_arm(set);
}

/* A pending operation's future was canceled (or freed). */
static int op_cancel(ah_future *f)
{
  struct ah__ws_op *op = f->u.ws;
  ah_ws *ws;

  if (op == NULL)
    return AH_OK;
  ws = op->ws;
  /* Held: the future's on_done may free ws (then freed here). */
  ws->busy++;
  if (op->kind == OP_CONNECT) {
    /* Canceling the handshake ends the WebSocket. */
    ah__ws_end(ws, AH_ECANCELED, "canceled", 0);
  } else if ((op->kind == OP_SEND && op->started) || op->kind == OP_PING) {
    /* Half a frame is out: the frame goes on, its future no more. A
     * ping stays in its list without a future: its pong, or a later
     * ping's, takes it out (see take_pong). */
    op->f = NULL;
    ah__future_complete(f, AH_ECANCELED, NULL, NULL);
  } else {
    if (!ah__ws_list_unlink(&ws->recvs, op) && !ah__ws_list_unlink(&ws->sends, op) &&
        !ah__ws_list_unlink(&ws->pings, op))
      (void)ah__ws_list_unlink(&ws->closes, op);
    ah__ws_finish(op, AH_ECANCELED, NULL, NULL, 0);
  }
  if (--ws->busy == 0 && ws->free_later)
    ah__ws_free_now(ws);
  else
    ah__ws_watch(ws);
  return AH_OK;
}

void ah__ws_free_now(ah_ws *ws)
{
  struct ah__ws_msg *m;

  ws->busy = 1; /* the last callbacks must not free it again */
  ws->free_later = 1; /* pending receives get no kept message */
  ah__ws_end(ws, AH_ECANCELED, "the WebSocket was freed", 0);
  while ((m = ws->ready) != NULL) {
    ws->ready = m->next;
    ah__free(m);
  }
  ah__free(ws->part);
  ah__free(ws->end_msg);
  ah__free(ws);
}

