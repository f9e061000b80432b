// File: torch/nn/nn.h
//
// All of tch::nn with one include (target //torch/nn):
//   module.h    Module, state_dict / load_state_dict, SaveSafetensors /
//               LoadSafetensors
//   init.h      tch::nn::init (torch.nn.init)
//   layers.h    Linear, Conv2d, pools, norms, Dropout, Embedding, Flatten,
//               activations, Sequential, ModuleList, Residual
//   attention.h MultiheadAttention, TransformerBlock
//   loss.h      CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, SmoothL1Loss,
//               BCEWithLogitsLoss
//   models.h    MakeMlp, MakeCnn, MakeResNet, MakeGpt
//   registry.h  MakeLayer / MakeSequential from named arguments
//
// Example:
//   #include "torch/nn/nn.h"
//   auto model = tch::nn::MakeMlp({.in_features = 784, .hidden = {256},
//                                  .out_features = 10});
//   tch::Tensor logits = model->forward(x);
// Errors: see each header.
#pragma once

#include "torch/nn/attention.h"  // IWYU pragma: export
#include "torch/nn/init.h"       // IWYU pragma: export
#include "torch/nn/layers.h"     // IWYU pragma: export
#include "torch/nn/loss.h"       // IWYU pragma: export
#include "torch/nn/models.h"     // IWYU pragma: export
#include "torch/nn/module.h"     // IWYU pragma: export
#include "torch/nn/registry.h"   // IWYU pragma: export
