#!/usr/bin/python3
"""Writes BUILD_INFO.json and a deterministic release tarball.

Invoked by the tch_release_tarball rule (packaging/release.bzl); standard
library only. Determinism: entries sorted by path, every mtime is
SOURCE_DATE_EPOCH, uid/gid 0 with empty owner names, modes 0755 (directories,
executables) or 0644, GNU tar format, gzip with no file name and mtime 0.

usage: make_tarball.py --spec SPEC.json
SPEC.json: {"out", "build_info_out", "prefix", "epoch", "epoch_file",
            "version", "version_file", "status_file", "flavour", "compiler",
            "compilation_mode", "cuda": {...} or null, "cuobjdump",
            "cuda_archive", "dependencies": {...},
            "files": [[dest, src, executable], ...]}
"""

import gzip
import io
import json
import os
import re
import struct
import subprocess
import sys
import tarfile


def fail(message):
    sys.stderr.write("tch_release_tarball: " + message + "\n")
    sys.exit(1)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def git_commit(status_file):
    for line in read(status_file).splitlines():
        key, _, value = line.partition(" ")
        if key == "STABLE_GIT_COMMIT":
            return value
    return "unknown"


def compiler_version(compiler):
    try:
        out = subprocess.run([compiler, "--version"], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        fail("cannot run %s --version: %s" % (compiler, e))
    return out.splitlines()[0].strip()


def bazel_version():
    """The Debian bazel-bootstrap package's version (how tch is built)."""
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "bazel-bootstrap"],
            check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return "%s (Debian bazel-bootstrap %s)" % (out.split("+")[0], out)


FATBIN_MAGIC = struct.pack("<I", 0xBA55ED50)


def fatbin_archs(data):
    """Architectures in the CUDA fat binaries embedded in `data`.

    A fat binary is a 16-byte header (magic 0xBA55ED50, u16 version 1, u16
    header size 16, u64 payload size) followed by entries, each a header
    (u16 kind: 1 PTX, 2 ELF; u16 version; u32 header size; u64 padded
    payload size; ...; u32 SM version at offset 28) and its payload.
    Candidates that do not parse consistently are skipped.
    """
    found = set()
    at = data.find(FATBIN_MAGIC)
    while at != -1:
        if at + 16 <= len(data):
            version, header_size, size = struct.unpack_from("<HHQ", data, at + 4)
            pos, end = at + header_size, at + header_size + size
            entries = set()
            ok = version == 1 and header_size == 16 and end <= len(data)
            while ok and pos < end:
                if pos + 32 > end:
                    ok = False
                    break
                kind, _, entry_header, padded = struct.unpack_from("<HHIQ", data, pos)
                (sm,) = struct.unpack_from("<I", data, pos + 28)
                if kind not in (1, 2) or entry_header < 32 or not 10 <= sm < 1000:
                    ok = False
                    break
                entries.add(("compute_%d" if kind == 1 else "sm_%d") % sm)
                pos += entry_header + padded
            if ok and pos == end:
                found |= entries
        at = data.find(FATBIN_MAGIC, at + 4)
    return found


def cuobjdump_archs(cuobjdump, archive):
    found = set()
    for flag, kind in (("--list-elf", "sm"), ("--list-ptx", "compute")):
        result = subprocess.run([cuobjdump, flag, archive],
                                capture_output=True, text=True)
        for match in re.finditer(r"\.sm_(\d+)[a-z]?\.(cubin|ptx)", result.stdout):
            found.add("%s_%s" % (kind, match.group(1)))
    return found


def embedded_cuda_archs(cuobjdump, archive):
    """-> (sorted architectures in the archive, how they were found).

    With cuobjdump installed, its --list-elf/--list-ptx listing is the answer
    and must agree with the fat binary headers; without it (a toolkit
    without cuobjdump), the headers alone.
    """
    with open(archive, "rb") as f:
        from_headers = fatbin_archs(f.read())
    method = "fatbin headers (cuobjdump not installed)"
    found = from_headers
    if os.path.exists(cuobjdump):
        found = cuobjdump_archs(cuobjdump, archive)
        method = "cuobjdump --list-elf/--list-ptx"
        if found != from_headers:
            fail("cuobjdump finds %s but the fat binary headers say %s" %
                 (sorted(found), sorted(from_headers)))
    order = lambda a: (a.split("_")[0] != "sm", int(a.split("_")[1]))
    return sorted(found, key=order), method


def main():
    if len(sys.argv) != 3 or sys.argv[1] != "--spec":
        fail("usage: make_tarball.py --spec SPEC.json")
    spec = json.loads(read(sys.argv[2]))

    version = read(spec["version_file"]).strip()
    if version != spec["version"]:
        fail("packaging/version.bzl says %s but VERSION says %s; update "
             "packaging/version.bzl" % (spec["version"], version))
    epoch = spec["epoch"] or read(spec["epoch_file"]).strip()
    if not epoch.isdigit():
        fail("SOURCE_DATE_EPOCH %r is not a number of seconds" % epoch)
    epoch = int(epoch)

    info = {
        "product": "tch",
        "version": version,
        "flavour": spec["flavour"],
        "platform": "linux-x86_64",
        "git_commit": git_commit(spec["status_file"]),
        "source_date_epoch": epoch,
        "compiler": compiler_version(spec["compiler"]),
        "compilation_mode": spec["compilation_mode"],
        "bazel_version": bazel_version(),
        "cuda": None,
        "dependencies": spec["dependencies"],
    }
    if spec["cuda"] is not None:
        cuda = dict(spec["cuda"])
        embedded, method = embedded_cuda_archs(spec["cuobjdump"],
                                               spec["cuda_archive"])
        if sorted(embedded) != sorted(cuda["requested_archs"]):
            fail("flavour %s requested CUDA architectures %s but cuobjdump "
                 "finds %s in lib/libtch.a" % (spec["flavour"],
                                               ",".join(cuda["requested_archs"]),
                                               ",".join(embedded) or "none"))
        cuda["embedded_archs"] = embedded
        cuda["checked_with"] = method
        info["cuda"] = cuda
    info_text = json.dumps(info, indent=2, sort_keys=True) + "\n"
    with open(spec["build_info_out"], "w", encoding="utf-8") as f:
        f.write(info_text)

    prefix = spec["prefix"]
    entries = {}  # path in archive -> (bytes or source path, executable)
    for dest, src, executable in spec["files"]:
        if dest in entries:
            fail("two files for %s" % dest)
        entries[dest] = (src, executable)
    entries["BUILD_INFO.json"] = (info_text.encode("utf-8"), False)
    directories = set()
    for dest in entries:
        parts = dest.split("/")[:-1]
        for i in range(len(parts)):
            directories.add("/".join(parts[: i + 1]))

    def tarinfo(name, kind, mode, size=0):
        ti = tarfile.TarInfo(prefix + ("/" + name if name else ""))
        ti.type = kind
        ti.mode = mode
        ti.size = size
        ti.mtime = epoch
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = ""
        return ti

    with open(spec["out"], "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                           compresslevel=9) as gz:
            with tarfile.open(fileobj=gz, mode="w",
                              format=tarfile.GNU_FORMAT) as tar:
                tar.addfile(tarinfo("", tarfile.DIRTYPE, 0o755))
                for path in sorted(set(entries) | directories):
                    if path in directories:
                        tar.addfile(tarinfo(path, tarfile.DIRTYPE, 0o755))
                        continue
                    src, executable = entries[path]
                    data = src if isinstance(src, bytes) else open(src, "rb").read()
                    ti = tarinfo(path, tarfile.REGTYPE,
                                 0o755 if executable else 0o644, len(data))
                    tar.addfile(ti, io.BytesIO(data))


if __name__ == "__main__":
    main()
