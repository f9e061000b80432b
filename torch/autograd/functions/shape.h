// File: torch/autograd/functions/shape.h
//
// Differentiable views and copies: the tch::ad versions of the Tensor
// methods of torch/core/tensor.h (same semantics; results of views still
// share storage with their input). Gradients are routed back to the input's
// geometry: reshaped, permuted, or scattered into zeros for slices.
//
// Example:
//   Tensor h = ad::reshape(x, {batch, -1});
//   Tensor last = ad::select(seq, 1, -1);
#pragma once

#include "torch/core/dtype.h"
#include "torch/core/tensor.h"

namespace tch::ad {

Tensor view(const Tensor& x, IntList sizes);
Tensor reshape(const Tensor& x, IntList sizes);
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor unflatten(const Tensor& x, int64_t dim, IntList sizes);
Tensor squeeze(const Tensor& x);
Tensor squeeze(const Tensor& x, int64_t dim);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor permute(const Tensor& x, IntList dims);
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
Tensor t(const Tensor& x);
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end,
             int64_t step = 1);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
Tensor select(const Tensor& x, int64_t dim, int64_t index);
Tensor diagonal(const Tensor& x, int64_t offset = 0, int64_t dim1 = 0,
                int64_t dim2 = 1);
Tensor expand(const Tensor& x, IntList sizes);
Tensor contiguous(const Tensor& x);
Tensor clone(const Tensor& x);
Tensor to(const Tensor& x, DType dtype);

}  // namespace tch::ad
