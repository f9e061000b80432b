#!/bin/bash
# Builds the libFuzzer targets with clang + ASan/UBSan and runs each for a
# short time (FUZZ_SECONDS, default 20) on a copy of its seed corpus:
# the safetensors parser, the training config loader and the checkpoint
# reader.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${FUZZ_SECONDS:-20}
bazel build --config=fuzz //torch/core:safetensors_fuzz \
  //torch/train:config_fuzz //torch/train:checkpoint_fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {  # target corpus_dir
  echo "--- $1"
  "bazel-bin/$1" -max_total_time="$seconds" -print_final_stats=1 "$2" 2>&1 | tail -5
}

mkdir "$work/safetensors" "$work/config" "$work/checkpoint"
cp tests/golden/safetensors/*.safetensors tests/golden/*.safetensors "$work/safetensors/"
cp examples/*.yaml "$work/config/"
printf '{"format":"tch-checkpoint-1","step":7,"metric":0.5,"files":{"model.safetensors":{"size":3,"sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}}}\0step-000000000007\n\0abc' \
  > "$work/checkpoint/valid"
run torch/core/safetensors_fuzz "$work/safetensors"
run torch/train/config_fuzz "$work/config"
run torch/train/checkpoint_fuzz "$work/checkpoint"
