// GEMM throughput of tch's "gemm" kernel through the public ops, in GFLOP/s
// and as a fraction of this machine's FP32 FMA peak for the same thread
// count (measured at start-up with an FMA loop on that many threads).
//
//   bazel run //torch/kernels/cpu:linalg_bench --
//       --benchmark_counters_tabular=true --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
// and read the "_min" rows (see Min below).
//
// Arguments of each benchmark: /n/threads (square n x n x n products).
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <thread>
#include <vector>

#include "torch/core/cpu_features.h"
#include "torch/core/linalg_ops.h"
#include "torch/core/ops.h"
#include "torch/core/parallel.h"

namespace tch {
namespace {

// 24 independent chains of 16-lane FMAs (AVX-512) or 8-lane (AVX2+FMA):
// enough to hide the FMA latency on both FMA ports.
__attribute__((target("avx512f"))) float FmaLoop512(int64_t iters) {
  __m512 acc[24];
  for (int i = 0; i < 24; ++i) acc[i] = _mm512_set1_ps(0.001f * i);
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 24
    for (int i = 0; i < 24; ++i) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  }
  __m512 s = acc[0];
  for (int i = 1; i < 24; ++i) s = _mm512_add_ps(s, acc[i]);
  float out[16];
  _mm512_storeu_ps(out, s);
  return out[0];
}

__attribute__((target("avx2,fma"))) float FmaLoop256(int64_t iters) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(0.001f * i);
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
  }
  __m256 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0];
}

// FP32 FMA peak in GFLOP/s on `threads` threads (best of 300 short
// samples, so that load from elsewhere drops out); 0 when the
// CPU has no FMA.
double PeakGflops(int threads) {
  static std::map<int, double>* cache = new std::map<int, double>();
  if (auto it = cache->find(threads); it != cache->end()) return it->second;
  const CpuFeatures& cpu = GetCpuFeatures();
  const bool wide = cpu.avx512f;
  if (!wide && !(cpu.avx2 && cpu.fma)) return (*cache)[threads] = 0;
  const int64_t iters = 500'000;
  const double flops_per_thread = 2.0 * iters * (wide ? 16 * 24 : 8 * 12);
  double best = 0;
  for (int rep = 0; rep < 300; ++rep) {  // best of many short samples
    std::vector<std::thread> pool;
    std::vector<float> sink(threads);
    const auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back(
          [&, t] { sink[t] = wide ? FmaLoop512(iters) : FmaLoop256(iters); });
    }
    for (std::thread& t : pool) t.join();
    const double dt =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    benchmark::DoNotOptimize(sink.data());
    best = std::max(best, flops_per_thread * threads / dt / 1e9);
  }
  return (*cache)[threads] = best;
}

void ReportFlops(benchmark::State& state, double flops_per_iter, int threads) {
  const double gflop = flops_per_iter / 1e9;
  state.counters["GFLOP/s"] =
      benchmark::Counter(gflop * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
  const double peak = PeakGflops(threads);
  if (peak > 0) {
    state.counters["peak_GFLOP/s"] = peak;
    state.counters["frac_peak"] = benchmark::Counter(
        gflop / peak * static_cast<double>(state.iterations()),
        benchmark::Counter::kIsRate);
  }
}

// Deterministic, well-scaled inputs (values in [-1, 1)).
Tensor Input(int64_t rows, int64_t cols, DType dtype) {
  std::vector<float> values(static_cast<size_t>(rows * cols));
  uint32_t state = 12345;
  for (float& v : values) {
    state = state * 1664525u + 1013904223u;
    v = static_cast<float>(state >> 8) / 8388608.0f - 1.0f;
  }
  return from_vector(values, {rows, cols}).to(dtype);
}

template <DType kDType>
void BM_Gemm(benchmark::State& state) {
  const int64_t n = state.range(0);
  const int threads = static_cast<int>(state.range(1));
  SetNumThreads(threads);
  const Tensor a = Input(n, n, kDType), b = Input(n, n, kDType);
  for (auto _ : state) {
    Tensor c = mm(a, b);
    benchmark::DoNotOptimize(c.raw_data());
  }
  ReportFlops(state, 2.0 * n * n * n, threads);
}

// Attention scores of a small transformer: [512, 64, 32] x [512, 32, 64]
// (batch 128 x 4 heads), K given transposed as in q @ k^T.
void BM_BmmAttention(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  SetNumThreads(threads);
  const Tensor q = Input(512 * 64, 32, DType::kFloat32).view({512, 64, 32});
  const Tensor k = Input(512 * 64, 32, DType::kFloat32).view({512, 64, 32});
  for (auto _ : state) {
    Tensor s = bmm(q, k.transpose(1, 2));
    benchmark::DoNotOptimize(s.raw_data());
  }
  ReportFlops(state, 2.0 * 512 * 64 * 64 * 32, threads);
}

// With --benchmark_repetitions=N the "min" aggregate's Time and CPU are
// those of the best repetition: on a shared machine, the one least disturbed
// by other work. (Google Benchmark aggregates rate counters separately, so
// on a loaded machine take GFLOP/s from the times: 2 n^3 / time; with one
// thread the CPU column is the compute time without preemption.)
double Min(const std::vector<double>& v) {
  return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end());
}

void SquareArgs(benchmark::internal::Benchmark* b) {
  for (int threads : {1, 2}) {
    for (int n : {256, 512, 1024, 2048, 4096}) b->Args({n, threads});
  }
}

void SmallArgs(benchmark::internal::Benchmark* b) {
  for (int threads : {1, 2}) {
    for (int n : {256, 512}) b->Args({n, threads});
  }
}

BENCHMARK(BM_Gemm<DType::kFloat32>)
    ->Name("BM_Sgemm")
    ->Apply(SquareArgs)
    ->UseRealTime()
    ->ComputeStatistics("min", Min)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Gemm<DType::kFloat64>)
    ->Name("BM_Dgemm")
    ->Apply(SmallArgs)
    ->UseRealTime()
    ->ComputeStatistics("min", Min)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Gemm<DType::kBFloat16>)
    ->Name("BM_Bf16Gemm")
    ->Apply(SmallArgs)
    ->UseRealTime()
    ->ComputeStatistics("min", Min)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Gemm<DType::kInt32>)
    ->Name("BM_Int32Gemm")
    ->Apply(SmallArgs)
    ->UseRealTime()
    ->ComputeStatistics("min", Min)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Gemm<DType::kInt64>)
    ->Name("BM_Int64Gemm")
    ->Apply(SmallArgs)
    ->UseRealTime()
    ->ComputeStatistics("min", Min)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BmmAttention)
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->ComputeStatistics("min", Min)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tch
