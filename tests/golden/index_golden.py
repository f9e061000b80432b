#!/usr/bin/python3
"""Golden values for the index op family (torch/core/index_ops_test.cc).

Run with Debian's PyTorch 1.13:  /usr/bin/python3 tests/golden/index_golden.py
Writes tests/golden/index.safetensors. Tensor names are
"<op>.<dtype>.<case>.<name>"; inputs are stored contiguous and the test
derives the same non-contiguous views (transpose, step slices, expand) that
this script applies before calling PyTorch. Operation parameters are encoded
in the case names and repeated in the test.
"""
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "int64": torch.int64,
    "int32": torch.int32,
    "uint8": torch.uint8,
    "bool": torch.bool,
}

gen = torch.Generator().manual_seed(1234)
out = {}


def put(name, t):
    assert name not in out, name
    out[name] = t.detach().clone().contiguous()


def make(shape, dtype, special=True):
    """Random values of `dtype`; floats get NaN and +-Inf when `special`."""
    if dtype.is_floating_point:
        v = torch.randn(shape, generator=gen) * 3
        if special and v.numel() >= 4:
            flat = v.view(-1)
            flat[1] = float("nan")
            flat[-2] = float("inf")
            flat[v.numel() // 2] = float("-inf")
        return v.to(dtype)
    if dtype == torch.bool:
        return torch.rand(shape, generator=gen) > 0.5
    if dtype == torch.uint8:
        return torch.randint(0, 20, shape, generator=gen).to(dtype)
    return torch.randint(-10, 10, shape, generator=gen).to(dtype)


def rand_index(shape, high):
    return torch.randint(0, high, shape, generator=gen)


for dn, dt in DTYPES.items():
    # index_select: dims 0/1/2, int32 index, 0-D index, transposed self.
    p = f"index_select.{dn}"
    x = make((4, 5, 3), dt)
    put(f"{p}.x", x)
    for d, idx in ((0, [3, 0, 3, 1]), (1, [4, 0, 4, 2]), (2, [2, 0, 2, 1])):
        i = torch.tensor(idx)
        put(f"{p}.dim{d}.index", i)
        put(f"{p}.dim{d}.out", torch.index_select(x, d, i))
    put(f"{p}.int32.out", torch.index_select(x, 1, torch.tensor([4, 0, 4, 2], dtype=torch.int32)))
    put(f"{p}.scalar_index.out", torch.index_select(x, 1, torch.tensor(2)))
    put(f"{p}.transposed.out", torch.index_select(x.transpose(0, 2), 2, torch.tensor([3, 0, 3, 1])))

    # gather: dims 1/0/-1, transposed self with an expanded index.
    p = f"gather.{dn}"
    x = make((4, 5, 3), dt)
    put(f"{p}.x", x)
    for d, shape, high in ((1, (4, 7, 2), 5), (0, (6, 5, 3), 4), (-1, (4, 5, 6), 3)):
        i = rand_index(shape, high)
        put(f"{p}.dim{d}.index", i)
        put(f"{p}.dim{d}.out", torch.gather(x, d, i))
    i = rand_index((1, 4, 3), 4)
    put(f"{p}.expanded.index", i)
    put(f"{p}.expanded.out", torch.gather(x.transpose(0, 1), 1, i.expand(5, 4, 3)))

    # scatter with src (larger than index), duplicates, scalar value.
    p = f"scatter.{dn}"
    self_ = make((4, 5), dt)
    src = make((3, 6), dt)
    i0 = rand_index((3, 5), 4)
    put(f"{p}.self", self_)
    put(f"{p}.src", src)
    put(f"{p}.dim0.index", i0)
    put(f"{p}.dim0.out", self_.scatter(0, i0, src))
    i1 = rand_index((4, 2), 5)
    put(f"{p}.value.index", i1)
    put(f"{p}.value.out", self_.scatter(1, i1, 3))
    put(f"{p}.value_float.out", self_.scatter(1, i1, 2.5))

    # scatter_add with duplicates along both dims; transposed src.
    p = f"scatter_add.{dn}"
    self_ = make((4, 5), dt, special=False)
    put(f"{p}.self", self_)
    src0 = make((6, 5), dt, special=False)
    i0 = rand_index((6, 5), 4)
    put(f"{p}.dim0.src", src0)
    put(f"{p}.dim0.index", i0)
    put(f"{p}.dim0.out", self_.scatter_add(0, i0, src0))
    src1 = make((8, 4), dt, special=False)  # used as src1.t(): [4, 8]
    i1 = rand_index((4, 8), 5)
    put(f"{p}.dim1.src", src1)
    put(f"{p}.dim1.index", i1)
    put(f"{p}.dim1.out", self_.scatter_add(1, i1, src1.t()))

    # index_add: int64 / int32 index, alpha, transposed source.
    p = f"index_add.{dn}"
    self_ = make((5, 3, 4), dt, special=False)
    src = make((5, 5, 4), dt, special=False)
    i = torch.tensor([2, 0, 2, 2, 1])
    alpha = True if dt == torch.bool else (2 if not dt.is_floating_point else 0.5)
    put(f"{p}.self", self_)
    put(f"{p}.source", src)
    put(f"{p}.index", i)
    put(f"{p}.dim1.out", self_.index_add(1, i, src))
    put(f"{p}.int32_alpha.out", self_.index_add(1, i.int(), src, alpha=alpha))
    src_t = make((4, 3, 5), dt, special=False)  # permuted to [5, 3, 4]
    put(f"{p}.permuted.source", src_t)
    put(f"{p}.permuted.out", self_.index_add(0, i, src_t.permute(2, 1, 0)))

    # masked_fill: broadcast mask, 0-D value tensor, broadcast out-of-place.
    p = f"masked_fill.{dn}"
    x = make((3, 4), dt)
    m = torch.rand(4, generator=gen) > 0.5
    m2 = torch.rand(3, 1, generator=gen) > 0.5
    put(f"{p}.x", x)
    put(f"{p}.mask", m)
    put(f"{p}.mask2", m2)
    put(f"{p}.scalar.out", x.masked_fill(m, 2))
    put(f"{p}.tensor.out", x.masked_fill(m, torch.tensor(1.5)))
    put(f"{p}.broadcast.out", x[0].masked_fill(m2, 7))
    put(f"{p}.uint8.out", x.masked_fill(m.to(torch.uint8), 3))
    if dt.is_floating_point:
        put(f"{p}.nan.out", x.masked_fill(m, float("nan")))

    # masked_select: same shape, broadcast, transposed self.
    p = f"masked_select.{dn}"
    x = make((3, 4), dt)
    m = torch.rand(3, 4, generator=gen) > 0.5
    m2 = torch.rand(3, 1, generator=gen) > 0.5
    put(f"{p}.x", x)
    put(f"{p}.mask", m)
    put(f"{p}.mask2", m2)
    put(f"{p}.same.out", x.masked_select(m))
    put(f"{p}.broadcast.out", x[0].masked_select(m2))
    put(f"{p}.transposed.out", x.t().masked_select(m.t()))

    # cat / stack
    p = f"cat.{dn}"
    a, b, c = make((2, 3), dt), make((4, 3), dt), make((2, 5), dt)
    put(f"{p}.a", a)
    put(f"{p}.b", b)
    put(f"{p}.c", c)
    put(f"{p}.dim0.out", torch.cat([a, b], 0))
    put(f"{p}.dim1.out", torch.cat([a, c, a], -1))
    put(f"{p}.transposed.out", torch.cat([a, c.t()[:3].t(), b[::2]], 1))
    put(f"{p}.skip.out", torch.cat([torch.empty(0, dtype=dt), a, torch.empty(0, dtype=dt)], 1))
    p = f"stack.{dn}"
    for d in (0, 1, 2, -1):
        put(f"{p}.dim{d}.out", torch.stack([a, b[:2], a.t().t()], d))

    # repeat
    p = f"repeat.{dn}"
    x = make((2, 3), dt)
    put(f"{p}.x", x)
    put(f"{p}.r212.out", x.repeat(2, 1, 2))
    put(f"{p}.r13.out", x.repeat(1, 3))
    put(f"{p}.transposed.out", x.t().repeat(2, 2))
    put(f"{p}.scalar.out", x[1, 2].repeat(3))

    # tril / triu, batched, transposed
    p = f"tri.{dn}"
    x = make((2, 4, 5), dt)
    put(f"{p}.x", x)
    for k in (-1, 0, 2, -10, 10):
        put(f"{p}.tril{k}.out", torch.tril(x, k))
        put(f"{p}.triu{k}.out", torch.triu(x, k))
    put(f"{p}.transposed.out", torch.tril(x.transpose(1, 2), 1))

    # flip
    p = f"flip.{dn}"
    x = make((2, 3, 4), dt)
    put(f"{p}.x", x)
    put(f"{p}.d02.out", x.flip(0, 2))
    put(f"{p}.d1.out", x.flip(1))
    put(f"{p}.dlast.out", x.flip(-1))
    put(f"{p}.transposed.out", x.transpose(0, 2).flip(0, 1))

    # roll
    p = f"roll.{dn}"
    x = make((3, 4), dt)
    put(f"{p}.x", x)
    put(f"{p}.flat.out", x.roll(2))
    put(f"{p}.d1.out", x.roll(-1, 1))
    put(f"{p}.d01.out", x.roll((1, 2), (0, 1)))
    put(f"{p}.same_dim.out", x.roll((1, 1), (0, 0)))
    put(f"{p}.wrap.out", x.roll(5, 0))
    put(f"{p}.transposed.out", x.t().roll((1, -3), (0, 1)))

    # pad (constant)
    p = f"pad.{dn}"
    x = make((2, 3, 4), dt)
    v = 1 if dt == torch.bool else 2.7
    put(f"{p}.x", x)
    put(f"{p}.last.out", F.pad(x, (1, 2)))
    put(f"{p}.two.out", F.pad(x, (1, 1, 2, 0), value=v))
    put(f"{p}.crop.out", F.pad(x, (-1, 1, 0, -1)))
    put(f"{p}.all.out", F.pad(x, (0, 0, 0, 0, 1, 1), value=v))
    put(f"{p}.transposed.out", F.pad(x.transpose(1, 2), (2, -1, -1, 0)))

    # sort / argsort (stable), ties and NaN
    p = f"sort.{dn}"
    if dt.is_floating_point:
        x = torch.randint(-3, 4, (4, 9), generator=gen).to(torch.float32)
        x[0, 2] = x[1, 5] = x[1, 1] = float("nan")
        x[2, 3] = float("inf")
        x[3, 0] = float("-inf")
        x[0, 4], x[0, 6], x[0, 7] = 0.0, -0.0, 0.0  # -0.0 ties with 0.0
        x = x.to(dt)
    else:
        x = make((4, 9), dt)
        if dt != torch.bool:
            x = x % 4  # plenty of ties
    put(f"{p}.x", x)
    for desc in (False, True):
        v, i = torch.sort(x, dim=-1, descending=desc, stable=True)
        put(f"{p}.desc{int(desc)}.values", v)
        put(f"{p}.desc{int(desc)}.indices", i)
        v, i = torch.sort(x, dim=0, descending=desc, stable=True)
        put(f"{p}.dim0_desc{int(desc)}.values", v)
        put(f"{p}.dim0_desc{int(desc)}.indices", i)
    put(f"{p}.argsort.indices", torch.argsort(x.t(), dim=0, descending=True, stable=True))

    # topk: partial_sort path (k * 64 <= n), nth_element path, sorted=False
    if dt in (torch.float16, torch.bool):
        continue  # not implemented in PyTorch 1.13 on the CPU
    p = f"topk.{dn}"
    if dt.is_floating_point:
        x = torch.randint(-4, 5, (3, 70), generator=gen).to(torch.float32)
        x[0, 5] = x[0, 40] = x[2, 7] = float("nan")
        x[1, 3] = float("inf")
        x = x.to(dt)
    else:
        x = make((3, 70), dt)
    put(f"{p}.x", x)
    for k, largest, srt in ((1, True, True), (1, False, True), (5, True, True),
                            (5, False, True), (5, True, False), (70, False, True)):
        v, i = torch.topk(x, k, dim=1, largest=largest, sorted=srt)
        case = f"k{k}_l{int(largest)}_s{int(srt)}"
        put(f"{p}.{case}.values", v)
        put(f"{p}.{case}.indices", i)
    v, i = torch.topk(x.t(), 2, dim=0)
    put(f"{p}.dim0.values", v)
    put(f"{p}.dim0.indices", i)

# Long accumulations in low precision: 4000 values into 8 (scatter_add) or
# 8 rows (index_add), rounding after every add as PyTorch does. Inputs come
# from integer formulas the test repeats: index i -> (i * 7919) % 8, value
# i -> ((i * 37) % 101 - 50) / 16 (exact in every float dtype).
n = torch.arange(4000)
acc_index = (n * 7919) % 8
acc_src = ((n * 37) % 101 - 50).to(torch.float64) / 16
for dn in ("float32", "float64", "float16", "bfloat16"):
    dt = DTYPES[dn]
    src = acc_src.to(dt)
    put(f"accum.{dn}.scatter_add.out", torch.zeros(8, dtype=dt).scatter_add(0, acc_index, src))
    src2 = torch.stack([src, -src, src * 2], 1)  # [4000, 3]
    put(f"accum.{dn}.index_add.out", torch.zeros(8, 3, dtype=dt).index_add(0, acc_index, src2))

# one_hot
x = torch.tensor([[0, 3], [1, 1]])
put("one_hot.int64.x", x)
put("one_hot.int64.infer.out", F.one_hot(x))
put("one_hot.int64.six.out", F.one_hot(x, 6))

# cat dtype promotion and the legacy empty rule
a = make((2, 3), torch.float32)
put("cat_promote.a", a)
put("cat_promote.mixed.out", torch.cat([a.long(), a.half(), a.bool()]))
put("cat_promote.bool_uint8.out", torch.cat([a.bool(), a.to(torch.uint8)]))
put("cat_promote.bf16_f16.out", torch.cat([a.bfloat16(), a.half()]))
put("cat_promote.skip_f64.out", torch.cat([torch.empty(0, dtype=torch.float64), a], 1))

# split / chunk pieces
x = torch.arange(14).view(7, 2)
for n, pieces in (("split3", torch.split(x, 3)),
                  ("split_sizes", torch.split(x, [1, 0, 6])),
                  ("chunk3", torch.chunk(x, 3)),
                  ("chunk5_dim1", torch.chunk(x, 5, 1)),
                  ("chunk4", torch.chunk(x[:6], 4))):
    put(f"split.{n}.count", torch.tensor(len(pieces)))
    for j, piece in enumerate(pieces):
        put(f"split.{n}.{j}", piece)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "index.safetensors")
save_file(out, path)
print(f"wrote {len(out)} tensors to {path} ({os.path.getsize(path)} bytes)")
