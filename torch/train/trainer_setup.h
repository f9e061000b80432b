// File: torch/train/trainer_setup.h
//
// Turns a TrainConfig into the objects a run needs: datasets, model, loss,
// optimizer and LR schedule. Shared by `tch train`, eval, predict, bench and
// check so that every command builds exactly the same thing.
//
// Errors: ConfigError (located at the config value) for values that only
// fail once data is known (a model arch that cannot take the data's shape,
// an unknown layer argument); IoError from the datasets (missing files, with
// the Debian package to install).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "torch/data/dataset.h"
#include "torch/nn/module.h"
#include "torch/optim/lr_scheduler.h"
#include "torch/optim/optimizer.h"
#include "torch/train/config.h"

namespace tch::train {

// What the model predicts, which decides the loss inputs and the metrics.
enum class Task {
  kClassification,  // logits [B, C], int64 targets [B]; accuracy
  kLanguageModel,   // logits [B, T, V], int64 targets [B, T]; perplexity, bpc
  kRegression,      // outputs [B, 1] or [B], float targets [B]
};

struct RunData {
  std::shared_ptr<const data::Dataset> train;
  std::shared_ptr<const data::Dataset> eval;  // null: no evaluation split
  std::shared_ptr<const data::Vocab> vocab;   // text datasets only
  Task task = Task::kClassification;
  std::string eval_split_name;  // "test", "val"
  // Image datasets with data.normalize: x = (pixel / 255 - mean) / std was
  // applied with these {mean, std}; predict normalizes new images the same.
  std::optional<std::pair<double, double>> image_normalization;
};

// Loads the datasets of `config.data` (limits applied).
RunData BuildData(const TrainConfig& config);

// Builds `config.model` for inputs shaped like `data.train`'s examples,
// initialized from the default generator (seed it first).
std::shared_ptr<nn::Module> BuildModel(const TrainConfig& config,
                                       const RunData& data);

std::unique_ptr<optim::Optimizer> BuildOptimizer(
    const TrainConfig& config, const std::vector<Tensor>& params);

// `total_steps` is the length of the run in optimizer steps (for cosine,
// linear and one-cycle schedules). Returns null for `constant` without
// warmup.
std::unique_ptr<optim::LRScheduler> BuildScheduler(const TrainConfig& config,
                                                   optim::Optimizer& optimizer,
                                                   int64_t total_steps);

// The training loss of `output` for `targets` (recorded for backward).
Tensor ComputeLoss(const TrainConfig& config, Task task, const Tensor& output,
                   const Tensor& targets);

// Number of correct predictions (classification and language modelling:
// argmax equals target), 0 for regression.
int64_t CountCorrect(Task task, const Tensor& output, const Tensor& targets);
// Number of predictions in a batch (tokens for language models).
int64_t CountPredictions(Task task, const Tensor& targets);

// Seeds every random number source a run uses (the default generator).
void SeedEverything(int64_t seed);

}  // namespace tch::train
