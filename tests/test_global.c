/* test_global.c - libcurl's process-wide init (lib/global.c), no network:
 * once, from any number of threads at once; the allocator is fixed from
 * then on; ah_libcurl_check says yes to the libcurl this runs on. */
#include <ahttp.h>
#include <pthread.h>

#include "global.h"
#include "testutil.h"

static void *init(void *arg)
{
  *(int *)arg = ah__global_init();
  return NULL;
}

static void test_once_from_many_threads(void **state)
{
  pthread_t t[4];
  int rc[4], i;
  const char *why = "unset";

  (void)state;
  for (i = 0; i < 4; i++)
    assert_int_equal(pthread_create(&t[i], NULL, init, &rc[i]), 0);
  for (i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    assert_int_equal(rc[i], 0);
  }
  assert_int_equal(ah__global_init(), 0);
  /* libcurl was handed the allocator: it cannot change now. */
  assert_int_equal(ah_set_allocator(NULL), AH_EBUSY);
  assert_int_equal(ah_libcurl_check(&why), AH_OK);
  assert_null(why);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_once_from_many_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
