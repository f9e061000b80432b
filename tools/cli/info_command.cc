// `tch info`: what this binary was built with and what it can see.
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "tools/cli/build_info.h"
#include "tools/cli/commands.h"
#include "torch/core/cpu_features.h"
#include "torch/core/device.h"
#include "torch/core/parallel.h"

namespace tch::cli {
namespace {

std::string Compiler() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("g++ ") + __VERSION__;
#else
  return "unknown";
#endif
}

std::string ThreadCount() {
  const char* env = std::getenv("TCH_NUM_THREADS");
  const std::string source = env != nullptr && *env != '\0'
                                 ? "from TCH_NUM_THREADS"
                                 : "hardware threads";
  return std::to_string(GetNumThreads()) + " (" + source + "; " +
         std::to_string(std::thread::hardware_concurrency()) +
         " hardware threads)";
}

}  // namespace

int RunInfo(int /*argc*/, char** /*argv*/) {
  const BuildInfo& info = GetBuildInfo();
  std::cout << "tch " << info.version << "\n"
            << "git commit:        " << info.git_commit << "\n"
            << "compiler:          " << Compiler() << "\n"
            << "build:             " << info.compilation_mode << ", "
            << (info.cuda_enabled ? "cuda" : "cpu") << "\n"
            << "cpu features:      " << GetCpuFeatures().ToString() << "\n"
            << "threads:           " << ThreadCount() << "\n";
  if (info.cuda_enabled) {
    std::cout << "cuda:              compiled in (CUDA " << info.cuda_version
              << ", cuDNN " << info.cudnn_version << ", NCCL "
              << info.nccl_version << ")\n"
              << "cuda architectures: " << info.cuda_archs << "\n";
  } else {
    std::cout << "cuda:              not compiled in (build with "
                 "--config=cuda)\n";
  }
  const DeviceBackend* cuda = GetDeviceBackend(DeviceType::kCuda);
  if (cuda == nullptr) {
    std::cout << "gpus:              none (no CUDA support in this build)\n";
  } else if (cuda->DeviceCount() == 0) {
    std::cout << "gpus:              none (" << cuda->Unavailable() << ")\n";
  } else {
    for (int i = 0; i < cuda->DeviceCount(); ++i) {
      std::cout << "gpu " << i << ":             " << cuda->Describe(i) << "\n";
    }
  }
  std::cout << "dependencies:      " << info.dependencies << "\n";
  return 0;
}

}  // namespace tch::cli
