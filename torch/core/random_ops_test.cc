// Random ops: the stream definition against an independent reference
// (tests/golden/random_golden.py: numpy Philox + PyTorch 1.13 for dropout's
// arithmetic), thread-count and layout invariance, generator state, statistical
// properties with tight bounds, and argument errors.
//
// Statistical tests use fixed seeds, so they are deterministic; their bounds
// are 5 standard deviations (or the 99.99% chi-square quantile), so a correct
// sampler fails none of them for any seed with overwhelming probability while
// a biased one (wrong scale, off-by-one range, skewed permutations) fails.
#include "torch/core/random_ops.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "hwy/highway.h"
#include "hwy/targets.h"
#include "torch/core/generator.h"
#include "torch/core/ops.h"
#include "torch/core/parallel.h"
#include "torch/testing/tensor_matchers.h"

namespace tch {
namespace {

using ::tch::testing::TensorsClose;
using ::tch::testing::TensorsEqual;
using ::testing::HasSubstr;

constexpr char kGoldenPath[] = "tests/golden/random.safetensors";

Tensor G(const std::string& name) {
  return tch::testing::GoldenTensor(kGoldenPath, name);
}

// Restores the thread count when a test ends.
class RandomOpsTest : public ::testing::Test {
 protected:
  void TearDown() override { SetNumThreads(saved_threads_); }
  int saved_threads_ = GetNumThreads();
};

// Expects `fn` to throw E with `substring` in its message.
template <typename E>
void ExpectError(const std::function<void()>& fn,
                 const std::string& substring) {
  try {
    fn();
    ADD_FAILURE() << "expected an exception containing \"" << substring << "\"";
  } catch (const E& e) {
    EXPECT_THAT(e.what(), HasSubstr(substring));
  }
}

// --- The stream definition against the reference
// ------------------------------------

TEST_F(RandomOpsTest, GoldenStreamFromIndependentPhilox) {
  Generator gen(static_cast<uint64_t>(G("params.seed").item<int64_t>()));
  gen.set_offset(static_cast<uint64_t>(G("params.offset").item<int64_t>()));
  // Same calls, same order as random_golden.py.
  EXPECT_TRUE(
      TensorsEqual(rand({3, 50}, DType::kFloat32, &gen), G("rand_f32.out")));
  EXPECT_TRUE(
      TensorsEqual(rand({41}, DType::kFloat64, &gen), G("rand_f64.out")));
  EXPECT_TRUE(
      TensorsEqual(rand({37}, DType::kFloat16, &gen), G("rand_f16.out")));
  EXPECT_TRUE(
      TensorsEqual(rand({37}, DType::kBFloat16, &gen), G("rand_bf16.out")));
  Tensor u = empty({64});
  uniform_(u, -2.0, 3.0, &gen);
  EXPECT_TRUE(TensorsEqual(u, G("uniform_f32.out")));
  // Box-Muller: the reference computes in float64; float32 log/cos/sin are
  // within a few ulps, and |z| <= 5.8.
  EXPECT_TRUE(TensorsClose(randn({2, 33}, DType::kFloat32, &gen),
                           G("randn_f32.out"), 1e-5, 2e-6));
  EXPECT_TRUE(TensorsClose(randn({9}, DType::kFloat64, &gen),
                           G("randn_f64.out"), 1e-13, 1e-14));
  EXPECT_TRUE(TensorsEqual(randint(-5, 7, {100}, DType::kInt64, &gen),
                           G("randint_narrow.out")));
  EXPECT_TRUE(TensorsEqual(
      randint(-1000000000000, 1000000000003, {50}, DType::kInt64, &gen),
      G("randint_wide.out")));
  EXPECT_TRUE(
      TensorsEqual(bernoulli(G("bernoulli.p"), &gen), G("bernoulli.out")));
  EXPECT_TRUE(
      TensorsEqual(randperm(10, DType::kInt64, &gen), G("randperm_10.out")));
  EXPECT_TRUE(TensorsEqual(randperm(5000, DType::kInt64, &gen),
                           G("randperm_5000.out")));
  DropoutResult d = dropout(G("dropout.x"), 0.3, true, &gen);
  EXPECT_TRUE(TensorsEqual(d.mask, G("dropout.mask")));
  EXPECT_TRUE(TensorsEqual(d.output, G("dropout.out")));
  EXPECT_EQ(gen.offset(),
            static_cast<uint64_t>(G("params.final_offset").item<int64_t>()));
}

TEST_F(RandomOpsTest, DropoutBackwardMatchesPyTorch) {
  const Tensor& mask = G("dropout_backward.mask");
  for (const char* name : {"f32", "f64", "f16", "bf16"}) {
    SCOPED_TRACE(name);
    const std::string prefix = std::string("dropout_backward_") + name;
    // Bit-exact: PyTorch rounds the scale to the grad's dtype first, as we do.
    EXPECT_TRUE(TensorsEqual(dropout_backward(G(prefix + ".grad"), mask, 0.4),
                             G(prefix + ".out")));
  }
}

TEST_F(RandomOpsTest, KernelsMatchPerElementReference) {
  // Large enough for many tiles; check elements at tile edges and inside.
  Generator gen(99);
  const int64_t n = 10007;
  gen.set_offset(123);
  const RandomStream s{PhiloxKeyFromSeed(99), 123};
  const std::vector<float> r =
      rand({n}, DType::kFloat32, &gen).ToVector<float>();
  gen.set_offset(123);
  const std::vector<float> z =
      randn({n}, DType::kFloat32, &gen).ToVector<float>();
  gen.set_offset(123);
  const std::vector<double> zd =
      randn({n}, DType::kFloat64, &gen).ToVector<double>();
  gen.set_offset(123);
  const std::vector<int64_t> wide =
      randint(0, int64_t{1} << 40, {n}, DType::kInt64, &gen)
          .ToVector<int64_t>();
  for (int64_t i :
       {0L, 1L, 2L, 3L, 511L, 512L, 513L, 4095L, 4096L, 5555L, n - 2, n - 1}) {
    SCOPED_TRACE(i);
    EXPECT_EQ(r[i], UniformFromUint32(RandomUint32At(s, i), 24));
    // SIMD log/sin/cos: a few ulps from the C library's.
    EXPECT_NEAR(z[i], NormalFloatAt(s, i), 4e-6 * (1 + std::fabs(z[i])));
    EXPECT_EQ(zd[i], NormalDoubleAt(s, i));
    EXPECT_EQ(wide[i], static_cast<int64_t>(BoundedFromUint64(
                           RandomUint64At(s, i), uint64_t{1} << 40)));
  }
}

TEST_F(RandomOpsTest, BernoulliThresholdMatchesTheRule) {
  for (double p : {0.0, 1e-12, 0.25, 0.3, 0.5, 0.7, 1 - 1e-12, 1.0,
                   std::nextafter(1.0, 0.0), 1.0 / 3}) {
    SCOPED_TRACE(p);
    const uint64_t t = BernoulliThreshold(p);
    EXPECT_LE(t, uint64_t{1} << 32);
    const double exact = p * 4294967296.0;
    for (int64_t d = -2; d <= 2; ++d) {
      const int64_t w64 = static_cast<int64_t>(std::floor(exact)) + d;
      if (w64 < 0 || w64 > 0xFFFFFFFFll) continue;
      const uint32_t w = static_cast<uint32_t>(w64);
      EXPECT_EQ(uint64_t{w} < t, BernoulliFromUint32(w, p)) << w;
    }
    EXPECT_EQ(uint64_t{0xFFFFFFFFu} < t, BernoulliFromUint32(0xFFFFFFFFu, p));
    EXPECT_EQ(uint64_t{0} < t, BernoulliFromUint32(0, p));
  }
}

// --- Thread count, chunking and layout invariance
// ---------------------------------------

// Runs make() under 1, 2 and 4 threads from the same generator state and
// expects bit-identical results.
void ExpectThreadInvariant(const std::function<Tensor(Generator*)>& make) {
  Generator gen(2024);
  gen.set_offset(5);
  const std::vector<uint8_t> state = gen.GetState();
  SetNumThreads(1);
  const Tensor expected = make(&gen);
  const uint64_t end_offset = gen.offset();
  for (int threads : {2, 4, 3}) {
    SCOPED_TRACE(threads);
    SetNumThreads(threads);
    gen.SetState(state);
    EXPECT_TRUE(TensorsEqual(make(&gen), expected));
    EXPECT_EQ(gen.offset(), end_offset);
  }
}

TEST_F(RandomOpsTest, BitIdenticalAcrossThreadCounts) {
  const int64_t n = 100003;  // many tiles, not a multiple of 4
  for (DType dtype :
       {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kBFloat16}) {
    SCOPED_TRACE(DTypeName(dtype));
    ExpectThreadInvariant([&](Generator* g) { return rand({n}, dtype, g); });
    ExpectThreadInvariant([&](Generator* g) { return randn({n}, dtype, g); });
    ExpectThreadInvariant(
        [&](Generator* g) { return bernoulli(full({n}, 0.3, dtype), g); });
    ExpectThreadInvariant([&](Generator* g) {
      return dropout(ones({n}, dtype), 0.4, true, g).output;
    });
  }
  ExpectThreadInvariant(
      [&](Generator* g) { return randint(-7, 100, {n}, DType::kInt64, g); });
  ExpectThreadInvariant([&](Generator* g) {
    return randint(0, int64_t{1} << 50, {n}, DType::kInt64, g);
  });
  ExpectThreadInvariant([&](Generator* g) {
    return bernoulli(zeros({n}, DType::kUInt8), 0.5, g);
  });
  ExpectThreadInvariant(
      [&](Generator* g) { return randperm(n, DType::kInt64, g); });
  ExpectThreadInvariant([&](Generator* g) {
    Tensor t = empty({301, 333}).t();  // non-contiguous
    normal_(t, 1.0, 2.0, g);
    return t.contiguous();
  });
}

TEST_F(RandomOpsTest, ElementIndexIsLogicalRowMajorPosition) {
  // Filling a transposed view gives the same logical values as a contiguous
  // tensor: element i is the i-th element in row-major order of the view.
  Generator gen(7);
  const std::vector<uint8_t> state = gen.GetState();
  const Tensor expected = rand({57, 91}, DType::kFloat32, &gen);
  for (int which = 0; which < 3; ++which) {
    gen.SetState(state);
    Tensor base = empty({91, 57 * (which == 2 ? 2 : 1)});
    Tensor view = which == 2 ? base.slice(1, 0, 114, 2).t() : base.t();
    if (which == 1) view = empty({57, 91});
    uniform_(view, 0.0, 1.0, &gen);
    EXPECT_TRUE(TensorsEqual(view.contiguous(), expected)) << which;
  }
  gen.SetState(state);
  const Tensor zexp = randn({57, 91}, DType::kFloat64, &gen);
  gen.SetState(state);
  Tensor zt = empty({91, 57}, DType::kFloat64).t();
  normal_(zt, 0.0, 1.0, &gen);
  EXPECT_TRUE(TensorsEqual(zt.contiguous(), zexp));
}

TEST_F(RandomOpsTest, NonContiguousAndBroadcastInputs) {
  Generator gen(11);
  // bernoulli over an expanded (stride-0) p equals bernoulli over its copy.
  const Tensor p = from_vector<float>({0.0f, 0.25f, 0.5f, 1.0f}).view({4, 1});
  const Tensor pe = p.expand({4, 300});
  const std::vector<uint8_t> state = gen.GetState();
  const Tensor a = bernoulli(pe, &gen);
  gen.SetState(state);
  EXPECT_TRUE(TensorsEqual(a, bernoulli(pe.contiguous(), &gen)));
  const std::vector<float> av = a.ToVector<float>();
  EXPECT_EQ(std::count(av.begin(), av.begin() + 300, 1.0f), 0);
  EXPECT_EQ(std::count(av.begin() + 900, av.end(), 1.0f), 300);
  // dropout of a transposed input equals dropout of its contiguous copy.
  const Tensor x = randn({40, 70}, DType::kFloat32, &gen).t();
  const std::vector<uint8_t> s2 = gen.GetState();
  const DropoutResult d1 = dropout(x, 0.5, true, &gen);
  gen.SetState(s2);
  const DropoutResult d2 = dropout(x.contiguous(), 0.5, true, &gen);
  EXPECT_TRUE(TensorsEqual(d1.output, d2.output));
  EXPECT_TRUE(TensorsEqual(d1.mask, d2.mask));
  // dropout_backward with a broadcast mask and a sliced grad.
  const Tensor g = randn({6, 10}, DType::kFloat32, &gen).slice(1, 0, 10, 2);
  const Tensor m =
      from_vector<bool>({true, false, true, true, false}).view({1, 5});
  const Tensor gb = dropout_backward(g, m, 0.5);
  EXPECT_TRUE(
      TensorsClose(gb, g * m.expand({6, 5}).to(DType::kFloat32) * 2.0, 0, 0));
}

// --- Generator state
// ----------------------------------------------------------------

TEST_F(RandomOpsTest, ReservationsAdvanceTheOffsetAsDocumented) {
  Generator gen(1);
  auto advance = [&](const std::function<void()>& call) {
    const uint64_t before = gen.offset();
    call();
    return gen.offset() - before;
  };
  EXPECT_EQ(advance([&] { rand({10}, DType::kFloat32, &gen); }), 3u);
  EXPECT_EQ(advance([&] { rand({10}, DType::kFloat16, &gen); }), 3u);
  EXPECT_EQ(advance([&] { rand({10}, DType::kFloat64, &gen); }), 5u);
  EXPECT_EQ(advance([&] { randn({5}, DType::kFloat32, &gen); }), 2u);
  EXPECT_EQ(advance([&] { randn({5}, DType::kFloat64, &gen); }), 3u);
  EXPECT_EQ(advance([&] { randint(0, 65536, {9}, DType::kInt64, &gen); }), 3u);
  EXPECT_EQ(advance([&] { randint(0, 65537, {9}, DType::kInt64, &gen); }), 5u);
  EXPECT_EQ(advance([&] { randperm(7, DType::kInt64, &gen); }), 4u);
  EXPECT_EQ(advance([&] { bernoulli(zeros({13}), 0.5, &gen); }), 4u);
  EXPECT_EQ(advance([&] { dropout(ones({8}), 0.5, true, &gen); }), 2u);
  EXPECT_EQ(advance([&] { dropout(ones({8}), 0.0, true, &gen); }), 0u);
  EXPECT_EQ(advance([&] { dropout(ones({8}), 1.0, true, &gen); }), 0u);
  EXPECT_EQ(advance([&] { dropout(ones({8}), 0.5, false, &gen); }), 0u);
  EXPECT_EQ(advance([&] { rand({0, 5}, DType::kFloat32, &gen); }), 0u);
  EXPECT_EQ(advance([&] { randperm(0, DType::kInt64, &gen); }), 0u);
}

TEST_F(RandomOpsTest, GetStateSetStateReplaysTheNextCall) {
  Generator gen(314);
  rand({17}, DType::kFloat32, &gen);
  const std::vector<uint8_t> state = gen.GetState();
  const Tensor a = randn({33}, DType::kFloat32, &gen);
  const Tensor b = randn({33}, DType::kFloat32, &gen);
  EXPECT_FALSE(equal(a, b));  // consecutive calls use fresh blocks
  gen.SetState(state);
  EXPECT_TRUE(TensorsEqual(randn({33}, DType::kFloat32, &gen), a));
  EXPECT_TRUE(TensorsEqual(randn({33}, DType::kFloat32, &gen), b));
  // A second generator restored from the state replays too.
  Generator other(0);
  other.SetState(state);
  EXPECT_TRUE(TensorsEqual(randn({33}, DType::kFloat32, &other), a));
  // Same seed, same dropout mask.
  Generator g1(5), g2(5);
  EXPECT_TRUE(TensorsEqual(dropout(ones({99}), 0.2, true, &g1).mask,
                           dropout(ones({99}), 0.2, true, &g2).mask));
  // Different seeds differ.
  Generator g3(6);
  EXPECT_FALSE(equal(rand({64}, DType::kFloat32, &g1),
                     rand({64}, DType::kFloat32, &g3)));
}

TEST_F(RandomOpsTest, DefaultGeneratorIsUsedWhenNoneIsGiven) {
  Generator& def = DefaultCpuGenerator();
  const std::vector<uint8_t> state = def.GetState();
  const uint64_t before = def.offset();
  const Tensor a = rand({6});
  EXPECT_EQ(def.offset(), before + 2);
  def.SetState(state);
  EXPECT_TRUE(TensorsEqual(rand({6}), a));
  Generator same(def.seed());
  same.set_offset(before);
  EXPECT_TRUE(TensorsEqual(rand({6}, DType::kFloat32, &same), a));
}

// --- Distributions
// -------------------------------------------------------------------

struct Moments {
  double mean;
  double var;
};
Moments MomentsOf(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  const double mean = sum / static_cast<double>(v.size());
  double sq = 0;
  for (double x : v) sq += (x - mean) * (x - mean);
  return {mean, sq / static_cast<double>(v.size() - 1)};
}

// Pearson's chi-square statistic against equal expected counts.
double ChiSquare(const std::vector<int64_t>& counts) {
  const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
  const double expected = total / static_cast<double>(counts.size());
  double chi2 = 0;
  for (int64_t c : counts) {
    chi2 += (static_cast<double>(c) - expected) *
            (static_cast<double>(c) - expected) / expected;
  }
  return chi2;
}

// The 99.99% quantile of chi-square with `dof` degrees of freedom
// (Wilson-Hilferty; accurate to ~1% for dof >= 5).
double ChiSquareQuantile9999(int dof) {
  const double z = 3.719;
  const double k = dof;
  const double t = 1 - 2 / (9 * k) + z * std::sqrt(2 / (9 * k));
  return k * t * t * t;
}

TEST_F(RandomOpsTest, UniformMomentsAndBounds) {
  const int64_t n = 1 << 20;
  for (DType dtype :
       {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kBFloat16}) {
    SCOPED_TRACE(DTypeName(dtype));
    Generator gen(100 + static_cast<int>(dtype));
    const std::vector<double> v = rand({n}, dtype, &gen).ToVector<double>();
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    EXPECT_GE(*lo, 0.0);
    EXPECT_LT(*hi, 1.0);
    const Moments m = MomentsOf(v);
    // sigma(mean) = sqrt(1/12/n) = 2.8e-4; sigma(var) = sqrt(1/180/n) = 7.3e-5.
    // bfloat16's 8-bit grid has mean 0.5 - 2^-9 and variance 1/12 - 2^-16/12.
    const double grid = std::ldexp(1.0, -UniformDigits(dtype));
    EXPECT_NEAR(m.mean, 0.5 - grid / 2, 1.5e-3);
    EXPECT_NEAR(m.var, (1 - grid * grid) / 12, 4e-4);
    // Equidistribution over 64 bins (bfloat16's 256-value grid fills each
    // bin evenly too).
    std::vector<int64_t> bins(64);
    for (double x : v) ++bins[static_cast<size_t>(x * 64)];
    EXPECT_LT(ChiSquare(bins), ChiSquareQuantile9999(63));
  }
  // uniform_(from, to): moments of U(from, to).
  Generator gen(5);
  Tensor t = empty({n}, DType::kFloat64);
  uniform_(t, -3.0, 5.0, &gen);
  const Moments m = MomentsOf(t.ToVector<double>());
  EXPECT_NEAR(m.mean, 1.0, 8 * 1.5e-3);
  EXPECT_NEAR(m.var, 64.0 / 12, 64 * 4e-4);
}

TEST_F(RandomOpsTest, ReducedPrecisionUniformNeverReachesUpperBound) {
  // float16 has 10 explicit mantissa bits: on [1, 2) an 11-bit uniform rounds
  // to 2 for one grid point in 2048 unless guarded. The guard maps it to 1.
  Generator gen(3);
  for (DType dtype : {DType::kFloat16, DType::kBFloat16}) {
    SCOPED_TRACE(DTypeName(dtype));
    for (double from : {0.0, 1.0, 100.0}) {
      Tensor t = empty({200000}, dtype);
      uniform_(t, from, from + 1, &gen);
      const std::vector<double> v = t.ToVector<double>();
      EXPECT_LT(*std::max_element(v.begin(), v.end()), from + 1);
      EXPECT_GE(*std::min_element(v.begin(), v.end()), from);
    }
    const std::vector<double> r =
        rand({200000}, dtype, &gen).ToVector<double>();
    EXPECT_LT(*std::max_element(r.begin(), r.end()), 1.0);
  }
  // from == to gives `from` everywhere.
  Tensor c = empty({10}, DType::kFloat16);
  uniform_(c, 2.5, 2.5, &gen);
  EXPECT_TRUE(TensorsEqual(c, full({10}, 2.5, DType::kFloat16)));
}

TEST_F(RandomOpsTest, NormalMoments) {
  const int64_t n = 1 << 20;
  for (DType dtype :
       {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kBFloat16}) {
    SCOPED_TRACE(DTypeName(dtype));
    Generator gen(200 + static_cast<int>(dtype));
    const std::vector<double> v = randn({n}, dtype, &gen).ToVector<double>();
    const Moments m = MomentsOf(v);
    // sigma(mean) = 1/sqrt(n) ~ 1e-3, sigma(var) = sqrt(2/n) ~ 1.4e-3.
    // bfloat16 rounding adds variance ~ 2^-18 (negligible).
    EXPECT_NEAR(m.mean, 0.0, 5e-3);
    EXPECT_NEAR(m.var, 1.0, 7e-3);
    // P(|z| < 1) = 0.682689; sigma = sqrt(p(1-p)/n) = 4.5e-4.
    const double inside =
        std::count_if(v.begin(), v.end(),
                      [](double x) { return std::fabs(x) < 1; }) /
        static_cast<double>(n);
    EXPECT_NEAR(inside, 0.682689, dtype == DType::kBFloat16 ? 8e-3 : 2.3e-3);
    // Tails: P(|z| > 3) = 0.0026998 (sigma 5.1e-5) and E[z^4] = 3 (sigma
    // sqrt(96 / n) = 9.6e-3); Box-Muller with a wrong radius or angle fails
    // these long before the moments above.
    const double tail =
        std::count_if(v.begin(), v.end(),
                      [](double x) { return std::fabs(x) > 3; }) /
        static_cast<double>(n);
    EXPECT_NEAR(tail, 0.0026998, dtype == DType::kBFloat16 ? 6e-4 : 2.6e-4);
    double fourth = 0;
    for (double x : v) fourth += x * x * x * x;
    EXPECT_NEAR(fourth / n, 3.0, dtype == DType::kBFloat16 ? 0.1 : 0.05);
  }
  Generator gen(9);
  Tensor t = empty({n}, DType::kFloat32);
  normal_(t, 3.0, 2.0, &gen);
  const Moments m = MomentsOf(t.ToVector<double>());
  EXPECT_NEAR(m.mean, 3.0, 1e-2);
  EXPECT_NEAR(m.var, 4.0, 4 * 7e-3);
  // std == 0 gives the mean exactly.
  Tensor c = empty({7}, DType::kFloat64);
  normal_(c, -1.5, 0.0, &gen);
  EXPECT_TRUE(TensorsEqual(c, full({7}, -1.5, DType::kFloat64)));
}

TEST_F(RandomOpsTest, RandintIsUniformOnItsRange) {
  Generator gen(77);
  // Narrow range (32-bit draws).
  {
    const std::vector<int64_t> v =
        randint(-3, 7, {200000}, DType::kInt64, &gen).ToVector<int64_t>();
    std::vector<int64_t> counts(10);
    for (int64_t x : v) {
      ASSERT_GE(x, -3);
      ASSERT_LT(x, 7);
      ++counts[x + 3];
    }
    EXPECT_LT(ChiSquare(counts), ChiSquareQuantile9999(9));
  }
  // Wide range (64-bit draws): bucket by value.
  {
    const int64_t high = 3 * (int64_t{1} << 40) + 5;
    const std::vector<int64_t> v =
        randint(0, high, {200000}, DType::kInt64, &gen).ToVector<int64_t>();
    std::vector<int64_t> counts(16);
    for (int64_t x : v) {
      ASSERT_GE(x, 0);
      ASSERT_LT(x, high);
      ++counts[static_cast<size_t>(static_cast<double>(x) / high * 16)];
    }
    EXPECT_LT(ChiSquare(counts), ChiSquareQuantile9999(15));
    // Low bits are uniform too (the multiply-shift keeps them).
    std::vector<int64_t> low(8);
    for (int64_t x : v) ++low[x & 7];
    EXPECT_LT(ChiSquare(low), ChiSquareQuantile9999(7));
  }
  // Every dtype, at its bounds.
  EXPECT_THAT(randint(0, 2, {1000}, DType::kBool, &gen).ToVector<int64_t>(),
              ::testing::Contains(1));
  const std::vector<int64_t> u8 =
      randint(250, 256, {1000}, DType::kUInt8, &gen).ToVector<int64_t>();
  EXPECT_EQ(*std::min_element(u8.begin(), u8.end()), 250);
  EXPECT_EQ(*std::max_element(u8.begin(), u8.end()), 255);
  for (DType dtype : {DType::kInt32, DType::kFloat32, DType::kFloat64,
                      DType::kFloat16, DType::kBFloat16}) {
    SCOPED_TRACE(DTypeName(dtype));
    const std::vector<double> v =
        randint(-4, 4, {1000}, dtype, &gen).ToVector<double>();
    EXPECT_EQ(*std::min_element(v.begin(), v.end()), -4);
    EXPECT_EQ(*std::max_element(v.begin(), v.end()), 3);
    for (double x : v) EXPECT_EQ(x, std::round(x));
  }
  // The full int64 range.
  const std::vector<int64_t> full_range =
      randint(INT64_MIN, INT64_MAX, {1000}, DType::kInt64, &gen)
          .ToVector<int64_t>();
  EXPECT_GT(std::count_if(full_range.begin(), full_range.end(),
                          [](int64_t x) { return x < 0; }),
            400);
  EXPECT_EQ(randint(5, {2, 0}, DType::kInt64, &gen).sizes(), Shape({2, 0}));
  EXPECT_EQ(randint(5, {}, DType::kInt64, &gen).dim(), 0);
}

TEST_F(RandomOpsTest, RandpermIsAUniformPermutation) {
  Generator gen(4);
  // All 24 permutations of 4 elements, equally often.
  std::map<std::vector<int64_t>, int64_t> seen;
  const int trials = 48000;
  for (int t = 0; t < trials; ++t) {
    ++seen[randperm(4, DType::kInt64, &gen).ToVector<int64_t>()];
  }
  ASSERT_EQ(seen.size(), 24u);
  std::vector<int64_t> counts;
  for (const auto& [perm, count] : seen) counts.push_back(count);
  EXPECT_LT(ChiSquare(counts), ChiSquareQuantile9999(23));
  // Positions of element 0 in 7-element permutations.
  std::vector<int64_t> where(7);
  for (int t = 0; t < 14000; ++t) {
    const std::vector<int64_t> p =
        randperm(7, DType::kInt64, &gen).ToVector<int64_t>();
    ++where[std::find(p.begin(), p.end(), 0) - p.begin()];
  }
  EXPECT_LT(ChiSquare(where), ChiSquareQuantile9999(6));
  // With buckets (n = 9000: 4 buckets): where elements 0 and n - 1 land, in
  // 10 bins of positions, and whether 0 precedes 1 (no bucket-order bias).
  const int64_t n = 9000;
  const int reps = 2000;
  std::vector<int64_t> first_bins(10), last_bins(10), before(2);
  for (int t = 0; t < reps; ++t) {
    const std::vector<int64_t> p =
        randperm(n, DType::kInt64, &gen).ToVector<int64_t>();
    const int64_t at0 = std::find(p.begin(), p.end(), 0) - p.begin();
    const int64_t at1 = std::find(p.begin(), p.end(), 1) - p.begin();
    const int64_t at_last = std::find(p.begin(), p.end(), n - 1) - p.begin();
    ++first_bins[at0 * 10 / n];
    ++last_bins[at_last * 10 / n];
    ++before[at0 < at1 ? 1 : 0];
  }
  EXPECT_LT(ChiSquare(first_bins), ChiSquareQuantile9999(9));
  EXPECT_LT(ChiSquare(last_bins), ChiSquareQuantile9999(9));
  EXPECT_NEAR(before[1] / static_cast<double>(reps), 0.5,
              5 * std::sqrt(0.25 / reps));
  // Large n (radix sort path): a permutation, in every dtype that holds n.
  for (DType dtype :
       {DType::kInt64, DType::kInt32, DType::kFloat32, DType::kFloat64}) {
    SCOPED_TRACE(DTypeName(dtype));
    std::vector<int64_t> p = randperm(100000, dtype, &gen).ToVector<int64_t>();
    const std::vector<int64_t> unsorted = p;
    std::sort(p.begin(), p.end());
    std::vector<int64_t> iota(100000);
    std::iota(iota.begin(), iota.end(), 0);
    EXPECT_EQ(p, iota);
    EXPECT_NE(unsorted, iota);
  }
  EXPECT_EQ(randperm(0, DType::kInt64, &gen).sizes(), Shape({0}));
  EXPECT_EQ(randperm(1, DType::kInt64, &gen).ToVector<int64_t>(),
            std::vector<int64_t>{0});
  EXPECT_EQ(randperm(2048, DType::kFloat16, &gen).numel(), 2048);
}

TEST_F(RandomOpsTest, RandpermShuffleRangeIsUniform) {
  // The documented bucket shuffle over a 3-element range at positions 5..7:
  // each of the six orders equally often over many streams; elements outside
  // the range stay put.
  std::vector<int64_t> counts(6);
  for (uint64_t start = 0; start < 30000; ++start) {
    const RandomStream s{PhiloxKeyFromSeed(42), start};
    std::vector<int64_t> perm = {9, 9, 9, 9, 9, 1, 2, 3, 9};
    RandpermShuffleRange(perm.data(), 5, 8, s);
    ASSERT_EQ(perm[4], 9);
    ASSERT_EQ(perm[8], 9);
    const int64_t a = perm[5], b = perm[6];
    std::vector<int64_t> seen = {a, b, perm[7]};
    std::sort(seen.begin(), seen.end());
    ASSERT_EQ(seen, (std::vector<int64_t>{1, 2, 3}));
    // Index of (a, b, c) among the permutations of {1, 2, 3} in order.
    ++counts[(a - 1) * 2 + (b == (a == 1 ? 2 : 1) ? 0 : 1)];
  }
  EXPECT_LT(ChiSquare(counts), ChiSquareQuantile9999(5));
}

TEST_F(RandomOpsTest, RandpermKernelFollowsTheDocumentedAlgorithm) {
  // Rebuild the permutation from the header's reference functions: buckets
  // from RandpermBucketAt, a stable counting sort, RandpermShuffleRange.
  for (int64_t n : {1, 2, 100, 4095, 4096, 5000, 70001, 1100000}) {
    SCOPED_TRACE(n);
    Generator gen(31);
    gen.set_offset(17);
    const RandomStream s{PhiloxKeyFromSeed(31), 17};
    SetNumThreads(1 + n % 3);
    const std::vector<int64_t> actual =
        randperm(n, DType::kInt64, &gen).ToVector<int64_t>();
    const int bits = RandpermBucketBits(n);
    std::vector<uint64_t> bucket(n);
    for (int64_t i = 0; i < n; ++i) bucket[i] = RandpermBucketAt(s, i, bits);
    std::vector<int64_t> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    std::stable_sort(perm.begin(), perm.end(), [&](int64_t x, int64_t y) {
      return bucket[x] < bucket[y];
    });
    for (int64_t b = 0; b < n;) {
      int64_t e = b + 1;
      while (e < n && bucket[perm[e]] == bucket[perm[b]]) ++e;
      RandpermShuffleRange(perm.data(), b, e, s);
      b = e;
    }
    EXPECT_EQ(actual, perm);
  }
  EXPECT_EQ(RandpermBucketBits(4095), 0);
  EXPECT_EQ(RandpermBucketBits(4096), 1);
  EXPECT_EQ(RandpermBucketBits(70001), 5);
  EXPECT_EQ(RandpermBucketBits(1000000), 6);
  EXPECT_EQ(RandpermBucketBits(int64_t{1} << 40), 6);
}

TEST_F(RandomOpsTest, BernoulliFrequencies) {
  const int64_t n = 1 << 20;
  Generator gen(8);
  for (double p : {0.3, 0.001, 0.5}) {
    SCOPED_TRACE(p);
    const std::vector<double> v =
        bernoulli(empty({n}, DType::kFloat32), p, &gen).ToVector<double>();
    const double freq = std::accumulate(v.begin(), v.end(), 0.0) / n;
    EXPECT_NEAR(freq, p, 5 * std::sqrt(p * (1 - p) / n));
  }
  EXPECT_TRUE(TensorsEqual(bernoulli(empty({100}, DType::kInt64), 0.0, &gen),
                           zeros({100}, DType::kInt64)));
  EXPECT_TRUE(TensorsEqual(bernoulli(empty({100}, DType::kBool), 1.0, &gen),
                           ones({100}, DType::kBool)));
  // Tensor p: half the elements at 0.1, half at 0.9.
  for (DType dtype :
       {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kBFloat16}) {
    SCOPED_TRACE(DTypeName(dtype));
    Tensor p = empty({2, n / 2}, dtype);
    p.select(0, 0).fill_(0.1);
    p.select(0, 1).fill_(0.9);
    const Tensor b = bernoulli(p, &gen);
    EXPECT_EQ(b.dtype(), dtype);
    const std::vector<double> v = b.ToVector<double>();
    const double f0 =
        std::accumulate(v.begin(), v.begin() + n / 2, 0.0) / (n / 2);
    const double f1 =
        std::accumulate(v.begin() + n / 2, v.end(), 0.0) / (n / 2);
    const double p0 = p.select(0, 0).select(0, 0).item<double>();
    const double p1 = p.select(0, 1).select(0, 0).item<double>();
    const double tol = 5 * std::sqrt(0.09 / (n / 2));
    EXPECT_NEAR(f0, p0, tol);
    EXPECT_NEAR(f1, p1, tol);
  }
  // In place bumps the version.
  Tensor t = zeros({10});
  const uint32_t before = t.storage().version();
  bernoulli_(t, 0.5, &gen);
  EXPECT_GT(t.storage().version(), before);
}

// The float32 dropout loops give the same masks and values on every SIMD
// target, and p = 1e-12 (keep threshold 2^32) keeps every element.
TEST_F(RandomOpsTest, DropoutFloat32EverySimdTargetAndTinyP) {
  Generator gen(3);
  const Tensor x = randn({1003}, DType::kFloat32, &gen);
  const int64_t compiled = HWY_TARGETS & hwy::SupportedTargets();
  for (int64_t bit = 1; bit != 0 && bit <= compiled; bit <<= 1) {
    if ((compiled & bit) == 0) continue;
    SCOPED_TRACE(hwy::TargetName(bit));
    hwy::SetSupportedTargetsForTest(bit);
    for (const double p : {0.3, 1e-12}) {
      Generator g(5), ref(5);
      const DropoutResult d = dropout(x, p, true, &g);
      const Tensor scale = scalar_tensor(1.0 / (1 - p), DType::kFloat32);
      EXPECT_TRUE(
          TensorsEqual(d.output, x * d.mask.to(DType::kFloat32) * scale));
      EXPECT_TRUE(TensorsEqual(dropout_backward(x, d.mask, p), d.output));
      if (p < 1e-6) {
        EXPECT_TRUE(TensorsEqual(d.mask, ones({1003}, DType::kBool)));
      }
      // The mask is the Philox stream's bernoulli(1 - p) on every target.
      EXPECT_TRUE(TensorsEqual(
          d.mask, bernoulli(full({1003}, 1 - p, DType::kFloat64), &ref)
                      .to(DType::kBool)));
    }
    hwy::SetSupportedTargetsForTest(0);
  }
}

TEST_F(RandomOpsTest, DropoutScalesKeptElements) {
  const int64_t n = 1 << 20;
  Generator gen(12);
  for (DType dtype :
       {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kBFloat16}) {
    SCOPED_TRACE(DTypeName(dtype));
    const double p = 0.25;
    const Tensor x = rand({n}, dtype, &gen) + 1;
    const DropoutResult d = dropout(x, p, true, &gen);
    EXPECT_EQ(d.output.dtype(), dtype);
    EXPECT_EQ(d.mask.dtype(), DType::kBool);
    const std::vector<bool> mask = d.mask.ToVector<bool>();
    const double kept =
        std::count(mask.begin(), mask.end(), true) / static_cast<double>(n);
    EXPECT_NEAR(kept, 1 - p, 5 * std::sqrt(p * (1 - p) / n));
    // output == x * mask / (1 - p), rounded like PyTorch (scale in dtype).
    const Tensor expected =
        x * d.mask.to(dtype) * scalar_tensor(1.0 / (1 - p), dtype);
    EXPECT_TRUE(TensorsEqual(d.output, expected));
    // The backward applies the same mask and scale.
    EXPECT_TRUE(TensorsEqual(dropout_backward(x, d.mask, p), expected));
  }
  // Eval mode and p == 0 return the input itself; p == 1 zeros.
  const Tensor x = randn({3, 4}, DType::kFloat32, &gen);
  EXPECT_TRUE(dropout(x, 0.5, false, &gen).output.SameImpl(x));
  EXPECT_TRUE(dropout(x, 0.0, true, &gen).output.SameImpl(x));
  EXPECT_TRUE(TensorsEqual(dropout(x, 0.0, true, &gen).mask,
                           ones({3, 4}, DType::kBool)));
  const DropoutResult all = dropout(x, 1.0, true, &gen);
  EXPECT_TRUE(TensorsClose(all.output, zeros({3, 4}), 0, 0));
  const Tensor special = from_vector<float>({NAN, INFINITY, 1.0f});
  EXPECT_TRUE(TensorsClose(dropout(special, 1.0, true, &gen).output,
                           from_vector<float>({NAN, NAN, 0.0f}), 0, 0));
  EXPECT_TRUE(TensorsEqual(all.mask, zeros({3, 4}, DType::kBool)));
  EXPECT_TRUE(TensorsEqual(dropout_backward(x, all.mask, 1.0), zeros({3, 4})));
  // Empty and 0-d inputs.
  EXPECT_EQ(dropout(empty({0, 3}), 0.5, true, &gen).output.sizes(),
            Shape({0, 3}));
  const DropoutResult s =
      dropout(scalar_tensor(2.0, DType::kFloat32), 0.5, true, &gen);
  EXPECT_EQ(s.output.dim(), 0);
  EXPECT_TRUE(s.output.item<float>() == 0.0f || s.output.item<float>() == 4.0f);
}

TEST_F(RandomOpsTest, ShapesAndDTypes) {
  Generator gen(1);
  EXPECT_EQ(rand({}, DType::kFloat32, &gen).dim(), 0);
  EXPECT_EQ(rand({2, 0, 3}, DType::kFloat32, &gen).sizes(), Shape({2, 0, 3}));
  const Tensor like = empty({4, 5}, DType::kFloat16).t();
  EXPECT_EQ(rand_like(like, &gen).sizes(), Shape({5, 4}));
  EXPECT_EQ(rand_like(like, &gen).dtype(), DType::kFloat16);
  EXPECT_EQ(randn_like(like, &gen).dtype(), DType::kFloat16);
  EXPECT_EQ(randint(3, {2}, DType::kInt64, &gen).dtype(), DType::kInt64);
  EXPECT_EQ(randperm(3, DType::kInt64, &gen).dtype(), DType::kInt64);
  Tensor t = zeros({3});
  uint32_t v = t.storage().version();
  uniform_(t, 0, 1, &gen);
  EXPECT_GT(t.storage().version(), v);
  v = t.storage().version();
  normal_(t, 0, 1, &gen);
  EXPECT_GT(t.storage().version(), v);
}

// --- Errors
// ---------------------------------------------------------------------

TEST_F(RandomOpsTest, BadArgumentsThrowWithPyTorchLikeMessages) {
  Generator gen(1);
  const uint64_t offset = gen.offset();
  ExpectError<ValueError>([&] { randint(5, 5, {3}, DType::kInt64, &gen); },
                          "random_ expects 'from' to be less than 'to', but "
                          "got from=5 >= to=5");
  ExpectError<ValueError>([&] { randint(0, 300, {3}, DType::kUInt8, &gen); },
                          "to - 1 is out of bounds for uint8");
  ExpectError<ValueError>([&] { randint(-1, 3, {3}, DType::kUInt8, &gen); },
                          "from is out of bounds for uint8");
  ExpectError<ValueError>([&] { randint(0, 3, {3}, DType::kBool, &gen); },
                          "to - 1 is out of bounds for bool");
  ExpectError<ValueError>([&] { randint(0, 4097, {3}, DType::kFloat16, &gen); },
                          "to - 1 is out of bounds for float16");
  ExpectError<ValueError>([&] { randperm(-1, DType::kInt64, &gen); },
                          "randperm: n must be non-negative, got -1");
  ExpectError<ValueError>([&] { randperm(3, DType::kBool, &gen); },
                          "randperm: expected dtype");
  ExpectError<ValueError>([&] { randperm(5000, DType::kBFloat16, &gen); },
                          "randperm: n is too large for result dtype bfloat16");
  ExpectError<ValueError>(
      [&] { bernoulli(zeros({3}), 1.5, &gen); },
      "bernoulli_ expects p to be in [0, 1], but got p=1.5");
  ExpectError<ValueError>([&] { bernoulli(zeros({3}), -0.5, &gen); },
                          "but got p=-0.5");
  ExpectError<ValueError>(
      [&] {
        bernoulli(from_vector<float>({0.5f, 1.5f}), &gen);
      },
      "bernoulli: expected all probabilities p in [0, 1]");
  ExpectError<ValueError>(
      [&] {
        bernoulli(from_vector<float>({0.5f, NAN}), &gen);
      },
      "bernoulli: expected all probabilities p in [0, 1]");
  ExpectError<ValueError>([&] { bernoulli(zeros({3}, DType::kInt64), &gen); },
                          "expected a floating-point probability tensor");
  Tensor f = zeros({3});
  ExpectError<ValueError>([&] { normal_(f, 0, -1, &gen); },
                          "normal expects std >= 0.0, but found std -1");
  ExpectError<ValueError>([&] { normal_(f, NAN, 1, &gen); },
                          "normal expects finite mean and std");
  ExpectError<ValueError>([&] { uniform_(f, 2, 1, &gen); },
                          "uniform_ expects to return a [from, to) range, but "
                          "found from=2 > to=1");
  ExpectError<ValueError>([&] { uniform_(f, 0, INFINITY, &gen); },
                          "uniform_ expects finite bounds");
  Tensor h = zeros({3}, DType::kFloat16);
  ExpectError<ValueError>([&] { uniform_(h, 0, 1e6, &gen); },
                          "to is out of bounds for float16");
  Tensor i = zeros({3}, DType::kInt64);
  ExpectError<ValueError>(
      [&] { uniform_(i, 0, 1, &gen); },
      "uniform_: expected a floating-point dtype, got int64");
  ExpectError<ValueError>(
      [&] { normal_(i, 0, 1, &gen); },
      "normal_: expected a floating-point dtype, got int64");
  ExpectError<ValueError>([&] { rand({3}, DType::kInt64, &gen); },
                          "rand: expected a floating-point dtype, got int64");
  ExpectError<ValueError>([&] { randn({3}, DType::kBool, &gen); },
                          "randn: expected a floating-point dtype, got bool");
  ExpectError<ValueError>([&] { rand_like(i, &gen); },
                          "rand_like: expected a floating-point dtype");
  ExpectError<ValueError>([&] { rand({-2}, DType::kFloat32, &gen); }, "-2");
  Tensor expanded = zeros({1, 3}).expand({4, 3});
  ExpectError<ValueError>([&] { uniform_(expanded, 0, 1, &gen); },
                          "uniform_: unsupported operation: more than one "
                          "element of the written-to tensor refers to a single "
                          "memory location");
  ExpectError<ValueError>([&] { normal_(expanded, 0, 1, &gen); },
                          "normal_: unsupported operation");
  ExpectError<ValueError>([&] { bernoulli_(expanded, 0.5, &gen); },
                          "bernoulli_: unsupported operation");
  ExpectError<ValueError>([&] { dropout(f, 1.5, true, &gen); },
                          "dropout probability has to be between 0 and 1, but "
                          "got 1.5");
  ExpectError<ValueError>(
      [&] { dropout(i, 0.5, true, &gen); },
      "dropout: expected a floating-point input, got int64");
  ExpectError<ValueError>([&] { dropout_backward(f, f, 0.5); },
                          "dropout_backward: mask should be a boolean tensor");
  ExpectError<ValueError>(
      [&] { dropout_backward(f, zeros({4}, DType::kBool), 0.5); },
      "not broadcastable");
  // Failed calls reserve nothing (except bernoulli's value check, which runs
  // after sampling: 1 block each for the two tensor-p cases).
  EXPECT_EQ(gen.offset(), offset + 2);
}

}  // namespace
}  // namespace tch
