#!/bin/bash
# Proves that a missing system package is reported in one clear line: hides
# libsodium-dev from dpkg-query and expects tools/bazel's message and exit 1.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
cat > "$fake/dpkg-query" <<'FAKE'
#!/bin/sh
for a in "$@"; do [ "$a" = libsodium-dev ] && exit 1; done
exec /usr/bin/dpkg-query "$@"
FAKE
chmod +x "$fake/dpkg-query"
cd "$root"
output=$(PATH="$fake:$PATH" bazel build //... 2>&1)
status=$?
expected="tch: missing system packages: libsodium-dev; run: apt-get install -y libsodium-dev (or ci/setup.sh)"
if [ "$status" -ne 1 ] || [ "$output" != "$expected" ]; then
  echo "FAIL: expected exit 1 and exactly one line:" >&2
  echo "  $expected" >&2
  echo "got exit $status and:" >&2
  echo "$output" >&2
  exit 1
fi
echo "PASS: missing package reported as: $output"
