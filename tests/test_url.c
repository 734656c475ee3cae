/* test_url.c - lib/url.c: the fast path for plain URLs takes the URLs
 * programs fetch most, declines what it cannot judge, and gives libcurl
 * the very handle libcurl's own parser would have made: every URL it
 * takes, among tens of thousands generated with the characters that
 * change a URL's meaning, reads back part for part the same as after
 * curl_url_set(CURLUPART_URL). */
#include <ahttp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "testutil.h"
#include "url.h"

static const CURLUPart parts[] = {
  CURLUPART_URL, CURLUPART_SCHEME, CURLUPART_USER, CURLUPART_PASSWORD,
  CURLUPART_OPTIONS, CURLUPART_HOST, CURLUPART_PORT, CURLUPART_PATH,
  CURLUPART_QUERY, CURLUPART_FRAGMENT, CURLUPART_ZONEID,
};

/* 1 when a and b read back the same, part for part, with and without the
 * flags libcurl's transfer code uses. */
static int same_handle(CURLU *a, CURLU *b, const char *url)
{
  static const unsigned flags[] = {0, CURLU_DEFAULT_PORT, CURLU_NO_DEFAULT_PORT};
  size_t i, j;

  for (i = 0; i < sizeof parts / sizeof parts[0]; i++)
    for (j = 0; j < sizeof flags / sizeof flags[0]; j++) {
      char *x = NULL, *y = NULL;
      CURLUcode cx = curl_url_get(a, parts[i], &x, flags[j]);
      CURLUcode cy = curl_url_get(b, parts[i], &y, flags[j]);
      int same = cx == cy && ((x == NULL && y == NULL) ||
                              (x != NULL && y != NULL && strcmp(x, y) == 0));
      if (!same)
        fprintf(stderr, "%s: part %d flags %u: fast \"%s\" (%d), libcurl \"%s\" (%d)\n",
                url, (int)parts[i], flags[j], x ? x : "-", (int)cx,
                y ? y : "-", (int)cy);
      curl_free(x);
      curl_free(y);
      if (!same)
        return 0;
    }
  return 1;
}

/* The fast path's verdict on url, held to libcurl's: 1 taken and the
 * same, 0 declined; fails the test on a difference. */
static int check(const char *url)
{
  CURLU *fast = NULL, *full = curl_url();
  int r = ah__url_plain(url, &fast);

  assert_non_null(full);
  assert_true(r == 0 || r == 1);
  if (r == 1) {
    CURLUcode uc = curl_url_set(full, CURLUPART_URL, url, 0);
    if (uc != CURLUE_OK)
      fprintf(stderr, "%s: taken, but libcurl refuses it (%d)\n", url, (int)uc);
    assert_int_equal(uc, CURLUE_OK);
    assert_true(same_handle(fast, full, url));
  } else {
    assert_null(fast);
  }
  curl_url_cleanup(fast);
  curl_url_cleanup(full);
  return r;
}

static void test_plain_urls_taken(void **state)
{
  static const char *const urls[] = {
    "http://127.0.0.1:8080/1k",
    "http://127.0.0.1/",
    "https://example.com/",
    "https://api.example.com/v1/items?id=42&sort=name",
    "http://localhost:65535/a/b/c.html",
    "https://a-b.example/p;x=1/q?u=http://x.test/?y=z",
    "http://255.255.255.255:1/~user/file.tar.gz",
    "http://0.0.0.0/a.b/c..d/e.",
    "http://h:80/",
    "https://h:443/x?",
    "http://x.test//double//slash",
    "http://a/!$&'()*+,;=:@",
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof urls / sizeof urls[0]; i++) {
    if (check(urls[i]) != 1)
      fprintf(stderr, "declined: %s\n", urls[i]);
    assert_int_equal(check(urls[i]), 1);
  }
}

static void test_others_declined(void **state)
{
  static const char *const urls[] = {
    "HTTP://example.com/", "http://Example.com/", "http://example.com",
    "http://user:pw@example.com/", "http://example.com/#top",
    "http://example.com/a/./b", "http://example.com/a/../b",
    "http://example.com/..", "http://example.com/a/.",
    "http://127.1/", "http://0x7f.0.0.1/", "http://010.0.0.1/",
    "http://127.0.0.256/", "http://1.2.3.4.5/", "http://2130706433/",
    "http://1e100.net/", "http://[::1]:8080/", "http://h:0/", "http://h:65536/",
    "http://h:080/", "http://h:/", "http://h:123456/", "http://:80/",
    "http:///path", "http://h/a b", "http://h/a\\b", "http://h/a\"b",
    "http://h/a<b>", "http://h/{x}", "http://h/a\tb", "http://h/\xc3\xa9",
    "http://h\xc3\xa9.test/", "http://h_1.test/", "https:/h/", "httpx://h/",
    "http://h/a|b", "http://h/a^b", "http://h/a`b",
    /* The case of an escape: releases differ (see url.c). */
    "http://h/a%2Fb", "http://h/a%2fb", "http://h/?q=%20", "http://h/%",
  };
  char longurl[2100];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof urls / sizeof urls[0]; i++) {
    if (check(urls[i]) != 0)
      fprintf(stderr, "taken: %s\n", urls[i]);
    assert_int_equal(check(urls[i]), 0);
  }
  memcpy(longurl, "http://h/", 9);
  memset(longurl + 9, 'a', sizeof longurl - 10);
  longurl[sizeof longurl - 1] = '\0';
  assert_int_equal(check(longurl), 0);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned next(unsigned n)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (unsigned)(rng % n);
}

static const char *pick(const char *const *v, size_t n)
{
  return v[next((unsigned)n)];
}
#define PICK(v) pick(v, sizeof v / sizeof v[0])

/* URLs assembled from pieces that are plain, nearly plain, and not:
 * the characters and shapes that make libcurl rewrite a URL. Each piece
 * is an odd one one time in eight. */
static void generate(char *out, size_t cap)
{
  static const char *const schemes[] = {"http://", "https://"};
  static const char *const odd_schemes[] = {"HTTP://", "http:/", "http:", "Https://"};
  static const char *const hosts[] = {
    "example.com", "a", "a.b.c", "x-y.test", "127.0.0.1", "10.0.0.255",
    "0.0.0.0", "255.255.255.255", "localhost", "a..b", "a.", "a-",
    "xn--bcher-kva.example", "z9.test"};
  static const char *const odd_hosts[] = {
    "1.2.3", "127.1", "0x7f.0.0.1", "0177.0.0.1", "00.1.2.3", "1.2.3.04",
    "256.1.1.1", ".a", "-a", "LOCALHOST", "[::1]", "h_x", "", "a%41",
    "user@h", "u:p@h", "1.2.3.4.", "9nine", "ex ample"};
  static const char *const ports[] = {"", "", "", ":80", ":443", ":8080", ":1",
                                      ":65535"};
  static const char *const odd_ports[] = {":65536", ":0", ":080", ":", ":8a", ":123456"};
  static const char *const segs[] = {
    "a", "b.c", "x.", "..x", "%2e", "%41", "%4a", "%", "%zz", "~u", "!", "$",
    "&", "'", "(", ")", "*", "+", ",", ";", "=", ":", "@", "", "index.html",
    "a=b", "..%2f", "?", "-_"};
  static const char *const odd_segs[] = {
    ".", "..", ".x", "%2E%2e", "%4A", "%2F", " ", "\"", "<", ">", "\\", "^",
    "`", "{", "|", "}", "#f", "\x7f", "\t", "\xc3\xa9", "[", "]"};
  size_t len = 0;
  unsigned i, n;

#define ADD(s) do { const char *s_ = (s); size_t l_ = strlen(s_); if (len + l_ < cap) { memcpy(out + len, s_, l_); len += l_; } } while (0)
#define PIECE(v) ADD(next(8) ? PICK(v) : PICK(odd_##v))
  PIECE(schemes);
  PIECE(hosts);
  PIECE(ports);
  n = next(5);
  for (i = 0; i < n; i++) {
    ADD(next(8) ? "/" : next(2) ? "//" : "");
    PIECE(segs);
    if (next(3) == 0)
      PIECE(segs);
  }
  if (next(3) == 0) {
    ADD("?");
    n = next(4);
    for (i = 0; i < n; i++) {
      PIECE(segs);
      ADD(next(2) ? "=" : "&");
    }
  }
#undef PIECE
#undef ADD
  out[len] = '\0';
}

static void test_same_as_libcurl(void **state)
{
  char url[512];
  int i, taken = 0, total = 20000;

  (void)state;
  for (i = 0; i < total; i++) {
    generate(url, sizeof url);
    taken += check(url);
  }
  printf("# %d of %d generated URLs taken by the fast path, each the same "
         "as libcurl's parse\n", taken, total);
  /* Enough taken for the comparison to mean something; enough declined
   * for the odd shapes to have been tried. */
  assert_true(taken > total / 20);
  assert_true(taken < total / 2);
}

/* One handle serves request after request on an easy handle: a URL of
 * the origin it was last set to changes only its path and query. Fed the
 * generated URLs in turn, three in four moved onto the last origin, it
 * reads back as libcurl's parse of each. */
static void test_cache_same_as_libcurl(void **state)
{
  struct ah__url_cache c = {0};
  char url[1200];
  int i, taken = 0, reused = 0;
  CURLU *prev = NULL;

  (void)state;
  for (i = 0; i < 20000; i++) {
    struct ah__plain pl;
    CURLU *u = NULL, *full;
    generate(url, 512);
    if (!ah__url_plain_scan(url, &pl))
      continue;
    if (c.origin_len != 0 && next(4) != 0) { /* its path on the last origin */
      char path[512];
      snprintf(path, sizeof path, "%s", url + pl.path);
      snprintf(url, sizeof url, "%.*s%s", (int)c.origin_len, c.origin, path);
      assert_true(ah__url_plain_scan(url, &pl));
    }
    reused += c.origin_len == pl.path && memcmp(c.origin, url, pl.path) == 0;
    assert_int_equal(ah__url_cache_set(&c, url, pl.path, &u), CURLUE_OK);
    assert_non_null(u);
    assert_true(prev == NULL || u == prev); /* the same handle, updated */
    prev = u;
    full = curl_url();
    assert_non_null(full);
    assert_int_equal(curl_url_set(full, CURLUPART_URL, url, 0), CURLUE_OK);
    assert_true(same_handle(u, full, url));
    curl_url_cleanup(full);
    taken++;
  }
  printf("# %d plain URLs through one handle, %d of them on its last origin\n",
         taken, reused);
  assert_true(taken > 1000);
  assert_true(reused > taken / 2 && reused < taken);
  ah__url_cache_free(&c);
}

/* What the fast path takes is what a fetch sends: the test server sees
 * the path and query as written. */
static void test_fetch_plain_url(void **state)
{
  /* A plain URL, and one with an escape that libcurl's parser takes: each
   * goes out as written, escape case kept. */
  static const struct { const char *path; int plain; } t[] = {
    {"/echo?a=1&b=A~", 1},
    {"/echo?a=1&b=%41%2f", 0},
  };
  ah_session *s = ah_session_new(NULL);
  size_t i;

  (void)state;
  for (i = 0; i < sizeof t / sizeof t[0]; i++) {
    ah_future *f;
    const ah_response *r;
    const char *body;
    size_t len;
    CURLU *u = NULL;
    assert_int_equal(ah__url_plain(tu_url(t[i].path), &u), t[i].plain);
    curl_url_cleanup(u);
    f = ah_session_fetch(s, tu_url(t[i].path), NULL);
    assert_int_equal(ah_future_wait(f, 10000), AH_OK);
    assert_int_equal(ah_future_error(f), AH_OK);
    r = ah_future_response(f);
    assert_int_equal(ah_response_status(r), 200);
    assert_string_equal(ah_response_url(r), tu_url(t[i].path));
    body = ah_response_body(r, &len);
    assert_non_null(strstr(body, t[i].path));
    ah_future_free(f);
  }
  ah_session_free(s);
}

/* One pooled easy handle serves URLs of two origins in turn (its kept
 * URL handle switches origin and back) and one that is not plain: each
 * request reaches the server with its own Host and path, and reports its
 * own URL. */
static void test_one_handle_two_origins(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_session *s;
  char url[128], host[64];
  int i;

  (void)state;
  ah_session_opts_set_max_connections(so, 1, 0); /* one slot, reused */
  s = ah_session_new(so);
  ah_session_opts_free(so);
  for (i = 0; i < 6; i++) {
    const char *name = i % 3 == 0 ? "127.0.0.1" : i % 3 == 1 ? "localhost" : "LocalHost";
    ah_future *f;
    const ah_response *r;
    const char *body;
    snprintf(url, sizeof url, "http://%s:%d/echo?n=%d", name, tu_port, i);
    snprintf(host, sizeof host, "header Host: %s:%d\n", name, tu_port);
    f = ah_session_fetch(s, url, NULL);
    assert_int_equal(ah_future_wait(f, 10000), AH_OK);
    assert_int_equal(ah_future_error(f), AH_OK);
    r = ah_future_response(f);
    body = ah_response_body(r, NULL);
    if (i % 3 == 2) /* not plain (uppercase host): libcurl's parse */
      assert_non_null(strstr(body, "header Host: LocalHost:"));
    else
      assert_non_null(strstr(body, host));
    snprintf(host, sizeof host, "target /echo?n=%d\n", i);
    assert_non_null(strstr(body, host));
    assert_string_equal(ah_response_url(r), url);
    ah_future_free(f);
  }
  ah_session_free(s);
}

/* A redirect's next URL: its Location resolved against the URL that
 * answered, the same on every libcurl release, or refused with the code
 * that names why. */
static void test_redirect_resolved(void **state)
{
  static const struct { const char *base, *loc, *want; int err; } t[] = {
    {"http://h/a/b?q=1", "/x", "http://h/x", AH_OK},
    {"http://h/a/b?q=1", "c?d", "http://h/a/c?d", AH_OK},
    {"http://h/a/b?q=1", "../c", "http://h/c", AH_OK},
    {"http://h/a/b?q=1", "//other:81/p", "http://other:81/p", AH_OK},
    {"https://h/a", "HTTP://X.test/", "http://X.test/", AH_OK},
    /* A fragment is never sent, and releases resolved "#f" apart. */
    {"http://h/a/b?q=1", "#frag", "http://h/a/b?q=1", AH_OK},
    {"http://h/a/b#old", "/x#new", "http://h/x", AH_OK},
    /* Spaces and raw UTF-8 go escaped; the host is not touched. */
    {"http://h/", "/a b?c d\xc3\xbc", "http://h/a%20b?c%20d%C3%BC", AH_OK},
    /* Credentials of the answering URL stay only with a relative one. */
    {"http://u:p@h/a", "b", "http://u:p@h/b", AH_OK},
    {"http://h/", "file:///etc/passwd", NULL, AH_EREDIRECTS},
    {"http://h/", "javascript:alert(1)", NULL, AH_EREDIRECTS},
    {"http://h/", "http://a b/", NULL, AH_EPROTO},
    {"http://h/", "http://h:99999/", NULL, AH_EPROTO},
    {"http://h/", "/x\x01y", NULL, AH_EPROTO}, /* the server's fault, not EINVAL */
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof t / sizeof *t; i++) {
    CURLU *base = curl_url(), *next = NULL;
    const char *why = NULL;
    char *got = NULL;
    int https = -1, err;
    assert_int_equal(curl_url_set(base, CURLUPART_URL, t[i].base, 0), CURLUE_OK);
    err = ah__url_redirect(base, t[i].loc, &next, &https, &why);
    if (err != t[i].err)
      fail_msg("%s + %s: %s (%s)", t[i].base, t[i].loc, ah_strerror(err), why);
    if (err == AH_OK) {
      curl_url_get(next, CURLUPART_URL, &got, 0);
      if (strcmp(got, t[i].want) != 0)
        fail_msg("%s + %s: %s, want %s", t[i].base, t[i].loc, got, t[i].want);
      assert_int_equal(https, strncmp(t[i].want, "https", 5) == 0);
      curl_free(got);
    } else {
      assert_null(next);
      assert_non_null(why);
    }
    curl_url_cleanup(next);
    curl_url_cleanup(base);
  }
}

/* Origins: scheme, host and port, the default port explicit, in any
 * case; an IPv6 zone is part of it. */
static void test_url_credentials_removed(void **state)
{
  static const char *cases[][2] = {
    {"http://u:p@h.test/x", "http://h.test/x"},
    {"https://user@h.test:8443/a?b=c@d", "https://h.test:8443/a?b=c@d"},
    {"http://h.test/path@x", "http://h.test/path@x"},
    {"http://a@b@h.test/", "http://h.test/"},
    {"http://h.test", "http://h.test"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *u = ah__url_without_credentials(cases[i][0]);
    assert_string_equal(u, cases[i][1]);
    ah__free(u);
  }
}

/* The host a rate limit and the cookie jar are keyed by: the same from a
 * plain URL's string as from libcurl's parse of it. */
static void test_host(void **state)
{
  static const struct { const char *url, *host; } t[] = {
    {"http://example.com/a", "example.com"},
    {"http://u:p@Example.COM:8080/a?q", NULL},
    {"http://[::1]:8080/", "[::1]"},
    {"https://127.0.0.1/x", "127.0.0.1"},
  };
  char plain[256], parsed[256], tiny[4];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof t / sizeof *t; i++) {
    CURLU *u = curl_url();
    assert_int_equal(curl_url_set(u, CURLUPART_URL, t[i].url, 0), CURLUE_OK);
    assert_int_equal(ah__url_host(u, NULL, parsed, sizeof parsed), 0);
    if (t[i].host != NULL)
      assert_string_equal(parsed, t[i].host);
    if (ah__url_host(NULL, t[i].url, plain, sizeof plain) == 0)
      assert_string_equal(plain, parsed); /* when the fast path takes it */
    assert_int_equal(ah__url_host(u, NULL, tiny, sizeof tiny), -1);
    curl_url_cleanup(u);
  }
  assert_int_equal(ah__url_host(NULL, NULL, plain, sizeof plain), -1);
}

static void test_origins(void **state)
{
  static const struct { const char *a, *b; int same; } t[] = {
    {"http://h/", "http://H:80/x", 1},
    {"https://h/", "https://h:443/", 1},
    {"http://h/", "https://h/", 0},
    {"http://h/", "http://h:81/", 0},
    {"http://h/", "http://g/", 0},
    {"http://[fe80::1%25eth0]/", "http://[fe80::1%25eth1]/", 0},
    {"http://u:p@h/", "http://h/", 1},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof t / sizeof *t; i++) {
    CURLU *a = curl_url(), *b = curl_url();
    char *oa, *ob;
    curl_url_set(a, CURLUPART_URL, t[i].a, 0);
    curl_url_set(b, CURLUPART_URL, t[i].b, 0);
    oa = ah__url_origin(a);
    ob = ah__url_origin(b);
    assert_non_null(oa);
    assert_non_null(ob);
    if ((strcmp(oa, ob) == 0) != t[i].same)
      fail_msg("%s (%s) vs %s (%s)", t[i].a, oa, t[i].b, ob);
    ah__free(oa);
    ah__free(ob);
    curl_url_cleanup(a);
    curl_url_cleanup(b);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_plain_urls_taken),
    TU_TEST(test_others_declined),
    TU_TEST(test_same_as_libcurl),
    TU_TEST(test_cache_same_as_libcurl),
    TU_TEST(test_fetch_plain_url),
    TU_TEST(test_one_handle_two_origins),
    TU_TEST(test_redirect_resolved),
    TU_TEST(test_url_credentials_removed),
    TU_TEST(test_host),
    TU_TEST(test_origins),
  };
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
