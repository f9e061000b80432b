// File: tools/cli/build_info.h
//
// How this binary was built, filled in by the build (tools/build_defs/
// build_info.bzl): version, git commit, compilation mode, CUDA switch and
// architectures, and the pinned versions of the system libraries.
#pragma once

namespace tch::cli {

struct BuildInfo {
  const char* version;
  const char* git_commit;        // "unknown" outside a git checkout
  const char* compilation_mode;  // opt, dbg, fastbuild
  bool cuda_enabled;
  const char* cuda_archs;  // "sm_90" or "" without CUDA
  const char* cuda_version;
  const char* cudnn_version;
  const char* nccl_version;
  const char* dependencies;  // "name version, ..."
};

const BuildInfo& GetBuildInfo();

}  // namespace tch::cli
