#include "torch/core/nn_ops.h"

#include <algorithm>
#include <string>

#include "torch/core/dispatch.h"
#include "torch/core/ops.h"

namespace tch {
namespace {

const Op kConv2dOp("conv2d");
const Op kConv2dBackwardOp("conv2d_backward");
const Op kMaxPool2dOp("max_pool2d");
const Op kMaxPool2dBackwardOp("max_pool2d_backward");
const Op kAvgPool2dOp("avg_pool2d");
const Op kAvgPool2dBackwardOp("avg_pool2d_backward");
const Op kAdaptiveAvgPool2dOp("adaptive_avg_pool2d");
const Op kAdaptiveAvgPool2dBackwardOp("adaptive_avg_pool2d_backward");
const Op kEmbeddingOp("embedding");
const Op kEmbeddingBackwardOp("embedding_backward");

struct Pair {
  int64_t h, w;
};

// An int-or-pair parameter: one value for both dims, or (H, W).
Pair Expand2(const char* op, const char* name, IntList v) {
  TCH_CHECK(v.size() == 1 || v.size() == 2, op, ": ", name,
            " must be a single int or a pair of ints, got ", v.size(),
            " values ", ShapeToString(v));
  return v.size() == 1 ? Pair{v[0], v[0]} : Pair{v[0], v[1]};
}

std::string DTypeStr(DType d) { return std::string(DTypeName(d)); }

void CheckFloating(const char* op, const Tensor& t, const char* what) {
  TCH_CHECK_T(NotImplementedError, IsFloatingPoint(t.dtype()), op, ": \"", op,
              "\" not implemented for '", t.dtype(), "' (", what,
              " must be a floating-point tensor)");
}

void CheckSameDevice(const char* op, const Tensor& a, const Tensor& b) {
  TCH_CHECK(a.device() == b.device(), op,
            ": expected all tensors to be on the same device, but found at "
            "least two devices, ",
            a.device(), " and ", b.device());
}

// --- Convolution -------------------------------------------------------------

// Checks input/weight/bias and fills everything in the geometry except
// out_h/out_w (which depend on how padding is given).
Conv2dGeometry ConvGeometry(const Tensor& input, const Tensor& weight,
                            const Tensor& bias, Pair stride, Pair dilation,
                            int64_t groups) {
  TCH_CHECK(input.defined() && weight.defined(),
            "conv2d: input and weight must be defined");
  TCH_CHECK(input.dim() == 3 || input.dim() == 4,
            "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got "
            "input of size: ",
            ShapeToString(input.sizes()));
  TCH_CHECK(weight.dim() == 4,
            "conv2d: expected a 4-D weight [O, C/groups, kH, kW], got weight "
            "of size ",
            ShapeToString(weight.sizes()));
  CheckSameDevice("conv2d", input, weight);
  TCH_CHECK(input.dtype() == weight.dtype(), "conv2d: Input type (",
            DTypeStr(input.dtype()), ") and weight type (",
            DTypeStr(weight.dtype()), ") should be the same");
  CheckFloating("conv2d", input, "input");
  TCH_CHECK(groups > 0, "conv2d: non-positive groups is not supported, got ",
            groups);
  TCH_CHECK(stride.h > 0 && stride.w > 0,
            "conv2d: non-positive stride is not supported, got (", stride.h,
            ", ", stride.w, ")");
  TCH_CHECK(dilation.h > 0 && dilation.w > 0,
            "conv2d: dilation should be greater than zero, got (", dilation.h,
            ", ", dilation.w, ")");
  const bool batched = input.dim() == 4;
  Conv2dGeometry g{};
  g.batch = batched ? input.size(0) : 1;
  g.in_channels = input.size(-3);
  g.in_h = input.size(-2);
  g.in_w = input.size(-1);
  g.out_channels = weight.size(0);
  g.kernel_h = weight.size(2);
  g.kernel_w = weight.size(3);
  g.stride_h = stride.h;
  g.stride_w = stride.w;
  g.dilation_h = dilation.h;
  g.dilation_w = dilation.w;
  g.groups = groups;
  TCH_CHECK(g.out_channels % groups == 0, "conv2d: Given groups=", groups,
            ", expected weight to be divisible by ", groups,
            " at dimension 0, but got weight of size ",
            ShapeToString(weight.sizes()), " instead");
  TCH_CHECK(
      g.in_channels % groups == 0 && weight.size(1) == g.in_channels / groups,
      "conv2d: expected weight of shape [O, C/groups, kH, kW] = [.., ",
      g.in_channels % groups == 0 ? std::to_string(g.in_channels / groups)
                                  : std::string("C/groups"),
      ", .., ..] for input with ", g.in_channels,
      " channels and groups=", groups, ", got ", ShapeToString(weight.sizes()),
      " (input of size ", ShapeToString(input.sizes()), ")");
  TCH_CHECK(g.kernel_h > 0 && g.kernel_w > 0,
            "conv2d: weight must have non-zero kernel size, got ",
            ShapeToString(weight.sizes()));
  if (bias.defined()) {
    CheckSameDevice("conv2d", input, bias);
    TCH_CHECK(bias.dim() == 1 && bias.size(0) == g.out_channels,
              "conv2d: Given weight of size ", ShapeToString(weight.sizes()),
              ", expected bias to be 1-dimensional with ", g.out_channels,
              " elements, but got bias of size ", ShapeToString(bias.sizes()),
              " instead");
    TCH_CHECK(bias.dtype() == input.dtype(), "conv2d: Input type (",
              DTypeStr(input.dtype()), ") and bias type (",
              DTypeStr(bias.dtype()), ") should be the same");
  }
  return g;
}

// Sets pad_h/pad_w and out_h/out_w from symmetric padding, checking that the
// dilated kernel fits the padded input.
void SetConvPadding(Conv2dGeometry& g, Pair pad_begin, Pair pad_total) {
  TCH_CHECK(pad_begin.h >= 0 && pad_begin.w >= 0,
            "conv2d: negative padding is not supported, got (", pad_begin.h,
            ", ", pad_begin.w, ")");
  g.pad_h = pad_begin.h;
  g.pad_w = pad_begin.w;
  const int64_t eff_kh = g.dilation_h * (g.kernel_h - 1) + 1;
  const int64_t eff_kw = g.dilation_w * (g.kernel_w - 1) + 1;
  const int64_t padded_h = g.in_h + pad_total.h;
  const int64_t padded_w = g.in_w + pad_total.w;
  TCH_CHECK(padded_h >= eff_kh && padded_w >= eff_kw,
            "conv2d: Calculated padded input size per channel: (", padded_h,
            " x ", padded_w, "). Kernel size: (", eff_kh, " x ", eff_kw,
            "). Kernel size can't be greater than actual input size");
  g.out_h = (padded_h - eff_kh) / g.stride_h + 1;
  g.out_w = (padded_w - eff_kw) / g.stride_w + 1;
}

// (begin, total) padding for kValid / kSame.
std::pair<Pair, Pair> StringPadding(const Conv2dGeometry& g,
                                    Conv2dPadding padding) {
  if (padding == Conv2dPadding::kValid) return {{0, 0}, {0, 0}};
  TCH_CHECK(g.stride_h == 1 && g.stride_w == 1,
            "conv2d: padding='same' is not supported for strided "
            "convolutions");
  const Pair total{g.dilation_h * (g.kernel_h - 1),
                   g.dilation_w * (g.kernel_w - 1)};
  return {{total.h / 2, total.w / 2}, total};
}

Tensor ConvForward(const Tensor& input, const Tensor& weight,
                   const Tensor& bias, const Conv2dGeometry& g) {
  const bool batched = input.dim() == 4;
  Tensor output = batched ? empty({g.batch, g.out_channels, g.out_h, g.out_w},
                                  input.dtype(), input.device())
                          : empty({g.out_channels, g.out_h, g.out_w},
                                  input.dtype(), input.device());
  if (output.numel() == 0) return output;
  Conv2dPlan plan{g, input.contiguous(), weight.contiguous(),
                  bias.defined() ? bias.contiguous() : Tensor(), output};
  if (g.in_channels == 0) {  // an empty sum: just the bias
    output.zero_();
    if (bias.defined()) {
      output.add_(batched ? bias.view({1, g.out_channels, 1, 1})
                          : bias.view({g.out_channels, 1, 1}));
    }
    return output;
  }
  kConv2dOp.Get<Conv2dKernel>(input.device().type, input.dtype())(plan);
  return output;
}

Conv2dGrads ConvBackward(const Tensor& grad_output, const Tensor& input,
                         const Tensor& weight, Conv2dGeometry g,
                         std::array<bool, 3> mask) {
  TCH_CHECK(grad_output.defined(), "conv2d_backward: grad_output is undefined");
  CheckSameDevice("conv2d_backward", input, grad_output);
  TCH_CHECK(grad_output.dtype() == input.dtype(),
            "conv2d_backward: grad_output type (",
            DTypeStr(grad_output.dtype()), ") and input type (",
            DTypeStr(input.dtype()), ") should be the same");
  TCH_CHECK(grad_output.dim() == input.dim() && grad_output.dim() >= 3 &&
                (input.dim() == 3 || grad_output.size(0) == g.batch) &&
                grad_output.size(-3) == g.out_channels,
            "conv2d_backward: expected grad_output of shape [",
            input.dim() == 4 ? std::to_string(g.batch) + ", " : std::string(),
            g.out_channels, ", oH, oW], got ",
            ShapeToString(grad_output.sizes()));
  g.out_h = grad_output.size(-2);
  g.out_w = grad_output.size(-1);
  // The output size must be one conv2d could have produced with this
  // top/left padding (bottom/right padding in [0, top/left + 1]).
  const auto check_dim = [](int64_t in, int64_t k, int64_t s, int64_t d,
                            int64_t p, int64_t out) {
    const int64_t eff = d * (k - 1) + 1;
    for (int64_t extra = p; extra <= p + 1; ++extra) {
      if (in + p + extra >= eff && (in + p + extra - eff) / s + 1 == out) {
        return true;
      }
    }
    return false;
  };
  TCH_CHECK(check_dim(g.in_h, g.kernel_h, g.stride_h, g.dilation_h, g.pad_h,
                      g.out_h) &&
                check_dim(g.in_w, g.kernel_w, g.stride_w, g.dilation_w, g.pad_w,
                          g.out_w),
            "conv2d_backward: grad_output of size ",
            ShapeToString(grad_output.sizes()),
            " does not match the output of conv2d for input of size ",
            ShapeToString(input.sizes()), " and weight of size ",
            ShapeToString(weight.sizes()));
  Conv2dGrads grads;
  if (mask[0]) grads.grad_input = empty_like(input);
  if (mask[1]) grads.grad_weight = empty_like(weight);
  if (mask[2])
    grads.grad_bias = empty({g.out_channels}, input.dtype(), input.device());
  if (!mask[0] && !mask[1] && !mask[2]) return grads;
  if (grad_output.numel() == 0) {
    for (Tensor* t :
         {&grads.grad_input, &grads.grad_weight, &grads.grad_bias}) {
      if (t->defined()) t->zero_();
    }
    return grads;
  }
  Conv2dBackwardPlan plan{g,
                          grad_output.contiguous(),
                          input.contiguous(),
                          weight.contiguous(),
                          grads.grad_input,
                          grads.grad_weight,
                          grads.grad_bias};
  kConv2dBackwardOp.Get<Conv2dBackwardKernel>(input.device().type,
                                              input.dtype())(plan);
  return grads;
}

// --- Pooling
// -------------------------------------------------------------------

// PyTorch's pooling_output_shape.
int64_t PoolOutputSize(int64_t in, int64_t k, int64_t pad, int64_t stride,
                       int64_t dilation, bool ceil_mode) {
  const int64_t num =
      in + 2 * pad - dilation * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  // Floor division (num may be negative).
  int64_t out = (num >= 0 ? num / stride : -((-num + stride - 1) / stride)) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

struct PoolSetup {
  Pool2dGeometry g;
  Shape out_sizes;
};

PoolSetup PoolGeometry(const char* op, const Tensor& input, IntList kernel_size,
                       IntList stride, IntList padding, IntList dilation,
                       bool ceil_mode) {
  TCH_CHECK(input.defined(), op, ": input is undefined");
  const Pair k = Expand2(op, "kernel_size", kernel_size);
  const Pair s = stride.empty() ? k : Expand2(op, "stride", stride);
  const Pair p = Expand2(op, "padding", padding);
  const Pair d = Expand2(op, "dilation", dilation);
  TCH_CHECK(k.h > 0 && k.w > 0, op,
            ": kernel size should be greater than zero, but got kH: ", k.h,
            " kW: ", k.w);
  TCH_CHECK(s.h > 0 && s.w > 0, op,
            ": stride should be greater than zero, but got dH: ", s.h,
            " dW: ", s.w);
  TCH_CHECK(d.h > 0 && d.w > 0, op,
            ": dilation should be greater than zero, but got dilationH: ", d.h,
            " dilationW: ", d.w);
  TCH_CHECK(p.h >= 0 && p.w >= 0 && p.h <= k.h / 2 && p.w <= k.w / 2, op,
            ": pad should be at most half of kernel size, but got pad=(", p.h,
            ", ", p.w, ") and kernel_size=(", k.h, ", ", k.w, ")");
  const bool valid_dims = (input.dim() == 3 || input.dim() == 4) &&
                          input.size(-1) != 0 && input.size(-2) != 0 &&
                          input.size(-3) != 0;
  TCH_CHECK(valid_dims, op,
            ": non-empty 3D or 4D (batch mode) tensor expected for input, got "
            "input of size ",
            ShapeToString(input.sizes()));
  CheckFloating(op, input, "input");
  PoolSetup r;
  Pool2dGeometry& g = r.g;
  g.in_h = input.size(-2);
  g.in_w = input.size(-1);
  g.planes = input.numel() / (g.in_h * g.in_w);
  g.kernel_h = k.h, g.kernel_w = k.w, g.stride_h = s.h, g.stride_w = s.w;
  g.pad_h = p.h, g.pad_w = p.w, g.dilation_h = d.h, g.dilation_w = d.w;
  g.out_h = PoolOutputSize(g.in_h, k.h, p.h, s.h, d.h, ceil_mode);
  g.out_w = PoolOutputSize(g.in_w, k.w, p.w, s.w, d.w, ceil_mode);
  const int64_t c = input.size(-3);
  TCH_CHECK(g.out_h >= 1 && g.out_w >= 1, op, ": Given input size: (", c, "x",
            g.in_h, "x", g.in_w, "). Calculated output size: (", c, "x",
            g.out_h, "x", g.out_w, "). Output size is too small");
  r.out_sizes = input.sizes();
  r.out_sizes[input.dim() - 2] = g.out_h;
  r.out_sizes[input.dim() - 1] = g.out_w;
  return r;
}

void CheckGradOutput(const char* op, const Tensor& grad_output,
                     const Tensor& input, IntList expected) {
  TCH_CHECK(grad_output.defined(), op, ": grad_output is undefined");
  CheckSameDevice(op, input, grad_output);
  TCH_CHECK(grad_output.sizes() == expected.ToShape(), op,
            ": expected grad_output of size ", ShapeToString(expected),
            ", got ", ShapeToString(grad_output.sizes()));
  TCH_CHECK(grad_output.dtype() == input.dtype(), op, ": grad_output type (",
            DTypeStr(grad_output.dtype()), ") and input type (",
            DTypeStr(input.dtype()), ") should be the same");
}

int64_t DivisorOverride(std::optional<int64_t> divisor_override) {
  if (!divisor_override) return 0;
  TCH_CHECK(*divisor_override != 0, "avg_pool2d: divisor must be not zero");
  return *divisor_override;
}

Pool2dGeometry AdaptiveGeometry(const char* op, const Tensor& input,
                                IntList output_size, Shape* out_sizes) {
  TCH_CHECK(input.defined(), op, ": input is undefined");
  TCH_CHECK(input.dim() == 3 || input.dim() == 4, op,
            ": Expected 3D or 4D tensor, but got ",
            ShapeToString(input.sizes()));
  for (int64_t i = 1; i < input.dim(); ++i) {
    TCH_CHECK(input.size(i) > 0, op,
              ": Expected input to have non-zero size for non-batch "
              "dimensions, but input has sizes ",
              ShapeToString(input.sizes()), " with dimension ", i,
              " being empty");
  }
  CheckFloating(op, input, "input");
  const Pair o = Expand2(op, "output_size", output_size);
  TCH_CHECK(o.h >= 0 && o.w >= 0, op,
            ": elements of output_size must be greater than or equal to 0 but "
            "received (",
            o.h, ", ", o.w, ")");
  Pool2dGeometry g{};
  g.in_h = input.size(-2);
  g.in_w = input.size(-1);
  g.planes = input.numel() / (g.in_h * g.in_w);
  g.out_h = o.h;
  g.out_w = o.w;
  *out_sizes = input.sizes();
  (*out_sizes)[input.dim() - 2] = o.h;
  (*out_sizes)[input.dim() - 1] = o.w;
  return g;
}

// Flattened int64 indices, each checked against [0, num_weights).
Tensor CheckedIndices(const char* op, const Tensor& indices,
                      int64_t num_weights) {
  TCH_CHECK(indices.defined(), op, ": indices are undefined");
  TCH_CHECK(
      indices.dtype() == DType::kInt64 || indices.dtype() == DType::kInt32, op,
      ": Expected tensor for argument #1 'indices' to have one of "
      "the following scalar types: Long, Int; but got ",
      indices.dtype(), " instead");
  Tensor flat = indices.to(kCpu, DType::kInt64).contiguous().reshape({-1});
  const int64_t* p = flat.data_ptr<int64_t>();
  for (int64_t i = 0; i < flat.numel(); ++i) {
    TCH_CHECK_T(IndexError, p[i] >= 0 && p[i] < num_weights, op, ": index ",
                p[i], " is out of range for a weight with ", num_weights,
                " rows (index out of range in self)");
  }
  return flat.to(indices.device());
}

int64_t WrapPaddingIdx(const char* op, std::optional<int64_t> padding_idx,
                       int64_t num_weights) {
  if (!padding_idx) return -1;
  int64_t p = *padding_idx;
  TCH_CHECK(p < num_weights && p >= -num_weights, op,
            ": padding_idx must be within num_embeddings, got ", p,
            " for num_embeddings ", num_weights);
  return p < 0 ? p + num_weights : p;
}

}  // namespace

// --- Convolution
// ----------------------------------------------------------------

Conv2dPadding ParseConv2dPadding(std::string_view padding) {
  if (padding == "valid") return Conv2dPadding::kValid;
  TCH_CHECK(padding == "same", "conv2d: Invalid padding string: '", padding,
            "', expected 'valid' or 'same'");
  return Conv2dPadding::kSame;
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
              IntList stride, IntList padding, IntList dilation,
              int64_t groups) {
  Conv2dGeometry g =
      ConvGeometry(input, weight, bias, Expand2("conv2d", "stride", stride),
                   Expand2("conv2d", "dilation", dilation), groups);
  const Pair p = Expand2("conv2d", "padding", padding);
  SetConvPadding(g, p, {2 * p.h, 2 * p.w});
  return ConvForward(input, weight, bias, g);
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
              IntList stride, Conv2dPadding padding, IntList dilation,
              int64_t groups) {
  Conv2dGeometry g =
      ConvGeometry(input, weight, bias, Expand2("conv2d", "stride", stride),
                   Expand2("conv2d", "dilation", dilation), groups);
  const auto [begin, total] = StringPadding(g, padding);
  SetConvPadding(g, begin, total);
  return ConvForward(input, weight, bias, g);
}

Conv2dGrads conv2d_backward(const Tensor& grad_output, const Tensor& input,
                            const Tensor& weight, IntList stride,
                            IntList padding, IntList dilation, int64_t groups,
                            std::array<bool, 3> output_mask) {
  Conv2dGeometry g =
      ConvGeometry(input, weight, Tensor(), Expand2("conv2d", "stride", stride),
                   Expand2("conv2d", "dilation", dilation), groups);
  const Pair p = Expand2("conv2d", "padding", padding);
  SetConvPadding(g, p, {2 * p.h + 1, 2 * p.w + 1});
  return ConvBackward(grad_output, input, weight, g, output_mask);
}

Conv2dGrads conv2d_backward(const Tensor& grad_output, const Tensor& input,
                            const Tensor& weight, IntList stride,
                            Conv2dPadding padding, IntList dilation,
                            int64_t groups, std::array<bool, 3> output_mask) {
  Conv2dGeometry g =
      ConvGeometry(input, weight, Tensor(), Expand2("conv2d", "stride", stride),
                   Expand2("conv2d", "dilation", dilation), groups);
  const auto [begin, total] = StringPadding(g, padding);
  SetConvPadding(g, begin, total);
  return ConvBackward(grad_output, input, weight, g, output_mask);
}

// --- Pooling
// --------------------------------------------------------------------

std::pair<Tensor, Tensor> max_pool2d_with_indices(
    const Tensor& input, IntList kernel_size, IntList stride, IntList padding,
    IntList dilation, bool ceil_mode) {
  PoolSetup s = PoolGeometry("max_pool2d", input, kernel_size, stride, padding,
                             dilation, ceil_mode);
  Tensor output = empty(s.out_sizes, input.dtype(), input.device());
  Tensor indices = empty(s.out_sizes, DType::kInt64, input.device());
  if (output.numel() == 0) return {output, indices};
  MaxPool2dPlan plan{s.g, input.contiguous(), output, indices};
  kMaxPool2dOp.Get<MaxPool2dKernel>(input.device().type, input.dtype())(plan);
  return {output, indices};
}

Tensor max_pool2d(const Tensor& input, IntList kernel_size, IntList stride,
                  IntList padding, IntList dilation, bool ceil_mode) {
  return max_pool2d_with_indices(input, kernel_size, stride, padding, dilation,
                                 ceil_mode)
      .first;
}

Tensor max_pool2d_backward(const Tensor& grad_output, const Tensor& input,
                           const Tensor& indices) {
  const char* op = "max_pool2d_backward";
  TCH_CHECK(input.defined() && indices.defined(), op,
            ": input and indices must be defined");
  TCH_CHECK(input.dim() == 3 || input.dim() == 4, op,
            ": expected a 3D or 4D input, got ", ShapeToString(input.sizes()));
  CheckFloating(op, input, "input");
  TCH_CHECK(indices.dtype() == DType::kInt64, op,
            ": expected int64 indices, got ", indices.dtype());
  CheckGradOutput(op, grad_output, input, indices.sizes());
  TCH_CHECK(indices.dim() == input.dim() &&
                indices.sizes()[0] == input.sizes()[0] &&
                indices.size(-3) == input.size(-3),
            op, ": indices of size ", ShapeToString(indices.sizes()),
            " do not match input of size ", ShapeToString(input.sizes()));
  Pool2dGeometry g{};
  g.in_h = input.size(-2);
  g.in_w = input.size(-1);
  g.out_h = indices.size(-2);
  g.out_w = indices.size(-1);
  g.planes = g.in_h * g.in_w == 0 ? 0 : input.numel() / (g.in_h * g.in_w);
  Tensor grad_input = empty_like(input);
  if (grad_output.numel() == 0) return grad_input.zero_();
  MaxPool2dBackwardPlan plan{g, grad_output.contiguous(), indices.contiguous(),
                             grad_input};
  kMaxPool2dBackwardOp.Get<MaxPool2dBackwardKernel>(input.device().type,
                                                    input.dtype())(plan);
  return grad_input;
}

Tensor avg_pool2d(const Tensor& input, IntList kernel_size, IntList stride,
                  IntList padding, bool ceil_mode, bool count_include_pad,
                  std::optional<int64_t> divisor_override) {
  PoolSetup s = PoolGeometry("avg_pool2d", input, kernel_size, stride, padding,
                             {1}, ceil_mode);
  const int64_t divisor = DivisorOverride(divisor_override);
  Tensor output = empty(s.out_sizes, input.dtype(), input.device());
  if (output.numel() == 0) return output;
  AvgPool2dPlan plan{s.g, count_include_pad, divisor, input.contiguous(),
                     output};
  kAvgPool2dOp.Get<AvgPool2dKernel>(input.device().type, input.dtype())(plan);
  return output;
}

Tensor avg_pool2d_backward(const Tensor& grad_output, const Tensor& input,
                           IntList kernel_size, IntList stride, IntList padding,
                           bool ceil_mode, bool count_include_pad,
                           std::optional<int64_t> divisor_override) {
  PoolSetup s = PoolGeometry("avg_pool2d_backward", input, kernel_size, stride,
                             padding, {1}, ceil_mode);
  const int64_t divisor = DivisorOverride(divisor_override);
  CheckGradOutput("avg_pool2d_backward", grad_output, input, s.out_sizes);
  Tensor grad_input = empty_like(input);
  if (grad_input.numel() == 0) return grad_input;
  AvgPool2dPlan plan{s.g, count_include_pad, divisor, grad_output.contiguous(),
                     grad_input};
  kAvgPool2dBackwardOp.Get<AvgPool2dKernel>(input.device().type,
                                            input.dtype())(plan);
  return grad_input;
}

Tensor adaptive_avg_pool2d(const Tensor& input, IntList output_size) {
  Shape out_sizes;
  Pool2dGeometry g =
      AdaptiveGeometry("adaptive_avg_pool2d", input, output_size, &out_sizes);
  Tensor output = empty(out_sizes, input.dtype(), input.device());
  if (output.numel() == 0) return output;
  AdaptiveAvgPool2dPlan plan{g, input.contiguous(), output};
  kAdaptiveAvgPool2dOp.Get<AdaptiveAvgPool2dKernel>(input.device().type,
                                                    input.dtype())(plan);
  return output;
}

Tensor adaptive_avg_pool2d_backward(const Tensor& grad_output,
                                    const Tensor& input) {
  const char* op = "adaptive_avg_pool2d_backward";
  TCH_CHECK(grad_output.defined(), op, ": grad_output is undefined");
  TCH_CHECK(grad_output.dim() == input.dim() && grad_output.dim() >= 2, op,
            ": expected grad_output with the rank of input ",
            ShapeToString(input.sizes()), ", got ",
            ShapeToString(grad_output.sizes()));
  Shape out_sizes;
  Pool2dGeometry g = AdaptiveGeometry(
      op, input, {grad_output.size(-2), grad_output.size(-1)}, &out_sizes);
  CheckGradOutput(op, grad_output, input, out_sizes);
  Tensor grad_input = empty_like(input);
  if (grad_output.numel() == 0) return grad_input.zero_();
  AdaptiveAvgPool2dPlan plan{g, grad_output.contiguous(), grad_input};
  kAdaptiveAvgPool2dBackwardOp.Get<AdaptiveAvgPool2dKernel>(
      input.device().type, input.dtype())(plan);
  return grad_input;
}

// --- Embedding
// ------------------------------------------------------------------

Tensor embedding(const Tensor& weight, const Tensor& indices,
                 std::optional<int64_t> padding_idx) {
  TCH_CHECK(weight.defined(), "embedding: weight is undefined");
  TCH_CHECK(weight.dim() == 2,
            "embedding: 'weight' must be 2-D, got weight "
            "of size ",
            ShapeToString(weight.sizes()));
  WrapPaddingIdx("embedding", padding_idx, weight.size(0));
  Tensor flat = CheckedIndices("embedding", indices, weight.size(0));
  Shape out_sizes = indices.sizes();
  out_sizes.push_back(weight.size(1));
  Tensor output = empty(out_sizes, weight.dtype(), weight.device());
  if (output.numel() == 0) return output;
  EmbeddingPlan plan{weight.contiguous(), flat, output};
  kEmbeddingOp.Get<EmbeddingKernel>(weight.device().type, weight.dtype())(plan);
  return output;
}

Tensor embedding_backward(const Tensor& grad_output, const Tensor& indices,
                          int64_t num_weights,
                          std::optional<int64_t> padding_idx,
                          bool scale_grad_by_freq) {
  const char* op = "embedding_backward";
  TCH_CHECK(grad_output.defined(), op, ": grad_output is undefined");
  TCH_CHECK(num_weights >= 0, op, ": num_weights must be >= 0, got ",
            num_weights);
  CheckFloating(op, grad_output, "grad_output");
  const int64_t pad = WrapPaddingIdx(op, padding_idx, num_weights);
  Tensor flat = CheckedIndices(op, indices, num_weights);
  TCH_CHECK(grad_output.dim() == indices.dim() + 1 &&
                IntList(grad_output.sizes()).size() > 0 &&
                Shape(grad_output.sizes().begin(),
                      grad_output.sizes().end() - 1) == indices.sizes(),
            op, ": expected grad_output of size indices.shape + [D] = ",
            ShapeToString(indices.sizes()), " + [D], got ",
            ShapeToString(grad_output.sizes()));
  const int64_t d = grad_output.size(-1);
  Tensor grad_weight =
      zeros({num_weights, d}, grad_output.dtype(), grad_output.device());
  if (grad_weight.numel() == 0 || flat.numel() == 0) return grad_weight;
  EmbeddingBackwardPlan plan{grad_output.contiguous().reshape({-1, d}), flat,
                             grad_weight, pad, scale_grad_by_freq};
  kEmbeddingBackwardOp.Get<EmbeddingBackwardKernel>(grad_output.device().type,
                                                    grad_output.dtype())(plan);
  return grad_weight;
}

}  // namespace tch
