/* request.c - the request option builder, validation, and easy setup. */
#include "request.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "curl_bridge.h"
#include "error.h"
#include "response.h"

struct ah__reqspec {
  unsigned refs;      /* atomic: fetches on several threads may share it */
  int err;            /* first bad input, AH_OK if none */
  const char *why;    /* static text naming it */
  char *method;       /* NULL: GET */
  struct curl_slist *headers;
  char *body;
  size_t body_len;
  int has_body;
  long timeout_ms;    /* -1: the session's default */
};

struct ah_request_opts {
  struct ah__reqspec *spec;
};

static struct ah__reqspec *spec_new(void)
{
  struct ah__reqspec *sp = ah__calloc(1, sizeof *sp);

  if (sp != NULL) {
    sp->refs = 1;
    sp->timeout_ms = -1;
  }
  return sp;
}

void ah__reqspec_unref(struct ah__reqspec *sp)
{
  if (sp == NULL || __atomic_sub_fetch(&sp->refs, 1, __ATOMIC_ACQ_REL) > 0)
    return;
  ah__free(sp->method);
  curl_slist_free_all(sp->headers);
  ah__free(sp->body);
  ah__free(sp);
}

struct ah__reqspec *ah__reqspec_ref(const ah_request_opts *o)
{
  if (o == NULL)
    return NULL;
  __atomic_add_fetch(&o->spec->refs, 1, __ATOMIC_RELAXED);
  return o->spec;
}

int ah__reqspec_error(const struct ah__reqspec *sp, const char **why)
{
  if (sp == NULL || sp->err == AH_OK)
    return AH_OK;
  *why = sp->why;
  return sp->err;
}

/* Copy on write: make o's spec its own before changing it. */
static struct ah__reqspec *writable(ah_request_opts *o)
{
  struct ah__reqspec *old = o->spec, *sp;
  struct curl_slist *h;

  if (__atomic_load_n(&old->refs, __ATOMIC_ACQUIRE) == 1)
    return old;
  sp = spec_new();
  if (sp == NULL)
    return NULL;
  sp->err = old->err;
  sp->why = old->why;
  sp->timeout_ms = old->timeout_ms;
  sp->has_body = old->has_body;
  sp->body_len = old->body_len;
  if ((old->method && (sp->method = ah__strdup(old->method)) == NULL) ||
      (old->has_body &&
       (sp->body = ah__memdup0(old->body, old->body_len)) == NULL))
    goto fail;
  for (h = old->headers; h; h = h->next) {
    struct curl_slist *n = curl_slist_append(sp->headers, h->data);
    if (n == NULL)
      goto fail;
    sp->headers = n;
  }
  ah__reqspec_unref(old);
  o->spec = sp;
  return sp;
fail:
  ah__reqspec_unref(sp);
  return NULL;
}

ah_request_opts *ah_request_opts_new(void)
{
  ah_request_opts *o = ah__malloc(sizeof *o);

  if (o == NULL)
    return NULL;
  o->spec = spec_new();
  if (o->spec == NULL) {
    ah__free(o);
    return NULL;
  }
  return o;
}

void ah_request_opts_free(ah_request_opts *o)
{
  if (o == NULL)
    return;
  ah__reqspec_unref(o->spec);
  ah__free(o);
}

/* RFC 9110 tchar. */
static int is_token(const char *s)
{
  if (*s == '\0')
    return 0;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c) != NULL))
      return 0;
  }
  return 1;
}

/* Remember the first bad input: the fetch fails with it. */
static int refuse(struct ah__reqspec *sp, const char *why)
{
  if (sp->err == AH_OK) {
    sp->err = AH_EINVAL;
    sp->why = why;
  }
  return AH_EINVAL;
}

int ah_request_opts_set_method(ah_request_opts *o, const char *method)
{
  struct ah__reqspec *sp;
  char *m;

  if (o == NULL)
    return AH_EINVAL;
  if ((sp = writable(o)) == NULL)
    return AH_ENOMEM;
  if (method == NULL || !is_token(method))
    return refuse(sp, "the method is not an HTTP token (empty, a space, "
                      "CR, LF or another separator)");
  if ((m = ah__strdup(method)) == NULL)
    return AH_ENOMEM;
  ah__free(sp->method);
  sp->method = m;
  return AH_OK;
}

int ah_request_opts_add_header(ah_request_opts *o, const char *name,
                               const char *value)
{
  struct ah__reqspec *sp;
  struct curl_slist *n;
  size_t nl, vl;
  char *line;

  if (o == NULL)
    return AH_EINVAL;
  if ((sp = writable(o)) == NULL)
    return AH_ENOMEM;
  if (name == NULL || !is_token(name))
    return refuse(sp, "a header name is not an HTTP token");
  if (value != NULL && strpbrk(value, "\r\n") != NULL)
    return refuse(sp, "a header value contains CR or LF");
  nl = strlen(name);
  vl = value ? strlen(value) : 0;
  if ((line = ah__malloc(nl + vl + 3)) == NULL)
    return AH_ENOMEM;
  memcpy(line, name, nl);
  if (value == NULL) {
    strcpy(line + nl, ":");          /* libcurl: do not send this header */
  } else if (vl == 0) {
    strcpy(line + nl, ";");          /* libcurl: send it empty */
  } else {
    memcpy(line + nl, ": ", 2);
    memcpy(line + nl + 2, value, vl + 1);
  }
  n = curl_slist_append(sp->headers, line);
  ah__free(line);
  if (n == NULL)
    return AH_ENOMEM;
  sp->headers = n;
  return AH_OK;
}

int ah_request_opts_set_body(ah_request_opts *o, const void *data, size_t len)
{
  struct ah__reqspec *sp;
  char *b;

  if (o == NULL || (data == NULL && len > 0))
    return AH_EINVAL;
  if ((sp = writable(o)) == NULL)
    return AH_ENOMEM;
  if ((b = ah__memdup0(data, len)) == NULL)
    return AH_ENOMEM;
  ah__free(sp->body);
  sp->body = b;
  sp->body_len = len;
  sp->has_body = 1;
  return AH_OK;
}

int ah_request_opts_set_timeout(ah_request_opts *o, long total_ms)
{
  struct ah__reqspec *sp;

  if (o == NULL || total_ms < -1)
    return AH_EINVAL;
  if ((sp = writable(o)) == NULL)
    return AH_ENOMEM;
  sp->timeout_ms = total_ms;
  return AH_OK;
}

/* URLs. */

int ah__url_parse(const char *url, CURLU **out, const char **why)
{
  CURLU *u;

  *out = NULL;
  if (url == NULL) {
    *why = "the URL is NULL";
    return AH_EINVAL;
  }
  if (strncasecmp(url, "http://", 7) != 0 &&
      strncasecmp(url, "https://", 8) != 0) {
    *why = "the URL's scheme is not http or https";
    return AH_EINVAL;
  }
  if ((u = curl_url()) == NULL) {
    *why = "no memory for the URL";
    return AH_ENOMEM;
  }
  /* Rejects control characters (CR, LF), spaces and bad hosts or ports. */
  switch (curl_url_set(u, CURLUPART_URL, url, 0)) {
  case CURLUE_OK:
    *out = u;
    return AH_OK;
  case CURLUE_OUT_OF_MEMORY:
    curl_url_cleanup(u);
    *why = "no memory for the URL";
    return AH_ENOMEM;
  default:
    curl_url_cleanup(u);
    *why = "the URL is malformed";
    return AH_EINVAL;
  }
}

char *ah__message(int err, const char *detail, const char *url)
{
  char *safe = url ? ah__url_without_credentials(url) : NULL;
  const char *u = safe ? safe : "";
  int n = snprintf(NULL, 0, "%s: %s%s%s%s", ah_strerror(err), detail,
                   *u ? " (" : "", u, *u ? ")" : "");
  char *m = n >= 0 ? ah__malloc((size_t)n + 1) : NULL;

  if (m != NULL)
    snprintf(m, (size_t)n + 1, "%s: %s%s%s%s", ah_strerror(err), detail,
             *u ? " (" : "", u, *u ? ")" : "");
  ah__free(safe);
  return m;
}

/* libcurl callbacks: feed the response, end the transfer on its verdict. */

static size_t on_header(char *buf, size_t size, size_t n, void *arg)
{
  struct ah__request *q = ((struct ah__slot *)arg)->q;
  int err = ah__rx_header_line(q->rx, buf, n, &q->abort_why);

  (void)size; /* always 1 */
  if (err != AH_OK) {
    q->abort_err = err;
    return 0;
  }
  return n;
}

static size_t on_write(char *buf, size_t size, size_t n, void *arg)
{
  struct ah__request *q = ((struct ah__slot *)arg)->q;
  int err = ah__rx_body(q->rx, buf, n, &q->abort_why);

  (void)size;
  if (err != AH_OK) {
    q->abort_err = err;
    return CURL_WRITEFUNC_ERROR;
  }
  return n;
}

/* ahttp opens libcurl's sockets: close-on-exec, so that no descriptor of
 * the library leaks into a child the program executes, and with the errno
 * of a failure kept, since libcurl reports a socket() that failed for want
 * of descriptors as a refused connection. The bridge closes them, and is
 * told of each (ah__bridge_adopt). */
static curl_socket_t open_socket(void *arg, curlsocktype purpose,
                                 struct curl_sockaddr *a)
{
  struct ah__slot *slot = arg;
  int fd;

  (void)purpose;
  fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
  if (fd < 0) {
    if (slot->q != NULL)
      slot->q->socket_err = errno;
    return CURL_SOCKET_BAD;
  }
  if (slot->bridge != NULL)
    ah__bridge_adopt(slot->bridge, fd);
  return fd;
}

/* What a request changed on its slot, undone by ah__slot_recycle. */
enum { DIRTY_METHOD = 1, DIRTY_HEADERS = 2, DIRTY_TIMEOUT = 4,
       DIRTY_PIPEWAIT = 8 };

static long curl_http_version(int v)
{
  switch (v) {
  case AH_HTTP_1_1: return CURL_HTTP_VERSION_1_1;
  case AH_HTTP_2_PRIOR_KNOWLEDGE: return CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
  default: return CURL_HTTP_VERSION_2TLS; /* AH_HTTP_DEFAULT, AH_HTTP_2 */
  }
}

static CURLcode set_method(CURL *e, const struct ah__reqspec *sp)
{
  const char *m = sp->method;
  CURLcode rc = CURLE_OK;

  if (m != NULL && strcmp(m, "HEAD") == 0) {
    rc = curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (sp->has_body || (m != NULL && strcmp(m, "POST") == 0)) {
    rc = curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                          (curl_off_t)sp->body_len);
    if (rc == CURLE_OK)
      rc = curl_easy_setopt(e, CURLOPT_POSTFIELDS, sp->body ? sp->body : "");
  }
  /* GET with a body needs the method named, or libcurl sends POST. */
  if (rc == CURLE_OK && m != NULL && strcmp(m, "HEAD") != 0 &&
      strcmp(m, "POST") != 0 && (strcmp(m, "GET") != 0 || sp->has_body))
    rc = curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
  return rc;
}

/* What libcurl 7.88 sends for CURLOPT_ACCEPT_ENCODING "" with this build's
 * decoders; sent from the prebuilt list, libcurl still decodes. */
static const char accept_encoding[] = "Accept-Encoding: deflate, gzip, br, zstd";

int ah__defaults_headers(struct ah__defaults *d)
{
  struct curl_slist *l = NULL, *n;
  char *ua;

  if (d->user_agent == NULL)
    return AH_OK;
  if ((ua = ah__malloc(strlen(d->user_agent) + 13)) == NULL)
    return AH_ENOMEM;
  strcpy(ua, "User-Agent: ");
  strcat(ua, d->user_agent);
  n = curl_slist_append(l, ua);
  ah__free(ua);
  if (n == NULL)
    return AH_ENOMEM;
  l = n;
  if ((n = curl_slist_append(l, accept_encoding)) == NULL) {
    curl_slist_free_all(l);
    return AH_ENOMEM;
  }
  d->headers = n;
  return AH_OK;
}

#define SET(opt, val) \
  do { if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val); } while (0)

struct ah__slot *ah__slot_new(const struct ah__defaults *d)
{
  struct ah__slot *slot = ah__calloc(1, sizeof *slot);
  CURLcode rc = CURLE_OK;
  CURL *e;

  if (slot == NULL)
    return NULL;
  if ((slot->rx = ah__rx_new(d->max_body, d->max_header,
                             d->max_redirects > 0)) == NULL ||
      (e = slot->easy = curl_easy_init()) == NULL) {
    ah__rx_free(slot->rx);
    ah__free(slot);
    return NULL;
  }
  slot->total_ms = d->total_ms;
  SET(CURLOPT_PRIVATE, slot);
  SET(CURLOPT_ERRORBUFFER, slot->errbuf);
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_PROTOCOLS_STR, "http,https");
  SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  SET(CURLOPT_FOLLOWLOCATION, d->max_redirects > 0 ? 1L : 0L);
  SET(CURLOPT_MAXREDIRS, d->max_redirects);
  SET(CURLOPT_TIMEOUT_MS, d->total_ms);
  SET(CURLOPT_CONNECTTIMEOUT_MS, d->connect_ms);
  SET(CURLOPT_ACCEPT_ENCODING, ""); /* every decoder libcurl has */
  SET(CURLOPT_HEADERFUNCTION, on_header);
  SET(CURLOPT_HEADERDATA, slot);
  SET(CURLOPT_WRITEFUNCTION, on_write);
  SET(CURLOPT_WRITEDATA, slot);
  SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
  SET(CURLOPT_OPENSOCKETDATA, slot);
  if ((slot->bridge = d->bridge) != NULL && rc == CURLE_OK)
    rc = ah__bridge_prepare(d->bridge, e);
  /* libcurl's 16 KiB default halves the rate of 1 MiB responses under
   * multi_socket; 64 KiB measured best (bench W3: 1,244 -> 3,001 req/s,
   * 128 KiB 2,423, 256 KiB 2,101), for 3.6 MiB more peak RSS. */
  SET(CURLOPT_BUFFERSIZE, 65536L);
  /* Proxy environment variables are not obeyed, as in aiohttp (trust_env
   * off): a library should not change where a service's requests go
   * behind its back. A proxy is an explicit option. This also spares
   * libcurl's per-request getenv() probing. */
  SET(CURLOPT_PROXY, "");
  SET(CURLOPT_NOPROXY, "");
  SET(CURLOPT_HTTP_VERSION, curl_http_version(d->http_version));
  /* With prior knowledge every request may share one connection: wait
   * for it rather than open another. Over TLS, per request (https). */
  if (d->http_version == AH_HTTP_2_PRIOR_KNOWLEDGE)
    SET(CURLOPT_PIPEWAIT, 1L);
  slot->multiplex_tls = d->http_version != AH_HTTP_1_1 &&
                        d->http_version != AH_HTTP_2_PRIOR_KNOWLEDGE;
  if (d->share)
    SET(CURLOPT_SHARE, d->share);
  if (d->ca_file)
    SET(CURLOPT_CAINFO, d->ca_file);
  if (d->ca_dir)
    SET(CURLOPT_CAPATH, d->ca_dir);
  if (d->cert)
    SET(CURLOPT_SSLCERT, d->cert);
  if (d->key)
    SET(CURLOPT_SSLKEY, d->key);
  if (d->insecure) {
    SET(CURLOPT_SSL_VERIFYPEER, 0L);
    SET(CURLOPT_SSL_VERIFYHOST, 0L);
  }
  /* Used when a request brings its own header list: */
  if (d->user_agent)
    SET(CURLOPT_USERAGENT, d->user_agent);
  SET(CURLOPT_HTTPHEADER, d->headers);
  slot->headers = d->headers;
  if (rc != CURLE_OK) {
    ah__slot_free(slot);
    return NULL;
  }
  return slot;
}

void ah__slot_free(struct ah__slot *slot)
{
  if (slot == NULL)
    return;
  curl_easy_cleanup(slot->easy);
  ah__rx_free(slot->rx);
  ah__free(slot);
}

void ah__slot_recycle(struct ah__slot *slot)
{
  CURL *e = slot->easy;

  /* Setting NULL or a number allocates nothing and cannot fail. */
  if (slot->dirty & DIRTY_METHOD) {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1);
    curl_easy_setopt(e, CURLOPT_NOBODY, 0L);
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  }
  if (slot->dirty & DIRTY_HEADERS)
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, slot->headers);
  if (slot->dirty & DIRTY_TIMEOUT)
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, slot->total_ms);
  if (slot->dirty & DIRTY_PIPEWAIT)
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 0L);
  curl_easy_setopt(e, CURLOPT_CURLU, NULL);
  /* A failed request may leave a large partial body: let it go now. */
  ah__rx_reset(slot->rx, slot->rx->max_body, slot->rx->max_header,
               slot->rx->follow);
  slot->dirty = 0;
  slot->q = NULL;
}

int ah__request_setup(struct ah__request *q)
{
  struct ah__slot *slot = q->slot;
  const struct ah__reqspec *sp = q->spec;
  CURL *e = slot->easy;
  CURLcode rc = CURLE_OK;

  slot->q = q;
  slot->errbuf[0] = '\0'; /* never an earlier request's message */
  SET(CURLOPT_CURLU, q->url);
  if (q->https && slot->multiplex_tls) {
    slot->dirty |= DIRTY_PIPEWAIT;
    SET(CURLOPT_PIPEWAIT, 1L);
  }
  if (sp != NULL) {
    if (sp->timeout_ms >= 0 && sp->timeout_ms != slot->total_ms) {
      slot->dirty |= DIRTY_TIMEOUT;
      SET(CURLOPT_TIMEOUT_MS, sp->timeout_ms);
    }
    if (sp->headers != NULL) {
      slot->dirty |= DIRTY_HEADERS;
      SET(CURLOPT_HTTPHEADER, sp->headers);
    }
    if (sp->method != NULL || sp->has_body) {
      slot->dirty |= DIRTY_METHOD;
      if (rc == CURLE_OK)
        rc = set_method(e, sp);
    }
  }
  return rc == CURLE_OK ? AH_OK : AH_ENOMEM;
}
#undef SET

int ah__request_result(struct ah__request *q, CURLcode rc, char **msg,
                       ah_response **resp)
{
  char *eff = NULL;
  const char *why;
  int err;
  CURL *easy = q->slot->easy;

  *msg = NULL;
  *resp = NULL;
  curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &eff);
  if (rc == CURLE_OK && ah__rx_headers_complete(q->rx)) {
    long code = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    if ((*resp = ah__response_build(q->rx, eff, (int)code)) != NULL)
      return AH_OK;
    err = AH_ENOMEM;
    why = "out of memory while storing the response";
  } else if (rc == CURLE_OK) {
    /* libcurl 7.88 calls a response cut inside its headers a success. */
    err = AH_EPROTO;
    why = "the connection closed before the end of the response headers";
  } else if (q->abort_err != AH_OK) {
    err = q->abort_err;
    why = q->abort_why;
  } else {
    struct ah__failure fl;
    fl.rc = rc;
    fl.os_errno = 0;
    curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &fl.os_errno);
    if (q->socket_err != 0 && rc == CURLE_COULDNT_CONNECT)
      fl.os_errno = q->socket_err;
    fl.real_oom = ah__alloc_failures() != q->oom_mark;
    /* libcurl's OpenSSL layer words its own failures "OpenSSL SSL_read:"
     * or "SSL_write:"; with no OS errno behind them they are TLS errors. */
    fl.tls_layer = q->https && fl.os_errno == 0 &&
                   strncmp(q->slot->errbuf, "OpenSSL SSL_", 12) == 0;
    fl.headers_done = ah__rx_headers_complete(q->rx);
    err = ah__error_from_curl(&fl);
    why = q->slot->errbuf[0] ? q->slot->errbuf : curl_easy_strerror(rc);
    if (err == AH_ENOFD)
      why = "the process or the system is out of file descriptors";
  }
  *msg = ah__message(err, why, eff);
  return err;
}
