// File: torch/autograd/functions/random.h
//
// Differentiable dropout: the tch::ad version of core tch::dropout
// (torch/core/random_ops.h), same arguments, same draws from `generator`
// (or DefaultCpuGenerator() when null), same errors. It returns only the
// output tensor: the mask is backward state, kept by the recorded node
// ("DropoutBackward"), whose gradient is core dropout_backward(grad, mask,
// p) = grad * mask / (1 - p) (grad * 0 when p == 1).
// When !training or p == 0 the result is `input` itself (as in core and in
// PyTorch): nothing is recorded and gradients flow straight to the input.
//
// Example:
//   tch::Generator gen(/*seed=*/0);
//   Tensor h = ad::dropout(ad::linear(x, w, b), /*p=*/0.1, training, &gen);
//
// Errors: ValueError for p outside [0, 1] or a non-floating input.
#pragma once

#include "torch/core/generator.h"
#include "torch/core/tensor.h"

namespace tch::ad {

Tensor dropout(const Tensor& input, double p, bool training,
               Generator* generator = nullptr);

}  // namespace tch::ad
