"""Repository rule that materializes one offline stand-in from bazel_stubs/.

Files named `<path>.stub` under third_party/bazel_stubs/<repo>/ become
`<path>` in the generated repository. The file list is explicit so the rule
does not depend on directory listing.
"""

_STUB_FILES = {
    "rules_cc": ["cc/BUILD", "cc/defs.bzl"],
    "rules_java": ["java/BUILD", "java/defs.bzl"],
    "remote_coverage_tools": ["BUILD", "unavailable.sh"],
}

def _bazel_stub_repository_impl(ctx):
    stub = ctx.attr.stub
    for path in _STUB_FILES[stub]:
        src = ctx.path(Label("//third_party/bazel_stubs:%s/%s.stub" % (stub, path)))
        ctx.template(path, src, executable = path.endswith(".sh"))
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)

bazel_stub_repository = repository_rule(
    implementation = _bazel_stub_repository_impl,
    attrs = {"stub": attr.string(mandatory = True, values = _STUB_FILES.keys())},
    doc = "An offline stand-in for a repository Bazel 4.2.3 would download.",
)
