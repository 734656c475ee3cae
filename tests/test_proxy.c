/* test_proxy.c - proxies as users configure them: credentials of their
 * own (aiohttp's proxy_auth), never sent to the origin; a no-proxy list
 * with curl's rules; the environment's proxies only when the session
 * opts in (aiohttp's trust_env). Against the test server (which serves a
 * request in absolute form as a proxy would) and squid, a real proxy
 * asking for basic credentials (tests/squid.sh). */
#include <ahttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define PASSWORD "p@ss w0rd:x"

/* A session with o's proxy settings (o freed). */
static ah_session *session(ah_session_opts *o)
{
  ah_session *s = ah_session_new(o);

  assert_non_null(s);
  ah_session_opts_free(o);
  return s;
}

/* No credential of the proxy's in what reached the origin or in msg. */
static void no_secret(const char *what, const char *text)
{
  if (strstr(text, "Proxy-Authorization") != NULL || strstr(text, "p@ss") != NULL ||
      strstr(text, "secret") != NULL || strstr(text, "dTE6") != NULL)
    fail_msg("%s shows a proxy credential:\n%s", what, text);
}

static pid_t squid_pid = -1, tls_pid = -1;
static int squid_port, tls_port;
static char dir[64], cert[128], key[128];

/* The test server, and squid (stopped by pid in teardown, whatever a
 * test did). */
static int setup(void **state)
{
  const char *argv[] = {"sh", "tests/squid.sh", "u1", PASSWORD, NULL};
  char line[256];

  const char *tls[] = {"--tls", cert, key, NULL};
  char cmd[512];

  if (tu_group_setup(state) != 0)
    return -1;
  squid_pid = tu_spawn(argv, line, sizeof line);
  if (squid_pid <= 0 || sscanf(line, "READY %d", &squid_port) != 1)
    return -1;
  /* The test server over TLS, for https through squid's CONNECT. */
  snprintf(dir, sizeof dir, "/tmp/ahttp-proxy-XXXXXX");
  if (mkdtemp(dir) == NULL)
    return -1;
  snprintf(cert, sizeof cert, "%s/cert.pem", dir);
  snprintf(key, sizeof key, "%s/key.pem", dir);
  snprintf(cmd, sizeof cmd,
           "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
           "-nodes -keyout %s -out %s -days 2 -subj /CN=ahttp-test "
           "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1", key, cert);
  if (system(cmd) != 0)
    return -1;
  tls_pid = tu_server_start_args(&tls_port, tls);
  return tls_pid > 0 ? 0 : -1;
}

static int teardown(void **state)
{
  char cmd[128];

  tu_server_stop(squid_pid);
  tu_server_stop(tls_pid);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (dir[0] != '\0' && system(cmd) != 0)
    return -1;
  return tu_group_teardown(state);
}

static void clear_env(void)
{
  const char *const names[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                               "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY", NULL};
  const char *const *n;

  for (n = names; *n; n++)
    unsetenv(*n);
}

/* squid asks for credentials (407 without them); with the session's or a
 * request's it forwards the request, and the origin never sees them, nor
 * after a redirect to another host (which still goes through squid). A
 * request's credentials replace the session's. */
static void test_squid_proxy_auth(void **state)
{
  char proxy[64], url[256];
  ah_request_opts *wrong = ah_request_opts_new(), *right = ah_request_opts_new();
  ah_session_opts *o;
  ah_session *s;
  ah_future *f;
  const char *b;

  (void)state;
  snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", squid_port);

  o = ah_session_opts_new();
  ah_session_opts_set_proxy(o, proxy);
  s = session(o);
  f = tu_fetch(s, tu_url("/echo"), NULL);
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_int_equal(ah_response_status(ah_future_response(f)), 407);
  ah_future_free(f);
  /* A request's own credentials, with no session ones. */
  assert_int_equal(ah_request_opts_set_proxy_auth(right, "u1", PASSWORD), AH_OK);
  b = tu_body(f = tu_fetch(s, tu_url("/echo"), right));
  assert_int_equal(ah_response_status(ah_future_response(f)), 200);
  assert_non_null(strstr(b, "header Via: ")); /* squid's mark */
  no_secret("the origin", b);
  ah_future_free(f);
  ah_session_free(s);

  o = ah_session_opts_new();
  ah_session_opts_set_proxy(o, proxy);
  assert_int_equal(ah_session_opts_set_proxy_auth(o, "u1", PASSWORD), AH_OK);
  s = session(o);
  b = tu_body(f = tu_fetch(s, tu_url("/echo"), NULL));
  assert_int_equal(ah_response_status(ah_future_response(f)), 200);
  assert_non_null(strstr(b, "header Via: "));
  no_secret("the origin", b);
  ah_future_free(f);
  /* To another host (localhost) by a redirect: through squid still, and
   * still without the credentials reaching the origin. */
  snprintf(url, sizeof url, "%s", tu_url("/redirect-to?http://localhost:"));
  snprintf(url + strlen(url), sizeof url - strlen(url), "%d/echo", tu_port);
  b = tu_body(f = tu_fetch(s, url, NULL));
  assert_int_equal(ah_response_status(ah_future_response(f)), 200);
  assert_int_equal(ah_response_redirects(ah_future_response(f)), 1);
  assert_non_null(strstr(b, "header Via: "));
  assert_non_null(strstr(b, "header Host: localhost:"));
  no_secret("the origin after a redirect", b);
  ah_future_free(f);
  /* A request's credentials replace the session's. */
  assert_int_equal(ah_request_opts_set_proxy_auth(wrong, "u1", "not it"), AH_OK);
  f = tu_fetch(s, tu_url("/echo"), wrong);
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_int_equal(ah_response_status(ah_future_response(f)), 407);
  ah_future_free(f);
  ah_session_free(s);
  ah_request_opts_free(wrong);
  ah_request_opts_free(right);
}

/* https through squid: the credentials open the CONNECT tunnel and go no
 * further (the origin, at the tunnel's end, never sees them); without
 * them squid refuses the tunnel (407), which is AH_ECONNECT. A request's
 * own CA applies at the tunnel's end as anywhere. */
static void test_squid_connect_tunnel(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_request_opts *ca = ah_request_opts_new(), *noauth = ah_request_opts_new();
  ah_session *s;
  ah_future *f;
  const char *b;
  char proxy[64], url[128];

  (void)state;
  snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", squid_port);
  snprintf(url, sizeof url, "https://127.0.0.1:%d/echo", tls_port);
  ah_session_opts_set_proxy(o, proxy);
  ah_session_opts_set_proxy_auth(o, "u1", PASSWORD);
  s = session(o);
  ah_request_opts_set_ca(ca, cert, NULL);
  b = tu_body(f = tu_fetch(s, url, ca));
  assert_int_equal(ah_response_status(ah_future_response(f)), 200);
  assert_null(strstr(b, "proxied\n")); /* origin form: through a tunnel */
  no_secret("the origin", b);
  ah_future_free(f);
  f = tu_fetch(s, url, NULL); /* the session trusts no such CA */
  assert_int_equal(ah_future_error(f), AH_ETLS);
  ah_future_free(f);
  ah_request_opts_set_ca(noauth, cert, NULL);
  ah_request_opts_set_proxy(noauth, proxy);
  ah_session_free(s);
  s = ah_session_new(NULL);
  f = tu_fetch(s, url, noauth);
  assert_int_equal(ah_future_error(f), AH_ECONNECT);
  no_secret("the message", ah_future_errmsg(f));
  ah_future_free(f);
  /* Wrong credentials: squid's 407 to the CONNECT, AH_ECONNECT too. */
  assert_int_equal(ah_request_opts_set_proxy_auth(noauth, "u1", "not it"), AH_OK);
  f = tu_fetch(s, url, noauth);
  assert_int_equal(ah_future_error(f), AH_ECONNECT);
  assert_null(strstr(ah_future_errmsg(f), "not it"));
  ah_future_free(f);
  ah_session_free(s);
  ah_request_opts_free(ca);
  ah_request_opts_free(noauth);
}

/* Credentials given to the test server acting as the proxy reach it
 * (the proxy) as basic Proxy-Authorization; a host on the no-proxy list
 * is reached directly, and gets no credential. */
static void test_no_proxy_list(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s;
  ah_future *f;
  const char *b;
  char proxy[64], url[128];

  (void)state;
  snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", tu_port);
  ah_session_opts_set_proxy(o, proxy);
  ah_session_opts_set_proxy_auth(o, "u1", "secret");
  s = session(o);
  /* "nowhere.invalid" does not resolve: only a proxy can serve it. */
  b = tu_body(f = tu_fetch(s, "http://nowhere.invalid/echo", NULL));
  assert_non_null(strstr(b, "proxied\n"));
  assert_non_null(strstr(b, "header Proxy-Authorization: Basic dTE6c2VjcmV0\n"));
  ah_future_free(f);
  ah_session_free(s);

  /* The list, with curl's rules: names match themselves and their
   * subdomains (a leading dot ignored), "*" every host, and white space
   * around the commas ignored. */
  {
    const char *direct[] = {"nowhere.invalid", ".invalid", "x.org, invalid", "*", NULL};
    const char *proxied[] = {"other.invalid", "where.invalid", "localhost", "", NULL};
    const char **l;
    for (l = direct; *l; l++) {
      o = ah_session_opts_new();
      ah_session_opts_set_proxy(o, proxy);
      ah_session_opts_set_proxy_auth(o, "u1", "secret");
      assert_int_equal(ah_session_opts_set_no_proxy(o, *l), AH_OK);
      s = session(o);
      f = tu_fetch(s, "http://nowhere.invalid/echo", NULL);
      if (ah_future_error(f) != AH_ERESOLVE)
        fail_msg("no_proxy \"%s\": %s, not reached directly", *l, ah_future_errmsg(f));
      no_secret("the message", ah_future_errmsg(f));
      ah_future_free(f);
      ah_session_free(s);
    }
    for (l = proxied; *l; l++) {
      o = ah_session_opts_new();
      ah_session_opts_set_proxy(o, proxy);
      assert_int_equal(ah_session_opts_set_no_proxy(o, *l), AH_OK);
      s = session(o);
      b = tu_body(f = tu_fetch(s, "http://nowhere.invalid/echo", NULL));
      if (strstr(b, "proxied\n") == NULL)
        fail_msg("no_proxy \"%s\": not proxied", *l);
      ah_future_free(f);
      ah_session_free(s);
    }
  }
  /* A direct request to the origin itself carries no proxy credential. */
  o = ah_session_opts_new();
  ah_session_opts_set_proxy(o, "http://127.0.0.1:1");
  ah_session_opts_set_proxy_auth(o, "u1", "secret");
  ah_session_opts_set_no_proxy(o, "127.0.0.1");
  s = session(o);
  b = tu_body(f = tu_fetch(s, tu_url("/echo"), NULL));
  assert_null(strstr(b, "proxied\n"));
  no_secret("the origin", b);
  ah_future_free(f);
  ah_session_free(s);
  /* Nor a message of a proxy that failed. */
  o = ah_session_opts_new();
  ah_session_opts_set_proxy(o, "http://u1:secret@127.0.0.1:1");
  s = session(o);
  snprintf(url, sizeof url, "%s", tu_url("/echo"));
  f = tu_fetch(s, url, NULL);
  assert_int_equal(ah_future_error(f), AH_ECONNECT);
  no_secret("the message", ah_future_errmsg(f));
  ah_future_free(f);
  ah_session_free(s);
}

/* The environment's proxies only with trust_env; then with curl's rules:
 * http_proxy in lower case only (HTTP_PROXY can come from a CGI
 * request's Proxy: header), no_proxy honoured, a session's no-proxy list
 * or a request's proxy ("" for none) over the environment's. */
static void test_trust_env(void **state)
{
  ah_session_opts *o;
  ah_request_opts *none = ah_request_opts_new();
  ah_session *plain, *trusting;
  ah_future *f;
  const char *b;
  char proxy[64], cred[96];

  (void)state;
  clear_env();
  snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", tu_port);
  snprintf(cred, sizeof cred, "http://u1:secret@127.0.0.1:%d", tu_port);
  plain = ah_session_new(NULL);
  o = ah_session_opts_new();
  assert_int_equal(ah_session_opts_set_trust_env(o, 1), AH_OK);
  trusting = session(o);

  setenv("http_proxy", proxy, 1);
  f = tu_fetch(plain, "http://nowhere.invalid/echo", NULL);
  assert_int_equal(ah_future_error(f), AH_ERESOLVE); /* default: ignored */
  ah_future_free(f);
  b = tu_body(f = tu_fetch(trusting, "http://nowhere.invalid/echo", NULL));
  assert_non_null(strstr(b, "proxied\n"));
  ah_future_free(f);
  /* A request's "" proxy: none, whatever the environment says. */
  ah_request_opts_set_proxy(none, "");
  f = tu_fetch(trusting, "http://nowhere.invalid/echo", none);
  assert_int_equal(ah_future_error(f), AH_ERESOLVE);
  ah_future_free(f);
  /* no_proxy from the environment. */
  setenv("no_proxy", "localhost,.invalid", 1);
  f = tu_fetch(trusting, "http://nowhere.invalid/echo", NULL);
  assert_int_equal(ah_future_error(f), AH_ERESOLVE);
  ah_future_free(f);
  unsetenv("no_proxy");
  /* Credentials in the variable go to the proxy, never into a message. */
  setenv("http_proxy", cred, 1);
  b = tu_body(f = tu_fetch(trusting, "http://nowhere.invalid/echo", NULL));
  assert_non_null(strstr(b, "header Proxy-Authorization: Basic dTE6c2VjcmV0\n"));
  ah_future_free(f);
  setenv("http_proxy", "http://u1:secret@127.0.0.1:1", 1);
  f = tu_fetch(trusting, tu_url("/echo"), NULL);
  assert_int_equal(ah_future_error(f), AH_ECONNECT);
  no_secret("the message", ah_future_errmsg(f));
  ah_future_free(f);
  /* HTTP_PROXY alone is not read for http (curl's rule); ALL_PROXY is. */
  unsetenv("http_proxy");
  setenv("HTTP_PROXY", proxy, 1);
  f = tu_fetch(trusting, "http://nowhere.invalid/echo", NULL);
  assert_int_equal(ah_future_error(f), AH_ERESOLVE);
  ah_future_free(f);
  setenv("ALL_PROXY", proxy, 1);
  b = tu_body(f = tu_fetch(trusting, "http://nowhere.invalid/echo", NULL));
  assert_non_null(strstr(b, "proxied\n"));
  ah_future_free(f);
  clear_env();
  ah_session_free(trusting);

  /* The session's no-proxy list replaces the variable. */
  setenv("http_proxy", proxy, 1);
  setenv("no_proxy", "*", 1);
  o = ah_session_opts_new();
  ah_session_opts_set_trust_env(o, 1);
  ah_session_opts_set_no_proxy(o, "example.com");
  trusting = session(o);
  b = tu_body(f = tu_fetch(trusting, "http://nowhere.invalid/echo", NULL));
  assert_non_null(strstr(b, "proxied\n"));
  ah_future_free(f);
  clear_env();
  ah_session_free(trusting);
  ah_session_free(plain);
  ah_request_opts_free(none);
}

static void test_bad_input(void **state)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_request_opts *r = ah_request_opts_new();
  ah_session *s;
  ah_future *f;

  (void)state;
  assert_int_equal(ah_session_opts_set_proxy_auth(NULL, "u", "p"), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_proxy_auth(o, "u:x", "p"), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_proxy_auth(o, "", "p"), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_proxy_auth(o, NULL, "p"), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_proxy_auth(o, "u", "p\r\nX: y"), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_proxy_auth(o, "u", NULL), AH_OK);
  assert_int_equal(ah_session_opts_set_proxy_auth(o, NULL, NULL), AH_OK);
  assert_int_equal(ah_session_opts_set_no_proxy(o, "a\nb"), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_no_proxy(NULL, "a"), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_trust_env(NULL, 1), AH_EINVAL);
  ah_session_opts_free(o);
  /* A request's bad credentials fail its future alone. */
  assert_int_equal(ah_request_opts_set_proxy_auth(NULL, "u", "p"), AH_EINVAL);
  assert_int_equal(ah_request_opts_set_proxy_auth(r, "u:x", "p"), AH_EINVAL);
  s = ah_session_new(NULL);
  f = tu_fetch(s, tu_url("/size/1"), r);
  assert_int_equal(ah_future_error(f), AH_EINVAL);
  ah_future_free(f);
  f = tu_fetch(s, tu_url("/size/1"), NULL);
  assert_int_equal(ah_future_error(f), AH_OK);
  ah_future_free(f);
  ah_session_free(s);
  ah_request_opts_free(r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_squid_proxy_auth),
    TU_TEST(test_squid_connect_tunnel),
    TU_TEST(test_no_proxy_list),
    TU_TEST(test_trust_env),
    TU_TEST(test_bad_input),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
