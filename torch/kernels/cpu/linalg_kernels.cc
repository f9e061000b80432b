// CPU kernel for "gemm" (see GemmPlan in torch/core/linalg_ops.h):
//   * float32/float64: OpenBLAS (cblas_?gemm, ?gemv for matrix-vector,
//     ?dot for vector-vector). Strided operands go to BLAS as they are when a
//     leading dimension and a transpose flag describe them; otherwise (a
//     stride-0 or doubly strided operand) they are copied to a contiguous
//     scratch matrix first.
//   * float16/bfloat16: converted to float32, multiplied by sgemm, rounded
//     back once (PyTorch computes in float as well).
//   * int64/int32/uint8: a cache-blocked loop accumulating in the unsigned
//     type of the same width, so overflow wraps as in PyTorch and is never
//     undefined behaviour.
//
// Note [BLAS threads]
// OpenBLAS (the pthreads build Debian ships) owns a thread pool apart from
// tch's (torch/core/parallel.h). Two rules keep them from fighting over the
// cores:
//   1. A BLAS call made from the caller's thread, outside any ParallelFor,
//      runs on GetNumThreads() BLAS threads: TCH_NUM_THREADS (or
//      SetNumThreads) governs BLAS too, as OMP_NUM_THREADS does for
//      libtorch. So BLAS never uses more cores than tch was given.
//   2. A BLAS call made inside a ParallelFor chunk (ours, for a batch of
//      small products, or another kernel's, e.g. a per-image convolution)
//      runs on 1 BLAS thread: the pool already occupies every core, and
//      nested threading would oversubscribe them.
// OpenBLAS 0.3.21 has only a process-wide setting
// (openblas_set_num_threads); there is no per-call count. Before each call
// we read the current value (openblas_get_num_threads, a load) and set it
// only when the call needs another: rule 1 sets GetNumThreads() before a
// top-level call, rule 2 sets 1 before a nested one (every nested caller
// wants 1, so concurrent nested callers agree). Batched products choose between
// the two forms: many small matrices -> ParallelFor over the batch with
// 1-thread BLAS; few large ones -> a serial loop with multi-threaded BLAS.
// OpenBLAS itself runs small products (m*n*k < 262144) on one thread
// whatever the setting. Its idle workers spin for a while after a threaded
// call, yielding the CPU (sched_yield); that costs little next to the
// oversubscription the rules above avoid.
#include <cblas.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "torch/core/cpu_features.h"
#include "torch/core/dispatch.h"
#include "torch/core/linalg_ops.h"
#include "torch/core/parallel.h"
#include "torch/kernels/cpu/loops.h"

namespace tch::cpu {
namespace {

// --- Batch iteration ---------------------------------------------------------

struct Offsets {
  int64_t a = 0, b = 0, c = 0, s = 0;
};

// Element offsets of batch entry `index` (batch dims, last fastest).
Offsets BatchOffsets(const GemmPlan& plan, int64_t index) {
  Offsets o;
  for (int d = plan.batch_ndim - 1; d >= 0; --d) {
    const int64_t i = index % plan.batch_sizes[d];
    index /= plan.batch_sizes[d];
    o.a += i * plan.a_batch_strides[d];
    o.b += i * plan.b_batch_strides[d];
    o.c += i * plan.c_batch_strides[d];
    o.s += i * plan.s_batch_strides[d];
  }
  return o;
}

// One product of the batch, with typed pointers.
template <typename T>
struct Matrices {
  const T* a;
  const T* b;
  T* c;
  const T* s;  // C's initial value, or nullptr for C itself
};

template <typename T>
Matrices<T> MatricesAt(const GemmPlan& plan, int64_t index) {
  const Offsets o = BatchOffsets(plan, index);
  return {static_cast<const T*>(plan.a) + o.a,
          static_cast<const T*>(plan.b) + o.b, static_cast<T*>(plan.c) + o.c,
          plan.s ? static_cast<const T*>(plan.s) + o.s : nullptr};
}

// Rows [lo, hi) of C = S (the plan's initial value): a row copy, a fill
// for a broadcast scalar, or a strided gather.
template <typename T>
void CopyInitRows(const GemmPlan& plan, const Matrices<T>& mat, int64_t lo,
                  int64_t hi) {
  const int64_t n = plan.n;
  for (int64_t i = lo; i < hi; ++i) {
    const T* src = mat.s + i * plan.s_rs;
    T* dst = mat.c + i * plan.c_rs;
    if (plan.s_cs == 1) {
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(T));
    } else if (plan.s_cs == 0) {
      std::fill(dst, dst + n, *src);
    } else {
      for (int64_t j = 0; j < n; ++j) dst[j] = src[j * plan.s_cs];
    }
  }
}

// C = S for one product, split over the pool when it is large and we are
// not inside a ParallelFor already.
template <typename T>
void CopyInit(const GemmPlan& plan, const Matrices<T>& mat) {
  const int64_t grain = std::max<int64_t>(
      1, kElementwiseGrainSize / std::max<int64_t>(1, plan.n));
  ParallelFor(0, plan.m, grain,
              [&](int64_t lo, int64_t hi) { CopyInitRows(plan, mat, lo, hi); });
}

// C = beta * C over an m x n matrix (beta == 0 writes zeros, NaN or not).
template <typename T, typename S>
void ScaleC(T* c, int64_t ldc, int64_t m, int64_t n, S beta) {
  for (int64_t i = 0; i < m; ++i) {
    T* row = c + i * ldc;
    if (beta == S(0)) {
      std::fill(row, row + n, T(0));
    } else if (beta != S(1)) {
      for (int64_t j = 0; j < n; ++j) row[j] = T(S(row[j]) * beta);
    }
  }
}

// --- BLAS (float32, float64) -------------------------------------------------

// Note [OpenBLAS core type]
// OpenBLAS picks its kernels at load time from the CPU model (DYNAMIC_ARCH).
// Debian's 0.3.21 does not know CPUs newer than it (this project's machines,
// Intel family 6 model 207, among them) and falls back to its "Prescott"
// (SSE3) kernels: 37 GFLOP/s of sgemm on one core, where its SkylakeX
// kernels reach 175 and the FMA peak is about 200 (benchmarks/README.md).
// The choice is made before any of tch's code runs and cannot be changed
// afterwards, only by the environment variable OPENBLAS_CORETYPE (SkylakeX
// for AVX-512, Haswell for AVX2) read at load time. So tch says so, once, on
// standard error at the first BLAS call; the same applies to libtorch and
// numpy, which load the same OpenBLAS.
void WarnIfBlasCoreIsGeneric() {
  static const bool warned = [] {
    const std::string core = openblas_get_corename();
    const CpuFeatures& cpu = GetCpuFeatures();
    const bool generic = core == "Prescott" || core == "Core2" ||
                         core == "Nehalem" || core == "Sandybridge";
    if (!generic || !(cpu.avx2 && cpu.fma)) return false;
    const char* better =
        cpu.avx512f && cpu.avx512bw && cpu.avx512vl ? "SkylakeX" : "Haswell";
    std::fprintf(stderr,
                 "tch: warning: OpenBLAS chose its '%s' kernels for this CPU "
                 "(it does not recognize the model), making float32/float64 "
                 "matmul several times slower; set OPENBLAS_CORETYPE=%s in "
                 "the environment (see Note [OpenBLAS core type]).\n",
                 core.c_str(), better);
    return true;
  }();
  (void)warned;
}

// Asks OpenBLAS for its current count rather than caching ours: another
// library in the process (libtorch, numpy) may have changed it.
void SetBlasThreads(int n) {
  WarnIfBlasCoreIsGeneric();
  if (openblas_get_num_threads() != n) openblas_set_num_threads(n);
}

// How one operand matrix (rows x cols, strides rs, cs) reaches BLAS
// (row-major): as is with leading dimension ld, as the transpose of a
// row-major matrix, or not at all (copy it).
struct BlasLayout {
  bool ok = false;
  bool trans = false;
  int64_t ld = 0;
};

BlasLayout LayoutFor(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  BlasLayout l;
  if ((cs == 1 || cols == 1) &&
      (rows == 1 || rs >= std::max<int64_t>(1, cols))) {
    l.ok = true;
    l.ld = rows == 1 ? std::max<int64_t>(1, cols) : rs;
  } else if ((rs == 1 || rows == 1) &&
             (cols == 1 || cs >= std::max<int64_t>(1, rows))) {
    l.ok = true;
    l.trans = true;
    l.ld = cols == 1 ? std::max<int64_t>(1, rows) : cs;
  }
  l.ok = l.ok && l.ld <= INT_MAX;
  return l;
}

// Copies a strided rows x cols matrix into `buffer` (row-major).
template <typename T>
const T* PackContiguous(const T* src, int64_t rows, int64_t cols, int64_t rs,
                        int64_t cs, std::vector<T>* buffer) {
  buffer->resize(static_cast<size_t>(rows * cols));
  T* dst = buffer->data();
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) dst[i * cols + j] = src[i * rs + j * cs];
  }
  return dst;
}

void Gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k,
          float alpha, const float* a, int lda, const float* b, int ldb,
          float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c,
              ldc);
}
void Gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k,
          double alpha, const double* a, int lda, const double* b, int ldb,
          double beta, double* c, int ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c,
              ldc);
}
void Gemv(CBLAS_TRANSPOSE t, int m, int n, float alpha, const float* a, int lda,
          const float* x, int incx, float beta, float* y, int incy) {
  cblas_sgemv(CblasRowMajor, t, m, n, alpha, a, lda, x, incx, beta, y, incy);
}
void Gemv(CBLAS_TRANSPOSE t, int m, int n, double alpha, const double* a,
          int lda, const double* x, int incx, double beta, double* y,
          int incy) {
  cblas_dgemv(CblasRowMajor, t, m, n, alpha, a, lda, x, incx, beta, y, incy);
}
float Dot(int n, const float* x, int incx, const float* y, int incy) {
  return cblas_sdot(n, x, incx, y, incy);
}
double Dot(int n, const double* x, int incx, const double* y, int incy) {
  return cblas_ddot(n, x, incx, y, incy);
}

// Scratch matrices of one thread, reused across the products it runs.
template <typename T>
struct Scratch {
  std::vector<T> a, b, c;
};

// One product C = beta * C + alpha * A @ B through BLAS. `beta == 0`
// ignores C's contents.
template <typename T>
void BlasProduct(int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                 int64_t ars, int64_t acs, const T* b, int64_t brs, int64_t bcs,
                 T beta, T* c, int64_t ldc, Scratch<T>* scratch) {
  if (k == 0 || alpha == T(0)) {
    ScaleC(c, ldc, m, n, beta);
    return;
  }
  if (m == 1 && n == 1) {  // dot product
    T sum = 0;
    if (acs != 0 && brs != 0 && acs <= INT_MAX && brs <= INT_MAX) {
      sum = Dot(static_cast<int>(k), a, static_cast<int>(acs), b,
                static_cast<int>(brs));
    } else {
      for (int64_t p = 0; p < k; ++p) sum += a[p * acs] * b[p * brs];
    }
    c[0] = beta == T(0) ? alpha * sum : beta * c[0] + alpha * sum;
    return;
  }
  BlasLayout la = LayoutFor(m, k, ars, acs);
  if (!la.ok) {
    a = PackContiguous(a, m, k, ars, acs, &scratch->a);
    la = {true, false, k};
  }
  BlasLayout lb = LayoutFor(k, n, brs, bcs);
  if (!lb.ok) {
    b = PackContiguous(b, k, n, brs, bcs, &scratch->b);
    lb = {true, false, n};
  }
  const int im = static_cast<int>(m), in = static_cast<int>(n),
            ik = static_cast<int>(k);
  const int lda = static_cast<int>(la.ld), ldb = static_cast<int>(lb.ld);
  // BLAS scales y by beta before adding; with beta == 0 OpenBLAS's scal
  // would turn NaN garbage into NaN, so clear y first (PyTorch's rule:
  // beta == 0 ignores the output).
  if (n == 1) {  // y[m] = A @ x, x a column of B (stride ldb or 1)
    if (beta == T(0)) ScaleC(c, ldc, m, 1, T(0));
    const int incx = lb.trans ? 1 : ldb;
    Gemv(la.trans ? CblasTrans : CblasNoTrans, la.trans ? ik : im,
         la.trans ? im : ik, alpha, a, lda, b, incx, beta, c,
         static_cast<int>(ldc));
    return;
  }
  if (m == 1) {  // y[n] = B^T @ x, x the row of A
    if (beta == T(0)) ScaleC(c, ldc, 1, n, T(0));
    const int incx = la.trans ? lda : 1;
    Gemv(lb.trans ? CblasNoTrans : CblasTrans, lb.trans ? in : ik,
         lb.trans ? ik : in, alpha, b, ldb, a, incx, beta, c, 1);
    return;
  }
  Gemm(la.trans ? CblasTrans : CblasNoTrans,
       lb.trans ? CblasTrans : CblasNoTrans, im, in, ik, alpha, a, lda, b, ldb,
       beta, c, static_cast<int>(ldc));
}

template <typename T>
void BlasGemmKernel(const GemmPlan& plan) {
  TCH_CHECK_T(NotImplementedError,
              plan.m <= INT_MAX && plan.n <= INT_MAX && plan.k <= INT_MAX &&
                  plan.c_rs <= INT_MAX,
              "gemm: matrix dims above 2^31-1 are not supported by the BLAS "
              "backend (m=",
              plan.m, ", n=", plan.n, ", k=", plan.k, ")");
  const T alpha = plan.alpha.to<T>(), beta = plan.beta.to<T>();
  const int threads = GetNumThreads();
  const bool nested = InParallelRegion();
  const int64_t total = plan.batch();
  const int64_t work = plan.m * plan.n * plan.k;
  // See Note [BLAS threads].
  const bool batch_parallel =
      !nested && threads > 1 && total > 1 &&
      (total >= 2 * threads || (total >= threads && work < (int64_t{1} << 21)));
  SetBlasThreads(nested || batch_parallel ? 1 : threads);
  const bool init = plan.s != nullptr && beta != T(0);
  if (!batch_parallel) {
    Scratch<T> scratch;
    for (int64_t i = 0; i < total; ++i) {
      const Matrices<T> mat = MatricesAt<T>(plan, i);
      if (init) CopyInit(plan, mat);
      BlasProduct(plan.m, plan.n, plan.k, alpha, mat.a, plan.a_rs, plan.a_cs,
                  mat.b, plan.b_rs, plan.b_cs, beta, mat.c, plan.c_rs,
                  &scratch);
    }
    return;
  }
  const int64_t grain =
      std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(1, work));
  ParallelFor(0, total, grain, [&](int64_t lo, int64_t hi) {
    Scratch<T> scratch;
    for (int64_t i = lo; i < hi; ++i) {
      const Matrices<T> mat = MatricesAt<T>(plan, i);
      if (init) CopyInitRows(plan, mat, 0, plan.m);
      BlasProduct(plan.m, plan.n, plan.k, alpha, mat.a, plan.a_rs, plan.a_cs,
                  mat.b, plan.b_rs, plan.b_cs, beta, mat.c, plan.c_rs,
                  &scratch);
    }
  });
}

// --- float16 / bfloat16 via float32 ------------------------------------------

template <typename T>
void ToFloat(const T* src, int64_t rows, int64_t cols, int64_t rs, int64_t cs,
             std::vector<float>* dst) {
  dst->resize(static_cast<size_t>(rows * cols));
  float* out = dst->data();
  for (int64_t i = 0; i < rows; ++i) {
    const T* row = src + i * rs;
    for (int64_t j = 0; j < cols; ++j) out[i * cols + j] = float(row[j * cs]);
  }
}

template <typename T>
void ReducedFloatGemmKernel(const GemmPlan& plan) {
  const float alpha = plan.alpha.to<float>(), beta = plan.beta.to<float>();
  const int64_t m = plan.m, n = plan.n, k = plan.k;
  const int64_t total = plan.batch();
  const int threads = GetNumThreads();
  const bool nested = InParallelRegion();
  const bool batch_parallel = !nested && threads > 1 && total >= threads;
  SetBlasThreads(nested || batch_parallel ? 1 : threads);
  auto run = [&](int64_t lo, int64_t hi) {
    std::vector<float> fa, fb, fc;
    Scratch<float> scratch;
    for (int64_t i = lo; i < hi; ++i) {
      const Matrices<T> mat = MatricesAt<T>(plan, i);
      ToFloat(mat.a, m, k, plan.a_rs, plan.a_cs, &fa);
      ToFloat(mat.b, k, n, plan.b_rs, plan.b_cs, &fb);
      if (beta != 0.0f && mat.s != nullptr) {
        ToFloat(mat.s, m, n, plan.s_rs, plan.s_cs, &fc);
      } else if (beta != 0.0f) {
        ToFloat(mat.c, m, n, plan.c_rs, 1, &fc);
      } else {
        fc.assign(static_cast<size_t>(m * n), 0.0f);
      }
      BlasProduct<float>(m, n, k, alpha, fa.data(), k, 1, fb.data(), n, 1, beta,
                         fc.data(), n, &scratch);
      for (int64_t r = 0; r < m; ++r) {
        T* row = mat.c + r * plan.c_rs;
        for (int64_t j = 0; j < n; ++j) row[j] = T(fc[r * n + j]);
      }
    }
  };
  if (!batch_parallel) {
    run(0, total);
  } else {
    ParallelFor(0, total, 1, run);
  }
}

// --- Integers: cache-blocked loop --------------------------------------------

// Block sizes: a packed kKc x kNc panel of B stays in L2, kMr rows of C
// (kNc elements each) stay in L1 while a panel row is swept across them.
constexpr int64_t kNc = 256;
constexpr int64_t kKc = 256;
constexpr int64_t kMr = 4;

// c_r[0..nc) += sum_p ap[r * kc + p] * bp[p * nc + j] for r < 4: the inner
// loop, vectorized by the compiler. Columns go in tiles of 128 bytes whose
// 4 rows of sums stay in registers across the whole kc loop; the last,
// partial tile updates C directly. The build targets baseline x86-64, so
// the wrappers below are compiled again for AVX2 and AVX-512 and picked at
// load time (target_clones), as Highway does for hand-written SIMD.
template <typename U>
[[gnu::always_inline]] inline void Rows4Tail(U* __restrict c0, U* __restrict c1,
                                             U* __restrict c2, U* __restrict c3,
                                             const U* __restrict ap,
                                             const U* __restrict bp, int64_t kc,
                                             int64_t n, int64_t ldb) {
  for (int64_t p = 0; p < kc; ++p) {
    const U* brow = bp + p * ldb;
    const U a0 = ap[p], a1 = ap[kc + p], a2 = ap[2 * kc + p],
            a3 = ap[3 * kc + p];
    for (int64_t j = 0; j < n; ++j) {
      const U bv = brow[j];
      c0[j] = U(c0[j] + a0 * bv);
      c1[j] = U(c1[j] + a1 * bv);
      c2[j] = U(c2[j] + a2 * bv);
      c3[j] = U(c3[j] + a3 * bv);
    }
  }
}

template <typename U>
[[gnu::always_inline]] inline void Rows4(U* __restrict c0, U* __restrict c1,
                                         U* __restrict c2, U* __restrict c3,
                                         const U* __restrict ap,
                                         const U* __restrict bp, int64_t kc,
                                         int64_t nc) {
  constexpr int64_t kNr = 128 / sizeof(U);
  int64_t j0 = 0;
  for (; j0 + kNr <= nc; j0 += kNr) {
    U acc0[kNr] = {}, acc1[kNr] = {}, acc2[kNr] = {}, acc3[kNr] = {};
    for (int64_t p = 0; p < kc; ++p) {
      const U* b = bp + p * nc + j0;
      const U a0 = ap[p], a1 = ap[kc + p], a2 = ap[2 * kc + p],
              a3 = ap[3 * kc + p];
      for (int64_t j = 0; j < kNr; ++j) {
        acc0[j] = U(acc0[j] + a0 * b[j]);
        acc1[j] = U(acc1[j] + a1 * b[j]);
        acc2[j] = U(acc2[j] + a2 * b[j]);
        acc3[j] = U(acc3[j] + a3 * b[j]);
      }
    }
    for (int64_t j = 0; j < kNr; ++j) {
      c0[j0 + j] = U(c0[j0 + j] + acc0[j]);
      c1[j0 + j] = U(c1[j0 + j] + acc1[j]);
      c2[j0 + j] = U(c2[j0 + j] + acc2[j]);
      c3[j0 + j] = U(c3[j0 + j] + acc3[j]);
    }
  }
  if (j0 < nc) {
    Rows4Tail(c0 + j0, c1 + j0, c2 + j0, c3 + j0, ap, bp + j0, kc, nc - j0, nc);
  }
}

#if defined(__x86_64__) && !defined(TCH_SANITIZER)
#define TCH_LINALG_CLONES \
  [[gnu::target_clones("arch=skylake-avx512", "avx2", "default")]]
#else
#define TCH_LINALG_CLONES
#endif

TCH_LINALG_CLONES void Rows4U64(uint64_t* c0, uint64_t* c1, uint64_t* c2,
                                uint64_t* c3, const uint64_t* ap,
                                const uint64_t* bp, int64_t kc, int64_t nc) {
  Rows4(c0, c1, c2, c3, ap, bp, kc, nc);
}
TCH_LINALG_CLONES void Rows4U32(uint32_t* c0, uint32_t* c1, uint32_t* c2,
                                uint32_t* c3, const uint32_t* ap,
                                const uint32_t* bp, int64_t kc, int64_t nc) {
  Rows4(c0, c1, c2, c3, ap, bp, kc, nc);
}
TCH_LINALG_CLONES void Rows4U8(uint8_t* c0, uint8_t* c1, uint8_t* c2,
                               uint8_t* c3, const uint8_t* ap,
                               const uint8_t* bp, int64_t kc, int64_t nc) {
  Rows4(c0, c1, c2, c3, ap, bp, kc, nc);
}
#undef TCH_LINALG_CLONES

void Rows4Dispatch(uint64_t* c[4], const uint64_t* ap, const uint64_t* bp,
                   int64_t kc, int64_t nc) {
  Rows4U64(c[0], c[1], c[2], c[3], ap, bp, kc, nc);
}
void Rows4Dispatch(uint32_t* c[4], const uint32_t* ap, const uint32_t* bp,
                   int64_t kc, int64_t nc) {
  Rows4U32(c[0], c[1], c[2], c[3], ap, bp, kc, nc);
}
void Rows4Dispatch(uint8_t* c[4], const uint8_t* ap, const uint8_t* bp,
                   int64_t kc, int64_t nc) {
  Rows4U8(c[0], c[1], c[2], c[3], ap, bp, kc, nc);
}

// C[rows lo..hi) += alpha * A @ B in wrapping arithmetic U.
template <typename T>
void IntGemmRows(const GemmPlan& plan, const Matrices<T>& mat, int64_t lo,
                 int64_t hi, std::vector<std::make_unsigned_t<T>>* panel) {
  using U = std::make_unsigned_t<T>;
  const U alpha = static_cast<U>(plan.alpha.to<T>());
  const int64_t n = plan.n, k = plan.k;
  panel->resize(static_cast<size_t>(kNc * kKc + kMr * kKc));
  U* bp = panel->data();
  U* ap = bp + kNc * kKc;  // kMr rows of A times alpha, kc long each
  for (int64_t jc = 0; jc < n; jc += kNc) {
    const int64_t nc = std::min(kNc, n - jc);
    for (int64_t pc = 0; pc < k; pc += kKc) {
      const int64_t kc = std::min(kKc, k - pc);
      for (int64_t p = 0; p < kc; ++p) {
        const T* src = mat.b + (pc + p) * plan.b_rs + jc * plan.b_cs;
        for (int64_t j = 0; j < nc; ++j) {
          bp[p * nc + j] = static_cast<U>(src[j * plan.b_cs]);
        }
      }
      for (int64_t i = lo; i < hi; i += kMr) {
        const int64_t mr = std::min(kMr, hi - i);
        U* c[kMr];
        for (int64_t r = 0; r < kMr; ++r) {
          const int64_t row = i + std::min(r, mr - 1);
          c[r] = reinterpret_cast<U*>(mat.c + row * plan.c_rs + jc);
          const T* a = mat.a + row * plan.a_rs + pc * plan.a_cs;
          for (int64_t p = 0; p < kc; ++p) {
            ap[r * kc + p] = r < mr ? U(alpha * U(a[p * plan.a_cs])) : U(0);
          }
        }
        if (mr < kMr) {
          for (int64_t r = 0; r < mr; ++r) {  // the last rows, one by one
            for (int64_t p = 0; p < kc; ++p) {
              const U av = ap[r * kc + p];
              const U* brow = bp + p * nc;
              for (int64_t j = 0; j < nc; ++j)
                c[r][j] = U(c[r][j] + av * brow[j]);
            }
          }
          continue;
        }
        Rows4Dispatch(c, ap, bp, kc, nc);
      }
    }
  }
}

template <typename T>
void IntGemmKernel(const GemmPlan& plan) {
  using U = std::make_unsigned_t<T>;
  const int64_t m = plan.m, n = plan.n, k = plan.k;
  const int64_t total = plan.batch();
  const T beta = plan.beta.to<T>();
  const bool skip_product = k == 0 || plan.alpha.to<T>() == T(0);
  // Units of work: (batch entry, block of rows). One block per product when
  // the batch alone fills the pool, else split rows across the threads.
  const int64_t threads = GetNumThreads();
  const int64_t row_blocks =
      total >= threads ? 1 : std::min<int64_t>(threads, (m + kMr - 1) / kMr);
  const int64_t rows_per_block =
      (((m + row_blocks - 1) / row_blocks) + kMr - 1) / kMr * kMr;
  const int64_t unit_work =
      std::max<int64_t>(1, rows_per_block * std::max<int64_t>(1, n * k));
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / unit_work);
  ParallelFor(0, total * row_blocks, grain, [&](int64_t lo, int64_t hi) {
    std::vector<U> panel;
    for (int64_t u = lo; u < hi; ++u) {
      const Matrices<T> mat = MatricesAt<T>(plan, u / row_blocks);
      const int64_t r0 = (u % row_blocks) * rows_per_block;
      const int64_t r1 = std::min(m, r0 + rows_per_block);
      if (r0 >= r1) continue;
      // beta * C (or S) in wrapping arithmetic; beta == 0 ignores both.
      if (mat.s != nullptr && beta != T(0)) CopyInitRows(plan, mat, r0, r1);
      for (int64_t i = r0; i < r1; ++i) {
        U* row = reinterpret_cast<U*>(mat.c + i * plan.c_rs);
        if (beta == T(0)) {
          std::fill(row, row + n, U(0));
        } else if (beta != T(1)) {
          for (int64_t j = 0; j < n; ++j) row[j] = U(row[j] * U(beta));
        }
      }
      if (!skip_product) IntGemmRows<T>(plan, mat, r0, r1, &panel);
    }
  });
}

// --- Registration ------------------------------------------------------------

[[maybe_unused]] const bool kRegistered = [] {
  KernelRegistrar("gemm", DeviceType::kCpu, {DType::kFloat32},
                  &BlasGemmKernel<float>);
  KernelRegistrar("gemm", DeviceType::kCpu, {DType::kFloat64},
                  &BlasGemmKernel<double>);
  KernelRegistrar("gemm", DeviceType::kCpu, {DType::kFloat16},
                  &ReducedFloatGemmKernel<Float16>);
  KernelRegistrar("gemm", DeviceType::kCpu, {DType::kBFloat16},
                  &ReducedFloatGemmKernel<BFloat16>);
  KernelRegistrar("gemm", DeviceType::kCpu, {DType::kInt64},
                  &IntGemmKernel<int64_t>);
  KernelRegistrar("gemm", DeviceType::kCpu, {DType::kInt32},
                  &IntGemmKernel<int32_t>);
  KernelRegistrar("gemm", DeviceType::kCpu, {DType::kUInt8},
                  &IntGemmKernel<uint8_t>);
  return true;
}();

}  // namespace
}  // namespace tch::cpu
