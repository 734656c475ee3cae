/* error.c - error text and the libcurl to ahttp error mapping. */
#include "error.h"

#include <errno.h>

#include "ahttp.h"

const char *ah_strerror(int err)
{
  switch ((ah_error)err) {
  case AH_OK: return "success";
  case AH_EINVAL: return "invalid argument";
  case AH_ENOMEM: return "out of memory";
  case AH_ERESOLVE: return "host name could not be resolved";
  case AH_ECONNECT: return "connection refused or unreachable";
  case AH_ETLS: return "TLS failure";
  case AH_ETIMEDOUT: return "timed out";
  case AH_EPROTO: return "HTTP protocol error";
  case AH_EIO: return "connection reset or I/O error";
  case AH_ETOOLARGE: return "response too large";
  case AH_EREDIRECTS: return "too many redirects or forbidden redirect";
  case AH_ECANCELED: return "canceled";
  case AH_EPENDING: return "pending";
  case AH_EBUSY: return "not allowed from inside a callback";
  case AH_EINTR: return "wait interrupted by ah_session_wakeup";
  case AH_ENOFD: return "out of file descriptors";
  case AH_ESTOPPED: return "stopped by a callback";
  case AH_ENOTSUP: return "not supported by the libcurl in use";
  }
  return "unknown error code";
}

const char *ah_errname(int err)
{
  switch ((ah_error)err) {
  case AH_OK: return "AH_OK";
  case AH_EINVAL: return "AH_EINVAL";
  case AH_ENOMEM: return "AH_ENOMEM";
  case AH_ERESOLVE: return "AH_ERESOLVE";
  case AH_ECONNECT: return "AH_ECONNECT";
  case AH_ETLS: return "AH_ETLS";
  case AH_ETIMEDOUT: return "AH_ETIMEDOUT";
  case AH_EPROTO: return "AH_EPROTO";
  case AH_EIO: return "AH_EIO";
  case AH_ETOOLARGE: return "AH_ETOOLARGE";
  case AH_EREDIRECTS: return "AH_EREDIRECTS";
  case AH_ECANCELED: return "AH_ECANCELED";
  case AH_EPENDING: return "AH_EPENDING";
  case AH_EBUSY: return "AH_EBUSY";
  case AH_EINTR: return "AH_EINTR";
  case AH_ENOFD: return "AH_ENOFD";
  case AH_ESTOPPED: return "AH_ESTOPPED";
  case AH_ENOTSUP: return "AH_ENOTSUP";
  }
  return "AH_EUNKNOWN";
}

static int out_of_fds(long e)
{
  return e == EMFILE || e == ENFILE;
}

/* What each CURLcode means for an HTTP request, by number, so that the
 * codes of releases newer than the headers ahttp was built against have
 * their row too: libcurl keeps one soname, and a library built on 7.88
 * meets 8.21's CURLE_TOO_LARGE at run time. An entry is an AH_E* code,
 * or one of these when the same code has several causes; 0 is a code
 * without a row (CURLE_OK is never looked up). Codes of the protocols
 * ahttp never enables (FTP, TFTP, LDAP, SSH, RTSP) are rows too, read as
 * the protocol failing, so that no code reaches the caller unclassified.
 * tests/test_error.c walks every code of the libcurl it is built with. */
enum {
  BY_OOM = 1,     /* an allocation failed, or a header line over the cap */
  BY_RESOLVE,     /* a name did not resolve, or no descriptor was left */
  BY_CONNECT,     /* no connection, or no descriptor was left */
  BY_RECV,        /* a reset (errno), a TLS alert, or bad framing */
  BY_SEND,        /* a reset, or a TLS alert */
  BY_PROXY,       /* what a SOCKS proxy said of the server it was asked to reach */
  BY_TOOLARGE,    /* a header over the cap, or after the headers bad framing */
  BY_ARG          /* a bad argument, or after the headers a bad trailer */
};

static const signed char by_code[AH__CURLE_ROWS] = {
  [CURLE_UNSUPPORTED_PROTOCOL] = AH_EPROTO, /* HTTP/0.9 or garbage: the scheme was checked */
  [CURLE_FAILED_INIT] = AH_EIO,
  [CURLE_URL_MALFORMAT] = AH_EINVAL,
  [CURLE_NOT_BUILT_IN] = AH_ENOTSUP, /* asked for what this libcurl lacks */
  [CURLE_COULDNT_RESOLVE_PROXY] = BY_RESOLVE,
  [CURLE_COULDNT_RESOLVE_HOST] = BY_RESOLVE,
  [CURLE_COULDNT_CONNECT] = BY_CONNECT,
  [CURLE_WEIRD_SERVER_REPLY] = AH_EPROTO,
  [CURLE_REMOTE_ACCESS_DENIED] = AH_EPROTO,
  [CURLE_FTP_ACCEPT_FAILED] = AH_EPROTO,
  [CURLE_FTP_WEIRD_PASS_REPLY] = AH_EPROTO,
  [CURLE_FTP_ACCEPT_TIMEOUT] = AH_ETIMEDOUT,
  [CURLE_FTP_WEIRD_PASV_REPLY] = AH_EPROTO,
  [CURLE_FTP_WEIRD_227_FORMAT] = AH_EPROTO,
  [CURLE_FTP_CANT_GET_HOST] = AH_EPROTO,
  [CURLE_HTTP2] = AH_EPROTO,
  [CURLE_FTP_COULDNT_SET_TYPE] = AH_EPROTO,
  [CURLE_PARTIAL_FILE] = AH_EPROTO, /* body shorter than Content-Length */
  [CURLE_FTP_COULDNT_RETR_FILE] = AH_EPROTO,
  [CURLE_OBSOLETE20] = AH_EIO,
  [CURLE_QUOTE_ERROR] = AH_EPROTO,
  [CURLE_HTTP_RETURNED_ERROR] = AH_EPROTO, /* FAILONERROR is never set */
  [CURLE_WRITE_ERROR] = AH_EIO,
  [CURLE_OBSOLETE24] = AH_EIO,
  [CURLE_UPLOAD_FAILED] = AH_EIO,
  [CURLE_READ_ERROR] = AH_EIO, /* the body's reader or file failed */
  [CURLE_OUT_OF_MEMORY] = BY_OOM,
  [CURLE_OPERATION_TIMEDOUT] = AH_ETIMEDOUT,
  [CURLE_OBSOLETE29] = AH_EIO,
  [CURLE_FTP_PORT_FAILED] = AH_EPROTO,
  [CURLE_FTP_COULDNT_USE_REST] = AH_EPROTO,
  [CURLE_OBSOLETE32] = AH_EIO,
  [CURLE_RANGE_ERROR] = AH_EPROTO,
  [34] = AH_EIO, /* CURLE_HTTP_POST_ERROR, unused since 7.56 */
  [CURLE_SSL_CONNECT_ERROR] = AH_ETLS,
  [CURLE_BAD_DOWNLOAD_RESUME] = AH_EPROTO,
  [CURLE_FILE_COULDNT_READ_FILE] = AH_EIO,
  [CURLE_LDAP_CANNOT_BIND] = AH_EPROTO,
  [CURLE_LDAP_SEARCH_FAILED] = AH_EPROTO,
  [CURLE_OBSOLETE40] = AH_EIO,
  [41] = AH_EIO, /* CURLE_FUNCTION_NOT_FOUND, obsolete */
  [CURLE_ABORTED_BY_CALLBACK] = AH_ECANCELED,
  [CURLE_BAD_FUNCTION_ARGUMENT] = BY_ARG,
  [CURLE_OBSOLETE44] = AH_EIO,
  [CURLE_INTERFACE_FAILED] = AH_ECONNECT,
  [CURLE_OBSOLETE46] = AH_EIO,
  [CURLE_TOO_MANY_REDIRECTS] = AH_EREDIRECTS,
  [CURLE_UNKNOWN_OPTION] = AH_EINVAL,
  [CURLE_SETOPT_OPTION_SYNTAX] = AH_EINVAL,
  [CURLE_OBSOLETE50] = AH_EIO,
  [CURLE_OBSOLETE51] = AH_EIO,
  [CURLE_GOT_NOTHING] = AH_EPROTO, /* an empty reply */
  [CURLE_SSL_ENGINE_NOTFOUND] = AH_ETLS,
  [CURLE_SSL_ENGINE_SETFAILED] = AH_ETLS,
  [CURLE_SEND_ERROR] = BY_SEND,
  [CURLE_RECV_ERROR] = BY_RECV,
  [CURLE_OBSOLETE57] = AH_EIO,
  [CURLE_SSL_CERTPROBLEM] = AH_ETLS,
  [CURLE_SSL_CIPHER] = AH_ETLS,
  [CURLE_PEER_FAILED_VERIFICATION] = AH_ETLS,
  [CURLE_BAD_CONTENT_ENCODING] = AH_EPROTO,
  [CURLE_OBSOLETE62] = AH_EIO,
  [CURLE_FILESIZE_EXCEEDED] = AH_ETOOLARGE,
  [CURLE_USE_SSL_FAILED] = AH_ETLS,
  [CURLE_SEND_FAIL_REWIND] = AH_EIO, /* a body had to be sent again and could not */
  [CURLE_SSL_ENGINE_INITFAILED] = AH_ETLS,
  [CURLE_LOGIN_DENIED] = AH_EPROTO,
  [CURLE_TFTP_NOTFOUND] = AH_EPROTO,
  [CURLE_TFTP_PERM] = AH_EPROTO,
  [CURLE_REMOTE_DISK_FULL] = AH_EPROTO,
  [CURLE_TFTP_ILLEGAL] = AH_EPROTO,
  [CURLE_TFTP_UNKNOWNID] = AH_EPROTO,
  [CURLE_REMOTE_FILE_EXISTS] = AH_EPROTO,
  [CURLE_TFTP_NOSUCHUSER] = AH_EPROTO,
  [CURLE_OBSOLETE75] = AH_EIO,
  [CURLE_OBSOLETE76] = AH_EIO,
  [CURLE_SSL_CACERT_BADFILE] = AH_ETLS,
  [CURLE_REMOTE_FILE_NOT_FOUND] = AH_EPROTO,
  [CURLE_SSH] = AH_EPROTO,
  [CURLE_SSL_SHUTDOWN_FAILED] = AH_ETLS,
  [CURLE_AGAIN] = AH_EIO,
  [CURLE_SSL_CRL_BADFILE] = AH_ETLS,
  [CURLE_SSL_ISSUER_ERROR] = AH_ETLS,
  [CURLE_FTP_PRET_FAILED] = AH_EPROTO,
  [CURLE_RTSP_CSEQ_ERROR] = AH_EPROTO,
  [CURLE_RTSP_SESSION_ERROR] = AH_EPROTO,
  [CURLE_FTP_BAD_FILE_LIST] = AH_EPROTO,
  [CURLE_CHUNK_FAILED] = AH_EIO,
  [CURLE_NO_CONNECTION_AVAILABLE] = AH_ECONNECT,
  [CURLE_SSL_PINNEDPUBKEYNOTMATCH] = AH_ETLS,
  [CURLE_SSL_INVALIDCERTSTATUS] = AH_ETLS,
  [CURLE_HTTP2_STREAM] = AH_EPROTO,
  [CURLE_RECURSIVE_API_CALL] = AH_EBUSY,
  [CURLE_AUTH_ERROR] = AH_EPROTO, /* a challenge libcurl could not answer */
  [CURLE_HTTP3] = AH_EPROTO,
  [CURLE_QUIC_CONNECT_ERROR] = AH_ECONNECT,
  [CURLE_PROXY] = BY_PROXY,
  [CURLE_SSL_CLIENTCERT] = AH_ETLS,
  [CURLE_UNRECOVERABLE_POLL] = AH_EIO,
  [100] = BY_TOOLARGE,    /* CURLE_TOO_LARGE (8.6): a header over the cap */
  [101] = AH_ETLS,        /* CURLE_ECH_REQUIRED (8.8) */
};

int ah__error_curl_known(long rc)
{
  return rc == CURLE_OK || (rc > 0 && rc < AH__CURLE_ROWS && by_code[rc] != 0);
}

static int from_proxy(long proxy_err)
{
  switch (proxy_err) {
  case CURLPX_RESOLVE_HOST:
    return AH_ERESOLVE;
  case CURLPX_REPLY_CONNECTION_REFUSED:
  case CURLPX_REPLY_HOST_UNREACHABLE:
  case CURLPX_REPLY_NETWORK_UNREACHABLE:
  case CURLPX_REPLY_TTL_EXPIRED:
  case CURLPX_REPLY_NOT_ALLOWED:
  case CURLPX_REPLY_GENERAL_SERVER_FAILURE:
  case CURLPX_NO_AUTH:
  case CURLPX_USER_REJECTED:
  case CURLPX_REQUEST_FAILED:
    return AH_ECONNECT;
  default:
    return AH_EPROTO; /* the proxy broke its protocol */
  }
}

int ah__error_from_curl(const struct ah__failure *f)
{
  long rc = (long)f->rc;

  if (rc == CURLE_OK)
    return AH_OK;
  if (rc < 0 || rc >= AH__CURLE_ROWS || by_code[rc] == 0)
    return AH_EIO; /* a code newer than this table: its text says more */
  switch (by_code[rc]) {
  case BY_OOM:
    /* libcurl 7.88 says "out of memory" for a header line over its
     * 100 KiB cap; only an allocation that really failed is ENOMEM. */
    if (f->real_oom)
      return AH_ENOMEM;
    return f->headers_done ? AH_EPROTO : AH_ETOOLARGE;
  case BY_RESOLVE:
    return out_of_fds(f->os_errno) ? AH_ENOFD : AH_ERESOLVE;
  case BY_CONNECT:
    return out_of_fds(f->os_errno) ? AH_ENOFD : AH_ECONNECT;
  case BY_RECV:
    /* A reset carries its errno; a TLS alert after the handshake (a
     * refused client certificate in TLS 1.3) comes from the TLS library;
     * a bad chunk or header is neither. */
    if (f->tls_layer)
      return AH_ETLS;
    return f->os_errno != 0 ? AH_EIO : AH_EPROTO;
  case BY_SEND:
    return f->tls_layer ? AH_ETLS : AH_EIO;
  case BY_PROXY:
    return from_proxy(f->proxy_err);
  case BY_TOOLARGE:
    /* After the headers it is a trailer or chunk line over libcurl's cap,
     * which 8.5 reports as a bad chunk: the same response, the same code
     * on every release. */
    return f->headers_done ? AH_EPROTO : AH_ETOOLARGE;
  case BY_ARG:
    /* 7.88 to 8.5 refuse a trailer line without a colon in their header
     * store (headers.c) with this code, before ahttp sees it; 8.21 says
     * CURLE_WEIRD_SERVER_REPLY. A malformed trailer, on every release. */
    return f->headers_done ? AH_EPROTO : AH_EINVAL;
  default:
    return by_code[rc];
  }
}

/* CURLMcode by number, as CURLcode above (-1, CURLM_CALL_MULTI_PERFORM,
 * is never returned by the calls ahttp makes). */
static const signed char by_mcode[AH__CURLM_ROWS] = {
  [CURLM_BAD_HANDLE] = AH_EINVAL,
  [CURLM_BAD_EASY_HANDLE] = AH_EINVAL,
  [CURLM_OUT_OF_MEMORY] = AH_ENOMEM,
  [CURLM_INTERNAL_ERROR] = AH_EIO,
  [CURLM_BAD_SOCKET] = AH_EIO,
  [CURLM_UNKNOWN_OPTION] = AH_EINVAL,
  [CURLM_ADDED_ALREADY] = AH_EINVAL,
  [CURLM_RECURSIVE_API_CALL] = AH_EBUSY,
  [CURLM_WAKEUP_FAILURE] = AH_EIO,
  [CURLM_BAD_FUNCTION_ARGUMENT] = AH_EINVAL,
  [CURLM_ABORTED_BY_CALLBACK] = AH_ECANCELED,
  [CURLM_UNRECOVERABLE_POLL] = AH_EIO,
};

int ah__error_multi_known(long mc)
{
  return mc == CURLM_OK || (mc > 0 && mc < AH__CURLM_ROWS && by_mcode[mc] != 0);
}

int ah__error_from_multi(CURLMcode mc)
{
  if (mc == CURLM_OK)
    return AH_OK;
  if (mc < 0 || mc >= AH__CURLM_ROWS || by_mcode[mc] == 0)
    return AH_EIO;
  return by_mcode[mc];
}
