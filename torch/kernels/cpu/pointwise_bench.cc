// Throughput of hot float32 pointwise ops, out of place (the result is
// allocated each call, as torch.add(a, b) does), in GB/s (10^9 bytes) of
// operand traffic: binary ops move 3 x 4 bytes per element, unary ops 2 x 4.
// "GBps" is over wall time; on a loaded machine the CPU column (the calling
// thread's time) is the steadier measure with TCH_NUM_THREADS=1.
//
//   bazel run //torch/kernels/cpu:pointwise_bench -- --benchmark_min_time=0.5
//
// Threads: TCH_NUM_THREADS, else every hardware thread.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "torch/core/ops.h"
#include "torch/core/parallel.h"
#include "torch/core/pointwise_ops.h"

namespace tch {
namespace {

void Report(benchmark::State& state, int64_t bytes_per_call) {
  const double bytes = static_cast<double>(state.iterations()) *
                       static_cast<double>(bytes_per_call);
  state.counters["GBps"] =
      benchmark::Counter(bytes / 1e9, benchmark::Counter::kIsRate);
  state.counters["threads"] = GetNumThreads();
}

// Values in [-5, 5): a realistic activation range (exp stays finite).
Tensor Input(int64_t n, int64_t phase) {
  return remainder(arange(phase, n + phase, 1, DType::kFloat32), 1000) * 0.01 -
         5;
}

template <typename F>
void RunUnary(benchmark::State& state, F f) {
  const int64_t n = state.range(0);
  const Tensor x = Input(n, 0);
  for (auto _ : state) {
    Tensor y = f(x);
    benchmark::DoNotOptimize(y.raw_data());
  }
  Report(state, n * 2 * 4);
}

template <typename F>
void RunBinary(benchmark::State& state, F f) {
  const int64_t n = state.range(0);
  const Tensor a = Input(n, 0), b = Input(n, 7);
  for (auto _ : state) {
    Tensor y = f(a, b);
    benchmark::DoNotOptimize(y.raw_data());
  }
  Report(state, n * 3 * 4);
}

void BM_Add(benchmark::State& s) {
  RunBinary(s, [](const Tensor& a, const Tensor& b) { return add(a, b); });
}
void BM_Mul(benchmark::State& s) {
  RunBinary(s, [](const Tensor& a, const Tensor& b) { return mul(a, b); });
}
void BM_Relu(benchmark::State& s) {
  RunUnary(s, [](const Tensor& x) { return relu(x); });
}
void BM_Gelu(benchmark::State& s) {
  RunUnary(s, [](const Tensor& x) { return gelu(x); });
}
void BM_Exp(benchmark::State& s) {
  RunUnary(s, [](const Tensor& x) { return exp(x); });
}
// In place (no allocation): the kernel's own throughput.
void BM_ReluInPlace(benchmark::State& state) {
  const int64_t n = state.range(0);
  Tensor x = Input(n, 0);
  for (auto _ : state) {
    relu_(x);
    benchmark::DoNotOptimize(x.raw_data());
  }
  Report(state, n * 2 * 4);
}
void BM_MulInPlace(benchmark::State& state) {
  const int64_t n = state.range(0);
  Tensor x = Input(n, 0);
  const Tensor y = ones({n});
  for (auto _ : state) {
    x.mul_(y);
    benchmark::DoNotOptimize(x.raw_data());
  }
  Report(state, n * 3 * 4);
}

#define TCH_SIZES \
  ->Arg(1 << 20)->Arg(1 << 24)->UseRealTime()->Unit(benchmark::kMicrosecond)
BENCHMARK(BM_Add) TCH_SIZES;
BENCHMARK(BM_Mul) TCH_SIZES;
BENCHMARK(BM_Relu) TCH_SIZES;
BENCHMARK(BM_Gelu) TCH_SIZES;
BENCHMARK(BM_Exp) TCH_SIZES;
BENCHMARK(BM_ReluInPlace) TCH_SIZES;
BENCHMARK(BM_MulInPlace) TCH_SIZES;
#undef TCH_SIZES

}  // namespace
}  // namespace tch
