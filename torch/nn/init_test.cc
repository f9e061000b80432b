// File: torch/nn/init_test.cc
//
// Each initializer against its formula: bounds, mean and standard deviation
// over large tensors (tolerances of several standard errors), plus
// orthogonality, determinism under a seeded generator and the errors.
#include "torch/nn/init.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "torch/core/error.h"
#include "torch/core/ops.h"

namespace tch::nn::init {
namespace {

struct Stats {
  double mean = 0, std = 0, min = 0, max = 0;
};

Stats Measure(const Tensor& t) {
  std::vector<double> v = t.to(DType::kFloat64).contiguous().ToVector<double>();
  Stats s;
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  for (double x : v) s.mean += x;
  s.mean /= v.size();
  for (double x : v) s.std += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(s.std / (v.size() - 1));
  return s;
}

// Checks a uniform(-bound, bound) sample of n values.
void ExpectUniform(const Tensor& t, double bound) {
  const Stats s = Measure(t);
  const double n = t.numel();
  const double sd = bound / std::sqrt(3.0);
  EXPECT_GE(s.min, -bound);
  EXPECT_LT(s.max, bound);
  EXPECT_GT(s.max, bound * 0.999);
  EXPECT_LT(s.min, -bound * 0.999);
  EXPECT_NEAR(s.mean, 0.0, 5 * sd / std::sqrt(n));
  EXPECT_NEAR(s.std, sd, 0.01 * sd);
}

void ExpectNormal(const Tensor& t, double mean, double sd) {
  const Stats s = Measure(t);
  const double n = t.numel();
  EXPECT_NEAR(s.mean, mean, 5 * sd / std::sqrt(n));
  EXPECT_NEAR(s.std, sd, 0.01 * sd);
}

TEST(InitTest, Fans) {
  EXPECT_EQ(CalculateFans(empty({256, 784})), std::make_pair(784L, 256L));
  EXPECT_EQ(CalculateFans(empty({8, 3, 5, 5})), std::make_pair(75L, 200L));
  EXPECT_THROW(CalculateFans(empty({5})), ValueError);
}

TEST(InitTest, Gain) {
  EXPECT_DOUBLE_EQ(CalculateGain("linear"), 1.0);
  EXPECT_DOUBLE_EQ(CalculateGain("conv2d"), 1.0);
  EXPECT_DOUBLE_EQ(CalculateGain("tanh"), 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(CalculateGain("relu"), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(CalculateGain("leaky_relu"), std::sqrt(2.0 / 1.0001));
  EXPECT_DOUBLE_EQ(CalculateGain("leaky_relu", std::sqrt(5.0)),
                   std::sqrt(1.0 / 3.0));
  EXPECT_DOUBLE_EQ(CalculateGain("selu"), 0.75);
  EXPECT_THROW(CalculateGain("swish"), ValueError);
}

TEST(InitTest, UniformAndNormal) {
  Tensor t = empty({400, 500});
  init::uniform_(t, -0.3, 0.3);
  ExpectUniform(t, 0.3);
  init::normal_(t, 1.5, 0.2);
  ExpectNormal(t, 1.5, 0.2);
  zeros_(t);
  EXPECT_EQ(Measure(t).max, 0.0);
  ones_(t);
  EXPECT_EQ(Measure(t).min, 1.0);
  constant_(t, 2.5);
  EXPECT_EQ(Measure(t).mean, 2.5);
  Tensor ints = zeros({3}, DType::kInt64);
  EXPECT_THROW(init::uniform_(ints), ValueError);
}

TEST(InitTest, KaimingUniformLinearDefault) {
  // nn.Linear's default: a = sqrt(5) gives bound 1 / sqrt(fan_in).
  Tensor w = empty({400, 500});
  kaiming_uniform_(w, std::sqrt(5.0));
  ExpectUniform(w, 1.0 / std::sqrt(500.0));
  // Conv weight, fan_in = 16 * 3 * 3.
  Tensor c = empty({1000, 16, 3, 3});
  kaiming_uniform_(c, std::sqrt(5.0));
  ExpectUniform(c, 1.0 / std::sqrt(144.0));
  // ReLU gain, fan_out mode: bound = sqrt(2) * sqrt(3 / 400).
  kaiming_uniform_(w, 0.0, "fan_out", "relu");
  ExpectUniform(w, std::sqrt(2.0) * std::sqrt(3.0 / 400.0));
  EXPECT_THROW(kaiming_uniform_(w, 0.0, "fan_avg"), ValueError);
}

TEST(InitTest, KaimingNormal) {
  Tensor w = empty({400, 500});
  kaiming_normal_(w, 0.0, "fan_in", "relu");
  ExpectNormal(w, 0.0, std::sqrt(2.0 / 500.0));
}

TEST(InitTest, Xavier) {
  Tensor w = empty({300, 700});
  xavier_uniform_(w, 2.0);
  ExpectUniform(w, 2.0 * std::sqrt(6.0 / 1000.0));
  xavier_normal_(w);
  ExpectNormal(w, 0.0, std::sqrt(2.0 / 1000.0));
}

TEST(InitTest, TruncNormal) {
  Tensor t = empty({200000}, DType::kFloat64);
  // N(0, 1) truncated to [-1, 2]: mean and std from the closed form.
  trunc_normal_(t, 0.0, 1.0, -1.0, 2.0);
  const Stats s = Measure(t);
  auto pdf = [](double x) {
    return std::exp(-x * x / 2) / std::sqrt(2 * M_PI);
  };
  auto cdf = [](double x) { return 0.5 * (1 + std::erf(x / std::sqrt(2.0))); };
  const double a = -1, b = 2, z = cdf(b) - cdf(a);
  const double mean = (pdf(a) - pdf(b)) / z;
  const double var = 1 + (a * pdf(a) - b * pdf(b)) / z - mean * mean;
  EXPECT_GE(s.min, -1.0);
  EXPECT_LE(s.max, 2.0);
  EXPECT_NEAR(s.mean, mean, 5 * std::sqrt(var / t.numel()));
  EXPECT_NEAR(s.std, std::sqrt(var), 0.01 * std::sqrt(var));
}

// Max |Q^T Q - I| for Q [rows, cols], columns orthonormal when rows >= cols
// (rows orthonormal otherwise, checked via the transpose).
double OrthogonalityError(const Tensor& q, double gain) {
  const int64_t rows = q.size(0), cols = q.numel() / rows;
  std::vector<double> v = q.to(DType::kFloat64).contiguous().ToVector<double>();
  const bool tall = rows >= cols;
  const int64_t n = tall ? cols : rows, m = tall ? rows : cols;
  auto at = [&](int64_t i, int64_t j) {  // element (i, j) of the tall form
    return tall ? v[i * cols + j] : v[j * cols + i];
  };
  double err = 0;
  for (int64_t a = 0; a < n; ++a) {
    for (int64_t b = 0; b < n; ++b) {
      double dot = 0;
      for (int64_t i = 0; i < m; ++i) dot += at(i, a) * at(i, b);
      err = std::max(err, std::abs(dot / (gain * gain) - (a == b ? 1 : 0)));
    }
  }
  return err;
}

TEST(InitTest, Orthogonal) {
  Tensor tall = empty({60, 20});
  orthogonal_(tall);
  EXPECT_LT(OrthogonalityError(tall, 1.0), 1e-5);
  Tensor wide = empty({10, 4, 3, 3});  // viewed as [10, 36]
  orthogonal_(wide, 2.0);
  EXPECT_LT(OrthogonalityError(wide, 2.0), 1e-5);
  Tensor square = empty({32, 32}, DType::kFloat64);
  orthogonal_(square);
  EXPECT_LT(OrthogonalityError(square, 1.0), 1e-12);
  // Haar-distributed: each entry of a random n x n orthogonal matrix has
  // mean 0 and variance 1 / n.
  Tensor big = empty({200, 200}, DType::kFloat64);
  orthogonal_(big);
  ExpectNormal(big, 0.0, 1.0 / std::sqrt(200.0));
  Tensor vec = empty({5});
  EXPECT_THROW(orthogonal_(vec), ValueError);
}

TEST(InitTest, SeededGeneratorIsDeterministic) {
  Generator g1(7), g2(7), g3(8);
  Tensor a = empty({50, 40}), b = empty({50, 40}), c = empty({50, 40});
  kaiming_uniform_(a, std::sqrt(5.0), "fan_in", "leaky_relu", &g1);
  kaiming_uniform_(b, std::sqrt(5.0), "fan_in", "leaky_relu", &g2);
  kaiming_uniform_(c, std::sqrt(5.0), "fan_in", "leaky_relu", &g3);
  EXPECT_EQ(a.ToVector<float>(), b.ToVector<float>());
  EXPECT_NE(a.ToVector<float>(), c.ToVector<float>());
  orthogonal_(a, 1.0, &g1);
  orthogonal_(b, 1.0, &g2);
  EXPECT_EQ(a.ToVector<float>(), b.ToVector<float>());
}

}  // namespace
}  // namespace tch::nn::init
