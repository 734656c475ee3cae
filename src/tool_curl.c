/*
 * ahttp(1): what curl users expect of a command-line HTTP client, as far
 * as the library's information allows: curl's exit code for one URL, the
 * proxy environment variables, and a URL without a scheme read as http.
 *
 * SPDX-License-Identifier: MIT
 */
#include "tool.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The library's own message holds what, outside the URL it ends with in
 * parentheses (a URL's path must not decide an exit code). Only ahttp's
 * own sentences are read so: libcurl's words change between releases. */
static int says(const char *msg, const char *what)
{
  const char *hit, *url;

  if (msg == NULL || (hit = strstr(msg, what)) == NULL)
    return 0;
  for (url = strstr(msg, " ("); url != NULL && strstr(url + 2, " (") != NULL;)
    url = strstr(url + 2, " (");
  return url == NULL || hit < url;
}

/* curl's exit status is the CURLcode of the transfer that failed: where
 * libcurl's failure is behind the future's, the library names it
 * (ah_future_curl_code), the same number on every libcurl release. What
 * ahttp decided itself (its limits, timeouts, refusals, cancels) has no
 * CURLcode and maps from the ahttp code. */
int tool_curl_code(const struct tool_job *job, const ah_future *f, int err,
                   int fail_http)
{
  const char *m = err != AH_OK ? ah_future_errmsg(f) : NULL;
  const ah_response *r;
  int cc = ah_future_curl_code(f);

  if (job->write_err != 0)
    return CURL_WRITE_ERROR;
  switch ((ah_error)err) {
  case AH_OK:
    r = ah_future_response(f);
    return fail_http && r != NULL && ah_response_status(r) >= 400
           ? CURL_HTTP_ERROR : 0;
  case AH_ENOMEM: /* whatever libcurl called the allocation that failed */
    return CURL_OUT_OF_MEMORY;
  case AH_ETOOLARGE: /* ahttp's limit, whichever way libcurl stopped */
    return CURL_FILESIZE_EXCEEDED;
  case AH_ECANCELED:
    return TOOL_INTERRUPTED;
  default:
    break;
  }
  if (cc > 0 && cc < 256)
    return cc;
  switch ((ah_error)err) {
  case AH_EINVAL:
    /* The library refuses other schemes before anything is sent; curl
     * says it does not speak them. */
    return says(m, "scheme") ? CURL_UNSUPPORTED_PROTOCOL : CURL_URL_MALFORMAT;
  case AH_ERESOLVE:
    return CURL_RESOLVE_HOST;
  case AH_ECONNECT:
  case AH_ENOFD: /* curl has no code of its own for it */
    return CURL_CONNECT;
  case AH_ETLS:
    return CURL_SSL_CONNECT;
  case AH_ETIMEDOUT:
    return CURL_TIMEOUT;
  case AH_EPROTO: /* a response ahttp refused, or cut in its headers */
    return CURL_WEIRD_REPLY;
  case AH_EIO:
    return CURL_RECV_ERROR;
  case AH_EREDIRECTS:
    return says(m, "scheme") ? CURL_UNSUPPORTED_PROTOCOL
                             : CURL_TOO_MANY_REDIRECTS;
  case AH_ESTOPPED:
    return CURL_ABORTED;
  case AH_ENOTSUP:
    return CURL_NOT_BUILT_IN;
  case AH_OK:
  case AH_ENOMEM:
  case AH_ETOOLARGE:
  case AH_ECANCELED:
  case AH_EPENDING:
  case AH_EBUSY:
  case AH_EINTR:
    break;
  }
  return TOOL_FAILED;
}

/* The host of url, lower case, without brackets, into buf; 0 or -1. */
static int url_host(const char *url, char *buf, size_t cap)
{
  const char *p = strstr(url, "://"), *end, *at;
  size_t n;

  p = p ? p + 3 : url;
  end = p + strcspn(p, "/?#");
  while ((at = memchr(p, '@', (size_t)(end - p))) != NULL)
    p = at + 1;
  if (*p == '[') {
    const char *close = memchr(p, ']', (size_t)(end - p));
    if (close == NULL)
      return -1;
    p++;
    end = close;
  } else {
    const char *colon = memchr(p, ':', (size_t)(end - p));
    if (colon != NULL)
      end = colon;
  }
  n = (size_t)(end - p);
  if (n == 0 || n >= cap)
    return -1;
  for (size_t i = 0; i < n; i++)
    buf[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
  buf[n] = '\0';
  return 0;
}

/* An address in CIDR notation ("10.0.0.0/8", "::1/128") or plain holds
 * host, when host is an address of the same family. */
static int in_cidr(const char *host, const char *net, size_t len)
{
  char spec[64], *slash;
  unsigned char a[16], b[16];
  int fam = strchr(host, ':') ? AF_INET6 : AF_INET, bits, max;

  if (len >= sizeof spec)
    return 0;
  memcpy(spec, net, len);
  spec[len] = '\0';
  max = fam == AF_INET6 ? 128 : 32;
  bits = max;
  if ((slash = strchr(spec, '/')) != NULL) {
    *slash = '\0';
    bits = atoi(slash + 1);
    if (bits < 0 || bits > max)
      return 0;
  }
  if (inet_pton(fam, host, a) != 1 || inet_pton(fam, spec, b) != 1)
    return 0;
  for (int i = 0; i < bits / 8; i++)
    if (a[i] != b[i])
      return 0;
  if (bits % 8 != 0) {
    unsigned char mask = (unsigned char)(0xff << (8 - bits % 8));
    if ((a[bits / 8] & mask) != (b[bits / 8] & mask))
      return 0;
  }
  return 1;
}

/* curl's no_proxy: "*" for every host; else names separated by commas
 * (white space around each ignored), a name matching itself and its
 * subdomains (a leading dot ignored), an address or a CIDR range its
 * addresses. */
static int no_proxy_matches(const char *list, const char *host)
{
  const char *p = list;
  size_t hl = strlen(host);

  while (*p) {
    size_t n;
    p += strspn(p, " \t,");
    n = strcspn(p, ", \t");
    if (n == 0)
      break;
    if (n == 1 && *p == '*')
      return 1;
    if (in_cidr(host, p, n))
      return 1;
    {
      const char *name = *p == '.' ? p + 1 : p;
      size_t nl = n - (size_t)(name - p);
      if (nl > 0 && nl <= hl && strncasecmp(host + hl - nl, name, nl) == 0 &&
          (nl == hl || host[hl - nl - 1] == '.'))
        return 1;
    }
    p += n;
  }
  return 0;
}

static const char *env(const char *name)
{
  const char *v = getenv(name);

  return v != NULL && *v != '\0' ? v : NULL;
}

const char *tool_proxy_for(const char *url, const char *explicit_proxy,
                           const char *noproxy)
{
  const char *proxy = explicit_proxy;
  char host[256];

  if (proxy == NULL) {
    /* curl's rules: http_proxy only in lower case (HTTP_PROXY can be set
     * by a CGI request's "Proxy:" header), https_proxy in either, then
     * all_proxy for any scheme. */
    if (strncasecmp(url, "https://", 8) == 0)
      proxy = env("https_proxy") ? env("https_proxy") : env("HTTPS_PROXY");
    else if (strncasecmp(url, "http://", 7) == 0)
      proxy = env("http_proxy");
    if (proxy == NULL)
      proxy = env("all_proxy") ? env("all_proxy") : env("ALL_PROXY");
  }
  if (proxy == NULL)
    return NULL;
  if (noproxy == NULL)
    noproxy = env("no_proxy") ? env("no_proxy") : env("NO_PROXY");
  if (noproxy != NULL && url_host(url, host, sizeof host) == 0 &&
      no_proxy_matches(noproxy, host))
    return NULL;
  return proxy;
}

int tool_has_scheme(const char *s)
{
  size_t i = 0;

  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
    return 0;
  while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
         (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' || s[i] == '.')
    i++;
  return strncmp(s + i, "://", 3) == 0;
}

/* "host/path?next=http://x" has no scheme: only a scheme's characters
 * may come before the first "://". */
const char *tool_url_guess(const char *url, char **buf)
{
  size_t n;

  *buf = NULL;
  if (tool_has_scheme(url))
    return url;
  n = strlen(url) + sizeof "http://";
  if ((*buf = malloc(n)) == NULL)
    return NULL;
  snprintf(*buf, n, "http://%s", url);
  return *buf;
}

/* The part of s up to the next ':' (a bracketed IPv6 address whole) into
 * buf: the character after it, or NULL when it does not fit or a bracket
 * is not closed. */
static const char *connect_part(const char *s, char *buf, size_t len)
{
  size_t n = *s == '[' ? strcspn(s, "]") + 1 : strcspn(s, ":");

  if (*s == '[' && s[n - 1] != ']')
    return NULL;
  if (n >= len)
    return NULL;
  memcpy(buf, s, n);
  buf[n] = '\0';
  return s + n;
}

static int connect_port(const char *p, int *port)
{
  char *end;
  long v;

  if (*p == '\0') {
    *port = 0;
    return 0;
  }
  if (*p < '0' || *p > '9')
    return -1;
  v = strtol(p, &end, 10);
  if (*end != '\0' || v < 1 || v > 65535)
    return -1;
  *port = (int)v;
  return 0;
}

int tool_connect_to_parse(const char *spec, struct tool_connect_to *out)
{
  struct tool_connect_to c;
  char parts[4][256];
  const char *p = spec;
  int n = 0;

  for (;;) {
    if (n == 4 || (p = connect_part(p, parts[n], sizeof parts[n])) == NULL)
      return -1;
    n++;
    if (*p == '\0')
      break;
    if (*p++ != ':')
      return -1;
  }
  if (n == 3) { /* HOST:PORT:ADDRESS, an address required */
    if (parts[2][0] == '\0')
      return -1;
    strcpy(parts[3], "");
  } else if (n != 4) {
    return -1;
  }
  memcpy(c.host, parts[0], sizeof c.host);
  memcpy(c.to_host, parts[2], sizeof c.to_host);
  if (connect_port(parts[1], &c.port) < 0 || connect_port(parts[3], &c.to_port) < 0 ||
      (c.to_host[0] == '\0' && c.to_port == 0))
    return -1;
  if (out != NULL)
    *out = c;
  return 0;
}
