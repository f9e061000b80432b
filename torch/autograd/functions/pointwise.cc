// Derivatives of the pointwise ops (formulas of PyTorch 1.13's
// derivatives.yaml / FunctionsManual.cpp, written with core ops; the
// activations relu, gelu, silu, sigmoid and tanh use core's fused one-pass
// *_backward ops).
#include "torch/autograd/functions/pointwise.h"

#include <cmath>
#include <functional>
#include <numbers>
#include <utility>

#include "torch/autograd/function.h"
#include "torch/autograd/functions/arith.h"
#include "torch/core/ops.h"

namespace tch::ad {
namespace {
using autograd::Record;
using autograd::SavedTensor;
using autograd::ShouldRecord;
using autograd::SumToShape;
using autograd::TensorList;
using Needs = std::vector<bool>;

// Gradient of a unary op from the incoming gradient, the input and the
// output (each undefined unless asked to be saved).
using UnaryFormula =
    std::function<Tensor(const Tensor& g, const Tensor& x, const Tensor& out)>;
enum Save { kSaveX = 1, kSaveOut = 2 };

Tensor RecordUnary(const char* name, const Tensor& x, Tensor out, int save,
                   UnaryFormula formula) {
  if (!ShouldRecord({x})) return out;
  SavedTensor sx = (save & kSaveX) ? SavedTensor(x) : SavedTensor();
  SavedTensor so = (save & kSaveOut) ? SavedTensor(out) : SavedTensor();
  return Record(name, {x}, out,
                [sx, so, formula = std::move(formula)](
                    const TensorList& g, const Needs&) -> TensorList {
                  const Tensor none;
                  return {formula(g[0], sx.defined() ? sx.get() : none,
                                  so.defined() ? so.get() : none)};
                });
}

// An op whose gradient is zero everywhere (rounding): the result still
// requires grad, as in PyTorch.
Tensor RecordZeroGrad(const char* name, const TensorList& inputs, Tensor out) {
  if (!ShouldRecord(inputs)) return out;
  std::vector<Shape> shapes;
  for (const Tensor& t : inputs) {
    shapes.push_back(t.defined() ? t.sizes() : Shape());
  }
  return Record(
      name, inputs, out, [shapes](const TensorList& g, const Needs& needs) {
        TensorList grads(shapes.size());
        for (size_t i = 0; i < shapes.size(); ++i) {
          if (needs[i]) {
            grads[i] = tch::zeros(shapes[i], g[0].dtype(), g[0].device());
          }
        }
        return grads;
      });
}

SavedTensor SaveIf(bool cond, const Tensor& t) {
  return cond ? SavedTensor(t) : SavedTensor();
}

bool RequiresGrad(const Tensor& t) {
  return t.defined() && autograd::requires_grad(t);
}

// 0 where `mask`, else g.
Tensor ZeroWhere(const Tensor& mask, const Tensor& g) {
  return tch::where(mask, Scalar(0.0), g);
}
Tensor KeepWhere(const Tensor& mask, const Tensor& g) {
  return tch::where(mask, g, Scalar(0.0));
}

Tensor RecordGelu(const Tensor& x, Tensor out, GeluApproximate approx) {
  return RecordUnary("GeluBackward", x, std::move(out), kSaveX,
                     [approx](const Tensor& g, const Tensor& x, const Tensor&) {
                       return tch::gelu_backward(g, x, approx);
                     });
}

// Gradients of the two inputs of maximum (is_max) or minimum: ties split.
TensorList MaxMinGrads(const Tensor& g, const Tensor& a, const Tensor& b,
                       bool is_max) {
  Tensor split = tch::where(tch::eq(a, b), tch::div(g, 2.0), g);
  Tensor a_loses = is_max ? tch::lt(a, b) : tch::gt(a, b);
  Tensor b_loses = is_max ? tch::gt(a, b) : tch::lt(a, b);
  return {ZeroWhere(a_loses, split), ZeroWhere(b_loses, split)};
}

Tensor RecordMaxMin(const char* name, const Tensor& a, const Tensor& b,
                    Tensor out, bool is_max) {
  if (!ShouldRecord({a, b})) return out;
  return Record(name, {a, b}, out,
                [sa = SavedTensor(a), sb = SavedTensor(b), shape_a = a.sizes(),
                 shape_b = b.sizes(), is_max](
                    const TensorList& g, const Needs& needs) -> TensorList {
                  TensorList grads =
                      MaxMinGrads(g[0], sa.get(), sb.get(), is_max);
                  return {needs[0] ? SumToShape(grads[0], shape_a) : Tensor(),
                          needs[1] ? SumToShape(grads[1], shape_b) : Tensor()};
                });
}
}  // namespace

// --- Unary -------------------------------------------------------------------

Tensor abs(const Tensor& x) {
  return RecordUnary("AbsBackward", x, tch::abs(x), kSaveX,
                     [](const Tensor& g, const Tensor& x, const Tensor&) {
                       return tch::mul(g, tch::sign(x));
                     });
}
Tensor sign(const Tensor& x) {
  return RecordZeroGrad("SignBackward", {x}, tch::sign(x));
}
Tensor exp(const Tensor& x) {
  return RecordUnary("ExpBackward", x, tch::exp(x), kSaveOut,
                     [](const Tensor& g, const Tensor&, const Tensor& out) {
                       return tch::mul(g, out);
                     });
}
Tensor expm1(const Tensor& x) {
  return RecordUnary("Expm1Backward", x, tch::expm1(x), kSaveOut,
                     [](const Tensor& g, const Tensor&, const Tensor& out) {
                       return tch::mul(g, tch::add(out, 1.0));
                     });
}
Tensor log(const Tensor& x) {
  return RecordUnary("LogBackward", x, tch::log(x), kSaveX,
                     [](const Tensor& g, const Tensor& x, const Tensor&) {
                       return tch::div(g, x);
                     });
}
Tensor log1p(const Tensor& x) {
  return RecordUnary("Log1PBackward", x, tch::log1p(x), kSaveX,
                     [](const Tensor& g, const Tensor& x, const Tensor&) {
                       return tch::div(g, tch::add(x, 1.0));
                     });
}
Tensor log2(const Tensor& x) {
  return RecordUnary("Log2Backward", x, tch::log2(x), kSaveX,
                     [](const Tensor& g, const Tensor& x, const Tensor&) {
                       return tch::div(g, tch::mul(x, std::numbers::ln2));
                     });
}
Tensor sqrt(const Tensor& x) {
  return RecordUnary("SqrtBackward", x, tch::sqrt(x), kSaveOut,
                     [](const Tensor& g, const Tensor&, const Tensor& out) {
                       return tch::div(g, tch::mul(out, 2.0));
                     });
}
Tensor rsqrt(const Tensor& x) {
  // d/dx x^(-1/2) = -0.5 x^(-3/2) = -0.5 out^3.
  return RecordUnary("RsqrtBackward", x, tch::rsqrt(x), kSaveOut,
                     [](const Tensor& g, const Tensor&, const Tensor& out) {
                       return tch::mul(tch::mul(g, tch::pow(out, 3)), -0.5);
                     });
}
Tensor square(const Tensor& x) {
  return RecordUnary("PowBackward", x, tch::square(x), kSaveX,
                     [](const Tensor& g, const Tensor& x, const Tensor&) {
                       return tch::mul(g, tch::mul(x, 2.0));
                     });
}
Tensor reciprocal(const Tensor& x) {
  return RecordUnary("ReciprocalBackward", x, tch::reciprocal(x), kSaveOut,
                     [](const Tensor& g, const Tensor&, const Tensor& out) {
                       return tch::mul(tch::mul(g, tch::mul(out, out)), -1.0);
                     });
}
Tensor sin(const Tensor& x) {
  return RecordUnary("SinBackward", x, tch::sin(x), kSaveX,
                     [](const Tensor& g, const Tensor& x, const Tensor&) {
                       return tch::mul(g, tch::cos(x));
                     });
}
Tensor cos(const Tensor& x) {
  return RecordUnary("CosBackward", x, tch::cos(x), kSaveX,
                     [](const Tensor& g, const Tensor& x, const Tensor&) {
                       return tch::mul(tch::mul(g, tch::sin(x)), -1.0);
                     });
}
Tensor tanh(const Tensor& x) {
  return RecordUnary("TanhBackward", x, tch::tanh(x), kSaveOut,
                     [](const Tensor& g, const Tensor&, const Tensor& out) {
                       return tch::tanh_backward(g, out);
                     });
}
Tensor sigmoid(const Tensor& x) {
  return RecordUnary("SigmoidBackward", x, tch::sigmoid(x), kSaveOut,
                     [](const Tensor& g, const Tensor&, const Tensor& out) {
                       return tch::sigmoid_backward(g, out);
                     });
}
Tensor erf(const Tensor& x) {
  return RecordUnary(
      "ErfBackward", x, tch::erf(x), kSaveX,
      [](const Tensor& g, const Tensor& x, const Tensor&) {
        const double two_over_sqrtpi = 2 * std::numbers::inv_sqrtpi;
        return tch::mul(tch::mul(g, tch::exp(tch::neg(tch::mul(x, x)))),
                        two_over_sqrtpi);
      });
}
Tensor relu(const Tensor& x) {
  // threshold_backward: 0 where out <= 0 (NaN outputs pass the gradient).
  return RecordUnary("ReluBackward", x, tch::relu(x), kSaveOut,
                     [](const Tensor& g, const Tensor&, const Tensor& out) {
                       return tch::relu_backward(g, out);
                     });
}
Tensor gelu(const Tensor& x, GeluApproximate approximate) {
  return RecordGelu(x, tch::gelu(x, approximate), approximate);
}
Tensor gelu(const Tensor& x, std::string_view approximate) {
  Tensor out = tch::gelu(x, approximate);  // validates the string
  return RecordGelu(
      x, std::move(out),
      approximate == "tanh" ? GeluApproximate::kTanh : GeluApproximate::kNone);
}
Tensor silu(const Tensor& x) {
  // sigmoid(x) * (1 + x * (1 - sigmoid(x))).
  return RecordUnary("SiluBackward", x, tch::silu(x), kSaveX,
                     [](const Tensor& g, const Tensor& x, const Tensor&) {
                       return tch::silu_backward(g, x);
                     });
}
Tensor softplus(const Tensor& x, const Scalar& beta, const Scalar& threshold) {
  // 1 where beta * x > threshold (the linear branch), else sigmoid(beta * x).
  return RecordUnary(
      "SoftplusBackward", x, tch::softplus(x, beta, threshold), kSaveX,
      [beta, threshold](const Tensor& g, const Tensor& x, const Tensor&) {
        Tensor bx = tch::mul(x, beta);
        return tch::where(tch::gt(bx, threshold), g,
                          tch::mul(g, tch::sigmoid(bx)));
      });
}
Tensor floor(const Tensor& x) {
  return RecordZeroGrad("FloorBackward", {x}, tch::floor(x));
}
Tensor ceil(const Tensor& x) {
  return RecordZeroGrad("CeilBackward", {x}, tch::ceil(x));
}
Tensor round(const Tensor& x) {
  return RecordZeroGrad("RoundBackward", {x}, tch::round(x));
}
Tensor trunc(const Tensor& x) {
  return RecordZeroGrad("TruncBackward", {x}, tch::trunc(x));
}
Tensor nan_to_num(const Tensor& x, std::optional<double> nan,
                  std::optional<double> posinf, std::optional<double> neginf) {
  return RecordUnary("NanToNumBackward", x,
                     tch::nan_to_num(x, nan, posinf, neginf), kSaveX,
                     [](const Tensor& g, const Tensor& x, const Tensor&) {
                       return KeepWhere(tch::isfinite(x), g);
                     });
}

// --- Binary ------------------------------------------------------------------

Tensor remainder(const Tensor& a, const Tensor& b) {
  Tensor out = tch::remainder(a, b);
  if (!ShouldRecord({a, b})) return out;
  const bool need_b = RequiresGrad(b);
  // a - b * floor(a / b): d/da = 1, d/db = -floor(a / b).
  return Record("RemainderBackward", {a, b}, out,
                [sa = SaveIf(need_b, a), sb = SaveIf(need_b, b),
                 shape_a = a.sizes(), shape_b = b.sizes()](
                    const TensorList& g, const Needs& needs) -> TensorList {
                  Tensor ga, gb;
                  if (needs[0]) ga = SumToShape(g[0], shape_a);
                  if (needs[1]) {
                    Tensor q = tch::div(sa.get(), sb.get(), "floor");
                    gb = SumToShape(tch::mul(tch::neg(g[0]), q), shape_b);
                  }
                  return {ga, gb};
                });
}
Tensor remainder(const Tensor& a, const Scalar& b) {
  return RecordUnary(
      "RemainderBackward", a, tch::remainder(a, b), 0,
      [](const Tensor& g, const Tensor&, const Tensor&) { return g; });
}
Tensor remainder(const Scalar& a, const Tensor& b) {
  return RecordUnary(
      "RemainderBackward", b, tch::remainder(a, b), kSaveX,
      [a](const Tensor& g, const Tensor& b, const Tensor&) {
        Tensor q =
            tch::div(tch::scalar_tensor(a, b.dtype(), b.device()), b, "floor");
        return tch::mul(tch::neg(g), q);
      });
}

Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor out = tch::pow(a, b);
  if (!ShouldRecord({a, b})) return out;
  const bool need_b = RequiresGrad(b);
  return Record(
      "PowBackward", {a, b}, out,
      [sa = SavedTensor(a), sb = SavedTensor(b), sout = SaveIf(need_b, out),
       shape_a = a.sizes(), shape_b = b.sizes()](
          const TensorList& g, const Needs& needs) -> TensorList {
        const DType dtype = g[0].dtype();
        Tensor base = sa.get().to(dtype);
        Tensor exponent = sb.get().to(dtype);
        Tensor ga, gb;
        if (needs[0]) {
          // 0 where the exponent is 0 (even at base 0).
          Tensor d =
              tch::mul(exponent, tch::pow(base, tch::sub(exponent, 1.0)));
          ga = SumToShape(ZeroWhere(tch::eq(exponent, 0), tch::mul(g[0], d)),
                          shape_a);
        }
        if (needs[1]) {
          // out * log(base), 0 where base == 0 and exponent >= 0.
          Tensor zero_base =
              tch::logical_and(tch::eq(base, 0), tch::ge(exponent, 0));
          Tensor d = ZeroWhere(zero_base, tch::mul(sout.get(), tch::log(base)));
          gb = SumToShape(tch::mul(g[0], d), shape_b);
        }
        return {ga, gb};
      });
}
Tensor pow(const Tensor& a, const Scalar& exponent) {
  const double e = exponent.to<double>();
  return RecordUnary("PowBackward", a, tch::pow(a, exponent), kSaveX,
                     [e](const Tensor& g, const Tensor& x, const Tensor&) {
                       if (e == 0.0) return tch::zeros_like(g);
                       return tch::mul(g, tch::mul(tch::pow(x, e - 1.0), e));
                     });
}
Tensor pow(const Scalar& base, const Tensor& exponent) {
  const double b = base.to<double>();
  return RecordUnary("PowBackward", exponent, tch::pow(base, exponent),
                     kSaveX | kSaveOut,
                     [b](const Tensor& g, const Tensor& e, const Tensor& out) {
                       Tensor d = tch::mul(out, std::log(b));
                       // 0 ** e has gradient 0 where e >= 0 (not 0 * -inf).
                       if (b == 0.0) d = ZeroWhere(tch::ge(e, 0), d);
                       return tch::mul(g, d);
                     });
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  return RecordMaxMin("MaximumBackward", a, b, tch::maximum(a, b), true);
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return RecordMaxMin("MinimumBackward", a, b, tch::minimum(a, b), false);
}

Tensor div(const Tensor& a, const Tensor& b,
           std::optional<std::string_view> rounding_mode) {
  if (!rounding_mode) return ad::div(a, b);
  return RecordZeroGrad("DivBackward", {a, b}, tch::div(a, b, rounding_mode));
}
Tensor div(const Tensor& a, const Scalar& b,
           std::optional<std::string_view> rounding_mode) {
  if (!rounding_mode) return ad::div(a, b);
  return RecordZeroGrad("DivBackward", {a}, tch::div(a, b, rounding_mode));
}
Tensor floor_divide(const Tensor& a, const Tensor& b) {
  return RecordZeroGrad("FloorDivideBackward", {a, b}, tch::floor_divide(a, b));
}
Tensor floor_divide(const Tensor& a, const Scalar& b) {
  return RecordZeroGrad("FloorDivideBackward", {a}, tch::floor_divide(a, b));
}

// --- Ternary -----------------------------------------------------------------

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  Tensor out = tch::where(cond, a, b);
  if (!ShouldRecord({a, b})) return out;
  return Record(
      "WhereBackward", {a, b}, out,
      [sc = SavedTensor(cond), shape_a = a.sizes(), shape_b = b.sizes()](
          const TensorList& g, const Needs& needs) -> TensorList {
        Tensor ga, gb;
        if (needs[0]) ga = SumToShape(KeepWhere(sc.get(), g[0]), shape_a);
        if (needs[1]) gb = SumToShape(ZeroWhere(sc.get(), g[0]), shape_b);
        return {ga, gb};
      });
}
Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b) {
  Tensor out = tch::where(cond, a, b);
  if (!ShouldRecord({a})) return out;
  return Record("WhereBackward", {a}, out,
                [sc = SavedTensor(cond), shape_a = a.sizes()](
                    const TensorList& g, const Needs&) -> TensorList {
                  return {SumToShape(KeepWhere(sc.get(), g[0]), shape_a)};
                });
}
Tensor where(const Tensor& cond, const Scalar& a, const Tensor& b) {
  Tensor out = tch::where(cond, a, b);
  if (!ShouldRecord({b})) return out;
  return Record("WhereBackward", {b}, out,
                [sc = SavedTensor(cond), shape_b = b.sizes()](
                    const TensorList& g, const Needs&) -> TensorList {
                  return {SumToShape(ZeroWhere(sc.get(), g[0]), shape_b)};
                });
}
Tensor where(const Tensor& cond, const Scalar& a, const Scalar& b) {
  return tch::where(cond, a, b);  // no tensor to differentiate
}

Tensor clamp(const Tensor& x, const std::optional<Scalar>& min,
             const std::optional<Scalar>& max) {
  // Bounds included: the subgradient 1 at min and max, as PyTorch.
  return RecordUnary(
      "ClampBackward", x, tch::clamp(x, min, max), kSaveX,
      [min, max](const Tensor& g, const Tensor& x, const Tensor&) {
        Tensor inside;
        if (min) inside = tch::ge(x, *min);
        if (max) {
          Tensor le = tch::le(x, *max);
          inside = inside.defined() ? tch::logical_and(inside, le) : le;
        }
        return KeepWhere(inside, g);
      });
}
Tensor clamp(const Tensor& x, const std::optional<Tensor>& min,
             const std::optional<Tensor>& max) {
  Tensor out = tch::clamp(x, min, max);
  const Tensor lo = min ? *min : Tensor();
  const Tensor hi = max ? *max : Tensor();
  if (!ShouldRecord({x, lo, hi})) return out;
  return Record(
      "ClampBackward", {x, lo, hi}, out,
      [sx = SavedTensor(x), slo = SaveIf(lo.defined(), lo),
       shi = SaveIf(hi.defined(), hi), shape_x = x.sizes(),
       shape_lo = lo.defined() ? lo.sizes() : Shape(),
       shape_hi = hi.defined() ? hi.sizes() : Shape()](
          const TensorList& g, const Needs& needs) -> TensorList {
        const Tensor& x = sx.get();
        TensorList grads(3);
        if (slo.defined() && shi.defined()) {
          const Tensor& lo = slo.get();
          const Tensor& hi = shi.get();
          if (needs[0]) {
            grads[0] = KeepWhere(
                tch::logical_and(tch::ge(x, lo), tch::le(x, hi)), g[0]);
          }
          if (needs[1]) {
            grads[1] = KeepWhere(
                tch::logical_and(tch::lt(x, lo), tch::lt(lo, hi)), g[0]);
          }
          if (needs[2]) {
            grads[2] = KeepWhere(
                tch::logical_or(tch::gt(x, hi), tch::lt(hi, lo)), g[0]);
          }
        } else if (slo.defined()) {
          if (needs[0]) grads[0] = KeepWhere(tch::ge(x, slo.get()), g[0]);
          if (needs[1]) grads[1] = KeepWhere(tch::lt(x, slo.get()), g[0]);
        } else if (shi.defined()) {
          if (needs[0]) grads[0] = KeepWhere(tch::le(x, shi.get()), g[0]);
          if (needs[2]) grads[2] = KeepWhere(tch::gt(x, shi.get()), g[0]);
        } else if (needs[0]) {
          grads[0] = g[0];
        }
        const Shape* shapes[3] = {&shape_x, &shape_lo, &shape_hi};
        for (int i = 0; i < 3; ++i) {
          if (grads[i].defined()) grads[i] = SumToShape(grads[i], *shapes[i]);
        }
        return grads;
      });
}
Tensor clamp_min(const Tensor& x, const Scalar& min) {
  return RecordUnary("ClampMinBackward", x, tch::clamp_min(x, min), kSaveX,
                     [min](const Tensor& g, const Tensor& x, const Tensor&) {
                       return KeepWhere(tch::ge(x, min), g);
                     });
}
Tensor clamp_max(const Tensor& x, const Scalar& max) {
  return RecordUnary("ClampMaxBackward", x, tch::clamp_max(x, max), kSaveX,
                     [max](const Tensor& g, const Tensor& x, const Tensor&) {
                       return KeepWhere(tch::le(x, max), g);
                     });
}

Tensor lerp(const Tensor& start, const Tensor& end, const Scalar& weight) {
  Tensor out = tch::lerp(start, end, weight);
  if (!ShouldRecord({start, end})) return out;
  const double w = weight.to<double>();
  return Record(
      "LerpBackward", {start, end}, out,
      [w, shape_s = start.sizes(), shape_e = end.sizes()](
          const TensorList& g, const Needs& needs) -> TensorList {
        return {
            needs[0] ? SumToShape(tch::mul(g[0], 1.0 - w), shape_s) : Tensor(),
            needs[1] ? SumToShape(tch::mul(g[0], w), shape_e) : Tensor()};
      });
}
Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight) {
  Tensor out = tch::lerp(start, end, weight);
  if (!ShouldRecord({start, end, weight})) return out;
  const bool need_w = RequiresGrad(weight);
  return Record("LerpBackward", {start, end, weight}, out,
                [ss = SaveIf(need_w, start), se = SaveIf(need_w, end),
                 sw = SavedTensor(weight), shape_s = start.sizes(),
                 shape_e = end.sizes(), shape_w = weight.sizes()](
                    const TensorList& g, const Needs& needs) -> TensorList {
                  Tensor gs, ge, gw;
                  if (needs[0] || needs[1]) {
                    Tensor gw_part = tch::mul(g[0], sw.get());  // g * weight
                    if (needs[0])
                      gs = SumToShape(tch::sub(g[0], gw_part), shape_s);
                    if (needs[1]) ge = SumToShape(gw_part, shape_e);
                  }
                  if (needs[2]) {
                    gw = SumToShape(
                        tch::mul(g[0], tch::sub(se.get(), ss.get())), shape_w);
                  }
                  return {gs, ge, gw};
                });
}

Tensor addcmul(const Tensor& self, const Tensor& t1, const Tensor& t2,
               const Scalar& value) {
  Tensor out = tch::addcmul(self, t1, t2, value);
  if (!ShouldRecord({self, t1, t2})) return out;
  return Record(
      "AddcmulBackward", {self, t1, t2}, out,
      [s1 = SaveIf(RequiresGrad(t2), t1), s2 = SaveIf(RequiresGrad(t1), t2),
       value, shape_s = self.sizes(), shape_1 = t1.sizes(),
       shape_2 = t2.sizes()](const TensorList& g,
                             const Needs& needs) -> TensorList {
        Tensor gs, g1, g2;
        if (needs[0]) gs = SumToShape(g[0], shape_s);
        if (needs[1]) {
          g1 = SumToShape(tch::mul(tch::mul(g[0], s2.get()), value), shape_1);
        }
        if (needs[2]) {
          g2 = SumToShape(tch::mul(tch::mul(g[0], s1.get()), value), shape_2);
        }
        return {gs, g1, g2};
      });
}
Tensor addcdiv(const Tensor& self, const Tensor& t1, const Tensor& t2,
               const Scalar& value) {
  Tensor out = tch::addcdiv(self, t1, t2, value);
  if (!ShouldRecord({self, t1, t2})) return out;
  return Record(
      "AddcdivBackward", {self, t1, t2}, out,
      [s1 = SaveIf(RequiresGrad(t2), t1), s2 = SavedTensor(t2), value,
       shape_s = self.sizes(), shape_1 = t1.sizes(), shape_2 = t2.sizes()](
          const TensorList& g, const Needs& needs) -> TensorList {
        Tensor gs, g1, g2;
        if (needs[0]) gs = SumToShape(g[0], shape_s);
        // value * g / t2 is d/dt1; d/dt2 is -(value * g / t2) * t1 / t2.
        Tensor scaled = tch::div(tch::mul(g[0], value), s2.get());
        if (needs[1]) g1 = SumToShape(scaled, shape_1);
        if (needs[2]) {
          g2 = SumToShape(
              tch::neg(tch::div(tch::mul(scaled, s1.get()), s2.get())),
              shape_2);
        }
        return {gs, g1, g2};
      });
}

}  // namespace tch::ad
