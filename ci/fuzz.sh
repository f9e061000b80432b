#!/bin/bash
# Builds the libFuzzer targets with clang + ASan/UBSan and runs each for a
# short time (FUZZ_SECONDS, default 20) on a copy of its seed corpus.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${FUZZ_SECONDS:-20}
bazel build --config=fuzz //torch/core:safetensors_fuzz
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp tests/golden/safetensors/*.safetensors tests/golden/*.safetensors "$corpus/"
bazel-bin/torch/core/safetensors_fuzz -max_total_time="$seconds" -print_final_stats=1 \
  "$corpus" 2>&1 | tail -5
