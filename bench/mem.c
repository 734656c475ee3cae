/* mem.c - what one future costs, from the allocator's own count
 * (mallinfo2): a queued future (its request and parsed URL), and a
 * completed one (future and compact response; the body is counted
 * apart), over one gather of N futures against a URL.
 *
 *   mem URL N      prints: queued_B completed_B body_B heap_MiB */
#include <ahttp.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
  struct mallinfo2 a, b, c;
  ah_session *s;
  ah_future **fs;
  size_t body = 0, len;
  long n, i;

  if (argc != 3 || (n = atol(argv[2])) <= 0)
    return 2;
  s = ah_session_new(NULL); /* the default connection limit: the window */
  fs = malloc((size_t)n * sizeof *fs);
  if (s == NULL || fs == NULL)
    return 1;
  a = mallinfo2();
  for (i = 0; i < n; i++)
    fs[i] = ah_session_fetch(s, argv[1], NULL);
  b = mallinfo2();
  if (ah_gather(fs, (size_t)n, -1) != AH_OK)
    return 1;
  c = mallinfo2();
  for (i = 0; i < n; i++) {
    if (ah_future_error(fs[i]) != AH_OK)
      return 1;
    ah_response_body(ah_future_response(fs[i]), &len);
    body += len;
  }
  printf("%.0f %.0f %.0f %.1f\n", (double)(b.uordblks - a.uordblks) / n,
         (double)(c.uordblks - a.uordblks) / n, (double)body / n,
         (double)c.arena / (1 << 20));
  for (i = 0; i < n; i++)
    ah_future_free(fs[i]);
  free(fs);
  ah_session_free(s);
  return 0;
}
