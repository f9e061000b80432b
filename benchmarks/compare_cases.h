// File: benchmarks/compare_cases.h
//
// The interface between the two halves of the tch-vs-libtorch comparison
// (benchmarks/README.md). Each framework's half is compiled on its own, with
// only its own headers (tch's torch/... and libtorch's torch/... must never
// meet in one translation unit), and implements MakeRunner for the op names
// it knows. Plain C++17 only: the libtorch half builds with -std=c++17.
//
// Adding a row: add a Case to the table in compare_libtorch.cc and, if the
// op name is new, a branch to MakeTchRunner (compare_tch.cc) and
// MakeTorchRunner (compare_libtorch.cc).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace compare {

struct Case {
  std::string group;  // "mlp", "transformer", "gemm", ... (a table section)
  std::string op;     // what to run, e.g. "linear", "bmm_nt" (see the table)
  std::vector<std::vector<int64_t>> shapes;  // input shapes, in op order
  std::string dtype = "float32";             // PyTorch's dtype name
  double flops = 0;  // floating-point operations per call, 0 if not useful
};

// One prepared call: inputs are allocated when the Runner is made; `run`
// executes the op once; `result` returns the last output as floats (row
// major) so the two frameworks can be checked against each other.
struct Runner {
  std::function<void()> run;
  std::function<std::vector<float>()> result;
};

// Deterministic input values shared by both halves: element i of every input
// tensor is Value(seed, i) in [-1, 1), seed = the input's position.
inline float Value(int seed, int64_t i) {
  uint32_t x = static_cast<uint32_t>(i) * 2654435761u +
               static_cast<uint32_t>(seed + 1) * 40503u;
  x ^= x >> 15;
  x *= 2246822519u;
  x ^= x >> 13;
  return static_cast<float>(x >> 8) / 8388608.0f - 1.0f;
}

inline std::vector<float> Values(int seed, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = Value(seed, i);
  return v;
}

// tch's half, from libtch_compare.so (compare_tch.cc). MakeTchRunner throws
// std::runtime_error for an op it does not know.
Runner MakeTchRunner(const Case& c);
void SetTchThreads(int threads);

}  // namespace compare
