/* request_body.c - what a request sends (the body setters of the
 * request option builder, request_opts.h): bytes from memory, JSON, a
 * reader and its rewind, multipart parts (fields, files, bytes from
 * memory) and form pairs (application/x-www-form-urlencoded). */
#include "request_body.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"

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
  ah__free(sp->body);
  sp->body = b;
  sp->body_len = len;
  sp->has_body = 1;
  sp->urlencoded = 0;
  return AH_OK;
}


int ah__reqspec_has_body(const struct ah__reqspec *sp)
{
  return sp->has_body || sp->reader != NULL || sp->form != NULL;
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
  sp = ah__reqspec_writable(o); /* its own already, after set_body */
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
  if ((sp = ah__reqspec_writable(o)) == NULL)
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
  /* A body of another kind (set_body, set_json) is replaced. */
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
  ah__free(sp->body);
  sp->body = b;
  sp->body_len = (size_t)(end - b);
  sp->has_body = sp->urlencoded = 1;
  return AH_OK;
}

