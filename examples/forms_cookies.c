/* forms_cookies.c - a form from pairs, a multipart part from memory, the
 * cookies of one request, and the session's jar read and cleared.
 *
 *   forms_cookies BASE_URL      (the test server: /echo, /form, /set-cookie)
 *
 * The tutorial's "forms and cookies" step (docs/tutorial.md). */
#include <ahttp.h>
#include <stdio.h>

static ah_future *post(ah_session *s, const char *base, const char *path,
                       ah_request_opts *o)
{
  char url[512];
  ah_future *f;

  snprintf(url, sizeof url, "%s%s", base, path);
  f = ah_session_fetch(s, url, o);
  if (f != NULL && ah_future_wait(f, 10000) == AH_OK && ah_future_response(f) != NULL) {
    size_t len;
    const char *body = ah_response_body(ah_future_response(f), &len);
    fputs(body, stdout);
    if (len == 0 || body[len - 1] != '\n')
      putchar('\n');
  } else if (f != NULL)
    fprintf(stderr, "error %s\n", ah_future_errmsg(f));
  return f;
}

int main(int argc, char **argv)
{
  static const unsigned char png[] = {0x89, 'P', 'N', 'G', 0, 0, 0, 13};
  ah_session *s;
  ah_request_opts *o;
  ah_cookies *jar;
  size_t i;

  if (argc != 2) {
    fprintf(stderr, "usage: %s BASE_URL\n", argv[0]);
    return 2;
  }
  s = ah_session_new(NULL);

  /* aiohttp's data={"user": ..., "note": ...}: a urlencoded body. */
  o = ah_request_opts_new();
  ah_request_opts_add_urlencoded(o, "user", "ann");
  ah_request_opts_add_urlencoded(o, "note", "tea & biscuits");
  ah_future_free(post(s, argv[1], "/echo", o));
  ah_request_opts_free(o);

  /* A multipart part from memory: bytes with NULs, a file name, a type. */
  o = ah_request_opts_new();
  ah_request_opts_add_form_field(o, "title", "logo");
  ah_request_opts_add_form_data(o, "image", png, sizeof png, "logo.png",
                                "image/png");
  ah_future_free(post(s, argv[1], "/form", o));
  ah_request_opts_free(o);

  /* The server sets a cookie in the jar; a request adds one of its own,
   * which goes beside the jar's and is never stored. */
  ah_future_free(post(s, argv[1], "/set-cookie/session/abc", NULL));
  o = ah_request_opts_new();
  ah_request_opts_add_cookie(o, "theme", "dark");
  ah_future_free(post(s, argv[1], "/echo", o));
  ah_request_opts_free(o);

  /* Read the jar: a copy, valid until ah_cookies_free. */
  if (ah_session_cookies_list(s, "127.0.0.1", &jar) == AH_OK) {
    for (i = 0; i < ah_cookies_count(jar); i++)
      printf("jar: %s=%s for %s%s\n", ah_cookies_name(jar, i),
             ah_cookies_value(jar, i), ah_cookies_domain(jar, i),
             ah_cookies_path(jar, i));
    ah_cookies_free(jar);
  }
  ah_session_cookies_clear(s, "127.0.0.1");      /* log out of that host */
  if (ah_session_cookies_list(s, NULL, &jar) == AH_OK) {
    printf("jar: %zu cookies after clearing\n", ah_cookies_count(jar));
    ah_cookies_free(jar);
  }
  ah_session_free(s);
  return 0;
}
