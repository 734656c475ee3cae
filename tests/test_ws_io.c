/* test_ws_io.c - a WebSocket's frames both ways (lib/ws_io.c), against
 * Debian's python3-websockets (tests/ws_server.py, a server nobody here
 * wrote): text and binary both ways, a message larger than a socket's
 * buffers, fragmented messages, frame and message limits, the server's
 * close, a server that never answers a close, one that drops the TCP
 * connection, pings both ways. Where the running libcurl has no
 * WebSocket (7.88, 8.5 as built here) each test reports itself skipped
 * with the reason. */
#include <ahttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"
#include "ws.h"
#include "ws_util.h"

static void test_echo_text_and_binary(void **state)
{
  static const char bin[] = {0, 1, 2, (char)255, 0, 'z'};
  ah_session *s;
  ah_future *sends[3];
  ah_ws *ws;
  int i;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  ws = open_ws(s, "/echo");
  /* Three sends in a row, before any is done: they go in order. */
  sends[0] = ah_ws_send(ws, AH_WS_TEXT, "hello, world", 12);
  sends[1] = ah_ws_send(ws, AH_WS_BINARY, bin, sizeof bin);
  sends[2] = ah_ws_send(ws, AH_WS_TEXT, "", 0);
  assert_int_equal(ah_gather(sends, 3, wait_ms(10000)), AH_OK);
  for (i = 0; i < 3; i++) {
    assert_int_equal(ah_future_error(sends[i]), AH_OK);
    ah_future_free(sends[i]);
  }
  assert_int_equal(recv_one(ws, "hello, world", 12), AH_WS_TEXT);
  assert_int_equal(recv_one(ws, bin, sizeof bin), AH_WS_BINARY);
  assert_int_equal(recv_one(ws, "", 0), AH_WS_TEXT);
  ah_ws_free(ws);
  ah_session_free(s);
}

/* 3 MiB out and back: the send goes out in many writes. */
static void test_large_message_both_ways(void **state)
{
  size_t n = 3u << 20, i;
  char *big;
  ah_session *s;
  ah_future *f, *r;
  ah_ws *ws;

  (void)state;
  LIVE(); /* before the allocation: a skip returns from here */
  big = malloc(n);
  s = ah_session_new(NULL);
  assert_non_null(s);
  assert_non_null(big);
  for (i = 0; i < n; i++)
    big[i] = (char)(i * 7);
  ws = open_ws(s, "/echo");
  r = ah_ws_recv(ws); /* pending while the send goes out */
  f = ah_ws_send(ws, AH_WS_BINARY, big, n);
  assert_int_equal(settle(f), AH_OK);
  ah_future_free(f);
  assert_int_equal(settle(r), AH_OK);
  {
    const char *data;
    size_t len;
    assert_int_equal(ah_ws_message(r, &data, &len), AH_WS_BINARY);
    assert_int_equal(len, n);
    assert_memory_equal(data, big, n);
  }
  ah_future_free(r);
  ah_ws_free(ws);
  ah_session_free(s);
  free(big);
}

/* Messages in fragments are given whole. */
static void test_fragmented_messages(void **state)
{
  ah_session *s;
  ah_ws *ws;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  ws = open_ws(s, "/frag");
  assert_int_equal(recv_one(ws, "hello world", 11), AH_WS_TEXT);
  assert_int_equal(recv_one(ws, "\0\1\2", 3), AH_WS_BINARY);
  ah_ws_free(ws);
  ah_session_free(s);
}

static int big_recv(ah_session *s, const char *path, size_t max_frame,
                    size_t max_message, size_t *got)
{
  ah_ws *ws = open_ws(s, path);
  ah_future *f;
  int err;

  assert_int_equal(ah_ws_set_limits(ws, max_frame, max_message), AH_OK);
  f = ah_ws_recv(ws);
  err = settle(f);
  if (err == AH_OK)
    assert_int_equal(ah_ws_message(f, NULL, got), AH_WS_TEXT);
  else if (err == AH_ETOOLARGE)
    assert_non_null(strstr(ah_future_errmsg(f), "limit"));
  ah_future_free(f);
  if (err != AH_OK) {
    /* The WebSocket ended: what comes next says so at once. */
    f = ah_ws_recv(ws);
    assert_true(ah_future_done(f));
    assert_int_equal(ah_future_error(f), err);
    ah_future_free(f);
  }
  ah_ws_free(ws);
  return err;
}

/* Frame and message limits: AH_ETOOLARGE, each on its own. */
static void test_size_limits(void **state)
{
  ah_session *s;
  size_t got = 0;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  /* One frame of 100,000 bytes. */
  assert_int_equal(big_recv(s, "/big?n=100000", 0, 0, &got), AH_OK);
  assert_int_equal(got, 100000);
  assert_int_equal(big_recv(s, "/big?n=100000", 99999, 0, &got), AH_ETOOLARGE);
  assert_int_equal(big_recv(s, "/big?n=100000", 0, 99999, &got), AH_ETOOLARGE);
  assert_int_equal(big_recv(s, "/big?n=100000", 100000, 100000, &got), AH_OK);
  /* Ten frames of 1,000: the frames fit, the message does not. */
  assert_int_equal(big_recv(s, "/fragbig?n=10&k=1000", 1000, 0, &got), AH_OK);
  assert_int_equal(got, 10000);
  assert_int_equal(big_recv(s, "/fragbig?n=10&k=1000", 1000, 9999, &got), AH_ETOOLARGE);
  assert_int_equal(big_recv(s, "/fragbig?n=10&k=1000", 999, 0, &got), AH_ETOOLARGE);
  /* The default (4 MiB) takes 4 MiB and refuses a byte more. */
  assert_int_equal(big_recv(s, "/big?n=4194304", 0, 0, &got), AH_OK);
  assert_int_equal(big_recv(s, "/big?n=4194305", 0, 0, &got), AH_ETOOLARGE);
  ah_session_free(s);
}

/* The server closes: the message says so, with its code and reason;
 * ahttp answered (the server's library waits for that answer). */
static void test_server_closes(void **state)
{
  ah_session *s;
  const char *reason = NULL;
  ah_future *f;
  ah_ws *ws;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  ws = open_ws(s, "/close");
  assert_int_equal(ah_ws_close_code(ws, &reason), 0);
  assert_null(reason);
  assert_int_equal(recv_one(ws, "bye", 3), AH_WS_CLOSE);
  assert_int_equal(ah_ws_close_code(ws, &reason), 4001);
  assert_string_equal(reason, "bye");
  /* Every later recv says the same; a send is refused. */
  assert_int_equal(recv_one(ws, "bye", 3), AH_WS_CLOSE);
  f = ah_ws_send(ws, AH_WS_TEXT, "late", 4);
  assert_true(ah_future_done(f));
  assert_int_not_equal(ah_future_error(f), AH_OK);
  ah_future_free(f);
  /* Bad arguments are AH_EINVAL after the close as before it. */
  {
    char big[300];
    memset(big, 'r', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    f = ah_ws_close(ws, 5000, NULL);
    assert_int_equal(ah_future_error(f), AH_EINVAL);
    ah_future_free(f);
    f = ah_ws_close(ws, 1000, big);
    assert_int_equal(ah_future_error(f), AH_EINVAL);
    ah_future_free(f);
    f = ah_ws_ping(ws, big, 200);
    assert_int_equal(ah_future_error(f), AH_EINVAL);
    ah_future_free(f);
    f = ah_ws_send(ws, (ah_ws_type)9, "x", 1);
    assert_int_equal(ah_future_error(f), AH_EINVAL);
    ah_future_free(f);
    f = ah_ws_send(ws, AH_WS_TEXT, NULL, 4);
    assert_int_equal(ah_future_error(f), AH_EINVAL);
    ah_future_free(f);
    f = ah_ws_close(ws, 1000, NULL); /* a good one: the close that was */
    assert_int_equal(ah_future_error(f), AH_OK);
    ah_future_free(f);
  }
  ah_ws_free(ws);
  /* The server's library got ahttp's answer, with its code. */
  ws = open_ws(s, "/lastclose");
  assert_int_equal(recv_one(ws, "4001", 4), AH_WS_TEXT);
  ah_ws_free(ws);
  ah_session_free(s);
}

/* A server that never answers the close: the wait's own timeout bounds
 * it, and freeing the WebSocket ends it. */
static void test_server_never_closes(void **state)
{
  ah_session *s;
  ah_future *f;
  ah_ws *ws;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  ws = open_ws(s, "/silent");
  f = ah_ws_close(ws, 1000, NULL);
  assert_int_equal(ah_future_wait(f, 300), AH_ETIMEDOUT);
  assert_false(ah_future_done(f));
  ah_ws_free(ws);
  assert_true(ah_future_done(f));
  assert_int_equal(ah_future_error(f), AH_ECANCELED);
  ah_future_free(f);
  ah_session_free(s);
}

/* The server drops the TCP connection: pending futures get AH_EIO. */
static void test_server_drops_connection(void **state)
{
  ah_session *s;
  ah_future *r[2], *f;
  ah_ws *ws;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  ws = open_ws(s, "/drop");
  r[0] = ah_ws_recv(ws);
  r[1] = ah_ws_ping(ws, "?", 1);
  assert_int_equal(ah_gather(r, 2, wait_ms(10000)), AH_OK);
  assert_int_equal(ah_future_error(r[0]), AH_EIO);
  assert_int_equal(ah_future_error(r[1]), AH_EIO);
  assert_int_equal(ah_ws_close_code(ws, NULL), 0); /* no close came */
  ah_future_free(r[0]);
  ah_future_free(r[1]);
  f = ah_ws_recv(ws);
  assert_int_equal(ah_future_error(f), AH_EIO);
  ah_future_free(f);
  ah_ws_free(ws);
  ah_session_free(s);
}

/* Pings both ways: the server's is answered by libcurl, ours by it. */
static void test_ping_pong(void **state)
{
  ah_session *s;
  ah_future *f;
  ah_ws *ws;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  ws = open_ws(s, "/ping");
  assert_int_equal(recv_one(ws, "ponged", 6), AH_WS_TEXT);
  f = ah_ws_ping(ws, "hi", 2);
  assert_int_equal(settle(f), AH_OK);
  ah_future_free(f);
  f = ah_ws_ping(ws, NULL, 0);
  assert_int_equal(settle(f), AH_OK);
  ah_future_free(f);
  /* Still a working connection. */
  f = ah_ws_send(ws, AH_WS_TEXT, "again", 5);
  assert_int_equal(settle(f), AH_OK);
  ah_future_free(f);
  assert_int_equal(recv_one(ws, "again", 5), AH_WS_TEXT);
  ah_ws_free(ws);
  ah_session_free(s);
}

/* A close between the fragments of a message (RFC 6455 5.4: control
 * frames may come there) is a close: the message stays unfinished, the
 * close is told with its code and reason, and answered. */
static void test_close_between_fragments(void **state)
{
  ah_session *s;
  const char *reason = NULL;
  ah_ws *ws;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  ws = open_raw(s, "/closemidfrag");
  assert_int_equal(recv_one(ws, "gone", 4), AH_WS_CLOSE);
  assert_int_equal(ah_ws_close_code(ws, &reason), 1001);
  assert_string_equal(reason, "gone");
  ah_ws_free(ws);
  /* The hostile server got ahttp's answer, with the code. */
  ws = open_raw(s, "/last");
  assert_int_equal(recv_one(ws, "1001", 4), AH_WS_TEXT);
  ah_ws_free(ws);
  ah_session_free(s);
}

static double now_ms(void)
{
  struct timespec t;

  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* A peer that streams without pause (one fragment, then empty
 * continuation frames as fast as they are read) gets a bounded share of
 * each reactor turn: the receive returns at once, a wait on it keeps its
 * timeout, and another WebSocket of the session is served meanwhile. */
static void test_endless_stream_does_not_freeze(void **state)
{
  ah_session *s;
  ah_future *r, *p;
  ah_ws *bad, *good;
  double t0;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  good = open_ws(s, "/echo");
  bad = open_raw(s, "/emptyfrags?secs=6");
  t0 = now_ms();
  r = ah_ws_recv(bad);
  assert_int_equal(ah_future_wait(r, 200), AH_ETIMEDOUT);
  assert_true(now_ms() - t0 < wait_ms(2000));
  p = ah_ws_ping(good, "hb", 2);
  /* The server of both is one Python process, busy streaming. */
  assert_int_equal(ah_future_wait(p, wait_ms(2000)), AH_OK);
  assert_int_equal(ah_future_error(p), AH_OK);
  assert_true(now_ms() - t0 < wait_ms(4500)); /* before the stream ends */
  ah_future_free(p);
  /* Still streaming (how long the backlog of the socket's buffers takes
   * to drain after it is libcurl's decoding speed, not checked here). */
  assert_false(ah_future_done(r));
  ah_future_free(r);
  ah_ws_free(bad);
  ah_ws_free(good);
  ah_session_free(s);
}

/* Every realloc of ahttp and its libcurl, counted (the allocator is set
 * in main, before anything of ahttp runs). */
static unsigned long reallocs;

static void *count_realloc(void *p, size_t n)
{
  reallocs++;
  return realloc(p, n);
}

/* A message of 20,000 fragments of one byte grows its buffer
 * geometrically: a few reallocs, not one a fragment (O(n^2) copies). */
static void test_many_fragments_grow_geometrically(void **state)
{
  ah_session *s;
  ah_future *f;
  ah_ws *ws;
  const char *data;
  size_t len;
  unsigned long before;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  ws = open_raw(s, "/tinyfrags?n=20000");
  before = reallocs;
  f = ah_ws_recv(ws);
  assert_int_equal(settle(f), AH_OK);
  assert_int_equal(ah_ws_message(f, &data, &len), AH_WS_BINARY);
  assert_int_equal(len, 20000);
  assert_int_equal(data[0], 'a');
  assert_int_equal(data[10000], 'b');
  assert_int_equal(data[19999], 'c');
  assert_true(reallocs - before < 100);
  ah_future_free(f);
  ah_ws_free(ws);
  ah_session_free(s);
}

/* A ping completes on the pong that carries its payload, not on another
 * pong; a pong answers the newest ping of its payload and every ping
 * before it (pings of one payload look alike, and RFC 6455 5.5.3 lets a
 * peer answer only the latest), canceled or not. */
static void test_pong_matches_ping(void **state)
{
  ah_session *s;
  ah_future *p1, *p2;
  ah_ws *ws;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  ws = open_raw(s, "/pongwrong");
  p1 = ah_ws_ping(ws, "mine", 4);
  assert_int_equal(ah_future_wait(p1, 300), AH_ETIMEDOUT); /* "not-your-payload" came */
  assert_int_equal(settle(p1), AH_OK);
  ah_future_free(p1);
  ah_ws_free(ws);

  /* The server answers each ping 0.5 s after it, in order: the first
   * pong, the canceled ping's, is taken for p2's too (alike). */
  ws = open_raw(s, "/slowpong");
  p1 = ah_ws_ping(ws, "same", 4);
  assert_int_equal(ah_future_cancel(p1), AH_OK);
  assert_int_equal(ah_future_error(p1), AH_ECANCELED);
  ah_future_free(p1);
  p2 = ah_ws_ping(ws, "same", 4);
  assert_int_equal(settle(p2), AH_OK);
  ah_future_free(p2);
  /* Two pings of different payloads, answered in order. */
  p1 = ah_ws_ping(ws, "a", 1);
  p2 = ah_ws_ping(ws, "b", 1);
  assert_int_equal(settle(p2), AH_OK);
  assert_int_equal(ah_future_error(p1), AH_OK);
  ah_future_free(p1);
  ah_future_free(p2);
  ah_ws_free(ws);

  /* A peer that answers only the latest of two pings of one payload:
   * both complete, and a canceled one does not take a later one's. */
  ws = open_raw(s, "/latestonly?n=2");
  p1 = ah_ws_ping(ws, NULL, 0);
  p2 = ah_ws_ping(ws, NULL, 0);
  assert_int_equal(settle(p2), AH_OK);
  assert_int_equal(settle(p1), AH_OK);
  ah_future_free(p1);
  ah_future_free(p2);
  p1 = ah_ws_ping(ws, "s", 1);
  assert_int_equal(ah_future_cancel(p1), AH_OK);
  ah_future_free(p1);
  p2 = ah_ws_ping(ws, "s", 1);
  assert_int_equal(settle(p2), AH_OK);
  ah_future_free(p2);
  assert_null(ws->pings.head); /* the canceled one went with it */
  ah_ws_free(ws);
  ah_session_free(s);
}

/* Canceled pings a peer never answers do not pile up: a bounded few are
 * kept for their pongs. */
static void test_canceled_pings_bounded(void **state)
{
  const struct ah__ws_op *op;
  ah_session *s;
  ah_future *p;
  ah_ws *ws;
  int i, n = 0;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  ws = open_ws(s, "/silent");
  for (i = 0; i < 200; i++) {
    p = ah_ws_ping(ws, "c", 1);
    assert_int_equal(ah_future_cancel(p), AH_OK);
    ah_future_free(p);
  }
  for (op = ws->pings.head; op != NULL; op = op->next)
    n++;
  assert_true(n <= 32);
  ah_ws_free(ws);
  ah_session_free(s);
}

/* The close code the hostile server got from ahttp last, as text. */
static void last_close_was(ah_session *s, const char *want)
{
  ah_ws *ws = open_raw(s, "/last");

  assert_int_equal(recv_one(ws, want, strlen(want)), AH_WS_TEXT);
  ah_ws_free(ws);
}

/* What ahttp checks of the peer's frames (libcurl passes them as they
 * come): text must be UTF-8, a close payload is empty or a code a peer
 * may send with a UTF-8 reason. A peer that breaks these fails the
 * WebSocket (AH_EPROTO), told with close 1002 or 1007; a valid close is
 * answered with its code, never with one ahttp must not send. */
static void test_peer_protocol_errors(void **state)
{
  static const struct {
    const char *hex, *reply;
  } bad[] = {
    {"03", "1002"},           /* one byte */
    {"03e7626164", "1002"},   /* 999 "bad" */
    {"03ed", "1002"},         /* 1005 */
    {"03ee", "1002"},         /* 1006 */
    {"03f7", "1002"},         /* 1015 */
    {"1388", "1002"},         /* 5000 */
    {"03e8fffe", "1007"},     /* 1000, a reason not UTF-8 */
  };
  char path[64];
  ah_session *s;
  ah_future *f;
  ah_ws *ws;
  size_t i;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  ws = open_raw(s, "/badutf8");
  assert_int_equal(recv_one(ws, "\xc3\xa9ok", 4), AH_WS_TEXT);
  f = ah_ws_recv(ws);
  assert_int_equal(settle(f), AH_EPROTO);
  assert_non_null(strstr(ah_future_errmsg(f), "UTF-8"));
  ah_future_free(f);
  ah_ws_free(ws);
  last_close_was(s, "1007");
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(path, sizeof path, "/rawclose?hex=%s", bad[i].hex);
    ws = open_raw(s, path);
    f = ah_ws_recv(ws);
    if (settle(f) != AH_EPROTO)
      fail_msg("%s: %s", bad[i].hex, ah_future_errmsg(f));
    assert_int_equal(ah_ws_close_code(ws, NULL), 0);
    ah_future_free(f);
    ah_ws_free(ws);
    last_close_was(s, bad[i].reply);
  }
  /* Valid: 1012 (IANA's "service restart") with a UTF-8 reason, and an
   * empty close (1005 to the program, an empty close back). */
  ws = open_raw(s, "/rawclose?hex=03f4c3a9");
  assert_int_equal(recv_one(ws, "\xc3\xa9", 2), AH_WS_CLOSE);
  assert_int_equal(ah_ws_close_code(ws, NULL), 1012);
  ah_ws_free(ws);
  last_close_was(s, "1012");
  ws = open_raw(s, "/rawclose?hex=");
  assert_int_equal(recv_one(ws, "", 0), AH_WS_CLOSE);
  assert_int_equal(ah_ws_close_code(ws, NULL), 1005);
  ah_ws_free(ws);
  last_close_was(s, "empty");
  ah_session_free(s);
}

/* Messages read while the close handshake waited are kept for the
 * receives that come after it, before the close itself. */
static void test_messages_before_close_kept(void **state)
{
  ah_session *s;
  ah_future *f;
  ah_ws *ws;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  ws = open_raw(s, "/msgsthenclose");
  f = ah_ws_close(ws, 1000, NULL);
  assert_int_equal(settle(f), AH_OK);
  ah_future_free(f);
  assert_int_equal(recv_one(ws, "one", 3), AH_WS_TEXT);
  assert_int_equal(recv_one(ws, "two", 3), AH_WS_TEXT);
  assert_int_equal(recv_one(ws, "bye", 3), AH_WS_CLOSE);
  assert_int_equal(recv_one(ws, "bye", 3), AH_WS_CLOSE);
  ah_ws_free(ws);
  ah_session_free(s);
}

/* Messages read while a ping waited are the receives' whatever the end:
 * a dropped connection too; then the end's error. */
static void test_messages_kept_when_dropped(void **state)
{
  ah_session *s;
  ah_future *f;
  ah_ws *ws;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  ws = open_raw(s, "/msgsthendrop");
  f = ah_ws_ping(ws, "p", 1); /* never answered: the drop ends it */
  assert_int_equal(settle(f), AH_EIO);
  ah_future_free(f);
  assert_int_equal(recv_one(ws, "one", 3), AH_WS_TEXT);
  assert_int_equal(recv_one(ws, "two", 3), AH_WS_TEXT);
  f = ah_ws_recv(ws);
  assert_int_equal(settle(f), AH_EIO);
  ah_future_free(f);
  ah_ws_free(ws);
  ah_session_free(s);
}

static double cpu_s(void)
{
  struct timespec t;

  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/* The peer closes and shuts its side (EOF) while ahttp's send fills the
 * socket: a receive gets the close without waiting for ahttp's reply to
 * be written, and the wait for that reply does not spin on the EOF. */
static void test_peer_close_with_send_stuck(void **state)
{
  size_t n = 32u << 20;
  char *big;
  ah_session *s;
  ah_future *c, *snd, *r;
  ah_ws *ws = NULL;
  double c0, w0;

  (void)state;
  LIVE();
  big = calloc(1, n);
  assert_non_null(big);
  s = ah_session_new(NULL);
  assert_non_null(s);
  /* The server holds the connection long enough for a slow client
   * (valgrind): the test frees the WebSocket long before. */
  c = ah_ws_connect(s, ws_raw_url("/halfclose?secs=120"), NULL, &ws);
  snd = ah_ws_send(ws, AH_WS_BINARY, big, n); /* goes out once open */
  assert_int_equal(settle(c), AH_OK);
  ah_future_free(c);
  r = ah_ws_recv(ws);
  assert_int_equal(settle(r), AH_OK);
  assert_int_equal(ah_ws_message(r, NULL, NULL), AH_WS_CLOSE);
  ah_future_free(r);
  assert_int_equal(ah_ws_close_code(ws, NULL), 1000);
  /* The send still waits for a peer that reads nothing: idle. */
  c0 = cpu_s();
  w0 = now_ms();
  assert_int_equal(ah_future_wait(snd, 1000), AH_ETIMEDOUT);
  assert_true(cpu_s() - c0 < (now_ms() - w0) / 1e3 / 2);
  ah_ws_free(ws);
  assert_int_equal(ah_future_error(snd), AH_ECANCELED);
  ah_future_free(snd);
  ah_session_free(s);
  free(big);
}

/* Bytes of the messages a WebSocket keeps for later receives. */
static size_t kept_bytes(const ah_ws *ws)
{
  const struct ah__ws_msg *m;
  size_t n = 0;

  for (m = ws->ready; m != NULL; m = m->next)
    n += m->len;
  return n;
}

/* While a ping waits for its pong, messages read meanwhile are kept for
 * later receives up to the message limit; then the socket is left alone
 * (the peer is held back by TCP) until receives take them: 12 MB sent
 * before the pong are not all held in memory. */
static void test_kept_messages_are_bounded(void **state)
{
  ah_session *s;
  ah_future *p;
  ah_ws *ws;
  int i;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  ws = open_raw(s, "/floodnopong?n=200&k=60000");
  assert_int_equal(ah_ws_set_limits(ws, 0, 100000), AH_OK);
  p = ah_ws_ping(ws, "p", 1);
  assert_int_equal(ah_future_wait(p, 1000), AH_ETIMEDOUT);
  assert_true(kept_bytes(ws) <= 100000 + 60000);
  /* Receives take them in order; the pong comes after the last. */
  for (i = 0; i < 200; i++) {
    ah_future *r = ah_ws_recv(ws);
    size_t len = 0;
    assert_int_equal(settle(r), AH_OK);
    assert_int_equal(ah_ws_message(r, NULL, &len), AH_WS_BINARY);
    assert_int_equal(len, 60000);
    ah_future_free(r);
    assert_true(kept_bytes(ws) <= 100000 + 60000);
  }
  assert_int_equal(settle(p), AH_OK);
  ah_future_free(p);
  ah_ws_free(ws);

  /* A larger limit lets the reading resume: the pong comes through
   * without a receive. */
  ws = open_raw(s, "/floodnopong?n=40&k=60000");
  assert_int_equal(ah_ws_set_limits(ws, 0, 100000), AH_OK);
  p = ah_ws_ping(ws, "p", 1);
  assert_int_equal(ah_future_wait(p, 500), AH_ETIMEDOUT);
  assert_true(kept_bytes(ws) <= 100000 + 60000);
  assert_int_equal(ah_ws_set_limits(ws, 0, 64u << 20), AH_OK);
  assert_int_equal(settle(p), AH_OK);
  assert_int_equal(kept_bytes(ws), 40 * 60000);
  ah_future_free(p);
  ah_ws_free(ws);
  ah_session_free(s);
}

int main(void)
{
  static const ah_allocator counting = {sizeof counting, malloc, calloc,
                                        count_realloc, free, strdup};
  const struct CMUnitTest tests[] = {
    TU_TEST(test_echo_text_and_binary),
    TU_TEST(test_large_message_both_ways),
    TU_TEST(test_fragmented_messages),
    TU_TEST(test_size_limits),
    TU_TEST(test_server_closes),
    TU_TEST(test_server_never_closes),
    TU_TEST(test_server_drops_connection),
    TU_TEST(test_ping_pong),
    TU_TEST(test_close_between_fragments),
    TU_TEST(test_endless_stream_does_not_freeze),
    TU_TEST(test_many_fragments_grow_geometrically),
    TU_TEST(test_kept_messages_are_bounded),
    TU_TEST(test_peer_protocol_errors),
    TU_TEST(test_pong_matches_ping),
    TU_TEST(test_canceled_pings_bounded),
    TU_TEST(test_messages_before_close_kept),
    TU_TEST(test_messages_kept_when_dropped),
    TU_TEST(test_peer_close_with_send_stuck),
  };

  if (ah_set_allocator(&counting) != AH_OK)
    return 1;
  return cmocka_run_group_tests(tests, setup, teardown);
}
