/* adapter_uv.c - <ahttp/adapters/libuv.h> where it can fail, run by
 * tests/examples.sh: a second attach of the same session's descriptor is
 * refused (UV_EEXIST) and leaves nothing open, so detaching it is a no-op
 * (it aborted in uv_close); the first serves a fetch, detaches, and the
 * loop then ends by itself. Usage: adapter_uv URL */
#include <ahttp.h>
#include <ahttp/adapters/libuv.h>
#include <stdio.h>

static ah_uv w1, w2;
static int status = -1;

static void on_done(ah_future *f, void *userdata)
{
  const ah_response *r = ah_future_response(f);

  (void)userdata;
  status = r ? ah_response_status(r) : ah_future_error(f);
  ah_future_free(f);
  ah_uv_detach(&w1);
  ah_uv_detach(&w1); /* twice: a no-op */
}

int main(int argc, char **argv)
{
  ah_session *s = ah_session_new(NULL);
  uv_loop_t *loop = uv_default_loop();
  int rc;

  if (argc != 2 || s == NULL || ah_uv_attach(&w1, loop, s) != 0)
    return 2;
  rc = ah_uv_attach(&w2, loop, s);
  if (rc == 0 || w2.attached) {
    fprintf(stderr, "adapter_uv: a second attach of one session: %d\n", rc);
    return 1;
  }
  ah_uv_detach(&w2); /* refused: nothing to close */
  ah_future_on_done(ah_session_fetch(s, argv[1], NULL), on_done, NULL);
  if (uv_run(loop, UV_RUN_DEFAULT) != 0 || status != 200) {
    fprintf(stderr, "adapter_uv: status %d\n", status);
    return 1;
  }
  uv_loop_close(loop);
  ah_session_free(s);
  printf("adapter_uv: ok\n");
  return 0;
}
