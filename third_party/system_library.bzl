"""Repository rule exposing a Debian-installed library as cc_library targets.

The rule never downloads anything. It checks that the library's -dev package
is installed at the version pinned in versions.bzl, then turns pkg-config's
flags into cc_library targets. When the package is missing or at another
version, the generated targets fail at build time with ONE line naming the
apt packages to install (a repository-rule `fail()` would bury that line
under a Starlark traceback).
"""

# Directories the compiler searches by default; -I flags for them are dropped.
_BUILTIN_INCLUDE_DIRS = ["/usr/include", "/usr/local/include"]

def _upstream_version(debian_version):
    """'1:1.2.13.dfsg-1' -> '1.2.13.dfsg' (drops epoch and Debian revision)."""
    version = debian_version.strip()
    if ":" in version:
        version = version.split(":", 1)[1]
    if "-" in version:
        version = version.rsplit("-", 1)[0]
    return version

def _installed_version(ctx, package):
    """Returns the upstream version of an installed Debian package, or None."""
    dpkg = ctx.which("dpkg-query")
    if not dpkg:
        return None
    result = ctx.execute([dpkg, "-W", "-f=${Status}|${Version}", package])
    if result.return_code != 0 or "|" not in result.stdout:
        return None
    status, version = result.stdout.split("|", 1)
    if not status.endswith("installed"):
        return None
    return _upstream_version(version)

def _find_header(ctx, header):
    for directory in _BUILTIN_INCLUDE_DIRS:
        if ctx.path(directory + "/" + header).exists:
            return True
    return False

def _problem(ctx, spec):
    """Returns None when the library is usable, else a one-line message."""
    install = "apt-get install -y " + " ".join(spec.apt)
    for package in spec.apt:
        version = _installed_version(ctx, package)
        if version == None and ctx.which("dpkg-query"):
            return "tch: %s is not installed (needed for @%s); run: %s" % (
                package,
                ctx.name,
                install,
            )
        if version != None and package == spec.apt[0] and not version.startswith(spec.version):
            return ("tch: @%s is pinned to %s %s but %s is installed " +
                    "(third_party/versions.bzl); run: %s") % (
                ctx.name,
                package,
                spec.version,
                version,
                install,
            )
    if not _find_header(ctx, spec.header):
        return "tch: header <%s> not found (needed for @%s); run: %s" % (
            spec.header,
            ctx.name,
            install,
        )
    return None

def _pkg_config(ctx, flag, module):
    result = ctx.execute(["pkg-config", flag, module])
    if result.return_code != 0:
        return None
    return [f for f in result.stdout.strip().split(" ") if f]

def _target_flags(ctx, modules):
    """pkg-config modules or raw -l flags -> (copts, include dirs, linkopts)."""
    copts, includes, linkopts = [], [], []
    for module in modules:
        if module.startswith("-"):
            linkopts.append(module)
            continue
        cflags = _pkg_config(ctx, "--cflags", module)
        libs = _pkg_config(ctx, "--libs", module)
        if cflags == None or libs == None:
            return None
        for flag in cflags:
            if flag.startswith("-I"):
                directory = flag[2:].rstrip("/")
                if directory not in _BUILTIN_INCLUDE_DIRS and directory not in includes:
                    includes.append(directory)
            elif flag not in copts:
                copts.append(flag)
        for flag in libs:
            if flag not in linkopts or not flag.startswith("-l"):
                linkopts.append(flag)
    return copts, includes, linkopts

def _library_build_file(ctx, spec):
    lines = ['package(default_visibility = ["//visibility:public"])', ""]
    linked_dirs = {}
    for target, modules in spec.targets.items():
        flags = _target_flags(ctx, modules)
        if flags == None:
            return None
        copts, includes, linkopts = flags
        local_includes = []
        for directory in includes:
            if directory not in linked_dirs:
                linked_dirs[directory] = "include_%d" % len(linked_dirs)
                ctx.symlink(directory, linked_dirs[directory])
            local_includes.append(linked_dirs[directory])
        lines.append("cc_library(")
        lines.append("    name = %r," % target)
        if local_includes:
            globs = [d + "/**" for d in local_includes]
            lines.append("    hdrs = glob(%r)," % globs)
            lines.append("    includes = %r," % local_includes)
        lines.append("    defines = %r," % [c[2:] for c in copts if c.startswith("-D")])
        lines.append("    linkopts = %r," % linkopts)
        lines.append(")")
        lines.append("")
    return "\n".join(lines)

def _missing_build_file(spec, message):
    lines = [
        'package(default_visibility = ["//visibility:public"])',
        "",
        "# The library is not usable; every target fails with this line.",
        "genrule(",
        '    name = "missing",',
        '    srcs = ["MISSING.txt"],',
        '    outs = ["missing.h"],',
        '    cmd = "cat $< >&2; exit 1",',
        ")",
        "",
    ]
    for target in spec.targets:
        lines.append('cc_library(name = %r, hdrs = [":missing.h"])' % target)
    return "\n".join(lines) + "\n"

def _system_library_impl(ctx):
    spec = struct(
        apt = ctx.attr.apt,
        version = ctx.attr.version,
        header = ctx.attr.header,
        targets = ctx.attr.targets,
    )
    ctx.file("WORKSPACE", "workspace(name = %r)\n" % ctx.name)
    message = _problem(ctx, spec)
    build = None
    if message == None:
        build = _library_build_file(ctx, spec)
        if build == None:
            message = "tch: pkg-config has no flags for @%s; run: apt-get install -y pkg-config %s" % (
                ctx.name,
                " ".join(spec.apt),
            )
    if message != None:
        ctx.file("MISSING.txt", message + "\n")
        build = _missing_build_file(spec, message)
    ctx.file("BUILD.bazel", build)

system_library = repository_rule(
    implementation = _system_library_impl,
    attrs = {
        "apt": attr.string_list(mandatory = True),
        "version": attr.string(mandatory = True),
        "header": attr.string(mandatory = True),
        "targets": attr.string_list_dict(mandatory = True),
    },
    local = True,
    doc = "A Debian-installed C/C++ library, version-checked, as cc_library targets.",
)
