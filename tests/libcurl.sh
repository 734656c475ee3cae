#!/bin/sh
# Build one libcurl release from its source archive into a cached prefix,
# for the compatibility legs (make check-libcurl V=...).
# Usage: libcurl.sh VERSION   (archive: $LIBCURL_SRC/curl-VERSION.tar.xz,
#                              prefix:  build/libcurl/VERSION)
# A prefix that finished building (its .done stamp) is reused as it is.
set -eu
v=${1:?usage: libcurl.sh VERSION}
src=${LIBCURL_SRC:-../shared/libcurl}
top=$(pwd)
prefix=$top/build/libcurl/$v
work=$top/build/libcurl/src-$v
# How it is built; a prefix built otherwise is built again. Versioned
# symbols (CURL_OPENSSL_4, 8.21's CMake knows them, 8.5's ignores the
# option) as Debian and Ubuntu ship libcurl: a program linked on one
# distribution then loads the release under test without complaint.
opts="-DCMAKE_BUILD_TYPE=Release \
  -DCURL_USE_OPENSSL=ON -DUSE_NGHTTP2=ON -DCURL_BROTLI=ON -DCURL_ZSTD=ON \
  -DENABLE_THREADED_RESOLVER=ON -DCURL_USE_LIBSSH2=OFF -DUSE_LIBIDN2=OFF \
  -DBUILD_TESTING=OFF -DBUILD_MISC_DOCS=OFF -DENABLE_CURL_MANUAL=OFF \
  -DBUILD_LIBCURL_DOCS=OFF -DBUILD_STATIC_LIBS=OFF -DBUILD_SHARED_LIBS=ON \
  -DCURL_LIBCURL_VERSIONED_SYMBOLS=ON"
[ -f "$prefix/.done" ] && [ "$(cat "$prefix/.done")" = "$opts" ] && exit 0

tarball=$src/curl-$v.tar.xz
if [ ! -f "$tarball" ]; then
  echo "libcurl.sh: no $tarball (set LIBCURL_SRC to the folder of curl-$v.tar.xz)" >&2
  exit 1
fi

# What libcurl's CMake build needs, as Debian packages.
pkgs=""
command -v cmake >/dev/null 2>&1 || pkgs="$pkgs cmake"
command -v xz >/dev/null 2>&1 || pkgs="$pkgs xz-utils"
for p in openssl:libssl-dev libnghttp2:libnghttp2-dev libbrotlidec:libbrotli-dev \
         libzstd:libzstd-dev zlib:zlib1g-dev libpsl:libpsl-dev; do
  pkg-config --exists "${p%%:*}" 2>/dev/null || pkgs="$pkgs ${p#*:}"
done
if [ -n "$pkgs" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ -z "${AH_NO_INSTALL:-}" ]; then
    echo "installing:$pkgs"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
  else
    echo "missing packages to build libcurl $v; run as root:"
    echo "  apt-get update && apt-get install -y$pkgs"
    exit 1
  fi
fi

echo "libcurl.sh: building libcurl $v into build/libcurl/$v (log: build/libcurl/$v.log)"
rm -rf "$work" "$prefix"
mkdir -p "$work"
tar xf "$tarball" -C "$work"
log=$top/build/libcurl/$v.log
{
  # shellcheck disable=SC2086
  cmake -S "$work/curl-$v" -B "$work/build" \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib $opts &&
  cmake --build "$work/build" -j"$(nproc)" &&
  cmake --install "$work/build"
} > "$log" 2>&1 || { tail -30 "$log"; echo "libcurl.sh: build of $v failed" >&2; exit 1; }
rm -rf "$work"
printf '%s' "$opts" > "$prefix/.done"
echo "libcurl.sh: libcurl $v ready"
