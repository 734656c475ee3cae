#!/bin/sh
# make demo: start the test server on 127.0.0.1 (an ephemeral port), fetch
# a few hundred URLs with the ahttp tool and show its summary, then a few
# with examples/gather.c, the library used from C. Stops the server by pid.
# Usage: demo.sh AHTTP_TOOL GATHER_EXAMPLE
tool=$1; gather=$2
dir=$(mktemp -d); trap 'rm -rf "$dir"; [ -n "$pid" ] && kill "$pid" 2>/dev/null' EXIT
${PYTHON:-python3} tests/server.py > "$dir/server" &
pid=$!
i=0
while ! grep -q READY "$dir/server" && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
port=$(sed -n 's/READY //p' "$dir/server")
[ -n "$port" ] || { echo "demo: the test server did not start"; exit 1; }
base="http://127.0.0.1:$port"

# 300 URLs: bodies of many sizes, chunked and gzip bodies, redirects, slow
# replies, a 404, and two that fail on purpose.
{
  n=1
  while [ $n -le 240 ]; do echo "$base/size/$((n * 97))"; n=$((n + 1)); done
  n=1
  while [ $n -le 20 ]; do echo "$base/chunked/$((n * 5000))"; echo "$base/gzip/$((n * 10000))"; n=$((n + 1)); done
  for n in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do echo "$base/redirect/$((n % 4))"; done
  for n in 50 100 150 200 250 300 350 400 450 500 550 600; do echo "$base/delay/$n"; done
  echo "$base/status/404"
  echo "$base/cut-headers"
  echo "http://127.0.0.1:1/refused"
} > "$dir/urls"
echo "\$ ahttp -j 32 --input urls.txt --output-dir pages    # $(wc -l < "$dir/urls") URLs from a local test server"
"$tool" -j 32 --input "$dir/urls" --output-dir "$dir/pages"
echo "(exit status $?: the two failures above are deliberate: a server that cuts its headers, a refused port)"
echo "\$ ls pages | head -3; ls pages | wc -l"
ls "$dir/pages" | head -3
ls "$dir/pages" | wc -l
echo
echo "\$ ahttp --jsonl $base/redirect/2"
"$tool" --jsonl "$base/redirect/2"
echo
echo "\$ examples/gather URL...    # the library from C: one future per URL, one ah_gather"
"$gather" "$base/size/1000" "$base/gzip/200000" "$base/redirect/3" "$base/status/404" "$base/delay/300"
exit 0
