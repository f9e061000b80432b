// CPU kernels for the pointwise ops of torch/core/pointwise_ops.h.
//
// Layout: scalar functors (one per op, the reference semantics, used for
// every dtype and for strided runs), the loops that apply them, the float32
// SIMD fast paths (Highway, runtime dispatch; bodies in
// pointwise_simd-inl.h), and the registration table at the bottom.
//
// 16-bit floats compute in float (OpMath) and round once; integer ops use
// unsigned arithmetic where C++ would overflow, so they wrap like PyTorch.

// Highway: compile pointwise_simd-inl.h once per target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "torch/kernels/cpu/pointwise_simd-inl.h"
#include "hwy/foreach_target.h"  // must precede highway.h
#include "hwy/highway.h"
#include "torch/kernels/cpu/pointwise_simd-inl.h"

#if HWY_ONCE

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <type_traits>

#include "torch/core/dispatch.h"
#include "torch/core/error.h"
#include "torch/core/pointwise_ops.h"
#include "torch/kernels/cpu/loops.h"

namespace tch::cpu {

HWY_EXPORT(SimdUnaryF32);

namespace {

// Transcendental ops cost ~10x an add per element: split them sooner.
constexpr int64_t kMathGrain = 4096;

template <typename T>
using Unsigned = std::make_unsigned_t<T>;

// --- Loops
// --------------------------------------------------------------------

// out = T(f(M(x))) with everything of dtype T.
template <typename T, typename F>
void Unary(const ElementwisePlan& plan, F f,
           int64_t grain = kElementwiseGrainSize) {
  using M = OpMath<T>;
  MapLoop<T, T>(
      plan, [f](T a) { return T(f(M(a))); }, grain);
}

template <typename T, typename F>
void Binary(const ElementwisePlan& plan, F f,
            int64_t grain = kElementwiseGrainSize) {
  using M = OpMath<T>;
  MapLoop<T, T, T>(
      plan, [f](T a, T b) { return T(f(M(a), M(b))); }, grain);
}

template <typename T, typename F>
void Ternary(const ElementwisePlan& plan, F f) {
  using M = OpMath<T>;
  MapLoop<T, T, T, T>(plan,
                      [f](T a, T b, T c) { return T(f(M(a), M(b), M(c))); });
}

// Unary float op with a float32 SIMD path for contiguous runs.
template <typename T, typename F>
void UnaryMath(const ElementwisePlan& plan, int simd_kind, F f) {
  if constexpr (std::is_same_v<T, float>) {
    if (simd_kind >= 0) {
      const auto simd = HWY_DYNAMIC_DISPATCH(SimdUnaryF32);
      ParallelRuns(
          plan,
          [&](char* const* ptrs, const int64_t* strides, int64_t n) {
            if (strides[0] == 4 && strides[1] == 4) {
              simd(simd_kind, reinterpret_cast<const float*>(ptrs[1]),
                   reinterpret_cast<float*>(ptrs[0]), n);
              return;
            }
            for (int64_t i = 0; i < n; ++i) {
              *reinterpret_cast<float*>(ptrs[0] + i * strides[0]) =
                  f(*reinterpret_cast<const float*>(ptrs[1] + i * strides[1]));
            }
          },
          kMathGrain);
      return;
    }
  }
  Unary<T>(plan, f, kMathGrain);
}

// --- Scalar functors
// ------------------------------------------------------------

template <typename M>
M Neg(M a) {
  if constexpr (std::is_integral_v<M>) {
    return static_cast<M>(Unsigned<M>(0) - static_cast<Unsigned<M>>(a));
  } else {
    return -a;
  }
}

template <typename M>
M Abs(M a) {
  if constexpr (std::is_unsigned_v<M>) {
    return a;
  } else if constexpr (std::is_integral_v<M>) {
    return a < 0 ? Neg(a) : a;
  } else {
    return std::fabs(a);
  }
}

template <typename M>
M Sign(M a) {
  if constexpr (std::is_same_v<M, bool> || std::is_unsigned_v<M>) {
    return a > M(0) ? M(1) : M(0);
  } else {
    return static_cast<M>((M(0) < a) - (a < M(0)));  // NaN -> 0
  }
}

template <typename M>
M Square(M a) {
  if constexpr (std::is_integral_v<M>) {
    return static_cast<M>(static_cast<Unsigned<M>>(a) *
                          static_cast<Unsigned<M>>(a));
  } else {
    return a * a;
  }
}

template <typename M>
M Sigmoid(M x) {
  return M(1) / (M(1) + std::exp(-x));
}

template <typename M>
M GeluErf(M x) {
  return x * M(0.5) * (M(1) + std::erf(x * M(M_SQRT1_2)));
}

template <typename M>
M GeluTanh(M x) {
  const M beta = M(M_SQRT2 * M_2_SQRTPI * 0.5);
  const M inner = beta * (x + M(0.044715) * x * x * x);
  return M(0.5) * x * (M(1) + std::tanh(inner));
}

// Integer division by zero is a user error (PyTorch's ZeroDivisionError).
// The loops run under `omp simd` (loops.h), which must not throw, so the
// integer functors below assume b != 0 and DivisionKernel checks around them.
template <typename M>
M Remainder(M a, M b) {
  if constexpr (std::is_floating_point_v<M>) {
    M mod = std::fmod(a, b);
    if (mod != 0 && ((b < 0) != (mod < 0))) mod += b;
    return mod;
  } else if constexpr (std::is_unsigned_v<M>) {
    return static_cast<M>(a % b);
  } else {
    if (b == M(-1)) return 0;
    M r = static_cast<M>(a % b);
    if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<M>(r + b);
    return r;
  }
}

template <typename M>
M DivTrunc(M a, M b) {
  if constexpr (std::is_floating_point_v<M>) {
    return std::trunc(a / b);
  } else {
    if constexpr (std::is_signed_v<M>) {
      if (b == M(-1)) return Neg(a);
    }
    return static_cast<M>(a / b);
  }
}

template <typename M>
M DivFloor(M a, M b) {
  if constexpr (std::is_floating_point_v<M>) {
    if (b == 0) return a / b;  // IEEE result: +-inf or NaN
    const M mod = std::fmod(a, b);
    M div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0))) div -= M(1);
    if (div == 0) return std::copysign(M(0), a / b);
    M floordiv = std::floor(div);
    if (div - floordiv > M(0.5)) floordiv += M(1);
    return floordiv;
  } else {
    if constexpr (std::is_signed_v<M>) {
      if (b == M(-1)) return Neg(a);
      M q = static_cast<M>(a / b);
      if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
      return q;
    } else {
      return static_cast<M>(a / b);
    }
  }
}

// Integer power as PyTorch computes it: negative exponents give 0 except for
// bases 1 and -1; wraps on overflow.
template <typename M>
M PowInt(M base, M exp) {
  if constexpr (std::is_signed_v<M>) {
    if (exp < 0) {
      if (base == 1) return 1;
      if (base == -1) return (exp & 1) ? M(-1) : M(1);
      return 0;
    }
  }
  Unsigned<M> result = 1, b = static_cast<Unsigned<M>>(base);
  while (exp != 0) {
    if (exp & 1) result = static_cast<Unsigned<M>>(result * b);
    b = static_cast<Unsigned<M>>(b * b);
    exp = static_cast<M>(exp >> 1);
  }
  return static_cast<M>(result);
}

template <typename M>
M Pow(M a, M b) {
  if constexpr (std::is_floating_point_v<M>) {
    return std::pow(a, b);
  } else {
    return PowInt(a, b);
  }
}

template <typename M>
M Maximum(M a, M b) {
  if constexpr (std::is_floating_point_v<M>) {
    if (std::isnan(a)) return a;
    if (std::isnan(b)) return b;
  }
  return a < b ? b : a;
}

template <typename M>
M Minimum(M a, M b) {
  if constexpr (std::is_floating_point_v<M>) {
    if (std::isnan(a)) return a;
    if (std::isnan(b)) return b;
  }
  return b < a ? b : a;
}

// min(max(x, lo), hi) with NaN x propagating; lo > hi gives hi.
template <typename M>
M Clamp(M x, M lo, M hi) {
  if constexpr (std::is_floating_point_v<M>) {
    if (std::isnan(x)) return x;
  }
  const M r = x < lo ? lo : x;
  return r > hi ? hi : r;
}

template <typename M>
M Lerp(M start, M end, M weight) {
  return std::abs(weight) < M(0.5) ? start + weight * (end - start)
                                   : end - (end - start) * (M(1) - weight);
}

// --- Kernels
// ----------------------------------------------------------------------

template <typename T>
void NegKernel(const ElementwisePlan& plan) {
  Unary<T>(plan, [](auto a) { return Neg(a); });
}
template <typename T>
void AbsKernel(const ElementwisePlan& plan) {
  Unary<T>(plan, [](auto a) { return Abs(a); });
}
template <typename T>
void SignKernel(const ElementwisePlan& plan) {
  Unary<T>(plan, [](auto a) { return Sign(a); });
}
template <typename T>
void SquareKernel(const ElementwisePlan& plan) {
  Unary<T>(plan, [](auto a) { return Square(a); });
}
template <typename T>
void ReluKernel(const ElementwisePlan& plan) {
  using M = OpMath<T>;
  const auto relu = [](M a) { return a < M(0) ? M(0) : a; };
  if constexpr (std::is_same_v<T, float>) {
    UnaryMath<T>(plan, kSimdRelu, relu);
  } else {
    Unary<T>(plan, relu);
  }
}

// Float math ops: `simd` is the float32 SIMD kind, or -1 for none.
#define TCH_FLOAT_UNARY_KERNEL(Name, simd, expr)             \
  template <typename T>                                      \
  void Name(const ElementwisePlan& plan) {                   \
    using M = OpMath<T>;                                     \
    UnaryMath<T>(plan, simd, [](M x) -> M { return expr; }); \
  }
TCH_FLOAT_UNARY_KERNEL(ExpKernel, kSimdExp, std::exp(x))
TCH_FLOAT_UNARY_KERNEL(Expm1Kernel, -1, std::expm1(x))
TCH_FLOAT_UNARY_KERNEL(LogKernel, kSimdLog, std::log(x))
TCH_FLOAT_UNARY_KERNEL(Log1pKernel, -1, std::log1p(x))
TCH_FLOAT_UNARY_KERNEL(Log2Kernel, -1, std::log2(x))
TCH_FLOAT_UNARY_KERNEL(SqrtKernel, -1, std::sqrt(x))
TCH_FLOAT_UNARY_KERNEL(RsqrtKernel, -1, M(1) / std::sqrt(x))
TCH_FLOAT_UNARY_KERNEL(ReciprocalKernel, -1, M(1) / x)
TCH_FLOAT_UNARY_KERNEL(SinKernel, -1, std::sin(x))
TCH_FLOAT_UNARY_KERNEL(CosKernel, -1, std::cos(x))
TCH_FLOAT_UNARY_KERNEL(TanhKernel, kSimdTanh, std::tanh(x))
TCH_FLOAT_UNARY_KERNEL(SigmoidKernel, kSimdSigmoid, Sigmoid(x))
TCH_FLOAT_UNARY_KERNEL(ErfKernel, -1, std::erf(x))
TCH_FLOAT_UNARY_KERNEL(SiluKernel, kSimdSilu, x / (M(1) + std::exp(-x)))
TCH_FLOAT_UNARY_KERNEL(FloorKernel, -1, std::floor(x))
TCH_FLOAT_UNARY_KERNEL(CeilKernel, -1, std::ceil(x))
TCH_FLOAT_UNARY_KERNEL(RoundKernel, -1, std::nearbyint(x))
TCH_FLOAT_UNARY_KERNEL(TruncKernel, -1, std::trunc(x))
#undef TCH_FLOAT_UNARY_KERNEL

template <typename T>
void GeluKernel(const ElementwisePlan& plan) {
  using M = OpMath<T>;
  if (plan.args[0].to<int64_t>() == 1) {
    UnaryMath<T>(plan, kSimdGeluTanh, [](M x) { return GeluTanh(x); });
  } else {
    UnaryMath<T>(plan, kSimdGeluErf, [](M x) { return GeluErf(x); });
  }
}

template <typename T>
void SoftplusKernel(const ElementwisePlan& plan) {
  using M = OpMath<T>;
  const M beta = plan.args[0].to<M>();
  const M threshold = plan.args[1].to<M>();
  Unary<T>(
      plan,
      [beta, threshold](M x) {
        return x * beta > threshold ? x : std::log1p(std::exp(x * beta)) / beta;
      },
      kMathGrain);
}

template <typename T, typename F>
void Classify(const ElementwisePlan& plan, F f) {
  using M = OpMath<T>;
  MapLoop<bool, T>(plan, [f](T a) { return f(M(a)); });
}
template <typename T>
void IsnanKernel(const ElementwisePlan& plan) {
  Classify<T>(plan, [](auto a) { return std::isnan(a); });
}
template <typename T>
void IsinfKernel(const ElementwisePlan& plan) {
  Classify<T>(plan, [](auto a) { return std::isinf(a); });
}
template <typename T>
void IsfiniteKernel(const ElementwisePlan& plan) {
  Classify<T>(plan, [](auto a) { return std::isfinite(a); });
}

template <typename T>
void NanToNumKernel(const ElementwisePlan& plan, double nan, double posinf,
                    double neginf) {
  using M = OpMath<T>;
  const M n = M(nan), p = M(posinf), q = M(neginf);
  Unary<T>(plan, [n, p, q](M x) {
    if (std::isnan(x)) return n;
    if (std::isinf(x)) return x > 0 ? p : q;
    return x;
  });
}

// a op b, where integer b == 0 throws ValueError after the loop (see the
// note above Remainder).
template <typename T, typename F>
void DivisionKernel(const ElementwisePlan& plan, const char* op, F f) {
  if constexpr (std::is_integral_v<T>) {
    std::atomic<bool> zero{false};
    Binary<T>(plan, [f, &zero](T a, T b) {
      if (b == T(0)) {
        zero.store(true, std::memory_order_relaxed);
        return T(0);
      }
      return f(a, b);
    });
    TCH_CHECK(!zero.load(), op,
              ": ZeroDivisionError (integer division by zero)");
  } else {
    Binary<T>(plan, f);
  }
}
template <typename T>
void RemainderKernel(const ElementwisePlan& plan) {
  DivisionKernel<T>(plan, "remainder",
                    [](auto a, auto b) { return Remainder(a, b); });
}
template <typename T>
void DivTruncKernel(const ElementwisePlan& plan) {
  DivisionKernel<T>(plan, "div", [](auto a, auto b) { return DivTrunc(a, b); });
}
template <typename T>
void DivFloorKernel(const ElementwisePlan& plan) {
  DivisionKernel<T>(plan, "div", [](auto a, auto b) { return DivFloor(a, b); });
}
template <typename T>
void MaximumKernel(const ElementwisePlan& plan) {
  Binary<T>(plan, [](auto a, auto b) { return Maximum(a, b); });
}
template <typename T>
void MinimumKernel(const ElementwisePlan& plan) {
  Binary<T>(plan, [](auto a, auto b) { return Minimum(a, b); });
}
template <typename T>
void PowKernel(const ElementwisePlan& plan) {
  Binary<T>(
      plan, [](auto a, auto b) { return Pow(a, b); }, kMathGrain);
}

// Tensor ** Scalar, with PyTorch's fast paths for common exponents.
template <typename T>
void PowScalarKernel(const ElementwisePlan& plan) {
  using M = OpMath<T>;
  if constexpr (std::is_floating_point_v<M>) {
    const M e = plan.args[0].to<M>();
    if (e == M(2)) return Unary<T>(plan, [](M x) { return x * x; });
    if (e == M(3)) return Unary<T>(plan, [](M x) { return x * x * x; });
    if (e == M(1)) return Unary<T>(plan, [](M x) { return x; });
    if (e == M(0.5)) return Unary<T>(plan, [](M x) { return std::sqrt(x); });
    if (e == M(-0.5)) {
      return Unary<T>(plan, [](M x) { return M(1) / std::sqrt(x); });
    }
    if (e == M(-1)) return Unary<T>(plan, [](M x) { return M(1) / x; });
    if (e == M(-2)) return Unary<T>(plan, [](M x) { return M(1) / (x * x); });
    Unary<T>(
        plan, [e](M x) { return std::pow(x, e); }, kMathGrain);
  } else {
    const M e = plan.args[0].to<M>();
    Unary<T>(plan, [e](M x) { return PowInt(x, e); });
  }
}

template <typename T, typename F>
void CompareLoop(const ElementwisePlan& plan, F f) {
  using M = OpMath<T>;
  MapLoop<bool, T, T>(plan, [f](T a, T b) { return f(M(a), M(b)); });
}
template <typename T>
void EqKernel(const ElementwisePlan& p) {
  CompareLoop<T>(p, [](auto a, auto b) { return a == b; });
}
template <typename T>
void NeKernel(const ElementwisePlan& p) {
  CompareLoop<T>(p, [](auto a, auto b) { return a != b; });
}
template <typename T>
void LtKernel(const ElementwisePlan& p) {
  CompareLoop<T>(p, [](auto a, auto b) { return a < b; });
}
template <typename T>
void LeKernel(const ElementwisePlan& p) {
  CompareLoop<T>(p, [](auto a, auto b) { return a <= b; });
}
template <typename T>
void GtKernel(const ElementwisePlan& p) {
  CompareLoop<T>(p, [](auto a, auto b) { return a > b; });
}
template <typename T>
void GeKernel(const ElementwisePlan& p) {
  CompareLoop<T>(p, [](auto a, auto b) { return a >= b; });
}

// Logical ops take inputs of any dtype: nonzero (and NaN) is true.
template <typename A, typename B, typename F>
void LogicalLoop(const ElementwisePlan& plan, F f) {
  MapLoop<bool, A, B>(plan, [f](A a, B b) {
    return f(OpMath<A>(a) != OpMath<A>(0), OpMath<B>(b) != OpMath<B>(0));
  });
}
template <typename F>
void LogicalDispatch(const ElementwisePlan& plan, F f) {
  VisitDType(plan.dtypes[1], [&]<typename A>() {
    VisitDType(plan.dtypes[2],
               [&]<typename B>() { LogicalLoop<A, B>(plan, f); });
  });
}
void LogicalAndKernel(const ElementwisePlan& p) {
  LogicalDispatch(p, [](bool a, bool b) { return a && b; });
}
void LogicalOrKernel(const ElementwisePlan& p) {
  LogicalDispatch(p, [](bool a, bool b) { return a || b; });
}
void LogicalXorKernel(const ElementwisePlan& p) {
  LogicalDispatch(p, [](bool a, bool b) { return a != b; });
}
void LogicalNotKernel(const ElementwisePlan& plan) {
  VisitDType(plan.dtypes[1], [&]<typename A>() {
    MapLoop<bool, A>(plan, [](A a) { return OpMath<A>(a) == OpMath<A>(0); });
  });
}

template <typename T>
void WhereKernel(const ElementwisePlan& plan) {
  MapLoop<T, bool, T, T>(plan, [](bool c, T a, T b) { return c ? a : b; });
}

template <typename T>
void ClampKernel(const ElementwisePlan& plan) {
  using M = OpMath<T>;
  const M lo = plan.args[0].to<M>(), hi = plan.args[1].to<M>();
  Unary<T>(plan, [lo, hi](M x) { return Clamp(x, lo, hi); });
}
template <typename T>
void ClampMinKernel(const ElementwisePlan& plan) {
  using M = OpMath<T>;
  const M lo = plan.args[0].to<M>();
  Unary<T>(plan, [lo](M x) {
    if constexpr (std::is_floating_point_v<M>) {
      if (std::isnan(x)) return x;
    }
    return x < lo ? lo : x;
  });
}
template <typename T>
void ClampMaxKernel(const ElementwisePlan& plan) {
  using M = OpMath<T>;
  const M hi = plan.args[0].to<M>();
  Unary<T>(plan, [hi](M x) {
    if constexpr (std::is_floating_point_v<M>) {
      if (std::isnan(x)) return x;
    }
    return x > hi ? hi : x;
  });
}
// Tensor bounds: a NaN bound gives NaN (PyTorch 1.13's clamp_kernel_impl).
template <typename T>
void ClampTensorKernel(const ElementwisePlan& plan) {
  Ternary<T>(plan, [](auto x, auto lo, auto hi) {
    using M = decltype(x);
    if constexpr (std::is_floating_point_v<M>) {
      if (std::isnan(lo) || std::isnan(hi)) {
        return std::numeric_limits<M>::quiet_NaN();
      }
    }
    return Clamp(x, lo, hi);
  });
}

template <typename T>
void LerpScalarKernel(const ElementwisePlan& plan) {
  using M = OpMath<T>;
  const M w = plan.args[0].to<M>();
  Binary<T>(plan, [w](M a, M b) { return Lerp(a, b, w); });
}
template <typename T>
void LerpTensorKernel(const ElementwisePlan& plan) {
  Ternary<T>(plan, [](auto a, auto b, auto w) { return Lerp(a, b, w); });
}

template <typename T>
void AddcmulKernel(const ElementwisePlan& plan) {
  using M = OpMath<T>;
  const M v = plan.args[0].to<M>();
  Ternary<T>(plan, [v](M s, M a, M b) { return s + v * a * b; });
}
template <typename T>
void AddcdivKernel(const ElementwisePlan& plan) {
  using M = OpMath<T>;
  const M v = plan.args[0].to<M>();
  Ternary<T>(plan, [v](M s, M a, M b) { return s + v * a / b; });
}

// --- Registration
// ---------------------------------------------------------------------

enum class DTypeSet { kAll, kNumeric, kFloating };

std::vector<DType> DTypesOf(DTypeSet set) {
  switch (set) {
    case DTypeSet::kNumeric:
      return NumericDTypes();
    case DTypeSet::kFloating:
      return FloatingDTypes();
    case DTypeSet::kAll:
      break;
  }
  return AllDTypes();
}

template <DTypeSet kSet, typename T>
constexpr bool InSet() {
  if constexpr (kSet == DTypeSet::kFloating) {
    return std::is_floating_point_v<OpMath<T>>;
  } else if constexpr (kSet == DTypeSet::kNumeric) {
    return !std::is_same_v<T, bool>;
  }
  return true;
}

// Registers pick.operator()<T>() for each dtype of `set`; pick instantiates
// the kernel template only for the dtypes in the set.
template <typename Pick>
void RegisterEach(const char* op, DTypeSet set, Pick pick) {
  for (DType dtype : DTypesOf(set)) {
    VisitDType(dtype, [&]<typename T>() {
      KernelRegistrar(op, DeviceType::kCpu, {dtype},
                      pick.template operator()<T>());
    });
  }
}

#define TCH_REGISTER(op, set, Kernel)                         \
  RegisterEach(op, DTypeSet::set,                             \
               []<typename T>() -> decltype(&Kernel<float>) { \
                 if constexpr (InSet<DTypeSet::set, T>()) {   \
                   return &Kernel<T>;                         \
                 } else {                                     \
                   return nullptr;                            \
                 }                                            \
               })

[[maybe_unused]] const bool kRegistered = [] {
  TCH_REGISTER("neg", kNumeric, NegKernel);
  TCH_REGISTER("abs", kNumeric, AbsKernel);
  TCH_REGISTER("sign", kAll, SignKernel);
  TCH_REGISTER("square", kNumeric, SquareKernel);
  TCH_REGISTER("relu", kNumeric, ReluKernel);
  TCH_REGISTER("exp", kFloating, ExpKernel);
  TCH_REGISTER("expm1", kFloating, Expm1Kernel);
  TCH_REGISTER("log", kFloating, LogKernel);
  TCH_REGISTER("log1p", kFloating, Log1pKernel);
  TCH_REGISTER("log2", kFloating, Log2Kernel);
  TCH_REGISTER("sqrt", kFloating, SqrtKernel);
  TCH_REGISTER("rsqrt", kFloating, RsqrtKernel);
  TCH_REGISTER("reciprocal", kFloating, ReciprocalKernel);
  TCH_REGISTER("sin", kFloating, SinKernel);
  TCH_REGISTER("cos", kFloating, CosKernel);
  TCH_REGISTER("tanh", kFloating, TanhKernel);
  TCH_REGISTER("sigmoid", kFloating, SigmoidKernel);
  TCH_REGISTER("erf", kFloating, ErfKernel);
  TCH_REGISTER("gelu", kFloating, GeluKernel);
  TCH_REGISTER("silu", kFloating, SiluKernel);
  TCH_REGISTER("softplus", kFloating, SoftplusKernel);
  TCH_REGISTER("floor", kFloating, FloorKernel);
  TCH_REGISTER("ceil", kFloating, CeilKernel);
  TCH_REGISTER("round", kFloating, RoundKernel);
  TCH_REGISTER("trunc", kFloating, TruncKernel);
  TCH_REGISTER("isnan", kFloating, IsnanKernel);
  TCH_REGISTER("isinf", kFloating, IsinfKernel);
  TCH_REGISTER("isfinite", kFloating, IsfiniteKernel);
  TCH_REGISTER("nan_to_num", kFloating, NanToNumKernel);
  TCH_REGISTER("remainder", kNumeric, RemainderKernel);
  TCH_REGISTER("pow", kNumeric, PowKernel);
  TCH_REGISTER("pow_scalar", kNumeric, PowScalarKernel);
  TCH_REGISTER("maximum", kAll, MaximumKernel);
  TCH_REGISTER("minimum", kAll, MinimumKernel);
  TCH_REGISTER("div_trunc", kNumeric, DivTruncKernel);
  TCH_REGISTER("div_floor", kNumeric, DivFloorKernel);
  TCH_REGISTER("eq", kAll, EqKernel);
  TCH_REGISTER("ne", kAll, NeKernel);
  TCH_REGISTER("lt", kAll, LtKernel);
  TCH_REGISTER("le", kAll, LeKernel);
  TCH_REGISTER("gt", kAll, GtKernel);
  TCH_REGISTER("ge", kAll, GeKernel);
  TCH_REGISTER("where", kAll, WhereKernel);
  TCH_REGISTER("clamp", kNumeric, ClampKernel);
  TCH_REGISTER("clamp_min", kNumeric, ClampMinKernel);
  TCH_REGISTER("clamp_max", kNumeric, ClampMaxKernel);
  TCH_REGISTER("clamp_tensor", kNumeric, ClampTensorKernel);
  TCH_REGISTER("lerp_scalar", kFloating, LerpScalarKernel);
  TCH_REGISTER("lerp_tensor", kFloating, LerpTensorKernel);
  TCH_REGISTER("addcmul", kNumeric, AddcmulKernel);
  TCH_REGISTER("addcdiv", kFloating, AddcdivKernel);
  // Logical kernels read any input dtype (plan.dtypes) and write bool.
  const KernelRegistrar logical_and("logical_and", DeviceType::kCpu,
                                    {DType::kBool}, &LogicalAndKernel);
  const KernelRegistrar logical_or("logical_or", DeviceType::kCpu,
                                   {DType::kBool}, &LogicalOrKernel);
  const KernelRegistrar logical_xor("logical_xor", DeviceType::kCpu,
                                    {DType::kBool}, &LogicalXorKernel);
  const KernelRegistrar logical_not("logical_not", DeviceType::kCpu,
                                    {DType::kBool}, &LogicalNotKernel);
  return true;
}();
#undef TCH_REGISTER

}  // namespace
}  // namespace tch::cpu

#endif  // HWY_ONCE
