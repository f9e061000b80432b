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
// major; ops with several outputs, e.g. a loss and its gradient, give them
// one after another) so the two frameworks can be checked against each other.
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

// Deterministic int64 class ids / row indices in [0, range), for the inputs
// that hold them (cross_entropy targets, embedding indices): element i is
// Value(seed, i) mapped from [-1, 1) onto the range.
inline std::vector<int64_t> Indices(int seed, int64_t n, int64_t range) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k =
        static_cast<int64_t>((Value(seed, i) + 1.0f) * 0.5f * range);
    v[static_cast<size_t>(i)] = k < range ? k : range - 1;
  }
  return v;
}

// Inputs that hold int64 indices instead of values of the case's dtype:
// returns their range (input i is Indices(i, numel, range)), or 0 for an
// ordinary input. cross_entropy*: input 1, the class ids of logits [N, C];
// embedding: input 1, row ids into weight [V, D].
inline int64_t IndexRange(const Case& c, size_t i) {
  if (i == 1 && c.op.rfind("cross_entropy", 0) == 0) return c.shapes[0][1];
  if (i == 1 && c.op == "embedding") return c.shapes[0][0];
  return 0;
}

// tch's half, from libtch_compare.so (compare_tch.cc). MakeTchRunner throws
// std::runtime_error for an op it does not know.
Runner MakeTchRunner(const Case& c);
void SetTchThreads(int threads);

}  // namespace compare
