// CPU kernels of the fused activation backward ops of
// torch/core/pointwise_ops.h (threshold_backward, sigmoid_backward,
// tanh_backward, silu_backward, gelu_backward): one pass over the plan
// out = f(grad, x), where x is the saved input or output.
//
// Scalar functors below are the reference semantics (PyTorch 1.13's
// formulas) and serve every dtype and strided runs; contiguous float32 runs
// go through the Highway bodies of activation_backward-inl.h. 16-bit floats
// compute in float and round once.

// Highway: compile activation_backward-inl.h once per target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "torch/kernels/cpu/activation_backward-inl.h"
#include "hwy/foreach_target.h"  // must precede highway.h
#include "hwy/highway.h"
#include "torch/kernels/cpu/activation_backward-inl.h"

#if HWY_ONCE

#include <cmath>
#include <type_traits>

#include "torch/core/dispatch.h"
#include "torch/core/pointwise_ops.h"
#include "torch/kernels/cpu/loops.h"

namespace tch::cpu {

HWY_EXPORT(ActivationBackwardF32);

namespace {

// Transcendental derivatives (silu, gelu) cost ~10x an add per element:
// split them sooner.
constexpr int64_t kMathGrain = 4096;

// grad_input of one element; `x` as in ActivationBackwardKind.
template <int kKind, typename M>
M BackwardOf(M g, M x, M threshold) {
  if constexpr (kKind == kBackwardThreshold) {
    return x <= threshold ? M(0) : g;  // NaN x passes g
  } else if constexpr (kKind == kBackwardSigmoid) {
    return g * (M(1) - x) * x;
  } else if constexpr (kKind == kBackwardTanh) {
    return g * (M(1) - x * x);
  } else if constexpr (kKind == kBackwardSilu) {
    const M s = M(1) / (M(1) + std::exp(-x));
    return g * s * (M(1) + x * (M(1) - s));
  } else if constexpr (kKind == kBackwardGeluErf) {
    const M alpha = M(M_SQRT1_2);
    const M beta = M(M_2_SQRTPI * M_SQRT1_2 * 0.5);
    const M cdf = M(0.5) * (M(1) + std::erf(x * alpha));
    const M pdf = beta * std::exp(x * x * M(-0.5));
    return g * (cdf + x * pdf);
  } else {
    const M beta = M(M_SQRT2 * M_2_SQRTPI * 0.5);
    const M kappa = M(0.044715);
    const M x_sq = x * x;
    const M x_cube = x_sq * x;
    const M inner = beta * (x + kappa * x_cube);
    const M tanh_inner = std::tanh(inner);
    const M left = M(0.5) * x;
    const M right = M(1) + tanh_inner;
    const M left_derivative = M(0.5) * right;
    const M tanh_derivative = M(1) - tanh_inner * tanh_inner;
    const M inner_derivative = beta * (M(1) + M(3) * kappa * x_sq);
    const M right_derivative = left * tanh_derivative * inner_derivative;
    return g * (left_derivative + right_derivative);
  }
}

// Operand 0: grad_input, 1: grad, 2: x; plan.args[0] is the threshold.
template <typename T, int kKind>
void BackwardKernel(const ElementwisePlan& plan) {
  using M = OpMath<T>;
  const M threshold = kKind == kBackwardThreshold ? plan.args[0].to<M>() : M(0);
  const int64_t grain = kKind == kBackwardSilu || kKind == kBackwardGeluErf ||
                                kKind == kBackwardGeluTanh
                            ? kMathGrain
                            : kElementwiseGrainSize;
  if constexpr (std::is_same_v<T, float>) {
    const auto simd = HWY_DYNAMIC_DISPATCH(ActivationBackwardF32);
    ParallelRuns(
        plan,
        [&](char* const* ptrs, const int64_t* strides, int64_t n) {
          if (strides[0] == 4 && strides[1] == 4 && strides[2] == 4) {
            simd(kKind, reinterpret_cast<const float*>(ptrs[1]),
                 reinterpret_cast<const float*>(ptrs[2]),
                 reinterpret_cast<float*>(ptrs[0]), n, threshold);
            return;
          }
          for (int64_t i = 0; i < n; ++i) {
            *reinterpret_cast<float*>(ptrs[0] + i * strides[0]) =
                BackwardOf<kKind>(
                    *reinterpret_cast<const float*>(ptrs[1] + i * strides[1]),
                    *reinterpret_cast<const float*>(ptrs[2] + i * strides[2]),
                    threshold);
          }
        },
        grain);
  } else {
    MapLoop<T, T, T>(
        plan,
        [threshold](T g, T x) {
          return T(BackwardOf<kKind>(M(g), M(x), threshold));
        },
        grain);
  }
}

template <int kKind>
void RegisterBackward(const char* op, const std::vector<DType>& dtypes) {
  RegisterEach(op, dtypes, []<typename T>() -> PointwiseKernel* {
    if constexpr (std::is_same_v<T, bool>) {
      return nullptr;  // never in `dtypes`
    } else if constexpr (kKind != kBackwardThreshold &&
                         !std::is_floating_point_v<OpMath<T>>) {
      return nullptr;
    } else {
      return &BackwardKernel<T, kKind>;
    }
  });
}

[[maybe_unused]] const bool kRegistered = [] {
  RegisterBackward<kBackwardThreshold>("threshold_backward", NumericDTypes());
  RegisterBackward<kBackwardSigmoid>("sigmoid_backward", FloatingDTypes());
  RegisterBackward<kBackwardTanh>("tanh_backward", FloatingDTypes());
  RegisterBackward<kBackwardSilu>("silu_backward", FloatingDTypes());
  RegisterBackward<kBackwardGeluErf>("gelu_backward", FloatingDTypes());
  RegisterBackward<kBackwardGeluTanh>("gelu_tanh_backward", FloatingDTypes());
  return true;
}();

}  // namespace
}  // namespace tch::cpu

#endif  // HWY_ONCE
