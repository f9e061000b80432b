// File: torch/core/nn_ops.h
//
// Neural-network ops over NCHW images: 2-D convolution, max / average /
// adaptive average pooling, and embedding lookup, each with the backward
// kernels autograd needs (PyTorch 1.13 semantics). Inputs may be batched
// [N, C, H, W] or unbatched [C, H, W] (the result then has no batch dim);
// non-contiguous inputs are accepted (copied to contiguous first).
//
// Example:
//   using namespace tch;
//   Tensor x = ones({8, 1, 28, 28});
//   Tensor w = ones({32, 1, 3, 3}), b = zeros({32});
//   Tensor y = conv2d(x, w, b, /*stride=*/{1}, /*padding=*/{1});  //
//   [8,32,28,28] auto [p, idx] = max_pool2d_with_indices(y, {2}); //
//   [8,32,14,14] Conv2dGrads g = conv2d_backward(ones_like(y), x, w, {1}, {1},
//   {1}, 1);
//
// Dtypes: float32 and float64 (float16 and bfloat16 compute in float32);
// embedding's forward takes any weight dtype. Integer images raise
// NotImplementedError naming the op and dtype.
//
// Errors: ValueError for bad ranks, shapes, parameters and dtype mismatches
// (messages in PyTorch's words: the op, the shapes, what was expected);
// IndexError for embedding indices outside [0, num_weights).
//
// Size parameters (stride, padding, dilation, kernel_size, output_size) take
// one value (used for both H and W) or two (H, W), like PyTorch's int-or-tuple.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "torch/core/tensor.h"

namespace tch {

// --- Convolution
// ---------------------------------------------------------------

// 2-D cross-correlation: out[n, o] = bias[o] + sum over c in o's group and
// the kernel window of weight[o, c, i, j] * in[n, c, h*s + i*d - p, ...].
//   input  [N, C, H, W] or [C, H, W]
//   weight [O, C/groups, kH, kW]; O must be divisible by groups
//   bias   [O] or undefined
//   output [N, O, (H + 2p - d(kH-1) - 1)/s + 1, ...] (or without N)
// Throws ValueError for wrong ranks/shapes, non-positive stride/dilation,
// negative padding, groups not dividing C or O, mismatched dtypes, or an
// input smaller than the dilated kernel.
Tensor conv2d(const Tensor& input, const Tensor& weight,
              const Tensor& bias = Tensor(), IntList stride = {1},
              IntList padding = {0}, IntList dilation = {1},
              int64_t groups = 1);
// PyTorch's padding strings: kValid is no padding; kSame keeps the output
// size equal to the input size (stride must be 1; when the total padding is
// odd, the extra row/column goes at the bottom/right, as in PyTorch).
enum class Conv2dPadding { kValid, kSame };
// "valid" or "same"; throws ValueError for any other string.
Conv2dPadding ParseConv2dPadding(std::string_view padding);

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
              IntList stride, Conv2dPadding padding, IntList dilation = {1},
              int64_t groups = 1);

// Gradients of conv2d; undefined where output_mask is false.
struct Conv2dGrads {
  Tensor grad_input;   // like input
  Tensor grad_weight;  // like weight
  Tensor grad_bias;    // [O]
};

// Backward of conv2d for an upstream gradient `grad_output` (the shape of
// conv2d's output). `padding` is the top/left padding; the output size is
// taken from grad_output, so asymmetric ("same") padding works too.
// output_mask selects {grad_input, grad_weight, grad_bias}.
Conv2dGrads conv2d_backward(const Tensor& grad_output, const Tensor& input,
                            const Tensor& weight, IntList stride,
                            IntList padding, IntList dilation, int64_t groups,
                            std::array<bool, 3> output_mask = {true, true,
                                                               true});
// The same with kValid / kSame padding.
Conv2dGrads conv2d_backward(
    const Tensor& grad_output, const Tensor& input, const Tensor& weight,
    IntList stride, Conv2dPadding padding, IntList dilation, int64_t groups,
    std::array<bool, 3> output_mask = {true, true, true});

// --- Pooling
// ---------------------------------------------------------------------

// Max over each (dilated) window; returns (values, indices) where indices
// (int64) are flat positions h * W + w within each input H*W plane. stride
// defaults (empty list) to kernel_size. padding is implicit -inf and must be
// at most half the kernel size. ceil_mode rounds the output size up, but a
// window never starts inside the right/bottom padding. NaN wins any window
// it is in. Throws ValueError ("Output size is too small") when a dim of the
// output would be < 1.
std::pair<Tensor, Tensor> max_pool2d_with_indices(
    const Tensor& input, IntList kernel_size, IntList stride = {},
    IntList padding = {0}, IntList dilation = {1}, bool ceil_mode = false);
Tensor max_pool2d(const Tensor& input, IntList kernel_size, IntList stride = {},
                  IntList padding = {0}, IntList dilation = {1},
                  bool ceil_mode = false);
// Routes grad_output to the positions named by `indices` (from
// max_pool2d_with_indices on `input`), summing where windows overlap.
// Returns a tensor shaped like input.
Tensor max_pool2d_backward(const Tensor& grad_output, const Tensor& input,
                           const Tensor& indices);

// Mean over each window. count_include_pad counts zero padding in the
// divisor; divisor_override (> 0) replaces the divisor.
Tensor avg_pool2d(const Tensor& input, IntList kernel_size, IntList stride = {},
                  IntList padding = {0}, bool ceil_mode = false,
                  bool count_include_pad = true,
                  std::optional<int64_t> divisor_override = std::nullopt);
Tensor avg_pool2d_backward(
    const Tensor& grad_output, const Tensor& input, IntList kernel_size,
    IntList stride = {}, IntList padding = {0}, bool ceil_mode = false,
    bool count_include_pad = true,
    std::optional<int64_t> divisor_override = std::nullopt);

// Mean over the bins floor(i*H/oH) .. ceil((i+1)*H/oH) of each plane, giving
// an [.., oH, oW] output. output_size entries must be >= 0 (0 gives an empty
// output); input dims other than the batch must be non-zero.
Tensor adaptive_avg_pool2d(const Tensor& input, IntList output_size);
Tensor adaptive_avg_pool2d_backward(const Tensor& grad_output,
                                    const Tensor& input);

// --- Embedding
// -------------------------------------------------------------------

// Rows of `weight` [V, D] picked by `indices` (int64 or int32, any shape,
// 0-D included): the result has shape indices.shape + [D] and weight's dtype.
// padding_idx (negative counts from V) only affects the backward. Throws
// IndexError for an index outside [0, V), ValueError for a weight that is not
// 2-D or non-integer indices.
Tensor embedding(const Tensor& weight, const Tensor& indices,
                 std::optional<int64_t> padding_idx = std::nullopt);

// Gradient of embedding w.r.t. weight: a [num_weights, D] tensor with each
// grad_output row (grad_output is indices.shape + [D]) added into the row
// of its index; the padding_idx row stays zero. With scale_grad_by_freq each
// contribution is divided by the number of times its index occurs.
Tensor embedding_backward(const Tensor& grad_output, const Tensor& indices,
                          int64_t num_weights,
                          std::optional<int64_t> padding_idx = std::nullopt,
                          bool scale_grad_by_freq = false);

// --- Kernel signatures (implemented in torch/kernels/<device>/nn_kernels)
// -------
//
// Every tensor in a plan is contiguous, on the op's device, and (except
// indices) of the op's dtype. Output tensors are allocated (uninitialized)
// by the op; kernels write every element, zeroing first where they
// accumulate.

// Geometry of one convolution, unbatched inputs counted as batch 1.
struct Conv2dGeometry {
  int64_t batch, in_channels, in_h, in_w;
  int64_t out_channels, kernel_h, kernel_w, out_h, out_w;
  int64_t stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
  int64_t groups;
};

// "conv2d": output = conv(input, weight) + bias (bias may be undefined).
struct Conv2dPlan {
  Conv2dGeometry g;
  Tensor input, weight, bias, output;
};
using Conv2dKernel = void(const Conv2dPlan&);

// "conv2d_backward": fills each defined gradient tensor.
struct Conv2dBackwardPlan {
  Conv2dGeometry g;
  Tensor grad_output, input, weight;
  Tensor grad_input, grad_weight, grad_bias;  // undefined = not wanted
};
using Conv2dBackwardKernel = void(const Conv2dBackwardPlan&);

// Geometry of one 2-D pooling over `planes` = N*C independent planes.
struct Pool2dGeometry {
  int64_t planes, in_h, in_w, out_h, out_w;
  int64_t kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w;
  int64_t dilation_h, dilation_w;
};

// "max_pool2d": output and indices (int64) [planes, out_h, out_w].
// "max_pool2d_backward": grad_input[planes, in_h*in_w] = zeros, then
// grad_output scattered (added) by indices.
struct MaxPool2dPlan {
  Pool2dGeometry g;
  Tensor input, output, indices;
};
using MaxPool2dKernel = void(const MaxPool2dPlan&);
struct MaxPool2dBackwardPlan {
  Pool2dGeometry g;
  Tensor grad_output, indices, grad_input;
};
using MaxPool2dBackwardKernel = void(const MaxPool2dBackwardPlan&);

// "avg_pool2d" (src = input, dst = output) and "avg_pool2d_backward"
// (src = grad_output, dst = grad_input). divisor_override 0 means none.
struct AvgPool2dPlan {
  Pool2dGeometry g;
  bool count_include_pad;
  int64_t divisor_override;
  Tensor src, dst;
};
using AvgPool2dKernel = void(const AvgPool2dPlan&);

// "adaptive_avg_pool2d" (src = input, dst = output) and
// "adaptive_avg_pool2d_backward" (src = grad_output, dst = grad_input).
// Only planes, in_h/in_w and out_h/out_w of `g` are meaningful.
struct AdaptiveAvgPool2dPlan {
  Pool2dGeometry g;
  Tensor src, dst;
};
using AdaptiveAvgPool2dKernel = void(const AdaptiveAvgPool2dPlan&);

// "embedding" (keyed by weight dtype): output[i, :] = weight[indices[i], :]
// with indices flattened, int64, already range-checked.
struct EmbeddingPlan {
  Tensor weight, indices, output;
};
using EmbeddingKernel = void(const EmbeddingPlan&);

// "embedding_backward": grad_weight [V, D] = scatter-add of grad_output
// [n, D] rows by indices [n] (int64, range-checked), skipping padding_idx
// (-1: none), scaled by 1/count when scale_grad_by_freq.
struct EmbeddingBackwardPlan {
  Tensor grad_output, indices, grad_weight;
  int64_t padding_idx;
  bool scale_grad_by_freq;
};
using EmbeddingBackwardKernel = void(const EmbeddingBackwardPlan&);

}  // namespace tch
