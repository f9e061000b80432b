// CPU kernels for fill, copy (with dtype conversion), arange and the four
// arithmetic ops. Registered into core's dispatch table at load time; this
// library is linked with alwayslink so the registrations are never dropped.
//
// Note [float32 arithmetic multiversioning]
// add/sub/mul/div on float32 are the hottest loops of training. This library
// has no Highway dependency (its BUILD block is shared), so their contiguous
// runs are compiled three times with target attributes (AVX-512F, AVX2,
// baseline) from one body written with GCC/Clang vector extensions, and the
// widest variant the CPU supports is picked once (GetCpuFeatures()).
#include <cstring>
#include <type_traits>

#include "torch/core/cpu_features.h"
#include "torch/core/dispatch.h"
#include "torch/core/elementwise.h"
#include "torch/kernels/cpu/loops.h"

namespace tch::cpu {
namespace {

// --- float32 SIMD arithmetic (see the Note above) ---------------------------

enum class Arith { kAdd, kSub, kMul, kDiv };

// Operand layout of a run: both contiguous, or one a broadcast scalar.
enum class Layout { kBoth, kScalarB, kScalarA };

// out[i] = a[i] op alpha * b[i] (alpha only for add/sub).
using ArithRunFn = void (*)(float* out, const float* a, const float* b,
                            int64_t n, float alpha);

template <Arith kOp>
inline float ApplyArith(float a, float b, float alpha) {
  if constexpr (kOp == Arith::kAdd) return a + b * alpha;
  if constexpr (kOp == Arith::kSub) return a - b * alpha;
  if constexpr (kOp == Arith::kMul) return a * b;
  return a / b;
}

#if defined(__GNUC__) || defined(__clang__)
#define TCH_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define TCH_ALWAYS_INLINE inline
#endif

// The body shared by every ISA variant: 64-byte vectors that each variant
// lowers to its widest registers, then a scalar tail. `out` may equal `a`
// or `b` (in-place ops): each block is loaded before it is stored.
template <Arith kOp, Layout kLayout>
TCH_ALWAYS_INLINE void ArithBody(float* out, const float* a, const float* b,
                                 int64_t n, float alpha) {
  typedef float V __attribute__((vector_size(64)));
  constexpr int64_t kLanes = 16;
  const V va_scalar = V{} + a[0];
  const V vb_scalar = V{} + b[0];
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    V va = va_scalar, vb = vb_scalar;
    if constexpr (kLayout != Layout::kScalarA) std::memcpy(&va, a + i, 64);
    if constexpr (kLayout != Layout::kScalarB) std::memcpy(&vb, b + i, 64);
    V r;  // vectors never cross a call: their ABI differs per target
    if constexpr (kOp == Arith::kAdd) r = va + vb * alpha;
    if constexpr (kOp == Arith::kSub) r = va - vb * alpha;
    if constexpr (kOp == Arith::kMul) r = va * vb;
    if constexpr (kOp == Arith::kDiv) r = va / vb;
    std::memcpy(out + i, &r, 64);
  }
  for (; i < n; ++i) {
    const float x = kLayout == Layout::kScalarA ? a[0] : a[i];
    const float y = kLayout == Layout::kScalarB ? b[0] : b[i];
    out[i] = ApplyArith<kOp>(x, y, alpha);
  }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TCH_ARITH_X86 1
template <Arith kOp, Layout kLayout>
__attribute__((target("avx512f"))) void ArithAvx512(float* out, const float* a,
                                                    const float* b, int64_t n,
                                                    float alpha) {
  ArithBody<kOp, kLayout>(out, a, b, n, alpha);
}
template <Arith kOp, Layout kLayout>
__attribute__((target("avx2"))) void ArithAvx2(float* out, const float* a,
                                               const float* b, int64_t n,
                                               float alpha) {
  ArithBody<kOp, kLayout>(out, a, b, n, alpha);
}
#endif
template <Arith kOp, Layout kLayout>
void ArithBaseline(float* out, const float* a, const float* b, int64_t n,
                   float alpha) {
  ArithBody<kOp, kLayout>(out, a, b, n, alpha);
}

template <Arith kOp, Layout kLayout>
ArithRunFn PickArith() {
#ifdef TCH_ARITH_X86
  const CpuFeatures& cpu = GetCpuFeatures();
  if (cpu.avx512f) return &ArithAvx512<kOp, kLayout>;
  if (cpu.avx2) return &ArithAvx2<kOp, kLayout>;
#endif
  return &ArithBaseline<kOp, kLayout>;
}

// out = a op alpha * b over a float32 plan: SIMD for contiguous runs and
// runs with one broadcast scalar, scalar code for other strides.
template <Arith kOp>
void ArithF32(const ElementwisePlan& plan, float alpha) {
  static const ArithRunFn both = PickArith<kOp, Layout::kBoth>();
  static const ArithRunFn scalar_b = PickArith<kOp, Layout::kScalarB>();
  static const ArithRunFn scalar_a = PickArith<kOp, Layout::kScalarA>();
  ParallelRuns(plan, [&](char* const* ptrs, const int64_t* strides, int64_t n) {
    float* out = reinterpret_cast<float*>(ptrs[0]);
    const float* a = reinterpret_cast<const float*>(ptrs[1]);
    const float* b = reinterpret_cast<const float*>(ptrs[2]);
    if (strides[0] == 4 && strides[1] == 4 && strides[2] == 4) {
      both(out, a, b, n, alpha);
    } else if (strides[0] == 4 && strides[1] == 4 && strides[2] == 0) {
      scalar_b(out, a, b, n, alpha);
    } else if (strides[0] == 4 && strides[1] == 0 && strides[2] == 4) {
      scalar_a(out, a, b, n, alpha);
    } else {
      for (int64_t i = 0; i < n; ++i) {
        *reinterpret_cast<float*>(ptrs[0] + i * strides[0]) = ApplyArith<kOp>(
            *reinterpret_cast<const float*>(ptrs[1] + i * strides[1]),
            *reinterpret_cast<const float*>(ptrs[2] + i * strides[2]), alpha);
      }
    }
  });
}

// --- Kernels
// ------------------------------------------------------------------

template <typename T>
void FillKernel(const ElementwisePlan& plan) {
  const T value = plan.args[0].to<T>();
  NullaryLoop<T>(plan, [value] { return value; });
}

// Converts one element between any two dtypes, as static_cast would, via
// float for the 16-bit types and with bool as "!= 0".
template <typename To, typename From>
To Convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return static_cast<OpMath<From>>(v) != OpMath<From>(0);
  } else if constexpr (std::is_same_v<From, Float16> ||
                       std::is_same_v<From, BFloat16>) {
    return static_cast<To>(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, Float16> ||
                       std::is_same_v<To, BFloat16>) {
    return To(static_cast<float>(v));
  } else {
    return static_cast<To>(v);
  }
}

template <typename Out>
void CopyKernel(const ElementwisePlan& plan) {
  VisitDType(plan.dtypes[1], [&]<typename In>() {
    UnaryLoop<Out, In>(plan, [](In v) { return Convert<Out>(v); });
  });
}

template <typename T>
void ArangeKernel(const ElementwisePlan& plan) {
  // Computed in double from the index, so long ranges do not drift.
  const double start = plan.args[0].to<double>();
  const double step = plan.args[1].to<double>();
  T* out = reinterpret_cast<T*>(plan.data[0]);
  for (int64_t i = 0; i < plan.numel; ++i) {
    out[i] = T(static_cast<OpMath<T>>(start + static_cast<double>(i) * step));
  }
}

// PyTorch's symmetric rule: the first half counts up from start, the second
// half down from end, so both ends are exact.
template <typename T>
void LinspaceKernel(const ElementwisePlan& plan) {
  const double start = plan.args[0].to<double>();
  const double end = plan.args[1].to<double>();
  const int64_t steps = plan.numel;
  const double step =
      steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  // steps == 1 gives `start` (halfway would be 0 and pick the end branch).
  const int64_t halfway = steps == 1 ? 1 : steps / 2;
  T* out = reinterpret_cast<T*>(plan.data[0]);
  for (int64_t i = 0; i < steps; ++i) {
    const double v = i < halfway
                         ? start + step * static_cast<double>(i)
                         : end - step * static_cast<double>(steps - i - 1);
    out[i] = T(static_cast<OpMath<T>>(v));
  }
}

template <typename T>
void AddKernel(const ElementwisePlan& plan) {
  using M = OpMath<T>;
  const M alpha = plan.args[0].to<M>();
  if constexpr (std::is_same_v<T, float>) {
    return ArithF32<Arith::kAdd>(plan, alpha);
  }
  if (alpha == M(1)) {
    BinaryLoop<T>(plan, [](M a, M b) { return static_cast<M>(a + b); });
  } else {
    BinaryLoop<T>(plan,
                  [alpha](M a, M b) { return static_cast<M>(a + alpha * b); });
  }
}

template <typename T>
void SubKernel(const ElementwisePlan& plan) {
  using M = OpMath<T>;
  const M alpha = plan.args[0].to<M>();
  if constexpr (std::is_same_v<T, float>) {
    return ArithF32<Arith::kSub>(plan, alpha);
  }
  BinaryLoop<T>(plan,
                [alpha](M a, M b) { return static_cast<M>(a - alpha * b); });
}

template <typename T>
void MulKernel(const ElementwisePlan& plan) {
  using M = OpMath<T>;
  if constexpr (std::is_same_v<T, float>) {
    ArithF32<Arith::kMul>(plan, 1.0f);
  } else if constexpr (std::is_same_v<T, bool>) {
    BinaryLoop<T>(plan, [](bool a, bool b) { return a && b; });
  } else {
    BinaryLoop<T>(plan, [](M a, M b) { return static_cast<M>(a * b); });
  }
}

template <typename T>
void DivKernel(const ElementwisePlan& plan) {
  using M = OpMath<T>;
  if constexpr (std::is_same_v<T, float>) {
    return ArithF32<Arith::kDiv>(plan, 1.0f);
  }
  BinaryLoop<T>(plan, [](M a, M b) { return static_cast<M>(a / b); });
}

[[maybe_unused]] const bool kRegistered = [] {
  RegisterEach("fill", AllDTypes(),
               []<typename T>() { return &FillKernel<T>; });
  RegisterEach("copy", AllDTypes(),
               []<typename T>() { return &CopyKernel<T>; });
  RegisterEach("arange", NumericDTypes(),
               []<typename T>() { return &ArangeKernel<T>; });
  RegisterEach("linspace", NumericDTypes(),
               []<typename T>() { return &LinspaceKernel<T>; });
  RegisterEach("add", AllDTypes(), []<typename T>() { return &AddKernel<T>; });
  RegisterEach("sub", NumericDTypes(),
               []<typename T>() { return &SubKernel<T>; });
  RegisterEach("mul", AllDTypes(), []<typename T>() { return &MulKernel<T>; });
  RegisterEach("div", FloatingDTypes(),
               []<typename T>() { return &DivKernel<T>; });
  return true;
}();

}  // namespace
}  // namespace tch::cpu
