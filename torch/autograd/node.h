// File: torch/autograd/node.h
//
// The recorded graph. Each differentiable op run with grad mode on creates a
// Node holding what its backward needs; a Node's `next_edges` point, one per
// forward input, to the Node that produced that input (or to the input's
// AccumulateGrad node when it is a leaf that requires grad). Tensors own the
// Node that made them (AutogradMeta::grad_fn); Nodes own their next Nodes;
// nothing points back, so the graph is freed with the last tensor using it.
//
// Naming: a Node's "grad outputs" are the gradients w.r.t. the forward op's
// outputs (what flows in during backward); it returns one gradient per
// forward input (what flows out, along next_edges).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "torch/core/tensor.h"

namespace tch::autograd {

using TensorList = std::vector<Tensor>;
class Node;

// Where a gradient goes: input slot `input_nr` of `node`. An invalid edge
// (null node) means the forward input needs no gradient.
struct Edge {
  std::shared_ptr<Node> node;
  uint32_t input_nr = 0;
  bool valid() const { return node != nullptr; }
};

// Shape, dtype and device of a tensor, kept so gradients can be checked and
// zeros made without keeping the tensor alive.
struct TensorGeometry {
  Shape sizes;
  DType dtype = DType::kFloat32;
  Device device = kCpu;
  static TensorGeometry Of(const Tensor& t) {
    return {t.sizes(), t.dtype(), t.device()};
  }
};

// A hook sees a gradient before it is used; it returns a replacement or an
// undefined Tensor to keep the gradient as it is.
using GradHook = std::function<Tensor(const Tensor&)>;

class Node {
 public:
  explicit Node(std::string name);
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // E.g. "MulBackward"; used in error messages.
  const std::string& name() const { return name_; }
  // Creation order; the engine runs later nodes first.
  uint64_t sequence_nr() const { return sequence_nr_; }

  // One gradient per forward input (undefined where not needed), given one
  // gradient per forward output (never undefined: the engine fills zeros).
  virtual TensorList Apply(const TensorList& grad_outputs) = 0;
  // Frees saved tensors after a backward without retain_graph; a later Apply
  // must throw the "backward through the graph a second time" error.
  virtual void Release() {}

  std::vector<Edge>& next_edges() { return next_edges_; }
  const std::vector<Edge>& next_edges() const { return next_edges_; }
  // Geometry of each forward output (what the incoming gradients must match).
  std::vector<TensorGeometry>& output_geometry() { return output_geometry_; }
  // Geometry of each forward input (what the outgoing gradients must match).
  std::vector<TensorGeometry>& input_geometry() { return input_geometry_; }
  // Hooks run on the gradient of forward output `output_nr` before Apply.
  std::map<uint32_t, std::vector<GradHook>>& pre_hooks() { return pre_hooks_; }

  bool needs_input_grad(size_t i) const {
    return i < next_edges_.size() && next_edges_[i].valid();
  }

 private:
  std::string name_;
  uint64_t sequence_nr_;
  std::vector<Edge> next_edges_;
  std::vector<TensorGeometry> output_geometry_;
  std::vector<TensorGeometry> input_geometry_;
  std::map<uint32_t, std::vector<GradHook>> pre_hooks_;
};

// A tensor kept for backward. Holds an alias without autograd metadata (no
// reference cycle when an op saves its own output) and the storage version
// seen at save time: reading it after an in-place write raises the error
// PyTorch raises, naming the op whose backward needed it.
class SavedTensor {
 public:
  SavedTensor() = default;
  explicit SavedTensor(const Tensor& t);
  // The saved tensor; throws ValueError when it was modified in place since.
  const Tensor& get() const;
  bool defined() const { return data_.defined(); }

 private:
  Tensor data_;
  uint32_t saved_version_ = 0;
};

// The node a formula's lambda becomes: calls `formula(grad_outputs, needs)`,
// where needs[i] tells whether forward input i wants a gradient.
using Formula = std::function<TensorList(const TensorList& grad_outputs,
                                         const std::vector<bool>& needs)>;

class FormulaNode final : public Node {
 public:
  FormulaNode(std::string name, Formula formula)
      : Node(std::move(name)), formula_(std::move(formula)) {}
  TensorList Apply(const TensorList& grad_outputs) override;
  void Release() override { formula_ = nullptr; }

 private:
  Formula formula_;
};

// Sink of a leaf that requires grad: adds the incoming gradient to the leaf's
// `.grad` (after the leaf's hooks). Holds the leaf; the leaf holds it weakly.
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(Tensor leaf);
  TensorList Apply(const TensorList& grad_outputs) override;
  const Tensor& leaf() const { return leaf_; }

 private:
  Tensor leaf_;
};

// The name of the node whose backward is running on this thread (for error
// messages), or "" outside backward.
const std::string& CurrentBackwardNodeName();

namespace internal {
void SetCurrentBackwardNode(const Node* node);
}  // namespace internal

}  // namespace tch::autograd
