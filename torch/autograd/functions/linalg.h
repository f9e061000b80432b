// File: torch/autograd/functions/linalg.h
//
// Differentiable matrix products: the tch::ad versions of
// torch/core/linalg_ops.h (same signatures, semantics and errors; they record
// the graph when an input requires grad), plus `linear`, the product every nn
// layer uses.
//
// Gradients follow PyTorch 1.13: for C = A @ B, dA = dC @ B^T and
// dB = A^T @ dC, computed with core mm/bmm/matmul on transposed views (the
// gemm kernel takes strides, so nothing is copied to transpose). matmul sums
// the gradients of broadcast batch dims back to each operand's shape; when an
// N-D operand meets a 1-D/2-D one, its batch dims are folded into the matrix
// rows so the gradient of the 2-D operand is one gemm rather than a batched
// product followed by a sum.
//
// Example:
//   using namespace tch;
//   Tensor w = autograd::requires_grad_(randn({256, 784}));
//   Tensor b = autograd::requires_grad_(zeros({256}));
//   Tensor y = ad::linear(x, w, b);          // x: [batch, 784] -> [batch, 256]
//   Tensor s = ad::matmul(q, ad::transpose(k, -2, -1));  // [B, H, T, T]
//
// Errors: those of the core ops (ValueError for shapes that cannot be
// multiplied or dtypes that differ); linear adds ValueError for a 0-D input
// or a weight that is not 2-D.
#pragma once

#include "torch/core/scalar.h"
#include "torch/core/tensor.h"

namespace tch::ad {

Tensor matmul(const Tensor& a, const Tensor& b);
Tensor mm(const Tensor& mat1, const Tensor& mat2);
Tensor bmm(const Tensor& batch1, const Tensor& batch2);
Tensor addmm(const Tensor& self, const Tensor& mat1, const Tensor& mat2,
             const Scalar& beta = 1, const Scalar& alpha = 1);
Tensor baddbmm(const Tensor& self, const Tensor& batch1, const Tensor& batch2,
               const Scalar& beta = 1, const Scalar& alpha = 1);
Tensor dot(const Tensor& a, const Tensor& b);
// Promotes dtypes like core outer; each gradient takes its input's dtype.
Tensor outer(const Tensor& a, const Tensor& b);

// torch.nn.functional.linear: input @ weight^T + bias, with input [*, in]
// (any number of leading dims, or 1-D [in]), weight [out, in] and bias
// broadcastable to [out] or undefined (Tensor()) for none; the result is
// [*, out]. There is no core op of this name: the forward is ONE core addmm
// (mm without bias) on input viewed as a matrix [prod(*), in] (a view when
// input is contiguous; reshape copies otherwise) and weight.t() (a view), and
// the bias is read by the gemm itself (broadcast, no copy). One node
// ("LinearBackward") computes d_input = dY @ W, d_weight = dY^T @ X (one gemm
// each, over all leading dims at once) and d_bias = dY summed over rows.
Tensor linear(const Tensor& input, const Tensor& weight,
              const Tensor& bias = Tensor());

}  // namespace tch::ad
