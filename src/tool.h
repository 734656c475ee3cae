/*
 * ahttp(1), the command-line tool: a concurrent fetcher built on the
 * public API alone (include/ahttp.h), as any program using the library.
 *
 *   tool_main.c    the run: a session, a window of -j requests kept in
 *                  flight from ah_future_on_done, Ctrl-C
 *   tool_args.c    options and the URL list (arguments, a file, stdin)
 *   tool_output.c  where bodies go: standard output, a file, a directory
 *   tool_report.c  what is said: JSON lines, the summary, the progress bar
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef AHTTP_TOOL_H
#define AHTTP_TOOL_H

#include <stddef.h>
#include <stdio.h>

#include <ahttp.h>

/* Exit statuses (ahttp.1, EXIT STATUS). */
enum {
  TOOL_OK = 0,          /* every request succeeded */
  TOOL_FAILED = 1,      /* at least one request failed */
  TOOL_USAGE = 2,       /* bad options */
  TOOL_SETUP = 3,       /* could not start: memory, output, session */
  TOOL_INTERRUPTED = 130
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
  char *body;           /* -d, owned (a copy, or a file's contents) */
  size_t body_len;
  int has_body;
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
  int insecure, include, fail_http, json, quiet;
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
  ah_future *f;
  FILE *out;            /* standard output, or a file opened on first byte */
  char *path;           /* the file, when bodies go to files */
  int own_file;         /* out is ours to close */
  int created;          /* this run made the file: it may remove it */
  int follow_links;     /* -o: the caller's path, links followed as curl does */
  int write_err;        /* errno of a failed write, 0 if none */
  unsigned long long bytes;
  double start, seconds;
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
  size_t errors[32];    /* failures by -code */
  size_t write_errors;  /* bodies that could not be written */
  double start;
  double last_draw;
  int bar_shown;
};

int tool_stats_init(struct tool_stats *st, size_t total, double now);
void tool_stats_free(struct tool_stats *st);
/* Count a finished job (r NULL when it failed with err). */
void tool_stats_add(struct tool_stats *st, const struct tool_job *job,
                    const ah_response *r, int err, int failed);
/* A JSON object on one line describing job's outcome. */
void tool_report_json(FILE *out, const struct tool_job *job,
                      const ah_future *f, int err);
/* The summary: counts, bytes, rate and latency percentiles. */
void tool_report_summary(FILE *out, const struct tool_stats *st, double now);
/* Redraw the progress bar (at most ten times a second unless force). */
void tool_progress(FILE *tty, struct tool_stats *st, double now, int force);
/* Erase the progress bar before other text goes to the terminal. */
void tool_progress_clear(FILE *tty, struct tool_stats *st);
/* The p-th percentile (0..100) of sorted values v[0..n). */
double tool_percentile(const double *v, size_t n, double p);
/* Seconds on the monotonic clock. */
double tool_now(void);

#endif /* AHTTP_TOOL_H */
