// CPU kernels of the index family (torch/core/index_ops.h): gather and
// index_select, scatter/scatter_add/index_add, masked_fill, masked_select,
// one_hot, cat, repeat, tril/triu, flip, constant pad, topk and sort.
// Registered into core's dispatch table at load time (alwayslink).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "torch/core/dispatch.h"
#include "torch/core/elementwise.h"
#include "torch/core/index_ops.h"
#include "torch/core/parallel.h"
#include "torch/kernels/cpu/loops.h"

namespace tch::cpu {
namespace {

// Rows of this many elements (or more) are worth a thread of their own.
constexpr int64_t kGrain = kElementwiseGrainSize;

int64_t RowGrain(int64_t row_len) {
  return std::max<int64_t>(1, kGrain / std::max<int64_t>(row_len, 1));
}

// See Note [Index checking] in index_ops.h.
[[noreturn]] void ThrowIndex(const char* op, int64_t v, int64_t dim,
                             int64_t size) {
  throw IndexError(tch::detail::StrCat(op, "(): index ", v,
                                       " is out of bounds for dimension ", dim,
                                       " with size ", size));
}

template <typename I>
inline int64_t CheckedIndex(I raw, int64_t size, const char* op, int64_t dim) {
  const int64_t v = static_cast<int64_t>(raw);
  if (static_cast<uint64_t>(v) >= static_cast<uint64_t>(size)) [[unlikely]] {
    ThrowIndex(op, v, dim, size);
  }
  return v;
}

// Calls fn.template operator()<I>() with I the C++ type of an index dtype.
template <typename Fn>
void VisitIndexType(DType dtype, Fn&& fn) {
  if (dtype == DType::kInt32) {
    fn.template operator()<int32_t>();
  } else {
    TCH_INTERNAL_ASSERT(dtype == DType::kInt64, "bad index dtype ", dtype);
    fn.template operator()<int64_t>();
  }
}

template <typename T>
inline T Load(const char* p) {
  return *reinterpret_cast<const T*>(p);
}
template <typename T>
inline void Store(char* p, T v) {
  *reinterpret_cast<T*>(p) = v;
}

// --- gather / index_select ---------------------------------------------------

template <typename T>
void GatherKernel(const GatherPlan& p) {
  constexpr int64_t kSize = sizeof(T);
  VisitIndexType(p.iter.dtypes[2], [&]<typename I>() {
    ParallelRuns(p.iter, [&](char* const* ptrs, const int64_t* s, int64_t n) {
      char* out = ptrs[0];
      const char* self = ptrs[1];
      const char* idx = ptrs[2];
      if (s[2] == 0) {  // one index for the whole run: a row copy
        const int64_t v = CheckedIndex(Load<I>(idx), p.dim_size, p.op, p.dim);
        const char* src = self + v * p.self_dim_stride;
        if (s[0] == kSize && s[1] == kSize) {
          std::memcpy(out, src, n * kSize);
        } else {
          for (int64_t i = 0; i < n; ++i) {
            Store<T>(out + i * s[0], Load<T>(src + i * s[1]));
          }
        }
        return;
      }
      if (s[0] == kSize && s[1] == 0 && s[2] == sizeof(I)) {
        // Gather along the run (dim is innermost): typed pointers.
        T* o = reinterpret_cast<T*>(out);
        const I* ix = reinterpret_cast<const I*>(idx);
        for (int64_t i = 0; i < n; ++i) {
          const int64_t v = CheckedIndex(ix[i], p.dim_size, p.op, p.dim);
          o[i] = Load<T>(self + v * p.self_dim_stride);
        }
        return;
      }
      for (int64_t i = 0; i < n; ++i) {
        const int64_t v =
            CheckedIndex(Load<I>(idx + i * s[2]), p.dim_size, p.op, p.dim);
        Store<T>(out + i * s[0],
                 Load<T>(self + i * s[1] + v * p.self_dim_stride));
      }
    });
  });
}

// --- scatter / scatter_add / index_add ---------------------------------------

// Applies `update(dst, src)` for every (position, step along dim) of the
// run, keeping the steps of one position in order (Note [Deterministic
// scatter]). In ownership mode (kOwned) only targets in [lo, hi) along dim
// are updated; every index is still checked.
template <bool kOwned, typename I, typename Update>
void ScatterRun(const ScatterPlan& p, char* const* ptrs, const int64_t* s,
                int64_t n, int64_t lo, int64_t hi, Update& update) {
  const int64_t ds1 = p.dim_strides[1], ds2 = p.dim_strides[2];
  const int64_t sds = p.self_dim_stride;
  auto owned = [lo, hi](int64_t v) { return !kOwned || (v >= lo && v < hi); };
  if (s[1] == 0 && n > 1) {
    // One index per step for the whole run (index_add): update rows.
    for (int64_t j = 0; j < p.dim_len; ++j) {
      const int64_t v =
          CheckedIndex(Load<I>(ptrs[1] + j * ds1), p.dim_size, p.op, p.dim);
      if (!owned(v)) continue;
      char* dst = ptrs[0] + v * sds;
      const char* src = ptrs[2] + j * ds2;
      for (int64_t k = 0; k < n; ++k) update(dst + k * s[0], src + k * s[2]);
    }
    return;
  }
  // Walk whichever of (positions, steps) is closer in memory innermost.
  if (std::abs(ds1) <= std::abs(s[1]) || n == 1) {
    for (int64_t k = 0; k < n; ++k) {
      char* self = ptrs[0] + k * s[0];
      const char* idx = ptrs[1] + k * s[1];
      const char* src = ptrs[2] + k * s[2];
      for (int64_t j = 0; j < p.dim_len; ++j, idx += ds1, src += ds2) {
        const int64_t v = CheckedIndex(Load<I>(idx), p.dim_size, p.op, p.dim);
        if (owned(v)) update(self + v * sds, src);
      }
    }
  } else {
    for (int64_t j = 0; j < p.dim_len; ++j) {
      char* self = ptrs[0];
      const char* idx = ptrs[1] + j * ds1;
      const char* src = ptrs[2] + j * ds2;
      for (int64_t k = 0; k < n; ++k, self += s[0], idx += s[1], src += s[2]) {
        const int64_t v = CheckedIndex(Load<I>(idx), p.dim_size, p.op, p.dim);
        if (owned(v)) update(self + v * sds, src);
      }
    }
  }
}

template <typename I, typename Update>
void ScatterLoop(const ScatterPlan& p, Update update) {
  const int64_t positions = p.iter.numel;
  const int threads = GetNumThreads();
  // Ownership pays only when few positions (< threads) meet a long index and
  // an output too large for cache, where random updates dominate the cost
  // of every thread scanning the whole index.
  constexpr int64_t kOwnershipMinOutput = int64_t{1} << 18;
  if (positions < threads && positions * p.dim_len >= kGrain &&
      positions * p.dim_size >= kOwnershipMinOutput && !InParallelRegion()) {
    ParallelFor(0, p.dim_size, 1, [&](int64_t lo, int64_t hi) {
      ForEachRun(p.iter, 0, positions,
                 [&](char* const* ptrs, const int64_t* s, int64_t n) {
                   ScatterRun<true, I>(p, ptrs, s, n, lo, hi, update);
                 });
    });
    return;
  }
  ParallelFor(0, positions, RowGrain(p.dim_len), [&](int64_t b, int64_t e) {
    ForEachRun(p.iter, b, e,
               [&](char* const* ptrs, const int64_t* s, int64_t n) {
                 ScatterRun<false, I>(p, ptrs, s, n, 0, 0, update);
               });
  });
}

template <typename T>
void ScatterKernel(const ScatterPlan& p) {
  using M = OpMath<T>;
  VisitIndexType(p.iter.dtypes[1], [&]<typename I>() {
    if (p.mode == ScatterMode::kAssign) {
      if (p.has_src) {
        ScatterLoop<I>(
            p, [](char* dst, const char* src) { Store<T>(dst, Load<T>(src)); });
      } else {
        const T value = p.value.to<T>();
        ScatterLoop<I>(
            p, [value](char* dst, const char*) { Store<T>(dst, value); });
      }
      return;
    }
    if constexpr (std::is_same_v<T, bool>) {
      const bool alpha = p.alpha.to<bool>();
      ScatterLoop<I>(p, [alpha](char* dst, const char* src) {
        Store<bool>(dst, Load<bool>(dst) || (alpha && Load<bool>(src)));
      });
    } else {
      const M alpha = p.alpha.to<M>();
      if (alpha == M(1)) {
        ScatterLoop<I>(p, [](char* dst, const char* src) {
          Store<T>(dst, T(static_cast<M>(M(Load<T>(dst)) + M(Load<T>(src)))));
        });
      } else {
        ScatterLoop<I>(p, [alpha](char* dst, const char* src) {
          Store<T>(dst, T(static_cast<M>(M(Load<T>(dst)) +
                                         alpha * M(Load<T>(src)))));
        });
      }
    }
  });
}

// --- masked_fill / masked_select ---------------------------------------------

template <typename T>
void MaskedFillKernel(const ElementwisePlan& plan) {
  const T value = plan.args[0].to<T>();
  constexpr int64_t kSize = sizeof(T);
  const bool in_place = plan.num_operands == 2;
  ParallelRuns(plan, [&](char* const* ptrs, const int64_t* s, int64_t n) {
    // Operands: out, source (out itself when in place), mask.
    char* out = ptrs[0];
    const char* src = in_place ? ptrs[0] : ptrs[1];
    const char* mask = in_place ? ptrs[1] : ptrs[2];
    const int64_t ss = in_place ? s[0] : s[1], ms = in_place ? s[1] : s[2];
    if (s[0] == kSize && ss == kSize && ms == 1) {
      T* o = reinterpret_cast<T*>(out);
      const T* x = reinterpret_cast<const T*>(src);
      const uint8_t* m = reinterpret_cast<const uint8_t*>(mask);
      for (int64_t i = 0; i < n; ++i) o[i] = m[i] ? value : x[i];
    } else if (s[0] == kSize && ss == kSize && ms == 0) {
      T* o = reinterpret_cast<T*>(out);
      const T* x = reinterpret_cast<const T*>(src);
      if (*reinterpret_cast<const uint8_t*>(mask)) {
        std::fill(o, o + n, value);
      } else if (!in_place) {
        std::memcpy(o, x, n * kSize);
      }
    } else {
      for (int64_t i = 0; i < n; ++i) {
        const bool m = Load<uint8_t>(mask + i * ms) != 0;
        Store<T>(out + i * s[0], m ? value : Load<T>(src + i * ss));
      }
    }
  });
}

template <typename T>
void MaskedSelectKernel(const ElementwisePlan& iter, int64_t chunk_size,
                        int64_t num_chunks, int64_t* counts, void* out) {
  ParallelFor(0, num_chunks, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      const int64_t begin = c * chunk_size;
      const int64_t end = std::min(iter.numel, begin + chunk_size);
      if (out == nullptr) {
        int64_t count = 0;
        ForEachRun(iter, begin, end,
                   [&](char* const* ptrs, const int64_t* s, int64_t n) {
                     for (int64_t i = 0; i < n; ++i) {
                       count += Load<uint8_t>(ptrs[1] + i * s[1]) != 0;
                     }
                   });
        counts[c] = count;
      } else {
        T* dst = static_cast<T*>(out) + counts[c];
        ForEachRun(iter, begin, end,
                   [&](char* const* ptrs, const int64_t* s, int64_t n) {
                     for (int64_t i = 0; i < n; ++i) {
                       if (Load<uint8_t>(ptrs[1] + i * s[1])) {
                         *dst++ = Load<T>(ptrs[0] + i * s[0]);
                       }
                     }
                   });
      }
    }
  });
}

// --- one_hot -----------------------------------------------------------------

void OneHotKernel(const int64_t* in, int64_t n, int64_t num_classes,
                  int64_t* out, int64_t* min_max) {
  if (out == nullptr) {
    int64_t lo = in[0], hi = in[0];
    for (int64_t i = 1; i < n; ++i) {
      lo = std::min(lo, in[i]);
      hi = std::max(hi, in[i]);
    }
    min_max[0] = lo;
    min_max[1] = hi;
    return;
  }
  ParallelFor(0, n, RowGrain(num_classes), [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {  // each row while it is in cache
      int64_t* row = out + i * num_classes;
      std::memset(row, 0, num_classes * sizeof(int64_t));
      // Core checked 0 <= in[i] < num_classes; stay in bounds regardless.
      const int64_t c = in[i];
      if (c >= 0 && c < num_classes) row[c] = 1;
    }
  });
}

// --- cat ---------------------------------------------------------------------

void CatKernel(const CatPlan& p) {
  const int64_t row = p.out_row_bytes;
  const auto& off = p.col_offset;
  const int64_t inputs = static_cast<int64_t>(p.data.size());
  ParallelFor(0, p.outer * row, 4 * kGrain, [&](int64_t lo, int64_t hi) {
    int64_t o = lo / row, col = lo % row;
    while (lo < hi) {
      const int64_t end_col = std::min(row, col + (hi - lo));
      // First input whose columns end after `col`.
      int64_t i = std::upper_bound(off.begin(), off.end(), col) - off.begin();
      i = std::max<int64_t>(i - 1, 0);
      for (; i < inputs && off[i] < end_col; ++i) {
        const int64_t a = std::max(col, off[i]);
        const int64_t b = std::min(end_col, off[i] + p.row_bytes[i]);
        if (a < b) {
          std::memcpy(p.out + o * row + a,
                      p.data[i] + o * p.row_bytes[i] + (a - off[i]), b - a);
        }
      }
      lo += end_col - col;
      col = 0;
      ++o;
    }
  });
}

// --- row kernels: repeat, tril/triu, flip, pad -------------------------------

// Walks the rows (all dims but the last) of a row plan's output.
struct RowCursor {
  int nd = 0;
  const int64_t* sizes = nullptr;
  int64_t coord[kMaxIndexDims] = {};

  RowCursor(const RowCopyPlan& p, int64_t row)
      : nd(p.ndim - 1), sizes(p.out_sizes) {
    for (int d = nd - 1; d >= 0; --d) {
      coord[d] = row % sizes[d];
      row /= sizes[d];
    }
  }
  void Next() {
    for (int d = nd - 1; d >= 0; --d) {
      if (++coord[d] < sizes[d]) return;
      coord[d] = 0;
    }
  }
};

// Runs fn(row, cursor) over the output rows of a plan, in parallel.
template <typename Fn>
void ForEachOutRow(const RowCopyPlan& p, Fn&& fn) {
  const int64_t last = p.out_sizes[p.ndim - 1];
  int64_t rows = 1;
  for (int d = 0; d < p.ndim - 1; ++d) rows *= p.out_sizes[d];
  ParallelFor(0, rows, RowGrain(last), [&](int64_t lo, int64_t hi) {
    RowCursor cursor(p, lo);
    for (int64_t r = lo; r < hi; ++r, cursor.Next()) fn(r, cursor);
  });
}

// Contiguous element strides of the input's dims.
void InStrides(const RowCopyPlan& p, int64_t* strides) {
  int64_t s = 1;
  for (int d = p.ndim - 1; d >= 0; --d) {
    strides[d] = s;
    s *= p.in_sizes[d];
  }
}

void RepeatKernel(const RowCopyPlan& p) {
  int64_t in_strides[kMaxIndexDims];
  InStrides(p, in_strides);
  const int64_t es = p.element_size;
  const int64_t in_bytes = p.in_sizes[p.ndim - 1] * es;
  const int64_t out_bytes = p.out_sizes[p.ndim - 1] * es;
  ForEachOutRow(p, [&](int64_t r, const RowCursor& c) {
    int64_t src = 0;
    for (int d = 0; d < c.nd; ++d)
      src += (c.coord[d] % p.in_sizes[d]) * in_strides[d];
    char* dst = p.out + r * out_bytes;
    std::memcpy(dst, p.in + src * es, in_bytes);
    for (int64_t filled = in_bytes; filled < out_bytes;) {
      const int64_t n = std::min(filled, out_bytes - filled);
      std::memcpy(dst + filled, dst, n);
      filled += n;
    }
  });
}

void TriKernel(const RowCopyPlan& p) {
  const int64_t es = p.element_size;
  const int64_t rows = p.out_sizes[p.ndim - 2], cols = p.out_sizes[p.ndim - 1];
  const int64_t diag = std::clamp(p.diagonal, -rows - cols, rows + cols);
  ForEachOutRow(p, [&](int64_t r, const RowCursor& c) {
    const int64_t i = c.coord[c.nd - 1];
    char* dst = p.out + r * cols * es;
    const char* src = p.in + r * cols * es;
    if (p.upper) {  // keep columns j >= i + diag
      const int64_t start = std::clamp<int64_t>(i + diag, 0, cols);
      std::memset(dst, 0, start * es);
      std::memcpy(dst + start * es, src + start * es, (cols - start) * es);
    } else {  // keep columns j <= i + diag
      const int64_t keep = std::clamp<int64_t>(i + diag + 1, 0, cols);
      std::memcpy(dst, src, keep * es);
      std::memset(dst + keep * es, 0, (cols - keep) * es);
    }
  });
}

template <typename T>
void FlipKernel(const RowCopyPlan& p) {
  int64_t in_strides[kMaxIndexDims];
  InStrides(p, in_strides);
  const int64_t last = p.out_sizes[p.ndim - 1];
  const bool flip_last = p.flip[p.ndim - 1];
  const T* in = reinterpret_cast<const T*>(p.in);
  T* out = reinterpret_cast<T*>(p.out);
  ForEachOutRow(p, [&](int64_t r, const RowCursor& c) {
    int64_t src = 0;
    for (int d = 0; d < c.nd; ++d) {
      const int64_t x = p.flip[d] ? p.in_sizes[d] - 1 - c.coord[d] : c.coord[d];
      src += x * in_strides[d];
    }
    T* dst = out + r * last;
    const T* from = in + src;
    if (flip_last) {
      for (int64_t j = 0; j < last; ++j) dst[j] = from[last - 1 - j];
    } else {
      std::memcpy(dst, from, last * sizeof(T));
    }
  });
}

template <typename T>
void PadKernel(const RowCopyPlan& p) {
  int64_t in_strides[kMaxIndexDims];
  InStrides(p, in_strides);
  const T value = p.value.to<T>();
  const int last = p.ndim - 1;
  const int64_t out_len = p.out_sizes[last], in_len = p.in_sizes[last];
  const int64_t before = p.pad_before[last];
  // Output columns [lo, hi) come from input column j - before.
  const int64_t lo = std::clamp<int64_t>(before, 0, out_len);
  const int64_t hi = std::clamp<int64_t>(before + in_len, lo, out_len);
  const T* in = reinterpret_cast<const T*>(p.in);
  T* out = reinterpret_cast<T*>(p.out);
  ForEachOutRow(p, [&](int64_t r, const RowCursor& c) {
    T* dst = out + r * out_len;
    int64_t src = 0;
    bool inside = lo < hi;
    for (int d = 0; d < c.nd && inside; ++d) {
      const int64_t x = c.coord[d] - p.pad_before[d];
      inside = x >= 0 && x < p.in_sizes[d];
      src += x * in_strides[d];
    }
    if (!inside) {
      std::fill(dst, dst + out_len, value);
      return;
    }
    std::fill(dst, dst + lo, value);
    std::memcpy(dst + lo, in + src + (lo - before), (hi - lo) * sizeof(T));
    std::fill(dst + hi, dst + out_len, value);
  });
}

// --- sort / topk -------------------------------------------------------------

template <typename M>
inline bool IsNan(M v) {
  if constexpr (std::is_floating_point_v<M>) {
    return std::isnan(v);
  } else {
    return false;
  }
}

// Calls fn(in, values, indices, scratch) with each row's base pointers and
// a Scratch object owned by the chunk (reused across its rows), in parallel.
template <typename T, typename Scratch, typename Fn>
void ForEachSortRow(const SortPlan& p, int64_t row_cost, Fn&& fn) {
  int64_t rows = 1;
  for (int d = 0; d < p.ndim; ++d) rows *= p.sizes[d];
  ParallelFor(0, rows, RowGrain(row_cost), [&](int64_t lo, int64_t hi) {
    Scratch scratch;
    int64_t coord[kMaxIndexDims];
    int64_t rest = lo;
    for (int d = p.ndim - 1; d >= 0; --d) {
      coord[d] = rest % p.sizes[d];
      rest /= p.sizes[d];
    }
    for (int64_t r = lo; r < hi; ++r) {
      int64_t off[3] = {0, 0, 0};
      for (int op = 0; op < 3; ++op) {
        for (int d = 0; d < p.ndim; ++d) off[op] += coord[d] * p.strides[op][d];
      }
      fn(reinterpret_cast<const T*>(p.data[0]) + off[0],
         reinterpret_cast<T*>(p.data[1]) + off[1],
         reinterpret_cast<int64_t*>(p.data[2]) + off[2], scratch);
      for (int d = p.ndim - 1; d >= 0; --d) {
        if (++coord[d] < p.sizes[d]) break;
        coord[d] = 0;
      }
    }
  });
}

// Order-preserving unsigned keys: a < b (with NaN above everything and
// -0.0 == +0.0, as PyTorch compares) iff Key(a) < Key(b).
template <typename T>
auto SortKey(T v) {
  if constexpr (std::is_same_v<T, double>) {
    if (std::isnan(v)) return ~uint64_t{0};
    uint64_t b;
    const double canon = v == 0 ? 0.0 : v;
    std::memcpy(&b, &canon, sizeof(b));
    return b ^ ((b >> 63) ? ~uint64_t{0} : uint64_t{1} << 63);
  } else if constexpr (std::is_floating_point_v<OpMath<T>>) {
    const float f = static_cast<float>(v);
    if (std::isnan(f)) return ~uint32_t{0};
    uint32_t b;
    const float canon = f == 0 ? 0.0f : f;
    std::memcpy(&b, &canon, sizeof(b));
    return b ^ ((b >> 31) ? ~uint32_t{0} : uint32_t{1} << 31);
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return static_cast<uint64_t>(v) ^ (uint64_t{1} << 63);
  } else if constexpr (std::is_same_v<T, int32_t>) {
    return static_cast<uint32_t>(v) ^ (uint32_t{1} << 31);
  } else {
    return static_cast<uint32_t>(v);  // uint8, bool
  }
}

// Stable LSD radix sort of packed (key << 32 | position) values by their
// upper 32 bits; skips bytes on which all keys agree.
void RadixSortHigh32(std::vector<uint64_t>& a, std::vector<uint64_t>& tmp) {
  const size_t n = a.size();
  tmp.resize(n);
  for (int shift = 32; shift < 64; shift += 8) {
    size_t count[256] = {};
    for (uint64_t x : a) ++count[(x >> shift) & 0xFF];
    if (count[(a[0] >> shift) & 0xFF] == n) continue;
    size_t sum = 0;
    for (size_t& c : count) {
      const size_t t = c;
      c = sum;
      sum += t;
    }
    for (uint64_t x : a) tmp[count[(x >> shift) & 0xFF]++] = x;
    a.swap(tmp);
  }
}

struct SortScratch {
  std::vector<uint64_t> packed, tmp;
  std::vector<std::pair<uint64_t, int64_t>> pairs;
};

// Stable sort of one row through integer keys (descending = complemented
// keys); positions break ties, which is exactly the stable order.
template <typename T>
void SortRow(const SortPlan& p, const T* in, T* values, int64_t* indices,
             SortScratch& scratch) {
  const int64_t n = p.in_len, is = p.dim_strides[0];
  using K = decltype(SortKey(T()));
  auto write = [&](int64_t j, int64_t from) {
    if (p.write_values) values[j * p.dim_strides[1]] = in[from * is];
    indices[j * p.dim_strides[2]] = from;
  };
  if constexpr (sizeof(K) == 4) {
    if (n < (int64_t{1} << 32)) {  // (key << 32 | position) in one word
      std::vector<uint64_t>& buf = scratch.packed;
      buf.resize(n);
      for (int64_t j = 0; j < n; ++j) {
        const K key = SortKey(in[j * is]);
        buf[j] = (uint64_t{p.descending ? K(~key) : key} << 32) |
                 static_cast<uint64_t>(j);
      }
      if (n >= 256) {
        RadixSortHigh32(buf, scratch.tmp);
      } else {
        std::sort(buf.begin(), buf.end());
      }
      for (int64_t j = 0; j < n; ++j) {
        write(j, static_cast<int64_t>(buf[j] & 0xFFFFFFFFu));
      }
      return;
    }
  }
  auto& pairs = scratch.pairs;
  pairs.resize(n);
  for (int64_t j = 0; j < n; ++j) {
    const uint64_t key = SortKey(in[j * is]);
    pairs[j] = {p.descending ? ~key : key, j};
  }
  std::sort(pairs.begin(), pairs.end());
  for (int64_t j = 0; j < n; ++j) write(j, pairs[j].second);
}

template <typename T>
void SortKernel(const SortPlan& p) {
  ForEachSortRow<T, SortScratch>(
      p, p.in_len * 8,
      [&](const T* in, T* values, int64_t* indices, SortScratch& scratch) {
        SortRow(p, in, values, indices, scratch);
      });
}

// Mirrors PyTorch 1.13's topk_impl_loop (aten/src/ATen/native/cpu/
// SortingKernel.cpp) step for step, so ties and NaNs come out in the same
// order: partial_sort when k is small against the row, else nth_element
// followed (if sorted) by a sort of the first k - 1 elements.
template <typename T>
void TopkKernel(const SortPlan& p) {
  using M = OpMath<T>;
  using Elem = std::pair<M, int64_t>;
  const int64_t n = p.in_len, k = p.out_len;
  const bool largest = p.descending;
  auto greater = [](const Elem& x, const Elem& y) {
    return (IsNan(x.first) && !IsNan(y.first)) || x.first > y.first;
  };
  auto less = [](const Elem& x, const Elem& y) {
    return (!IsNan(x.first) && IsNan(y.first)) || x.first < y.first;
  };
  ForEachSortRow<T, std::vector<Elem>>(
      p, n * 4,
      [&](const T* in, T* values, int64_t* indices, std::vector<Elem>& queue) {
        queue.resize(n);  // allocates once per chunk
        for (int64_t j = 0; j < n; ++j)
          queue[j] = {M(in[j * p.dim_strides[0]]), j};
        const bool use_partial_sort = k * 64 <= n;
        if (use_partial_sort) {
          if (largest) {
            std::partial_sort(queue.begin(), queue.begin() + k, queue.end(),
                              greater);
          } else {
            std::partial_sort(queue.begin(), queue.begin() + k, queue.end(),
                              less);
          }
        } else if (largest) {
          std::nth_element(queue.begin(), queue.begin() + k - 1, queue.end(),
                           greater);
          if (p.sorted)
            std::sort(queue.begin(), queue.begin() + k - 1, greater);
        } else {
          std::nth_element(queue.begin(), queue.begin() + k - 1, queue.end(),
                           less);
          if (p.sorted) std::sort(queue.begin(), queue.begin() + k - 1, less);
        }
        for (int64_t j = 0; j < k; ++j) {
          values[j * p.dim_strides[1]] = T(queue[j].first);
          indices[j * p.dim_strides[2]] = queue[j].second;
        }
      });
}

// --- registration ------------------------------------------------------------

[[maybe_unused]] const bool kRegistered = [] {
  const std::vector<DType> all = AllDTypes();
  RegisterEach("gather", all, []<typename T>() { return &GatherKernel<T>; });
  RegisterEach("scatter", all, []<typename T>() { return &ScatterKernel<T>; });
  RegisterEach("masked_fill", all,
               []<typename T>() { return &MaskedFillKernel<T>; });
  RegisterEach("masked_select", all,
               []<typename T>() { return &MaskedSelectKernel<T>; });
  KernelRegistrar("one_hot", DeviceType::kCpu, {DType::kInt64}, &OneHotKernel);
  KernelRegistrar("cat", DeviceType::kCpu, all, &CatKernel);
  KernelRegistrar("repeat", DeviceType::kCpu, all, &RepeatKernel);
  KernelRegistrar("tril_triu", DeviceType::kCpu, all, &TriKernel);
  RegisterEach("flip", all, []<typename T>() { return &FlipKernel<T>; });
  RegisterEach("constant_pad", all, []<typename T>() { return &PadKernel<T>; });
  RegisterEach("sort", all, []<typename T>() { return &SortKernel<T>; });
  // As in PyTorch 1.13: no topk for float16 or bool on the CPU.
  RegisterEach("topk",
               {DType::kFloat32, DType::kFloat64, DType::kBFloat16,
                DType::kInt64, DType::kInt32, DType::kUInt8},
               []<typename T>() { return &TopkKernel<T>; });
  return true;
}();

}  // namespace
}  // namespace tch::cpu
