#include "torch/autograd/engine.h"

#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "torch/autograd/grad_mode.h"
#include "torch/autograd/variable.h"
#include "torch/core/error.h"
#include "torch/core/ops.h"

namespace tch::autograd {
namespace {

struct LaterFirst {
  bool operator()(const Node* a, const Node* b) const {
    return a->sequence_nr() < b->sequence_nr();
  }
};

// Adds `grad` into slot `slot` of `buffer` (which grows as needed).
void Accumulate(TensorList& buffer, size_t slot, const Tensor& grad) {
  if (buffer.size() <= slot) buffer.resize(slot + 1);
  Tensor& existing = buffer[slot];
  existing = existing.defined() ? tch::add(existing, grad) : grad;
}

Tensor ZerosLike(const TensorGeometry& geometry) {
  return tch::zeros(geometry.sizes, geometry.dtype, geometry.device);
}

// Restores "no node running" on every exit path of a node's Apply.
struct CurrentNodeScope {
  explicit CurrentNodeScope(const Node* node) {
    internal::SetCurrentBackwardNode(node);
  }
  ~CurrentNodeScope() { internal::SetCurrentBackwardNode(nullptr); }
};

}  // namespace

TensorList RunBackward(const TensorList& outputs,
                       const TensorList& grad_outputs, bool retain_graph,
                       const TensorList& inputs, bool allow_unused) {
  TCH_CHECK(!outputs.empty(), "backward: no tensors to differentiate");
  TCH_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(),
            "backward: got ", grad_outputs.size(), " gradients for ",
            outputs.size(), " tensors");
  // Backward formulas run plain ops; recording them would only waste time.
  NoGradGuard no_grad;

  std::unordered_map<Node*, TensorList> buffers;
  std::vector<Node*> roots;
  std::vector<std::shared_ptr<Node>> keep_alive;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    TCH_CHECK(out.defined(), "backward: tensor ", i, " is undefined");
    Edge edge = GradientEdge(out);
    TCH_CHECK(edge.valid(), "element ", i,
              " of tensors does not require grad and does not have a "
              "grad_fn (was it computed with plain tch:: ops instead of "
              "tch::ad::, or under NoGradGuard?)");
    Tensor g;
    if (grad_outputs.empty() || !grad_outputs[i].defined()) {
      TCH_CHECK(out.numel() == 1,
                "grad can be implicitly created only for one-element "
                "outputs; tensor ",
                i, " has shape ", ShapeToString(out.sizes()),
                ": pass a gradient of that shape");
      g = tch::ones(out.sizes(), out.dtype(), out.device());
    } else {
      g = grad_outputs[i];
      TCH_CHECK(g.sizes() == out.sizes(), "backward: gradient ", i,
                " has shape ", ShapeToString(g.sizes()),
                " but the tensor has shape ", ShapeToString(out.sizes()));
      if (g.dtype() != out.dtype()) g = g.to(out.dtype());
    }
    Accumulate(buffers[edge.node.get()], edge.input_nr, g);
    roots.push_back(edge.node.get());
    keep_alive.push_back(edge.node);
  }

  // Dependency counts over everything reachable from the roots.
  std::unordered_map<Node*, int> dependencies;
  std::unordered_map<Node*, std::vector<Node*>> parents;  // for pruning
  {
    std::unordered_set<Node*> seen(roots.begin(), roots.end());
    std::vector<Node*> stack(seen.begin(), seen.end());
    while (!stack.empty()) {
      Node* node = stack.back();
      stack.pop_back();
      for (const Edge& edge : node->next_edges()) {
        if (!edge.valid()) continue;
        Node* next = edge.node.get();
        ++dependencies[next];
        parents[next].push_back(node);
        if (seen.insert(next).second) stack.push_back(next);
      }
    }
  }

  // autograd::grad: where to capture, and which nodes lead there.
  const bool capture_mode = !inputs.empty();
  std::unordered_map<Node*, std::vector<std::pair<uint32_t, size_t>>> captures;
  std::unordered_set<Node*> needed;
  TensorList captured(inputs.size());
  if (capture_mode) {
    std::vector<Node*> stack;
    for (size_t i = 0; i < inputs.size(); ++i) {
      Edge edge = GradientEdge(inputs[i]);
      TCH_CHECK(edge.valid(), "grad: input ", i,
                " does not require grad (differentiated tensors must)");
      keep_alive.push_back(edge.node);
      captures[edge.node.get()].push_back({edge.input_nr, i});
      if (needed.insert(edge.node.get()).second)
        stack.push_back(edge.node.get());
    }
    while (!stack.empty()) {
      Node* node = stack.back();
      stack.pop_back();
      for (Node* parent : parents[node]) {
        if (needed.insert(parent).second) stack.push_back(parent);
      }
    }
  }

  std::priority_queue<Node*, std::vector<Node*>, LaterFirst> ready;
  {
    std::unordered_set<Node*> queued;
    for (Node* root : roots) {
      if (dependencies[root] == 0 && queued.insert(root).second) {
        ready.push(root);
      }
    }
  }

  while (!ready.empty()) {
    Node* node = ready.top();
    ready.pop();
    TensorList grads = std::move(buffers[node]);
    buffers.erase(node);
    const auto& geometry = node->output_geometry();
    grads.resize(std::max(grads.size(), geometry.size()));
    for (size_t slot = 0; slot < grads.size(); ++slot) {
      if (!grads[slot].defined() && slot < geometry.size()) {
        grads[slot] = ZerosLike(geometry[slot]);
      }
      auto hooks = node->pre_hooks().find(static_cast<uint32_t>(slot));
      if (hooks == node->pre_hooks().end()) continue;
      for (const GradHook& hook : hooks->second) {
        Tensor replaced = hook(grads[slot]);
        if (!replaced.defined()) continue;
        TCH_CHECK(replaced.sizes() == grads[slot].sizes(), "hook on output ",
                  slot, " of ", node->name(), " returned a gradient of shape ",
                  ShapeToString(replaced.sizes()), "; expected shape ",
                  ShapeToString(grads[slot].sizes()));
        grads[slot] = replaced;
      }
    }
    if (capture_mode) {
      auto it = captures.find(node);
      if (it != captures.end()) {
        for (auto [slot, index] : it->second) captured[index] = grads.at(slot);
      }
      // grad() leaves `.grad` alone and skips work that reaches no input.
      if (dynamic_cast<AccumulateGrad*>(node) != nullptr ||
          needed.count(node) == 0) {
        continue;
      }
    }

    TensorList input_grads;
    {
      CurrentNodeScope scope(node);
      input_grads = node->Apply(grads);
    }
    if (!retain_graph) node->Release();

    auto& edges = node->next_edges();
    TCH_INTERNAL_ASSERT(input_grads.size() == edges.size() ||
                            (edges.empty() && input_grads.empty()),
                        node->name(), " returned ", input_grads.size(),
                        " gradients for ", edges.size(), " inputs");
    const auto& input_geometry = node->input_geometry();
    for (size_t i = 0; i < edges.size(); ++i) {
      const Edge& edge = edges[i];
      if (!edge.valid()) continue;
      Tensor g = input_grads[i];
      if (g.defined() && i < input_geometry.size()) {
        const TensorGeometry& want = input_geometry[i];
        TCH_CHECK(g.sizes() == want.sizes, "Function ", node->name(),
                  " returned an invalid gradient at index ", i, " - got ",
                  ShapeToString(g.sizes()), " but expected shape ",
                  ShapeToString(want.sizes));
        if (g.dtype() != want.dtype) g = g.to(want.dtype);
      }
      Node* next = edge.node.get();
      if (g.defined()) Accumulate(buffers[next], edge.input_nr, g);
      if (--dependencies[next] == 0) ready.push(next);
    }
  }

  if (!capture_mode) return {};
  for (size_t i = 0; i < inputs.size(); ++i) {
    TCH_CHECK(captured[i].defined() || allow_unused, "grad: input ", i,
              " appears to not have been used in the graph; pass "
              "allow_unused=true if this is the desired behavior");
  }
  return captured;
}

}  // namespace tch::autograd
