// File: torch/data/loader.h
//
// `DataLoader` turns a Dataset into a deterministic, resumable stream of
// batches: epoch by epoch, each epoch a permutation of the examples (or the
// identity without shuffle) cut into batches.
//
// Determinism: the permutation of epoch e is a pure function of (seed, e),
// and the augmentation of an example a pure function of (seed, e, example
// index). So the same seed gives the same batches whatever `prefetch` is and
// however threads are scheduled, and `SetPosition(e, b)` resumes exactly
// where a run that reached (e, b) would be, without replaying anything.
//
// Position: (epoch(), batch_index()) names the batch the next `Next()` call
// returns. After the last batch of epoch e, batch_index() ==
// batches_per_epoch(): the next call returns nullopt and moves to (e+1, 0).
// A checkpoint may store either (e, batches_per_epoch()) or (e+1, 0).
//
// Example:
//   auto data = tch::data::FashionMnist();
//   tch::data::DataLoader loader(data, {.batch_size = 64, .seed = 1,
//                                       .prefetch = 2});
//   loader.SetPosition(start_epoch, start_batch);  // resume
//   for (int64_t e = loader.epoch(); e < epochs; ++e) {
//     while (std::optional<tch::data::Batch> b = loader.Next()) {
//       ...  // b->inputs [64, 1, 28, 28], b->targets [64]
//     }
//   }
//
// Prefetch: with prefetch = k > 0 a background thread prepares up to k
// batches ahead. Its exceptions are rethrown by the `Next()` call that would
// have returned that batch (the position does not advance, so a retry
// retries). The destructor stops and joins the thread.
//
// Errors (ValueError): null or empty dataset, batch_size < 1, prefetch < 0,
// limit < 0, augmentation on inputs that are not float32 [C, H, W], or
// drop_last leaving no batch; SetPosition outside [0, batches_per_epoch()]
// or a negative epoch.
// A DataLoader is not thread-safe: call it from one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "torch/data/dataset.h"

namespace tch::data {

// Per-example random augmentation of image inputs float32 [C, H, W]
// (ignored when both are off).
struct Augmentation {
  // Pad each side by this many pixels with Dataset::background_value(), then
  // crop back to [H, W] at a random offset (0 = off).
  int64_t random_crop_padding = 0;
  // Mirror left-right with probability 1/2.
  bool horizontal_flip = false;

  bool enabled() const { return random_crop_padding > 0 || horizontal_flip; }
};

struct LoaderOptions {
  int64_t batch_size = 32;
  bool shuffle = true;
  // Drop the last batch of an epoch when it is smaller than batch_size.
  bool drop_last = false;
  uint64_t seed = 0;
  // Batches prepared ahead on a background thread; 0 = synchronous.
  int64_t prefetch = 0;
  Augmentation augmentation = {};
  // Use only the first `limit` examples of the dataset (0 = all).
  int64_t limit = 0;
};

class DataLoader {
 public:
  DataLoader(std::shared_ptr<const Dataset> dataset, LoaderOptions options);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  // Examples used per epoch: min(limit, dataset size) or the dataset size.
  int64_t num_examples() const { return num_examples_; }
  int64_t batches_per_epoch() const { return batches_per_epoch_; }
  const Dataset& dataset() const { return *dataset_; }
  const LoaderOptions& options() const { return options_; }

  // Jumps to batch `batch_index` of `epoch` (see Position above). Cheap:
  // computes one permutation; with prefetch, restarts the background work.
  void SetPosition(int64_t epoch, int64_t batch_index);

  // The batch at the current position, or nullopt at the end of an epoch
  // (then the position moves to the next epoch's batch 0).
  std::optional<Batch> Next();

  int64_t epoch() const { return epoch_; }
  int64_t batch_index() const { return batch_index_; }

  // The example order of `epoch`: a permutation of [0, num_examples()) that
  // depends only on (seed, epoch) (identity without shuffle).
  std::vector<int64_t> EpochOrder(int64_t epoch) const;

 private:
  struct Prefetcher;

  // Builds batch `batch_index` of `epoch` given that epoch's order; pure.
  Batch MakeBatch(int64_t epoch, int64_t batch_index,
                  const std::vector<int64_t>& order) const;
  void Augment(int64_t epoch, std::span<const int64_t> indices,
               Tensor& inputs) const;

  std::shared_ptr<const Dataset> dataset_;
  LoaderOptions options_;
  int64_t num_examples_ = 0;
  int64_t batches_per_epoch_ = 0;
  int64_t epoch_ = 0;
  int64_t batch_index_ = 0;
  // The order of epoch order_epoch_ (synchronous mode cache).
  int64_t order_epoch_ = -1;
  std::vector<int64_t> order_;
  std::unique_ptr<Prefetcher> prefetcher_;
};

}  // namespace tch::data
