// File: torch/autograd/grad_mode.h
//
// Grad mode: whether differentiable ops record the graph, per thread (each
// thread starts with recording on, as in PyTorch). Use the RAII guards, never
// a bare SetEnabled, so an exception restores the previous mode.
//
// Example:
//   {
//     tch::autograd::NoGradGuard no_grad;   // optimizer steps, evaluation
//     ...
//   }                                       // previous mode restored
#pragma once

namespace tch::autograd {

class GradMode {
 public:
  static bool IsEnabled();
  static void SetEnabled(bool enabled);
};

// Turns recording off for the enclosing scope.
class NoGradGuard {
 public:
  NoGradGuard() : previous_(GradMode::IsEnabled()) {
    GradMode::SetEnabled(false);
  }
  ~NoGradGuard() { GradMode::SetEnabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// Turns recording on for the enclosing scope (e.g. inside a NoGradGuard).
class EnableGradGuard {
 public:
  EnableGradGuard() : previous_(GradMode::IsEnabled()) {
    GradMode::SetEnabled(true);
  }
  ~EnableGradGuard() { GradMode::SetEnabled(previous_); }
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;

 private:
  bool previous_;
};

// Inference: no recording. tch has no separate inference-tensor kind, so this
// is NoGradGuard under the name serving code expects; it exists so callers
// state intent and can later get inference-only fast paths for free.
using InferenceModeGuard = NoGradGuard;

}  // namespace tch::autograd
