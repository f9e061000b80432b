#!/usr/bin/python3
"""Removes nvcc's process id from an archive, object or ELF executable.

nvcc names its intermediate file tmpxft_<pid as 8 hex digits>_..., and that
name ends up in local symbols of every object it compiles (the FILE symbol
and the _GLOBAL__sub_I_ static initializer), so two builds of the same
source differ. This rewrites each such name to tmpxft_00000000_..., a
same-length substitution that keeps every ELF offset valid. For a linked
executable or shared library, the GNU build-id (a hash the linker computed
over the old bytes) is then recomputed as SHA-1 of the normalized file with
the build-id zeroed, so it stays a content hash.

usage: normalize_nvcc.py IN OUT [--build-id]
"""

import hashlib
import re
import struct
import sys

PATTERN = re.compile(rb"tmpxft_[0-9a-f]{8}_")


def build_id_range(data):
    """(offset, size) of the GNU build-id descriptor of an ELF64 file."""
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return None
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    if shoff == 0 or shstrndx >= shnum:
        return None
    strtab_offset, = struct.unpack_from("<Q", data, shoff + shstrndx * shentsize + 0x18)
    for i in range(shnum):
        header = shoff + i * shentsize
        name_offset, = struct.unpack_from("<I", data, header)
        name = data[strtab_offset + name_offset:].split(b"\0", 1)[0]
        if name != b".note.gnu.build-id":
            continue
        offset, = struct.unpack_from("<Q", data, header + 0x18)
        namesz, descsz, _ = struct.unpack_from("<III", data, offset)
        return offset + 12 + ((namesz + 3) & ~3), descsz
    return None


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: normalize_nvcc.py IN OUT [--build-id]")
    with open(sys.argv[1], "rb") as f:
        data = bytearray(f.read())
    data[:] = PATTERN.sub(b"tmpxft_00000000_", bytes(data))
    if len(sys.argv) == 4 and sys.argv[3] == "--build-id":
        found = build_id_range(data)
        if found is not None:
            offset, size = found
            data[offset:offset + size] = bytes(size)
            digest = hashlib.sha1(bytes(data)).digest()
            data[offset:offset + size] = (digest * 2)[:size]
    with open(sys.argv[2], "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
