// CPU kernels of the nn family: max/avg/adaptive-avg pooling and their
// backwards, embedding and its scatter-add backward. conv2d lives in
// conv_kernels.cc (float32 and reduced types) and conv_f64.cc (float64).
// float32 2x2 / stride 2 max pooling runs the AVX-512 kernels of
// pool_simd-inl.h where the CPU has them.

// clang-format off
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "torch/kernels/cpu/pool_simd-inl.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "torch/kernels/cpu/pool_simd-inl.h"
// clang-format on

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "torch/core/dispatch.h"
#include "torch/core/nn_ops.h"
#include "torch/core/ops.h"
#include "torch/core/parallel.h"
#include "torch/kernels/cpu/loops.h"

namespace tch::cpu {

HWY_EXPORT(MaxPool2x2Plane);
HWY_EXPORT(MaxPool2x2BackwardPlane);

namespace {

// --- Pooling
// -----------------------------------------------------------------------

// Planes whose element offsets fit the 32-bit lanes of pool_simd-inl.h.
constexpr int64_t kMaxPlane32 = int64_t{1} << 30;

// Planes per ParallelFor grain for `work_per_plane` operations per plane.
int64_t PlaneGrain(int64_t work_per_plane) {
  return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, work_per_plane));
}

template <typename T>
void MaxPool2dForward(const MaxPool2dPlan& plan) {
  using M = OpMath<T>;
  const Pool2dGeometry& g = plan.g;
  const T* in = plan.input.data_ptr<T>();
  T* out = plan.output.data_ptr<T>();
  int64_t* idx = plan.indices.data_ptr<int64_t>();
  const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  const bool k2s2 = g.kernel_h == 2 && g.kernel_w == 2 && g.stride_h == 2 &&
                    g.stride_w == 2 && g.pad_h == 0 && g.pad_w == 0 &&
                    g.dilation_h == 1 && g.dilation_w == 1 &&
                    2 * g.out_h <= g.in_h && 2 * g.out_w <= g.in_w;
  ParallelFor(
      0, g.planes, PlaneGrain(out_plane * g.kernel_h * g.kernel_w),
      [&](int64_t lo, int64_t hi) {
        for (int64_t pl = lo; pl < hi; ++pl) {
          const T* src = in + pl * in_plane;
          T* dst = out + pl * out_plane;
          int64_t* dst_idx = idx + pl * out_plane;
          if constexpr (std::is_same_v<T, float>) {
            if (k2s2 && in_plane < kMaxPlane32 &&
                HWY_DYNAMIC_DISPATCH(MaxPool2x2Plane)(
                    src, g.in_h, g.in_w, g.out_h, g.out_w, dst, dst_idx)) {
              continue;
            }
          }
          if (k2s2) {
            // The four candidates in PyTorch's scan order: one wins if
            // greater or NaN (ties keep the first, the last NaN wins).
            for (int64_t oh = 0; oh < g.out_h; ++oh) {
              const T* r0 = src + 2 * oh * g.in_w;
              const T* r1 = r0 + g.in_w;
              for (int64_t ow = 0; ow < g.out_w; ++ow) {
                const int64_t base = 2 * oh * g.in_w + 2 * ow;
                M best = M(r0[2 * ow]);
                int64_t bi = base;
                const M c1 = M(r0[2 * ow + 1]), c2 = M(r1[2 * ow]),
                        c3 = M(r1[2 * ow + 1]);
                if (c1 > best || std::isnan(c1)) best = c1, bi = base + 1;
                if (c2 > best || std::isnan(c2)) best = c2, bi = base + g.in_w;
                if (c3 > best || std::isnan(c3)) {
                  best = c3, bi = base + g.in_w + 1;
                }
                dst[oh * g.out_w + ow] = T(best);
                dst_idx[oh * g.out_w + ow] = bi;
              }
            }
            continue;
          }
          for (int64_t oh = 0; oh < g.out_h; ++oh) {
            int64_t h0 = oh * g.stride_h - g.pad_h;
            const int64_t h1 =
                std::min(h0 + (g.kernel_h - 1) * g.dilation_h + 1, g.in_h);
            while (h0 < 0) h0 += g.dilation_h;
            for (int64_t ow = 0; ow < g.out_w; ++ow) {
              int64_t w0 = ow * g.stride_w - g.pad_w;
              const int64_t w1 =
                  std::min(w0 + (g.kernel_w - 1) * g.dilation_w + 1, g.in_w);
              while (w0 < 0) w0 += g.dilation_w;
              int64_t bi = h0 * g.in_w + w0;
              M best = -std::numeric_limits<M>::infinity();
              for (int64_t y = h0; y < h1; y += g.dilation_h) {
                for (int64_t x = w0; x < w1; x += g.dilation_w) {
                  const M v = M(src[y * g.in_w + x]);
                  if (v > best || std::isnan(v)) {
                    best = v;
                    bi = y * g.in_w + x;
                  }
                }
              }
              dst[oh * g.out_w + ow] = T(best);
              dst_idx[oh * g.out_w + ow] = bi;
            }
          }
        }
      });
}

template <typename T>
void MaxPool2dBackward(const MaxPool2dBackwardPlan& plan) {
  const Pool2dGeometry& g = plan.g;
  const T* gout = plan.grad_output.data_ptr<T>();
  const int64_t* idx = plan.indices.data_ptr<int64_t>();
  T* gin = plan.grad_input.data_ptr<T>();
  const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  const bool windows2x2 =
      2 * g.out_h <= g.in_h && 2 * g.out_w <= g.in_w && in_plane < kMaxPlane32;
  ParallelFor(0, g.planes, PlaneGrain(in_plane), [&](int64_t lo, int64_t hi) {
    for (int64_t pl = lo; pl < hi; ++pl) {
      T* dst = gin + pl * in_plane;
      const T* src = gout + pl * out_plane;
      const int64_t* ix = idx + pl * out_plane;
      // Every index inside its own disjoint 2x2 window (2x2 / stride 2
      // pooling): the plane is written in one pass, no fill and scatter.
      if constexpr (std::is_same_v<T, float>) {
        if (windows2x2 && HWY_DYNAMIC_DISPATCH(MaxPool2x2BackwardPlane)(
                              src, ix, g.in_h, g.in_w, g.out_h, g.out_w, dst)) {
          continue;
        }
      }
      std::fill(dst, dst + in_plane, T(0));  // then scatter into cache
      for (int64_t i = 0; i < out_plane; ++i) {
        const int64_t j = ix[i];
        TCH_CHECK_T(IndexError, j >= 0 && j < in_plane,
                    "max_pool2d_backward: index ", j,
                    " is out of range for an input plane of ", in_plane,
                    " elements");
        dst[j] = T(OpMath<T>(dst[j]) + OpMath<T>(src[i]));
      }
    }
  });
}

// One avg-pool window: the clipped bounds and its divisor (PyTorch's rule).
struct AvgWindow {
  int64_t h0, h1, w0, w1, divisor;
};

AvgWindow AvgPoolWindow(const AvgPool2dPlan& plan, int64_t oh, int64_t ow) {
  const Pool2dGeometry& g = plan.g;
  int64_t h0 = oh * g.stride_h - g.pad_h, w0 = ow * g.stride_w - g.pad_w;
  int64_t h1 = std::min(h0 + g.kernel_h, g.in_h + g.pad_h);
  int64_t w1 = std::min(w0 + g.kernel_w, g.in_w + g.pad_w);
  const int64_t pool_size = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0), w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, g.in_h), w1 = std::min(w1, g.in_w);
  int64_t divisor = plan.divisor_override;
  if (divisor == 0) {
    divisor = plan.count_include_pad ? pool_size : (h1 - h0) * (w1 - w0);
  }
  return {h0, h1, w0, w1, divisor};
}

template <typename T>
void AvgPool2dForward(const AvgPool2dPlan& plan) {
  using M = OpMath<T>;
  const Pool2dGeometry& g = plan.g;
  const T* in = plan.src.data_ptr<T>();
  T* out = plan.dst.data_ptr<T>();
  const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  ParallelFor(0, g.planes, PlaneGrain(out_plane * g.kernel_h * g.kernel_w),
              [&](int64_t lo, int64_t hi) {
                for (int64_t pl = lo; pl < hi; ++pl) {
                  const T* src = in + pl * in_plane;
                  T* dst = out + pl * out_plane;
                  for (int64_t oh = 0; oh < g.out_h; ++oh) {
                    for (int64_t ow = 0; ow < g.out_w; ++ow) {
                      const AvgWindow win = AvgPoolWindow(plan, oh, ow);
                      M sum = 0;
                      for (int64_t y = win.h0; y < win.h1; ++y) {
                        for (int64_t x = win.w0; x < win.w1; ++x) {
                          sum += M(src[y * g.in_w + x]);
                        }
                      }
                      const bool empty = win.h0 >= win.h1 || win.w0 >= win.w1;
                      dst[oh * g.out_w + ow] =
                          empty ? T(0) : T(sum / static_cast<M>(win.divisor));
                    }
                  }
                }
              });
}

template <typename T>
void AvgPool2dBackward(const AvgPool2dPlan& plan) {
  using M = OpMath<T>;
  const Pool2dGeometry& g = plan.g;
  const T* gout = plan.src.data_ptr<T>();
  T* gin = plan.dst.data_ptr<T>();
  const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  ParallelFor(0, g.planes, PlaneGrain(out_plane * g.kernel_h * g.kernel_w),
              [&](int64_t lo, int64_t hi) {
                for (int64_t pl = lo; pl < hi; ++pl) {
                  const T* src = gout + pl * out_plane;
                  T* dst = gin + pl * in_plane;
                  std::fill(dst, dst + in_plane, T(0));
                  for (int64_t oh = 0; oh < g.out_h; ++oh) {
                    for (int64_t ow = 0; ow < g.out_w; ++ow) {
                      const AvgWindow win = AvgPoolWindow(plan, oh, ow);
                      const M v = M(src[oh * g.out_w + ow]) /
                                  static_cast<M>(win.divisor);
                      for (int64_t y = win.h0; y < win.h1; ++y) {
                        for (int64_t x = win.w0; x < win.w1; ++x) {
                          dst[y * g.in_w + x] = T(M(dst[y * g.in_w + x]) + v);
                        }
                      }
                    }
                  }
                }
              });
}

// Adaptive bins: [floor(o*in/out), ceil((o+1)*in/out)).
int64_t BinStart(int64_t o, int64_t out, int64_t in) { return o * in / out; }
int64_t BinEnd(int64_t o, int64_t out, int64_t in) {
  return ((o + 1) * in + out - 1) / out;
}

template <typename T>
void AdaptiveAvgPool2dForward(const AdaptiveAvgPool2dPlan& plan) {
  using M = OpMath<T>;
  const Pool2dGeometry& g = plan.g;
  const T* in = plan.src.data_ptr<T>();
  T* out = plan.dst.data_ptr<T>();
  const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  ParallelFor(0, g.planes, PlaneGrain(in_plane + out_plane),
              [&](int64_t lo, int64_t hi) {
                for (int64_t pl = lo; pl < hi; ++pl) {
                  const T* src = in + pl * in_plane;
                  T* dst = out + pl * out_plane;
                  for (int64_t oh = 0; oh < g.out_h; ++oh) {
                    const int64_t h0 = BinStart(oh, g.out_h, g.in_h);
                    const int64_t h1 = BinEnd(oh, g.out_h, g.in_h);
                    for (int64_t ow = 0; ow < g.out_w; ++ow) {
                      const int64_t w0 = BinStart(ow, g.out_w, g.in_w);
                      const int64_t w1 = BinEnd(ow, g.out_w, g.in_w);
                      M sum = 0;
                      for (int64_t y = h0; y < h1; ++y) {
                        for (int64_t x = w0; x < w1; ++x)
                          sum += M(src[y * g.in_w + x]);
                      }
                      dst[oh * g.out_w + ow] =
                          T(sum / static_cast<M>((h1 - h0) * (w1 - w0)));
                    }
                  }
                }
              });
}

template <typename T>
void AdaptiveAvgPool2dBackward(const AdaptiveAvgPool2dPlan& plan) {
  using M = OpMath<T>;
  const Pool2dGeometry& g = plan.g;
  const T* gout = plan.src.data_ptr<T>();
  T* gin = plan.dst.data_ptr<T>();
  const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  ParallelFor(0, g.planes, PlaneGrain(in_plane + out_plane),
              [&](int64_t lo, int64_t hi) {
                for (int64_t pl = lo; pl < hi; ++pl) {
                  const T* src = gout + pl * out_plane;
                  T* dst = gin + pl * in_plane;
                  std::fill(dst, dst + in_plane, T(0));
                  for (int64_t oh = 0; oh < g.out_h; ++oh) {
                    const int64_t h0 = BinStart(oh, g.out_h, g.in_h);
                    const int64_t h1 = BinEnd(oh, g.out_h, g.in_h);
                    for (int64_t ow = 0; ow < g.out_w; ++ow) {
                      const int64_t w0 = BinStart(ow, g.out_w, g.in_w);
                      const int64_t w1 = BinEnd(ow, g.out_w, g.in_w);
                      const M v = M(src[oh * g.out_w + ow]) /
                                  static_cast<M>((h1 - h0) * (w1 - w0));
                      for (int64_t y = h0; y < h1; ++y) {
                        for (int64_t x = w0; x < w1; ++x) {
                          dst[y * g.in_w + x] = T(M(dst[y * g.in_w + x]) + v);
                        }
                      }
                    }
                  }
                }
              });
}

// --- Embedding
// -------------------------------------------------------------------

template <typename T>
void EmbeddingForward(const EmbeddingPlan& plan) {
  const T* w = plan.weight.data_ptr<T>();
  const int64_t* idx = plan.indices.data_ptr<int64_t>();
  T* out = plan.output.data_ptr<T>();
  const int64_t n = plan.indices.numel(), d = plan.weight.size(1);
  ParallelFor(0, n, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, d)),
              [&](int64_t lo, int64_t hi) {
                for (int64_t i = lo; i < hi; ++i) {
                  std::copy(w + idx[i] * d, w + (idx[i] + 1) * d, out + i * d);
                }
              });
}

// Each thread owns a range of weight rows and scans every index, so the sum
// order per row is the index order whatever the thread count.
template <typename T>
void EmbeddingBackward(const EmbeddingBackwardPlan& plan) {
  using M = OpMath<T>;
  const T* gout = plan.grad_output.data_ptr<T>();
  const int64_t* idx = plan.indices.data_ptr<int64_t>();
  T* gw = plan.grad_weight.data_ptr<T>();  // zeroed by the op
  const int64_t n = plan.indices.numel();
  const int64_t v = plan.grad_weight.size(0), d = plan.grad_weight.size(1);
  std::vector<int64_t> counts;
  if (plan.scale_grad_by_freq) {
    counts.assign(static_cast<size_t>(v), 0);
    for (int64_t i = 0; i < n; ++i) ++counts[idx[i]];
  }
  const int64_t grain =
      std::max<int64_t>(1, v * 32768 / std::max<int64_t>(1, n * d));
  ParallelFor(0, v, grain, [&](int64_t lo, int64_t hi) {
    std::vector<M> acc;
    if constexpr (!std::is_same_v<M, T>) {
      acc.assign(static_cast<size_t>((hi - lo) * d), M(0));
    }
    for (int64_t i = 0; i < n; ++i) {
      const int64_t row = idx[i];
      if (row < lo || row >= hi || row == plan.padding_idx) continue;
      const M scale =
          plan.scale_grad_by_freq ? M(1) / static_cast<M>(counts[row]) : M(1);
      const T* src = gout + i * d;
      if constexpr (std::is_same_v<M, T>) {
        T* dst = gw + row * d;
        for (int64_t j = 0; j < d; ++j) dst[j] += scale * src[j];
      } else {
        M* dst = acc.data() + (row - lo) * d;
        for (int64_t j = 0; j < d; ++j) dst[j] += scale * M(src[j]);
      }
    }
    if constexpr (!std::is_same_v<M, T>) {
      for (int64_t j = 0; j < (hi - lo) * d; ++j) gw[lo * d + j] = T(acc[j]);
    }
  });
}

// --- Registration
// ----------------------------------------------------------------

// Registers fn<T> for every floating dtype.
#define TCH_NN_REGISTER_FLOATING(var, name, fn)                               \
  const KernelRegistrar var##F32(name, DeviceType::kCpu, {DType::kFloat32},   \
                                 &fn<float>);                                 \
  const KernelRegistrar var##F64(name, DeviceType::kCpu, {DType::kFloat64},   \
                                 &fn<double>);                                \
  const KernelRegistrar var##F16(name, DeviceType::kCpu, {DType::kFloat16},   \
                                 &fn<Float16>);                               \
  const KernelRegistrar var##BF16(name, DeviceType::kCpu, {DType::kBFloat16}, \
                                  &fn<BFloat16>)

TCH_NN_REGISTER_FLOATING(kMaxPool, "max_pool2d", MaxPool2dForward);
TCH_NN_REGISTER_FLOATING(kMaxPoolBwd, "max_pool2d_backward", MaxPool2dBackward);
TCH_NN_REGISTER_FLOATING(kAvgPool, "avg_pool2d", AvgPool2dForward);
TCH_NN_REGISTER_FLOATING(kAvgPoolBwd, "avg_pool2d_backward", AvgPool2dBackward);
TCH_NN_REGISTER_FLOATING(kAdaptive, "adaptive_avg_pool2d",
                         AdaptiveAvgPool2dForward);
TCH_NN_REGISTER_FLOATING(kAdaptiveBwd, "adaptive_avg_pool2d_backward",
                         AdaptiveAvgPool2dBackward);
TCH_NN_REGISTER_FLOATING(kEmbeddingBwd, "embedding_backward",
                         EmbeddingBackward);
#undef TCH_NN_REGISTER_FLOATING

// Forward embedding copies rows of any dtype.
#define TCH_NN_EMBEDDING(e, T, name, short_name)                     \
  const KernelRegistrar kEmbedding##e("embedding", DeviceType::kCpu, \
                                      {DType::e}, &EmbeddingForward<T>);
TCH_FORALL_DTYPES(TCH_NN_EMBEDDING)
#undef TCH_NN_EMBEDDING

}  // namespace
}  // namespace tch::cpu
