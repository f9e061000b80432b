#!/bin/bash
# Reproducibility check: clones the committed HEAD twice into different
# directories (so each gets its own Bazel output base), builds the release
# tarball of one flavour in each, prints both sha256 sums and fails unless
# they are byte-identical.
#
#   packaging/repro_check.sh [--fresh] [--keep] [BAZEL_FLAGS...] [-- TARGET]
#     --fresh   no disk cache for either build (default: the first build may
#               use the shared disk cache, the second never does, so at least
#               one build compiles everything from scratch)
#     --keep    keep the clones (default: shut their Bazel servers down and
#               delete them)
#   default target //packaging:tch-cpu; e.g. for a CUDA flavour:
#   packaging/repro_check.sh --config=cuda --//third_party/cuda:archs=sm_90 -- //packaging:tch-cu130-sm90
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fresh=0
keep=0
flags=()
target=//packaging:tch-cpu
while [ $# -gt 0 ]; do
  case "$1" in
    --fresh) fresh=1 ;;
    --keep) keep=1 ;;
    --) shift; target=${1:?target after --} ;;
    *) flags+=("$1") ;;
  esac
  shift
done
commit=$(git -C "$repo" rev-parse HEAD)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/tch-repro.XXXXXX")
a="$scratch/first/tch"
b="$scratch/second/elsewhere/tch-clone"
cleanup() {
  for dir in "$a" "$b"; do
    [ -d "$dir" ] && (cd "$dir" && bazel shutdown >/dev/null 2>&1 || true)
  done
  [ "$keep" = 1 ] || rm -rf "$scratch"
}
trap cleanup EXIT

build() {  # build DIR EXTRA_FLAGS... -> prints the tarball path
  local dir=$1
  shift
  [ ${#flags[@]} -gt 0 ] || flags=(--color=no)
  (
    cd "$dir"
    bazel build --noshow_progress "${flags[@]}" "$@" "$target" 2>&1 | tee "$dir.log" >&2
    grep -o 'bazel-bin/[^ ]*\.tar\.gz' "$dir.log" | head -1
  )
}

echo "reproducibility: $target at $commit, clones in $scratch"
git clone --quiet --no-hardlinks "$repo" "$a"
git clone --quiet --no-hardlinks "$repo" "$b"
git -C "$a" checkout --quiet "$commit"
git -C "$b" checkout --quiet "$commit"
first_flags=()
[ "$fresh" = 1 ] && first_flags=(--disk_cache=)
start=$(date +%s)
out_a=$(build "$a" "${first_flags[@]}")
mid=$(date +%s)
out_b=$(build "$b" --disk_cache=)
end=$(date +%s)
sum_a=$(cd "$a" && sha256sum "$out_a" | cut -d' ' -f1)
sum_b=$(cd "$b" && sha256sum "$out_b" | cut -d' ' -f1)
echo "build 1 ($((mid - start)) s, $a): $sum_a  $(basename "$out_a")"
echo "build 2 ($((end - mid)) s, $b, no disk cache): $sum_b  $(basename "$out_b")"
if [ "$sum_a" != "$sum_b" ]; then
  echo "NOT REPRODUCIBLE: the tarballs differ; differing members:" >&2
  /usr/bin/python3 - "$a/$out_a" "$b/$out_b" >&2 <<'PY'
import hashlib, sys, tarfile
def digests(path):
    with tarfile.open(path) as t:
        return {m.name: (m.mode, m.mtime, hashlib.sha256(t.extractfile(m).read()).hexdigest() if m.isfile() else "")
                for m in t.getmembers()}
x, y = digests(sys.argv[1]), digests(sys.argv[2])
for name in sorted(set(x) | set(y)):
    if x.get(name) != y.get(name):
        print("  ", name)
PY
  exit 1
fi
echo "reproducible: byte-identical tarballs from two clones in different directories"
