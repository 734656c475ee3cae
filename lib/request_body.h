/* request_body.h - what a request sends: the body setters of the request
 * option builder (declared in ahttp.h) and what the rest of the library
 * asks of a spec's body. */
#ifndef AH_REQUEST_BODY_H
#define AH_REQUEST_BODY_H

#include "request_opts.h"

/* 1 when the request has a body: bytes, a reader or a form. */
int ah__reqspec_has_body(const struct ah__reqspec *sp);
/* AH_OK, or AH_EINVAL with *why when the request's own Content-Length or
 * Transfer-Encoding header does not frame its body (request_body.c). */
int ah__reqspec_framing(const struct ah__reqspec *sp, const char **why);

#endif
