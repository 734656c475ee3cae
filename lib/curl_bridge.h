/* curl_bridge.h - drives one libcurl multi handle from the reactor.
 *
 * Knows nothing of futures or of who waits: it reports each finished
 * transfer through ops->done, always outside libcurl's callbacks, after
 * curl_multi_info_read. */
#ifndef AH_CURL_BRIDGE_H
#define AH_CURL_BRIDGE_H

#include <curl/curl.h>

struct ah__reactor;

struct ah__bridge_ops {
  /* A transfer finished with rc. The easy handle is still in the multi:
   * the callee removes it (ah__bridge_remove) and may then do anything,
   * including adding and removing other handles. */
  void (*done)(void *arg, CURL *easy, CURLcode rc);
  /* The reactor refused to watch a socket of this transfer (errno err,
   * say ENOMEM): the callee must fail it after the current call returns,
   * since libcurl cannot be driven from inside its socket callback. */
  void (*watch_failed)(void *arg, CURL *easy, int err);
  /* An allocation failed inside libcurl while it acted on the session's
   * events: libcurl does not always fail the transfer it was serving (in
   * 7.88 a transfer can be left waiting forever), so the callee ends the
   * transfers still running. Called after the finished ones were done. */
  void (*oom)(void *arg);
  /* libcurl opens a new connection for a request it already sent on
   * another (after a digest or NTLM challenge with the connection
   * closed, a reused connection found dead): the callee restarts the
   * request's connect timeout. NULL: nothing to do. */
  void (*reconnect)(void *arg, void *request);
};

#define AH__BRIDGE_OWN_FDS 2
/* Idle connections kept without a total limit. */
#define AH__BRIDGE_POOL_UNLIMITED 1024

struct ah__bridge {
  CURLM *multi;
  struct ah__reactor *reactor;
  const struct ah__bridge_ops *ops;
  void *arg;
  int handler;   /* reactor handler id for libcurl's sockets */
  int timer;     /* 0: libcurl's timer is the reactor's main deadline;
                    else a timer id of ah__reactor_timer (a second
                    bridge on one reactor, ws.c's) */
  int in_curl;   /* inside a libcurl call: its callbacks must not re-enter */
  /* Inside a reactor turn (set by its runner): the transfers that end
   * are reported by ah__bridge_drain after every ready socket was
   * served, not one by one; the pending reports wait in these. */
  int turn;
  int done_pending;  /* libcurl may hold messages of ended transfers */
  int oom_pending;   /* an allocation failed inside libcurl meanwhile */
  int own[AH__BRIDGE_OWN_FDS]; /* the multi's own descriptors (wake-up), */
  int nown;                    /* parked between transfers like sockets */
};

/* Create the multi handle and hook it to the reactor. 0 or -1. */
int ah__bridge_init(struct ah__bridge *b, struct ah__reactor *r,
                    const struct ah__bridge_ops *ops, void *arg);
/* The total connection limit, as CURLMOPT_MAX_TOTAL_CONNECTIONS (0:
 * none); the per-host one is the queue's (gate.h). */
void ah__bridge_set_limits(struct ah__bridge *b, long total);
/* Report the transfers that ended during the turn (ops->done for each,
 * then ops->oom if an allocation failed inside libcurl). */
void ah__bridge_drain(struct ah__bridge *b);
/* Remove nothing, close the multi handle (every easy must be removed). */
void ah__bridge_close(struct ah__bridge *b);

/* Start a configured transfer. A CURLMcode. */
CURLMcode ah__bridge_add(struct ah__bridge *b, CURL *easy);
/* Stop a transfer in any state; its connection and socket go at once
 * unless the transfer had finished cleanly. */
void ah__bridge_remove(struct ah__bridge *b, CURL *easy);
/* Shut down the connection easy's finished transfer left in libcurl's
 * pool, if it is still there: libcurl then finds it dead and closes it
 * itself rather than hand it to the next request. For a connection the
 * transfer's end left unusable (ah__request_breaks_connection). */
void ah__bridge_shut_connection(CURL *easy);
/* Sockets: libcurl closes the sockets of an easy handle given to
 * ah__bridge_prepare through the bridge, and the opener of each such
 * socket (CURLOPT_OPENSOCKETFUNCTION) announces it with ah__bridge_adopt.
 * An adopted socket is parked between transfers rather than unwatched:
 * reusing a keep-alive connection then costs no epoll_ctl. The hook
 * stays with the connection, so the bridge must outlive the multi's
 * connections, as it does (ah__bridge_close cleans the multi up).
 * tcp: the socket is a TCP stream, whose reads the reactor acknowledges
 * at once while the transfer waits for more (ah__reactor_ack_reads). */
CURLcode ah__bridge_prepare(struct ah__bridge *b, CURL *easy);
void ah__bridge_adopt(struct ah__bridge *b, int fd, int tcp);

/* The timer fired: let libcurl run its timeouts. Called by the reactor. */
void ah__bridge_on_timer(void *bridge);

#endif
