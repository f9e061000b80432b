// Derivatives of indexing and shape/copying ops.
#include "torch/autograd/functions/index.h"

#include <functional>

#include "torch/autograd/function.h"
#include "torch/core/elementwise.h"
#include "torch/core/index_ops.h"
#include "torch/core/ops.h"
#include "torch/core/reduce_ops.h"

namespace tch::ad {
namespace {
using autograd::Record;
using autograd::SavedTensor;
using autograd::ShouldRecord;
using autograd::SumToShape;
using autograd::TensorList;
using Needs = std::vector<bool>;

bool IsOne(const Scalar& s) { return s.to<double>() == 1.0; }

// `t` (whose sizes are <= shape's) placed at the start of zeros of `shape`:
// the gradient of a scatter src that `index` covers only in part.
Tensor ZeroPadTo(const Tensor& t, const Shape& shape) {
  if (t.sizes() == shape) return t;
  std::vector<int64_t> pads;
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    pads.push_back(0);
    pads.push_back(shape[static_cast<size_t>(d)] - t.size(d));
  }
  return tch::pad(t, pads, 0);
}

std::vector<int64_t> Negated(IntList v) {
  std::vector<int64_t> out;
  out.reserve(v.size());
  for (int64_t x : v) out.push_back(-x);
  return out;
}

// Gradient of ops that pick one element per output (topk, sort): zeros of
// self's shape with g written at `indices` along `dim` (no duplicates).
Tensor ScatterIntoZeros(const Tensor& g, const Shape& self_sizes, int64_t dim,
                        const Tensor& indices) {
  if (self_sizes.empty())
    return g.numel() == 1 ? g.reshape({})
                          : tch::zeros({}, g.dtype(), g.device());
  Tensor grad = tch::zeros(self_sizes, g.dtype(), g.device());
  tch::scatter_(grad, dim, indices, g);
  return grad;
}

// Records the values of topk/sort.
std::pair<Tensor, Tensor> RecordValues(const char* name, const Tensor& self,
                                       int64_t dim,
                                       std::pair<Tensor, Tensor> result) {
  if (!ShouldRecord({self})) return result;
  const int64_t wrapped = self.dim() == 0 ? 0 : WrapDim(dim, self.dim());
  result.first = Record(
      name, {self}, result.first,
      [sizes = self.sizes(), wrapped, indices = SavedTensor(result.second)](
          const TensorList& g, const Needs&) -> TensorList {
        return {ScatterIntoZeros(g[0], sizes, wrapped, indices.get())};
      });
  return result;
}

// Records split/chunk: one node whose outputs are the pieces.
std::vector<Tensor> RecordPieces(const char* name, const Tensor& self,
                                 int64_t dim, std::vector<Tensor> pieces) {
  if (pieces.empty() || !ShouldRecord({self})) return pieces;
  const int64_t wrapped = WrapDim(dim, self.dim());
  return Record(name, {self}, std::move(pieces),
                [wrapped](const TensorList& g, const Needs&) -> TensorList {
                  return {tch::cat(g, wrapped)};
                });
}

// Records an op whose gradient is `backward_op` applied to the incoming one.
Tensor RecordSameOp(const char* name, const Tensor& self, Tensor out,
                    std::function<Tensor(const Tensor&)> backward_op) {
  if (!ShouldRecord({self})) return out;
  return Record(name, {self}, out,
                [backward_op = std::move(backward_op)](
                    const TensorList& g, const Needs&) -> TensorList {
                  return {backward_op(g[0])};
                });
}
}  // namespace

// --- Indexing ----------------------------------------------------------------

Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index) {
  Tensor out = tch::index_select(self, dim, index);
  if (!ShouldRecord({self})) return out;
  return Record("IndexSelectBackward", {self}, out,
                [sizes = self.sizes(), dim, index = SavedTensor(index)](
                    const TensorList& g, const Needs&) -> TensorList {
                  if (sizes.empty())
                    return {g[0]};  // 0-D self: the index was 0
                  Tensor grad = tch::zeros(sizes, g[0].dtype(), g[0].device());
                  tch::index_add_(grad, dim, index.get(), g[0]);
                  return {grad};
                });
}

Tensor gather(const Tensor& self, int64_t dim, const Tensor& index) {
  Tensor out = tch::gather(self, dim, index);
  if (!ShouldRecord({self})) return out;
  return Record("GatherBackward", {self}, out,
                [sizes = self.sizes(), dim, index = SavedTensor(index)](
                    const TensorList& g, const Needs&) -> TensorList {
                  Tensor grad = tch::zeros(sizes, g[0].dtype(), g[0].device());
                  tch::scatter_add_(grad, dim, index.get(), g[0]);
                  return {grad};
                });
}

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index,
               const Tensor& src) {
  Tensor out = tch::scatter(self, dim, index, src);
  if (!ShouldRecord({self, src})) return out;
  return Record("ScatterBackward", {self, src}, out,
                [dim, index = SavedTensor(index), src_sizes = src.sizes()](
                    const TensorList& g, const Needs& needs) -> TensorList {
                  Tensor gs, gsrc;
                  if (needs[0]) gs = tch::scatter(g[0], dim, index.get(), 0);
                  if (needs[1]) {
                    gsrc = ZeroPadTo(tch::gather(g[0], dim, index.get()),
                                     src_sizes);
                  }
                  return {gs, gsrc};
                });
}

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index,
               const Scalar& value) {
  Tensor out = tch::scatter(self, dim, index, value);
  if (!ShouldRecord({self})) return out;
  return Record("ScatterBackward", {self}, out,
                [dim, index = SavedTensor(index)](const TensorList& g,
                                                  const Needs&) -> TensorList {
                  return {tch::scatter(g[0], dim, index.get(), 0)};
                });
}

Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index,
                   const Tensor& src) {
  Tensor out = tch::scatter_add(self, dim, index, src);
  if (!ShouldRecord({self, src})) return out;
  return Record("ScatterAddBackward", {self, src}, out,
                [dim, index = SavedTensor(index), src_sizes = src.sizes()](
                    const TensorList& g, const Needs& needs) -> TensorList {
                  Tensor gsrc;
                  if (needs[1]) {
                    gsrc = ZeroPadTo(tch::gather(g[0], dim, index.get()),
                                     src_sizes);
                  }
                  return {needs[0] ? g[0] : Tensor(), gsrc};
                });
}

Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index,
                 const Tensor& source, const Scalar& alpha) {
  Tensor out = tch::index_add(self, dim, index, source, alpha);
  if (!ShouldRecord({self, source})) return out;
  return Record(
      "IndexAddBackward", {self, source}, out,
      [dim, index = SavedTensor(index), source_sizes = source.sizes(), alpha](
          const TensorList& g, const Needs& needs) -> TensorList {
        Tensor gsrc;
        if (needs[1]) {
          gsrc =
              tch::index_select(g[0], dim, index.get()).reshape(source_sizes);
          if (!IsOne(alpha)) gsrc = tch::mul(gsrc, alpha);
        }
        return {needs[0] ? g[0] : Tensor(), gsrc};
      });
}

Tensor masked_fill(const Tensor& self, const Tensor& mask,
                   const Scalar& value) {
  Tensor out = tch::masked_fill(self, mask, value);
  if (!ShouldRecord({self})) return out;
  return Record(
      "MaskedFillBackward", {self}, out,
      [mask = SavedTensor(mask), sizes = self.sizes()](
          const TensorList& g, const Needs&) -> TensorList {
        return {SumToShape(tch::masked_fill(g[0], mask.get(), 0), sizes)};
      });
}

Tensor masked_fill(const Tensor& self, const Tensor& mask,
                   const Tensor& value) {
  Tensor out = tch::masked_fill(self, mask, value);
  if (!ShouldRecord({self, value})) return out;
  return Record("MaskedFillBackward", {self, value}, out,
                [mask = SavedTensor(mask), sizes = self.sizes()](
                    const TensorList& g, const Needs& needs) -> TensorList {
                  Tensor gs, gv;
                  if (needs[0]) {
                    gs = SumToShape(tch::masked_fill(g[0], mask.get(), 0),
                                    sizes);
                  }
                  // Selecting (not multiplying by the mask) keeps NaN/Inf
                  // gradients of filled-over positions out of the value's
                  // gradient.
                  if (needs[1])
                    gv = tch::sum(tch::masked_select(g[0], mask.get()));
                  return {gs, gv};
                });
}

Tensor masked_select(const Tensor& self, const Tensor& mask) {
  Tensor out = tch::masked_select(self, mask);
  if (!ShouldRecord({self})) return out;
  return Record(
      "MaskedSelectBackward", {self}, out,
      [mask = SavedTensor(mask), sizes = self.sizes()](
          const TensorList& g, const Needs&) -> TensorList {
        const Tensor& m = mask.get();
        const Shape shape =
            BroadcastShapes("masked_select", {sizes, m.sizes()});
        const int64_t numel = NumElements(shape);
        // Flat positions of the selected elements, in the forward's
        // order.
        Tensor positions = tch::masked_select(
            tch::arange(numel, DType::kInt64, m.device()).view(shape), m);
        Tensor grad = tch::zeros({numel}, g[0].dtype(), g[0].device());
        tch::scatter_(grad, 0, positions, g[0]);
        return {SumToShape(grad.view(shape), sizes)};
      });
}

// --- Shape and copying -------------------------------------------------------

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  Tensor out = tch::cat(tensors, dim);
  if (!ShouldRecord(tensors)) return out;
  // The legacy rule of core cat: 1-D tensors of size 0 are skipped and the
  // dim wraps against the first tensor that is not.
  auto skipped = [](const Tensor& t) { return t.dim() == 1 && t.size(0) == 0; };
  std::vector<int64_t> lengths;  // -1: skipped
  int64_t wrapped = -1;
  for (const Tensor& t : tensors) {
    if (skipped(t)) {
      lengths.push_back(-1);
      continue;
    }
    if (wrapped < 0) wrapped = WrapDim(dim, t.dim());
    lengths.push_back(t.size(wrapped));
  }
  return Record("CatBackward", tensors, out,
                [lengths, wrapped](const TensorList& g,
                                   const Needs& needs) -> TensorList {
                  TensorList grads(lengths.size());
                  int64_t offset = 0;
                  for (size_t i = 0; i < lengths.size(); ++i) {
                    if (lengths[i] < 0) {
                      if (needs[i]) {
                        grads[i] = tch::zeros({0}, g[0].dtype(), g[0].device());
                      }
                      continue;
                    }
                    if (needs[i])
                      grads[i] = g[0].narrow(wrapped, offset, lengths[i]);
                    offset += lengths[i];
                  }
                  return grads;
                });
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  Tensor out = tch::stack(tensors, dim);
  if (!ShouldRecord(tensors)) return out;
  const int64_t wrapped = WrapDim(dim, tensors[0].dim() + 1);
  return Record(
      "StackBackward", tensors, out,
      [wrapped](const TensorList& g, const Needs& needs) -> TensorList {
        TensorList grads(needs.size());
        for (size_t i = 0; i < needs.size(); ++i) {
          if (needs[i]) {
            grads[i] = g[0].select(wrapped, static_cast<int64_t>(i));
          }
        }
        return grads;
      });
}

std::vector<Tensor> split(const Tensor& self, int64_t split_size, int64_t dim) {
  return RecordPieces("SplitBackward", self, dim,
                      tch::split(self, split_size, dim));
}

std::vector<Tensor> split(const Tensor& self, IntList split_sizes,
                          int64_t dim) {
  return RecordPieces("SplitWithSizesBackward", self, dim,
                      tch::split(self, split_sizes, dim));
}

std::vector<Tensor> chunk(const Tensor& self, int64_t chunks, int64_t dim) {
  return RecordPieces("ChunkBackward", self, dim,
                      tch::chunk(self, chunks, dim));
}

Tensor repeat(const Tensor& self, IntList repeats) {
  Tensor out = tch::repeat(self, repeats);
  if (!ShouldRecord({self})) return out;
  // out viewed as [r0, s0, r1, s1, ...] (self's shape padded with leading
  // 1s): the gradient sums over every r_i.
  const size_t lead = repeats.size() - static_cast<size_t>(self.dim());
  Shape tiled;
  std::vector<int64_t> sum_dims;
  for (size_t i = 0; i < repeats.size(); ++i) {
    const int64_t s = i < lead ? 1 : self.size(static_cast<int64_t>(i - lead));
    if (repeats[i] != 1) sum_dims.push_back(static_cast<int64_t>(tiled.size()));
    tiled.push_back(repeats[i]);
    tiled.push_back(s);
  }
  return Record("RepeatBackward", {self}, out,
                [tiled, sum_dims, sizes = self.sizes()](
                    const TensorList& g, const Needs&) -> TensorList {
                  Tensor grad = g[0].reshape(tiled);
                  if (!sum_dims.empty()) grad = tch::sum(grad, sum_dims);
                  return {grad.reshape(sizes)};
                });
}

Tensor tril(const Tensor& self, int64_t diagonal) {
  return RecordSameOp(
      "TrilBackward", self, tch::tril(self, diagonal),
      [diagonal](const Tensor& g) { return tch::tril(g, diagonal); });
}

Tensor triu(const Tensor& self, int64_t diagonal) {
  return RecordSameOp(
      "TriuBackward", self, tch::triu(self, diagonal),
      [diagonal](const Tensor& g) { return tch::triu(g, diagonal); });
}

Tensor flip(const Tensor& self, IntList dims) {
  return RecordSameOp(
      "FlipBackward", self, tch::flip(self, dims),
      [dims = dims.ToShape()](const Tensor& g) { return tch::flip(g, dims); });
}

Tensor roll(const Tensor& self, IntList shifts, IntList dims) {
  return RecordSameOp(
      "RollBackward", self, tch::roll(self, shifts, dims),
      [back = Negated(shifts), dims = dims.ToShape()](const Tensor& g) {
        return tch::roll(g, back, dims);
      });
}

Tensor pad(const Tensor& self, IntList pads, const Scalar& value) {
  // Padding by -pads crops what the forward added and re-adds (as zeros)
  // what a negative pad cropped.
  return RecordSameOp(
      "PadBackward", self, tch::pad(self, pads, value),
      [back = Negated(pads)](const Tensor& g) { return tch::pad(g, back, 0); });
}

std::pair<Tensor, Tensor> topk(const Tensor& self, int64_t k, int64_t dim,
                               bool largest, bool sorted) {
  return RecordValues("TopkBackward", self, dim,
                      tch::topk(self, k, dim, largest, sorted));
}

std::pair<Tensor, Tensor> sort(const Tensor& self, int64_t dim,
                               bool descending) {
  return RecordValues("SortBackward", self, dim,
                      tch::sort(self, dim, descending));
}

}  // namespace tch::ad
