#!/usr/bin/python3
"""Unit test of make_tarball.py's fat binary parser (the cuobjdump fallback).

The layout matches what nvcc 13.0 writes (checked against an object built
with -gencode for sm_80, sm_90 and compute_120 PTX).
"""

import struct
import sys

sys.path.insert(0, "packaging/tools")
import make_tarball  # noqa: E402


def entry(kind, sm, payload):
    header = struct.pack("<HHIQIIII", kind, 0x0101, 64, len(payload), 0, 0, 0, sm)
    return header + b"\0" * (64 - len(header)) + payload


def fatbin(*entries):
    body = b"".join(entries)
    return struct.pack("<IHHQ", 0xBA55ED50, 1, 16, len(body)) + body


def main():
    blob = (b"junk" + fatbin(entry(2, 80, b"E" * 40), entry(1, 120, b"P" * 24)) +
            b"more junk" + fatbin(entry(2, 90, b"F" * 8)))
    got = make_tarball.fatbin_archs(blob)
    want = {"sm_80", "compute_120", "sm_90"}
    assert got == want, (got, want)
    # A stray magic number or a truncated fat binary adds nothing.
    assert make_tarball.fatbin_archs(struct.pack("<I", 0xBA55ED50) + b"x" * 8) == set()
    truncated = fatbin(entry(2, 75, b"E" * 40))[:-10]
    assert make_tarball.fatbin_archs(truncated) == set()
    bad_kind = fatbin(entry(7, 75, b"E" * 8))
    assert make_tarball.fatbin_archs(bad_kind) == set()
    print("ok: fat binary parser")


if __name__ == "__main__":
    main()
