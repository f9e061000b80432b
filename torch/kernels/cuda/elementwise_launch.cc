// Registers the CUDA elementwise kernels: converts core's ElementwisePlan to
// the nvcc-safe CudaLoop and calls the launchers in elementwise_kernels.cu.
// Copies between host and device go through cudaMemcpy (contiguous, same
// dtype) or a staged device copy.
#include <cuda_runtime.h>

#include <cstring>

#include "torch/core/dispatch.h"
#include "torch/core/elementwise.h"
#include "torch/core/ops.h"
#include "torch/kernels/cuda/cuda_loops.h"

namespace tch::cuda {
namespace {

CudaLoop ToCudaLoop(const ElementwisePlan& plan) {
  CudaLoop loop;
  loop.ndim = plan.ndim;
  loop.num_operands = plan.num_operands;
  loop.numel = plan.numel;
  for (int d = 0; d < plan.ndim; ++d) {
    loop.sizes[d] = plan.sizes[d];
    for (int op = 0; op < plan.num_operands; ++op) {
      loop.strides[op][d] = plan.strides[op][d];
    }
  }
  for (int op = 0; op < plan.num_operands; ++op) loop.data[op] = plan.data[op];
  loop.arg = plan.args[0].to<double>();
  loop.int_arg = plan.args[0].to<int64_t>();
  return loop;
}

bool IsDevicePointer(const void* ptr) {
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, ptr) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error for host pointers
    return false;
  }
  return attributes.type == cudaMemoryTypeDevice;
}

void FillKernel(const ElementwisePlan& plan) {
  LaunchFill(ToCudaLoop(plan), plan.dtypes[0]);
}

template <BinaryOp kOp>
void BinaryKernel(const ElementwisePlan& plan) {
  LaunchBinary(ToCudaLoop(plan), plan.dtypes[0], kOp);
}

void CopyKernel(const ElementwisePlan& plan) {
  const bool dst_device = IsDevicePointer(plan.data[0]);
  const bool src_device = IsDevicePointer(plan.data[1]);
  if (dst_device && src_device) {
    LaunchCast(ToCudaLoop(plan), plan.dtypes[0], plan.dtypes[1]);
    return;
  }
  // Host <-> device: only dense, same-dtype copies go straight through
  // cudaMemcpy; ops.cc makes host staging tensors contiguous first.
  TCH_CHECK(plan.IsContiguous() && plan.dtypes[0] == plan.dtypes[1],
            "copy_: host/device copies need contiguous tensors of one dtype; "
            "got ",
            plan.dtypes[1], " -> ", plan.dtypes[0]);
  const size_t nbytes =
      static_cast<size_t>(plan.numel) * ElementSize(plan.dtypes[0]);
  const cudaError_t status =
      cudaMemcpy(plan.data[0], plan.data[1], nbytes, cudaMemcpyDefault);
  TCH_CHECK_T(Error, status == cudaSuccess, "copy_: cudaMemcpy of ", nbytes,
              " bytes failed: ", cudaGetErrorString(status));
}

[[maybe_unused]] const bool kRegistered = [] {
  const std::vector<DType> all = AllDTypes();
  const std::vector<DType> numeric = NumericDTypes();
  KernelRegistrar("fill", DeviceType::kCuda, all, &FillKernel);
  KernelRegistrar("copy", DeviceType::kCuda, all, &CopyKernel);
  KernelRegistrar("add", DeviceType::kCuda, numeric,
                  &BinaryKernel<BinaryOp::kAdd>);
  KernelRegistrar("sub", DeviceType::kCuda, numeric,
                  &BinaryKernel<BinaryOp::kSub>);
  KernelRegistrar("mul", DeviceType::kCuda, numeric,
                  &BinaryKernel<BinaryOp::kMul>);
  KernelRegistrar("div", DeviceType::kCuda, FloatingDTypes(),
                  &BinaryKernel<BinaryOp::kDiv>);
  return true;
}();

}  // namespace
}  // namespace tch::cuda
