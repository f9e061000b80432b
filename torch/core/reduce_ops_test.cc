// Reductions against PyTorch 1.13 golden values (tests/golden/reduce_golden.py
// writes tests/golden/reduce.safetensors), plus accuracy on long inputs
// against float64/long double references computed here, determinism across
// thread counts, and every error class.
#include "torch/core/reduce_ops.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "torch/core/dispatch.h"
#include "torch/core/ops.h"
#include "torch/core/parallel.h"
#include "torch/testing/tensor_matchers.h"

namespace tch {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string> kTags = {"f32", "f64", "f16", "bf16",
                                        "i64", "i32", "u8",  "bool"};

constexpr char kGoldenPath[] = "tests/golden/reduce.safetensors";

const std::map<std::string, Tensor>& Golden() {
  return tch::testing::CachedGolden(kGoldenPath);
}

bool Has(const std::string& key) { return Golden().count(key) > 0; }
const Tensor& Get(const std::string& key) {
  static const Tensor kMissing;
  auto it = Golden().find(key);
  EXPECT_TRUE(it != Golden().end()) << "golden tensor " << key << " missing";
  return it == Golden().end() ? kMissing : it->second;
}

// Tolerances per result dtype: float32 results of short sums agree to a few
// ulps; 16-bit results may differ by one rounding of the output; integers
// and bools must match exactly.
struct Tol {
  double rtol, atol;
};
Tol TolFor(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return {1e-5, 1e-5};
    case DType::kFloat64:
      return {1e-10, 1e-12};
    case DType::kFloat16:
      return {2e-3, 2e-3};
    case DType::kBFloat16:
      return {2e-2, 2e-2};
    default:
      return {0, 0};
  }
}

void ExpectMatches(const std::string& what, const Tensor& actual,
                   const Tensor& expected) {
  ASSERT_TRUE(actual.defined()) << what;
  EXPECT_EQ(actual.dtype(), expected.dtype()) << what;
  const Tol tol = TolFor(expected.dtype());
  EXPECT_TRUE(testing::TensorsClose(actual, expected, tol.rtol, tol.atol))
      << what;
}

// Runs `fn` on "<name>.<tag>.x" for every dtype tag the golden file has for
// `name` and compares with "<name>.<tag>.out" (and ".idx" when present).
// Expects at least `min_tags` dtypes, so a case cannot pass vacuously.
int CheckCase(const std::string& name,
              const std::function<ValuesIndices(const Tensor&)>& fn,
              int min_tags = 1) {
  int checked = 0;
  for (const std::string& tag : kTags) {
    const std::string key = name + "." + tag;
    if (!Has(key + ".x")) continue;
    SCOPED_TRACE(key);
    const ValuesIndices r = fn(Get(key + ".x"));
    if (Has(key + ".out"))
      ExpectMatches(key + ".out", r.values, Get(key + ".out"));
    if (Has(key + ".idx")) {
      ExpectMatches(key + ".idx", r.indices, Get(key + ".idx"));
    }
    ++checked;
  }
  EXPECT_GE(checked, min_tags) << name;
  return checked;
}

int Check(const std::string& name,
          const std::function<Tensor(const Tensor&)>& fn, int min_tags = 1) {
  return CheckCase(
      name,
      [&](const Tensor& x) {
        return ValuesIndices{fn(x), Tensor()};
      },
      min_tags);
}

constexpr double kInf = std::numeric_limits<double>::infinity();

// --- Golden comparisons
// --------------------------------------------------------------

TEST(ReduceGoldenTest, SumOverDimsEveryDType) {
  Check(
      "sum_all", [](const Tensor& x) { return sum(x); }, 8);
  Check(
      "sum_d1", [](const Tensor& x) { return sum(x, {1}); }, 8);
  Check(
      "sum_d02k",
      [](const Tensor& x) {
        return sum(x, {0, -1}, true);
      },
      8);
  Check(
      "sum_cols", [](const Tensor& x) { return sum(x, {0}); }, 8);
}

TEST(ReduceGoldenTest, SumWithDType) {
  Check(
      "sum_dtype_f64",
      [](const Tensor& x) {
        return sum(x, {x.dtype() == DType::kInt32 ? 0 : 1}, false,
                   DType::kFloat64);
      },
      2);
  Check("sum_dtype_i32", [](const Tensor& x) { return sum(x, DType::kInt32); });
  Check("mean_dtype",
        [](const Tensor& x) { return mean(x, {1}, false, DType::kFloat32); });
  Check("cumsum_dtype_f32",
        [](const Tensor& x) { return cumsum(x, 1, DType::kFloat32); });
  Check("norm_dtype_f64", [](const Tensor& x) {
    return norm(x, 2, {1}, false, DType::kFloat64);
  });
}

TEST(ReduceGoldenTest, Mean) {
  Check(
      "mean_all", [](const Tensor& x) { return mean(x); }, 4);
  Check(
      "mean_d2", [](const Tensor& x) { return mean(x, {2}); }, 4);
  Check(
      "mean_d01k",
      [](const Tensor& x) {
        return mean(x, {0, 1}, true);
      },
      4);
  Check(
      "mean_cols", [](const Tensor& x) { return mean(x, {0}); }, 4);
}

TEST(ReduceGoldenTest, Prod) {
  Check(
      "prod_d1", [](const Tensor& x) { return prod(x, 1); }, 6);
  Check(
      "prod_all", [](const Tensor& x) { return prod(x); }, 6);
}

TEST(ReduceGoldenTest, Cumsum) {
  Check(
      "cumsum_d0", [](const Tensor& x) { return cumsum(x, 0); }, 7);
  Check(
      "cumsum_d2", [](const Tensor& x) { return cumsum(x, -1); }, 7);
  Check(
      "cumsum_cols", [](const Tensor& x) { return cumsum(x, 0); }, 7);
}

TEST(ReduceGoldenTest, AmaxAmin) {
  Check(
      "amax_d02",
      [](const Tensor& x) {
        return amax(x, {0, 2});
      },
      8);
  Check(
      "amin_d1k", [](const Tensor& x) { return amin(x, {1}, true); }, 8);
  Check(
      "amax_cols", [](const Tensor& x) { return amax(x, {0}); }, 8);
  Check(
      "max_all", [](const Tensor& x) { return max(x); }, 8);
  Check(
      "min_all", [](const Tensor& x) { return min(x); }, 8);
}

TEST(ReduceGoldenTest, MaxMinWithIndices) {
  CheckCase(
      "max_d1", [](const Tensor& x) { return max(x, 1); }, 8);
  CheckCase(
      "min_d0k", [](const Tensor& x) { return min(x, 0, true); }, 8);
  CheckCase(
      "max_cols", [](const Tensor& x) { return max(x, 0); }, 7);
}

TEST(ReduceGoldenTest, ArgmaxArgmin) {
  Check(
      "argmax_d2", [](const Tensor& x) { return argmax(x, 2); }, 7);
  Check(
      "argmin_all", [](const Tensor& x) { return argmin(x); }, 7);
  Check(
      "argmax_allk",
      [](const Tensor& x) { return argmax(x, std::nullopt, true); }, 7);
}

TEST(ReduceGoldenTest, VarStd) {
  Check(
      "var_all", [](const Tensor& x) { return var(x); }, 4);
  Check(
      "var_d1", [](const Tensor& x) { return var(x, {1}); }, 4);
  Check(
      "var_d02c0",
      [](const Tensor& x) {
        return var(x, {0, 2}, 0);
      },
      4);
  Check(
      "std_all", [](const Tensor& x) { return tch::std(x); }, 4);
  Check(
      "std_d2c2k", [](const Tensor& x) { return tch::std(x, {2}, 2, true); },
      4);
  Check(
      "std_d0", [](const Tensor& x) { return tch::std(x, {0}); }, 4);
  Check(
      "var_cols", [](const Tensor& x) { return var(x, {0}); }, 4);
  Check("var_big_correction", [](const Tensor& x) { return var(x, {}, 3); });
}

TEST(ReduceGoldenTest, Logsumexp) {
  Check(
      "lse_d2", [](const Tensor& x) { return logsumexp(x, {2}); }, 2);
  Check(
      "lse_d01k",
      [](const Tensor& x) {
        return logsumexp(x, {0, 1}, true);
      },
      2);
  Check(
      "lse_all",
      [](const Tensor& x) {
        return logsumexp(x, {0, 1, 2});
      },
      2);
  Check(
      "lse_d0", [](const Tensor& x) { return logsumexp(x, {0}); }, 2);
  Check("lse_int", [](const Tensor& x) { return logsumexp(x, {1}); });
}

TEST(ReduceGoldenTest, Norm) {
  const std::vector<std::pair<std::string, double>> ps = {
      {"1", 1}, {"2", 2}, {"inf", kInf}, {"ninf", -kInf},
      {"0", 0}, {"3", 3}, {"half", 0.5}, {"m1", -1}};
  for (const auto& [name, p] : ps) {
    Check(
        "norm_p" + name + "_all",
        [p = p](const Tensor& x) { return norm(x, p); }, 4);
    Check(
        "norm_p" + name + "_d2",
        [p = p](const Tensor& x) { return norm(x, p, {2}); }, 4);
    Check(
        "norm_p" + name + "_d01k",
        [p = p](const Tensor& x) {
          return norm(x, p, {0, 1}, true);
        },
        4);
  }
}

TEST(ReduceGoldenTest, AllAny) {
  Check(
      "all_d1", [](const Tensor& x) { return all(x, 1); }, 8);
  Check(
      "any_all", [](const Tensor& x) { return any(x); }, 8);
  Check(
      "all_all", [](const Tensor& x) { return all(x); }, 8);
  Check(
      "any_d0", [](const Tensor& x) { return any(x, 0); }, 8);
  Check(
      "any_cols", [](const Tensor& x) { return any(x, 0); }, 8);
}

TEST(ReduceGoldenTest, NonContiguousAndExpandedInputs) {
  Check("sum_t_d1", [](const Tensor& x) { return sum(x.t(), {1}); });
  Check("sum_t_d0", [](const Tensor& x) { return sum(x.t(), {0}); });
  Check("sum_step_d0",
        [](const Tensor& x) { return sum(x.slice(1, 0, 10, 3), {0}); });
  Check("amax_t_d1", [](const Tensor& x) { return amax(x.t(), {1}); });
  CheckCase("max_t_d0", [](const Tensor& x) { return max(x.t(), 0); });
  Check("argmax_t_all", [](const Tensor& x) { return argmax(x.t()); });
  Check("cumsum_t_d1", [](const Tensor& x) { return cumsum(x.t(), 1); });
  Check("var_t_d0", [](const Tensor& x) { return var(x.t(), {0}); });
  Check("sum_expand_d0", [](const Tensor& x) {
    return sum(x.expand({5, 7}), {0});
  });
  Check("prod_expand_d0", [](const Tensor& x) {
    return prod(x.expand({3, 7}), 0);
  });
}

TEST(ReduceGoldenTest, NanAndInfPropagation) {
  CheckCase(
      "nan_max_d1", [](const Tensor& x) { return max(x, 1); }, 2);
  CheckCase(
      "nan_min_d1", [](const Tensor& x) { return min(x, 1); }, 2);
  CheckCase(
      "nan_max_d0", [](const Tensor& x) { return max(x, 0); }, 2);
  Check(
      "nan_amax_d1", [](const Tensor& x) { return amax(x, {1}); }, 2);
  Check(
      "nan_amin_d0", [](const Tensor& x) { return amin(x, {0}); }, 2);
  Check(
      "nan_argmax_d1", [](const Tensor& x) { return argmax(x, 1); }, 2);
  Check(
      "nan_argmin_d1", [](const Tensor& x) { return argmin(x, 1); }, 2);
  Check(
      "nan_argmax_all", [](const Tensor& x) { return argmax(x); }, 2);
  Check(
      "nan_sum_d1", [](const Tensor& x) { return sum(x, {1}); }, 2);
  Check(
      "nan_lse_d1", [](const Tensor& x) { return logsumexp(x, {1}); }, 2);
  Check(
      "nan_norm_inf_d1", [](const Tensor& x) { return norm(x, kInf, {1}); }, 2);
  Check(
      "nan_cumsum_d1", [](const Tensor& x) { return cumsum(x, 1); }, 2);
  // Rows of 300 elements go through the vector loops.
  CheckCase("long_max_d1", [](const Tensor& x) { return max(x, 1); });
  Check("long_amin_d1", [](const Tensor& x) { return amin(x, {1}); });
  Check("long_lse_d1", [](const Tensor& x) { return logsumexp(x, {1}); });
  Check("long_argmin_d1", [](const Tensor& x) { return argmin(x, 1); });
}

TEST(ReduceGoldenTest, ZeroSizeDims) {
  Check("empty_sum_d0", [](const Tensor& x) { return sum(x, {0}); });
  Check(
      "empty_sum_d1", [](const Tensor& x) { return sum(x, {1}); }, 2);
  Check("empty_prod_d0", [](const Tensor& x) { return prod(x, 0); });
  Check("empty_prod_d1", [](const Tensor& x) { return prod(x, 1); });
  Check("empty_mean_d0", [](const Tensor& x) { return mean(x, {0}); });
  Check("empty_mean_all", [](const Tensor& x) { return mean(x); });
  Check("empty_var_d0", [](const Tensor& x) { return var(x, {0}); });
  Check("empty_lse_d0", [](const Tensor& x) { return logsumexp(x, {0}); });
  Check("empty_norm_d0", [](const Tensor& x) { return norm(x, 2, {0}); });
  Check("empty_amax_d1", [](const Tensor& x) { return amax(x, {1}); });
  Check("empty_all_d0", [](const Tensor& x) { return all(x, 0); });
  Check("empty_any_d0", [](const Tensor& x) { return any(x, 0); });
  Check("empty_cumsum_d0", [](const Tensor& x) { return cumsum(x, 0); });
}

TEST(ReduceGoldenTest, ZeroDimInputs) {
  Check("scalar_sum_d0", [](const Tensor& x) { return sum(x, {0}); });
  Check("scalar_mean_all", [](const Tensor& x) { return mean(x); });
  Check("scalar_std_all", [](const Tensor& x) { return tch::std(x); });
  Check("scalar_var_c0", [](const Tensor& x) { return var(x, {}, 0); });
  CheckCase("scalar_max_d0", [](const Tensor& x) { return max(x, 0); });
  Check("scalar_argmax_d0k",
        [](const Tensor& x) { return argmax(x, 0, true); });
  Check("scalar_cumsum", [](const Tensor& x) { return cumsum(x, 0); });
  Check("scalar_lse", [](const Tensor& x) { return logsumexp(x, {0}); });
  Check("scalar_norm", [](const Tensor& x) { return norm(x); });
  EXPECT_EQ(sum(scalar_tensor(2, DType::kInt32), {-1}).dim(), 0);
}

// --- Accuracy and layout on large inputs
// ---------------------------------------------------

// Deterministic values in [lo, hi).
std::vector<float> Values(int64_t n, float lo, float hi, uint32_t seed) {
  std::vector<float> v(static_cast<size_t>(n));
  uint32_t s = seed;
  for (float& x : v) {
    s = s * 1664525u + 1013904223u;
    x = lo + (hi - lo) * static_cast<float>(s >> 8) / 16777216.0f;
  }
  return v;
}

TEST(ReduceAccuracyTest, TenMillionFloat32SumMatchesFloat64Reference) {
  const int64_t n = 10'000'000;
  const std::vector<float> v = Values(n, 0.0f, 1.0f, 7);
  long double ref = 0;
  for (float x : v) ref += x;
  const Tensor x = from_vector(v);
  const double ours = sum(x).item<double>();
  // A left-to-right float32 loop is off by ~1e-3 relative here; pairwise
  // summation (and PyTorch's cascade sum) stay near float32 precision.
  EXPECT_NEAR(ours, static_cast<double>(ref), 1e-6 * static_cast<double>(ref));
  EXPECT_NEAR(mean(x).item<double>(), static_cast<double>(ref / n),
              1e-6 * static_cast<double>(ref / n));
  // Same data as rows, as columns (vectorized column path) and transposed.
  const Tensor m = x.view({1000, 10000});
  const Tensor rows = sum(m, {1});
  const Tensor cols = sum(m, {0});
  const Tensor cols_t = sum(m.t(), {1});
  std::vector<long double> row_ref(1000, 0), col_ref(10000, 0);
  for (int64_t i = 0; i < 1000; ++i) {
    for (int64_t j = 0; j < 10000; ++j) {
      row_ref[i] += v[i * 10000 + j];
      col_ref[j] += v[i * 10000 + j];
    }
  }
  const std::vector<double> r = rows.ToVector<double>();
  const std::vector<double> c = cols.ToVector<double>();
  const std::vector<double> ct = cols_t.ToVector<double>();
  for (int64_t i = 0; i < 1000; ++i) {
    ASSERT_NEAR(r[i], static_cast<double>(row_ref[i]), 1e-6 * row_ref[i]) << i;
  }
  for (int64_t j = 0; j < 10000; ++j) {
    ASSERT_NEAR(c[j], static_cast<double>(col_ref[j]), 1e-6 * col_ref[j]) << j;
    ASSERT_EQ(c[j], ct[j]) << j;
  }
}

TEST(ReduceAccuracyTest, DeterministicAcrossThreadCounts) {
  const Tensor x = from_vector(Values(3'000'000, -1.0f, 1.0f, 11));
  const Tensor m = x.view({3000, 1000});
  const int threads = GetNumThreads();
  SetNumThreads(1);
  const float s1 = sum(x).item<float>();
  const Tensor c1 = sum(m, {0});
  const float v1 = var(x).item<float>();
  SetNumThreads(3);
  const float s3 = sum(x).item<float>();
  const Tensor c3 = sum(m, {0});
  const float v3 = var(x).item<float>();
  SetNumThreads(threads);
  EXPECT_EQ(s1, s3);
  EXPECT_EQ(v1, v3);
  EXPECT_TRUE(testing::TensorsEqual(c1, c3));
}

TEST(ReduceAccuracyTest, FewOutputsLongReductions) {
  // Few outputs and long reductions take the split path (per-chunk
  // partials); check sums, extremes with first-occurrence indices, var.
  const int64_t n = 200'000;
  std::vector<float> v = Values(3 * n, -1.0f, 1.0f, 5);
  v[n + 123'456] = 5.0f;  // row 1: max twice, first at 123456
  v[n + 190'000] = 5.0f;
  v[2 * n + 70'000] = std::numeric_limits<float>::quiet_NaN();
  const Tensor x = from_vector(v, {3, n});
  const ValuesIndices mx = max(x, 1);
  EXPECT_EQ(mx.indices.ToVector<int64_t>()[1], 123'456);
  EXPECT_EQ(mx.indices.ToVector<int64_t>()[2], 70'000);
  EXPECT_TRUE(std::isnan(mx.values.ToVector<float>()[2]));
  EXPECT_EQ(argmax(x.t(), 0).ToVector<int64_t>()[1], 123'456);  // strided
  EXPECT_EQ(argmax(x).item<int64_t>(), 2 * n + 70'000);
  for (int64_t row = 0; row < 2; ++row) {
    long double s = 0, s2 = 0;
    for (int64_t j = 0; j < n; ++j) s += v[row * n + j];
    const long double mu = s / n;
    for (int64_t j = 0; j < n; ++j) {
      s2 += (v[row * n + j] - mu) * (v[row * n + j] - mu);
    }
    EXPECT_NEAR(sum(x, {1}).ToVector<double>()[row], static_cast<double>(s),
                1e-4);
    EXPECT_NEAR(sum(x.t(), {0}).ToVector<double>()[row], static_cast<double>(s),
                1e-4);
    EXPECT_NEAR(var(x, {1}).ToVector<double>()[row],
                static_cast<double>(s2 / (n - 1)), 1e-6);
    EXPECT_NEAR(var(x.t(), {0}).ToVector<double>()[row],
                static_cast<double>(s2 / (n - 1)), 1e-6);
    long double l1 = 0, l2 = 0;
    for (int64_t j = 0; j < n; ++j) {
      l1 += std::fabs(v[row * n + j]);
      l2 += static_cast<long double>(v[row * n + j]) * v[row * n + j];
    }
    EXPECT_NEAR(norm(x, 1, {1}).ToVector<double>()[row],
                static_cast<double>(l1), 1e-6 * static_cast<double>(l1));
    EXPECT_NEAR(norm(x, 2, {1}).ToVector<double>()[row],
                std::sqrt(static_cast<double>(l2)),
                1e-6 * std::sqrt(static_cast<double>(l2)));
    EXPECT_NEAR(logsumexp(x, {1}).ToVector<double>()[row],
                std::log(static_cast<double>([&] {
                  long double e = 0;
                  for (int64_t j = 0; j < n; ++j) e += std::exp(v[row * n + j]);
                  return e;
                }())),
                1e-5);
  }
}

TEST(ReduceAccuracyTest, ManyDimsAnyLayout) {
  // A permuted 5-D tensor (no dims merge) reduced over two dims agrees with
  // reducing one dim at a time.
  const Tensor x =
      from_vector(Values(2 * 3 * 4 * 5 * 6, -2, 2, 3), {2, 3, 4, 5, 6})
          .permute({4, 2, 0, 3, 1});
  EXPECT_TRUE(
      testing::TensorsClose(sum(x, {1, 3}), sum(sum(x, {3}), {1}), 1e-5, 1e-5));
  EXPECT_TRUE(testing::TensorsClose(amax(x, {0, 4}, true),
                                    amax(amax(x, {4}, true), {0}, true), 0, 0));
  EXPECT_TRUE(testing::TensorsClose(sum(x), sum(x.contiguous()), 1e-5, 1e-5));
}

TEST(ReduceAccuracyTest, IntegerSumsAndCumsumsAccumulateInInt64) {
  const Tensor x = full({4}, 2'000'000'000, DType::kInt32);
  EXPECT_EQ(sum(x).dtype(), DType::kInt64);
  EXPECT_EQ(sum(x).item<int64_t>(), 8'000'000'000);
  EXPECT_EQ(cumsum(x, 0).ToVector<int64_t>()[3], 8'000'000'000);
  EXPECT_EQ(sum(ones({300}, DType::kBool)).item<int64_t>(), 300);
  EXPECT_EQ(prod(full({3}, 2000, DType::kInt32)).item<int64_t>(),
            8'000'000'000);
}

TEST(ReduceAccuracyTest, LogsumexpIsStable) {
  const Tensor x = from_vector<float>({1000, 1000, -1000});
  EXPECT_NEAR(logsumexp(x, {0}).item<double>(), 1000 + std::log(2.0), 1e-3);
  const Tensor y = from_vector<double>({-1e308, -1e308});
  EXPECT_NEAR(logsumexp(y, {0}).item<double>(), -1e308, 1e293);
}

// --- Errors
// -----------------------------------------------------------------------------

template <typename E, typename F>
void ExpectError(F f, const std::string& substring) {
  try {
    f();
    ADD_FAILURE() << "expected an error containing '" << substring << "'";
  } catch (const E& e) {
    EXPECT_THAT(e.what(), HasSubstr(substring));
  }
}

TEST(ReduceErrorTest, EmptyExtremes) {
  const Tensor e = zeros({0, 3});
  ExpectError<ValueError>([&] { max(e); },
                          "max(): Expected reduction dim to be specified for "
                          "input.numel() == 0");
  ExpectError<ValueError>([&] { min(e); }, "min(): Expected reduction dim");
  ExpectError<IndexError>([&] { max(e, 0); },
                          "max(): Expected reduction dim 0 to have non-zero "
                          "size");
  ExpectError<IndexError>([&] { amax(e, {0}); },
                          "amax(): Expected reduction dim 0");
  ExpectError<IndexError>([&] { argmax(e); },
                          "argmax(): Expected reduction dim");
  ExpectError<IndexError>([&] { argmin(e, 0); },
                          "argmin(): Expected reduction dim 0");
  EXPECT_EQ(max(e, 1).values.sizes(), Shape({0}));  // empty kept dim is fine
}

TEST(ReduceErrorTest, BadDims) {
  const Tensor x = zeros({2, 3});
  ExpectError<IndexError>([&] { sum(x, {2}); }, "Dimension out of range");
  ExpectError<IndexError>([&] { max(x, -3); }, "Dimension out of range");
  ExpectError<IndexError>([&] { cumsum(x, 5); }, "Dimension out of range");
  ExpectError<ValueError>(
      [&] {
        sum(x, {0, -2});
      },
      "dim 0 appears multiple times in the list of dims");
  ExpectError<ValueError>(
      [&] {
        norm(x, 2, {1, 1});
      },
      "appears multiple times");
}

TEST(ReduceErrorTest, BadDTypes) {
  const Tensor i = zeros({2, 3}, DType::kInt64);
  ExpectError<ValueError>([&] { mean(i); },
                          "mean(): could not infer output dtype");
  ExpectError<ValueError>([&] { var(i); }, "std and var only support floating");
  ExpectError<ValueError>([&] { tch::std(i); }, "floating point");
  ExpectError<ValueError>([&] { norm(i); }, "norm(): input dtype should be");
  ExpectError<NotImplementedError>([&] { argmax(zeros({2}, DType::kBool)); },
                                   "argmax(): not implemented for 'bool'");
}

}  // namespace
}  // namespace tch
