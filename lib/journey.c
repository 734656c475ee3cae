/* journey.c - redirect policy and the record of the redirects followed. */
#include "journey.h"

#include <curl/curl.h>
#include <string.h>

#include "alloc.h"

unsigned ah__journey_bit(int status)
{
  switch (status) {
  case 301: return AH__FOLLOW_301;
  case 302: return AH__FOLLOW_302;
  case 303: return AH__FOLLOW_303;
  case 307: return AH__FOLLOW_307;
  case 308: return AH__FOLLOW_308;
  default: return 0;
  }
}

/* The method a request goes out with: a body without a method is a POST,
 * as libcurl and aiohttp send it. */
static const char *effective(const char *method, int has_body)
{
  return method != NULL ? method : has_body ? "POST" : "GET";
}

int ah__journey_to_get(int status, const char *method, int has_body)
{
  const char *m = effective(method, has_body);

  if (status == 303)
    return strcmp(m, "HEAD") != 0;
  return (status == 301 || status == 302) && strcmp(m, "POST") == 0;
}

unsigned ah__journey_follows(const char *method, int has_body, int body_resendable)
{
  static const int codes[] = {301, 302, 303, 307, 308};
  unsigned mask = 0;
  size_t i;

  if (!has_body || body_resendable)
    return AH__FOLLOW_ALL;
  for (i = 0; i < sizeof codes / sizeof *codes; i++)
    if (ah__journey_to_get(codes[i], method, has_body))
      mask |= ah__journey_bit(codes[i]);
  return mask;
}

struct ah__journey *ah__journey_new(const char *origin)
{
  struct ah__journey *j = ah__calloc(1, sizeof *j);
  size_t n = strlen(origin) + 1;

  if (j == NULL || (j->origin = ah__malloc(n)) == NULL) {
    ah__free(j);
    return NULL;
  }
  memcpy(j->origin, origin, n);
  return j;
}

void ah__journey_free(struct ah__journey *j)
{
  if (j == NULL)
    return;
  curl_url_cleanup(j->url);
  ah__free(j->origin);
  ah__free(j->hops);
  ah__free(j);
}

int ah__journey_record(struct ah__journey *j, int status, const char *url)
{
  uint16_t st = (uint16_t)status;
  size_t n = strlen(url), need = j->hops_len + sizeof st + n + 1;

  if (need > j->hops_cap) {
    size_t cap = j->hops_cap ? j->hops_cap * 2 : 128;
    char *h;
    while (cap < need)
      cap *= 2;
    if ((h = ah__realloc(j->hops, cap)) == NULL)
      return -1;
    j->hops = h;
    j->hops_cap = cap;
  }
  memcpy(j->hops + j->hops_len, &st, sizeof st);
  memcpy(j->hops + j->hops_len + sizeof st, url, n + 1);
  j->hops_len = need;
  j->nhops++;
  return 0;
}
