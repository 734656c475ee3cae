/* libevent_loop.c - an ahttp session driven by libevent's own loop.
 *
 *   libevent_loop [-t TIMEOUT_MS] URL...
 *
 * The adapter <ahttp/adapters/libevent.h> adds a persistent read event on
 * the session's one descriptor (ah_session_fd) that calls
 * ah_session_run(s, 0), which processes what is ready and returns at once. ahttp's timers live inside that descriptor,
 * so the program adds no timer event for them. Completions arrive through
 * ah_future_on_done, on libevent's thread; after the last one the event
 * is deleted and event_base_dispatch returns. */
#include <ahttp.h>
#include <ahttp/adapters/libevent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct app {
  ah_session *s;
  struct event *ev;
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
    event_del(a->ev); /* nothing left: the dispatch returns; freed below */
}

int main(int argc, char **argv)
{
  struct event_base *base = event_base_new();
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
  if (base == NULL || a.s == NULL)
    return 1;
  a.ev = ah_libevent_attach(base, a.s);
  if (a.ev == NULL)
    return 1;
  for (i = first; i < argc; i++)
    ah_future_on_done(ah_session_fetch(a.s, argv[i], o), on_done, &a);
  ah_request_opts_free(o);
  event_base_dispatch(base);
  ah_libevent_detach(a.ev);
  event_base_free(base);
  ah_session_free(a.s);
  return 0;
}
