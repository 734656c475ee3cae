/* soak.c - a long run that must not grow (bench, not a test).
 *
 *   soak URL N [CHURN_URL]
 *
 * Keeps 64 requests in flight until N have completed: over keep-alive
 * connections to URL, and every tenth to CHURN_URL when given (a server
 * that closes each connection: connection churn). Every 10,000
 * completions it prints the count, the process's RSS and its open
 * descriptors. After the warm-up (the first 100,000), RSS must grow less
 * than 1 MiB and descriptors not at all; the last line says whether they
 * did. Exit status 1 when not, or when a request failed. */
#include <ahttp.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct soak {
  ah_session *s;
  const char *url, *churn;
  long started, done, failed, n;
};

static long rss_kib(void)
{
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;

  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0)
      kib = atol(line + 6);
  if (f)
    fclose(f);
  return kib;
}

static int fds(void)
{
  DIR *d = opendir("/proc/self/fd");
  int n = 0;

  while (d && readdir(d))
    n++;
  if (d)
    closedir(d);
  return n - 3; /* ".", "..", and the directory itself */
}

static void next(struct soak *k);

static void on_done(ah_future *f, void *ud)
{
  struct soak *k = ud;

  if (ah_future_error(f) != AH_OK) {
    if (k->failed++ < 5)
      fprintf(stderr, "soak: %s\n", ah_future_errmsg(f));
  }
  ah_future_free(f);
  k->done++;
  next(k);
}

static void next(struct soak *k)
{
  const char *u;

  if (k->started >= k->n)
    return;
  u = k->churn && k->started % 10 == 9 ? k->churn : k->url;
  k->started++;
  ah_future_on_done(ah_session_fetch(k->s, u, NULL), on_done, k);
}

int main(int argc, char **argv)
{
  struct soak k = {0};
  long warm_rss = -1, max_rss = 0, reported = 0;
  int warm_fds = -1, max_fds = 0, i, ok;

  if (argc < 3)
    return 2;
  k.url = argv[1];
  k.n = atol(argv[2]);
  k.churn = argc > 3 ? argv[3] : NULL;
  k.s = ah_session_new(NULL);
  for (i = 0; i < 64; i++)
    next(&k);
  while (k.done < k.n) {
    if (ah_session_run(k.s, 1000) < 0)
      return 1;
    if (k.done - reported >= 10000 || k.done == k.n) {
      long rss = rss_kib();
      int n = fds();
      reported = k.done - k.done % 10000;
      printf("%ld requests, RSS %ld KiB, %d descriptors\n", k.done, rss, n);
      fflush(stdout);
      if (k.done >= 100000 && warm_rss < 0) {
        warm_rss = rss;
        warm_fds = n;
      } else if (warm_rss >= 0) {
        if (rss > max_rss)
          max_rss = rss;
        if (n > max_fds)
          max_fds = n;
      }
    }
  }
  ah_session_free(k.s);
  ok = k.failed == 0 && (warm_rss < 0 || (max_rss - warm_rss < 1024 && max_fds <= warm_fds));
  printf("soak: %ld requests, %ld failed; after warm-up RSS grew %ld KiB "
         "(limit 1024), descriptors %d -> %d at most: %s\n", k.done, k.failed,
         warm_rss < 0 ? 0 : (max_rss > warm_rss ? max_rss - warm_rss : 0),
         warm_fds, max_fds > warm_fds ? max_fds : warm_fds, ok ? "ok" : "GREW");
  return ok ? 0 : 1;
}
