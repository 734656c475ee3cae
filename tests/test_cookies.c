/* test_cookies.c - lib/cookies.c: the jar's caps. On a handle of its own
 * first (a jar of many domains, a response that set cookies in one), then
 * a server that sets 50 new cookies on every response: the jar stays
 * within its cap, the cookies it held before stay, and requests keep
 * their speed. */
#include <ahttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cookies.h"
#include "response.h"
#include "rx.h"
#include "testutil.h"

static size_t jar_size(CURL *e, const char *domain)
{
  struct curl_slist *list = NULL, *l;
  size_t n = 0;

  assert_int_equal(curl_easy_getinfo(e, CURLINFO_COOKIELIST, &list), CURLE_OK);
  for (l = list; l; l = l->next) {
    const char *x = l->data;
    int tabs = 0;
    while (*x && tabs < 4)
      tabs += *x++ == '\t';
    if (strncmp(x, "1\t", 2) == 0)
      continue; /* expired by the cap: libcurl drops it at its next look */
    n += domain == NULL || strstr(l->data, domain) != NULL;
  }
  curl_slist_free_all(list);
  return n;
}

static void add(CURL *e, const char *domain, const char *name)
{
  char line[256];

  snprintf(line, sizeof line, "%s\tFALSE\t/\tFALSE\t0\t%s\tv", domain, name);
  assert_int_equal(curl_easy_setopt(e, CURLOPT_COOKIELIST, line), CURLE_OK);
}

/* A response from a.test set 30 cookies; the jar holds 40 of a.test
 * before and 100 of others: with caps of 50 per domain and 150 in all,
 * 20 of the new ones go; none held before, none of another domain. With
 * a lower total the new ones go down to it. */
static void test_caps(void **state)
{
  CURL *e = curl_easy_init();
  CURLSH *share = curl_share_init();
  struct ah__rx *rx = ah__rx_new(1 << 20, 1 << 20, 0);
  const char *why;
  char line[128], name[32];
  int i;

  (void)state;
  curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
  curl_easy_setopt(e, CURLOPT_SHARE, share); /* as a session's handles */
  for (i = 0; i < 40; i++) {
    snprintf(name, sizeof name, "old%d", i);
    add(e, "a.test", name);
  }
  for (i = 0; i < 100; i++) {
    snprintf(name, sizeof name, "other%d", i);
    add(e, i % 2 ? "b.test" : "c.test", name);
  }
  ah__rx_header_line(rx, "HTTP/1.1 200 OK\r\n", 17, &why);
  for (i = 0; i < 30; i++) {
    snprintf(name, sizeof name, "new%d", i);
    add(e, "a.test", name);
    snprintf(line, sizeof line, "Set-Cookie: new%d=v\r\n", i);
    assert_int_equal(ah__rx_header_line(rx, line, strlen(line), &why), AH_OK);
  }
  ah__rx_header_line(rx, "\r\n", 2, &why);
  assert_int_equal(jar_size(e, NULL), 170);
  ah__cookies_bound(e, share, rx, "a.test", 50, 150);
  /* Expired now; libcurl lets them go at its next look. */
  assert_int_equal(jar_size(e, NULL), 150);
  assert_int_equal(jar_size(e, "a.test"), 50);
  assert_int_equal(jar_size(e, "\told"), 40);
  assert_int_equal(jar_size(e, "\tother"), 100);
  ah__cookies_bound(e, share, rx, "a.test", 50, 145);
  assert_int_equal(jar_size(e, NULL), 145);
  assert_int_equal(jar_size(e, "\told"), 40);
  /* A host that could not have set them (another domain): nothing goes. */
  ah__cookies_bound(e, share, rx, "z.test", 1, 1);
  assert_int_equal(jar_size(e, NULL), 145);
  ah__rx_free(rx);
  curl_easy_cleanup(e);
  curl_share_cleanup(share);
}

static size_t cookies_saved(ah_session *s)
{
  char path[64], line[512];
  FILE *fp;
  size_t n = 0;

  snprintf(path, sizeof path, "/tmp/ahttp-jar-%d", (int)getpid());
  assert_int_equal(ah_session_cookies_save(s, path), AH_OK);
  fp = fopen(path, "r");
  assert_non_null(fp);
  while (fgets(line, sizeof line, fp))
    n += line[0] != '#' && line[0] != '\n';
  fclose(fp);
  remove(path);
  return n;
}

/* 50 new cookies on every response, 40 responses: the jar stays at its
 * cap for the host, a cookie set before stays and is still sent. */
static void test_flood_held(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_future *f;
  int i;

  (void)state;
  f = ah_session_fetch(s, tu_url("/set-cookie/keep/1"), NULL);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  ah_future_free(f);
  for (i = 0; i < 40; i++) {
    f = ah_session_fetch(s, tu_url("/set-cookies/flood/50"), NULL);
    assert_int_equal(ah_future_wait(f, 10000), AH_OK);
    assert_int_equal(ah_future_error(f), AH_OK);
    ah_future_free(f);
  }
  {
    size_t n = cookies_saved(s);
    ah_cookies *jar;
    if (n > AH__COOKIES_PER_DOMAIN || n < AH__COOKIES_PER_DOMAIN - 50)
      fail_msg("%zu cookies in the jar after 2,000 were set", n);
    /* The list shows the jar as it is: the expired flood is not in it. */
    assert_int_equal(ah_session_cookies_list(s, "127.0.0.1", &jar), AH_OK);
    assert_int_equal(ah_cookies_count(jar), n);
    ah_cookies_free(jar);
  }
  f = ah_session_fetch(s, tu_url("/echo"), NULL);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_non_null(strstr(ah_response_body(ah_future_response(f), NULL), "keep=1"));
  ah_future_free(f);
  ah_session_free(s);
}

static const char *field(const ah_cookies *c, const char *name, int what)
{
  size_t i;

  for (i = 0; i < ah_cookies_count(c); i++)
    if (strcmp(ah_cookies_name(c, i), name) == 0)
      return what == 'v' ? ah_cookies_value(c, i) : what == 'd' ? ah_cookies_domain(c, i)
                                                               : ah_cookies_path(c, i);
  return NULL;
}

static int flags_of(const ah_cookies *c, const char *name)
{
  size_t i;

  for (i = 0; i < ah_cookies_count(c); i++)
    if (strcmp(ah_cookies_name(c, i), name) == 0)
      return ah_cookies_flags(c, i);
  return -2;
}

static size_t listed(ah_session *s, const char *host)
{
  ah_cookies *c;
  size_t n;

  assert_int_equal(ah_session_cookies_list(s, host, &c), AH_OK);
  n = ah_cookies_count(c);
  ah_cookies_free(c);
  return n;
}

/* The jar as an API: a copy of it, every cookie's fields, filtered by
 * the host they would go to (RFC 6265 domain match: the host itself, its
 * parent domains for a cookie of subdomains, any case), expired cookies
 * left out; cleared for a host or in full. The copy stays readable after
 * the jar changes; what was cleared is no longer sent. */
static void test_jar_api(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_session *s = ah_session_new(NULL), *off;
  char path[] = "/tmp/ahttp-jar-XXXXXX", host[64];
  int fd = mkstemp(path);
  ah_cookies *all;
  ah_future *f;
  FILE *fp;

  (void)state;
  assert_true(fd >= 0);
  assert_non_null(fp = fdopen(fd, "w"));
  fprintf(fp, ".example.com\tTRUE\t/\tTRUE\t%lld\tsub\tx\n"
              "#HttpOnly_www.example.com\tFALSE\t/p\tFALSE\t0\thost\ty=z\n"
              "old.example.com\tFALSE\t/\tFALSE\t%lld\tgone\tz\n",
          (long long)time(NULL) + 3600, (long long)time(NULL) - 3600);
  fclose(fp);
  assert_int_equal(ah_session_cookies_load(s, path), AH_OK);
  unlink(path);
  ah_future_free(tu_fetch(s, tu_url("/set-cookie/a/1"), NULL));
  snprintf(host, sizeof host, "http://localhost:%d/set-cookie/b/2", tu_port);
  ah_future_free(tu_fetch(s, host, NULL));

  assert_int_equal(ah_session_cookies_list(s, NULL, &all), AH_OK);
  assert_int_equal(ah_cookies_count(all), 4);
  assert_string_equal(field(all, "a", 'v'), "1");
  assert_string_equal(field(all, "a", 'd'), "127.0.0.1");
  assert_string_equal(field(all, "b", 'd'), "localhost");
  assert_string_equal(field(all, "sub", 'd'), "example.com");
  assert_string_equal(field(all, "host", 'v'), "y=z");
  assert_string_equal(field(all, "host", 'p'), "/p");
  assert_null(field(all, "gone", 'v'));
  assert_int_equal(flags_of(all, "sub"), AH_COOKIE_SECURE | AH_COOKIE_SUBDOMAINS);
  assert_int_equal(flags_of(all, "host"), AH_COOKIE_HTTP_ONLY);
  assert_int_equal(flags_of(all, "a"), 0);
  assert_int_equal(ah_cookies_expires(all, 0) >= 0, 1);
  assert_null(ah_cookies_name(all, 4));
  assert_null(ah_cookies_value(all, 99));
  assert_int_equal(ah_cookies_expires(all, 4), -1);
  assert_int_equal(ah_cookies_flags(all, 4), -1);

  /* Filtered by the host they would go to. */
  assert_int_equal(listed(s, "127.0.0.1"), 1);
  assert_int_equal(listed(s, "www.example.com"), 2);
  assert_int_equal(listed(s, "WWW.Example.COM"), 2);
  assert_int_equal(listed(s, "example.com"), 1);
  assert_int_equal(listed(s, "a.b.example.com"), 1);
  assert_int_equal(listed(s, "x.www.example.com"), 1); /* host is www's alone */
  assert_int_equal(listed(s, "badexample.com"), 0);
  assert_int_equal(listed(s, "nowhere.test"), 0);

  /* Cleared for a host: what would go there; the rest stays, and the
   * copy taken before is unchanged. */
  assert_int_equal(ah_session_cookies_clear(s, "www.example.com"), AH_OK);
  assert_int_equal(listed(s, NULL), 2);
  assert_int_equal(listed(s, "example.com"), 0);
  assert_int_equal(ah_cookies_count(all), 4);
  assert_string_equal(field(all, "host", 'v'), "y=z");
  ah_cookies_free(all);
  assert_int_equal(ah_session_cookies_clear(s, "127.0.0.1"), AH_OK);
  assert_int_equal(listed(s, NULL), 1);
  f = tu_fetch(s, tu_url("/echo"), NULL);
  assert_null(strstr(tu_body(f), "a=1"));
  ah_future_free(f);
  snprintf(host, sizeof host, "http://localhost:%d/echo", tu_port);
  f = tu_fetch(s, host, NULL);
  assert_non_null(strstr(tu_body(f), "header Cookie: b=2\n"));
  ah_future_free(f);
  /* In full. */
  assert_int_equal(ah_session_cookies_clear(s, NULL), AH_OK);
  assert_int_equal(listed(s, NULL), 0);
  f = tu_fetch(s, host, NULL);
  assert_null(strstr(tu_body(f), "Cookie"));
  ah_future_free(f);

  /* Bad input; a session without a jar has an empty one. */
  assert_int_equal(ah_session_cookies_list(NULL, NULL, &all), AH_EINVAL);
  assert_null(all);
  assert_int_equal(ah_session_cookies_list(s, NULL, NULL), AH_EINVAL);
  assert_int_equal(ah_session_cookies_clear(NULL, NULL), AH_EINVAL);
  assert_int_equal(ah_cookies_count(NULL), 0);
  assert_null(ah_cookies_name(NULL, 0));
  ah_cookies_free(NULL);
  ah_session_opts_set_cookies(so, 0);
  off = ah_session_new(so);
  ah_future_free(tu_fetch(off, tu_url("/set-cookie/a/1"), NULL));
  assert_int_equal(ah_session_cookies_list(off, NULL, &all), AH_OK);
  assert_int_equal(ah_cookies_count(all), 0);
  ah_cookies_free(all);
  assert_int_equal(ah_session_cookies_clear(off, NULL), AH_OK);
  ah_session_free(off);
  ah_session_opts_free(so);
  ah_session_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_caps),
    TU_TEST(test_flood_held),
    TU_TEST(test_jar_api),
  };
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
