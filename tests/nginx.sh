#!/bin/sh
# tests/nginx.sh DIR: a throwaway CA and certificates made by openssl, the
# files to serve, tests/nginx.conf filled in with free ports; prints
# "READY <tls> <expired> <wrong> <untrusted> <mtls> <h2c> <plain> <proxy>
# <tls-close>"
# and becomes nginx (so that its pid is the caller's child).
set -e
here=$(cd "$(dirname "$0")" && pwd)
d=$1
cd "$d"
mkdir -p www tmp ca.db
q() { "$@" >/dev/null 2>&1; }
key="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
q openssl req -x509 $key -keyout ca.key -out ca.pem -days 2 -subj /CN=ahttp-test-ca
q openssl req -x509 $key -keyout other.key -out other.pem -days 2 -subj /CN=other-ca
leaf() { # name subjectAltName signing-ca
  q openssl req $key -keyout "$1.key" -out "$1.csr" -subj "/CN=$1"
  printf 'subjectAltName=%s\n' "$2" > "$1.ext"
  q openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial \
    -out "$1.pem" -days 2 -extfile "$1.ext"
}
leaf good IP:127.0.0.1,DNS:localhost ca
leaf wrong DNS:wrong.example ca
leaf untrusted IP:127.0.0.1 other
leaf client DNS:client.test ca
# Public-key pins (sha256//BASE64) of the served keys, and one as a file.
pin() { printf 'sha256//%s' "$(openssl pkey -in "$1.key" -pubout -outform der 2>/dev/null |
        openssl dgst -sha256 -binary | openssl enc -base64)" > "$1.pin"; }
pin good
pin untrusted
q openssl pkey -in good.key -pubout -out good.pub
# A CA directory, hashed as OpenSSL looks certificates up.
mkdir -p cadir
cp ca.pem cadir/
q openssl rehash cadir
# Expired: openssl ca is the tool that takes explicit dates.
: > ca.db/index.txt
echo 1000 > ca.db/serial
cat > ca.cnf <<CNF
[ca]
default_ca = test
[test]
database = ca.db/index.txt
serial = ca.db/serial
new_certs_dir = ca.db
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = any
copy_extensions = copy
[any]
commonName = supplied
CNF
q openssl req $key -keyout expired.key -out expired.csr -subj /CN=expired \
  -addext subjectAltName=IP:127.0.0.1
q openssl ca -batch -config ca.cnf -in expired.csr -out expired.pem \
  -startdate 20200101000000Z -enddate 20200102000000Z
head -c 1024 /dev/zero | tr '\0' b > www/1k
python3 -c 'import sys; sys.stdout.write("gzip me, nginx. " * 640)' > www/t.txt
ports=$(python3 -c '
import socket
ss = [socket.socket() for _ in range(9)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
set -- $ports
user=""
[ "$(id -u)" = 0 ] && user="user root;"
sed -e "s|@DIR@|$d|g" -e "s|@USER@|$user|" -e "s|@P_TLS@|$1|" \
    -e "s|@P_EXPIRED@|$2|" -e "s|@P_WRONG@|$3|" -e "s|@P_UNTRUSTED@|$4|" \
    -e "s|@P_MTLS@|$5|" -e "s|@P_H2C@|$6|" -e "s|@P_PLAIN@|$7|g" \
    -e "s|@P_PROXY@|$8|" -e "s|@P_CLOSE@|$9|" "$here/nginx.conf" > nginx.conf
nginx=$(command -v nginx || echo /usr/sbin/nginx)
echo "READY $ports"
exec "$nginx" -c "$d/nginx.conf" -p "$d" 2>>"$d/error.log"
