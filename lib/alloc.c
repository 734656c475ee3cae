/* alloc.c - allocation wrappers, failure accounting, libcurl global init. */
#include "alloc.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static unsigned long alloc_failures; /* updated with atomic builtins */

static void *count_failure(void *p)
{
  if (p == NULL)
    __atomic_add_fetch(&alloc_failures, 1, __ATOMIC_RELAXED);
  return p;
}

unsigned long ah__alloc_failures(void)
{
  return __atomic_load_n(&alloc_failures, __ATOMIC_RELAXED);
}

void *ah__malloc(size_t n)
{
  return count_failure(malloc(n ? n : 1));
}

void *ah__calloc(size_t n, size_t size)
{
  if (n == 0 || size == 0)
    n = size = 1;
  return count_failure(calloc(n, size));
}

void *ah__realloc(void *p, size_t n)
{
  return count_failure(realloc(p, n ? n : 1));
}

void ah__free(void *p)
{
  free(p);
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

/* libcurl's strdup hook must tolerate what libcurl passes: a C string. */
static char *curl_strdup_hook(const char *s)
{
  return ah__strdup(s);
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result = -1;

static void global_init(void)
{
  CURLcode rc = curl_global_init_mem(CURL_GLOBAL_ALL, ah__malloc, ah__free,
                                     ah__realloc, curl_strdup_hook,
                                     ah__calloc);
  init_result = rc == CURLE_OK ? 0 : -1;
}

int ah__global_init(void)
{
  pthread_once(&init_once, global_init);
  return init_result;
}
