/* rx.c - the receiver: a response's header lines and body bytes as
 * libcurl delivers them, checked and held to their limits (rx.h). */
#include "rx.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "body.h"
#include "journey.h"

/* What a receiver keeps between responses; larger buffers are let go,
 * so that a pooled slot does not pin the memory of one big response. */
#define KEEP_HDR 4096
#define KEEP_HDR_OFF 64
#define KEEP_BODY (AH__INLINE_BODY + 1)

struct ah__rx *ah__rx_new(size_t max_body, size_t max_header, unsigned follow)
{
  struct ah__rx *rx = ah__calloc(1, sizeof *rx);

  if (rx != NULL)
    ah__rx_reset(rx, max_body, max_header, follow);
  return rx;
}

void ah__rx_reset(struct ah__rx *rx, size_t max_body, size_t max_header,
                  unsigned follow)
{
  if (rx->hdr_cap > KEEP_HDR) {
    ah__free(rx->hdr);
    rx->hdr = NULL;
    rx->hdr_cap = 0;
  }
  if (rx->hdr_off_cap > KEEP_HDR_OFF) {
    ah__free(rx->hdr_off);
    rx->hdr_off = NULL;
    rx->hdr_off_cap = 0;
  }
  if (rx->body == NULL || rx->body_cap > KEEP_BODY) {
    if (rx->body != NULL)
      ah__body_drop(rx->body, rx->body_cap, rx->body_mapped);
    rx->body = NULL;
    rx->body_cap = 0;
    rx->body_mapped = 0;
  }
  rx->body_len = rx->hdr_len = rx->nhdr = rx->block_bytes = 0;
  rx->max_body = max_body;
  rx->max_header = max_header;
  rx->content_length = -1;
  rx->status = rx->version = 0;
  rx->finals = 0;
  rx->in_block = rx->complete = rx->location = rx->interim = rx->set_cookie = 0;
  rx->trailing = 0;
  rx->lines = 0;
  rx->follow = (uint8_t)follow;
}

void ah__rx_free(struct ah__rx *rx)
{
  if (rx == NULL)
    return;
  ah__body_drop(rx->body, rx->body_cap, rx->body_mapped);
  ah__free(rx->hdr);
  ah__free(rx->hdr_off);
  ah__free(rx);
}

int ah__rx_headers_complete(const struct ah__rx *rx)
{
  return rx->complete;
}

int ah__rx_redirect_headers(const struct ah__rx *rx)
{
  return rx->complete && rx->location && (rx->follow & ah__journey_bit(rx->status));
}

int ah__rx_final_headers(const struct ah__rx *rx)
{
  return rx->complete && rx->status >= 200 && !ah__rx_redirect_headers(rx);
}

const char *ah__rx_header(const struct ah__rx *rx, const char *name)
{
  size_t i;

  for (i = 0; i < rx->nhdr; i++) {
    const char *n = rx->hdr + rx->hdr_off[i];
    if (strcasecmp(n, name) == 0)
      return n + strlen(n) + 1;
  }
  return NULL;
}

static int is_ows(char c)
{
  return c == ' ' || c == '\t';
}

/* Grow *buf to hold need bytes, geometrically. 0 or -1. */
static int reserve(char **buf, size_t *cap, size_t need)
{
  size_t ncap;
  char *p;

  if (need <= *cap)
    return 0;
  ncap = *cap ? *cap : 512; /* a typical header block fits at once */
  while (ncap < need)
    ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
  p = ah__realloc(*buf, ncap);
  if (p == NULL)
    return -1;
  *buf = p;
  *cap = ncap;
  return 0;
}

/* Parse a Content-Length value: digits, or a list of equal values. */
static int parse_content_length(const char *v, size_t n, int64_t *out)
{
  int64_t val = -1;
  size_t i = 0;

  while (i < n) {
    int64_t x = 0;
    size_t digits = 0;

    while (i < n && is_ows(v[i]))
      i++;
    while (i < n && v[i] >= '0' && v[i] <= '9') {
      if (x > (INT64_MAX - 9) / 10)
        return -1;
      x = x * 10 + (v[i++] - '0');
      digits++;
    }
    while (i < n && is_ows(v[i]))
      i++;
    if (digits == 0 || (val >= 0 && x != val))
      return -1;
    val = x;
    if (i < n && v[i++] != ',')
      return -1;
  }
  if (val < 0)
    return -1;
  *out = val;
  return 0;
}

/* The reason phrase of a status line (rest: what follows the status
 * code), the first text of the block's hdr, before the headers: the
 * response finds it there (ah_response_reason). HTTP/2 has none; libcurl
 * makes the line "HTTP/2 200 ", and the reason is "". AH_OK, AH_EPROTO or
 * AH_ENOMEM, with *why. */
static int keep_reason(struct ah__rx *r, const char *rest, size_t n,
                       const char **why)
{
  if (n > 0 && rest[0] == ' ')
    rest++, n--;
  while (n > 0 && (rest[n - 1] == '\n' || rest[n - 1] == '\r' || is_ows(rest[n - 1])))
    n--;
  if (memchr(rest, '\0', n) != NULL) {
    *why = "the status line contains a NUL byte";
    return AH_EPROTO;
  }
  if (reserve(&r->hdr, &r->hdr_cap, n + 1) < 0) {
    *why = "out of memory while storing a response header";
    return AH_ENOMEM;
  }
  memcpy(r->hdr, rest, n);
  r->hdr[n] = '\0';
  r->hdr_len = n + 1;
  return AH_OK;
}

/* Under libcurl 8.14's own count (5,000), on every release: 1xx blocks
 * included, so that a flood of them ends. */
static int too_many_lines(const char **why)
{
  *why = "the response has more header lines than ahttp takes (4,000)";
  return AH_ETOOLARGE;
}

static int start_block(struct ah__rx *r, const char *line, size_t len,
                       const char **why)
{
  int status = 0, err;
  size_t i = 5; /* after "HTTP/" */

  while (i < len && line[i] != ' ')
    i++;
  if (i + 4 > len || line[i + 1] < '1' || line[i + 1] > '9' ||
      line[i + 2] < '0' || line[i + 2] > '9' || line[i + 3] < '0' ||
      line[i + 3] > '9') {
    *why = "the status line is malformed";
    return AH_EPROTO;
  }
  status = (line[i + 1] - '0') * 100 + (line[i + 2] - '0') * 10 +
           (line[i + 3] - '0');
  r->status = status;
  if (status >= 200)
    r->finals++;
  /* "HTTP/1.1", "HTTP/2": what a headers callback is told before
   * libcurl's own figure is final. */
  r->version = i == 8 && line[6] == '.' ? (line[5] - '0') * 10 + (line[7] - '0')
             : i == 6 ? (line[5] - '0') * 10 : 0;
  if (r->version < 10 || r->version > 39)
    r->version = 0;
  r->hdr_len = 0;
  r->nhdr = 0;
  if ((err = keep_reason(r, line + i + 4, len - i - 4, why)) != AH_OK)
    return err;
  /* 1xx responses count toward the next block's limit: a server that
   * sends them without end (a flood of 103s) reaches it. */
  r->block_bytes = r->interim ? r->block_bytes + len : len;
  if (!r->interim)
    r->lines = 0;
  if (++r->lines > AH__MAX_HEADER_LINES)
    return too_many_lines(why);
  r->interim = status < 200;
  r->content_length = -1;
  r->coded = 0;
  r->in_block = 1;
  r->complete = 0;
  r->trailing = 0;
  r->location = 0;
  r->set_cookie = 0;
  return AH_OK;
}

static int add_header(struct ah__rx *r, const char *name, size_t nlen,
                      const char *value, size_t vlen)
{
  size_t need = r->hdr_len + nlen + vlen + 2;

  if (r->hdr_len > UINT32_MAX)
    return -1;
  if (reserve(&r->hdr, &r->hdr_cap, need) < 0)
    return -1;
  if (r->nhdr == r->hdr_off_cap) {
    size_t ncap = r->hdr_off_cap ? r->hdr_off_cap * 2 : 16;
    uint32_t *p = ah__reallocarray(r->hdr_off, ncap, sizeof *p);
    if (p == NULL)
      return -1;
    r->hdr_off = p;
    r->hdr_off_cap = ncap;
  }
  r->hdr_off[r->nhdr++] = (uint32_t)r->hdr_len;
  memcpy(r->hdr + r->hdr_len, name, nlen);
  r->hdr[r->hdr_len + nlen] = '\0';
  memcpy(r->hdr + r->hdr_len + nlen + 1, value, vlen);
  r->hdr[need - 1] = '\0';
  r->hdr_len = need;
  return 0;
}

/* obs-fold: a line starting with white space continues the last value. */
static int fold_into_last(struct ah__rx *r, const char *v, size_t n)
{
  if (r->nhdr == 0)
    return 0; /* nothing to continue: ignore, as libcurl does */
  if (reserve(&r->hdr, &r->hdr_cap, r->hdr_len + n + 1) < 0)
    return -1;
  r->hdr[r->hdr_len - 1] = ' ';
  memcpy(r->hdr + r->hdr_len, v, n);
  r->hdr_len += n;
  r->hdr[r->hdr_len++] = '\0';
  return 0;
}

/* RFC 9110 tchar: what a header name is made of. */
static int is_tchar(unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* A trailer line: after a chunked body (HTTP/1.1) or in the HEADERS that
 * end an HTTP/2 stream, libcurl hands it over as a header line after the
 * header block. It counts with the block against the header limit; it
 * must be "name: value" with a token name (no fold, no NUL); it is kept
 * as "name\0value\0" after the block's headers, with no offset of its
 * own: the response finds trailers after the last header's value. Only a
 * response with trailers gets here. */
static int trailer_line(struct ah__rx *r, const char *line, size_t len,
                        const char **why)
{
  const char *colon, *v;
  size_t nlen, vlen, i, need;

  r->trailing = 1;
  r->block_bytes += len;
  if (r->block_bytes > r->max_header) {
    *why = "the response's headers and trailers exceed the header size limit";
    return AH_ETOOLARGE;
  }
  while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
    len--;
  if (len == 0)
    return AH_OK; /* the blank line that ends them */
  if (++r->lines > AH__MAX_HEADER_LINES)
    return too_many_lines(why);
  colon = memchr(line, ':', len);
  nlen = colon ? (size_t)(colon - line) : 0;
  for (i = 0; i < nlen && is_tchar((unsigned char)line[i]); i++)
    ;
  if (nlen == 0 || i < nlen || memchr(line, '\0', len) != NULL) {
    *why = "the response has a malformed trailer";
    return AH_EPROTO;
  }
  v = colon + 1;
  vlen = len - nlen - 1;
  while (vlen > 0 && is_ows(*v))
    v++, vlen--;
  while (vlen > 0 && is_ows(v[vlen - 1]))
    vlen--;
  need = r->hdr_len + nlen + vlen + 2;
  if (reserve(&r->hdr, &r->hdr_cap, need) < 0) {
    *why = "out of memory while storing a response trailer";
    return AH_ENOMEM;
  }
  memcpy(r->hdr + r->hdr_len, line, nlen);
  r->hdr[r->hdr_len + nlen] = '\0';
  memcpy(r->hdr + r->hdr_len + nlen + 1, v, vlen);
  r->hdr[need - 1] = '\0';
  r->hdr_len = need;
  return AH_OK;
}

int ah__rx_header_line(struct ah__rx *r, const char *line, size_t len,
                             const char **why)
{
  const char *colon, *v;
  size_t nlen, vlen;

  if (!r->in_block) {
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0)
      return start_block(r, line, len, why);
    if (r->complete)
      return trailer_line(r, line, len, why);
    return AH_OK;
  }
  if (memchr(line, '\0', len) != NULL) {
    *why = "a response header contains a NUL byte";
    return AH_EPROTO;
  }
  r->block_bytes += len;
  if (r->block_bytes > r->max_header) {
    *why = "the response headers exceed the header size limit";
    return AH_ETOOLARGE;
  }
  if (len >= 2 && line[len - 2] == '\r' && line[len - 1] == '\n')
    len -= 2; /* the usual end, at once */
  while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
    len--;
  if (len == 0) {
    r->in_block = 0;
    r->complete = 1;
    return AH_OK;
  }
  if (is_ows(line[0])) {
    while (len > 0 && is_ows(line[len - 1]))
      len--;
    while (len > 0 && is_ows(*line))
      line++, len--;
    if (fold_into_last(r, line, len) < 0)
      goto nomem;
    return AH_OK;
  }
  colon = memchr(line, ':', len);
  if (colon == NULL || colon == line)
    return AH_OK; /* libcurl tolerates these lines; so do we */
  nlen = (size_t)(colon - line);
  v = colon + 1;
  vlen = len - nlen - 1;
  /* "X-Sp : v" (white space before the colon, RFC 9112 section 5.1): the
   * name is stored trimmed, as a proxy must forward it, so it is found
   * under "X-Sp". */
  while (nlen > 0 && is_ows(line[nlen - 1]))
    nlen--;
  if (nlen == 0)
    return AH_OK; /* only white space before the colon: ignored */
  while (vlen > 0 && is_ows(*v))
    v++, vlen--;
  while (vlen > 0 && is_ows(v[vlen - 1]))
    vlen--;
  if (nlen == 10 && strncasecmp(line, "set-cookie", 10) == 0)
    r->set_cookie = 1;
  if (nlen == 14 && strncasecmp(line, "content-length", 14) == 0) {
    int64_t cl;
    if (parse_content_length(v, vlen, &cl) < 0 ||
        (r->content_length >= 0 && cl != r->content_length)) {
      *why = "the response has an invalid or conflicting Content-Length";
      return AH_EPROTO;
    }
    r->content_length = cl;
  } else if ((nlen == 17 && strncasecmp(line, "transfer-encoding", 17) == 0) ||
             (nlen == 16 && strncasecmp(line, "content-encoding", 16) == 0 &&
              !(vlen == 8 && strncasecmp(v, "identity", 8) == 0))) {
    /* Chunked overrides the length (RFC 9112 section 6.3), and a coding
     * libcurl decodes changes it: the length then neither sizes the body
     * nor refuses it early; the limit counts the bytes kept. */
    r->coded = 1;
  } else if (nlen == 8 && strncasecmp(line, "location", 8) == 0) {
    /* libcurl skips an empty Location and follows the last one (8.21
     * refuses two in any response): the URL judged here (secrets, scheme)
     * must be the URL requested, and the outcome the same on every
     * release. Empty as libcurl trims: any white space. */
    const char *had = r->location ? ah__rx_header(r, "location") : NULL;
    size_t k = 0;
    while (k < vlen && isspace((unsigned char)v[k]))
      k++;
    if (had != NULL && (strlen(had) != vlen || memcmp(had, v, vlen) != 0)) {
      *why = "the response has several Location headers that differ";
      return AH_EPROTO;
    }
    if ((r->follow & ah__journey_bit(r->status)) && k == vlen) {
      *why = "a redirect has an empty Location";
      return AH_EPROTO;
    }
    r->location = 1;
  }
  if (++r->lines > AH__MAX_HEADER_LINES)
    return too_many_lines(why);
  if (add_header(r, line, nlen, v, vlen) < 0)
    goto nomem;
  return AH_OK;
nomem:
  *why = "out of memory while storing a response header";
  return AH_ENOMEM;
}

int ah__rx_body(struct ah__rx *r, const char *data, size_t len,
                      const char **why)
{
  size_t need;

  if (r->body_len == 0 && r->content_length >= 0 && !r->coded &&
      r->body_cap <= (uint64_t)r->content_length) {
    /* Size from Content-Length (a large body: its first part, or kept
     * pages that hold it all), and refuse early what cannot fit. */
    if ((uint64_t)r->content_length > r->max_body) {
      *why = "the response's Content-Length exceeds the body size limit";
      return AH_ETOOLARGE;
    }
    int mapped;
    ah__body_drop(r->body, r->body_cap, r->body_mapped); /* empty */
    r->body = NULL;
    r->body_cap = 0;
    r->body_mapped = 0;
    if (ah__body_alloc_announced(&r->body, &r->body_cap,
                                 (size_t)r->content_length + 1, &mapped) < 0)
      goto nomem;
    r->body_mapped = mapped ? 1 : 0;
  }
  if (len > r->max_body - r->body_len) {
    *why = "the response body exceeds the body size limit";
    return AH_ETOOLARGE;
  }
  need = r->body_len + len + 1;
  if (need > r->body_cap) {
    /* Geometric growth, but never past what the limit allows. */
    size_t ncap = r->body_cap ? r->body_cap : 1024;
    while (ncap < need)
      ncap *= 2;
    /* A length that is the body's: grown to it, not past it. */
    if (r->content_length >= 0 && !r->coded &&
        (uint64_t)r->content_length + 1 >= need &&
        ncap > (uint64_t)r->content_length + 1)
      ncap = (size_t)r->content_length + 1;
    if (ncap > r->max_body + 1)
      ncap = r->max_body + 1;
    if (ncap < need)
      ncap = need;
    int mapped = r->body_mapped;
    if (ah__body_grow(&r->body, r->body_len, need, &r->body_cap, ncap, &mapped) < 0)
      goto nomem;
    r->body_mapped = mapped ? 1 : 0;
  }
  memcpy(r->body + r->body_len, data, len);
  r->body_len += len;
  r->body[r->body_len] = '\0';
  return AH_OK;
nomem:
  *why = "out of memory while storing the response body";
  return AH_ENOMEM;
}
