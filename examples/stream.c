/* stream.c - download a body of any size to standard output as it
 * arrives, with the status and headers first and progress on stderr.
 *
 *   stream URL > file
 *
 * The tutorial's "streaming and callbacks" step (docs/tutorial.md). */
#include <ahttp.h>
#include <stdio.h>

static int on_headers(ah_future *f, const ah_response *head, void *userdata)
{
  const char *length = ah_response_header(head, "content-length");

  (void)f;
  (void)userdata;
  fprintf(stderr, "status %d, length %s\n", ah_response_status(head),
      length ? length : "unknown");
  return ah_response_status(head) == 200 ? 0 : 1; /* non-zero stops it */
}

static int on_data(ah_future *f, const char *data, size_t len, void *userdata)
{
  (void)f;
  (void)userdata;
  return fwrite(data, 1, len, stdout) == len ? 0 : 1;
}

static int on_progress(ah_future *f, long long down, long long down_total,
                       long long up, long long up_total, void *userdata)
{
  (void)f;
  (void)up;
  (void)up_total;
  (void)userdata;
  if (down_total > 0)
    fprintf(stderr, "\r%lld of %lld bytes", down, down_total);
  return 0;
}

int main(int argc, char **argv)
{
  ah_session *s = ah_session_new(NULL);
  ah_request_opts *o = ah_request_opts_new();
  ah_future *f;
  int err;

  if (argc != 2 || s == NULL || o == NULL) {
    fprintf(stderr, "usage: %s URL > file\n", argv[0]);
    return 2;
  }
  ah_request_opts_on_headers(o, on_headers, NULL);
  ah_request_opts_on_data(o, on_data, NULL);     /* the body is not kept */
  ah_request_opts_on_progress(o, on_progress, NULL);
  f = ah_session_fetch(s, argv[1], o);
  ah_request_opts_free(o);
  ah_future_wait(f, -1);
  err = ah_future_error(f);
  fprintf(stderr, "\n%s\n", err == AH_OK ? "done" : ah_future_errmsg(f));
  ah_future_free(f);
  ah_session_free(s);
  return err == AH_OK ? 0 : 1;
}
