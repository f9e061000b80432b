// File: torch/data/idx_test.cc
//
// IDX parsing of small files written here (plain and gzip), every error, and
// the real Fashion-MNIST files against numpy (tests/golden/
// fashion_mnist_golden.py).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "torch/core/error.h"
#include "torch/core/ops.h"
#include "torch/data/dataset.h"
#include "torch/testing/tensor_matchers.h"

namespace tch::data {
namespace {

using ::testing::HasSubstr;

constexpr char kGolden[] = "tests/golden/fashion_mnist.safetensors";

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + name;
}

std::string Be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
          static_cast<char>(v >> 8), static_cast<char>(v)};
}

// An IDX file with unsigned-byte elements: magic, dims, data.
std::string Idx(std::vector<uint32_t> dims, const std::string& data,
                uint32_t magic = 0) {
  if (magic == 0) magic = 0x800u | static_cast<uint32_t>(dims.size());
  std::string out = Be32(magic);
  for (uint32_t d : dims) out += Be32(d);
  return out + data;
}

std::string Gzip(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(
      deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
      Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string Write(const std::string& name, const std::string& bytes) {
  const std::string path = TempPath(name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// 3 images of 2x2 with pixel values 0..11 and labels 2, 0, 1.
std::string Pixels() {
  std::string p;
  for (int i = 0; i < 12; ++i) p.push_back(static_cast<char>(i * 20));
  return p;
}
const std::string kLabels = std::string("\x02\x00\x01", 3);

void ExpectSmallDataset(const Dataset& d) {
  ASSERT_EQ(d.size(), 3);
  EXPECT_EQ(d.input_shape(), (Shape{1, 2, 2}));
  EXPECT_EQ(d.input_dtype(), DType::kFloat32);
  EXPECT_EQ(d.target_dtype(), DType::kInt64);
  EXPECT_EQ(d.num_classes(), 3);
  const std::vector<int64_t> idx = {2, 0, 2};
  const Batch b = d.GetBatch(idx);
  EXPECT_EQ(b.size, 3);
  EXPECT_EQ(b.inputs.sizes(), (Shape{3, 1, 2, 2}));
  EXPECT_EQ(b.targets.ToVector<int64_t>(), (std::vector<int64_t>{1, 2, 1}));
  std::vector<float> expected;
  for (int64_t i : idx) {
    for (int p = 0; p < 4; ++p) {
      expected.push_back(static_cast<float>((i * 4 + p) * 20 / 255.0));
    }
  }
  EXPECT_EQ(b.inputs.ToVector<float>(), expected);
}

TEST(IdxTest, ReadsPlainFiles) {
  const auto d = LoadIdx(Write("p-img", Idx({3, 2, 2}, Pixels())),
                         Write("p-lbl", Idx({3}, kLabels)));
  ExpectSmallDataset(*d);
  EXPECT_THAT(d->description(), HasSubstr("3 examples [1, 2, 2]"));
}

TEST(IdxTest, ReadsGzipFilesTransparently) {
  const auto d = LoadIdx(Write("g-img.gz", Gzip(Idx({3, 2, 2}, Pixels()))),
                         Write("g-lbl", Gzip(Idx({3}, kLabels))));
  ExpectSmallDataset(*d);
}

TEST(IdxTest, NormalizesAndLimits) {
  IdxOptions options;
  options.normalize = true;
  options.mean = 0.5;
  options.std = 0.25;
  options.limit = 2;
  const auto d = LoadIdx(Write("n-img", Idx({3, 2, 2}, Pixels())),
                         Write("n-lbl", Idx({3}, kLabels)), options);
  ASSERT_EQ(d->size(), 2);
  const std::vector<int64_t> idx = {1};
  const std::vector<float> x = d->GetBatch(idx).inputs.ToVector<float>();
  EXPECT_FLOAT_EQ(x[0], static_cast<float>((80 / 255.0 - 0.5) / 0.25));
  EXPECT_FLOAT_EQ(d->background_value(), -2.0f);
  const std::vector<int64_t> bad = {2};
  EXPECT_THROW(d->GetBatch(bad), IndexError);
}

TEST(IdxTest, ReadIdxFileKeepsDims) {
  const Tensor t = ReadIdxFile(Write("r-img", Idx({3, 2, 2}, Pixels())));
  EXPECT_EQ(t.dtype(), DType::kUInt8);
  EXPECT_EQ(t.sizes(), (Shape{3, 2, 2}));
  EXPECT_EQ(t.ToVector<int64_t>()[11], 220);
}

// The IoError message of LoadIdx with the given image and label bytes.
std::string LoadError(const std::string& images, const std::string& labels) {
  const std::string img = Write("e-img", images);
  const std::string lbl = Write("e-lbl", labels);
  try {
    LoadIdx(img, lbl);
  } catch (const IoError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no IoError";
  return "";
}

TEST(IdxTest, EveryErrorNamesTheFileAndTheProblem) {
  const std::string good_img = Idx({3, 2, 2}, Pixels());
  const std::string good_lbl = Idx({3}, kLabels);
  EXPECT_THAT(LoadError(good_img.substr(0, 20), good_lbl),
              HasSubstr("e-img: truncated: expected 12 bytes of pixel data, "
                        "got 4"));
  EXPECT_THAT(LoadError(good_img, good_lbl.substr(0, 10)),
              HasSubstr("e-lbl: truncated: expected 3 bytes of label data, "
                        "got 2"));
  EXPECT_THAT(LoadError(good_img + "xx", good_lbl),
              HasSubstr("e-img: 2 unexpected trailing bytes"));
  EXPECT_THAT(LoadError(good_lbl, good_img),
              HasSubstr("e-img: bad magic number 0x00000801: expected "
                        "0x00000803"));
  EXPECT_THAT(LoadError("\x12\x34\x08\x03" + good_img.substr(4), good_lbl),
              HasSubstr("e-img: not an IDX file: bad magic number "
                        "0x12340803"));
  EXPECT_THAT(LoadError(Idx({3, 2, 2}, Pixels(), 0x00000D03), good_lbl),
              HasSubstr("e-img: IDX element type 0xd is not supported"));
  EXPECT_THAT(LoadError(std::string(2, '\0'), good_lbl),
              HasSubstr("e-img: truncated: an IDX file starts with a 4-byte "
                        "magic number, but the file has 2 bytes"));
  EXPECT_THAT(LoadError(good_img.substr(0, 10), good_lbl),
              HasSubstr("e-img: truncated: the header needs 16 bytes"));
  EXPECT_THAT(LoadError(Idx({3, 0, 2}, ""), good_lbl),
              HasSubstr("e-img: dim 1 is 0"));
  EXPECT_THAT(LoadError(good_img, Idx({2}, kLabels.substr(0, 2))),
              HasSubstr("e-img has 3 images but"));
  EXPECT_THAT(LoadError(good_img, Idx({2}, kLabels.substr(0, 2))),
              HasSubstr("e-lbl has 2 labels"));
  // gzip problems: a cut stream and a corrupted one.
  const std::string gz = Gzip(good_img);
  EXPECT_THAT(LoadError(gz.substr(0, gz.size() / 2), good_lbl),
              HasSubstr("e-img: truncated gzip data"));
  std::string corrupt = gz;
  corrupt[12] = static_cast<char>(corrupt[12] ^ 0xFF);
  corrupt[13] = static_cast<char>(corrupt[13] ^ 0xFF);
  EXPECT_THAT(LoadError(corrupt, good_lbl), HasSubstr("e-img: corrupt gzip"));
  // A valid gzip of a truncated IDX: the message of the brief's example.
  EXPECT_THAT(LoadError(Gzip(good_img.substr(0, 18)), good_lbl),
              HasSubstr("e-img: truncated: expected 12 bytes of pixel data, "
                        "got 2"));
}

TEST(IdxTest, MissingFileIsAnIoErrorNamingIt) {
  try {
    LoadIdx(TempPath("nope-img"), TempPath("nope-lbl"));
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("nope-img"));
  }
}

TEST(FashionMnistTest, MissingDirectoryNamesTheDebianPackage) {
  FashionMnistOptions options;
  options.dir = TempPath("no-such-dir");
  try {
    FashionMnist(options);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("train-images-idx3-ubyte.gz not found"));
    EXPECT_THAT(e.what(), HasSubstr("apt-get install dataset-fashion-mnist"));
    EXPECT_THAT(e.what(), HasSubstr("ci/setup.sh"));
  }
  options.split = Split::kVal;
  EXPECT_THROW(FashionMnist(options), ValueError);
}

class RealFashionMnistTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kFashionMnistDir)) {
      GTEST_SKIP() << kFashionMnistDir
                   << " is absent: install the Debian package "
                      "dataset-fashion-mnist to run this test";
    }
  }
};

TEST_F(RealFashionMnistTest, SplitsMatchNumpy) {
  for (const auto& [split, name, n] :
       {std::tuple{Split::kTrain, "train", 60000},
        std::tuple{Split::kTest, "test", 10000}}) {
    SCOPED_TRACE(name);
    FashionMnistOptions options;
    options.split = split;
    options.normalize = false;
    const auto d = FashionMnist(options);
    ASSERT_EQ(d->size(), n);
    EXPECT_EQ(d->input_shape(), (Shape{1, 28, 28}));
    EXPECT_EQ(d->num_classes(), 10);
    std::vector<int64_t> all(static_cast<size_t>(n));
    std::iota(all.begin(), all.end(), 0);
    const Batch b = d->GetBatch(all);
    std::vector<int64_t> counts(10, 0);
    for (int64_t y : b.targets.ToVector<int64_t>()) ++counts[y];
    const std::string prefix = std::string(name) + ".";
    EXPECT_EQ(
        counts,
        testing::GoldenTensor(kGolden, prefix + "counts").ToVector<int64_t>());
    EXPECT_EQ(counts, std::vector<int64_t>(10, n / 10));
    const std::vector<int64_t> labels = b.targets.ToVector<int64_t>();
    EXPECT_EQ(
        std::vector<int64_t>(labels.begin(), labels.begin() + 8),
        testing::GoldenTensor(kGolden, prefix + "labels8").ToVector<int64_t>());
    // Image 0: byte / 255 exactly, and its pixel sum.
    const Tensor image0 = testing::GoldenTensor(kGolden, prefix + "image0");
    const std::vector<float> x0 = b.inputs.select(0, 0).ToVector<float>();
    double sum = 0;
    const std::vector<int64_t> bytes = image0.ToVector<int64_t>();
    for (size_t p = 0; p < 784; ++p) {
      ASSERT_EQ(x0[p], static_cast<float>(bytes[p] / 255.0)) << p;
      sum += x0[p] * 255.0;
    }
    EXPECT_NEAR(
        sum,
        testing::GoldenTensor(kGolden, prefix + "pixel_sum0").item<double>(),
        1e-2);
  }
}

TEST_F(RealFashionMnistTest, NormalizesWithTheDefaultMeanAndStd) {
  FashionMnistOptions options;
  options.split = Split::kTest;
  const auto d = FashionMnist(options);
  EXPECT_THAT(d->description(), HasSubstr("fashion-mnist test"));
  const std::vector<int64_t> idx = {0};
  const std::vector<float> x = d->GetBatch(idx).inputs.ToVector<float>();
  const std::vector<int64_t> bytes =
      testing::GoldenTensor(kGolden, "test.image0").ToVector<int64_t>();
  for (size_t p = 0; p < 784; ++p) {
    ASSERT_FLOAT_EQ(x[p],
                    static_cast<float>((bytes[p] / 255.0 - 0.2860) / 0.3530));
  }
  EXPECT_FLOAT_EQ(d->background_value(), static_cast<float>(-0.2860 / 0.3530));
  EXPECT_EQ(FashionMnistClassNames().size(), 10u);
}

}  // namespace
}  // namespace tch::data
