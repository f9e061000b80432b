// Tensor geometry, views, broadcasting arithmetic, promotion and printing.
// Expected values are PyTorch 1.13's behaviour for the same calls (strides,
// promoted dtypes and repr strings as torch prints them).
#include "torch/core/tensor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "torch/core/dispatch.h"
#include "torch/core/ops.h"
#include "torch/core/serialize.h"
#include "torch/testing/tensor_matchers.h"

namespace tch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Shape S(std::initializer_list<int64_t> v) { return Shape(v); }

TEST(TensorTest, ContiguousGeometry) {
  Tensor t = zeros({2, 3, 4});
  EXPECT_EQ(t.dim(), 3);
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.strides(), S({12, 4, 1}));
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.size(-1), 4);
  EXPECT_THROW(t.size(3), IndexError);
}

TEST(TensorTest, ViewsShareStorageAndBumpVersion) {
  Tensor a = arange(0, 6, 1, DType::kFloat32).view({2, 3});
  Tensor b = a.t();
  EXPECT_EQ(b.sizes(), S({3, 2}));
  EXPECT_EQ(b.strides(), S({1, 3}));
  EXPECT_FALSE(b.is_contiguous());
  EXPECT_TRUE(b.storage().SameAs(a.storage()));
  const uint32_t before = a.storage().version();
  b.add_(1);
  EXPECT_GT(a.storage().version(), before);
  EXPECT_THAT(a.ToVector<float>(), ElementsAre(1, 2, 3, 4, 5, 6));
}

TEST(TensorTest, SliceSelectExpandSqueeze) {
  Tensor a = arange(0, 12, 1, DType::kInt64).view({3, 4});
  Tensor s = a.slice(1, 1, 4, 2);  // a[:, 1::2]
  EXPECT_EQ(s.sizes(), S({3, 2}));
  EXPECT_THAT(s.ToVector<int64_t>(), ElementsAre(1, 3, 5, 7, 9, 11));
  EXPECT_THAT(a.select(0, -1).ToVector<int64_t>(), ElementsAre(8, 9, 10, 11));
  Tensor e = a.select(1, 0).unsqueeze(1).expand({3, 2});
  EXPECT_EQ(e.strides(), S({4, 0}));
  EXPECT_THAT(e.ToVector<int64_t>(), ElementsAre(0, 0, 4, 4, 8, 8));
  EXPECT_EQ(zeros({1, 3, 1}).squeeze().sizes(), S({3}));
  EXPECT_THAT(a.diagonal().ToVector<int64_t>(), ElementsAre(0, 5, 10));
  EXPECT_THAT(a.diagonal(1).ToVector<int64_t>(), ElementsAre(1, 6, 11));
}

TEST(TensorTest, ViewOfNonContiguousFailsButReshapeCopies) {
  Tensor a = arange(0, 6, 1, DType::kFloat32).view({2, 3}).t();
  try {
    a.view({6});
    FAIL() << "view of a transposed tensor must fail";
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("use reshape instead"));
  }
  Tensor r = a.reshape({6});
  EXPECT_FALSE(r.storage().SameAs(a.storage()));
  EXPECT_THAT(r.ToVector<float>(), ElementsAre(0, 3, 1, 4, 2, 5));
  EXPECT_THAT(a.reshape({-1}).sizes(), ElementsAre(6));
  EXPECT_THROW(a.reshape({4, -1}), ValueError);
}

TEST(TensorTest, BroadcastingArithmetic) {
  Tensor x = arange(0, 6, 1, DType::kFloat32).view({2, 3});
  Tensor y = from_vector<float>({10, 20, 30});
  EXPECT_THAT(add(x, y, 2).ToVector<float>(),
              ElementsAre(20, 41, 62, 23, 44, 65));
  EXPECT_THAT((x * 0.5 - 1).ToVector<float>(),
              ElementsAre(-1, -0.5, 0, 0.5, 1, 1.5));
  EXPECT_THAT((y.view({3, 1}) - x.select(0, 0)).sizes(), ElementsAre(3, 3));
  try {
    add(x, zeros({4}));
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("add: shapes [2, 3] and [4] are not "
                                    "broadcastable"));
  }
}

TEST(TensorTest, TypePromotionFollowsPyTorch) {
  // torch.promote_types and torch.result_type facts.
  EXPECT_EQ(PromoteTypes(DType::kUInt8, DType::kInt32), DType::kInt32);
  EXPECT_EQ(PromoteTypes(DType::kFloat16, DType::kBFloat16), DType::kFloat32);
  EXPECT_EQ(PromoteTypes(DType::kInt64, DType::kFloat16), DType::kFloat16);
  EXPECT_EQ(PromoteTypes(DType::kBool, DType::kUInt8), DType::kUInt8);
  Tensor i = arange(0, 3, 1, DType::kInt32);
  EXPECT_EQ((i + 1).dtype(), DType::kInt32);      // int scalar keeps int32
  EXPECT_EQ((i + 1.5).dtype(), DType::kFloat32);  // float scalar -> default
  EXPECT_EQ((i / 2).dtype(), DType::kFloat32);    // true division
  Tensor h = ones({3}, DType::kFloat16);
  EXPECT_EQ((h + scalar_tensor(1, DType::kFloat64)).dtype(), DType::kFloat16);
  EXPECT_EQ((i + scalar_tensor(1, DType::kFloat64)).dtype(), DType::kFloat64);
  EXPECT_THAT((i / 2).ToVector<float>(), ElementsAre(0, 0.5, 1));
}

TEST(TensorTest, InPlaceRejectsLossyResult) {
  Tensor i = zeros({2}, DType::kInt64);
  EXPECT_THROW(i.add_(0.5), ValueError);
  Tensor f = zeros({2});
  f.add_(ones({2}, DType::kInt64));
  EXPECT_THAT(f.ToVector<float>(), ElementsAre(1, 1));
  EXPECT_THROW(f.add_(zeros({3, 2})), ValueError);
}

TEST(TensorTest, CastsBetweenDTypes) {
  Tensor f = from_vector<float>({-1.5f, 0.0f, 2.7f, 65504.0f});
  EXPECT_THAT(f.to(DType::kInt32).ToVector<int32_t>(),
              ElementsAre(-1, 0, 2, 65504));
  EXPECT_THAT(f.to(DType::kBool).ToVector<bool>(),
              ElementsAre(true, false, true, true));
  EXPECT_THAT(f.to(DType::kFloat16).ToVector<float>(),
              ElementsAre(-1.5f, 0.0f, 2.69921875f, 65504.0f));
  EXPECT_THAT(f.to(DType::kBFloat16).ToVector<float>(),
              ElementsAre(-1.5f, 0.0f, 2.703125f, 65536.0f));
}

TEST(TensorTest, ArangeLengthRule) {
  EXPECT_EQ(arange(0, 1, 0.1, DType::kFloat32).numel(), 10);
  EXPECT_THAT(arange(5, 0, -2, DType::kInt64).ToVector<int64_t>(),
              ElementsAre(5, 3, 1));
  EXPECT_THROW(arange(0, 1, 0), ValueError);
}

TEST(TensorTest, PrintsLikePyTorch) {
  EXPECT_EQ(arange(0, 6, 1, DType::kFloat32).view({2, 3}).ToString(),
            "tensor([[0., 1., 2.],\n        [3., 4., 5.]])");
  EXPECT_EQ(arange(0, 3, 1, DType::kInt64).ToString(), "tensor([0, 1, 2])");
  EXPECT_EQ(from_vector<float>({0.5f, 1.25f}).ToString(),
            "tensor([0.5000, 1.2500])");
  EXPECT_EQ(ones({2}, DType::kFloat64).ToString(),
            "tensor([1., 1.], dtype=tch.float64)");
  EXPECT_EQ(zeros({0}).ToString(), "tensor([])");
  EXPECT_EQ(scalar_tensor(true, DType::kBool).ToString(), "tensor(True)");
}

TEST(TensorTest, MissingKernelNamesOpDeviceAndDType) {
  try {
    div(ones({2}, DType::kBool), ones({2}, DType::kBool)).to(DType::kBool);
    sub(ones({2}, DType::kBool), ones({2}, DType::kBool));
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("sub: subtraction/negation of bool"));
  }
}

TEST(TensorTest, CudaDeviceIsAClearErrorWithoutCuda) {
  if (GetDeviceBackend(DeviceType::kCuda) != nullptr &&
      GetDeviceBackend(DeviceType::kCuda)->DeviceCount() > 0) {
    GTEST_SKIP() << "a CUDA device is present";
  }
  try {
    zeros({2}, DType::kFloat32, Device::Parse("cuda:0"));
    FAIL();
  } catch (const NotImplementedError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cuda:0 requested"));
  }
  EXPECT_THROW(Device::Parse("gpu"), ValueError);
}

}  // namespace
}  // namespace tch

// --- Golden: geometry and repr as PyTorch 1.13 produces them -----------------

namespace tch {
namespace {

std::string Csv(IntList values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    out += (i > 0 ? "," : "") + std::to_string(values[i]);
  }
  return out;
}

TEST(TensorGoldenTest, ViewGeometryMatchesPyTorch) {
  std::map<std::string, std::string> meta;
  auto golden = LoadSafetensors("tests/golden/core.safetensors", &meta);
  const Tensor a = arange(0, 24, 1, DType::kFloat32).view({2, 3, 4});
  const std::map<std::string, Tensor> views = {
      {"transpose", a.transpose(0, 2)},
      {"permute", a.permute({2, 0, 1})},
      {"slice_step", a.slice(1, 1, 3).slice(2, 0, 4, 2)},
      {"select", a.select(0, 1).select(1, 2)},
      {"expand", a.slice(1, 0, 1).expand({2, 5, 4})},
      {"unsqueeze", a.unsqueeze(1)},
      {"diagonal", a.diagonal(1, 1, 2)},
      {"flatten", a.flatten(1)},
      {"narrow", a.narrow(2, 1, 2)},
      {"unflatten", a.flatten().unflatten(0, {4, 6})},
  };
  for (const auto& [name, view] : views) {
    SCOPED_TRACE(name);
    EXPECT_EQ(Csv(view.sizes()), meta.at("sizes." + name));
    EXPECT_EQ(Csv(view.strides()), meta.at("strides." + name));
    EXPECT_EQ(std::to_string(view.storage_offset()), meta.at("offset." + name));
    EXPECT_TRUE(
        testing::TensorsEqual(view.contiguous(), golden.at("view." + name)));
  }
}

TEST(TensorGoldenTest, ReprMatchesPyTorch) {
  std::map<std::string, std::string> meta;
  auto golden = LoadSafetensors("tests/golden/core.safetensors", &meta);
  int checked = 0;
  for (const auto& [key, expected_repr] : meta) {
    if (!key.starts_with("repr.")) continue;
    SCOPED_TRACE(key);
    std::string expected = expected_repr;
    // tch names its dtypes tch.float64 where PyTorch says torch.float64.
    for (size_t at = expected.find("torch."); at != std::string::npos;
         at = expected.find("torch.", at)) {
      expected.replace(at, 6, "tch.");
    }
    EXPECT_EQ(golden.at(key).ToString(), expected);
    ++checked;
  }
  EXPECT_GE(checked, 12);
}

}  // namespace
}  // namespace tch

namespace tch {
namespace {

TEST(TensorGoldenTest, LinspaceAndEyeMatchPyTorch) {
  auto golden = LoadSafetensors("tests/golden/core.safetensors");
  using testing::TensorsEqual;
  EXPECT_TRUE(
      TensorsEqual(linspace(-1.0, 2.0, 7), golden.at("create.linspace_f32")));
  // PyTorch's vectorized loop rounds some elements differently (by 1 ulp).
  EXPECT_TRUE(testing::TensorsClose(linspace(0.1, 0.9, 10, DType::kFloat64),
                                    golden.at("create.linspace_f64"), 1e-15,
                                    0));
  EXPECT_TRUE(TensorsEqual(linspace(0, 10, 4, DType::kInt64),
                           golden.at("create.linspace_i64")));
  EXPECT_TRUE(
      TensorsEqual(linspace(3.0, 5.0, 1), golden.at("create.linspace_one")));
  EXPECT_TRUE(TensorsEqual(eye(3), golden.at("create.eye_3")));
  EXPECT_TRUE(
      TensorsEqual(eye(2, 4, DType::kInt32), golden.at("create.eye_2x4_i32")));
  EXPECT_EQ(linspace(0, 1, 0).numel(), 0);
  EXPECT_THROW(linspace(0, 1, -1), ValueError);
  EXPECT_THROW(eye(-1), ValueError);
}

}  // namespace
}  // namespace tch
