"""tch_release_tarball: a deterministic release tarball of one flavour.

    load("//packaging:release.bzl", "tch_release_tarball")

    tch_release_tarball(name = "tch-cpu", flavour = "cpu")
    tch_release_tarball(
        name = "tch-cu130-sm90",
        flavour = "cu130-sm90",
        cuda_archs = "sm_90",       # the --//third_party/cuda:archs value
    )

produces `tch-<version>-linux-x86_64-<flavour>.tar.gz` holding one directory
`tch-<version>-<flavour>/` with bin/tch, lib/libtch.a (every object file of
//:tch's own libraries, `ar` in deterministic mode), lib/libtch.so (the same
objects linked --whole-archive), include/ (tch's public headers), the
consumer interfaces (BUILD.bazel + WORKSPACE for Bazel, lib/cmake/tch/ for
CMake), share/tch/{examples,keys}/, LICENSE and BUILD_INFO.json (also an
output of its own, `<name>.build_info.json`, for the provenance statement).

Each flavour sets its own build configuration with an incoming transition
(CUDA off for cpu; CUDA on with the flavour's architectures otherwise), so
`bazel build --config=cuda //...` still builds a true cpu tarball and a CUDA
flavour needs no extra flags. CUDA flavours are tagged manual (they compile
every architecture they embed).

The tarball's timestamps come from packaging/SOURCE_DATE_EPOCH, or from
--//packaging:source_date_epoch=N; never from the clock.
"""

load("@bazel_tools//tools/cpp:toolchain_utils.bzl", "find_cpp_toolchain")
load("@local_config_cuda//:cuda_config.bzl", "CUDA_PATH", "CUDA_VERSION", "CUDNN_VERSION", "NCCL_VERSION")
load("//packaging:version.bzl", "TCH_VERSION")
load("//third_party:versions.bzl", "SYSTEM_LIBRARIES")
load("//third_party/cuda:build_settings.bzl", "TchFlagInfo")
load("//third_party/cuda:cuda.bzl", "resolve_cuda_archs")

def _dedupe(items):
    seen = {}
    out = []
    for item in items:
        if item not in seen:
            seen[item] = True
            out.append(item)
    return out

def _collect_link_inputs(cc_info):
    """-> (tch's own object files, external libraries, user link flags)."""
    objects = []
    external = []
    flags = []
    for linker_input in cc_info.linking_context.linker_inputs.to_list():
        flags.extend(linker_input.user_link_flags)
        own = linker_input.owner.workspace_name == ""
        for library in linker_input.libraries:
            if own:
                objects.extend(library.pic_objects or library.objects)
            elif library.dynamic_library:
                external.append(library.dynamic_library)
            elif library.pic_static_library or library.static_library:
                external.append(library.pic_static_library or library.static_library)
    return _dedupe(objects), _dedupe(external), _dedupe(flags)

def _public_headers(cc_info):
    """tch's own headers under torch/, except the kernels' internals."""
    headers = []
    for f in cc_info.compilation_context.headers.to_list():
        path = f.short_path
        if f.owner.workspace_name != "" or not path.startswith("torch/"):
            continue
        if path.startswith("torch/kernels/"):
            continue
        headers.append(f)
    by_path = {f.short_path: f for f in headers}
    return [by_path[p] for p in sorted(by_path.keys())]

def _tarball_impl(ctx):
    cuda_enabled = ctx.attr._cuda_enabled[TchFlagInfo].value
    archs_flag = ctx.attr._archs[TchFlagInfo].value
    wants_cuda = ctx.attr.cuda_archs != ""
    if wants_cuda != cuda_enabled or (wants_cuda and
                                      resolve_cuda_archs(archs_flag) != resolve_cuda_archs(ctx.attr.cuda_archs)):
        if wants_cuda:
            need = "--config=cuda --//third_party/cuda:archs=%s" % ctx.attr.cuda_archs
        else:
            need = "a CPU configuration (no --config=cuda)"
        fail("%s (flavour %s) must be built with %s; this build has CUDA %s, archs %s" % (
            ctx.label,
            ctx.attr.flavour,
            need,
            "on" if cuda_enabled else "off",
            archs_flag,
        ))

    cc_toolchain = find_cpp_toolchain(ctx)
    cc_info = ctx.attr.lib[CcInfo]
    objects, external, link_flags = _collect_link_inputs(cc_info)
    if not objects:
        fail("%s: found no object files in %s" % (ctx.label, ctx.attr.lib.label))
    by_path = {f.path: f for f in objects}
    objects = [by_path[p] for p in sorted(by_path.keys())]

    # lib/libtch.a: `ar D` writes zero timestamps, uids and modes.
    archive = ctx.actions.declare_file(ctx.label.name + "/libtch.a")
    ar_args = ctx.actions.args()
    ar_args.add("qcsD")
    ar_args.add(archive)
    ar_args.add_all(objects)
    ctx.actions.run(
        executable = cc_toolchain.ar_executable,
        arguments = [ar_args],
        inputs = depset(objects, transitive = [cc_toolchain.all_files]),
        outputs = [archive],
        mnemonic = "TchReleaseArchive",
        progress_message = "Archiving %s for %s" % (archive.short_path, ctx.attr.flavour),
    )

    cli = ctx.executable.cli

    # lib/libtch.so: every object (kernels register themselves at load time).
    shared = ctx.actions.declare_file(ctx.label.name + "/libtch.so")
    so_args = ctx.actions.args()
    so_args.add_all(["-shared", "-o", shared, "-Wl,-soname,libtch.so"])
    so_args.add_all(["-Wl,--whole-archive", archive, "-Wl,--no-whole-archive"])
    so_args.add_all(external)
    so_args.add_all(link_flags)
    so_args.add_all(["-lstdc++", "-lm", "-pthread"])
    ctx.actions.run(
        executable = cc_toolchain.compiler_executable,
        arguments = [so_args],
        inputs = depset([archive] + external, transitive = [cc_toolchain.all_files]),
        outputs = [shared],
        mnemonic = "TchReleaseSharedLib",
        use_default_shell_env = True,  # PATH, for gcc to find ld
        progress_message = "Linking %s for %s" % (shared.short_path, ctx.attr.flavour),
    )

    version = TCH_VERSION
    prefix = "tch-%s-%s" % (version, ctx.attr.flavour)
    linkopts = [f for f in link_flags if f.startswith("-l") or f.startswith("-L") or f.startswith("-pthread")]
    linkopts = _dedupe(linkopts + ["-pthread"])

    generated = []
    subs = {
        "@VERSION@": version,
        "@FLAVOUR@": ctx.attr.flavour,
        "@LINKOPTS_BAZEL@": repr(linkopts),
        "@LINKOPTS_CMAKE@": ";".join(linkopts),
    }
    for template, dest in [
        (ctx.file._bazel_build, "BUILD.bazel"),
        (ctx.file._bazel_workspace, "WORKSPACE"),
        (ctx.file._cmake_config, "lib/cmake/tch/tchConfig.cmake"),
        (ctx.file._cmake_version, "lib/cmake/tch/tchConfigVersion.cmake"),
    ]:
        out = ctx.actions.declare_file("%s/gen/%s" % (ctx.label.name, dest))
        ctx.actions.expand_template(template = template, output = out, substitutions = subs)
        generated.append([dest, out, False])

    files = [
        ["bin/tch", cli, True],
        ["lib/libtch.a", archive, False],
        ["lib/libtch.so", shared, True],
        ["LICENSE", ctx.file.license, False],
    ] + generated
    for h in _public_headers(cc_info):
        files.append(["include/" + h.short_path, h, False])
    for f in ctx.files.examples:
        files.append(["share/tch/examples/" + f.basename, f, False])
    for f in ctx.files.keys:
        files.append(["share/tch/keys/" + f.basename, f, False])

    cuda = None
    if cuda_enabled:
        cuda = {
            "cuda_version": CUDA_VERSION,
            "cudnn_version": CUDNN_VERSION,
            "nccl_version": NCCL_VERSION,
            "requested_archs": resolve_cuda_archs(archs_flag),
        }
    dependencies = {}
    for name, spec in SYSTEM_LIBRARIES.items():
        dependencies[name] = {"version": spec.version, "debian_packages": spec.apt}

    epoch_flag = ctx.attr._epoch[TchFlagInfo].value
    tarball = ctx.actions.declare_file("tch-%s-linux-x86_64-%s.tar.gz" % (version, ctx.attr.flavour))
    build_info = ctx.actions.declare_file(ctx.label.name + ".build_info.json")
    spec = struct(
        out = tarball.path,
        build_info_out = build_info.path,
        prefix = prefix,
        epoch = epoch_flag,
        epoch_file = ctx.file._epoch_file.path,
        version = version,
        version_file = ctx.file._version_file.path,
        status_file = ctx.info_file.path,
        flavour = ctx.attr.flavour,
        compiler = cc_toolchain.compiler_executable,
        compilation_mode = ctx.var["COMPILATION_MODE"],
        cuda = cuda,
        cuobjdump = CUDA_PATH + "/bin/cuobjdump",
        cuda_archive = archive.path,
        dependencies = dependencies,
        files = [[dest, f.path, executable] for dest, f, executable in files],
    )
    spec_file = ctx.actions.declare_file(ctx.label.name + ".spec.json")
    ctx.actions.write(spec_file, spec.to_json())
    ctx.actions.run(
        executable = "/usr/bin/python3",
        arguments = [ctx.file._tool.path, "--spec", spec_file.path],
        inputs = depset(
            [spec_file, ctx.file._tool, ctx.file._epoch_file, ctx.file._version_file, ctx.info_file] +
            [f for _, f, _ in files],
            transitive = [cc_toolchain.all_files],
        ),
        outputs = [tarball, build_info],
        mnemonic = "TchReleaseTarball",
        progress_message = "Packaging %s" % tarball.short_path,
        use_default_shell_env = True,  # PATH, for --version and cuobjdump
    )
    return [
        DefaultInfo(files = depset([tarball]), runfiles = ctx.runfiles(files = [tarball])),
        OutputGroupInfo(
            build_info = depset([build_info]),
            libraries = depset([archive, shared]),
        ),
    ]

_CUDA_ENABLED = str(Label("//third_party/cuda:enabled"))
_CUDA_ARCHS = str(Label("//third_party/cuda:archs"))

def _flavour_transition_impl(settings, attr):
    if not attr.cuda_archs:
        return {_CUDA_ENABLED: False, _CUDA_ARCHS: settings[_CUDA_ARCHS]}
    return {_CUDA_ENABLED: True, _CUDA_ARCHS: attr.cuda_archs}

# The flavour decides the CUDA switch and architectures, whatever the
# command line says.
_flavour_transition = transition(
    implementation = _flavour_transition_impl,
    inputs = [_CUDA_ARCHS],
    outputs = [_CUDA_ENABLED, _CUDA_ARCHS],
)

_tch_release_tarball = rule(
    implementation = _tarball_impl,
    cfg = _flavour_transition,
    attrs = {
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
        "flavour": attr.string(mandatory = True),
        "cuda_archs": attr.string(doc = "--//third_party/cuda:archs value; empty for cpu"),
        "lib": attr.label(default = Label("//:tch"), providers = [CcInfo]),
        "cli": attr.label(default = Label("//tools/cli:tch"), executable = True, cfg = "target"),
        "license": attr.label(default = Label("//:LICENSE"), allow_single_file = True),
        "examples": attr.label_list(default = [Label("//packaging/examples")], allow_files = True),
        "keys": attr.label_list(default = [Label("//packaging/keys")], allow_files = True),
        "_tool": attr.label(default = Label("//packaging/tools:make_tarball.py"), allow_single_file = True),
        "_version_file": attr.label(default = Label("//:VERSION"), allow_single_file = True),
        "_epoch_file": attr.label(default = Label("//packaging:SOURCE_DATE_EPOCH"), allow_single_file = True),
        "_epoch": attr.label(default = Label("//packaging:source_date_epoch")),
        "_bazel_build": attr.label(default = Label("//packaging/templates:BUILD.tarball.in"), allow_single_file = True),
        "_bazel_workspace": attr.label(default = Label("//packaging/templates:WORKSPACE.tarball.in"), allow_single_file = True),
        "_cmake_config": attr.label(default = Label("//packaging/templates:tchConfig.cmake.in"), allow_single_file = True),
        "_cmake_version": attr.label(default = Label("//packaging/templates:tchConfigVersion.cmake.in"), allow_single_file = True),
        "_cuda_enabled": attr.label(default = Label("//third_party/cuda:enabled")),
        "_archs": attr.label(default = Label("//third_party/cuda:archs")),
        "_cc_toolchain": attr.label(default = Label("@bazel_tools//tools/cpp:current_cc_toolchain")),
    },
    toolchains = ["@bazel_tools//tools/cpp:toolchain_type"],
    fragments = ["cpp"],
)

def tch_release_tarball(name, flavour, cuda_archs = "", **kwargs):
    """One release flavour (see the file comment). CUDA flavours are manual."""
    tags = kwargs.pop("tags", [])
    kwargs.setdefault("visibility", ["//visibility:public"])
    if cuda_archs:
        tags = tags + ["manual"]
    _tch_release_tarball(
        name = name,
        flavour = flavour,
        cuda_archs = cuda_archs,
        tags = tags,
        **kwargs
    )
