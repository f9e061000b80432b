// Reads safetensors files written by PyTorch 1.13 (tests/golden/
// serialize_golden.py) and round-trips tch tensors through our writer.
#include "torch/core/serialize.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "torch/core/ops.h"
#include "torch/testing/tensor_matchers.h"

namespace tch {
namespace {

using ::testing::HasSubstr;
using testing::TensorsEqual;

const char kGolden[] = "tests/golden/serialize.safetensors";

Tensor Base(DType dtype) {
  return arange(0, 24, 1, DType::kInt64).view({2, 3, 4}).to(dtype);
}

TEST(SerializeTest, ReadsEveryDTypeWrittenByPyTorch) {
  std::map<std::string, std::string> metadata;
  auto t = LoadSafetensors(kGolden, &metadata);
  EXPECT_THAT(metadata.at("producer"), HasSubstr("torch 1.13"));
  EXPECT_TRUE(TensorsEqual(t.at("float32"), Base(DType::kFloat32)));
  EXPECT_TRUE(TensorsEqual(t.at("float64"), Base(DType::kFloat64)));
  EXPECT_TRUE(TensorsEqual(t.at("float16"),
                           (Base(DType::kFloat32) / 8).to(DType::kFloat16)));
  EXPECT_TRUE(TensorsEqual(t.at("bfloat16"),
                           (Base(DType::kFloat32) / 8).to(DType::kBFloat16)));
  EXPECT_TRUE(TensorsEqual(t.at("int64"), Base(DType::kInt64) - 12));
  EXPECT_TRUE(TensorsEqual(t.at("int32"), Base(DType::kInt32) - 12));
  EXPECT_TRUE(TensorsEqual(t.at("uint8"), Base(DType::kUInt8) * 10));
  std::vector<bool> every_third;
  for (int i = 0; i < 24; ++i) every_third.push_back(i % 3 == 0);
  EXPECT_TRUE(
      TensorsEqual(t.at("bool"), from_vector<bool>(every_third, {2, 3, 4})));
  EXPECT_EQ(t.at("scalar_f64").dim(), 0);
  EXPECT_EQ(t.at("scalar_f64").item<double>(), 3.25);
  EXPECT_EQ(t.at("empty_f32").sizes(), Shape({0, 5}));
  EXPECT_TRUE(TensorsEqual(
      t.at("transposed_f32"),
      arange(0, 12, 1, DType::kFloat32).view({3, 4}).t().contiguous()));
}

TEST(SerializeTest, RoundTripsNonContiguousTensorsAndMetadata) {
  const std::string path = ::testing::TempDir() + "/roundtrip.safetensors";
  const Tensor w = arange(0, 12, 1, DType::kFloat32).view({3, 4}).t();
  const Tensor h = Base(DType::kBFloat16).select(1, 2);
  SaveSafetensors(path, {{"w", w}, {"h", h}}, {{"format", "pt"}});
  std::map<std::string, std::string> metadata;
  auto loaded = LoadSafetensors(path, &metadata);
  EXPECT_TRUE(TensorsEqual(loaded.at("w"), w.contiguous()));
  EXPECT_TRUE(TensorsEqual(loaded.at("h"), h.contiguous()));
  EXPECT_EQ(metadata.at("format"), "pt");
}

TEST(SerializeTest, UnsupportedDTypeNamesFileAndTensor) {
  const std::string path = ::testing::TempDir() + "/fp8.safetensors";
  const std::byte bytes[2] = {};
  WriteSafetensors(path,
                   {SafetensorsEntry{
                       "x", SafetensorsDType::kF8E4M3, {2}, std::span(bytes)}});
  try {
    LoadSafetensors(path);
    FAIL() << "F8_E4M3 must be rejected";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("fp8.safetensors: tensor 'x'"));
    EXPECT_THAT(e.what(), HasSubstr("F8_E4M3 is not supported"));
  }
}

TEST(SerializeTest, MissingFileIsAnIoError) {
  EXPECT_THROW(LoadSafetensors("tests/golden/does-not-exist.safetensors"),
               IoError);
}

}  // namespace
}  // namespace tch
