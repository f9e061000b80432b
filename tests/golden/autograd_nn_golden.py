#!/usr/bin/python3
"""Golden gradients for the nn / norm derivative table
(torch/autograd/functions/nn_grad_test.cc and norm_grad_test.cc).

Reference: PyTorch 1.13 autograd (Debian's python3-torch), float32. Run from
the repository root:
    /usr/bin/python3 tests/golden/autograd_nn_golden.py
writes tests/golden/autograd_nn.safetensors.

Each case is a group "<case>.<name>": the inputs, a random upstream gradient
"gy" (absent for scalar losses, whose gradient is 1), the forward output "y"
and the gradients torch.autograd.grad computes ("gx", "gw", ...). Options are
fixed per case and repeated in the C++ test.
"""

import math
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

torch.manual_seed(20240613)
OUT = {}


def put(prefix, **tensors):
    for name, value in tensors.items():
        OUT[f"{prefix}.{name}"] = value.detach().contiguous().clone()


def leaf(*shape):
    return torch.randn(*shape, dtype=torch.float32, requires_grad=True)


# conv2d: stride 2, padding 1, dilation 1, groups 2, with bias.
x, w, b = leaf(2, 4, 7, 6), leaf(6, 2, 3, 3), leaf(6)
y = F.conv2d(x, w, b, stride=2, padding=1, groups=2)
gy = torch.randn_like(y)
gx, gw, gb = torch.autograd.grad(y, [x, w, b], gy)
put("conv2d", x=x, w=w, b=b, y=y, gy=gy, gx=gx, gw=gw, gb=gb)

# conv2d with dilation 2, padding (2, 1), no bias, unbatched.
x, w = leaf(3, 8, 7), leaf(4, 3, 2, 3)
y = F.conv2d(x, w, None, stride=1, padding=(2, 1), dilation=2)
gy = torch.randn_like(y)
gx, gw = torch.autograd.grad(y, [x, w], gy)
put("conv2d_dil", x=x, w=w, y=y, gy=gy, gx=gx, gw=gw)

# max_pool2d: kernel 3, stride 2, padding 1, ceil_mode.
x = leaf(2, 3, 8, 7)
y = F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True)
gy = torch.randn_like(y)
(gx,) = torch.autograd.grad(y, [x], gy)
put("max_pool2d", x=x, y=y, gy=gy, gx=gx)

# batch_norm in training mode: output, gradients, updated running stats.
x, w, b = leaf(4, 3, 5, 2), leaf(3), leaf(3)
rm = torch.randn(3)
rv = torch.rand(3) + 0.5
put("batch_norm", rm0=rm, rv0=rv)
y = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.2, eps=1e-4)
gy = torch.randn_like(y)
gx, gw, gb = torch.autograd.grad(y, [x, w, b], gy)
put("batch_norm", x=x, w=w, b=b, y=y, gy=gy, gx=gx, gw=gw, gb=gb, rm=rm,
    rv=rv)

# layer_norm over the last two dims with affine parameters.
x, w, b = leaf(3, 4, 5), leaf(4, 5), leaf(4, 5)
y = F.layer_norm(x, (4, 5), w, b, eps=1e-5)
gy = torch.randn_like(y)
gx, gw, gb = torch.autograd.grad(y, [x, w, b], gy)
put("layer_norm", x=x, w=w, b=b, y=y, gy=gy, gx=gx, gw=gw, gb=gb)

# cross_entropy: class ids with label smoothing 0.1, class weights,
# ignore_index 2 (it occurs in the target), mean reduction.
x = leaf(6, 5)
t = torch.tensor([1, 2, 4, 0, 2, 3])
cw = torch.rand(5) + 0.5
y = F.cross_entropy(x, t, weight=cw, ignore_index=2, label_smoothing=0.1)
(gx,) = torch.autograd.grad(y, [x])
put("cross_entropy", x=x, t=t, cw=cw, y=y, gx=gx)

# cross_entropy: class probabilities over [N, C, d], label smoothing 0.2,
# sum reduction; gradients for the logits and the target.
x = leaf(3, 4, 2)
t = torch.softmax(torch.randn(3, 4, 2), dim=1).requires_grad_()
y = F.cross_entropy(x, t, reduction="sum", label_smoothing=0.2)
gx, gt = torch.autograd.grad(y, [x, t])
put("cross_entropy_prob", x=x, t=t, y=y, gx=gx, gt=gt)


def attention(q, k, v, mask=None, causal=False):
    """The math path of scaled dot product attention (PyTorch 1.13 has no
    public F.scaled_dot_product_attention)."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if causal:
        L, S = q.size(-2), k.size(-2)
        keep = torch.ones(L, S, dtype=torch.bool).tril()
        scores = scores.masked_fill(~keep, float("-inf"))
    if mask is not None:
        scores = scores + mask
    return torch.softmax(scores, dim=-1) @ v


# Causal attention, L = 4, S = 5 (top-left aligned triangle).
q, k, v = leaf(2, 3, 4, 8), leaf(2, 3, 5, 8), leaf(2, 3, 5, 6)
y = attention(q, k, v, causal=True)
gy = torch.randn_like(y)
gq, gk, gv = torch.autograd.grad(y, [q, k, v], gy)
put("attention_causal", q=q, k=k, v=v, y=y, gy=gy, gq=gq, gk=gk, gv=gv)

# Additive float mask broadcast over the batch dims; its gradient too.
q, k, v = leaf(2, 3, 4, 8), leaf(2, 3, 5, 8), leaf(2, 3, 5, 6)
m = leaf(1, 4, 5)
y = attention(q, k, v, mask=m)
gy = torch.randn_like(y)
gq, gk, gv, gm = torch.autograd.grad(y, [q, k, v, m], gy)
put("attention_mask", q=q, k=k, v=v, m=m, y=y, gy=gy, gq=gq, gk=gk, gv=gv,
    gm=gm)

# A small CNN step end to end: conv -> batch_norm (train) -> max_pool ->
# flatten -> cross_entropy with label smoothing.
x, w, b = leaf(3, 2, 6, 6), leaf(4, 2, 3, 3), leaf(4)
bw, bb = leaf(4), leaf(4)
rm, rv = torch.zeros(4), torch.ones(4)
t = torch.tensor([0, 5, 3])
h = F.conv2d(x, w, b, padding=1)
h = F.batch_norm(h, rm, rv, bw, bb, training=True)
h = F.max_pool2d(h, 2)
y = F.cross_entropy(h.flatten(1)[:, :6], t, label_smoothing=0.05)
gx, gw, gb, gbw, gbb = torch.autograd.grad(y, [x, w, b, bw, bb])
put("cnn", x=x, w=w, b=b, bw=bw, bb=bb, t=t, y=y, gx=gx, gw=gw, gb=gb,
    gbw=gbw, gbb=gbb, rm=rm, rv=rv)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "autograd_nn.safetensors")
save_file(OUT, path)
print(f"wrote {len(OUT)} tensors to {path} ({os.path.getsize(path)} bytes)")
