#!/bin/sh
# What make bench needs from Debian: installed when root, else the command.
pkgs=""
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || pkgs="$pkgs nginx-light"
command -v wrk >/dev/null 2>&1 || pkgs="$pkgs wrk"
command -v curl >/dev/null 2>&1 || pkgs="$pkgs curl"
command -v valgrind >/dev/null 2>&1 || pkgs="$pkgs valgrind"
command -v h2load >/dev/null 2>&1 || pkgs="$pkgs nghttp2-client"
command -v openssl >/dev/null 2>&1 || pkgs="$pkgs openssl"
command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
/usr/bin/python3 -c 'import aiohttp' 2>/dev/null || pkgs="$pkgs python3-aiohttp"
[ -z "$pkgs" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing:$pkgs"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
else
  echo "make bench needs:$pkgs; run as root: apt-get install -y$pkgs"; exit 1
fi
