/* test_transfer.c - what a request reports while it runs and when it ends:
 * the data, headers and progress callbacks (and stopping from them), what
 * a transfer callback may call, and the response's timings, version,
 * redirect count and addresses. */
#include <ahttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reactor.h"
#include "session.h"
#include "testutil.h"

struct sink {
  size_t bytes;
  int calls, stop_after; /* stop on this call (0: never) */
  int headers_calls, status;
  char type[64];
  long long last_down, last_total;
  int progress_calls;
};

static int on_data(ah_future *f, const char *data, size_t len, void *ud)
{
  struct sink *k = ud;
  size_t i;

  assert_non_null(f);
  for (i = 0; i < len; i++)
    if (data[i] != 'x')
      fail_msg("unexpected byte");
  k->bytes += len;
  k->calls++;
  return k->stop_after != 0 && k->calls >= k->stop_after;
}

static void test_data_callback_sees_every_byte(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  struct sink k;
  ah_future *f;
  size_t len = 1;

  (void)state;
  memset(&k, 0, sizeof k);
  assert_int_equal(ah_request_opts_on_data(o, on_data, &k), AH_OK);
  f = ah_session_fetch(s, tu_url("/size/1000000"), o);
  assert_int_equal(ah_future_wait(f, 20000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_int_equal(k.bytes, 1000000);
  assert_true(k.calls > 1);
  /* The body went to the callback, not into the response. */
  assert_string_equal(ah_response_body(ah_future_response(f), &len), "");
  assert_int_equal(len, 0);
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* Stopping ends that future alone with AH_ESTOPPED; the request beside it
 * on the same session completes with its whole body. */
static void test_data_callback_stops(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  struct sink k;
  ah_future *fs[2];

  (void)state;
  memset(&k, 0, sizeof k);
  k.stop_after = 1;
  ah_request_opts_on_data(o, on_data, &k);
  fs[0] = ah_session_fetch(s, tu_url("/size/10000000"), o);
  fs[1] = ah_session_fetch(s, tu_url("/size/300000"), NULL);
  assert_int_equal(ah_gather(fs, 2, 20000), AH_OK);
  assert_int_equal(ah_future_error(fs[0]), AH_ESTOPPED);
  assert_non_null(strstr(ah_future_errmsg(fs[0]), "/size/10000000"));
  assert_int_equal(k.calls, 1);
  assert_int_equal(ah_future_error(fs[1]), AH_OK);
  {
    size_t len;
    ah_response_body(ah_future_response(fs[1]), &len);
    assert_int_equal(len, 300000);
  }
  ah_future_free(fs[0]);
  ah_future_free(fs[1]);
  ah_request_opts_free(o);
  ah_session_free(s);
}

static int on_headers(ah_future *f, const ah_response *head, void *ud)
{
  struct sink *k = ud;
  const char *t = ah_response_header(head, "content-type");

  assert_non_null(f);
  k->headers_calls++;
  k->status = ah_response_status(head);
  snprintf(k->type, sizeof k->type, "%s", t ? t : "");
  assert_int_equal(ah_response_body(head, NULL)[0], '\0');
  /* The version is known from the status line already. */
  assert_int_equal(ah_response_http_version(head), 11);
  return k->stop_after;
}

/* Called once, for the final response: not for the redirects before it. */
static void test_headers_callback(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  struct sink k;
  ah_future *f;

  (void)state;
  memset(&k, 0, sizeof k);
  ah_request_opts_on_headers(o, on_headers, &k);
  f = ah_session_fetch(s, tu_url("/redirect/2"), o);
  assert_int_equal(ah_future_wait(f, 20000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_int_equal(k.headers_calls, 1);
  assert_int_equal(k.status, 200);
  assert_string_equal(ah_response_body(ah_future_response(f), NULL), "arrived");
  ah_future_free(f);
  /* A 404 is a final response too; stopping on it ends the request. */
  memset(&k, 0, sizeof k);
  k.stop_after = 1;
  f = ah_session_fetch(s, tu_url("/size/100"), o);
  assert_int_equal(ah_future_wait(f, 20000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_ESTOPPED);
  assert_int_equal(k.headers_calls, 1);
  assert_string_equal(k.type, "text/plain");
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

static int on_progress(ah_future *f, long long down, long long down_total,
                       long long up, long long up_total, void *ud)
{
  struct sink *k = ud;

  (void)f; (void)up; (void)up_total;
  k->progress_calls++;
  if (down < k->last_down)
    fail_msg("progress went backwards");
  k->last_down = down;
  if (down_total > 0)
    k->last_total = down_total;
  return k->stop_after != 0 && down > 0;
}

static void test_progress_callback(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  struct sink k;
  ah_future *f;

  (void)state;
  memset(&k, 0, sizeof k);
  ah_request_opts_on_progress(o, on_progress, &k);
  f = ah_session_fetch(s, tu_url("/size/2000000"), o);
  assert_int_equal(ah_future_wait(f, 20000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_true(k.progress_calls >= 1);
  assert_int_equal(k.last_down, 2000000);
  assert_int_equal(k.last_total, 2000000);
  ah_future_free(f);
  memset(&k, 0, sizeof k);
  k.stop_after = 1;
  f = ah_session_fetch(s, tu_url("/drip/20"), o);
  assert_int_equal(ah_future_wait(f, 20000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_ESTOPPED);
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* Inside a transfer callback: waits are refused, a fetch starts once the
 * callback has returned, and cancel and free take effect then. */
struct reentry {
  ah_session *s;
  ah_future *other, *started, *self;
  int wait_rc, calls;
};

static int reenter(ah_future *f, const char *data, size_t len, void *ud)
{
  struct reentry *r = ud;

  (void)data; (void)len;
  if (r->calls++ > 0)
    return 0;
  r->wait_rc = ah_future_wait(r->other, 0);
  r->started = ah_session_fetch(r->s, tu_url("/size/10"), NULL);
  ah_future_cancel(r->other);
  ah_future_free(f); /* its own future: freed when the request ends */
  return 0;
}

static void test_calls_from_transfer_callbacks(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  struct reentry r;

  (void)state;
  memset(&r, 0, sizeof r);
  r.s = s;
  ah_request_opts_on_data(o, reenter, &r);
  r.other = ah_session_fetch(s, tu_url("/delay/5000"), NULL);
  r.self = ah_session_fetch(s, tu_url("/size/100000"), o);
  assert_int_equal(ah_future_wait(r.other, 20000), AH_OK);
  assert_int_equal(r.wait_rc, AH_EBUSY);
  assert_int_equal(ah_future_error(r.other), AH_ECANCELED);
  assert_non_null(r.started);
  assert_int_equal(ah_future_wait(r.started, 20000), AH_OK);
  assert_int_equal(ah_future_error(r.started), AH_OK);
  assert_string_equal(ah_response_body(ah_future_response(r.started), NULL),
                      "xxxxxxxxxx");
  ah_future_free(r.other);
  ah_future_free(r.started);
  ah_request_opts_free(o);
  ah_session_free(s); /* r.self, freed from its callback, is gone by now */
}

static void test_timings_version_addresses(void **state)
{
  ah_session *s = ah_session_new(NULL);
  const ah_response *r;
  ah_future *f;
  long long t[7];
  int i, port = 0, lport = 0;

  (void)state;
  f = ah_session_fetch(s, tu_url("/redirect/2"), NULL);
  assert_int_equal(ah_future_wait(f, 20000), AH_OK);
  r = ah_future_response(f);
  assert_non_null(r);
  for (i = 0; i < 7; i++)
    t[i] = ah_response_time_us(r, i);
  assert_int_equal(ah_response_time_us(r, 7), -1);
  assert_int_equal(ah_response_time_us(r, -1), -1);
  assert_true(t[AH_TIME_LOOKUP] <= t[AH_TIME_CONNECT]);
  assert_true(t[AH_TIME_CONNECT] <= t[AH_TIME_TLS]);
  assert_true(t[AH_TIME_TLS] <= t[AH_TIME_FIRST_BYTE]);
  assert_true(t[AH_TIME_FIRST_BYTE] <= t[AH_TIME_TOTAL]);
  assert_true(t[AH_TIME_TOTAL] > 0);
  assert_true(t[AH_TIME_TOTAL] < 20 * 1000 * 1000);
  assert_int_equal(t[AH_TIME_QUEUE], 0); /* it never waited */
  assert_int_equal(ah_response_redirects(r), 2);
  assert_int_equal(ah_response_http_version(r), 11);
  assert_string_equal(ah_response_remote_addr(r, &port), "127.0.0.1");
  assert_int_equal(port, tu_port);
  assert_string_equal(ah_response_local_addr(r, &lport), "127.0.0.1");
  assert_true(lport > 0 && lport != tu_port);
  ah_future_free(f);
  ah_session_free(s);
}

/* A request that waited in the queue says for how long. */
static void test_queue_time(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_session *s;
  ah_future *fs[2];

  (void)state;
  ah_session_opts_set_max_connections(so, 1, 0);
  s = ah_session_new(so);
  fs[0] = ah_session_fetch(s, tu_url("/delay/300"), NULL);
  fs[1] = ah_session_fetch(s, tu_url("/size/1"), NULL);
  assert_int_equal(ah_gather(fs, 2, 20000), AH_OK);
  assert_int_equal(ah_response_time_us(ah_future_response(fs[0]), AH_TIME_QUEUE), 0);
  assert_true(ah_response_time_us(ah_future_response(fs[1]), AH_TIME_QUEUE) >= 250000);
  ah_future_free(fs[0]);
  ah_future_free(fs[1]);
  ah_session_free(s);
  ah_session_opts_free(so);
}

struct heads {
  int calls;
  char reason[64];
  size_t trailers, bytes;
};

static int note_head(ah_future *f, const ah_response *head, void *ud)
{
  struct heads *h = ud;

  (void)f;
  h->calls++;
  snprintf(h->reason, sizeof h->reason, "%s", ah_response_reason(head));
  h->trailers = ah_response_trailer_count(head);
  return 0;
}

static int count_bytes(ah_future *f, const char *data, size_t len, void *ud)
{
  (void)f;
  (void)data;
  ((struct heads *)ud)->bytes += len;
  return 0;
}

/* The reason phrase of the status line, and the trailers of a chunked
 * response apart from its headers: the headers callback runs once, before
 * them (it ran again for each trailer line before), and a streamed body's
 * response has them too. A malformed trailer is AH_EPROTO on every
 * libcurl (7.88 and 8.5 refuse one without a colon themselves, with a
 * code of their own). */
static void test_reason_and_trailers(void **state)
{
  static const char *const bad[] = {"/trailers?no%20colon", "/trailers?%20folded:x",
                                    "/trailers?Bad%20Name:x"};
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  struct heads h;
  const ah_response *r;
  const char *n, *v;
  ah_future *f;
  size_t i;

  (void)state;
  memset(&h, 0, sizeof h);
  assert_int_equal(ah_request_opts_on_headers(o, note_head, &h), AH_OK);
  f = tu_fetch(s, tu_url("/trailers?X-Checksum:%20abc|grpc-status:0"), o);
  assert_string_equal(tu_body(f), "hello");
  r = ah_future_response(f);
  assert_int_equal(h.calls, 1);
  assert_string_equal(h.reason, "OK");
  assert_int_equal(h.trailers, 0);
  assert_string_equal(ah_response_reason(r), "OK");
  assert_int_equal(ah_response_trailer_count(r), 2);
  assert_string_equal(ah_response_trailer(r, "x-checksum"), "abc");
  assert_int_equal(ah_response_trailer_at(r, 1, &n, &v), AH_OK);
  assert_string_equal(n, "grpc-status");
  assert_string_equal(v, "0");
  assert_null(ah_response_header(r, "x-checksum"));
  assert_string_equal(ah_response_header(r, "trailer"), "X-Checksum");
  ah_future_free(f);

  /* Streamed: the body went to the callback, the trailers are kept. */
  assert_int_equal(ah_request_opts_on_data(o, count_bytes, &h), AH_OK);
  f = tu_fetch(s, tu_url("/trailers?X-Checksum:%20def"), o);
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_int_equal(h.bytes, 5);
  assert_string_equal(ah_response_trailer(ah_future_response(f), "x-checksum"), "def");
  ah_future_free(f);

  f = tu_fetch(s, tu_url("/reason/404?Nicht%20gefunden"), NULL);
  r = ah_future_response(f);
  assert_non_null(r);
  assert_int_equal(ah_response_status(r), 404);
  assert_string_equal(ah_response_reason(r), "Nicht gefunden");
  assert_int_equal(ah_response_trailer_count(r), 0);
  ah_future_free(f);

  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    f = tu_fetch(s, tu_url(bad[i]), NULL);
    if (ah_future_error(f) != AH_EPROTO)
      fail_msg("%s: %s", bad[i], ah_future_errmsg(f));
    ah_future_free(f);
  }
  f = tu_fetch(s, tu_url("/trailers"), NULL); /* none: fine */
  assert_string_equal(tu_body(f), "hello");
  assert_int_equal(ah_response_trailer_count(ah_future_response(f)), 0);
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* Decompression off: the body as sent, gzip bytes, counted as received
 * against the body limit; Accept-Encoding is still sent; the requests
 * after it on the session decode again. */
static void test_decompress_off(void **state)
{
  ah_session_opts *so = ah_session_opts_new();
  ah_request_opts *o = ah_request_opts_new();
  const ah_response *r;
  const char *b;
  ah_session *s;
  ah_future *f;
  size_t len, i;

  (void)state;
  assert_int_equal(ah_session_opts_set_max_body(so, 10000), AH_OK);
  assert_int_equal(ah_session_opts_set_max_connections(so, 1, 0), AH_OK);
  s = ah_session_new(so);
  ah_session_opts_free(so);
  assert_int_equal(ah_request_opts_set_decompress(NULL, 0), AH_EINVAL);
  assert_int_equal(ah_request_opts_set_decompress(o, 0), AH_OK);
  /* 1,000,000 bytes as about 1,000 of gzip: under the limit as sent. */
  f = tu_fetch(s, tu_url("/gzip/1000000"), o);
  assert_int_equal(ah_future_error(f), AH_OK);
  r = ah_future_response(f);
  b = ah_response_body(r, &len);
  assert_int_equal(len, strtoul(ah_response_header(r, "content-length"), NULL, 10));
  assert_true(len < 10000);
  assert_memory_equal(b, "\x1f\x8b", 2);
  assert_string_equal(ah_response_header(r, "content-encoding"), "gzip");
  ah_future_free(f);
  /* Decoded, the same body is over the limit. */
  f = tu_fetch(s, tu_url("/gzip/1000000"), NULL);
  assert_int_equal(ah_future_error(f), AH_ETOOLARGE);
  ah_future_free(f);
  /* The one connection and handle decode again. */
  f = tu_fetch(s, tu_url("/gzip/1000"), NULL);
  b = ah_response_body(ah_future_response(f), &len);
  assert_int_equal(len, 1000);
  for (i = 0; i < len; i++)
    assert_int_equal(b[i], 'z');
  ah_future_free(f);
  f = tu_fetch(s, tu_url("/echo"), o);
  assert_non_null(strstr(tu_body(f), "header Accept-Encoding: "));
  ah_future_free(f);
  /* Turned on again, the option decodes. */
  assert_int_equal(ah_request_opts_set_decompress(o, 1), AH_OK);
  f = tu_fetch(s, tu_url("/gzip/1000"), o);
  ah_response_body(ah_future_response(f), &len);
  assert_int_equal(len, 1000);
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
}

/* The TCP sockets ahttp opens for libcurl are marked so that the reactor
 * acknowledges a read at once while the rest of the response is to come
 * (reactor.h, ah__reactor_ack_reads): whatever flags the running libcurl
 * adds to the socket type it asks for (8.9 on add SOCK_NONBLOCK, 8.21
 * SOCK_CLOEXEC). A body that comes a byte at a time gets such reads. */
static void test_tcp_reads_acked_at_once(void **state)
{
  ah_session *s = ah_session_new(NULL);
  struct ah__reactor *r = ah__session_reactor(s);
  ah_future *f;

  (void)state;
  f = ah_session_fetch(s, tu_url("/size/10"), NULL);
  assert_int_equal(ah_future_wait(f, 20000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_OK);
  ah_future_free(f);
  r->nack = 0;
  f = ah_session_fetch(s, tu_url("/drip/3"), NULL);
  assert_int_equal(ah_future_wait(f, 20000), AH_OK);
  assert_int_equal(ah_future_error(f), AH_OK);
  assert_true(r->nack >= 2);
  ah_future_free(f);
  ah_session_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_data_callback_sees_every_byte),
    TU_TEST(test_data_callback_stops),
    TU_TEST(test_headers_callback),
    TU_TEST(test_progress_callback),
    TU_TEST(test_calls_from_transfer_callbacks),
    TU_TEST(test_timings_version_addresses),
    TU_TEST(test_queue_time),
    TU_TEST(test_reason_and_trailers),
    TU_TEST(test_decompress_off),
    TU_TEST(test_tcp_reads_acked_at_once),
  };
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
