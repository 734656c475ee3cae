/* response.c - the compact result built from a receiver, and the
 * public getters (response.h). */
#include "response.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "body.h"
#include "journey.h"
#include "rx.h"
#include "url.h"

/* The result. */

/* Where the parts of a result block are. */
static const uint32_t *offsets_of(const ah_response *r)
{
  return (const uint32_t *)(const void *)((const char *)r + sizeof *r);
}

static const char *text_at(const ah_response *r, uint32_t at)
{
  return (const char *)r + at;
}

static uint32_t saturate_us(int64_t us)
{
  return us <= 0 ? 0 : us >= UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* The redirects of info (2-byte status, URL, NUL; see struct ah__journey)
 * as the result keeps them: the same, credentials removed from each URL. */
static size_t hops_size(const struct ah__resp_info *info)
{
  size_t at = 0, n = 0, from, to, len;
  int i;

  if (info == NULL || info->nhops <= 0 || info->hops == NULL)
    return 0;
  for (i = 0; i < info->nhops && i < UINT16_MAX; i++) {
    const char *u = info->hops + at + 2;
    len = strlen(u);
    from = to = 0;
    ah__url_credentials(u, &from, &to);
    n += 2 + len - (to - from) + 1;
    at += 2 + len + 1;
  }
  return n;
}

static void copy_hops(char *out, const struct ah__resp_info *info)
{
  size_t at = 0, from, to, len;
  int i;

  for (i = 0; i < info->nhops && i < UINT16_MAX; i++) {
    const char *u = info->hops + at + 2;
    len = strlen(u);
    from = to = 0;
    ah__url_credentials(u, &from, &to);
    memcpy(out, info->hops + at, 2);
    ah__url_copy_without(out + 2, u, len, from, to);
    out += 2 + len - (to - from) + 1;
    at += 2 + len + 1;
  }
}

ah_response *ah__response_build(struct ah__rx *rx, const char *url,
                                int status, const struct ah__resp_info *info)
{
  const char *rip = info && info->remote_ip ? info->remote_ip : "";
  const char *lip = info && info->local_ip ? info->local_ip : "";
  size_t len, from, to, ulen, rlen = strlen(rip) + 1, llen = strlen(lip) + 1;
  size_t size, at, hlen;
  int i;
  int inline_body = rx->body_len <= AH__INLINE_BODY;
  ah_response *r;
  char *p;

  if (url == NULL)
    url = "";
  if (rx->nhdr > UINT16_MAX || rx->hdr_len > UINT32_MAX / 2)
    return NULL; /* beyond any sane max_header */
  len = strlen(url);
  from = to = 0;
  if (info == NULL || !info->url_plain)
    ah__url_credentials(url, &from, &to);
  ulen = len - (to - from) + 1;
  hlen = hops_size(info);
  size = sizeof *r + rx->nhdr * sizeof(uint32_t) + rx->hdr_len + ulen +
         rlen + llen + hlen + (inline_body ? rx->body_len + 1 : 0);
  r = ah__malloc(size);
  if (r == NULL)
    return NULL;
  p = (char *)r;
  at = sizeof *r;
  r->status = (uint16_t)status;
  r->nhdr = (uint16_t)rx->nhdr;
  if (rx->nhdr)
    memcpy(p + at, rx->hdr_off, rx->nhdr * sizeof(uint32_t));
  at += rx->nhdr * sizeof(uint32_t);
  r->hdr_at = (uint32_t)at;
  if (rx->hdr_len)
    memcpy(p + at, rx->hdr, rx->hdr_len);
  at += rx->hdr_len;
  r->url_at = (uint32_t)at;
  ah__url_copy_without(p + at, url, len, from, to);
  at += ulen;
  memcpy(p + at, rip, rlen);
  at += rlen;
  memcpy(p + at, lip, llen);
  at += llen;
  if (hlen != 0)
    copy_hops(p + at, info);
  at += hlen;
  memset(r->time_us, 0, sizeof r->time_us);
  r->version = (uint8_t)rx->version;
  r->attempts = 1;
  r->redirects = 0;
  r->remote_port = r->local_port = 0;
  if (info != NULL) {
    for (i = 0; i < AH__NTIMES; i++)
      r->time_us[i] = saturate_us(info->time_us[i]);
    r->version = (uint8_t)info->version;
    r->attempts = info->attempts > 127 ? 127 : (uint8_t)info->attempts;
    r->redirects = (uint16_t)(info->nhops > UINT16_MAX ? UINT16_MAX : info->nhops);
    r->remote_port = (uint16_t)info->remote_port;
    r->local_port = (uint16_t)info->local_port;
  }
  r->body_len = rx->body_len;
  r->body_inline = inline_body ? 1 : 0;
  r->body_mapped = 0;
  if (inline_body) {
    r->body = p + at;
    if (rx->body_len)
      memcpy(r->body, rx->body, rx->body_len);
    r->body[rx->body_len] = '\0';
  } else {
    /* Take the buffer; give back what geometric growth left unused (a
     * mapped one is then ah__body_pages(body_len + 1), as freed). */
    int mapped = rx->body_mapped;
    if (ah__body_trim(&rx->body, rx->body_len, &rx->body_cap, &mapped) < 0) {
      ah__free(r);
      return NULL;
    }
    rx->body_mapped = mapped ? 1 : 0;
    r->body = rx->body;
    r->body_mapped = rx->body_mapped;
    rx->body = NULL;
    rx->body_cap = 0;
    rx->body_mapped = 0;
  }
  return r;
}

void ah__response_free(ah_response *r)
{
  if (r == NULL)
    return;
  if (!r->body_inline)
    ah__body_free(r->body, r->body_mapped ? ah__body_pages(r->body_len + 1) : 0,
                  r->body_mapped);
  ah__free(r);
}

/* Public getters. */

int ah_response_status(const ah_response *r)
{
  return r ? r->status : 0;
}

const char *ah_response_body(const ah_response *r, size_t *len)
{
  if (len)
    *len = r ? r->body_len : 0;
  if (r == NULL)
    return NULL;
  return r->body;
}

const char *ah_response_header(const ah_response *r, const char *name)
{
  size_t i;

  if (r == NULL || name == NULL)
    return NULL;
  for (i = 0; i < r->nhdr; i++) {
    const char *n = text_at(r, r->hdr_at + offsets_of(r)[i]);
    if (strcasecmp(n, name) == 0)
      return n + strlen(n) + 1;
  }
  return NULL;
}

const char *ah_response_reason(const ah_response *r)
{
  if (r == NULL)
    return NULL;
  /* The text starts with the reason when a status line was seen. */
  return r->url_at > r->hdr_at ? text_at(r, r->hdr_at) : "";
}

/* Trailers: "name\0value\0" from the end of the last header (or of the
 * reason) to the URL; *end gets where they stop. */
static const char *trailers_of(const ah_response *r, const char **end)
{
  const char *p = text_at(r, r->hdr_at);

  *end = text_at(r, r->url_at);
  if (p == *end)
    return p;
  if (r->nhdr > 0) {
    p = text_at(r, r->hdr_at + offsets_of(r)[r->nhdr - 1]);
    p += strlen(p) + 1; /* the last header's name; its value next */
  }
  return p + strlen(p) + 1;
}

size_t ah_response_trailer_count(const ah_response *r)
{
  const char *p, *end;
  size_t n = 0;

  if (r == NULL)
    return 0;
  for (p = trailers_of(r, &end); p < end; n++) {
    p += strlen(p) + 1;
    p += strlen(p) + 1;
  }
  return n;
}

int ah_response_trailer_at(const ah_response *r, size_t i, const char **name,
                           const char **value)
{
  const char *p, *end;

  if (r == NULL)
    return AH_EINVAL;
  for (p = trailers_of(r, &end); p < end; i--) {
    const char *v = p + strlen(p) + 1;
    if (i == 0) {
      if (name)
        *name = p;
      if (value)
        *value = v;
      return AH_OK;
    }
    p = v + strlen(v) + 1;
  }
  return AH_EINVAL;
}

const char *ah_response_trailer(const ah_response *r, const char *name)
{
  const char *p, *end;

  if (r == NULL || name == NULL)
    return NULL;
  for (p = trailers_of(r, &end); p < end;) {
    const char *v = p + strlen(p) + 1;
    if (strcasecmp(p, name) == 0)
      return v;
    p = v + strlen(v) + 1;
  }
  return NULL;
}

size_t ah_response_header_count(const ah_response *r)
{
  return r ? r->nhdr : 0;
}

int ah_response_header_at(const ah_response *r, size_t i, const char **name,
                          const char **value)
{
  const char *n;

  if (r == NULL || i >= r->nhdr)
    return AH_EINVAL;
  n = text_at(r, r->hdr_at + offsets_of(r)[i]);
  if (name)
    *name = n;
  if (value)
    *value = n + strlen(n) + 1;
  return AH_OK;
}

const char *ah_response_url(const ah_response *r)
{
  return r ? text_at(r, r->url_at) : NULL;
}

long long ah_response_time_us(const ah_response *r, ah_time which)
{
  if (r == NULL || which < 0 || which >= AH__NTIMES)
    return -1;
  return r->time_us[which];
}

int ah_response_redirects(const ah_response *r)
{
  return r ? r->redirects : 0;
}

int ah_response_history_at(const ah_response *r, size_t i, int *status,
                           const char **url)
{
  const char *p;
  uint16_t st;
  size_t k;

  if (r == NULL || i >= r->redirects)
    return AH_EINVAL;
  p = text_at(r, r->url_at);          /* the URL, then the two addresses */
  for (k = 0; k < 3; k++)
    p += strlen(p) + 1;
  for (k = 0; k < i; k++)             /* then each hop: status, URL */
    p += 2 + strlen(p + 2) + 1;
  memcpy(&st, p, sizeof st);
  if (status)
    *status = st;
  if (url)
    *url = p + 2;
  return AH_OK;
}

int ah_response_attempts(const ah_response *r)
{
  return r ? r->attempts : 0;
}

int ah_response_http_version(const ah_response *r)
{
  return r ? r->version : 0;
}

const char *ah_response_remote_addr(const ah_response *r, int *port)
{
  const char *u;

  if (port)
    *port = r ? r->remote_port : 0;
  if (r == NULL)
    return NULL;
  u = text_at(r, r->url_at);
  return u + strlen(u) + 1;
}

const char *ah_response_local_addr(const ah_response *r, int *port)
{
  const char *a = ah_response_remote_addr(r, NULL);

  if (port)
    *port = r ? r->local_port : 0;
  return a ? a + strlen(a) + 1 : NULL;
}
