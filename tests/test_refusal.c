/* test_refusal.c - reading libcurl's trace for HTTP/2 streams refused
 * unprocessed (lib/refusal.c), no network: each release's wording, and
 * the lines that only look like a refusal. test_h2.c proves the same
 * against a server that refuses. */
#include <ahttp.h>
#include <string.h>

#include "refusal.h"
#include "testutil.h"

/* libcurl's trace, as each release words it, read for refusals: only
 * what proves a stream went unprocessed counts. */
static void test_refusal_lines(void **state)
{
  static const struct { const char *const lines[4]; int unprocessed; } t[] = {
    /* 7.88 */
    {{"Using Stream ID: 1 (easy handle 0x5600)\n", "REFUSED_STREAM, retrying a fresh connect\n"}, 1},
    {{"Using Stream ID: 5 (easy handle 0x5600)\n", "recveived GOAWAY, error=0, last_stream=3\n"}, 1},
    {{"Using Stream ID: 3 (easy handle 0x5600)\n", "recveived GOAWAY, error=0, last_stream=3\n"}, 0},
    {{"Connection died, retrying a fresh connect (retry count: 1)\n"}, 0},
    /* 8.5 with the http/2 trace component */
    {{"[HTTP/2] [1] OPENED stream for http://a/\n", "[HTTP/2] [1] RESET: REFUSED_STREAM (err 7)\n",
      "[HTTP/2] [1] REFUSED_STREAM, try again on a new connection\n"}, 1},
    {{"[HTTP/2] [1] OPENED stream for http://a/\n", "[HTTP/2] [1] RESET: REFUSED_STREAM (err 7)\n"}, 0},
    {{"[HTTP/2] [7] OPENED stream for http://a/\n", "received GOAWAY, error=0, last_stream=5\n"}, 1},
    {{"[HTTP/2] [7] OPENED stream for http://a/\n", "received GOAWAY, error=0, last_stream=2147483647\n"}, 0},
    /* 8.21 */
    {{"[HTTP/2] [3] OPENED stream for http://a/\n",
      "HTTP/2 stream 3 refused by server, try again on a new connection\n"}, 1},
    /* A GOAWAY with no stream of ours known proves nothing. */
    {{"received GOAWAY, error=0, last_stream=0\n"}, 0},
    {{"received GOAWAY, error=2, last_stream=x\n", "[HTTP/2] [1] OPENED stream\n"}, 0},
    /* Lines that echo the URL, the request's headers or a server's text
     * prove nothing, whatever they hold (a review found a key named
     * REFUSED_STREAM made a dropped POST go twice). */
    {{"[HTTP/2] [1] OPENED stream for http://h/REFUSED_STREAM, retrying a fresh connect\n"}, 0},
    {{"[HTTP/2] [1] OPENED stream for http://h/\n", "[HTTP/2] [1] [x-a: REFUSED_STREAM]\n"}, 0},
    {{"h2h3 [:path: /refused by server]\n"}, 0},
    {{"[HTTP/2] [3] OPENED stream for http://h/\n",
      "[HTTP/2] [0] <- FRAME[GOAWAY, error=0, reason='received GOAWAY, error=0, last_stream=0', last_stream=9]\n"}, 0},
    {{"Using Stream ID: 3 (easy handle 0x5600)\n", "HTTP/2 stream 5 refused by server, try again on a new connection\n"}, 0},
  };
  size_t i, k;

  (void)state;
  for (i = 0; i < sizeof t / sizeof *t; i++) {
    struct ah__refusal w = {0, -1, 0};
    for (k = 0; k < 4 && t[i].lines[k]; k++)
      ah__refusal_note(&w, t[i].lines[k], strlen(t[i].lines[k]));
    if (ah__refusal_unprocessed(&w) != t[i].unprocessed)
      fail_msg("case %zu: %s", i, t[i].lines[0]);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_refusal_lines),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
