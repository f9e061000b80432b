// File: torch/optim/lr_scheduler.h
//
// Learning-rate schedulers over an Optimizer's param groups. Like PyTorch,
// constructing a scheduler performs "step 0" (last_epoch 0) and may change
// the lr right away (ConstantLR, OneCycleLR, the warmup schedules); call
// step() once after each optimizer.step() (per epoch or per batch, as you
// choose). Each group is scheduled from its own base lr (its lr when the
// scheduler was built).
//
// Example:
//   tch::optim::AdamW opt(params, {.lr = 3e-4});
//   tch::optim::CosineWarmupLR sched(opt, /*warmup_steps=*/100,
//                                    /*total_steps=*/10000, /*min_lr=*/3e-5);
//   for (int64_t s = 0; s < 10000; ++s) {
//     ... opt.step(); sched.step();
//   }
//
// The schedulers PyTorch has (ConstantLR, StepLR, MultiStepLR,
// ExponentialLR, CosineAnnealingLR, OneCycleLR, ReduceLROnPlateau) follow
// torch.optim.lr_scheduler 1.13 exactly, including its recursive ("chained")
// update forms, so last_lr() sequences match get_last_lr(). CosineWarmupLR
// and LinearWarmupDecayLR are closed-form (formulas below).
//
// state_dict(): a std::map<std::string, double> (values exact; store each as
// a float64 0-D tensor to checkpoint it): "last_epoch", "base_lrs.<g>",
// "last_lrs.<g>" plus scheduler-specific counters. load_state_dict() checks
// the group count and that the keys are exactly the ones this scheduler
// writes (ValueError naming the key), then also writes last_lrs into the
// groups (the optimizer's own state dict restores the same values). Resume
// order: build optimizer and scheduler as in the original run, then load
// both states; the continuation is bit-identical.
//
// Errors: ValueError for invalid arguments (non-positive step_size, factor
// outside its range, total_steps < warmup_steps, ...), for OneCycleLR
// stepped past total_steps (PyTorch's message), and for
// ReduceLROnPlateau::step() without a metric.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "torch/optim/optimizer.h"

namespace tch::optim {

class LRScheduler {
 public:
  explicit LRScheduler(Optimizer& optimizer);
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  // Advances one step and writes the new lr into every group.
  virtual void step();
  // Schedulers driven by a metric (ReduceLROnPlateau) use it; the others
  // ignore it and step().
  virtual void step(double metric);
  virtual bool uses_metric() const { return false; }

  double last_lr() const { return last_lrs_.at(0); }  // group 0
  const std::vector<double>& last_lrs() const { return last_lrs_; }
  int64_t last_epoch() const { return last_epoch_; }

  virtual std::map<std::string, double> state_dict() const;
  virtual void load_state_dict(const std::map<std::string, double>& state);

 protected:
  // The lr of every group for last_epoch_ (already incremented); may read
  // the groups' current lr (recursive forms).
  virtual std::vector<double> ComputeLrs() = 0;
  // Performs step 0; call at the end of each derived constructor.
  void InitialStep();
  Optimizer& optimizer_;
  std::vector<double> base_lrs_;
  std::vector<double> last_lrs_;
  int64_t last_epoch_ = -1;
};

// lr = base * factor for last_epoch < total_iters, then base (PyTorch
// ConstantLR; factor 1 keeps the lr constant). 0 < factor <= 1.
class ConstantLR final : public LRScheduler {
 public:
  ConstantLR(Optimizer& optimizer, double factor = 1.0 / 3,
             int64_t total_iters = 5);

 protected:
  std::vector<double> ComputeLrs() override;

 private:
  double factor_;
  int64_t total_iters_;
};

// lr *= gamma every step_size steps.
class StepLR final : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

 protected:
  std::vector<double> ComputeLrs() override;

 private:
  int64_t step_size_;
  double gamma_;
};

// lr *= gamma at each milestone (a repeated milestone applies gamma twice).
class MultiStepLR final : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones,
              double gamma = 0.1);

 protected:
  std::vector<double> ComputeLrs() override;

 private:
  std::vector<int64_t> milestones_;
  double gamma_;
};

// lr *= gamma every step.
class ExponentialLR final : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 protected:
  std::vector<double> ComputeLrs() override;

 private:
  double gamma_;
};

// PyTorch CosineAnnealingLR (recursive form; SGDR-style restart after
// t_max): eta_min + (base - eta_min) * (1 + cos(pi * t / t_max)) / 2.
class CosineAnnealingLR final : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t t_max, double eta_min = 0);

 protected:
  std::vector<double> ComputeLrs() override;

 private:
  int64_t t_max_;
  double eta_min_;
};

// Linear warmup then cosine decay to min_lr (closed form; t = last_epoch,
// W = warmup_steps, T = total_steps, s = warmup_start_factor):
//   t <  W:      base * (s + (1 - s) * t / W)
//   W <= t < T:  min_lr + (base - min_lr) * (1 + cos(pi * (t - W) / (T - W))) /
//   2 t >= T:      min_lr
// With s = 0 and min_lr = 0 this is HuggingFace's
// get_cosine_schedule_with_warmup (the first step runs at lr 0). The same
// min_lr applies to every group. Requires 0 <= W <= T, T > 0, 0 <= s <= 1.
class CosineWarmupLR final : public LRScheduler {
 public:
  CosineWarmupLR(Optimizer& optimizer, int64_t warmup_steps,
                 int64_t total_steps, double min_lr = 0,
                 double warmup_start_factor = 0);

 protected:
  std::vector<double> ComputeLrs() override;

 private:
  int64_t warmup_steps_;
  int64_t total_steps_;
  double min_lr_;
  double start_factor_;
};

// Linear warmup then linear decay to final_lr (closed form):
//   t <  W:      base * (s + (1 - s) * t / W)
//   W <= t < T:  final_lr + (base - final_lr) * (T - t) / (T - W)
//   t >= T:      final_lr
// (final_lr = 0, s = 0: HuggingFace's get_linear_schedule_with_warmup.)
class LinearWarmupDecayLR final : public LRScheduler {
 public:
  LinearWarmupDecayLR(Optimizer& optimizer, int64_t warmup_steps,
                      int64_t total_steps, double final_lr = 0,
                      double warmup_start_factor = 0);

 protected:
  std::vector<double> ComputeLrs() override;

 private:
  int64_t warmup_steps_;
  int64_t total_steps_;
  double final_lr_;
  double start_factor_;
};

// PyTorch OneCycleLR, anneal_strategy "cos", three_phase false: from
// max_lr / div_factor up to max_lr over pct_start * total_steps steps, then
// down to max_lr / div_factor / final_div_factor at step total_steps - 1.
// With cycle_momentum (PyTorch's default) it also cycles the groups'
// momentum (SGD, RMSprop) or beta1 (Adam, AdamW) between max_momentum and
// base_momentum; Adagrad has neither (ValueError: pass false). Stepping
// beyond total_steps throws ValueError.
struct OneCycleOptions {
  double pct_start = 0.3;
  bool cycle_momentum = true;
  double base_momentum = 0.85;
  double max_momentum = 0.95;
  double div_factor = 25.0;
  double final_div_factor = 1e4;
};
class OneCycleLR final : public LRScheduler {
 public:
  OneCycleLR(Optimizer& optimizer, double max_lr, int64_t total_steps,
             const OneCycleOptions& options = {});

 protected:
  std::vector<double> ComputeLrs() override;

 private:
  double max_lr_;
  int64_t total_steps_;
  OneCycleOptions options_;
};

// PyTorch ReduceLROnPlateau: after more than `patience` steps without an
// improvement of the metric (mode "min" or "max"; threshold_mode "rel":
// better than best * (1 -/+ threshold), "abs": best -/+ threshold), every
// group's lr becomes max(lr * factor, min_lr) unless that changes it by at
// most eps; then waits `cooldown` steps. step(metric) only; step() throws.
struct PlateauOptions {
  std::string mode = "min";
  double factor = 0.1;  // < 1
  int64_t patience = 10;
  double threshold = 1e-4;
  std::string threshold_mode = "rel";
  int64_t cooldown = 0;
  double min_lr = 0;
  double eps = 1e-8;
};
class ReduceLROnPlateau final : public LRScheduler {
 public:
  explicit ReduceLROnPlateau(Optimizer& optimizer,
                             const PlateauOptions& options = {});
  void step() override;
  void step(double metric) override;
  bool uses_metric() const override { return true; }
  // Adds "best", "num_bad_epochs", "cooldown_counter".
  std::map<std::string, double> state_dict() const override;
  void load_state_dict(const std::map<std::string, double>& state) override;

 protected:
  std::vector<double> ComputeLrs() override;

 private:
  bool IsBetter(double a) const;
  PlateauOptions options_;
  double best_;
  int64_t num_bad_epochs_ = 0;
  int64_t cooldown_counter_ = 0;
};

// Everything any scheduler takes; MakeScheduler reads the fields of `name`.
struct SchedulerOptions {
  int64_t step_size = 1;            // step
  double gamma = 0.1;               // step, multistep, exponential
  std::vector<int64_t> milestones;  // multistep
  double factor = 1.0 / 3;          // constant
  int64_t total_iters = 5;          // constant
  int64_t t_max = 1;                // cosine
  double eta_min = 0;               // cosine
  int64_t warmup_steps = 0;         // cosine_warmup, linear_warmup_decay
  int64_t total_steps = 1;          // + onecycle
  double min_lr = 0;                // cosine_warmup
  double final_lr = 0;              // linear_warmup_decay
  double warmup_start_factor = 0;   // cosine_warmup, linear_warmup_decay
  double max_lr = 0;                // onecycle
  OneCycleOptions one_cycle;        // onecycle
  PlateauOptions plateau;           // plateau
};

// name: "constant", "step", "multistep", "exponential", "cosine",
// "cosine_warmup", "linear_warmup_decay", "onecycle", "plateau"
// (case-insensitive). Throws ValueError naming the known schedulers.
std::unique_ptr<LRScheduler> MakeScheduler(const std::string& name,
                                           Optimizer& optimizer,
                                           const SchedulerOptions& options);

}  // namespace tch::optim
