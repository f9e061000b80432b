// CPU kernels for the random ops of torch/core/random_ops.h. Every kernel
// follows Note [Random streams]: the output is cut into tiles of kTile
// elements (a multiple of 4, so Philox blocks and Box-Muller pairs never
// straddle tiles); a tile's Philox words are computed in one batch from the
// element indices alone, so neither the thread count nor the chunking can
// change any value.
#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "torch/core/dispatch.h"
#include "torch/core/elementwise.h"
#include "torch/core/parallel.h"
#include "torch/core/philox.h"
#include "torch/core/random_ops.h"
#include "torch/kernels/cpu/loops.h"

namespace tch::cpu {
namespace {

// Elements per tile; a multiple of 4.
constexpr int64_t kTile = 512;
// Tiles per parallel chunk: a Philox block costs a few dozen cycles, so a
// few thousand elements are worth a thread.
constexpr int64_t kTileGrain = 8;

// ---- Philox in batches ------------------------------------------------------------

// Writes the words of blocks [first_block, first_block + count) of `s`'s
// subsequence 0 to out[0 .. 4 * count), block by block. Structure of arrays so
// that the compiler can vectorize the rounds across blocks.
void PhiloxBlocks(const RandomStream& s, uint64_t first_block, int64_t count,
                  uint32_t* out) {
  constexpr int64_t kBatch = 64;
  const PhiloxCounter base = PhiloxCounterFor(0, s.start_block);
  for (int64_t b0 = 0; b0 < count; b0 += kBatch) {
    const int64_t m = std::min(kBatch, count - b0);
    uint32_t c0[kBatch], c1[kBatch], c2[kBatch], c3[kBatch];
    for (int64_t j = 0; j < m; ++j) {
      const PhiloxCounter c = PhiloxAdvance(
          base, first_block + static_cast<uint64_t>(b0 + j));
      c0[j] = c.x[0], c1[j] = c.x[1], c2[j] = c.x[2], c3[j] = c.x[3];
    }
    uint32_t k0 = s.key.x[0], k1 = s.key.x[1];
    for (int round = 0; round < kPhiloxRounds; ++round) {
      for (int64_t j = 0; j < m; ++j) {
        const uint64_t p0 = static_cast<uint64_t>(kPhiloxM0) * c0[j];
        const uint64_t p1 = static_cast<uint64_t>(kPhiloxM1) * c2[j];
        const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1[j] ^ k0;
        const uint32_t n1 = static_cast<uint32_t>(p1);
        const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3[j] ^ k1;
        const uint32_t n3 = static_cast<uint32_t>(p0);
        c0[j] = n0, c1[j] = n1, c2[j] = n2, c3[j] = n3;
      }
      k0 += kPhiloxW0;
      k1 += kPhiloxW1;
    }
    uint32_t* o = out + 4 * b0;
    for (int64_t j = 0; j < m; ++j) {
      o[4 * j] = c0[j], o[4 * j + 1] = c1[j], o[4 * j + 2] = c2[j],
      o[4 * j + 3] = c3[j];
    }
  }
}

// The words of one tile: element-aligned views of the flattened word stream
// W[j] = word j % 4 of block start + j / 4 (Note [Random streams]: the 32-bit
// draw of element i is W[i], its 64-bit draw W[2i] | W[2i + 1] << 32).
struct TileWords {
  // Enough for a tile of 64-bit draws (whole blocks).
  alignas(64) uint32_t w[2 * kTile + 4];

  // Fills W[first_word, first_word + count); first_word is a multiple of 4.
  void Fill(const RandomStream& s, uint64_t first_word, int64_t count) {
    PhiloxBlocks(s, first_word / 4, (count + 3) / 4, w);
  }
  uint64_t U64(int64_t k) const { return WordsToUint64(w[2 * k], w[2 * k + 1]); }
};

// ---- Tile drivers ----------------------------------------------------------------

// Runs fn(first, n) over tiles [first, first + n) of [0, numel) in parallel.
template <typename Fn>
void ForEachTile(int64_t numel, Fn&& fn) {
  const int64_t tiles = (numel + kTile - 1) / kTile;
  ParallelFor(0, tiles, kTileGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t first = t * kTile;
      fn(first, std::min(kTile, numel - first));
    }
  });
}

// Fills operand 0 (of type T) with values that sample(first, n, T* buf)
// writes for elements [first, first + n), straight into the output when it
// is contiguous.
template <typename T, typename Sample>
void NullaryRandom(const ElementwisePlan& iter, Sample&& sample) {
  const bool contiguous = iter.IsContiguous();
  ForEachTile(iter.numel, [&](int64_t first, int64_t n) {
    if (contiguous) {
      sample(first, n, reinterpret_cast<T*>(iter.data[0]) + first);
      return;
    }
    T buf[kTile];
    sample(first, n, buf);
    int64_t k = 0;
    ForEachRun(iter, first, first + n,
               [&](char* const* ptrs, const int64_t* strides, int64_t m) {
                 for (int64_t j = 0; j < m; ++j) {
                   *reinterpret_cast<T*>(ptrs[0] + j * strides[0]) = buf[k++];
                 }
               });
  });
}

template <typename T>
constexpr bool kIsReducedFloat =
    std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>;

// ---- uniform / normal ------------------------------------------------------------

template <typename T>
void UniformKernel(const RandomPlan& plan) {
  using M = OpMath<T>;
  const M from = static_cast<M>(plan.a);
  const M range = static_cast<M>(plan.b - plan.a);
  // The upper bound as the output type can hold it, for the rounding guard.
  const M to = static_cast<M>(T(static_cast<M>(plan.b)));
  const T from_t = T(from);
  NullaryRandom<T>(plan.iter, [&](int64_t first, int64_t n, T* out) {
    TileWords words;
    if constexpr (std::is_same_v<T, double>) {
      words.Fill(plan.stream, 2 * first, 2 * n);
      for (int64_t k = 0; k < n; ++k) {
        const double v = Uint64ToUniformDouble(words.U64(k)) * range + from;
        out[k] = v < to ? v : from;
      }
    } else {
      constexpr int kDigits = UniformDigits(DTypeOf<T>());
      words.Fill(plan.stream, first, n);
      for (int64_t k = 0; k < n; ++k) {
        const T v = T(UniformFromUint32(words.w[k], kDigits) * range + from);
        out[k] = static_cast<M>(v) < to ? v : from_t;
      }
    }
  });
}

template <typename T>
void NormalKernel(const RandomPlan& plan) {
  using M = OpMath<T>;
  const M mean = static_cast<M>(plan.a);
  const M std = static_cast<M>(plan.b);
  NullaryRandom<T>(plan.iter, [&](int64_t first, int64_t n, T* out) {
    TileWords words;
    if constexpr (std::is_same_v<T, double>) {
      // Elements 2k, 2k + 1 come from 64-bit draws 2k, 2k + 1.
      words.Fill(plan.stream, 2 * first, 2 * ((n + 1) & ~int64_t{1}));
      for (int64_t k = 0; k < n; k += 2) {
        const DoublePair z = BoxMullerDouble(words.U64(k), words.U64(k + 1));
        out[k] = mean + std * z.first;
        if (k + 1 < n) out[k + 1] = mean + std * z.second;
      }
    } else {
      words.Fill(plan.stream, first, (n + 1) & ~int64_t{1});
      for (int64_t k = 0; k < n; k += 2) {
        const FloatPair z = BoxMullerFloat(words.w[k], words.w[k + 1]);
        out[k] = T(mean + std * z.first);
        if (k + 1 < n) out[k + 1] = T(mean + std * z.second);
      }
    }
  });
}

// ---- randint / bernoulli -----------------------------------------------------------

template <typename T>
T FromInt64(int64_t v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v != 0;
  } else if constexpr (kIsReducedFloat<T>) {
    return T(static_cast<float>(v));
  } else {
    return static_cast<T>(v);
  }
}

template <typename T>
void RandintKernel(const RandomPlan& plan) {
  const uint64_t low = static_cast<uint64_t>(plan.low);
  const uint64_t range = plan.range;
  const bool wide = range > kRandintNarrowRange;
  NullaryRandom<T>(plan.iter, [&](int64_t first, int64_t n, T* out) {
    TileWords words;
    if (wide) {
      words.Fill(plan.stream, 2 * first, 2 * n);
      for (int64_t k = 0; k < n; ++k) {
        out[k] = FromInt64<T>(static_cast<int64_t>(
            low + BoundedFromUint64(words.U64(k), range)));
      }
    } else {
      words.Fill(plan.stream, first, n);
      for (int64_t k = 0; k < n; ++k) {
        out[k] = FromInt64<T>(static_cast<int64_t>(
            low + BoundedFromUint32(words.w[k], range)));
      }
    }
  });
}

template <typename T>
void BernoulliScalarKernel(const RandomPlan& plan) {
  const double threshold = plan.a * 4294967296.0;
  const T one = FromInt64<T>(1), zero = FromInt64<T>(0);
  NullaryRandom<T>(plan.iter, [&](int64_t first, int64_t n, T* out) {
    TileWords words;
    words.Fill(plan.stream, first, n);
    for (int64_t k = 0; k < n; ++k) {
      out[k] = static_cast<double>(words.w[k]) < threshold ? one : zero;
    }
  });
}

// Walks the runs of elements [first, first + n) of a multi-operand plan,
// calling fn(k, ptrs, strides, j) for the k-th element of the tile, which is
// element j of the current run.
template <typename Fn>
void ForEachTileElement(const ElementwisePlan& iter, int64_t first, int64_t n,
                        Fn&& fn) {
  int64_t k = 0;
  ForEachRun(iter, first, first + n,
             [&](char* const* ptrs, const int64_t* strides, int64_t m) {
               for (int64_t j = 0; j < m; ++j) fn(k++, ptrs, strides, j);
             });
}

template <typename T>
void BernoulliTensorKernel(const RandomPlan& plan) {
  using M = OpMath<T>;
  std::atomic<bool> invalid{false};
  ForEachTile(plan.iter.numel, [&](int64_t first, int64_t n) {
    TileWords words;
    words.Fill(plan.stream, first, n);
    bool bad = false;
    ForEachTileElement(
        plan.iter, first, n,
        [&](int64_t k, char* const* ptrs, const int64_t* strides, int64_t j) {
          const M p = static_cast<M>(
              *reinterpret_cast<const T*>(ptrs[1] + j * strides[1]));
          bad |= !(p >= M(0) && p <= M(1));
          *reinterpret_cast<T*>(ptrs[0] + j * strides[0]) =
              T(BernoulliFromUint32(words.w[k], static_cast<double>(p))
                    ? M(1)
                    : M(0));
        });
    if (bad) invalid.store(true, std::memory_order_relaxed);
  });
  if (invalid.load()) *plan.invalid_p = true;
}

// ---- dropout -----------------------------------------------------------------

template <typename T>
void DropoutKernel(const RandomPlan& plan) {
  using M = OpMath<T>;
  const double threshold = plan.a * 4294967296.0;
  // The scale rounded to T first, as PyTorch's `input * mask * scale` does.
  const M scale = static_cast<M>(T(static_cast<M>(plan.b)));
  const bool contiguous = plan.iter.IsContiguous();
  ForEachTile(plan.iter.numel, [&](int64_t first, int64_t n) {
    TileWords words;
    words.Fill(plan.stream, first, n);
    if (contiguous) {
      T* out = reinterpret_cast<T*>(plan.iter.data[0]) + first;
      bool* mask = reinterpret_cast<bool*>(plan.iter.data[1]) + first;
      const T* in = reinterpret_cast<const T*>(plan.iter.data[2]) + first;
      for (int64_t k = 0; k < n; ++k) {
        const bool keep = static_cast<double>(words.w[k]) < threshold;
        mask[k] = keep;
        out[k] = T(keep ? static_cast<M>(in[k]) * scale : M(0));
      }
      return;
    }
    ForEachTileElement(
        plan.iter, first, n,
        [&](int64_t k, char* const* ptrs, const int64_t* strides, int64_t j) {
          const bool keep = static_cast<double>(words.w[k]) < threshold;
          *reinterpret_cast<bool*>(ptrs[1] + j * strides[1]) = keep;
          const M x =
              static_cast<M>(*reinterpret_cast<const T*>(ptrs[2] + j * strides[2]));
          *reinterpret_cast<T*>(ptrs[0] + j * strides[0]) =
              T(keep ? x * scale : M(0));
        });
  });
}

template <typename T>
void DropoutBackwardKernel(const RandomPlan& plan) {
  using M = OpMath<T>;
  const M scale = static_cast<M>(T(static_cast<M>(plan.a)));
  ParallelRuns(plan.iter, [&](char* const* ptrs, const int64_t* strides,
                              int64_t m) {
    for (int64_t j = 0; j < m; ++j) {
      const M g =
          static_cast<M>(*reinterpret_cast<const T*>(ptrs[1] + j * strides[1]));
      const bool keep = *reinterpret_cast<const bool*>(ptrs[2] + j * strides[2]);
      *reinterpret_cast<T*>(ptrs[0] + j * strides[0]) =
          T(keep ? g * scale : M(0));
    }
  });
}

// ---- randperm -----------------------------------------------------------------

// Stable LSD radix sort of `keys` by bits [low_bit, 64), 11 bits a pass.
void RadixSortHighBits(std::vector<uint64_t>& keys, int low_bit) {
  constexpr int kBits = 11;
  constexpr size_t kBuckets = size_t{1} << kBits;
  std::vector<uint64_t> tmp(keys.size());
  std::vector<size_t> count(kBuckets);
  for (int shift = low_bit; shift < 64; shift += kBits) {
    std::fill(count.begin(), count.end(), 0);
    for (uint64_t k : keys) ++count[(k >> shift) & (kBuckets - 1)];
    size_t sum = 0;
    for (size_t& c : count) {
      const size_t here = c;
      c = sum;
      sum += here;
    }
    for (uint64_t k : keys) tmp[count[(k >> shift) & (kBuckets - 1)]++] = k;
    keys.swap(tmp);
  }
}

template <typename T>
void RandpermKernel(const RandpermPlan& plan) {
  const int64_t n = plan.n;
  const int bits = std::bit_width(static_cast<uint64_t>(n - 1));
  const uint64_t low_mask = bits == 0 ? 0 : (~uint64_t{0} >> (64 - bits));
  std::vector<uint64_t> keys(static_cast<size_t>(n));
  ForEachTile(n, [&](int64_t first, int64_t count) {
    TileWords words;
    words.Fill(plan.stream, 2 * first, 2 * count);
    for (int64_t k = 0; k < count; ++k) {
      keys[first + k] = (words.U64(k) & ~low_mask) |
                        static_cast<uint64_t>(first + k);
    }
  });
  // Keys are unique and their low bits are the index, so any sort gives the
  // order of Note [Random streams]; the radix sort needs only the high bits.
  if (n < 1024) {
    std::sort(keys.begin(), keys.end());
  } else {
    RadixSortHighBits(keys, bits);
  }
  RandpermShuffleTies(keys.data(), n, bits, plan.stream);
  T* out = static_cast<T*>(plan.out);
  ParallelFor(0, n, kElementwiseGrainSize, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      out[i] = FromInt64<T>(static_cast<int64_t>(keys[i] & low_mask));
    }
  });
}

// ---- registration ----------------------------------------------------------------

template <typename Pick>
void RegisterEach(const char* op, const std::vector<DType>& dtypes, Pick pick) {
  for (DType dtype : dtypes) {
    VisitDType(dtype, [&]<typename T>() {
      KernelRegistrar(op, DeviceType::kCpu, {dtype},
                      pick.template operator()<T>());
    });
  }
}

[[maybe_unused]] const bool kRegistered = [] {
  RegisterEach("uniform", FloatingDTypes(),
               []<typename T>() { return &UniformKernel<T>; });
  RegisterEach("normal", FloatingDTypes(),
               []<typename T>() { return &NormalKernel<T>; });
  RegisterEach("randint", AllDTypes(),
               []<typename T>() { return &RandintKernel<T>; });
  RegisterEach("bernoulli_scalar", AllDTypes(),
               []<typename T>() { return &BernoulliScalarKernel<T>; });
  RegisterEach("bernoulli_tensor", FloatingDTypes(),
               []<typename T>() { return &BernoulliTensorKernel<T>; });
  RegisterEach("dropout", FloatingDTypes(),
               []<typename T>() { return &DropoutKernel<T>; });
  RegisterEach("dropout_backward", FloatingDTypes(),
               []<typename T>() { return &DropoutBackwardKernel<T>; });
  std::vector<DType> perm_dtypes = FloatingDTypes();
  perm_dtypes.push_back(DType::kInt64);
  perm_dtypes.push_back(DType::kInt32);
  RegisterEach("randperm", perm_dtypes,
               []<typename T>() { return &RandpermKernel<T>; });
  return true;
}();

}  // namespace
}  // namespace tch::cpu
