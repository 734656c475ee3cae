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
  # Without debug information (CFLAGS without -g) there are no types to
  # compare: the exported symbols and their node still must match.
  want=$(sed -n "s/.*<elf-symbol name='\(ah_[a-z0-9_]*\)' version='\([^']*\)'.*/\1@\2/p" "$base" | sort)
  have=$(objdump -T "$lib" | awk '$NF ~ /^ah_/ {print $NF "@" $(NF-1)}' | sort)
  if [ "$want" != "$have" ]; then
    echo "abi: the exported symbols differ from $base (no debug information: types not compared):"
    printf '%s\n' "$want" > "${TMPDIR:-/tmp}/abi-want.$$"; printf '%s\n' "$have" > "${TMPDIR:-/tmp}/abi-have.$$"
    diff "${TMPDIR:-/tmp}/abi-want.$$" "${TMPDIR:-/tmp}/abi-have.$$"; rm -f "${TMPDIR:-/tmp}/abi-want.$$" "${TMPDIR:-/tmp}/abi-have.$$"
    exit 1
  fi
  echo "abi: symbols ok ($(echo "$have" | wc -l) as in $base); types not compared: $lib has no debug information (CFLAGS without -g)"
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
  echo "abi: INCOMPATIBLE with $base (a symbol gone): a program built against it would break"
elif [ $((rc & 4)) -ne 0 ]; then
  # abidiff sets this bit for additions and for changed types or
  # parameters alike: the report above tells which.
  echo "abi: changed from $base: read the report; an addition is recorded"
  echo "abi: with make abi-baseline in the same commit, a changed type or parameter"
  echo "abi: breaks programs built on $base (before 1.0: only in a new minor version)"
else
  echo "abi: abidiff failed (exit $rc)"
fi
exit 1
