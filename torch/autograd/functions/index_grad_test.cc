// Gradients of the indexing and shape/copying ops: finite differences
// (float64 GradCheck) for every entry, with transposed and expanded inputs
// and negative dims, and PyTorch 1.13's autograd for cat, stack, topk and
// gather (float32 golden file).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>

#include "torch/autograd/functions/grad_test_util.h"
#include "torch/autograd/functions/index.h"
#include "torch/autograd/functions/shape.h"
#include "torch/autograd/gradcheck.h"
#include "torch/autograd/variable.h"
#include "torch/core/index_ops.h"
#include "torch/core/ops.h"
#include "torch/testing/tensor_matchers.h"

namespace tch::autograd {
namespace {

using grad_test::ExpectGradOk;

using testing::TensorsClose;

constexpr char kGolden[] = "tests/golden/autograd_linalg.safetensors";

// Distinct, irregular float64 values (topk/sort need no ties): element i
// gets 0.37 k - 1.9 floor(k / 5) - 0.5 with k = (7 i + 3) mod (n + 1) + 1,
// distinct for distinct k; k is distinct per i when 7 does not divide n + 1.
Tensor Values(IntList sizes) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = (i * 7 + 3) % (n + 1) + 1;
    v[static_cast<size_t>(i)] =
        0.37 * static_cast<double>(k) - 1.9 * static_cast<double>(k / 5) - 0.5;
  }
  return from_vector(v, sizes);
}
Tensor Leaf(IntList sizes) { return requires_grad_(Values(sizes)); }
// A non-contiguous leaf: the transpose of its last two dims.
Tensor TransposedLeaf(IntList sizes) {
  Shape s = sizes.ToShape();
  std::swap(s[s.size() - 1], s[s.size() - 2]);
  return requires_grad_(Values(s).transpose(-2, -1));
}
Tensor Index(std::vector<int64_t> values, IntList sizes = {}) {
  return sizes.empty() ? from_vector(values) : from_vector(values, sizes);
}

using Fn = std::function<Tensor(const TensorList&)>;
void ExpectGradOkMulti(const char* what,
                       const std::function<TensorList(const TensorList&)>& fn,
                       const TensorList& inputs) {
  EXPECT_EQ(GradCheck(fn, inputs), "") << what;
}

TEST(IndexGrad, IndexSelectAndGather) {
  const Tensor rows = Index({2, 0, 2});
  ExpectGradOk(
      "index_select dim 0, repeated",
      [&](const TensorList& in) { return ad::index_select(in[0], 0, rows); },
      {Leaf({3, 4})});
  ExpectGradOk("index_select dim -1, transposed, int32",
               [&](const TensorList& in) {
                 return ad::index_select(in[0], -1, rows.to(DType::kInt32));
               },
               {TransposedLeaf({4, 3})});
  ExpectGradOk("index_select 0-D",
               [](const TensorList& in) {
                 return ad::index_select(in[0], 0, Index({0}));
               },
               {Leaf({})});
  const Tensor idx = Index({0, 0, 3, 2, 1, 2}, {2, 3});
  ExpectGradOk("gather dim 1, repeated",
               [&](const TensorList& in) { return ad::gather(in[0], 1, idx); },
               {Leaf({3, 4})});
  ExpectGradOk("gather dim -2, transposed",
               [&](const TensorList& in) {
                 return ad::gather(in[0], -2, Index({1, 0, 2, 2}, {2, 2}));
               },
               {TransposedLeaf({3, 4})});
  ExpectGradOk("gather of expanded",
               [&](const TensorList& in) {
                 return ad::gather(ad::expand(in[0], {3, 4}), 1, idx);
               },
               {Leaf({1, 4})});
}

TEST(IndexGrad, ScatterFamily) {
  // Unique indices along dim 0 per column; index smaller than src.
  const Tensor idx = Index({2, 0, 1, 1, 2, 0}, {2, 3});
  ExpectGradOk(
      "scatter src",
      [&](const TensorList& in) { return ad::scatter(in[0], 0, idx, in[1]); },
      {Leaf({3, 4}), Leaf({3, 3})});
  ExpectGradOk(
      "scatter src transposed, dim -2",
      [&](const TensorList& in) { return ad::scatter(in[0], -2, idx, in[1]); },
      {TransposedLeaf({3, 4}), TransposedLeaf({2, 3})});
  ExpectGradOk(
      "scatter value",
      [&](const TensorList& in) { return ad::scatter(in[0], 0, idx, 1.5); },
      {Leaf({3, 4})});
  const Tensor dup = Index({0, 0, 1, 0, 2, 0}, {2, 3});
  ExpectGradOk("scatter_add, duplicates",
               [&](const TensorList& in) {
                 return ad::scatter_add(in[0], -1, dup, in[1]);
               },
               {Leaf({2, 3}), Leaf({2, 4})});
  ExpectGradOk(
      "scatter_add of expanded src",
      [&](const TensorList& in) {
        return ad::scatter_add(in[0], 1, dup, ad::expand(in[1], {2, 3}));
      },
      {Leaf({2, 3}), Leaf({1, 3})});
  ExpectGradOk("index_add alpha, duplicates",
               [](const TensorList& in) {
                 return ad::index_add(in[0], 0, Index({1, 1, 0}), in[1], 2.5);
               },
               {Leaf({2, 3}), Leaf({3, 3})});
  ExpectGradOk("index_add dim -1, transposed",
               [](const TensorList& in) {
                 return ad::index_add(in[0], -1, Index({2, 0}), in[1]);
               },
               {TransposedLeaf({3, 4}), TransposedLeaf({3, 2})});
}

TEST(IndexGrad, ScatterSrcGradientIsGatheredLikeTorch) {
  // Both src entries scatter to position 0; PyTorch gives each the gradient
  // there (not only to the one that won). Positions not covered get 0.
  Tensor self = Leaf({3});
  Tensor src = Leaf({3});
  Tensor out = ad::scatter(self, 0, Index({0, 0}), src);
  backward(out, from_vector<double>({10, 20, 30}));
  EXPECT_TRUE(TensorsClose(grad_of(self), from_vector<double>({0, 20, 30})));
  EXPECT_TRUE(TensorsClose(grad_of(src), from_vector<double>({10, 10, 0})));
}

TEST(IndexGrad, Masked) {
  const Tensor mask =
      from_vector<uint8_t>({1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1}, {3, 4})
          .to(DType::kBool);
  ExpectGradOk(
      "masked_fill scalar",
      [&](const TensorList& in) { return ad::masked_fill(in[0], mask, -2.0); },
      {Leaf({3, 4})});
  ExpectGradOk(
      "masked_fill broadcast self",
      [&](const TensorList& in) { return ad::masked_fill(in[0], mask, 0.5); },
      {Leaf({4})});
  ExpectGradOk("masked_fill broadcast mask, transposed",
               [&](const TensorList& in) {
                 return ad::masked_fill(in[0], mask.select(1, 0).unsqueeze(1),
                                        0.5);
               },
               {TransposedLeaf({3, 4})});
  ExpectGradOk(
      "masked_fill tensor value",
      [&](const TensorList& in) { return ad::masked_fill(in[0], mask, in[1]); },
      {Leaf({3, 4}), Leaf({})});
  ExpectGradOk("masked_fill uint8 mask, tensor value",
               [&](const TensorList& in) {
                 return ad::masked_fill(in[0], mask.to(DType::kUInt8), in[1]);
               },
               {Leaf({4}), Leaf({})});
  ExpectGradOk(
      "masked_select",
      [&](const TensorList& in) { return ad::masked_select(in[0], mask); },
      {TransposedLeaf({3, 4})});
  ExpectGradOk(
      "masked_select broadcast self",
      [&](const TensorList& in) { return ad::masked_select(in[0], mask); },
      {Leaf({1, 4})});
}

TEST(IndexGrad, MaskedFillValueIgnoresNonFiniteGradientsOfSelf) {
  Tensor self = Leaf({2});
  Tensor value = Leaf({});
  Tensor mask = from_vector<uint8_t>({1, 0}).to(DType::kBool);
  backward(ad::masked_fill(self, mask, value),
           from_vector<double>({3, std::nan("")}));
  EXPECT_DOUBLE_EQ(grad_of(value).item<double>(), 3.0);
}

TEST(IndexGrad, CatAndStack) {
  ExpectGradOk("cat dim 0",
               [](const TensorList& in) {
                 return ad::cat({in[0], in[1]}, 0);
               },
               {Leaf({2, 3}), TransposedLeaf({1, 3})});
  ExpectGradOk("cat dim -1 with a skipped legacy empty",
               [](const TensorList& in) {
                 return ad::cat({in[0], in[1], in[2]}, -1);
               },
               {Leaf({2, 3}), Leaf({0}), TransposedLeaf({2, 2})});
  ExpectGradOk("cat of expanded and constant",
               [](const TensorList& in) {
                 return ad::cat(
                     {ad::expand(in[0], {2, 3}), ones({2, 1}, DType::kFloat64)},
                     1);
               },
               {Leaf({1, 3})});
  ExpectGradOk("stack dim 0",
               [](const TensorList& in) {
                 return ad::stack({in[0], in[1]}, 0);
               },
               {Leaf({2, 3}), TransposedLeaf({2, 3})});
  ExpectGradOk("stack dim -1",
               [](const TensorList& in) {
                 return ad::stack({in[0], in[1], in[0]}, -1);
               },
               {Leaf({2, 3}), Leaf({2, 3})});
}

TEST(IndexGrad, CatPromotesAndGivesEachInputItsDtype) {
  Tensor a = requires_grad_(from_vector<float>({1, 2}));
  Tensor b = requires_grad_(from_vector<double>({3}, {1}));
  Tensor out = ad::cat({a, b});
  EXPECT_EQ(out.dtype(), DType::kFloat64);
  backward(out, from_vector<double>({4, 5, 6}));
  EXPECT_EQ(grad_of(a).dtype(), DType::kFloat32);
  EXPECT_TRUE(TensorsClose(grad_of(a), from_vector<float>({4, 5})));
  EXPECT_TRUE(TensorsClose(grad_of(b), from_vector<double>({6}, {1})));
}

TEST(IndexGrad, SplitAndChunk) {
  ExpectGradOkMulti(
      "split size",
      [](const TensorList& in) { return ad::split(in[0], 2, -1); },
      {Leaf({2, 5})});
  ExpectGradOkMulti("split sizes, transposed",
                    [](const TensorList& in) {
                      return ad::split(in[0], {1, 0, 2}, 0);
                    },
                    {TransposedLeaf({3, 2})});
  ExpectGradOkMulti("chunk",
                    [](const TensorList& in) { return ad::chunk(in[0], 3, 1); },
                    {Leaf({2, 7})});
  // Only some pieces used: the others get zero gradient.
  ExpectGradOk("chunk, one piece used",
               [](const TensorList& in) { return ad::chunk(in[0], 2, 0)[1]; },
               {Leaf({4, 2})});
}

TEST(IndexGrad, SplitRecordsOneNodeWithSeveralOutputs) {
  Tensor x = Leaf({6});
  std::vector<Tensor> pieces = ad::split(x, 2);
  ASSERT_EQ(pieces.size(), 3u);
  ASSERT_NE(grad_fn(pieces[0]), nullptr);
  EXPECT_EQ(grad_fn(pieces[0])->name(), "SplitBackward");
  EXPECT_EQ(grad_fn(pieces[0]), grad_fn(pieces[2]));
  EXPECT_EQ(GetMeta(pieces[2])->output_nr, 2u);
  EXPECT_EQ(grad_fn(pieces[0])->output_geometry().size(), 3u);
  // Views still: they share x's storage.
  EXPECT_EQ(pieces[1].storage().data(), x.storage().data());
  backward(pieces[1], from_vector<double>({1, 2}));
  EXPECT_TRUE(
      TensorsClose(grad_of(x), from_vector<double>({0, 0, 1, 2, 0, 0})));
}

TEST(IndexGrad, RepeatAndTriangles) {
  ExpectGradOk("repeat with a leading dim",
               [](const TensorList& in) {
                 return ad::repeat(in[0], {2, 1, 3});
               },
               {Leaf({2, 3})});
  ExpectGradOk("repeat transposed",
               [](const TensorList& in) {
                 return ad::repeat(in[0], {2, 2});
               },
               {TransposedLeaf({2, 3})});
  ExpectGradOk("repeat expanded",
               [](const TensorList& in) {
                 return ad::repeat(ad::expand(in[0], {2, 2}), {1, 2});
               },
               {Leaf({2, 1})});
  ExpectGradOk("tril -1",
               [](const TensorList& in) { return ad::tril(in[0], -1); },
               {Leaf({2, 3, 4})});
  ExpectGradOk("triu 1, transposed",
               [](const TensorList& in) { return ad::triu(in[0], 1); },
               {TransposedLeaf({3, 4})});
}

TEST(IndexGrad, FlipRollPad) {
  ExpectGradOk("flip",
               [](const TensorList& in) {
                 return ad::flip(in[0], {0, -1});
               },
               {TransposedLeaf({3, 4})});
  ExpectGradOk("roll dims",
               [](const TensorList& in) {
                 return ad::roll(in[0], {1, -2}, {0, -1});
               },
               {Leaf({3, 4})});
  ExpectGradOk("roll flattened",
               [](const TensorList& in) { return ad::roll(in[0], {5}); },
               {TransposedLeaf({3, 4})});
  ExpectGradOk("pad and crop",
               [](const TensorList& in) {
                 return ad::pad(in[0], {1, 2, -1, 1}, 0.5);
               },
               {Leaf({3, 4})});
  ExpectGradOk("pad expanded",
               [](const TensorList& in) {
                 return ad::pad(ad::expand(in[0], {2, 3}), {0, 1});
               },
               {Leaf({3})});
}

TEST(IndexGrad, TopkAndSort) {
  auto values = [](std::pair<Tensor, Tensor> r) { return r.first; };
  ExpectGradOk("topk",
               [&](const TensorList& in) { return values(ad::topk(in[0], 2)); },
               {Leaf({3, 5})});
  ExpectGradOk("topk smallest dim 0 unsorted, transposed",
               [&](const TensorList& in) {
                 return values(ad::topk(in[0], 2, 0, /*largest=*/false,
                                        /*sorted=*/false));
               },
               {TransposedLeaf({4, 3})});
  ExpectGradOk("sort",
               [&](const TensorList& in) { return values(ad::sort(in[0])); },
               {Leaf({3, 4})});
  ExpectGradOk(
      "sort descending dim -2, transposed",
      [&](const TensorList& in) { return values(ad::sort(in[0], -2, true)); },
      {TransposedLeaf({3, 4})});
  ExpectGradOk("topk 0-D",
               [&](const TensorList& in) { return values(ad::topk(in[0], 1)); },
               {Leaf({})});
  ExpectGradOk("sort 0-D",
               [&](const TensorList& in) { return values(ad::sort(in[0], 0)); },
               {Leaf({})});
  auto [v, i] = ad::topk(Leaf({4}), 2);
  EXPECT_TRUE(requires_grad(v));
  EXPECT_FALSE(requires_grad(i));
  EXPECT_EQ(i.dtype(), DType::kInt64);
}

// --- PyTorch 1.13 autograd, float32 ------------------------------------------

Tensor G(const std::string& name) {
  return tch::testing::GoldenTensor(kGolden, name);
}

void ExpectMatchesTorch(const std::string& name,
                        const std::vector<std::string>& inputs,
                        const std::function<Tensor(const TensorList&)>& fn) {
  SCOPED_TRACE(name);
  TensorList leaves;
  for (const std::string& in : inputs) {
    leaves.push_back(requires_grad_(G(name + "." + in).clone()));
  }
  Tensor y = fn(leaves);
  EXPECT_TRUE(TensorsClose(y, G(name + ".y")));
  backward(y, G(name + ".gy"));
  for (size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_TRUE(TensorsClose(grad_of(leaves[i]), G(name + ".g" + inputs[i])))
        << "gradient of " << inputs[i];
  }
}

TEST(IndexGrad, MatchesTorch) {
  ExpectMatchesTorch("cat", {"a", "b", "c"},
                     [](const TensorList& in) { return ad::cat(in, -1); });
  ExpectMatchesTorch("stack", {"a", "b", "c"},
                     [](const TensorList& in) { return ad::stack(in, 1); });
  ExpectMatchesTorch("topk_largest", {"x"}, [](const TensorList& in) {
    return ad::topk(in[0], 2, 1).first;
  });
  ExpectMatchesTorch("topk_smallest", {"x"}, [](const TensorList& in) {
    return ad::topk(in[0], 2, 0, /*largest=*/false).first;
  });
  ExpectMatchesTorch("gather", {"x"}, [](const TensorList& in) {
    return ad::gather(in[0], 1, G("gather.index"));
  });
}

}  // namespace
}  // namespace tch::autograd
