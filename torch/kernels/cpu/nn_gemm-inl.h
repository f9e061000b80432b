// Per-target float32 GEMM micro-kernels for the nn family's convolutions.
// nn_kernels.cc includes this file once per Highway target through
// hwy/foreach_target.h and calls the functions through HWY_DYNAMIC_DISPATCH,
// so AVX-512 / AVX2 are used where the CPU has them and the binary still runs
// on plain x86-64.
//
// Why not OpenBLAS for float32: convolution GEMMs are short and wide
// (M = out channels per group, K = C*kH*kW, N = oH*oW, e.g. 64 x 288 x 784),
// run one per sample inside ParallelFor, and OpenBLAS 0.3.21 misdetects
// recent Xeons (Sapphire Rapids reports as "Prescott", SSE3 kernels) unless
// OPENBLAS_CORETYPE is set. These register-tiled kernels need no packing:
//   GemmNN: C[M,N] (+)= A[M,K] * B[K,N], A with any (row, col) strides, B and
//           C row-major with contiguous columns (forward; grad_input as W^T).
//   GemmNTRows: C[M,N] (+)= A[M,K] * B[N,K]^T, rows of A and B contiguous in
//           K, row q of B at b + b_rows[q] (grad_weight = grad_output *
//           columns^T).

// Per-target include guard (the pattern Highway's docs prescribe).
#if defined(TCH_KERNELS_CPU_NN_GEMM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TCH_KERNELS_CPU_NN_GEMM_INL_H_
#undef TCH_KERNELS_CPU_NN_GEMM_INL_H_
#else
#define TCH_KERNELS_CPU_NN_GEMM_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tch::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

// Register tiles: AVX-512 has 32 vector registers, narrower targets 16.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
inline constexpr int kNNRows = 8;  // 8 x 3 accumulators
inline constexpr int kNTRows = 4;  // 4 x 6 accumulators
inline constexpr int kNTCols = 6;
#else
inline constexpr int kNNRows = 4;  // 4 x 3 accumulators
inline constexpr int kNTRows = 2;  // 2 x 4 accumulators
inline constexpr int kNTCols = 4;
#endif
inline constexpr int kNNVecs = 3;

// R rows x V full vectors of C, over B rows k0 <= kk < k1 (row kk of B at
// brow(kk)); A element (r, kk) at a[r*a_rs + kk*a_cs].
template <int R, int V, class BRow>
HWY_INLINE void TileNN(int64_t k0, int64_t k1, const float* HWY_RESTRICT a,
                       int64_t a_rs, int64_t a_cs, const BRow& brow,
                       int64_t col, float* HWY_RESTRICT c, int64_t ldc,
                       bool accumulate) {
  const DF d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  VF acc[R][V];
  HWY_UNROLL(16)
  for (int r = 0; r < R; ++r) {
    HWY_UNROLL(16)
    for (int v = 0; v < V; ++v) {
      acc[r][v] =
          accumulate ? hn::LoadU(d, c + r * ldc + v * lanes) : hn::Zero(d);
    }
  }
  for (int64_t kk = k0; kk < k1; ++kk) {
    const float* b = brow(kk) + col;
    VF bv[V];
    HWY_UNROLL(16)
    for (int v = 0; v < V; ++v) bv[v] = hn::LoadU(d, b + v * lanes);
    const float* acol = a + kk * a_cs;
    HWY_UNROLL(16)
    for (int r = 0; r < R; ++r) {
      const VF av = hn::Set(d, acol[r * a_rs]);
      HWY_UNROLL(16)
      for (int v = 0; v < V; ++v) acc[r][v] = hn::MulAdd(av, bv[v], acc[r][v]);
    }
  }
  HWY_UNROLL(16)
  for (int r = 0; r < R; ++r) {
    HWY_UNROLL(16)
    for (int v = 0; v < V; ++v) {
      hn::StoreU(acc[r][v], d, c + r * ldc + v * lanes);
    }
  }
}

// Any row count 1..kNNRows for a given vector count.
template <int V, class BRow>
HWY_INLINE void RowsNN(int rows, int64_t k0, int64_t k1, const float* a,
                       int64_t a_rs, int64_t a_cs, const BRow& brow,
                       int64_t col, float* c, int64_t ldc, bool accumulate) {
  switch (rows) {
#define TCH_NN_ROWS_CASE(R)                                               \
  case R:                                                                 \
    if constexpr (R <= kNNRows) {                                         \
      TileNN<R, V>(k0, k1, a, a_rs, a_cs, brow, col, c, ldc, accumulate); \
    }                                                                     \
    break;
    TCH_NN_ROWS_CASE(1)
    TCH_NN_ROWS_CASE(2)
    TCH_NN_ROWS_CASE(3)
    TCH_NN_ROWS_CASE(4)
    TCH_NN_ROWS_CASE(5)
    TCH_NN_ROWS_CASE(6)
    TCH_NN_ROWS_CASE(7)
    TCH_NN_ROWS_CASE(8)
#undef TCH_NN_ROWS_CASE
    default:
      break;
  }
}

// K is split into blocks of kKBlock rows of B (a panel of 128 x 48 floats
// is 24 KiB, inside L1); column strips of B are the next loop, so the panel
// stays in L1 while every row block of A passes over it.
inline constexpr int64_t kKBlock = 128;

template <class BRow>
HWY_INLINE void GemmNNImpl(int64_t m, int64_t n, int64_t k, const float* a,
                           int64_t a_rs, int64_t a_cs, const BRow& brow,
                           float* c, int64_t ldc, bool accumulate) {
  const DF d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const int64_t strip = kNNVecs * lanes;
  const int64_t n_vec = n / lanes * lanes;
  if (k == 0 && !accumulate) {
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = 0.0f;
    }
    return;
  }
  for (int64_t k0 = 0; k0 < k; k0 += kKBlock) {
    const int64_t k1 = k - k0 < kKBlock ? k : k0 + kKBlock;
    const bool acc = accumulate || k0 > 0;
    int64_t j = 0;
    for (; j + strip <= n_vec; j += strip) {
      for (int64_t i = 0; i < m; i += kNNRows) {
        const int rows = static_cast<int>(i + kNNRows <= m ? kNNRows : m - i);
        RowsNN<kNNVecs>(rows, k0, k1, a + i * a_rs, a_rs, a_cs, brow, j,
                        c + i * ldc + j, ldc, acc);
      }
    }
    for (; j < n_vec; j += lanes) {
      for (int64_t i = 0; i < m; i += kNNRows) {
        const int rows = static_cast<int>(i + kNNRows <= m ? kNNRows : m - i);
        RowsNN<1>(rows, k0, k1, a + i * a_rs, a_rs, a_cs, brow, j,
                  c + i * ldc + j, ldc, acc);
      }
    }
  }
  // Fewer than one vector of columns left: scalar.
  for (int64_t i = 0; i < m; ++i) {
    float* crow = c + i * ldc;
    for (int64_t j = n_vec; j < n; ++j) {
      float s = accumulate ? crow[j] : 0.0f;
      for (int64_t kk = 0; kk < k; ++kk)
        s += a[i * a_rs + kk * a_cs] * brow(kk)[j];
      crow[j] = s;
    }
  }
}

// C[M,N] (+)= A[M,K] * B[K,N] with B row-major (leading dim ldb).
void GemmNN(int64_t m, int64_t n, int64_t k, const float* a, int64_t a_rs,
            int64_t a_cs, const float* b, int64_t ldb, float* c, int64_t ldc,
            bool accumulate) {
  GemmNNImpl(
      m, n, k, a, a_rs, a_cs, [b, ldb](int64_t kk) { return b + kk * ldb; }, c,
      ldc, accumulate);
}

// C[r][q] (+)= dot(a_r[k0:k1], b_q[k0:k1]) for R rows a_r = a + r*lda and
// the Q rows b_q = brows[q].
template <int R, int Q>
HWY_INLINE void TileNT(int64_t k0, int64_t k1, const float* HWY_RESTRICT a,
                       int64_t lda, const float* const* brows,
                       float* HWY_RESTRICT c, int64_t ldc, bool accumulate) {
  const DF d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  VF acc[R][Q];
  HWY_UNROLL(16)
  for (int r = 0; r < R; ++r) {
    HWY_UNROLL(16)
    for (int q = 0; q < Q; ++q) acc[r][q] = hn::Zero(d);
  }
  const float* bq[Q];
  HWY_UNROLL(16)
  for (int q = 0; q < Q; ++q) bq[q] = brows[q];
  int64_t kk = k0;
  for (; kk + lanes <= k1; kk += lanes) {
    VF bv[Q];
    HWY_UNROLL(16)
    for (int q = 0; q < Q; ++q) bv[q] = hn::LoadU(d, bq[q] + kk);
    HWY_UNROLL(16)
    for (int r = 0; r < R; ++r) {
      const VF av = hn::LoadU(d, a + r * lda + kk);
      HWY_UNROLL(16)
      for (int q = 0; q < Q; ++q) acc[r][q] = hn::MulAdd(av, bv[q], acc[r][q]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int q = 0; q < Q; ++q) {
      float s = hn::GetLane(hn::SumOfLanes(d, acc[r][q]));
      for (int64_t t = kk; t < k1; ++t) s += a[r * lda + t] * bq[q][t];
      c[r * ldc + q] = accumulate ? c[r * ldc + q] + s : s;
    }
  }
}

// Blocks of the dot dimension: a 6-row B tile of 1024 floats per row
// (24 KiB) stays in L1 while every row tile of A passes over it.
inline constexpr int64_t kDotBlock = 1024;

// C[M,N] (+)= A[M,K] * B^T with row q of B at b + b_rows[q].
void GemmNTRows(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                const float* b, const int64_t* b_rows, float* c, int64_t ldc,
                bool accumulate) {
  if (k == 0) {
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        if (!accumulate) c[i * ldc + j] = 0.0f;
      }
    }
    return;
  }
  const float* brows[kNTCols];
  for (int64_t k0 = 0; k0 < k; k0 += kDotBlock) {
    const int64_t k1 = k - k0 < kDotBlock ? k : k0 + kDotBlock;
    const bool acc = accumulate || k0 > 0;
    int64_t j = 0;
    for (; j + kNTCols <= n; j += kNTCols) {
      for (int q = 0; q < kNTCols; ++q) brows[q] = b + b_rows[j + q];
      int64_t i = 0;
      for (; i + kNTRows <= m; i += kNTRows) {
        TileNT<kNTRows, kNTCols>(k0, k1, a + i * lda, lda, brows,
                                 c + i * ldc + j, ldc, acc);
      }
      for (; i < m; ++i) {
        TileNT<1, kNTCols>(k0, k1, a + i * lda, lda, brows, c + i * ldc + j,
                           ldc, acc);
      }
    }
    for (; j < n; ++j) {
      brows[0] = b + b_rows[j];
      int64_t i = 0;
      for (; i + kNTRows <= m; i += kNTRows) {
        TileNT<kNTRows, 1>(k0, k1, a + i * lda, lda, brows, c + i * ldc + j,
                           ldc, acc);
      }
      for (; i < m; ++i) {
        TileNT<1, 1>(k0, k1, a + i * lda, lda, brows, c + i * ldc + j, ldc,
                     acc);
      }
    }
  }
}

}  // namespace tch::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // TCH_KERNELS_CPU_NN_GEMM_INL_H_
