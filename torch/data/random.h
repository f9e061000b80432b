// File: torch/data/random.h
//
// Counter-based randomness for the data library (internal): every random
// choice is a pure function of a few integers (seed, epoch, example index),
// so results do not depend on threads, prefetch or the order of calls.
// SplitMix64 (Steele et al. 2014) is the mixer: fast and well distributed.
//
// Example:
//   tch::data::Rng rng(tch::data::HashCombine(seed, epoch));
//   int64_t j = rng.UniformInt(n);  // uniform in [0, n)
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

namespace tch::data {

inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A hash of the ordered pair (a, b).
inline uint64_t HashCombine(uint64_t a, uint64_t b) {
  return SplitMix64(SplitMix64(a) ^ (b + 0x632BE59BD9B4E019ull));
}

// A SplitMix64 stream.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    const uint64_t out = SplitMix64(state_);
    state_ += 0x9E3779B97F4A7C15ull;
    return out;
  }

  // Uniform in [0, n) for n >= 1 (Lemire's multiply-shift; bias < n / 2^64).
  int64_t UniformInt(int64_t n) {
    const unsigned __int128 product =
        static_cast<unsigned __int128>(Next()) * static_cast<uint64_t>(n);
    return static_cast<int64_t>(product >> 64);
  }

  // Uniform in (0, 1]: never 0, so log() is finite.
  double UniformOpen() {
    return (static_cast<double>(Next() >> 11) + 1.0) * 0x1.0p-53;
  }

  // Standard normal (Box-Muller, one value per call).
  double Normal() {
    const double r = std::sqrt(-2.0 * std::log(UniformOpen()));
    return r * std::cos(2.0 * std::numbers::pi * UniformOpen());
  }

 private:
  uint64_t state_;
};

}  // namespace tch::data
