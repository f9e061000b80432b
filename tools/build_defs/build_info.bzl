"""build_info(): a generated C++ source describing how tch was built.

The values come from the Bazel configuration (compilation mode, compiler,
CUDA switch and architectures, external library versions) and from the
workspace status file (STABLE_GIT_COMMIT only, so unstamped builds stay
reproducible and cacheable). `tch info` prints them.
"""

load("@local_config_cuda//:cuda_config.bzl", "CUDA_FOUND", "CUDA_VERSION", "CUDNN_VERSION", "NCCL_VERSION")
load("//third_party:versions.bzl", "SYSTEM_LIBRARIES")
load("//third_party/cuda:build_settings.bzl", "TchFlagInfo")
load("//third_party/cuda:cuda.bzl", "resolve_cuda_archs")

def _escape(s):
    return s.replace("\\", "\\\\").replace("\"", "\\\"")

def _build_info_impl(ctx):
    cuda_enabled = ctx.attr._cuda_enabled[TchFlagInfo].value
    archs = resolve_cuda_archs(ctx.attr._archs[TchFlagInfo].value) if cuda_enabled else []
    deps = ", ".join(["%s %s" % (name, spec.version) for name, spec in SYSTEM_LIBRARIES.items()])
    values = {
        "@VERSION@": ctx.file.version_file,
        "@COMPILATION_MODE@": ctx.var["COMPILATION_MODE"],
        "@CUDA_ENABLED@": "true" if cuda_enabled else "false",
        "@CUDA_ARCHS@": ",".join(archs),
        "@CUDA_VERSION@": CUDA_VERSION if cuda_enabled else "",
        "@CUDNN_VERSION@": CUDNN_VERSION if cuda_enabled else "",
        "@NCCL_VERSION@": NCCL_VERSION if cuda_enabled else "",
        "@DEPENDENCIES@": deps,
    }
    out = ctx.outputs.out
    script = ["set -eu", "commit=$(sed -n 's/^STABLE_GIT_COMMIT //p' %s)" % ctx.info_file.path]
    script.append('version=$(tr -d "\\n" < %s)' % ctx.file.version_file.path)
    sed = ["sed"]
    for key, value in values.items():
        if key == "@VERSION@":
            continue
        sed.append("-e 's|%s|%s|'" % (key, _escape(value)))
    sed.append("-e \"s|@GIT_COMMIT@|${commit:-unknown}|\"")
    sed.append("-e \"s|@VERSION@|${version}|\"")
    script.append(" ".join(sed) + " %s > %s" % (ctx.file.template.path, out.path))
    ctx.actions.run_shell(
        command = "\n".join(script),
        inputs = [ctx.file.template, ctx.file.version_file, ctx.info_file],
        outputs = [out],
        mnemonic = "TchBuildInfo",
    )
    return [DefaultInfo(files = depset([out]))]

build_info = rule(
    implementation = _build_info_impl,
    attrs = {
        "template": attr.label(allow_single_file = True, mandatory = True),
        "version_file": attr.label(allow_single_file = True, mandatory = True),
        "out": attr.output(mandatory = True),
        "_cuda_enabled": attr.label(default = Label("//third_party/cuda:enabled")),
        "_archs": attr.label(default = Label("//third_party/cuda:archs")),
    },
)
