// File: torch/tch.h
//
// The whole public C++ API of tch in one include: tensors and their ops,
// devices and dtypes, random numbers and safetensors I/O.
//
// Example:
//   #include "torch/tch.h"
//
//   tch::Tensor x = tch::randn({128, 784});
//   tch::Tensor w = tch::randn({784, 256}) * 0.05;
//   tch::Tensor h = tch::relu(tch::matmul(x, w));
//   tch::SaveSafetensors("h.safetensors", {{"h", h}});
#pragma once

#include "torch/core/device.h"         // IWYU pragma: export
#include "torch/core/dtype.h"          // IWYU pragma: export
#include "torch/core/generator.h"      // IWYU pragma: export
#include "torch/core/index_ops.h"      // IWYU pragma: export
#include "torch/core/linalg_ops.h"     // IWYU pragma: export
#include "torch/core/nn_ops.h"         // IWYU pragma: export
#include "torch/core/norm_ops.h"       // IWYU pragma: export
#include "torch/core/ops.h"            // IWYU pragma: export
#include "torch/core/parallel.h"       // IWYU pragma: export
#include "torch/core/pointwise_ops.h"  // IWYU pragma: export
#include "torch/core/random_ops.h"     // IWYU pragma: export
#include "torch/core/reduce_ops.h"     // IWYU pragma: export
#include "torch/core/serialize.h"      // IWYU pragma: export
#include "torch/core/tensor.h"         // IWYU pragma: export
