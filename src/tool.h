/*
 * ahttp(1), the command-line tool: a concurrent fetcher built on the
 * public API alone (include/ahttp.h), as any program using the library.
 *
 *   tool_main.c    the run: a session, a window of -j requests kept in
 *                  flight from ah_future_on_done, Ctrl-C
 *   tool_args.c    options and the URL list (arguments, a file, stdin)
 *   tool_output.c  where bodies go: standard output, a file, a directory
 *   tool_report.c  what is said: JSON lines, the summary, the progress bar,
 *                  --write-out, the load run's summary line
 *   tool_curl.c    what curl users expect: exit codes, proxy variables,
 *                  a URL without a scheme
 *   tool_verbose.c -v: a request's lifecycle events on standard error
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef AHTTP_TOOL_H
#define AHTTP_TOOL_H

#include <stddef.h>
#include <stdio.h>

#include <ahttp.h>

/* Exit statuses (ahttp.1, EXIT STATUS). With several URLs or a load run
 * these; with one URL, curl's codes (tool_curl_code). */
enum {
  TOOL_OK = 0,          /* every request succeeded */
  TOOL_FAILED = 1,      /* at least one request failed */
  TOOL_USAGE = 2,       /* bad options */
  TOOL_SETUP = 3,       /* could not start: memory, output, session */
  TOOL_READ = 26,       /* a file named by an option could not be read */
  TOOL_INTERRUPTED = 130
};

/* curl's exit codes the tool gives itself for one URL (curl's
 * libcurl-errors.3); a failure libcurl named exits with that code as it is
 * (ah_future_curl_code), so only these need a name here. */
enum {
  CURL_UNSUPPORTED_PROTOCOL = 1, CURL_FAILED_INIT = 2, CURL_URL_MALFORMAT = 3,
  CURL_NOT_BUILT_IN = 4, CURL_RESOLVE_HOST = 6, CURL_CONNECT = 7,
  CURL_WEIRD_REPLY = 8, CURL_HTTP_ERROR = 22, CURL_WRITE_ERROR = 23,
  CURL_OUT_OF_MEMORY = 27, CURL_TIMEOUT = 28, CURL_SSL_CONNECT = 35,
  CURL_ABORTED = 42, CURL_TOO_MANY_REDIRECTS = 47, CURL_RECV_ERROR = 56,
  CURL_FILESIZE_EXCEEDED = 63
};

/* A -F part: name=value, name=<file (the file's text as the value) or
 * name=@file[;type=T][;filename=F]. Strings owned by the config. */
struct tool_form {
  char *name, *value;   /* value: the text or bytes, or the file's path */
  size_t value_len;     /* the bytes' length (NAME=<FILE: NULs too) */
  char *filename, *type;
  int is_file;
};

/* --data-urlencode: one name=value pair of the form body. */
struct tool_pair {
  char *name, *value;   /* value NULL: the name alone */
};

/* What the command line asked for. Strings point into argv or are owned
 * by the config (the URL list, the body). */
struct tool_config {
  char **urls;          /* owned array; the strings from argv or read */
  size_t nurls, cap_urls;
  char *url_store;      /* one block holding the URLs read from input */
  long jobs;            /* -j: requests in flight */
  const char *method;
  const char **headers; /* "Name: value" as given, -H */
  size_t nheaders;
  char *body;           /* -d, --json: owned (copies, or files' contents) */
  size_t body_len;
  int has_body;
  int json_body;        /* --json: Content-Type and Accept application/json */
  struct tool_form *forms; /* -F, owned */
  size_t nforms;
  struct tool_pair *pairs; /* --data-urlencode, owned */
  size_t npairs;
  char *cookies;        /* -b NAME=VALUE...: the Cookie header, owned */
  const char **cookie_files; /* -b FILE */
  size_t ncookie_files;
  const char *cookie_jar; /* -c FILE */
  const char *cert, *key; /* --cert, --key */
  const char *noproxy;  /* --noproxy, else no_proxy from the environment */
  const char *proxy_user; /* -U USER:PASSWORD */
  char *write_out;      /* -w, owned (the text, or a file's) */
  long long requests;   /* -n: a load run of this many requests, 0: none */
  long duration_ms;     /* --duration: a load run this long, 0: none */
  int load;             /* -n or --duration */
  const char *user_agent, *userpass, *bearer, *proxy, *unix_socket;
  const char *cacert;
  const char *output;   /* -o FILE: the one URL's body */
  const char *output_dir;
  long total_ms, connect_ms, idle_ms; /* -1: the library's defaults */
  long max_redirects;   /* -1: the library's default */
  int http_version;     /* AH_HTTP_* */
  long retries;         /* --retry: retries after the first attempt */
  double rate;          /* --rate: requests per second per host, 0: none */
  const char **connect_to; /* --connect-to HOST:PORT:ADDRESS */
  size_t nconnect_to;
  const char *pinned;   /* --pinnedpubkey */
  int digest;
  int insecure, include, fail_http, jsonl, quiet;
  int head;             /* -I: HEAD, the headers to standard output */
  int raw;              /* --raw: the body as sent, not decompressed */
  int verbose;          /* -v */
  int silent, show_error; /* -s, -S */
  int progress;         /* -1: when standard error is a terminal */
  int summary;          /* -1: when there is more than one URL */
};

/* Parse argv into c (zeroed by the caller): TOOL_OK, or an exit status
 * after saying why on stderr (TOOL_OK with *done set for --help and
 * --version). */
int tool_args_parse(struct tool_config *c, int argc, char **argv, int *done);
void tool_config_free(struct tool_config *c);

/* One URL's request: where its body goes and what came of it. */
struct tool_job {
  size_t index;         /* position in the URL list */
  const char *url;
  char *url_buf;        /* url with http:// added, when it had no scheme */
  char *proxy_buf;      /* the proxy with http:// added, when it had none */
  int http_failed;      /* -f and a status >= 400: the body is not written */
  ah_future *f;
  FILE *out;            /* standard output, or a file opened on first byte */
  char *path;           /* the file, when bodies go to files */
  int own_file;         /* out is ours to close */
  int created;          /* this run made the file: it may remove it */
  int follow_links;     /* -o: the caller's path, links followed as curl does */
  int write_err;        /* errno of a failed write, 0 if none */
  unsigned long long bytes;
  double start, seconds;
  char *hop_url;        /* -v: the URL of the current hop, owned */
  const char *hop_method; /* -v: its method */
  int foreign;          /* -v: a redirect left the origin: no secrets shown */
};

/* Where job's body goes (c->output, c->output_dir, stdout or nowhere):
 * sets job->path or job->out. TOOL_OK or TOOL_SETUP with a message. */
int tool_output_plan(const struct tool_config *c, struct tool_job *job,
                     int to_stdout);
/* Write body bytes: opens the file on the first call. 0, or -1 with
 * job->write_err set. */
int tool_output_write(struct tool_job *job, const char *data, size_t len);
/* The request is over: close the file; remove it when the request failed
 * (a file in the output holds a complete response). */
void tool_output_finish(struct tool_job *job, int ok);
/* A file name for url, safe in any directory: "NNN-host_path". */
char *tool_output_name(const char *url, size_t index, size_t total);
/* Create dir if it does not exist. 0, or -1 with errno. */
int tool_output_dir(const char *dir);

/* Totals for the summary and the progress bar. */
struct tool_stats {
  size_t total, done, failed;
  unsigned long long bytes;
  double *latency;      /* seconds of each completed response */
  size_t nlatency;
  size_t status[6];     /* 1xx .. 5xx responses; [0]: others */
  size_t codes[1000];   /* responses by status code */
  size_t cap_latency;
  size_t errors[32];    /* failures by -code */
  size_t write_errors;  /* bodies that could not be written */
  double start;
  double until;          /* a load run's end (--duration), else 0 */
  double last_draw;
  int bar_shown;
};

int tool_stats_init(struct tool_stats *st, size_t total, double now);
void tool_stats_free(struct tool_stats *st);
/* Count a finished job (r NULL when it failed with err); latencies are
 * kept as long as memory allows. */
void tool_stats_add(struct tool_stats *st, const struct tool_job *job,
                    const ah_response *r, int err, int failed);
/* A JSON object on one line describing job's outcome. */
void tool_report_json(FILE *out, const struct tool_job *job,
                      const ah_future *f, int err);
/* The summary: counts, bytes, rate and latency percentiles. */
void tool_report_summary(FILE *out, const struct tool_stats *st, double now);
/* The load run's one line: a JSON object (ahttp.1, LOAD RUNS). */
void tool_report_load(FILE *out, const struct tool_stats *st, const char *url,
                      double now);
/* -w: FORMAT written for a finished job, %{name} replaced, \n \t \r
 * escapes; code is the job's curl exit code. */
void tool_write_out(const char *fmt, const struct tool_job *job,
                    const ah_future *f, int err, int code);
/* Redraw the progress bar (at most ten times a second unless force). */
void tool_progress(FILE *tty, struct tool_stats *st, double now, int force);
/* Erase the progress bar before other text goes to the terminal. */
void tool_progress_clear(FILE *tty, struct tool_stats *st);
/* The p-th percentile (0..100) of sorted values v[0..n). */
double tool_percentile(const double *v, size_t n, double p);
/* Seconds on the monotonic clock. */
double tool_now(void);

/* curl's exit code for a finished job: 0, or the curl code nearest to what
 * the library reported (err, its message, a failed write, -f and the
 * status). */
int tool_curl_code(const struct tool_job *job, const ah_future *f, int err,
                   int fail_http);
/* One --connect-to: HOST:PORT:TO_HOST:TO_PORT as curl reads it (each
 * part may be empty: any host or port, or the URL's host or port; a host
 * may be an IPv6 address in brackets), or ahttp's older HOST:PORT:ADDRESS. */
struct tool_connect_to {
  char host[256], to_host[256]; /* "": any host, the URL's host */
  int port, to_port;            /* 0: any port, the URL's port */
};
/* Parse spec into *out (out may be NULL: only check it). 0, or -1 when it
 * is not one of those forms. */
int tool_connect_to_parse(const char *spec, struct tool_connect_to *out);

/* The proxy for url from the environment (http_proxy, https_proxy,
 * HTTPS_PROXY, all_proxy, ALL_PROXY) or -x, unless noproxy (a list as
 * curl's --noproxy) matches its host: NULL for none. */
const char *tool_proxy_for(const char *url, const char *explicit_proxy,
                           const char *noproxy);
/* url as given, or a copy with "http://" in front when it has no scheme
 * (*buf set to the copy, to free); NULL without memory. */
const char *tool_url_guess(const char *url, char **buf);
/* 1 when s starts with "scheme://" (RFC 3986 scheme characters). */
int tool_has_scheme(const char *s);

/* -v: the session's lifecycle hook; ud is a struct tool_verbose, whose
 * find() names the job of a future (the job being started when the
 * future is not known yet). */
struct tool_verbose {
  const struct tool_config *c;
  struct tool_job *(*find)(void *ctx, const ah_future *f);
  void *ctx;
};
/* 1 when -H gave a header of that name (any case). */
int tool_has_header(const struct tool_config *c, const char *name);
/* The method the tool asks for (-X, -I, a body or a form, else GET). */
const char *tool_method(const struct tool_config *c);
void tool_verbose_event(const ah_event *ev, void *ud);
/* -v: the final response's status line and headers, "< " in front. */
void tool_verbose_headers(const ah_response *head);
/* "HTTP/1.1 200 OK" (prefix first) on out: the status line as received,
 * the reason phrase included; HTTP/2 has none ("HTTP/2 200"). */
void tool_status_line(FILE *out, const char *prefix, const ah_response *head);

#endif /* AHTTP_TOOL_H */
