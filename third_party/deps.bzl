"""tch_dependencies(): every external repository tch needs, declared offline.

Call it from the WORKSPACE of tch itself or of any workspace that vendors tch:

    local_repository(name = "tch", path = "path/to/tch")
    load("@tch//third_party:deps.bzl", "tch_dependencies")
    tch_dependencies()

Each repository is declared only if the workspace has not declared one of the
same name before the call, so a consumer overrides any of them by declaring
it first (for example its own @com_google_absl).
"""

load("//third_party:system_library.bzl", "system_library")
load("//third_party:versions.bzl", "SYSTEM_LIBRARIES")
load("//third_party/bazel_stubs:stubs.bzl", "bazel_stub_repository")
load("//third_party/cuda:cuda_configure.bzl", "cuda_configure")

def _maybe(repo_rule, name, **kwargs):
    if not native.existing_rule(name):
        repo_rule(name = name, **kwargs)

def tch_dependencies():
    """Declares Bazel's offline stand-ins, the system libraries and CUDA."""

    # Bazel 4.2.3 downloads these even for plain C++ builds; the stand-ins
    # must be declared before the WORKSPACE suffix that would fetch them.
    for stub in ["rules_cc", "rules_java", "remote_coverage_tools"]:
        _maybe(bazel_stub_repository, stub, stub = stub)

    for name, spec in SYSTEM_LIBRARIES.items():
        _maybe(
            system_library,
            name,
            apt = spec.apt,
            version = spec.version,
            header = spec.header,
            targets = spec.targets,
        )

    _maybe(cuda_configure, "local_config_cuda")
