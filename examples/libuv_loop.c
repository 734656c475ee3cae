/* libuv_loop.c - an ahttp session driven by libuv's own loop.
 *
 *   libuv_loop [-t TIMEOUT_MS] URL...
 *
 * The adapter <ahttp/adapters/libuv.h> watches the session's one
 * descriptor (ah_session_fd) with a uv_poll handle and runs the session
 * when it is readable. ahttp's timers live inside that descriptor, so the
 * program needs no uv_timer for them. Completions arrive through
 * ah_future_on_done, on libuv's thread; when the last one is in, the
 * adapter is detached and uv_run returns. */
#include <ahttp.h>
#include <ahttp/adapters/libuv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct app {
  ah_session *s;
  ah_uv uv;
  int pending;
};

static void on_done(ah_future *f, void *userdata)
{
  struct app *a = userdata;
  const ah_response *r = ah_future_response(f);
  size_t len = 0;

  if (r != NULL) {
    ah_response_body(r, &len);
    printf("%d %zu bytes %s\n", ah_response_status(r), len, ah_response_url(r));
  } else {
    printf("error %s\n", ah_future_errmsg(f));
  }
  ah_future_free(f);
  if (--a->pending == 0)
    ah_uv_detach(&a->uv); /* nothing left: uv_run returns */
}

int main(int argc, char **argv)
{
  struct app a;
  ah_request_opts *o = ah_request_opts_new();
  int i, first = 1;

  if (argc > 2 && strcmp(argv[1], "-t") == 0) {
    /* A total timeout per request: a timer, which the loop serves
     * through the same descriptor. */
    ah_request_opts_set_timeout(o, atol(argv[2]));
    first = 3;
  }
  if (argc <= first) {
    fprintf(stderr, "usage: %s [-t TIMEOUT_MS] URL...\n", argv[0]);
    return 2;
  }
  a.s = ah_session_new(NULL);
  a.pending = argc - first;
  if (a.s == NULL || ah_uv_attach(&a.uv, uv_default_loop(), a.s) != 0)
    return 1;
  for (i = first; i < argc; i++)
    ah_future_on_done(ah_session_fetch(a.s, argv[i], o), on_done, &a);
  ah_request_opts_free(o);
  uv_run(uv_default_loop(), UV_RUN_DEFAULT);
  uv_loop_close(uv_default_loop());
  ah_session_free(a.s);
  return 0;
}
