// float32 2x2 / stride 2 max pooling (the branch-free AVX-512 kernels of
// pool_simd-inl.h where the CPU has them) against the scalar float64 path,
// on shapes with a leftover row and column, ties and several NaNs per
// window; PyTorch 1.13's rule for NaN windows; and the backward's fallback
// when indices leave their 2x2 windows.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "torch/core/nn_ops.h"
#include "torch/core/ops.h"
#include "torch/core/parallel.h"
#include "torch/testing/tensor_matchers.h"

namespace tch {
namespace {

using ::tch::testing::TensorsEqual;

// Values in {-2, -1.5, ..., 2} (many ties), with NaN and -Inf sprinkled in
// (several NaNs share some windows).
std::vector<float> Quantized(int64_t n, uint32_t seed, bool non_finite) {
  std::vector<float> v(static_cast<size_t>(n));
  uint32_t x = seed * 2654435761u + 7;
  for (float& e : v) {
    x = x * 1664525u + 1013904223u;
    const uint32_t r = x >> 24;
    e = static_cast<float>(static_cast<int>(r % 9) - 4) * 0.5f;
    if (non_finite && r % 23 == 0) e = std::numeric_limits<float>::quiet_NaN();
    if (non_finite && r % 29 == 1) e = -std::numeric_limits<float>::infinity();
  }
  return v;
}

// NaN-aware equality of two float tensors of the same shape.
bool SameValues(const Tensor& a, const Tensor& b) {
  const std::vector<float> x = a.to(DType::kFloat32).ToVector<float>();
  const std::vector<float> y = b.to(DType::kFloat32).ToVector<float>();
  if (x.size() != y.size()) return false;
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) != std::isnan(y[i])) return false;
    if (!std::isnan(x[i]) && x[i] != y[i]) return false;
  }
  return true;
}

TEST(MaxPool2x2Test, MatchesScalarPath) {
  const std::vector<Shape> shapes = {
      {4, 3, 28, 28}, {2, 5, 14, 14}, {2, 3, 15, 9}, {1, 2, 7, 40}, {3, 9, 2}};
  uint32_t seed = 1;
  for (int threads : {1, 2}) {
    const int saved = GetNumThreads();
    SetNumThreads(threads);
    for (const Shape& s : shapes) {
      for (bool non_finite : {false, true}) {
        SCOPED_TRACE(ShapeToString(s) + (non_finite ? " with NaN" : ""));
        const Tensor x =
            from_vector(Quantized(NumElements(s), seed++, non_finite), s);
        const Tensor x64 = x.to(DType::kFloat64);
        auto [y, idx] = max_pool2d_with_indices(x, {2});
        auto [y64, idx64] = max_pool2d_with_indices(x64, {2});
        EXPECT_TRUE(SameValues(y, y64));
        EXPECT_TRUE(TensorsEqual(idx, idx64));
        const Tensor go = from_vector(
            Quantized(NumElements(y.sizes()), seed++, false), y.sizes());
        EXPECT_TRUE(
            TensorsEqual(max_pool2d_backward(go, x, idx),
                         max_pool2d_backward(go.to(DType::kFloat64), x64, idx64)
                             .to(DType::kFloat32)));
      }
    }
    SetNumThreads(saved);
  }
}

// PyTorch 1.13: F.max_pool2d(x, 2, return_indices=True) on
// x = [[nan, 1, nan, 2], [3, nan, 4, 5]] gives values [nan, nan] and
// indices [5, 2]: a later NaN replaces an earlier one.
TEST(MaxPool2x2Test, LastNaNWinsLikePyTorch) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (DType dt : {DType::kFloat32, DType::kFloat64}) {
    const Tensor x =
        from_vector(std::vector<float>{nan, 1, nan, 2, 3, nan, 4, 5},
                    {1, 1, 2, 4})
            .to(dt);
    auto [y, idx] = max_pool2d_with_indices(x, {2});
    EXPECT_EQ(idx.ToVector<int64_t>(), (std::vector<int64_t>{5, 2}));
    const std::vector<float> v = y.to(DType::kFloat32).ToVector<float>();
    EXPECT_TRUE(std::isnan(v[0]) && std::isnan(v[1]));
  }
}

// Indices of 3x3 pooling go through the scatter: stride 1 (overlapping
// windows, gradients of shared inputs add up) and stride 2 (an output that
// fits 2x2 windows, indices that leave them).
TEST(MaxPool2x2Test, BackwardScattersIndicesOutsideTheirWindow) {
  const Shape s{2, 3, 9, 8};
  const Tensor x = from_vector(Quantized(NumElements(s), 99, false), s);
  const Tensor idx = max_pool2d_with_indices(x, {3}, {1}).second;
  const Tensor idx2 = max_pool2d_with_indices(x, {3}, {2}).second;
  for (const Tensor& ix : {idx, idx2}) {
    const Shape os = ix.sizes();
    const Tensor go = from_vector(Quantized(NumElements(os), 5, false), os);
    EXPECT_TRUE(TensorsEqual(
        max_pool2d_backward(go, x, ix),
        max_pool2d_backward(go.to(DType::kFloat64), x.to(DType::kFloat64), ix)
            .to(DType::kFloat32)));
  }
}

}  // namespace
}  // namespace tch
