/* error.h - from what libcurl and the OS said to an ahttp code. */
#ifndef AH_ERROR_H
#define AH_ERROR_H

#include <curl/curl.h>

#include "ahttp.h"

/* What is known of a failed transfer besides its CURLcode. */
struct ah__failure {
  CURLcode rc;
  long os_errno;       /* CURLINFO_OS_ERRNO: 0 when no syscall failed */
  int real_oom;        /* an allocation failed during the transfer */
  int headers_done;    /* the final header block was complete */
  int tls_layer;       /* the TLS library, not the OS, reported the error */
  long proxy_err;      /* CURLINFO_PROXY_ERROR for CURLE_PROXY, else 0 */
};

/* The ahttp code for a failed transfer. One CURLcode can mean several
 * things (a reset and a bad chunk are both CURLE_RECV_ERROR): the errno
 * and the transfer's state decide. */
int ah__error_from_curl(const struct ah__failure *f);

/* The CURLcode values 0..AH__CURLE_ROWS-1 have a row in the table: every
 * code of libcurl 8.21 (its CURL_LAST is 102), whichever headers ahttp
 * was built against. A code past it maps to AH_EIO. */
#define AH__CURLE_ROWS 102
/* 1 when rc has a row (tests walk every code of their libcurl with it). */
int ah__error_curl_known(long rc);

/* The ahttp code for a CURLMcode from curl_multi_add_handle and kin. */
#define AH__CURLM_ROWS 13
int ah__error_from_multi(CURLMcode mc);
int ah__error_multi_known(long mc);

#endif
