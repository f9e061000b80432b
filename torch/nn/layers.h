// File: torch/nn/layers.h
//
// The standard layers, mirroring torch.nn (PyTorch 1.13): same constructor
// arguments, same parameter and buffer names and shapes, same default
// initialization in distribution (drawn from `generator`, or the default
// generator when null), forward through the differentiable ops of tch::ad.
//
//   Linear(in, out, bias)            weight [out, in], bias [out]
//   Conv2d(Conv2dOptions)            weight [out, in / groups, kh, kw], bias
//   MaxPool2d, AvgPool2d, AdaptiveAvgPool2d
//   BatchNorm1d / BatchNorm2d        weight, bias; buffers running_mean,
//                                    running_var, num_batches_tracked
//   LayerNorm, GroupNorm             weight, bias
//   Dropout(p, generator)            identity in eval mode
//   Embedding(num, dim, padding_idx) weight [num, dim], N(0, 1)
//   Flatten(start_dim=1, end_dim=-1), Identity
//   ReLU, GELU(approximate), SiLU, Tanh, Sigmoid, Softmax(dim)
//   Sequential (children "0", "1", ...), ModuleList, Residual (x + f(x))
//
// Example:
//   using namespace tch::nn;
//   auto net = std::make_shared<Sequential>(std::vector<ModulePtr>{
//       std::make_shared<Conv2d>(Conv2dOptions{.in_channels = 1,
//                                              .out_channels = 8,
//                                              .kernel_size = {3},
//                                              .padding = {1}}),
//       std::make_shared<ReLU>(),
//       std::make_shared<Flatten>(),
//       std::make_shared<Linear>(8 * 28 * 28, 10)});
//   Tensor logits = net->forward(images);     // [N, 10]
//
// Errors: ValueError for invalid constructor arguments (non-positive
// sizes, channels not divisible by groups, dropout p outside [0, 1], ...)
// naming the layer and argument; forward errors are those of the ad/core
// ops (wrong input rank, shape mismatch), e.g. Linear with a last dim other
// than in_features: "Linear: expected input with last dimension 784, got
// [32, 100]".
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "torch/core/generator.h"
#include "torch/core/tensor.h"
#include "torch/nn/module.h"

namespace tch::nn {

using ModulePtr = std::shared_ptr<Module>;

class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true,
         Generator* generator = nullptr);
  Tensor forward(const Tensor& x) override;
  // Re-draws the PyTorch defaults: kaiming_uniform_(a = sqrt(5)) weight and
  // U(-1/sqrt(in), 1/sqrt(in)) bias.
  void reset_parameters(Generator* generator = nullptr);

  int64_t in_features, out_features;
  Tensor weight, bias;  // bias undefined when bias = false

 protected:
  std::string extra_repr() const override;
};

struct Conv2dOptions {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  std::vector<int64_t> kernel_size = {3};  // one value or {kh, kw}
  std::vector<int64_t> stride = {1};
  std::vector<int64_t> padding = {0};
  // "same" or "valid" instead of numeric padding (PyTorch's string form);
  // empty to use `padding`.
  std::string padding_str = "";
  std::vector<int64_t> dilation = {1};
  int64_t groups = 1;
  bool bias = true;
};

class Conv2d : public Module {
 public:
  explicit Conv2d(Conv2dOptions options, Generator* generator = nullptr);
  Tensor forward(const Tensor& x) override;
  void reset_parameters(Generator* generator = nullptr);

  Conv2dOptions options;
  Tensor weight, bias;

 protected:
  std::string extra_repr() const override;
};

class MaxPool2d : public Module {
 public:
  // An empty stride means stride = kernel_size, as in PyTorch.
  explicit MaxPool2d(std::vector<int64_t> kernel_size,
                     std::vector<int64_t> stride = {},
                     std::vector<int64_t> padding = {0},
                     std::vector<int64_t> dilation = {1},
                     bool ceil_mode = false);
  Tensor forward(const Tensor& x) override;

  std::vector<int64_t> kernel_size, stride, padding, dilation;
  bool ceil_mode;

 protected:
  std::string extra_repr() const override;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(std::vector<int64_t> kernel_size,
                     std::vector<int64_t> stride = {},
                     std::vector<int64_t> padding = {0}, bool ceil_mode = false,
                     bool count_include_pad = true,
                     std::optional<int64_t> divisor_override = std::nullopt);
  Tensor forward(const Tensor& x) override;

  std::vector<int64_t> kernel_size, stride, padding;
  bool ceil_mode, count_include_pad;
  std::optional<int64_t> divisor_override;

 protected:
  std::string extra_repr() const override;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(std::vector<int64_t> output_size);
  Tensor forward(const Tensor& x) override;
  std::vector<int64_t> output_size;

 protected:
  std::string extra_repr() const override;
};

struct BatchNormOptions {
  double eps = 1e-5;
  double momentum = 0.1;
  bool affine = true;
  bool track_running_stats = true;
};

// BatchNorm1d takes [N, C] or [N, C, L]; BatchNorm2d takes [N, C, H, W].
// Training mode normalizes with batch statistics and updates the running
// statistics (and num_batches_tracked); eval mode uses the running ones.
class BatchNorm : public Module {
 public:
  BatchNorm(std::string type_name, int64_t num_features,
            BatchNormOptions options, std::vector<int64_t> allowed_dims);
  Tensor forward(const Tensor& x) override;
  void reset_parameters();

  int64_t num_features;
  BatchNormOptions options;
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 protected:
  std::string extra_repr() const override;

 private:
  std::vector<int64_t> allowed_dims_;
};

class BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(int64_t num_features, BatchNormOptions options = {});
};

class BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(int64_t num_features, BatchNormOptions options = {});
};

class LayerNorm : public Module {
 public:
  explicit LayerNorm(std::vector<int64_t> normalized_shape, double eps = 1e-5,
                     bool elementwise_affine = true);
  Tensor forward(const Tensor& x) override;

  std::vector<int64_t> normalized_shape;
  double eps;
  Tensor weight, bias;

 protected:
  std::string extra_repr() const override;
};

class GroupNorm : public Module {
 public:
  GroupNorm(int64_t num_groups, int64_t num_channels, double eps = 1e-5,
            bool affine = true);
  Tensor forward(const Tensor& x) override;

  int64_t num_groups, num_channels;
  double eps;
  Tensor weight, bias;

 protected:
  std::string extra_repr() const override;
};

// Zeroes each element with probability p in training mode and scales the
// rest by 1 / (1 - p); the identity in eval mode. The generator (not
// owned) must outlive the module.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5, Generator* generator = nullptr);
  Tensor forward(const Tensor& x) override;
  double p;
  Generator* generator;

 protected:
  std::string extra_repr() const override;
};

// Looks up rows of `weight` for int64 indices of any shape: [*] -> [*, dim].
// The padding_idx row is initialized to zero and gets no gradient.
class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t embedding_dim,
            std::optional<int64_t> padding_idx = std::nullopt,
            Generator* generator = nullptr);
  Tensor forward(const Tensor& indices) override;

  int64_t num_embeddings, embedding_dim;
  std::optional<int64_t> padding_idx;  // normalized to [0, num_embeddings)
  Tensor weight;

 protected:
  std::string extra_repr() const override;
};

class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1);
  Tensor forward(const Tensor& x) override;
  int64_t start_dim, end_dim;

 protected:
  std::string extra_repr() const override;
};

class Identity : public Module {
 public:
  Identity() : Module("Identity") {}
  Tensor forward(const Tensor& x) override { return x; }
};

class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& x) override;
};

class GELU : public Module {
 public:
  // approximate: "none" (erf) or "tanh".
  explicit GELU(std::string approximate = "none");
  Tensor forward(const Tensor& x) override;
  std::string approximate;

 protected:
  std::string extra_repr() const override;
};

class SiLU : public Module {
 public:
  SiLU() : Module("SiLU") {}
  Tensor forward(const Tensor& x) override;
};

class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& x) override;
};

class Sigmoid : public Module {
 public:
  Sigmoid() : Module("Sigmoid") {}
  Tensor forward(const Tensor& x) override;
};

class Softmax : public Module {
 public:
  explicit Softmax(int64_t dim = -1);
  Tensor forward(const Tensor& x) override;
  int64_t dim;

 protected:
  std::string extra_repr() const override;
};

// Applies its children in order; child i is named "i" (PyTorch's
// nn.Sequential), so parameters read "0.weight", "2.bias", ...
class Sequential : public Module {
 public:
  Sequential();
  explicit Sequential(const std::vector<ModulePtr>& modules);
  Tensor forward(const Tensor& x) override;
  // Appends `module` as child "<size()>".
  void push_back(ModulePtr module);
  size_t size() const { return named_children().size(); }
  ModulePtr operator[](size_t i) const;  // IndexError when out of range
};

// Holds children named "0", "1", ... without a forward (nn.ModuleList);
// iterate with children().
class ModuleList : public Module {
 public:
  ModuleList();
  explicit ModuleList(const std::vector<ModulePtr>& modules);
  void push_back(ModulePtr module);
  size_t size() const { return named_children().size(); }
  ModulePtr operator[](size_t i) const;  // IndexError when out of range
};

// x + fn(x); the wrapped module is child "fn".
class Residual : public Module {
 public:
  explicit Residual(ModulePtr fn);
  Tensor forward(const Tensor& x) override;
  ModulePtr fn;
};

}  // namespace tch::nn
