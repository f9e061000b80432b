// CPU kernels for the random ops of torch/core/random_ops.h. Every kernel
// follows Note [Random streams]: the output is cut into tiles of kTile
// elements (a multiple of 4, so Philox blocks and Box-Muller pairs never
// straddle tiles); a tile's Philox words are computed in one batch from the
// element indices alone, so neither the thread count nor the chunking can
// change any value.
//
// Highway: this file includes itself once per SIMD target (the section up to
// HWY_ONCE) and dispatches at run time. The SIMD code produces exactly the
// integer words of philox.h; Box-Muller uses Highway's Log/Sin/Cos, which
// differ from the C library's by a few ulps (see philox.h on normals), but
// every element of a given tensor goes through the same code on a machine,
// whatever the thread count.
// clang-format off
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "torch/kernels/cpu/random_kernels.cc"
#include "hwy/foreach_target.h"  // must precede highway.h
#include "hwy/highway.h"
#include "hwy/contrib/math/math-inl.h"
// clang-format on

#include <cstdint>

#include "torch/core/philox.h"

HWY_BEFORE_NAMESPACE();
namespace tch::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Writes Philox4x32-10 blocks for the 128-bit counters (x0 | x1 << 32) =
// lo + j, x2, x3, j in [0, count), as out[4 j + w] = word w of block j. The
// caller guarantees that lo + count does not wrap. One 64-bit lane per block
// holds one 32-bit word, so MulEven gives the full 32x32 -> 64 products.
void PhiloxBlocksSimd(uint32_t k0, uint32_t k1, uint64_t lo, uint32_t x2,
                      uint32_t x3, int64_t count, uint32_t* HWY_RESTRICT out) {
  int64_t j = 0;
#if HWY_TARGET != HWY_SCALAR  // Needs 32-bit halves of 64-bit lanes.
  const hn::ScalableTag<uint64_t> d64;
  const hn::Repartition<uint32_t, decltype(d64)> d32;
  const hn::Rebind<uint32_t, decltype(d64)> d32h;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d64));
  const auto mask = hn::Set(d64, uint64_t{0xFFFFFFFFu});
  const auto m0 = hn::BitCast(d32, hn::Set(d64, uint64_t{kPhiloxM0}));
  const auto m1 = hn::BitCast(d32, hn::Set(d64, uint64_t{kPhiloxM1}));
  const auto iota = hn::Iota(d64, 0);
  for (; j + lanes <= count; j += lanes) {
    const auto ctr = hn::Add(hn::Set(d64, lo + static_cast<uint64_t>(j)), iota);
    auto c0 = hn::And(ctr, mask);
    auto c1 = hn::ShiftRight<32>(ctr);
    auto c2 = hn::Set(d64, uint64_t{x2});
    auto c3 = hn::Set(d64, uint64_t{x3});
    uint32_t ka = k0, kb = k1;
    for (int round = 0; round < kPhiloxRounds; ++round) {
      const auto p0 = hn::MulEven(hn::BitCast(d32, c0), m0);
      const auto p1 = hn::MulEven(hn::BitCast(d32, c2), m1);
      c0 = hn::Xor(hn::Xor(hn::ShiftRight<32>(p1), c1),
                   hn::Set(d64, uint64_t{ka}));
      c1 = hn::And(p1, mask);
      c2 = hn::Xor(hn::Xor(hn::ShiftRight<32>(p0), c3),
                   hn::Set(d64, uint64_t{kb}));
      c3 = hn::And(p0, mask);
      ka += kPhiloxW0;
      kb += kPhiloxW1;
    }
    hn::StoreInterleaved4(hn::TruncateTo(d32h, c0), hn::TruncateTo(d32h, c1),
                          hn::TruncateTo(d32h, c2), hn::TruncateTo(d32h, c3),
                          d32h, out + 4 * j);
  }
#endif
  for (; j < count; ++j) {
    const uint64_t c = lo + static_cast<uint64_t>(j);
    const PhiloxBlock b =
        Philox4x32_10(PhiloxCounter{{static_cast<uint32_t>(c),
                                     static_cast<uint32_t>(c >> 32), x2, x3}},
                      PhiloxKey{{k0, k1}});
    for (int w = 0; w < 4; ++w) out[4 * j + w] = b.x[w];
  }
}

// The number of floats BoxMullerF32Simd handles per step.
int64_t BoxMullerF32Step() {
  return 2 * static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
}

// out[2k], out[2k + 1] = BoxMullerFloat(w[2k], w[2k + 1]) (up to the math
// library's ulps) for k < n / 2; n must be a multiple of BoxMullerF32Step().
void BoxMullerF32Simd(const uint32_t* HWY_RESTRICT w, int64_t n,
                      float* HWY_RESTRICT out) {
  const hn::ScalableTag<float> df;
  const hn::RebindToUnsigned<decltype(df)> du;
  const hn::RebindToSigned<decltype(df)> di;
  const int64_t step = 2 * static_cast<int64_t>(hn::Lanes(df));
  const auto scale = hn::Set(df, 1.0f / 16777216.0f);
  const auto minus_two = hn::Set(df, -2.0f);
  const auto two_pi = hn::Set(df, 6.283185307179586f);
  const auto one = hn::Set(du, 1u);
  for (int64_t k = 0; k < n; k += step) {
    hn::Vec<decltype(du)> a, b;
    hn::LoadInterleaved2(du, w + k, a, b);
    const auto u1 = hn::Mul(
        hn::ConvertTo(df, hn::BitCast(di, hn::Add(hn::ShiftRight<8>(a), one))),
        scale);
    const auto u2 = hn::Mul(
        hn::ConvertTo(df, hn::BitCast(di, hn::ShiftRight<8>(b))), scale);
    const auto radius = hn::Sqrt(hn::Mul(minus_two, hn::Log(df, u1)));
    const auto theta = hn::Mul(two_pi, u2);
    hn::StoreInterleaved2(hn::Mul(radius, hn::Cos(df, theta)),
                          hn::Mul(radius, hn::Sin(df, theta)), df, out + k);
  }
}

// Dropout of n contiguous floats from their 32-bit draws w: keep = w[k] <
// threshold (threshold <= 2^32; 2^32 keeps all), mask[k] = keep and
// out[k] = in[k] * (keep ? scale : 0) -- the scalar loop's arithmetic, so
// dropped NaN and Inf inputs still give NaN.
void DropoutF32Simd(const uint32_t* HWY_RESTRICT w, const float* in, float* out,
                    bool* mask, int64_t n, uint64_t threshold, float scale) {
  const hn::ScalableTag<float> df;
  const hn::RebindToUnsigned<decltype(df)> du;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::Rebind<uint8_t, decltype(df)> d8;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  const bool keep_all = threshold > 0xFFFFFFFFu;
  const auto vthreshold = hn::Set(du, static_cast<uint32_t>(threshold));
  const auto vscale = hn::Set(df, scale);
  const auto one = hn::Set(di, 1);
  int64_t k = 0;
  for (; k + lanes <= n; k += lanes) {
    const auto keep = keep_all ? hn::FirstN(du, static_cast<size_t>(lanes))
                               : hn::Lt(hn::LoadU(du, w + k), vthreshold);
    hn::StoreU(hn::Mul(hn::LoadU(df, in + k),
                       hn::IfThenElseZero(hn::RebindMask(df, keep), vscale)),
               df, out + k);
    const auto bits = hn::IfThenElseZero(hn::RebindMask(di, keep), one);
    hn::StoreU(hn::DemoteTo(d8, bits), d8,
               reinterpret_cast<uint8_t*>(mask + k));
  }
  for (; k < n; ++k) {
    const bool keep = uint64_t{w[k]} < threshold;
    mask[k] = keep;
    out[k] = in[k] * (keep ? scale : 0.0f);
  }
}

// out[i] = grad[i] * (mask[i] ? scale : 0) for n contiguous floats.
void DropoutBackwardF32Simd(const float* grad, const bool* mask, float* out,
                            int64_t n, float scale) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::Rebind<uint8_t, decltype(df)> d8;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  const auto vscale = hn::Set(df, scale);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto bytes =
        hn::LoadU(d8, reinterpret_cast<const uint8_t*>(mask + i));
    const auto keep = hn::Ne(hn::PromoteTo(di, bytes), hn::Zero(di));
    hn::StoreU(hn::Mul(hn::LoadU(df, grad + i),
                       hn::IfThenElseZero(hn::RebindMask(df, keep), vscale)),
               df, out + i);
  }
  for (; i < n; ++i) out[i] = grad[i] * (mask[i] ? scale : 0.0f);
}

}  // namespace tch::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
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

// ---- Philox in batches
// ------------------------------------------------------------

HWY_EXPORT(PhiloxBlocksSimd);
HWY_EXPORT(BoxMullerF32Step);
HWY_EXPORT(BoxMullerF32Simd);
HWY_EXPORT(DropoutF32Simd);
HWY_EXPORT(DropoutBackwardF32Simd);

// Writes the words of blocks [first_block, first_block + count) of `s`'s
// `subsequence` to out[0 .. 4 * count), block by block.
void PhiloxBlocks(const RandomStream& s, uint64_t first_block, int64_t count,
                  uint32_t* out, uint64_t subsequence = 0) {
  // The 128-bit counter (subsequence, start_block) + first_block, in two
  // 64-bit halves held in registers.
  const uint64_t lo = s.start_block + first_block;
  const uint64_t hi = subsequence + (lo < first_block ? 1 : 0);
  if (lo + static_cast<uint64_t>(count) < lo) {
    const PhiloxCounter c = PhiloxAdvance(
        PhiloxCounterFor(subsequence, s.start_block), first_block);
    // The offset words wrap within this range (offsets near 2^64): scalar.
    for (int64_t j = 0; j < count; ++j) {
      const PhiloxBlock b =
          Philox4x32_10(PhiloxAdvance(c, static_cast<uint64_t>(j)), s.key);
      std::memcpy(out + 4 * j, b.x, sizeof(b.x));
    }
    return;
  }
  HWY_DYNAMIC_DISPATCH(PhiloxBlocksSimd)
  (s.key.x[0], s.key.x[1], lo, static_cast<uint32_t>(hi),
   static_cast<uint32_t>(hi >> 32), count, out);
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
  uint64_t U64(int64_t k) const {
    return WordsToUint64(w[2 * k], w[2 * k + 1]);
  }
};

// ---- Tile drivers
// ----------------------------------------------------------------

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

// ---- uniform / normal
// ------------------------------------------------------------

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
      // Box-Muller in SIMD over whole vectors; the words past the tile's
      // last pair are zeroed padding whose results are dropped.
      static const int64_t step = HWY_DYNAMIC_DISPATCH(BoxMullerF32Step)();
      const int64_t even = (n + 1) & ~int64_t{1};
      const int64_t padded = (even + step - 1) / step * step;
      words.Fill(plan.stream, first, even);
      const int64_t filled = (even + 3) / 4 * 4;
      if (padded > filled) std::fill(words.w + filled, words.w + padded, 0u);
      alignas(64) float z[kTile];
      HWY_DYNAMIC_DISPATCH(BoxMullerF32Simd)(words.w, padded, z);
      for (int64_t k = 0; k < n; ++k) out[k] = T(mean + std * z[k]);
    }
  });
}

// ---- randint / bernoulli
// -----------------------------------------------------------

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
        out[k] = FromInt64<T>(
            static_cast<int64_t>(low + BoundedFromUint64(words.U64(k), range)));
      }
    } else {
      words.Fill(plan.stream, first, n);
      for (int64_t k = 0; k < n; ++k) {
        out[k] = FromInt64<T>(
            static_cast<int64_t>(low + BoundedFromUint32(words.w[k], range)));
      }
    }
  });
}

template <typename T>
void BernoulliScalarKernel(const RandomPlan& plan) {
  const uint64_t threshold = BernoulliThreshold(plan.a);
  const T one = FromInt64<T>(1), zero = FromInt64<T>(0);
  NullaryRandom<T>(plan.iter, [&](int64_t first, int64_t n, T* out) {
    TileWords words;
    words.Fill(plan.stream, first, n);
    for (int64_t k = 0; k < n; ++k) {
      out[k] = uint64_t{words.w[k]} < threshold ? one : zero;
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
              T(BernoulliFromUint32(words.w[k], static_cast<double>(p)) ? M(1)
                                                                        : M(0));
        });
    if (bad) invalid.store(true, std::memory_order_relaxed);
  });
  if (invalid.load()) *plan.invalid_p = true;
}

// ---- dropout
// -----------------------------------------------------------------

template <typename T>
void DropoutKernel(const RandomPlan& plan) {
  using M = OpMath<T>;
  const uint64_t threshold = BernoulliThreshold(plan.a);
  // The scale rounded to T first, as PyTorch's `input * mask * scale` does;
  // dropped elements are multiplied by 0, so NaN and Inf give NaN as there.
  const M scale = static_cast<M>(T(static_cast<M>(plan.b)));
  const bool contiguous = plan.iter.IsContiguous();
  ForEachTile(plan.iter.numel, [&](int64_t first, int64_t n) {
    TileWords words;
    words.Fill(plan.stream, first, n);
    if (contiguous) {
      T* out = reinterpret_cast<T*>(plan.iter.data[0]) + first;
      bool* mask = reinterpret_cast<bool*>(plan.iter.data[1]) + first;
      const T* in = reinterpret_cast<const T*>(plan.iter.data[2]) + first;
      if constexpr (std::is_same_v<T, float>) {
        HWY_DYNAMIC_DISPATCH(DropoutF32Simd)
        (words.w, in, out, mask, n, threshold, scale);
        return;
      }
      for (int64_t k = 0; k < n; ++k) {
        const bool keep = uint64_t{words.w[k]} < threshold;
        mask[k] = keep;
        out[k] = T(static_cast<M>(in[k]) * (keep ? scale : M(0)));
      }
      return;
    }
    ForEachTileElement(
        plan.iter, first, n,
        [&](int64_t k, char* const* ptrs, const int64_t* strides, int64_t j) {
          const bool keep = uint64_t{words.w[k]} < threshold;
          *reinterpret_cast<bool*>(ptrs[1] + j * strides[1]) = keep;
          const M x = static_cast<M>(
              *reinterpret_cast<const T*>(ptrs[2] + j * strides[2]));
          *reinterpret_cast<T*>(ptrs[0] + j * strides[0]) =
              T(x * (keep ? scale : M(0)));
        });
  });
}

template <typename T>
void DropoutBackwardKernel(const RandomPlan& plan) {
  using M = OpMath<T>;
  const M scale = static_cast<M>(T(static_cast<M>(plan.a)));
  if (plan.iter.IsContiguous()) {
    T* out = reinterpret_cast<T*>(plan.iter.data[0]);
    const T* grad = reinterpret_cast<const T*>(plan.iter.data[1]);
    const bool* mask = reinterpret_cast<const bool*>(plan.iter.data[2]);
    ParallelFor(
        0, plan.iter.numel, kElementwiseGrainSize, [&](int64_t lo, int64_t hi) {
          if constexpr (std::is_same_v<T, float>) {
            HWY_DYNAMIC_DISPATCH(DropoutBackwardF32Simd)
            (grad + lo, mask + lo, out + lo, hi - lo, scale);
            return;
          }
          for (int64_t i = lo; i < hi; ++i) {
            // Branch-free so that the loop vectorizes.
            const M keep = static_cast<M>(static_cast<uint8_t>(mask[i]));
            out[i] = T(static_cast<M>(grad[i]) * (keep * scale));
          }
        });
    return;
  }
  ParallelRuns(plan.iter, [&](char* const* ptrs, const int64_t* strides,
                              int64_t m) {
    for (int64_t j = 0; j < m; ++j) {
      const M g =
          static_cast<M>(*reinterpret_cast<const T*>(ptrs[1] + j * strides[1]));
      const bool keep =
          *reinterpret_cast<const bool*>(ptrs[2] + j * strides[2]);
      *reinterpret_cast<T*>(ptrs[0] + j * strides[0]) =
          T(g * (keep ? scale : M(0)));
    }
  });
}

// ---- randperm
// -----------------------------------------------------------------

// Fills draws[p - begin] with the 64-bit subsequence-1 draw of position p,
// for p in [begin, end): the draws of RandpermShuffleRange.
void ShuffleDraws(const RandomStream& s, int64_t begin, int64_t end,
                  std::vector<uint32_t>& words, std::vector<uint64_t>& draws) {
  const int64_t first_block = begin / 2;
  const int64_t blocks = (end - 1) / 2 - first_block + 1;
  words.resize(static_cast<size_t>(4 * blocks));
  draws.resize(static_cast<size_t>(end - begin));
  PhiloxBlocks(s, static_cast<uint64_t>(first_block), blocks, words.data(),
               /*subsequence=*/1);
  const int64_t skip = 2 * (begin % 2);
  for (int64_t k = 0; k < end - begin; ++k) {
    draws[k] = WordsToUint64(words[skip + 2 * k], words[skip + 2 * k + 1]);
  }
}

// Fisher-Yates over perm[begin, end) with precomputed draws; the same swaps
// as RandpermShuffleRange.
template <typename P>
void ShuffleRange(P* perm, int64_t begin, int64_t end,
                  const std::vector<uint64_t>& draws) {
  for (int64_t k = end - begin - 1; k >= 1; --k) {
    const int64_t j = static_cast<int64_t>(
        BoundedFromUint64(draws[k], static_cast<uint64_t>(k + 1)));
    std::swap(perm[begin + k], perm[begin + j]);
  }
}

// The random bucket sort documented at tch::randperm: buckets from 64-bit
// draws (in parallel), a stable counting sort, then the buckets shuffled in
// parallel. Every step depends only on element indices and positions.
template <typename T>
void RandpermKernel(const RandpermPlan& plan) {
  const int64_t n = plan.n;
  const int bits = RandpermBucketBits(n);
  const int64_t buckets = int64_t{1} << bits;
  std::vector<uint8_t> bucket(static_cast<size_t>(bits == 0 ? 0 : n));
  if (bits > 0) {
    ForEachTile(n, [&](int64_t first, int64_t count) {
      TileWords words;
      words.Fill(plan.stream, 2 * first, 2 * count);
      for (int64_t k = 0; k < count; ++k) {
        bucket[first + k] = static_cast<uint8_t>(words.U64(k) >> (64 - bits));
      }
    });
  }
  // Stable counting sort by bucket, in fixed chunks of the index range so
  // that chunks count and scatter in parallel: chunk c's elements of bucket
  // b go after those of chunks < c, exactly where a serial pass puts them.
  constexpr int64_t kChunk = int64_t{1} << 16;
  const int64_t chunks = bits == 0 ? 0 : (n + kChunk - 1) / kChunk;
  std::vector<int64_t> offset(static_cast<size_t>(chunks * buckets), 0);
  ParallelFor(0, chunks, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      int64_t* count = offset.data() + c * buckets;
      const int64_t end = std::min(n, (c + 1) * kChunk);
      for (int64_t i = c * kChunk; i < end; ++i) ++count[bucket[i]];
    }
  });
  std::vector<int64_t> start(static_cast<size_t>(buckets + 1), 0);
  start[1] = bits == 0 ? n : 0;
  for (int64_t b = 0, sum = 0; b < buckets && bits > 0; ++b) {
    start[b] = sum;
    for (int64_t c = 0; c < chunks; ++c) {
      const int64_t here = offset[c * buckets + b];
      offset[c * buckets + b] = sum;
      sum += here;
    }
    start[b + 1] = sum;
  }
  // Work in the output when it is int64, else in a scratch vector.
  std::vector<int64_t> scratch;
  int64_t* perm = nullptr;
  if constexpr (std::is_same_v<T, int64_t>) {
    perm = static_cast<int64_t*>(plan.out);
  } else {
    scratch.resize(static_cast<size_t>(n));
    perm = scratch.data();
  }
  if (bits == 0) {
    std::iota(perm, perm + n, int64_t{0});
  } else {
    ParallelFor(0, chunks, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t c = lo; c < hi; ++c) {
        int64_t* next = offset.data() + c * buckets;
        const int64_t end = std::min(n, (c + 1) * kChunk);
        for (int64_t i = c * kChunk; i < end; ++i) perm[next[bucket[i]]++] = i;
      }
    });
  }
  // Thousands of elements a bucket: each bucket is worth a thread.
  ParallelFor(0, buckets, 1, [&](int64_t lo, int64_t hi) {
    std::vector<uint32_t> words;
    std::vector<uint64_t> draws;
    for (int64_t b = lo; b < hi; ++b) {
      if (start[b + 1] - start[b] < 2) continue;
      ShuffleDraws(plan.stream, start[b], start[b + 1], words, draws);
      ShuffleRange(perm, start[b], start[b + 1], draws);
    }
  });
  if constexpr (!std::is_same_v<T, int64_t>) {
    T* out = static_cast<T*>(plan.out);
    ParallelFor(0, n, kElementwiseGrainSize, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) out[i] = FromInt64<T>(perm[i]);
    });
  }
}

// ---- registration
// ----------------------------------------------------------------

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

#endif  // HWY_ONCE
