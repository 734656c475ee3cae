/* ws_hs.h - what ahttp checks of a WebSocket's opening handshake itself:
 * libcurl (8.21 as 8.11) completes a connect-only upgrade on any 101,
 * without looking at Sec-WebSocket-Accept, Upgrade or Connection, and
 * even when the connection closed before the 101's blank line. So ahttp
 * sends a key of its own, reads the 101's header lines through libcurl's
 * header callback, and decides (RFC 6455 4.1, the client's checks). */
#ifndef AH_WS_HS_H
#define AH_WS_HS_H

#include <stddef.h>

struct ah__ws_hs {
  char key[25];     /* Sec-WebSocket-Key sent: base64 of 16 random bytes */
  char accept[29];  /* the Sec-WebSocket-Accept that answers it */
  unsigned seen;    /* HS_* bits of the last response's header lines */
  size_t bytes;     /* header bytes of the response so far */
  size_t max;       /* their limit (the session's max_header), 0: none */
};

/* A new key (random; its accept computed): 0. */
void ah__ws_hs_init(struct ah__ws_hs *hs, size_t max_header);
/* Take key as the key sent (the caller's own Sec-WebSocket-Key header
 * value, n bytes): its accept is then the one asked for. */
void ah__ws_hs_set_key(struct ah__ws_hs *hs, const char *key, size_t n);
/* One header line of a response as libcurl hands it (status line, field
 * or the blank line, CRLF included). 0, or -1 once the header bytes are
 * over the limit. */
int ah__ws_hs_line(struct ah__ws_hs *hs, const char *p, size_t n);
/* 1 when the header bytes went over the limit. */
int ah__ws_hs_too_large(const struct ah__ws_hs *hs);
/* After a 101: NULL when its headers complete the handshake, else a
 * static sentence saying what is wrong. */
const char *ah__ws_hs_check(const struct ah__ws_hs *hs);
/* The checks of frames libcurl passes as they come (8.21): a text
 * message or a close reason must be UTF-8 (RFC 6455 8.1), a close code
 * one a peer may send (7.4). */
/* 1 when the n bytes at p are well-formed UTF-8 (RFC 3629: no overlong
 * forms, no surrogates, nothing over U+10FFFF). */
int ah__ws_hs_utf8(const char *p, size_t n);
/* 1 when a peer may send close code c: 1000 to 1003, 1007 to 1014, 3000
 * to 4999 (1004 reserved, 1005, 1006, 1015 never on the wire). */
int ah__ws_hs_close_code(int c);
/* base64(SHA-1(key + the RFC's GUID)), NUL-terminated in out. */
void ah__ws_hs_accept(const char *key, size_t n, char out[29]);

#endif
