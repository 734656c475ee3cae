/* request_opts.c - the request option builder: ah_request_opts over an
 * immutable, reference-counted spec (request_opts.h), with each input
 * checked as it is given. */
#include "request_opts.h"

#include <stdatomic.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "url.h"

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
    sp->insecure = -1;
    sp->form_tail = &sp->form;
  }
  return sp;
}

void ah__form_free(struct ah__form *p)
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
  ah__free(sp->cookies);
  ah__free(sp->query);
  ah__free(sp->user);
  ah__free(sp->password);
  ah__free(sp->bearer);
  ah__free(sp->proxy);
  ah__free(sp->unix_path);
  ah__free(sp->proxy_user);
  ah__free(sp->proxy_password);
  ah__free(sp->ca_file);
  ah__free(sp->ca_dir);
  ah__free(sp->cert);
  ah__free(sp->key);
  ah__free(sp->pinned_key);
  ah__form_free(sp->form);
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
struct ah__reqspec *ah__reqspec_writable(ah_request_opts *o)
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
  sp->urlencoded = old->urlencoded;
  sp->digest = old->digest;
  sp->retries = old->retries;
  sp->retry_unsafe = old->retry_unsafe;
  sp->raw = old->raw;
  sp->body_len = old->body_len;
  sp->reader = old->reader;
  sp->reader_ud = old->reader_ud;
  sp->reader_len = old->reader_len;
  sp->rewind = old->rewind;
  sp->on_data = old->on_data;
  sp->on_headers = old->on_headers;
  sp->on_progress = old->on_progress;
  sp->insecure = old->insecure;
  sp->tls = old->tls;
  bad |= dup_opt(&sp->method, old->method);
  bad |= dup_opt(&sp->query, old->query);
  bad |= dup_opt(&sp->cookies, old->cookies);
  bad |= dup_opt(&sp->user, old->user);
  bad |= dup_opt(&sp->password, old->password);
  bad |= dup_opt(&sp->bearer, old->bearer);
  bad |= dup_opt(&sp->proxy, old->proxy);
  bad |= dup_opt(&sp->unix_path, old->unix_path);
  bad |= dup_opt(&sp->proxy_user, old->proxy_user);
  bad |= dup_opt(&sp->proxy_password, old->proxy_password);
  bad |= dup_opt(&sp->ca_file, old->ca_file);
  bad |= dup_opt(&sp->ca_dir, old->ca_dir);
  bad |= dup_opt(&sp->cert, old->cert);
  bad |= dup_opt(&sp->key, old->key);
  bad |= dup_opt(&sp->pinned_key, old->pinned_key);
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
    c->value_len = p->value_len;
    if ((c->value = ah__memdup0(p->value, p->value_len)) == NULL)
      bad = 1;
    bad |= dup_opt(&c->name, p->name) |
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
int ah__reqspec_refuse(struct ah__reqspec *sp, const char *why)
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
  if ((sp = ah__reqspec_writable(o)) == NULL)
    return AH_ENOMEM;
  if (method == NULL || !ah__is_token(method))
    return ah__reqspec_refuse(sp, "the method is not an HTTP token (empty, a space, "
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
  if ((sp = ah__reqspec_writable(o)) == NULL)
    return AH_ENOMEM;
  if (name == NULL || !ah__is_token(name))
    return ah__reqspec_refuse(sp, "a header name is not an HTTP token");
  if (value != NULL && strpbrk(value, "\r\n") != NULL)
    return ah__reqspec_refuse(sp, "a header value contains CR or LF");
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

int ah_request_opts_set_timeout(ah_request_opts *o, long total_ms)
{
  struct ah__reqspec *sp;

  if (o == NULL || total_ms < -1)
    return AH_EINVAL;
  if ((sp = ah__reqspec_writable(o)) == NULL)
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
  if ((sp = ah__reqspec_writable(o)) == NULL)
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
  if ((sp = ah__reqspec_writable(o)) == NULL)
    return AH_ENOMEM;
  sp->max_redirects = max;
  return AH_OK;
}

int ah_request_opts_set_retries(ah_request_opts *o, int attempts, int unsafe)
{
  struct ah__reqspec *sp;

  if (o == NULL || attempts == 0 || attempts < -1 || attempts > 100)
    return AH_EINVAL;
  if ((sp = ah__reqspec_writable(o)) == NULL)
    return AH_ENOMEM;
  sp->retries = attempts;
  sp->retry_unsafe = unsafe ? 1 : 0;
  return AH_OK;
}

int ah_request_opts_set_decompress(ah_request_opts *o, int on)
{
  struct ah__reqspec *sp;

  if (o == NULL)
    return AH_EINVAL;
  if ((sp = ah__reqspec_writable(o)) == NULL)
    return AH_ENOMEM;
  sp->raw = on ? 0 : 1;
  return AH_OK;
}

char *ah__percent_encode(char *out, const char *s, int space_as_plus)
{
  static const char hex[] = "0123456789ABCDEF";

  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      *out++ = (char)c;
    } else if (c == ' ' && space_as_plus) {
      *out++ = '+';
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
  if ((sp = ah__reqspec_writable(o)) == NULL)
    return AH_ENOMEM;
  have = sp->query ? strlen(sp->query) : 0;
  need = have + 1 + 3 * strlen(key) + 1 + (value ? 3 * strlen(value) : 0) + 1;
  if ((q = ah__realloc(sp->query, need)) == NULL)
    return AH_ENOMEM;
  end = q + have;
  if (have)
    *end++ = '&';
  end = ah__percent_encode(end, key, 0);
  if (value != NULL) {
    *end++ = '=';
    end = ah__percent_encode(end, value, 0);
  }
  *end = '\0';
  sp->query = q;
  return AH_OK;
}

/* RFC 6265 cookie-octet: what a cookie's value may hold unquoted. */
static int cookie_octets(const char *s)
{
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c < 0x21 || c > 0x7e || c == '"' || c == ',' || c == ';' || c == '\\')
      return 0;
  }
  return 1;
}

int ah_request_opts_add_cookie(ah_request_opts *o, const char *name,
                               const char *value)
{
  struct ah__reqspec *sp;
  size_t have, nl, vl;
  char *c;

  if (o == NULL)
    return AH_EINVAL;
  if ((sp = ah__reqspec_writable(o)) == NULL)
    return AH_ENOMEM;
  if (name == NULL || !ah__is_token(name) || value == NULL ||
      !cookie_octets(value))
    return ah__reqspec_refuse(sp, "a cookie's name is not an HTTP token or its value "
                      "has a space, quote, comma, semicolon, backslash or "
                      "control character");
  have = sp->cookies ? strlen(sp->cookies) : 0;
  nl = strlen(name);
  vl = strlen(value);
  if ((c = ah__realloc(sp->cookies, have + 2 + nl + 1 + vl + 1)) == NULL)
    return AH_ENOMEM;
  sp->cookies = c;
  c += have;
  if (have) {
    memcpy(c, "; ", 2);
    c += 2;
  }
  memcpy(c, name, nl);
  c[nl] = '=';
  memcpy(c + nl + 1, value, vl + 1);
  return AH_OK;
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
  if ((sp = ah__reqspec_writable(o)) == NULL)
    return AH_ENOMEM;
  if (value != NULL && strpbrk(value, "\r\n") != NULL)
    return ah__reqspec_refuse(sp, "an option's text contains CR or LF");
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
  if ((sp = ah__reqspec_writable(o)) == NULL)
    return AH_ENOMEM;
  if (user == NULL || strchr(user, ':') != NULL)
    return ah__reqspec_refuse(sp, "a basic auth user name is NULL or has a colon");
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
  if ((sp = ah__reqspec_writable(o)) == NULL)
    return AH_ENOMEM;
  if (url != NULL && *url != '\0' && !ah__proxy_ok(url))
    return ah__reqspec_refuse(sp, "the proxy URL is not http://, socks5:// or socks5h://");
  return set_spec_string(o, SPEC_FIELD(proxy), url, 0);
}

int ah__proxy_auth_ok(const char *user, const char *password)
{
  return user != NULL && *user != '\0' && strpbrk(user, ":\r\n") == NULL &&
         (password == NULL || strpbrk(password, "\r\n") == NULL);
}

int ah_request_opts_set_proxy_auth(ah_request_opts *o, const char *user,
                                   const char *password)
{
  struct ah__reqspec *sp;
  char *u = NULL, *p = NULL;

  if (o == NULL)
    return AH_EINVAL;
  if ((sp = ah__reqspec_writable(o)) == NULL)
    return AH_ENOMEM;
  if ((user != NULL && !ah__proxy_auth_ok(user, password)) ||
      (user == NULL && password != NULL))
    return ah__reqspec_refuse(sp, "a proxy user name is empty or has a colon, or the "
                      "credentials contain CR or LF");
  if (user != NULL && ((u = ah__strdup(user)) == NULL ||
                       (p = ah__strdup(password ? password : "")) == NULL)) {
    ah__free(u);
    return AH_ENOMEM;
  }
  ah__free(sp->proxy_user);
  ah__free(sp->proxy_password);
  sp->proxy_user = u;
  sp->proxy_password = p;
  return AH_OK;
}

/* Whether sp changes any TLS setting of the session's. */
static void tls_note(struct ah__reqspec *sp)
{
  sp->tls = sp->ca_file != NULL || sp->ca_dir != NULL || sp->cert != NULL ||
            sp->pinned_key != NULL || sp->insecure >= 0;
}

/* Replace the two strings at *a and *b with copies of x and y. */
static int set_pair(char **a, char **b, const char *x, const char *y)
{
  char *cx = NULL, *cy = NULL;

  if ((x != NULL && (cx = ah__strdup(x)) == NULL) ||
      (y != NULL && (cy = ah__strdup(y)) == NULL)) {
    ah__free(cx);
    return AH_ENOMEM;
  }
  ah__free(*a);
  ah__free(*b);
  *a = cx;
  *b = cy;
  return AH_OK;
}

static int bad_path(const char *p)
{
  return p != NULL && (*p == '\0' || strpbrk(p, "\r\n") != NULL);
}

int ah_request_opts_set_ca(ah_request_opts *o, const char *file,
                           const char *dir)
{
  struct ah__reqspec *sp;
  int rc;

  if (o == NULL)
    return AH_EINVAL;
  if ((sp = ah__reqspec_writable(o)) == NULL)
    return AH_ENOMEM;
  if (bad_path(file) || bad_path(dir))
    return ah__reqspec_refuse(sp, "a CA file or directory name is empty or has CR or LF");
  rc = set_pair(&sp->ca_file, &sp->ca_dir, file, dir);
  tls_note(sp);
  return rc;
}

int ah_request_opts_set_client_cert(ah_request_opts *o, const char *cert,
                                    const char *key)
{
  struct ah__reqspec *sp;
  int rc;

  if (o == NULL)
    return AH_EINVAL;
  if ((sp = ah__reqspec_writable(o)) == NULL)
    return AH_ENOMEM;
  if ((cert == NULL && key != NULL) || bad_path(cert) || bad_path(key))
    return ah__reqspec_refuse(sp, "a client key without its certificate, or a file name "
                      "empty or with CR or LF");
  rc = set_pair(&sp->cert, &sp->key, cert, key);
  tls_note(sp);
  return rc;
}

int ah_request_opts_set_tls_insecure_no_verify(ah_request_opts *o, int on)
{
  struct ah__reqspec *sp;

  if (o == NULL)
    return AH_EINVAL;
  if ((sp = ah__reqspec_writable(o)) == NULL)
    return AH_ENOMEM;
  if (on < -1 || on > 1)
    return ah__reqspec_refuse(sp, "verification is -1 (the session's), 0 or 1");
  sp->insecure = on;
  tls_note(sp);
  return AH_OK;
}

/* NULL: the session's pins; "": none. */
int ah_request_opts_set_pinned_key(ah_request_opts *o, const char *pins)
{
  int rc = set_spec_string(o, SPEC_FIELD(pinned_key), pins, 1);

  if (rc == AH_OK)
    tls_note(o->spec); /* made writable by set_spec_string */
  return rc;
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
  if ((sp = ah__reqspec_writable(o)) == NULL)
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
