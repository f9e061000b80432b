// Norm-family ops against PyTorch 1.13 goldens (tests/golden/norm_golden.py
// writes them): every case of the fixture runs forward and backward, with
// its main input contiguous, transposed (reversed strides) and sliced with
// step 2. Then expanded inputs, thread-count independence, large inputs and
// the errors users can cause.
//
// Tolerances (|actual - expected| <= atol + rtol * |expected|):
//   float64  rtol 1e-9, atol 1e-11   (both sides compute in double)
//   float32  forward rtol 2e-5, atol 2e-6; gradients rtol 1e-4, atol 2e-5
//            (float sums in a different order than PyTorch's)
//   bf16     rtol 2e-2, atol 2e-2    (one bf16 rounding on each side)
//   float16  rtol 4e-3, atol 4e-3
#include "torch/core/norm_ops.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "hwy/highway.h"
#include "hwy/targets.h"
#include "torch/core/ops.h"
#include "torch/core/parallel.h"
#include "torch/testing/tensor_matchers.h"

namespace tch {
namespace {

using ::tch::testing::TensorsClose;
using ::testing::HasSubstr;

constexpr char kGoldenPath[] = "tests/golden/norm.safetensors";

const std::map<std::string, Tensor>& Golden() {
  return tch::testing::CachedGolden(kGoldenPath);
}

// The "<kind>.<case>" prefixes of every case of `kind`.
std::vector<std::string> Cases(const std::string& kind) {
  std::set<std::string> cases;
  for (const auto& [name, tensor] : Golden()) {
    if (name.rfind(kind + ".", 0) != 0) continue;
    cases.insert(name.substr(0, name.rfind('.')));
  }
  EXPECT_FALSE(cases.empty()) << "no golden cases for " << kind;
  return {cases.begin(), cases.end()};
}

bool Has(const std::string& c, const std::string& name) {
  return Golden().count(c + "." + name) > 0;
}
Tensor Get(const std::string& c, const std::string& name) {
  auto it = Golden().find(c + "." + name);
  if (it == Golden().end()) {
    ADD_FAILURE() << "missing golden tensor " << c << "." << name;
    return zeros({});
  }
  return it->second;
}
Tensor GetOptional(const std::string& c, const std::string& name) {
  return Has(c, name) ? Get(c, name) : Tensor();
}
int64_t Int(const std::string& c, const std::string& name) {
  return Get(c, name).item<int64_t>();
}
double Double(const std::string& c, const std::string& name) {
  return Get(c, name).item<double>();
}

struct Tol {
  double rtol, atol;
};
Tol ForwardTol(DType d) {
  switch (d) {
    case DType::kFloat64:
      return {1e-9, 1e-11};
    case DType::kBFloat16:
      return {2e-2, 2e-2};
    case DType::kFloat16:
      return {4e-3, 4e-3};
    default:
      return {2e-5, 2e-6};
  }
}
Tol GradTol(DType d) {
  return d == DType::kFloat32 ? Tol{1e-4, 2e-5} : ForwardTol(d);
}

::testing::AssertionResult Close(const Tensor& actual, const Tensor& expected,
                                 Tol tol) {
  if (actual.dtype() != expected.dtype()) {
    return ::testing::AssertionFailure()
           << "dtype " << actual.dtype() << " != " << expected.dtype();
  }
  return TensorsClose(actual, expected, tol.rtol, tol.atol);
}

// The same values with reversed strides (a transposed layout).
Tensor Transposed(const Tensor& x) {
  if (x.dim() < 2) return x;
  std::vector<int64_t> perm(x.dim());
  std::iota(perm.rbegin(), perm.rend(), 0);
  const Shape reversed(x.sizes().rbegin(), x.sizes().rend());
  Tensor buffer = empty(reversed, x.dtype());
  buffer.copy_(x.permute(perm));
  return buffer.permute(perm);
}

// The same values as every other element of a buffer twice as wide.
Tensor Stepped(const Tensor& x) {
  if (x.dim() == 0) return x;
  Shape wide = x.sizes();
  wide.back() *= 2;
  Tensor buffer = zeros(wide, x.dtype());
  Tensor view = buffer.slice(-1, 0, wide.back(), 2);
  view.copy_(x);
  return view;
}

std::vector<Tensor> Layouts(const Tensor& x) {
  return {x, Transposed(x), Stepped(x)};
}

Reduction ReductionOf(const std::string& c) {
  return static_cast<Reduction>(Int(c, "reduction"));
}

// --- Goldens -----------------------------------------------------------------

TEST(NormGoldenTest, SoftmaxAndLogSoftmax) {
  for (const std::string& c : Cases("softmax")) {
    SCOPED_TRACE(c);
    const Tensor x = Get(c, "x"), expected = Get(c, "out");
    const int64_t dim = Int(c, "dim");
    const bool log = Int(c, "log") != 0;
    const std::optional<DType> dtype =
        Int(c, "to_f64") ? std::optional<DType>(DType::kFloat64) : std::nullopt;
    for (const Tensor& xi : Layouts(x)) {
      const Tensor out =
          log ? log_softmax(xi, dim, dtype) : softmax(xi, dim, dtype);
      EXPECT_TRUE(Close(out, expected, ForwardTol(expected.dtype())));
    }
    if (!Has(c, "gx")) continue;
    const Tensor gy = Get(c, "gy");
    for (const Tensor& gi : Layouts(gy)) {
      const Tensor gx = log ? log_softmax_backward(gi, expected, dim)
                            : softmax_backward(gi, expected, dim);
      EXPECT_TRUE(Close(gx, Get(c, "gx"), GradTol(expected.dtype())));
    }
  }
}

TEST(NormGoldenTest, LayerNorm) {
  for (const std::string& c : Cases("layer_norm")) {
    SCOPED_TRACE(c);
    const Tensor x = Get(c, "x");
    const Tensor w = GetOptional(c, "w"), b = GetOptional(c, "b");
    const int64_t nd = Int(c, "ndim");
    const Shape nshape(x.sizes().end() - nd, x.sizes().end());
    const double eps = Double(c, "eps");
    Tol tol = ForwardTol(x.dtype());
    const Tol gtol = GradTol(x.dtype());
    // Inputs around 100 carry float32 rounding of 7.6e-6 (one ulp of 100)
    // into x - mean on both sides; PyTorch itself is 1.3e-5 off float64.
    if (c == "layer_norm.offset") tol.atol = 2e-5;
    for (const Tensor& xi : Layouts(x)) {
      const LayerNormResult r = layer_norm(xi, nshape, w, b, eps);
      EXPECT_TRUE(Close(r.output, Get(c, "out"), tol));
      EXPECT_TRUE(Close(r.mean, Get(c, "mean"), tol));
      EXPECT_TRUE(Close(r.rstd, Get(c, "rstd"), tol));
      const NormBackwardResult g = layer_norm_backward(
          Get(c, "gy"), xi, nshape, Get(c, "mean"), Get(c, "rstd"), w, b);
      EXPECT_TRUE(Close(g.grad_input, Get(c, "gx"), gtol));
      if (w.defined()) {
        EXPECT_TRUE(Close(g.grad_weight, Get(c, "gw"), gtol));
      }
      if (b.defined()) {
        EXPECT_TRUE(Close(g.grad_bias, Get(c, "gb"), gtol));
      }
    }
  }
}

TEST(NormGoldenTest, BatchNorm) {
  for (const std::string& c : Cases("batch_norm")) {
    SCOPED_TRACE(c);
    const Tensor x = Get(c, "x");
    const Tensor w = GetOptional(c, "w"), b = GetOptional(c, "b");
    const bool training = Int(c, "training") != 0;
    const double momentum = Double(c, "momentum"), eps = Double(c, "eps");
    const Tol tol = ForwardTol(x.dtype()), gtol = GradTol(x.dtype());
    for (const Tensor& xi : Layouts(x)) {
      const Tensor rm = Has(c, "rm") ? Get(c, "rm").clone() : Tensor();
      const Tensor rv = Has(c, "rv") ? Get(c, "rv").clone() : Tensor();
      const BatchNormResult r =
          batch_norm(xi, rm, rv, w, b, training, momentum, eps);
      EXPECT_TRUE(Close(r.output, Get(c, "out"), tol));
      EXPECT_TRUE(Close(r.save_mean, Get(c, "save_mean"), tol));
      EXPECT_TRUE(Close(r.save_invstd, Get(c, "save_invstd"), tol));
      if (rm.defined()) {
        EXPECT_TRUE(Close(rm, Get(c, "rm_out"), tol));
        EXPECT_TRUE(Close(rv, Get(c, "rv_out"), tol));
      }
      const NormBackwardResult g = batch_norm_backward(
          Get(c, "gy"), xi, w, GetOptional(c, "rm"), GetOptional(c, "rv"),
          r.save_mean, r.save_invstd, training, eps);
      EXPECT_TRUE(Close(g.grad_input, Get(c, "gx"), gtol));
      if (w.defined()) {
        EXPECT_TRUE(Close(g.grad_weight, Get(c, "gw"), gtol));
      }
      if (b.defined()) {
        EXPECT_TRUE(Close(g.grad_bias, Get(c, "gb"), gtol));
      }
    }
  }
}

TEST(NormGoldenTest, GroupNorm) {
  for (const std::string& c : Cases("group_norm")) {
    SCOPED_TRACE(c);
    const Tensor x = Get(c, "x");
    const Tensor w = GetOptional(c, "w"), b = GetOptional(c, "b");
    const int64_t groups = Int(c, "groups");
    const double eps = Double(c, "eps");
    const Tol tol = ForwardTol(x.dtype()), gtol = GradTol(x.dtype());
    for (const Tensor& xi : Layouts(x)) {
      const GroupNormResult r = group_norm(xi, groups, w, b, eps);
      EXPECT_TRUE(Close(r.output, Get(c, "out"), tol));
      EXPECT_TRUE(Close(r.mean, Get(c, "mean"), tol));
      EXPECT_TRUE(Close(r.rstd, Get(c, "rstd"), tol));
      const NormBackwardResult g = group_norm_backward(
          Get(c, "gy"), xi, Get(c, "mean"), Get(c, "rstd"), w, groups);
      EXPECT_TRUE(Close(g.grad_input, Get(c, "gx"), gtol));
      if (w.defined()) {
        EXPECT_TRUE(Close(g.grad_weight, Get(c, "gw"), gtol));
      }
      if (b.defined()) {
        EXPECT_TRUE(Close(g.grad_bias, Get(c, "gb"), gtol));
      }
    }
  }
}

void CheckClassLoss(const std::string& kind, bool logits) {
  for (const std::string& c : Cases(kind)) {
    SCOPED_TRACE(c);
    const Tensor x = Get(c, "x"), target = Get(c, "target");
    ClassLossOptions options;
    options.weight = GetOptional(c, "weight");
    options.ignore_index = Int(c, "ignore_index");
    options.reduction = ReductionOf(c);
    options.label_smoothing = Double(c, "label_smoothing");
    const Tol tol = ForwardTol(x.dtype()), gtol = GradTol(x.dtype());
    for (const Tensor& xi : Layouts(x)) {
      for (const Tensor& ti : {target, Stepped(target)}) {
        const Tensor out =
            logits ? cross_entropy(xi, ti, options) : nll_loss(xi, ti, options);
        EXPECT_TRUE(Close(out, Get(c, "out"), tol));
        const Tensor gx =
            logits ? cross_entropy_backward(Get(c, "gy"), xi, ti, options)
                   : nll_loss_backward(Get(c, "gy"), xi, ti, options);
        EXPECT_TRUE(Close(gx, Get(c, "gx"), gtol));
      }
    }
  }
}

TEST(NormGoldenTest, CrossEntropy) { CheckClassLoss("cross_entropy", true); }
TEST(NormGoldenTest, NllLoss) { CheckClassLoss("nll_loss", false); }

void CheckPointwiseLoss(const std::string& kind) {
  for (const std::string& c : Cases(kind)) {
    SCOPED_TRACE(c);
    const Tensor x = Get(c, "x"), t = Get(c, "target");
    const Reduction red = ReductionOf(c);
    const double beta = Double(c, "beta");
    const Tensor w = GetOptional(c, "weight");
    const Tensor pw = GetOptional(c, "pos_weight");
    const Tol tol = ForwardTol(x.dtype()), gtol = GradTol(x.dtype());
    for (const Tensor& xi : Layouts(x)) {
      Tensor out, gx;
      const Tensor gy = Get(c, "gy");
      if (kind == "mse") {
        out = mse_loss(xi, t, red);
        gx = mse_loss_backward(gy, xi, t, red);
      } else if (kind == "l1") {
        out = l1_loss(xi, t, red);
        gx = l1_loss_backward(gy, xi, t, red);
      } else if (kind == "smooth_l1") {
        out = smooth_l1_loss(xi, t, red, beta);
        gx = smooth_l1_loss_backward(gy, xi, t, red, beta);
      } else {
        out = binary_cross_entropy_with_logits(xi, t, w, pw, red);
        gx = binary_cross_entropy_with_logits_backward(gy, xi, t, w, pw, red);
      }
      EXPECT_TRUE(Close(out, Get(c, "out"), tol));
      EXPECT_TRUE(Close(gx, Get(c, "gx"), gtol));
      if (Has(c, "gt")) {
        const Tensor gt = binary_cross_entropy_with_logits_target_backward(
            gy, xi, Stepped(t), w, pw, red);
        EXPECT_TRUE(Close(gt, Get(c, "gt"), gtol));
      }
    }
  }
}

TEST(NormGoldenTest, MseLoss) { CheckPointwiseLoss("mse"); }
TEST(NormGoldenTest, L1Loss) { CheckPointwiseLoss("l1"); }
TEST(NormGoldenTest, SmoothL1Loss) { CheckPointwiseLoss("smooth_l1"); }
TEST(NormGoldenTest, BinaryCrossEntropyWithLogits) {
  CheckPointwiseLoss("bce");
}

TEST(NormGoldenTest, ScaledDotProductAttention) {
  for (const std::string& c : Cases("sdpa")) {
    SCOPED_TRACE(c);
    const Tensor q = Get(c, "q"), k = Get(c, "k"), v = Get(c, "v");
    const Tensor mask = GetOptional(c, "mask");
    const bool causal = Int(c, "causal") != 0;
    const double s = Double(c, "scale");
    const std::optional<double> scale =
        s < 0 ? std::nullopt : std::optional<double>(s);
    const Tol tol = ForwardTol(q.dtype()), gtol = GradTol(q.dtype());
    const Tensor expected_lse = Get(c, "lse");
    for (const Tensor& qi : Layouts(q)) {
      const AttentionResult r = scaled_dot_product_attention(
          qi, Transposed(k), Stepped(v), mask, 0.0, causal, scale);
      EXPECT_TRUE(Close(r.output, Get(c, "out"), tol));
      EXPECT_TRUE(
          Close(r.logsumexp, expected_lse, ForwardTol(expected_lse.dtype())));
      if (!Has(c, "gq")) continue;
      const AttentionBackwardResult g = scaled_dot_product_attention_backward(
          Get(c, "gy"), qi, k, v, r.output, r.logsumexp, mask, causal, scale);
      EXPECT_TRUE(Close(g.grad_query, Get(c, "gq"), gtol));
      EXPECT_TRUE(Close(g.grad_key, Get(c, "gk"), gtol));
      EXPECT_TRUE(Close(g.grad_value, Get(c, "gv"), gtol));
    }
  }
}

// --- Layouts, threads, large inputs ------------------------------------------

TEST(NormOpsTest, ExpandedInputs) {
  // A stride-0 input: every row of the softmax is the same row.
  const Tensor row = from_vector<float>({0.5f, -1.0f, 2.0f, 0.0f});
  const Tensor expanded = row.unsqueeze(0).expand({3, 4});
  const Tensor out = softmax(expanded, 1);
  const Tensor one = softmax(row, 0);
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(TensorsClose(out.select(0, i), one, 1e-6, 1e-7));
  }
  // Broadcast target in mse_loss equals the explicitly expanded one.
  const Tensor x = from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor t = from_vector<float>({0.5f, 1.0f, -1.0f});
  EXPECT_TRUE(TensorsClose(mse_loss(x, t),
                           mse_loss(x, t.expand({2, 3}).clone()), 1e-6, 1e-7));
  // An expanded attention mask ([L, S] shared by every batch).
  const Tensor q = from_vector<float>({1, 0, 0, 1, 1, 1}, {1, 3, 2});
  const Tensor k = from_vector<float>({1, 2, 3, 4}, {1, 2, 2});
  const AttentionResult r = scaled_dot_product_attention(
      q.expand({2, 3, 2}), k.expand({2, 2, 2}), k.expand({2, 2, 2}),
      from_vector<bool>({true, true, true, false, true, true}, {3, 2}));
  EXPECT_TRUE(TensorsClose(r.output.select(0, 0), r.output.select(0, 1), 0, 0));
  // Row 1 keeps only key 0, so its output is value row 0.
  EXPECT_TRUE(TensorsClose(r.output.select(0, 0).select(0, 1),
                           from_vector<float>({1, 2}), 1e-6, 1e-7));
}

TEST(NormOpsTest, ResultsDoNotDependOnThreadCount) {
  const Tensor x =
      arange(0, 512 * 96, 1, DType::kFloat32).view({512, 96}) * 0.37 - 20;
  const Tensor w = ones({96}), b = zeros({96});
  const Tensor gy = softmax(x, 0);
  const int saved = GetNumThreads();
  std::vector<NormBackwardResult> results;
  for (int threads : {1, 2, 3}) {
    SetNumThreads(threads);
    const LayerNormResult f = layer_norm(x, {96}, w, b);
    results.push_back(layer_norm_backward(gy, x, {96}, f.mean, f.rstd, w, b));
  }
  SetNumThreads(saved);
  for (size_t i = 1; i < results.size(); ++i) {
    EXPECT_TRUE(tch::testing::TensorsEqual(results[i].grad_weight,
                                           results[0].grad_weight));
    EXPECT_TRUE(tch::testing::TensorsEqual(results[i].grad_input,
                                           results[0].grad_input));
  }
}

// Large float32 inputs (the multi-threaded SIMD paths) agree with the
// float64 path, which the goldens check against PyTorch.
TEST(NormOpsTest, LargeFloat32MatchesFloat64) {
  const Tensor x64 =
      (arange(0, 1024 * 257, 1, DType::kFloat64).view({1024, 257}) * 0.731)
          .to(DType::kFloat32)
          .to(DType::kFloat64);  // values exactly representable in float32
  const Tensor x32 = x64.to(DType::kFloat32);
  EXPECT_TRUE(TensorsClose(softmax(x32, 1), softmax(x64, 1), 1e-4, 1e-7));
  EXPECT_TRUE(
      TensorsClose(log_softmax(x32, 1), log_softmax(x64, 1), 1e-5, 1e-4));
  ClassLossOptions options;
  options.ignore_index = 7;
  options.label_smoothing = 0.1;
  // Class ids 0..204 (i / 5), some equal to ignore_index.
  const Tensor targets =
      (arange(0, 1024, 1, DType::kFloat64) / 5).to(DType::kInt64);
  EXPECT_TRUE(TensorsClose(cross_entropy(x32, targets, options),
                           cross_entropy(x64, targets, options), 1e-5, 1e-5));
  EXPECT_TRUE(TensorsClose(
      cross_entropy_backward(ones({}), x32, targets, options),
      cross_entropy_backward(ones({}, DType::kFloat64), x64, targets, options),
      1e-4, 1e-8));
  // Layer norm of well-conditioned rows (values in [-3.5, 3.5)).
  std::vector<float> values(1024 * 257);
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] = static_cast<float>(std::fmod(i * 0.731, 7.0) - 3.5);
  }
  const Tensor y32 = from_vector<float>(values, {1024, 257});
  const Tensor y64 = y32.to(DType::kFloat64);
  const Tensor w = y32.select(0, 3), b = y32.select(0, 5);
  const LayerNormResult ln32 = layer_norm(y32, {257}, w, b);
  const LayerNormResult ln64 =
      layer_norm(y64, {257}, w.to(DType::kFloat64), b.to(DType::kFloat64));
  EXPECT_TRUE(TensorsClose(ln32.output, ln64.output, 1e-4, 1e-5));
  EXPECT_TRUE(TensorsClose(ln32.rstd, ln64.rstd, 1e-5, 1e-6));
}

// Every SIMD target (AVX-512, AVX2 with masked tails; SSE4 and the others
// with buffered tails) gives the same results, for rows of every tail length.
TEST(NormOpsTest, SimdTargetsAgree) {
  struct Outputs {
    std::vector<Tensor> tensors;
  };
  auto run = [] {
    Outputs out;
    for (int64_t n : {1, 7, 16, 19, 33}) {
      std::vector<float> v(5 * n);
      for (size_t i = 0; i < v.size(); ++i) {
        v[i] = static_cast<float>(std::fmod(i * 0.37, 5.0) - 2.5);
      }
      const Tensor x = from_vector<float>(v, {5, n});
      const Tensor w = x.select(0, 1), b = x.select(0, 2);
      out.tensors.push_back(softmax(x, 1));
      out.tensors.push_back(log_softmax(x, 1));
      out.tensors.push_back(softmax_backward(x, softmax(x, 1), 1));
      out.tensors.push_back(log_softmax_backward(x, log_softmax(x, 1), 1));
      const Tensor t = from_vector<int64_t>({0, n - 1, n / 2, 0, n - 1});
      out.tensors.push_back(cross_entropy(x, t));
      out.tensors.push_back(cross_entropy_backward(ones({}), x, t));
      const LayerNormResult ln = layer_norm(x, {n}, w, b);
      out.tensors.push_back(ln.output);
      const NormBackwardResult g =
          layer_norm_backward(x, x, {n}, ln.mean, ln.rstd, w, b);
      out.tensors.push_back(g.grad_input);
      out.tensors.push_back(g.grad_weight);
    }
    return out;
  };
  const Outputs best = run();
  const int64_t compiled = HWY_TARGETS & hwy::SupportedTargets();
  for (int64_t bit = 1; bit != 0 && bit <= compiled; bit <<= 1) {
    if ((compiled & bit) == 0) continue;
    SCOPED_TRACE(hwy::TargetName(bit));
    hwy::SetSupportedTargetsForTest(bit);
    const Outputs other = run();
    hwy::SetSupportedTargetsForTest(0);
    for (size_t i = 0; i < best.tensors.size(); ++i) {
      EXPECT_TRUE(TensorsClose(other.tensors[i], best.tensors[i], 2e-6, 2e-6))
          << "output " << i;
    }
  }
}

// Batch norm on the CNN's layout (rows: [N, C, H, W]) and on [N, C]
// (columns), float32 against float64 with an offset mean, bit-equal across
// thread counts, and close on every SIMD target.
TEST(NormOpsTest, BatchNormFloat32PathsThreadsAndTargets) {
  for (const Shape& shape : {Shape{16, 6, 14, 14}, Shape{300, 24}}) {
    SCOPED_TRACE(ShapeToString(shape));
    const int64_t n = std::accumulate(shape.begin(), shape.end(), int64_t{1},
                                      std::multiplies<int64_t>());
    std::vector<float> v(n), g(n);
    for (int64_t i = 0; i < n; ++i) {
      v[i] = static_cast<float>(std::fmod(i * 0.731, 3.0) + 20.0);
      g[i] = static_cast<float>(std::fmod(i * 0.377, 2.0) - 1.0);
    }
    const Tensor x = from_vector<float>(v, shape);
    const Tensor gy = from_vector<float>(g, shape);
    const int64_t c = shape[1];
    const Tensor w = arange(1, c + 1, 1, DType::kFloat32) * 0.25;
    const Tensor b = arange(0, c, 1, DType::kFloat32) - 1.0;
    auto run = [&](const Tensor& xi, const Tensor& gi, bool training) {
      const DType t = xi.dtype();
      const Tensor rm = zeros({c}, t), rv = ones({c}, t);
      const BatchNormResult r =
          batch_norm(xi, rm, rv, w.to(t), b.to(t), training, 0.1, 1e-5);
      const NormBackwardResult d = batch_norm_backward(
          gi, xi, w.to(t), rm, rv, r.save_mean, r.save_invstd, training, 1e-5);
      return std::vector<Tensor>{
          r.output, r.save_mean,  r.save_invstd, rm,
          rv,       d.grad_input, d.grad_weight, d.grad_bias};
    };
    for (const bool training : {true, false}) {
      SCOPED_TRACE(training ? "training" : "eval");
      const std::vector<Tensor> ref =
          run(x.to(DType::kFloat64), gy.to(DType::kFloat64), training);
      const int saved = GetNumThreads();
      std::vector<std::vector<Tensor>> by_threads;
      for (int threads : {1, 2, 3}) {
        SetNumThreads(threads);
        by_threads.push_back(run(x, gy, training));
      }
      SetNumThreads(saved);
      for (size_t i = 0; i < ref.size(); ++i) {
        // Statistics and outputs to float32 accuracy; the sums behind
        // grad_weight and grad_bias add 10^4 terms.
        const double tol = i >= 6 ? 2e-5 : 1e-5;
        EXPECT_TRUE(TensorsClose(by_threads[0][i].to(DType::kFloat64), ref[i],
                                 tol, tol))
            << "output " << i;
        for (size_t t = 1; t < by_threads.size(); ++t) {
          EXPECT_TRUE(
              tch::testing::TensorsEqual(by_threads[t][i], by_threads[0][i]))
              << "output " << i << ", thread setting " << t;
        }
      }
      const int64_t compiled = HWY_TARGETS & hwy::SupportedTargets();
      for (int64_t bit = 1; bit != 0 && bit <= compiled; bit <<= 1) {
        if ((compiled & bit) == 0) continue;
        SCOPED_TRACE(hwy::TargetName(bit));
        hwy::SetSupportedTargetsForTest(bit);
        const std::vector<Tensor> other = run(x, gy, training);
        hwy::SetSupportedTargetsForTest(0);
        for (size_t i = 0; i < ref.size(); ++i) {
          EXPECT_TRUE(TensorsClose(other[i], by_threads[0][i], 1e-5, 1e-5))
              << "output " << i;
        }
      }
    }
  }
}

// --- Errors ------------------------------------------------------------------

template <typename E, typename Fn>
void ExpectThrow(Fn&& fn, const std::string& substring) {
  try {
    fn();
    ADD_FAILURE() << "expected an exception with \"" << substring << "\"";
  } catch (const E& e) {
    EXPECT_THAT(e.what(), HasSubstr(substring));
  }
}

TEST(NormOpsErrorsTest, TargetsOutOfBoundsAreIndexErrors) {
  const Tensor x = zeros({3, 5});
  ExpectThrow<IndexError>(
      [&] {
        cross_entropy(x, from_vector<int64_t>({1, 7, 2}));
      },
      "Target 7 is out of bounds.");
  ExpectThrow<IndexError>(
      [&] {
        nll_loss(x, from_vector<int64_t>({1, -3, 2}));
      },
      "Target -3 is out of bounds.");
  ExpectThrow<IndexError>(
      [&] {
        cross_entropy_backward(ones({}), x, from_vector<int64_t>({5, 0, 0}));
      },
      "Target 5 is out of bounds.");
  ExpectThrow<IndexError>([&] { softmax(x, 2); }, "");
}

TEST(NormOpsErrorsTest, ShapeMismatchesAreValueErrors) {
  ExpectThrow<ValueError>(
      [] {
        cross_entropy(zeros({3, 5}), from_vector<int64_t>({1, 2}));
      },
      "Expected input batch_size (3) to match target batch_size (2)");
  ExpectThrow<ValueError>(
      [] {
        cross_entropy(zeros({3, 5, 2}), zeros({3, 3}, DType::kInt64));
      },
      "Expected target size [3, 2], got [3, 3]");
  ExpectThrow<ValueError>([] { mse_loss(zeros({3}), zeros({2})); },
                          "[3] and [2]");
  ExpectThrow<ValueError>(
      [] { binary_cross_entropy_with_logits(zeros({3}), zeros({2})); },
      "Target size ([2]) must be the same as input size ([3])");
  ExpectThrow<ValueError>(
      [] {
        layer_norm(zeros({2, 4}), {3});
      },
      "Given normalized_shape=[3], expected input with "
      "shape [*, 3], but got input of size[2, 4]");
  ExpectThrow<ValueError>(
      [] {
        layer_norm(zeros({2, 4}), {4}, ones({3}));
      },
      "weight of shape [3] and normalized_shape = [4]");
  ExpectThrow<ValueError>(
      [] {
        group_norm(zeros({2, 6, 4}), 4);
      },
      "input of shape [2, 6, 4] and num_groups=4");
  ExpectThrow<ValueError>(
      [] {
        batch_norm(zeros({1, 3}), {}, {}, {}, {}, true);
      },
      "Expected more than 1 value per channel when training, got input size "
      "[1, 3]");
  ExpectThrow<ValueError>(
      [] {
        batch_norm(zeros({4, 3}), zeros({4}), ones({3}), {}, {}, false);
      },
      "running_mean should contain 3 elements not 4");
  ExpectThrow<ValueError>(
      [] {
        batch_norm(zeros({4, 3}), {}, {}, {}, {}, false);
      },
      "must be defined in evaluation mode");
  ExpectThrow<ValueError>(
      [] {
        scaled_dot_product_attention(zeros({2, 3, 4}), zeros({2, 5, 3}),
                                     zeros({2, 5, 4}));
      },
      "query [2, 3, 4], key [2, 5, 3], value [2, 5, 4]");
  ExpectThrow<ValueError>(
      [] {
        scaled_dot_product_attention(zeros({2, 3, 4}), zeros({2, 5, 4}),
                                     zeros({2, 5, 4}), zeros({3, 4}));
      },
      "shapes [3, 4] and [2, 3, 5] are not broadcastable");
  ExpectThrow<ValueError>(
      [] {
        scaled_dot_product_attention(zeros({2, 3, 4}), zeros({2, 5, 4}),
                                     zeros({2, 5, 4}), zeros({4, 2, 3, 5}));
      },
      "attn_mask of shape [4, 2, 3, 5] cannot be broadcast to the scores' "
      "shape [2, 3, 5]");
  ExpectThrow<ValueError>(
      [] {
        scaled_dot_product_attention(zeros({3, 4}), zeros({3, 4}),
                                     zeros({3, 4}), ones({3, 3}), 0.0, true);
      },
      "cannot be combined with is_causal");
  ExpectThrow<ValueError>(
      [] {
        softmax_backward(zeros({2, 3}), zeros({3, 2}), 0);
      },
      "grad_output of shape [2, 3] does not match output of shape [3, 2]");
}

TEST(NormOpsErrorsTest, BadOptionsAreValueErrors) {
  const Tensor x = zeros({3, 5});
  const Tensor t = from_vector<int64_t>({1, 2, 3});
  ClassLossOptions bad_smoothing;
  bad_smoothing.label_smoothing = 1.5;
  ExpectThrow<ValueError>([&] { cross_entropy(x, t, bad_smoothing); },
                          "label_smoothing must be between 0.0 and 1.0. Got: "
                          "1.5");
  ClassLossOptions bad_weight;
  bad_weight.weight = ones({4});
  ExpectThrow<ValueError>([&] { cross_entropy(x, t, bad_weight); },
                          "weight tensor should be defined either for all 5 "
                          "classes or no classes but got weight tensor of "
                          "shape: [4]");
  ClassLossOptions ignore;
  ignore.ignore_index = 1;
  ExpectThrow<ValueError>(
      [&] {
        cross_entropy(x, zeros({3, 5}), ignore);
      },
      "ignore_index is not supported for floating point "
      "target");
  ExpectThrow<ValueError>([&] { cross_entropy(x, t.to(DType::kInt32)); },
                          "int64");
  ExpectThrow<ValueError>([&] { smooth_l1_loss(x, x, Reduction::kMean, -1.0); },
                          "does not support negative values for beta");
  ExpectThrow<ValueError>(
      [&] { cross_entropy(zeros({}), zeros({}, DType::kInt64)); },
      "Expected 1 or more dimensions (got 0)");
}

TEST(NormOpsErrorsTest, UnsupportedDTypesAndFeatures) {
  ExpectThrow<NotImplementedError>(
      [] { softmax(arange(0, 4, 1, DType::kInt64), 0); }, "int64");
  ExpectThrow<NotImplementedError>(
      [] {
        layer_norm(zeros({2, 2}, DType::kInt32), {2});
      },
      "int32");
  ExpectThrow<NotImplementedError>(
      [] {
        scaled_dot_product_attention(zeros({2, 3}), zeros({2, 3}),
                                     zeros({2, 3}), {}, 0.1);
      },
      "dropout_p");
  // An integer input with a floating dtype is converted, as in PyTorch.
  EXPECT_TRUE(
      TensorsClose(softmax(arange(0, 2, 1, DType::kInt64), 0, DType::kFloat32),
                   from_vector<float>({0.26894142f, 0.73105858f}), 1e-6, 1e-7));
}

TEST(NormOpsTest, RunningStatsUpdateInPlaceAndBumpVersion) {
  const Tensor x = arange(0, 12, 1, DType::kFloat32).view({4, 3});
  Tensor rm = zeros({3}), rv = ones({3});
  const uint32_t before = rm.storage().version();
  batch_norm(x, rm, rv, {}, {}, true, 0.5);
  EXPECT_GT(rm.storage().version(), before);
  // Column means 4.5, 5.5, 6.5; unbiased variance 15.
  EXPECT_TRUE(
      TensorsClose(rm, from_vector<float>({2.25f, 2.75f, 3.25f}), 1e-6, 1e-6));
  EXPECT_TRUE(TensorsClose(rv, full({3}, 8.0), 1e-6, 1e-6));
  // A non-contiguous float64 running_mean is updated through its view.
  Tensor buffer = zeros({3, 2}, DType::kFloat64);
  Tensor rm_view = buffer.select(1, 0);
  batch_norm(x, rm_view, {}, {}, {}, true, 1.0);
  EXPECT_TRUE(
      TensorsClose(rm_view, from_vector<double>({4.5, 5.5, 6.5}), 1e-6, 1e-6));
}

TEST(NormOpsTest, EmptyAndScalarInputs) {
  EXPECT_EQ(softmax(zeros({0, 3}), 1).sizes(), Shape({0, 3}));
  EXPECT_EQ(softmax(zeros({}), 0).item<float>(), 1.0f);
  const Tensor loss = cross_entropy(zeros({0, 4}), zeros({0}, DType::kInt64));
  EXPECT_TRUE(std::isnan(loss.item<float>()));
  EXPECT_EQ(mse_loss(zeros({0}), zeros({0}), Reduction::kSum).item<float>(),
            0.0f);
  const GroupNormResult g = group_norm(zeros({0, 4, 2}), 2);
  EXPECT_EQ(g.mean.sizes(), Shape({0, 2}));
  const AttentionResult a = scaled_dot_product_attention(
      zeros({2, 0, 4}), zeros({2, 3, 4}), zeros({2, 3, 5}));
  EXPECT_EQ(a.output.sizes(), Shape({2, 0, 5}));
}

}  // namespace
}  // namespace tch
