/* refusal.h - HTTP/2 streams refused unprocessed, as libcurl's trace
 * tells of them. */
#ifndef AH_REFUSAL_H
#define AH_REFUSAL_H

#include <stddef.h>
#include <stdint.h>

/* What libcurl's trace tells of the HTTP/2 stream of a transfer: a
 * request sent on a stream the server refused unprocessed
 * (REFUSED_STREAM, or a stream above a GOAWAY's last stream id) may be
 * sent again whatever its method (SPEC 4b). libcurl says so in no other
 * way, and in other words in each release (see request.c). */
struct ah__refusal {
  int32_t sid;         /* the stream the request went out on, 0: unknown */
  int32_t goaway_last; /* a GOAWAY's last stream id, -1: none seen */
  int refused;         /* the stream was refused */
};
/* Note one line of libcurl's trace (CURLINFO_TEXT) in w. */
void ah__refusal_note(struct ah__refusal *w, const char *text, size_t len);
/* 1 when w shows the request's stream went unprocessed. */
int ah__refusal_unprocessed(const struct ah__refusal *w);

#endif
