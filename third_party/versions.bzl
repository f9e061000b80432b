"""The pinned table of every system library tch builds against.

One row per Bazel repository. Each row names:
  apt:      the Debian packages that provide it (what to `apt-get install`);
  version:  the upstream version tch is pinned to (prefix match against the
            installed Debian package's upstream version, epoch and Debian
            revision stripped);
  header:   a header whose presence proves the -dev package is installed;
  targets:  target name -> pkg-config modules (or "-l..." link flags) whose
            --cflags/--libs become that cc_library.

ci/setup.sh installs exactly the `apt` packages listed here.
"""

SYSTEM_LIBRARIES = {
    "com_google_absl": struct(
        apt = ["libabsl-dev"],
        version = "20220623",
        header = "absl/base/config.h",
        targets = {
            "absl": [
                "absl_base",
                "absl_flat_hash_map",
                "absl_status",
                "absl_statusor",
                "absl_str_format",
                "absl_strings",
                "absl_synchronization",
                "absl_time",
            ],
        },
    ),
    "com_github_gflags_gflags": struct(
        apt = ["libgflags-dev"],
        version = "2.2.2",
        header = "gflags/gflags.h",
        targets = {"gflags": ["gflags"]},
    ),
    "com_google_googletest": struct(
        apt = ["libgtest-dev", "libgmock-dev"],
        version = "1.12.1",
        header = "gmock/gmock.h",
        targets = {
            "gtest": ["gmock", "gtest"],
            "gtest_main": ["gmock", "gtest_main"],
        },
    ),
    "com_google_benchmark": struct(
        apt = ["libbenchmark-dev"],
        version = "1.7.1",
        header = "benchmark/benchmark.h",
        targets = {
            "benchmark": ["benchmark"],
            "benchmark_main": ["-lbenchmark_main", "benchmark"],
        },
    ),
    "com_github_jbeder_yaml_cpp": struct(
        apt = ["libyaml-cpp-dev"],
        version = "0.7.0",
        header = "yaml-cpp/yaml.h",
        targets = {"yaml_cpp": ["yaml-cpp"]},
    ),
    "com_github_jedisct1_libsodium": struct(
        apt = ["libsodium-dev"],
        version = "1.0.18",
        header = "sodium.h",
        targets = {"libsodium": ["libsodium"]},
    ),
    "zlib": struct(
        apt = ["zlib1g-dev"],
        version = "1.2.13",
        header = "zlib.h",
        targets = {"zlib": ["zlib"]},
    ),
    "openblas": struct(
        apt = ["libopenblas-dev", "libopenblas0-pthread"],
        version = "0.3.21",
        header = "x86_64-linux-gnu/openblas-pthread/cblas.h",
        targets = {"openblas": ["openblas"]},
    ),
    "gloo": struct(
        apt = ["libgloo-dev"],
        version = "0.0~git20220518",
        header = "gloo/config.h",
        targets = {"gloo": ["-lgloo", "-pthread"]},
    ),
    "com_google_highway": struct(
        apt = ["libhwy-dev"],
        version = "1.0.3",
        header = "hwy/highway.h",
        targets = {"hwy": ["libhwy"]},
    ),
    "nlohmann_json": struct(
        apt = ["nlohmann-json3-dev"],
        version = "3.11.2",
        header = "nlohmann/json.hpp",
        targets = {"json": []},
    ),
}

# Debian packages needed by the build and tests that are not libraries
# (installed by ci/setup.sh, not checked by repository rules).
TOOL_PACKAGES = [
    "bazel-bootstrap",
    "g++",
    "git",
    "pkg-config",
    "clang-14",
    "libclang-rt-14-dev",
    "dataset-fashion-mnist",
    "fortunes",
    "minisign",
]
