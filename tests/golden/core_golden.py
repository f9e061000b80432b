#!/usr/bin/env python3
"""Writes tests/golden/core.safetensors with PyTorch 1.13: view geometry and repr.

For each case, metadata "repr.<case>" holds repr(tensor) as PyTorch prints it,
"sizes.<case>"/"strides.<case>"/"offset.<case>" the geometry of a view, and the
tensor "<case>" its values (made contiguous). The C++ test rebuilds the same
tensors with tch and compares.

Run: /usr/bin/python3 tests/golden/core_golden.py
"""
import os

import torch
from safetensors.torch import save_file

torch.set_printoptions(profile="default")
a = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)
views = {
    "transpose": a.transpose(0, 2),
    "permute": a.permute(2, 0, 1),
    "slice_step": a[:, 1:, ::2],
    "select": a[1, :, 2],
    "expand": a[:, :1, :].expand(2, 5, 4),
    "unsqueeze": a.unsqueeze(1),
    "diagonal": a.diagonal(offset=1, dim1=1, dim2=2),
    "flatten": a.flatten(1),
    "narrow": a.narrow(2, 1, 2),
    "unflatten": a.flatten().unflatten(0, (4, 6)),
}
reprs = {
    "f32_matrix": torch.arange(6, dtype=torch.float32).reshape(2, 3),
    "f32_fraction": torch.tensor([0.5, 1.25, -3.0]),
    "f32_sci": torch.tensor([1e-5, 1.0, 1e5]),
    "f64": torch.ones(2, dtype=torch.float64),
    "i64": torch.arange(3),
    "i32_3d": torch.arange(8, dtype=torch.int32).reshape(2, 2, 2),
    "bool": torch.tensor([True, False]),
    "scalar": torch.tensor(2.5),
    "empty": torch.zeros(0),
    "big": torch.arange(2000, dtype=torch.float32),
    "nan_inf": torch.tensor([float("nan"), float("inf"), -float("inf"), 1.0]),
    "u8": torch.tensor([1, 2, 255], dtype=torch.uint8),
}
creation = {
    "linspace_f32": torch.linspace(-1.0, 2.0, 7),
    "linspace_f64": torch.linspace(0.1, 0.9, 10, dtype=torch.float64),
    "linspace_i64": torch.linspace(0, 10, 4, dtype=torch.int64),
    "linspace_one": torch.linspace(3.0, 5.0, 1),
    "eye_3": torch.eye(3),
    "eye_2x4_i32": torch.eye(2, 4, dtype=torch.int32),
}
tensors, metadata = {}, {}
for name, t in creation.items():
    tensors["create." + name] = t.clone()
for name, v in views.items():
    tensors["view." + name] = v.clone().contiguous()
    metadata["sizes." + name] = ",".join(map(str, v.shape))
    metadata["strides." + name] = ",".join(map(str, v.stride()))
    metadata["offset." + name] = str(v.storage_offset())
for name, t in reprs.items():
    tensors["repr." + name] = t.clone()
    metadata["repr." + name] = repr(t)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "core.safetensors")
save_file(tensors, out, metadata=metadata)
print("wrote", out)
