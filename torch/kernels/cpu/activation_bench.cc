// Milliseconds per call of the training-step elementwise work of the CNN
// and GPT examples: activations forward and backward (the fused
// *_backward ops next to the composite formulas they replaced), batch norm
// forward and backward, dropout forward and backward. Each line is the
// minimum over repetitions (steadier than a mean on a shared machine) and
// the effective GB/s of the tensors the op must read and write.
//
//   bazel build //torch/kernels/cpu:activation_bench
//   TCH_NUM_THREADS=1 bazel-bin/torch/kernels/cpu/activation_bench [reps]
//       [act,bn,drop]   (sections to run; default all)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numbers>
#include <string>

#include "torch/core/generator.h"
#include "torch/core/norm_ops.h"
#include "torch/core/ops.h"
#include "torch/core/parallel.h"
#include "torch/core/pointwise_ops.h"
#include "torch/core/random_ops.h"

namespace tch {
namespace {

int g_reps = 20;

// Runs f g_reps times (after one warm-up call) and prints the fastest.
template <typename F>
void Time(const std::string& name, double megabytes, F&& f) {
  f();
  double best = 1e30;
  for (int r = 0; r < g_reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  std::printf("%-44s %8.3f ms %7.1f GB/s\n", name.c_str(), best * 1e3,
              megabytes / 1e3 / best);
}

Tensor Values(IntList sizes, double lo, double hi, uint64_t seed) {
  Generator gen(seed);
  Tensor t = empty(sizes, DType::kFloat32);
  uniform_(t, lo, hi, &gen);
  return t;
}

// The composite formulas tch::ad used before the fused ops.
Tensor OldReluGrad(const Tensor& g, const Tensor& out) {
  return where(le(out, 0), Scalar(0.0), g);
}
Tensor OldGeluGrad(const Tensor& g, const Tensor& x) {
  const double alpha = 1.0 / std::numbers::sqrt2;
  const double pdf_scale = std::numbers::inv_sqrtpi * alpha;
  Tensor cdf = mul(add(erf(mul(x, alpha)), 1.0), 0.5);
  Tensor pdf = mul(exp(mul(mul(x, x), -0.5)), pdf_scale);
  return mul(g, add(cdf, mul(x, pdf)));
}
Tensor OldSiluGrad(const Tensor& g, const Tensor& x) {
  Tensor s = sigmoid(x);
  return mul(mul(g, s), add(mul(x, sub(ones_like(s), s)), 1.0));
}

void Activations(IntList sizes, const char* tag) {
  const Tensor x = Values(sizes, -4, 4, 1), g = Values(sizes, -1, 1, 2);
  const double mb2 = 2.0 * x.numel() * 4 / 1e6, mb3 = 1.5 * mb2;
  const std::string t = std::string(" ") + tag;
  const Tensor y = relu(x);
  Time("relu" + t, mb2, [&] { relu(x); });
  Time("relu_backward" + t, mb3, [&] { relu_backward(g, y); });
  Time("  old: where(le(out, 0), 0, g)" + t, mb3, [&] { OldReluGrad(g, y); });
  Time("gelu" + t, mb2, [&] { gelu(x); });
  Time("gelu_backward" + t, mb3, [&] { gelu_backward(g, x); });
  Time("  old: erf/exp/mul/add chain" + t, mb3, [&] { OldGeluGrad(g, x); });
  Time("gelu_backward tanh" + t, mb3, [&] { gelu_backward(g, x, "tanh"); });
  Time("silu_backward" + t, mb3, [&] { silu_backward(g, x); });
  Time("  old: sigmoid/mul/sub/add chain" + t, mb3, [&] { OldSiluGrad(g, x); });
  const Tensor s = sigmoid(x);
  Time("sigmoid_backward" + t, mb3, [&] { sigmoid_backward(g, s); });
  Time("tanh_backward" + t, mb3, [&] { tanh_backward(g, s); });
}

void BatchNorm(IntList sizes, const char* tag) {
  const int64_t c = sizes[1];
  const Tensor x = Values(sizes, -2, 3, 3), g = Values(sizes, -1, 1, 4);
  const Tensor w = Values({c}, 0.5, 1.5, 5), b = Values({c}, -1, 1, 6);
  Tensor rm = zeros({c}), rv = ones({c});
  const double mb = x.numel() * 4 / 1e6;
  const std::string t = std::string(" ") + tag;
  const BatchNormResult r = batch_norm(x, rm, rv, w, b, true);
  Time("batch_norm train (read x, write y)" + t, 2 * mb,
       [&] { batch_norm(x, rm, rv, w, b, true); });
  Time("batch_norm eval" + t, 2 * mb,
       [&] { batch_norm(x, rm, rv, w, b, false); });
  Time("batch_norm_backward train (read dy, x; write dx)" + t, 3 * mb, [&] {
    batch_norm_backward(g, x, w, rm, rv, r.save_mean, r.save_invstd, true);
  });
}

void Dropout(IntList sizes, const char* tag) {
  const Tensor x = Values(sizes, -1, 1, 7);
  Generator gen(11);
  const DropoutResult d = dropout(x, 0.1, true, &gen);
  const double mb = x.numel() * 4 / 1e6, mask_mb = x.numel() / 1e6;
  const std::string t = std::string(" ") + tag;
  Time("dropout p=0.1 (read x; write y, mask)" + t, 2 * mb + mask_mb,
       [&] { dropout(x, 0.1, true, &gen); });
  Time("dropout_backward (read g, mask; write dx)" + t, 2 * mb + mask_mb,
       [&] { dropout_backward(x, d.mask, 0.1); });
}

}  // namespace
}  // namespace tch

// Arguments: [reps] [sections: any of "act", "bn", "drop"; default all].
int main(int argc, char** argv) {
  if (argc > 1) tch::g_reps = std::max(1, std::atoi(argv[1]));
  const std::string only = argc > 2 ? argv[2] : "act,bn,drop";
  std::printf("threads: %d, best of %d\n", tch::GetNumThreads(), tch::g_reps);
  if (only.find("act") != std::string::npos) {
    tch::Activations({128, 32, 28, 28}, "[128,32,28,28]");
    tch::Activations({32, 128, 512}, "[32,128,512]");
  }
  if (only.find("bn") != std::string::npos) {
    tch::BatchNorm({128, 32, 28, 28}, "[128,32,28,28]");
    tch::BatchNorm({128, 64, 14, 14}, "[128,64,14,14]");
    tch::BatchNorm({4096, 128}, "[4096,128]");
  }
  if (only.find("drop") != std::string::npos) {
    tch::Dropout({32, 4, 128, 128}, "[32,4,128,128]");
    tch::Dropout({32, 128, 128}, "[32,128,128]");
  }
  return 0;
}
