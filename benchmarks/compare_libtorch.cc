// tch against libtorch 1.13, side by side in one process: the same ops on
// the same shapes and inputs, timed alternately, printed as one table (tch
// time, libtorch time, their ratio, GFLOP/s, and the largest difference
// between the two results). Built and run by benchmarks/compare.sh; see
// benchmarks/README.md. This file is the libtorch half and main(); tch's
// half is compare_tch.cc (they never share a translation unit, because both
// frameworks have headers under torch/).
//
// Usage: compare_libtorch [--threads=1,2] [--filter=SUBSTRING]
//                         [--budget=SECONDS_PER_ROW] [--only=tch|libtorch]
//
// Threads: for T threads, tch runs with SetNumThreads(T) (its BLAS follows,
// Note [BLAS threads]); libtorch with torch::set_num_threads(T) and
// openblas_set_num_threads(T) (libtorch 1.13 does not set OpenBLAS's count
// itself; OPENBLAS_NUM_THREADS would do the same from the environment).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <string>
#include <vector>

#include "compare_cases.h"

extern "C" void openblas_set_num_threads(int num_threads);

namespace compare {
namespace {

// --- The table of cases ------------------------------------------------------
// Ops: "linear" x[n, in], w[out, in], b[out] -> addmm(b, x, w^T) (what
// nn.Linear runs); "mm", "addmm", "bmm", "matmul" as in torch; "bmm_nt"
// a[b, n, k], c[b, m, k] -> bmm(a, c^T) (attention scores q @ k^T).
// "relu", "gelu" (erf), "add" (broadcast), "sum" / "mean" (all elements),
// "sum_dim0", "softmax" (last dim) of their inputs.
// "cross_entropy" logits [N, C], int64 ids [N] (IndexRange) -> mean loss;
// "cross_entropy_fwd_bwd" -> the loss and d loss / d logits.
// "conv2d" x, w [O, C, k, k], b: stride 1, padding k / 2; "conv2d_bwd"
// x, w, b, grad_output -> grads of w, b, x ("conv2d_bwd_wb": w, b only).
// "max_pool2d" 2x2, stride 2 -> values and indices; "max_pool2d_bwd" x,
// grad_output -> grad_input (indices computed once, outside the timing).
// "batch_norm" x, weight,
// bias: training mode (running stats 0 / 1) -> output, batch mean, invstd.
// "layer_norm" x, weight [D], bias [D] -> output, mean, rstd. "embedding"
// weight [V, D], int64 ids. "sdpa_causal" q, k, v [B, h, T, E], causal.
std::vector<Case> Cases() {
  std::vector<Case> cases;
  auto linear = [&](const std::string& group, int64_t n, int64_t in,
                    int64_t out) {
    cases.push_back({group,
                     "linear",
                     {{n, in}, {out, in}, {out}},
                     "float32",
                     2.0 * n * in * out});
  };
  // MLP, batch 128: 784 -> 256 -> 128 -> 10.
  linear("mlp", 128, 784, 256);
  linear("mlp", 128, 256, 128);
  linear("mlp", 128, 128, 10);
  // The MLP's other ops: hidden activations, the bias add of an
  // un-fused linear, the loss (on logits [128, 10] and int64 class ids),
  // and the reductions of a training step (bias gradient = sum over the
  // batch; mean of the loss terms).
  for (int64_t width : {256, 128}) {
    cases.push_back({"mlp", "relu", {{128, width}}});
  }
  cases.push_back({"mlp", "add", {{128, 256}, {256}}});
  cases.push_back({"mlp", "cross_entropy", {{128, 10}, {128}}});
  cases.push_back({"mlp", "cross_entropy_fwd_bwd", {{128, 10}, {128}}});
  cases.push_back({"mlp", "sum_dim0", {{128, 256}}});
  cases.push_back({"mlp", "sum", {{128, 256}}});
  cases.push_back({"mlp", "mean", {{128, 256}}});
  // CNN on Fashion-MNIST, batch 128: conv 1 -> 32 (3x3, pad 1) on 28x28,
  // relu, 2x2 max pool, conv 32 -> 64 on 14x14, relu, pool, linear
  // 64*7*7 -> 128 -> 10. Batch norm (training) after each conv.
  const int64_t b = 128;
  auto conv = [&](int64_t c_in, int64_t c_out, int64_t hw) {
    const double flops = 2.0 * b * c_out * c_in * 9 * hw * hw;
    const std::vector<int64_t> x = {b, c_in, hw, hw}, w = {c_out, c_in, 3, 3},
                               y = {b, c_out, hw, hw};
    cases.push_back({"cnn", "conv2d", {x, w, {c_out}}, "float32", flops});
    // The first layer's input needs no gradient (autograd skips it).
    if (c_in == 1) {
      cases.push_back(
          {"cnn", "conv2d_bwd_wb", {x, w, {c_out}, y}, "float32", flops});
    } else {
      cases.push_back(
          {"cnn", "conv2d_bwd", {x, w, {c_out}, y}, "float32", 2 * flops});
    }
    cases.push_back({"cnn", "batch_norm", {y, {c_out}, {c_out}}});
    cases.push_back({"cnn", "relu", {y}});
    cases.push_back({"cnn", "max_pool2d", {y}});
    cases.push_back({"cnn", "max_pool2d_bwd", {y, {b, c_out, hw / 2, hw / 2}}});
  };
  conv(1, 32, 28);
  conv(32, 64, 14);
  linear("cnn", b, 64 * 7 * 7, 128);
  linear("cnn", b, 128, 10);
  // Small transformer: batch 128, seq 64, d_model 128, 4 heads of 32.
  const int64_t bt = 128 * 64, bh = 128 * 4, t = 64, dh = 32;
  linear("transformer", bt, 128, 384);  // qkv projection
  cases.push_back({"transformer",
                   "bmm_nt",
                   {{bh, t, dh}, {bh, t, dh}},
                   "float32",
                   2.0 * bh * t * t * dh});  // scores = q @ k^T
  cases.push_back({"transformer",
                   "bmm",
                   {{bh, t, dh}, {bh, dh, t}},
                   "float32",
                   2.0 * bh * t * t * dh});  // [B*h, T, 32] x [B*h, 32, T]
  cases.push_back({"transformer",
                   "bmm",
                   {{bh, t, t}, {bh, t, dh}},
                   "float32",
                   2.0 * bh * t * t * dh});  // attn @ v
  linear("transformer", bt, 128, 128);       // output projection
  linear("transformer", bt, 128, 512);       // feed-forward up
  linear("transformer", bt, 512, 128);       // feed-forward down
  cases.push_back({"transformer",
                   "matmul",
                   {{128, t, 128}, {128, 384}},
                   "float32",
                   2.0 * bt * 128 * 384});  // 3-D @ 2-D, folded
  // The transformer's other ops: token embedding (vocab 256), layer norm,
  // causal attention, residual add, feed-forward gelu, softmax over the
  // keys (the unfused attention's), and the loss over [B*T, vocab].
  const int64_t vocab = 256, d = 128;
  cases.push_back({"transformer", "embedding", {{vocab, d}, {128, t}}});
  cases.push_back({"transformer", "layer_norm", {{bt, d}, {d}, {d}}});
  cases.push_back({"transformer",
                   "sdpa_causal",
                   {{128, 4, t, dh}, {128, 4, t, dh}, {128, 4, t, dh}},
                   "float32",
                   4.0 * bh * t * t * dh});  // both products, full square
  cases.push_back({"transformer", "add", {{bt, d}, {bt, d}}});
  cases.push_back({"transformer", "gelu", {{bt, 4 * d}}});
  cases.push_back({"transformer", "softmax", {{bh, t, t}}});
  cases.push_back({"transformer", "cross_entropy", {{bt, vocab}, {bt}}});
  cases.push_back(
      {"transformer", "cross_entropy_fwd_bwd", {{bt, vocab}, {bt}}});
  // Square GEMMs.
  for (int64_t n : {256, 512, 1024, 2048}) {
    cases.push_back(
        {"gemm", "mm", {{n, n}, {n, n}}, "float32", 2.0 * n * n * n});
  }
  cases.push_back({"gemm",
                   "mm",
                   {{512, 512}, {512, 512}},
                   "float64",
                   2.0 * 512 * 512 * 512});
  cases.push_back({"gemm",
                   "mm",
                   {{512, 512}, {512, 512}},
                   "bfloat16",
                   2.0 * 512 * 512 * 512});
  cases.push_back(
      {"gemm", "mm", {{256, 256}, {256, 256}}, "int64", 2.0 * 256 * 256 * 256});
  return cases;
}

// --- libtorch's half ---------------------------------------------------------

torch::Dtype TorchDType(const std::string& name) {
  if (name == "float32") return torch::kFloat32;
  if (name == "float64") return torch::kFloat64;
  if (name == "float16") return torch::kFloat16;
  if (name == "bfloat16") return torch::kBFloat16;
  if (name == "int64") return torch::kInt64;
  if (name == "int32") return torch::kInt32;
  if (name == "uint8") return torch::kUInt8;
  throw std::runtime_error("libtorch: unknown dtype " + name);
}

torch::Tensor Make(const std::vector<int64_t>& shape, int seed,
                   torch::Dtype dtype) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  std::vector<float> v = Values(seed, n);
  return torch::from_blob(v.data(), shape, torch::kFloat32).clone().to(dtype);
}

Runner MakeTorchRunner(const Case& c) {
  torch::NoGradGuard no_grad;
  const torch::Dtype dtype = TorchDType(c.dtype);
  std::vector<torch::Tensor> in;
  for (size_t i = 0; i < c.shapes.size(); ++i) {
    const int64_t range = IndexRange(c, i);
    const int seed = static_cast<int>(i);
    if (range > 0) {
      int64_t n = 1;
      for (int64_t s : c.shapes[i]) n *= s;
      std::vector<int64_t> ids = Indices(seed, n, range);
      in.push_back(
          torch::from_blob(ids.data(), c.shapes[i], torch::kInt64).clone());
    } else {
      in.push_back(Make(c.shapes[i], seed, dtype));
    }
  }
  using Outputs = std::vector<torch::Tensor>;
  auto out = std::make_shared<Outputs>();
  std::function<Outputs()> fn;
  if (c.op == "mm") {
    fn = [in] { return Outputs{torch::mm(in[0], in[1])}; };
  } else if (c.op == "linear") {
    fn = [in] { return Outputs{torch::addmm(in[2], in[0], in[1].t())}; };
  } else if (c.op == "addmm") {
    fn = [in] { return Outputs{torch::addmm(in[0], in[1], in[2])}; };
  } else if (c.op == "bmm") {
    fn = [in] { return Outputs{torch::bmm(in[0], in[1])}; };
  } else if (c.op == "bmm_nt") {
    fn = [in] { return Outputs{torch::bmm(in[0], in[1].transpose(1, 2))}; };
  } else if (c.op == "matmul") {
    fn = [in] { return Outputs{torch::matmul(in[0], in[1])}; };
  } else if (c.op == "relu") {
    fn = [in] { return Outputs{torch::relu(in[0])}; };
  } else if (c.op == "gelu") {
    fn = [in] { return Outputs{torch::gelu(in[0])}; };
  } else if (c.op == "add") {
    fn = [in] { return Outputs{torch::add(in[0], in[1])}; };
  } else if (c.op == "sum") {
    fn = [in] { return Outputs{torch::sum(in[0])}; };
  } else if (c.op == "sum_dim0") {
    fn = [in] { return Outputs{torch::sum(in[0], {0})}; };
  } else if (c.op == "mean") {
    fn = [in] { return Outputs{torch::mean(in[0])}; };
  } else if (c.op == "softmax") {
    fn = [in] { return Outputs{torch::softmax(in[0], -1)}; };
  } else if (c.op == "cross_entropy") {
    // What F.cross_entropy runs: log_softmax, then nll_loss (mean).
    fn = [in] { return Outputs{at::cross_entropy_loss(in[0], in[1])}; };
  } else if (c.op == "cross_entropy_fwd_bwd") {
    // The ATen calls autograd makes for cross_entropy(x, t).backward(),
    // without the autograd graph: log_softmax and nll_loss forward, then
    // nll_loss and log_softmax backward with d loss = 1.
    fn = [in] {
      const int64_t mean = at::Reduction::Mean, ignore = -100;
      torch::Tensor logp = at::_log_softmax(in[0], 1, false);
      auto [loss, total_weight] =
          at::nll_loss_forward(logp, in[1], {}, mean, ignore);
      torch::Tensor grad_logp = at::nll_loss_backward(
          torch::ones_like(loss), logp, in[1], {}, mean, ignore, total_weight);
      torch::Tensor grad = at::_log_softmax_backward_data(grad_logp, logp, 1,
                                                          in[0].scalar_type());
      return Outputs{loss, grad};
    };
  } else if (c.op == "conv2d") {
    const int64_t pad = c.shapes[1][2] / 2;
    fn = [in, pad] {
      return Outputs{torch::conv2d(in[0], in[1], in[2], 1, pad)};
    };
  } else if (c.op == "conv2d_bwd" || c.op == "conv2d_bwd_wb") {
    // What autograd runs for conv2d's backward.
    const int64_t pad = c.shapes[1][2] / 2;
    const bool grad_input = c.op == "conv2d_bwd";
    const int64_t out_channels = c.shapes[1][0];
    fn = [in, pad, grad_input, out_channels] {
      const std::vector<int64_t> bias_sizes = {out_channels};
      auto [gx, gw, gb] = at::convolution_backward(
          in[3], in[0], in[1], bias_sizes, {1, 1}, {pad, pad}, {1, 1},
          /*transposed=*/false, {0, 0}, 1, {grad_input, true, true});
      Outputs o{gw, gb};
      if (grad_input) o.push_back(gx);
      return o;
    };
  } else if (c.op == "max_pool2d") {
    fn = [in] {
      auto [values, indices] =
          at::max_pool2d_with_indices(in[0], {2, 2}, {2, 2});
      return Outputs{values, indices};
    };
  } else if (c.op == "max_pool2d_bwd") {
    const torch::Tensor indices =
        std::get<1>(at::max_pool2d_with_indices(in[0], {2, 2}, {2, 2}));
    fn = [in, indices] {
      return Outputs{at::max_pool2d_with_indices_backward(
          in[1], in[0], {2, 2}, {2, 2}, {0, 0}, {1, 1}, false, indices)};
    };
  } else if (c.op == "batch_norm") {
    const int64_t channels = c.shapes[0][1];
    torch::Tensor running_mean = torch::zeros({channels});
    torch::Tensor running_var = torch::ones({channels});
    fn = [in, running_mean, running_var] {
      auto [y, save_mean, save_invstd] =
          at::native_batch_norm(in[0], in[1], in[2], running_mean, running_var,
                                /*training=*/true, 0.1, 1e-5);
      return Outputs{y, save_mean, save_invstd};
    };
  } else if (c.op == "layer_norm") {
    const int64_t d = c.shapes[1][0];
    fn = [in, d] {
      auto [y, mean, rstd] =
          at::native_layer_norm(in[0], {d}, in[1], in[2], 1e-5);
      return Outputs{y, mean, rstd};
    };
  } else if (c.op == "embedding") {
    fn = [in] { return Outputs{torch::embedding(in[0], in[1])}; };
  } else if (c.op == "sdpa_causal") {
    // libtorch 1.13's attention entry point; on CPU its math composition
    // (tril bool mask made additive, q k^T / sqrt(E), add, softmax, @ v).
    fn = [in] {
      return Outputs{std::get<0>(at::_scaled_dot_product_attention(
          in[0], in[1], in[2], {}, 0.0, /*need_attn_weights=*/false,
          /*is_causal=*/true))};
    };
  } else {
    throw std::runtime_error("libtorch: unknown comparison op '" + c.op + "'");
  }
  Runner r;
  r.run = [fn, out] {
    torch::NoGradGuard guard;
    *out = fn();
  };
  r.result = [out] {
    std::vector<float> all;
    for (const torch::Tensor& t : *out) {
      torch::Tensor f = t.to(torch::kFloat32).contiguous();
      all.insert(all.end(), f.data_ptr<float>(),
                 f.data_ptr<float>() + f.numel());
    }
    return all;
  };
  return r;
}

// --- Timing
// --------------------------------------------------------------------

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

struct Sample {
  double wall = 0, cpu = 0;  // seconds per call
};

// Wall and process-CPU seconds per call of `run`, over `calls` calls.
Sample TimeCalls(const std::function<void()>& run, int calls) {
  const double t0 = Now(), c0 = CpuNow();
  for (int i = 0; i < calls; ++i) run();
  return {(Now() - t0) / calls, (CpuNow() - c0) / calls};
}

// Best wall time and best CPU time over the samples.
Sample Best(const std::vector<Sample>& samples) {
  Sample best{INFINITY, INFINITY};
  for (const Sample& s : samples) {
    best.wall = std::min(best.wall, s.wall);
    best.cpu = std::min(best.cpu, s.cpu);
  }
  return best;
}

std::string ShapesText(const Case& c) {
  std::string s;
  for (const auto& shape : c.shapes) {
    if (!s.empty()) s += ",";
    for (size_t i = 0; i < shape.size(); ++i) {
      s += (i ? "x" : "") + std::to_string(shape[i]);
    }
  }
  return s;
}

// Largest |tch - libtorch| relative to the largest |libtorch| element.
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

// Which frameworks run: both, or one alone (then the other's columns repeat
// nothing: they show 0), to see each without the other's threads around.
std::string g_only;

void RunRow(const Case& c, int threads, double budget) {
  Runner tch_runner = MakeTchRunner(c);
  Runner torch_runner = MakeTorchRunner(c);
  const bool run_tch = g_only != "libtorch", run_torch = g_only != "tch";
  if (!run_tch) tch_runner.run = [] {};
  if (!run_torch) torch_runner.run = [] {};
  auto tch_run = [&] { tch_runner.run(); };
  auto torch_run = [&] {
    SetTorchThreads(threads);  // tch may have changed OpenBLAS's count
    torch_runner.run();
  };
  SetTchThreads(threads);
  // Warm up both, then pick a call count that makes a sample >= ~2 ms.
  for (int i = 0; i < 2; ++i) {
    tch_run();
    torch_run();
  }
  const double one =
      std::max(TimeCalls(tch_run, 1).wall, TimeCalls(torch_run, 1).wall);
  const int calls = std::max(1, static_cast<int>(2e-3 / std::max(one, 1e-7)));
  std::vector<Sample> t_tch, t_torch;
  const double start = Now();
  // Alternate the two so that load from elsewhere hits both alike.
  while ((Now() - start < budget && t_tch.size() < 200) || t_tch.size() < 5) {
    t_tch.push_back(TimeCalls(tch_run, calls));
    t_torch.push_back(TimeCalls(torch_run, calls));
  }
  const Sample a = Best(t_tch), b = Best(t_torch);
  const double diff =
      run_tch && run_torch
          ? RelativeDifference(tch_runner.result(), torch_runner.result())
          : NAN;
  // GFLOP/s columns only for cases with a FLOP count; 4 decimals of ms
  // (0.1 us) because the elementwise rows take a few microseconds.
  char tch_gflops[32] = "-", torch_gflops[32] = "-";
  if (c.flops > 0) {
    std::snprintf(tch_gflops, sizeof(tch_gflops), "%.1f",
                  c.flops / a.wall / 1e9);
    std::snprintf(torch_gflops, sizeof(torch_gflops), "%.1f",
                  c.flops / b.wall / 1e9);
  }
  char line[512];
  std::snprintf(line, sizeof(line),
                "| %-11s | %-7s %-22s | %-8s | %d | %9.4f | %9.4f | %5.2f | "
                "%9.4f | %9.4f | %7s | %7s | %7.1e |",
                c.group.c_str(), c.op.c_str(), ShapesText(c).c_str(),
                c.dtype.c_str(), threads, a.wall * 1e3, b.wall * 1e3,
                a.wall / b.wall, a.cpu * 1e3, b.cpu * 1e3, tch_gflops,
                torch_gflops, diff);
  std::printf("%s\n", line);
  std::fflush(stdout);
}

}  // namespace
}  // namespace compare

int main(int argc, char** argv) {
  std::vector<int> threads = {1, 2};
  std::string filter;
  double budget = 0.5;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--threads=", 0) == 0) {
      threads.clear();
      std::string list = arg.substr(10);
      size_t pos = 0;
      while (pos <= list.size()) {
        const size_t comma = list.find(',', pos);
        threads.push_back(std::atoi(list.substr(pos, comma - pos).c_str()));
        if (comma == std::string::npos) break;
        pos = comma + 1;
      }
    } else if (arg.rfind("--filter=", 0) == 0) {
      filter = arg.substr(9);
    } else if (arg.rfind("--only=", 0) == 0) {
      compare::g_only = arg.substr(7);
    } else if (arg.rfind("--budget=", 0) == 0) {
      budget = std::atof(arg.substr(9).c_str());
    } else {
      std::fprintf(stderr,
                   "usage: %s [--threads=1,2] [--filter=SUBSTRING] "
                   "[--budget=SECONDS] [--only=tch|libtorch]\n",
                   argv[0]);
      return 2;
    }
  }
  std::printf(
      "Times are the best of alternating samples, in ms per call: wall clock, "
      "and CPU time of the whole process (all threads, spin-waiting "
      "included); ratio = tch / libtorch wall time (< 1: tch faster); GF/s "
      "from the wall time; rel diff = max |tch - libtorch| / max "
      "|libtorch|.\n");
  // Which CPU backends libtorch's conv, pooling and batch norm can use.
  std::printf("libtorch %s, oneDNN (mkldnn) %s.\n\n", TORCH_VERSION,
              at::hasMKLDNN() && at::globalContext().userEnabledMkldnn()
                  ? "enabled"
                  : "not available");
  std::printf(
      "| group | op and input shapes | dtype | T | tch ms | libtorch ms | "
      "ratio | tch cpu ms | lt cpu ms | tch GF/s | lt GF/s | rel diff |\n");
  std::printf("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  try {
    for (const compare::Case& c : compare::Cases()) {
      const std::string label =
          c.group + " " + c.op + " " + compare::ShapesText(c) + " " + c.dtype;
      if (!filter.empty() && label.find(filter) == std::string::npos) continue;
      for (int t : threads) compare::RunRow(c, t, budget);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compare_libtorch: %s\n", e.what());
    return 1;
  }
  return 0;
}
