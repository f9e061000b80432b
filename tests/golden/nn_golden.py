#!/usr/bin/python3
"""Golden values for the nn op family (conv2d, pooling, embedding), forward
and backward, from PyTorch 1.13. Run: /usr/bin/python3 tests/golden/nn_golden.py
Writes tests/golden/nn.safetensors. Reference gradients come from
torch.autograd.grad with a random upstream gradient "<case>.go".
The op parameters of each case are repeated in torch/core/nn_ops_test.cc.
"""
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

torch.manual_seed(1234)
out = {}


def put(case, **tensors):
    for k, v in tensors.items():
        out[f"{case}.{k}"] = v.detach().contiguous().clone()


def conv(case, x_shape, w_shape, bias=True, dtype=torch.float32, **kw):
    x = torch.randn(x_shape, dtype=dtype, requires_grad=True)
    w = torch.randn(w_shape, dtype=dtype, requires_grad=True)
    b = torch.randn(w_shape[0], dtype=dtype, requires_grad=True) if bias else None
    y = F.conv2d(x, w, b, **kw)
    go = torch.randn_like(y)
    grads = torch.autograd.grad(y, [x, w] + ([b] if bias else []), go)
    put(case, x=x, w=w, y=y, go=go, gx=grads[0], gw=grads[1])
    if bias:
        put(case, b=b, gb=grads[2])


conv("conv_basic", (2, 3, 7, 6), (4, 3, 3, 3), padding=1)
conv("conv_sdp", (2, 2, 9, 8), (3, 2, 3, 2), dtype=torch.float64,
     stride=(2, 1), padding=(1, 2), dilation=(2, 1))
conv("conv_groups", (2, 6, 8, 8), (4, 3, 3, 3), stride=2, padding=1, groups=2)
conv("conv_depthwise", (1, 4, 6, 5), (8, 1, 3, 3), bias=False, groups=4,
     padding=(0, 1))
conv("conv_1x1", (2, 5, 4, 3), (7, 5, 1, 1), bias=False, dtype=torch.float64)
conv("conv_unbatched", (3, 6, 5), (2, 3, 2, 3), stride=(1, 2))
conv("conv_same_even", (2, 3, 7, 6), (4, 3, 4, 2), dtype=torch.float64,
     padding="same")
conv("conv_same_dil", (1, 2, 6, 7), (3, 2, 3, 3), padding="same",
     dilation=(2, 1))
conv("conv_valid", (2, 2, 5, 5), (2, 2, 3, 3), padding="valid")
conv("conv_stride3", (2, 3, 10, 11), (5, 3, 4, 3), stride=3, padding=2)
conv("conv_big", (2, 16, 12, 12), (24, 16, 3, 3), padding=1)


def pool(case, fn, x_shape, dtype=torch.float32, x=None, **kw):
    if x is None:
        x = torch.randn(x_shape, dtype=dtype)
    x = x.clone().requires_grad_()
    r = fn(x, **kw)
    y = r[0] if isinstance(r, tuple) else r
    go = torch.randn_like(y)
    (gx,) = torch.autograd.grad(y, [x], go)
    put(case, x=x, y=y, go=go, gx=gx)
    if isinstance(r, tuple):
        put(case, idx=r[1])


mp = lambda x, **kw: F.max_pool2d(x, return_indices=True, **kw)
pool("mp_basic", mp, (2, 3, 6, 6), kernel_size=2)
pool("mp_ceil", mp, (1, 2, 8, 8), kernel_size=3, stride=2, ceil_mode=True)
pool("mp_ceil_pad", mp, (1, 2, 5, 5), dtype=torch.float64, kernel_size=2,
     stride=2, padding=1, ceil_mode=True)
pool("mp_pad_dil", mp, (2, 2, 9, 10), kernel_size=3, stride=2, padding=1,
     dilation=2)
pool("mp_overlap", mp, (3, 5, 7), kernel_size=(2, 3), stride=(1, 2))
xn = torch.randn(1, 1, 4, 4)
xn[0, 0, 0, 1] = float("nan")
xn[0, 0, 2:, 2:] = float("-inf")
pool("mp_nan", mp, None, x=xn, kernel_size=2)

pool("ap_basic", F.avg_pool2d, (2, 3, 6, 6), kernel_size=2)
pool("ap_pad_nocount", F.avg_pool2d, (2, 2, 7, 7), dtype=torch.float64,
     kernel_size=3, stride=2, padding=1, count_include_pad=False)
pool("ap_ceil", F.avg_pool2d, (1, 2, 6, 6), kernel_size=3, stride=2,
     padding=1, ceil_mode=True)
pool("ap_ceil_nocount", F.avg_pool2d, (1, 2, 6, 6), kernel_size=3, stride=2,
     padding=1, ceil_mode=True, count_include_pad=False)
pool("ap_div", F.avg_pool2d, (3, 5, 7), kernel_size=(2, 3), stride=(1, 2),
     divisor_override=3)

pool("aap_down", F.adaptive_avg_pool2d, (2, 3, 7, 9), output_size=(3, 4))
pool("aap_global", F.adaptive_avg_pool2d, (2, 3, 5, 6), dtype=torch.float64,
     output_size=1)
pool("aap_up", F.adaptive_avg_pool2d, (3, 4, 5), output_size=(6, 7))


def emb(case, v, d, idx, padding_idx=None, scale=False, dtype=torch.float32):
    w = torch.randn(v, d, dtype=dtype, requires_grad=True)
    y = F.embedding(idx, w, padding_idx=padding_idx, scale_grad_by_freq=scale)
    go = torch.randn_like(y)
    (gw,) = torch.autograd.grad(y, [w], go)
    put(case, w=w, idx=idx, y=y, go=go, gw=gw)


emb("emb_basic", 10, 4, torch.tensor([[1, 2, 4, 5], [4, 3, 2, 9]]))
emb("emb_pad", 10, 3, torch.tensor([[0, 2, 0, 5], [2, 2, 9, 0]]),
    padding_idx=2, dtype=torch.float64)
emb("emb_int32", 6, 5, torch.tensor([5, 0, 5, 1, 1, 1], dtype=torch.int32),
    padding_idx=-1)
emb("emb_freq", 7, 2, torch.tensor([[3, 3, 1], [3, 6, 1]]), scale=True)
emb("emb_scalar_idx", 5, 3, torch.tensor(4))

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn.safetensors")
save_file(out, path)
print(f"wrote {len(out)} tensors to {path} ({os.path.getsize(path)} bytes)")
