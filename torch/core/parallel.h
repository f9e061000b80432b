// File: torch/core/parallel.h
//
// Intra-op parallelism: one process-wide pool of worker threads that kernels
// use through ParallelFor. The pool is the only mutable global besides the
// registries (see ARCHITECTURE.md).
//
// The thread count is TCH_NUM_THREADS when set (a positive integer), else the
// number of hardware threads; SetNumThreads changes it at run time. Work
// smaller than `grain_size` runs inline on the calling thread, so tiny tensors
// pay no synchronization. Nested ParallelFor calls (from inside a worker) run
// inline too.
//
// Example:
//   tch::ParallelFor(0, n, /*grain_size=*/32768, [&](int64_t lo, int64_t hi) {
//     for (int64_t i = lo; i < hi; ++i) out[i] = a[i] + b[i];
//   });
//
// Chunking depends only on (begin, end, grain_size, thread count), so a
// kernel that combines per-chunk partial results is deterministic for a
// given thread count.
#pragma once

#include <cstdint>
#include <functional>

namespace tch {

// The number of threads ParallelFor uses (including the caller).
int GetNumThreads();

// Sets the thread count; n >= 1, else ValueError. Takes effect for the next
// ParallelFor call; must not be called from inside a ParallelFor body.
void SetNumThreads(int n);

// True while the current thread is running a ParallelFor chunk.
bool InParallelRegion();

// Calls fn(chunk_begin, chunk_end) over disjoint chunks covering
// [begin, end), each at least `grain_size` long (except possibly the last),
// on up to GetNumThreads() threads, and returns when all are done. An
// exception thrown by fn is rethrown on the calling thread (the first one,
// if several chunks throw).
void ParallelFor(int64_t begin, int64_t end, int64_t grain_size,
                 const std::function<void(int64_t, int64_t)>& fn);

// Default grain for cheap elementwise loops: below this many elements,
// threading costs more than it saves.
inline constexpr int64_t kElementwiseGrainSize = 32768;

}  // namespace tch
