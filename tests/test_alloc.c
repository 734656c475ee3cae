/* test_alloc.c - the allocation wrappers (lib/alloc.c). */
#include <ahttp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "testutil.h"

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
    TU_TEST(test_overflow_checked_arrays),
    TU_TEST(test_copies),
    TU_TEST(test_allocator_checked),
    TU_TEST(test_failures_counted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
