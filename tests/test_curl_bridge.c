/* test_curl_bridge.c - the multi_socket bridge on a reactor, with plain
 * easy handles: completion reported outside libcurl, and removal in any
 * state releasing the socket at once. */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "global.h"
#include "curl_bridge.h"
#include "reactor.h"
#include "testutil.h"

struct ctx {
  struct ah__bridge b;
  struct ah__reactor r;
  int done_calls;
  CURLcode rc;
  int in_curl_at_done;
  size_t bytes;
};

static void on_done(void *arg, CURL *easy, CURLcode rc)
{
  struct ctx *c = arg;
  c->done_calls++;
  c->rc = rc;
  c->in_curl_at_done = c->b.in_curl;
  ah__bridge_remove(&c->b, easy); /* allowed: not inside libcurl */
}

static void on_watch_failed(void *arg, CURL *easy, int err)
{
  (void)arg; (void)easy; (void)err;
  fail_msg("the reactor refused a socket");
}

static const struct ah__bridge_ops ops = {on_done, on_watch_failed, NULL, NULL};

static size_t count(char *p, size_t s, size_t n, void *ud)
{
  (void)p;
  ((struct ctx *)ud)->bytes += s * n;
  return s * n;
}

static void open_ctx(struct ctx *c)
{
  memset(c, 0, sizeof *c);
  assert_int_equal(ah__global_init(), 0);
  assert_int_equal(ah__reactor_init(&c->r, ah__bridge_on_timer, &c->b), 0);
  assert_int_equal(ah__bridge_init(&c->b, &c->r, &ops, c), 0);
}

static void close_ctx(struct ctx *c)
{
  ah__bridge_close(&c->b);
  ah__reactor_close(&c->r);
}

static CURL *easy_for(struct ctx *c, const char *path)
{
  CURL *e = curl_easy_init();
  curl_easy_setopt(e, CURLOPT_URL, tu_url(path));
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, count);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
  return e;
}

/* The socket hooks ahttp's slots use: the bridge is told of each socket
 * and closes it. */
static curl_socket_t adopt_socket(void *arg, curlsocktype purpose,
                                  struct curl_sockaddr *a)
{
  int fd = socket(a->family, a->socktype, a->protocol);

  (void)purpose;
  if (fd >= 0)
    ah__bridge_adopt(arg, fd, a->family == AF_INET || a->family == AF_INET6);
  return fd;
}

static CURL *adopting_easy_for(struct ctx *c, const char *path)
{
  CURL *e = easy_for(c, path);

  curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, adopt_socket);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, &c->b);
  assert_int_equal(ah__bridge_prepare(&c->b, e), CURLE_OK);
  return e;
}

static void run_one(struct ctx *c, CURL *e)
{
  int want = c->done_calls + 1, rounds = 0;

  assert_int_equal(ah__bridge_add(&c->b, e), CURLM_OK);
  while (c->done_calls < want && rounds++ < 10000)
    assert_true(ah__reactor_run(&c->r, 1000) >= 0);
  assert_int_equal(c->done_calls, want);
  assert_int_equal(c->rc, CURLE_OK);
}

/* Requests one after another on a keep-alive connection: between them
 * the socket is parked, so taking the connection up again makes no
 * epoll_ctl (unwatching and watching again would make two a request). */
static void test_keepalive_reuse_makes_no_epoll_ctl(void **state)
{
  struct ctx c;
  CURL *e;
  unsigned long ctl0;
  long connects;
  int i, before = tu_fd_count();

  (void)state;
  open_ctx(&c);
  e = adopting_easy_for(&c, "/size/100");
  run_one(&c, e);
  ctl0 = c.r.nctl;
  for (i = 0; i < 20; i++)
    run_one(&c, e);
  curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
  assert_int_equal(connects, 0); /* the last one reused the connection */
  assert_true(c.r.nctl - ctl0 <= 2);
  assert_int_equal(c.bytes, 21 * 100);
  curl_easy_cleanup(e);
  close_ctx(&c); /* closes the pooled connection through the bridge */
  assert_int_equal(tu_fd_count(), before);
}

/* A response that comes in pieces (headers, then a byte every 200 ms):
 * each read after which libcurl waits for more is acknowledged at once
 * (the server may be waiting for that acknowledgement to send the rest);
 * a response read whole in one go asks for nothing. */
static void test_partial_reads_acked_at_once(void **state)
{
  struct ctx c;
  CURL *e;

  (void)state;
  open_ctx(&c);
  e = adopting_easy_for(&c, "/size/100");
  run_one(&c, e);
  assert_int_equal(c.r.nack, 0);
  curl_easy_setopt(e, CURLOPT_URL, tu_url("/drip/3"));
  run_one(&c, e);
  /* The first two bytes leave it waiting (the headers too, unless libcurl
   * read them as it sent the request); the last ends it. */
  assert_true(c.r.nack >= 2);
  assert_true(c.r.nack <= 3);
  assert_int_equal(c.bytes, 103);
  curl_easy_cleanup(e);
  close_ctx(&c);
}

/* The server drops the parked connection: the reactor removes the socket
 * on its first event instead of spinning on it, and the next request
 * gets a new connection. */
static void test_parked_connection_dropped_by_server(void **state)
{
  struct ctx c;
  CURL *e;
  long connects = 0;
  int turns = 0;
  int64_t t0;

  (void)state;
  open_ctx(&c);
  e = adopting_easy_for(&c, "/idle-close/10");
  run_one(&c, e);
  t0 = ah__now_ns();
  while (ah__now_ns() - t0 < 300 * 1000000 && turns < 10000) {
    ah__reactor_run(&c.r, 50);
    turns++;
  }
  assert_true(turns <= 20); /* each turn waited; no busy loop */
  run_one(&c, e);
  curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
  assert_int_equal(connects, 1);
  assert_int_equal(c.bytes, 6);
  curl_easy_cleanup(e);
  close_ctx(&c);
}

static void test_transfers_complete(void **state)
{
  struct ctx c;
  CURL *e[3];
  int i, rounds = 0;

  (void)state;
  open_ctx(&c);
  for (i = 0; i < 3; i++) {
    e[i] = easy_for(&c, "/size/20000");
    assert_int_equal(ah__bridge_add(&c.b, e[i]), CURLM_OK);
  }
  while (c.done_calls < 3 && rounds++ < 10000)
    assert_true(ah__reactor_run(&c.r, 1000) >= 0);
  assert_int_equal(c.done_calls, 3);
  assert_int_equal(c.rc, CURLE_OK);
  assert_int_equal(c.in_curl_at_done, 0);
  assert_int_equal(c.bytes, 60000);
  for (i = 0; i < 3; i++)
    curl_easy_cleanup(e[i]);
  close_ctx(&c);
}

static void test_remove_mid_transfer_frees_socket(void **state)
{
  struct ctx c;
  CURL *e;
  int before, rounds = 0;
  long connects = 0;

  (void)state;
  open_ctx(&c);
  before = tu_fd_count();
  e = easy_for(&c, "/delay/5000");
  ah__bridge_add(&c.b, e);
  /* Run until the request is on the wire (a socket is open). */
  while (tu_fd_count() == before && rounds++ < 200)
    ah__reactor_run(&c.r, 10);
  ah__reactor_run(&c.r, 20);
  curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
  assert_true(tu_fd_count() > before);
  ah__bridge_remove(&c.b, e);
  assert_int_equal(tu_fd_count(), before); /* at once, not at cleanup */
  assert_int_equal(c.done_calls, 0);
  curl_easy_cleanup(e);
  close_ctx(&c);
}

/* The compatibility legs (make check-libcurl) name the release they mean
 * to run on: a leg that silently ran on another libcurl would prove
 * nothing. Without AH_EXPECT_LIBCURL, the libcurl found is reported. */
static void test_libcurl_under_test(void **state)
{
  const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
  const char *want = getenv("AH_EXPECT_LIBCURL");
  size_t n;

  (void)state;
  print_message("libcurl at run time: %s (built against %s)\n", v->version,
                LIBCURL_VERSION);
  if (want == NULL || *want == '\0')
    return;
  n = strlen(want);
  if (strncmp(v->version, want, n) != 0 ||
      (v->version[n] >= '0' && v->version[n] <= '9'))
    fail_msg("AH_EXPECT_LIBCURL=%s but libcurl %s runs", want, v->version);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_libcurl_under_test),
    TU_TEST(test_transfers_complete),
    TU_TEST(test_remove_mid_transfer_frees_socket),
    TU_TEST(test_keepalive_reuse_makes_no_epoll_ctl),
    TU_TEST(test_parked_connection_dropped_by_server),
    TU_TEST(test_partial_reads_acked_at_once),
  };
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
