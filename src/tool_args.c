/*
 * ahttp(1): options and the URL list.
 *
 * SPDX-License-Identifier: MIT
 */
#include "tool.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
  "usage: ahttp [options] URL...\n"
  "       ahttp [options] --input FILE    (one URL per line; - for stdin)\n"
  "\n"
  "  -j, --jobs N             requests in flight at once (default 16)\n"
  "  -X, --request METHOD     method (default GET, or POST with -d)\n"
  "  -H, --header 'N: v'      add a request header ('N:' removes one)\n"
  "  -d, --data DATA|@FILE    request body\n"
  "  -A, --user-agent UA      User-Agent header\n"
  "  -u, --user USER:PASS     basic authentication\n"
  "      --bearer TOKEN       Authorization: Bearer TOKEN\n"
  "  -o, --output FILE        write the one URL's body to FILE\n"
  "      --output-dir DIR     write each body to a file in DIR\n"
  "  -i, --include            print the status line and headers first\n"
  "  -m, --max-time SECS      total time allowed for each request\n"
  "      --connect-timeout SECS\n"
  "      --idle-timeout SECS  longest wait for the next byte\n"
  "      --max-redirs N       redirects followed (default 10; 0: none)\n"
  "  -k, --insecure           do not verify TLS certificates\n"
  "      --cacert FILE        trust the CA certificates in FILE\n"
  "      --http1.1 | --http2 | --http2-prior-knowledge\n"
  "  -x, --proxy URL          proxy: http://, socks5:// or socks5h://\n"
  "      --unix-socket PATH   connect to a unix socket\n"
  "      --digest             -u credentials by HTTP digest\n"
  "      --pinnedpubkey PINS  sha256//BASE64[;...] or a public key file\n"
  "      --connect-to HOST:PORT:ADDRESS   connect there instead (PORT may be empty)\n"
  "      --retry N            retry failures and 429/502/503/504 N times\n"
  "      --rate R             at most R requests per second to each host\n"
  "  -f, --fail               count HTTP statuses >= 400 as failures\n"
  "      --json               one JSON object per URL on standard output\n"
  "      --summary            print the summary even for one URL\n"
  "      --progress | --no-progress   force the progress bar on or off\n"
  "  -q, --quiet              no summary, no progress bar\n"
  "  -V, --version            print versions and exit\n"
  "  -h, --help               print this help and exit\n";

enum {
  OPT_BEARER = 256, OPT_OUTPUT_DIR, OPT_CONNECT_TIMEOUT, OPT_IDLE_TIMEOUT,
  OPT_MAX_REDIRS, OPT_CACERT, OPT_HTTP11, OPT_HTTP2, OPT_H2C, OPT_UNIX,
  OPT_JSON, OPT_SUMMARY, OPT_PROGRESS, OPT_NO_PROGRESS, OPT_INPUT,
  OPT_DIGEST, OPT_PINNED, OPT_CONNECT_TO, OPT_RETRY, OPT_RATE
};

static const struct option longopts[] = {
  {"jobs", required_argument, NULL, 'j'},
  {"request", required_argument, NULL, 'X'},
  {"header", required_argument, NULL, 'H'},
  {"data", required_argument, NULL, 'd'},
  {"user-agent", required_argument, NULL, 'A'},
  {"user", required_argument, NULL, 'u'},
  {"bearer", required_argument, NULL, OPT_BEARER},
  {"output", required_argument, NULL, 'o'},
  {"output-dir", required_argument, NULL, OPT_OUTPUT_DIR},
  {"include", no_argument, NULL, 'i'},
  {"max-time", required_argument, NULL, 'm'},
  {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
  {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
  {"max-redirs", required_argument, NULL, OPT_MAX_REDIRS},
  {"insecure", no_argument, NULL, 'k'},
  {"cacert", required_argument, NULL, OPT_CACERT},
  {"http1.1", no_argument, NULL, OPT_HTTP11},
  {"http2", no_argument, NULL, OPT_HTTP2},
  {"http2-prior-knowledge", no_argument, NULL, OPT_H2C},
  {"proxy", required_argument, NULL, 'x'},
  {"unix-socket", required_argument, NULL, OPT_UNIX},
  {"fail", no_argument, NULL, 'f'},
  {"json", no_argument, NULL, OPT_JSON},
  {"summary", no_argument, NULL, OPT_SUMMARY},
  {"progress", no_argument, NULL, OPT_PROGRESS},
  {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
  {"input", required_argument, NULL, OPT_INPUT},
  {"digest", no_argument, NULL, OPT_DIGEST},
  {"pinnedpubkey", required_argument, NULL, OPT_PINNED},
  {"connect-to", required_argument, NULL, OPT_CONNECT_TO},
  {"retry", required_argument, NULL, OPT_RETRY},
  {"rate", required_argument, NULL, OPT_RATE},
  {"quiet", no_argument, NULL, 'q'},
  {"version", no_argument, NULL, 'V'},
  {"help", no_argument, NULL, 'h'},
  {NULL, 0, NULL, 0}
};

static int bad(const char *what, const char *arg)
{
  fprintf(stderr, "ahttp: %s: '%s'\n", what, arg);
  return TOOL_USAGE;
}

/* A whole number in [lo, hi]. */
static int parse_long(const char *s, long lo, long hi, long *out)
{
  char *end;
  long v;

  errno = 0;
  v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

/* Seconds, fractions allowed, as milliseconds (0 stays "none"). */
static int parse_seconds(const char *s, long *ms)
{
  char *end;
  double v;

  errno = 0;
  v = strtod(s, &end);
  if (errno != 0 || end == s || *end != '\0' || !(v >= 0) || v > 86400.0 * 365)
    return -1;
  *ms = (long)ceil(v * 1000.0);
  return 0;
}

/* The whole of a stream, NUL-terminated; NULL with errno on failure. */
static char *slurp(FILE *in, size_t *len)
{
  size_t cap = 4096, n = 0, got;
  char *buf = malloc(cap), *p;

  if (buf == NULL)
    return NULL;
  while ((got = fread(buf + n, 1, cap - n - 1, in)) > 0) {
    n += got;
    if (cap - n - 1 == 0) {
      if ((p = realloc(buf, cap * 2)) == NULL) {
        free(buf);
        return NULL;
      }
      buf = p;
      cap *= 2;
    }
  }
  if (ferror(in)) {
    free(buf);
    errno = EIO;
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

static char *slurp_path(const char *path, size_t *len)
{
  FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  char *s;

  if (in == NULL)
    return NULL;
  s = slurp(in, len);
  if (in != stdin)
    fclose(in);
  return s;
}

static int add_url(struct tool_config *c, char *url)
{
  if (c->nurls == c->cap_urls) {
    size_t cap = c->cap_urls ? c->cap_urls * 2 : 64;
    char **p = realloc(c->urls, cap * sizeof *p);
    if (p == NULL)
      return -1;
    c->urls = p;
    c->cap_urls = cap;
  }
  c->urls[c->nurls++] = url;
  return 0;
}

/* URLs, one per line; blank lines and lines starting with # skipped,
 * white space around each trimmed. */
static int read_urls(struct tool_config *c, const char *path)
{
  size_t len;
  char *p, *line, *next;

  if (c->url_store != NULL) {
    fprintf(stderr, "ahttp: --input may be given once\n");
    return TOOL_USAGE;
  }
  if ((c->url_store = slurp_path(path, &len)) == NULL) {
    fprintf(stderr, "ahttp: cannot read URLs from %s: %s\n", path,
            strerror(errno));
    return TOOL_SETUP;
  }
  for (p = c->url_store; p != NULL; p = next) {
    char *end;
    next = strchr(p, '\n');
    if (next != NULL)
      *next++ = '\0';
    line = p + strspn(p, " \t\r");
    end = line + strlen(line);
    while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
      *--end = '\0';
    if (*line == '\0' || *line == '#')
      continue;
    if (add_url(c, line) < 0)
      return TOOL_SETUP;
  }
  return TOOL_OK;
}

static int set_body(struct tool_config *c, const char *arg)
{
  free(c->body);
  if (arg[0] == '@') {
    if ((c->body = slurp_path(arg + 1, &c->body_len)) == NULL) {
      fprintf(stderr, "ahttp: cannot read the body from %s: %s\n", arg + 1,
              strerror(errno));
      return TOOL_USAGE;
    }
  } else {
    c->body_len = strlen(arg);
    if ((c->body = strdup(arg)) == NULL)
      return TOOL_SETUP;
  }
  c->has_body = 1;
  return TOOL_OK;
}

static void print_version(void)
{
  unsigned v = ah_version();

  printf("ahttp %u.%u.%u (libahttp %s at build time)\n", v >> 16,
         (v >> 8) & 0xff, v & 0xff, AH_VERSION_STRING);
}

int tool_args_parse(struct tool_config *c, int argc, char **argv, int *done)
{
  const char *input = NULL;
  int ch, rc;

  *done = 0;
  c->jobs = 16;
  c->total_ms = c->connect_ms = c->idle_ms = c->max_redirects = -1;
  c->progress = c->summary = -1;
  while ((ch = getopt_long(argc, argv, "j:X:H:d:A:u:o:im:kx:fqVh", longopts,
                           NULL)) != -1) {
    switch (ch) {
    case 'j':
      if (parse_long(optarg, 1, 100000, &c->jobs) < 0)
        return bad("-j wants a number from 1 to 100000", optarg);
      break;
    case 'X': c->method = optarg; break;
    case 'H': {
      const char **p;
      if (strchr(optarg, ':') == NULL || optarg[0] == ':')
        return bad("-H wants 'Name: value'", optarg);
      if ((p = realloc(c->headers, (c->nheaders + 1) * sizeof *p)) == NULL)
        return TOOL_SETUP;
      c->headers = p;
      c->headers[c->nheaders++] = optarg;
      break;
    }
    case 'd':
      if ((rc = set_body(c, optarg)) != TOOL_OK)
        return rc;
      break;
    case 'A': c->user_agent = optarg; break;
    case 'u':
      if (strchr(optarg, ':') == NULL)
        return bad("-u wants USER:PASSWORD", optarg);
      c->userpass = optarg;
      break;
    case OPT_BEARER: c->bearer = optarg; break;
    case 'o': c->output = optarg; break;
    case OPT_OUTPUT_DIR: c->output_dir = optarg; break;
    case 'i': c->include = 1; break;
    case 'm':
      if (parse_seconds(optarg, &c->total_ms) < 0)
        return bad("--max-time wants seconds", optarg);
      break;
    case OPT_CONNECT_TIMEOUT:
      if (parse_seconds(optarg, &c->connect_ms) < 0)
        return bad("--connect-timeout wants seconds", optarg);
      break;
    case OPT_IDLE_TIMEOUT:
      if (parse_seconds(optarg, &c->idle_ms) < 0)
        return bad("--idle-timeout wants seconds", optarg);
      break;
    case OPT_MAX_REDIRS:
      if (parse_long(optarg, 0, 1000, &c->max_redirects) < 0)
        return bad("--max-redirs wants a number from 0 to 1000", optarg);
      break;
    case 'k': c->insecure = 1; break;
    case OPT_CACERT: c->cacert = optarg; break;
    case OPT_HTTP11: c->http_version = AH_HTTP_1_1; break;
    case OPT_HTTP2: c->http_version = AH_HTTP_2; break;
    case OPT_H2C: c->http_version = AH_HTTP_2_PRIOR_KNOWLEDGE; break;
    case 'x': c->proxy = optarg; break;
    case OPT_UNIX: c->unix_socket = optarg; break;
    case 'f': c->fail_http = 1; break;
    case OPT_JSON: c->json = 1; break;
    case OPT_SUMMARY: c->summary = 1; break;
    case OPT_PROGRESS: c->progress = 1; break;
    case OPT_NO_PROGRESS: c->progress = 0; break;
    case OPT_INPUT: input = optarg; break;
    case OPT_DIGEST: c->digest = 1; break;
    case OPT_PINNED: c->pinned = optarg; break;
    case OPT_CONNECT_TO: {
      const char **p;
      if (strchr(optarg, ':') == NULL || strchr(strchr(optarg, ':') + 1, ':') == NULL)
        return bad("--connect-to wants HOST:PORT:ADDRESS", optarg);
      if ((p = realloc(c->connect_to, (c->nconnect_to + 1) * sizeof *p)) == NULL)
        return TOOL_SETUP;
      c->connect_to = p;
      c->connect_to[c->nconnect_to++] = optarg;
      break;
    }
    case OPT_RETRY:
      if (parse_long(optarg, 0, 99, &c->retries) < 0)
        return bad("--retry wants a number from 0 to 99", optarg);
      break;
    case OPT_RATE: {
      char *end;
      c->rate = strtod(optarg, &end);
      if (end == optarg || *end != '\0' || !(c->rate > 0) || c->rate > 1e9)
        return bad("--rate wants requests per second above 0", optarg);
      break;
    }
    case 'q': c->quiet = 1; break;
    case 'V': print_version(); *done = 1; return TOOL_OK;
    case 'h': fputs(usage, stdout); *done = 1; return TOOL_OK;
    default: fputs(usage, stderr); return TOOL_USAGE;
    }
  }
  for (; optind < argc; optind++)
    if (add_url(c, argv[optind]) < 0)
      return TOOL_SETUP;
  /* No URL given and something piped in: the URLs are on stdin. */
  if (input == NULL && c->nurls == 0 && !isatty(STDIN_FILENO))
    input = "-";
  if (input != NULL && (rc = read_urls(c, input)) != TOOL_OK)
    return rc;
  if (c->nurls == 0) {
    fputs(usage, stderr);
    return TOOL_USAGE;
  }
  if (c->output != NULL && (c->nurls > 1 || c->output_dir != NULL)) {
    fprintf(stderr, "ahttp: -o names the file of one URL; for several use "
                    "--output-dir\n");
    return TOOL_USAGE;
  }
  if (c->include && (c->nurls > 1 || c->json)) {
    fprintf(stderr, "ahttp: -i prints the headers of one URL, without --json\n");
    return TOOL_USAGE;
  }
  if (c->quiet)
    c->progress = c->summary = 0;
  return TOOL_OK;
}

void tool_config_free(struct tool_config *c)
{
  free(c->urls);
  free(c->url_store);
  free(c->headers);
  free(c->connect_to);
  free(c->body);
}
