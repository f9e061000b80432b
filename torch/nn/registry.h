// File: torch/nn/registry.h
//
// Layers by name, for configuration files: MakeLayer("conv2d", args) builds
// a Conv2d from a small map of named values, and MakeSequential builds an
// `arch: sequential` model from a list of (type, args). Type names and
// argument names are PyTorch's (snake_case types):
//
//   linear              in_features, out_features, bias=true
//   conv2d              in_channels, out_channels, kernel_size, stride=1,
//                       padding=0 (int, [h, w], "same" or "valid"),
//                       dilation=1, groups=1, bias=true
//   max_pool2d          kernel_size, stride=kernel_size, padding=0,
//                       dilation=1, ceil_mode=false
//   avg_pool2d          kernel_size, stride=kernel_size, padding=0,
//                       ceil_mode=false, count_include_pad=true
//   adaptive_avg_pool2d output_size
//   batch_norm1d/2d     num_features, eps=1e-5, momentum=0.1, affine=true,
//                       track_running_stats=true
//   layer_norm          normalized_shape (int or list), eps=1e-5,
//                       elementwise_affine=true
//   group_norm          num_groups, num_channels, eps=1e-5, affine=true
//   dropout             p=0.5
//   embedding           num_embeddings, embedding_dim, padding_idx
//   flatten             start_dim=1, end_dim=-1
//   relu, silu, tanh, sigmoid, identity    (no arguments)
//   gelu                approximate="none"
//   softmax             dim=-1
// Integer-list arguments accept a single integer ({3} == 3); floating
// arguments accept integers.
//
// Example:
//   LayerArgs args{{"in_channels", int64_t{1}}, {"out_channels", int64_t{8}},
//                  {"kernel_size", int64_t{3}}, {"padding", "same"}};
//   ModulePtr conv = MakeLayer("conv2d", args);
//
// Errors (ValueError), always naming the layer type and argument:
//   unknown type:      unknown layer type 'conv3d' (known: linear, ...)
//   wrong value type:  conv2d: argument 'kernel_size': expected an integer,
//                      got "big"
//   missing:           linear: missing required argument 'out_features'
//   unknown argument:  linear: unknown argument 'bais' (accepted: bias,
//                      in_features, out_features)
//   plus the layer constructor's own checks (e.g. negative sizes).
// MakeSequential prefixes errors with the layer's position: "layer 2
// (conv2d): ...".
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "torch/core/generator.h"
#include "torch/nn/module.h"

namespace tch::nn {

// Named values of one layer's configuration.
class LayerArgs {
 public:
  using Value =
      std::variant<int64_t, double, bool, std::string, std::vector<int64_t>>;

  LayerArgs() = default;
  LayerArgs(std::initializer_list<std::pair<const std::string, Value>> values)
      : values_(values) {}

  void Set(const std::string& name, Value value) {
    values_[name] = std::move(value);
  }
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  const std::map<std::string, Value>& values() const { return values_; }

  // Typed getters. `context` names the layer in errors ("conv2d"). The
  // forms without a default throw for a missing argument.
  int64_t GetInt(const std::string& context, const std::string& name) const;
  int64_t GetInt(const std::string& context, const std::string& name,
                 int64_t default_value) const;
  double GetDouble(const std::string& context, const std::string& name,
                   double default_value) const;
  bool GetBool(const std::string& context, const std::string& name,
               bool default_value) const;
  std::string GetString(const std::string& context, const std::string& name,
                        const std::string& default_value) const;
  std::vector<int64_t> GetInts(const std::string& context,
                               const std::string& name) const;
  std::vector<int64_t> GetInts(const std::string& context,
                               const std::string& name,
                               std::vector<int64_t> default_value) const;

  // Throws ValueError naming the first argument not in `accepted`.
  void CheckOnly(const std::string& context,
                 const std::set<std::string>& accepted) const;

  // A value as it would appear in a config: 3, 0.5, true, "big", [1, 2].
  static std::string Format(const Value& value);

 private:
  std::map<std::string, Value> values_;
};

// The registered layer type names, sorted.
std::vector<std::string> LayerTypes();

// Builds one layer; `generator` (may be null) draws the initial weights and
// is kept by dropout layers.
std::shared_ptr<Module> MakeLayer(const std::string& type,
                                  const LayerArgs& args,
                                  Generator* generator = nullptr);

struct LayerSpec {
  std::string type;
  LayerArgs args;
};

// A Sequential of MakeLayer(spec) for each spec, children "0", "1", ...
std::shared_ptr<Module> MakeSequential(const std::vector<LayerSpec>& layers,
                                       Generator* generator = nullptr);

}  // namespace tch::nn
