// Per-target float32 SIMD math shared by the pointwise kernels
// (pointwise_simd-inl.h) and the activation backward kernels
// (activation_backward-inl.h): exp, log, tanh, sigmoid and erf over Highway
// vectors. Included from inside those files' per-target sections, so it is
// compiled once per Highway target of each including translation unit; every
// function is HWY_INLINE, so several translation units may include it.
//
// Highway's math functions have restricted input ranges (Exp: x <= 104,
// Log: x > 0); the wrappers below patch NaN, infinities, zero and negative
// inputs so results match std:: (and PyTorch) on every float.

// Include guard that flips per target (Highway's -inl.h convention).
#if defined(TCH_KERNELS_CPU_SIMD_MATH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TCH_KERNELS_CPU_SIMD_MATH_INL_H_
#undef TCH_KERNELS_CPU_SIMD_MATH_INL_H_
#else
#define TCH_KERNELS_CPU_SIMD_MATH_INL_H_
#endif

#include <limits>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tch::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <class D, class V>
HWY_INLINE V ExpF(D d, V x) {
  const V inf = hn::Set(d, std::numeric_limits<float>::infinity());
  // ln(FLT_MAX) = 88.7228391; below -104 Exp's result is 0 anyway, which
  // also covers -inf.
  V r = hn::Exp(d, hn::Min(x, hn::Set(d, 89.0f)));
  r = hn::IfThenElse(hn::Gt(x, hn::Set(d, 88.72283935546875f)), inf, r);
  r = hn::IfThenZeroElse(hn::Lt(x, hn::Set(d, -104.0f)), r);
  return hn::IfThenElse(hn::IsNaN(x), x, r);
}

template <class D, class V>
HWY_INLINE V LogF(D d, V x) {
  const V zero = hn::Zero(d);
  const V inf = hn::Set(d, std::numeric_limits<float>::infinity());
  const V nan = hn::Set(d, std::numeric_limits<float>::quiet_NaN());
  // Keep Log's argument in its valid range, then patch the specials.
  const V safe = hn::IfThenElse(hn::Gt(x, zero), hn::Min(x, hn::Set(d, 3e38f)),
                                hn::Set(d, 1.0f));
  V r = hn::Log(d, safe);
  r = hn::IfThenElse(hn::Eq(x, inf), inf, r);
  r = hn::IfThenElse(hn::Eq(x, zero), hn::Neg(inf), r);
  r = hn::IfThenElse(hn::Lt(x, zero), nan, r);
  return hn::IfThenElse(hn::IsNaN(x), x, r);
}

template <class D, class V>
HWY_INLINE V TanhF(D d, V x) {
  return hn::IfThenElse(hn::IsNaN(x), x, hn::Tanh(d, x));
}

// 1 / (1 + exp(-x)).
template <class D, class V>
HWY_INLINE V SigmoidF(D d, V x) {
  const V one = hn::Set(d, 1.0f);
  return hn::Div(one, hn::Add(one, ExpF(d, hn::Neg(x))));
}

// erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), as PyTorch's
// vectorized GELU does.
template <class D, class V>
HWY_INLINE V ErfF(D d, V x) {
  const V one = hn::Set(d, 1.0f);
  const V t = hn::Div(one, hn::MulAdd(hn::Set(d, 0.3275911f), hn::Abs(x), one));
  V r = hn::MulAdd(hn::Set(d, 1.061405429f), t, hn::Set(d, -1.453152027f));
  r = hn::MulAdd(r, t, hn::Set(d, 1.421413741f));
  r = hn::MulAdd(r, t, hn::Set(d, -0.284496736f));
  r = hn::MulAdd(r, t, hn::Set(d, 0.254829592f));
  // exp(-x^2): the argument is <= 0, so only its lower end needs keeping
  // in Exp's range (NaN x already makes t, and the result, NaN).
  const V e = hn::Exp(d, hn::Max(hn::Neg(hn::Mul(x, x)), hn::Set(d, -104.0f)));
  const V y = hn::NegMulAdd(hn::Mul(r, t), e, one);
  return hn::CopySign(y, x);
}

}  // namespace tch::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
