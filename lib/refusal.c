/* refusal.c - reading libcurl's trace for HTTP/2 streams the server
 * refused unprocessed (refusal.h). */
#include "refusal.h"

#include <stdio.h>
#include <string.h>

/* libcurl tells of HTTP/2 refusals only in its trace, and in other
 * words in each release: the stream a request went out on ("Using Stream
 * ID: 1" in 7.88, "[HTTP/2] [1] OPENED stream" in 8.x), a GOAWAY
 * ("recveived GOAWAY, error=0, last_stream=0" in 7.88, "received ..." in
 * 8.x), a refused stream ("REFUSED_STREAM, retrying a fresh connect" in
 * 7.88; "[HTTP/2] [1] RESET: REFUSED_STREAM" from the http/2 trace
 * component in 8.3 to 8.18, see ah__curl_caps_init; "stream 1 refused by
 * server" in 8.19 on). Each is read as positive evidence only: a line
 * not understood proves nothing, and the request is then not sent twice. */
/* 1 when line is all of fmt (one %ld, into *v, then %n): a whole line in
 * libcurl's exact words, never a part of one, since other lines of the
 * trace echo the URL, the request's headers and a server's GOAWAY text. */
static int whole(const char *line, const char *fmt, long *v)
{
  int end = -1;

  return sscanf(line, fmt, v, &end) == 1 && end > 0 && line[end] == '\0';
}

void ah__refusal_note(struct ah__refusal *w, const char *text, size_t len)
{
  char line[160];
  long v = 0, e;
  int end = -1;

  if (len >= sizeof line)
    return; /* none of the lines read here is that long */
  memcpy(line, text, len);
  line[len] = '\0';
  if (len > 0 && line[len - 1] == '\n')
    line[len - 1] = '\0';
  if (strcmp(line, "REFUSED_STREAM, retrying a fresh connect") == 0) {
    w->refused = 1; /* 7.88, 8.5: this transfer's own stream */
  } else if (whole(line, "HTTP/2 stream %ld refused by server, try again on a new connection%n", &v) ||
             whole(line, "[HTTP/2] [%ld] REFUSED_STREAM, try again on a new connection%n", &v)) {
    if (w->sid > 0 && v == w->sid)
      w->refused = 1;
  } else if (whole(line, "Using Stream ID: %ld (easy handle 0x%*x)%n", &v) ||
             (sscanf(line, "[HTTP/2] [%ld] OPENED stream for %n", &v, &end) == 1 && end > 0)) {
    w->sid = v > 0 && v <= INT32_MAX ? (int32_t)v : 0;
  } else if ((sscanf(line, "recveived GOAWAY, error=%ld, last_stream=%ld%n", &e, &v, &end) == 2 ||
              sscanf(line, "received GOAWAY, error=%ld, last_stream=%ld%n", &e, &v, &end) == 2) &&
             end > 0 && line[end] == '\0' && v >= 0 && v <= INT32_MAX) {
    w->goaway_last = (int32_t)v;
  }
}

int ah__refusal_unprocessed(const struct ah__refusal *w)
{
  return w->refused || (w->sid > 0 && w->goaway_last >= 0 && w->goaway_last < w->sid);
}
