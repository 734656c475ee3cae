/* alloc.h - the library's one allocator. */
#ifndef AH_ALLOC_H
#define AH_ALLOC_H

#include <stddef.h>

/* Allocation wrappers: every allocation of ahttp goes through these, and
 * libcurl is handed the same functions, so that one hook sees them all
 * (libcurl's frees go to the allocator's own free: ah__curl_free). */
void *ah__malloc(size_t n);
void *ah__calloc(size_t n, size_t size);
void *ah__realloc(void *p, size_t n);
void ah__free(void *p);
char *ah__strdup(const char *s);
/* Copy of len bytes plus a NUL; NULL without memory. */
char *ah__memdup0(const void *p, size_t len);
/* realloc of an array of n elements, NULL on overflow or without memory. */
void *ah__reallocarray(void *p, size_t n, size_t size);

/* Number of allocations that failed so far on this thread. A transfer that
 * libcurl fails with "out of memory" while this did not move was not
 * short of memory (libcurl 7.88 says so for an oversized header line). */
unsigned long ah__alloc_failures(void);
/* 1 when the caller's allocator (ah_set_allocator) is in use. */
int ah__alloc_custom(void);

/* The allocator is fixed from now on (the first allocation, or libcurl
 * handed the wrappers): ah_set_allocator then says AH_EBUSY. */
void ah__alloc_freeze(void);
/* strdup through the allocator in use, counted: libcurl's strdup hook. */
char *ah__curl_strdup(const char *s);
/* The free function libcurl is handed: the allocator's own, frozen. */
void (*ah__curl_free(void))(void *);

#endif
