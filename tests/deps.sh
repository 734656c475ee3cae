#!/bin/sh
# Build and test dependencies: install them on Debian when root, otherwise
# print the exact command. Quiet when everything is there.
pkgs=""
pkg-config --exists libcurl 2>/dev/null || pkgs="$pkgs libcurl4-openssl-dev"
pkg-config --exists cmocka 2>/dev/null || pkgs="$pkgs libcmocka-dev"
command -v pkg-config >/dev/null 2>&1 || pkgs="$pkgs pkg-config"
command -v python3 >/dev/null 2>&1 || pkgs="$pkgs python3"
command -v cc >/dev/null 2>&1 || pkgs="$pkgs gcc libc6-dev"
command -v c++ >/dev/null 2>&1 || pkgs="$pkgs g++"
command -v groff >/dev/null 2>&1 || pkgs="$pkgs groff-base"
command -v openssl >/dev/null 2>&1 || pkgs="$pkgs openssl"
# The feature tests: compressed bodies made by the tools, a real nginx.
command -v brotli >/dev/null 2>&1 || pkgs="$pkgs brotli"
# The host loop examples, built and run by make check.
pkg-config --exists libuv 2>/dev/null || pkgs="$pkgs libuv1-dev"
pkg-config --exists libevent 2>/dev/null || pkgs="$pkgs libevent-dev"
command -v zstd >/dev/null 2>&1 || pkgs="$pkgs zstd"
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || pkgs="$pkgs nginx-light"
[ -z "$pkgs" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing:$pkgs"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null || exit 1
else
  echo "missing build dependencies; run as root:"
  echo "  apt-get update && apt-get install -y$pkgs"
  exit 1
fi
