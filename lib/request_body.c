/* request_body.c - what a request sends (the body setters of the
 * request option builder, request_opts.h): bytes from memory, JSON, a
 * reader and its rewind, multipart parts (fields, files, bytes from
 * memory) and form pairs (application/x-www-form-urlencoded). */
#include "request_body.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"

/* A request has one body: the last one set replaces a body of another
 * kind (bytes, JSON and pairs from memory; a reader; multipart parts),
 * with the Content-Type that went with it. */
enum { KIND_MEMORY = 1, KIND_READER = 2, KIND_FORM = 4 };
static void drop_bodies(struct ah__reqspec *sp, int kinds)
{
  if (kinds & KIND_MEMORY) {
    ah__free(sp->body);
    sp->body = NULL;
    sp->body_len = 0;
    sp->has_body = sp->urlencoded = sp->json = 0;
  }
  if (kinds & KIND_READER) {
    sp->reader = NULL;
    sp->reader_ud = NULL;
    sp->rewind = NULL;
  }
  if ((kinds & KIND_FORM) && sp->form != NULL) {
    ah__form_free(sp->form);
    sp->form = NULL;
    sp->form_tail = &sp->form;
  }
}

int ah_request_opts_set_body(ah_request_opts *o, const void *data, size_t len)
{
  struct ah__reqspec *sp;
  char *b;

  if (o == NULL || (data == NULL && len > 0))
    return AH_EINVAL;
  if ((sp = ah__reqspec_writable(o)) == NULL)
    return AH_ENOMEM;
  if ((b = ah__memdup0(data, len)) == NULL)
    return AH_ENOMEM;
  drop_bodies(sp, KIND_MEMORY | KIND_READER | KIND_FORM);
  sp->body = b;
  sp->body_len = len;
  sp->has_body = 1;
  return AH_OK;
}


int ah__reqspec_has_body(const struct ah__reqspec *sp)
{
  return sp->has_body || sp->reader != NULL || sp->form != NULL;
}


/* The value of a header line named name ("Name: v", "Name:" removes it:
 * NULL value, "Name;" sends it empty): 1 when named so. */
static int header_named(const char *line, const char *name, const char **value)
{
  size_t n = strlen(name);

  if (strncasecmp(line, name, n) != 0 || (line[n] != ':' && line[n] != ';'))
    return 0;
  *value = line[n] == ';' ? "" : line[n + 1] == '\0' ? NULL : line + n + 2;
  return 1;
}

/* The caller's Content-Length and Transfer-Encoding headers must frame
 * the body that is sent, or over HTTP/1.1 the connection's next request
 * would start inside this one's body: a Content-Length is the body's
 * length (one of a form is not known), none is removed from a body, and
 * Transfer-Encoding is only chunked (libcurl then sends any body so),
 * never beside a Content-Length. */
int ah__reqspec_framing(const struct ah__reqspec *sp, const char **why)
{
  const struct curl_slist *h;
  const char *v;
  long long len;
  int body, chunked = 0, length = 0;

  if (sp == NULL || sp->headers == NULL)
    return AH_OK;
  body = ah__reqspec_has_body(sp);
  len = sp->form != NULL ? -1 : sp->reader != NULL ? sp->reader_len
                                                   : (long long)sp->body_len;
  for (h = sp->headers; h; h = h->next) {
    if (header_named(h->data, "Content-Length", &v)) {
      char *end = NULL;
      long long n;
      v += v != NULL ? strspn(v, " \t") : 0;
      n = v != NULL && *v >= '0' && *v <= '9' ? strtoll(v, &end, 10) : -1;
      if (end != NULL)
        end += strspn(end, " \t");
      if (v == NULL ? body : (end == NULL || *end != '\0' || len < 0 || n != len)) {
        *why = "a Content-Length header that is not the length of the body sent";
        return AH_EINVAL;
      }
      length |= v != NULL;
    } else if (header_named(h->data, "Transfer-Encoding", &v) && (v != NULL || body)) {
      if (v == NULL || !body || strcasecmp(v, "chunked") != 0) {
        *why = "a Transfer-Encoding header other than chunked on a body";
        return AH_EINVAL;
      }
      chunked = 1; /* libcurl then sends the body chunked */
    }
  }
  if (chunked && length) {
    *why = "both Content-Length and Transfer-Encoding headers";
    return AH_EINVAL;
  }
  return AH_OK;
}

int ah_request_opts_set_json(ah_request_opts *o, const char *json)
{
  int rc;

  if (o == NULL || json == NULL)
    return AH_EINVAL;
  if ((rc = ah_request_opts_set_body(o, json, strlen(json))) != AH_OK)
    return rc;
  ah__reqspec_writable(o)->json = 1; /* its own already, after set_body */
  return AH_OK;
}

int ah_request_opts_set_body_reader(ah_request_opts *o, ah_read_cb cb,
                                    void *userdata, long long len)
{
  struct ah__reqspec *sp;

  if (o == NULL || cb == NULL || len < -1)
    return AH_EINVAL;
  if ((sp = ah__reqspec_writable(o)) == NULL)
    return AH_ENOMEM;
  /* A rewind set before its reader stays; another reader's goes. */
  if (sp->reader != NULL && (sp->reader != cb || sp->reader_ud != userdata))
    drop_bodies(sp, KIND_MEMORY | KIND_READER | KIND_FORM);
  else
    drop_bodies(sp, KIND_MEMORY | KIND_FORM);
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
  if ((sp = ah__reqspec_writable(o)) == NULL)
    return AH_ENOMEM;
  sp->rewind = cb;
  return AH_OK;
}

/* A copy of s with '"', CR and LF as %22, %0D and %0A: how browsers
 * write a form part's name and file name (the HTML standard's
 * multipart/form-data encoding), so that no name can end the quoted
 * string or the header line it is in. NULL stays NULL. */
static int dup_part_name(char **to, const char *s)
{
  size_t n = 0;
  const char *p;
  char *o;

  *to = NULL;
  if (s == NULL)
    return 0;
  for (p = s; *p; p++)
    n += (*p == '"' || *p == '\r' || *p == '\n') ? 3 : 1;
  if ((o = *to = ah__malloc(n + 1)) == NULL)
    return -1;
  for (p = s; *p; p++) {
    if (*p == '"' || *p == '\r' || *p == '\n') {
      *o++ = '%';
      *o++ = *p == '"' ? '2' : '0';
      *o++ = *p == '"' ? '2' : *p == '\r' ? 'D' : 'A';
    } else {
      *o++ = *p;
    }
  }
  *o = '\0';
  return 0;
}

static int add_form(ah_request_opts *o, const char *name, const void *value,
                    size_t len, const char *filename, const char *type,
                    int is_file)
{
  struct ah__reqspec *sp;
  struct ah__form *p;

  if (o == NULL || name == NULL || (value == NULL && len > 0))
    return AH_EINVAL;
  if ((sp = ah__reqspec_writable(o)) == NULL)
    return AH_ENOMEM;
  if (type && strpbrk(type, "\r\n") != NULL)
    return ah__reqspec_refuse(sp, "a form part's content type contains CR or LF");
  if ((p = ah__calloc(1, sizeof *p)) == NULL)
    return AH_ENOMEM;
  p->is_file = is_file;
  p->value_len = len;
  if ((p->value = ah__memdup0(value ? value : "", len)) == NULL ||
      dup_part_name(&p->name, name) | dup_part_name(&p->filename, filename) |
      (type != NULL && (p->type = ah__strdup(type)) == NULL)) {
    ah__form_free(p);
    return AH_ENOMEM;
  }
  drop_bodies(sp, KIND_MEMORY | KIND_READER); /* the part is whole: no failure after */
  *sp->form_tail = p;
  sp->form_tail = &p->next;
  return AH_OK;
}

int ah_request_opts_add_form_field(ah_request_opts *o, const char *name,
                                   const char *value)
{
  if (value == NULL)
    return AH_EINVAL;
  return add_form(o, name, value, strlen(value), NULL, NULL, 0);
}

int ah_request_opts_add_form_file(ah_request_opts *o, const char *name,
                                  const char *path, const char *filename,
                                  const char *content_type)
{
  if (path == NULL)
    return AH_EINVAL;
  return add_form(o, name, path, strlen(path), filename, content_type, 1);
}

int ah_request_opts_add_form_data(ah_request_opts *o, const char *name,
                                  const void *data, size_t len,
                                  const char *filename,
                                  const char *content_type)
{
  return add_form(o, name, data, len, filename, content_type, 0);
}

int ah_request_opts_add_urlencoded(ah_request_opts *o, const char *name,
                                   const char *value)
{
  struct ah__reqspec *sp;
  size_t have, need;
  char *b, *end;

  if (o == NULL || name == NULL)
    return AH_EINVAL;
  if ((sp = ah__reqspec_writable(o)) == NULL)
    return AH_ENOMEM;
  /* A body of another kind is replaced. */
  have = sp->has_body && sp->urlencoded ? sp->body_len : 0;
  need = have + 1 + 3 * strlen(name) + 1 + (value ? 3 * strlen(value) : 0) + 1;
  if ((b = ah__malloc(need)) == NULL)
    return AH_ENOMEM;
  memcpy(b, sp->body ? sp->body : "", have);
  end = b + have;
  if (have)
    *end++ = '&';
  end = ah__percent_encode(end, name, 1);
  if (value != NULL) {
    *end++ = '=';
    end = ah__percent_encode(end, value, 1);
  }
  *end = '\0';
  drop_bodies(sp, KIND_MEMORY | KIND_READER | KIND_FORM);
  sp->body = b;
  sp->body_len = (size_t)(end - b);
  sp->has_body = sp->urlencoded = 1;
  return AH_OK;
}

