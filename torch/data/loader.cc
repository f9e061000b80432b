// File: torch/data/loader.cc
//
// DataLoader: epoch orders from (seed, epoch), batches as pure functions of
// their position, and an optional background thread that computes the next
// positions ahead of the caller.
#include "torch/data/loader.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>
#include <utility>

#include "torch/core/error.h"
#include "torch/core/ops.h"
#include "torch/data/random.h"

namespace tch::data {

// The background producer. It walks positions (epoch, batch) in order from
// `next_epoch/next_batch`, skipping the end-of-epoch positions, and queues
// up to `capacity` results. `generation` changes whenever the consumer jumps;
// a result computed for an old generation is dropped.
struct DataLoader::Prefetcher {
  struct Entry {
    int64_t epoch;
    int64_t batch_index;
    Batch batch;
    std::exception_ptr error;
  };

  std::mutex mutex;
  std::condition_variable cv;
  std::deque<Entry> queue;
  int64_t next_epoch = 0;
  int64_t next_batch = 0;
  uint64_t generation = 0;
  bool stop = false;
  size_t capacity = 1;
  std::thread thread;
};

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset,
                       LoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
  TCH_CHECK(dataset_ != nullptr, "DataLoader: dataset is null");
  TCH_CHECK(options_.batch_size >= 1, "DataLoader: batch_size must be >= 1, ",
            "got ", options_.batch_size);
  TCH_CHECK(options_.prefetch >= 0, "DataLoader: prefetch must be >= 0, got ",
            options_.prefetch);
  TCH_CHECK(options_.limit >= 0, "DataLoader: limit must be >= 0, got ",
            options_.limit);
  TCH_CHECK(options_.augmentation.random_crop_padding >= 0,
            "DataLoader: random_crop_padding must be >= 0, got ",
            options_.augmentation.random_crop_padding);
  num_examples_ = dataset_->size();
  if (options_.limit > 0) {
    num_examples_ = std::min(num_examples_, options_.limit);
  }
  TCH_CHECK(num_examples_ > 0, "DataLoader: the dataset is empty (",
            dataset_->description(), ")");
  batches_per_epoch_ =
      options_.drop_last
          ? num_examples_ / options_.batch_size
          : (num_examples_ + options_.batch_size - 1) / options_.batch_size;
  TCH_CHECK(batches_per_epoch_ > 0, "DataLoader: drop_last with batch_size ",
            options_.batch_size, " and only ", num_examples_,
            " examples leaves no batch");
  if (options_.augmentation.enabled()) {
    TCH_CHECK(dataset_->input_dtype() == DType::kFloat32 &&
                  dataset_->input_shape().size() == 3,
              "DataLoader: augmentation needs float32 image inputs [C, H, W], "
              "got ",
              dataset_->input_dtype(), " ",
              ShapeToString(dataset_->input_shape()), " (",
              dataset_->description(), ")");
  }
  if (options_.prefetch > 0) {
    prefetcher_ = std::make_unique<Prefetcher>();
    prefetcher_->capacity = static_cast<size_t>(options_.prefetch);
  }
}

DataLoader::~DataLoader() {
  if (prefetcher_ == nullptr || !prefetcher_->thread.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(prefetcher_->mutex);
    prefetcher_->stop = true;
  }
  prefetcher_->cv.notify_all();
  prefetcher_->thread.join();
}

std::vector<int64_t> DataLoader::EpochOrder(int64_t epoch) const {
  std::vector<int64_t> order(static_cast<size_t>(num_examples_));
  std::iota(order.begin(), order.end(), 0);
  if (!options_.shuffle) return order;
  // Fisher-Yates driven by a stream that depends only on (seed, epoch).
  Rng rng(HashCombine(HashCombine(options_.seed, 0x7065726Dull),
                      static_cast<uint64_t>(epoch)));
  for (int64_t i = num_examples_ - 1; i > 0; --i) {
    std::swap(order[static_cast<size_t>(i)],
              order[static_cast<size_t>(rng.UniformInt(i + 1))]);
  }
  return order;
}

void DataLoader::Augment(int64_t epoch, std::span<const int64_t> indices,
                         Tensor& inputs) const {
  const Shape& s = inputs.sizes();
  const int64_t c = s[1], h = s[2], w = s[3];
  const int64_t pad = options_.augmentation.random_crop_padding;
  const bool flip = options_.augmentation.horizontal_flip;
  const float fill = dataset_->background_value();
  float* data = inputs.data_ptr<float>();
  std::vector<float> src(static_cast<size_t>(c * h * w));
  for (size_t k = 0; k < indices.size(); ++k) {
    // Crop offset and flip depend only on (seed, epoch, example index).
    Rng rng(HashCombine(HashCombine(HashCombine(options_.seed, 0x6175676Dull),
                                    static_cast<uint64_t>(epoch)),
                        static_cast<uint64_t>(indices[k])));
    const int64_t dy = pad > 0 ? rng.UniformInt(2 * pad + 1) - pad : 0;
    const int64_t dx = pad > 0 ? rng.UniformInt(2 * pad + 1) - pad : 0;
    const bool mirror = flip && (rng.Next() >> 63) != 0;
    if (dx == 0 && dy == 0 && !mirror) continue;
    float* img = data + static_cast<int64_t>(k) * c * h * w;
    std::copy(img, img + c * h * w, src.begin());
    // out(y, x) = padded source at (y + dy, x' + dx), x' mirrored when
    // flipping: torchvision's RandomCrop(padding) then RandomHorizontalFlip.
    for (int64_t ch = 0; ch < c; ++ch) {
      for (int64_t y = 0; y < h; ++y) {
        float* out = img + (ch * h + y) * w;
        const int64_t sy = y + dy;
        if (sy < 0 || sy >= h) {
          std::fill(out, out + w, fill);
          continue;
        }
        const float* row = src.data() + (ch * h + sy) * w;
        for (int64_t x = 0; x < w; ++x) {
          const int64_t sx = (mirror ? w - 1 - x : x) + dx;
          out[x] = sx >= 0 && sx < w ? row[sx] : fill;
        }
      }
    }
  }
}

Batch DataLoader::MakeBatch(int64_t epoch, int64_t batch_index,
                            const std::vector<int64_t>& order) const {
  const int64_t begin = batch_index * options_.batch_size;
  const int64_t end = std::min(begin + options_.batch_size, num_examples_);
  const std::span<const int64_t> indices(order.data() + begin,
                                         static_cast<size_t>(end - begin));
  Batch batch = dataset_->GetBatch(indices);
  if (options_.augmentation.enabled()) {
    // GetBatch returns fresh tensors, so augmenting in place is safe.
    batch.inputs = batch.inputs.contiguous();
    Augment(epoch, indices, batch.inputs);
  }
  return batch;
}

void DataLoader::SetPosition(int64_t epoch, int64_t batch_index) {
  TCH_CHECK(epoch >= 0, "DataLoader::SetPosition: epoch must be >= 0, got ",
            epoch);
  TCH_CHECK(batch_index >= 0 && batch_index <= batches_per_epoch_,
            "DataLoader::SetPosition: batch_index ", batch_index,
            " is out of range [0, ", batches_per_epoch_, "] (",
            batches_per_epoch_, " batches per epoch)");
  epoch_ = epoch;
  batch_index_ = batch_index;
  if (prefetcher_ == nullptr) return;
  Prefetcher& p = *prefetcher_;
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    p.queue.clear();
    ++p.generation;
    p.next_epoch = batch_index == batches_per_epoch_ ? epoch + 1 : epoch;
    p.next_batch = batch_index == batches_per_epoch_ ? 0 : batch_index;
  }
  p.cv.notify_all();
}

std::optional<Batch> DataLoader::Next() {
  if (batch_index_ >= batches_per_epoch_) {
    ++epoch_;
    batch_index_ = 0;
    return std::nullopt;
  }
  if (prefetcher_ == nullptr) {
    if (order_epoch_ != epoch_) {
      order_ = EpochOrder(epoch_);
      order_epoch_ = epoch_;
    }
    Batch batch = MakeBatch(epoch_, batch_index_, order_);
    ++batch_index_;
    return batch;
  }

  Prefetcher& p = *prefetcher_;
  if (!p.thread.joinable()) {
    // Started on first use, so a SetPosition right after construction
    // wastes no work.
    {
      std::lock_guard<std::mutex> lock(p.mutex);
      p.next_epoch = epoch_;
      p.next_batch = batch_index_;
      ++p.generation;
    }
    p.thread = std::thread([this] {
      Prefetcher& q = *prefetcher_;
      int64_t order_epoch = -1;
      std::vector<int64_t> order;
      std::unique_lock<std::mutex> lock(q.mutex);
      while (true) {
        q.cv.wait(lock, [&] { return q.stop || q.queue.size() < q.capacity; });
        if (q.stop) return;
        const uint64_t generation = q.generation;
        Prefetcher::Entry entry{q.next_epoch, q.next_batch, {}, nullptr};
        if (++q.next_batch == batches_per_epoch_) {
          ++q.next_epoch;
          q.next_batch = 0;
        }
        lock.unlock();
        try {
          if (order_epoch != entry.epoch) {
            order = EpochOrder(entry.epoch);
            order_epoch = entry.epoch;
          }
          entry.batch = MakeBatch(entry.epoch, entry.batch_index, order);
        } catch (...) {
          entry.error = std::current_exception();
        }
        lock.lock();
        if (generation == q.generation && !q.stop) {
          q.queue.push_back(std::move(entry));
          q.cv.notify_all();
        }
      }
    });
  }

  Prefetcher::Entry entry;
  {
    std::unique_lock<std::mutex> lock(p.mutex);
    p.cv.wait(lock, [&] { return !p.queue.empty(); });
    entry = std::move(p.queue.front());
    p.queue.pop_front();
  }
  p.cv.notify_all();
  TCH_INTERNAL_ASSERT(
      entry.epoch == epoch_ && entry.batch_index == batch_index_,
      "DataLoader: prefetched batch (", entry.epoch, ", ", entry.batch_index,
      ") does not match the position (", epoch_, ", ", batch_index_, ")");
  if (entry.error != nullptr) {
    // Stay at this position and restart the producer here, so that a retry
    // computes this batch again, as in synchronous mode.
    SetPosition(epoch_, batch_index_);
    std::rethrow_exception(entry.error);
  }
  ++batch_index_;
  return std::move(entry.batch);
}

}  // namespace tch::data
