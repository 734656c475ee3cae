/* test_request.c - request options: method, headers, body, timeout, and
 * the copy-on-write sharing of one options object by many fetches. */
#include <ahttp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "session_opts.h"
#include "testutil.h"

/* Fetch /echo with o and return the echoed text (owned by *f). */
static const char *echo(ah_session *s, const ah_request_opts *o, ah_future **f)
{
  *f = ah_session_fetch(s, tu_url("/echo"), o);
  assert_int_equal(ah_future_wait(*f, 10000), AH_OK);
  if (ah_future_error(*f) != AH_OK)
    fail_msg("echo failed: %s", ah_future_errmsg(*f));
  return ah_response_body(ah_future_response(*f), NULL);
}

static void test_methods_and_bodies(void **state)
{
  static const struct { const char *method; const char *body; } cases[] = {
    {"POST", "post-body"}, {"PUT", "put-body"}, {"PATCH", "patch"},
    {"DELETE", NULL}, {"POST", NULL}, {"OPTIONS", NULL}, {"GET", "odd"},
    {"X-CUSTOM_1", NULL},
  };
  ah_session *s = ah_session_new(NULL);
  size_t i;
  char want[64];

  (void)state;
  for (i = 0; i < sizeof cases / sizeof *cases; i++) {
    ah_request_opts *o = ah_request_opts_new();
    ah_future *f;
    const char *b;
    assert_int_equal(ah_request_opts_set_method(o, cases[i].method), AH_OK);
    if (cases[i].body)
      assert_int_equal(ah_request_opts_set_body(o, cases[i].body,
                                                strlen(cases[i].body)), AH_OK);
    b = echo(s, o, &f);
    snprintf(want, sizeof want, "method %s\n", cases[i].method);
    assert_non_null(strstr(b, want));
    if (cases[i].body) {
      snprintf(want, sizeof want, "header Content-Length: %zu\n", strlen(cases[i].body));
      assert_non_null(strstr(b, want));
      assert_non_null(strstr(b, cases[i].body));
    } else if (strcmp(cases[i].method, "POST") == 0) {
      assert_non_null(strstr(b, "header Content-Length: 0\n"));
    }
    ah_future_free(f);
    ah_request_opts_free(o);
  }
  ah_session_free(s);
}

static void test_head(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  ah_future *f;
  size_t len = 99;

  (void)state;
  ah_request_opts_set_method(o, "HEAD");
  f = ah_session_fetch(s, tu_url("/size/500"), o);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  /* The test server answers HEAD like GET minus nothing: libcurl must
   * not wait for a body, so the reply carries headers only. */
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_string_equal(ah_response_header(ah_future_response(f), "Content-Length"), "500");
  ah_response_body(ah_future_response(f), &len);
  assert_int_equal(len, 0);
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

static void test_headers_add_and_remove(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  ah_future *f;
  const char *b;

  (void)state;
  assert_int_equal(ah_request_opts_add_header(o, "X-Api-Key", "k1"), AH_OK);
  assert_int_equal(ah_request_opts_add_header(o, "X-Empty", ""), AH_OK);
  assert_int_equal(ah_request_opts_add_header(o, "Accept", NULL), AH_OK);
  assert_int_equal(ah_request_opts_add_header(o, "User-Agent", "mine/2"), AH_OK);
  b = echo(s, o, &f);
  assert_non_null(strstr(b, "header X-Api-Key: k1\n"));
  assert_non_null(strstr(b, "header X-Empty: \n"));
  assert_null(strstr(b, "header Accept:"));
  assert_non_null(strstr(b, "header User-Agent: mine/2\n"));
  assert_null(strstr(b, "ahttp/"));
  ah_future_free(f);
  assert_int_equal(ah_request_opts_add_header(o, "", "v"), AH_EINVAL);
  assert_int_equal(ah_request_opts_add_header(o, "Bad Name", "v"), AH_EINVAL);
  assert_int_equal(ah_request_opts_add_header(o, NULL, "v"), AH_EINVAL);
  assert_int_equal(ah_request_opts_set_method(o, ""), AH_EINVAL);
  assert_int_equal(ah_request_opts_set_method(o, NULL), AH_EINVAL);
  assert_int_equal(ah_request_opts_set_body(o, NULL, 3), AH_EINVAL);
  assert_int_equal(ah_request_opts_set_timeout(o, -2), AH_EINVAL);
  assert_int_equal(ah_request_opts_add_header(NULL, "a", "b"), AH_EINVAL);
  ah_request_opts_free(o);
  ah_request_opts_free(NULL);
  ah_session_free(s);
}

/* The body is copied: the caller's buffer may change or go at once. */
static void test_body_is_copied(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  char *buf = strdup("original-bytes");
  ah_future *f;

  (void)state;
  ah_request_opts_set_method(o, "POST");
  ah_request_opts_set_body(o, buf, strlen(buf));
  memset(buf, 'Z', strlen(buf));
  free(buf);
  f = ah_session_fetch(s, tu_url("/echo"), o);
  ah_request_opts_free(o); /* the future keeps what it needs */
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_non_null(strstr(ah_response_body(ah_future_response(f), NULL), "original-bytes"));
  ah_future_free(f);
  ah_session_free(s);
}

/* One options object, many fetches; changing it later changes only the
 * fetches made after the change. */
static void test_options_copy_on_write(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  ah_future *a, *b;

  (void)state;
  ah_request_opts_add_header(o, "X-Round", "first");
  a = ah_session_fetch(s, tu_url("/echo"), o);
  ah_request_opts_add_header(o, "X-Later", "second");
  ah_request_opts_set_method(o, "PUT");
  b = ah_session_fetch(s, tu_url("/echo"), o);
  assert_int_equal(ah_future_wait(a, 10000), AH_OK);
  assert_int_equal(ah_future_wait(b, 10000), AH_OK);
  assert_non_null(strstr(ah_response_body(ah_future_response(a), NULL), "method GET\n"));
  assert_null(strstr(ah_response_body(ah_future_response(a), NULL), "X-Later"));
  assert_non_null(strstr(ah_response_body(ah_future_response(b), NULL), "method PUT\n"));
  assert_non_null(strstr(ah_response_body(ah_future_response(b), NULL), "X-Later: second"));
  assert_non_null(strstr(ah_response_body(ah_future_response(b), NULL), "X-Round: first"));
  ah_future_free(a);
  ah_future_free(b);
  ah_request_opts_free(o);
  ah_session_free(s);
}

static void test_request_timeout(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  ah_future *slow, *fast;

  (void)state;
  assert_int_equal(ah_request_opts_set_timeout(o, 200), AH_OK);
  slow = ah_session_fetch(s, tu_url("/delay/3000"), o);
  fast = ah_session_fetch(s, tu_url("/delay/10"), o);
  assert_int_equal(ah_future_wait(slow, 10000), AH_OK);
  assert_int_equal(ah_future_error(slow), AH_ETIMEDOUT);
  assert_non_null(strstr(ah_future_errmsg(slow), "/delay/3000"));
  assert_int_equal(ah_future_wait(fast, 10000), AH_OK);
  assert_int_equal(ah_future_error(fast), AH_OK);
  ah_future_free(slow);
  ah_future_free(fast);
  ah_request_opts_free(o);
  ah_session_free(s);
}

static void test_redirects_followed_and_limited(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_session *s = ah_session_new(NULL), *none;
  ah_future *f;

  (void)state;
  f = ah_session_fetch(s, tu_url("/redirect/10"), NULL);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_OK); /* 10 is the default limit */
  assert_string_equal(ah_response_body(ah_future_response(f), NULL), "arrived");
  assert_string_equal(ah_response_url(ah_future_response(f)), tu_url("/redirect/0"));
  /* Headers are those of the final response only. */
  assert_null(ah_response_header(ah_future_response(f), "Location"));
  /* The journey: each redirect's status and the URL that answered it. */
  {
    const ah_response *r = ah_future_response(f);
    char want[64];
    const char *u;
    int i, st;
    assert_int_equal(ah_response_redirects(r), 10);
    for (i = 0; i < 10; i++) {
      snprintf(want, sizeof want, "/redirect/%d", 10 - i);
      assert_int_equal(ah_response_history_at(r, (size_t)i, &st, &u), AH_OK);
      assert_int_equal(st, 302);
      assert_string_equal(u, tu_url(want));
    }
    assert_int_equal(ah_response_history_at(r, 10, &st, &u), AH_EINVAL);
    assert_int_equal(ah_response_history_at(NULL, 0, NULL, NULL), AH_EINVAL);
  }
  ah_future_free(f);
  /* Across hosts and schemes' ports, with credentials left out of each
   * URL; a response without redirects has no history. */
  {
    char url[256], host2[128];
    const char *u;
    int st;
    snprintf(host2, sizeof host2, "http://localhost:%d/size/2", tu_port);
    snprintf(url, sizeof url, "http://user:pw@127.0.0.1:%d/redirect-to?%s",
             tu_port, host2);
    f = ah_session_fetch(s, url, NULL);
    assert_int_equal(ah_future_wait(f, 10000), AH_OK);
    assert_int_equal(ah_future_error(f), AH_OK);
    assert_int_equal(ah_response_redirects(ah_future_response(f)), 1);
    assert_int_equal(ah_response_history_at(ah_future_response(f), 0, &st, &u), AH_OK);
    assert_int_equal(st, 302);
    assert_null(strstr(u, "pw"));
    assert_non_null(strstr(u, "/redirect-to?http://localhost:"));
    assert_string_equal(ah_response_url(ah_future_response(f)), host2);
    ah_future_free(f);
    f = ah_session_fetch(s, tu_url("/size/3"), NULL);
    assert_int_equal(ah_future_wait(f, 10000), AH_OK);
    assert_int_equal(ah_response_redirects(ah_future_response(f)), 0);
    assert_int_equal(ah_response_history_at(ah_future_response(f), 0, &st, &u), AH_EINVAL);
    ah_future_free(f);
  }
  f = ah_session_fetch(s, tu_url("/redirect/11"), NULL);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_EREDIRECTS);
  ah_future_free(f);
  /* max_redirects 0: the 3xx itself is the response. */
  ah_session_opts_set_max_redirects(so, 0);
  none = ah_session_new(so);
  f = ah_session_fetch(none, tu_url("/redirect/1"), NULL);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_int_equal(ah_response_status(ah_future_response(f)), 302);
  assert_string_equal(ah_response_header(ah_future_response(f), "location"), "/redirect/0");
  ah_future_free(f);
  ah_session_free(none);
  ah_session_opts_free(so);
  ah_session_free(s);
}

static void test_decompression(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_future *f = ah_session_fetch(s, tu_url("/gzip/100000"), NULL);
  size_t len;
  const char *b;

  (void)state;
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_OK);
  b = ah_response_body(ah_future_response(f), &len);
  assert_int_equal(len, 100000);
  assert_int_equal(strspn(b, "z"), 100000);
  ah_future_free(f);
  ah_session_free(s);
}

static void test_deflate(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_future *f = ah_session_fetch(s, tu_url("/deflate/70000"), NULL);
  size_t len;
  const char *b;

  (void)state;
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_string_equal(ah_response_header(ah_future_response(f), "content-encoding"),
                      "deflate");
  b = ah_response_body(ah_future_response(f), &len);
  assert_int_equal(len, 70000);
  assert_int_equal(strspn(b, "d"), 70000);
  ah_future_free(f);
  ah_session_free(s);
}

/* brotli and zstd bodies, made by the command-line tools, decoded. */
static void test_brotli_and_zstd(void **state)
{
  static const char *const paths[] = {"/br/50000", "/zstd/50000"};
  ah_session *s = ah_session_new(NULL);
  size_t i, len, k;

  (void)state;
  for (i = 0; i < 2; i++) {
    ah_future *f = ah_session_fetch(s, tu_url(paths[i]), NULL);
    const char *b;
    assert_int_equal(ah_future_wait(f, 10000), AH_OK);
    assert_int_equal(ah_future_error(f), AH_OK);
    assert_int_equal(ah_response_status(ah_future_response(f)), 200);
    b = ah_response_body(ah_future_response(f), &len);
    assert_int_equal(len, 50000);
    for (k = 0; k < len; k++)
      if (b[k] != "ahttp "[k % 6])
        fail_msg("%s: byte %zu differs", paths[i], k);
    ah_future_free(f);
  }
  ah_session_free(s);
}

/* The response names the URL actually requested: dot segments removed
 * and any byte outside ASCII percent-encoded, as it went on the wire
 * (the server sees the same target), on every libcurl. */
static void test_url_as_requested(void **state)
{
  static const struct { const char *given, *sent; } t[] = {
    {"/a/b/../../echo", "/echo"},
    {"/./echo?k=v", "/echo?k=v"},
    {"/echo?q=\xc3\xa9t\xc3\xa9", "/echo?q=%C3%A9t%C3%A9"},
    {"/echo/\xe2\x82\xac?x=1", "/echo/%E2%82%AC?x=1"},
    {"/echo?q=%41%c3%a9", "/echo?q=%41%c3%a9"}, /* escapes kept as they are */
  };
  ah_session *s = ah_session_new(NULL);
  char want[160];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof t / sizeof *t; i++) {
    ah_future *f = ah_session_fetch(s, tu_url(t[i].given), NULL);
    const char *b;
    assert_int_equal(ah_future_wait(f, 10000), AH_OK);
    if (ah_future_error(f) != AH_OK)
      fail_msg("%s: %s", t[i].given, ah_future_errmsg(f));
    snprintf(want, sizeof want, "target %s\n", t[i].sent);
    b = ah_response_body(ah_future_response(f), NULL);
    if (strstr(b, want) == NULL)
      fail_msg("%s: the server saw\n%s", t[i].given, b);
    assert_string_equal(ah_response_url(ah_future_response(f)), tu_url(t[i].sent));
    ah_future_free(f);
  }
  ah_session_free(s);
}

/* The same when the requests wait in the queue (one connection), with a
 * URL given its query parameters by the options and one joined to a
 * base URL: each response names its own request. */
static void test_queued_requests_report_their_urls(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_request_opts *o = ah_request_opts_new();
  ah_future *fs[6];
  char base[64], want[96];
  ah_session *s;
  int i;

  (void)state;
  snprintf(base, sizeof base, "%s", tu_url("/"));
  ah_session_opts_set_max_connections(so, 1, 0);
  ah_session_opts_set_base_url(so, base);
  s = ah_session_new(so);
  ah_session_opts_free(so);
  ah_request_opts_add_query(o, "k", "v");
  for (i = 0; i < 4; i++) {
    char path[32];
    snprintf(path, sizeof path, "/size/%d", i + 1);
    fs[i] = ah_session_fetch(s, tu_url(path), NULL);
  }
  fs[4] = ah_session_fetch(s, tu_url("/size/7"), o);
  fs[5] = ah_session_fetch(s, "size/8", NULL);
  assert_int_equal(ah_gather(fs, 6, 20000), AH_OK);
  for (i = 0; i < 6; i++) {
    const ah_response *r = ah_future_response(fs[i]);
    if (i < 4)
      snprintf(want, sizeof want, "%ssize/%d", base, i + 1);
    else if (i == 4)
      snprintf(want, sizeof want, "%ssize/7?k=v", base);
    else
      snprintf(want, sizeof want, "%ssize/8", base);
    assert_non_null(r);
    assert_string_equal(ah_response_url(r), want);
    ah_future_free(fs[i]);
  }
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* One options object serving sessions on two threads at once. A racy
 * reference count shows up here as a use-after-free or leak under
 * `make check SANITIZE=1`. */
#define PER_THREAD 150
static void *fetch_many(void *arg)
{
  const ah_request_opts *o = arg;
  ah_session *s = ah_session_new(NULL);
  ah_future *fs[PER_THREAD];
  long ok = 0;
  int i;

  for (i = 0; i < PER_THREAD; i++)
    fs[i] = ah_session_fetch(s, tu_url("/echo"), o);
  if (ah_gather(fs, PER_THREAD, 30000) == AH_OK)
    for (i = 0; i < PER_THREAD; i++)
      ok += ah_future_error(fs[i]) == AH_OK &&
            strstr(ah_response_body(ah_future_response(fs[i]), NULL),
                   "X-Shared: yes") != NULL;
  for (i = 0; i < PER_THREAD; i++)
    ah_future_free(fs[i]);
  ah_session_free(s);
  return (void *)ok;
}

static void test_options_shared_across_threads(void **state)
{
  ah_request_opts *o = ah_request_opts_new();
  pthread_t t[2];
  void *ok[2];

  (void)state;
  ah_request_opts_add_header(o, "X-Shared", "yes");
  pthread_create(&t[0], NULL, fetch_many, o);
  pthread_create(&t[1], NULL, fetch_many, o);
  pthread_join(t[0], &ok[0]);
  pthread_join(t[1], &ok[1]);
  assert_int_equal((long)ok[0], PER_THREAD);
  assert_int_equal((long)ok[1], PER_THREAD);
  ah_request_opts_free(o);
}

static long read_text(ah_future *f, char *buf, size_t max, void *ud)
{
  const char **at = ud;
  size_t n = strlen(*at);

  (void)f;
  if (n > max)
    n = max;
  memcpy(buf, *at, n);
  *at += n;
  return (long)n;
}

/* A body goes as what it is: a raw body without a Content-Type of the
 * caller's is application/octet-stream (aiohttp), never a form; and no
 * body waits for a "100 Continue" (libcurl asks for one on chunked and
 * large bodies, then stalls up to a second on servers that never send
 * it). The caller's own Content-Type and Expect, on the request or the
 * session, win. */
static void test_body_defaults(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_session *s = ah_session_new(NULL), *s2;
  ah_request_opts *o = ah_request_opts_new();
  ah_future *f;
  const char *b, *text;
  char *big = malloc(2 << 20);

  (void)state;
  /* A memory body without a method: POST, octet-stream. */
  ah_request_opts_set_body(o, "raw", 3);
  b = echo(s, o, &f);
  assert_non_null(strstr(b, "method POST\n"));
  assert_int_equal(tu_count(b, "header Content-Type: application/octet-stream\n"), 1);
  assert_null(strstr(b, "x-www-form-urlencoded"));
  assert_null(strstr(b, "Expect"));
  ah_future_free(f);
  /* Large (libcurl asks for 100-continue over 1 MiB). */
  memset(big, 'b', 2 << 20);
  ah_request_opts_set_method(o, "PUT");
  ah_request_opts_set_body(o, big, 2 << 20);
  b = echo(s, o, &f);
  assert_non_null(strstr(b, "method PUT\n"));
  assert_non_null(strstr(b, "header Content-Type: application/octet-stream\n"));
  assert_null(strstr(b, "Expect"));
  ah_future_free(f);
  /* Chunked from a reader. */
  text = "from a reader";
  ah_request_opts_set_body_reader(o, read_text, &text, -1);
  b = echo(s, o, &f);
  assert_non_null(strstr(b, "header Transfer-Encoding: chunked\n"));
  assert_non_null(strstr(b, "header Content-Type: application/octet-stream\n"));
  assert_null(strstr(b, "Expect"));
  assert_non_null(strstr(b, "\nfrom a reader"));
  ah_future_free(f);
  /* The caller's own, on the request. */
  text = "again";
  ah_request_opts_add_header(o, "content-type", "text/plain");
  ah_request_opts_add_header(o, "Expect", "100-continue");
  b = echo(s, o, &f);
  assert_non_null(strstr(b, "header content-type: text/plain\n"));
  assert_null(strstr(b, "octet-stream"));
  assert_int_equal(tu_count(b, "header Expect: 100-continue\n"), 1);
  ah_future_free(f);
  ah_request_opts_free(o);
  /* A form keeps its multipart type. */
  o = ah_request_opts_new();
  ah_request_opts_add_form_field(o, "k", "v");
  b = echo(s, o, &f);
  assert_non_null(strstr(b, "header Content-Type: multipart/form-data; boundary="));
  assert_null(strstr(b, "octet-stream"));
  assert_null(strstr(b, "Expect"));
  ah_future_free(f);
  ah_request_opts_free(o);
  /* The session's own Content-Type. */
  ah_session_opts_add_header(so, "Content-Type", "application/x-mine");
  s2 = ah_session_new(so);
  o = ah_request_opts_new();
  ah_request_opts_set_body(o, "raw", 3);
  b = echo(s2, o, &f);
  assert_int_equal(tu_count(b, "header Content-Type: "), 1);
  assert_non_null(strstr(b, "header Content-Type: application/x-mine\n"));
  ah_future_free(f);
  /* A GET after them on the same pooled handles carries none of it. */
  b = echo(s, NULL, &f);
  assert_null(strstr(b, "Content-Type"));
  assert_null(strstr(b, "Expect"));
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_opts_free(so);
  ah_session_free(s2);
  ah_session_free(s);
  free(big);
}

/* Where libcurl before 8.16 shares a connect timeout between addresses
 * (curl_caps.h connect_split), ahttp keeps it only for a hop that can
 * reach one address: an IP literal reached directly, or a unix socket. */
static void test_one_address(void **state)
{
  struct ah__defaults d;
  struct ah__request q;
  char unix_path[] = "/tmp/x.sock", proxy[] = "http://127.0.0.1:3128", none[] = "";
  struct curl_slist over = {(char *)"a:80:127.0.0.1:80", NULL};

  (void)state;
  memset(&d, 0, sizeof d);
  memset(&q, 0, sizeof q);
  q.url_str = "http://127.0.0.1:8080/x";
  assert_int_equal(ah__request_one_address(&q, &d), 1);
  q.url_str = NULL; /* not a plain URL: parsed at fetch */
  q.url = curl_url();
  assert_non_null(q.url);
  assert_int_equal(curl_url_set(q.url, CURLUPART_URL, "http://[::1]:8080/x", 0), CURLUE_OK);
  assert_int_equal(ah__request_one_address(&q, &d), 1);
  assert_int_equal(curl_url_set(q.url, CURLUPART_URL, "http://[::1].example/x", 0) == CURLUE_OK &&
                   ah__request_one_address(&q, &d), 0);
  curl_url_cleanup(q.url);
  q.url = NULL;
  q.url_str = "http://localhost:8080/x"; /* a name: any number of addresses */
  assert_int_equal(ah__request_one_address(&q, &d), 0);
  q.url_str = "http://127.0.0.1.example:8080/x";
  assert_int_equal(ah__request_one_address(&q, &d), 0);
  q.url_str = "http://127.0.0.1:8080/x";
  d.proxy = proxy; /* the proxy's addresses */
  assert_int_equal(ah__request_one_address(&q, &d), 0);
  d.proxy = none;  /* "": no proxy */
  assert_int_equal(ah__request_one_address(&q, &d), 1);
  d.proxy = NULL;
  d.trust_env = 1; /* a proxy may come from the environment */
  assert_int_equal(ah__request_one_address(&q, &d), 0);
  d.trust_env = 0;
  d.connect_to = &over;
  assert_int_equal(ah__request_one_address(&q, &d), 0);
  d.connect_to = NULL;
  q.url_str = "http://localhost:8080/x";
  d.unix_path = unix_path;
  assert_int_equal(ah__request_one_address(&q, &d), 1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_body_defaults),
    TU_TEST(test_methods_and_bodies),
    TU_TEST(test_head),
    TU_TEST(test_headers_add_and_remove),
    TU_TEST(test_body_is_copied),
    TU_TEST(test_options_copy_on_write),
    TU_TEST(test_request_timeout),
    TU_TEST(test_redirects_followed_and_limited),
    TU_TEST(test_decompression),
    TU_TEST(test_brotli_and_zstd),
    TU_TEST(test_deflate),
    TU_TEST(test_options_shared_across_threads),
    TU_TEST(test_url_as_requested),
    TU_TEST(test_queued_requests_report_their_urls),
    TU_TEST(test_one_address),
  };
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
