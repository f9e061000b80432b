// File: torch/autograd/functions/nn.h
//
// Differentiable convolution, pooling and embedding: the tch::ad versions of
// torch/core/nn_ops.h, with the same signatures, defaults and errors (the
// core op runs first, so bad arguments throw its ValueError / IndexError
// before anything is recorded). When an input requires grad (and grad mode
// is on) the result records a node whose backward calls the core backward
// kernels (conv2d_backward, max_pool2d_backward, ...).
//
// What is differentiable:
//   conv2d               input, weight, bias
//   max_pool2d(_with_indices), avg_pool2d, adaptive_avg_pool2d   input
//   embedding            weight (indices are integers; the padding_idx row
//                        gets a zero gradient, as in PyTorch)
// max_pool2d_with_indices returns the indices without autograd history.
// max_pool2d records through max_pool2d_with_indices (the backward needs
// the argmax positions), so it saves an int64 index tensor per output.
//
// Example:
//   using namespace tch;
//   Tensor w = autograd::requires_grad_(randn({8, 3, 3, 3}));
//   Tensor y = ad::max_pool2d(ad::conv2d(x, w, Tensor(), {1}, {1}), {2});
//   autograd::backward(y, ones_like(y));   // fills autograd::grad_of(w)
//
// Errors: those of the core ops (see torch/core/nn_ops.h). Higher-order
// gradients are not supported (see torch/autograd/function.h).
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "torch/core/nn_ops.h"
#include "torch/core/tensor.h"

namespace tch::ad {

Tensor conv2d(const Tensor& input, const Tensor& weight,
              const Tensor& bias = Tensor(), IntList stride = {1},
              IntList padding = {0}, IntList dilation = {1},
              int64_t groups = 1);
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
              IntList stride, Conv2dPadding padding, IntList dilation = {1},
              int64_t groups = 1);

// The indices (int64) never require grad.
std::pair<Tensor, Tensor> max_pool2d_with_indices(
    const Tensor& input, IntList kernel_size, IntList stride = {},
    IntList padding = {0}, IntList dilation = {1}, bool ceil_mode = false);
Tensor max_pool2d(const Tensor& input, IntList kernel_size, IntList stride = {},
                  IntList padding = {0}, IntList dilation = {1},
                  bool ceil_mode = false);

Tensor avg_pool2d(const Tensor& input, IntList kernel_size, IntList stride = {},
                  IntList padding = {0}, bool ceil_mode = false,
                  bool count_include_pad = true,
                  std::optional<int64_t> divisor_override = std::nullopt);

Tensor adaptive_avg_pool2d(const Tensor& input, IntList output_size);

Tensor embedding(const Tensor& weight, const Tensor& indices,
                 std::optional<int64_t> padding_idx = std::nullopt);

}  // namespace tch::ad
