// File: torch/kernels/cpu/loops.h
//
// Building blocks for CPU elementwise kernels: walk an ElementwisePlan and
// apply a scalar functor, with a contiguous fast path the compiler
// vectorizes. Used only inside torch/kernels/cpu.
//
// Example (a kernel for out = a * b):
//   template <typename T>
//   void MulKernel(const ElementwisePlan& plan) {
//     BinaryLoop<T>(plan, [](OpMath<T> a, OpMath<T> b) { return a * b; });
//   }
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "torch/core/dispatch.h"
#include "torch/core/elementwise.h"
#include "torch/core/half.h"
#include "torch/core/parallel.h"

// Contiguous inner loops carry TCH_SIMD_LOOP. Under GCC, where
// TCH_OPENMP_SIMD is defined together with -fopenmp-simd (the pointwise
// kernels' copts), it is `#pragma omp simd`: the loop is vectorized whatever
// -O2's cost model says (GCC's -O2 model refuses loops that need alias checks
// or an epilogue). Elementwise ops index every operand with the same i, so an
// output that is also an input (in-place ops) is still safe. Clang vectorizes
// these loops at -O2 by itself (and turns an unvectorizable `omp simd` loop
// into an error under -Werror), so there and elsewhere it is empty.
#if defined(TCH_OPENMP_SIMD) && defined(__GNUC__) && !defined(__clang__)
#define TCH_SIMD_LOOP _Pragma("omp simd")
#else
#define TCH_SIMD_LOOP
#endif

namespace tch::cpu {

// Runs fn over 1-D runs of the plan, split across the thread pool when the
// plan is large enough (see parallel.h for the grain rule).
// `grain` is the smallest chunk worth a thread: lower it for expensive
// per-element work (transcendentals), keep the default for cheap ops.
template <typename Fn>
void ParallelRuns(const ElementwisePlan& plan, Fn&& fn,
                  int64_t grain = kElementwiseGrainSize) {
  ParallelFor(0, plan.numel, grain, [&](int64_t begin, int64_t end) {
    ForEachRun(plan, begin, end, fn);
  });
}

// The type arithmetic happens in: float for the 16-bit float types.
template <typename T>
using OpMath = std::conditional_t<
    std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>, float, T>;

// out[i] = f() for every element of operand 0.
template <typename T, typename F>
void NullaryLoop(const ElementwisePlan& plan, F f) {
  ParallelRuns(plan, [&](char* const* ptrs, const int64_t* strides, int64_t n) {
    if (strides[0] == static_cast<int64_t>(sizeof(T))) {
      T* out = reinterpret_cast<T*>(ptrs[0]);
      for (int64_t i = 0; i < n; ++i) out[i] = T(f());
    } else {
      for (int64_t i = 0; i < n; ++i) {
        *reinterpret_cast<T*>(ptrs[0] + i * strides[0]) = T(f());
      }
    }
  });
}

// out[i] = f(in[i]) with `In` the input's C++ type.
template <typename Out, typename In, typename F>
void UnaryLoop(const ElementwisePlan& plan, F f) {
  ParallelRuns(plan, [&](char* const* ptrs, const int64_t* strides, int64_t n) {
    if (strides[0] == static_cast<int64_t>(sizeof(Out)) &&
        strides[1] == static_cast<int64_t>(sizeof(In))) {
      Out* out = reinterpret_cast<Out*>(ptrs[0]);
      const In* in = reinterpret_cast<const In*>(ptrs[1]);
      for (int64_t i = 0; i < n; ++i) out[i] = f(in[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) {
        *reinterpret_cast<Out*>(ptrs[0] + i * strides[0]) =
            f(*reinterpret_cast<const In*>(ptrs[1] + i * strides[1]));
      }
    }
  });
}

// out[i] = f(a[i], b[i]) with every operand of type T, computing in
// OpMath<T>. Contiguous runs and runs with a broadcast scalar operand get
// loops without stride arithmetic.
template <typename T, typename F>
void BinaryLoop(const ElementwisePlan& plan, F f) {
  using M = OpMath<T>;
  constexpr int64_t kSize = sizeof(T);
  ParallelRuns(plan, [&](char* const* ptrs, const int64_t* strides, int64_t n) {
    T* out = reinterpret_cast<T*>(ptrs[0]);
    const T* a = reinterpret_cast<const T*>(ptrs[1]);
    const T* b = reinterpret_cast<const T*>(ptrs[2]);
    if (strides[0] == kSize && strides[1] == kSize && strides[2] == kSize) {
      for (int64_t i = 0; i < n; ++i) out[i] = T(f(M(a[i]), M(b[i])));
    } else if (strides[0] == kSize && strides[1] == kSize && strides[2] == 0) {
      const M bv = M(*b);
      for (int64_t i = 0; i < n; ++i) out[i] = T(f(M(a[i]), bv));
    } else if (strides[0] == kSize && strides[1] == 0 && strides[2] == kSize) {
      const M av = M(*a);
      for (int64_t i = 0; i < n; ++i) out[i] = T(f(av, M(b[i])));
    } else {
      for (int64_t i = 0; i < n; ++i) {
        *reinterpret_cast<T*>(ptrs[0] + i * strides[0]) =
            T(f(M(*reinterpret_cast<const T*>(ptrs[1] + i * strides[1])),
                M(*reinterpret_cast<const T*>(ptrs[2] + i * strides[2]))));
      }
    }
  });
}

namespace detail {

template <typename Out, typename... Ins, typename F, size_t... I>
inline void MapRun(char* const* ptrs, const int64_t* strides, int64_t n,
                   const F& f, std::index_sequence<I...>) {
  const bool contiguous =
      strides[0] == static_cast<int64_t>(sizeof(Out)) &&
      ((strides[I + 1] == static_cast<int64_t>(sizeof(Ins))) && ...);
  if (contiguous) {
    Out* out = reinterpret_cast<Out*>(ptrs[0]);
    TCH_SIMD_LOOP
    for (int64_t i = 0; i < n; ++i) {
      out[i] = f(reinterpret_cast<const Ins*>(ptrs[I + 1])[i]...);
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    *reinterpret_cast<Out*>(ptrs[0] + i * strides[0]) =
        f(*reinterpret_cast<const Ins*>(ptrs[I + 1] + i * strides[I + 1])...);
  }
}

}  // namespace detail

// out[i] = f(in_0[i], in_1[i], ...) where operand k+1 has C++ type Ins[k]
// and the output Out; f receives the stored types (convert to OpMath inside
// f for the 16-bit floats). Any number of inputs up to the plan's limit.
//
//   MapLoop<bool, float, float>(plan, [](float a, float b) { return a < b; });
template <typename Out, typename... Ins, typename F>
void MapLoop(const ElementwisePlan& plan, F f,
             int64_t grain = kElementwiseGrainSize) {
  ParallelRuns(
      plan,
      [&](char* const* ptrs, const int64_t* strides, int64_t n) {
        detail::MapRun<Out, Ins...>(ptrs, strides, n, f,
                                    std::index_sequence_for<Ins...>{});
      },
      grain);
}

// Registers pick.template operator()<T>() -- a kernel pointer for element
// type T -- as the CPU kernel of `op` for each dtype in `dtypes`. Use with a
// templated lambda:
//   RegisterEach("relu", FloatingDTypes(),
//                []<typename T>() { return &ReluKernel<T>; });
template <typename Pick>
void RegisterEach(const char* op, const std::vector<DType>& dtypes, Pick pick) {
  for (DType dtype : dtypes) {
    VisitDType(dtype, [&]<typename T>() {
      KernelRegistrar(op, DeviceType::kCpu, {dtype},
                      pick.template operator()<T>());
    });
  }
}

}  // namespace tch::cpu
