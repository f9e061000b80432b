// CPU kernels of the norm family: softmax, layer/group norm, the
// classification and pointwise losses, and scaled dot-product attention,
// forward and backward (batch norm lives in batch_norm_kernels.cc). Core hands
// every kernel contiguous float32 or float64 buffers (16-bit inputs are
// computed in float32 by core) described by the plans in torch/core/norm_ops.h.
//
// Float32 rows go through the Highway primitives in norm-inl.h (runtime
// dispatch to AVX-512 / AVX2 / SSE); float64 uses the scalar twins in
// Rows<double>. Matmuls of attention use OpenBLAS. Work is split over the
// thread pool by rows (or channels, or attention problems) with grains
// that keep small tensors on the calling thread; reductions over many rows
// use fixed blocks so results do not depend on the thread count.

// clang-format off
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "torch/kernels/cpu/norm-inl.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "torch/kernels/cpu/norm-inl.h"
// clang-format on

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "torch/core/dispatch.h"
#include "torch/core/error.h"
#include "torch/core/norm_ops.h"
#include "torch/core/parallel.h"

namespace tch::cpu {

HWY_EXPORT(RowMax);
HWY_EXPORT(ExpStoreSum);
HWY_EXPORT(AffineRow);
HWY_EXPORT(RowSum);
HWY_EXPORT(RowDot);
HWY_EXPORT(SumSqDev);
HWY_EXPORT(NormalizeRow);
HWY_EXPORT(SoftmaxBackwardRow);
HWY_EXPORT(LogSoftmaxBackwardRow);
HWY_EXPORT(LayerNormBackwardRow);

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// --- Row primitives ----------------------------------------------------------
// Rows<T>: the same operations for float (SIMD) and double (scalar).

template <typename T>
struct Rows;

template <>
struct Rows<float> {
  static float Max(const float* x, int64_t n) {
    return HWY_DYNAMIC_DISPATCH(RowMax)(x, n);
  }
  static float ExpStoreSum(const float* x, float* y, int64_t n, float shift,
                           float scale) {
    return HWY_DYNAMIC_DISPATCH(ExpStoreSum)(x, y, n, shift, scale);
  }
  static void Affine(const float* x, float* y, int64_t n, float shift,
                     float mul, float add) {
    HWY_DYNAMIC_DISPATCH(AffineRow)(x, y, n, shift, mul, add);
  }
  static float Sum(const float* x, int64_t n) {
    return HWY_DYNAMIC_DISPATCH(RowSum)(x, n);
  }
  static float Dot(const float* a, const float* b, int64_t n) {
    return HWY_DYNAMIC_DISPATCH(RowDot)(a, b, n);
  }
  static float SumSqDev(const float* x, int64_t n, float mean) {
    return HWY_DYNAMIC_DISPATCH(SumSqDev)(x, n, mean);
  }
  static void Normalize(const float* x, float* y, int64_t n, float mean,
                        float rstd, const float* w, const float* b) {
    HWY_DYNAMIC_DISPATCH(NormalizeRow)(x, y, n, mean, rstd, w, b);
  }
  static void SoftmaxBackward(const float* g, const float* y, float* out,
                              int64_t n, float dot) {
    HWY_DYNAMIC_DISPATCH(SoftmaxBackwardRow)(g, y, out, n, dot);
  }
  static void LogSoftmaxBackward(const float* g, const float* y, float* out,
                                 int64_t n, float sum) {
    HWY_DYNAMIC_DISPATCH(LogSoftmaxBackwardRow)(g, y, out, n, sum);
  }
  static void LayerNormBackward(const float* dy, const float* x, const float* w,
                                float mean, float rstd, int64_t n, float* dx,
                                float* dw, float* db) {
    HWY_DYNAMIC_DISPATCH(LayerNormBackwardRow)
    (dy, x, w, mean, rstd, n, dx, dw, db);
  }
};

template <>
struct Rows<double> {
  static double Max(const double* x, int64_t n) {
    double m = -kInf;
    for (int64_t i = 0; i < n; ++i) m = std::max(m, x[i]);
    return m;
  }
  static double ExpStoreSum(const double* x, double* y, int64_t n, double shift,
                            double scale) {
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double e = std::exp(x[i] - shift);
      sum += e;
      if (y != nullptr) y[i] = e * scale;
    }
    return sum;
  }
  static void Affine(const double* x, double* y, int64_t n, double shift,
                     double mul, double add) {
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - shift) * mul + add;
  }
  static double Sum(const double* x, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += x[i];
    return s;
  }
  static double Dot(const double* a, const double* b, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
    return s;
  }
  static double SumSqDev(const double* x, int64_t n, double mean) {
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += (x[i] - mean) * (x[i] - mean);
    return s;
  }
  static void Normalize(const double* x, double* y, int64_t n, double mean,
                        double rstd, const double* w, const double* b) {
    for (int64_t i = 0; i < n; ++i) {
      double v = (x[i] - mean) * rstd;
      if (w != nullptr) v *= w[i];
      if (b != nullptr) v += b[i];
      y[i] = v;
    }
  }
  static void SoftmaxBackward(const double* g, const double* y, double* out,
                              int64_t n, double dot) {
    for (int64_t i = 0; i < n; ++i) out[i] = y[i] * (g[i] - dot);
  }
  static void LogSoftmaxBackward(const double* g, const double* y, double* out,
                                 int64_t n, double sum) {
    for (int64_t i = 0; i < n; ++i) out[i] = g[i] - std::exp(y[i]) * sum;
  }
  static void LayerNormBackward(const double* dy, const double* x,
                                const double* w, double mean, double rstd,
                                int64_t n, double* dx, double* dw, double* db) {
    double a = 0, b = 0;
    for (int64_t j = 0; j < n; ++j) {
      const double g = w != nullptr ? dy[j] * w[j] : dy[j];
      a += g;
      b += g * (x[j] - mean) * rstd;
    }
    a /= static_cast<double>(n);
    b /= static_cast<double>(n);
    for (int64_t j = 0; j < n; ++j) {
      const double xh = (x[j] - mean) * rstd;
      if (dx != nullptr) {
        const double g = w != nullptr ? dy[j] * w[j] : dy[j];
        dx[j] = rstd * (g - a - xh * b);
      }
      if (dw != nullptr) dw[j] += dy[j] * xh;
      if (db != nullptr) db[j] += dy[j];
    }
  }
};

// Rows per ParallelFor chunk so that a chunk holds about 32K units of work.
int64_t RowGrain(int64_t cost_per_row) {
  return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, cost_per_row));
}

// Number of fixed blocks a reduction over `rows` rows is split into: a
// function of the shape only, so results are independent of thread count.
int64_t ReductionBlocks(int64_t rows, int64_t cost_per_row) {
  const int64_t by_work = rows * std::max<int64_t>(1, cost_per_row) / 16384;
  return std::clamp<int64_t>(std::min(by_work, rows), 1, 16);
}

// Sums `blocks` partial arrays of length n (row-major) into out[0..n).
template <typename Acc, typename P, typename T>
void SumPartials(const std::vector<P>& partial, int64_t blocks, int64_t n,
                 T* out) {
  for (int64_t j = 0; j < n; ++j) {
    Acc s = 0;
    for (int64_t b = 0; b < blocks; ++b) s += partial[b * n + j];
    out[j] = static_cast<T>(s);
  }
}

// --- Softmax -----------------------------------------------------------------

template <typename T>
void SoftmaxRow(const T* x, T* y, int64_t n, bool log) {
  using R = Rows<T>;
  const T max = R::Max(x, n);
  if (log) {
    const T sum = R::ExpStoreSum(x, nullptr, n, max, 1);
    R::Affine(x, y, n, max, 1, -std::log(sum));
  } else {
    const T sum = R::ExpStoreSum(x, y, n, max, 1);
    R::Affine(y, y, n, 0, 1 / sum, 0);
  }
}

// Calls fn(o, s0, s1) for column segments of an [outer, dim, inner] layout,
// covering flat columns [lo, hi) of outer * inner.
template <typename Fn>
void ForColumnSegments(int64_t inner, int64_t lo, int64_t hi, Fn&& fn) {
  int64_t idx = lo;
  while (idx < hi) {
    const int64_t o = idx / inner, s0 = idx % inner;
    const int64_t s1 = std::min(inner, s0 + (hi - idx));
    fn(o, s0, s1);
    idx += s1 - s0;
  }
}

template <typename T>
void SoftmaxForward(const SoftmaxPlan& p) {
  const T* in = static_cast<const T*>(p.input);
  T* out = static_cast<T*>(p.output);
  const int64_t n = p.dim;
  if (p.inner == 1) {
    ParallelFor(0, p.outer, RowGrain(n * 8), [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        SoftmaxRow(in + r * n, out + r * n, n, p.log);
      }
    });
    return;
  }
  // Softmax along a non-last dim: vectorize across the inner columns.
  const int64_t inner = p.inner;
  ParallelFor(0, p.outer * inner, RowGrain(n * 8), [&](int64_t lo, int64_t hi) {
    std::vector<T> max(inner), sum(inner);
    ForColumnSegments(inner, lo, hi, [&](int64_t o, int64_t s0, int64_t s1) {
      const T* x = in + o * n * inner;
      T* y = out + o * n * inner;
      std::fill(max.begin() + s0, max.begin() + s1, T(-kInf));
      std::fill(sum.begin() + s0, sum.begin() + s1, T(0));
      for (int64_t c = 0; c < n; ++c) {
        for (int64_t s = s0; s < s1; ++s) {
          const T v = x[c * inner + s];
          max[s] = (v > max[s] || std::isnan(v)) ? v : max[s];
        }
      }
      for (int64_t c = 0; c < n; ++c) {
        for (int64_t s = s0; s < s1; ++s) {
          const T e = std::exp(x[c * inner + s] - max[s]);
          sum[s] += e;
          if (!p.log) y[c * inner + s] = e;
        }
      }
      for (int64_t c = 0; c < n; ++c) {
        for (int64_t s = s0; s < s1; ++s) {
          T& v = y[c * inner + s];
          v = p.log ? x[c * inner + s] - max[s] - std::log(sum[s]) : v / sum[s];
        }
      }
    });
  });
}

template <typename T>
void SoftmaxBackward(const SoftmaxPlan& p) {
  const T* g = static_cast<const T*>(p.input);
  const T* y = static_cast<const T*>(p.output_saved);
  T* out = static_cast<T*>(p.output);
  const int64_t n = p.dim;
  using R = Rows<T>;
  if (p.inner == 1) {
    ParallelFor(0, p.outer, RowGrain(n * 4), [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const int64_t off = r * n;
        if (p.log) {
          R::LogSoftmaxBackward(g + off, y + off, out + off, n,
                                R::Sum(g + off, n));
        } else {
          R::SoftmaxBackward(g + off, y + off, out + off, n,
                             R::Dot(g + off, y + off, n));
        }
      }
    });
    return;
  }
  const int64_t inner = p.inner;
  ParallelFor(0, p.outer * inner, RowGrain(n * 4), [&](int64_t lo, int64_t hi) {
    std::vector<T> acc(inner);
    ForColumnSegments(inner, lo, hi, [&](int64_t o, int64_t s0, int64_t s1) {
      const int64_t base = o * n * inner;
      std::fill(acc.begin() + s0, acc.begin() + s1, T(0));
      for (int64_t c = 0; c < n; ++c) {
        for (int64_t s = s0; s < s1; ++s) {
          const int64_t i = base + c * inner + s;
          acc[s] += p.log ? g[i] : g[i] * y[i];
        }
      }
      for (int64_t c = 0; c < n; ++c) {
        for (int64_t s = s0; s < s1; ++s) {
          const int64_t i = base + c * inner + s;
          out[i] =
              p.log ? g[i] - std::exp(y[i]) * acc[s] : y[i] * (g[i] - acc[s]);
        }
      }
    });
  });
}

// --- Layer norm --------------------------------------------------------------

template <typename T>
void LayerNormForward(const LayerNormPlan& p) {
  const T* x = static_cast<const T*>(p.input);
  const T* w = static_cast<const T*>(p.weight);
  const T* b = static_cast<const T*>(p.bias);
  T* y = static_cast<T*>(p.output);
  T* mean = static_cast<T*>(p.mean);
  T* rstd = static_cast<T*>(p.rstd);
  const int64_t n = p.cols;
  using R = Rows<T>;
  ParallelFor(0, p.rows, RowGrain(n * 3), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const T* xr = x + r * n;
      const T m = R::Sum(xr, n) / static_cast<T>(n);
      const T var = R::SumSqDev(xr, n, m) / static_cast<T>(n);
      const T rs = 1 / std::sqrt(std::max(var, T(0)) + static_cast<T>(p.eps));
      R::Normalize(xr, y + r * n, n, m, rs, w, b);
      mean[r] = m;
      rstd[r] = rs;
    }
  });
}

template <typename T>
void LayerNormBackward(const LayerNormPlan& p) {
  const T* dy = static_cast<const T*>(p.grad_output);
  const T* x = static_cast<const T*>(p.input);
  const T* w = static_cast<const T*>(p.weight);
  const T* mean = static_cast<const T*>(p.mean);
  const T* rstd = static_cast<const T*>(p.rstd);
  T* dx = static_cast<T*>(p.output);
  const int64_t rows = p.rows, n = p.cols;
  // grad_weight / grad_bias: per-block partial sums over fixed row blocks.
  const bool want_dw = p.grad_weight != nullptr;
  const bool want_db = p.grad_bias != nullptr;
  const int64_t blocks = ReductionBlocks(rows, n);
  const int64_t per_block = (rows + blocks - 1) / blocks;
  std::vector<T> dw(want_dw ? blocks * n : 0), db(want_db ? blocks * n : 0);
  ParallelFor(0, blocks, 1, [&](int64_t blo, int64_t bhi) {
    for (int64_t blk = blo; blk < bhi; ++blk) {
      T* dwb = want_dw ? dw.data() + blk * n : nullptr;
      T* dbb = want_db ? db.data() + blk * n : nullptr;
      const int64_t r_end = std::min(rows, (blk + 1) * per_block);
      for (int64_t r = blk * per_block; r < r_end; ++r) {
        Rows<T>::LayerNormBackward(dy + r * n, x + r * n, w, mean[r], rstd[r],
                                   n, dx != nullptr ? dx + r * n : nullptr, dwb,
                                   dbb);
      }
    }
  });
  if (want_dw)
    SumPartials<double>(dw, blocks, n, static_cast<T*>(p.grad_weight));
  if (want_db) SumPartials<double>(db, blocks, n, static_cast<T*>(p.grad_bias));
}

// --- Group norm --------------------------------------------------------------

template <typename T>
void GroupNormForward(const ChannelNormPlan& p) {
  const T* x = static_cast<const T*>(p.input);
  const T* w = static_cast<const T*>(p.weight);
  const T* b = static_cast<const T*>(p.bias);
  T* y = static_cast<T*>(p.output);
  const int64_t d = p.c / p.groups, hw = p.hw, len = d * hw;
  using R = Rows<T>;
  ParallelFor(
      0, p.n * p.groups, RowGrain(len * 3), [&](int64_t lo, int64_t hi) {
        for (int64_t ng = lo; ng < hi; ++ng) {
          const T* xg = x + ng * len;
          const T m = R::Sum(xg, len) / static_cast<T>(len);
          const T var = R::SumSqDev(xg, len, m) / static_cast<T>(len);
          const T rs =
              1 / std::sqrt(std::max(var, T(0)) + static_cast<T>(p.eps));
          static_cast<T*>(p.mean)[ng] = m;
          static_cast<T*>(p.invstd)[ng] = rs;
          const int64_t c0 = (ng % p.groups) * d;
          for (int64_t k = 0; k < d; ++k) {
            const T scale = rs * (w != nullptr ? w[c0 + k] : T(1));
            const T shift = (b != nullptr ? b[c0 + k] : T(0)) - m * scale;
            const T* xr = xg + k * hw;
            T* yr = y + ng * len + k * hw;
            for (int64_t j = 0; j < hw; ++j) yr[j] = xr[j] * scale + shift;
          }
        }
      });
}

template <typename T>
void GroupNormBackward(const ChannelNormPlan& p) {
  const T* dy = static_cast<const T*>(p.grad_output);
  const T* x = static_cast<const T*>(p.input);
  const T* w = static_cast<const T*>(p.weight);
  const T* mean = static_cast<const T*>(p.mean);
  const T* rstd = static_cast<const T*>(p.invstd);
  T* dx = static_cast<T*>(p.output);
  const int64_t groups = p.groups, d = p.c / groups, hw = p.hw;
  // ds[n, c] = sum dy * x, db[n, c] = sum dy over the spatial dims.
  std::vector<double> ds(p.n * p.c), db(p.n * p.c);
  ParallelFor(
      0, p.n * groups, RowGrain(d * hw * 4), [&](int64_t lo, int64_t hi) {
        for (int64_t ng = lo; ng < hi; ++ng) {
          const int64_t c0 = (ng % groups) * d, n = ng / groups;
          double sum1 = 0, sum2 = 0;
          for (int64_t k = 0; k < d; ++k) {
            const int64_t off = (n * p.c + c0 + k) * hw;
            double s = 0, t = 0;
            for (int64_t j = 0; j < hw; ++j) {
              s += static_cast<double>(dy[off + j]) * x[off + j];
              t += dy[off + j];
            }
            ds[n * p.c + c0 + k] = s;
            db[n * p.c + c0 + k] = t;
            const double wc =
                w != nullptr ? static_cast<double>(w[c0 + k]) : 1.0;
            sum1 += s * wc;
            sum2 += t * wc;
          }
          if (dx == nullptr) continue;
          const double mu = mean[ng], rs = rstd[ng];
          const double scale = 1.0 / static_cast<double>(d * hw);
          const double c2 = (sum2 * mu - sum1) * rs * rs * rs * scale;
          const double c3 = -c2 * mu - sum2 * rs * scale;
          for (int64_t k = 0; k < d; ++k) {
            const int64_t off = (n * p.c + c0 + k) * hw;
            const double wc =
                w != nullptr ? static_cast<double>(w[c0 + k]) : 1.0;
            const double a = rs * wc;
            for (int64_t j = 0; j < hw; ++j) {
              dx[off + j] =
                  static_cast<T>(a * dy[off + j] + c2 * x[off + j] + c3);
            }
          }
        }
      });
  for (int64_t c = 0; c < p.c; ++c) {
    const int64_t g = c / d;
    double gw = 0, gb = 0;
    for (int64_t n = 0; n < p.n; ++n) {
      const double mu = mean[n * groups + g], rs = rstd[n * groups + g];
      gw += (ds[n * p.c + c] - db[n * p.c + c] * mu) * rs;
      gb += db[n * p.c + c];
    }
    if (p.grad_weight != nullptr) static_cast<T*>(p.grad_weight)[c] = T(gw);
    if (p.grad_bias != nullptr) static_cast<T*>(p.grad_bias)[c] = T(gb);
  }
}

// --- Classification losses ---------------------------------------------------

// One element (sample n, position s) of a [n, c, inner] class loss: the
// class values are x[0], x[stride], ..., x[(c - 1) * stride].
template <typename T>
struct ClassRow {
  const T* x;
  int64_t stride;
  int64_t c;

  T operator[](int64_t k) const { return x[k * stride]; }

  // max_k x_k and sum_k exp(x_k - max): lse = max + log(sum).
  struct Stats {
    T max;
    double sum;
    double lse() const { return static_cast<double>(max) + std::log(sum); }
  };
  Stats SoftmaxStats() const {
    if (stride == 1) {
      const T m = Rows<T>::Max(x, c);
      return {m,
              static_cast<double>(Rows<T>::ExpStoreSum(x, nullptr, c, m, 1))};
    }
    T m = T(-kInf);
    for (int64_t k = 0; k < c; ++k) m = std::max(m, (*this)[k]);
    double sum = 0;
    for (int64_t k = 0; k < c; ++k) sum += std::exp((*this)[k] - m);
    return {m, sum};
  }

  // log(sum_k exp(x_k)) for logits; 0 for log-probabilities.
  double LogSumExp(bool from_logits) const {
    return from_logits ? SoftmaxStats().lse() : 0.0;
  }
};

int64_t CheckedTarget(const ClassLossPlan& p, int64_t e) {
  const int64_t t = p.target_index[e];
  if (t == p.ignore_index) return -1;
  TCH_CHECK_T(IndexError, t >= 0 && t < p.c, "Target ", t,
              " is out of bounds.");
  return t;
}

template <typename T>
ClassRow<T> RowOf(const ClassLossPlan& p, const T* base, int64_t e) {
  const int64_t i = e / p.inner, s = e % p.inner;
  return ClassRow<T>{base + i * p.c * p.inner + s, p.inner, p.c};
}

// Loss of element e and its contribution to the kMean denominator.
template <typename T>
void ClassLossElement(const ClassLossPlan& p, int64_t e, double* loss,
                      double* denom) {
  const T* w = static_cast<const T*>(p.weight);
  const ClassRow<T> row = RowOf(p, static_cast<const T*>(p.input), e);
  const double eps = p.label_smoothing;
  if (p.target_prob != nullptr) {
    const ClassRow<T> t = RowOf(p, static_cast<const T*>(p.target_prob), e);
    const double lse = row.LogSumExp(p.from_logits);
    double l = 0;
    for (int64_t k = 0; k < p.c; ++k) {
      const double tk = t[k] * (1 - eps) + eps / static_cast<double>(p.c);
      l += (w != nullptr ? w[k] : T(1)) * tk * (lse - row[k]);
    }
    *loss = l;
    *denom = 1;
    return;
  }
  const int64_t t = CheckedTarget(p, e);
  if (t < 0) {
    *loss = 0;
    *denom = 0;
    return;
  }
  const double lse = row.LogSumExp(p.from_logits);
  const double wt = w != nullptr ? static_cast<double>(w[t]) : 1.0;
  double l = wt * (lse - row[t]);
  if (eps > 0) {
    double smooth = 0;
    for (int64_t k = 0; k < p.c; ++k) {
      smooth += (w != nullptr ? w[k] : T(1)) * (lse - row[k]);
    }
    l = (1 - eps) * l + eps / p.c * smooth;
  }
  *loss = l;
  *denom = wt;
}

template <typename T>
void ClassLossForward(const ClassLossPlan& p) {
  const int64_t count = p.n * p.inner;
  T* out = static_cast<T*>(p.loss);
  const int64_t grain = RowGrain(p.c * 4);
  if (p.reduction == Reduction::kNone) {
    ParallelFor(0, count, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t e = lo; e < hi; ++e) {
        double l, d;
        ClassLossElement<T>(p, e, &l, &d);
        out[e] = static_cast<T>(l);
      }
    });
    return;
  }
  // Per-block partial sums over fixed blocks (thread-count independent).
  const int64_t blocks = ReductionBlocks(count, p.c * 4);
  const int64_t per_block = (count + blocks - 1) / blocks;
  std::vector<double> loss(blocks), denom(blocks);
  ParallelFor(0, blocks, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      double l_sum = 0, d_sum = 0;
      const int64_t end = std::min(count, (b + 1) * per_block);
      for (int64_t e = b * per_block; e < end; ++e) {
        double l, d;
        ClassLossElement<T>(p, e, &l, &d);
        l_sum += l;
        d_sum += d;
      }
      loss[b] = l_sum;
      denom[b] = d_sum;
    }
  });
  double total = 0, total_denom = 0;
  for (int64_t b = 0; b < blocks; ++b) {
    total += loss[b];
    total_denom += denom[b];
  }
  out[0] = static_cast<T>(p.reduction == Reduction::kMean ? total / total_denom
                                                          : total);
}

template <typename T>
void ClassLossBackward(const ClassLossPlan& p) {
  const int64_t count = p.n * p.inner;
  const T* w = static_cast<const T*>(p.weight);
  const T* go = static_cast<const T*>(p.grad_output);
  const double eps = p.label_smoothing, eps_c = eps / static_cast<double>(p.c);
  double w_sum = 0;  // sum_c w_c (C without weights)
  for (int64_t k = 0; k < p.c; ++k) w_sum += w != nullptr ? w[k] : T(1);
  double norm = 1;  // kMean: 1 / denominator
  if (p.reduction == Reduction::kMean) {
    double d = 0;
    if (p.target_prob != nullptr) {
      d = static_cast<double>(count);
    } else {
      for (int64_t e = 0; e < count; ++e) {
        const int64_t t = CheckedTarget(p, e);
        if (t >= 0) d += w != nullptr ? static_cast<double>(w[t]) : 1.0;
      }
    }
    norm = 1 / d;
  }
  T* gi = static_cast<T*>(p.grad_input);
  ParallelFor(0, count, RowGrain(p.c * 4), [&](int64_t lo, int64_t hi) {
    std::vector<double> coef(p.c);  // a_k: loss = sum_k a_k * (lse - x_k)
    for (int64_t e = lo; e < hi; ++e) {
      const ClassRow<T> row = RowOf(p, static_cast<const T*>(p.input), e);
      T* g_row = gi + (e / p.inner) * p.c * p.inner + e % p.inner;
      const double g = (p.reduction == Reduction::kNone ? go[e] : go[0]) * norm;
      double a_sum, wt = 0;
      int64_t t = -1;
      // Only class t has a coefficient (eps == 0, class-id target): the
      // logits fast path below never reads coef, so it is not filled.
      bool sparse = false;
      if (p.target_prob != nullptr) {
        const ClassRow<T> tr =
            RowOf(p, static_cast<const T*>(p.target_prob), e);
        a_sum = 0;
        for (int64_t k = 0; k < p.c; ++k) {
          coef[k] = (w != nullptr ? w[k] : T(1)) * (tr[k] * (1 - eps) + eps_c);
          a_sum += coef[k];
        }
      } else {
        t = CheckedTarget(p, e);
        if (t < 0) {
          for (int64_t k = 0; k < p.c; ++k) g_row[k * p.inner] = 0;
          continue;
        }
        wt = w != nullptr ? static_cast<double>(w[t]) : 1.0;
        sparse = eps == 0 && p.from_logits && p.inner == 1;
        if (!sparse) {
          for (int64_t k = 0; k < p.c; ++k) {
            coef[k] = eps_c * (w != nullptr ? static_cast<double>(w[k]) : 1.0);
          }
          coef[t] += (1 - eps) * wt;
        }
        a_sum = (1 - eps) * wt + eps_c * w_sum;
      }
      // logits: g * (softmax_k * a_sum - a_k); log-probs: -g * a_k.
      if (!p.from_logits) {
        for (int64_t k = 0; k < p.c; ++k) {
          g_row[k * p.inner] = static_cast<T>(-g * coef[k]);
        }
        continue;
      }
      const typename ClassRow<T>::Stats stats = row.SoftmaxStats();
      if (p.inner == 1) {
        // softmax_k * g * a_sum = exp(x_k - max) * (g * a_sum / sum).
        Rows<T>::ExpStoreSum(row.x, g_row, p.c, stats.max,
                             static_cast<T>(g * a_sum / stats.sum));
        if (sparse) {
          g_row[t] = static_cast<T>(g_row[t] - g * wt);
        } else {
          for (int64_t k = 0; k < p.c; ++k) {
            g_row[k] = static_cast<T>(g_row[k] - g * coef[k]);
          }
        }
        continue;
      }
      for (int64_t k = 0; k < p.c; ++k) {
        const double prob = std::exp(row[k] - stats.max) / stats.sum;
        g_row[k * p.inner] = static_cast<T>(g * (prob * a_sum - coef[k]));
      }
    }
  });
}

// --- Pointwise losses --------------------------------------------------------

template <typename T>
double PointwiseLossValue(const PointwiseLossPlan& p, int64_t i) {
  const double x = static_cast<const T*>(p.input)[i];
  const double t = static_cast<const T*>(p.target)[i];
  switch (p.kind) {
    case PointwiseLossKind::kMse:
      return (x - t) * (x - t);
    case PointwiseLossKind::kL1:
      return std::fabs(x - t);
    case PointwiseLossKind::kSmoothL1: {
      const double d = std::fabs(x - t);
      return d < p.beta ? 0.5 * d * d / p.beta : d - 0.5 * p.beta;
    }
    case PointwiseLossKind::kBceWithLogits: {
      const double max_val = std::max(-x, 0.0);
      const double soft = std::log(std::exp(-max_val) + std::exp(-x - max_val));
      double l;
      if (p.pos_weight != nullptr) {
        const double lw =
            (static_cast<const T*>(p.pos_weight)[i] - 1.0) * t + 1.0;
        l = (1 - t) * x + lw * (soft + max_val);
      } else {
        l = (1 - t) * x + max_val + soft;
      }
      if (p.weight != nullptr) l *= static_cast<const T*>(p.weight)[i];
      return l;
    }
  }
  return 0;
}

template <typename T>
double PointwiseLossGrad(const PointwiseLossPlan& p, int64_t i) {
  const double x = static_cast<const T*>(p.input)[i];
  const double t = static_cast<const T*>(p.target)[i];
  const double d = x - t;
  switch (p.kind) {
    case PointwiseLossKind::kMse:
      return 2 * d;
    case PointwiseLossKind::kL1:
      return static_cast<double>((d > 0) - (d < 0));
    case PointwiseLossKind::kSmoothL1:
      // PyTorch's order of tests: with beta 0, d == 0 gives -1.
      return d <= -p.beta ? -1.0 : (d >= p.beta ? 1.0 : d / p.beta);
    case PointwiseLossKind::kBceWithLogits: {
      if (p.wrt_target) {
        // -x - (pw - 1) * log_sigmoid(x), log_sigmoid(x) stable for any x.
        const double log_sig =
            -(std::max(-x, 0.0) + std::log1p(std::exp(-std::fabs(x))));
        const double pw = p.pos_weight != nullptr
                              ? static_cast<const T*>(p.pos_weight)[i]
                              : 1.0;
        double g = -x - (pw - 1) * log_sig;
        if (p.weight != nullptr) g *= static_cast<const T*>(p.weight)[i];
        return g;
      }
      const double sig = 1 / (1 + std::exp(-x));
      double g;
      if (p.pos_weight != nullptr) {
        const double tp = static_cast<const T*>(p.pos_weight)[i] * t;
        g = (tp + 1 - t) * sig - tp;
      } else {
        g = sig - t;
      }
      if (p.weight != nullptr) g *= static_cast<const T*>(p.weight)[i];
      return g;
    }
  }
  return 0;
}

template <typename T>
void PointwiseLossForward(const PointwiseLossPlan& p) {
  T* out = static_cast<T*>(p.out);
  if (p.reduction == Reduction::kNone) {
    ParallelFor(0, p.numel, kElementwiseGrainSize / 4,
                [&](int64_t lo, int64_t hi) {
                  for (int64_t i = lo; i < hi; ++i) {
                    out[i] = static_cast<T>(PointwiseLossValue<T>(p, i));
                  }
                });
    return;
  }
  const int64_t blocks = ReductionBlocks(p.numel, 4);
  const int64_t per_block = (p.numel + blocks - 1) / blocks;
  std::vector<double> partial(blocks);
  ParallelFor(0, blocks, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      double s = 0;
      const int64_t end = std::min(p.numel, (b + 1) * per_block);
      for (int64_t i = b * per_block; i < end; ++i) {
        s += PointwiseLossValue<T>(p, i);
      }
      partial[b] = s;
    }
  });
  double total = 0;
  for (double s : partial) total += s;
  if (p.reduction == Reduction::kMean) total /= static_cast<double>(p.numel);
  out[0] = static_cast<T>(total);
}

template <typename T>
void PointwiseLossBackward(const PointwiseLossPlan& p) {
  const T* go = static_cast<const T*>(p.grad_output);
  T* out = static_cast<T*>(p.out);
  const bool per_element = p.reduction == Reduction::kNone;
  const double norm = p.reduction == Reduction::kMean
                          ? 1.0 / static_cast<double>(p.numel)
                          : 1.0;
  ParallelFor(0, p.numel, kElementwiseGrainSize / 4,
              [&](int64_t lo, int64_t hi) {
                for (int64_t i = lo; i < hi; ++i) {
                  const double g = per_element ? go[i] : go[0] * norm;
                  out[i] = static_cast<T>(PointwiseLossGrad<T>(p, i) * g);
                }
              });
}

// --- Attention ---------------------------------------------------------------

// C = alpha * op(A) op(B) + beta * C, row-major.
void Gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
          float* c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
              tb ? CblasTrans : CblasNoTrans, static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}
void Gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, int64_t lda, const double* b, int64_t ldb,
          double beta, double* c, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
              tb ? CblasTrans : CblasNoTrans, static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}

// scores[L, S] = scale * q k^T, then the mask; returns, per row, how many
// leading columns take part (S, or i + 1 under the causal mask).
template <typename T>
void AttentionScores(const AttentionPlan& p, int64_t b, T* scores) {
  const int64_t L = p.l, S = p.s, E = p.e;
  Gemm(false, true, L, S, E, static_cast<T>(p.scale),
       static_cast<const T*>(p.q) + b * L * E, E,
       static_cast<const T*>(p.k) + b * S * E, E, T(0), scores, S);
  if (p.mask == nullptr) return;
  const int64_t off = p.mask_offsets[b];
  for (int64_t i = 0; i < L; ++i) {
    T* row = scores + i * S;
    const int64_t mrow = off + i * p.mask_stride_l;
    if (p.mask_is_bool) {
      const bool* m = static_cast<const bool*>(p.mask) + mrow;
      for (int64_t j = 0; j < S; ++j) {
        if (!m[j * p.mask_stride_s]) row[j] = T(-kInf);
      }
    } else {
      const T* m = static_cast<const T*>(p.mask) + mrow;
      for (int64_t j = 0; j < S; ++j) row[j] += m[j * p.mask_stride_s];
    }
  }
}

int64_t AttentionRowLength(const AttentionPlan& p, int64_t i) {
  return p.is_causal ? std::min(p.s, i + 1) : p.s;
}

// Sets OpenBLAS's process-wide thread count, only when it differs (the rule
// linalg_kernels.cc documents: 1 inside ParallelFor chunks, the pool's size
// for a top-level call).
void SetBlasThreads(int n) {
  if (openblas_get_num_threads() != n) openblas_set_num_threads(n);
}

// Runs body(lo, hi) over attention problems: across the thread pool with
// single-threaded BLAS when there are several problems, else on the caller
// with BLAS using the pool's thread count.
template <typename Body>
void ForAttentionProblems(const AttentionPlan& p, Body&& body) {
  if (p.batch == 1 && !InParallelRegion()) {
    SetBlasThreads(GetNumThreads());
    body(int64_t{0}, int64_t{1});
    return;
  }
  const int64_t grain = RowGrain(p.l * p.s * (p.e + p.ev) / 8);
  ParallelFor(0, p.batch, grain, [&](int64_t lo, int64_t hi) {
    SetBlasThreads(1);
    body(lo, hi);
  });
}

template <typename T>
void AttentionForward(const AttentionPlan& p) {
  const int64_t L = p.l, S = p.s, Ev = p.ev;
  T* out = static_cast<T*>(p.out);
  T* lse = static_cast<T*>(p.lse);
  ForAttentionProblems(p, [&](int64_t lo, int64_t hi) {
    std::vector<T> scores(L * S);
    for (int64_t b = lo; b < hi; ++b) {
      T* o = out + b * L * Ev;
      if (S == 0) {
        std::fill(o, o + L * Ev, T(0));
        std::fill(lse + b * L, lse + (b + 1) * L, T(-kInf));
        continue;
      }
      AttentionScores<T>(p, b, scores.data());
      for (int64_t i = 0; i < L; ++i) {
        T* row = scores.data() + i * S;
        const int64_t len = AttentionRowLength(p, i);
        const T max = Rows<T>::Max(row, len);
        const T sum = Rows<T>::ExpStoreSum(row, row, len, max, 1);
        Rows<T>::Affine(row, row, len, 0, 1 / sum, 0);
        std::fill(row + len, row + S, T(0));
        // A fully masked row: NaN probabilities (as PyTorch's math path)
        // and logsumexp -inf (as torch.logsumexp).
        lse[b * L + i] = max == T(-kInf) ? max : max + std::log(sum);
      }
      Gemm(false, false, L, Ev, S, T(1), scores.data(), S,
           static_cast<const T*>(p.v) + b * S * Ev, Ev, T(0), o, Ev);
    }
  });
}

template <typename T>
void AttentionBackward(const AttentionPlan& p) {
  const int64_t L = p.l, S = p.s, E = p.e, Ev = p.ev;
  const T* lse = static_cast<const T*>(p.lse);
  const T scale = static_cast<T>(p.scale);
  ForAttentionProblems(p, [&](int64_t lo, int64_t hi) {
    std::vector<T> prob(L * S), dprob(L * S);
    for (int64_t b = lo; b < hi; ++b) {
      const T* q = static_cast<const T*>(p.q) + b * L * E;
      const T* k = static_cast<const T*>(p.k) + b * S * E;
      const T* v = static_cast<const T*>(p.v) + b * S * Ev;
      const T* o = static_cast<const T*>(p.out) + b * L * Ev;
      const T* go = static_cast<const T*>(p.grad_out) + b * L * Ev;
      T* gq = static_cast<T*>(p.grad_q) + b * L * E;
      T* gk = static_cast<T*>(p.grad_k) + b * S * E;
      T* gv = static_cast<T*>(p.grad_v) + b * S * Ev;
      if (S == 0) {
        std::fill(gq, gq + L * E, T(0));
        continue;
      }
      AttentionScores<T>(p, b, prob.data());
      for (int64_t i = 0; i < L; ++i) {
        T* row = prob.data() + i * S;
        const int64_t len = AttentionRowLength(p, i);
        Rows<T>::ExpStoreSum(row, row, len, lse[b * L + i], 1);
        std::fill(row + len, row + S, T(0));
      }
      // dV = P^T dO; dP = dO V^T; dS = P * (dP - rowsum(dO * O)).
      Gemm(true, false, S, Ev, L, T(1), prob.data(), S, go, Ev, T(0), gv, Ev);
      Gemm(false, true, L, S, Ev, T(1), go, Ev, v, Ev, T(0), dprob.data(), S);
      for (int64_t i = 0; i < L; ++i) {
        const T dot = Rows<T>::Dot(go + i * Ev, o + i * Ev, Ev);
        Rows<T>::SoftmaxBackward(dprob.data() + i * S, prob.data() + i * S,
                                 dprob.data() + i * S, S, dot);
      }
      // dQ = scale * dS K; dK = scale * dS^T Q.
      Gemm(false, false, L, E, S, scale, dprob.data(), S, k, E, T(0), gq, E);
      Gemm(true, false, S, E, L, scale, dprob.data(), S, q, E, T(0), gk, E);
    }
  });
}

// --- Registration ------------------------------------------------------------

template <typename Plan>
void RegisterFloating(const char* op, void (*f32)(const Plan&),
                      void (*f64)(const Plan&)) {
  KernelRegistrar(op, DeviceType::kCpu, {DType::kFloat32}, f32);
  KernelRegistrar(op, DeviceType::kCpu, {DType::kFloat64}, f64);
}

[[maybe_unused]] const bool kRegistered = [] {
  RegisterFloating("softmax", &SoftmaxForward<float>, &SoftmaxForward<double>);
  RegisterFloating("softmax_backward", &SoftmaxBackward<float>,
                   &SoftmaxBackward<double>);
  RegisterFloating("layer_norm", &LayerNormForward<float>,
                   &LayerNormForward<double>);
  RegisterFloating("layer_norm_backward", &LayerNormBackward<float>,
                   &LayerNormBackward<double>);
  RegisterFloating("group_norm", &GroupNormForward<float>,
                   &GroupNormForward<double>);
  RegisterFloating("group_norm_backward", &GroupNormBackward<float>,
                   &GroupNormBackward<double>);
  RegisterFloating("class_loss", &ClassLossForward<float>,
                   &ClassLossForward<double>);
  RegisterFloating("class_loss_backward", &ClassLossBackward<float>,
                   &ClassLossBackward<double>);
  RegisterFloating("pointwise_loss", &PointwiseLossForward<float>,
                   &PointwiseLossForward<double>);
  RegisterFloating("pointwise_loss_backward", &PointwiseLossBackward<float>,
                   &PointwiseLossBackward<double>);
  RegisterFloating("sdpa", &AttentionForward<float>, &AttentionForward<double>);
  RegisterFloating("sdpa_backward", &AttentionBackward<float>,
                   &AttentionBackward<double>);
  return true;
}();

}  // namespace
}  // namespace tch::cpu
