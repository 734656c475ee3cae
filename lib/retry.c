/* retry.c - retry policy: which outcomes, how long to wait, how many. */
#include "retry.h"

#include <ctype.h>
#include <curl/curl.h>
#include <string.h>

#include "ahttp.h"

void ah__retry_policy_init(struct ah__retry_policy *p)
{
  static const int statuses[] = {429, 502, 503, 504};

  memset(p, 0, sizeof *p);
  p->attempts = 1;
  p->on = AH_RETRY_DEFAULT;
  p->base_ns = 100 * (int64_t)1000000;
  p->max_ns = 10000 * (int64_t)1000000;
  memcpy(p->statuses, statuses, sizeof statuses);
  p->nstatuses = (int)(sizeof statuses / sizeof *statuses);
  p->ratio = 0.2;
  p->min_per_s = 10;
}

int ah__retry_status(const struct ah__retry_policy *p, int status)
{
  int i;

  for (i = 0; i < p->nstatuses; i++)
    if (p->statuses[i] == status)
      return 1;
  return 0;
}

int ah__retry_wanted(const struct ah__retry_policy *p, enum ah__outcome o,
                     int safe)
{
  switch (o) {
  case AH__OUT_CONNECT:
    return (p->on & AH_RETRY_CONNECT) != 0; /* nothing was sent */
  case AH__OUT_RESET:
    return safe && (p->on & AH_RETRY_RESET) != 0;
  case AH__OUT_REFUSED:
    return (p->on & AH_RETRY_RESET) != 0; /* nothing was processed */
  case AH__OUT_TIMEOUT:
    return safe && (p->on & AH_RETRY_TIMEOUT) != 0;
  case AH__OUT_STATUS:
    return safe && (p->on & AH_RETRY_STATUS) != 0;
  default:
    return 0;
  }
}

/* xorshift64*: enough to spread retries apart; not for secrets. */
static uint64_t next_random(uint64_t *s)
{
  uint64_t x = *s ? *s : 0x9e3779b97f4a7c15u;

  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545f4914f6cdd1du;
}

int64_t ah__retry_backoff(const struct ah__retry_policy *p, int n,
                          uint64_t *rng)
{
  int64_t cap = p->base_ns;
  int i;

  for (i = 1; i < n && cap < p->max_ns; i++)
    cap *= 2;
  if (cap > p->max_ns)
    cap = p->max_ns;
  if (cap <= 0)
    return 0;
  return (int64_t)(next_random(rng) % ((uint64_t)cap + 1));
}

/* n seconds as nanoseconds, saturating: a value past what int64_t holds
 * is "longer than any wait", never a negative one. */
static int64_t seconds_ns(int64_t n)
{
  return n > INT64_MAX / 1000000000 ? INT64_MAX : n * 1000000000;
}

int64_t ah__retry_after(const char *value, time_t now)
{
  const char *p = value;
  int64_t secs = 0;
  time_t at;

  if (value == NULL || *value == '\0')
    return AH__RETRY_AFTER_NONE;
  if (isdigit((unsigned char)*p)) {
    for (; isdigit((unsigned char)*p); p++)
      if ((secs = secs * 10 + (*p - '0')) > INT64_MAX / 1000000000)
        secs = INT64_MAX / 1000000000 + 1; /* stays over: saturated below */
    return *p == '\0' ? seconds_ns(secs) : AH__RETRY_AFTER_BAD;
  }
  /* An HTTP date (RFC 9110 section 5.6.7, the two obsolete forms too),
   * read by libcurl's date parser: English names in every locale, where
   * strptime's %a and %b follow LC_TIME. */
  if ((at = curl_getdate(value, NULL)) == -1)
    return AH__RETRY_AFTER_BAD;
  if (at <= now)
    return 0; /* a date past: at once */
  return seconds_ns((int64_t)at - (int64_t)now);
}

/* Move the window to the second of now_ns, clearing the seconds passed. */
static void slide(struct ah__retry_budget *b, int64_t now_ns)
{
  int64_t sec = now_ns / 1000000000;

  if (sec - b->second >= AH__BUDGET_SECONDS) {
    memset(b->first, 0, sizeof b->first);
    memset(b->retries, 0, sizeof b->retries);
  } else {
    while (b->second < sec) {
      int i = (int)(++b->second % AH__BUDGET_SECONDS);
      b->first[i] = b->retries[i] = 0;
    }
  }
  b->second = sec;
}

void ah__budget_first(struct ah__retry_budget *b, int64_t now_ns)
{
  slide(b, now_ns);
  b->first[b->second % AH__BUDGET_SECONDS]++;
}

int ah__budget_take(struct ah__retry_budget *b,
                    const struct ah__retry_policy *p, int64_t now_ns)
{
  uint64_t first = 0, retries = 0;
  int i;

  slide(b, now_ns);
  if (p->ratio >= 0) {
    for (i = 0; i < AH__BUDGET_SECONDS; i++) {
      first += b->first[i];
      retries += b->retries[i];
    }
    if ((double)retries >= p->ratio * (double)first +
                              (double)p->min_per_s * AH__BUDGET_SECONDS)
      return 0;
  }
  b->retries[b->second % AH__BUDGET_SECONDS]++;
  return 1;
}

int64_t ah__retry_decide(struct ah__retrier *rt, int attempt, int max,
                         enum ah__outcome o, int status, int resendable,
                         const char *retry_after, int64_t now_ns, time_t wall)
{
  const struct ah__retry_policy *p = &rt->p;
  int64_t delay, after;

  if (attempt >= max || !ah__retry_wanted(p, o, resendable))
    return -1;
  if (o == AH__OUT_STATUS && !ah__retry_status(p, status))
    return -1;
  delay = ah__retry_backoff(p, attempt, &rt->rng);
  after = ah__retry_after(retry_after, wall);
  /* Longer than the policy waits, or a value that cannot be read (absurd,
   * garbage): the response is the answer, never an early retry. */
  if (after == AH__RETRY_AFTER_BAD || after > p->max_ns)
    return -1;
  if (after > delay)
    delay = after;
  if (!ah__budget_take(&rt->budget, p, now_ns))
    return -1;
  return delay;
}
