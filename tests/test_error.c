/* test_error.c - error texts and the CURLcode + errno + state mapping. */
#include <errno.h>
#include <string.h>

#include "error.h"
#include "testutil.h"

static int map_tls(CURLcode rc, long err, int tls)
{
  struct ah__failure f;
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
  for (a = AH_ENOFD; a <= AH_OK; a++) {
    assert_non_null(ah_strerror(a));
    assert_string_not_equal(ah_strerror(a), ah_strerror(-999));
    for (b = AH_ENOFD; b < a; b++)
      assert_string_not_equal(ah_strerror(a), ah_strerror(b));
  }
  assert_string_equal(ah_strerror(12345), "unknown error code");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_same_code_different_causes),
    TU_TEST(test_table),
    TU_TEST(test_every_code_has_its_own_text),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
