#!/usr/bin/python3
"""Golden values for the reduce family (torch/core/reduce_ops_test.cc).

Run with Debian's PyTorch 1.13:  /usr/bin/python3 tests/golden/reduce_golden.py
Writes tests/golden/reduce.safetensors. Tensors are named
"<case>.<dtype>.<x|out|idx>"; the C++ test applies the same call (and the
same view: transpose, slice, expand) to "x" and compares with "out"/"idx".
"""
import os

import torch
from safetensors.torch import save_file

torch.manual_seed(1234)
T = {}

FLOATS = {"f32": torch.float32, "f64": torch.float64,
          "f16": torch.float16, "bf16": torch.bfloat16}
INTS = {"i64": torch.int64, "i32": torch.int32, "u8": torch.uint8}
ALL = dict(FLOATS, **INTS, bool=torch.bool)


def make(shape, dtype, lo=-3, hi=3):
    if dtype == torch.bool:
        return torch.rand(shape) > 0.5
    if dtype.is_floating_point:
        return (torch.rand(shape, dtype=torch.float64) * (hi - lo) + lo).to(dtype)
    lo = 0 if dtype == torch.uint8 else lo
    return torch.randint(lo, hi + 1, shape, dtype=dtype)


def put(case, tag, **tensors):
    for k, v in tensors.items():
        T[f"{case}.{tag}.{k}"] = v.contiguous().clone()


def g(case, tag, x, fn):
    """Stores x and fn(x) (values, or values and indices); skips the case
    when PyTorch 1.13 has no kernel for this dtype."""
    try:
        r = fn(x)
    except RuntimeError as e:
        assert "not implemented" in str(e), str(e)
        return
    if isinstance(r, tuple):
        put(case, tag, x=x, out=r[0], idx=r[1])
    else:
        put(case, tag, x=x, out=r)


# --- sum --------------------------------------------------------------------------
for tag, dt in ALL.items():
    x = make((3, 4, 5), dt)
    g("sum_all", tag, x, lambda x: torch.sum(x))
    g("sum_d1", tag, x, lambda x: torch.sum(x, 1))
    g("sum_d02k", tag, x, lambda x: torch.sum(x, (0, -1), keepdim=True))
    g("cumsum_d0", tag, x, lambda x: torch.cumsum(x, 0))
    g("cumsum_d2", tag, x, lambda x: torch.cumsum(x, -1))
    g("amax_d02", tag, x, lambda x: torch.amax(x, (0, 2)))
    g("amin_d1k", tag, x, lambda x: torch.amin(x, 1, keepdim=True))
    g("max_d1", tag, x, lambda x: tuple(torch.max(x, 1)))
    g("min_d0k", tag, x, lambda x: tuple(torch.min(x, 0, keepdim=True)))
    g("max_all", tag, x, lambda x: torch.max(x))
    g("min_all", tag, x, lambda x: torch.min(x))
    g("all_d1", tag, x, lambda x: torch.all(x, 1))
    g("any_all", tag, x, lambda x: torch.any(x))
    xs = make((3, 4), dt, 0, 1)  # many zeros and ones
    g("all_all", tag, xs, lambda xs: torch.all(xs))
    g("any_d0", tag, xs, lambda xs: torch.any(xs, 0))
    if dt not in (torch.float16, torch.bfloat16):
        p = make((3, 4), dt, -2, 2)
        g("prod_d1", tag, p, lambda p: torch.prod(p, 1))
        g("prod_all", tag, p, lambda p: torch.prod(p))
    if dt != torch.bool:
        g("argmax_d2", tag, x, lambda x: torch.argmax(x, 2))
        g("argmin_all", tag, x, lambda x: torch.argmin(x))
        g("argmax_allk", tag, x, lambda x: torch.argmax(x, None, True))

# Layouts: transposed, sliced with a step, expanded (stride 0), and a column
# sum wide enough for the vectorized column path.
x = make((6, 10), torch.float32)
put("sum_t_d1", "f32", x=x, out=torch.sum(x.t(), 1))
put("sum_t_d0", "f32", x=x, out=torch.sum(x.t(), 0))
put("sum_step_d0", "f32", x=x, out=torch.sum(x[:, ::3], 0))
put("amax_t_d1", "f32", x=x, out=torch.amax(x.t(), 1))
v, i = torch.max(x.t(), 0)
put("max_t_d0", "f32", x=x, out=v, idx=i)
put("argmax_t_all", "f32", x=x, out=torch.argmax(x.t()))
put("cumsum_t_d1", "f32", x=x, out=torch.cumsum(x.t(), 1))
put("var_t_d0", "f32", x=x, out=torch.var(x.t(), 0))
xe = make((1, 7), torch.float32)
put("sum_expand_d0", "f32", x=xe, out=torch.sum(xe.expand(5, 7), 0))
put("prod_expand_d0", "f32", x=xe, out=torch.prod(xe.expand(3, 7), 0))
xc = make((17, 24), torch.float64)
for tag, dt in ALL.items():
    c = xc.to(dt) if dt != torch.bool else xc > 0
    g("sum_cols", tag, c, lambda c: torch.sum(c, 0))
    g("amax_cols", tag, c, lambda c: torch.amax(c, 0))
    if dt != torch.bool:
        g("max_cols", tag, c, lambda c: tuple(torch.max(c, 0)))
    g("any_cols", tag, c, lambda c: torch.any(c, 0))
    g("cumsum_cols", tag, c, lambda c: torch.cumsum(c, 0))
    if dt.is_floating_point:
        g("mean_cols", tag, c, lambda c: torch.mean(c, 0))
        g("var_cols", tag, c, lambda c: torch.var(c, 0))

# --- mean, var, std, logsumexp, norm (floating) -----------------------------------------
for tag, dt in FLOATS.items():
    x = make((3, 2, 5), dt)
    g("mean_all", tag, x, lambda x: torch.mean(x))
    g("mean_d2", tag, x, lambda x: torch.mean(x, 2))
    g("mean_d01k", tag, x, lambda x: torch.mean(x, (0, 1), keepdim=True))
    g("var_all", tag, x, lambda x: torch.var(x))
    g("var_d1", tag, x, lambda x: torch.var(x, 1))
    g("var_d02c0", tag, x, lambda x: torch.var(x, (0, 2), correction=0))
    g("std_all", tag, x, lambda x: torch.std(x))
    g("std_d2c2k", tag, x, lambda x: torch.std(x, 2, correction=2, keepdim=True))
    g("std_d0", tag, x, lambda x: torch.std(x, 0))
    for name, p in [("1", 1), ("2", 2), ("inf", float("inf")),
                    ("ninf", -float("inf")), ("0", 0), ("3", 3),
                    ("half", 0.5), ("m1", -1)]:
        g(f"norm_p{name}_all", tag, x, lambda x: torch.norm(x, p))
        g(f"norm_p{name}_d2", tag, x, lambda x: torch.norm(x, p, dim=2))
        g(f"norm_p{name}_d01k", tag, x,
          lambda x: torch.norm(x, p, dim=(0, 1), keepdim=True))
    if dt in (torch.float32, torch.float64):
        g("lse_d2", tag, x, lambda x: torch.logsumexp(x, 2))
        g("lse_d01k", tag, x, lambda x: torch.logsumexp(x, (0, 1), keepdim=True))
        g("lse_all", tag, x, lambda x: torch.logsumexp(x, (0, 1, 2)))
        put("lse_d0", tag, x=x * 30, out=torch.logsumexp(x * 30, 0))

# Integral inputs: mean with dtype=, logsumexp promotes to float32, sum dtype=.
xi = make((3, 5), torch.int32)
put("mean_dtype", "i32", x=xi, out=torch.mean(xi, 1, dtype=torch.float32))
put("lse_int", "i32", x=xi, out=torch.logsumexp(xi, 1))
put("sum_dtype_f64", "i32", x=xi, out=torch.sum(xi, 0, dtype=torch.float64))
put("sum_dtype_i32", "i32", x=xi, out=torch.sum(xi, dtype=torch.int32))
put("cumsum_dtype_f32", "i32", x=xi, out=torch.cumsum(xi, 1, dtype=torch.float32))
xf = make((3, 5), torch.float32)
put("sum_dtype_f64", "f32", x=xf, out=torch.sum(xf, 1, dtype=torch.float64))
put("norm_dtype_f64", "f32", x=xf, out=torch.norm(xf, 2, dim=1, dtype=torch.float64))

# --- NaN and Inf ---------------------------------------------------------------------------
nan, inf = float("nan"), float("inf")
xn = torch.tensor([[1.0, nan, 3.0, nan],
                   [2.0, 5.0, 5.0, -1.0],
                   [-inf, -inf, -inf, -inf],
                   [inf, 1.0, -inf, 2.0],
                   [0.0, -0.0, 7.0, nan]], dtype=torch.float32)
for tag, dt in [("f32", torch.float32), ("f64", torch.float64)]:
    y = xn.to(dt)
    v, i = torch.max(y, 1)
    put("nan_max_d1", tag, x=y, out=v, idx=i)
    v, i = torch.min(y, 1)
    put("nan_min_d1", tag, x=y, out=v, idx=i)
    v, i = torch.max(y, 0)
    put("nan_max_d0", tag, x=y, out=v, idx=i)
    put("nan_amax_d1", tag, x=y, out=torch.amax(y, 1))
    put("nan_amin_d0", tag, x=y, out=torch.amin(y, 0))
    put("nan_argmax_d1", tag, x=y, out=torch.argmax(y, 1))
    put("nan_argmin_d1", tag, x=y, out=torch.argmin(y, 1))
    put("nan_argmax_all", tag, x=y, out=torch.argmax(y))
    put("nan_sum_d1", tag, x=y, out=torch.sum(y, 1))
    put("nan_lse_d1", tag, x=y, out=torch.logsumexp(y, 1))
    put("nan_norm_inf_d1", tag, x=y, out=torch.norm(y, inf, dim=1))
    put("nan_cumsum_d1", tag, x=y, out=torch.cumsum(y, 1))
# A long row so the vector paths (max, logsumexp) see NaN and Inf lanes.
row = torch.linspace(-5, 5, 300, dtype=torch.float32).repeat(4, 1)
row[1, 137] = nan
row[2, 211] = inf
row[3, :] = -inf
row[3, 250] = 1.5
v, i = torch.max(row, 1)
put("long_max_d1", "f32", x=row, out=v, idx=i)
put("long_amin_d1", "f32", x=row, out=torch.amin(row, 1))
put("long_lse_d1", "f32", x=row, out=torch.logsumexp(row, 1))
put("long_argmin_d1", "f32", x=row, out=torch.argmin(row, 1))

# --- Zero-size and 0-D ---------------------------------------------------------------------
e = torch.zeros(0, 3)
put("empty_sum_d0", "f32", x=e, out=torch.sum(e, 0))
put("empty_sum_d1", "f32", x=e, out=torch.sum(e, 1))
put("empty_prod_d0", "f32", x=e, out=torch.prod(e, 0))
put("empty_mean_d0", "f32", x=e, out=torch.mean(e, 0))
put("empty_mean_all", "f32", x=e, out=torch.mean(e))
put("empty_var_d0", "f32", x=e, out=torch.var(e, 0))
put("empty_lse_d0", "f32", x=e, out=torch.logsumexp(e, 0))
put("empty_norm_d0", "f32", x=e, out=torch.norm(e, 2, dim=0))
put("empty_amax_d1", "f32", x=e, out=torch.amax(e, 1))
put("empty_all_d0", "f32", x=e, out=torch.all(e, 0))
put("empty_any_d0", "f32", x=e, out=torch.any(e, 0))
put("empty_cumsum_d0", "f32", x=e, out=torch.cumsum(e, 0))
ei = torch.zeros(2, 0, dtype=torch.int32)
put("empty_sum_d1", "i32", x=ei, out=torch.sum(ei, 1))
put("empty_prod_d1", "i32", x=ei, out=torch.prod(ei, 1))
s = torch.tensor(2.5)
put("scalar_sum_d0", "f32", x=s, out=torch.sum(s, 0))
put("scalar_mean_all", "f32", x=s, out=torch.mean(s))
put("scalar_std_all", "f32", x=s, out=torch.std(s))
put("scalar_var_c0", "f32", x=s, out=torch.var(s, None, correction=0))
v, i = torch.max(s, 0)
put("scalar_max_d0", "f32", x=s, out=v, idx=i)
put("scalar_argmax_d0k", "f32", x=s, out=torch.argmax(s, 0, True))
put("scalar_cumsum", "f32", x=s, out=torch.cumsum(s, 0))
put("scalar_lse", "f32", x=s, out=torch.logsumexp(s, 0))
put("scalar_norm", "f32", x=-s, out=torch.norm(-s))
# Correction larger than the count: divisor max(0, N - correction) = 0.
c2 = torch.tensor([1.0, 2.0])
put("var_big_correction", "f32", x=c2, out=torch.var(c2, None, correction=3))

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reduce.safetensors")
save_file(T, out)
print(f"wrote {len(T)} tensors, {os.path.getsize(out)} bytes to {out}")
