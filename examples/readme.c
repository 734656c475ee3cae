/* readme.c - the example of README.md, whole: two fetches, one gather.
 * Prints each status, or the error code of a request that failed. */
#include <ahttp.h>
#include <stdio.h>

int main(void)
{
  ah_session *s = ah_session_new(NULL);
  ah_future *fs[2] = { ah_session_fetch(s, "https://example.org/a", NULL),
                       ah_session_fetch(s, "https://example.org/b", NULL) };
  ah_gather(fs, 2, 10000);                      /* both run concurrently */
  for (int i = 0; i < 2; i++) {
    const ah_response *r = ah_future_response(fs[i]);
    printf("%d\n", r ? ah_response_status(r) : ah_future_error(fs[i]));
    ah_future_free(fs[i]);
  }
  ah_session_free(s);
  return 0;
}
