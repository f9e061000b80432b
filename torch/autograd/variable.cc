#include "torch/autograd/variable.h"

#include "torch/autograd/engine.h"
#include "torch/autograd/grad_mode.h"
#include "torch/core/error.h"
#include "torch/core/ops.h"

namespace tch::autograd {

AutogradMeta* GetMeta(const Tensor& t) {
  if (!t.defined() || !t.impl()->autograd_meta) return nullptr;
  return static_cast<AutogradMeta*>(t.impl()->autograd_meta.get());
}

namespace {
AutogradMeta& MetaOrCreate(const Tensor& t) {
  TCH_CHECK(t.defined(), "autograd: the tensor is undefined");
  auto& slot = t.impl()->autograd_meta;
  if (!slot) slot = std::make_shared<AutogradMeta>();
  return static_cast<AutogradMeta&>(*slot);
}
}  // namespace

bool requires_grad(const Tensor& t) {
  const AutogradMeta* meta = GetMeta(t);
  return meta != nullptr && (meta->requires_grad || meta->grad_fn != nullptr);
}

Tensor requires_grad_(const Tensor& t, bool requires_grad) {
  TCH_CHECK(t.defined(), "requires_grad_: the tensor is undefined");
  AutogradMeta* existing = GetMeta(t);
  TCH_CHECK(existing == nullptr || existing->grad_fn == nullptr,
            "you can only change requires_grad flags of leaf variables; this "
            "tensor was produced by ",
            existing ? existing->grad_fn->name() : "",
            ". Use ad::detach(t) to get a leaf that shares its data.");
  if (requires_grad) {
    TCH_CHECK(IsFloatingPoint(t.dtype()),
              "only floating point tensors can require gradients; got dtype ",
              t.dtype());
  }
  if (!requires_grad && existing == nullptr) return t;
  MetaOrCreate(t).requires_grad = requires_grad;
  return t;
}

bool is_leaf(const Tensor& t) {
  const AutogradMeta* meta = GetMeta(t);
  return meta == nullptr || meta->grad_fn == nullptr;
}

std::shared_ptr<Node> grad_fn(const Tensor& t) {
  const AutogradMeta* meta = GetMeta(t);
  return meta ? meta->grad_fn : nullptr;
}

Tensor grad_of(const Tensor& t) {
  const AutogradMeta* meta = GetMeta(t);
  return meta ? meta->grad : Tensor();
}

void set_grad(const Tensor& t, const Tensor& grad) {
  if (!grad.defined()) {
    if (AutogradMeta* meta = GetMeta(t)) meta->grad = Tensor();
    return;
  }
  TCH_CHECK(grad.sizes() == t.sizes(), "set_grad: assigned grad has shape ",
            ShapeToString(grad.sizes()), " but the tensor has shape ",
            ShapeToString(t.sizes()));
  MetaOrCreate(t).grad = grad;
}

void zero_grad(const Tensor& t, bool set_to_none) {
  AutogradMeta* meta = GetMeta(t);
  if (meta == nullptr || !meta->grad.defined()) return;
  if (set_to_none) {
    meta->grad = Tensor();
  } else {
    meta->grad.zero_();
  }
}

namespace {
std::shared_ptr<Node> GradAccumulator(const Tensor& t, AutogradMeta& meta) {
  std::shared_ptr<Node> node = meta.grad_accumulator.lock();
  if (!node) {
    node = std::make_shared<AccumulateGrad>(t);
    meta.grad_accumulator = node;
  }
  return node;
}
}  // namespace

Edge GradientEdge(const Tensor& t) {
  AutogradMeta* meta = GetMeta(t);
  if (meta == nullptr) return {};
  if (meta->grad_fn) return {meta->grad_fn, meta->output_nr};
  if (!meta->requires_grad) return {};
  return {GradAccumulator(t, *meta), 0};
}

void retain_grad(const Tensor& t) {
  TCH_CHECK(requires_grad(t),
            "can't retain_grad on a tensor that has requires_grad=false");
  AutogradMeta* meta = GetMeta(t);
  if (meta->grad_fn == nullptr || meta->retains_grad) return;  // leaves do
  meta->retains_grad = true;
  // The hook holds the meta weakly: the graph must not keep the tensor alive.
  std::weak_ptr<AutogradMetaBase> weak = t.impl()->autograd_meta;
  meta->grad_fn->pre_hooks()[meta->output_nr].push_back(
      [weak](const Tensor& g) -> Tensor {
        if (auto base = weak.lock()) {
          auto& m = static_cast<AutogradMeta&>(*base);
          m.grad = m.grad.defined() ? tch::add(m.grad, g) : g.clone();
        }
        return Tensor();
      });
}

void register_hook(const Tensor& t, GradHook hook) {
  TCH_CHECK(requires_grad(t),
            "cannot register a hook on a tensor that doesn't require gradient");
  AutogradMeta* meta = GetMeta(t);
  if (meta->grad_fn) {
    meta->grad_fn->pre_hooks()[meta->output_nr].push_back(std::move(hook));
  } else {
    meta->leaf_hooks.push_back(std::move(hook));
  }
}

AccumulateGrad::AccumulateGrad(Tensor leaf)
    : Node("AccumulateGrad"), leaf_(std::move(leaf)) {
  output_geometry().push_back(TensorGeometry::Of(leaf_));
}

TensorList AccumulateGrad::Apply(const TensorList& grad_outputs) {
  Tensor g = grad_outputs.at(0);
  AutogradMeta& meta = *GetMeta(leaf_);
  for (const GradHook& hook : meta.leaf_hooks) {
    Tensor replaced = hook(g);
    if (replaced.defined()) {
      TCH_CHECK(replaced.sizes() == g.sizes(),
                "hook returned a gradient of shape ",
                ShapeToString(replaced.sizes()), " for a leaf of shape ",
                ShapeToString(g.sizes()), "; a hook must keep the shape");
      g = replaced;
    }
  }
  if (!meta.grad.defined()) {
    // The engine's buffers are not shared with anyone after this point, but a
    // hook or the caller may still hold `g`: own a private copy.
    meta.grad = g.clone();
  } else {
    meta.grad.add_(g);
  }
  return {};
}

void backward(const Tensor& output, const Tensor& grad_output,
              bool retain_graph) {
  backward(TensorList{output},
           grad_output.defined() ? TensorList{grad_output} : TensorList{},
           retain_graph);
}

void backward(const TensorList& outputs, const TensorList& grad_outputs,
              bool retain_graph) {
  RunBackward(outputs, grad_outputs, retain_graph, /*inputs=*/{},
              /*allow_unused=*/false);
}

TensorList grad(const TensorList& outputs, const TensorList& inputs,
                const TensorList& grad_outputs, bool retain_graph,
                bool allow_unused) {
  TCH_CHECK(!inputs.empty(), "grad: requires at least one input");
  return RunBackward(outputs, grad_outputs, retain_graph, inputs, allow_unused);
}

}  // namespace tch::autograd

namespace tch::ad {
Tensor detach(const Tensor& t) {
  return Tensor::FromStorage(t.storage(), t.sizes(), t.strides(),
                             t.storage_offset(), t.dtype());
}
}  // namespace tch::ad
