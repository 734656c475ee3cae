/* fuzz_response.c - libFuzzer harness (make fuzz): the input is served
 * byte for byte by a loopback socket as the server's reply to a fetch.
 * Whatever it is, the fetch must end (any code), without a crash, a leak
 * or a descriptor left. The first byte picks HTTP/1.1 or HTTP/2 with
 * prior knowledge. Talks only to its own listener on 127.0.0.1. */
#include <ahttp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int lfd = -1, port;

static ah_session *session(int version)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s;

  ah_session_opts_set_timeouts(o, 300, 300, -1); /* a reply that never ends */
  ah_session_opts_set_max_body(o, 1 << 20);
  ah_session_opts_set_http_version(o, version);
  s = ah_session_new(o);
  ah_session_opts_free(o);
  return s;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  struct sockaddr_in a;
  socklen_t len = sizeof a;

  (void)argc;
  (void)argv;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
      listen(lfd, 64) != 0 || getsockname(lfd, (struct sockaddr *)&a, &len) != 0)
    return -1;
  port = ntohs(a.sin_port);
  return 0;
}

/* Close connections left in the listener's queue by an earlier input, so
 * that the next accept is this input's client. */
static void drain_backlog(void)
{
  int c;

  while ((c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
    close(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  /* A session per input: nothing outlives it, so that libFuzzer's leak
   * check (which runs when a run allocates more than it frees) stays
   * quiet and meaningful. */
  ah_session *s = session(size > 0 && (data[0] & 1) ? AH_HTTP_2_PRIOR_KNOWLEDGE
                                                    : AH_HTTP_1_1);
  char url[64], junk[4096];
  size_t sent = 0;
  int conn = -1, i;
  ah_future *f;

  if (size > 0) {
    data++;
    size--;
  }
  drain_backlog();
  snprintf(url, sizeof url, "http://127.0.0.1:%d/fuzz", port);
  f = ah_session_fetch(s, url, NULL);
  for (i = 0; i < 5000 && !ah_future_done(f); i++) {
    ah_session_run(s, 1);
    if (conn < 0)
      conn = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (conn < 0)
      continue;
    while (read(conn, junk, sizeof junk) > 0)
      ; /* the request: not looked at */
    while (sent < size) {
      ssize_t n = write(conn, data + sent, size - sent);
      if (n <= 0)
        break;
      sent += (size_t)n;
    }
    if (sent == size)
      shutdown(conn, SHUT_WR); /* then the server is silent */
  }
  if (!ah_future_done(f))
    ah_future_cancel(f);
  ah_future_free(f);
  ah_session_free(s);
  if (conn >= 0)
    close(conn);
  drain_backlog();
  return 0;
}
