#!/bin/sh
# make install into a temporary PREFIX, then build examples/gather.c with
# nothing but `pkg-config --cflags --libs ahttp`, shared and static, and
# run both against the test server's absence (a refused port) and presence.
set -e
make=${MAKE:-make}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
$make -s install PREFIX="$tmp/prefix" >/dev/null
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
${CC:-cc} -o "$tmp/gather" examples/gather.c $(pkg-config --cflags --libs ahttp)
# Static ahttp over the shared libcurl (Debian ships no static libcurl deps).
${CC:-cc} -o "$tmp/gather-static" examples/gather.c $(pkg-config --cflags ahttp) \
   "$tmp/prefix/lib/libahttp.a" $(pkg-config --libs libcurl) -lpthread
# The tutorial's programs, each built with pkg-config alone.
for ex in first_fetch window post_json stream threads; do
  ${CC:-cc} -o "$tmp/$ex" "examples/$ex.c" $(pkg-config --cflags --libs ahttp) -lpthread ||
    { echo "install: examples/$ex.c does not build with pkg-config"; exit 1; }
done
# The event-loop adapters, installed headers: the loop examples build
# against the installed tree alone (not against include/ here).
for l in libuv libevent; do
  ${CC:-cc} -o "$tmp/${l}_loop" "examples/${l}_loop.c" $(pkg-config --cflags --libs ahttp $l) ||
    { echo "install: examples/${l}_loop.c does not build on the installed adapter"; exit 1; }
done
out=$(LD_LIBRARY_PATH="$tmp/prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$tmp/first_fetch" http://127.0.0.1:1/ 2>&1 || true)
echo "$out" | grep -q "connection refused" || { echo "install: first_fetch: $out"; exit 1; }
for page in ah_gather ah_session_fetch ah_strerror; do
  [ -f "$tmp/prefix/share/man/man3/$page.3" ] || { echo "install: man page $page missing"; exit 1; }
done
# The version goes in .TH's source field, not its title.
head -1 "$tmp/prefix/share/man/man3/ah_gather.3" | grep -q "\"ahttp $($make -s --no-print-directory version)\" \"ahttp manual\"" ||
  { echo "install: ah_gather.3 installed without its version: $(head -1 "$tmp/prefix/share/man/man3/ah_gather.3")"; exit 1; }
# Both binaries run and report a refused connection as such.
for bin in gather gather-static; do
  out=$(LD_LIBRARY_PATH="$tmp/prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$tmp/$bin" http://127.0.0.1:1/ || true)
  echo "$out" | grep -q "connection refused" || { echo "install: $bin: $out"; exit 1; }
done
# The tool: installed with its man page, runs with nothing of the build tree.
[ -f "$tmp/prefix/share/man/man1/ahttp.1" ] || { echo "install: man page ahttp.1 missing"; exit 1; }
out=$(cd / && "$tmp/prefix/bin/ahttp" --version) || { echo "install: ahttp does not run: $out"; exit 1; }
echo "$out" | grep -q "^ahttp [0-9]" || { echo "install: ahttp --version: $out"; exit 1; }
# A CMake project: find_package(ahttp 0.2) gives ahttp::ahttp (shared)
# and ahttp::ahttp_static; both programs run. Before 1.0 another minor
# is not this one (0.1 and 0.3 are not found; 0.2.0 and 0.2 are).
if command -v cmake >/dev/null 2>&1; then
  cm="$tmp/cmake"
  cmake -S tests/cmake -B "$cm" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
    -DAHTTP_SOURCE="$PWD/examples/gather.c" > "$tmp/cmake.log" 2>&1 &&
    cmake --build "$cm" >> "$tmp/cmake.log" 2>&1 ||
    { echo "install: the CMake consumer does not build:"; cat "$tmp/cmake.log"; exit 1; }
  for bin in gather_shared gather_static; do
    out=$("$cm/$bin" http://127.0.0.1:1/ || true)
    echo "$out" | grep -q "connection refused" || { echo "install: cmake $bin: $out"; exit 1; }
  done
  # The shared one is the installed library, found by its soname.
  readelf -d "$cm/gather_shared" | grep -q "NEEDED.*libahttp.so.0" ||
    { echo "install: cmake gather_shared does not link libahttp.so"; exit 1; }
  readelf -d "$cm/gather_static" | grep -q "NEEDED.*libahttp" &&
    { echo "install: cmake gather_static links the shared library"; exit 1; }
  for want in 0.1:no 0.2:yes 0.2.0:yes 0.3:no 1.0:no 0.1...0.3:yes '0.2...<1.0:yes' '0.1...<0.2:no'; do
    rm -rf "$cm-v"
    cmake -S tests/cmake -B "$cm-v" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DWANT="${want%:*}" > "$tmp/cmake.log" 2>&1
    case "${want#*:}" in
      yes) grep -q "consumer: ahttp .* found for ${want%:*}" "$tmp/cmake.log" ;;
      no) grep -q "consumer: no ahttp for ${want%:*}" "$tmp/cmake.log" ;;
    esac || { echo "install: find_package(ahttp ${want%:*}) should say ${want#*:}:"; cat "$tmp/cmake.log"; exit 1; }
  done
  cmake_ok="the CMake consumer, shared and static; "
else
  echo "install: cmake missing: the CMake consumer is not tried"
fi
# DESTDIR staging keeps PREFIX in ahttp.pc.
$make -s install PREFIX=/opt/ahttp DESTDIR="$tmp/stage" >/dev/null
grep -q '^prefix=/opt/ahttp$' "$tmp/stage/opt/ahttp/lib/pkgconfig/ahttp.pc" || { echo "install: bad ahttp.pc with DESTDIR"; exit 1; }
echo "install: ok (pkg-config builds of gather, shared and static, and of the tutorial programs and the loop adapters; ${cmake_ok:-}man pages; the ahttp tool; DESTDIR)"
