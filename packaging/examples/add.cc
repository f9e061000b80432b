// A program using an unpacked tch release: makes two tensors, adds them and
// checks the sum. Build it with the CMakeLists.txt beside it, or from Bazel
// with deps = ["@tch"] (see BUILD.bazel at the top of the release).
#include <cstdio>
#include <iostream>
#include <vector>

#include "torch/core/ops.h"

int main() {
  const tch::Tensor a = tch::arange(0, 6, 1, tch::DType::kFloat32).view({2, 3});
  const tch::Tensor b = tch::from_vector<float>({10, 20, 30});
  const tch::Tensor sum = a + b;  // broadcasts b over the rows
  std::cout << sum << "\n";
  const std::vector<float> want = {10, 21, 32, 13, 24, 35};
  if (sum.ToVector<float>() != want) {
    std::fprintf(stderr, "add: unexpected result\n");
    return 1;
  }
  std::printf("add: OK\n");
  return 0;
}
