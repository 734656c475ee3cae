#!/bin/sh
# Build and test dependencies: install the missing ones on Debian when
# root, otherwise print the exact command. Quiet when everything is there.
# AH_NO_INSTALL=1 (make check NO_INSTALL=1: pbuilder, sbuild, a packager's
# chroot) never installs: it names what is missing and fails.
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
# Servers nobody here wrote (tests/outside.sh), curl as the reference.
command -v h2o >/dev/null 2>&1 || pkgs="$pkgs h2o"
command -v nghttpd >/dev/null 2>&1 || pkgs="$pkgs nghttp2-server"
command -v curl >/dev/null 2>&1 || pkgs="$pkgs curl"
command -v gunicorn >/dev/null 2>&1 || pkgs="$pkgs gunicorn"
[ -f /usr/lib/python3/dist-packages/httpbin/__init__.py ] || pkgs="$pkgs python3-httpbin"
# test_proxy's real proxy with basic credentials (tests/squid.sh).
[ -x /usr/sbin/squid ] && [ -x /usr/lib/squid/basic_ncsa_auth ] || pkgs="$pkgs squid"
# The WebSocket tests' server (tests/ws_server.py, run by /usr/bin/python3).
[ -f /usr/lib/python3/dist-packages/websockets/__init__.py ] || pkgs="$pkgs python3-websockets"
# The packaging checks: the ABI against its baseline, a CMake consumer.
command -v abidiff >/dev/null 2>&1 || pkgs="$pkgs abigail-tools"
command -v cmake >/dev/null 2>&1 || pkgs="$pkgs cmake"
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || pkgs="$pkgs nginx-light"
# test_h2's server is built on Debian's python3-h2 (hyper-h2).
[ -f /usr/lib/python3/dist-packages/h2/__init__.py ] || python3 -c 'import h2' 2>/dev/null ||
  pkgs="$pkgs python3-h2"
# test_retry reads HTTP dates under a German locale (names differ there).
locale -a 2>/dev/null | grep -qix 'de_DE.utf-\{0,1\}8' || want_locale=1
[ -n "$want_locale" ] && [ ! -d /usr/share/i18n/locales ] && pkgs="$pkgs locales"
[ -z "$pkgs" ] && [ -z "$want_locale" ] && exit 0
if [ -z "$AH_NO_INSTALL" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  if [ -n "$pkgs" ]; then
    echo "installing:$pkgs"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null || exit 1
  fi
  if [ -n "$want_locale" ]; then
    echo "generating the de_DE.UTF-8 locale"
    localedef -i de_DE -f UTF-8 de_DE.UTF-8 || exit 1
  fi
else
  if [ -n "$AH_NO_INSTALL" ]; then
    echo "missing build dependencies (NO_INSTALL: not installing):"
  else
    echo "missing build dependencies; run as root:"
  fi
  [ -n "$pkgs" ] && echo "  apt-get update && apt-get install -y$pkgs"
  [ -n "$want_locale" ] && echo "  localedef -i de_DE -f UTF-8 de_DE.UTF-8"
  exit 1
fi
