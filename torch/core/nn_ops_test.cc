// conv2d, pooling and embedding (forward and backward) against PyTorch 1.13
// goldens from tests/golden/nn_golden.py; the op parameters of each case
// below repeat the script's.
#include "torch/core/nn_ops.h"

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

using ::tch::testing::TensorsClose;
using ::tch::testing::TensorsEqual;
using ::testing::HasSubstr;

constexpr char kGoldenPath[] = "tests/golden/nn.safetensors";

const std::map<std::string, Tensor>& Golden() {
  return tch::testing::CachedGolden(kGoldenPath);
}

Tensor G(const std::string& name) {
  return tch::testing::GoldenTensor(kGoldenPath, name);
}

// The same values in a non-contiguous tensor (every other element of a wider
// last dim).
Tensor NonContiguous(const Tensor& t) {
  Shape sizes = t.sizes();
  sizes.back() *= 2;
  Tensor wide = full(sizes, 1e6, t.dtype());
  Tensor view = wide.slice(-1, 0, sizes.back(), 2);
  view.copy_(t);
  EXPECT_FALSE(view.is_contiguous());
  return view;
}

// Tolerances by dtype: (rtol, atol).
std::pair<double, double> Tol(DType d) {
  switch (d) {
    case DType::kFloat64:
      return {1e-10, 1e-10};
    case DType::kFloat16:
      return {1e-2, 2e-2};
    case DType::kBFloat16:
      return {4e-2, 1e-1};
    default:
      return {1e-5, 1e-5};
  }
}

#define EXPECT_CLOSE(actual, expected, dtype)                             \
  do {                                                                    \
    const auto tol_ = Tol(dtype);                                         \
    EXPECT_TRUE(TensorsClose(actual, expected, tol_.first, tol_.second)); \
  } while (false)

// --- conv2d ------------------------------------------------------------------

struct ConvCase {
  std::string name;
  std::vector<int64_t> stride, dilation;
  std::vector<int64_t> padding;  // empty when padding_str is used
  std::string padding_str;
  int64_t groups;
};

std::vector<ConvCase> ConvCases() {
  return {
      {"conv_basic", {1}, {1}, {1}, "", 1},
      {"conv_sdp", {2, 1}, {2, 1}, {1, 2}, "", 1},
      {"conv_groups", {2}, {1}, {1}, "", 2},
      {"conv_depthwise", {1}, {1}, {0, 1}, "", 4},
      {"conv_1x1", {1}, {1}, {0}, "", 1},
      {"conv_unbatched", {1, 2}, {1}, {0}, "", 1},
      {"conv_same_even", {1}, {1}, {}, "same", 1},
      {"conv_same_dil", {1}, {2, 1}, {}, "same", 1},
      {"conv_valid", {1}, {1}, {}, "valid", 1},
      {"conv_stride3", {3}, {1}, {2}, "", 1},
      {"conv_big", {1}, {1}, {1}, "", 1},
  };
}

Tensor RunConv(const ConvCase& c, const Tensor& x, const Tensor& w,
               const Tensor& b) {
  if (!c.padding_str.empty()) {
    return conv2d(x, w, b, c.stride, ParseConv2dPadding(c.padding_str),
                  c.dilation, c.groups);
  }
  return conv2d(x, w, b, c.stride, c.padding, c.dilation, c.groups);
}

Conv2dGrads RunConvBackward(const ConvCase& c, const Tensor& go,
                            const Tensor& x, const Tensor& w,
                            std::array<bool, 3> mask) {
  if (!c.padding_str.empty()) {
    return conv2d_backward(go, x, w, c.stride,
                           ParseConv2dPadding(c.padding_str), c.dilation,
                           c.groups, mask);
  }
  return conv2d_backward(go, x, w, c.stride, c.padding, c.dilation, c.groups,
                         mask);
}

TEST(Conv2dTest, ForwardAndBackwardMatchPyTorch) {
  for (const ConvCase& c : ConvCases()) {
    SCOPED_TRACE(c.name);
    const Tensor x = G(c.name + ".x"), w = G(c.name + ".w");
    const bool has_bias = Golden().count(c.name + ".b") > 0;
    const Tensor b = has_bias ? G(c.name + ".b") : Tensor();
    const DType dt = x.dtype();
    EXPECT_CLOSE(RunConv(c, x, w, b), G(c.name + ".y"), dt);
    EXPECT_CLOSE(RunConv(c, NonContiguous(x), NonContiguous(w), b),
                 G(c.name + ".y"), dt);
    Conv2dGrads grads =
        RunConvBackward(c, G(c.name + ".go"), x, w, {true, true, has_bias});
    EXPECT_CLOSE(grads.grad_input, G(c.name + ".gx"), dt);
    EXPECT_CLOSE(grads.grad_weight, G(c.name + ".gw"), dt);
    if (has_bias) {
      EXPECT_CLOSE(grads.grad_bias, G(c.name + ".gb"), dt);
    } else {
      EXPECT_FALSE(grads.grad_bias.defined());
    }
    // Each gradient alone, from a non-contiguous grad_output.
    Conv2dGrads only_w = RunConvBackward(c, NonContiguous(G(c.name + ".go")), x,
                                         w, {false, true, false});
    EXPECT_FALSE(only_w.grad_input.defined());
    EXPECT_CLOSE(only_w.grad_weight, G(c.name + ".gw"), dt);
    Conv2dGrads only_x =
        RunConvBackward(c, G(c.name + ".go"), x, w, {true, false, false});
    EXPECT_CLOSE(only_x.grad_input, G(c.name + ".gx"), dt);
    if (has_bias) {
      Conv2dGrads only_b =
          RunConvBackward(c, G(c.name + ".go"), x, w, {false, false, true});
      EXPECT_FALSE(only_b.grad_weight.defined());
      EXPECT_CLOSE(only_b.grad_bias, G(c.name + ".gb"), dt);
    }
  }
}

// float32 runs every case too (its paths differ from float64's: direct and
// GEMM kernels in conv_kernels.cc, im2col + BLAS in conv_f64.cc), against the
// float64 goldens cast to float32.
TEST(Conv2dTest, Float32PathsMatchFloat64Goldens) {
  for (const ConvCase& c : ConvCases()) {
    SCOPED_TRACE(c.name);
    const DType f = DType::kFloat32;
    const Tensor x = G(c.name + ".x").to(f), w = G(c.name + ".w").to(f);
    const bool has_bias = Golden().count(c.name + ".b") > 0;
    const Tensor b = has_bias ? G(c.name + ".b").to(f) : Tensor();
    EXPECT_TRUE(
        TensorsClose(RunConv(c, x, w, b), G(c.name + ".y"), 1e-4, 1e-4));
    Conv2dGrads grads = RunConvBackward(c, G(c.name + ".go").to(f), x, w,
                                        {true, true, has_bias});
    EXPECT_TRUE(TensorsClose(grads.grad_input, G(c.name + ".gx"), 1e-4, 1e-4));
    EXPECT_TRUE(TensorsClose(grads.grad_weight, G(c.name + ".gw"), 1e-4, 1e-4));
  }
}

// Inf in the input must not turn discarded columns into NaN: float32
// (implicit im2col) and float64 (explicit im2col) agree element by element.
TEST(Conv2dTest, NonFiniteInputBackwardMatchesExplicitPath) {
  Tensor x = G("conv_basic.x").clone();
  x.select(0, 1).select(0, 2).select(0, 3).select(0, 5).fill_(
      std::numeric_limits<float>::infinity());
  x.select(0, 0).select(0, 0).select(0, 6).select(0, 0).fill_(
      -std::numeric_limits<float>::infinity());
  const Tensor w = G("conv_basic.w"), go = G("conv_basic.go");
  Conv2dGrads g32 = conv2d_backward(go, x, w, {1}, {1}, {1}, 1);
  Conv2dGrads g64 =
      conv2d_backward(go.to(DType::kFloat64), x.to(DType::kFloat64),
                      w.to(DType::kFloat64), {1}, {1}, {1}, 1);
  EXPECT_TRUE(TensorsClose(g32.grad_weight, g64.grad_weight, 1e-4, 1e-4));
  EXPECT_TRUE(TensorsClose(g32.grad_input, g64.grad_input, 1e-4, 1e-4));
  EXPECT_TRUE(
      TensorsClose(conv2d(x, w, G("conv_basic.b"), {1}, {1}),
                   conv2d(x.to(DType::kFloat64), w.to(DType::kFloat64),
                          G("conv_basic.b").to(DType::kFloat64), {1}, {1}),
                   1e-4, 1e-4));
}

// A single large sample splits its GEMMs over the thread pool; float32
// (Highway GEMMs) must agree with float64 (OpenBLAS).
TEST(Conv2dTest, LargeUnbatchedSampleMatchesFloat64) {
  const Tensor x =
      (arange(0, 16 * 40 * 40, 1, DType::kFloat64) * 0.37).view({16, 40, 40}) *
          0.01 -
      1.0;
  const Tensor w =
      (arange(0, 24 * 16 * 9, 1, DType::kFloat64) * 0.11).view({24, 16, 3, 3}) *
          0.001 -
      0.1;
  const Tensor go =
      (arange(0, 24 * 40 * 40, 1, DType::kFloat64) * 0.07).view({24, 40, 40}) *
          0.001 -
      0.5;
  const DType f = DType::kFloat32;
  EXPECT_TRUE(TensorsClose(conv2d(x.to(f), w.to(f), Tensor(), {1}, {1}),
                           conv2d(x, w, Tensor(), {1}, {1}), 1e-4, 1e-4));
  Conv2dGrads g32 =
      conv2d_backward(go.to(f), x.to(f), w.to(f), {1}, {1}, {1}, 1);
  Conv2dGrads g64 = conv2d_backward(go, x, w, {1}, {1}, {1}, 1);
  EXPECT_TRUE(TensorsClose(g32.grad_input, g64.grad_input, 1e-4, 1e-4));
  EXPECT_TRUE(TensorsClose(g32.grad_weight, g64.grad_weight, 1e-4, 1e-3));
  EXPECT_TRUE(TensorsClose(g32.grad_bias, g64.grad_bias, 1e-4, 1e-3));
}

TEST(Conv2dTest, SingleThreadMatchesToo) {
  const int saved = GetNumThreads();
  SetNumThreads(1);
  const ConvCase c = ConvCases()[2];  // conv_groups, batch 2
  const Tensor x = G(c.name + ".x"), w = G(c.name + ".w"), b = G(c.name + ".b");
  EXPECT_CLOSE(RunConv(c, x, w, b), G(c.name + ".y"), x.dtype());
  Conv2dGrads grads =
      RunConvBackward(c, G(c.name + ".go"), x, w, {true, true, true});
  EXPECT_CLOSE(grads.grad_weight, G(c.name + ".gw"), x.dtype());
  EXPECT_CLOSE(grads.grad_input, G(c.name + ".gx"), x.dtype());
  SetNumThreads(saved);
}

TEST(Conv2dTest, ReducedPrecisionComputesInFloat) {
  for (DType dt : {DType::kFloat16, DType::kBFloat16}) {
    for (const char* name : {"conv_basic", "conv_groups"}) {
      SCOPED_TRACE(std::string(name) + " " + std::string(DTypeName(dt)));
      const ConvCase c =
          name == std::string("conv_basic") ? ConvCases()[0] : ConvCases()[2];
      const Tensor x = G(c.name + ".x").to(dt), w = G(c.name + ".w").to(dt);
      const Tensor b = G(c.name + ".b").to(dt);
      // Reference: float32 on the same rounded inputs.
      const Tensor ref = RunConv(c, x.to(DType::kFloat32),
                                 w.to(DType::kFloat32), b.to(DType::kFloat32));
      const Tensor y = RunConv(c, x, w, b);
      EXPECT_EQ(y.dtype(), dt);
      EXPECT_CLOSE(y, ref, dt);
      const Tensor go = G(c.name + ".go").to(dt);
      Conv2dGrads gr =
          RunConvBackward(c, go.to(DType::kFloat32), x.to(DType::kFloat32),
                          w.to(DType::kFloat32), {true, true, true});
      Conv2dGrads g16 = RunConvBackward(c, go, x, w, {true, true, true});
      EXPECT_EQ(g16.grad_weight.dtype(), dt);
      EXPECT_CLOSE(g16.grad_input, gr.grad_input, dt);
      EXPECT_CLOSE(g16.grad_weight, gr.grad_weight, dt);
      EXPECT_CLOSE(g16.grad_bias, gr.grad_bias, dt);
    }
  }
}

TEST(Conv2dTest, ZeroBatchAndShapes) {
  Tensor y = conv2d(zeros({0, 3, 5, 5}), ones({4, 3, 3, 3}), ones({4}));
  EXPECT_EQ(y.sizes(), Shape({0, 4, 3, 3}));
  Conv2dGrads g = conv2d_backward(zeros({0, 4, 3, 3}), zeros({0, 3, 5, 5}),
                                  ones({4, 3, 3, 3}), {1}, {0}, {1}, 1);
  EXPECT_EQ(g.grad_input.sizes(), Shape({0, 3, 5, 5}));
  EXPECT_TRUE(TensorsEqual(g.grad_weight, zeros({4, 3, 3, 3})));
  EXPECT_TRUE(TensorsEqual(g.grad_bias, zeros({4})));
  // An expanded (stride-0) input reads like its dense copy.
  const Tensor expanded = full({1, 3, 1, 1}, 0.5).expand({2, 3, 5, 5});
  EXPECT_TRUE(TensorsClose(conv2d(expanded, ones({4, 3, 3, 3}), ones({4})),
                           full({2, 4, 3, 3}, 14.5)));
  // All-ones check of a count: each output sums 1*3*3*3 = 27 plus bias 1.
  Tensor z = conv2d(ones({1, 3, 5, 5}), ones({4, 3, 3, 3}), ones({4}));
  EXPECT_TRUE(TensorsClose(z, full({1, 4, 3, 3}, 28.0)));
}

TEST(Conv2dTest, NaNAndInfPropagate) {
  Tensor x = zeros({1, 1, 4, 4});
  x.select(2, 0).select(2, 0).fill_(std::numeric_limits<float>::quiet_NaN());
  x.select(2, 3).select(2, 3).fill_(std::numeric_limits<float>::infinity());
  Tensor y = conv2d(x, ones({1, 1, 2, 2}));  // [1,1,3,3]
  const std::vector<float> v = y.ToVector<float>();
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_EQ(v[1], 0.0f);
  EXPECT_TRUE(std::isinf(v[8]));
}

TEST(Conv2dTest, Errors) {
  const Tensor x = ones({2, 6, 5, 5});
  try {
    conv2d(x, ones({4, 2, 3, 3}), Tensor(), {1}, {0}, {1}, 2);
    ADD_FAILURE() << "no throw";
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(),
                HasSubstr("expected weight of shape [O, C/groups, "
                          "kH, kW] = [.., 3, .., ..] for input with "
                          "6 channels and groups=2, got [4, 2, 3, 3]"));
  }
  EXPECT_THROW(conv2d(ones({6, 5}), ones({4, 6, 3, 3})), ValueError);
  EXPECT_THROW(conv2d(x, ones({4, 6, 3})), ValueError);
  EXPECT_THROW(conv2d(x, ones({3, 3, 3, 3}), Tensor(), {1}, {0}, {1}, 2),
               ValueError);  // O not divisible by groups
  EXPECT_THROW(conv2d(x, ones({4, 6, 3, 3}), ones({5})), ValueError);
  EXPECT_THROW(conv2d(x, ones({4, 6, 3, 3}), Tensor(), {0}), ValueError);
  EXPECT_THROW(conv2d(x, ones({4, 6, 3, 3}), Tensor(), {1}, {-1}), ValueError);
  EXPECT_THROW(conv2d(x, ones({4, 6, 3, 3}), Tensor(), {1}, {0}, {0}),
               ValueError);
  EXPECT_THROW(conv2d(x, ones({4, 6, 3, 3}), Tensor(), {1, 2, 3}), ValueError);
  EXPECT_THROW(
      conv2d(x, ones({4, 6, 3, 3}), Tensor(), {2}, Conv2dPadding::kSame),
      ValueError);
  EXPECT_THROW(ParseConv2dPadding("full"), ValueError);
  try {
    conv2d(x, ones({4, 6, 7, 7}));
    ADD_FAILURE() << "no throw";
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("Kernel size can't be greater than actual "
                                    "input size"));
  }
  try {
    conv2d(x.to(DType::kFloat64), ones({4, 6, 3, 3}));
    ADD_FAILURE() << "no throw";
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("Input type (float64) and weight type "
                                    "(float32) should be the same"));
  }
  EXPECT_THROW(conv2d(ones({1, 1, 3, 3}, DType::kInt64),
                      ones({1, 1, 1, 1}, DType::kInt64)),
               NotImplementedError);
  EXPECT_THROW(conv2d_backward(ones({2, 4, 2, 2}), x, ones({4, 6, 3, 3}), {1},
                               {0}, {1}, 1),
               ValueError);  // grad_output of the wrong size
}

// --- Pooling
// --------------------------------------------------------------------

struct PoolCase {
  std::string name;
  std::vector<int64_t> kernel, stride, padding, dilation;
  bool ceil_mode;
};

TEST(MaxPool2dTest, ForwardAndBackwardMatchPyTorch) {
  const std::vector<PoolCase> cases = {
      {"mp_basic", {2}, {}, {0}, {1}, false},
      {"mp_ceil", {3}, {2}, {0}, {1}, true},
      {"mp_ceil_pad", {2}, {2}, {1}, {1}, true},
      {"mp_pad_dil", {3}, {2}, {1}, {2}, false},
      {"mp_overlap", {2, 3}, {1, 2}, {0}, {1}, false},
      {"mp_nan", {2}, {}, {0}, {1}, false},
  };
  for (const PoolCase& c : cases) {
    SCOPED_TRACE(c.name);
    for (bool non_contiguous : {false, true}) {
      Tensor x = G(c.name + ".x");
      if (non_contiguous) x = NonContiguous(x);
      auto [y, idx] = max_pool2d_with_indices(x, c.kernel, c.stride, c.padding,
                                              c.dilation, c.ceil_mode);
      EXPECT_TRUE(TensorsEqual(y, G(c.name + ".y")));
      EXPECT_TRUE(TensorsEqual(idx, G(c.name + ".idx")));
      Tensor gx = max_pool2d_backward(G(c.name + ".go"), x, idx);
      EXPECT_CLOSE(gx, G(c.name + ".gx"), x.dtype());
    }
  }
}

TEST(MaxPool2dTest, ReducedPrecisionAndFastPathTies) {
  for (DType dt : {DType::kFloat16, DType::kBFloat16}) {
    const Tensor x = G("mp_basic.x").to(dt);
    auto [y, idx] = max_pool2d_with_indices(x, {2});
    EXPECT_EQ(y.dtype(), dt);
    EXPECT_TRUE(TensorsEqual(y, G("mp_basic.y").to(dt)));
  }
  // Ties: the first element in scan order wins (fast 2x2 path and general).
  auto [y, idx] = max_pool2d_with_indices(ones({1, 1, 4, 4}), {2});
  EXPECT_EQ(idx.ToVector<int64_t>(), (std::vector<int64_t>{0, 2, 8, 10}));
  auto [y3, idx3] = max_pool2d_with_indices(ones({1, 1, 3, 3}), {3});
  EXPECT_EQ(idx3.ToVector<int64_t>(), (std::vector<int64_t>{0}));
}

TEST(Pool2dTest, ZeroBatch) {
  auto [y, idx] = max_pool2d_with_indices(zeros({0, 3, 4, 4}), {2});
  EXPECT_EQ(y.sizes(), Shape({0, 3, 2, 2}));
  EXPECT_EQ(max_pool2d_backward(zeros({0, 3, 2, 2}), zeros({0, 3, 4, 4}), idx)
                .sizes(),
            Shape({0, 3, 4, 4}));
  EXPECT_EQ(avg_pool2d(zeros({0, 3, 4, 4}), {2}).sizes(), Shape({0, 3, 2, 2}));
  EXPECT_EQ(adaptive_avg_pool2d(zeros({0, 3, 4, 4}), {3}).sizes(),
            Shape({0, 3, 3, 3}));
}

TEST(MaxPool2dTest, Errors) {
  try {
    max_pool2d(ones({3, 2, 2}), {3}, {}, {0}, {1});
    ADD_FAILURE() << "no throw";
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("Given input size: (3x2x2). Calculated "
                                    "output size: (3x0x0). Output size is too "
                                    "small"));
  }
  EXPECT_THROW(max_pool2d(ones({2, 2}), {2}), ValueError);
  EXPECT_THROW(max_pool2d(ones({1, 0, 2, 2}), {2}), ValueError);
  EXPECT_THROW(max_pool2d(ones({1, 1, 4, 4}), {2}, {}, {2}), ValueError);
  EXPECT_THROW(max_pool2d(ones({1, 1, 4, 4}), {0}), ValueError);
  EXPECT_THROW(max_pool2d(ones({1, 1, 4, 4}), {2}, {0}), ValueError);
  EXPECT_THROW(max_pool2d(ones({1, 1, 4, 4}, DType::kInt64), {2}),
               NotImplementedError);
  auto [y, idx] = max_pool2d_with_indices(ones({1, 1, 4, 4}), {2});
  EXPECT_THROW(max_pool2d_backward(ones({1, 1, 3, 3}), ones({1, 1, 4, 4}), idx),
               ValueError);
  EXPECT_THROW(max_pool2d_backward(ones({1, 1, 2, 2}), ones({1, 1, 4, 4}),
                                   full({1, 1, 2, 2}, 99, DType::kInt64)),
               IndexError);
}

struct AvgCase {
  std::string name;
  std::vector<int64_t> kernel, stride, padding;
  bool ceil_mode, count_include_pad;
  std::optional<int64_t> divisor;
};

TEST(AvgPool2dTest, ForwardAndBackwardMatchPyTorch) {
  const std::vector<AvgCase> cases = {
      {"ap_basic", {2}, {}, {0}, false, true, std::nullopt},
      {"ap_pad_nocount", {3}, {2}, {1}, false, false, std::nullopt},
      {"ap_ceil", {3}, {2}, {1}, true, true, std::nullopt},
      {"ap_ceil_nocount", {3}, {2}, {1}, true, false, std::nullopt},
      {"ap_div", {2, 3}, {1, 2}, {0}, false, true, 3},
  };
  for (const AvgCase& c : cases) {
    SCOPED_TRACE(c.name);
    const Tensor x = G(c.name + ".x");
    EXPECT_CLOSE(avg_pool2d(NonContiguous(x), c.kernel, c.stride, c.padding,
                            c.ceil_mode, c.count_include_pad, c.divisor),
                 G(c.name + ".y"), x.dtype());
    EXPECT_CLOSE(
        avg_pool2d_backward(G(c.name + ".go"), x, c.kernel, c.stride, c.padding,
                            c.ceil_mode, c.count_include_pad, c.divisor),
        G(c.name + ".gx"), x.dtype());
  }
  const Tensor xb = G("ap_basic.x").to(DType::kBFloat16);
  EXPECT_CLOSE(avg_pool2d(xb, {2}), G("ap_basic.y"), DType::kBFloat16);
  EXPECT_THROW(avg_pool2d(ones({1, 4, 4}), {2}, {}, {0}, false, true, 0),
               ValueError);
  EXPECT_THROW(avg_pool2d_backward(ones({1, 3, 3}), ones({1, 4, 4}), {2}),
               ValueError);
}

TEST(AdaptiveAvgPool2dTest, ForwardAndBackwardMatchPyTorch) {
  const std::vector<std::pair<std::string, std::vector<int64_t>>> cases = {
      {"aap_down", {3, 4}}, {"aap_global", {1}}, {"aap_up", {6, 7}}};
  for (const auto& [name, size] : cases) {
    SCOPED_TRACE(name);
    const Tensor x = G(name + ".x");
    EXPECT_CLOSE(adaptive_avg_pool2d(NonContiguous(x), size), G(name + ".y"),
                 x.dtype());
    EXPECT_CLOSE(adaptive_avg_pool2d_backward(G(name + ".go"), x),
                 G(name + ".gx"), x.dtype());
  }
  EXPECT_EQ(adaptive_avg_pool2d(ones({2, 3, 4, 4}), {0, 2}).sizes(),
            Shape({2, 3, 0, 2}));
  EXPECT_THROW(adaptive_avg_pool2d(ones({4, 4}), {2}), ValueError);
  EXPECT_THROW(adaptive_avg_pool2d(ones({1, 0, 4, 4}), {2}), ValueError);
  EXPECT_THROW(adaptive_avg_pool2d(ones({1, 4, 4}), {-1, 2}), ValueError);
}

// --- Embedding
// ------------------------------------------------------------------

TEST(EmbeddingTest, ForwardAndBackwardMatchPyTorch) {
  struct Case {
    std::string name;
    std::optional<int64_t> padding_idx;
    bool freq;
  };
  for (const Case& c :
       std::vector<Case>{{"emb_basic", std::nullopt, false},
                         {"emb_pad", 2, false},
                         {"emb_int32", -1, false},
                         {"emb_freq", std::nullopt, true},
                         {"emb_scalar_idx", std::nullopt, false}}) {
    SCOPED_TRACE(c.name);
    const Tensor w = G(c.name + ".w"), idx = G(c.name + ".idx");
    EXPECT_TRUE(
        TensorsEqual(embedding(w, idx, c.padding_idx), G(c.name + ".y")));
    EXPECT_TRUE(
        TensorsEqual(embedding(NonContiguous(w), idx), G(c.name + ".y")));
    EXPECT_CLOSE(embedding_backward(G(c.name + ".go"), idx, w.size(0),
                                    c.padding_idx, c.freq),
                 G(c.name + ".gw"), w.dtype());
  }
  // Other weight dtypes are copied as they are.
  Tensor wi = arange(0, 6, 1, DType::kInt64).view({3, 2});
  EXPECT_EQ(embedding(wi, from_vector<int64_t>({2, 0})).ToVector<int64_t>(),
            (std::vector<int64_t>{4, 5, 0, 1}));
  Tensor gh = embedding_backward(ones({4, 2}, DType::kFloat16),
                                 from_vector<int64_t>({1, 1, 0, 1}), 3);
  EXPECT_EQ(gh.dtype(), DType::kFloat16);
  EXPECT_EQ(gh.ToVector<float>(), (std::vector<float>{1, 1, 3, 3, 0, 0}));
  EXPECT_EQ(embedding(wi, zeros({0, 5}, DType::kInt64)).sizes(),
            Shape({0, 5, 2}));
}

TEST(EmbeddingTest, Errors) {
  const Tensor w = ones({10, 3});
  try {
    embedding(w, from_vector<int64_t>({1, 10}));
    ADD_FAILURE() << "no throw";
  } catch (const IndexError& e) {
    EXPECT_THAT(e.what(), HasSubstr("index out of range in self"));
  }
  EXPECT_THROW(embedding(w, from_vector<int64_t>({-1})), IndexError);
  EXPECT_THROW(embedding(ones({10}), from_vector<int64_t>({1})), ValueError);
  EXPECT_THROW(embedding(w, ones({2})), ValueError);
  EXPECT_THROW(embedding(w, from_vector<int64_t>({1}), 10), ValueError);
  EXPECT_THROW(
      embedding_backward(ones({2, 3}), from_vector<int64_t>({1, 12}), 10),
      IndexError);
  EXPECT_THROW(
      embedding_backward(ones({3, 3}), from_vector<int64_t>({1, 2}), 10),
      ValueError);
}

TEST(NnOpsTest, KernelsRegisteredForEveryFloatingDType) {
  for (const char* name :
       {"conv2d", "conv2d_backward", "max_pool2d", "max_pool2d_backward",
        "avg_pool2d", "avg_pool2d_backward", "adaptive_avg_pool2d",
        "adaptive_avg_pool2d_backward", "embedding", "embedding_backward"}) {
    const Op op(name);
    for (DType dt : {DType::kFloat32, DType::kFloat64, DType::kFloat16,
                     DType::kBFloat16}) {
      EXPECT_TRUE(op.Has(DeviceType::kCpu, dt)) << name << " " << dt;
    }
  }
}

}  // namespace
}  // namespace tch
