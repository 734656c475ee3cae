/* request_opts.h - the request option builder's spec.
 *
 * Options are a builder over an immutable, reference-counted spec: a
 * fetch takes a reference, so 100,000 fetches with one ah_request_opts
 * share one copy of its headers and body, and setters called later copy
 * the spec first (copy on write). The count is atomic, so one options
 * object may serve fetches on sessions of several threads at once; only
 * its setters must not run concurrently with those fetches. */
#ifndef AH_REQUEST_OPTS_H
#define AH_REQUEST_OPTS_H

#include <curl/curl.h>
#include <stddef.h>

#include "ahttp.h"

/* A caller's callback and its pointer. A function pointer converts to
 * another function pointer type and back unchanged (C11 6.3.2.3), so one
 * type holds the data, headers and progress callbacks alike. */
struct ah__cb {
  void (*fn)(void);
  void *ud;
};

struct ah__form {
  struct ah__form *next;
  char *name, *value;          /* value: the bytes (NUL-terminated), or a
                                * file part's path; name encoded as
                                * browsers do (", CR, LF as %22 %0D %0A) */
  size_t value_len;            /* the bytes' length (a path: strlen) */
  char *filename, *type;       /* the part's file name and content type */
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
  int urlencoded;     /* body: pairs of add_urlencoded, "k=v&k=v" */
  int json;           /* body: set_json's (labelled application/json) */
  char *cookies;      /* "n=v; n=v": the caller's cookies, NULL: none */
  long timeout_ms;    /* -1: the session's default, for each of these */
  long connect_ms, idle_ms, max_redirects;
  char *query;        /* encoded "k=v&k=v" to append, NULL: none */
  char *user, *password, *bearer;
  int digest;         /* user and password by digest, not basic */
  int retries;        /* attempts, -1: the session's */
  int retry_unsafe;   /* may be resent though not idempotent */
  int raw;            /* the body as sent: libcurl decodes nothing */
  char *proxy;        /* NULL: the session's; "": none */
  char *unix_path;    /* NULL: the session's */
  char *proxy_user, *proxy_password; /* NULL: the session's */
  /* TLS of this request, each NULL (insecure -1) for the session's; tls
   * is set when any is. A cert without key: the key is in cert's file.
   * pinned_key "": no pins. */
  char *ca_file, *ca_dir, *cert, *key, *pinned_key;
  int insecure, tls;
  ah_read_cb reader;
  void *reader_ud;
  long long reader_len;
  ah_rewind_cb rewind;
  struct ah__form *form, **form_tail;
  struct ah__cb on_data, on_headers, on_progress;
};

/* Another options object sharing o's spec (a counted reference: safe on
 * any thread, as fetches are); NULL for o == NULL or without memory. */
ah_request_opts *ah__request_opts_share(const ah_request_opts *o);
/* A counted reference to the spec of o, or NULL for o == NULL. */
struct ah__reqspec *ah__reqspec_ref(const ah_request_opts *o);
void ah__reqspec_unref(struct ah__reqspec *spec);
/* AH_OK, or the code of the first bad input given to the builder, with
 * a sentence saying which input in *why. */
int ah__reqspec_error(const struct ah__reqspec *spec, const char **why);
/* Percent-encode s onto out (3 bytes of room per byte of s): all but
 * RFC 3986's unreserved characters; a space as '+' when space_as_plus
 * (application/x-www-form-urlencoded, as Python's urlencode). The end. */
char *ah__percent_encode(char *out, const char *s, int space_as_plus);
/* Free a list of form parts. */
void ah__form_free(struct ah__form *p);
/* Copy on write: o's spec made its own before a change; NULL without
 * memory. */
struct ah__reqspec *ah__reqspec_writable(ah_request_opts *o);
/* Remember the first bad input in sp (the fetch fails with it): returns
 * AH_EINVAL. */
int ah__reqspec_refuse(struct ah__reqspec *sp, const char *why);

/* 1 when url is a proxy ahttp accepts: http://, socks5:// or socks5h://
 * (the proxy resolves names), with no CR or LF. */
int ah__proxy_ok(const char *url);

/* 1 when user and password may be a proxy's credentials: a user that is
 * not empty and has no colon, neither with CR or LF (password may be NULL). */
int ah__proxy_auth_ok(const char *user, const char *password);

/* 1 when s is a non-empty HTTP token (RFC 9110 tchar): a method or a
 * header name. */
int ah__is_token(const char *s);

/* Append the line for header name: value to *list, as libcurl reads it
 * (value NULL: do not send a header of libcurl's with that name; "": send
 * it empty). Name and value already checked. AH_OK or AH_ENOMEM. */
int ah__header_append(struct curl_slist **list, const char *name,
                      const char *value);

/* *to = a copy of the list from; 0, or -1 without memory (what was
 * copied stays in *to, for the caller to free). */
int ah__slist_dup(struct curl_slist **to, const struct curl_slist *from);

#endif
