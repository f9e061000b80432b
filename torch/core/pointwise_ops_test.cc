// Pointwise ops against PyTorch 1.13 goldens (tests/golden/pointwise_golden.py
// writes tests/golden/pointwise.safetensors): every op on every dtype it
// takes, promotion, scalar overloads, views, 0-d and empty tensors, in-place
// variants and errors.
#include "torch/core/pointwise_ops.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>

#include "hwy/highway.h"
#include "hwy/targets.h"
#include "torch/core/ops.h"
#include "torch/testing/tensor_matchers.h"

namespace tch {
namespace {

using ::testing::HasSubstr;
using UnaryFn = std::function<Tensor(const Tensor&)>;
using BinaryFn = std::function<Tensor(const Tensor&, const Tensor&)>;

constexpr char kGoldenPath[] = "tests/golden/pointwise.safetensors";

const std::map<std::string, Tensor>& Golden() {
  return tch::testing::CachedGolden(kGoldenPath);
}

const Tensor& G(const std::string& key) {
  const auto it = Golden().find(key);
  if (it == Golden().end()) {
    ADD_FAILURE() << "golden tensor " << key << " missing";
    static const Tensor empty_tensor = zeros({0});
    return empty_tensor;
  }
  return it->second;
}

// Tolerances by result dtype. float32/float64: a few ulp of the reference's
// libm (Sleef) vs ours (libm, Highway); 16-bit floats: one rounding step of
// the format; integers and bool: exact.
struct Tolerance {
  double rtol, atol;
};
Tolerance TolFor(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return {1e-5, 1e-6};
    case DType::kFloat64:
      return {1e-10, 1e-12};
    case DType::kFloat16:
      return {2e-3, 1e-4};
    case DType::kBFloat16:
      return {8e-3, 1e-3};
    default:
      return {0, 0};
  }
}

::testing::AssertionResult Matches(const Tensor& actual,
                                   const Tensor& expected) {
  if (actual.dtype() != expected.dtype()) {
    return ::testing::AssertionFailure()
           << "dtype " << actual.dtype() << ", expected " << expected.dtype();
  }
  const Tolerance tol = TolFor(expected.dtype());
  return testing::TensorsClose(actual, expected, tol.rtol, tol.atol);
}

// "unary.exp.float32.x" -> {"exp", "float32"}.
std::pair<std::string, std::string> OpAndDType(const std::string& key) {
  const size_t a = key.find('.'), b = key.find('.', a + 1);
  const size_t c = key.find('.', b + 1);
  return {key.substr(a + 1, b - a - 1), key.substr(b + 1, c - b - 1)};
}

const std::map<std::string, UnaryFn>& UnaryOps() {
  static const auto* ops = new std::map<std::string, UnaryFn>{
      {"neg", [](const Tensor& x) { return neg(x); }},
      {"abs", [](const Tensor& x) { return abs(x); }},
      {"sign", [](const Tensor& x) { return sign(x); }},
      {"square", [](const Tensor& x) { return square(x); }},
      {"relu", [](const Tensor& x) { return relu(x); }},
      {"gelu", [](const Tensor& x) { return gelu(x); }},
      {"gelu_tanh", [](const Tensor& x) { return gelu(x, "tanh"); }},
      {"silu", [](const Tensor& x) { return silu(x); }},
      {"softplus", [](const Tensor& x) { return softplus(x); }},
      {"softplus_b2_t3", [](const Tensor& x) { return softplus(x, 2, 3); }},
      {"floor", [](const Tensor& x) { return floor(x); }},
      {"ceil", [](const Tensor& x) { return ceil(x); }},
      {"round", [](const Tensor& x) { return round(x); }},
      {"trunc", [](const Tensor& x) { return trunc(x); }},
      {"isnan", [](const Tensor& x) { return isnan(x); }},
      {"isinf", [](const Tensor& x) { return isinf(x); }},
      {"isfinite", [](const Tensor& x) { return isfinite(x); }},
      {"nan_to_num", [](const Tensor& x) { return nan_to_num(x); }},
      {"nan_to_num_custom",
       [](const Tensor& x) { return nan_to_num(x, 1.5, 7.0, -9.0); }},
      {"logical_not", [](const Tensor& x) { return logical_not(x); }},
      {"exp", [](const Tensor& x) { return exp(x); }},
      {"expm1", [](const Tensor& x) { return expm1(x); }},
      {"log", [](const Tensor& x) { return log(x); }},
      {"log1p", [](const Tensor& x) { return log1p(x); }},
      {"log2", [](const Tensor& x) { return log2(x); }},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }},
      {"rsqrt", [](const Tensor& x) { return rsqrt(x); }},
      {"reciprocal", [](const Tensor& x) { return reciprocal(x); }},
      {"sin", [](const Tensor& x) { return sin(x); }},
      {"cos", [](const Tensor& x) { return cos(x); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
      {"erf", [](const Tensor& x) { return erf(x); }},
  };
  return *ops;
}

const std::map<std::string, BinaryFn>& BinaryOps() {
  static const auto* ops = new std::map<std::string, BinaryFn>{
      {"remainder",
       [](const Tensor& a, const Tensor& b) { return remainder(a, b); }},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }},
      {"maximum",
       [](const Tensor& a, const Tensor& b) { return maximum(a, b); }},
      {"minimum",
       [](const Tensor& a, const Tensor& b) { return minimum(a, b); }},
      {"div_trunc",
       [](const Tensor& a, const Tensor& b) { return div(a, b, "trunc"); }},
      {"div_floor",
       [](const Tensor& a, const Tensor& b) { return div(a, b, "floor"); }},
      {"floor_divide",
       [](const Tensor& a, const Tensor& b) { return floor_divide(a, b); }},
      {"eq", [](const Tensor& a, const Tensor& b) { return eq(a, b); }},
      {"ne", [](const Tensor& a, const Tensor& b) { return ne(a, b); }},
      {"lt", [](const Tensor& a, const Tensor& b) { return lt(a, b); }},
      {"le", [](const Tensor& a, const Tensor& b) { return le(a, b); }},
      {"gt", [](const Tensor& a, const Tensor& b) { return gt(a, b); }},
      {"ge", [](const Tensor& a, const Tensor& b) { return ge(a, b); }},
      {"logical_and",
       [](const Tensor& a, const Tensor& b) { return logical_and(a, b); }},
      {"logical_or",
       [](const Tensor& a, const Tensor& b) { return logical_or(a, b); }},
      {"logical_xor",
       [](const Tensor& a, const Tensor& b) { return logical_xor(a, b); }},
  };
  return *ops;
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}
bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// --- Table-driven: every op x dtype case in the golden file
// ----------------------

TEST(PointwiseGoldenTest, UnaryEveryOpAndDType) {
  std::set<std::string> seen;
  int cases = 0;
  for (const auto& [key, x] : Golden()) {
    if (!StartsWith(key, "unary.") || !EndsWith(key, ".x")) continue;
    const auto [op, dtype] = OpAndDType(key);
    const auto it = UnaryOps().find(op);
    ASSERT_NE(it, UnaryOps().end()) << "no function for golden op " << op;
    const std::string prefix = key.substr(0, key.size() - 2);
    EXPECT_TRUE(Matches(it->second(x), G(prefix + ".out"))) << prefix;
    seen.insert(op);
    ++cases;
  }
  EXPECT_EQ(seen.size(), UnaryOps().size());
  EXPECT_GT(cases, 200);
}

TEST(PointwiseGoldenTest, BinaryEveryOpAndDTypeWithBroadcasting) {
  std::set<std::string> seen;
  for (const std::string group : {"binary.", "mixed."}) {
    for (const auto& [key, a] : Golden()) {
      if (!StartsWith(key, group) || !EndsWith(key, ".a")) continue;
      const auto [op, dtype] = OpAndDType(key);
      const auto it = BinaryOps().find(op);
      ASSERT_NE(it, BinaryOps().end()) << "no function for golden op " << op;
      const std::string prefix = key.substr(0, key.size() - 2);
      EXPECT_TRUE(Matches(it->second(a, G(prefix + ".b")), G(prefix + ".out")))
          << prefix;
      seen.insert(op);
    }
  }
  EXPECT_EQ(seen.size(), BinaryOps().size());
}

TEST(PointwiseGoldenTest, WideRangeAccuracy) {
  const std::map<std::string, UnaryFn>& ops = UnaryOps();
  for (const std::string op :
       {"exp", "log", "tanh", "sigmoid", "silu", "gelu", "gelu_tanh", "relu"}) {
    for (const std::string dtype : {"float32", "float64"}) {
      const std::string prefix = "wide." + op + "." + dtype;
      EXPECT_TRUE(Matches(ops.at(op)(G(prefix + ".x")), G(prefix + ".out")))
          << prefix;
    }
  }
}

// 102400 float32 elements from a misaligned offset: SIMD bodies, tails and
// several ParallelFor chunks.
TEST(PointwiseGoldenTest, LargeTiledInputs) {
  for (const std::string op :
       {"exp", "gelu", "gelu_tanh", "sigmoid", "silu", "tanh", "log", "relu"}) {
    const std::string prefix = "wide." + op + ".float32";
    auto tile = [](const Tensor& t) {
      return t.unsqueeze(0)
          .expand({401, 256})
          .contiguous()
          .flatten()
          .slice(0, 3, 401 * 256 - 2);
    };
    const Tensor x = tile(G(prefix + ".x"));
    ASSERT_TRUE(x.is_contiguous());
    EXPECT_TRUE(Matches(UnaryOps().at(op)(x), tile(G(prefix + ".out"))))
        << prefix;
  }
}

// --- Activation backward
// ------------------------------------------------------------------

const std::map<std::string, BinaryFn>& BackwardOps() {
  static const auto* ops = new std::map<std::string, BinaryFn>{
      {"relu",
       [](const Tensor& g, const Tensor& y) { return relu_backward(g, y); }},
      {"threshold",
       [](const Tensor& g, const Tensor& x) {
         return threshold_backward(g, x, 0.5);
       }},
      {"gelu",
       [](const Tensor& g, const Tensor& x) { return gelu_backward(g, x); }},
      {"gelu_tanh",
       [](const Tensor& g, const Tensor& x) {
         return gelu_backward(g, x, "tanh");
       }},
      {"silu",
       [](const Tensor& g, const Tensor& x) { return silu_backward(g, x); }},
      {"sigmoid",
       [](const Tensor& g, const Tensor& y) { return sigmoid_backward(g, y); }},
      {"tanh",
       [](const Tensor& g, const Tensor& y) { return tanh_backward(g, y); }},
  };
  return *ops;
}

TEST(ActivationBackwardTest, EveryOpAndDTypeAgainstAten) {
  std::set<std::string> seen;
  int cases = 0;
  for (const auto& [key, g] : Golden()) {
    if (!StartsWith(key, "bwd.") || !EndsWith(key, ".g")) continue;
    const auto [op, dtype] = OpAndDType(key);
    const auto it = BackwardOps().find(op);
    ASSERT_NE(it, BackwardOps().end()) << "no function for golden op " << op;
    const std::string prefix = key.substr(0, key.size() - 2);
    EXPECT_TRUE(Matches(it->second(g, G(prefix + ".x")), G(prefix + ".out")))
        << prefix;
    seen.insert(op);
    ++cases;
  }
  EXPECT_EQ(seen.size(), BackwardOps().size());
  EXPECT_EQ(cases, 30);
}

// Wide-range values, and the same tiled to 102400 float32 elements from a
// misaligned offset (SIMD bodies, tails, several ParallelFor chunks).
TEST(ActivationBackwardTest, WideRangeAndLargeTiled) {
  auto tile = [](const Tensor& t) {
    return t.unsqueeze(0)
        .expand({401, 256})
        .contiguous()
        .flatten()
        .slice(0, 3, 401 * 256 - 2);
  };
  for (const auto& [op, fn] : BackwardOps()) {
    for (const std::string dtype : {"float32", "float64"}) {
      const std::string p = "bwdwide." + op + "." + dtype;
      const Tensor &g = G(p + ".g"), &x = G(p + ".x"), &out = G(p + ".out");
      EXPECT_TRUE(Matches(fn(g, x), out)) << p;
      if (dtype == "float32") {
        EXPECT_TRUE(Matches(fn(tile(g), tile(x)), tile(out))) << p << " tiled";
      }
    }
  }
}

// Every compiled SIMD target (AVX-512, AVX2, SSE4, ...) meets the goldens.
TEST(ActivationBackwardTest, EverySimdTarget) {
  const int64_t compiled = HWY_TARGETS & hwy::SupportedTargets();
  int targets = 0;
  for (int64_t bit = 1; bit != 0 && bit <= compiled; bit <<= 1) {
    if ((compiled & bit) == 0) continue;
    SCOPED_TRACE(hwy::TargetName(bit));
    hwy::SetSupportedTargetsForTest(bit);
    for (const auto& [op, fn] : BackwardOps()) {
      const std::string p = "bwdwide." + op + ".float32";
      EXPECT_TRUE(Matches(fn(G(p + ".g"), G(p + ".x")), G(p + ".out"))) << p;
    }
    hwy::SetSupportedTargetsForTest(0);
    ++targets;
  }
  EXPECT_GE(targets, 1);
}

TEST(ActivationBackwardTest, StridedAndBroadcastOperands) {
  const Tensor &g = G("bwdviews.g"), &x = G("bwdviews.x");
  EXPECT_TRUE(Matches(gelu_backward(g.t(), x), G("bwdviews.gelu_t")));
  EXPECT_TRUE(Matches(relu_backward(g.t(), x), G("bwdviews.relu_t")));
  EXPECT_TRUE(Matches(silu_backward(g.t(), x.slice(1, 0, 1).expand({6, 8})),
                      G("bwdviews.silu_col")));
  EXPECT_TRUE(
      Matches(tanh_backward(g.t(), tanh(g).t()), G("bwdviews.tanh_tt")));
  // A broadcast 0-d grad (the gradient of a sum) against a [6, 8] output.
  const Tensor y = relu(x);
  EXPECT_TRUE(Matches(relu_backward(scalar_tensor(2.0, DType::kFloat32), y),
                      where(le(y, 0), 0.0, full({6, 8}, 2.0))));
}

// --- Scalar overloads
// ------------------------------------------------------------------

TEST(PointwiseScalarTest, RemainderPowDivCompare) {
  const Tensor& xf = G("scalar.xf");
  const Tensor& xi = G("scalar.xi");
  EXPECT_TRUE(Matches(remainder(xf, 3), G("scalar.remainder_f_3")));
  EXPECT_TRUE(Matches(remainder(xf, -2.5), G("scalar.remainder_f_m2_5")));
  EXPECT_TRUE(Matches(remainder(xi, -4), G("scalar.remainder_i_m4")));
  EXPECT_TRUE(Matches(remainder(xi, 1.5), G("scalar.remainder_i_1_5")));
  EXPECT_TRUE(
      Matches(remainder(7, xi.slice(0, 7, 16)), G("scalar.remainder_7_ipos")));
  EXPECT_TRUE(
      Matches(remainder(7, xi.slice(0, 0, 6)), G("scalar.remainder_7_ineg")));
  EXPECT_TRUE(Matches(pow(xf, 2), G("scalar.pow_f_2")));
  EXPECT_TRUE(Matches(pow(xf, 0.5), G("scalar.pow_f_0_5")));
  EXPECT_TRUE(Matches(pow(xf, -1), G("scalar.pow_f_m1")));
  EXPECT_TRUE(Matches(pow(xf, -0.5), G("scalar.pow_f_m0_5")));
  EXPECT_TRUE(Matches(pow(xf, 3), G("scalar.pow_f_3")));
  EXPECT_TRUE(Matches(pow(xf, -2), G("scalar.pow_f_m2")));
  EXPECT_TRUE(Matches(pow(xf, 1.7), G("scalar.pow_f_1_7")));
  EXPECT_TRUE(Matches(pow(xi, 3), G("scalar.pow_i_3")));
  EXPECT_TRUE(Matches(pow(xi, 2.5), G("scalar.pow_i_2_5")));
  EXPECT_TRUE(Matches(pow(2, xi), G("scalar.pow_2_i")));
  EXPECT_TRUE(Matches(pow(2.5, xi), G("scalar.pow_2_5_i")));
  EXPECT_TRUE(Matches(pow(from_vector<int64_t>({2, 3, -1, 1, 0, -1}),
                          from_vector<int64_t>({-1, -2, -3, -4, 2, -2})),
                      G("scalar.pow_i_ti")));
  EXPECT_TRUE(Matches(div(xf, -2, "floor"), G("scalar.div_floor_f_m2")));
  EXPECT_TRUE(Matches(div(xi, 3, "trunc"), G("scalar.div_trunc_i_3")));
  EXPECT_TRUE(Matches(div(xi, 3, "floor"), G("scalar.div_floor_i_3")));
  EXPECT_TRUE(Matches(div(xi, 1.5, "floor"), G("scalar.div_floor_i_1_5")));
  EXPECT_TRUE(Matches(floor_divide(xi, -4), G("scalar.floor_divide_i_m4")));
  EXPECT_TRUE(Matches(eq(xi, 1.5), G("scalar.eq_i_1_5")));
  EXPECT_TRUE(Matches(eq(xi, 2), G("scalar.eq_i_2")));
  EXPECT_TRUE(Matches(lt(xf, 1), G("scalar.lt_f_1")));
  EXPECT_TRUE(Matches(ge(xi, 0.5), G("scalar.ge_i_0_5")));
  EXPECT_TRUE(Matches(ne(xf, std::numeric_limits<double>::quiet_NaN()),
                      G("scalar.ne_f_nan")));
  // True division through the same entry point.
  EXPECT_TRUE(Matches(div(xi, 4, std::nullopt), div(xi, 4)));
}

// --- Ternary
// ---------------------------------------------------------------------------

TEST(PointwiseTernaryTest, Where) {
  const Tensor& cond = G("where.cond");
  const Tensor& a = G("where.a");
  const Tensor& b = G("where.b");
  EXPECT_TRUE(Matches(where(cond, a, b), G("where.out")));
  EXPECT_TRUE(Matches(where(cond, b, 2.5), G("where.out_scalar_b")));
  EXPECT_TRUE(Matches(where(cond, 7, b), G("where.out_scalar_a")));
  EXPECT_TRUE(Matches(where(cond, 1, 2), G("where.out_scalars")));
  EXPECT_TRUE(Matches(where(cond, 1, 2.5), G("where.out_scalars_f")));
  EXPECT_TRUE(Matches(where(cond.to(DType::kUInt8), a, b), G("where.out_u8")));
  for (const std::string dtype : {"float32", "float64", "float16", "bfloat16",
                                  "int64", "int32", "uint8", "bool"}) {
    const std::string p = "where_dtype." + dtype;
    EXPECT_TRUE(Matches(where(cond.select(0, 0), G(p + ".a"), G(p + ".b")),
                        G(p + ".out")))
        << p;
  }
}

TEST(PointwiseTernaryTest, ClampScalarBoundsEveryDType) {
  for (const std::string dtype :
       {"float32", "float64", "bfloat16", "int64", "int32", "uint8"}) {
    const std::string p = "clamp." + dtype;
    const Tensor& x = G(p + ".x");
    EXPECT_TRUE(Matches(clamp(x, -2, 3), G(p + ".both"))) << p;
    EXPECT_TRUE(Matches(clamp(x, 1), G(p + ".min"))) << p;
    EXPECT_TRUE(Matches(clamp_min(x, 1), G(p + ".min"))) << p;
    EXPECT_TRUE(Matches(clamp(x, std::nullopt, 2), G(p + ".max"))) << p;
    EXPECT_TRUE(Matches(clamp_max(x, 2), G(p + ".max"))) << p;
    EXPECT_TRUE(Matches(clamp(x, 3, -2), G(p + ".inverted"))) << p;
  }
  EXPECT_TRUE(
      Matches(clamp(G("clamp.float16.x"), -2, 3), G("clamp.float16.both")));
  EXPECT_TRUE(
      Matches(clamp(G("scalar.xi"), 0.5, 2.5), G("clamp.int_float.out")));
  EXPECT_TRUE(Matches(clamp(G("clamp.bool.x"), 0, 1), G("clamp.bool.out")));
}

TEST(PointwiseTernaryTest, ClampTensorBounds) {
  const Tensor& x = G("clamp_tensor.x");
  const Tensor& lo = G("clamp_tensor.min");
  const Tensor& hi = G("clamp_tensor.max");
  EXPECT_TRUE(
      Matches(clamp(x, std::optional<Tensor>(lo), hi), G("clamp_tensor.both")));
  EXPECT_TRUE(
      Matches(clamp(x, std::optional<Tensor>(lo)), G("clamp_tensor.min_only")));
  EXPECT_TRUE(Matches(clamp(x, std::nullopt, std::optional<Tensor>(hi)),
                      G("clamp_tensor.max_only")));
}

TEST(PointwiseTernaryTest, LerpEveryFloatDType) {
  for (const std::string dtype :
       {"float32", "float64", "bfloat16", "float16"}) {
    const std::string p = "lerp." + dtype;
    const Tensor& s = G(p + ".start");
    const Tensor& e = G(p + ".end");
    EXPECT_TRUE(Matches(lerp(s, e, 0.3), G(p + ".scalar_0_3"))) << p;
    EXPECT_TRUE(Matches(lerp(s, e, 0.8), G(p + ".scalar_0_8"))) << p;
    EXPECT_TRUE(Matches(lerp(s, e, G(p + ".weight")), G(p + ".tensor"))) << p;
  }
}

TEST(PointwiseTernaryTest, AddcmulAddcdiv) {
  for (const std::string dtype :
       {"float32", "float64", "bfloat16", "int64", "int32", "uint8"}) {
    const std::string p = "addc." + dtype;
    const Tensor& s = G(p + ".self");
    const Tensor& t1 = G(p + ".t1");
    const Tensor& t2 = G(p + ".t2");
    EXPECT_TRUE(Matches(addcmul(s, t1, t2, 2), G(p + ".addcmul"))) << p;
    if (IsFloatingPoint(s.dtype())) {
      EXPECT_TRUE(Matches(addcdiv(s, t1, t2, -0.5), G(p + ".addcdiv"))) << p;
    }
  }
  EXPECT_TRUE(Matches(
      addcmul(ones({2, 3}), arange(3), from_vector<int64_t>({2, 3}, {2, 1})),
      G("addc.mixed.addcmul")));
  EXPECT_TRUE(Matches(addcmul(arange(4), arange(4), arange(4), 0.5),
                      G("addc.int_value.addcmul")));
}

// float32 add/sub/mul/div from ops.h: their SIMD runs (contiguous, scalar
// on either side) and the strided fallback, out of place and in place.
TEST(PointwiseLayoutTest, Float32ArithmeticSimdRuns) {
  const Tensor& a = G("arith.a");
  const Tensor& b = G("arith.b");
  const Tensor& col = G("arith.col");
  EXPECT_TRUE(Matches(add(a, b, 2), G("arith.add_alpha")));
  EXPECT_TRUE(Matches(sub(a, b, 0.5), G("arith.sub_alpha")));
  EXPECT_TRUE(Matches(a * b, G("arith.mul")));
  EXPECT_TRUE(Matches(a / b, G("arith.div")));
  EXPECT_TRUE(Matches(scalar_tensor(1.5, DType::kFloat32) / b,
                      G("arith.div_scalar_first")));
  EXPECT_TRUE(Matches(a - 0.25, G("arith.sub_scalar_b")));
  EXPECT_TRUE(Matches(a.t() * a.t(), G("arith.mul_t")));
  EXPECT_TRUE(Matches(a + col, G("arith.add_col")));
  EXPECT_TRUE(Matches(col.expand({24, 37}) / b, G("arith.div_col")));
  Tensor x = a.clone();
  x.add_(b, 2);
  EXPECT_TRUE(Matches(x, G("arith.add_alpha")));
  x = a.clone();
  x.div_(b);
  EXPECT_TRUE(Matches(x, G("arith.div")));
  Tensor xt = a.clone().t();
  xt.mul_(a.t());
  EXPECT_TRUE(Matches(xt, G("arith.mul_t")));
}

// --- Layouts
// -----------------------------------------------------------------------------

TEST(PointwiseLayoutTest, NonContiguousAndExpandedInputs) {
  const Tensor& base = G("views.base");
  const Tensor& col = G("views.col");
  const Tensor stepped = base.t().slice(1, 0, 6, 2);
  ASSERT_FALSE(stepped.is_contiguous());
  EXPECT_TRUE(Matches(exp(stepped), G("views.exp_t_step")));
  EXPECT_TRUE(Matches(gelu(base.t()), G("views.gelu_t")));
  EXPECT_TRUE(Matches(relu(base.slice(0, 0, 6, 2).slice(1, 1, 8, 3)),
                      G("views.relu_step")));
  EXPECT_TRUE(Matches(maximum(base.t(), base.slice(0, 0, 1).t()),
                      G("views.maximum_t")));
  const Tensor expanded = col.expand({6, 8});
  ASSERT_EQ(expanded.stride(1), 0);
  EXPECT_TRUE(Matches(sigmoid(expanded), G("views.sigmoid_expand")));
  EXPECT_TRUE(Matches(remainder(base, expanded), G("views.remainder_expand")));
  EXPECT_TRUE(
      Matches(where(gt(base.t(), 0), base.t(), col.t()), G("views.where_t")));
}

TEST(PointwiseLayoutTest, ZeroDimAndEmpty) {
  const Tensor& s = G("zero_d.x");
  EXPECT_TRUE(Matches(exp(s), G("zero_d.exp")));
  EXPECT_EQ(exp(s).dim(), 0);
  EXPECT_TRUE(
      Matches(pow(s, from_vector<float>({1, 2, 3})), G("zero_d.pow_t")));
  EXPECT_TRUE(Matches(maximum(from_vector<int64_t>({1, 5}),
                              scalar_tensor(2.5, DType::kFloat32)),
                      G("zero_d.int_plus_float0d")));

  const Tensor e = zeros({0, 3});
  EXPECT_EQ(exp(e).sizes(), Shape({0, 3}));
  EXPECT_EQ(gelu(e).sizes(), Shape({0, 3}));
  EXPECT_EQ(maximum(e, ones({3})).sizes(), Shape({0, 3}));
  EXPECT_EQ(eq(e, 1).dtype(), DType::kBool);
  EXPECT_EQ(where(zeros({0, 1}, DType::kBool), e, 1.0).sizes(), Shape({0, 3}));
  EXPECT_EQ(clamp(e, 0, 1).numel(), 0);
  Tensor e2 = zeros({2, 0});
  EXPECT_EQ(relu_(e2).numel(), 0);
}

// --- In place
// ------------------------------------------------------------------------------

TEST(PointwiseInPlaceTest, MatchOutOfPlaceAndBumpVersion) {
  const std::map<std::string, std::function<Tensor&(Tensor&)>> ops = {
      {"neg", [](Tensor& x) -> Tensor& { return neg_(x); }},
      {"abs", [](Tensor& x) -> Tensor& { return abs_(x); }},
      {"exp", [](Tensor& x) -> Tensor& { return exp_(x); }},
      {"log", [](Tensor& x) -> Tensor& { return log_(x); }},
      {"sqrt", [](Tensor& x) -> Tensor& { return sqrt_(x); }},
      {"rsqrt", [](Tensor& x) -> Tensor& { return rsqrt_(x); }},
      {"reciprocal", [](Tensor& x) -> Tensor& { return reciprocal_(x); }},
      {"tanh", [](Tensor& x) -> Tensor& { return tanh_(x); }},
      {"sigmoid", [](Tensor& x) -> Tensor& { return sigmoid_(x); }},
      {"relu", [](Tensor& x) -> Tensor& { return relu_(x); }},
      {"silu", [](Tensor& x) -> Tensor& { return silu_(x); }},
      {"floor", [](Tensor& x) -> Tensor& { return floor_(x); }},
      {"ceil", [](Tensor& x) -> Tensor& { return ceil_(x); }},
      {"round", [](Tensor& x) -> Tensor& { return round_(x); }},
      {"trunc", [](Tensor& x) -> Tensor& { return trunc_(x); }},
      {"nan_to_num", [](Tensor& x) -> Tensor& { return nan_to_num_(x); }},
  };
  for (const auto& [op, fn] : ops) {
    for (const std::string dtype : {"float32", "float64", "bfloat16"}) {
      const std::string p = "unary." + op + "." + dtype;
      Tensor x = G(p + ".x").clone();
      const uint32_t before = x.storage().version();
      Tensor& result = fn(x);
      EXPECT_TRUE(result.SameImpl(x)) << p;
      EXPECT_GT(x.storage().version(), before) << p;
      EXPECT_TRUE(Matches(x, G(p + ".out"))) << p;
    }
  }
}

TEST(PointwiseInPlaceTest, WritesThroughViews) {
  Tensor base = G("views.base").clone();
  Tensor view = base.t();
  const uint32_t before = base.storage().version();
  relu_(view);
  EXPECT_GT(base.storage().version(), before);
  EXPECT_TRUE(Matches(base, relu(G("views.base"))));

  Tensor stepped = base.slice(1, 0, 8, 2);
  clamp_(stepped, 0.1, 0.5);
  EXPECT_TRUE(Matches(
      stepped, clamp(relu(G("views.base")).slice(1, 0, 8, 2), 0.1, 0.5)));
  EXPECT_TRUE(
      Matches(base.slice(1, 1, 8, 2), relu(G("views.base")).slice(1, 1, 8, 2)));
}

TEST(PointwiseInPlaceTest, BinaryAndTernary) {
  const std::string p = "lerp.float32";
  Tensor s = G(p + ".start").clone();
  lerp_(s, G(p + ".end"), 0.3);
  EXPECT_TRUE(Matches(s, G(p + ".scalar_0_3")));
  s = G(p + ".start").clone();
  lerp_(s, G(p + ".end"), G(p + ".weight"));
  EXPECT_TRUE(Matches(s, G(p + ".tensor")));

  const std::string q = "addc.float32";
  Tensor a = G(q + ".self").clone();
  addcmul_(a, G(q + ".t1"), G(q + ".t2"), 2);
  EXPECT_TRUE(Matches(a, G(q + ".addcmul")));
  a = G(q + ".self").clone();
  addcdiv_(a, G(q + ".t1"), G(q + ".t2"), -0.5);
  EXPECT_TRUE(Matches(a, G(q + ".addcdiv")));

  Tensor c = G("clamp_tensor.x").clone();
  clamp_(c, std::optional<Tensor>(G("clamp_tensor.min")),
         std::optional<Tensor>(G("clamp_tensor.max")));
  EXPECT_TRUE(Matches(c, G("clamp_tensor.both")));
  Tensor ci = G("clamp.int64.x").clone();
  clamp_(ci, -2, 3);
  EXPECT_TRUE(Matches(ci, G("clamp.int64.both")));

  Tensor xf = G("scalar.xf").clone();
  pow_(xf, 1.7);
  EXPECT_TRUE(Matches(xf, G("scalar.pow_f_1_7")));
  Tensor xi = G("scalar.xi").clone();
  remainder_(xi, -4);
  EXPECT_TRUE(Matches(xi, G("scalar.remainder_i_m4")));
  Tensor r = G("views.base").clone();
  remainder_(r, G("views.col"));
  EXPECT_TRUE(Matches(r, G("views.remainder_expand")));
}

// --- Errors
// ---------------------------------------------------------------------------------

// Expects f() to throw E with `substring` in its message; failures name the
// caller's line (__builtin_LINE: std::source_location needs clang 15).
template <typename E, typename F>
void ExpectError(F f, const std::string& substring,
                 int line = __builtin_LINE()) {
  try {
    f();
    ADD_FAILURE() << "line " << line << ": expected an error containing '"
                  << substring << "'";
  } catch (const E& e) {
    EXPECT_THAT(e.what(), HasSubstr(substring)) << "line " << line;
  }
}

TEST(PointwiseErrorTest, DTypeErrors) {
  const Tensor b = from_vector<bool>({true, false});
  const Tensor i = from_vector<int64_t>({1, 2});
  const Tensor f = from_vector<float>({1, 2});
  ExpectError<ValueError>([&] { neg(b); }, "bool");
  ExpectError<ValueError>([&] { abs(b); }, "bool");
  ExpectError<ValueError>([&] { relu(b); }, "boolean");
  ExpectError<ValueError>([&] { floor(b); }, "bool");
  ExpectError<ValueError>([&] { gelu(i); }, "floating-point");
  ExpectError<ValueError>([&] { silu(i); }, "floating-point");
  ExpectError<ValueError>([&] { softplus(i); }, "floating-point");
  ExpectError<ValueError>([&] { pow(b, b); }, "bool");
  EXPECT_EQ(pow(b, 2).dtype(), DType::kInt64);
  ExpectError<ValueError>([&] { remainder(b, b); }, "bool");
  ExpectError<ValueError>([&] { where(i, f, f); }, "boolean tensor");
  ExpectError<ValueError>(
      [&] { lerp(f, i.to(DType::kFloat32).to(DType::kFloat64), 0.5); },
      "expected dtype float32 for `end`");
  ExpectError<ValueError>([&] { lerp(i, i, 0.5); }, "floating-point");
  ExpectError<ValueError>([&] { addcdiv(i, i, i); }, "integer division");
}

TEST(PointwiseErrorTest, ValueErrors) {
  const Tensor i = from_vector<int64_t>({1, 2, 3});
  const Tensor f = from_vector<float>({1, 2, 3});
  ExpectError<ValueError>([&] { remainder(i, 0); }, "ZeroDivisionError");
  ExpectError<ValueError>([&] { div(i, 0, "floor"); }, "ZeroDivisionError");
  ExpectError<ValueError>(
      [&] {
        div(i, from_vector<int64_t>({1, 0, 1}), "trunc");
      },
      "ZeroDivisionError");
  ExpectError<ValueError>([&] { floor_divide(i, 0); }, "ZeroDivisionError");
  ExpectError<ValueError>([&] { pow(i, -1); }, "negative integer powers");
  ExpectError<ValueError>([&] { div(f, 2, "round"); }, "rounding_mode");
  ExpectError<ValueError>([&] { gelu(f, "exact"); }, "approximate");
  ExpectError<ValueError>(
      [&] { clamp(f, std::optional<Scalar>(), std::nullopt); },
      "at least one of 'min' or 'max'");
  ExpectError<ValueError>([&] { maximum(f, zeros({4})); }, "not broadcastable");
  ExpectError<ValueError>([&] { where(zeros({2}, DType::kBool), f, f); },
                          "not broadcastable");
  ExpectError<ValueError>(
      [&] {
        addcmul(f, f, zeros({2, 2}));
      },
      "not broadcastable");
}

TEST(PointwiseErrorTest, InPlaceErrors) {
  Tensor i = from_vector<int64_t>({1, 2, 3});
  Tensor f = from_vector<float>({1, 2, 3});
  ExpectError<ValueError>([&] { exp_(i); },
                          "can't be cast to the desired output type int64");
  ExpectError<ValueError>([&] { clamp_(i, 0.5, 2.5); }, "can't be cast");
  ExpectError<ValueError>([&] { remainder_(i, 1.5); }, "can't be cast");
  ExpectError<ValueError>(
      [&] {
        remainder_(f, zeros({2, 3}));
      },
      "doesn't match the broadcast shape");
  ExpectError<ValueError>([&] { silu_(i); }, "floating-point");
  Tensor b = from_vector<bool>({true});
  ExpectError<ValueError>([&] { relu_(b); }, "boolean");
}

TEST(ActivationBackwardTest, Errors) {
  const Tensor f = from_vector<float>({1, 2, 3});
  const Tensor i = from_vector<int64_t>({1, 2, 3});
  const Tensor b = from_vector<bool>({true, false, true});
  ExpectError<ValueError>([&] { gelu_backward(i, i); }, "floating-point");
  ExpectError<ValueError>([&] { sigmoid_backward(i, i); }, "sigmoid_backward");
  ExpectError<ValueError>([&] { relu_backward(b, b); }, "bool");
  ExpectError<ValueError>([&] { gelu_backward(f, f, "erf"); }, "approximate");
  ExpectError<ValueError>([&] { tanh_backward(f, zeros({2})); },
                          "tanh_backward");
}

}  // namespace
}  // namespace tch
