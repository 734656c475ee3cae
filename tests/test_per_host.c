/* test_per_host.c - lib/per_host.c: the records of the per-host limit,
 * one per origin, found again by name, gone once nothing counts or waits
 * in them. */
#include <stdio.h>
#include <string.h>

#include "per_host.h"
#include "request.h"
#include "testutil.h"

static void test_one_record_per_origin(void **state)
{
  struct ah__hosts h;
  struct ah__host *a, *b;

  (void)state;
  memset(&h, 0, sizeof h);
  h.limit = 2;
  a = ah__hosts_get(&h, "http://a.test:80", 16);
  b = ah__hosts_get(&h, "http://a.test:8080", 18);
  assert_non_null(a);
  assert_non_null(b);
  assert_ptr_not_equal(a, b);
  assert_string_equal(a->origin, "http://a.test:80");
  /* The length decides, not the NUL: a prefix is another origin. */
  assert_ptr_equal(ah__hosts_get(&h, "http://a.test:80xx", 16), a);
  assert_int_equal(h.n, 2);
  a->running = 2;
  ah__hosts_put(&h, a); /* still counted: kept */
  assert_int_equal(h.n, 2);
  assert_ptr_equal(ah__hosts_get(&h, "http://a.test:80", 16), a);
  a->running = 0;
  ah__hosts_put(&h, a);
  ah__hosts_put(&h, b);
  assert_int_equal(h.n, 0);
  ah__hosts_free(&h);
}

/* A record with requests waiting stays while it has none running. */
static void test_waiting_keeps_a_record(void **state)
{
  struct ah__hosts h;
  struct ah__request q;
  struct ah__host *a;

  (void)state;
  memset(&h, 0, sizeof h);
  memset(&q, 0, sizeof q);
  h.limit = 1;
  a = ah__hosts_get(&h, "https://b.test:443", 18);
  ah__list_append(&a->waiting, &q);
  ah__hosts_put(&h, a);
  assert_int_equal(h.n, 1);
  ah__list_remove(&a->waiting, &q);
  ah__hosts_put(&h, a);
  assert_int_equal(h.n, 0);
  ah__hosts_free(&h);
}

/* A crawler's thousands of origins: the table grows, finds each again,
 * and empties as they go (in any order, from any chain). */
static void test_many_origins_come_and_go(void **state)
{
  enum { N = 3000 };
  static struct ah__host *e[N];
  struct ah__hosts h;
  char o[64];
  int i, n;

  (void)state;
  memset(&h, 0, sizeof h);
  h.limit = 1;
  for (i = 0; i < N; i++) {
    n = snprintf(o, sizeof o, "http://h%d.test:80", i);
    assert_non_null(e[i] = ah__hosts_get(&h, o, (size_t)n));
    e[i]->running = 1;
  }
  assert_int_equal(h.n, N);
  assert_true(h.cap >= N);
  for (i = 0; i < N; i++) {
    n = snprintf(o, sizeof o, "http://h%d.test:80", i);
    assert_ptr_equal(ah__hosts_get(&h, o, (size_t)n), e[i]);
  }
  for (i = 0; i < N; i += 2) {
    e[i]->running = 0;
    ah__hosts_put(&h, e[i]);
  }
  assert_int_equal(h.n, N / 2);
  for (i = 1; i < N; i += 2) {
    n = snprintf(o, sizeof o, "http://h%d.test:80", i);
    assert_ptr_equal(ah__hosts_get(&h, o, (size_t)n), e[i]);
    e[i]->running = 0;
    ah__hosts_put(&h, e[i]);
  }
  assert_int_equal(h.n, 0);
  ah__hosts_free(&h);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_one_record_per_origin),
    cmocka_unit_test(test_waiting_keeps_a_record),
    cmocka_unit_test(test_many_origins_come_and_go),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
