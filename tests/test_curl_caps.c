/* test_curl_caps.c - what differs between libcurl releases is decided
 * from the libcurl that runs (curl_version_info), never from the headers
 * ahttp was built against. The make check-libcurl legs run this file on
 * 7.88, 8.5 and 8.21, built against each and built against 7.88 only. */
#include <stdlib.h>
#include <string.h>

#include "ahttp.h"
#include "curl_caps.h"
#include "testutil.h"

static curl_version_info_data made_up(unsigned num, const char *version, int features)
{
  curl_version_info_data v;

  memset(&v, 0, sizeof v);
  v.version_num = num;
  v.version = version;
  v.features = features;
  return v;
}

/* Only what the running libcurl decodes is offered. */
static void test_accept_encoding_follows_the_decoders(void **state)
{
  static const struct { int features; const char *want; } t[] = {
    {CURL_VERSION_LIBZ | CURL_VERSION_BROTLI | CURL_VERSION_ZSTD,
     "Accept-Encoding: deflate, gzip, br, zstd"},
    {CURL_VERSION_LIBZ, "Accept-Encoding: deflate, gzip"},
    {CURL_VERSION_LIBZ | CURL_VERSION_ZSTD, "Accept-Encoding: deflate, gzip, zstd"},
    {CURL_VERSION_BROTLI, "Accept-Encoding: br"},
    {CURL_VERSION_ZSTD | CURL_VERSION_SSL, "Accept-Encoding: zstd"},
    {CURL_VERSION_SSL, NULL},
  };
  struct ah__curl_caps c;
  struct ah__curl_caps_room room;
  size_t i;

  (void)state;
  for (i = 0; i < sizeof t / sizeof t[0]; i++) {
    curl_version_info_data v = made_up(0x081500, "8.21.0", t[i].features);
    ah__curl_caps_read(&c, &room, &v);
    if (t[i].want == NULL)
      assert_null(c.accept_encoding);
    else
      assert_string_equal(c.accept_encoding, t[i].want);
  }
}

/* The version decides support and the h2c reuse workaround. */
static void test_version_decides(void **state)
{
  struct ah__curl_caps c;
  struct ah__curl_caps_room room;
  curl_version_info_data v;

  (void)state;
  v = made_up(0x075000, "7.80.0", CURL_VERSION_LIBZ);
  ah__curl_caps_read(&c, &room, &v);
  assert_false(c.supported);
  assert_non_null(strstr(c.why, "7.80.0"));
  assert_non_null(strstr(c.why, "7.88.1"));
  v = made_up(0x075800, "7.88.0", 0);
  ah__curl_caps_read(&c, &room, &v);
  assert_false(c.supported);
  v = made_up(0x075801, "7.88.1", 0);
  ah__curl_caps_read(&c, &room, &v);
  assert_true(c.supported);
  assert_null(c.why);
  assert_true(c.h2c_reuse_broken);
  v = made_up(0x080500, "8.5.0", 0);
  ah__curl_caps_read(&c, &room, &v);
  assert_true(c.supported);
  assert_false(c.h2c_reuse_broken);
}

/* On the libcurl running: supported, and the prebuilt Accept-Encoding is
 * byte for byte what this libcurl sends for CURLOPT_ACCEPT_ENCODING ""
 * (the header ahttp replaces), as seen by the test server. */
static void test_running_libcurl(void **state)
{
  const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
  const char *why = "unset";
  char line[160];
  ah_session *s;
  ah_future *f;
  const char *body;
  CURL *e;
  FILE *mem;
  char *raw = NULL;
  size_t rawlen = 0;

  (void)state;
  assert_int_equal(ah_libcurl_check(&why), AH_OK);
  assert_null(why);
  assert_int_equal(ah_libcurl_check(NULL), AH_OK);
  assert_int_equal(ah__curl_caps()->version_num, v->version_num);
  assert_int_equal(ah__curl_caps()->h2c_reuse_broken, v->version_num < 0x080000);

  /* libcurl's own header, from a plain easy handle. */
  mem = open_memstream(&raw, &rawlen);
  e = curl_easy_init();
  curl_easy_setopt(e, CURLOPT_URL, tu_url("/echo"));
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(e, CURLOPT_WRITEDATA, mem);
  assert_int_equal(curl_easy_perform(e), CURLE_OK);
  curl_easy_cleanup(e);
  fclose(mem);
  assert_non_null(ah__curl_caps()->accept_encoding);
  snprintf(line, sizeof line, "header %s\n", ah__curl_caps()->accept_encoding);
  if (strstr(raw, line) == NULL)
    fail_msg("libcurl %s sent:\n%s\nahttp offers: %s", v->version, raw, line);

  /* ahttp sends it once. */
  s = ah_session_new(NULL);
  f = ah_session_fetch(s, tu_url("/echo"), NULL);
  assert_int_equal(ah_future_wait(f, 10000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_OK);
  body = ah_response_body(ah_future_response(f), NULL);
  assert_non_null(strstr(body, line));
  assert_null(strstr(strstr(body, line) + strlen(line), "Accept-Encoding"));
  ah_future_free(f);
  ah_session_free(s);
  free(raw);
}

/* A libcurl built without TLS or nghttp2 (features read at run time):
 * https and an explicit HTTP/2 fail at once with AH_ENOTSUP and a reason,
 * plain http still works, and the default version falls back to 1.1
 * rather than failing every request. Pretended on the libcurl running. */
static void test_without_tls_or_http2(void **state)
{
  struct ah__curl_caps c = *ah__curl_caps();
  ah_session_opts *so = ah_session_opts_new();
  ah_session *s;
  ah_future *f;
  curl_version_info_data v;
  struct ah__curl_caps_room room;
  struct ah__curl_caps r;

  (void)state;
  v = made_up(0x081500, "8.21.0", CURL_VERSION_SSL | CURL_VERSION_HTTP2);
  ah__curl_caps_read(&r, &room, &v);
  assert_true(r.tls && r.http2);
  v = made_up(0x081500, "8.21.0", CURL_VERSION_LIBZ);
  ah__curl_caps_read(&r, &room, &v);
  assert_false(r.tls || r.http2);

  c.tls = 0;
  c.http2 = 0;
  ah__curl_caps_pretend(&c);
  s = ah_session_new(NULL);
  f = ah_session_fetch(s, "https://127.0.0.1:1/", NULL);
  assert_int_equal(ah_future_wait(f, 5000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_ENOTSUP);
  assert_non_null(strstr(ah_future_errmsg(f), "without TLS"));
  ah_future_free(f);
  f = ah_session_fetch(s, tu_url("/echo"), NULL);
  assert_int_equal(ah_future_wait(f, 5000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_int_equal(ah_response_http_version(ah_future_response(f)), 11);
  ah_future_free(f);
  ah_session_free(s);
  ah_session_opts_set_http_version(so, AH_HTTP_2_PRIOR_KNOWLEDGE);
  s = ah_session_new(so);
  f = ah_session_fetch(s, tu_url("/echo"), NULL);
  assert_int_equal(ah_future_wait(f, 5000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_ENOTSUP);
  assert_non_null(strstr(ah_future_errmsg(f), "HTTP/2"));
  ah_future_free(f);
  ah_session_free(s);
  ah__curl_caps_pretend(NULL);
  ah_session_opts_free(so);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_accept_encoding_follows_the_decoders),
    TU_TEST(test_version_decides),
    TU_TEST(test_running_libcurl),
    TU_TEST(test_without_tls_or_http2),
  };
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
