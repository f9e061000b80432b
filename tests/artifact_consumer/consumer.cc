// Links against an unpacked tch release (not the source tree): creates two
// tensors, adds them and checks the sum. Exit code 0 on success.
#include <cstdio>
#include <iostream>
#include <vector>

#include "torch/core/ops.h"

int main() {
  const tch::Tensor a = tch::ones({2, 3}, tch::DType::kFloat32);
  const tch::Tensor b = tch::from_vector<float>({1, 2, 3});
  const tch::Tensor sum = a + b;  // [[2, 3, 4], [2, 3, 4]]
  std::cout << sum << "\n";
  const std::vector<float> want = {2, 3, 4, 2, 3, 4};
  if (sum.ToVector<float>() != want) {
    std::fprintf(stderr, "artifact consumer: unexpected result\n");
    return 1;
  }
  std::printf("artifact consumer: OK\n");
  return 0;
}
