// File: torch/data/idx.cc
//
// IDX files (the MNIST format: a 4-byte magic 0x0000TTNN with element type TT
// and NN dims, NN big-endian uint32 sizes, then the elements row-major),
// optionally gzip-compressed, and Fashion-MNIST on top of them.
#include <zlib.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <utility>

#include "torch/core/error.h"
#include "torch/core/file_util.h"
#include "torch/core/ops.h"
#include "torch/data/dataset.h"

namespace tch::data {
namespace {

constexpr uint8_t kUnsignedByte = 0x08;

bool IsGzip(const std::string& bytes) {
  return bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x1f &&
         static_cast<uint8_t>(bytes[1]) == 0x8b;
}

// Inflates every gzip member of `in` (gzip allows concatenated members).
std::string Gunzip(const std::string& path, const std::string& in) {
  std::string out;
  z_stream zs{};
  TCH_CHECK_T(IoError, inflateInit2(&zs, 16 + MAX_WBITS) == Z_OK, path,
              ": cannot initialize zlib");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::array<char, 1 << 16> chunk;
  int rc = Z_OK;
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk.data());
    zs.avail_out = static_cast<uInt>(chunk.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(chunk.data(), chunk.size() - zs.avail_out);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);  // another member follows
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      inflateEnd(&zs);
      throw IoError(detail::StrCat(
          path, ": truncated gzip data (the compressed stream ends early; ",
          out.size(), " bytes decompressed)"));
    }
    const std::string msg = zs.msg != nullptr ? zs.msg : "unknown error";
    inflateEnd(&zs);
    throw IoError(detail::StrCat(path, ": corrupt gzip data: ", msg));
  }
  inflateEnd(&zs);
  return out;
}

uint32_t BigEndian32(const std::string& bytes, size_t offset) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data() + offset);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08X", v);
  return buf;
}

struct IdxContents {
  Shape dims;
  std::string data;  // the elements (header removed)
};

// Reads and validates an unsigned-byte IDX file. `expected_dims` 0 accepts
// any number of dims; `what` names the elements in messages ("pixel").
IdxContents ReadIdx(const std::string& path, int expected_dims,
                    const char* what) {
  std::string bytes = ReadFile(path);
  if (IsGzip(bytes)) bytes = Gunzip(path, bytes);
  TCH_CHECK_T(IoError, bytes.size() >= 4, path,
              ": truncated: an IDX file starts with a 4-byte magic number, "
              "but the file has ",
              bytes.size(), " bytes");
  const uint32_t magic = BigEndian32(bytes, 0);
  const std::string expected_magic =
      expected_dims > 0 ? Hex32(0x800u | static_cast<uint32_t>(expected_dims))
                        : "0x000008NN";
  TCH_CHECK_T(IoError, bytes[0] == 0 && bytes[1] == 0, path,
              ": not an IDX file: bad magic number ", Hex32(magic),
              " (expected ", expected_magic, ")");
  const auto type = static_cast<uint8_t>(bytes[2]);
  TCH_CHECK_T(IoError, type == kUnsignedByte, path, ": IDX element type 0x",
              std::hex, int{type}, std::dec, " is not supported (magic ",
              Hex32(magic), "); only unsigned bytes (0x08) are");
  const int ndims = static_cast<uint8_t>(bytes[3]);
  TCH_CHECK_T(IoError, expected_dims == 0 || ndims == expected_dims, path,
              ": bad magic number ", Hex32(magic), ": expected ",
              expected_magic, " (", expected_dims, " dims), got ", ndims,
              " dims");
  TCH_CHECK_T(IoError, ndims >= 1, path, ": IDX file with 0 dims");
  const size_t header = 4 + 4 * static_cast<size_t>(ndims);
  TCH_CHECK_T(IoError, bytes.size() >= header, path,
              ": truncated: the header needs ", header, " bytes for ", ndims,
              " dims, the file has ", bytes.size());
  IdxContents out;
  uint64_t count = 1;
  for (int d = 0; d < ndims; ++d) {
    const uint32_t dim = BigEndian32(bytes, 4 + 4 * static_cast<size_t>(d));
    TCH_CHECK_T(IoError, dim >= 1, path, ": dim ", d, " is 0");
    TCH_CHECK_T(IoError, count <= (uint64_t{1} << 40) / dim, path,
                ": dims are implausibly large (over 2^40 elements)");
    count *= dim;
    out.dims.push_back(dim);
  }
  const size_t have = bytes.size() - header;
  TCH_CHECK_T(IoError, have >= count, path, ": truncated: expected ", count,
              " bytes of ", what, " data, got ", have);
  TCH_CHECK_T(IoError, have == count, path, ": ", have - count,
              " unexpected trailing bytes after ", count, " bytes of ", what,
              " data");
  out.data = bytes.substr(header);
  return out;
}

// Pixels stay bytes in memory (4x smaller than float32); a 256-entry table
// maps them to normalized floats while a batch is assembled.
class IdxDataset : public Dataset {
 public:
  IdxDataset(std::string pixels, std::vector<int64_t> labels, Shape shape,
             std::array<float, 256> table, int64_t num_classes,
             std::string description)
      : pixels_(std::move(pixels)),
        labels_(std::move(labels)),
        shape_(std::move(shape)),
        table_(table),
        num_classes_(num_classes),
        description_(std::move(description)) {
    row_ = NumElements(shape_);
  }

  int64_t size() const override { return static_cast<int64_t>(labels_.size()); }

  Batch GetBatch(std::span<const int64_t> indices) const override {
    const int64_t b = static_cast<int64_t>(indices.size());
    Shape sizes = {b};
    sizes.insert(sizes.end(), shape_.begin(), shape_.end());
    Batch batch{tch::empty(sizes), tch::empty({b}, DType::kInt64), b};
    float* x = batch.inputs.data_ptr<float>();
    int64_t* y = batch.targets.data_ptr<int64_t>();
    const auto* pixels = reinterpret_cast<const uint8_t*>(pixels_.data());
    for (int64_t k = 0; k < b; ++k) {
      const int64_t i = indices[static_cast<size_t>(k)];
      TCH_CHECK_T(IndexError, i >= 0 && i < size(), "GetBatch: example index ",
                  i, " is out of range for a dataset of ", size(), " examples");
      const uint8_t* src = pixels + i * row_;
      float* dst = x + k * row_;
      for (int64_t p = 0; p < row_; ++p) dst[p] = table_[src[p]];
      y[k] = labels_[static_cast<size_t>(i)];
    }
    return batch;
  }

  Shape input_shape() const override { return shape_; }
  DType input_dtype() const override { return DType::kFloat32; }
  Shape target_shape() const override { return {}; }
  DType target_dtype() const override { return DType::kInt64; }
  int64_t num_classes() const override { return num_classes_; }
  float background_value() const override { return table_[0]; }
  std::string description() const override { return description_; }

 private:
  std::string pixels_;
  std::vector<int64_t> labels_;
  Shape shape_;
  std::array<float, 256> table_;
  int64_t num_classes_;
  int64_t row_ = 0;
  std::string description_;
};

// `num_classes` 0: max label + 1; otherwise labels must lie below it.
std::shared_ptr<const Dataset> LoadIdxImpl(const std::string& images_path,
                                           const std::string& labels_path,
                                           const IdxOptions& options,
                                           int64_t num_classes) {
  TCH_CHECK(options.limit >= 0, "LoadIdx: limit must be >= 0, got ",
            options.limit);
  TCH_CHECK(!options.normalize || options.std > 0,
            "LoadIdx: std must be > 0 to normalize, got ", options.std);
  IdxContents images = ReadIdx(images_path, 3, "pixel");
  IdxContents labels = ReadIdx(labels_path, 1, "label");
  const int64_t n = images.dims[0];
  TCH_CHECK_T(IoError, labels.dims[0] == n, images_path, " has ", n,
              " images but ", labels_path, " has ", labels.dims[0], " labels");
  const int64_t keep = options.limit > 0 ? std::min(options.limit, n) : n;
  const int64_t row = images.dims[1] * images.dims[2];
  images.data.resize(static_cast<size_t>(keep * row));
  std::vector<int64_t> label_ids(static_cast<size_t>(keep));
  int64_t max_label = 0;
  for (int64_t i = 0; i < keep; ++i) {
    const int64_t label = static_cast<uint8_t>(labels.data[i]);
    TCH_CHECK_T(IoError, num_classes == 0 || label < num_classes, labels_path,
                ": label ", label, " of example ", i, " is not below ",
                num_classes);
    label_ids[static_cast<size_t>(i)] = label;
    max_label = std::max(max_label, label);
  }
  if (num_classes == 0) num_classes = max_label + 1;
  std::array<float, 256> table;
  for (int v = 0; v < 256; ++v) {
    double x = v / 255.0;
    if (options.normalize) x = (x - options.mean) / options.std;
    table[v] = static_cast<float>(x);
  }
  Shape shape = {1, images.dims[1], images.dims[2]};
  std::string description = detail::StrCat(
      options.name, ": ", keep, " examples ", ShapeToString(shape),
      " float32, ", num_classes, " classes",
      options.normalize ? detail::StrCat(", normalized (mean ", options.mean,
                                         ", std ", options.std, ")")
                        : std::string(", scaled to [0, 1]"));
  return std::make_shared<IdxDataset>(
      std::move(images.data), std::move(label_ids), std::move(shape), table,
      num_classes, std::move(description));
}

}  // namespace

Tensor ReadIdxFile(const std::string& path) {
  IdxContents contents = ReadIdx(path, 0, "element");
  Tensor out = tch::empty(contents.dims, DType::kUInt8);
  std::memcpy(out.raw_data(), contents.data.data(), contents.data.size());
  return out;
}

std::shared_ptr<const Dataset> LoadIdx(const std::string& images_path,
                                       const std::string& labels_path,
                                       const IdxOptions& options) {
  return LoadIdxImpl(images_path, labels_path, options, 0);
}

std::shared_ptr<const Dataset> FashionMnist(
    const FashionMnistOptions& options) {
  TCH_CHECK(options.split == Split::kTrain || options.split == Split::kTest,
            "FashionMnist: split must be train or test (Fashion-MNIST has no "
            "validation split; take one with LoaderOptions::limit or a "
            "subset), got ",
            SplitName(options.split));
  const std::string prefix = options.split == Split::kTrain ? "train" : "t10k";
  // Prefer the .gz files the Debian package ships; accept uncompressed ones.
  auto find = [&](const std::string& kind) {
    const std::string base = options.dir + "/" + prefix + "-" + kind;
    for (const std::string& candidate : {base + ".gz", base}) {
      if (std::filesystem::exists(candidate)) return candidate;
    }
    throw IoError(detail::StrCat(
        "Fashion-MNIST: ", base,
        ".gz not found. Install the Debian package "
        "dataset-fashion-mnist (`apt-get install dataset-fashion-mnist`, or "
        "run ci/setup.sh), or pass the directory holding the IDX files"));
  };
  const std::string images = find("images-idx3-ubyte");
  const std::string labels = find("labels-idx1-ubyte");
  IdxOptions idx;
  idx.normalize = options.normalize;
  idx.mean = options.mean;
  idx.std = options.std;
  idx.limit = options.limit;
  idx.name = detail::StrCat("fashion-mnist ", SplitName(options.split));
  return LoadIdxImpl(images, labels, idx, 10);
}

const std::vector<std::string>& FashionMnistClassNames() {
  static const std::vector<std::string> names = {
      "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
      "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

}  // namespace tch::data
