#!/usr/bin/env python3
"""Writes tests/golden/serialize.safetensors with PyTorch 1.13 + safetensors.

Every tch dtype, as torch itself lays it out: `<dtype>` holds
torch.arange(24).reshape(2, 3, 4) converted to that dtype (bool: x % 3 == 0),
`scalar_f64` a 0-d tensor, `empty_f32` a [0, 5] tensor, and `transposed_f32`
is saved from a non-contiguous view (safetensors stores it densely).
The __metadata__ map carries {"producer": "torch <version>"}.

Run: /usr/bin/python3 tests/golden/serialize_golden.py
"""
import os

import torch
from safetensors.torch import save_file

base = torch.arange(24).reshape(2, 3, 4)
tensors = {
    "float32": base.to(torch.float32),
    "float64": base.to(torch.float64),
    "float16": (base.to(torch.float32) / 8).to(torch.float16),
    "bfloat16": (base.to(torch.float32) / 8).to(torch.bfloat16),
    "int64": base.to(torch.int64) - 12,
    "int32": base.to(torch.int32) - 12,
    "uint8": base.to(torch.uint8) * 10,
    "bool": base % 3 == 0,
    "scalar_f64": torch.tensor(3.25, dtype=torch.float64),
    "empty_f32": torch.zeros(0, 5),
    "transposed_f32": base.to(torch.float32)[0].t().contiguous(),
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "serialize.safetensors")
save_file(tensors, out, metadata={"producer": "torch " + torch.__version__.split("a")[0]})
print("wrote", out)
