/* session_opts.c - the session option builder (ah_session_opts) and the
 * defaults it leaves for a session: what every request falls back on. */
#include "session_opts.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "curl_caps.h"
#include "request_opts.h"
#include "url.h"

void ah__defaults_init(struct ah__defaults *d)
{
  d->max_body = (size_t)64 << 20;
  d->max_header = (size_t)256 << 10;
  d->max_redirects = 10;
  d->total_ms = 300000;
  d->connect_ms = 30000;
  d->user_agent = NULL;
}

ah_session_opts *ah_session_opts_new(void)
{
  ah_session_opts *o = ah__calloc(1, sizeof *o);

  if (o == NULL)
    return NULL;
  ah__defaults_init(&o->d);
  ah__retry_policy_init(&o->retry);
  o->max_total = 100;
  o->max_host = 0;
  return o; /* o->d.headers stays NULL: built by the session */
}

/* The strings of d, each freed. */
void ah__defaults_free(struct ah__defaults *d)
{
  ah__free(d->proxy);
  ah__free(d->unix_path);
  ah__free(d->base_url);
  curl_slist_free_all(d->extra);
  ah__free(d->user_agent);
  ah__free(d->ca_file);
  ah__free(d->ca_dir);
  ah__free(d->cert);
  ah__free(d->key);
  ah__free(d->pinned_key);
  ah__free(d->proxy_user);
  ah__free(d->proxy_password);
  ah__free(d->no_proxy);
  curl_slist_free_all(d->headers);
  curl_slist_free_all(d->connect_to);
}

/* Copy the strings of from into to (shallow copy done by the caller). */
int ah__defaults_copy(struct ah__defaults *to,
                                 const struct ah__defaults *from)
{
  char **dst[] = {&to->user_agent, &to->ca_file, &to->ca_dir, &to->cert,
                  &to->key, &to->proxy, &to->unix_path, &to->base_url,
                  &to->pinned_key, &to->proxy_user, &to->proxy_password,
                  &to->no_proxy};
  const char *src[] = {from->user_agent, from->ca_file, from->ca_dir,
                       from->cert, from->key, from->proxy, from->unix_path,
                       from->base_url, from->pinned_key, from->proxy_user,
                       from->proxy_password, from->no_proxy};
  size_t i;
  int rc = AH_OK;

  to->headers = NULL;
  if (ah__slist_dup(&to->extra, from->extra) < 0 ||
      ah__slist_dup(&to->connect_to, from->connect_to) < 0)
    rc = AH_ENOMEM;
  for (i = 0; i < sizeof dst / sizeof *dst; i++) {
    *dst[i] = src[i] ? ah__strdup(src[i]) : NULL;
    if (src[i] && *dst[i] == NULL)
      rc = AH_ENOMEM;
  }
  return rc;
}

void ah_session_opts_free(ah_session_opts *o)
{
  if (o == NULL)
    return;
  ah__defaults_free(&o->d);
  ah__rates_free(&o->rates);
  ah__free(o);
}

/* Replace *slot with a copy of value (NULL clears). */
static int set_string(char **slot, const char *value)
{
  char *c = NULL;

  if (value != NULL && (c = ah__strdup(value)) == NULL)
    return AH_ENOMEM;
  ah__free(*slot);
  *slot = c;
  return AH_OK;
}

int ah_session_opts_set_http_version(ah_session_opts *o, ah_http_version version)
{
  if (o == NULL || version < AH_HTTP_DEFAULT ||
      version > AH_HTTP_2_PRIOR_KNOWLEDGE)
    return AH_EINVAL;
  o->d.http_version = version;
  return AH_OK;
}

int ah_session_opts_set_ca(ah_session_opts *o, const char *file,
                           const char *dir)
{
  int rc;

  if (o == NULL)
    return AH_EINVAL;
  if ((rc = set_string(&o->d.ca_file, file)) != AH_OK)
    return rc;
  return set_string(&o->d.ca_dir, dir);
}

int ah_session_opts_set_client_cert(ah_session_opts *o, const char *cert,
                                    const char *key)
{
  int rc;

  if (o == NULL || (cert == NULL && key != NULL))
    return AH_EINVAL;
  if ((rc = set_string(&o->d.cert, cert)) != AH_OK)
    return rc;
  return set_string(&o->d.key, key);
}

int ah_session_opts_set_tls_insecure_no_verify(ah_session_opts *o, int on)
{
  if (o == NULL)
    return AH_EINVAL;
  o->d.insecure = on ? 1 : 0;
  return AH_OK;
}

int ah_session_opts_set_max_connections(ah_session_opts *o, long total,
                                        long per_host)
{
  if (o == NULL || total < 0 || per_host < 0)
    return AH_EINVAL;
  o->max_total = total;
  o->max_host = per_host;
  return AH_OK;
}

int ah_session_opts_on_event(ah_session_opts *o, ah_event_cb cb,
                             void *userdata)
{
  if (o == NULL)
    return AH_EINVAL;
  o->d.on_event = cb;
  o->d.event_ud = cb ? userdata : NULL;
  return AH_OK;
}

int ah_session_opts_set_host_rate(ah_session_opts *o, const char *host,
                                  double per_second, double burst)
{
  if (o == NULL || isnan(per_second) || per_second < 0 ||
      (per_second > 0 && !(burst >= 1)) || (host != NULL && !ah__url_host_ok(host)))
    return AH_EINVAL;
  return ah__rates_rule(&o->rates, host, per_second, burst) < 0 ? AH_ENOMEM
                                                                : AH_OK;
}

int ah_session_opts_set_retries(ah_session_opts *o, int attempts, unsigned on)
{
  if (o == NULL || attempts < 1 || attempts > 100 ||
      (on & ~(unsigned)AH_RETRY_DEFAULT) != 0)
    return AH_EINVAL;
  o->retry.attempts = attempts;
  o->retry.on = on;
  return AH_OK;
}

int ah_session_opts_set_retry_backoff(ah_session_opts *o, long base_ms,
                                      long max_ms)
{
  if (o == NULL || base_ms < 0 || max_ms < base_ms)
    return AH_EINVAL;
  o->retry.base_ns = (int64_t)base_ms * 1000000;
  o->retry.max_ns = (int64_t)max_ms * 1000000;
  return AH_OK;
}

int ah_session_opts_set_retry_statuses(ah_session_opts *o, const int *codes,
                                       size_t n)
{
  size_t i;

  if (o == NULL || n > AH__RETRY_MAX_STATUSES || (n > 0 && codes == NULL))
    return AH_EINVAL;
  for (i = 0; i < n; i++)
    if (codes[i] < 100 || codes[i] > 599)
      return AH_EINVAL;
  for (i = 0; i < n; i++)
    o->retry.statuses[i] = codes[i];
  o->retry.nstatuses = (int)n;
  return AH_OK;
}

int ah_session_opts_set_retry_budget(ah_session_opts *o, double ratio,
                                     long min_per_second)
{
  if (o == NULL || isnan(ratio) || min_per_second < 0)
    return AH_EINVAL;
  o->retry.ratio = ratio;
  o->retry.min_per_s = min_per_second;
  return AH_OK;
}

int ah_session_opts_set_max_body(ah_session_opts *o, size_t bytes)
{
  if (o == NULL || bytes == (size_t)-1)
    return AH_EINVAL;
  o->d.max_body = bytes;
  return AH_OK;
}

int ah_session_opts_set_max_header(ah_session_opts *o, size_t bytes)
{
  if (o == NULL || bytes == 0)
    return AH_EINVAL;
  o->d.max_header = bytes;
  return AH_OK;
}

int ah_session_opts_set_max_redirects(ah_session_opts *o, long n)
{
  if (o == NULL || n < 0)
    return AH_EINVAL;
  o->d.max_redirects = n;
  return AH_OK;
}

int ah_session_opts_set_timeouts(ah_session_opts *o, long total_ms,
                                 long connect_ms, long idle_ms)
{
  if (o == NULL || total_ms < -1 || connect_ms < -1 || idle_ms < -1)
    return AH_EINVAL;
  if (total_ms >= 0)
    o->d.total_ms = total_ms;
  if (connect_ms >= 0)
    o->d.connect_ms = connect_ms;
  if (idle_ms >= 0)
    o->d.idle_ms = idle_ms;
  return AH_OK;
}

int ah_session_opts_set_user_agent(ah_session_opts *o, const char *ua)
{
  char *c;

  if (o == NULL || ua == NULL || strpbrk(ua, "\r\n") != NULL)
    return AH_EINVAL;
  if ((c = ah__strdup(ua)) == NULL)
    return AH_ENOMEM;
  ah__free(o->d.user_agent);
  o->d.user_agent = c;
  return AH_OK;
}

int ah_session_opts_add_header(ah_session_opts *o, const char *name,
                               const char *value)
{
  /* Content-Length and Transfer-Encoding frame one request's body: no
   * default of a session's can (request_body.c). */
  if (o == NULL || name == NULL || value == NULL || !ah__is_token(name) ||
      strpbrk(value, "\r\n") != NULL || strcasecmp(name, "Content-Length") == 0 ||
      strcasecmp(name, "Transfer-Encoding") == 0)
    return AH_EINVAL;
  return ah__header_append(&o->d.extra, name, value);
}

int ah_session_opts_set_base_url(ah_session_opts *o, const char *url)
{
  CURLU *u = NULL;
  int https, err;
  const char *why;

  if (o == NULL)
    return AH_EINVAL;
  if (url != NULL) {
    if ((err = ah__url_parse(url, NULL, &u, &https, &why)) != AH_OK)
      return err;
    curl_url_cleanup(u);
  }
  return set_string(&o->d.base_url, url);
}

int ah_session_opts_set_queue_timeout(ah_session_opts *o, long queue_ms)
{
  if (o == NULL || queue_ms < 0)
    return AH_EINVAL;
  o->queue_ms = queue_ms;
  return AH_OK;
}


int ah_session_opts_set_proxy(ah_session_opts *o, const char *url)
{
  if (o == NULL || (url != NULL && *url != '\0' && !ah__proxy_ok(url)))
    return AH_EINVAL;
  return set_string(&o->d.proxy, url && *url ? url : NULL);
}

int ah_session_opts_set_proxy_auth(ah_session_opts *o, const char *user,
                                   const char *password)
{
  char *u = NULL, *p = NULL;

  if (o == NULL || (user != NULL && !ah__proxy_auth_ok(user, password)) ||
      (user == NULL && password != NULL))
    return AH_EINVAL;
  if (user != NULL && ((u = ah__strdup(user)) == NULL ||
                       (p = ah__strdup(password ? password : "")) == NULL)) {
    ah__free(u);
    return AH_ENOMEM;
  }
  ah__free(o->d.proxy_user);
  ah__free(o->d.proxy_password);
  o->d.proxy_user = u;
  o->d.proxy_password = p;
  return AH_OK;
}

int ah_session_opts_set_no_proxy(ah_session_opts *o, const char *hosts)
{
  if (o == NULL || (hosts != NULL && strpbrk(hosts, "\r\n") != NULL))
    return AH_EINVAL;
  return set_string(&o->d.no_proxy, hosts);
}

int ah_session_opts_set_trust_env(ah_session_opts *o, int on)
{
  if (o == NULL)
    return AH_EINVAL;
  o->d.trust_env = on ? 1 : 0;
  return AH_OK;
}

int ah_session_opts_set_pinned_key(ah_session_opts *o, const char *pins)
{
  if (o == NULL || (pins != NULL && (*pins == '\0' ||
                                     strpbrk(pins, "\r\n") != NULL)))
    return AH_EINVAL;
  return set_string(&o->d.pinned_key, pins);
}

int ah_session_opts_add_connect_to(ah_session_opts *o, const char *host,
                                   int port, const char *to_host, int to_port)
{
  char line[540];
  struct curl_slist *n;

  if (o == NULL || (host != NULL && !ah__url_host_ok(host)) ||
      (to_host != NULL && !ah__url_host_ok(to_host)) || port < 0 ||
      port > 65535 || to_port < 0 || to_port > 65535 ||
      (to_host == NULL && to_port == 0))
    return AH_EINVAL;
  /* "HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT", as libcurl reads it: an
   * empty host or port is any, an empty connect-to host or port keeps
   * the URL's. Each part is at most 255 bytes (ah__url_host_ok). */
  snprintf(line, sizeof line, "%s:", host ? host : "");
  if (port > 0)
    snprintf(line + strlen(line), sizeof line - strlen(line), "%d", port);
  snprintf(line + strlen(line), sizeof line - strlen(line), ":%s:",
           to_host ? to_host : "");
  if (to_port > 0)
    snprintf(line + strlen(line), sizeof line - strlen(line), "%d", to_port);
  if ((n = curl_slist_append(o->d.connect_to, line)) == NULL)
    return AH_ENOMEM;
  o->d.connect_to = n;
  return AH_OK;
}

int ah_session_opts_add_host_override(ah_session_opts *o, const char *host,
                                      int port, const char *address)
{
  if (host == NULL || address == NULL)
    return AH_EINVAL;
  return ah_session_opts_add_connect_to(o, host, port, address, 0);
}

int ah_session_opts_set_unix_socket(ah_session_opts *o, const char *path)
{
  if (o == NULL)
    return AH_EINVAL;
  return set_string(&o->d.unix_path, path);
}

int ah_session_opts_set_cookies(ah_session_opts *o, int on)
{
  if (o == NULL)
    return AH_EINVAL;
  o->d.no_cookies = on ? 0 : 1;
  return AH_OK;
}

int ah__defaults_headers(struct ah__defaults *d)
{
  struct curl_slist *l = NULL, *n, *x;
  char *ua = NULL;

  if (d->user_agent != NULL) {
    if ((ua = ah__malloc(strlen(d->user_agent) + 13)) == NULL)
      return AH_ENOMEM;
    strcpy(ua, "User-Agent: ");
    strcat(ua, d->user_agent);
    n = curl_slist_append(l, ua);
    ah__free(ua);
    if (n == NULL)
      return AH_ENOMEM;
    l = n;
  }
  /* What libcurl sends for CURLOPT_ACCEPT_ENCODING "" with the decoders
   * of the libcurl running; sent from the prebuilt list, libcurl still
   * decodes. */
  if (ah__curl_caps()->accept_encoding != NULL) {
    if ((n = curl_slist_append(l, ah__curl_caps()->accept_encoding)) == NULL)
      goto nomem;
    l = n;
  }
  for (x = d->extra; x; x = x->next) {
    if ((n = curl_slist_append(l, x->data)) == NULL)
      goto nomem;
    l = n;
    d->auth_header |= strncasecmp(x->data, "Authorization", 13) == 0 &&
                      (x->data[13] == ':' || x->data[13] == ';');
  }
  d->headers = l;
  return AH_OK;
nomem:
  curl_slist_free_all(l);
  return AH_ENOMEM;
}
