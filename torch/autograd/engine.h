// File: torch/autograd/engine.h
//
// The backward engine. From the roots' nodes it counts, for every reachable
// node, how many consumers will send it a gradient; a node runs once all of
// them have (so each runs exactly once), latest-created first. Gradients
// arriving at the same input slot are summed. Single-threaded: the kernels
// the nodes call are parallel already.
#pragma once

#include "torch/autograd/node.h"

namespace tch::autograd {

// Backward from `outputs` (with `grad_outputs`, or ones for one-element
// outputs when empty). With `inputs` empty, accumulates into the leaves'
// `.grad` and returns {}; otherwise returns the gradients w.r.t. `inputs`
// and touches no `.grad` (autograd::grad). See variable.h for the public
// entry points.
TensorList RunBackward(const TensorList& outputs,
                       const TensorList& grad_outputs, bool retain_graph,
                       const TensorList& inputs, bool allow_unused);

}  // namespace tch::autograd
