/* session.c - a session's lifecycle: new, fetch, run, free, its fd and
 * cookie jar files. Where each request waits and runs is queue.c's. */
#include "session.h"

#include <curl/curl.h>
#include <errno.h>
#include <string.h>

#include "alloc.h"
#include "body.h"
#include "cookies.h"
#include "curl_bridge.h"
#include "curl_caps.h"
#include "future.h"
#include "global.h"
#include "queue.h"
#include "rate.h"
#include "reactor.h"
#include "request.h"
#include "request_body.h"
#include "request_opts.h"
#include "retry.h"
#include "session_opts.h"
#include "url.h"

/* A request's block is at least this large. When it completes, its
 * memory is freed just as the compact response is allocated; a block that
 * large holds a response with a typical header set, so a gather of
 * 100,000 reuses the memory of its requests instead of growing the heap
 * by a hole per request. Measured on W4 (peak RSS of a gather of 100,000
 * nginx responses of 16 B), by the block's size: 208 bytes 80.0 MB, 368
 * 95.6 MB, 384 59.2 MB, 400 60.8 MB, 448 65.3 MB; 400 leaves a margin
 * below the cliff for a few more header bytes. Meanwhile the room after
 * the struct holds the URL's string, when it is the whole URL (a longer
 * one makes the block larger). */
#define REQUEST_BLOCK 400

struct ah_session {
  struct ah__reactor reactor;
  struct ah__bridge bridge;
  struct ah__defaults d;
  struct ah__queue aq;       /* its requests, wherever they are */
  CURLU *base;               /* the base URL, parsed; NULL if none */
  int holds;                 /* calls under way that may run callbacks */
  int free_later;            /* freed inside libcurl: free it after */
  unsigned long mark;
  void *ws;                  /* ws.c's state, NULL until a WebSocket */
  void (*ws_close)(void *ws, int final);
};

/* Lifecycle. */

ah_session *ah_session_new(const ah_session_opts *opts)
{
  ah_session *s;

  if (ah__global_init() < 0)
    return NULL;
  if (!ah__curl_caps()->supported) {
    errno = ENOTSUP; /* ah_libcurl_check says why */
    return NULL;
  }
  s = ah__calloc(1, sizeof *s);
  if (s == NULL)
    return NULL;
  s->reactor.epfd = -1;
  if (opts) {
    s->d = opts->d;
    s->d.share = NULL;
    if (ah__defaults_copy(&s->d, &opts->d) != AH_OK)
      goto fail;
  } else {
    ah__defaults_init(&s->d);
  }
  if (s->d.user_agent == NULL &&
      (s->d.user_agent = ah__strdup("ahttp/" AH_VERSION_STRING)) == NULL)
    goto fail;
  s->d.headers = NULL;
  if (ah__defaults_headers(&s->d) != AH_OK)
    goto fail;
  /* TLS sessions resumed across the session's pooled handles (the DNS
   * cache and connections are shared by the multi handle already). One
   * thread uses a session, so the share needs no locks. */
  if ((s->d.share = curl_share_init()) == NULL ||
      curl_share_setopt(s->d.share, CURLSHOPT_SHARE,
                        CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK)
    goto fail;
  /* The cookie jar: one per session, shared by its requests. */
  if (!s->d.no_cookies &&
      curl_share_setopt(s->d.share, CURLSHOPT_SHARE,
                        CURL_LOCK_DATA_COOKIE) != CURLSHE_OK)
    goto fail;
  if (s->d.base_url != NULL) {
    int https;
    const char *why;
    if (ah__url_parse(s->d.base_url, NULL, &s->base, &https, &why) != AH_OK)
      goto fail;
  }
  if (ah__reactor_init(&s->reactor, ah__bridge_on_timer, &s->bridge) < 0)
    goto fail;
  if (ah__bridge_init(&s->bridge, &s->reactor, &ah__queue_bridge_ops, &s->aq) < 0)
    goto fail;
  s->d.bridge = &s->bridge;
  /* The per-host limit is ahttp's (gate.c), libcurl's is left off:
   * beyond it requests wait in ahttp's queue, not inside libcurl. */
  ah__bridge_set_limits(&s->bridge, opts ? opts->max_total : 100);
  s->aq.g.hosts.limit = opts ? (size_t)opts->max_host : 0;
  if (opts)
    s->aq.rt.p = opts->retry;
  else
    ah__retry_policy_init(&s->aq.rt.p);
  s->d.rt = &s->aq.rt; /* request.c decides on statuses as they arrive */
  if (opts && ah__rates_copy(&s->aq.g.rates, &opts->rates) < 0)
    goto fail;
  if (ah__queue_init(&s->aq, &s->reactor, &s->bridge, &s->d,
                     opts ? (size_t)opts->max_total : 100,
                     opts ? opts->queue_ms : 0) < 0)
    goto fail;
  ah__body_keep_hold();
  return s;
fail:
  ah__bridge_close(&s->bridge);
  if (s->reactor.epfd >= 0)
    ah__reactor_close(&s->reactor);
  ah__queue_close(&s->aq);
  curl_url_cleanup(s->base);
  ah__defaults_free(&s->d);
  if (s->d.share)
    curl_share_cleanup(s->d.share);
  ah__free(s);
  return NULL;
}

static void destroy(ah_session *s)
{
  if (s->ws != NULL)
    s->ws_close(s->ws, 1);
  /* libcurl closes its cached connections here, through the socket
   * callback, so the reactor must still be open. */
  ah__bridge_close(&s->bridge);
  ah__reactor_close(&s->reactor);
  ah__queue_close(&s->aq);
  curl_url_cleanup(s->base);
  ah__defaults_free(&s->d);
  if (s->d.share)
    curl_share_cleanup(s->d.share);
  ah__free(s);
  /* The pages kept for large bodies (body.h) go back with the last
   * session: a program done with its sessions keeps none. */
  ah__body_keep_release();
}

static void session_hold(ah_session *s)
{
  s->holds++;
}

static void session_release(ah_session *s)
{
  if (--s->holds == 0 && s->aq.closing)
    destroy(s);
}

/* For a wait across sessions: their epoll fds, polled together, each
 * poll bounded by the earliest of their timers (their timerfds are not
 * armed unless ah_session_fd handed the fd out). */
static int session_poll_fd(const ah_session *s, int64_t *due)
{
  *due = s->reactor.deadline;
  return s->aq.closing ? -1 : s->reactor.epfd;
}

static int session_mark(ah_session *s, unsigned long mark)
{
  if (s->mark == mark)
    return 0;
  s->mark = mark;
  return 1;
}

void ah_session_free(ah_session *s)
{
  if (s == NULL || s->aq.closing)
    return;
  if (s->bridge.in_curl) {
    s->free_later = 1; /* from a transfer callback: once libcurl returns */
    return;
  }
  s->aq.closing = 1;
  session_hold(s);
  ah__queue_cancel_all(&s->aq);
  if (s->ws != NULL)
    s->ws_close(s->ws, 0);
  session_release(s);
}

static void session_cancel(ah_session *s, struct ah__request *q, int err)
{
  session_hold(s);
  ah__queue_cancel(&s->aq, q, err);
  session_release(s);
}

/* What a session's futures ask of it (future.h). */
static int future_cancel(ah_future *f)
{
  if (f->u.req != NULL) /* NULL: ending already, completes at once */
    session_cancel(f->owner, f->u.req, AH_ECANCELED);
  return AH_OK;
}

static int future_run(void *s, long timeout_ms)
{
  return ah__session_run(s, timeout_ms);
}

static int future_poll_fd(const void *s, int64_t *due)
{
  return session_poll_fd(s, due);
}

static int future_mark(void *s, unsigned long mark)
{
  return session_mark(s, mark);
}

static void future_hold(void *s)
{
  session_hold(s);
}

static void future_release(void *s)
{
  session_release(s);
}

static const struct ah__future_ops future_ops = {
  0, NULL, NULL, NULL, NULL, future_cancel,
  future_run, future_poll_fd, future_mark, future_hold, future_release
};

const struct ah__future_ops *ah__session_future_ops(void)
{
  return &future_ops;
}

void *ah__session_ws(const ah_session *s)
{
  return s->ws;
}

void ah__session_set_ws(ah_session *s, void *ws, void (*close)(void *ws, int final))
{
  s->ws = ws;
  s->ws_close = close;
}

struct ah__reactor *ah__session_reactor(ah_session *s)
{
  return &s->reactor;
}

const struct ah__defaults *ah__session_defaults(const ah_session *s)
{
  return &s->d;
}

int ah__session_closing(const ah_session *s)
{
  return s->aq.closing;
}

/* A future that failed before reaching libcurl. */
static ah_future *failed(ah_future *f, int err, const char *why,
                         const char *url)
{
  ah__future_complete(f, err, NULL, ah__message(err, why, NULL));
  (void)url; /* never echoed: a bad URL may hold credentials or junk */
  return f;
}

ah_future *ah_session_fetch(ah_session *s, const char *url,
                            const ah_request_opts *opts)
{
  struct ah__request *q;
  ah_future *f;
  const char *why = NULL;
  size_t ulen;
  int err;

  f = ah__future_new(&future_ops, s);
  if (f == NULL)
    return NULL;
  if (s == NULL)
    return failed(f, AH_EINVAL, "the session is NULL", url);
  if (s->aq.closing)
    return failed(f, AH_ECANCELED, "the session is being freed", url);
  ulen = url != NULL ? strlen(url) + 1 : 0;
  /* malloc, not calloc: the allocator's per-thread cache serves it (glibc
   * takes calloc the long way), and only the struct needs zeroing. */
  q = ah__malloc(sizeof *q + ulen > REQUEST_BLOCK ? sizeof *q + ulen : REQUEST_BLOCK);
  if (q == NULL)
    return failed(f, AH_ENOMEM, "no memory for the request", url);
  memset(q, 0, sizeof *q);
  q->f = f;
  q->attempt = 1;
  q->spec = ah__reqspec_ref(opts);
  if ((err = ah__reqspec_error(q->spec, &why)) != AH_OK ||
      (err = ah__reqspec_framing(q->spec, &why)) != AH_OK ||
      (err = ah__request_url(q, url, s->base, &why)) != AH_OK) {
    ah__queue_request_free(&s->aq, q);
    return failed(f, err, why, url);
  }
  if (q->literal) /* libcurl is given it as the URL string it reports */
    q->url_str = memcpy(q + 1, url, ulen);
  q->retry_ns = -1;
  if ((err = ah__queue_submit(&s->aq, q, &why)) != AH_OK) {
    /* Freeing it may start others, whose callbacks may free s. */
    session_hold(s);
    ah__queue_request_free(&s->aq, q);
    f = failed(f, err, why, url);
    session_release(s);
    return f;
  }
  f->u.req = q;
  return f;
}

int ah__session_run(ah_session *s, long timeout_ms)
{
  int r;

  if (s->aq.closing)
    return 0;
  session_hold(s);
  ah__queue_before_run(&s->aq);
  r = ah__reactor_run(&s->reactor, timeout_ms);
  ah__queue_after_run(&s->aq);
  if (s->free_later) {
    s->free_later = 0;
    ah_session_free(s); /* destroyed by the release below */
  }
  session_release(s);
  if (r < 0)
    return AH_EIO;
  return r;
}

int ah_session_run(ah_session *s, long timeout_ms)
{
  int r;

  if (s == NULL)
    return AH_EINVAL;
  if (ah__future_in_callback())
    return AH_EBUSY;
  r = ah__session_run(s, timeout_ms);
  return r == 1 ? AH_EINTR : r;
}

/* Handed out: a host loop polls it, and needs the timerfd armed in it
 * (ah__reactor_expose). The session is the caller's, made mutable by
 * ah_session_new: const in the signature says the call changes nothing
 * the caller can see. */
int ah_session_fd(const ah_session *s)
{
  if (s == NULL)
    return AH_EINVAL;
  ah__reactor_expose((struct ah__reactor *)&s->reactor);
  return s->reactor.epfd;
}

int ah_session_wakeup(ah_session *s)
{
  if (s == NULL)
    return AH_EINVAL;
  return ah__reactor_wakeup(&s->reactor) == 0 ? AH_OK : AH_EIO;
}

/* Cookies: a short-lived easy handle on the session's share reaches the
 * jar, since libcurl loads and saves cookie files through a handle. */
static CURL *jar_handle(ah_session *s)
{
  CURL *e;

  if (s == NULL || s->d.no_cookies || (e = curl_easy_init()) == NULL)
    return NULL;
  if (curl_easy_setopt(e, CURLOPT_SHARE, s->d.share) != CURLE_OK) {
    curl_easy_cleanup(e);
    return NULL;
  }
  return e;
}

int ah_session_cookies_load(ah_session *s, const char *path)
{
  CURL *e;
  FILE *fp;
  CURLcode rc;

  if (s == NULL || path == NULL || s->d.no_cookies)
    return AH_EINVAL;
  if ((fp = fopen(path, "r")) == NULL)
    return AH_EIO; /* libcurl would ignore a file it cannot read */
  fclose(fp);
  if ((e = jar_handle(s)) == NULL)
    return AH_ENOMEM;
  rc = curl_easy_setopt(e, CURLOPT_COOKIEFILE, path);
  if (rc == CURLE_OK)
    rc = curl_easy_setopt(e, CURLOPT_COOKIELIST, "RELOAD");
  curl_easy_cleanup(e);
  return rc == CURLE_OK ? AH_OK : AH_ENOMEM;
}

int ah_session_cookies_save(ah_session *s, const char *path)
{
  CURL *e;
  FILE *fp;
  CURLcode rc;

  if (s == NULL || path == NULL || s->d.no_cookies)
    return AH_EINVAL;
  if ((fp = fopen(path, "a")) == NULL)
    return AH_EIO; /* libcurl would not say that it could not write */
  fclose(fp);
  if ((e = jar_handle(s)) == NULL)
    return AH_ENOMEM;
  rc = curl_easy_setopt(e, CURLOPT_COOKIEJAR, path);
  if (rc == CURLE_OK)
    rc = curl_easy_setopt(e, CURLOPT_COOKIELIST, "FLUSH");
  /* Cleanup would write the jar once more: clear the name first. */
  curl_easy_setopt(e, CURLOPT_COOKIEJAR, NULL);
  curl_easy_cleanup(e);
  return rc == CURLE_OK ? AH_OK : AH_ENOMEM;
}

int ah_session_cookies_list(ah_session *s, const char *host,
                            ah_cookies **out)
{
  CURL *e = NULL;
  int rc;

  if (out != NULL)
    *out = NULL;
  if (s == NULL || out == NULL)
    return AH_EINVAL;
  /* Without a jar: an empty list. */
  if (!s->d.no_cookies && (e = jar_handle(s)) == NULL)
    return AH_ENOMEM;
  rc = ah__cookies_snapshot(e, host, out);
  if (e != NULL)
    curl_easy_cleanup(e);
  return rc;
}

int ah_session_cookies_clear(ah_session *s, const char *host)
{
  CURL *e;
  int rc;

  if (s == NULL)
    return AH_EINVAL;
  if (s->d.no_cookies)
    return AH_OK; /* no jar: nothing to clear */
  if ((e = jar_handle(s)) == NULL)
    return AH_ENOMEM;
  rc = ah__cookies_clear(e, host);
  curl_easy_cleanup(e);
  return rc;
}

unsigned ah_version(void)
{
  return AH_VERSION_NUM;
}
