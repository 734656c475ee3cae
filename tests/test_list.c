/* test_list.c - the intrusive request lists (lib/list.c), without any
 * network: order after appends, inserts and removals from each end and
 * the middle, and the count. */
#include <ahttp.h>
#include <string.h>

#include "list.h"
#include "request.h"
#include "testutil.h"

/* The list's order as ids, both ways, and its count. */
static void expect(const struct ah__list *l, const struct ah__request *base,
                   const char *want)
{
  char fwd[16] = "", back[16] = "";
  const struct ah__request *q;
  size_t n = 0, i = 0;

  for (q = l->head; q != NULL; q = q->next, n++)
    fwd[i++] = (char)('a' + (q - base));
  i = strlen(want);
  back[i] = '\0';
  for (q = l->tail; q != NULL; q = q->prev)
    back[--i] = (char)('a' + (q - base));
  assert_string_equal(fwd, want);
  assert_string_equal(back, want);
  assert_int_equal(l->n, n);
}

static void test_order(void **state)
{
  struct ah__request q[5];
  struct ah__list l = {NULL, NULL, 0};

  (void)state;
  memset(q, 0, sizeof q);
  ah__list_append(&l, &q[0]);
  ah__list_append(&l, &q[1]);
  expect(&l, q, "ab");
  ah__list_insert(&l, l.head, &q[2]);       /* at the head */
  expect(&l, q, "cab");
  ah__list_insert(&l, &q[1], &q[3]);        /* in the middle */
  expect(&l, q, "cadb");
  ah__list_insert(&l, NULL, &q[4]);         /* NULL: at the tail */
  expect(&l, q, "cadbe");
  ah__list_remove(&l, &q[3]);               /* the middle */
  expect(&l, q, "cabe");
  ah__list_remove(&l, &q[2]);               /* the head */
  expect(&l, q, "abe");
  ah__list_remove(&l, &q[4]);               /* the tail */
  expect(&l, q, "ab");
  assert_null(q[4].next);
  assert_null(q[4].prev);
  ah__list_remove(&l, &q[0]);
  ah__list_remove(&l, &q[1]);
  expect(&l, q, "");
  assert_null(l.head);
  assert_null(l.tail);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_order),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
