#!/usr/bin/python3
"""Golden training runs for tests/training/training_parity_test.cc.

Reference: PyTorch 1.13 (Debian's python3-torch), torch.optim with
foreach=False (the single-tensor implementations tch follows). Run from the
repository root:
    /usr/bin/python3 tests/golden/training_parity_golden.py
writes tests/golden/training_parity.safetensors.

Four models, built in PyTorch with exactly the structure and parameter names
of tch's model zoo (torch/nn/models.h), so that their state_dicts load into
tch strictly:
  mlp         MakeMlp({in 64, hidden {32}, out 10, relu}) on [16, 1, 8, 8]
  cnn         MakeCnn({in 1, 12x12, channels {4, 8}, k 3, pool, no fc_hidden,
              10 classes}) on [8, 1, 12, 12]
  gpt_tied    MakeGpt({vocab 17, context 8, d 16, heads 2, layers 2,
  gpt_untied  mlp_ratio 4, dropout 0, tie_weights true / false}) on int64
              ids [4, 8]; the loss is over all 4 * 8 positions
Data: for the MLP and CNN, ten classes, each a smooth random prototype image
plus Gaussian noise; for the GPTs, sequences following s[t+1] = (3 s[t] + 5)
mod 17 with one token in four replaced by noise. The GPTs start from MakeGpt's
GPT-2 initialization, the others from PyTorch's default one.
Each model is trained for STEPS steps, from the same initial weights and on
the same batches, with three recipes:
  sgd         SGD(lr per model, momentum 0.9, nesterov False, wd 1e-4)
  adam        Adam(lr per model)
  adamw       AdamW(lr 1e-2, wd 0.01) + clip_grad_norm_(max_norm 1.0) +
              LambdaLR with the closed form of tch's CosineWarmupLR
              (warmup 4, total 20, min_lr 1e-4, warmup_start_factor 0.1)
in float32 and again in float64 (the same float32-representable initial
weights and inputs, cast exactly), each step being
  zero_grad; loss = cross_entropy(model(x), y); backward;
  [clip]; optimizer.step(); [scheduler.step()]

Tensors:
  <model>.init.<name>          the initial state_dict (float32)
  <model>.x, <model>.y         the STEPS batches stacked on a new dim 0
                               (x float32 or int64 ids, y int64 labels)
  <model>.<recipe>.<dt>.loss   float64 [STEPS]: the loss of each step
  <model>.<recipe>.<dt>.gnorm  float64 [STEPS]: the global L2 norm of the
                               gradients (before clipping), computed in
                               float64 from the grads
  <model>.<recipe>.<dt>.lr     float64 [STEPS]: the lr each step ran with
  <model>.<recipe>.<dt>.final.<name>   the state_dict after the last step
with <dt> "f32" or "f64". Hyperparameters are repeated in the C++ test (not
read from here), so changing one there makes the test fail.
"""

import math
import os

import torch
from torch import nn
from safetensors.torch import save_file

torch.manual_seed(20240611)
torch.set_num_threads(1)
OUT = {}
STEPS = 20

# Per-model learning rates for SGD and Adam (AdamW shares one schedule).
SGD_LR = {"mlp": 0.1, "cnn": 0.1, "gpt_tied": 0.5, "gpt_untied": 0.5}
ADAM_LR = {"mlp": 3e-3, "cnn": 1e-2, "gpt_tied": 3e-3, "gpt_untied": 3e-3}
ADAMW_LR, ADAMW_WD, MAX_NORM = 1e-2, 0.01, 1.0
WARMUP, TOTAL, MIN_LR, START = 4, 20, 1e-4, 0.1


def put(name, t):
    OUT[name] = t.detach().contiguous().clone()


def cosine_warmup_factor(t, base):
    """tch's CosineWarmupLR (lr_scheduler.h) as a factor of the base lr."""
    if t < WARMUP:
        return START + (1 - START) * t / WARMUP
    if t >= TOTAL:
        return MIN_LR / base
    progress = (t - WARMUP) / (TOTAL - WARMUP)
    return (MIN_LR + (base - MIN_LR) * (1 + math.cos(math.pi * progress)) / 2
            ) / base


# --- Models (tch's zoo structure and names) --------------------------------
def make_mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(),
                         nn.Linear(32, 10))


def make_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(8 * 3 * 3, 10))


class Block(nn.Module):
    """tch's TransformerBlock: pre-LN, causal, GELU MLP."""

    def __init__(self, d, heads, ratio):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, ratio * d), nn.GELU(),
                                 nn.Linear(ratio * d, d), nn.Dropout(0.0))
        self.drop = nn.Dropout(0.0)

    def forward(self, x):
        t = x.shape[1]
        causal = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
        h = self.ln1(x)
        h, _ = self.attn(h, h, h, attn_mask=causal, need_weights=False)
        x = x + self.drop(h)
        return x + self.mlp(self.ln2(x))


class Gpt(nn.Module):
    """tch's MakeGpt, including its GPT-2 initialization."""

    def __init__(self, vocab, context, d, heads, layers, ratio, tie):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab, d)
        self.pos_emb = nn.Embedding(context, d)
        self.drop = nn.Dropout(0.0)
        self.blocks = nn.ModuleList(
            [Block(d, heads, ratio) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        proj_std = 0.02 / math.sqrt(2 * layers)
        with torch.no_grad():
            for name, m in self.named_modules():
                if isinstance(m, nn.Linear):
                    proj = name.endswith("attn.out_proj") or name.endswith(
                        "mlp.2")
                    m.weight.normal_(0, proj_std if proj else 0.02)
                    if m.bias is not None:
                        m.bias.zero_()
                elif isinstance(m, nn.Embedding):
                    m.weight.normal_(0, 0.02)
                elif isinstance(m, nn.MultiheadAttention):
                    m.in_proj_weight.normal_(0, 0.02)
                    m.in_proj_bias.zero_()
        if tie:
            self.head.weight = self.tok_emb.weight

    def forward(self, ids):
        pos = torch.arange(ids.shape[1])
        h = self.drop(self.tok_emb(ids) + self.pos_emb(pos))
        for b in self.blocks:
            h = b(h)
        return self.head(self.ln_f(h))


VOCAB, CONTEXT = 17, 8


def lm_batches(batch):
    """Next-token data with a learnable rule: s[t+1] = (3 s[t] + 5) mod 17,
    with one token in four replaced by noise."""
    seq = torch.empty(STEPS, batch, CONTEXT + 1, dtype=torch.int64)
    seq[:, :, 0] = torch.randint(0, VOCAB, (STEPS, batch))
    for t in range(CONTEXT):
        nxt = (3 * seq[:, :, t] + 5) % VOCAB
        noise = torch.randint(0, VOCAB, nxt.shape)
        seq[:, :, t + 1] = torch.where(
            torch.rand(nxt.shape) < 0.25, noise, nxt)
    return seq[:, :, :CONTEXT].contiguous(), seq[:, :, 1:].contiguous()


def prototype_batches(shape, batch):
    """Ten classes: a smooth random prototype per class (a random image at
    a quarter of the resolution, upsampled 4x) plus Gaussian noise."""
    c, h, w = shape
    protos = torch.randn(10, c, h // 4, w // 4)
    protos = protos.repeat_interleave(4, 2).repeat_interleave(4, 3)
    y = torch.randint(0, 10, (STEPS, batch))
    x = 0.7 * protos[y] + torch.randn(STEPS, batch, *shape)
    return x, y


MODELS = {
    "mlp": (make_mlp, lambda: prototype_batches((1, 8, 8), 16)),
    "cnn": (make_cnn, lambda: prototype_batches((1, 12, 12), 8)),
    "gpt_tied": (lambda: Gpt(VOCAB, CONTEXT, 16, 2, 2, 4, True),
                 lambda: lm_batches(4)),
    "gpt_untied": (lambda: Gpt(VOCAB, CONTEXT, 16, 2, 2, 4, False),
                   lambda: lm_batches(4)),
}


def train(name, make, init, xs, ys, recipe, dtype):
    model = make()
    model.load_state_dict(init)
    model.to(dtype)
    params = list(model.parameters())  # tied weights listed once
    if recipe == "sgd":
        opt = torch.optim.SGD(params, lr=SGD_LR[name], momentum=0.9,
                              nesterov=False, weight_decay=1e-4,
                              foreach=False)
    elif recipe == "adam":
        opt = torch.optim.Adam(params, lr=ADAM_LR[name], foreach=False)
    else:
        opt = torch.optim.AdamW(params, lr=ADAMW_LR, weight_decay=ADAMW_WD,
                                foreach=False)
    sched = None
    if recipe == "adamw":
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda t: cosine_warmup_factor(t, ADAMW_LR))
    losses, gnorms, lrs = [], [], []
    model.train()
    for s in range(STEPS):
        x = xs[s].to(dtype) if xs.is_floating_point() else xs[s]
        opt.zero_grad()
        logits = model(x)
        loss = nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), ys[s].reshape(-1))
        loss.backward()
        gnorms.append(torch.stack(
            [p.grad.double().norm() for p in params]).norm().item())
        if recipe == "adamw":
            nn.utils.clip_grad_norm_(params, MAX_NORM)
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if sched is not None:
            sched.step()
        losses.append(loss.item())
    run = f"{name}.{recipe}.{'f32' if dtype == torch.float32 else 'f64'}"
    put(f"{run}.loss", torch.tensor(losses, dtype=torch.float64))
    put(f"{run}.gnorm", torch.tensor(gnorms, dtype=torch.float64))
    put(f"{run}.lr", torch.tensor(lrs, dtype=torch.float64))
    for k, v in model.state_dict().items():
        put(f"{run}.final.{k}", v)
    clipped = sum(g > MAX_NORM for g in gnorms) if recipe == "adamw" else 0
    print(f"{run:24s} loss {losses[0]:.4f} -> {losses[-1]:.4f}"
          f"  gnorm {gnorms[0]:.3f} -> {gnorms[-1]:.3f}"
          + (f"  clipped {clipped}/{STEPS}" if recipe == "adamw" else ""))


for name, (make, data) in MODELS.items():
    model = make()
    init = {k: v.detach().clone() for k, v in model.state_dict().items()}
    for k, v in init.items():
        put(f"{name}.init.{k}", v)
    xs, ys = data()
    put(f"{name}.x", xs)
    put(f"{name}.y", ys)
    for recipe in ("sgd", "adam", "adamw"):
        for dtype in (torch.float32, torch.float64):
            train(name, make, init, xs, ys, recipe, dtype)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "training_parity.safetensors")
save_file(OUT, path)
print(f"wrote {len(OUT)} tensors ({os.path.getsize(path)} bytes) to {path}")
