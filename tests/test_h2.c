/* test_h2.c - the request's journey over HTTP/2, against a server built
 * on python3-h2 (tests/h2server.py), cleartext with prior knowledge and
 * over TLS: redirects and their methods, secrets, and streams the server
 * refused unprocessed (REFUSED_STREAM, above a GOAWAY's last stream id),
 * sent again for any method when retries are on, while a connection that
 * died after the request arrived never sends a POST twice. Trailers and
 * the reason phrase over HTTP/2 against nghttpd (nghttp2's own server). */
#include <ahttp.h>
#include <curl/curl.h> /* curl_version_info: which libcurl runs */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "curl_caps.h"
#include "journey.h"
#include "request.h"
#include "testutil.h"

static int h2c_port, tls_port;
static pid_t h2c_pid = -1, tls_pid = -1;
static char dir[64], ca[128];

static int setup(void **state)
{
  const char *h2c[] = {NULL};
  const char *tls[] = {"--tls", NULL, NULL, NULL};
  char cmd[512], key[128];

  snprintf(dir, sizeof dir, "/tmp/ahttp-h2-XXXXXX");
  if (mkdtemp(dir) == NULL)
    return -1;
  snprintf(ca, sizeof ca, "%s/cert.pem", dir);
  snprintf(key, sizeof key, "%s/key.pem", dir);
  snprintf(cmd, sizeof cmd,
           "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
           "-nodes -keyout %s -out %s -days 2 -subj /CN=ahttp-test "
           "-addext subjectAltName=IP:127.0.0.1,DNS:localhost >/dev/null 2>&1", key, ca);
  if (system(cmd) != 0)
    return -1;
  tls[1] = ca;
  tls[2] = key;
  setenv("AH_TEST_SERVER", "tests/h2server.py", 1);
  h2c_pid = tu_server_start_args(&h2c_port, h2c);
  tls_pid = tu_server_start_args(&tls_port, tls);
  unsetenv("AH_TEST_SERVER");
  return tu_group_setup(state) == 0 && h2c_pid > 0 && tls_pid > 0 ? 0 : -1;
}

static int teardown(void **state)
{
  char cmd[128];

  if (h2c_pid > 0)
    tu_server_stop(h2c_pid);
  if (tls_pid > 0)
    tu_server_stop(tls_pid);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0)
    return -1;
  return tu_group_teardown(state);
}

/* "http://127.0.0.1:P/path" (h2c) or "https://..." (TLS). */
static const char *url_of(int tls, const char *path)
{
  static char bufs[8][512];
  static int next;
  char *b = bufs[next++ % 8];

  snprintf(b, sizeof bufs[0], "%s://127.0.0.1:%d%s", tls ? "https" : "http",
           tls ? tls_port : h2c_port, path);
  return b;
}

static ah_session *session(int tls, int attempts)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s;

  ah_session_opts_set_http_version(o, tls ? AH_HTTP_2 : AH_HTTP_2_PRIOR_KNOWLEDGE);
  if (tls)
    ah_session_opts_set_ca(o, ca, NULL);
  if (attempts > 1) {
    ah_session_opts_set_retries(o, attempts, AH_RETRY_DEFAULT);
    ah_session_opts_set_retry_backoff(o, 1, 10);
  }
  s = ah_session_new(o);
  ah_session_opts_free(o);
  assert_non_null(s);
  return s;
}

/* The body of an HTTP/2 response. */
static const char *body_of(ah_future *f)
{
  const char *b = tu_body(f);

  assert_int_equal(ah_response_http_version(ah_future_response(f)), 20);
  return b;
}

static int seen(int tls, const char *target)
{
  char q[512];
  ah_session *s = session(tls, 1);
  ah_future *f;
  int n;

  snprintf(q, sizeof q, "%s", url_of(tls, "/seen?"));
  strncat(q, target, sizeof q - strlen(q) - 1);
  f = tu_fetch(s, q, NULL);
  n = atoi(body_of(f));
  ah_future_free(f);
  ah_session_free(s);
  return n;
}

/* SPEC 4b's journey over HTTP/2: methods and bodies after each redirect
 * status, the history, and secrets kept to the origin. */
static void journey(int tls)
{
  static const int codes[] = {301, 302, 303, 307, 308};
  ah_session *s = session(tls, 1);
  ah_request_opts *o = ah_request_opts_new();
  const ah_response *r;
  const char *b, *u;
  char path[256], want[64];
  ah_future *f;
  size_t c;
  int st;

  ah_request_opts_set_body(o, "pay-load", 8);
  ah_request_opts_add_sensitive_header(o, "X-Token", "secret-t");
  for (c = 0; c < sizeof codes / sizeof *codes; c++) {
    int get = ah__journey_to_get(codes[c], NULL, 1);
    snprintf(path, sizeof path, "/redirect-code/%d?/echo", codes[c]);
    f = tu_fetch(s, url_of(tls, path), o);
    b = body_of(f);
    snprintf(want, sizeof want, "method %s\n", get ? "GET" : "POST");
    if (strstr(b, want) == NULL)
      fail_msg("%s %d: wanted %s, the server saw:\n%s", tls ? "h2" : "h2c", codes[c], want, b);
    assert_int_equal(strstr(b, "\npay-load") != NULL, !get);
    assert_int_equal(strstr(b, "content-type") != NULL, !get);
    assert_non_null(strstr(b, "header x-token: secret-t\n")); /* same origin */
    r = ah_future_response(f);
    assert_int_equal(ah_response_redirects(r), 1);
    assert_int_equal(ah_response_history_at(r, 0, &st, &u), AH_OK);
    assert_int_equal(st, codes[c]);
    assert_string_equal(u, url_of(tls, path));
    assert_string_equal(ah_response_url(r), url_of(tls, "/echo"));
    ah_future_free(f);
  }
  /* Another origin (the same server by another name): no secret. */
  snprintf(path, sizeof path, "/redirect-code/307?%s://localhost:%d/echo",
           tls ? "https" : "http", tls ? tls_port : h2c_port);
  f = tu_fetch(s, url_of(tls, path), o);
  b = body_of(f);
  assert_non_null(strstr(b, "method POST\n"));
  assert_non_null(strstr(b, "\npay-load"));
  if (strstr(b, "secret") != NULL)
    fail_msg("a secret went to another origin:\n%s", b);
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

static void test_journey_h2c(void **state)
{
  (void)state;
  journey(0);
}

static void test_journey_tls(void **state)
{
  (void)state;
  journey(1);
}

/* A stream refused unprocessed goes again, whatever the method, as an
 * attempt of the retry policy: ten POSTs on one connection, the first
 * three streams refused; then a GOAWAY whose last stream id is below the
 * streams in flight. Each POST is processed exactly once. */
static void refused(int tls, const char *kind, int n, const char *key)
{
  ah_session *s = session(tls, 4);
  ah_request_opts *o = ah_request_opts_new();
  ah_future *fs[10];
  char path[128];
  int i;

  ah_request_opts_set_body(o, "order", 5);
  for (i = 0; i < 10; i++) {
    snprintf(path, sizeof path, "/%s/%s/%d?i=%d", kind, key, n, i);
    fs[i] = ah_session_fetch(s, url_of(tls, path), o);
  }
  assert_int_equal(ah_gather(fs, 10, 20000), AH_OK);
  for (i = 0; i < 10; i++) {
    const char *b = body_of(fs[i]);
    assert_non_null(strstr(b, "method POST\n"));
    assert_non_null(strstr(b, "\norder"));
    snprintf(path, sizeof path, "/%s/%s/%d?i=%d", kind, key, n, i);
    assert_int_equal(seen(tls, path), 1);
    ah_future_free(fs[i]);
  }
  ah_request_opts_free(o);
  ah_session_free(s);
}

static void test_refused_streams_sent_again(void **state)
{
  (void)state;
  refused(0, "refuse", 3, "r-h2c");
  refused(1, "refuse", 3, "r-tls");
  refused(0, "goaway", 1, "g-h2c");
  refused(1, "goaway", 1, "g-tls");
}

/* Without retries, a refused POST is not sent again: a clear error, and
 * the server never processed it. */
static void test_refused_without_retries(void **state)
{
  ah_session *s = session(0, 1);
  ah_request_opts *o = ah_request_opts_new();
  ah_future *f;

  (void)state;
  ah_request_opts_set_body(o, "order", 5);
  f = tu_fetch(s, url_of(0, "/refuse/no-retry/1"), o);
  assert_int_equal(ah_future_error(f), AH_EIO);
  ah_future_free(f);
  assert_int_equal(seen(0, "/refuse/no-retry/1"), 0);
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* A body from a reader, refused after its first DATA frame: whoever
 * sends it again (ahttp's retry, libcurl by itself: 7.88 and 8.5 resend
 * a refused stream without seeking) sends it from its start, through
 * the rewind callback; without one it is not sent again. */
struct late_body {
  size_t pos, len;
  int rewinds;
};

static unsigned char late_byte(size_t i)
{
  return (unsigned char)('a' + (i / 4096 + i) % 26);
}

static long late_read(ah_future *f, char *buf, size_t max, void *ud)
{
  struct late_body *b = ud;
  size_t n = b->len - b->pos < max ? b->len - b->pos : max, i;

  (void)f;
  for (i = 0; i < n; i++)
    buf[i] = (char)late_byte(b->pos + i);
  b->pos += n;
  return (long)n;
}

static int late_rewind(ah_future *f, void *ud)
{
  (void)f;
  ((struct late_body *)ud)->pos = 0;
  ((struct late_body *)ud)->rewinds++;
  return 0;
}

static void refused_late(int tls, int rewind, long long len, const char *kind,
                         const char *key)
{
  ah_session *s = session(tls, 3);
  ah_request_opts *o = ah_request_opts_new();
  struct late_body b = {0, 100000, 0};
  unsigned long sum = 0;
  char path[128], want[96];
  ah_future *f;
  size_t i;

  for (i = 0; i < b.len; i++)
    sum = (sum + (i + 1) * late_byte(i)) & 0xffffffffUL;
  ah_request_opts_set_method(o, "POST");
  ah_request_opts_set_body_reader(o, late_read, &b, len);
  if (rewind)
    ah_request_opts_set_body_rewind(o, late_rewind);
  snprintf(path, sizeof path, "/%s/%s/1", kind, key);
  f = tu_fetch(s, url_of(tls, path), o);
  if (rewind) {
    snprintf(want, sizeof want, "method POST\nlen 100000\nsum %lu\n", sum);
    assert_string_equal(body_of(f), want);
    assert_true(b.rewinds >= 1);
    assert_int_equal(seen(tls, path), 1);
  } else {
    assert_int_equal(ah_future_error(f), AH_EIO);
    assert_non_null(strstr(ah_future_errmsg(f), "no rewind callback"));
    assert_int_equal(seen(tls, path), 0);
  }
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* Three at once on one connection, the first read of one closing it:
 * the streams above the GOAWAY go again, each body whole, each once. */
static void goaway_late_many(int tls, const char *key)
{
  ah_session *s = session(tls, 3);
  ah_request_opts *o[3];
  struct late_body b[3];
  ah_future *fs[3];
  unsigned long sum = 0;
  char path[3][128], want[96];
  size_t i;
  int k;

  for (i = 0; i < 100000; i++)
    sum = (sum + (i + 1) * late_byte(i)) & 0xffffffffUL;
  snprintf(want, sizeof want, "method POST\nlen 100000\nsum %lu\n", sum);
  for (k = 0; k < 3; k++) {
    b[k].pos = b[k].rewinds = 0;
    b[k].len = 100000;
    o[k] = ah_request_opts_new();
    ah_request_opts_set_method(o[k], "POST");
    ah_request_opts_set_body_reader(o[k], late_read, &b[k], k == 1 ? -1 : 100000);
    ah_request_opts_set_body_rewind(o[k], late_rewind);
    snprintf(path[k], sizeof path[k], "/goaway-late/%s/1?i=%d", key, k);
    fs[k] = ah_session_fetch(s, url_of(tls, path[k]), o[k]);
  }
  assert_int_equal(ah_gather(fs, 3, 20000), AH_OK);
  for (k = 0; k < 3; k++) {
    assert_string_equal(body_of(fs[k]), want);
    assert_int_equal(seen(tls, path[k]), 1);
    ah_future_free(fs[k]);
    ah_request_opts_free(o[k]);
  }
  ah_session_free(s);
}

static void test_refused_late_body_starts_over(void **state)
{
  static const char *const kinds[] = {"refuse-late", "goaway-late"};
  int k;

  (void)state;
  for (k = 0; k < 2; k++) {
    refused_late(0, 1, 100000, kinds[k], "h2c-len");
    refused_late(0, 1, -1, kinds[k], "h2c-chunks");
    refused_late(1, 1, 100000, kinds[k], "tls-len");
    refused_late(1, 1, -1, kinds[k], "tls-chunks");
    refused_late(0, 0, 100000, kinds[k], "h2c-norewind");
    refused_late(1, 0, -1, kinds[k], "tls-norewind");
  }
  goaway_late_many(0, "many-h2c");
  goaway_late_many(1, "many-tls");
}

/* A connection that dies after the request arrived, with no GOAWAY: the
 * server may have acted on it. A POST is not sent twice; a GET is
 * retried. */
static void test_dropped_connection_not_resent(void **state)
{
  ah_session *s = session(0, 3);
  ah_request_opts *o = ah_request_opts_new();
  ah_future *f;

  (void)state;
  /* A first request, so that the connection is a reused one. */
  f = tu_fetch(s, url_of(0, "/echo"), NULL);
  body_of(f);
  ah_future_free(f);
  ah_request_opts_set_body(o, "order", 5);
  f = tu_fetch(s, url_of(0, "/drop/post/1"), o);
  if (ah_future_error(f) == AH_OK)
    fail_msg("a POST was sent again after its connection died");
  ah_future_free(f);
  assert_int_equal(seen(0, "/drop/post/1"), 1);
  /* Words libcurl would use, in the URL: proof of nothing. */
  f = tu_fetch(s, url_of(0, "/drop/REFUSED_STREAM-in-the-url/1"), o);
  if (ah_future_error(f) == AH_OK)
    fail_msg("a POST was sent again: its URL named a refusal");
  ah_future_free(f);
  assert_int_equal(seen(0, "/drop/REFUSED_STREAM-in-the-url/1"), 1);
  f = tu_fetch(s, url_of(0, "/drop/get/1"), NULL);
  assert_non_null(strstr(body_of(f), "method GET\n"));
  ah_future_free(f);
  assert_int_equal(seen(0, "/drop/get/1"), 2);
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* A large header block over HTTP/2 ends at once: under the limit it
 * arrives whole; over it (4,000 lines, on every release: 8.14 on refuse
 * 5,000 themselves; before 8.1 a block larger than libcurl's receive
 * buffer stalled until the total timeout, forever without one) it is
 * AH_ETOOLARGE, never a wait. */
static void test_large_header_block(void **state)
{
  static const int counts[] = {3000, 8000};
  ah_session *s;
  ah_session_opts *so;
  int tls, i;

  (void)state;
  for (tls = 0; tls < 2; tls++) {
    so = ah_session_opts_new();
    ah_session_opts_set_http_version(so, tls ? AH_HTTP_2 : AH_HTTP_2_PRIOR_KNOWLEDGE);
    ah_session_opts_set_ca(so, ca, NULL);
    ah_session_opts_set_timeouts(so, 0, 5000, -1); /* no total timeout */
    s = ah_session_new(so);
    ah_session_opts_free(so);
    for (i = 0; i < 2; i++) {
      char path[64];
      ah_future *f;
      snprintf(path, sizeof path, "/many-headers/%d?empty", counts[i]);
      f = ah_session_fetch(s, url_of(tls, path), NULL);
      if (ah_future_wait(f, (long)(3000 * tu_slowdown())) != AH_OK)
        fail_msg("%s %s: still waiting after 3 s", tls ? "h2" : "h2c", path);
      if (counts[i] == 3000) {
        if (ah_future_error(f) != AH_OK)
          fail_msg("%s: %s", path, ah_future_errmsg(f));
        assert_int_equal(ah_response_header_count(ah_future_response(f)),
                         (size_t)counts[i] + 1); /* and content-length */
      } else {
        assert_int_equal(ah_future_error(f), AH_ETOOLARGE);
      }
      ah_future_free(f);
    }
    ah_session_free(s);
  }
}

#define FLOOD 1 /* not a code: AH_OK or AH_EPROTO */

/* Hostile HTTP/2 servers: each ends its own request with a clear code,
 * at once, the same on every libcurl release, and the session goes on. */
/* Over h2c and over TLS: 7.88 gives each h2c request a connection of
 * its own (h2c_reuse_broken), so only TLS shows its reuse there. */
static void hostile_frames(int tls)
{
  static const struct { const char *path; int err; } t[] = {
    {"/early-hints/100000", AH_ETOOLARGE}, /* a flood of 1xx (was -902) */
    {"/hpack-bomb/1000", AH_ETOOLARGE},    /* 4 MiB decoded (was -902 on 7.88) */
    /* Under nghttp2's guard (1,000 queued replies) these are served:
     * 1,000 tripped it on a slow (sanitized) run. */
    {"/ping-flood/100", AH_OK},
    /* nghttp2's flood guard trips or not, as the reads fall: either way
     * a clear ending, never a wait (FLOOD: AH_OK or AH_EPROTO). */
    {"/ping-flood/100000", FLOOD},
    {"/settings-flood/100", AH_OK},
    {"/settings-flood/100000", FLOOD},
    {"/reset/0", AH_EPROTO},               /* RST_STREAM NO_ERROR, no response */
    {"/reset/2", AH_EPROTO},               /* RST_STREAM INTERNAL_ERROR */
    {"/reset/8", AH_EPROTO},               /* RST_STREAM CANCEL */
  };
  ah_session *s = session(tls, 1);
  ah_request_opts *post = ah_request_opts_new();
  size_t i;

  ah_request_opts_set_body(post, "after", 5);
  for (i = 0; i < sizeof t / sizeof *t; i++) {
    ah_future *f = ah_session_fetch(s, url_of(tls, t[i].path), NULL);
    if (ah_future_wait(f, (long)(5000 * tu_slowdown())) != AH_OK)
      fail_msg("%s: still waiting after 5 s", t[i].path);
    if (t[i].err == FLOOD ? ah_future_error(f) != AH_OK && ah_future_error(f) != AH_EPROTO
                          : ah_future_error(f) != t[i].err)
      fail_msg("%s: %s, want %s", t[i].path, ah_future_errmsg(f), ah_strerror(t[i].err));
    if (t[i].err == AH_ETOOLARGE && strstr(ah_future_errmsg(f), "-90") != NULL)
      fail_msg("%s: not a plain sentence: %s", t[i].path, ah_future_errmsg(f));
    ah_future_free(f);
    /* The next request on the session is served, a POST (never sent
     * twice, so a failure on a reused connection is not hidden by a
     * resend): the connection the hostile frames broke is not reused
     * (7.88 failed every request after a SETTINGS flood or a stream reset
     * on it, 8.21 one after a header flood with a COMPRESSION_ERROR). */
    f = ah_session_fetch(s, url_of(tls, "/echo"), post);
    if (ah_future_wait(f, (long)(5000 * tu_slowdown())) != AH_OK || ah_future_error(f) != AH_OK)
      fail_msg("POST /echo after %s: %s", t[i].path, ah_future_errmsg(f));
    ah_future_free(f);
  }
  ah_request_opts_free(post);
  ah_session_free(s);
}

static void test_hostile_frames(void **state)
{
  (void)state;
  hostile_frames(0);
  hostile_frames(1);
}

/* A stream the server resets ends alone: the streams beside it on the
 * connection finish (libcurl 7.88 cannot reuse the connection after the
 * reset, so ahttp shuts it, but only once they have), and the next
 * request is served. Twenty rounds, each on a new connection, half of
 * them made before the three (the others wait to learn whether it
 * multiplexes, and may not be on it yet when the reset ends): the ends
 * fall in any order. */
static void test_stream_reset_spares_the_others(void **state)
{
  ah_request_opts *post = ah_request_opts_new();
  int round;

  (void)state;
  ah_request_opts_set_body(post, "after", 5);
  for (round = 0; round < 20; round++) {
    ah_session *s = session(1, 1);
    ah_future *fs[3], *f;
    if (round % 2 == 1) { /* the connection first: all three go on it */
      f = tu_fetch(s, url_of(1, "/echo"), NULL);
      body_of(f);
      ah_future_free(f);
    }
    fs[2] = ah_session_fetch(s, url_of(1, "/reset/2"), NULL);
    fs[0] = ah_session_fetch(s, url_of(1, "/slow/200"), NULL);
    fs[1] = ah_session_fetch(s, url_of(1, "/echo"), NULL);
    assert_int_equal(ah_gather(fs, 3, (long)(10000 * tu_slowdown())), AH_OK);
    if (ah_future_error(fs[0]) != AH_OK || ah_future_error(fs[1]) != AH_OK)
      fail_msg("round %d: a stream beside the reset one failed: %s / %s", round,
               ah_future_errmsg(fs[0]), ah_future_errmsg(fs[1]));
    assert_string_equal(body_of(fs[0]), "slow");
    assert_int_equal(ah_future_error(fs[2]), AH_EPROTO);
    f = tu_fetch(s, url_of(1, "/echo"), post);
    if (ah_future_error(f) != AH_OK)
      fail_msg("round %d: the POST after: %s", round, ah_future_errmsg(f));
    ah_future_free(f);
    ah_future_free(fs[0]);
    ah_future_free(fs[1]);
    ah_future_free(fs[2]);
    ah_session_free(s);
  }
  ah_request_opts_free(post);
}

/* nghttpd (Debian's nghttp2-server) serving dir over h2c with two
 * trailers on every response: the trailers come in the HEADERS frame
 * that ends the stream, and HTTP/2 has no reason phrase. libcurl 7.88.1
 * and 8.5.0 end the transfer at the body's last byte (the response has a
 * Content-Length) and never deliver the trailers; 8.21.0 does. */
static void test_trailers_from_nghttpd(void **state)
{
  const char *argv[] = {
    "sh", "-c",
    "p=$(${PYTHON:-python3} -c 'import socket; s=socket.socket(); "
    "s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])') && echo READY $p && "
    "exec nghttpd --no-tls -d \"$0\" -a 127.0.0.1 --trailer 'x-checksum: abc' "
    "--trailer 'grpc-status: 0' $p >/dev/null 2>&1", dir, NULL};
  unsigned v = curl_version_info(CURLVERSION_NOW)->version_num;
  ah_session_opts *so = ah_session_opts_new();
  char line[64], path[128], u[128];
  const ah_response *r;
  ah_future *f = NULL;
  ah_session *s;
  size_t len;
  FILE *fp;
  pid_t pid;
  int port = 0, i;

  (void)state;
  snprintf(path, sizeof path, "%s/hello", dir);
  assert_non_null(fp = fopen(path, "w"));
  fputs("hello, trailers", fp);
  fclose(fp);
  pid = tu_spawn(argv, line, sizeof line);
  assert_true(pid > 0);
  assert_int_equal(sscanf(line, "READY %d", &port), 1);
  ah_session_opts_set_http_version(so, AH_HTTP_2_PRIOR_KNOWLEDGE);
  s = ah_session_new(so);
  ah_session_opts_free(so);
  snprintf(u, sizeof u, "http://127.0.0.1:%d/hello", port);
  /* nghttpd listens a moment after it starts: a bounded wait. */
  for (i = 0; i < 100; i++) {
    f = ah_session_fetch(s, u, NULL);
    assert_int_equal(ah_future_wait(f, 10000), AH_OK);
    if (ah_future_error(f) != AH_ECONNECT)
      break;
    ah_future_free(f);
    f = NULL;
    usleep(50000);
  }
  assert_non_null(f);
  r = ah_future_response(f);
  assert_non_null(r);
  assert_int_equal(ah_response_http_version(r), 20);
  assert_string_equal(ah_response_body(r, &len), "hello, trailers");
  assert_string_equal(ah_response_reason(r), "");
  if (v >= 0x081500) {
    assert_int_equal(ah_response_trailer_count(r), 2);
    assert_string_equal(ah_response_trailer(r, "x-checksum"), "abc");
    assert_string_equal(ah_response_trailer(r, "grpc-status"), "0");
    assert_null(ah_response_header(r, "grpc-status"));
  } else if (v < 0x080600) {
    assert_int_equal(ah_response_trailer_count(r), 0);
  }
  ah_future_free(f);
  ah_session_free(s);
  tu_server_stop(pid);
  unlink(path);
}

/* A stream reset with HTTP_1_1_REQUIRED: libcurl tries again over
 * HTTP/1.1, which this HTTP/2-only server cannot answer. The first try's
 * message ("Empty reply from server", all 7.88 and 8.5 keep) is not the
 * failure's: the future gives the last try's words (8.21: "Received
 * HTTP/0.9"), or its code's. */
static void test_downgrade_message_is_the_last_try(void **state)
{
  int tls;

  (void)state;
  for (tls = 0; tls <= 1; tls++) {
    ah_session *s = session(tls, 1);
    ah_future *f = ah_session_fetch(s, url_of(tls, "/reset/13"), NULL);
    assert_int_equal(ah_future_wait(f, (long)(5000 * tu_slowdown())), AH_OK);
    assert_int_not_equal(ah_future_error(f), AH_OK);
    if (strstr(ah_future_errmsg(f), "Empty reply") != NULL)
      fail_msg("%s: the first try's words: %s", tls ? "tls" : "h2c", ah_future_errmsg(f));
    ah_future_free(f);
    ah_session_free(s);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_large_header_block),
    TU_TEST(test_hostile_frames),
    TU_TEST(test_journey_h2c),
    TU_TEST(test_journey_tls),
    TU_TEST(test_refused_streams_sent_again),
    TU_TEST(test_refused_without_retries),
    TU_TEST(test_refused_late_body_starts_over),
    TU_TEST(test_stream_reset_spares_the_others),
    TU_TEST(test_dropped_connection_not_resent),
    TU_TEST(test_downgrade_message_is_the_last_try),
    TU_TEST(test_trailers_from_nghttpd),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
