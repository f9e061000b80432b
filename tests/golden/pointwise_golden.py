#!/usr/bin/python3
"""Golden values for torch/core/pointwise_ops_test.cc, from PyTorch 1.13.

Run from the repository root with Debian's Python (torch 1.13, safetensors):
    /usr/bin/python3 tests/golden/pointwise_golden.py
Writes tests/golden/pointwise.safetensors. Tensor names:
    unary.<op>.<dtype>.x / .out          every unary op on every dtype it takes
    binary.<op>.<dtype>.a / .b / .out    a [4, 5] with b [5] (broadcast)
    mixed.<op>.<dta>_<dtb>.a / .b / .out promotion between two dtypes
    <case>.<name>                        the explicit cases at the bottom
    bwd.<op>.<dtype>.g / .x / .out       activation backward (aten ops)
float16 results are computed in float32 and rounded (PyTorch's CPU lacks
half kernels for most of these ops; its CUDA kernels compute the same way).
"""
import math
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

torch.manual_seed(1234)
OUT = {}
NAN, INF = float("nan"), float("inf")
FLOATS = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
INTS = [torch.int64, torch.int32, torch.uint8]
ALL = FLOATS + INTS + [torch.bool]


def name(dtype):
    return str(dtype).replace("torch.", "")


def put(key, tensor):
    OUT[key] = tensor.contiguous()


def sample(dtype, n=37, lo=-4.0, hi=4.0, specials=True):
    """n values of dtype: random in [lo, hi] plus NaN/Inf/zeros/halves."""
    if dtype == torch.bool:
        return torch.rand(n) > 0.5
    if dtype == torch.uint8:
        return torch.randint(0, 20, (n,), dtype=dtype)
    if dtype in INTS:
        return torch.randint(-10, 11, (n,), dtype=dtype)
    x = torch.empty(n, dtype=torch.float64).uniform_(lo, hi)
    if specials:
        sp = [NAN, INF, -INF, 0.0, -0.0, 0.5, 1.5, 2.5, -2.5, -0.5, 100.0,
              -100.0]
        sp = sp[:n]
        x[: len(sp)] = torch.tensor(sp, dtype=torch.float64)
    return x.to(dtype)


HALF = (torch.float16, torch.bfloat16)


def via_float(fn, *xs):
    """fn computed in float32 for 16-bit float inputs, rounded once to the
    result dtype, which is how our kernels (and PyTorch's CUDA ones) work;
    PyTorch's CPU lacks float16 kernels for most ops and rounds bfloat16
    intermediates in some (gelu tanh)."""
    if not any(torch.is_tensor(x) and x.dtype in HALF for x in xs):
        return fn(*xs)
    target = xs[0].dtype
    for x in xs[1:]:
        target = torch.result_type(torch.empty(0, dtype=target), x) \
            if torch.is_tensor(x) else target
    ys = [x.float() if torch.is_tensor(x) and x.dtype in HALF else x
          for x in xs]
    out = fn(*ys)
    return out.to(target) if out.dtype == torch.float32 else out


# --- Unary ----------------------------------------------------------------------
FLOAT_FNS = ["exp", "expm1", "log", "log1p", "log2", "sqrt", "rsqrt",
             "reciprocal", "sin", "cos", "tanh", "sigmoid", "erf"]
UNARY = {
    "neg": (torch.neg, FLOATS + INTS),
    "abs": (torch.abs, FLOATS + INTS),
    "sign": (torch.sign, ALL),
    "square": (torch.square, ALL),
    "relu": (torch.relu, FLOATS + INTS),
    "gelu": (F.gelu, FLOATS),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), FLOATS),
    "silu": (F.silu, FLOATS),
    "softplus": (F.softplus, FLOATS),
    "softplus_b2_t3": (lambda x: F.softplus(x, beta=2, threshold=3), FLOATS),
    "floor": (torch.floor, FLOATS + INTS),
    "ceil": (torch.ceil, FLOATS + INTS),
    "round": (torch.round, FLOATS + INTS),
    "trunc": (torch.trunc, FLOATS + INTS),
    "isnan": (torch.isnan, ALL),
    "isinf": (torch.isinf, ALL),
    "isfinite": (torch.isfinite, ALL),
    "nan_to_num": (torch.nan_to_num, ALL),
    "nan_to_num_custom": (
        lambda x: torch.nan_to_num(x, nan=1.5, posinf=7.0, neginf=-9.0), FLOATS),
    "logical_not": (torch.logical_not, ALL),
}
for fn in FLOAT_FNS:
    UNARY[fn] = (getattr(torch, fn), ALL)

for op, (fn, dtypes) in UNARY.items():
    for dt in dtypes:
        x = sample(dt)
        put(f"unary.{op}.{name(dt)}.x", x)
        native = op.startswith("nan_to_num")  # defaults depend on dtype
        put(f"unary.{op}.{name(dt)}.out", fn(x) if native else via_float(fn, x))

# Accuracy over a wide range for the SIMD float32 paths (and float64).
for op, fn in [("exp", torch.exp), ("log", torch.log), ("tanh", torch.tanh),
               ("sigmoid", torch.sigmoid), ("silu", F.silu), ("gelu", F.gelu),
               ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh")),
               ("relu", torch.relu)]:
    for dt in [torch.float32, torch.float64]:
        x = torch.empty(256, dtype=dt).uniform_(-30, 30)
        if op == "exp":
            x = torch.empty(256, dtype=dt).uniform_(-100, 89)
        if op == "log":
            x = torch.exp(torch.empty(256, dtype=dt).uniform_(-80, 80))
        put(f"wide.{op}.{name(dt)}.x", x)
        put(f"wide.{op}.{name(dt)}.out", fn(x))

# --- Binary ---------------------------------------------------------------------


def operands(dt, op):
    a, b = sample(dt, 20).view(4, 5), sample(dt, 5, specials=False)
    if dt in FLOATS:
        b = torch.tensor([2.0, -1.5, 0.0, NAN, INF], dtype=torch.float64)
        b = b.to(dt) if op not in ("pow",) else torch.tensor(
            [2.0, -1.5, 0.0, 0.5, 3.0]).to(dt)
    if op in ("remainder", "div_trunc", "div_floor") and dt in INTS:
        b = torch.tensor([3, -4, 7, 1, 2] if dt != torch.uint8 else
                         [3, 4, 7, 1, 2], dtype=dt)
    if op == "pow" and dt in INTS:
        a = torch.randint(0 if dt == torch.uint8 else -3, 4, (4, 5),
                          dtype=dt)
        b = torch.tensor([0, 1, 2, 3, 5], dtype=dt)
    return a, b


BINARY = {
    "remainder": (torch.remainder, FLOATS + INTS),
    "pow": (torch.pow, FLOATS + INTS),
    "maximum": (torch.maximum, ALL),
    "minimum": (torch.minimum, ALL),
    "div_trunc": (lambda a, b: torch.div(a, b, rounding_mode="trunc"),
                  FLOATS + INTS),
    "div_floor": (lambda a, b: torch.div(a, b, rounding_mode="floor"),
                  FLOATS + INTS),
    "floor_divide": (torch.floor_divide, FLOATS + INTS),
    "eq": (torch.eq, ALL), "ne": (torch.ne, ALL), "lt": (torch.lt, ALL),
    "le": (torch.le, ALL), "gt": (torch.gt, ALL), "ge": (torch.ge, ALL),
    "logical_and": (torch.logical_and, ALL),
    "logical_or": (torch.logical_or, ALL),
    "logical_xor": (torch.logical_xor, ALL),
}
for op, (fn, dtypes) in BINARY.items():
    for dt in dtypes:
        a, b = operands(dt, op.replace("floor_divide", "div_floor"))
        put(f"binary.{op}.{name(dt)}.a", a)
        put(f"binary.{op}.{name(dt)}.b", b)
        put(f"binary.{op}.{name(dt)}.out", via_float(fn, a, b))

# Promotion between dtypes (b holds no zeros).
for op in ["remainder", "pow", "maximum", "minimum", "eq", "lt",
           "logical_and", "div_floor"]:
    fn = BINARY[op][0]
    for da, db in [(torch.int64, torch.float32), (torch.uint8, torch.int32),
                   (torch.bool, torch.float64), (torch.float16, torch.bfloat16),
                   (torch.int32, torch.float16)]:
        if op in ("remainder", "pow", "div_floor") and torch.bool in (da, db):
            continue
        a = torch.randint(1, 5, (3, 4)).to(da)
        b = (torch.rand(4) * 3 + 1.25).to(db)
        put(f"mixed.{op}.{name(da)}_{name(db)}.a", a)
        put(f"mixed.{op}.{name(da)}_{name(db)}.b", b)
        put(f"mixed.{op}.{name(da)}_{name(db)}.out", via_float(fn, a, b))

# --- Scalar overloads, ternary ops and special cases -------------------------------
xf = sample(torch.float32, 16)
xi = torch.arange(-6, 10, dtype=torch.int64)
put("scalar.xf", xf)
put("scalar.xi", xi)
put("scalar.remainder_f_3", torch.remainder(xf, 3))
put("scalar.remainder_f_m2_5", torch.remainder(xf, -2.5))
put("scalar.remainder_i_m4", torch.remainder(xi, -4))
put("scalar.remainder_i_1_5", torch.remainder(xi, 1.5))
put("scalar.remainder_7_ipos", torch.remainder(7, xi[7:]))
put("scalar.remainder_7_ineg", torch.remainder(7, xi[:6]))
put("scalar.pow_f_2", torch.pow(xf, 2))
put("scalar.pow_f_0_5", torch.pow(xf, 0.5))
put("scalar.pow_f_m1", torch.pow(xf, -1))
put("scalar.pow_f_m0_5", torch.pow(xf, -0.5))
put("scalar.pow_f_3", torch.pow(xf, 3))
put("scalar.pow_f_m2", torch.pow(xf, -2))
put("scalar.pow_f_1_7", torch.pow(xf, 1.7))
put("scalar.pow_i_3", torch.pow(xi, 3))
put("scalar.pow_i_2_5", torch.pow(xi, 2.5))
put("scalar.pow_2_i", torch.pow(2, xi))
put("scalar.pow_2_5_i", torch.pow(2.5, xi))
put("scalar.pow_i_ti", torch.pow(torch.tensor([2, 3, -1, 1, 0, -1]),
                                 torch.tensor([-1, -2, -3, -4, 2, -2])))
put("scalar.div_floor_f_m2", torch.div(xf, -2, rounding_mode="floor"))
put("scalar.div_trunc_i_3", torch.div(xi, 3, rounding_mode="trunc"))
put("scalar.div_floor_i_3", torch.div(xi, 3, rounding_mode="floor"))
put("scalar.div_floor_i_1_5", torch.div(xi, 1.5, rounding_mode="floor"))
put("scalar.floor_divide_i_m4", torch.floor_divide(xi, -4))
put("scalar.eq_i_1_5", torch.eq(xi, 1.5))
put("scalar.eq_i_2", torch.eq(xi, 2))
put("scalar.lt_f_1", torch.lt(xf, 1))
put("scalar.ge_i_0_5", torch.ge(xi, 0.5))
put("scalar.ne_f_nan", torch.ne(xf, NAN))

cond = torch.rand(3, 1, 4) > 0.5
wa, wb = torch.randn(5, 1), torch.randint(-5, 5, (4,))
put("where.cond", cond)
put("where.a", wa)
put("where.b", wb)
put("where.out", torch.where(cond, wa, wb))
put("where.out_scalar_b", torch.where(cond, wb, 2.5))
put("where.out_scalar_a", torch.where(cond, 7, wb))
put("where.out_scalars", torch.where(cond, 1, 2))
put("where.out_scalars_f", torch.where(cond, 1, 2.5))
put("where.out_u8", torch.where(cond.to(torch.uint8), wa, wb))
for dt in ALL:
    a = sample(dt, 12).view(3, 4)
    b = sample(dt, 4)
    put(f"where_dtype.{name(dt)}.a", a)
    put(f"where_dtype.{name(dt)}.b", b)
    put(f"where_dtype.{name(dt)}.out", torch.where(cond[0], a, b))

for dt in [torch.float32, torch.float64, torch.bfloat16] + INTS:
    x = sample(dt, 20)
    put(f"clamp.{name(dt)}.x", x)
    put(f"clamp.{name(dt)}.both", via_float(lambda v: torch.clamp(v, -2, 3), x))
    put(f"clamp.{name(dt)}.min", via_float(lambda v: torch.clamp(v, min=1), x))
    put(f"clamp.{name(dt)}.max", via_float(lambda v: torch.clamp(v, max=2), x))
    put(f"clamp.{name(dt)}.inverted",
        via_float(lambda v: torch.clamp(v, 3, -2), x))
put("clamp.float16.x", sample(torch.float16, 20))
put("clamp.float16.both", torch.clamp(OUT["clamp.float16.x"].float(), -2,
                                      3).half())
put("clamp.int_float.out", torch.clamp(xi, 0.5, 2.5))
put("clamp.bool.x", torch.tensor([True, False, True]))
put("clamp.bool.out", torch.clamp(OUT["clamp.bool.x"], 0, 1))
ct = torch.randn(4, 5)
ct[0, 0] = NAN
cmin, cmax = torch.randn(5) - 1, torch.randn(4, 1) + 1
put("clamp_tensor.x", ct)
put("clamp_tensor.min", cmin)
put("clamp_tensor.max", cmax)
put("clamp_tensor.both", torch.clamp(ct, cmin, cmax))
put("clamp_tensor.min_only", torch.clamp(ct, min=cmin))
put("clamp_tensor.max_only", torch.clamp(ct, max=cmax))

for dt in [torch.float32, torch.float64, torch.bfloat16, torch.float16]:
    s, e = torch.randn(4, 5).to(dt), torch.randn(5).to(dt)
    w = torch.rand(4, 1).to(dt) * 1.4 - 0.2
    put(f"lerp.{name(dt)}.start", s)
    put(f"lerp.{name(dt)}.end", e)
    put(f"lerp.{name(dt)}.weight", w)
    put(f"lerp.{name(dt)}.scalar_0_3", via_float(
        lambda a, b: torch.lerp(a, b, 0.3), s, e))
    put(f"lerp.{name(dt)}.scalar_0_8", via_float(
        lambda a, b: torch.lerp(a, b, 0.8), s, e))
    put(f"lerp.{name(dt)}.tensor", via_float(torch.lerp, s, e, w))

for dt in [torch.float32, torch.float64, torch.bfloat16] + INTS:
    s = sample(dt, 20, specials=False).view(4, 5)
    t1, t2 = sample(dt, 5, specials=False), sample(dt, 4, specials=False)
    t2 = t2.view(4, 1)
    if dt in INTS:
        t2 = torch.where(t2 == 0, torch.ones_like(t2), t2)
    put(f"addc.{name(dt)}.self", s)
    put(f"addc.{name(dt)}.t1", t1)
    put(f"addc.{name(dt)}.t2", t2)
    put(f"addc.{name(dt)}.addcmul",
        via_float(lambda a, b, c: torch.addcmul(a, b, c, value=2), s, t1, t2))
    if dt not in INTS:
        put(f"addc.{name(dt)}.addcdiv", via_float(
            lambda a, b, c: torch.addcdiv(a, b, c, value=-0.5), s, t1, t2))
put("addc.mixed.addcmul", torch.addcmul(torch.ones(2, 3), torch.arange(3),
                                        torch.tensor([[2], [3]])))
put("addc.int_value.addcmul", torch.addcmul(
    torch.arange(4), torch.arange(4), torch.arange(4), value=0.5))

# Non-contiguous and expanded inputs: tests apply the same views.
base = torch.randn(6, 8)
put("views.base", base)
put("views.exp_t_step", torch.exp(base.t()[:, ::2]))
put("views.gelu_t", F.gelu(base.t()))
put("views.relu_step", torch.relu(base[::2, 1::3]))
put("views.maximum_t", torch.maximum(base.t(), base[0:1, :].t()))
col = torch.randn(6, 1)
put("views.col", col)
put("views.sigmoid_expand", torch.sigmoid(col.expand(6, 8)))
put("views.remainder_expand", torch.remainder(base, col.expand(6, 8)))
put("views.where_t", torch.where(base.t() > 0, base.t(), col.t()))

# float32 add/sub/mul/div (ops.h), whose SIMD runs live in the elementwise
# kernels: contiguous, scalar-broadcast on either side, strided, with alpha.
aa, ab = torch.randn(24, 37), torch.randn(37) + 3
acol = torch.randn(24, 1)
put("arith.a", aa)
put("arith.b", ab)
put("arith.col", acol)
put("arith.add_alpha", torch.add(aa, ab, alpha=2))
put("arith.sub_alpha", torch.sub(aa, ab, alpha=0.5))
put("arith.mul", aa * ab)
put("arith.div", aa / ab)
put("arith.div_scalar_first", torch.tensor(1.5) / ab)
put("arith.sub_scalar_b", aa - 0.25)
put("arith.mul_t", aa.t() * aa.t())
put("arith.add_col", aa + acol)
put("arith.div_col", acol.expand(24, 37) / ab)

# 0-d and zero-size.
s0 = torch.tensor(-1.25)
put("zero_d.x", s0)
put("zero_d.exp", torch.exp(s0))
put("zero_d.pow_t", torch.pow(s0, torch.tensor([1.0, 2.0, 3.0])))
put("zero_d.int_plus_float0d", torch.maximum(torch.tensor([1, 5]),
                                             torch.tensor(2.5)))

# Large tensors (several threads' chunks): the test tiles wide.* cases.

# --- Activation backward (aten::*_backward) -------------------------------------
# bwd.<op>.<dtype>.g / .x / .out: grad, the saved tensor (the input for
# threshold/gelu/silu, the output for relu/sigmoid/tanh) and grad_input.
aten = torch.ops.aten
BACKWARD = {
    "relu": (lambda g, y: aten.threshold_backward(g, y, 0), torch.relu),
    "threshold": (lambda g, x: aten.threshold_backward(g, x, 0.5), None),
    "gelu": (lambda g, x: aten.gelu_backward(g, x), None),
    "gelu_tanh": (lambda g, x: aten.gelu_backward(g, x, approximate="tanh"),
                  None),
    "silu": (aten.silu_backward, None),
    "sigmoid": (aten.sigmoid_backward, torch.sigmoid),
    "tanh": (aten.tanh_backward, torch.tanh),
}
for op, (bwd, fwd) in BACKWARD.items():
    dtypes = FLOATS + ([torch.int64] if op in ("relu", "threshold") else [])
    for dt in dtypes:
        x = sample(dt)
        g = sample(dt, specials=False)
        if dt in FLOATS:
            g[13], g[14] = NAN, INF  # select, not multiply, in threshold
        saved = via_float(fwd, x) if fwd is not None else x
        put(f"bwd.{op}.{name(dt)}.g", g)
        put(f"bwd.{op}.{name(dt)}.x", saved)
        put(f"bwd.{op}.{name(dt)}.out", via_float(bwd, g, saved))
    # Wide range for the SIMD float32 paths (and float64).
    for dt in [torch.float32, torch.float64]:
        x = torch.empty(256, dtype=dt).uniform_(-30, 30)
        x[:8] = torch.tensor([0.0, -0.0, NAN, INF, -INF, 1e-3, -1e-3, 5.0])
        g = torch.empty(256, dtype=dt).uniform_(-2, 2)
        saved = fwd(x) if fwd is not None else x
        put(f"bwdwide.{op}.{name(dt)}.g", g)
        put(f"bwdwide.{op}.{name(dt)}.x", saved)
        put(f"bwdwide.{op}.{name(dt)}.out", bwd(g, saved))
# Strided and broadcast operands: grad transposed, x a column expanded.
bg, bx = torch.randn(8, 6), torch.randn(6, 8)
put("bwdviews.g", bg)
put("bwdviews.x", bx)
# 1.13's CPU gelu_backward reads a transposed grad wrongly (garbage out), so
# its reference takes the same values contiguous.
put("bwdviews.gelu_t", aten.gelu_backward(bg.t().contiguous(), bx))
put("bwdviews.relu_t", aten.threshold_backward(bg.t(), bx, 0))
put("bwdviews.silu_col", aten.silu_backward(bg.t(), bx[:, :1].expand(6, 8)))
put("bwdviews.tanh_tt", aten.tanh_backward(bg.t(), torch.tanh(bg).t()))

path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "pointwise.safetensors")
save_file(OUT, path)
print(f"wrote {len(OUT)} tensors, {os.path.getsize(path)} bytes to {path}")
