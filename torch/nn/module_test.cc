// File: torch/nn/module_test.cc
//
// Module infrastructure: registration rules, PyTorch's dotted names, tied
// parameters, train/eval, to(dtype), state_dict, the strict load error
// report and the safetensors round trip.
#include "torch/nn/module.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "torch/autograd/variable.h"
#include "torch/core/error.h"
#include "torch/core/ops.h"
#include "torch/core/serialize.h"
#include "torch/testing/tensor_matchers.h"

namespace tch::nn {
namespace {

using testing::TensorsEqual;

// A Linear-shaped leaf with a buffer, enough to test the infrastructure
// without the layer library.
class Leaf : public Module {
 public:
  Leaf(int64_t in, int64_t out) : Module("Leaf") {
    weight = register_parameter("weight", full({out, in}, 0.5));
    bias = register_parameter("bias", zeros({out}));
    count = register_buffer("count", zeros({}, DType::kInt64));
    scratch = register_buffer("scratch", zeros({2}), /*persistent=*/false);
  }
  Tensor weight, bias, count, scratch;

 protected:
  std::string extra_repr() const override { return "k=1"; }
};

class Tree : public Module {
 public:
  Tree() : Module("Tree") {
    layers = register_module("layers", std::make_shared<Module>("List"));
    layers->register_module("0", std::make_shared<Leaf>(3, 4));
    layers->register_module("1", std::make_shared<Leaf>(4, 2));
    fc = register_module("fc", std::make_shared<Leaf>(2, 2));
    scale = register_parameter("scale", ones({1}));
  }
  std::shared_ptr<Module> layers;
  std::shared_ptr<Leaf> fc;
  Tensor scale;
};

std::vector<std::string> Names(const NamedTensors& v) {
  std::vector<std::string> out;
  for (const auto& [n, t] : v) out.push_back(n);
  return out;
}

TEST(ModuleTest, DottedNamesInRegistrationOrder) {
  Tree tree;
  EXPECT_EQ(Names(tree.named_parameters()),
            (std::vector<std::string>{
                "scale", "layers.0.weight", "layers.0.bias", "layers.1.weight",
                "layers.1.bias", "fc.weight", "fc.bias"}));
  EXPECT_EQ(Names(tree.named_buffers()),
            (std::vector<std::string>{"layers.0.count", "layers.0.scratch",
                                      "layers.1.count", "layers.1.scratch",
                                      "fc.count", "fc.scratch"}));
  EXPECT_EQ(Names(tree.named_parameters(/*recurse=*/false)),
            (std::vector<std::string>{"scale"}));
  EXPECT_EQ(tree.num_parameters(), 1 + 12 + 4 + 8 + 2 + 4 + 2);
  for (const Tensor& p : tree.parameters()) {
    EXPECT_TRUE(autograd::requires_grad(p));
  }
  // named_modules: "" first, depth first.
  std::vector<std::string> modules;
  for (auto& [n, m] : tree.named_modules()) modules.push_back(n);
  EXPECT_EQ(modules, (std::vector<std::string>{"", "layers", "layers.0",
                                               "layers.1", "fc"}));
  EXPECT_EQ(tree.get_submodule("layers.1")->type_name(), "Leaf");
  EXPECT_EQ(tree.get_submodule("layers.7"), nullptr);
  // The handles are the module's own tensors.
  EXPECT_TRUE(tree.parameters()[5].SameImpl(tree.fc->weight));
}

TEST(ModuleTest, RegistrationErrors) {
  Module m("M");
  m.register_parameter("w", zeros({2}));
  EXPECT_THROW(m.register_parameter("w", zeros({2})), ValueError);
  EXPECT_THROW(m.register_buffer("w", zeros({2})), ValueError);
  EXPECT_THROW(m.register_module("w", std::make_shared<Module>()), ValueError);
  EXPECT_THROW(m.register_parameter("a.b", zeros({2})), ValueError);
  EXPECT_THROW(m.register_parameter("", zeros({2})), ValueError);
  EXPECT_THROW(m.register_parameter("i", zeros({2}, DType::kInt64)),
               ValueError);
  EXPECT_THROW(m.register_parameter("u", Tensor()), ValueError);
  EXPECT_THROW(m.forward(zeros({1})), NotImplementedError);
}

TEST(ModuleTest, TiedParametersListedOnceButSavedUnderEachName) {
  Module m("Tied");
  auto a = m.register_module("a", std::make_shared<Leaf>(2, 2));
  auto b = m.register_module("b", std::make_shared<Leaf>(2, 2));
  b->replace_parameter("weight", a->weight);
  EXPECT_EQ(Names(m.named_parameters()),
            (std::vector<std::string>{"a.weight", "a.bias", "b.bias"}));
  EXPECT_EQ(m.num_parameters(), 4 + 2 + 2);
  const StateDict sd = m.state_dict();
  EXPECT_EQ(sd.count("b.weight"), 1u);
  EXPECT_EQ(sd.size(), 6u);  // 2 x (weight, bias, count); no scratch
}

TEST(ModuleTest, TrainEvalPropagates) {
  Tree tree;
  EXPECT_TRUE(tree.is_training());
  tree.eval();
  for (auto& [n, m] : tree.named_modules()) EXPECT_FALSE(m->is_training());
  tree.train();
  EXPECT_TRUE(tree.fc->is_training());
}

TEST(ModuleTest, StateDictSharesStorageWithoutHistory) {
  Tree tree;
  StateDict sd = tree.state_dict();
  EXPECT_EQ(sd.size(), 7u + 3u);  // scratch buffers are not persistent
  EXPECT_EQ(sd.count("layers.0.scratch"), 0u);
  EXPECT_FALSE(autograd::requires_grad(sd.at("fc.weight")));
  sd.at("fc.weight").fill_(3.0);
  EXPECT_EQ(tree.fc->weight.ToVector<float>()[0], 3.0f);
}

TEST(ModuleTest, LoadStateDictCopiesInPlace) {
  Tree src, dst;
  src.fc->weight.fill_(7.0);  // fill_ of the tensor data, not recorded
  src.layers->named_buffers()[0].second.fill_(5);
  const Tensor handle = dst.fc->weight;
  LoadReport r = dst.load_state_dict(src.state_dict());
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(handle.SameImpl(dst.fc->weight));
  EXPECT_TRUE(TensorsEqual(dst.fc->weight, src.fc->weight));
  EXPECT_EQ(dst.named_buffers()[0].second.item<int64_t>(), 5);
  EXPECT_TRUE(autograd::requires_grad(dst.fc->weight));
  // Values of another dtype are converted to the parameter's dtype.
  StateDict sd = src.state_dict();
  sd["scale"] = full({1}, 2.0, DType::kFloat64);
  dst.load_state_dict(sd);
  EXPECT_EQ(dst.scale.dtype(), DType::kFloat32);
  EXPECT_EQ(dst.scale.item<float>(), 2.0f);
}

TEST(ModuleTest, StrictLoadListsEveryProblemAndChangesNothing) {
  Tree tree;
  StateDict sd = tree.state_dict();
  sd.erase("fc.bias");
  sd.erase("layers.1.count");
  sd["extra.weight"] = zeros({1});
  sd["layers.0.weight"] = zeros({8, 3});
  sd["scale"] = full({1}, 9.0);
  try {
    tree.load_state_dict(sd);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("missing keys"), std::string::npos) << msg;
    EXPECT_NE(msg.find("fc.bias"), std::string::npos) << msg;
    EXPECT_NE(msg.find("layers.1.count"), std::string::npos) << msg;
    EXPECT_NE(msg.find("unexpected keys:\n  extra.weight"), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("layers.0.weight: expected [4, 3], got [8, 3]"),
              std::string::npos)
        << msg;
  }
  EXPECT_EQ(tree.scale.item<float>(), 1.0f);  // nothing was copied

  LoadReport r = tree.load_state_dict(sd, /*strict=*/false);
  EXPECT_EQ(r.missing_keys,
            (std::vector<std::string>{"layers.1.count", "fc.bias"}));
  EXPECT_EQ(r.unexpected_keys, (std::vector<std::string>{"extra.weight"}));
  ASSERT_EQ(r.shape_mismatches.size(), 1u);
  EXPECT_EQ(tree.scale.item<float>(), 9.0f);  // the matching keys loaded
  EXPECT_EQ(tree.layers->named_parameters()[0].second.size(0), 4);
}

TEST(ModuleTest, ToDtypeKeepsHandles) {
  Tree tree;
  const Tensor handle = tree.fc->weight;
  tree.to(DType::kFloat64);
  EXPECT_EQ(handle.dtype(), DType::kFloat64);
  EXPECT_EQ(handle.ToVector<double>()[0], 0.5);
  EXPECT_TRUE(autograd::requires_grad(handle));
  // Integer buffers stay integer, as in PyTorch.
  EXPECT_EQ(tree.fc->count.dtype(), DType::kInt64);
}

TEST(ModuleTest, ZeroGrad) {
  Leaf leaf(2, 2);
  autograd::set_grad(leaf.weight, ones({2, 2}));
  leaf.zero_grad(/*set_to_none=*/false);
  EXPECT_TRUE(TensorsEqual(autograd::grad_of(leaf.weight), zeros({2, 2})));
  leaf.zero_grad();
  EXPECT_FALSE(autograd::grad_of(leaf.weight).defined());
}

TEST(ModuleTest, ToString) {
  Tree tree;
  EXPECT_EQ(tree.ToString(),
            "Tree(\n"
            "  (layers): List(\n"
            "    (0): Leaf(k=1)\n"
            "    (1): Leaf(k=1)\n"
            "  )\n"
            "  (fc): Leaf(k=1)\n"
            ")");
}

TEST(ModuleTest, SafetensorsRoundTrip) {
  const std::string path =
      std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") +
      "/module_test.safetensors";
  Tree src, dst;
  src.fc->weight.fill_(-2.0);
  src.fc->count.fill_(3);
  SaveSafetensors(src, path, {{"format", "pt"}});
  // The file holds exactly the state_dict names.
  std::map<std::string, std::string> meta;
  auto raw = tch::LoadSafetensors(path, &meta);
  EXPECT_EQ(raw.size(), src.state_dict().size());
  EXPECT_EQ(meta.at("format"), "pt");
  LoadSafetensors(dst, path);
  EXPECT_TRUE(TensorsEqual(dst.fc->weight, src.fc->weight));
  EXPECT_EQ(dst.fc->count.item<int64_t>(), 3);
  // A model with another architecture: strict load names the file.
  Leaf other(5, 5);
  try {
    LoadSafetensors(other, path);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
  EXPECT_THROW(LoadSafetensors(dst, path + ".missing"), IoError);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace tch::nn
