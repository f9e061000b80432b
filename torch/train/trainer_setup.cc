#include "torch/train/trainer_setup.h"

#include <cmath>
#include <filesystem>

#include "torch/autograd/functions/functions.h"
#include "torch/core/error.h"
#include "torch/core/generator.h"
#include "torch/core/ops.h"
#include "torch/core/reduce_ops.h"
#include "torch/nn/layers.h"
#include "torch/nn/models.h"
#include "torch/nn/registry.h"

namespace tch::train {
namespace {

// Examples [begin, end) of another dataset (synthetic train/eval splits).
class SubsetDataset final : public data::Dataset {
 public:
  SubsetDataset(std::shared_ptr<const data::Dataset> base, int64_t begin,
                int64_t end, std::string description)
      : base_(std::move(base)),
        begin_(begin),
        end_(end),
        description_(std::move(description)) {}
  int64_t size() const override { return end_ - begin_; }
  data::Batch GetBatch(std::span<const int64_t> indices) const override {
    std::vector<int64_t> shifted(indices.begin(), indices.end());
    for (int64_t& i : shifted) {
      TCH_CHECK_T(IndexError, i >= 0 && i < size(), "index ", i,
                  " out of range for a dataset of ", size(), " examples");
      i += begin_;
    }
    return base_->GetBatch(shifted);
  }
  Shape input_shape() const override { return base_->input_shape(); }
  DType input_dtype() const override { return base_->input_dtype(); }
  Shape target_shape() const override { return base_->target_shape(); }
  DType target_dtype() const override { return base_->target_dtype(); }
  int64_t num_classes() const override { return base_->num_classes(); }
  int64_t vocab_size() const override { return base_->vocab_size(); }
  std::string description() const override { return description_; }

 private:
  std::shared_ptr<const data::Dataset> base_;
  int64_t begin_, end_;
  std::string description_;
};

std::string IdxPath(const DataConfig& d, const std::string& given,
                    const char* standard_name) {
  if (!given.empty()) return given;
  return d.dir + "/" + standard_name;
}

// Loads IDX images, normalizing with the training images' own mean/std.
std::shared_ptr<const data::Dataset> LoadIdxNormalized(
    const std::string& images, const std::string& labels, int64_t limit,
    const DataConfig& d, std::optional<std::pair<double, double>>& stats) {
  data::IdxOptions options;
  options.limit = limit;
  if (d.normalize) {
    if (!stats) {
      Tensor raw = data::ReadIdxFile(images).to(DType::kFloat64);
      raw = tch::div(raw, 255.0);
      stats = {tch::mean(raw).item<double>(), tch::std(raw).item<double>()};
    }
    options.normalize = true;
    if (stats->second <= 0) stats->second = 1.0;  // constant images
    options.mean = stats->first;
    options.std = stats->second;
  }
  return data::LoadIdx(images, labels, options);
}

}  // namespace

void SeedEverything(int64_t seed) {
  DefaultCpuGenerator().set_seed(static_cast<uint64_t>(seed));
}

RunData BuildData(const TrainConfig& config) {
  const DataConfig& d = config.data;
  RunData run;
  switch (d.dataset) {
    case Dataset::kFashionMnist: {
      data::FashionMnistOptions options;
      options.dir = d.dir;
      options.normalize = d.normalize;
      options.limit = d.limit_train;
      options.split = data::Split::kTrain;
      run.train = data::FashionMnist(options);
      options.limit = d.limit_eval;
      options.split = data::Split::kTest;
      run.eval = data::FashionMnist(options);
      if (d.normalize) {
        run.image_normalization = {options.mean, options.std};
      }
      run.eval_split_name = "test";
      break;
    }
    case Dataset::kIdx: {
      std::optional<std::pair<double, double>> stats;
      run.train = LoadIdxNormalized(
          IdxPath(d, d.train_images, "train-images-idx3-ubyte.gz"),
          IdxPath(d, d.train_labels, "train-labels-idx1-ubyte.gz"),
          d.limit_train, d, stats);
      run.eval = LoadIdxNormalized(
          IdxPath(d, d.test_images, "t10k-images-idx3-ubyte.gz"),
          IdxPath(d, d.test_labels, "t10k-labels-idx1-ubyte.gz"), d.limit_eval,
          d, stats);
      run.image_normalization = stats;
      run.eval_split_name = "test";
      break;
    }
    case Dataset::kCsv: {
      TCH_CHECK(d.paths.size() == 1,
                "data.path: a csv dataset needs exactly "
                "one file, got ",
                d.paths.size());
      data::CsvOptions options;
      options.path = d.paths[0];
      if (d.label_column_index >= 0) {
        options.label_column = d.label_column_index;
      } else {
        options.label_column = d.label_column;
      }
      options.header = d.header == CsvHeader::kAuto   ? data::CsvHeader::kAuto
                       : d.header == CsvHeader::kTrue ? data::CsvHeader::kYes
                                                      : data::CsvHeader::kNo;
      options.normalize = d.normalize;
      options.val_fraction = d.val_fraction;
      options.seed = static_cast<uint64_t>(config.seed);
      data::CsvDatasets csv = data::LoadCsv(options);
      run.train = csv.train;
      run.eval = csv.val;
      run.eval_split_name = "val";
      if (run.train->num_classes() == 0) run.task = Task::kRegression;
      break;
    }
    case Dataset::kText: {
      data::TextOptions options;
      options.paths = d.paths.empty()
                          ? std::vector<std::string>{data::kFortunesDir}
                          : d.paths;
      options.vocab = d.vocab == Vocab::kByte ? data::Vocab::Kind::kByte
                                              : data::Vocab::Kind::kChar;
      options.context_length = d.context;
      options.val_fraction = d.val_fraction;
      data::TextDatasets text = data::LoadText(options);
      run.train = text.train;
      run.eval = text.val;
      run.vocab = text.vocab;
      run.task = Task::kLanguageModel;
      run.eval_split_name = "val";
      break;
    }
    case Dataset::kSynthetic: {
      const SyntheticConfig& s = d.synthetic;
      const int64_t eval_size = std::max<int64_t>(1, s.num_samples / 5);
      data::SyntheticOptions options;
      options.input_shape = Shape(s.input_shape.begin(), s.input_shape.end());
      options.num_classes = s.num_classes;
      options.size = s.num_samples + eval_size;
      options.seed = static_cast<uint64_t>(config.seed);
      auto all = data::Synthetic(options);
      run.train = std::make_shared<SubsetDataset>(
          all, 0, s.num_samples,
          "synthetic train: " + std::to_string(s.num_samples) + " examples");
      run.eval = std::make_shared<SubsetDataset>(
          all, s.num_samples, s.num_samples + eval_size,
          "synthetic eval: " + std::to_string(eval_size) + " examples");
      run.eval_split_name = "eval";
      break;
    }
  }
  if (config.train.loss != LossName::kCrossEntropy &&
      run.task == Task::kClassification) {
    run.task = Task::kRegression;
  }
  return run;
}

std::unique_ptr<optim::Optimizer> BuildOptimizer(
    const TrainConfig& config, const std::vector<Tensor>& params) {
  const OptimizerConfig& o = config.optimizer;
  optim::GroupOptions options =
      optim::DefaultOptions(std::string(ToString(o.name)));
  options.lr = o.lr;
  options.weight_decay = o.weight_decay;
  options.momentum = o.momentum;
  options.dampening = o.dampening;
  options.nesterov = o.nesterov;
  options.beta1 = o.betas[0];
  options.beta2 = o.betas[1];
  options.eps = o.eps;
  options.amsgrad = o.amsgrad;
  options.alpha = o.alpha;
  std::vector<optim::ParamGroup> groups(1);
  groups[0].params = params;
  groups[0].options = options;
  return optim::MakeOptimizer(std::string(ToString(o.name)), std::move(groups));
}

std::unique_ptr<optim::LRScheduler> BuildScheduler(const TrainConfig& config,
                                                   optim::Optimizer& optimizer,
                                                   int64_t total_steps) {
  const ScheduleConfig& s = config.schedule;
  const int64_t warmup = s.warmup_steps;
  switch (s.name) {
    case ScheduleName::kConstant:
      if (warmup == 0) return nullptr;
      // Warmup then constant: linear decay with final lr = base never
      // decays, since (base - final) is 0.
      return std::make_unique<optim::LinearWarmupDecayLR>(
          optimizer, warmup, std::max(total_steps, warmup),
          config.optimizer.lr);
    case ScheduleName::kStep:
      return std::make_unique<optim::StepLR>(optimizer, s.step_size, s.gamma);
    case ScheduleName::kMultistep:
      return std::make_unique<optim::MultiStepLR>(optimizer, s.milestones,
                                                  s.gamma);
    case ScheduleName::kExponential:
      return std::make_unique<optim::ExponentialLR>(optimizer, s.gamma);
    case ScheduleName::kCosine:
      return std::make_unique<optim::CosineWarmupLR>(
          optimizer, warmup, std::max(total_steps, warmup), s.min_lr);
    case ScheduleName::kLinear:
      return std::make_unique<optim::LinearWarmupDecayLR>(
          optimizer, warmup, std::max(total_steps, warmup), s.min_lr);
    case ScheduleName::kOnecycle: {
      optim::OneCycleOptions options;
      options.cycle_momentum =
          config.optimizer.name != OptimizerName::kAdagrad &&
          !(config.optimizer.name == OptimizerName::kSgd &&
            config.optimizer.momentum == 0);
      return std::make_unique<optim::OneCycleLR>(
          optimizer, s.max_lr > 0 ? s.max_lr : config.optimizer.lr,
          std::max<int64_t>(total_steps, 1), options);
    }
    case ScheduleName::kPlateau: {
      optim::PlateauOptions options;
      options.factor = s.factor;
      options.patience = s.patience;
      options.min_lr = s.min_lr;
      return std::make_unique<optim::ReduceLROnPlateau>(optimizer, options);
    }
  }
  return nullptr;
}

Tensor ComputeLoss(const TrainConfig& config, Task task, const Tensor& output,
                   const Tensor& targets) {
  switch (config.train.loss) {
    case LossName::kCrossEntropy: {
      ClassLossOptions options;
      options.label_smoothing = config.train.label_smoothing;
      if (task == Task::kLanguageModel) {
        const int64_t vocab = output.size(-1);
        return ad::cross_entropy(ad::reshape(output, {-1, vocab}),
                                 targets.reshape({-1}), options);
      }
      return ad::cross_entropy(output, targets, options);
    }
    default:
      break;
  }
  // Regression-style losses compare [B] predictions with [B] targets.
  Tensor prediction = output.dim() == 2 && output.size(1) == 1
                          ? ad::reshape(output, {-1})
                          : output;
  Tensor target = targets.to(prediction.dtype());
  switch (config.train.loss) {
    case LossName::kMse:
      return ad::mse_loss(prediction, target);
    case LossName::kL1:
      return ad::l1_loss(prediction, target);
    case LossName::kSmoothL1:
      return ad::smooth_l1_loss(prediction, target);
    case LossName::kBceWithLogits:
      return ad::binary_cross_entropy_with_logits(prediction, target);
    default:
      break;
  }
  TCH_INTERNAL_ASSERT(false, "unhandled loss");
}

int64_t CountCorrect(Task task, const Tensor& output, const Tensor& targets) {
  if (task == Task::kRegression) return 0;
  Tensor predicted = tch::argmax(output, -1);
  return tch::sum(tch::eq(predicted, targets.reshape(predicted.sizes())))
      .item<int64_t>();
}

int64_t CountPredictions(Task task, const Tensor& targets) {
  return task == Task::kLanguageModel ? targets.numel() : targets.size(0);
}

}  // namespace tch::train

namespace tch::train {
namespace {

std::string ActivationName(Activation a) { return std::string(ToString(a)); }

nn::LayerArgs ToLayerArgs(const LayerSpec& spec) {
  nn::LayerArgs args;
  for (const auto& [name, arg] : spec.args) {
    std::visit([&, &name = name](const auto& v) { args.Set(name, v); },
               arg.value);
  }
  return args;
}

}  // namespace

std::shared_ptr<nn::Module> BuildModel(const TrainConfig& config,
                                       const RunData& data) {
  const ModelConfig& m = config.model;
  const Shape input = data.train->input_shape();
  const int64_t classes =
      data.task == Task::kRegression ? 1 : data.train->num_classes();
  auto image_dims = [&](const char* arch) {
    if (input.size() != 3) {
      throw ConfigError("model.arch: " + std::string(arch) +
                        " needs image inputs [C, H, W], but the data gives " +
                        ShapeToString(input) + "; use mlp or sequential");
    }
  };
  switch (m.arch) {
    case Arch::kMlp: {
      int64_t features = 1;
      for (int64_t s : input) features *= s;
      nn::MlpOptions options;
      options.in_features = features;
      options.hidden = m.hidden;
      options.out_features = classes;
      options.activation = ActivationName(m.activation);
      options.dropout = m.dropout;
      return nn::MakeMlp(options);
    }
    case Arch::kCnn: {
      image_dims("cnn");
      nn::CnnOptions options;
      options.in_channels = input[0];
      options.height = input[1];
      options.width = input[2];
      options.channels = m.channels;
      options.kernel_size = m.kernel_size;
      options.batch_norm = m.batch_norm;
      options.fc_hidden = m.fc;
      options.num_classes = classes;
      options.dropout = m.dropout;
      return nn::MakeCnn(options);
    }
    case Arch::kResnet: {
      image_dims("resnet");
      nn::ResNetOptions options;
      options.in_channels = input[0];
      options.height = input[1];
      options.width = input[2];
      options.widths = m.channels;
      options.blocks = m.blocks;
      options.num_classes = classes;
      return nn::MakeResNet(options);
    }
    case Arch::kGpt: {
      if (data.task != Task::kLanguageModel) {
        throw ConfigError(
            "model.arch: gpt is a language model and needs data.dataset: text");
      }
      nn::GptOptions options;
      options.vocab_size = data.train->vocab_size();
      options.context = config.data.context;
      options.d_model = m.d_model;
      options.n_heads = m.n_heads;
      options.n_layers = m.n_layers;
      options.mlp_ratio = m.mlp_ratio;
      options.dropout = m.dropout;
      options.tie_weights = m.tie_weights;
      return nn::MakeGpt(options);
    }
    case Arch::kSequential: {
      auto model = std::make_shared<nn::Sequential>();
      for (const LayerSpec& spec : m.layers) {
        try {
          model->push_back(nn::MakeLayer(spec.type, ToLayerArgs(spec)));
        } catch (const ConfigError&) {
          throw;
        } catch (const Error& e) {
          spec.Fail("", e.what());
        }
      }
      return model;
    }
  }
  TCH_INTERNAL_ASSERT(false, "unhandled arch");
}

}  // namespace tch::train
