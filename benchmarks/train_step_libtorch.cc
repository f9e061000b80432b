// tch against libtorch 1.13 on autograd overhead and whole training steps,
// side by side in one process (benchmarks/README.md, "Autograd and training
// steps"). This file is libtorch's half and main(); tch's half is
// train_step_tch.cc, and train_step_cases.h defines the cases. Built and run
// by benchmarks/compare_training.sh.
//
// Usage: train_step_libtorch [--mode=autograd,step] [--threads=1,2]
//            [--models=mlp,cnn,gpt] [--budget=SECONDS_PER_ROW]
//            [--peak=GFLOPS_1_THREAD,GFLOPS_2_THREADS] [--only=tch|libtorch]
//
// Threads: tch runs with SetNumThreads(T); libtorch with
// torch::set_num_threads(T) and openblas_set_num_threads(T) (libtorch 1.13
// leaves OpenBLAS's own count alone), each set again before its samples.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "train_step_cases.h"

extern "C" void openblas_set_num_threads(int num_threads);

namespace trainbench {
namespace {

namespace F = torch::nn::functional;

// --- libtorch's models (torch::nn), named like tch's zoo -------------------

// nanoGPT's attention as written for PyTorch 1.13 (before F.sdpa): one
// in-projection, q k^T / sqrt(d), causal masked_fill, softmax, @ v. The
// parameter names follow nn.MultiheadAttention, as tch's do.
struct AttentionImpl : torch::nn::Module {
  AttentionImpl() {
    const int64_t e = kGptDModel;
    in_proj_weight =
        register_parameter("in_proj_weight", torch::empty({3 * e, e}));
    in_proj_bias = register_parameter("in_proj_bias", torch::zeros({3 * e}));
    out_proj = register_module("out_proj", torch::nn::Linear(e, e));
    mask = torch::ones({kGptContext, kGptContext}, torch::kBool).triu(1);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    const int64_t b = x.size(0), t = x.size(1), e = kGptDModel, h = kGptHeads,
                  dh = e / h;
    auto qkv = F::linear(x, in_proj_weight, in_proj_bias).split(e, 2);
    auto heads = [&](const torch::Tensor& m) {
      return m.view({b, t, h, dh}).transpose(1, 2);
    };
    torch::Tensor q = heads(qkv[0]), k = heads(qkv[1]), v = heads(qkv[2]);
    torch::Tensor att =
        torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(double(dh)));
    att = att.masked_fill(mask.slice(0, 0, t).slice(1, 0, t), -INFINITY);
    att = torch::softmax(att, -1);
    torch::Tensor y =
        torch::matmul(att, v).transpose(1, 2).contiguous().view({b, t, e});
    return out_proj(y);
  }
  torch::Tensor in_proj_weight, in_proj_bias, mask;
  torch::nn::Linear out_proj{nullptr};
};
TORCH_MODULE(Attention);

struct BlockImpl : torch::nn::Module {
  BlockImpl() {
    const int64_t e = kGptDModel;
    ln1 = register_module(
        "ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({e})));
    attn = register_module("attn", Attention());
    ln2 = register_module(
        "ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({e})));
    mlp = register_module(
        "mlp",
        torch::nn::Sequential(torch::nn::Linear(e, 4 * e), torch::nn::GELU(),
                              torch::nn::Linear(4 * e, e)));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = x + attn(ln1(x));
    return x + mlp->forward(ln2(x));
  }
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
  Attention attn{nullptr};
  torch::nn::Sequential mlp{nullptr};
};
TORCH_MODULE(Block);

// The head reuses tok_emb.weight (tied): registered once, so the optimizer
// updates it once.
struct GptImpl : torch::nn::Module {
  GptImpl() {
    tok_emb =
        register_module("tok_emb", torch::nn::Embedding(kGptVocab, kGptDModel));
    pos_emb = register_module("pos_emb",
                              torch::nn::Embedding(kGptContext, kGptDModel));
    blocks = register_module("blocks", torch::nn::ModuleList());
    for (int64_t i = 0; i < kGptLayers; ++i) {
      Block b;
      blocks->push_back(b);
      block_list.push_back(b);
    }
    ln_f = register_module(
        "ln_f",
        torch::nn::LayerNorm(torch::nn::LayerNormOptions({kGptDModel})));
  }
  torch::Tensor forward(const torch::Tensor& ids) {
    const int64_t t = ids.size(1);
    torch::Tensor x = tok_emb(ids) + pos_emb(torch::arange(t, torch::kLong));
    for (Block& b : block_list) x = b(x);
    return F::linear(ln_f(x), tok_emb->weight);
  }
  torch::nn::Embedding tok_emb{nullptr}, pos_emb{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  std::vector<Block> block_list;
  torch::nn::LayerNorm ln_f{nullptr};
};
TORCH_MODULE(Gpt);

std::shared_ptr<torch::nn::Module> MakeTorchModel(
    const std::string& model,
    std::function<torch::Tensor(const torch::Tensor&)>* forward) {
  namespace nn = torch::nn;
  if (model == "gpt") {
    Gpt gpt;
    *forward = [gpt](const torch::Tensor& x) mutable { return gpt(x); };
    return gpt.ptr();
  }
  nn::Sequential seq;
  if (model == "mlp") {
    seq = nn::Sequential(nn::Flatten(), nn::Linear(784, 256), nn::ReLU(),
                         nn::Linear(256, 128), nn::ReLU(), nn::Linear(128, 10));
  } else if (model == "cnn") {
    seq = nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 32, 3).padding(1)),
                         nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2)),
                         nn::Conv2d(nn::Conv2dOptions(32, 64, 3).padding(1)),
                         nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2)),
                         nn::Flatten(), nn::Linear(3136, 128), nn::ReLU(),
                         nn::Linear(128, 10));
  } else {
    throw std::runtime_error("libtorch: unknown model '" + model + "'");
  }
  *forward = [seq](const torch::Tensor& x) mutable { return seq->forward(x); };
  return seq.ptr();
}

// Copies tch's initial parameters into the libtorch model, by name.
void LoadParams(torch::nn::Module& m, const std::vector<Param>& params) {
  std::map<std::string, const Param*> by_name;
  for (const Param& p : params) by_name[p.name] = &p;
  torch::NoGradGuard no_grad;
  auto named = m.named_parameters();
  if (named.size() != params.size()) {
    throw std::runtime_error(
        "libtorch model has " + std::to_string(named.size()) +
        " parameters, tch's " + std::to_string(params.size()));
  }
  for (auto& item : named) {
    auto it = by_name.find(item.key());
    if (it == by_name.end()) {
      throw std::runtime_error("tch has no parameter " + item.key());
    }
    const Param& p = *it->second;
    torch::Tensor& t = item.value();
    if (t.sizes().vec() != p.shape) {
      throw std::runtime_error("parameter " + p.name + ": shapes differ");
    }
    t.copy_(torch::from_blob(const_cast<float*>(p.values.data()), p.shape,
                             torch::kFloat32));
  }
}

TrainStep MakeTorchTrainStep(const std::string& model, int64_t batch,
                             const std::vector<Param>& init) {
  const ModelShape s = ShapeOf(model, batch);
  auto forward =
      std::make_shared<std::function<torch::Tensor(const torch::Tensor&)>>();
  std::shared_ptr<torch::nn::Module> net = MakeTorchModel(model, forward.get());
  LoadParams(*net, init);
  net->train();
  std::shared_ptr<torch::optim::Optimizer> opt;
  if (model == "gpt") {
    opt = std::make_shared<torch::optim::AdamW>(
        net->parameters(), torch::optim::AdamWOptions(3e-3)
                               .betas(std::make_tuple(0.9, 0.95))
                               .weight_decay(0.1));
  } else {
    opt = std::make_shared<torch::optim::Adam>(net->parameters(),
                                               torch::optim::AdamOptions(1e-3));
  }
  torch::Tensor input;
  if (s.int_input) {
    std::vector<int64_t> ids = InputIds(s);
    input = torch::tensor(ids, torch::kLong).view(s.input);
  } else {
    std::vector<float> v = InputValues(s);
    input = torch::tensor(v, torch::kFloat32).view(s.input);
  }
  const torch::Tensor target = torch::tensor(Targets(s), torch::kLong);
  auto loss = std::make_shared<torch::Tensor>();
  const int64_t classes = s.classes;
  TrainStep t;
  t.forward = [net, forward, input, target, loss, classes] {
    torch::Tensor logits = (*forward)(input);
    *loss = F::cross_entropy(logits.view({-1, classes}), target);
  };
  t.backward = [loss] { loss->backward(); };
  // libtorch 1.13's C++ zero_grad() zeroes the grads in place (it has no
  // set_to_none); backward then accumulates into them.
  t.update = [opt] {
    opt->step();
    opt->zero_grad();
  };
  t.loss = [loss] { return loss->item<float>(); };
  t.parameters = [] { return std::vector<Param>{}; };
  return t;
}

// --- libtorch's autograd chains --------------------------------------------

torch::Tensor RunChain(bool mixed, torch::Tensor x, const torch::Tensor& w) {
  if (!mixed) {
    for (int i = 0; i < kChainOps / 2; ++i) {
      x = x * 1.0001;
      x = x + 0.0001;
    }
    return x;
  }
  for (int i = 0; i < kChainOps / 4; ++i) {
    torch::Tensor h = torch::matmul(x, w);
    h = torch::tanh(h);
    x = h + x;
    x = x * 0.5;
  }
  return x;
}

Chain MakeTorchChain(const std::string& kind) {
  const bool mixed = kind == "mixed8x8";
  const std::vector<int64_t> shape = ChainShape(kind);
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  torch::Tensor x =
      torch::tensor(compare::Values(0, n)).view(shape).requires_grad_(true);
  torch::Tensor w;
  if (mixed) {
    w = (torch::tensor(compare::Values(1, 64)).view({8, 8}) * 0.3)
            .requires_grad_(true);
  }
  Chain c;
  c.no_grad = [mixed, x, w] {
    torch::NoGradGuard guard;
    RunChain(mixed, x, w);
  };
  c.record = [mixed, x, w] { RunChain(mixed, x, w); };
  c.record_backward = [mixed, x, w]() mutable {
    x.mutable_grad().reset();  // set_to_none, as tch's zero_grad
    if (mixed) w.mutable_grad().reset();
    RunChain(mixed, x, w).sum().backward();
  };
  c.grads = [mixed, x, w] {
    auto flat = [](const torch::Tensor& t) {
      torch::Tensor f = t.contiguous().to(torch::kFloat32);
      return std::vector<float>(f.data_ptr<float>(),
                                f.data_ptr<float>() + f.numel());
    };
    std::vector<float> g = flat(x.grad());
    if (mixed) {
      std::vector<float> gw = flat(w.grad());
      g.insert(g.end(), gw.begin(), gw.end());
    }
    return g;
  };
  return c;
}

// --- Timing
// -------------------------------------------------------------------

double Now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// CPU seconds used by the whole process (every thread, spinning included).
double CpuNow() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) +
         1e-9 * static_cast<double>(ts.tv_nsec);
}

double Median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

double Best(const std::vector<double>& v) {
  return v.empty() ? NAN : *std::min_element(v.begin(), v.end());
}

double RelativeDifference(const std::vector<float>& a,
                          const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::fabs(double(a[i]) - double(b[i])));
    scale = std::max(scale, std::fabs(double(b[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

void SetTorchThreads(int threads) {
  torch::set_num_threads(threads);
  openblas_set_num_threads(threads);
}

std::string g_only;  // "", "tch" or "libtorch"
bool RunTch() { return g_only != "libtorch"; }
bool RunTorch() { return g_only != "tch"; }

// Seconds per call of `fn` over `calls` calls (wall, process CPU).
std::pair<double, double> TimeCalls(const std::function<void()>& fn,
                                    int calls) {
  const double t0 = Now(), c0 = CpuNow();
  for (int i = 0; i < calls; ++i) fn();
  return {(Now() - t0) / calls, (CpuNow() - c0) / calls};
}

// Best seconds per call of each of the three chain functions, sampling tch
// and libtorch alternately.
struct ChainTimes {
  double no_grad = NAN, record = NAN, record_backward = NAN;
};

void RunChainRow(const std::string& kind, int threads, double budget) {
  Chain a = MakeTchChain(kind), b = MakeTorchChain(kind);
  using Member = std::function<void()> Chain::*;
  const Member members[3] = {&Chain::no_grad, &Chain::record,
                             &Chain::record_backward};
  int calls[3];
  for (int m = 0; m < 3; ++m) {
    const std::function<void()>&fa = a.*members[m], &fb = b.*members[m];
    for (int i = 0; i < 20; ++i) {
      if (RunTch()) fa();
      if (RunTorch()) fb();
    }
    const double one = std::max(TimeCalls(RunTch() ? fa : fb, 5).first, 1e-7);
    calls[m] = std::max(1, static_cast<int>(2e-3 / one));
  }
  // Every round times all six (three functions, two frameworks), so that
  // load from elsewhere hits them alike; the best of the rounds is kept.
  std::vector<double> sa[3], sb[3];
  const double start = Now();
  for (int n = 0; (Now() - start < budget && n < 500) || n < 5; ++n) {
    for (int m = 0; m < 3; ++m) {
      if (RunTch()) {
        SetTchThreads(threads);
        sa[m].push_back(TimeCalls(a.*members[m], calls[m]).first);
      }
      if (RunTorch()) {
        SetTorchThreads(threads);
        sb[m].push_back(TimeCalls(b.*members[m], calls[m]).first);
      }
    }
  }
  const ChainTimes ta{Best(sa[0]), Best(sa[1]), Best(sa[2])},
      tb{Best(sb[0]), Best(sb[1]), Best(sb[2])};
  const double diff =
      RunTch() && RunTorch() ? RelativeDifference(a.grads(), b.grads()) : NAN;
  const double us = 1e6 / kChainOps;
  std::printf(
      "| %-8s | %d | %6.2f | %6.2f | %6.2f | %6.2f | %6.2f | %6.2f | %6.2f "
      "| %6.2f | %5.2f | %7.1e |\n",
      kind.c_str(), threads, ta.no_grad * us, tb.no_grad * us,
      (ta.record - ta.no_grad) * us, (tb.record - tb.no_grad) * us,
      (ta.record_backward - ta.record) * us,
      (tb.record_backward - tb.record) * us, ta.record_backward * us,
      tb.record_backward * us, ta.record_backward / tb.record_backward, diff);
  std::fflush(stdout);
}

// Per-step times of one side over the samples of a row.
struct StepTimes {
  std::vector<double> wall, cpu, fwd, bwd, upd;  // seconds per step
  void Run(const TrainStep& t, int steps) {
    double w = 0, f = 0, b = 0, u = 0;
    const double c0 = CpuNow();
    for (int i = 0; i < steps; ++i) {
      const double t0 = Now();
      t.forward();
      const double t1 = Now();
      t.backward();
      const double t2 = Now();
      t.update();
      const double t3 = Now();
      f += t1 - t0;
      b += t2 - t1;
      u += t3 - t2;
      w += t3 - t0;
    }
    cpu.push_back((CpuNow() - c0) / steps);
    wall.push_back(w / steps);
    fwd.push_back(f / steps);
    bwd.push_back(b / steps);
    upd.push_back(u / steps);
  }
};

std::map<int, double> g_peak;  // threads -> FP32 FMA peak, GFLOP/s

void RunStepRow(const std::string& model, int64_t batch, int threads,
                double budget, std::vector<std::string>* phase_lines) {
  SetTchThreads(threads);
  TrainStep a = MakeTchTrainStep(model, batch);
  TrainStep b = MakeTorchTrainStep(model, batch, a.parameters());
  // The first step's loss (same initial parameters and batch) checks that
  // both sides compute the same model.
  float loss_a = NAN, loss_b = NAN;
  if (RunTch()) {
    a.step();
    loss_a = a.loss();
  }
  SetTorchThreads(threads);
  if (RunTorch()) {
    b.step();
    loss_b = b.loss();
  }
  // Warm-up, then samples of `steps` steps (>= ~30 ms) alternately.
  SetTchThreads(threads);
  double one = 0;
  if (RunTch()) {
    a.step();
    one = TimeCalls([&] { a.step(); }, 1).first;
  }
  SetTorchThreads(threads);
  if (RunTorch()) {
    b.step();
    one = std::max(one, TimeCalls([&] { b.step(); }, 1).first);
  }
  const int steps = std::max(1, static_cast<int>(0.03 / one));
  StepTimes ta, tb;
  const double start = Now();
  for (int n = 0; (Now() - start < budget && n < 200) || n < 5; ++n) {
    if (RunTch()) {
      SetTchThreads(threads);
      ta.Run(a, steps);
    }
    if (RunTorch()) {
      SetTorchThreads(threads);
      tb.Run(b, steps);
    }
  }
  const double flops = StepFlops(model, batch);
  const double ma = Median(ta.wall), mb = Median(tb.wall);
  auto gflops = [&](double sec) {
    char s[48];
    const double g = flops / sec / 1e9;
    auto peak = g_peak.find(threads);
    if (std::isnan(sec)) {
      std::snprintf(s, sizeof(s), "-");
    } else if (peak != g_peak.end()) {
      std::snprintf(s, sizeof(s), "%.1f (%.0f%%)", g, 100 * g / peak->second);
    } else {
      std::snprintf(s, sizeof(s), "%.1f", g);
    }
    return std::string(s);
  };
  const double ba = Best(ta.wall), bb = Best(tb.wall);
  std::printf(
      "| %-3s | %3lld | %d | %8.3f | %8.3f | %5.2f | %8.3f | %8.3f | %5.2f | "
      "%8.3f | %8.3f | %7.0f | %7.0f | %s | %s | %.4f / %.4f |\n",
      model.c_str(), static_cast<long long>(batch), threads, ma * 1e3, mb * 1e3,
      ma / mb, ba * 1e3, bb * 1e3, ba / bb, Median(ta.cpu) * 1e3,
      Median(tb.cpu) * 1e3, batch / ba, batch / bb, gflops(ba).c_str(),
      gflops(bb).c_str(), loss_a, loss_b);
  std::fflush(stdout);
  char line[512];
  std::snprintf(
      line, sizeof(line),
      "| %-3s | %d | %7.3f | %7.3f | %7.3f | %7.3f | %7.3f | %7.3f "
      "| %5.2f / %5.2f / %5.2f |",
      model.c_str(), threads, Median(ta.fwd) * 1e3, Median(tb.fwd) * 1e3,
      Median(ta.bwd) * 1e3, Median(tb.bwd) * 1e3, Median(ta.upd) * 1e3,
      Median(tb.upd) * 1e3, Median(ta.fwd) / Median(tb.fwd),
      Median(ta.bwd) / Median(tb.bwd), Median(ta.upd) / Median(tb.upd));
  phase_lines->push_back(line);
}

std::vector<std::string> SplitList(const std::string& list) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= list.size()) {
    const size_t comma = list.find(',', pos);
    out.push_back(list.substr(pos, comma - pos));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

}  // namespace
}  // namespace trainbench

int main(int argc, char** argv) {
  using trainbench::SplitList;
  std::vector<std::string> modes = {"autograd", "step"};
  std::vector<std::string> models = {"mlp", "cnn", "gpt"};
  std::vector<int> threads = {1, 2};
  double budget = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* key) -> const char* {
      const size_t n = std::strlen(key);
      return arg.compare(0, n, key) == 0 ? arg.c_str() + n : nullptr;
    };
    if (const char* v = value("--mode=")) {
      modes = SplitList(v);
    } else if (const char* v = value("--models=")) {
      models = SplitList(v);
    } else if (const char* v = value("--threads=")) {
      threads.clear();
      for (const std::string& t : SplitList(v))
        threads.push_back(std::atoi(t.c_str()));
    } else if (const char* v = value("--budget=")) {
      budget = std::atof(v);
    } else if (const char* v = value("--only=")) {
      trainbench::g_only = v;
    } else if (const char* v = value("--peak=")) {
      std::vector<std::string> p = SplitList(v);
      for (size_t k = 0; k < p.size(); ++k) {
        trainbench::g_peak[static_cast<int>(k) + 1] = std::atof(p[k].c_str());
      }
    } else {
      std::fprintf(stderr,
                   "usage: %s [--mode=autograd,step] [--threads=1,2] "
                   "[--models=mlp,cnn,gpt] [--budget=SECONDS_PER_ROW] "
                   "[--peak=GF1,GF2] [--only=tch|libtorch]\n",
                   argv[0]);
      return 2;
    }
  }
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "(unset)";
  };
  std::printf(
      "libtorch %s, oneDNN (mkldnn) %s; OPENBLAS_CORETYPE=%s, "
      "OMP_WAIT_POLICY=%s\n\n",
      TORCH_VERSION,
      at::hasMKLDNN() && at::globalContext().userEnabledMkldnn()
          ? "enabled"
          : "not available",
      env("OPENBLAS_CORETYPE"), env("OMP_WAIT_POLICY"));
  try {
    for (const std::string& mode : modes) {
      if (mode == "autograd") {
        std::printf(
            "Autograd chains of %d ops (then sum, backward): microseconds per "
            "op, best sample. no-grad = the ops under NoGradGuard; record = "
            "extra time to record the graph; backward = extra time of "
            "backward (incl. sum and grad accumulation); total = record + "
            "backward pass; ratio = tch / libtorch total.\n",
            trainbench::kChainOps);
        for (const char* k : {"scalar16", "mixed8x8"}) {
          std::printf("  %s: %s\n", k, trainbench::ChainDescription(k));
        }
        std::printf(
            "\n| chain | T | tch no-grad | lt no-grad | tch record | lt record "
            "| tch backward | lt backward | tch total | lt total | ratio | "
            "grad rel diff |\n|---|---|---:|---:|---:|---:|---:|---:|---:|"
            "---:|---:|---:|\n");
        for (const char* k : {"scalar16", "mixed8x8"}) {
          for (int t : threads) trainbench::RunChainRow(k, t, budget);
        }
        std::printf("\n");
      } else if (mode == "step") {
        std::printf(
            "Training steps (forward, cross-entropy, backward, optimizer "
            "step, zero_grad) on a fixed batch, tch and libtorch sampled "
            "alternately: ms per step, median and best sample (a sample = "
            "the mean of >= 30 ms of steps); ratio = tch / libtorch time (< "
            "1: tch faster); cpu = CPU time of the whole process per step "
            "(median; excludes time slices taken by other processes, "
            "includes spin-waiting); samples/s and GFLOP/s (matrix products "
            "and convolutions only, StepFlops; in brackets the share of the "
            "FP32 FMA peak) from the best sample; first-step loss tch / "
            "libtorch (same initial parameters and batch).\n");
        for (const std::string& m : models) {
          std::printf("  %s: %s\n", m.c_str(), trainbench::ModelDescription(m));
        }
        std::printf(
            "\n| model | batch | T | tch ms | lt ms | ratio | tch best | lt "
            "best | ratio best | tch cpu | lt cpu | tch samples/s | lt "
            "samples/s | tch GFLOP/s | lt GFLOP/s | first loss tch / lt "
            "|\n|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            "---:|---:|---:|---|\n");
        std::vector<std::string> phases;
        for (const std::string& m : models) {
          const int64_t batch = m == "gpt" ? 32 : 128;
          for (int t : threads) {
            trainbench::RunStepRow(m, batch, t, budget, &phases);
          }
        }
        std::printf(
            "\nPhases (median ms per step): forward (incl. loss), backward, "
            "optimizer step + zero_grad; ratios tch / libtorch.\n\n| model "
            "| T | tch fwd | lt fwd | tch bwd | lt bwd | tch opt | lt opt | "
            "ratio fwd / bwd / opt |\n|---|---|---:|---:|---:|---:|---:|---:"
            "|---|\n");
        for (const std::string& l : phases) std::printf("%s\n", l.c_str());
        std::printf("\n");
      } else {
        std::fprintf(stderr, "unknown mode '%s'\n", mode.c_str());
        return 2;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_step_libtorch: %s\n", e.what());
    return 1;
  }
  return 0;
}
