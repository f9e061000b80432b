"""Detects the CUDA toolkit and exposes it as the @local_config_cuda repository.

Looks in $CUDA_PATH (default /usr/local/cuda), runs `nvcc --version`, reads
the cuDNN and NCCL versions from their headers, and generates:
  * BUILD.bazel with `cuda_headers`, `cudart`, `cublas` (with cublasLt),
    `cudnn`, `nccl`, `cuda_driver` (the link-time stub of libcuda) and `nvcc`;
  * cuda_config.bzl with CUDA_FOUND, CUDA_PATH and the detected versions.
Without a toolkit the CPU build is unaffected; every CUDA target fails at build
time with one line saying CUDA is absent and how to point tch at it.
"""

_LIBRARIES = {
    "cudart": ["cudart"],
    "cublas": ["cublas", "cublasLt"],
    "cudnn": ["cudnn"],
    "nccl": ["nccl"],
}

def _header_define(ctx, header, names):
    """Reads `#define NAME value` lines; returns 'a.b.c' or 'unknown'."""
    path = ctx.path(header)
    if not path.exists:
        return "unknown"
    values = {}
    for line in ctx.read(path).splitlines():
        parts = [p for p in line.replace("\t", " ").split(" ") if p]
        if len(parts) >= 3 and parts[0] == "#define" and parts[1] in names:
            values[parts[1]] = parts[2]
    if len(values) != len(names):
        return "unknown"
    return ".".join([values[n] for n in names])

def _nvcc_version(ctx, nvcc):
    result = ctx.execute([nvcc, "--version"])
    if result.return_code != 0:
        return None
    for line in result.stdout.splitlines():
        if "release " in line:
            # "Cuda compilation tools, release 13.0, V13.0.48"
            return line.split("release ")[1].split(",")[0].strip()
    return None

def _absent(ctx, cuda_path, why):
    message = ("tch: CUDA is not available (%s); install the CUDA toolkit or " +
               "set CUDA_PATH, or build without --config=cuda") % why
    ctx.file("MISSING.txt", message + "\n")
    lines = [
        'package(default_visibility = ["//visibility:public"])',
        "",
        "genrule(",
        '    name = "missing",',
        '    srcs = ["MISSING.txt"],',
        '    outs = ["missing.h"],',
        '    cmd = "cat $< >&2; exit 1",',
        ")",
        "",
    ]
    for name in ["cuda_headers", "cuda_driver"] + list(_LIBRARIES.keys()):
        lines.append('cc_library(name = "%s", hdrs = [":missing.h"])' % name)
    lines.append('filegroup(name = "nvcc", srcs = [":missing.h"])')
    ctx.file("BUILD.bazel", "\n".join(lines) + "\n")
    ctx.file("cuda_config.bzl", "\n".join([
        "CUDA_FOUND = False",
        "CUDA_PATH = %r" % cuda_path,
        'CUDA_VERSION = "none"',
        'CUDNN_VERSION = "none"',
        'NCCL_VERSION = "none"',
        "CUDA_MISSING_REASON = %r" % why,
        "",
    ]))

def _cuda_configure_impl(ctx):
    cuda_path = ctx.os.environ.get("CUDA_PATH", "/usr/local/cuda").rstrip("/")
    ctx.file("WORKSPACE", "workspace(name = %r)\n" % ctx.name)
    nvcc = ctx.path(cuda_path + "/bin/nvcc")
    if not nvcc.exists:
        _absent(ctx, cuda_path, "no nvcc at %s/bin/nvcc" % cuda_path)
        return
    version = _nvcc_version(ctx, nvcc)
    if version == None:
        _absent(ctx, cuda_path, "`%s --version` failed" % nvcc)
        return
    include = cuda_path + "/include"
    ctx.symlink(include, "include")
    ctx.symlink(cuda_path + "/bin", "bin")
    lib_dir = cuda_path + "/lib64"
    cudnn = _header_define(ctx, include + "/cudnn_version.h", ["CUDNN_MAJOR", "CUDNN_MINOR", "CUDNN_PATCHLEVEL"])
    nccl = _header_define(ctx, include + "/nccl.h", ["NCCL_MAJOR", "NCCL_MINOR", "NCCL_PATCH"])

    lines = [
        'package(default_visibility = ["//visibility:public"])',
        "",
        "cc_library(",
        '    name = "cuda_headers",',
        '    hdrs = glob(["include/**"]),',
        '    includes = ["include"],',
        ")",
        "",
    ]
    for name, libs in _LIBRARIES.items():
        linkopts = ["-L" + lib_dir, "-Wl,-rpath," + lib_dir] + ["-l" + lib for lib in libs]
        lines += [
            "cc_library(",
            "    name = %r," % name,
            "    linkopts = %r," % linkopts,
            '    deps = [":cuda_headers"],',
            ")",
            "",
        ]
    lines += [
        "# Link-time stub only: the real libcuda.so comes with the driver.",
        "cc_library(",
        '    name = "cuda_driver",',
        "    linkopts = %r," % ["-L" + lib_dir + "/stubs", "-lcuda"],
        '    deps = [":cuda_headers"],',
        ")",
        "",
        'filegroup(name = "nvcc", srcs = ["bin/nvcc"])',
    ]
    ctx.file("BUILD.bazel", "\n".join(lines) + "\n")
    ctx.file("cuda_config.bzl", "\n".join([
        "CUDA_FOUND = True",
        "CUDA_PATH = %r" % cuda_path,
        "CUDA_VERSION = %r" % version,
        "CUDNN_VERSION = %r" % cudnn,
        "NCCL_VERSION = %r" % nccl,
        'CUDA_MISSING_REASON = ""',
        "",
    ]))

cuda_configure = repository_rule(
    implementation = _cuda_configure_impl,
    environ = ["CUDA_PATH"],
    local = True,
    doc = "Finds the local CUDA toolkit (CUDA_PATH, default /usr/local/cuda).",
)
