// Derivatives of matrix products (dA = dC @ B^T, dB = A^T @ dC) and linear.
#include "torch/autograd/functions/linalg.h"

#include <algorithm>

#include "torch/autograd/function.h"
#include "torch/core/error.h"
#include "torch/core/linalg_ops.h"
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

// SavedTensor(t) when `keep`, else an empty one: each operand is saved only
// when the other operand's gradient needs it.
SavedTensor SaveIf(bool keep, const Tensor& t) {
  return keep ? SavedTensor(t) : SavedTensor();
}

// alpha * (a @ b) in one gemm: with beta 0, addmm never reads its `self`
// (only its dtype is checked), so `a` stands in for it.
Tensor MmScaled(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  return IsOne(alpha) ? tch::mm(a, b) : tch::addmm(a, a, b, 0, alpha);
}
Tensor BmmScaled(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  return IsOne(alpha) ? tch::bmm(a, b) : tch::baddbmm(a, a, b, 0, alpha);
}

Tensor MT(const Tensor& t) { return t.transpose(-2, -1); }

// Gradients of matmul(a, b) for every case of core matmul; `a` is defined
// when b's gradient is needed and `b` when a's is.
TensorList MatmulGrads(const Tensor& g, const Tensor& a, const Tensor& b,
                       const Shape& a_sizes, const Shape& b_sizes,
                       const Needs& needs) {
  const size_t da = a_sizes.size(), db = b_sizes.size();
  Tensor ga, gb;
  if (da == 1 && db == 1) {  // dot
    if (needs[0]) ga = tch::mul(g, b);
    if (needs[1]) gb = tch::mul(g, a);
    return {ga, gb};
  }
  if (da == 2 && db == 2) {
    if (needs[0]) ga = tch::mm(g, b.t());
    if (needs[1]) gb = tch::mm(a.t(), g);
    return {ga, gb};
  }
  // Vectors become a row (a) or a column (b) matrix, as in the forward; g
  // gets back the dims the forward squeezed.
  Tensor g2 = g;
  if (db == 1) g2 = g2.unsqueeze(-1);
  if (da == 1) g2 = g2.unsqueeze(-2);
  const Tensor a2 = !a.defined() ? a : da == 1 ? a.unsqueeze(0) : a;
  const Tensor b2 = !b.defined() ? b : db == 1 ? b.unsqueeze(1) : b;
  if (da >= 3 && db <= 2) {
    // The batch is a's alone: fold it into rows, one gemm per gradient
    // (gb would otherwise be a batch of products summed afterwards).
    const int64_t p = g2.size(-1);
    const Tensor g_rows = g2.reshape({-1, p});
    if (needs[0]) ga = tch::mm(g_rows, b2.t()).view(a_sizes);
    if (needs[1]) {
      gb = tch::mm(a2.reshape({-1, a2.size(-1)}).t(), g_rows).view(b_sizes);
    }
    return {ga, gb};
  }
  if (needs[0]) {
    Shape a2_sizes = a_sizes;
    if (da == 1) a2_sizes.insert(a2_sizes.begin(), 1);
    ga = SumToShape(tch::matmul(g2, MT(b2)), a2_sizes).reshape(a_sizes);
  }
  if (needs[1]) {
    Shape b2_sizes = b_sizes;
    if (db == 1) b2_sizes.push_back(1);
    gb = SumToShape(tch::matmul(MT(a2), g2), b2_sizes).reshape(b_sizes);
  }
  return {ga, gb};
}
}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  Tensor out = tch::matmul(a, b);
  if (!ShouldRecord({a, b})) return out;
  return Record("MatmulBackward", {a, b}, out,
                [sa = SaveIf(autograd::requires_grad(b), a),
                 sb = SaveIf(autograd::requires_grad(a), b),
                 a_sizes = a.sizes(), b_sizes = b.sizes()](
                    const TensorList& g, const Needs& needs) -> TensorList {
                  return MatmulGrads(g[0], needs[1] ? sa.get() : Tensor(),
                                     needs[0] ? sb.get() : Tensor(), a_sizes,
                                     b_sizes, needs);
                });
}

Tensor mm(const Tensor& mat1, const Tensor& mat2) {
  Tensor out = tch::mm(mat1, mat2);
  if (!ShouldRecord({mat1, mat2})) return out;
  return Record("MmBackward", {mat1, mat2}, out,
                [s1 = SaveIf(autograd::requires_grad(mat2), mat1),
                 s2 = SaveIf(autograd::requires_grad(mat1), mat2)](
                    const TensorList& g, const Needs& needs) -> TensorList {
                  return {needs[0] ? tch::mm(g[0], s2.get().t()) : Tensor(),
                          needs[1] ? tch::mm(s1.get().t(), g[0]) : Tensor()};
                });
}

Tensor bmm(const Tensor& batch1, const Tensor& batch2) {
  Tensor out = tch::bmm(batch1, batch2);
  if (!ShouldRecord({batch1, batch2})) return out;
  return Record("BmmBackward", {batch1, batch2}, out,
                [s1 = SaveIf(autograd::requires_grad(batch2), batch1),
                 s2 = SaveIf(autograd::requires_grad(batch1), batch2)](
                    const TensorList& g, const Needs& needs) -> TensorList {
                  return {needs[0] ? tch::bmm(g[0], MT(s2.get())) : Tensor(),
                          needs[1] ? tch::bmm(MT(s1.get()), g[0]) : Tensor()};
                });
}

Tensor addmm(const Tensor& self, const Tensor& mat1, const Tensor& mat2,
             const Scalar& beta, const Scalar& alpha) {
  Tensor out = tch::addmm(self, mat1, mat2, beta, alpha);
  if (!ShouldRecord({self, mat1, mat2})) return out;
  return Record("AddmmBackward", {self, mat1, mat2}, out,
                [s1 = SaveIf(autograd::requires_grad(mat2), mat1),
                 s2 = SaveIf(autograd::requires_grad(mat1), mat2),
                 self_sizes = self.sizes(), beta,
                 alpha](const TensorList& g, const Needs& needs) -> TensorList {
                  Tensor gs, g1, g2;
                  if (needs[0]) {
                    gs = SumToShape(IsOne(beta) ? g[0] : tch::mul(g[0], beta),
                                    self_sizes);
                  }
                  if (needs[1]) g1 = MmScaled(g[0], s2.get().t(), alpha);
                  if (needs[2]) g2 = MmScaled(s1.get().t(), g[0], alpha);
                  return {gs, g1, g2};
                });
}

Tensor baddbmm(const Tensor& self, const Tensor& batch1, const Tensor& batch2,
               const Scalar& beta, const Scalar& alpha) {
  Tensor out = tch::baddbmm(self, batch1, batch2, beta, alpha);
  if (!ShouldRecord({self, batch1, batch2})) return out;
  return Record("BaddbmmBackward", {self, batch1, batch2}, out,
                [s1 = SaveIf(autograd::requires_grad(batch2), batch1),
                 s2 = SaveIf(autograd::requires_grad(batch1), batch2),
                 self_sizes = self.sizes(), beta,
                 alpha](const TensorList& g, const Needs& needs) -> TensorList {
                  Tensor gs, g1, g2;
                  if (needs[0]) {
                    gs = SumToShape(IsOne(beta) ? g[0] : tch::mul(g[0], beta),
                                    self_sizes);
                  }
                  if (needs[1]) g1 = BmmScaled(g[0], MT(s2.get()), alpha);
                  if (needs[2]) g2 = BmmScaled(MT(s1.get()), g[0], alpha);
                  return {gs, g1, g2};
                });
}

Tensor dot(const Tensor& a, const Tensor& b) {
  Tensor out = tch::dot(a, b);
  if (!ShouldRecord({a, b})) return out;
  return Record("DotBackward", {a, b}, out,
                [sa = SaveIf(autograd::requires_grad(b), a),
                 sb = SaveIf(autograd::requires_grad(a), b)](
                    const TensorList& g, const Needs& needs) -> TensorList {
                  return {needs[0] ? tch::mul(g[0], sb.get()) : Tensor(),
                          needs[1] ? tch::mul(g[0], sa.get()) : Tensor()};
                });
}

Tensor outer(const Tensor& a, const Tensor& b) {
  Tensor out = tch::outer(a, b);
  if (!ShouldRecord({a, b})) return out;
  // out[i][j] = a[i] * b[j]: da = out_grad @ b, db = out_grad^T @ a, in the
  // promoted dtype (the engine converts each to its input's dtype).
  return Record(
      "OuterBackward", {a, b}, out,
      [sa = SaveIf(autograd::requires_grad(b), a),
       sb = SaveIf(autograd::requires_grad(a), b)](
          const TensorList& g, const Needs& needs) -> TensorList {
        const DType dtype = g[0].dtype();
        return {
            needs[0] ? tch::matmul(g[0], sb.get().to(dtype)) : Tensor(),
            needs[1] ? tch::matmul(g[0].t(), sa.get().to(dtype)) : Tensor()};
      });
}

Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  TCH_CHECK(input.dim() >= 1,
            "linear: input must have at least 1 dim ([*, in_features]), got a "
            "0-D tensor");
  TCH_CHECK(weight.dim() == 2,
            "linear: weight must be 2-D [out_features, in_features], got "
            "shape ",
            ShapeToString(weight.sizes()));
  TCH_CHECK(input.size(-1) == weight.size(1), "linear: input of shape ",
            ShapeToString(input.sizes()), " has ", input.size(-1),
            " features in its last dim but weight of shape ",
            ShapeToString(weight.sizes()),
            " expects in_features = ", weight.size(1));
  const int64_t out_features = weight.size(0);
  // Rows of the product: a view unless input is a non-contiguous N-D tensor.
  const Tensor x2 =
      input.dim() == 2 ? input : input.reshape({-1, input.size(-1)});
  const Tensor wt = weight.t();
  Tensor y2 = bias.defined() ? tch::addmm(bias, x2, wt) : tch::mm(x2, wt);
  Tensor out = y2;
  if (input.dim() != 2) {
    Shape out_sizes = input.sizes();
    out_sizes.back() = out_features;
    out = y2.view(out_sizes);
  }
  if (!ShouldRecord({input, weight, bias})) return out;
  return Record(
      "LinearBackward", {input, weight, bias}, out,
      [sx = SaveIf(autograd::requires_grad(weight), x2),
       sw = SaveIf(autograd::requires_grad(input), weight),
       input_sizes = input.sizes(),
       bias_sizes = bias.defined() ? bias.sizes() : Shape(),
       out_features](const TensorList& g, const Needs& needs) -> TensorList {
        const Tensor g2 =
            g[0].dim() == 2 ? g[0] : g[0].reshape({-1, out_features});
        Tensor gx, gw, gb;
        if (needs[0]) gx = tch::mm(g2, sw.get()).view(input_sizes);
        if (needs[1]) gw = tch::mm(g2.t(), sx.get());
        if (needs[2]) gb = SumToShape(g2, bias_sizes);
        return {gx, gw, gb};
      });
}

}  // namespace tch::ad
