// File: torch/optim/optimizer.h
//
// First-order optimizers with PyTorch 1.13's update rules (the single-tensor
// "for-loop" implementations of torch.optim): SGD, Adam, AdamW, RMSprop and
// Adagrad, plus gradient clipping. Each step runs one fused loop per
// parameter (parallelized with tch::ParallelFor for large tensors) that reads
// the gradient and state once and writes the parameter and state in place,
// without recording (NoGradGuard) and bumping the storage version counters.
// Parameters whose grad is undefined are skipped, like PyTorch.
//
// Example:
//   using namespace tch;
//   std::vector<Tensor> params = model.parameters();
//   optim::Adam opt(params, {.lr = 1e-3, .weight_decay = 0});
//   for (...) {
//     opt.zero_grad();
//     autograd::backward(loss);
//     optim::clip_grad_norm_(params, /*max_norm=*/1.0);
//     opt.step();
//   }
//   auto state = opt.state_dict();      // every entry a tensor: safetensors
//   opt.load_state_dict(state);         // resumes bit-identically
//
// Param groups: every group holds complete GroupOptions (a superset of every
// optimizer's hyperparameters; each optimizer reads only its own). The
// per-optimizer option structs carry PyTorch's defaults and convert
// implicitly, so `ParamGroup{head_params, optim::AdamOptions{.lr = 1e-4}}`
// works.
//
// State dict layout (std::map<std::string, Tensor>, all CPU tensors):
//   "optimizer.<Name>"              int64 0-D = 1 (Name: SGD, Adam, ...)
//   "param_groups.<g>.<field>"      float64 0-D per hyperparameter (lr,
//                                   weight_decay, momentum, dampening,
//                                   nesterov, maximize, beta1, beta2, eps,
//                                   amsgrad, alpha, centered, lr_decay,
//                                   initial_accumulator_value; bools 0/1)
//   "param_groups.<g>.params"       int64 1-D: the global parameter indices
//                                   (counted across groups in order)
//   "state.<i>.step"                int64 0-D, steps taken by parameter i
//   "state.<i>.<buffer>"            per-parameter buffers with the
//                                   parameter's shape and dtype: SGD
//                                   momentum_buffer; Adam/AdamW exp_avg,
//                                   exp_avg_sq, max_exp_avg_sq (amsgrad);
//                                   RMSprop square_avg, momentum_buffer,
//                                   grad_avg; Adagrad sum
// State is created lazily at a parameter's first step with a grad (Adagrad:
// at construction), so parameters that never had a grad have no "state.<i>"
// entries. state_dict() returns copies. load_state_dict() checks the
// optimizer name, group and parameter counts, every buffer's presence and
// shape, and throws ValueError naming the entry, e.g.
//   "optimizer state: state.3.exp_avg has shape [10], expected [128, 10]"
//   "optimizer state was saved for 6 parameters, this model has 8"
// Buffers are copied (converted to the parameter's dtype) into fresh
// tensors; hyperparameters (including lr) are restored from the dict.
//
// Errors: ValueError for invalid hyperparameters (negative lr, betas outside
// [0, 1), nesterov without momentum...), for gradients whose shape differs
// from the parameter's, and for malformed state dicts; NotImplementedError
// for dtypes other than float32/float64 and for non-CPU tensors.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "torch/core/tensor.h"

namespace tch::optim {

// PyTorch defaults (torch.optim.SGD requires lr; 1e-3 here).
struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
  bool maximize = false;
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // L2: added to the gradient
  bool amsgrad = false;
  bool maximize = false;
};

struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;  // decoupled: param *= 1 - lr * weight_decay
  bool amsgrad = false;
  bool maximize = false;
};

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;
  bool maximize = false;
};

struct AdagradOptions {
  double lr = 1e-2;
  double lr_decay = 0.0;
  double weight_decay = 0.0;
  double initial_accumulator_value = 0.0;
  double eps = 1e-10;
  bool maximize = false;
};

// Every hyperparameter of every optimizer; each optimizer reads its own.
// Default-constructed values are Adam's (and neutral for the rest).
struct GroupOptions {
  double lr = 1e-3;
  double weight_decay = 0.0;
  double momentum = 0.0;   // SGD, RMSprop
  double dampening = 0.0;  // SGD
  bool nesterov = false;   // SGD
  bool maximize = false;
  double beta1 = 0.9;  // Adam, AdamW
  double beta2 = 0.999;
  double eps = 1e-8;                       // Adam, AdamW, RMSprop, Adagrad
  bool amsgrad = false;                    // Adam, AdamW
  double alpha = 0.99;                     // RMSprop
  bool centered = false;                   // RMSprop
  double lr_decay = 0.0;                   // Adagrad
  double initial_accumulator_value = 0.0;  // Adagrad

  GroupOptions() = default;
  GroupOptions(const SGDOptions& o);      // NOLINT: implicit by design
  GroupOptions(const AdamOptions& o);     // NOLINT
  GroupOptions(const AdamWOptions& o);    // NOLINT
  GroupOptions(const RMSpropOptions& o);  // NOLINT
  GroupOptions(const AdagradOptions& o);  // NOLINT
};

struct ParamGroup {
  std::vector<Tensor> params;
  GroupOptions options;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // "SGD", "Adam", "AdamW", "RMSprop", "Adagrad".
  virtual std::string name() const = 0;

  // One update of every parameter that has a grad.
  virtual void step();

  // Clears (set_to_none) or zeroes every parameter's grad.
  void zero_grad(bool set_to_none = true);

  std::vector<ParamGroup>& param_groups() { return groups_; }
  const std::vector<ParamGroup>& param_groups() const { return groups_; }
  // Total number of parameters over all groups.
  int64_t num_params() const;

  double lr() const;       // group 0's lr
  void set_lr(double lr);  // every group

  std::map<std::string, Tensor> state_dict() const;
  void load_state_dict(const std::map<std::string, Tensor>& state);

 protected:
  // Validates the groups (non-empty, defined floating tensors, no parameter
  // listed twice) and each group's options via ValidateOptions.
  explicit Optimizer(std::vector<ParamGroup> groups);
  // Call at the end of a derived constructor (virtual calls need it).
  void Init();

  // Per-parameter state: the step count and named buffers.
  struct ParamState {
    int64_t step = 0;
    std::map<std::string, Tensor> buffers;
  };

  // Throws ValueError for options this optimizer rejects.
  virtual void ValidateOptions(const GroupOptions& options) const = 0;
  // The buffers a parameter's state must hold under `options` once it has
  // taken a step, and every buffer name this optimizer may store.
  virtual std::vector<std::string> BufferNames(
      const GroupOptions& options) const = 0;
  virtual std::vector<std::string> KnownBufferNames() const = 0;
  // Creates state for `param` (called on its first step with a grad, or at
  // construction when EagerState()).
  virtual void InitState(const Tensor& param, const GroupOptions& options,
                         ParamState& state) const = 0;
  virtual bool EagerState() const { return false; }
  // Updates one parameter in place (grad defined, same shape and dtype,
  // contiguous; param contiguous). Increments state.step itself.
  virtual void Update(const Tensor& param, const Tensor& grad,
                      const GroupOptions& options, ParamState& state) = 0;

  std::vector<ParamGroup> groups_;
  // Keyed by global parameter index (order of groups, then params).
  std::map<int64_t, ParamState> state_;
};

class SGD final : public Optimizer {
 public:
  explicit SGD(std::vector<Tensor> params, const SGDOptions& options = {});
  explicit SGD(std::vector<ParamGroup> groups);
  std::string name() const override { return "SGD"; }

 protected:
  void ValidateOptions(const GroupOptions& options) const override;
  std::vector<std::string> BufferNames(
      const GroupOptions& options) const override;
  std::vector<std::string> KnownBufferNames() const override;
  void InitState(const Tensor& param, const GroupOptions& options,
                 ParamState& state) const override;
  void Update(const Tensor& param, const Tensor& grad,
              const GroupOptions& options, ParamState& state) override;
};

class Adam : public Optimizer {
 public:
  explicit Adam(std::vector<Tensor> params, const AdamOptions& options = {});
  explicit Adam(std::vector<ParamGroup> groups);
  std::string name() const override { return "Adam"; }

 protected:
  Adam(std::vector<ParamGroup> groups, bool decoupled);
  void ValidateOptions(const GroupOptions& options) const override;
  std::vector<std::string> BufferNames(
      const GroupOptions& options) const override;
  std::vector<std::string> KnownBufferNames() const override;
  void InitState(const Tensor& param, const GroupOptions& options,
                 ParamState& state) const override;
  void Update(const Tensor& param, const Tensor& grad,
              const GroupOptions& options, ParamState& state) override;

 private:
  bool decoupled_ = false;  // AdamW
};

class AdamW final : public Adam {
 public:
  explicit AdamW(std::vector<Tensor> params, const AdamWOptions& options = {});
  explicit AdamW(std::vector<ParamGroup> groups);
  std::string name() const override { return "AdamW"; }
};

class RMSprop final : public Optimizer {
 public:
  explicit RMSprop(std::vector<Tensor> params,
                   const RMSpropOptions& options = {});
  explicit RMSprop(std::vector<ParamGroup> groups);
  std::string name() const override { return "RMSprop"; }

 protected:
  void ValidateOptions(const GroupOptions& options) const override;
  std::vector<std::string> BufferNames(
      const GroupOptions& options) const override;
  std::vector<std::string> KnownBufferNames() const override;
  void InitState(const Tensor& param, const GroupOptions& options,
                 ParamState& state) const override;
  void Update(const Tensor& param, const Tensor& grad,
              const GroupOptions& options, ParamState& state) override;
};

class Adagrad final : public Optimizer {
 public:
  explicit Adagrad(std::vector<Tensor> params,
                   const AdagradOptions& options = {});
  explicit Adagrad(std::vector<ParamGroup> groups);
  std::string name() const override { return "Adagrad"; }

 protected:
  void ValidateOptions(const GroupOptions& options) const override;
  std::vector<std::string> BufferNames(
      const GroupOptions& options) const override;
  std::vector<std::string> KnownBufferNames() const override;
  void InitState(const Tensor& param, const GroupOptions& options,
                 ParamState& state) const override;
  bool EagerState() const override { return true; }
  void Update(const Tensor& param, const Tensor& grad,
              const GroupOptions& options, ParamState& state) override;
};

// PyTorch's defaults for optimizer `name` (case-insensitive: "sgd", "adam",
// "adamw", "rmsprop", "adagrad"); a config system starts from these and
// overrides fields. Throws ValueError naming the known optimizers.
GroupOptions DefaultOptions(const std::string& name);
// Builds optimizer `name` over `params` with `options`.
std::unique_ptr<Optimizer> MakeOptimizer(const std::string& name,
                                         std::vector<Tensor> params,
                                         const GroupOptions& options);
std::unique_ptr<Optimizer> MakeOptimizer(const std::string& name,
                                         std::vector<ParamGroup> groups);

// --- Gradient clipping (torch.nn.utils) ----------------------------------
// Scales every defined grad in place by max_norm / (total_norm + 1e-6) when
// that is < 1, where total_norm is the norm_type-norm of all grads together
// (norm_type > 0, or INFINITY for the max-abs norm). Returns total_norm
// (0 when no parameter has a grad). Like PyTorch, an infinite norm scales by
// 0 and a NaN norm makes the grads NaN; with error_if_nonfinite a NaN/Inf
// total norm throws ValueError instead. The norm is accumulated in double.
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm,
                       double norm_type = 2.0, bool error_if_nonfinite = false);
// Clamps every defined grad in place to [-clip, clip] (clip >= 0).
void clip_grad_value_(const std::vector<Tensor>& params, double clip);

}  // namespace tch::optim
