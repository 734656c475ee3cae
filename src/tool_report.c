/*
 * ahttp(1): what is said about the run. A JSON object per request
 * (--jsonl, and -w '%{json}'), -w's format, the summary on standard
 * error, a load run's JSON line, and on a terminal a progress bar, redrawn
 * in place at most ten times a second.
 *
 * SPDX-License-Identifier: MIT
 */
#include "tool.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

double tool_now(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The length of the well-formed UTF-8 sequence at s (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s)
{
  size_t n, i;
  unsigned long cp;

  if (s[0] < 0x80)
    return 1;
  if (s[0] >= 0xc2 && s[0] <= 0xdf)
    n = 2, cp = s[0] & 0x1f;
  else if (s[0] >= 0xe0 && s[0] <= 0xef)
    n = 3, cp = s[0] & 0x0f;
  else if (s[0] >= 0xf0 && s[0] <= 0xf4)
    n = 4, cp = s[0] & 0x07;
  else
    return 0;
  for (i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0; /* the NUL ends it too */
    cp = cp << 6 | (s[i] & 0x3f);
  }
  if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
      (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return n;
}

/* s as a JSON string: quotes, backslashes and control bytes escaped, and
 * each byte that is not well-formed UTF-8 written as U+FFFD, so that
 * every line parses whatever bytes a URL or a server's text holds. */
static void json_string(FILE *out, const char *s)
{
  const unsigned char *p = (const unsigned char *)s;

  if (s == NULL) {
    fputs("null", out);
    return;
  }
  putc('"', out);
  while (*p) {
    size_t n = utf8_len(p);
    if (n == 0) {
      fputs("\\ufffd", out);
      p++;
    } else if (*p == '"' || *p == '\\') {
      fprintf(out, "\\%c", *p++);
    } else if (*p < 0x20 || *p == 0x7f) {
      fprintf(out, "\\u%04x", *p++);
    } else {
      fwrite(p, 1, n, out);
      p += n;
    }
  }
  putc('"', out);
}

/* A timeline mark in milliseconds, or null when the response lacks it. */
static void json_ms(FILE *out, const char *key, const ah_response *r, int which)
{
  long long us = ah_response_time_us(r, which);

  fprintf(out, ",\"%s\":", key);
  if (us < 0)
    fputs("null", out);
  else
    fprintf(out, "%.3f", (double)us / 1000.0);
}

/* The object of tool_report_json, without the line's end. */
static void json_object(FILE *out, const struct tool_job *job,
                        const ah_future *f, int err)
{
  const ah_response *r = ah_future_response(f);

  fprintf(out, "{\"index\":%zu,\"url\":", job->index);
  json_string(out, job->url);
  if (r != NULL) {
    int v = ah_response_http_version(r);
    fprintf(out, ",\"status\":%d,\"http_version\":", ah_response_status(r));
    if (v >= 20) /* "2", "3", as HTTP/2 and HTTP/3 are named */
      fprintf(out, "\"%d\"", v / 10);
    else
      fprintf(out, "\"%d.%d\"", v / 10, v % 10);
    fprintf(out, ",\"redirects\":%d,\"attempts\":%d", ah_response_redirects(r),
            ah_response_attempts(r));
    fputs(",\"final_url\":", out);
    json_string(out, ah_response_url(r));
    fputs(",\"history\":[", out);
    for (int i = 0; i < ah_response_redirects(r); i++) {
      int st;
      const char *u;
      if (ah_response_history_at(r, (size_t)i, &st, &u) != AH_OK)
        break;
      fprintf(out, "%s{\"status\":%d,\"url\":", i ? "," : "", st);
      json_string(out, u);
      fputc('}', out);
    }
    fputc(']', out);
  } else {
    /* The same keys on every line: null where there is no response. */
    fputs(",\"status\":null,\"http_version\":null,\"redirects\":null,"
          "\"attempts\":null,\"final_url\":null,\"history\":null", out);
  }
  fprintf(out, ",\"bytes\":%llu,\"seconds\":%.6f", job->bytes, job->seconds);
  if (r != NULL) {
    fputs(",\"time_ms\":{", out);
    fprintf(out, "\"queue\":%.3f",
            (double)ah_response_time_us(r, AH_TIME_QUEUE) / 1000.0);
    json_ms(out, "lookup", r, AH_TIME_LOOKUP);
    json_ms(out, "connect", r, AH_TIME_CONNECT);
    json_ms(out, "tls", r, AH_TIME_TLS);
    json_ms(out, "first_byte", r, AH_TIME_FIRST_BYTE);
    json_ms(out, "total", r, AH_TIME_TOTAL);
    putc('}', out);
  } else {
    fputs(",\"time_ms\":null", out);
  }
  fputs(",\"file\":", out);
  json_string(out, job->path != NULL && err == AH_OK && job->write_err == 0
                   ? job->path : NULL);
  fputs(",\"error\":", out);
  if (job->write_err != 0) { /* it stopped the transfer, if anything did */
    char why[256];
    snprintf(why, sizeof why, "cannot write %s: %s",
             job->path ? "the file" : "standard output", strerror(job->write_err));
    fputs("\"write\",\"message\":", out);
    json_string(out, why);
    fputs("}", out);
    return;
  }
  json_string(out, err == AH_OK ? NULL : ah_errname(err));
  fputs(",\"message\":", out);
  json_string(out, err == AH_OK ? NULL : ah_future_errmsg(f));
  fputs("}", out);
}

void tool_report_json(FILE *out, const struct tool_job *job,
                      const ah_future *f, int err)
{
  json_object(out, job, f, err);
  putc('\n', out);
}

/* A timeline mark in seconds, as curl's time_* variables: 0 without it. */
static double mark_s(const ah_response *r, int which)
{
  long long us = r != NULL ? ah_response_time_us(r, which) : -1;

  return us < 0 ? 0.0 : (double)us / 1e6;
}

/* One %{name} of -w; 0, or -1 when the name is unknown. */
static int write_var(FILE *out, const char *name, size_t n,
                     const struct tool_job *job, const ah_future *f, int err,
                     int code)
{
  const ah_response *r = ah_future_response(f);
  int port, v;
  const char *a;

#define IS(s) (n == sizeof(s) - 1 && strncmp(name, s, n) == 0)
  if (IS("http_code") || IS("response_code"))
    fprintf(out, "%03d", r ? ah_response_status(r) : 0);
  else if (IS("http_version")) {
    v = r ? ah_response_http_version(r) : 0;
    if (v == 0 || v >= 20) /* "0" without a response, as curl */
      fprintf(out, "%d", v / 10);
    else
      fprintf(out, "%d.%d", v / 10, v % 10);
  } else if (IS("time_queue"))
    fprintf(out, "%.6f", mark_s(r, AH_TIME_QUEUE));
  else if (IS("time_namelookup"))
    fprintf(out, "%.6f", mark_s(r, AH_TIME_LOOKUP));
  else if (IS("time_connect"))
    fprintf(out, "%.6f", mark_s(r, AH_TIME_CONNECT));
  else if (IS("time_appconnect"))
    fprintf(out, "%.6f", r && ah_response_time_us(r, AH_TIME_TLS) >
                         ah_response_time_us(r, AH_TIME_CONNECT)
                         ? mark_s(r, AH_TIME_TLS) : 0.0);
  else if (IS("time_pretransfer"))
    fprintf(out, "%.6f", mark_s(r, AH_TIME_TLS));
  else if (IS("time_starttransfer"))
    fprintf(out, "%.6f", mark_s(r, AH_TIME_FIRST_BYTE));
  else if (IS("time_redirect"))
    fprintf(out, "%.6f", mark_s(r, AH_TIME_REDIRECT));
  else if (IS("time_total"))
    fprintf(out, "%.6f", r ? mark_s(r, AH_TIME_TOTAL) : job->seconds);
  else if (IS("url"))
    fputs(job->url, out);
  else if (IS("url_effective"))
    fputs(r && ah_response_url(r) ? ah_response_url(r) : job->url, out);
  else if (IS("size_download"))
    fprintf(out, "%llu", job->bytes);
  else if (IS("speed_download"))
    fprintf(out, "%.0f", job->seconds > 0 ? (double)job->bytes / job->seconds : 0.0);
  else if (IS("num_redirects"))
    fprintf(out, "%d", r ? ah_response_redirects(r) : 0);
  else if (IS("num_retries"))
    fprintf(out, "%d", r ? ah_response_attempts(r) - 1 : 0);
  else if (IS("remote_ip") || IS("remote_port") || IS("local_ip") ||
           IS("local_port")) {
    a = r == NULL ? NULL
        : name[0] == 'r' ? ah_response_remote_addr(r, &port)
                         : ah_response_local_addr(r, &port);
    if (name[n - 1] == 't') /* the ports */
      fprintf(out, "%d", a ? port : 0);
    else
      fputs(a ? a : "", out);
  } else if (IS("content_type"))
    fputs(r && ah_response_header(r, "Content-Type")
          ? ah_response_header(r, "Content-Type") : "", out);
  else if (IS("filename_effective"))
    fputs(job->path ? job->path : "", out);
  else if (IS("exitcode"))
    fprintf(out, "%d", code);
  else if (IS("errormsg"))
    fputs(err != AH_OK ? ah_future_errmsg(f) : "", out);
  else if (IS("errorcode")) /* ahttp's own: the library's code's name */
    fputs(err != AH_OK ? ah_errname(err) : "", out);
  else if (IS("json"))
    json_object(out, job, f, err);
  else
    return -1;
#undef IS
  return 0;
}

void tool_write_out(const char *fmt, const struct tool_job *job,
                    const ah_future *f, int err, int code)
{
  FILE *out = stdout;
  const char *p = fmt;

  while (*p) {
    if (p[0] == '\\' && (p[1] == 'n' || p[1] == 't' || p[1] == 'r' ||
                         p[1] == '\\')) {
      putc(p[1] == 'n' ? '\n' : p[1] == 't' ? '\t' : p[1] == 'r' ? '\r' : '\\',
           out);
      p += 2;
    } else if (p[0] == '%' && p[1] == '%') {
      putc('%', out);
      p += 2;
    } else if (p[0] == '%' && p[1] == '{' && strchr(p, '}') != NULL) {
      const char *name = p + 2, *end = strchr(p, '}');
      size_t n = (size_t)(end - name);
      if (n == 6 && strncmp(name, "stdout", 6) == 0)
        out = stdout;
      else if (n == 6 && strncmp(name, "stderr", 6) == 0)
        out = stderr;
      else if (write_var(out, name, n, job, f, err, code) < 0)
        fprintf(stderr, "ahttp: unknown --write-out variable: '%.*s'\n",
                (int)n, name);
      p = end + 1;
    } else if (strncmp(p, "%header{", 8) == 0 && strchr(p, '}') != NULL) {
      const char *end = strchr(p, '}');
      const ah_response *r = ah_future_response(f);
      char *name = strndup(p + 8, (size_t)(end - p - 8));
      const char *v = r && name ? ah_response_header(r, name) : NULL;
      fputs(v ? v : "", out);
      free(name);
      p = end + 1;
    } else {
      putc(*p++, out);
    }
  }
}

int tool_stats_init(struct tool_stats *st, size_t total, double now)
{
  memset(st, 0, sizeof *st);
  st->total = total;
  st->start = now;
  /* A load run of --duration has no total: the array grows. */
  st->cap_latency = total > 0 && total < 1000000 ? total : 1024;
  st->latency = malloc(st->cap_latency * sizeof *st->latency);
  return st->latency != NULL ? 0 : -1;
}

void tool_stats_free(struct tool_stats *st)
{
  free(st->latency);
  st->latency = NULL;
}

void tool_stats_add(struct tool_stats *st, const struct tool_job *job,
                    const ah_response *r, int err, int failed)
{
  st->done++;
  st->bytes += job->bytes;
  if (failed)
    st->failed++;
  if (job->write_err != 0) {
    st->write_errors++;
  } else if (r != NULL) {
    int code = ah_response_status(r), s = code / 100;
    st->status[s >= 1 && s <= 5 ? s : 0]++;
    if (code >= 0 && code < (int)(sizeof st->codes / sizeof st->codes[0]))
      st->codes[code]++;
    if (st->nlatency == st->cap_latency) {
      double *p = realloc(st->latency, 2 * st->cap_latency * sizeof *p);
      if (p == NULL)
        return; /* the percentiles are of the responses kept so far */
      st->latency = p;
      st->cap_latency *= 2;
    }
    st->latency[st->nlatency++] = job->seconds;
  } else if (err < 0 && -err < (int)(sizeof st->errors / sizeof st->errors[0])) {
    st->errors[-err]++;
  }
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return x < y ? -1 : x > y;
}

double tool_percentile(const double *v, size_t n, double p)
{
  /* Nearest rank: the smallest value with at least p% of them at or
   * below it. */
  size_t rank;

  if (n == 0)
    return 0.0;
  rank = (size_t)((p / 100.0) * (double)n + 0.999999);
  if (rank < 1)
    rank = 1;
  if (rank > n)
    rank = n;
  return v[rank - 1];
}

/* 1536 -> "1.5 KiB". */
static void human_bytes(char *buf, size_t cap, unsigned long long b)
{
  static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)b;
  int u = 0;

  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    u++;
  }
  if (u == 0)
    snprintf(buf, cap, "%llu B", b);
  else
    snprintf(buf, cap, "%.1f %s", v, unit[u]);
}

void tool_report_summary(FILE *out, const struct tool_stats *st, double now)
{
  double secs = now - st->start;
  char bytes[32];
  size_t i;
  int first = 1;

  human_bytes(bytes, sizeof bytes, st->bytes);
  fprintf(out, "%zu requests in %.2f s: %zu succeeded, %zu failed; %s "
               "received; %.0f requests/s\n",
          st->done, secs, st->done - st->failed, st->failed, bytes,
          secs > 0 ? (double)st->done / secs : 0.0);
  if (st->nlatency > 0) {
    qsort(st->latency, st->nlatency, sizeof *st->latency, cmp_double);
    fprintf(out, "latency of %zu responses: p50 %.1f ms, p90 %.1f ms, "
                 "p99 %.1f ms, max %.1f ms\n",
            st->nlatency, 1000 * tool_percentile(st->latency, st->nlatency, 50),
            1000 * tool_percentile(st->latency, st->nlatency, 90),
            1000 * tool_percentile(st->latency, st->nlatency, 99),
            1000 * st->latency[st->nlatency - 1]);
  }
  fputs("statuses:", out);
  for (i = 1; i <= 5; i++)
    if (st->status[i] > 0)
      fprintf(out, " %zuxx %zu", i, st->status[i]);
  if (st->status[0] > 0)
    fprintf(out, " other %zu", st->status[0]);
  if (st->nlatency == 0)
    fputs(" none", out);
  putc('\n', out);
  for (i = 1; i < sizeof st->errors / sizeof st->errors[0]; i++) {
    if (st->errors[i] == 0)
      continue;
    fprintf(out, "%s %s %zu (%s)", first ? "errors:" : ",",
            ah_errname(-(int)i), st->errors[i], ah_strerror(-(int)i));
    first = 0;
  }
  if (st->write_errors > 0) {
    fprintf(out, "%s write %zu (the body could not be written)",
            first ? "errors:" : ",", st->write_errors);
    first = 0;
  }
  if (!first)
    putc('\n', out);
}

void tool_report_load(FILE *out, const struct tool_stats *st, const char *url,
                      double now)
{
  double secs = now - st->start, sum = 0;
  size_t i;
  int first = 1;

  qsort(st->latency, st->nlatency, sizeof *st->latency, cmp_double);
  for (i = 0; i < st->nlatency; i++)
    sum += st->latency[i];
  fputs("{\"url\":", out);
  json_string(out, url);
  fprintf(out, ",\"requests\":%zu,\"ok\":%zu,\"failed\":%zu,\"errors\":{",
          st->done, st->done - st->failed, st->failed);
  for (i = 1; i < sizeof st->errors / sizeof st->errors[0]; i++) {
    if (st->errors[i] == 0)
      continue;
    fprintf(out, "%s\"%s\":%zu", first ? "" : ",", ah_errname(-(int)i),
            st->errors[i]);
    first = 0;
  }
  if (st->write_errors > 0)
    fprintf(out, "%s\"write\":%zu", first ? "" : ",", st->write_errors);
  fputs("},\"status\":{", out);
  first = 1;
  for (i = 0; i < sizeof st->codes / sizeof st->codes[0]; i++) {
    if (st->codes[i] == 0)
      continue;
    fprintf(out, "%s\"%zu\":%zu", first ? "" : ",", i, st->codes[i]);
    first = 0;
  }
  fprintf(out, "},\"seconds\":%.3f,\"rps\":%.1f,\"latency_ms\":", secs,
          secs > 0 ? (double)st->done / secs : 0.0);
  if (st->nlatency == 0)
    fputs("null", out);
  else
    fprintf(out, "{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f,"
                 "\"mean\":%.3f}",
            1000 * tool_percentile(st->latency, st->nlatency, 50),
            1000 * tool_percentile(st->latency, st->nlatency, 90),
            1000 * tool_percentile(st->latency, st->nlatency, 99),
            1000 * st->latency[st->nlatency - 1],
            1000 * sum / (double)st->nlatency);
  fprintf(out, ",\"bytes\":%llu}\n", st->bytes);
}

void tool_progress(FILE *tty, struct tool_stats *st, double now, int force)
{
  enum { WIDTH = 30 };
  char bar[WIDTH + 1];
  double secs = now - st->start;
  /* A load run for a duration: the bar is the time gone. */
  double part = st->total ? (double)st->done / (double)st->total
                : st->until > st->start && now < st->until
                ? secs / (st->until - st->start) : 1.0;
  size_t fill = (size_t)(part * WIDTH);

  if (!force && now - st->last_draw < 0.1)
    return;
  st->last_draw = now;
  if (fill > WIDTH)
    fill = WIDTH;
  memset(bar, '#', fill);
  memset(bar + fill, '.', WIDTH - fill);
  bar[WIDTH] = '\0';
  /* \r returns to the line's start, \033[K erases what was left of it. */
  if (st->total)
    fprintf(tty, "\r[%s] %zu/%zu %3.0f%% %.0f req/s %zu failed\033[K", bar,
            st->done, st->total, 100.0 * part,
            secs > 0 ? (double)st->done / secs : 0.0, st->failed);
  else
    fprintf(tty, "\r[%s] %zu done %.1f s %.0f req/s %zu failed\033[K", bar,
            st->done, secs, secs > 0 ? (double)st->done / secs : 0.0,
            st->failed);
  fflush(tty);
  st->bar_shown = 1;
}

void tool_progress_clear(FILE *tty, struct tool_stats *st)
{
  if (!st->bar_shown)
    return;
  fputs("\r\033[K", tty);
  fflush(tty);
  st->bar_shown = 0;
}
