// File: torch/nn/loss.cc
#include "torch/nn/loss.h"

#include <sstream>

#include "torch/autograd/functions/norm.h"
#include "torch/core/error.h"

namespace tch::nn {

Reduction ParseReduction(const std::string& name) {
  if (name == "mean") return Reduction::kMean;
  if (name == "sum") return Reduction::kSum;
  if (name == "none") return Reduction::kNone;
  TCH_CHECK(false, "unknown reduction '", name,
            "' (expected 'mean', 'sum' or 'none')");
  return Reduction::kMean;
}

CrossEntropyLoss::CrossEntropyLoss(ClassLossOptions opts)
    : Loss("CrossEntropyLoss"), options(std::move(opts)) {
  TCH_CHECK(options.label_smoothing >= 0 && options.label_smoothing <= 1,
            "CrossEntropyLoss: label_smoothing must be in [0, 1], got ",
            options.label_smoothing);
  if (options.weight.defined()) {
    options.weight = register_buffer("weight", options.weight);
  }
}

Tensor CrossEntropyLoss::forward(const Tensor& input, const Tensor& target) {
  return ad::cross_entropy(input, target, options);
}

std::string CrossEntropyLoss::extra_repr() const {
  std::ostringstream out;
  out << "ignore_index=" << options.ignore_index
      << ", label_smoothing=" << options.label_smoothing;
  return out.str();
}

NLLLoss::NLLLoss(ClassLossOptions opts)
    : Loss("NLLLoss"), options(std::move(opts)) {
  if (options.weight.defined()) {
    options.weight = register_buffer("weight", options.weight);
  }
}

Tensor NLLLoss::forward(const Tensor& input, const Tensor& target) {
  return ad::nll_loss(input, target, options);
}

Tensor MSELoss::forward(const Tensor& input, const Tensor& target) {
  return ad::mse_loss(input, target, reduction);
}

Tensor L1Loss::forward(const Tensor& input, const Tensor& target) {
  return ad::l1_loss(input, target, reduction);
}

SmoothL1Loss::SmoothL1Loss(Reduction r, double b)
    : Loss("SmoothL1Loss"), reduction(r), beta(b) {
  TCH_CHECK(beta >= 0, "SmoothL1Loss: beta must be non-negative, got ", beta);
}

Tensor SmoothL1Loss::forward(const Tensor& input, const Tensor& target) {
  return ad::smooth_l1_loss(input, target, reduction, beta);
}

BCEWithLogitsLoss::BCEWithLogitsLoss(Tensor w, Tensor pw, Reduction r)
    : Loss("BCEWithLogitsLoss"), reduction(r) {
  if (w.defined()) weight = register_buffer("weight", w);
  if (pw.defined()) pos_weight = register_buffer("pos_weight", pw);
}

Tensor BCEWithLogitsLoss::forward(const Tensor& input, const Tensor& target) {
  return ad::binary_cross_entropy_with_logits(input, target, weight, pos_weight,
                                              reduction);
}

}  // namespace tch::nn
