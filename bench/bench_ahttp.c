/* bench_ahttp.c - ahttp under the bench workloads.
 *
 *   bench_ahttp gather URL N C   one ah_gather of N futures, C connections,
 *                                every response kept until the gather ends
 *   bench_ahttp window URL N C   C in flight: each on_done starts the next
 *                                and frees its own future
 *   bench_ahttp stream URL N C   as window, the body streamed through an
 *                                on_data callback that only counts it, as
 *                                the raw loops do (nothing kept)
 *   ... URL N C CAFILE           over TLS trusting CAFILE (HTTP/2 when offered)
 *
 * Prints: elapsed_s ok bytes non200 */
#include <ahttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct window {
  ah_session *s;
  const char *url;
  ah_request_opts *o; /* stream: the counting on_data; else NULL */
  long started, done, n, ok, non200;
  size_t bytes;
};

static double now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void tally(const ah_future *f, long *ok, long *non200, size_t *bytes)
{
  const ah_response *r = ah_future_response(f);
  size_t len = 0;

  if (r == NULL)
    return;
  ah_response_body(r, &len);
  *bytes += len;
  (*ok)++;
  if (ah_response_status(r) != 200)
    (*non200)++;
}

static void next(struct window *w);

static void on_done(ah_future *f, void *ud)
{
  struct window *w = ud;
  w->done++;
  tally(f, &w->ok, &w->non200, &w->bytes);
  ah_future_free(f);
  next(w);
}

/* stream: the body's bytes are counted as they arrive, never kept. */
static int count_data(ah_future *f, const char *data, size_t len, void *ud)
{
  (void)f;
  (void)data;
  ((struct window *)ud)->bytes += len;
  return 0;
}

static void next(struct window *w)
{
  if (w->started < w->n) {
    ah_future *f = ah_session_fetch(w->s, w->url, w->o);
    w->started++;
    ah_future_on_done(f, on_done, w);
  }
}

/* AH_BENCH_HOOK=1: a lifecycle hook that only counts, to measure what
 * the events cost (bench/instr.py, "with a hook" row). */
static unsigned long events;
static void count_event(const ah_event *ev, void *userdata)
{
  (void)ev;
  (void)userdata;
  events++;
}

int main(int argc, char **argv)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s;
  long n, c, i, ok = 0, non200 = 0;
  size_t bytes = 0;
  double t0;

  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: %s gather|window|stream URL N C [CAFILE]\n", argv[0]);
    return 2;
  }
  if (argc == 6)
    ah_session_opts_set_ca(o, argv[5], NULL);
  n = atol(argv[3]);
  c = atol(argv[4]);
  ah_session_opts_set_max_connections(o, c, 0);
  if (getenv("AH_BENCH_HOOK") != NULL)
    ah_session_opts_on_event(o, count_event, NULL);
  s = ah_session_new(o);
  ah_session_opts_free(o);
  t0 = now();
  if (strcmp(argv[1], "gather") == 0) {
    ah_future **fs = malloc((size_t)n * sizeof *fs);
    for (i = 0; i < n; i++)
      fs[i] = ah_session_fetch(s, argv[2], NULL);
    if (ah_gather(fs, (size_t)n, -1) != AH_OK)
      return 1;
    for (i = 0; i < n; i++)
      tally(fs[i], &ok, &non200, &bytes);
    printf("%.6f %ld %zu %ld\n", now() - t0, ok, bytes, non200);
    for (i = 0; i < n; i++)
      ah_future_free(fs[i]);
    free(fs);
  } else {
    struct window w;
    memset(&w, 0, sizeof w);
    w.s = s;
    w.url = argv[2];
    w.n = n;
    if (strcmp(argv[1], "stream") == 0) {
      w.o = ah_request_opts_new();
      ah_request_opts_on_data(w.o, count_data, &w);
    }
    for (i = 0; i < c; i++)
      next(&w);
    while (w.done < w.n)
      if (ah_session_run(s, -1) != AH_OK)
        break;
    printf("%.6f %ld %zu %ld\n", now() - t0, w.ok, w.bytes, w.non200);
    ah_request_opts_free(w.o);
  }
  ah_session_free(s);
  return 0;
}
