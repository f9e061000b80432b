// File: torch/nn/loss.h
//
// Loss modules (torch.nn.*Loss): forward(input, target) through the
// differentiable tch::ad losses. Class weights / pos_weight are registered
// as buffers named "weight" / "pos_weight" when given (as PyTorch's
// _WeightedLoss does), so they appear in state_dict.
//
//   CrossEntropyLoss(ClassLossOptions)  logits [N, C] or [N, C, d...];
//                                       int64 class targets (or class
//                                       probabilities); ignore_index,
//                                       label_smoothing, weight, reduction
//   NLLLoss(ClassLossOptions)           log-probabilities, int64 targets
//   MSELoss, L1Loss(reduction), SmoothL1Loss(reduction, beta)
//   BCEWithLogitsLoss(weight, pos_weight, reduction)
//
// Example:
//   tch::ClassLossOptions options;
//   options.label_smoothing = 0.1;
//   tch::nn::CrossEntropyLoss criterion(options);
//   Tensor loss = criterion(logits, labels);     // 0-D
//   tch::autograd::backward(loss);
//
// ParseReduction maps "mean" / "sum" / "none" (config files) to Reduction.
// Errors: those of the ad/core losses (shape/dtype mismatches, class ids
// out of range); ValueError for an unknown reduction name; calling the
// one-argument forward of a loss throws NotImplementedError.
#pragma once

#include <string>

#include "torch/core/norm_ops.h"
#include "torch/core/tensor.h"
#include "torch/nn/module.h"

namespace tch::nn {

Reduction ParseReduction(const std::string& name);

// A module whose forward takes (input, target).
class Loss : public Module {
 public:
  using Module::forward;
  explicit Loss(std::string type_name) : Module(std::move(type_name)) {}
  virtual Tensor forward(const Tensor& input, const Tensor& target) = 0;
  Tensor operator()(const Tensor& input, const Tensor& target) {
    return forward(input, target);
  }
};

class CrossEntropyLoss : public Loss {
 public:
  using Loss::forward;
  explicit CrossEntropyLoss(ClassLossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target) override;
  ClassLossOptions options;

 protected:
  std::string extra_repr() const override;
};

class NLLLoss : public Loss {
 public:
  using Loss::forward;
  explicit NLLLoss(ClassLossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target) override;
  ClassLossOptions options;
};

class MSELoss : public Loss {
 public:
  using Loss::forward;
  explicit MSELoss(Reduction reduction = Reduction::kMean)
      : Loss("MSELoss"), reduction(reduction) {}
  Tensor forward(const Tensor& input, const Tensor& target) override;
  Reduction reduction;
};

class L1Loss : public Loss {
 public:
  using Loss::forward;
  explicit L1Loss(Reduction reduction = Reduction::kMean)
      : Loss("L1Loss"), reduction(reduction) {}
  Tensor forward(const Tensor& input, const Tensor& target) override;
  Reduction reduction;
};

class SmoothL1Loss : public Loss {
 public:
  using Loss::forward;
  explicit SmoothL1Loss(Reduction reduction = Reduction::kMean,
                        double beta = 1.0);
  Tensor forward(const Tensor& input, const Tensor& target) override;
  Reduction reduction;
  double beta;
};

class BCEWithLogitsLoss : public Loss {
 public:
  using Loss::forward;
  explicit BCEWithLogitsLoss(Tensor weight = {}, Tensor pos_weight = {},
                             Reduction reduction = Reduction::kMean);
  Tensor forward(const Tensor& input, const Tensor& target) override;
  Tensor weight, pos_weight;
  Reduction reduction;
};

}  // namespace tch::nn
