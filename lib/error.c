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
  }
  return "unknown error code";
}

static int out_of_fds(long e)
{
  return e == EMFILE || e == ENFILE;
}

int ah__error_from_curl(const struct ah__failure *f)
{
  switch (f->rc) {
  case CURLE_OK:
    return AH_OK;
  case CURLE_URL_MALFORMAT:
  case CURLE_BAD_FUNCTION_ARGUMENT:
  case CURLE_NOT_BUILT_IN:
  case CURLE_UNKNOWN_OPTION:
    return AH_EINVAL;
  case CURLE_OUT_OF_MEMORY:
    /* libcurl 7.88 says "out of memory" for a header line over its
     * 100 KiB cap; only an allocation that really failed is ENOMEM. */
    if (f->real_oom)
      return AH_ENOMEM;
    return f->headers_done ? AH_EPROTO : AH_ETOOLARGE;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
    return out_of_fds(f->os_errno) ? AH_ENOFD : AH_ERESOLVE;
  case CURLE_COULDNT_CONNECT:
    return out_of_fds(f->os_errno) ? AH_ENOFD : AH_ECONNECT;
  case CURLE_OPERATION_TIMEDOUT:
    return AH_ETIMEDOUT;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_SSL_SHUTDOWN_FAILED:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_CLIENTCERT:
  case CURLE_USE_SSL_FAILED:
    return AH_ETLS;
  case CURLE_TOO_MANY_REDIRECTS:
    return AH_EREDIRECTS;
  case CURLE_RECV_ERROR:
    /* A reset carries its errno; a TLS alert after the handshake (a
     * refused client certificate in TLS 1.3) comes from the TLS library;
     * a bad chunk or header is neither. */
    if (f->tls_layer)
      return AH_ETLS;
    return f->os_errno != 0 ? AH_EIO : AH_EPROTO;
  case CURLE_SEND_ERROR:
    return f->tls_layer ? AH_ETLS : AH_EIO;
  case CURLE_READ_ERROR:
    return AH_EIO;
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
  case CURLE_BAD_CONTENT_ENCODING:
  case CURLE_WEIRD_SERVER_REPLY:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_HTTP3:
  case CURLE_UNSUPPORTED_PROTOCOL: /* HTTP/0.9 or garbage: scheme was checked */
    return AH_EPROTO;
  case CURLE_FILESIZE_EXCEEDED:
    return AH_ETOOLARGE;
  case CURLE_ABORTED_BY_CALLBACK:
    return AH_ECANCELED;
  case CURLE_PROXY:
    /* A SOCKS proxy's reply: what it says of the server it was asked to
     * reach is what happened to the request. */
    switch (f->proxy_err) {
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
  default:
    return AH_EIO;
  }
}
