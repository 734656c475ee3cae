/* transfer.h - libcurl's callbacks for a request's transfer. */
#ifndef AH_TRANSFER_H
#define AH_TRANSFER_H

#include <curl/curl.h>

struct ah__slot;

/* Hook slot's easy handle e to the transfer callbacks (headers, body,
 * upload, seek, progress, prereq, socket opening, trace), each given the
 * slot. A CURLcode. */
CURLcode ah__transfer_hook(CURL *e, struct ah__slot *slot);

#endif
