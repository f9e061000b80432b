// Per-target SIMD bodies of the fused float32 activation backward kernels
// (threshold/relu, sigmoid, tanh, silu, gelu): one pass that reads the
// incoming gradient and the saved input or output and writes grad_input.
// Compiled once per Highway target by hwy/foreach_target.h from
// activation_backward_kernels.cc, which dispatches at run time; nothing else
// includes this file.
//
// Formulas are PyTorch 1.13's (BinaryOpsKernel.cpp, Activation.cpp); the
// scalar twins in activation_backward_kernels.cc are the reference.

// Target-independent declarations (ordinary include guard).
#ifndef TCH_KERNELS_CPU_ACTIVATION_BACKWARD_KINDS_
#define TCH_KERNELS_CPU_ACTIVATION_BACKWARD_KINDS_
namespace tch::cpu {
// Which derivative ActivationBackwardF32 applies. `x` is the op's input for
// silu and gelu, its output for sigmoid and tanh, and the tensor compared
// with the threshold for threshold.
enum ActivationBackwardKind : int {
  kBackwardThreshold = 0,
  kBackwardSigmoid,
  kBackwardTanh,
  kBackwardSilu,
  kBackwardGeluErf,
  kBackwardGeluTanh,
};
}  // namespace tch::cpu
#endif

// Include guard that flips per target (Highway's -inl.h convention).
#if defined(TCH_KERNELS_CPU_ACTIVATION_BACKWARD_INL_H_) == \
    defined(HWY_TARGET_TOGGLE)
#ifdef TCH_KERNELS_CPU_ACTIVATION_BACKWARD_INL_H_
#undef TCH_KERNELS_CPU_ACTIVATION_BACKWARD_INL_H_
#else
#define TCH_KERNELS_CPU_ACTIVATION_BACKWARD_INL_H_
#endif

#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "torch/kernels/cpu/simd_math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tch::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// grad_input for one vector: g is the incoming gradient, x the saved tensor
// (see ActivationBackwardKind), th the threshold.
template <int kKind, class D, class V>
HWY_INLINE V BackwardOf(D d, V g, V x, V th) {
  const V one = hn::Set(d, 1.0f);
  const V half = hn::Set(d, 0.5f);
  if constexpr (kKind == kBackwardThreshold) {
    // x <= th ? 0 : g; a NaN x compares false and passes g.
    return hn::IfThenZeroElse(hn::Le(x, th), g);
  } else if constexpr (kKind == kBackwardSigmoid) {
    return hn::Mul(hn::Mul(g, hn::Sub(one, x)), x);  // g * (1 - y) * y
  } else if constexpr (kKind == kBackwardTanh) {
    return hn::Mul(g, hn::NegMulAdd(x, x, one));  // g * (1 - y * y)
  } else if constexpr (kKind == kBackwardSilu) {
    // s = sigmoid(x); g * s * (1 + x * (1 - s)).
    const V s = SigmoidF(d, x);
    return hn::Mul(hn::Mul(g, s), hn::MulAdd(x, hn::Sub(one, s), one));
  } else if constexpr (kKind == kBackwardGeluErf) {
    // g * (cdf + x * pdf), cdf = (1 + erf(z)) / 2 with z = x / sqrt 2,
    // pdf = exp(-z^2) / sqrt(2 pi). erf is ErfF's Abramowitz & Stegun form,
    // sharing its exp(-z^2) with pdf (one exp instead of two). ExpF maps
    // -inf to 0, so an infinite x gives inf * 0 = NaN, as PyTorch.
    const V z = hn::Mul(x, hn::Set(d, 0.70710678118654752f));
    const V e = ExpF(d, hn::Neg(hn::Mul(z, z)));
    const V t =
        hn::Div(one, hn::MulAdd(hn::Set(d, 0.3275911f), hn::Abs(z), one));
    V r = hn::MulAdd(hn::Set(d, 1.061405429f), t, hn::Set(d, -1.453152027f));
    r = hn::MulAdd(r, t, hn::Set(d, 1.421413741f));
    r = hn::MulAdd(r, t, hn::Set(d, -0.284496736f));
    r = hn::MulAdd(r, t, hn::Set(d, 0.254829592f));
    const V erf = hn::CopySign(hn::NegMulAdd(hn::Mul(r, t), e, one), z);
    const V cdf = hn::Mul(half, hn::Add(one, erf));
    const V pdf = hn::Mul(hn::Set(d, 0.39894228040143268f), e);
    return hn::Mul(g, hn::MulAdd(x, pdf, cdf));
  } else {
    // kBackwardGeluTanh, term by term as PyTorch's gelu_backward.
    const V beta = hn::Set(d, 0.79788456080286536f);  // sqrt(2 / pi)
    const V kappa = hn::Set(d, 0.044715f);
    const V x_sq = hn::Mul(x, x);
    const V inner = hn::Mul(beta, hn::MulAdd(hn::Mul(kappa, x_sq), x, x));
    const V t = TanhF(d, inner);
    const V left_derivative = hn::Mul(half, hn::Add(one, t));
    const V tanh_derivative = hn::NegMulAdd(t, t, one);
    const V inner_derivative =
        hn::Mul(beta, hn::MulAdd(hn::Set(d, 3.0f * 0.044715f), x_sq, one));
    const V right_derivative =
        hn::Mul(hn::Mul(hn::Mul(half, x), tanh_derivative), inner_derivative);
    return hn::Mul(g, hn::Add(left_derivative, right_derivative));
  }
}

template <int kKind>
HWY_INLINE void BackwardMap(const float* g, const float* x, float* out,
                            int64_t n, float threshold) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto th = hn::Set(d, threshold);
  int64_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {  // two vectors in flight
    const auto r0 =
        BackwardOf<kKind>(d, hn::LoadU(d, g + i), hn::LoadU(d, x + i), th);
    const auto r1 = BackwardOf<kKind>(d, hn::LoadU(d, g + i + lanes),
                                      hn::LoadU(d, x + i + lanes), th);
    hn::StoreU(r0, d, out + i);
    hn::StoreU(r1, d, out + i + lanes);
  }
  for (; i + lanes <= n; i += lanes) {
    hn::StoreU(
        BackwardOf<kKind>(d, hn::LoadU(d, g + i), hn::LoadU(d, x + i), th), d,
        out + i);
  }
  if (i < n) {  // the tail through zero-padded buffers
    HWY_ALIGN float gb[HWY_MAX_BYTES / sizeof(float)] = {};
    HWY_ALIGN float xb[HWY_MAX_BYTES / sizeof(float)] = {};
    const size_t rest = static_cast<size_t>(n - i);
    std::memcpy(gb, g + i, rest * sizeof(float));
    std::memcpy(xb, x + i, rest * sizeof(float));
    hn::Store(BackwardOf<kKind>(d, hn::Load(d, gb), hn::Load(d, xb), th), d,
              gb);
    std::memcpy(out + i, gb, rest * sizeof(float));
  }
}

// out[i] = kind'(g[i], x[i]) for n contiguous floats; out may alias g or x.
HWY_NOINLINE void ActivationBackwardF32(int kind, const float* g,
                                        const float* x, float* out, int64_t n,
                                        float threshold) {
  switch (kind) {
    case kBackwardThreshold:
      return BackwardMap<kBackwardThreshold>(g, x, out, n, threshold);
    case kBackwardSigmoid:
      return BackwardMap<kBackwardSigmoid>(g, x, out, n, threshold);
    case kBackwardTanh:
      return BackwardMap<kBackwardTanh>(g, x, out, n, threshold);
    case kBackwardSilu:
      return BackwardMap<kBackwardSilu>(g, x, out, n, threshold);
    case kBackwardGeluErf:
      return BackwardMap<kBackwardGeluErf>(g, x, out, n, threshold);
    case kBackwardGeluTanh:
      return BackwardMap<kBackwardGeluTanh>(g, x, out, n, threshold);
    default:
      break;
  }
}

}  // namespace tch::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
