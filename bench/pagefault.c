/* pagefault.c - what memory no one touched before costs on this machine.
 *
 *   pagefault [MIB]    touches MIB MiB (default 32) of fresh anonymous
 *                      memory, one byte per 4 KiB page, three ways, and
 *                      prints the time per page of each
 *
 * A response kept until a gather returns lands in such memory: the
 * kernel maps each page at its first touch, a fault per 4 KiB. On a
 * virtual machine a fault costs several microseconds (docs/performance.md
 * gives the figures of the machine where the README's table was taken).
 * The three ways: page by page as a heap grows; the whole range mapped
 * in one call first (MAP_POPULATE); the range in huge pages where the
 * kernel has them (MADV_HUGEPAGE, what glibc.malloc.hugetlb=1 asks for
 * the heap). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int touch(const char *how, size_t bytes, int flags, int huge)
{
  size_t page = 4096, i;
  double t0 = now(), t;
  char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags,
                 -1, 0);

  if (p == MAP_FAILED) {
    perror("mmap");
    return -1;
  }
  if (huge)
    madvise(p, bytes, MADV_HUGEPAGE); /* a hint: no huge pages, no harm */
  for (i = 0; i < bytes; i += page)
    p[i] = 1;
  t = now() - t0;
  printf("%-28s %8.2f us per 4 KiB page (%zu pages, %.1f ms)\n", how,
         t * 1e6 / (double)(bytes / page), bytes / page, t * 1e3);
  munmap(p, bytes);
  return 0;
}

int main(int argc, char **argv)
{
  size_t mib = argc > 1 ? (size_t)atol(argv[1]) : 32;
  size_t bytes = (mib ? mib : 32) << 20;

  if (touch("first touch, page by page", bytes, 0, 0) < 0 ||
      touch("mapped at once (populate)", bytes, MAP_POPULATE, 0) < 0 ||
      touch("huge pages where given", bytes, 0, 1) < 0)
    return 1;
  return 0;
}
