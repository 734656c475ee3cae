#!/bin/sh
# Servers nobody here wrote (make check): h2o over TLS with HTTP/2 and
# nghttpd over h2c (prior knowledge), both from Debian, serving the same
# files; the ahttp tool fetches 300 x 1 KiB and 20 x 1 MiB from each, 64
# at once, and every response must be a 200 over HTTP/2 with every byte.
# The curl tool is the reference for the exit statuses the tool shares
# with it. httpbin (Debian's python3-httpbin under gunicorn, on two
# ports) judges the journey (SPEC 4b): methods and bodies across 301,
# 302, 303 and 307, and secrets kept to their origin; and serves bodies
# encoded (gzip, deflate, brotli) for --raw; -I shows reason phrases.
# Usage: outside.sh AHTTP_TOOL
tool=$1
for cmd in h2o nghttpd curl openssl gunicorn; do
  command -v $cmd >/dev/null 2>&1 ||
    { echo "outside: $cmd missing (Debian: h2o nghttp2-server curl openssl gunicorn python3-httpbin)"; exit 1; }
done
tmp=$(mktemp -d); pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; rm -rf "$tmp"' EXIT
free_port() { ${PYTHON:-python3} -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mkdir "$tmp/www"
head -c 1024 /dev/urandom > "$tmp/www/1k"
head -c 1048576 /dev/urandom > "$tmp/www/1m"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 \
  -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1 ||
  { echo "outside: no certificate"; exit 1; }
tls=$(free_port); h2c=$(free_port)
{
  echo "listen: {host: 127.0.0.1, port: $tls, ssl: {certificate-file: $tmp/cert.pem, key-file: $tmp/key.pem}}"
  echo "hosts: {default: {paths: {/: {file.dir: $tmp/www}}}}"
  [ "$(id -u)" = 0 ] && echo "user: root" # h2o started by root runs as nobody, who cannot read $tmp
} > "$tmp/h2o.conf"
h2o -c "$tmp/h2o.conf" > "$tmp/h2o.log" 2>&1 & pids="$pids $!"
nghttpd --no-tls -d "$tmp/www" -a 127.0.0.1 $h2c > "$tmp/nghttpd.log" 2>&1 & pids="$pids $!"
bin1=$(free_port); bin2=$(free_port)
gunicorn -b 127.0.0.1:$bin1 httpbin:app > "$tmp/bin1.log" 2>&1 & pids="$pids $!"
gunicorn -b 127.0.0.1:$bin2 httpbin:app > "$tmp/bin2.log" 2>&1 & pids="$pids $!"
i=0
until curl -s -o /dev/null --cacert "$tmp/cert.pem" "https://127.0.0.1:$tls/1k" &&
      curl -s -o /dev/null --http2-prior-knowledge "http://127.0.0.1:$h2c/1k" &&
      curl -s -o /dev/null "http://127.0.0.1:$bin1/get" && curl -s -o /dev/null "http://127.0.0.1:$bin2/get"; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "outside: the servers did not start"; cat "$tmp"/*.log; exit 1; }
  sleep 0.1
done
fail=0
check() { # name, base URL, tool options...
  name=$1 base=$2; shift 2
  : > "$tmp/urls"
  n=0; while [ $n -lt 300 ]; do echo "$base/1k" >> "$tmp/urls"; n=$((n + 1)); done
  n=0; while [ $n -lt 20 ]; do echo "$base/1m" >> "$tmp/urls"; n=$((n + 1)); done
  timeout 60 "$tool" -q -j 64 --jsonl "$@" --input "$tmp/urls" > "$tmp/out.jsonl"
  ${PYTHON:-python3} - "$tmp/out.jsonl" "$name" <<'PY' || fail=1
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
bad = [l for l in lines if l["status"] != 200 or l["http_version"] != "2" or
       l["bytes"] != (1024 if l["url"].endswith("/1k") else 1048576)]
if len(lines) != 320 or bad:
    print("outside: %s: %d responses, %d wrong, first: %s" % (sys.argv[2], len(lines), len(bad), bad[:1]))
    sys.exit(1)
PY
  # One body kept whole, byte for byte.
  timeout 20 "$tool" -s "$@" -o "$tmp/got" "$base/1m" && cmp -s "$tmp/got" "$tmp/www/1m" ||
    { echo "outside: $name: the 1 MiB body differs"; fail=1; }
}
check h2o "https://127.0.0.1:$tls" --cacert "$tmp/cert.pem"
check nghttpd "http://127.0.0.1:$h2c" --http2-prior-knowledge
# Exit statuses as curl's, against the same servers: an untrusted
# certificate, an HTTP error with -f, a missing CA file.
for args in "https://127.0.0.1:$tls/1k" "-f --cacert $tmp/cert.pem https://127.0.0.1:$tls/none" \
            "--cacert $tmp/none.pem https://127.0.0.1:$tls/1k" "-f --http2-prior-knowledge http://127.0.0.1:$h2c/none"; do
  curl -s -o /dev/null $args; want=$?
  timeout 20 "$tool" -s -o /dev/null $args; got=$?
  [ $got = $want ] || { echo "outside: ahttp $args: exit $got, curl $want"; fail=1; }
done
# The total timeout, ahttp's own timer, against httpbin's slow answers
# (one behind a redirect: the time spans the hops): exit 28, as curl's.
for args in "-m 0.5 http://127.0.0.1:$bin1/delay/3" \
            "-L -m 0.8 http://127.0.0.1:$bin1/redirect-to?url=/delay/3"; do
  curl -s -o /dev/null $args; want=$?
  timeout 20 "$tool" -s -o /dev/null $args; got=$?
  [ $got = $want ] || { echo "outside: ahttp $args: exit $got, curl $want"; fail=1; }
done
# The journey, judged by httpbin's echo of what reached it.
journey() { # want (method data secret-header-or-none), then tool arguments
  want=$1; shift
  got=$(timeout 20 "$tool" -s -H "Authorization: Bearer tok" -H "X-Keep: 1" "$@" |
        /usr/bin/python3 -c 'import json, sys
d = json.load(sys.stdin); h = d["headers"]
print(d["method"], d["data"] or "-", h.get("Authorization", "none"), h.get("X-Keep", "none"))' 2>&1)
  [ "$got" = "$want" ] || { echo "outside: httpbin: ahttp $*: got '$got', want '$want'"; fail=1; }
}
to() { echo "http://127.0.0.1:$bin1/redirect-to?status_code=$1&url=$2"; }
journey "POST hello Bearer tok 1" -d hello "$(to 307 /anything)"
journey "POST hello none 1" -d hello "$(to 307 "http://127.0.0.1:$bin2/anything")"
journey "GET - none 1" -d hello "$(to 303 "http://127.0.0.1:$bin2/anything")"
journey "GET - Bearer tok 1" -d hello "$(to 301 /anything)"
journey "PUT put Bearer tok 1" -X PUT -d put "$(to 302 /anything)"
journey "GET - Bearer tok 1" -X PUT -d put "$(to 303 /anything)"
journey "DELETE - none 1" -X DELETE "$(to 308 "http://localhost:$bin1/anything")"
# The body as sent (--raw): httpbin's /gzip, /deflate and /brotli stay as
# encoded, and decoded here they are httpbin's JSON saying so; without
# --raw the tool decodes them itself.
for enc in gzip:gzipped:gzip.decompress deflate:deflated:zlib.decompress brotli:brotli:brotli.decompress; do
  path=${enc%%:*} dec=${enc##*:} key=${enc#*:}; key=${key%%:*}
  timeout 20 "$tool" -s --raw -o "$tmp/raw" "http://127.0.0.1:$bin1/$path" &&
    /usr/bin/python3 -c "import gzip, zlib, brotli, json, sys
d = json.loads($dec(open(sys.argv[1], 'rb').read()))
assert d['$key'] is True, d" "$tmp/raw" ||
    { echo "outside: httpbin: ahttp --raw /$path: not the body as encoded"; fail=1; }
  timeout 20 "$tool" -s "http://127.0.0.1:$bin1/$path" |
    /usr/bin/python3 -c "import json, sys; assert json.load(sys.stdin)['$key'] is True" ||
    { echo "outside: httpbin: ahttp /$path: not decoded"; fail=1; }
done
# The status line with the reason phrase the server sent; HTTP/2 has none.
for want in "HTTP/1.1 200 OK|http://127.0.0.1:$bin1/get" "HTTP/1.1 404 NOT FOUND|http://127.0.0.1:$bin1/status/404" \
            "HTTP/2 200|--cacert $tmp/cert.pem https://127.0.0.1:$tls/1k"; do
  got=$(timeout 20 "$tool" -s -I ${want#*|} | head -1)
  [ "$got" = "${want%%|*}" ] || { echo "outside: ahttp -I ${want#*|}: '$got', want '${want%%|*}'"; fail=1; }
done
# Forms and cookies (issue 20), judged by httpbin's parse of them.
said() { # want, then tool arguments; the Python expression's value on httpbin's JSON
  want=$1 expr=$2; shift 2
  got=$(timeout 20 "$tool" -s "$@" | /usr/bin/python3 -c 'import json, sys
d = json.load(sys.stdin); h = d.get("headers", {})
print('"$expr"')' 2>&1)
  [ "$got" = "$want" ] || { echo "outside: httpbin: ahttp $*: got '$got', want '$want'"; fail=1; }
}
b1="http://127.0.0.1:$bin1"
said "{'n': 'é', 'q': 'a b&c=d'} application/x-www-form-urlencoded" 'dict(sorted(d["form"].items())), h["Content-Type"]' \
  --data-urlencode 'q=a b&c=d' --data-urlencode 'n=é' "$b1/post"
said "{'n': 'é', 'q': 'a b&c=d'} application/x-www-form-urlencoded" 'dict(sorted(d["form"].items())), h["Content-Type"]' \
  --data-urlencode 'q=a b&c=d' --data-urlencode 'n=é' "$b1/redirect-to?status_code=307&url=/post"
printf '\000\001\000binary\377' > "$tmp/bin"
said "{'bin': 'data:application/x-b;base64,AAEAYmluYXJ5/w=='} {'a%22b': '1', 'plain': 'x'}" 'd["files"], dict(sorted(d["form"].items()))' \
  -F "bin=<$tmp/bin;type=application/x-b;filename=b.bin" -F 'a"b=1' -F plain=x "$b1/redirect-to?status_code=308&url=/post"
said "{'a': '1', 'b': '2'}" 'd["cookies"]' -b 'a=1; b=2' "$b1/cookies"
said "{'a': '1', 'k': 'v'}" 'd["cookies"]' -b 'a=1' "$b1/cookies/set?k=v"
said "{}" 'd["cookies"]' -b 'a=1' "$b1/redirect-to?url=http://127.0.0.1:$bin2/cookies"
[ $fail = 0 ] && echo "outside: ok (h2o over TLS and nghttpd over h2c: 320 responses each over HTTP/2, every byte; exit statuses as curl's, a total timeout across a redirect too; httpbin: methods, bodies and secrets across 301, 302, 303, 307, 308; gzip, deflate and brotli bodies as sent and decoded; reason phrases; forms from pairs and from memory, a request's cookies)"
exit $fail
