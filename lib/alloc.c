/* alloc.c - allocation wrappers and failure accounting. */
#include "alloc.h"

#include "ahttp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Failed allocations of this thread: a session's allocations, ahttp's and
 * libcurl's, happen on the thread that runs it, so another thread's
 * shortage does not count against its requests. */
static __thread unsigned long alloc_failures;

/* The allocator in use: the C library's unless ah_set_allocator said
 * otherwise before the first use. */
static ah_allocator use = {sizeof use, malloc, calloc, realloc, free, strdup};
static int started; /* libcurl was handed the wrappers: no change now */
static int custom;  /* the caller's allocator is in use */

/* The first allocation fixes the allocator: memory must be freed by the
 * allocator that made it. */
void ah__alloc_freeze(void)
{
  if (!__atomic_load_n(&started, __ATOMIC_RELAXED))
    __atomic_store_n(&started, 1, __ATOMIC_RELEASE);
}

static void *count_failure(void *p)
{
  if (p == NULL)
    alloc_failures++;
  return p;
}

unsigned long ah__alloc_failures(void)
{
  return alloc_failures;
}

int ah__alloc_custom(void)
{
  return custom;
}

void *ah__malloc(size_t n)
{
  ah__alloc_freeze();
  return count_failure(use.malloc(n ? n : 1));
}

void *ah__calloc(size_t n, size_t size)
{
  ah__alloc_freeze();
  if (n == 0 || size == 0)
    n = size = 1;
  return count_failure(use.calloc(n, size));
}

void *ah__realloc(void *p, size_t n)
{
  ah__alloc_freeze();
  return count_failure(use.realloc(p, n ? n : 1));
}

void ah__free(void *p)
{
  use.free(p);
}

char *ah__memdup0(const void *p, size_t len)
{
  char *d;

  if (len == SIZE_MAX)
    return NULL;
  d = ah__malloc(len + 1);
  if (d != NULL) {
    if (len)
      memcpy(d, p, len);
    d[len] = '\0';
  }
  return d;
}

char *ah__strdup(const char *s)
{
  return ah__memdup0(s, strlen(s));
}

void *ah__reallocarray(void *p, size_t n, size_t size)
{
  if (size != 0 && n > SIZE_MAX / size)
    return NULL;
  return ah__realloc(p, n * size);
}

/* libcurl's strdup hook: the caller's strdup, counted like the rest. */
char *ah__curl_strdup(const char *s)
{
  return count_failure(use.strdup(s));
}

/* libcurl's free hook: the allocator's own free, not ah__free. A free has
 * no failure to count, and libcurl frees about 130 blocks a request: a
 * wrapper would add a second indirect jump to each, a branch the
 * predictor shares with every other indirect one of the process. */
void (*ah__curl_free(void))(void *)
{
  return use.free;
}

int ah_set_allocator(const ah_allocator *a)
{
  static const ah_allocator libc = {sizeof libc, malloc, calloc, realloc, free, strdup};

  /* A caller built against a later header may pass a bigger struct: the
   * members this release knows are the first sizeof(ah_allocator) bytes. */
  if (a != NULL && (a->size < sizeof *a || a->malloc == NULL || a->calloc == NULL ||
                    a->realloc == NULL || a->free == NULL || a->strdup == NULL))
    return AH_EINVAL;
  if (__atomic_load_n(&started, __ATOMIC_ACQUIRE))
    return AH_EBUSY;
  use = a ? *a : libc;
  custom = a != NULL;
  use.size = sizeof use;
  return AH_OK;
}
