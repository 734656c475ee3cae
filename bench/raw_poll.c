/* raw_poll.c - libcurl with curl_multi_poll, C easy handles re-added as
 * each finishes: the loop most libcurl users write.
 *
 *   raw_poll URL N C          prints: elapsed_s ok bytes non200 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "raw_common.h"

static size_t bytes;

static size_t on_write(char *p, size_t s, size_t n, void *ud)
{
  (void)p; (void)ud;
  bytes += s * n;
  return s * n;
}

static double now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
  long n, c, i, started = 0, done = 0, ok = 0, non200 = 0;
  int running = 1;
  CURLM *m;
  struct curl_slist *headers;
  double t0;

  if (argc != 4 && argc != 5)
    return 2; /* URL N C [CAFILE: HTTP/2 over TLS, multiplexed] */
  n = atol(argv[2]);
  c = atol(argv[3]);
  curl_global_init(CURL_GLOBAL_ALL);
  headers = raw_headers();
  m = curl_multi_init();
  curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, c);
  t0 = now();
  for (i = 0; i < c && started < n; i++, started++) {
    CURL *e = curl_easy_init();
    raw_configure(e, argv[1], headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    if (argc == 5) {
      curl_easy_setopt(e, CURLOPT_CAINFO, argv[4]);
      curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
      curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    }
    curl_multi_add_handle(m, e);
  }
  while (done < n) {
    CURLMsg *msg;
    int left;
    curl_multi_perform(m, &running);
    while ((msg = curl_multi_info_read(m, &left)) != NULL) {
      CURL *e = msg->easy_handle;
      long code = 0;
      if (msg->msg != CURLMSG_DONE)
        continue;
      done++;
      if (msg->data.result == CURLE_OK) {
        ok++;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
        if (code != 200)
          non200++;
      }
      curl_multi_remove_handle(m, e);
      if (started < n) {
        started++;
        curl_multi_add_handle(m, e);
      } else {
        curl_easy_cleanup(e);
      }
    }
    if (done < n)
      curl_multi_poll(m, NULL, 0, 1000, NULL);
  }
  printf("%.6f %ld %zu %ld\n", now() - t0, ok, bytes, non200);
  curl_multi_cleanup(m);
  curl_slist_free_all(headers);
  return 0;
}
