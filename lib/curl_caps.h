/* curl_caps.h - what the libcurl running in this process can do.
 *
 * libcurl keeps the soname libcurl.so.4 from 7.16 to 8.x: a library built
 * against 7.88's headers runs on 8.21 and the other way round. So every
 * difference between releases is decided here, once, from what
 * curl_version_info() says at run time, never from LIBCURL_VERSION_NUM
 * alone. */
#ifndef AH_CURL_CAPS_H
#define AH_CURL_CAPS_H

#include <curl/curl.h>

/* The oldest libcurl ahttp is tested on and accepts: 7.88.1 (Debian 12). */
#define AH__CURL_MIN 0x075801
#define AH__CURL_MIN_STRING "7.88.1"

struct ah__curl_caps {
  unsigned version_num;   /* e.g. 0x081500 for 8.21.0 */
  int supported;          /* version_num >= AH__CURL_MIN */
  const char *why;        /* when not supported: a sentence naming both */
  /* Before 8.0 a cleartext HTTP/2 connection reused with prior knowledge
   * breaks (curl issue 10634): each such request needs its own. */
  int h2c_reuse_broken;
  /* 8.3 to 8.18 tell of a refused HTTP/2 stream only through the http/2
   * trace component (curl_global_trace), off by default: see
   * ah__curl_caps_init. 8.0 to 8.2 cannot be asked; 8.19 on say it in
   * their plain verbose output. */
  int h2_trace_component;
  /* 7.88 says nothing of a stream refused on a shared connection, even
   * in its trace; but it is the only HTTP/2 resend of 7.88 that writes no
   * error text first (lib/http2.c, curl-7_88_1): see refused_resend. */
  int h2_refusal_silent;
  /* Before 8.8 CURLINFO_OS_ERRNO keeps the errno of an earlier transfer
   * of the handle (multi.c resets it at curl_multi_add_handle from 8.8). */
  int os_errno_sticky;
  /* Before 8.1 an HTTP/2 header block decoded larger than the receive
   * buffer (CURLOPT_BUFFERSIZE) stalls: the rest waits for more input
   * that may never come. */
  int h2_header_stall;
  /* Before 8.16 the first of several addresses of one family gets half
   * the connect timeout (connect.c USETIME), then the next is tried: a
   * connect timeout libcurl does not know is its 300 s default there, so
   * it keeps a request's own when more than one address may answer. */
  int connect_split;
  /* 7.88 keeps an HTTP/2 connection in its pool after one of its streams
   * was reset (CURLE_HTTP2_STREAM), and every later request on it fails
   * at once with CURLE_HTTP2, nothing sent. 8.5 and 8.21 do not; the
   * releases between are not proved either way, so they are counted with
   * 7.88: what that costs is a fresh connection. */
  int h2_reset_breaks_conn;
  /* 8.20 on resolve in a thread pool of the multi handle, which
   * curl_multi_cleanup waits for unless CURLMOPT_QUICK_EXIT is set (an
   * option newer than the headers ahttp may be built with). */
  int multi_quick_exit;
  /* Before 8.21 a connection (and a TLS session to resume) is matched to
   * a request on the CA, client certificate, verification and pins, but
   * not on the client key, and pins compared without case (base64 has
   * case): lib/vtls/vtls.c match_ssl_primary_config, fixed in 8.21 ("tls:
   * fix incomplete mTLS config in conn reuse and session cache"). A
   * request whose key or pins differ from the session's gets a connection
   * of its own there (ah__request_setup). */
  int tls_reuse_partial;
  /* WebSocket (ws.c): 8.11 on (where libcurl's WebSocket support left
   * its experimental state; before, its API and behaviour changed from
   * release to release), built with it ("ws" among its protocols; "wss"
   * too for TLS). 7.86 on export curl_ws_recv and curl_ws_send whatever
   * the build, answering CURLE_NOT_BUILT_IN without it, so calling them
   * is safe on every release ahttp accepts; this flag decides whether
   * they are called. ws_why: a sentence naming what is missing. */
  int ws, wss;
  const char *ws_why;
  /* libcurl answers a ping itself, but only puts the pong aside: it goes
   * out with the next message received or sent, so a ping that comes
   * alone is never answered. 8.14 on can leave pings to the caller
   * (CURLWS_NOAUTOPONG): ahttp then answers each at once. */
  int ws_noautopong;
  int tls;                /* built with TLS: https can be fetched */
  int http2;              /* built with nghttp2: HTTP/2 can be asked for */
  /* "Accept-Encoding: ..." listing the decoders this libcurl has, in the
   * order libcurl itself lists them; NULL when it has none. */
  const char *accept_encoding;
};

/* Fill c from what v says (v: curl_version_info's answer, or a made-up
 * one in tests). room holds the strings c points to. */
struct ah__curl_caps_room {
  char why[128];
  char accept_encoding[64];
  char ws_why[160];
};
void ah__curl_caps_read(struct ah__curl_caps *c, struct ah__curl_caps_room *room,
                        const curl_version_info_data *v);

/* The running libcurl's, read once; valid after ah__global_init(). */
const struct ah__curl_caps *ah__curl_caps(void);
/* Read them (called once by ah__global_init), and where refusals are
 * told only by the http/2 trace component (h2_trace_component), turn it
 * on (curl_global_trace): it adds lines to the verbose output of the
 * handles that ask for it, ahttp's and any other code's, and costs
 * nothing elsewhere. */
void ah__curl_caps_init(void);
/* Tests only: pretend the running libcurl has c (NULL: what it has). */
void ah__curl_caps_pretend(const struct ah__curl_caps *c);

#endif
