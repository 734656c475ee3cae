#!/bin/sh
# make install into a temporary PREFIX, then build examples/gather.c with
# nothing but `pkg-config --cflags --libs ahttp`, shared and static, and
# run both against the test server's absence (a refused port) and presence.
set -e
make=${MAKE:-make}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
$make -s install PREFIX="$tmp/prefix" >/dev/null
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
cc -o "$tmp/gather" examples/gather.c $(pkg-config --cflags --libs ahttp)
# Static ahttp over the shared libcurl (Debian ships no static libcurl deps).
cc -o "$tmp/gather-static" examples/gather.c $(pkg-config --cflags ahttp) \
   "$tmp/prefix/lib/libahttp.a" $(pkg-config --libs libcurl) -lpthread
for page in ah_gather ah_session_fetch ah_strerror; do
  [ -f "$tmp/prefix/share/man/man3/$page.3" ] || { echo "install: man page $page missing"; exit 1; }
done
# Both binaries run and report a refused connection as such.
for bin in gather gather-static; do
  out=$(LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/$bin" http://127.0.0.1:1/ || true)
  echo "$out" | grep -q "connection refused" || { echo "install: $bin: $out"; exit 1; }
done
# The tool: installed with its man page, runs with nothing of the build tree.
[ -f "$tmp/prefix/share/man/man1/ahttp.1" ] || { echo "install: man page ahttp.1 missing"; exit 1; }
out=$(cd / && "$tmp/prefix/bin/ahttp" --version) || { echo "install: ahttp does not run: $out"; exit 1; }
echo "$out" | grep -q "^ahttp [0-9]" || { echo "install: ahttp --version: $out"; exit 1; }
# DESTDIR staging keeps PREFIX in ahttp.pc.
$make -s install PREFIX=/opt/ahttp DESTDIR="$tmp/stage" >/dev/null
grep -q '^prefix=/opt/ahttp$' "$tmp/stage/opt/ahttp/lib/pkgconfig/ahttp.pc" || { echo "install: bad ahttp.pc with DESTDIR"; exit 1; }
echo "install: ok (pkg-config build, shared and static, man pages, the ahttp tool, DESTDIR)"
