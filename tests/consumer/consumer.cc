// A downstream program using tch as a library through its one public
// include: broadcasting arithmetic, a matmul, an activation and a reduction,
// each checked against values worked out by hand (exit code 0 on success).
#include <cstdio>
#include <iostream>
#include <vector>

#include "torch/tch.h"

namespace {

bool Check(const char* what, const std::vector<float>& got,
           const std::vector<float>& want) {
  if (got == want) return true;
  std::fprintf(stderr, "consumer: unexpected %s\n", what);
  return false;
}

}  // namespace

int main() {
  using tch::DType;
  const tch::Tensor x = tch::arange(0, 6, 1, DType::kFloat32).view({2, 3});
  const tch::Tensor bias = tch::from_vector<float>({1, 2, 3});
  const tch::Tensor y = x * 2 + bias;  // [[1, 4, 7], [7, 10, 13]]
  std::cout << y << "\n";
  // [[1, 4, 7], [7, 10, 13]] @ [[1, -1], [0, 1], [0, 0]] = [[1, 3], [7, 3]]
  const tch::Tensor w = tch::from_vector<float>({1, -1, 0, 1, 0, 0}, {3, 2});
  const tch::Tensor h = tch::relu(tch::matmul(y, w) - 3);  // [[0, 0], [4, 0]]
  const tch::Tensor total = tch::sum(h);                   // 4
  bool ok =
      Check("broadcast arithmetic", y.ToVector<float>(), {1, 4, 7, 7, 10, 13});
  ok = Check("matmul + relu", h.ToVector<float>(), {0, 0, 4, 0}) && ok;
  ok = Check("sum", total.ToVector<float>(), {4}) && ok;
  if (!ok) return 1;
  std::printf("consumer: OK\n");
  return 0;
}
