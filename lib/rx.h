/* rx.h - receiving a response.
 *
 * Knows nothing of curl: transfer.c feeds the receiver the header lines
 * and body bytes libcurl delivers. The receiver enforces the limits and
 * the checks libcurl 7.88 does not (conflicting Content-Length, NUL in a
 * header, a body with no Content-Length over the limit, an empty or
 * ambiguous Location, headers cut before the blank line). */
#ifndef AH_RX_H
#define AH_RX_H

#include <stddef.h>
#include <stdint.h>

#include "ahttp.h"
#include "response.h"

/* Lines a response's header blocks may have, status lines and 1xx blocks
 * included: libcurl 8.14 and later refuse 5,000, and ahttp stops first,
 * so that every release ends the same way, with the same words. */
#define AH__MAX_HEADER_LINES 4000

/* The state of one transfer's response; lives from start to finish. */
struct ah__rx {
  char *body;         /* growable, NUL-terminated; NULL until a byte */
  size_t body_len, body_cap;
  char *hdr;          /* the reason phrase "reason\0", then "name\0value\0"
                       * of each header of the block, then of each trailer */
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
  unsigned trailing : 1;   /* a trailer line came after the block */
  unsigned body_mapped : 1; /* body is in pages of its own (body.h) */
  unsigned coded : 1;      /* the current block has Transfer-Encoding or a
                            * Content-Encoding: the body kept is not
                            * Content-Length bytes long */
  uint8_t follow;          /* the redirect statuses followed (journey.h) */
};

/* A fresh receiver with its limits; NULL without memory. */
struct ah__rx *ah__rx_new(size_t max_body, size_t max_header, unsigned follow);
void ah__rx_free(struct ah__rx *rx);
/* Ready rx for the next response with these limits. It keeps its small
 * buffers (a pooled slot's receiver serves request after request without
 * allocating) and lets go of large ones. */
void ah__rx_reset(struct ah__rx *rx, size_t max_body, size_t max_header,
                  unsigned follow);

/* One header line as libcurl delivers it (CRLF included), a trailer line
 * after the body too. Returns AH_OK or
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

#endif
