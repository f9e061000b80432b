// Per-target SIMD row primitives (float32) for the norm family's kernels.
// norm_kernels.cc includes this file once per Highway target through
// hwy/foreach_target.h and calls the functions through HWY_DYNAMIC_DISPATCH,
// so the binary uses AVX-512 or AVX2 where the CPU has them and still runs
// on plain x86-64. Every function takes a row of `n` >= 0 floats; the last,
// partial vector goes through a stack buffer, so short rows (n = 10) stay
// vectorized.

// Per-target include guard (the pattern Highway's docs prescribe).
#if defined(TCH_KERNELS_CPU_NORM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TCH_KERNELS_CPU_NORM_INL_H_
#undef TCH_KERNELS_CPU_NORM_INL_H_
#else
#define TCH_KERNELS_CPU_NORM_INL_H_
#endif

#include <cstdint>
#include <limits>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tch::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;

// exp(x), NaN in -> NaN out (Highway's Exp maps NaN to 0).
template <class V>
HWY_INLINE V ExpNaN(DF d, V x) {
  return hn::IfThenElse(hn::IsNaN(x), x, hn::Exp(d, x));
}

// Calls body(i, mask) for each vector of the row; mask is all-true except
// for the last, partial vector.
template <class Body>
HWY_INLINE void ForVectors(DF d, int64_t n, Body&& body) {
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) body(i, hn::FirstN(d, lanes), true);
  if (i < n) body(i, hn::FirstN(d, static_cast<size_t>(n - i)), false);
}

// Loads a vector, or for the last, partial one (`full` false) the lanes in
// `mask` with zeros beyond. AVX2 and AVX-512 masked loads and stores never
// touch masked-off memory; other targets go through a stack buffer, because
// their masked loads read the whole vector.
template <class M>
HWY_INLINE hn::Vec<DF> Load(DF d, M mask, bool full, const float* p) {
  if (full) return hn::LoadU(d, p);
#if HWY_TARGET <= HWY_AVX2
  return hn::MaskedLoad(mask, d, p);
#else
  HWY_ALIGN float buf[HWY_MAX_BYTES / sizeof(float)] = {};
  const size_t count = hn::CountTrue(d, mask);
  for (size_t j = 0; j < count; ++j) buf[j] = p[j];
  return hn::Load(d, buf);
#endif
}

template <class M>
HWY_INLINE void Store(DF d, M mask, bool full, hn::Vec<DF> v, float* p) {
  if (full) {
    hn::StoreU(v, d, p);
    return;
  }
#if HWY_TARGET <= HWY_AVX2
  hn::BlendedStore(v, mask, d, p);
#else
  HWY_ALIGN float buf[HWY_MAX_BYTES / sizeof(float)];
  hn::Store(v, d, buf);
  const size_t count = hn::CountTrue(d, mask);
  for (size_t j = 0; j < count; ++j) p[j] = buf[j];
#endif
}

HWY_NOINLINE float RowMax(const float* x, int64_t n) {
  const DF d;
  const auto neg_inf = hn::Set(d, -std::numeric_limits<float>::infinity());
  auto acc = neg_inf;
  ForVectors(d, n, [&](int64_t i, auto mask, bool full) {
    acc =
        hn::Max(acc, hn::IfThenElse(mask, Load(d, mask, full, x + i), neg_inf));
  });
  return hn::GetLane(hn::MaxOfLanes(d, acc));
}

// y = exp(x - shift) * scale (y may be null: nothing stored); returns the
// sum of exp(x - shift).
HWY_NOINLINE float ExpStoreSum(const float* x, float* y, int64_t n, float shift,
                               float scale) {
  const DF d;
  const auto vshift = hn::Set(d, shift);
  const auto vscale = hn::Set(d, scale);
  auto acc = hn::Zero(d);
  ForVectors(d, n, [&](int64_t i, auto mask, bool full) {
    const auto e = ExpNaN(d, hn::Sub(Load(d, mask, full, x + i), vshift));
    acc = hn::Add(acc, hn::IfThenElseZero(mask, e));
    if (y != nullptr) Store(d, mask, full, hn::Mul(e, vscale), y + i);
  });
  return hn::GetLane(hn::SumOfLanes(d, acc));
}

// y = (x - shift) * mul + add (x - shift first: exact for the max of a
// row, so large logits keep their precision).
HWY_NOINLINE void AffineRow(const float* x, float* y, int64_t n, float shift,
                            float mul, float add) {
  const DF d;
  const auto vs = hn::Set(d, shift);
  const auto vm = hn::Set(d, mul);
  const auto va = hn::Set(d, add);
  ForVectors(d, n, [&](int64_t i, auto mask, bool full) {
    Store(d, mask, full,
          hn::MulAdd(hn::Sub(Load(d, mask, full, x + i), vs), vm, va), y + i);
  });
}

HWY_NOINLINE float RowSum(const float* x, int64_t n) {
  const DF d;
  auto acc = hn::Zero(d);
  ForVectors(d, n, [&](int64_t i, auto mask, bool full) {
    acc = hn::Add(acc, Load(d, mask, full, x + i));
  });
  return hn::GetLane(hn::SumOfLanes(d, acc));
}

HWY_NOINLINE float RowDot(const float* a, const float* b, int64_t n) {
  const DF d;
  auto acc = hn::Zero(d);
  ForVectors(d, n, [&](int64_t i, auto mask, bool full) {
    acc =
        hn::MulAdd(Load(d, mask, full, a + i), Load(d, mask, full, b + i), acc);
  });
  return hn::GetLane(hn::SumOfLanes(d, acc));
}

// sum (x - mean)^2
HWY_NOINLINE float SumSqDev(const float* x, int64_t n, float mean) {
  const DF d;
  const auto vm = hn::Set(d, mean);
  auto acc = hn::Zero(d);
  ForVectors(d, n, [&](int64_t i, auto mask, bool full) {
    const auto dev =
        hn::IfThenElseZero(mask, hn::Sub(Load(d, mask, full, x + i), vm));
    acc = hn::MulAdd(dev, dev, acc);
  });
  return hn::GetLane(hn::SumOfLanes(d, acc));
}

// y = (x - mean) * rstd [* w] [+ b]. x - mean first: x * rstd - mean * rstd
// would cancel catastrophically when rstd is large (constant rows).
HWY_NOINLINE void NormalizeRow(const float* x, float* y, int64_t n, float mean,
                               float rstd, const float* w, const float* b) {
  const DF d;
  const auto vmean = hn::Set(d, mean);
  const auto vrstd = hn::Set(d, rstd);
  ForVectors(d, n, [&](int64_t i, auto mask, bool full) {
    auto v = hn::Mul(hn::Sub(Load(d, mask, full, x + i), vmean), vrstd);
    if (w != nullptr) v = hn::Mul(v, Load(d, mask, full, w + i));
    if (b != nullptr) v = hn::Add(v, Load(d, mask, full, b + i));
    Store(d, mask, full, v, y + i);
  });
}

// out = y * (g - dot)
HWY_NOINLINE void SoftmaxBackwardRow(const float* g, const float* y, float* out,
                                     int64_t n, float dot) {
  const DF d;
  const auto vdot = hn::Set(d, dot);
  ForVectors(d, n, [&](int64_t i, auto mask, bool full) {
    Store(d, mask, full,
          hn::Mul(Load(d, mask, full, y + i),
                  hn::Sub(Load(d, mask, full, g + i), vdot)),
          out + i);
  });
}

// out = g - exp(y) * sum
HWY_NOINLINE void LogSoftmaxBackwardRow(const float* g, const float* y,
                                        float* out, int64_t n, float sum) {
  const DF d;
  const auto vsum = hn::Set(d, sum);
  ForVectors(d, n, [&](int64_t i, auto mask, bool full) {
    const auto e = ExpNaN(d, Load(d, mask, full, y + i));
    Store(d, mask, full, hn::NegMulAdd(e, vsum, Load(d, mask, full, g + i)),
          out + i);
  });
}

// Layer norm backward of one row, xhat = (x - mean) * rstd, g = dy * w (w
// may be null: ones): dx = rstd * (g - mean(g) - xhat * mean(g * xhat)).
// Adds dy * xhat to dw and dy to db. dx, dw, db may each be null.
HWY_NOINLINE void LayerNormBackwardRow(const float* dy, const float* x,
                                       const float* w, float mean, float rstd,
                                       int64_t n, float* dx, float* dw,
                                       float* db) {
  const DF d;
  const auto vmean = hn::Set(d, mean);
  const auto vrstd = hn::Set(d, rstd);
  auto va = hn::Zero(d), vb = hn::Zero(d);
  if (dx != nullptr) {
    auto sa = hn::Zero(d), sb = hn::Zero(d);
    ForVectors(d, n, [&](int64_t i, auto mask, bool full) {
      auto g = Load(d, mask, full, dy + i);
      if (w != nullptr) g = hn::Mul(g, Load(d, mask, full, w + i));
      const auto xh =
          hn::Mul(hn::Sub(Load(d, mask, full, x + i), vmean), vrstd);
      sa = hn::Add(sa, g);
      sb = hn::MulAdd(g, xh, sb);
    });
    const float inv_n = 1.0f / static_cast<float>(n);
    va = hn::Set(d, hn::GetLane(hn::SumOfLanes(d, sa)) * inv_n);
    vb = hn::Set(d, hn::GetLane(hn::SumOfLanes(d, sb)) * inv_n);
  }
  ForVectors(d, n, [&](int64_t i, auto mask, bool full) {
    const auto gy = Load(d, mask, full, dy + i);
    const auto xh = hn::Mul(hn::Sub(Load(d, mask, full, x + i), vmean), vrstd);
    if (dx != nullptr) {
      const auto g =
          w != nullptr ? hn::Mul(gy, Load(d, mask, full, w + i)) : gy;
      Store(d, mask, full,
            hn::Mul(vrstd, hn::NegMulAdd(xh, vb, hn::Sub(g, va))), dx + i);
    }
    if (dw != nullptr) {
      Store(d, mask, full, hn::MulAdd(gy, xh, Load(d, mask, full, dw + i)),
            dw + i);
    }
    if (db != nullptr) {
      Store(d, mask, full, hn::Add(Load(d, mask, full, db + i), gy), db + i);
    }
  });
}

}  // namespace tch::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
