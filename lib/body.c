/* body.c - the buffer a kept response body grows in (body.h). */
#include "body.h"

#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc.h"

/* The pages of large bodies: how many are in use, the most that ever
 * were at once, and the freed ones kept mapped for the next. */
static struct {
  pthread_mutex_t lock;
  size_t used, most, kept;             /* bytes; kept: the sum of cap below */
  struct { char *p; size_t cap; } slot[AH__BODY_KEEP_SLOTS]; /* p NULL: free */
} keep = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, { { NULL, 0 } } };

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

/* n more bytes in use (n below zero: fewer). */
static void keep_use(ptrdiff_t n)
{
  pthread_mutex_lock(&keep.lock);
  keep.used += (size_t)n;
  if (keep.used > keep.most)
    keep.most = keep.used;
  pthread_mutex_unlock(&keep.lock);
}

/* The smallest kept buffer of want to most bytes, taken into use; or
 * NULL. */
static char *keep_take(size_t want, size_t most, size_t *cap)
{
  char *p = NULL;
  int i, best = -1;

  pthread_mutex_lock(&keep.lock);
  for (i = 0; i < AH__BODY_KEEP_SLOTS; i++)
    if (keep.slot[i].p != NULL && keep.slot[i].cap >= want &&
        keep.slot[i].cap <= most &&
        (best < 0 || keep.slot[i].cap < keep.slot[best].cap))
      best = i;
  if (best >= 0) {
    p = keep.slot[best].p;
    *cap = keep.slot[best].cap;
    keep.kept -= *cap;
    keep.used += *cap;
    keep.slot[best].p = NULL;
  }
  pthread_mutex_unlock(&keep.lock);
  return p;
}

/* A buffer out of use: kept if the pages in use and kept stay within
 * the most ever in use, and within the bounds. 0 when not kept. */
static int keep_put(char *p, size_t cap)
{
  int i, kept = 0;

  pthread_mutex_lock(&keep.lock);
  keep.used -= cap;
  if (keep.kept + cap <= keep.most - keep.used &&
      keep.kept + cap <= AH__BODY_KEEP_BYTES)
    for (i = 0; i < AH__BODY_KEEP_SLOTS; i++)
      if (keep.slot[i].p == NULL) {
        keep.slot[i].p = p;
        keep.slot[i].cap = cap;
        keep.kept += cap;
        kept = 1;
        break;
      }
  pthread_mutex_unlock(&keep.lock);
  return kept;
}

size_t ah__body_keep_drain(void)
{
  size_t bytes = 0;
  int i;

  pthread_mutex_lock(&keep.lock);
  for (i = 0; i < AH__BODY_KEEP_SLOTS; i++)
    if (keep.slot[i].p != NULL) {
      munmap(keep.slot[i].p, keep.slot[i].cap);
      bytes += keep.slot[i].cap;
      keep.slot[i].p = NULL;
    }
  keep.kept = 0;
  keep.most = keep.used;
  pthread_mutex_unlock(&keep.lock);
  return bytes;
}

/* Pages of their own for at least n bytes: kept ones of up to most
 * bytes, else fresh. NULL when none can be had. */
static char *map(size_t n, size_t most, size_t *cap)
{
  size_t want = ah__body_pages(n);
  char *p = keep_take(want, most, cap);

  if (p != NULL)
    return p;
  p = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
           -1, 0);
  if (p == MAP_FAILED)
    return NULL;
  keep_use((ptrdiff_t)want);
  *cap = want;
  return p;
}

int ah__body_alloc(char **p, size_t *cap, size_t n, int *mapped)
{
  char *np;

  if (n >= AH__BODY_MAP_MIN && !ah__alloc_custom() &&
      (np = map(n, 2 * ah__body_pages(n), cap)) != NULL) {
    *p = np;
    *mapped = 1;
    return 0;
  }
  if ((np = ah__malloc(n)) == NULL)
    return -1;
  *p = np;
  *cap = n;
  *mapped = 0;
  return 0;
}

int ah__body_grow(char **p, size_t len, size_t *cap, size_t ncap, int *mapped)
{
  char *np;

  if (*mapped) {
    np = mremap(*p, *cap, ah__body_pages(ncap), MREMAP_MAYMOVE);
    if (np == MAP_FAILED)
      return -1;
    keep_use((ptrdiff_t)(ah__body_pages(ncap) - *cap));
    *p = np;
    *cap = ah__body_pages(ncap);
    return 0;
  }
  /* The one move of what came so far (under AH__BODY_MAP_MIN), into
   * pages that may be kept ones of any size: the body is growing. */
  if (ncap >= AH__BODY_MAP_MIN && !ah__alloc_custom() &&
      (np = map(ncap, (size_t)-1, cap)) != NULL) {
    if (len)
      memcpy(np, *p, len);
    ah__free(*p);
    *p = np;
    *mapped = 1;
    return 0;
  }
  /* no mapping to be had: the heap may still have room */
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
    size_t keep_len = ah__body_pages(len + 1);
    /* Shrinking in place cannot fail for want of room. */
    if (keep_len < *cap && mremap(*p, *cap, keep_len, 0) != MAP_FAILED) {
      keep_use(-(ptrdiff_t)(*cap - keep_len));
      *cap = keep_len;
    }
    return;
  }
  if (*cap - len > len / 8 && (np = ah__realloc(*p, len + 1)) != NULL) {
    *p = np;
    *cap = len + 1;
  }
}

void ah__body_free(char *p, size_t cap, int mapped)
{
  if (!mapped)
    ah__free(p);
  else if (!keep_put(p, cap))
    munmap(p, cap);
}
