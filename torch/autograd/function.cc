#include "torch/autograd/function.h"

#include "torch/core/error.h"
#include "torch/core/reduce_ops.h"

namespace tch::autograd {

bool ShouldRecord(std::initializer_list<Tensor> inputs) {
  if (!GradMode::IsEnabled()) return false;
  for (const Tensor& t : inputs) {
    if (t.defined() && requires_grad(t)) return true;
  }
  return false;
}

bool ShouldRecord(const TensorList& inputs) {
  if (!GradMode::IsEnabled()) return false;
  for (const Tensor& t : inputs) {
    if (t.defined() && requires_grad(t)) return true;
  }
  return false;
}

TensorList Record(const char* name, const TensorList& inputs,
                  TensorList outputs, Formula formula) {
  auto node = std::make_shared<FormulaNode>(name, std::move(formula));
  node->next_edges().reserve(inputs.size());
  for (const Tensor& input : inputs) {
    node->next_edges().push_back(input.defined() ? GradientEdge(input)
                                                 : Edge{});
    node->input_geometry().push_back(input.defined() ? TensorGeometry::Of(input)
                                                     : TensorGeometry{});
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    Tensor& out = outputs[i];
    TCH_INTERNAL_ASSERT(out.defined(), name, ": output ", i, " is undefined");
    bool aliases_input = out.impl()->autograd_meta != nullptr;
    for (const Tensor& input : inputs) {
      aliases_input = aliases_input || out.SameImpl(input);
    }
    if (aliases_input) {
      out = Tensor::FromStorage(out.storage(), out.sizes(), out.strides(),
                                out.storage_offset(), out.dtype());
    }
    auto meta = std::make_shared<AutogradMeta>();
    meta->grad_fn = node;
    meta->output_nr = static_cast<uint32_t>(i);
    out.impl()->autograd_meta = std::move(meta);
    node->output_geometry().push_back(TensorGeometry::Of(out));
  }
  return outputs;
}

Tensor Record(const char* name, const TensorList& inputs, Tensor output,
              Formula formula) {
  return Record(name, inputs, TensorList{std::move(output)},
                std::move(formula))[0];
}

Tensor SumToShape(const Tensor& grad, IntList shape) {
  if (IntList(grad.sizes()).size() == shape.size() &&
      std::equal(shape.begin(), shape.end(), grad.sizes().begin())) {
    return grad;
  }
  const int64_t lead = grad.dim() - static_cast<int64_t>(shape.size());
  TCH_INTERNAL_ASSERT(lead >= 0, "SumToShape: gradient of shape ",
                      ShapeToString(grad.sizes()), " cannot sum to ",
                      ShapeToString(shape));
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < lead; ++d) dims.push_back(d);
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1 && grad.size(lead + static_cast<int64_t>(d)) != 1) {
      dims.push_back(lead + static_cast<int64_t>(d));
    }
  }
  Tensor summed = dims.empty() ? grad : tch::sum(grad, dims, /*keepdim=*/true);
  if (lead > 0) summed = summed.reshape(shape);
  return summed;
}

}  // namespace tch::autograd
