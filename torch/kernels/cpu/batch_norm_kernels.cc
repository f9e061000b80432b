// CPU kernels of batch_norm and batch_norm_backward (torch/core/norm_ops.h)
// over a contiguous [N, C, HW] buffer of float32 or float64 (core computes
// 16-bit inputs in float32).
//
// Two layouts of the work:
//   * Rows (HW >= kMinRow, e.g. conv activations): channels run in parallel;
//     a channel's N rows are grouped (or cut) into blocks of about kBlock
//     values whose mean and squared deviations come from one SIMD pass each
//     (batch_norm-inl.h; the second sweep hits L1) and are merged in float64
//     (Chan et al.'s pairwise update). The channel is normalized (or its
//     gradient applied) right after its statistics, while its rows are still
//     in L2, so each tensor crosses memory about once per direction.
//   * Columns (small HW, e.g. BatchNorm1d on [N, C]): per-column float64
//     sums over N, two passes (mean, then squared deviations), vectorized
//     across columns.
// Every channel's statistics are summed in a fixed order that depends on
// the shape only, so results do not depend on the thread count.

// clang-format off
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "torch/kernels/cpu/batch_norm-inl.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "torch/kernels/cpu/batch_norm-inl.h"
// clang-format on

#if HWY_ONCE

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "torch/core/dispatch.h"
#include "torch/core/norm_ops.h"
#include "torch/core/parallel.h"

namespace tch::cpu {

HWY_EXPORT(BnBlockStats);
HWY_EXPORT(BnBlockGradSums);
HWY_EXPORT(BnAffineRows);
HWY_EXPORT(BnBackwardRows);
HWY_EXPORT(BnScaleRows);

namespace {

// Values per statistics block: float lane sums stay short (a few hundred
// adds per lane) and the block fits in L1 for its second sweep.
constexpr int64_t kBlock = 4096;
// Rows shorter than this go through the column layout.
constexpr int64_t kMinRow = 32;

// --- Block primitives: SIMD for float, scalar twins for double ---------------
// A block is `rows` rows of `len` values at `stride` (batch_norm-inl.h).

template <typename T>
struct BnRows;

template <>
struct BnRows<float> {
  static void Stats(const float* x, int64_t stride, int64_t rows, int64_t len,
                    double* mean, double* m2) {
    HWY_DYNAMIC_DISPATCH(BnBlockStats)(x, stride, rows, len, mean, m2);
  }
  static void GradSums(const float* dy, const float* x, int64_t stride,
                       int64_t rows, int64_t len, float mean, double* sum_dy,
                       double* sum_dy_xmu) {
    HWY_DYNAMIC_DISPATCH(BnBlockGradSums)
    (dy, x, stride, rows, len, mean, sum_dy, sum_dy_xmu);
  }
  static void Affine(const float* x, float* y, int64_t stride, int64_t rows,
                     int64_t len, float s, float t) {
    HWY_DYNAMIC_DISPATCH(BnAffineRows)(x, y, stride, rows, len, s, t);
  }
  static void Backward(const float* dy, const float* x, float* dx,
                       int64_t stride, int64_t rows, int64_t len, float mean,
                       float mean_dy, float proj, float k) {
    HWY_DYNAMIC_DISPATCH(BnBackwardRows)
    (dy, x, dx, stride, rows, len, mean, mean_dy, proj, k);
  }
  static void Scale(const float* dy, float* dx, int64_t stride, int64_t rows,
                    int64_t len, float k) {
    HWY_DYNAMIC_DISPATCH(BnScaleRows)(dy, dx, stride, rows, len, k);
  }
};

template <>
struct BnRows<double> {
  // Calls f(i) for every element offset i of the block.
  template <typename F>
  static void Each(int64_t stride, int64_t rows, int64_t len, F&& f) {
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t j = 0; j < len; ++j) f(r * stride + j);
    }
  }
  static void Stats(const double* x, int64_t stride, int64_t rows, int64_t len,
                    double* mean, double* m2) {
    double s = 0;
    Each(stride, rows, len, [&](int64_t i) { s += x[i]; });
    const double count = static_cast<double>(rows * len), m = s / count;
    double sd = 0, sq = 0;
    Each(stride, rows, len, [&](int64_t i) {
      const double a = x[i] - m;
      sd += a;
      sq += a * a;
    });
    *mean = std::isfinite(m) ? m + sd / count : m;
    *m2 = std::max(0.0, sq - sd * sd / count);
  }
  static void GradSums(const double* dy, const double* x, int64_t stride,
                       int64_t rows, int64_t len, double mean, double* sum_dy,
                       double* sum_dy_xmu) {
    double sg = 0, sp = 0;
    Each(stride, rows, len, [&](int64_t i) {
      sg += dy[i];
      sp += dy[i] * (x[i] - mean);
    });
    *sum_dy += sg;
    *sum_dy_xmu += sp;
  }
  static void Affine(const double* x, double* y, int64_t stride, int64_t rows,
                     int64_t len, double s, double t) {
    Each(stride, rows, len, [&](int64_t i) { y[i] = x[i] * s + t; });
  }
  static void Backward(const double* dy, const double* x, double* dx,
                       int64_t stride, int64_t rows, int64_t len, double mean,
                       double mean_dy, double proj, double k) {
    Each(stride, rows, len, [&](int64_t i) {
      dx[i] = (dy[i] - mean_dy - (x[i] - mean) * proj) * k;
    });
  }
  static void Scale(const double* dy, double* dx, int64_t stride, int64_t rows,
                    int64_t len, double k) {
    Each(stride, rows, len, [&](int64_t i) { dx[i] = dy[i] * k; });
  }
};

// Calls fn(offset, rows, len) for the statistics blocks of channel c, in a
// fixed order: groups of kBlock / HW whole rows, or for long rows pieces of
// at most kBlock values.
template <typename Fn>
void ForBlocks(const ChannelNormPlan& p, int64_t c, Fn&& fn) {
  const int64_t hw = p.hw;
  if (hw >= kBlock) {
    for (int64_t i = 0; i < p.n; ++i) {
      for (int64_t j = 0; j < hw; j += kBlock) {
        fn((i * p.c + c) * hw + j, int64_t{1}, std::min(kBlock, hw - j));
      }
    }
    return;
  }
  const int64_t group = kBlock / hw;
  for (int64_t i = 0; i < p.n; i += group) {
    fn((i * p.c + c) * hw, std::min(group, p.n - i), hw);
  }
}

// A channel's count, mean and sum of squared deviations, merged block by
// block. `sum` backs up the mean when it is not finite (Inf inputs: the
// pairwise update would give NaN where the plain mean is +-Inf).
struct Moments {
  double count = 0, mean = 0, m2 = 0, sum = 0;
  void Merge(double n, double seg_mean, double seg_m2) {
    const double total = count + n;
    const double delta = seg_mean - mean;
    mean += delta * (n / total);
    m2 += seg_m2 + delta * delta * (count * n / total);
    sum += seg_mean * n;
    count = total;
  }
  double Mean() const { return std::isfinite(mean) ? mean : sum / count; }
};

template <typename Fn>
void ForChannels(const ChannelNormPlan& p, Fn&& fn) {
  const int64_t grain = std::max<int64_t>(1, 32768 / (p.n * p.hw * 2));
  ParallelFor(0, p.c, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) fn(c);
  });
}

// Per-channel scale and shift of the forward transform y = x * s + t; in
// training, from the batch mean and m2 (sum of squared deviations), which
// it also saves and folds into the running statistics.
template <typename T>
void ChannelAffine(const ChannelNormPlan& p, int64_t c, double mean, double m2,
                   T* scale, T* shift) {
  const T* w = static_cast<const T*>(p.weight);
  const T* b = static_cast<const T*>(p.bias);
  const double count = static_cast<double>(p.n * p.hw);
  double invstd;
  if (p.training) {
    invstd = 1 / std::sqrt(m2 / count + p.eps);
    static_cast<T*>(p.mean)[c] = static_cast<T>(mean);
    static_cast<T*>(p.invstd)[c] = static_cast<T>(invstd);
    if (T* rm = static_cast<T*>(p.running_mean)) {
      rm[c] = static_cast<T>((1 - p.momentum) * rm[c] + p.momentum * mean);
    }
    if (T* rv = static_cast<T*>(p.running_var)) {
      const double unbiased = m2 / (count - 1);
      rv[c] = static_cast<T>((1 - p.momentum) * rv[c] + p.momentum * unbiased);
    }
  } else {
    mean = static_cast<const T*>(p.running_mean)[c];
    invstd =
        1 / std::sqrt(static_cast<double>(static_cast<T*>(p.running_var)[c]) +
                      p.eps);
  }
  const double s = invstd * (w != nullptr ? static_cast<double>(w[c]) : 1.0);
  *scale = static_cast<T>(s);
  *shift = static_cast<T>((b != nullptr ? static_cast<double>(b[c]) : 0.0) -
                          mean * s);
}

// The constants of a channel's gradient, dx = (dy - mean_dy - (x - mean) *
// proj) * k, from sum(dy) and sum(dy * (x - mean)); writes grad_weight and
// grad_bias.
template <typename T>
struct ChannelGrad {
  T mean, mean_dy, proj, k;
};

template <typename T>
double ChannelMean(const ChannelNormPlan& p, int64_t c) {
  return static_cast<const T*>(p.training ? p.mean : p.running_mean)[c];
}

template <typename T>
ChannelGrad<T> FinishGrad(const ChannelNormPlan& p, int64_t c, double sum_dy,
                          double sum_dy_xmu) {
  const double mean = ChannelMean<T>(p, c);
  const double invstd =
      p.training ? static_cast<double>(static_cast<const T*>(p.invstd)[c])
                 : 1 / std::sqrt(static_cast<double>(
                                     static_cast<const T*>(p.running_var)[c]) +
                                 p.eps);
  const double sum_dy_xhat = sum_dy_xmu * invstd;
  if (p.grad_weight != nullptr) {
    static_cast<T*>(p.grad_weight)[c] = static_cast<T>(sum_dy_xhat);
  }
  if (p.grad_bias != nullptr) {
    static_cast<T*>(p.grad_bias)[c] = static_cast<T>(sum_dy);
  }
  const T* w = static_cast<const T*>(p.weight);
  const double count = static_cast<double>(p.n * p.hw);
  const double k = invstd * (w != nullptr ? static_cast<double>(w[c]) : 1.0);
  return {static_cast<T>(mean),
          static_cast<T>(p.training ? sum_dy / count : 0.0),
          static_cast<T>(p.training ? sum_dy_xhat / count * invstd : 0.0),
          static_cast<T>(k)};
}

// --- Rows layout -------------------------------------------------------------

template <typename T>
void RowsForward(const ChannelNormPlan& p) {
  const T* x = static_cast<const T*>(p.input);
  T* y = static_cast<T*>(p.output);
  const int64_t stride = p.c * p.hw;
  ForChannels(p, [&](int64_t c) {
    Moments mo;
    if (p.training) {
      ForBlocks(p, c, [&](int64_t off, int64_t rows, int64_t len) {
        double mean, m2;
        BnRows<T>::Stats(x + off, stride, rows, len, &mean, &m2);
        mo.Merge(static_cast<double>(rows * len), mean, m2);
      });
    }
    T s, t;
    ChannelAffine<T>(p, c, mo.Mean(), mo.m2, &s, &t);
    const int64_t off = c * p.hw;
    BnRows<T>::Affine(x + off, y + off, stride, p.n, p.hw, s, t);
  });
}

template <typename T>
void RowsBackward(const ChannelNormPlan& p) {
  const T* dy = static_cast<const T*>(p.grad_output);
  const T* x = static_cast<const T*>(p.input);
  T* dx = static_cast<T*>(p.output);
  const int64_t stride = p.c * p.hw;
  ForChannels(p, [&](int64_t c) {
    const T mean = static_cast<T>(ChannelMean<T>(p, c));
    double sum_dy = 0, sum_dy_xmu = 0;
    ForBlocks(p, c, [&](int64_t off, int64_t rows, int64_t len) {
      BnRows<T>::GradSums(dy + off, x + off, stride, rows, len, mean, &sum_dy,
                          &sum_dy_xmu);
    });
    const ChannelGrad<T> g = FinishGrad<T>(p, c, sum_dy, sum_dy_xmu);
    if (dx == nullptr) return;
    const int64_t off = c * p.hw;
    if (p.training) {
      BnRows<T>::Backward(dy + off, x + off, dx + off, stride, p.n, p.hw,
                          g.mean, g.mean_dy, g.proj, g.k);
    } else {
      BnRows<T>::Scale(dy + off, dx + off, stride, p.n, p.hw, g.k);
    }
  });
}

// --- Columns layout ----------------------------------------------------------
// The input seen as [N, C * HW]: column j belongs to channel j / HW.

// acc[j] = sum over rows of f(row[j], j), in parallel over columns (each
// column's sum runs over the rows in order).
template <typename T, typename F>
std::vector<double> ColumnSums(const ChannelNormPlan& p, F&& f) {
  const int64_t cols = p.c * p.hw;
  std::vector<double> acc(cols, 0.0);
  const int64_t grain = std::max<int64_t>(16, 32768 / p.n);
  ParallelFor(0, cols, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = 0; i < p.n; ++i) {
      for (int64_t j = lo; j < hi; ++j) acc[j] += f(i * cols + j, j);
    }
  });
  return acc;
}

// Sums the HW columns of each channel.
std::vector<double> PerChannel(const ChannelNormPlan& p,
                               const std::vector<double>& acc) {
  std::vector<double> out(p.c, 0.0);
  for (int64_t c = 0; c < p.c; ++c) {
    for (int64_t j = 0; j < p.hw; ++j) out[c] += acc[c * p.hw + j];
  }
  return out;
}

// Per-column copies of per-channel values, for loops over columns.
template <typename T, typename V>
std::vector<T> Spread(const ChannelNormPlan& p, const V& per_channel) {
  std::vector<T> out(p.c * p.hw);
  for (int64_t j = 0; j < p.c * p.hw; ++j) {
    out[j] = static_cast<T>(per_channel[j / p.hw]);
  }
  return out;
}

// out[i, j] = f(i * cols + j, j) for every element, in parallel over rows.
template <typename F>
void ForRows(const ChannelNormPlan& p, F&& f) {
  const int64_t cols = p.c * p.hw;
  ParallelFor(0, p.n, std::max<int64_t>(1, 32768 / cols),
              [&](int64_t lo, int64_t hi) {
                for (int64_t i = lo; i < hi; ++i) {
                  for (int64_t j = 0; j < cols; ++j) f(i * cols + j, j);
                }
              });
}

template <typename T>
void ColumnsForward(const ChannelNormPlan& p) {
  const T* x = static_cast<const T*>(p.input);
  T* y = static_cast<T*>(p.output);
  const double count = static_cast<double>(p.n * p.hw);
  std::vector<double> mean(p.c, 0.0), m2(p.c, 0.0);
  if (p.training) {
    mean = PerChannel(p, ColumnSums<T>(p, [&](int64_t e, int64_t) {
                        return static_cast<double>(x[e]);
                      }));
    for (double& m : mean) m /= count;
    const std::vector<double> col_mean = Spread<double>(p, mean);
    m2 = PerChannel(p, ColumnSums<T>(p, [&](int64_t e, int64_t j) {
                      const double d = x[e] - col_mean[j];
                      return d * d;
                    }));
  }
  std::vector<T> scale(p.c), shift(p.c);
  for (int64_t c = 0; c < p.c; ++c) {
    ChannelAffine<T>(p, c, mean[c], m2[c], &scale[c], &shift[c]);
  }
  const std::vector<T> s = Spread<T>(p, scale), t = Spread<T>(p, shift);
  ForRows(p, [&](int64_t e, int64_t j) { y[e] = x[e] * s[j] + t[j]; });
}

template <typename T>
void ColumnsBackward(const ChannelNormPlan& p) {
  const T* dy = static_cast<const T*>(p.grad_output);
  const T* x = static_cast<const T*>(p.input);
  T* dx = static_cast<T*>(p.output);
  std::vector<double> mean(p.c);
  for (int64_t c = 0; c < p.c; ++c) mean[c] = ChannelMean<T>(p, c);
  const std::vector<double> col_mean = Spread<double>(p, mean);
  const std::vector<double> sum_dy =
      PerChannel(p, ColumnSums<T>(p, [&](int64_t e, int64_t) {
                   return static_cast<double>(dy[e]);
                 }));
  const std::vector<double> sum_dy_xmu =
      PerChannel(p, ColumnSums<T>(p, [&](int64_t e, int64_t j) {
                   return static_cast<double>(dy[e]) * (x[e] - col_mean[j]);
                 }));
  std::vector<T> mean_dy(p.c), proj(p.c), k(p.c);
  for (int64_t c = 0; c < p.c; ++c) {
    const ChannelGrad<T> g = FinishGrad<T>(p, c, sum_dy[c], sum_dy_xmu[c]);
    mean_dy[c] = g.mean_dy;
    proj[c] = g.proj;
    k[c] = g.k;
  }
  if (dx == nullptr) return;
  const std::vector<T> cmean = Spread<T>(p, mean), cm = Spread<T>(p, mean_dy),
                       cp = Spread<T>(p, proj), ck = Spread<T>(p, k);
  ForRows(p, [&](int64_t e, int64_t j) {
    dx[e] = (dy[e] - cm[j] - (x[e] - cmean[j]) * cp[j]) * ck[j];
  });
}

template <typename T>
void BatchNormForward(const ChannelNormPlan& p) {
  if (p.hw >= kMinRow) {
    RowsForward<T>(p);
  } else {
    ColumnsForward<T>(p);
  }
}

template <typename T>
void BatchNormBackward(const ChannelNormPlan& p) {
  if (p.hw >= kMinRow) {
    RowsBackward<T>(p);
  } else {
    ColumnsBackward<T>(p);
  }
}

[[maybe_unused]] const bool kRegistered = [] {
  KernelRegistrar("batch_norm", DeviceType::kCpu, {DType::kFloat32},
                  &BatchNormForward<float>);
  KernelRegistrar("batch_norm", DeviceType::kCpu, {DType::kFloat64},
                  &BatchNormForward<double>);
  KernelRegistrar("batch_norm_backward", DeviceType::kCpu, {DType::kFloat32},
                  &BatchNormBackward<float>);
  KernelRegistrar("batch_norm_backward", DeviceType::kCpu, {DType::kFloat64},
                  &BatchNormBackward<double>);
  return true;
}();

}  // namespace
}  // namespace tch::cpu

#endif  // HWY_ONCE
