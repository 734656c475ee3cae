/* test_rx.c - the receiver: header and body accumulation, limits and
 * checks, without any network. */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "journey.h"
#include "response.h"
#include "rx.h"
#include "testutil.h"

#define LINE(r, s) ah__rx_header_line(r, s, strlen(s), &why)

static void test_blocks_and_final_headers(void **state)
{
  struct ah__rx *r = ah__rx_new(1000, 4096, AH__FOLLOW_ALL);
  const char *why = NULL, *n, *v;
  ah_response *res;

  (void)state;
  assert_int_equal(LINE(r, "HTTP/1.1 100 Continue\r\n"), AH_OK);
  assert_int_equal(LINE(r, "\r\n"), AH_OK);
  assert_int_equal(LINE(r, "HTTP/1.1 302 Found\r\n"), AH_OK);
  assert_int_equal(LINE(r, "Location: /next\r\n"), AH_OK);
  assert_int_equal(LINE(r, "\r\n"), AH_OK);
  assert_int_equal(LINE(r, "HTTP/2 200 \r\n"), AH_OK);
  assert_int_equal(ah__rx_headers_complete(r), 0);
  assert_int_equal(LINE(r, "Content-Type: a/b\r\n"), AH_OK);
  assert_int_equal(LINE(r, "X-Y:\tspaced \r\n"), AH_OK);
  /* White space before the colon (RFC 9112 section 5.1): trimmed from
   * the name (it was stored as "X-Sp "); a name of only white space is
   * no header. */
  assert_int_equal(LINE(r, "X-Sp \t: v\r\n"), AH_OK);
  assert_int_equal(LINE(r, "\r\n"), AH_OK);
  assert_int_equal(ah__rx_headers_complete(r), 1);
  /* Trailers after the body are not headers of the response. */
  assert_int_equal(LINE(r, "X-Trailer: t\r\n"), AH_OK);
  assert_int_equal(r->trailing, 1);
  assert_int_equal(r->status, 200);
  res = ah__response_build(r, "http://u:pw@h.test/x", 200, NULL);
  ah__rx_free(r); /* the result stands alone */
  assert_non_null(res);
  assert_int_equal(ah_response_status(res), 200);
  assert_int_equal(ah_response_header_count(res), 3);
  assert_null(ah_response_header(res, "location"));
  assert_string_equal(ah_response_header(res, "x-y"), "spaced");
  assert_string_equal(ah_response_header(res, "x-sp"), "v");
  assert_int_equal(ah_response_header_at(res, 0, &n, &v), AH_OK);
  assert_string_equal(n, "Content-Type");
  assert_string_equal(v, "a/b");
  assert_string_equal(ah_response_url(res), "http://h.test/x");
  assert_string_equal(ah_response_body(res, NULL), "");
  /* ... they are its trailers; HTTP/2 has no reason phrase. */
  assert_int_equal(ah_response_trailer_count(res), 1);
  assert_string_equal(ah_response_trailer(res, "x-trailer"), "t");
  assert_string_equal(ah_response_reason(res), "");
  ah__response_free(res);
  ah__response_free(NULL);
  ah__rx_free(NULL);
}

static void test_status_line_checked(void **state)
{
  struct ah__rx *r = ah__rx_new(1000, 4096, AH__FOLLOW_ALL);
  const char *why = NULL;

  (void)state;
  assert_int_equal(LINE(r, "HTTP/1.1 abc\r\n"), AH_EPROTO);
  assert_non_null(why);
  ah__rx_free(r);
}

/* The reason phrase is the final status line's, trimmed, kept with the
 * header text; a status line without one, or HTTP/2's, gives "". */
static void test_reason_phrase(void **state)
{
  struct ah__rx *r = ah__rx_new(1000, 4096, AH__FOLLOW_ALL);
  const char *why = NULL;
  ah_response *res;

  (void)state;
  /* No status line at all: no reason, no trailers. */
  res = ah__response_build(r, "http://h.test/", 0, NULL);
  assert_string_equal(ah_response_reason(res), "");
  assert_int_equal(ah_response_trailer_count(res), 0);
  ah__response_free(res);
  assert_int_equal(LINE(r, "HTTP/1.1 103 Early Hints\r\n"), AH_OK);
  assert_int_equal(LINE(r, "Link: </a.css>\r\n"), AH_OK);
  assert_int_equal(LINE(r, "\r\n"), AH_OK);
  assert_int_equal(LINE(r, "HTTP/1.1 404 Nicht  gefunden \t\r\n"), AH_OK);
  assert_int_equal(LINE(r, "\r\n"), AH_OK);
  res = ah__response_build(r, "http://h.test/", 404, NULL);
  assert_string_equal(ah_response_reason(res), "Nicht  gefunden");
  assert_int_equal(ah_response_header_count(res), 0); /* the 103's are gone */
  assert_int_equal(ah_response_trailer_count(res), 0);
  assert_null(ah_response_trailer(res, "link"));
  ah__response_free(res);
  ah__rx_reset(r, 1000, 4096, AH__FOLLOW_ALL);
  assert_int_equal(LINE(r, "HTTP/1.0 200\r\n"), AH_OK);
  assert_int_equal(LINE(r, "A: 1\r\n"), AH_OK);
  assert_int_equal(LINE(r, "\r\n"), AH_OK);
  res = ah__response_build(r, "http://h.test/", 200, NULL);
  assert_string_equal(ah_response_reason(res), "");
  assert_string_equal(ah_response_header(res, "a"), "1");
  assert_int_equal(ah_response_trailer_count(res), 0);
  ah__response_free(res);
  assert_null(ah_response_reason(NULL));
  ah__rx_reset(r, 1000, 4096, AH__FOLLOW_ALL);
  assert_int_equal(ah__rx_header_line(r, "HTTP/1.1 200 O\0K\r\n", 18, &why), AH_EPROTO);
  assert_string_equal(why, "the status line contains a NUL byte");
  ah__rx_free(r);
}

/* Trailers: kept apart from the headers, counted with them against the
 * header limit, refused when malformed. */
static void test_trailers(void **state)
{
  struct ah__rx *r = ah__rx_new(1000, 4096, AH__FOLLOW_ALL);
  const char *why = NULL, *n = NULL, *v = NULL;
  ah_response *res;
  char big[200];
  int i;

  (void)state;
  assert_int_equal(LINE(r, "HTTP/1.1 200 OK\r\n"), AH_OK);
  assert_int_equal(LINE(r, "Transfer-Encoding: chunked\r\n"), AH_OK);
  assert_int_equal(LINE(r, "X-Checksum: header\r\n"), AH_OK);
  assert_int_equal(LINE(r, "\r\n"), AH_OK);
  assert_int_equal(r->trailing, 0);
  assert_int_equal(ah__rx_body(r, "hello", 5, &why), AH_OK);
  assert_int_equal(LINE(r, "X-Checksum: \t abc \r\n"), AH_OK);
  assert_int_equal(r->trailing, 1);
  assert_int_equal(LINE(r, "grpc-status:0\r\n"), AH_OK);
  assert_int_equal(LINE(r, "X-Empty:\r\n"), AH_OK);
  assert_int_equal(LINE(r, "\r\n"), AH_OK); /* their end */
  res = ah__response_build(r, "http://h.test/", 200, NULL);
  assert_int_equal(ah_response_header_count(res), 2);
  assert_string_equal(ah_response_header(res, "x-checksum"), "header");
  assert_null(ah_response_header(res, "grpc-status"));
  assert_int_equal(ah_response_trailer_count(res), 3);
  assert_string_equal(ah_response_trailer(res, "X-CHECKSUM"), "abc");
  assert_string_equal(ah_response_trailer(res, "grpc-status"), "0");
  assert_string_equal(ah_response_trailer(res, "x-empty"), "");
  assert_null(ah_response_trailer(res, "transfer-encoding"));
  assert_int_equal(ah_response_trailer_at(res, 1, &n, &v), AH_OK);
  assert_string_equal(n, "grpc-status");
  assert_string_equal(v, "0");
  assert_int_equal(ah_response_trailer_at(res, 2, NULL, NULL), AH_OK);
  assert_int_equal(ah_response_trailer_at(res, 3, &n, &v), AH_EINVAL);
  assert_int_equal(ah_response_trailer_at(NULL, 0, &n, &v), AH_EINVAL);
  assert_int_equal(ah_response_trailer_count(NULL), 0);
  assert_null(ah_response_trailer(NULL, "a"));
  assert_null(ah_response_trailer(res, NULL));
  assert_string_equal(ah_response_reason(res), "OK");
  assert_string_equal(ah_response_body(res, NULL), "hello");
  ah__response_free(res);

  /* Malformed: a fold, no colon, no name, a name that is no token, NUL. */
  {
    static const char *const bad[] = {" folded: x\r\n", "no colon\r\n",
                                      ": v\r\n", "Bad Name: v\r\n",
                                      "X-Sp : v\r\n"};
    for (i = 0; i < 5; i++) {
      ah__rx_reset(r, 1000, 4096, AH__FOLLOW_ALL);
      assert_int_equal(LINE(r, "HTTP/1.1 200 OK\r\n"), AH_OK);
      assert_int_equal(LINE(r, "\r\n"), AH_OK);
      why = NULL;
      assert_int_equal(LINE(r, bad[i]), AH_EPROTO);
      assert_string_equal(why, "the response has a malformed trailer");
    }
    ah__rx_reset(r, 1000, 4096, AH__FOLLOW_ALL);
    assert_int_equal(LINE(r, "HTTP/1.1 200 OK\r\n"), AH_OK);
    assert_int_equal(LINE(r, "\r\n"), AH_OK);
    assert_int_equal(ah__rx_header_line(r, "X-A: \0\r\n", 7, &why), AH_EPROTO);
  }

  /* Headers and trailers share the header limit. */
  ah__rx_reset(r, 1000, 400, AH__FOLLOW_ALL);
  memset(big, 'v', sizeof big);
  memcpy(big, "X-Big: ", 7);
  memcpy(big + sizeof big - 3, "\r\n", 3);
  assert_int_equal(LINE(r, "HTTP/1.1 200 OK\r\n"), AH_OK);
  assert_int_equal(LINE(r, big), AH_OK);
  assert_int_equal(LINE(r, "\r\n"), AH_OK);
  assert_int_equal(LINE(r, big), AH_ETOOLARGE);
  assert_string_equal(why, "the response's headers and trailers exceed the header size limit");

  /* A trailer line before any header block is nothing (as before). */
  ah__rx_reset(r, 1000, 4096, AH__FOLLOW_ALL);
  assert_int_equal(LINE(r, "no colon\r\n"), AH_OK);
  ah__rx_free(r);
}

static void test_content_length_rules(void **state)
{
  struct ah__rx *r = ah__rx_new(1000, 4096, AH__FOLLOW_ALL);
  const char *why = NULL;

  (void)state;
  LINE(r, "HTTP/1.1 200 OK\r\n");
  assert_int_equal(LINE(r, "Content-Length: 5\r\n"), AH_OK);
  assert_int_equal(LINE(r, "Content-Length: 5\r\n"), AH_OK); /* same value: fine */
  assert_int_equal(LINE(r, "content-length: 5, 5\r\n"), AH_OK);
  assert_int_equal(LINE(r, "Content-Length: 6\r\n"), AH_EPROTO);
  assert_non_null(strstr(why, "Content-Length"));
  ah__rx_free(r);
  r = ah__rx_new(1000, 4096, AH__FOLLOW_ALL);
  LINE(r, "HTTP/1.1 200 OK\r\n");
  assert_int_equal(LINE(r, "Content-Length: 5, 6\r\n"), AH_EPROTO);
  ah__rx_free(r);
  r = ah__rx_new(1000, 4096, AH__FOLLOW_ALL);
  LINE(r, "HTTP/1.1 200 OK\r\n");
  assert_int_equal(LINE(r, "Content-Length: -1\r\n"), AH_EPROTO);
  ah__rx_free(r);
  r = ah__rx_new(1000, 4096, AH__FOLLOW_ALL);
  LINE(r, "HTTP/1.1 200 OK\r\n");
  assert_int_equal(LINE(r, "Content-Length: 99999999999999999999999\r\n"), AH_EPROTO);
  ah__rx_free(r);
}

static void test_nul_and_header_limit(void **state)
{
  struct ah__rx *r = ah__rx_new(1000, 64, AH__FOLLOW_ALL);
  const char *why = NULL;
  char line[100];

  (void)state;
  LINE(r, "HTTP/1.1 200 OK\r\n");
  assert_int_equal(ah__rx_header_line(r, "X: a\0b\r\n", 8, &why), AH_EPROTO);
  memset(line, 'a', sizeof line);
  memcpy(line, "X-Long: ", 8);
  line[98] = '\r';
  line[99] = '\n';
  assert_int_equal(ah__rx_header_line(r, line, 100, &why), AH_ETOOLARGE);
  assert_non_null(strstr(why, "header size limit"));
  ah__rx_free(r);
}

static void test_header_count_limit(void **state)
{
  struct ah__rx *r = ah__rx_new(1000, 1 << 20, AH__FOLLOW_ALL);
  const char *why = NULL;
  int i, rc = AH_OK;

  (void)state;
  LINE(r, "HTTP/1.1 200 OK\r\n");
  for (i = 0; i < 70000 && rc == AH_OK; i++)
    rc = LINE(r, "a:\r\n");
  assert_int_equal(rc, AH_ETOOLARGE);
  assert_int_equal(i, AH__MAX_HEADER_LINES); /* the status line counts */
  assert_non_null(strstr(why, "more header lines"));
  /* 1xx blocks count toward it too (a flood of 103s ends), in lines and
   * in bytes; a final block starts afresh. */
  ah__rx_reset(r, 1000, 1 << 20, AH__FOLLOW_ALL);
  for (i = 0, rc = AH_OK; i < 10000 && rc == AH_OK; i++) {
    rc = LINE(r, "HTTP/1.1 103 Early Hints\r\n");
    if (rc == AH_OK)
      rc = LINE(r, "Link: </s>\r\n");
    if (rc == AH_OK)
      rc = LINE(r, "\r\n");
  }
  assert_int_equal(rc, AH_ETOOLARGE);
  assert_int_equal(i, AH__MAX_HEADER_LINES / 2 + 1); /* the status line of one more */
  ah__rx_reset(r, 1000, 200, AH__FOLLOW_ALL);
  for (i = 0, rc = AH_OK; i < 100 && rc == AH_OK; i++)
    rc = LINE(r, "HTTP/1.1 100 Continue\r\n");
  assert_int_equal(rc, AH_ETOOLARGE); /* 100 status lines over 200 bytes */
  ah__rx_reset(r, 1000, 200, AH__FOLLOW_ALL);
  LINE(r, "HTTP/1.1 100 Continue\r\n");
  LINE(r, "\r\n");
  LINE(r, "HTTP/1.1 200 OK\r\n");
  assert_int_equal(LINE(r, "A: b\r\n"), AH_OK);
  ah__rx_free(r);
}

static void test_redirect_location(void **state)
{
  struct ah__rx *r = ah__rx_new(1000, 4096, AH__FOLLOW_ALL);
  struct ah__rx *nofollow = ah__rx_new(1000, 4096, 0);
  const char *why = NULL;
  static const struct { const char *status, *line; int want, hop; } t[] = {
    {"301", "Location: https://x.test/\r\n", AH_OK, 1},
    {"302", "Location: other/path\r\n", AH_OK, 1},
    /* The scheme is judged on the URL resolved at the hop (test_url). */
    {"303", "Location: file:///etc/passwd\r\n", AH_OK, 1},
    {"307", "Location: /relative:colon\r\n", AH_OK, 1},
    {"308", "Location: HTTP://x.test/\r\n", AH_OK, 1},
    {"307", "Location:\r\n", AH_EPROTO, 0},     /* libcurl would skip it */
    {"308", "Location:   \r\n", AH_EPROTO, 0},
    {"301", "Location: \v\f\r\n", AH_EPROTO, 0}, /* white space libcurl trims */
    /* Not redirects (SPEC 4b): a Location there is just a header. */
    {"300", "Location:\r\n", AH_OK, 0},
    {"304", "Location: /x\r\n", AH_OK, 0},
    {"305", "Location: /x\r\n", AH_OK, 0},
  };
  char line[64];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof t / sizeof *t; i++) { /* one response each */
    snprintf(line, sizeof line, "HTTP/1.1 %s X\r\n", t[i].status);
    LINE(r, line);
    assert_int_equal(LINE(r, t[i].line), t[i].want);
    LINE(r, "\r\n");
    if (t[i].want == AH_OK) {
      assert_int_equal(ah__rx_redirect_headers(r), t[i].hop);
      assert_int_equal(ah__rx_final_headers(r), !t[i].hop);
    }
  }
  /* A request that does not follow this status (a body it cannot send
   * again): the 307 is its final response, not a hop. */
  ah__rx_reset(r, 1000, 4096, AH__FOLLOW_303);
  LINE(r, "HTTP/1.1 307 X\r\n");
  assert_int_equal(LINE(r, "Location: /x\r\n"), AH_OK);
  LINE(r, "\r\n");
  assert_false(ah__rx_redirect_headers(r));
  assert_true(ah__rx_final_headers(r));
  ah__rx_reset(r, 1000, 4096, AH__FOLLOW_ALL);
  /* Several Locations: the same one is fine, two that differ are not
   * (libcurl follows the last, which is not the one judged). */
  LINE(r, "HTTP/1.1 302 Found\r\n");
  assert_int_equal(LINE(r, "Location: /a\r\n"), AH_OK);
  assert_int_equal(LINE(r, "Location: /a\r\n"), AH_OK);
  assert_int_equal(LINE(r, "Location: http://other.test/\r\n"), AH_EPROTO);
  assert_non_null(strstr(why, "differ"));
  /* Not followed: the 3xx is just a response. */
  LINE(nofollow, "HTTP/1.1 301 Moved\r\n");
  assert_int_equal(ah__rx_header_line(nofollow, "Location: ftp://x/\r\n", 20, &why), AH_OK);
  assert_int_equal(LINE(nofollow, "X: y\r\n"), AH_OK);
  /* Two that differ are refused even when not followed (8.21 refuses
   * them itself, 7.88 does not): one outcome on every release. */
  assert_int_equal(LINE(nofollow, "Location: ftp://y/\r\n"), AH_EPROTO);
  LINE(nofollow, "\r\n");
  LINE(nofollow, "HTTP/1.1 301 Moved\r\n");
  assert_int_equal(LINE(nofollow, "Location:\r\n"), AH_OK);
  ah__rx_free(r);
  ah__rx_free(nofollow);
}

static void test_body_limit_and_presize(void **state)
{
  struct ah__rx *r = ah__rx_new(10, 4096, AH__FOLLOW_ALL);
  const char *why = NULL;
  size_t len;

  (void)state;
  assert_int_equal(ah__rx_body(r, "0123456789", 10, &why), AH_OK);
  assert_int_equal(ah__rx_body(r, "x", 1, &why), AH_ETOOLARGE);
  assert_non_null(strstr(why, "body size limit"));
  assert_string_equal(r->body, "0123456789");
  assert_int_equal(r->body_len, 10);
  ah__rx_free(r);
  (void)len;
  /* Content-Length sizes the buffer once; too large is refused early. */
  r = ah__rx_new(1 << 20, 4096, AH__FOLLOW_ALL);
  LINE(r, "HTTP/1.1 200 OK\r\n");
  LINE(r, "Content-Length: 5000\r\n");
  LINE(r, "\r\n");
  assert_int_equal(ah__rx_body(r, "abc", 3, &why), AH_OK);
  assert_int_equal(r->body_cap, 5001);
  ah__rx_free(r);
  r = ah__rx_new(100, 4096, AH__FOLLOW_ALL);
  LINE(r, "HTTP/1.1 200 OK\r\n");
  LINE(r, "Content-Length: 101\r\n");
  LINE(r, "\r\n");
  assert_int_equal(ah__rx_body(r, "abc", 3, &why), AH_ETOOLARGE);
  ah__rx_free(r);
  /* Content-Encoding identity changes nothing. */
  r = ah__rx_new(100, 4096, AH__FOLLOW_ALL);
  LINE(r, "HTTP/1.1 200 OK\r\n");
  LINE(r, "Content-Length: 101\r\n");
  LINE(r, "Content-Encoding: identity\r\n");
  LINE(r, "\r\n");
  assert_int_equal(ah__rx_body(r, "abc", 3, &why), AH_ETOOLARGE);
  ah__rx_free(r);
}

/* A length that is not the kept body's neither sizes nor refuses it:
 * chunked overrides Content-Length (RFC 9112 section 6.3), and a coding
 * libcurl decodes changes the length; the limit counts the bytes kept. */
static void test_coded_body_not_sized_by_its_length(void **state)
{
  static const char *coding[] = {
    "Transfer-Encoding: chunked\r\n", "transfer-encoding: gzip, chunked\r\n",
    "Content-Encoding: gzip\r\n", "CONTENT-ENCODING: br\r\n",
  };
  const char *why = NULL;
  size_t i;

  (void)state;
  for (i = 0; i < sizeof coding / sizeof *coding; i++) {
    struct ah__rx *r = ah__rx_new(100, 4096, AH__FOLLOW_ALL);
    LINE(r, "HTTP/1.1 200 OK\r\n");
    LINE(r, "Content-Length: 100000000\r\n");
    assert_int_equal(LINE(r, coding[i]), AH_OK);
    LINE(r, "\r\n");
    assert_int_equal(ah__rx_body(r, "abc", 3, &why), AH_OK);
    assert_true(r->body_cap < 1000); /* not 100,000,001 bytes */
    assert_int_equal(r->body_mapped, 0);
    assert_int_equal(ah__rx_body(r, "0123456789", 10, &why), AH_OK);
    while (r->body_len + 10 <= 100)
      assert_int_equal(ah__rx_body(r, "0123456789", 10, &why), AH_OK);
    assert_int_equal(ah__rx_body(r, "0123456789", 10, &why), AH_ETOOLARGE);
    ah__rx_free(r);
  }
}

static void test_body_grows_geometrically(void **state)
{
  struct ah__rx *r = ah__rx_new(1 << 20, 4096, AH__FOLLOW_ALL);
  const char *why = NULL;
  char chunk[100];
  int i, reallocs = 0;
  size_t cap = 0;

  (void)state;
  memset(chunk, 'g', sizeof chunk);
  for (i = 0; i < 10000; i++) {
    assert_int_equal(ah__rx_body(r, chunk, sizeof chunk, &why), AH_OK);
    if (r->body_cap != cap) {
      reallocs++;
      cap = r->body_cap;
    }
  }
  assert_int_equal(r->body_len, 1000000);
  assert_true(reallocs <= 12); /* 1 KiB doubling to 1 MiB */
  ah__rx_free(r);
}

/* A pooled slot's receiver serves one response after another: reset
 * keeps its small buffers (no allocation for the next response), lets go
 * of large ones, and nothing of the last response shows in the next. */
static void test_reset_reuses_small_buffers_only(void **state)
{
  struct ah__rx *r = ah__rx_new(1 << 20, 1 << 20, AH__FOLLOW_ALL);
  const char *why = NULL;
  char *hdr, *body, big[300];
  ah_response *res;
  int i;

  (void)state;
  assert_int_equal(LINE(r, "HTTP/1.1 200 OK\r\n"), AH_OK);
  assert_int_equal(LINE(r, "Content-Length: 5\r\n"), AH_OK);
  assert_int_equal(LINE(r, "X-First: 1\r\n"), AH_OK);
  assert_int_equal(LINE(r, "\r\n"), AH_OK);
  assert_int_equal(ah__rx_body(r, "hello", 5, &why), AH_OK);
  res = ah__response_build(r, "http://h.test/1", 200, NULL);
  assert_non_null(res);
  ah__response_free(res);
  hdr = r->hdr;
  body = r->body;
  ah__rx_reset(r, 1 << 20, 1 << 20, AH__FOLLOW_ALL);
  assert_ptr_equal(r->hdr, hdr);   /* kept */
  assert_ptr_equal(r->body, body); /* kept: inline bodies are copied */
  assert_int_equal(r->nhdr, 0);
  assert_int_equal(r->content_length, -1);
  assert_int_equal(ah__rx_headers_complete(r), 0);
  /* The next response: chunked, other headers. */
  assert_int_equal(LINE(r, "HTTP/1.1 404 Not Found\r\n"), AH_OK);
  assert_int_equal(LINE(r, "X-Second: 2\r\n"), AH_OK);
  assert_int_equal(LINE(r, "\r\n"), AH_OK);
  assert_int_equal(ah__rx_body(r, "ab", 2, &why), AH_OK);
  res = ah__response_build(r, "http://h.test/2", 404, NULL);
  assert_non_null(res);
  assert_int_equal(ah_response_header_count(res), 1);
  assert_null(ah_response_header(res, "x-first"));
  assert_string_equal(ah_response_header(res, "x-second"), "2");
  assert_string_equal(ah_response_body(res, NULL), "ab");
  ah__response_free(res);
  /* Large header text and a large partial body are not kept. */
  ah__rx_reset(r, 1 << 20, 1 << 20, AH__FOLLOW_ALL);
  memset(big, 'v', sizeof big - 3);
  memcpy(big + sizeof big - 3, "\r\n", 3);
  big[0] = 'X'; big[1] = ':';
  assert_int_equal(LINE(r, "HTTP/1.1 200 OK\r\n"), AH_OK);
  for (i = 0; i < 40; i++)
    assert_int_equal(LINE(r, big), AH_OK);
  assert_true(r->hdr_cap > 4096);
  for (i = 0; i < 10; i++)
    assert_int_equal(ah__rx_body(r, big, sizeof big - 1, &why), AH_OK);
  ah__rx_reset(r, 1 << 20, 1 << 20, AH__FOLLOW_ALL);
  assert_null(r->hdr);
  assert_null(r->body);
  assert_int_equal(r->hdr_cap + r->body_cap, 0);
  ah__rx_free(r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_blocks_and_final_headers),
    TU_TEST(test_status_line_checked),
    TU_TEST(test_reason_phrase),
    TU_TEST(test_trailers),
    TU_TEST(test_content_length_rules),
    TU_TEST(test_nul_and_header_limit),
    TU_TEST(test_header_count_limit),
    TU_TEST(test_redirect_location),
    TU_TEST(test_body_limit_and_presize),
    TU_TEST(test_coded_body_not_sized_by_its_length),
    TU_TEST(test_body_grows_geometrically),
    TU_TEST(test_reset_reuses_small_buffers_only),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
