#!/usr/bin/python3
"""Writes tests/golden/linalg.safetensors: inputs and PyTorch 1.13 outputs of
matmul, mm, bmm, addmm, baddbmm, dot and outer (torch/core/linalg_ops_test.cc).

Run from the repository root: /usr/bin/python3 tests/golden/linalg_golden.py

Inputs are stored contiguous; where a case tests a strided view, the name
says which view the test takes (the test applies the same view):
  "<case>.a_base" -> view described in the test and in the comment here.
Tensor names: "<case>.<input>" and "<case>.out". float16 matmul does not
exist on PyTorch 1.13's CPU, so its reference is computed in float32 and
rounded once (what tch promises); bfloat16 uses PyTorch's own kernel.
"""
import torch
from safetensors.torch import save_file

torch.manual_seed(1234)
T = {}

DTYPES = {
    "f32": torch.float32, "f64": torch.float64, "f16": torch.float16,
    "bf16": torch.bfloat16, "i64": torch.int64, "i32": torch.int32,
    "u8": torch.uint8,
}


def rand(shape, dt):
    if dt == torch.uint8:
        return torch.randint(0, 256, shape, dtype=dt)  # products wrap mod 256
    if not dt.is_floating_point:
        return torch.randint(-9, 10, shape, dtype=dt)
    return torch.randn(shape, dtype=torch.float32).to(dt)


def ref(fn, *args):
    """Runs fn in PyTorch; float16 goes through float32 (see docstring)."""
    if args[0].dtype == torch.float16:
        return fn(*[a.float() for a in args]).half()
    return fn(*args)


for name, dt in DTYPES.items():
    a, b = rand((5, 7), dt), rand((7, 3), dt)
    T[f"mm_{name}.a"], T[f"mm_{name}.b"] = a, b
    T[f"mm_{name}.out"] = ref(torch.mm, a, b)

    a, b = rand((2, 1, 3, 4), dt), rand((5, 4, 2), dt)
    T[f"matmul_bcast_{name}.a"], T[f"matmul_bcast_{name}.b"] = a, b
    T[f"matmul_bcast_{name}.out"] = ref(torch.matmul, a, b)

    s, b1, b2 = rand((1, 4), dt), rand((3, 2, 5), dt), rand((3, 5, 4), dt)
    T[f"baddbmm_{name}.self"], T[f"baddbmm_{name}.b1"], T[f"baddbmm_{name}.b2"] = s, b1, b2
    if dt.is_floating_point:  # beta=0.5, alpha=1.5
        T[f"baddbmm_{name}.out"] = ref(lambda s, x, y: torch.baddbmm(s, x, y, beta=0.5, alpha=1.5), s, b1, b2)
    else:  # beta=2, alpha=3
        T[f"baddbmm_{name}.out"] = torch.baddbmm(s, b1, b2, beta=2, alpha=3)

    s, m1, m2 = rand((3,), dt), rand((4, 6), dt), rand((6, 3), dt)
    T[f"addmm_{name}.self"], T[f"addmm_{name}.m1"], T[f"addmm_{name}.m2"] = s, m1, m2
    T[f"addmm_{name}.out"] = ref(lambda s, x, y: torch.addmm(s, x, y, beta=2, alpha=3), s, m1, m2)

    a, b = rand((10,), dt), rand((10,), dt)
    T[f"dot_{name}.a"], T[f"dot_{name}.b"] = a, b
    T[f"dot_{name}.out"] = ref(torch.dot, a, b)

    m, v, w = rand((4, 6), dt), rand((6,), dt), rand((4,), dt)
    T[f"mv_{name}.m"], T[f"mv_{name}.v"], T[f"mv_{name}.w"] = m, v, w
    T[f"mv_{name}.mv"] = ref(torch.matmul, m, v)     # [4, 6] @ [6]
    T[f"mv_{name}.vm"] = ref(torch.matmul, w, m)     # [4] @ [4, 6]

    b1, b2 = rand((8, 4, 5), dt), rand((8, 5, 3), dt)  # batch-parallel path
    T[f"bmm16_{name}.b1"], T[f"bmm16_{name}.b2"] = b1, b2
    T[f"bmm16_{name}.out"] = ref(torch.bmm, b1, b2)

f = torch.float32
# Strided views (float32 through BLAS flags or copies; int32 through the loop).
for name, dt in [("f32", f), ("f64", torch.float64), ("i32", torch.int32), ("bf16", torch.bfloat16)]:
    a_base, b_base = rand((7, 5), dt), rand((3, 7), dt)  # a = a_base.t(), b = b_base.t()
    T[f"mm_t_{name}.a_base"], T[f"mm_t_{name}.b_base"] = a_base, b_base
    T[f"mm_t_{name}.out"] = ref(torch.mm, a_base.t(), b_base.t())
    # a = a_base[::2, ::2] (5x7, strides 28, 2); b = b_base[:, ::2] (7x3)
    a_base, b_base = rand((10, 14), dt), rand((7, 6), dt)
    T[f"mm_slice_{name}.a_base"], T[f"mm_slice_{name}.b_base"] = a_base, b_base
    T[f"mm_slice_{name}.out"] = ref(torch.mm, a_base[::2, ::2], b_base[:, ::2])
    # a = a_base.expand(5, 7); b = b_base.expand(7, 3) (stride 0)
    a_base, b_base = rand((1, 7), dt), rand((7, 1), dt)
    T[f"mm_expand_{name}.a_base"], T[f"mm_expand_{name}.b_base"] = a_base, b_base
    T[f"mm_expand_{name}.out"] = ref(torch.mm, a_base.expand(5, 7), b_base.expand(7, 3))
    # b1 = b1_base.transpose(1, 2); b2 = b2_base.transpose(1, 2)
    b1, b2 = rand((3, 5, 2), dt), rand((3, 4, 5), dt)
    T[f"bmm_t_{name}.b1_base"], T[f"bmm_t_{name}.b2_base"] = b1, b2
    T[f"bmm_t_{name}.out"] = ref(torch.bmm, b1.transpose(1, 2), b2.transpose(1, 2))
    # a = a_base.transpose(0, 1) ([2, 3, 4], batch not foldable) @ b [4, 5]
    a_base, b = rand((3, 2, 4), dt), rand((4, 5), dt)
    T[f"matmul_tfold_{name}.a_base"], T[f"matmul_tfold_{name}.b"] = a_base, b
    T[f"matmul_tfold_{name}.out"] = ref(torch.matmul, a_base.transpose(0, 1), b)
    # dot of strided vectors: a = a_base[::3], b = b_base[:, 1] (b_base [8, 2])
    a_base, b_base = rand((24,), dt), rand((8, 2), dt)
    T[f"dot_strided_{name}.a_base"], T[f"dot_strided_{name}.b_base"] = a_base, b_base
    T[f"dot_strided_{name}.out"] = ref(torch.dot, a_base[::3], b_base[:, 1])

# Every matmul rank combination (float32).
for an, bn in [((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((2, 3, 4), (4,)),
               ((4,), (2, 4, 5)), ((2, 3, 4), (2, 4, 5)), ((3, 1, 2, 4), (1, 2, 4, 3)),
               ((1, 3, 4), (2, 4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,))]:
    case = "matmul_" + "x".join(map(str, an)) + "_" + "x".join(map(str, bn))
    a, b = rand(an, f), rand(bn, f)
    T[f"{case}.a"], T[f"{case}.b"] = a, b
    T[f"{case}.out"] = torch.matmul(a, b)

# Accuracy: a longer contraction in float32 and float64.
for name, dt in [("f32", f), ("f64", torch.float64)]:
    a, b = rand((8, 256), dt), rand((256, 8), dt)
    T[f"mm_big_{name}.a"], T[f"mm_big_{name}.b"] = a, b
    T[f"mm_big_{name}.out"] = torch.mm(a, b)

# Integer overflow wraps.
for name, dt in [("i32", torch.int32), ("i64", torch.int64)]:
    info = torch.iinfo(dt)
    a = torch.randint(info.min, info.max, (3, 4), dtype=dt)
    b = torch.randint(info.min, info.max, (4, 2), dtype=dt)
    T[f"mm_wrap_{name}.a"], T[f"mm_wrap_{name}.b"] = a, b
    T[f"mm_wrap_{name}.out"] = torch.mm(a, b)

# beta = 0 ignores NaN in self; NaN/Inf in inputs propagate.
s = torch.full((4, 3), float("nan"))
m1, m2 = rand((4, 5), f), rand((5, 3), f)
T["addmm_beta0.self"], T["addmm_beta0.m1"], T["addmm_beta0.m2"] = s, m1, m2
T["addmm_beta0.out"] = torch.addmm(s, m1, m2, beta=0, alpha=2)
a, b = rand((3, 4), f), rand((4, 3), f)
a[0, 1] = float("nan")
a[2, 2] = float("inf")
T["mm_nan.a"], T["mm_nan.b"] = a, b
T["mm_nan.out"] = torch.mm(a, b)

# Zero-size dims.
s = rand((2, 3), f)
T["addmm_k0.self"] = s
T["addmm_k0.out"] = torch.addmm(s, torch.ones(2, 0), torch.ones(0, 3), beta=3)
T["addmm_k0_beta0.out"] = torch.addmm(torch.full((2, 3), float("nan")), torch.ones(2, 0), torch.ones(0, 3), beta=0)
T["mm_k0_i64.out"] = torch.mm(torch.ones(2, 0, dtype=torch.int64), torch.ones(0, 3, dtype=torch.int64))

# outer: promotion as in mul.
a, b = rand((3,), f), rand((4,), f)
T["outer_f32.a"], T["outer_f32.b"], T["outer_f32.out"] = a, b, torch.outer(a, b)
ai = rand((3,), torch.int64)
T["outer_mixed.a"], T["outer_mixed.out"] = ai, torch.outer(ai, b)
ab, bb = torch.tensor([True, False, True]), torch.tensor([True, True, False, False])
T["outer_bool.a"], T["outer_bool.b"], T["outer_bool.out"] = ab, bb, torch.outer(ab, bb)

# mm called from inside a ParallelFor (nested BLAS): two independent products.
for i in range(2):
    a, b = rand((40, 36), f), rand((36, 32), f)
    T[f"nested{i}.a"], T[f"nested{i}.b"], T[f"nested{i}.out"] = a, b, torch.mm(a, b)

T = {k: v.contiguous() for k, v in T.items()}
save_file(T, "tests/golden/linalg.safetensors")
print(len(T), "tensors")
