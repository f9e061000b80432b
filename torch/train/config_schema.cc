// File: torch/train/config_schema.cc
#include "torch/train/config_schema.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <type_traits>

namespace tch::train::internal {

namespace {

using Kind = ConfigNode::Kind;
using T = FieldType;
using C = Check;

bool CheckInt(Check check, int64_t value) {
  switch (check) {
    case C::kPositive:
      return value > 0;
    case C::kNonNegative:
    case C::kIncreasing:
      return value >= 0;
    default:
      return true;
  }
}

bool CheckDouble(Check check, double value) {
  switch (check) {
    case C::kPositive:
      return value > 0;
    case C::kNonNegative:
      return value >= 0;
    case C::kFraction:
      return value >= 0 && value < 1;
    case C::kUnit:
      return value >= 0 && value <= 1;
    default:
      return true;
  }
}

std::string Join(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// What a value of `entry` must be, for "expected ..." (one list element
// when `element`).
std::string Expectation(const SchemaEntry& entry, bool element) {
  std::string range;
  switch (entry.check) {
    case C::kFraction:
      range = " in [0, 1)";
      break;
    case C::kUnit:
      range = " in [0, 1]";
      break;
    default:
      break;
  }
  std::string sign =
      entry.check == C::kPositive ? "positive "
      : entry.check == C::kNonNegative || entry.check == C::kIncreasing
          ? "non-negative "
          : "";
  switch (entry.type) {
    case T::kInt:
      return "a " + sign + "integer";
    case T::kDouble:
      return "a " + sign + "number" + range;
    case T::kBool:
      return "true or false";
    case T::kString:
      return entry.check == C::kDevice ? "cpu, cuda or cuda:N" : "a string";
    case T::kEnum:
      return "one of " + Join(entry.choices);
    case T::kIntList:
      if (element) return "a " + sign + "integer";
      return entry.check == C::kIncreasing
                 ? "an increasing list of non-negative integers"
                 : "a list of " + sign + "integers";
    case T::kDoublePair:
      return element ? "a number" + range : "a list of two numbers" + range;
    case T::kPaths:
      return element ? "a non-empty path" : "a path or a list of paths";
    case T::kLabelColumn:
      return "a column name or a non-negative column index";
    case T::kLayers:
      return element ? "a mapping with a 'type' key"
                     : "a list of layer mappings";
    case T::kSection:
      return "a mapping";
    case T::kInclude:
      return "a path";
  }
  return "a value";
}

[[noreturn]] void Expected(const SchemaEntry& entry, const ConfigNode& node,
                           const std::string& path, bool element = false) {
  ThrowConfigError(node.mark, path,
                   "expected " + Expectation(entry, element) + ", got " +
                       DescribeNode(node));
}

bool IsDevice(std::string_view text) {
  if (text == "cpu" || text == "cuda") return true;
  if (!text.starts_with("cuda:") || text.size() == 5 || text.size() > 8) {
    return false;
  }
  return std::all_of(text.begin() + 5, text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

LayerArg ParseLayerArg(const ConfigNode& node, const std::string& path) {
  LayerArg arg;
  arg.mark = node.mark;
  if (node.kind == Kind::kScalar) {
    if (node.quoted) {
      arg.value = node.scalar;
    } else if (std::optional<bool> b = ParseBool(node)) {
      arg.value = *b;
    } else if (std::optional<int64_t> i = ParseInt(node)) {
      arg.value = *i;
    } else if (std::optional<double> d = ParseDouble(node)) {
      arg.value = *d;
    } else {
      arg.value = node.scalar;
    }
    return arg;
  }
  if (node.kind == Kind::kSequence) {
    std::vector<int64_t> values;
    for (size_t i = 0; i < node.items.size(); ++i) {
      std::optional<int64_t> value = ParseInt(node.items[i]);
      if (!value) {
        ThrowConfigError(
            node.items[i].mark, IndexPath(path, i),
            "expected an integer, got " + DescribeNode(node.items[i]));
      }
      values.push_back(*value);
    }
    arg.value = std::move(values);
    return arg;
  }
  ThrowConfigError(node.mark, path,
                   "expected a number, string, boolean or list of integers, "
                   "got " +
                       DescribeNode(node));
}

std::vector<LayerSpec> ParseLayers(const SchemaEntry& entry,
                                   const ConfigNode& node,
                                   const std::string& path) {
  if (node.kind != Kind::kSequence) Expected(entry, node, path);
  std::vector<LayerSpec> layers;
  for (size_t i = 0; i < node.items.size(); ++i) {
    const ConfigNode& item = node.items[i];
    LayerSpec layer;
    layer.path = IndexPath(path, i);
    layer.mark = item.mark;
    if (item.kind != Kind::kMap) Expected(entry, item, layer.path, true);
    const ConfigNode* type = item.Find("type");
    if (type == nullptr) {
      ThrowConfigError(item.mark, layer.path + ".type", "required key missing");
    }
    if (type->kind != Kind::kScalar || type->scalar.empty()) {
      ThrowConfigError(
          type->mark, layer.path + ".type",
          "expected a layer type name, got " + DescribeNode(*type));
    }
    layer.type = type->scalar;
    layer.type_mark = type->mark;
    for (const ConfigNode& value : item.entries) {
      const std::string& key = value.key;
      if (key == "type") continue;
      layer.args[key] = ParseLayerArg(value, JoinPath(layer.path, key));
    }
    layers.push_back(std::move(layer));
  }
  return layers;
}

std::string EmitLayerArg(const LayerArgValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<V, int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<V, double>) {
          return FormatDouble(v);
        } else if constexpr (std::is_same_v<V, std::string>) {
          return QuoteYaml(v);
        } else {
          std::string out = "[";
          for (size_t i = 0; i < v.size(); ++i) {
            out += (i ? ", " : "") + std::to_string(v[i]);
          }
          return out + "]";
        }
      },
      value);
}

}  // namespace

std::optional<int64_t> ParseInt(const ConfigNode& node) {
  if (node.kind != Kind::kScalar || node.quoted) return std::nullopt;
  std::string_view text = node.scalar;
  bool plus = text.starts_with('+');
  if (plus) text.remove_prefix(1);
  if (text.empty() || text[0] == '+' || (plus && text[0] == '-')) {
    return std::nullopt;
  }
  int64_t value = 0;
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::optional<double> ParseDouble(const ConfigNode& node) {
  if (node.kind != Kind::kScalar || node.quoted) return std::nullopt;
  std::string_view text = node.scalar;
  // [+-]? digits* (. digits*)? ([eE] [+-]? digits+)? with a mantissa digit;
  // from_chars alone would also take "inf", "nan" and hex.
  size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  size_t mantissa_digits = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < text.size() &&
           std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
    }
    return i - start;
  };
  mantissa_digits += digits();
  if (i < text.size() && text[i] == '.') {
    ++i;
    mantissa_digits += digits();
  }
  if (mantissa_digits == 0) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (digits() == 0) return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  if (text.starts_with('+')) text.remove_prefix(1);
  double value = 0;
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<bool> ParseBool(const ConfigNode& node) {
  if (node.kind != Kind::kScalar || node.quoted) return std::nullopt;
  const std::string& s = node.scalar;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

std::string FormatDouble(double value) {
  char buffer[64];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string text(buffer, end);
  if (text.find_first_of(".en") == std::string::npos) text += ".0";
  return text;
}

ConfigNode DefaultNode(const SchemaEntry& entry) {
  return ParseYaml(entry.default_yaml, ConfigMark{});
}

void ParseField(const SchemaEntry& entry, const ConfigNode& node,
                const std::string& path, TrainConfig& config) {
  FieldRef field = entry.field(config);
  switch (entry.type) {
    case T::kInt: {
      std::optional<int64_t> value = ParseInt(node);
      if (!value || !CheckInt(entry.check, *value)) Expected(entry, node, path);
      *std::get<int64_t*>(field) = *value;
      return;
    }
    case T::kDouble: {
      std::optional<double> value = ParseDouble(node);
      if (!value || !CheckDouble(entry.check, *value)) {
        Expected(entry, node, path);
      }
      *std::get<double*>(field) = *value;
      return;
    }
    case T::kBool: {
      std::optional<bool> value = ParseBool(node);
      if (!value) Expected(entry, node, path);
      *std::get<bool*>(field) = *value;
      return;
    }
    case T::kString:
      if (node.kind != Kind::kScalar ||
          (entry.check == C::kDevice && !IsDevice(node.scalar))) {
        Expected(entry, node, path);
      }
      *std::get<std::string*>(field) = node.scalar;
      return;
    case T::kEnum: {
      if (node.kind != Kind::kScalar) Expected(entry, node, path);
      auto it =
          std::find(entry.choices.begin(), entry.choices.end(), node.scalar);
      if (it == entry.choices.end()) {
        std::vector<std::string> choices(entry.choices.begin(),
                                         entry.choices.end());
        ThrowConfigError(node.mark, path,
                         "expected " + Expectation(entry, false) + ", got " +
                             DescribeNode(node) +
                             DidYouMean(node.scalar, choices));
      }
      int index = static_cast<int>(it - entry.choices.begin());
      std::visit(
          [&](auto target) {
            using P = std::remove_pointer_t<decltype(target)>;
            if constexpr (std::is_pointer_v<decltype(target)> &&
                          std::is_enum_v<P>)
              *target = static_cast<P>(index);
          },
          field);
      return;
    }
    case T::kIntList: {
      if (node.kind != Kind::kSequence) Expected(entry, node, path);
      std::vector<int64_t> values;
      for (size_t i = 0; i < node.items.size(); ++i) {
        const ConfigNode& item = node.items[i];
        std::optional<int64_t> value = ParseInt(item);
        if (!value || !CheckInt(entry.check, *value)) {
          Expected(entry, item, IndexPath(path, i), true);
        }
        if (entry.check == C::kIncreasing && !values.empty() &&
            *value <= values.back()) {
          ThrowConfigError(
              item.mark, IndexPath(path, i),
              "expected a value greater than " + std::to_string(values.back()) +
                  " (the list must increase), got " + DescribeNode(item));
        }
        values.push_back(*value);
      }
      *std::get<std::vector<int64_t>*>(field) = std::move(values);
      return;
    }
    case T::kDoublePair: {
      if (node.kind != Kind::kSequence || node.items.size() != 2) {
        Expected(entry, node, path);
      }
      auto& pair = *std::get<std::array<double, 2>*>(field);
      for (size_t i = 0; i < 2; ++i) {
        std::optional<double> value = ParseDouble(node.items[i]);
        if (!value || !CheckDouble(entry.check, *value)) {
          Expected(entry, node.items[i], IndexPath(path, i), true);
        }
        pair[i] = *value;
      }
      return;
    }
    case T::kPaths: {
      std::vector<std::string> paths;
      if (node.kind == Kind::kScalar) {
        if (!node.scalar.empty()) paths.push_back(node.scalar);
      } else if (node.kind == Kind::kSequence) {
        for (size_t i = 0; i < node.items.size(); ++i) {
          const ConfigNode& item = node.items[i];
          if (item.kind != Kind::kScalar || item.scalar.empty()) {
            Expected(entry, item, IndexPath(path, i), true);
          }
          paths.push_back(item.scalar);
        }
      } else {
        Expected(entry, node, path);
      }
      *std::get<std::vector<std::string>*>(field) = std::move(paths);
      return;
    }
    case T::kLabelColumn: {
      if (node.kind != Kind::kScalar || node.scalar.empty()) {
        Expected(entry, node, path);
      }
      auto ref = std::get<LabelColumnRef>(field);
      if (std::optional<int64_t> index = ParseInt(node)) {
        if (*index < 0) Expected(entry, node, path);
        *ref.name = "";
        *ref.index = *index;
      } else {
        *ref.name = node.scalar;
        *ref.index = -1;
      }
      return;
    }
    case T::kLayers:
      *std::get<std::vector<LayerSpec>*>(field) =
          ParseLayers(entry, node, path);
      return;
    case T::kSection:
    case T::kInclude:
      return;
  }
}

std::string EmitField(const SchemaEntry& entry, TrainConfig& config,
                      int indent) {
  FieldRef field = entry.field(config);
  switch (entry.type) {
    case T::kInt:
      return std::to_string(*std::get<int64_t*>(field));
    case T::kDouble:
      return FormatDouble(*std::get<double*>(field));
    case T::kBool:
      return *std::get<bool*>(field) ? "true" : "false";
    case T::kString:
      return QuoteYaml(*std::get<std::string*>(field));
    case T::kEnum: {
      std::string out;
      std::visit(
          [&](auto target) {
            using P = std::remove_pointer_t<decltype(target)>;
            if constexpr (std::is_pointer_v<decltype(target)> &&
                          std::is_enum_v<P>) {
              out = entry.choices[static_cast<size_t>(*target)];
            }
          },
          field);
      return out;
    }
    case T::kIntList:
      return EmitLayerArg(*std::get<std::vector<int64_t>*>(field));
    case T::kDoublePair: {
      auto& pair = *std::get<std::array<double, 2>*>(field);
      return "[" + FormatDouble(pair[0]) + ", " + FormatDouble(pair[1]) + "]";
    }
    case T::kPaths: {
      const auto& paths = *std::get<std::vector<std::string>*>(field);
      if (paths.size() == 1) return QuoteYaml(paths[0]);
      std::string out = "[";
      for (size_t i = 0; i < paths.size(); ++i) {
        out += (i ? ", " : "") + QuoteYaml(paths[i]);
      }
      return out + "]";
    }
    case T::kLabelColumn: {
      auto ref = std::get<LabelColumnRef>(field);
      return *ref.index >= 0 ? std::to_string(*ref.index)
                             : QuoteYaml(*ref.name);
    }
    case T::kLayers: {
      const auto& layers = *std::get<std::vector<LayerSpec>*>(field);
      if (layers.empty()) return "[]";
      std::string pad(static_cast<size_t>(indent), ' ');
      std::string out;
      for (const LayerSpec& layer : layers) {
        out += "\n" + pad + "- type: " + QuoteYaml(layer.type);
        for (const auto& [name, arg] : layer.args) {
          out += "\n" + pad + "  " + QuoteYaml(name) + ": " +
                 EmitLayerArg(arg.value);
        }
      }
      return out;
    }
    case T::kSection:
    case T::kInclude:
      break;
  }
  return "";
}

}  // namespace tch::train::internal
