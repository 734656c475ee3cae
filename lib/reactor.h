/* reactor.h - epoll + timerfd + eventfd. Knows nothing of curl or futures.
 *
 * Descriptors are watched under a handler id (a callback and its pointer,
 * registered once), so watching an fd allocates nothing: the epoll event
 * carries the fd and the handler id. There is one timer, kept in memory
 * and mirrored into a timerfd only when a host loop could need it.
 *
 * Descriptors whose owner promises to announce their close (track, then
 * forget before close) can be parked instead of unwatched: a keep-alive
 * connection between two requests stays in the kernel's epoll set, its
 * events no longer dispatched, so that taking it up again costs no
 * syscall. A parked fd that becomes ready is removed then, once. A
 * tracked TCP stream can also have each read acknowledged at once while
 * its handler waits for more (ah__reactor_ack_reads). */
#ifndef AH_REACTOR_H
#define AH_REACTOR_H

#include <stdint.h>
#include <sys/epoll.h>

#define AH__REACTOR_HANDLERS 4
/* Timer slots: the wake-up, the queue, the bridge and the WebSocket set
 * take four; the rest is room (the turn scans only the slots taken). */
#define AH__REACTOR_TIMERS 6
#define AH__REACTOR_BATCH 256
#define AH__NO_DEADLINE INT64_MAX

/* Readiness flags passed to handlers. */
enum { AH__IO_IN = 1, AH__IO_OUT = 2, AH__IO_ERR = 4 };

typedef void (*ah__io_cb)(void *arg, int fd, unsigned flags);
typedef void (*ah__timer_cb)(void *arg);

struct ah__reactor {
  int epfd, timerfd, wakefd;
  struct { ah__io_cb cb; void *arg; } handlers[AH__REACTOR_HANDLERS];
  int nhandlers;
  struct { int64_t at; ah__timer_cb cb; void *arg; } timers[AH__REACTOR_TIMERS];
  int ntimers;
  int64_t deadline;  /* the earliest timer (monotonic ns), or AH__NO_DEADLINE */
  int64_t armed;     /* what the timerfd holds, AH__NO_DEADLINE if disarmed */
  int exposed;       /* the epoll fd was handed out: the timerfd mirrors
                        the deadline (ah__reactor_expose) */
  int running;       /* inside ah__reactor_run: the timerfd can wait */
  unsigned long nctl; /* epoll_ctl calls made, for tests */
  unsigned long nack; /* reads acknowledged at once (ack_reads), for tests */
  uint8_t *fdst;      /* per fd: FD_* bits (reactor.c), for tracked fds */
  int fdcap;          /* entries in fdst */
  struct epoll_event *batch; /* events of the dispatch under way */
  int batch_n, batch_i;
  struct epoll_event events[AH__REACTOR_BATCH];
};

/* Monotonic clock in nanoseconds. */
int64_t ah__now_ns(void);

/* Open the epoll, timer and wake-up descriptors. 0, or -errno. */
int ah__reactor_init(struct ah__reactor *r, ah__timer_cb cb, void *arg);
/* Close every descriptor the reactor opened; watched fds are not closed. */
void ah__reactor_close(struct ah__reactor *r);

/* Register a handler once; returns its id (>= 0) or -1 when full. */
int ah__reactor_handler(struct ah__reactor *r, ah__io_cb cb, void *arg);
/* Watch fd for AH__IO_IN/AH__IO_OUT under handler id. add=1 for a new
 * registration; ADD and MOD fall back on each other (EEXIST/ENOENT), so a
 * stale belief about the fd does no harm. 0, or -errno. */
int ah__reactor_watch(struct ah__reactor *r, int fd, unsigned flags, int id,
                      int add);
/* Stop watching fd: tolerates an fd already closed or never watched, and
 * drops events of the batch being dispatched that still name it. */
void ah__reactor_unwatch(struct ah__reactor *r, int fd);

/* The caller will call ah__reactor_forget(fd) before it closes fd, so
 * that fd may be parked. 0, or -1 without memory (fd is then simply not
 * parked). */
int ah__reactor_track(struct ah__reactor *r, int fd);
/* fd, tracked, is a TCP stream: after a handler served it readable and
 * still watches it for reading (the rest of a response is to come), the
 * kernel is asked to acknowledge what was read at once rather than up to
 * 40 ms later (TCP_QUICKACK), since the peer may be waiting for that
 * acknowledgement to send the rest. Kept until the fd is forgotten. */
void ah__reactor_ack_reads(struct ah__reactor *r, int fd);
/* Stop dispatching fd's events. A tracked fd watched for AH__IO_IN alone
 * stays registered until it is watched again (no syscall when the flags
 * are the same) or becomes ready (then it is removed); any other fd is
 * unwatched at once. */
void ah__reactor_park(struct ah__reactor *r, int fd);
/* fd is about to be closed: unregister it if it is registered, drop its
 * events from the batch under way and forget what was known of it. */
void ah__reactor_forget(struct ah__reactor *r, int fd);

/* Set the timer given to ah__reactor_init to fire at deadline (monotonic
 * ns, AH__NO_DEADLINE to stop). */
void ah__reactor_set_deadline(struct ah__reactor *r, int64_t deadline);
/* Another timer: its id (>= 1), or -1 when full. */
int ah__reactor_timer(struct ah__reactor *r, ah__timer_cb cb, void *arg);
/* Set timer id to fire at deadline (AH__NO_DEADLINE to stop). The
 * earliest bounds each ah__reactor_run; once the epoll fd is exposed, the
 * one timerfd holds it too. */
void ah__reactor_set_timer(struct ah__reactor *r, int id, int64_t deadline);

/* The epoll fd is about to be polled by a host loop (ah_session_fd):
 * from now on it is readable when a timer is due, through the timerfd.
 * Until then the timerfd is never armed: a run's epoll_wait is bounded
 * by the earliest timer (and a wait across sessions bounds its poll by
 * theirs), and arming the timerfd costs a system call, and the timer
 * interrupt it programs, each time the earliest deadline moves. */
void ah__reactor_expose(struct ah__reactor *r);

/* Wait up to timeout_ms (-1: forever, bounded by the timer) and dispatch.
 * Returns 1 when the wake-up fd fired, 0 otherwise, -errno on error. */
int ah__reactor_run(struct ah__reactor *r, long timeout_ms);

/* Make a blocked ah__reactor_run return; safe from any thread. */
int ah__reactor_wakeup(struct ah__reactor *r);

#endif
