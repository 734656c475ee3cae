/* test_nginx.c - the feature set against a real server: Debian's nginx,
 * started here on 127.0.0.1 with tests/nginx.conf and certificates from a
 * throwaway CA made by openssl (tests/nginx.sh). TLS verified, untrusted,
 * wrong host, expired, client certificate; HTTP/2 over TLS multiplexed on
 * one connection; h2c with prior knowledge; gzip; a unix socket; nginx as
 * an HTTP proxy. */
#include <ahttp.h>
#include <curl/curl.h> /* curl_version_info: which libcurl runs */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

enum { TLS, EXPIRED, WRONG, UNTRUSTED, MTLS, H2C, PLAIN, PROXY, TLS_CLOSE,
       NPORTS };
static int port[NPORTS];
static char dir[64];
static pid_t nginx = -1;

static const char *file(const char *name)
{
  static char bufs[4][160];
  static int next;
  char *b = bufs[next++ % 4];
  snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
  return b;
}

static const char *url(int which, const char *path)
{
  static char bufs[4][160];
  static int next;
  char *b = bufs[next++ % 4];
  snprintf(b, sizeof bufs[0], "%s://127.0.0.1:%d%s",
           which == H2C || which == PLAIN || which == PROXY ? "http" : "https",
           port[which], path);
  return b;
}

static int accepting(int p)
{
  struct sockaddr_in a;
  int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)p);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
  close(fd);
  return ok;
}

static int setup(void **state)
{
  const char *argv[] = {"sh", "tests/nginx.sh", NULL, NULL};
  char line[128];
  int i;

  (void)state;
  snprintf(dir, sizeof dir, "/tmp/ahttp-nginx-XXXXXX");
  if (mkdtemp(dir) == NULL)
    return -1;
  argv[2] = dir;
  if ((nginx = tu_spawn(argv, line, sizeof line)) < 0 ||
      sscanf(line, "READY %d %d %d %d %d %d %d %d %d", &port[0], &port[1],
             &port[2], &port[3], &port[4], &port[5], &port[6], &port[7],
             &port[8]) != 9)
    return -1;
  for (i = 0; i < 200 && !accepting(port[PROXY]); i++) {
    struct timespec ts = {0, 50 * 1000000};
    nanosleep(&ts, NULL); /* bounded: 10 s for nginx to listen */
  }
  return accepting(port[PROXY]) ? 0 : -1;
}

static int teardown(void **state)
{
  char cmd[128];

  (void)state;
  tu_server_stop(nginx);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static ah_session *session_with(const char *ca, int version)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s;

  if (ca)
    ah_session_opts_set_ca(o, ca, NULL);
  ah_session_opts_set_http_version(o, version);
  s = ah_session_new(o);
  ah_session_opts_free(o);
  assert_non_null(s);
  return s;
}

static ah_future *get(ah_session *s, const char *u)
{
  ah_future *f = ah_session_fetch(s, u, NULL);
  assert_int_equal(ah_future_wait(f, 20000), AH_OK);
  return f;
}

static void test_tls_verified(void **state)
{
  ah_session *s = session_with(file("ca.pem"), AH_HTTP_DEFAULT);
  ah_future *f = get(s, url(TLS, "/1k"));
  size_t len;

  (void)state;
  if (ah_future_error(f) != AH_OK)
    fail_msg("%s", ah_future_errmsg(f));
  assert_int_equal(ah_response_status(ah_future_response(f)), 200);
  ah_response_body(ah_future_response(f), &len);
  assert_int_equal(len, 1024);
  assert_int_equal(ah_response_http_version(ah_future_response(f)), 20); /* ALPN */
  assert_true(ah_response_time_us(ah_future_response(f), AH_TIME_TLS) >=
              ah_response_time_us(ah_future_response(f), AH_TIME_CONNECT));
  ah_future_free(f);
  ah_session_free(s);
}

/* The lifecycle hook over TLS: the handshake is an event of its own,
 * between the connection and the request going out; a second request
 * reuses the connection and has neither. */
static char tls_story[2][16];
static long long tls_times[2][16]; /* each event's time_ns */
static void tls_record(const ah_event *ev, void *ud)
{
  static const char letter[] = "?QSDCTWFLAE";
  char *st = tls_story[*(int *)ud];
  size_t n = strlen(st);

  if (n + 1 < sizeof tls_story[0]) {
    st[n] = ev->type == AH_EVENT_CONNECTED && ev->reused ? 'R' : letter[ev->type];
    st[n + 1] = '\0';
    tls_times[*(int *)ud][n] = ev->time_ns;
  }
}

static void test_tls_event(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s;
  int which = 0;

  (void)state;
  memset(tls_story, 0, sizeof tls_story);
  memset(tls_times, 0, sizeof tls_times);
  ah_session_opts_set_ca(o, file("ca.pem"), NULL);
  ah_session_opts_on_event(o, tls_record, &which);
  s = ah_session_new(o);
  ah_session_opts_free(o);
  ah_future_free(get(s, url(TLS, "/1k")));
  which = 1;
  ah_future_free(get(s, url(TLS, "/1k")));
  assert_string_equal(tls_story[0], "SDCTWFE");
  assert_string_equal(tls_story[1], "SRWFE");
  /* In the order they happened: DNS, connect and TLS, placed from
   * libcurl's phase times, come before the request is sent (a TLS
   * handshake takes milliseconds; 10 us of slack for libcurl's rounding). */
  for (which = 0; which < 2; which++) {
    size_t i;
    for (i = 1; i < strlen(tls_story[which]); i++) {
      if (tls_times[which][i] + 10000 < tls_times[which][i - 1])
        fprintf(stderr, "%s: event %zu at %lld ns, before %lld ns\n",
                tls_story[which], i, tls_times[which][i], tls_times[which][i - 1]);
      assert_true(tls_times[which][i] + 10000 >= tls_times[which][i - 1]);
    }
  }
  ah_session_free(s);
}

/* The text of a file of the nginx directory, in a static buffer. */
static const char *contents(const char *name)
{
  static char buf[256];
  FILE *in = fopen(file(name), "r");
  size_t n = in ? fread(buf, 1, sizeof buf - 1, in) : 0;

  if (in)
    fclose(in);
  buf[n] = '\0';
  return buf;
}

/* TLS public-key pinning: the served key's pin (alone, among others, or
 * as a key file) passes; another key's pin fails with AH_ETLS, even
 * with a certificate the CA vouches for. */
static void test_pinned_key(void **state)
{
  const char *good[3], *bad = NULL;
  char several[256], other[128];
  ah_session *s;
  ah_future *f;
  size_t i;

  (void)state;
  snprintf(other, sizeof other, "%s", contents("untrusted.pin"));
  snprintf(several, sizeof several, "%s;%s", other, contents("good.pin"));
  good[0] = contents("good.pin");
  good[1] = several;
  good[2] = file("good.pub");
  for (i = 0; i < 4; i++) {
    ah_session_opts *o = ah_session_opts_new();
    const char *pins = i < 3 ? good[i] : (bad = other);
    ah_session_opts_set_ca(o, file("ca.pem"), NULL);
    assert_int_equal(ah_session_opts_set_pinned_key(o, pins), AH_OK);
    s = ah_session_new(o);
    ah_session_opts_free(o);
    f = get(s, url(TLS, "/1k"));
    if (bad == NULL) {
      if (ah_future_error(f) != AH_OK)
        fail_msg("pin %s: %s", pins, ah_future_errmsg(f));
    } else {
      assert_int_equal(ah_future_error(f), AH_ETLS);
      assert_non_null(strstr(ah_future_errmsg(f), "public key"));
    }
    ah_future_free(f);
    ah_session_free(s);
  }
}

/* The CA from a hashed directory instead of a file; HTTP/1.1 when asked
 * for, over TLS that would offer HTTP/2. */
static void test_ca_dir_and_http_1_1(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s;
  ah_future *f;

  (void)state;
  ah_session_opts_set_ca(o, NULL, file("cadir"));
  ah_session_opts_set_http_version(o, AH_HTTP_1_1);
  s = ah_session_new(o);
  f = get(s, url(TLS, "/1k"));
  if (ah_future_error(f) != AH_OK)
    fail_msg("%s", ah_future_errmsg(f));
  assert_int_equal(ah_response_http_version(ah_future_response(f)), 11);
  ah_future_free(f);
  ah_session_free(s);
  ah_session_opts_free(o);
}

/* The session's requests share one TLS session cache. Against a server
 * that closes every connection: one request, then two at once, which
 * take two easy handles, and both resume the first one's TLS session
 * (nginx reports $ssl_session_reused); a handle's own cache would serve
 * only the first of them. */
static void test_tls_sessions_resumed(void **state)
{
  ah_session *s = session_with(file("ca.pem"), AH_HTTP_DEFAULT);
  ah_future *f = get(s, url(TLS_CLOSE, "/1k")), *fs[2];
  int i;

  (void)state;
  if (ah_future_response(f) == NULL)
    fail_msg("%s", ah_future_errmsg(f));
  assert_string_equal(ah_response_header(ah_future_response(f), "x-resumed"), ".");
  ah_future_free(f);
  for (i = 0; i < 2; i++)
    fs[i] = ah_session_fetch(s, url(TLS_CLOSE, "/1k"), NULL);
  assert_int_equal(ah_gather(fs, 2, 20000), AH_OK);
  for (i = 0; i < 2; i++) {
    const ah_response *r = ah_future_response(fs[i]);
    if (r == NULL)
      fail_msg("%s", ah_future_errmsg(fs[i]));
    assert_string_equal(ah_response_header(r, "x-resumed"), "r");
    ah_future_free(fs[i]);
  }
  ah_session_free(s);
}

/* Each certificate fault is AH_ETLS, with libcurl's reason in the message,
 * and a healthy request on the same session is unaffected. */
static void test_tls_failures(void **state)
{
  static const struct { int which; const char *why; } cases[] = {
    {UNTRUSTED, "certificate"}, {WRONG, "127.0.0.1"}, {EXPIRED, "expired"},
  };
  ah_session *s = session_with(file("ca.pem"), AH_HTTP_DEFAULT);
  size_t i;

  (void)state;
  for (i = 0; i < sizeof cases / sizeof *cases; i++) {
    ah_future *fs[2];
    fs[0] = ah_session_fetch(s, url(cases[i].which, "/1k"), NULL);
    fs[1] = ah_session_fetch(s, url(TLS, "/1k"), NULL);
    assert_int_equal(ah_gather(fs, 2, 20000), AH_OK);
    if (ah_future_error(fs[0]) != AH_ETLS)
      fail_msg("case %zu: %s", i, ah_future_errmsg(fs[0]));
    if (strcasestr(ah_future_errmsg(fs[0]), cases[i].why) == NULL)
      fail_msg("case %zu: \"%s\" lacks \"%s\"", i, ah_future_errmsg(fs[0]),
               cases[i].why);
    assert_int_equal(ah_future_error(fs[1]), AH_OK);
    ah_future_free(fs[0]);
    ah_future_free(fs[1]);
  }
  ah_session_free(s);
}

/* nginx answers a missing client certificate with a 400 page. */
static void test_client_certificate(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s = session_with(file("ca.pem"), AH_HTTP_DEFAULT), *m;
  ah_future *f;

  (void)state;
  f = get(s, url(MTLS, "/1k"));
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_int_equal(ah_response_status(ah_future_response(f)), 400);
  ah_future_free(f);
  ah_session_opts_set_ca(o, file("ca.pem"), NULL);
  ah_session_opts_set_client_cert(o, file("client.pem"), file("client.key"));
  m = ah_session_new(o);
  f = get(m, url(MTLS, "/1k"));
  if (ah_future_error(f) != AH_OK)
    fail_msg("%s", ah_future_errmsg(f));
  assert_int_equal(ah_response_status(ah_future_response(f)), 200);
  ah_future_free(f);
  ah_session_free(m);
  ah_session_free(s);
  ah_session_opts_free(o);
}

/* n concurrent requests: all succeed over HTTP/2, on one connection
 * (one_conn), or each on its own. */
static void all_over_h2(ah_session *s, int which, int n, int one_conn)
{
  ah_future *fs[50];
  const char *conn = NULL;
  int i;

  for (i = 0; i < n; i++)
    fs[i] = ah_session_fetch(s, url(which, "/1k"), NULL);
  assert_int_equal(ah_gather(fs, (size_t)n, 20000), AH_OK);
  for (i = 0; i < n; i++) {
    const ah_response *r = ah_future_response(fs[i]);
    if (r == NULL)
      fail_msg("request %d: %s", i, ah_future_errmsg(fs[i]));
    assert_int_equal(ah_response_http_version(r), 20);
    assert_non_null(ah_response_header(r, "x-conn"));
    if (conn == NULL)
      conn = ah_response_header(r, "x-conn");
    else if (one_conn)
      assert_string_equal(ah_response_header(r, "x-conn"), conn);
    else
      assert_string_not_equal(ah_response_header(r, "x-conn"), conn);
  }
  for (i = 0; i < n; i++)
    ah_future_free(fs[i]);
}

static void test_h2_multiplexed(void **state)
{
  ah_session *s = session_with(file("ca.pem"), AH_HTTP_DEFAULT);

  (void)state;
  all_over_h2(s, TLS, 50, 1);
  ah_session_free(s);
}

/* libcurl before 8.0 cannot reuse a cleartext HTTP/2 connection made with
 * prior knowledge (curl issue 10634): ahttp then gives each request its
 * own connection, and they all succeed. From 8.0 they share one. */
static void test_h2c_prior_knowledge(void **state)
{
  ah_session *s = session_with(NULL, AH_HTTP_2_PRIOR_KNOWLEDGE);
  int fixed = curl_version_info(CURLVERSION_NOW)->version_num >= 0x080000;

  (void)state;
  all_over_h2(s, H2C, 20, fixed);
  all_over_h2(s, H2C, 20, fixed); /* and again, after the first ones */
  ah_session_free(s);
}

static void test_gzip(void **state)
{
  ah_session *s = session_with(NULL, AH_HTTP_DEFAULT);
  ah_future *f = get(s, url(PLAIN, "/t.txt"));
  const char *b;
  size_t len, i;

  (void)state;
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_string_equal(ah_response_header(ah_future_response(f), "content-encoding"), "gzip");
  b = ah_response_body(ah_future_response(f), &len);
  assert_int_equal(len, 16 * 640);
  for (i = 0; i < len; i += 16)
    assert_memory_equal(b + i, "gzip me, nginx. ", 16);
  ah_future_free(f);
  ah_session_free(s);
}

/* The body as nginx sent it, decompression off: gzip bytes, as
 * Content-Encoding says; the reason phrases of nginx's status lines over
 * HTTP/1.1, none over HTTP/2. */
static void test_gzip_raw_and_reason(void **state)
{
  ah_session *s = session_with(NULL, AH_HTTP_DEFAULT), *h2;
  ah_request_opts *o = ah_request_opts_new();
  const ah_response *r;
  const char *b;
  ah_future *f;
  size_t len;

  (void)state;
  assert_int_equal(ah_request_opts_set_decompress(o, 0), AH_OK);
  f = ah_session_fetch(s, url(PLAIN, "/t.txt"), o);
  assert_int_equal(ah_future_wait(f, 20000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_OK);
  r = ah_future_response(f);
  assert_string_equal(ah_response_header(r, "content-encoding"), "gzip");
  b = ah_response_body(r, &len);
  assert_true(len > 10 && len < 16 * 640);
  assert_memory_equal(b, "\x1f\x8b", 2);
  assert_string_equal(ah_response_reason(r), "OK");
  ah_future_free(f);
  f = get(s, url(PLAIN, "/no-such-file"));
  assert_int_equal(ah_response_status(ah_future_response(f)), 404);
  assert_string_equal(ah_response_reason(ah_future_response(f)), "Not Found");
  ah_future_free(f);
  h2 = session_with(NULL, AH_HTTP_2_PRIOR_KNOWLEDGE);
  f = get(h2, url(H2C, "/1k"));
  assert_int_equal(ah_response_http_version(ah_future_response(f)), 20);
  assert_string_equal(ah_response_reason(ah_future_response(f)), "");
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(h2);
  ah_session_free(s);
}

static void test_unix_socket(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s;
  ah_future *f;

  (void)state;
  ah_session_opts_set_unix_socket(o, file("nginx.sock"));
  s = ah_session_new(o);
  f = get(s, "http://nginx.unix/1k");
  if (ah_future_error(f) != AH_OK)
    fail_msg("%s", ah_future_errmsg(f));
  assert_int_equal(ah_response_status(ah_future_response(f)), 200);
  assert_string_equal(ah_response_remote_addr(ah_future_response(f), NULL),
                      file("nginx.sock"));
  ah_future_free(f);
  ah_session_free(s);
  ah_session_opts_free(o);
}

static void test_proxy(void **state)
{
  ah_session *s = session_with(NULL, AH_HTTP_DEFAULT);
  ah_request_opts *o = ah_request_opts_new();
  char proxy[64];
  ah_future *f;

  (void)state;
  snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", port[PROXY]);
  ah_request_opts_set_proxy(o, proxy);
  f = ah_session_fetch(s, "http://upstream.test/1k", o);
  assert_int_equal(ah_future_wait(f, 20000), AH_OK);
  if (ah_future_error(f) != AH_OK)
    fail_msg("%s", ah_future_errmsg(f));
  assert_int_equal(ah_response_status(ah_future_response(f)), 200);
  assert_string_equal(ah_response_header(ah_future_response(f), "x-via-proxy"), "yes");
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* nginx's count of connections it accepted (stub_status). */
static long accepted(ah_session *s)
{
  ah_future *f = get(s, url(PLAIN, "/status"));
  const char *b, *p;
  long a = -1;

  assert_int_equal(ah_future_error(f), AH_OK);
  b = ah_response_body(ah_future_response(f), NULL);
  /* "Active connections: 1 \nserver accepts handled requests\n A H R" */
  p = strstr(b, "requests\n");
  if (p != NULL)
    a = strtol(p + 9, NULL, 10);
  ah_future_free(f);
  return a;
}

struct watch {
  int fds_max, done, fd_base;
};

static void count_fds(ah_future *f, void *ud)
{
  struct watch *w = ud;
  int n;

  (void)f;
  if (++w->done % 1000 == 0 && (n = tu_fd_count()) > w->fds_max)
    w->fds_max = n;
}

/* The connection limit holds under a gather of 100,000: nginx accepts at
 * most that many connections, and the process never holds more than the
 * limit plus a few descriptors of its own (epoll, timerfd, eventfd,
 * libcurl's wake-up pair). */
static void limits_hold(long total, long per_host, int limit)
{
  /* Under valgrind (make check VALGRIND=1, 30 to 50 times slower) a
   * fifth as many: that run is for memory errors, the others for scale. */
  const int N = getenv("AH_UNDER_VALGRIND") != NULL ? 20000 : 100000;
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s, *probe = session_with(NULL, AH_HTTP_DEFAULT);
  ah_future **fs = malloc(N * sizeof *fs);
  struct watch w = {0, 0, 0};
  long before, opened;
  int i;

  assert_non_null(fs);
  ah_session_opts_set_max_connections(o, total, per_host);
  s = ah_session_new(o);
  w.fd_base = tu_fd_count();
  before = accepted(probe);
  for (i = 0; i < N; i++) {
    fs[i] = ah_session_fetch(s, url(PLAIN, "/1k"), NULL);
    ah_future_on_done(fs[i], count_fds, &w);
  }
  assert_int_equal(ah_gather(fs, N, 120000), AH_OK);
  for (i = 0; i < N; i++) {
    if (ah_future_error(fs[i]) != AH_OK)
      fail_msg("request %d: %s", i, ah_future_errmsg(fs[i]));
    ah_future_free(fs[i]);
  }
  /* The limit is on connections open at once: the descriptors checked
   * below. Over 100,000 requests libcurl may now and then close one and
   * open another (8.21 on a loaded machine: 27 accepted for a limit of
   * 20, never more than 20 open), so the total accepted is only bounded. */
  opened = accepted(probe) - before - 1; /* less the probe's own */
  if (opened < 1 || opened > 2 * limit)
    fail_msg("%ld connections accepted, limit %d", opened, limit);
  assert_true(w.fds_max > w.fd_base);
  if (w.fds_max > w.fd_base + limit + 4)
    fail_msg("%d descriptors open at most, from %d, limit %d", w.fds_max,
             w.fd_base, limit);
  free(fs);
  ah_session_free(s);
  ah_session_free(probe);
  ah_session_opts_free(o);
}

static void test_limits_hold_under_100000(void **state)
{
  (void)state;
  limits_hold(20, 0, 20); /* total */
}

/* The per-host limit, below the total, holds as well (gate.c: beyond it
 * requests wait in ahttp's queue, holding no handle and no socket). */
static void test_host_limit_holds_under_100000(void **state)
{
  (void)state;
  limits_hold(100, 8, 8);
}

/* A crawler: 16 chains, 10,000 requests in all, each completion starting
 * the next and freeing its own future; every 100th also starts a request
 * and cancels it at once. */
struct crawl {
  ah_session *s;
  int started, ok, canceled, target;
};

static void crawl_next(ah_future *f, void *ud);

static void crawl_start(struct crawl *c)
{
  ah_future *f;

  if (c->started >= c->target)
    return;
  c->started++;
  f = ah_session_fetch(c->s, url(PLAIN, "/1k"), NULL);
  ah_future_on_done(f, crawl_next, c);
}

static void crawl_next(ah_future *f, void *ud)
{
  struct crawl *c = ud;

  if (ah_future_error(f) == AH_OK)
    c->ok++;
  else if (ah_future_error(f) == AH_ECANCELED)
    c->canceled++;
  ah_future_free(f);
  if ((c->ok + c->canceled) % 100 == 0) {
    ah_future *g = ah_session_fetch(c->s, url(PLAIN, "/1k"), NULL);
    assert_int_equal(ah_future_cancel(g), AH_OK);
    assert_int_equal(ah_future_error(g), AH_ECANCELED);
    ah_future_free(g);
    c->canceled++;
  }
  crawl_start(c);
}

static void test_crawler_chains(void **state)
{
  struct crawl c = {NULL, 0, 0, 0, 10000};
  int i, rounds = 0;

  (void)state;
  c.s = session_with(NULL, AH_HTTP_DEFAULT);
  for (i = 0; i < 16; i++)
    crawl_start(&c);
  while (c.ok < c.target && rounds++ < 1000000)
    assert_true(ah_session_run(c.s, 1000) >= 0);
  assert_int_equal(c.ok, 10000);
  assert_true(c.canceled >= 99);
  ah_session_free(c.s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_tls_verified),
    TU_TEST(test_tls_failures),
    TU_TEST(test_pinned_key),
    TU_TEST(test_tls_event),
    TU_TEST(test_ca_dir_and_http_1_1),
    TU_TEST(test_tls_sessions_resumed),
    TU_TEST(test_client_certificate),
    TU_TEST(test_h2_multiplexed),
    TU_TEST(test_h2c_prior_knowledge),
    TU_TEST(test_gzip),
    TU_TEST(test_gzip_raw_and_reason),
    TU_TEST(test_unix_socket),
    TU_TEST(test_proxy),
    TU_TEST(test_limits_hold_under_100000),
    TU_TEST(test_host_limit_holds_under_100000),
    TU_TEST(test_crawler_chains),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
