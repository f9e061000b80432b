// File: torch/testing/tensor_matchers.h
//
// GoogleTest helpers for comparing tensors, with failure messages that show
// the shapes, dtypes and the first mismatching elements (index, actual,
// expected), and a loader for golden files made by a reference (PyTorch).
//
// Example:
//   auto golden =
//   tch::testing::LoadGolden("tests/golden/pointwise.safetensors");
//   EXPECT_TRUE(tch::testing::TensorsClose(tch::exp(golden.at("exp.x")),
//                                          golden.at("exp.out"), 1e-6, 1e-7));
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "torch/core/tensor.h"

namespace tch::testing {

// Element-wise |actual - expected| <= atol + rtol * |expected| with equal
// shapes (dtypes may differ; values compare as float64). NaN matches NaN and
// infinities must match exactly.
::testing::AssertionResult TensorsClose(const Tensor& actual,
                                        const Tensor& expected,
                                        double rtol = 1e-5, double atol = 1e-8);

// Equal shapes, equal dtypes, bit-for-bit equal values (NaN == NaN).
::testing::AssertionResult TensorsEqual(const Tensor& actual,
                                        const Tensor& expected);

// Loads a golden safetensors file; `path` is relative to the workspace root
// (Bazel runs tests from there). Fails the test with the path on error.
std::map<std::string, Tensor> LoadGolden(const std::string& path);

// LoadGolden, once per path per process (tests look tensors up many times).
const std::map<std::string, Tensor>& CachedGolden(const std::string& path);

// The tensor `name` of the golden file at `path`. When it is missing, fails
// the current test naming both and returns an empty float32 tensor.
Tensor GoldenTensor(const std::string& path, const std::string& name);

}  // namespace tch::testing
