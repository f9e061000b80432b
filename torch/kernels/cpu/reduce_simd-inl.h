// File: torch/kernels/cpu/reduce_simd-inl.h
//
// Per-target SIMD inner loops of the reduction kernels (Google Highway).
// Included once per target by reduce_kernels.cc through foreach_target.h;
// reduce_kernels.cc exports them with HWY_EXPORT and calls them through
// HWY_DYNAMIC_DISPATCH, so the binary runs on any x86-64 and uses AVX-512
// where the CPU has it. Only contiguous runs come here; the host-side
// logic (plans, threading, strided walks) lives in reduce_kernels.cc.
//
// Note [Pairwise summation]
// A float32 sum of n values accumulated left to right has an error growing
// like n * eps. SumRun splits the run in halves down to blocks of
// kPairwiseBlock elements, which it sums with four vector accumulators, so
// the error grows like log2(n) * eps, as in NumPy and PyTorch's cascade sum.
// Partial results of runs and of threads are then combined in float64.

// Per-target include guard (Highway's idiom).
#if defined(TCH_KERNELS_CPU_REDUCE_SIMD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TCH_KERNELS_CPU_REDUCE_SIMD_INL_H_
#undef TCH_KERNELS_CPU_REDUCE_SIMD_INL_H_
#else
#define TCH_KERNELS_CPU_REDUCE_SIMD_INL_H_
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tch::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

inline constexpr int64_t kPairwiseBlock = 1024;

// Sum of a contiguous block of at most kPairwiseBlock elements.
template <typename T>
T SumBlock(const T* x, int64_t n) {
  const hn::ScalableTag<T> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    a0 = hn::Add(a0, hn::LoadU(d, x + i));
    a1 = hn::Add(a1, hn::LoadU(d, x + i + lanes));
    a2 = hn::Add(a2, hn::LoadU(d, x + i + 2 * lanes));
    a3 = hn::Add(a3, hn::LoadU(d, x + i + 3 * lanes));
  }
  for (; i + lanes <= n; i += lanes) a0 = hn::Add(a0, hn::LoadU(d, x + i));
  a0 = hn::Add(hn::Add(a0, a1), hn::Add(a2, a3));
  T tail = 0;
  for (; i < n; ++i) tail += x[i];
  return hn::GetLane(hn::SumOfLanes(d, a0)) + tail;
}

// Pairwise sum of a contiguous run (see Note [Pairwise summation]).
template <typename T>
T SumRun(const T* x, int64_t n) {
  if (n <= kPairwiseBlock) return SumBlock(x, n);
  // Split on a block boundary so blocks stay vector-aligned in count.
  const int64_t half =
      ((n / 2 + kPairwiseBlock - 1) / kPairwiseBlock) * kPairwiseBlock;
  return SumRun(x, half) + SumRun(x + half, n - half);
}

float SumRunF32(const float* x, int64_t n) { return SumRun(x, n); }
double SumRunF64(const double* x, int64_t n) { return SumRun(x, n); }

// acc[j] += sum over `rows` rows of row_i[j] for j < w, in float64; row i
// starts at base + i * row_stride bytes. Rows go four at a time so each
// accumulator is loaded and stored once per four rows.
void ColumnSumF32(double* acc, const char* base, int64_t w, int64_t rows,
                  int64_t row_stride) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(dd));
  auto row = [&](int64_t i) {
    return reinterpret_cast<const float*>(base + i * row_stride);
  };
  int64_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    const float* r0 = row(i);
    const float* r1 = row(i + 1);
    const float* r2 = row(i + 2);
    const float* r3 = row(i + 3);
    int64_t j = 0;
    for (; j + lanes <= w; j += lanes) {
      auto s01 = hn::Add(hn::PromoteTo(dd, hn::LoadU(df, r0 + j)),
                         hn::PromoteTo(dd, hn::LoadU(df, r1 + j)));
      auto s23 = hn::Add(hn::PromoteTo(dd, hn::LoadU(df, r2 + j)),
                         hn::PromoteTo(dd, hn::LoadU(df, r3 + j)));
      hn::StoreU(hn::Add(hn::LoadU(dd, acc + j), hn::Add(s01, s23)), dd,
                 acc + j);
    }
    for (; j < w; ++j) {
      acc[j] += (static_cast<double>(r0[j]) + r1[j]) +
                (static_cast<double>(r2[j]) + r3[j]);
    }
  }
  for (; i < rows; ++i) {
    const float* r = row(i);
    int64_t j = 0;
    for (; j + lanes <= w; j += lanes) {
      hn::StoreU(hn::Add(hn::LoadU(dd, acc + j),
                         hn::PromoteTo(dd, hn::LoadU(df, r + j))),
                 dd, acc + j);
    }
    for (; j < w; ++j) acc[j] += r[j];
  }
}

// NaN-propagating max (kMax) or min of a contiguous run; +-inf when empty.
template <bool kMax>
float ExtremeRunF32(const float* x, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const float init = kMax ? -std::numeric_limits<float>::infinity()
                          : std::numeric_limits<float>::infinity();
  auto pick = [](auto a, auto b) {
    if constexpr (kMax) {
      return hn::Max(a, b);
    } else {
      return hn::Min(a, b);
    }
  };
  auto a0 = hn::Set(d, init), a1 = a0, a2 = a0, a3 = a0;
  // All-ones lanes where a NaN was seen (Max/Min do not propagate NaN).
  auto nan = hn::Zero(d);
  auto isnan = [&](auto v) { return hn::VecFromMask(d, hn::IsNaN(v)); };
  int64_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    const auto v0 = hn::LoadU(d, x + i);
    const auto v1 = hn::LoadU(d, x + i + lanes);
    const auto v2 = hn::LoadU(d, x + i + 2 * lanes);
    const auto v3 = hn::LoadU(d, x + i + 3 * lanes);
    a0 = pick(a0, v0);
    a1 = pick(a1, v1);
    a2 = pick(a2, v2);
    a3 = pick(a3, v3);
    nan = hn::Or(nan, hn::Or(hn::Or(isnan(v0), isnan(v1)),
                             hn::Or(isnan(v2), isnan(v3))));
  }
  for (; i + lanes <= n; i += lanes) {
    const auto v = hn::LoadU(d, x + i);
    a0 = pick(a0, v);
    nan = hn::Or(nan, isnan(v));
  }
  a0 = pick(pick(a0, a1), pick(a2, a3));
  float result = kMax ? hn::GetLane(hn::MaxOfLanes(d, a0))
                      : hn::GetLane(hn::MinOfLanes(d, a0));
  bool has_nan = !hn::AllFalse(d, hn::MaskFromVec(nan));
  for (; i < n; ++i) {
    const float v = x[i];
    has_nan |= std::isnan(v);
    result = kMax ? (v > result ? v : result) : (v < result ? v : result);
  }
  return has_nan ? std::numeric_limits<float>::quiet_NaN() : result;
}

float MaxRunF32(const float* x, int64_t n) { return ExtremeRunF32<true>(x, n); }
float MinRunF32(const float* x, int64_t n) {
  return ExtremeRunF32<false>(x, n);
}

// sum_i |x[i] - center|^kPower (kPower 1 or 2) of a contiguous run: float32
// vector accumulators per block of kPairwiseBlock elements, blocks summed
// in float64.
template <int kPower>
double SumPowDevRunF32(const float* x, int64_t n, float center) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto c = hn::Set(d, center);
  auto term = [&](auto v) {
    const auto dev = hn::Sub(v, c);
    if constexpr (kPower == 1) {
      return hn::Abs(dev);
    } else {
      return hn::Mul(dev, dev);
    }
  };
  double total = 0;
  for (int64_t start = 0; start < n; start += kPairwiseBlock) {
    const int64_t end = std::min(n, start + kPairwiseBlock);
    auto a0 = hn::Zero(d), a1 = hn::Zero(d);
    int64_t i = start;
    for (; i + 2 * lanes <= end; i += 2 * lanes) {
      a0 = hn::Add(a0, term(hn::LoadU(d, x + i)));
      a1 = hn::Add(a1, term(hn::LoadU(d, x + i + lanes)));
    }
    float tail = 0;
    for (; i < end; ++i) {
      const float dev = x[i] - center;
      tail += kPower == 1 ? std::fabs(dev) : dev * dev;
    }
    total +=
        static_cast<double>(hn::GetLane(hn::SumOfLanes(d, hn::Add(a0, a1)))) +
        static_cast<double>(tail);
  }
  return total;
}

double SumAbsRunF32(const float* x, int64_t n) {
  return SumPowDevRunF32<1>(x, n, 0.0f);
}
double SumSqDevRunF32(const float* x, int64_t n, float center) {
  return SumPowDevRunF32<2>(x, n, center);
}

// Index of the first x[i] equal to `v` (of the first NaN when v is NaN);
// n when there is none.
int64_t FindFirstF32(const float* x, int64_t n, float v) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const bool nan = std::isnan(v);
  const auto vv = hn::Set(d, v);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto x_i = hn::LoadU(d, x + i);
    const intptr_t k = nan ? hn::FindFirstTrue(d, hn::IsNaN(x_i))
                           : hn::FindFirstTrue(d, hn::Eq(x_i, vv));
    if (k >= 0) return i + k;
  }
  for (; i < n; ++i) {
    if (nan ? std::isnan(x[i]) : x[i] == v) return i;
  }
  return n;
}

// sum_i exp(x[i] - shift) for a contiguous run; `shift` is finite and no
// x[i] exceeds it. Inputs far below the shift clamp to exp(-88) ~ 0 (and
// -inf to exp(-88) too, negligible next to the max's exp(0) = 1).
float SumExpRunF32(const float* x, int64_t n, float shift) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto vshift = hn::Set(d, shift);
  const auto lo = hn::Set(d, -88.0f);
  auto term = [&](auto v) {
    return hn::Exp(d, hn::Max(hn::Sub(v, vshift), lo));
  };
  auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    a0 = hn::Add(a0, term(hn::LoadU(d, x + i)));
    a1 = hn::Add(a1, term(hn::LoadU(d, x + i + lanes)));
    a2 = hn::Add(a2, term(hn::LoadU(d, x + i + 2 * lanes)));
    a3 = hn::Add(a3, term(hn::LoadU(d, x + i + 3 * lanes)));
  }
  for (; i + lanes <= n; i += lanes)
    a0 = hn::Add(a0, term(hn::LoadU(d, x + i)));
  if (i < n) {  // masked tail: lanes past the end add nothing
    const auto m = hn::FirstN(d, static_cast<size_t>(n - i));
    a1 = hn::Add(a1, hn::IfThenElseZero(m, term(hn::MaskedLoad(m, d, x + i))));
  }
  a0 = hn::Add(hn::Add(a0, a1), hn::Add(a2, a3));
  return hn::GetLane(hn::SumOfLanes(d, a0));
}

}  // namespace tch::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
