/*
 * ahttp(1): where bodies go. One URL: standard output, or -o FILE.
 * Several: a file each in --output-dir, or nowhere (counted only). A file
 * is opened when the first body byte arrives. A file of --output-dir that
 * this run created is removed when its request fails, so that what the
 * directory holds are complete responses; nothing else is ever removed:
 * -o FILE keeps what arrived (as curl does), and a file that existed
 * before, a device or a link target is never unlinked.
 *
 * SPDX-License-Identifier: MIT
 */
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int tool_output_dir(const char *dir)
{
  struct stat st;

  if (mkdir(dir, 0777) == 0)
    return 0;
  if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
    return 0;
  if (errno == EEXIST)
    errno = ENOTDIR;
  return -1;
}

/* Digits in n (at least 1). */
static int width_of(size_t n)
{
  int w = 1;

  while (n >= 10) {
    n /= 10;
    w++;
  }
  return w;
}

char *tool_output_name(const char *url, size_t index, size_t total)
{
  enum { KEEP = 120 };
  const char *p = strstr(url, "://");
  int w = width_of(total > 0 ? total - 1 : 0);
  char *name = malloc((size_t)w + 2 + KEEP + 1);
  size_t n;
  int underscore = 0;

  if (name == NULL)
    return NULL;
  /* The index first: names are unique, sort in input order, and never
   * begin with a dot. Then host and path, reduced to [A-Za-z0-9._-]. */
  n = (size_t)sprintf(name, "%0*zu-", w, index);
  for (p = p ? p + 3 : url; *p && *p != '#' && n < (size_t)w + 1 + KEEP; p++) {
    char ch = *p;
    int keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
               (ch >= '0' && ch <= '9') || ch == '.' || ch == '-';
    if (keep) {
      name[n++] = ch;
      underscore = 0;
    } else if (!underscore) {
      name[n++] = '_';
      underscore = 1;
    }
  }
  while (n > (size_t)w + 1 && name[n - 1] == '_')
    n--;
  name[n] = '\0';
  return name;
}

int tool_output_plan(const struct tool_config *c, struct tool_job *job,
                     int to_stdout)
{
  job->out = NULL;
  job->path = NULL;
  job->own_file = 0;
  job->created = 0;
  job->follow_links = 0;
  if (c->output != NULL) {
    if ((job->path = strdup(c->output)) == NULL)
      return TOOL_SETUP;
    job->follow_links = 1;
  } else if (c->output_dir != NULL) {
    char *name = tool_output_name(job->url, job->index, c->nurls);
    size_t len = name ? strlen(c->output_dir) + strlen(name) + 2 : 0;
    if (name == NULL || (job->path = malloc(len)) == NULL) {
      free(name);
      return TOOL_SETUP;
    }
    snprintf(job->path, len, "%s/%s", c->output_dir, name);
    free(name);
  } else if (to_stdout) {
    job->out = stdout;
  }
  return TOOL_OK;
}

int tool_output_write(struct tool_job *job, const char *data, size_t len)
{
  job->bytes += len;
  if (job->out == NULL && job->path != NULL) {
    /* -o names the caller's file: links are followed and /dev/stdout works,
     * as in curl. A name made for --output-dir is the tool's: O_NOFOLLOW,
     * so that a link planted under it is not written through. Made here
     * (O_EXCL) or only truncated: only a file made here may be removed. */
    int flags = O_WRONLY | O_CLOEXEC | (job->follow_links ? 0 : O_NOFOLLOW);
    int fd = open(job->path, flags | O_CREAT | O_EXCL, 0666);
    job->created = fd >= 0;
    if (fd < 0 && errno == EEXIST) /* (a dangling link: -o makes its target) */
      fd = open(job->path, flags | O_TRUNC | (job->follow_links ? O_CREAT : 0), 0666);
    if (fd < 0 || (job->out = fdopen(fd, "wb")) == NULL) {
      job->write_err = errno;
      if (fd >= 0)
        close(fd);
      return -1;
    }
    job->own_file = 1;
  }
  if (job->out != NULL && len > 0 && fwrite(data, 1, len, job->out) != len) {
    job->write_err = errno ? errno : EIO;
    return -1;
  }
  return 0;
}

void tool_output_finish(struct tool_job *job, int ok)
{
  if (job->out != NULL && job->out != stdout && job->own_file) {
    if (fclose(job->out) != 0 && job->write_err == 0)
      job->write_err = errno;
  } else if (job->out == stdout && fflush(stdout) != 0 && job->write_err == 0) {
    job->write_err = errno;
  }
  if (job->path != NULL && job->created && !job->follow_links &&
      (!ok || job->write_err != 0))
    unlink(job->path);
  else if (job->path != NULL && !job->own_file && ok && job->write_err == 0) {
    /* An empty body: the file exists all the same. */
    if (tool_output_write(job, "", 0) == 0 && job->out != NULL)
      fclose(job->out);
  }
  job->out = NULL;
  job->own_file = 0;
  job->created = 0;
}
