/* curl_bridge.c - libcurl multi_socket on the reactor.
 *
 * Socket state lives in libcurl's own socket hash (curl_multi_assign):
 * socketp holds the event mask we last asked for, plus one, so that a
 * socket never announced reads as 0. libcurl drops that entry when it
 * closes the socket, so a new socket that reuses the fd number starts
 * clean, and the reactor's ADD/MOD fallback absorbs any leftover. Nothing
 * is allocated per socket. Sockets whose close the bridge sees (adopted)
 * are parked between transfers instead (see curl_bridge.h). */
#include "curl_bridge.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "curl_caps.h"
#include "reactor.h"

#define PROBE_SLOTS 8

/* curl_multi_init opens descriptors of its own that live as long as the
 * multi: a wake-up socketpair (7.88), pipe (8.5) or eventfd (8.21). 7.88
 * and 8.5 open them without close-on-exec, so they would leak into every
 * program the caller executes; 8.21 watches its eventfd through the
 * socket callback whenever a transfer is alive, so a program making one
 * request after another would unwatch and watch it again for each.
 * Descriptors are allocated lowest-first: note which of the next few
 * slots are free before the call, and afterwards take the descriptors of
 * those kinds that appeared there as the multi's: each gets close-on-exec
 * and is tracked by the reactor, so that it is parked like a keep-alive
 * socket (the bridge forgets it before curl_multi_cleanup closes it).
 * Another thread opening a descriptor of the same kind in the same
 * instant could be taken too; close-on-exec is what it should have
 * anyway, and one never handed to the socket callback is never watched. */
static int free_slots(int any_fd, int *base, char *was_free)
{
  int i, probe = fcntl(any_fd, F_DUPFD_CLOEXEC, 0);

  if (probe < 0)
    return -1;
  close(probe);
  *base = probe;
  for (i = 0; i < PROBE_SLOTS; i++)
    was_free[i] = fcntl(probe + i, F_GETFD) < 0;
  return 0;
}

/* 1 when fd is of a kind libcurl makes its wake-up of. */
static int wakeup_kind(int fd)
{
  struct stat st;
  char link[32], target[32];
  ssize_t n;
  int domain;
  socklen_t len = sizeof domain;

  if (fstat(fd, &st) < 0)
    return 0;
  if (S_ISFIFO(st.st_mode))
    return 1;
  if (S_ISSOCK(st.st_mode))
    return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 &&
           domain == AF_UNIX;
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  n = readlink(link, target, sizeof target - 1);
  return n == 20 && memcmp(target, "anon_inode:[eventfd]", 20) == 0;
}

static void take_multi_fds(struct ah__bridge *b, int base, const char *was_free)
{
  int i, flags;

  for (i = 0; i < PROBE_SLOTS; i++) {
    if (!was_free[i] || (flags = fcntl(base + i, F_GETFD)) < 0 ||
        !wakeup_kind(base + i))
      continue;
    if (!(flags & FD_CLOEXEC))
      fcntl(base + i, F_SETFD, flags | FD_CLOEXEC);
    if (b->nown < AH__BRIDGE_OWN_FDS && ah__reactor_track(b->reactor, base + i) == 0)
      b->own[b->nown++] = base + i;
  }
}

void ah__bridge_shut_connection(CURL *easy)
{
  curl_socket_t fd = CURL_SOCKET_BAD;

  /* The socket of the connection the transfer last used, while libcurl
   * keeps it in its pool (found by the connection's id, never by a
   * number a closed socket left); none once libcurl closed it. */
  if (curl_easy_getinfo(easy, CURLINFO_ACTIVESOCKET, &fd) == CURLE_OK &&
      fd != CURL_SOCKET_BAD)
    shutdown(fd, SHUT_RDWR);
}

static void drain_done(struct ah__bridge *b)
{
  CURLMsg *msg;
  int left;

  while ((msg = curl_multi_info_read(b->multi, &left)) != NULL) {
    if (msg->msg == CURLMSG_DONE) {
      /* Copy out: the message dies with the handle's removal. */
      CURL *easy = msg->easy_handle;
      CURLcode rc = msg->data.result;
      b->ops->done(b->arg, easy, rc);
    }
  }
}

void ah__bridge_drain(struct ah__bridge *b)
{
  if (b->done_pending) {
    b->done_pending = 0;
    drain_done(b);
  }
  if (b->oom_pending) {
    b->oom_pending = 0;
    if (b->ops->oom != NULL)
      b->ops->oom(b->arg);
  }
}

/* Serve one socket (or libcurl's timer). Inside a reactor turn the ends
 * of transfers are reported once, after the turn's every ready socket:
 * libcurl's code for reading responses runs for all of them back to
 * back, then ahttp's for ending requests, then (queue.c) the starts of
 * the requests their callbacks made. Each phase finds its code still in
 * the instruction cache and its branches trained by the one before;
 * interleaved, the three evicted one another once per request. */
static void action(struct ah__bridge *b, curl_socket_t fd, int flags)
{
  unsigned long oom_mark = ah__alloc_failures();
  int running;

  b->in_curl++;
  curl_multi_socket_action(b->multi, fd, flags, &running);
  b->in_curl--;
  b->done_pending = 1;
  if (ah__alloc_failures() != oom_mark)
    b->oom_pending = 1;
  if (!b->turn)
    ah__bridge_drain(b);
}

static void on_io(void *arg, int fd, unsigned flags)
{
  int cs = (flags & AH__IO_IN ? CURL_CSELECT_IN : 0) |
           (flags & AH__IO_OUT ? CURL_CSELECT_OUT : 0) |
           (flags & AH__IO_ERR ? CURL_CSELECT_ERR : 0);

  action(arg, fd, cs);
}

void ah__bridge_on_timer(void *arg)
{
  action(arg, CURL_SOCKET_TIMEOUT, 0);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
                     void *socketp)
{
  struct ah__bridge *b = userp;
  uintptr_t had = (uintptr_t)socketp; /* 0: not watched by us */
  unsigned flags;
  int err;

  if (what == CURL_POLL_REMOVE) {
    /* Between two requests on a keep-alive connection; an adopted socket
     * stays registered, the others go now. */
    ah__reactor_park(b->reactor, fd);
    return 0;
  }
  flags = (what == CURL_POLL_IN || what == CURL_POLL_INOUT ? AH__IO_IN : 0) |
          (what == CURL_POLL_OUT || what == CURL_POLL_INOUT ? AH__IO_OUT : 0);
  if (had == flags + 1u)
    return 0;
  err = ah__reactor_watch(b->reactor, fd, flags, b->handler, had == 0);
  if (err < 0) {
    b->ops->watch_failed(b->arg, easy, -err);
    return 0; /* -1 would abort every transfer of the multi */
  }
  curl_multi_assign(b->multi, fd, (void *)(uintptr_t)(flags + 1u));
  return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
  struct ah__bridge *b = userp;
  int64_t deadline;

  (void)multi;
  if (timeout_ms < 0)
    deadline = AH__NO_DEADLINE;
  else
    deadline = ah__now_ns() + (int64_t)timeout_ms * 1000000;
  /* 0 means "on the next turn of the loop": the deadline is now, so the
   * next epoll_wait does not block and the timer runs right after it. */
  if (b->timer > 0)
    ah__reactor_set_timer(b->reactor, b->timer, deadline);
  else
    ah__reactor_set_deadline(b->reactor, deadline);
  return 0;
}

static int close_socket(void *arg, curl_socket_t fd)
{
  struct ah__bridge *b = arg;

  ah__reactor_forget(b->reactor, fd);
  return close(fd);
}

CURLcode ah__bridge_prepare(struct ah__bridge *b, CURL *easy)
{
  CURLcode rc = curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, close_socket);

  if (rc == CURLE_OK)
    rc = curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, b);
  return rc;
}

void ah__bridge_adopt(struct ah__bridge *b, int fd, int tcp)
{
  /* Without memory for the table the socket is simply not parked. */
  if (ah__reactor_track(b->reactor, fd) == 0 && tcp)
    ah__reactor_ack_reads(b->reactor, fd);
}

int ah__bridge_init(struct ah__bridge *b, struct ah__reactor *r,
                    const struct ah__bridge_ops *ops, void *arg)
{
  b->reactor = r;
  b->ops = ops;
  b->arg = arg;
  b->in_curl = 0;
  b->turn = b->done_pending = b->oom_pending = 0;
  b->nown = 0;
  b->timer = 0;
  b->handler = ah__reactor_handler(r, on_io, b);
  if (b->handler < 0)
    return -1;
  {
    char was_free[PROBE_SLOTS];
    int base, probed = free_slots(r->epfd, &base, was_free) == 0;
    b->multi = curl_multi_init();
    if (b->multi == NULL)
      return -1;
    if (probed)
      take_multi_fds(b, base, was_free);
  }
  /* A session freed while a name resolves returns at once; the resolver
   * threads end on their own (CURLMOPT_QUICK_EXIT, 21, in 8.20 on). */
  if (ah__curl_caps()->multi_quick_exit)
    curl_multi_setopt(b->multi, (CURLMoption)21, 1L);
  curl_multi_setopt(b->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(b->multi, CURLMOPT_SOCKETDATA, b);
  curl_multi_setopt(b->multi, CURLMOPT_TIMERFUNCTION, on_timer);
  curl_multi_setopt(b->multi, CURLMOPT_TIMERDATA, b);
  return 0;
}

void ah__bridge_set_limits(struct ah__bridge *b, long total)
{
  curl_multi_setopt(b->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, total);
  /* The pool keeps every connection the limit allows. libcurl's own
   * size is four per transfer in the multi at the time, which falls when
   * a turn's ended transfers are removed before their successors are
   * added (the phases above): 8.21 then closed idle connections and
   * opened new ones, 14,000 for a limit of 20 over 100,000 requests. */
  curl_multi_setopt(b->multi, CURLMOPT_MAXCONNECTS,
                    total > 0 ? total : (long)AH__BRIDGE_POOL_UNLIMITED);
}

void ah__bridge_close(struct ah__bridge *b)
{
  if (b->multi != NULL) {
    while (b->nown > 0) /* closed by curl_multi_cleanup, not through us */
      ah__reactor_forget(b->reactor, b->own[--b->nown]);
    b->in_curl++;
    curl_multi_cleanup(b->multi);
    b->in_curl--;
    b->multi = NULL;
  }
}

CURLMcode ah__bridge_add(struct ah__bridge *b, CURL *easy)
{
  CURLMcode mc;

  b->in_curl++;
  mc = curl_multi_add_handle(b->multi, easy);
  b->in_curl--;
  return mc;
}

void ah__bridge_remove(struct ah__bridge *b, CURL *easy)
{
  b->in_curl++;
  curl_multi_remove_handle(b->multi, easy);
  b->in_curl--;
}
