// User-facing norm-family ops: argument checks, shapes and dtypes, then the
// registered kernel (see the plans at the end of norm_ops.h). Inputs reach
// kernels as contiguous float32/float64 buffers; 16-bit floats are computed
// in float32 and the results converted back.
#include "torch/core/norm_ops.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "torch/core/dispatch.h"
#include "torch/core/elementwise.h"
#include "torch/core/ops.h"

namespace tch {
namespace {

const Op kSoftmaxOp("softmax");
const Op kSoftmaxBackwardOp("softmax_backward");
const Op kLayerNormOp("layer_norm");
const Op kLayerNormBackwardOp("layer_norm_backward");
const Op kBatchNormOp("batch_norm");
const Op kBatchNormBackwardOp("batch_norm_backward");
const Op kGroupNormOp("group_norm");
const Op kGroupNormBackwardOp("group_norm_backward");
const Op kClassLossOp("class_loss");
const Op kClassLossBackwardOp("class_loss_backward");
const Op kPointwiseLossOp("pointwise_loss");
const Op kPointwiseLossBackwardOp("pointwise_loss_backward");
const Op kSdpaOp("sdpa");
const Op kSdpaBackwardOp("sdpa_backward");

// The dtype kernels compute in: float32 for the 16-bit float types.
DType ComputeType(DType dtype) {
  return dtype == DType::kFloat16 || dtype == DType::kBFloat16 ? DType::kFloat32
                                                               : dtype;
}

void CheckFloating(const char* op, DType dtype, const char* what) {
  TCH_CHECK_T(NotImplementedError, IsFloatingPoint(dtype), op,
              ": not implemented for '", dtype, "' (", what,
              " must be a floating point tensor)");
}

// A contiguous tensor with t's values in `dtype` (t itself when it is one).
Tensor Prepare(const Tensor& t, DType dtype) {
  return t.to(dtype).contiguous();
}
Tensor PrepareOptional(const Tensor& t, DType dtype) {
  return t.defined() ? Prepare(t, dtype) : Tensor();
}
const void* DataOrNull(const Tensor& t) {
  return t.defined() ? t.raw_data() : nullptr;
}
void* MutableDataOrNull(const Tensor& t) {
  return t.defined() ? t.raw_data() : nullptr;
}
Tensor ToOptional(const Tensor& t, DType dtype) {
  return t.defined() ? t.to(dtype) : t;
}

int64_t Product(const Shape& sizes, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= sizes[i];
  return p;
}

bool SameShape(IntList a, IntList b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

void CheckSameShape(const char* op, const char* a_name, const Tensor& a,
                    const char* b_name, const Tensor& b) {
  TCH_CHECK(SameShape(a.sizes(), b.sizes()), op, ": ", a_name, " of shape ",
            ShapeToString(a.sizes()), " does not match ", b_name, " of shape ",
            ShapeToString(b.sizes()));
}

// --- Softmax -----------------------------------------------------------------

SoftmaxPlan SoftmaxGeometry(const Tensor& t, int64_t dim) {
  SoftmaxPlan plan;
  const int64_t d = WrapDim(dim, t.dim());
  const Shape& sizes = t.sizes();
  plan.outer = t.dim() == 0 ? 1 : Product(sizes, 0, d);
  plan.dim = t.dim() == 0 ? 1 : sizes[d];
  plan.inner = t.dim() == 0 ? 1 : Product(sizes, d + 1, sizes.size());
  return plan;
}

Tensor SoftmaxImpl(bool log, const Tensor& input, int64_t dim,
                   std::optional<DType> dtype) {
  const char* name = log ? "log_softmax" : "softmax";
  const DType out_dtype = dtype.value_or(input.dtype());
  CheckFloating(name, out_dtype, dtype ? "dtype" : "input");
  SoftmaxPlan plan = SoftmaxGeometry(input, dim);
  const DType ct = ComputeType(out_dtype);
  const Tensor x = Prepare(input, ct);
  Tensor out = empty(input.sizes(), ct, input.device());
  if (out.numel() > 0) {
    plan.input = x.raw_data();
    plan.output = out.raw_data();
    plan.log = log;
    kSoftmaxOp.Get<SoftmaxKernel>(input.device().type, ct)(plan);
  }
  return out.to(out_dtype);
}

Tensor SoftmaxBackwardImpl(bool log, const Tensor& grad_output,
                           const Tensor& output, int64_t dim) {
  const char* name = log ? "log_softmax_backward" : "softmax_backward";
  CheckFloating(name, output.dtype(), "output");
  CheckSameShape(name, "grad_output", grad_output, "output", output);
  SoftmaxPlan plan = SoftmaxGeometry(output, dim);
  const DType ct = ComputeType(output.dtype());
  const Tensor g = Prepare(grad_output, ct);
  const Tensor y = Prepare(output, ct);
  Tensor out = empty(output.sizes(), ct, output.device());
  if (out.numel() > 0) {
    plan.input = g.raw_data();
    plan.output_saved = y.raw_data();
    plan.output = out.raw_data();
    plan.log = log;
    kSoftmaxBackwardOp.Get<SoftmaxKernel>(output.device().type, ct)(plan);
  }
  return out.to(output.dtype());
}

}  // namespace

Tensor softmax(const Tensor& input, int64_t dim, std::optional<DType> dtype) {
  return SoftmaxImpl(false, input, dim, dtype);
}
Tensor log_softmax(const Tensor& input, int64_t dim,
                   std::optional<DType> dtype) {
  return SoftmaxImpl(true, input, dim, dtype);
}
Tensor softmax_backward(const Tensor& grad_output, const Tensor& output,
                        int64_t dim) {
  return SoftmaxBackwardImpl(false, grad_output, output, dim);
}
Tensor log_softmax_backward(const Tensor& grad_output, const Tensor& output,
                            int64_t dim) {
  return SoftmaxBackwardImpl(true, grad_output, output, dim);
}

// --- Layer norm --------------------------------------------------------------

namespace {

// Checks input/weight/bias against normalized_shape; returns the number of
// leading dims (the "axis" where normalization starts).
int64_t CheckLayerNorm(const char* op, const Tensor& input,
                       IntList normalized_shape, const Tensor& weight,
                       const Tensor& bias) {
  CheckFloating(op, input.dtype(), "input");
  const int64_t nd = static_cast<int64_t>(normalized_shape.size());
  TCH_CHECK(nd >= 1, op,
            ": Expected normalized_shape to be at least 1-dimensional, i.e., "
            "containing at least one element, but got normalized_shape = []");
  const int64_t axis = input.dim() - nd;
  const bool match =
      axis >= 0 &&
      std::equal(normalized_shape.begin(), normalized_shape.end(),
                 input.sizes().begin() + std::max<int64_t>(axis, 0));
  if (!match) {
    std::string expected = "[*";
    for (int64_t s : normalized_shape) expected += ", " + std::to_string(s);
    throw ValueError(detail::StrCat(
        op, ": Given normalized_shape=", ShapeToString(normalized_shape),
        ", expected input with shape ", expected, "], but got input of size",
        ShapeToString(input.sizes())));
  }
  for (const auto& [t, name] :
       {std::pair{&weight, "weight"}, std::pair{&bias, "bias"}}) {
    TCH_CHECK(!t->defined() || SameShape(t->sizes(), normalized_shape), op,
              ": Expected ", name,
              " to be of same shape as normalized_shape, "
              "but got ",
              name, " of shape ", ShapeToString(t->sizes()),
              " and normalized_shape = ", ShapeToString(normalized_shape));
  }
  return axis;
}

}  // namespace

LayerNormResult layer_norm(const Tensor& input, IntList normalized_shape,
                           const Tensor& weight, const Tensor& bias,
                           double eps) {
  const int64_t axis =
      CheckLayerNorm("layer_norm", input, normalized_shape, weight, bias);
  const DType dtype = input.dtype(), ct = ComputeType(dtype);
  const Shape& sizes = input.sizes();
  Shape stat_shape(sizes.begin(), sizes.begin() + axis);
  stat_shape.resize(sizes.size(), 1);
  const Tensor x = Prepare(input, ct);
  const Tensor w = PrepareOptional(weight, ct), b = PrepareOptional(bias, ct);
  Tensor out = empty(sizes, ct, input.device());
  Tensor mean = empty(stat_shape, ct, input.device());
  Tensor rstd = empty(stat_shape, ct, input.device());
  LayerNormPlan plan;
  plan.rows = Product(sizes, 0, axis);
  plan.cols = Product(sizes, axis, sizes.size());
  if (plan.rows > 0) {
    plan.input = x.raw_data();
    plan.weight = DataOrNull(w);
    plan.bias = DataOrNull(b);
    plan.output = out.raw_data();
    plan.mean = mean.raw_data();
    plan.rstd = rstd.raw_data();
    plan.eps = eps;
    kLayerNormOp.Get<LayerNormKernel>(input.device().type, ct)(plan);
  }
  return {out.to(dtype), mean.to(dtype), rstd.to(dtype)};
}

NormBackwardResult layer_norm_backward(const Tensor& grad_output,
                                       const Tensor& input,
                                       IntList normalized_shape,
                                       const Tensor& mean, const Tensor& rstd,
                                       const Tensor& weight, const Tensor& bias,
                                       std::array<bool, 3> output_mask) {
  const char* op = "layer_norm_backward";
  const int64_t axis =
      CheckLayerNorm(op, input, normalized_shape, weight, bias);
  CheckSameShape(op, "grad_output", grad_output, "input", input);
  const DType dtype = input.dtype(), ct = ComputeType(dtype);
  const Shape& sizes = input.sizes();
  LayerNormPlan plan;
  plan.rows = Product(sizes, 0, axis);
  plan.cols = Product(sizes, axis, sizes.size());
  TCH_CHECK(mean.numel() == plan.rows && rstd.numel() == plan.rows, op,
            ": expected mean and rstd with ", plan.rows,
            " elements, got shapes ", ShapeToString(mean.sizes()), " and ",
            ShapeToString(rstd.sizes()));
  NormBackwardResult r;
  const Device& device = input.device();
  if (output_mask[0]) r.grad_input = empty(sizes, ct, device);
  if (output_mask[1]) r.grad_weight = zeros(normalized_shape, ct, device);
  if (output_mask[2]) r.grad_bias = zeros(normalized_shape, ct, device);
  if (plan.rows > 0 && plan.cols > 0) {
    const Tensor g = Prepare(grad_output, ct), x = Prepare(input, ct);
    const Tensor m = Prepare(mean, ct), s = Prepare(rstd, ct);
    const Tensor w = PrepareOptional(weight, ct);
    plan.grad_output = g.raw_data();
    plan.input = x.raw_data();
    plan.mean = m.raw_data();
    plan.rstd = s.raw_data();
    plan.weight = DataOrNull(w);
    plan.output = MutableDataOrNull(r.grad_input);
    plan.grad_weight = MutableDataOrNull(r.grad_weight);
    plan.grad_bias = MutableDataOrNull(r.grad_bias);
    kLayerNormBackwardOp.Get<LayerNormKernel>(device.type, ct)(plan);
  }
  return {ToOptional(r.grad_input, dtype), ToOptional(r.grad_weight, dtype),
          ToOptional(r.grad_bias, dtype)};
}

// --- Batch norm --------------------------------------------------------------

namespace {

// Checks a [N, C, ...] input and the per-channel parameters; fills the
// plan's n, c, hw.
void CheckChannelInput(const char* op, const Tensor& input,
                       ChannelNormPlan* plan) {
  CheckFloating(op, input.dtype(), "input");
  TCH_CHECK(input.dim() >= 2, op,
            ": expected an input of shape [N, C, ...] "
            "(at least 2-D), got ",
            ShapeToString(input.sizes()));
  plan->n = input.size(0);
  plan->c = input.size(1);
  plan->hw = Product(input.sizes(), 2, input.sizes().size());
}

void CheckPerChannel(const char* op, const Tensor& t, const char* name,
                     int64_t c) {
  TCH_CHECK(!t.defined() || (t.dim() == 1 && t.numel() == c), op, ": ", name,
            " should contain ", c, " elements not ",
            t.defined() ? t.numel() : 0, " (shape ",
            t.defined() ? ShapeToString(t.sizes()) : std::string("[]"), ")");
}

}  // namespace

BatchNormResult batch_norm(const Tensor& input, const Tensor& running_mean,
                           const Tensor& running_var, const Tensor& weight,
                           const Tensor& bias, bool training, double momentum,
                           double eps) {
  const char* op = "batch_norm";
  ChannelNormPlan plan;
  CheckChannelInput(op, input, &plan);
  CheckPerChannel(op, running_mean, "running_mean", plan.c);
  CheckPerChannel(op, running_var, "running_var", plan.c);
  CheckPerChannel(op, weight, "weight", plan.c);
  CheckPerChannel(op, bias, "bias", plan.c);
  TCH_CHECK(!training || plan.n * plan.hw != 1, op,
            ": Expected more than 1 value per channel when training, got "
            "input size ",
            ShapeToString(input.sizes()));
  TCH_CHECK(training || (running_mean.defined() && running_var.defined()), op,
            ": running_mean and running_var must be defined in evaluation "
            "mode");
  const DType dtype = input.dtype(), ct = ComputeType(dtype);
  const Device& device = input.device();
  const Tensor x = Prepare(input, ct);
  const Tensor w = PrepareOptional(weight, ct), b = PrepareOptional(bias, ct);
  const Tensor rm = PrepareOptional(running_mean, ct);
  const Tensor rv = PrepareOptional(running_var, ct);
  Tensor out = empty(input.sizes(), ct, device);
  Tensor save_mean = empty({training ? plan.c : 0}, ct, device);
  Tensor save_invstd = empty({training ? plan.c : 0}, ct, device);
  if (training && plan.n * plan.hw == 0) {
    // No values: NaN statistics, running statistics untouched.
    save_mean.fill_(NAN);
    save_invstd.fill_(NAN);
  } else if (input.numel() > 0) {
    plan.input = x.raw_data();
    plan.weight = DataOrNull(w);
    plan.bias = DataOrNull(b);
    plan.output = out.raw_data();
    plan.mean = save_mean.raw_data();
    plan.invstd = save_invstd.raw_data();
    plan.running_mean = MutableDataOrNull(rm);
    plan.running_var = MutableDataOrNull(rv);
    plan.training = training;
    plan.momentum = momentum;
    plan.eps = eps;
    kBatchNormOp.Get<ChannelNormKernel>(device.type, ct)(plan);
    if (training) {
      for (const auto& [work, user] :
           {std::pair{&rm, &running_mean}, std::pair{&rv, &running_var}}) {
        if (!work->defined()) continue;
        if (work->SameImpl(*user)) {
          user->storage().BumpVersion();
        } else {
          Tensor target = *user;  // a handle: copy_ writes the user's storage
          target.copy_(*work);
        }
      }
    }
  }
  return {out.to(dtype), save_mean.to(dtype), save_invstd.to(dtype)};
}

NormBackwardResult batch_norm_backward(
    const Tensor& grad_output, const Tensor& input, const Tensor& weight,
    const Tensor& running_mean, const Tensor& running_var,
    const Tensor& save_mean, const Tensor& save_invstd, bool training,
    double eps, std::array<bool, 3> output_mask) {
  const char* op = "batch_norm_backward";
  ChannelNormPlan plan;
  CheckChannelInput(op, input, &plan);
  CheckSameShape(op, "grad_output", grad_output, "input", input);
  CheckPerChannel(op, weight, "weight", plan.c);
  if (training) {
    TCH_CHECK(save_mean.defined() && save_invstd.defined(), op,
              ": save_mean and save_invstd are required in training mode");
    CheckPerChannel(op, save_mean, "save_mean", plan.c);
    CheckPerChannel(op, save_invstd, "save_invstd", plan.c);
  } else {
    TCH_CHECK(running_mean.defined() && running_var.defined(), op,
              ": running_mean and running_var are required in eval mode");
    CheckPerChannel(op, running_mean, "running_mean", plan.c);
    CheckPerChannel(op, running_var, "running_var", plan.c);
  }
  const DType dtype = input.dtype(), ct = ComputeType(dtype);
  const Device& device = input.device();
  NormBackwardResult r;
  if (output_mask[0]) r.grad_input = empty(input.sizes(), ct, device);
  if (output_mask[1]) r.grad_weight = zeros({plan.c}, ct, device);
  if (output_mask[2]) r.grad_bias = zeros({plan.c}, ct, device);
  if (input.numel() > 0) {
    const Tensor g = Prepare(grad_output, ct), x = Prepare(input, ct);
    const Tensor w = PrepareOptional(weight, ct);
    const Tensor sm = training ? Prepare(save_mean, ct) : Tensor();
    const Tensor si = training ? Prepare(save_invstd, ct) : Tensor();
    const Tensor rm = training ? Tensor() : Prepare(running_mean, ct);
    const Tensor rv = training ? Tensor() : Prepare(running_var, ct);
    plan.grad_output = g.raw_data();
    plan.input = x.raw_data();
    plan.weight = DataOrNull(w);
    plan.mean = MutableDataOrNull(sm);
    plan.invstd = MutableDataOrNull(si);
    plan.running_mean = MutableDataOrNull(rm);
    plan.running_var = MutableDataOrNull(rv);
    plan.output = MutableDataOrNull(r.grad_input);
    plan.grad_weight = MutableDataOrNull(r.grad_weight);
    plan.grad_bias = MutableDataOrNull(r.grad_bias);
    plan.training = training;
    plan.eps = eps;
    kBatchNormBackwardOp.Get<ChannelNormKernel>(device.type, ct)(plan);
  }
  return {ToOptional(r.grad_input, dtype), ToOptional(r.grad_weight, dtype),
          ToOptional(r.grad_bias, dtype)};
}

// --- Group norm --------------------------------------------------------------

namespace {

void CheckGroupNorm(const char* op, const Tensor& input, int64_t num_groups,
                    const Tensor& weight, const Tensor& bias,
                    ChannelNormPlan* plan) {
  CheckChannelInput(op, input, plan);
  TCH_CHECK(num_groups > 0 && plan->c % num_groups == 0, op,
            ": Expected number of channels in input to be divisible by "
            "num_groups, but got input of shape ",
            ShapeToString(input.sizes()), " and num_groups=", num_groups);
  for (const auto& [t, name] :
       {std::pair{&weight, "weight"}, std::pair{&bias, "bias"}}) {
    TCH_CHECK(!t->defined() || (t->dim() == 1 && t->numel() == plan->c), op,
              ": Expected ", name,
              " to be a vector of size equal to the "
              "number of channels in input, but got ",
              name, " of shape ", ShapeToString(t->sizes()),
              " and input of shape ", ShapeToString(input.sizes()));
  }
  plan->groups = num_groups;
}

}  // namespace

GroupNormResult group_norm(const Tensor& input, int64_t num_groups,
                           const Tensor& weight, const Tensor& bias,
                           double eps) {
  ChannelNormPlan plan;
  CheckGroupNorm("group_norm", input, num_groups, weight, bias, &plan);
  const DType dtype = input.dtype(), ct = ComputeType(dtype);
  const Device& device = input.device();
  const Tensor x = Prepare(input, ct);
  const Tensor w = PrepareOptional(weight, ct), b = PrepareOptional(bias, ct);
  Tensor out = empty(input.sizes(), ct, device);
  Tensor mean = empty({plan.n, num_groups}, ct, device);
  Tensor rstd = empty({plan.n, num_groups}, ct, device);
  if (plan.n > 0) {
    plan.input = x.raw_data();
    plan.weight = DataOrNull(w);
    plan.bias = DataOrNull(b);
    plan.output = out.raw_data();
    plan.mean = mean.raw_data();
    plan.invstd = rstd.raw_data();
    plan.eps = eps;
    kGroupNormOp.Get<ChannelNormKernel>(device.type, ct)(plan);
  }
  return {out.to(dtype), mean.to(dtype), rstd.to(dtype)};
}

NormBackwardResult group_norm_backward(const Tensor& grad_output,
                                       const Tensor& input, const Tensor& mean,
                                       const Tensor& rstd, const Tensor& weight,
                                       int64_t num_groups,
                                       std::array<bool, 3> output_mask) {
  const char* op = "group_norm_backward";
  ChannelNormPlan plan;
  CheckGroupNorm(op, input, num_groups, weight, Tensor(), &plan);
  CheckSameShape(op, "grad_output", grad_output, "input", input);
  TCH_CHECK(mean.numel() == plan.n * num_groups &&
                rstd.numel() == plan.n * num_groups,
            op, ": expected mean and rstd of shape [", plan.n, ", ", num_groups,
            "], got ", ShapeToString(mean.sizes()), " and ",
            ShapeToString(rstd.sizes()));
  const DType dtype = input.dtype(), ct = ComputeType(dtype);
  const Device& device = input.device();
  NormBackwardResult r;
  if (output_mask[0]) r.grad_input = empty(input.sizes(), ct, device);
  if (output_mask[1]) r.grad_weight = zeros({plan.c}, ct, device);
  if (output_mask[2]) r.grad_bias = zeros({plan.c}, ct, device);
  if (input.numel() > 0) {
    const Tensor g = Prepare(grad_output, ct), x = Prepare(input, ct);
    const Tensor m = Prepare(mean, ct), s = Prepare(rstd, ct);
    const Tensor w = PrepareOptional(weight, ct);
    plan.grad_output = g.raw_data();
    plan.input = x.raw_data();
    plan.weight = DataOrNull(w);
    plan.mean = m.raw_data();
    plan.invstd = s.raw_data();
    plan.output = MutableDataOrNull(r.grad_input);
    plan.grad_weight = MutableDataOrNull(r.grad_weight);
    plan.grad_bias = MutableDataOrNull(r.grad_bias);
    kGroupNormBackwardOp.Get<ChannelNormKernel>(device.type, ct)(plan);
  }
  return {ToOptional(r.grad_input, dtype), ToOptional(r.grad_weight, dtype),
          ToOptional(r.grad_bias, dtype)};
}

// --- Classification losses ---------------------------------------------------

namespace {

// Checked, kernel-ready arguments of cross_entropy / nll_loss.
struct ClassLossArgs {
  Tensor input, target_index, target_prob, weight;
  Shape loss_shape;  // kNone's result shape
  ClassLossPlan plan;
  DType ct;
};

ClassLossArgs SetupClassLoss(const char* op, const Tensor& input,
                             const Tensor& target,
                             const ClassLossOptions& options, bool logits) {
  CheckFloating(op, input.dtype(), "input");
  TCH_CHECK(input.dim() >= 1, op, ": Expected 1 or more dimensions (got 0)");
  const Shape& sizes = input.sizes();
  const int64_t class_dim = input.dim() == 1 ? 0 : 1;
  ClassLossArgs a;
  ClassLossPlan& p = a.plan;
  p.c = sizes[class_dim];
  p.n = input.dim() == 1 ? 1 : sizes[0];
  p.inner = Product(sizes, 2, sizes.size());
  const bool prob = logits && SameShape(sizes, target.sizes());
  if (prob) {
    TCH_CHECK(IsFloatingPoint(target.dtype()), op,
              ": Expected floating point type for target with class "
              "probabilities, got ",
              target.dtype());
    TCH_CHECK(options.ignore_index < 0, op,
              ": ignore_index is not supported for floating point target");
    a.loss_shape = sizes;
    a.loss_shape.erase(a.loss_shape.begin() + class_dim);
  } else {
    TCH_CHECK(target.dtype() == DType::kInt64, op,
              ": expected a target of class indices with dtype int64 (or "
              "class probabilities of the input's shape ",
              ShapeToString(sizes), "), got ", target.dtype(), " of shape ",
              ShapeToString(target.sizes()));
    if (input.dim() == 1) {
      TCH_CHECK(target.dim() == 0, op, ": a 1-D input of shape ",
                ShapeToString(sizes), " needs a 0-D target, got shape ",
                ShapeToString(target.sizes()));
    } else if (input.dim() == 2) {
      TCH_CHECK(target.dim() == 1, op,
                ": 0D or 1D target tensor expected, "
                "multi-target not supported (input ",
                ShapeToString(sizes), ", target ",
                ShapeToString(target.sizes()), ")");
      TCH_CHECK(target.size(0) == p.n, op, ": Expected input batch_size (", p.n,
                ") to match target batch_size (", target.size(0), ") (input ",
                ShapeToString(sizes), ", target ",
                ShapeToString(target.sizes()), ")");
    } else {
      Shape expected = sizes;
      expected.erase(expected.begin() + 1);
      TCH_CHECK(SameShape(expected, target.sizes()), op,
                ": Expected target size ", ShapeToString(expected), ", got ",
                ShapeToString(target.sizes()), " (input ", ShapeToString(sizes),
                ")");
    }
    a.loss_shape = target.sizes();
  }
  const Tensor& w = options.weight;
  TCH_CHECK(!w.defined() || (w.dim() == 1 && w.numel() == p.c), op,
            ": weight tensor should be defined either for all ", p.c,
            " classes or no classes but got weight tensor of shape: ",
            ShapeToString(w.defined() ? w.sizes() : Shape{}));
  TCH_CHECK(options.label_smoothing >= 0.0 && options.label_smoothing <= 1.0,
            op, ": label_smoothing must be between 0.0 and 1.0. Got: ",
            options.label_smoothing);
  TCH_CHECK(logits || options.label_smoothing == 0.0, op,
            ": label_smoothing is only supported by cross_entropy");
  a.ct = ComputeType(input.dtype());
  a.input = Prepare(input, a.ct);
  if (prob) {
    a.target_prob = Prepare(target, a.ct);
  } else {
    a.target_index = target.contiguous();
  }
  a.weight = PrepareOptional(w, a.ct);
  p.input = a.input.raw_data();
  p.target_index =
      a.target_index.defined() ? a.target_index.data_ptr<int64_t>() : nullptr;
  p.target_prob = DataOrNull(a.target_prob);
  p.weight = DataOrNull(a.weight);
  p.ignore_index = options.ignore_index;
  p.reduction = options.reduction;
  p.label_smoothing = options.label_smoothing;
  p.from_logits = logits;
  return a;
}

Tensor ClassLoss(const char* op, const Tensor& input, const Tensor& target,
                 const ClassLossOptions& options, bool logits) {
  ClassLossArgs a = SetupClassLoss(op, input, target, options, logits);
  Tensor loss = options.reduction == Reduction::kNone
                    ? empty(a.loss_shape, a.ct, input.device())
                    : empty({}, a.ct, input.device());
  a.plan.loss = loss.raw_data();
  kClassLossOp.Get<ClassLossKernel>(input.device().type, a.ct)(a.plan);
  return loss.to(input.dtype());
}

Tensor ClassLossBackward(const char* op, const Tensor& grad_output,
                         const Tensor& input, const Tensor& target,
                         const ClassLossOptions& options, bool logits) {
  ClassLossArgs a = SetupClassLoss(op, input, target, options, logits);
  if (options.reduction == Reduction::kNone) {
    TCH_CHECK(SameShape(grad_output.sizes(), a.loss_shape), op,
              ": grad_output of shape ", ShapeToString(grad_output.sizes()),
              " does not match the loss shape ", ShapeToString(a.loss_shape));
  } else {
    TCH_CHECK(grad_output.numel() == 1, op,
              ": expected a one-element grad_output for a reduced loss, got "
              "shape ",
              ShapeToString(grad_output.sizes()));
  }
  const Tensor g = Prepare(grad_output, a.ct);
  Tensor grad_input = empty(input.sizes(), a.ct, input.device());
  a.plan.grad_output = g.raw_data();
  a.plan.grad_input = grad_input.raw_data();
  kClassLossBackwardOp.Get<ClassLossKernel>(input.device().type, a.ct)(a.plan);
  return grad_input.to(input.dtype());
}

}  // namespace

Tensor cross_entropy(const Tensor& input, const Tensor& target,
                     const ClassLossOptions& options) {
  return ClassLoss("cross_entropy", input, target, options, true);
}
Tensor cross_entropy_backward(const Tensor& grad_output, const Tensor& input,
                              const Tensor& target,
                              const ClassLossOptions& options) {
  return ClassLossBackward("cross_entropy_backward", grad_output, input, target,
                           options, true);
}
Tensor nll_loss(const Tensor& input, const Tensor& target,
                const ClassLossOptions& options) {
  return ClassLoss("nll_loss", input, target, options, false);
}
Tensor nll_loss_backward(const Tensor& grad_output, const Tensor& input,
                         const Tensor& target,
                         const ClassLossOptions& options) {
  return ClassLossBackward("nll_loss_backward", grad_output, input, target,
                           options, false);
}

// --- Regression losses -------------------------------------------------------

namespace {

Tensor RunPointwiseLoss(const char* op, PointwiseLossKind kind,
                        const Tensor& grad_output, const Tensor& input,
                        const Tensor& target, const Tensor& weight,
                        const Tensor& pos_weight, Reduction reduction,
                        double beta, bool wrt_target = false) {
  const bool backward = grad_output.defined();
  const DType dtype = ResultType(input, target);
  CheckFloating(op, dtype, "input and target");
  if (kind == PointwiseLossKind::kBceWithLogits) {
    TCH_CHECK(SameShape(target.sizes(), input.sizes()), op, ": Target size (",
              ShapeToString(target.sizes()),
              ") must be the same as input size (",
              ShapeToString(input.sizes()), ")");
  }
  TCH_CHECK(beta >= 0, op,
            ": smooth_l1_loss does not support negative values for beta (got ",
            beta, ")");
  const Shape shape = BroadcastShapes(op, {input.sizes(), target.sizes()});
  auto broadcast = [&](const Tensor& t, const char* name) {
    if (!t.defined()) return Tensor();
    const Shape s = BroadcastShapes(op, {shape, t.sizes()});
    TCH_CHECK(SameShape(s, shape), op, ": ", name, " of shape ",
              ShapeToString(t.sizes()),
              " cannot be broadcast to the input shape ", ShapeToString(shape));
    return Prepare(t.expand(shape), ComputeType(dtype));
  };
  const DType ct = ComputeType(dtype);
  const Tensor x = Prepare(input.expand(shape), ct);
  const Tensor t = Prepare(target.expand(shape), ct);
  const Tensor w = broadcast(weight, "weight");
  const Tensor pw = broadcast(pos_weight, "pos_weight");
  PointwiseLossPlan plan;
  plan.kind = kind;
  plan.input = x.raw_data();
  plan.target = t.raw_data();
  plan.weight = DataOrNull(w);
  plan.pos_weight = DataOrNull(pw);
  plan.numel = NumElements(shape);
  plan.reduction = reduction;
  plan.beta = beta;
  plan.wrt_target = wrt_target;
  Tensor out, g;
  if (backward) {
    if (reduction == Reduction::kNone) {
      TCH_CHECK(SameShape(grad_output.sizes(), shape), op,
                ": grad_output of shape ", ShapeToString(grad_output.sizes()),
                " does not match the loss shape ", ShapeToString(shape));
    } else {
      TCH_CHECK(grad_output.numel() == 1, op,
                ": expected a one-element grad_output for a reduced loss, "
                "got shape ",
                ShapeToString(grad_output.sizes()));
    }
    g = Prepare(grad_output, ct);
    plan.grad_output = g.raw_data();
    out = empty(shape, ct, input.device());
  } else {
    out = reduction == Reduction::kNone ? empty(shape, ct, input.device())
                                        : empty({}, ct, input.device());
  }
  plan.out = out.raw_data();
  const Op& kernel = backward ? kPointwiseLossBackwardOp : kPointwiseLossOp;
  kernel.Get<PointwiseLossKernel>(input.device().type, ct)(plan);
  return out.to(dtype);
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target,
                Reduction reduction) {
  return RunPointwiseLoss("mse_loss", PointwiseLossKind::kMse, {}, input,
                          target, {}, {}, reduction, 1.0);
}
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  return RunPointwiseLoss("l1_loss", PointwiseLossKind::kL1, {}, input, target,
                          {}, {}, reduction, 1.0);
}
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target,
                      Reduction reduction, double beta) {
  return RunPointwiseLoss("smooth_l1_loss", PointwiseLossKind::kSmoothL1, {},
                          input, target, {}, {}, reduction, beta);
}
Tensor mse_loss_backward(const Tensor& grad_output, const Tensor& input,
                         const Tensor& target, Reduction reduction) {
  return RunPointwiseLoss("mse_loss_backward", PointwiseLossKind::kMse,
                          grad_output, input, target, {}, {}, reduction, 1.0);
}
Tensor l1_loss_backward(const Tensor& grad_output, const Tensor& input,
                        const Tensor& target, Reduction reduction) {
  return RunPointwiseLoss("l1_loss_backward", PointwiseLossKind::kL1,
                          grad_output, input, target, {}, {}, reduction, 1.0);
}
Tensor smooth_l1_loss_backward(const Tensor& grad_output, const Tensor& input,
                               const Tensor& target, Reduction reduction,
                               double beta) {
  return RunPointwiseLoss("smooth_l1_loss_backward",
                          PointwiseLossKind::kSmoothL1, grad_output, input,
                          target, {}, {}, reduction, beta);
}
Tensor binary_cross_entropy_with_logits(const Tensor& input,
                                        const Tensor& target,
                                        const Tensor& weight,
                                        const Tensor& pos_weight,
                                        Reduction reduction) {
  return RunPointwiseLoss("binary_cross_entropy_with_logits",
                          PointwiseLossKind::kBceWithLogits, {}, input, target,
                          weight, pos_weight, reduction, 1.0);
}
Tensor binary_cross_entropy_with_logits_backward(
    const Tensor& grad_output, const Tensor& input, const Tensor& target,
    const Tensor& weight, const Tensor& pos_weight, Reduction reduction) {
  return RunPointwiseLoss("binary_cross_entropy_with_logits_backward",
                          PointwiseLossKind::kBceWithLogits, grad_output, input,
                          target, weight, pos_weight, reduction, 1.0);
}
Tensor binary_cross_entropy_with_logits_target_backward(
    const Tensor& grad_output, const Tensor& input, const Tensor& target,
    const Tensor& weight, const Tensor& pos_weight, Reduction reduction) {
  return RunPointwiseLoss("binary_cross_entropy_with_logits_target_backward",
                          PointwiseLossKind::kBceWithLogits, grad_output, input,
                          target, weight, pos_weight, reduction, 1.0,
                          /*wrt_target=*/true);
}

// --- Attention ---------------------------------------------------------------

namespace {

struct AttentionArgs {
  Tensor q, k, v, mask;
  std::vector<int64_t> mask_offsets;
  Shape batch_shape;
  AttentionPlan plan;
  DType dtype, ct;
};

AttentionArgs SetupAttention(const char* op, const Tensor& query,
                             const Tensor& key, const Tensor& value,
                             const Tensor& attn_mask, bool is_causal,
                             std::optional<double> scale) {
  CheckFloating(op, query.dtype(), "query");
  TCH_CHECK(key.dtype() == query.dtype() && value.dtype() == query.dtype(), op,
            ": expected query, key and value to have the same dtype, got ",
            query.dtype(), ", ", key.dtype(), " and ", value.dtype());
  const std::string shapes = detail::StrCat(
      "query ", ShapeToString(query.sizes()), ", key ",
      ShapeToString(key.sizes()), ", value ", ShapeToString(value.sizes()));
  const int64_t nd = query.dim();
  TCH_CHECK(nd >= 2 && key.dim() == nd && value.dim() == nd, op,
            ": expected query [..., L, E], key [..., S, E] and value "
            "[..., S, Ev] with the same number of dims (at least 2), got ",
            shapes);
  AttentionArgs a;
  a.batch_shape = Shape(query.sizes().begin(), query.sizes().end() - 2);
  TCH_CHECK(std::equal(a.batch_shape.begin(), a.batch_shape.end(),
                       key.sizes().begin()) &&
                std::equal(a.batch_shape.begin(), a.batch_shape.end(),
                           value.sizes().begin()),
            op, ": query, key and value must have equal batch dims, got ",
            shapes);
  TCH_CHECK(key.size(-1) == query.size(-1), op,
            ": query and key must have the same embedding dim E, got ", shapes);
  TCH_CHECK(key.size(-2) == value.size(-2), op,
            ": key and value must have the same sequence length S, got ",
            shapes);
  TCH_CHECK(!(is_causal && attn_mask.defined()), op,
            ": an explicit attn_mask cannot be combined with is_causal=True");
  AttentionPlan& p = a.plan;
  p.batch = Product(a.batch_shape, 0, a.batch_shape.size());
  p.l = query.size(-2);
  p.s = key.size(-2);
  p.e = query.size(-1);
  p.ev = value.size(-1);
  for (int64_t d : {p.l, p.s, p.e, p.ev}) {
    TCH_CHECK(d < (int64_t{1} << 31), op,
              ": dims above 2^31 are not "
              "supported, got ",
              shapes);
  }
  p.scale = scale.value_or(1.0 / std::sqrt(static_cast<double>(p.e)));
  p.is_causal = is_causal;
  a.dtype = query.dtype();
  a.ct = ComputeType(a.dtype);
  a.q = Prepare(query, a.ct);
  a.k = Prepare(key, a.ct);
  a.v = Prepare(value, a.ct);
  p.q = a.q.raw_data();
  p.k = a.k.raw_data();
  p.v = a.v.raw_data();
  if (attn_mask.defined()) {
    const DType mdt = attn_mask.dtype();
    TCH_CHECK(mdt == DType::kBool || IsFloatingPoint(mdt), op,
              ": attn_mask must be bool or floating point, got ", mdt);
    Shape full = a.batch_shape;
    full.push_back(p.l);
    full.push_back(p.s);
    const Shape bshape = BroadcastShapes(op, {attn_mask.sizes(), full});
    TCH_CHECK(SameShape(bshape, full), op, ": attn_mask of shape ",
              ShapeToString(attn_mask.sizes()),
              " cannot be broadcast to the scores' shape ",
              ShapeToString(full));
    a.mask =
        (mdt == DType::kBool ? attn_mask : attn_mask.to(a.ct)).expand(full);
    const Shape& st = a.mask.strides();
    const int64_t nb = static_cast<int64_t>(a.batch_shape.size());
    a.mask_offsets.resize(p.batch);
    for (int64_t b = 0; b < p.batch; ++b) {
      int64_t rem = b, off = 0;
      for (int64_t d = nb - 1; d >= 0; --d) {
        off += (rem % a.batch_shape[d]) * st[d];
        rem /= a.batch_shape[d];
      }
      a.mask_offsets[b] = off;
    }
    p.mask = a.mask.raw_data();
    p.mask_is_bool = mdt == DType::kBool;
    p.mask_offsets = a.mask_offsets.data();
    p.mask_stride_l = st[nb];
    p.mask_stride_s = st[nb + 1];
  }
  return a;
}

}  // namespace

AttentionResult scaled_dot_product_attention(const Tensor& query,
                                             const Tensor& key,
                                             const Tensor& value,
                                             const Tensor& attn_mask,
                                             double dropout_p, bool is_causal,
                                             std::optional<double> scale) {
  const char* op = "scaled_dot_product_attention";
  TCH_CHECK_T(NotImplementedError, dropout_p == 0.0, op,
              ": dropout_p > 0 is not supported yet (got ", dropout_p, ")");
  AttentionArgs a =
      SetupAttention(op, query, key, value, attn_mask, is_causal, scale);
  Shape out_shape = a.batch_shape, lse_shape = a.batch_shape;
  out_shape.push_back(a.plan.l);
  out_shape.push_back(a.plan.ev);
  lse_shape.push_back(a.plan.l);
  Tensor out = empty(out_shape, a.ct, query.device());
  Tensor lse = empty(lse_shape, a.ct, query.device());
  if (a.plan.batch > 0 && a.plan.l > 0) {
    a.plan.out = out.raw_data();
    a.plan.lse = lse.raw_data();
    kSdpaOp.Get<AttentionKernel>(query.device().type, a.ct)(a.plan);
  }
  return {out.to(a.dtype), lse};
}

AttentionBackwardResult scaled_dot_product_attention_backward(
    const Tensor& grad_output, const Tensor& query, const Tensor& key,
    const Tensor& value, const Tensor& output, const Tensor& logsumexp,
    const Tensor& attn_mask, bool is_causal, std::optional<double> scale) {
  const char* op = "scaled_dot_product_attention_backward";
  AttentionArgs a =
      SetupAttention(op, query, key, value, attn_mask, is_causal, scale);
  CheckSameShape(op, "grad_output", grad_output, "output", output);
  TCH_CHECK(output.dim() == query.dim() && output.size(-2) == a.plan.l &&
                output.size(-1) == a.plan.ev &&
                logsumexp.numel() == a.plan.batch * a.plan.l,
            op, ": output of shape ", ShapeToString(output.sizes()),
            " or logsumexp of shape ", ShapeToString(logsumexp.sizes()),
            " does not fit query ", ShapeToString(query.sizes()), " and value ",
            ShapeToString(value.sizes()));
  const Tensor g = Prepare(grad_output, a.ct), o = Prepare(output, a.ct);
  const Tensor lse = Prepare(logsumexp, a.ct);
  Tensor gq = empty(query.sizes(), a.ct, query.device());
  Tensor gk = zeros(key.sizes(), a.ct, key.device());
  Tensor gv = zeros(value.sizes(), a.ct, value.device());
  if (a.plan.batch > 0 && a.plan.l > 0) {
    a.plan.grad_out = g.raw_data();
    a.plan.out = o.raw_data();
    a.plan.lse = lse.raw_data();
    a.plan.grad_q = gq.raw_data();
    a.plan.grad_k = gk.raw_data();
    a.plan.grad_v = gv.raw_data();
    kSdpaBackwardOp.Get<AttentionKernel>(query.device().type, a.ct)(a.plan);
  }
  return {gq.to(a.dtype), gk.to(a.dtype), gv.to(a.dtype)};
}

}  // namespace tch
