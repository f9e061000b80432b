// File: torch/train/trainer.h
//
// The training loop behind `tch train`: builds data, model, optimizer and
// schedule from a LoadedConfig, trains with gradient accumulation and
// clipping, evaluates, logs metrics (metrics.jsonl/csv, TensorBoard, a PNG
// of the curves), and writes crash-safe checkpoints it can resume from
// bit-exactly.
//
// Run directory (config.run_dir):
//   config.yaml             the resolved config of the latest start/resume
//   metrics.jsonl/.csv      per-step records (identical across resumes)
//   timing.jsonl            wall-clock times of the same records
//   tensorboard/            event files
//   curves.png              loss/accuracy curves, rewritten at each eval
//   checkpoints/step-N/     model.safetensors, optimizer.safetensors,
//                           trainer_state.json, config.yaml[, vocab.json],
//                           MANIFEST.json
//   checkpoints/LATEST
//
// Determinism: the same config, seed and thread count give bit-identical
// metrics and weights; resuming from any checkpoint (also one written just
// before a kill -9) continues exactly as the uninterrupted run would have:
// the checkpoint holds the model, optimizer and schedule state, the RNG
// state, the data loader's position and the partial logging sums.
//
// Errors: ConfigError/ValueError for bad settings, IoError for files,
// TrainingDiverged (a ValueError) when the loss becomes NaN or infinite;
// the last good checkpoint is kept and named in the message.
#pragma once

#include <atomic>
#include <iosfwd>
#include <map>
#include <string>

#include "torch/core/error.h"
#include "torch/train/config.h"
#include "torch/train/progress.h"

namespace tch::train {

class TrainingDiverged : public ValueError {
 public:
  using ValueError::ValueError;
};

enum class StopReason { kCompleted, kEarlyStopped, kInterrupted };

struct TrainOptions {
  // "" starts a fresh run (refused when run_dir already has checkpoints);
  // "auto" resumes from the newest valid checkpoint of run_dir if there is
  // one; otherwise a checkpoint directory or a run directory to resume from.
  std::string resume;
  // Initial weights (safetensors with PyTorch-style names) for fine-tuning.
  std::string init_from;
  ProgressOptions::Mode progress_mode = ProgressOptions::Mode::kAuto;
  std::ostream* out = nullptr;  // progress and events; null = std::cout
  // Polled after every step; non-zero (a signal number) makes the trainer
  // write a checkpoint and stop with kInterrupted.
  const std::atomic<int>* interrupt = nullptr;
};

struct TrainSummary {
  StopReason reason = StopReason::kCompleted;
  int interrupt_signal = 0;
  int64_t steps = 0;
  std::string run_dir;
  std::string last_checkpoint;
  // The last evaluation ("loss", "accuracy", "perplexity", "bpc").
  std::map<std::string, double> eval;
  double train_samples_per_second = 0;  // this process's training throughput
};

TrainSummary Train(const LoadedConfig& loaded, const TrainOptions& options);

// Evaluates the model of `checkpoint` (a checkpoint directory, a run
// directory -> its newest valid checkpoint, or a .safetensors file of
// weights) on the config's evaluation split.
std::map<std::string, double> EvaluateCheckpoint(const TrainConfig& config,
                                                 const std::string& checkpoint);

// The directory of the newest valid checkpoint under `path` (a checkpoint
// or run directory). Throws IoError listing what was skipped when none is.
std::string ResolveCheckpoint(const std::string& path);

}  // namespace tch::train
