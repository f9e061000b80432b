// File: torch/core/philox.h
//
// Philox4x32-10, the counter-based random number generator that cuRAND's
// `curandStatePhilox4_32_10_t` and PyTorch's CUDA random kernels use, plus the
// helpers that turn its output into uniform and normal floating-point values.
// Everything here is header-only, `constexpr` where the language allows it,
// and marked `TCH_HOST_DEVICE`, so one definition serves CPU kernels today
// and CUDA kernels later, and both produce bit-identical integer streams.
//
// Why counter-based: a Philox block is a pure function of a 128-bit counter
// and a 64-bit key; there is no state that must be advanced in sequence. A
// random op asks its `tch::Generator` for a range of blocks once
// (`Generator::ReserveBlocks`) and then element `i` of its output is computed
// from block `start + i / 4`, word `i % 4`. The value at element `i` therefore
// depends only on (seed, offset, i): it is the same whether the op runs on one
// thread, on sixteen, or on a GPU, and however the elements are split among
// them.
//
// Layout conventions (the same as `curand_init(seed, subsequence, offset)` and
// PyTorch's `at::PhiloxCudaState`):
//   * key:     x[0] = low 32 bits of the seed, x[1] = high 32 bits.
//   * counter: x[0], x[1] = a 64-bit block offset (low word first),
//              x[2], x[3] = a 64-bit subsequence (low word first).
//     One block yields four 32-bit outputs, so block offset `b` corresponds to
//     cuRAND's `offset = 4 * b`. CPU kernels use subsequence 0 and put the
//     element's block index in the offset words.
//
// Example (the uniform values for elements [0, n) of one op):
//
//   const tch::PhiloxKey key = tch::PhiloxKeyFromSeed(seed);
//   const tch::PhiloxCounter base = tch::PhiloxCounterFor(0, start_block);
//   for (int64_t i = 0; i < n; ++i) {
//     const tch::PhiloxBlock block =
//         tch::Philox4x32_10(tch::PhiloxAdvance(base, i / 4), key);
//     out[i] = tch::Uint32ToUniformFloat(block.x[i % 4]);
//   }
//
// (A real kernel computes each block once and uses all four words.)
//
// Reference: J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw, "Parallel
// Random Numbers: As Easy as 1, 2, 3", SC'11. The known-answer vectors in
// philox_test.cc come from the Random123 distribution's `kat_vectors`.
#pragma once

#include <cmath>
#include <cstdint>

// Marks a function as callable from both host and CUDA device code. Empty in
// host-only compilations.
#ifndef TCH_HOST_DEVICE
#if defined(__CUDACC__)
#define TCH_HOST_DEVICE __host__ __device__
#else
#define TCH_HOST_DEVICE
#endif
#endif

namespace tch {

// The 128-bit Philox counter as four 32-bit words, least significant first.
struct PhiloxCounter {
  uint32_t x[4];
};

// The 64-bit Philox key as two 32-bit words, least significant first.
struct PhiloxKey {
  uint32_t x[2];
};

// One Philox output block: four independent, uniformly distributed 32-bit
// words.
struct PhiloxBlock {
  uint32_t x[4];
};

// A pair of values from one Box-Muller transform.
struct FloatPair {
  float first;
  float second;
};
struct DoublePair {
  double first;
  double second;
};

// Round multipliers of Philox4x32 (Salmon et al., table 2).
inline constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
inline constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
// Weyl-sequence increments added to the key words between rounds (the golden
// ratio and sqrt(3) - 1, as 32-bit fractions).
inline constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;
inline constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;
// Number of rounds of the Philox4x32-10 variant.
inline constexpr int kPhiloxRounds = 10;

namespace philox_internal {

// The high and low halves of the 64-bit product `a * b`.
struct HiLo {
  uint32_t hi;
  uint32_t lo;
};

TCH_HOST_DEVICE constexpr HiLo MulHiLo(uint32_t a, uint32_t b) {
  const uint64_t product = static_cast<uint64_t>(a) * b;
  return HiLo{static_cast<uint32_t>(product >> 32),
              static_cast<uint32_t>(product)};
}

// One Philox S-box round: two multiplications feeding a Feistel-like
// permutation of the four words.
TCH_HOST_DEVICE constexpr PhiloxCounter Round(PhiloxCounter c, PhiloxKey k) {
  const HiLo p0 = MulHiLo(kPhiloxM0, c.x[0]);
  const HiLo p1 = MulHiLo(kPhiloxM1, c.x[2]);
  return PhiloxCounter{
      {p1.hi ^ c.x[1] ^ k.x[0], p1.lo, p0.hi ^ c.x[3] ^ k.x[1], p0.lo}};
}

// The key schedule: the round key for round r + 1 from the one for round r.
TCH_HOST_DEVICE constexpr PhiloxKey BumpKey(PhiloxKey k) {
  return PhiloxKey{{k.x[0] + kPhiloxW0, k.x[1] + kPhiloxW1}};
}

}  // namespace philox_internal

// Returns the Philox4x32-10 block for `counter` under `key`. A pure function:
// equal arguments give equal results on every platform and device.
TCH_HOST_DEVICE constexpr PhiloxBlock Philox4x32_10(PhiloxCounter counter,
                                                    PhiloxKey key) {
  counter = philox_internal::Round(counter, key);
  for (int round = 1; round < kPhiloxRounds; ++round) {
    key = philox_internal::BumpKey(key);
    counter = philox_internal::Round(counter, key);
  }
  return PhiloxBlock{{counter.x[0], counter.x[1], counter.x[2], counter.x[3]}};
}

// Returns the key for a 64-bit seed: the low 32 bits in x[0] and the high 32
// bits in x[1], as `curand_init` does.
TCH_HOST_DEVICE constexpr PhiloxKey PhiloxKeyFromSeed(uint64_t seed) {
  return PhiloxKey{
      {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)}};
}

// Returns the counter for `subsequence` and `block_offset`: words 0 and 1 hold
// `block_offset`, words 2 and 3 hold `subsequence`, each low word first. This
// is the counter `curand_init(seed, subsequence, 4 * block_offset, &state)`
// starts from; `block_offset` counts 128-bit blocks (four 32-bit outputs).
TCH_HOST_DEVICE constexpr PhiloxCounter PhiloxCounterFor(
    uint64_t subsequence, uint64_t block_offset) {
  return PhiloxCounter{{static_cast<uint32_t>(block_offset),
                        static_cast<uint32_t>(block_offset >> 32),
                        static_cast<uint32_t>(subsequence),
                        static_cast<uint32_t>(subsequence >> 32)}};
}

// Returns `counter + n_blocks` as a 128-bit integer, carrying from the offset
// words into the subsequence words and wrapping modulo 2^128 (cuRAND's
// skipahead by `4 * n_blocks` outputs does the same).
TCH_HOST_DEVICE constexpr PhiloxCounter PhiloxAdvance(PhiloxCounter counter,
                                                      uint64_t n_blocks) {
  uint64_t carry = n_blocks;
  for (int i = 0; i < 4 && carry != 0; ++i) {
    const uint64_t sum =
        static_cast<uint64_t>(counter.x[i]) + static_cast<uint32_t>(carry);
    counter.x[i] = static_cast<uint32_t>(sum);
    carry = (carry >> 32) + (sum >> 32);
  }
  return counter;
}

// Returns the 32-bit word that element `index` of a stream draws: word
// `index % 4` of the block at `PhiloxCounterFor(subsequence, block_offset)`
// advanced by `index / 4`. This is the element-to-block mapping every tch
// random kernel follows; kernels compute each block once instead of calling
// this per element.
TCH_HOST_DEVICE constexpr uint32_t PhiloxWordAt(PhiloxKey key,
                                                uint64_t subsequence,
                                                uint64_t block_offset,
                                                uint64_t index) {
  const PhiloxCounter counter =
      PhiloxAdvance(PhiloxCounterFor(subsequence, block_offset), index / 4);
  return Philox4x32_10(counter, key).x[index % 4];
}

// Maps a random word to a float uniform on [0, 1) using its top 24 bits:
// `(x >> 8) * 2^-24`. Every result is exactly representable; 0 maps to 0 and
// 0xFFFFFFFF maps to 1 - 2^-24, the largest float below 1.
TCH_HOST_DEVICE constexpr float Uint32ToUniformFloat(uint32_t x) {
  return static_cast<float>(x >> 8) * (1.0f / 16777216.0f);
}

// Returns the 64-bit integer whose low half is `lo` and high half is `hi`.
TCH_HOST_DEVICE constexpr uint64_t WordsToUint64(uint32_t lo, uint32_t hi) {
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

// Maps a random 64-bit value to a double uniform on [0, 1) using its top 53
// bits: `(x >> 11) * 2^-53`. 0 maps to 0 and UINT64_MAX maps to 1 - 2^-53.
TCH_HOST_DEVICE constexpr double Uint64ToUniformDouble(uint64_t x) {
  return static_cast<double>(x >> 11) * (1.0 / 9007199254740992.0);
}

// Box-Muller transform of two random words into two independent standard
// normal floats. `a` supplies the radius through u1 = ((a >> 8) + 1) * 2^-24,
// which lies in (0, 1] so the logarithm is finite; `b` supplies the angle
// through u2 = (b >> 8) * 2^-24 in [0, 1). The radius is at most
// sqrt(48 ln 2) ~= 5.77, so |result| never exceeds that.
// Convention for kernels: block words (x[0], x[1]) give elements 4k and
// 4k + 1, words (x[2], x[3]) give elements 4k + 2 and 4k + 3.
// The integer inputs are identical on host and device; the results agree only
// to the accuracy of each platform's log, sqrt, sin and cos (a few ulps).
TCH_HOST_DEVICE inline FloatPair BoxMullerFloat(uint32_t a, uint32_t b) {
  constexpr float kTwoPi = 6.283185307179586f;
  const float u1 = static_cast<float>((a >> 8) + 1) * (1.0f / 16777216.0f);
  const float u2 = Uint32ToUniformFloat(b);
  const float radius = std::sqrt(-2.0f * std::log(u1));
  const float theta = kTwoPi * u2;
  return FloatPair{radius * std::cos(theta), radius * std::sin(theta)};
}

// Box-Muller transform in double precision: `a` and `b` are 64-bit random
// values (for example `WordsToUint64(block.x[0], block.x[1])`); u1 uses the
// top 53 bits of `a` shifted into (0, 1], u2 the top 53 bits of `b` on
// [0, 1). |result| never exceeds sqrt(106 ln 2) ~= 8.57.
TCH_HOST_DEVICE inline DoublePair BoxMullerDouble(uint64_t a, uint64_t b) {
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  const double u1 =
      static_cast<double>((a >> 11) + 1) * (1.0 / 9007199254740992.0);
  const double u2 = Uint64ToUniformDouble(b);
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double theta = kTwoPi * u2;
  return DoublePair{radius * std::cos(theta), radius * std::sin(theta)};
}

}  // namespace tch
