#!/bin/bash
# Proves an unpacked release tarball is usable by a downstream project:
# builds consumer.cc with CMake (shared and static library, via
# tchConfig.cmake) and with Bazel (static and shared, via the BUILD file
# shipped in the tarball) and runs each binary.
#   tests/artifact_consumer/run.sh path/to/tch-<version>-linux-x86_64-cpu.tar.gz
# Uses only the tarball, never the source tree (except Bazel's offline
# stand-ins from third_party/bazel_stubs). Exit code 0 when all four pass.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
tarball=$(realpath "${1:?usage: run.sh TARBALL}")
scratch=${TCH_CONSUMER_SCRATCH:-${TMPDIR:-/tmp}/tch-artifact-consumer}
rm -rf "$scratch/unpacked" "$scratch/cmake-build"
mkdir -p "$scratch/unpacked"
tar -xzf "$tarball" -C "$scratch/unpacked"
top=$(ls "$scratch/unpacked")
artifact="$scratch/unpacked/$top"
echo "artifact consumer: $artifact"

echo "--- CMake (find_package(tch), tch::tch and tch::tch_static)"
cmake -S "$here/cmake" -B "$scratch/cmake-build" -DCMAKE_PREFIX_PATH="$artifact" \
  -DCMAKE_BUILD_TYPE=Release >"$scratch/cmake.log" 2>&1 || { cat "$scratch/cmake.log"; exit 1; }
grep "tch " "$scratch/cmake.log" || true
cmake --build "$scratch/cmake-build" -j 2 >>"$scratch/cmake.log" 2>&1 || { cat "$scratch/cmake.log"; exit 1; }
"$scratch/cmake-build/consumer_shared"
"$scratch/cmake-build/consumer_static"

echo "--- Bazel (local_repository @tch: static and shared)"
ws="$scratch/bazel-ws"  # a fixed path: one Bazel output base, reused
mkdir -p "$ws"
rm -rf "$ws/stubs"
sed "s|@TCH@|$artifact|" "$here/bazel/WORKSPACE.in" >"$ws/WORKSPACE"
cp "$here/bazel/BUILD.in" "$ws/BUILD.bazel"
cp "$here/bazel/bazelrc.in" "$ws/.bazelrc"
cp "$here/consumer.cc" "$ws/consumer.cc"
stubs="$repo/third_party/bazel_stubs"
for f in rules_cc/cc/BUILD rules_cc/cc/defs.bzl rules_java/java/BUILD rules_java/java/defs.bzl \
  remote_coverage_tools/BUILD remote_coverage_tools/unavailable.sh; do
  mkdir -p "$ws/stubs/$(dirname "$f")"
  cp "$stubs/$f.stub" "$ws/stubs/$f"
done
chmod +x "$ws/stubs/remote_coverage_tools/unavailable.sh"
for r in rules_cc rules_java remote_coverage_tools; do
  echo "workspace(name = \"$r\")" >"$ws/stubs/$r/WORKSPACE"
done
status=0
(
  cd "$ws"
  bazel run --noshow_progress //:consumer 2>"$scratch/bazel.log" &&
    bazel run --noshow_progress //:consumer_shared 2>>"$scratch/bazel.log"
) || { status=1; tail -30 "$scratch/bazel.log"; }
(cd "$ws" && bazel shutdown)
[ "$status" = 0 ] && echo "artifact consumer: CMake and Bazel consumers OK"
exit "$status"
