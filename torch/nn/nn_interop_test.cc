// File: torch/nn/nn_interop_test.cc
//
// PyTorch interop: tests/golden/nn_modules_golden.py builds the model zoo's
// architectures (and two attention configurations) in PyTorch 1.13 and
// saves their state_dicts, an input, the training-mode output, the
// parameter gradients of loss = (output * w).sum(), the BatchNorm buffers
// after that forward and the eval-mode output. Here the same architectures
// built by tch::nn load those state_dicts strictly (so every name and shape
// must match PyTorch's) and must reproduce all of it.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "torch/autograd/functions/arith.h"
#include "torch/autograd/functions/reduce.h"
#include "torch/autograd/grad_mode.h"
#include "torch/autograd/variable.h"
#include "torch/core/ops.h"
#include "torch/nn/attention.h"
#include "torch/nn/models.h"
#include "torch/nn/module.h"
#include "torch/testing/tensor_matchers.h"

namespace tch::nn {
namespace {

using testing::CachedGolden;
using testing::TensorsClose;

const char kGolden[] = "tests/golden/nn_modules.safetensors";

// The golden tensors "<model>.<group>.<name>" as name -> tensor.
StateDict Group(const std::string& model, const std::string& group) {
  const std::string prefix = model + "." + group + ".";
  StateDict out;
  for (const auto& [k, v] : CachedGolden(kGolden)) {
    if (k.rfind(prefix, 0) == 0) out.emplace(k.substr(prefix.size()), v);
  }
  return out;
}

Tensor Golden(const std::string& name) {
  return testing::GoldenTensor(kGolden, name);
}

void CheckAgainstPyTorch(const std::string& name, Module& model,
                         double rtol = 1e-4, double atol = 1e-5) {
  SCOPED_TRACE(name);
  const StateDict params = Group(name, "param");
  ASSERT_FALSE(params.empty());
  // Strict: every PyTorch name exists here with the same shape, and back.
  model.load_state_dict(params);
  EXPECT_EQ(model.state_dict().size(), params.size());

  model.train();
  const Tensor x = Golden(name + ".input");
  Tensor out = model.forward(x);
  EXPECT_TRUE(TensorsClose(out, Golden(name + ".output"), rtol, atol));
  autograd::backward(ad::sum(ad::mul(out, Golden(name + ".w"))));

  const StateDict grads = Group(name, "grad");
  std::set<std::string> seen;
  for (const auto& [pname, p] : model.named_parameters()) {
    SCOPED_TRACE(pname);
    seen.insert(pname);
    auto it = grads.find(pname);
    ASSERT_NE(it, grads.end()) << "PyTorch has no parameter " << pname;
    ASSERT_TRUE(autograd::grad_of(p).defined());
    EXPECT_TRUE(TensorsClose(autograd::grad_of(p), it->second, rtol, atol));
  }
  EXPECT_EQ(seen.size(), grads.size());

  const StateDict after = Group(name, "after");
  for (const auto& [bname, b] : model.named_buffers()) {
    SCOPED_TRACE(bname);
    auto it = after.find(bname);
    ASSERT_NE(it, after.end());
    EXPECT_TRUE(TensorsClose(b, it->second, rtol, atol));
  }

  model.eval();
  autograd::NoGradGuard no_grad;
  EXPECT_TRUE(TensorsClose(model.forward(x), Golden(name + ".eval_output"),
                           rtol, atol));
}

TEST(NnInteropTest, Mlp) {
  auto model = MakeMlp({.in_features = 12,
                        .hidden = {16, 8},
                        .out_features = 5,
                        .activation = "gelu"});
  CheckAgainstPyTorch("mlp", *model);
}

TEST(NnInteropTest, CnnWithBatchNorm) {
  auto model = MakeCnn({.in_channels = 2,
                        .height = 8,
                        .width = 8,
                        .channels = {4, 6},
                        .kernel_size = 3,
                        .batch_norm = true,
                        .pool = true,
                        .fc_hidden = {10},
                        .num_classes = 3});
  CheckAgainstPyTorch("cnn", *model);
}

TEST(NnInteropTest, ResNet) {
  auto model = MakeResNet({.in_channels = 3,
                           .height = 8,
                           .width = 8,
                           .widths = {4, 8},
                           .blocks = {1, 2},
                           .num_classes = 3});
  CheckAgainstPyTorch("resnet", *model);
}

TEST(NnInteropTest, GptWithTiedWeights) {
  auto model = MakeGpt({.vocab_size = 11,
                        .context = 8,
                        .d_model = 16,
                        .n_heads = 2,
                        .n_layers = 2,
                        .mlp_ratio = 4,
                        .tie_weights = true});
  CheckAgainstPyTorch("gpt", *model);
}

// The golden script's Cross module: cross-attention with a bool key padding
// mask and a float attn_mask.
class Cross : public Module {
 public:
  Cross() : Module("Cross") {
    attn = register_module("attn", std::make_shared<MultiheadAttention>(8, 2));
    kv = register_parameter("kv", zeros({3, 5, 8}));
    kpm = register_buffer("kpm", zeros({3, 5}, DType::kBool));
    am = register_buffer("am", zeros({4, 5}));
  }
  Tensor forward(const Tensor& q) override {
    return attn->forward(q, kv, ad::mul(kv, 0.5), kpm, am);
  }
  std::shared_ptr<MultiheadAttention> attn;
  Tensor kv, kpm, am;
};

TEST(NnInteropTest, CrossAttentionWithPaddingAndFloatMask) {
  Cross model;
  CheckAgainstPyTorch("cross", model);
}

// Self-attention with a causal mask and a key padding mask together.
class SelfMasked : public Module {
 public:
  SelfMasked() : Module("SelfMasked") {
    attn = register_module("attn", std::make_shared<MultiheadAttention>(8, 4));
    kpm = register_buffer("kpm", zeros({2, 6}, DType::kBool));
  }
  Tensor forward(const Tensor& x) override {
    return attn->forward(x, x, x, kpm, Tensor(), /*is_causal=*/true);
  }
  std::shared_ptr<MultiheadAttention> attn;
  Tensor kpm;
};

TEST(NnInteropTest, CausalSelfAttentionWithPadding) {
  SelfMasked model;
  CheckAgainstPyTorch("selfmask", model);
}

}  // namespace
}  // namespace tch::nn
