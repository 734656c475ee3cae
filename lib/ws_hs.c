/* ws_hs.c - the client's checks of a WebSocket's opening handshake
 * (RFC 6455 4.1): the key sent, the 101's Upgrade, Connection and
 * Sec-WebSocket-Accept, its blank line, the size of its headers. Why
 * ahttp checks these and not libcurl: ws_hs.h. */
#include "ws_hs.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "reactor.h"

enum {
  HS_UPGRADE = 1,     /* Upgrade: websocket */
  HS_CONNECTION = 2,  /* Connection: with the token upgrade */
  HS_ACCEPT = 4,      /* Sec-WebSocket-Accept: the right one */
  HS_BAD_ACCEPT = 8,  /* Sec-WebSocket-Accept: another */
  HS_END = 16,        /* the blank line */
  HS_STATUS = 32,     /* a status line began the response */
  HS_OVER = 64        /* the header bytes went over the limit */
};

static const char GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* SHA-1 (FIPS 180-4), only for the accept: a handshake's nonce check,
 * not a security function. */
struct sha1 {
  uint32_t h[5];
  uint64_t len;
  unsigned char blk[64];
  size_t n;
};

static uint32_t rol(uint32_t x, int k)
{
  return (x << k) | (x >> (32 - k));
}

static void sha1_block(struct sha1 *c, const unsigned char *p)
{
  uint32_t w[80], a = c->h[0], b = c->h[1], d3 = c->h[2], d = c->h[3], e = c->h[4];
  int i;

  for (i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
           (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (; i < 80; i++)
    w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  for (i = 0; i < 80; i++) {
    uint32_t f, k, t;
    if (i < 20) {
      f = (b & d3) | (~b & d);
      k = 0x5A827999;
    } else if (i < 40) {
      f = b ^ d3 ^ d;
      k = 0x6ED9EBA1;
    } else if (i < 60) {
      f = (b & d3) | (b & d) | (d3 & d);
      k = 0x8F1BBCDC;
    } else {
      f = b ^ d3 ^ d;
      k = 0xCA62C1D6;
    }
    t = rol(a, 5) + f + e + k + w[i];
    e = d;
    d = d3;
    d3 = rol(b, 30);
    b = a;
    a = t;
  }
  c->h[0] += a;
  c->h[1] += b;
  c->h[2] += d3;
  c->h[3] += d;
  c->h[4] += e;
}

static void sha1_add(struct sha1 *c, const void *data, size_t n)
{
  const unsigned char *p = data;

  c->len += n;
  while (n > 0) {
    size_t k = 64 - c->n < n ? 64 - c->n : n;
    memcpy(c->blk + c->n, p, k);
    c->n += k;
    p += k;
    n -= k;
    if (c->n == 64) {
      sha1_block(c, c->blk);
      c->n = 0;
    }
  }
}

static void sha1_end(struct sha1 *c, unsigned char out[20])
{
  uint64_t bits = c->len * 8;
  unsigned char pad = 0x80, len[8];
  int i;

  sha1_add(c, &pad, 1);
  pad = 0;
  while (c->n != 56)
    sha1_add(c, &pad, 1);
  for (i = 0; i < 8; i++)
    len[i] = (unsigned char)(bits >> (56 - 8 * i));
  sha1_add(c, len, 8);
  for (i = 0; i < 20; i++)
    out[i] = (unsigned char)(c->h[i / 4] >> (24 - 8 * (i % 4)));
}

/* base64 of n bytes into out (4 * ((n + 2) / 3) + 1 bytes). */
static void base64(const unsigned char *p, size_t n, char *out)
{
  static const char tab[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i;

  for (i = 0; i + 2 < n; i += 3) {
    *out++ = tab[p[i] >> 2];
    *out++ = tab[(p[i] & 3) << 4 | p[i + 1] >> 4];
    *out++ = tab[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
    *out++ = tab[p[i + 2] & 63];
  }
  if (i < n) {
    *out++ = tab[p[i] >> 2];
    if (i + 1 < n) {
      *out++ = tab[(p[i] & 3) << 4 | p[i + 1] >> 4];
      *out++ = tab[(p[i + 1] & 15) << 2];
    } else {
      *out++ = tab[(p[i] & 3) << 4];
      *out++ = '=';
    }
    *out++ = '=';
  }
  *out = '\0';
}

void ah__ws_hs_accept(const char *key, size_t n, char out[29])
{
  struct sha1 c = {{0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0}, 0, {0}, 0};
  unsigned char h[20];

  sha1_add(&c, key, n);
  sha1_add(&c, GUID, sizeof GUID - 1);
  sha1_end(&c, h);
  base64(h, sizeof h, out);
}

void ah__ws_hs_init(struct ah__ws_hs *hs, size_t max_header)
{
  static unsigned long count;
  unsigned char nonce[16];
  ssize_t got = getrandom(nonce, sizeof nonce, GRND_NONBLOCK);

  if (got != (ssize_t)sizeof nonce) {
    /* No entropy yet (early boot): the nonce need not be secret, only
     * new for each connection (RFC 6455 4.1). */
    uint64_t t = (uint64_t)ah__now_ns() ^ ((uint64_t)(uintptr_t)hs << 17);
    uint64_t u = ++count * 0x9E3779B97F4A7C15ull ^ t;
    memcpy(nonce, &t, 8);
    memcpy(nonce + 8, &u, 8);
  }
  memset(hs, 0, sizeof *hs);
  base64(nonce, sizeof nonce, hs->key);
  ah__ws_hs_accept(hs->key, strlen(hs->key), hs->accept);
  hs->max = max_header;
}

void ah__ws_hs_set_key(struct ah__ws_hs *hs, const char *key, size_t n)
{
  size_t k = n < sizeof hs->key - 1 ? n : sizeof hs->key - 1;

  memcpy(hs->key, key, k);
  hs->key[k] = '\0';
  ah__ws_hs_accept(key, n, hs->accept);
}

/* The value of field name in line p (n bytes, CRLF included), trimmed:
 * its length, or -1 when the line is another field. */
static long value_of(const char *p, size_t n, const char *name, const char **v)
{
  size_t k = strlen(name);

  if (n <= k || strncasecmp(p, name, k) != 0 || p[k] != ':')
    return -1;
  p += k + 1;
  n -= k + 1;
  while (n > 0 && (*p == ' ' || *p == '\t')) {
    p++;
    n--;
  }
  while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' ' ||
                   p[n - 1] == '\t'))
    n--;
  *v = p;
  return (long)n;
}

/* 1 when the comma-separated list v (n bytes) holds token t. */
static int has_token(const char *v, size_t n, const char *t)
{
  size_t k = strlen(t);

  while (n > 0) {
    size_t e = 0, b = 0;
    while (e < n && v[e] != ',')
      e++;
    while (b < e && (v[b] == ' ' || v[b] == '\t'))
      b++;
    {
      size_t z = e;
      while (z > b && (v[z - 1] == ' ' || v[z - 1] == '\t'))
        z--;
      if (z - b == k && strncasecmp(v + b, t, k) == 0)
        return 1;
    }
    if (e == n)
      break;
    v += e + 1;
    n -= e + 1;
  }
  return 0;
}

int ah__ws_hs_line(struct ah__ws_hs *hs, const char *p, size_t n)
{
  const char *v;
  long k;

  if (n >= 5 && strncmp(p, "HTTP/", 5) == 0 &&
      (hs->seen == 0 || (hs->seen & HS_END))) {
    /* A new response (an interim one came before): only a status line,
     * the first or after a blank line, else any field named "HTTP/..."
     * would reset the count below. */
    hs->seen = HS_STATUS;
    hs->bytes = 0;        /* the limit is a response's, as a fetch's */
  }
  hs->bytes += n;
  if (hs->max != 0 && hs->bytes > hs->max) {
    hs->seen |= HS_OVER;
    return -1;
  }
  if (hs->seen == HS_STATUS && hs->bytes == n)
    return 0;
  if ((n == 2 && p[0] == '\r' && p[1] == '\n') || (n == 1 && p[0] == '\n')) {
    hs->seen |= HS_END;
    return 0;
  }
  if ((k = value_of(p, n, "Upgrade", &v)) >= 0) {
    if (k == 9 && strncasecmp(v, "websocket", 9) == 0)
      hs->seen |= HS_UPGRADE;
    else
      hs->seen &= ~(unsigned)HS_UPGRADE;
  } else if ((k = value_of(p, n, "Connection", &v)) >= 0) {
    if (has_token(v, (size_t)k, "upgrade"))
      hs->seen |= HS_CONNECTION;
  } else if ((k = value_of(p, n, "Sec-WebSocket-Accept", &v)) >= 0) {
    if ((size_t)k == strlen(hs->accept) && memcmp(v, hs->accept, (size_t)k) == 0 &&
        !(hs->seen & HS_BAD_ACCEPT))
      hs->seen |= HS_ACCEPT;
    else
      hs->seen = (hs->seen & ~(unsigned)HS_ACCEPT) | HS_BAD_ACCEPT;
  }
  return 0;
}

int ah__ws_hs_too_large(const struct ah__ws_hs *hs)
{
  return (hs->seen & HS_OVER) != 0;
}

const char *ah__ws_hs_check(const struct ah__ws_hs *hs)
{
  if (!(hs->seen & HS_END))
    return "its headers were cut before the blank line";
  if (!(hs->seen & HS_UPGRADE))
    return "it does not switch to websocket (Upgrade: websocket)";
  if (!(hs->seen & HS_CONNECTION))
    return "it lacks Connection: Upgrade";
  if (hs->seen & HS_BAD_ACCEPT)
    return "its Sec-WebSocket-Accept does not answer the key sent";
  if (!(hs->seen & HS_ACCEPT))
    return "it has no Sec-WebSocket-Accept";
  return NULL;
}

int ah__ws_hs_utf8(const char *p, size_t n)
{
  const unsigned char *u = (const unsigned char *)p;
  size_t i = 0;

  while (i < n) {
    unsigned c = u[i];
    size_t k;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF)
      k = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
      k = 2;
      if (c == 0xE0)
        lo = 0xA0; /* overlong */
      else if (c == 0xED)
        hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
      k = 3;
      if (c == 0xF0)
        lo = 0x90; /* overlong */
      else if (c == 0xF4)
        hi = 0x8F; /* over U+10FFFF */
    } else {
      return 0;
    }
    if (n - i <= k || u[i + 1] < lo || u[i + 1] > hi)
      return 0;
    for (i += 2; --k > 0; i++)
      if (u[i] < 0x80 || u[i] > 0xBF)
        return 0;
  }
  return 1;
}

int ah__ws_hs_close_code(int c)
{
  return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) ||
         (c >= 3000 && c <= 4999);
}
