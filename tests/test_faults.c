/* test_faults.c - SPEC section 4 over plain HTTP: each fault gives its
 * code and a useful message on its own future, while a healthy request on
 * the same session completes with the right body. */
#include <ahttp.h>
#include <curl/curl.h>
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

struct fault {
  const char *path;
  int code;
  const char *in_msg; /* text the message must contain */
};

/* Run one faulty fetch beside a healthy one on the same session. */
static void check_fault(ah_session_opts *o, const struct fault *ft)
{
  ah_session *s = ah_session_new(o);
  ah_future *fs[2];
  size_t len = 0;

  assert_non_null(s);
  fs[0] = ah_session_fetch(s, tu_url(ft->path), NULL);
  fs[1] = ah_session_fetch(s, tu_url("/size/4096"), NULL);
  assert_int_equal(ah_gather(fs, 2, 20000), AH_OK);
  if (ah_future_error(fs[0]) != ft->code)
    fail_msg("%s: got %s (%s), want %s", ft->path,
             ah_strerror(ah_future_error(fs[0])), ah_future_errmsg(fs[0]),
             ah_strerror(ft->code));
  if (ft->code == AH_OK)
    goto healthy;
  assert_null(ah_future_response(fs[0]));
  if (ft->in_msg && strcasestr(ah_future_errmsg(fs[0]), ft->in_msg) == NULL)
    fail_msg("%s: message \"%s\" lacks \"%s\"", ft->path,
             ah_future_errmsg(fs[0]), ft->in_msg);
  /* The message names the request, so a person can find it. */
  if (strstr(ah_future_errmsg(fs[0]), "127.0.0.1") == NULL)
    fail_msg("%s: message \"%s\" does not name the host", ft->path,
             ah_future_errmsg(fs[0]));
healthy:
  assert_int_equal(ah_future_error(fs[1]), AH_OK);
  ah_response_body(ah_future_response(fs[1]), &len);
  assert_int_equal(len, 4096);
  ah_future_free(fs[0]);
  ah_future_free(fs[1]);
  ah_session_free(s);
}

#define FAULT_TEST(name, path, code, msg)               \
  static void name(void **state)                        \
  {                                                     \
    static const struct fault ft = {path, code, msg};   \
    (void)state;                                        \
    check_fault(NULL, &ft);                             \
  }

/* The same with session options: limits and timeouts. */
static void check_with(const char *path, int code, const char *msg,
                       size_t max_body, size_t max_header, long total_ms)
{
  ah_session_opts *o = ah_session_opts_new();
  struct fault ft;

  ft.path = path;
  ft.code = code;
  ft.in_msg = msg;
  if (max_body)
    assert_int_equal(ah_session_opts_set_max_body(o, max_body), AH_OK);
  if (max_header)
    assert_int_equal(ah_session_opts_set_max_header(o, max_header), AH_OK);
  if (total_ms)
    assert_int_equal(ah_session_opts_set_timeouts(o, total_ms, 5000, -1), AH_OK);
  check_fault(o, &ft);
  ah_session_opts_free(o);
}

static void test_body_limits(void **state)
{
  (void)state;
  /* With Content-Length (refused before storing), without it, chunked,
   * and bytes produced by decompression: all counted by ahttp. */
  check_with("/size/5000", AH_ETOOLARGE, "Content-Length exceeds", 4096, 0, 0);
  check_with("/nolength/5000", AH_ETOOLARGE, "body exceeds", 4096, 0, 0);
  check_with("/chunked/5000", AH_ETOOLARGE, "body exceeds", 4096, 0, 0);
  check_with("/gzip/1000000", AH_ETOOLARGE, "body exceeds", 100000, 0, 0);
  check_with("/endless", AH_ETOOLARGE, "body exceeds", 1 << 20, 0, 0);
  /* Exactly at the limit is fine. */
  check_with("/size/4096", AH_OK, NULL, 4096, 0, 0);
}

static void test_header_limit(void **state)
{
  (void)state;
  check_with("/many-headers/200", AH_ETOOLARGE, "header size limit", 0, 8192, 0);
  check_with("/big-header/90000", AH_ETOOLARGE, "header size limit", 0, 65536, 0);
  /* Over libcurl's own cap on a header block (300 KiB), whatever the
   * limit: AH_ETOOLARGE too, where libcurl says a read failed. */
  check_with("/many-headers/3000", AH_ETOOLARGE, "libcurl takes", 0, 4 << 20, 0);
}

static void test_silent_server_times_out(void **state)
{
  (void)state;
  check_with("/silent", AH_ETIMEDOUT, "timed out", 0, 0, 300);
  check_with("/drip/50", AH_ETIMEDOUT, "timed out", 0, 0, 500);
}

/* A port that refuses: bound once, then closed. */
static int closed_port(void)
{
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM, 0), port;

  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  port = ntohs(a.sin_port);
  close(fd);
  return port;
}

static void test_connection_refused(void **state)
{
  ah_session *s = ah_session_new(NULL);
  char url[128], port[16];
  ah_future *fs[2];

  (void)state;
  snprintf(port, sizeof port, "%d", closed_port());
  snprintf(url, sizeof url, "http://127.0.0.1:%s/", port);
  fs[0] = ah_session_fetch(s, url, NULL);
  fs[1] = ah_session_fetch(s, tu_url("/size/10"), NULL);
  assert_int_equal(ah_gather(fs, 2, 10000), AH_OK);
  assert_int_equal(ah_future_error(fs[0]), AH_ECONNECT);
  assert_non_null(strstr(ah_future_errmsg(fs[0]), "127.0.0.1"));
  assert_non_null(strstr(ah_future_errmsg(fs[0]), port));
  /* libcurl's code behind it, the same on every release; none for a
   * success, a pending future or NULL. */
  assert_int_equal(ah_future_curl_code(fs[0]), CURLE_COULDNT_CONNECT);
  assert_int_equal(ah_future_error(fs[1]), AH_OK);
  assert_int_equal(ah_future_curl_code(fs[1]), 0);
  assert_int_equal(ah_future_curl_code(NULL), 0);
  ah_future_free(fs[0]);
  ah_future_free(fs[1]);
  ah_session_free(s);
}

static void test_dns_failure(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_future *fs[2];
  size_t len = 0;

  (void)state;
  fs[0] = ah_session_fetch(s, "http://ahttp-test-host.invalid/", NULL);
  fs[1] = ah_session_fetch(s, tu_url("/size/4096"), NULL);
  assert_int_equal(ah_gather(fs, 2, 20000), AH_OK);
  assert_int_equal(ah_future_error(fs[0]), AH_ERESOLVE);
  assert_non_null(strstr(ah_future_errmsg(fs[0]), "ahttp-test-host.invalid"));
  assert_int_equal(ah_future_error(fs[1]), AH_OK); /* beside it, unharmed */
  ah_response_body(ah_future_response(fs[1]), &len);
  assert_int_equal(len, 4096);
  ah_future_free(fs[0]);
  ah_future_free(fs[1]);
  ah_session_free(s);
}

/* libcurl keeps user:password@ in the effective URL: ahttp strips it from
 * every URL it reports, in responses and in messages. */
static void test_credentials_never_reported(void **state)
{
  ah_session *s = ah_session_new(NULL);
  char url[160];
  ah_future *ok, *bad, *direct;

  (void)state;
  snprintf(url, sizeof url, "http://user:s3cret@127.0.0.1:%d/size/3", tu_port);
  direct = ah_session_fetch(s, url, NULL); /* no redirect: the URL as given */
  assert_int_equal(ah_future_wait(direct, 10000), AH_OK);
  assert_int_equal(ah_future_error(direct), AH_OK);
  assert_string_equal(ah_response_url(ah_future_response(direct)),
                      tu_url("/size/3"));
  ah_future_free(direct);
  snprintf(url, sizeof url, "http://user:s3cret@127.0.0.1:%d/redirect/1", tu_port);
  ok = ah_session_fetch(s, url, NULL);
  snprintf(url, sizeof url, "http://user:s3cret@127.0.0.1:%d/garbage", tu_port);
  bad = ah_session_fetch(s, url, NULL);
  assert_int_equal(ah_future_wait(ok, 10000), AH_OK);
  assert_int_equal(ah_future_wait(bad, 10000), AH_OK);
  assert_int_equal(ah_future_error(ok), AH_OK);
  assert_string_equal(ah_response_url(ah_future_response(ok)),
                      tu_url("/redirect/0"));
  assert_int_equal(ah_future_error(bad), AH_EPROTO);
  assert_null(strstr(ah_future_errmsg(bad), "s3cret"));
  assert_null(strstr(ah_future_errmsg(bad), "user"));
  assert_non_null(strstr(ah_future_errmsg(bad), "/garbage"));
  ah_future_free(ok);
  ah_future_free(bad);
  ah_session_free(s);
}

/* Easy handles are reused: a message must never carry an earlier
 * request's error text. */
static void test_no_stale_error_message(void **state)
{
  ah_session *s = ah_session_new(NULL);
  char url[128];
  ah_future *f;
  int i;

  (void)state;
  snprintf(url, sizeof url, "http://127.0.0.1:%d/", closed_port());
  f = ah_session_fetch(s, url, NULL);
  ah_future_wait(f, 10000);
  assert_int_equal(ah_future_error(f), AH_ECONNECT);
  ah_future_free(f);
  for (i = 0; i < 2; i++) {
    f = ah_session_fetch(s, tu_url(i ? "/size/1" : "/cut-headers"), NULL);
    ah_future_wait(f, 10000);
    assert_null(strstr(ah_future_errmsg(f), "Failed to connect"));
    assert_null(strstr(ah_future_errmsg(f), "refused"));
    assert_int_equal(ah_future_error(f), i ? AH_OK : AH_EPROTO);
    if (i)
      assert_string_equal(ah_future_errmsg(f), "success");
    ah_future_free(f);
  }
  ah_session_free(s);
}

/* One easy handle serves one request after another: a reset, then a bad
 * chunk, must read as a reset and then a protocol error. libcurl before
 * 8.8 keeps the reset's errno on the handle, and the bad chunk read as
 * another reset (AH_EIO). A reset twice stays a reset twice. */
static void test_no_stale_errno(void **state)
{
  static const struct { const char *path; int code; } t[] = {
    {"/reset-body", AH_EIO}, {"/bad-chunk", AH_EPROTO},
    {"/reset-body", AH_EIO}, {"/reset-body", AH_EIO},
    {"/truncated-chunk", AH_EPROTO},
  };
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s;
  size_t i;

  (void)state;
  ah_session_opts_set_max_connections(o, 1, 0); /* one pooled handle */
  s = ah_session_new(o);
  ah_session_opts_free(o);
  for (i = 0; i < sizeof t / sizeof *t; i++) {
    ah_future *f = ah_session_fetch(s, tu_url(t[i].path), NULL);
    assert_int_equal(ah_future_wait(f, 10000), AH_OK);
    if (ah_future_error(f) != t[i].code)
      fail_msg("%zu %s: got %s (%s)", i, t[i].path,
               ah_strerror(ah_future_error(f)), ah_future_errmsg(f));
    ah_future_free(f);
  }
  ah_session_free(s);
}

/* A slow resolver: names under .slow.test take 2 s (times the run's
 * slowdown) to resolve, to
 * 127.0.0.1. This program's getaddrinfo stands in for the C library's
 * (libcurl's resolver thread calls it); any other name goes to the real
 * one. */
int getaddrinfo(const char *node, const char *service,
                const struct addrinfo *hints, struct addrinfo **res)
{
  static int (*real)(const char *, const char *, const struct addrinfo *,
                     struct addrinfo **);
  size_t n = node ? strlen(node) : 0;

  if (real == NULL)
    *(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
  if (n > 10 && strcmp(node + n - 10, ".slow.test") == 0) {
    double s = 2 * tu_slowdown();
    struct timespec slow = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
    nanosleep(&slow, NULL);
    node = "127.0.0.1";
  }
  return real(node, service, hints, res);
}

static double now_s(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Cancel, a timeout and freeing the session return at once while a name
 * is still resolving; libcurl would wait for its resolver thread. */
static void test_slow_resolver_does_not_hold(void **state)
{
  ah_request_opts *o = ah_request_opts_new();
  ah_session *s = ah_session_new(NULL);
  char url[128];
  ah_future *c, *t, *left;
  double t0, k = tu_slowdown();

  (void)state;
  snprintf(url, sizeof url, "http://a.slow.test:%d/size/1", tu_port);
  c = ah_session_fetch(s, url, NULL);
  ah_request_opts_set_timeout(o, 200);
  t = ah_session_fetch(s, url, o);
  ah_session_run(s, 50);
  t0 = now_s();
  assert_int_equal(ah_future_cancel(c), AH_OK);
  assert_true(now_s() - t0 < 0.2 * k);
  assert_int_equal(ah_future_error(c), AH_ECANCELED);
  assert_int_equal(ah_future_wait(t, 5000), AH_OK);
  assert_int_equal(ah_future_error(t), AH_ETIMEDOUT);
  if (now_s() - t0 > 0.8 * k)
    fail_msg("a 200 ms timeout ended after %.2f s", now_s() - t0);
  left = ah_session_fetch(s, url, NULL);
  ah_session_run(s, 50);
  t0 = now_s();
  ah_session_free(s);
  assert_true(now_s() - t0 < 0.2 * k);
  assert_int_equal(ah_future_error(left), AH_ECANCELED);
  ah_future_free(c);
  ah_future_free(t);
  ah_future_free(left);
  ah_request_opts_free(o);
  /* The resolver threads end by themselves: wait, so that none is left
   * running when the test's descriptor count is taken. */
  {
    double rest = 2 * k + 0.2;
    nanosleep(&(struct timespec){(time_t)rest, (long)((rest - (time_t)rest) * 1e9)}, NULL);
  }
}

/* CR or LF in header input or the method: refused before anything is
 * sent, on that future alone. */
static void test_crlf_injection_refused(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *h = ah_request_opts_new(), *m = ah_request_opts_new(),
                  *n = ah_request_opts_new();
  ah_future *fs[3];
  int i;

  (void)state;
  assert_int_equal(ah_request_opts_add_header(h, "X-Ok", "a\r\nX-Evil: 1"), AH_EINVAL);
  assert_int_equal(ah_request_opts_set_method(m, "GET /x HTTP/1.1\r\n"), AH_EINVAL);
  assert_int_equal(ah_request_opts_add_header(n, "X-Bad\nName", "v"), AH_EINVAL);
  fs[0] = ah_session_fetch(s, tu_url("/echo"), h);
  fs[1] = ah_session_fetch(s, tu_url("/echo"), m);
  fs[2] = ah_session_fetch(s, tu_url("/echo"), n);
  for (i = 0; i < 3; i++) {
    assert_int_equal(ah_future_done(fs[i]), 1); /* before any I/O */
    assert_int_equal(ah_future_error(fs[i]), AH_EINVAL);
    ah_future_free(fs[i]);
  }
  ah_request_opts_free(h);
  ah_request_opts_free(m);
  ah_request_opts_free(n);
  ah_session_free(s);
}

/* Out of descriptors: a forked child lowers its own RLIMIT_NOFILE so that
 * only room sockets fit, and fetches 20 URLs at once. With room for a few,
 * the requests that found none wait in the queue and are admitted again
 * as descriptors come back (the first requests' connections, reused):
 * all 20 succeed. With room for none, each fails with AH_ENOFD once it has
 * waited its own connect or total timeout (the session has no connect
 * timeout: 30 s), never as a refused connection (libcurl 7.88 says
 * "Couldn't connect to server"). Exit code: 0 when that held. */
static int enofd_child(int room)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_request_opts *ro[2] = {ah_request_opts_new(), ah_request_opts_new()};
  ah_session *s;
  ah_future *fs[20];
  struct rlimit rl;
  int i, ok = 0, nofd = 0, other = 0, lowest;

  /* A request waits for a descriptor as long as it would for a connect,
   * or its total timeout when shorter: its own, else the session's. */
  ah_session_opts_set_timeouts(o, 20000, room > 0 ? 10000 : 300, -1);
  if (room == 0) {
    ah_session_opts_set_timeouts(o, 20000, 0, -1); /* 30 s at most */
    ah_request_opts_set_timeouts(ro[0], -1, 300, -1);
    ah_request_opts_set_timeouts(ro[1], 400, 0, -1);
  }
  s = ah_session_new(o);
  ah_session_opts_free(o);
  lowest = dup(0);
  close(lowest);
  rl.rlim_cur = rl.rlim_max = (rlim_t)lowest + (rlim_t)room;
  if (s == NULL || setrlimit(RLIMIT_NOFILE, &rl) != 0)
    return 10;
  for (i = 0; i < 20; i++)
    fs[i] = ah_session_fetch(s, tu_url("/delay/200"), room == 0 ? ro[i % 2] : NULL);
  ah_request_opts_free(ro[0]);
  ah_request_opts_free(ro[1]);
  if (ah_gather(fs, 20, 20000) != AH_OK)
    return 11;
  for (i = 0; i < 20; i++) {
    int e = ah_future_error(fs[i]);
    if (e == AH_OK)
      ok++;
    else if (e == AH_ENOFD && strstr(ah_future_errmsg(fs[i]), "file descriptors"))
      nofd++;
    else
      other++;
    ah_future_free(fs[i]);
  }
  ah_session_free(s);
  if (other)
    return 12;
  if (room > 0)
    return ok == 20 ? 0 : 13;
  return nofd == 20 ? 0 : 14;
}

static void test_out_of_descriptors(void **state)
{
  pid_t pid;
  int status, room;

  (void)state;
  /* valgrind keeps descriptors of its own and refuses a lower limit. */
  if (getenv("AH_UNDER_VALGRIND") != NULL)
    skip();
  for (room = 4; room >= 0; room -= 4) {
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
      _exit(enofd_child(room));
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
  }
}

/* Authorization and Cookie set by the caller are dropped when a redirect
 * goes to another host (127.0.0.1 -> localhost here). */
static void test_auth_not_forwarded_cross_host(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  char path[128];
  const char *body;
  ah_future *f;

  (void)state;
  ah_request_opts_add_header(o, "Authorization", "Bearer tok3n");
  ah_request_opts_add_header(o, "Cookie", "sid=c00kie");
  snprintf(path, sizeof path, "/redirect-to?http://localhost:%d/echo", tu_port);
  f = ah_session_fetch(s, tu_url(path), o);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_OK);
  body = ah_response_body(ah_future_response(f), NULL);
  assert_non_null(strstr(body, "target /echo"));
  assert_null(strstr(body, "tok3n"));
  assert_null(strstr(body, "c00kie"));
  ah_future_free(f);
  /* Same host: they are sent. */
  f = ah_session_fetch(s, tu_url("/redirect-to?/echo"), o);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_non_null(strstr(ah_response_body(ah_future_response(f), NULL), "tok3n"));
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

FAULT_TEST(test_reset_mid_headers, "/reset-headers", AH_EIO, "reset")
FAULT_TEST(test_reset_mid_body, "/reset-body", AH_EIO, "reset")
FAULT_TEST(test_short_body, "/short", AH_EPROTO, NULL)
FAULT_TEST(test_bad_chunk, "/bad-chunk", AH_EPROTO, "chunk")
FAULT_TEST(test_truncated_chunk, "/truncated-chunk", AH_EPROTO, NULL)
FAULT_TEST(test_garbage_status, "/garbage", AH_EPROTO, NULL)
FAULT_TEST(test_http09, "/http09", AH_EPROTO, NULL)
FAULT_TEST(test_empty_reply, "/empty", AH_EPROTO, NULL)
FAULT_TEST(test_headers_cut, "/cut-headers", AH_EPROTO, "headers")
FAULT_TEST(test_conflicting_length, "/conflict-length", AH_EPROTO, "Content-Length")
FAULT_TEST(test_nul_in_header, "/nul-header", AH_EPROTO, "nul")
FAULT_TEST(test_header_line_over_curl_cap, "/big-header/150000", AH_ETOOLARGE, "than libcurl takes")
FAULT_TEST(test_redirect_loop, "/loop", AH_EREDIRECTS, NULL)
FAULT_TEST(test_redirect_to_file, "/redirect-file", AH_EREDIRECTS, "scheme")
FAULT_TEST(test_redirect_to_ftp, "/redirect-to?ftp://127.0.0.1/x", AH_EREDIRECTS, "scheme")

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_reset_mid_headers),
    TU_TEST(test_reset_mid_body),
    TU_TEST(test_short_body),
    TU_TEST(test_bad_chunk),
    TU_TEST(test_truncated_chunk),
    TU_TEST(test_garbage_status),
    TU_TEST(test_http09),
    TU_TEST(test_empty_reply),
    TU_TEST(test_headers_cut),
    TU_TEST(test_conflicting_length),
    TU_TEST(test_nul_in_header),
    TU_TEST(test_header_line_over_curl_cap),
    TU_TEST(test_redirect_loop),
    TU_TEST(test_redirect_to_file),
    TU_TEST(test_redirect_to_ftp),
    TU_TEST(test_body_limits),
    TU_TEST(test_header_limit),
    TU_TEST(test_silent_server_times_out),
    TU_TEST(test_connection_refused),
    TU_TEST(test_dns_failure),
    TU_TEST(test_credentials_never_reported),
    TU_TEST(test_no_stale_error_message),
    TU_TEST(test_no_stale_errno),
    TU_TEST(test_slow_resolver_does_not_hold),
    TU_TEST(test_crlf_injection_refused),
    TU_TEST(test_auth_not_forwarded_cross_host),
    TU_TEST(test_out_of_descriptors),
  };
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
