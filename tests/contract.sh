#!/bin/sh
# The library's contract, checked on every `make check`:
#  - only ah_* symbols leave the shared library, and it has its soname;
#  - the header compiles alone as C99 -pedantic -Werror and as C++;
#  - every public function has a man page with NAME, SYNOPSIS, DESCRIPTION,
#    RETURN VALUE, ERRORS, EXAMPLE and SEE ALSO, each rendering cleanly;
#  - every error code has its own text in ah_strerror;
#  - every ah_ symbol is in the version node AHTTP_0; the loop adapters
#    compile alone as gnu99 (libuv needs POSIX types) and C++.
CC=$1; CXX=$2; SO=$3
fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
say() { echo "contract: $*"; }

leaked=$(nm -D --defined-only "$SO" | awk '$2 ~ /[TDBRVW]/ {print $3}' | grep -v '^ah_')
[ -z "$leaked" ] || { say "non-ah_ symbols exported: $leaked"; fail=1; }
readelf -d "$SO" | grep -q 'SONAME.*libahttp\.so\.[0-9]' || { say "no soname"; fail=1; }

printf '#include <ahttp.h>\nint main(void){return ah_version()==AH_VERSION_NUM?0:1;}\n' > "$tmp/c.c"
$CC -std=c99 -pedantic -Wall -Wextra -Werror -Iinclude -c "$tmp/c.c" -o "$tmp/c.o" || { say "header fails as C99"; fail=1; }
cp "$tmp/c.c" "$tmp/cxx.cc"
$CXX -std=c++11 -pedantic -Wall -Wextra -Werror -Iinclude -c "$tmp/cxx.cc" -o "$tmp/cxx.o" || { say "header fails as C++"; fail=1; }

# Every exported symbol carries the version node (named from the start).
unversioned=$(objdump -T "$SO" | awk '$NF ~ /^ah_/ && $(NF-1) != "AHTTP_0" {print $NF}')
[ -z "$unversioned" ] || { say "ah_ symbols outside the node AHTTP_0: $unversioned"; fail=1; }

# The event-loop adapters compile alone, as C99 and as C++, where the
# loop's headers are here.
for l in libuv libevent; do
  pkg-config --exists $l 2>/dev/null || { say "adapter $l not compiled: pkg-config finds no $l"; continue; }
  printf '#include <ahttp/adapters/%s.h>\nint main(void){return 0;}\n' $l > "$tmp/a.c"
  $CC -std=gnu99 -pedantic -Wall -Wextra -Werror -Iinclude $(pkg-config --cflags $l) -c "$tmp/a.c" -o "$tmp/a.o" ||
    { say "adapter $l fails as gnu99"; fail=1; }
  cp "$tmp/a.c" "$tmp/a.cc"
  $CXX -std=c++11 -Wall -Wextra -Werror -Iinclude $(pkg-config --cflags $l) -c "$tmp/a.cc" -o "$tmp/a.o" ||
    { say "adapter $l fails as C++"; fail=1; }
done

for fn in $(grep -oE '\bah_[a-z0-9_]+[[:space:]]*\(' include/ahttp.h | tr -d ' (' | sort -u); do
  [ -f "docs/man3/$fn.3" ] || { say "no man page for $fn"; fail=1; }
done
for page in docs/man3/*.3 docs/man1/*.1; do
  [ -e "$page" ] || continue
  if head -1 "$page" | grep -q '^\.so '; then
    # An alias page: what it names must be there (man -M docs NAME reads
    # it from the source tree, man NAME once installed).
    to=$(sed -n '1s/^\.so //p' "$page")
    [ -f "docs/$to" ] || { say "$page: its .so target docs/$to is missing"; fail=1; }
    continue
  fi
  warn=$(cd docs && groff -man -ww -z "${page#docs/}" 2>&1)
  [ -z "$warn" ] || { say "$page: $warn"; fail=1; }
done

# Every page has the sections a C programmer looks for, in this order.
want='NAME SYNOPSIS DESCRIPTION RETURN_VALUE ERRORS EXAMPLE SEE_ALSO'
for page in docs/man3/*.3; do
  head -1 "$page" | grep -q '^\.so ' && continue
  got=$(sed -n 's/^\.SH "\{0,1\}\([A-Z ]*\)"\{0,1\}$/\1/p' "$page" | tr ' ' _ |
        grep -xE "$(echo $want | tr ' ' '|')" | tr '\n' ' ' | sed 's/ $//')
  [ "$got" = "$want" ] || { say "$page: sections '$got', want '$want'"; fail=1; }
done

# Every man page example compiles against the public header alone.
for page in docs/man3/*.3; do
  grep -q '^\.EX' "$page" || continue
  sed -n '/^\.EX/,/^\.EE/p' "$page" | sed -e '/^\.EX/d' -e '/^\.EE/d' \
    -e 's/\\e/\\/g' -e 's/\\-/-/g' > "$tmp/ex.c"
  std=c11; extra=
  if grep -q 'ahttp/adapters/' "$tmp/ex.c"; then # the loop's headers want POSIX types
    std=gnu11; extra=$(pkg-config --cflags libuv libevent 2>/dev/null)
  fi
  $CC -std=$std -Wall -Werror -Wno-unused-function -Iinclude $extra -c "$tmp/ex.c" -o "$tmp/ex.o" 2>"$tmp/ex.err" ||
    { say "example in $page does not compile: $(head -3 "$tmp/ex.err")"; fail=1; }
done

# Every enum value has text of its own, and ah_strerror(3) lists it.
codes=$(sed -n 's/^  \(AH_[A-Z]*\) = .*/\1/p' include/ahttp.h)
for c in $codes; do
  grep -q "$c" docs/man3/ah_strerror.3 || { say "ah_strerror.3 does not list $c"; fail=1; }
done
{
  echo '#include <ahttp.h>'; echo '#include <stdio.h>'; echo '#include <string.h>'
  echo 'int main(void){ int bad=0; const char *u=ah_strerror(-999);'
  for c in $codes; do
    echo "  if(!strcmp(ah_strerror($c),u)){printf(\"no text for $c\\\\n\");bad=1;}"
  done
  echo '  return bad; }'
} > "$tmp/err.c"
$CC -Iinclude "$tmp/err.c" -o "$tmp/err" "$SO" -Wl,-rpath,"$(dirname "$SO")" && "$tmp/err" || { say "error text check failed"; fail=1; }

[ $fail -eq 0 ] && say "ok (symbols and their version node, soname, C99, C++, adapters, man pages and their examples, error texts)"
exit $fail
