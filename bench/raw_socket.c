/* raw_socket.c - the reference: libcurl multi_socket driven from epoll,
 * written plainly with no wrapper (the same design as ahttp: deadline in
 * memory, no timerfd), C easy handles re-added as each finishes.
 *
 *   raw_socket URL N C        prints: elapsed_s ok bytes non200 */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>

#include "raw_common.h"

static int epfd;
static long long deadline_ms = -1; /* monotonic ms, -1: none */
static size_t bytes;

static long long now_ms(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static size_t on_write(char *p, size_t s, size_t n, void *ud)
{
  (void)p; (void)ud;
  bytes += s * n;
  return s * n;
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *up, void *sp)
{
  struct epoll_event ev = {0};
  (void)e;
  if (what == CURL_POLL_REMOVE) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
    return 0;
  }
  ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
  ev.data.fd = fd;
  if (sp == NULL) {
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
      epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
    curl_multi_assign(up, fd, (void *)1);
  } else if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0) {
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
  }
  return 0;
}

static int on_timer(CURLM *m, long ms, void *up)
{
  (void)m; (void)up;
  deadline_ms = ms < 0 ? -1 : now_ms() + ms;
  return 0;
}

int main(int argc, char **argv)
{
  long n, c, i, started = 0, done = 0, ok = 0, non200 = 0;
  struct epoll_event evs[256];
  int running;
  CURLM *m;
  struct curl_slist *headers;
  double t0;

  if (argc != 4 && argc != 5)
    return 2; /* URL N C [CAFILE: HTTP/2 over TLS, multiplexed] */
  n = atol(argv[2]);
  c = atol(argv[3]);
  curl_global_init(CURL_GLOBAL_ALL);
  headers = raw_headers();
  epfd = epoll_create1(0);
  m = curl_multi_init();
  curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(m, CURLMOPT_SOCKETDATA, m);
  curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_timer);
  curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, c);
  t0 = (double)now_ms();
  for (i = 0; i < c && started < n; i++, started++) {
    CURL *e = curl_easy_init();
    raw_configure(e, argv[1], headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    if (argc == 5) {
      curl_easy_setopt(e, CURLOPT_CAINFO, argv[4]);
      curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
      curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    }
    curl_multi_add_handle(m, e);
  }
  while (done < n) {
    long long wait = deadline_ms < 0 ? -1 : deadline_ms - now_ms();
    int k = epoll_wait(epfd, evs, 256, wait < 0 ? (deadline_ms < 0 ? -1 : 0) : (int)wait);
    CURLMsg *msg;
    int left;
    for (i = 0; i < k; i++) {
      int f = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
              (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
              (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
      curl_multi_socket_action(m, evs[i].data.fd, f, &running);
    }
    if (deadline_ms >= 0 && now_ms() >= deadline_ms) {
      deadline_ms = -1;
      curl_multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    while ((msg = curl_multi_info_read(m, &left)) != NULL) {
      CURL *e = msg->easy_handle;
      long code = 0;
      if (msg->msg != CURLMSG_DONE)
        continue;
      done++;
      if (msg->data.result == CURLE_OK) {
        ok++;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
        if (code != 200)
          non200++;
      }
      curl_multi_remove_handle(m, e);
      if (started < n) {
        started++;
        curl_multi_add_handle(m, e);
      } else {
        curl_easy_cleanup(e);
      }
    }
  }
  printf("%.6f %ld %zu %ld\n", ((double)now_ms() - t0) / 1000.0, ok, bytes, non200);
  curl_multi_cleanup(m);
  curl_slist_free_all(headers);
  return 0;
}
