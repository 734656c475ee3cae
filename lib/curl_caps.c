/* curl_caps.c - what the libcurl running in this process can do, read
 * once at run time (see curl_caps.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_DEFAULT */
#endif
#include "curl_caps.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#ifndef __linux__
#error "ahttp runs on Linux only: its reactor is epoll, timerfd and eventfd"
#endif
#if LIBCURL_VERSION_NUM < AH__CURL_MIN
#error "ahttp needs libcurl 7.88.1 or newer (its headers say older)"
#endif

#include "ahttp.h"

static struct ah__curl_caps caps, pretended;
static struct ah__curl_caps_room caps_room;
static const struct ah__curl_caps *in_use = &caps;

static void append(char *room, size_t cap, const char *what)
{
  size_t n = strlen(room);

  snprintf(room + n, cap - n, "%s%s", room[n - 1] == ':' ? " " : ", ", what);
}

void ah__curl_caps_read(struct ah__curl_caps *c, struct ah__curl_caps_room *room,
                        const curl_version_info_data *v)
{
  const char *const *p;
  int has_ws = 0, has_wss = 0;

  memset(c, 0, sizeof *c);
  c->version_num = v->version_num;
  c->supported = v->version_num >= AH__CURL_MIN;
  if (!c->supported) {
    snprintf(room->why, sizeof room->why,
             "libcurl %s runs in this process; ahttp needs %s or newer",
             v->version ? v->version : "(unknown)", AH__CURL_MIN_STRING);
    c->why = room->why;
  }
  c->h2c_reuse_broken = v->version_num < 0x080000;
  c->h2_trace_component = v->version_num >= 0x080300 && v->version_num < 0x081300;
  c->h2_refusal_silent = v->version_num < 0x080000;
  c->os_errno_sticky = v->version_num < 0x080800;
  c->h2_header_stall = v->version_num < 0x080100;
  c->connect_split = v->version_num < 0x081000;
  c->h2_reset_breaks_conn = v->version_num < 0x080500;
  c->multi_quick_exit = v->version_num >= 0x081400;
  c->tls_reuse_partial = v->version_num < 0x081500;
  c->tls = (v->features & CURL_VERSION_SSL) != 0;
  for (p = v->protocols; p != NULL && *p != NULL; p++) {
    if (strcmp(*p, "ws") == 0)
      has_ws = 1;
    else if (strcmp(*p, "wss") == 0)
      has_wss = 1;
  }
  if (v->version_num < 0x080b00)
    snprintf(room->ws_why, sizeof room->ws_why,
             "libcurl %s runs in this process; WebSocket needs libcurl 8.11.0 "
             "or newer built with WebSocket support",
             v->version ? v->version : "(unknown)");
  else if (!has_ws)
    snprintf(room->ws_why, sizeof room->ws_why,
             "libcurl %s runs in this process, built without WebSocket "
             "support (no ws among its protocols)",
             v->version ? v->version : "(unknown)");
  else
    c->ws = 1;
  c->wss = c->ws && has_wss;
  c->ws_noautopong = c->ws && v->version_num >= 0x080e00;
  c->ws_why = c->ws ? NULL : room->ws_why;
  c->http2 = (v->features & CURL_VERSION_HTTP2) != 0;
  /* Only what this build of libcurl decodes: offering br to a libcurl
   * without brotli makes every br response fail to decode. */
  strcpy(room->accept_encoding, "Accept-Encoding:");
  if (v->features & CURL_VERSION_LIBZ)
    append(room->accept_encoding, sizeof room->accept_encoding, "deflate, gzip");
  if (v->features & CURL_VERSION_BROTLI)
    append(room->accept_encoding, sizeof room->accept_encoding, "br");
  if (v->features & CURL_VERSION_ZSTD)
    append(room->accept_encoding, sizeof room->accept_encoding, "zstd");
  c->accept_encoding = strchr(room->accept_encoding, ' ') ? room->accept_encoding : NULL;
}

/* curl_global_trace is 8.3's: looked up at run time, since a library
 * built on 7.88's headers may run on 8.5. */
static void trace_h2(void)
{
  CURLcode (*set)(const char *) = NULL;
  void *sym = dlsym(RTLD_DEFAULT, "curl_global_trace");

  memcpy(&set, &sym, sizeof set); /* a data pointer to a function's */
  if (set != NULL)
    set("http/2");
}

void ah__curl_caps_init(void)
{
  ah__curl_caps_read(&caps, &caps_room, curl_version_info(CURLVERSION_NOW));
  /* With libcurl's global init, before any transfer of ahttp's: libcurl
   * wants its trace set then. It shows only in the verbose output of the
   * handles that ask for it (ahttp's when they watch for refusals, and
   * any other code's), and adds libcurl's http/2 lines there. */
  if (caps.h2_trace_component)
    trace_h2();
}

const struct ah__curl_caps *ah__curl_caps(void)
{
  return in_use;
}

void ah__curl_caps_pretend(const struct ah__curl_caps *c)
{
  if (c != NULL)
    pretended = *c;
  in_use = c != NULL ? &pretended : &caps;
}
