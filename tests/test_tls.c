/* test_tls.c - TLS: verification on by default, a CA file, host name
 * checks, the explicit opt-out, client certificates, and a plain server on
 * a TLS URL. Certificates are made for each run with the openssl CLI. */
#include <ahttp.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static char dir[64];
static int good_port, wrong_port, mtls_port, h2o_port;
static pid_t good_pid = -1, wrong_pid = -1, mtls_pid = -1, h2o_pid = -1;

static const char *path(const char *name)
{
  static char bufs[4][128];
  static int next;
  char *b = bufs[next++ % 4];
  snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
  return b;
}

/* A self-signed certificate for the given subjectAltName. */
static int make_cert(const char *name, const char *san)
{
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
           "-nodes -keyout %s/%s.key -out %s/%s.pem -days 2 -subj /CN=ahttp-test "
           "-addext subjectAltName=%s >/dev/null 2>&1",
           dir, name, dir, name, san);
  return system(cmd) == 0 ? 0 : -1;
}

/* name.pub: the public key of name.key, PEM (a pin file). */
static int make_pub(const char *name)
{
  char cmd[512];
  snprintf(cmd, sizeof cmd, "openssl pkey -in %s/%s.key -pubout -out %s/%s.pub 2>/dev/null",
           dir, name, dir, name);
  return system(cmd) == 0 ? 0 : -1;
}

static int setup(void **state)
{
  const char *good[] = {"--tls", NULL, NULL, NULL};
  const char *wrong[] = {"--tls", NULL, NULL, NULL};
  const char *mtls[] = {"--tls", NULL, NULL, NULL, NULL};
  char g1[128], g2[128], w1[128], w2[128], c1[128];

  (void)state;
  snprintf(dir, sizeof dir, "/tmp/ahttp-tls-XXXXXX");
  if (mkdtemp(dir) == NULL || make_cert("good", "IP:127.0.0.1,DNS:localhost") ||
      make_cert("wrong", "DNS:wrong.test") || make_cert("client", "DNS:client.test") ||
      make_pub("good") || make_pub("wrong"))
    return -1;
  snprintf(g1, sizeof g1, "%s", path("good.pem"));
  snprintf(g2, sizeof g2, "%s", path("good.key"));
  snprintf(w1, sizeof w1, "%s", path("wrong.pem"));
  snprintf(w2, sizeof w2, "%s", path("wrong.key"));
  snprintf(c1, sizeof c1, "%s", path("client.pem"));
  good[1] = g1; good[2] = g2;
  wrong[1] = w1; wrong[2] = w2;
  mtls[1] = g1; mtls[2] = g2; mtls[3] = c1;
  /* h2o (tests/h2o.sh), a server nobody here wrote, with good.pem. */
  {
    char hdir[128], rl[64];
    const char *argv[] = {"sh", "tests/h2o.sh", hdir, g1, g2, NULL};
    snprintf(hdir, sizeof hdir, "%s/h2o", dir);
    h2o_pid = tu_spawn(argv, rl, sizeof rl);
    if (h2o_pid <= 0 || sscanf(rl, "READY %d", &h2o_port) != 1)
      return -1;
  }
  good_pid = tu_server_start_args(&good_port, good);
  wrong_pid = tu_server_start_args(&wrong_port, wrong);
  mtls_pid = tu_server_start_args(&mtls_port, mtls);
  return tu_group_setup(state) == 0 && good_pid > 0 && wrong_pid > 0 &&
                 mtls_pid > 0 ? 0 : -1;
}

static int teardown(void **state)
{
  char cmd[128];
  tu_server_stop(good_pid);
  tu_server_stop(wrong_pid);
  tu_server_stop(mtls_pid);
  tu_server_stop(h2o_pid);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0)
    return -1;
  return tu_group_teardown(state);
}

/* Fetch https://127.0.0.1:port/size/100 with o; return the future. */
static ah_future *fetch(ah_session_opts *o, int port, ah_session **s)
{
  char url[128];
  ah_future *f;

  snprintf(url, sizeof url, "https://127.0.0.1:%d/size/100", port);
  *s = ah_session_new(o);
  assert_non_null(*s);
  f = ah_session_fetch(*s, url, NULL);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  return f;
}

static void expect(ah_session_opts *o, int port, int code, const char *in_msg)
{
  ah_session *s;
  ah_future *f = fetch(o, port, &s);

  if (ah_future_error(f) != code)
    fail_msg("port %d: got %s (%s), want %s", port,
             ah_strerror(ah_future_error(f)), ah_future_errmsg(f),
             ah_strerror(code));
  if (code == AH_OK)
    assert_int_equal(ah_response_status(ah_future_response(f)), 200);
  if (in_msg && strcasestr(ah_future_errmsg(f), in_msg) == NULL)
    fail_msg("message \"%s\" lacks \"%s\"", ah_future_errmsg(f), in_msg);
  ah_future_free(f);
  ah_session_free(s);
}

/* Which failure AH_ETLS is: libcurl's code, the same on every release
 * (its words differ: "certificate verify failed", "OpenSSL verify
 * result"). */
static void expect_curl_code(ah_session_opts *o, int port, int code)
{
  ah_session *s;
  ah_future *f = fetch(o, port, &s);

  assert_int_equal(ah_future_error(f), AH_ETLS);
  assert_int_equal(ah_future_curl_code(f), code);
  ah_future_free(f);
  ah_session_free(s);
}

static void test_untrusted_by_default(void **state)
{
  (void)state;
  expect(NULL, good_port, AH_ETLS, "certificate");
  expect_curl_code(NULL, good_port, CURLE_PEER_FAILED_VERIFICATION);
}

static void test_trusted_with_ca_file(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  (void)state;
  assert_int_equal(ah_session_opts_set_ca(o, path("good.pem"), NULL), AH_OK);
  expect(o, good_port, AH_OK, NULL);
  ah_session_opts_free(o);
}

static void test_wrong_host_refused(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  (void)state;
  /* Trusted, but issued for wrong.test, not 127.0.0.1. */
  ah_session_opts_set_ca(o, path("wrong.pem"), NULL);
  expect(o, wrong_port, AH_ETLS, NULL);
  expect_curl_code(o, wrong_port, CURLE_PEER_FAILED_VERIFICATION);
  ah_session_opts_free(o);
}

static void test_insecure_only_when_named(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  (void)state;
  assert_int_equal(ah_session_opts_set_tls_insecure_no_verify(o, 1), AH_OK);
  expect(o, wrong_port, AH_OK, NULL);
  expect(o, good_port, AH_OK, NULL);
  assert_int_equal(ah_session_opts_set_tls_insecure_no_verify(o, 0), AH_OK);
  expect(o, wrong_port, AH_ETLS, NULL);
  ah_session_opts_free(o);
}

static void test_plain_server_on_tls_url(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  (void)state;
  ah_session_opts_set_tls_insecure_no_verify(o, 1);
  expect(o, tu_port, AH_ETLS, NULL); /* the plain test server */
  ah_session_opts_free(o);
}

/* A server that closes the connection mid-response without TLS's
 * close_notify (tests/server.py's /short, /cut-headers and /empty, over
 * TLS) cut the response short: AH_EPROTO on every release, as over plain
 * HTTP, not a TLS failure (8.21 words it "unexpected eof"). */
static void test_tls_cut_short_is_not_a_tls_failure(void **state)
{
  static const char *const paths[] = {"/short", "/cut-headers", "/empty"};
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s;
  char url[128];
  size_t i;

  (void)state;
  ah_session_opts_set_ca(o, path("good.pem"), NULL);
  s = ah_session_new(o);
  for (i = 0; i < sizeof paths / sizeof *paths; i++) {
    ah_future *f;
    snprintf(url, sizeof url, "https://127.0.0.1:%d%s", good_port, paths[i]);
    f = ah_session_fetch(s, url, NULL);
    assert_int_equal(ah_future_wait(f, 10000), AH_OK);
    if (ah_future_error(f) != AH_EPROTO)
      fail_msg("%s: %s, want AH_EPROTO", paths[i], ah_future_errmsg(f));
    ah_future_free(f);
  }
  ah_session_free(s);
  ah_session_opts_free(o);
}

static void test_client_certificate(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  (void)state;
  ah_session_opts_set_ca(o, path("good.pem"), NULL);
  expect(o, mtls_port, AH_ETLS, NULL); /* none offered */
  assert_int_equal(ah_session_opts_set_client_cert(o, path("client.pem"),
                                                   path("client.key")), AH_OK);
  expect(o, mtls_port, AH_OK, NULL);
  assert_int_equal(ah_session_opts_set_client_cert(o, NULL, "k"), AH_EINVAL);
  ah_session_opts_free(o);
}

/* An https to http redirect is another origin: Authorization, a Cookie
 * set by the caller and sensitive headers stay behind, even to the same
 * host; back on https, the same origin gets them. */
static void test_downgrade_keeps_secrets(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_request_opts *o = ah_request_opts_new();
  ah_session *s;
  ah_future *f;
  const char *b;
  char url[256];

  (void)state;
  ah_session_opts_set_ca(so, path("good.pem"), NULL);
  s = ah_session_new(so);
  ah_request_opts_set_bearer_token(o, "secret-token");
  ah_request_opts_add_header(o, "Cookie", "sid=secret");
  ah_request_opts_add_sensitive_header(o, "X-Api-Key", "secret-key");
  snprintf(url, sizeof url,
           "https://127.0.0.1:%d/redirect-to?http://127.0.0.1:%d/echo",
           good_port, tu_port);
  f = ah_session_fetch(s, url, o);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_OK);
  b = ah_response_body(ah_future_response(f), NULL);
  assert_non_null(strstr(b, "target /echo\n"));
  if (strstr(b, "secret") != NULL)
    fail_msg("a secret went over the downgrade:\n%s", b);
  ah_future_free(f);
  snprintf(url, sizeof url,
           "https://127.0.0.1:%d/redirect-to?https://127.0.0.1:%d/echo",
           good_port, good_port);
  f = ah_session_fetch(s, url, o);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_OK);
  b = ah_response_body(ah_future_response(f), NULL);
  assert_non_null(strstr(b, "header X-Api-Key: secret-key\n"));
  assert_non_null(strstr(b, "header Authorization: Bearer secret-token\n"));
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_opts_free(so);
  ah_session_free(s);
}

/* Fetch url on s with o and wait: the future, done. */
static ah_future *get(ah_session *s, const char *url, const ah_request_opts *o)
{
  ah_future *f = ah_session_fetch(s, url, o);

  assert_non_null(f);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  return f;
}

/* f ended with code (and libcurl's curl_code when not 0). */
static void ended(ah_future *f, int code, int curl_code, const char *what)
{
  if (ah_future_error(f) != code)
    fail_msg("%s: got %s (%s), want %s", what, ah_strerror(ah_future_error(f)),
             ah_future_errmsg(f), ah_strerror(code));
  if (code == AH_OK)
    assert_int_equal(ah_response_status(ah_future_response(f)), 200);
  if (curl_code != 0)
    assert_int_equal(ah_future_curl_code(f), curl_code);
  ah_future_free(f);
}

/* Connections the test server has accepted, asked over a connection
 * trusted with good.pem (which a keep-alive one may serve). */
static int server_connections(ah_session *s, int port)
{
  ah_request_opts *o = ah_request_opts_new();
  ah_future *f;
  char url[128];
  int n;

  ah_request_opts_set_ca(o, path("good.pem"), NULL);
  snprintf(url, sizeof url, "https://127.0.0.1:%d/stats", port);
  f = get(s, url, o);
  assert_int_equal(ah_future_error(f), AH_OK);
  n = atoi(ah_response_body(ah_future_response(f), NULL));
  ah_future_free(f);
  ah_request_opts_free(o);
  return n;
}

/* A request's CA overrides the session's, and a connection made with one
 * CA never serves a request with another: the request trusting the wrong
 * CA fails though a kept-alive connection to the same server, verified
 * with the right one, sits idle; the next request with the right one
 * reuses that connection (three connections in all: the kept one and the
 * two refused). */
static void test_request_ca_not_shared(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *good = ah_request_opts_new(), *wrong = ah_request_opts_new();
  char url[128];
  int before;

  (void)state;
  assert_int_equal(ah_request_opts_set_ca(good, path("good.pem"), NULL), AH_OK);
  assert_int_equal(ah_request_opts_set_ca(wrong, path("wrong.pem"), NULL), AH_OK);
  snprintf(url, sizeof url, "https://127.0.0.1:%d/size/10", good_port);
  before = server_connections(s, good_port); /* one new connection, kept */
  ended(get(s, url, good), AH_OK, 0, "the right CA");
  ended(get(s, url, wrong), AH_ETLS, CURLE_PEER_FAILED_VERIFICATION, "the wrong CA");
  ended(get(s, url, NULL), AH_ETLS, CURLE_PEER_FAILED_VERIFICATION, "the session's (none)");
  ended(get(s, url, good), AH_OK, 0, "the right CA again");
  assert_int_equal(server_connections(s, good_port), before + 2);
  ah_request_opts_free(good);
  ah_request_opts_free(wrong);
  ah_session_free(s);
}

/* Verification turned off for one request serves that request only, on
 * a connection of its own; and turned on for one request of a session
 * that turned it off. */
static void test_request_verify(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_request_opts *off = ah_request_opts_new(), *on = ah_request_opts_new();
  ah_session *s;
  char url[128];

  (void)state;
  assert_int_equal(ah_request_opts_set_tls_insecure_no_verify(off, 1), AH_OK);
  assert_int_equal(ah_request_opts_set_tls_insecure_no_verify(on, 0), AH_OK);
  snprintf(url, sizeof url, "https://127.0.0.1:%d/size/10", wrong_port);
  s = ah_session_new(NULL);
  ended(get(s, url, off), AH_OK, 0, "verification off");
  ended(get(s, url, NULL), AH_ETLS, CURLE_PEER_FAILED_VERIFICATION, "the session's");
  ended(get(s, url, off), AH_OK, 0, "verification off again");
  ah_session_free(s);
  ah_session_opts_set_tls_insecure_no_verify(so, 1);
  s = ah_session_new(so);
  ended(get(s, url, NULL), AH_OK, 0, "the session's (off)");
  ended(get(s, url, on), AH_ETLS, CURLE_PEER_FAILED_VERIFICATION, "verification on");
  ah_session_free(s);
  assert_int_equal(ah_request_opts_set_tls_insecure_no_verify(on, 2), AH_EINVAL);
  s = ah_session_new(NULL);
  ended(get(s, url, on), AH_EINVAL, 0, "a bad verification");
  ah_session_free(s);
  ah_session_opts_free(so);
  ah_request_opts_free(off);
  ah_request_opts_free(on);
}

/* A client certificate for one request: the connection made with it is
 * not lent to a request without one, nor to one naming the same
 * certificate with a key that is not its own (libcurl before 8.21 does
 * not compare keys: ahttp gives that request a connection of its own). */
static void test_request_client_cert(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_request_opts *right = ah_request_opts_new(), *badkey = ah_request_opts_new();
  ah_session *s;
  char url[128];

  (void)state;
  ah_session_opts_set_ca(so, path("good.pem"), NULL);
  s = ah_session_new(so);
  assert_int_equal(ah_request_opts_set_client_cert(right, path("client.pem"),
                                                   path("client.key")), AH_OK);
  assert_int_equal(ah_request_opts_set_client_cert(badkey, path("client.pem"),
                                                   path("wrong.key")), AH_OK);
  snprintf(url, sizeof url, "https://127.0.0.1:%d/size/10", mtls_port);
  ended(get(s, url, right), AH_OK, 0, "the certificate");
  /* 8.21 says CURLE_BAD_FUNCTION_ARGUMENT, the others CURLE_SSL_CERTPROBLEM. */
  ended(get(s, url, badkey), AH_ETLS, 0, "a key not its own");
  ended(get(s, url, NULL), AH_ETLS, 0, "no certificate");
  ended(get(s, url, right), AH_OK, 0, "the certificate again");
  ah_session_free(s);
  ah_session_opts_free(so);
  ah_request_opts_free(right);
  ah_request_opts_free(badkey);
}

/* Pins for one request: a connection made under the right pin is not
 * lent to a request pinning another key; "" drops the session's pins. */
static void test_request_pins(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_request_opts *right = ah_request_opts_new(), *other = ah_request_opts_new(),
                  *none = ah_request_opts_new();
  ah_session *s;
  char url[128];

  (void)state;
  ah_session_opts_set_ca(so, path("good.pem"), NULL);
  ah_session_opts_set_pinned_key(so, path("wrong.pub"));
  s = ah_session_new(so);
  assert_int_equal(ah_request_opts_set_pinned_key(right, path("good.pub")), AH_OK);
  assert_int_equal(ah_request_opts_set_pinned_key(other, path("wrong.pub")), AH_OK);
  assert_int_equal(ah_request_opts_set_pinned_key(none, ""), AH_OK);
  snprintf(url, sizeof url, "https://127.0.0.1:%d/size/10", good_port);
  ended(get(s, url, right), AH_OK, 0, "the right pin");
  ended(get(s, url, other), AH_ETLS, CURLE_SSL_PINNEDPUBKEYNOTMATCH, "another pin");
  ended(get(s, url, NULL), AH_ETLS, CURLE_SSL_PINNEDPUBKEYNOTMATCH, "the session's pin");
  ended(get(s, url, none), AH_OK, 0, "no pin");
  ended(get(s, url, right), AH_OK, 0, "the right pin again");
  ah_session_free(s);
  ah_session_opts_free(so);
  ah_request_opts_free(right);
  ah_request_opts_free(other);
  ah_request_opts_free(none);
}

/* Against h2o (HTTP/2 over TLS, a server nobody here wrote): the request
 * trusting the wrong CA fails beside a kept connection verified with the
 * right one, and the two requests that succeed went over one connection
 * (h2o's access log names each request's connection). */
static void test_request_ca_h2o(void **state)
{
  char log[200], line[256], first[64] = "", url[128];
  ah_request_opts *good = ah_request_opts_new(), *wrong = ah_request_opts_new();
  ah_session_opts *so = ah_session_opts_new();
  ah_session *s = ah_session_new(NULL), *any;
  FILE *fp;
  int lines = 0, tries;

  (void)state;
  ah_request_opts_set_ca(good, path("good.pem"), NULL);
  ah_request_opts_set_ca(wrong, path("wrong.pem"), NULL);
  /* Every host to h2o (curl's --connect-to ::127.0.0.1:PORT): the
   * certificate is verified for the URL's name, localhost. */
  ah_session_opts_add_connect_to(so, NULL, 0, "127.0.0.1", h2o_port);
  any = ah_session_new(so);
  ended(get(any, "https://localhost/hello", good), AH_OK, 0, "h2o as localhost:443");
  ah_session_free(any);
  ah_session_opts_free(so);
  snprintf(url, sizeof url, "https://127.0.0.1:%d/hello", h2o_port);
  ended(get(s, url, good), AH_OK, 0, "h2o, the right CA");
  ended(get(s, url, wrong), AH_ETLS, CURLE_PEER_FAILED_VERIFICATION, "h2o, the wrong CA");
  ended(get(s, url, good), AH_OK, 0, "h2o, the right CA again");
  ah_session_free(s);
  /* h2o writes each request's line once it has sent the response, which
   * the client may have read before: wait for the third (up to 3 s). */
  snprintf(log, sizeof log, "%s/h2o/access.log", dir);
  for (tries = 0; tries < 300; tries++) {
    int n = 0;
    assert_non_null(fp = fopen(log, "r"));
    while (fgets(line, sizeof line, fp) != NULL)
      n++;
    fclose(fp);
    if (n >= 3)
      break;
    usleep(10000);
  }
  assert_non_null(fp = fopen(log, "r"));
  while (fgets(line, sizeof line, fp) != NULL) {
    char id[64];
    assert_int_equal(sscanf(line, "%63s 200 /hello", id), 1);
    if (lines++ < 2) /* the first: through the override */
      snprintf(first, sizeof first, "%s", id);
    else if (strcmp(id, first) != 0)
      fail_msg("h2o served the requests over connections %s and %s", first, id);
  }
  fclose(fp);
  assert_int_equal(lines, 3);
  ah_request_opts_free(good);
  ah_request_opts_free(wrong);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_untrusted_by_default),
    TU_TEST(test_trusted_with_ca_file),
    TU_TEST(test_wrong_host_refused),
    TU_TEST(test_insecure_only_when_named),
    TU_TEST(test_plain_server_on_tls_url),
    TU_TEST(test_tls_cut_short_is_not_a_tls_failure),
    TU_TEST(test_client_certificate),
    TU_TEST(test_downgrade_keeps_secrets),
    TU_TEST(test_request_ca_not_shared),
    TU_TEST(test_request_verify),
    TU_TEST(test_request_client_cert),
    TU_TEST(test_request_pins),
    TU_TEST(test_request_ca_h2o),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
