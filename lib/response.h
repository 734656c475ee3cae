/* response.h - the response being received and, once done, the result.
 *
 * Knows nothing of curl: request.c feeds it the header lines and body
 * bytes libcurl delivers, and response.c enforces the limits and checks
 * libcurl 7.88 does not (conflicting Content-Length, NUL in a header, a
 * body with no Content-Length over the limit, a redirect to another
 * scheme, headers cut before the blank line). */
#ifndef AH_RESPONSE_H
#define AH_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include "ahttp.h"

struct ah_response {
  int status;
  char *body;       /* NUL-terminated; NULL until the first byte */
  size_t body_len, body_cap;
  char *hdr;        /* "name\0value\0" of each header, in order */
  size_t hdr_len, hdr_cap;
  uint32_t *hdr_off; /* offset of each name in hdr */
  size_t nhdr, hdr_off_cap;
  char *url;        /* effective URL, credentials removed */

  /* Receive state, dead once the response is complete. */
  size_t max_body, max_header, block_bytes;
  int64_t content_length; /* of the current header block, -1 if none */
  unsigned in_block : 1;   /* a status line was seen, blank line not yet */
  unsigned complete : 1;   /* the last header block ended properly */
  unsigned follow : 1;     /* redirects are followed */
};

/* Fresh response with its limits; NULL without memory. */
ah_response *ah__response_new(size_t max_body, size_t max_header, int follow);
void ah__response_free(ah_response *r);

/* One header line as libcurl delivers it (CRLF included). Returns AH_OK or
 * the code that must end the transfer (AH_EPROTO, AH_ETOOLARGE,
 * AH_EREDIRECTS, AH_ENOMEM); *why gets static text on error. */
int ah__response_header_line(ah_response *r, const char *line, size_t len,
                             const char **why);
/* Body bytes; AH_OK, AH_ETOOLARGE or AH_ENOMEM, with *why on error. */
int ah__response_body(ah_response *r, const char *data, size_t len,
                      const char **why);
/* 1 when the final header block was complete (blank line seen). */
int ah__response_headers_complete(const ah_response *r);

/* Copy of url with any user:password@ removed; NULL without memory. */
char *ah__url_without_credentials(const char *url);

#endif
