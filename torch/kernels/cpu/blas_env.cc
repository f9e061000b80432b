#include "torch/kernels/cpu/blas_env.h"

#include <cblas.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "torch/core/cpu_features.h"

namespace tch::cpu {

std::string RecommendedBlasCoreType() {
  const std::string core = openblas_get_corename();
  const bool generic = core == "Prescott" || core == "Core2" ||
                       core == "Nehalem" || core == "Sandybridge";
  const CpuFeatures& cpu = GetCpuFeatures();
  if (!generic || !(cpu.avx2 && cpu.fma)) return "";
  return cpu.avx512f && cpu.avx512bw && cpu.avx512vl ? "SkylakeX" : "Haswell";
}

void MaybeReexecWithFastBlas(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr ||
      std::getenv("TCH_BLAS_REEXEC") != nullptr) {
    return;
  }
  const std::string core = RecommendedBlasCoreType();
  if (core.empty()) return;
  setenv("OPENBLAS_CORETYPE", core.c_str(), /*overwrite=*/0);
  setenv("TCH_BLAS_REEXEC", "1", /*overwrite=*/1);
  execv("/proc/self/exe", argv);
  // Only reached when exec failed: carry on with the slow kernels (the first
  // BLAS call prints a warning saying how to fix it).
}

}  // namespace tch::cpu
