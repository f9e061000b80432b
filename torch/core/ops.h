// File: torch/core/ops.h
//
// User-facing tensor functions of the core: creation, type promotion, and
// elementwise arithmetic with broadcasting. Each function checks its
// arguments, computes the result's shape and dtype, and calls the kernel
// registered for (op, device, dtype) in dispatch.h.
//
// Example:
//   using namespace tch;
//   Tensor x = arange(0, 6, 1, DType::kFloat32).view({2, 3});
//   Tensor y = ones({3});                  // float32 on the CPU
//   Tensor z = add(x, y, /*alpha=*/2);     // x + 2*y, broadcast over rows
//   Tensor w = x * 0.5 - 1;                // scalars mix with tensors
//
// Errors: ValueError for shapes that do not broadcast or dtypes an op cannot
// take (message names the op and both shapes or dtypes); NotImplementedError
// for (op, device, dtype) combinations without a kernel.
#pragma once

#include <vector>

#include "torch/core/device.h"
#include "torch/core/dtype.h"
#include "torch/core/scalar.h"
#include "torch/core/tensor.h"

namespace tch {

// Options for creation functions. Defaults: float32 on the CPU.
struct TensorOptions {
  DType dtype = DType::kFloat32;
  Device device = kCpu;
};

// --- Creation ----------------------------------------------------------------

// Uninitialized contiguous tensor.
Tensor empty(IntList sizes, DType dtype = DType::kFloat32,
             const Device& device = kCpu);
Tensor zeros(IntList sizes, DType dtype = DType::kFloat32,
             const Device& device = kCpu);
Tensor ones(IntList sizes, DType dtype = DType::kFloat32,
            const Device& device = kCpu);
Tensor full(IntList sizes, const Scalar& value, DType dtype = DType::kFloat32,
            const Device& device = kCpu);
Tensor empty_like(const Tensor& other);
Tensor zeros_like(const Tensor& other);
Tensor ones_like(const Tensor& other);
Tensor full_like(const Tensor& other, const Scalar& value);

// Values start, start+step, ... < end (PyTorch's length rule:
// ceil((end - start) / step)). Throws ValueError when step is 0 or has the
// wrong sign.
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step = 1,
              DType dtype = DType::kInt64, const Device& device = kCpu);
Tensor arange(const Scalar& end, DType dtype = DType::kInt64,
              const Device& device = kCpu);

// `steps` values evenly spaced from `start` to `end` inclusive (computed from
// both ends toward the middle, as PyTorch does, so the last value is exactly
// `end`). Integer dtypes truncate each value. Throws ValueError for
// steps < 0.
Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps,
                DType dtype = DType::kFloat32, const Device& device = kCpu);

// The n x m identity matrix (m = n when omitted). Throws ValueError for
// negative sizes.
Tensor eye(int64_t n, int64_t m = -1, DType dtype = DType::kFloat32,
           const Device& device = kCpu);

// A tensor holding a copy of `values` with the given shape (default: 1-D).
// Throws ValueError when the shape's element count differs from the size.
template <typename T>
Tensor from_vector(const std::vector<T>& values, IntList sizes = {},
                   const Device& device = kCpu);

// A 0-D tensor holding `value`, with dtype `dtype`.
Tensor scalar_tensor(const Scalar& value, DType dtype,
                     const Device& device = kCpu);

// --- Type promotion
// ------------------------------------------------------------

// The dtype of a binary op's result, by PyTorch's rules: tensors with dims
// decide, unless a 0-D tensor or a wrapped scalar is of a higher category
// (bool < integral < floating).
DType ResultType(const Tensor& a, const Tensor& b);
DType ResultType(const Tensor& a, const Scalar& b);

// --- Elementwise arithmetic
// ------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
Tensor add(const Tensor& a, const Scalar& b, const Scalar& alpha = 1);
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
Tensor sub(const Tensor& a, const Scalar& b, const Scalar& alpha = 1);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Scalar& b);
// True division: integer inputs give float32 results, as in PyTorch.
Tensor div(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Scalar& b);

Tensor operator-(const Tensor& a);
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, const Scalar& b);
Tensor operator-(const Tensor& a, const Scalar& b);
Tensor operator*(const Tensor& a, const Scalar& b);
Tensor operator/(const Tensor& a, const Scalar& b);
Tensor operator+(const Scalar& a, const Tensor& b);
Tensor operator*(const Scalar& a, const Tensor& b);

// --- Comparison helpers for tests
// --------------------------------------------------

// True when shapes match and every element differs by at most
// atol + rtol * |expected| (NaNs equal when `equal_nan`).
bool allclose(const Tensor& actual, const Tensor& expected, double rtol = 1e-5,
              double atol = 1e-8, bool equal_nan = false);
// True when shapes and dtypes match and every element is equal.
bool equal(const Tensor& a, const Tensor& b);

}  // namespace tch
