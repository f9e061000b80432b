#!/bin/bash
# The release command: builds every release flavour, signs the release
# directory (SHA256SUMS, SHA256SUMS.minisig, in-toto/SLSA provenance) and
# verifies it with `tch verify`, Debian's minisign and sha256sum, then proves
# the cpu tarball works from CMake and Bazel (tests/artifact_consumer).
#
#   ci/release.sh [--out DIR] [--cpu-only] [--flavours "cpu cu130-sm90 ..."]
#                 [--key SECRET_KEY --pub PUBLIC_KEY] [--password-file FILE]
#                 [--skip-consumers]
#
# Flavours (default: all): cpu, cu130-sm80, cu130-sm90, cu130-fat. CUDA
# flavours need nvcc ($CUDA_PATH, default /usr/local/cuda) and only compile
# and link here; each is one `bazel build --config=cuda
# --//third_party/cuda:archs=...` (see packaging/README.md).
# Signing key: --key/--pub (the release key is scrypt-encrypted; its password
# comes from --password-file or standard input). Without --key, a throw-away
# key is generated for this run (CI), and its public key is written to
# DIR.pub (outside the release directory).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${TMPDIR:-/tmp}/tch-release
flavours="cpu cu130-sm80 cu130-sm90 cu130-fat"
key=""
pub=""
password_args=()
consumers=1
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift ;;
    --cpu-only) flavours=cpu ;;
    --flavours) flavours=$2; shift ;;
    --key) key=$2; shift ;;
    --pub) pub=$2; shift ;;
    --password-file) password_args=(--password-file "$2"); shift ;;
    --skip-consumers) consumers=0 ;;
    *) echo "ci/release.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
version=$(cat VERSION)
epoch=$(cat packaging/SOURCE_DATE_EPOCH)
start=$(date +%s)
step() { echo "=== [release $(($(date +%s) - start))s] $*"; }

flags_for() {
  case "$1" in
    cpu) echo "" ;;
    cu130-sm80) echo "--config=cuda --//third_party/cuda:archs=sm_80" ;;
    cu130-sm90) echo "--config=cuda --//third_party/cuda:archs=sm_90" ;;
    cu130-fat) echo "--config=cuda --//third_party/cuda:archs=release" ;;
    *) echo "ci/release.sh: unknown flavour $1" >&2; return 1 ;;
  esac
}

step "tools: tch_sign and tch (cpu build)"
bazel build --noshow_progress //packaging/signing:tch_sign //tools/cli:tch
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
cp bazel-bin/packaging/signing/tch_sign bazel-bin/tools/cli/tch "$tools/"

rm -rf "$out" "$out.build_info"
mkdir -p "$out" "$out.build_info"
for flavour in $flavours; do
  flags=$(flags_for "$flavour")
  if [ "$flavour" != cpu ] && [ ! -x "${CUDA_PATH:-/usr/local/cuda}/bin/nvcc" ]; then
    step "flavour $flavour SKIPPED: no nvcc"
    continue
  fi
  step "flavour $flavour: bazel build $flags //packaging:tch-$flavour"
  # shellcheck disable=SC2086
  bazel build --noshow_progress $flags --output_groups=+build_info "//packaging:tch-$flavour"
  cp "bazel-bin/packaging/tch-$version-linux-x86_64-$flavour.tar.gz" "$out/"
  cp "bazel-bin/packaging/tch-$flavour.build_info.json" "$out.build_info/"
  chmod 644 "$out"/*.tar.gz "$out.build_info"/*.json
done

if [ -z "$key" ]; then
  step "signing key: throw-away key for this run (not a release key)"
  key=$tools/throwaway.key
  pub=$out.pub
  "$tools/tch_sign" keygen --public "$pub" --secret "$key" --unencrypted-test-key --force
fi
[ -n "$pub" ] || { echo "ci/release.sh: --pub PUBLIC_KEY is required with --key" >&2; exit 2; }

step "sign: SHA256SUMS, SHA256SUMS.minisig, provenance"
build_infos=()
for f in "$out.build_info"/*.json; do build_infos+=(--build-info "$f"); done
"$tools/tch_sign" sign-release --dir "$out" --secret "$key" "${password_args[@]}" \
  --version "$version" --epoch "$epoch" "${build_infos[@]}" \
  --command "ci/release.sh --flavours '$flavours'"

step "verify: tch verify, minisign, sha256sum"
"$tools/tch" verify "$out" --key "$pub" --min-version "$version" \
  --revoked packaging/keys/revoked_keys.txt
(cd "$out" && minisign -Vm SHA256SUMS -p "$pub" && sha256sum -c SHA256SUMS)
minisign -Vm "$out/tch-$version.provenance.json" -p "$pub"

if [ "$consumers" = 1 ] && [ -f "$out/tch-$version-linux-x86_64-cpu.tar.gz" ]; then
  step "artifact consumers (CMake and Bazel) on the cpu tarball"
  tests/artifact_consumer/run.sh "$out/tch-$version-linux-x86_64-cpu.tar.gz"
fi
step "release in $out:"
ls -l "$out"
cat "$out/SHA256SUMS"
