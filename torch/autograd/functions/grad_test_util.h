// File: torch/autograd/functions/grad_test_util.h
//
// Test-only helpers shared by the *_grad_test.cc files of this package:
// deterministic float64 inputs, leaves in several memory layouts, one-output
// GradCheck wrappers, the message of an expected error, and a comparison of
// gradients with a golden file written by PyTorch.
//
// Example:
//   Tensor x = LeafIn("transposed", Range(0.5, 2.0), /*seed=*/7);  // [3, 4]
//   EXPECT_EQ(CheckGrad([](const TensorList& in) { return ad::log(in[0]); },
//                       {x}), "");
//
// Errors: GoldenTensor fails the running test (no throw) when a name is
// missing from the golden file; GradCheck's own errors propagate.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "torch/autograd/gradcheck.h"
#include "torch/autograd/variable.h"
#include "torch/core/error.h"
#include "torch/core/ops.h"
#include "torch/core/pointwise_ops.h"
#include "torch/testing/tensor_matchers.h"

namespace tch::autograd::grad_test {

// Deterministic float64 values in [lo, hi).
inline Tensor Uniform(IntList sizes, double lo, double hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  std::vector<double> values(static_cast<size_t>(n));
  for (double& v : values) v = dist(gen);
  return from_vector(values, sizes);
}

// Makes an input of the given shape from a seed.
using Maker = std::function<Tensor(IntList sizes, uint32_t seed)>;

inline Maker Range(double lo, double hi) {
  return [lo, hi](IntList sizes, uint32_t seed) {
    return Uniform(sizes, lo, hi, seed);
  };
}

// Values with |v| in [0.2, 1.7) and both signs: away from kinks at 0.
inline Tensor AwayFromZero(IntList sizes, uint32_t seed) {
  Tensor u = Uniform(sizes, -1.5, 1.5, seed);
  return tch::add(u, tch::mul(tch::sign(u), 0.2));
}

inline const char* const kLayouts[] = {"contiguous", "transposed", "sliced"};

// A [3, 4] leaf laid out as `layout`: "contiguous", "transposed" (a view of
// a [4, 3] tensor) or "sliced" (every other column of a [3, 8] tensor).
inline Tensor LeafIn(const std::string& layout, const Maker& make,
                     uint32_t seed) {
  if (layout == "transposed") return requires_grad_(make({4, 3}, seed).t());
  if (layout == "sliced") {
    return requires_grad_(make({3, 8}, seed).slice(1, 0, 8, 2));
  }
  return requires_grad_(make({3, 4}, seed));
}

inline bool AllFinite(const Tensor& t) {
  for (double v : t.to(DType::kFloat64).ToVector<double>()) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

// GradCheck of a function with one output that first requires the output
// and its gradients (for an all-ones upstream gradient) to be finite at
// `inputs`, so a test cannot pick a point where the function is undefined
// (GradCheck itself also fails on a non-finite Jacobian entry).
inline std::string CheckGrad(const std::function<Tensor(const TensorList&)>& f,
                             const TensorList& inputs,
                             const GradCheckOptions& options = {}) {
  Tensor out = f(inputs);
  if (!AllFinite(out)) return "the checked output has NaN or inf";
  TensorList leaves;
  for (const Tensor& in : inputs) {
    if (in.defined() && requires_grad(in)) leaves.push_back(in);
  }
  if (requires_grad(out)) {
    TensorList grads = grad({out}, leaves, {ones_like(out)},
                            /*retain_graph=*/false, /*allow_unused=*/true);
    for (const Tensor& g : grads) {
      if (g.defined() && !AllFinite(g)) return "a gradient has NaN or inf";
    }
  }
  return GradCheck([&f](const TensorList& in) { return TensorList{f(in)}; },
                   inputs, options);
}

// Expects GradCheck of the one-output `fn` at `inputs` to pass; a failure
// names `what`.
inline void ExpectGradOk(const std::string& what,
                         const std::function<Tensor(const TensorList&)>& fn,
                         const TensorList& inputs) {
  EXPECT_EQ(GradCheck([&](const TensorList& in) { return TensorList{fn(in)}; },
                      inputs),
            "")
      << what;
}

// The message of the tch::Error `f` throws, or "<no error>".
inline std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

// Loads "<name>.<input>" from `golden` as leaves, applies f, backpropagates
// "<name>.g" and expects each gradient to equal "<name>.g<input>" (PyTorch's;
// an input PyTorch left unused must get zeros or nothing).
inline void ExpectGoldenGrads(
    const std::string& golden, const std::string& name,
    const std::vector<std::string>& inputs,
    const std::function<Tensor(const TensorList&)>& f) {
  SCOPED_TRACE(name);
  TensorList leaves;
  for (const std::string& input : inputs) {
    leaves.push_back(requires_grad_(
        tch::testing::GoldenTensor(golden, name + "." + input).clone()));
  }
  Tensor y = f(leaves);
  TensorList grads =
      grad({y}, leaves, {tch::testing::GoldenTensor(golden, name + ".g")},
           /*retain_graph=*/false, /*allow_unused=*/true);
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor expected =
        tch::testing::GoldenTensor(golden, name + ".g" + inputs[i]);
    Tensor actual = grads[i].defined() ? grads[i] : zeros_like(leaves[i]);
    EXPECT_TRUE(tch::testing::TensorsClose(actual, expected, 1e-12, 1e-14))
        << name << ": gradient of " << inputs[i];
  }
}

}  // namespace tch::autograd::grad_test
