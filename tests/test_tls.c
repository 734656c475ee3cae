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
static int good_port, wrong_port, mtls_port;
static pid_t good_pid = -1, wrong_pid = -1, mtls_pid = -1;

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

static int setup(void **state)
{
  const char *good[] = {"--tls", NULL, NULL, NULL};
  const char *wrong[] = {"--tls", NULL, NULL, NULL};
  const char *mtls[] = {"--tls", NULL, NULL, NULL, NULL};
  char g1[128], g2[128], w1[128], w2[128], c1[128];

  (void)state;
  snprintf(dir, sizeof dir, "/tmp/ahttp-tls-XXXXXX");
  if (mkdtemp(dir) == NULL || make_cert("good", "IP:127.0.0.1,DNS:localhost") ||
      make_cert("wrong", "DNS:wrong.test") || make_cert("client", "DNS:client.test"))
    return -1;
  snprintf(g1, sizeof g1, "%s", path("good.pem"));
  snprintf(g2, sizeof g2, "%s", path("good.key"));
  snprintf(w1, sizeof w1, "%s", path("wrong.pem"));
  snprintf(w2, sizeof w2, "%s", path("wrong.key"));
  snprintf(c1, sizeof c1, "%s", path("client.pem"));
  good[1] = g1; good[2] = g2;
  wrong[1] = w1; wrong[2] = w2;
  mtls[1] = g1; mtls[2] = g2; mtls[3] = c1;
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

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_untrusted_by_default),
    TU_TEST(test_trusted_with_ca_file),
    TU_TEST(test_wrong_host_refused),
    TU_TEST(test_insecure_only_when_named),
    TU_TEST(test_plain_server_on_tls_url),
    TU_TEST(test_client_certificate),
    TU_TEST(test_downgrade_keeps_secrets),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
