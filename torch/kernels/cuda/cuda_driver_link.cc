// Proves that the driver-API target (@local_config_cuda//:cuda_driver, the
// link-time stub of libcuda) links. Built in CUDA builds; run only where a
// real driver exists (it prints the driver version).
#include <cuda.h>

#include <cstdio>

int main() {
  if (cuInit(0) != CUDA_SUCCESS) {
    std::printf("no CUDA driver usable\n");
    return 1;
  }
  int version = 0;
  cuDriverGetVersion(&version);
  std::printf("CUDA driver %d\n", version);
  return 0;
}
