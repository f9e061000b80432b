// Per-target SIMD bodies of the hot float32 pointwise kernels (relu, gelu,
// silu, sigmoid, tanh, exp, log). Compiled once per Highway target by
// hwy/foreach_target.h from pointwise_kernels.cc, which dispatches at run
// time (HWY_DYNAMIC_DISPATCH); nothing else includes this file.
//
// Highway's math functions have restricted input ranges (Exp: x <= 104,
// Log: x > 0); the wrappers below patch NaN, infinities, zero and negative
// inputs so results match std:: (and PyTorch) on every float.

// Target-independent declarations (ordinary include guard).
#ifndef TCH_KERNELS_CPU_POINTWISE_SIMD_KINDS_
#define TCH_KERNELS_CPU_POINTWISE_SIMD_KINDS_
namespace tch::cpu {
// Which function SimdUnaryF32 applies; shared with pointwise_kernels.cc.
enum SimdUnaryKind : int {
  kSimdRelu = 0,
  kSimdExp,
  kSimdLog,
  kSimdTanh,
  kSimdSigmoid,
  kSimdSilu,
  kSimdGeluErf,
  kSimdGeluTanh,
};

}  // namespace tch::cpu
#endif

// Include guard that flips per target (Highway's -inl.h convention).
#if defined(TCH_KERNELS_CPU_POINTWISE_SIMD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TCH_KERNELS_CPU_POINTWISE_SIMD_INL_H_
#undef TCH_KERNELS_CPU_POINTWISE_SIMD_INL_H_
#else
#define TCH_KERNELS_CPU_POINTWISE_SIMD_INL_H_
#endif

#include <cstdint>
#include <cstring>
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

template <class D, class V>
HWY_INLINE V Apply(D d, int kind, V x) {
  const V half = hn::Set(d, 0.5f);
  const V one = hn::Set(d, 1.0f);
  switch (kind) {
    case kSimdRelu:  // x < 0 ? 0 : x, keeping NaN and -0 like clamp_min
      return hn::IfThenZeroElse(hn::Lt(x, hn::Zero(d)), x);
    case kSimdExp:
      return ExpF(d, x);
    case kSimdLog:
      return LogF(d, x);
    case kSimdTanh:
      return TanhF(d, x);
    case kSimdSigmoid:
      return SigmoidF(d, x);
    case kSimdSilu:
      return hn::Div(x, hn::Add(one, ExpF(d, hn::Neg(x))));
    case kSimdGeluErf: {
      const V erf = ErfF(d, hn::Mul(x, hn::Set(d, 0.70710678118654752f)));
      return hn::Mul(hn::Mul(x, half), hn::Add(one, erf));
    }
    case kSimdGeluTanh: {
      const V x3 = hn::Mul(hn::Mul(x, x), x);
      const V inner = hn::Mul(hn::Set(d, 0.79788456080286536f),
                              hn::MulAdd(hn::Set(d, 0.044715f), x3, x));
      return hn::Mul(hn::Mul(half, x), hn::Add(one, TanhF(d, inner)));
    }
    default:
      return x;
  }
}

template <int kKind>
HWY_INLINE void MapF32(const float* in, float* out, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::StoreU(Apply(d, kKind, hn::LoadU(d, in + i)), d, out + i);
  }
  if (i < n) {  // the tail through a zero-padded buffer
    HWY_ALIGN float buf[HWY_MAX_BYTES / sizeof(float)] = {};
    const size_t rest = static_cast<size_t>(n - i);
    std::memcpy(buf, in + i, rest * sizeof(float));
    hn::Store(Apply(d, kKind, hn::Load(d, buf)), d, buf);
    std::memcpy(out + i, buf, rest * sizeof(float));
  }
}

// out[i] = kind(in[i]) for n contiguous floats; `in` may equal `out`.
HWY_NOINLINE void SimdUnaryF32(int kind, const float* in, float* out,
                               int64_t n) {
  switch (kind) {
    case kSimdRelu:
      return MapF32<kSimdRelu>(in, out, n);
    case kSimdExp:
      return MapF32<kSimdExp>(in, out, n);
    case kSimdLog:
      return MapF32<kSimdLog>(in, out, n);
    case kSimdTanh:
      return MapF32<kSimdTanh>(in, out, n);
    case kSimdSigmoid:
      return MapF32<kSimdSigmoid>(in, out, n);
    case kSimdSilu:
      return MapF32<kSimdSilu>(in, out, n);
    case kSimdGeluErf:
      return MapF32<kSimdGeluErf>(in, out, n);
    case kSimdGeluTanh:
      return MapF32<kSimdGeluTanh>(in, out, n);
    default:
      break;
  }
}

}  // namespace tch::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
