// Links every CUDA library tch exposes (cudart, cuBLAS/cuBLASLt, cuDNN, NCCL)
// and checks that each loads and reports the version its headers declare.
// None of these calls needs a GPU. Built as a test in CUDA builds only; the
// CPU build compiles cuda_libraries_skip.cc in its place.
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <nccl.h>

#include <cstdio>

int main() {
  int failures = 0;
  auto check = [&failures](const char* what, long got, long expected) {
    std::printf("%-10s runtime %ld, headers %ld%s\n", what, got, expected,
                got == expected ? "" : "  <-- MISMATCH");
    if (got != expected) ++failures;
  };
  int runtime = 0;
  if (cudaRuntimeGetVersion(&runtime) != cudaSuccess) {
    std::printf("cudaRuntimeGetVersion failed\n");
    return 1;
  }
  check("cudart", runtime, CUDART_VERSION);
  int cublas_major = 0;
  cublasGetProperty(MAJOR_VERSION, &cublas_major);
  check("cublas", cublas_major, CUBLAS_VER_MAJOR);
  check("cublasLt", static_cast<long>(cublasLtGetVersion()) / 10000,
        CUBLAS_VERSION / 10000);
  check("cudnn", static_cast<long>(cudnnGetVersion()) / 10000,
        CUDNN_VERSION / 10000);
  int nccl = 0;
  ncclGetVersion(&nccl);
  check("nccl", nccl / 10000, NCCL_VERSION_CODE / 10000);
  return failures == 0 ? 0 : 1;
}
