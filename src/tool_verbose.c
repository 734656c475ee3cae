/*
 * ahttp(1): -v, a request's journey on standard error in the shape of
 * curl -v: "* " for what happened, "> " for what was asked of the
 * server, "< " for what it answered. Only what the library tells through
 * its lifecycle hook (ah_session_opts_on_event) and the final response's
 * headers is printed: the addresses a name resolved to and the headers
 * libcurl adds on its own (Host, Accept, Content-Length) are not known
 * here, and are not invented.
 *
 * SPDX-License-Identifier: MIT
 */
#include "tool.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *tool_method(const struct tool_config *c)
{
  if (c->method != NULL)
    return c->method;
  if (c->head)
    return "HEAD";
  if (c->has_body || c->nforms > 0)
    return "POST";
  return "GET";
}

/* Host and port of url: "host", "port" (the scheme's when absent). */
static void host_port(const char *url, char *host, size_t cap, const char **port)
{
  const char *p = strstr(url, "://"), *end, *at, *colon;
  size_t n;

  *port = strncmp(url, "https:", 6) == 0 ? "443" : "80";
  p = p ? p + 3 : url;
  end = p + strcspn(p, "/?#");
  if ((at = memchr(p, '@', (size_t)(end - p))) != NULL)
    p = at + 1;
  colon = NULL;
  if (*p == '[') { /* an IPv6 literal */
    const char *close = memchr(p, ']', (size_t)(end - p));
    if (close != NULL && close + 1 < end && close[1] == ':')
      colon = close + 1;
  } else {
    colon = memchr(p, ':', (size_t)(end - p));
  }
  n = (size_t)((colon ? colon : end) - p);
  if (n >= cap)
    n = cap - 1;
  memcpy(host, p, n);
  host[n] = '\0';
  if (colon != NULL && colon + 1 < end) {
    static char buf[8];
    size_t k = (size_t)(end - colon - 1);
    if (k < sizeof buf) {
      memcpy(buf, colon + 1, k);
      buf[k] = '\0';
      *port = buf;
    }
  }
}

/* The request target of url: its path and query, "/" when empty. */
static void target_of(const char *url, const char **t, int *len)
{
  const char *p = strstr(url, "://");

  p = p ? p + 3 : url;
  p += strcspn(p, "/?#");
  *t = *p == '/' || *p == '?' ? p : "/";
  *len = *t == p ? (int)strcspn(p, "#") : 1;
}

int tool_has_header(const struct tool_config *c, const char *name)
{
  size_t i, n = strlen(name);

  for (i = 0; i < c->nheaders; i++)
    if (strncasecmp(c->headers[i], name, n) == 0 && c->headers[i][n] == ':')
      return 1;
  return 0;
}

/* A secret the library keeps to the request's origin: once a redirect
 * has left it, no hop carries these (SPEC 4b), so none is shown. */
static int secret(const char *h)
{
  static const char *const names[] = {"Authorization:", "Proxy-Authorization:", "Cookie:"};
  size_t i;

  for (i = 0; i < sizeof names / sizeof *names; i++)
    if (strncasecmp(h, names[i], strlen(names[i])) == 0)
      return 1;
  return 0;
}

/* Scheme, host and port of a and b are the same. */
static int same_origin(const char *a, const char *b)
{
  char ha[256], hb[256];
  const char *pa, *pb;
  char porta[8];

  if (strncasecmp(a, "https:", 6) != 0 ? strncasecmp(b, "https:", 6) == 0
                                       : strncasecmp(b, "https:", 6) != 0)
    return 0;
  host_port(a, ha, sizeof ha, &pa);
  snprintf(porta, sizeof porta, "%s", pa); /* host_port's buffer is shared */
  host_port(b, hb, sizeof hb, &pb);
  return strcasecmp(ha, hb) == 0 && strcmp(porta, pb) == 0;
}

/* The request as the tool asked for it: its line and the headers it set
 * (without the secrets once the journey left its origin). */
static void print_request(const struct tool_config *c, const struct tool_job *job)
{
  const char *t;
  int len;
  size_t i;

  target_of(job->hop_url, &t, &len);
  fprintf(stderr, "> %s %.*s\n", job->hop_method, len, t);
  if (!tool_has_header(c, "User-Agent"))
    fprintf(stderr, "> User-Agent: %s\n",
            c->user_agent ? c->user_agent : "ahttp/" AH_VERSION_STRING);
  if (c->npairs > 0 && !tool_has_header(c, "Content-Type") &&
      strcmp(job->hop_method, "GET") != 0)
    fputs("> Content-Type: application/x-www-form-urlencoded\n", stderr);
  if (c->json_body && !tool_has_header(c, "Content-Type"))
    fputs("> Content-Type: application/json\n", stderr);
  if (c->json_body && !tool_has_header(c, "Accept"))
    fputs("> Accept: application/json\n", stderr);
  if (c->cookies != NULL && !tool_has_header(c, "Cookie") && !job->foreign)
    fprintf(stderr, "> Cookie: %s\n", c->cookies);
  for (i = 0; i < c->nheaders; i++) {
    const char *h = c->headers[i], *colon = strchr(h, ':');
    if (colon[1 + strspn(colon + 1, " \t")] != '\0' && /* "Name:" removes */
        !(job->foreign && secret(h)))
      fprintf(stderr, "> %s\n", h);
  }
  fputs(">\n", stderr);
  if (c->has_body && strcmp(job->hop_method, "GET") != 0 &&
      strcmp(job->hop_method, "HEAD") != 0)
    fprintf(stderr, c->npairs > 0 ? "} [form, %zu pairs]\n" : "} [%zu bytes of body]\n",
            c->npairs > 0 ? c->npairs : c->body_len);
  else if (c->nforms > 0 && strcmp(job->hop_method, "GET") != 0)
    fprintf(stderr, "} [multipart form, %zu parts]\n", c->nforms);
}

void tool_verbose_event(const ah_event *ev, void *ud)
{
  struct tool_verbose *v = ud;
  struct tool_job *job = v->find(v->ctx, ev->future);
  char host[256];
  const char *port;

  if (job == NULL)
    return;
  if (job->hop_url == NULL) {
    job->hop_url = strdup(job->url);
    job->hop_method = tool_method(v->c);
    if (job->hop_url == NULL)
      return;
  }
  host_port(job->hop_url, host, sizeof host, &port);
  switch ((ah_event_type)ev->type) {
  case AH_EVENT_QUEUED:
    fputs("* Queued: waiting for a free connection slot\n", stderr);
    break;
  case AH_EVENT_DEQUEUED:
    fprintf(stderr, "* Request %s %s (attempt %d)\n", job->hop_method,
            job->hop_url, ev->attempt);
    break;
  case AH_EVENT_DNS:
    fprintf(stderr, "* Host %s resolved\n", host);
    break;
  case AH_EVENT_CONNECTED:
    if (ev->reused)
      fprintf(stderr, "* Re-using existing connection to %s port %s\n", host, port);
    else if (v->c->proxy != NULL || v->c->unix_socket != NULL)
      fprintf(stderr, "* Connected (%s %s) for %s port %s\n",
              v->c->unix_socket ? "unix socket" : "proxy",
              v->c->unix_socket ? v->c->unix_socket : v->c->proxy, host, port);
    else
      fprintf(stderr, "* Connected to %s port %s\n", host, port);
    break;
  case AH_EVENT_TLS:
    fputs("* TLS handshake done\n", stderr);
    break;
  case AH_EVENT_SENT:
    print_request(v->c, job);
    break;
  case AH_EVENT_FIRST_BYTE:
    fprintf(stderr, "* First response byte after %.1f ms\n",
            (double)(ev->time_ns / 1000) / 1000.0 - job->start * 1000.0);
    break;
  case AH_EVENT_REDIRECT: {
    char *next = strdup(ev->url ? ev->url : "");
    fprintf(stderr, "< %d redirect\n<\n", ev->status);
    fprintf(stderr, "* Issue another request to this URL: '%s'\n",
            ev->url ? ev->url : "");
    /* The method of the next hop, as the library decides it. */
    if (ev->status == 303 && strcmp(job->hop_method, "HEAD") != 0)
      job->hop_method = "GET";
    else if ((ev->status == 301 || ev->status == 302) &&
             strcmp(job->hop_method, "POST") == 0)
      job->hop_method = "GET";
    if (next != NULL) {
      if (!same_origin(job->url, next))
        job->foreign = 1; /* and stays so, as the library's rule */
      free(job->hop_url);
      job->hop_url = next;
    }
    break;
  }
  case AH_EVENT_RETRY:
    if (ev->error != AH_OK)
      fprintf(stderr, "* Retrying in %.0f ms after %s\n",
              (double)ev->delay_us / 1000.0, ah_errname(ev->error));
    else
      fprintf(stderr, "* Retrying in %.0f ms after status %d\n",
              (double)ev->delay_us / 1000.0, ev->status);
    break;
  case AH_EVENT_DONE:
    if (ev->error != AH_OK)
      fprintf(stderr, "* Failed: %s\n", ah_errname(ev->error));
    else
      fprintf(stderr, "* Done: status %d\n", ev->status);
    break;
  }
}

void tool_status_line(FILE *out, const char *prefix, const ah_response *head)
{
  int v = ah_response_http_version(head);
  const char *reason = ah_response_reason(head); /* "" over HTTP/2 */

  if (v >= 20)
    fprintf(out, "%sHTTP/%d %d", prefix, v / 10, ah_response_status(head));
  else
    fprintf(out, "%sHTTP/%d.%d %d", prefix, v / 10, v % 10, ah_response_status(head));
  fprintf(out, "%s%s\n", *reason ? " " : "", reason);
}

void tool_verbose_headers(const ah_response *head)
{
  size_t i, n = ah_response_header_count(head);

  tool_status_line(stderr, "< ", head);
  for (i = 0; i < n; i++) {
    const char *name, *value;
    if (ah_response_header_at(head, i, &name, &value) == AH_OK)
      fprintf(stderr, "< %s: %s\n", name, value);
  }
  fputs("<\n", stderr);
}
