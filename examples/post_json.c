/* post_json.c - a POST with a JSON body, a header, a query parameter, a
 * bearer token and timeouts; request options built once and shared.
 *
 *   post_json URL
 *
 * The tutorial's "request options" step (docs/tutorial.md). */
#include <ahttp.h>
#include <stdio.h>

int main(int argc, char **argv)
{
  ah_session_opts *so;
  ah_request_opts *o;
  ah_session *s;
  ah_future *f;
  int status = 1;

  if (argc != 2) {
    fprintf(stderr, "usage: %s URL\n", argv[0]);
    return 2;
  }
  so = ah_session_opts_new();
  ah_session_opts_set_user_agent(so, "post-json-example/1.0");
  ah_session_opts_set_timeouts(so, 10000, 2000, -1); /* total, connect (ms) */
  s = ah_session_new(so);
  ah_session_opts_free(so);                        /* the session copied it */

  o = ah_request_opts_new();
  ah_request_opts_set_method(o, "POST");
  ah_request_opts_set_json(o, "{\"name\": \"ahttp\", \"stars\": 5}");
  ah_request_opts_add_query(o, "lang", "c & more");  /* percent-encoded */
  ah_request_opts_add_header(o, "X-Request-Id", "42");
  ah_request_opts_set_bearer_token(o, "secret-token"); /* kept off other hosts */
  ah_request_opts_set_timeout(o, 5000);            /* this request: 5 s */

  f = ah_session_fetch(s, argv[1], o);
  ah_request_opts_free(o);                         /* the future keeps what it needs */
  if (ah_future_wait(f, -1) == AH_OK && ah_future_error(f) == AH_OK) {
    const ah_response *r = ah_future_response(f);
    printf("%d\n%s\n", ah_response_status(r), ah_response_body(r, NULL));
    status = 0;
  } else {
    fprintf(stderr, "%s\n", ah_future_errmsg(f));
  }
  ah_future_free(f);
  ah_session_free(s);
  return status;
}
