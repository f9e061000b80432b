// The small CNN of the trainer issue on Fashion-MNIST shapes, batch 128:
//   conv 1->32 3x3 pad 1 on 28x28, conv 32->64 3x3 pad 1 on 14x14,
//   max_pool2d 2 on [128, 32, 28, 28],
// forward and backward, reporting wall time and GFLOP/s (2*MACs of the
// convolutions; backward counts each computed gradient GEMM).
//
//   bazel run //torch/kernels/cpu:nn_bench -- --benchmark_min_time=1
// Threads: TCH_NUM_THREADS (default: every hardware thread).
#include <benchmark/benchmark.h>

#include "torch/core/nn_ops.h"
#include "torch/core/ops.h"

namespace tch {
namespace {

constexpr int64_t kBatch = 128;
constexpr double kConv1Flops = 2.0 * kBatch * 32 * 1 * 9 * 28 * 28;
constexpr double kConv2Flops = 2.0 * kBatch * 64 * 32 * 9 * 14 * 14;

// Deterministic, non-trivial values.
Tensor Data(IntList sizes) {
  const int64_t n = NumElements(sizes);
  return (arange(0, n, 1, DType::kFloat32) * 0.37 - 3.0).reshape(sizes) * 0.01;
}

void SetFlops(benchmark::State& state, double flops) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Conv1Forward(benchmark::State& state) {
  const Tensor x = Data({kBatch, 1, 28, 28}), w = Data({32, 1, 3, 3});
  const Tensor b = Data({32});
  for (auto _ : state) benchmark::DoNotOptimize(conv2d(x, w, b, {1}, {1}));
  SetFlops(state, kConv1Flops);
}

// First layer: no grad_input (the image needs none), grad_weight + grad_bias.
void BM_Conv1Backward(benchmark::State& state) {
  const Tensor x = Data({kBatch, 1, 28, 28}), w = Data({32, 1, 3, 3});
  const Tensor go = Data({kBatch, 32, 28, 28});
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        conv2d_backward(go, x, w, {1}, {1}, {1}, 1, {false, true, true}));
  }
  SetFlops(state, kConv1Flops);
}

void BM_Conv2Forward(benchmark::State& state) {
  const Tensor x = Data({kBatch, 32, 14, 14}), w = Data({64, 32, 3, 3});
  const Tensor b = Data({64});
  for (auto _ : state) benchmark::DoNotOptimize(conv2d(x, w, b, {1}, {1}));
  SetFlops(state, kConv2Flops);
}

void BM_Conv2Backward(benchmark::State& state) {
  const Tensor x = Data({kBatch, 32, 14, 14}), w = Data({64, 32, 3, 3});
  const Tensor go = Data({kBatch, 64, 14, 14});
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        conv2d_backward(go, x, w, {1}, {1}, {1}, 1, {true, true, true}));
  }
  SetFlops(state, 2 * kConv2Flops);
}

void BM_MaxPoolForward(benchmark::State& state) {
  const Tensor x = Data({kBatch, 32, 28, 28});
  for (auto _ : state)
    benchmark::DoNotOptimize(max_pool2d_with_indices(x, {2}));
}

void BM_MaxPoolBackward(benchmark::State& state) {
  const Tensor x = Data({kBatch, 32, 28, 28});
  auto [y, idx] = max_pool2d_with_indices(x, {2});
  const Tensor go = Data({kBatch, 32, 14, 14});
  for (auto _ : state)
    benchmark::DoNotOptimize(max_pool2d_backward(go, x, idx));
}

BENCHMARK(BM_Conv1Forward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Conv1Backward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Conv2Forward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Conv2Backward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MaxPoolForward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MaxPoolBackward)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace tch
