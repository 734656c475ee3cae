/* test_loop.c - a session on its own thread (ah_loop), fed by several
 * threads at once: futures waited on by the submitting threads, callbacks
 * on the loop's thread, cancel and free from any thread, futures that
 * outlive the loop, and the session wake-up from a second thread. Run
 * under ThreadSanitizer by `make check SANITIZE=thread`. */
#include <ahttp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "testutil.h"

enum { THREADS = 4, PER_THREAD = 200 };

struct worker {
  ah_loop *loop;
  int ok, cb_calls;
  pthread_t cb_thread;  /* where the callbacks ran */
  int cb_threads_differ;
};

static void on_done(ah_future *f, void *ud)
{
  struct worker *w = ud;

  (void)f;
  /* Runs on the loop's thread; this worker's own counter, read by its
   * thread only after the waits below (the release orders them). */
  if (w->cb_calls++ == 0)
    w->cb_thread = pthread_self();
  else if (!pthread_equal(w->cb_thread, pthread_self()))
    w->cb_threads_differ = 1;
}

static void *submit(void *arg)
{
  struct worker *w = arg;
  ah_future *fs[PER_THREAD];
  int i;

  for (i = 0; i < PER_THREAD; i++)
    fs[i] = ah_loop_fetch(w->loop, tu_url(i % 2 ? "/size/100" : "/echo"), NULL,
                          on_done, w);
  if (ah_gather(fs, PER_THREAD, 30000) != AH_OK)
    return NULL;
  for (i = 0; i < PER_THREAD; i++) {
    if (ah_future_error(fs[i]) == AH_OK &&
        ah_response_status(ah_future_response(fs[i])) == 200)
      w->ok++;
    ah_future_free(fs[i]);
  }
  return NULL;
}

/* Four threads submit 200 fetches each and gather them; every one
 * completes, and the callbacks all ran on one thread, not theirs. */
static void test_many_submitting_threads(void **state)
{
  ah_loop *loop = ah_loop_new(NULL);
  struct worker w[THREADS];
  pthread_t t[THREADS];
  int i;

  (void)state;
  assert_non_null(loop);
  memset(w, 0, sizeof w);
  for (i = 0; i < THREADS; i++) {
    w[i].loop = loop;
    assert_int_equal(pthread_create(&t[i], NULL, submit, &w[i]), 0);
  }
  for (i = 0; i < THREADS; i++)
    pthread_join(t[i], NULL);
  for (i = 0; i < THREADS; i++) {
    assert_int_equal(w[i].ok, PER_THREAD);
    assert_int_equal(w[i].cb_calls, PER_THREAD);
    assert_int_equal(w[i].cb_threads_differ, 0);
    assert_false(pthread_equal(w[i].cb_thread, t[i]));
    assert_true(pthread_equal(w[i].cb_thread, w[0].cb_thread));
  }
  ah_loop_free(loop);
}

/* Cancel and free from the submitting thread, before and after the loop
 * has started the request; wait_any; futures outliving the loop. */
static void test_cancel_free_and_outlive(void **state)
{
  ah_loop *loop = ah_loop_new(NULL);
  ah_future *slow, *gone, *quick, *left, *any[2];

  (void)state;
  slow = ah_loop_fetch(loop, tu_url("/delay/5000"), NULL, NULL, NULL);
  gone = ah_loop_fetch(loop, tu_url("/delay/5000"), NULL, NULL, NULL);
  quick = ah_loop_fetch(loop, tu_url("/size/3"), NULL, NULL, NULL);
  ah_future_free(gone); /* pending: canceled, freed by the loop */
  any[0] = slow;
  any[1] = quick;
  assert_ptr_equal(ah_wait_any(any, 2, 10000), quick);
  assert_int_equal(ah_future_error(quick), AH_OK);
  assert_string_equal(ah_response_body(ah_future_response(quick), NULL), "xxx");
  assert_int_equal(ah_future_on_done(quick, NULL, NULL), AH_EINVAL);
  assert_false(ah_future_done(slow));
  assert_int_equal(ah_future_error(slow), AH_EPENDING);
  assert_int_equal(ah_future_cancel(slow), AH_OK);
  assert_int_equal(ah_future_wait(slow, 10000), AH_OK);
  assert_int_equal(ah_future_error(slow), AH_ECANCELED);
  /* Freeing the loop cancels what is left; its futures stay readable. */
  left = ah_loop_fetch(loop, tu_url("/delay/5000"), NULL, NULL, NULL);
  ah_loop_free(loop);
  assert_int_equal(ah_future_wait(left, 10000), AH_OK);
  assert_int_equal(ah_future_error(left), AH_ECANCELED);
  assert_true(ah_future_done(quick));
  ah_future_free(slow);
  ah_future_free(quick);
  ah_future_free(left);
  /* A loop's futures and a session's do not mix in one wait. */
  {
    ah_loop *l2 = ah_loop_new(NULL);
    ah_session *s = ah_session_new(NULL);
    ah_future *mix[2];
    mix[0] = ah_loop_fetch(l2, tu_url("/size/1"), NULL, NULL, NULL);
    mix[1] = ah_session_fetch(s, tu_url("/size/1"), NULL);
    assert_int_equal(ah_gather(mix, 2, 1000), AH_EINVAL);
    ah_future_free(mix[0]);
    ah_future_free(mix[1]);
    ah_session_free(s);
    ah_loop_free(l2);
  }
  /* Nor two loops' futures (ah_gather(3)): refused, both still pending,
   * and each waited for on its own after. */
  {
    ah_loop *l2 = ah_loop_new(NULL), *l3 = ah_loop_new(NULL);
    ah_future *two[2];
    two[0] = ah_loop_fetch(l2, tu_url("/delay/1000"), NULL, NULL, NULL);
    two[1] = ah_loop_fetch(l3, tu_url("/delay/1000"), NULL, NULL, NULL);
    assert_int_equal(ah_gather(two, 2, 5000), AH_EINVAL);
    assert_false(ah_future_done(two[0]));
    assert_false(ah_future_done(two[1]));
    assert_int_equal(ah_gather(&two[0], 1, 10000), AH_OK);
    assert_int_equal(ah_gather(&two[1], 1, 10000), AH_OK);
    assert_int_equal(ah_future_error(two[0]), AH_OK);
    assert_int_equal(ah_future_error(two[1]), AH_OK);
    ah_future_free(two[0]);
    ah_future_free(two[1]);
    ah_loop_free(l2);
    ah_loop_free(l3);
  }
}

/* The callback reads the outcome it announces, as a session future's
 * does (it read as pending, with no response). */
struct told {
  int err, status, done, curl_code;
  char msg[128];
};

static void read_outcome(ah_future *f, void *ud)
{
  struct told *t = ud;

  t->done = ah_future_done(f);
  t->err = ah_future_error(f);
  t->curl_code = ah_future_curl_code(f);
  t->status = ah_future_response(f) ? ah_response_status(ah_future_response(f)) : -1;
  snprintf(t->msg, sizeof t->msg, "%s", ah_future_errmsg(f));
}

static void test_callback_reads_its_outcome(void **state)
{
  ah_loop *loop = ah_loop_new(NULL);
  struct told ok = {0, 0, 0, -1, ""}, bad = {0, 0, 0, -1, ""};
  ah_future *fs[2];

  (void)state;
  fs[0] = ah_loop_fetch(loop, tu_url("/status/404"), NULL, read_outcome, &ok);
  fs[1] = ah_loop_fetch(loop, "http://127.0.0.1:1/", NULL, read_outcome, &bad);
  assert_int_equal(ah_gather(fs, 2, 10000), AH_OK);
  assert_int_equal(ok.done, 1);
  assert_int_equal(ok.err, AH_OK);
  assert_int_equal(ok.status, 404);
  assert_string_equal(ok.msg, "success");
  assert_int_equal(bad.done, 1);
  assert_int_equal(bad.err, AH_ECONNECT);
  assert_int_equal(bad.status, -1);
  assert_non_null(strstr(bad.msg, "refused"));
  assert_int_equal(ok.curl_code, 0);
  assert_int_equal(bad.curl_code, 7); /* CURLE_COULDNT_CONNECT, passed on */
  assert_int_equal(ah_future_curl_code(fs[1]), 7);
  ah_future_free(fs[0]);
  ah_future_free(fs[1]);
  ah_loop_free(loop);
}

/* A callback on the loop's thread may fetch again (a chain), and may
 * free the loop itself. */
struct chain {
  ah_loop *loop;
  int left;
  pthread_mutex_t m;
  pthread_cond_t c;
  int finished;
  ah_future *last;
};

static void chain_next(ah_future *f, void *ud)
{
  struct chain *ch = ud;

  ah_future_free(f); /* its own future, from its callback */
  if (--ch->left > 0) {
    ah_loop_fetch(ch->loop, tu_url("/size/5"), NULL, chain_next, ch);
    return;
  }
  ch->last = ah_loop_fetch(ch->loop, tu_url("/delay/5000"), NULL, NULL, NULL);
  ah_loop_free(ch->loop); /* from the loop's own thread */
  pthread_mutex_lock(&ch->m);
  ch->finished = 1;
  pthread_cond_signal(&ch->c);
  pthread_mutex_unlock(&ch->m);
}

static void test_chain_and_free_from_callback(void **state)
{
  struct chain ch;
  int base = tu_fd_count(), i;

  (void)state;
  memset(&ch, 0, sizeof ch);
  pthread_mutex_init(&ch.m, NULL);
  pthread_cond_init(&ch.c, NULL);
  ch.loop = ah_loop_new(NULL);
  ch.left = 50;
  ah_loop_fetch(ch.loop, tu_url("/size/5"), NULL, chain_next, &ch);
  pthread_mutex_lock(&ch.m);
  while (!ch.finished)
    pthread_cond_wait(&ch.c, &ch.m);
  pthread_mutex_unlock(&ch.m);
  assert_int_equal(ch.left, 0);
  assert_int_equal(ah_future_wait(ch.last, 10000), AH_OK);
  assert_int_equal(ah_future_error(ch.last), AH_ECANCELED);
  ah_future_free(ch.last);
  /* Freed from its own thread, the loop finishes closing on that thread:
   * its descriptors go shortly after (bounded wait: 5 s). */
  for (i = 0; i < 500 && tu_fd_count() > base; i++) {
    struct timespec ts = {0, 10 * 1000000};
    nanosleep(&ts, NULL);
  }
  assert_int_equal(tu_fd_count(), base);
  pthread_mutex_destroy(&ch.m);
  pthread_cond_destroy(&ch.c);
}

/* SPEC section 2: the one call safe from any thread wakes a blocked wait
 * on a session driven by another thread. */
struct waker {
  ah_session *s;
};

static void *wake_later(void *arg)
{
  struct waker *k = arg;
  struct timespec ts = {0, 50 * 1000000};

  nanosleep(&ts, NULL);
  ah_session_wakeup(k->s);
  return NULL;
}

static void test_wakeup_from_second_thread(void **state)
{
  struct waker k;
  pthread_t t;
  ah_future *f;

  (void)state;
  k.s = ah_session_new(NULL);
  f = ah_session_fetch(k.s, tu_url("/delay/5000"), NULL);
  pthread_create(&t, NULL, wake_later, &k);
  assert_int_equal(ah_future_wait(f, 10000), AH_EINTR);
  pthread_join(t, NULL);
  assert_false(ah_future_done(f));
  ah_future_free(f);
  ah_session_free(k.s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    TU_TEST(test_many_submitting_threads),
    TU_TEST(test_cancel_free_and_outlive),
    TU_TEST(test_chain_and_free_from_callback),
    TU_TEST(test_callback_reads_its_outcome),
    TU_TEST(test_wakeup_from_second_thread),
  };
  return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
