/* testutil.c - test server control and leak checks. */
#include "testutil.h"

#include <ahttp.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int tu_port;
static pid_t server_pid = -1;
static int fds_at_start;

pid_t tu_server_start(int *port)
{
  return tu_server_start_args(port, NULL);
}

pid_t tu_spawn(const char *const *argv, char *line, size_t len)
{
  size_t got = 0;
  int pfd[2];
  pid_t pid, parent = getpid();

  if (len == 0 || pipe(pfd) < 0)
    return -1;
  pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    /* The server dies with its test: a test that crashes, or that its
     * time limit kills, must not leave a server holding the output pipe
     * run.sh reads to its end (the run would wait for ever). */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
      _exit(127);
    dup2(pfd[1], 1);
    close(pfd[0]);
    close(pfd[1]);
    execvp(argv[0], (char *const *)argv);
    _exit(127);
  }
  close(pfd[1]);
  /* Wait for "READY ...\n", never by sleeping. */
  while (got < len - 1) {
    struct pollfd p = {pfd[0], POLLIN, 0};
    ssize_t n;
    if (poll(&p, 1, 20000) <= 0)
      break;
    n = read(pfd[0], line + got, len - 1 - got);
    if (n <= 0)
      break;
    got += (size_t)n;
    line[got] = '\0';
    if (strchr(line, '\n'))
      break;
  }
  close(pfd[0]);
  line[got] = '\0';
  if (strncmp(line, "READY ", 6) != 0) {
    tu_server_stop(pid);
    return -1;
  }
  return pid;
}

pid_t tu_server_start_args(int *port, const char *const *args)
{
  const char *script = getenv("AH_TEST_SERVER");
  const char *python = getenv("PYTHON");
  const char *argv[16];
  char line[64];
  int n = 0;
  pid_t pid;

  argv[n++] = python ? python : "python3";
  argv[n++] = script ? script : "tests/server.py";
  while (args && *args && n < 15)
    argv[n++] = *args++;
  argv[n] = NULL;
  pid = tu_spawn(argv, line, sizeof line);
  if (pid > 0 && sscanf(line, "READY %d", port) != 1) {
    tu_server_stop(pid);
    return -1;
  }
  return pid;
}

void tu_server_stop(pid_t pid)
{
  if (pid <= 0)
    return;
  kill(pid, SIGTERM);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

const char *tu_url(const char *path)
{
  /* Per thread: tests fetch from several threads at once. */
  static __thread char bufs[8][512];
  static __thread int next;
  char *b = bufs[next++ % 8];

  snprintf(b, sizeof bufs[0], "http://127.0.0.1:%d%s", tu_port, path);
  return b;
}

int tu_fd_count(void)
{
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  int n = 0;

  if (d == NULL)
    return -1;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.')
      n++;
  closedir(d);
  return n - 1; /* the directory's own descriptor */
}

int tu_group_setup(void **state)
{
  (void)state;
  server_pid = tu_server_start(&tu_port);
  return server_pid > 0 ? 0 : -1;
}

int tu_group_teardown(void **state)
{
  (void)state;
  tu_server_stop(server_pid);
  server_pid = -1;
  return 0;
}

int tu_fd_setup(void **state)
{
  (void)state;
  fds_at_start = tu_fd_count();
  return 0;
}

int tu_fd_teardown(void **state)
{
  int now = tu_fd_count();

  (void)state;
  if (now != fds_at_start) {
    fprintf(stderr, "descriptor leak: %d open at start, %d at end\n",
            fds_at_start, now);
    return -1;
  }
  return 0;
}

int tu_listener(int *port, int backlog_full, int *fill, int *nfill)
{
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), i;

  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  *nfill = 0;
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      listen(fd, backlog_full ? 0 : 8) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  *port = ntohs(a.sin_port);
  /* Connect until one connect no longer completes: the queue is full. */
  for (i = 0; backlog_full && i < 8; i++) {
    struct pollfd p;
    fill[*nfill] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    connect(fill[*nfill], (struct sockaddr *)&a, sizeof a);
    p.fd = fill[(*nfill)++];
    p.events = POLLOUT;
    if (poll(&p, 1, 200) == 0)
      return fd;
  }
  if (backlog_full) { /* every connect completed: no full queue here */
    while (*nfill > 0)
      close(fill[--*nfill]);
    close(fd);
    return -1;
  }
  return fd;
}

long tu_text_read(struct ah_future *f, char *buf, size_t max, void *ud)
{
  struct tu_text *b = ud;
  size_t n = strlen(b->text + b->at);

  (void)f;
  if (n > 7)
    n = 7; /* several reads */
  if (n > max)
    n = max;
  memcpy(buf, b->text + b->at, n);
  b->at += n;
  return (long)n;
}

int tu_text_rewind(struct ah_future *f, void *ud)
{
  struct tu_text *b = ud;

  (void)f;
  b->at = 0;
  b->rewinds++;
  return 0;
}

double tu_slowdown(void)
{
  if (getenv("AH_UNDER_VALGRIND") != NULL)
    return 10;
#if defined(__SANITIZE_THREAD__)
  return 5;
#elif defined(__SANITIZE_ADDRESS__)
  return 2;
#else
  return 1;
#endif
}

ah_future *tu_fetch(ah_session *s, const char *url, const ah_request_opts *o)
{
  ah_future *f = ah_session_fetch(s, url, o);

  assert_non_null(f);
  assert_int_equal(ah_future_wait(f, (long)(20000 * tu_slowdown())), AH_OK);
  return f;
}

const char *tu_body(ah_future *f)
{
  if (ah_future_error(f) != AH_OK)
    fail_msg("%s", ah_future_errmsg(f));
  return ah_response_body(ah_future_response(f), NULL);
}

int tu_count(const char *hay, const char *needle)
{
  int n = 0;

  for (; (hay = strstr(hay, needle)) != NULL; hay++)
    n++;
  return n;
}

const char *tu_fetch_ok(ah_session *s, const char *url, const ah_request_opts *o,
                        ah_future **f)
{
  *f = ah_session_fetch(s, url, o);
  assert_int_equal(ah_future_wait(*f, 20000), AH_OK);
  if (ah_future_error(*f) != AH_OK)
    fail_msg("%s failed: %s", url, ah_future_errmsg(*f));
  return ah_response_body(ah_future_response(*f), NULL);
}

int tu_fetch_err(ah_session *s, const char *url, const ah_request_opts *o)
{
  ah_future *f = ah_session_fetch(s, url, o);
  int err;

  assert_int_equal(ah_future_wait(f, 20000), AH_OK);
  err = ah_future_error(f);
  ah_future_free(f);
  return err;
}
