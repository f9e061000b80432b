// File: torch/tch.h
//
// The whole public C++ API of tch in one include: tensors and their ops,
// devices and dtypes, random numbers and safetensors I/O (namespace tch),
// differentiable ops (tch::ad) and autograd (tch::autograd), modules
// (tch::nn), optimizers and LR schedules (tch::optim), datasets and the
// data loader (tch::data).
//
// Example:
//   #include "torch/tch.h"
//
//   tch::Tensor x = tch::randn({128, 784});
//   tch::Tensor w = tch::randn({784, 256}) * 0.05;
//   tch::Tensor h = tch::relu(tch::matmul(x, w));
//   tch::SaveSafetensors("h.safetensors", {{"h", h}});
//
//   auto model = tch::nn::MakeMlp({.in_features = 784, .hidden = {256},
//                                  .out_features = 10});
//   tch::optim::Adam opt(model->parameters());
//   tch::Tensor loss = tch::ad::cross_entropy(model->forward(x), labels);
//   tch::autograd::backward(loss);
//   opt.step();
#pragma once

#include "torch/autograd/functions/functions.h"  // IWYU pragma: export
#include "torch/autograd/grad_mode.h"            // IWYU pragma: export
#include "torch/autograd/gradcheck.h"            // IWYU pragma: export
#include "torch/autograd/variable.h"             // IWYU pragma: export
#include "torch/core/device.h"                   // IWYU pragma: export
#include "torch/core/dtype.h"                    // IWYU pragma: export
#include "torch/core/generator.h"                // IWYU pragma: export
#include "torch/core/index_ops.h"                // IWYU pragma: export
#include "torch/core/linalg_ops.h"               // IWYU pragma: export
#include "torch/core/nn_ops.h"                   // IWYU pragma: export
#include "torch/core/norm_ops.h"                 // IWYU pragma: export
#include "torch/core/ops.h"                      // IWYU pragma: export
#include "torch/core/parallel.h"                 // IWYU pragma: export
#include "torch/core/pointwise_ops.h"            // IWYU pragma: export
#include "torch/core/random_ops.h"               // IWYU pragma: export
#include "torch/core/reduce_ops.h"               // IWYU pragma: export
#include "torch/core/serialize.h"                // IWYU pragma: export
#include "torch/core/tensor.h"                   // IWYU pragma: export
#include "torch/data/dataset.h"                  // IWYU pragma: export
#include "torch/data/loader.h"                   // IWYU pragma: export
#include "torch/nn/nn.h"                         // IWYU pragma: export
#include "torch/optim/lr_scheduler.h"            // IWYU pragma: export
#include "torch/optim/optimizer.h"               // IWYU pragma: export
