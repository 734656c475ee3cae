/* fuzz_request.c - libFuzzer harness (make fuzz): the request side. The
 * input, split at newlines, is a URL, a method, a header name and value,
 * a query key and value, a base URL for the session: whatever they are,
 * the options and the fetch must refuse or accept them without a crash or
 * a leak, and a refused input must give a future failed with AH_EINVAL.
 * Nothing is sent: each fetch is canceled before the session runs.
 * A URL that lib/url.c's fast path takes must read back, part for part,
 * as libcurl's own parser would have made it. The eighth part is a
 * Location: resolved against the URL as a redirect's next hop, it is an
 * http or https URL with a host, or refused, never anything else. */
#include <ahttp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "journey.h"
#include "url.h"

#define PARTS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_as_libcurl(const char *url)
{
  static const CURLUPart parts[] = {
    CURLUPART_URL, CURLUPART_SCHEME, CURLUPART_USER, CURLUPART_PASSWORD,
    CURLUPART_OPTIONS, CURLUPART_HOST, CURLUPART_PORT, CURLUPART_PATH,
    CURLUPART_QUERY, CURLUPART_FRAGMENT, CURLUPART_ZONEID};
  CURLU *fast = NULL, *full;
  size_t i;

  if (ah__url_plain(url, &fast) != 1)
    return;
  if ((full = curl_url()) == NULL)
    abort();
  if (curl_url_set(full, CURLUPART_URL, url, 0) != CURLUE_OK)
    abort(); /* taken by the fast path, refused by libcurl */
  for (i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    char *x = NULL, *y = NULL;
    CURLUcode cx = curl_url_get(fast, parts[i], &x, 0);
    CURLUcode cy = curl_url_get(full, parts[i], &y, 0);
    if (cx != cy || (x == NULL) != (y == NULL) || (x != NULL && strcmp(x, y) != 0))
      abort(); /* the fast path made another URL than libcurl's */
    curl_free(x);
    curl_free(y);
  }
  curl_url_cleanup(fast);
  curl_url_cleanup(full);
}
/* The next hop of a redirect from url to location (SPEC 4b). */
static void next_hop(const char *url, const char *location, const char *method)
{
  CURLU *base = NULL, *next = NULL;
  const char *why;
  char *s = NULL, *origin;
  int how, https = -1;

  if (ah__url_parse(url, NULL, &base, &how, &why) != AH_OK)
    return;
  switch (ah__url_redirect(base, location, &next, &https, &why)) {
  case AH_OK:
    if (curl_url_get(next, CURLUPART_URL, &s, 0) != CURLUE_OK ||
        strncmp(s, https ? "https://" : "http://", https ? 8 : 7) != 0 ||
        strpbrk(s, " \r\n") != NULL)
      abort(); /* a next hop that is no http(s) URL, or one with a space */
    if ((origin = ah__url_origin(next)) == NULL)
      abort(); /* an accepted URL without a host */
    ah__free(origin);
    curl_free(s);
    break;
  case AH_EREDIRECTS: case AH_EPROTO: case AH_ENOMEM:
    break;
  default:
    abort(); /* a code ah__request_redirect does not expect */
  }
  /* The method rules are total: a bit for each redirect status only. */
  if (ah__journey_follows(*method ? method : NULL, 1, 0) & ~(unsigned)AH__FOLLOW_ALL)
    abort();
  curl_url_cleanup(next);
  curl_url_cleanup(base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *buf = malloc(size + 1), *part[PARTS], *p;
  ah_session_opts *so;
  ah_request_opts *o;
  ah_session *s;
  ah_future *f;
  int i, refused = 0;

  if (buf == NULL)
    return 0;
  memcpy(buf, data, size);
  buf[size] = '\0';
  for (i = 0, p = buf; i < PARTS; i++) {
    part[i] = p;
    if (p != NULL && (p = strchr(p, '\n')) != NULL)
      *p++ = '\0';
  }
  for (i = 0; i < PARTS; i++)
    if (part[i] == NULL)
      part[i] = "";
  same_as_libcurl(part[0]);
  next_hop(part[0], part[7], part[1]);
  so = ah_session_opts_new();
  if (*part[6])
    ah_session_opts_set_base_url(so, part[6]);
  s = ah_session_new(so);
  o = ah_request_opts_new();
  if (*part[1] && ah_request_opts_set_method(o, part[1]) == AH_EINVAL)
    refused = 1;
  if (*part[2] && ah_request_opts_add_header(o, part[2], part[3]) == AH_EINVAL)
    refused = 1;
  if (*part[4] && ah_request_opts_add_query(o, part[4], part[5]) == AH_EINVAL)
    refused = 1;
  f = ah_session_fetch(s, part[0], o);
  if (refused && ah_future_error(f) != AH_EINVAL)
    abort(); /* a refused option must never reach the wire */
  ah_future_cancel(f);
  ah_future_free(f);
  ah_request_opts_free(o);
  ah_session_free(s);
  ah_session_opts_free(so);
  free(buf);
  return 0;
}
