#!/usr/bin/python3
"""Golden gradients for the linalg / index derivative table
(torch/autograd/functions/linalg_grad_test.cc and index_grad_test.cc).

Reference: PyTorch 1.13 autograd (Debian's python3-torch), float32. Run from
the repository root:
    /usr/bin/python3 tests/golden/autograd_linalg_golden.py
writes tests/golden/autograd_linalg.safetensors.

Each case is a group "<case>.<name>": the inputs ("a", "b", "x", "w", ...,
stored contiguous), a random upstream gradient "gy", the forward output "y"
and the gradients torch.autograd.grad computes ("ga", "gb", "gx", ...).
Where a case takes a view of an input, the view is described below and
repeated in the C++ test; the gradient is then w.r.t. the stored tensor.
Options (dims, k, ...) are fixed per case and repeated in the C++ test.
"""

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

torch.manual_seed(20240614)
OUT = {}


def put(prefix, **tensors):
    for name, value in tensors.items():
        OUT[f"{prefix}.{name}"] = value.detach().contiguous().clone()


def leaf(*shape):
    return torch.randn(*shape, dtype=torch.float32, requires_grad=True)


def with_grads(prefix, fn, **inputs):
    y = fn(**inputs)
    gy = torch.randn_like(y)
    grads = torch.autograd.grad(y, list(inputs.values()), gy)
    put(prefix, y=y, gy=gy, **inputs)
    put(prefix, **{"g" + k: g for k, g in zip(inputs.keys(), grads)})


# matmul: every dims case; broadcast batch dims are summed back.
MATMUL = {
    "matmul_1d_1d": ((4,), (4,)),
    "matmul_2d_2d": ((3, 4), (4, 5)),
    "matmul_1d_2d": ((4,), (4, 5)),
    "matmul_2d_1d": ((3, 4), (4,)),
    "matmul_1d_nd": ((4,), (2, 4, 3)),
    "matmul_nd_1d": ((2, 3, 4), (4,)),
    "matmul_nd_2d": ((2, 3, 4), (4, 5)),
    "matmul_2d_nd": ((3, 4), (2, 4, 5)),
    "matmul_bcast": ((2, 1, 3, 4), (5, 4, 6)),
    "matmul_bcast_ones": ((1, 3, 4), (2, 3, 4, 5)),
}
for name, (sa, sb) in MATMUL.items():
    with_grads(name, lambda a, b: torch.matmul(a, b), a=leaf(*sa), b=leaf(*sb))

# Transposed operand: the test uses a.transpose(-2, -1) of the stored a.
with_grads("matmul_transposed",
           lambda a, b: torch.matmul(a.transpose(-2, -1), b),
           a=leaf(2, 4, 3), b=leaf(4, 5))

# linear: 3-D input with bias, 2-D input without, 1-D input with bias.
with_grads("linear_3d", lambda x, w, b: F.linear(x, w, b),
           x=leaf(2, 3, 4), w=leaf(5, 4), b=leaf(5))
with_grads("linear_2d_nobias", lambda x, w: F.linear(x, w),
           x=leaf(6, 4), w=leaf(5, 4))
with_grads("linear_1d", lambda x, w, b: F.linear(x, w, b),
           x=leaf(4), w=leaf(5, 4), b=leaf(5))

# cat along dim -1 of [2, 3], [2, 1], [2, 2]; stack along dim 1 of three
# [2, 3].
with_grads("cat", lambda a, b, c: torch.cat([a, b, c], -1),
           a=leaf(2, 3), b=leaf(2, 1), c=leaf(2, 2))
with_grads("stack", lambda a, b, c: torch.stack([a, b, c], 1),
           a=leaf(2, 3), b=leaf(2, 3), c=leaf(2, 3))

# topk: k=2 along dim 1 (largest), k=2 along dim 0 (smallest).
with_grads("topk_largest", lambda x: torch.topk(x, 2, dim=1).values,
           x=leaf(3, 5))
with_grads("topk_smallest",
           lambda x: torch.topk(x, 2, dim=0, largest=False).values,
           x=leaf(4, 3))

# gather along dim 1 with repeated indices (their gradients add up).
index = torch.tensor([[0, 0, 3], [2, 1, 2], [3, 3, 3]])
with_grads("gather", lambda x: torch.gather(x, 1, index), x=leaf(3, 4))
OUT["gather.index"] = index

save_file(OUT, "tests/golden/autograd_linalg.safetensors")
print(f"wrote {len(OUT)} tensors")
