// File: torch/kernels/cuda/cuda_loops.h
//
// The boundary between host C++ and CUDA device code: plain structs and the
// launcher declarations that elementwise_kernels.cu implements. Host code
// (elementwise_launch.cc) turns core's ElementwisePlan into a CudaLoop; the
// .cu file only holds kernels and thin launchers, so nvcc never parses the
// rest of tch.
#pragma once

#include <cstdint>

#include "torch/core/dtype.h"

namespace tch::cuda {

inline constexpr int kMaxDims = 16;
inline constexpr int kMaxOperands = 4;

// An elementwise loop over up to four operands (operand 0 is the output),
// dims innermost first, strides in bytes.
struct CudaLoop {
  int ndim = 0;
  int num_operands = 0;
  int64_t numel = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t strides[kMaxOperands][kMaxDims] = {};
  char* data[kMaxOperands] = {};
  double arg = 0;       // fill value, alpha
  int64_t int_arg = 0;  // the same for integral dtypes (exact)
};

enum class BinaryOp : int { kAdd, kSub, kMul, kDiv };

// Each launcher enqueues on the current device's default stream, then checks
// the launch with cudaGetLastError and throws tch::Error naming the kernel.
void LaunchFill(const CudaLoop& loop, DType dtype);
void LaunchBinary(const CudaLoop& loop, DType dtype, BinaryOp op);
void LaunchCast(const CudaLoop& loop, DType out_dtype, DType in_dtype);

}  // namespace tch::cuda
