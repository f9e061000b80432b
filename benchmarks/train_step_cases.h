// File: benchmarks/train_step_cases.h
//
// The interface between the two halves of the training-speed comparison of
// tch against libtorch 1.13 (benchmarks/README.md, "Autograd and training
// steps"). As in compare_cases.h, each framework's half is its own
// translation unit (both keep headers under torch/), and they meet only
// here; plain C++17, because the libtorch half builds with -std=c++17.
//
//   train_step_tch.cc       tch's half, built by Bazel into
//                           bazel-bin/benchmarks/libtch_train_step.so
//   train_step_libtorch.cc  libtorch's half, main(), timing and the tables
//   compare_training.sh     builds and links both, runs them
//
// Two kinds of cases:
//   * Autograd chains ("scalar16", "mixed8x8", ChainDescription): 100
//     differentiable ops on tiny tensors, recorded and back-propagated, so
//     the time is the autograd machinery's, not the kernels'.
//   * Training steps ("mlp", "cnn", "gpt", ModelDescription): forward, loss,
//     backward, optimizer step and zero_grad on a fixed batch.
// Both sides build the same inputs from compare::Value / Indices, and the
// libtorch model starts from tch's initial parameters (copied in order,
// shapes checked), so the first losses must agree.
//
// Example (what train_step_libtorch.cc does):
//   trainbench::TrainStep t = trainbench::MakeTchTrainStep("mlp", 128);
//   std::vector<trainbench::Param> init = t.parameters();
//   t.forward(); t.backward(); t.update();   // one step
//   float loss = t.loss();
//
// Errors: MakeTchChain / MakeTchTrainStep throw std::runtime_error for an
// unknown name (tch's own errors, e.g. a shape mismatch, propagate as
// std::exception).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "compare_cases.h"

namespace trainbench {

constexpr int kChainOps = 100;  // differentiable ops per chain

// What each chain computes (both sides): the loss is sum(x) at the end.
inline const char* ChainDescription(const std::string& kind) {
  if (kind == "scalar16") {
    return "x [16] f32 leaf; 50 x (x = x * 1.0001; x = x + 0.0001)";
  }
  if (kind == "mixed8x8") {
    return "x, W [8, 8] f32 leaves; 25 x (h = matmul(x, W); h = tanh(h); "
           "x = h + x; x = x * 0.5)";
  }
  return "?";
}

// Chain inputs: x = Values(0, n) (W = 0.3 * Values(1, 64) for mixed8x8).
inline std::vector<int64_t> ChainShape(const std::string& kind) {
  if (kind == "scalar16") return {16};
  return {8, 8};
}

// One prepared chain on one side. Each function runs the 100 ops once.
struct Chain {
  std::function<void()> no_grad;          // under NoGradGuard: no graph
  std::function<void()> record;           // graph built, then dropped
  std::function<void()> record_backward;  // graph built, backward, grads
                                          // cleared (set to none) first
  // The leaves' gradients after the last record_backward, x's then W's.
  std::function<std::vector<float>()> grads;
};

Chain MakeTchChain(const std::string& kind);

// --- Training steps ---------------------------------------------------------

struct ModelShape {
  std::vector<int64_t> input;   // float images [B, 1, 28, 28] or ids [B, T]
  bool int_input = false;       // GPT: token ids in [0, vocab)
  std::vector<int64_t> target;  // int64 class ids
  int64_t classes = 0;          // target range (classes or vocab)
};

constexpr int64_t kGptVocab = 96, kGptContext = 128, kGptDModel = 128,
                  kGptHeads = 4, kGptLayers = 2;

inline ModelShape ShapeOf(const std::string& model, int64_t batch) {
  if (model == "gpt") {
    return {{batch, kGptContext}, true, {batch * kGptContext}, kGptVocab};
  }
  return {{batch, 1, 28, 28}, false, {batch}, 10};
}

inline const char* ModelDescription(const std::string& model) {
  if (model == "mlp") return "MLP 784-256-128-10 ReLU, Adam lr 1e-3";
  if (model == "cnn") {
    return "CNN conv 1->32 3x3 p1, ReLU, maxpool 2, conv 32->64 3x3 p1, "
           "ReLU, maxpool 2, fc 3136->128, ReLU, fc 128->10; Adam lr 1e-3";
  }
  if (model == "gpt") {
    return "GPT vocab 96, context 128, d_model 128, 4 heads, 2 pre-LN "
           "layers, MLP x4 GELU, tied head, no dropout; AdamW lr 3e-3, "
           "betas (0.9, 0.95), weight decay 0.1";
  }
  return "?";
}

// Floating-point operations of one training step, counting only the
// matrix products and convolutions (2 per multiply-add): forward F, weight
// gradients F, input gradients F except for the first layer of the MLP and
// CNN (whose input needs none). Attention counts the full T x T score and
// value products (the causal half is not discounted), like nanoGPT's MFU.
inline double StepFlops(const std::string& model, int64_t batch) {
  const double b = static_cast<double>(batch);
  if (model == "mlp") {
    const double l1 = 2 * b * 784 * 256,
                 rest = 2 * b * (256.0 * 128 + 128.0 * 10);
    return 2 * (l1 + rest) + rest;
  }
  if (model == "cnn") {
    const double c1 = 2 * b * 32 * 28 * 28 * 9,
                 rest = 2 * b *
                        (64.0 * 14 * 14 * 32 * 9 + 3136.0 * 128 + 128.0 * 10);
    return 2 * (c1 + rest) + rest;
  }
  if (model == "gpt") {
    const double n = b * kGptContext, e = kGptDModel, t = kGptContext;
    const double per_layer = 2 * n * (e * 3 * e + e * e + 2 * e * 4 * e) +
                             2 * 2 * b * t * t * e;  // q k^T and att @ v
    return 3 * (kGptLayers * per_layer + 2 * n * e * kGptVocab);
  }
  return 0;
}

// A parameter's values, row major.
struct Param {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};

// One prepared model + optimizer + batch on one side. forward() computes
// the loss (graph recorded), backward() back-propagates it, update() runs
// the optimizer step and zero_grad. step() = all three.
struct TrainStep {
  std::function<void()> forward, backward, update;
  std::function<float()> loss;  // the last forward's loss
  std::function<std::vector<Param>()> parameters;
  void step() const {
    forward();
    backward();
    update();
  }
};

// tch's step: the model of `model` from tch::nn's zoo (MakeMlp, MakeCnn,
// MakeGpt), tch::ad::cross_entropy, tch::optim::Adam / AdamW.
TrainStep MakeTchTrainStep(const std::string& model, int64_t batch);
void SetTchThreads(int threads);

// Inputs shared by both sides: images Values(0, n), ids Indices(0, n,
// classes), targets Indices(1, n, classes).
inline std::vector<float> InputValues(const ModelShape& s) {
  int64_t n = 1;
  for (int64_t d : s.input) n *= d;
  return compare::Values(0, n);
}
inline std::vector<int64_t> InputIds(const ModelShape& s) {
  int64_t n = 1;
  for (int64_t d : s.input) n *= d;
  return compare::Indices(0, n, s.classes);
}
inline std::vector<int64_t> Targets(const ModelShape& s) {
  return compare::Indices(1, s.target[0], s.classes);
}

}  // namespace trainbench
