// Throughput of the reductions on the shapes that matter most: a full sum,
// row and column sums of a matrix, and the softmax shape [128, 1000]
// (max and logsumexp along the last dim). Reports GB/s of input read.
//
//   bazel run //torch/kernels/cpu:reduce_bench
//   TCH_NUM_THREADS=2 bazel-bin/torch/kernels/cpu/reduce_bench
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "torch/core/ops.h"
#include "torch/core/reduce_ops.h"

namespace tch {
namespace {

Tensor Input(IntList sizes) {
  // Deterministic pseudo-random values in [-1, 1).
  std::vector<float> values(static_cast<size_t>(NumElements(sizes)));
  uint32_t state = 12345;
  for (float& v : values) {
    state = state * 1664525u + 1013904223u;
    v = static_cast<float>(state >> 8) * (2.0f / 16777216.0f) - 1.0f;
  }
  return from_vector(values, sizes);
}

template <typename F>
void Run(benchmark::State& state, const Tensor& x, F f) {
  for (auto _ : state) {
    Tensor y = f(x);
    benchmark::DoNotOptimize(y.raw_data());
  }
  state.counters["GB/s"] = benchmark::Counter(
      static_cast<double>(x.nbytes()) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

void BM_SumAll16M(benchmark::State& state) {
  Run(state, Input({16 << 20}), [](const Tensor& x) { return sum(x); });
}
void BM_SumRows4096(benchmark::State& state) {
  Run(state, Input({4096, 4096}), [](const Tensor& x) { return sum(x, {1}); });
}
void BM_SumCols4096(benchmark::State& state) {
  Run(state, Input({4096, 4096}), [](const Tensor& x) { return sum(x, {0}); });
}
void BM_AmaxLast128x1000(benchmark::State& state) {
  Run(state, Input({128, 1000}), [](const Tensor& x) { return amax(x, {-1}); });
}
void BM_MaxDimLast128x1000(benchmark::State& state) {
  Run(state, Input({128, 1000}),
      [](const Tensor& x) { return max(x, -1).values; });
}
void BM_LogsumexpLast128x1000(benchmark::State& state) {
  Run(state, Input({128, 1000}),
      [](const Tensor& x) { return logsumexp(x, {-1}); });
}

// Secondary shapes: tiny rows (per-output overhead), var and cumsum.
void BM_SumInner4(benchmark::State& state) {
  Run(state, Input({1 << 20, 4}), [](const Tensor& x) { return sum(x, {1}); });
}
void BM_VarRows4096(benchmark::State& state) {
  Run(state, Input({4096, 4096}), [](const Tensor& x) { return var(x, {1}); });
}
void BM_CumsumRows4096(benchmark::State& state) {
  Run(state, Input({4096, 4096}), [](const Tensor& x) { return cumsum(x, 1); });
}

// The machine may be shared: report the best of 10 repetitions (min) next
// to the median.
void Configure(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kMicrosecond)
      ->UseRealTime()
      ->Repetitions(10)
      ->ComputeStatistics("min",
                          [](const std::vector<double>& v) {
                            return *std::min_element(v.begin(), v.end());
                          })
      ->ReportAggregatesOnly(true);
}

BENCHMARK(BM_SumAll16M)->Apply(Configure);
BENCHMARK(BM_SumRows4096)->Apply(Configure);
BENCHMARK(BM_SumCols4096)->Apply(Configure);
BENCHMARK(BM_AmaxLast128x1000)->Apply(Configure);
BENCHMARK(BM_MaxDimLast128x1000)->Apply(Configure);
BENCHMARK(BM_LogsumexpLast128x1000)->Apply(Configure);
BENCHMARK(BM_SumInner4)->Apply(Configure);
BENCHMARK(BM_VarRows4096)->Apply(Configure);
BENCHMARK(BM_CumsumRows4096)->Apply(Configure);

}  // namespace
}  // namespace tch
