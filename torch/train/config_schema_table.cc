// File: torch/train/config_schema_table.cc
//
// The schema table itself (see config_schema.h): one row per config key.
#include "torch/train/config_schema.h"

namespace tch::train::internal {

const std::string_view kArchNames[5] = {"mlp", "cnn", "resnet", "gpt",
                                        "sequential"};
const std::string_view kActivationNames[5] = {"relu", "gelu", "silu", "tanh",
                                              "sigmoid"};
const std::string_view kDatasetNames[5] = {"fashion_mnist", "idx", "csv",
                                           "text", "synthetic"};
const std::string_view kCsvHeaderNames[3] = {"auto", "true", "false"};
const std::string_view kVocabNames[2] = {"byte", "char"};
const std::string_view kOptimizerNames[5] = {"sgd", "adam", "adamw", "rmsprop",
                                             "adagrad"};
const std::string_view kScheduleNames[8] = {
    "constant", "step",   "multistep", "exponential",
    "cosine",   "linear", "onecycle",  "plateau"};
const std::string_view kLossNames[5] = {"cross_entropy", "mse", "l1",
                                        "smooth_l1", "bce_with_logits"};
const std::string_view kMetricModeNames[2] = {"min", "max"};

namespace {

using T = FieldType;
using C = Check;

constexpr SchemaEntry Leaf(std::string_view path, FieldType type,
                           std::string_view default_yaml, Check check,
                           FieldRef (*field)(TrainConfig&),
                           std::string_view doc) {
  return {.path = path,
          .type = type,
          .default_yaml = default_yaml,
          .check = check,
          .doc = doc,
          .field = field};
}
constexpr SchemaEntry Enum(std::string_view path, std::string_view default_yaml,
                           std::span<const std::string_view> choices,
                           FieldRef (*field)(TrainConfig&),
                           std::string_view doc) {
  return {.path = path,
          .type = FieldType::kEnum,
          .default_yaml = default_yaml,
          .choices = choices,
          .doc = doc,
          .field = field};
}
constexpr SchemaEntry RequiredEnum(std::string_view path,
                                   std::span<const std::string_view> choices,
                                   FieldRef (*field)(TrainConfig&),
                                   std::string_view doc) {
  SchemaEntry entry = Enum(path, "", choices, field, doc);
  entry.required = true;
  return entry;
}
constexpr SchemaEntry Section(std::string_view path, std::string_view doc) {
  return {.path = path, .type = FieldType::kSection, .doc = doc};
}
constexpr SchemaEntry Include(std::string_view path, std::string_view doc) {
  return {.path = path, .type = FieldType::kInclude, .doc = doc};
}

#define FIELD(member) [](TrainConfig& c) -> FieldRef { return &c.member; }

// The one schema table. Keep sections before their keys; the order here is
// the order of the resolved YAML and of docs/config.md.
const SchemaEntry kSchema[] = {
    Include("base",
            "Another config file, relative to this one, loaded first; keys "
            "here override its keys (mappings merge key by key, lists and "
            "scalars replace). Bases may have bases; a cycle is an error."),
    Leaf("seed", T::kInt, "0", C::kNonNegative, FIELD(seed),
         "Seed of every random stream (initialization, shuffling, dropout, "
         "augmentation)."),
    Leaf("threads", T::kInt, "0", C::kNonNegative, FIELD(threads),
         "CPU threads; 0 = all cores."),
    Leaf("device", T::kString, "cpu", C::kDevice, FIELD(device),
         "Where to train: cpu, cuda (= cuda:0) or cuda:N."),
    Leaf("run_dir", T::kString, "\"\"", C::kNone, FIELD(run_dir),
         "Directory for checkpoints, logs and metrics; empty = "
         "runs/<config file stem>."),

    Section("model",
            "The network; `arch` picks which of the keys below apply."),
    RequiredEnum("model.arch", kArchNames, FIELD(model.arch), "Architecture."),
    Leaf("model.hidden", T::kIntList, "[256, 128]", C::kPositive,
         FIELD(model.hidden), "mlp: widths of the hidden layers."),
    Enum("model.activation", "relu", kActivationNames, FIELD(model.activation),
         "mlp: activation after each hidden layer."),
    Leaf("model.dropout", T::kDouble, "0.0", C::kFraction, FIELD(model.dropout),
         "Dropout probability (mlp hidden layers, cnn fc layers, gpt blocks)."),
    Leaf("model.channels", T::kIntList, "[32, 64]", C::kPositive,
         FIELD(model.channels), "cnn / resnet: output channels of each stage."),
    Leaf("model.blocks", T::kIntList, "[2, 2]", C::kPositive,
         FIELD(model.blocks),
         "resnet: residual blocks per stage (as many entries as channels)."),
    Leaf("model.kernel_size", T::kInt, "3", C::kPositive,
         FIELD(model.kernel_size), "cnn / resnet: convolution kernel size."),
    Leaf("model.batch_norm", T::kBool, "true", C::kNone,
         FIELD(model.batch_norm),
         "cnn: batch normalization after each convolution."),
    Leaf("model.fc", T::kIntList, "[128]", C::kPositive, FIELD(model.fc),
         "cnn: widths of the fully connected layers before the classifier."),
    Leaf("model.d_model", T::kInt, "128", C::kPositive, FIELD(model.d_model),
         "gpt: embedding width (a multiple of n_heads)."),
    Leaf("model.n_heads", T::kInt, "4", C::kPositive, FIELD(model.n_heads),
         "gpt: attention heads."),
    Leaf("model.n_layers", T::kInt, "2", C::kPositive, FIELD(model.n_layers),
         "gpt: transformer blocks."),
    Leaf("model.mlp_ratio", T::kInt, "4", C::kPositive, FIELD(model.mlp_ratio),
         "gpt: MLP width as a multiple of d_model."),
    Leaf("model.tie_weights", T::kBool, "true", C::kNone,
         FIELD(model.tie_weights),
         "gpt: share the token embedding with the output projection."),
    Leaf("model.layers", T::kLayers, "[]", C::kNone, FIELD(model.layers),
         "sequential: the layers in order, each a mapping with `type` and the "
         "layer's arguments, e.g. `{type: conv2d, out_channels: 32, "
         "kernel_size: 3}`. Arguments are integers, numbers, booleans, strings "
         "or lists of integers."),

    Section("data", "What to train on."),
    RequiredEnum("data.dataset", kDatasetNames, FIELD(data.dataset),
                 "Dataset kind."),
    Leaf("data.dir", T::kString, "/usr/share/datasets/fashion-mnist", C::kNone,
         FIELD(data.dir), "fashion_mnist / idx: directory of the IDX files."),
    Leaf("data.train_images", T::kString, "\"\"", C::kNone,
         FIELD(data.train_images),
         "idx: training images file; empty = train-images-idx3-ubyte under "
         "dir."),
    Leaf("data.train_labels", T::kString, "\"\"", C::kNone,
         FIELD(data.train_labels),
         "idx: training labels file; empty = train-labels-idx1-ubyte under "
         "dir."),
    Leaf("data.test_images", T::kString, "\"\"", C::kNone,
         FIELD(data.test_images),
         "idx: test images file; empty = t10k-images-idx3-ubyte under dir."),
    Leaf("data.test_labels", T::kString, "\"\"", C::kNone,
         FIELD(data.test_labels),
         "idx: test labels file; empty = t10k-labels-idx1-ubyte under dir."),
    Leaf("data.path", T::kPaths, "\"\"", C::kNone, FIELD(data.paths),
         "csv: the CSV file (required); text: a file or a list of files "
         "(required)."),
    Leaf(
        "data.label_column", T::kLabelColumn, "label", C::kNone,
        [](TrainConfig& c) -> FieldRef {
          return LabelColumnRef{&c.data.label_column,
                                &c.data.label_column_index};
        },
        "csv: the label column, by name or 0-based index."),
    Enum("data.header", "auto", kCsvHeaderNames, FIELD(data.header),
         "csv: whether the first row holds column names; auto = when it does "
         "not parse as numbers."),
    Leaf("data.val_fraction", T::kDouble, "0.1", C::kFraction,
         FIELD(data.val_fraction),
         "csv / text: fraction of the data held out for evaluation."),
    Leaf("data.context", T::kInt, "128", C::kPositive, FIELD(data.context),
         "text: tokens per training sequence."),
    Enum("data.vocab", "byte", kVocabNames, FIELD(data.vocab),
         "text: byte (256 tokens) or char (the distinct characters of the "
         "training text)."),
    Leaf("data.batch_size", T::kInt, "128", C::kPositive,
         FIELD(data.batch_size), "Training batch size."),
    Leaf("data.eval_batch_size", T::kInt, "1000", C::kPositive,
         FIELD(data.eval_batch_size), "Evaluation batch size."),
    Leaf("data.shuffle", T::kBool, "true", C::kNone, FIELD(data.shuffle),
         "Reshuffle the training set every epoch."),
    Leaf("data.drop_last", T::kBool, "false", C::kNone, FIELD(data.drop_last),
         "Drop the last incomplete training batch."),
    Leaf("data.prefetch", T::kInt, "2", C::kNonNegative, FIELD(data.prefetch),
         "Batches prepared ahead on a background thread; 0 = none."),
    Leaf("data.normalize", T::kBool, "true", C::kNone, FIELD(data.normalize),
         "Normalize inputs to zero mean and unit variance."),

    Section("data.augment", "Training-set augmentation (images)."),
    Leaf("data.augment.random_crop_padding", T::kInt, "0", C::kNonNegative,
         FIELD(data.augment.random_crop_padding),
         "Pad by this many pixels, then crop back at a random offset; 0 = "
         "off."),
    Leaf("data.augment.horizontal_flip", T::kBool, "false", C::kNone,
         FIELD(data.augment.horizontal_flip),
         "Flip images left-right with probability 1/2."),
    Leaf("data.limit_train", T::kInt, "0", C::kNonNegative,
         FIELD(data.limit_train),
         "Use only the first N training samples; 0 = all."),
    Leaf("data.limit_eval", T::kInt, "0", C::kNonNegative,
         FIELD(data.limit_eval),
         "Use only the first N evaluation samples; 0 = all."),

    Section("data.synthetic", "synthetic: a generated classification problem."),
    Leaf("data.synthetic.num_samples", T::kInt, "1024", C::kPositive,
         FIELD(data.synthetic.num_samples), "Samples generated."),
    Leaf("data.synthetic.input_shape", T::kIntList, "[1, 8, 8]", C::kPositive,
         FIELD(data.synthetic.input_shape), "Shape of one sample (not empty)."),
    Leaf("data.synthetic.num_classes", T::kInt, "4", C::kPositive,
         FIELD(data.synthetic.num_classes), "Number of classes."),

    Section("optimizer", "The optimizer."),
    Enum("optimizer.name", "adam", kOptimizerNames, FIELD(optimizer.name),
         "Algorithm."),
    Leaf("optimizer.lr", T::kDouble, "0.001", C::kPositive, FIELD(optimizer.lr),
         "Learning rate (the peak when a schedule is used)."),
    Leaf("optimizer.momentum", T::kDouble, "0.0", C::kNonNegative,
         FIELD(optimizer.momentum), "sgd / rmsprop: momentum."),
    Leaf("optimizer.dampening", T::kDouble, "0.0", C::kNonNegative,
         FIELD(optimizer.dampening), "sgd: dampening of the momentum."),
    Leaf("optimizer.nesterov", T::kBool, "false", C::kNone,
         FIELD(optimizer.nesterov),
         "sgd: Nesterov momentum (needs momentum > 0 and dampening 0)."),
    Leaf("optimizer.weight_decay", T::kDouble, "0.0", C::kNonNegative,
         FIELD(optimizer.weight_decay),
         "L2 penalty (adamw: decoupled weight decay)."),
    Leaf("optimizer.betas", T::kDoublePair, "[0.9, 0.999]", C::kFraction,
         FIELD(optimizer.betas),
         "adam / adamw: decay rates of the moment estimates."),
    Leaf("optimizer.eps", T::kDouble, "1.0e-8", C::kPositive,
         FIELD(optimizer.eps),
         "adam / adamw / rmsprop / adagrad: term added to the denominator."),
    Leaf("optimizer.alpha", T::kDouble, "0.99", C::kUnit,
         FIELD(optimizer.alpha), "rmsprop: smoothing constant."),
    Leaf("optimizer.amsgrad", T::kBool, "false", C::kNone,
         FIELD(optimizer.amsgrad), "adam / adamw: the AMSGrad variant."),

    Section("schedule",
            "Learning-rate schedule. Every length counts optimizer steps, "
            "not epochs."),
    Enum("schedule.name", "constant", kScheduleNames, FIELD(schedule.name),
         "Schedule."),
    Leaf("schedule.warmup_steps", T::kInt, "0", C::kNonNegative,
         FIELD(schedule.warmup_steps),
         "Linear warmup from 0 to lr over this many steps, then the schedule."),
    Leaf("schedule.min_lr", T::kDouble, "0.0", C::kNonNegative,
         FIELD(schedule.min_lr),
         "cosine / linear / plateau: the lowest learning rate."),
    Leaf("schedule.step_size", T::kInt, "1", C::kPositive,
         FIELD(schedule.step_size),
         "step: multiply by gamma every step_size steps."),
    Leaf("schedule.gamma", T::kDouble, "0.1", C::kPositive,
         FIELD(schedule.gamma),
         "step / multistep / exponential: multiplicative factor."),
    Leaf("schedule.milestones", T::kIntList, "[]", C::kIncreasing,
         FIELD(schedule.milestones),
         "multistep: steps at which to multiply by gamma (increasing)."),
    Leaf("schedule.max_lr", T::kDouble, "0.0", C::kNonNegative,
         FIELD(schedule.max_lr),
         "onecycle: peak learning rate; 0 = optimizer.lr."),
    Leaf("schedule.factor", T::kDouble, "0.1", C::kFraction,
         FIELD(schedule.factor),
         "plateau: multiply by this when the metric stops improving (> 0)."),
    Leaf("schedule.patience", T::kInt, "10", C::kNonNegative,
         FIELD(schedule.patience),
         "plateau: evaluations without improvement before reducing."),

    Section("train", "The training loop."),
    Leaf("train.epochs", T::kInt, "1", C::kNonNegative, FIELD(train.epochs),
         "Passes over the training set; ignored when max_steps > 0."),
    Leaf("train.max_steps", T::kInt, "0", C::kNonNegative,
         FIELD(train.max_steps),
         "Optimizer steps to run; > 0 wins over epochs."),
    Leaf("train.eval_interval", T::kInt, "0", C::kNonNegative,
         FIELD(train.eval_interval),
         "Evaluate every N steps; 0 = at the end of every epoch."),
    Leaf("train.log_interval", T::kInt, "50", C::kPositive,
         FIELD(train.log_interval), "Steps between log records."),
    Leaf("train.grad_clip_norm", T::kDouble, "0.0", C::kNonNegative,
         FIELD(train.grad_clip_norm),
         "Clip the global gradient norm to this; 0 = off."),
    Leaf("train.grad_clip_value", T::kDouble, "0.0", C::kNonNegative,
         FIELD(train.grad_clip_value),
         "Clip every gradient element to [-v, v]; 0 = off."),
    Leaf("train.grad_accumulation", T::kInt, "1", C::kPositive,
         FIELD(train.grad_accumulation),
         "Batches whose gradients are summed into one optimizer step."),
    Enum("train.loss", "cross_entropy", kLossNames, FIELD(train.loss),
         "Loss function."),
    Leaf("train.label_smoothing", T::kDouble, "0.0", C::kFraction,
         FIELD(train.label_smoothing), "cross_entropy: label smoothing."),

    Section("train.early_stopping",
            "Stop when an evaluation metric stops improving."),
    Leaf("train.early_stopping.metric", T::kString, "\"\"", C::kNone,
         FIELD(train.early_stopping.metric),
         "Metric to watch (e.g. val_loss); empty = off."),
    Leaf("train.early_stopping.patience", T::kInt, "0", C::kNonNegative,
         FIELD(train.early_stopping.patience),
         "Evaluations without improvement before stopping (> 0 when metric is "
         "set)."),
    Enum("train.early_stopping.mode", "min", kMetricModeNames,
         FIELD(train.early_stopping.mode),
         "Whether lower (min) or higher (max) is better."),

    Section("checkpoint", "Checkpoints under <run_dir>/checkpoints."),
    Leaf("checkpoint.interval_steps", T::kInt, "0", C::kNonNegative,
         FIELD(checkpoint.interval_steps),
         "Save every N steps; 0 = at the end of every epoch."),
    Leaf("checkpoint.keep_last", T::kInt, "3", C::kNonNegative,
         FIELD(checkpoint.keep_last), "Newest checkpoints kept; 0 = keep all."),

    Section("checkpoint.keep_best",
            "Also keep the checkpoint with the best evaluation metric."),
    Leaf("checkpoint.keep_best.metric", T::kString, "\"\"", C::kNone,
         FIELD(checkpoint.keep_best.metric),
         "Metric (e.g. val_accuracy); empty = off."),
    Enum("checkpoint.keep_best.mode", "max", kMetricModeNames,
         FIELD(checkpoint.keep_best.mode),
         "Whether lower (min) or higher (max) is better."),
};

#undef FIELD

}  // namespace

std::span<const SchemaEntry> Schema() { return kSchema; }

const SchemaEntry* FindSchemaEntry(std::string_view path) {
  for (const SchemaEntry& entry : kSchema) {
    if (entry.path == path) return &entry;
  }
  return nullptr;
}

std::string_view ParentPath(std::string_view path) {
  size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string_view()
                                       : path.substr(0, dot);
}

std::vector<std::string> SchemaKeys(std::string_view section) {
  std::vector<std::string> keys;
  for (const SchemaEntry& entry : kSchema) {
    if (ParentPath(entry.path) == section) {
      std::string_view key =
          entry.path.substr(section.empty() ? 0 : section.size() + 1);
      keys.emplace_back(key);
    }
  }
  return keys;
}

}  // namespace tch::train::internal
