#!/bin/sh
# squid (Debian's, nobody here wrote it) as a forward proxy for the C
# tests, asking for basic proxy credentials: USER with PASSWORD (checked
# by squid's own basic_ncsa_auth against an htpasswd file). Runs in the
# foreground (-N) with its own config, logs and no cache in a directory
# of its own (root's squid runs as the proxy user, who must reach it: a
# test's 0700 directory would not do), on an ephemeral port of
# 127.0.0.1. Prints "READY PORT DIR" once squid answers, then waits;
# TERM stops squid by its pid and removes DIR.
# Usage: squid.sh USER PASSWORD
user=$1 password=$2
squid=$(command -v squid || echo /usr/sbin/squid)
helper=/usr/lib/squid/basic_ncsa_auth
[ -x "$squid" ] && [ -x $helper ] || { echo "squid.sh: squid missing (Debian: squid)" >&2; exit 1; }
port=$(${PYTHON:-python3} -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d /tmp/ahttp-squid-XXXXXX) && chmod 755 "$dir" || exit 1
printf '%s:%s\n' "$user" "$(openssl passwd -apr1 "$password")" > "$dir/passwd"
: > "$dir/cache.log"; : > "$dir/access.log"
# As root squid runs as the proxy user: it must read and write these.
chmod 644 "$dir/passwd"; chmod 666 "$dir/cache.log" "$dir/access.log"
cat > "$dir/squid.conf" <<CONF
http_port 127.0.0.1:$port
pid_filename none
cache_log stdio:$dir/cache.log
access_log stdio:$dir/access.log
cache deny all
cache_mem 8 MB
shutdown_lifetime 0 seconds
coredump_dir $dir
auth_param basic program $helper $dir/passwd
auth_param basic realm ahttp-test
acl authed proxy_auth REQUIRED
acl localports port 1-65535
acl CONNECT method CONNECT
http_access allow CONNECT localports authed
http_access allow authed
http_access deny all
CONF
"$squid" -N -f "$dir/squid.conf" > "$dir/squid.out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"; exit 0' TERM INT
i=0
# Ready when it answers: 407 for a request without credentials.
until [ "$(${PYTHON:-python3} - $port <<'PY' 2>/dev/null
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)
s.sendall(b"GET http://127.0.0.1:1/ HTTP/1.0\r\n\r\n")
print(s.recv(64).split(b" ")[1].decode())
PY
)" = 407 ]; do
  i=$((i + 1))
  if [ $i -ge 150 ] || ! kill -0 $pid 2>/dev/null; then
    echo "squid.sh: squid did not start:" >&2; cat "$dir/squid.out" "$dir/cache.log" >&2
    kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"; exit 1
  fi
  sleep 0.1
done
echo "READY $port $dir"
wait $pid
