/* gather.c - fetch every URL on the command line at once and print, for
 * each, its status, size and time, then the total.
 *
 *   gather URL...
 *
 * Built against the public header only. */
#include <ahttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct job {
  const char *url;
  struct timespec start, end;
};

static double ms_between(const struct timespec *a, const struct timespec *b)
{
  return (double)(b->tv_sec - a->tv_sec) * 1e3 +
         (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void on_done(ah_future *f, void *userdata)
{
  struct job *j = userdata;
  (void)f;
  clock_gettime(CLOCK_MONOTONIC, &j->end);
}

int main(int argc, char **argv)
{
  int n = argc - 1, i, failed = 0;
  ah_future **fs;
  struct job *jobs;
  struct timespec t0, t1;
  ah_session *s;
  size_t total = 0;

  if (n < 1) {
    fprintf(stderr, "usage: %s URL...\n", argv[0]);
    return 2;
  }
  s = ah_session_new(NULL);
  fs = calloc((size_t)n, sizeof *fs);
  jobs = calloc((size_t)n, sizeof *jobs);
  if (s == NULL || fs == NULL || jobs == NULL) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (i = 0; i < n; i++) {
    jobs[i].url = argv[i + 1];
    jobs[i].start = t0;
    fs[i] = ah_session_fetch(s, jobs[i].url, NULL);
    if (fs[i] == NULL) {
      fprintf(stderr, "out of memory\n");
      return 1;
    }
    ah_future_on_done(fs[i], on_done, &jobs[i]);
  }
  if (ah_gather(fs, (size_t)n, -1) != AH_OK)
    fprintf(stderr, "gather did not finish\n");
  clock_gettime(CLOCK_MONOTONIC, &t1);

  printf("%-6s %10s %9s  %s\n", "status", "bytes", "ms", "url");
  for (i = 0; i < n; i++) {
    const ah_response *r = ah_future_response(fs[i]);
    if (r != NULL) {
      size_t len;
      ah_response_body(r, &len);
      total += len;
      printf("%-6d %10zu %9.1f  %s\n", ah_response_status(r), len,
             ms_between(&jobs[i].start, &jobs[i].end), jobs[i].url);
    } else {
      failed++;
      printf("%-6s %10s %9.1f  %s\n       %s\n", "error", "-",
             ms_between(&jobs[i].start, &jobs[i].end), jobs[i].url,
             ah_future_errmsg(fs[i]));
    }
    ah_future_free(fs[i]);
  }
  printf("total: %d requests, %d failed, %zu bytes in %.1f ms\n", n, failed,
         total, ms_between(&t0, &t1));
  ah_session_free(s);
  free(fs);
  free(jobs);
  return failed ? 1 : 0;
}
