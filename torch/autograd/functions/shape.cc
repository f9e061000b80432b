// Derivatives of views and copies.
#include "torch/autograd/functions/shape.h"

#include <functional>

#include "torch/autograd/function.h"
#include "torch/core/ops.h"

namespace tch::ad {
namespace {
using autograd::Record;
using autograd::ShouldRecord;
using autograd::SumToShape;
using autograd::TensorList;
using Needs = std::vector<bool>;

// Records a view-like op whose gradient is the incoming one reshaped back.
Tensor RecordReshapeBack(const char* name, const Tensor& x, Tensor out) {
  if (!ShouldRecord({x})) return out;
  return Record(
      name, {x}, out,
      [sizes = x.sizes()](const TensorList& g, const Needs&) -> TensorList {
        return {g[0].reshape(sizes)};
      });
}

// Records an op that picks a sub-view of x: the gradient is zeros of x's
// shape with the incoming gradient written through the same sub-view.
Tensor RecordScatterBack(const char* name, const Tensor& x, Tensor out,
                         std::function<Tensor(const Tensor&)> same_view) {
  if (!ShouldRecord({x})) return out;
  return Record(name, {x}, out,
                [sizes = x.sizes(), dtype = x.dtype(), device = x.device(),
                 same_view = std::move(same_view)](const TensorList& g,
                                                   const Needs&) -> TensorList {
                  Tensor grad = tch::zeros(sizes, dtype, device);
                  same_view(grad).copy_(g[0]);
                  return {grad};
                });
}
}  // namespace

Tensor view(const Tensor& x, IntList sizes) {
  return RecordReshapeBack("ViewBackward", x, x.view(sizes));
}
Tensor reshape(const Tensor& x, IntList sizes) {
  return RecordReshapeBack("ReshapeBackward", x, x.reshape(sizes));
}
Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  return RecordReshapeBack("FlattenBackward", x, x.flatten(start_dim, end_dim));
}
Tensor unflatten(const Tensor& x, int64_t dim, IntList sizes) {
  return RecordReshapeBack("UnflattenBackward", x, x.unflatten(dim, sizes));
}
Tensor squeeze(const Tensor& x) {
  return RecordReshapeBack("SqueezeBackward", x, x.squeeze());
}
Tensor squeeze(const Tensor& x, int64_t dim) {
  return RecordReshapeBack("SqueezeBackward", x, x.squeeze(dim));
}
Tensor unsqueeze(const Tensor& x, int64_t dim) {
  return RecordReshapeBack("UnsqueezeBackward", x, x.unsqueeze(dim));
}

Tensor permute(const Tensor& x, IntList dims) {
  Tensor out = x.permute(dims);
  if (!ShouldRecord({x})) return out;
  Shape inverse(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    inverse[static_cast<size_t>(WrapDim(dims[i], x.dim()))] =
        static_cast<int64_t>(i);
  }
  return Record("PermuteBackward", {x}, out,
                [inverse](const TensorList& g, const Needs&) -> TensorList {
                  return {g[0].permute(inverse)};
                });
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  Tensor out = x.transpose(dim0, dim1);
  if (!ShouldRecord({x})) return out;
  return Record("TransposeBackward", {x}, out,
                [dim0, dim1](const TensorList& g, const Needs&) -> TensorList {
                  return {g[0].transpose(dim0, dim1)};
                });
}

Tensor t(const Tensor& x) {
  Tensor out = x.t();
  if (!ShouldRecord({x})) return out;
  return Record("TBackward", {x}, out,
                [](const TensorList& g, const Needs&) -> TensorList {
                  return {g[0].t()};
                });
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end,
             int64_t step) {
  return RecordScatterBack(
      "SliceBackward", x, x.slice(dim, start, end, step),
      [=](const Tensor& grad) { return grad.slice(dim, start, end, step); });
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  return RecordScatterBack(
      "NarrowBackward", x, x.narrow(dim, start, length),
      [=](const Tensor& grad) { return grad.narrow(dim, start, length); });
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  return RecordScatterBack(
      "SelectBackward", x, x.select(dim, index),
      [=](const Tensor& grad) { return grad.select(dim, index); });
}

Tensor diagonal(const Tensor& x, int64_t offset, int64_t dim1, int64_t dim2) {
  return RecordScatterBack(
      "DiagonalBackward", x, x.diagonal(offset, dim1, dim2),
      [=](const Tensor& grad) { return grad.diagonal(offset, dim1, dim2); });
}

Tensor expand(const Tensor& x, IntList sizes) {
  Tensor out = x.expand(sizes);
  if (!ShouldRecord({x})) return out;
  return Record(
      "ExpandBackward", {x}, out,
      [shape = x.sizes()](const TensorList& g, const Needs&) -> TensorList {
        return {SumToShape(g[0], shape)};
      });
}

Tensor contiguous(const Tensor& x) {
  Tensor out = x.contiguous();
  if (!ShouldRecord({x})) return out;
  return Record(
      "ContiguousBackward", {x}, out,
      [](const TensorList& g, const Needs&) -> TensorList { return {g[0]}; });
}

Tensor clone(const Tensor& x) {
  Tensor out = x.clone();
  if (!ShouldRecord({x})) return out;
  return Record(
      "CloneBackward", {x}, out,
      [](const TensorList& g, const Needs&) -> TensorList { return {g[0]}; });
}

Tensor to(const Tensor& x, DType dtype) {
  Tensor out = x.to(dtype);
  if (!ShouldRecord({x})) return out;
  TCH_CHECK(IsFloatingPoint(dtype),
            "ad::to: converting a tensor that "
            "requires grad to ",
            dtype, " would drop its gradient; detach it first");
  return Record(
      "ToCopyBackward", {x}, out,
      [from = x.dtype()](const TensorList& g, const Needs&) -> TensorList {
        return {g[0].to(from)};
      });
}

}  // namespace tch::ad
