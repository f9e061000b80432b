// File: torch/kernels/cpu/blas_env.h
//
// Gets OpenBLAS onto this CPU's fast kernels. See Note [OpenBLAS core type]
// in linalg_kernels.cc: Debian's OpenBLAS 0.3.21 does not recognize recent
// Intel CPUs and falls back to SSE3 kernels (~5x slower sgemm). It reads
// OPENBLAS_CORETYPE only when it is loaded, before any of our code runs, so
// the one fix a program can apply to itself is to re-execute with the
// variable set. Programs (the tch CLI, tests, benchmarks) call
// MaybeReexecWithFastBlas first thing in main(); libraries never do.
//
// Example:
//   int main(int argc, char** argv) {
//     tch::cpu::MaybeReexecWithFastBlas(argv);
//     ...
//   }
#pragma once

#include <string>

namespace tch::cpu {

// The OPENBLAS_CORETYPE value ("SkylakeX" or "Haswell") that gives this CPU
// fast kernels when the loaded OpenBLAS fell back to a generic core; "" when
// OpenBLAS already uses a good core or the CPU has no AVX2/FMA.
std::string RecommendedBlasCoreType();

// When RecommendedBlasCoreType() is not empty and the user has not set
// OPENBLAS_CORETYPE, sets it and re-executes /proc/self/exe with `argv`
// (at most once per process tree: TCH_BLAS_REEXEC guards against loops).
// Returns normally when no re-execution is needed or possible.
void MaybeReexecWithFastBlas(char** argv);

}  // namespace tch::cpu
