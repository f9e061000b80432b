#!/bin/bash
# The cpu release tarball is deterministic (sorted entries, fixed mtime,
# owner 0/0, normalized modes, gzip without name or timestamp, `ar D`) and
# complete (bin, lib, include, cmake and Bazel interfaces, BUILD_INFO.json).
set -euo pipefail
exec /usr/bin/python3 packaging/tests/tarball_check.py \
  packaging/tch-"$(cat VERSION)"-linux-x86_64-cpu.tar.gz packaging/SOURCE_DATE_EPOCH VERSION
