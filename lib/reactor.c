/* reactor.c - the epoll loop: descriptors, one timer, a wake-up. */
#include "reactor.h"

#include "alloc.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* The epoll event's data packs the fd (low 32 bits) and a tag (high). */
#define TAG_TIMER 0xfffffffeu
#define TAG_WAKE 0xfffffffdu
#define TAG_DEAD 0xfffffffcu /* an event dropped by ah__reactor_unwatch */

/* What is known of a tracked fd (r->fdst). */
#define FD_FLAGS 0x03    /* AH__IO_IN | AH__IO_OUT registered */
#define FD_ID_SHIFT 2    /* handler id, 2 bits (AH__REACTOR_HANDLERS 4) */
#define FD_IN_KERNEL 0x10
#define FD_PARKED 0x20
#define FD_TRACKED 0x40
#define FD_ACK_READS 0x80 /* a TCP stream whose reads are acked at once */

static uint64_t pack(uint32_t tag, int fd)
{
  return ((uint64_t)tag << 32) | (uint32_t)fd;
}

static int tracked(const struct ah__reactor *r, int fd)
{
  return fd >= 0 && fd < r->fdcap && (r->fdst[fd] & FD_TRACKED);
}

static int ctl(struct ah__reactor *r, int op, int fd, uint32_t events,
               uint64_t data)
{
  struct epoll_event ev;

  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.u64 = data;
  r->nctl++;
  return epoll_ctl(r->epfd, op, fd, &ev);
}

/* Events of the batch being dispatched that name fd are not delivered. */
static void drop_batch_events(struct ah__reactor *r, int fd)
{
  int i;

  for (i = r->batch_i; i < r->batch_n; i++) {
    uint64_t d = r->batch[i].data.u64;
    if ((d >> 32) < AH__REACTOR_HANDLERS && (int)(uint32_t)d == fd)
      r->batch[i].data.u64 = pack(TAG_DEAD, fd);
  }
}

int64_t ah__now_ns(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int add_internal(struct ah__reactor *r, int fd, uint32_t tag)
{
  return ctl(r, EPOLL_CTL_ADD, fd, EPOLLIN, pack(tag, fd));
}

int ah__reactor_init(struct ah__reactor *r, ah__timer_cb cb, void *arg)
{
  int err;

  memset(r, 0, sizeof *r);
  r->timerfd = r->wakefd = -1;
  r->deadline = r->armed = AH__NO_DEADLINE;
  r->timers[0].at = AH__NO_DEADLINE;
  r->timers[0].cb = cb;
  r->timers[0].arg = arg;
  r->ntimers = 1;
  r->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (r->epfd < 0)
    return -errno;
  r->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (r->timerfd < 0)
    goto fail;
  r->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (r->wakefd < 0)
    goto fail;
  if (add_internal(r, r->timerfd, TAG_TIMER) < 0 ||
      add_internal(r, r->wakefd, TAG_WAKE) < 0)
    goto fail;
  return 0;
fail:
  err = errno;
  ah__reactor_close(r);
  return -err;
}

void ah__reactor_close(struct ah__reactor *r)
{
  if (r->wakefd >= 0)
    close(r->wakefd);
  if (r->timerfd >= 0)
    close(r->timerfd);
  if (r->epfd >= 0)
    close(r->epfd);
  r->epfd = r->timerfd = r->wakefd = -1;
  ah__free(r->fdst);
  r->fdst = NULL;
  r->fdcap = 0;
}

int ah__reactor_handler(struct ah__reactor *r, ah__io_cb cb, void *arg)
{
  if (r->nhandlers == AH__REACTOR_HANDLERS)
    return -1;
  r->handlers[r->nhandlers].cb = cb;
  r->handlers[r->nhandlers].arg = arg;
  return r->nhandlers++;
}

int ah__reactor_watch(struct ah__reactor *r, int fd, unsigned flags, int id,
                      int add)
{
  uint32_t events = (flags & AH__IO_IN ? EPOLLIN : 0) |
                    (flags & AH__IO_OUT ? EPOLLOUT : 0);
  uint8_t want = (uint8_t)(FD_TRACKED | FD_IN_KERNEL | (flags & FD_FLAGS) |
                           ((unsigned)id << FD_ID_SHIFT));
  int op;

  if (tracked(r, fd)) {
    uint8_t st = r->fdst[fd];
    want |= st & FD_ACK_READS;
    if ((st & FD_IN_KERNEL) && (uint8_t)(st & ~FD_PARKED) == want) {
      r->fdst[fd] = want; /* taken up again as it was: no syscall */
      return 0;
    }
    add = !(st & FD_IN_KERNEL);
  }
  op = add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
  if (ctl(r, op, fd, events, pack((uint32_t)id, fd)) != 0) {
    if (errno != (add ? EEXIST : ENOENT))
      return -errno;
    op = add ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (ctl(r, op, fd, events, pack((uint32_t)id, fd)) != 0)
      return -errno;
  }
  if (tracked(r, fd))
    r->fdst[fd] = want;
  return 0;
}

void ah__reactor_unwatch(struct ah__reactor *r, int fd)
{
  /* EBADF (already closed) and ENOENT (never added) are both fine. */
  if (!tracked(r, fd))
    (void)ctl(r, EPOLL_CTL_DEL, fd, 0, 0);
  else if (r->fdst[fd] & FD_IN_KERNEL) {
    (void)ctl(r, EPOLL_CTL_DEL, fd, 0, 0);
    r->fdst[fd] &= FD_TRACKED | FD_ACK_READS;
  }
  drop_batch_events(r, fd);
}

int ah__reactor_track(struct ah__reactor *r, int fd)
{
  if (fd < 0 || fd >= (1 << 24)) /* beyond any RLIMIT_NOFILE in use */
    return -1;
  if (fd >= r->fdcap) {
    int cap = r->fdcap ? r->fdcap : 64;
    uint8_t *st;
    while (cap <= fd)
      cap *= 2;
    if ((st = ah__realloc(r->fdst, (size_t)cap)) == NULL)
      return -1;
    memset(st + r->fdcap, 0, (size_t)(cap - r->fdcap));
    r->fdst = st;
    r->fdcap = cap;
  }
  r->fdst[fd] = FD_TRACKED;
  drop_batch_events(r, fd); /* a new descriptor: old events are not its */
  return 0;
}

void ah__reactor_ack_reads(struct ah__reactor *r, int fd)
{
  if (tracked(r, fd))
    r->fdst[fd] |= FD_ACK_READS;
}

void ah__reactor_park(struct ah__reactor *r, int fd)
{
  uint8_t st;

  if (!tracked(r, fd)) {
    ah__reactor_unwatch(r, fd);
    return;
  }
  st = r->fdst[fd];
  if (!(st & FD_IN_KERNEL))
    return;
  if (st & AH__IO_OUT) /* a writable socket would be ready at once */
    ah__reactor_unwatch(r, fd);
  else
    r->fdst[fd] = (uint8_t)(st | FD_PARKED);
}

void ah__reactor_forget(struct ah__reactor *r, int fd)
{
  ah__reactor_unwatch(r, fd);
  if (fd >= 0 && fd < r->fdcap)
    r->fdst[fd] = 0;
}

/* Mirror the deadline into the timerfd when it is earlier than what the
 * timerfd holds, once the epoll fd is exposed. A later deadline leaves
 * the timerfd early: it then fires for nothing, which is harmless, and
 * costs no syscall now. */
static void sync_timerfd(struct ah__reactor *r)
{
  struct itimerspec its;

  if (!r->exposed || r->deadline >= r->armed)
    return;
  memset(&its, 0, sizeof its);
  its.it_value.tv_sec = r->deadline / 1000000000;
  its.it_value.tv_nsec = r->deadline % 1000000000;
  if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
    its.it_value.tv_nsec = 1; /* zero would disarm */
  if (timerfd_settime(r->timerfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
    r->armed = r->deadline;
}

void ah__reactor_expose(struct ah__reactor *r)
{
  if (r->exposed)
    return;
  r->exposed = 1;
  if (!r->running)
    sync_timerfd(r); /* inside a run, its end does it */
}

int ah__reactor_timer(struct ah__reactor *r, ah__timer_cb cb, void *arg)
{
  if (r->ntimers == AH__REACTOR_TIMERS)
    return -1;
  r->timers[r->ntimers].at = AH__NO_DEADLINE;
  r->timers[r->ntimers].cb = cb;
  r->timers[r->ntimers].arg = arg;
  return r->ntimers++;
}

static void find_earliest(struct ah__reactor *r)
{
  int i;

  r->deadline = AH__NO_DEADLINE;
  for (i = 0; i < r->ntimers; i++)
    if (r->timers[i].at < r->deadline)
      r->deadline = r->timers[i].at;
}

void ah__reactor_set_timer(struct ah__reactor *r, int id, int64_t deadline)
{
  r->timers[id].at = deadline;
  find_earliest(r);
  /* Inside a run, the deadline bounds epoll_wait; the timerfd is brought
   * up to date when the run returns, for a host loop polling the fd. */
  if (!r->running)
    sync_timerfd(r);
}

void ah__reactor_set_deadline(struct ah__reactor *r, int64_t deadline)
{
  ah__reactor_set_timer(r, 0, deadline);
}

static int wait_ms(const struct ah__reactor *r, long timeout_ms)
{
  int64_t left;
  long ms;

  if (r->deadline == AH__NO_DEADLINE)
    return timeout_ms < 0 ? -1 : (int)(timeout_ms > INT32_MAX ? INT32_MAX : timeout_ms);
  left = r->deadline - ah__now_ns();
  /* Round up: waking before the deadline would only spin. */
  ms = left <= 0 ? 0 : (long)((left + 999999) / 1000000);
  if (timeout_ms >= 0 && timeout_ms < ms)
    ms = timeout_ms;
  return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* The handler read from a TCP stream and waits for more of it. The
 * kernel may hold back the acknowledgement of what was read for up to
 * 40 ms, hoping to send it with the next request, and a peer whose send
 * buffer is full (the rest of a response) waits for that acknowledgement:
 * on loopback, where one segment holds 64 KiB, a response cut in two by
 * the peer's buffer stood still 40 ms. TCP_QUICKACK sends it now; it
 * lasts one acknowledgement, so it is asked for after each such read. */
static void ack_now(struct ah__reactor *r, int fd)
{
  int one = 1;

  r->nack++;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

int ah__reactor_run(struct ah__reactor *r, long timeout_ms)
{
  int n, woke = 0;
  uint64_t junk;

  r->running = 1;
  n = epoll_wait(r->epfd, r->events, AH__REACTOR_BATCH, wait_ms(r, timeout_ms));
  if (n < 0) {
    int err = errno;
    r->running = 0;
    sync_timerfd(r);
    return err == EINTR ? 0 : -err;
  }
  r->batch = r->events;
  r->batch_n = n;
  for (r->batch_i = 0; r->batch_i < r->batch_n;) {
    struct epoll_event *ev = &r->events[r->batch_i++];
    uint32_t tag = (uint32_t)(ev->data.u64 >> 32);
    int fd = (int)(uint32_t)ev->data.u64;
    unsigned flags;

    if (tag < AH__REACTOR_HANDLERS) {
      if (fd < r->fdcap && (r->fdst[fd] & FD_PARKED)) {
        /* Ready while parked (say the server closed an idle keep-alive
         * connection): level-triggered, it would wake every wait. */
        ah__reactor_unwatch(r, fd);
        continue;
      }
      flags = (ev->events & EPOLLIN ? AH__IO_IN : 0) |
              (ev->events & EPOLLOUT ? AH__IO_OUT : 0) |
              (ev->events & (EPOLLERR | EPOLLHUP) ? AH__IO_ERR : 0);
      r->handlers[tag].cb(r->handlers[tag].arg, fd, flags);
      if ((flags & AH__IO_IN) && fd < r->fdcap &&
          (r->fdst[fd] & (FD_ACK_READS | FD_IN_KERNEL | FD_PARKED | AH__IO_IN)) ==
              (FD_ACK_READS | FD_IN_KERNEL | AH__IO_IN))
        ack_now(r, fd);
    } else if (tag == TAG_TIMER) {
      if (read(r->timerfd, &junk, sizeof junk) < 0) {
        /* EAGAIN: already read; nothing to do */
      }
      r->armed = AH__NO_DEADLINE;
    } else if (tag == TAG_WAKE) {
      if (read(r->wakefd, &junk, sizeof junk) > 0)
        woke = 1;
    }
  }
  r->batch_n = r->batch_i = 0;
  if (r->deadline != AH__NO_DEADLINE) {
    int64_t now = ah__now_ns();
    int i;
    for (i = 0; i < r->ntimers; i++) {
      if (r->timers[i].at > now)
        continue;
      r->timers[i].at = AH__NO_DEADLINE; /* the callback may set it again */
      find_earliest(r);
      r->timers[i].cb(r->timers[i].arg);
    }
  }
  r->running = 0;
  sync_timerfd(r);
  return woke;
}

int ah__reactor_wakeup(struct ah__reactor *r)
{
  uint64_t one = 1;

  if (write(r->wakefd, &one, sizeof one) < 0 && errno != EAGAIN)
    return -errno;
  return 0;
}
