/* request.c - the request option builder, validation, and easy setup. */
#include "request.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#include "alloc.h"
#include "cookies.h"
#include "curl_bridge.h"
#include "curl_caps.h"
#include "error.h"
#include "future.h"
#include "journey.h"
#include "reactor.h"
#include "response.h"
#include "url.h"

/* A caller's callback and its pointer. A function pointer converts to
 * another function pointer type and back unchanged (C11 6.3.2.3), so one
 * type holds the data, headers and progress callbacks alike. */
struct ah__cb {
  void (*fn)(void);
  void *ud;
};

struct ah__form {
  struct ah__form *next;
  char *name, *value;          /* value: the text, or a file part's path */
  char *filename, *type;       /* a file part's name and content type */
  int is_file;
};

struct ah__reqspec {
  unsigned refs;      /* atomic: fetches on several threads may share it */
  int err;            /* first bad input, AH_OK if none */
  const char *why;    /* static text naming it */
  char *method;       /* NULL: GET */
  struct curl_slist *headers;
  struct curl_slist *sensitive; /* names of headers kept off other hosts */
  char *body;
  size_t body_len;
  int has_body;
  long timeout_ms;    /* -1: the session's default, for each of these */
  long connect_ms, idle_ms, max_redirects;
  char *query;        /* encoded "k=v&k=v" to append, NULL: none */
  char *user, *password, *bearer;
  int digest;         /* user and password by digest, not basic */
  int retries;        /* attempts, -1: the session's */
  int retry_unsafe;   /* may be resent though not idempotent */
  char *proxy;        /* NULL: the session's; "": none */
  char *unix_path;    /* NULL: the session's */
  ah_read_cb reader;
  void *reader_ud;
  long long reader_len;
  ah_rewind_cb rewind;
  struct ah__form *form, **form_tail;
  struct ah__cb on_data, on_headers, on_progress;
};

struct ah_request_opts {
  struct ah__reqspec *spec;
};

static struct ah__reqspec *spec_new(void)
{
  struct ah__reqspec *sp = ah__calloc(1, sizeof *sp);

  if (sp != NULL) {
    sp->refs = 1;
    sp->timeout_ms = sp->connect_ms = sp->idle_ms = sp->max_redirects = -1;
    sp->retries = -1;
    sp->form_tail = &sp->form;
  }
  return sp;
}

static void form_free(struct ah__form *p)
{
  while (p != NULL) {
    struct ah__form *next = p->next;
    ah__free(p->name);
    ah__free(p->value);
    ah__free(p->filename);
    ah__free(p->type);
    ah__free(p);
    p = next;
  }
}

void ah__reqspec_unref(struct ah__reqspec *sp)
{
  if (sp == NULL || __atomic_sub_fetch(&sp->refs, 1, __ATOMIC_ACQ_REL) > 0)
    return;
  ah__free(sp->method);
  curl_slist_free_all(sp->headers);
  curl_slist_free_all(sp->sensitive);
  ah__free(sp->body);
  ah__free(sp->query);
  ah__free(sp->user);
  ah__free(sp->password);
  ah__free(sp->bearer);
  ah__free(sp->proxy);
  ah__free(sp->unix_path);
  form_free(sp->form);
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

/* *to = a copy of from (NULL stays NULL); 0, or -1 without memory. */
static int dup_opt(char **to, const char *from)
{
  *to = from ? ah__strdup(from) : NULL;
  return from && *to == NULL ? -1 : 0;
}

int ah__slist_dup(struct curl_slist **to, const struct curl_slist *from)
{
  for (*to = NULL; from; from = from->next) {
    struct curl_slist *n = curl_slist_append(*to, from->data);
    if (n == NULL)
      return -1;
    *to = n;
  }
  return 0;
}

/* Copy on write: make o's spec its own before changing it. */
static struct ah__reqspec *writable(ah_request_opts *o)
{
  struct ah__reqspec *old = o->spec, *sp;
  struct ah__form *p;
  int bad = 0;

  if (__atomic_load_n(&old->refs, __ATOMIC_ACQUIRE) == 1)
    return old;
  sp = spec_new();
  if (sp == NULL)
    return NULL;
  sp->err = old->err;
  sp->why = old->why;
  sp->timeout_ms = old->timeout_ms;
  sp->connect_ms = old->connect_ms;
  sp->idle_ms = old->idle_ms;
  sp->max_redirects = old->max_redirects;
  sp->has_body = old->has_body;
  sp->digest = old->digest;
  sp->retries = old->retries;
  sp->retry_unsafe = old->retry_unsafe;
  sp->body_len = old->body_len;
  sp->reader = old->reader;
  sp->reader_ud = old->reader_ud;
  sp->reader_len = old->reader_len;
  sp->rewind = old->rewind;
  sp->on_data = old->on_data;
  sp->on_headers = old->on_headers;
  sp->on_progress = old->on_progress;
  bad |= dup_opt(&sp->method, old->method);
  bad |= dup_opt(&sp->query, old->query);
  bad |= dup_opt(&sp->user, old->user);
  bad |= dup_opt(&sp->password, old->password);
  bad |= dup_opt(&sp->bearer, old->bearer);
  bad |= dup_opt(&sp->proxy, old->proxy);
  bad |= dup_opt(&sp->unix_path, old->unix_path);
  if (old->has_body &&
      (sp->body = ah__memdup0(old->body, old->body_len)) == NULL)
    bad = 1;
  bad |= ah__slist_dup(&sp->headers, old->headers);
  bad |= ah__slist_dup(&sp->sensitive, old->sensitive);
  for (p = old->form; p && !bad; p = p->next) {
    struct ah__form *c = ah__calloc(1, sizeof *c);
    if (c == NULL) {
      bad = 1;
      break;
    }
    *sp->form_tail = c;
    sp->form_tail = &c->next;
    c->is_file = p->is_file;
    bad |= dup_opt(&c->name, p->name) | dup_opt(&c->value, p->value) |
           dup_opt(&c->filename, p->filename) | dup_opt(&c->type, p->type);
  }
  if (bad) {
    ah__reqspec_unref(sp);
    return NULL;
  }
  ah__reqspec_unref(old);
  o->spec = sp;
  return sp;
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

ah_request_opts *ah__request_opts_share(const ah_request_opts *o)
{
  ah_request_opts *c;

  if (o == NULL || (c = ah__malloc(sizeof *c)) == NULL)
    return NULL;
  c->spec = ah__reqspec_ref(o);
  return c;
}

void ah_request_opts_free(ah_request_opts *o)
{
  if (o == NULL)
    return;
  ah__reqspec_unref(o->spec);
  ah__free(o);
}

/* RFC 9110 tchar. */
int ah__is_token(const char *s)
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
  if (method == NULL || !ah__is_token(method))
    return refuse(sp, "the method is not an HTTP token (empty, a space, "
                      "CR, LF or another separator)");
  if ((m = ah__strdup(method)) == NULL)
    return AH_ENOMEM;
  ah__free(sp->method);
  sp->method = m;
  return AH_OK;
}

int ah__header_append(struct curl_slist **list, const char *name,
                      const char *value)
{
  size_t nl = strlen(name), vl = value ? strlen(value) : 0;
  struct curl_slist *n;
  char *line;

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
  n = curl_slist_append(*list, line);
  ah__free(line);
  if (n == NULL)
    return AH_ENOMEM;
  *list = n;
  return AH_OK;
}

int ah_request_opts_add_header(ah_request_opts *o, const char *name,
                               const char *value)
{
  struct ah__reqspec *sp;

  if (o == NULL)
    return AH_EINVAL;
  if ((sp = writable(o)) == NULL)
    return AH_ENOMEM;
  if (name == NULL || !ah__is_token(name))
    return refuse(sp, "a header name is not an HTTP token");
  if (value != NULL && strpbrk(value, "\r\n") != NULL)
    return refuse(sp, "a header value contains CR or LF");
  return ah__header_append(&sp->headers, name, value);
}

int ah_request_opts_add_sensitive_header(ah_request_opts *o, const char *name,
                                         const char *value)
{
  struct curl_slist *n;
  int rc = ah_request_opts_add_header(o, name, value);

  if (rc != AH_OK)
    return rc;
  /* add_header made the spec writable and checked the name. */
  if ((n = curl_slist_append(o->spec->sensitive, name)) == NULL)
    return AH_ENOMEM;
  o->spec->sensitive = n;
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

int ah_request_opts_set_timeouts(ah_request_opts *o, long total_ms,
                                 long connect_ms, long idle_ms)
{
  struct ah__reqspec *sp;

  if (o == NULL || total_ms < -1 || connect_ms < -1 || idle_ms < -1)
    return AH_EINVAL;
  if ((sp = writable(o)) == NULL)
    return AH_ENOMEM;
  sp->timeout_ms = total_ms;
  sp->connect_ms = connect_ms;
  sp->idle_ms = idle_ms;
  return AH_OK;
}

int ah_request_opts_set_redirects(ah_request_opts *o, long max)
{
  struct ah__reqspec *sp;

  if (o == NULL || max < -1)
    return AH_EINVAL;
  if ((sp = writable(o)) == NULL)
    return AH_ENOMEM;
  sp->max_redirects = max;
  return AH_OK;
}

int ah_request_opts_set_retries(ah_request_opts *o, int attempts, int unsafe)
{
  struct ah__reqspec *sp;

  if (o == NULL || attempts == 0 || attempts < -1 || attempts > 100)
    return AH_EINVAL;
  if ((sp = writable(o)) == NULL)
    return AH_ENOMEM;
  sp->retries = attempts;
  sp->retry_unsafe = unsafe ? 1 : 0;
  return AH_OK;
}

int ah__request_attempts(const struct ah__request *q, int session_attempts)
{
  return q->spec != NULL && q->spec->retries > 0 ? q->spec->retries
                                                  : session_attempts;
}

/* 1 when the request has a body: bytes, a reader or a form. */
static int with_body(const struct ah__reqspec *sp)
{
  return sp->has_body || sp->reader != NULL || sp->form != NULL;
}

/* RFC 9110 section 9.2.2: sending these twice does what sending them
 * once does. */
static int idempotent(const char *m)
{
  static const char *const methods[] = {"GET", "HEAD", "OPTIONS", "TRACE",
                                        "PUT", "DELETE"};
  size_t i;

  for (i = 0; i < sizeof methods / sizeof *methods; i++)
    if (strcmp(m, methods[i]) == 0)
      return 1;
  return 0;
}

int ah__request_replayable(const struct ah__request *q)
{
  const struct ah__reqspec *sp = q->spec;

  return sp == NULL || sp->reader == NULL || sp->rewind != NULL ||
         !q->body_dirty || (q->j != NULL && q->j->get);
}

int ah__request_rewind(struct ah__request *q, const char **why)
{
  const struct ah__reqspec *sp = q->spec;
  int rc;

  if (sp == NULL || sp->reader == NULL || !q->body_dirty ||
      (q->j != NULL && q->j->get))
    return AH_OK; /* nothing read, or nothing to send again */
  if (sp->rewind == NULL) {
    *why = "the body reader has no rewind callback: its body cannot be sent again";
    return AH_EIO;
  }
  ah__future_cb_enter();
  rc = sp->rewind(q->f, sp->reader_ud);
  ah__future_cb_leave();
  if (rc != 0) {
    *why = "the body reader could not rewind";
    return AH_ESTOPPED;
  }
  q->body_dirty = 0;
  return AH_OK;
}

int ah__request_resendable(const struct ah__request *q)
{
  const struct ah__reqspec *sp = q->spec;

  if (sp == NULL || (q->j != NULL && q->j->get))
    return 1; /* GET */
  if (sp->retry_unsafe)
    return 1;
  if (sp->method != NULL)
    return idempotent(sp->method);
  return !with_body(sp); /* POST */
}

enum ah__outcome ah__request_outcome(const struct ah__request *q, int err)
{
  if (err == AH_OK || q->told)
    return AH__OUT_FINAL; /* a response, or bytes the caller has seen */
  if (!q->sent) /* the request never left: whatever failed, it is unseen */
    return err == AH_ECONNECT || err == AH_ETIMEDOUT || err == AH_EIO
               ? AH__OUT_CONNECT : AH__OUT_FINAL;
  if (err == AH_ETIMEDOUT)
    return AH__OUT_TIMEOUT;
  if (q->slot != NULL && q->rx != NULL && q->rx->status == 0 &&
      ah__refusal_unprocessed(&q->slot->watch))
    return AH__OUT_REFUSED;
  if ((err == AH_EIO || err == AH_EPROTO) && q->rx != NULL &&
      q->rx->status == 0 && q->empty_reply)
    return AH__OUT_RESET;
  return AH__OUT_FINAL;
}

void ah__request_rearm(struct ah__request *q)
{
  q->slot = NULL;
  q->rx = NULL;
  q->abort_err = AH_OK;
  q->abort_why = NULL;
  q->watch_err = 0;
  q->challenged = 0;
  q->socket_err = 0;
  q->sent = 0;
  q->empty_reply = 0;
  q->retry_ns = -1;
  q->told = 0;
  if (q->j != NULL)
    q->j->spent_us = 0; /* the next attempt resumes at this hop */
}

/* Percent-encode s (all but RFC 3986 unreserved characters) onto out. */
static char *encode(char *out, const char *s)
{
  static const char hex[] = "0123456789ABCDEF";

  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      *out++ = (char)c;
    } else {
      *out++ = '%';
      *out++ = hex[c >> 4];
      *out++ = hex[c & 15];
    }
  }
  return out;
}

int ah_request_opts_add_query(ah_request_opts *o, const char *key,
                              const char *value)
{
  struct ah__reqspec *sp;
  size_t have, need;
  char *q, *end;

  if (o == NULL || key == NULL || *key == '\0')
    return AH_EINVAL;
  if ((sp = writable(o)) == NULL)
    return AH_ENOMEM;
  have = sp->query ? strlen(sp->query) : 0;
  need = have + 1 + 3 * strlen(key) + 1 + (value ? 3 * strlen(value) : 0) + 1;
  if ((q = ah__realloc(sp->query, need)) == NULL)
    return AH_ENOMEM;
  end = q + have;
  if (have)
    *end++ = '&';
  end = encode(end, key);
  if (value != NULL) {
    *end++ = '=';
    end = encode(end, value);
  }
  *end = '\0';
  sp->query = q;
  return AH_OK;
}

int ah_request_opts_set_json(ah_request_opts *o, const char *json)
{
  struct ah__reqspec *sp;
  struct curl_slist *h;
  int rc;

  if (o == NULL || json == NULL)
    return AH_EINVAL;
  if ((rc = ah_request_opts_set_body(o, json, strlen(json))) != AH_OK)
    return rc;
  sp = o->spec; /* made writable by set_body */
  for (h = sp->headers; h; h = h->next)
    if (strncasecmp(h->data, "Content-Type", 12) == 0 &&
        (h->data[12] == ':' || h->data[12] == ';'))
      return AH_OK; /* the caller's own content type stands */
  return ah_request_opts_add_header(o, "Content-Type", "application/json");
}

int ah_request_opts_set_body_reader(ah_request_opts *o, ah_read_cb cb,
                                    void *userdata, long long len)
{
  struct ah__reqspec *sp;

  if (o == NULL || cb == NULL || len < -1)
    return AH_EINVAL;
  if ((sp = writable(o)) == NULL)
    return AH_ENOMEM;
  sp->reader = cb;
  sp->reader_ud = userdata;
  sp->reader_len = len;
  return AH_OK;
}

int ah_request_opts_set_body_rewind(ah_request_opts *o, ah_rewind_cb cb)
{
  struct ah__reqspec *sp;

  if (o == NULL)
    return AH_EINVAL;
  if ((sp = writable(o)) == NULL)
    return AH_ENOMEM;
  sp->rewind = cb;
  return AH_OK;
}

static int add_form(ah_request_opts *o, const char *name, const char *value,
                    const char *filename, const char *type, int is_file)
{
  struct ah__reqspec *sp;
  struct ah__form *p;

  if (o == NULL || name == NULL || value == NULL)
    return AH_EINVAL;
  if ((sp = writable(o)) == NULL)
    return AH_ENOMEM;
  if (strpbrk(name, "\r\n\"") != NULL ||
      (filename && strpbrk(filename, "\r\n\"") != NULL) ||
      (type && strpbrk(type, "\r\n") != NULL))
    return refuse(sp, "a form part's name, file name or type contains CR, "
                      "LF or a quote");
  if ((p = ah__calloc(1, sizeof *p)) == NULL)
    return AH_ENOMEM;
  p->is_file = is_file;
  if (dup_opt(&p->name, name) | dup_opt(&p->value, value) |
      dup_opt(&p->filename, filename) | dup_opt(&p->type, type)) {
    form_free(p);
    return AH_ENOMEM;
  }
  *sp->form_tail = p;
  sp->form_tail = &p->next;
  return AH_OK;
}

int ah_request_opts_add_form_field(ah_request_opts *o, const char *name,
                                   const char *value)
{
  return add_form(o, name, value, NULL, NULL, 0);
}

int ah_request_opts_add_form_file(ah_request_opts *o, const char *name,
                                  const char *path, const char *filename,
                                  const char *content_type)
{
  return add_form(o, name, path, filename, content_type, 1);
}

/* Set the string field at offset of o's spec to a copy of value,
 * refusing CR and LF. */
static int set_spec_string(ah_request_opts *o, size_t offset,
                           const char *value, int allow_null)
{
  struct ah__reqspec *sp;
  char *c = NULL, **field;

  if (o == NULL || (value == NULL && !allow_null))
    return AH_EINVAL;
  if ((sp = writable(o)) == NULL)
    return AH_ENOMEM;
  if (value != NULL && strpbrk(value, "\r\n") != NULL)
    return refuse(sp, "an option's text contains CR or LF");
  if (value != NULL && (c = ah__strdup(value)) == NULL)
    return AH_ENOMEM;
  field = (char **)(void *)((char *)sp + offset);
  ah__free(*field);
  *field = c;
  return AH_OK;
}

#define SPEC_FIELD(f) offsetof(struct ah__reqspec, f)

int ah_request_opts_set_basic_auth(ah_request_opts *o, const char *user,
                                   const char *password)
{
  struct ah__reqspec *sp;
  int rc;

  if (o == NULL)
    return AH_EINVAL;
  if ((sp = writable(o)) == NULL)
    return AH_ENOMEM;
  if (user == NULL || strchr(user, ':') != NULL)
    return refuse(sp, "a basic auth user name is NULL or has a colon");
  sp->digest = 0;
  if ((rc = set_spec_string(o, SPEC_FIELD(user), user, 0)) != AH_OK)
    return rc;
  return set_spec_string(o, SPEC_FIELD(password), password ? password : "", 0);
}

int ah_request_opts_set_digest_auth(ah_request_opts *o, const char *user,
                                    const char *password)
{
  int rc = ah_request_opts_set_basic_auth(o, user, password);

  if (rc == AH_OK)
    o->spec->digest = 1; /* writable already: set_basic_auth made it so */
  return rc;
}

int ah_request_opts_set_bearer_token(ah_request_opts *o, const char *token)
{
  return set_spec_string(o, SPEC_FIELD(bearer), token, 0);
}

int ah__proxy_ok(const char *url)
{
  return (strncasecmp(url, "http://", 7) == 0 ||
          strncasecmp(url, "socks5://", 9) == 0 ||
          strncasecmp(url, "socks5h://", 10) == 0) &&
         strpbrk(url, "\r\n") == NULL;
}

/* "" means none. */
int ah_request_opts_set_proxy(ah_request_opts *o, const char *url)
{
  struct ah__reqspec *sp;

  if (o == NULL)
    return AH_EINVAL;
  if ((sp = writable(o)) == NULL)
    return AH_ENOMEM;
  if (url != NULL && *url != '\0' && !ah__proxy_ok(url))
    return refuse(sp, "the proxy URL is not http://, socks5:// or socks5h://");
  return set_spec_string(o, SPEC_FIELD(proxy), url, 0);
}

int ah_request_opts_set_unix_socket(ah_request_opts *o, const char *path)
{
  return set_spec_string(o, SPEC_FIELD(unix_path), path, 1);
}

/* Set the callback at offset of o's spec. */
static int set_cb(ah_request_opts *o, size_t offset, void (*fn)(void), void *ud)
{
  struct ah__reqspec *sp;
  struct ah__cb *cb;

  if (o == NULL)
    return AH_EINVAL;
  if ((sp = writable(o)) == NULL)
    return AH_ENOMEM;
  cb = (struct ah__cb *)(void *)((char *)sp + offset);
  cb->fn = fn;
  cb->ud = ud;
  return AH_OK;
}

int ah_request_opts_on_data(ah_request_opts *o, ah_data_cb cb, void *userdata)
{
  return set_cb(o, SPEC_FIELD(on_data), (void (*)(void))cb, userdata);
}

int ah_request_opts_on_headers(ah_request_opts *o, ah_headers_cb cb,
                               void *userdata)
{
  return set_cb(o, SPEC_FIELD(on_headers), (void (*)(void))cb, userdata);
}

int ah_request_opts_on_progress(ah_request_opts *o, ah_progress_cb cb,
                                void *userdata)
{
  return set_cb(o, SPEC_FIELD(on_progress), (void (*)(void))cb, userdata);
}

/* URLs. */

int ah__request_url(struct ah__request *q, const char *url,
                    const CURLU *base, const char **why)
{
  int how = 0, err;
  struct ah__plain pl;
  CURLUcode uc;

  if (url != NULL && (q->spec == NULL || q->spec->query == NULL) &&
      ah__url_plain_scan(url, &pl)) {
    /* Checked now; set into the slot's URL handle when it starts. */
    q->https = pl.https;
    q->literal = 1;
    q->plain_path = (uint16_t)pl.path;
    return AH_OK;
  }
  if ((err = ah__url_parse(url, base, &q->url, &how, why)) != AH_OK)
    return err;
  q->https = (how & AH__URL_HTTPS) != 0;
  /* Only a plain URL is, to the byte, what libcurl's parser makes of it
   * (tests/test_url.c): any other is reported as libcurl normalized it
   * (dot segments removed, escapes added), the URL actually requested. */
  q->literal = 0;
  if (q->spec != NULL && q->spec->query != NULL &&
      (uc = curl_url_set(q->url, CURLUPART_QUERY, q->spec->query,
                         CURLU_APPENDQUERY)) != CURLUE_OK)
    return ah__url_error(uc, why);
  return AH_OK;
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

/* Lifecycle events, for the session's hook. */

void ah__event(const struct ah__defaults *d, const struct ah__request *q,
               ah_event *ev)
{
  ev->future = q->f;
  ev->attempt = q->attempt;
  ah__future_cb_enter();
  d->on_event(ev, d->event_ud);
  ah__future_cb_leave();
}

void ah__tell(const struct ah__defaults *d, const struct ah__request *q,
              int type, int64_t t_ns, int status, int err, int64_t delay_ns)
{
  ah_event ev;

  memset(&ev, 0, sizeof ev);
  ev.type = type;
  ev.time_ns = t_ns;
  ev.status = status;
  ev.error = err;
  ev.delay_us = delay_ns / 1000;
  ah__event(d, q, &ev);
}

/* An event with no detail but its time. */
static void tell(const struct ah__defaults *d, const struct ah__request *q,
                 int type, int64_t t_ns)
{
  ah__tell(d, q, type, t_ns, 0, 0, 0);
}

static curl_off_t info_off(CURL *e, CURLINFO what)
{
  curl_off_t v = 0;

  curl_easy_getinfo(e, what, &v);
  return v;
}

/* The connection is ready: tell the hook how it came to be. libcurl's
 * phase times add up over the requests of a transfer (a digest
 * challenge and its answer, a resend on a reused connection), so
 * this request's phases are what they grew by since the last one sent,
 * placed back from now (the moment the connection is ready and the
 * request about to be sent). */
static void tell_connection(struct ah__slot *slot, struct ah__request *q)
{
  const struct ah__defaults *d = slot->d;
  CURL *e = slot->easy;
  curl_off_t dns = info_off(e, CURLINFO_NAMELOOKUP_TIME_T);
  curl_off_t con = info_off(e, CURLINFO_CONNECT_TIME_T);
  curl_off_t tls = info_off(e, CURLINFO_APPCONNECT_TIME_T);
  int64_t now = ah__now_ns();
  long conns = 0;

  curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &conns);
  if (conns > slot->ph_conns) {
    /* libcurl's phase times run from the start of this request (added
     * up over a transfer's requests, hence the differences); its pretransfer
     * time is stamped only after this callback. The connection was
     * ready just now, at the end of its last phase: the hop started
     * that phase's length ago. */
    int64_t d_dns = (int64_t)(dns - slot->ph_dns) * 1000;
    int64_t d_con = (int64_t)(con - slot->ph_connect) * 1000;
    int64_t d_tls = tls > slot->ph_tls ? (int64_t)(tls - slot->ph_tls) * 1000 : 0;
    int64_t start = now - (d_tls > d_con ? d_tls : d_con);
    tell(d, q, AH_EVENT_DNS, start + d_dns);
    tell(d, q, AH_EVENT_CONNECTED, start + d_con);
    if (d_tls > 0)
      tell(d, q, AH_EVENT_TLS, start + d_tls);
  } else {
    ah_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = AH_EVENT_CONNECTED;
    ev.time_ns = now;
    ev.reused = 1;
    ah__event(d, q, &ev);
  }
  tell(d, q, AH_EVENT_SENT, now);
  slot->ph_dns = dns;
  slot->ph_connect = con;
  slot->ph_tls = tls;
  slot->ph_conns = conns;
}

/* libcurl callbacks: feed the response, end the transfer on its verdict.
 * The caller's transfer callbacks run inside them: they count as
 * callbacks (a wait from one is refused with AH_EBUSY). */

static int stopped(struct ah__request *q, int verdict)
{
  if (verdict == 0)
    return 0;
  q->abort_err = AH_ESTOPPED;
  q->abort_why = "a callback of the request asked to stop";
  return 1;
}

/* The status and headers of the final response, to the caller. */
static int tell_headers(struct ah__request *q)
{
  const struct ah__reqspec *sp = q->spec;
  struct ah__resp_info info;
  char *url = NULL;
  ah_response *head;
  long code = 0;
  int verdict;

  curl_easy_getinfo(q->slot->easy, CURLINFO_EFFECTIVE_URL, &url);
  curl_easy_getinfo(q->slot->easy, CURLINFO_RESPONSE_CODE, &code);
  /* The journey so far is known: the head tells it (no timings yet). */
  memset(&info, 0, sizeof info);
  info.attempts = q->attempt;
  info.version = q->rx->version;
  if (q->j != NULL) {
    info.redirects = info.nhops = q->j->nhops;
    info.hops = q->j->hops;
    info.hops_len = q->j->hops_len;
  }
  if ((head = ah__response_build(q->rx, url, (int)code, &info)) == NULL) {
    q->abort_err = AH_ENOMEM;
    q->abort_why = "out of memory while presenting the response headers";
    return 1;
  }
  q->told = 1;
  ah__future_cb_enter();
  verdict = ((ah_headers_cb)sp->on_headers.fn)(q->f, head, sp->on_headers.ud);
  ah__future_cb_leave();
  ah__response_free(head);
  return stopped(q, verdict);
}

/* The first 401 of a request with digest credentials is the server's
 * challenge, which libcurl answers: not the final response. */
static int digest_challenge(struct ah__request *q)
{
  if (q->spec == NULL || !q->spec->digest || q->challenged ||
      q->rx->status != 401 || (q->j != NULL && q->j->foreign))
    return 0; /* off the origin no credentials answer it: final */
  q->challenged = 1;
  return 1;
}

/* A final response whose status the session retries: decided now, on
 * its headers, so that the caller's callbacks never see an attempt that
 * is not the last. 1 when it will be retried. */
static int retry_status(struct ah__request *q)
{
  struct ah__retrier *rt = q->slot->d->rt;
  int max;

  if (rt == NULL || (max = ah__request_attempts(q, rt->p.attempts)) <= 1 ||
      q->attempt >= max || !ah__retry_status(&rt->p, q->rx->status))
    return 0;
  q->retry_ns = ah__retry_decide(rt, q->attempt, max, AH__OUT_STATUS,
                                 q->rx->status,
                                 ah__request_resendable(q) && ah__request_replayable(q),
                                 ah__rx_header(q->rx, "retry-after"),
                                 ah__now_ns(), time(NULL));
  return q->retry_ns >= 0;
}

/* What a request changed on its slot, undone by ah__slot_recycle. */
enum {
  DIRTY_METHOD = 1, DIRTY_HEADERS = 2, DIRTY_TIMEOUT = 4, DIRTY_PIPEWAIT = 8,
  DIRTY_CONNECT = 16, DIRTY_IDLE = 32, DIRTY_AUTH = 128,
  DIRTY_PROXY = 256, DIRTY_UNIX = 512, DIRTY_PROGRESS = 1024, DIRTY_FORM = 2048,
  DIRTY_FRESH = 4096, DIRTY_TRACE = 8192
};

/* A byte came or went: the idle time starts over. */
static void moved(struct ah__slot *slot)
{
  if (slot->idle_ns != 0)
    slot->last_byte_ns = ah__now_ns();
}

static size_t on_header(char *buf, size_t size, size_t n, void *arg)
{
  struct ah__slot *slot = arg;
  struct ah__request *q = slot->q;
  int err;

  (void)size; /* always 1 */
  moved(slot);
  if (slot->d->on_event != NULL && !slot->ph_first_byte) {
    slot->ph_first_byte = 1;
    tell(slot->d, q, AH_EVENT_FIRST_BYTE, ah__now_ns());
  }
  if ((err = ah__rx_header_line(q->rx, buf, n, &q->abort_why)) != AH_OK) {
    q->abort_err = err;
    /* A header block refused: over HTTP/2, libcurl goes on decoding the
     * rest of it into its own header store after the stream is refused,
     * up to its own limits (8.21: 5,000 lines or 300 KiB), where nghttp2
     * fails and the connection is left with input it will feed again to
     * the next stream. Whatever sent such a block gets no other request
     * on that connection: libcurl closes it at the end of this transfer
     * (with no other stream on it; otherwise the first of those to fail
     * shuts it, see curl_bridge.c). */
    slot->dirty |= DIRTY_FRESH;
    curl_easy_setopt(slot->easy, CURLOPT_FORBID_REUSE, 1L);
    return 0;
  }
  if (!q->rx->complete)
    return n; /* a header line: what follows is for the blank line */
  if (ah__rx_final_headers(q->rx) && !digest_challenge(q)) {
    if (retry_status(q))
      return n; /* another attempt follows: this one's body is dropped */
    if (q->spec != NULL && q->spec->on_headers.fn != NULL && tell_headers(q))
      return 0;
  }
  return n;
}

static size_t on_write(char *buf, size_t size, size_t n, void *arg)
{
  struct ah__request *q = ((struct ah__slot *)arg)->q;
  const struct ah__reqspec *sp = q->spec;
  int err;

  (void)size;
  moved(arg);
  if (q->retry_ns >= 0)
    return n; /* an attempt that will be retried */
  /* A redirect's body is read and dropped, as libcurl's following did:
   * neither stored nor counted against the body limit, and the caller's
   * callback never sees it (the total timeout bounds it). */
  if (ah__rx_redirect_headers(q->rx))
    return n;
  if (sp != NULL && sp->on_data.fn != NULL) {
    int verdict;
    q->told = 1;
    ah__future_cb_enter();
    verdict = ((ah_data_cb)sp->on_data.fn)(q->f, buf, n, sp->on_data.ud);
    ah__future_cb_leave();
    return stopped(q, verdict) ? CURL_WRITEFUNC_ERROR : n;
  }
  if ((err = ah__rx_body(q->rx, buf, n, &q->abort_why)) != AH_OK) {
    q->abort_err = err;
    return CURL_WRITEFUNC_ERROR;
  }
  return n;
}

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
  struct ah__request *q = ((struct ah__slot *)arg)->q;
  const struct ah__reqspec *sp = q ? q->spec : NULL;
  long got;

  if (sp == NULL || sp->reader == NULL)
    return 0;
  q->body_dirty = 1;
  ah__future_cb_enter();
  got = sp->reader(q->f, buf, size * n, sp->reader_ud);
  ah__future_cb_leave();
  if (got < 0 || (size_t)got > size * n) {
    stopped(q, 1);
    if (got >= 0)
      q->abort_why = "the body reader returned more bytes than asked for";
    return CURL_READFUNC_ABORT;
  }
  return (size_t)got;
}

/* libcurl starts the body over by itself: a 307 or 308 it follows, an
 * auth challenge, a resend on a reused connection. Through the caller's
 * rewind callback, or not at all (the transfer then fails). */
static int on_seek(void *arg, curl_off_t offset, int origin)
{
  struct ah__request *q = ((struct ah__slot *)arg)->q;
  const char *why;

  if (q == NULL || offset != 0 || origin != SEEK_SET || q->spec == NULL ||
      q->spec->rewind == NULL)
    return CURL_SEEKFUNC_CANTSEEK;
  return ah__request_rewind(q, &why) == AH_OK ? CURL_SEEKFUNC_OK
                                              : CURL_SEEKFUNC_FAIL;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
  struct ah__slot *slot = arg;
  struct ah__request *q = slot->q;
  const struct ah__reqspec *sp = q ? q->spec : NULL;
  int verdict;

  /* The idle time runs once the request is sent (the connect timeout
   * covers what comes before); bytes sent count as bytes moving. */
  if (slot->idle_ns != 0 && q != NULL && q->sent) {
    int64_t now = ah__now_ns();
    if (ulnow != slot->last_ul) {
      slot->last_ul = ulnow;
      slot->last_byte_ns = now;
    } else if (now - slot->last_byte_ns >= slot->idle_ns) {
      q->abort_err = AH_ETIMEDOUT;
      q->abort_why = "no byte came or went for the idle timeout";
      return 1;
    }
  }
  if (sp == NULL || sp->on_progress.fn == NULL)
    return 0;
  ah__future_cb_enter();
  verdict = ((ah_progress_cb)sp->on_progress.fn)(
      q->f, (long long)dlnow, (long long)dltotal, (long long)ulnow,
      (long long)ultotal, sp->on_progress.ud);
  ah__future_cb_leave();
  return stopped(q, verdict);
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

/* libcurl's receive buffer (CURLOPT_BUFFERSIZE), and what of it an HTTP/2
 * header block may fill where a larger one stalls (h2_header_stall): the
 * status line and the blank line fit beside it. */
#define AH__RECV_BUFFER 65536
#define AH__H2_HEADER_ROOM (AH__RECV_BUFFER - 512)

/* 1 when q may go over HTTP/2. */
static int may_be_h2(const struct ah__request *q, const struct ah__defaults *d)
{
  return ah__curl_caps()->http2 && d->http_version != AH_HTTP_1_1 &&
         (q->https || d->http_version == AH_HTTP_2_PRIOR_KNOWLEDGE);
}

/* libcurl tells of HTTP/2 refusals only in its trace, and in other
 * words in each release: the stream a request went out on ("Using Stream
 * ID: 1" in 7.88, "[HTTP/2] [1] OPENED stream" in 8.x), a GOAWAY
 * ("recveived GOAWAY, error=0, last_stream=0" in 7.88, "received ..." in
 * 8.x), a refused stream ("REFUSED_STREAM, retrying a fresh connect" in
 * 7.88; "[HTTP/2] [1] RESET: REFUSED_STREAM" from the http/2 trace
 * component in 8.3 to 8.18, see ah__curl_caps_init; "stream 1 refused by
 * server" in 8.19 on). Each is read as positive evidence only: a line
 * not understood proves nothing, and the request is then not sent twice. */
/* 1 when line is all of fmt (one %ld, into *v, then %n): a whole line in
 * libcurl's exact words, never a part of one, since other lines of the
 * trace echo the URL, the request's headers and a server's GOAWAY text. */
static int whole(const char *line, const char *fmt, long *v)
{
  int end = -1;

  return sscanf(line, fmt, v, &end) == 1 && end > 0 && line[end] == '\0';
}

void ah__refusal_note(struct ah__refusal *w, const char *text, size_t len)
{
  char line[160];
  long v = 0, e;
  int end = -1;

  if (len >= sizeof line)
    return; /* none of the lines read here is that long */
  memcpy(line, text, len);
  line[len] = '\0';
  if (len > 0 && line[len - 1] == '\n')
    line[len - 1] = '\0';
  if (strcmp(line, "REFUSED_STREAM, retrying a fresh connect") == 0) {
    w->refused = 1; /* 7.88, 8.5: this transfer's own stream */
  } else if (whole(line, "HTTP/2 stream %ld refused by server, try again on a new connection%n", &v) ||
             whole(line, "[HTTP/2] [%ld] REFUSED_STREAM, try again on a new connection%n", &v)) {
    if (w->sid > 0 && v == w->sid)
      w->refused = 1;
  } else if (whole(line, "Using Stream ID: %ld (easy handle 0x%*x)%n", &v) ||
             (sscanf(line, "[HTTP/2] [%ld] OPENED stream for %n", &v, &end) == 1 && end > 0)) {
    w->sid = v > 0 && v <= INT32_MAX ? (int32_t)v : 0;
  } else if ((sscanf(line, "recveived GOAWAY, error=%ld, last_stream=%ld%n", &e, &v, &end) == 2 ||
              sscanf(line, "received GOAWAY, error=%ld, last_stream=%ld%n", &e, &v, &end) == 2) &&
             end > 0 && line[end] == '\0' && v >= 0 && v <= INT32_MAX) {
    w->goaway_last = (int32_t)v;
  }
}

int ah__refusal_unprocessed(const struct ah__refusal *w)
{
  return w->refused || (w->sid > 0 && w->goaway_last >= 0 && w->goaway_last < w->sid);
}

static int on_trace(CURL *e, curl_infotype type, char *data, size_t size, void *arg)
{
  (void)e;
  if (type == CURLINFO_TEXT)
    ah__refusal_note(&((struct ah__slot *)arg)->watch, data, size);
  return 0;
}

/* Whether q reads libcurl's trace for refusals: only where it changes
 * the outcome (a request not sent twice without proof, over HTTP/2, with
 * retries of resets on), since the trace makes libcurl format every line
 * of its verbose output. */
static int watch_refusals(const struct ah__request *q, const struct ah__defaults *d)
{
  const struct ah__retrier *rt = d->rt;

  return may_be_h2(q, d) && rt != NULL && ah__retry_wanted(&rt->p, AH__OUT_REFUSED, 0) &&
         ah__request_attempts(q, rt->p.attempts) > 1 && !ah__request_resendable(q);
}

/* libcurl resends a request whose HTTP/2 stream the server refused
 * (REFUSED_STREAM, or above a GOAWAY's last stream id) by itself: nothing
 * was processed, so any method may go again, as an attempt of its retry
 * policy. 1 when this resend is one. */
static int refused_resend(struct ah__slot *slot, struct ah__request *q)
{
  const struct ah__retrier *rt = slot->d->rt;

  /* 7.88 tells of a refused stream on a connection other streams share
   * in no line; it resent such a stream when one of ours was opened (the
   * trace named it) and no error text came before the resend: every other
   * way 7.88 loses an HTTP/2 stream (reset, connection closed, a read or
   * write failing) writes one. */
  int silent = ah__curl_caps()->h2_refusal_silent && slot->watch.sid > 0 &&
               slot->errbuf[0] == '\0';

  if (!(ah__refusal_unprocessed(&slot->watch) || silent) || rt == NULL ||
      !ah__retry_wanted(&rt->p, AH__OUT_REFUSED, 0) ||
      q->attempt >= ah__request_attempts(q, rt->p.attempts))
    return 0;
  if (slot->d->on_event != NULL)
    ah__tell(slot->d, q, AH_EVENT_RETRY, ah__now_ns(), 0, AH_EIO, 0);
  q->attempt++;
  slot->watch.sid = 0; /* a new stream now */
  slot->watch.goaway_last = -1;
  slot->watch.refused = 0;
  return 1;
}

/* The connection is ready and the request is about to be sent: on a new
 * or a reused connection, after each redirect, and when libcurl sends it
 * again by itself. libcurl 7.88 resends any request, a POST too, when a
 * reused keep-alive connection turns out closed before any response
 * byte; the server may have acted on the first copy. A request that is
 * not idempotent is not resent unless it allows it
 * (ah_request_opts_set_retries). */
static int prereq(void *arg, char *remote_ip, char *local_ip, int remote_port,
                  int local_port)
{
  struct ah__slot *slot = arg;
  struct ah__request *q = slot->q;
  size_t rn = strlen(remote_ip), ln = strlen(local_ip);

  /* Kept for the response: four curl_easy_getinfo calls fewer. */
  slot->addr_ok = rn < sizeof slot->remote_ip && ln < sizeof slot->local_ip;
  if (slot->addr_ok) {
    memcpy(slot->remote_ip, remote_ip, rn + 1);
    memcpy(slot->local_ip, local_ip, ln + 1);
    slot->remote_port = remote_port;
    slot->local_port = local_port;
  }
  if (q == NULL)
    return CURL_PREREQFUNC_OK;
  /* Sent before and no final response since: libcurl is sending the
   * same request again (after a 401 the response is new, and so is the
   * request; a redirect is a new transfer, sent afresh). */
  if (q->sent && (uint8_t)q->rx->finals == q->sent_finals &&
      !ah__request_resendable(q) && !refused_resend(slot, q)) {
    q->abort_err = AH_EIO;
    q->abort_why = "the server closed the reused connection before "
                   "answering; a request that is not idempotent is not sent "
                   "twice";
    q->empty_reply = 1;
    return CURL_PREREQFUNC_ABORT;
  }
  q->sent = 1;
  q->sent_finals = (uint8_t)q->rx->finals;
  if (slot->idle_ns != 0)
    slot->last_byte_ns = ah__now_ns();
  if (slot->d->on_event != NULL)
    tell_connection(slot, q);
  return CURL_PREREQFUNC_OK;
}

static long curl_http_version(int v)
{
  switch (v) {
  case AH_HTTP_1_1: return CURL_HTTP_VERSION_1_1;
  case AH_HTTP_2_PRIOR_KNOWLEDGE: return CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
  case AH_HTTP_2: return CURL_HTTP_VERSION_2TLS;
  default: /* AH_HTTP_DEFAULT: HTTP/2 when this libcurl has it */
    return ah__curl_caps()->http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1;
  }
}

int ah__request_supported(const struct ah__request *q, const struct ah__defaults *d,
                          const char **why)
{
  const struct ah__curl_caps *c = ah__curl_caps();

  if (q->https && !c->tls) {
    *why = "the libcurl in use was built without TLS: https cannot be fetched";
    return AH_ENOTSUP;
  }
  if (!c->http2 && (d->http_version == AH_HTTP_2 ||
                    d->http_version == AH_HTTP_2_PRIOR_KNOWLEDGE)) {
    *why = "the libcurl in use was built without HTTP/2";
    return AH_ENOTSUP;
  }
  return AH_OK;
}

#define SET(opt, val) \
  do { if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val); } while (0)

/* A multipart body from the spec's parts, on the slot's handle. */
static int build_form(struct ah__slot *slot, const struct ah__reqspec *sp,
                      const char **why)
{
  const struct ah__form *p;
  curl_mime *m = curl_mime_init(slot->easy);
  CURLcode rc = CURLE_OK;

  if (m == NULL)
    return AH_ENOMEM;
  slot->mime = m;
  for (p = sp->form; p && rc == CURLE_OK; p = p->next) {
    curl_mimepart *part = curl_mime_addpart(m);
    if (part == NULL)
      return AH_ENOMEM;
    rc = curl_mime_name(part, p->name);
    if (rc == CURLE_OK && p->is_file) {
      FILE *fp = fopen(p->value, "rb"); /* refuse a missing file now */
      if (fp == NULL) {
        *why = "a form file cannot be read";
        return AH_EINVAL;
      }
      fclose(fp);
      rc = curl_mime_filedata(part, p->value);
      if (rc == CURLE_OK && p->filename)
        rc = curl_mime_filename(part, p->filename);
    } else if (rc == CURLE_OK) {
      rc = curl_mime_data(part, p->value, CURL_ZERO_TERMINATED);
    }
    if (rc == CURLE_OK && p->type)
      rc = curl_mime_type(part, p->type);
  }
  if (rc == CURLE_OK)
    rc = curl_easy_setopt(slot->easy, CURLOPT_MIMEPOST, m);
  return rc == CURLE_OK ? AH_OK : AH_ENOMEM;
}

static CURLcode set_method(struct ah__slot *slot, const struct ah__reqspec *sp)
{
  const char *m = sp->method;
  CURL *e = slot->easy;
  CURLcode rc = CURLE_OK;
  int body = with_body(sp);

  if (m != NULL && strcmp(m, "HEAD") == 0) {
    SET(CURLOPT_NOBODY, 1L);
  } else if (sp->form != NULL) {
    /* set by build_form */
  } else if (sp->reader != NULL) {
    /* Unknown length: chunked over HTTP/1.1. */
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)sp->reader_len);
  } else if (sp->has_body || (m != NULL && strcmp(m, "POST") == 0)) {
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)sp->body_len);
    SET(CURLOPT_POSTFIELDS, sp->body ? sp->body : "");
  }
  /* GET with a body needs the method named, or libcurl sends POST. */
  if (m != NULL && strcmp(m, "HEAD") != 0 && strcmp(m, "POST") != 0 &&
      (strcmp(m, "GET") != 0 || body))
    SET(CURLOPT_CUSTOMREQUEST, m);
  return rc;
}


int ah__defaults_headers(struct ah__defaults *d)
{
  struct curl_slist *l = NULL, *n, *x;
  char *ua = NULL;

  if (d->user_agent != NULL) {
    if ((ua = ah__malloc(strlen(d->user_agent) + 13)) == NULL)
      return AH_ENOMEM;
    strcpy(ua, "User-Agent: ");
    strcat(ua, d->user_agent);
    n = curl_slist_append(l, ua);
    ah__free(ua);
    if (n == NULL)
      return AH_ENOMEM;
    l = n;
  }
  /* What libcurl sends for CURLOPT_ACCEPT_ENCODING "" with the decoders
   * of the libcurl running; sent from the prebuilt list, libcurl still
   * decodes. */
  if (ah__curl_caps()->accept_encoding != NULL) {
    if ((n = curl_slist_append(l, ah__curl_caps()->accept_encoding)) == NULL)
      goto nomem;
    l = n;
  }
  for (x = d->extra; x; x = x->next) {
    if ((n = curl_slist_append(l, x->data)) == NULL)
      goto nomem;
    l = n;
  }
  d->headers = l;
  return AH_OK;
nomem:
  curl_slist_free_all(l);
  return AH_ENOMEM;
}

/* The name of a header line ("Name: v", "Name:" or "Name;"): its length. */
static size_t header_name_len(const char *line)
{
  return strcspn(line, ":;");
}

static int has_header(const struct curl_slist *l, const char *line)
{
  size_t n = header_name_len(line);

  for (; l; l = l->next)
    if (header_name_len(l->data) == n && strncasecmp(l->data, line, n) == 0)
      return 1;
  return 0;
}

/* The session's lines a request did not name itself, then the request's:
 * a request's header replaces the session's of the same name. */
static struct curl_slist *merge_headers(const struct curl_slist *session,
                                        const struct curl_slist *request)
{
  struct curl_slist *l = NULL, *n;
  const struct curl_slist *h;

  for (h = session; h; h = h->next) {
    if (has_header(request, h->data))
      continue;
    if ((n = curl_slist_append(l, h->data)) == NULL)
      goto nomem;
    l = n;
  }
  for (h = request; h; h = h->next) {
    if ((n = curl_slist_append(l, h->data)) == NULL)
      goto nomem;
    l = n;
  }
  return l;
nomem:
  curl_slist_free_all(l);
  return NULL;
}

/* A body goes as what it is. libcurl labels a raw body (memory or
 * reader) application/x-www-form-urlencoded, as curl -d does; ahttp sends
 * application/octet-stream, as aiohttp does, unless the caller named a
 * Content-Type (request or session). And libcurl asks for "100 Continue"
 * before a chunked or large body, then waits up to a second for a server
 * that never sends one: ahttp sends the body at once, unless the caller
 * set Expect. The lines a request needs, as BODY_* bits. */
enum { BODY_TYPE = 1, BODY_NO_EXPECT = 2 };
static int body_defaults(const struct ah__defaults *d, const struct ah__reqspec *sp)
{
  int need = 0;

  if (!with_body(sp))
    return 0;
  if (sp->form == NULL && !has_header(sp->headers, "Content-Type") &&
      !has_header(d->headers, "Content-Type"))
    need |= BODY_TYPE;
  if (!has_header(sp->headers, "Expect") && !has_header(d->headers, "Expect"))
    need |= BODY_NO_EXPECT;
  return need;
}

static int add_body_defaults(struct curl_slist **l, int need)
{
  struct curl_slist *n;

  if ((need & BODY_TYPE) &&
      (n = curl_slist_append(*l, "Content-Type: application/octet-stream")) != NULL)
    *l = n, need &= ~BODY_TYPE;
  if ((need & BODY_NO_EXPECT) && (n = curl_slist_append(*l, "Expect:")) != NULL)
    *l = n, need &= ~BODY_NO_EXPECT;
  return need == 0 ? AH_OK : AH_ENOMEM;
}

/* Idle: no byte for the idle time, header lines and 1xx responses
 * counted (libcurl's low-speed limit counts body bytes only, and in whole
 * seconds). ahttp keeps the time itself (on_progress), and asks libcurl
 * only for its low-speed check's tick: a limit it never reaches in time
 * (a year) keeps the progress callback coming once a second while
 * nothing moves. 0: none. */
static CURLcode set_idle(CURL *e, long idle_ms)
{
  CURLcode rc = curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, idle_ms > 0 ? 1L : 0L);

  if (rc == CURLE_OK)
    rc = curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, idle_ms > 0 ? 365L * 86400 : 0L);
  if (rc == CURLE_OK)
    rc = curl_easy_setopt(e, CURLOPT_NOPROGRESS, idle_ms > 0 ? 0L : 1L);
  return rc;
}


struct ah__slot *ah__slot_new(const struct ah__defaults *d)
{
  struct ah__slot *slot = ah__calloc(1, sizeof *slot);
  CURLcode rc = CURLE_OK;
  CURL *e;

  if (slot == NULL)
    return NULL;
  if ((slot->rx = ah__rx_new(d->max_body, d->max_header,
                             d->max_redirects > 0 ? AH__FOLLOW_ALL : 0)) == NULL ||
      (e = slot->easy = curl_easy_init()) == NULL) {
    ah__rx_free(slot->rx);
    ah__free(slot);
    return NULL;
  }
  slot->d = d;
  SET(CURLOPT_PRIVATE, slot);
  SET(CURLOPT_ERRORBUFFER, slot->errbuf);
  SET(CURLOPT_NOSIGNAL, 1L);
  /* A request still resolving its host name is let go at once (canceled,
   * timed out, its session freed): without this libcurl joins the
   * resolver thread, and a cancel waited for getaddrinfo (3 s for a slow
   * resolver). The thread finishes on its own and frees what it has. */
  SET(CURLOPT_QUICK_EXIT, 1L);
  /* Naming a protocol this libcurl lacks fails the option: no https
   * without TLS (ah__request_supported refuses such URLs). */
  SET(CURLOPT_PROTOCOLS_STR, ah__curl_caps()->tls ? "http,https" : "http");
  /* libcurl's following stays off (its default): each redirect is a
   * transfer of its own, decided by ahttp (ah__request_redirect). */
  SET(CURLOPT_TIMEOUT_MS, d->total_ms);
  SET(CURLOPT_CONNECTTIMEOUT_MS, d->connect_ms);
  if (rc == CURLE_OK)
    rc = set_idle(e, d->idle_ms);
  SET(CURLOPT_ACCEPT_ENCODING, ""); /* every decoder libcurl has */
  SET(CURLOPT_HEADERFUNCTION, on_header);
  SET(CURLOPT_HEADERDATA, slot);
  SET(CURLOPT_WRITEFUNCTION, on_write);
  SET(CURLOPT_WRITEDATA, slot);
  SET(CURLOPT_READFUNCTION, on_read);
  SET(CURLOPT_READDATA, slot);
  SET(CURLOPT_SEEKFUNCTION, on_seek);
  SET(CURLOPT_SEEKDATA, slot);
  /* A proxy's answer to CONNECT is not a response of the request: it
   * must not count as one (sent once, retries, the headers callback). */
  SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  SET(CURLOPT_XFERINFOFUNCTION, on_progress);
  SET(CURLOPT_XFERINFODATA, slot);
  SET(CURLOPT_PREREQFUNCTION, prereq);
  SET(CURLOPT_PREREQDATA, slot);
  SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
  SET(CURLOPT_OPENSOCKETDATA, slot);
  SET(CURLOPT_DEBUGFUNCTION, on_trace); /* called only with CURLOPT_VERBOSE */
  SET(CURLOPT_DEBUGDATA, slot);
  if ((slot->bridge = d->bridge) != NULL && rc == CURLE_OK)
    rc = ah__bridge_prepare(d->bridge, e);
  /* libcurl's 16 KiB default halves the rate of 1 MiB responses under
   * multi_socket; 64 KiB measured best (bench W3: 1,244 -> 3,001 req/s,
   * 128 KiB 2,423, 256 KiB 2,101), for 3.6 MiB more peak RSS. */
  SET(CURLOPT_BUFFERSIZE, (long)AH__RECV_BUFFER);
  /* Proxy environment variables are not obeyed, as in aiohttp (trust_env
   * off): a library should not change where a service's requests go
   * behind its back. A proxy is an explicit option. This also spares
   * libcurl's per-request getenv() probing. */
  SET(CURLOPT_PROXY, d->proxy ? d->proxy : "");
  SET(CURLOPT_NOPROXY, "");
  if (d->unix_path)
    SET(CURLOPT_UNIX_SOCKET_PATH, d->unix_path);
  if (!d->no_cookies)
    SET(CURLOPT_COOKIEFILE, ""); /* the engine on; the jar is shared */
  SET(CURLOPT_HTTP_VERSION, curl_http_version(d->http_version));
  /* libcurl before 8.0 breaks a cleartext HTTP/2 connection it reuses
   * with prior knowledge ("Error in the HTTP2 framing layer" on every
   * request after the first; curl issue 10634): there each such request
   * gets a connection of its own (see ah__request_setup). */
  slot->h2c_fresh = d->http_version == AH_HTTP_2_PRIOR_KNOWLEDGE &&
                    ah__curl_caps()->h2c_reuse_broken;
  /* With prior knowledge every request may share one connection: wait
   * for it rather than open another. Over TLS, per request (https). */
  if (d->http_version == AH_HTTP_2_PRIOR_KNOWLEDGE && !slot->h2c_fresh)
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
  if (d->pinned_key)
    SET(CURLOPT_PINNEDPUBLICKEY, d->pinned_key);
  if (d->connect_to)
    SET(CURLOPT_CONNECT_TO, d->connect_to);
  SET(CURLOPT_HTTPHEADER, d->headers);
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
  ah__url_cache_free(&slot->urls); /* the handle pointed to it: after */
  curl_mime_free(slot->mime);
  curl_slist_free_all(slot->merged);
  curl_slist_free_all(slot->stripped);
  ah__rx_free(slot->rx);
  ah__free(slot);
}

void ah__slot_recycle(struct ah__slot *slot)
{
  const struct ah__defaults *d = slot->d;
  CURL *e = slot->easy;
  unsigned dirty = slot->dirty;

  /* Setting NULL or a number allocates nothing and cannot fail; nor does
   * a string the handle held before (libcurl frees the old copy first). */
  if (dirty & (DIRTY_METHOD | DIRTY_FORM)) {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1);
    curl_easy_setopt(e, CURLOPT_NOBODY, 0L);
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  }
  if (dirty & DIRTY_FORM) {
    curl_easy_setopt(e, CURLOPT_MIMEPOST, NULL);
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    curl_mime_free(slot->mime);
    slot->mime = NULL;
  }
  if (dirty & DIRTY_HEADERS) {
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, d->headers);
    curl_slist_free_all(slot->merged);
    curl_slist_free_all(slot->stripped);
    slot->merged = slot->stripped = NULL;
  }
  if (dirty & DIRTY_TIMEOUT)
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, d->total_ms);
  if (dirty & DIRTY_CONNECT)
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, d->connect_ms);
  if (dirty & DIRTY_IDLE)
    set_idle(e, d->idle_ms);
  if (dirty & DIRTY_AUTH) {
    curl_easy_setopt(e, CURLOPT_USERNAME, NULL);
    curl_easy_setopt(e, CURLOPT_PASSWORD, NULL);
    curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, NULL);
    curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
  }
  if (dirty & DIRTY_PROXY)
    curl_easy_setopt(e, CURLOPT_PROXY, d->proxy ? d->proxy : "");
  if (dirty & DIRTY_UNIX)
    curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, d->unix_path);
  if (dirty & DIRTY_PROGRESS)
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, d->idle_ms > 0 ? 0L : 1L);
  if (dirty & DIRTY_PIPEWAIT)
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 0L);
  if (dirty & DIRTY_TRACE)
    curl_easy_setopt(e, CURLOPT_VERBOSE, 0L);
  if (dirty & DIRTY_FRESH) {
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 0L);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 0L);
  }
  curl_easy_setopt(e, CURLOPT_CURLU, NULL);
  /* libcurl 7.88 turns a CURLU into its URL string only while the handle
   * has none: without this the next request's effective URL (the
   * response's URL, the URL in an error message) would be this one's. */
  curl_easy_setopt(e, CURLOPT_URL, NULL);
  /* A failed request may leave a large partial body: let it go now. */
  ah__rx_reset(slot->rx, d->max_body, d->max_header,
               d->max_redirects > 0 ? AH__FOLLOW_ALL : 0);
  slot->dirty = 0;
  slot->q = NULL;
}

/* The header names a hop after a redirect leaves behind: the secrets
 * when it left the original origin (and a Host the caller set, which
 * names that origin), the body's when it became a GET (as the Fetch
 * standard drops them on a redirect). */
static const char *const secret_names[] = {"Authorization", "Proxy-Authorization",
                                           "Cookie", "Host", NULL};
static const char *const body_names[] = {"Content-Type", "Content-Length",
                                         "Content-Encoding", "Content-Language",
                                         "Content-Location", "Transfer-Encoding",
                                         NULL};

static int named(const char *const *names, const char *line)
{
  size_t n = header_name_len(line);

  for (; *names; names++)
    if (strlen(*names) == n && strncasecmp(*names, line, n) == 0)
      return 1;
  return 0;
}

/* A hop after a redirect, on top of what the request itself sets: the
 * header lines it leaves behind, and what is left of the total timeout
 * (it spans the hops of an attempt). AH_OK, AH_ETIMEDOUT or AH_ENOMEM. */
static int setup_hop(struct ah__request *q, long total, const char **why)
{
  struct ah__slot *slot = q->slot;
  const struct ah__journey *j = q->j;
  const struct curl_slist *from = slot->merged ? slot->merged : slot->d->headers, *h;
  const struct curl_slist *sensitive = q->spec ? q->spec->sensitive : NULL;
  struct curl_slist *out = NULL, *n;
  CURL *e = slot->easy;

  if (total > 0 && j->spent_us > 0) {
    long left = total - (long)(j->spent_us / 1000);
    if (left <= 0) {
      *why = "the total timeout passed while following redirects";
      return AH_ETIMEDOUT;
    }
    slot->dirty |= DIRTY_TIMEOUT;
    if (curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, left) != CURLE_OK)
      return AH_ENOMEM;
  }
  if (!j->foreign && !j->get)
    return AH_OK;
  for (h = from; h; h = h->next) {
    if ((j->foreign && (named(secret_names, h->data) || has_header(sensitive, h->data))) ||
        (j->get && named(body_names, h->data)))
      continue;
    if ((n = curl_slist_append(out, h->data)) == NULL)
      goto nomem;
    out = n;
  }
  if (out == NULL && (out = curl_slist_append(NULL, ":")) == NULL)
    goto nomem; /* a line libcurl ignores: NULL would mean its defaults */
  slot->stripped = out;
  slot->dirty |= DIRTY_HEADERS;
  if (curl_easy_setopt(e, CURLOPT_HTTPHEADER, out) != CURLE_OK)
    return AH_ENOMEM;
  return AH_OK;
nomem:
  curl_slist_free_all(out);
  return AH_ENOMEM;
}

/* Override a session default with the request's value when it differs. */
#define OVERRIDE(flag, cond, opt, val) \
  do { if (cond) { slot->dirty |= (flag); SET(opt, val); } } while (0)

int ah__request_setup(struct ah__request *q, const char **why)
{
  struct ah__slot *slot = q->slot;
  const struct ah__defaults *d = slot->d;
  const struct ah__reqspec *sp = q->spec;
  CURL *e = slot->easy;
  const struct ah__journey *j = q->j;
  CURLcode rc = CURLE_OK;
  long redirects = d->max_redirects, total = d->total_ms;
  int err, need;
  unsigned follow = AH__FOLLOW_ALL;

  slot->q = q;
  slot->errbuf[0] = '\0'; /* never an earlier request's message */
  slot->idle_ns = (int64_t)d->idle_ms * 1000000; /* a request may change it */
  slot->last_ul = 0;
  if (ah__curl_caps()->os_errno_sticky)
    curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &slot->errno_before);
  slot->addr_ok = 0;
  if (d->on_event != NULL) {
    slot->ph_dns = slot->ph_connect = slot->ph_tls = 0;
    slot->ph_conns = 0;
    slot->ph_first_byte = 0;
  }
  *why = "no memory to set the request up";
  if (j != NULL) {
    SET(CURLOPT_CURLU, j->url);
  } else if (q->url != NULL) {
    SET(CURLOPT_CURLU, q->url);
  } else {
    CURLU *u;
    CURLUcode uc = ah__url_cache_set(&slot->urls, q->url_str, q->plain_path, &u);
    if (uc != CURLUE_OK)
      return ah__url_error(uc, why);
    SET(CURLOPT_CURLU, u);
  }
  /* libcurl 7.88 turns the CURLU into the URL string it reports with a
   * curl_url_get of about 6,000 instructions, unless the handle has a
   * string already: the one given to the fetch, when it is the whole URL. */
  if (q->url_str != NULL && j == NULL)
    SET(CURLOPT_URL, q->url_str);
  if (q->https && slot->multiplex_tls) {
    slot->dirty |= DIRTY_PIPEWAIT;
    SET(CURLOPT_PIPEWAIT, 1L);
  }
  slot->watch.sid = 0;
  slot->watch.goaway_last = -1;
  slot->watch.refused = 0;
  /* A header block libcurl would stall on ends at once, AH_ETOOLARGE
   * (the receiver is reset to the session's limit at recycle). */
  if (ah__curl_caps()->h2_header_stall && d->max_header > AH__H2_HEADER_ROOM &&
      may_be_h2(q, d))
    q->rx->max_header = AH__H2_HEADER_ROOM;
  if (watch_refusals(q, d)) {
    slot->dirty |= DIRTY_TRACE;
    SET(CURLOPT_VERBOSE, 1L);
  }
  if (!q->https && slot->h2c_fresh) {
    slot->dirty |= DIRTY_FRESH;
    SET(CURLOPT_FRESH_CONNECT, 1L);
    SET(CURLOPT_FORBID_REUSE, 1L);
  }
  if (sp != NULL) {
    if (sp->max_redirects >= 0)
      redirects = sp->max_redirects;
    if (sp->timeout_ms >= 0)
      total = sp->timeout_ms;
    OVERRIDE(DIRTY_TIMEOUT, total != d->total_ms, CURLOPT_TIMEOUT_MS, total);
    OVERRIDE(DIRTY_CONNECT, sp->connect_ms >= 0 && sp->connect_ms != d->connect_ms,
             CURLOPT_CONNECTTIMEOUT_MS, sp->connect_ms);
    if (sp->idle_ms >= 0 && sp->idle_ms != d->idle_ms && rc == CURLE_OK) {
      slot->dirty |= DIRTY_IDLE | DIRTY_PROGRESS;
      rc = set_idle(e, sp->idle_ms);
      slot->idle_ns = (int64_t)sp->idle_ms * 1000000;
    }
    /* A body that goes no further (a redirect made the request a GET)
     * has no defaults; one that cannot be sent again stops the redirects
     * that would need it. */
    need = j != NULL && j->get ? 0 : body_defaults(d, sp); /* 0 without a body */
    if (j == NULL || !j->get)
      follow = ah__journey_follows(sp->method, with_body(sp),
                                   sp->reader == NULL || sp->rewind != NULL);
    if (sp->headers != NULL || need != 0) {
      slot->dirty |= DIRTY_HEADERS;
      if ((slot->merged = merge_headers(d->headers, sp->headers)) == NULL ||
          add_body_defaults(&slot->merged, need) != AH_OK)
        return AH_ENOMEM;
      SET(CURLOPT_HTTPHEADER, slot->merged);
    }
    if ((sp->user != NULL || sp->bearer != NULL) && (j == NULL || !j->foreign)) {
      slot->dirty |= DIRTY_AUTH;
      if (sp->bearer != NULL) {
        SET(CURLOPT_XOAUTH2_BEARER, sp->bearer);
        SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
      } else {
        SET(CURLOPT_USERNAME, sp->user);
        SET(CURLOPT_PASSWORD, sp->password);
        SET(CURLOPT_HTTPAUTH, sp->digest ? (long)CURLAUTH_DIGEST
                                         : (long)CURLAUTH_BASIC);
      }
    }
    OVERRIDE(DIRTY_PROXY, sp->proxy != NULL, CURLOPT_PROXY, sp->proxy);
    OVERRIDE(DIRTY_UNIX, sp->unix_path != NULL, CURLOPT_UNIX_SOCKET_PATH,
             sp->unix_path);
    OVERRIDE(DIRTY_PROGRESS, sp->on_progress.fn != NULL, CURLOPT_NOPROGRESS, 0L);
    if (j != NULL && j->get) {
      /* the handle's default: GET, no body */
    } else {
      if (sp->form != NULL && rc == CURLE_OK) {
        slot->dirty |= DIRTY_FORM;
        if ((err = build_form(slot, sp, why)) != AH_OK)
          return err;
      }
      if (sp->method != NULL || sp->has_body || sp->reader != NULL) {
        slot->dirty |= DIRTY_METHOD;
        if (rc == CURLE_OK)
          rc = set_method(slot, sp);
      }
    }
  }
  if (j != NULL && rc == CURLE_OK && (err = setup_hop(q, total, why)) != AH_OK)
    return err;
  /* The receiver was reset when the slot was made or last recycled. */
  q->rx->follow = (uint8_t)(redirects > 0 ? follow : 0);
  return rc == CURLE_OK ? AH_OK : AH_ENOMEM;
}
#undef OVERRIDE
#undef SET

static int64_t info_us(CURL *e, CURLINFO what)
{
  curl_off_t v = 0;

  curl_easy_getinfo(e, what, &v);
  return (int64_t)v;
}

static int64_t at_least(int64_t v, int64_t floor)
{
  return v > floor ? v : floor;
}

/* Timings, version, redirects and addresses of a finished transfer. The
 * marks are made monotonic: a phase the request skipped (no TLS, a reused
 * connection) takes no time, its mark equal to the one before. */
static void resp_info(struct ah__request *q, struct ah__resp_info *in)
{
  CURL *e = q->slot->easy;
  int64_t *t = in->time_us;

  in->attempts = q->attempt;
  t[AH_TIME_QUEUE] = q->queued_ns / 1000;
  t[AH_TIME_LOOKUP] = info_us(e, CURLINFO_NAMELOOKUP_TIME_T);
  t[AH_TIME_CONNECT] = at_least(info_us(e, CURLINFO_CONNECT_TIME_T),
                                t[AH_TIME_LOOKUP]);
  t[AH_TIME_TLS] = at_least(info_us(e, CURLINFO_APPCONNECT_TIME_T),
                            t[AH_TIME_CONNECT]);
  t[AH_TIME_FIRST_BYTE] = at_least(info_us(e, CURLINFO_STARTTRANSFER_TIME_T),
                                   t[AH_TIME_TLS]);
  t[AH_TIME_TOTAL] = at_least(info_us(e, CURLINFO_TOTAL_TIME_T),
                              t[AH_TIME_FIRST_BYTE]);
  /* The marks above are the final hop's (each hop is a transfer of its
   * own); the hops before it took the redirect time. */
  t[AH_TIME_REDIRECT] = 0;
  in->redirects = in->nhops = 0;
  in->hops = NULL;
  in->hops_len = 0;
  if (q->j != NULL) {
    t[AH_TIME_REDIRECT] = q->j->spent_us;
    in->redirects = in->nhops = q->j->nhops;
    in->hops = q->j->hops;
    in->hops_len = q->j->hops_len;
  }
  in->version = q->rx->version; /* the final status line's */
  if (q->slot->addr_ok) {
    in->remote_ip = q->slot->remote_ip;
    in->local_ip = q->slot->local_ip;
    in->remote_port = q->slot->remote_port;
    in->local_port = q->slot->local_port;
  } else {
    in->remote_ip = in->local_ip = NULL;
    in->remote_port = in->local_port = 0;
    curl_easy_getinfo(e, CURLINFO_PRIMARY_IP, &in->remote_ip);
    curl_easy_getinfo(e, CURLINFO_PRIMARY_PORT, &in->remote_port);
    curl_easy_getinfo(e, CURLINFO_LOCAL_IP, &in->local_ip);
    curl_easy_getinfo(e, CURLINFO_LOCAL_PORT, &in->local_port);
  }
  in->url_plain = 0;
}

/* The OS errno of this transfer's failure, 0 if none. Before 8.8 the
 * handle keeps an earlier transfer's: the same value as at setup is this
 * transfer's only if its error text names it (libcurl writes "Recv
 * failure: Connection reset by peer" for a reset); a reset and then a bad
 * chunk on one handle read as two resets otherwise. */
static long transfer_errno(const struct ah__request *q)
{
  const struct ah__slot *slot = q->slot;
  long e = 0;
  char buf[128];

  curl_easy_getinfo(slot->easy, CURLINFO_OS_ERRNO, &e);
  if (e != 0 && ah__curl_caps()->os_errno_sticky && e == slot->errno_before &&
      strstr(slot->errbuf, strerror_r((int)e, buf, sizeof buf)) == NULL)
    return 0;
  return e;
}

int ah__request_result(struct ah__request *q, CURLcode rc, char **msg,
                       ah_response **resp)
{
  char *eff = NULL;
  const char *why;
  int err;
  CURL *easy = q->slot->easy;

  *msg = NULL;
  *resp = NULL;
  if (rc == CURLE_OK && ah__rx_headers_complete(q->rx)) {
    struct ah__resp_info info;
    resp_info(q, &info);
    /* Without a redirect, the URL libcurl reports is the string it was
     * given; the status is the final status line's, as libcurl's. */
    if (q->url_str != NULL && q->j == NULL) {
      eff = (char *)q->url_str;
      info.url_plain = q->url == NULL; /* plain: no user:password@ */
    } else {
      curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &eff);
    }
    if ((*resp = ah__response_build(q->rx, eff, q->rx->status, &info)) != NULL)
      return AH_OK;
    *msg = ah__message(AH_ENOMEM, "out of memory while storing the response", eff);
    return AH_ENOMEM;
  }
  curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &eff);
  if (rc == CURLE_OK) {
    /* libcurl 7.88 calls a response cut inside its headers a success. */
    err = AH_EPROTO;
    why = "the connection closed before the end of the response headers";
  } else if (q->abort_err != AH_OK) {
    err = q->abort_err;
    why = q->abort_why;
  } else {
    struct ah__failure fl;
    fl.rc = rc;
    fl.os_errno = transfer_errno(q);
    if (q->socket_err != 0 && rc == CURLE_COULDNT_CONNECT)
      fl.os_errno = q->socket_err;
    fl.real_oom = ah__alloc_failures() != q->oom_mark;
    /* libcurl's OpenSSL layer words its own failures "OpenSSL SSL_read:"
     * or "SSL_write:"; with no OS errno behind them they are TLS errors. */
    fl.tls_layer = q->https && fl.os_errno == 0 &&
                   strncmp(q->slot->errbuf, "OpenSSL SSL_", 12) == 0;
    /* The final response's headers, not a 1xx block's. */
    fl.headers_done = ah__rx_headers_complete(q->rx) && q->rx->status >= 200;
    /* No response byte, and the connection or its HTTP/2 stream ended:
     * a reset, as far as retries go (7.88 says CURLE_HTTP2 for a stream
     * above a GOAWAY's last id and CURLE_PARTIAL_FILE for an HTTP/2
     * connection closed under a stream, 8.5 a receive error). */
    q->empty_reply = q->rx->status == 0 &&
                     (rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR ||
                      rc == CURLE_SEND_ERROR || rc == CURLE_HTTP2 ||
                      rc == CURLE_HTTP2_STREAM || rc == CURLE_PARTIAL_FILE);
    fl.proxy_err = 0;
    if (rc == CURLE_PROXY)
      curl_easy_getinfo(easy, CURLINFO_PROXY_ERROR, &fl.proxy_err);
    err = ah__error_from_curl(&fl);
    /* An HTTP proxy that answered CONNECT with an error: 7.88 and 8.5 say
     * CURLE_RECV_ERROR, 8.21 CURLE_COULDNT_CONNECT. Either way the server
     * could not be reached through it, as with a SOCKS proxy's refusal. */
    if (err != AH_ENOMEM && rc != CURLE_OPERATION_TIMEDOUT) {
      long tunnel = 0;
      curl_easy_getinfo(easy, CURLINFO_HTTP_CONNECTCODE, &tunnel);
      if (tunnel != 0 && (tunnel < 200 || tunnel > 299)) {
        err = AH_ECONNECT;
        q->empty_reply = 0;
      }
    }
    /* libcurl reports an allocation that failed under many names ("No
     * URL set" when it could not copy the URL): while this request ran,
     * one did, so that is what happened. */
    if (fl.real_oom)
      err = AH_ENOMEM;
    why = q->slot->errbuf[0] ? q->slot->errbuf : curl_easy_strerror(rc);
    if (err == AH_ENOFD)
      why = "the process or the system is out of file descriptors";
    /* 7.88 and 8.0 refuse an HTTP/2 header block over 128 KiB decoded
     * (an HPACK bomb, a flood of 1xx) only as nghttp2's "callback
     * failed" (-902): before any final status, that is a block too large
     * for them, as ahttp's own limit there (63.5 KiB) says. */
    if (err == AH_EPROTO && ah__curl_caps()->h2_header_stall && q->rx->status < 200 &&
        strstr(q->slot->errbuf, "returned -902:") != NULL) {
      err = AH_ETOOLARGE;
      why = "the response's HTTP/2 header block is larger than this libcurl takes";
    }
  }
  *msg = ah__message(err, why, eff);
  return err;
}

/* Redirects: ahttp follows them, one transfer per hop (libcurl's own
 * following is off), so that what is judged is what is requested. */

int ah__request_redirected(const struct ah__request *q, CURLcode rc)
{
  return rc == CURLE_OK && q->abort_err == AH_OK && ah__rx_redirect_headers(q->rx);
}

/* The URL handle the finished transfer was given. */
static const CURLU *current_url(const struct ah__request *q)
{
  if (q->j != NULL)
    return q->j->url;
  return q->url != NULL ? q->url : q->slot->urls.u;
}

void ah__request_cookies(struct ah__request *q)
{
  CURLU *u = (CURLU *)current_url(q);
  char *host = NULL;

  if (!q->rx->set_cookie || q->slot->d->no_cookies || q->slot->d->share == NULL)
    return; /* the common case: one bit */
  if (curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
    ah__cookies_bound(q->slot->easy, q->slot->d->share, q->rx, host,
                      AH__COOKIES_PER_DOMAIN, AH__COOKIES_TOTAL);
  curl_free(host);
}

/* URL credentials go only to the original origin: a hop elsewhere has
 * none (even ones the Location named: they are the server's words, not
 * the caller's); one back at it keeps the caller's (an absolute
 * Location names none). 0, or -1 without memory. */
static int hop_credentials(CURLU *next, const CURLU *base, int foreign)
{
  char *user = NULL, *password = NULL;
  CURLUcode uc = CURLUE_OK;

  if (foreign)
    return curl_url_set(next, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
           curl_url_set(next, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK ? 0 : -1;
  if (curl_url_get(next, CURLUPART_USER, &user, 0) == CURLUE_OK) {
    curl_free(user);
    return 0; /* its own, or the base's kept by a relative reference */
  }
  if (curl_url_get((CURLU *)base, CURLUPART_USER, &user, 0) == CURLUE_OK) {
    uc = curl_url_set(next, CURLUPART_USER, user, 0);
    if (uc == CURLUE_OK &&
        curl_url_get((CURLU *)base, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK)
      uc = curl_url_set(next, CURLUPART_PASSWORD, password, 0);
  }
  curl_free(user);
  curl_free(password);
  return uc == CURLUE_OK ? 0 : -1;
}

static void tell_redirect(struct ah__request *q, int status, const CURLU *next)
{
  char *url = NULL, *safe = NULL;
  ah_event ev;

  curl_url_get((CURLU *)next, CURLUPART_URL, &url, 0);
  if (url != NULL)
    safe = ah__url_without_credentials(url);
  memset(&ev, 0, sizeof ev);
  ev.type = AH_EVENT_REDIRECT;
  ev.time_ns = ah__now_ns();
  ev.status = status;
  ev.url = safe != NULL ? safe : "";
  ah__event(q->slot->d, q, &ev);
  ah__free(safe);
  curl_free(url);
}

int ah__request_redirect(struct ah__request *q, const char **why)
{
  struct ah__slot *slot = q->slot;
  const struct ah__reqspec *sp = q->spec;
  const CURLU *base = current_url(q);
  struct ah__journey *j = q->j;
  long max = sp != NULL && sp->max_redirects >= 0 ? sp->max_redirects
                                                  : slot->d->max_redirects;
  int status = q->rx->status, https = 0, err;
  char *url = NULL, *origin = NULL;
  curl_off_t took = 0;
  CURLU *next = NULL;

  *why = "no memory to follow a redirect";
  if (j == NULL) {
    if ((origin = ah__url_origin(base)) == NULL ||
        (j = q->j = ah__journey_new(origin)) == NULL) {
      ah__free(origin);
      return AH_ENOMEM;
    }
    ah__free(origin);
  }
  if (j->nhops >= max) {
    *why = "the request was redirected more times than its redirect limit";
    return AH_EREDIRECTS;
  }
  err = ah__url_redirect(base, ah__rx_header(q->rx, "location"), &next, &https, why);
  if (err != AH_OK)
    return err;
  curl_easy_getinfo(slot->easy, CURLINFO_EFFECTIVE_URL, &url);
  if ((origin = ah__url_origin(next)) == NULL ||
      ah__journey_record(j, status, url != NULL ? url : "") != 0) {
    ah__free(origin);
    curl_url_cleanup(next);
    *why = "no memory to follow a redirect";
    return AH_ENOMEM;
  }
  /* Once away from the original origin, the secrets stay behind for the
   * rest of the journey, even back at it. */
  if (strcmp(origin, j->origin) != 0)
    j->foreign = 1;
  ah__free(origin);
  if (hop_credentials(next, base, j->foreign) != 0) {
    curl_url_cleanup(next);
    *why = "no memory to follow a redirect";
    return AH_ENOMEM;
  }
  if (sp != NULL && !j->get && ah__journey_to_get(status, sp->method, with_body(sp)))
    j->get = 1;
  curl_easy_getinfo(slot->easy, CURLINFO_TOTAL_TIME_T, &took);
  j->spent_us += took;
  if (slot->d->on_event != NULL)
    tell_redirect(q, status, next);
  curl_url_cleanup(j->url);
  j->url = next;
  q->https = https ? 1 : 0;
  /* The next hop is a request of its own, sent once on its own. */
  q->sent = 0;
  q->sent_finals = 0;
  q->challenged = 0;
  q->empty_reply = 0;
  return AH_OK;
}
