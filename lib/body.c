/* body.c - the buffer a kept response body grows in (body.h). */
#include "body.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc.h"

size_t ah__body_pages(size_t n)
{
  static size_t page_size; /* the same for every thread that sets it */
  size_t page = __atomic_load_n(&page_size, __ATOMIC_RELAXED);

  if (page == 0) {
    page = (size_t)sysconf(_SC_PAGESIZE);
    __atomic_store_n(&page_size, page, __ATOMIC_RELAXED);
  }
  return (n + page - 1) / page * page;
}

int ah__body_grow(char **p, size_t len, size_t *cap, size_t ncap, int *mapped)
{
  char *np;

  if (*mapped) {
    np = mremap(*p, *cap, ah__body_pages(ncap), MREMAP_MAYMOVE);
    if (np == MAP_FAILED)
      return -1;
    *p = np;
    *cap = ah__body_pages(ncap);
    return 0;
  }
  if (ncap >= AH__BODY_MAP_MIN && !ah__alloc_custom()) {
    /* The one move of what came so far (under AH__BODY_MAP_MIN). */
    np = mmap(NULL, ah__body_pages(ncap), PROT_READ | PROT_WRITE,
              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (np != MAP_FAILED) {
      if (len)
        memcpy(np, *p, len);
      ah__free(*p);
      *p = np;
      *cap = ah__body_pages(ncap);
      *mapped = 1;
      return 0;
    }
    /* no mapping to be had: the heap may still have room */
  }
  if ((np = ah__realloc(*p, ncap)) == NULL)
    return -1;
  *p = np;
  *cap = ncap;
  return 0;
}

void ah__body_trim(char **p, size_t len, size_t *cap, int mapped)
{
  char *np;

  if (mapped) {
    size_t keep = ah__body_pages(len + 1);
    /* Shrinking in place cannot fail for want of room. */
    if (keep < *cap && mremap(*p, *cap, keep, 0) != MAP_FAILED)
      *cap = keep;
    return;
  }
  if (*cap - len > len / 8 && (np = ah__realloc(*p, len + 1)) != NULL) {
    *p = np;
    *cap = len + 1;
  }
}

void ah__body_free(char *p, size_t cap, int mapped)
{
  if (mapped)
    munmap(p, cap);
  else
    ah__free(p);
}
