#!/bin/bash
# Prints the Debian packages tch needs, one per line: every `apt = [...]`
# entry of third_party/versions.bzl (the pinned table) plus TOOL_PACKAGES.
# Usage: ci/system_packages.sh [--missing]   (--missing: only those not
# installed).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
table="$root/third_party/versions.bzl"
packages=$(
  {
    grep -o 'apt = \[[^]]*\]' "$table" | grep -o '"[^"]*"'
    sed -n '/^TOOL_PACKAGES = \[/,/^\]/p' "$table" | grep -o '"[^"]*"'
  } | tr -d '"' | sort -u
)
if [ "${1:-}" = "--missing" ]; then
  for p in $packages; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || echo "$p"
  done
else
  echo "$packages"
fi
