// Tests for torch/core/philox.h and torch/core/generator.h.
#include "torch/core/philox.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "torch/core/error.h"
#include "torch/core/generator.h"

namespace tch {
namespace {

// ---------------------------------------------------------------------------
// Helpers.

// Fills out[begin, end) of the uniform-float stream whose element i comes from
// block `start + i / 4`, word `i % 4`. Each block is computed once.
void FillUniformRange(PhiloxKey key, uint64_t start, int64_t begin, int64_t end,
                      float* out) {
  PhiloxBlock block{};
  for (int64_t i = begin; i < end; ++i) {
    if (i == begin || i % 4 == 0) {
      block = Philox4x32_10(PhiloxCounterFor(/*subsequence=*/0, start + i / 4),
                            key);
    }
    out[i] = Uint32ToUniformFloat(block.x[i % 4]);
  }
}

// Fills out[begin, end) of the standard-normal stream: block `start + i / 4`,
// words (x[0], x[1]) for elements 4k, 4k + 1 and (x[2], x[3]) for 4k + 2,
// 4k + 3.
void FillNormalRange(PhiloxKey key, uint64_t start, int64_t begin, int64_t end,
                     float* out) {
  for (int64_t i = begin; i < end; ++i) {
    const PhiloxBlock block =
        Philox4x32_10(PhiloxCounterFor(0, start + i / 4), key);
    const int pair = static_cast<int>(i % 4) / 2;
    const FloatPair z =
        BoxMullerFloat(block.x[2 * pair], block.x[2 * pair + 1]);
    out[i] = (i % 2 == 0) ? z.first : z.second;
  }
}

// One "random op": reserves the blocks for n uniforms from `gen` and returns
// them.
std::vector<float> DrawUniform(Generator& gen, int64_t n) {
  const Generator::Reservation r = gen.Reserve((n + 3) / 4);
  std::vector<float> out(n);
  FillUniformRange(PhiloxKeyFromSeed(r.seed), r.start_offset, 0, n, out.data());
  return out;
}

std::vector<float> DrawNormal(Generator& gen, int64_t n) {
  const Generator::Reservation r = gen.Reserve((n + 3) / 4);
  std::vector<float> out(n);
  FillNormalRange(PhiloxKeyFromSeed(r.seed), r.start_offset, 0, n, out.data());
  return out;
}

// Calls gen.SetState(state), expecting a tch::ValueError; returns its message.
std::string SetStateError(Generator& gen, const std::vector<uint8_t>& state) {
  try {
    gen.SetState(state);
  } catch (const ValueError& e) {
    return e.what();
  }
  ADD_FAILURE() << "SetState accepted a malformed state";
  return "";
}

::testing::AssertionResult HasSubstr(const std::string& text,
                                     const std::string& part) {
  if (text.find(part) != std::string::npos) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "'" << text << "' does not contain '" << part << "'";
}

struct Moments {
  double mean;
  double variance;
};

template <typename T>
Moments ComputeMoments(const std::vector<T>& values) {
  double sum = 0.0;
  for (T v : values) sum += v;
  const double mean = sum / values.size();
  double sq = 0.0;
  for (T v : values) sq += (v - mean) * (v - mean);
  return Moments{mean, sq / (values.size() - 1)};
}

// ---------------------------------------------------------------------------
// Philox4x32-10 known answers.
//
// From the Random123 distribution's tests/kat_vectors (D. E. Shaw Research),
// lines "philox4x32 10 CTR[4] KEY[2] EXPECTED[4]":
//   00000000 00000000 00000000 00000000  00000000 00000000
//     -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8
//   ffffffff ffffffff ffffffff ffffffff  ffffffff ffffffff
//     -> 408f276d 41c83b0e a20bc7c6 6d5451fd
//   243f6a88 85a308d3 13198a2e 03707344  a4093822 299f31d0
//     -> d16cfe09 94fdcceb 5001e420 24126ea1

struct KnownAnswer {
  PhiloxCounter counter;
  PhiloxKey key;
  PhiloxBlock expected;
};

constexpr KnownAnswer kKnownAnswers[] = {
    {{{0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u}},
     {{0x00000000u, 0x00000000u}},
     {{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}}},
    {{{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}},
     {{0xffffffffu, 0xffffffffu}},
     {{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}}},
    {{{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}},
     {{0xa4093822u, 0x299f31d0u}},
     {{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}}},
};

constexpr bool MatchesKnownAnswer(const KnownAnswer& kat) {
  const PhiloxBlock out = Philox4x32_10(kat.counter, kat.key);
  for (int i = 0; i < 4; ++i) {
    if (out.x[i] != kat.expected.x[i]) return false;
  }
  return true;
}

// Philox is usable in constant expressions.
static_assert(MatchesKnownAnswer(kKnownAnswers[0]));
static_assert(MatchesKnownAnswer(kKnownAnswers[1]));
static_assert(MatchesKnownAnswer(kKnownAnswers[2]));

TEST(PhiloxTest, Random123KnownAnswers) {
  for (const KnownAnswer& kat : kKnownAnswers) {
    const PhiloxBlock out = Philox4x32_10(kat.counter, kat.key);
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(out.x[i], kat.expected.x[i]) << "word " << i;
    }
  }
}

// ---------------------------------------------------------------------------
// Key and counter layout.

TEST(PhiloxTest, KeyFromSeedSplitsLowHigh) {
  const PhiloxKey key = PhiloxKeyFromSeed(0x0123456789abcdefull);
  EXPECT_EQ(key.x[0], 0x89abcdefu);
  EXPECT_EQ(key.x[1], 0x01234567u);
}

TEST(PhiloxTest, CounterForPutsOffsetLowAndSubsequenceHigh) {
  const PhiloxCounter c =
      PhiloxCounterFor(/*subsequence=*/0x0011223344556677ull,
                       /*block_offset=*/0x8899aabbccddeeffull);
  EXPECT_EQ(c.x[0], 0xccddeeffu);
  EXPECT_EQ(c.x[1], 0x8899aabbu);
  EXPECT_EQ(c.x[2], 0x44556677u);
  EXPECT_EQ(c.x[3], 0x00112233u);
}

void ExpectCounterEq(const PhiloxCounter& actual,
                     const PhiloxCounter& expected) {
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(actual.x[i], expected.x[i]) << "word " << i;
  }
}

TEST(PhiloxTest, AdvanceCarriesAcrossAllWords) {
  ExpectCounterEq(PhiloxAdvance({{5, 0, 0, 0}}, 0), {{5, 0, 0, 0}});
  ExpectCounterEq(PhiloxAdvance({{0xfffffffeu, 0, 0, 0}}, 3), {{1, 1, 0, 0}});
  ExpectCounterEq(PhiloxAdvance({{7, 0, 0, 0}}, 0x100000000ull),
                  {{7, 1, 0, 0}});
  ExpectCounterEq(
      PhiloxAdvance({{0xffffffffu, 0xffffffffu, 0xffffffffu, 0}}, 1),
      {{0, 0, 0, 1}});
  ExpectCounterEq(
      PhiloxAdvance({{1, 0, 0, 0}}, std::numeric_limits<uint64_t>::max()),
      {{0, 0, 1, 0}});
  ExpectCounterEq(
      PhiloxAdvance({{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}}, 2),
      {{1, 0, 0, 0}});  // Wraps modulo 2^128.
  // Advancing equals starting at the later offset.
  ExpectCounterEq(PhiloxAdvance(PhiloxCounterFor(9, 1000), 234),
                  PhiloxCounterFor(9, 1234));
}

TEST(PhiloxTest, WordAtFollowsBlockMapping) {
  const PhiloxKey key = PhiloxKeyFromSeed(2024);
  for (uint64_t i = 0; i < 64; ++i) {
    const PhiloxBlock block =
        Philox4x32_10(PhiloxCounterFor(3, 10 + i / 4), key);
    EXPECT_EQ(PhiloxWordAt(key, 3, 10, i), block.x[i % 4]) << i;
    // Element i + 4 from offset 10 is element i from offset 11.
    EXPECT_EQ(PhiloxWordAt(key, 3, 10, i + 4), PhiloxWordAt(key, 3, 11, i));
  }
  // Subsequences are distinct streams.
  EXPECT_NE(PhiloxWordAt(key, 0, 0, 0), PhiloxWordAt(key, 1, 0, 0));
}

// ---------------------------------------------------------------------------
// Conversions.

TEST(PhiloxTest, UniformFloatBounds) {
  EXPECT_EQ(Uint32ToUniformFloat(0u), 0.0f);
  EXPECT_EQ(Uint32ToUniformFloat(0xffu), 0.0f);  // Low 8 bits are dropped.
  EXPECT_EQ(Uint32ToUniformFloat(0x100u), std::ldexp(1.0f, -24));
  EXPECT_EQ(Uint32ToUniformFloat(0x80000000u), 0.5f);
  const float top = Uint32ToUniformFloat(0xffffffffu);
  EXPECT_LT(top, 1.0f);
  EXPECT_EQ(top, std::nextafter(1.0f, 0.0f));
  EXPECT_EQ(top, 1.0f - std::ldexp(1.0f, -24));
}

TEST(PhiloxTest, UniformDoubleBounds) {
  EXPECT_EQ(WordsToUint64(0x89abcdefu, 0x01234567u), 0x0123456789abcdefull);
  EXPECT_EQ(Uint64ToUniformDouble(0), 0.0);
  EXPECT_EQ(Uint64ToUniformDouble(0x7ffull), 0.0);  // Low 11 bits dropped.
  EXPECT_EQ(Uint64ToUniformDouble(0x800ull), std::ldexp(1.0, -53));
  EXPECT_EQ(Uint64ToUniformDouble(0x8000000000000000ull), 0.5);
  const double top =
      Uint64ToUniformDouble(std::numeric_limits<uint64_t>::max());
  EXPECT_LT(top, 1.0);
  EXPECT_EQ(top, std::nextafter(1.0, 0.0));
}

TEST(PhiloxTest, BoxMullerFloatExtremes) {
  // a = max: u1 = 1, radius 0.
  FloatPair z = BoxMullerFloat(0xffffffffu, 0x12345678u);
  EXPECT_EQ(z.first, 0.0f);
  EXPECT_EQ(z.second, 0.0f);
  // a = 0: u1 = 2^-24, the largest radius sqrt(48 ln 2); b = 0: angle 0.
  z = BoxMullerFloat(0u, 0u);
  EXPECT_NEAR(z.first, std::sqrt(48.0 * std::log(2.0)), 1e-5);
  EXPECT_EQ(z.second, 0.0f);
  // b = 2^30: a quarter turn.
  z = BoxMullerFloat(0u, 0x40000000u);
  EXPECT_NEAR(z.first, 0.0, 1e-5);
  EXPECT_NEAR(z.second, std::sqrt(48.0 * std::log(2.0)), 1e-5);
}

TEST(PhiloxTest, BoxMullerDoubleExtremes) {
  DoublePair z = BoxMullerDouble(std::numeric_limits<uint64_t>::max(), 77);
  EXPECT_EQ(z.first, 0.0);
  EXPECT_EQ(z.second, 0.0);
  z = BoxMullerDouble(0, 0x4000000000000000ull);  // Quarter turn.
  EXPECT_NEAR(z.first, 0.0, 1e-12);
  EXPECT_NEAR(z.second, std::sqrt(106.0 * std::log(2.0)), 1e-12);
}

// ---------------------------------------------------------------------------
// Generator: seed, offset, reservations.

TEST(GeneratorTest, DefaultSeedMatchesPyTorch) {
  Generator gen;
  EXPECT_EQ(gen.seed(), 67280421310721ull);
  EXPECT_EQ(gen.offset(), 0u);
}

TEST(GeneratorTest, ReserveBlocksAdvancesOffset) {
  Generator gen(42);
  EXPECT_EQ(gen.ReserveBlocks(5), 0u);
  EXPECT_EQ(gen.offset(), 5u);
  EXPECT_EQ(gen.ReserveBlocks(0), 5u);  // No-op.
  EXPECT_EQ(gen.offset(), 5u);
  EXPECT_EQ(gen.ReserveBlocks(3), 5u);
  EXPECT_EQ(gen.offset(), 8u);
  const Generator::Reservation r = gen.Reserve(2);
  EXPECT_EQ(r.seed, 42u);
  EXPECT_EQ(r.start_offset, 8u);
  EXPECT_EQ(gen.offset(), 10u);

  gen.set_offset(100);
  EXPECT_EQ(gen.seed(), 42u);
  EXPECT_EQ(gen.ReserveBlocks(1), 100u);

  gen.set_seed(7);  // Resets the offset.
  EXPECT_EQ(gen.seed(), 7u);
  EXPECT_EQ(gen.offset(), 0u);
}

TEST(GeneratorTest, ReserveBlocksRejectsOverflow) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  Generator gen(1);
  gen.set_offset(kMax - 2);
  EXPECT_EQ(gen.ReserveBlocks(2), kMax - 2);
  EXPECT_EQ(gen.offset(), kMax);
  try {
    gen.ReserveBlocks(1);
    ADD_FAILURE() << "expected tch::ValueError";
  } catch (const ValueError& e) {
    EXPECT_TRUE(HasSubstr(e.what(), "overflow"));
  }
  EXPECT_EQ(gen.offset(), kMax);  // Unchanged.
}

TEST(GeneratorTest, ConcurrentReservationsAreDisjoint) {
  Generator gen(3);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 2000;
  std::vector<std::vector<std::pair<uint64_t, uint64_t>>> ranges(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&gen, &ranges, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const uint64_t n = static_cast<uint64_t>((t + i) % 7);
        ranges[t].emplace_back(gen.ReserveBlocks(n), n);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::vector<std::pair<uint64_t, uint64_t>> all;
  uint64_t total = 0;
  for (const auto& r : ranges) {
    for (const auto& [start, n] : r) {
      total += n;
      if (n > 0) all.emplace_back(start, n);
    }
  }
  std::sort(all.begin(), all.end());
  uint64_t expected_start = 0;
  for (const auto& [start, n] : all) {
    ASSERT_EQ(start, expected_start);
    expected_start += n;
  }
  EXPECT_EQ(expected_start, total);
  EXPECT_EQ(gen.offset(), total);
}

TEST(GeneratorTest, DefaultCpuGeneratorIsOneInstance) {
  Generator& a = DefaultCpuGenerator();
  Generator& b = DefaultCpuGenerator();
  EXPECT_EQ(&a, &b);
  const std::vector<uint8_t> saved = a.GetState();
  a.set_seed(99);
  EXPECT_EQ(b.seed(), 99u);
  a.SetState(saved);
}

// ---------------------------------------------------------------------------
// Generator: state save and restore.

TEST(GeneratorTest, StateLayoutIsFixedLittleEndian) {
  Generator gen(0x0102030405060708ull);
  gen.set_offset(0x1112131415161718ull);
  const std::vector<uint8_t> expected = {
      'T',  'C',  'H',  'G',  1,    0,    0,    0,     // magic, version
      0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,  // seed
      0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11,  // offset
  };
  EXPECT_EQ(gen.GetState(), expected);
  EXPECT_EQ(expected.size(), Generator::kStateSize);
}

TEST(GeneratorTest, SaveRestoreReplaysStream) {
  Generator gen(123456789);
  DrawUniform(gen, 37);  // Move away from offset 0.
  const std::vector<uint8_t> saved = gen.GetState();
  const uint64_t saved_offset = gen.offset();

  const std::vector<float> u1 = DrawUniform(gen, 1001);
  const std::vector<float> n1 = DrawNormal(gen, 502);
  const std::vector<float> u2 = DrawUniform(gen, 3);
  const uint64_t end_offset = gen.offset();

  gen.SetState(saved);
  EXPECT_EQ(DrawUniform(gen, 1001), u1);
  EXPECT_EQ(DrawNormal(gen, 502), n1);
  EXPECT_EQ(DrawUniform(gen, 3), u2);
  EXPECT_EQ(gen.offset(), end_offset);

  // A different generator restored from the same bytes continues identically.
  Generator other(1);
  other.SetState(saved);
  EXPECT_EQ(other.seed(), 123456789u);
  EXPECT_EQ(DrawUniform(other, 1001), u1);

  // A different seed at the same offset gives a different stream.
  Generator reseeded(123456790);
  reseeded.set_offset(saved_offset);
  EXPECT_NE(DrawUniform(reseeded, 1001), u1);
}

TEST(GeneratorTest, SetStateRejectsWrongSize) {
  Generator gen(5);
  gen.set_offset(17);
  const std::vector<uint8_t> good = Generator(8).GetState();

  std::string msg = SetStateError(gen, {});
  EXPECT_TRUE(HasSubstr(msg, "Generator::SetState"));
  EXPECT_TRUE(HasSubstr(msg, "0 bytes"));
  EXPECT_TRUE(HasSubstr(msg, "too short"));

  std::vector<uint8_t> truncated(good.begin(), good.end() - 1);
  msg = SetStateError(gen, truncated);
  EXPECT_TRUE(HasSubstr(msg, "23 bytes"));
  EXPECT_TRUE(HasSubstr(msg, "version 1 states have 24"));

  std::vector<uint8_t> padded = good;
  padded.push_back(0);
  msg = SetStateError(gen, padded);
  EXPECT_TRUE(HasSubstr(msg, "25 bytes"));

  // Failed calls leave the generator unchanged.
  EXPECT_EQ(gen.seed(), 5u);
  EXPECT_EQ(gen.offset(), 17u);
}

TEST(GeneratorTest, SetStateRejectsBadMagic) {
  Generator gen(5);
  std::vector<uint8_t> state = gen.GetState();
  state[3] = 'X';
  const std::string msg = SetStateError(gen, state);
  EXPECT_TRUE(HasSubstr(msg, "bad magic"));
  EXPECT_TRUE(HasSubstr(msg, "\"TCHG\""));
  EXPECT_TRUE(HasSubstr(msg, "54 43 48 58"));
}

TEST(GeneratorTest, SetStateRejectsUnknownVersion) {
  Generator gen(5);
  std::vector<uint8_t> state = gen.GetState();
  state[4] = 2;  // A future version, which may also have another size.
  state.resize(40);
  std::string msg = SetStateError(gen, state);
  EXPECT_TRUE(HasSubstr(msg, "unsupported state version 2"));
  EXPECT_TRUE(HasSubstr(msg, "reads version 1"));

  state = gen.GetState();
  state[7] = 1;  // Version 2^24 + 1: all four bytes are read.
  msg = SetStateError(gen, state);
  EXPECT_TRUE(HasSubstr(msg, "unsupported state version 16777217"));
}

// ---------------------------------------------------------------------------
// Thread-count independence.

TEST(GeneratorTest, SplittingAcrossThreadsGivesSameValues) {
  constexpr int64_t kN = 10007;
  Generator gen(31337);
  gen.ReserveBlocks(11);
  const std::vector<uint8_t> saved = gen.GetState();
  const std::vector<float> one_pass = DrawUniform(gen, kN);

  // Reference: the element-wise definition.
  const PhiloxKey key = PhiloxKeyFromSeed(31337);
  for (int64_t i = 0; i < kN; i += 97) {
    EXPECT_EQ(one_pass[i], Uint32ToUniformFloat(PhiloxWordAt(key, 0, 11, i)));
  }

  for (int n_threads : {2, 3, 5, 8}) {
    gen.SetState(saved);
    const Generator::Reservation r = gen.Reserve((kN + 3) / 4);
    std::vector<float> out(kN);
    std::vector<float> normals(kN);
    std::vector<std::thread> threads;
    // Chunk boundaries at arbitrary elements, not block boundaries.
    for (int t = 0; t < n_threads; ++t) {
      const int64_t begin = kN * t / n_threads;
      const int64_t end = kN * (t + 1) / n_threads;
      threads.emplace_back([&, begin, end] {
        FillUniformRange(PhiloxKeyFromSeed(r.seed), r.start_offset, begin, end,
                         out.data());
        FillNormalRange(PhiloxKeyFromSeed(r.seed), r.start_offset, begin, end,
                        normals.data());
      });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(std::memcmp(out.data(), one_pass.data(), kN * sizeof(float)), 0)
        << n_threads << " threads";

    std::vector<float> normals_one_pass(kN);
    FillNormalRange(PhiloxKeyFromSeed(r.seed), r.start_offset, 0, kN,
                    normals_one_pass.data());
    EXPECT_EQ(normals, normals_one_pass) << n_threads << " threads";
  }
}

// ---------------------------------------------------------------------------
// Statistical sanity. With n = 1e6 the bounds below are about five standard
// errors wide; the seed is fixed, so the test is deterministic.

constexpr int64_t kSamples = 1000000;

TEST(PhiloxStatsTest, UniformFloatMoments) {
  Generator gen(20240601);
  const std::vector<float> u = DrawUniform(gen, kSamples);
  for (float v : u) {
    ASSERT_GE(v, 0.0f);
    ASSERT_LT(v, 1.0f);
  }
  const Moments m = ComputeMoments(u);
  EXPECT_NEAR(m.mean, 0.5, 1.5e-3);           // SE 2.9e-4.
  EXPECT_NEAR(m.variance, 1.0 / 12.0, 4e-4);  // SE 7.5e-5.

  // 64-bin chi-square, 63 degrees of freedom: mean 63, sd 11.2.
  std::vector<int64_t> bins(64, 0);
  for (float v : u) ++bins[static_cast<int>(v * 64)];
  const double expected = static_cast<double>(kSamples) / 64;
  double chi2 = 0.0;
  for (int64_t count : bins) {
    chi2 += (count - expected) * (count - expected) / expected;
  }
  EXPECT_LT(chi2, 120.0);

  // Lag-1 correlation (catches word-mapping mistakes); SE 1e-3.
  double cov = 0.0;
  for (int64_t i = 0; i + 1 < kSamples; ++i) {
    cov += (u[i] - m.mean) * (u[i + 1] - m.mean);
  }
  EXPECT_NEAR(cov / (kSamples - 1) / m.variance, 0.0, 5e-3);
}

TEST(PhiloxStatsTest, UniformDoubleMoments) {
  const PhiloxKey key = PhiloxKeyFromSeed(77);
  std::vector<double> u;
  u.reserve(kSamples);
  for (int64_t b = 0; b < kSamples / 2; ++b) {
    const PhiloxBlock block = Philox4x32_10(PhiloxCounterFor(0, b), key);
    u.push_back(Uint64ToUniformDouble(WordsToUint64(block.x[0], block.x[1])));
    u.push_back(Uint64ToUniformDouble(WordsToUint64(block.x[2], block.x[3])));
  }
  for (double v : u) {
    ASSERT_GE(v, 0.0);
    ASSERT_LT(v, 1.0);
  }
  const Moments m = ComputeMoments(u);
  EXPECT_NEAR(m.mean, 0.5, 1.5e-3);
  EXPECT_NEAR(m.variance, 1.0 / 12.0, 4e-4);
}

TEST(PhiloxStatsTest, NormalFloatMoments) {
  Generator gen(99);
  const std::vector<float> z = DrawNormal(gen, kSamples);
  const Moments m = ComputeMoments(z);
  EXPECT_NEAR(m.mean, 0.0, 5e-3);      // SE 1e-3.
  EXPECT_NEAR(m.variance, 1.0, 7e-3);  // SE 1.4e-3.

  int64_t within_one = 0;
  double max_abs = 0.0;
  for (float v : z) {
    ASSERT_TRUE(std::isfinite(v));
    if (std::fabs(v) < 1.0f) ++within_one;
    max_abs = std::max(max_abs, static_cast<double>(std::fabs(v)));
  }
  // P(|Z| < 1) = erf(1 / sqrt(2)) = 0.682689; SE 4.7e-4.
  EXPECT_NEAR(static_cast<double>(within_one) / kSamples, 0.682689, 2.5e-3);
  EXPECT_LE(max_abs, std::sqrt(48.0 * std::log(2.0)) + 1e-4);
  EXPECT_GT(max_abs, 4.0);  // 1e6 normals reach |z| > 4 almost surely.
}

TEST(PhiloxStatsTest, NormalDoubleMoments) {
  const PhiloxKey key = PhiloxKeyFromSeed(1234);
  std::vector<double> z;
  z.reserve(kSamples);
  for (int64_t b = 0; b < kSamples / 2; ++b) {
    const PhiloxBlock block = Philox4x32_10(PhiloxCounterFor(0, b), key);
    const DoublePair p = BoxMullerDouble(WordsToUint64(block.x[0], block.x[1]),
                                         WordsToUint64(block.x[2], block.x[3]));
    z.push_back(p.first);
    z.push_back(p.second);
  }
  const Moments m = ComputeMoments(z);
  EXPECT_NEAR(m.mean, 0.0, 5e-3);
  EXPECT_NEAR(m.variance, 1.0, 7e-3);
}

}  // namespace
}  // namespace tch
