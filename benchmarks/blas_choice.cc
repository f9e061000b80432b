// Measures what the BLAS choice (Note [BLAS threads] in
// torch/kernels/cpu/linalg_kernels.cc) rests on: this machine's FP32 FMA peak
// and sgemm GFLOP/s of OpenBLAS and oneDNN (dnnl_sgemm) for square sizes.
// Not part of tch's build (oneDNN is no tch dependency); benchmarks/compare.sh
// compiles and runs it:
//   benchmarks/compare.sh blas
// Usage: blas_choice peak|openblas|onednn THREADS [MAX_N]
// oneDNN (Debian's build uses OpenMP) takes its thread count from
// OMP_NUM_THREADS, which the script sets; OpenBLAS from the argument.
#include <cblas.h>
#include <immintrin.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <thread>
#include <vector>

namespace {

// CPU seconds of this process (all threads): with the wall time it shows how
// much of a sample other processes took.
double CpuNow() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

double Now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// 24 independent accumulator chains of 16-lane FMAs: enough to cover the
// FMA latency (4 cycles) times 2 FMA ports with room to spare.
__attribute__((target("avx512f"))) double FmaLoop(int64_t iters) {
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

// Best of many short samples: on a shared machine some of them run
// undisturbed, and the best is the machine's peak.
void Peak(int threads) {
  const int64_t iters = 1'000'000;
  double best = 0;
  for (int rep = 0; rep < 200; ++rep) {
    std::vector<std::thread> pool;
    std::vector<double> sink(threads);
    const double t0 = Now();
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] { sink[t] = FmaLoop(iters); });
    }
    for (auto& t : pool) t.join();
    const double dt = Now() - t0;
    best = std::max(best, 2.0 * 16 * 24 * iters * threads / dt / 1e9);
  }
  std::printf("peak_fma threads=%d GFLOP/s=%.1f\n", threads, best);
}

void Sgemm(const char* lib, int threads, int max_n) {
  const bool dnnl = std::strcmp(lib, "onednn") == 0;
  if (!dnnl) openblas_set_num_threads(threads);
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> dist(-1, 1);
  for (int n : {256, 512, 1024, 2048, 4096}) {
    if (n > max_n) break;
    std::vector<float> a(size_t(n) * n), b(size_t(n) * n), c(size_t(n) * n);
    for (auto& v : a) v = dist(rng);
    for (auto& v : b) v = dist(rng);
    auto run = [&] {
      if (dnnl) {
        dnnl_sgemm('N', 'N', n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f,
                   c.data(), n);
      } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f,
                    a.data(), n, b.data(), n, 0.0f, c.data(), n);
      }
    };
    run();  // warm-up (and oneDNN's kernel generation)
    const double flops = 2.0 * n * n * n;
    const int reps = std::max(5, int(4e10 / flops));
    // Best wall time, and best CPU time per thread: on a loaded machine the
    // latter discounts the time slices other processes took from us.
    double best = 1e30, best_cpu = 1e30;
    for (int r = 0; r < reps; ++r) {
      const double t0 = Now(), c0 = CpuNow();
      run();
      best = std::min(best, Now() - t0);
      best_cpu = std::min(best_cpu, (CpuNow() - c0) / threads);
    }
    std::printf(
        "sgemm lib=%s threads=%d n=%d GFLOP/s=%.1f (by CPU time: %.1f)\n", lib,
        threads, n, flops / best / 1e9, flops / best_cpu / 1e9);
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: %s peak|openblas|onednn THREADS [MAX_N]\n",
                 argv[0]);
    return 2;
  }
  const int threads = std::atoi(argv[2]);
  if (std::strcmp(argv[1], "peak") == 0) {
    Peak(threads);
  } else {
    Sgemm(argv[1], threads, argc == 4 ? std::atoi(argv[3]) : 4096);
  }
  return 0;
}
