#!/bin/sh
# h2o (Debian's, nobody here wrote it) over TLS for the C tests: serves
# DIR/www on an ephemeral port of 127.0.0.1 with CERT and KEY, logging
# each request's connection id to DIR/access.log ("ID STATUS PATH"), so a
# test can count the connections its requests went over. Prints
# "READY PORT" once h2o accepts, then waits; TERM stops h2o by its pid.
# Usage: h2o.sh DIR CERT KEY
dir=$1 cert=$2 key=$3
command -v h2o >/dev/null 2>&1 || { echo "h2o.sh: h2o missing (Debian: h2o)" >&2; exit 1; }
port=$(${PYTHON:-python3} -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$dir/www" && echo hello > "$dir/www/hello"
{
  echo "listen: {host: 127.0.0.1, port: $port, ssl: {certificate-file: $cert, key-file: $key}}"
  echo "access-log: {path: $dir/access.log, format: \"%{connection-id}x %s %U\"}"
  echo "hosts: {default: {paths: {/: {file.dir: $dir/www}}}}"
  [ "$(id -u)" = 0 ] && echo "user: root" # as root h2o runs as nobody, who cannot read $dir
} > "$dir/h2o.conf"
h2o -c "$dir/h2o.conf" > "$dir/h2o.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; exit 0' TERM INT
i=0
until ${PYTHON:-python3} -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null; do
  i=$((i + 1))
  if [ $i -ge 100 ] || ! kill -0 $pid 2>/dev/null; then
    echo "h2o.sh: h2o did not start:" >&2; cat "$dir/h2o.log" >&2; kill $pid 2>/dev/null; exit 1
  fi
  sleep 0.1
done
echo "READY $port"
wait $pid
