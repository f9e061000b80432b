// File: torch/data/loader_test.cc
//
// DataLoader: determinism, coverage, resume with SetPosition, drop_last,
// limit, prefetch equivalence, augmentation, exceptions and shutdown.
#include "torch/data/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <numeric>
#include <thread>
#include <vector>

#include "torch/core/error.h"
#include "torch/core/ops.h"
#include "torch/data/dataset.h"

namespace tch::data {
namespace {

using ::testing::HasSubstr;

// Example i has input [i] (float) and target i.
std::shared_ptr<const Dataset> Indexed(int64_t n) {
  std::vector<float> x(static_cast<size_t>(n));
  std::iota(x.begin(), x.end(), 0.0f);
  std::vector<int64_t> y(static_cast<size_t>(n));
  std::iota(y.begin(), y.end(), 0);
  return MakeTensorDataset(from_vector(x, {n, 1}), from_vector(y, {n}), n,
                           "indexed");
}

// Each batch's targets, for `epochs` epochs (checking the nullopt between).
std::vector<std::vector<int64_t>> RunEpochs(DataLoader& loader,
                                            int64_t epochs) {
  std::vector<std::vector<int64_t>> out;
  for (int64_t e = 0; e < epochs; ++e) {
    while (std::optional<Batch> b = loader.Next()) {
      EXPECT_EQ(b->size, b->targets.size(0));
      out.push_back(b->targets.ToVector<int64_t>());
    }
  }
  return out;
}

TEST(DataLoaderTest, SameSeedSameBatchesOtherSeedOtherOrder) {
  DataLoader a(Indexed(50), {.batch_size = 8, .seed = 3});
  DataLoader b(Indexed(50), {.batch_size = 8, .seed = 3});
  DataLoader c(Indexed(50), {.batch_size = 8, .seed = 4});
  const auto ra = RunEpochs(a, 3);
  EXPECT_EQ(ra, RunEpochs(b, 3));
  EXPECT_NE(ra, RunEpochs(c, 3));
  EXPECT_EQ(a.epoch(), 3);
  EXPECT_EQ(a.batch_index(), 0);
}

TEST(DataLoaderTest, EveryExampleOncePerEpochInANewOrder) {
  DataLoader loader(Indexed(103), {.batch_size = 10, .seed = 9});
  EXPECT_EQ(loader.batches_per_epoch(), 11);
  std::vector<int64_t> previous;
  for (int64_t e = 0; e < 3; ++e) {
    std::vector<int64_t> seen;
    int64_t batches = 0;
    while (std::optional<Batch> b = loader.Next()) {
      ++batches;
      EXPECT_EQ(b->size, batches == 11 ? 3 : 10);
      for (int64_t v : b->targets.ToVector<int64_t>()) seen.push_back(v);
      // Inputs travel with their targets.
      EXPECT_EQ(b->inputs.ToVector<float>(),
                b->targets.to(DType::kFloat32).ToVector<float>());
    }
    EXPECT_EQ(batches, 11);
    EXPECT_NE(seen, previous);
    EXPECT_EQ(seen, loader.EpochOrder(e));
    previous = seen;
    std::sort(seen.begin(), seen.end());
    std::vector<int64_t> all(103);
    std::iota(all.begin(), all.end(), 0);
    EXPECT_EQ(seen, all);
  }
}

TEST(DataLoaderTest, NoShuffleKeepsDatasetOrder) {
  DataLoader loader(Indexed(5), {.batch_size = 2, .shuffle = false});
  EXPECT_EQ(RunEpochs(loader, 1),
            (std::vector<std::vector<int64_t>>{{0, 1}, {2, 3}, {4}}));
}

TEST(DataLoaderTest, DropLastAndLimit) {
  DataLoader dropped(Indexed(10),
                     {.batch_size = 3, .shuffle = false, .drop_last = true});
  EXPECT_EQ(dropped.batches_per_epoch(), 3);
  EXPECT_EQ(RunEpochs(dropped, 1), (std::vector<std::vector<int64_t>>{
                                       {0, 1, 2}, {3, 4, 5}, {6, 7, 8}}));
  DataLoader kept(Indexed(10), {.batch_size = 3, .drop_last = false});
  EXPECT_EQ(kept.batches_per_epoch(), 4);
  DataLoader limited(Indexed(100), {.batch_size = 4, .seed = 1, .limit = 6});
  EXPECT_EQ(limited.num_examples(), 6);
  for (const auto& batch : RunEpochs(limited, 2)) {
    for (int64_t v : batch) EXPECT_LT(v, 6);
  }
}

TEST(DataLoaderTest, SetPositionEqualsSkippingAhead) {
  for (int64_t prefetch : {0, 3}) {
    SCOPED_TRACE(prefetch);
    const LoaderOptions options{
        .batch_size = 7, .seed = 11, .prefetch = prefetch};
    DataLoader full(Indexed(40), options);  // 6 batches per epoch
    const auto all = RunEpochs(full, 4);
    ASSERT_EQ(all.size(), 24u);
    for (const auto& [e, b] :
         {std::pair<int64_t, int64_t>{0, 0}, {1, 2}, {2, 5}, {3, 0}}) {
      DataLoader resumed(Indexed(40), options);
      resumed.SetPosition(e, b);
      EXPECT_EQ(resumed.epoch(), e);
      EXPECT_EQ(resumed.batch_index(), b);
      std::vector<std::vector<int64_t>> rest;
      for (int64_t left = 4 - e; left > 0; --left) {
        while (std::optional<Batch> batch = resumed.Next()) {
          rest.push_back(batch->targets.ToVector<int64_t>());
        }
      }
      EXPECT_EQ(rest, std::vector<std::vector<int64_t>>(all.begin() + e * 6 + b,
                                                        all.end()));
    }
    // The end of an epoch: nullopt, then the next epoch's first batch.
    DataLoader end(Indexed(40), options);
    end.SetPosition(1, 6);
    EXPECT_FALSE(end.Next().has_value());
    EXPECT_EQ(end.epoch(), 2);
    EXPECT_EQ(end.Next()->targets.ToVector<int64_t>(), all[12]);
    // Jumping back and forth mid-stream.
    end.SetPosition(0, 1);
    EXPECT_EQ(end.Next()->targets.ToVector<int64_t>(), all[1]);
    EXPECT_THROW(end.SetPosition(0, 7), ValueError);
    EXPECT_THROW(end.SetPosition(-1, 0), ValueError);
  }
}

// Example i is a 1x4x5 image with values 1 + i*100 + pixel index.
std::shared_ptr<const Dataset> Images(int64_t n) {
  std::vector<float> x(static_cast<size_t>(n * 20));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t p = 0; p < 20; ++p) x[i * 20 + p] = 1 + i * 100 + p;
  }
  std::vector<int64_t> y(static_cast<size_t>(n), 0);
  return MakeTensorDataset(from_vector(x, {n, 1, 4, 5}), from_vector(y, {n}), 1,
                           "images");
}

TEST(DataLoaderTest, AugmentationIsACropOfThePaddedImageMaybeMirrored) {
  const int64_t n = 64;
  DataLoader loader(Images(n), {.batch_size = n,
                                .shuffle = false,
                                .seed = 2,
                                .augmentation = {.random_crop_padding = 1,
                                                 .horizontal_flip = true}});
  const std::vector<float> x = loader.Next()->inputs.ToVector<float>();
  int flipped = 0, shifted = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* img = x.data() + i * 20;
    bool found = false;
    for (int64_t dy = -1; dy <= 1 && !found; ++dy) {
      for (int64_t dx = -1; dx <= 1 && !found; ++dx) {
        for (bool mirror : {false, true}) {
          bool match = true;
          for (int64_t y = 0; y < 4 && match; ++y) {
            for (int64_t c = 0; c < 5 && match; ++c) {
              const int64_t sy = y + dy, sx = (mirror ? 4 - c : c) + dx;
              const float want = sy >= 0 && sy < 4 && sx >= 0 && sx < 5
                                     ? 1 + i * 100 + sy * 5 + sx
                                     : 0.0f;
              match = img[y * 5 + c] == want;
            }
          }
          if (match) {
            found = true;
            flipped += mirror;
            shifted += dx != 0 || dy != 0;
            break;
          }
        }
      }
    }
    EXPECT_TRUE(found) << "example " << i;
  }
  EXPECT_GT(flipped, 10);
  EXPECT_GT(shifted, 30);
}

TEST(DataLoaderTest, AugmentationDependsOnlyOnSeedEpochAndExample) {
  const Augmentation aug{.random_crop_padding = 2, .horizontal_flip = true};
  // Batch 0 of epoch 1 vs the same examples fetched one at a time, with and
  // without prefetch: identical pixels.
  DataLoader big(
      Images(12),
      {.batch_size = 12, .shuffle = false, .seed = 5, .augmentation = aug});
  big.SetPosition(1, 0);
  const std::vector<float> together = big.Next()->inputs.ToVector<float>();
  DataLoader small(Images(12), {.batch_size = 1,
                                .shuffle = false,
                                .seed = 5,
                                .prefetch = 2,
                                .augmentation = aug});
  small.SetPosition(1, 0);
  std::vector<float> one_by_one;
  while (std::optional<Batch> b = small.Next()) {
    const std::vector<float> v = b->inputs.ToVector<float>();
    one_by_one.insert(one_by_one.end(), v.begin(), v.end());
  }
  EXPECT_EQ(together, one_by_one);
  // Another epoch draws other crops.
  big.SetPosition(2, 0);
  EXPECT_NE(big.Next()->inputs.ToVector<float>(), together);
}

TEST(DataLoaderTest, PrefetchGivesTheSameBatches) {
  const SyntheticOptions synth{
      .input_shape = {1, 6, 6}, .num_classes = 3, .size = 77, .seed = 8};
  const auto data = Synthetic(synth);
  LoaderOptions options{
      .batch_size = 10,
      .seed = 21,
      .augmentation = {.random_crop_padding = 2, .horizontal_flip = true}};
  DataLoader sync(data, options);
  options.prefetch = 4;
  DataLoader async(data, options);
  for (int64_t step = 0; step < 30; ++step) {
    const std::optional<Batch> a = sync.Next();
    const std::optional<Batch> b = async.Next();
    ASSERT_EQ(a.has_value(), b.has_value()) << step;
    if (!a) continue;
    EXPECT_EQ(a->inputs.ToVector<float>(), b->inputs.ToVector<float>());
    EXPECT_EQ(a->targets.ToVector<int64_t>(), b->targets.ToVector<int64_t>());
  }
}

// Throws for example `bad`; optionally slow, to keep the producer busy.
class FailingDataset : public Dataset {
 public:
  explicit FailingDataset(int64_t bad) : bad_(bad), inner_(Indexed(20)) {}
  int64_t size() const override { return 20; }
  Batch GetBatch(std::span<const int64_t> indices) const override {
    ++calls;
    for (int64_t i : indices) {
      TCH_CHECK(i != bad_, "FailingDataset: example ", i, " is broken");
    }
    return inner_->GetBatch(indices);
  }
  Shape input_shape() const override { return {1}; }
  DType input_dtype() const override { return DType::kFloat32; }
  Shape target_shape() const override { return {}; }
  DType target_dtype() const override { return DType::kInt64; }
  std::string description() const override { return "failing"; }
  mutable std::atomic<int> calls{0};

 private:
  int64_t bad_;
  std::shared_ptr<const Dataset> inner_;
};

TEST(DataLoaderTest, ExceptionsReachTheCallerOfNext) {
  for (int64_t prefetch : {0, 1, 3}) {
    SCOPED_TRACE(prefetch);
    DataLoader loader(
        std::make_shared<FailingDataset>(13),
        {.batch_size = 5, .shuffle = false, .prefetch = prefetch});
    EXPECT_TRUE(loader.Next().has_value());
    EXPECT_TRUE(loader.Next().has_value());
    for (int retry = 0; retry < 2; ++retry) {
      try {
        loader.Next();
        FAIL() << "no exception";
      } catch (const ValueError& e) {
        EXPECT_THAT(e.what(), HasSubstr("example 13 is broken"));
      }
      EXPECT_EQ(loader.batch_index(), 2);  // a retry retries
    }
    loader.SetPosition(0, 3);
    EXPECT_EQ(loader.Next()->targets.ToVector<int64_t>(),
              (std::vector<int64_t>{15, 16, 17, 18, 19}));
  }
}

TEST(DataLoaderTest, DestructorStopsABusyProducer) {
  auto data = std::make_shared<FailingDataset>(-1);
  {
    DataLoader loader(data, {.batch_size = 2, .prefetch = 2});
    EXPECT_TRUE(loader.Next().has_value());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }  // joins while the queue is full
  const int calls = data->calls;
  EXPECT_GE(calls, 2);
  EXPECT_LE(calls, 4);  // 1 consumed + at most 2 queued + 1 in flight
  { DataLoader never_used(data, {.batch_size = 2, .prefetch = 2}); }
  EXPECT_EQ(data->calls, calls);  // started lazily: no work without Next
}

TEST(DataLoaderTest, InvalidOptions) {
  const auto data = Indexed(10);
  EXPECT_THROW(DataLoader(nullptr, {}), ValueError);
  EXPECT_THROW(DataLoader(data, {.batch_size = 0}), ValueError);
  EXPECT_THROW(DataLoader(data, {.prefetch = -1}), ValueError);
  EXPECT_THROW(DataLoader(data, {.limit = -1}), ValueError);
  try {
    DataLoader(data, {.batch_size = 11, .drop_last = true});
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("leaves no batch"));
  }
  try {
    DataLoader(data, {.augmentation = {.horizontal_flip = true}});
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("augmentation needs float32 image inputs "
                                    "[C, H, W], got float32 [1]"));
  }
}

}  // namespace
}  // namespace tch::data
