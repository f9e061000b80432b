// File: torch/nn/layers.cc
#include "torch/nn/layers.h"

#include <cmath>
#include <sstream>

#include "torch/autograd/functions/arith.h"
#include "torch/autograd/functions/linalg.h"
#include "torch/autograd/functions/nn.h"
#include "torch/autograd/functions/norm.h"
#include "torch/autograd/functions/pointwise.h"
#include "torch/autograd/functions/random.h"
#include "torch/autograd/functions/shape.h"
#include "torch/autograd/grad_mode.h"
#include "torch/core/error.h"
#include "torch/core/ops.h"
#include "torch/nn/init.h"

namespace tch::nn {
namespace {

std::string Join(const std::vector<int64_t>& v) {
  if (v.size() == 1) return std::to_string(v[0]);
  std::string out = "(";
  for (size_t i = 0; i < v.size(); ++i) {
    out += (i ? ", " : "") + std::to_string(v[i]);
  }
  return out + ")";
}

const char* Bool(bool b) { return b ? "true" : "false"; }

// One value or a pair, every value >= min.
void CheckPair(const std::vector<int64_t>& v, const char* layer,
               const char* arg, int64_t min, bool allow_empty = false) {
  if (allow_empty && v.empty()) return;
  TCH_CHECK(v.size() == 1 || v.size() == 2, layer, ": argument '", arg,
            "' must have 1 or 2 values, got ", v.size());
  for (int64_t x : v) {
    TCH_CHECK(x >= min, layer, ": argument '", arg, "' must be >= ", min,
              ", got ", Join(v));
  }
}

std::vector<int64_t> Pair(const std::vector<int64_t>& v) {
  return v.size() == 1 ? std::vector<int64_t>{v[0], v[0]} : v;
}

// U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch's default bias init.
void InitBias(Tensor& bias, int64_t fan_in, Generator* generator) {
  const double bound = fan_in > 0 ? 1.0 / std::sqrt(double(fan_in)) : 0.0;
  init::uniform_(bias, -bound, bound, generator);
}

}  // namespace

// --- Linear -----------------------------------------------------------------

Linear::Linear(int64_t in, int64_t out, bool with_bias, Generator* generator)
    : Module("Linear"), in_features(in), out_features(out) {
  TCH_CHECK(in >= 0 && out >= 0,
            "Linear: in_features and out_features must be non-negative, got ",
            in, " and ", out);
  weight = register_parameter("weight", empty({out, in}));
  if (with_bias) bias = register_parameter("bias", empty({out}));
  reset_parameters(generator);
}

void Linear::reset_parameters(Generator* generator) {
  init::kaiming_uniform_(weight, std::sqrt(5.0), "fan_in", "leaky_relu",
                         generator);
  if (bias.defined()) InitBias(bias, in_features, generator);
}

Tensor Linear::forward(const Tensor& x) {
  TCH_CHECK(x.dim() >= 1 && x.size(-1) == in_features,
            "Linear: expected input with last dimension ", in_features,
            ", got ", ShapeToString(x.sizes()));
  return ad::linear(x, weight, bias);
}

std::string Linear::extra_repr() const {
  std::ostringstream out;
  out << "in_features=" << in_features << ", out_features=" << out_features
      << ", bias=" << Bool(bias.defined());
  return out.str();
}

// --- Conv2d -----------------------------------------------------------------

Conv2d::Conv2d(Conv2dOptions opts, Generator* generator)
    : Module("Conv2d"), options(std::move(opts)) {
  const Conv2dOptions& o = options;
  TCH_CHECK(o.in_channels > 0 && o.out_channels > 0,
            "Conv2d: in_channels and out_channels must be positive, got ",
            o.in_channels, " and ", o.out_channels);
  TCH_CHECK(o.groups > 0 && o.in_channels % o.groups == 0 &&
                o.out_channels % o.groups == 0,
            "Conv2d: in_channels (", o.in_channels, ") and out_channels (",
            o.out_channels, ") must be divisible by groups (", o.groups, ")");
  CheckPair(o.kernel_size, "Conv2d", "kernel_size", 1);
  CheckPair(o.stride, "Conv2d", "stride", 1);
  CheckPair(o.padding, "Conv2d", "padding", 0);
  CheckPair(o.dilation, "Conv2d", "dilation", 1);
  if (!o.padding_str.empty()) ParseConv2dPadding(o.padding_str);
  const std::vector<int64_t> k = Pair(o.kernel_size);
  weight = register_parameter(
      "weight", empty({o.out_channels, o.in_channels / o.groups, k[0], k[1]}));
  if (o.bias) bias = register_parameter("bias", empty({o.out_channels}));
  reset_parameters(generator);
}

void Conv2d::reset_parameters(Generator* generator) {
  init::kaiming_uniform_(weight, std::sqrt(5.0), "fan_in", "leaky_relu",
                         generator);
  if (bias.defined()) {
    InitBias(bias, init::CalculateFans(weight, "Conv2d").first, generator);
  }
}

Tensor Conv2d::forward(const Tensor& x) {
  TCH_CHECK((x.dim() == 4 && x.size(1) == options.in_channels) ||
                (x.dim() == 3 && x.size(0) == options.in_channels),
            "Conv2d: expected input [N, ", options.in_channels, ", H, W] or [",
            options.in_channels, ", H, W], got ", ShapeToString(x.sizes()));
  if (x.dim() == 3) return ad::squeeze(forward(ad::unsqueeze(x, 0)), 0);
  if (!options.padding_str.empty()) {
    return ad::conv2d(x, weight, bias, options.stride,
                      ParseConv2dPadding(options.padding_str), options.dilation,
                      options.groups);
  }
  return ad::conv2d(x, weight, bias, options.stride, options.padding,
                    options.dilation, options.groups);
}

std::string Conv2d::extra_repr() const {
  std::ostringstream out;
  out << options.in_channels << ", " << options.out_channels
      << ", kernel_size=" << Join(options.kernel_size)
      << ", stride=" << Join(options.stride);
  if (!options.padding_str.empty()) {
    out << ", padding=" << options.padding_str;
  } else {
    out << ", padding=" << Join(options.padding);
  }
  if (Pair(options.dilation) != std::vector<int64_t>{1, 1}) {
    out << ", dilation=" << Join(options.dilation);
  }
  if (options.groups != 1) out << ", groups=" << options.groups;
  if (!options.bias) out << ", bias=false";
  return out.str();
}

// --- Pooling ----------------------------------------------------------------

MaxPool2d::MaxPool2d(std::vector<int64_t> k, std::vector<int64_t> s,
                     std::vector<int64_t> p, std::vector<int64_t> d, bool ceil)
    : Module("MaxPool2d"),
      kernel_size(std::move(k)),
      stride(std::move(s)),
      padding(std::move(p)),
      dilation(std::move(d)),
      ceil_mode(ceil) {
  CheckPair(kernel_size, "MaxPool2d", "kernel_size", 1);
  CheckPair(stride, "MaxPool2d", "stride", 1, /*allow_empty=*/true);
  CheckPair(padding, "MaxPool2d", "padding", 0);
  CheckPair(dilation, "MaxPool2d", "dilation", 1);
}

Tensor MaxPool2d::forward(const Tensor& x) {
  return ad::max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode);
}

std::string MaxPool2d::extra_repr() const {
  return "kernel_size=" + Join(kernel_size) +
         ", stride=" + Join(stride.empty() ? kernel_size : stride) +
         ", padding=" + Join(padding) + ", dilation=" + Join(dilation) +
         ", ceil_mode=" + Bool(ceil_mode);
}

AvgPool2d::AvgPool2d(std::vector<int64_t> k, std::vector<int64_t> s,
                     std::vector<int64_t> p, bool ceil, bool include_pad,
                     std::optional<int64_t> divisor)
    : Module("AvgPool2d"),
      kernel_size(std::move(k)),
      stride(std::move(s)),
      padding(std::move(p)),
      ceil_mode(ceil),
      count_include_pad(include_pad),
      divisor_override(divisor) {
  CheckPair(kernel_size, "AvgPool2d", "kernel_size", 1);
  CheckPair(stride, "AvgPool2d", "stride", 1, /*allow_empty=*/true);
  CheckPair(padding, "AvgPool2d", "padding", 0);
  TCH_CHECK(!divisor || *divisor != 0,
            "AvgPool2d: divisor_override must be non-zero");
}

Tensor AvgPool2d::forward(const Tensor& x) {
  return ad::avg_pool2d(x, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override);
}

std::string AvgPool2d::extra_repr() const {
  return "kernel_size=" + Join(kernel_size) +
         ", stride=" + Join(stride.empty() ? kernel_size : stride) +
         ", padding=" + Join(padding);
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(std::vector<int64_t> size)
    : Module("AdaptiveAvgPool2d"), output_size(std::move(size)) {
  CheckPair(output_size, "AdaptiveAvgPool2d", "output_size", 1);
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) {
  return ad::adaptive_avg_pool2d(x, output_size);
}

std::string AdaptiveAvgPool2d::extra_repr() const {
  return "output_size=" + Join(output_size);
}

// --- Normalization ----------------------------------------------------------

BatchNorm::BatchNorm(std::string type_name, int64_t n, BatchNormOptions opts,
                     std::vector<int64_t> allowed_dims)
    : Module(std::move(type_name)),
      num_features(n),
      options(opts),
      allowed_dims_(std::move(allowed_dims)) {
  TCH_CHECK(n > 0, this->type_name(), ": num_features must be positive, got ",
            n);
  TCH_CHECK(opts.eps > 0, this->type_name(), ": eps must be positive, got ",
            opts.eps);
  TCH_CHECK(opts.momentum >= 0 && opts.momentum <= 1, this->type_name(),
            ": momentum must be in [0, 1], got ", opts.momentum);
  if (opts.affine) {
    weight = register_parameter("weight", empty({n}));
    bias = register_parameter("bias", empty({n}));
  }
  if (opts.track_running_stats) {
    running_mean = register_buffer("running_mean", zeros({n}));
    running_var = register_buffer("running_var", ones({n}));
    num_batches_tracked =
        register_buffer("num_batches_tracked", zeros({}, DType::kInt64));
  }
  reset_parameters();
}

void BatchNorm::reset_parameters() {
  autograd::NoGradGuard no_grad;
  if (running_mean.defined()) {
    running_mean.zero_();
    running_var.fill_(1.0);
    num_batches_tracked.zero_();
  }
  if (weight.defined()) {
    init::ones_(weight);
    init::zeros_(bias);
  }
}

Tensor BatchNorm::forward(const Tensor& x) {
  bool dims_ok = false;
  std::string expected;
  for (int64_t d : allowed_dims_) {
    dims_ok = dims_ok || x.dim() == d;
    expected += (expected.empty() ? "" : " or ") + std::to_string(d) + "D";
  }
  TCH_CHECK(dims_ok, type_name(), ": expected ", expected, " input, got ",
            ShapeToString(x.sizes()));
  TCH_CHECK(x.size(1) == num_features, type_name(), ": expected ", num_features,
            " channels in dim 1, got ", ShapeToString(x.sizes()));
  // Batch statistics in training mode, or whenever there are no running
  // statistics to use (track_running_stats=false), as in PyTorch.
  const bool use_batch_stats = is_training() || !running_mean.defined();
  if (is_training() && num_batches_tracked.defined()) {
    autograd::NoGradGuard no_grad;
    num_batches_tracked.add_(1);
  }
  return ad::batch_norm(x, running_mean, running_var, weight, bias,
                        use_batch_stats, options.momentum, options.eps);
}

std::string BatchNorm::extra_repr() const {
  std::ostringstream out;
  out << num_features << ", eps=" << options.eps
      << ", momentum=" << options.momentum
      << ", affine=" << Bool(options.affine)
      << ", track_running_stats=" << Bool(options.track_running_stats);
  return out.str();
}

BatchNorm1d::BatchNorm1d(int64_t n, BatchNormOptions opts)
    : BatchNorm("BatchNorm1d", n, opts, {2, 3}) {}

BatchNorm2d::BatchNorm2d(int64_t n, BatchNormOptions opts)
    : BatchNorm("BatchNorm2d", n, opts, {4}) {}

LayerNorm::LayerNorm(std::vector<int64_t> shape, double eps_,
                     bool elementwise_affine)
    : Module("LayerNorm"), normalized_shape(std::move(shape)), eps(eps_) {
  TCH_CHECK(!normalized_shape.empty(),
            "LayerNorm: normalized_shape must not be empty");
  for (int64_t d : normalized_shape) {
    TCH_CHECK(d > 0, "LayerNorm: normalized_shape must be positive, got ",
              Join(normalized_shape));
  }
  if (elementwise_affine) {
    weight = register_parameter("weight", ones(normalized_shape));
    bias = register_parameter("bias", zeros(normalized_shape));
  }
}

Tensor LayerNorm::forward(const Tensor& x) {
  return ad::layer_norm(x, normalized_shape, weight, bias, eps);
}

std::string LayerNorm::extra_repr() const {
  std::ostringstream out;
  out << "(" << Join(normalized_shape)
      << (normalized_shape.size() == 1 ? ",)" : ")") << ", eps=" << eps
      << ", elementwise_affine=" << Bool(weight.defined());
  return out.str();
}

GroupNorm::GroupNorm(int64_t groups, int64_t channels, double eps_, bool affine)
    : Module("GroupNorm"),
      num_groups(groups),
      num_channels(channels),
      eps(eps_) {
  TCH_CHECK(groups > 0 && channels > 0 && channels % groups == 0,
            "GroupNorm: num_channels (", channels,
            ") must be a positive multiple of num_groups (", groups, ")");
  if (affine) {
    weight = register_parameter("weight", ones({channels}));
    bias = register_parameter("bias", zeros({channels}));
  }
}

Tensor GroupNorm::forward(const Tensor& x) {
  TCH_CHECK(x.dim() >= 2 && x.size(1) == num_channels, "GroupNorm: expected ",
            num_channels, " channels in dim 1, got ", ShapeToString(x.sizes()));
  return ad::group_norm(x, num_groups, weight, bias, eps);
}

std::string GroupNorm::extra_repr() const {
  std::ostringstream out;
  out << num_groups << ", " << num_channels << ", eps=" << eps
      << ", affine=" << Bool(weight.defined());
  return out.str();
}

// --- Dropout, Embedding, Flatten ---------------------------------------------

Dropout::Dropout(double p_, Generator* gen)
    : Module("Dropout"), p(p_), generator(gen) {
  TCH_CHECK(p >= 0 && p <= 1,
            "Dropout: probability has to be between 0 and 1, got ", p);
}

Tensor Dropout::forward(const Tensor& x) {
  return ad::dropout(x, p, is_training(), generator);
}

std::string Dropout::extra_repr() const {
  std::ostringstream out;
  out << "p=" << p;
  return out.str();
}

Embedding::Embedding(int64_t num, int64_t dim, std::optional<int64_t> pad,
                     Generator* generator)
    : Module("Embedding"), num_embeddings(num), embedding_dim(dim) {
  TCH_CHECK(num > 0 && dim > 0,
            "Embedding: num_embeddings and embedding_dim must be positive, "
            "got ",
            num, " and ", dim);
  if (pad) {
    TCH_CHECK(*pad >= -num && *pad < num, "Embedding: padding_idx ", *pad,
              " is out of range for ", num, " embeddings");
    padding_idx = *pad < 0 ? *pad + num : *pad;
  }
  weight = register_parameter("weight", empty({num, dim}));
  init::normal_(weight, 0.0, 1.0, generator);
  if (padding_idx) {
    autograd::NoGradGuard no_grad;
    weight.select(0, *padding_idx).zero_();
  }
}

Tensor Embedding::forward(const Tensor& indices) {
  return ad::embedding(weight, indices, padding_idx);
}

std::string Embedding::extra_repr() const {
  std::string out =
      std::to_string(num_embeddings) + ", " + std::to_string(embedding_dim);
  if (padding_idx) out += ", padding_idx=" + std::to_string(*padding_idx);
  return out;
}

Flatten::Flatten(int64_t start, int64_t end)
    : Module("Flatten"), start_dim(start), end_dim(end) {}

Tensor Flatten::forward(const Tensor& x) {
  return ad::flatten(x, start_dim, end_dim);
}

std::string Flatten::extra_repr() const {
  return "start_dim=" + std::to_string(start_dim) +
         ", end_dim=" + std::to_string(end_dim);
}

// --- Activations ------------------------------------------------------------

Tensor ReLU::forward(const Tensor& x) { return ad::relu(x); }

GELU::GELU(std::string approx)
    : Module("GELU"), approximate(std::move(approx)) {
  TCH_CHECK(approximate == "none" || approximate == "tanh",
            "GELU: approximate must be 'none' or 'tanh', got '", approximate,
            "'");
}

Tensor GELU::forward(const Tensor& x) { return ad::gelu(x, approximate); }

std::string GELU::extra_repr() const {
  return "approximate='" + approximate + "'";
}

Tensor SiLU::forward(const Tensor& x) { return ad::silu(x); }
Tensor Tanh::forward(const Tensor& x) { return ad::tanh(x); }
Tensor Sigmoid::forward(const Tensor& x) { return ad::sigmoid(x); }

Softmax::Softmax(int64_t d) : Module("Softmax"), dim(d) {}

Tensor Softmax::forward(const Tensor& x) { return ad::softmax(x, dim); }

std::string Softmax::extra_repr() const { return "dim=" + std::to_string(dim); }

// --- Containers -------------------------------------------------------------

Sequential::Sequential() : Module("Sequential") {}

Sequential::Sequential(const std::vector<ModulePtr>& modules)
    : Module("Sequential") {
  for (const ModulePtr& m : modules) push_back(m);
}

void Sequential::push_back(ModulePtr module) {
  register_module(std::to_string(size()), std::move(module));
}

namespace {
ModulePtr ChildAt(const Module& m, size_t i) {
  const auto children = m.named_children();
  TCH_CHECK_T(IndexError, i < children.size(), m.type_name(), ": index ", i,
              " is out of range for ", children.size(), " modules");
  return children[i].second;
}
}  // namespace

ModulePtr Sequential::operator[](size_t i) const { return ChildAt(*this, i); }

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (const ModulePtr& m : children()) h = m->forward(h);
  return h;
}

ModuleList::ModuleList() : Module("ModuleList") {}

ModuleList::ModuleList(const std::vector<ModulePtr>& modules)
    : Module("ModuleList") {
  for (const ModulePtr& m : modules) push_back(m);
}

void ModuleList::push_back(ModulePtr module) {
  register_module(std::to_string(size()), std::move(module));
}

ModulePtr ModuleList::operator[](size_t i) const { return ChildAt(*this, i); }

Residual::Residual(ModulePtr f) : Module("Residual"), fn(std::move(f)) {
  register_module("fn", fn);
}

Tensor Residual::forward(const Tensor& x) { return ad::add(x, fn->forward(x)); }

}  // namespace tch::nn
