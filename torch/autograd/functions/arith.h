// File: torch/autograd/functions/arith.h
//
// Differentiable elementwise arithmetic with broadcasting: the tch::ad
// versions of torch/core/ops.h (same signatures and semantics; they record
// the graph when an input requires grad). Gradients of broadcast inputs are
// summed back to the input's shape.
//
// Example:
//   using namespace tch;
//   Tensor w = autograd::requires_grad_(ones({3}));
//   Tensor y = ad::mul(ad::add(x, w), 2.0);   // x: [4, 3]
#pragma once

#include "torch/core/scalar.h"
#include "torch/core/tensor.h"

namespace tch::ad {

Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
Tensor add(const Tensor& a, const Scalar& b, const Scalar& alpha = 1);
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
Tensor sub(const Tensor& a, const Scalar& b, const Scalar& alpha = 1);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Scalar& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Scalar& b);
Tensor neg(const Tensor& a);

}  // namespace tch::ad
