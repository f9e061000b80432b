// Optimizer step throughput on one float32 parameter of 1M and 16M elements,
// in GB/s of memory traffic (Adam: read p, g, m, v; write p, m, v = 28 bytes
// per element; SGD with momentum: 20; plain SGD: 12).
//
//   bazel run //torch/optim:optim_bench -- --benchmark_min_time=0.5
//
// Threads: TCH_NUM_THREADS, else every hardware thread.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>

#include "torch/autograd/variable.h"
#include "torch/core/ops.h"
#include "torch/core/parallel.h"
#include "torch/optim/optimizer.h"

namespace tch::optim {
namespace {

void Run(benchmark::State& state, const char* name, const GroupOptions& o,
         int64_t bytes_per_element) {
  const int64_t n = state.range(0);
  Tensor p = autograd::requires_grad_(full({n}, 0.5));
  autograd::set_grad(p, full({n}, 0.01));
  auto opt = MakeOptimizer(name, {p}, o);
  opt->step();  // state allocation (first-touch page faults) not timed
  for (auto _ : state) opt->step();
  state.counters["GBps"] =
      benchmark::Counter(static_cast<double>(state.iterations()) *
                             static_cast<double>(n * bytes_per_element) / 1e9,
                         benchmark::Counter::kIsRate);
  state.counters["threads"] = GetNumThreads();
}

void BM_Adam(benchmark::State& state) { Run(state, "adam", AdamOptions{}, 28); }
void BM_AdamW(benchmark::State& state) {
  Run(state, "adamw", AdamWOptions{}, 28);
}
void BM_SgdMomentum(benchmark::State& state) {
  Run(state, "sgd", SGDOptions{.lr = 0.1, .momentum = 0.9}, 20);
}
void BM_Sgd(benchmark::State& state) {
  Run(state, "sgd", SGDOptions{.lr = 0.1}, 12);
}

BENCHMARK(BM_Adam)->Arg(1 << 20)->Arg(1 << 24)->UseRealTime();
BENCHMARK(BM_AdamW)->Arg(1 << 20)->Arg(1 << 24)->UseRealTime();
BENCHMARK(BM_SgdMomentum)->Arg(1 << 20)->Arg(1 << 24)->UseRealTime();
BENCHMARK(BM_Sgd)->Arg(1 << 20)->Arg(1 << 24)->UseRealTime();

}  // namespace
}  // namespace tch::optim
