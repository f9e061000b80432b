// File: torch/autograd/variable.h
//
// Autograd state of a tensor and the user-facing functions on it. Core
// tensors carry an opaque slot (TensorImpl::autograd_meta); this library
// fills it with an AutogradMeta: requires_grad, the accumulated `.grad`, the
// Node that produced the tensor (grad_fn), hooks.
//
// Example:
//   using namespace tch;
//   Tensor w = autograd::requires_grad_(randn({3, 3}));
//   Tensor loss = ad::sum(ad::mul(w, w));
//   autograd::backward(loss);
//   Tensor g = autograd::grad_of(w);       // 2 * w
//   autograd::zero_grad(w);
//
// Differentiable ops live in namespace tch::ad (torch/autograd/functions/);
// the plain tch:: ops of torch/core never record.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "torch/autograd/node.h"
#include "torch/core/tensor.h"

namespace tch::autograd {

struct AutogradMeta final : AutogradMetaBase {
  bool requires_grad = false;
  bool retains_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;  // null for leaves
  uint32_t output_nr = 0;         // which output of grad_fn this tensor is
  std::weak_ptr<Node> grad_accumulator;  // leaves only
  std::vector<GradHook> leaf_hooks;      // leaves only
};

// The tensor's AutogradMeta, or nullptr when it has none.
AutogradMeta* GetMeta(const Tensor& t);

// True for leaves created with requires_grad and for results of recorded ops.
bool requires_grad(const Tensor& t);
// Sets requires_grad on a leaf and returns it. Throws ValueError for non-leaf
// tensors and for non-floating dtypes ("only floating point tensors can
// require gradients").
Tensor requires_grad_(const Tensor& t, bool requires_grad = true);
// True when the tensor was not produced by a recorded op.
bool is_leaf(const Tensor& t);
// The Node that produced the tensor, or nullptr for leaves.
std::shared_ptr<Node> grad_fn(const Tensor& t);

// Accumulated gradient (undefined until a backward reached the tensor).
Tensor grad_of(const Tensor& t);
// Replaces the gradient (undefined clears it). Throws ValueError when the
// shape differs from the tensor's.
void set_grad(const Tensor& t, const Tensor& grad);
// Clears the gradient (set_to_none, PyTorch 2's default) or, with
// set_to_none=false, zeroes it in place.
void zero_grad(const Tensor& t, bool set_to_none = true);

// Makes backward store the gradient of a non-leaf in grad_of(t).
void retain_grad(const Tensor& t);
// Registers `hook` on the gradient of `t`: it runs when that gradient has
// been computed, before it is used or accumulated; a returned tensor
// replaces the gradient and must have the same shape.
void register_hook(const Tensor& t, GradHook hook);

// The edge that gradients of `t` flow along (grad_fn or the leaf's
// AccumulateGrad); invalid when `t` does not require grad.
Edge GradientEdge(const Tensor& t);

// Computes gradients of `outputs` w.r.t. every leaf that requires grad and
// accumulates them into grad_of(leaf). `grad_outputs` may be empty when
// every output is a one-element tensor (gradient 1). Without retain_graph
// the graph's saved tensors are freed.
void backward(const TensorList& outputs, const TensorList& grad_outputs = {},
              bool retain_graph = false);
void backward(const Tensor& output, const Tensor& grad_output = Tensor(),
              bool retain_graph = false);

// Returns d(outputs)/d(inputs) (weighted by grad_outputs) without touching
// any `.grad`. An input the outputs do not depend on is an error unless
// allow_unused, which returns an undefined Tensor for it.
TensorList grad(const TensorList& outputs, const TensorList& inputs,
                const TensorList& grad_outputs = {}, bool retain_graph = false,
                bool allow_unused = false);

}  // namespace tch::autograd

namespace tch::ad {
// A tensor sharing `t`'s data with no autograd history and requires_grad off.
Tensor detach(const Tensor& t);
}  // namespace tch::ad
