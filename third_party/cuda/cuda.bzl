"""Rules for CUDA code: `cuda_library` (nvcc-compiled .cu files) and `if_cuda`.

Example:
    load("//third_party/cuda:cuda.bzl", "cuda_library", "if_cuda")

    cuda_library(
        name = "add_kernels",
        srcs = ["add.cu"],
        deps = ["//torch/core"],
    )

    cc_library(
        name = "kernels",
        deps = if_cuda([":add_kernels"]),  # empty in a CPU build
    )

The GPU architectures come from --//third_party/cuda:archs (see BUILD.bazel).
"""

load("@bazel_tools//tools/cpp:toolchain_utils.bzl", "find_cpp_toolchain")
load("@local_config_cuda//:cuda_config.bzl", "CUDA_FOUND", "CUDA_PATH")
load(":build_settings.bzl", "TchFlagInfo")

# One architecture for day-to-day development (Hopper, the lent GPU machines).
CUDA_DEV_ARCHS = ["sm_90"]

# Every generation CUDA 13 compiles for, plus PTX of the newest so future GPUs
# can JIT it.
CUDA_RELEASE_ARCHS = [
    "sm_75",
    "sm_80",
    "sm_86",
    "sm_87",
    "sm_88",
    "sm_89",
    "sm_90",
    "sm_100",
    "sm_103",
    "sm_110",
    "sm_120",
    "compute_120",
]

def resolve_cuda_archs(value):
    """'dev' | 'release' | 'sm_80,compute_90' -> list of arch strings."""
    if value == "dev":
        return CUDA_DEV_ARCHS
    if value == "release":
        return CUDA_RELEASE_ARCHS
    archs = [a.strip() for a in value.split(",") if a.strip()]
    for arch in archs:
        kind, _, number = arch.partition("_")
        if kind not in ("sm", "compute") or not number.isdigit():
            fail("--//third_party/cuda:archs: expected sm_XX or compute_XX entries, got %r" % arch)
    return archs

def _gencode_flags(archs):
    flags = []
    for arch in archs:
        kind, _, number = arch.partition("_")
        code = ("sm_" if kind == "sm" else "compute_") + number
        flags.append("-gencode=arch=compute_%s,code=%s" % (number, code))
    return flags

def if_cuda(if_true, if_false = []):
    """Selects `if_true` when CUDA is enabled (--config=cuda), else `if_false`."""
    return select({
        str(Label("//third_party/cuda:cuda_enabled")): if_true,
        "//conditions:default": if_false,
    })

def _cuda_objects_impl(ctx):
    cc_toolchain = find_cpp_toolchain(ctx)
    archs = resolve_cuda_archs(ctx.attr._archs[TchFlagInfo].value)
    contexts = [dep[CcInfo].compilation_context for dep in ctx.attr.deps]
    headers = depset(ctx.files.hdrs, transitive = [c.headers for c in contexts])

    common = ["-std=c++20", "-Xcompiler", "-fPIC", "--expt-relaxed-constexpr"]
    common += ["-ccbin", cc_toolchain.compiler_executable]
    if ctx.var["COMPILATION_MODE"] == "dbg":
        common += ["-g", "-lineinfo", "-O0"]
    else:
        common += ["-O3", "-lineinfo"]
    common += _gencode_flags(archs)
    common += ["-I.", "-I" + ctx.bin_dir.path]
    for c in contexts:
        common += ["-I" + d for d in c.quote_includes.to_list() + c.includes.to_list()]
        common += ["-isystem=" + d for d in c.system_includes.to_list()]
        common += ["-D" + d for d in c.defines.to_list()]
    common += ctx.attr.copts

    objects = []
    for src in ctx.files.srcs:
        out = ctx.actions.declare_file("_objs/%s/%s.o" % (ctx.label.name, src.basename))
        ctx.actions.run(
            executable = CUDA_PATH + "/bin/nvcc",
            arguments = common + ["-c", src.path, "-o", out.path],
            inputs = depset([src], transitive = [headers, cc_toolchain.all_files]),
            outputs = [out],
            mnemonic = "NvccCompile",
            use_default_shell_env = True,
            progress_message = "Compiling CUDA %s for %s" % (src.short_path, ",".join(archs)),
        )
        objects.append(out)
    return [DefaultInfo(files = depset(objects))]

_cuda_objects = rule(
    implementation = _cuda_objects_impl,
    attrs = {
        "srcs": attr.label_list(allow_files = [".cu"]),
        "hdrs": attr.label_list(allow_files = [".h", ".cuh"]),
        "deps": attr.label_list(providers = [CcInfo]),
        "copts": attr.string_list(),
        "_archs": attr.label(default = Label("//third_party/cuda:archs")),
        "_cc_toolchain": attr.label(default = Label("@bazel_tools//tools/cpp:current_cc_toolchain")),
    },
    toolchains = ["@bazel_tools//tools/cpp:toolchain_type"],
    fragments = ["cpp"],
)

def cuda_library(name, srcs, hdrs = [], deps = [], copts = [], **kwargs):
    """A cc_library whose .cu sources are compiled by nvcc.

    Args:
      name: the cc_library's name.
      srcs: .cu files (device code and thin launchers only).
      hdrs: headers of this library, usable from C++ and CUDA.
      deps: cc_library dependencies (their headers and defines reach nvcc).
      copts: extra nvcc flags.
      **kwargs: passed to the cc_library (visibility, alwayslink, ...).

    The targets are tagged "manual": a CPU build of //... skips them, and a
    CUDA build reaches them through `if_cuda` dependencies.
    """
    kwargs["tags"] = ["manual"] + kwargs.get("tags", [])
    if not CUDA_FOUND:
        deps = deps + ["@local_config_cuda//:cudart"]  # fails with the reason
        native.cc_library(name = name, hdrs = hdrs, deps = deps, **kwargs)
        return
    _cuda_objects(
        name = name + "_nvcc",
        srcs = srcs,
        hdrs = hdrs,
        deps = deps + ["@local_config_cuda//:cuda_headers"],
        copts = copts,
        tags = kwargs["tags"],
    )
    native.cc_library(
        name = name,
        srcs = [":" + name + "_nvcc"],
        hdrs = hdrs,
        deps = deps + ["@local_config_cuda//:cudart"],
        **kwargs
    )
