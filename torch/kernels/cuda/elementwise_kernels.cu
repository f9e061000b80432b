// CUDA device code for elementwise ops: one grid-stride kernel template over
// a CudaLoop, and thin launchers. See cuda_loops.h.
#include <cuda_runtime.h>

#include <type_traits>

#include "torch/core/error.h"
#include "torch/kernels/cuda/cuda_loops.h"

namespace tch::cuda {
namespace {

constexpr int kThreads = 256;

template <typename T>
using OpMath = std::conditional_t<
    std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>, float, T>;

// Byte offset of linear element `i` of operand `op`.
__device__ int64_t Offset(const CudaLoop& loop, int op, int64_t i) {
  int64_t offset = 0;
  for (int d = 0; d < loop.ndim; ++d) {
    const int64_t index = i % loop.sizes[d];
    i /= loop.sizes[d];
    offset += index * loop.strides[op][d];
  }
  return offset;
}

template <typename F>
__global__ void ElementwiseKernel(CudaLoop loop, F f) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
       i < loop.numel; i += stride) {
    f(loop, i);
  }
}

template <typename F>
void Launch(const CudaLoop& loop, F f, const char* name) {
  if (loop.numel == 0) return;
  const int64_t blocks64 = (loop.numel + kThreads - 1) / kThreads;
  const int blocks =
      static_cast<int>(blocks64 < 65535 * 32 ? blocks64 : 65535 * 32);
  ElementwiseKernel<<<blocks, kThreads>>>(loop, f);
  const cudaError_t status = cudaGetLastError();
  TCH_CHECK_T(Error, status == cudaSuccess, "CUDA kernel ", name,
              " failed to launch: ", cudaGetErrorString(status));
}

template <typename T>
__device__ T& At(const CudaLoop& loop, int op, int64_t i) {
  return *reinterpret_cast<T*>(loop.data[op] + Offset(loop, op, i));
}

template <typename T>
void Fill(const CudaLoop& loop) {
  const T value = IsFloatingPoint(DTypeOf<T>())
                      ? T(static_cast<OpMath<T>>(loop.arg))
                      : T(static_cast<OpMath<T>>(loop.int_arg));
  Launch(
      loop,
      [value] __device__(const CudaLoop& l, int64_t i) {
        At<T>(l, 0, i) = value;
      },
      "fill");
}

template <typename T>
void Binary(const CudaLoop& loop, BinaryOp op) {
  using M = OpMath<T>;
  const M alpha = IsFloatingPoint(DTypeOf<T>()) ? static_cast<M>(loop.arg)
                                                : static_cast<M>(loop.int_arg);
  Launch(
      loop,
      [op, alpha] __device__(const CudaLoop& l, int64_t i) {
        const M a = M(At<T>(l, 1, i));
        const M b = M(At<T>(l, 2, i));
        M r;
        switch (op) {
          case BinaryOp::kAdd:
            r = a + alpha * b;
            break;
          case BinaryOp::kSub:
            r = a - alpha * b;
            break;
          case BinaryOp::kMul:
            r = a * b;
            break;
          default:
            r = a / b;
            break;
        }
        At<T>(l, 0, i) = T(r);
      },
      "binary");
}

template <typename Out, typename In>
void Cast(const CudaLoop& loop) {
  Launch(
      loop,
      [] __device__(const CudaLoop& l, int64_t i) {
        const OpMath<In> v = OpMath<In>(At<In>(l, 1, i));
        if constexpr (std::is_same_v<Out, bool>) {
          At<Out>(l, 0, i) = v != OpMath<In>(0);
        } else {
          At<Out>(l, 0, i) = Out(static_cast<OpMath<Out>>(v));
        }
      },
      "cast");
}

}  // namespace

void LaunchFill(const CudaLoop& loop, DType dtype) {
  VisitDType(dtype, [&]<typename T>() { Fill<T>(loop); });
}

void LaunchBinary(const CudaLoop& loop, DType dtype, BinaryOp op) {
  VisitDType(dtype, [&]<typename T>() {
    if constexpr (std::is_same_v<T, bool>) {
      TCH_CHECK(false, "CUDA binary ops do not take bool tensors");
    } else {
      Binary<T>(loop, op);
    }
  });
}

void LaunchCast(const CudaLoop& loop, DType out_dtype, DType in_dtype) {
  VisitDType(out_dtype, [&]<typename Out>() {
    VisitDType(in_dtype, [&]<typename In>() { Cast<Out, In>(loop); });
  });
}

}  // namespace tch::cuda
