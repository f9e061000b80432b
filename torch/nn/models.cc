// File: torch/nn/models.cc
#include "torch/nn/models.h"

#include <cmath>

#include "torch/autograd/functions/arith.h"
#include "torch/autograd/functions/pointwise.h"
#include "torch/autograd/functions/shape.h"
#include "torch/core/error.h"
#include "torch/core/ops.h"
#include "torch/nn/attention.h"
#include "torch/nn/init.h"
#include "torch/nn/layers.h"

namespace tch::nn {
namespace {

void CheckPositive(int64_t v, const char* model, const char* option) {
  TCH_CHECK(v > 0, model, ": option '", option, "' must be positive, got ", v);
}

void CheckDropout(double p, const char* model) {
  TCH_CHECK(p >= 0 && p <= 1, model,
            ": option 'dropout' must be in [0, 1], got ", p);
}

// --- ResNet -----------------------------------------------------------------

class BasicBlock : public Module {
 public:
  BasicBlock(int64_t in, int64_t out, int64_t stride, Generator* gen)
      : Module("BasicBlock") {
    conv1 = register_module("conv1", Conv3x3(in, out, stride, gen));
    bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(out));
    conv2 = register_module("conv2", Conv3x3(out, out, 1, gen));
    bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(out));
    if (stride != 1 || in != out) {
      downsample = register_module(
          "downsample",
          std::make_shared<Sequential>(std::vector<ModulePtr>{
              std::make_shared<Conv2d>(Conv2dOptions{.in_channels = in,
                                                     .out_channels = out,
                                                     .kernel_size = {1},
                                                     .stride = {stride},
                                                     .bias = false},
                                       gen),
              std::make_shared<BatchNorm2d>(out)}));
    }
  }

  Tensor forward(const Tensor& x) override {
    Tensor h = ad::relu(bn1->forward(conv1->forward(x)));
    h = bn2->forward(conv2->forward(h));
    Tensor identity = downsample ? downsample->forward(x) : x;
    return ad::relu(ad::add(h, identity));
  }

  static std::shared_ptr<Conv2d> Conv3x3(int64_t in, int64_t out,
                                         int64_t stride, Generator* gen) {
    return std::make_shared<Conv2d>(Conv2dOptions{.in_channels = in,
                                                  .out_channels = out,
                                                  .kernel_size = {3},
                                                  .stride = {stride},
                                                  .padding = {1},
                                                  .bias = false},
                                    gen);
  }

  std::shared_ptr<Conv2d> conv1, conv2;
  std::shared_ptr<BatchNorm2d> bn1, bn2;
  std::shared_ptr<Sequential> downsample;
};

class ResNet : public Module {
 public:
  ResNet(const ResNetOptions& o, Generator* gen)
      : Module("ResNet"), options_(o) {
    conv1 = register_module(
        "conv1", BasicBlock::Conv3x3(o.in_channels, o.widths[0], 1, gen));
    bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(o.widths[0]));
    int64_t in = o.widths[0];
    for (size_t s = 0; s < o.widths.size(); ++s) {
      auto stage = std::make_shared<Sequential>();
      for (int64_t b = 0; b < o.blocks[s]; ++b) {
        const int64_t stride = (s > 0 && b == 0) ? 2 : 1;
        stage->push_back(
            std::make_shared<BasicBlock>(in, o.widths[s], stride, gen));
        in = o.widths[s];
      }
      stages_.push_back(
          register_module("layer" + std::to_string(s + 1), stage));
    }
    avgpool = register_module("avgpool", std::make_shared<AdaptiveAvgPool2d>(
                                             std::vector<int64_t>{1, 1}));
    fc = register_module(
        "fc", std::make_shared<Linear>(in, o.num_classes, true, gen));
  }

  Tensor forward(const Tensor& x) override {
    TCH_CHECK(x.dim() == 4 && x.size(1) == options_.in_channels,
              "ResNet: expected input [N, ", options_.in_channels,
              ", H, W], got ", ShapeToString(x.sizes()));
    Tensor h = ad::relu(bn1->forward(conv1->forward(x)));
    for (const auto& stage : stages_) h = stage->forward(h);
    return fc->forward(ad::flatten(avgpool->forward(h), 1));
  }

 private:
  ResNetOptions options_;
  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::vector<std::shared_ptr<Sequential>> stages_;
  std::shared_ptr<AdaptiveAvgPool2d> avgpool;
  std::shared_ptr<Linear> fc;
};

// --- GPT --------------------------------------------------------------------

class Gpt : public Module {
 public:
  Gpt(const GptOptions& o, Generator* gen) : Module("GPT"), options_(o) {
    tok_emb = register_module(
        "tok_emb", std::make_shared<Embedding>(o.vocab_size, o.d_model,
                                               std::nullopt, gen));
    pos_emb = register_module(
        "pos_emb",
        std::make_shared<Embedding>(o.context, o.d_model, std::nullopt, gen));
    drop = register_module("drop", std::make_shared<Dropout>(o.dropout, gen));
    blocks = register_module("blocks", std::make_shared<ModuleList>());
    for (int64_t i = 0; i < o.n_layers; ++i) {
      blocks->push_back(std::make_shared<TransformerBlock>(
          TransformerBlockOptions{.d_model = o.d_model,
                                  .n_heads = o.n_heads,
                                  .mlp_ratio = o.mlp_ratio,
                                  .dropout = o.dropout,
                                  .causal = true},
          gen));
    }
    ln_f = register_module(
        "ln_f", std::make_shared<LayerNorm>(std::vector<int64_t>{o.d_model}));
    head = register_module(
        "head", std::make_shared<Linear>(o.d_model, o.vocab_size, false, gen));
    InitGpt2(gen);
    if (o.tie_weights) {
      head->replace_parameter("weight", tok_emb->weight);
      head->weight = tok_emb->weight;
    }
  }

  Tensor forward(const Tensor& ids) override {
    TCH_CHECK(ids.dim() == 2 && !IsFloatingPoint(ids.dtype()) &&
                  ids.dtype() != DType::kBool,
              "GPT: expected integer token ids [batch, time], got ",
              DTypeName(ids.dtype()), " ", ShapeToString(ids.sizes()));
    const int64_t T = ids.size(1);
    TCH_CHECK(T >= 1 && T <= options_.context, "GPT: sequence length ", T,
              " must be between 1 and the context size ", options_.context);
    Tensor positions = arange(T, DType::kInt64);
    Tensor h = ad::add(tok_emb->forward(ids), pos_emb->forward(positions));
    h = drop->forward(h);
    for (const ModulePtr& block : blocks->children()) h = block->forward(h);
    return head->forward(ln_f->forward(h));
  }

 private:
  void InitGpt2(Generator* gen) {
    const double std = 0.02;
    const double proj_std = std / std::sqrt(2.0 * double(options_.n_layers));
    for (auto& [name, m] : named_modules()) {
      if (auto* lin = dynamic_cast<Linear*>(m.get())) {
        const bool proj =
            name.ends_with("attn.out_proj") || name.ends_with("mlp.2");
        init::normal_(lin->weight, 0.0, proj ? proj_std : std, gen);
        if (lin->bias.defined()) init::zeros_(lin->bias);
      } else if (auto* emb = dynamic_cast<Embedding*>(m.get())) {
        init::normal_(emb->weight, 0.0, std, gen);
      } else if (auto* attn = dynamic_cast<MultiheadAttention*>(m.get())) {
        init::normal_(attn->in_proj_weight, 0.0, std, gen);
        init::zeros_(attn->in_proj_bias);
      }
    }
  }

  GptOptions options_;
  std::shared_ptr<Embedding> tok_emb, pos_emb;
  std::shared_ptr<Dropout> drop;
  std::shared_ptr<ModuleList> blocks;
  std::shared_ptr<LayerNorm> ln_f;
  std::shared_ptr<Linear> head;
};

}  // namespace

std::shared_ptr<Module> MakeActivation(const std::string& name) {
  if (name == "relu") return std::make_shared<ReLU>();
  if (name == "gelu") return std::make_shared<GELU>();
  if (name == "silu") return std::make_shared<SiLU>();
  if (name == "tanh") return std::make_shared<Tanh>();
  if (name == "sigmoid") return std::make_shared<Sigmoid>();
  TCH_CHECK(false, "unknown activation '", name,
            "' (expected relu, gelu, silu, tanh or sigmoid)");
  return nullptr;
}

std::shared_ptr<Module> MakeMlp(const MlpOptions& o, Generator* gen) {
  CheckPositive(o.in_features, "mlp", "in_features");
  CheckPositive(o.out_features, "mlp", "out_features");
  for (int64_t h : o.hidden) CheckPositive(h, "mlp", "hidden");
  CheckDropout(o.dropout, "mlp");
  MakeActivation(o.activation);  // validates the name up front
  auto net = std::make_shared<Sequential>();
  net->push_back(std::make_shared<Flatten>());
  int64_t in = o.in_features;
  for (int64_t h : o.hidden) {
    net->push_back(std::make_shared<Linear>(in, h, true, gen));
    net->push_back(MakeActivation(o.activation));
    if (o.dropout > 0)
      net->push_back(std::make_shared<Dropout>(o.dropout, gen));
    in = h;
  }
  net->push_back(std::make_shared<Linear>(in, o.out_features, true, gen));
  return net;
}

std::shared_ptr<Module> MakeCnn(const CnnOptions& o, Generator* gen) {
  CheckPositive(o.in_channels, "cnn", "in_channels");
  CheckPositive(o.height, "cnn", "height");
  CheckPositive(o.width, "cnn", "width");
  CheckPositive(o.num_classes, "cnn", "num_classes");
  TCH_CHECK(o.kernel_size > 0 && o.kernel_size % 2 == 1,
            "cnn: option 'kernel_size' must be a positive odd number, got ",
            o.kernel_size);
  CheckDropout(o.dropout, "cnn");
  auto net = std::make_shared<Sequential>();
  int64_t c = o.in_channels, h = o.height, w = o.width;
  for (int64_t out : o.channels) {
    CheckPositive(out, "cnn", "channels");
    net->push_back(
        std::make_shared<Conv2d>(Conv2dOptions{.in_channels = c,
                                               .out_channels = out,
                                               .kernel_size = {o.kernel_size},
                                               .padding = {o.kernel_size / 2},
                                               .bias = !o.batch_norm},
                                 gen));
    if (o.batch_norm) net->push_back(std::make_shared<BatchNorm2d>(out));
    net->push_back(std::make_shared<ReLU>());
    if (o.pool) {
      TCH_CHECK(h >= 2 && w >= 2, "cnn: a ", o.height, "x", o.width,
                " input is too small for ", o.channels.size(),
                " conv blocks with 2x2 pooling");
      net->push_back(std::make_shared<MaxPool2d>(std::vector<int64_t>{2}));
      h /= 2;
      w /= 2;
    }
    c = out;
  }
  net->push_back(std::make_shared<Flatten>());
  int64_t in = c * h * w;
  for (int64_t hidden : o.fc_hidden) {
    CheckPositive(hidden, "cnn", "fc_hidden");
    net->push_back(std::make_shared<Linear>(in, hidden, true, gen));
    net->push_back(std::make_shared<ReLU>());
    if (o.dropout > 0)
      net->push_back(std::make_shared<Dropout>(o.dropout, gen));
    in = hidden;
  }
  net->push_back(std::make_shared<Linear>(in, o.num_classes, true, gen));
  return net;
}

std::shared_ptr<Module> MakeResNet(const ResNetOptions& o, Generator* gen) {
  CheckPositive(o.in_channels, "resnet", "in_channels");
  CheckPositive(o.num_classes, "resnet", "num_classes");
  TCH_CHECK(!o.widths.empty() && o.widths.size() == o.blocks.size(),
            "resnet: options 'widths' and 'blocks' must be non-empty lists of "
            "the same length, got ",
            o.widths.size(), " and ", o.blocks.size());
  for (int64_t w : o.widths) CheckPositive(w, "resnet", "widths");
  for (int64_t b : o.blocks) CheckPositive(b, "resnet", "blocks");
  const int64_t shrink = int64_t{1} << (o.widths.size() - 1);
  TCH_CHECK(o.height >= shrink && o.width >= shrink, "resnet: a ", o.height,
            "x", o.width, " input is too small for ", o.widths.size(),
            " stages (each after the first halves the resolution)");
  return std::make_shared<ResNet>(o, gen);
}

std::shared_ptr<Module> MakeGpt(const GptOptions& o, Generator* gen) {
  CheckPositive(o.vocab_size, "gpt", "vocab_size");
  CheckPositive(o.context, "gpt", "context");
  CheckPositive(o.d_model, "gpt", "d_model");
  CheckPositive(o.n_heads, "gpt", "n_heads");
  CheckPositive(o.n_layers, "gpt", "n_layers");
  CheckPositive(o.mlp_ratio, "gpt", "mlp_ratio");
  CheckDropout(o.dropout, "gpt");
  TCH_CHECK(o.d_model % o.n_heads == 0, "gpt: d_model (", o.d_model,
            ") must be divisible by n_heads (", o.n_heads, ")");
  return std::make_shared<Gpt>(o, gen);
}

}  // namespace tch::nn
