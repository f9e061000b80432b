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
import re
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


def embedded_cuda_archs(cuobjdump, archive):
    """Architectures actually in the archive, from cuobjdump's listings."""
    found = set()
    for flag, kind in (("--list-elf", "sm"), ("--list-ptx", "compute")):
        result = subprocess.run([cuobjdump, flag, archive],
                                capture_output=True, text=True)
        if result.returncode != 0 and "does not contain" not in result.stderr:
            fail("%s %s failed: %s" % (cuobjdump, flag, result.stderr.strip()))
        for match in re.finditer(r"\.sm_(\d+[a-z]?)\.(cubin|ptx)", result.stdout):
            found.add("%s_%s" % (kind, match.group(1)))
    return sorted(found, key=lambda a: (a.split("_")[0] != "sm",
                                        int(re.sub(r"\D", "", a))))


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
        embedded = embedded_cuda_archs(spec["cuobjdump"], spec["cuda_archive"])
        if sorted(embedded) != sorted(cuda["requested_archs"]):
            fail("flavour %s requested CUDA architectures %s but cuobjdump "
                 "finds %s in lib/libtch.a" % (spec["flavour"],
                                               ",".join(cuda["requested_archs"]),
                                               ",".join(embedded) or "none"))
        cuda["embedded_archs"] = embedded
        cuda["checked_with"] = "cuobjdump --list-elf/--list-ptx"
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
