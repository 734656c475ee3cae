/* response.h - receiving a response, and the compact result kept after.
 *
 * Knows nothing of curl: request.c feeds the receiver the header lines
 * and body bytes libcurl delivers. The receiver enforces the limits and
 * the checks libcurl 7.88 does not (conflicting Content-Length, NUL in a
 * header, a body with no Content-Length over the limit, an empty or
 * ambiguous Location, headers cut before the blank line). At completion it
 * becomes an ah_response: one exact-size block holding the headers, the
 * URL and a small body, so a completed future costs a few hundred bytes
 * beyond a large body. */
#ifndef AH_RESPONSE_H
#define AH_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include "ahttp.h"

/* Lines a response's header blocks may have, status lines and 1xx blocks
 * included: libcurl 8.14 and later refuse 5,000, and ahttp stops first,
 * so that every release ends the same way, with the same words. */
#define AH__MAX_HEADER_LINES 4000

/* Bodies up to this size are copied into the result's block. */
#define AH__INLINE_BODY 256

/* The state of one transfer's response; lives from start to finish. */
struct ah__rx {
  char *body;         /* growable, NUL-terminated; NULL until a byte */
  size_t body_len, body_cap;
  char *hdr;          /* "name\0value\0" of each header of the block */
  size_t hdr_len, hdr_cap;
  uint32_t *hdr_off;  /* offset of each name in hdr */
  size_t nhdr, hdr_off_cap;
  size_t max_body, max_header, block_bytes;
  uint32_t lines;     /* header lines of this response, 1xx blocks too */
  int64_t content_length; /* of the current header block, -1 if none */
  int status;
  int version;        /* of the current block's status line: 10, 11, 20 */
  unsigned finals;    /* final (not 1xx) status lines seen */
  unsigned in_block : 1;   /* a status line was seen, blank line not yet */
  unsigned complete : 1;   /* the last header block ended properly */
  unsigned location : 1;   /* the current block has a Location header */
  unsigned interim : 1;    /* the current block is a 1xx response's */
  unsigned set_cookie : 1; /* the current block sets a cookie */
  uint8_t follow;          /* the redirect statuses followed (journey.h) */
};

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
  uint32_t hdr_at;      /* the header text, from the block's start */
  uint32_t url_at;      /* the URL, then the remote and local address */
  uint8_t body_inline : 1; /* 1 when body is in this block */
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
/* A fresh receiver with its limits; NULL without memory. */
struct ah__rx *ah__rx_new(size_t max_body, size_t max_header, unsigned follow);
void ah__rx_free(struct ah__rx *rx);
/* Ready rx for the next response with these limits. It keeps its small
 * buffers (a pooled slot's receiver serves request after request without
 * allocating) and lets go of large ones. */
void ah__rx_reset(struct ah__rx *rx, size_t max_body, size_t max_header,
                  unsigned follow);

/* One header line as libcurl delivers it (CRLF included). Returns AH_OK or
 * the code that must end the transfer (AH_EPROTO, AH_ETOOLARGE,
 * AH_EREDIRECTS, AH_ENOMEM); *why gets static text on error. */
int ah__rx_header_line(struct ah__rx *rx, const char *line, size_t len,
                       const char **why);
/* Body bytes; AH_OK, AH_ETOOLARGE or AH_ENOMEM, with *why on error. */
int ah__rx_body(struct ah__rx *rx, const char *data, size_t len,
                const char **why);
/* 1 when the final header block was complete (blank line seen). */
int ah__rx_headers_complete(const struct ah__rx *rx);
/* 1 right after the blank line of the final response's header block:
 * not an interim 1xx, nor a redirect that will be followed. */
int ah__rx_final_headers(const struct ah__rx *rx);
/* 1 right after the blank line of a redirect that will be followed (a
 * status in follow, with a Location): the transfer's end is a hop. */
int ah__rx_redirect_headers(const struct ah__rx *rx);
/* Value of a header of the current block (any case), NULL if absent. */
const char *ah__rx_header(const struct ah__rx *rx, const char *name);

/* The compact result of rx, with url (copied, credentials removed),
 * status and info (NULL: none). Takes a large body buffer from rx. NULL
 * without memory. */
ah_response *ah__response_build(struct ah__rx *rx, const char *url,
                                int status, const struct ah__resp_info *info);
void ah__response_free(ah_response *r);


#endif
