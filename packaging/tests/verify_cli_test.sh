#!/bin/bash
# End-to-end: tch_sign signs a release directory with the TEST key; `tch
# verify` accepts it (exit 0) and rejects tampering (exit 1, one line
# "FAILED: <reason>") and bad usage (exit 2); Debian's minisign verifies our
# signatures (`minisign -Vm SHA256SUMS -p KEY` + `sha256sum -c`), and keys made
# by minisign sign releases that `tch verify` accepts.
set -uo pipefail
tch=tools/cli/tch
sign=packaging/signing/tch_sign
data=packaging/signing/testdata
minisign=/usr/bin/minisign
[ -x "$minisign" ] || { echo "minisign missing: apt-get install -y minisign" >&2; exit 1; }
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/verify.XXXXXX")
failures=0
check() {  # check NAME WANT_RC WANT_TEXT -- command...
  local name=$1 want_rc=$2 want_text=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" != "$want_rc" ] || ! grep -qF -- "$want_text" <<<"$out"; then
    echo "FAIL $name: rc=$rc (want $want_rc), output: $out (want: $want_text)"
    failures=$((failures + 1))
  else
    echo "ok   $name: $(head -1 <<<"$out")"
  fi
}

rel=$work/release
mkdir -p "$rel"
head -c 100000 /dev/zero >"$rel/tch-0.1.0-linux-x86_64-cpu.tar.gz"
head -c 50000 /dev/zero | tr '\0' 'g' >"$rel/tch-0.1.0-linux-x86_64-cu130-sm90.tar.gz"
cat >"$work/build_info.json" <<'JSON'
{"flavour": "cpu", "git_commit": "0123abc", "bazel_version": "4.2.3",
 "compiler": "gcc 12", "dependencies": {"zlib": {"version": "1.2.13"}}}
JSON
check "sign-release" 0 "signed" -- "$sign" sign-release --dir "$rel" \
  --secret "$data/TEST_ONLY_unencrypted_secret.key" --version 0.1.0 --epoch 1763769600 \
  --build-info "$work/build_info.json"
check "tch verify directory" 0 "tch verify: OK: tch 0.1.0 (cpu,cu130-sm90), 3 file(s)" -- \
  "$tch" verify "$rel" --key "$data/TEST_ONLY_key.pub"
check "tch verify tarball" 0 "tch verify: OK" -- \
  "$tch" verify "$rel/tch-0.1.0-linux-x86_64-cpu.tar.gz" --key "$data/TEST_ONLY_key.pub" --min-version 0.1.0
check "minisign -Vm SHA256SUMS" 0 "Signature and comment signature verified" -- \
  "$minisign" -Vm "$rel/SHA256SUMS" -p "$data/TEST_ONLY_key.pub"
check "minisign -Vm provenance" 0 "Signature and comment signature verified" -- \
  "$minisign" -Vm "$rel/tch-0.1.0.provenance.json" -p "$data/TEST_ONLY_key.pub"
check "sha256sum -c" 0 "tch-0.1.0-linux-x86_64-cpu.tar.gz: OK" -- \
  bash -c "cd '$rel' && sha256sum -c SHA256SUMS"
check "minisign known answer" 0 "Signature and comment signature verified" -- \
  "$minisign" -Vm "$data/kat_message.txt" -p "$data/TEST_ONLY_key.pub"
check "provenance statement" 0 '"predicateType": "https://slsa.dev/provenance/v1"' -- \
  cat "$rel/tch-0.1.0.provenance.json"

check "replay of an old release" 1 "FAILED: release 0.1.0 is older than the minimum version 0.2.0" -- \
  "$tch" verify "$rel" --key "$data/TEST_ONLY_key.pub" --min-version 0.2.0
check "wrong key" 1 "FAILED: SHA256SUMS: signed by key 1ED487A8818DB425, which is not an allowed key" -- \
  "$tch" verify "$rel" --key "$data/TEST_ONLY_other_key.pub"
echo 1ED487A8818DB425 test key >"$work/revoked.txt"
check "revoked key" 1 "FAILED: SHA256SUMS: signed by revoked key 1ED487A8818DB425" -- \
  "$tch" verify "$rel" --key "$data/TEST_ONLY_key.pub" --revoked "$work/revoked.txt"
check "usage: no key" 2 "--key PUBKEY is required" -- "$tch" verify "$rel"
check "usage: bad option" 2 "unknown option --frobnicate" -- \
  "$tch" verify "$rel" --key "$data/TEST_ONLY_key.pub" --frobnicate
check "usage: bad min version" 2 "--min-version: expected X.Y.Z" -- \
  "$tch" verify "$rel" --key "$data/TEST_ONLY_key.pub" --min-version banana
check "missing path" 1 "FAILED: /nonexistent: no such file or directory" -- \
  "$tch" verify /nonexistent --key "$data/TEST_ONLY_key.pub"
check "help" 0 "exit codes: 0 verified" -- "$tch" verify --help
printf 'X' | dd of="$rel/tch-0.1.0-linux-x86_64-cpu.tar.gz" bs=1 seek=5000 conv=notrunc status=none
check "flipped byte" 1 "FAILED: tch-0.1.0-linux-x86_64-cpu.tar.gz: SHA-256 mismatch" -- \
  "$tch" verify "$rel" --key "$data/TEST_ONLY_key.pub"
check "minisign still accepts the manifest (it checks no tarballs)" 0 "verified" -- \
  "$minisign" -Vm "$rel/SHA256SUMS" -p "$data/TEST_ONLY_key.pub"
check "sha256sum -c catches it too" 1 "FAILED" -- bash -c "cd '$rel' && sha256sum -c SHA256SUMS"

# Keys made by minisign sign releases tch verifies; an encrypted key of ours
# signs what minisign verifies.
"$minisign" -G -W -p "$work/m.pub" -s "$work/m.key" >/dev/null 2>&1
rel2=$work/release2
mkdir -p "$rel2" && echo cpu >"$rel2/tch-0.2.0-linux-x86_64-cpu.tar.gz"
check "sign with a minisign key" 0 "signed" -- "$sign" sign-release --dir "$rel2" \
  --secret "$work/m.key" --version 0.2.0 --epoch 1
check "tch verify with a minisign key" 0 "tch verify: OK: tch 0.2.0 (cpu)" -- \
  "$tch" verify "$rel2" --key "$work/m.pub" --key "$data/TEST_ONLY_key.pub"
echo "test password" >"$work/pw"
check "keygen encrypted" 0 "(encrypted)" -- "$sign" keygen --public "$work/e.pub" \
  --secret "$work/e.key" --password-file "$work/pw" --kdf-interactive
check "sign with encrypted key" 0 "signed" -- "$sign" sign-release --dir "$rel2" \
  --secret "$work/e.key" --password-file "$work/pw" --version 0.2.0 --epoch 1
check "minisign verifies encrypted-key signature" 0 "verified" -- \
  "$minisign" -Vm "$rel2/SHA256SUMS" -p "$work/e.pub"
echo "wrong" >"$work/bad"
check "wrong password" 1 "wrong password" -- "$sign" sign-release --dir "$rel2" \
  --secret "$work/e.key" --password-file "$work/bad" --version 0.2.0 --epoch 1
check "epoch required" 1 "SOURCE_DATE_EPOCH is required" -- env -u SOURCE_DATE_EPOCH \
  "$sign" sign-release --dir "$rel2" --secret "$data/TEST_ONLY_unencrypted_secret.key" --version 0.2.0

rm -rf "$work"
[ "$failures" = 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
