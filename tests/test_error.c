/* test_error.c - error texts and the CURLcode + errno + state mapping. */
#include <errno.h>
#include <string.h>

#include "error.h"
#include "testutil.h"

static int map_tls(CURLcode rc, long err, int tls)
{
  struct ah__failure f;
  memset(&f, 0, sizeof f);
  f.rc = rc;
  f.os_errno = err;
  f.real_oom = 0;
  f.headers_done = 1;
  f.tls_layer = tls;
  return ah__error_from_curl(&f);
}

static int map(CURLcode rc, long err, int oom, int headers_done)
{
  struct ah__failure f;
  memset(&f, 0, sizeof f);
  f.tls_layer = 0;
  f.rc = rc;
  f.os_errno = err;
  f.real_oom = oom;
  f.headers_done = headers_done;
  return ah__error_from_curl(&f);
}

static void test_same_code_different_causes(void **state)
{
  (void)state;
  /* A reset carries its errno; an invalid chunk does not. */
  assert_int_equal(map(CURLE_RECV_ERROR, ECONNRESET, 0, 1), AH_EIO);
  assert_int_equal(map(CURLE_RECV_ERROR, 0, 0, 1), AH_EPROTO);
  /* Out of descriptors is not a refused connection or a DNS failure. */
  assert_int_equal(map(CURLE_COULDNT_CONNECT, ECONNREFUSED, 0, 0), AH_ECONNECT);
  assert_int_equal(map(CURLE_COULDNT_CONNECT, EMFILE, 0, 0), AH_ENOFD);
  assert_int_equal(map(CURLE_COULDNT_RESOLVE_HOST, 0, 0, 0), AH_ERESOLVE);
  assert_int_equal(map(CURLE_COULDNT_RESOLVE_HOST, ENFILE, 0, 0), AH_ENOFD);
  /* "Out of memory" from libcurl is only ENOMEM when an allocation failed. */
  assert_int_equal(map(CURLE_OUT_OF_MEMORY, 0, 1, 0), AH_ENOMEM);
  assert_int_equal(map(CURLE_OUT_OF_MEMORY, 0, 0, 0), AH_ETOOLARGE);
  /* A TLS alert after the handshake is a TLS failure, not a protocol one. */
  assert_int_equal(map_tls(CURLE_RECV_ERROR, 0, 1), AH_ETLS);
  assert_int_equal(map_tls(CURLE_SEND_ERROR, 0, 1), AH_ETLS);
  assert_int_equal(map_tls(CURLE_RECV_ERROR, 0, 0), AH_EPROTO);
  /* HTTP/0.9 and garbage: the scheme was already checked. */
  assert_int_equal(map(CURLE_UNSUPPORTED_PROTOCOL, 0, 0, 0), AH_EPROTO);
  /* After the headers, a trailer line libcurl's header store refused
   * (7.88, 8.5: no colon); before them a bad argument. */
  assert_int_equal(map(CURLE_BAD_FUNCTION_ARGUMENT, 0, 0, 1), AH_EPROTO);
  assert_int_equal(map(CURLE_BAD_FUNCTION_ARGUMENT, 0, 0, 0), AH_EINVAL);
}

static void test_table(void **state)
{
  static const struct { CURLcode rc; int code; } t[] = {
    {CURLE_OK, AH_OK},
    {CURLE_URL_MALFORMAT, AH_EINVAL},
    {CURLE_OPERATION_TIMEDOUT, AH_ETIMEDOUT},
    {CURLE_PEER_FAILED_VERIFICATION, AH_ETLS},
    {CURLE_SSL_CONNECT_ERROR, AH_ETLS},
    {CURLE_SSL_CACERT_BADFILE, AH_ETLS},
    {CURLE_TOO_MANY_REDIRECTS, AH_EREDIRECTS},
    {CURLE_SEND_ERROR, AH_EIO},
    {CURLE_GOT_NOTHING, AH_EPROTO},
    {CURLE_PARTIAL_FILE, AH_EPROTO},
    {CURLE_BAD_CONTENT_ENCODING, AH_EPROTO},
    {CURLE_WEIRD_SERVER_REPLY, AH_EPROTO},
    {CURLE_HTTP2_STREAM, AH_EPROTO},
    {CURLE_FILESIZE_EXCEEDED, AH_ETOOLARGE},
    {CURLE_ABORTED_BY_CALLBACK, AH_ECANCELED},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof t / sizeof *t; i++)
    assert_int_equal(map(t[i].rc, 0, 0, 1), t[i].code);
}

static void test_every_code_has_its_own_text(void **state)
{
  int a, b;

  (void)state;
  for (a = AH_ENOTSUP; a <= AH_OK; a++) {
    assert_non_null(ah_strerror(a));
    assert_string_not_equal(ah_strerror(a), ah_strerror(-999));
    for (b = AH_ENOTSUP; b < a; b++)
      assert_string_not_equal(ah_strerror(a), ah_strerror(b));
  }
  assert_string_equal(ah_strerror(12345), "unknown error code");
}

/* Each code's name is its enumerator's, spelled as in ahttp.h. */
static void test_every_code_has_its_name(void **state)
{
  static const struct { int code; const char *name; } t[] = {
    {AH_OK, "AH_OK"}, {AH_EINVAL, "AH_EINVAL"}, {AH_ENOMEM, "AH_ENOMEM"},
    {AH_ERESOLVE, "AH_ERESOLVE"}, {AH_ECONNECT, "AH_ECONNECT"},
    {AH_ETLS, "AH_ETLS"}, {AH_ETIMEDOUT, "AH_ETIMEDOUT"},
    {AH_EPROTO, "AH_EPROTO"}, {AH_EIO, "AH_EIO"}, {AH_ETOOLARGE, "AH_ETOOLARGE"},
    {AH_EREDIRECTS, "AH_EREDIRECTS"}, {AH_ECANCELED, "AH_ECANCELED"},
    {AH_EPENDING, "AH_EPENDING"}, {AH_EBUSY, "AH_EBUSY"}, {AH_EINTR, "AH_EINTR"},
    {AH_ENOFD, "AH_ENOFD"}, {AH_ESTOPPED, "AH_ESTOPPED"},
    {AH_ENOTSUP, "AH_ENOTSUP"},
  };
  size_t i;

  (void)state;
  /* The table covers every code from AH_OK down to the last. */
  assert_int_equal(sizeof t / sizeof *t, (size_t)(AH_OK - AH_ENOTSUP + 1));
  for (i = 0; i < sizeof t / sizeof *t; i++)
    assert_string_equal(ah_errname(t[i].code), t[i].name);
  assert_string_equal(ah_errname(AH_ENOTSUP - 1), "AH_EUNKNOWN");
  assert_string_equal(ah_errname(1), "AH_EUNKNOWN");
}

/* A failure's code is one of these: never AH_OK or AH_EPENDING. */
static int is_failure(int code)
{
  return code < AH_OK && code >= AH_ENOTSUP && code != AH_EPENDING;
}

/* Every CURLcode of the headers this test is built with (each libcurl leg
 * builds it against its own) has a row, and the libcurl running knows no
 * code past the table: a release that adds one fails here, on its leg. */
static void test_every_curl_code_has_a_row(void **state)
{
  long rc;

  (void)state;
  for (rc = 1; rc < CURL_LAST; rc++) {
    if (!ah__error_curl_known(rc))
      fail_msg("CURLcode %ld (%s) has no row", rc, curl_easy_strerror((CURLcode)rc));
    assert_true(is_failure(map((CURLcode)rc, 0, 0, 1)));
    assert_true(is_failure(map((CURLcode)rc, ECONNRESET, 1, 0)));
  }
  assert_true(CURL_LAST <= AH__CURLE_ROWS);
  for (rc = AH__CURLE_ROWS; rc < AH__CURLE_ROWS + 64; rc++)
    if (strcmp(curl_easy_strerror((CURLcode)rc), "Unknown error") != 0)
      fail_msg("libcurl %s knows CURLcode %ld (%s), which has no row",
               curl_version_info(CURLVERSION_NOW)->version, rc,
               curl_easy_strerror((CURLcode)rc));
  /* Codes newer than 7.88's headers, by number. */
  assert_int_equal(map((CURLcode)100, 0, 0, 0), AH_ETOOLARGE); /* TOO_LARGE */
  assert_int_equal(map((CURLcode)100, 0, 0, 1), AH_EPROTO);    /* a trailer line */
  assert_int_equal(map(CURLE_NOT_BUILT_IN, 0, 0, 0), AH_ENOTSUP);
  assert_int_equal(map((CURLcode)101, 0, 0, 0), AH_ETLS);      /* ECH_REQUIRED */
  /* Past the table: still a failure, never success. */
  assert_int_equal(map((CURLcode)AH__CURLE_ROWS, 0, 0, 0), AH_EIO);
  assert_int_equal(map((CURLcode)-5, 0, 0, 0), AH_EIO);
}

static void test_every_multi_code_has_a_row(void **state)
{
  long mc;

  (void)state;
  assert_int_equal(ah__error_from_multi(CURLM_OK), AH_OK);
  for (mc = 1; mc < CURLM_LAST; mc++) {
    if (!ah__error_multi_known(mc))
      fail_msg("CURLMcode %ld (%s) has no row", mc, curl_multi_strerror((CURLMcode)mc));
    assert_true(is_failure(ah__error_from_multi((CURLMcode)mc)));
  }
  assert_true(CURLM_LAST <= AH__CURLM_ROWS);
  for (mc = AH__CURLM_ROWS; mc < AH__CURLM_ROWS + 64; mc++)
    if (strcmp(curl_multi_strerror((CURLMcode)mc), "Unknown error") != 0)
      fail_msg("libcurl knows CURLMcode %ld (%s), which has no row", mc,
               curl_multi_strerror((CURLMcode)mc));
  assert_int_equal(ah__error_from_multi(CURLM_OUT_OF_MEMORY), AH_ENOMEM);
  assert_int_equal(ah__error_from_multi((CURLMcode)AH__CURLM_ROWS), AH_EIO);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_same_code_different_causes),
    TU_TEST(test_table),
    TU_TEST(test_every_curl_code_has_a_row),
    TU_TEST(test_every_multi_code_has_a_row),
    TU_TEST(test_every_code_has_its_own_text),
    TU_TEST(test_every_code_has_its_name),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
