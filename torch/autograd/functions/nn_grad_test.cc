// Derivatives of conv2d, pooling and embedding (nn.h): finite-difference
// checks (float64) of every entry over option combinations and
// non-contiguous inputs, and float32 gradients against PyTorch 1.13's
// autograd (tests/golden/autograd_nn_golden.py).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "torch/autograd/functions/grad_test_util.h"
#include "torch/autograd/functions/nn.h"
#include "torch/autograd/grad_mode.h"
#include "torch/autograd/gradcheck.h"
#include "torch/autograd/variable.h"
#include "torch/core/error.h"
#include "torch/core/generator.h"
#include "torch/core/ops.h"
#include "torch/core/random_ops.h"
#include "torch/testing/tensor_matchers.h"

namespace tch {
namespace {

using autograd::grad_test::ErrorOf;
using autograd::grad_test::ExpectGradOk;

using autograd::grad_of;
using autograd::requires_grad;
using autograd::requires_grad_;
using autograd::TensorList;
using testing::GoldenTensor;
using ::testing::HasSubstr;
using testing::TensorsClose;

constexpr char kGolden[] = "tests/golden/autograd_nn.safetensors";

class NnGradTest : public ::testing::Test {
 protected:
  // A float64 leaf of standard normal values.
  Tensor Leaf(IntList sizes) {
    return requires_grad_(randn(sizes, DType::kFloat64, &gen_));
  }
  // A float64 leaf of the given sizes that is not contiguous: the last two
  // dims are stored transposed.
  Tensor StridedLeaf(IntList sizes) {
    Shape stored = sizes.ToShape();
    std::swap(stored[stored.size() - 1], stored[stored.size() - 2]);
    Tensor t = randn(stored, DType::kFloat64, &gen_).transpose(-1, -2);
    EXPECT_FALSE(t.is_contiguous());
    return requires_grad_(t);
  }

  Generator gen_{/*seed=*/7};
};

// --- conv2d
// -------------------------------------------------------------------

TEST_F(NnGradTest, Conv2dBasicWithBias) {
  ExpectGradOk(
      "conv2d 2x2 kernel",
      [](const TensorList& in) { return ad::conv2d(in[0], in[1], in[2]); },
      {Leaf({2, 2, 4, 4}), Leaf({3, 2, 2, 2}), Leaf({3})});
}

TEST_F(NnGradTest, Conv2dStridePaddingGroupsNonContiguous) {
  ExpectGradOk(
      "conv2d stride 2, padding 1, groups 2, strided inputs",
      [](const TensorList& in) {
        return ad::conv2d(in[0], in[1], in[2], {2}, {1}, {1}, 2);
      },
      {StridedLeaf({1, 4, 5, 6}), StridedLeaf({4, 2, 3, 3}), Leaf({4})});
}

TEST_F(NnGradTest, Conv2dDilationAsymmetricUnbatched) {
  ExpectGradOk(
      "conv2d dilation 2, padding (1, 2), stride (1, 2), unbatched, no bias",
      [](const TensorList& in) {
        return ad::conv2d(in[0], in[1], Tensor(), {1, 2}, {1, 2}, {2});
      },
      {Leaf({2, 6, 5}), Leaf({2, 2, 2, 2})});
}

TEST_F(NnGradTest, Conv2dDepthwise) {
  ExpectGradOk("conv2d depthwise (groups 3)",
               [](const TensorList& in) {
                 return ad::conv2d(in[0], in[1], in[2], {1}, {1}, {1}, 3);
               },
               {Leaf({2, 3, 4, 4}), Leaf({3, 1, 2, 2}), Leaf({3})});
}

TEST_F(NnGradTest, Conv2dStringPadding) {
  // "same" with an even kernel pads one more row/column at the bottom/right.
  ExpectGradOk("conv2d padding same, dilation (1, 2)",
               [](const TensorList& in) {
                 return ad::conv2d(in[0], in[1], in[2], {1},
                                   Conv2dPadding::kSame, {1, 2});
               },
               {Leaf({1, 2, 5, 5}), Leaf({2, 2, 2, 3}), Leaf({2})});
  ExpectGradOk("conv2d padding valid, stride 2",
               [](const TensorList& in) {
                 return ad::conv2d(in[0], in[1], Tensor(), {2},
                                   Conv2dPadding::kValid);
               },
               {StridedLeaf({1, 2, 5, 6}), Leaf({3, 2, 2, 2})});
}

TEST_F(NnGradTest, Conv2dOnlySomeInputsRequireGrad) {
  Tensor x = randn({1, 2, 4, 4}, DType::kFloat64, &gen_);  // plain data
  ExpectGradOk(
      "conv2d weight only",
      [](const TensorList& in) { return ad::conv2d(in[0], in[1], in[2]); },
      {x, Leaf({2, 2, 3, 3}), randn({2}, DType::kFloat64, &gen_)});
  Tensor w = randn({2, 2, 3, 3}, DType::kFloat64, &gen_);
  ExpectGradOk("conv2d input only",
               [](const TensorList& in) { return ad::conv2d(in[0], in[1]); },
               {Leaf({1, 2, 4, 4}), w});
}

// --- pooling
// -------------------------------------------------------------------

TEST_F(NnGradTest, MaxPool2dOptions) {
  ExpectGradOk("max_pool2d kernel 2",
               [](const TensorList& in) { return ad::max_pool2d(in[0], {2}); },
               {Leaf({2, 2, 4, 5})});
  ExpectGradOk("max_pool2d kernel 3, stride 2, padding 1, ceil_mode, strided",
               [](const TensorList& in) {
                 return ad::max_pool2d(in[0], {3}, {2}, {1}, {1},
                                       /*ceil_mode=*/true);
               },
               {StridedLeaf({1, 2, 6, 5})});
  ExpectGradOk("max_pool2d overlapping windows, dilation 2, unbatched",
               [](const TensorList& in) {
                 return ad::max_pool2d(in[0], {2, 3}, {1}, {0, 1}, {2});
               },
               {Leaf({2, 5, 6})});
}

TEST_F(NnGradTest, MaxPool2dWithIndices) {
  Tensor x = Leaf({1, 2, 5, 5});
  auto [values, indices] = ad::max_pool2d_with_indices(x, {2}, {2}, {1}, {1},
                                                       /*ceil_mode=*/true);
  EXPECT_TRUE(requires_grad(values));
  EXPECT_FALSE(requires_grad(indices));
  EXPECT_EQ(indices.dtype(), DType::kInt64);
  ExpectGradOk("max_pool2d_with_indices, ceil_mode",
               [](const TensorList& in) {
                 return ad::max_pool2d_with_indices(in[0], {2}, {2}, {1}, {1},
                                                    true)
                     .first;
               },
               {x});
}

TEST_F(NnGradTest, AvgPool2dOptions) {
  ExpectGradOk("avg_pool2d kernel 2",
               [](const TensorList& in) { return ad::avg_pool2d(in[0], {2}); },
               {Leaf({2, 2, 4, 4})});
  ExpectGradOk(
      "avg_pool2d padding 1, ceil_mode, count_include_pad=false, strided",
      [](const TensorList& in) {
        return ad::avg_pool2d(in[0], {3}, {2}, {1}, /*ceil_mode=*/true,
                              /*count_include_pad=*/false);
      },
      {StridedLeaf({1, 2, 6, 5})});
  ExpectGradOk("avg_pool2d padding, count_include_pad, ceil_mode, unbatched",
               [](const TensorList& in) {
                 return ad::avg_pool2d(in[0], {3, 2}, {2, 1}, {1}, true, true);
               },
               {Leaf({2, 5, 4})});
  ExpectGradOk(
      "avg_pool2d divisor_override",
      [](const TensorList& in) {
        return ad::avg_pool2d(in[0], {2, 3}, {1, 2}, {0}, false, true, 4);
      },
      {Leaf({1, 3, 4, 7})});
}

TEST_F(NnGradTest, AdaptiveAvgPool2d) {
  ExpectGradOk("adaptive_avg_pool2d down (overlapping bins), strided",
               [](const TensorList& in) {
                 return ad::adaptive_avg_pool2d(in[0], {3, 4});
               },
               {StridedLeaf({2, 2, 5, 7})});
  ExpectGradOk("adaptive_avg_pool2d up, unbatched",
               [](const TensorList& in) {
                 return ad::adaptive_avg_pool2d(in[0], {4, 5});
               },
               {Leaf({2, 3, 2})});
  ExpectGradOk(
      "adaptive_avg_pool2d global",
      [](const TensorList& in) { return ad::adaptive_avg_pool2d(in[0], {1}); },
      {Leaf({2, 3, 3, 4})});
}

// --- embedding
// ----------------------------------------------------------------

TEST_F(NnGradTest, Embedding) {
  Tensor idx = from_vector<int64_t>({1, 4, 4, 0, 2, 5, 1, 2}, {2, 4});
  ExpectGradOk("embedding with repeated indices, strided weight",
               [&](const TensorList& in) { return ad::embedding(in[0], idx); },
               {StridedLeaf({6, 3})});
  ExpectGradOk("embedding int32 indices, padding_idx not hit",
               [&](const TensorList& in) {
                 return ad::embedding(in[0], idx.to(DType::kInt32),
                                      /*padding_idx=*/3);
               },
               {Leaf({6, 2})});
  ExpectGradOk("embedding 0-D index",
               [](const TensorList& in) {
                 return ad::embedding(in[0], scalar_tensor(4, DType::kInt64));
               },
               {Leaf({6, 2})});
}

TEST_F(NnGradTest, EmbeddingPaddingRowGetsNoGradient) {
  // Not a true derivative (the forward reads the padding row), so checked
  // directly: every occurrence adds its upstream row, except padding_idx.
  Tensor w = Leaf({4, 2});
  Tensor idx = from_vector<int64_t>({3, 1, 3, 0});
  Tensor gy = from_vector<double>({1, 2, 3, 4, 5, 6, 7, 8}, {4, 2});
  for (int64_t padding_idx : {1, -3}) {
    autograd::zero_grad(w);
    autograd::backward(ad::embedding(w, idx, padding_idx), gy);
    EXPECT_TRUE(TensorsClose(
        grad_of(w), from_vector<double>({7, 8, 0, 0, 0, 0, 6, 8}, {4, 2})))
        << "padding_idx " << padding_idx;
  }
}

// --- recording rules
// ------------------------------------------------------------

TEST_F(NnGradTest, NothingRecordedWithoutGradOrInGradModeOff) {
  Tensor x = randn({1, 1, 4, 4}, DType::kFloat64, &gen_);
  Tensor w = randn({1, 1, 2, 2}, DType::kFloat64, &gen_);
  EXPECT_FALSE(requires_grad(ad::conv2d(x, w)));
  EXPECT_FALSE(requires_grad(ad::max_pool2d(x, {2})));
  Tensor wl = Leaf({1, 1, 2, 2});
  {
    autograd::NoGradGuard no_grad;
    EXPECT_FALSE(requires_grad(ad::conv2d(x, wl)));
  }
  EXPECT_TRUE(requires_grad(ad::conv2d(x, wl)));
  // Values match the core ops.
  EXPECT_TRUE(testing::TensorsEqual(ad::conv2d(x, wl, Tensor(), {1}, {1}),
                                    conv2d(x, wl, Tensor(), {1}, {1})));
}

TEST_F(NnGradTest, CoreErrorsComeFirst) {
  Tensor x = Leaf({1, 2, 4, 4});
  EXPECT_THAT(ErrorOf([&] {
                ad::conv2d(x, Leaf({3, 3, 2, 2}));
              }),
              HasSubstr("conv2d"));
  EXPECT_THAT(ErrorOf([&] { ad::max_pool2d(x, {2}, {1}, {2}); }),
              HasSubstr("pad should be at most half of kernel size"));
}

TEST_F(NnGradTest, ChangingTheSavedInputInPlaceIsAnError) {
  Tensor x = Leaf({1, 1, 3, 3});
  Tensor w = Leaf({1, 1, 2, 2});
  Tensor y = ad::conv2d(x, w);
  {
    autograd::NoGradGuard no_grad;
    x.mul_(2.0);
  }
  EXPECT_THAT(ErrorOf([&] { autograd::backward(y, ones_like(y)); }),
              HasSubstr("modified by an inplace operation"));
}

// --- PyTorch 1.13 golden gradients (float32)
// -------------------------------------

Tensor G(const std::string& name) { return GoldenTensor(kGolden, name); }

// The golden leaf `name` as a fresh float32 leaf requiring grad.
Tensor GLeaf(const std::string& name) {
  return requires_grad_(G(name).clone());
}

TEST(NnGolden, Conv2d) {
  Tensor x = GLeaf("conv2d.x"), w = GLeaf("conv2d.w"), b = GLeaf("conv2d.b");
  Tensor y = ad::conv2d(x, w, b, {2}, {1}, {1}, 2);
  EXPECT_TRUE(TensorsClose(y, G("conv2d.y"), 1e-5, 1e-5));
  autograd::backward(y, G("conv2d.gy"));
  EXPECT_TRUE(TensorsClose(grad_of(x), G("conv2d.gx"), 1e-4, 1e-5));
  EXPECT_TRUE(TensorsClose(grad_of(w), G("conv2d.gw"), 1e-4, 1e-5));
  EXPECT_TRUE(TensorsClose(grad_of(b), G("conv2d.gb"), 1e-4, 1e-5));
}

TEST(NnGolden, Conv2dDilatedUnbatched) {
  Tensor x = GLeaf("conv2d_dil.x"), w = GLeaf("conv2d_dil.w");
  Tensor y = ad::conv2d(x, w, Tensor(), {1}, {2, 1}, {2});
  EXPECT_TRUE(TensorsClose(y, G("conv2d_dil.y"), 1e-5, 1e-5));
  autograd::backward(y, G("conv2d_dil.gy"));
  EXPECT_TRUE(TensorsClose(grad_of(x), G("conv2d_dil.gx"), 1e-4, 1e-5));
  EXPECT_TRUE(TensorsClose(grad_of(w), G("conv2d_dil.gw"), 1e-4, 1e-5));
}

TEST(NnGolden, MaxPool2d) {
  Tensor x = GLeaf("max_pool2d.x");
  Tensor y = ad::max_pool2d(x, {3}, {2}, {1}, {1}, /*ceil_mode=*/true);
  EXPECT_TRUE(TensorsClose(y, G("max_pool2d.y"), 0, 0));
  autograd::backward(y, G("max_pool2d.gy"));
  EXPECT_TRUE(TensorsClose(grad_of(x), G("max_pool2d.gx"), 1e-6, 1e-6));
}

}  // namespace
}  // namespace tch
