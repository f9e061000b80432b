// `tch eval`, `tch predict` and `tch bench`: using and timing a model
// described by a config.
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "nlohmann/json.hpp"
#include "tools/cli/commands.h"
#include "tools/cli/flags.h"
#include "torch/autograd/functions/functions.h"
#include "torch/autograd/grad_mode.h"
#include "torch/core/file_util.h"
#include "torch/core/generator.h"
#include "torch/core/ops.h"
#include "torch/core/random_ops.h"
#include "torch/core/reduce_ops.h"
#include "torch/data/loader.h"
#include "torch/train/config.h"
#include "torch/train/trainer.h"
#include "torch/train/trainer_setup.h"

namespace tch::cli {
namespace {

using Clock = std::chrono::steady_clock;

const CommandSpec kEvalSpec{
    "eval",
    "tch eval CONFIG.yaml --checkpoint PATH [key.path=value ...]",
    "Evaluates a checkpoint on the config's evaluation split (the test split "
    "for\nFashion-MNIST/IDX, the validation split for CSV/text) and prints "
    "loss, accuracy\nand, for language models, perplexity and bits per "
    "character, as one JSON line.",
    {"checkpoint", "run_dir"}};

const CommandSpec kPredictSpec{
    "predict",
    "tch predict CONFIG.yaml --checkpoint PATH --input FILE [--output FILE]",
    "Runs a trained model on new inputs.\n"
    "  image models: FILE is an IDX image file (.gz or plain, like the "
    "dataset's);\n    one record per image: index, class, label, "
    "probabilities.\n"
    "  language models: FILE is text; each non-empty line is a prompt "
    "continued by\n    --max-new-tokens sampled tokens (--temperature, "
    "--top-k, --seed).\n"
    "Output: JSON lines (stdout, or --output FILE), CSV when FILE ends in "
    ".csv.",
    {"checkpoint", "input", "output", "max_new_tokens", "temperature", "top_k",
     "seed", "run_dir"}};

const CommandSpec kBenchSpec{
    "bench",
    "tch bench CONFIG.yaml [key.path=value ...] [--steps N] [--warmup N]",
    "Times training steps of the config's model on its data (like `caffe "
    "time`):\nforward, backward and optimizer time per step, forward and "
    "backward time of each\ntop-level layer (Sequential models), samples/s "
    "and peak memory.",
    {"steps", "warmup", "run_dir"}};

std::shared_ptr<nn::Module> LoadModel(const train::TrainConfig& config,
                                      const train::RunData& data) {
  TCH_CHECK(!FLAGS_checkpoint.empty(), "--checkpoint is required");
  train::SeedEverything(config.seed);
  auto model = train::BuildModel(config, data);
  const std::string& path = FLAGS_checkpoint;
  if (path.size() > 12 && path.substr(path.size() - 12) == ".safetensors") {
    nn::LoadSafetensors(*model, path, /*strict=*/true);
  } else {
    nn::LoadSafetensors(
        *model, train::ResolveCheckpoint(path) + "/model.safetensors", true);
  }
  model->eval();
  return model;
}

class RecordWriter {
 public:
  explicit RecordWriter(const std::string& path)
      : path_(path),
        csv_(path.size() > 4 && path.substr(path.size() - 4) == ".csv") {}
  void Add(const nlohmann::ordered_json& record) {
    if (!csv_) {
      out_ << record.dump() << "\n";
      return;
    }
    if (!header_written_) {
      bool first = true;
      for (const auto& [key, value] : record.items()) {
        if (value.is_array()) {
          for (size_t i = 0; i < value.size(); ++i) {
            out_ << (first ? "" : ",") << key << "_" << i;
            first = false;
          }
        } else {
          out_ << (first ? "" : ",") << key;
          first = false;
        }
      }
      out_ << "\n";
      header_written_ = true;
    }
    bool first = true;
    for (const auto& [key, value] : record.items()) {
      if (value.is_array()) {
        for (const auto& v : value) {
          out_ << (first ? "" : ",") << v.dump();
          first = false;
        }
      } else {
        out_ << (first ? "" : ",") << value.dump();
        first = false;
      }
    }
    out_ << "\n";
  }
  void Finish() {
    if (path_.empty()) {
      std::cout << out_.str();
    } else {
      WriteFileAtomically(path_, out_.str());
    }
  }

 private:
  std::string path_;
  bool csv_;
  bool header_written_ = false;
  std::ostringstream out_;
};

void PredictImages(const train::TrainConfig& config, const train::RunData& data,
                   nn::Module& model, RecordWriter& writer) {
  Tensor images = data::ReadIdxFile(FLAGS_input);
  TCH_CHECK(images.dim() == 3, FLAGS_input,
            ": expected an IDX image file "
            "([N, H, W]), got ",
            images.dim(), " dims");
  Shape want = data.train->input_shape();
  TCH_CHECK(want.size() == 3 && want[1] == images.size(1) &&
                want[2] == images.size(2),
            FLAGS_input, ": images are ", images.size(1), "x", images.size(2),
            " but the model was trained on ", ShapeToString(want));
  Tensor x = tch::div(images.to(DType::kFloat32), 255.0).unsqueeze(1);
  // The normalization training applied (statistics computed once, when the
  // training data was loaded).
  if (data.image_normalization) {
    x = tch::div(tch::sub(x, data.image_normalization->first),
                 data.image_normalization->second);
  }
  const bool fashion = config.data.dataset == train::Dataset::kFashionMnist;
  autograd::NoGradGuard no_grad;
  const int64_t batch = 1000;
  for (int64_t start = 0; start < x.size(0); start += batch) {
    const int64_t n = std::min(batch, x.size(0) - start);
    Tensor probs = tch::softmax(model.forward(x.narrow(0, start, n)), 1);
    Tensor classes = tch::argmax(probs, 1);
    for (int64_t i = 0; i < n; ++i) {
      nlohmann::ordered_json record;
      const int64_t c = classes.select(0, i).item<int64_t>();
      record["index"] = start + i;
      record["class"] = c;
      if (fashion) record["label"] = data::FashionMnistClassNames().at(c);
      std::vector<double> p = probs.select(0, i).ToVector<double>();
      for (double& v : p) v = std::round(v * 1e6) / 1e6;
      record["probabilities"] = p;
      writer.Add(record);
    }
  }
}

void PredictText(const train::TrainConfig& config, const train::RunData& data,
                 nn::Module& model, RecordWriter& writer) {
  TCH_CHECK(FLAGS_max_new_tokens >= 0, "--max-new-tokens must be >= 0");
  TCH_CHECK(FLAGS_temperature >= 0, "--temperature must be >= 0");
  const std::string text = ReadFile(FLAGS_input);
  const int64_t context = config.data.context;
  Generator generator(static_cast<uint64_t>(FLAGS_seed));
  autograd::NoGradGuard no_grad;
  std::istringstream lines(text);
  std::string prompt;
  while (std::getline(lines, prompt)) {
    if (prompt.empty()) continue;
    std::vector<int64_t> tokens = data.vocab->Encode(prompt);
    const size_t prompt_length = tokens.size();
    for (int i = 0; i < FLAGS_max_new_tokens; ++i) {
      const size_t begin = tokens.size() > static_cast<size_t>(context)
                               ? tokens.size() - context
                               : 0;
      std::vector<int64_t> window(tokens.begin() + begin, tokens.end());
      const int64_t t = static_cast<int64_t>(window.size());
      Tensor logits = model.forward(from_vector(window, {1, t}))
                          .select(0, 0)
                          .select(0, t - 1)
                          .to(DType::kFloat64);
      int64_t next;
      if (FLAGS_temperature == 0) {
        next = tch::argmax(logits).item<int64_t>();
      } else {
        std::vector<double> l = logits.ToVector<double>();
        if (FLAGS_top_k > 0 && FLAGS_top_k < static_cast<int>(l.size())) {
          std::vector<double> sorted = l;
          std::nth_element(sorted.begin(), sorted.begin() + FLAGS_top_k - 1,
                           sorted.end(), std::greater<>());
          const double kth = sorted[FLAGS_top_k - 1];
          for (double& v : l) {
            if (v < kth) v = -INFINITY;
          }
        }
        double max = -INFINITY;
        for (double v : l) max = std::max(max, v);
        std::vector<double> cumulative(l.size());
        double total = 0;
        for (size_t k = 0; k < l.size(); ++k) {
          total += std::exp((l[k] - max) / FLAGS_temperature);
          cumulative[k] = total;
        }
        const double u =
            tch::rand({}, DType::kFloat64, &generator).item<double>() * total;
        next = static_cast<int64_t>(
            std::upper_bound(cumulative.begin(), cumulative.end(), u) -
            cumulative.begin());
        next = std::min<int64_t>(next, static_cast<int64_t>(l.size()) - 1);
      }
      tokens.push_back(next);
    }
    nlohmann::ordered_json record;
    record["prompt"] = prompt;
    std::vector<int64_t> completion(tokens.begin() + prompt_length,
                                    tokens.end());
    record["completion"] = data.vocab->Decode(completion);
    writer.Add(record);
  }
}

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

int RunEval(int argc, char** argv) {
  std::vector<std::string> positional;
  if (int code = ParseCommandFlags(kEvalSpec, argc, argv, &positional);
      code >= 0) {
    return code;
  }
  if (positional.empty()) {
    return CommandUsageError(kEvalSpec, "no config file given");
  }
  if (FLAGS_checkpoint.empty()) {
    return CommandUsageError(kEvalSpec, "--checkpoint is required");
  }
  std::vector<std::string> overrides(positional.begin() + 1, positional.end());
  train::LoadedConfig loaded = train::LoadConfig(positional[0], overrides);
  auto metrics = train::EvaluateCheckpoint(loaded.config, FLAGS_checkpoint);
  nlohmann::ordered_json out;
  for (const auto& [name, value] : metrics) out[name] = value;
  std::cout << out.dump() << "\n";
  return kExitOk;
}

int RunPredict(int argc, char** argv) {
  std::vector<std::string> positional;
  if (int code = ParseCommandFlags(kPredictSpec, argc, argv, &positional);
      code >= 0) {
    return code;
  }
  if (positional.empty()) {
    return CommandUsageError(kPredictSpec, "no config file given");
  }
  if (FLAGS_checkpoint.empty() || FLAGS_input.empty()) {
    return CommandUsageError(kPredictSpec,
                             "--checkpoint and --input are required");
  }
  std::vector<std::string> overrides(positional.begin() + 1, positional.end());
  train::LoadedConfig loaded = train::LoadConfig(positional[0], overrides);
  const train::TrainConfig& config = loaded.config;
  train::RunData data = train::BuildData(config);
  auto model = LoadModel(config, data);
  RecordWriter writer(FLAGS_output);
  if (data.task == train::Task::kLanguageModel) {
    PredictText(config, data, *model, writer);
  } else {
    TCH_CHECK(data.train->input_shape().size() == 3,
              "predict: this model takes ",
              ShapeToString(data.train->input_shape()),
              " inputs; --input supports IDX image files and text prompts");
    PredictImages(config, data, *model, writer);
  }
  writer.Finish();
  return kExitOk;
}

int RunBench(int argc, char** argv) {
  std::vector<std::string> positional;
  if (int code = ParseCommandFlags(kBenchSpec, argc, argv, &positional);
      code >= 0) {
    return code;
  }
  if (positional.empty()) {
    return CommandUsageError(kBenchSpec, "no config file given");
  }
  if (FLAGS_steps < 1 || FLAGS_warmup < 0) {
    return CommandUsageError(kBenchSpec, "--steps must be >= 1, --warmup >= 0");
  }
  std::vector<std::string> overrides(positional.begin() + 1, positional.end());
  train::LoadedConfig loaded = train::LoadConfig(positional[0], overrides);
  const train::TrainConfig& config = loaded.config;
  train::RunData data = train::BuildData(config);
  train::SeedEverything(config.seed);
  auto model = train::BuildModel(config, data);
  model->train();
  auto params = model->parameters();
  auto optimizer = train::BuildOptimizer(config, params);
  data::LoaderOptions loader_options;
  loader_options.batch_size = config.data.batch_size;
  loader_options.seed = static_cast<uint64_t>(config.seed);
  loader_options.drop_last = true;
  data::DataLoader loader(data.train, loader_options);

  const auto children = model->named_children();
  const bool sequential = model->type_name() == "Sequential";
  std::vector<double> layer_seconds(children.size(), 0.0);
  std::vector<double> layer_backward_seconds(children.size(), 0.0);
  double data_s = 0, forward_s = 0, backward_s = 0, optimizer_s = 0;
  int64_t samples = 0;
  for (int step = 0; step < FLAGS_warmup + FLAGS_steps; ++step) {
    const bool timed = step >= FLAGS_warmup;
    auto t0 = Clock::now();
    std::optional<data::Batch> batch = loader.Next();
    if (!batch) batch = loader.Next();
    auto t1 = Clock::now();
    Tensor output = model->forward(batch->inputs);
    Tensor loss = train::ComputeLoss(config, data.task, output, batch->targets);
    loss.item<double>();
    auto t2 = Clock::now();
    autograd::backward(loss);
    auto t3 = Clock::now();
    optimizer->step();
    optimizer->zero_grad();
    auto t4 = Clock::now();
    if (!timed) continue;
    data_s += Seconds(t0, t1);
    forward_s += Seconds(t1, t2);
    backward_s += Seconds(t2, t3);
    optimizer_s += Seconds(t3, t4);
    samples += batch->size;
    if (sequential) {
      // Per-layer times, in a separate recorded pass over the same batch
      // (not part of the step totals above): forward by timing each child,
      // backward from hooks that note when each layer's output gradient is
      // ready; layer i's backward ends when layer i-1's output gradient is.
      std::vector<Clock::time_point> grad_ready(children.size());
      Tensor x = batch->inputs;
      for (size_t i = 0; i < children.size(); ++i) {
        auto a = Clock::now();
        x = children[i].second->forward(x);
        layer_seconds[i] += Seconds(a, Clock::now());
        if (autograd::requires_grad(x)) {
          autograd::register_hook(x, [&grad_ready, i](const Tensor&) {
            grad_ready[i] = Clock::now();
            return Tensor();
          });
        }
      }
      Tensor probe_loss =
          train::ComputeLoss(config, data.task, x, batch->targets);
      autograd::backward(probe_loss);
      const auto done = Clock::now();
      // Layer i's backward ends when the nearest earlier layer with a
      // gradient gets its own, or when backward returns.
      for (size_t i = 0; i < children.size(); ++i) {
        const auto& ready = grad_ready[i];
        if (ready.time_since_epoch().count() == 0) continue;
        Clock::time_point layer_end = done;
        for (size_t j = i; j-- > 0;) {
          if (grad_ready[j].time_since_epoch().count() != 0) {
            layer_end = grad_ready[j];
            break;
          }
        }
        if (layer_end >= ready) {
          layer_backward_seconds[i] += Seconds(ready, layer_end);
        }
      }
      optimizer->zero_grad();
    }
  }
  const double n = FLAGS_steps;
  const double step_s = (data_s + forward_s + backward_s + optimizer_s) / n;
  std::cout << std::fixed << std::setprecision(3);
  std::cout << "model: " << model->num_parameters() << " parameters, batch "
            << config.data.batch_size << ", " << FLAGS_steps
            << " timed steps after " << FLAGS_warmup << " warm-up\n";
  std::cout << "per step (ms): data " << 1e3 * data_s / n << ", forward "
            << 1e3 * forward_s / n << ", backward " << 1e3 * backward_s / n
            << ", optimizer " << 1e3 * optimizer_s / n << ", total "
            << 1e3 * step_s << "\n";
  if (sequential) {
    std::cout << "per layer (ms):      forward  backward\n";
    for (size_t i = 0; i < children.size(); ++i) {
      std::cout << "  " << std::setw(4) << children[i].first << "  "
                << std::left << std::setw(14) << children[i].second->type_name()
                << std::right << std::setw(9) << 1e3 * layer_seconds[i] / n
                << std::setw(10) << 1e3 * layer_backward_seconds[i] / n << "\n";
    }
  }
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  std::cout << std::setprecision(0)
            << "samples/s: " << static_cast<double>(samples) / (step_s * n)
            << "\n"
            << "peak memory: " << usage.ru_maxrss / 1024 << " MiB\n";
  return kExitOk;
}

}  // namespace tch::cli
