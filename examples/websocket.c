/* websocket.c - send each argument as a text message on a WebSocket and
 * print what comes back, then close.
 *
 *   websocket ws://127.0.0.1:8765/echo hello world
 *
 * Exits 0 when every message came back and the close handshake ended,
 * 1 on a failure, 77 when the libcurl this process runs has no WebSocket
 * (it says why). */
#include <ahttp.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
  const char *why, *data, *reason;
  ah_session *s;
  ah_future *c, *f;
  ah_ws *ws;
  size_t len;
  int i, rc = 0;

  if (argc < 2) {
    fprintf(stderr, "usage: %s ws://HOST:PORT/PATH [MESSAGE...]\n", argv[0]);
    return 1;
  }
  if (ah_ws_check(&why) != AH_OK) {
    fprintf(stderr, "no WebSocket here: %s\n", why);
    return 77;
  }
  s = ah_session_new(NULL);
  if (s == NULL)
    return 1;
  c = ah_ws_connect(s, argv[1], NULL, &ws);
  if (ah_future_wait(c, 5000) != AH_OK || ah_future_error(c) != AH_OK) {
    fprintf(stderr, "%s\n", ah_future_errmsg(c));
    ah_future_free(c);
    ah_ws_free(ws);
    ah_session_free(s);
    return 1;
  }
  ah_future_free(c);

  for (i = 2; i < argc && rc == 0; i++) {
    ah_future_free(ah_ws_send(ws, AH_WS_TEXT, argv[i], strlen(argv[i])));
    f = ah_ws_recv(ws);
    if (ah_future_wait(f, 5000) == AH_OK &&
        ah_ws_message(f, &data, &len) == AH_WS_TEXT) {
      printf("echo: %s\n", data);
    } else {
      fprintf(stderr, "%s\n", ah_future_errmsg(f));
      rc = 1;
    }
    ah_future_free(f);
  }

  /* The close handshake, bounded by the wait. */
  f = ah_ws_close(ws, 1000, "bye");
  if (ah_future_wait(f, 2000) == AH_OK && ah_future_error(f) == AH_OK) {
    int code = ah_ws_close_code(ws, &reason);
    printf("closed: %d \"%s\"\n", code, reason);
  } else {
    rc = 1;
  }
  ah_future_free(f);
  ah_ws_free(ws);
  ah_session_free(s);
  return rc;
}
