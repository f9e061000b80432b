// File: torch/train/config.h
//
// The typed configuration of `tch train`, loaded from a YAML file plus
// command-line overrides. One schema table (config_schema.h) drives parsing,
// validation, defaults, the resolved YAML and the generated docs
// (docs/config.md, `tch config docs`).
//
// Loading, in order:
//   1. The file is read and parsed; `base: other.yaml` (relative to the file)
//      is loaded first, recursively, and this file's keys override the
//      base's (maps merge key by key, lists and scalars replace).
//   2. `${env:VAR}` / `${env:VAR:-default}` in string values is expanded.
//   3. Overrides are applied in order (grammar below).
//   4. Every key is checked against the schema (unknown keys, types, ranges,
//      enum choices, required keys), defaults fill the rest, then
//      cross-field checks run (e.g. arch gpt needs dataset text).
//
// Override grammar (one per argument):
//   a.b=VALUE        set a key; VALUE is parsed as a YAML scalar or flow
//                    collection: `lr=1e-3`, `hidden=[64,64]`, `name=sgd`
//   a.list[2]=VALUE  set one element of an existing list (index < size,
//                    or == size to append)
//   ~a.b             remove the key (its default applies again); `a.b=null`
//                    means the same thing
//
// Example:
//   tch::train::LoadedConfig loaded = tch::train::LoadConfig(
//       "configs/mnist_mlp.yaml", {"optimizer.lr=0.01", "train.epochs=3"});
//   const tch::train::TrainConfig& config = loaded.config;
//   if (config.model.arch == tch::train::Arch::kMlp) { ... }
//   std::cout << loaded.ResolvedYaml();              // what actually ran
//   loaded.provenance.at("optimizer.lr");             // "command line"
//
// Errors: every problem with a config throws ConfigError (a tch::ValueError)
// whose message starts with where the value came from, e.g.
//   cnn.yaml:14:9: optimizer.lr: expected a positive number, got "fast"
//   mlp.yaml:3:3: model.hiden: unknown key; did you mean 'hidden'?
//   command line: optimizer.lrr=0.1: unknown key; did you mean 'lr'?
//   mlp.yaml: model.arch: required key missing
// A file that cannot be read throws tch::IoError
// (`cannot read config 'x.yaml': No such file or directory`).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "torch/core/error.h"

namespace tch::train {

// A malformed or invalid configuration (file contents or override).
class ConfigError : public ValueError {
 public:
  using ValueError::ValueError;
};

// Where a configuration value came from.
struct ConfigMark {
  enum class Source { kDefault, kFile, kCommandLine };
  Source source = Source::kDefault;
  // kFile: the path as given (base files: joined to the including file's
  // directory); kCommandLine: the override argument ("optimizer.lr=0.1").
  std::string file;
  int line = 0;    // kFile: 1-based; 0 = unknown
  int column = 0;  // kFile: 1-based; 0 = unknown
};

// "cnn.yaml:14:9" (file with line and column), "cnn.yaml" (no line known),
// "command line" or "default".
std::string ConfigLocation(const ConfigMark& mark);

// ---- enumerations (names as written in YAML: ToString / the schema) ----

enum class Arch { kMlp, kCnn, kResnet, kGpt, kSequential };
enum class Activation { kRelu, kGelu, kSilu, kTanh, kSigmoid };
enum class Dataset { kFashionMnist, kIdx, kCsv, kText, kSynthetic };
enum class CsvHeader { kAuto, kTrue, kFalse };
enum class Vocab { kByte, kChar };
enum class OptimizerName { kSgd, kAdam, kAdamw, kRmsprop, kAdagrad };
enum class ScheduleName {
  kConstant,
  kStep,
  kMultistep,
  kExponential,
  kCosine,
  kLinear,
  kOnecycle,
  kPlateau
};
enum class LossName { kCrossEntropy, kMse, kL1, kSmoothL1, kBceWithLogits };
enum class MetricMode { kMin, kMax };

// The YAML spelling: "mlp", "fashion_mnist", "bce_with_logits", "min", ...
std::string_view ToString(Arch value);
std::string_view ToString(Activation value);
std::string_view ToString(Dataset value);
std::string_view ToString(CsvHeader value);
std::string_view ToString(Vocab value);
std::string_view ToString(OptimizerName value);
std::string_view ToString(ScheduleName value);
std::string_view ToString(LossName value);
std::string_view ToString(MetricMode value);

// ---- sequential layers ----

// One argument of a `model.layers` item, typed as written in YAML: integers
// stay int64_t (3), reals double (0.5), true/false bool, other scalars
// strings, and flow lists of integers std::vector<int64_t> ([3, 3]).
using LayerArgValue =
    std::variant<int64_t, double, bool, std::string, std::vector<int64_t>>;

struct LayerArg {
  LayerArgValue value;
  ConfigMark mark;  // where the value was written
};

// One item of `model.layers`: `{type: conv2d, out_channels: 32, kernel: 3}`.
// The getters throw ConfigError located at the argument (or at the item when
// the argument is missing), e.g.
//   net.yaml:7:22: model.layers[1].kernel: expected an integer, got 2.5
struct LayerSpec {
  std::string type;
  std::string path;  // "model.layers[1]", used in messages
  ConfigMark mark;   // the item itself
  ConfigMark type_mark;
  std::map<std::string, LayerArg> args;  // every key except `type`

  bool Has(const std::string& name) const { return args.count(name) > 0; }
  // Required argument; integers only.
  int64_t GetInt(const std::string& name) const;
  int64_t GetInt(const std::string& name, int64_t default_value) const;
  // Integers are accepted and converted.
  double GetDouble(const std::string& name) const;
  double GetDouble(const std::string& name, double default_value) const;
  bool GetBool(const std::string& name) const;
  bool GetBool(const std::string& name, bool default_value) const;
  std::string GetString(const std::string& name) const;
  std::string GetString(const std::string& name,
                        const std::string& default_value) const;
  // A list of integers; a single integer N is accepted as [N].
  std::vector<int64_t> GetInts(const std::string& name) const;
  std::vector<int64_t> GetInts(const std::string& name,
                               std::vector<int64_t> default_value) const;

  // Rejects any argument not in `allowed`, with a did-you-mean suggestion:
  //   net.yaml:9:5: model.layers[2].kernal: unknown argument for conv2d;
  //   did you mean 'kernel'?
  void CheckArgs(std::initializer_list<std::string_view> allowed) const;
  // Throws ConfigError "<location of arg or item>: <path>[.name]: message".
  // Pass name "" to point at the item (e.g. "unknown layer type").
  [[noreturn]] void Fail(const std::string& name,
                         const std::string& message) const;
};

// ---- the configuration ----

struct ModelConfig {
  Arch arch = Arch::kMlp;  // required in the file
  // mlp
  std::vector<int64_t> hidden = {256, 128};
  Activation activation = Activation::kRelu;
  double dropout = 0.0;
  // cnn / resnet
  std::vector<int64_t> channels = {32, 64};
  std::vector<int64_t> blocks = {2, 2};  // resnet blocks per stage
  int64_t kernel_size = 3;
  bool batch_norm = true;
  std::vector<int64_t> fc = {128};
  // gpt
  int64_t d_model = 128;
  int64_t n_heads = 4;
  int64_t n_layers = 2;
  int64_t mlp_ratio = 4;
  bool tie_weights = true;
  // sequential
  std::vector<LayerSpec> layers;
};

struct AugmentConfig {
  int64_t random_crop_padding = 0;  // 0 = off
  bool horizontal_flip = false;
};

struct SyntheticConfig {
  int64_t num_samples = 1024;
  std::vector<int64_t> input_shape = {1, 8, 8};
  int64_t num_classes = 4;
};

struct DataConfig {
  Dataset dataset = Dataset::kFashionMnist;  // required in the file
  std::string dir = "/usr/share/datasets/fashion-mnist";
  // idx: file paths ("" = the standard names under `dir`)
  std::string train_images, train_labels, test_images, test_labels;
  // csv: exactly one path; text: one or more (`path: a.txt` or a list)
  std::vector<std::string> paths;
  // csv: a column name, or an index when written as an integer (then
  // label_column is "")
  std::string label_column = "label";
  int64_t label_column_index = -1;  // >= 0 when given as an integer
  CsvHeader header = CsvHeader::kAuto;
  double val_fraction = 0.1;  // csv / text, in [0, 1)
  int64_t context = 128;      // text: sequence length
  Vocab vocab = Vocab::kByte;
  int64_t batch_size = 128;
  int64_t eval_batch_size = 1000;
  bool shuffle = true;
  bool drop_last = false;
  int64_t prefetch = 2;  // batches prepared ahead; 0 = synchronous
  bool normalize = true;
  AugmentConfig augment;
  int64_t limit_train = 0;  // 0 = all samples
  int64_t limit_eval = 0;
  SyntheticConfig synthetic;
};

struct OptimizerConfig {
  OptimizerName name = OptimizerName::kAdam;
  double lr = 0.001;  // > 0
  double momentum = 0.0;
  double dampening = 0.0;
  bool nesterov = false;
  double weight_decay = 0.0;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1.0e-8;
  double alpha = 0.99;  // rmsprop
  bool amsgrad = false;
};

// Every interval counts optimizer steps (not epochs), including step_size
// and milestones.
struct ScheduleConfig {
  ScheduleName name = ScheduleName::kConstant;
  int64_t warmup_steps = 0;  // linear warmup from 0 to lr, then the schedule
  double min_lr = 0.0;
  int64_t step_size = 1;  // step: multiply by gamma every step_size steps
  double gamma = 0.1;
  std::vector<int64_t> milestones;  // multistep: steps, increasing
  double max_lr = 0.0;              // onecycle (0 = optimizer.lr)
  double factor = 0.1;              // plateau
  int64_t patience = 10;            // plateau: evaluations without progress
};

struct EarlyStoppingConfig {
  std::string metric;  // "" = off, e.g. "val_loss"
  int64_t patience = 0;
  MetricMode mode = MetricMode::kMin;
};

struct TrainLoopConfig {
  // Training length: max_steps > 0 wins over epochs; otherwise epochs (>0).
  int64_t epochs = 1;
  int64_t max_steps = 0;
  int64_t eval_interval = 0;     // steps; 0 = at the end of every epoch
  int64_t log_interval = 50;     // steps between log records
  double grad_clip_norm = 0.0;   // 0 = off
  double grad_clip_value = 0.0;  // 0 = off
  int64_t grad_accumulation = 1;
  LossName loss = LossName::kCrossEntropy;
  double label_smoothing = 0.0;
  EarlyStoppingConfig early_stopping;
};

struct KeepBestConfig {
  std::string metric;  // "" = off
  MetricMode mode = MetricMode::kMax;
};

struct CheckpointConfig {
  int64_t interval_steps = 0;  // 0 = at the end of every epoch
  int64_t keep_last = 3;
  KeepBestConfig keep_best;
};

struct TrainConfig {
  std::string config_path;  // the file given to LoadConfig ("" for strings)
  int64_t seed = 0;
  int64_t threads = 0;         // 0 = all cores
  std::string device = "cpu";  // "cpu", "cuda" or "cuda:N" (validated)
  std::string run_dir;         // default: runs/<config file stem>
  ModelConfig model;
  DataConfig data;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  TrainLoopConfig train;
  CheckpointConfig checkpoint;
};

struct LoadedConfig {
  TrainConfig config;
  // For every leaf key path of the schema ("optimizer.lr", "model.layers"):
  // "cnn.yaml:14:9", "command line" or "default".
  std::map<std::string, std::string> provenance;
  // The complete configuration with every default filled in, keys in schema
  // order; loading it again gives the same TrainConfig.
  std::string ResolvedYaml() const { return resolved_yaml; }
  std::string resolved_yaml;
};

// Loads `path` (with its bases) and applies `overrides`. See the top of this
// file for the order and the errors.
LoadedConfig LoadConfig(const std::string& path,
                        const std::vector<std::string>& overrides = {});

// Reads one config file (a `base:`); throws tch::IoError
// "cannot read config 'x.yaml': <reason>".
using ConfigFileReader = std::function<std::string(const std::string& path)>;
std::string ReadConfigFile(const std::string& path);

// Like LoadConfig, with the top file's text given; `name` is used in
// messages and to resolve a relative `base:`, which is read with
// `read_file` (default ReadConfigFile). run_dir defaults to
// runs/<stem of name>.
LoadedConfig LoadConfigFromString(
    const std::string& text, const std::string& name,
    const std::vector<std::string>& overrides = {},
    const ConfigFileReader& read_file = nullptr);

// The YAML of `config` in schema order (what LoadedConfig::ResolvedYaml
// returns).
std::string ConfigToYaml(const TrainConfig& config);

// The Markdown reference of every key, generated from the schema (the
// contents of docs/config.md; printed by `tch config docs`).
std::string ConfigDocsMarkdown();

}  // namespace tch::train
