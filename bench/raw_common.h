/* raw_common.h - how the raw libcurl clients configure an easy handle.
 *
 * The raw clients are the no-wrapper reference: libcurl driven by hand,
 * doing the same work ahttp asks of it, so that the difference measured
 * is the wrapper's. They therefore set what ahttp sets on its handles:
 * the same request bytes (a User-Agent and an Accept-Encoding line, given
 * as header lines, the cheapest way libcurl has), decompression on, proxy
 * environment variables not consulted, a 64 KiB receive buffer, no
 * signals. Run them with RAW_DEFAULTS=1 to leave libcurl's defaults
 * instead (shorter requests, no decompression, the proxy environment
 * read on every request, a 16 KiB buffer). */
#ifndef RAW_COMMON_H
#define RAW_COMMON_H

#include <ahttp.h> /* AH_VERSION_STRING only: the same User-Agent bytes */
#include <curl/curl.h>
#include <stdlib.h>

static struct curl_slist *raw_headers(void)
{
  struct curl_slist *l = curl_slist_append(NULL, "User-Agent: ahttp/" AH_VERSION_STRING);
  return curl_slist_append(l, "Accept-Encoding: deflate, gzip, br, zstd");
}

static void raw_configure(CURL *e, const char *url, struct curl_slist *headers)
{
  curl_easy_setopt(e, CURLOPT_URL, url);
  /* As any event-loop user should: otherwise libcurl swaps the SIGPIPE
   * handler around every send and receive (3 syscalls a request). */
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  if (getenv("RAW_DEFAULTS") != NULL)
    return;
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(e, CURLOPT_PROXY, "");
  curl_easy_setopt(e, CURLOPT_NOPROXY, "");
  curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 65536L);
}

#endif
