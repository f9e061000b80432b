// File: torch/nn/models_test.cc
//
// Model zoo structure (names, shapes, ties, errors), loss modules against
// the core losses, the layer registry's construction and error messages,
// and a few SGD steps that must reduce a loss end to end.
#include "torch/nn/models.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "torch/autograd/grad_mode.h"
#include "torch/autograd/variable.h"
#include "torch/core/error.h"
#include "torch/core/norm_ops.h"
#include "torch/core/ops.h"
#include "torch/core/random_ops.h"
#include "torch/nn/attention.h"
#include "torch/nn/layers.h"
#include "torch/nn/loss.h"
#include "torch/nn/registry.h"
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

std::string ErrorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ModelsTest, MlpStructure) {
  auto mlp = MakeMlp({.in_features = 784,
                      .hidden = {256, 128},
                      .out_features = 10,
                      .activation = "relu",
                      .dropout = 0.2});
  EXPECT_EQ(Names(mlp->named_parameters()),
            (std::vector<std::string>{"1.weight", "1.bias", "4.weight",
                                      "4.bias", "7.weight", "7.bias"}));
  EXPECT_EQ(mlp->num_parameters(),
            784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
  mlp->eval();
  EXPECT_EQ(mlp->forward(randn({3, 1, 28, 28})).sizes(), (Shape{3, 10}));
  EXPECT_EQ(ErrorOf([] { MakeMlp({.in_features = 4, .out_features = 0}); }),
            "mlp: option 'out_features' must be positive, got 0");
  EXPECT_EQ(
      ErrorOf([] {
        MakeMlp({.in_features = 4, .out_features = 2, .activation = "swish"});
      }),
      "unknown activation 'swish' (expected relu, gelu, silu, tanh or "
      "sigmoid)");
}

TEST(ModelsTest, CnnStructure) {
  auto cnn = MakeCnn({.in_channels = 1,
                      .height = 28,
                      .width = 28,
                      .channels = {8, 16},
                      .fc_hidden = {32},
                      .num_classes = 10,
                      .dropout = 0.5});
  EXPECT_EQ(
      Names(cnn->named_parameters()),
      (std::vector<std::string>{"0.weight", "0.bias", "3.weight", "3.bias",
                                "7.weight", "7.bias", "10.weight", "10.bias"}));
  // 28 -> 14 -> 7 after two 2x2 pools.
  EXPECT_EQ(cnn->named_parameters()[4].second.sizes(), (Shape{32, 16 * 7 * 7}));
  EXPECT_EQ(cnn->forward(randn({2, 1, 28, 28})).sizes(), (Shape{2, 10}));
  EXPECT_THROW(MakeCnn({.height = 2, .width = 2, .channels = {4, 4, 4}}),
               ValueError);
  EXPECT_THROW(MakeCnn({.kernel_size = 4}), ValueError);
}

TEST(ModelsTest, ResNetStructure) {
  auto net = MakeResNet({.in_channels = 3,
                         .height = 16,
                         .width = 16,
                         .widths = {8, 16},
                         .blocks = {2, 1},
                         .num_classes = 5});
  const StateDict sd = net->state_dict();
  for (const char* key :
       {"conv1.weight", "bn1.running_var", "layer1.1.conv2.weight",
        "layer2.0.downsample.0.weight", "layer2.0.downsample.1.bias",
        "layer2.0.bn1.num_batches_tracked", "fc.weight", "fc.bias"}) {
    EXPECT_EQ(sd.count(key), 1u) << key;
  }
  EXPECT_EQ(sd.count("layer1.0.downsample.0.weight"), 0u);
  EXPECT_EQ(net->forward(randn({2, 3, 16, 16})).sizes(), (Shape{2, 5}));
  EXPECT_THROW(MakeResNet({.widths = {8}, .blocks = {1, 1}}), ValueError);
}

TEST(ModelsTest, GptStructureAndTies) {
  const GptOptions o{.vocab_size = 50,
                     .context = 16,
                     .d_model = 32,
                     .n_heads = 4,
                     .n_layers = 2,
                     .tie_weights = true};
  auto gpt = MakeGpt(o);
  const NamedTensors params = gpt->named_parameters();
  EXPECT_EQ(params.front().first, "tok_emb.weight");
  EXPECT_EQ(params.back().first, "ln_f.bias");  // head.weight is tied
  const StateDict sd = gpt->state_dict();
  EXPECT_EQ(sd.count("head.weight"), 1u);
  EXPECT_EQ(sd.count("blocks.1.attn.in_proj_weight"), 1u);
  const int64_t per_block = 2 * 32 * 2 + (3 * 32 * 32 + 3 * 32) +
                            (32 * 32 + 32) + (32 * 128 + 128) + (128 * 32 + 32);
  EXPECT_EQ(gpt->num_parameters(), 50 * 32 + 16 * 32 + 2 * per_block + 2 * 32);
  Tensor logits = gpt->forward(randint(0, 50, {3, 10}));
  EXPECT_EQ(logits.sizes(), (Shape{3, 10, 50}));
  EXPECT_EQ(ErrorOf([&] {
              gpt->forward(randint(0, 50, {1, 17}));
            }),
            "GPT: sequence length 17 must be between 1 and the context size "
            "16");
  EXPECT_THROW(gpt->forward(randn({1, 4})), ValueError);
  // Untied: separate head weight, counted.
  GptOptions untied = o;
  untied.tie_weights = false;
  EXPECT_EQ(MakeGpt(untied)->num_parameters(), gpt->num_parameters() + 50 * 32);
  // GPT-2 init: std 0.02, residual projections 0.02 / sqrt(2 * n_layers).
  auto big = MakeGpt({.vocab_size = 2000,
                      .context = 8,
                      .d_model = 64,
                      .n_heads = 2,
                      .n_layers = 8});
  auto std_of = [](const Tensor& t) {
    double s = 0;
    for (float v : t.ToVector<float>()) s += double(v) * v;
    return std::sqrt(s / t.numel());
  };
  const StateDict bsd = big->state_dict();
  EXPECT_NEAR(std_of(bsd.at("tok_emb.weight")), 0.02, 0.001);
  EXPECT_NEAR(std_of(bsd.at("blocks.0.mlp.2.weight")), 0.005, 0.0003);
  EXPECT_EQ(
      ErrorOf([] {
        MakeGpt({.vocab_size = 5, .context = 4, .d_model = 10, .n_heads = 3});
      }),
      "gpt: d_model (10) must be divisible by n_heads (3)");
}

TEST(ModelsTest, SgdStepsReduceTheLoss) {
  Generator gen(0);
  auto model = MakeMlp({.in_features = 8,
                        .hidden = {32},
                        .out_features = 3,
                        .activation = "tanh"},
                       &gen);
  CrossEntropyLoss criterion;
  Tensor x = randn({64, 8}, DType::kFloat32, &gen);
  Tensor y = randint(0, 3, {64}, DType::kInt64, &gen);
  double first = 0, last = 0;
  for (int step = 0; step < 200; ++step) {
    model->zero_grad();
    Tensor loss = criterion(model->forward(x), y);
    autograd::backward(loss);
    (step == 0 ? first : last) = loss.item<float>();
    autograd::NoGradGuard no_grad;
    for (Tensor p : model->parameters()) {
      p.sub_(autograd::grad_of(p), 0.5);
    }
  }
  EXPECT_LT(last, first * 0.5) << first << " -> " << last;
}

TEST(LossTest, ModulesMatchCoreLosses) {
  Tensor logits = randn({6, 4});
  Tensor target = from_vector<int64_t>({0, 3, 1, -100, 2, 2}, {6});
  ClassLossOptions o;
  o.label_smoothing = 0.1;
  CrossEntropyLoss ce(o);
  EXPECT_TRUE(
      TensorsEqual(ce(logits, target), cross_entropy(logits, target, o)));
  EXPECT_TRUE(ce.state_dict().empty());
  ClassLossOptions w;
  w.weight = from_vector<float>({1, 2, 3, 4}, {4});
  w.reduction = Reduction::kSum;
  CrossEntropyLoss weighted(w);
  EXPECT_EQ(weighted.state_dict().count("weight"), 1u);
  EXPECT_TRUE(
      TensorsEqual(weighted(logits, target), cross_entropy(logits, target, w)));
  NLLLoss nll;
  EXPECT_TRUE(TensorsEqual(nll(logits, target), nll_loss(logits, target)));
  Tensor a = randn({5, 3}), b = randn({5, 3});
  EXPECT_TRUE(TensorsEqual(MSELoss()(a, b), mse_loss(a, b)));
  EXPECT_TRUE(TensorsEqual(L1Loss(Reduction::kNone)(a, b),
                           l1_loss(a, b, Reduction::kNone)));
  EXPECT_TRUE(TensorsEqual(SmoothL1Loss(Reduction::kSum, 0.5)(a, b),
                           smooth_l1_loss(a, b, Reduction::kSum, 0.5)));
  Tensor probs = rand({5, 3});
  Tensor pw = from_vector<float>({1, 2, 0.5}, {3});
  BCEWithLogitsLoss bce(Tensor(), pw);
  EXPECT_EQ(Names(bce.named_buffers()),
            (std::vector<std::string>{"pos_weight"}));
  EXPECT_TRUE(TensorsEqual(
      bce(a, probs), binary_cross_entropy_with_logits(a, probs, Tensor(), pw)));
  EXPECT_EQ(ParseReduction("sum"), Reduction::kSum);
  EXPECT_EQ(ParseReduction("none"), Reduction::kNone);
  EXPECT_EQ(ErrorOf([] { ParseReduction("avg"); }),
            "unknown reduction 'avg' (expected 'mean', 'sum' or 'none')");
  EXPECT_THROW(ce.forward(logits), NotImplementedError);
}

TEST(RegistryTest, BuildsEveryType) {
  EXPECT_EQ(LayerTypes().size(), 19u);
  auto conv = MakeLayer("conv2d", {{"in_channels", int64_t{3}},
                                   {"out_channels", int64_t{8}},
                                   {"kernel_size", std::vector<int64_t>{3, 5}},
                                   {"padding", "same"},
                                   {"bias", false}});
  auto* c = dynamic_cast<Conv2d*>(conv.get());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->weight.sizes(), (Shape{8, 3, 3, 5}));
  EXPECT_EQ(c->options.padding_str, "same");
  EXPECT_FALSE(c->bias.defined());
  // Keep the module alive: a pointer into a temporary would dangle.
  auto linear = MakeLayer(
      "linear", {{"in_features", int64_t{4}}, {"out_features", int64_t{2}}});
  auto* fc = dynamic_cast<Linear*>(linear.get());
  ASSERT_NE(fc, nullptr);
  EXPECT_TRUE(fc->bias.defined());
  auto bn = MakeLayer("batch_norm2d",
                      {{"num_features", int64_t{4}}, {"momentum", int64_t{0}}});
  EXPECT_EQ(dynamic_cast<BatchNorm2d*>(bn.get())->options.momentum, 0.0);
  auto ln = MakeLayer("layer_norm", {{"normalized_shape", int64_t{6}}});
  EXPECT_EQ(dynamic_cast<LayerNorm*>(ln.get())->normalized_shape,
            (std::vector<int64_t>{6}));
  auto pool = MakeLayer("max_pool2d", {{"kernel_size", int64_t{2}}});
  EXPECT_EQ(pool->forward(randn({1, 1, 4, 4})).sizes(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(MakeLayer("dropout", {{"p", 0.25}})->ToString(), "Dropout(p=0.25)");
  EXPECT_EQ(MakeLayer("gelu", {{"approximate", "tanh"}})->type_name(), "GELU");
  auto emb = MakeLayer("embedding", {{"num_embeddings", int64_t{10}},
                                     {"embedding_dim", int64_t{3}},
                                     {"padding_idx", int64_t{0}}});
  EXPECT_EQ(*dynamic_cast<Embedding*>(emb.get())->padding_idx, 0);
  for (const char* type :
       {"relu", "silu", "tanh", "sigmoid", "softmax", "flatten", "identity"}) {
    EXPECT_NE(MakeLayer(type, {}), nullptr) << type;
  }
  MakeLayer("avg_pool2d", {{"kernel_size", int64_t{2}}});
  MakeLayer("adaptive_avg_pool2d", {{"output_size", int64_t{1}}});
  MakeLayer("batch_norm1d", {{"num_features", int64_t{3}}});
  MakeLayer("group_norm",
            {{"num_groups", int64_t{2}}, {"num_channels", int64_t{4}}});
}

TEST(RegistryTest, ErrorsNameTheLayerAndArgument) {
  EXPECT_EQ(ErrorOf([] {
              MakeLayer("conv2d", {{"in_channels", int64_t{1}},
                                   {"out_channels", int64_t{2}},
                                   {"kernel_size", "big"}});
            }),
            "conv2d: argument 'kernel_size': expected an integer or a list "
            "of integers, got \"big\"");
  EXPECT_EQ(ErrorOf([] {
              MakeLayer("linear",
                        {{"in_features", 2.5}, {"out_features", int64_t{2}}});
            }),
            "linear: argument 'in_features': expected an integer, got 2.5");
  EXPECT_EQ(ErrorOf([] {
              MakeLayer("linear", {{"in_features", int64_t{2}}});
            }),
            "linear: missing required argument 'out_features'");
  EXPECT_EQ(ErrorOf([] {
              MakeLayer("linear", {{"in_features", int64_t{2}},
                                   {"out_features", int64_t{2}},
                                   {"bais", true}});
            }),
            "linear: unknown argument 'bais' (accepted: bias, in_features, "
            "out_features)");
  EXPECT_EQ(ErrorOf([] {
              MakeLayer("relu", {{"inplace", true}});
            }),
            "relu: unknown argument 'inplace' (it takes no arguments)");
  EXPECT_EQ(ErrorOf([] {
              MakeLayer("dropout", {{"p", "high"}});
            }),
            "dropout: argument 'p': expected a number, got \"high\"");
  EXPECT_EQ(ErrorOf([] {
              MakeLayer("linear", {{"in_features", int64_t{2}},
                                   {"out_features", int64_t{2}},
                                   {"bias", int64_t{1}}});
            }),
            "linear: argument 'bias': expected a boolean, got 1");
  EXPECT_NE(ErrorOf([] { MakeLayer("conv3d", {}); })
                .find("unknown layer type 'conv3d' (known: "
                      "adaptive_avg_pool2d, avg_pool2d, batch_norm1d"),
            std::string::npos);
  EXPECT_EQ(ErrorOf([] {
              MakeSequential({{"flatten", {}},
                              {"linear",
                               {{"in_features", int64_t{-1}},
                                {"out_features", int64_t{2}}}}});
            }),
            "layer 1 (linear): Linear: in_features and out_features must be "
            "non-negative, got -1 and 2");
}

TEST(RegistryTest, SequentialFromSpecs) {
  auto net = MakeSequential(
      {{"conv2d",
        {{"in_channels", int64_t{1}},
         {"out_channels", int64_t{4}},
         {"kernel_size", int64_t{3}},
         {"padding", int64_t{1}}}},
       {"relu", {}},
       {"max_pool2d", {{"kernel_size", int64_t{2}}}},
       {"flatten", {}},
       {"linear",
        {{"in_features", int64_t{64}}, {"out_features", int64_t{3}}}}});
  EXPECT_EQ(
      Names(net->named_parameters()),
      (std::vector<std::string>{"0.weight", "0.bias", "4.weight", "4.bias"}));
  EXPECT_EQ(net->forward(randn({2, 1, 8, 8})).sizes(), (Shape{2, 3}));
}

TEST(InteropTest, SavedGptUsesPyTorchNames) {
  // Writes a GPT for a manual PyTorch load check; the names are asserted
  // here, the PyTorch side by nn_interop_test's strict loads.
  const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  const std::string path =
      std::string(dir ? dir : (std::getenv("TEST_TMPDIR") ?: "/tmp")) +
      "/gpt.safetensors";
  auto gpt = MakeGpt({.vocab_size = 11,
                      .context = 8,
                      .d_model = 16,
                      .n_heads = 2,
                      .n_layers = 2,
                      .tie_weights = true});
  SaveSafetensors(*gpt, path);
  auto again = MakeGpt({.vocab_size = 11,
                        .context = 8,
                        .d_model = 16,
                        .n_heads = 2,
                        .n_layers = 2,
                        .tie_weights = true});
  EXPECT_TRUE(LoadSafetensors(*again, path).ok());
  Tensor ids = randint(0, 11, {2, 5});
  EXPECT_TRUE(TensorsEqual(gpt->forward(ids), again->forward(ids)));
}

}  // namespace
}  // namespace tch::nn
