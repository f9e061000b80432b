// File: torch/autograd/gradcheck.h
//
// Checks analytic gradients against central finite differences, as
// torch.autograd.gradcheck does: every output element's backward (a row of
// the Jacobian, via autograd::grad) is compared with (f(x+eps) - f(x-eps)) /
// 2eps for every element of every input that requires grad. Inputs must be
// float64 (float32 differences are too coarse to mean anything) and may be
// non-contiguous views; inputs whose elements overlap in memory (expanded
// tensors) are rejected: expand inside `fn` instead, so the expand's own
// gradient is checked too.
//
// Example:
//   auto x = autograd::requires_grad_(randn({3, 4}, DType::kFloat64));
//   std::string failure = autograd::GradCheck(
//       [](const TensorList& in) { return TensorList{ad::tanh(in[0])}; }, {x});
//   EXPECT_EQ(failure, "");
#pragma once

#include <functional>
#include <string>

#include "torch/autograd/node.h"

namespace tch::autograd {

struct GradCheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
};

// "" when every analytic gradient matches (a non-finite value on either side
// never does); otherwise a description of the
// first mismatch (input, element, numerical and analytical values).
std::string GradCheck(const std::function<TensorList(const TensorList&)>& fn,
                      const TensorList& inputs,
                      const GradCheckOptions& options = {});

}  // namespace tch::autograd
