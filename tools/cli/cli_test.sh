#!/bin/bash
# End-to-end checks of the tch binary's front door: info output, usage
# errors and exit codes.
set -u
tch="tools/cli/tch"
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$tch" info) || fail "tch info exited $?"
for field in "git commit:" "compiler:" "build:" "cpu features:" "threads:" "cuda:" "gpus:" "dependencies:"; do
  grep -q "^$field" <<<"$out" || fail "tch info lacks '$field':"$'\n'"$out"
done
grep -q "^tch $(cat VERSION)" <<<"$out" || fail "tch info does not start with the version"
TCH_NUM_THREADS=3 "$tch" info | grep -q "^threads: *3 (from TCH_NUM_THREADS" || fail "TCH_NUM_THREADS not reported"
err=$(TCH_NUM_THREADS=lots "$tch" info 2>&1); status=$?
[ $status -eq 1 ] || fail "bad TCH_NUM_THREADS should exit 1, got $status"
grep -q "TCH_NUM_THREADS: expected a positive integer, got 'lots'" <<<"$err" || fail "bad TCH_NUM_THREADS message: $err"

"$tch" >/dev/null 2>&1; [ $? -eq 2 ] || fail "no command should exit 2"
"$tch" frobnicate >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown command should exit 2"
err=$("$tch" frobnicate 2>&1); grep -q "unknown command 'frobnicate'" <<<"$err" || fail "unknown command message: $err"
"$tch" --help | grep -q "^  info" || fail "--help lists no info command"
"$tch" --version | grep -q "^tch " || fail "--version"
echo PASS
