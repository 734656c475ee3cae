/* test_session.c - SPEC section 2, row by row, against the test server. */
#include <ahttp.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <dirent.h>
#include <time.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static ah_session *new_session(void)
{
  ah_session *s = ah_session_new(NULL);
  assert_non_null(s);
  return s;
}

static void test_fetch_wait_response(void **state)
{
  ah_session *s = new_session();
  ah_future *f = ah_session_fetch(s, tu_url("/size/1234"), NULL);
  const ah_response *r;
  size_t len = 0;
  const char *body;

  (void)state;
  assert_non_null(f);
  assert_int_equal(ah_future_done(f), 0);
  assert_int_equal(ah_future_error(f), AH_EPENDING);
  assert_null(ah_future_response(f));
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_int_equal(ah_future_done(f), 1);
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_string_equal(ah_future_errmsg(f), "success");
  r = ah_future_response(f);
  assert_non_null(r);
  assert_int_equal(ah_response_status(r), 200);
  body = ah_response_body(r, &len);
  assert_int_equal(len, 1234);
  assert_int_equal(body[len], '\0');
  assert_int_equal(strspn(body, "x"), 1234);
  assert_string_equal(ah_response_header(r, "content-type"), "text/plain");
  assert_string_equal(ah_response_header(r, "CONTENT-LENGTH"), "1234");
  assert_null(ah_response_header(r, "x-absent"));
  assert_string_equal(ah_response_url(r), tu_url("/size/1234"));
  ah_future_free(f);
  ah_session_free(s);
}

static void test_status_is_a_response(void **state)
{
  ah_session *s = new_session();
  ah_future *f = ah_session_fetch(s, tu_url("/status/503"), NULL);

  (void)state;
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_int_equal(ah_response_status(ah_future_response(f)), 503);
  assert_string_equal(ah_response_body(ah_future_response(f), NULL), "status 503");
  ah_future_free(f);
  ah_session_free(s);
}

static void test_header_iteration(void **state)
{
  ah_session *s = new_session();
  ah_future *f = ah_session_fetch(s, tu_url("/headers"), NULL);
  const ah_response *r;
  const char *n, *v;
  size_t i, multi = 0;

  (void)state;
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  r = ah_future_response(f);
  assert_non_null(r);
  assert_int_equal(ah_response_header_count(r), 6);
  assert_int_equal(ah_response_header_at(r, 0, &n, &v), AH_OK);
  assert_string_equal(n, "Content-Length");
  for (i = 0; i < ah_response_header_count(r); i++) {
    assert_int_equal(ah_response_header_at(r, i, &n, &v), AH_OK);
    if (strcasecmp(n, "x-multi") == 0)
      assert_string_equal(v, multi++ ? "two" : "one");
  }
  assert_int_equal(multi, 2);
  assert_int_equal(ah_response_header_at(r, 6, &n, &v), AH_EINVAL);
  assert_string_equal(ah_response_header(r, "X-MULTI"), "one");
  assert_string_equal(ah_response_header(r, "x-empty"), "");
  assert_string_equal(ah_response_header(r, "x-spaced"), "padded");
  assert_string_equal(ah_response_header(r, "x-folded"), "first second");
  ah_future_free(f);
  ah_session_free(s);
}

#define N_GATHER 300
static void test_gather_many(void **state)
{
  ah_session *s = new_session();
  ah_future *fs[N_GATHER];
  char path[64];
  size_t i, len;

  (void)state;
  for (i = 0; i < N_GATHER; i++) {
    snprintf(path, sizeof path, "/size/%zu", i * 7);
    fs[i] = ah_session_fetch(s, tu_url(path), NULL);
    assert_non_null(fs[i]);
  }
  assert_int_equal(ah_gather(fs, N_GATHER, 30000), AH_OK);
  for (i = 0; i < N_GATHER; i++) {
    assert_int_equal(ah_future_error(fs[i]), AH_OK);
    ah_response_body(ah_future_response(fs[i]), &len);
    assert_int_equal(len, i * 7);
    ah_future_free(fs[i]);
  }
  assert_int_equal(ah_gather(NULL, 0, 0), AH_OK);
  ah_session_free(s);
}

static void test_gather_timeout_and_duplicates(void **state)
{
  ah_session *s = new_session();
  ah_future *fs[3];

  (void)state;
  fs[0] = ah_session_fetch(s, tu_url("/size/1"), NULL);
  fs[1] = ah_session_fetch(s, tu_url("/delay/3000"), NULL);
  fs[2] = fs[0];
  assert_int_equal(ah_gather(fs, 3, 300), AH_ETIMEDOUT);
  assert_int_equal(ah_future_error(fs[0]), AH_OK);
  assert_int_equal(ah_future_error(fs[1]), AH_EPENDING);
  /* A timed-out wait leaves the future pending and waitable again. */
  assert_int_equal(ah_future_wait(fs[1], 0), AH_ETIMEDOUT);
  ah_future_free(fs[0]);
  ah_future_free(fs[1]);
  ah_session_free(s);
}

static void test_wait_any(void **state)
{
  ah_session *s = new_session();
  ah_future *fs[3];

  (void)state;
  fs[0] = ah_session_fetch(s, tu_url("/delay/3000"), NULL);
  fs[1] = ah_session_fetch(s, tu_url("/delay/50"), NULL);
  fs[2] = ah_session_fetch(s, tu_url("/delay/2000"), NULL);
  assert_ptr_equal(ah_wait_any(fs, 3, 10000), fs[1]);
  assert_int_equal(ah_future_error(fs[1]), AH_OK);
  assert_int_equal(ah_future_done(fs[0]), 0);
  /* A done future in the list is returned at once. */
  assert_ptr_equal(ah_wait_any(fs, 3, 0), fs[1]);
  assert_null(ah_wait_any(fs, 1, 50)); /* timeout */
  ah_future_free(fs[0]);
  ah_future_free(fs[1]);
  ah_future_free(fs[2]);
  ah_session_free(s);
}

static void test_bad_urls_fail_at_once(void **state)
{
  const char *bad[] = {"ftp://127.0.0.1/", "file:///etc/passwd",
                       "http://exa mple.com/", "http://host/\r\nX-Injected: 1",
                       "not a url", "", "http://[::1/", "http://127.0.0.1:99999/"};
  ah_session *s = new_session();
  size_t i;
  ah_future *f;

  (void)state;
  for (i = 0; i < sizeof bad / sizeof *bad; i++) {
    f = ah_session_fetch(s, bad[i], NULL);
    assert_non_null(f);
    assert_int_equal(ah_future_done(f), 1);
    assert_int_equal(ah_future_error(f), AH_EINVAL);
    assert_null(ah_future_response(f));
    assert_non_null(strstr(ah_future_errmsg(f), "invalid argument: "));
    ah_future_free(f);
  }
  f = ah_session_fetch(s, NULL, NULL);
  assert_int_equal(ah_future_error(f), AH_EINVAL);
  assert_non_null(strstr(ah_future_errmsg(f), "NULL"));
  ah_future_free(f);
  f = ah_session_fetch(NULL, tu_url("/"), NULL);
  assert_int_equal(ah_future_error(f), AH_EINVAL);
  ah_future_free(f);
  ah_session_free(s);
}

static void test_cancel(void **state)
{
  ah_session *s = new_session();
  ah_future *f = ah_session_fetch(s, tu_url("/delay/5000"), NULL);
  ah_future *g = ah_session_fetch(s, tu_url("/size/10"), NULL);

  (void)state;
  assert_int_equal(ah_session_run(s, 20), AH_OK); /* let it connect */
  assert_int_equal(ah_future_cancel(f), AH_OK);
  assert_int_equal(ah_future_done(f), 1);
  assert_int_equal(ah_future_error(f), AH_ECANCELED);
  assert_non_null(strstr(ah_future_errmsg(f), "canceled by the caller"));
  assert_null(ah_future_response(f));
  assert_int_equal(ah_future_cancel(f), AH_OK); /* done: nothing to do */
  assert_int_equal(ah_future_error(f), AH_ECANCELED);
  assert_int_equal(ah_future_wait(g, 10000), AH_OK);
  assert_int_equal(ah_future_error(g), AH_OK);
  assert_int_equal(ah_future_cancel(g), AH_OK);
  assert_int_equal(ah_future_error(g), AH_OK); /* cancel after done is a no-op */
  assert_int_equal(ah_future_cancel(NULL), AH_EINVAL);
  ah_future_free(f);
  ah_future_free(g);
  ah_session_free(s);
}

static void test_free_pending_future(void **state)
{
  ah_session *s = new_session();
  ah_future *f = ah_session_fetch(s, tu_url("/delay/5000"), NULL);
  ah_future *g = ah_session_fetch(s, tu_url("/size/3"), NULL);

  (void)state;
  ah_session_run(s, 20);
  ah_future_free(f);
  ah_future_free(NULL);
  assert_int_equal(ah_future_wait(g, 10000), AH_OK);
  assert_int_equal(ah_future_error(g), AH_OK);
  ah_future_free(g);
  ah_session_free(s);
}

struct counts {
  int calls;
  ah_future *chained;
  ah_session *s;
  int wait_rc, run_rc;
};

static void count_cb(ah_future *f, void *ud)
{
  struct counts *c = ud;
  assert_int_equal(ah_future_done(f), 1);
  c->calls++;
}

static void test_on_done_once(void **state)
{
  ah_session *s = new_session();
  ah_future *f = ah_session_fetch(s, tu_url("/size/5"), NULL);
  struct counts c = {0, NULL, NULL, 0, 0};

  (void)state;
  assert_int_equal(ah_future_on_done(f, count_cb, &c), AH_OK);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_int_equal(c.calls, 1);
  assert_int_equal(ah_future_wait(f, 0), AH_OK);
  ah_session_run(s, 0);
  assert_int_equal(c.calls, 1);
  /* On a done future the callback runs at once, once. */
  assert_int_equal(ah_future_on_done(f, count_cb, &c), AH_OK);
  assert_int_equal(c.calls, 2);
  assert_int_equal(ah_future_on_done(f, NULL, NULL), AH_EINVAL);
  ah_future_free(f);
  ah_session_free(s);
}

/* on_done may start a new fetch and free its own future; waits inside it
 * are refused. */
static void chain_cb(ah_future *f, void *ud)
{
  struct counts *c = ud;
  c->calls++;
  c->wait_rc = ah_future_wait(f, 0);
  c->run_rc = ah_session_run(c->s, 0);
  c->chained = ah_session_fetch(c->s, tu_url("/size/7"), NULL);
  ah_future_free(f);
}

static void test_on_done_chains_and_frees(void **state)
{
  struct counts c = {0, NULL, NULL, 0, 0};
  ah_future *f;

  (void)state;
  c.s = new_session();
  f = ah_session_fetch(c.s, tu_url("/size/5"), NULL);
  ah_future_on_done(f, chain_cb, &c);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  /* f is freed now: only the chained future is touched. */
  assert_int_equal(c.calls, 1);
  assert_int_equal(c.wait_rc, AH_EBUSY);
  assert_int_equal(c.run_rc, AH_EBUSY);
  assert_non_null(c.chained);
  assert_int_equal(ah_future_wait(c.chained, 10000), AH_OK);
  assert_int_equal(ah_future_error(c.chained), AH_OK);
  ah_future_free(c.chained);
  ah_session_free(c.s);
}

static void test_session_free_cancels_pending(void **state)
{
  ah_session *s = new_session();
  ah_future *fs[4];
  struct counts c = {0, NULL, NULL, 0, 0};
  int i;

  (void)state;
  for (i = 0; i < 4; i++) {
    fs[i] = ah_session_fetch(s, tu_url("/delay/5000"), NULL);
    ah_future_on_done(fs[i], count_cb, &c);
  }
  ah_session_run(s, 20);
  ah_session_free(s);
  assert_int_equal(c.calls, 4);
  for (i = 0; i < 4; i++) {
    assert_int_equal(ah_future_done(fs[i]), 1);
    assert_int_equal(ah_future_error(fs[i]), AH_ECANCELED);
    assert_non_null(strstr(ah_future_errmsg(fs[i]), "session was freed"));
    assert_null(ah_future_session(fs[i]));
    assert_int_equal(ah_future_wait(fs[i], 0), AH_OK);
    ah_future_free(fs[i]);
  }
  ah_session_free(NULL);
}

/* Freeing the session from inside a callback is deferred, not a crash. */
static void free_session_cb(ah_future *f, void *ud)
{
  struct counts *c = ud;
  (void)f;
  c->calls++;
  ah_session_free(c->s);
  c->chained = ah_session_fetch(c->s, tu_url("/size/1"), NULL);
}

static void test_session_free_in_callback(void **state)
{
  struct counts c = {0, NULL, NULL, 0, 0};
  ah_future *f, *g;

  (void)state;
  c.s = new_session();
  f = ah_session_fetch(c.s, tu_url("/size/5"), NULL);
  g = ah_session_fetch(c.s, tu_url("/delay/5000"), NULL);
  ah_future_on_done(f, free_session_cb, &c);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_int_equal(c.calls, 1);
  assert_int_equal(ah_future_error(g), AH_ECANCELED);
  assert_int_equal(ah_future_error(c.chained), AH_ECANCELED);
  ah_future_free(c.chained);
  ah_future_free(f);
  ah_future_free(g);
}

/* A host loop polls ah_session_fd and calls ah_session_run(s, 0). */
static void test_host_loop_fd(void **state)
{
  ah_session *s = new_session();
  ah_future *f = ah_session_fetch(s, tu_url("/delay/100"), NULL);
  int fd = ah_session_fd(s), rounds = 0;

  (void)state;
  assert_true(fd >= 0);
  while (!ah_future_done(f) && rounds < 1000) {
    struct pollfd p = {fd, POLLIN, 0};
    int n = poll(&p, 1, 5000);
    assert_true(n > 0); /* the fd alone wakes the host loop, timers too */
    assert_int_equal(ah_session_run(s, 0), AH_OK);
    rounds++;
  }
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_string_equal(ah_response_body(ah_future_response(f), NULL), "slept 100");
  ah_future_free(f);
  ah_session_free(s);
}

static void *wake_later(void *arg)
{
  usleep(100 * 1000);
  ah_session_wakeup(arg);
  return NULL;
}

static void test_wakeup_from_thread(void **state)
{
  ah_session *s = new_session();
  ah_future *f = ah_session_fetch(s, tu_url("/delay/5000"), NULL);
  pthread_t t;

  (void)state;
  pthread_create(&t, NULL, wake_later, s);
  assert_int_equal(ah_future_wait(f, 20000), AH_EINTR);
  pthread_join(t, NULL);
  assert_int_equal(ah_future_done(f), 0);
  /* A wake-up before the wait is not lost either. */
  ah_session_wakeup(s);
  assert_int_equal(ah_session_run(s, 20000), AH_EINTR);
  assert_int_equal(ah_session_wakeup(NULL), AH_EINVAL);
  ah_future_free(f);
  ah_session_free(s);
}

static void test_gather_two_sessions(void **state)
{
  ah_session *a = new_session(), *b = new_session();
  ah_future *fs[4];
  int i;

  (void)state;
  fs[0] = ah_session_fetch(a, tu_url("/delay/100"), NULL);
  fs[1] = ah_session_fetch(b, tu_url("/delay/150"), NULL);
  fs[2] = ah_session_fetch(a, tu_url("/size/10"), NULL);
  fs[3] = ah_session_fetch(b, tu_url("/size/20"), NULL);
  assert_int_equal(ah_gather(fs, 4, 10000), AH_OK);
  for (i = 0; i < 4; i++) {
    assert_int_equal(ah_future_error(fs[i]), AH_OK);
    ah_future_free(fs[i]);
  }
  ah_session_free(a);
  ah_session_free(b);
}

/* Any timerfd of the process armed (its fdinfo's it_value not zero). */
static int a_timerfd_armed(void)
{
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  int armed = 0;

  assert_non_null(d);
  while ((e = readdir(d)) != NULL) {
    char path[300], target[64], line[128];
    ssize_t n;
    long sec, nsec;
    FILE *fp;

    snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
    n = readlink(path, target, sizeof target - 1);
    if (n <= 0)
      continue;
    target[n] = '\0';
    if (strcmp(target, "anon_inode:[timerfd]") != 0)
      continue;
    snprintf(path, sizeof path, "/proc/self/fdinfo/%s", e->d_name);
    if ((fp = fopen(path, "r")) == NULL)
      continue;
    while (fgets(line, sizeof line, fp) != NULL)
      if (sscanf(line, "it_value: (%ld, %ld)", &sec, &nsec) == 2 && (sec || nsec))
        armed = 1;
    fclose(fp);
  }
  closedir(d);
  return armed;
}

static double since(const struct timespec *t0)
{
  struct timespec t1;

  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Across sessions the wait polls their epoll descriptors, and a timer is
 * all that ends these requests (the server answers after 5 s): the poll
 * is bounded by the earliest deadline of all the sessions, and no
 * timerfd is armed for it (that is for a host loop, ah_session_fd). */
static void test_gather_two_sessions_timers(void **state)
{
  ah_session *a = new_session(), *b = new_session();
  ah_request_opts *o = ah_request_opts_new();
  ah_future *fs[2], *first;
  struct timespec t0;
  int k;

  (void)state;
  /* One session's request is due long before the other's: the wait for
   * the first to end returns when it is due, not at the other one, in
   * either order. */
  for (k = 0; k < 2; k++) {
    assert_int_equal(ah_request_opts_set_timeout(o, 2000), AH_OK);
    fs[1 - k] = ah_session_fetch(b, tu_url("/delay/5000"), o);
    assert_int_equal(ah_request_opts_set_timeout(o, 100), AH_OK);
    fs[k] = ah_session_fetch(a, tu_url("/delay/5000"), o);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    first = ah_wait_any(fs, 2, 20000);
    assert_ptr_equal(first, fs[k]);
    assert_int_equal(ah_future_error(fs[k]), AH_ETIMEDOUT);
    assert_true(since(&t0) < 1.0);
    assert_int_equal(a_timerfd_armed(), 0);
    ah_future_free(fs[k]);
    if (k == 0)
      ah_future_free(fs[1]); /* canceled */
  }
  /* Both, the wait bounded by each session's deadline in turn. */
  assert_int_equal(ah_request_opts_set_timeout(o, 150), AH_OK);
  fs[1] = fs[0];
  fs[0] = ah_session_fetch(a, tu_url("/delay/5000"), o);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ah_request_opts_free(o);
  assert_int_equal(ah_gather(fs, 2, 20000), AH_OK);
  assert_int_equal(ah_future_error(fs[0]), AH_ETIMEDOUT);
  assert_int_equal(ah_future_error(fs[1]), AH_ETIMEDOUT);
  assert_true(since(&t0) < 3.0); /* not the server's 5 s */
  assert_int_equal(a_timerfd_armed(), 0);
  ah_future_free(fs[0]);
  ah_future_free(fs[1]);
  ah_session_free(a);
  ah_session_free(b);
}

static void free_the_session(ah_future *f, void *ud)
{
  (void)f;
  ah_session_free(ud);
}

static double cpu_s(void)
{
  struct rusage ru;

  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Two sessions in one gather, one freed from an on_done callback: the
 * wait goes on for the other without spinning on the freed one's epoll
 * descriptor (it took 1.8 s of CPU in 2 s of waiting). */
static void test_gather_two_sessions_one_freed(void **state)
{
  ah_session *a = new_session(), *b = new_session();
  ah_future *fs[2];
  struct timespec w0, w1;
  double cpu, wall;

  (void)state;
  fs[0] = ah_session_fetch(a, tu_url("/delay/2000"), NULL);
  fs[1] = ah_session_fetch(b, tu_url("/size/10"), NULL);
  ah_future_on_done(fs[1], free_the_session, b);
  cpu = cpu_s();
  clock_gettime(CLOCK_MONOTONIC, &w0);
  assert_int_equal(ah_gather(fs, 2, 20000), AH_OK);
  clock_gettime(CLOCK_MONOTONIC, &w1);
  cpu = cpu_s() - cpu;
  wall = (double)(w1.tv_sec - w0.tv_sec) + (w1.tv_nsec - w0.tv_nsec) / 1e9;
  /* Spinning takes the CPU for the whole wait; waiting takes little,
   * under valgrind too. */
  if (cpu > 0.5 * wall)
    fail_msg("%.2f s of CPU in %.2f s of waiting", cpu, wall);
  assert_int_equal(ah_future_error(fs[0]), AH_OK);
  assert_int_equal(ah_future_error(fs[1]), AH_OK);
  ah_future_free(fs[0]);
  ah_future_free(fs[1]);
  ah_session_free(a);
}

/* Every descriptor the library opens (epoll, timerfd, eventfd, sockets) is
 * close-on-exec: none leaks into a program the caller executes. */
/* Session headers go with every request; a request's header of the same
 * name replaces the session's, for that request only. */
static void test_session_default_headers(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_request_opts *o = ah_request_opts_new();
  ah_session *s;
  ah_future *f;
  const char *b;

  (void)state;
  assert_int_equal(ah_session_opts_add_header(so, "X-Team", "core"), AH_OK);
  assert_int_equal(ah_session_opts_add_header(so, "X-Empty", ""), AH_OK);
  assert_int_equal(ah_session_opts_add_header(so, "Bad Name", "v"), AH_EINVAL);
  assert_int_equal(ah_session_opts_add_header(so, "X-A", "a\r\nX-B: b"), AH_EINVAL);
  s = ah_session_new(so);
  ah_request_opts_add_header(o, "x-team", "edge");
  f = ah_session_fetch(s, tu_url("/echo"), o);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  b = ah_response_body(ah_future_response(f), NULL);
  assert_non_null(strstr(b, "header x-team: edge\n"));
  assert_null(strstr(b, "core"));
  assert_non_null(strstr(b, "header X-Empty: \n"));
  assert_non_null(strstr(b, "header User-Agent: ahttp/"));
  ah_future_free(f);
  f = ah_session_fetch(s, tu_url("/echo"), NULL);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  b = ah_response_body(ah_future_response(f), NULL);
  assert_non_null(strstr(b, "header X-Team: core\n"));
  assert_null(strstr(b, "edge"));
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
  ah_session_opts_free(so);
}

/* Host overrides: a name no DNS knows reaches the test server, the URL
 * and the Host header keep the name; a port-specific override applies to
 * its port only. */
static void test_host_override(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s;
  ah_future *f;
  char url[96], other[96];

  (void)state;
  assert_int_equal(ah_session_opts_add_host_override(o, "example.test", 0, "127.0.0.1"), AH_OK);
  assert_int_equal(ah_session_opts_add_host_override(o, "only.test", tu_port, "127.0.0.1"), AH_OK);
  assert_int_equal(ah_session_opts_add_host_override(o, "a:b", 0, "127.0.0.1"), AH_EINVAL);
  assert_int_equal(ah_session_opts_add_host_override(o, "x.test", 70000, "127.0.0.1"), AH_EINVAL);
  assert_int_equal(ah_session_opts_add_host_override(o, "x.test", 0, "1.2.3.4\r\n"), AH_EINVAL);
  s = ah_session_new(o);
  ah_session_opts_free(o);
  snprintf(url, sizeof url, "http://example.test:%d/echo", tu_port);
  f = ah_session_fetch(s, url, NULL);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  if (ah_future_error(f) != AH_OK)
    fail_msg("%s", ah_future_errmsg(f));
  assert_non_null(strstr(ah_response_body(ah_future_response(f), NULL),
                         "header Host: example.test:"));
  assert_string_equal(ah_response_url(ah_future_response(f)), url);
  ah_future_free(f);
  snprintf(url, sizeof url, "http://only.test:%d/size/2", tu_port);
  f = ah_session_fetch(s, url, NULL);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_OK);
  ah_future_free(f);
  /* Another port of only.test is not overridden: the name is looked up. */
  snprintf(other, sizeof other, "http://only.test:%d/size/2", tu_port == 1 ? 2 : 1);
  f = ah_session_fetch(s, other, NULL);
  assert_int_equal(ah_future_wait(f, 20000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_ERESOLVE);
  ah_future_free(f);
  ah_session_free(s);
}

/* curl's --connect-to ::ADDRESS:PORT: every host on every port goes to
 * one address and port, the URL and Host keeping their own; a rule for
 * one host comes first when added first; an empty connect-to host keeps
 * the URL's host and changes only the port. */
static void test_connect_to(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s;
  ah_future *f;
  const char *b;
  char url[96];

  (void)state;
  assert_int_equal(ah_session_opts_add_connect_to(o, NULL, 0, NULL, 0), AH_EINVAL);
  assert_int_equal(ah_session_opts_add_connect_to(o, NULL, 0, "a b", 80), AH_EINVAL);
  assert_int_equal(ah_session_opts_add_connect_to(o, NULL, 0, "127.0.0.1", 70000), AH_EINVAL);
  assert_int_equal(ah_session_opts_add_connect_to(o, NULL, -1, "127.0.0.1", 80), AH_EINVAL);
  assert_int_equal(ah_session_opts_add_connect_to(o, "x:y", 0, "127.0.0.1", 80), AH_EINVAL);
  assert_int_equal(ah_session_opts_add_connect_to(NULL, NULL, 0, "127.0.0.1", 80), AH_EINVAL);
  /* localhost:1 goes to localhost on the test server's port; the rest,
   * whatever the name and port, to 127.0.0.1 on it. */
  assert_int_equal(ah_session_opts_add_connect_to(o, "localhost", 1, NULL, tu_port), AH_OK);
  assert_int_equal(ah_session_opts_add_connect_to(o, NULL, 0, "127.0.0.1", tu_port), AH_OK);
  s = ah_session_new(o);
  ah_session_opts_free(o);
  b = tu_body(f = tu_fetch(s, "http://any.test/echo", NULL));
  assert_non_null(strstr(b, "header Host: any.test\n"));
  assert_string_equal(ah_response_url(ah_future_response(f)), "http://any.test/echo");
  ah_future_free(f);
  b = tu_body(f = tu_fetch(s, "http://other.test:8765/echo", NULL));
  assert_non_null(strstr(b, "header Host: other.test:8765\n"));
  ah_future_free(f);
  b = tu_body(f = tu_fetch(s, "http://localhost:1/echo", NULL));
  assert_non_null(strstr(b, "header Host: localhost:1\n"));
  ah_future_free(f);
  ah_session_free(s);
  /* Without the rules the same URL goes nowhere. */
  s = ah_session_new(NULL);
  snprintf(url, sizeof url, "http://127.0.0.1:1/echo");
  f = tu_fetch(s, url, NULL);
  assert_int_equal(ah_future_error(f), AH_ECONNECT);
  ah_future_free(f);
  ah_session_free(s);
}

static void test_base_url(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_session *s, *plain = ah_session_new(NULL);
  static const char *const rel[] = {"echo?x=1", "/echo?x=1", "./echo?x=1"};
  char base[64];
  ah_future *f;
  size_t i;

  (void)state;
  snprintf(base, sizeof base, "http://127.0.0.1:%d/", tu_port);
  assert_int_equal(ah_session_opts_set_base_url(so, "ftp://x/"), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_base_url(so, base), AH_OK);
  s = ah_session_new(so);
  for (i = 0; i < 3; i++) {
    f = ah_session_fetch(s, rel[i], NULL);
    assert_int_equal(ah_future_wait(f, 10000), AH_OK);
    assert_int_equal(ah_future_error(f), AH_OK);
    assert_non_null(strstr(ah_response_body(ah_future_response(f), NULL),
                           "target /echo?x=1\n"));
    assert_string_equal(ah_response_url(ah_future_response(f)), tu_url("/echo?x=1"));
    ah_future_free(f);
  }
  /* An absolute URL ignores the base; another scheme is still refused. */
  f = ah_session_fetch(s, tu_url("/size/3"), NULL);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_OK);
  ah_future_free(f);
  f = ah_session_fetch(s, "file:///etc/passwd", NULL);
  assert_int_equal(ah_future_error(f), AH_EINVAL);
  ah_future_free(f);
  /* Without a base, a relative URL is a bad URL. */
  f = ah_session_fetch(plain, "echo", NULL);
  assert_int_equal(ah_future_error(f), AH_EINVAL);
  assert_non_null(strstr(ah_future_errmsg(f), "relative"));
  ah_future_free(f);
  ah_session_free(s);
  ah_session_free(plain);
  ah_session_opts_free(so);
}

static const char *echo_body(ah_session *s, ah_future **f)
{
  *f = ah_session_fetch(s, tu_url("/echo"), NULL);
  assert_int_equal(ah_future_wait(*f, 10000), AH_OK);
  assert_int_equal(ah_future_error(*f), AH_OK);
  return ah_response_body(ah_future_response(*f), NULL);
}

/* Cookies set by one response go with the next request of the session,
 * survive a save and a load into another session, and stay off when the
 * jar is turned off. */
static void test_cookie_jar(void **state)
{
  ah_session_opts *off = ah_session_opts_new();
  ah_session *s = ah_session_new(NULL), *t = ah_session_new(NULL), *n;
  char path[] = "/tmp/ahttp-cookies-XXXXXX";
  int fd = mkstemp(path);
  ah_future *f;

  (void)state;
  assert_true(fd >= 0);
  close(fd);
  f = ah_session_fetch(s, tu_url("/set-cookie/sid/abc123"), NULL);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_string_equal(ah_response_header(ah_future_response(f), "set-cookie"),
                      "sid=abc123; Path=/");
  ah_future_free(f);
  assert_non_null(strstr(echo_body(s, &f), "header Cookie: sid=abc123\n"));
  ah_future_free(f);
  /* Another session has its own jar. */
  assert_null(strstr(echo_body(t, &f), "Cookie"));
  ah_future_free(f);
  assert_int_equal(ah_session_cookies_save(s, path), AH_OK);
  assert_int_equal(ah_session_cookies_load(t, path), AH_OK);
  assert_non_null(strstr(echo_body(t, &f), "header Cookie: sid=abc123\n"));
  ah_future_free(f);
  assert_int_equal(ah_session_cookies_load(t, "/nonexistent/jar"), AH_EIO);
  assert_int_equal(ah_session_cookies_save(t, "/nonexistent/dir/jar"), AH_EIO);
  /* Off. */
  ah_session_opts_set_cookies(off, 0);
  n = ah_session_new(off);
  f = ah_session_fetch(n, tu_url("/set-cookie/sid/x"), NULL);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  ah_future_free(f);
  assert_null(strstr(echo_body(n, &f), "Cookie"));
  ah_future_free(f);
  assert_int_equal(ah_session_cookies_save(n, path), AH_EINVAL);
  unlink(path);
  ah_session_free(n);
  ah_session_free(s);
  ah_session_free(t);
  ah_session_opts_free(off);
}

static void test_descriptors_close_on_exec(void **state)
{
  char before[1024];
  ah_session *s;
  ah_future *f;
  int fd, opened = 0;

  (void)state;
  for (fd = 0; fd < 1024; fd++)
    before[fd] = fcntl(fd, F_GETFD) >= 0;
  s = new_session();
  f = ah_session_fetch(s, tu_url("/delay/300"), NULL);
  while (ah_session_run(s, 50) == AH_OK && !ah_future_done(f) && opened < 4) {
    opened = 0;
    for (fd = 0; fd < 1024; fd++)
      if (!before[fd] && fcntl(fd, F_GETFD) >= 0)
        opened++;
  }
  assert_true(opened >= 4); /* epoll, timerfd, eventfd and a socket */
  for (fd = 0; fd < 1024; fd++) {
    int flags = fcntl(fd, F_GETFD);
    if (!before[fd] && flags >= 0 && !(flags & FD_CLOEXEC))
      fail_msg("descriptor %d is not close-on-exec", fd);
  }
  ah_future_free(f);
  ah_session_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_fetch_wait_response),
    TU_TEST(test_status_is_a_response),
    TU_TEST(test_header_iteration),
    TU_TEST(test_gather_many),
    TU_TEST(test_gather_timeout_and_duplicates),
    TU_TEST(test_wait_any),
    TU_TEST(test_bad_urls_fail_at_once),
    TU_TEST(test_cancel),
    TU_TEST(test_free_pending_future),
    TU_TEST(test_on_done_once),
    TU_TEST(test_on_done_chains_and_frees),
    TU_TEST(test_session_free_cancels_pending),
    TU_TEST(test_session_free_in_callback),
    TU_TEST(test_host_loop_fd),
    TU_TEST(test_wakeup_from_thread),
    TU_TEST(test_gather_two_sessions),
    TU_TEST(test_gather_two_sessions_timers),
    TU_TEST(test_gather_two_sessions_one_freed),
    TU_TEST(test_descriptors_close_on_exec),
    TU_TEST(test_session_default_headers),
    TU_TEST(test_base_url),
    TU_TEST(test_host_override),
    TU_TEST(test_connect_to),
    TU_TEST(test_cookie_jar),
  };
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
