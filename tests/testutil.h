/* testutil.h - what every ahttp test shares: the test server, URLs, and
 * the descriptor count that each test checks at its end. */
#ifndef AH_TESTUTIL_H
#define AH_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>

#include <ahttp.h>

/* Start tests/server.py (or $AH_TEST_SERVER) and wait for its READY line,
 * at most 10 s. Returns its pid and sets *port; -1 on failure. */
pid_t tu_server_start(int *port);
/* The same with extra arguments for server.py (NULL-terminated array). */
pid_t tu_server_start_args(int *port, const char *const *args);
/* Run argv with its stdout on a pipe until it prints a line starting
 * "READY " (at most 20 s), which goes to line. Its pid, or -1. */
pid_t tu_spawn(const char *const *argv, char *line, size_t len);
/* Stop the server by its pid and reap it. */
void tu_server_stop(pid_t pid);
/* "http://127.0.0.1:<port><path>", in one of 8 rotating static buffers. */
const char *tu_url(const char *path);
/* Fetch url with o, wait, and return the body (owned by *f); fails the
 * test unless the request succeeded. */
const char *tu_fetch_ok(ah_session *s, const char *url, const ah_request_opts *o,
                        ah_future **f);
/* Fetch url with o, wait, and return its code. */
int tu_fetch_err(ah_session *s, const char *url, const ah_request_opts *o);
/* A listener on 127.0.0.1 (its port in *port), or -1. With backlog_full
 * its accept queue is filled by up to 8 connections, left in fill[0..
 * *nfill), so that a further connect never completes (-1 if it cannot
 * be filled). The caller closes them all. */
int tu_listener(int *port, int backlog_full, int *fill, int *nfill);
/* A request body from a reader, a few bytes per call, that can start
 * over: tu_text_read and tu_text_rewind take a struct tu_text as their
 * userdata ({text, 0, 0}); rewinds counts the rewinds. */
struct tu_text {
  const char *text;
  size_t at;
  int rewinds;
};
struct ah_future;
long tu_text_read(struct ah_future *f, char *buf, size_t max, void *ud);
int tu_text_rewind(struct ah_future *f, void *ud);

/* Fetch url on s and wait for it (20 s, scaled by tu_slowdown): the
 * future, done (the test fails if it is not). */
struct ah_session;
struct ah_request_opts;
struct ah_future *tu_fetch(struct ah_session *s, const char *url,
                           const struct ah_request_opts *o);
/* How many times needle occurs in hay. */
int tu_count(const char *hay, const char *needle);
/* The body of a future that succeeded (the test fails with its message
 * if it did not). */
const char *tu_body(struct ah_future *f);

/* How much slower this run is than a plain one, for the tests that bound
 * a time: 10 under valgrind (make check VALGRIND=1), 5 under
 * ThreadSanitizer, 2 under AddressSanitizer, else 1. */
double tu_slowdown(void);

/* Open descriptors of this process. */
int tu_fd_count(void);

/* cmocka group setup/teardown that start and stop the server, and per-test
 * setup/teardown that fail a test which leaves a descriptor open. */
int tu_group_setup(void **state);
int tu_group_teardown(void **state);
int tu_fd_setup(void **state);
int tu_fd_teardown(void **state);

#define TU_TEST(f) cmocka_unit_test_setup_teardown(f, tu_fd_setup, tu_fd_teardown)

extern int tu_port;

#endif
