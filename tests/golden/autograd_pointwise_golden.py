#!/usr/bin/python3
"""Golden gradients at ties and kinks for the pointwise and reduce derivative
tables (torch/autograd/functions/pointwise_grad_test.cc and
reduce_grad_test.cc): relu/abs/sign at 0, maximum/minimum ties, clamp at its
bounds, pow at 0, nan_to_num at NaN/inf, max/min/amax/amin ties, prod with
zeros, var/std with zero spread or no degrees of freedom, norm at 0 and at
ties. Smooth points are checked with finite differences (GradCheck), not here.

Reference: PyTorch 1.13 autograd (Debian's python3-torch), float64. Run from
the repository root:
    /usr/bin/python3 tests/golden/autograd_pointwise_golden.py
writes tests/golden/autograd_pointwise.safetensors.

Each case is a group "<case>.<name>": the inputs ("x", "a", "b", ...), the
upstream gradient "g" (arange-based, so that weights matter) and the
gradients torch.autograd.grad returns ("gx", "ga", ...). Options are fixed per
case and repeated in the C++ test.
"""

import math
import os

import torch
from safetensors.torch import save_file

OUT = {}
F64 = torch.float64


def t(values):
    return torch.tensor(values, dtype=F64)


def upstream(y):
    return (torch.arange(y.numel(), dtype=F64) * 0.5 + 1).reshape(y.shape)


def case(name, fn, **inputs):
    """Runs fn(**inputs) with every input a leaf; stores inputs, g, grads."""
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    y = fn(**leaves)
    g = upstream(y)
    grads = torch.autograd.grad(y, list(leaves.values()), g,
                                allow_unused=True)
    OUT[f"{name}.g"] = g.contiguous()
    for (k, v), gk in zip(inputs.items(), grads):
        OUT[f"{name}.{k}"] = v.contiguous().clone()
        if gk is None:
            gk = torch.zeros_like(v)
        OUT[f"{name}.g{k}"] = gk.detach().contiguous().clone()


KINK = t([-1.0, 0.0, 0.5, -0.0, 2.0, 0.0])

# --- pointwise ---------------------------------------------------------------
case("relu", lambda x: torch.relu(x), x=KINK)
case("abs", lambda x: torch.abs(x), x=KINK)
case("sign", lambda x: torch.sign(x), x=KINK)
case("maximum", lambda a, b: torch.maximum(a, b),
     a=t([1.0, 2.0, 3.0, 4.0]), b=t([1.0, 5.0, 3.0, 0.0]))
case("minimum", lambda a, b: torch.minimum(a, b),
     a=t([1.0, 2.0, 3.0, 4.0]), b=t([1.0, 5.0, 3.0, 0.0]))
# Broadcast [3, 1] vs [4] with ties in several places.
case("maximum_bcast", lambda a, b: torch.maximum(a, b),
     a=t([[1.0], [2.0], [3.0]]), b=t([1.0, 2.0, 3.0, 0.0]))
case("minimum_bcast", lambda a, b: torch.minimum(a, b),
     a=t([[1.0], [2.0], [3.0]]), b=t([1.0, 2.0, 3.0, 0.0]))
BOUNDS = t([-1.0, 0.0, 0.5, 1.0, 2.0])
case("clamp", lambda x: torch.clamp(x, 0.0, 1.0), x=BOUNDS)
case("clamp_min", lambda x: torch.clamp_min(x, 0.0), x=BOUNDS)
case("clamp_max", lambda x: torch.clamp_max(x, 1.0), x=BOUNDS)
# Tensor bounds: x at min, at max, inside, below, above, and min > max.
case("clamp_tensor", lambda x, lo, hi: torch.clamp(x, lo, hi),
     x=t([0.0, 1.0, 0.5, -1.0, 3.0, 2.0, 0.0]),
     lo=t([0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 3.0]),
     hi=t([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]))
case("clamp_tensor_min", lambda x, lo: torch.clamp(x, min=lo),
     x=t([0.0, 1.0, -1.0]), lo=t([0.0, 0.0, 0.0]))
case("clamp_tensor_max", lambda x, hi: torch.clamp(x, max=hi),
     x=t([0.0, 1.0, -1.0]), hi=t([0.0, 0.0, 0.0]))
case("pow_tt", lambda a, b: torch.pow(a, b),
     a=t([0.0, 0.0, 0.0, 2.0, 3.0]), b=t([0.0, 2.0, 0.5, 0.0, 1.5]))
case("pow_ts2", lambda x: torch.pow(x, 2.0), x=t([0.0, -1.5, 2.0]))
case("pow_ts0", lambda x: torch.pow(x, 0.0), x=t([0.0, -1.5, 2.0]))
case("pow_ts_half", lambda x: torch.pow(x, 0.5), x=t([0.0, 1.0, 4.0]))
case("pow_st0", lambda x: torch.pow(0.0, x), x=t([0.0, 2.0, -1.0]))
case("pow_st2", lambda x: torch.pow(2.0, x), x=t([0.0, 2.0, -1.0]))
case("nan_to_num", lambda x: torch.nan_to_num(x),
     x=t([1.0, math.nan, math.inf, -math.inf, -2.0]))
case("floor", lambda x: torch.floor(x), x=t([1.0, 1.5, -2.0]))

# --- reductions --------------------------------------------------------------
TIES = t([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
case("max_all", lambda x: torch.max(x), x=TIES)
case("min_all", lambda x: torch.min(x), x=t([[1.0, 3.0, 1.0], [2.0, 1.0, 4.0]]))
case("max_dim", lambda x: torch.max(x, 1)[0], x=TIES)
case("min_dim", lambda x: torch.min(x, 0, keepdim=True)[0],
     x=t([[1.0, 3.0, 0.0], [1.0, 2.0, 0.0]]))
case("amax_dim", lambda x: torch.amax(x, 1), x=TIES)
case("amax_all", lambda x: torch.amax(x), x=TIES)
case("amin_dim", lambda x: torch.amin(x, [0], keepdim=True),
     x=t([[1.0, 3.0, 0.0], [1.0, 2.0, 0.0]]))
case("prod_one_zero", lambda x: torch.prod(x), x=t([2.0, 0.0, 3.0, -1.5]))
case("prod_two_zeros", lambda x: torch.prod(x), x=t([2.0, 0.0, 3.0, 0.0]))
case("prod_dim_zeros", lambda x: torch.prod(x, 1),
     x=t([[2.0, 0.0, 3.0], [0.0, 0.0, 1.0], [1.5, 2.0, -1.0]]))
case("std_flat", lambda x: torch.std(x, [1]), x=t([[2.0, 2.0, 2.0],
                                                   [1.0, 2.0, 4.0]]))
# N - correction <= 0 (over a dim: PyTorch 1.13's all-dims variant raises a
# shape error in backward; the C++ test checks that ours matches the dim one).
case("var_no_dof", lambda x: torch.var(x, [0], correction=2), x=t([1.0, 2.0]))
case("var_neg_dof", lambda x: torch.var(x, [0], correction=4),
     x=t([1.0, 2.0, 4.0]))
case("var_one", lambda x: torch.var(x, [0]), x=t([3.0]))
case("std_one", lambda x: torch.std(x, [0]), x=t([3.0]))
ZERO_ROW = t([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])
case("norm2_zero", lambda x: torch.linalg.vector_norm(x, 2, [1]), x=ZERO_ROW)
case("norm2_all_zero", lambda x: torch.linalg.vector_norm(x, 2),
     x=torch.zeros(2, 3, dtype=F64))
case("norm1_zero", lambda x: torch.linalg.vector_norm(x, 1, [1]), x=ZERO_ROW)
case("norm3_zero", lambda x: torch.linalg.vector_norm(x, 3, [1]), x=ZERO_ROW)
case("norm1_5_zero", lambda x: torch.linalg.vector_norm(x, 1.5, [1]),
     x=ZERO_ROW)
case("norm0_5_zero", lambda x: torch.linalg.vector_norm(x, 0.5, [1]),
     x=t([[0.0, 1.0, 4.0], [1.0, -2.0, 2.0]]))
case("norm0", lambda x: torch.linalg.vector_norm(x, 0, [1]), x=ZERO_ROW)
case("norm_inf_ties", lambda x: torch.linalg.vector_norm(x, math.inf, [1]),
     x=t([[3.0, -3.0, 1.0], [0.0, 0.0, 0.0]]))
case("norm_neginf_ties",
     lambda x: torch.linalg.vector_norm(x, -math.inf, [1]),
     x=t([[1.0, -1.0, 3.0], [2.0, 5.0, -4.0]]))

path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "autograd_pointwise.safetensors")
save_file(OUT, path)
print(f"wrote {len(OUT)} tensors to {path}")
