// File: torch/core/elementwise.h
//
// The description of an elementwise loop that core hands to kernels, on any
// device: an output and up to three inputs, broadcast to one shape, with
// per-operand byte strides and adjacent dims merged where memory allows.
// Kernels never see Tensors, only this plan, so a kernel is a loop and
// nothing else.
//
// Core builds plans (MakeElementwisePlan); a CPU kernel walks one with
// ForEachRun, which calls back with 1-D runs:
//
//   ForEachRun(plan, 0, plan.numel,
//              [&](char* const* ptrs, const int64_t* strides, int64_t n) {
//     for (int64_t i = 0; i < n; ++i) {
//       *reinterpret_cast<float*>(ptrs[0] + i * strides[0]) = ...;
//     }
//   });
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>

#include "torch/core/scalar.h"
#include "torch/core/tensor.h"

namespace tch {

inline constexpr int kMaxElementwiseDims = 16;
inline constexpr int kMaxElementwiseOperands = 4;

using ElementwiseKernel = void(const struct ElementwisePlan& plan);

struct ElementwisePlan {
  int num_operands = 0;  // operand 0 is the output
  int ndim = 0;          // dims after merging; dim 0 is the innermost
  int64_t numel = 0;
  int64_t sizes[kMaxElementwiseDims] = {};
  // strides[op][d]: bytes between neighbours of operand `op` along dim `d`;
  // 0 for broadcast dims.
  int64_t strides[kMaxElementwiseOperands][kMaxElementwiseDims] = {};
  char* data[kMaxElementwiseOperands] = {};
  DType dtypes[kMaxElementwiseOperands] = {};
  // Op parameters (alpha of add/sub, fill value, clamp bounds, ...).
  Scalar args[2];

  // True when every operand is dense with unit element stride in one dim.
  bool IsContiguous() const {
    if (ndim > 1) return false;
    for (int op = 0; op < num_operands; ++op) {
      if (ndim == 1 && strides[op][0] != ElementSize(dtypes[op])) return false;
    }
    return true;
  }
};

// Builds the plan for writing `out` from `inputs`. Every input must be
// broadcastable to out's shape (callers compute it with BroadcastShapes) and
// live on out's device. Throws ValueError when out has more than
// kMaxElementwiseDims dims that cannot be merged.
ElementwisePlan MakeElementwisePlan(const Tensor& out,
                                    std::initializer_list<Tensor> inputs);

// The shape that all `shapes` broadcast to, by NumPy's rules. Throws
// ValueError naming `op` and both sizes on a mismatch.
Shape BroadcastShapes(const char* op, std::initializer_list<IntList> shapes);

// Calls fn(ptrs, inner_strides, n) for consecutive 1-D runs covering linear
// positions [begin, end) of the plan (row-major order of the output shape).
// ptrs[op] point at the run's first element of each operand.
template <typename Fn>
void ForEachRun(const ElementwisePlan& plan, int64_t begin, int64_t end,
                Fn&& fn) {
  if (begin >= end) return;
  const int nops = plan.num_operands;
  if (plan.ndim == 0) {
    fn(plan.data, plan.strides[0], int64_t{1});  // a single element
    return;
  }
  // Multi-index of `begin` (dim 0 fastest).
  int64_t index[kMaxElementwiseDims];
  int64_t remaining = begin;
  for (int d = 0; d < plan.ndim; ++d) {
    index[d] = remaining % plan.sizes[d];
    remaining /= plan.sizes[d];
  }
  char* ptrs[kMaxElementwiseOperands];
  int64_t inner[kMaxElementwiseOperands];
  for (int op = 0; op < nops; ++op) {
    ptrs[op] = plan.data[op];
    inner[op] = plan.strides[op][0];
    for (int d = 0; d < plan.ndim; ++d) {
      ptrs[op] += index[d] * plan.strides[op][d];
    }
  }
  int64_t position = begin;
  while (position < end) {
    const int64_t n = std::min(plan.sizes[0] - index[0], end - position);
    fn(ptrs, inner, n);
    position += n;
    if (position >= end) break;
    // The run ended at the end of dim 0: rewind it, then carry outward.
    for (int op = 0; op < nops; ++op) ptrs[op] -= index[0] * inner[op];
    index[0] = 0;
    for (int d = 1; d < plan.ndim; ++d) {
      ++index[d];
      for (int op = 0; op < nops; ++op) ptrs[op] += plan.strides[op][d];
      if (index[d] < plan.sizes[d]) break;
      for (int op = 0; op < nops; ++op) {
        ptrs[op] -= plan.sizes[d] * plan.strides[op][d];
      }
      index[d] = 0;
    }
  }
}

}  // namespace tch
