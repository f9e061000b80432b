// Derivatives of convolution, pooling and embedding (torch/core/nn_ops.h).
// Each formula calls the core backward kernel; option lists (IntList views)
// are copied into the node because the caller's lists do not outlive the
// forward call.
#include "torch/autograd/functions/nn.h"

#include <array>

#include "torch/autograd/function.h"
#include "torch/core/ops.h"

namespace tch::ad {
namespace {
using autograd::Record;
using autograd::SavedTensor;
using autograd::ShouldRecord;
using autograd::TensorList;
using Needs = std::vector<bool>;

// A tensor with `t`'s shape, dtype and device but no memory of its own (an
// expanded scalar), for backward kernels that read only the input's geometry;
// the node then keeps no copy of the input alive.
Tensor GeometryOf(const Tensor& t) {
  return tch::empty({}, t.dtype(), t.device()).expand(t.sizes());
}

// The conv2d gradients the node's inputs (input, weight, bias) need.
TensorList ConvGrads(const Conv2dGrads& g) {
  return {g.grad_input, g.grad_weight, g.grad_bias};
}

// Records conv2d's node; `backward` runs conv2d_backward with the forward's
// padding (an IntList or a Conv2dPadding) for the given output mask.
template <typename Backward>
Tensor RecordConv(const Tensor& input, const Tensor& weight, const Tensor& bias,
                  Tensor out, Backward backward) {
  return Record(
      "ConvolutionBackward", {input, weight, bias}, std::move(out),
      [si = SavedTensor(input), sw = SavedTensor(weight),
       backward = std::move(backward)](const TensorList& g,
                                       const Needs& needs) -> TensorList {
        const std::array<bool, 3> mask = {needs[0], needs[1], needs[2]};
        return ConvGrads(backward(g[0], si.get(), sw.get(), mask));
      });
}

}  // namespace

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
              IntList stride, IntList padding, IntList dilation,
              int64_t groups) {
  Tensor out =
      tch::conv2d(input, weight, bias, stride, padding, dilation, groups);
  if (!ShouldRecord({input, weight, bias})) return out;
  return RecordConv(input, weight, bias, std::move(out),
                    [stride = stride.ToShape(), padding = padding.ToShape(),
                     dilation = dilation.ToShape(),
                     groups](const Tensor& g, const Tensor& x, const Tensor& w,
                             std::array<bool, 3> mask) {
                      return tch::conv2d_backward(g, x, w, stride, padding,
                                                  dilation, groups, mask);
                    });
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
              IntList stride, Conv2dPadding padding, IntList dilation,
              int64_t groups) {
  Tensor out =
      tch::conv2d(input, weight, bias, stride, padding, dilation, groups);
  if (!ShouldRecord({input, weight, bias})) return out;
  return RecordConv(
      input, weight, bias, std::move(out),
      [stride = stride.ToShape(), padding, dilation = dilation.ToShape(),
       groups](const Tensor& g, const Tensor& x, const Tensor& w,
               std::array<bool, 3> mask) {
        return tch::conv2d_backward(g, x, w, stride, padding, dilation, groups,
                                    mask);
      });
}

std::pair<Tensor, Tensor> max_pool2d_with_indices(
    const Tensor& input, IntList kernel_size, IntList stride, IntList padding,
    IntList dilation, bool ceil_mode) {
  auto [out, indices] = tch::max_pool2d_with_indices(
      input, kernel_size, stride, padding, dilation, ceil_mode);
  if (!ShouldRecord({input})) return {out, indices};
  // The backward needs the argmax positions, not the input's values. The
  // indices handed to the caller are saved as they are: changing them in
  // place would route gradients wrongly, so the version check covers them.
  out =
      Record("MaxPool2DWithIndicesBackward", {input}, std::move(out),
             [like_input = GeometryOf(input), sidx = SavedTensor(indices)](
                 const TensorList& g, const Needs&) -> TensorList {
               return {tch::max_pool2d_backward(g[0], like_input, sidx.get())};
             });
  return {out, indices};
}

Tensor max_pool2d(const Tensor& input, IntList kernel_size, IntList stride,
                  IntList padding, IntList dilation, bool ceil_mode) {
  if (!ShouldRecord({input})) {
    return tch::max_pool2d(input, kernel_size, stride, padding, dilation,
                           ceil_mode);
  }
  return ad::max_pool2d_with_indices(input, kernel_size, stride, padding,
                                     dilation, ceil_mode)
      .first;
}

Tensor avg_pool2d(const Tensor& input, IntList kernel_size, IntList stride,
                  IntList padding, bool ceil_mode, bool count_include_pad,
                  std::optional<int64_t> divisor_override) {
  Tensor out = tch::avg_pool2d(input, kernel_size, stride, padding, ceil_mode,
                               count_include_pad, divisor_override);
  if (!ShouldRecord({input})) return out;
  return Record(
      "AvgPool2DBackward", {input}, std::move(out),
      [like_input = GeometryOf(input), kernel_size = kernel_size.ToShape(),
       stride = stride.ToShape(), padding = padding.ToShape(), ceil_mode,
       count_include_pad,
       divisor_override](const TensorList& g, const Needs&) -> TensorList {
        return {tch::avg_pool2d_backward(g[0], like_input, kernel_size, stride,
                                         padding, ceil_mode, count_include_pad,
                                         divisor_override)};
      });
}

Tensor adaptive_avg_pool2d(const Tensor& input, IntList output_size) {
  Tensor out = tch::adaptive_avg_pool2d(input, output_size);
  if (!ShouldRecord({input})) return out;
  return Record("AdaptiveAvgPool2DBackward", {input}, std::move(out),
                [like_input = GeometryOf(input)](const TensorList& g,
                                                 const Needs&) -> TensorList {
                  return {tch::adaptive_avg_pool2d_backward(g[0], like_input)};
                });
}

Tensor embedding(const Tensor& weight, const Tensor& indices,
                 std::optional<int64_t> padding_idx) {
  Tensor out = tch::embedding(weight, indices, padding_idx);
  if (!ShouldRecord({weight})) return out;
  return Record("EmbeddingBackward", {weight}, std::move(out),
                [sidx = SavedTensor(indices), num_weights = weight.size(0),
                 padding_idx](const TensorList& g, const Needs&) -> TensorList {
                  return {tch::embedding_backward(g[0], sidx.get(), num_weights,
                                                  padding_idx)};
                });
}

}  // namespace tch::ad
