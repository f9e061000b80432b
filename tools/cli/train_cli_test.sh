#!/bin/bash
# End-to-end tests of `tch train` and the commands around it, on synthetic
# data (always) and small Fashion-MNIST subsets (when the Debian package is
# installed): a short run and its outputs, resume after SIGTERM and after
# kill -9 giving bit-identical metrics and weights, a corrupted checkpoint,
# config errors with their exact messages, predict output, non-TTY output,
# a diverging run, eval and check.
set -u
tch="$PWD/tools/cli/tch"
work="${TEST_TMPDIR:-/tmp}/train_cli_test"
rm -rf "$work" && mkdir -p "$work" && cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

cat > synth.yaml <<'YAML'
seed: 3
threads: 1
model:
  arch: mlp
  hidden: [32]
data:
  dataset: synthetic
  synthetic: {num_samples: 512, input_shape: [1, 4, 4], num_classes: 4}
  batch_size: 32
  prefetch: 1
optimizer:
  name: adam
  lr: 0.01
schedule:
  name: cosine
  warmup_steps: 5
train:
  max_steps: 60
  eval_interval: 20
  log_interval: 5
  grad_clip_norm: 1.0
checkpoint:
  interval_steps: 10
  keep_last: 2
  keep_best: {metric: val_accuracy, mode: max}
YAML

# --- a short run and what it leaves behind -----------------------------------
out=$("$tch" train synth.yaml --run-dir=straight 2>&1) || fail "train exited $?: $out"
[[ "$out" != *$'\r'* ]] || fail "non-TTY output contains carriage returns"
grep -q "^done: 60 steps;" <<<"$out" || fail "no done line: $out"
for f in config.yaml metrics.jsonl metrics.csv timing.jsonl curves.png checkpoints/LATEST; do
  [ -s "straight/$f" ] || fail "missing straight/$f"
done
ls straight/tensorboard/events.out.tfevents.* >/dev/null || fail "no TensorBoard events"
[ "$(head -c 8 straight/curves.png | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "curves.png is not a PNG"
# keep_last 2 plus the best: at most 3 checkpoints, the final one among them.
n=$(ls -d straight/checkpoints/step-* | wc -l)
[ "$n" -ge 2 ] && [ "$n" -le 3 ] || fail "retention kept $n checkpoints"
[ -d straight/checkpoints/step-000000000060 ] || fail "no final checkpoint"
acc=$(grep '"split":"eval"' straight/metrics.jsonl | tail -1 | sed 's/.*"accuracy":\([0-9.e-]*\).*/\1/')
awk -v a="$acc" 'BEGIN { exit !(a > 0.8) }' || fail "synthetic accuracy $acc <= 0.8"
pass "short run (final eval accuracy $acc)"

# Same config, seed and threads: bit-identical metrics.
"$tch" train synth.yaml --run-dir=again >/dev/null 2>&1 || fail "second run failed"
cmp -s straight/metrics.jsonl again/metrics.jsonl || fail "two identical runs differ"
pass "deterministic"

# A run directory with checkpoints is never overwritten.
err=$("$tch" train synth.yaml --run-dir=straight 2>&1); s=$?
[ $s -eq 1 ] || fail "reusing a run dir should exit 1, got $s"
grep -q "already has checkpoints (newest: step 60); pass --resume auto" <<<"$err" || fail "reuse message: $err"
pass "run dir protected"

# --- SIGTERM: checkpoint, exit 143, resume bit-exactly ---------------------
# `exec` so that $! is tch itself, not a subshell running the function.
run_bg() { exec "$tch" train synth.yaml --run-dir="$1" "${@:2}"; }
resumed_equal() {  # reference-dir run-dir final-step what
  local final; final=$(printf 'step-%012d' "$3")
  cmp -s "$1/metrics.jsonl" "$2/metrics.jsonl" || { diff "$1/metrics.jsonl" "$2/metrics.jsonl" | head; fail "$4: metrics differ"; }
  cmp -s "$1/checkpoints/$final/model.safetensors" "$2/checkpoints/$final/model.safetensors" || fail "$4: final weights differ"
  cmp -s "$1/checkpoints/$final/optimizer.safetensors" "$2/checkpoints/$final/optimizer.safetensors" || fail "$4: final optimizer state differs"
}
run_bg term >term.log 2>&1 &
pid=$!
for _ in $(seq 500); do grep -q "eval step" term.log 2>/dev/null && break; sleep 0.02; done
kill -TERM $pid; wait $pid; s=$?
if [ $s -eq 143 ]; then
  grep -q "interrupted by signal 15" term.log || fail "no interrupt message: $(cat term.log)"
  "$tch" train synth.yaml --run-dir=term --resume auto >/dev/null 2>&1 || fail "resume after SIGTERM failed"
  resumed_equal straight term 60 "SIGTERM resume"
  pass "SIGTERM -> 143 -> bit-exact resume"
else
  [ $s -eq 0 ] || fail "SIGTERM run exited $s"
  echo "note: the run finished before SIGTERM arrived"
fi

# --- kill -9 at arbitrary moments ------------------------------------------
# A longer run, so that the kills land while it trains.
long=(train.max_steps=400 checkpoint.interval_steps=7 train.eval_interval=50)
"$tch" train synth.yaml --run-dir=long "${long[@]}" >/dev/null 2>&1 || fail "long run failed"
killed_mid_run=0
for delay in 0.1 0.25 0.45 0.7; do
  rm -rf killed
  run_bg killed "${long[@]}" >killed.log 2>&1 &
  pid=$!
  sleep $delay
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
  [ -d killed/checkpoints/step-000000000400 ] || killed_mid_run=$((killed_mid_run + 1))
  "$tch" train synth.yaml --run-dir=killed --resume auto "${long[@]}" >resume.log 2>&1 || fail "resume after kill -9 ($delay s) failed: $(cat resume.log)"
  resumed_equal long killed 400 "kill -9 after $delay s"
done
[ $killed_mid_run -gt 0 ] || fail "every run finished before kill -9; the test proved nothing"
pass "kill -9 ($killed_mid_run runs killed mid-training) -> bit-exact resume"

# --- a corrupted newest checkpoint is named and skipped --------------------
rm -rf corrupt && cp -r straight corrupt
printf 'garbage' | dd of=corrupt/checkpoints/step-000000000060/model.safetensors bs=1 seek=100 conv=notrunc 2>/dev/null
out=$("$tch" train synth.yaml --run-dir=corrupt --resume auto 2>&1) || fail "resume with a corrupt checkpoint failed: $out"
grep -q "skipping damaged checkpoint step-000000000060/model.safetensors: checksum mismatch" <<<"$out" || fail "corruption not reported: $out"
grep -q "resumed from .*step-000000000050 at step 50" <<<"$out" || fail "did not fall back to step 50: $out"
resumed_equal straight corrupt 60 "resume from the previous checkpoint"
pass "corrupt checkpoint skipped"

# --- config errors: exact messages, exit 1 -----------------------------------
expect_error() {  # expected-message args...
  local want="$1"; shift
  err=$("$tch" "$@" 2>&1); s=$?
  [ $s -eq 1 ] || fail "'$*' should exit 1, got $s: $err"
  grep -qF -- "$want" <<<"$err" || fail "'$*': expected message '$want', got: $err"
}
printf 'model:\n  arch: mlp\n  hiden: [3]\ndata:\n  dataset: synthetic\n' > typo.yaml
expect_error "typo.yaml:3:3: model.hiden: unknown key; did you mean 'hidden'?" train typo.yaml
printf 'model:\n  arch: mlp\ndata:\n  dataset: synthetic\noptimizer:\n  lr: fast\n' > badlr.yaml
expect_error 'badlr.yaml:6:7: optimizer.lr: expected a positive number, got "fast"' train badlr.yaml
expect_error "command line: optimizer.lrr=0.1: unknown key; did you mean 'lr'?" train synth.yaml optimizer.lrr=0.1
expect_error "cannot read config 'missing.yaml'" train missing.yaml
pass "config errors"

# --- usage errors: exit 2 -----------------------------------------------------
"$tch" train >/dev/null 2>&1; [ $? -eq 2 ] || fail "train without config should exit 2"
err=$("$tch" train synth.yaml --resum auto 2>&1); [ $? -eq 2 ] || fail "unknown flag should exit 2"
grep -q "unknown flag --resum auto\|unknown flag --resum; did you mean --resume?" <<<"$err" || fail "unknown flag message: $err"
"$tch" train --help | grep -q -- "--resume" || fail "train --help lacks --resume"
pass "usage errors"

# --- divergence: NaN loss stops with the step named --------------------------
expect_error "loss is" train synth.yaml --run-dir=nan optimizer.lr=1e30 optimizer.name=sgd schedule.name=constant schedule.warmup_steps=0 ~train.grad_clip_norm
grep -q "at step" <<<"$err" || fail "divergence message lacks the step: $err"
pass "divergence"

# --- eval, check, config print ----------------------------------------------
out=$("$tch" eval synth.yaml --checkpoint straight) || fail "eval failed"
grep -q '"accuracy":' <<<"$out" || fail "eval output: $out"
out=$("$tch" check synth.yaml --run-dir=checkdir) || fail "check failed: $out"
grep -q "^ready" <<<"$out" || fail "check output: $out"
out=$("$tch" config print synth.yaml optimizer.lr=0.5 --provenance) || fail "config print failed"
grep -q "^optimizer.lr: 0.5  # command line" <<<"$out" || fail "provenance: $out"
grep -q "^seed: 3  # synth.yaml:1:7" <<<"$out" || fail "provenance of a file value: $out"
pass "eval, check, config print"

# --- fine-tuning from weights; mismatches reported by name ------------------
out=$("$tch" train synth.yaml --run-dir=finetune --init-from straight/checkpoints/step-000000000060/model.safetensors train.max_steps=5 2>&1) || fail "--init-from failed: $out"
first=$(grep '"split":"train"' finetune/metrics.jsonl | head -1 | sed 's/.*"loss":\([0-9.e-]*\).*/\1/')
scratch=$(grep '"split":"train"' straight/metrics.jsonl | head -1 | sed 's/.*"loss":\([0-9.e-]*\).*/\1/')
awk -v a="$first" -v b="$scratch" 'BEGIN { exit !(a < b / 4) }' || fail "fine-tuned first loss $first is not far below the from-scratch $scratch"
expect_error "1.weight: expected [16, 16], got [32, 16]" train synth.yaml --run-dir=mismatch --init-from straight/checkpoints/step-000000000060/model.safetensors "model.hidden=[16]"
pass "--init-from"

# --- early stopping ------------------------------------------------------------
out=$("$tch" train synth.yaml --run-dir=early train.max_steps=2000 train.eval_interval=10 train.early_stopping.metric=val_loss train.early_stopping.patience=2 optimizer.name=sgd "optimizer.lr=1e-12" schedule.name=constant schedule.warmup_steps=0 2>&1) || fail "early stopping run failed: $out"
grep -q "early stopping: val_loss did not improve for 2 evaluations" <<<"$out" || fail "no early stop: $out"
steps=$(grep -o "^done: [0-9]*" <<<"$out" | grep -o "[0-9]*")
[ "$steps" -lt 2000 ] || fail "early stopping did not stop ($steps steps)"
pass "early stopping after $steps steps"

# --- Fashion-MNIST: a real model, predict output -----------------------------
if [ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
  cat > fm.yaml <<'YAML'
threads: 1
model: {arch: mlp, hidden: [64]}
data: {dataset: fashion_mnist, limit_train: 2000, limit_eval: 500, batch_size: 64}
optimizer: {name: adam, lr: 0.002}
train: {epochs: 2}
YAML
  "$tch" train fm.yaml --run-dir=fm >/dev/null 2>&1 || fail "fashion-mnist train failed"
  "$tch" predict fm.yaml --checkpoint fm --input /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz --output pred.jsonl || fail "predict failed"
  [ "$(wc -l < pred.jsonl)" -eq 10000 ] || fail "predict wrote $(wc -l < pred.jsonl) lines"
  head -1 pred.jsonl | grep -q '^{"index":0,"class":[0-9],"label":"[^"]*","probabilities":\[' || fail "predict JSONL format: $(head -1 pred.jsonl)"
  "$tch" predict fm.yaml --checkpoint fm --input /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz --output pred.csv || fail "predict csv failed"
  head -1 pred.csv | grep -q '^index,class,label,probabilities_0,' || fail "predict CSV header: $(head -1 pred.csv)"
  pass "fashion-mnist train + predict"
else
  echo "skip: Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)"
fi
echo PASS
