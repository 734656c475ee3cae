/* test_request_body.c - what a request sends (lib/request_body.c), seen
 * on the wire through the test server's echo: JSON, a streaming upload,
 * multipart fields, files and parts from memory, form pairs; and how
 * each goes again, or not, across redirects. */
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

struct source {
  const char *text;
  size_t at, step;
  int calls;
};

static long read_source(ah_future *f, char *buf, size_t max, void *ud)
{
  struct source *src = ud;
  size_t n = strlen(src->text + src->at);

  assert_non_null(f);
  src->calls++;
  if (n > src->step)
    n = src->step; /* a few bytes per call: several chunks */
  if (n > max)
    n = max;
  memcpy(buf, src->text + src->at, n);
  src->at += n;
  return (long)n;
}

static int rewind_source(ah_future *f, void *ud)
{
  (void)f;
  ((struct source *)ud)->at = 0;
  return 0;
}

static long read_fail(ah_future *f, char *buf, size_t max, void *ud)
{
  (void)f; (void)buf; (void)max; (void)ud;
  return -1;
}

static void test_streaming_upload(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  struct source src = {"streamed body, chunk by chunk", 0, 5, 0};
  ah_future *f;
  const char *b;

  (void)state;
  /* Unknown length: chunked. */
  assert_int_equal(ah_request_opts_set_body_reader(o, read_source, &src, -1), AH_OK);
  b = tu_fetch_ok(s, tu_url("/echo"), o, &f);
  assert_non_null(strstr(b, "method POST\n"));
  assert_non_null(strstr(b, "header Transfer-Encoding: chunked\n"));
  assert_non_null(strstr(b, "\nstreamed body, chunk by chunk"));
  assert_true(src.calls >= 6);
  ah_future_free(f);
  /* Known length, another method: Content-Length. */
  src.at = 0;
  ah_request_opts_set_method(o, "PUT");
  ah_request_opts_set_body_reader(o, read_source, &src, (long long)strlen(src.text));
  b = tu_fetch_ok(s, tu_url("/echo"), o, &f);
  assert_non_null(strstr(b, "method PUT\n"));
  assert_non_null(strstr(b, "header Content-Length: 29\n"));
  assert_null(strstr(b, "chunked"));
  assert_non_null(strstr(b, "\nstreamed body, chunk by chunk"));
  ah_future_free(f);
  /* A reader that gives up stops the request with its own code. */
  ah_request_opts_set_body_reader(o, read_fail, NULL, -1);
  assert_int_equal(tu_fetch_err(s, tu_url("/echo"), o), AH_ESTOPPED);
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* A reader with more to give than its stated length: on every release
 * it is never asked for more (libcurl 7.88 asks for a buffer's worth and
 * sent the surplus, here a whole request, as the start of the kept
 * connection's next request). */
struct surplus {
  size_t max_seen, given;
};

static long read_surplus(ah_future *f, char *buf, size_t max, void *ud)
{
  static const char more[] = "0123456789GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
  struct surplus *sp = ud;
  size_t n = sizeof more - 1 - sp->given;

  (void)f;
  if (max > sp->max_seen)
    sp->max_seen = max;
  if (n > max)
    n = max;
  memcpy(buf, more + sp->given, n);
  sp->given += n;
  return (long)n;
}

/* A reader that ends before its stated length. */
static long read_short(ah_future *f, char *buf, size_t max, void *ud)
{
  int *calls = ud;

  (void)f;
  if ((*calls)++ > 0 || max < 5)
    return 0;
  memcpy(buf, "short", 5);
  return 5;
}

static void test_reader_held_to_its_length(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_session *s;
  ah_request_opts *o = ah_request_opts_new();
  struct surplus sur = {0, 0};
  ah_future *f;
  const char *b;
  int calls = 0;

  (void)state;
  ah_session_opts_set_max_connections(so, 1, 0); /* one kept connection */
  s = ah_session_new(so);
  ah_request_opts_set_method(o, "PUT");
  ah_request_opts_set_body_reader(o, read_surplus, &sur, 10);
  b = tu_fetch_ok(s, tu_url("/echo?first"), o, &f);
  assert_non_null(strstr(b, "header Content-Length: 10\n"));
  assert_non_null(strstr(b, "\n0123456789"));
  assert_null(strstr(b, "smuggled"));
  assert_true(sur.max_seen <= 10);
  ah_future_free(f);
  b = tu_fetch_ok(s, tu_url("/echo?second"), NULL, &f);
  assert_non_null(strstr(b, "target /echo?second\n"));
  ah_future_free(f);
  b = tu_fetch_ok(s, tu_url("/seen?/smuggled"), NULL, &f);
  assert_string_equal(b, "0");
  ah_future_free(f);
  /* 5 bytes of a stated 1,000: a clear error at once on every release
   * (libcurl 7.88 waited for the rest until the total timeout). */
  ah_request_opts_set_body_reader(o, read_short, &calls, 1000);
  ah_request_opts_set_timeouts(o, 5000, -1, -1);
  f = tu_fetch(s, tu_url("/echo"), o);
  assert_int_equal(ah_future_error(f), AH_EIO); /* not AH_ETIMEDOUT */
  assert_non_null(strstr(ah_future_errmsg(f), "ended before the length"));
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
  ah_session_opts_free(so);
}

static void test_multipart_form(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  char path[] = "/tmp/ahttp-form-XXXXXX";
  int fd = mkstemp(path);
  ah_future *f;
  const char *b;

  (void)state;
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "0123456789", 10), 10);
  close(fd);
  assert_int_equal(ah_request_opts_add_form_field(o, "title", "hello world"), AH_OK);
  assert_int_equal(ah_request_opts_add_form_file(o, "upload", path, "data.bin",
                                                 "application/octet-stream"), AH_OK);
  assert_int_equal(ah_request_opts_add_form_field(o, "last", "x"), AH_OK);
  b = tu_fetch_ok(s, tu_url("/form"), o, &f);
  assert_string_equal(b, "field title=hello world\n"
                         "file upload data.bin application/octet-stream 10\n"
                         "field last=x\n");
  ah_future_free(f);
  /* A file that is gone when the request starts: refused, nothing sent. */
  unlink(path);
  assert_int_equal(tu_fetch_err(s, tu_url("/form"), o), AH_EINVAL);
  ah_request_opts_free(o);
  ah_session_free(s);
}

#define HAS(b, len, lit) memmem(b, len, lit, sizeof lit - 1)

/* A part from memory goes byte for byte (NULs and all) with its file
 * name and type; a name or file name with a quote, CR or LF goes
 * encoded as browsers write it (%22, %0D, %0A), never refused nor able
 * to end its quoted string. A 307 sends the parts again; a 303 does not. */
static void test_multipart_from_memory(void **state)
{
  static const char bytes[] = "\0\1\2 binary\0\r\n--not-a-boundary\0\377";
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  ah_future *f;
  const char *b;
  size_t len;

  (void)state;
  assert_int_equal(ah_request_opts_add_form_data(o, "blob", bytes, sizeof bytes,
                                                 "a.bin", "application/x-thing"), AH_OK);
  assert_int_equal(ah_request_opts_add_form_data(o, "a\"b\r\nc", "v", 1,
                                                 "my \"file\".txt", NULL), AH_OK);
  assert_int_equal(ah_request_opts_add_form_data(o, "empty", NULL, 0, NULL, NULL), AH_OK);
  assert_int_equal(ah_request_opts_add_form_data(o, "bad", NULL, 1, NULL, NULL), AH_EINVAL);
  assert_int_equal(ah_request_opts_add_form_data(o, NULL, "x", 1, NULL, NULL), AH_EINVAL);
  /* The standard library's parser sees the parts (their names decoded). */
  b = tu_fetch_ok(s, tu_url("/form"), o, &f);
  assert_string_equal(b, "file blob a.bin application/x-thing 32\n"
                         "file a%22b%0D%0Ac my %22file%22.txt text/plain 1\n"
                         "field empty=\n");
  ah_future_free(f);
  /* The bytes on the wire, and the names as written. */
  f = ah_session_fetch(s, tu_url("/redirect-code/307?/echo"), o);
  assert_int_equal(ah_future_wait(f, 20000), AH_OK);
  b = ah_response_body(ah_future_response(f), &len);
  assert_non_null(b);
  assert_non_null(strstr(b, "method POST\n"));
  assert_non_null(strstr(b, "header Content-Type: multipart/form-data; boundary="));
  assert_non_null(memmem(b, len, bytes, sizeof bytes));
  assert_non_null(HAS(b, len, "Content-Disposition: form-data; name=\"blob\"; "
                               "filename=\"a.bin\"\r\nContent-Type: application/x-thing\r\n"));
  assert_non_null(HAS(b, len, "name=\"a%22b%0D%0Ac\"; filename=\"my %22file%22.txt\""));
  assert_int_equal(ah_response_redirects(ah_future_response(f)), 1);
  ah_future_free(f);
  /* 303: a GET, the parts left behind. */
  b = tu_fetch_ok(s, tu_url("/redirect-code/303?/echo"), o, &f);
  assert_non_null(strstr(b, "method GET\n"));
  assert_null(strstr(b, "multipart"));
  assert_null(strstr(b, "binary"));
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* Pairs as an application/x-www-form-urlencoded body (aiohttp's data=
 * dict): encoded as Python's urlencode writes them, the content type set
 * for them alone (not for a raw body), the caller's own content type
 * kept, the body sent again on 307 and left behind on 303. */
static void test_urlencoded_body(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new(), *raw = ah_request_opts_new();
  ah_future *f;
  const char *b;

  (void)state;
  assert_int_equal(ah_request_opts_add_urlencoded(o, "q", "a b&c=d/\xc3\xa9+"), AH_OK);
  assert_int_equal(ah_request_opts_add_urlencoded(o, "flag", NULL), AH_OK);
  assert_int_equal(ah_request_opts_add_urlencoded(o, "k~.-_", ""), AH_OK);
  assert_int_equal(ah_request_opts_add_urlencoded(o, NULL, "x"), AH_EINVAL);
  b = tu_fetch_ok(s, tu_url("/echo"), o, &f);
  assert_non_null(strstr(b, "method POST\n"));
  assert_non_null(strstr(b, "header Content-Type: application/x-www-form-urlencoded\n"));
  assert_int_equal(tu_count(b, "Content-Type"), 1);
  assert_non_null(strstr(b, "header Content-Length: 37\n"));
  assert_non_null(strstr(b, "\nq=a+b%26c%3Dd%2F%C3%A9%2B&flag&k~.-_="));
  ah_future_free(f);
  b = tu_fetch_ok(s, tu_url("/redirect-code/307?/echo"), o, &f);
  assert_non_null(strstr(b, "method POST\n"));
  assert_non_null(strstr(b, "header Content-Type: application/x-www-form-urlencoded\n"));
  assert_non_null(strstr(b, "\nq=a+b%26c%3Dd%2F%C3%A9%2B&flag&k~.-_="));
  ah_future_free(f);
  b = tu_fetch_ok(s, tu_url("/redirect-code/303?/echo"), o, &f);
  assert_non_null(strstr(b, "method GET\n"));
  assert_null(strstr(b, "urlencoded"));
  assert_null(strstr(b, "flag"));
  ah_future_free(f);
  /* A raw body is not labelled a form. */
  assert_int_equal(ah_request_opts_set_body(raw, "a=1", 3), AH_OK);
  b = tu_fetch_ok(s, tu_url("/echo"), raw, &f);
  assert_non_null(strstr(b, "header Content-Type: application/octet-stream\n"));
  ah_future_free(f);
  /* A pair after a raw body replaces it; set_body after pairs, the same. */
  assert_int_equal(ah_request_opts_add_urlencoded(raw, "x", "1"), AH_OK);
  b = tu_fetch_ok(s, tu_url("/echo"), raw, &f);
  assert_non_null(strstr(b, "header Content-Type: application/x-www-form-urlencoded\n"));
  assert_non_null(strstr(b, "\nx=1"));
  assert_null(strstr(b, "a=1"));
  ah_future_free(f);
  assert_int_equal(ah_request_opts_set_body(raw, "raw", 3), AH_OK);
  b = tu_fetch_ok(s, tu_url("/echo"), raw, &f);
  assert_non_null(strstr(b, "header Content-Type: application/octet-stream\n"));
  ah_future_free(f);
  /* The caller's content type stands. */
  assert_int_equal(ah_request_opts_add_header(o, "Content-Type", "text/x-mine"), AH_OK);
  b = tu_fetch_ok(s, tu_url("/echo"), o, &f);
  assert_non_null(strstr(b, "header Content-Type: text/x-mine\n"));
  assert_int_equal(tu_count(b, "Content-Type"), 1);
  ah_future_free(f);
  ah_request_opts_free(raw);
  ah_request_opts_free(o);
  ah_session_free(s);
}


static void test_json_body(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  ah_future *f;
  const char *b;

  (void)state;
  assert_int_equal(ah_request_opts_set_json(o, "{\"a\": [1, 2]}"), AH_OK);
  b = tu_fetch_ok(s, tu_url("/echo"), o, &f);
  assert_non_null(strstr(b, "method POST\n"));
  assert_non_null(strstr(b, "header Content-Type: application/json\n"));
  assert_non_null(strstr(b, "header Content-Length: 13\n"));
  assert_non_null(strstr(b, "\n{\"a\": [1, 2]}"));
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* One body: the last one set replaces another kind, and takes its
 * Content-Type with it. */
static void test_last_body_set_wins(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o;
  struct source src = {"from the reader", 0, 64, 0};
  ah_future *f;
  const char *b;

  (void)state;
  o = ah_request_opts_new();
  ah_request_opts_set_json(o, "{\"a\": 1}");
  ah_request_opts_set_body_reader(o, read_source, &src, -1);
  b = tu_fetch_ok(s, tu_url("/echo"), o, &f);
  assert_non_null(strstr(b, "header Content-Type: application/octet-stream\n"));
  assert_null(strstr(b, "json"));
  assert_non_null(strstr(b, "\nfrom the reader"));
  ah_future_free(f);
  ah_request_opts_free(o);

  o = ah_request_opts_new();
  src.at = 0;
  src.calls = 0;
  ah_request_opts_set_body_reader(o, read_source, &src, -1);
  ah_request_opts_set_json(o, "{\"a\": 1}");
  b = tu_fetch_ok(s, tu_url("/echo"), o, &f);
  assert_non_null(strstr(b, "header Content-Type: application/json\n"));
  assert_non_null(strstr(b, "\n{\"a\": 1}"));
  assert_int_equal(src.calls, 0);
  ah_future_free(f);
  ah_request_opts_free(o);

  o = ah_request_opts_new();
  ah_request_opts_add_urlencoded(o, "k", "v");
  ah_request_opts_set_body_reader(o, read_source, &src, -1);
  b = tu_fetch_ok(s, tu_url("/echo"), o, &f);
  assert_non_null(strstr(b, "header Content-Type: application/octet-stream\n"));
  assert_null(strstr(b, "k=v"));
  ah_future_free(f);
  ah_request_opts_free(o);

  /* A rewind set before its reader stays with it: a 307 sends the body
   * again through it (without one, the 307 itself would be the answer). */
  o = ah_request_opts_new();
  src.at = 0;
  ah_request_opts_set_body_rewind(o, rewind_source);
  ah_request_opts_set_body_reader(o, read_source, &src, -1);
  b = tu_fetch_ok(s, tu_url("/redirect-code/307?/echo"), o, &f);
  assert_int_equal(ah_response_status(ah_future_response(f)), 200);
  assert_non_null(strstr(b, "\nfrom the reader"));
  ah_future_free(f);
  ah_request_opts_free(o);

  o = ah_request_opts_new();
  src.calls = 0;
  ah_request_opts_set_body_reader(o, read_source, &src, -1);
  ah_request_opts_add_form_field(o, "f", "x");
  ah_request_opts_add_urlencoded(o, "k", "v");
  b = tu_fetch_ok(s, tu_url("/echo"), o, &f);
  assert_non_null(strstr(b, "header Content-Type: application/x-www-form-urlencoded\n"));
  assert_non_null(strstr(b, "\nk=v"));
  assert_null(strstr(b, "multipart"));
  assert_int_equal(src.calls, 0);
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* The caller's framing headers must frame the body sent: a Content-Length
 * that is not its length would have the server read the connection's
 * next request out of this one's body (or this body's tail as the next
 * request). Refused before anything is sent. */
static void test_framing_headers_match_the_body(void **state)
{
  static const char smuggle[] = "xyzGET /smuggled-cl HTTP/1.1\r\nHost: x\r\n\r\n";
  ah_session_opts *so = ah_session_opts_new();
  ah_session *s = ah_session_new(NULL);
  struct source src = {"by chunks", 0, 4, 0};
  ah_request_opts *o;
  ah_future *f;
  const char *b;

  (void)state;
  assert_int_equal(ah_session_opts_add_header(so, "content-length", "3"), AH_EINVAL);
  assert_int_equal(ah_session_opts_add_header(so, "Transfer-Encoding", "chunked"), AH_EINVAL);
  ah_session_opts_free(so);

  o = ah_request_opts_new(); /* the body's own length stands */
  ah_request_opts_set_body(o, "0123456789", 10);
  ah_request_opts_add_header(o, "Content-Length", "10");
  b = tu_fetch_ok(s, tu_url("/echo"), o, &f);
  assert_non_null(strstr(b, "\n0123456789"));
  ah_future_free(f);
  ah_request_opts_free(o);

  o = ah_request_opts_new(); /* another length */
  ah_request_opts_set_body(o, smuggle, sizeof smuggle - 1);
  ah_request_opts_add_header(o, "Content-Length", "3");
  f = tu_fetch(s, tu_url("/echo"), o);
  assert_int_equal(ah_future_error(f), AH_EINVAL);
  assert_non_null(strstr(ah_future_errmsg(f), "Content-Length"));
  ah_future_free(f);
  b = tu_fetch_ok(s, tu_url("/seen?/smuggled-cl"), NULL, &f);
  assert_string_equal(b, "0");
  ah_future_free(f);
  ah_request_opts_add_header(o, "Content-Length", NULL); /* removed: no framing */
  assert_int_equal(tu_fetch_err(s, tu_url("/echo"), o), AH_EINVAL);
  ah_request_opts_free(o);

  o = ah_request_opts_new(); /* a form's length is libcurl's to know */
  ah_request_opts_add_form_field(o, "f", "x");
  ah_request_opts_add_header(o, "Content-Length", "5");
  assert_int_equal(tu_fetch_err(s, tu_url("/echo"), o), AH_EINVAL);
  ah_request_opts_free(o);

  o = ah_request_opts_new(); /* no body: none but 0 */
  ah_request_opts_add_header(o, "Content-Length", "5");
  assert_int_equal(tu_fetch_err(s, tu_url("/echo"), o), AH_EINVAL);
  ah_request_opts_free(o);
  o = ah_request_opts_new();
  ah_request_opts_add_header(o, "Content-Length", "0");
  b = tu_fetch_ok(s, tu_url("/echo"), o, &f);
  assert_non_null(strstr(b, "method GET\n"));
  ah_future_free(f);
  ah_request_opts_add_header(o, "Transfer-Encoding", "chunked");
  assert_int_equal(tu_fetch_err(s, tu_url("/echo"), o), AH_EINVAL);
  ah_request_opts_free(o);

  o = ah_request_opts_new(); /* chunked: libcurl sends any body so */
  ah_request_opts_set_body_reader(o, read_source, &src, -1);
  ah_request_opts_add_header(o, "Transfer-Encoding", "chunked");
  b = tu_fetch_ok(s, tu_url("/echo"), o, &f);
  assert_non_null(strstr(b, "\nby chunks"));
  ah_future_free(f);
  ah_request_opts_set_body(o, "mem", 3);
  b = tu_fetch_ok(s, tu_url("/echo"), o, &f);
  assert_non_null(strstr(b, "header Transfer-Encoding: chunked\n"));
  assert_non_null(strstr(b, "\nmem"));
  ah_future_free(f);
  ah_request_opts_add_header(o, "Content-Length", "3"); /* both: refused */
  assert_int_equal(tu_fetch_err(s, tu_url("/echo"), o), AH_EINVAL);
  ah_request_opts_free(o);
  o = ah_request_opts_new();
  ah_request_opts_set_body(o, "mem", 3);
  ah_request_opts_add_header(o, "Transfer-Encoding", "gzip, chunked");
  assert_int_equal(tu_fetch_err(s, tu_url("/echo"), o), AH_EINVAL);
  ah_request_opts_free(o);
  o = ah_request_opts_new(); /* white space around the length is allowed */
  ah_request_opts_set_body(o, "mem", 3);
  ah_request_opts_add_header(o, "Content-Length", " 3 ");
  b = tu_fetch_ok(s, tu_url("/echo"), o, &f);
  assert_non_null(strstr(b, "\nmem"));
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}


int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_json_body),
    TU_TEST(test_last_body_set_wins),
    TU_TEST(test_framing_headers_match_the_body),
    TU_TEST(test_streaming_upload),
    TU_TEST(test_reader_held_to_its_length),
    TU_TEST(test_multipart_form),
    TU_TEST(test_multipart_from_memory),
    TU_TEST(test_urlencoded_body),
  };

  signal(SIGPIPE, SIG_IGN);
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
