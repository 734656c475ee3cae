/* global.c - the process-wide libcurl initialization, once, with
 * ahttp's allocator, and what it found (ah_libcurl_check). */
#include "global.h"

#include <curl/curl.h>
#include <pthread.h>

#include "ahttp.h"
#include "alloc.h"
#include "curl_caps.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result = -1;

static void global_init(void)
{
  ah__alloc_freeze();
  CURLcode rc = curl_global_init_mem(CURL_GLOBAL_ALL, ah__malloc, ah__curl_free(),
                                     ah__realloc, ah__curl_strdup,
                                     ah__calloc);
  init_result = rc == CURLE_OK ? 0 : -1;
  if (rc == CURLE_OK)
    ah__curl_caps_init();
}

int ah__global_init(void)
{
  pthread_once(&init_once, global_init);
  return init_result;
}

int ah_libcurl_check(const char **why)
{
  if (ah__global_init() < 0) {
    if (why != NULL)
      *why = "libcurl's global initialization failed";
    return AH_ENOMEM;
  }
  if (!ah__curl_caps()->supported) {
    if (why != NULL)
      *why = ah__curl_caps()->why;
    return AH_ENOTSUP;
  }
  if (why != NULL)
    *why = NULL;
  return AH_OK;
}
