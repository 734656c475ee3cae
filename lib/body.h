/* body.h - the buffer a kept response body grows in.
 *
 * A body with a Content-Length is allocated once at its size. One
 * without grows; on the heap while small, and from the write that takes
 * it (with its NUL) to AH__BODY_MAP_MIN on, in pages of its own that
 * grow with mremap(2), which moves page tables,
 * not bytes: each body byte is copied once, from libcurl's buffer, and
 * a large body of unknown length is never copied again as it grows
 * (with the caller's allocator, ah_set_allocator, it stays on the heap
 * and grows by realloc). A body with a Content-Length whose buffer (the
 * body and its NUL) is AH__BODY_MAP_MIN or more gets pages of its own
 * too: kept ones that hold it, or fresh ones for its first
 * AH__BODY_MAP_MIN bytes that grow to its length as the bytes come.
 *
 * The pages of a completed large body, once its response is freed, are
 * kept mapped for the next large body, process-wide: a page the kernel
 * has to fault in costs more than the copy into it. A window of 1 MiB
 * bodies would otherwise fault every page of every body, or leave the
 * heap to glibc's trimming, which gives back the top of the heap
 * whenever several large bodies are freed together (docs/performance.md).
 * What is kept is bounded by what the program has shown it needs: the
 * mapped bytes of large bodies in use and kept together never pass the
 * most that were ever in use at once, and what is kept never passes
 * AH__BODY_KEEP_BYTES in AH__BODY_KEEP_SLOTS buffers. A body that did
 * not complete (a failed transfer, a redirect's) is unmapped, not kept.
 * Nothing is kept while no session is alive: the last session's end
 * unmaps the kept pages, and the most starts again from what is in use
 * then (bodies of futures not yet freed). A child after fork(2) starts
 * with no session alive. */
#ifndef AH_BODY_H
#define AH_BODY_H

#include <stddef.h>

/* From 64 KiB: W2's bodies. On the heap, a window of them freed one by
 * one in callbacks had glibc trim the top of its heap and fault it in
 * again: 1.6 to 2.6 faults a request on libcurl 8.21 on one VM (0.18 on
 * another; docs/performance.md, *Then: the timerfd armed only for a host
 * loop, and 64 KiB bodies in kept pages*). */
#define AH__BODY_MAP_MIN (64 * 1024)
#define AH__BODY_KEEP_SLOTS 64
#define AH__BODY_KEEP_BYTES ((size_t)64 << 20)

/* Allocate *p for n bytes, empty (*cap: its size, *mapped: in pages of
 * its own). 0, or -1 without memory. */
int ah__body_alloc(char **p, size_t *cap, size_t n, int *mapped);
/* For a body announced at n bytes (its Content-Length): kept pages
 * that hold it, else a buffer for n bytes or for the first
 * AH__BODY_MAP_MIN of them, whichever is less, which grows as the
 * bytes come: a length announced and not sent maps nothing. 0, or -1
 * without memory. */
int ah__body_alloc_announced(char **p, size_t *cap, size_t n, int *mapped);
/* Grow *p (len bytes used, *cap allocated, *mapped: in pages of its
 * own) to hold ncap bytes, need of them now (len, what comes, the NUL).
 * It moves into pages of its own once need reaches AH__BODY_MAP_MIN, not
 * when ncap does: a body that ends under it would not be kept, and its
 * pages would be mapped and unmapped for nothing. 0, or -1 without
 * memory (*p unchanged). */
int ah__body_grow(char **p, size_t len, size_t need, size_t *cap, size_t ncap,
                  int *mapped);
/* Give back what growth left beyond len + 1 bytes; *cap follows. A
 * mapped buffer is then exactly ah__body_pages(len + 1) bytes: if the
 * kernel cannot shrink it, the body moves to the heap (*mapped 0).
 * 0, or -1 without memory for that move (nothing changed). */
int ah__body_trim(char **p, size_t len, size_t *cap, int *mapped);
/* Free a completed body's buffer of cap bytes (its pages may be kept). */
void ah__body_free(char *p, size_t cap, int mapped);
/* Free a buffer whose body did not complete (never kept). */
void ah__body_drop(char *p, size_t cap, int mapped);
/* The size a mapped buffer of n bytes really has (whole pages). */
size_t ah__body_pages(size_t n);
/* A session begins; one ends (the last one's end unmaps what is kept). */
void ah__body_keep_hold(void);
void ah__body_keep_release(void);
/* Unmap the kept pages and forget the most in use; returns how many
 * bytes they were. */
size_t ah__body_keep_drain(void);
/* The mapped bytes in use, the most ever in use, and the kept (tests). */
void ah__body_keep_stats(size_t *used, size_t *most, size_t *kept);

#endif
