/* test_deadline.c - the FIFO deadline lists (lib/deadline.c), without any
 * network: a list per span in the order members joined, the earliest of
 * all the heads, what is due, leaving from anywhere, a fifth span turned
 * away until a list empties. */
#include <ahttp.h>
#include <stdint.h>
#include <string.h>

#include "deadline.h"
#include "testutil.h"

static void test_fifo_per_span(void **state)
{
  struct ah__deadlines d;
  struct ah__dl_node n[4];

  (void)state;
  memset(&d, 0, sizeof d);
  memset(n, 0, sizeof n);
  assert_true(ah__dl_earliest(&d) == INT64_MAX);
  assert_null(ah__dl_due(&d, INT64_MAX - 1));
  assert_int_equal(ah__dl_add(&d, &n[0], 100, 0), 1);  /* due at 100 */
  assert_int_equal(ah__dl_add(&d, &n[1], 100, 10), 1); /* 110 */
  assert_int_equal(ah__dl_add(&d, &n[2], 100, 20), 1); /* 120 */
  assert_true(n[0].in == n[1].in && n[1].in == n[2].in);
  assert_true(ah__dl_earliest(&d) == 100);
  assert_null(ah__dl_due(&d, 99));
  assert_ptr_equal(ah__dl_due(&d, 100), &n[0]);
  /* The head leaves: the next one is the earliest. */
  ah__dl_remove(&n[0]);
  assert_null(n[0].in);
  assert_true(ah__dl_earliest(&d) == 110);
  /* One from the middle and from the tail. */
  assert_int_equal(ah__dl_add(&d, &n[3], 100, 30), 1); /* 130 */
  ah__dl_remove(&n[2]);
  assert_ptr_equal(n[1].next, &n[3]);
  assert_ptr_equal(n[3].prev, &n[1]);
  ah__dl_remove(&n[3]);
  assert_null(n[1].next);
  assert_ptr_equal(ah__dl_due(&d, 1000), &n[1]);
  ah__dl_remove(&n[1]);
  ah__dl_remove(&n[1]); /* in no list: nothing */
  assert_true(ah__dl_earliest(&d) == INT64_MAX);
  assert_null(ah__dl_due(&d, INT64_MAX - 1));
}

static void test_spans(void **state)
{
  struct ah__deadlines d;
  struct ah__dl_node n[7];

  (void)state;
  memset(&d, 0, sizeof d);
  memset(n, 0, sizeof n);
  /* Four spans at once, the earliest of their heads first. */
  assert_int_equal(ah__dl_add(&d, &n[0], 500, 0), 1);  /* 500 */
  assert_int_equal(ah__dl_add(&d, &n[1], 50, 10), 1);  /* 60 */
  assert_int_equal(ah__dl_add(&d, &n[2], 300, 20), 1); /* 320 */
  assert_int_equal(ah__dl_add(&d, &n[3], 40, 30), 1);  /* 70 */
  assert_true(n[0].in != n[1].in && n[1].in != n[2].in && n[2].in != n[3].in);
  assert_true(ah__dl_earliest(&d) == 60);
  assert_ptr_equal(ah__dl_due(&d, 65), &n[1]);
  /* A member of a span followed joins its list; a fifth span is turned
   * away and stays out of every list. */
  assert_int_equal(ah__dl_add(&d, &n[4], 50, 40), 1);  /* 90 */
  assert_ptr_equal(n[4].in, n[1].in);
  assert_int_equal(ah__dl_add(&d, &n[5], 7, 40), 0);
  assert_null(n[5].in);
  /* A list that empties takes the next span. */
  ah__dl_remove(&n[3]);
  assert_int_equal(ah__dl_add(&d, &n[5], 7, 40), 1);   /* 47 */
  assert_true(ah__dl_earliest(&d) == 47);
  ah__dl_remove(&n[1]);
  ah__dl_remove(&n[5]);
  assert_true(ah__dl_earliest(&d) == 90);
  assert_int_equal(ah__dl_add(&d, &n[6], 1, 100), 1);  /* 101 */
  assert_ptr_equal(ah__dl_due(&d, 95), &n[4]);
  ah__dl_remove(&n[4]);
  assert_null(ah__dl_due(&d, 95));
  assert_true(ah__dl_earliest(&d) == 101);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_fifo_per_span),
    TU_TEST(test_spans),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
