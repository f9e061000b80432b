// File: torch/autograd/functions/index.h
//
// Differentiable indexing and shape/copying ops: the tch::ad versions of
// torch/core/index_ops.h (same signatures, semantics and errors; they record
// the graph when an input requires grad). Index and mask tensors never get
// gradients. Gradients follow PyTorch 1.13:
//   index_select, gather      -> index_add / scatter_add into zeros
//   scatter (self)            -> the incoming gradient with the scattered
//                                positions zeroed
//   scatter (src)             -> the gradient gathered at `index` (as in
//                                PyTorch, every src entry of a duplicate
//                                index gets it, not only the one that won)
//   scatter_add, index_add    -> self: unchanged; src: gathered/selected
//                                (times alpha)
//   masked_fill               -> self: gradient where the mask is false;
//                                a 0-D tensor value: sum where it is true
//   masked_select             -> the gradient written back at the mask's
//                                true positions (summed over broadcast dims)
//   cat, stack                -> slices of the gradient, one per input
//   split, chunk              -> ONE node with one output per piece; the
//                                gradient is the pieces' gradients
//                                concatenated
//   repeat                    -> the tiles summed; tril/triu/flip/roll/pad
//                                apply the same (or inverse) op to the
//                                gradient
//   topk, sort                -> values only: the gradient scattered to the
//                                indices; the returned indices are int64 and
//                                never require grad
// one_hot and argsort are not differentiable: use the core tch:: ops.
// Where src of scatter/scatter_add is larger than `index`, src positions that
// `index` does not cover get a zero gradient.
//
// Example:
//   using namespace tch;
//   Tensor emb = autograd::requires_grad_(randn({1000, 64}));
//   Tensor rows = ad::index_select(emb, 0, token_ids);      // [n, 64]
//   Tensor h = ad::cat({rows, extra}, -1);
//   std::vector<Tensor> qkv = ad::chunk(proj, 3, -1);
//   auto [values, indices] = ad::topk(scores, 5);
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "torch/core/scalar.h"
#include "torch/core/tensor.h"

namespace tch::ad {

// --- Indexing ----------------------------------------------------------------
Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index);
Tensor gather(const Tensor& self, int64_t dim, const Tensor& index);
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index,
               const Tensor& src);
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index,
               const Scalar& value);
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index,
                   const Tensor& src);
Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index,
                 const Tensor& source, const Scalar& alpha = 1);
Tensor masked_fill(const Tensor& self, const Tensor& mask, const Scalar& value);
Tensor masked_fill(const Tensor& self, const Tensor& mask, const Tensor& value);
Tensor masked_select(const Tensor& self, const Tensor& mask);

// --- Shape and copying -------------------------------------------------------
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& self, int64_t split_size,
                          int64_t dim = 0);
std::vector<Tensor> split(const Tensor& self, IntList split_sizes,
                          int64_t dim = 0);
std::vector<Tensor> chunk(const Tensor& self, int64_t chunks, int64_t dim = 0);
Tensor repeat(const Tensor& self, IntList repeats);
Tensor tril(const Tensor& self, int64_t diagonal = 0);
Tensor triu(const Tensor& self, int64_t diagonal = 0);
Tensor flip(const Tensor& self, IntList dims);
Tensor roll(const Tensor& self, IntList shifts, IntList dims = {});
Tensor pad(const Tensor& self, IntList pads, const Scalar& value = 0);
std::pair<Tensor, Tensor> topk(const Tensor& self, int64_t k, int64_t dim = -1,
                               bool largest = true, bool sorted = true);
std::pair<Tensor, Tensor> sort(const Tensor& self, int64_t dim = -1,
                               bool descending = false);

}  // namespace tch::ad
