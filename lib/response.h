/* response.h - the compact result kept after a response (ah_response).
 *
 * At completion a receiver (rx.h) becomes an ah_response: one exact-size
 * block holding the headers, the URL and a small body, so a completed
 * future costs a few hundred bytes beyond a large body. */
#ifndef AH_RESPONSE_H
#define AH_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include "ahttp.h"

struct ah__rx;

/* Bodies up to this size are copied into the result's block. */
#define AH__INLINE_BODY 256

/* The result (public, opaque): read-only after ah__response_build. One
 * block: this struct, the header offsets, the header text, the URL, and a
 * body of at most AH__INLINE_BODY bytes. Offsets, not pointers, keep the
 * fixed part small: a 100,000-future gather holds 100,000 of these. */
#define AH__NTIMES 7 /* ah_time marks */

struct ah_response {
  char *body;           /* inline in this block, or its own allocation */
  size_t body_len;
  uint16_t status;
  uint16_t nhdr;        /* header count (max_header keeps it small) */
  uint32_t hdr_at;      /* the reason, header and trailer text (rx.h),
                         * from the block's start */
  uint32_t url_at;      /* the URL, then the remote and local address */
  uint8_t body_inline : 1; /* 1 when body is in this block */
  uint8_t body_mapped : 1; /* 1 when body is in pages of its own (body.h) */
  uint8_t attempts : 7; /* attempts it took, saturated at 127 */
  uint8_t version;      /* 10, 11, 20, 30 */
  uint16_t redirects;
  uint16_t remote_port, local_port;
  uint32_t time_us[AH__NTIMES]; /* saturated at UINT32_MAX (71 minutes) */
};

/* What a finished transfer tells of itself, for the result. */
struct ah__resp_info {
  int64_t time_us[AH__NTIMES];
  int version, redirects, attempts;
  const char *remote_ip, *local_ip; /* NULL: "" */
  long remote_port, local_port;
  int url_plain;       /* 1: the URL has no user:password@ to remove */
  const char *hops;    /* the redirects followed (struct ah__journey) */
  size_t hops_len;
  int nhops;
};
/* The compact result of rx, with url (copied, credentials removed),
 * status and info (NULL: none). Takes a large body buffer from rx. NULL
 * without memory. */
ah_response *ah__response_build(struct ah__rx *rx, const char *url,
                                int status, const struct ah__resp_info *info);
void ah__response_free(ah_response *r);


#endif
