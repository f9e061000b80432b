// main() for tch's tests: re-executes with OpenBLAS on this CPU's fast
// kernels when needed (see torch/kernels/cpu/blas_env.h), then runs
// GoogleTest.
#include <gtest/gtest.h>

#include "torch/kernels/cpu/blas_env.h"

int main(int argc, char** argv) {
  tch::cpu::MaybeReexecWithFastBlas(argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
