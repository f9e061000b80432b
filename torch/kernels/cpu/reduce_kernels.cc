// CPU kernels of the reduce family: sum, mean, prod, amax/amin,
// argmax/argmin (also max/min with a dim), var/std, logsumexp, norm,
// all/any and cumsum. Registered into core's dispatch table at load time.
//
// Every reduction is one `Reducer` (an accumulator type with Init, Row,
// Columns, Combine and Write) run by the engine `Reduce` below, which owns
// layout and threading:
//   * many outputs: outputs are split across threads; each output walks its
//     reduced elements as 1-D runs (`Row`). When the innermost kept dim is
//     contiguous in the input and the reduced one is not (column sums), the
//     engine instead feeds whole rows of up to kColumnBlock outputs to
//     `Columns`, which accumulates across outputs with vector loads.
//   * few outputs and a long reduction: the reduced range is cut into chunks
//     of kChunk elements, each chunk's partials are computed in parallel and
//     combined in chunk order, so results do not depend on the thread count.
// Contiguous float32 runs go to the Highway loops of reduce_simd-inl.h.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "torch/core/dispatch.h"
#include "torch/core/parallel.h"
#include "torch/core/reduce_ops.h"
#include "torch/kernels/cpu/loops.h"

// Highway: compile reduce_simd-inl.h once per target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "torch/kernels/cpu/reduce_simd-inl.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "torch/kernels/cpu/reduce_simd-inl.h"

#if HWY_ONCE
namespace tch::cpu {

HWY_EXPORT(SumRunF32);
HWY_EXPORT(SumRunF64);
HWY_EXPORT(ColumnSumF32);
HWY_EXPORT(MaxRunF32);
HWY_EXPORT(MinRunF32);
HWY_EXPORT(SumExpRunF32);
HWY_EXPORT(FindFirstF32);
HWY_EXPORT(SumAbsRunF32);
HWY_EXPORT(SumSqDevRunF32);

namespace {

constexpr int64_t kChunk = 32768;       // reduced elements per split chunk
constexpr int64_t kGrain = 32768;       // elements of work per thread, min
constexpr int64_t kColumnBlock = 1024;  // outputs per Columns block
constexpr int64_t kMaxSplitOutputs = 16;

template <typename T>
constexpr bool kIsFloat =
    std::is_floating_point_v<T> || std::is_same_v<T, Float16> ||
    std::is_same_v<T, BFloat16>;

template <typename T>
const T& At(const char* p) {
  return *reinterpret_cast<const T*>(p);
}

// Calls fn(offsets, first, n) for consecutive runs along dim 0 covering the
// linear positions [begin, end) of a multi-dim index space; offsets[k] is
// the byte offset of the run's first element for stride set k, `first` its
// linear position.
template <int K, typename Fn>
void WalkRuns(int ndim, const int64_t* sizes,
              const int64_t* const (&strides)[K], int64_t begin, int64_t end,
              Fn&& fn) {
  if (begin >= end) return;
  int64_t index[kMaxReduceDims];
  int64_t offsets[K] = {};
  int64_t rest = begin;
  for (int d = 0; d < ndim; ++d) {
    index[d] = rest % sizes[d];
    rest /= sizes[d];
    for (int k = 0; k < K; ++k) offsets[k] += index[d] * strides[k][d];
  }
  int64_t pos = begin;
  while (pos < end) {
    const int64_t n = std::min(sizes[0] - index[0], end - pos);
    fn(static_cast<const int64_t*>(offsets), pos, n);
    pos += n;
    if (pos >= end) break;
    for (int k = 0; k < K; ++k) offsets[k] -= index[0] * strides[k][0];
    index[0] = 0;
    for (int d = 1; d < ndim; ++d) {
      ++index[d];
      for (int k = 0; k < K; ++k) offsets[k] += strides[k][d];
      if (index[d] < sizes[d]) break;
      for (int k = 0; k < K; ++k) offsets[k] -= sizes[d] * strides[k][d];
      index[d] = 0;
    }
  }
}

// --- The engine
// -------------------------------------------------------------------

template <typename R>
class Engine {
 public:
  using Acc = typename R::Acc;
  using In = typename R::In;

  Engine(const ReducePlan& plan, const R& r) : p_(plan), r_(r) {
    columns_ = R::kHasColumns && p_.out_sizes[0] >= 8 &&
               p_.out_in_strides[0] == static_cast<int64_t>(sizeof(In)) &&
               p_.red_strides[0] != static_cast<int64_t>(sizeof(In));
  }

  void Run() const {
    const int64_t outputs = p_.num_outputs, red = p_.reduce_size;
    if (outputs == 0) return;
    if (outputs <= kMaxSplitOutputs && red >= 2 * kChunk) {
      RunSplit();
      return;
    }
    const int64_t grain =
        std::max<int64_t>(1, kGrain / std::max<int64_t>(red, 1));
    ParallelFor(0, outputs, grain, [&](int64_t lo, int64_t hi) {
      Acc acc[kColumnBlock];
      for (int64_t b = lo; b < hi; b += kColumnBlock) {
        const int64_t e = std::min(hi, b + kColumnBlock);
        for (int64_t o = b; o < e; ++o) acc[o - b] = r_.Init();
        Accumulate(b, e, 0, red, acc);
        Write(b, e, acc);
      }
    });
  }

 private:
  // Few outputs: partials per (chunk, output), combined in chunk order.
  void RunSplit() const {
    const int64_t outputs = p_.num_outputs, red = p_.reduce_size;
    const int64_t chunks = (red + kChunk - 1) / kChunk;
    // Not std::vector: Acc may be bool.
    std::unique_ptr<Acc[]> partial(
        new Acc[static_cast<size_t>(chunks * outputs)]);
    std::fill(partial.get(), partial.get() + chunks * outputs, r_.Init());
    ParallelFor(0, chunks, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t c = lo; c < hi; ++c) {
        Accumulate(0, outputs, c * kChunk, std::min(red, (c + 1) * kChunk),
                   &partial[static_cast<size_t>(c * outputs)]);
      }
    });
    Acc acc[kMaxSplitOutputs];
    for (int64_t o = 0; o < outputs; ++o) {
      acc[o] = partial[static_cast<size_t>(o)];
      for (int64_t c = 1; c < chunks; ++c) {
        acc[o] =
            r_.Combine(acc[o], partial[static_cast<size_t>(c * outputs + o)]);
      }
    }
    Write(0, outputs, acc);
  }

  // acc[o - o_lo] accumulates outputs [o_lo, o_hi) over reduced linear
  // positions [r_lo, r_hi).
  void Accumulate(int64_t o_lo, int64_t o_hi, int64_t r_lo, int64_t r_hi,
                  Acc* acc) const {
    const int64_t* out_strides[1] = {p_.out_in_strides};
    const int64_t* red_strides[1] = {p_.red_strides};
    WalkRuns<1>(
        p_.out_ndim, p_.out_sizes, out_strides, o_lo, o_hi,
        [&](const int64_t* out_off, int64_t first, int64_t n) {
          const char* base = p_.in + out_off[0];
          Acc* a = acc + (first - o_lo);
          if (columns_) {
            WalkRuns<1>(p_.red_ndim, p_.red_sizes, red_strides, r_lo, r_hi,
                        [&](const int64_t* off, int64_t ridx, int64_t m) {
                          r_.Columns(a, base + off[0], n, m, p_.red_strides[0],
                                     ridx);
                        });
            return;
          }
          if (p_.red_ndim == 1) {  // one reduced dim: no walk needed
            const int64_t stride = p_.red_strides[0];
            for (int64_t i = 0; i < n; ++i) {
              r_.Row(a[i], base + i * p_.out_in_strides[0] + r_lo * stride,
                     r_hi - r_lo, stride, r_lo);
            }
            return;
          }
          for (int64_t i = 0; i < n; ++i) {
            const char* out_base = base + i * p_.out_in_strides[0];
            WalkRuns<1>(p_.red_ndim, p_.red_sizes, red_strides, r_lo, r_hi,
                        [&](const int64_t* off, int64_t ridx, int64_t m) {
                          r_.Row(a[i], out_base + off[0], m, p_.red_strides[0],
                                 ridx);
                        });
          }
        });
  }

  void Write(int64_t o_lo, int64_t o_hi, const Acc* acc) const {
    const int64_t* strides[2] = {p_.out_strides, p_.index_strides};
    WalkRuns<2>(p_.out_ndim, p_.out_sizes, strides, o_lo, o_hi,
                [&](const int64_t* off, int64_t first, int64_t n) {
                  for (int64_t i = 0; i < n; ++i) {
                    char* out = p_.out == nullptr
                                    ? nullptr
                                    : p_.out + off[0] + i * p_.out_strides[0];
                    char* idx =
                        p_.indices == nullptr
                            ? nullptr
                            : p_.indices + off[1] + i * p_.index_strides[0];
                    r_.Write(out, idx, acc[first - o_lo + i]);
                  }
                });
  }

  const ReducePlan& p_;
  const R& r_;
  bool columns_ = false;
};

template <typename R>
void Reduce(const ReducePlan& plan, const R& r) {
  Engine<R>(plan, r).Run();
}

// --- Sum and mean
// ------------------------------------------------------------------

// Accumulator of sums: float64 for float32/float64 (runs are summed pairwise
// first), float32 for 16-bit floats, int64 for integral and bool.
template <typename T>
using SumAcc =
    std::conditional_t<std::is_same_v<T, float> || std::is_same_v<T, double>,
                       double, std::conditional_t<kIsFloat<T>, float, int64_t>>;

template <typename T>
using SumOut = std::conditional_t<kIsFloat<T>, T, int64_t>;

// Pairwise sum of a strided run in Acc (see reduce_simd-inl.h).
template <typename T, typename Acc>
Acc PairwiseStrided(const char* p, int64_t n, int64_t stride) {
  if (n <= 128) {
    Acc s[4] = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
      for (int k = 0; k < 4; ++k) {
        s[k] += static_cast<Acc>(OpMath<T>(At<T>(p + (i + k) * stride)));
      }
    }
    for (; i < n; ++i)
      s[0] += static_cast<Acc>(OpMath<T>(At<T>(p + i * stride)));
    return (s[0] + s[1]) + (s[2] + s[3]);
  }
  const int64_t half = n / 2;
  return PairwiseStrided<T, Acc>(p, half, stride) +
         PairwiseStrided<T, Acc>(p + half * stride, n - half, stride);
}

template <typename T, bool kMean>
struct SumReducer {
  using In = T;
  using Acc = SumAcc<T>;
  static constexpr bool kHasColumns = true;
  int64_t count;

  Acc Init() const { return Acc(0); }
  void Row(Acc& a, const char* p, int64_t n, int64_t stride, int64_t) const {
    if constexpr (std::is_same_v<T, float>) {
      if (stride == int64_t{sizeof(float)} && n >= 32) {
        a += HWY_DYNAMIC_DISPATCH(SumRunF32)(reinterpret_cast<const float*>(p),
                                             n);
        return;
      }
    } else if constexpr (std::is_same_v<T, double>) {
      if (stride == int64_t{sizeof(double)} && n >= 32) {
        a += HWY_DYNAMIC_DISPATCH(SumRunF64)(reinterpret_cast<const double*>(p),
                                             n);
        return;
      }
    }
    if constexpr (kIsFloat<T>) {
      a += PairwiseStrided<T, Acc>(p, n, stride);
    } else {
      Acc s = 0;
      for (int64_t i = 0; i < n; ++i)
        s += static_cast<Acc>(At<T>(p + i * stride));
      a += s;
    }
  }
  // a[j] += element j of each of m rows (row i at p + i * row_stride).
  void Columns(Acc* a, const char* p, int64_t w, int64_t m, int64_t row_stride,
               int64_t) const {
    for (int64_t b = 0; b < w; b += kColumnBlock) {
      const int64_t bw = std::min(kColumnBlock, w - b);
      const char* q = p + b * static_cast<int64_t>(sizeof(T));
      if constexpr (std::is_same_v<T, float>) {
        HWY_DYNAMIC_DISPATCH(ColumnSumF32)(a + b, q, bw, m, row_stride);
      } else {
        for (int64_t i = 0; i < m; ++i) {
          const T* row = reinterpret_cast<const T*>(q + i * row_stride);
          for (int64_t j = 0; j < bw; ++j) {
            a[b + j] += static_cast<Acc>(OpMath<T>(row[j]));
          }
        }
      }
    }
  }
  Acc Combine(Acc a, Acc b) const { return a + b; }
  void Write(char* out, char*, Acc a) const {
    if constexpr (kMean) {
      *reinterpret_cast<T*>(out) =
          T(static_cast<OpMath<T>>(a / static_cast<Acc>(count)));
    } else {
      *reinterpret_cast<SumOut<T>*>(out) =
          SumOut<T>(static_cast<OpMath<SumOut<T>>>(a));
    }
  }
};

template <typename T>
void SumKernel(const ReducePlan& plan) {
  Reduce(plan, SumReducer<T, false>{plan.reduce_size});
}

template <typename T>
void MeanKernel(const ReducePlan& plan) {
  Reduce(plan, SumReducer<T, true>{plan.reduce_size});
}

// --- Product
// -------------------------------------------------------------------------

template <typename T>
struct ProdReducer {
  using In = T;
  using Acc = std::conditional_t<kIsFloat<T>, OpMath<T>, int64_t>;
  static constexpr bool kHasColumns = true;

  Acc Init() const { return Acc(1); }
  void Row(Acc& a, const char* p, int64_t n, int64_t stride, int64_t) const {
    for (int64_t i = 0; i < n; ++i) {
      a *= static_cast<Acc>(OpMath<T>(At<T>(p + i * stride)));
    }
  }
  void Columns(Acc* a, const char* p, int64_t w, int64_t m, int64_t row_stride,
               int64_t) const {
    for (int64_t i = 0; i < m; ++i) {
      const T* row = reinterpret_cast<const T*>(p + i * row_stride);
      for (int64_t j = 0; j < w; ++j)
        a[j] *= static_cast<Acc>(OpMath<T>(row[j]));
    }
  }
  Acc Combine(Acc a, Acc b) const { return a * b; }
  void Write(char* out, char*, Acc a) const {
    *reinterpret_cast<SumOut<T>*>(out) = SumOut<T>(a);
  }
};

template <typename T>
void ProdKernel(const ReducePlan& plan) {
  Reduce(plan, ProdReducer<T>{});
}

// --- amax / amin
// ------------------------------------------------------------------------

// Whether `v` replaces `best` in a max (kMax) or min: strictly better, or a
// NaN replacing a non-NaN (NaN wins, as in PyTorch).
template <bool kMax, typename M>
bool Better(M v, M best) {
  if constexpr (std::is_floating_point_v<M>) {
    if (std::isnan(v)) return !std::isnan(best);
  }
  return kMax ? v > best : v < best;
}

template <typename T, bool kMax>
struct ExtremeReducer {
  using In = T;
  using Acc = OpMath<T>;
  static constexpr bool kHasColumns = true;

  Acc Init() const {
    if constexpr (std::is_floating_point_v<Acc>) {
      return kMax ? -std::numeric_limits<Acc>::infinity()
                  : std::numeric_limits<Acc>::infinity();
    } else {
      return kMax ? std::numeric_limits<Acc>::lowest()
                  : std::numeric_limits<Acc>::max();
    }
  }
  void Row(Acc& a, const char* p, int64_t n, int64_t stride, int64_t) const {
    if constexpr (std::is_same_v<T, float>) {
      if (stride == int64_t{sizeof(float)} && n >= 32) {
        const float* x = reinterpret_cast<const float*>(p);
        const float v = kMax ? HWY_DYNAMIC_DISPATCH(MaxRunF32)(x, n)
                             : HWY_DYNAMIC_DISPATCH(MinRunF32)(x, n);
        a = Combine(a, v);
        return;
      }
    }
    Acc best = a;
    for (int64_t i = 0; i < n; ++i) {
      const Acc v = static_cast<Acc>(At<T>(p + i * stride));
      if (Better<kMax>(v, best)) best = v;
    }
    a = best;
  }
  void Columns(Acc* a, const char* p, int64_t w, int64_t m, int64_t row_stride,
               int64_t) const {
    for (int64_t i = 0; i < m; ++i) {
      const T* row = reinterpret_cast<const T*>(p + i * row_stride);
      for (int64_t j = 0; j < w; ++j) {
        const Acc v = static_cast<Acc>(row[j]);
        a[j] = Better<kMax>(v, a[j]) ? v : a[j];
      }
    }
  }
  Acc Combine(Acc a, Acc b) const { return Better<kMax>(b, a) ? b : a; }
  void Write(char* out, char*, Acc a) const {
    *reinterpret_cast<T*>(out) = T(a);
  }
};

template <typename T>
void AmaxKernel(const ReducePlan& plan) {
  Reduce(plan, ExtremeReducer<T, true>{});
}
template <typename T>
void AminKernel(const ReducePlan& plan) {
  Reduce(plan, ExtremeReducer<T, false>{});
}

// --- argmax / argmin (and max/min with a dim)
// ------------------------------------------

template <typename M>
struct ValueIndex {
  M value{};
  int64_t index = -1;  // -1: nothing seen yet
};

template <typename T, bool kMax>
struct ArgReducer {
  using In = T;
  using M = OpMath<T>;
  using Acc = ValueIndex<M>;
  static constexpr bool kHasColumns = true;

  Acc Init() const { return Acc{}; }
  void Row(Acc& a, const char* p, int64_t n, int64_t stride,
           int64_t first) const {
    if (n == 0) return;
    if constexpr (std::is_same_v<T, float>) {
      if (stride == int64_t{sizeof(float)}) {
        // Vector max/min first, then the first position holding it.
        const float* x = reinterpret_cast<const float*>(p);
        const float v = kMax ? HWY_DYNAMIC_DISPATCH(MaxRunF32)(x, n)
                             : HWY_DYNAMIC_DISPATCH(MinRunF32)(x, n);
        const int64_t i = HWY_DYNAMIC_DISPATCH(FindFirstF32)(x, n, v);
        a = Combine(a, Acc{x[i], first + i});
        return;
      }
    }
    Acc best = a;
    int64_t i = 0;
    if (best.index < 0) {
      best = Acc{M(At<T>(p)), first};
      i = 1;
    }
    for (; i < n; ++i) {
      const M v = M(At<T>(p + i * stride));
      if (Better<kMax>(v, best.value)) best = Acc{v, first + i};
    }
    a = best;
  }
  void Columns(Acc* a, const char* p, int64_t w, int64_t m, int64_t row_stride,
               int64_t first) const {
    for (int64_t i = 0; i < m; ++i) {
      const T* row = reinterpret_cast<const T*>(p + i * row_stride);
      for (int64_t j = 0; j < w; ++j) {
        const M v = M(row[j]);
        if (a[j].index < 0 || Better<kMax>(v, a[j].value)) {
          a[j] = Acc{v, first + i};
        }
      }
    }
  }
  // `a` covers earlier positions than `b`, so ties keep `a`.
  Acc Combine(Acc a, Acc b) const {
    if (a.index < 0) return b;
    if (b.index < 0) return a;
    return Better<kMax>(b.value, a.value) ? b : a;
  }
  void Write(char* out, char* index, Acc a) const {
    if (out != nullptr) *reinterpret_cast<T*>(out) = T(a.value);
    if (index != nullptr) *reinterpret_cast<int64_t*>(index) = a.index;
  }
};

template <typename T>
void ArgmaxKernel(const ReducePlan& plan) {
  Reduce(plan, ArgReducer<T, true>{});
}
template <typename T>
void ArgminKernel(const ReducePlan& plan) {
  Reduce(plan, ArgReducer<T, false>{});
}

// --- var / std
// -----------------------------------------------------------------------------

// Count, mean and sum of squared deviations, in float64; runs are reduced
// with two passes and merged with Chan et al.'s formula.
struct Moments {
  double n = 0, mean = 0, m2 = 0;
};

inline Moments Merge(const Moments& a, const Moments& b) {
  if (a.n == 0) return b;
  if (b.n == 0) return a;
  const double n = a.n + b.n;
  const double delta = b.mean - a.mean;
  return Moments{n, a.mean + delta * (b.n / n),
                 a.m2 + b.m2 + delta * delta * (a.n * b.n / n)};
}

template <typename T, bool kStd>
struct VarReducer {
  using In = T;
  using Acc = Moments;
  static constexpr bool kHasColumns = true;
  double correction;

  Acc Init() const { return Acc{}; }
  void Row(Acc& a, const char* p, int64_t n, int64_t stride, int64_t) const {
    if (n == 0) return;
    if constexpr (std::is_same_v<T, float>) {
      if (stride == int64_t{sizeof(float)}) {
        // Deviations from the float-rounded mean c, corrected exactly:
        // sum (x - mean)^2 = sum (x - c)^2 - n (mean - c)^2.
        const float* x = reinterpret_cast<const float*>(p);
        const double dn = static_cast<double>(n);
        const double mean = HWY_DYNAMIC_DISPATCH(SumRunF32)(x, n) / dn;
        const float c = static_cast<float>(mean);
        const double shift = mean - static_cast<double>(c);
        const double m2 =
            HWY_DYNAMIC_DISPATCH(SumSqDevRunF32)(x, n, c) - dn * shift * shift;
        a = Merge(a, Moments{dn, mean, std::max(m2, 0.0)});
        return;
      }
    }
    double s = 0;
    for (int64_t i = 0; i < n; ++i)
      s += static_cast<double>(At<T>(p + i * stride));
    const double mean = s / static_cast<double>(n);
    double m2 = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double d = static_cast<double>(At<T>(p + i * stride)) - mean;
      m2 += d * d;
    }
    a = Merge(a, Moments{static_cast<double>(n), mean, m2});
  }
  // Welford's update per column; the count is shared by all columns.
  void Columns(Acc* a, const char* p, int64_t w, int64_t m, int64_t row_stride,
               int64_t) const {
    for (int64_t i = 0; i < m; ++i) {
      const T* row = reinterpret_cast<const T*>(p + i * row_stride);
      for (int64_t j = 0; j < w; ++j) {
        Moments& acc = a[j];
        const double x = static_cast<double>(row[j]);
        acc.n += 1;
        const double delta = x - acc.mean;
        acc.mean += delta / acc.n;
        acc.m2 += delta * (x - acc.mean);
      }
    }
  }
  Acc Combine(const Acc& a, const Acc& b) const { return Merge(a, b); }
  void Write(char* out, char*, const Acc& a) const {
    const double divisor = std::max(0.0, a.n - correction);
    const double v = a.m2 / divisor;
    *reinterpret_cast<T*>(out) =
        T(static_cast<OpMath<T>>(kStd ? std::sqrt(v) : v));
  }
};

template <typename T>
void VarKernel(const ReducePlan& plan) {
  Reduce(plan, VarReducer<T, false>{plan.args[0]});
}
template <typename T>
void StdKernel(const ReducePlan& plan) {
  Reduce(plan, VarReducer<T, true>{plan.args[0]});
}

// --- logsumexp
// -----------------------------------------------------------------------------

// sum(exp(x - shift)) with the shift the largest finite maximum seen; NaN
// and +inf inputs are tracked as flags (they decide the result alone).
struct LseAcc {
  double shift = -std::numeric_limits<double>::infinity();
  double sum = 0;
  bool nan = false;
  bool pos_inf = false;
};

inline LseAcc MergeLse(LseAcc a, const LseAcc& b) {
  a.nan |= b.nan;
  a.pos_inf |= b.pos_inf;
  if (b.sum == 0) return a;
  if (a.sum == 0) {
    a.shift = b.shift;
    a.sum = b.sum;
    return a;
  }
  const double m = std::max(a.shift, b.shift);
  a.sum = a.sum * std::exp(a.shift - m) + b.sum * std::exp(b.shift - m);
  a.shift = m;
  return a;
}

template <typename T>
struct LogsumexpReducer {
  using In = T;
  using M = OpMath<T>;
  using Acc = LseAcc;
  static constexpr bool kHasColumns = false;

  Acc Init() const { return Acc{}; }
  void Row(Acc& a, const char* p, int64_t n, int64_t stride, int64_t) const {
    if (n == 0) return;
    const bool contiguous_f32 =
        std::is_same_v<T, float> && stride == int64_t{sizeof(float)};
    M m = -std::numeric_limits<M>::infinity();
    bool nan = false;
    if constexpr (std::is_same_v<T, float>) {
      if (contiguous_f32) {
        m = HWY_DYNAMIC_DISPATCH(MaxRunF32)(reinterpret_cast<const float*>(p),
                                            n);
        nan = std::isnan(m);
      }
    }
    if (!contiguous_f32) {
      for (int64_t i = 0; i < n; ++i) {
        const M v = M(At<T>(p + i * stride));
        nan |= std::isnan(v);
        m = v > m ? v : m;
      }
    }
    Acc run;
    if (nan) {
      run.nan = true;
    } else if (m == std::numeric_limits<M>::infinity()) {
      run.pos_inf = true;
    } else if (m != -std::numeric_limits<M>::infinity()) {
      run.shift = m;
      if constexpr (std::is_same_v<T, float>) {
        if (contiguous_f32) {
          run.sum = HWY_DYNAMIC_DISPATCH(SumExpRunF32)(
              reinterpret_cast<const float*>(p), n, m);
        }
      }
      if (!contiguous_f32) {
        M s = 0;
        for (int64_t i = 0; i < n; ++i)
          s += std::exp(M(At<T>(p + i * stride)) - m);
        run.sum = s;
      }
    }
    a = MergeLse(a, run);
  }
  void Columns(Acc*, const char*, int64_t, int64_t, int64_t, int64_t) const {}
  Acc Combine(const Acc& a, const Acc& b) const { return MergeLse(a, b); }
  void Write(char* out, char*, const Acc& a) const {
    double r;
    if (a.nan) {
      r = std::numeric_limits<double>::quiet_NaN();
    } else if (a.pos_inf) {
      r = std::numeric_limits<double>::infinity();
    } else if (a.sum == 0) {
      r = -std::numeric_limits<double>::infinity();
    } else {
      r = a.shift + std::log(a.sum);
    }
    *reinterpret_cast<T*>(out) = T(static_cast<M>(r));
  }
};

template <typename T>
void LogsumexpKernel(const ReducePlan& plan) {
  Reduce(plan, LogsumexpReducer<T>{});
}

// --- norm
// -----------------------------------------------------------------------------

enum class NormKind { kL1, kL2, kLInf, kLNegInf, kL0, kLp };

template <typename T>
struct NormReducer {
  using In = T;
  using Acc = double;
  static constexpr bool kHasColumns = false;
  NormKind kind;
  double p;

  Acc Init() const {
    if (kind == NormKind::kLNegInf)
      return std::numeric_limits<double>::infinity();
    return 0;
  }
  template <typename F>
  static void Each(const char* p, int64_t n, int64_t stride, F f) {
    for (int64_t i = 0; i < n; ++i) {
      f(std::fabs(static_cast<double>(OpMath<T>(At<T>(p + i * stride)))));
    }
  }
  void Row(Acc& a, const char* ptr, int64_t n, int64_t stride, int64_t) const {
    if constexpr (std::is_same_v<T, float>) {
      const bool fast = kind == NormKind::kL1 || kind == NormKind::kL2;
      if (fast && stride == int64_t{sizeof(float)}) {
        const float* x = reinterpret_cast<const float*>(ptr);
        a += kind == NormKind::kL1
                 ? HWY_DYNAMIC_DISPATCH(SumAbsRunF32)(x, n)
                 : HWY_DYNAMIC_DISPATCH(SumSqDevRunF32)(x, n, 0.0f);
        return;
      }
    }
    Acc s = Init();
    switch (kind) {
      case NormKind::kL1:
        Each(ptr, n, stride, [&](double v) { s += v; });
        break;
      case NormKind::kL2:
        Each(ptr, n, stride, [&](double v) { s += v * v; });
        break;
      case NormKind::kL0:
        Each(ptr, n, stride, [&](double v) { s += v != 0 ? 1 : 0; });
        break;
      case NormKind::kLp:
        Each(ptr, n, stride, [&](double v) { s += std::pow(v, p); });
        break;
      case NormKind::kLInf:
        Each(ptr, n, stride, [&](double v) { s = Better<true>(v, s) ? v : s; });
        break;
      case NormKind::kLNegInf:
        Each(ptr, n, stride,
             [&](double v) { s = Better<false>(v, s) ? v : s; });
        break;
    }
    a = Combine(a, s);
  }
  void Columns(Acc*, const char*, int64_t, int64_t, int64_t, int64_t) const {}
  Acc Combine(Acc a, Acc b) const {
    if (kind == NormKind::kLInf) return Better<true>(b, a) ? b : a;
    if (kind == NormKind::kLNegInf) return Better<false>(b, a) ? b : a;
    return a + b;
  }
  void Write(char* out, char*, Acc a) const {
    double r = a;
    if (kind == NormKind::kL2) r = std::sqrt(a);
    if (kind == NormKind::kLp) r = std::pow(a, 1.0 / p);
    // Like torch.norm, the +-inf norms of nothing are 0.
    if (kind == NormKind::kLNegInf && std::isinf(a)) r = 0;
    *reinterpret_cast<T*>(out) = T(static_cast<OpMath<T>>(r));
  }
};

template <typename T>
void NormKernel(const ReducePlan& plan) {
  const double p = plan.args[0];
  NormKind kind = NormKind::kLp;
  if (p == 1) kind = NormKind::kL1;
  if (p == 2) kind = NormKind::kL2;
  if (p == 0) kind = NormKind::kL0;
  if (std::isinf(p)) kind = p > 0 ? NormKind::kLInf : NormKind::kLNegInf;
  Reduce(plan, NormReducer<T>{kind, p});
}

// --- all / any
// -----------------------------------------------------------------------------

template <typename T, bool kAll>
struct LogicalReducer {
  using In = T;
  using Acc = bool;
  static constexpr bool kHasColumns = true;

  static bool NonZero(T v) { return OpMath<T>(v) != OpMath<T>(0); }
  Acc Init() const { return kAll; }
  void Row(Acc& a, const char* p, int64_t n, int64_t stride, int64_t) const {
    if (a != kAll) return;  // already decided
    for (int64_t i = 0; i < n; ++i) {
      if (NonZero(At<T>(p + i * stride)) != kAll) {
        a = !kAll;
        return;
      }
    }
  }
  void Columns(Acc* a, const char* p, int64_t w, int64_t m, int64_t row_stride,
               int64_t) const {
    for (int64_t i = 0; i < m; ++i) {
      const T* row = reinterpret_cast<const T*>(p + i * row_stride);
      for (int64_t j = 0; j < w; ++j) {
        a[j] = kAll ? (a[j] && NonZero(row[j])) : (a[j] || NonZero(row[j]));
      }
    }
  }
  Acc Combine(Acc a, Acc b) const { return kAll ? a && b : a || b; }
  // bool and uint8 results are both one byte holding 0 or 1.
  void Write(char* out, char*, Acc a) const {
    *reinterpret_cast<uint8_t*>(out) = a ? 1 : 0;
  }
};

template <typename T>
void AllKernel(const ReducePlan& plan) {
  Reduce(plan, LogicalReducer<T, true>{});
}
template <typename T>
void AnyKernel(const ReducePlan& plan) {
  Reduce(plan, LogicalReducer<T, false>{});
}

// --- cumsum
// -----------------------------------------------------------------------------

// y[i] = x[0] + ... + x[i] in Acc. Four elements at a time: their local
// prefix sums do not depend on the running total, so only one addition per
// four elements sits on the loop-carried chain. (In float64 the regrouping
// changes float32 results only in rare last-bit ties.)
template <typename T, typename Acc, typename Out>
void ContiguousScan(const T* x, Out* y, int64_t n) {
  auto in = [&](int64_t i) { return static_cast<Acc>(OpMath<T>(x[i])); };
  auto out = [](Acc v) { return Out(static_cast<OpMath<Out>>(v)); };
  Acc carry = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const Acc a0 = in(i);
    const Acc a1 = a0 + in(i + 1);
    const Acc a2 = a1 + in(i + 2);
    const Acc a3 = a2 + in(i + 3);
    y[i] = out(carry + a0);
    y[i + 1] = out(carry + a1);
    y[i + 2] = out(carry + a2);
    y[i + 3] = out(carry + a3);
    carry += a3;
  }
  for (; i < n; ++i) {
    carry += in(i);
    y[i] = out(carry);
  }
}

// Accumulates in float64 for float32/float64 (as PyTorch's CPU cumsum does),
// float32 for 16-bit floats, int64 for integral and bool.
template <typename T>
void CumsumKernel(const ScanPlan& plan) {
  using Acc = SumAcc<T>;
  using Out = SumOut<T>;
  const int64_t n = plan.scan_size;
  const bool columns =
      plan.outer_sizes[0] >= 8 &&
      plan.outer_in_strides[0] == static_cast<int64_t>(sizeof(T)) &&
      plan.outer_out_strides[0] == static_cast<int64_t>(sizeof(Out)) &&
      plan.scan_in_stride != static_cast<int64_t>(sizeof(T));
  const int64_t* strides[2] = {plan.outer_in_strides, plan.outer_out_strides};
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(n, 1));
  ParallelFor(0, plan.num_lines, grain, [&](int64_t lo, int64_t hi) {
    WalkRuns<2>(
        plan.outer_ndim, plan.outer_sizes, strides, lo, hi,
        [&](const int64_t* off, int64_t, int64_t lines) {
          const char* in = plan.in + off[0];
          char* out = plan.out + off[1];
          if (columns) {
            Acc acc[kColumnBlock];
            for (int64_t b = 0; b < lines; b += kColumnBlock) {
              const int64_t w = std::min(kColumnBlock, lines - b);
              std::fill(acc, acc + w, Acc(0));
              for (int64_t i = 0; i < n; ++i) {
                const T* x =
                    reinterpret_cast<const T*>(in + i * plan.scan_in_stride) +
                    b;
                Out* y =
                    reinterpret_cast<Out*>(out + i * plan.scan_out_stride) + b;
                for (int64_t j = 0; j < w; ++j) {
                  acc[j] += static_cast<Acc>(OpMath<T>(x[j]));
                  y[j] = Out(static_cast<OpMath<Out>>(acc[j]));
                }
              }
            }
            return;
          }
          for (int64_t l = 0; l < lines; ++l) {
            const char* x = in + l * plan.outer_in_strides[0];
            char* y = out + l * plan.outer_out_strides[0];
            if (plan.scan_in_stride == static_cast<int64_t>(sizeof(T)) &&
                plan.scan_out_stride == static_cast<int64_t>(sizeof(Out))) {
              ContiguousScan<T, Acc, Out>(reinterpret_cast<const T*>(x),
                                          reinterpret_cast<Out*>(y), n);
              continue;
            }
            Acc acc = 0;
            for (int64_t i = 0; i < n; ++i) {
              acc += static_cast<Acc>(
                  OpMath<T>(At<T>(x + i * plan.scan_in_stride)));
              *reinterpret_cast<Out*>(y + i * plan.scan_out_stride) =
                  Out(static_cast<OpMath<Out>>(acc));
            }
          }
        });
  });
}

// --- Registration
// -----------------------------------------------------------------------------

template <typename Kernel, typename Pick>
void RegisterEach(const char* op, const std::vector<DType>& dtypes, Pick pick) {
  for (DType dtype : dtypes) {
    VisitDType(dtype, [&]<typename T>() {
      KernelRegistrar(op, DeviceType::kCpu, {dtype},
                      static_cast<Kernel*>(pick.template operator()<T>()));
    });
  }
}

[[maybe_unused]] const bool kRegistered = [] {
  const std::vector<DType> all = AllDTypes(), floating = FloatingDTypes();
  RegisterEach<ReduceKernel>("sum", all,
                             []<typename T>() { return &SumKernel<T>; });
  RegisterEach<ReduceKernel>("mean", floating,
                             []<typename T>() { return &MeanKernel<T>; });
  RegisterEach<ReduceKernel>("prod", all,
                             []<typename T>() { return &ProdKernel<T>; });
  RegisterEach<ReduceKernel>("amax", all,
                             []<typename T>() { return &AmaxKernel<T>; });
  RegisterEach<ReduceKernel>("amin", all,
                             []<typename T>() { return &AminKernel<T>; });
  RegisterEach<ReduceKernel>("argmax", all,
                             []<typename T>() { return &ArgmaxKernel<T>; });
  RegisterEach<ReduceKernel>("argmin", all,
                             []<typename T>() { return &ArgminKernel<T>; });
  RegisterEach<ReduceKernel>("var", floating,
                             []<typename T>() { return &VarKernel<T>; });
  RegisterEach<ReduceKernel>("std", floating,
                             []<typename T>() { return &StdKernel<T>; });
  RegisterEach<ReduceKernel>("logsumexp", floating,
                             []<typename T>() { return &LogsumexpKernel<T>; });
  RegisterEach<ReduceKernel>("norm", floating,
                             []<typename T>() { return &NormKernel<T>; });
  RegisterEach<ReduceKernel>("all", all,
                             []<typename T>() { return &AllKernel<T>; });
  RegisterEach<ReduceKernel>("any", all,
                             []<typename T>() { return &AnyKernel<T>; });
  RegisterEach<ScanKernel>("cumsum", all,
                           []<typename T>() { return &CumsumKernel<T>; });
  return true;
}();

}  // namespace
}  // namespace tch::cpu
#endif  // HWY_ONCE
