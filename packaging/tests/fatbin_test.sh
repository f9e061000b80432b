#!/bin/bash
# The CUDA fat binary parser of make_tarball.py (architectures in lib/libtch.a).
exec /usr/bin/python3 packaging/tests/fatbin_check.py
