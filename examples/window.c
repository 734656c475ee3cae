/* window.c - fetch a long list of URLs, keeping a fixed number in flight:
 * each completion starts the next one from its on_done callback.
 *
 *   window URL...
 *
 * The tutorial's "many requests, bounded" step (docs/tutorial.md). */
#include <ahttp.h>
#include <stdio.h>

#define IN_FLIGHT 8

struct crawl {
  ah_session *s;
  char **urls;
  int next, count, done, failed;
};

static void start_next(struct crawl *c);

static void on_done(ah_future *f, void *userdata)
{
  struct crawl *c = userdata;
  const ah_response *r = ah_future_response(f);

  if (r != NULL) {
    size_t len;
    ah_response_body(r, &len);
    printf("%d %zu %s\n", ah_response_status(r), len, ah_response_url(r));
  } else {
    printf("error %s\n", ah_future_errmsg(f));
    c->failed++;
  }
  c->done++;
  ah_future_free(f);   /* allowed here: the free happens on return */
  start_next(c);       /* fetching from a callback is allowed too */
}

static void start_next(struct crawl *c)
{
  while (c->next < c->count) {
    ah_future *f = ah_session_fetch(c->s, c->urls[c->next++], NULL);
    if (f != NULL) {
      ah_future_on_done(f, on_done, c); /* runs at once if already done */
      return;
    }
    c->done++; /* NULL: no memory even for a failed future */
    c->failed++;
  }
}

int main(int argc, char **argv)
{
  struct crawl c = {0};
  int i;

  c.s = ah_session_new(NULL);
  c.urls = argv + 1;
  c.count = argc - 1;
  if (c.s == NULL)
    return 1;
  for (i = 0; i < IN_FLIGHT; i++)
    start_next(&c);
  while (c.done < c.count)
    ah_session_run(c.s, -1);  /* one round of the reactor */
  printf("%d done, %d failed\n", c.done, c.failed);
  ah_session_free(c.s);
  return c.failed ? 1 : 0;
}
