// CPU kernels of the nn family: conv2d (im2col + GEMM) and its backward,
// max/avg/adaptive-avg pooling and their backwards, embedding and its
// scatter-add backward. float16/bfloat16 convolutions compute in float32.
//
// Note [Conv2d threading]
// Convolutions run one sample per task: ParallelFor splits the batch into one
// contiguous range per thread, and each thread uses its own im2col scratch.
// GEMMs called inside run on that thread (float64's OpenBLAS is held to one
// thread by BlasThreadsScope). When the batch is smaller than the thread
// count, samples run in sequence and each GEMM is split instead (float32:
// column chunks over the pool; float64: OpenBLAS threads). grad_weight is
// accumulated per range and summed in range order, so results are
// deterministic for a given thread count.
//
// Note [Conv2d GEMMs]
// float32 GEMMs use the register-tiled Highway kernels of nn_gemm-inl.h
// (runtime dispatch to AVX-512 / AVX2 / SSE); float64 uses OpenBLAS.
// Measured on the 2-core AVX-512 dev machine (single thread, CPU time, the
// 32->64 3x3 conv of nn_bench): forward 35 ms with these kernels against
// 33 ms with OpenBLAS forced to its SkylakeX kernels and 86-120 ms with the
// Prescott (SSE3) kernels OpenBLAS 0.3.21 picks on this CPU by default.
// Explicit im2col also measured faster than an implicit (shifted-rows)
// variant: the column matrix of one sample stays in L2, and the GEMM reads
// it with aligned, unit-stride loads.

// clang-format off
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "torch/kernels/cpu/nn_gemm-inl.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "torch/kernels/cpu/nn_gemm-inl.h"
// clang-format on

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "torch/core/dispatch.h"
#include "torch/core/nn_ops.h"
#include "torch/core/ops.h"
#include "torch/core/parallel.h"
#include "torch/kernels/cpu/loops.h"

namespace tch::cpu {

HWY_EXPORT(GemmNN);
HWY_EXPORT(GemmNTRows);

namespace {

// --- BLAS helpers
// ----------------------------------------------------------------

int BlasInt(int64_t v) {
  TCH_CHECK(v <= std::numeric_limits<int>::max(),
            "conv2d: a matrix dimension of ", v, " exceeds the BLAS limit");
  return static_cast<int>(v);
}

// GEMMs below this many multiply-adds per chunk run on the calling thread.
constexpr int64_t kGemmGrainFlops = int64_t{1} << 21;
// Column chunk of float32 GemmNN tasks: a multiple of every target's strip.
constexpr int64_t kGemmColumnChunk = 96;

// C[M,N] (+)= A[M,K] * B[K,N]: A element (i, k) at a[i*a_rs + k*a_cs] (one
// of the strides must be 1), B and C row-major with leading dims ldb, ldc.
template <typename T>
void GemmNN(int64_t m, int64_t n, int64_t k, const T* a, int64_t a_rs,
            int64_t a_cs, const T* b, int64_t ldb, T* c, int64_t ldc,
            bool accumulate) {
  if constexpr (std::is_same_v<T, float>) {
    // Column chunks over the pool when called outside a ParallelFor (batch
    // smaller than the thread count); inline otherwise.
    const int64_t chunks = (n + kGemmColumnChunk - 1) / kGemmColumnChunk;
    ParallelFor(
        0, chunks,
        std::max<int64_t>(1, kGemmGrainFlops / (m * k * kGemmColumnChunk + 1)),
        [&](int64_t lo, int64_t hi) {
          const int64_t j0 = lo * kGemmColumnChunk;
          const int64_t j1 = std::min(n, hi * kGemmColumnChunk);
          HWY_DYNAMIC_DISPATCH(GemmNN)
          (m, j1 - j0, k, a, a_rs, a_cs, b + j0, ldb, c + j0, ldc, accumulate);
        });
  } else {
    const bool trans_a = a_cs != 1;
    cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                CblasNoTrans, BlasInt(m), BlasInt(n), BlasInt(k), 1.0, a,
                BlasInt(std::max<int64_t>(1, trans_a ? a_cs : a_rs)), b,
                BlasInt(std::max<int64_t>(1, ldb)), accumulate ? 1.0 : 0.0, c,
                BlasInt(std::max<int64_t>(1, ldc)));
  }
}

// Per-thread scratch that only grows, so steady-state calls never allocate.
// 64-byte aligned: im2col rows of whole cache lines then keep the GEMM's
// vector loads from straddling lines.
template <typename T, int kSlot>
T* Scratch(int64_t n) {
  constexpr int64_t kAlign = 64;
  thread_local std::vector<T> buffer;
  const int64_t padded = n + kAlign / static_cast<int64_t>(sizeof(T));
  if (static_cast<int64_t>(buffer.size()) < padded) {
    buffer.clear();
    buffer.shrink_to_fit();
    buffer.resize(static_cast<size_t>(padded));
  }
  const auto addr = reinterpret_cast<uintptr_t>(buffer.data());
  return reinterpret_cast<T*>((addr + kAlign - 1) / kAlign * kAlign);
}

// C[M,N] (+)= A[M,K] * B[N,K]^T, all row-major.
template <typename T>
void GemmNT(int64_t m, int64_t n, int64_t k, const T* a, int64_t lda,
            const T* b, int64_t ldb, T* c, int64_t ldc, bool accumulate) {
  if constexpr (std::is_same_v<T, float>) {
    int64_t* rows = Scratch<int64_t, 1>(n);
    for (int64_t q = 0; q < n; ++q) rows[q] = q * ldb;
    // Chunks of C's columns (rows of B) over the pool, as in GemmNN.
    constexpr int64_t kChunk = 24;  // a multiple of every NT tile width
    const int64_t chunks = (n + kChunk - 1) / kChunk;
    ParallelFor(
        0, chunks, std::max<int64_t>(1, kGemmGrainFlops / (m * k * kChunk + 1)),
        [&](int64_t lo, int64_t hi) {
          const int64_t j0 = lo * kChunk;
          const int64_t j1 = std::min(n, hi * kChunk);
          HWY_DYNAMIC_DISPATCH(GemmNTRows)
          (m, j1 - j0, k, a, lda, b, rows + j0, c + j0, ldc, accumulate);
        });
  } else {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, BlasInt(m), BlasInt(n),
                BlasInt(k), 1.0, a, BlasInt(std::max<int64_t>(1, lda)), b,
                BlasInt(std::max<int64_t>(1, ldb)), accumulate ? 1.0 : 0.0, c,
                BlasInt(std::max<int64_t>(1, ldc)));
  }
}

// Sets OpenBLAS to `n` threads for the scope's lifetime (see Note [Conv2d
// threading]); a no-op when it already uses n.
class BlasThreadsScope {
 public:
  explicit BlasThreadsScope(int n) : saved_(openblas_get_num_threads()) {
    if (saved_ != n) openblas_set_num_threads(n);
  }
  ~BlasThreadsScope() {
    if (openblas_get_num_threads() != saved_) openblas_set_num_threads(saved_);
  }
  BlasThreadsScope(const BlasThreadsScope&) = delete;
  BlasThreadsScope& operator=(const BlasThreadsScope&) = delete;

 private:
  int saved_;
};

// Runs fn(sample_begin, sample_end, range_index) over the batch, split into
// `ranges` contiguous ranges (one per thread), OpenBLAS single-threaded inside.
template <typename Fn>
void ForEachSampleRange(int64_t batch, int64_t ranges, Fn&& fn) {
  if (ranges <= 1) {
    fn(int64_t{0}, batch, int64_t{0});
    return;
  }
  BlasThreadsScope blas(1);
  ParallelFor(0, ranges, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      fn(batch * r / ranges, batch * (r + 1) / ranges, r);
    }
  });
}

int64_t SampleRanges(int64_t batch) {
  const int64_t threads = InParallelRegion() ? 1 : GetNumThreads();
  return batch >= threads ? threads : 1;
}

// --- im2col / col2im
// ---------------------------------------------------------------

// col[(c*kh + i)*kw + j][oh*OW + ow] = in[c][oh*sh - ph + i*dh][ow*sw - pw +
// j*dw] (zero outside the image), for the `channels` channels starting at `in`.
template <typename T>
void Im2Col(const Conv2dGeometry& g, int64_t channels, const T* in, T* col) {
  const int64_t oh_n = g.out_h, ow_n = g.out_w, plane = g.in_h * g.in_w;
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t i = 0; i < g.kernel_h; ++i) {
      for (int64_t j = 0; j < g.kernel_w; ++j) {
        T* row = col + ((c * g.kernel_h + i) * g.kernel_w + j) * oh_n * ow_n;
        const int64_t w_off = j * g.dilation_w - g.pad_w;
        // ow range whose input column is inside [0, in_w).
        int64_t lo = w_off >= 0 ? 0 : (-w_off + g.stride_w - 1) / g.stride_w;
        int64_t hi = g.in_w - w_off <= 0
                         ? 0
                         : (g.in_w - w_off + g.stride_w - 1) / g.stride_w;
        lo = std::min(lo, ow_n);
        hi = std::clamp(hi, lo, ow_n);
        for (int64_t oh = 0; oh < oh_n; ++oh) {
          T* dst = row + oh * ow_n;
          const int64_t ih = oh * g.stride_h - g.pad_h + i * g.dilation_h;
          if (ih < 0 || ih >= g.in_h) {
            std::fill(dst, dst + ow_n, T(0));
            continue;
          }
          const T* src = in + c * plane + ih * g.in_w + w_off;
          std::fill(dst, dst + lo, T(0));
          if (g.stride_w == 1) {
            std::memcpy(dst + lo, src + lo, (hi - lo) * sizeof(T));
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * g.stride_w];
          }
          std::fill(dst + hi, dst + ow_n, T(0));
        }
      }
    }
  }
}

// dst[i] += src[i]; the arrays never overlap (vectorizes).
// Blocks of 8 so that -O2's cheap vectorizer takes the fixed-size inner loop.
template <typename T>
void AddRow(T* __restrict dst, const T* __restrict src, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int l = 0; l < 8; ++l) dst[i + l] += src[i + l];
  }
  for (; i < n; ++i) dst[i] += src[i];
}

// The adjoint of Im2Col: in[...] += col[...] (in must start zeroed).
template <typename T>
void Col2Im(const Conv2dGeometry& g, int64_t channels, const T* col, T* in) {
  const int64_t oh_n = g.out_h, ow_n = g.out_w, plane = g.in_h * g.in_w;
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t i = 0; i < g.kernel_h; ++i) {
      for (int64_t j = 0; j < g.kernel_w; ++j) {
        const T* row =
            col + ((c * g.kernel_h + i) * g.kernel_w + j) * oh_n * ow_n;
        const int64_t w_off = j * g.dilation_w - g.pad_w;
        int64_t lo = w_off >= 0 ? 0 : (-w_off + g.stride_w - 1) / g.stride_w;
        int64_t hi = g.in_w - w_off <= 0
                         ? 0
                         : (g.in_w - w_off + g.stride_w - 1) / g.stride_w;
        lo = std::min(lo, ow_n);
        hi = std::clamp(hi, lo, ow_n);
        for (int64_t oh = 0; oh < oh_n; ++oh) {
          const int64_t ih = oh * g.stride_h - g.pad_h + i * g.dilation_h;
          if (ih < 0 || ih >= g.in_h) continue;
          const T* src = row + oh * ow_n;
          T* dst = in + c * plane + ih * g.in_w + w_off;
          if (g.stride_w == 1) {
            AddRow(dst + lo, src + lo, hi - lo);
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) {
              dst[ow * g.stride_w] += src[ow];
            }
          }
        }
      }
    }
  }
}

// True when the convolution is a plain per-pixel matrix product.
bool IsPointwise(const Conv2dGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 &&
         g.stride_w == 1 && g.pad_h == 0 && g.pad_w == 0 && g.out_h == g.in_h &&
         g.out_w == g.in_w;
}

// --- conv2d forward
// ------------------------------------------------------------------

template <typename T>
void Conv2dForward(const Conv2dPlan& plan) {
  const Conv2dGeometry& g = plan.g;
  const T* in = plan.input.data_ptr<T>();
  const T* w = plan.weight.data_ptr<T>();
  const T* b = plan.bias.defined() ? plan.bias.data_ptr<T>() : nullptr;
  T* out = plan.output.data_ptr<T>();
  const int64_t cg = g.in_channels / g.groups, og = g.out_channels / g.groups;
  const int64_t k = cg * g.kernel_h * g.kernel_w, p = g.out_h * g.out_w;
  const int64_t in_sample = g.in_channels * g.in_h * g.in_w;
  const bool pointwise = IsPointwise(g);
  ForEachSampleRange(
      g.batch, SampleRanges(g.batch), [&](int64_t n0, int64_t n1, int64_t) {
        T* col = pointwise ? nullptr : Scratch<T, 0>(k * p);
        for (int64_t n = n0; n < n1; ++n) {
          for (int64_t grp = 0; grp < g.groups; ++grp) {
            const T* in_g = in + n * in_sample + grp * cg * g.in_h * g.in_w;
            T* out_g = out + (n * g.out_channels + grp * og) * p;
            if (!pointwise) Im2Col(g, cg, in_g, col);
            if (b != nullptr) {
              for (int64_t o = 0; o < og; ++o) {
                std::fill(out_g + o * p, out_g + (o + 1) * p, b[grp * og + o]);
              }
            }
            GemmNN<T>(og, p, k, w + grp * og * k, k, 1, pointwise ? in_g : col,
                      p, out_g, p, b != nullptr);
          }
        }
      });
}

// --- conv2d backward
// -----------------------------------------------------------------

// Sum of n values with 16 independent partial sums (vectorizable, and not
// bound by the latency of one serial add chain).
template <typename T>
T BlockSum(const T* x, int64_t n) {
  constexpr int kLanes = 16;
  T part[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) part[l] += x[i + l];
  }
  T sum = 0;
  for (int l = 0; l < kLanes; ++l) sum += part[l];
  for (; i < n; ++i) sum += x[i];
  return sum;
}

template <typename T>
void BiasGrad(const Conv2dGeometry& g, const T* gout, T* gb) {
  const int64_t p = g.out_h * g.out_w;
  ParallelFor(0, g.out_channels,
              std::max<int64_t>(1, 32768 / (g.batch * p + 1)),
              [&](int64_t lo, int64_t hi) {
                for (int64_t o = lo; o < hi; ++o) {
                  T sum = 0;
                  for (int64_t n = 0; n < g.batch; ++n) {
                    sum += BlockSum(gout + (n * g.out_channels + o) * p, p);
                  }
                  gb[o] = sum;
                }
              });
}

template <typename T>
void Conv2dBackward(const Conv2dBackwardPlan& plan) {
  const Conv2dGeometry& g = plan.g;
  const T* gout = plan.grad_output.data_ptr<T>();
  const T* in = plan.input.data_ptr<T>();
  const T* w = plan.weight.data_ptr<T>();
  T* gin = plan.grad_input.defined() ? plan.grad_input.data_ptr<T>() : nullptr;
  T* gw = plan.grad_weight.defined() ? plan.grad_weight.data_ptr<T>() : nullptr;
  T* gb = plan.grad_bias.defined() ? plan.grad_bias.data_ptr<T>() : nullptr;
  const int64_t cg = g.in_channels / g.groups, og = g.out_channels / g.groups;
  const int64_t k = cg * g.kernel_h * g.kernel_w, p = g.out_h * g.out_w;
  const int64_t in_plane = g.in_h * g.in_w;
  const int64_t in_sample = g.in_channels * in_plane;
  const int64_t w_numel = g.out_channels * k;
  const bool pointwise = IsPointwise(g);

  if ((gin == nullptr && gw == nullptr) || k == 0) {
    // Only the bias gradient (k == 0: no input channels, so grad_input and
    // grad_weight are empty).
    if (gb != nullptr) BiasGrad(g, gout, gb);
    return;
  }

  const int64_t ranges = SampleRanges(g.batch);
  // grad_weight partial sums of ranges 1.. (range 0 writes into gw).
  std::vector<T> partials(gw != nullptr && ranges > 1
                              ? static_cast<size_t>((ranges - 1) * w_numel)
                              : 0);
  // grad_bias per range, summed while the sample's grad_output is in cache.
  std::vector<T> bias_partials(
      gb != nullptr ? static_cast<size_t>(ranges * g.out_channels) : 0);
  ForEachSampleRange(g.batch, ranges, [&](int64_t n0, int64_t n1, int64_t r) {
    T* gw_acc = gw == nullptr ? nullptr
                : r == 0      ? gw
                              : partials.data() + (r - 1) * w_numel;
    if (gw_acc != nullptr) std::fill(gw_acc, gw_acc + w_numel, T(0));
    T* gb_acc =
        gb == nullptr ? nullptr : bias_partials.data() + r * g.out_channels;
    T* col = pointwise ? nullptr : Scratch<T, 0>(k * p);
    for (int64_t n = n0; n < n1; ++n) {
      const T* gout_n = gout + n * g.out_channels * p;
      if (gb_acc != nullptr) {
        for (int64_t o = 0; o < g.out_channels; ++o) {
          gb_acc[o] += BlockSum(gout_n + o * p, p);
        }
      }
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        const T* gout_g = gout_n + grp * og * p;
        const T* w_g = w + grp * og * k;
        const int64_t in_off = n * in_sample + grp * cg * in_plane;
        if (gw_acc != nullptr) {
          const T* cols = in + in_off;
          if (!pointwise) {
            Im2Col(g, cg, in + in_off, col);
            cols = col;
          }
          GemmNT<T>(og, k, p, gout_g, p, cols, p, gw_acc + grp * og * k, k,
                    true);
        }
        if (gin != nullptr) {
          if (pointwise) {
            GemmNN<T>(k, p, og, w_g, 1, k, gout_g, p, gin + in_off, p, false);
          } else {
            GemmNN<T>(k, p, og, w_g, 1, k, gout_g, p, col, p, false);
            std::fill(gin + in_off, gin + in_off + cg * in_plane, T(0));
            Col2Im(g, cg, col, gin + in_off);
          }
        }
      }
    }
  });
  if (gb != nullptr) {
    for (int64_t o = 0; o < g.out_channels; ++o) {
      T sum = 0;
      for (int64_t r = 0; r < ranges; ++r) {
        sum += bias_partials[r * g.out_channels + o];
      }
      gb[o] = sum;
    }
  }
  if (gw != nullptr) {
    for (int64_t r = 1; r < ranges; ++r) {
      const T* part = partials.data() + (r - 1) * w_numel;
      for (int64_t i = 0; i < w_numel; ++i) gw[i] += part[i];
    }
  }
}

// float16 / bfloat16: convert to float32, run the float kernel, convert back.
template <typename T>
void Conv2dForwardReduced(const Conv2dPlan& plan) {
  Conv2dPlan f = plan;
  f.input = plan.input.to(DType::kFloat32);
  f.weight = plan.weight.to(DType::kFloat32);
  if (plan.bias.defined()) f.bias = plan.bias.to(DType::kFloat32);
  f.output = empty(plan.output.sizes(), DType::kFloat32);
  Conv2dForward<float>(f);
  Tensor out = plan.output;
  out.copy_(f.output);
}

template <typename T>
void Conv2dBackwardReduced(const Conv2dBackwardPlan& plan) {
  Conv2dBackwardPlan f = plan;
  f.grad_output = plan.grad_output.to(DType::kFloat32);
  f.input = plan.input.to(DType::kFloat32);
  f.weight = plan.weight.to(DType::kFloat32);
  for (Tensor* t : {&f.grad_input, &f.grad_weight, &f.grad_bias}) {
    if (t->defined()) *t = empty(t->sizes(), DType::kFloat32);
  }
  Conv2dBackward<float>(f);
  const std::pair<Tensor, Tensor> outs[] = {{plan.grad_input, f.grad_input},
                                            {plan.grad_weight, f.grad_weight},
                                            {plan.grad_bias, f.grad_bias}};
  for (auto [dst, src] : outs) {
    if (dst.defined()) dst.copy_(src);
  }
}

// --- Pooling
// -----------------------------------------------------------------------

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
  ParallelFor(0, g.planes, PlaneGrain(out_plane * g.kernel_h * g.kernel_w),
              [&](int64_t lo, int64_t hi) {
                for (int64_t pl = lo; pl < hi; ++pl) {
                  const T* src = in + pl * in_plane;
                  T* dst = out + pl * out_plane;
                  int64_t* dst_idx = idx + pl * out_plane;
                  if (k2s2) {
                    // The four candidates in PyTorch's scan order; first max
                    // wins, NaN wins and sticks.
                    for (int64_t oh = 0; oh < g.out_h; ++oh) {
                      const T* r0 = src + 2 * oh * g.in_w;
                      const T* r1 = r0 + g.in_w;
                      for (int64_t ow = 0; ow < g.out_w; ++ow) {
                        const int64_t base = 2 * oh * g.in_w + 2 * ow;
                        M best = M(r0[2 * ow]);
                        int64_t bi = base;
                        const M c1 = M(r0[2 * ow + 1]), c2 = M(r1[2 * ow]),
                                c3 = M(r1[2 * ow + 1]);
                        if (!std::isnan(best)) {
                          if (c1 > best || std::isnan(c1))
                            best = c1, bi = base + 1;
                        }
                        if (!std::isnan(best)) {
                          if (c2 > best || std::isnan(c2))
                            best = c2, bi = base + g.in_w;
                        }
                        if (!std::isnan(best)) {
                          if (c3 > best || std::isnan(c3)) {
                            best = c3, bi = base + g.in_w + 1;
                          }
                        }
                        dst[oh * g.out_w + ow] = T(best);
                        dst_idx[oh * g.out_w + ow] = bi;
                      }
                    }
                    continue;
                  }
                  for (int64_t oh = 0; oh < g.out_h; ++oh) {
                    int64_t h0 = oh * g.stride_h - g.pad_h;
                    const int64_t h1 = std::min(
                        h0 + (g.kernel_h - 1) * g.dilation_h + 1, g.in_h);
                    while (h0 < 0) h0 += g.dilation_h;
                    for (int64_t ow = 0; ow < g.out_w; ++ow) {
                      int64_t w0 = ow * g.stride_w - g.pad_w;
                      const int64_t w1 = std::min(
                          w0 + (g.kernel_w - 1) * g.dilation_w + 1, g.in_w);
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
  ParallelFor(0, g.planes, PlaneGrain(in_plane), [&](int64_t lo, int64_t hi) {
    for (int64_t pl = lo; pl < hi; ++pl) {
      T* dst = gin + pl * in_plane;
      std::fill(dst, dst + in_plane, T(0));  // then scatter into cache
      const T* src = gout + pl * out_plane;
      const int64_t* ix = idx + pl * out_plane;
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

const KernelRegistrar kConv2dF32("conv2d", DeviceType::kCpu, {DType::kFloat32},
                                 &Conv2dForward<float>);
const KernelRegistrar kConv2dF64("conv2d", DeviceType::kCpu, {DType::kFloat64},
                                 &Conv2dForward<double>);
const KernelRegistrar kConv2dF16("conv2d", DeviceType::kCpu, {DType::kFloat16},
                                 &Conv2dForwardReduced<Float16>);
const KernelRegistrar kConv2dBF16("conv2d", DeviceType::kCpu,
                                  {DType::kBFloat16},
                                  &Conv2dForwardReduced<BFloat16>);
const KernelRegistrar kConv2dBwdF32("conv2d_backward", DeviceType::kCpu,
                                    {DType::kFloat32}, &Conv2dBackward<float>);
const KernelRegistrar kConv2dBwdF64("conv2d_backward", DeviceType::kCpu,
                                    {DType::kFloat64}, &Conv2dBackward<double>);
const KernelRegistrar kConv2dBwdF16("conv2d_backward", DeviceType::kCpu,
                                    {DType::kFloat16},
                                    &Conv2dBackwardReduced<Float16>);
const KernelRegistrar kConv2dBwdBF16("conv2d_backward", DeviceType::kCpu,
                                     {DType::kBFloat16},
                                     &Conv2dBackwardReduced<BFloat16>);

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
