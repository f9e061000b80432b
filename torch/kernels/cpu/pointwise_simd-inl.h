// Per-target SIMD bodies of the hot float32 pointwise kernels (relu, gelu,
// silu, sigmoid, tanh, exp, log). Compiled once per Highway target by
// hwy/foreach_target.h from pointwise_kernels.cc, which dispatches at run
// time (HWY_DYNAMIC_DISPATCH); nothing else includes this file.
//
// The math helpers (ExpF, LogF, TanhF, SigmoidF, ErfF) live in
// simd_math-inl.h, shared with the activation backward kernels.

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

#include "hwy/highway.h"
#include "torch/kernels/cpu/simd_math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tch::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

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
