/* test_journey.c - lib/journey.c and the redirects ahttp follows itself
 * (SPEC 4b): the policy on its own (statuses, method rules, what a body
 * that cannot be sent again allows), then journeys against
 * tests/server.py: the method and body at the end of each redirect, a
 * reader's body, statuses that are not redirects, the URL requested and
 * the history, URL credentials and secrets by origin, the total timeout
 * across hops, a retry resuming at its hop, and a redirect's own body. */
#include <ahttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journey.h"
#include "testutil.h"

static void test_statuses_followed(void **state)
{
  int st;

  (void)state;
  for (st = 100; st < 600; st++) {
    int redirect = st == 301 || st == 302 || st == 303 || st == 307 || st == 308;
    assert_int_equal(ah__journey_bit(st) != 0, redirect);
  }
  /* A body that can go again, or none: every redirect. */
  assert_int_equal(ah__journey_follows(NULL, 0, 0), AH__FOLLOW_ALL);
  assert_int_equal(ah__journey_follows("PUT", 1, 1), AH__FOLLOW_ALL);
  /* A reader without a rewind: only the redirects that drop the body. */
  assert_int_equal(ah__journey_follows(NULL, 1, 0),
                   AH__FOLLOW_301 | AH__FOLLOW_302 | AH__FOLLOW_303);
  assert_int_equal(ah__journey_follows("POST", 1, 0),
                   AH__FOLLOW_301 | AH__FOLLOW_302 | AH__FOLLOW_303);
  assert_int_equal(ah__journey_follows("PUT", 1, 0), AH__FOLLOW_303);
  assert_int_equal(ah__journey_follows("PATCH", 1, 0), AH__FOLLOW_303);
}

static void test_method_rules(void **state)
{
  static const struct { const char *method; int body, status, get; } t[] = {
    {NULL, 0, 301, 0}, {NULL, 0, 303, 1}, /* GET stays GET */
    {NULL, 1, 301, 1}, {NULL, 1, 302, 1}, {NULL, 1, 303, 1}, /* POST */
    {NULL, 1, 307, 0}, {NULL, 1, 308, 0},
    {"POST", 1, 301, 1}, {"POST", 0, 302, 1}, {"POST", 1, 307, 0},
    {"PUT", 1, 301, 0}, {"PUT", 1, 302, 0}, {"PUT", 1, 303, 1},
    {"PUT", 1, 308, 0}, {"DELETE", 0, 302, 0}, {"DELETE", 0, 303, 1},
    {"HEAD", 0, 303, 0}, {"HEAD", 0, 301, 0}, {"GET", 1, 302, 0},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof t / sizeof *t; i++)
    if (ah__journey_to_get(t[i].status, t[i].method, t[i].body) != t[i].get)
      fail_msg("%s%s %d", t[i].method ? t[i].method : "(default)",
               t[i].body ? " with a body" : "", t[i].status);
}

static void test_record(void **state)
{
  struct ah__journey *j = ah__journey_new("http://a:80");
  char url[300];
  int i;

  (void)state;
  assert_non_null(j);
  for (i = 0; i < 50; i++) { /* grows past its first buffer */
    snprintf(url, sizeof url, "http://a/%d/%0200d", i, i);
    assert_int_equal(ah__journey_record(j, 301 + i % 8, url), 0);
  }
  assert_int_equal(j->nhops, 50);
  {
    size_t at = 0;
    for (i = 0; i < 50; i++) {
      uint16_t st;
      memcpy(&st, j->hops + at, 2);
      assert_int_equal(st, 301 + i % 8);
      snprintf(url, sizeof url, "http://a/%d/%0200d", i, i);
      assert_string_equal(j->hops + at + 2, url);
      at += 2 + strlen(url) + 1;
    }
    assert_int_equal(at, j->hops_len);
  }
  ah__journey_free(j);
}

/* Against the test server. */


static int seen(const char *target)
{
  char q[512];
  ah_session *s = ah_session_new(NULL);
  ah_future *f;
  int n;

  snprintf(q, sizeof q, "%s", tu_url("/seen?"));
  strncat(q, target, sizeof q - strlen(q) - 1);
  f = tu_fetch(s, q, NULL);
  n = atoi(tu_body(f));
  ah_future_free(f);
  ah_session_free(s);
  return n;
}

/* SPEC 4b's methods: 303 becomes GET (HEAD stays HEAD), 301 and 302 turn
 * POST into GET, every other case keeps method and body; a GET keeps
 * none of the body's headers. */
static void test_methods_across_redirects(void **state)
{
  static const char *const methods[] = {NULL, "POST", "PUT", "PATCH", "DELETE"};
  static const int codes[] = {301, 302, 303, 307, 308};
  ah_session *s = ah_session_new(NULL);
  char url[256], want[64];
  size_t m, c;

  (void)state;
  for (m = 0; m < sizeof methods / sizeof *methods; m++) {
    for (c = 0; c < sizeof codes / sizeof *codes; c++) {
      ah_request_opts *o = ah_request_opts_new();
      const char *sent = methods[m] ? methods[m] : "POST";
      int get = ah__journey_to_get(codes[c], methods[m], 1);
      ah_future *f;
      const char *b;
      if (methods[m] != NULL)
        ah_request_opts_set_method(o, methods[m]);
      ah_request_opts_set_body(o, "pay-load", 8);
      snprintf(url, sizeof url, "%s", tu_url("/redirect-code/"));
      snprintf(url + strlen(url), sizeof url - strlen(url), "%d?/echo", codes[c]);
      f = tu_fetch(s, url, o);
      b = tu_body(f);
      snprintf(want, sizeof want, "method %s\n", get ? "GET" : sent);
      if (strstr(b, want) == NULL)
        fail_msg("%s %d: wanted %s, the server saw:\n%s", sent, codes[c], want, b);
      if (get) {
        assert_null(strstr(b, "pay-load"));
        assert_null(strstr(b, "Content-Type"));
        assert_null(strstr(b, "Content-Length"));
      } else {
        assert_non_null(strstr(b, "header Content-Type: application/octet-stream\n"));
        assert_non_null(strstr(b, "\npay-load"));
      }
      assert_int_equal(ah_response_redirects(ah_future_response(f)), 1);
      ah_future_free(f);
      ah_request_opts_free(o);
    }
  }
  /* HEAD after a 303 stays HEAD: no body comes back. */
  {
    ah_request_opts *o = ah_request_opts_new();
    ah_future *f;
    size_t n = 99;
    ah_request_opts_set_method(o, "HEAD");
    f = tu_fetch(s, tu_url("/redirect-code/303?/size/100"), o);
    assert_int_equal(ah_future_error(f), AH_OK);
    assert_int_equal(ah_response_status(ah_future_response(f)), 200);
    ah_response_body(ah_future_response(f), &n);
    assert_int_equal(n, 0);
    ah_future_free(f);
    ah_request_opts_free(o);
  }
  ah_session_free(s);
}

static int rewind_fails(ah_future *f, void *ud)
{
  (void)f;
  (void)ud;
  return -1;
}

/* A body from a reader with no rewind cannot go again: a redirect that
 * keeps the body is the response, every run, whether or not libcurl had
 * read the body when the redirect came; one that drops it is followed.
 * With a rewind the body goes again, whole. */
static void test_reader_body_and_redirects(void **state)
{
  static const char text[] = "a streamed body";
  ah_session *s = ah_session_new(NULL);
  char url[256], target[64];
  int run, code;

  (void)state;
  for (run = 0; run < 4; run++) {
    for (code = 307; code <= 308; code++) {
      ah_request_opts *o = ah_request_opts_new();
      struct tu_text b = {text, 0, 0};
      ah_future *f;
      ah_request_opts_set_body_reader(o, tu_text_read, &b, run % 2 ? -1 : (long long)strlen(text));
      snprintf(target, sizeof target, "/echo?reader-%d-%d", code, run);
      snprintf(url, sizeof url, "%s%d?%s", tu_url("/redirect-code/"), code, target);
      f = tu_fetch(s, url, o);
      assert_int_equal(ah_future_error(f), AH_OK);
      assert_int_equal(ah_response_status(ah_future_response(f)), code);
      assert_int_equal(ah_response_redirects(ah_future_response(f)), 0);
      assert_int_equal(seen(target), 0);
      ah_future_free(f);
      ah_request_opts_free(o);
    }
  }
  /* A PUT keeps its method on 302: so it is not followed either. */
  {
    ah_request_opts *o = ah_request_opts_new();
    struct tu_text b = {text, 0, 0};
    ah_future *f;
    ah_request_opts_set_method(o, "PUT");
    ah_request_opts_set_body_reader(o, tu_text_read, &b, -1);
    f = tu_fetch(s, tu_url("/redirect-code/302?/echo"), o);
    assert_int_equal(ah_response_status(ah_future_response(f)), 302);
    ah_future_free(f);
    /* 303: followed as a GET, the body left behind. */
    b.at = 0;
    f = tu_fetch(s, tu_url("/redirect-code/303?/echo"), o);
    assert_non_null(strstr(tu_body(f), "method GET\n"));
    assert_null(strstr(tu_body(f), text));
    ah_future_free(f);
    /* With a rewind: the PUT goes again with its whole body. */
    ah_request_opts_set_body_rewind(o, tu_text_rewind);
    b.at = 0;
    f = tu_fetch(s, tu_url("/redirect-code/302?/echo"), o);
    assert_non_null(strstr(tu_body(f), "method PUT\n"));
    assert_non_null(strstr(tu_body(f), "\na streamed body"));
    ah_future_free(f);
    /* A rewind that fails ends the request: AH_ESTOPPED, nothing sent
     * to the next place. */
    ah_request_opts_set_body_rewind(o, rewind_fails);
    b.at = 0;
    f = tu_fetch(s, tu_url("/redirect-code/307?/echo?rewind-fails"), o);
    assert_int_equal(ah_future_error(f), AH_ESTOPPED);
    assert_int_equal(seen("/echo?rewind-fails"), 0);
    ah_future_free(f);
    ah_request_opts_free(o);
  }
  ah_session_free(s);
}

/* 300, 304 and 305 are not redirects, Location or not; a redirect
 * without a Location is the final response. */
static void test_not_followed(void **state)
{
  static const int codes[] = {300, 304, 305, 306};
  ah_session *s = ah_session_new(NULL);
  char url[256];
  size_t i;
  ah_future *f;

  (void)state;
  for (i = 0; i < sizeof codes / sizeof *codes; i++) {
    snprintf(url, sizeof url, "%s%d?/echo", tu_url("/redirect-code/"), codes[i]);
    f = tu_fetch(s, url, NULL);
    assert_int_equal(ah_future_error(f), AH_OK);
    assert_int_equal(ah_response_status(ah_future_response(f)), codes[i]);
    assert_int_equal(ah_response_redirects(ah_future_response(f)), 0);
    ah_future_free(f);
  }
  f = tu_fetch(s, tu_url("/status/302"), NULL);
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_int_equal(ah_response_status(ah_future_response(f)), 302);
  ah_future_free(f);
  ah_session_free(s);
}

/* The journey told: each hop's status and URL, and the final URL as
 * requested (dot segments removed, escapes added, no credentials). */
static void test_history_and_url(void **state)
{
  ah_session *s = ah_session_new(NULL);
  const ah_response *r;
  const char *url;
  char want[256], start[256];
  ah_future *f;
  int st;

  (void)state;
  f = tu_fetch(s, tu_url("/redirect/3"), NULL);
  r = ah_future_response(f);
  assert_string_equal(tu_body(f), "arrived");
  assert_int_equal(ah_response_redirects(r), 3);
  assert_int_equal(ah_response_history_at(r, 0, &st, &url), AH_OK);
  assert_int_equal(st, 302);
  assert_string_equal(url, tu_url("/redirect/3"));
  assert_int_equal(ah_response_history_at(r, 2, &st, &url), AH_OK);
  assert_string_equal(url, tu_url("/redirect/1"));
  assert_int_equal(ah_response_history_at(r, 3, &st, &url), AH_EINVAL);
  assert_string_equal(ah_response_url(r), tu_url("/redirect/0"));
  ah_future_free(f);
  /* A Location with dot segments, a space and raw UTF-8. */
  snprintf(start, sizeof start, "%s",
           tu_url("/redirect-unquoted?/a/../echo%3Fq%3Dx%20y%C3%BC"));
  f = tu_fetch(s, start, NULL);
  snprintf(want, sizeof want, "%s", tu_url("/echo?q=x%20y%C3%BC"));
  assert_string_equal(ah_response_url(ah_future_response(f)), want);
  assert_non_null(strstr(tu_body(f), "target /echo?q=x%20y%C3%BC\n"));
  ah_future_free(f);
  /* Credentials in the URL: sent, never reported. */
  snprintf(start, sizeof start, "http://user:pw@127.0.0.1:%d/redirect/1", tu_port);
  f = tu_fetch(s, start, NULL);
  r = ah_future_response(f);
  assert_int_equal(ah_response_history_at(r, 0, NULL, &url), AH_OK);
  assert_null(strstr(url, "pw"));
  assert_null(strstr(ah_response_url(r), "pw"));
  ah_future_free(f);
  ah_session_free(s);
}

static pid_t second_pid; /* stopped by the teardown, even on failure */

static int second_teardown(void **state)
{
  if (second_pid > 0)
    tu_server_stop(second_pid);
  second_pid = 0;
  return tu_fd_teardown(state);
}

/* Secrets by origin: URL credentials, Authorization, Proxy-Authorization
 * and Cookie set by the caller (request or session), sensitive headers.
 * The same origin keeps them (an absolute Location too); another port
 * does not; and once left, the origin is not trusted again on the way
 * back. */
static void test_secrets_by_origin(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_request_opts *o = ah_request_opts_new();
  ah_session *s;
  ah_future *f;
  const char *b;
  char url[512], back[256];
  int port2;

  (void)state;
  second_pid = tu_server_start(&port2);
  assert_true(second_pid > 0);
  ah_session_opts_add_header(so, "Cookie", "session=secret-s");
  ah_session_opts_add_header(so, "Host", "api.internal"); /* names the origin */
  s = ah_session_new(so);
  ah_session_opts_free(so);
  ah_request_opts_add_header(o, "Proxy-Authorization", "Basic secret-p");
  ah_request_opts_add_sensitive_header(o, "X-Token", "secret-t");
  ah_request_opts_add_header(o, "X-Plain", "open");
  /* URL credentials, an absolute Location to the same origin: kept. */
  snprintf(url, sizeof url, "http://u:secret-u@127.0.0.1:%d/redirect-to?http://127.0.0.1:%d/echo",
           tu_port, tu_port);
  f = tu_fetch(s, url, o);
  b = tu_body(f);
  assert_non_null(strstr(b, "header Authorization: Basic "));
  assert_non_null(strstr(b, "header Cookie: session=secret-s\n"));
  assert_non_null(strstr(b, "header Proxy-Authorization: Basic secret-p\n"));
  assert_non_null(strstr(b, "header X-Token: secret-t\n"));
  assert_non_null(strstr(b, "header Host: api.internal\n"));
  ah_future_free(f);
  /* Another port, then back to the first: nothing secret either way. */
  snprintf(back, sizeof back, "http://127.0.0.1:%d/echo", tu_port);
  snprintf(url, sizeof url,
           "http://u:secret-u@127.0.0.1:%d/redirect-unquoted?http://127.0.0.1:%d/redirect-to%%3F%s",
           tu_port, port2, back);
  f = tu_fetch(s, url, o);
  b = tu_body(f);
  assert_int_equal(ah_response_redirects(ah_future_response(f)), 2);
  assert_non_null(strstr(b, "header X-Plain: open\n"));
  if (strstr(b, "secret") != NULL || strstr(b, "Authorization") != NULL ||
      strstr(b, "api.internal") != NULL)
    fail_msg("a secret came back after leaving the origin:\n%s", b);
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

static double now_s(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The total timeout spans the hops: each a transfer of its own, but the
 * request's time is one. */
static void test_total_timeout_spans_hops(void **state)
{
  ah_request_opts *o = ah_request_opts_new();
  ah_session *s = ah_session_new(NULL);
  ah_future *f;
  double t0;

  (void)state;
  ah_request_opts_set_timeout(o, 700);
  t0 = now_s();
  f = tu_fetch(s, tu_url("/slow-redirect/200/8"), o); /* 1.8 s in all */
  if (ah_future_error(f) != AH_ETIMEDOUT)
    fail_msg("got %s (%s)", ah_strerror(ah_future_error(f)), ah_future_errmsg(f));
  assert_true(now_s() - t0 < 0.7 + 0.8 * tu_slowdown());
  ah_future_free(f);
  /* Within it: arrives. */
  ah_request_opts_set_timeout(o, 5000);
  f = tu_fetch(s, tu_url("/slow-redirect/50/3"), o);
  assert_string_equal(tu_body(f), "arrived");
  assert_true(ah_response_time_us(ah_future_response(f), AH_TIME_REDIRECT) >= 150000);
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* A retry after a redirect resumes at its hop: the POST a 303 answered
 * is not sent again when the GET it became is retried. */
static void test_retry_resumes_at_the_hop(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_request_opts *o = ah_request_opts_new();
  ah_session *s;
  ah_future *f;
  const ah_response *r;

  (void)state;
  ah_session_opts_set_retries(so, 3, AH_RETRY_STATUS);
  ah_session_opts_set_retry_backoff(so, 1, 10);
  s = ah_session_new(so);
  ah_session_opts_free(so);
  ah_request_opts_set_body(o, "order", 5);
  f = tu_fetch(s, tu_url("/redirect-code/303?/flaky/resume/1/503"), o);
  r = ah_future_response(f);
  assert_string_equal(tu_body(f), "ok at 2");
  assert_int_equal(ah_response_attempts(r), 2);
  assert_int_equal(ah_response_redirects(r), 1);
  assert_int_equal(seen("/redirect-code/303?/flaky/resume/1/503"), 1);
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

static int count_data(ah_future *f, const char *data, size_t len, void *ud)
{
  (void)f;
  strncat(ud, data, len);
  return 0;
}

static int head_redirects = -1;
static int note_head(ah_future *f, const ah_response *head, void *ud)
{
  int st = 0;
  const char *u = NULL;

  (void)f;
  (void)ud;
  head_redirects = ah_response_redirects(head);
  if (ah_response_history_at(head, 1, &st, &u) != AH_OK || st != 302 ||
      strcmp(u, tu_url("/redirect/1")) != 0)
    head_redirects = -2;
  return 0;
}

/* A redirect's own body is not the response: a data callback sees only
 * the final body. The headers callback sees the journey so far. */
static void test_redirect_body_not_told(void **state)
{
  ah_request_opts *o = ah_request_opts_new();
  ah_session *s = ah_session_new(NULL);
  static char got[256];
  ah_future *f;

  (void)state;
  got[0] = '\0';
  ah_request_opts_on_data(o, count_data, got);
  f = tu_fetch(s, tu_url("/redirect-body/302?/size/5"), o);
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_string_equal(got, "xxxxx");
  ah_future_free(f);
  ah_request_opts_on_headers(o, note_head, NULL);
  f = tu_fetch(s, tu_url("/redirect/2"), o);
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_int_equal(head_redirects, 2);
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* A redirect's body is read and dropped, as libcurl's following did: not
 * held to the body limit, which is the final response's. */
static void test_redirect_body_not_limited(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_session *s;
  ah_future *f;

  (void)state;
  ah_session_opts_set_max_body(so, 16);
  s = ah_session_new(so);
  ah_session_opts_free(so);
  f = tu_fetch(s, tu_url("/redirect-body/302?/size/16"), NULL); /* a 23-byte 302 */
  assert_string_equal(tu_body(f), "xxxxxxxxxxxxxxxx");
  ah_future_free(f);
  ah_session_free(s);
}

static int heads;
static int count_heads(ah_future *f, const ah_response *head, void *ud)
{
  (void)f;
  (void)head;
  (void)ud;
  heads++;
  return 0;
}

/* Digest credentials stay with their origin: a 401 from another origin
 * is the final response, and the headers callback sees it. */
static void test_digest_off_origin(void **state)
{
  ah_request_opts *o = ah_request_opts_new();
  ah_session *s = ah_session_new(NULL);
  char url[256];
  ah_future *f;

  (void)state;
  ah_request_opts_set_digest_auth(o, "u", "p");
  ah_request_opts_on_headers(o, count_heads, NULL);
  heads = 0;
  f = tu_fetch(s, tu_url("/digest/u/p"), o); /* same origin: answered */
  assert_string_equal(tu_body(f), "digest ok u");
  assert_int_equal(heads, 1);
  ah_future_free(f);
  heads = 0;
  snprintf(url, sizeof url, "%s%d/digest/u/p", tu_url("/redirect-to?http://localhost:"), tu_port);
  f = tu_fetch(s, url, o);
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_int_equal(ah_response_status(ah_future_response(f)), 401);
  assert_int_equal(heads, 1);
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_statuses_followed),
    TU_TEST(test_method_rules),
    TU_TEST(test_record),
    TU_TEST(test_methods_across_redirects),
    TU_TEST(test_reader_body_and_redirects),
    TU_TEST(test_not_followed),
    TU_TEST(test_history_and_url),
    cmocka_unit_test_setup_teardown(test_secrets_by_origin, tu_fd_setup, second_teardown),
    TU_TEST(test_total_timeout_spans_hops),
    TU_TEST(test_retry_resumes_at_the_hop),
    TU_TEST(test_redirect_body_not_told),
    TU_TEST(test_redirect_body_not_limited),
    TU_TEST(test_digest_off_origin),
  };
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
