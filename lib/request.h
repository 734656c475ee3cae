/* request.h - one request in flight, from fetch to completion: its
 * policy (what may be sent again), its URL, the verdict on its transfer
 * and its redirects. */
#ifndef AH_REQUEST_H
#define AH_REQUEST_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "ahttp.h"
#include "deadline.h"
#include "retry.h"
#include "url.h"

struct ah__host;
struct ah__reqspec;
struct ah__slot;
struct ah__journey;

/* Where a request is, each place a list of the session's queue (or of
 * its host's bucket): it is in at most one, and only queue.c's move()
 * takes it from one to another. */
enum ah__place {
  AH__NOWHERE = 0, /* new, between two places, or ended */
  AH__QUEUED,      /* the queue: waiting for room in libcurl (no slot) */
  AH__READY,       /* admitted during a reactor turn: starts at its end
                      (no slot yet, counts in the window) */
  AH__PARKED,      /* its host's bucket: waiting for a token of its rate */
  AH__HELD,        /* its origin's record: waiting for room under the
                      per-host limit (no slot; a redirect's hop keeps its
                      slot and its place in the window) */
  AH__WAITING,     /* the retry list: waiting for its next attempt */
  AH__ACTIVE       /* in libcurl: its transfer runs on a slot */
};

/* One request in flight, from fetch to completion. */
struct ah__request {
  ah_future *f;
  struct ah__slot *slot;        /* NULL until it has an easy handle */
  CURLU *url;                   /* parsed at fetch, libcurl dups it; NULL
                                   for a plain URL (set into the slot's
                                   handle at start) */
  const char *url_str;          /* the URL as given, when it is the whole
                                   URL (in the request's own block) */
  struct ah__rx *rx;            /* the slot's receiver while it has one */
  struct ah__reqspec *spec;     /* NULL: plain GET */
  struct ah__request *prev, *next; /* the session's queue, active or retry list */
  struct ah__host *host;        /* the origin it counts in (host_held),
                                   waits in (AH__HELD) or comes back to
                                   (host_woken), else NULL */
  /* The timeouts ahttp keeps itself (queue.c): the attempt's total, from
   * its start across its redirects, and the hop's connect, until its
   * connection is ready (prereq). Out of every list when not running. */
  struct ah__dl_node total_dl, connect_dl;
  uint8_t place;                /* enum ah__place: where it is (queue.c) */
  unsigned https : 1;           /* the URL's scheme is https */
  unsigned literal : 1;         /* q->url is its string as given: absolute,
                                   no query parameters added */
  unsigned rate_paid : 1;       /* holds its host's token already */
  unsigned host_held : 1;       /* counts under its origin's limit */
  unsigned host_woken : 1;      /* room came at q->host while it waited
                                   there: on its way back through the queue */
  unsigned host_first : 1;      /* so woken, it found no room: it waits
                                   again at the head (gate.c) */
  /* Of the hop under way (ah__request_rearm and a redirect clear them): */
  unsigned challenged : 1;      /* a digest challenge was answered */
  unsigned sent : 1;            /* the request went out */
  unsigned empty_reply : 1;     /* it ended with no response byte */
  unsigned told : 1;            /* the caller's callbacks saw it */
  unsigned body_dirty : 1;      /* the reader was read since its start */
  unsigned lib_total : 1;       /* libcurl keeps the total timeout, not */
  unsigned lib_connect : 1;     /* ... the connect one: no list had room */
  unsigned fresh : 1;           /* takes a connection of its own (queue.c) */
  unsigned shut_after : 1;      /* on a connection another stream's end
                                   broke: shut once the last such ends */
  unsigned deadline_hit : 1;    /* ahttp ended it at its total or connect
                                 * timeout: libcurl's code for one (28) */
  uint8_t attempt;              /* 1 for the first */
  uint8_t sent_finals;          /* rx->finals when it was last sent */
  struct ah__journey *j;        /* its redirects, NULL until the first */
  uint16_t plain_path;          /* a plain URL's path offset (url is NULL) */
  int abort_err;                /* set by our callbacks to end the transfer */
  int curl_code;                /* the CURLcode behind the last failure, else 0 */
  const char *abort_why;
  int watch_err;                /* the reactor refused a socket: errno */
  int doom_err;                 /* to end with this code once out of libcurl */
  const char *doom_why;         /* and this reason (static text) */
  int socket_err;               /* errno of the last failed socket() */
  unsigned long oom_mark;       /* ah__alloc_failures() at the start */
  int64_t queued_ns;            /* when queued (monotonic), then how long */
  /* The wait before a retry, decided on the headers (-1: none); in the
   * retry list, the time it falls due (monotonic). */
  int64_t retry_ns;
  int64_t starved_ns;           /* first ran out of descriptors, or 0 */
  /* A redirect's hop waiting for room (AH__HELD): since when, and when
   * its total timeout ends if libcurl keeps it (else AH__NO_DEADLINE:
   * ahttp's list keeps it running). */
  int64_t held_ns, hop_due_ns;
  long long body_read;          /* bytes the reader gave since its start */
};

/* The outcome of a finished transfer: an ahttp code, and either the
 * compact response in *resp (on success) or a message for the failure in
 * *msg (NULL without memory). */
int ah__request_result(struct ah__request *q, CURLcode rc, char **msg,
                       ah_response **resp);

/* 1 when q's transfer, ended with rc, left its connection unusable for
 * another request, though libcurl keeps it (see request.c): the caller
 * shuts it down (ah__bridge_shut_connection). */
int ah__request_breaks_connection(const struct ah__request *q, CURLcode rc);
/* q's transfer ended with rc (q in active, a list's head). 1 when its
 * connection is to be shut now: its end breaks it and no other request
 * of active is on it, or q was the last of those marked shut_after. When
 * others are on it, they are marked instead. *marked: the change in the
 * number of requests marked (q's own mark ends here). */
int ah__request_leave_connection(struct ah__request *q, CURLcode rc,
                                 struct ah__request *active, int *marked);
/* 1 when q's connection may carry other requests' streams (HTTP/2). */
int ah__request_may_share(const struct ah__request *q);
/* After q's transfer: when its response set cookies, hold the session's
 * jar to its caps (cookies.c). */
void ah__request_cookies(struct ah__request *q);
/* 1 when q's transfer, ended with rc, is a redirect q follows (ahttp
 * follows them, not libcurl): ah__request_redirect takes the next hop. */
int ah__request_redirected(const struct ah__request *q, CURLcode rc);
/* Take the redirect q's finished transfer answered: its journey gets the
 * next URL, method and what it may carry (SPEC 4b), the hop is noted and
 * told (AH_EVENT_REDIRECT). The slot still holds the finished transfer;
 * the caller then recycles it and sets q up again (ah__request_setup
 * builds each hop from the journey). AH_OK, or the code that ends q
 * (AH_EREDIRECTS past the limit or to another scheme, AH_EPROTO for a
 * Location that is no URL, AH_ENOMEM) with *why. */
int ah__request_redirect(struct ah__request *q, const char **why);

/* 1 when q's body can be sent again: not from a reader, or one with a
 * rewind callback, or one not read yet. */
int ah__request_replayable(const struct ah__request *q);
/* Start a reader's body over if it was read: AH_OK, or the code that
 * ends q (no rewind callback, or it failed) with *why. */
int ah__request_rewind(struct ah__request *q, const char **why);

/* q->url and q->https from url (and base), with q->spec's query
 * parameters appended. AH_OK, AH_EINVAL with *why, or AH_ENOMEM. */
int ah__request_url(struct ah__request *q, const char *url,
                    const CURLU *base, const char **why);
/* The origin of q's current hop, "scheme://host:port" in lower case,
 * into out (cap bytes): its length, or 0 when it cannot be had. */
size_t ah__request_origin(const struct ah__request *q, char *out, size_t cap);
/* Attempts q may make: its own, else the session's. */
int ah__request_attempts(const struct ah__request *q, int session_attempts);
/* 1 when q may be sent again: an idempotent method, or allowed. */
/* 1 when q's hop can reach one address only, so that how libcurl shares
 * a connect timeout between addresses does not matter: a unix socket, or
 * an IP literal reached directly (no proxy, no host override). */
struct ah__defaults;
/* q's total and connect timeouts in ms (its own, else the session's d),
 * 0: none. */
long ah__request_total_ms(const struct ah__request *q, const struct ah__defaults *d);
long ah__request_connect_ms(const struct ah__request *q, const struct ah__defaults *d);
/* How long q may wait for a descriptor (queue.c): its connect timeout, or
 * its total one when shorter; 30 s without either. */
long ah__request_fd_wait_ms(const struct ah__request *q, const struct ah__defaults *d);
int ah__request_one_address(const struct ah__request *q, const struct ah__defaults *d);
int ah__request_resendable(const struct ah__request *q);
/* What the attempt that just failed with err means for a retry (a
 * status is decided on the response's headers: q->retry_ns). */
enum ah__outcome ah__request_outcome(const struct ah__request *q, int err);
/* Forget the ended attempt's state (its slot is the caller's to return):
 * ready for the next attempt. */
void ah__request_rearm(struct ah__request *q);

/* An allocated message "text (url)", url credentials removed. */
char *ah__message(int err, const char *detail, const char *url);
/* msg (freed) + ", after N attempts": the failure of the last attempt;
 * msg itself without memory for more. */
char *ah__message_attempts(char *msg, int n);

#endif
