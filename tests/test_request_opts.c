/* test_request_opts.c - the request options of the feature set, each seen
 * on the wire through the test server's echo: query parameters, auth
 * (and its removal on a cross-host redirect), a request's cookies,
 * proxy, unix socket, per-request timeouts and redirect limits. The
 * bodies are test_request_body.c's. */
#include <ahttp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"

static void test_query_parameters_encoded(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  ah_future *f;
  const char *b;

  (void)state;
  assert_int_equal(ah_request_opts_add_query(o, "q", "a b&c=d/é"), AH_OK);
  assert_int_equal(ah_request_opts_add_query(o, "flag", NULL), AH_OK);
  assert_int_equal(ah_request_opts_add_query(o, "", "x"), AH_EINVAL);
  /* (libcurl writes the escapes' hex digits in lower case.) */
  b = tu_fetch_ok(s, tu_url("/echo?first=1"), o, &f);
  assert_non_null(strcasestr(b, "target /echo?first=1&q=a%20b%26c%3Dd%2F%C3%A9&flag\n"));
  ah_future_free(f);
  b = tu_fetch_ok(s, tu_url("/echo"), o, &f);
  assert_non_null(strcasestr(b, "target /echo?q=a%20b%26c%3Dd%2F%C3%A9&flag\n"));
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

static void test_basic_and_bearer_auth(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *basic = ah_request_opts_new(), *bearer = ah_request_opts_new();
  ah_future *f;
  const char *b;

  (void)state;
  assert_int_equal(ah_request_opts_set_basic_auth(basic, "user", "pa:ss"), AH_OK);
  assert_int_equal(ah_request_opts_set_bearer_token(bearer, "tok.en"), AH_OK);
  b = tu_fetch_ok(s, tu_url("/echo"), basic, &f);
  assert_non_null(strstr(b, "header Authorization: Basic dXNlcjpwYTpzcw==\n"));
  ah_future_free(f);
  b = tu_fetch_ok(s, tu_url("/echo"), bearer, &f);
  assert_non_null(strstr(b, "header Authorization: Bearer tok.en\n"));
  ah_future_free(f);
  /* The pooled handle forgets them. */
  b = tu_fetch_ok(s, tu_url("/echo"), NULL, &f);
  assert_null(strstr(b, "Authorization"));
  ah_future_free(f);
  /* A user name with a colon cannot be sent: refused, and sticky. */
  assert_int_equal(ah_request_opts_set_basic_auth(basic, "a:b", "c"), AH_EINVAL);
  assert_int_equal(tu_fetch_err(s, tu_url("/echo"), basic), AH_EINVAL);
  assert_int_equal(ah_request_opts_set_bearer_token(bearer, "a\r\nX: y"), AH_EINVAL);
  assert_int_equal(tu_fetch_err(s, tu_url("/echo"), bearer), AH_EINVAL);
  ah_request_opts_free(basic);
  ah_request_opts_free(bearer);
  ah_session_free(s);
}

/* Credentials, Authorization and Cookie headers follow a redirect to the
 * same host, and never one to another host ("localhost" is another host
 * name for the same server). */
static void test_auth_dropped_on_cross_host_redirect(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *opts[3];
  char same[128], other[160];
  int i;

  (void)state;
  snprintf(same, sizeof same, "%s", tu_url("/redirect-to?/echo"));
  snprintf(other, sizeof other, "%s%d/echo",
           tu_url("/redirect-to?http://localhost:"), tu_port);
  for (i = 0; i < 3; i++)
    opts[i] = ah_request_opts_new();
  ah_request_opts_set_basic_auth(opts[0], "user", "secret");
  ah_request_opts_set_bearer_token(opts[1], "secret");
  ah_request_opts_add_header(opts[2], "Authorization", "Custom secret");
  ah_request_opts_add_header(opts[2], "Cookie", "sid=secret");
  /* A header the caller marks sensitive is kept off other hosts too;
   * an ordinary one goes everywhere. */
  assert_int_equal(ah_request_opts_add_sensitive_header(opts[2], "X-Api-Key",
                                                        "secret-key"), AH_OK);
  ah_request_opts_add_header(opts[2], "X-Plain", "open");
  assert_int_equal(ah_request_opts_add_sensitive_header(opts[2], "X A", "v"),
                   AH_EINVAL);
  ah_request_opts_free(opts[2]);
  opts[2] = ah_request_opts_new();
  ah_request_opts_add_header(opts[2], "Authorization", "Custom secret");
  ah_request_opts_add_header(opts[2], "Cookie", "sid=secret");
  ah_request_opts_add_sensitive_header(opts[2], "X-Api-Key", "secret-key");
  ah_request_opts_add_header(opts[2], "X-Plain", "open");
  for (i = 0; i < 3; i++) {
    ah_future *f;
    const char *b = tu_fetch_ok(s, same, opts[i], &f);
    assert_non_null(strstr(b, "header Authorization: "));
    if (i == 2) {
      assert_non_null(strstr(b, "header X-Api-Key: secret-key\n"));
      assert_non_null(strstr(b, "header Cookie: sid=secret\n"));
    }
    ah_future_free(f);
    b = tu_fetch_ok(s, other, opts[i], &f);
    assert_non_null(strstr(b, "target /echo\n"));
    assert_null(strstr(b, "secret"));
    assert_null(strstr(b, "Authorization"));
    if (i == 2)
      assert_non_null(strstr(b, "header X-Plain: open\n"));
    ah_future_free(f);
    ah_request_opts_free(opts[i]);
  }
  /* The pooled handle has its full header list back. */
  {
    ah_request_opts *o = ah_request_opts_new();
    ah_future *f;
    ah_request_opts_add_sensitive_header(o, "X-Api-Key", "k2");
    assert_non_null(strstr(tu_fetch_ok(s, tu_url("/echo"), o, &f),
                           "header X-Api-Key: k2\n"));
    ah_future_free(f);
    ah_request_opts_free(o);
  }
  ah_session_free(s);
}

/* Secrets go only to the origin they were given for: same scheme, host
 * and port. Another port of the same host is another origin (a second
 * test server), and a redirect whose Location lines are empty or differ
 * is refused, since which one libcurl follows is not the one judged. */
static pid_t second_pid; /* stopped by its teardown, even on failure */

static int second_teardown(void **state)
{
  if (second_pid > 0)
    tu_server_stop(second_pid);
  second_pid = 0;
  return tu_fd_teardown(state);
}

static void test_secrets_stay_with_the_origin(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  ah_future *f;
  const char *b;
  char url[256], other[128];
  int port2;

  (void)state;
  second_pid = tu_server_start(&port2);
  assert_true(second_pid > 0);
  ah_request_opts_set_basic_auth(o, "user", "secret");
  ah_request_opts_add_header(o, "Cookie", "sid=secret");
  ah_request_opts_add_sensitive_header(o, "X-Api-Key", "secret-key");
  ah_request_opts_add_header(o, "X-Plain", "open");
  /* Same origin: everything goes. */
  snprintf(url, sizeof url, "%s%d/echo", tu_url("/redirect-to?http://127.0.0.1:"), tu_port);
  b = tu_fetch_ok(s, url, o, &f);
  assert_non_null(strstr(b, "header X-Api-Key: secret-key\n"));
  assert_non_null(strstr(b, "header Authorization: Basic "));
  ah_future_free(f);
  /* Same host, another port: nothing secret. */
  snprintf(url, sizeof url, "%s%d/echo", tu_url("/redirect-to?http://127.0.0.1:"), port2);
  b = tu_fetch_ok(s, url, o, &f);
  assert_non_null(strstr(b, "target /echo\n"));
  assert_non_null(strstr(b, "header X-Plain: open\n"));
  if (strstr(b, "secret") != NULL || strstr(b, "Authorization") != NULL)
    fail_msg("a secret went to another port:\n%s", b);
  ah_future_free(f);
  /* An empty Location first, another host second: refused. */
  snprintf(other, sizeof other, "http://localhost:%d/echo", port2);
  snprintf(url, sizeof url, "%s%s", tu_url("/two-locations?%7C"), other);
  f = ah_session_fetch(s, url, o);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  if (ah_future_error(f) != AH_EPROTO)
    fail_msg("two Locations, the first empty: %s (%s)",
             ah_strerror(ah_future_error(f)), ah_future_errmsg(f));
  ah_future_free(f);
  /* Two that differ: refused; two the same: followed. */
  snprintf(url, sizeof url, "%s%s%%7C/echo", tu_url("/two-locations?"), other);
  f = ah_session_fetch(s, url, o);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_EPROTO);
  ah_future_free(f);
  snprintf(url, sizeof url, "%s", tu_url("/two-locations?/echo%7C/echo"));
  b = tu_fetch_ok(s, url, o, &f);
  assert_non_null(strstr(b, "header X-Api-Key: secret-key\n"));
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* Cookies of one request (aiohttp's cookies=): sent in the one Cookie
 * header beside the jar's, never stored in the jar, never sent to
 * another origin on a redirect (a caller's Cookie is a secret), and
 * refused when they cannot be sent as they are. */
static void test_request_cookies(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new(), *bad = ah_request_opts_new();
  ah_cookies *jar;
  ah_future *f;
  const char *b;
  char url[256];
  int port2;

  (void)state;
  second_pid = tu_server_start(&port2);
  assert_true(second_pid > 0);
  assert_int_equal(ah_request_opts_add_cookie(o, "a", "1"), AH_OK);
  assert_int_equal(ah_request_opts_add_cookie(o, "b", "two"), AH_OK);
  b = tu_fetch_ok(s, tu_url("/echo"), o, &f);
  assert_non_null(strstr(b, "header Cookie: a=1; b=two\n"));
  ah_future_free(f);
  /* Beside the jar's, in one header. */
  ah_future_free(tu_fetch(s, tu_url("/set-cookie/j/v"), NULL));
  b = tu_fetch_ok(s, tu_url("/echo"), o, &f);
  assert_int_equal(tu_count(b, "header Cookie:"), 1);
  assert_non_null(strstr(b, "j=v"));
  assert_non_null(strstr(b, "a=1; b=two"));
  ah_future_free(f);
  /* Not in the jar: the jar holds j alone, and a request without them
   * sends j alone. */
  assert_int_equal(ah_session_cookies_list(s, NULL, &jar), AH_OK);
  assert_int_equal(ah_cookies_count(jar), 1);
  assert_string_equal(ah_cookies_name(jar, 0), "j");
  ah_cookies_free(jar);
  b = tu_fetch_ok(s, tu_url("/echo"), NULL, &f);
  assert_non_null(strstr(b, "header Cookie: j=v\n"));
  ah_future_free(f);
  /* A redirect in the origin keeps them; to another port, gone. */
  snprintf(url, sizeof url, "%s%d/echo", tu_url("/redirect-to?http://127.0.0.1:"), tu_port);
  b = tu_fetch_ok(s, url, o, &f);
  assert_non_null(strstr(b, "a=1; b=two"));
  ah_future_free(f);
  snprintf(url, sizeof url, "%s%d/echo", tu_url("/redirect-code/307?http://127.0.0.1:"), port2);
  b = tu_fetch_ok(s, url, o, &f);
  assert_non_null(strstr(b, "target /echo\n"));
  if (strstr(b, "a=1") != NULL || strstr(b, "two") != NULL)
    fail_msg("a request's cookie went to another origin:\n%s", b);
  ah_future_free(f);
  /* The pooled handle forgets them: the next request sends none. */
  ah_session_cookies_clear(s, NULL);
  b = tu_fetch_ok(s, tu_url("/echo"), NULL, &f);
  assert_null(strstr(b, "Cookie"));
  ah_future_free(f);
  /* Refused: the fetch fails, nothing sent. */
  assert_int_equal(ah_request_opts_add_cookie(bad, "a b", "1"), AH_EINVAL);
  assert_int_equal(tu_fetch_err(s, tu_url("/echo"), bad), AH_EINVAL);
  ah_request_opts_free(bad);
  bad = ah_request_opts_new();
  assert_int_equal(ah_request_opts_add_cookie(bad, "a", "1; b=2"), AH_EINVAL);
  assert_int_equal(tu_fetch_err(s, tu_url("/echo"), bad), AH_EINVAL);
  ah_request_opts_free(bad);
  bad = ah_request_opts_new();
  assert_int_equal(ah_request_opts_add_cookie(bad, "a", "x\r\nX-Evil: 1"), AH_EINVAL);
  assert_int_equal(ah_request_opts_add_cookie(NULL, "a", "1"), AH_EINVAL);
  ah_request_opts_free(bad);
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* The test server serves a request in absolute form as a proxy would. */
static void test_http_proxy(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_session *s, *plain = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new(), *none = ah_request_opts_new();
  char proxy[64];
  ah_future *f;
  const char *b;

  (void)state;
  snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", tu_port);
  assert_int_equal(ah_request_opts_set_proxy(o, proxy), AH_OK);
  b = tu_fetch_ok(plain, "http://proxied.test/echo", o, &f);
  assert_non_null(strstr(b, "target http://proxied.test/echo\n"));
  assert_non_null(strstr(b, "proxied\n"));
  ah_future_free(f);
  /* As the session's default, and "" for none on one request. */
  assert_int_equal(ah_session_opts_set_proxy(so, proxy), AH_OK);
  s = ah_session_new(so);
  b = tu_fetch_ok(s, "http://proxied.test/echo", NULL, &f);
  assert_non_null(strstr(b, "proxied\n"));
  ah_future_free(f);
  ah_request_opts_set_proxy(none, "");
  b = tu_fetch_ok(s, tu_url("/echo"), none, &f);
  assert_null(strstr(b, "proxied"));
  ah_future_free(f);
  /* A tunnel the proxy refuses (the test server answers CONNECT with an
   * error status): the server cannot be reached, on every libcurl. */
  f = ah_session_fetch(plain, "https://tunnel.test/", o);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  if (ah_future_error(f) != AH_ECONNECT)
    fail_msg("refused CONNECT: %s (%s)", ah_strerror(ah_future_error(f)),
             ah_future_errmsg(f));
  ah_future_free(f);
  assert_int_equal(ah_request_opts_set_proxy(o, "ftp://x"), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_proxy(so, "socks9://x"), AH_EINVAL);
  assert_int_equal(ah_session_opts_set_proxy(so, "socks4://x"), AH_EINVAL);
  ah_request_opts_free(o);
  ah_request_opts_free(none);
  ah_session_free(s);
  ah_session_free(plain);
  ah_session_opts_free(so);
}

/* Digest: libcurl answers the server's challenge (tests/server.py checks
 * the MD5 response); a headers callback sees the final response only. */
static int count_headers(ah_future *f, const ah_response *head, void *ud)
{
  (void)f;
  *(int *)ud = *(int *)ud * 1000 + ah_response_status(head);
  return 0;
}

static void test_digest_auth(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new(), *wrong = ah_request_opts_new();
  ah_future *f;
  int seen = 0;

  (void)state;
  assert_int_equal(ah_request_opts_set_digest_auth(o, "ann", "s3cret"), AH_OK);
  ah_request_opts_on_headers(o, count_headers, &seen);
  assert_string_equal(tu_fetch_ok(s, tu_url("/digest/ann/s3cret"), o, &f), "digest ok ann");
  assert_int_equal(ah_response_status(ah_future_response(f)), 200);
  assert_int_equal(seen, 200); /* told once, of the 200, not of the challenge */
  ah_future_free(f);
  /* A wrong password: the server's second 401 is the response. */
  ah_request_opts_set_digest_auth(wrong, "ann", "guess");
  tu_fetch_ok(s, tu_url("/digest/ann/s3cret"), wrong, &f);
  assert_int_equal(ah_response_status(ah_future_response(f)), 401);
  ah_future_free(f);
  /* Basic credentials do not answer a digest challenge. */
  ah_request_opts_set_basic_auth(wrong, "ann", "s3cret");
  tu_fetch_ok(s, tu_url("/digest/ann/s3cret"), wrong, &f);
  assert_int_equal(ah_response_status(ah_future_response(f)), 401);
  ah_future_free(f);
  assert_int_equal(ah_request_opts_set_digest_auth(wrong, "a:b", "x"), AH_EINVAL);
  ah_request_opts_free(o);
  ah_request_opts_free(wrong);
  ah_session_free(s);
}

/* A request's credentials replace a session's default Authorization
 * line (ah_session_opts_add_header: a request's own header of the same
 * name is sent instead; its credentials are its Authorization). A
 * request without credentials still sends the session's line. */
static void test_request_credentials_replace_session_authorization(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_session *s;
  ah_request_opts *bearer = ah_request_opts_new(), *basic = ah_request_opts_new();
  ah_request_opts *digest = ah_request_opts_new(), *own = ah_request_opts_new();
  ah_request_opts *own_header = ah_request_opts_new();
  ah_future *f;
  const char *b;
  char url[256];

  (void)state;
  assert_int_equal(ah_session_opts_add_header(so, "authorization", "Bearer SESSION"), AH_OK);
  ah_session_opts_add_header(so, "X-Kept", "yes");
  s = ah_session_new(so);
  ah_request_opts_set_bearer_token(bearer, "tok.en");
  ah_request_opts_set_basic_auth(basic, "user", "pa:ss");
  ah_request_opts_set_digest_auth(digest, "ann", "s3cret");
  ah_request_opts_set_bearer_token(own, "tok.en");
  ah_request_opts_add_header(own, "Authorization", "Custom mine");
  ah_request_opts_add_header(own_header, "X-Mine", "1");
  b = tu_fetch_ok(s, tu_url("/echo"), bearer, &f);
  assert_non_null(strstr(b, "header Authorization: Bearer tok.en\n"));
  assert_null(strstr(b, "SESSION"));
  assert_non_null(strstr(b, "header X-Kept: yes\n"));
  ah_future_free(f);
  b = tu_fetch_ok(s, tu_url("/echo"), basic, &f);
  assert_non_null(strstr(b, "header Authorization: Basic dXNlcjpwYTpzcw==\n"));
  assert_null(strstr(b, "SESSION"));
  ah_future_free(f);
  /* Digest answers the challenge, which the session's line would not. */
  assert_string_equal(tu_fetch_ok(s, tu_url("/digest/ann/s3cret"), digest, &f),
                      "digest ok ann");
  ah_future_free(f);
  /* A header the request names itself is what goes (libcurl sends a
   * caller's Authorization line instead of its own). */
  b = tu_fetch_ok(s, tu_url("/echo"), own, &f);
  assert_non_null(strstr(b, "header Authorization: Custom mine\n"));
  assert_null(strstr(b, "SESSION"));
  ah_future_free(f);
  /* Without credentials: the session's line, on the same pooled handle. */
  b = tu_fetch_ok(s, tu_url("/echo"), NULL, &f);
  assert_non_null(strstr(b, "header authorization: Bearer SESSION\n"));
  ah_future_free(f);
  /* Credentials in the URL are the request's own too (as in aiohttp),
   * with or without options, and on a hop that keeps the origin. */
  snprintf(url, sizeof url, "http://ur:pw@%s", tu_url("/echo") + 7);
  b = tu_fetch_ok(s, url, NULL, &f);
  assert_non_null(strstr(b, "header Authorization: Basic dXI6cHc=\n"));
  assert_null(strstr(b, "SESSION"));
  ah_future_free(f);
  b = tu_fetch_ok(s, url, own_header, &f);
  assert_non_null(strstr(b, "header Authorization: Basic dXI6cHc=\n"));
  assert_null(strstr(b, "SESSION"));
  ah_future_free(f);
  snprintf(url, sizeof url, "http://ur:pw@%s", tu_url("/redirect-to?/echo") + 7);
  b = tu_fetch_ok(s, url, NULL, &f);
  assert_non_null(strstr(b, "header Authorization: Basic dXI6cHc=\n"));
  assert_null(strstr(b, "SESSION"));
  ah_future_free(f);
  ah_request_opts_free(bearer);
  ah_request_opts_free(basic);
  ah_request_opts_free(digest);
  ah_request_opts_free(own);
  ah_request_opts_free(own_header);
  ah_session_free(s);
  ah_session_opts_free(so);
}

/* The proxies a test started, stopped by its teardown even when an
 * assertion ended the test early. */
static pid_t socks_pids[2];
static char socks_log[] = "/tmp/ahttp-socks-XXXXXX";

static int socks_teardown(void **state)
{
  size_t i;

  for (i = 0; i < sizeof socks_pids / sizeof *socks_pids; i++) {
    tu_server_stop(socks_pids[i]);
    socks_pids[i] = 0;
  }
  unlink(socks_log);
  return tu_fd_teardown(state);
}

/* tests/socks5.py on an ephemeral port, logging to log; its pid. */
static pid_t socks_start(int *port, const char *log, const char *user)
{
  const char *python = getenv("PYTHON");
  const char *argv[] = {python ? python : "python3", "tests/socks5.py", log,
                        "--map", "example.test=127.0.0.1", user ? "--user" : NULL,
                        user, NULL};
  char line[64];
  pid_t pid = tu_spawn(argv, line, sizeof line);

  if (pid > 0 && sscanf(line, "READY %d", port) != 1) {
    tu_server_stop(pid);
    return -1;
  }
  return pid;
}

static int log_has(const char *log, const char *want)
{
  char line[256];
  FILE *in = fopen(log, "r");
  int found = 0;

  while (in && !found && fgets(line, sizeof line, in))
    found = strstr(line, want) != NULL;
  if (in)
    fclose(in);
  return found;
}

static void test_socks5_proxy(void **state)
{
  char *log = socks_log, proxy[96], url[96], want[96];
  int fd = mkstemp(log), port = 0, aport = 0;
  pid_t pid = socks_pids[0] = socks_start(&port, log, NULL), apid;
  ah_session_opts *so = ah_session_opts_new();
  ah_session *s;
  ah_request_opts *o = ah_request_opts_new();
  ah_future *f;

  (void)state;
  assert_true(fd >= 0 && pid > 0);
  close(fd);
  /* socks5h: the proxy resolves the name, which no DNS knows. */
  snprintf(proxy, sizeof proxy, "socks5h://127.0.0.1:%d", port);
  assert_int_equal(ah_session_opts_set_proxy(so, proxy), AH_OK);
  s = ah_session_new(so);
  snprintf(url, sizeof url, "http://example.test:%d/echo", tu_port);
  assert_non_null(strstr(tu_fetch_ok(s, url, NULL, &f), "header Host: example.test:"));
  ah_future_free(f);
  snprintf(want, sizeof want, "CONNECT name example.test %d", tu_port);
  assert_true(log_has(log, want));
  /* socks5, per request: ahttp resolves and the proxy gets an address. */
  snprintf(proxy, sizeof proxy, "socks5://127.0.0.1:%d", port);
  assert_int_equal(ah_request_opts_set_proxy(o, proxy), AH_OK);
  tu_fetch_ok(s, tu_url("/size/3"), o, &f);
  ah_future_free(f);
  snprintf(want, sizeof want, "CONNECT ipv4 127.0.0.1 %d", tu_port);
  assert_true(log_has(log, want));
  /* What the proxy says of the target is the request's error. */
  assert_int_equal(tu_fetch_err(s, "http://127.0.0.1:1/", o), AH_ECONNECT);
  /* SOCKS5 has no reply for a name that does not resolve: unreachable. */
  assert_int_equal(tu_fetch_err(s, "http://ahttp-test-host.invalid/", NULL), AH_ECONNECT);
  ah_session_free(s);
  /* A proxy that wants a user name and password. */
  apid = socks_pids[1] = socks_start(&aport, log, "pat:pw");
  assert_true(apid > 0);
  snprintf(proxy, sizeof proxy, "socks5h://pat:pw@127.0.0.1:%d", aport);
  ah_session_opts_set_proxy(so, proxy);
  s = ah_session_new(so);
  snprintf(url, sizeof url, "http://example.test:%d/size/4", tu_port);
  assert_string_equal(tu_fetch_ok(s, url, NULL, &f), "xxxx");
  ah_future_free(f);
  snprintf(proxy, sizeof proxy, "socks5h://pat:nope@127.0.0.1:%d", aport);
  ah_request_opts_set_proxy(o, proxy);
  assert_int_equal(tu_fetch_err(s, url, o), AH_ECONNECT);
  ah_session_free(s);
  ah_request_opts_free(o);
  ah_session_opts_free(so);
}

static void test_unix_socket(void **state)
{
  char path[] = "/tmp/ahttp-sock-XXXXXX";
  const char *args[] = {"--unix", NULL, NULL};
  char sock[64];
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  ah_future *f;
  const char *b;
  int port;
  pid_t pid;

  (void)state;
  assert_non_null(mkdtemp(path));
  snprintf(sock, sizeof sock, "%s/s", path);
  args[1] = sock;
  pid = tu_server_start_args(&port, args);
  assert_true(pid > 0);
  assert_int_equal(ah_request_opts_set_unix_socket(o, sock), AH_OK);
  b = tu_fetch_ok(s, "http://over.unix/echo", o, &f);
  assert_non_null(strstr(b, "target /echo\n"));
  assert_non_null(strstr(b, "header Host: over.unix\n"));
  /* The remote address of a unix socket is its path. */
  assert_string_equal(ah_response_remote_addr(ah_future_response(f), NULL), sock);
  ah_future_free(f);
  ah_session_free(s);
  tu_server_stop(pid);
  unlink(sock);
  rmdir(path);
  ah_request_opts_free(o);
}

static void test_idle_timeout(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  ah_future *slow, *steady;

  (void)state;
  /* One byte every 5 s against an idle limit of 2 s; a body that keeps
   * coming (one byte each 200 ms) is not idle. (libcurl samples speed at
   * whole seconds: a limit of 1 s can fire on a body that pauses 200 ms.) */
  assert_int_equal(ah_request_opts_set_timeouts(o, -1, -1, 2000), AH_OK);
  slow = ah_session_fetch(s, tu_url("/slowdrip/5/5000"), o);
  steady = ah_session_fetch(s, tu_url("/drip/12"), o);
  assert_int_equal(ah_future_wait(slow, 20000), AH_OK);
  assert_int_equal(ah_future_error(slow), AH_ETIMEDOUT);
  assert_int_equal(ah_future_wait(steady, 20000), AH_OK);
  assert_int_equal(ah_future_error(steady), AH_OK);
  ah_future_free(slow);
  ah_future_free(steady);
  /* Any byte counts: header lines 400 ms apart for 4 s, and 1xx
   * responses as often, under an idle limit of 1.5 s (libcurl's limit
   * counted body bytes only, and fired). */
  assert_int_equal(ah_request_opts_set_timeouts(o, -1, -1, 1500), AH_OK);
  slow = ah_session_fetch(s, tu_url("/slow-headers/10/400"), o);
  steady = ah_session_fetch(s, tu_url("/informational/10/400"), o);
  assert_int_equal(ah_future_wait(slow, 20000), AH_OK);
  if (ah_future_error(slow) != AH_OK)
    fail_msg("slow header lines: %s", ah_future_errmsg(slow));
  assert_int_equal(ah_future_wait(steady, 20000), AH_OK);
  if (ah_future_error(steady) != AH_OK)
    fail_msg("1xx responses: %s", ah_future_errmsg(steady));
  assert_string_equal(ah_response_body(ah_future_response(steady), NULL), "done");
  ah_future_free(slow);
  ah_future_free(steady);
  /* And silence still ends it, within a second of the limit. */
  {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    slow = ah_session_fetch(s, tu_url("/slowdrip/2/4000"), o);
    assert_int_equal(ah_future_wait(slow, 20000), AH_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(ah_future_error(slow), AH_ETIMEDOUT);
    assert_true(t1.tv_sec - t0.tv_sec < 4);
    ah_future_free(slow);
  }
  ah_request_opts_free(o);
  ah_session_free(s);
  /* The session's default, set in the same shape (-1 keeps the total
   * and connect defaults): a request without its own idle limit has it. */
  {
    ah_session_opts *so = ah_session_opts_new();
    assert_int_equal(ah_session_opts_set_timeouts(so, -1, -1, 2000), AH_OK);
    assert_int_equal(ah_session_opts_set_timeouts(so, -2, 0, 0), AH_EINVAL);
    s = ah_session_new(so);
    ah_session_opts_free(so);
    slow = ah_session_fetch(s, tu_url("/slowdrip/5/5000"), NULL);
    assert_int_equal(ah_future_wait(slow, 20000), AH_OK);
    assert_int_equal(ah_future_error(slow), AH_ETIMEDOUT);
    ah_future_free(slow);
    ah_session_free(s);
  }
}

/* A listener whose accept queue is full drops further SYNs: a connect to
 * it never completes. */
static void test_connect_timeout(void **state)
{
  int fill[8], nfill, port, i;
  int lfd = tu_listener(&port, 1, fill, &nfill);
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  char url[64];
  ah_future *f;

  (void)state;
  assert_true(lfd >= 0); /* the queue is full: a connect hangs */
  snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
  assert_int_equal(ah_request_opts_set_timeouts(o, -1, 300, -1), AH_OK);
  f = ah_session_fetch(s, url, o);
  assert_int_equal(ah_future_wait(f, 20000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_ETIMEDOUT);
  assert_true(ah_future_errmsg(f)[0] != '\0');
  ah_future_free(f);
  ah_session_free(s);
  ah_request_opts_free(o);
  for (i = 0; i < nfill; i++)
    close(fill[i]);
  close(lfd);
}

static void test_redirect_limit_per_request(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *none = ah_request_opts_new(), *two = ah_request_opts_new();
  ah_future *f;

  (void)state;
  ah_request_opts_set_redirects(none, 0);
  ah_request_opts_set_redirects(two, 2);
  tu_fetch_ok(s, tu_url("/redirect/1"), none, &f);
  assert_int_equal(ah_response_status(ah_future_response(f)), 302);
  ah_future_free(f);
  tu_fetch_ok(s, tu_url("/redirect/2"), two, &f);
  assert_int_equal(ah_response_status(ah_future_response(f)), 200);
  assert_int_equal(ah_response_redirects(ah_future_response(f)), 2);
  ah_future_free(f);
  assert_int_equal(tu_fetch_err(s, tu_url("/redirect/3"), two), AH_EREDIRECTS);
  /* The session's default (10) again on the pooled handle. */
  tu_fetch_ok(s, tu_url("/redirect/5"), NULL, &f);
  assert_int_equal(ah_response_redirects(ah_future_response(f)), 5);
  ah_future_free(f);
  ah_request_opts_free(none);
  ah_request_opts_free(two);
  ah_session_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_query_parameters_encoded),
    TU_TEST(test_basic_and_bearer_auth),
    TU_TEST(test_auth_dropped_on_cross_host_redirect),
    cmocka_unit_test_setup_teardown(test_secrets_stay_with_the_origin,
                                    tu_fd_setup, second_teardown),
    cmocka_unit_test_setup_teardown(test_request_cookies, tu_fd_setup, second_teardown),
    TU_TEST(test_http_proxy),
    TU_TEST(test_unix_socket),
    TU_TEST(test_digest_auth),
    TU_TEST(test_request_credentials_replace_session_authorization),
    cmocka_unit_test_setup_teardown(test_socks5_proxy, tu_fd_setup, socks_teardown),
    TU_TEST(test_idle_timeout),
    TU_TEST(test_connect_timeout),
    TU_TEST(test_redirect_limit_per_request),
  };

  signal(SIGPIPE, SIG_IGN);
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
