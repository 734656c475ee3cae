/* body.c - the buffer a kept response body grows in (body.h). */
#include "body.h"

#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc.h"

struct kept {
  char *p; /* NULL: a free slot */
  size_t cap;
};

/* The pages of large bodies: the bytes in use, the most ever in use at
 * once, the kept ones. Invariant: used + kept <= most. */
static struct {
  pthread_mutex_t lock;
  int sessions; /* alive; while none, nothing is kept */
  size_t used, most, kept;
  struct kept slot[AH__BODY_KEEP_SLOTS];
} keep = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, { { NULL, 0 } } };

/* A fork while another thread holds the lock would leave the child's
 * copy locked for ever: the lock is taken around fork(). A child has no
 * session of its own yet (its parent's are not its to use: ahttp.h), so
 * what it keeps goes back when its own last session ends. */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void fork_prepare(void) { pthread_mutex_lock(&keep.lock); }
static void fork_parent(void) { pthread_mutex_unlock(&keep.lock); }
static void fork_child(void)
{
  keep.sessions = 0;
  pthread_mutex_unlock(&keep.lock);
}
static void atfork_init(void)
{
  pthread_atfork(fork_prepare, fork_parent, fork_child);
}

static void lock(void)
{
  pthread_once(&atfork_once, atfork_init);
  pthread_mutex_lock(&keep.lock);
}

static void unlock(void)
{
  pthread_mutex_unlock(&keep.lock);
}

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

/* What may be kept now. Under the lock. */
static size_t room(void)
{
  size_t r = keep.sessions > 0 && keep.most > keep.used
                 ? keep.most - keep.used : 0;

  return r < AH__BODY_KEEP_BYTES ? r : AH__BODY_KEEP_BYTES;
}

/* Take kept buffers out, the largest first, until the rest fits the
 * room; into out, to be unmapped once unlocked. Under the lock. */
static int shed(struct kept *out)
{
  int i, big, n = 0;

  while (keep.kept > room()) {
    for (big = -1, i = 0; i < AH__BODY_KEEP_SLOTS; i++)
      if (keep.slot[i].p != NULL &&
          (big < 0 || keep.slot[i].cap > keep.slot[big].cap))
        big = i;
    out[n++] = keep.slot[big];
    keep.kept -= keep.slot[big].cap;
    keep.slot[big].p = NULL;
  }
  return n;
}

static void unmap_all(struct kept *out, int n)
{
  while (n-- > 0)
    munmap(out[n].p, out[n].cap);
}

/* n more bytes in use (n below zero: fewer). */
static void keep_use(ptrdiff_t n)
{
  struct kept out[AH__BODY_KEEP_SLOTS];
  int k;

  lock();
  keep.used += (size_t)n;
  if (keep.used > keep.most)
    keep.most = keep.used;
  k = shed(out);
  unlock();
  unmap_all(out, k);
}

/* The smallest kept buffer of want to largest bytes, taken into use; or
 * NULL. */
static char *keep_take(size_t want, size_t largest, size_t *cap)
{
  char *p = NULL;
  int i, best = -1;

  lock();
  for (i = 0; i < AH__BODY_KEEP_SLOTS; i++)
    if (keep.slot[i].p != NULL && keep.slot[i].cap >= want &&
        keep.slot[i].cap <= largest &&
        (best < 0 || keep.slot[i].cap < keep.slot[best].cap))
      best = i;
  if (best >= 0) {
    p = keep.slot[best].p;
    *cap = keep.slot[best].cap;
    keep.slot[best].p = NULL;
    keep.kept -= *cap;
    keep.used += *cap; /* used + kept unchanged: within the most */
  }
  unlock();
  return p;
}

/* A buffer out of use: kept if there is room and a slot. 0 when not. */
static int keep_put(char *p, size_t cap, int may_keep)
{
  size_t room_now;
  int i, kept = 0;

  lock();
  keep.used -= cap;
  room_now = room();
  /* A buffer under AH__BODY_MAP_MIN (a coded body that came out small)
   * would serve no later body. */
  if (may_keep && cap >= AH__BODY_MAP_MIN && keep.kept <= room_now &&
      cap <= room_now - keep.kept)
    for (i = 0; i < AH__BODY_KEEP_SLOTS; i++)
      if (keep.slot[i].p == NULL) {
        keep.slot[i].p = p;
        keep.slot[i].cap = cap;
        keep.kept += cap;
        kept = 1;
        break;
      }
  unlock();
  return kept;
}

size_t ah__body_keep_drain(void)
{
  struct kept out[AH__BODY_KEEP_SLOTS];
  size_t bytes;
  int i, n = 0;

  lock();
  bytes = keep.kept;
  for (i = 0; i < AH__BODY_KEEP_SLOTS; i++)
    if (keep.slot[i].p != NULL) {
      out[n++] = keep.slot[i];
      keep.slot[i].p = NULL;
    }
  keep.kept = 0;
  keep.most = keep.used;
  unlock();
  unmap_all(out, n);
  return bytes;
}

void ah__body_keep_hold(void)
{
  lock();
  keep.sessions++;
  unlock();
}

void ah__body_keep_release(void)
{
  int last;

  lock();
  last = keep.sessions > 0 && --keep.sessions == 0;
  unlock();
  if (last)
    ah__body_keep_drain();
}

void ah__body_keep_stats(size_t *used, size_t *most, size_t *kept)
{
  lock();
  *used = keep.used;
  *most = keep.most;
  *kept = keep.kept;
  unlock();
}

/* Pages of their own for at least n bytes: kept ones of up to largest
 * bytes, else fresh. NULL when none can be had. */
static char *map(size_t n, size_t largest, size_t *cap)
{
  size_t want = ah__body_pages(n);
  char *p = keep_take(want, largest, cap);

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

int ah__body_alloc_announced(char **p, size_t *cap, size_t n, int *mapped)
{
  char *np;

  /* On the heap (small, or the caller's allocator): once, at its size. */
  if (n < AH__BODY_MAP_MIN || ah__alloc_custom())
    return ah__body_alloc(p, cap, n, mapped);
  if ((np = keep_take(ah__body_pages(n), 2 * ah__body_pages(n), cap)) != NULL) {
    *p = np;
    *mapped = 1;
    return 0;
  }
  return ah__body_alloc(p, cap, AH__BODY_MAP_MIN, mapped);
}

int ah__body_grow(char **p, size_t len, size_t need, size_t *cap, size_t ncap,
                  int *mapped)
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
  if (need >= AH__BODY_MAP_MIN && !ah__alloc_custom() &&
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

int ah__body_trim(char **p, size_t len, size_t *cap, int *mapped)
{
  char *np;

  if (*mapped) {
    size_t fit = ah__body_pages(len + 1);
    if (fit == *cap)
      return 0;
    if (mremap(*p, *cap, fit, 0) != MAP_FAILED) {
      keep_use(-(ptrdiff_t)(*cap - fit));
      *cap = fit;
      return 0;
    }
    /* Splitting a mapping can fail at the process's map count: the
     * body then moves to the heap, so that its size stays known. */
    if ((np = ah__malloc(len + 1)) == NULL)
      return -1;
    memcpy(np, *p, len + 1);
    ah__body_drop(*p, *cap, 1);
    *p = np;
    *cap = len + 1;
    *mapped = 0;
    return 0;
  }
  if (*cap - len > len / 8 && (np = ah__realloc(*p, len + 1)) != NULL) {
    *p = np;
    *cap = len + 1;
  }
  return 0;
}

static void body_free(char *p, size_t cap, int mapped, int may_keep)
{
  if (!mapped)
    ah__free(p);
  else if (!keep_put(p, cap, may_keep))
    munmap(p, cap);
}

void ah__body_free(char *p, size_t cap, int mapped)
{
  body_free(p, cap, mapped, 1);
}

void ah__body_drop(char *p, size_t cap, int mapped)
{
  body_free(p, cap, mapped, 0);
}
