// File: torch/core/cpu_features.h
//
// What the CPU running this process supports, read once with CPUID (and
// XGETBV, so AVX/AVX-512 count only when the OS saves their registers).
// Kernels use it to pick vectorized paths at run time; the build itself never
// assumes more than x86-64 baseline.
//
// Example:
//   if (tch::GetCpuFeatures().avx512f) { ... }
#pragma once

#include <string>

namespace tch {

struct CpuFeatures {
  bool sse42 = false;
  bool avx = false;
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512bf16 = false;
  bool avx512fp16 = false;

  // Space-separated names of the features present, e.g. "sse4.2 avx avx2".
  std::string ToString() const;
};

// The features of this CPU (computed once, thread-safe).
const CpuFeatures& GetCpuFeatures();

}  // namespace tch
