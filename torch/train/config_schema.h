// File: torch/train/config_schema.h
//
// Internal to //torch/train:config: THE schema of `tch train` configs. One
// table row per key gives its path, type, default (as YAML text), range
// check, enum choices, doc line and the TrainConfig field it fills. The same
// rows drive parsing and validation (ParseField), defaults (the default text
// goes through ParseField too), the resolved YAML (EmitField) and the
// Markdown reference (ConfigDocsMarkdown in config.h, docs/config.md).
//
// Example:
//   const SchemaEntry* entry = FindSchemaEntry("optimizer.lr");
//   ParseField(*entry, node, "optimizer.lr", config);  // may throw
//   std::string yaml = EmitField(*entry, config);      // "0.001"
//
// Errors: ParseField throws ConfigError located at the offending node:
//   cnn.yaml:14:9: optimizer.lr: expected a positive number, got "fast"
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "torch/train/config.h"
#include "torch/train/config_tree.h"

namespace tch::train::internal {

enum class FieldType {
  kSection,      // a mapping of further keys
  kInclude,      // `base:` (resolved while loading; never typed or emitted)
  kInt,          // int64_t
  kDouble,       // finite double; integers accepted
  kBool,         // true / false
  kString,       // any scalar, as text
  kEnum,         // one of `choices`
  kIntList,      // [1, 2, 3]
  kDoublePair,   // [0.9, 0.999]
  kPaths,        // a string or a list of strings
  kLabelColumn,  // a column name (string) or index (integer)
  kLayers,       // model.layers: a list of {type: ..., args...} mappings
};

// Range checks; for lists they apply to every element.
enum class Check {
  kNone,
  kPositive,     // > 0
  kNonNegative,  // >= 0
  kFraction,     // [0, 1)
  kUnit,         // [0, 1]
  kDevice,       // cpu | cuda | cuda:N
  kIncreasing,   // list: non-negative, strictly increasing
};

// A pointer to the TrainConfig field a key fills.
struct LabelColumnRef {
  std::string* name;
  int64_t* index;
};
using FieldRef = std::variant<
    std::monostate, int64_t*, double*, bool*, std::string*,
    std::vector<int64_t>*, std::array<double, 2>*, std::vector<std::string>*,
    LabelColumnRef, std::vector<LayerSpec>*, Arch*, Activation*, Dataset*,
    CsvHeader*, Vocab*, OptimizerName*, ScheduleName*, LossName*, MetricMode*>;

struct SchemaEntry {
  std::string_view path = {};  // "optimizer.lr"
  FieldType type = FieldType::kSection;
  std::string_view default_yaml = {};  // YAML text; ignored when required
  bool required = false;
  Check check = Check::kNone;
  std::span<const std::string_view> choices = {};  // kEnum, in enum order
  std::string_view doc = {};
  FieldRef (*field)(TrainConfig&) = nullptr;  // null for sections/include
};

// Every row, sections before their keys, in documentation order.
std::span<const SchemaEntry> Schema();
const SchemaEntry* FindSchemaEntry(std::string_view path);
// The keys directly under `section` ("" = top level), e.g. for did-you-mean.
std::vector<std::string> SchemaKeys(std::string_view section);
// The section part of a path ("optimizer" for "optimizer.lr", "" for "seed").
std::string_view ParentPath(std::string_view path);

// Types `node` into the field of `entry` (at key path `path`), applying the
// range checks. Throws ConfigError at the offending node.
void ParseField(const SchemaEntry& entry, const ConfigNode& node,
                const std::string& path, TrainConfig& config);
// The default of `entry` as a node with default marks.
ConfigNode DefaultNode(const SchemaEntry& entry);
// The field's value as YAML text: a scalar or flow list, or for kLayers a
// block list indented by `indent` spaces (starting with a newline).
std::string EmitField(const SchemaEntry& entry, TrainConfig& config,
                      int indent);

// Names of the enum values, in enum order (ToString uses these).
extern const std::string_view kArchNames[5];
extern const std::string_view kActivationNames[5];
extern const std::string_view kDatasetNames[5];
extern const std::string_view kCsvHeaderNames[3];
extern const std::string_view kVocabNames[2];
extern const std::string_view kOptimizerNames[5];
extern const std::string_view kScheduleNames[8];
extern const std::string_view kLossNames[5];
extern const std::string_view kMetricModeNames[2];

// Scalar typing shared with LayerSpec: YAML 1.2 core forms.
std::optional<int64_t> ParseInt(const ConfigNode& node);
std::optional<double> ParseDouble(const ConfigNode& node);  // finite only
std::optional<bool> ParseBool(const ConfigNode& node);
// Shortest text that reads back as the same double, always with a '.' or
// exponent so it stays a real number ("1.0", "1e-08").
std::string FormatDouble(double value);

}  // namespace tch::train::internal
