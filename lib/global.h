/* global.h - the process-wide libcurl initialization. */
#ifndef AH_GLOBAL_H
#define AH_GLOBAL_H

/* curl_global_init once per process, thread-safely, with ahttp's
 * allocator (alloc.h), then the running libcurl's capabilities read
 * (curl_caps.h). Returns 0 or -1. */
int ah__global_init(void);

#endif
