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
  "       ahttp [options] -n N | --duration SECS URL   (a load run)\n"
  "A URL without a scheme is taken as http://.\n"
  "\n"
  "Request:\n"
  "  -X, --request METHOD     method (default GET, or POST with a body)\n"
  "  -H, --header 'N: v'      add a request header ('N:' removes one)\n"
  "  -d, --data DATA|@FILE    request body (repeated: joined with '&')\n"
  "      --data-binary DATA|@FILE   the same as -d\n"
  "      --data-raw DATA      request body, '@' not special\n"
  "      --data-urlencode [NAME]=TEXT|[NAME]@FILE  a pair of an\n"
  "                           application/x-www-form-urlencoded body\n"
  "      --json DATA|@FILE    JSON body, with Content-Type and Accept\n"
  "                           application/json (repeated: concatenated)\n"
  "  -F, --form NAME=VALUE|NAME=@FILE|NAME=<FILE [;type=T][;filename=F]\n"
  "                           a multipart/form-data part (POST)\n"
  "  -I, --head               HEAD request; print the response headers\n"
  "  -A, --user-agent UA      User-Agent header\n"
  "  -u, --user USER:PASS     basic authentication (--digest: digest)\n"
  "      --digest             send the -u credentials by HTTP digest\n"
  "      --bearer TOKEN       Authorization: Bearer TOKEN\n"
  "  -b, --cookie NAME=V;...|FILE  send these cookies, or load a cookie file\n"
  "  -c, --cookie-jar FILE    write the session's cookies to FILE at the end\n"
  "\n"
  "Output:\n"
  "  -o, --output FILE        write the one URL's body to FILE\n"
  "      --output-dir DIR     write each body to a file in DIR\n"
  "  -i, --include            print the status line and headers first\n"
  "                           (and the trailers after the body)\n"
  "      --raw                the body as sent, not decompressed\n"
  "      --compressed         decompress the body (the default)\n"
  "  -w, --write-out FORMAT|@FILE  after each request, e.g. '%{http_code}\\n'\n"
  "      --jsonl              one JSON object per request on standard output\n"
  "  -v, --verbose            the request's journey on standard error\n"
  "  -s, --silent             no progress bar, summary or error lines\n"
  "  -S, --show-error         with -s, still print error lines\n"
  "  -q, --quiet              no summary, no progress bar, no error lines\n"
  "      --summary            print the summary even for one URL\n"
  "      --progress | --no-progress   force the progress bar on or off\n"
  "  -f, --fail               count HTTP statuses >= 400 as failures (exit 22)\n"
  "\n"
  "Connection and TLS:\n"
  "  -m, --max-time SECS      total time allowed for each request\n"
  "      --connect-timeout SECS\n"
  "      --idle-timeout SECS  longest wait for the next byte\n"
  "  -k, --insecure           do not verify TLS certificates\n"
  "      --cacert FILE        trust the CA certificates in FILE\n"
  "      --cert FILE          client certificate (PEM)\n"
  "      --key FILE           its private key (PEM; default: in --cert)\n"
  "      --pinnedpubkey PINS  sha256//BASE64[;...] or a public key file\n"
  "      --http1.1 | --http2 | --http2-prior-knowledge\n"
  "  -x, --proxy URL          proxy: http://, socks5:// or socks5h://\n"
  "                           (default: http_proxy, https_proxy, all_proxy)\n"
  "      --noproxy LIST       hosts not proxied (default: no_proxy)\n"
  "  -U, --proxy-user USER:PASSWORD   the proxy's credentials\n"
  "      --unix-socket PATH   connect to a unix socket\n"
  "      --connect-to HOST:PORT:TO_HOST:TO_PORT   connect there instead (any\n"
  "                           part may be empty: any host or port, or the URL's)\n"
  "\n"
  "Redirects and retries:\n"
  "  -L, --location           follow redirects (always on; for curl users)\n"
  "      --max-redirs N       redirects followed (default 10; 0: none)\n"
  "      --retry N            retry failures and 429/502/503/504 N times\n"
  "\n"
  "Many requests:\n"
  "  -j, --jobs N             requests in flight at once (default 16)\n"
  "      --input FILE         read URLs from FILE, one a line (- for stdin)\n"
  "      --rate R             at most R requests per second to each host\n"
  "  -n, --requests N         load run: N requests to the one URL\n"
  "      --duration SECS      load run: start requests for SECS seconds\n"
  "\n"
  "  -V, --version            print versions and exit\n"
  "  -h, --help               print this help and exit\n"
  "Exit status: with one URL curl's codes (ahttp(1), EXIT STATUS);\n"
  "otherwise 0 all succeeded, 1 some failed, 2 bad options, 130 interrupted.\n";

enum {
  OPT_BEARER = 256, OPT_OUTPUT_DIR, OPT_CONNECT_TIMEOUT, OPT_IDLE_TIMEOUT,
  OPT_MAX_REDIRS, OPT_CACERT, OPT_HTTP11, OPT_HTTP2, OPT_H2C, OPT_UNIX,
  OPT_JSONL, OPT_SUMMARY, OPT_PROGRESS, OPT_NO_PROGRESS, OPT_INPUT,
  OPT_DIGEST, OPT_PINNED, OPT_CONNECT_TO, OPT_RETRY, OPT_RATE,
  OPT_JSON, OPT_DATA_BINARY, OPT_DATA_RAW, OPT_DATA_URLENCODE, OPT_CERT, OPT_KEY,
  OPT_NOPROXY, OPT_DURATION, OPT_RAW, OPT_COMPRESSED
};

static const struct option longopts[] = {
  {"jobs", required_argument, NULL, 'j'},
  {"request", required_argument, NULL, 'X'},
  {"header", required_argument, NULL, 'H'},
  {"data", required_argument, NULL, 'd'},
  {"data-binary", required_argument, NULL, OPT_DATA_BINARY},
  {"data-raw", required_argument, NULL, OPT_DATA_RAW},
  {"data-urlencode", required_argument, NULL, OPT_DATA_URLENCODE},
  {"json", required_argument, NULL, OPT_JSON},
  {"form", required_argument, NULL, 'F'},
  {"head", no_argument, NULL, 'I'},
  {"user-agent", required_argument, NULL, 'A'},
  {"user", required_argument, NULL, 'u'},
  {"bearer", required_argument, NULL, OPT_BEARER},
  {"cookie", required_argument, NULL, 'b'},
  {"cookie-jar", required_argument, NULL, 'c'},
  {"output", required_argument, NULL, 'o'},
  {"output-dir", required_argument, NULL, OPT_OUTPUT_DIR},
  {"include", no_argument, NULL, 'i'},
  {"write-out", required_argument, NULL, 'w'},
  {"verbose", no_argument, NULL, 'v'},
  {"silent", no_argument, NULL, 's'},
  {"show-error", no_argument, NULL, 'S'},
  {"max-time", required_argument, NULL, 'm'},
  {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
  {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
  {"max-redirs", required_argument, NULL, OPT_MAX_REDIRS},
  {"location", no_argument, NULL, 'L'},
  {"insecure", no_argument, NULL, 'k'},
  {"cacert", required_argument, NULL, OPT_CACERT},
  {"cert", required_argument, NULL, OPT_CERT},
  {"key", required_argument, NULL, OPT_KEY},
  {"http1.1", no_argument, NULL, OPT_HTTP11},
  {"http2", no_argument, NULL, OPT_HTTP2},
  {"http2-prior-knowledge", no_argument, NULL, OPT_H2C},
  {"proxy", required_argument, NULL, 'x'},
  {"noproxy", required_argument, NULL, OPT_NOPROXY},
  {"proxy-user", required_argument, NULL, 'U'},
  {"unix-socket", required_argument, NULL, OPT_UNIX},
  {"fail", no_argument, NULL, 'f'},
  {"jsonl", no_argument, NULL, OPT_JSONL},
  {"summary", no_argument, NULL, OPT_SUMMARY},
  {"progress", no_argument, NULL, OPT_PROGRESS},
  {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
  {"input", required_argument, NULL, OPT_INPUT},
  {"digest", no_argument, NULL, OPT_DIGEST},
  {"pinnedpubkey", required_argument, NULL, OPT_PINNED},
  {"connect-to", required_argument, NULL, OPT_CONNECT_TO},
  {"retry", required_argument, NULL, OPT_RETRY},
  {"rate", required_argument, NULL, OPT_RATE},
  {"requests", required_argument, NULL, 'n'},
  {"duration", required_argument, NULL, OPT_DURATION},
  {"raw", no_argument, NULL, OPT_RAW},
  {"compressed", no_argument, NULL, OPT_COMPRESSED},
  {"quiet", no_argument, NULL, 'q'},
  {"version", no_argument, NULL, 'V'},
  {"help", no_argument, NULL, 'h'},
  {NULL, 0, NULL, 0}
};

static const char shortopts[] = ":j:X:H:d:F:IA:u:b:c:o:iw:vsSm:Lkx:U:fn:qVh";

/* The one hint every usage error ends with. */
static int hint(void)
{
  fputs("ahttp: try 'ahttp --help' for more information\n", stderr);
  return TOOL_USAGE;
}

static int bad(const char *what, const char *arg)
{
  fprintf(stderr, "ahttp: %s: '%s'\n", what, arg);
  return hint();
}

/* A usage error on a line of its own, then the hint. */
static int usage_error(const char *what)
{
  fprintf(stderr, "ahttp: %s\n", what);
  return hint();
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

enum { BODY_DATA, BODY_RAW, BODY_JSON };

/* -d, --data-raw, --json: append to the body. As curl: the pieces of -d
 * are joined with '&', those of --json follow each other as they are;
 * "@FILE" (not for --data-raw) is the file's contents, "@-" stdin. */
static int add_body(struct tool_config *c, const char *arg, int how)
{
  char *piece = NULL, *p;
  size_t len;
  int sep = c->has_body && how != BODY_JSON && c->body_len > 0;

  if (c->npairs > 0)
    return usage_error("--data-urlencode makes the whole body: not with "
                       "-d or --json");

  if (arg[0] == '@' && how != BODY_RAW) {
    if ((piece = slurp_path(arg + 1, &len)) == NULL) {
      fprintf(stderr, "ahttp: cannot read the body from %s: %s\n", arg + 1,
              strerror(errno));
      return TOOL_READ;
    }
    arg = piece;
  } else {
    len = strlen(arg);
  }
  if ((p = realloc(c->body, c->body_len + (size_t)sep + len + 1)) == NULL) {
    free(piece);
    return TOOL_SETUP;
  }
  c->body = p;
  if (sep)
    c->body[c->body_len++] = '&';
  memcpy(c->body + c->body_len, arg, len);
  c->body_len += len;
  c->body[c->body_len] = '\0';
  c->has_body = 1;
  if (how == BODY_JSON)
    c->json_body = 1;
  free(piece);
  return TOOL_OK;
}

/* A ";key=value" attribute of a -F file part, up to the next ';'. */
static char *attr(const char *spec, const char *key)
{
  size_t n = strlen(key);
  const char *p = spec;

  while ((p = strchr(p, ';')) != NULL) {
    p++;
    if (strncmp(p, key, n) == 0 && p[n] == '=')
      return strndup(p + n + 1, strcspn(p + n + 1, ";"));
  }
  return NULL;
}

/* -F NAME=VALUE, NAME=@FILE[;type=T][;filename=F] or NAME=<FILE. */
static int add_form(struct tool_config *c, const char *arg)
{
  const char *eq = strchr(arg, '=');
  struct tool_form *f, *p;

  if (eq == NULL || eq == arg)
    return bad("-F wants NAME=VALUE, NAME=@FILE or NAME=<FILE", arg);
  if ((p = realloc(c->forms, (c->nforms + 1) * sizeof *p)) == NULL)
    return TOOL_SETUP;
  c->forms = p;
  f = &c->forms[c->nforms];
  memset(f, 0, sizeof *f);
  if ((f->name = strndup(arg, (size_t)(eq - arg))) == NULL)
    return TOOL_SETUP;
  c->nforms++;
  if (eq[1] == '@') {
    f->is_file = 1;
    f->value = strndup(eq + 2, strcspn(eq + 2, ";"));
    f->type = attr(eq + 2, "type");
    f->filename = attr(eq + 2, "filename");
    if (f->value == NULL)
      return TOOL_SETUP;
    /* Read when the request starts; a file that cannot be read is said
     * now, as curl does, rather than as a failed request. */
    if (access(f->value, R_OK) != 0) {
      fprintf(stderr, "ahttp: cannot read the form file %s: %s\n", f->value,
              strerror(errno));
      return TOOL_READ;
    }
  } else if (eq[1] == '<') {
    /* The file's bytes, NULs and all, as a part from memory. */
    char *path = strndup(eq + 2, strcspn(eq + 2, ";"));
    f->type = attr(eq + 2, "type");
    f->filename = attr(eq + 2, "filename");
    if (path == NULL)
      return TOOL_SETUP;
    if ((f->value = slurp_path(path, &f->value_len)) == NULL) {
      fprintf(stderr, "ahttp: cannot read the form field from %s: %s\n",
              path, strerror(errno));
      free(path);
      return TOOL_READ;
    }
    free(path);
  } else if ((f->value = strdup(eq + 1)) == NULL) {
    return TOOL_SETUP;
  } else {
    f->value_len = strlen(f->value);
  }
  return TOOL_OK;
}

/* --data-urlencode, as curl reads it: "TEXT" or "=TEXT" (TEXT encoded,
 * no name), "NAME=TEXT", "@FILE" or "NAME@FILE" (the file's text). */
static int add_pair(struct tool_config *c, const char *arg)
{
  const char *eq = strchr(arg, '='), *at = strchr(arg, '@'), *cut;
  struct tool_pair *p;
  char *text;
  size_t len;

  if (c->has_body && c->npairs == 0)
    return usage_error("--data-urlencode makes the whole body: not with "
                       "-d or --json");
  if ((p = realloc(c->pairs, (c->npairs + 1) * sizeof *p)) == NULL)
    return TOOL_SETUP;
  c->pairs = p;
  p = &c->pairs[c->npairs];
  p->name = p->value = NULL;
  cut = eq != NULL && (at == NULL || eq < at) ? eq : at;
  if (cut != NULL && *cut == '@') {
    if ((text = slurp_path(cut + 1, &len)) == NULL) {
      fprintf(stderr, "ahttp: cannot read the --data-urlencode text from %s: %s\n",
              cut + 1, strerror(errno));
      return TOOL_READ;
    }
  } else if ((text = strdup(cut != NULL ? cut + 1 : arg)) == NULL) {
    return TOOL_SETUP;
  }
  c->npairs++;
  c->has_body = 1; /* the method: POST */
  if (cut == NULL || cut == arg) {
    p->name = text; /* no name: the text alone, encoded */
    return TOOL_OK;
  }
  p->value = text;
  return (p->name = strndup(arg, (size_t)(cut - arg))) == NULL ? TOOL_SETUP : TOOL_OK;
}

/* -b: with '=' a cookie string for the Cookie header (several -b joined
 * with "; "), else a cookie file to load, as curl reads it. */
static int add_cookie(struct tool_config *c, const char *arg)
{
  if (strchr(arg, '=') != NULL) {
    size_t old = c->cookies ? strlen(c->cookies) : 0;
    char *p = realloc(c->cookies, old + strlen(arg) + 3);
    if (p == NULL)
      return TOOL_SETUP;
    if (old > 0)
      memcpy(p + old, "; ", 2), old += 2;
    strcpy(p + old, arg);
    c->cookies = p;
  } else {
    const char **p = realloc(c->cookie_files,
                             (c->ncookie_files + 1) * sizeof *p);
    if (p == NULL)
      return TOOL_SETUP;
    c->cookie_files = p;
    c->cookie_files[c->ncookie_files++] = arg;
  }
  return TOOL_OK;
}

/* -w FORMAT, or -w @FILE (@- stdin) as curl reads it. */
static int set_write_out(struct tool_config *c, const char *arg)
{
  size_t len;

  free(c->write_out);
  if (arg[0] == '@') {
    if ((c->write_out = slurp_path(arg + 1, &len)) == NULL) {
      fprintf(stderr, "ahttp: cannot read the -w format from %s: %s\n",
              arg + 1, strerror(errno));
      return TOOL_READ;
    }
  } else if ((c->write_out = strdup(arg)) == NULL) {
    return TOOL_SETUP;
  }
  return TOOL_OK;
}

static void print_version(void)
{
  unsigned v = ah_version();

  printf("ahttp %u.%u.%u (libahttp %s at build time)\n", v >> 16,
         (v >> 8) & 0xff, v & 0xff, AH_VERSION_STRING);
}

/* The option as the user wrote it, for a message: "-j" or "--jobs". */
static void name_of(char **argv, int unknown, char *buf, size_t cap)
{
  const char *w = argv[optind - 1];

  /* getopt leaves optopt 0 for an unknown long option; in a cluster of
   * short ones (-vZ) argv[optind - 1] may still be the word before. */
  if (unknown ? optopt == 0 : strncmp(w, "--", 2) == 0)
    snprintf(buf, cap, "%.*s", (int)strcspn(w, "="), w);
  else
    snprintf(buf, cap, "-%c", optopt);
}

int tool_args_parse(struct tool_config *c, int argc, char **argv, int *done)
{
  const char *input = NULL;
  char opt[64];
  int ch, rc;

  *done = 0;
  c->jobs = 16;
  c->total_ms = c->connect_ms = c->idle_ms = c->max_redirects = -1;
  c->progress = c->summary = -1;
  opterr = 0; /* our own messages: one line and a hint */
  while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
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
    case OPT_DATA_BINARY:
      if ((rc = add_body(c, optarg, BODY_DATA)) != TOOL_OK)
        return rc;
      break;
    case OPT_DATA_RAW:
      if ((rc = add_body(c, optarg, BODY_RAW)) != TOOL_OK)
        return rc;
      break;
    case OPT_DATA_URLENCODE:
      if ((rc = add_pair(c, optarg)) != TOOL_OK)
        return rc;
      break;
    case OPT_JSON:
      if ((rc = add_body(c, optarg, BODY_JSON)) != TOOL_OK)
        return rc;
      break;
    case 'F':
      if ((rc = add_form(c, optarg)) != TOOL_OK)
        return rc;
      break;
    case 'I': c->head = 1; break;
    case 'A': c->user_agent = optarg; break;
    case 'u':
      if (strchr(optarg, ':') == NULL)
        return bad("-u wants USER:PASSWORD", optarg);
      c->userpass = optarg;
      break;
    case OPT_BEARER: c->bearer = optarg; break;
    case 'b':
      if ((rc = add_cookie(c, optarg)) != TOOL_OK)
        return rc;
      break;
    case 'c': c->cookie_jar = optarg; break;
    case 'o': c->output = optarg; break;
    case OPT_OUTPUT_DIR: c->output_dir = optarg; break;
    case 'i': c->include = 1; break;
    case 'w':
      if ((rc = set_write_out(c, optarg)) != TOOL_OK)
        return rc;
      break;
    case 'v': c->verbose = 1; break;
    case 's': c->silent = 1; break;
    case 'S': c->show_error = 1; break;
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
    case 'L': break; /* redirects are followed in any case */
    case 'k': c->insecure = 1; break;
    case OPT_CACERT: c->cacert = optarg; break;
    case OPT_CERT: c->cert = optarg; break;
    case OPT_KEY: c->key = optarg; break;
    case OPT_HTTP11: c->http_version = AH_HTTP_1_1; break;
    case OPT_HTTP2: c->http_version = AH_HTTP_2; break;
    case OPT_H2C: c->http_version = AH_HTTP_2_PRIOR_KNOWLEDGE; break;
    case 'x': c->proxy = optarg; break;
    case OPT_NOPROXY: c->noproxy = optarg; break;
    case 'U': c->proxy_user = optarg; break;
    case OPT_UNIX: c->unix_socket = optarg; break;
    case 'f': c->fail_http = 1; break;
    case OPT_JSONL: c->jsonl = 1; break;
    case OPT_RAW: c->raw = 1; break;
    case OPT_COMPRESSED: c->raw = 0; break;
    case OPT_SUMMARY: c->summary = 1; break;
    case OPT_PROGRESS: c->progress = 1; break;
    case OPT_NO_PROGRESS: c->progress = 0; break;
    case OPT_INPUT: input = optarg; break;
    case OPT_DIGEST: c->digest = 1; break;
    case OPT_PINNED: c->pinned = optarg; break;
    case OPT_CONNECT_TO: {
      const char **p;
      if (tool_connect_to_parse(optarg, NULL) < 0)
        return bad("--connect-to wants HOST:PORT:TO_HOST:TO_PORT", optarg);
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
    case 'n': {
      long n;
      if (parse_long(optarg, 1, 2000000000L, &n) < 0)
        return bad("-n wants a number of requests from 1", optarg);
      c->requests = n;
      c->load = 1;
      break;
    }
    case OPT_DURATION:
      if (parse_seconds(optarg, &c->duration_ms) < 0 || c->duration_ms == 0)
        return bad("--duration wants seconds above 0", optarg);
      c->load = 1;
      break;
    case 'q': c->quiet = 1; break;
    case 'V': print_version(); *done = 1; return TOOL_OK;
    case 'h': fputs(usage, stdout); *done = 1; return TOOL_OK;
    case ':':
      name_of(argv, 0, opt, sizeof opt);
      fprintf(stderr, "ahttp: option %s: requires an argument\n", opt);
      return hint();
    default:
      name_of(argv, 1, opt, sizeof opt);
      fprintf(stderr, "ahttp: option %s: is unknown\n", opt);
      return hint();
    }
  }
  for (; optind < argc; optind++)
    if (add_url(c, argv[optind]) < 0)
      return TOOL_SETUP;
  /* No URL given and something piped in: the URLs are on stdin. */
  if (input == NULL && c->nurls == 0 && !c->load && !isatty(STDIN_FILENO))
    input = "-";
  if (input != NULL && (rc = read_urls(c, input)) != TOOL_OK)
    return rc;
  if (c->nurls == 0)
    return usage_error("no URL given");
  if (c->load && c->nurls != 1)
    return usage_error("-n and --duration load one URL");
  if (c->load && (c->output != NULL || c->output_dir != NULL))
    return usage_error("a load run keeps no body: no -o or --output-dir");
  if (c->output != NULL && (c->nurls > 1 || c->output_dir != NULL))
    return usage_error("-o names the file of one URL; for several use "
                       "--output-dir");
  if ((c->include || c->head) && (c->nurls > 1 || c->jsonl || c->load))
    return usage_error("-i and -I print the headers of one URL, without "
                       "--jsonl or a load run");
  if ((c->has_body ? 1 : 0) + (c->nforms > 0) + c->head > 1)
    return usage_error("only one of -d/--json, -F and -I may be given "
                       "(each sets the method)");
  if (c->key != NULL && c->cert == NULL)
    return usage_error("--key wants --cert");
  if (c->quiet || c->silent)
    c->progress = c->summary = 0;
  return TOOL_OK;
}

void tool_config_free(struct tool_config *c)
{
  size_t i;

  for (i = 0; i < c->nforms; i++) {
    free(c->forms[i].name);
    free(c->forms[i].value);
    free(c->forms[i].filename);
    free(c->forms[i].type);
  }
  free(c->forms);
  for (i = 0; i < c->npairs; i++) {
    free(c->pairs[i].name);
    free(c->pairs[i].value);
  }
  free(c->pairs);
  free(c->cookies);
  free(c->cookie_files);
  free(c->write_out);
  free(c->urls);
  free(c->url_store);
  free(c->headers);
  free(c->connect_to);
  free(c->body);
}
