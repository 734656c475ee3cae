#!/bin/sh
# make dist, checked by make check: the tarball holds exactly the files
# of this tree that git tracks (the tree make check has just passed), and
# unpacked on its own, with no .git and no build/, it builds the library
# and the tool, and the tool runs. Usage: dist.sh (from the top directory)
set -e
make=${MAKE:-make}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
out=$($make -s --no-print-directory dist DIST_DIR="$tmp") || { echo "dist: make dist failed"; exit 1; }
tarball=$(ls "$tmp"/ahttp-*.tar.gz)
name=$(basename "$tarball" .tar.gz)
tar -tzf "$tarball" | sed -n "s|^$name/||p" | grep -v '/$' | grep -v '^$' | sort > "$tmp/in-tarball"
if [ -e .git ] && command -v git >/dev/null 2>&1; then
  git ls-files | sort > "$tmp/tracked"
  if ! cmp -s "$tmp/tracked" "$tmp/in-tarball"; then
    echo "dist: the tarball's files are not the tracked files:"; diff "$tmp/tracked" "$tmp/in-tarball" | head -20; exit 1
  fi
fi
for f in NEWS AUTHORS LICENSE README.md include/ahttp.h Makefile; do
  grep -qx "$f" "$tmp/in-tarball" || { echo "dist: $f is not in $name.tar.gz"; exit 1; }
done
version=$($make -s --no-print-directory version)
[ "$name" = "ahttp-$version" ] || { echo "dist: $name.tar.gz for version $version"; exit 1; }
grep -q "^ahttp $version" NEWS || { echo "dist: NEWS has no entry for $version"; exit 1; }
tar -xzf "$tarball" -C "$tmp"
# On its own: nothing of this make's variables (a libcurl leg's
# LIBCURL_V, SANITIZE) reaches the tarball's build.
unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL LIBCURL_V LIBCURL_RUN LIBCURL_PREFIX SANITIZE
# Built as a distribution builds it: its CPPFLAGS (fortification) and
# CFLAGS given, and both must reach the compiler.
$make -s --no-print-directory -C "$tmp/$name" -j2 lib tool \
  CPPFLAGS=-D_FORTIFY_SOURCE=2 CFLAGS=-O2 > "$tmp/build.log" 2>&1 ||
  { echo "dist: $name does not build on its own:"; tail -20 "$tmp/build.log"; exit 1; }
fortified=$(objdump -T "$tmp/$name/build/libahttp.so" | grep -c '__[a-z_]*_chk' || true)
[ "$fortified" -gt 0 ] || { echo "dist: built with CPPFLAGS=-D_FORTIFY_SOURCE=2, no fortified call"; exit 1; }
v=$("$tmp/$name/build/ahttp" --version | head -1)
case "$v" in "ahttp $version"*) ;; *) echo "dist: the tool of the tarball says: $v"; exit 1 ;; esac
echo "dist: ok ($name.tar.gz, $(wc -l < "$tmp/in-tarball") files, the tracked tree; builds on its own with CPPFLAGS, $fortified fortified calls; the tool runs)"
