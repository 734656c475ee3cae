/*
 * ahttp(1): fetch many URLs concurrently.
 *
 * A window of -j requests is kept in flight: each request occupies a slot,
 * and the slot's on_done callback reports the request and starts the next
 * URL in the same slot. A slot owns the request options its requests
 * share, with itself as the transfer callbacks' userdata: the body and the
 * headers are built once per slot, and a callback knows its request
 * without a lookup. Memory is O(-j), whatever the number of URLs, apart
 * from one latency figure per response for the percentiles.
 *
 * A load run (-n, --duration) is the same window over one URL, started
 * again and again until the count or the time is reached.
 *
 * SPDX-License-Identifier: MIT
 */
#include "tool.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct run;

struct slot {
  struct run *run;
  ah_request_opts *ro;
  struct tool_job job;
};

struct run {
  const struct tool_config *c;
  ah_session *s;
  struct slot *slots;
  struct slot **idle;     /* slots with no request, a stack */
  size_t nidle;
  size_t nslots;
  size_t next;            /* the next URL (or a load run's request) to start */
  size_t total;           /* requests to make (SIZE_MAX: until the deadline) */
  double deadline;        /* --duration: no request starts after it; 0: none */
  struct slot *starting;  /* the slot whose fetch is being made (-v) */
  int refilling;
  int to_stdout;          /* one URL, body to standard output */
  int single;             /* one URL, no load run: curl's exit codes */
  int code;               /* single: the request's curl exit code */
  const char *load_url;   /* a load run's URL, http:// added if need be */
  char *load_buf;
  struct tool_verbose verbose;
  FILE *tty;              /* where the progress bar goes, or NULL */
  struct tool_stats st;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
  (void)sig;
  interrupted = 1;
}

static int on_data(ah_future *f, const char *data, size_t len, void *ud)
{
  struct slot *sl = ud;

  (void)f;
  if (sl->job.http_failed)
    return 0; /* -f: as curl, no body of an HTTP error is written */
  return tool_output_write(&sl->job, data, len);
}

/* -i, -I: the final response's status line and headers before its body
 * (on standard output); -v: the same on standard error. */
static int on_headers(ah_future *f, const ah_response *head, void *ud)
{
  struct slot *sl = ud;
  size_t i, n = ah_response_header_count(head);

  (void)f;
  if (sl->run->c->fail_http && ah_response_status(head) >= 400)
    sl->job.http_failed = 1;
  if (sl->run->c->verbose)
    tool_verbose_headers(head);
  if (!sl->run->c->include && !sl->run->c->head)
    return 0;
  tool_status_line(stdout, "", head);
  for (i = 0; i < n; i++) {
    const char *name, *value;
    if (ah_response_header_at(head, i, &name, &value) == AH_OK)
      printf("%s: %s\n", name, value);
  }
  putchar('\n');
  return 0;
}

static void refill(struct run *run);

/* What a job holds, let go when its request ends or fails to start. */
static void job_release(struct tool_job *job)
{
  free(job->path);
  job->path = NULL;
  free(job->url_buf);
  job->url_buf = NULL;
  job->url = NULL; /* it may have pointed into url_buf */
  free(job->proxy_buf);
  job->proxy_buf = NULL;
  free(job->hop_url);
  job->hop_url = NULL;
}

/* Lines on standard error are for errors, unless -q or -s (without -S)
 * asked for silence. */
static int errors_shown(const struct tool_config *c)
{
  return !c->quiet && (!c->silent || c->show_error);
}

/* A line on standard error for a request that failed, unless --jsonl
 * carries it or silence was asked for. */
static void say_failure(struct run *run, const struct tool_job *job,
                        const ah_future *f, const ah_response *r, int err)
{
  FILE *e = stderr;

  if (run->c->jsonl || !errors_shown(run->c))
    return;
  if (run->tty != NULL)
    tool_progress_clear(run->tty, &run->st);
  if (job->write_err != 0) /* the transfer was stopped by it, if at all */
    fprintf(e, "ahttp: %s: cannot write %s: %s\n", job->url,
            job->path ? job->path : "standard output",
            strerror(job->write_err));
  else if (err != AH_OK)
    fprintf(e, "ahttp: %s\n", ah_future_errmsg(f));
  else
    fprintf(e, "ahttp: %s: HTTP status %d\n", job->url,
            ah_response_status(r));
}

/* -i: the trailers after the body, as curl prints them. */
static void print_trailers(const ah_response *r)
{
  size_t i, n = ah_response_trailer_count(r);
  const char *name, *value;

  for (i = 0; i < n; i++)
    if (ah_response_trailer_at(r, i, &name, &value) == AH_OK)
      printf("%s: %s\n", name, value);
}

static void on_done(ah_future *f, void *ud)
{
  struct slot *sl = ud;
  struct run *run = sl->run;
  struct tool_job *job = &sl->job;
  const ah_response *r = ah_future_response(f);
  int err = ah_future_error(f), failed, code;

  job->seconds = tool_now() - job->start;
  if (run->c->include && r != NULL)
    print_trailers(r);
  tool_output_finish(job, err == AH_OK && !job->http_failed);
  failed = err != AH_OK || job->write_err != 0 ||
           (run->c->fail_http && r != NULL && ah_response_status(r) >= 400);
  code = tool_curl_code(job, f, err, run->c->fail_http);
  if (run->single)
    run->code = code;
  if (run->c->jsonl)
    tool_report_json(stdout, job, f, err);
  if (run->c->write_out != NULL)
    tool_write_out(run->c->write_out, job, f, err, code);
  if (failed)
    say_failure(run, job, f, r, err);
  tool_stats_add(&run->st, job, r, err, failed);
  job_release(job);
  job->f = NULL;
  ah_future_free(f);
  run->idle[run->nidle++] = sl;
  refill(run);
}

static void start(struct run *run, struct slot *sl)
{
  const struct tool_config *c = run->c;
  struct tool_job *job = &sl->job;
  size_t i = run->next++;
  const char *given = c->urls[c->load ? 0 : i], *proxy, *why = "out of memory";
  int rc = AH_ENOMEM, code = CURL_OUT_OF_MEMORY, ok;

  memset(job, 0, sizeof *job);
  job->index = i;
  job->start = tool_now();
  /* As curl: a URL without "scheme://" is an http one; the proxy (-x or
   * the environment, unless --noproxy or no_proxy names the host) is
   * chosen by the URL's scheme and host. */
  job->url = tool_url_guess(given, &job->url_buf);
  proxy = job->url ? tool_proxy_for(job->url, c->proxy, c->noproxy) : NULL;
  ok = job->url != NULL;
  /* As curl: a proxy without "scheme://" is an http:// one. */
  if (ok && proxy != NULL && *proxy != '\0' && !tool_has_scheme(proxy))
    ok = (proxy = tool_url_guess(proxy, &job->proxy_buf)) != NULL;
  run->starting = sl;
  if (ok && (rc = ah_request_opts_set_proxy(sl->ro, proxy ? proxy : "")) == AH_EINVAL) {
    why = "the proxy is not http://, socks5:// or socks5h://";
    code = CURL_CONNECT; /* curl: an unsupported proxy scheme */
  }
  if (rc != AH_OK || tool_output_plan(c, job, run->to_stdout) != TOOL_OK ||
      (job->f = ah_session_fetch(run->s, job->url, sl->ro)) == NULL) {
    /* This URL fails, the run goes on. */
    run->starting = NULL;
    if (errors_shown(c))
      fprintf(stderr, "ahttp: %s: %s\n", job->url ? job->url : given, why);
    if (run->single)
      run->code = code;
    tool_stats_add(&run->st, job, NULL, rc == AH_EINVAL ? AH_EINVAL : AH_ENOMEM, 1);
    job_release(job);
    run->idle[run->nidle++] = sl;
    return;
  }
  run->starting = NULL;
  /* Runs at once when the fetch already failed (a bad URL). */
  ah_future_on_done(job->f, on_done, sl);
}

/* Another request may start: URLs are left, or a load run goes on. */
static int more(const struct run *run)
{
  return run->next < run->total &&
         (run->deadline == 0 || tool_now() < run->deadline);
}

/* -v: the job of f, or the one being started before its future is known. */
static struct tool_job *find_job(void *ctx, const ah_future *f)
{
  struct run *run = ctx;
  size_t i;

  for (i = 0; i < run->nslots; i++)
    if (run->slots[i].job.f == f && f != NULL)
      return &run->slots[i].job;
  return run->starting ? &run->starting->job : NULL;
}

/* Start URLs in idle slots. A request that completes at once frees its
 * slot inside start(): the loop takes it again rather than recursing. */
static void refill(struct run *run)
{
  if (run->refilling)
    return;
  run->refilling = 1;
  while (!interrupted && run->nidle > 0 && more(run))
    start(run, run->idle[--run->nidle]);
  run->refilling = 0;
}

/* "a=1; b=2" as the request's cookies: each piece up to ';', spaces
 * around it trimmed, split at its first '='. */
static int add_cookies(ah_request_opts *ro, const char *s)
{
  int rc = AH_OK;

  while (rc == AH_OK && *s) {
    size_t n, k;
    const char *eq;
    char *name, *value;
    s += strspn(s, " \t;");
    n = strcspn(s, ";");
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
      n--;
    if (n == 0)
      break;
    eq = memchr(s, '=', n);
    k = eq ? (size_t)(eq - s) : n;
    name = strndup(s, k);
    value = strndup(eq ? eq + 1 : "", eq ? n - k - 1 : 0);
    rc = name && value ? ah_request_opts_add_cookie(ro, name, value) : AH_ENOMEM;
    free(name);
    free(value);
    s += n;
  }
  return rc;
}

/* The request options every slot starts from. */
static ah_request_opts *request_opts(const struct tool_config *c,
                                     struct slot *sl)
{
  ah_request_opts *ro = ah_request_opts_new();
  int rc = ro ? AH_OK : AH_ENOMEM;
  size_t i;

  if (rc == AH_OK && (c->method != NULL || c->has_body || c->head))
    rc = ah_request_opts_set_method(ro, tool_method(c));
  if (rc == AH_OK && c->has_body && c->npairs == 0)
    rc = ah_request_opts_set_body(ro, c->body, c->body_len);
  /* --data-urlencode: the pairs, which carry their own Content-Type. */
  for (i = 0; rc == AH_OK && i < c->npairs; i++)
    rc = ah_request_opts_add_urlencoded(ro, c->pairs[i].name, c->pairs[i].value);
  /* --json: as curl 7.82, unless -H names them. */
  if (rc == AH_OK && c->json_body && !tool_has_header(c, "Content-Type"))
    rc = ah_request_opts_add_header(ro, "Content-Type", "application/json");
  if (rc == AH_OK && c->json_body && !tool_has_header(c, "Accept"))
    rc = ah_request_opts_add_header(ro, "Accept", "application/json");
  for (i = 0; rc == AH_OK && i < c->nforms; i++) {
    const struct tool_form *fm = &c->forms[i];
    if (fm->is_file) {
      const char *base = strrchr(fm->value, '/');
      rc = ah_request_opts_add_form_file(ro, fm->name, fm->value,
                                         fm->filename ? fm->filename
                                         : base ? base + 1 : fm->value,
                                         fm->type);
    } else {
      rc = ah_request_opts_add_form_data(ro, fm->name, fm->value, fm->value_len,
                                         fm->filename, fm->type);
    }
  }
  if (rc == AH_OK && c->nforms > 0 && c->method != NULL)
    rc = ah_request_opts_set_method(ro, c->method);
  /* -b 'NAME=VALUE; NAME=VALUE': the request's cookies, in one Cookie
   * header beside the jar's (as curl sends them), kept to the request's
   * own origin by the library. */
  if (rc == AH_OK && c->cookies != NULL && !tool_has_header(c, "Cookie"))
    rc = add_cookies(ro, c->cookies);
  for (i = 0; rc == AH_OK && i < c->nheaders; i++) {
    /* "Name: value"; "Name:" alone removes a header libcurl would send. */
    const char *h = c->headers[i], *colon = strchr(h, ':'), *v = colon + 1;
    char *name = strndup(h, (size_t)(colon - h));
    while (*v == ' ' || *v == '\t')
      v++;
    rc = name ? ah_request_opts_add_header(ro, name, *v ? v : NULL) : AH_ENOMEM;
    free(name);
  }
  if (rc == AH_OK && c->userpass != NULL) {
    const char *colon = strchr(c->userpass, ':');
    char *user = strndup(c->userpass, (size_t)(colon - c->userpass));
    rc = user == NULL ? AH_ENOMEM
         : c->digest ? ah_request_opts_set_digest_auth(ro, user, colon + 1)
                     : ah_request_opts_set_basic_auth(ro, user, colon + 1);
    free(user);
  }
  if (rc == AH_OK && c->bearer != NULL)
    rc = ah_request_opts_set_bearer_token(ro, c->bearer);
  /* Bodies are streamed, never kept: to their file, to standard output,
   * or only counted. */
  if (rc == AH_OK && c->raw)
    rc = ah_request_opts_set_decompress(ro, 0);
  if (rc == AH_OK)
    rc = ah_request_opts_on_data(ro, on_data, sl);
  if (rc == AH_OK && (c->include || c->head || c->verbose || c->fail_http))
    rc = ah_request_opts_on_headers(ro, on_headers, sl);
  if (rc != AH_OK) {
    fprintf(stderr, "ahttp: %s\n", ah_strerror(rc));
    ah_request_opts_free(ro);
    return NULL;
  }
  return ro;
}

/* One --connect-to, checked by the argument parser already. */
static int connect_to(ah_session_opts *o, const char *spec)
{
  struct tool_connect_to c;

  if (tool_connect_to_parse(spec, &c) < 0)
    return AH_EINVAL;
  return ah_session_opts_add_connect_to(o, c.host[0] ? c.host : NULL, c.port,
                                        c.to_host[0] ? c.to_host : NULL, c.to_port);
}

/* -U USER:PASSWORD (the password after the first colon; none: empty). */
static int proxy_user(ah_session_opts *o, const char *spec)
{
  const char *colon = strchr(spec, ':');
  char *user = strndup(spec, colon ? (size_t)(colon - spec) : strlen(spec));
  int rc;

  if (user == NULL)
    return AH_ENOMEM;
  rc = ah_session_opts_set_proxy_auth(o, user, colon ? colon + 1 : "");
  free(user);
  return rc;
}

static ah_session *session(const struct tool_config *c, struct run *run)
{
  ah_session_opts *o = ah_session_opts_new();
  ah_session *s = NULL;
  int rc = o ? AH_OK : AH_ENOMEM;
  size_t i;

  if (rc == AH_OK)
    rc = ah_session_opts_set_max_connections(o, c->jobs, 0);
  if (rc == AH_OK)
    rc = ah_session_opts_set_timeouts(o, c->total_ms, c->connect_ms, c->idle_ms);
  if (rc == AH_OK && c->max_redirects >= 0)
    rc = ah_session_opts_set_max_redirects(o, c->max_redirects);
  if (rc == AH_OK && c->user_agent != NULL)
    rc = ah_session_opts_set_user_agent(o, c->user_agent);
  if (rc == AH_OK && c->http_version != AH_HTTP_DEFAULT)
    rc = ah_session_opts_set_http_version(o, c->http_version);
  if (rc == AH_OK && c->cacert != NULL)
    rc = ah_session_opts_set_ca(o, c->cacert, NULL);
  if (rc == AH_OK && c->insecure)
    rc = ah_session_opts_set_tls_insecure_no_verify(o, 1);
  if (rc == AH_OK && c->cert != NULL)
    rc = ah_session_opts_set_client_cert(o, c->cert, c->key);
  if (rc == AH_OK && c->verbose)
    rc = ah_session_opts_on_event(o, tool_verbose_event, &run->verbose);
  if (rc == AH_OK && c->unix_socket != NULL)
    rc = ah_session_opts_set_unix_socket(o, c->unix_socket);
  if (rc == AH_OK && c->pinned != NULL)
    rc = ah_session_opts_set_pinned_key(o, c->pinned);
  for (i = 0; rc == AH_OK && i < c->nconnect_to; i++)
    rc = connect_to(o, c->connect_to[i]);
  if (rc == AH_OK && c->proxy_user != NULL)
    rc = proxy_user(o, c->proxy_user);
  if (rc == AH_OK && c->retries > 0)
    rc = ah_session_opts_set_retries(o, (int)c->retries + 1, AH_RETRY_DEFAULT);
  if (rc == AH_OK && c->rate > 0)
    rc = ah_session_opts_set_host_rate(o, NULL, c->rate, c->rate < 1 ? 1 : c->rate);
  if (rc == AH_OK && (s = ah_session_new(o)) == NULL) {
    const char *why = NULL;
    int e = errno;
    if ((rc = ah_libcurl_check(&why)) != AH_OK)
      fprintf(stderr, "ahttp: %s\n", why);
    else
      fprintf(stderr, "ahttp: cannot set the session up: %s\n", strerror(e));
    rc = rc != AH_OK ? rc : AH_ENOMEM;
  } else if (rc != AH_OK) {
    fprintf(stderr, "ahttp: cannot set the session up: %s\n", ah_strerror(rc));
  }
  ah_session_opts_free(o);
  return s;
}

/* A setup failure: TOOL_SETUP, or with one URL curl's code for it. */
static int setup_failed(const struct run *run, int curl_code)
{
  return run->single ? curl_code : TOOL_SETUP;
}

/* -b FILE: cookie files into the session's jar. A file that cannot be
 * read is skipped, as curl does (said with -v). */
static void load_cookies(const struct tool_config *c, ah_session *s)
{
  size_t i;

  for (i = 0; i < c->ncookie_files; i++)
    if (ah_session_cookies_load(s, c->cookie_files[i]) != AH_OK && c->verbose)
      fprintf(stderr, "* cannot read the cookie file %s; skipped\n",
              c->cookie_files[i]);
}

static int run_all(const struct tool_config *c)
{
  struct run run;
  size_t nslots, i;
  int status = TOOL_SETUP, show_summary;
  struct sigaction sa;

  memset(&run, 0, sizeof run);
  run.c = c;
  run.single = c->nurls == 1 && !c->load;
  run.total = !c->load ? c->nurls : c->requests > 0 ? (size_t)c->requests
                                                    : (size_t)-1;
  nslots = (size_t)c->jobs < run.total ? (size_t)c->jobs : run.total;
  run.nslots = nslots;
  run.to_stdout = run.single && c->output == NULL && c->output_dir == NULL &&
                  !c->jsonl;
  if (c->load && (run.load_url = tool_url_guess(c->urls[0], &run.load_buf)) == NULL)
    return TOOL_SETUP;
  run.verbose.c = c;
  run.verbose.find = find_job;
  run.verbose.ctx = &run;
  if (c->progress == 1 || (c->progress == -1 && (c->nurls > 1 || c->load) &&
                           isatty(STDERR_FILENO)))
    run.tty = stderr;
  show_summary = c->summary == 1 || (c->summary == -1 && !run.single);
  if (c->output_dir != NULL && tool_output_dir(c->output_dir) < 0) {
    fprintf(stderr, "ahttp: cannot use %s as the output directory: %s\n",
            c->output_dir, strerror(errno));
    return setup_failed(&run, CURL_WRITE_ERROR);
  }
  if (tool_stats_init(&run.st, c->load && c->requests == 0 ? 0 : run.total,
                      tool_now()) < 0 ||
      (run.slots = calloc(nslots, sizeof *run.slots)) == NULL ||
      (run.idle = calloc(nslots, sizeof *run.idle)) == NULL) {
    fprintf(stderr, "ahttp: out of memory\n");
    status = setup_failed(&run, CURL_OUT_OF_MEMORY);
    goto out;
  }
  if ((run.s = session(c, &run)) == NULL) {
    status = setup_failed(&run, CURL_FAILED_INIT);
    goto out;
  }
  load_cookies(c, run.s);
  for (i = 0; i < nslots; i++) {
    run.slots[i].run = &run;
    if ((run.slots[i].ro = request_opts(c, &run.slots[i])) == NULL) {
      status = setup_failed(&run, CURL_FAILED_INIT);
      goto out;
    }
    run.idle[run.nidle++] = &run.slots[nslots - 1 - i];
  }
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  run.st.start = tool_now();
  if (c->duration_ms > 0)
    run.st.until = run.deadline = run.st.start + (double)c->duration_ms / 1000.0;
  refill(&run);
  /* Slices of 100 ms: the progress bar moves, Ctrl-C is seen, and a load
   * run's deadline is kept to within them. Done when nothing is in flight
   * and nothing more may start. */
  while (!interrupted && (run.nidle < nslots || more(&run))) {
    ah_session_run(run.s, 100);
    refill(&run); /* a load run's slots wait on a deadline only here */
    if (run.tty != NULL)
      tool_progress(run.tty, &run.st, tool_now(), 0);
  }
  if (c->cookie_jar != NULL && ah_session_cookies_save(run.s, c->cookie_jar) != AH_OK &&
      errors_shown(c))
    fprintf(stderr, "ahttp: cannot write the cookies to %s\n", c->cookie_jar);
  /* Interrupted: what is in flight completes canceled, reported as such. */
  ah_session_free(run.s);
  run.s = NULL;
  if (run.tty != NULL) {
    tool_progress(run.tty, &run.st, tool_now(), 1);
    fputc('\n', run.tty);
  }
  if (show_summary)
    tool_report_summary(stderr, &run.st, tool_now());
  if (c->load)
    tool_report_load(stdout, &run.st, run.load_url,
                     tool_now());
  if (interrupted) {
    fprintf(stderr, "ahttp: interrupted after %zu of %zu requests\n",
            run.st.done, c->load ? run.next : c->nurls);
    status = TOOL_INTERRUPTED;
  } else if (run.st.failed > 0) {
    if (errors_shown(c))
      fprintf(stderr, "ahttp: %zu of %zu requests failed\n", run.st.failed,
              run.st.done);
    status = run.single ? run.code : TOOL_FAILED;
  } else {
    status = TOOL_OK;
  }
out:
  ah_session_free(run.s);
  for (i = 0; run.slots != NULL && i < nslots; i++)
    ah_request_opts_free(run.slots[i].ro);
  free(run.slots);
  free(run.idle);
  free(run.load_buf);
  tool_stats_free(&run.st);
  if (fflush(stdout) != 0 && status == TOOL_OK) {
    fprintf(stderr, "ahttp: cannot write standard output: %s\n",
            strerror(errno));
    status = run.single ? CURL_WRITE_ERROR : TOOL_FAILED;
  }
  return status;
}

int main(int argc, char **argv)
{
  struct tool_config c;
  int done, status;

  memset(&c, 0, sizeof c);
  /* A closed pipe is a write error on that request, not a silent death. */
  signal(SIGPIPE, SIG_IGN);
  status = tool_args_parse(&c, argc, argv, &done);
  if (status == TOOL_OK && !done)
    status = run_all(&c);
  tool_config_free(&c);
  return status;
}
