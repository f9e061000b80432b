// Per-target SIMD bodies (float32) of the batch-norm kernels: statistics of
// one contiguous segment of a channel, and the per-row affine maps of the
// forward and backward. Compiled once per Highway target by
// hwy/foreach_target.h from batch_norm_kernels.cc, which dispatches at run
// time; nothing else includes this file. Names carry a Bn prefix so they
// never meet norm-inl.h's in the same per-target namespace.
//
// Segments are at most a few thousand floats (the caller cuts rows), so the
// float lane accumulators below sum a few hundred values each; the caller
// combines segments in float64.

// Include guard that flips per target (Highway's -inl.h convention).
#if defined(TCH_KERNELS_CPU_BATCH_NORM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TCH_KERNELS_CPU_BATCH_NORM_INL_H_
#undef TCH_KERNELS_CPU_BATCH_NORM_INL_H_
#else
#define TCH_KERNELS_CPU_BATCH_NORM_INL_H_
#endif

#include <cmath>
#include <cstdint>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tch::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using BnD = hn::ScalableTag<float>;

// Mean and sum of squared deviations of x[0, n), n >= 1: the float sum
// gives a provisional mean m; a second sweep (the segment is in L1 now) sums
// d = x - m and d^2, and the mean is corrected by sum(d) / n, the squares by
// sum(d)^2 / n (exact up to rounding, whatever the offset of the data).
HWY_NOINLINE void BnSegmentStats(const float* HWY_RESTRICT x, int64_t n,
                                 double* mean, double* m2) {
  const BnD d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  auto s0 = hn::Zero(d), s1 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    s0 = hn::Add(s0, hn::LoadU(d, x + i));
    s1 = hn::Add(s1, hn::LoadU(d, x + i + lanes));
  }
  for (; i + lanes <= n; i += lanes) s0 = hn::Add(s0, hn::LoadU(d, x + i));
  float sum = hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
  for (; i < n; ++i) sum += x[i];
  const float m = sum / static_cast<float>(n);

  const auto vm = hn::Set(d, m);
  auto d0 = hn::Zero(d), d1 = hn::Zero(d), q0 = hn::Zero(d), q1 = hn::Zero(d);
  i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    const auto a = hn::Sub(hn::LoadU(d, x + i), vm);
    const auto b = hn::Sub(hn::LoadU(d, x + i + lanes), vm);
    d0 = hn::Add(d0, a);
    d1 = hn::Add(d1, b);
    q0 = hn::MulAdd(a, a, q0);
    q1 = hn::MulAdd(b, b, q1);
  }
  for (; i + lanes <= n; i += lanes) {
    const auto a = hn::Sub(hn::LoadU(d, x + i), vm);
    d0 = hn::Add(d0, a);
    q0 = hn::MulAdd(a, a, q0);
  }
  double sd = hn::GetLane(hn::SumOfLanes(d, hn::Add(d0, d1)));
  double sq = hn::GetLane(hn::SumOfLanes(d, hn::Add(q0, q1)));
  for (; i < n; ++i) {
    const float a = x[i] - m;
    sd += a;
    sq += static_cast<double>(a) * a;
  }
  const double count = static_cast<double>(n);
  // An infinite m makes every d NaN: keep m, as PyTorch's mean of an Inf.
  *mean = std::isfinite(m) ? m + sd / count : m;
  *m2 = sq - sd * sd / count;
  if (*m2 < 0) *m2 = 0;
}

// sum(dy) and sum(dy * (x - mean)) over [0, n), added to the outputs.
// Accumulated in float64 lanes: in eval mode x - running_mean is not
// centered, and float lanes would lose the small sum of large terms (this
// pass is memory-bound, so the wider arithmetic costs nothing).
HWY_NOINLINE void BnSegmentGradSums(const float* HWY_RESTRICT dy,
                                    const float* HWY_RESTRICT x, int64_t n,
                                    float mean, double* sum_dy,
                                    double* sum_dy_xmu) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;  // as many floats as doubles
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(dd));
  const auto vm = hn::Set(dd, mean);
  auto g0 = hn::Zero(dd), g1 = hn::Zero(dd);
  auto p0 = hn::Zero(dd), p1 = hn::Zero(dd);
  int64_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    const auto ga = hn::PromoteTo(dd, hn::LoadU(df, dy + i));
    const auto gb = hn::PromoteTo(dd, hn::LoadU(df, dy + i + lanes));
    const auto xa = hn::PromoteTo(dd, hn::LoadU(df, x + i));
    const auto xb = hn::PromoteTo(dd, hn::LoadU(df, x + i + lanes));
    g0 = hn::Add(g0, ga);
    g1 = hn::Add(g1, gb);
    p0 = hn::MulAdd(ga, hn::Sub(xa, vm), p0);
    p1 = hn::MulAdd(gb, hn::Sub(xb, vm), p1);
  }
  double sg = hn::GetLane(hn::SumOfLanes(dd, hn::Add(g0, g1)));
  double sp = hn::GetLane(hn::SumOfLanes(dd, hn::Add(p0, p1)));
  for (; i < n; ++i) {
    sg += dy[i];
    sp += static_cast<double>(dy[i]) * (static_cast<double>(x[i]) - mean);
  }
  *sum_dy += sg;
  *sum_dy_xmu += sp;
}

// Applies f(vector, i) to x[0, n) and stores into y; the tail goes through
// f on scalars-as-vectors of one partial load, so every element sees the
// same arithmetic.
template <class F>
HWY_INLINE void BnMapRow(int64_t n, float* HWY_RESTRICT y, F&& f) {
  const BnD d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(f(d, i, false), d, y + i);
  if (i < n) {
    HWY_ALIGN float buf[HWY_MAX_BYTES / sizeof(float)];
    hn::Store(f(d, i, true), d, buf);
    for (int64_t j = 0; i + j < n; ++j) y[i + j] = buf[j];
  }
}

// A vector of p[i, i + lanes), or for the tail the n - i valid floats
// padded with zeros.
HWY_INLINE hn::Vec<BnD> BnLoad(BnD d, const float* p, int64_t i, int64_t n,
                               bool tail) {
  if (!tail) return hn::LoadU(d, p + i);
  HWY_ALIGN float buf[HWY_MAX_BYTES / sizeof(float)] = {};
  for (int64_t j = 0; i + j < n; ++j) buf[j] = p[i + j];
  return hn::Load(d, buf);
}

// y = x * scale + shift (PyTorch's folded batch-norm transform).
HWY_NOINLINE void BnAffineRow(const float* x, float* y, int64_t n, float scale,
                              float shift) {
  const auto vs = hn::Set(BnD(), scale);
  const auto vt = hn::Set(BnD(), shift);
  BnMapRow(n, y, [&](BnD d, int64_t i, bool tail) {
    return hn::MulAdd(BnLoad(d, x, i, n, tail), vs, vt);
  });
}

// dx = (dy - mean_dy - (x - mean) * proj) * k: the training gradient.
HWY_NOINLINE void BnBackwardRow(const float* dy, const float* x, float* dx,
                                int64_t n, float mean, float mean_dy,
                                float proj, float k) {
  const BnD d0;
  const auto vmean = hn::Set(d0, mean), vmdy = hn::Set(d0, mean_dy);
  const auto vproj = hn::Set(d0, proj), vk = hn::Set(d0, k);
  BnMapRow(n, dx, [&](BnD d, int64_t i, bool tail) {
    const auto xmu = hn::Sub(BnLoad(d, x, i, n, tail), vmean);
    const auto r =
        hn::NegMulAdd(xmu, vproj, hn::Sub(BnLoad(d, dy, i, n, tail), vmdy));
    return hn::Mul(r, vk);
  });
}

// dx = dy * k: the eval-mode gradient.
HWY_NOINLINE void BnScaleRow(const float* dy, float* dx, int64_t n, float k) {
  const auto vk = hn::Set(BnD(), k);
  BnMapRow(n, dx, [&](BnD d, int64_t i, bool tail) {
    return hn::Mul(BnLoad(d, dy, i, n, tail), vk);
  });
}

}  // namespace tch::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
