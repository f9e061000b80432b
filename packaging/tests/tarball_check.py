#!/usr/bin/python3
"""Checks a release tarball is deterministic and complete.

usage: tarball_check.py TARBALL SOURCE_DATE_EPOCH_FILE VERSION_FILE
"""

import gzip
import io
import json
import struct
import sys
import tarfile

REQUIRED = [
    "BUILD.bazel", "WORKSPACE", "BUILD_INFO.json", "LICENSE", "bin/tch",
    "lib/libtch.a", "lib/libtch.so", "lib/cmake/tch/tchConfig.cmake",
    "lib/cmake/tch/tchConfigVersion.cmake", "include/torch/core/tensor.h",
    "include/torch/core/ops.h", "share/tch/examples/add.cc",
    "share/tch/keys/tch.pub", "share/tch/keys/revoked_keys.txt",
]


def main():
    path, epoch_file, version_file = sys.argv[1:4]
    epoch = int(open(epoch_file).read().strip())
    version = open(version_file).read().strip()
    raw = open(path, "rb").read()
    errors = []
    magic, method, flags, mtime = struct.unpack("<HBBI", raw[:8])
    if magic != 0x8B1F or method != 8:
        errors.append("not a gzip stream")
    if flags & 0x08 or flags & 0x10:
        errors.append("gzip header carries a file name or comment")
    if mtime != 0:
        errors.append("gzip header mtime %d, want 0" % mtime)
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(raw))) as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        top = "tch-%s-cpu" % version
        if names != sorted(names):
            errors.append("entries not sorted")
        if len(set(names)) != len(names):
            errors.append("duplicate entries")
        for m in members:
            if m.name != top and not m.name.startswith(top + "/"):
                errors.append("%s outside %s/" % (m.name, top))
            if m.mtime != epoch:
                errors.append("%s mtime %d, want %d" % (m.name, m.mtime, epoch))
            if (m.uid, m.gid, m.uname, m.gname) != (0, 0, "", ""):
                errors.append("%s owner %r" % (m.name, (m.uid, m.gid, m.uname, m.gname)))
            if m.mode not in (0o644, 0o755):
                errors.append("%s mode %o" % (m.name, m.mode))
            if m.isdir() and m.mode != 0o755:
                errors.append("%s directory mode %o" % (m.name, m.mode))
            if not (m.isdir() or m.isfile()):
                errors.append("%s is neither file nor directory" % m.name)
        for name in REQUIRED:
            if top + "/" + name not in names:
                errors.append("missing " + name)
        if any(n.startswith(top + "/include/torch/kernels") for n in names):
            errors.append("kernel internals shipped in include/")
        info = json.load(tar.extractfile(top + "/BUILD_INFO.json"))
        for key in ("version", "git_commit", "flavour", "compiler", "bazel_version",
                    "dependencies", "cuda"):
            if key not in info:
                errors.append("BUILD_INFO.json lacks " + key)
        if info.get("version") != version or info.get("flavour") != "cpu":
            errors.append("BUILD_INFO.json version/flavour %r/%r" %
                          (info.get("version"), info.get("flavour")))
        if info.get("dependencies", {}).get("com_google_absl", {}).get("version") != "20220623":
            errors.append("BUILD_INFO.json lacks the pinned absl version")
        archive = tar.extractfile(top + "/lib/libtch.a").read()
        if not archive.startswith(b"!<arch>\n"):
            errors.append("lib/libtch.a is not an ar archive")
        # ar members: 16-byte name, 12-byte mtime, 6 uid, 6 gid, 8 mode.
        offset = 8
        while offset + 60 <= len(archive):
            header = archive[offset:offset + 60]
            mtime, uid, gid = header[16:28].strip(), header[28:34].strip(), header[34:40].strip()
            special = header[:16].strip() in (b"/", b"//")  # symbol/name tables
            if not special and (mtime, uid, gid) != (b"0", b"0", b"0"):
                errors.append("lib/libtch.a member %r not deterministic" % header[:16])
                break
            size = int(header[48:58])
            offset += 60 + size + (size & 1)
        # Debug builds (asan/ubsan CI runs) embed build paths in debug info;
        # releases are opt builds, which must not.
        for m in members if info.get("compilation_mode") == "opt" else []:
            if m.isfile():
                data = tar.extractfile(m).read()
                for needle in (b"/root/", b"/work/", b"/home/", b"/tmp/"):
                    if needle in data and not m.name.endswith((".cmake", ".json")):
                        errors.append("%s contains the host path prefix %r" % (m.name, needle))
    if errors:
        print("\n".join("FAIL " + e for e in errors))
        sys.exit(1)
    print("ok: %d entries, sorted, mtime %d, owner 0/0, modes normalized, "
          "gzip without name/mtime, ar deterministic" % (len(members), epoch))


if __name__ == "__main__":
    main()
