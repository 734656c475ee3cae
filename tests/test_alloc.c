/* test_alloc.c - the allocation wrappers (lib/alloc.c). */
#include <ahttp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "response.h"
#include "testutil.h"

/* A caller's allocator whose blocks carry a tag before them: a block of
 * its own freed by another free is not a block that free knows (the C
 * library's aborts), and a block of another allocator freed by it has no
 * tag (counted in foreign). */
#define TAG 0x61687474u

struct tag {
  uint32_t tag;
  uint32_t pad;
  size_t n;
};

static long live, foreign, big_reallocs;

static void *t_malloc(size_t n)
{
  struct tag *h = n > SIZE_MAX - sizeof *h ? NULL : malloc(sizeof *h + n);

  if (h == NULL)
    return NULL;
  h->tag = TAG;
  h->n = n;
  live++;
  return h + 1;
}

static void t_free(void *p)
{
  struct tag *h = p != NULL ? (struct tag *)p - 1 : NULL;

  if (h == NULL)
    return;
  if (h->tag != TAG) {
    foreign++;
    return;
  }
  h->tag = 0;
  live--;
  free(h);
}

static void *t_calloc(size_t n, size_t size)
{
  void *p = size != 0 && n > SIZE_MAX / size ? NULL : t_malloc(n * size);

  if (p != NULL)
    memset(p, 0, n * size);
  return p;
}

static void *t_realloc(void *p, size_t n)
{
  struct tag *h;

  if (p == NULL)
    return t_malloc(n);
  h = (struct tag *)p - 1;
  if (h->tag != TAG) {
    foreign++;
    return NULL;
  }
  if (n >= 256 * 1024)
    big_reallocs++;
  h = n > SIZE_MAX - sizeof *h ? NULL : realloc(h, sizeof *h + n);
  if (h == NULL)
    return NULL;
  h->n = n;
  return h + 1;
}

static char *t_strdup(const char *s)
{
  size_t n = strlen(s) + 1;
  char *d = t_malloc(n);

  if (d != NULL)
    memcpy(d, s, n);
  return d;
}

/* First of all (the allocator is fixed at the first allocation): every
 * block ahttp and libcurl allocate and free, for a session and a request
 * to a server, goes through the caller's functions, the frees too
 * (libcurl is handed the caller's free itself, alloc.c). */
static void test_caller_allocator_everywhere(void **state)
{
  static const ah_allocator a = {sizeof a, t_malloc, t_calloc, t_realloc, t_free, t_strdup};
  ah_session *s;
  ah_future *f;
  long before;
  int port;
  pid_t pid;

  (void)state;
  assert_int_equal(ah_set_allocator(&a), AH_OK);
  pid = tu_server_start(&port);
  assert_true(pid > 0);
  tu_port = port;
  before = live;
  s = ah_session_new(NULL);
  assert_non_null(s);
  assert_true(live > before); /* the session and its libcurl handles */
  f = tu_fetch(s, tu_url("/size/5000"), NULL);
  assert_int_equal(strlen(tu_body(f)), 5000);
  ah_future_free(f);
  /* A large body too stays in the caller's blocks: no pages of its own
   * (body.h), so nothing of it is kept past its free; and with its
   * Content-Length it is allocated once, at its size, never grown. */
  big_reallocs = 0;
  f = tu_fetch(s, tu_url("/size/1048576"), NULL);
  assert_int_equal(strlen(tu_body(f)), 1048576);
  assert_int_equal(ah_future_response(f)->body_mapped, 0);
  assert_int_equal(big_reallocs, 0);
  ah_future_free(f);
  ah_session_free(s);
  tu_server_stop(pid);
  assert_int_equal(foreign, 0);
  /* And every one of them was given back (libcurl keeps none of its
   * process-wide state in the caller's blocks: 7.88, 8.5, 8.21). */
  assert_int_equal(live, before);
}

static void test_overflow_checked_arrays(void **state)
{
  void *p;

  (void)state;
  assert_null(ah__reallocarray(NULL, SIZE_MAX / 2, 4));
  p = ah__reallocarray(NULL, 10, 8);
  assert_non_null(p);
  ah__free(p);
  assert_null(ah__memdup0("x", SIZE_MAX));
}

static void test_copies(void **state)
{
  char *a = ah__strdup("hello"), *b = ah__memdup0("ab\0cd", 5);

  (void)state;
  assert_string_equal(a, "hello");
  assert_memory_equal(b, "ab\0cd\0", 6);
  ah__free(a);
  ah__free(b);
}

/* The struct carries its size: one from an older, smaller layout or with
 * a member unset is refused before anything else is looked at; a bigger
 * one (a later header) is read for the members this release knows (here
 * refused only because this process has allocated already). */
static void test_allocator_checked(void **state)
{
  struct { ah_allocator a; void *(*later)(size_t); } big = {
    {sizeof big, malloc, calloc, realloc, free, strdup}, malloc};
  ah_allocator a = {sizeof a, malloc, calloc, realloc, free, strdup};

  (void)state;
  ah__free(ah__malloc(1)); /* started, whatever ran before */
  assert_int_equal(ah_set_allocator(&a), AH_EBUSY);
  assert_int_equal(ah_set_allocator(&big.a), AH_EBUSY);
  a.size = sizeof a - 1;
  assert_int_equal(ah_set_allocator(&a), AH_EINVAL);
  a.size = 0;
  assert_int_equal(ah_set_allocator(&a), AH_EINVAL);
  a.size = sizeof a;
  a.strdup = NULL;
  assert_int_equal(ah_set_allocator(&a), AH_EINVAL);
}

static void test_failures_counted(void **state)
{
  unsigned long before = ah__alloc_failures();
  void *p;

  (void)state;
  p = ah__malloc((size_t)1 << 50); /* a petabyte: cannot succeed */
  assert_null(p);
  assert_true(ah__alloc_failures() == before + 1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_caller_allocator_everywhere),
    TU_TEST(test_overflow_checked_arrays),
    TU_TEST(test_copies),
    TU_TEST(test_allocator_checked),
    TU_TEST(test_failures_counted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
