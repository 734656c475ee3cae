/* torture.c - allocation-failure torture (make torture).
 *
 * For each scenario: run it once through a counting allocator to learn
 * how many allocations it makes (ahttp's and libcurl's, which ahttp hands
 * the same allocator), then run it again once for every k, failing the
 * k-th allocation. Every run must end without a crash (AddressSanitizer),
 * with every allocation freed (counted here, and LeakSanitizer at exit),
 * and with every future either as the scenario expects or AH_ENOMEM, or a
 * NULL or AH_ENOMEM from the call that allocated. Prints the injection
 * points survived. Talks only to the test server it starts. */
#include <ahttp.h>
#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

/* The counting, failing allocator. */
static long count, fail_at = -1, live;
static int failed;

/* TORTURE_BT=k prints where the k-th allocation is made (to debug). */
static long bt_at = -1;

static int give(void)
{
  if (++count == fail_at) {
    failed = 1;
    if (count == bt_at) {
      void *frames[24];
      backtrace_symbols_fd(frames, backtrace(frames, 24), 2);
    }
    return 0;
  }
  return 1;
}

static void *t_malloc(size_t n)
{
  void *p = give() ? malloc(n) : NULL;
  if (p)
    live++;
  return p;
}

static void *t_calloc(size_t n, size_t s)
{
  void *p = give() ? calloc(n, s) : NULL;
  if (p)
    live++;
  return p;
}

static void *t_realloc(void *old, size_t n)
{
  void *p = give() ? realloc(old, n) : NULL;
  if (p && old == NULL)
    live++;
  return p;
}

static void t_free(void *p)
{
  if (p)
    live--;
  free(p);
}

static char *t_strdup(const char *s)
{
  char *p = give() ? strdup(s) : NULL;
  if (p)
    live++;
  return p;
}

static int bad;        /* runs that ended wrongly */
static char why[512];  /* the first wrong ending */

static void wrong(long k, const char *scenario, const char *what, int err)
{
  if (bad++ == 0)
    snprintf(why, sizeof why, "%s, failing allocation %ld: %s (%s)", scenario,
             k, what, ah_strerror(err));
}

/* A future's ending: what the scenario expects, or AH_ENOMEM once an
 * allocation failed. */
static void expect(long k, const char *sc, ah_future *f, int want)
{
  int err;

  if (f == NULL)
    return; /* the call that allocated said so */
  err = ah_future_error(f);
  if (err != want && !(failed && err == AH_ENOMEM))
    wrong(k, sc, ah_future_errmsg(f), err);
}

static long cur_k;
static const char *cur_sc;

/* A future must end: one that does not within 5 s is a wrong ending. */
static ah_future *wait_one(ah_future *f)
{
  if (f != NULL && ah_future_wait(f, 5000) == AH_ETIMEDOUT)
    wrong(cur_k, cur_sc, "a future never completed", AH_ETIMEDOUT);
  return f;
}

/* Scenarios. Each returns with everything it made freed. */

static void sc_get(long k)
{
  ah_session *s = ah_session_new(NULL);
  ah_future *f;

  if (s == NULL)
    return;
  f = wait_one(ah_session_fetch(s, tu_url("/size/1000"), NULL));
  expect(k, "GET", f, AH_OK);
  ah_future_free(f);
  ah_session_free(s);
}

static void sc_gather(long k)
{
  static const char *const paths[] = {"/redirect/2", "/chunked/5000",
                                      "/size/100", "/gzip/3000"};
  ah_session *s = ah_session_new(NULL);
  ah_future *fs[20];
  int i;

  if (s == NULL)
    return;
  for (i = 0; i < 20; i++)
    fs[i] = ah_session_fetch(s, tu_url(paths[i % 4]), NULL);
  for (i = 0; i < 20; i++) /* NULL futures (no memory) are not waited on */
    wait_one(fs[i]);
  for (i = 0; i < 20; i++) {
    expect(k, "gather of 20", fs[i], AH_OK);
    ah_future_free(fs[i]);
  }
  ah_session_free(s);
}

static char form_file[64];

static void sc_post_multipart(long k)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  ah_future *f = NULL;

  if (s != NULL && o != NULL &&
      ah_request_opts_add_form_field(o, "title", "torture") == AH_OK &&
      ah_request_opts_add_form_file(o, "upload", form_file, "f.bin", NULL) == AH_OK &&
      ah_request_opts_add_header(o, "X-Test", "1") == AH_OK) {
    f = wait_one(ah_session_fetch(s, tu_url("/form"), o));
    expect(k, "POST multipart", f, AH_OK);
  }
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

static void sc_cancel_and_timeout(long k)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  ah_future *c, *t = NULL;

  if (s == NULL || o == NULL) {
    ah_request_opts_free(o);
    ah_session_free(s);
    return;
  }
  c = ah_session_fetch(s, tu_url("/delay/2000"), NULL);
  if (ah_request_opts_set_timeout(o, 50) == AH_OK)
    t = ah_session_fetch(s, tu_url("/delay/2000"), o);
  ah_session_run(s, 20);
  if (c)
    ah_future_cancel(c);
  expect(k, "cancel", c, AH_ECANCELED);
  wait_one(t);
  expect(k, "timeout", t, AH_ETIMEDOUT);
  ah_future_free(c);
  ah_future_free(t);
  ah_request_opts_free(o);
  ah_session_free(s);
}

static void sc_free_pending(long k)
{
  ah_session *s = ah_session_new(NULL);
  ah_future *fs[3];
  int i;

  if (s == NULL)
    return;
  for (i = 0; i < 3; i++)
    fs[i] = ah_session_fetch(s, tu_url("/delay/1000"), NULL);
  ah_session_run(s, 20);
  ah_session_free(s);
  for (i = 0; i < 3; i++) {
    expect(k, "session freed with pending futures", fs[i], AH_ECANCELED);
    ah_future_free(fs[i]);
  }
}

static const struct {
  const char *name;
  void (*run)(long k);
} scenarios[] = {
  {"GET", sc_get},
  {"gather of 20 (redirects, chunked, gzip)", sc_gather},
  {"POST multipart", sc_post_multipart},
  {"canceled and timed-out futures", sc_cancel_and_timeout},
  {"session freed with pending futures", sc_free_pending},
};

int main(void)
{
  static const ah_allocator a = {t_malloc, t_calloc, t_realloc, t_free, t_strdup};
  long total = 0, leaks = 0, k, n;
  size_t i;
  pid_t server;
  int fd;

  setvbuf(stdout, NULL, _IOLBF, 0);
  if (getenv("TORTURE_BT"))
    bt_at = atol(getenv("TORTURE_BT"));
  if (ah_set_allocator(&a) != AH_OK) {
    fprintf(stderr, "torture: ah_set_allocator refused\n");
    return 1;
  }
  if ((server = tu_server_start(&tu_port)) < 0) {
    fprintf(stderr, "torture: the test server did not start\n");
    return 1;
  }
  snprintf(form_file, sizeof form_file, "/tmp/ahttp-torture-XXXXXX");
  fd = mkstemp(form_file);
  if (fd < 0 || write(fd, "0123456789", 10) != 10)
    return 1;
  close(fd);
  sc_get(0); /* libcurl's one-time initialization happens here */
  for (i = 0; i < sizeof scenarios / sizeof *scenarios; i++) {
    long before = live, survived = 0;
    count = 0;
    fail_at = -1;
    failed = 0;
    scenarios[i].run(0);
    n = count;
    if (live != before)
      wrong(0, scenarios[i].name, "allocations left after a clean run", 0);
    cur_sc = scenarios[i].name;
    for (k = 1; k <= n; k++) {
      cur_k = k;
      if (getenv("TORTURE_TRACE"))
        fprintf(stderr, "%s k=%ld\n", cur_sc, k);
      before = live;
      count = 0;
      fail_at = k;
      failed = 0;
      scenarios[i].run(k);
      if (live != before) {
        leaks++;
        wrong(k, scenarios[i].name, "allocations left over", 0);
      }
      if (bad > 0 && getenv("TORTURE_STOP")) {
        printf("torture: stopping at the first wrong ending: %s\n", why);
        return 1;
      }
      survived++;
    }
    printf("torture: %-42s %5ld allocations, %5ld injection points survived\n",
           scenarios[i].name, n, survived);
    total += survived;
  }
  unlink(form_file);
  tu_server_stop(server);
  printf("torture: %ld injection points survived in all, %d wrong endings, "
         "%ld runs that left memory\n", total, bad, leaks);
  if (bad)
    printf("torture: first wrong ending: %s\n", why);
  return bad ? 1 : 0;
}
