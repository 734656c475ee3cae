/* test_reactor.c - the epoll reactor alone: no curl, no sessions. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "reactor.h"
#include "testutil.h"

struct seen {
  int calls, fd;
  unsigned flags;
  int timer_calls;
  struct ah__reactor *r;
  int unwatch_fd; /* handler unwatches this fd on its first call */
};

static void on_io(void *arg, int fd, unsigned flags)
{
  struct seen *s = arg;
  s->calls++;
  s->fd = fd;
  s->flags = flags;
  if (s->unwatch_fd >= 0) {
    ah__reactor_unwatch(s->r, s->unwatch_fd);
    s->unwatch_fd = -1;
  }
}

static void on_timer(void *arg)
{
  ((struct seen *)arg)->timer_calls++;
}

static void setup(struct ah__reactor *r, struct seen *s, int *id)
{
  memset(s, 0, sizeof *s);
  s->r = r;
  s->unwatch_fd = -1;
  assert_int_equal(ah__reactor_init(r, on_timer, s), 0);
  *id = ah__reactor_handler(r, on_io, s);
  assert_int_equal(*id, 0);
}

static void test_readable_and_writable(void **state)
{
  struct ah__reactor r;
  struct seen s;
  int id, p[2], sv[2];

  (void)state;
  setup(&r, &s, &id);
  assert_int_equal(pipe(p), 0);
  assert_int_equal(ah__reactor_watch(&r, p[0], AH__IO_IN, id, 1), 0);
  assert_int_equal(ah__reactor_run(&r, 0), 0);
  assert_int_equal(s.calls, 0); /* nothing to read yet */
  assert_int_equal(write(p[1], "x", 1), 1);
  assert_int_equal(ah__reactor_run(&r, 1000), 0);
  assert_int_equal(s.calls, 1);
  assert_int_equal(s.fd, p[0]);
  assert_int_equal(s.flags, AH__IO_IN);
  /* Closing the writer: HUP is passed on as an error flag, not dropped. */
  close(p[1]);
  s.calls = 0;
  assert_int_equal(ah__reactor_run(&r, 1000), 0);
  assert_int_equal(s.calls, 1);
  assert_true(s.flags & AH__IO_ERR);
  ah__reactor_unwatch(&r, p[0]);
  close(p[0]);
  /* Writable. */
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  assert_int_equal(ah__reactor_watch(&r, sv[0], AH__IO_OUT, id, 1), 0);
  s.calls = 0;
  assert_int_equal(ah__reactor_run(&r, 1000), 0);
  assert_int_equal(s.calls, 1);
  assert_int_equal(s.flags, AH__IO_OUT);
  /* MOD to IN only: not readable, so no call. */
  assert_int_equal(ah__reactor_watch(&r, sv[0], AH__IO_IN, id, 0), 0);
  s.calls = 0;
  assert_int_equal(ah__reactor_run(&r, 0), 0);
  assert_int_equal(s.calls, 0);
  ah__reactor_unwatch(&r, sv[0]);
  close(sv[0]);
  close(sv[1]);
  ah__reactor_close(&r);
}

/* libcurl may announce REMOVE for a closed or unknown socket, or ADD an fd
 * number we still have: none of it is an error. */
static void test_stale_registrations_tolerated(void **state)
{
  struct ah__reactor r;
  struct seen s;
  int id, p[2];

  (void)state;
  setup(&r, &s, &id);
  assert_int_equal(pipe(p), 0);
  ah__reactor_unwatch(&r, p[0]);                 /* never watched: ENOENT */
  assert_int_equal(ah__reactor_watch(&r, p[0], AH__IO_IN, id, 0), 0); /* MOD falls back to ADD */
  assert_int_equal(ah__reactor_watch(&r, p[0], AH__IO_IN, id, 1), 0); /* ADD falls back to MOD */
  close(p[0]);
  ah__reactor_unwatch(&r, p[0]);                 /* closed: EBADF */
  assert_true(ah__reactor_watch(&r, p[0], AH__IO_IN, id, 1) < 0); /* a real error is reported */
  close(p[1]);
  ah__reactor_close(&r);
}

/* An fd unwatched by an earlier handler in the same batch gets no event
 * (the events array still names it). */
static struct ah__reactor *inv_r;
static int inv_fds[2], inv_calls;
static void unwatch_both(void *arg, int fd, unsigned flags)
{
  (void)arg; (void)fd; (void)flags;
  inv_calls++;
  ah__reactor_unwatch(inv_r, inv_fds[0]);
  ah__reactor_unwatch(inv_r, inv_fds[1]);
}

static void test_unwatch_drops_pending_events(void **state)
{
  struct ah__reactor r;
  int a[2], b[2], id;

  (void)state;
  assert_int_equal(ah__reactor_init(&r, on_timer, NULL), 0);
  id = ah__reactor_handler(&r, unwatch_both, NULL);
  assert_int_equal(pipe(a), 0);
  assert_int_equal(pipe(b), 0);
  inv_r = &r;
  inv_fds[0] = a[0];
  inv_fds[1] = b[0];
  inv_calls = 0;
  ah__reactor_watch(&r, a[0], AH__IO_IN, id, 1);
  ah__reactor_watch(&r, b[0], AH__IO_IN, id, 1);
  assert_int_equal(write(a[1], "x", 1), 1);
  assert_int_equal(write(b[1], "x", 1), 1);
  {
    struct pollfd pf[2] = {{a[0], POLLIN, 0}, {b[0], POLLIN, 0}};
    assert_int_equal(poll(pf, 2, 1000), 2);
  }
  assert_int_equal(ah__reactor_run(&r, 1000), 0);
  /* Both were ready in one batch; the first handler unwatched both. */
  assert_int_equal(inv_calls, 1);
  close(a[0]); close(a[1]); close(b[0]); close(b[1]);
  ah__reactor_close(&r);
}

/* A tracked fd parked between two uses stays registered: taking it up
 * again with the same flags makes no epoll_ctl, and events that arrive
 * meanwhile are not dispatched. */
static void test_park_and_take_up_again(void **state)
{
  struct ah__reactor r;
  struct seen s;
  int id, sv[2];
  unsigned long ctl0;

  (void)state;
  setup(&r, &s, &id);
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  assert_int_equal(ah__reactor_track(&r, sv[0]), 0);
  assert_int_equal(ah__reactor_watch(&r, sv[0], AH__IO_IN, id, 1), 0);
  ctl0 = r.nctl;
  ah__reactor_park(&r, sv[0]);
  assert_int_equal(ah__reactor_watch(&r, sv[0], AH__IO_IN, id, 1), 0);
  assert_int_equal(r.nctl, ctl0); /* parked and taken up: no syscall */
  assert_int_equal(write(sv[1], "x", 1), 1);
  assert_int_equal(ah__reactor_run(&r, 1000), 0);
  assert_int_equal(s.calls, 1);
  assert_int_equal(s.fd, sv[0]);
  /* Other flags: one MOD. */
  ah__reactor_park(&r, sv[0]);
  assert_int_equal(ah__reactor_watch(&r, sv[0], AH__IO_IN | AH__IO_OUT, id, 1), 0);
  assert_int_equal(r.nctl, ctl0 + 1);
  /* Parking a writable registration removes it at once: it would fire. */
  ah__reactor_park(&r, sv[0]);
  assert_int_equal(r.nctl, ctl0 + 2);
  s.calls = 0;
  assert_int_equal(ah__reactor_run(&r, 0), 0);
  assert_int_equal(s.calls, 0);
  ah__reactor_forget(&r, sv[0]);
  assert_int_equal(r.nctl, ctl0 + 2); /* not registered: nothing to remove */
  close(sv[0]);
  close(sv[1]);
  ah__reactor_close(&r);
}

/* A parked fd that becomes ready is removed on its first event, and the
 * wait does not spin on it (level-triggered epoll would report it on
 * every turn); watching it again registers it anew. */
static void test_parked_fd_ready_is_removed(void **state)
{
  struct ah__reactor r;
  struct seen s;
  int id, sv[2], turns = 0;
  unsigned long ctl0;
  int64_t t0;

  (void)state;
  setup(&r, &s, &id);
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  assert_int_equal(ah__reactor_track(&r, sv[0]), 0);
  assert_int_equal(ah__reactor_watch(&r, sv[0], AH__IO_IN, id, 1), 0);
  ah__reactor_park(&r, sv[0]);
  ctl0 = r.nctl;
  close(sv[1]); /* the peer goes away while parked: readable, HUP */
  t0 = ah__now_ns();
  while (ah__now_ns() - t0 < 100 * 1000000 && turns < 1000) {
    ah__reactor_run(&r, 20);
    turns++;
  }
  assert_int_equal(s.calls, 0);     /* nothing dispatched */
  assert_int_equal(r.nctl, ctl0 + 1); /* one DEL */
  assert_true(turns <= 10);         /* each turn waited its 20 ms */
  assert_int_equal(ah__reactor_watch(&r, sv[0], AH__IO_IN, id, 1), 0);
  assert_int_equal(r.nctl, ctl0 + 2); /* ADD again */
  assert_int_equal(ah__reactor_run(&r, 1000), 0);
  assert_int_equal(s.calls, 1);
  assert_true(s.flags & AH__IO_ERR);
  ah__reactor_forget(&r, sv[0]);
  close(sv[0]);
  ah__reactor_close(&r);
}

/* Only a tracked fd is parked; any other is unwatched at once, since its
 * number could come back for another descriptor without the reactor
 * hearing of it. A forgotten fd's number starts clean. */
static void test_park_untracked_and_forget(void **state)
{
  struct ah__reactor r;
  struct seen s;
  int id, sv[2], p[2];
  unsigned long ctl0;

  (void)state;
  setup(&r, &s, &id);
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  assert_int_equal(ah__reactor_watch(&r, sv[0], AH__IO_IN, id, 1), 0);
  ctl0 = r.nctl;
  ah__reactor_park(&r, sv[0]);
  assert_int_equal(r.nctl, ctl0 + 1); /* DEL now */
  assert_int_equal(write(sv[1], "x", 1), 1);
  assert_int_equal(ah__reactor_run(&r, 0), 0);
  assert_int_equal(s.calls, 0);
  /* Tracked, parked, forgotten and closed; the number is reused by a new
   * descriptor at once, which must be registered for real. */
  assert_int_equal(ah__reactor_track(&r, sv[0]), 0);
  assert_int_equal(ah__reactor_watch(&r, sv[0], AH__IO_IN, id, 1), 0);
  ah__reactor_park(&r, sv[0]);
  ah__reactor_forget(&r, sv[0]);
  assert_int_equal(pipe(p), 0);
  assert_int_equal(dup2(p[0], sv[0]), sv[0]);
  close(p[0]);
  assert_int_equal(ah__reactor_track(&r, sv[0]), 0);
  assert_int_equal(ah__reactor_watch(&r, sv[0], AH__IO_IN, id, 1), 0);
  assert_int_equal(write(p[1], "y", 1), 1);
  assert_int_equal(ah__reactor_run(&r, 1000), 0);
  assert_int_equal(s.calls, 1);
  assert_int_equal(s.fd, sv[0]);
  ah__reactor_forget(&r, sv[0]);
  close(sv[0]);
  close(sv[1]);
  close(p[1]);
  ah__reactor_close(&r);
}

/* A connected TCP pair on 127.0.0.1: *mine is the reactor's end. */
static void tcp_pair(int *mine, int *peer)
{
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int l = socket(AF_INET, SOCK_STREAM, 0);

  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(l, 1), 0);
  assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
  *mine = socket(AF_INET, SOCK_STREAM, 0);
  assert_int_equal(connect(*mine, (struct sockaddr *)&a, sizeof a), 0);
  *peer = accept(l, NULL, NULL);
  assert_true(*peer >= 0);
  close(l);
}

struct reader {
  struct ah__reactor *r;
  int done_after; /* reads after which the handler stops watching */
  int reads;
};

static void on_read(void *arg, int fd, unsigned flags)
{
  struct reader *rd = arg;
  char buf[64];

  (void)flags;
  assert_true(read(fd, buf, sizeof buf) > 0);
  if (++rd->reads == rd->done_after)
    ah__reactor_park(rd->r, fd); /* the response is whole */
}

/* A TCP stream marked ack_reads: each read after which its handler still
 * watches it (the rest of a response to come) is acknowledged at once;
 * the read that ends it, parking the fd, is not, nor is any read of an
 * unmarked fd. The mark outlives parking and watching again, and a new
 * descriptor on the same number starts without it. */
static void test_ack_reads(void **state)
{
  struct ah__reactor r;
  struct seen s;
  struct reader rd;
  int id, rid, fd, peer, i;

  (void)state;
  setup(&r, &s, &id);
  memset(&rd, 0, sizeof rd);
  rd.r = &r;
  rid = ah__reactor_handler(&r, on_read, &rd);
  tcp_pair(&fd, &peer);
  assert_int_equal(ah__reactor_track(&r, fd), 0);
  ah__reactor_ack_reads(&r, fd);
  rd.done_after = 3;
  for (i = 0; i < 2; i++) { /* once as new, once taken up after parking */
    rd.reads = 0;
    assert_int_equal(ah__reactor_watch(&r, fd, AH__IO_IN, rid, 1), 0);
    r.nack = 0;
    while (rd.reads < 3) {
      assert_int_equal(write(peer, "x", 1), 1);
      assert_int_equal(ah__reactor_run(&r, 1000), 0);
    }
    assert_int_equal(r.nack, 2); /* the third read parked it */
  }
  /* Forgotten, then the same number tracked again: no mark. */
  ah__reactor_forget(&r, fd);
  assert_int_equal(ah__reactor_track(&r, fd), 0);
  assert_int_equal(ah__reactor_watch(&r, fd, AH__IO_IN, rid, 1), 0);
  rd.reads = 0;
  rd.done_after = 0;
  r.nack = 0;
  assert_int_equal(write(peer, "y", 1), 1);
  assert_int_equal(ah__reactor_run(&r, 1000), 0);
  assert_int_equal(rd.reads, 1);
  assert_int_equal(r.nack, 0);
  ah__reactor_forget(&r, fd);
  close(fd);
  close(peer);
  ah__reactor_close(&r);
}

static void test_timer(void **state)
{
  struct ah__reactor r;
  struct seen s;
  int id;
  int64_t t0;

  (void)state;
  setup(&r, &s, &id);
  /* A deadline of "now" runs on the next turn without blocking. */
  ah__reactor_set_deadline(&r, ah__now_ns());
  t0 = ah__now_ns();
  assert_int_equal(ah__reactor_run(&r, 5000), 0);
  assert_int_equal(s.timer_calls, 1);
  assert_true(ah__now_ns() - t0 < 1000000000);
  /* A future deadline: the run blocks until it, then fires once. */
  t0 = ah__now_ns();
  ah__reactor_set_deadline(&r, t0 + 30 * 1000000);
  while (s.timer_calls < 2 && ah__now_ns() - t0 < 5000000000)
    ah__reactor_run(&r, 5000);
  assert_int_equal(s.timer_calls, 2);
  assert_true(ah__now_ns() - t0 >= 30 * 1000000);
  /* Stopped: a run with a timeout does not fire it. */
  ah__reactor_set_deadline(&r, ah__now_ns() + 10 * 1000000);
  ah__reactor_set_deadline(&r, AH__NO_DEADLINE);
  ah__reactor_run(&r, 50);
  assert_int_equal(s.timer_calls, 2);
  ah__reactor_close(&r);
}

static int second_calls;
static void on_second(void *arg)
{
  (void)arg;
  second_calls++;
}

/* A second timer shares the one timerfd: each fires at its own time, and
 * the epoll fd wakes a host loop for whichever is earliest. */
static void on_never(void *arg)
{
  (void)arg;
  fail_msg("a timer that was never set fired");
}

static void test_two_timers(void **state)
{
  struct ah__reactor r;
  struct seen s;
  struct pollfd p;
  int id, t2;
  int64_t t0;

  (void)state;
  setup(&r, &s, &id);
  second_calls = 0;
  t2 = ah__reactor_timer(&r, on_second, NULL);
  assert_int_equal(t2, 1);
  /* Room for AH__REACTOR_TIMERS in all (the first is set at init). */
  while (ah__reactor_timer(&r, on_never, NULL) != -1)
    ;
  assert_int_equal(r.ntimers, AH__REACTOR_TIMERS); /* full */
  ah__reactor_expose(&r); /* polled below */
  t0 = ah__now_ns();
  ah__reactor_set_deadline(&r, t0 + 500 * 1000000LL);
  ah__reactor_set_timer(&r, t2, t0 + 30 * 1000000LL);
  assert_int_equal(r.deadline, t0 + 30 * 1000000LL);
  p.fd = r.epfd;
  p.events = POLLIN;
  assert_int_equal(poll(&p, 1, 5000), 1); /* the earlier one, via the timerfd */
  ah__reactor_run(&r, 0);
  assert_int_equal(second_calls, 1);
  assert_int_equal(s.timer_calls, 0);
  assert_int_equal(r.deadline, t0 + 500 * 1000000LL);
  while (s.timer_calls == 0 && ah__now_ns() - t0 < 5000000000LL)
    ah__reactor_run(&r, 5000);
  assert_int_equal(s.timer_calls, 1);
  assert_int_equal(second_calls, 1);
  assert_true(ah__now_ns() - t0 >= 500 * 1000000LL);
  ah__reactor_close(&r);
}

/* The epoll fd alone tells a host loop when the timer is due, once it is
 * exposed; a deadline set before that is armed by the exposure. */
static void test_timer_wakes_host_loop(void **state)
{
  struct ah__reactor r;
  struct seen s;
  int id;
  struct pollfd p;

  (void)state;
  setup(&r, &s, &id);
  ah__reactor_set_deadline(&r, ah__now_ns() + 40 * 1000000);
  ah__reactor_expose(&r);
  p.fd = r.epfd;
  p.events = POLLIN;
  assert_int_equal(poll(&p, 1, 0), 0);     /* not yet */
  assert_int_equal(poll(&p, 1, 5000), 1);  /* the timerfd fired */
  ah__reactor_run(&r, 0);
  assert_int_equal(s.timer_calls, 1);
  /* Exposed for good: a deadline set later is armed too. */
  ah__reactor_set_deadline(&r, ah__now_ns() + 20 * 1000000);
  assert_int_equal(poll(&p, 1, 5000), 1);
  ah__reactor_run(&r, 0);
  assert_int_equal(s.timer_calls, 2);
  ah__reactor_close(&r);
}

/* What the timerfd holds: 1 when armed, 0 when not (its fdinfo). */
static int timerfd_armed(int fd)
{
  char path[64], line[128];
  long sec = -1, nsec = -1;
  FILE *fp;

  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  fp = fopen(path, "r");
  assert_non_null(fp);
  while (fgets(line, sizeof line, fp) != NULL)
    if (sscanf(line, "it_value: (%ld, %ld)", &sec, &nsec) == 2)
      break;
  fclose(fp);
  assert_true(sec >= 0 && nsec >= 0);
  return sec != 0 || nsec != 0;
}

/* Until the epoll fd is exposed nobody but ah__reactor_run polls it, and
 * its epoll_wait is bounded by the earliest timer: the timerfd is never
 * armed (a system call and a timer interrupt each time the deadline
 * moves), and the timers still fire on time. */
static void test_timer_unexposed_not_armed(void **state)
{
  struct ah__reactor r;
  struct seen s;
  int id;
  int64_t t0;

  (void)state;
  setup(&r, &s, &id);
  t0 = ah__now_ns();
  ah__reactor_set_deadline(&r, t0 + 30 * 1000000);
  assert_int_equal(timerfd_armed(r.timerfd), 0);
  while (s.timer_calls == 0 && ah__now_ns() - t0 < 5000000000LL)
    ah__reactor_run(&r, 5000);
  assert_int_equal(s.timer_calls, 1);
  assert_true(ah__now_ns() - t0 >= 30 * 1000000);
  assert_true(ah__now_ns() - t0 < 2000000000LL); /* not the run's 5 s */
  ah__reactor_set_deadline(&r, ah__now_ns() + 60 * 1000000000LL);
  ah__reactor_run(&r, 0);
  assert_int_equal(timerfd_armed(r.timerfd), 0);
  ah__reactor_expose(&r); /* armed at once with the pending deadline */
  assert_int_equal(timerfd_armed(r.timerfd), 1);
  ah__reactor_close(&r);
}

static void *wake(void *arg)
{
  usleep(50000);
  ah__reactor_wakeup(arg);
  return NULL;
}

static void test_wakeup(void **state)
{
  struct ah__reactor r;
  struct seen s;
  int id;
  pthread_t t;

  (void)state;
  setup(&r, &s, &id);
  pthread_create(&t, NULL, wake, &r);
  assert_int_equal(ah__reactor_run(&r, 10000), 1);
  pthread_join(t, NULL);
  assert_int_equal(ah__reactor_run(&r, 0), 0); /* consumed */
  ah__reactor_close(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_readable_and_writable),
    TU_TEST(test_stale_registrations_tolerated),
    TU_TEST(test_unwatch_drops_pending_events),
    TU_TEST(test_park_and_take_up_again),
    TU_TEST(test_parked_fd_ready_is_removed),
    TU_TEST(test_park_untracked_and_forget),
    TU_TEST(test_ack_reads),
    TU_TEST(test_timer),
    TU_TEST(test_timer_wakes_host_loop),
    TU_TEST(test_timer_unexposed_not_armed),
    TU_TEST(test_two_timers),
    TU_TEST(test_wakeup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
