// File: torch/core/reduce_ops.h
//
// Reductions (sum, mean, prod, max/min, amax/amin, argmax/argmin, var/std,
// logsumexp, norm, all/any) and the cumulative sum, with PyTorch 1.13's
// semantics for dims, keepdim, result dtypes, empty inputs and NaN.
//
// Example:
//   using namespace tch;
//   Tensor x = arange(0, 6, 1, DType::kFloat32).view({2, 3});
//   Tensor rows = sum(x, {1});                    // [3, 12]
//   Tensor cols = mean(x, {0}, /*keepdim=*/true); // [[1.5, 2.5, 3.5]]
//   auto [values, indices] = max(x, -1);          // [2, 5], [2, 2]
//   Tensor total = sum(x.to(DType::kInt32));      // 15, int64
//
// Dims: a list of dims may hold negative dims (-1 is the last) and must not
// repeat one; an empty list reduces every dim. A 0-D input accepts dim 0 and
// -1. With keepdim the reduced dims stay as size 1.
//
// Errors (messages name the op, as PyTorch's do):
//   * IndexError: a dim out of range; max/min/amax/amin/argmax/argmin over an
//     empty dim; argmax/argmin of an empty tensor without a dim.
//   * ValueError: a repeated dim; a dtype the op does not take (mean of
//     integers without a floating `dtype`, var/std/norm of integers);
//     max()/min() of an empty tensor without a dim.
//   * NotImplementedError: argmax/argmin of bool, and (op, device, dtype)
//     combinations without a kernel.
//
// Note [Reduction plan]
// Core describes a reduction to kernels as a ReducePlan: the input viewed as
// [kept dims..., reduced dims...] with byte strides, each group merged where
// memory allows and kept in logical order (so a flat index over the reduced
// dims is row-major, as argmax needs). Kernels therefore handle any layout
// (transposed, sliced, expanded) and pick their own loop order: a
// contiguous innermost reduced dim gives vector runs ("row" reductions), a
// contiguous innermost kept dim gives vectorized accumulation across outputs
// ("column" reductions). Outputs are freshly allocated and contiguous.
#pragma once

#include <cstdint>
#include <optional>

#include "torch/core/dtype.h"
#include "torch/core/tensor.h"

namespace tch {

// --- Kernel interface (for kernels/, not for users)
// ---------------------------

inline constexpr int kMaxReduceDims = 16;

// See Note [Reduction plan]. Dims are innermost first.
struct ReducePlan {
  // Kept dims: sizes, input byte strides and output byte strides.
  int out_ndim = 0;
  int64_t out_sizes[kMaxReduceDims] = {};
  int64_t out_in_strides[kMaxReduceDims] = {};
  int64_t out_strides[kMaxReduceDims] = {};
  // Byte strides of the int64 `indices` output along the kept dims.
  int64_t index_strides[kMaxReduceDims] = {};
  // Reduced dims: sizes and input byte strides.
  int red_ndim = 0;
  int64_t red_sizes[kMaxReduceDims] = {};
  int64_t red_strides[kMaxReduceDims] = {};
  int64_t num_outputs = 0;  // product of out_sizes
  int64_t reduce_size = 0;  // product of red_sizes; may be 0
  const char* in = nullptr;
  char* out = nullptr;      // null for argmax/argmin
  char* indices = nullptr;  // int64 indices (max/min with dim, argmax/argmin)
  DType in_dtype = DType::kFloat32;
  DType out_dtype = DType::kFloat32;
  // Op parameters: norm's p in args[0]; var/std's correction in args[0].
  double args[2] = {0, 0};
};

// A reduction kernel, looked up by (op, device, input dtype).
using ReduceKernel = void(const ReducePlan& plan);

// A scan (cumulative op) along one dim: the other dims are the "outer" dims
// (merged, innermost first) with input and output byte strides.
struct ScanPlan {
  int outer_ndim = 0;
  int64_t outer_sizes[kMaxReduceDims] = {};
  int64_t outer_in_strides[kMaxReduceDims] = {};
  int64_t outer_out_strides[kMaxReduceDims] = {};
  int64_t scan_size = 0;
  int64_t scan_in_stride = 0;   // bytes
  int64_t scan_out_stride = 0;  // bytes
  int64_t num_lines = 0;        // product of outer_sizes
  const char* in = nullptr;
  char* out = nullptr;
  DType in_dtype = DType::kFloat32;
  DType out_dtype = DType::kFloat32;
};

using ScanKernel = void(const ScanPlan& plan);

// --- Sums and products
// ----------------------------------------------------------

// Sum over `dims` (empty: all dims). Result dtype: `dtype` when given (the
// input is converted to it first, as PyTorch does), else int64 for integral
// and bool inputs, else the input dtype. float32 accumulates with pairwise
// vector sums and float64 partials; 16-bit floats accumulate in float32.
Tensor sum(const Tensor& x, std::optional<DType> dtype = std::nullopt);
Tensor sum(const Tensor& x, IntList dims, bool keepdim = false,
           std::optional<DType> dtype = std::nullopt);

// Arithmetic mean over `dims` (empty: all dims). Needs a floating input or
// a floating `dtype` (ValueError otherwise, like PyTorch's "could not infer
// output dtype"). Empty reductions give NaN.
Tensor mean(const Tensor& x, std::optional<DType> dtype = std::nullopt);
Tensor mean(const Tensor& x, IntList dims, bool keepdim = false,
            std::optional<DType> dtype = std::nullopt);

// Product of all elements, or along one dim. Dtype rule as for sum. Empty
// reductions give 1.
Tensor prod(const Tensor& x, std::optional<DType> dtype = std::nullopt);
Tensor prod(const Tensor& x, int64_t dim, bool keepdim = false,
            std::optional<DType> dtype = std::nullopt);

// Cumulative sum along `dim`, same shape as x. Dtype rule as for sum
// (integral and bool inputs accumulate in int64); floats accumulate in
// float64, 16-bit floats in float32.
Tensor cumsum(const Tensor& x, int64_t dim,
              std::optional<DType> dtype = std::nullopt);

// --- Extremes
// -------------------------------------------------------------------

struct ValuesIndices {
  Tensor values;
  Tensor indices;  // int64
};

// Largest/smallest element of the whole tensor (0-D, input dtype). NaN wins.
// ValueError for an empty tensor ("max(): Expected reduction dim to be
// specified for input.numel() == 0 ...").
Tensor max(const Tensor& x);
Tensor min(const Tensor& x);

// Largest/smallest values along `dim` and the index of their first
// occurrence (of the first NaN, if any). IndexError when that dim is empty.
ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim = false);
ValuesIndices min(const Tensor& x, int64_t dim, bool keepdim = false);

// Largest/smallest values over `dims` (empty: all dims), input dtype, NaN
// propagating. IndexError when a reduced dim is empty.
Tensor amax(const Tensor& x, IntList dims = {}, bool keepdim = false);
Tensor amin(const Tensor& x, IntList dims = {}, bool keepdim = false);

// Index (int64) of the first largest/smallest element along `dim`, or in the
// flattened tensor when `dim` is nullopt (keepdim then keeps every dim as
// size 1). NaN counts as largest and as smallest. Not for bool.
Tensor argmax(const Tensor& x, std::optional<int64_t> dim = std::nullopt,
              bool keepdim = false);
Tensor argmin(const Tensor& x, std::optional<int64_t> dim = std::nullopt,
              bool keepdim = false);

// --- Statistics
// -----------------------------------------------------------------

// Variance / standard deviation over `dims` (empty: all dims), dividing by
// max(0, N - correction). Floating inputs only (ValueError otherwise);
// result in the input dtype, computed in float64.
Tensor var(const Tensor& x, IntList dims = {}, int64_t correction = 1,
           bool keepdim = false);
Tensor std(const Tensor& x, IntList dims = {}, int64_t correction = 1,
           bool keepdim = false);

// log(sum(exp(x))) over `dims` (empty: all dims), computed stably by
// shifting with the maximum. Integral inputs give float32, like PyTorch.
// Empty reductions give -inf; +inf inputs give +inf; NaN propagates.
Tensor logsumexp(const Tensor& x, IntList dims, bool keepdim = false);

// Vector p-norm over `dims` (empty: all dims): p = 2 (default), 1, any
// positive or negative p, 0 (count of non-zeros), +inf (max |x|), -inf
// (min |x|). Floating inputs only (or a floating `dtype` the input is first
// converted to); result in that dtype. Empty reductions give 0.
Tensor norm(const Tensor& x, double p = 2, IntList dims = {},
            bool keepdim = false, std::optional<DType> dtype = std::nullopt);

// --- Logical
// --------------------------------------------------------------------

// Whether all / any elements are non-zero, over everything or along one dim.
// Result dtype bool, except uint8 for uint8 inputs (PyTorch 1.13's rule).
Tensor all(const Tensor& x);
Tensor all(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor any(const Tensor& x);
Tensor any(const Tensor& x, int64_t dim, bool keepdim = false);

}  // namespace tch
