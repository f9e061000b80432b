// float64 conv2d and conv2d_backward: explicit im2col + OpenBLAS dgemm, one
// range of images per thread (OpenBLAS held to one thread inside, see
// BlasThreadsScope); when the batch is smaller than the thread count, images
// run in sequence and OpenBLAS threads each GEMM. grad_weight is accumulated
// per range and summed in range order, so results are deterministic for a
// given thread count. float32 and the reduced types run conv_kernels.cc.

#include <cblas.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "torch/core/dispatch.h"
#include "torch/core/error.h"
#include "torch/core/nn_ops.h"
#include "torch/core/parallel.h"
#include "torch/kernels/cpu/conv_util.h"

namespace tch::cpu {
namespace {

int BlasInt(int64_t v) {
  TCH_CHECK(v <= std::numeric_limits<int>::max(),
            "conv2d: a matrix dimension of ", v, " exceeds the BLAS limit");
  return static_cast<int>(v);
}

int Ld(int64_t v) { return BlasInt(std::max<int64_t>(1, v)); }

// C[M,N] (+)= A[M,K] * B[K,N]: A element (i, k) at a[i*a_rs + k*a_cs] (one
// of the strides must be 1), B and C row-major with leading dims ldb, ldc.
void GemmNN(int64_t m, int64_t n, int64_t k, const double* a, int64_t a_rs,
            int64_t a_cs, const double* b, int64_t ldb, double* c, int64_t ldc,
            bool accumulate) {
  const bool trans_a = a_cs != 1;
  cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, CblasNoTrans,
              BlasInt(m), BlasInt(n), BlasInt(k), 1.0, a,
              Ld(trans_a ? a_cs : a_rs), b, Ld(ldb), accumulate ? 1.0 : 0.0, c,
              Ld(ldc));
}

// C[M,N] (+)= A[M,K] * B[N,K]^T, all row-major.
void GemmNT(int64_t m, int64_t n, int64_t k, const double* a, int64_t lda,
            const double* b, int64_t ldb, double* c, int64_t ldc,
            bool accumulate) {
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, BlasInt(m), BlasInt(n),
              BlasInt(k), 1.0, a, Ld(lda), b, Ld(ldb), accumulate ? 1.0 : 0.0,
              c, Ld(ldc));
}

// Sets OpenBLAS to `n` threads for the scope's lifetime; a no-op when it
// already uses n.
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

// True when the convolution is a plain per-pixel matrix product.
bool IsPointwise(const Conv2dGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 &&
         g.stride_w == 1 && g.pad_h == 0 && g.pad_w == 0 && g.out_h == g.in_h &&
         g.out_w == g.in_w;
}

void Conv2dForwardF64(const Conv2dPlan& plan) {
  using T = double;
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
        T* col = pointwise ? nullptr : Scratch<T>(0, k * p);
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
            GemmNN(og, p, k, w + grp * og * k, k, 1, pointwise ? in_g : col, p,
                   out_g, p, b != nullptr);
          }
        }
      });
}

void Conv2dBackwardF64(const Conv2dBackwardPlan& plan) {
  using T = double;
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
    T* col = pointwise ? nullptr : Scratch<T>(0, k * p);
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
          GemmNT(og, k, p, gout_g, p, cols, p, gw_acc + grp * og * k, k, true);
        }
        if (gin != nullptr) {
          if (pointwise) {
            GemmNN(k, p, og, w_g, 1, k, gout_g, p, gin + in_off, p, false);
          } else {
            GemmNN(k, p, og, w_g, 1, k, gout_g, p, col, p, false);
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

const KernelRegistrar kConv2dF64("conv2d", DeviceType::kCpu, {DType::kFloat64},
                                 &Conv2dForwardF64);
const KernelRegistrar kConv2dBwdF64("conv2d_backward", DeviceType::kCpu,
                                    {DType::kFloat64}, &Conv2dBackwardF64);

}  // namespace
}  // namespace tch::cpu
