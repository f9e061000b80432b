// File: torch/autograd/functions/pointwise.h
//
// Differentiable pointwise ops: the tch::ad versions of the out-of-place ops
// of torch/core/pointwise_ops.h, with the same signatures, defaults, result
// dtypes and errors (the forward is the core op; they additionally record
// the backward when an input requires grad). Gradients of broadcast inputs
// are summed back to each input's shape. neg is in arith.h.
//
// Example:
//   using namespace tch;
//   Tensor x = autograd::requires_grad_(randn({4, 3}, DType::kFloat64));
//   Tensor y = ad::gelu(ad::clamp(x, -1.0, 1.0), "tanh");
//   autograd::backward(ad::sum(y));  // ad::sum: reduce.h
//
// Gradients follow PyTorch 1.13's derivative formulas, including at points
// where the function is not differentiable:
//   * relu: 0 where the output is 0; abs: sign(x), so 0 at 0.
//   * sign, floor, ceil, round, trunc, div with a rounding mode,
//     floor_divide: zero gradients (the result still requires grad).
//   * maximum/minimum: ties split the gradient half and half.
//   * clamp/clamp_min/clamp_max with Scalar bounds: the gradient passes where
//     min <= x <= max (bounds included). With Tensor bounds, x gets it where
//     min <= x <= max, min where x < min (and min < max), max where x > max
//     (or max < min).
//   * pow: 0 for x where the exponent is 0; 0 for the exponent where the
//     base is 0 and the exponent >= 0.
//   * nan_to_num: 0 where x is NaN or +-inf.
//   * where: the condition gets no gradient.
// Deviation: PyTorch 1.13 has no derivative for remainder(Scalar, Tensor)
// or floor_divide; here they get -floor(a / b) for b and zeros.
// Ops with bool results (comparisons, logical ops, isnan/isinf/isfinite)
// are not differentiable and have no ad version; use the core ones.
//
// Errors: those of the core op (ValueError for shapes that do not broadcast,
// unsupported dtypes, bad option strings), thrown before anything is
// recorded.
#pragma once

#include <optional>
#include <string_view>

#include "torch/core/pointwise_ops.h"
#include "torch/core/scalar.h"
#include "torch/core/tensor.h"

namespace tch::ad {

// --- Unary -------------------------------------------------------------------
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor expm1(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor log2(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor square(const Tensor& x);
Tensor reciprocal(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor erf(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor gelu(const Tensor& x,
            GeluApproximate approximate = GeluApproximate::kNone);
Tensor gelu(const Tensor& x, std::string_view approximate);
Tensor silu(const Tensor& x);
Tensor softplus(const Tensor& x, const Scalar& beta = 1,
                const Scalar& threshold = 20);
Tensor floor(const Tensor& x);
Tensor ceil(const Tensor& x);
Tensor round(const Tensor& x);
Tensor trunc(const Tensor& x);
Tensor nan_to_num(const Tensor& x, std::optional<double> nan = 0.0,
                  std::optional<double> posinf = std::nullopt,
                  std::optional<double> neginf = std::nullopt);

// --- Binary ------------------------------------------------------------------
Tensor remainder(const Tensor& a, const Tensor& b);
Tensor remainder(const Tensor& a, const Scalar& b);
Tensor remainder(const Scalar& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Scalar& exponent);
Tensor pow(const Scalar& base, const Tensor& exponent);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
// rounding_mode nullopt is ad::div of arith.h (true division).
Tensor div(const Tensor& a, const Tensor& b,
           std::optional<std::string_view> rounding_mode);
Tensor div(const Tensor& a, const Scalar& b,
           std::optional<std::string_view> rounding_mode);
Tensor floor_divide(const Tensor& a, const Tensor& b);
Tensor floor_divide(const Tensor& a, const Scalar& b);

// --- Ternary -----------------------------------------------------------------
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b);
Tensor where(const Tensor& cond, const Scalar& a, const Tensor& b);
Tensor where(const Tensor& cond, const Scalar& a, const Scalar& b);
Tensor clamp(const Tensor& x, const std::optional<Scalar>& min,
             const std::optional<Scalar>& max = std::nullopt);
Tensor clamp(const Tensor& x, const std::optional<Tensor>& min,
             const std::optional<Tensor>& max = std::nullopt);
Tensor clamp_min(const Tensor& x, const Scalar& min);
Tensor clamp_max(const Tensor& x, const Scalar& max);
Tensor lerp(const Tensor& start, const Tensor& end, const Scalar& weight);
Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight);
Tensor addcmul(const Tensor& self, const Tensor& t1, const Tensor& t2,
               const Scalar& value = 1);
Tensor addcdiv(const Tensor& self, const Tensor& t1, const Tensor& t2,
               const Scalar& value = 1);

}  // namespace tch::ad
