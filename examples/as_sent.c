/* as_sent.c - a response as the server sent it: the status line's reason
 * phrase, the body not decompressed, and the trailers after it.
 *
 *   as_sent URL
 *
 * The body goes to standard output, the rest to standard error. From the
 * tutorial's step 7 (docs/tutorial.md). */
#include <ahttp.h>
#include <stdio.h>

int main(int argc, char **argv)
{
  ah_session *s;
  ah_request_opts *o;
  ah_future *f;
  const ah_response *r;
  int status = 1;

  if (argc != 2) {
    fprintf(stderr, "usage: %s URL\n", argv[0]);
    return 2;
  }
  s = ah_session_new(NULL);
  o = ah_request_opts_new();
  if (s == NULL || o == NULL)
    return 1;
  ah_request_opts_set_decompress(o, 0); /* the body as sent */
  f = ah_session_fetch(s, argv[1], o);
  ah_request_opts_free(o);
  ah_future_wait(f, -1);

  r = ah_future_response(f);
  if (r != NULL) {
    size_t len, i;
    const char *body = ah_response_body(r, &len), *name, *value;
    const char *enc = ah_response_header(r, "content-encoding");

    /* "" over HTTP/2, which has no reason phrase */
    fprintf(stderr, "status %d %s\n", ah_response_status(r),
            ah_response_reason(r));
    fprintf(stderr, "%zu bytes, encoding %s\n", len, enc ? enc : "none");
    fwrite(body, 1, len, stdout);
    for (i = 0; i < ah_response_trailer_count(r); i++)
      if (ah_response_trailer_at(r, i, &name, &value) == AH_OK)
        fprintf(stderr, "trailer %s: %s\n", name, value);
    status = 0;
  } else {
    fprintf(stderr, "%s\n", ah_future_errmsg(f));
  }
  ah_future_free(f);
  ah_session_free(s);
  return status;
}
