#!/bin/bash
# Installs every Debian package tch needs that is not installed yet (the list
# comes from third_party/versions.bzl via ci/system_packages.sh). Idempotent:
# when nothing is missing it does nothing, not even `apt-get update`.
# Run as root (or with sudo available).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
missing=$("$here/system_packages.sh" --missing | tr '\n' ' ')
if [ -z "${missing// /}" ]; then
  exit 0
fi
echo "tch setup: installing ${missing}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086  # word splitting of the package list is intended
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
still=$("$here/system_packages.sh" --missing | tr '\n' ' ')
if [ -n "${still// /}" ]; then
  echo "tch setup: could not install: ${still}" >&2
  exit 1
fi
