// File: torch/data/dataset.cc
//
// The dataset basics: split names, the in-memory tensor dataset that most
// loaders produce, and the synthetic Gaussian blobs.
#include "torch/data/dataset.h"

#include <cstring>
#include <utility>

#include "torch/core/error.h"
#include "torch/core/ops.h"
#include "torch/data/random.h"

namespace tch::data {

std::string_view SplitName(Split split) {
  switch (split) {
    case Split::kTrain:
      return "train";
    case Split::kTest:
      return "test";
    case Split::kVal:
      return "val";
  }
  return "?";
}

namespace {

Shape WithBatch(int64_t batch, const Shape& example) {
  Shape out = {batch};
  out.insert(out.end(), example.begin(), example.end());
  return out;
}

// Copies row `index` of `src` (rows of `row_bytes`) for each index: one
// memcpy per example.
void GatherRows(const Tensor& src, std::span<const int64_t> indices,
                int64_t size, const Tensor& dst) {
  const int64_t row_bytes =
      size == 0 ? 0 : static_cast<int64_t>(src.nbytes()) / size;
  const auto* from = static_cast<const char*>(src.raw_data());
  auto* to = static_cast<char*>(dst.raw_data());
  for (size_t k = 0; k < indices.size(); ++k) {
    const int64_t i = indices[k];
    TCH_CHECK_T(IndexError, i >= 0 && i < size, "GetBatch: example index ", i,
                " is out of range for a dataset of ", size, " examples");
    std::memcpy(to + static_cast<int64_t>(k) * row_bytes, from + i * row_bytes,
                static_cast<size_t>(row_bytes));
  }
}

class TensorDataset : public Dataset {
 public:
  TensorDataset(Tensor inputs, Tensor targets, int64_t num_classes,
                std::string description)
      : num_classes_(num_classes), description_(std::move(description)) {
    TCH_CHECK(inputs.defined() && targets.defined(),
              "MakeTensorDataset: inputs and targets must be defined");
    TCH_CHECK(inputs.dim() >= 1 && targets.dim() >= 1,
              "MakeTensorDataset: inputs and targets need a dim 0 of "
              "examples, got shapes ",
              ShapeToString(inputs.sizes()), " and ",
              ShapeToString(targets.sizes()));
    TCH_CHECK(inputs.size(0) == targets.size(0),
              "MakeTensorDataset: inputs have ", inputs.size(0),
              " examples but targets have ", targets.size(0));
    TCH_CHECK(inputs.device().is_cpu() && targets.device().is_cpu(),
              "MakeTensorDataset: tensors must be on the CPU");
    inputs_ = inputs.contiguous();
    targets_ = targets.contiguous();
    input_shape_ = Shape(inputs_.sizes().begin() + 1, inputs_.sizes().end());
    target_shape_ = Shape(targets_.sizes().begin() + 1, targets_.sizes().end());
  }

  int64_t size() const override { return inputs_.size(0); }

  Batch GetBatch(std::span<const int64_t> indices) const override {
    const int64_t b = static_cast<int64_t>(indices.size());
    Batch batch;
    batch.size = b;
    batch.inputs = tch::empty(WithBatch(b, input_shape_), inputs_.dtype());
    batch.targets = tch::empty(WithBatch(b, target_shape_), targets_.dtype());
    GatherRows(inputs_, indices, size(), batch.inputs);
    GatherRows(targets_, indices, size(), batch.targets);
    return batch;
  }

  Shape input_shape() const override { return input_shape_; }
  DType input_dtype() const override { return inputs_.dtype(); }
  Shape target_shape() const override { return target_shape_; }
  DType target_dtype() const override { return targets_.dtype(); }
  int64_t num_classes() const override { return num_classes_; }
  std::string description() const override { return description_; }

 private:
  Tensor inputs_;
  Tensor targets_;
  Shape input_shape_;
  Shape target_shape_;
  int64_t num_classes_;
  std::string description_;
};

}  // namespace

std::shared_ptr<const Dataset> MakeTensorDataset(Tensor inputs, Tensor targets,
                                                 int64_t num_classes,
                                                 std::string description) {
  return std::make_shared<TensorDataset>(std::move(inputs), std::move(targets),
                                         num_classes, std::move(description));
}

std::shared_ptr<const Dataset> Synthetic(const SyntheticOptions& options) {
  TCH_CHECK(options.size >= 1, "Synthetic: size must be >= 1, got ",
            options.size);
  TCH_CHECK(options.num_classes >= 1,
            "Synthetic: num_classes must be >= 1, got ", options.num_classes);
  TCH_CHECK(!options.input_shape.empty(),
            "Synthetic: input_shape must have at least one dim");
  for (int64_t d : options.input_shape) {
    TCH_CHECK(d >= 1, "Synthetic: input_shape ",
              ShapeToString(options.input_shape), " has a dim < 1");
  }
  const int64_t features = NumElements(options.input_shape);
  // Centers and noise come from separate streams so that changing `size`
  // keeps the centers (and the first examples) unchanged.
  Rng center_rng(HashCombine(options.seed, 0x63656E746572ull));
  std::vector<float> centers(
      static_cast<size_t>(options.num_classes * features));
  for (float& c : centers) {
    c = static_cast<float>(center_rng.Normal() * options.separation);
  }
  Tensor inputs = tch::empty(WithBatch(options.size, options.input_shape));
  Tensor targets = tch::empty({options.size}, DType::kInt64);
  float* x = inputs.data_ptr<float>();
  int64_t* y = targets.data_ptr<int64_t>();
  Rng noise_rng(HashCombine(options.seed, 0x6E6F697365ull));
  for (int64_t i = 0; i < options.size; ++i) {
    const int64_t label = i % options.num_classes;
    y[i] = label;
    const float* center = centers.data() + label * features;
    for (int64_t f = 0; f < features; ++f) {
      x[i * features + f] =
          center[f] + static_cast<float>(noise_rng.Normal() * options.noise);
    }
  }
  std::string description =
      detail::StrCat("synthetic blobs: ", options.size, " examples ",
                     ShapeToString(options.input_shape), " float32, ",
                     options.num_classes, " classes, seed ", options.seed);
  return MakeTensorDataset(std::move(inputs), std::move(targets),
                           options.num_classes, std::move(description));
}

}  // namespace tch::data
