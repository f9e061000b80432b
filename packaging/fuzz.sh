#!/bin/bash
# Builds the packaging libFuzzer targets (clang + ASan/UBSan, --config=fuzz)
# and runs each for FUZZ_SECONDS (default 10) on seeds from the test data:
#   minisig_fuzz   .minisig, public/secret key and trusted comment parsers
#   manifest_fuzz  SHA256SUMS (must round-trip), revocation list, versions,
#                  tarball names
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${FUZZ_SECONDS:-10}
bazel build --config=fuzz //packaging/signing:minisig_fuzz //packaging/signing:manifest_fuzz
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
mkdir -p "$corpus/minisig" "$corpus/manifest"
cp packaging/signing/testdata/*.minisig packaging/signing/testdata/*.pub \
  packaging/signing/testdata/*.key "$corpus/minisig/"
printf '%064d  tch-0.1.0-linux-x86_64-cpu.tar.gz\n%064d  tch-0.1.0.provenance.json\n' 0 1 \
  >"$corpus/manifest/SHA256SUMS"
cp packaging/keys/revoked_keys.txt "$corpus/manifest/"
for target in minisig manifest; do
  echo "--- ${target}_fuzz for ${seconds}s"
  "bazel-bin/packaging/signing/${target}_fuzz" -max_total_time="$seconds" \
    -print_final_stats=1 "$corpus/$target" 2>&1 | tail -4
done
