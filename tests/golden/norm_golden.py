#!/usr/bin/python3
"""Golden values for the norm family (torch/core/norm_ops_test.cc).

Reference: PyTorch 1.13 (Debian's python3-torch). Run from the repository root:
    /usr/bin/python3 tests/golden/norm_golden.py
writes tests/golden/norm.safetensors.

Every case is a group of tensors named "<kind>.<case>.<name>": the inputs
(x, target, weight, ...), the options as 0-d tensors (int64 for integers and
flags, float64 for eps / momentum / label smoothing / beta / scale), the
forward outputs, a random upstream gradient "gy" and the gradients that
torch.autograd.grad computes from it ("gx", "gw", ...). The C++ test walks
every case of a kind, so adding a case here needs no C++ change.

Reductions are encoded as 0 = none, 1 = mean, 2 = sum. float16 / bfloat16
references are computed in float32 from the 16-bit inputs and rounded, which
is what tch does (PyTorch 1.13 lacks some of these CPU kernels in 16 bits).
"""

import math
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

torch.manual_seed(1234)
OUT = {}
REDUCTIONS = ["none", "mean", "sum"]


def put(prefix, **tensors):
    for name, value in tensors.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = torch.tensor(int(value), dtype=torch.int64)
        elif isinstance(value, int):
            value = torch.tensor(value, dtype=torch.int64)
        elif isinstance(value, float):
            value = torch.tensor(value, dtype=torch.float64)
        OUT[f"{prefix}.{name}"] = value.detach().contiguous().clone()


def grads(out, inputs, gy):
    """torch.autograd.grad of `out` w.r.t. the defined inputs, None kept."""
    live = [t for t in inputs if t is not None and t.requires_grad]
    if not live or out.numel() == 0:
        return [torch.zeros_like(t) if t is not None else None for t in inputs]
    got = iter(torch.autograd.grad(out, live, gy, allow_unused=True))
    res = []
    for t in inputs:
        if t is not None and t.requires_grad:
            g = next(got)
            res.append(torch.zeros_like(t) if g is None else g)
        else:
            res.append(None)
    return res


def leaf(t, dtype=None):
    t = t.clone() if dtype is None else t.to(dtype)
    return t.requires_grad_(True) if t.is_floating_point() else t


def half_reference(dtype):
    """For 16-bit dtypes: compute in float32 (returns the compute dtype)."""
    return torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype


# --- softmax / log_softmax ----------------------------------------------------

def softmax_case(name, x, dim, to_f64=False, backward=True):
    for log in (0, 1):
        prefix = f"softmax.{name}_{'log' if log else 'soft'}"
        dtype = x.dtype
        # softmax(x, dtype=float64) is softmax(x.double()), and its backward
        # runs in float64.
        xc = leaf(x, torch.float64 if to_f64 else half_reference(dtype))
        fn = torch.log_softmax if log else torch.softmax
        out = fn(xc, dim)
        gy = torch.randn(out.shape, dtype=out.dtype)
        gx = None
        if backward:
            (gx,) = grads(out, [xc], gy)
            # tch's backward returns the output's dtype (float64 for to_f64;
            # autograd converts it to the input's dtype).
            gx = gx.to(torch.float64 if to_f64 else dtype)
        out_dtype = torch.float64 if to_f64 else dtype
        put(prefix, x=x, dim=dim, log=log, to_f64=int(to_f64),
            out=out.to(out_dtype), gy=gy.to(out_dtype) if backward else None,
            gx=gx)


softmax_case("rows", torch.randn(4, 7), -1)
softmax_case("mid", torch.randn(3, 5, 6), 1)
softmax_case("first_f64", torch.randn(3, 5, 6, dtype=torch.float64), 0)
softmax_case("long_row", torch.randn(2, 500) * 5, 1)
softmax_case("scalar", torch.tensor(1.5), 0)
softmax_case("empty", torch.randn(0, 5), 1)
softmax_case("bf16", torch.randn(4, 9).bfloat16(), -1)
softmax_case("f16", torch.randn(4, 9).half(), 0)
softmax_case("to_f64", torch.randn(3, 6), 1, to_f64=True)
big = torch.randn(2, 37) * 1e4
softmax_case("extreme", big, 1)
special = torch.randn(5, 19)
special[0, 3] = -math.inf
special[1, :] = -math.inf
special[2, 4] = math.nan
special[3, 7] = math.inf
special[4, 1] = 1e4
softmax_case("special", special, 1, backward=False)


# --- layer norm -------------------------------------------------------------------

def layer_norm_case(name, x, nshape, affine=True, eps=1e-5):
    dtype = x.dtype
    cd = half_reference(dtype)
    w = torch.randn(nshape).to(dtype) if affine else None
    b = torch.randn(nshape).to(dtype) if affine else None
    xc = leaf(x, cd)
    wc = leaf(w, cd) if affine else None
    bc = leaf(b, cd) if affine else None
    out, mean, rstd = torch.native_layer_norm(xc, nshape, wc, bc, eps)
    gy = torch.randn(out.shape).to(dtype)
    gx, gw, gb = grads(out, [xc, wc, bc], gy.to(cd))
    put(f"layer_norm.{name}", x=x, w=w, b=b, ndim=len(nshape), eps=eps,
        out=out.to(dtype), mean=mean.to(dtype), rstd=rstd.to(dtype), gy=gy,
        gx=gx.to(dtype), gw=None if gw is None else gw.to(dtype),
        gb=None if gb is None else gb.to(dtype))


layer_norm_case("last", torch.randn(4, 6), [6])
layer_norm_case("two_dims", torch.randn(2, 3, 4), [3, 4])
layer_norm_case("no_affine", torch.randn(5, 8), [8], affine=False, eps=1e-3)
layer_norm_case("f64", torch.randn(3, 2, 5, dtype=torch.float64), [5])
layer_norm_case("bf16", torch.randn(3, 16).bfloat16(), [16])
layer_norm_case("offset", torch.randn(3, 300) + 100.0, [300])
layer_norm_case("empty", torch.randn(0, 4), [4])
layer_norm_case("f16", torch.randn(2, 3, 8).half(), [8])


# --- batch norm ---------------------------------------------------------------------

def batch_norm_case(name, x, training, affine=True, stats=True, momentum=0.1,
                    eps=1e-5):
    dtype = x.dtype
    c = x.shape[1]
    w = torch.randn(c).to(dtype) if affine else None
    b = torch.randn(c).to(dtype) if affine else None
    rm = torch.randn(c).to(dtype) if stats else None
    rv = (torch.rand(c) + 0.5).to(dtype) if stats else None
    rm_out = rm.clone() if stats else None
    rv_out = rv.clone() if stats else None
    cd = half_reference(dtype)
    xc = leaf(x, cd)
    wc = leaf(w, cd) if affine else None
    bc = leaf(b, cd) if affine else None
    rm_c = rm_out.to(cd) if stats else None
    rv_c = rv_out.to(cd) if stats else None
    out, save_mean, save_invstd = torch.native_batch_norm(
        xc, wc, bc, rm_c, rv_c, training, momentum, eps)
    gy = torch.randn(out.shape).to(dtype)
    gx, gw, gb = (None if g is None else g.to(dtype)
                  for g in grads(out, [xc, wc, bc], gy.to(cd)))
    put(f"batch_norm.{name}", x=x, w=w, b=b, rm=rm, rv=rv,
        rm_out=None if rm_c is None else rm_c.to(dtype),
        rv_out=None if rv_c is None else rv_c.to(dtype), training=training,
        momentum=momentum, eps=eps, out=out.to(dtype),
        save_mean=save_mean.to(dtype), save_invstd=save_invstd.to(dtype),
        gy=gy, gx=gx, gw=gw, gb=gb)


batch_norm_case("train", torch.randn(4, 3, 5), True)
batch_norm_case("train_2d", torch.randn(6, 4), True, affine=False, stats=False)
batch_norm_case("train_4d_f64", torch.randn(2, 3, 2, 3, dtype=torch.float64),
                True, momentum=0.3)
batch_norm_case("eval", torch.randn(4, 3, 2, 2), False)
batch_norm_case("eval_no_affine", torch.randn(5, 2), False, affine=False)
batch_norm_case("train_bf16", torch.randn(4, 3, 3).bfloat16(), True)
batch_norm_case("eval_f16", torch.randn(4, 3, 3).half(), False)


# --- group norm ---------------------------------------------------------------------

def group_norm_case(name, x, groups, affine=True, eps=1e-5):
    dtype = x.dtype
    n, c = x.shape[0], x.shape[1]
    hw = x[0, 0].numel()
    w = torch.randn(c).to(dtype) if affine else None
    b = torch.randn(c).to(dtype) if affine else None
    cd = half_reference(dtype)
    xc = leaf(x, cd)
    wc = leaf(w, cd) if affine else None
    bc = leaf(b, cd) if affine else None
    out, mean, rstd = torch.native_group_norm(xc, wc, bc, n, c, hw, groups, eps)
    gy = torch.randn(out.shape).to(dtype)
    gx, gw, gb = (None if g is None else g.to(dtype)
                  for g in grads(out, [xc, wc, bc], gy.to(cd)))
    put(f"group_norm.{name}", x=x, w=w, b=b, groups=groups, eps=eps,
        out=out.to(dtype), mean=mean.to(dtype), rstd=rstd.to(dtype), gy=gy,
        gx=gx, gw=gw, gb=gb)


group_norm_case("three_groups", torch.randn(2, 6, 5), 3)
group_norm_case("spatial", torch.randn(3, 4, 2, 2), 2, affine=False)
group_norm_case("one_group", torch.randn(2, 4, 3), 1)
group_norm_case("per_channel_f64", torch.randn(2, 3, 4, dtype=torch.float64),
                3)
group_norm_case("channels_only", torch.randn(3, 4), 2)
group_norm_case("bf16", torch.randn(2, 4, 3).bfloat16(), 2)


# --- cross entropy / nll --------------------------------------------------------------

def class_loss_case(kind, name, x, target, weight=None, ignore_index=-100,
                    reduction=1, label_smoothing=0.0):
    dtype = x.dtype
    cd = half_reference(dtype)
    xc = leaf(x, cd)
    wc = weight.to(cd) if weight is not None else None
    red = REDUCTIONS[reduction]
    tgt = target.to(cd) if target.is_floating_point() else target
    if kind == "cross_entropy":
        out = F.cross_entropy(xc, tgt, weight=wc, ignore_index=ignore_index,
                              reduction=red, label_smoothing=label_smoothing)
    else:
        out = F.nll_loss(xc, tgt, weight=wc, ignore_index=ignore_index,
                         reduction=red)
    gy = torch.randn(out.shape).to(dtype)
    (gx,) = grads(out, [xc], gy.to(cd))
    put(f"{kind}.{name}", x=x, target=target, weight=weight,
        ignore_index=ignore_index, reduction=reduction,
        label_smoothing=float(label_smoothing), out=out.to(dtype), gy=gy,
        gx=gx.to(dtype))


def ce(name, *args, **kwargs):
    class_loss_case("cross_entropy", name, *args, **kwargs)


def nll(name, *args, **kwargs):
    class_loss_case("nll_loss", name, *args, **kwargs)


x54 = torch.randn(5, 4)
t5 = torch.tensor([1, 0, 3, 3, 2])
w4 = torch.rand(4) + 0.2
t5_ign = torch.tensor([1, -100, 3, 2, -100])
t5_ign2 = torch.tensor([1, 2, 3, 2, 0])
for r in range(3):
    ce(f"basic_r{r}", x54, t5, reduction=r)
    ce(f"weight_ignore_r{r}", x54, t5_ign, weight=w4, reduction=r)
    ce(f"smooth_r{r}", x54, t5_ign, label_smoothing=0.1, reduction=r)
    ce(f"smooth_weight_r{r}", x54, t5_ign2, weight=w4, ignore_index=2,
       label_smoothing=0.25, reduction=r)
    ce(f"prob_r{r}", x54, torch.softmax(torch.randn(5, 4), 1), weight=w4,
       label_smoothing=0.2, reduction=r)
    nll(f"weight_ignore_r{r}", torch.log_softmax(x54, 1), t5_ign, weight=w4,
        reduction=r)
xs = torch.randn(3, 4, 2, 3)
ts = torch.randint(0, 4, (3, 2, 3))
ts[0, 1, 2] = -100
ts[2, 0, 0] = -100
for r in range(3):
    ce(f"spatial_r{r}", xs, ts, weight=w4, label_smoothing=0.15, reduction=r)
    ce(f"spatial_prob_r{r}", xs, torch.softmax(torch.randn(3, 4, 2, 3), 1),
       reduction=r)
    nll(f"spatial_r{r}", torch.log_softmax(xs, 1), ts, reduction=r)
ce("unbatched", torch.randn(5), torch.tensor(3))
ce("unbatched_smooth", torch.randn(5), torch.tensor(1), label_smoothing=0.3)
nll("unbatched", torch.log_softmax(torch.randn(5), 0), torch.tensor(4),
    weight=torch.rand(5))
ce("extreme", torch.randn(4, 6) * 1e4, torch.tensor([0, 5, 2, 2]),
   label_smoothing=0.05)
ce("all_ignored", x54, torch.full((5,), -100))
ce("all_ignored_sum", x54, torch.full((5,), -100), reduction=2)
ce("empty_mean", torch.randn(0, 5), torch.zeros(0, dtype=torch.int64))
ce("empty_sum", torch.randn(0, 5), torch.zeros(0, dtype=torch.int64),
   reduction=2)
ce("f64", torch.randn(6, 3, dtype=torch.float64), torch.tensor([0, 1, 2, 2, 1, 0]),
   weight=torch.rand(3, dtype=torch.float64), label_smoothing=0.1)
ce("bf16", torch.randn(6, 5).bfloat16(), torch.tensor([0, 1, 4, 3, 1, 0]))
ce("wide", torch.randn(3, 300) * 3, torch.tensor([0, 299, 150]))
ce("f16_smooth", torch.randn(4, 5).half(), torch.tensor([0, 1, 4, -100]),
   label_smoothing=0.1)
ce("bf16_prob", torch.randn(3, 4).bfloat16(),
   torch.softmax(torch.randn(3, 4), 1).bfloat16())
nan_logits = torch.randn(3, 4)
nan_logits[1, 2] = math.nan
ce("nan_row", nan_logits, torch.tensor([0, 1, 2]), reduction=0)


# --- pointwise losses -------------------------------------------------------------------

def pointwise_case(kind, name, x, t, reduction=1, beta=1.0, weight=None,
                   pos_weight=None):
    dtype = x.dtype
    cd = half_reference(dtype)
    xc = leaf(x, cd)
    tc = leaf(t, cd) if kind == "bce" else t.to(cd)
    red = REDUCTIONS[reduction]
    if kind == "mse":
        out = F.mse_loss(xc, tc, reduction=red)
    elif kind == "l1":
        out = F.l1_loss(xc, tc, reduction=red)
    elif kind == "smooth_l1":
        out = F.smooth_l1_loss(xc, tc, reduction=red, beta=beta)
    else:
        out = F.binary_cross_entropy_with_logits(
            xc, tc, weight=weight, pos_weight=pos_weight, reduction=red)
    gy = torch.randn(out.shape).to(dtype)
    gx, gt = grads(out, [xc, tc if kind == "bce" else None], gy.to(cd))
    put(f"{kind}.{name}", x=x, target=t, weight=weight, pos_weight=pos_weight,
        reduction=reduction, beta=float(beta), out=out.to(dtype), gy=gy,
        gx=gx.to(dtype), gt=None if gt is None else gt.to(dtype))


a34, b34 = torch.randn(3, 4), torch.randn(3, 4)
b34[0, 0] = a34[0, 0]  # a zero difference: sign(0) = 0 in l1's gradient
for r in range(3):
    for kind in ("mse", "l1", "smooth_l1"):
        pointwise_case(kind, f"r{r}", a34, b34, reduction=r)
    pointwise_case("smooth_l1", f"beta_half_r{r}", a34 * 0.5, b34 * 0.5,
                   reduction=r, beta=0.5)
    pointwise_case("bce", f"plain_r{r}", torch.randn(4, 5) * 3,
                   torch.rand(4, 5), reduction=r)
    pointwise_case("bce", f"weights_r{r}", torch.randn(4, 5) * 3,
                   torch.rand(4, 5), reduction=r, weight=torch.rand(5),
                   pos_weight=torch.rand(5) * 3)
pointwise_case("smooth_l1", "beta_zero", a34, b34, beta=0.0)
pointwise_case("mse", "broadcast", a34, torch.randn(4))
pointwise_case("l1", "f64", torch.randn(2, 3, dtype=torch.float64),
               torch.randn(2, 3, dtype=torch.float64), reduction=2)
pointwise_case("mse", "empty", torch.randn(0, 3), torch.randn(0, 3))
pointwise_case("mse", "bf16", torch.randn(3, 4).bfloat16(),
               torch.randn(3, 4).bfloat16(), reduction=0)
pointwise_case("l1", "f16", torch.randn(3, 4).half(), torch.randn(3, 4).half())
nan_x = torch.randn(2, 3)
nan_x[0, 1] = math.nan
nan_x[1, 2] = math.inf
pointwise_case("mse", "nan_inf", nan_x, torch.randn(2, 3), reduction=0)
pointwise_case("smooth_l1", "nan_mean", nan_x, torch.randn(2, 3))
pointwise_case("bce", "extreme", torch.tensor([[-100.0, 100.0, 0.0, 30.0]]),
               torch.tensor([[1.0, 0.0, 0.5, 1.0]]), reduction=0,
               pos_weight=torch.tensor([2.0, 0.5, 1.0, 3.0]))


# --- scaled dot-product attention ----------------------------------------------------------

def attention(q, k, v, mask=None, causal=False, scale=None):
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ k.transpose(-2, -1) * scale
    if causal:
        keep = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril()
        s = s.masked_fill(~keep, -math.inf)
    if mask is not None:
        s = s.masked_fill(~mask, -math.inf) if mask.dtype == torch.bool \
            else s + mask
    return torch.softmax(s, -1) @ v, torch.logsumexp(s, -1)


def sdpa_case(name, qs, ks, vs, mask=None, causal=False, scale=None,
              backward=True, dtype=torch.float32):
    q, k, v = (torch.randn(s).to(dtype) for s in (qs, ks, vs))
    cd = half_reference(dtype)
    qc, kc, vc = leaf(q, cd), leaf(k, cd), leaf(v, cd)
    out, lse = attention(qc, kc, vc, mask, causal, scale)
    gy = torch.randn(out.shape).to(dtype)
    gq = gk = gv = None
    if backward:
        gq, gk, gv = (g.to(dtype) for g in grads(out, [qc, kc, vc], gy.to(cd)))
    put(f"sdpa.{name}", q=q, k=k, v=v, mask=mask, causal=causal,
        scale=-1.0 if scale is None else float(scale), out=out.to(dtype),
        lse=lse, gy=gy if backward else None, gq=gq, gk=gk, gv=gv)


sdpa_case("plain", (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 3))
sdpa_case("bool_mask", (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 3),
          mask=(torch.rand(5, 6) > 0.3) | torch.eye(5, 6, dtype=torch.bool))
sdpa_case("float_mask", (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 3),
          mask=torch.randn(2, 1, 5, 6))
sdpa_case("causal", (2, 7, 8), (2, 7, 8), (2, 7, 5), causal=True)
sdpa_case("causal_wide", (3, 4), (6, 4), (6, 2), causal=True, scale=0.3)
sdpa_case("key_padding", (2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4),
          mask=torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 0]],
                            dtype=torch.bool).view(2, 1, 1, 5))
sdpa_case("f64", (2, 4, 3), (2, 5, 3), (2, 5, 3), dtype=torch.float64)
sdpa_case("bf16", (2, 4, 8), (2, 4, 8), (2, 4, 8), dtype=torch.bfloat16,
          causal=True)
fully_masked = torch.ones(3, 4, dtype=torch.bool)
fully_masked[1] = False
sdpa_case("fully_masked_row", (3, 4), (4, 4), (4, 2), mask=fully_masked,
          backward=False)
sdpa_case("one_key", (2, 3, 4), (2, 1, 4), (2, 1, 2))
sdpa_case("f16_float_mask", (2, 3, 4), (2, 5, 4), (2, 5, 4),
          dtype=torch.float16, mask=torch.randn(3, 5).half())

# Batch norm through the float32 SIMD rows (HW >= 32): an offset mean, HW
# not a multiple of any vector width, and rows longer than one 4096-value
# statistics segment. (Appended last: the cases above keep their values.)
batch_norm_case("rows_f32", torch.randn(3, 4, 5, 9) * 0.5 + 5, True)
batch_norm_case("rows_eval_f32", torch.randn(3, 4, 37), False)
batch_norm_case("segments_f32", torch.randn(2, 2, 4103) * 2 + 3, True,
                momentum=0.2)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "norm.safetensors")
save_file(OUT, path)
print(f"wrote {len(OUT)} tensors to {path} ({os.path.getsize(path)} bytes)")
