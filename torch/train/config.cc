// File: torch/train/config.cc
#include "torch/train/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <type_traits>

#include "torch/train/config_schema.h"
#include "torch/train/config_tree.h"

namespace tch::train {

using internal::ConfigNode;
using internal::FieldType;
using internal::SchemaEntry;
using internal::ThrowConfigError;
using Kind = ConfigNode::Kind;

namespace {

constexpr size_t kMaxConfigBytes = size_t{16} << 20;
constexpr size_t kMaxBaseDepth = 32;

[[noreturn]] void ThrowReadError(const std::string& path,
                                 const std::string& reason) {
  throw IoError("cannot read config '" + path + "': " + reason);
}

std::string ResolveBase(const std::string& including, const std::string& base) {
  std::filesystem::path base_path(base);
  if (base_path.is_absolute()) return base_path.lexically_normal().string();
  std::filesystem::path dir = std::filesystem::path(including).parent_path();
  return (dir / base_path).lexically_normal().string();
}

// Identity of a file for cycle detection (symlinks and ../ resolved where
// the file exists).
std::string FileIdentity(const std::string& path) {
  std::error_code error;
  std::filesystem::path canonical =
      std::filesystem::weakly_canonical(path, error);
  if (error) return std::filesystem::path(path).lexically_normal().string();
  return canonical.string();
}

struct Chain {
  std::vector<std::string> identities;
  std::vector<std::string> names;
};

// Parses `text` (file `name`) and everything it includes through `base:`,
// merged, with nulls removed.
ConfigNode LoadTree(const std::string& text, const std::string& name,
                    const ConfigFileReader& read, Chain& chain) {
  ConfigNode root = internal::ParseYaml(text, internal::FileMark(name));
  if (root.kind == Kind::kNull) root.kind = Kind::kMap;  // empty file
  if (root.kind != Kind::kMap) {
    ThrowConfigError(root.mark, "",
                     "expected a mapping of keys at the top level, got " +
                         internal::DescribeNode(root));
  }
  ConfigNode merged;
  merged.kind = Kind::kMap;
  const ConfigNode* base = root.Find("base");
  if (base != nullptr && base->kind == Kind::kNull) {
    root.Erase("base");  // `base:` with no value: no base, like any null
    base = nullptr;
  }
  if (base != nullptr) {
    ConfigNode base_node = *base;
    internal::InterpolateEnv(base_node, "base");
    if (base_node.kind != Kind::kScalar || base_node.scalar.empty()) {
      ThrowConfigError(
          base_node.mark, "base",
          "expected a path, got " + internal::DescribeNode(base_node));
    }
    std::string base_path = ResolveBase(name, base_node.scalar);
    std::string identity = FileIdentity(base_path);
    if (std::find(chain.identities.begin(), chain.identities.end(), identity) !=
        chain.identities.end()) {
      std::string cycle;
      for (const std::string& file : chain.names) cycle += file + " -> ";
      ThrowConfigError(base_node.mark, "base",
                       "include cycle: " + cycle + base_path);
    }
    if (chain.names.size() >= kMaxBaseDepth) {
      ThrowConfigError(base_node.mark, "base",
                       "bases nested more than " +
                           std::to_string(kMaxBaseDepth) + " files deep");
    }
    std::string base_text;
    try {
      base_text = read ? read(base_path) : ReadConfigFile(base_path);
    } catch (const IoError& e) {
      throw IoError(
          internal::FormatConfigError(base_node.mark, "base", e.what()));
    }
    chain.identities.push_back(identity);
    chain.names.push_back(base_path);
    merged = LoadTree(base_text, base_path, read, chain);
    chain.identities.pop_back();
    chain.names.pop_back();
    root.Erase("base");
  }
  internal::MergeInto(merged, std::move(root));
  return merged;
}

bool IsPlainKey(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

[[noreturn]] void UnknownKey(const ConfigMark& mark, const std::string& path,
                             std::string_view section, std::string_view key) {
  std::vector<std::string> keys = internal::SchemaKeys(section);
  std::string hint = internal::DidYouMean(key, keys);
  if (hint.empty()) {
    hint = "; expected one of: ";
    for (size_t i = 0; i < keys.size(); ++i) {
      hint += (i ? ", " : "") + keys[i];
    }
  }
  ThrowConfigError(mark, path, "unknown key" + hint);
}

using Marks = std::map<std::string, ConfigMark>;

void TypeSection(const ConfigNode& map, const std::string& section,
                 TrainConfig& config, Marks& marks) {
  for (const ConfigNode& value : map.entries) {
    const std::string& key = value.key;
    std::string path = internal::JoinPath(section, key);
    const SchemaEntry* entry =
        IsPlainKey(key) ? internal::FindSchemaEntry(path) : nullptr;
    if (entry == nullptr || entry->type == FieldType::kInclude) {
      UnknownKey(value.key_mark, path, section, key);
    }
    if (entry->type == FieldType::kSection) {
      if (value.kind != Kind::kMap) {
        ThrowConfigError(
            value.mark, path,
            "expected a mapping, got " + internal::DescribeNode(value));
      }
      TypeSection(value, path, config, marks);
      continue;
    }
    internal::ParseField(*entry, value, path, config);
    marks[path] = value.mark;
  }
}

// Checks that involve more than one key. `top` stands in for values that
// were defaults.
void CrossCheck(const TrainConfig& c, const Marks& marks,
                const ConfigMark& top) {
  auto fail = [&](const std::string& path, const std::string& message) {
    const ConfigMark& mark = marks.at(path);
    ThrowConfigError(mark.source == ConfigMark::Source::kDefault ? top : mark,
                     path, message);
  };
  std::string arch(ToString(c.model.arch));
  if (c.model.arch == Arch::kGpt && c.data.dataset != Dataset::kText) {
    fail("model.arch", "arch gpt needs data.dataset text, got " +
                           std::string(ToString(c.data.dataset)));
  }
  if (c.data.dataset == Dataset::kText && c.model.arch != Arch::kGpt &&
      c.model.arch != Arch::kSequential) {
    fail("data.dataset",
         "dataset text needs model.arch gpt or sequential, got " + arch);
  }
  if (c.model.arch == Arch::kSequential && c.model.layers.empty()) {
    fail("model.layers", "arch sequential needs at least one layer");
  }
  if ((c.model.arch == Arch::kCnn || c.model.arch == Arch::kResnet) &&
      c.model.channels.empty()) {
    fail("model.channels", "arch " + arch + " needs at least one stage");
  }
  if (c.model.arch == Arch::kResnet &&
      c.model.blocks.size() != c.model.channels.size()) {
    fail("model.blocks", "resnet needs one entry per model.channels entry (" +
                             std::to_string(c.model.channels.size()) +
                             "), got " + std::to_string(c.model.blocks.size()));
  }
  if (c.model.arch == Arch::kGpt && c.model.d_model % c.model.n_heads != 0) {
    fail("model.d_model", "must be a multiple of model.n_heads (" +
                              std::to_string(c.model.n_heads) + "), got " +
                              std::to_string(c.model.d_model));
  }
  if (c.data.dataset == Dataset::kCsv && c.data.paths.size() != 1) {
    fail("data.path", "dataset csv needs exactly one path, got " +
                          std::to_string(c.data.paths.size()));
  }
  if (c.data.dataset == Dataset::kText && c.data.paths.empty()) {
    fail("data.path", "dataset text needs at least one path");
  }
  if (c.data.synthetic.input_shape.empty()) {
    fail("data.synthetic.input_shape", "must not be empty");
  }
  if (c.train.epochs == 0 && c.train.max_steps == 0) {
    fail("train.epochs",
         "train.epochs or train.max_steps must be > 0 (both are 0)");
  }
  if (c.optimizer.nesterov &&
      (c.optimizer.momentum <= 0 || c.optimizer.dampening != 0)) {
    fail("optimizer.nesterov",
         "needs optimizer.momentum > 0 and optimizer.dampening 0");
  }
  if (c.schedule.name == ScheduleName::kMultistep &&
      c.schedule.milestones.empty()) {
    fail("schedule.milestones",
         "schedule multistep needs at least one milestone");
  }
  if (c.schedule.name == ScheduleName::kPlateau && c.schedule.factor <= 0) {
    fail("schedule.factor", "schedule plateau needs a factor > 0");
  }
  if (c.schedule.min_lr > c.optimizer.lr) {
    fail("schedule.min_lr", "must not exceed optimizer.lr (" +
                                internal::FormatDouble(c.optimizer.lr) + ")");
  }
  if (!c.train.early_stopping.metric.empty() &&
      c.train.early_stopping.patience == 0) {
    fail("train.early_stopping.patience",
         "must be > 0 when train.early_stopping.metric is set");
  }
  if (c.train.label_smoothing > 0 && c.train.loss != LossName::kCrossEntropy) {
    fail("train.label_smoothing", "only applies to loss cross_entropy, not " +
                                      std::string(ToString(c.train.loss)));
  }
}

internal::OverrideHooks MakeHooks() {
  internal::OverrideHooks hooks;
  hooks.default_value =
      [](const std::string& path) -> std::optional<ConfigNode> {
    const SchemaEntry* entry = internal::FindSchemaEntry(path);
    if (entry == nullptr || entry->required ||
        entry->type == FieldType::kSection) {
      return std::nullopt;
    }
    return internal::DefaultNode(*entry);
  };
  hooks.check_key = [](const std::string& path, const ConfigMark& mark) {
    if (path.starts_with("model.layers[")) return;  // free-form layer args
    std::string plain = path.substr(0, path.find('['));
    // Report the first component the schema does not know.
    std::string section;
    size_t start = 0;
    while (true) {
      size_t dot = plain.find('.', start);
      std::string prefix = plain.substr(0, dot);
      const SchemaEntry* entry = internal::FindSchemaEntry(prefix);
      if (entry == nullptr || entry->type == FieldType::kInclude) {
        UnknownKey(mark, prefix, section, prefix.substr(start));
      }
      if (dot == std::string::npos) return;
      section = prefix;
      start = dot + 1;
    }
  };
  return hooks;
}

std::string DescribeArg(const LayerArgValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<V, int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<V, double>) {
          return internal::FormatDouble(v);
        } else if constexpr (std::is_same_v<V, std::string>) {
          return internal::QuoteYaml(v);
        } else {
          return "a list";
        }
      },
      value);
}

}  // namespace

std::string ConfigLocation(const ConfigMark& mark) {
  switch (mark.source) {
    case ConfigMark::Source::kDefault:
      return "default";
    case ConfigMark::Source::kCommandLine:
      return "command line";
    case ConfigMark::Source::kFile:
      break;
  }
  if (mark.line <= 0) return mark.file;
  return mark.file + ":" + std::to_string(mark.line) + ":" +
         std::to_string(mark.column);
}

#define TCH_ENUM_TO_STRING(Type, names)                 \
  std::string_view ToString(Type value) {               \
    return internal::names[static_cast<size_t>(value)]; \
  }
TCH_ENUM_TO_STRING(Arch, kArchNames)
TCH_ENUM_TO_STRING(Activation, kActivationNames)
TCH_ENUM_TO_STRING(Dataset, kDatasetNames)
TCH_ENUM_TO_STRING(CsvHeader, kCsvHeaderNames)
TCH_ENUM_TO_STRING(Vocab, kVocabNames)
TCH_ENUM_TO_STRING(OptimizerName, kOptimizerNames)
TCH_ENUM_TO_STRING(ScheduleName, kScheduleNames)
TCH_ENUM_TO_STRING(LossName, kLossNames)
TCH_ENUM_TO_STRING(MetricMode, kMetricModeNames)
#undef TCH_ENUM_TO_STRING

// ---- LayerSpec ----

void LayerSpec::Fail(const std::string& name,
                     const std::string& message) const {
  auto it = args.find(name);
  const ConfigMark& where = it != args.end() ? it->second.mark : mark;
  ThrowConfigError(where, name.empty() ? path : internal::JoinPath(path, name),
                   message);
}

namespace {

template <typename V>
const V* LayerValue(const LayerSpec& layer, const std::string& name,
                    const char* expected) {
  auto it = layer.args.find(name);
  if (it == layer.args.end()) return nullptr;
  if (const V* value = std::get_if<V>(&it->second.value)) return value;
  layer.Fail(name, std::string("expected ") + expected + ", got " +
                       DescribeArg(it->second.value));
}

template <typename V>
const V& RequiredLayerValue(const LayerSpec& layer, const std::string& name,
                            const char* expected) {
  const V* value = LayerValue<V>(layer, name, expected);
  if (value == nullptr) {
    layer.Fail(name, "required argument of " + layer.type + " missing");
  }
  return *value;
}

}  // namespace

int64_t LayerSpec::GetInt(const std::string& name) const {
  return RequiredLayerValue<int64_t>(*this, name, "an integer");
}
int64_t LayerSpec::GetInt(const std::string& name, int64_t fallback) const {
  const int64_t* value = LayerValue<int64_t>(*this, name, "an integer");
  return value ? *value : fallback;
}
double LayerSpec::GetDouble(const std::string& name) const {
  auto it = args.find(name);
  if (it != args.end()) {
    if (const int64_t* i = std::get_if<int64_t>(&it->second.value)) {
      return static_cast<double>(*i);
    }
  }
  return RequiredLayerValue<double>(*this, name, "a number");
}
double LayerSpec::GetDouble(const std::string& name, double fallback) const {
  return Has(name) ? GetDouble(name) : fallback;
}
bool LayerSpec::GetBool(const std::string& name) const {
  return RequiredLayerValue<bool>(*this, name, "true or false");
}
bool LayerSpec::GetBool(const std::string& name, bool fallback) const {
  const bool* value = LayerValue<bool>(*this, name, "true or false");
  return value ? *value : fallback;
}
std::string LayerSpec::GetString(const std::string& name) const {
  return RequiredLayerValue<std::string>(*this, name, "a string");
}
std::string LayerSpec::GetString(const std::string& name,
                                 const std::string& fallback) const {
  const std::string* value = LayerValue<std::string>(*this, name, "a string");
  return value ? *value : fallback;
}
std::vector<int64_t> LayerSpec::GetInts(const std::string& name) const {
  auto it = args.find(name);
  if (it != args.end()) {
    if (const int64_t* i = std::get_if<int64_t>(&it->second.value)) {
      return {*i};
    }
  }
  return RequiredLayerValue<std::vector<int64_t>>(*this, name,
                                                  "a list of integers");
}
std::vector<int64_t> LayerSpec::GetInts(const std::string& name,
                                        std::vector<int64_t> fallback) const {
  return Has(name) ? GetInts(name) : fallback;
}

void LayerSpec::CheckArgs(
    std::initializer_list<std::string_view> allowed) const {
  std::vector<std::string> names(allowed.begin(), allowed.end());
  for (const auto& [name, arg] : args) {
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    std::string hint = internal::DidYouMean(name, names);
    if (hint.empty()) {
      hint = names.empty() ? "; " + type + " takes no arguments"
                           : "; expected one of: ";
      for (size_t i = 0; i < names.size(); ++i) {
        hint += (i ? ", " : "") + names[i];
      }
    }
    Fail(name, "unknown argument for " + type + hint);
  }
}

// ---- loading ----

std::string ReadConfigFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) ThrowReadError(path, std::strerror(errno));
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat info;
  if (::fstat(fd, &info) != 0) ThrowReadError(path, std::strerror(errno));
  if (S_ISDIR(info.st_mode)) ThrowReadError(path, std::strerror(EISDIR));
  if (!S_ISREG(info.st_mode)) ThrowReadError(path, "not a regular file");
  if (static_cast<size_t>(info.st_size) > kMaxConfigBytes) {
    ThrowReadError(path, "larger than 16 MiB");
  }
  std::string text;
  char buffer[65536];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowReadError(path, std::strerror(errno));
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxConfigBytes) {
      ThrowReadError(path, "larger than 16 MiB");
    }
  }
  return text;
}

LoadedConfig LoadConfig(const std::string& path,
                        const std::vector<std::string>& overrides) {
  return LoadConfigFromString(ReadConfigFile(path), path, overrides);
}

LoadedConfig LoadConfigFromString(const std::string& text,
                                  const std::string& name,
                                  const std::vector<std::string>& overrides,
                                  const ConfigFileReader& read_file) {
  Chain chain;
  chain.identities.push_back(FileIdentity(name));
  chain.names.push_back(name);
  ConfigNode tree = LoadTree(text, name, read_file, chain);

  internal::OverrideHooks hooks = MakeHooks();
  for (const std::string& override_text : overrides) {
    internal::ApplyOverride(tree, override_text, hooks);
  }
  internal::InterpolateEnv(tree, "");

  LoadedConfig loaded;
  TrainConfig& config = loaded.config;
  Marks marks;
  TypeSection(tree, "", config, marks);
  ConfigMark top = internal::FileMark(name);
  for (const SchemaEntry& entry : internal::Schema()) {
    if (entry.type == FieldType::kSection ||
        entry.type == FieldType::kInclude) {
      continue;
    }
    std::string path(entry.path);
    if (marks.count(path)) continue;
    if (entry.required) ThrowConfigError(top, path, "required key missing");
    internal::ParseField(entry, internal::DefaultNode(entry), path, config);
    marks[path] = ConfigMark{};
  }
  config.config_path = name;
  if (config.run_dir.empty()) {
    std::string stem = std::filesystem::path(name).stem().string();
    config.run_dir = "runs/" + (stem.empty() ? std::string("config") : stem);
  }
  CrossCheck(config, marks, top);

  for (const auto& [path, mark] : marks) {
    loaded.provenance[path] = ConfigLocation(mark);
  }
  loaded.resolved_yaml = ConfigToYaml(config);
  return loaded;
}

std::string ConfigToYaml(const TrainConfig& config) {
  TrainConfig copy = config;  // the field accessors take a mutable config
  std::string out;
  for (const SchemaEntry& entry : internal::Schema()) {
    if (entry.type == FieldType::kInclude) continue;
    int depth =
        static_cast<int>(std::count(entry.path.begin(), entry.path.end(), '.'));
    std::string_view key = entry.path.substr(entry.path.rfind('.') + 1);
    out += std::string(static_cast<size_t>(2 * depth), ' ');
    out += std::string(key) + ":";
    if (entry.type != FieldType::kSection) {
      std::string value = internal::EmitField(entry, copy, 2 * depth + 2);
      if (!value.starts_with('\n')) out += " ";
      out += value;
    }
    out += "\n";
  }
  return out;
}

}  // namespace tch::train
