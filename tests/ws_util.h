/* ws_util.h - what tests/test_ws.c and tests/test_ws_io.c share: the
 * python3-websockets server (tests/ws_server.py, started by /usr/bin/python3
 * where its Debian package is), its URLs, and waits. Included once per
 * test program. */
#ifndef AH_WS_UTIL_H
#define AH_WS_UTIL_H

#include <ahttp.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

static pid_t ws_pid = -1;
static int ws_port;
static int ws_raw_port; /* the hostile server of ws_server.py */

static int setup(void **state)
{
  const char *argv[] = {"/usr/bin/python3", "tests/ws_server.py", NULL};
  char line[64];

  if (tu_group_setup(state) != 0)
    return -1;
  if (ah_ws_check(NULL) != AH_OK)
    return 0; /* no WebSocket here: the live tests skip */
  ws_pid = tu_spawn(argv, line, sizeof line);
  if (ws_pid < 0 || sscanf(line, "READY %d %d", &ws_port, &ws_raw_port) != 2)
    return -1;
  return 0;
}

static int teardown(void **state)
{
  if (ws_pid > 0)
    tu_server_stop(ws_pid);
  return tu_group_teardown(state);
}

static const char *ws_url(const char *path)
{
  static char buf[4][128];
  static int i;

  i = (i + 1) % 4;
  snprintf(buf[i], sizeof buf[i], "ws://127.0.0.1:%d%s", ws_port, path);
  return buf[i];
}

/* A URL of the hostile server. */
static const char *ws_raw_url(const char *path)
{
  static char buf[4][128];
  static int i;

  i = (i + 1) % 4;
  snprintf(buf[i], sizeof buf[i], "ws://127.0.0.1:%d%s", ws_raw_port, path);
  return buf[i];
}

#define LIVE()                                                         \
  do {                                                                 \
    const char *why_;                                                  \
    if (ah_ws_check(&why_) != AH_OK) {                                 \
      print_message("skipped: %s\n", why_);                            \
      skip();                                                          \
    }                                                                  \
  } while (0)

static long wait_ms(long ms)
{
  return (long)(ms * tu_slowdown());
}

/* The future done within 10 s, its code. */
static int settle(ah_future *f)
{
  assert_non_null(f);
  assert_int_equal(ah_future_wait(f, wait_ms(10000)), AH_OK);
  return ah_future_error(f);
}

static ah_ws *open_url(ah_session *s, const char *url, const char *path)
{
  ah_ws *ws = NULL;
  ah_future *f = ah_ws_connect(s, url, NULL, &ws);
  int err = settle(f);

  if (err != AH_OK)
    fail_msg("connect %s: %s", path, ah_future_errmsg(f));
  assert_non_null(ws);
  ah_future_free(f);
  return ws;
}

static ah_ws *open_ws(ah_session *s, const char *path)
{
  return open_url(s, ws_url(path), path);
}

/* A WebSocket to the hostile server. */
static inline ah_ws *open_raw(ah_session *s, const char *path)
{
  return open_url(s, ws_raw_url(path), path);
}

/* Receive one message: its type, its bytes copied to out (or compared). */
static int recv_one(ah_ws *ws, const char *want, size_t want_len)
{
  ah_future *f = ah_ws_recv(ws);
  const char *data = NULL;
  size_t len = 0;
  int type;

  if (settle(f) != AH_OK)
    fail_msg("recv: %s", ah_future_errmsg(f));
  type = ah_ws_message(f, &data, &len);
  if (want != NULL) {
    assert_int_equal(len, want_len);
    assert_memory_equal(data, want, want_len);
    assert_int_equal(data[len], '\0');
  }
  ah_future_free(f);
  return type;
}

#endif
