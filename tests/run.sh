#!/bin/sh
# Run every test binary with a time limit; print a summary line that counts
# cmocka's tests. Usage: run.sh TIMEOUT_SECONDS BIN...
limit=$1; shift
# The library must survive a failed malloc: let ASan return NULL too.
export ASAN_OPTIONS="${ASAN_OPTIONS:-allocator_may_return_null=1:detect_leaks=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-allocator_may_return_null=1:halt_on_error=1}"
pass=0; fail=0; skipped=0; failed_bins=""
[ -n "$VALGRIND" ] && export AH_UNDER_VALGRIND=1
start=$(date +%s)
for t in "$@"; do
  # VALGRIND=1: under memcheck; an error or a definite/indirect leak fails.
  if [ -n "$VALGRIND" ]; then
    out=$(timeout -k 5 "$limit" valgrind -q --error-exitcode=99 --leak-check=full \
          --errors-for-leak-kinds=definite,indirect \
          --show-leak-kinds=definite,indirect "$t" 2>&1); rc=$?
  else
    out=$(timeout -k 5 "$limit" "$t" 2>&1); rc=$?
  fi
  printf '%s\n' "$out"
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  k=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -1)
  skipped=$((skipped + ${k:-0}))
  pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
  if [ $rc -ne 0 ]; then
    [ $rc -eq 124 ] && echo "TIMEOUT: $t exceeded ${limit}s"
    [ -z "$f" ] && fail=$((fail + 1))
    failed_bins="$failed_bins $t"
  fi
done
echo "test time: $(( $(date +%s) - start ))s"
if [ $skipped -gt 0 ]; then
  echo "tests: $pass passed, $fail failed, $skipped skipped"
else
  echo "tests: $pass passed, $fail failed"
fi
[ -z "$failed_bins" ] || { echo "failing:$failed_bins"; exit 1; }
