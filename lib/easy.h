/* easy.h - the pooled easy handle a request borrows. */
#ifndef AH_EASY_H
#define AH_EASY_H

#include <curl/curl.h>
#include <stdint.h>

#include "refusal.h"
#include "session_opts.h"
#include "url.h"

struct ah__request;

/* A curl_off_t of libcurl's about e's transfer (a time in microseconds,
 * a count), 0 when libcurl has none. Inline: the transfer callbacks and
 * the verdict both read them, and neither calls the other. */
static inline curl_off_t ah__info_off(CURL *e, CURLINFO what)
{
  curl_off_t v = 0;

  curl_easy_getinfo(e, what, &v);
  return v;
}

/* What a request changed on its slot, undone by ah__slot_recycle. */
enum {
  DIRTY_METHOD = 1, DIRTY_HEADERS = 2, DIRTY_TIMEOUT = 4, DIRTY_PIPEWAIT = 8,
  DIRTY_CONNECT = 16, DIRTY_IDLE = 32, DIRTY_URLU = 64, DIRTY_AUTH = 128,
  DIRTY_PROXY = 256, DIRTY_UNIX = 512, DIRTY_PROGRESS = 1024, DIRTY_FORM = 2048,
  DIRTY_FRESH = 4096, DIRTY_TRACE = 8192, DIRTY_DECODE = 16384,
  DIRTY_COOKIE = 32768, DIRTY_TLS = 65536
};

/* A pooled easy handle, configured once with the session's defaults. A
 * request borrows it; the options a request changed are undone when it is
 * returned, so the common request sets nothing but its URL. libcurl's
 * callbacks get the slot, and the slot names its current request. */
struct ah__slot {
  /* What every request touches, at setup and in libcurl's callbacks
   * (prereq, headers, body, progress): the first two cache lines of a
   * slot aligned on one (ah__slot_new). The rest is touched by requests
   * that use it, or on failure. */
  CURL *easy;
  const struct ah__defaults *d; /* the session's, restored after a request */
  struct ah__rx *rx;            /* the receiver, reset for each request */
  struct ah__request *q;        /* the borrower, NULL while pooled */
  /* The idle timeout of the request under way (0: none), and when a byte
   * last came or went: any byte, header lines and 1xx responses too. */
  int64_t idle_ns, last_byte_ns;
  unsigned dirty;               /* options to undo (DIRTY_*) */
  int addr_ok;                  /* remote_ip, local_ip: told and not cut */
  int remote_port, local_port;
  curl_off_t last_ul;
  long errno_before;            /* CURLINFO_OS_ERRNO when the request was
                                   set up, where it is sticky (curl_caps.h) */
  /* The URL handle the easy handle holds, set again only when it changes
   * (the cache's is updated in place). A request's own dies with it:
   * DIRTY_URLU takes it out at recycle. */
  const CURLU *uh;
  struct ah__url_cache urls;    /* the URL handle of plain requests */
  int multiplex_tls;            /* HTTP/2 over TLS may multiplex: wait */
  int h2c_fresh;                /* cleartext prior knowledge: no reuse */
  /* The addresses of the connection the last request went out on, as
   * libcurl's prereq callback tells them: a line of their own (a longer
   * IPv6 form is asked of libcurl instead, addr_ok). */
  char remote_ip[40], local_ip[40];
  /* HTTP/2 refusals libcurl's trace told of, for a request that watches
   * for them (ah__refusal_note); then the error buffer, whose first byte
   * each request clears: both set up with every request. */
  struct ah__refusal watch;
  char errbuf[CURL_ERROR_SIZE];
  /* The message the error buffer held when libcurl last sent the
   * request (its hash; 0: none). 7.88 and 8.5 write only a transfer's
   * first message (8.21 each try's), so one from a try before (a reused
   * connection reset, the request resent on a new one) still there at
   * the end is not the words of the failure (ah__request_result); one
   * written since (7.88 and 8.5 do after a stream asks for HTTP/1.1) is. */
  uint32_t errbuf_sent;
  struct ah__bridge *bridge;    /* told of each socket the slot opens */
  struct curl_slist *merged;    /* session and request headers, if both */
  struct curl_slist *stripped;  /* merged without the sensitive ones */
  curl_mime *mime;              /* a multipart body being sent */
  /* libcurl's built-in CA file and directory (static strings, or NULL):
   * what a request's own CA gives way to when the session has none. */
  const char *ca_file_builtin, *ca_dir_builtin;
  /* With a lifecycle hook: libcurl's phase times (cumulative over the
   * redirects of a transfer) at the last request sent, and whether the
   * first byte was told, for this attempt. */
  curl_off_t ph_dns, ph_connect, ph_tls;
  long ph_conns;
  int ph_first_byte;
  void *mem;                    /* the allocation the slot is aligned in */
};

/* A hash of libcurl's message, never 0 (errbuf_sent). */
static inline uint32_t ah__errbuf_hash(const char *m)
{
  uint32_t h = 2166136261u;

  while (*m)
    h = (h ^ (unsigned char)*m++) * 16777619u;
  return h | 1;
}

/* The session's TLS settings (CA, client certificate, verification,
 * pins) and connect-to rules on e. A CURLcode. */
CURLcode ah__easy_session_tls(CURL *e, const struct ah__defaults *d);
/* A new easy handle with the session's defaults; NULL without memory. */
struct ah__slot *ah__slot_new(const struct ah__defaults *d);
/* Undo what the last request changed, ready for the next: AH_OK, or
 * AH_ENOMEM when a session setting could not be put back (the slot must
 * then be freed, not lent again). */
int ah__slot_recycle(struct ah__slot *slot);
void ah__slot_free(struct ah__slot *slot);

/* A session's idle easy handles, configured once and lent again: at most
 * AH__POOL_MAX are kept. */
#define AH__POOL_MAX 256
struct ah__slot_pool {
  struct ah__slot **slots;
  size_t n;
  const struct ah__defaults *d;
};
/* 0, or -1 without memory. */
int ah__pool_init(struct ah__slot_pool *p, const struct ah__defaults *d);
/* An idle slot, or a new one; NULL without memory. */
struct ah__slot *ah__pool_get(struct ah__slot_pool *p);
/* Take slot back, recycled; freed when the pool is full or it could not
 * be recycled. */
void ah__pool_put(struct ah__slot_pool *p, struct ah__slot *slot);
/* Free every idle slot and the pool. */
void ah__pool_close(struct ah__slot_pool *p);

/* Lend q->slot to q and set its per-request options (URL, method, body,
 * headers, timeouts, auth...), and ready its receiver. AH_OK, or
 * AH_ENOMEM or AH_EINVAL with *why. */
int ah__request_setup(struct ah__request *q, const char **why);

/* AH_OK when the running libcurl can serve q with the session's
 * defaults d; AH_ENOTSUP with *why when it lacks TLS or HTTP/2 for it. */
int ah__request_supported(const struct ah__request *q, const struct ah__defaults *d,
                          const char **why);

#endif
