// File: torch/autograd/functions/functions.h
//
// Every differentiable op (namespace tch::ad), one include. Each has the
// signature and semantics of the tch:: op of the same name in torch/core
// and records its backward when an input requires grad.
#pragma once

#include "torch/autograd/functions/arith.h"      // IWYU pragma: export
#include "torch/autograd/functions/index.h"      // IWYU pragma: export
#include "torch/autograd/functions/linalg.h"     // IWYU pragma: export
#include "torch/autograd/functions/nn.h"         // IWYU pragma: export
#include "torch/autograd/functions/norm.h"       // IWYU pragma: export
#include "torch/autograd/functions/pointwise.h"  // IWYU pragma: export
#include "torch/autograd/functions/random.h"     // IWYU pragma: export
#include "torch/autograd/functions/reduce.h"     // IWYU pragma: export
#include "torch/autograd/functions/shape.h"      // IWYU pragma: export
#include "torch/autograd/variable.h"             // IWYU pragma: export
