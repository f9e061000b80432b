// Derivative of dropout.
#include "torch/autograd/functions/random.h"

#include "torch/autograd/function.h"
#include "torch/core/error.h"
#include "torch/core/random_ops.h"

namespace tch::ad {

Tensor dropout(const Tensor& input, double p, bool training,
               Generator* generator) {
  if (!training || p == 0.0) {
    // Core's pass-through returns `input` itself, plus an all-true mask we
    // would only throw away: check what core checks and skip it. The
    // identity needs no node.
    TCH_CHECK(p >= 0.0 && p <= 1.0,
              "dropout probability has to be between 0 and 1, but got ", p);
    TCH_CHECK(IsFloatingPoint(input.dtype()),
              "dropout: expected a floating-point input, got ", input.dtype());
    return input;
  }
  DropoutResult result = tch::dropout(input, p, training, generator);
  if (!autograd::ShouldRecord({input})) return result.output;
  return autograd::Record(
      "DropoutBackward", {input}, result.output,
      [mask = autograd::SavedTensor(result.mask), p](
          const autograd::TensorList& g,
          const std::vector<bool>&) -> autograd::TensorList {
        return {tch::dropout_backward(g[0], mask.get(), p)};
      });
}

}  // namespace tch::ad
