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
[ $fail -eq 0 ] && echo "examples: ok (libuv and libevent loops drive a session, timers included)"
exit $fail
