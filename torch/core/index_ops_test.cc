// Index family ops against PyTorch 1.13 goldens (tests/golden/index_golden.py
// writes tests/golden/index.safetensors), plus edge cases, errors, version
// counters and thread-count independence. Copying ops must match bit for
// bit; accumulating ops (scatter_add, index_add) within per-dtype
// tolerances.
#include "torch/core/index_ops.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "torch/core/dispatch.h"
#include "torch/core/ops.h"
#include "torch/core/parallel.h"
#include "torch/testing/tensor_matchers.h"

namespace tch {
namespace {

using ::testing::HasSubstr;
using testing::TensorsClose;
using testing::TensorsEqual;

constexpr char kGoldenPath[] = "tests/golden/index.safetensors";


Tensor G(const std::string& name) {
  return tch::testing::GoldenTensor(kGoldenPath, name);
}

// Accumulation tolerances (rtol = atol) for scatter_add / index_add.
double Tolerance(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return 1e-6;
    case DType::kFloat64:
      return 1e-12;
    case DType::kFloat16:
      return 1e-3;
    case DType::kBFloat16:
      return 1e-2;
    default:
      return 0;  // integers and bool: exact
  }
}

// Expects `fn` to throw E with a message containing every substring.
template <typename E, typename Fn>
void ExpectError(Fn fn, std::initializer_list<const char*> substrings) {
  try {
    fn();
    ADD_FAILURE() << "expected an exception";
  } catch (const E& e) {
    for (const char* s : substrings) EXPECT_THAT(e.what(), HasSubstr(s));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

// A 1-D int64 tensor (from_vector alone makes one value 0-D).
Tensor I64(std::vector<int64_t> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return from_vector<int64_t>(v, {n});
}

class IndexGoldenTest : public ::testing::TestWithParam<DType> {
 protected:
  std::string P(const std::string& op) const {
    return op + "." + std::string(DTypeName(GetParam())) + ".";
  }
};

TEST_P(IndexGoldenTest, IndexSelect) {
  const std::string p = P("index_select");
  const Tensor x = G(p + "x");
  for (int d = 0; d < 3; ++d) {
    const std::string c = p + "dim" + std::to_string(d) + ".";
    EXPECT_TRUE(TensorsEqual(index_select(x, d, G(c + "index")), G(c + "out")))
        << c;
  }
  EXPECT_TRUE(
      TensorsEqual(index_select(x, 1, from_vector<int32_t>({4, 0, 4, 2})),
                   G(p + "int32.out")));
  EXPECT_TRUE(TensorsEqual(index_select(x, 1, scalar_tensor(2, DType::kInt64)),
                           G(p + "scalar_index.out")));
  EXPECT_TRUE(
      TensorsEqual(index_select(x.transpose(0, 2), 2, I64({3, 0, 3, 1})),
                   G(p + "transposed.out")));
}

TEST_P(IndexGoldenTest, Gather) {
  const std::string p = P("gather");
  const Tensor x = G(p + "x");
  for (int d : {1, 0, -1}) {
    const std::string c = p + "dim" + std::to_string(d) + ".";
    EXPECT_TRUE(TensorsEqual(gather(x, d, G(c + "index")), G(c + "out"))) << c;
  }
  const Tensor index = G(p + "expanded.index").expand({5, 4, 3});
  EXPECT_TRUE(
      TensorsEqual(gather(x.transpose(0, 1), 1, index), G(p + "expanded.out")));
}

TEST_P(IndexGoldenTest, Scatter) {
  const std::string p = P("scatter");
  const Tensor self = G(p + "self");
  EXPECT_TRUE(TensorsEqual(scatter(self, 0, G(p + "dim0.index"), G(p + "src")),
                           G(p + "dim0.out")));
  EXPECT_TRUE(TensorsEqual(scatter(self, 1, G(p + "value.index"), 3),
                           G(p + "value.out")));
  EXPECT_TRUE(TensorsEqual(scatter(self, 1, G(p + "value.index"), 2.5),
                           G(p + "value_float.out")));
  // In place, through a view, bumping the version counter.
  Tensor copy = self.clone();
  const uint32_t before = copy.storage().version();
  scatter_(copy, 0, G(p + "dim0.index"), G(p + "src"));
  EXPECT_GT(copy.storage().version(), before);
  EXPECT_TRUE(TensorsEqual(copy, G(p + "dim0.out")));
}

TEST_P(IndexGoldenTest, ScatterAdd) {
  const std::string p = P("scatter_add");
  const double tol = Tolerance(GetParam());
  const Tensor self = G(p + "self");
  EXPECT_TRUE(
      TensorsClose(scatter_add(self, 0, G(p + "dim0.index"), G(p + "dim0.src")),
                   G(p + "dim0.out"), tol, tol));
  Tensor copy = self.clone();
  const uint32_t before = copy.storage().version();
  scatter_add_(copy, 1, G(p + "dim1.index"), G(p + "dim1.src").t());
  EXPECT_GT(copy.storage().version(), before);
  EXPECT_TRUE(TensorsClose(copy, G(p + "dim1.out"), tol, tol));
  EXPECT_EQ(copy.dtype(), GetParam());
}

TEST_P(IndexGoldenTest, IndexAdd) {
  const std::string p = P("index_add");
  const double tol = Tolerance(GetParam());
  const Tensor self = G(p + "self"), source = G(p + "source");
  const Tensor index = G(p + "index");
  EXPECT_TRUE(TensorsClose(index_add(self, 1, index, source), G(p + "dim1.out"),
                           tol, tol));
  const Scalar alpha = GetParam() == DType::kBool    ? Scalar(true)
                       : IsFloatingPoint(GetParam()) ? Scalar(0.5)
                                                     : Scalar(2);
  EXPECT_TRUE(
      TensorsClose(index_add(self, 1, index.to(DType::kInt32), source, alpha),
                   G(p + "int32_alpha.out"), tol, tol));
  Tensor copy = self.clone();
  const uint32_t before = copy.storage().version();
  index_add_(copy, 0, index, G(p + "permuted.source").permute({2, 1, 0}));
  EXPECT_GT(copy.storage().version(), before);
  EXPECT_TRUE(TensorsClose(copy, G(p + "permuted.out"), tol, tol));
}

TEST_P(IndexGoldenTest, MaskedFill) {
  const std::string p = P("masked_fill");
  const Tensor x = G(p + "x"), mask = G(p + "mask"), mask2 = G(p + "mask2");
  EXPECT_TRUE(TensorsEqual(masked_fill(x, mask, 2), G(p + "scalar.out")));
  EXPECT_TRUE(
      TensorsEqual(masked_fill(x, mask, scalar_tensor(1.5, DType::kFloat32)),
                   G(p + "tensor.out")));
  EXPECT_TRUE(TensorsEqual(masked_fill(x.select(0, 0), mask2, 7),
                           G(p + "broadcast.out")));
  EXPECT_TRUE(TensorsEqual(masked_fill(x, mask.to(DType::kUInt8), 3),
                           G(p + "uint8.out")));
  if (IsFloatingPoint(GetParam())) {
    EXPECT_TRUE(TensorsEqual(masked_fill(x, mask, NAN), G(p + "nan.out")));
  }
  Tensor copy = x.clone();
  const uint32_t before = copy.storage().version();
  masked_fill_(copy, mask, 2);
  EXPECT_GT(copy.storage().version(), before);
  EXPECT_TRUE(TensorsEqual(copy, G(p + "scalar.out")));
}

TEST_P(IndexGoldenTest, MaskedSelect) {
  const std::string p = P("masked_select");
  const Tensor x = G(p + "x"), mask = G(p + "mask"), mask2 = G(p + "mask2");
  EXPECT_TRUE(TensorsEqual(masked_select(x, mask), G(p + "same.out")));
  EXPECT_TRUE(TensorsEqual(masked_select(x.select(0, 0), mask2),
                           G(p + "broadcast.out")));
  EXPECT_TRUE(
      TensorsEqual(masked_select(x.t(), mask.t()), G(p + "transposed.out")));
}

TEST_P(IndexGoldenTest, CatAndStack) {
  const std::string p = P("cat");
  const Tensor a = G(p + "a"), b = G(p + "b"), c = G(p + "c");
  EXPECT_TRUE(TensorsEqual(cat({a, b}, 0), G(p + "dim0.out")));
  EXPECT_TRUE(TensorsEqual(cat({a, c, a}, -1), G(p + "dim1.out")));
  EXPECT_TRUE(
      TensorsEqual(cat({a, c.t().slice(0, 0, 3).t(), b.slice(0, 0, 4, 2)}, 1),
                   G(p + "transposed.out")));
  const Tensor none = empty({0}, GetParam());
  EXPECT_TRUE(TensorsEqual(cat({none, a, none}, 1), G(p + "skip.out")));
  const std::string s = P("stack");
  for (int d : {0, 1, 2, -1}) {
    EXPECT_TRUE(TensorsEqual(stack({a, b.slice(0, 0, 2), a.t().t()}, d),
                             G(s + "dim" + std::to_string(d) + ".out")))
        << d;
  }
}

TEST_P(IndexGoldenTest, Repeat) {
  const std::string p = P("repeat");
  const Tensor x = G(p + "x");
  EXPECT_TRUE(TensorsEqual(repeat(x, {2, 1, 2}), G(p + "r212.out")));
  EXPECT_TRUE(TensorsEqual(repeat(x, {1, 3}), G(p + "r13.out")));
  EXPECT_TRUE(TensorsEqual(repeat(x.t(), {2, 2}), G(p + "transposed.out")));
  EXPECT_TRUE(TensorsEqual(repeat(x.select(0, 1).select(0, 2), {3}),
                           G(p + "scalar.out")));
}

TEST_P(IndexGoldenTest, TrilTriu) {
  const std::string p = P("tri");
  const Tensor x = G(p + "x");
  for (int k : {-1, 0, 2, -10, 10}) {
    const std::string kk = std::to_string(k);
    EXPECT_TRUE(TensorsEqual(tril(x, k), G(p + "tril" + kk + ".out"))) << k;
    EXPECT_TRUE(TensorsEqual(triu(x, k), G(p + "triu" + kk + ".out"))) << k;
  }
  EXPECT_TRUE(
      TensorsEqual(tril(x.transpose(1, 2), 1), G(p + "transposed.out")));
}

TEST_P(IndexGoldenTest, Flip) {
  const std::string p = P("flip");
  const Tensor x = G(p + "x");
  EXPECT_TRUE(TensorsEqual(flip(x, {0, 2}), G(p + "d02.out")));
  EXPECT_TRUE(TensorsEqual(flip(x, {1}), G(p + "d1.out")));
  EXPECT_TRUE(TensorsEqual(flip(x, {-1}), G(p + "dlast.out")));
  EXPECT_TRUE(
      TensorsEqual(flip(x.transpose(0, 2), {0, 1}), G(p + "transposed.out")));
}

TEST_P(IndexGoldenTest, Roll) {
  const std::string p = P("roll");
  const Tensor x = G(p + "x");
  EXPECT_TRUE(TensorsEqual(roll(x, {2}), G(p + "flat.out")));
  EXPECT_TRUE(TensorsEqual(roll(x, {-1}, {1}), G(p + "d1.out")));
  EXPECT_TRUE(TensorsEqual(roll(x, {1, 2}, {0, 1}), G(p + "d01.out")));
  EXPECT_TRUE(TensorsEqual(roll(x, {1, 1}, {0, 0}), G(p + "same_dim.out")));
  EXPECT_TRUE(TensorsEqual(roll(x, {5}, {0}), G(p + "wrap.out")));
  EXPECT_TRUE(
      TensorsEqual(roll(x.t(), {1, -3}, {0, 1}), G(p + "transposed.out")));
}

TEST_P(IndexGoldenTest, Pad) {
  const std::string p = P("pad");
  const Tensor x = G(p + "x");
  const Scalar v = GetParam() == DType::kBool ? Scalar(1) : Scalar(2.7);
  EXPECT_TRUE(TensorsEqual(pad(x, {1, 2}), G(p + "last.out")));
  EXPECT_TRUE(TensorsEqual(pad(x, {1, 1, 2, 0}, v), G(p + "two.out")));
  EXPECT_TRUE(TensorsEqual(pad(x, {-1, 1, 0, -1}), G(p + "crop.out")));
  EXPECT_TRUE(TensorsEqual(pad(x, {0, 0, 0, 0, 1, 1}, v), G(p + "all.out")));
  EXPECT_TRUE(TensorsEqual(pad(x.transpose(1, 2), {2, -1, -1, 0}),
                           G(p + "transposed.out")));
}

TEST_P(IndexGoldenTest, SortAndArgsort) {
  const std::string p = P("sort");
  const Tensor x = G(p + "x");
  for (bool desc : {false, true}) {
    const std::string d = desc ? "1" : "0";
    auto [v, i] = sort(x, -1, desc);
    EXPECT_TRUE(TensorsEqual(v, G(p + "desc" + d + ".values")));
    EXPECT_TRUE(TensorsEqual(i, G(p + "desc" + d + ".indices")));
    auto [v0, i0] = sort(x, 0, desc);
    EXPECT_TRUE(TensorsEqual(v0, G(p + "dim0_desc" + d + ".values")));
    EXPECT_TRUE(TensorsEqual(i0, G(p + "dim0_desc" + d + ".indices")));
  }
  EXPECT_TRUE(TensorsEqual(argsort(x.t(), 0, true), G(p + "argsort.indices")));
}

TEST_P(IndexGoldenTest, Topk) {
  const DType dtype = GetParam();
  if (dtype == DType::kFloat16 || dtype == DType::kBool) {
    ExpectError<NotImplementedError>([&] { topk(ones({3}, dtype), 1); },
                                     {"topk"});
    return;
  }
  const std::string p = P("topk");
  const Tensor x = G(p + "x");
  struct Case {
    int64_t k;
    bool largest, sorted;
  };
  for (Case c :
       {Case{1, true, true}, Case{1, false, true}, Case{5, true, true},
        Case{5, false, true}, Case{5, true, false}, Case{70, false, true}}) {
    const std::string name = p + "k" + std::to_string(c.k) + "_l" +
                             (c.largest ? "1" : "0") + "_s" +
                             (c.sorted ? "1" : "0") + ".";
    auto [v, i] = topk(x, c.k, 1, c.largest, c.sorted);
    EXPECT_TRUE(TensorsEqual(v, G(name + "values"))) << name;
    EXPECT_TRUE(TensorsEqual(i, G(name + "indices"))) << name;
  }
  auto [v, i] = topk(x.t(), 2, 0);
  EXPECT_TRUE(TensorsEqual(v, G(p + "dim0.values")));
  EXPECT_TRUE(TensorsEqual(i, G(p + "dim0.indices")));
}

INSTANTIATE_TEST_SUITE_P(AllDTypes, IndexGoldenTest,
                         ::testing::Values(DType::kFloat32, DType::kFloat64,
                                           DType::kFloat16, DType::kBFloat16,
                                           DType::kInt64, DType::kInt32,
                                           DType::kUInt8, DType::kBool),
                         [](const ::testing::TestParamInfo<DType>& info) {
                           return std::string(DTypeName(info.param));
                         });

// --- Golden cases that are not per dtype -------------------------------------

TEST(IndexOpsTest, LongLowPrecisionAccumulationsMatchPyTorch) {
  std::vector<int64_t> index(4000);
  std::vector<double> src(4000);
  for (int64_t i = 0; i < 4000; ++i) {
    index[i] = (i * 7919) % 8;
    src[i] = static_cast<double>((i * 37) % 101 - 50) / 16;
  }
  const Tensor idx = from_vector(index), values = from_vector(src);
  for (DType dtype :
       {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kBFloat16}) {
    const std::string p = "accum." + std::string(DTypeName(dtype)) + ".";
    const Tensor v = values.to(dtype);
    // Same order of additions as PyTorch, so equal up to the last bit.
    EXPECT_TRUE(TensorsEqual(scatter_add(zeros({8}, dtype), 0, idx, v),
                             G(p + "scatter_add.out")))
        << dtype;
    const Tensor v2 = stack({v, v * -1, v * 2}, 1);
    EXPECT_TRUE(TensorsEqual(index_add(zeros({8, 3}, dtype), 0, idx, v2),
                             G(p + "index_add.out")))
        << dtype;
  }
}

TEST(IndexOpsTest, OneHot) {
  const Tensor x = G("one_hot.int64.x");
  EXPECT_TRUE(TensorsEqual(one_hot(x), G("one_hot.int64.infer.out")));
  EXPECT_TRUE(TensorsEqual(one_hot(x, 6), G("one_hot.int64.six.out")));
  EXPECT_EQ(one_hot(I64({}), 3).sizes(), Shape({0, 3}));
  EXPECT_EQ(one_hot(scalar_tensor(2, DType::kInt64)).sizes(), Shape({3}));
}

TEST(IndexOpsTest, CatPromotesAndSkipsLegacyEmpty) {
  const Tensor a = G("cat_promote.a");
  EXPECT_TRUE(TensorsEqual(
      cat({a.to(DType::kInt64), a.to(DType::kFloat16), a.to(DType::kBool)}),
      G("cat_promote.mixed.out")));
  EXPECT_TRUE(TensorsEqual(cat({a.to(DType::kBool), a.to(DType::kUInt8)}),
                           G("cat_promote.bool_uint8.out")));
  EXPECT_TRUE(TensorsEqual(cat({a.to(DType::kBFloat16), a.to(DType::kFloat16)}),
                           G("cat_promote.bf16_f16.out")));
  EXPECT_TRUE(TensorsEqual(cat({empty({0}, DType::kFloat64), a}, 1),
                           G("cat_promote.skip_f64.out")));
  // All inputs skipped: an empty 1-D result, whatever the dim.
  Tensor all_empty = cat({empty({0}), empty({0}, DType::kInt32)}, 5);
  EXPECT_EQ(all_empty.sizes(), Shape({0}));
  EXPECT_EQ(all_empty.dtype(), DType::kFloat32);
  // An expanded (stride-0) input goes through the strided path.
  const Tensor row = arange(0, 3, 1, DType::kFloat32).unsqueeze(0);
  EXPECT_TRUE(
      TensorsEqual(cat({row.expand({2, 3}), row}), repeat(row, {3, 1})));
}

TEST(IndexOpsTest, SplitAndChunkGolden) {
  const Tensor x = arange(0, 14, 1, DType::kInt64).view({7, 2});
  auto check = [](const std::string& name, const std::vector<Tensor>& pieces) {
    ASSERT_EQ(static_cast<int64_t>(pieces.size()),
              G("split." + name + ".count").item<int64_t>())
        << name;
    for (size_t j = 0; j < pieces.size(); ++j) {
      EXPECT_TRUE(
          TensorsEqual(pieces[j], G("split." + name + "." + std::to_string(j))))
          << name << " " << j;
    }
  };
  check("split3", split(x, 3));
  check("split_sizes", split(x, IntList{1, 0, 6}));
  check("chunk3", chunk(x, 3));
  check("chunk5_dim1", chunk(x, 5, 1));
  check("chunk4", chunk(x.slice(0, 0, 6), 4));
  // Pieces are views of x.
  for (const Tensor& piece : split(x, 3)) {
    EXPECT_TRUE(piece.storage().SameAs(x.storage()));
  }
  EXPECT_EQ(chunk(empty({0}), 3).size(), 3u);
  EXPECT_EQ(split(empty({0}), 0).size(), 1u);
  EXPECT_EQ(split(x, 10).size(), 1u);
}

// --- Edge cases: zero-size, 0-D, expanded ------------------------------------

TEST(IndexOpsTest, ZeroSizeAndScalarInputs) {
  const Tensor x = arange(0, 12, 1, DType::kFloat32).view({3, 4});
  EXPECT_EQ(index_select(x, 0, I64({})).sizes(), Shape({0, 4}));
  EXPECT_EQ(gather(x, 1, empty({3, 0}, DType::kInt64)).sizes(), Shape({3, 0}));
  // An empty index skips the dtype check, as in PyTorch.
  EXPECT_EQ(gather(x, 1, empty({3, 0})).sizes(), Shape({3, 0}));
  EXPECT_TRUE(TensorsEqual(scatter(x, 0, empty({0, 4}, DType::kInt64), 1), x));
  EXPECT_EQ(masked_select(empty({0, 4}), ones({4}, DType::kBool)).sizes(),
            Shape({0}));
  EXPECT_EQ(cat({empty({0, 4}), x}).sizes(), Shape({3, 4}));
  EXPECT_EQ(repeat(x, {0, 2}).sizes(), Shape({0, 8}));
  EXPECT_EQ(pad(x, {-2, -2}).sizes(), Shape({3, 0}));
  EXPECT_TRUE(TensorsEqual(pad(empty({2, 0}), {1, 1}, 5), full({2, 2}, 5)));
  EXPECT_EQ(topk(x, 0).first.sizes(), Shape({3, 0}));
  EXPECT_EQ(sort(empty({0, 3})).second.sizes(), Shape({0, 3}));
  EXPECT_EQ(roll(empty({0, 3}), {1}, {1}).sizes(), Shape({0, 3}));
  EXPECT_EQ(flip(empty({0, 3}), {0}).sizes(), Shape({0, 3}));
  EXPECT_EQ(tril(empty({2, 0, 3})).sizes(), Shape({2, 0, 3}));

  const Tensor s = scalar_tensor(5.0, DType::kFloat32);
  EXPECT_EQ(index_select(s, 0, I64({0})).item<float>(), 5.0f);
  EXPECT_EQ(index_select(s, 0, I64({0})).dim(), 0);
  EXPECT_EQ(gather(s, 0, I64({0})).sizes(), Shape({1}));
  EXPECT_EQ(gather(s, 0, scalar_tensor(0, DType::kInt64)).dim(), 0);
  EXPECT_EQ(scatter(s, 0, scalar_tensor(0, DType::kInt64), 2).item<float>(),
            2.f);
  EXPECT_EQ(
      index_add(s, 0, I64({0, 0}), from_vector<float>({2, 3})).item<float>(),
      10.f);
  EXPECT_EQ(masked_fill(s, scalar_tensor(true, DType::kBool), 1).item<float>(),
            1.f);
  EXPECT_EQ(repeat(s, {2}).sizes(), Shape({2}));
  EXPECT_EQ(repeat(s, {}).dim(), 0);
  EXPECT_EQ(flip(s, {0}).item<float>(), 5.f);
  EXPECT_EQ(roll(s, {1}).item<float>(), 5.f);
  EXPECT_EQ(pad(s, {}).item<float>(), 5.f);
  auto [tv, ti] = topk(s, 1);
  EXPECT_EQ(tv.item<float>(), 5.f);
  EXPECT_EQ(ti.item<int64_t>(), 0);
  auto [sv, si] = sort(s);
  EXPECT_EQ(sv.dim(), 0);
  EXPECT_EQ(si.item<int64_t>(), 0);
  EXPECT_EQ(stack({s, s}).sizes(), Shape({2}));
}

TEST(IndexOpsTest, ExpandedInputs) {
  const Tensor row = arange(0, 4, 1, DType::kFloat32);
  const Tensor x = row.unsqueeze(0).expand({3, 4});  // stride 0 in dim 0
  EXPECT_TRUE(TensorsEqual(flip(x, {0, 1}), flip(x.contiguous(), {0, 1})));
  EXPECT_TRUE(TensorsEqual(index_select(x, 1, I64({3, 1})),
                           index_select(x.contiguous(), 1, I64({3, 1}))));
  EXPECT_TRUE(TensorsEqual(tril(x), tril(x.contiguous())));
  EXPECT_TRUE(TensorsEqual(sort(x, 0, true).second,
                           sort(x.contiguous(), 0, true).second));
  EXPECT_TRUE(TensorsEqual(masked_select(x, ones({1}, DType::kBool)),
                           x.contiguous().reshape({-1})));
  // Writing into an expanded tensor is refused.
  ExpectError<ValueError>([&] { masked_fill_(x, ones({4}, DType::kBool), 1); },
                          {"masked_fill_", "single memory location"});
  ExpectError<ValueError>(
      [&] {
        index_add_(x, 1, I64({0}), ones({3, 1}));
      },
      {"index_add_"});
}

TEST(IndexOpsTest, ExtremeArgumentsDoNotOverflow) {
  const Tensor x = arange(0, 6, 1, DType::kFloat32);
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(split(x, kMax).size(), 1u);
  EXPECT_EQ(chunk(x, kMax).size(), 6u);
  // kMin % 6 == -2: a roll by -2.
  EXPECT_TRUE(TensorsEqual(roll(x, {kMin}, {0}), roll(x, {-2}, {0})));
  EXPECT_TRUE(TensorsEqual(roll(x, {kMax}, {0}), roll(x, {1}, {0})));
  EXPECT_TRUE(TensorsEqual(tril(x.view({2, 3}), kMax), x.view({2, 3})));
  EXPECT_TRUE(TensorsEqual(triu(x.view({2, 3}), kMin), x.view({2, 3})));
  ExpectError<ValueError>([&] { pad(x, {kMax, kMax}); }, {"overflows"});
  ExpectError<ValueError>([&] { repeat(x, {kMax / 2}); }, {"2^63"});
}

TEST(IndexOpsTest, InPlaceRefusesAliasedInputs) {
  Tensor x = zeros({2, 4});
  ExpectError<ValueError>(
      [&] {
        scatter_add_(x, 1, zeros({2, 4}, DType::kInt64), x);
      },
      {"scatter_add_", "single memory location"});
  ExpectError<ValueError>(
      [&] {
        index_add_(x.select(0, 0), 0, I64({0, 1}),
                   x.select(0, 0).slice(0, 0, 2));
      },
      {"index_add_", "single memory location"});
  // Disjoint rows of one storage are fine.
  index_add_(x.select(0, 0), 0, I64({0, 1}), x.select(0, 1).slice(0, 0, 2));
  scatter_(x.select(0, 0), 0, I64({3}), x.select(0, 1).slice(0, 0, 1));
}

TEST(IndexOpsTest, DuplicateScatterLastWins) {
  Tensor out =
      scatter(zeros({3}), 0, I64({1, 1, 1}), from_vector<float>({1, 2, 3}));
  EXPECT_EQ(out.ToVector<float>(), (std::vector<float>{0, 3, 0}));
}

// --- Thread-count independence and large inputs ------------------------------

class ThreadCountTest : public ::testing::Test {
 protected:
  void TearDown() override { SetNumThreads(saved_); }
  int saved_ = GetNumThreads();
};

// Deterministic pseudo-random indices in [0, n).
Tensor Indices(int64_t count, int64_t n, int64_t seed) {
  std::vector<int64_t> v(count);
  uint64_t s = seed;
  for (auto& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = static_cast<int64_t>((s >> 33) % n);
  }
  return from_vector(v);
}

Tensor Values(int64_t count, int64_t seed) {
  std::vector<float> v(count);
  uint64_t s = seed;
  for (auto& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = static_cast<float>((s >> 40) % 2001) / 1000.f - 1.f;
  }
  return from_vector(v);
}

TEST_F(ThreadCountTest, ScatterAddAndIndexAddAreDeterministic) {
  // 1-D with one position: a small output (sequential) and a large one
  // (ownership mode with 2 threads); 2-D: many positions (partitioned).
  const Tensor src1 = Values(600000, 2);
  const Tensor idx2 = Indices(2000, 50, 3);
  const Tensor src2 = Values(2000 * 64, 4).view({2000, 64});
  const Tensor idx3 = Indices(2000 * 64, 50, 5).view({2000, 64});
  for (int64_t size : {int64_t{1000}, int64_t{1} << 18}) {
    const Tensor idx1 = Indices(600000, size, 1);
    Tensor r[2];
    for (int threads : {1, 2}) {
      SetNumThreads(threads);
      r[threads - 1] = scatter_add(zeros({size}), 0, idx1, src1);
    }
    EXPECT_TRUE(TensorsEqual(r[0], r[1])) << size;
    // Against a naive sequential loop in the same (index) order: bitwise.
    std::vector<float> expect(size, 0.f);
    const auto iv = idx1.ToVector<int64_t>();
    const auto sv = src1.ToVector<float>();
    for (size_t i = 0; i < iv.size(); ++i) expect[iv[i]] += sv[i];
    EXPECT_EQ(r[1].ToVector<float>(), expect) << size;
  }
  Tensor r2[2], r3[2];
  for (int threads : {1, 2}) {
    SetNumThreads(threads);
    r2[threads - 1] = index_add(zeros({50, 64}), 0, idx2, src2, 0.5);
    r3[threads - 1] = scatter_add(zeros({50, 64}), 0, idx3, src2);
  }
  EXPECT_TRUE(TensorsEqual(r2[0], r2[1]));
  EXPECT_TRUE(TensorsEqual(r3[0], r3[1]));
  std::vector<float> expect2(50 * 64, 0.f);
  const auto iv2 = idx2.ToVector<int64_t>();
  const auto sv2 = src2.ToVector<float>();
  for (size_t i = 0; i < iv2.size(); ++i) {
    for (int c = 0; c < 64; ++c) {
      expect2[iv2[i] * 64 + c] += 0.5f * sv2[i * 64 + c];
    }
  }
  EXPECT_EQ(r2[0].ToVector<float>(), expect2);
}

TEST_F(ThreadCountTest, LargeCopiesMatchNaiveLoops) {
  SetNumThreads(2);
  const Tensor x = Values(600 * 257, 7).view({600, 257});
  const Tensor idx = Indices(1000, 600, 8);
  const Tensor sel = index_select(x, 0, idx);
  const auto xv = x.ToVector<float>();
  const auto iv = idx.ToVector<int64_t>();
  std::vector<float> expect;
  for (int64_t i : iv) {
    expect.insert(expect.end(), xv.begin() + i * 257,
                  xv.begin() + (i + 1) * 257);
  }
  EXPECT_EQ(sel.ToVector<float>(), expect);
  const Tensor gidx = Indices(600 * 100, 257, 9).view({600, 100});
  const auto gv = gather(x, 1, gidx).ToVector<float>();
  const auto giv = gidx.ToVector<int64_t>();
  for (size_t k = 0; k < gv.size(); ++k) {
    ASSERT_EQ(gv[k], xv[(k / 100) * 257 + giv[k]]) << k;
  }
  // cat along dims 0 and 1, repeat, flip against slices of the result.
  const Tensor c1 = cat({x, x.slice(1, 0, 100)}, 1);
  EXPECT_TRUE(TensorsEqual(c1.slice(1, 257, 357), x.slice(1, 0, 100)));
  EXPECT_TRUE(TensorsEqual(c1.slice(1, 0, 257), x));
  const Tensor r = repeat(x, {2, 3});
  EXPECT_TRUE(TensorsEqual(r.slice(0, 600, 1200).slice(1, 514, 771), x));
  const Tensor f = flip(x, {1});
  EXPECT_TRUE(TensorsEqual(f.select(1, 0), x.select(1, 256)));
  auto [values, indices] = sort(x, 1);
  EXPECT_TRUE(TensorsEqual(gather(x, 1, indices), values));
  const auto sorted = values.select(0, 17).ToVector<float>();
  EXPECT_TRUE(std::is_sorted(sorted.begin(), sorted.end()));
}

// --- Errors ------------------------------------------------------------------

TEST(IndexOpsErrorTest, IndexErrorsNameOpValueAndRange) {
  const Tensor x = arange(0, 12, 1, DType::kFloat32).view({3, 4});
  ExpectError<IndexError>([&] { index_select(x, 0, I64({5})); },
                          {"index_select",
                           "index 5 is out of bounds for "
                           "dimension 0 with size 3"});
  ExpectError<IndexError>([&] { index_select(x, 0, I64({-1})); },
                          {"index -1 is out of bounds"});
  ExpectError<IndexError>(
      [&] {
        gather(x, 1, I64({4}).view({1, 1}));
      },
      {"gather",
       "index 4 is out of bounds for dimension 1 "
       "with size 4"});
  ExpectError<IndexError>(
      [&] {
        gather(x, 0, I64({-1}).view({1, 1}));
      },
      {"index -1"});
  ExpectError<IndexError>(
      [&] {
        scatter(x, 0, I64({3}).view({1, 1}), 1.0);
      },
      {"scatter", "index 3 is out of bounds for dimension 0 with size 3"});
  ExpectError<IndexError>(
      [&] {
        scatter_add(x, 1, I64({7}).view({1, 1}), ones({1, 1}));
      },
      {"scatter_add", "index 7"});
  ExpectError<IndexError>(
      [&] {
        index_add(x, 0, I64({3}), ones({1, 4}));
      },
      {"index_add", "index 3 is out of bounds for dimension 0 with size 3"});
  ExpectError<IndexError>(
      [&] { index_add(zeros({4}), 0, Indices(100000, 5, 1), ones({100000})); },
      {"index_add", "index 4 is out of bounds"});
  ExpectError<IndexError>(
      [&] {
        index_select(empty({0, 2}), 0, I64({0}));
      },
      {"with size 0"});
  ExpectError<IndexError>([&] { index_select(x, 2, I64({0})); },
                          {"dimension out of range"});
  ExpectError<IndexError>([&] { one_hot(I64({-1})); }, {"non-negative"});
  ExpectError<IndexError>([&] { one_hot(I64({3}), 3); },
                          {"smaller than num_classes"});
  ExpectError<IndexError>(
      [&] { roll(scalar_tensor(1, DType::kFloat32), {1}, {0}); },
      {"no dimensions"});
  ExpectError<IndexError>([&] { flip(x, {2}); }, {"dimension out of range"});
  ExpectError<IndexError>([&] { sort(x, 2); }, {"dimension out of range"});
}

TEST(IndexOpsErrorTest, ValueErrors) {
  const Tensor x = arange(0, 12, 1, DType::kFloat32).view({3, 4});
  ExpectError<ValueError>(
      [&] {
        index_select(x, 0, I64({0}).view({1, 1}));
      },
      {"index_select", "vector"});
  ExpectError<ValueError>([&] { index_select(x, 0, zeros({1})); },
                          {"int32 or int64"});
  ExpectError<ValueError>(
      [&] {
        gather(x, 0, from_vector<int32_t>({0}).view({1, 1}));
      },
      {"gather", "int64"});
  ExpectError<ValueError>([&] { gather(x, 0, I64({0})); },
                          {"same number of dimensions"});
  ExpectError<ValueError>(
      [&] {
        gather(x, 0, zeros({1, 5}, DType::kInt64));
      },
      {"smaller than self"});
  ExpectError<ValueError>(
      [&] {
        scatter(x, 0, zeros({1, 1}, DType::kInt64),
                ones({1, 1}, DType::kFloat64));
      },
      {"scatter", "dtype"});
  ExpectError<ValueError>(
      [&] {
        scatter(x, 0, zeros({2, 2}, DType::kInt64), ones({1, 5}));
      },
      {"smaller than src"});
  ExpectError<ValueError>(
      [&] {
        index_add(x, 0, I64({0}), ones({2, 4}));
      },
      {"number of indices"});
  ExpectError<ValueError>(
      [&] {
        index_add(x, 0, I64({0}), ones({1, 3}));
      },
      {"must match"});
  ExpectError<ValueError>(
      [&] {
        index_add(x, 0, I64({0}), ones({1, 4}, DType::kFloat64));
      },
      {"same dtype"});
  ExpectError<ValueError>(
      [&] {
        index_add(zeros({3}, DType::kInt64), 0, I64({0}),
                  ones({1}, DType::kInt64), 0.5);
      },
      {"alpha"});
  ExpectError<ValueError>([&] { masked_fill(x, ones({4}), 1); }, {"mask"});
  ExpectError<ValueError>(
      [&] { masked_fill(x, ones({4}, DType::kBool), ones({1})); },
      {"0-dimensional value tensor"});
  ExpectError<ValueError>(
      [&] {
        masked_fill_(x.select(0, 0), ones({3, 4}, DType::kBool), 1);
      },
      {"cannot be broadcast"});
  ExpectError<ValueError>([&] { masked_select(x, ones({3}, DType::kBool)); },
                          {"broadcast"});
  ExpectError<ValueError>([&] { one_hot(zeros({2})); }, {"int64"});
  ExpectError<ValueError>([&] { one_hot(I64({})); }, {"empty"});
  ExpectError<ValueError>([&] { cat({}); }, {"non-empty"});
  ExpectError<ValueError>(
      [&] {
        cat({x, scalar_tensor(1, DType::kFloat32)});
      },
      {"zero-dimensional", "position 1"});
  ExpectError<ValueError>(
      [&] {
        cat({x, x.view({12})});
      },
      {"same number of dimensions"});
  ExpectError<ValueError>(
      [&] {
        cat({x, x.t()});
      },
      {"Expected size 4 but got size 3 for tensor number 1"});
  ExpectError<IndexError>([&] { cat({x, x}, 2); }, {"dimension out of range"});
  ExpectError<ValueError>([&] { stack({x, x.t()}); }, {"equal size"});
  ExpectError<ValueError>([&] { stack({}); }, {"non-empty"});
  ExpectError<ValueError>([&] { split(x, -1); }, {"non-negative"});
  ExpectError<ValueError>([&] { split(x, 0); }, {"split_size can only be 0"});
  ExpectError<ValueError>(
      [&] {
        split(x, IntList{1, 1});
      },
      {"sum exactly to 3"});
  ExpectError<ValueError>([&] { split(scalar_tensor(1, DType::kFloat32), 1); },
                          {"1-dimensional"});
  ExpectError<ValueError>([&] { chunk(x, 0); }, {"greater than 0"});
  ExpectError<ValueError>([&] { repeat(x, {2}); }, {"can not be smaller"});
  ExpectError<ValueError>([&] { repeat(x, {2, -1}); }, {"non-negative"});
  ExpectError<ValueError>([&] { tril(x.select(0, 0)); }, {"at least 2"});
  ExpectError<ValueError>([&] { flip(x, {0, -2}); }, {"multiple times"});
  ExpectError<ValueError>([&] { roll(x, {1, 1}, {0}); }, {"must align"});
  ExpectError<ValueError>([&] { roll(x, {1, 1}); }, {"must align"});
  ExpectError<ValueError>([&] { roll(x, {}); }, {"required"});
  ExpectError<ValueError>([&] { pad(x, {1}); }, {"divisible by 2"});
  ExpectError<ValueError>([&] { pad(x, {1, 1, 1, 1, 1, 1}); }, {"too large"});
  ExpectError<ValueError>([&] { pad(x, {-3, -2}); }, {"negative output size"});
  ExpectError<ValueError>([&] { topk(x, 5); }, {"k out of range"});
  ExpectError<ValueError>([&] { topk(x, -1); }, {"k out of range"});
}

}  // namespace
}  // namespace tch
