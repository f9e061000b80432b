// Derivatives of softmax, normalization, losses and attention (norm.h):
// finite-difference checks (float64) of every entry over option combinations
// and non-contiguous inputs, and float32 gradients against PyTorch 1.13's
// autograd (tests/golden/autograd_nn_golden.py).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "torch/autograd/functions/grad_test_util.h"
#include "torch/autograd/functions/nn.h"
#include "torch/autograd/functions/norm.h"
#include "torch/autograd/functions/shape.h"
#include "torch/autograd/grad_mode.h"
#include "torch/autograd/gradcheck.h"
#include "torch/autograd/variable.h"
#include "torch/core/error.h"
#include "torch/core/generator.h"
#include "torch/core/ops.h"
#include "torch/core/random_ops.h"
#include "torch/testing/tensor_matchers.h"

namespace tch {
namespace {

using autograd::grad_test::ErrorOf;
using autograd::grad_test::ExpectGradOk;

using autograd::grad_of;
using autograd::requires_grad;
using autograd::requires_grad_;
using autograd::TensorList;
using testing::GoldenTensor;
using ::testing::HasSubstr;
using testing::TensorsClose;

constexpr char kGolden[] = "tests/golden/autograd_nn.safetensors";
constexpr Reduction kReductions[] = {Reduction::kNone, Reduction::kMean,
                                     Reduction::kSum};

std::string Name(Reduction r) {
  return r == Reduction::kNone   ? "none"
         : r == Reduction::kMean ? "mean"
                                 : "sum";
}

class NormGradTest : public ::testing::Test {
 protected:
  Tensor Randn(IntList sizes) { return randn(sizes, DType::kFloat64, &gen_); }
  // A float64 leaf of standard normal values.
  Tensor Leaf(IntList sizes) { return requires_grad_(Randn(sizes)); }
  // A float64 leaf of the given sizes whose last two dims are stored
  // transposed (not contiguous).
  Tensor StridedLeaf(IntList sizes) {
    Shape stored = sizes.ToShape();
    std::swap(stored[stored.size() - 1], stored[stored.size() - 2]);
    Tensor t = Randn(stored).transpose(-1, -2);
    EXPECT_FALSE(t.is_contiguous());
    return requires_grad_(t);
  }
  // A float64 leaf of values in [lo, hi).
  Tensor UniformLeaf(IntList sizes, double lo, double hi) {
    return requires_grad_(
        tch::add(tch::mul(rand(sizes, DType::kFloat64, &gen_), hi - lo), lo));
  }

  Generator gen_{/*seed=*/11};
};

// --- softmax
// -------------------------------------------------------------------

TEST_F(NormGradTest, SoftmaxAndLogSoftmax) {
  for (int64_t dim : {0, 1, -1}) {
    const std::string d = " dim " + std::to_string(dim);
    ExpectGradOk(
        "softmax" + d,
        [dim](const TensorList& in) { return ad::softmax(in[0], dim); },
        {StridedLeaf({3, 4, 2})});
    ExpectGradOk(
        "log_softmax" + d,
        [dim](const TensorList& in) { return ad::log_softmax(in[0], dim); },
        {StridedLeaf({3, 4, 2})});
  }
  ExpectGradOk("softmax 0-D",
               [](const TensorList& in) { return ad::softmax(in[0], 0); },
               {Leaf({})});
  ExpectGradOk("log_softmax dtype float64 (no-op conversion)",
               [](const TensorList& in) {
                 return ad::log_softmax(in[0], 1, DType::kFloat64);
               },
               {Leaf({2, 5})});
}

TEST_F(NormGradTest, SoftmaxDtypeOptionGivesInputDtypeGradient) {
  // float32 input computed in float64: the gradient is the float64 one,
  // converted back to float32.
  Tensor x64 = Randn({3, 4});
  Tensor gy = Randn({3, 4});
  for (bool log : {false, true}) {
    Tensor x32 = requires_grad_(x64.to(DType::kFloat32));
    Tensor ref = requires_grad_(x32.to(DType::kFloat64));
    Tensor y = log ? ad::log_softmax(x32, 1, DType::kFloat64)
                   : ad::softmax(x32, 1, DType::kFloat64);
    Tensor y_ref = log ? ad::log_softmax(ref, 1) : ad::softmax(ref, 1);
    EXPECT_EQ(y.dtype(), DType::kFloat64);
    autograd::backward(y, gy);
    autograd::backward(y_ref, gy);
    EXPECT_EQ(grad_of(x32).dtype(), DType::kFloat32);
    EXPECT_TRUE(TensorsClose(grad_of(x32), grad_of(ref).to(DType::kFloat32),
                             1e-6, 1e-7))
        << (log ? "log_softmax" : "softmax");
  }
}

// --- layer / batch / group norm
// ----------------------------------------------------

TEST_F(NormGradTest, LayerNorm) {
  ExpectGradOk("layer_norm [4] with weight and bias, strided",
               [](const TensorList& in) {
                 return ad::layer_norm(in[0], {4}, in[1], in[2], 1e-5);
               },
               {StridedLeaf({3, 2, 4}), Leaf({4}), Leaf({4})});
  ExpectGradOk("layer_norm [2, 3] without affine",
               [](const TensorList& in) {
                 return ad::layer_norm(in[0], {2, 3});
               },
               {Leaf({2, 2, 3})});
  ExpectGradOk("layer_norm weight only, eps 0.1",
               [](const TensorList& in) {
                 return ad::layer_norm(in[0], {5}, in[1], Tensor(), 0.1);
               },
               {Leaf({3, 5}), Leaf({5})});
}

TEST_F(NormGradTest, BatchNormTraining) {
  Tensor rm = zeros({3}, DType::kFloat64), rv = ones({3}, DType::kFloat64);
  ExpectGradOk("batch_norm train [N, C, H, W] with running stats, strided",
               [&](const TensorList& in) {
                 return ad::batch_norm(in[0], rm, rv, in[1], in[2],
                                       /*training=*/true, 0.1, 1e-5);
               },
               {StridedLeaf({3, 3, 2, 2}), Leaf({3}), Leaf({3})});
  ExpectGradOk("batch_norm train [N, C] without running stats or affine",
               [](const TensorList& in) {
                 return ad::batch_norm(in[0], Tensor(), Tensor(), Tensor(),
                                       Tensor(), true);
               },
               {Leaf({4, 3})});
  ExpectGradOk("batch_norm train [N, C, L], weight only, eps 0.01",
               [](const TensorList& in) {
                 return ad::batch_norm(in[0], Tensor(), Tensor(), in[1],
                                       Tensor(), true, 0.1, 0.01);
               },
               {Leaf({2, 2, 3}), Leaf({2})});
}

TEST_F(NormGradTest, BatchNormEval) {
  Tensor rm = Randn({3});
  Tensor rv = tch::add(rand({3}, DType::kFloat64, &gen_), 0.5);
  ExpectGradOk("batch_norm eval uses the running stats",
               [&](const TensorList& in) {
                 return ad::batch_norm(in[0], rm, rv, in[1], in[2],
                                       /*training=*/false);
               },
               {StridedLeaf({2, 3, 2, 2}), Leaf({3}), Leaf({3})});
}

TEST_F(NormGradTest, BatchNormUpdatesRunningStatsLikeCore) {
  Tensor x = Leaf({4, 2, 3});
  Tensor rm = Randn({2}), rv = ones({2}, DType::kFloat64);
  Tensor rm_core = rm.clone(), rv_core = rv.clone();
  Tensor y = ad::batch_norm(x, rm, rv, Tensor(), Tensor(), true, 0.3, 1e-5);
  BatchNormResult r =
      batch_norm(x, rm_core, rv_core, Tensor(), Tensor(), true, 0.3, 1e-5);
  EXPECT_TRUE(testing::TensorsEqual(y, r.output));
  EXPECT_TRUE(testing::TensorsEqual(rm, rm_core));
  EXPECT_TRUE(testing::TensorsEqual(rv, rv_core));
  EXPECT_FALSE(requires_grad(rm));
  EXPECT_FALSE(requires_grad(rv));
  autograd::backward(y, ones_like(y));  // the running stats played no part
  EXPECT_FALSE(grad_of(rm).defined());
}

TEST_F(NormGradTest, BatchNormEvalSeesRunningStatsChangedInPlace) {
  Tensor x = Leaf({4, 2});
  Tensor rm = zeros({2}, DType::kFloat64), rv = ones({2}, DType::kFloat64);
  Tensor y = ad::batch_norm(x, rm, rv, Tensor(), Tensor(), /*training=*/false);
  // A training step on the same buffers updates them in place.
  ad::batch_norm(x, rm, rv, Tensor(), Tensor(), /*training=*/true);
  EXPECT_THAT(ErrorOf([&] { autograd::backward(y, ones_like(y)); }),
              HasSubstr("modified by an inplace operation"));
}

TEST_F(NormGradTest, GroupNorm) {
  ExpectGradOk("group_norm 2 groups of 2 channels with affine, strided",
               [](const TensorList& in) {
                 return ad::group_norm(in[0], 2, in[1], in[2], 1e-5);
               },
               {StridedLeaf({2, 4, 2, 3}), Leaf({4}), Leaf({4})});
  ExpectGradOk("group_norm 1 group, no affine, [N, C]",
               [](const TensorList& in) { return ad::group_norm(in[0], 1); },
               {Leaf({2, 3})});
  ExpectGradOk("group_norm 3 groups (one channel each), bias only",
               [](const TensorList& in) {
                 return ad::group_norm(in[0], 3, Tensor(), in[1]);
               },
               {Leaf({2, 3, 4}), Leaf({3})});
}

// --- classification losses
// ---------------------------------------------------------

TEST_F(NormGradTest, CrossEntropyClassIds) {
  Tensor t = from_vector<int64_t>({1, 0, 3, 3, 2});
  Tensor cw = tch::add(rand({4}, DType::kFloat64, &gen_), 0.5);
  for (Reduction r : kReductions) {
    for (double smoothing : {0.0, 0.15}) {
      for (bool weighted : {false, true}) {
        ClassLossOptions o;
        o.reduction = r;
        o.label_smoothing = smoothing;
        o.weight = weighted ? cw : Tensor();
        o.ignore_index = 3;  // occurs twice in t
        ExpectGradOk("cross_entropy " + Name(r) + " smoothing " +
                         std::to_string(smoothing) +
                         (weighted ? " weighted" : ""),
                     [&](const TensorList& in) {
                       return ad::cross_entropy(in[0], t, o);
                     },
                     {StridedLeaf({5, 4})});
      }
    }
  }
}

TEST_F(NormGradTest, CrossEntropyShapes) {
  ClassLossOptions o;
  o.label_smoothing = 0.1;
  ExpectGradOk("cross_entropy 1-D input, 0-D target",
               [&](const TensorList& in) {
                 return ad::cross_entropy(in[0],
                                          scalar_tensor(2, DType::kInt64), o);
               },
               {Leaf({4})});
  Tensor t = from_vector<int64_t>({0, 2, 1, 1, 2, 0}, {2, 3});
  o.reduction = Reduction::kNone;
  ExpectGradOk(
      "cross_entropy [N, C, d] kNone",
      [&](const TensorList& in) { return ad::cross_entropy(in[0], t, o); },
      {StridedLeaf({2, 3, 3})});
}

TEST_F(NormGradTest, CrossEntropyProbabilityTargets) {
  for (Reduction r : kReductions) {
    ClassLossOptions o;
    o.reduction = r;
    o.label_smoothing = 0.2;
    o.weight = tch::add(rand({3}, DType::kFloat64, &gen_), 0.5);
    // Input and target both differentiable; [N, C, d] input.
    ExpectGradOk("cross_entropy probabilities " + Name(r),
                 [&](const TensorList& in) {
                   return ad::cross_entropy(in[0], in[1], o);
                 },
                 {Leaf({2, 3, 2}), UniformLeaf({2, 3, 2}, 0.0, 1.0)});
  }
  ExpectGradOk(
      "cross_entropy probabilities, 1-D input",
      [](const TensorList& in) { return ad::cross_entropy(in[0], in[1]); },
      {Leaf({5}), UniformLeaf({5}, 0.0, 1.0)});
}

TEST_F(NormGradTest, NllLoss) {
  Tensor t = from_vector<int64_t>({1, 0, 2, 2});
  Tensor cw = tch::add(rand({3}, DType::kFloat64, &gen_), 0.5);
  for (Reduction r : kReductions) {
    for (int64_t ignore : {-100, 2}) {
      ClassLossOptions o;
      o.reduction = r;
      o.weight = cw;
      o.ignore_index = ignore;
      ExpectGradOk(
          "nll_loss " + Name(r) + " ignore " + std::to_string(ignore),
          [&](const TensorList& in) { return ad::nll_loss(in[0], t, o); },
          {StridedLeaf({4, 3})});
    }
  }
  Tensor t3 = from_vector<int64_t>({0, 2, 1, 1}, {2, 2});
  ExpectGradOk("nll_loss [N, C, d]",
               [&](const TensorList& in) { return ad::nll_loss(in[0], t3); },
               {Leaf({2, 3, 2})});
}

TEST_F(NormGradTest, ClassLossWeightIsNotDifferentiable) {
  Tensor x = Leaf({2, 3});
  ClassLossOptions o;
  o.weight = Leaf({3});
  Tensor t = from_vector<int64_t>({0, 2});
  Tensor loss = ad::cross_entropy(x, t, o);
  try {
    autograd::backward(loss);
    ADD_FAILURE() << "expected NotImplementedError";
  } catch (const NotImplementedError& e) {
    EXPECT_THAT(e.what(), HasSubstr("derivative for 'weight'"));
  }
  // Only the input requiring grad: fine.
  o.weight = ad::detach(o.weight);
  autograd::backward(ad::nll_loss(x, t, o));
  EXPECT_TRUE(grad_of(x).defined());
}

// --- regression losses
// ---------------------------------------------------------------

TEST_F(NormGradTest, PointwiseLosses) {
  using LossFn = std::function<Tensor(const Tensor&, const Tensor&, Reduction)>;
  const std::pair<const char*, LossFn> losses[] = {
      {"mse_loss",
       [](auto x, auto t, auto r) { return ad::mse_loss(x, t, r); }},
      {"l1_loss", [](auto x, auto t, auto r) { return ad::l1_loss(x, t, r); }},
      {"smooth_l1_loss beta 1",
       [](auto x, auto t, auto r) { return ad::smooth_l1_loss(x, t, r); }},
      {"smooth_l1_loss beta 0.5",
       [](auto x, auto t, auto r) { return ad::smooth_l1_loss(x, t, r, 0.5); }},
      {"smooth_l1_loss beta 0",
       [](auto x, auto t, auto r) { return ad::smooth_l1_loss(x, t, r, 0.0); }},
  };
  for (const auto& entry : losses) {
    // Not a structured binding: clang 14 cannot capture those in lambdas.
    const auto& name = entry.first;
    const auto& loss = entry.second;
    for (Reduction r : kReductions) {
      ExpectGradOk(std::string(name) + " " + Name(r) + ", strided input",
                   [&](const TensorList& in) { return loss(in[0], in[1], r); },
                   {StridedLeaf({3, 4}), Leaf({3, 4})});
      // The target broadcasts ([4] against [3, 4]); its gradient is summed.
      ExpectGradOk(std::string(name) + " " + Name(r) + ", broadcast target",
                   [&](const TensorList& in) { return loss(in[0], in[1], r); },
                   {Leaf({3, 4}), Leaf({4})});
    }
  }
}

TEST_F(NormGradTest, BinaryCrossEntropyWithLogits) {
  for (Reduction r : kReductions) {
    ExpectGradOk("bce_with_logits " + Name(r) + " input and target",
                 [&](const TensorList& in) {
                   return ad::binary_cross_entropy_with_logits(
                       in[0], in[1], Tensor(), Tensor(), r);
                 },
                 {StridedLeaf({3, 4}), UniformLeaf({3, 4}, 0.0, 1.0)});
    ExpectGradOk("bce_with_logits " + Name(r) + " with weight and pos_weight",
                 [&](const TensorList& in) {
                   return ad::binary_cross_entropy_with_logits(in[0], in[1],
                                                               in[2], in[3], r);
                 },
                 {Leaf({3, 4}), UniformLeaf({3, 4}, 0.0, 1.0),
                  UniformLeaf({3, 1}, 0.5, 2.0), UniformLeaf({4}, 0.5, 3.0)});
  }
  ExpectGradOk("bce_with_logits large logits stay finite",
               [](const TensorList& in) {
                 return ad::binary_cross_entropy_with_logits(
                     in[0], in[1], Tensor(), in[2], Reduction::kSum);
               },
               {requires_grad_(from_vector<double>({-40, -3, 0.5, 35})),
                UniformLeaf({4}, 0.0, 1.0), UniformLeaf({4}, 0.5, 2.0)});
}

// --- attention
// ---------------------------------------------------------------------------

TEST_F(NormGradTest, AttentionPlainAndScaled) {
  ExpectGradOk("sdpa [B, L, E], L != S, strided query",
               [](const TensorList& in) {
                 return ad::scaled_dot_product_attention(in[0], in[1], in[2]);
               },
               {StridedLeaf({2, 3, 4}), Leaf({2, 5, 4}), Leaf({2, 5, 3})});
  ExpectGradOk(
      "sdpa 2 batch dims, scale 0.3, strided value",
      [](const TensorList& in) {
        return ad::scaled_dot_product_attention(in[0], in[1], in[2], Tensor(),
                                                0.0, false, 0.3);
      },
      {Leaf({2, 1, 2, 3}), Leaf({2, 1, 3, 3}), StridedLeaf({2, 1, 3, 2})});
}

TEST_F(NormGradTest, AttentionCausal) {
  for (int64_t s : {3, 5}) {  // square and wide (top-left aligned)
    ExpectGradOk("sdpa causal, S = " + std::to_string(s),
                 [](const TensorList& in) {
                   return ad::scaled_dot_product_attention(in[0], in[1], in[2],
                                                           Tensor(), 0.0,
                                                           /*is_causal=*/true);
                 },
                 {Leaf({2, 3, 4}), StridedLeaf({2, s, 4}), Leaf({2, s, 2})});
  }
}

TEST_F(NormGradTest, AttentionMasks) {
  // Bool mask [L, S] broadcast over the batch; every row keeps a position.
  Tensor keep = from_vector<bool>(
      {true, false, true, true, false, true, false, true, true}, {3, 3});
  ExpectGradOk("sdpa bool mask",
               [&](const TensorList& in) {
                 return ad::scaled_dot_product_attention(in[0], in[1], in[2],
                                                         keep);
               },
               {Leaf({2, 3, 4}), Leaf({2, 3, 4}), Leaf({2, 3, 2})});
  ExpectGradOk(
      "sdpa float mask [1, L, S] differentiable",
      [](const TensorList& in) {
        return ad::scaled_dot_product_attention(in[0], in[1], in[2], in[3]);
      },
      {Leaf({2, 3, 4}), Leaf({2, 4, 4}), Leaf({2, 4, 2}), Leaf({1, 3, 4})});
  ExpectGradOk(
      "sdpa float mask [S] broadcast, only the mask requires grad",
      [](const TensorList& in) {
        return ad::scaled_dot_product_attention(in[0], in[1], in[2], in[3]);
      },
      {Randn({2, 3, 4}), Randn({2, 4, 4}), Randn({2, 4, 2}), Leaf({4})});
  EXPECT_THAT(ErrorOf([&] {
                Tensor q = Leaf({1, 2, 2});
                ad::scaled_dot_product_attention(q, q, q, Tensor(), 0.1);
              }),
              HasSubstr("dropout_p"));
}

// --- PyTorch 1.13 golden gradients (float32)
// -------------------------------------

Tensor G(const std::string& name) { return GoldenTensor(kGolden, name); }

// The golden tensor `name` as a fresh float32 leaf requiring grad.
Tensor GLeaf(const std::string& name) {
  return requires_grad_(G(name).clone());
}

TEST(NormGolden, BatchNormTrainingAndRunningStats) {
  Tensor x = GLeaf("batch_norm.x"), w = GLeaf("batch_norm.w"),
         b = GLeaf("batch_norm.b");
  Tensor rm = G("batch_norm.rm0").clone(), rv = G("batch_norm.rv0").clone();
  Tensor y = ad::batch_norm(x, rm, rv, w, b, /*training=*/true, 0.2, 1e-4);
  EXPECT_TRUE(TensorsClose(y, G("batch_norm.y"), 1e-5, 1e-5));
  EXPECT_TRUE(TensorsClose(rm, G("batch_norm.rm"), 1e-5, 1e-6));
  EXPECT_TRUE(TensorsClose(rv, G("batch_norm.rv"), 1e-5, 1e-6));
  autograd::backward(y, G("batch_norm.gy"));
  EXPECT_TRUE(TensorsClose(grad_of(x), G("batch_norm.gx"), 1e-4, 1e-5));
  EXPECT_TRUE(TensorsClose(grad_of(w), G("batch_norm.gw"), 1e-4, 1e-5));
  EXPECT_TRUE(TensorsClose(grad_of(b), G("batch_norm.gb"), 1e-4, 1e-5));
}

TEST(NormGolden, LayerNorm) {
  Tensor x = GLeaf("layer_norm.x"), w = GLeaf("layer_norm.w"),
         b = GLeaf("layer_norm.b");
  Tensor y = ad::layer_norm(x, {4, 5}, w, b, 1e-5);
  EXPECT_TRUE(TensorsClose(y, G("layer_norm.y"), 1e-5, 1e-5));
  autograd::backward(y, G("layer_norm.gy"));
  EXPECT_TRUE(TensorsClose(grad_of(x), G("layer_norm.gx"), 1e-4, 1e-5));
  EXPECT_TRUE(TensorsClose(grad_of(w), G("layer_norm.gw"), 1e-4, 1e-5));
  EXPECT_TRUE(TensorsClose(grad_of(b), G("layer_norm.gb"), 1e-4, 1e-5));
}

TEST(NormGolden, CrossEntropyLabelSmoothing) {
  Tensor x = GLeaf("cross_entropy.x");
  ClassLossOptions o;
  o.weight = G("cross_entropy.cw");
  o.ignore_index = 2;
  o.label_smoothing = 0.1;
  Tensor y = ad::cross_entropy(x, G("cross_entropy.t"), o);
  EXPECT_TRUE(TensorsClose(y, G("cross_entropy.y"), 1e-5, 1e-6));
  autograd::backward(y);
  EXPECT_TRUE(TensorsClose(grad_of(x), G("cross_entropy.gx"), 1e-4, 1e-6));
}

TEST(NormGolden, CrossEntropyProbabilities) {
  Tensor x = GLeaf("cross_entropy_prob.x"), t = GLeaf("cross_entropy_prob.t");
  ClassLossOptions o;
  o.reduction = Reduction::kSum;
  o.label_smoothing = 0.2;
  Tensor y = ad::cross_entropy(x, t, o);
  EXPECT_TRUE(TensorsClose(y, G("cross_entropy_prob.y"), 1e-5, 1e-6));
  autograd::backward(y);
  EXPECT_TRUE(TensorsClose(grad_of(x), G("cross_entropy_prob.gx"), 1e-4, 1e-6));
  EXPECT_TRUE(TensorsClose(grad_of(t), G("cross_entropy_prob.gt"), 1e-4, 1e-6));
}

TEST(NormGolden, Attention) {
  for (const std::string c : {"attention_causal", "attention_mask"}) {
    const bool masked = c == "attention_mask";
    Tensor q = GLeaf(c + ".q"), k = GLeaf(c + ".k"), v = GLeaf(c + ".v");
    Tensor m = masked ? GLeaf(c + ".m") : Tensor();
    Tensor y = ad::scaled_dot_product_attention(q, k, v, m, 0.0, !masked);
    EXPECT_TRUE(TensorsClose(y, G(c + ".y"), 1e-4, 1e-5)) << c;
    autograd::backward(y, G(c + ".gy"));
    EXPECT_TRUE(TensorsClose(grad_of(q), G(c + ".gq"), 1e-4, 1e-5)) << c;
    EXPECT_TRUE(TensorsClose(grad_of(k), G(c + ".gk"), 1e-4, 1e-5)) << c;
    EXPECT_TRUE(TensorsClose(grad_of(v), G(c + ".gv"), 1e-4, 1e-5)) << c;
    if (masked) {
      EXPECT_TRUE(TensorsClose(grad_of(m), G(c + ".gm"), 1e-4, 1e-5)) << c;
    }
  }
}

TEST(NormGolden, SmallCnnEndToEnd) {
  // conv -> batch_norm (train) -> max_pool -> flatten -> slice ->
  // cross_entropy with label smoothing, through the engine.
  Tensor x = GLeaf("cnn.x"), w = GLeaf("cnn.w"), b = GLeaf("cnn.b");
  Tensor bw = GLeaf("cnn.bw"), bb = GLeaf("cnn.bb");
  Tensor rm = G("cnn.rm").clone(), rv = G("cnn.rv").clone();
  Tensor h = ad::conv2d(x, w, b, {1}, {1});
  h = ad::batch_norm(h, rm, rv, bw, bb, /*training=*/true);
  h = ad::slice(ad::flatten(ad::max_pool2d(h, {2}), 1), 1, 0, 6);
  ClassLossOptions o;
  o.label_smoothing = 0.05;
  Tensor y = ad::cross_entropy(h, G("cnn.t"), o);
  EXPECT_TRUE(TensorsClose(y, G("cnn.y"), 1e-5, 1e-6));
  autograd::backward(y);
  EXPECT_TRUE(TensorsClose(grad_of(x), G("cnn.gx"), 1e-4, 1e-6));
  EXPECT_TRUE(TensorsClose(grad_of(w), G("cnn.gw"), 1e-4, 1e-6));
  EXPECT_TRUE(TensorsClose(grad_of(b), G("cnn.gb"), 1e-4, 1e-6));
  EXPECT_TRUE(TensorsClose(grad_of(bw), G("cnn.gbw"), 1e-4, 1e-6));
  EXPECT_TRUE(TensorsClose(grad_of(bb), G("cnn.gbb"), 1e-4, 1e-6));
}

}  // namespace
}  // namespace tch
