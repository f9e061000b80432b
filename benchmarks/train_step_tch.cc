// tch's half of the autograd and training-step comparison (see
// train_step_cases.h). Built by Bazel into libtch_train_step.so, which
// compare_training.sh links with the libtorch half.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "benchmarks/train_step_cases.h"
#include "torch/autograd/functions/functions.h"
#include "torch/autograd/grad_mode.h"
#include "torch/autograd/variable.h"
#include "torch/nn/models.h"
#include "torch/nn/module.h"
#include "torch/optim/optimizer.h"
#include "torch/tch.h"

namespace trainbench {
namespace {

std::vector<float> Floats(const tch::Tensor& t) {
  return t.to(tch::DType::kFloat32).contiguous().ToVector<float>();
}

// The 100 ops of ChainDescription(kind), from leaves x (and w).
tch::Tensor RunChain(bool mixed, tch::Tensor x, const tch::Tensor& w) {
  if (!mixed) {
    for (int i = 0; i < kChainOps / 2; ++i) {
      x = tch::ad::mul(x, 1.0001);
      x = tch::ad::add(x, 0.0001);
    }
    return x;
  }
  for (int i = 0; i < kChainOps / 4; ++i) {
    tch::Tensor h = tch::ad::matmul(x, w);
    h = tch::ad::tanh(h);
    x = tch::ad::add(h, x);
    x = tch::ad::mul(x, 0.5);
  }
  return x;
}

}  // namespace

void SetTchThreads(int threads) { tch::SetNumThreads(threads); }

Chain MakeTchChain(const std::string& kind) {
  if (kind != "scalar16" && kind != "mixed8x8") {
    throw std::runtime_error("tch: unknown autograd chain '" + kind + "'");
  }
  const bool mixed = kind == "mixed8x8";
  const std::vector<int64_t> shape = ChainShape(kind);
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  tch::Tensor x = tch::autograd::requires_grad_(
      tch::from_vector(compare::Values(0, n), shape));
  tch::Tensor w;
  if (mixed) {
    w = tch::autograd::requires_grad_(
        tch::mul(tch::from_vector(compare::Values(1, 64), {8, 8}), 0.3));
  }
  Chain c;
  c.no_grad = [mixed, x, w] {
    tch::autograd::NoGradGuard guard;
    RunChain(mixed, x, w);
  };
  c.record = [mixed, x, w] { RunChain(mixed, x, w); };
  c.record_backward = [mixed, x, w] {
    tch::autograd::zero_grad(x);
    if (mixed) tch::autograd::zero_grad(w);
    tch::autograd::backward(tch::ad::sum(RunChain(mixed, x, w)));
  };
  c.grads = [mixed, x, w] {
    std::vector<float> g = Floats(tch::autograd::grad_of(x));
    if (mixed) {
      std::vector<float> gw = Floats(tch::autograd::grad_of(w));
      g.insert(g.end(), gw.begin(), gw.end());
    }
    return g;
  };
  return c;
}

TrainStep MakeTchTrainStep(const std::string& model, int64_t batch) {
  const ModelShape s = ShapeOf(model, batch);
  // Kept alive with the model (layers keep the pointer for dropout).
  auto gen = std::make_shared<tch::Generator>(0);
  std::shared_ptr<tch::nn::Module> net;
  if (model == "mlp") {
    net = tch::nn::MakeMlp(
        {.in_features = 784, .hidden = {256, 128}, .out_features = 10},
        gen.get());
  } else if (model == "cnn") {
    net = tch::nn::MakeCnn({.in_channels = 1,
                            .height = 28,
                            .width = 28,
                            .channels = {32, 64},
                            .kernel_size = 3,
                            .fc_hidden = {128},
                            .num_classes = 10},
                           gen.get());
  } else if (model == "gpt") {
    net = tch::nn::MakeGpt({.vocab_size = kGptVocab,
                            .context = kGptContext,
                            .d_model = kGptDModel,
                            .n_heads = kGptHeads,
                            .n_layers = kGptLayers,
                            .mlp_ratio = 4,
                            .dropout = 0.0,
                            .tie_weights = true},
                           gen.get());
  } else {
    throw std::runtime_error("tch: unknown model '" + model + "'");
  }
  net->train();
  std::shared_ptr<tch::optim::Optimizer> opt;
  if (model == "gpt") {
    opt = std::make_shared<tch::optim::AdamW>(
        net->parameters(),
        tch::optim::AdamWOptions{
            .lr = 3e-3, .beta1 = 0.9, .beta2 = 0.95, .weight_decay = 0.1});
  } else {
    opt = std::make_shared<tch::optim::Adam>(
        net->parameters(), tch::optim::AdamOptions{.lr = 1e-3});
  }
  const tch::Tensor input = s.int_input
                                ? tch::from_vector(InputIds(s), s.input)
                                : tch::from_vector(InputValues(s), s.input);
  const tch::Tensor target = tch::from_vector(Targets(s), s.target);
  auto loss = std::make_shared<tch::Tensor>();
  const int64_t classes = s.classes;
  TrainStep t;
  t.forward = [net, gen, input, target, loss, classes] {
    tch::Tensor logits = net->forward(input);
    if (logits.dim() == 3) logits = tch::ad::reshape(logits, {-1, classes});
    *loss = tch::ad::cross_entropy(logits, target);
  };
  t.backward = [loss] { tch::autograd::backward(*loss); };
  t.update = [opt] {
    opt->step();
    opt->zero_grad();
  };
  t.loss = [loss] { return loss->item<float>(); };
  t.parameters = [net] {
    std::vector<Param> out;
    for (const auto& [name, p] : net->named_parameters()) {
      out.push_back({name,
                     std::vector<int64_t>(p.sizes().begin(), p.sizes().end()),
                     Floats(p)});
    }
    return out;
  };
  return t;
}

}  // namespace trainbench
