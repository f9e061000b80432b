// File: torch/nn/layers_test.cc
//
// Each layer: PyTorch's parameter/buffer names and shapes, its default
// initialization against PyTorch's formula, and its forward against the core
// op it wraps; containers' naming; attention's parameter layout and the
// explicit (dropout) path against the fused one.
#include "torch/nn/layers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "torch/autograd/functions/reduce.h"
#include "torch/autograd/grad_mode.h"
#include "torch/autograd/variable.h"
#include "torch/core/error.h"
#include "torch/core/linalg_ops.h"
#include "torch/core/nn_ops.h"
#include "torch/core/norm_ops.h"
#include "torch/core/ops.h"
#include "torch/core/pointwise_ops.h"
#include "torch/core/random_ops.h"
#include "torch/nn/attention.h"
#include "torch/testing/tensor_matchers.h"

namespace tch::nn {
namespace {

using testing::TensorsClose;
using testing::TensorsEqual;

std::vector<std::string> Names(const NamedTensors& v) {
  std::vector<std::string> out;
  for (const auto& [n, t] : v) out.push_back(n);
  return out;
}

double MaxAbs(const Tensor& t) {
  double m = 0;
  for (double v : t.to(DType::kFloat64).contiguous().ToVector<double>()) {
    m = std::max(m, std::abs(v));
  }
  return m;
}

TEST(LinearTest, ShapesInitAndForward) {
  Generator gen(1);
  Linear fc(400, 300, true, &gen);
  EXPECT_EQ(Names(fc.named_parameters()),
            (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(fc.weight.sizes(), (Shape{300, 400}));
  // kaiming_uniform_(a=sqrt(5)) and the bias both give U(+-1/sqrt(400)).
  const double bound = 1.0 / 20.0;
  EXPECT_LE(MaxAbs(fc.weight), bound);
  EXPECT_GT(MaxAbs(fc.weight), bound * 0.99);
  EXPECT_LE(MaxAbs(fc.bias), bound);
  EXPECT_GT(MaxAbs(fc.bias), bound * 0.9);

  Tensor x = randn({2, 5, 400});
  Tensor expected =
      addmm(fc.bias, x.reshape({10, 400}), fc.weight.t()).view({2, 5, 300});
  EXPECT_TRUE(TensorsClose(fc.forward(x), expected, 1e-5, 1e-6));
  EXPECT_EQ(fc.ToString(),
            "Linear(in_features=400, out_features=300, bias=true)");
  try {
    fc.forward(zeros({32, 100}));
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(),
                 "Linear: expected input with last dimension 400, got [32, "
                 "100]");
  }
  Linear nobias(4, 3, false);
  EXPECT_EQ(Names(nobias.named_parameters()),
            (std::vector<std::string>{"weight"}));
  Tensor y = randn({2, 4});
  EXPECT_TRUE(TensorsClose(nobias.forward(y), matmul(y, nobias.weight.t())));
}

TEST(Conv2dTest, ShapesInitAndForward) {
  Conv2d conv(Conv2dOptions{.in_channels = 4,
                            .out_channels = 6,
                            .kernel_size = {3, 5},
                            .stride = {2},
                            .padding = {1, 2},
                            .groups = 2});
  EXPECT_EQ(conv.weight.sizes(), (Shape{6, 2, 3, 5}));
  EXPECT_EQ(conv.bias.sizes(), (Shape{6}));
  const double bound = 1.0 / std::sqrt(2.0 * 3 * 5);  // fan_in per group
  EXPECT_LE(MaxAbs(conv.weight), bound);
  EXPECT_LE(MaxAbs(conv.bias), bound);
  Tensor x = randn({2, 4, 9, 11});
  EXPECT_TRUE(TensorsClose(
      conv.forward(x),
      conv2d(x, conv.weight, conv.bias, {2}, {1, 2}, {1}, /*groups=*/2)));
  // Unbatched input.
  EXPECT_TRUE(TensorsClose(conv.forward(x.select(0, 1)),
                           conv.forward(x).select(0, 1), 1e-5, 1e-6));
  Conv2d same(Conv2dOptions{.in_channels = 4,
                            .out_channels = 2,
                            .kernel_size = {3},
                            .padding_str = "same",
                            .bias = false});
  EXPECT_EQ(Names(same.named_parameters()),
            (std::vector<std::string>{"weight"}));
  EXPECT_EQ(same.forward(x).sizes(), (Shape{2, 2, 9, 11}));
  EXPECT_THROW(
      Conv2d(Conv2dOptions{.in_channels = 3, .out_channels = 4, .groups = 2}),
      ValueError);
  EXPECT_THROW(conv.forward(randn({2, 3, 9, 9})), ValueError);
}

TEST(PoolTest, MatchCoreOps) {
  Tensor x = randn({2, 3, 9, 8});
  EXPECT_TRUE(TensorsEqual(MaxPool2d({3}, {2}, {1}).forward(x),
                           max_pool2d(x, {3}, {2}, {1})));
  EXPECT_TRUE(TensorsEqual(MaxPool2d({2}).forward(x), max_pool2d(x, {2})));
  EXPECT_TRUE(TensorsEqual(AvgPool2d({2, 3}, {}, {1}, true, false).forward(x),
                           avg_pool2d(x, {2, 3}, {}, {1}, true, false)));
  EXPECT_TRUE(TensorsEqual(AdaptiveAvgPool2d({1}).forward(x),
                           adaptive_avg_pool2d(x, {1, 1})));
  EXPECT_THROW(MaxPool2d({0}), ValueError);
}

TEST(BatchNormTest, NamesTrainingAndEval) {
  BatchNorm2d bn(3, {.momentum = 0.2});
  EXPECT_EQ(Names(bn.named_parameters()),
            (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(Names(bn.named_buffers()),
            (std::vector<std::string>{"running_mean", "running_var",
                                      "num_batches_tracked"}));
  EXPECT_EQ(bn.num_batches_tracked.dtype(), DType::kInt64);
  {
    autograd::NoGradGuard no_grad;
    bn.weight.copy_(from_vector<float>({1.0f, 2.0f, 0.5f}, {3}));
    bn.bias.copy_(from_vector<float>({0.0f, -1.0f, 1.0f}, {3}));
  }
  Tensor x = randn({4, 3, 5, 5});
  Tensor rm = zeros({3}), rv = ones({3});
  Tensor expected =
      batch_norm(x, rm, rv, bn.weight, bn.bias, true, 0.2, 1e-5).output;
  EXPECT_TRUE(TensorsClose(bn.forward(x), expected));
  EXPECT_TRUE(TensorsClose(bn.running_mean, rm));
  EXPECT_TRUE(TensorsClose(bn.running_var, rv));
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 1);
  bn.eval();
  Tensor y = randn({2, 3, 4, 4});
  EXPECT_TRUE(TensorsClose(
      bn.forward(y),
      batch_norm(y, rm, rv, bn.weight, bn.bias, false, 0.2, 1e-5).output));
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 1);
  EXPECT_TRUE(TensorsClose(bn.running_mean, rm));  // unchanged in eval

  BatchNorm1d plain(4, {.affine = false, .track_running_stats = false});
  EXPECT_TRUE(plain.named_parameters().empty());
  EXPECT_TRUE(plain.named_buffers().empty());
  plain.eval();  // no running stats: batch statistics even in eval
  Tensor z = randn({8, 4});
  EXPECT_TRUE(TensorsClose(
      plain.forward(z),
      batch_norm(z, Tensor(), Tensor(), Tensor(), Tensor(), true).output));
  EXPECT_THROW(plain.forward(randn({2, 4, 3, 3})), ValueError);
  EXPECT_THROW(bn.forward(randn({2, 5, 3, 3})), ValueError);
}

TEST(NormTest, LayerNormAndGroupNorm) {
  LayerNorm ln({4, 5}, 1e-6);
  EXPECT_EQ(ln.weight.sizes(), (Shape{4, 5}));
  EXPECT_EQ(ln.weight.ToVector<float>(), std::vector<float>(20, 1.0f));
  EXPECT_EQ(ln.bias.ToVector<float>(), std::vector<float>(20, 0.0f));
  {
    autograd::NoGradGuard no_grad;
    normal_(ln.weight);
    normal_(ln.bias);
  }
  Tensor x = randn({3, 4, 5});
  EXPECT_TRUE(TensorsEqual(
      ln.forward(x), layer_norm(x, {4, 5}, ln.weight, ln.bias, 1e-6).output));
  GroupNorm gn(2, 6);
  Tensor y = randn({2, 6, 3, 3});
  EXPECT_TRUE(
      TensorsEqual(gn.forward(y), group_norm(y, 2, gn.weight, gn.bias).output));
  EXPECT_TRUE(GroupNorm(3, 6, 1e-5, false).named_parameters().empty());
  EXPECT_THROW(GroupNorm(4, 6), ValueError);
}

TEST(DropoutTest, GeneratorTrainingAndEval) {
  Generator g1(5), g2(5);
  Dropout drop(0.3, &g1);
  Tensor x = randn({100, 10});
  Tensor expected = dropout(x, 0.3, true, &g2).output;
  EXPECT_TRUE(TensorsEqual(drop.forward(x), expected));
  drop.eval();
  EXPECT_TRUE(drop.forward(x).SameImpl(x));
  EXPECT_THROW(Dropout(1.5), ValueError);
}

TEST(EmbeddingTest, InitPaddingAndForward) {
  Embedding emb(1000, 64, /*padding_idx=*/-1);
  EXPECT_EQ(*emb.padding_idx, 999);
  std::vector<float> w = emb.weight.ToVector<float>();
  double mean = 0, sq = 0;
  for (int64_t i = 0; i < 999 * 64; ++i) {
    mean += w[i];
    sq += w[i] * w[i];
  }
  mean /= 999 * 64;
  EXPECT_NEAR(mean, 0.0, 0.03);
  EXPECT_NEAR(std::sqrt(sq / (999 * 64) - mean * mean), 1.0, 0.02);
  for (int64_t j = 0; j < 64; ++j) EXPECT_EQ(w[999 * 64 + j], 0.0f);

  Tensor ids = from_vector<int64_t>({3, 999, 3, 7}, {2, 2});
  Tensor out = emb.forward(ids);
  EXPECT_EQ(out.sizes(), (Shape{2, 2, 64}));
  EXPECT_TRUE(TensorsEqual(out, embedding(emb.weight, ids, 999)));
  autograd::backward(ad::sum(out));
  Tensor g = autograd::grad_of(emb.weight);
  EXPECT_EQ(g.select(0, 3).ToVector<float>(), std::vector<float>(64, 2.0f));
  EXPECT_EQ(g.select(0, 999).ToVector<float>(), std::vector<float>(64, 0.0f));
}

TEST(ActivationTest, MatchCoreOps) {
  Tensor x = randn({3, 7});
  EXPECT_TRUE(TensorsEqual(ReLU().forward(x), relu(x)));
  EXPECT_TRUE(TensorsEqual(GELU().forward(x), gelu(x)));
  EXPECT_TRUE(
      TensorsEqual(GELU("tanh").forward(x), gelu(x, GeluApproximate::kTanh)));
  EXPECT_TRUE(TensorsEqual(SiLU().forward(x), silu(x)));
  EXPECT_TRUE(TensorsEqual(Tanh().forward(x), tanh(x)));
  EXPECT_TRUE(TensorsEqual(Sigmoid().forward(x), sigmoid(x)));
  EXPECT_TRUE(TensorsEqual(Softmax(0).forward(x), softmax(x, 0)));
  EXPECT_TRUE(TensorsEqual(Identity().forward(x), x));
  EXPECT_EQ(Flatten().forward(randn({2, 3, 4})).sizes(), (Shape{2, 12}));
  EXPECT_EQ(Flatten(0, 1).forward(randn({2, 3, 4})).sizes(), (Shape{6, 4}));
  EXPECT_THROW(GELU("fast"), ValueError);
}

TEST(ContainerTest, SequentialModuleListResidual) {
  auto seq = std::make_shared<Sequential>(std::vector<ModulePtr>{
      std::make_shared<Linear>(4, 8), std::make_shared<ReLU>()});
  seq->push_back(std::make_shared<Linear>(8, 2));
  EXPECT_EQ(
      Names(seq->named_parameters()),
      (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  EXPECT_EQ(seq->size(), 3u);
  EXPECT_EQ((*seq)[1]->type_name(), "ReLU");
  EXPECT_THROW((*seq)[3], IndexError);
  Tensor x = randn({5, 4});
  Tensor expected = (*seq)[2]->forward(relu((*seq)[0]->forward(x)));
  EXPECT_TRUE(TensorsEqual(seq->forward(x), expected));
  EXPECT_EQ(seq->ToString(),
            "Sequential(\n"
            "  (0): Linear(in_features=4, out_features=8, bias=true)\n"
            "  (1): ReLU()\n"
            "  (2): Linear(in_features=8, out_features=2, bias=true)\n"
            ")");

  ModuleList list({std::make_shared<Linear>(2, 2), std::make_shared<Tanh>()});
  list.push_back(std::make_shared<LayerNorm>(std::vector<int64_t>{2}));
  EXPECT_EQ(
      Names(list.named_parameters()),
      (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  EXPECT_THROW(list.forward(x), NotImplementedError);

  auto inner = std::make_shared<Linear>(4, 4);
  Residual res(inner);
  EXPECT_EQ(Names(res.named_parameters()),
            (std::vector<std::string>{"fn.weight", "fn.bias"}));
  EXPECT_TRUE(TensorsEqual(res.forward(x), add(x, inner->forward(x))));
}

TEST(AttentionTest, ParameterLayoutAndInit) {
  MultiheadAttention mha(32, 4);
  EXPECT_EQ(Names(mha.named_parameters()),
            (std::vector<std::string>{"in_proj_weight", "in_proj_bias",
                                      "out_proj.weight", "out_proj.bias"}));
  EXPECT_EQ(mha.in_proj_weight.sizes(), (Shape{96, 32}));
  EXPECT_LE(MaxAbs(mha.in_proj_weight), std::sqrt(6.0 / (96 + 32)));
  EXPECT_EQ(MaxAbs(mha.in_proj_bias), 0.0);
  EXPECT_EQ(MaxAbs(mha.out_proj->bias), 0.0);
  EXPECT_LE(MaxAbs(mha.out_proj->weight), 1.0 / std::sqrt(32.0));
  EXPECT_THROW(MultiheadAttention(30, 4), ValueError);
  EXPECT_THROW(mha.forward(randn({2, 5, 16})), ValueError);
  EXPECT_THROW(mha.forward(randn({2, 5, 32}), randn({2, 5, 32}),
                           randn({2, 5, 32}), zeros({2, 4}, DType::kBool)),
               ValueError);
}

TEST(AttentionTest, DropoutPathMatchesFusedPath) {
  // With a negligible dropout probability the explicit matmul/softmax path
  // (used for attention dropout in training) must equal the fused op, with
  // every kind of mask.
  MultiheadAttention mha(16, 2, /*dropout=*/1e-12);
  Tensor x = randn({3, 6, 16});
  Tensor kpm = zeros({3, 6}, DType::kBool);
  kpm.select(0, 1).narrow(0, 4, 2).fill_(true);
  Tensor am = randn({6, 6});
  for (bool causal : {false, true}) {
    for (bool with_kpm : {false, true}) {
      for (bool with_am : {false, true}) {
        SCOPED_TRACE(::testing::Message() << causal << with_kpm << with_am);
        mha.train();
        Tensor a = mha.forward(x, x, x, with_kpm ? kpm : Tensor(),
                               with_am ? am : Tensor(), causal);
        mha.eval();
        Tensor b = mha.forward(x, x, x, with_kpm ? kpm : Tensor(),
                               with_am ? am : Tensor(), causal);
        EXPECT_TRUE(TensorsClose(a, b, 1e-5, 1e-6));
      }
    }
  }
  // Real dropout changes the output, reproducibly under a seeded generator.
  Generator g1(3), g2(3);
  MultiheadAttention d1(16, 2, 0.5, true, &g1);
  MultiheadAttention d2(16, 2, 0.5, true, &g2);
  Tensor y1 = d1.forward(x), y2 = d2.forward(x);
  EXPECT_TRUE(TensorsEqual(y1, y2));
  d1.eval();
  EXPECT_FALSE(TensorsClose(y1, d1.forward(x)));
}

TEST(TransformerBlockTest, NamesAndResidualStructure) {
  TransformerBlock block({.d_model = 8, .n_heads = 2, .mlp_ratio = 2});
  EXPECT_EQ(Names(block.named_parameters()),
            (std::vector<std::string>{
                "ln1.weight", "ln1.bias", "attn.in_proj_weight",
                "attn.in_proj_bias", "attn.out_proj.weight",
                "attn.out_proj.bias", "ln2.weight", "ln2.bias", "mlp.0.weight",
                "mlp.0.bias", "mlp.2.weight", "mlp.2.bias"}));
  EXPECT_EQ(block.mlp->named_parameters()[0].second.sizes(), (Shape{16, 8}));
  // Causal: the output at position t depends only on inputs <= t.
  Tensor x = randn({1, 5, 8});
  Tensor y = block.forward(x);
  Tensor x2 = x.clone();
  x2.narrow(1, 3, 2).fill_(7.0);
  Tensor y2 = block.forward(x2);
  EXPECT_TRUE(TensorsClose(y.narrow(1, 0, 3), y2.narrow(1, 0, 3), 1e-5, 1e-6));
  EXPECT_FALSE(TensorsClose(y.narrow(1, 3, 2), y2.narrow(1, 3, 2)));
}

}  // namespace
}  // namespace tch::nn
