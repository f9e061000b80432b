// Per-target SIMD bodies (float32) of the batch-norm kernels: statistics of
// one block of a channel's rows, and the per-row affine maps of the forward
// and backward. Compiled once per Highway target by
// hwy/foreach_target.h from batch_norm_kernels.cc, which dispatches at run
// time; nothing else includes this file. Names carry a Bn prefix so they
// never meet norm-inl.h's in the same per-target namespace.
//
// Blocks are at most a few thousand floats (the caller cuts or groups
// rows), so the float lane accumulators below sum a few hundred values each;
// the caller combines blocks in float64.

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

// A block is `rows` rows of `len` floats, row r at p + r * stride: a
// channel's segment of the [N, C, HW] input (several rows when HW is short,
// one row or part of one otherwise).

// Mean and sum of squared deviations of a block (rows * len >= 1): the float
// sum gives a provisional mean m; a second sweep (the block is in L1 now)
// sums d = x - m and d^2, and the mean is corrected by sum(d) / n, the
// squares by sum(d)^2 / n (exact up to rounding, whatever the offset of the
// data).
HWY_NOINLINE void BnBlockStats(const float* HWY_RESTRICT x, int64_t stride,
                               int64_t rows, int64_t len, double* mean,
                               double* m2) {
  const BnD d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  auto s0 = hn::Zero(d), s1 = hn::Zero(d);
  float tail = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* p = x + r * stride;
    int64_t i = 0;
    for (; i + 2 * lanes <= len; i += 2 * lanes) {
      s0 = hn::Add(s0, hn::LoadU(d, p + i));
      s1 = hn::Add(s1, hn::LoadU(d, p + i + lanes));
    }
    for (; i + lanes <= len; i += lanes) s0 = hn::Add(s0, hn::LoadU(d, p + i));
    for (; i < len; ++i) tail += p[i];
  }
  const double count = static_cast<double>(rows * len);
  const float m = (hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1))) + tail) /
                  static_cast<float>(count);

  const auto vm = hn::Set(d, m);
  auto d0 = hn::Zero(d), d1 = hn::Zero(d), q0 = hn::Zero(d), q1 = hn::Zero(d);
  double sd = 0, sq = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* p = x + r * stride;
    int64_t i = 0;
    for (; i + 2 * lanes <= len; i += 2 * lanes) {
      const auto a = hn::Sub(hn::LoadU(d, p + i), vm);
      const auto b = hn::Sub(hn::LoadU(d, p + i + lanes), vm);
      d0 = hn::Add(d0, a);
      d1 = hn::Add(d1, b);
      q0 = hn::MulAdd(a, a, q0);
      q1 = hn::MulAdd(b, b, q1);
    }
    for (; i + lanes <= len; i += lanes) {
      const auto a = hn::Sub(hn::LoadU(d, p + i), vm);
      d0 = hn::Add(d0, a);
      q0 = hn::MulAdd(a, a, q0);
    }
    for (; i < len; ++i) {
      const float a = p[i] - m;
      sd += a;
      sq += static_cast<double>(a) * a;
    }
  }
  sd += hn::GetLane(hn::SumOfLanes(d, hn::Add(d0, d1)));
  sq += hn::GetLane(hn::SumOfLanes(d, hn::Add(q0, q1)));
  // An infinite m makes every d NaN: keep m, as PyTorch's mean of an Inf.
  *mean = std::isfinite(m) ? m + sd / count : m;
  *m2 = sq - sd * sd / count;
  if (*m2 < 0) *m2 = 0;
}

// sum(dy) and sum(dy * (x - mean)) over a block (dy and x share the
// layout), added to the outputs. Accumulated in float64 lanes: in eval mode
// x - running_mean is not centered, and float lanes would lose the small sum
// of large terms (this pass is memory-bound, so the wider arithmetic costs
// nothing).
HWY_NOINLINE void BnBlockGradSums(const float* HWY_RESTRICT dy,
                                  const float* HWY_RESTRICT x, int64_t stride,
                                  int64_t rows, int64_t len, float mean,
                                  double* sum_dy, double* sum_dy_xmu) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;  // as many floats as doubles
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(dd));
  const auto vm = hn::Set(dd, mean);
  auto g0 = hn::Zero(dd), g1 = hn::Zero(dd);
  auto p0 = hn::Zero(dd), p1 = hn::Zero(dd);
  double sg = 0, sp = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* gr = dy + r * stride;
    const float* xr = x + r * stride;
    int64_t i = 0;
    for (; i + 2 * lanes <= len; i += 2 * lanes) {
      const auto ga = hn::PromoteTo(dd, hn::LoadU(df, gr + i));
      const auto gb = hn::PromoteTo(dd, hn::LoadU(df, gr + i + lanes));
      const auto xa = hn::PromoteTo(dd, hn::LoadU(df, xr + i));
      const auto xb = hn::PromoteTo(dd, hn::LoadU(df, xr + i + lanes));
      g0 = hn::Add(g0, ga);
      g1 = hn::Add(g1, gb);
      p0 = hn::MulAdd(ga, hn::Sub(xa, vm), p0);
      p1 = hn::MulAdd(gb, hn::Sub(xb, vm), p1);
    }
    for (; i < len; ++i) {
      sg += gr[i];
      sp += static_cast<double>(gr[i]) * (static_cast<double>(xr[i]) - mean);
    }
  }
  *sum_dy += sg + hn::GetLane(hn::SumOfLanes(dd, hn::Add(g0, g1)));
  *sum_dy_xmu += sp + hn::GetLane(hn::SumOfLanes(dd, hn::Add(p0, p1)));
}

// For each row of a block: stores f(d, off, i, tail) -- the vector for
// floats [i, i + lanes) of the row at offset off, or its partial tail --
// at y + off + i. AVX2 and AVX-512 tails use masked loads and stores, which
// never touch memory past the row; other targets go through a buffer.
template <class F>
HWY_INLINE void BnMapRows(float* HWY_RESTRICT y, int64_t stride, int64_t rows,
                          int64_t len, F&& f) {
  const BnD d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t off = r * stride;
    int64_t i = 0;
    for (; i + lanes <= len; i += lanes) {
      hn::StoreU(f(d, off, i, false), d, y + off + i);
    }
    if (i < len) {
#if HWY_TARGET <= HWY_AVX2
      hn::BlendedStore(f(d, off, i, true),
                       hn::FirstN(d, static_cast<size_t>(len - i)), d,
                       y + off + i);
#else
      HWY_ALIGN float buf[HWY_MAX_BYTES / sizeof(float)];
      hn::Store(f(d, off, i, true), d, buf);
      for (int64_t j = 0; i + j < len; ++j) y[off + i + j] = buf[j];
#endif
    }
  }
}

// A vector of p[i, i + lanes), or for a row's tail the len - i valid floats
// padded with zeros.
HWY_INLINE hn::Vec<BnD> BnLoad(BnD d, const float* p, int64_t i, int64_t len,
                               bool tail) {
  if (!tail) return hn::LoadU(d, p + i);
#if HWY_TARGET <= HWY_AVX2
  return hn::MaskedLoad(hn::FirstN(d, static_cast<size_t>(len - i)), d, p + i);
#else
  HWY_ALIGN float buf[HWY_MAX_BYTES / sizeof(float)] = {};
  for (int64_t j = 0; i + j < len; ++j) buf[j] = p[i + j];
  return hn::Load(d, buf);
#endif
}

// y = x * scale + shift (PyTorch's folded batch-norm transform); x and y
// share the block layout.
HWY_NOINLINE void BnAffineRows(const float* x, float* y, int64_t stride,
                               int64_t rows, int64_t len, float scale,
                               float shift) {
  const auto vs = hn::Set(BnD(), scale);
  const auto vt = hn::Set(BnD(), shift);
  BnMapRows(y, stride, rows, len,
            [&](BnD d, int64_t off, int64_t i, bool tail) {
              return hn::MulAdd(BnLoad(d, x + off, i, len, tail), vs, vt);
            });
}

// dx = (dy - mean_dy - (x - mean) * proj) * k: the training gradient.
HWY_NOINLINE void BnBackwardRows(const float* dy, const float* x, float* dx,
                                 int64_t stride, int64_t rows, int64_t len,
                                 float mean, float mean_dy, float proj,
                                 float k) {
  const BnD d0;
  const auto vmean = hn::Set(d0, mean), vmdy = hn::Set(d0, mean_dy);
  const auto vproj = hn::Set(d0, proj), vk = hn::Set(d0, k);
  BnMapRows(dx, stride, rows, len,
            [&](BnD d, int64_t off, int64_t i, bool tail) {
              const auto xmu = hn::Sub(BnLoad(d, x + off, i, len, tail), vmean);
              const auto r = hn::NegMulAdd(
                  xmu, vproj, hn::Sub(BnLoad(d, dy + off, i, len, tail), vmdy));
              return hn::Mul(r, vk);
            });
}

// dx = dy * k: the eval-mode gradient.
HWY_NOINLINE void BnScaleRows(const float* dy, float* dx, int64_t stride,
                              int64_t rows, int64_t len, float k) {
  const auto vk = hn::Set(BnD(), k);
  BnMapRows(dx, stride, rows, len,
            [&](BnD d, int64_t off, int64_t i, bool tail) {
              return hn::Mul(BnLoad(d, dy + off, i, len, tail), vk);
            });
}

}  // namespace tch::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
