/* threads.c - several threads sharing one session through an ah_loop:
 * the session runs on the loop's own thread; any thread hands it a
 * request and waits on the future it gets back.
 *
 *   threads URL...     (one thread per URL)
 *
 * The tutorial's "threads" step (docs/tutorial.md). */
#include <ahttp.h>
#include <pthread.h>
#include <stdio.h>

struct worker {
  pthread_t thread;
  ah_loop *loop;
  const char *url;
  int ok;
};

static void *work(void *arg)
{
  struct worker *w = arg;
  ah_future *f = ah_loop_fetch(w->loop, w->url, NULL, NULL, NULL);

  /* Waiting blocks this thread only; the loop's thread does the I/O. */
  if (ah_future_wait(f, 30000) == AH_OK && ah_future_error(f) == AH_OK) {
    printf("%d %s\n", ah_response_status(ah_future_response(f)), w->url);
    w->ok = 1;
  } else {
    printf("error %s\n", ah_future_errmsg(f));
  }
  ah_future_free(f);
  return NULL;
}

int main(int argc, char **argv)
{
  struct worker w[16];
  int n = argc - 1 < 16 ? argc - 1 : 16, i, failed = 0;
  ah_loop *loop = ah_loop_new(NULL);

  if (loop == NULL || n < 1) {
    fprintf(stderr, "usage: %s URL...\n", argv[0]);
    return 2;
  }
  for (i = 0; i < n; i++) {
    w[i].loop = loop;
    w[i].url = argv[i + 1];
    w[i].ok = 0;
    pthread_create(&w[i].thread, NULL, work, &w[i]);
  }
  for (i = 0; i < n; i++) {
    pthread_join(w[i].thread, NULL);
    failed += !w[i].ok;
  }
  ah_loop_free(loop);
  printf("%d threads, %d failed\n", n, failed);
  return failed ? 1 : 0;
}
