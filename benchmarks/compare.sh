#!/bin/bash
# Builds and runs the side-by-side comparisons of benchmarks/README.md.
#   benchmarks/compare.sh [ARGS...]   tch vs libtorch table (ARGS go to
#                                     compare_libtorch: --threads=1,2
#                                     --filter=SUBSTRING --budget=SECONDS)
#   benchmarks/compare.sh blas        FP32 peak and OpenBLAS vs oneDNN sgemm
# Needs libtorch-dev (comparison) or libdnnl-dev (blas); neither is a tch
# dependency, which is why this script, not Bazel, compiles these programs.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bazel-bin/benchmarks
blas_inc=/usr/include/x86_64-linux-gnu/openblas-pthread
blas_lib=/usr/lib/x86_64-linux-gnu/openblas-pthread

if [[ "${1:-}" == "blas" ]]; then
  [[ -e /usr/include/oneapi/dnnl/dnnl.h ]] ||
    { echo "compare.sh: needs oneDNN headers: apt-get install -y libdnnl-dev" >&2; exit 1; }
  mkdir -p "$out"
  g++ -O2 -std=c++20 -I"$blas_inc" benchmarks/blas_choice.cc -o "$out/blas_choice" \
    -L"$blas_lib" -Wl,-rpath,"$blas_lib" -lopenblas -l:libdnnl.so.2 -pthread
  for t in 1 2; do "$out/blas_choice" peak "$t"; done
  # OpenBLAS as it loads by default (up to n = 1024: its fallback kernels
  # are slow), then with the kernels it should have chosen (Note [OpenBLAS core type] in torch/kernels/cpu/linalg_kernels.cc).
  for t in 1 2; do
    OMP_NUM_THREADS=$t "$out/blas_choice" onednn "$t"
    env -u OPENBLAS_CORETYPE "$out/blas_choice" openblas "$t" 1024 | sed 's/lib=openblas/lib=openblas(default core)/'
    OPENBLAS_CORETYPE=SkylakeX "$out/blas_choice" openblas "$t" | sed 's/lib=openblas/lib=openblas(SkylakeX)/'
  done
  exit 0
fi

[[ -e /usr/include/torch/csrc/api/include/torch/torch.h ]] ||
  { echo "compare.sh: needs libtorch: apt-get install -y libtorch-dev" >&2; exit 1; }
bazel build //benchmarks:libtch_compare.so
g++ -O2 -std=c++17 -w -DNDEBUG \
  -isystem /usr/include/torch/csrc/api/include -Ibenchmarks \
  benchmarks/compare_libtorch.cc -o "$out/compare_libtorch" \
  -L"$out" -Wl,-rpath,"$PWD/$out" -l:libtch_compare.so \
  -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10 -Wl,--as-needed \
  -L"$blas_lib" -Wl,-rpath,"$blas_lib" -lopenblas -pthread
exec "$out/compare_libtorch" "$@"
