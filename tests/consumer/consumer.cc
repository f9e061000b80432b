// A downstream program using tch as a library: builds tensors, does
// broadcasting arithmetic and checks the result (exit code 0 on success).
#include <cstdio>
#include <iostream>
#include <vector>

#include "torch/core/ops.h"

int main() {
  using tch::DType;
  const tch::Tensor x = tch::arange(0, 6, 1, DType::kFloat32).view({2, 3});
  const tch::Tensor bias = tch::from_vector<float>({1, 2, 3});
  const tch::Tensor y = x * 2 + bias;  // [[1, 4, 7], [7, 10, 13]]
  std::cout << y << "\n";
  const std::vector<float> got = y.ToVector<float>();
  const std::vector<float> want = {1, 4, 7, 7, 10, 13};
  if (got != want) {
    std::fprintf(stderr, "consumer: unexpected result\n");
    return 1;
  }
  std::printf("consumer: OK\n");
  return 0;
}
