#include "torch/autograd/node.h"

#include <atomic>

#include "torch/core/error.h"

namespace tch::autograd {
namespace {
std::atomic<uint64_t> next_sequence_nr{0};
thread_local const Node* current_backward_node = nullptr;
}  // namespace

Node::Node(std::string name)
    : name_(std::move(name)), sequence_nr_(next_sequence_nr.fetch_add(1)) {}

const std::string& CurrentBackwardNodeName() {
  static const std::string kNone;
  return current_backward_node ? current_backward_node->name() : kNone;
}

void internal::SetCurrentBackwardNode(const Node* node) {
  current_backward_node = node;
}

SavedTensor::SavedTensor(const Tensor& t) {
  if (!t.defined()) return;
  // A fresh TensorImpl over the same storage and geometry, without meta.
  data_ = Tensor::FromStorage(t.storage(), t.sizes(), t.strides(),
                              t.storage_offset(), t.dtype());
  saved_version_ = t.storage().version();
}

const Tensor& SavedTensor::get() const {
  if (data_.defined()) {
    const uint32_t now = data_.storage().version();
    TCH_CHECK(now == saved_version_,
              "one of the variables needed for gradient computation has been "
              "modified by an inplace operation: [",
              data_.dtype(), " ", ShapeToString(data_.sizes()),
              "], which is output 0 of ", CurrentBackwardNodeName(),
              "'s inputs, is at version ", now, "; expected version ",
              saved_version_,
              " instead. Hint: do not modify, in place, a tensor that a "
              "later backward needs (or clone it first).");
  }
  return data_;
}

TensorList FormulaNode::Apply(const TensorList& grad_outputs) {
  TCH_CHECK(formula_ != nullptr,
            "Trying to backward through the graph a second time (or directly "
            "access saved tensors after they have already been freed), at ",
            name(),
            ". Saved intermediate values of the graph are freed when you call "
            "backward(); specify retain_graph=true if you need to backward "
            "through the graph a second time.");
  std::vector<bool> needs(next_edges().size());
  for (size_t i = 0; i < needs.size(); ++i) needs[i] = needs_input_grad(i);
  return formula_(grad_outputs, needs);
}

}  // namespace tch::autograd
