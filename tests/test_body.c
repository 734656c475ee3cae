/* test_body.c - the buffer a kept body grows in (lib/body.c): small ones
 * stay on the heap; past AH__BODY_MAP_MIN the bytes move once into pages
 * of their own, which then grow by mremap with every byte where it was;
 * the trim gives back the unused pages. A freed large buffer's pages are
 * kept for the next large body, never more than were in use at once,
 * and a session's end gives them back. And a chunked body of 1 MiB,
 * whole and mapped, through a real transfer. */
#include <ahttp.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "body.h"
#include "journey.h"
#include "response.h"
#include "rx.h"
#include "testutil.h"

#define LINE(r, s) ah__rx_header_line(r, s, strlen(s), &why)

/* Append n bytes of a pattern that depends on the position. */
static void append(char **p, size_t *len, size_t *cap, int *mapped, size_t n)
{
  size_t i, ncap = *cap ? *cap : 1024;

  while (ncap < *len + n + 1)
    ncap *= 2;
  if (ncap > *cap)
    assert_int_equal(ah__body_grow(p, *len, *len + n + 1, cap, ncap, mapped), 0);
  for (i = 0; i < n; i++)
    (*p)[*len + i] = (char)((*len + i) * 7 % 251);
  *len += n;
  (*p)[*len] = '\0';
}

static int intact(const char *p, size_t len)
{
  size_t i;

  for (i = 0; i < len; i++)
    if (p[i] != (char)(i * 7 % 251))
      return 0;
  return 1;
}

/* 1 when [p, p + n) is mapped (mincore fails with ENOMEM where not). */
static int is_mapped(void *p, size_t n)
{
  unsigned char v[64];

  assert_true(ah__body_pages(n) / (size_t)sysconf(_SC_PAGESIZE) <= sizeof v);
  return mincore(p, n, v) == 0 ? 1 : (errno == ENOMEM ? 0 : -1);
}

/* used + kept within the most, and what is in use. */
static void check_keep(size_t used_now)
{
  size_t used, most, kept;

  ah__body_keep_stats(&used, &most, &kept);
  assert_int_equal(used, used_now);
  assert_true(used + kept <= most);
  assert_true(kept <= AH__BODY_KEEP_BYTES);
}

static size_t kept_now(void)
{
  size_t used, most, kept;

  ah__body_keep_stats(&used, &most, &kept);
  return kept;
}

static void test_small_body_stays_on_the_heap(void **state)
{
  char *p = NULL;
  size_t len = 0, cap = 0;
  int mapped = 0;

  (void)state;
  while (len < AH__BODY_MAP_MIN / 4)
    append(&p, &len, &cap, &mapped, 1000);
  assert_int_equal(mapped, 0);
  assert_true(intact(p, len));
  assert_int_equal(ah__body_trim(&p, len, &cap, &mapped), 0);
  assert_int_equal(cap, len + 1); /* a quarter was unused: given back */
  assert_true(intact(p, len));
  ah__body_free(p, cap, mapped);
}

static void test_large_body_grows_in_its_own_pages(void **state)
{
  char *p = NULL, *first = NULL;
  size_t len = 0, cap = 0, page = (size_t)sysconf(_SC_PAGESIZE);
  int mapped = 0;

  (void)state;
  ah__body_keep_hold(); /* as a session does: freed pages may be kept */
  while (len < 8u << 20) {
    append(&p, &len, &cap, &mapped, 16000);
    if (mapped && first == NULL) {
      /* The one move, heap to pages: at the append whose bytes (and
       * NUL) reach AH__BODY_MAP_MIN, not before (it could end under) */
      first = p;
      assert_true(len + 1 >= AH__BODY_MAP_MIN);
      assert_true(len - 16000 + 1 < AH__BODY_MAP_MIN);
    }
  }
  assert_int_equal(mapped, 1);
  assert_int_equal(cap % page, 0);
  check_keep(cap);
  assert_true(intact(p, len));
  assert_int_equal(ah__body_trim(&p, len, &cap, &mapped), 0);
  assert_int_equal(mapped, 1);
  assert_int_equal(cap, ah__body_pages(len + 1));
  check_keep(cap); /* the trimmed pages are no longer in use */
  assert_true(intact(p, len));
  /* The pages past the trim are gone; the free keeps the rest (the
   * most in use was this one buffer) until the last session's end. */
  assert_int_equal(is_mapped(p + cap, page), 0);
  assert_int_equal(is_mapped(p, page), 1);
  ah__body_free(p, cap, mapped);
  assert_int_equal(is_mapped(p, page), 1);
  assert_int_equal(kept_now(), cap);
  check_keep(0);
  ah__body_keep_release();
  assert_int_equal(is_mapped(p, page), 0);
  assert_int_equal(kept_now(), 0);
}

/* A large body of known size: pages of its own, and the pages of the
 * last one freed, not fresh ones, when they fit. */
static void test_freed_pages_serve_the_next_body(void **state)
{
  size_t n = (1u << 20) + 1, cap, cap2, cap3;
  char *p, *q, *r;
  int mapped;

  (void)state;
  ah__body_keep_hold();
  assert_int_equal(ah__body_alloc(&p, &cap, n, &mapped), 0);
  assert_int_equal(mapped, 1);
  assert_int_equal(cap, ah__body_pages(n));
  memset(p, 'x', n);
  ah__body_free(p, cap, mapped);
  /* The same size again: the same pages, still holding what was there. */
  assert_int_equal(ah__body_alloc(&q, &cap2, n, &mapped), 0);
  assert_ptr_equal(q, p);
  assert_int_equal(cap2, cap);
  assert_int_equal(q[n - 1], 'x');
  check_keep(cap);
  /* A second one while the first is in use: fresh pages. */
  assert_int_equal(ah__body_alloc(&r, &cap3, n, &mapped), 0);
  check_keep(cap2 + cap3);
  assert_int_equal(kept_now(), 0);
  ah__body_free(q, cap2, 1);
  /* A smaller body takes kept pages up to twice its size, and its trim
   * gives back the rest. */
  assert_int_equal(ah__body_alloc(&q, &cap2, n / 2 + 1, &mapped), 0);
  assert_ptr_equal(q, p);
  assert_int_equal(ah__body_trim(&q, n / 2, &cap2, &mapped), 0);
  assert_int_equal(cap2, ah__body_pages(n / 2 + 1));
  assert_int_equal(is_mapped(q + cap2, 4096), 0);
  check_keep(cap2 + cap3);
  ah__body_free(q, cap2, 1);
  ah__body_free(r, cap3, 1);
  assert_int_equal(ah__body_keep_drain(), cap2 + cap3);
  /* A small one, and one whose kept pages would be over twice its size,
   * are not served from them. */
  assert_int_equal(ah__body_alloc(&p, &cap, 4u << 20, &mapped), 0);
  ah__body_free(p, cap, 1);
  assert_int_equal(ah__body_alloc(&q, &cap2, AH__BODY_MAP_MIN - 1, &mapped), 0);
  assert_int_equal(mapped, 0);
  ah__body_free(q, cap2, mapped);
  assert_int_equal(kept_now(), cap);
  assert_int_equal(ah__body_alloc(&q, &cap2, AH__BODY_MAP_MIN, &mapped), 0);
  assert_int_equal(mapped, 1);
  assert_ptr_not_equal(q, p);
  ah__body_free(q, cap2, 1);
  check_keep(0);
  ah__body_keep_release();
  assert_int_equal(kept_now(), 0);
}

/* A body growing without a length moves into kept pages of any size,
 * keeps their whole size, and grows past it by mremap. */
static void test_growing_body_takes_kept_pages(void **state)
{
  char *k, *p = NULL;
  size_t kc, len = 0, cap = 0;
  int mapped = 0;

  (void)state;
  ah__body_keep_hold();
  assert_int_equal(ah__body_alloc(&k, &kc, 4u << 20, &mapped), 0);
  ah__body_free(k, kc, 1);
  mapped = 0;
  while (!mapped)
    append(&p, &len, &cap, &mapped, 16000);
  assert_ptr_equal(p, k);
  assert_int_equal(cap, kc);
  check_keep(kc);
  while (len < 6u << 20)
    append(&p, &len, &cap, &mapped, 16000);
  assert_true(intact(p, len));
  check_keep(cap);
  assert_int_equal(ah__body_trim(&p, len, &cap, &mapped), 0);
  check_keep(ah__body_pages(len + 1));
  ah__body_free(p, cap, mapped);
  check_keep(0);
  ah__body_keep_release();
}

/* What is kept never takes the pages in use and kept past the most ever
 * in use at once: a free that would is unmapped, and a fresh mapping
 * that would unmaps kept ones. Nor past AH__BODY_KEEP_BYTES. */
static void test_kept_pages_bounded_by_the_most_in_use(void **state)
{
  size_t small = 1u << 20, big = 4u << 20, cs, cb, c[17];
  char *p, *q, *v[17];
  int mapped, i;

  (void)state;
  ah__body_keep_hold();
  assert_int_equal(ah__body_alloc(&p, &cs, small, &mapped), 0);
  ah__body_free(p, cs, 1);              /* kept: 1 MiB, the most in use */
  assert_int_equal(ah__body_alloc(&q, &cb, big, &mapped), 0);
  assert_ptr_not_equal(q, p);           /* too small to serve: fresh... */
  check_keep(cb);                       /* ...and 1 + 4 MiB would pass */
  assert_int_equal(is_mapped(p, 4096), 0);
  ah__body_free(q, cb, 1);
  assert_int_equal(kept_now(), cb);
  assert_int_equal(ah__body_keep_drain(), cb);
  /* After a drain, the most is what is in use then (nothing). Two in use
   * at once, both kept; then a larger one while they are kept: they
   * are unmapped, as it is in use. */
  assert_int_equal(ah__body_alloc(&p, &cs, small, &mapped), 0);
  assert_int_equal(ah__body_alloc(&q, &cb, small, &mapped), 0);
  ah__body_free(p, cs, 1);
  ah__body_free(q, cb, 1);
  assert_int_equal(kept_now(), cs + cb);
  assert_int_equal(ah__body_alloc(&p, &cs, big, &mapped), 0);
  check_keep(cs);
  assert_int_equal(kept_now(), 0);
  ah__body_free(p, cs, 1);
  assert_int_equal(ah__body_keep_drain(), cs);
  /* 17 of 4 MiB in use at once: 16 are kept, 64 MiB, the 17th is not. */
  for (i = 0; i < 17; i++)
    assert_int_equal(ah__body_alloc(&v[i], &c[i], big, &mapped), 0);
  for (i = 0; i < 17; i++)
    ah__body_free(v[i], c[i], 1);
  assert_int_equal(kept_now(), AH__BODY_KEEP_BYTES);
  assert_int_equal(is_mapped(v[16], 4096), 0);
  check_keep(0);
  ah__body_keep_release();
  assert_int_equal(kept_now(), 0);
}

/* A body that did not complete is never kept; nor is any body while no
 * session is alive; and a session's end drains only when it is the
 * last. */
static void test_what_is_not_kept(void **state)
{
  size_t n = 1u << 20, c;
  char *p;
  int mapped;

  (void)state;
  assert_int_equal(ah__body_alloc(&p, &c, n, &mapped), 0);
  ah__body_free(p, c, 1);               /* no session: unmapped */
  assert_int_equal(kept_now(), 0);
  assert_int_equal(is_mapped(p, 4096), 0);
  ah__body_keep_hold();
  ah__body_keep_hold();
  assert_int_equal(ah__body_alloc(&p, &c, n, &mapped), 0);
  ah__body_drop(p, c, 1);               /* incomplete: unmapped */
  assert_int_equal(kept_now(), 0);
  assert_int_equal(ah__body_alloc(&p, &c, n, &mapped), 0);
  ah__body_free(p, c, 1);
  assert_int_equal(kept_now(), c);
  ah__body_keep_release();              /* one session of two ends */
  assert_int_equal(kept_now(), c);
  assert_int_equal(is_mapped(p, 4096), 1);
  ah__body_keep_release();              /* the last */
  assert_int_equal(kept_now(), 0);
  assert_int_equal(is_mapped(p, 4096), 0);
  check_keep(0);
  /* A coded body that came out small: under AH__BODY_MAP_MIN its pages
   * would serve no later body. */
  ah__body_keep_hold();
  assert_int_equal(ah__body_alloc(&p, &c, n, &mapped), 0);
  assert_int_equal(ah__body_trim(&p, AH__BODY_MAP_MIN / 2, &c, &mapped), 0);
  assert_int_equal(mapped, 1);
  ah__body_free(p, c, 1);
  assert_int_equal(kept_now(), 0);
  assert_int_equal(is_mapped(p, 4096), 0);
  ah__body_keep_release();
}

/* A child after fork(2) starts with no session alive: what it frees is
 * not kept until it makes a session of its own, whose end drains its
 * store; the parent's store is its own. */
static void test_fork_child_keeps_for_its_own_sessions(void **state)
{
  size_t n = 1u << 20, c, c2;
  char *p, *q;
  int mapped, status;
  pid_t pid;

  (void)state;
  ah__body_keep_hold();
  assert_int_equal(ah__body_alloc(&p, &c, n, &mapped), 0);
  ah__body_free(p, c, 1);
  assert_int_equal(kept_now(), c);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int bad = 0;
    if (ah__body_alloc(&q, &c2, n, &mapped) < 0 || q != p)
      bad |= 1; /* the copy of the parent's kept pages serves it */
    ah__body_free(q, c2, 1);
    bad |= kept_now() != 0 ? 2 : 0; /* no session of its own: unmapped */
    ah__body_keep_hold();
    if (ah__body_alloc(&q, &c2, n, &mapped) < 0)
      bad |= 4;
    ah__body_free(q, c2, 1);
    bad |= kept_now() != c2 ? 8 : 0;
    ah__body_keep_release();
    bad |= kept_now() != 0 ? 16 : 0;
    _exit(bad);
  }
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_int_equal(kept_now(), c);
  assert_int_equal(is_mapped(p, 4096), 1);
  ah__body_keep_release();
  assert_int_equal(kept_now(), 0);
}

/* A body of 64 KiB, W2's (docs/performance.md): in pages of its own, and
 * the next one of that size takes them. On the heap, a window of them
 * freed one by one had glibc give the top of its heap back and fault it
 * in again: 1.6 to 2.6 faults a request on libcurl 8.21. */
static void test_64k_body_in_kept_pages(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_future *f;
  const char *b = tu_fetch_ok(s, tu_url("/size/65536"), NULL, &f), *b2;

  (void)state;
  assert_true(65536 + 1 >= AH__BODY_MAP_MIN);
  assert_int_equal(ah_future_response(f)->body_len, 65536);
  assert_int_equal(ah_future_response(f)->body_mapped, 1);
  ah_future_free(f);
  assert_int_equal(kept_now(), ah__body_pages(65536 + 1));
  b2 = tu_fetch_ok(s, tu_url("/size/65536"), NULL, &f);
  assert_ptr_equal(b2, b); /* the same pages, no fault */
  assert_int_equal(kept_now(), 0);
  ah_future_free(f);
  ah_session_free(s);
  check_keep(0);
}

/* The lower edge: bodies that end under AH__BODY_MAP_MIN stay on the
 * heap, with a Content-Length or growing (chunked, or decoded), and do
 * not take the kept pages of a larger one. A growing body used to move
 * into pages once its next buffer reached the threshold, to be trimmed
 * under it and unmapped: 10 faults a request for 40 KB chunked bodies. */
static void test_bodies_under_the_threshold_stay_on_the_heap(void **state)
{
  static const char *paths[] = {"/size/60000", "/chunked/40000", "/gzip/40000",
                                "/chunked/65534"};
  ah_session *s = ah_session_new(NULL);
  ah_future *f;
  size_t i, kept;

  (void)state;
  assert_true(60000 + 1 < AH__BODY_MAP_MIN && 65534 + 1 < AH__BODY_MAP_MIN);
  assert_true(40000 > AH__BODY_MAP_MIN / 2); /* its last buffer doubles to it */
  tu_fetch_ok(s, tu_url("/size/65536"), NULL, &f);
  ah_future_free(f);
  kept = kept_now();
  assert_true(kept > 0);
  for (i = 0; i < sizeof paths / sizeof *paths; i++) {
    tu_fetch_ok(s, tu_url(paths[i]), NULL, &f);
    assert_int_equal(ah_future_response(f)->body_mapped, 0);
    assert_int_equal(kept_now(), kept); /* the kept pages still there */
    ah_future_free(f);
  }
  ah_session_free(s);
  check_keep(0);
}

/* A response of 1 MiB with a Content-Length: its body in pages of its
 * own, kept when the future is freed, through the end of one session
 * of two, and given back by the last one's end. */
static void test_session_end_gives_kept_pages_back(void **state)
{
  ah_session *s = ah_session_new(NULL), *other = ah_session_new(NULL);
  ah_future *f;
  const char *b = tu_fetch_ok(s, tu_url("/size/1048576"), NULL, &f);

  (void)state;
  assert_int_equal(ah_future_response(f)->body_len, 1048576);
  assert_int_equal(ah_future_response(f)->body_mapped, 1);
  ah_future_free(f);
  assert_int_equal(is_mapped((void *)b, 4096), 1);
  ah_session_free(s);
  assert_int_equal(is_mapped((void *)b, 4096), 1);
  ah_session_free(other);
  assert_int_equal(is_mapped((void *)b, 4096), 0);
  check_keep(0);
}

/* A Content-Length announced and not sent maps nothing past what came:
 * the most in use, which bounds what is kept, is not raised by it. A
 * length that is sent grows the body to it, not past it; and a body
 * kept from it serves the next body of that length whole. */
static void test_announced_length_maps_what_comes(void **state)
{
  static char chunk[65536];
  struct ah__rx *r;
  const char *why = NULL;
  size_t used, most, kept, n = 3u << 20;
  char *p;

  (void)state;
  ah__body_keep_hold();
  ah__body_keep_drain(); /* the most: what is in use now, nothing */
  r = ah__rx_new(100u << 20, 4096, AH__FOLLOW_ALL);
  memset(chunk, 'a', sizeof chunk);
  assert_int_equal(LINE(r, "HTTP/1.1 200 OK\r\n"), AH_OK);
  assert_int_equal(LINE(r, "Content-Length: 60000000\r\n"), AH_OK);
  assert_int_equal(LINE(r, "\r\n"), AH_OK);
  assert_int_equal(ah__rx_body(r, chunk, 1000, &why), AH_OK);
  assert_int_equal(r->body_mapped, 1);
  assert_int_equal(r->body_cap, AH__BODY_MAP_MIN);
  ah__rx_free(r); /* the server closed: the body did not complete */
  ah__body_keep_stats(&used, &most, &kept);
  assert_int_equal(used, 0);
  assert_true(most <= AH__BODY_MAP_MIN);
  assert_int_equal(kept, 0);
  /* 3 MiB announced and sent: grown to pages(n + 1), no further. */
  r = ah__rx_new(100u << 20, 4096, AH__FOLLOW_ALL);
  assert_int_equal(LINE(r, "HTTP/1.1 200 OK\r\n"), AH_OK);
  assert_int_equal(LINE(r, "Content-Length: 3145728\r\n"), AH_OK);
  assert_int_equal(LINE(r, "\r\n"), AH_OK);
  while (r->body_len < n)
    assert_int_equal(ah__rx_body(r, chunk, sizeof chunk, &why), AH_OK);
  assert_int_equal(r->body_cap, ah__body_pages(n + 1));
  p = r->body;
  ah__body_free(r->body, r->body_cap, 1); /* as its response's free */
  r->body = NULL;
  r->body_cap = 0;
  r->body_mapped = 0;
  assert_int_equal(kept_now(), ah__body_pages(n + 1));
  ah__rx_reset(r, 100u << 20, 4096, AH__FOLLOW_ALL);
  assert_int_equal(LINE(r, "HTTP/1.1 200 OK\r\n"), AH_OK);
  assert_int_equal(LINE(r, "Content-Length: 3145728\r\n"), AH_OK);
  assert_int_equal(LINE(r, "\r\n"), AH_OK);
  assert_int_equal(ah__rx_body(r, chunk, 1000, &why), AH_OK);
  assert_ptr_equal(r->body, p); /* the kept pages, whole */
  assert_int_equal(r->body_cap, ah__body_pages(n + 1));
  ah__rx_free(r);
  check_keep(0);
  ah__body_keep_release();
}

/* A chunked response of 1 MiB (no Content-Length): kept whole, in pages
 * of its own, and freed with its future (the descriptor and leak checks
 * of every test, and the sanitizer and valgrind legs). */
static void test_chunked_body_through_a_transfer(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_future *f;
  const char *b = tu_fetch_ok(s, tu_url("/chunked/1048576"), NULL, &f);
  const ah_response *r = ah_future_response(f);
  size_t len = r->body_len, i;

  (void)state;
  assert_int_equal(len, 1048576);
  for (i = 0; i < len && b[i] == 'c'; i++)
    ;
  assert_int_equal(i, len);
  assert_int_equal(b[len], '\0');
  assert_int_equal(r->body_mapped, 1);
  ah_future_free(f);
  ah_session_free(s);
}

/* Chunked with a Content-Length far over the body limit (64 MiB by
 * default): the chunked coding overrides the length, as libcurl reads
 * it, so the body is kept as it comes, not refused, nor mapped at the
 * announced size. */
static void test_chunked_length_ignored(void **state)
{
  ah_session *s = ah_session_new(NULL);
  ah_future *f;
  size_t used, most, kept;

  (void)state;
  tu_fetch_ok(s, tu_url("/chunked-lying/307200"), NULL, &f);
  assert_int_equal(ah_future_response(f)->body_len, 307200);
  ah__body_keep_stats(&used, &most, &kept);
  assert_true(most < (4u << 20)); /* never 100 MB mapped */
  ah_future_free(f);
  ah_session_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_small_body_stays_on_the_heap),
    TU_TEST(test_large_body_grows_in_its_own_pages),
    TU_TEST(test_freed_pages_serve_the_next_body),
    TU_TEST(test_growing_body_takes_kept_pages),
    TU_TEST(test_kept_pages_bounded_by_the_most_in_use),
    TU_TEST(test_what_is_not_kept),
    TU_TEST(test_announced_length_maps_what_comes),
    TU_TEST(test_fork_child_keeps_for_its_own_sessions),
    TU_TEST(test_64k_body_in_kept_pages),
    TU_TEST(test_bodies_under_the_threshold_stay_on_the_heap),
    TU_TEST(test_session_end_gives_kept_pages_back),
    TU_TEST(test_chunked_body_through_a_transfer),
    TU_TEST(test_chunked_length_ignored),
  };
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
