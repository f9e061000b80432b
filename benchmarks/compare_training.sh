#!/bin/bash
# Training speed of tch against libtorch 1.13 (benchmarks/README.md,
# "Autograd and training steps (compare_training.sh)").
#   benchmarks/compare_training.sh step [ARGS...]
#       autograd chains and single training steps, both frameworks in one
#       process (train_step_libtorch + libtch_train_step.so); ARGS go to
#       train_step_libtorch: --mode=autograd,step --threads=1,2
#       --models=mlp,cnn,gpt --budget=SECONDS_PER_ROW --only=tch|libtorch.
#       The FP32 FMA peak (blas_choice peak, 1 and 2 threads) is measured
#       first and passed as --peak unless ARGS give one.
#   benchmarks/compare_training.sh e2e [--threads=1,2] [--models=mlp,cnn]
#                                      [--repeat=3]
#       one epoch of Fashion-MNIST: `tch train benchmarks/e2e/MODEL.yaml`
#       (samples/s from the run's timing.jsonl) against train_e2e_libtorch
#       (the same model, data, batch and optimizer in libtorch, logging the
#       same files), alternately; prints the table of the best runs.
# OPENBLAS_CORETYPE defaults to SkylakeX here (both frameworks use the same
# OpenBLAS; see "OpenBLAS and this machine's CPU" in README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
out=bazel-bin/benchmarks
blas_inc=/usr/include/x86_64-linux-gnu/openblas-pthread
blas_lib=/usr/lib/x86_64-linux-gnu/openblas-pthread
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE-SkylakeX}"
mode="${1:-step}"
[[ $# -gt 0 ]] && shift

[[ -e /usr/include/torch/csrc/api/include/torch/torch.h ]] ||
  { echo "compare_training.sh: needs libtorch: apt-get install -y libtorch-dev" >&2; exit 1; }
blas_alt=$(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu || true)
case "$blas_alt" in
  *openblas*) ;;
  *) echo "compare_training.sh: libblas.so.3 is '$blas_alt', not OpenBLAS" \
       "(update-alternatives --set libblas.so.3-x86_64-linux-gnu" \
       "$blas_lib/libblas.so.3; see ci/setup.sh)" >&2; exit 1 ;;
esac
echo "libblas.so.3 -> $blas_alt; OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE"

torch_flags=(-O2 -std=c++17 -w -DNDEBUG
  -isystem /usr/include/torch/csrc/api/include -Ibenchmarks)
torch_libs=(-Wl,--no-as-needed -ltorch -ltorch_cpu -lc10 -Wl,--as-needed
  -L"$blas_lib" -Wl,-rpath,"$blas_lib" -lopenblas -pthread)

if [[ "$mode" == "step" ]]; then
  bazel build //benchmarks:libtch_train_step.so
  g++ "${torch_flags[@]}" benchmarks/train_step_libtorch.cc \
    -o "$out/train_step_libtorch" \
    -L"$out" -Wl,-rpath,"$PWD/$out" -l:libtch_train_step.so "${torch_libs[@]}"
  args=("$@")
  if [[ " ${args[*]:-} " != *" --peak="* ]]; then
    # The FMA peak from blas_choice.cc (compare.sh blas builds it the same
    # way); it needs oneDNN's header only because that file also times it.
    if [[ -e /usr/include/oneapi/dnnl/dnnl.h ]]; then
      g++ -O2 -std=c++20 -I"$blas_inc" benchmarks/blas_choice.cc \
        -o "$out/blas_choice" -L"$blas_lib" -Wl,-rpath,"$blas_lib" \
        -lopenblas -l:libdnnl.so.2 -pthread
      p1=$("$out/blas_choice" peak 1 | sed 's/.*GFLOP\/s=//')
      p2=$("$out/blas_choice" peak 2 | sed 's/.*GFLOP\/s=//')
      echo "FP32 FMA peak (blas_choice peak): $p1 GFLOP/s on 1 thread, $p2 on 2"
      args+=("--peak=$p1,$p2")
    fi
  fi
  exec "$out/train_step_libtorch" "${args[@]}"
fi

if [[ "$mode" == "e2e" ]]; then
  threads=1,2 models=mlp,cnn repeat=3
  for a in "$@"; do
    case "$a" in
      --threads=*) threads=${a#*=} ;;
      --models=*) models=${a#*=} ;;
      --repeat=*) repeat=${a#*=} ;;
      *) echo "usage: $0 e2e [--threads=1,2] [--models=mlp,cnn] [--repeat=3]" >&2; exit 2 ;;
    esac
  done
  bazel build //tools/cli:tch
  g++ "${torch_flags[@]}" benchmarks/train_e2e_libtorch.cc \
    -o "$out/train_e2e_libtorch" "${torch_libs[@]}" -lz
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/tch_e2e.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # One run, printed as "NAME MODEL THREADS SAMPLES/S WALL ACCURACY CPU":
  # the training samples/s between the first and the last "train" record
  # of its timing.jsonl (steady state, logging included), its whole wall
  # time (process start to exit: data loading, the epoch, evaluation, the
  # checkpoint), the test accuracy from metrics.jsonl, and the whole run's
  # CPU seconds (user + system, all threads: on a loaded machine the
  # steadier measure of the work done, spin-waiting included).
  run_one() {  # NAME MODEL THREADS COMMAND...
    local name=$1 model=$2 t=$3 dir="$tmp/run"; shift 3
    rm -rf "$dir" "$dir.log"
    local t0 t1
    t0=$(date +%s.%N)
    /usr/bin/time -f "%U %S" -o "$dir.time" "$@" --run-dir="$dir" > "$dir.log" 2>&1 ||
      { cat "$dir.log" >&2; echo "$name failed: $*" >&2; exit 1; }
    t1=$(date +%s.%N)
    python3 - "$dir" "$t0" "$t1" "$name $model $t" <<'PY'
import json, sys
d, t0, t1, label = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
cpu = sum(float(x) for x in open(d + ".time").read().split()[-2:])
rows = [json.loads(l) for l in open(d + "/timing.jsonl") if l.strip()]
train = [r for r in rows if r["split"] == "train"]
a, b = train[0], train[-1]
n, batch = 60000, 128
samples = min(b["step"] * batch, n) - a["step"] * batch
acc = [json.loads(l) for l in open(d + "/metrics.jsonl")
       if '"eval"' in l][-1]["accuracy"]
print("%s %.1f %.3f %.4f %.2f" % (label, samples / (b["wall_time"] - a["wall_time"]),
                                  t1 - t0, acc, cpu))
PY
  }
  results="$tmp/results.txt"
  for m in ${models//,/ }; do
    for t in ${threads//,/ }; do
      for r in $(seq "$repeat"); do
        # Alternating, so that load from elsewhere hits all alike.
        run_one tch "$m" "$t" bazel-bin/tools/cli/tch train \
          "benchmarks/e2e/$m.yaml" "threads=$t" | tee -a "$results"
        run_one libtorch "$m" "$t" "$out/train_e2e_libtorch" --model="$m" \
          --threads="$t" | tee -a "$results"
        if [[ "$t" != 1 ]]; then
          # libtorch's OpenMP threads spin while waiting (GOMP's default);
          # on a loaded machine that starves the threads doing the work.
          OMP_WAIT_POLICY=passive run_one libtorch_passive "$m" "$t" \
            "$out/train_e2e_libtorch" --model="$m" --threads="$t" |
            tee -a "$results"
        fi
      done
    done
  done
  echo
  echo "One epoch of Fashion-MNIST (60000 images, batch 128, 469 steps);" \
    "best of $repeat alternating runs. samples/s: training, between the" \
    "first and the last train record of timing.jsonl; whole run: wall" \
    "seconds from process start to exit (data loading, epoch, evaluation" \
    "on 10000 test images, checkpoint). ratio = tch / libtorch time (< 1:" \
    "tch faster). cpu: user + system seconds of the whole run. lt passive:" \
    "libtorch with OMP_WAIT_POLICY=passive."
  echo
  python3 - "$results" <<'PY'
import collections, sys
best = collections.defaultdict(lambda: [0.0, 1e30, "", 1e30])
order = []
for line in open(sys.argv[1]):
    name, model, t, sps, wall, acc, cpu = line.split()
    if (model, t) not in order:
        order.append((model, t))
    b = best[(name, model, t)]
    b[0] = max(b[0], float(sps)); b[1] = min(b[1], float(wall)); b[2] = acc
    b[3] = min(b[3], float(cpu))
print("| model | T | tch samples/s | lt samples/s | ratio | tch whole run s "
      "| lt whole run s | ratio | tch cpu s | lt cpu s | ratio | lt passive "
      "samples/s | lt passive whole run s | lt passive cpu s | test accuracy "
      "tch / lt |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for model, t in order:
    a, b = best[("tch", model, t)], best[("libtorch", model, t)]
    p = best.get(("libtorch_passive", model, t))
    print("| %s | %s | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f | %.1f | %.1f "
          "| %.2f | %s | %s | %s | %s / %s |"
          % (model, t, a[0], b[0], b[0] / a[0], a[1], b[1], a[1] / b[1],
             a[3], b[3], a[3] / b[3],
             "%.0f" % p[0] if p else "-", "%.2f" % p[1] if p else "-",
             "%.1f" % p[3] if p else "-", a[2], b[2]))
PY
  exit 0
fi

echo "usage: $0 step|e2e [ARGS...]" >&2
exit 2
