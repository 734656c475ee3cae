/* test_ws.c - WebSockets (lib/ws.c): connect, close, lifetimes, bad
 * input, against Debian's python3-websockets (tests/ws_server.py, a
 * server nobody here wrote) and, for a refused
 * upgrade, tests/server.py. The tests that need a connection run where
 * the running libcurl has WebSocket support (8.11 on, built with it:
 * the 8.21.0 leg) and report themselves skipped, with the reason,
 * elsewhere; what a libcurl without it gives is tested on every leg,
 * against the real one or a pretended 7.88. */
#include <ahttp.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "curl_caps.h"
#include "testutil.h"

#include "ws_util.h"

/* Where libcurl has no WebSocket: a clear error, naming the reason. */
static void test_without_websocket_support(void **state)
{
  struct ah__curl_caps c = *ah__curl_caps();
  struct ah__curl_caps_room room;
  curl_version_info_data v;
  const char *protos[] = {"http", "https", NULL};
  const char *with_ws[] = {"http", "ws", "wss", NULL};
  const char *why;
  ah_session *s;
  ah_ws *ws = (ah_ws *)&c; /* set to NULL by a failure */
  ah_future *f;

  (void)state;
  memset(&v, 0, sizeof v);
  v.version = "7.88.1";
  v.version_num = 0x075801;
  v.protocols = with_ws;
  ah__curl_caps_read(&c, &room, &v);
  assert_false(c.ws);
  assert_non_null(strstr(c.ws_why, "libcurl 7.88.1"));
  assert_non_null(strstr(c.ws_why, "8.11.0 or newer"));
  v.version = "8.21.0";
  v.version_num = 0x081500;
  v.protocols = protos;
  ah__curl_caps_read(&c, &room, &v);
  assert_false(c.ws);
  assert_non_null(strstr(c.ws_why, "built without WebSocket support"));
  v.protocols = with_ws;
  ah__curl_caps_read(&c, &room, &v);
  assert_true(c.ws);
  assert_true(c.wss);
  assert_null(c.ws_why);

  /* The running libcurl, pretended to be 7.88.1 (on the 7.88 leg: as it is). */
  assert_non_null(s = ah_session_new(NULL));
  c = *ah__curl_caps();
  c.ws = c.wss = 0;
  c.ws_why = "libcurl 7.88.1 runs in this process; WebSocket needs libcurl "
             "8.11.0 or newer built with WebSocket support";
  ah__curl_caps_pretend(&c);
  assert_int_equal(ah_ws_check(&why), AH_ENOTSUP);
  assert_string_equal(why, c.ws_why);
  f = ah_ws_connect(s, "ws://127.0.0.1:1/", NULL, &ws);
  ah__curl_caps_pretend(NULL);
  assert_true(ah_future_done(f));
  assert_int_equal(ah_future_error(f), AH_ENOTSUP);
  assert_null(ws);
  assert_non_null(strstr(ah_future_errmsg(f), "needs libcurl 8.11.0"));
  ah_future_free(f);
  ah_session_free(s);

  /* And what the real one says of itself. */
  if (ah_ws_check(&why) == AH_OK)
    assert_null(why);
  else
    assert_non_null(strstr(why, "WebSocket"));
}

static void test_bad_input(void **state)
{
  ah_session *s;
  ah_ws *ws = NULL;
  ah_future *f;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  f = ah_ws_connect(NULL, ws_url("/echo"), NULL, &ws);
  assert_int_equal(ah_future_error(f), AH_EINVAL);
  ah_future_free(f);
  f = ah_ws_connect(s, ws_url("/echo"), NULL, NULL);
  assert_int_equal(ah_future_error(f), AH_EINVAL);
  ah_future_free(f);
  f = ah_ws_connect(s, tu_url("/"), NULL, &ws);
  assert_int_equal(ah_future_error(f), AH_EINVAL);
  assert_null(ws);
  ah_future_free(f);
  f = ah_ws_connect(s, "ws://127.0.0.1:1/a\r\nX: y", NULL, &ws);
  assert_int_equal(ah_future_error(f), AH_EINVAL);
  ah_future_free(f);
  f = ah_ws_recv(NULL);
  assert_int_equal(ah_future_error(f), AH_EINVAL);
  ah_future_free(f);
  assert_int_equal(ah_ws_message(NULL, NULL, NULL), AH_EINVAL);
  assert_int_equal(ah_ws_set_limits(NULL, 1, 1), AH_EINVAL);
  assert_int_equal(ah_ws_close_code(NULL, NULL), AH_EINVAL);
  ah_ws_free(NULL);

  ws = open_ws(s, "/echo");
  f = ah_ws_send(ws, AH_WS_CLOSE, "x", 1); /* a close is ah_ws_close's */
  assert_int_equal(ah_future_error(f), AH_EINVAL);
  ah_future_free(f);
  f = ah_ws_send(ws, AH_WS_TEXT, NULL, 3);
  assert_int_equal(ah_future_error(f), AH_EINVAL);
  ah_future_free(f);
  f = ah_ws_close(ws, 1005, NULL); /* reserved: never sent */
  assert_int_equal(ah_future_error(f), AH_EINVAL);
  ah_future_free(f);
  f = ah_ws_close(ws, 1004, NULL); /* reserved, as 1016 to 2999 */
  assert_int_equal(ah_future_error(f), AH_EINVAL);
  ah_future_free(f);
  f = ah_ws_close(ws, 2000, NULL);
  assert_int_equal(ah_future_error(f), AH_EINVAL);
  ah_future_free(f);
  f = ah_ws_close(ws, 1000, "\xff"); /* a reason is UTF-8 */
  assert_int_equal(ah_future_error(f), AH_EINVAL);
  ah_future_free(f);
  f = ah_ws_ping(ws, "0123456789012345678901234567890123456789012345678901234567890123"
                     "0123456789012345678901234567890123456789012345678901234567890123", 128);
  assert_int_equal(ah_future_error(f), AH_EINVAL);
  ah_future_free(f);
  /* A length no allocation can hold: refused, not wrapped around. */
  f = ah_ws_send(ws, AH_WS_BINARY, "x", SIZE_MAX - 8);
  assert_int_equal(ah_future_error(f), AH_EINVAL);
  ah_future_free(f);
  f = ah_ws_send(ws, AH_WS_BINARY, "x", SIZE_MAX);
  assert_int_equal(ah_future_error(f), AH_EINVAL);
  ah_future_free(f);
  /* A send future is no message. */
  f = ah_ws_send(ws, AH_WS_TEXT, "ok", 2);
  assert_int_equal(settle(f), AH_OK);
  assert_int_equal(ah_ws_message(f, NULL, NULL), AH_EINVAL);
  ah_future_free(f);
  /* The connection still works after all of that. */
  assert_int_equal(recv_one(ws, "ok", 2), AH_WS_TEXT);
  ah_ws_free(ws);
  ah_session_free(s);
}







/* The client closes: the handshake completes with the server's answer. */
static void test_close_handshake(void **state)
{
  ah_session *s;
  const char *reason;
  ah_future *f, *r;
  ah_ws *ws;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  ws = open_ws(s, "/echo");
  r = ah_ws_recv(ws); /* pending across the close */
  f = ah_ws_close(ws, 4321, "done here");
  assert_int_equal(settle(f), AH_OK);
  ah_future_free(f);
  /* websockets answers with the code it was sent. */
  assert_int_equal(ah_ws_close_code(ws, &reason), 4321);
  assert_int_equal(settle(r), AH_OK);
  assert_int_equal(ah_ws_message(r, NULL, NULL), AH_WS_CLOSE);
  ah_future_free(r);
  ah_ws_free(ws);
  ah_session_free(s);
}




/* Lifetimes: freeing the WebSocket with futures pending. */
static void test_free_with_futures_pending(void **state)
{
  ah_session *s;
  ah_future *c, *r, *p;
  ah_ws *ws = NULL;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  /* While connecting. */
  c = ah_ws_connect(s, ws_url("/echo"), NULL, &ws);
  r = ah_ws_recv(ws);
  ah_ws_free(ws);
  assert_int_equal(ah_future_error(c), AH_ECANCELED);
  assert_int_equal(ah_future_error(r), AH_ECANCELED);
  assert_null(ah_future_session(r));
  ah_future_free(c);
  ah_future_free(r);
  /* Open, a recv and a ping pending. */
  ws = open_ws(s, "/silent");
  r = ah_ws_recv(ws);
  p = ah_ws_ping(ws, "x", 1);
  assert_int_equal(ah_future_wait(r, 100), AH_ETIMEDOUT);
  ah_ws_free(ws);
  assert_int_equal(ah_future_error(r), AH_ECANCELED);
  assert_int_equal(ah_future_error(p), AH_ECANCELED);
  ah_future_free(r);
  ah_future_free(p);
  /* A canceled recv leaves the WebSocket working. */
  ws = open_ws(s, "/echo");
  r = ah_ws_recv(ws);
  assert_int_equal(ah_future_cancel(r), AH_OK);
  assert_int_equal(ah_future_error(r), AH_ECANCELED);
  ah_future_free(r);
  ah_future_free(ah_ws_recv(ws)); /* freed pending: canceled */
  p = ah_ws_send(ws, AH_WS_TEXT, "still", 5);
  assert_int_equal(settle(p), AH_OK);
  ah_future_free(p);
  assert_int_equal(recv_one(ws, "still", 5), AH_WS_TEXT);
  ah_ws_free(ws);
  ah_session_free(s);
}

static void free_ws_cb(ah_future *f, void *ud)
{
  (void)f;
  ah_ws_free(ud);
}

/* Freeing the WebSocket from a callback of its own future. */
static void test_free_from_callback(void **state)
{
  ah_session *s;
  ah_future *r, *p;
  ah_ws *ws;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  ws = open_ws(s, "/echo");
  r = ah_ws_recv(ws);
  p = ah_ws_recv(ws);
  assert_int_equal(ah_future_on_done(r, free_ws_cb, ws), AH_OK);
  ah_future_free(ah_ws_send(ws, AH_WS_TEXT, "one", 3));
  assert_int_equal(settle(r), AH_OK);
  assert_int_equal(ah_future_error(p), AH_ECANCELED);
  ah_future_free(r);
  ah_future_free(p);
  ah_session_free(s);
}

/* Canceling (or freeing) a pending future whose on_done frees the
 * WebSocket: the WebSocket is freed once the cancel is done with it (no
 * use after free: run under ASan or valgrind). */
static void test_free_from_cancel_callback(void **state)
{
  ah_session *s;
  ah_future *r, *p;
  ah_ws *ws;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  ws = open_ws(s, "/silent");
  r = ah_ws_recv(ws);
  assert_int_equal(ah_future_on_done(r, free_ws_cb, ws), AH_OK);
  assert_int_equal(ah_future_cancel(r), AH_OK);
  assert_int_equal(ah_future_error(r), AH_ECANCELED);
  ah_future_free(r);
  ws = open_ws(s, "/silent");
  p = ah_ws_ping(ws, "x", 1);
  assert_int_equal(ah_future_on_done(p, free_ws_cb, ws), AH_OK);
  assert_int_equal(ah_future_cancel(p), AH_OK);
  assert_int_equal(ah_future_error(p), AH_ECANCELED);
  ah_future_free(p);
  ws = open_ws(s, "/silent");
  r = ah_ws_recv(ws);
  assert_int_equal(ah_future_on_done(r, free_ws_cb, ws), AH_OK);
  ah_future_free(r); /* pending: canceled, then freed */
  ws = open_ws(s, "/silent");
  p = ah_ws_send(ws, AH_WS_TEXT, "x", 1);
  ah_future_free(ah_ws_close(ws, 1000, NULL));
  r = ah_ws_recv(ws);
  assert_int_equal(ah_future_on_done(r, free_ws_cb, ws), AH_OK);
  ah_future_free(r);
  ah_future_free(p);
  ah_session_free(s);
}

/* A handshake that fails, its connect's on_done freeing the WebSocket:
 * it is freed (no leak: LeakSanitizer under SANITIZE=1, valgrind). */
static void test_free_from_failed_connect_callback(void **state)
{
  static const char *paths[] = {"/badaccept", "/h2c", "/hscut", "/hsempty",
                                "/bighdr?n=400000"};
  ah_session *s;
  ah_future *f;
  ah_ws *ws = NULL;
  size_t i;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    f = ah_ws_connect(s, ws_raw_url(paths[i]), NULL, &ws);
    assert_int_equal(ah_future_on_done(f, free_ws_cb, ws), AH_OK);
    assert_int_not_equal(settle(f), AH_OK);
    ah_future_free(f);
  }
  ah_session_free(s);
}

/* Timeouts as large as the options take: no deadline, not one that
 * wrapped into the past (every handshake ended at once). */
static void test_huge_timeouts(void **state)
{
  static const long huge[] = {LONG_MAX, 10000000000000L};
  ah_request_opts *ro;
  ah_session *s;
  ah_future *f;
  ah_ws *ws = NULL;
  size_t i;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  for (i = 0; i < sizeof huge / sizeof huge[0]; i++) {
    ro = ah_request_opts_new();
    assert_int_equal(ah_request_opts_set_timeouts(ro, huge[i], -1, -1), AH_OK);
    f = ah_ws_connect(s, ws_url("/echo"), ro, &ws);
    if (settle(f) != AH_OK)
      fail_msg("timeout %ld: %s", huge[i], ah_future_errmsg(f));
    ah_future_free(f);
    ah_ws_free(ws);
    ah_request_opts_free(ro);
  }
  ah_session_free(s);
}

/* The session freed with a WebSocket open: AH_ECANCELED, and the handle
 * stays valid until ah_ws_free. */
static void test_session_freed_with_websocket_open(void **state)
{
  ah_session *s;
  ah_future *r, *c, *f;
  ah_ws *ws, *ws2 = NULL;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  ws = open_ws(s, "/echo");
  r = ah_ws_recv(ws);
  c = ah_ws_connect(s, ws_url("/echo"), NULL, &ws2); /* still connecting */
  ah_session_free(s);
  assert_int_equal(ah_future_error(r), AH_ECANCELED);
  assert_int_equal(ah_future_error(c), AH_ECANCELED);
  assert_non_null(strstr(ah_future_errmsg(r), "session"));
  f = ah_ws_send(ws, AH_WS_TEXT, "x", 1);
  assert_int_equal(ah_future_error(f), AH_ECANCELED);
  ah_future_free(f);
  ah_future_free(r);
  ah_future_free(c);
  ah_ws_free(ws);
  ah_ws_free(ws2);
}

/* An HTTP server that does not upgrade (ours): AH_EPROTO, the status
 * named; and a port nobody listens on: AH_ECONNECT. */
static void test_refused_upgrade(void **state)
{
  ah_session *s;
  char url[64];
  ah_future *f;
  ah_ws *ws = NULL;
  int port, lfd, fill[8], nfill = 0;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  snprintf(url, sizeof url, "ws://127.0.0.1:%d/status/200", tu_port);
  f = ah_ws_connect(s, url, NULL, &ws);
  assert_int_equal(settle(f), AH_EPROTO);
  assert_non_null(strstr(ah_future_errmsg(f), "status 200"));
  assert_non_null(strstr(ah_future_errmsg(f), "/status/200"));
  assert_int_equal(ah_future_curl_code(f), 22); /* libcurl's "refused upgrade" */
  ah_future_free(f);
  ah_ws_free(ws);
  /* Closed without a byte of answer: libcurl 8.21 calls that a success
   * here; ahttp says what it is (no libcurl code: ahttp's judgement). */
  f = ah_ws_connect(s, ws_raw_url("/hsempty"), NULL, &ws);
  assert_int_equal(settle(f), AH_EPROTO);
  assert_non_null(strstr(ah_future_errmsg(f), "without answering"));
  assert_null(strstr(ah_future_errmsg(f), "No error"));
  assert_int_equal(ah_future_curl_code(f), 0);
  ah_future_free(f);
  ah_ws_free(ws);
  lfd = tu_listener(&port, 0, fill, &nfill);
  close(lfd);
  snprintf(url, sizeof url, "ws://127.0.0.1:%d/", port);
  f = ah_ws_connect(s, url, NULL, &ws);
  assert_int_equal(settle(f), AH_ECONNECT);
  ah_future_free(f);
  ah_ws_free(ws);
  ah_session_free(s);
}

/* wss: TLS with the session's CA (a certificate made for the test), and
 * refused without it (AH_ETLS): the session's TLS settings apply. */
static void test_wss(void **state)
{
  const char *argv[] = {"/usr/bin/python3", "tests/ws_server.py", "--tls", NULL, NULL, NULL};
  char dir[64], ca[128], key[128], cmd[512], line[64], url[96];
  ah_session_opts *o;
  ah_session *s;
  ah_future *f;
  ah_ws *ws = NULL;
  pid_t pid;
  int port;

  (void)state;
  LIVE();
  if (!ah__curl_caps()->wss) {
    print_message("skipped: this libcurl has no wss\n");
    skip();
  }
  snprintf(dir, sizeof dir, "/tmp/ahttp-wss-XXXXXX");
  assert_non_null(mkdtemp(dir));
  snprintf(ca, sizeof ca, "%s/cert.pem", dir);
  snprintf(key, sizeof key, "%s/key.pem", dir);
  snprintf(cmd, sizeof cmd,
           "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
           "-nodes -keyout %s -out %s -days 2 -subj /CN=ahttp-test "
           "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1", key, ca);
  assert_int_equal(system(cmd), 0);
  argv[3] = ca;
  argv[4] = key;
  pid = tu_spawn(argv, line, sizeof line);
  assert_true(pid > 0);
  assert_int_equal(sscanf(line, "READY %d", &port), 1);
  snprintf(url, sizeof url, "wss://127.0.0.1:%d/echo", port);

  /* Without the CA: the certificate is not trusted. */
  s = ah_session_new(NULL);
  f = ah_ws_connect(s, url, NULL, &ws);
  assert_int_equal(settle(f), AH_ETLS);
  ah_future_free(f);
  ah_ws_free(ws);
  ah_session_free(s);

  o = ah_session_opts_new();
  assert_int_equal(ah_session_opts_set_ca(o, ca, NULL), AH_OK);
  s = ah_session_new(o);
  ah_session_opts_free(o);
  f = ah_ws_connect(s, url, NULL, &ws);
  assert_int_equal(settle(f), AH_OK);
  ah_future_free(f);
  f = ah_ws_send(ws, AH_WS_BINARY, "tls", 3);
  assert_int_equal(settle(f), AH_OK);
  ah_future_free(f);
  assert_int_equal(recv_one(ws, "tls", 3), AH_WS_BINARY);
  f = ah_ws_close(ws, 1000, "ok");
  assert_int_equal(settle(f), AH_OK);
  ah_future_free(f);
  ah_ws_free(ws);
  ah_session_free(s);
  tu_server_stop(pid);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

/* A server that takes the upgrade request and never answers: the
 * handshake ends at its total timeout, the request's or the session's
 * (libcurl keeps none over a connect-only handshake). */
static void test_handshake_timeout(void **state)
{
  ah_request_opts *ro;
  ah_session_opts *so;
  ah_session *s;
  ah_future *f;
  ah_ws *ws = NULL;

  (void)state;
  LIVE();
  ro = ah_request_opts_new();
  assert_int_equal(ah_request_opts_set_timeout(ro, 300), AH_OK);
  s = ah_session_new(NULL);
  assert_non_null(s);
  f = ah_ws_connect(s, ws_raw_url("/nohandshake"), ro, &ws);
  assert_int_equal(settle(f), AH_ETIMEDOUT);
  assert_non_null(strstr(ah_future_errmsg(f), "total timeout"));
  ah_future_free(f);
  ah_ws_free(ws);
  ah_session_free(s);
  ah_request_opts_free(ro);

  so = ah_session_opts_new();
  assert_int_equal(ah_session_opts_set_timeouts(so, 300, -1, -1), AH_OK);
  s = ah_session_new(so);
  ah_session_opts_free(so);
  assert_non_null(s);
  f = ah_ws_connect(s, ws_raw_url("/nohandshake"), NULL, &ws);
  assert_int_equal(settle(f), AH_ETIMEDOUT);
  ah_future_free(f);
  ah_ws_free(ws);
  ah_session_free(s);

  /* A handshake that completes in time stays open past its deadline
   * (a deadline scaled as the waits are: a loaded machine or a
   * sanitizer must not make the handshake itself miss it). */
  so = ah_session_opts_new();
  assert_int_equal(ah_session_opts_set_timeouts(so, wait_ms(1000), -1, -1), AH_OK);
  s = ah_session_new(so);
  ah_session_opts_free(so);
  assert_non_null(s);
  ws = open_ws(s, "/echo");
  f = ah_ws_recv(ws);
  assert_int_equal(ah_future_wait(f, wait_ms(1000) + 200), AH_ETIMEDOUT);
  ah_future_free(ah_ws_send(ws, AH_WS_TEXT, "late", 4));
  assert_int_equal(settle(f), AH_OK);
  ah_future_free(f);
  ah_ws_free(ws);
  ah_session_free(s);
}

/* A 101 that does not open a WebSocket (RFC 6455 4.1: the client's
 * checks, which libcurl does not make) fails the connect, named. */
static void test_bad_101(void **state)
{
  static const struct {
    const char *path, *why;
  } cases[] = {
    {"/hscut", "cut before the blank line"},
    {"/badaccept", "Sec-WebSocket-Accept does not answer"},
    {"/noaccept", "no Sec-WebSocket-Accept"},
    {"/h2c", "Upgrade: websocket"},
  };
  ah_request_opts *ro;
  ah_session *s;
  ah_future *f;
  ah_ws *ws = NULL;
  size_t i;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    f = ah_ws_connect(s, ws_raw_url(cases[i].path), NULL, &ws);
    assert_int_equal(settle(f), AH_EPROTO);
    if (strstr(ah_future_errmsg(f), cases[i].why) == NULL)
      fail_msg("%s: %s", cases[i].path, ah_future_errmsg(f));
    ah_future_free(f);
    f = ah_ws_recv(ws);
    assert_int_equal(ah_future_error(f), AH_EPROTO);
    ah_future_free(f);
    ah_ws_free(ws);
  }
  /* The caller's own key is the one checked (RFC 6455's example). */
  ro = ah_request_opts_new();
  assert_int_equal(ah_request_opts_add_header(ro, "Sec-WebSocket-Key",
                                              "dGhlIHNhbXBsZSBub25jZQ=="), AH_OK);
  f = ah_ws_connect(s, ws_url("/echo"), ro, &ws);
  assert_int_equal(settle(f), AH_OK);
  ah_future_free(f);
  ah_future_free(ah_ws_send(ws, AH_WS_TEXT, "k", 1));
  assert_int_equal(recv_one(ws, "k", 1), AH_WS_TEXT);
  ah_ws_free(ws);
  ah_request_opts_free(ro);
  ah_session_free(s);
}

/* The session's header limit applies to the 101 as to a response. */
static void test_handshake_header_limit(void **state)
{
  ah_session_opts *so;
  ah_session *s;
  ah_future *f;
  ah_ws *ws = NULL;

  (void)state;
  LIVE();
  s = ah_session_new(NULL);
  assert_non_null(s);
  ws = open_raw(s, "/bighdr?n=5000"); /* within the default 256 KiB */
  ah_ws_free(ws);
  f = ah_ws_connect(s, ws_raw_url("/bighdr?n=400000"), NULL, &ws);
  assert_int_equal(settle(f), AH_ETOOLARGE);
  assert_non_null(strstr(ah_future_errmsg(f), "header size limit"));
  ah_future_free(f);
  ah_ws_free(ws);
  ah_session_free(s);

  so = ah_session_opts_new();
  assert_int_equal(ah_session_opts_set_max_header(so, 1024), AH_OK);
  s = ah_session_new(so);
  ah_session_opts_free(so);
  assert_non_null(s);
  f = ah_ws_connect(s, ws_raw_url("/bighdr?n=5000"), NULL, &ws);
  assert_int_equal(settle(f), AH_ETOOLARGE);
  ah_future_free(f);
  ah_ws_free(ws);
  ah_session_free(s);
}

/* Out of descriptors: a forked child, its WebSocket set made, lowers its
 * RLIMIT_NOFILE below its next descriptor and connects: AH_ENOFD, never
 * a refused connection (libcurl says "Could not connect to server").
 * Exit code 0 when that held. */
static int enofd_child(void)
{
  ah_session *s = ah_session_new(NULL);
  ah_ws *ws = NULL;
  ah_future *f;
  struct rlimit rl;
  int lowest, err;

  if (s == NULL)
    return 10;
  f = ah_ws_connect(s, ws_url("/echo"), NULL, &ws); /* the set, warm */
  if (ah_future_wait(f, 10000) != AH_OK || ah_future_error(f) != AH_OK)
    return 11;
  ah_future_free(f);
  ah_ws_free(ws);
  lowest = dup(0);
  close(lowest);
  rl.rlim_cur = rl.rlim_max = (rlim_t)lowest;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
    return 12;
  f = ah_ws_connect(s, ws_url("/echo"), NULL, &ws);
  if (ah_future_wait(f, 10000) != AH_OK)
    return 13;
  err = ah_future_error(f);
  if (err != AH_ENOFD || strstr(ah_future_errmsg(f), "file descriptor") == NULL) {
    fprintf(stderr, "child: %s\n", ah_future_errmsg(f));
    return 14;
  }
  ah_future_free(f);
  ah_ws_free(ws);
  ah_session_free(s);
  return 0;
}

static void test_out_of_descriptors(void **state)
{
  pid_t pid;
  int status;

  (void)state;
  LIVE();
  if (getenv("AH_UNDER_VALGRIND") != NULL)
    skip(); /* valgrind keeps descriptors of its own */
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0)
    _exit(enofd_child());
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_without_websocket_support),
    TU_TEST(test_bad_input),
    TU_TEST(test_close_handshake),
    TU_TEST(test_free_with_futures_pending),
    TU_TEST(test_free_from_callback),
    TU_TEST(test_free_from_cancel_callback),
    TU_TEST(test_free_from_failed_connect_callback),
    TU_TEST(test_huge_timeouts),
    TU_TEST(test_session_freed_with_websocket_open),
    TU_TEST(test_refused_upgrade),
    TU_TEST(test_wss),
    TU_TEST(test_handshake_timeout),
    TU_TEST(test_bad_101),
    TU_TEST(test_handshake_header_limit),
    TU_TEST(test_out_of_descriptors),
  };

  return cmocka_run_group_tests(tests, setup, teardown);
}
