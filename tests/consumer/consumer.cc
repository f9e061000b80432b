// A downstream program using tch as a library through its one public
// include: broadcasting arithmetic, a matmul, an activation and a reduction,
// each checked against values worked out by hand, then a gradient and a few
// training steps of a linear model (exit code 0 on success).
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

  // d/dw sum((x w)^2) = 2 x^T (x w): for x = [[1, 2]], w = [[3], [4]]:
  // x w = 11, gradient 2 * 11 * [1, 2] = [22, 44].
  tch::Tensor weight = tch::autograd::requires_grad_(
      tch::from_vector<float>({3, 4}, {2, 1}));
  tch::Tensor input = tch::from_vector<float>({1, 2}, {1, 2});
  tch::Tensor out = tch::ad::matmul(input, weight);
  tch::autograd::backward(tch::ad::sum(tch::ad::mul(out, out)));
  ok = Check("autograd", tch::autograd::grad_of(weight).ToVector<float>(),
             {22, 44}) &&
       ok;

  // A linear model learns y = 2 x with SGD: the loss must fall.
  auto model = tch::nn::MakeMlp({.in_features = 1,
                                 .hidden = {},
                                 .out_features = 1,
                                 .activation = "relu",
                                 .dropout = 0.0});
  tch::optim::SGD sgd(model->parameters(), {.lr = 0.1,
                                            .momentum = 0.0,
                                            .dampening = 0.0,
                                            .weight_decay = 0.0,
                                            .nesterov = false,
                                            .maximize = false});
  const tch::Tensor xs = tch::from_vector<float>({-1, -0.5, 0.5, 1}, {4, 1});
  const tch::Tensor ys = xs * 2;
  double first = 0, last = 0;
  for (int step = 0; step < 50; ++step) {
    tch::Tensor loss = tch::ad::mse_loss(model->forward(xs), ys);
    (step == 0 ? first : last) = loss.item<double>();
    sgd.zero_grad();
    tch::autograd::backward(loss);
    sgd.step();
  }
  if (!(last < first * 0.01)) {
    std::fprintf(stderr, "consumer: training did not converge (%g -> %g)\n",
                 first, last);
    ok = false;
  }
  if (!ok) return 1;
  std::printf("consumer: OK\n");
  return 0;
}
