#!/bin/sh
# The ABI check of make check: the library just built against the
# baseline kept in the tree (abi/libahttp-MAJOR.MINOR.abi, written by
# `make abi-baseline`), with libabigail's abidiff, public types only.
# Any difference fails, compatible or not: a function added or a struct
# grown is recorded on purpose (a new baseline in the same commit), an
# incompatible change is seen before it lands. Usage: abi.sh LIB BASELINE
lib=$1 base=$2
command -v abidiff >/dev/null 2>&1 || { echo "abi: abidiff missing (Debian: abigail-tools)"; exit 1; }
[ -f "$base" ] || { echo "abi: no baseline $base for this version: make abi-baseline, and commit it"; exit 1; }
arch=$(sed -n "s/.*architecture='\([^']*\)'.*/\1/p" "$base" | head -1)
case "$arch:$(uname -m)" in
  elf-amd-x86_64:x86_64) ;;
  *) echo "abi: skipped: the baseline is for $arch, this machine is $(uname -m)"; exit 0 ;;
esac
if ! readelf -S "$lib" | grep -q '\.debug_info'; then
  echo "abi: skipped: $lib has no debug information (CFLAGS without -g), nothing to compare types with"
  exit 0
fi
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
abidiff --no-show-locs --hd2 include --drop-private-types "$base" "$lib" > "$tmp" 2>&1
rc=$?
if [ $rc -eq 0 ]; then
  n=$(grep -c "<elf-symbol name='ah_" "$base")
  echo "abi: ok ($n ah_ symbols and the public types as in $base)"
  exit 0
fi
cat "$tmp"
if [ $((rc & 8)) -ne 0 ]; then
  echo "abi: INCOMPATIBLE with $base: a program built against it would break"
elif [ $((rc & 4)) -ne 0 ]; then
  echo "abi: changed (compatibly) from $base: if meant, make abi-baseline and commit it with the change"
else
  echo "abi: abidiff failed (exit $rc)"
fi
exit 1
