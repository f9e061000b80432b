// File: torch/nn/registry.cc
#include "torch/nn/registry.h"

#include <functional>
#include <sstream>

#include "torch/core/error.h"
#include "torch/nn/layers.h"

namespace tch::nn {
namespace {

[[noreturn]] void TypeError(const std::string& context, const std::string& name,
                            const char* expected, const LayerArgs::Value& got) {
  throw ValueError(context + ": argument '" + name + "': expected " + expected +
                   ", got " + LayerArgs::Format(got));
}

}  // namespace

std::string LayerArgs::Format(const Value& value) {
  std::ostringstream out;
  if (const auto* i = std::get_if<int64_t>(&value)) {
    out << *i;
  } else if (const auto* d = std::get_if<double>(&value)) {
    out << *d;
  } else if (const auto* b = std::get_if<bool>(&value)) {
    out << (*b ? "true" : "false");
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    out << '"' << *s << '"';
  } else {
    const auto& list = std::get<std::vector<int64_t>>(value);
    out << "[";
    for (size_t i = 0; i < list.size(); ++i) out << (i ? ", " : "") << list[i];
    out << "]";
  }
  return out.str();
}

int64_t LayerArgs::GetInt(const std::string& context,
                          const std::string& name) const {
  auto it = values_.find(name);
  TCH_CHECK(it != values_.end(), context, ": missing required argument '", name,
            "'");
  const auto* i = std::get_if<int64_t>(&it->second);
  if (!i) TypeError(context, name, "an integer", it->second);
  return *i;
}

int64_t LayerArgs::GetInt(const std::string& context, const std::string& name,
                          int64_t default_value) const {
  return Has(name) ? GetInt(context, name) : default_value;
}

double LayerArgs::GetDouble(const std::string& context, const std::string& name,
                            double default_value) const {
  auto it = values_.find(name);
  if (it == values_.end()) return default_value;
  if (const auto* d = std::get_if<double>(&it->second)) return *d;
  if (const auto* i = std::get_if<int64_t>(&it->second)) return double(*i);
  TypeError(context, name, "a number", it->second);
}

bool LayerArgs::GetBool(const std::string& context, const std::string& name,
                        bool default_value) const {
  auto it = values_.find(name);
  if (it == values_.end()) return default_value;
  const auto* b = std::get_if<bool>(&it->second);
  if (!b) TypeError(context, name, "a boolean", it->second);
  return *b;
}

std::string LayerArgs::GetString(const std::string& context,
                                 const std::string& name,
                                 const std::string& default_value) const {
  auto it = values_.find(name);
  if (it == values_.end()) return default_value;
  const auto* s = std::get_if<std::string>(&it->second);
  if (!s) TypeError(context, name, "a string", it->second);
  return *s;
}

std::vector<int64_t> LayerArgs::GetInts(const std::string& context,
                                        const std::string& name) const {
  auto it = values_.find(name);
  TCH_CHECK(it != values_.end(), context, ": missing required argument '", name,
            "'");
  if (const auto* i = std::get_if<int64_t>(&it->second)) return {*i};
  const auto* list = std::get_if<std::vector<int64_t>>(&it->second);
  if (!list) {
    TypeError(context, name, "an integer or a list of integers", it->second);
  }
  return *list;
}

std::vector<int64_t> LayerArgs::GetInts(
    const std::string& context, const std::string& name,
    std::vector<int64_t> default_value) const {
  return Has(name) ? GetInts(context, name) : default_value;
}

void LayerArgs::CheckOnly(const std::string& context,
                          const std::set<std::string>& accepted) const {
  for (const auto& [name, value] : values_) {
    if (accepted.count(name)) continue;
    std::string list;
    for (const std::string& a : accepted)
      list += (list.empty() ? "" : ", ") + a;
    throw ValueError(
        context + ": unknown argument '" + name + "' (" +
        (list.empty() ? "it takes no arguments" : "accepted: " + list) + ")");
  }
}

namespace {

using Builder =
    std::function<ModulePtr(const std::string&, const LayerArgs&, Generator*)>;

struct Registration {
  std::set<std::string> accepted;
  Builder build;
};

const std::map<std::string, Registration>& Registry() {
  static const auto* registry = new std::map<std::string, Registration>{
      {"linear",
       {{"in_features", "out_features", "bias"},
        [](const std::string& c, const LayerArgs& a, Generator* g) {
          return std::make_shared<Linear>(a.GetInt(c, "in_features"),
                                          a.GetInt(c, "out_features"),
                                          a.GetBool(c, "bias", true), g);
        }}},
      {"conv2d",
       {{"in_channels", "out_channels", "kernel_size", "stride", "padding",
         "dilation", "groups", "bias"},
        [](const std::string& c, const LayerArgs& a, Generator* g) {
          Conv2dOptions o;
          o.in_channels = a.GetInt(c, "in_channels");
          o.out_channels = a.GetInt(c, "out_channels");
          o.kernel_size = a.GetInts(c, "kernel_size");
          o.stride = a.GetInts(c, "stride", {1});
          const auto& values = a.values();
          auto pad = values.find("padding");
          if (pad != values.end() &&
              std::holds_alternative<std::string>(pad->second)) {
            o.padding_str = a.GetString(c, "padding", "");
          } else {
            o.padding = a.GetInts(c, "padding", {0});
          }
          o.dilation = a.GetInts(c, "dilation", {1});
          o.groups = a.GetInt(c, "groups", 1);
          o.bias = a.GetBool(c, "bias", true);
          return std::make_shared<Conv2d>(o, g);
        }}},
      {"max_pool2d",
       {{"kernel_size", "stride", "padding", "dilation", "ceil_mode"},
        [](const std::string& c, const LayerArgs& a, Generator*) {
          return std::make_shared<MaxPool2d>(
              a.GetInts(c, "kernel_size"), a.GetInts(c, "stride", {}),
              a.GetInts(c, "padding", {0}), a.GetInts(c, "dilation", {1}),
              a.GetBool(c, "ceil_mode", false));
        }}},
      {"avg_pool2d",
       {{"kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"},
        [](const std::string& c, const LayerArgs& a, Generator*) {
          return std::make_shared<AvgPool2d>(
              a.GetInts(c, "kernel_size"), a.GetInts(c, "stride", {}),
              a.GetInts(c, "padding", {0}), a.GetBool(c, "ceil_mode", false),
              a.GetBool(c, "count_include_pad", true));
        }}},
      {"adaptive_avg_pool2d",
       {{"output_size"},
        [](const std::string& c, const LayerArgs& a, Generator*) {
          return std::make_shared<AdaptiveAvgPool2d>(
              a.GetInts(c, "output_size"));
        }}},
      {"batch_norm1d",
       {{"num_features", "eps", "momentum", "affine", "track_running_stats"},
        [](const std::string& c, const LayerArgs& a, Generator*) {
          return std::make_shared<BatchNorm1d>(
              a.GetInt(c, "num_features"),
              BatchNormOptions{a.GetDouble(c, "eps", 1e-5),
                               a.GetDouble(c, "momentum", 0.1),
                               a.GetBool(c, "affine", true),
                               a.GetBool(c, "track_running_stats", true)});
        }}},
      {"batch_norm2d",
       {{"num_features", "eps", "momentum", "affine", "track_running_stats"},
        [](const std::string& c, const LayerArgs& a, Generator*) {
          return std::make_shared<BatchNorm2d>(
              a.GetInt(c, "num_features"),
              BatchNormOptions{a.GetDouble(c, "eps", 1e-5),
                               a.GetDouble(c, "momentum", 0.1),
                               a.GetBool(c, "affine", true),
                               a.GetBool(c, "track_running_stats", true)});
        }}},
      {"layer_norm",
       {{"normalized_shape", "eps", "elementwise_affine"},
        [](const std::string& c, const LayerArgs& a, Generator*) {
          return std::make_shared<LayerNorm>(
              a.GetInts(c, "normalized_shape"), a.GetDouble(c, "eps", 1e-5),
              a.GetBool(c, "elementwise_affine", true));
        }}},
      {"group_norm",
       {{"num_groups", "num_channels", "eps", "affine"},
        [](const std::string& c, const LayerArgs& a, Generator*) {
          return std::make_shared<GroupNorm>(
              a.GetInt(c, "num_groups"), a.GetInt(c, "num_channels"),
              a.GetDouble(c, "eps", 1e-5), a.GetBool(c, "affine", true));
        }}},
      {"dropout",
       {{"p"},
        [](const std::string& c, const LayerArgs& a, Generator* g) {
          return std::make_shared<Dropout>(a.GetDouble(c, "p", 0.5), g);
        }}},
      {"embedding",
       {{"num_embeddings", "embedding_dim", "padding_idx"},
        [](const std::string& c, const LayerArgs& a, Generator* g) {
          std::optional<int64_t> pad;
          if (a.Has("padding_idx")) pad = a.GetInt(c, "padding_idx");
          return std::make_shared<Embedding>(a.GetInt(c, "num_embeddings"),
                                             a.GetInt(c, "embedding_dim"), pad,
                                             g);
        }}},
      {"flatten",
       {{"start_dim", "end_dim"},
        [](const std::string& c, const LayerArgs& a, Generator*) {
          return std::make_shared<Flatten>(a.GetInt(c, "start_dim", 1),
                                           a.GetInt(c, "end_dim", -1));
        }}},
      {"identity",
       {{},
        [](const std::string&, const LayerArgs&, Generator*) {
          return std::make_shared<Identity>();
        }}},
      {"relu",
       {{},
        [](const std::string&, const LayerArgs&, Generator*) {
          return std::make_shared<ReLU>();
        }}},
      {"gelu",
       {{"approximate"},
        [](const std::string& c, const LayerArgs& a, Generator*) {
          return std::make_shared<GELU>(a.GetString(c, "approximate", "none"));
        }}},
      {"silu",
       {{},
        [](const std::string&, const LayerArgs&, Generator*) {
          return std::make_shared<SiLU>();
        }}},
      {"tanh",
       {{},
        [](const std::string&, const LayerArgs&, Generator*) {
          return std::make_shared<Tanh>();
        }}},
      {"sigmoid",
       {{},
        [](const std::string&, const LayerArgs&, Generator*) {
          return std::make_shared<Sigmoid>();
        }}},
      {"softmax",
       {{"dim"},
        [](const std::string& c, const LayerArgs& a, Generator*) {
          return std::make_shared<Softmax>(a.GetInt(c, "dim", -1));
        }}},
  };
  return *registry;
}

}  // namespace

std::vector<std::string> LayerTypes() {
  std::vector<std::string> out;
  for (const auto& [name, reg] : Registry()) out.push_back(name);
  return out;
}

std::shared_ptr<Module> MakeLayer(const std::string& type,
                                  const LayerArgs& args, Generator* generator) {
  auto it = Registry().find(type);
  if (it == Registry().end()) {
    std::string known;
    for (const std::string& t : LayerTypes()) {
      known += (known.empty() ? "" : ", ") + t;
    }
    throw ValueError("unknown layer type '" + type + "' (known: " + known +
                     ")");
  }
  args.CheckOnly(type, it->second.accepted);
  return it->second.build(type, args, generator);
}

std::shared_ptr<Module> MakeSequential(const std::vector<LayerSpec>& layers,
                                       Generator* generator) {
  auto net = std::make_shared<Sequential>();
  for (size_t i = 0; i < layers.size(); ++i) {
    try {
      net->push_back(MakeLayer(layers[i].type, layers[i].args, generator));
    } catch (const ValueError& e) {
      throw ValueError("layer " + std::to_string(i) + " (" + layers[i].type +
                       "): " + e.what());
    }
  }
  return net;
}

}  // namespace tch::nn
