// Derivatives of the pointwise ops: every entry of pointwise.h is checked
// with finite differences (GradCheck, float64) on contiguous, transposed and
// sliced inputs, expanded inside the function, and (binary and ternary ops)
// on broadcast shapes; points where an op is not differentiable are
// compared with PyTorch 1.13 (tests/golden/autograd_pointwise_golden.py).
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "torch/autograd/functions/arith.h"
#include "torch/autograd/functions/grad_test_util.h"
#include "torch/autograd/functions/pointwise.h"
#include "torch/autograd/functions/shape.h"
#include "torch/autograd/gradcheck.h"
#include "torch/autograd/variable.h"
#include "torch/core/error.h"
#include "torch/core/ops.h"
#include "torch/core/pointwise_ops.h"
#include "torch/testing/tensor_matchers.h"

namespace tch::autograd {
namespace {

using testing::TensorsClose;
using testing::TensorsEqual;
using namespace grad_test;  // NOLINT(build/namespaces): test helpers
using Unary = std::function<Tensor(const Tensor&)>;
using Binary = std::function<Tensor(const Tensor&, const Tensor&)>;

constexpr char kGolden[] = "tests/golden/autograd_pointwise.safetensors";

// Values n + f with f in [0.15, 0.35) or [0.65, 0.85): away from the jumps
// of floor/ceil/round/trunc.
Tensor AwayFromHalves(IntList sizes, uint32_t seed) {
  Tensor whole = tch::floor(Uniform(sizes, -4, 4, seed));
  Tensor frac = Uniform(sizes, 0.15, 0.35, seed + 1);
  Tensor upper = tch::gt(Uniform(sizes, 0, 1, seed + 2), 0.5);
  return tch::add(whole, tch::where(upper, tch::add(frac, 0.5), frac));
}

// f on [3, 4] inputs in every layout and on a [3, 1] input expanded to
// [2, 3, 4] inside the checked function.
void CheckUnary(const std::string& name, const Unary& f, const Maker& make) {
  for (const char* layout : kLayouts) {
    EXPECT_EQ(CheckGrad([&](const TensorList& in) { return f(in[0]); },
                        {LeafIn(layout, make, 7)}),
              "")
        << name << " (" << layout << ")";
  }
  EXPECT_EQ(CheckGrad(
                [&](const TensorList& in) {
                  return f(ad::expand(in[0], {2, 3, 4}));
                },
                {requires_grad_(make({3, 1}, 8))}),
            "")
      << name << " (expanded)";
}

// f(a, b) on equal shapes in every layout, on broadcast shapes [3, 1] and
// [4], and with a expanded inside the checked function.
void CheckBinary(const std::string& name, const Binary& f, const Maker& make_a,
                 const Maker& make_b) {
  auto fn = [&](const TensorList& in) { return f(in[0], in[1]); };
  for (const char* layout : kLayouts) {
    EXPECT_EQ(
        CheckGrad(
            fn, {LeafIn(layout, make_a, 11),
                 LeafIn(layout == std::string("sliced") ? "transposed" : layout,
                        make_b, 12)}),
        "")
        << name << " (" << layout << ")";
  }
  EXPECT_EQ(CheckGrad(fn, {requires_grad_(make_a({3, 1}, 13)),
                           requires_grad_(make_b({4}, 14))}),
            "")
      << name << " (broadcast [3, 1] with [4])";
  EXPECT_EQ(CheckGrad(fn, {requires_grad_(make_a({4}, 15)),
                           requires_grad_(make_b({3, 1}, 16))}),
            "")
      << name << " (broadcast [4] with [3, 1])";
  EXPECT_EQ(CheckGrad(
                [&](const TensorList& in) {
                  return f(ad::expand(in[0], {2, 3, 4}), in[1]);
                },
                {requires_grad_(make_a({3, 1}, 17)),
                 requires_grad_(make_b({4}, 18))}),
            "")
      << name << " (expanded)";
}

TEST(PointwiseGrad, UnaryMath) {
  const Maker positive = Range(0.5, 2.0);
  const Maker any = Range(-2.0, 2.0);
  CheckUnary(
      "abs", [](auto x) { return ad::abs(x); }, AwayFromZero);
  CheckUnary(
      "sign", [](auto x) { return ad::sign(x); }, AwayFromZero);
  CheckUnary(
      "exp", [](auto x) { return ad::exp(x); }, any);
  CheckUnary(
      "expm1", [](auto x) { return ad::expm1(x); }, any);
  CheckUnary(
      "log", [](auto x) { return ad::log(x); }, positive);
  CheckUnary(
      "log1p", [](auto x) { return ad::log1p(x); }, Range(-0.5, 2.0));
  CheckUnary(
      "log2", [](auto x) { return ad::log2(x); }, positive);
  CheckUnary(
      "sqrt", [](auto x) { return ad::sqrt(x); }, positive);
  CheckUnary(
      "rsqrt", [](auto x) { return ad::rsqrt(x); }, positive);
  CheckUnary(
      "square", [](auto x) { return ad::square(x); }, any);
  CheckUnary(
      "reciprocal", [](auto x) { return ad::reciprocal(x); }, AwayFromZero);
  CheckUnary(
      "sin", [](auto x) { return ad::sin(x); }, any);
  CheckUnary(
      "cos", [](auto x) { return ad::cos(x); }, any);
  CheckUnary(
      "tanh", [](auto x) { return ad::tanh(x); }, any);
  CheckUnary(
      "sigmoid", [](auto x) { return ad::sigmoid(x); }, any);
  CheckUnary(
      "erf", [](auto x) { return ad::erf(x); }, any);
  CheckUnary(
      "nan_to_num", [](auto x) { return ad::nan_to_num(x); }, any);
}

TEST(PointwiseGrad, Activations) {
  const Maker any = Range(-3.0, 3.0);
  CheckUnary(
      "relu", [](auto x) { return ad::relu(x); }, AwayFromZero);
  CheckUnary(
      "gelu", [](auto x) { return ad::gelu(x); }, any);
  CheckUnary(
      "gelu none", [](auto x) { return ad::gelu(x, "none"); }, any);
  CheckUnary(
      "gelu tanh", [](auto x) { return ad::gelu(x, "tanh"); }, any);
  CheckUnary(
      "gelu kTanh", [](auto x) { return ad::gelu(x, GeluApproximate::kTanh); },
      any);
  CheckUnary(
      "silu", [](auto x) { return ad::silu(x); }, any);
  CheckUnary(
      "softplus", [](auto x) { return ad::softplus(x); }, any);
  // beta * x crosses the threshold inside the range: both branches.
  CheckUnary(
      "softplus beta 2 threshold 1",
      [](auto x) { return ad::softplus(x, 2, 1); }, any);
}

TEST(PointwiseGrad, RoundingHasZeroGradient) {
  CheckUnary(
      "floor", [](auto x) { return ad::floor(x); }, AwayFromHalves);
  CheckUnary(
      "ceil", [](auto x) { return ad::ceil(x); }, AwayFromHalves);
  CheckUnary(
      "round", [](auto x) { return ad::round(x); }, AwayFromHalves);
  CheckUnary(
      "trunc", [](auto x) { return ad::trunc(x); }, AwayFromHalves);
  Tensor x = requires_grad_(from_vector<double>({1.25, -2.75}));
  Tensor y = ad::floor(x);
  EXPECT_TRUE(requires_grad(y));  // recorded, like PyTorch
  EXPECT_TRUE(TensorsClose(grad({y}, {x}, {ones({2}, DType::kFloat64)})[0],
                           zeros({2}, DType::kFloat64)));
}

TEST(PointwiseGrad, Binary) {
  const Maker any = Range(-2.0, 2.0);
  const Maker positive = Range(0.5, 2.0);
  CheckBinary(
      "maximum", [](auto a, auto b) { return ad::maximum(a, b); }, any, any);
  CheckBinary(
      "minimum", [](auto a, auto b) { return ad::minimum(a, b); }, any, any);
  CheckBinary(
      "remainder", [](auto a, auto b) { return ad::remainder(a, b); },
      Range(-5.0, 5.0), AwayFromZero);
  CheckBinary(
      "pow", [](auto a, auto b) { return ad::pow(a, b); }, positive,
      Range(-1.5, 2.5));
  CheckBinary(
      "div trunc", [](auto a, auto b) { return ad::div(a, b, "trunc"); },
      Range(-5.0, 5.0), AwayFromZero);
  CheckBinary(
      "div floor", [](auto a, auto b) { return ad::div(a, b, "floor"); },
      Range(-5.0, 5.0), AwayFromZero);
  CheckBinary(
      "div true", [](auto a, auto b) { return ad::div(a, b, std::nullopt); },
      any, AwayFromZero);
  CheckBinary(
      "floor_divide", [](auto a, auto b) { return ad::floor_divide(a, b); },
      Range(-5.0, 5.0), AwayFromZero);
  CheckBinary(
      "lerp scalar weight", [](auto a, auto b) { return ad::lerp(a, b, 0.3); },
      any, any);
}

TEST(PointwiseGrad, ScalarOperands) {
  const Maker positive = Range(0.5, 2.0);
  CheckUnary(
      "remainder(x, 1.5)", [](auto x) { return ad::remainder(x, 1.5); },
      Range(-5.0, 5.0));
  CheckUnary(
      "remainder(5.5, x)", [](auto x) { return ad::remainder(5.5, x); },
      AwayFromZero);
  CheckUnary(
      "pow(x, 2)", [](auto x) { return ad::pow(x, 2); }, Range(-2.0, 2.0));
  CheckUnary(
      "pow(x, 3) negative base", [](auto x) { return ad::pow(x, 3); },
      Range(-2.0, -0.5));
  CheckUnary(
      "pow(x, 0.5)", [](auto x) { return ad::pow(x, 0.5); }, positive);
  CheckUnary(
      "pow(x, -1.5)", [](auto x) { return ad::pow(x, -1.5); }, positive);
  CheckUnary(
      "pow(x, 0)", [](auto x) { return ad::pow(x, 0); }, positive);
  CheckUnary(
      "pow(2.5, x)", [](auto x) { return ad::pow(2.5, x); }, Range(-2.0, 2.0));
  CheckUnary(
      "pow(0.5, x)", [](auto x) { return ad::pow(0.5, x); }, Range(-2.0, 2.0));
  CheckUnary(
      "pow(0, x)", [](auto x) { return ad::pow(0.0, x); }, Range(0.5, 2.0));
  CheckUnary(
      "div(x, 0.7, floor)", [](auto x) { return ad::div(x, 0.7, "floor"); },
      Range(-5.0, 5.0));
  CheckUnary(
      "div(x, 0.7, nullopt)",
      [](auto x) { return ad::div(x, 0.7, std::nullopt); }, Range(-5.0, 5.0));
  CheckUnary(
      "floor_divide(x, 0.7)", [](auto x) { return ad::floor_divide(x, 0.7); },
      Range(-5.0, 5.0));
}

TEST(PointwiseGrad, Clamp) {
  const Maker any = Range(-2.0, 2.0);
  CheckUnary(
      "clamp(-1, 1)", [](auto x) { return ad::clamp(x, -1.0, 1.0); }, any);
  CheckUnary(
      "clamp(min)", [](auto x) { return ad::clamp(x, -0.5); }, any);
  CheckUnary(
      "clamp(max)", [](auto x) { return ad::clamp(x, std::nullopt, 0.5); },
      any);
  CheckUnary(
      "clamp(min > max)", [](auto x) { return ad::clamp(x, 1.0, -1.0); }, any);
  CheckUnary(
      "clamp_min", [](auto x) { return ad::clamp_min(x, 0.3); }, any);
  CheckUnary(
      "clamp_max", [](auto x) { return ad::clamp_max(x, 0.3); }, any);
  CheckBinary(
      "clamp(x, tensor min)",
      [](auto x, auto lo) {
        return ad::clamp(x, std::optional<Tensor>(lo), std::nullopt);
      },
      any, any);
  CheckBinary(
      "clamp(x, nullopt, tensor max)",
      [](auto x, auto hi) {
        return ad::clamp(x, std::nullopt, std::optional<Tensor>(hi));
      },
      any, any);
  // Both bounds, broadcasting x [3, 4], min [4], max [3, 1], in both orders
  // of min and max (min > max sends the whole gradient to max).
  for (double offset : {0.0, -2.5}) {
    EXPECT_EQ(
        CheckGrad(
            [](const TensorList& in) {
              return ad::clamp(in[0], std::optional<Tensor>(in[1]),
                               std::optional<Tensor>(in[2]));
            },
            {LeafIn("transposed", Range(-2.0, 2.0), 21),
             requires_grad_(Uniform({4}, -1.5, -0.5, 22)),
             requires_grad_(Uniform({3, 1}, 0.5 + offset, 1.5 + offset, 23))}),
        "")
        << "clamp(x, min, max), max offset " << offset;
  }
}

TEST(PointwiseGrad, Where) {
  Tensor cond = tch::gt(Uniform({3, 4}, -1, 1, 31), 0.0);
  const Maker any = Range(-2.0, 2.0);
  CheckBinary(
      "where(cond, a, b)",
      [&](auto a, auto b) { return ad::where(cond, a, b); }, any, any);
  // cond broadcasts over smaller a [4] and b [1].
  EXPECT_EQ(
      CheckGrad(
          [&](const TensorList& in) { return ad::where(cond, in[0], in[1]); },
          {requires_grad_(Uniform({4}, -1, 1, 32)),
           requires_grad_(Uniform({1}, -1, 1, 33))}),
      "");
  CheckUnary(
      "where(cond, x, 0.5)", [&](auto x) { return ad::where(cond, x, 0.5); },
      any);
  CheckUnary(
      "where(cond, 0.5, x)", [&](auto x) { return ad::where(cond, 0.5, x); },
      any);
  EXPECT_FALSE(requires_grad(ad::where(cond, 1.0, 0.0)));
}

TEST(PointwiseGrad, TernaryArithmetic) {
  // self [3, 1], t1 [4] and t2/weight [3, 4] (transposed) broadcast.
  auto check = [](const std::string& name, Maker make_t2,
                  std::function<Tensor(const TensorList&)> f) {
    EXPECT_EQ(CheckGrad(f, {requires_grad_(Uniform({3, 1}, -2, 2, 41)),
                            requires_grad_(Uniform({4}, -2, 2, 42)),
                            LeafIn("transposed", make_t2, 43)}),
              "")
        << name;
    EXPECT_EQ(CheckGrad(f, {LeafIn("sliced", Range(-2, 2), 44),
                            LeafIn("contiguous", Range(-2, 2), 45),
                            LeafIn("transposed", make_t2, 46)}),
              "")
        << name << " (same shapes)";
  };
  check("addcmul", Range(-2, 2), [](const TensorList& in) {
    return ad::addcmul(in[0], in[1], in[2], 0.5);
  });
  check("addcmul value 1", Range(-2, 2),
        [](const TensorList& in) { return ad::addcmul(in[0], in[1], in[2]); });
  check("addcdiv", AwayFromZero, [](const TensorList& in) {
    return ad::addcdiv(in[0], in[1], in[2], -1.5);
  });
  check("lerp tensor weight", Range(-0.5, 1.5),
        [](const TensorList& in) { return ad::lerp(in[0], in[1], in[2]); });
  // Only some inputs require grad.
  Tensor plain = Uniform({3, 4}, 0.5, 1.5, 47);
  EXPECT_EQ(CheckGrad(
                [&](const TensorList& in) {
                  return ad::addcdiv(plain, plain, in[0]);
                },
                {requires_grad_(Uniform({3, 4}, 0.5, 1.5, 48))}),
            "");
}

TEST(PointwiseGrad, ForwardMatchesCoreAndRecordsOnlyWhenNeeded) {
  Tensor x = Uniform({2, 3}, 0.5, 2.0, 51);
  EXPECT_TRUE(TensorsEqual(ad::gelu(x, "tanh"), tch::gelu(x, "tanh")));
  EXPECT_TRUE(TensorsEqual(ad::pow(x, x), tch::pow(x, x)));
  EXPECT_FALSE(requires_grad(ad::exp(x)));
  Tensor leaf = requires_grad_(x.clone());
  EXPECT_TRUE(requires_grad(ad::exp(leaf)));
  EXPECT_TRUE(TensorsEqual(ad::detach(ad::exp(leaf)), tch::exp(x)));
  EXPECT_THROW(ad::gelu(leaf, "fast"), ValueError);
}

TEST(PointwiseGrad, Float32GradientsStayFloat32) {
  Tensor x = requires_grad_(from_vector<float>({0.5f, 1.5f}));
  Tensor y = ad::sqrt(x);
  Tensor g = grad({y}, {x}, {ones({2})})[0];
  EXPECT_EQ(g.dtype(), DType::kFloat32);
  EXPECT_TRUE(
      TensorsClose(g, from_vector<float>({0.70710678f, 0.40824829f}), 1e-6));
}

// --- Ties and kinks against PyTorch 1.13 ------------------------------------

void ExpectGoldenGrads(const std::string& name,
                       const std::vector<std::string>& inputs,
                       const std::function<Tensor(const TensorList&)>& f) {
  grad_test::ExpectGoldenGrads(kGolden, name, inputs, f);
}

TEST(PointwiseGrad, TiesAndKinksMatchPyTorch) {
  using L = const TensorList&;
  ExpectGoldenGrads("relu", {"x"}, [](L in) { return ad::relu(in[0]); });
  ExpectGoldenGrads("abs", {"x"}, [](L in) { return ad::abs(in[0]); });
  ExpectGoldenGrads("sign", {"x"}, [](L in) { return ad::sign(in[0]); });
  ExpectGoldenGrads("floor", {"x"}, [](L in) { return ad::floor(in[0]); });
  for (const char* name : {"maximum", "maximum_bcast"}) {
    ExpectGoldenGrads(name, {"a", "b"},
                      [](L in) { return ad::maximum(in[0], in[1]); });
  }
  for (const char* name : {"minimum", "minimum_bcast"}) {
    ExpectGoldenGrads(name, {"a", "b"},
                      [](L in) { return ad::minimum(in[0], in[1]); });
  }
  ExpectGoldenGrads("clamp", {"x"},
                    [](L in) { return ad::clamp(in[0], 0.0, 1.0); });
  ExpectGoldenGrads("clamp_min", {"x"},
                    [](L in) { return ad::clamp_min(in[0], 0.0); });
  ExpectGoldenGrads("clamp_max", {"x"},
                    [](L in) { return ad::clamp_max(in[0], 1.0); });
  ExpectGoldenGrads("clamp_tensor", {"x", "lo", "hi"}, [](L in) {
    return ad::clamp(in[0], std::optional<Tensor>(in[1]),
                     std::optional<Tensor>(in[2]));
  });
  ExpectGoldenGrads("clamp_tensor_min", {"x", "lo"}, [](L in) {
    return ad::clamp(in[0], std::optional<Tensor>(in[1]), std::nullopt);
  });
  ExpectGoldenGrads("clamp_tensor_max", {"x", "hi"}, [](L in) {
    return ad::clamp(in[0], std::nullopt, std::optional<Tensor>(in[1]));
  });
  ExpectGoldenGrads("pow_tt", {"a", "b"},
                    [](L in) { return ad::pow(in[0], in[1]); });
  ExpectGoldenGrads("pow_ts2", {"x"}, [](L in) { return ad::pow(in[0], 2.0); });
  ExpectGoldenGrads("pow_ts0", {"x"}, [](L in) { return ad::pow(in[0], 0.0); });
  ExpectGoldenGrads("pow_ts_half", {"x"},
                    [](L in) { return ad::pow(in[0], 0.5); });
  ExpectGoldenGrads("pow_st0", {"x"}, [](L in) { return ad::pow(0.0, in[0]); });
  ExpectGoldenGrads("pow_st2", {"x"}, [](L in) { return ad::pow(2.0, in[0]); });
  ExpectGoldenGrads("nan_to_num", {"x"},
                    [](L in) { return ad::nan_to_num(in[0]); });
}

}  // namespace
}  // namespace tch::autograd
