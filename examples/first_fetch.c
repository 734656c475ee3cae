/* first_fetch.c - one GET, its status, headers and body.
 *
 *   first_fetch URL
 *
 * The tutorial's first step (docs/tutorial.md). */
#include <ahttp.h>
#include <stdio.h>

int main(int argc, char **argv)
{
  ah_session *s;
  ah_future *f;
  const ah_response *r;
  int status = 1;

  if (argc != 2) {
    fprintf(stderr, "usage: %s URL\n", argv[0]);
    return 2;
  }
  s = ah_session_new(NULL);             /* default options */
  if (s == NULL)
    return 1;
  f = ah_session_fetch(s, argv[1], NULL); /* starts at once */
  ah_future_wait(f, -1);                /* runs the session until done */

  r = ah_future_response(f);
  if (r != NULL) {
    size_t len;
    const char *body = ah_response_body(r, &len);
    const char *type = ah_response_header(r, "content-type");

    printf("status %d, %zu bytes of %s\n", ah_response_status(r), len,
           type ? type : "unknown type");
    fwrite(body, 1, len, stdout);
    putchar('\n');
    status = 0;
  } else {
    /* No response: the code says what kind of failure, the message
     * the details (host, port, reason). */
    fprintf(stderr, "%s\n", ah_future_errmsg(f));
  }
  ah_future_free(f);
  ah_session_free(s);
  return status;
}
