// File: torch/data/dataset_test.cc
//
// The in-memory tensor dataset and the synthetic blobs.
#include "torch/data/dataset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "torch/core/error.h"
#include "torch/core/ops.h"

namespace tch::data {
namespace {

TEST(TensorDatasetTest, GathersRowsInIndexOrder) {
  const Tensor x = arange(12, DType::kFloat32).view({4, 3});
  const Tensor y = from_vector<int64_t>({7, 8, 9, 10}, {4});
  const auto d = MakeTensorDataset(x.t().contiguous().t(), y, 11, "t");
  EXPECT_EQ(d->size(), 4);
  EXPECT_EQ(d->input_shape(), (Shape{3}));
  EXPECT_EQ(d->target_shape(), Shape{});
  const std::vector<int64_t> idx = {3, 1, 3};
  const Batch b = d->GetBatch(idx);
  EXPECT_EQ(b.inputs.ToVector<float>(),
            (std::vector<float>{9, 10, 11, 3, 4, 5, 9, 10, 11}));
  EXPECT_EQ(b.targets.ToVector<int64_t>(), (std::vector<int64_t>{10, 8, 10}));
  const std::vector<int64_t> bad = {4};
  EXPECT_THROW(d->GetBatch(bad), IndexError);
  const std::vector<int64_t> negative = {-1};
  EXPECT_THROW(d->GetBatch(negative), IndexError);
  EXPECT_THROW(MakeTensorDataset(x, from_vector<int64_t>({1, 2}, {2}), 2, ""),
               ValueError);
  EXPECT_THROW(MakeTensorDataset(scalar_tensor(1, DType::kFloat32), y, 2, ""),
               ValueError);
  EXPECT_EQ(SplitName(Split::kVal), "val");
}

Batch All(const Dataset& d) {
  std::vector<int64_t> idx(static_cast<size_t>(d.size()));
  std::iota(idx.begin(), idx.end(), 0);
  return d.GetBatch(idx);
}

TEST(SyntheticTest, SeededBalancedAndLearnable) {
  const SyntheticOptions options{
      .input_shape = {2, 4}, .num_classes = 5, .size = 500, .seed = 3};
  const auto d = Synthetic(options);
  EXPECT_EQ(d->size(), 500);
  EXPECT_EQ(d->input_shape(), (Shape{2, 4}));
  EXPECT_EQ(d->num_classes(), 5);
  const Batch b = All(*d);
  EXPECT_EQ(b.inputs.sizes(), (Shape{500, 2, 4}));
  EXPECT_EQ(b.inputs.ToVector<float>(),
            All(*Synthetic(options)).inputs.ToVector<float>());
  SyntheticOptions other = options;
  other.seed = 4;
  EXPECT_NE(b.inputs.ToVector<float>(),
            All(*Synthetic(other)).inputs.ToVector<float>());
  // Balanced classes; a nearest-class-mean classifier (fit on the first
  // half, scored on the second) is accurate: the data is learnable.
  const std::vector<int64_t> y = b.targets.ToVector<int64_t>();
  const std::vector<float> x = b.inputs.ToVector<float>();
  std::vector<int64_t> counts(5, 0);
  for (int64_t v : y) ++counts[v];
  EXPECT_EQ(counts, std::vector<int64_t>(5, 100));
  std::vector<double> mean(5 * 8, 0.0);
  for (size_t i = 0; i < 250; ++i) {
    for (size_t f = 0; f < 8; ++f) mean[y[i] * 8 + f] += x[i * 8 + f] / 50.0;
  }
  int correct = 0;
  for (size_t i = 250; i < 500; ++i) {
    int best = 0;
    double best_dist = 1e30;
    for (int c = 0; c < 5; ++c) {
      double dist = 0;
      for (size_t f = 0; f < 8; ++f) {
        const double diff = x[i * 8 + f] - mean[c * 8 + f];
        dist += diff * diff;
      }
      if (dist < best_dist) best_dist = dist, best = c;
    }
    correct += best == y[i];
  }
  EXPECT_GT(correct, 225);  // > 90%
  EXPECT_THAT(d->description(), ::testing::HasSubstr("500 examples [2, 4]"));
}

TEST(SyntheticTest, InvalidOptions) {
  EXPECT_THROW(Synthetic({.size = 0}), ValueError);
  EXPECT_THROW(Synthetic({.num_classes = 0}), ValueError);
  EXPECT_THROW(Synthetic({.input_shape = {}}), ValueError);
  EXPECT_THROW(Synthetic({.input_shape = {3, 0}}), ValueError);
}

}  // namespace
}  // namespace tch::data
