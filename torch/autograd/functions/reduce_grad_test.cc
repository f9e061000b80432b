// Derivatives of the reductions: every entry of reduce.h is checked with
// finite differences (GradCheck, float64) over several dims (negative ones
// included), keepdim true and false, on contiguous, transposed, sliced and
// permuted 3-D inputs and on inputs expanded inside the function; ties,
// zeros and degenerate cases are compared with PyTorch 1.13
// (tests/golden/autograd_pointwise_golden.py).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "torch/autograd/functions/grad_test_util.h"
#include "torch/autograd/functions/reduce.h"
#include "torch/autograd/functions/shape.h"
#include "torch/autograd/gradcheck.h"
#include "torch/autograd/variable.h"
#include "torch/core/error.h"
#include "torch/core/ops.h"
#include "torch/core/reduce_ops.h"
#include "torch/testing/tensor_matchers.h"

namespace tch::autograd {
namespace {

using testing::TensorsClose;
using testing::TensorsEqual;
using namespace grad_test;  // NOLINT(build/namespaces): test helpers
using Reduction = std::function<Tensor(const Tensor&)>;

constexpr char kGolden[] = "tests/golden/autograd_pointwise.safetensors";
constexpr double kInf = std::numeric_limits<double>::infinity();

// f on [3, 4] inputs in every layout, on a permuted (non-contiguous)
// [2, 3, 4] input and on a [3, 1] input expanded to [2, 3, 4] inside the
// checked function. f must accept 2-D and 3-D inputs.
void CheckReduction(const std::string& name, const Reduction& f,
                    const Maker& make) {
  auto fn = [&f](const TensorList& in) { return f(in[0]); };
  for (const char* layout : kLayouts) {
    EXPECT_EQ(CheckGrad(fn, {LeafIn(layout, make, 3)}), "")
        << name << " (" << layout << ")";
  }
  EXPECT_EQ(
      CheckGrad(fn, {requires_grad_(make({4, 2, 3}, 4).permute({1, 2, 0}))}),
      "")
      << name << " (permuted 3-D)";
  EXPECT_EQ(CheckGrad(
                [&f](const TensorList& in) {
                  return f(ad::expand(in[0], {2, 3, 4}));
                },
                {requires_grad_(make({3, 1}, 5))}),
            "")
      << name << " (expanded)";
}

// Dims lists that make sense for 2-D and 3-D inputs.
const std::vector<std::vector<int64_t>> kDimsLists = {
    {}, {0}, {1}, {-1}, {-2}, {0, -1}, {-1, 0}};

// f(x, dims, keepdim) for every dims list and both keepdim values.
void CheckOverDims(const std::string& name,
                   const std::function<Tensor(const Tensor&, IntList, bool)>& f,
                   const Maker& make) {
  for (const auto& dims : kDimsLists) {
    for (bool keepdim : {false, true}) {
      std::string label = name + " dims [";
      for (int64_t d : dims) label += std::to_string(d) + " ";
      label += keepdim ? "] keepdim" : "]";
      CheckReduction(
          label, [&](const Tensor& x) { return f(x, dims, keepdim); }, make);
    }
  }
}

// f(x, dim, keepdim) for dims 0, 1, -1 and both keepdim values.
void CheckOverDim(const std::string& name,
                  const std::function<Tensor(const Tensor&, int64_t, bool)>& f,
                  const Maker& make) {
  for (int64_t dim : {0, 1, -1}) {
    for (bool keepdim : {false, true}) {
      CheckReduction(
          name + " dim " + std::to_string(dim) + (keepdim ? " keepdim" : ""),
          [&](const Tensor& x) { return f(x, dim, keepdim); }, make);
    }
  }
}

TEST(ReduceGrad, SumAndMean) {
  const Maker any = Range(-2.0, 2.0);
  CheckReduction(
      "sum()", [](auto x) { return ad::sum(x); }, any);
  CheckReduction(
      "sum(dtype)", [](auto x) { return ad::sum(x, DType::kFloat64); }, any);
  CheckOverDims(
      "sum", [](auto x, auto d, bool k) { return ad::sum(x, d, k); }, any);
  CheckReduction(
      "sum(dims, dtype)",
      [](auto x) { return ad::sum(x, {-1}, true, DType::kFloat64); }, any);
  CheckReduction(
      "mean()", [](auto x) { return ad::mean(x); }, any);
  CheckOverDims(
      "mean", [](auto x, auto d, bool k) { return ad::mean(x, d, k); }, any);
  CheckReduction(
      "mean(dims, dtype)",
      [](auto x) { return ad::mean(x, {0}, false, DType::kFloat64); }, any);
}

TEST(ReduceGrad, Prod) {
  // prod is a polynomial: differentiable everywhere, zeros included, so
  // finite differences check the zero handling too.
  const Maker nonzero = AwayFromZero;
  CheckReduction(
      "prod()", [](auto x) { return ad::prod(x); }, nonzero);
  CheckOverDim(
      "prod", [](auto x, int64_t d, bool k) { return ad::prod(x, d, k); },
      nonzero);
  auto with_zeros = [](IntList sizes, uint32_t seed) {
    // Zero about a third of the elements: slices with 0, 1 and 2+ zeros.
    Tensor x = AwayFromZero(sizes, seed);
    Tensor u = Uniform(sizes, 0, 1, seed + 100);
    return tch::where(tch::lt(u, 0.35), Scalar(0.0), x);
  };
  CheckOverDim(
      "prod with zeros",
      [](auto x, int64_t d, bool k) { return ad::prod(x, d, k); }, with_zeros);
  const std::vector<std::vector<double>> zero_cases = {
      {2, 0, 3, -1.5}, {2, 0, 3, 0}, {0, 0, 0, 0}};
  for (const std::vector<double>& values : zero_cases) {
    EXPECT_EQ(CheckGrad([](const TensorList& in) { return ad::prod(in[0]); },
                        {requires_grad_(from_vector(values))}),
              "")
        << "prod() of " << from_vector(values).ToString();
  }
  EXPECT_EQ(CheckGrad([](const TensorList& in) { return ad::prod(in[0], 0); },
                      {requires_grad_(scalar_tensor(1.5, DType::kFloat64))}),
            "")
      << "prod of a 0-D tensor";
}

TEST(ReduceGrad, Cumsum) {
  const Maker any = Range(-2.0, 2.0);
  for (int64_t dim : {0, 1, -1, -2}) {
    CheckReduction(
        "cumsum dim " + std::to_string(dim),
        [dim](auto x) { return ad::cumsum(x, dim); }, any);
  }
  CheckReduction(
      "cumsum dtype", [](auto x) { return ad::cumsum(x, 1, DType::kFloat64); },
      any);
}

TEST(ReduceGrad, MaxMinAmaxAmin) {
  // Distinct random values: no ties (ties are in TiesMatchPyTorch).
  const Maker any = Range(-2.0, 2.0);
  CheckReduction(
      "max()", [](auto x) { return ad::max(x); }, any);
  CheckReduction(
      "min()", [](auto x) { return ad::min(x); }, any);
  CheckOverDim(
      "max", [](auto x, int64_t d, bool k) { return ad::max(x, d, k).values; },
      any);
  CheckOverDim(
      "min", [](auto x, int64_t d, bool k) { return ad::min(x, d, k).values; },
      any);
  CheckOverDims(
      "amax", [](auto x, auto d, bool k) { return ad::amax(x, d, k); }, any);
  CheckOverDims(
      "amin", [](auto x, auto d, bool k) { return ad::amin(x, d, k); }, any);
}

TEST(ReduceGrad, MaxAlongDimReturnsCoreResult) {
  Tensor x = requires_grad_(Uniform({3, 4}, -1, 1, 61));
  ValuesIndices ours = ad::max(x, -1, true);
  ValuesIndices core = tch::max(ad::detach(x), -1, true);
  EXPECT_TRUE(TensorsEqual(ad::detach(ours.values), core.values));
  EXPECT_TRUE(TensorsEqual(ours.indices, core.indices));
  EXPECT_TRUE(requires_grad(ours.values));
  EXPECT_FALSE(requires_grad(ours.indices));
  // 0-D input: dim 0 selects the only element.
  Tensor s = requires_grad_(scalar_tensor(2.0, DType::kFloat64));
  EXPECT_DOUBLE_EQ(grad({ad::min(s, 0).values}, {s})[0].item<double>(), 1.0);
}

TEST(ReduceGrad, VarStd) {
  const Maker any = Range(-2.0, 2.0);
  for (int64_t correction : {0, 1}) {
    const std::string c = " correction " + std::to_string(correction);
    CheckOverDims(
        "var" + c,
        [correction](auto x, auto d, bool k) {
          return ad::var(x, d, correction, k);
        },
        any);
    CheckOverDims(
        "std" + c,
        [correction](auto x, auto d, bool k) {
          return ad::std(x, d, correction, k);
        },
        any);
  }
  // correction 2 over dims with N >= 3 in every checked shape (N == 2 would
  // give an infinite result, which finite differences cannot check).
  for (const std::vector<int64_t>& dims :
       std::vector<std::vector<int64_t>>{{}, {1}, {-1}, {0, -1}}) {
    CheckReduction(
        "var correction 2", [&](auto x) { return ad::var(x, dims, 2); }, any);
    CheckReduction(
        "std correction 2 keepdim",
        [&](auto x) { return ad::std(x, dims, 2, true); }, any);
  }
  CheckReduction(
      "var()", [](auto x) { return ad::var(x); }, any);
  CheckReduction(
      "std()", [](auto x) { return ad::std(x); }, any);
}

TEST(ReduceGrad, Logsumexp) {
  CheckOverDims(
      "logsumexp",
      [](auto x, auto d, bool k) { return ad::logsumexp(x, d, k); },
      Range(-3.0, 3.0));
}

TEST(ReduceGrad, Norm) {
  // Away from 0 (p = 1 and p < 1 have kinks there) and from ties (p = inf).
  for (double p : {2.0, 1.0, 3.0, 1.5, 0.5, -1.0, kInf, -kInf}) {
    CheckOverDims(
        "norm p " + std::to_string(p),
        [p](auto x, auto d, bool k) { return ad::norm(x, p, d, k); },
        AwayFromZero);
  }
  CheckReduction(
      "norm()", [](auto x) { return ad::norm(x); }, AwayFromZero);
  CheckReduction(
      "norm p 0", [](auto x) { return ad::norm(x, 0, {1}); }, AwayFromZero);
  CheckReduction(
      "norm dtype",
      [](auto x) { return ad::norm(x, 2, {-1}, true, DType::kFloat64); },
      AwayFromZero);
}

TEST(ReduceGrad, DtypeArgumentGradientsComeBackInInputDtype) {
  Tensor x = requires_grad_(from_vector<float>({1.5f, -2.0f, 0.5f}));
  Tensor n = ad::norm(x, 2, {}, false, DType::kFloat64);
  EXPECT_EQ(n.dtype(), DType::kFloat64);
  Tensor g = grad({n}, {x})[0];
  EXPECT_EQ(g.dtype(), DType::kFloat32);
  const double norm = std::sqrt(1.5 * 1.5 + 4.0 + 0.25);
  EXPECT_TRUE(TensorsClose(
      g, from_vector<double>({1.5 / norm, -2.0 / norm, 0.5 / norm}), 1e-6));
  Tensor s = ad::sum(x, DType::kFloat64);
  EXPECT_EQ(grad({s}, {x})[0].dtype(), DType::kFloat32);
}

TEST(ReduceGrad, NothingRecordedWithoutGrad) {
  Tensor x = Uniform({2, 3}, -1, 1, 71);
  EXPECT_FALSE(requires_grad(ad::sum(x)));
  EXPECT_FALSE(requires_grad(ad::max(x, 0).values));
  EXPECT_TRUE(TensorsEqual(ad::logsumexp(x, {1}), tch::logsumexp(x, {1})));
  EXPECT_THROW(ad::sum(requires_grad_(x.clone()), {2}), IndexError);
}

TEST(ReduceGrad, TiesZerosAndDegenerateCasesMatchPyTorch) {
  using L = const TensorList&;
  auto golden = [](const std::string& name,
                   const std::function<Tensor(const Tensor&)>& f) {
    ExpectGoldenGrads(kGolden, name, {"x"}, [&f](L in) { return f(in[0]); });
  };
  golden("max_all", [](auto x) { return ad::max(x); });
  golden("min_all", [](auto x) { return ad::min(x); });
  golden("max_dim", [](auto x) { return ad::max(x, 1).values; });
  golden("min_dim", [](auto x) { return ad::min(x, 0, true).values; });
  golden("amax_dim", [](auto x) { return ad::amax(x, {1}); });
  golden("amax_all", [](auto x) { return ad::amax(x); });
  golden("amin_dim", [](auto x) { return ad::amin(x, {0}, true); });
  golden("prod_one_zero", [](auto x) { return ad::prod(x); });
  golden("prod_two_zeros", [](auto x) { return ad::prod(x); });
  golden("prod_dim_zeros", [](auto x) { return ad::prod(x, 1); });
  golden("std_flat", [](auto x) { return ad::std(x, {1}); });
  golden("var_no_dof", [](auto x) { return ad::var(x, {0}, 2); });
  golden("var_neg_dof", [](auto x) { return ad::var(x, {0}, 4); });
  golden("var_one", [](auto x) { return ad::var(x, {0}); });
  golden("std_one", [](auto x) { return ad::std(x, {0}); });
  // Over every dim PyTorch 1.13 fails here; ours equals the dim variant.
  golden("var_no_dof", [](auto x) { return ad::var(x, {}, 2); });
  golden("var_one", [](auto x) { return ad::var(x); });
  golden("norm2_zero", [](auto x) { return ad::norm(x, 2, {1}); });
  golden("norm2_all_zero", [](auto x) { return ad::norm(x); });
  golden("norm1_zero", [](auto x) { return ad::norm(x, 1, {1}); });
  golden("norm3_zero", [](auto x) { return ad::norm(x, 3, {1}); });
  golden("norm1_5_zero", [](auto x) { return ad::norm(x, 1.5, {1}); });
  golden("norm0_5_zero", [](auto x) { return ad::norm(x, 0.5, {1}); });
  golden("norm0", [](auto x) { return ad::norm(x, 0, {1}); });
  golden("norm_inf_ties", [](auto x) { return ad::norm(x, kInf, {1}); });
  golden("norm_neginf_ties", [](auto x) { return ad::norm(x, -kInf, {1}); });
}

}  // namespace
}  // namespace tch::autograd
