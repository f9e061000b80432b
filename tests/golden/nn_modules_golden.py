#!/usr/bin/python3
"""Golden values for torch/nn (torch/nn/nn_interop_test.cc).

Reference: PyTorch 1.13 (Debian's python3-torch). Run from the repository root:
    /usr/bin/python3 tests/golden/nn_modules_golden.py
writes tests/golden/nn_modules.safetensors.

Builds, in PyTorch, the same architectures as tch::nn's model zoo
(torch/nn/models.h) and a few attention configurations, with PyTorch's own
initialization, and stores for each model "<model>":
  <model>.param.<name>   the state_dict (parameters and buffers, before the
                         forward), loaded into the tch model by the test
  <model>.input          the input (float32 features or int64 token ids)
  <model>.w              a fixed random weight: loss = (output * w).sum()
  <model>.output         the forward output (training mode)
  <model>.grad.<name>    d loss / d parameter, for every named parameter
  <model>.after.<name>   buffers after the forward (BatchNorm running stats)
  <model>.eval_output    the forward output in eval mode (after the training
                         forward updated the running statistics)
"""

import math
import os

import torch
from torch import nn
from safetensors.torch import save_file

torch.manual_seed(20240607)
OUT = {}


def put(name, t):
    OUT[name] = t.detach().contiguous().clone()


def record(name, model, x, *, mask_args=None):
    """Stores the state, the output, the gradients and the eval output."""
    for k, v in model.state_dict().items():
        put(f"{name}.param.{k}", v)
    put(f"{name}.input", x)
    model.train()
    out = model(x) if mask_args is None else model(x, **mask_args)
    w = torch.randn(out.shape)
    put(f"{name}.w", w)
    put(f"{name}.output", out)
    (out * w).sum().backward()
    for k, p in model.named_parameters():
        put(f"{name}.grad.{k}", p.grad)
    for k, b in model.named_buffers():
        put(f"{name}.after.{k}", b)
    model.eval()
    with torch.no_grad():
        out = model(x) if mask_args is None else model(x, **mask_args)
    put(f"{name}.eval_output", out)


# --- MLP: MakeMlp(in 12, hidden {16, 8}, out 5, gelu) ----------------------
mlp = nn.Sequential(nn.Flatten(), nn.Linear(12, 16), nn.GELU(),
                    nn.Linear(16, 8), nn.GELU(), nn.Linear(8, 5))
record("mlp", mlp, torch.randn(4, 3, 4))

# --- CNN: MakeCnn(in 2, 8x8, channels {4, 6}, k 3, batch_norm, pool,
#     fc_hidden {10}, classes 3) --------------------------------------------
cnn = nn.Sequential(
    nn.Conv2d(2, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(4, 6, 3, padding=1, bias=False), nn.BatchNorm2d(6), nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(24, 10), nn.ReLU(), nn.Linear(10, 3))
# Non-trivial running statistics and affine parameters.
with torch.no_grad():
    for m in cnn:
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.5, 0.5)
record("cnn", cnn, torch.randn(5, 2, 8, 8))


# --- ResNet: MakeResNet(in 3, 8x8, widths {4, 8}, blocks {1, 2}, classes 3)
class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False),
                nn.BatchNorm2d(cout))

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        identity = x if self.downsample is None else self.downsample(x)
        return torch.relu(h + identity)


class ResNet(nn.Module):
    def __init__(self, cin, widths, blocks, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        c = widths[0]
        for s, (w, n) in enumerate(zip(widths, blocks)):
            layers = []
            for b in range(n):
                layers.append(BasicBlock(c, w, 2 if s > 0 and b == 0 else 1))
                c = w
            setattr(self, f"layer{s + 1}", nn.Sequential(*layers))
        self.stages = len(widths)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        for s in range(self.stages):
            h = getattr(self, f"layer{s + 1}")(h)
        return self.fc(torch.flatten(self.avgpool(h), 1))


record("resnet", ResNet(3, [4, 8], [1, 2], 3), torch.randn(4, 3, 8, 8))


# --- GPT: MakeGpt(vocab 11, context 8, d 16, heads 2, layers 2, mlp 4,
#     tie_weights) ---------------------------------------------------------
class Block(nn.Module):
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
    def __init__(self, vocab, context, d, heads, layers, ratio):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab, d)
        self.pos_emb = nn.Embedding(context, d)
        self.drop = nn.Dropout(0.0)
        self.blocks = nn.ModuleList(
            [Block(d, heads, ratio) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.tok_emb.weight

    def forward(self, ids):
        pos = torch.arange(ids.shape[1])
        h = self.drop(self.tok_emb(ids) + self.pos_emb(pos))
        for b in self.blocks:
            h = b(h)
        return self.head(self.ln_f(h))


gpt = Gpt(11, 8, 16, 2, 2, 4)
with torch.no_grad():  # GPT-2-like scale so the logits are O(1)
    for p in gpt.parameters():
        p.mul_(0.3)
    for name, p in gpt.named_parameters():
        if name.endswith("bias"):
            p.uniform_(-0.1, 0.1)
record("gpt", gpt, torch.randint(0, 11, (2, 6)))


# --- MultiheadAttention with masks ----------------------------------------
class Cross(nn.Module):
    """Cross-attention with a key padding mask and a float attn_mask."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.kv = nn.Parameter(torch.randn(3, 5, 8))
        self.register_buffer("kpm", torch.tensor(
            [[False] * 5, [False, False, False, True, True],
             [False, True, False, False, True]]))
        self.register_buffer("am", torch.randn(4, 5))

    def forward(self, q):
        out, _ = self.attn(q, self.kv, self.kv * 0.5,
                           key_padding_mask=self.kpm, attn_mask=self.am,
                           need_weights=False)
        return out


with torch.no_grad():
    cross = Cross()
    cross.attn.in_proj_bias.uniform_(-0.2, 0.2)
    cross.attn.out_proj.bias.uniform_(-0.2, 0.2)
record("cross", cross, torch.randn(3, 4, 8))


class SelfMasked(nn.Module):
    """Self-attention with a causal bool mask and a key padding mask."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 4, batch_first=True)
        self.register_buffer("kpm", torch.tensor(
            [[False] * 6, [False, False, False, False, True, True]]))

    def forward(self, x):
        causal = torch.triu(torch.ones(6, 6, dtype=torch.bool), 1)
        out, _ = self.attn(x, x, x, key_padding_mask=self.kpm,
                           attn_mask=causal, need_weights=False)
        return out


record("selfmask", SelfMasked(), torch.randn(2, 6, 8))

path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "nn_modules.safetensors")
save_file(OUT, path)
print(f"wrote {len(OUT)} tensors to {path}")
