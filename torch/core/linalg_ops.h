// File: torch/core/linalg_ops.h
//
// Matrix products with PyTorch 1.13 semantics: matmul (every case of
// torch.matmul), mm, bmm, addmm, baddbmm, dot and outer. Every product goes
// through one kernel, "gemm", that computes a batch of strided
//   C[b] = beta * C[b] + alpha * A[b] @ B[b]
// described by a GemmPlan. The CPU kernel uses OpenBLAS for float32/float64,
// converts float16/bfloat16 to float32 and back, and runs a cache-blocked
// loop for int64/int32/uint8 (integer results wrap around, as in PyTorch).
//
// Example:
//   using namespace tch;
//   Tensor x = ones({128, 784});
//   Tensor w = ones({256, 784});
//   Tensor b = zeros({256});
//   Tensor y = addmm(b, x, w.t());          // a linear layer: [128, 256]
//   Tensor q = ones({8, 64, 32}), k = ones({8, 64, 32});
//   Tensor s = bmm(q, k.transpose(1, 2));   // attention scores [8, 64, 64]
//   Tensor z = matmul(ones({2, 1, 3, 4}), ones({5, 4, 6}));  // [2, 5, 3, 6]
//
// Dtypes: both operands must have the same dtype (no promotion, as in
// PyTorch; outer is the exception: it promotes like mul). Accepted: float32,
// float64, float16, bfloat16, int64, int32, uint8; bool raises
// NotImplementedError. (PyTorch 1.13 has no CPU float16 matmul; tch computes
// it in float32 and rounds once, like its bfloat16 path.)
//
// Errors (ValueError unless noted), with PyTorch's wording:
//   "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)",
//   "self must be a matrix", "batch1 must be a 3D tensor",
//   "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but
//   got: [2, 4].", "expected scalar type Float but found Double" (dtypes),
//   "size mismatch, got input (2), mat (2x3), vec (4)" (matrix-vector),
//   "inconsistent tensor size, ..." (dot), and broadcast errors that name
//   both shapes. Tensors on different devices raise ValueError.
//
// Note [BLAS threads] in torch/kernels/cpu/linalg_kernels.cc says how
// OpenBLAS's threads are kept in step with tch's thread pool.
#pragma once

#include <cstdint>

#include "torch/core/dtype.h"
#include "torch/core/scalar.h"
#include "torch/core/tensor.h"

namespace tch {

// --- User-facing ops
// -----------------------------------------------------------

// torch.matmul. By the operands' dims:
//   1-D · 1-D  -> 0-D dot product;
//   2-D · 2-D  -> matrix product [n, m] x [m, p] -> [n, p];
//   1-D · 2-D  -> [m] x [m, p] -> [p] (a row vector, then squeezed);
//   2-D · 1-D  -> [n, m] x [m] -> [n];
//   N-D (N > 2 for either): batched; the batch dims (all but the last two,
//   with a 1-D operand first turned into a matrix) broadcast by NumPy's
//   rules, e.g. [j, 1, n, m] x [k, m, p] -> [j, k, n, p].
// Errors: 0-D operands, inner sizes that differ, batch dims that do not
// broadcast, different dtypes.
Tensor matmul(const Tensor& a, const Tensor& b);

// Matrix product of 2-D tensors: [n, m] x [m, p] -> [n, p].
Tensor mm(const Tensor& mat1, const Tensor& mat2);

// Batched matrix product of 3-D tensors without broadcasting:
// [b, n, m] x [b, m, p] -> [b, n, p].
Tensor bmm(const Tensor& batch1, const Tensor& batch2);

// beta * self + alpha * (mat1 @ mat2), with `self` broadcastable to the
// product's shape [n, p]. When beta is 0, `self` is ignored (NaN and Inf in
// it do not propagate). For integer dtypes alpha and beta are converted to
// the dtype (truncated).
Tensor addmm(const Tensor& self, const Tensor& mat1, const Tensor& mat2,
             const Scalar& beta = 1, const Scalar& alpha = 1);

// beta * self + alpha * bmm(batch1, batch2), `self` broadcastable to
// [b, n, p]; beta == 0 ignores `self` as in addmm.
Tensor baddbmm(const Tensor& self, const Tensor& batch1, const Tensor& batch2,
               const Scalar& beta = 1, const Scalar& alpha = 1);

// Dot product of two 1-D tensors of equal length -> 0-D tensor.
Tensor dot(const Tensor& a, const Tensor& b);

// Outer product of 1-D tensors: [n] x [m] -> [n, m], out[i][j] = a[i] * b[j].
// Dtypes promote as in mul (bool allowed).
Tensor outer(const Tensor& a, const Tensor& b);

// --- Kernel interface
// ------------------------------------------------------------

// A batch of matrix products, C[b] = beta * C[b] + alpha * A[b] @ B[b], on
// one device, every operand of dtype `dtype`. Strides are in elements.
// Element (i, p) of A[b] is at a + offset_a(b) + i * a_rs + p * a_cs, where
// offset_a(b) decomposes b over batch_sizes (last dim fastest) with
// a_batch_strides; likewise for B (p, j) and C (i, j). Strides of A and B
// are non-negative and otherwise arbitrary (0 for expanded dims, swapped for
// transposed views, > 1 for sliced ones). C has a unit column stride,
// c_rs >= n, its matrices do not overlap each other, A or B.
// Optionally C starts from another tensor S instead of its own contents
// (addmm's `self`, broadcast): when `s` is set and beta != 0, the kernel
// computes C = beta * S + alpha * A @ B, with S (i, j) at s + offset_s(b) +
// i * s_rs + j * s_cs (strides may be 0). This spares a separate copy pass.
// beta == 0 means C's prior contents are ignored (never read).
inline constexpr int kMaxGemmBatchDims = 8;

struct GemmPlan {
  DType dtype = DType::kFloat32;
  int64_t m = 0, n = 0, k = 0;
  int batch_ndim = 0;  // 0: a single product
  int64_t batch_sizes[kMaxGemmBatchDims] = {};
  int64_t a_batch_strides[kMaxGemmBatchDims] = {};
  int64_t b_batch_strides[kMaxGemmBatchDims] = {};
  int64_t c_batch_strides[kMaxGemmBatchDims] = {};
  int64_t s_batch_strides[kMaxGemmBatchDims] = {};
  const void* a = nullptr;
  int64_t a_rs = 0, a_cs = 0;
  const void* b = nullptr;
  int64_t b_rs = 0, b_cs = 0;
  void* c = nullptr;
  int64_t c_rs = 0;
  const void* s = nullptr;  // optional initial value of C (see above)
  int64_t s_rs = 0, s_cs = 0;
  Scalar alpha = 1;
  Scalar beta = 0;

  int64_t batch() const {
    int64_t total = 1;
    for (int d = 0; d < batch_ndim; ++d) total *= batch_sizes[d];
    return total;
  }
};

// Signature of the "gemm" kernel registered per (device, dtype).
using GemmKernel = void(const GemmPlan& plan);

}  // namespace tch
