#include "torch/train/trainer.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

#include "nlohmann/json.hpp"
#include "torch/autograd/functions/functions.h"
#include "torch/autograd/grad_mode.h"
#include "torch/core/file_util.h"
#include "torch/core/generator.h"
#include "torch/core/ops.h"
#include "torch/core/parallel.h"
#include "torch/core/serialize.h"
#include "torch/data/loader.h"
#include "torch/train/checkpoint.h"
#include "torch/train/metrics_writer.h"
#include "torch/train/plot_png.h"
#include "torch/train/tensorboard_writer.h"
#include "torch/train/trainer_setup.h"

namespace tch::train {
namespace fs = std::filesystem;
namespace {

using Json = nlohmann::ordered_json;

constexpr char kModelFile[] = "model.safetensors";
constexpr char kOptimizerFile[] = "optimizer.safetensors";
constexpr char kStateFile[] = "trainer_state.json";
constexpr char kVocabFile[] = "vocab.json";

std::string Hex(const std::vector<uint8_t>& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

std::vector<uint8_t> Unhex(const std::string& hex, const std::string& what) {
  TCH_CHECK_T(IoError, hex.size() % 2 == 0, what, ": bad hex string");
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  }
  return out;
}

// Sums between two log records; part of the checkpoint so that a resumed
// run logs the same averages.
struct LogSums {
  double loss_sum = 0;  // sum over examples of the per-example loss
  int64_t correct = 0;
  int64_t count = 0;
  Json ToJson() const {
    return {{"loss_sum", loss_sum}, {"correct", correct}, {"count", count}};
  }
  static LogSums FromJson(const Json& j) {
    return {j.at("loss_sum").get<double>(), j.at("correct").get<int64_t>(),
            j.at("count").get<int64_t>()};
  }
};

// Everything besides model/optimizer tensors that a resume needs.
struct LoopState {
  int64_t step = 0;
  int64_t epoch = 0;        // the loader's epoch at the next batch
  int64_t batch_index = 0;  // the loader's batch index at the next batch
  int64_t samples = 0;      // examples trained on so far
  LogSums log;
  std::optional<double> best_metric;  // early stopping
  int64_t bad_evals = 0;
  std::map<std::string, double> last_eval;
};

// "val_loss" -> the eval metric "loss"; "train_loss" -> train "loss".
std::optional<double> LookupMetric(const std::string& name,
                                   const std::map<std::string, double>& eval) {
  if (name.rfind("val_", 0) == 0) {
    auto it = eval.find(name.substr(4));
    if (it != eval.end()) return it->second;
  }
  return std::nullopt;
}

void CheckMetricName(const std::string& field, const std::string& name,
                     Task task) {
  if (name.empty()) return;
  std::vector<std::string> known = {"val_loss"};
  if (task != Task::kRegression) known.push_back("val_accuracy");
  if (task == Task::kLanguageModel) {
    known.push_back("val_perplexity");
    known.push_back("val_bpc");
  }
  for (const auto& k : known) {
    if (k == name) return;
  }
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  throw ConfigError(field + ": unknown metric '" + name +
                    "'; expected one of " + list);
}

// Evaluation over a whole split, without recording.
std::map<std::string, double> Evaluate(const TrainConfig& config, Task task,
                                       nn::Module& model,
                                       data::DataLoader& loader) {
  autograd::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  double loss_sum = 0;
  int64_t correct = 0, count = 0;
  loader.SetPosition(0, 0);
  while (std::optional<data::Batch> batch = loader.Next()) {
    Tensor output = model.forward(batch->inputs);
    const int64_t n = CountPredictions(task, batch->targets);
    loss_sum +=
        ComputeLoss(config, task, output, batch->targets).item<double>() *
        static_cast<double>(n);
    correct += CountCorrect(task, output, batch->targets);
    count += n;
  }
  model.train(was_training);
  std::map<std::string, double> metrics;
  const double loss = count > 0 ? loss_sum / static_cast<double>(count) : NAN;
  metrics["loss"] = loss;
  if (task != Task::kRegression) {
    metrics["accuracy"] =
        count > 0 ? static_cast<double>(correct) / static_cast<double>(count)
                  : NAN;
  }
  if (task == Task::kLanguageModel) {
    metrics["perplexity"] = std::exp(loss);
    metrics["bpc"] = loss / std::log(2.0);
  }
  return metrics;
}

std::string FormatMetrics(const std::map<std::string, double>& metrics) {
  std::ostringstream out;
  out.precision(4);
  for (const auto& [name, value] : metrics) {
    out << " " << name << " " << value;
  }
  return out.str();
}

std::map<std::string, Tensor> SchedulerTensors(
    const optim::LRScheduler* scheduler) {
  std::map<std::string, Tensor> out;
  if (scheduler == nullptr) return out;
  for (const auto& [key, value] : scheduler->state_dict()) {
    out["scheduler." + key] = scalar_tensor(value, DType::kFloat64);
  }
  return out;
}

bool HasCheckpoints(const std::string& run_dir) {
  const fs::path dir = fs::path(run_dir) / "checkpoints";
  if (!fs::is_directory(dir)) return false;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind("step-", 0) == 0) return true;
  }
  return false;
}

// A fresh run whose run_dir came from the default (runs/<config stem>) goes
// to runs/<stem>-2, -3, ... when earlier runs are there, like Lightning's
// version_N; an explicitly chosen directory is never reused silently (the
// trainer refuses it instead). Resuming uses run_dir as given.
std::string ChooseRunDir(const LoadedConfig& loaded, bool resuming) {
  const std::string& dir = loaded.config.run_dir;
  auto source = loaded.provenance.find("run_dir");
  const bool defaulted =
      source == loaded.provenance.end() || source->second == "default";
  if (resuming || !defaulted || !HasCheckpoints(dir)) return dir;
  for (int n = 2;; ++n) {
    const std::string candidate = dir + "-" + std::to_string(n);
    if (!HasCheckpoints(candidate)) return candidate;
  }
}

}  // namespace

std::string ResolveCheckpoint(const std::string& path) {
  TCH_CHECK_T(IoError, fs::exists(path), "checkpoint '", path,
              "' does not exist");
  if (fs::exists(fs::path(path) / "MANIFEST.json")) {
    const std::string problem = CheckpointManager::Validate(path);
    TCH_CHECK_T(IoError, problem.empty(), "checkpoint '", path,
                "' is damaged: ", problem);
    return path;
  }
  std::string root = path;
  if (fs::exists(fs::path(path) / "checkpoints")) root = path + "/checkpoints";
  CheckpointManager manager(root, RetentionPolicy{0, "", true});
  std::vector<std::string> skipped;
  auto latest = manager.LatestValid(&skipped);
  std::string reasons;
  for (const auto& s : skipped) reasons += "\n  skipped " + s;
  TCH_CHECK_T(IoError, latest.has_value(), "no valid checkpoint under '", path,
              "'", reasons);
  return latest->dir;
}

namespace {

class Trainer {
 public:
  Trainer(const LoadedConfig& loaded, const TrainOptions& options)
      : loaded_(loaded),
        config_(loaded.config),
        options_(options),
        out_(options.out ? *options.out : std::cout) {}

  TrainSummary Run();

 private:
  void Setup();
  void Restore(const std::string& dir);
  std::string SaveCheckpoint();
  void DoEval();
  void LogTrain(double lr);
  void WritePlot();
  bool AtEpochEnd() const {
    return train_loader_->batch_index() == train_loader_->batches_per_epoch();
  }

  const LoadedConfig& loaded_;
  const TrainConfig& config_;
  const TrainOptions& options_;
  std::ostream& out_;
  std::string run_dir_;

  RunData data_;
  std::shared_ptr<nn::Module> model_;
  std::vector<Tensor> params_;
  std::unique_ptr<optim::Optimizer> optimizer_;
  std::unique_ptr<optim::LRScheduler> scheduler_;
  std::unique_ptr<data::DataLoader> train_loader_;
  std::unique_ptr<data::DataLoader> eval_loader_;
  std::unique_ptr<CheckpointManager> checkpoints_;
  std::unique_ptr<MetricsWriter> metrics_;
  std::unique_ptr<TensorBoardWriter> tensorboard_;
  std::unique_ptr<ProgressReporter> progress_;

  LoopState state_;
  int64_t steps_per_epoch_ = 0;
  int64_t total_steps_ = 0;
  int64_t last_checkpoint_step_ = -1;
  int64_t last_eval_step_ = -1;
  std::string last_checkpoint_dir_;
};

void Trainer::Setup() {
  if (config_.threads > 0) SetNumThreads(static_cast<int>(config_.threads));
  TCH_CHECK(config_.device == "cpu", "device: '", config_.device,
            "' is not available in this build of tch (CPU only here); "
            "use device: cpu");
  run_dir_ = ChooseRunDir(loaded_, /*resuming=*/!options_.resume.empty());
  fs::create_directories(run_dir_);

  data_ = BuildData(config_);
  CheckMetricName("train.early_stopping.metric",
                  config_.train.early_stopping.metric, data_.task);
  CheckMetricName("checkpoint.keep_best.metric",
                  config_.checkpoint.keep_best.metric, data_.task);
  SeedEverything(config_.seed);
  model_ = BuildModel(config_, data_);
  if (!options_.init_from.empty()) {
    nn::LoadSafetensors(*model_, options_.init_from, /*strict=*/true);
  }
  model_->train();
  params_ = model_->parameters();
  optimizer_ = BuildOptimizer(config_, params_);

  data::LoaderOptions train_options;
  train_options.batch_size = config_.data.batch_size;
  train_options.shuffle = config_.data.shuffle;
  train_options.drop_last = config_.data.drop_last;
  train_options.seed = static_cast<uint64_t>(config_.seed);
  train_options.prefetch = config_.data.prefetch;
  train_options.augmentation.random_crop_padding =
      config_.data.augment.random_crop_padding;
  train_options.augmentation.horizontal_flip =
      config_.data.augment.horizontal_flip;
  train_loader_ =
      std::make_unique<data::DataLoader>(data_.train, train_options);
  if (data_.eval) {
    data::LoaderOptions eval_options;
    eval_options.batch_size = config_.data.eval_batch_size;
    eval_options.shuffle = false;
    eval_options.prefetch = 0;
    eval_loader_ = std::make_unique<data::DataLoader>(data_.eval, eval_options);
  }

  const int64_t accumulation = config_.train.grad_accumulation;
  steps_per_epoch_ =
      (train_loader_->batches_per_epoch() + accumulation - 1) / accumulation;
  total_steps_ = config_.train.max_steps > 0
                     ? config_.train.max_steps
                     : config_.train.epochs * steps_per_epoch_;
  scheduler_ = BuildScheduler(config_, *optimizer_, total_steps_);

  checkpoints_ = std::make_unique<CheckpointManager>(
      run_dir_ + "/checkpoints",
      RetentionPolicy{static_cast<int>(config_.checkpoint.keep_last),
                      config_.checkpoint.keep_best.metric,
                      config_.checkpoint.keep_best.mode == MetricMode::kMax});
}

std::string Trainer::SaveCheckpoint() {
  PendingCheckpoint pending = checkpoints_->Begin(state_.step);
  nn::SaveSafetensors(*model_, pending.dir() + "/" + kModelFile);
  std::map<std::string, Tensor> optimizer_state = optimizer_->state_dict();
  for (auto& [key, value] : SchedulerTensors(scheduler_.get())) {
    optimizer_state[key] = value;
  }
  SaveSafetensors(pending.dir() + "/" + kOptimizerFile, optimizer_state);
  Json state;
  state["format"] = "tch-trainer-state-1";
  state["step"] = state_.step;
  state["epoch"] = train_loader_->epoch();
  state["batch_index"] = train_loader_->batch_index();
  state["samples"] = state_.samples;
  state["rng"] = Hex(DefaultCpuGenerator().GetState());
  state["log"] = state_.log.ToJson();
  state["best_metric"] =
      state_.best_metric ? Json(*state_.best_metric) : Json(nullptr);
  state["bad_evals"] = state_.bad_evals;
  state["last_eval"] = state_.last_eval;
  WriteFileAtomically(pending.dir() + "/" + kStateFile, state.dump(2) + "\n");
  WriteFileAtomically(pending.dir() + "/config.yaml", loaded_.ResolvedYaml());
  if (data_.vocab) data_.vocab->Save(pending.dir() + "/" + kVocabFile);
  std::optional<double> metric =
      LookupMetric(config_.checkpoint.keep_best.metric, state_.last_eval);
  last_checkpoint_dir_ = checkpoints_->Commit(pending, metric);
  last_checkpoint_step_ = state_.step;
  metrics_->Flush();
  tensorboard_->Flush();
  return last_checkpoint_dir_;
}

void Trainer::Restore(const std::string& dir) {
  nn::LoadSafetensors(*model_, dir + "/" + kModelFile, /*strict=*/true);
  std::map<std::string, Tensor> tensors =
      LoadSafetensors(dir + "/" + kOptimizerFile);
  std::map<std::string, Tensor> optimizer_state;
  std::map<std::string, double> scheduler_state;
  for (auto& [key, value] : tensors) {
    if (key.rfind("scheduler.", 0) == 0) {
      scheduler_state[key.substr(10)] = value.item<double>();
    } else {
      optimizer_state[key] = value;
    }
  }
  optimizer_->load_state_dict(optimizer_state);
  if (scheduler_) {
    scheduler_->load_state_dict(scheduler_state);
  } else {
    TCH_CHECK(scheduler_state.empty(), dir,
              ": the checkpoint has LR-schedule state but the config has no "
              "schedule; resume with the schedule it was trained with");
  }
  const std::string state_path = dir + "/" + kStateFile;
  Json state;
  try {
    state = Json::parse(ReadFile(state_path));
    state_.step = state.at("step").get<int64_t>();
    state_.epoch = state.at("epoch").get<int64_t>();
    state_.batch_index = state.at("batch_index").get<int64_t>();
    state_.samples = state.at("samples").get<int64_t>();
    DefaultCpuGenerator().SetState(
        Unhex(state.at("rng").get<std::string>(), state_path));
    state_.log = LogSums::FromJson(state.at("log"));
    if (!state.at("best_metric").is_null()) {
      state_.best_metric = state.at("best_metric").get<double>();
    }
    state_.bad_evals = state.at("bad_evals").get<int64_t>();
    state_.last_eval =
        state.at("last_eval").get<std::map<std::string, double>>();
  } catch (const nlohmann::json::exception& e) {
    throw IoError(state_path + ": malformed trainer state: " + e.what());
  }
  train_loader_->SetPosition(state_.epoch, state_.batch_index);
  last_checkpoint_step_ = state_.step;
  last_eval_step_ = state_.step;  // never re-evaluate the resumed step
  last_checkpoint_dir_ = dir;
}

void Trainer::LogTrain(double lr) {
  if (state_.log.count == 0) return;
  MetricRecord record;
  record.step = state_.step;
  record.epoch = train_loader_->epoch();
  record.split = "train";
  record.values["loss"] =
      state_.log.loss_sum / static_cast<double>(state_.log.count);
  if (data_.task != Task::kRegression) {
    record.values["accuracy"] = static_cast<double>(state_.log.correct) /
                                static_cast<double>(state_.log.count);
  }
  record.values["lr"] = lr;
  metrics_->Append(record);
  std::map<std::string, double> tb;
  for (const auto& [name, value] : record.values) tb["train/" + name] = value;
  tensorboard_->AddScalars(tb, state_.step);
  state_.log = LogSums{};
}

void Trainer::DoEval() {
  if (!eval_loader_) return;
  state_.last_eval = Evaluate(config_, data_.task, *model_, *eval_loader_);
  last_eval_step_ = state_.step;
  MetricRecord record;
  record.step = state_.step;
  record.epoch = train_loader_->epoch();
  record.split = "eval";
  record.values = state_.last_eval;
  metrics_->Append(record);
  std::map<std::string, double> tb;
  for (const auto& [name, value] : record.values) tb["eval/" + name] = value;
  tensorboard_->AddScalars(tb, state_.step);
  progress_->Event("eval step " + std::to_string(state_.step) + " (" +
                   data_.eval_split_name +
                   "):" + FormatMetrics(state_.last_eval));
  if (scheduler_ && scheduler_->uses_metric()) {
    scheduler_->step(state_.last_eval.at("loss"));
  }
  const auto& early = config_.train.early_stopping;
  if (!early.metric.empty()) {
    std::optional<double> value = LookupMetric(early.metric, state_.last_eval);
    if (value) {
      const bool better =
          !state_.best_metric ||
          (early.mode == MetricMode::kMax ? *value > *state_.best_metric
                                          : *value < *state_.best_metric);
      if (better) {
        state_.best_metric = value;
        state_.bad_evals = 0;
      } else {
        ++state_.bad_evals;
      }
    }
  }
  WritePlot();
}

void Trainer::WritePlot() {
  try {
    auto panels = TrainingCurvePanels(ReadMetricsJsonl(metrics_->jsonl_path()));
    if (!panels.empty()) WritePlotPng(run_dir_ + "/curves.png", panels);
  } catch (const Error& e) {
    // A plot is a convenience; never stop training for it.
    progress_->Event(std::string("warning: could not write curves.png: ") +
                     e.what());
  }
}

TrainSummary Trainer::Run() {
  Setup();
  ProgressOptions progress_options;
  progress_options.mode = options_.progress_mode;
  progress_options.log_interval_steps = config_.train.log_interval;
  progress_ = std::make_unique<ProgressReporter>(out_, progress_options);

  std::string resume_dir;
  if (!options_.resume.empty()) {
    if (options_.resume == "auto") {
      std::vector<std::string> skipped;
      auto latest = checkpoints_->LatestValid(&skipped);
      for (const auto& s : skipped) {
        progress_->Event("skipping damaged checkpoint " + s);
      }
      if (latest) {
        resume_dir = latest->dir;
      } else {
        TCH_CHECK_T(IoError, skipped.empty(),
                    "--resume auto: every checkpoint under ", run_dir_,
                    "/checkpoints is damaged (see above); move them away to "
                    "start over");
      }
    } else {
      resume_dir = ResolveCheckpoint(options_.resume);
    }
  } else {
    std::vector<std::string> ignored;
    auto existing = checkpoints_->LatestValid(&ignored);
    TCH_CHECK(!existing.has_value(), "run directory '", run_dir_,
              "' already has checkpoints (newest: step ",
              existing ? existing->step : 0,
              "); pass --resume auto to continue that run, or choose "
              "another directory with --run-dir");
  }

  MetricsWriter::Options metrics_options;
  metrics_options.mode = resume_dir.empty() ? MetricsWriter::Mode::kTruncate
                                            : MetricsWriter::Mode::kAppend;
  metrics_ = std::make_unique<MetricsWriter>(run_dir_, metrics_options);
  tensorboard_ = std::make_unique<TensorBoardWriter>(run_dir_ + "/tensorboard");
  WriteFileAtomically(run_dir_ + "/config.yaml", loaded_.ResolvedYaml());

  if (!resume_dir.empty()) {
    Restore(resume_dir);
    checkpoints_->Protect(resume_dir);
    metrics_->TruncateAfterStep(state_.step);
    tensorboard_->AddSessionStart(state_.step + 1);
    progress_->Event("resumed from " + resume_dir + " at step " +
                     std::to_string(state_.step));
  } else {
    progress_->Event("training " + std::string(ToString(config_.model.arch)) +
                     " (" + std::to_string(model_->num_parameters()) +
                     " parameters) on " + data_.train->description() + "; " +
                     std::to_string(total_steps_) + " steps, run dir " +
                     run_dir_);
  }

  TrainSummary summary;
  summary.run_dir = run_dir_;
  const int64_t accumulation = config_.train.grad_accumulation;
  const auto start_time = std::chrono::steady_clock::now();
  const int64_t start_samples = state_.samples;
  bool stop = state_.step >= total_steps_;
  while (!stop) {
    // One optimizer step over up to `accumulation` batches, never crossing
    // an epoch boundary.
    if (AtEpochEnd()) train_loader_->Next();  // moves to the next epoch
    const int64_t remaining =
        train_loader_->batches_per_epoch() - train_loader_->batch_index();
    const int64_t micro_batches = std::min(accumulation, remaining);
    const double lr = optimizer_->lr();
    for (int64_t micro = 0; micro < micro_batches; ++micro) {
      std::optional<data::Batch> batch = train_loader_->Next();
      TCH_INTERNAL_ASSERT(batch.has_value(), "loader ended mid-epoch");
      Tensor output = model_->forward(batch->inputs);
      Tensor loss = ComputeLoss(config_, data_.task, output, batch->targets);
      const double loss_value = loss.item<double>();
      if (!std::isfinite(loss_value)) {
        metrics_->Flush();
        throw TrainingDiverged(
            "loss is " + std::string(std::isnan(loss_value) ? "NaN" : "inf") +
            " at step " + std::to_string(state_.step + 1) + " (epoch " +
            std::to_string(train_loader_->epoch()) + ", batch " +
            std::to_string(train_loader_->batch_index()) +
            "); stopping. Last good checkpoint: " +
            (last_checkpoint_dir_.empty() ? "none" : last_checkpoint_dir_) +
            ". Try a lower optimizer.lr or gradient clipping "
            "(train.grad_clip_norm).");
      }
      if (micro_batches > 1) {
        loss = ad::div(loss, static_cast<double>(micro_batches));
      }
      autograd::backward(loss);
      const int64_t n = CountPredictions(data_.task, batch->targets);
      state_.log.loss_sum += loss_value * static_cast<double>(n);
      state_.log.correct += CountCorrect(data_.task, output, batch->targets);
      state_.log.count += n;
      state_.samples += batch->size;
    }
    if (config_.train.grad_clip_value > 0) {
      optim::clip_grad_value_(params_, config_.train.grad_clip_value);
    }
    if (config_.train.grad_clip_norm > 0) {
      optim::clip_grad_norm_(params_, config_.train.grad_clip_norm);
    }
    optimizer_->step();
    if (scheduler_ && !scheduler_->uses_metric()) scheduler_->step();
    optimizer_->zero_grad();
    ++state_.step;

    const bool last_step = state_.step >= total_steps_;
    const bool epoch_end = AtEpochEnd();
    if (state_.step % config_.train.log_interval == 0 || last_step) {
      LogTrain(lr);
    }
    ProgressUpdate update;
    update.step = state_.step;
    update.total_steps = total_steps_;
    update.epoch = train_loader_->epoch() + 1;
    update.total_epochs =
        config_.train.max_steps > 0 ? 0 : config_.train.epochs;
    update.lr = lr;
    update.samples = state_.samples;
    progress_->Update(update);

    const int64_t eval_interval = config_.train.eval_interval;
    if ((eval_interval > 0 && state_.step % eval_interval == 0) ||
        (eval_interval == 0 && epoch_end) || last_step) {
      DoEval();
    }
    const auto& early = config_.train.early_stopping;
    const bool early_stop = !early.metric.empty() && early.patience > 0 &&
                            state_.bad_evals >= early.patience;
    const int interrupt = options_.interrupt ? options_.interrupt->load() : 0;
    const int64_t ckpt_interval = config_.checkpoint.interval_steps;
    if ((ckpt_interval > 0 && state_.step % ckpt_interval == 0) ||
        (ckpt_interval == 0 && epoch_end) || last_step || early_stop ||
        interrupt != 0) {
      const std::string dir = SaveCheckpoint();
      progress_->Event("checkpoint " + dir);
    }
    if (early_stop) {
      progress_->Event("early stopping: " + early.metric +
                       " did not improve "
                       "for " +
                       std::to_string(early.patience) + " evaluations");
      summary.reason = StopReason::kEarlyStopped;
      stop = true;
    }
    if (interrupt != 0) {
      summary.reason = StopReason::kInterrupted;
      summary.interrupt_signal = interrupt;
      stop = true;
    }
    stop = stop || last_step;
  }
  progress_->Finish();
  const double seconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - start_time)
                             .count();
  summary.steps = state_.step;
  summary.eval = state_.last_eval;
  summary.last_checkpoint = last_checkpoint_dir_;
  summary.train_samples_per_second =
      seconds > 0
          ? static_cast<double>(state_.samples - start_samples) / seconds
          : 0;
  WritePlot();
  return summary;
}

}  // namespace

TrainSummary Train(const LoadedConfig& loaded, const TrainOptions& options) {
  Trainer trainer(loaded, options);
  return trainer.Run();
}

std::map<std::string, double> EvaluateCheckpoint(
    const TrainConfig& config, const std::string& checkpoint) {
  RunData data = BuildData(config);
  TCH_CHECK(data.eval != nullptr,
            "the config's dataset has no evaluation "
            "split (set data.val_fraction > 0)");
  SeedEverything(config.seed);
  auto model = BuildModel(config, data);
  if (checkpoint.size() > 12 &&
      checkpoint.substr(checkpoint.size() - 12) == ".safetensors") {
    nn::LoadSafetensors(*model, checkpoint, /*strict=*/true);
  } else {
    nn::LoadSafetensors(*model,
                        ResolveCheckpoint(checkpoint) + "/" + kModelFile,
                        /*strict=*/true);
  }
  data::LoaderOptions options;
  options.batch_size = config.data.eval_batch_size;
  options.shuffle = false;
  data::DataLoader loader(data.eval, options);
  return Evaluate(config, data.task, *model, loader);
}

}  // namespace tch::train
