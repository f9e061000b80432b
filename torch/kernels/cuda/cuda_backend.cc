// The CUDA device backend and allocator, registered into core at load time.
// Host-only C++ over the CUDA runtime API: device discovery degrades to "0
// devices, because ..." when no driver or GPU exists, so CPU-only machines
// can run a CUDA build.
#include <cuda_runtime.h>

#include <string>

#include "torch/core/device.h"
#include "torch/core/error.h"
#include "torch/core/storage.h"

namespace tch::cuda {
namespace {

class CudaBackend final : public DeviceBackend {
 public:
  int DeviceCount() const override {
    int count = 0;
    return cudaGetDeviceCount(&count) == cudaSuccess ? count : 0;
  }

  std::string Describe(int index) const override {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, index) != cudaSuccess) {
      return "unavailable";
    }
    return detail::StrCat(prop.name, ", sm_", prop.major, prop.minor, ", ",
                          prop.totalGlobalMem >> 20, " MiB");
  }

  std::string Unavailable() const override {
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess) return cudaGetErrorString(status);
    return count == 0 ? "no CUDA devices visible" : "";
  }
};

class CudaAllocator final : public Allocator {
 public:
  void* Allocate(size_t nbytes, int device_index) override {
    if (nbytes == 0) return nullptr;
    int previous = 0;
    cudaGetDevice(&previous);
    cudaSetDevice(device_index);
    void* ptr = nullptr;
    const cudaError_t status = cudaMalloc(&ptr, nbytes);
    cudaSetDevice(previous);
    TCH_CHECK_T(Error, status == cudaSuccess, "cuda:", device_index,
                ": failed to allocate ", nbytes,
                " bytes: ", cudaGetErrorString(status));
    return ptr;
  }

  void Free(void* ptr, int /*device_index*/) noexcept override {
    if (ptr != nullptr) cudaFree(ptr);
  }
};

[[maybe_unused]] const bool kRegistered = [] {
  static CudaBackend backend;
  static CudaAllocator allocator;
  RegisterDeviceBackend(DeviceType::kCuda, &backend);
  RegisterAllocator(DeviceType::kCuda, &allocator);
  return true;
}();

}  // namespace
}  // namespace tch::cuda
