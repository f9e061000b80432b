// File: torch/optim/lr_scheduler.cc
//
// The PyTorch schedulers transcribe torch/optim/lr_scheduler.py 1.13
// (get_lr, not the closed forms), keeping its operation order so the lr
// sequences match get_last_lr() to the last bit or nearly.
#include "torch/optim/lr_scheduler.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numbers>
#include <utility>

#include "torch/core/error.h"

namespace tch::optim {

namespace {
constexpr double kPi = std::numbers::pi;

std::string Key(const char* prefix, size_t g) {
  return std::string(prefix) + std::to_string(g);
}
}  // namespace

// --- Base ----------------------------------------------------------------

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer) {
  for (const ParamGroup& group : optimizer_.param_groups()) {
    base_lrs_.push_back(group.options.lr);
  }
  last_lrs_ = base_lrs_;
}

void LRScheduler::InitialStep() { step(); }

void LRScheduler::step() {
  ++last_epoch_;
  std::vector<double> lrs = ComputeLrs();
  auto& groups = optimizer_.param_groups();
  TCH_INTERNAL_ASSERT(lrs.size() == groups.size(), "one lr per group");
  for (size_t g = 0; g < groups.size(); ++g) groups[g].options.lr = lrs[g];
  last_lrs_ = std::move(lrs);
}

void LRScheduler::step(double) { step(); }

std::map<std::string, double> LRScheduler::state_dict() const {
  std::map<std::string, double> out;
  out["last_epoch"] = static_cast<double>(last_epoch_);
  for (size_t g = 0; g < base_lrs_.size(); ++g) {
    out[Key("base_lrs.", g)] = base_lrs_[g];
    out[Key("last_lrs.", g)] = last_lrs_[g];
  }
  return out;
}

void LRScheduler::load_state_dict(const std::map<std::string, double>& state) {
  size_t saved_groups = 0;
  while (state.count(Key("base_lrs.", saved_groups))) ++saved_groups;
  auto& groups = optimizer_.param_groups();
  TCH_CHECK(saved_groups == groups.size(), "scheduler state has ", saved_groups,
            " param groups, the optimizer has ", groups.size());
  // The same keys this scheduler writes, no more, no fewer.
  const std::map<std::string, double> mine = state_dict();
  for (const auto& [key, v] : mine) {
    TCH_CHECK(state.count(key), "scheduler state: missing entry ", key);
  }
  for (const auto& [key, v] : state) {
    TCH_CHECK(mine.count(key), "scheduler state: unexpected entry ", key);
  }
  last_epoch_ = static_cast<int64_t>(state.at("last_epoch"));
  for (size_t g = 0; g < groups.size(); ++g) {
    base_lrs_[g] = state.at(Key("base_lrs.", g));
    last_lrs_[g] = state.at(Key("last_lrs.", g));
    // Equal to what the optimizer's state restores; set here too so loading
    // only the scheduler state resumes at the right lr.
    groups[g].options.lr = last_lrs_[g];
  }
}

// --- ConstantLR -------------------------------------------------------------

ConstantLR::ConstantLR(Optimizer& optimizer, double factor, int64_t total_iters)
    : LRScheduler(optimizer), factor_(factor), total_iters_(total_iters) {
  TCH_CHECK(factor > 0 && factor <= 1,
            "ConstantLR: factor must be in (0, 1], got ", factor);
  TCH_CHECK(total_iters >= 0, "ConstantLR: total_iters must be >= 0, got ",
            total_iters);
  InitialStep();
}

std::vector<double> ConstantLR::ComputeLrs() {
  std::vector<double> lrs;
  for (const ParamGroup& group : optimizer_.param_groups()) {
    const double lr = group.options.lr;
    if (last_epoch_ == 0) {
      lrs.push_back(lr * factor_);
    } else if (last_epoch_ != total_iters_) {
      lrs.push_back(lr);
    } else {
      lrs.push_back(lr * (1.0 / factor_));
    }
  }
  return lrs;
}

// --- StepLR / MultiStepLR / ExponentialLR -----------------------------------

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  TCH_CHECK(step_size > 0, "StepLR: step_size must be > 0, got ", step_size);
  InitialStep();
}

std::vector<double> StepLR::ComputeLrs() {
  std::vector<double> lrs;
  for (const ParamGroup& group : optimizer_.param_groups()) {
    const double lr = group.options.lr;
    const bool decay = last_epoch_ != 0 && last_epoch_ % step_size_ == 0;
    lrs.push_back(decay ? lr * gamma_ : lr);
  }
  return lrs;
}

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones,
                         double gamma)
    : LRScheduler(optimizer),
      milestones_(std::move(milestones)),
      gamma_(gamma) {
  InitialStep();
}

std::vector<double> MultiStepLR::ComputeLrs() {
  const auto hits =
      std::count(milestones_.begin(), milestones_.end(), last_epoch_);
  std::vector<double> lrs;
  for (const ParamGroup& group : optimizer_.param_groups()) {
    const double lr = group.options.lr;
    lrs.push_back(hits == 0 ? lr
                            : lr * std::pow(gamma_, static_cast<double>(hits)));
  }
  return lrs;
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma)
    : LRScheduler(optimizer), gamma_(gamma) {
  InitialStep();
}

std::vector<double> ExponentialLR::ComputeLrs() {
  std::vector<double> lrs;
  for (const ParamGroup& group : optimizer_.param_groups()) {
    const double lr = group.options.lr;
    lrs.push_back(last_epoch_ == 0 ? lr : lr * gamma_);
  }
  return lrs;
}

// --- CosineAnnealingLR
// --------------------------------------------------------

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t t_max,
                                     double eta_min)
    : LRScheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
  TCH_CHECK(t_max > 0, "CosineAnnealingLR: t_max must be > 0, got ", t_max);
  InitialStep();
}

std::vector<double> CosineAnnealingLR::ComputeLrs() {
  const auto& groups = optimizer_.param_groups();
  const int64_t e = last_epoch_;
  const double t = static_cast<double>(t_max_);
  const int64_t period = 2 * t_max_;
  const int64_t phase = ((e - 1 - t_max_) % period + period) % period;
  std::vector<double> lrs;
  for (size_t g = 0; g < groups.size(); ++g) {
    const double lr = groups[g].options.lr;
    if (e == 0) {
      lrs.push_back(lr);
    } else if (phase == 0) {
      lrs.push_back(lr +
                    (base_lrs_[g] - eta_min_) * (1 - std::cos(kPi / t)) / 2);
    } else {
      const double ed = static_cast<double>(e);
      lrs.push_back((1 + std::cos(kPi * ed / t)) /
                        (1 + std::cos(kPi * (ed - 1) / t)) * (lr - eta_min_) +
                    eta_min_);
    }
  }
  return lrs;
}

// --- Warmup schedules (closed form) ------------------------------------------

namespace {
void CheckWarmup(const char* who, int64_t warmup, int64_t total,
                 double start_factor) {
  TCH_CHECK(total > 0, who, ": total_steps must be > 0, got ", total);
  TCH_CHECK(warmup >= 0 && warmup <= total, who,
            ": warmup_steps must be in [0, total_steps = ", total, "], got ",
            warmup);
  TCH_CHECK(start_factor >= 0 && start_factor <= 1, who,
            ": warmup_start_factor must be in [0, 1], got ", start_factor);
}

double WarmupLr(double base, int64_t t, int64_t warmup, double s) {
  return base *
         (s + (1 - s) * static_cast<double>(t) / static_cast<double>(warmup));
}
}  // namespace

CosineWarmupLR::CosineWarmupLR(Optimizer& optimizer, int64_t warmup_steps,
                               int64_t total_steps, double min_lr,
                               double warmup_start_factor)
    : LRScheduler(optimizer),
      warmup_steps_(warmup_steps),
      total_steps_(total_steps),
      min_lr_(min_lr),
      start_factor_(warmup_start_factor) {
  CheckWarmup("CosineWarmupLR", warmup_steps, total_steps, warmup_start_factor);
  TCH_CHECK(min_lr >= 0, "CosineWarmupLR: min_lr must be >= 0, got ", min_lr);
  InitialStep();
}

std::vector<double> CosineWarmupLR::ComputeLrs() {
  const int64_t t = last_epoch_;
  std::vector<double> lrs;
  for (double base : base_lrs_) {
    if (t < warmup_steps_) {
      lrs.push_back(WarmupLr(base, t, warmup_steps_, start_factor_));
    } else if (t >= total_steps_) {
      lrs.push_back(min_lr_);
    } else {
      const double progress = static_cast<double>(t - warmup_steps_) /
                              static_cast<double>(total_steps_ - warmup_steps_);
      lrs.push_back(min_lr_ +
                    (base - min_lr_) * (1 + std::cos(kPi * progress)) / 2);
    }
  }
  return lrs;
}

LinearWarmupDecayLR::LinearWarmupDecayLR(Optimizer& optimizer,
                                         int64_t warmup_steps,
                                         int64_t total_steps, double final_lr,
                                         double warmup_start_factor)
    : LRScheduler(optimizer),
      warmup_steps_(warmup_steps),
      total_steps_(total_steps),
      final_lr_(final_lr),
      start_factor_(warmup_start_factor) {
  CheckWarmup("LinearWarmupDecayLR", warmup_steps, total_steps,
              warmup_start_factor);
  TCH_CHECK(final_lr >= 0, "LinearWarmupDecayLR: final_lr must be >= 0, got ",
            final_lr);
  InitialStep();
}

std::vector<double> LinearWarmupDecayLR::ComputeLrs() {
  const int64_t t = last_epoch_;
  std::vector<double> lrs;
  for (double base : base_lrs_) {
    if (t < warmup_steps_) {
      lrs.push_back(WarmupLr(base, t, warmup_steps_, start_factor_));
    } else if (t >= total_steps_) {
      lrs.push_back(final_lr_);
    } else {
      lrs.push_back(final_lr_ +
                    (base - final_lr_) * static_cast<double>(total_steps_ - t) /
                        static_cast<double>(total_steps_ - warmup_steps_));
    }
  }
  return lrs;
}

// --- OneCycleLR
// ---------------------------------------------------------------

namespace {
double AnnealCos(double start, double end, double pct) {
  const double cos_out = std::cos(kPi * pct) + 1;
  return end + (start - end) / 2.0 * cos_out;
}
}  // namespace

OneCycleLR::OneCycleLR(Optimizer& optimizer, double max_lr, int64_t total_steps,
                       const OneCycleOptions& options)
    : LRScheduler(optimizer),
      max_lr_(max_lr),
      total_steps_(total_steps),
      options_(options) {
  TCH_CHECK(total_steps > 0, "OneCycleLR: total_steps must be > 0, got ",
            total_steps);
  TCH_CHECK(options.pct_start >= 0 && options.pct_start <= 1,
            "OneCycleLR: pct_start must be in [0, 1], got ", options.pct_start);
  TCH_CHECK(options.div_factor > 0 && options.final_div_factor > 0,
            "OneCycleLR: div_factor and final_div_factor must be > 0");
  if (options.cycle_momentum) {
    const std::string n = optimizer.name();
    TCH_CHECK(n != "Adagrad",
              "OneCycleLR: optimizer must support momentum with "
              "cycle_momentum enabled (",
              n, " has neither momentum nor betas; set cycle_momentum=false)");
  }
  // Like PyTorch, the scheduler's base lr is max_lr / div_factor.
  std::fill(base_lrs_.begin(), base_lrs_.end(), max_lr / options.div_factor);
  InitialStep();
}

std::vector<double> OneCycleLR::ComputeLrs() {
  const int64_t step_num = last_epoch_;
  TCH_CHECK(step_num <= total_steps_, "Tried to step ", step_num,
            " times. The specified number of total steps is ", total_steps_);
  const double initial_lr = max_lr_ / options_.div_factor;
  const double min_lr = initial_lr / options_.final_div_factor;
  const double end0 =
      options_.pct_start * static_cast<double>(total_steps_) - 1;
  const double end1 = static_cast<double>(total_steps_ - 1);
  const double s = static_cast<double>(step_num);
  double lr, momentum;
  if (s <= end0) {
    const double pct = s / end0;
    lr = AnnealCos(initial_lr, max_lr_, pct);
    momentum = AnnealCos(options_.max_momentum, options_.base_momentum, pct);
  } else {
    const double pct = (s - end0) / (end1 - end0);
    lr = AnnealCos(max_lr_, min_lr, pct);
    momentum = AnnealCos(options_.base_momentum, options_.max_momentum, pct);
  }
  auto& groups = optimizer_.param_groups();
  if (options_.cycle_momentum) {
    const std::string n = optimizer_.name();
    const bool beta1 = n == "Adam" || n == "AdamW";
    for (ParamGroup& group : groups) {
      (beta1 ? group.options.beta1 : group.options.momentum) = momentum;
    }
  }
  return std::vector<double>(groups.size(), lr);
}

// --- ReduceLROnPlateau
// ----------------------------------------------------------

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer,
                                     const PlateauOptions& options)
    : LRScheduler(optimizer), options_(options) {
  TCH_CHECK(options.mode == "min" || options.mode == "max",
            "ReduceLROnPlateau: mode must be \"min\" or \"max\", got \"",
            options.mode, "\"");
  TCH_CHECK(options.threshold_mode == "rel" || options.threshold_mode == "abs",
            "ReduceLROnPlateau: threshold_mode must be \"rel\" or \"abs\", "
            "got \"",
            options.threshold_mode, "\"");
  TCH_CHECK(options.factor < 1.0, "ReduceLROnPlateau: factor should be < 1.0");
  TCH_CHECK(options.patience >= 0 && options.cooldown >= 0,
            "ReduceLROnPlateau: patience and cooldown must be >= 0");
  best_ = options.mode == "min" ? INFINITY : -INFINITY;
  last_epoch_ = 0;  // PyTorch's counter starts at 0; no initial step
  for (size_t g = 0; g < last_lrs_.size(); ++g) {
    last_lrs_[g] = optimizer.param_groups()[g].options.lr;
  }
}

bool ReduceLROnPlateau::IsBetter(double a) const {
  const bool rel = options_.threshold_mode == "rel";
  if (options_.mode == "min") {
    return rel ? a < best_ * (1. - options_.threshold)
               : a < best_ - options_.threshold;
  }
  return rel ? a > best_ * (options_.threshold + 1.)
             : a > best_ + options_.threshold;
}

void ReduceLROnPlateau::step() {
  throw ValueError(
      "ReduceLROnPlateau needs the monitored metric: call step(metric)");
}

void ReduceLROnPlateau::step(double metric) {
  ++last_epoch_;
  if (IsBetter(metric)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;
  }
  auto& groups = optimizer_.param_groups();
  if (num_bad_epochs_ > options_.patience) {
    for (ParamGroup& group : groups) {
      const double old_lr = group.options.lr;
      const double new_lr = std::max(old_lr * options_.factor, options_.min_lr);
      if (old_lr - new_lr > options_.eps) group.options.lr = new_lr;
    }
    cooldown_counter_ = options_.cooldown;
    num_bad_epochs_ = 0;
  }
  for (size_t g = 0; g < groups.size(); ++g) {
    last_lrs_[g] = groups[g].options.lr;
  }
}

std::vector<double> ReduceLROnPlateau::ComputeLrs() { return last_lrs_; }

std::map<std::string, double> ReduceLROnPlateau::state_dict() const {
  std::map<std::string, double> out = LRScheduler::state_dict();
  out["best"] = best_;
  out["num_bad_epochs"] = static_cast<double>(num_bad_epochs_);
  out["cooldown_counter"] = static_cast<double>(cooldown_counter_);
  return out;
}

void ReduceLROnPlateau::load_state_dict(
    const std::map<std::string, double>& state) {
  LRScheduler::load_state_dict(state);
  best_ = state.at("best");
  num_bad_epochs_ = static_cast<int64_t>(state.at("num_bad_epochs"));
  cooldown_counter_ = static_cast<int64_t>(state.at("cooldown_counter"));
}

// --- Factory
// --------------------------------------------------------------------

std::unique_ptr<LRScheduler> MakeScheduler(const std::string& name,
                                           Optimizer& optimizer,
                                           const SchedulerOptions& o) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (n == "constant") {
    return std::make_unique<ConstantLR>(optimizer, o.factor, o.total_iters);
  }
  if (n == "step")
    return std::make_unique<StepLR>(optimizer, o.step_size, o.gamma);
  if (n == "multistep") {
    return std::make_unique<MultiStepLR>(optimizer, o.milestones, o.gamma);
  }
  if (n == "exponential") {
    return std::make_unique<ExponentialLR>(optimizer, o.gamma);
  }
  if (n == "cosine") {
    return std::make_unique<CosineAnnealingLR>(optimizer, o.t_max, o.eta_min);
  }
  if (n == "cosine_warmup") {
    return std::make_unique<CosineWarmupLR>(optimizer, o.warmup_steps,
                                            o.total_steps, o.min_lr,
                                            o.warmup_start_factor);
  }
  if (n == "linear_warmup_decay") {
    return std::make_unique<LinearWarmupDecayLR>(optimizer, o.warmup_steps,
                                                 o.total_steps, o.final_lr,
                                                 o.warmup_start_factor);
  }
  if (n == "onecycle") {
    return std::make_unique<OneCycleLR>(optimizer, o.max_lr, o.total_steps,
                                        o.one_cycle);
  }
  if (n == "plateau") {
    return std::make_unique<ReduceLROnPlateau>(optimizer, o.plateau);
  }
  throw ValueError("unknown scheduler '" + name +
                   "'; expected one of constant, step, multistep, "
                   "exponential, cosine, cosine_warmup, linear_warmup_decay, "
                   "onecycle, plateau");
}

}  // namespace tch::optim
