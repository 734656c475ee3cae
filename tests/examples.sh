#!/bin/sh
# The host loop examples, run against the test server by make check: each
# must print every response, and a request timeout must fire through the
# session's one descriptor (ahttp's timers need no timer of the host's).
# Usage: examples.sh BUILD_DIR
b=$1
out=$(mktemp); log=$(mktemp)
trap 'rm -f "$out" "$log"; [ -n "$pid" ] && kill "$pid" 2>/dev/null' EXIT
${PYTHON:-python3} tests/server.py > "$out" &
pid=$!
i=0
while ! grep -q READY "$out" && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
port=$(sed -n 's/READY //p' "$out")
[ -n "$port" ] || { echo "examples: the test server did not start"; exit 1; }
u="http://127.0.0.1:$port"
fail=0
for ex in libuv_loop libevent_loop; do
  start=$(date +%s)
  timeout 20 "$b/examples/$ex" -t 500 "$u/size/1000" "$u/redirect/2" "$u/silent" > "$log" 2>&1
  rc=$?
  took=$(( $(date +%s) - start ))
  if [ $rc -ne 0 ] || ! grep -q "^200 1000 bytes $u/size/1000$" "$log" ||
     ! grep -q "^200 7 bytes $u/redirect/0$" "$log" ||
     ! grep -q "^error timed out: .*/silent" "$log" || [ $took -gt 5 ]; then
    echo "examples: $ex failed (exit $rc, ${took}s):"; cat "$log"; fail=1
  fi
done
# The libuv adapter where it can fail (tests/adapter_uv.c).
if [ -x "$b/tests/adapter_uv" ]; then
  timeout 20 "$b/tests/adapter_uv" "$u/size/10" > "$log" 2>&1 || { echo "examples: adapter_uv failed:"; cat "$log"; fail=1; }
fi
# The tutorial's programs (docs/tutorial.md), each doing what it says.
check() { # name, then grep patterns its output must hold
  name=$1; shift
  for want in "$@"; do
    grep -q -- "$want" "$log" || { echo "examples: $name: no '$want' in:"; cat "$log"; fail=1; return; }
  done
}
timeout 20 "$b/examples/first_fetch" "$u/size/10" > "$log" 2>&1
check first_fetch "^status 200, 10 bytes of text/plain$" "^xxxxxxxxxx$"
timeout 20 "$b/examples/post_json" "$u/echo" > "$log" 2>&1
check post_json "^method POST$" "^target /echo?lang=c%20%26%20more$" \
  "^header Content-Type: application/json$" "^header Authorization: Bearer secret-token$" \
  "^header X-Request-Id: 42$" "^header User-Agent: post-json-example/1.0$" \
  '^{"name": "ahttp", "stars": 5}$'
timeout 20 "$b/examples/stream" "$u/size/300000" > "$out.body" 2> "$log"
[ "$(wc -c < "$out.body")" -eq 300000 ] || { echo "examples: stream wrote $(wc -c < "$out.body") bytes"; fail=1; }
check stream "^status 200, length 300000$" "^done$"
rm -f "$out.body"
timeout 20 "$b/examples/as_sent" "$u/gzip/5000" > "$out.body" 2> "$log"
check as_sent "^status 200 OK$" "bytes, encoding gzip$"
${PYTHON:-python3} -c 'import gzip, sys; assert gzip.decompress(open(sys.argv[1], "rb").read()) == b"z" * 5000' "$out.body" ||
  { echo "examples: as_sent: not the gzip body as sent"; fail=1; }
timeout 20 "$b/examples/as_sent" "$u/trailers?X-Checksum:%20abc" > "$out.body" 2> "$log"
check as_sent "^status 200 OK$" "^5 bytes, encoding none$" "^trailer X-Checksum: abc$"
rm -f "$out.body"
urls=""
for n in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do urls="$urls $u/size/$n"; done
timeout 20 "$b/examples/window" $urls http://127.0.0.1:1/ > "$log" 2>&1
check window "^21 done, 1 failed$" "^200 20 $u/size/20$" "^error connection refused"
timeout 20 "$b/examples/threads" "$u/size/1" "$u/delay/200" "$u/size/3" http://127.0.0.1:1/ > "$log" 2>&1
check threads "^4 threads, 1 failed$" "^200 $u/delay/200$" "^200 $u/size/3$"
timeout 20 "$b/examples/forms_cookies" "$u" > "$log" 2>&1
check forms_cookies "^header Content-Type: application/x-www-form-urlencoded$" \
  "^user=ann&note=tea+%26+biscuits$" "^file image logo.png image/png 8$" \
  "^header Cookie: session=abc; theme=dark$" "^jar: session=abc for 127.0.0.1/$" \
  "^jar: 0 cookies after clearing$"
# The WebSocket example against python3-websockets, where the running
# libcurl has WebSocket (else it says why and exits 77: skipped).
"$b/examples/websocket" > "$log" 2>&1 ws://127.0.0.1:1/ ; wsrc=$?
if [ $wsrc -eq 77 ]; then
  echo "examples: websocket skipped: $(cat "$log")"
else
  wsout=$(mktemp)
  /usr/bin/python3 tests/ws_server.py > "$wsout" 2>/dev/null &
  wspid=$!
  i=0
  while ! grep -q READY "$wsout" && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
  wsport=$(sed -n 's/READY \([0-9]*\).*/\1/p' "$wsout")  # the first port: python3-websockets'
  timeout 20 "$b/examples/websocket" "ws://127.0.0.1:$wsport/echo" hello "two words" > "$log" 2>&1
  check websocket "^echo: hello$" "^echo: two words$" '^closed: 1000 "bye"$'
  kill $wspid 2>/dev/null; wait $wspid 2>/dev/null
  rm -f "$wsout"
fi
[ $fail -eq 0 ] && echo "examples: ok (libuv and libevent loops drive a session, timers included; the tutorial's programs)"
exit $fail
