// Derivatives of elementwise arithmetic (the table's first entries).
#include "torch/autograd/functions/arith.h"

#include "torch/autograd/function.h"
#include "torch/core/ops.h"

namespace tch::ad {
namespace {
using autograd::Record;
using autograd::SavedTensor;
using autograd::ShouldRecord;
using autograd::SumToShape;
using autograd::TensorList;
using Needs = std::vector<bool>;
}  // namespace

Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  Tensor out = tch::add(a, b, alpha);
  if (!ShouldRecord({a, b})) return out;
  return Record(
      "AddBackward", {a, b}, out,
      [sa = a.sizes(), sb = b.sizes(), alpha](
          const TensorList& g, const Needs& needs) -> TensorList {
        return {needs[0] ? SumToShape(g[0], sa) : Tensor(),
                needs[1] ? SumToShape(tch::mul(g[0], alpha), sb) : Tensor()};
      });
}

Tensor add(const Tensor& a, const Scalar& b, const Scalar& alpha) {
  Tensor out = tch::add(a, b, alpha);
  if (!ShouldRecord({a})) return out;
  return Record(
      "AddBackward", {a}, out,
      [](const TensorList& g, const Needs&) -> TensorList { return {g[0]}; });
}

Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  Tensor out = tch::sub(a, b, alpha);
  if (!ShouldRecord({a, b})) return out;
  return Record(
      "SubBackward", {a, b}, out,
      [sa = a.sizes(), sb = b.sizes(), alpha](
          const TensorList& g, const Needs& needs) -> TensorList {
        return {needs[0] ? SumToShape(g[0], sa) : Tensor(),
                needs[1] ? SumToShape(tch::mul(g[0], -alpha.to<double>()), sb)
                         : Tensor()};
      });
}

Tensor sub(const Tensor& a, const Scalar& b, const Scalar& alpha) {
  Tensor out = tch::sub(a, b, alpha);
  if (!ShouldRecord({a})) return out;
  return Record(
      "SubBackward", {a}, out,
      [](const TensorList& g, const Needs&) -> TensorList { return {g[0]}; });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = tch::mul(a, b);
  if (!ShouldRecord({a, b})) return out;
  const bool need_a = autograd::requires_grad(a);
  const bool need_b = autograd::requires_grad(b);
  // Save only what the other side's gradient needs.
  return Record(
      "MulBackward", {a, b}, out,
      [sa = need_b ? SavedTensor(a) : SavedTensor(),
       sb = need_a ? SavedTensor(b) : SavedTensor(), shape_a = a.sizes(),
       shape_b = b.sizes()](const TensorList& g,
                            const Needs& needs) -> TensorList {
        return {
            needs[0] ? SumToShape(tch::mul(g[0], sb.get()), shape_a) : Tensor(),
            needs[1] ? SumToShape(tch::mul(g[0], sa.get()), shape_b)
                     : Tensor()};
      });
}

Tensor mul(const Tensor& a, const Scalar& b) {
  Tensor out = tch::mul(a, b);
  if (!ShouldRecord({a})) return out;
  return Record("MulBackward", {a}, out,
                [b](const TensorList& g, const Needs&) -> TensorList {
                  return {tch::mul(g[0], b)};
                });
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = tch::div(a, b);
  if (!ShouldRecord({a, b})) return out;
  const bool need_b = autograd::requires_grad(b);
  // d(a/b)/da = 1/b; d(a/b)/db = -a/b^2 = -out/b.
  return Record(
      "DivBackward", {a, b}, out,
      [sb = SavedTensor(b), sout = need_b ? SavedTensor(out) : SavedTensor(),
       shape_a = a.sizes(), shape_b = b.sizes()](
          const TensorList& g, const Needs& needs) -> TensorList {
        Tensor ga, gb;
        if (needs[0]) ga = SumToShape(tch::div(g[0], sb.get()), shape_a);
        if (needs[1]) {
          gb = SumToShape(-tch::div(tch::mul(g[0], sout.get()), sb.get()),
                          shape_b);
        }
        return {ga, gb};
      });
}

Tensor div(const Tensor& a, const Scalar& b) {
  Tensor out = tch::div(a, b);
  if (!ShouldRecord({a})) return out;
  return Record("DivBackward", {a}, out,
                [b](const TensorList& g, const Needs&) -> TensorList {
                  return {tch::div(g[0], b)};
                });
}

Tensor neg(const Tensor& a) {
  Tensor out = -a;
  if (!ShouldRecord({a})) return out;
  return Record(
      "NegBackward", {a}, out,
      [](const TensorList& g, const Needs&) -> TensorList { return {-g[0]}; });
}

}  // namespace tch::ad
