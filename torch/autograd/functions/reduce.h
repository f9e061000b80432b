// File: torch/autograd/functions/reduce.h
//
// Differentiable reductions: the tch::ad versions of torch/core/reduce_ops.h
// (sum, mean, prod, cumsum, max/min, amax/amin, var/std, logsumexp, norm)
// with the same signatures, defaults, dims/keepdim rules, result dtypes and
// errors; they record the backward when x requires grad. argmax/argmin and
// all/any have integer or bool results and no ad version.
//
// Example:
//   using namespace tch;
//   Tensor x = autograd::requires_grad_(randn({4, 3}, DType::kFloat64));
//   Tensor loss = ad::mean(ad::logsumexp(x, {-1}));
//   autograd::backward(loss);
//   auto [values, indices] = ad::max(x, 1);  // values record, indices don't
//
// Gradients follow PyTorch 1.13, including where the function is not
// differentiable:
//   * max(x)/min(x) of the whole tensor and amax/amin: the gradient is split
//     evenly among the elements equal to the result.
//   * max/min along a dim: all of it goes to the returned index (the first
//     occurrence).
//   * prod: exact with zeros (no division by 0): with one zero in a slice
//     only the zero gets a gradient (the product of the others), with two or
//     more none does.
//   * std: 0 where the result is 0. var/std with N - correction <= 0:
//     2 / (N - correction) * (x - mean), so +-inf (NaN where x equals the
//     mean) for N == correction, like PyTorch over a dim (PyTorch 1.13's
//     all-dims variant raises a shape error there instead).
//   * norm: p = 2 gives 0 at a zero vector; p = 1 gives sign(x); p = +-inf
//     splits among the elements whose |x| is the result; p = 0 gives 0.
// Gradients with a `dtype` argument come back in x's dtype.
//
// Errors: those of the core op (IndexError for dims out of range, ValueError
// for repeated dims or unsupported dtypes), thrown before anything is
// recorded.
#pragma once

#include <cstdint>
#include <optional>

#include "torch/core/dtype.h"
#include "torch/core/reduce_ops.h"
#include "torch/core/tensor.h"

namespace tch::ad {

Tensor sum(const Tensor& x, std::optional<DType> dtype = std::nullopt);
Tensor sum(const Tensor& x, IntList dims, bool keepdim = false,
           std::optional<DType> dtype = std::nullopt);
Tensor mean(const Tensor& x, std::optional<DType> dtype = std::nullopt);
Tensor mean(const Tensor& x, IntList dims, bool keepdim = false,
            std::optional<DType> dtype = std::nullopt);
Tensor prod(const Tensor& x, std::optional<DType> dtype = std::nullopt);
Tensor prod(const Tensor& x, int64_t dim, bool keepdim = false,
            std::optional<DType> dtype = std::nullopt);
Tensor cumsum(const Tensor& x, int64_t dim,
              std::optional<DType> dtype = std::nullopt);

Tensor max(const Tensor& x);
Tensor min(const Tensor& x);
// values records the backward; indices is a plain int64 tensor.
ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim = false);
ValuesIndices min(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor amax(const Tensor& x, IntList dims = {}, bool keepdim = false);
Tensor amin(const Tensor& x, IntList dims = {}, bool keepdim = false);

Tensor var(const Tensor& x, IntList dims = {}, int64_t correction = 1,
           bool keepdim = false);
Tensor std(const Tensor& x, IntList dims = {}, int64_t correction = 1,
           bool keepdim = false);
Tensor logsumexp(const Tensor& x, IntList dims, bool keepdim = false);
Tensor norm(const Tensor& x, double p = 2, IntList dims = {},
            bool keepdim = false, std::optional<DType> dtype = std::nullopt);

}  // namespace tch::ad
