// Derivatives of the reductions (formulas of PyTorch 1.13's
// FunctionsManual.cpp, written with core ops). Each formula first brings the
// incoming gradient (and, where needed, the result) to keepdim's shape, so
// it broadcasts against x.
#include "torch/autograd/functions/reduce.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "torch/autograd/function.h"
#include "torch/core/index_ops.h"
#include "torch/core/ops.h"
#include "torch/core/pointwise_ops.h"

namespace tch::ad {
namespace {
using autograd::Record;
using autograd::SavedTensor;
using autograd::ShouldRecord;
using autograd::TensorList;
using Needs = std::vector<bool>;

// x's shape with the reduced dims (empty: all) set to 1. Dims were checked
// by the core op already.
Shape KeepShape(const Shape& in, IntList dims) {
  Shape keep = in;
  const auto n = static_cast<int64_t>(in.size());
  if (dims.empty()) {
    for (int64_t& s : keep) s = 1;
    return keep;
  }
  for (int64_t d : dims) {
    if (n > 0) keep[static_cast<size_t>(d < 0 ? d + n : d)] = 1;
  }
  return keep;
}

// dim in [0, ndim) (0 for a 0-D tensor); the core op checked the range.
int64_t WrapDim(int64_t dim, int64_t ndim) {
  return dim < 0 ? std::max<int64_t>(dim + ndim, 0) : dim;
}

// Number of elements reduced into each output.
int64_t ReducedCount(const Shape& in, const Shape& keep) {
  int64_t count = 1;
  for (size_t d = 0; d < in.size(); ++d) {
    if (keep[d] != in[d]) count *= in[d];  // reduced dims of size != 1
  }
  return count;
}

// A unary reduction's node: formula(g_keep, x, out_keep) where g and out are
// reshaped to keepdim's shape for `dims`; x and out are passed only when
// saved. Called after the core op, so `dims` are valid.
using ReduceFormula =
    std::function<Tensor(const Tensor& g, const Tensor& x, const Tensor& out)>;
enum Save { kSaveX = 1, kSaveOut = 2 };

Tensor RecordReduce(const char* name, const Tensor& x, Tensor out, IntList dims,
                    int save, ReduceFormula formula) {
  if (!ShouldRecord({x})) return out;
  Shape keep = KeepShape(x.sizes(), dims);
  SavedTensor sx = (save & kSaveX) ? SavedTensor(x) : SavedTensor();
  SavedTensor so = (save & kSaveOut) ? SavedTensor(out) : SavedTensor();
  return Record(
      name, {x}, out,
      [sx, so, keep = std::move(keep), formula = std::move(formula)](
          const TensorList& g, const Needs&) -> TensorList {
        const Tensor none;
        return {formula(g[0].reshape(keep), sx.defined() ? sx.get() : none,
                        so.defined() ? so.get().reshape(keep) : none)};
      });
}

// sum (is_mean false) or mean over `dims`: g spread back over the reduced
// elements (divided by their count for mean).
Tensor SumGrad(const char* name, const Tensor& x, Tensor out, IntList dims,
               bool is_mean) {
  const double count =
      static_cast<double>(ReducedCount(x.sizes(), KeepShape(x.sizes(), dims)));
  return RecordReduce(name, x, std::move(out), dims, 0,
                      [sizes = x.sizes(), is_mean, count](
                          const Tensor& g, const Tensor&, const Tensor&) {
                        Tensor scaled = is_mean ? tch::div(g, count) : g;
                        return scaled.expand(sizes);
                      });
}

// prod along `dim` without dividing by zeros: result / x where the slice
// has no zero, the product of the other elements at a slice's only zero,
// 0 elsewhere.
Tensor ProdGrad(const Tensor& g, const Tensor& x, const Tensor& out,
                int64_t dim) {
  Tensor is_zero = tch::eq(x, 0);
  Tensor zeros_in_slice = tch::sum(is_zero, {dim}, /*keepdim=*/true);
  Tensor others =
      tch::prod(tch::where(is_zero, Scalar(1.0), x), dim, /*keepdim=*/true);
  Tensor at_single_zero = tch::logical_and(is_zero, tch::eq(zeros_in_slice, 1));
  Tensor d = tch::where(tch::eq(zeros_in_slice, 0), tch::div(out, x),
                        tch::where(at_single_zero, others, Scalar(0.0)));
  return tch::mul(g, d);
}

// max(x)/min(x): the gradient split among the elements equal to the
// result (the NaNs when the result is NaN).
Tensor EvenlyDistribute(const char* name, const Tensor& x, Tensor out) {
  return RecordReduce(
      name, x, std::move(out), {}, kSaveX | kSaveOut,
      [](const Tensor& g, const Tensor& x, const Tensor& out) {
        Tensor mask =
            std::isnan(out.item<double>()) ? tch::isnan(x) : tch::eq(x, out);
        return tch::where(mask, tch::div(g, tch::sum(mask)), Scalar(0.0));
      });
}

// max/min along a dim: the whole gradient to the returned index.
ValuesIndices SelectAlongDim(const char* name, const Tensor& x, int64_t dim,
                             ValuesIndices result) {
  if (!ShouldRecord({x})) return result;
  const Shape keep = KeepShape(x.sizes(), {dim});
  const int64_t d = WrapDim(dim, x.dim());
  result.values = Record(
      name, {x}, result.values,
      [si = SavedTensor(result.indices), keep, d, sizes = x.sizes()](
          const TensorList& g, const Needs&) -> TensorList {
        if (sizes.empty()) return {g[0]};
        Shape pos_shape(sizes.size(), 1);
        pos_shape[static_cast<size_t>(d)] = sizes[static_cast<size_t>(d)];
        Tensor pos = tch::arange(sizes[static_cast<size_t>(d)], DType::kInt64)
                         .reshape(pos_shape);
        Tensor mask = tch::eq(pos, si.get().reshape(keep));
        return {tch::where(mask, g[0].reshape(keep), Scalar(0.0))};
      });
  return result;
}

// amax/amin: split evenly among the elements equal to their slice's result.
Tensor AmaxAminGrad(const char* name, const Tensor& x, Tensor out,
                    IntList dims) {
  return RecordReduce(name, x, std::move(out), dims, kSaveX | kSaveOut,
                      [dims = dims.ToShape()](const Tensor& g, const Tensor& x,
                                              const Tensor& out) {
                        Tensor mask = tch::eq(x, out);
                        Tensor count = tch::sum(mask, dims, /*keepdim=*/true);
                        return tch::mul(tch::div(g, count), mask);
                      });
}

// var's gradient: 2 / (N - correction) * g * (x - mean). With N <=
// correction that is +-inf, or NaN where x equals the mean, as PyTorch's
// over-dims variant (its all-dims variant fails with a shape error).
Tensor VarGrad(const Tensor& g, const Tensor& x, const Shape& dims,
               int64_t correction) {
  const Shape keep = KeepShape(x.sizes(), dims);
  const int64_t dof = ReducedCount(x.sizes(), keep) - correction;
  Tensor centered = tch::sub(x, tch::mean(x, dims, /*keepdim=*/true));
  return tch::mul(tch::mul(g, centered), 2.0 / static_cast<double>(dof));
}

Tensor NormGrad(const Tensor& g, const Tensor& x, const Tensor& norm, double p,
                const Shape& dims) {
  if (p == 0.0) return tch::zeros_like(x);
  if (p == 1.0) return tch::mul(tch::sign(x), g);
  const Tensor norm_is_zero = tch::eq(norm, 0);
  if (p == 2.0) {
    return tch::mul(g,
                    tch::where(norm_is_zero, Scalar(0.0), tch::div(x, norm)));
  }
  Tensor abs = tch::abs(x);
  if (std::isinf(p)) {
    // The elements whose |x| is the result (or NaN) share the gradient.
    Tensor mask = tch::logical_or(tch::eq(abs, norm), tch::isnan(abs));
    Tensor share = tch::div(g, tch::sum(mask, dims, /*keepdim=*/true));
    return tch::mul(tch::sign(x), tch::mul(share, mask));
  }
  if (p < 1.0) {
    Tensor scaled = tch::mul(
        tch::sign(x),
        tch::where(tch::eq(x, 0), Scalar(0.0), tch::pow(abs, p - 1.0)));
    return tch::mul(tch::mul(scaled, g), tch::pow(norm, 1.0 - p));
  }
  Tensor scaled = p < 2.0 ? tch::mul(tch::sign(x), tch::pow(abs, p - 1.0))
                          : tch::mul(x, tch::pow(abs, p - 2.0));
  Tensor scale = tch::where(norm_is_zero, Scalar(0.0),
                            tch::div(g, tch::pow(norm, p - 1.0)));
  return tch::mul(scaled, scale);
}
}  // namespace

// --- Sums and products
// ---------------------------------------------------------

// Each entry runs the core op in its own statement first: it validates dims
// before the recording helpers use them.
Tensor sum(const Tensor& x, std::optional<DType> dtype) {
  Tensor out = tch::sum(x, dtype);
  return SumGrad("SumBackward", x, std::move(out), {}, false);
}
Tensor sum(const Tensor& x, IntList dims, bool keepdim,
           std::optional<DType> dtype) {
  Tensor out = tch::sum(x, dims, keepdim, dtype);
  return SumGrad("SumBackward", x, std::move(out), dims, false);
}
Tensor mean(const Tensor& x, std::optional<DType> dtype) {
  Tensor out = tch::mean(x, dtype);
  return SumGrad("MeanBackward", x, std::move(out), {}, true);
}
Tensor mean(const Tensor& x, IntList dims, bool keepdim,
            std::optional<DType> dtype) {
  Tensor out = tch::mean(x, dims, keepdim, dtype);
  return SumGrad("MeanBackward", x, std::move(out), dims, true);
}

Tensor prod(const Tensor& x, std::optional<DType> dtype) {
  Tensor out = tch::prod(x, dtype);
  // As prod along dim 0 of the flattened x.
  return RecordReduce("ProdBackward", x, std::move(out), {}, kSaveX | kSaveOut,
                      [](const Tensor& g, const Tensor& x, const Tensor& out) {
                        if (x.dim() == 0) return g;
                        Tensor flat = x.to(out.dtype()).reshape({-1});
                        return ProdGrad(g.reshape({1}), flat, out.reshape({1}),
                                        0)
                            .reshape(x.sizes());
                      });
}
Tensor prod(const Tensor& x, int64_t dim, bool keepdim,
            std::optional<DType> dtype) {
  Tensor out = tch::prod(x, dim, keepdim, dtype);
  return RecordReduce(
      "ProdBackward", x, std::move(out), {dim}, kSaveX | kSaveOut,
      [dim](const Tensor& g, const Tensor& x, const Tensor& out) {
        if (x.dim() == 0) return g;
        return ProdGrad(g, x.to(out.dtype()), out, dim);
      });
}

Tensor cumsum(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  Tensor out = tch::cumsum(x, dim, dtype);
  if (!ShouldRecord({x})) return out;
  // Each input feeds every later output: a reversed cumulative sum.
  const int64_t d = WrapDim(dim, x.dim());
  return Record("CumsumBackward", {x}, out,
                [d](const TensorList& g, const Needs&) -> TensorList {
                  if (g[0].dim() == 0) return {g[0]};
                  return {tch::flip(tch::cumsum(tch::flip(g[0], {d}), d), {d})};
                });
}

// --- Extremes
// ------------------------------------------------------------------

Tensor max(const Tensor& x) {
  return EvenlyDistribute("MaxBackward", x, tch::max(x));
}
Tensor min(const Tensor& x) {
  return EvenlyDistribute("MinBackward", x, tch::min(x));
}
ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim) {
  return SelectAlongDim("MaxBackward", x, dim, tch::max(x, dim, keepdim));
}
ValuesIndices min(const Tensor& x, int64_t dim, bool keepdim) {
  return SelectAlongDim("MinBackward", x, dim, tch::min(x, dim, keepdim));
}
Tensor amax(const Tensor& x, IntList dims, bool keepdim) {
  return AmaxAminGrad("AmaxBackward", x, tch::amax(x, dims, keepdim), dims);
}
Tensor amin(const Tensor& x, IntList dims, bool keepdim) {
  return AmaxAminGrad("AminBackward", x, tch::amin(x, dims, keepdim), dims);
}

// --- Statistics
// ---------------------------------------------------------------

Tensor var(const Tensor& x, IntList dims, int64_t correction, bool keepdim) {
  Tensor out = tch::var(x, dims, correction, keepdim);
  return RecordReduce("VarBackward", x, std::move(out), dims, kSaveX,
                      [dims = dims.ToShape(), correction](
                          const Tensor& g, const Tensor& x, const Tensor&) {
                        return VarGrad(g, x, dims, correction);
                      });
}
Tensor std(const Tensor& x, IntList dims, int64_t correction, bool keepdim) {
  // d std = d var / (2 std), 0 where std is 0.
  Tensor out = tch::std(x, dims, correction, keepdim);
  return RecordReduce("StdBackward", x, std::move(out), dims, kSaveX | kSaveOut,
                      [dims = dims.ToShape(), correction](
                          const Tensor& g, const Tensor& x, const Tensor& out) {
                        Tensor g_var =
                            tch::where(tch::eq(out, 0), Scalar(0.0),
                                       tch::div(g, tch::mul(out, 2.0)));
                        return VarGrad(g_var, x, dims, correction);
                      });
}
Tensor logsumexp(const Tensor& x, IntList dims, bool keepdim) {
  Tensor out = tch::logsumexp(x, dims, keepdim);
  return RecordReduce("LogsumexpBackward", x, std::move(out), dims,
                      kSaveX | kSaveOut,
                      [](const Tensor& g, const Tensor& x, const Tensor& out) {
                        return tch::mul(g, tch::exp(tch::sub(x, out)));
                      });
}
Tensor norm(const Tensor& x, double p, IntList dims, bool keepdim,
            std::optional<DType> dtype) {
  Tensor out = tch::norm(x, p, dims, keepdim, dtype);
  return RecordReduce("NormBackward", x, std::move(out), dims,
                      kSaveX | kSaveOut,
                      [p, dims = dims.ToShape()](
                          const Tensor& g, const Tensor& x, const Tensor& out) {
                        return NormGrad(g, x.to(out.dtype()), out, p, dims);
                      });
}

}  // namespace tch::ad
