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
# The tutorial's programs, each built with pkg-config alone.
for ex in first_fetch window post_json stream threads; do
  cc -o "$tmp/$ex" "examples/$ex.c" $(pkg-config --cflags --libs ahttp) -lpthread ||
    { echo "install: examples/$ex.c does not build with pkg-config"; exit 1; }
done
out=$(LD_LIBRARY_PATH="$tmp/prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$tmp/first_fetch" http://127.0.0.1:1/ 2>&1 || true)
echo "$out" | grep -q "connection refused" || { echo "install: first_fetch: $out"; exit 1; }
for page in ah_gather ah_session_fetch ah_strerror; do
  [ -f "$tmp/prefix/share/man/man3/$page.3" ] || { echo "install: man page $page missing"; exit 1; }
done
# Both binaries run and report a refused connection as such.
for bin in gather gather-static; do
  out=$(LD_LIBRARY_PATH="$tmp/prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$tmp/$bin" http://127.0.0.1:1/ || true)
  echo "$out" | grep -q "connection refused" || { echo "install: $bin: $out"; exit 1; }
done
# The tool: installed with its man page, runs with nothing of the build tree.
[ -f "$tmp/prefix/share/man/man1/ahttp.1" ] || { echo "install: man page ahttp.1 missing"; exit 1; }
out=$(cd / && "$tmp/prefix/bin/ahttp" --version) || { echo "install: ahttp does not run: $out"; exit 1; }
echo "$out" | grep -q "^ahttp [0-9]" || { echo "install: ahttp --version: $out"; exit 1; }
# DESTDIR staging keeps PREFIX in ahttp.pc.
$make -s install PREFIX=/opt/ahttp DESTDIR="$tmp/stage" >/dev/null
grep -q '^prefix=/opt/ahttp$' "$tmp/stage/opt/ahttp/lib/pkgconfig/ahttp.pc" || { echo "install: bad ahttp.pc with DESTDIR"; exit 1; }
echo "install: ok (pkg-config builds of gather, shared and static, and of the tutorial programs; man pages; the ahttp tool; DESTDIR)"
