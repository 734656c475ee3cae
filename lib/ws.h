/* ws.h - a WebSocket's state, shared by ws.c (the public functions and
 * the handshake) and ws_io.c (frames both ways, and the end).
 *
 * A WebSocket's operations (connect, recv, send, ping, close) each hold
 * a future of the session; each waits in one list of its WebSocket, and
 * is taken out of it before its future completes (whose callback may
 * free the WebSocket or the session: see busy and free_later). */
#ifndef AH_WS_H
#define AH_WS_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "ahttp.h"
#include "curl_bridge.h"
#include "ws_hs.h"

struct ah__reactor;

/* aiohttp's max_msg_size; a frame may be as large as a message. */
#define DEFAULT_MAX 4194304u
#define READ_CHUNK 16384
/* What a pump may read in one reactor turn: each curl_ws_recv costs 1,
 * plus 1 per KiB it gave (about 1,000 frames, or 1 MiB). A peer that
 * sends without pause (say empty fragments as fast as it can) gets this
 * much of a turn, then the pump yields to the rest of the session and
 * comes back on the next turn (the set's timer): waits keep their
 * timeouts. */
#define READ_BUDGET 1024
#define CLOSE_NO_STATUS 1005

enum ah__ws_op_kind { OP_CONNECT, OP_RECV, OP_SEND, OP_PING, OP_CLOSE };

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
  size_t len, off; /* OP_SEND: bytes of data, sent so far; OP_PING: len
                      bytes of payload, f NULL once canceled (kept for
                      its pong) */
  char data[];
};

struct ah__ws_list {
  struct ah__ws_op *head, **tail;
};

struct ah__ws_set {
  ah_session *s;
  struct ah__reactor *r;
  struct ah__bridge bridge;
  int handler;       /* reactor handler of open WebSockets' sockets */
  int timer;         /* reactor timer: handshake deadlines, pumps to resume */
  ah_ws *head;       /* every WebSocket with a connection or connecting */
};

enum ah__ws_state { CONNECTING, OPEN, CLOSING, ENDED };

struct ah_ws {
  struct ah__ws_set *set;   /* NULL once ended */
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
  int again;            /* its pump spent its budget: resume next turn */
  int64_t deadline;     /* CONNECTING: the handshake's end (monotonic ns),
                           AH__NO_DEADLINE without a total timeout */
  int close_code;       /* the peer's, 0 before it */
  char close_reason[124];
  char ctl[125];        /* a control frame as it comes */
  size_t ctl_len;
  int socket_err;       /* errno of a socket() that failed, 0 */
  int end_err;          /* why it ended, for operations after */
  char *end_msg;
  size_t max_frame, max_message;
  unsigned long oom_mark; /* ah__alloc_failures() when the handshake began */
  struct ah__ws_hs hs;  /* the handshake's checks (ws_hs.h) */
  struct ah__ws_op *connect;
  struct ah__ws_list recvs, sends, pings, closes;
  struct ah__ws_msg *part;              /* being assembled */
  struct ah__ws_msg *ready, **ready_tail; /* complete, no recv yet */
  size_t kept;                          /* their bytes */
  char url[]; /* for messages, credentials removed by ah__message */
};


/* A future of s for a WebSocket's operation (cancel reaches ws_io.c). */
ah_future *ah__ws_future(ah_session *s);
/* A future of s (may be NULL) already completed with err; why: the
 * detail (NULL: none). NULL without memory. */
ah_future *ah__ws_failed(ah_session *s, int err, const char *why);
/* An operation of ws with extra bytes of data, with a future or (a frame
 * of ahttp's own) without. NULL without memory. */
struct ah__ws_op *ah__ws_op_new(ah_ws *ws, int kind, size_t extra, int with_future);
/* Complete op's future (msg becomes its payload) and free op, which is in
 * no list. */
void ah__ws_finish(struct ah__ws_op *op, int err, const char *why,
                   struct ah__ws_msg *msg, int curl_code);
/* What an operation started on an ended WebSocket gets at once. */
void ah__ws_finish_ended(ah_ws *ws, struct ah__ws_op *op);
/* End ws: the connection dropped, every pending operation completed
 * (err and why for most; a recv after the peer's close gets it). */
void ah__ws_end(ah_ws *ws, int err, const char *why, int curl_code);
/* Ask the reactor for what ws's lists wait for. */
void ah__ws_watch(ah_ws *ws);
/* Move frames both ways until the socket would block; may free ws. */
void ah__ws_pump(ah_ws *ws);
/* Queue a frame, sent at once when no pump is under way; may free ws. */
void ah__ws_queue_send(ah_ws *ws, struct ah__ws_op *op);
/* Set the set's timer to the earliest of what waits for it: a pump to
 * resume (at once), a handshake's deadline. */
void ah__ws_arm(struct ah__ws_set *set);
/* The set's timer (arg: the set): handshakes past their deadline end
 * with AH_ETIMEDOUT, pumps that spent their budget resume. */
void ah__ws_on_timer(void *arg);
/* The reactor's handler of open WebSockets' sockets (arg: the set). */
void ah__ws_on_io(void *arg, int fd, unsigned flags);
/* Free ws now: its operations canceled, its memory released. */
void ah__ws_free_now(ah_ws *ws);
void ah__ws_list_init(struct ah__ws_list *l);
void ah__ws_list_push(struct ah__ws_list *l, struct ah__ws_op *op);
int ah__ws_list_unlink(struct ah__ws_list *l, struct ah__ws_op *op);

#endif
