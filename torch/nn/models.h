// File: torch/nn/models.h
//
// The model zoo: ready-made architectures for `tch train`, each built from
// the layers of layers.h / attention.h with PyTorch state_dict names (the
// equivalent PyTorch code is given for each, and tests/golden/
// nn_modules_golden.py builds the same models in PyTorch).
//
//   MakeMlp     nn.Sequential(Flatten(), Linear, act, [Dropout], ...,
//               Linear(out)); children "0", "1", ...
//   MakeCnn     nn.Sequential of conv blocks (Conv2d(k, padding=k//2,
//               bias=not batch_norm), [BatchNorm2d], ReLU, [MaxPool2d(2)]),
//               then Flatten, hidden Linear + ReLU + [Dropout] blocks,
//               and Linear(num_classes)
//   MakeResNet  CIFAR-style ResNet: conv1 (3x3) / bn1 / relu, stages
//               "layer1", "layer2", ... of BasicBlocks (conv1, bn1, conv2,
//               bn2, optional downsample = Sequential(1x1 Conv2d, BatchNorm2d))
//               with stride 2 at the first block of every stage after the
//               first; avgpool (adaptive, 1x1), fc
//   MakeGpt     decoder-only transformer: tok_emb, pos_emb, drop, blocks
//               (ModuleList of pre-LN TransformerBlock, causal), ln_f,
//               head (Linear, no bias; its weight IS tok_emb.weight when
//               tie_weights). forward(int64 ids [B, T]) -> logits [B, T, V]
//
// Example:
//   auto model = tch::nn::MakeCnn({.in_channels = 1, .height = 28,
//                                  .width = 28, .channels = {32, 64},
//                                  .fc_hidden = {128}, .num_classes = 10});
//   Tensor logits = model->forward(images);   // [N, 10]
//
// Initialization: every layer's PyTorch default, except MakeGpt, which uses
// GPT-2's: Linear and Embedding weights N(0, 0.02), biases 0, and the two
// residual output projections of each block (attn.out_proj.weight,
// mlp.2.weight) N(0, 0.02 / sqrt(2 * n_layers)).
//
// Errors (ValueError, naming the option): non-positive sizes, an unknown
// activation, a CNN or ResNet input too small for its pooling, d_model not
// divisible by n_heads; at forward, inputs of the wrong shape (e.g. a GPT
// sequence longer than context).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "torch/core/generator.h"
#include "torch/nn/module.h"

namespace tch::nn {

// "relu", "gelu", "silu", "tanh", "sigmoid" (ValueError otherwise).
std::shared_ptr<Module> MakeActivation(const std::string& name);

struct MlpOptions {
  int64_t in_features = 0;
  std::vector<int64_t> hidden = {};
  int64_t out_features = 0;
  std::string activation = "relu";
  double dropout = 0.0;  // after each hidden activation when > 0
};
std::shared_ptr<Module> MakeMlp(const MlpOptions& options,
                                Generator* generator = nullptr);

struct CnnOptions {
  int64_t in_channels = 1;
  int64_t height = 28;
  int64_t width = 28;
  std::vector<int64_t> channels = {32, 64};
  int64_t kernel_size = 3;  // odd; padding kernel_size / 2 keeps H and W
  bool batch_norm = false;
  bool pool = true;  // MaxPool2d(2) after each conv block
  std::vector<int64_t> fc_hidden = {128};
  int64_t num_classes = 10;
  double dropout = 0.0;  // after each hidden fc activation when > 0
};
std::shared_ptr<Module> MakeCnn(const CnnOptions& options,
                                Generator* generator = nullptr);

struct ResNetOptions {
  int64_t in_channels = 3;
  int64_t height = 32;
  int64_t width = 32;
  std::vector<int64_t> widths = {16, 32, 64};
  std::vector<int64_t> blocks = {2, 2, 2};  // same length as widths
  int64_t num_classes = 10;
};
std::shared_ptr<Module> MakeResNet(const ResNetOptions& options,
                                   Generator* generator = nullptr);

struct GptOptions {
  int64_t vocab_size = 0;
  int64_t context = 0;  // maximum sequence length
  int64_t d_model = 0;
  int64_t n_heads = 1;
  int64_t n_layers = 1;
  int64_t mlp_ratio = 4;
  double dropout = 0.0;
  bool tie_weights = false;
};
std::shared_ptr<Module> MakeGpt(const GptOptions& options,
                                Generator* generator = nullptr);

}  // namespace tch::nn
