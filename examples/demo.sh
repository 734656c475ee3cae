#!/bin/sh
# make demo: start the test server on 127.0.0.1 (ephemeral port), fetch a
# mix of URLs with examples/gather, print what came back, stop the server.
gather=$1
out=$(mktemp); trap 'rm -f "$out"; [ -n "$pid" ] && kill "$pid" 2>/dev/null' EXIT
${PYTHON:-python3} tests/server.py > "$out" &
pid=$!
i=0
while ! grep -q READY "$out" && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
port=$(sed -n 's/READY //p' "$out")
[ -n "$port" ] || { echo "demo: the test server did not start"; exit 1; }
base="http://127.0.0.1:$port"
urls=""
for n in 1 2 3 4 5 6 7 8 9 10; do urls="$urls $base/size/$((n * 1000))"; done
urls="$urls $base/size/1048576 $base/chunked/50000 $base/gzip/200000"
urls="$urls $base/delay/200 $base/delay/300 $base/redirect/3 $base/status/404"
urls="$urls $base/cut-headers http://127.0.0.1:1/"
echo "fetching $(echo $urls | wc -w) URLs concurrently from a local test server:"
"$gather" $urls
echo "(errors above are deliberate: a server that cuts its headers, a refused port)"
exit 0
