/* body.h - the buffer a kept response body grows in.
 *
 * A body with a Content-Length is allocated once at its size. One
 * without grows; on the heap while small, and past AH__BODY_MAP_MIN in
 * pages of its own that grow with mremap(2), which moves page tables,
 * not bytes: each body byte is copied once, from libcurl's buffer, and
 * a large body of unknown length is never copied again as it grows
 * (with the caller's allocator, ah_set_allocator, it stays on the heap
 * and grows by realloc). */
#ifndef AH_BODY_H
#define AH_BODY_H

#include <stddef.h>

#define AH__BODY_MAP_MIN (256 * 1024)

/* Grow *p (len bytes used, *cap allocated, *mapped: in pages of its
 * own) to hold ncap bytes. 0, or -1 without memory (*p unchanged). */
int ah__body_grow(char **p, size_t len, size_t *cap, size_t ncap, int *mapped);
/* Give back what growth left beyond len + 1 bytes; *cap follows. */
void ah__body_trim(char **p, size_t len, size_t *cap, int mapped);
/* Free a body buffer of cap bytes. */
void ah__body_free(char *p, size_t cap, int mapped);
/* The size a mapped buffer of n bytes really has (whole pages). */
size_t ah__body_pages(size_t n);

#endif
