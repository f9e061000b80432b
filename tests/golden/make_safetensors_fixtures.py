#!/usr/bin/env python3
"""Writes the safetensors golden files used by torch/core/safetensors_test.cc.

The files are produced by the reference implementation (PyPI `safetensors`,
torch-free API) so that the C++ reader is checked against real output and the
C++ writer can be compared byte for byte with `reference.safetensors`.

Usage (from the repository root):
    pip install safetensors numpy
    python3 tests/golden/make_safetensors_fixtures.py

Outputs, in tests/golden/safetensors/:
    <case>.safetensors   one small file per case below (each < 4 KB)
    expected.json        for every file: its metadata and, per tensor, dtype,
                         shape and the row-major values (plus the raw 16-bit
                         patterns for F16 and BF16)

The output is deterministic except for `metadata.safetensors`, whose several
metadata keys the reference writes in hash order.
"""

import json
import os
import sys

import numpy as np
import safetensors
from safetensors import TensorSpec, deserialize, serialize
from safetensors.numpy import save

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "safetensors")

# numpy dtype -> safetensors name.
NAMES = {
    "float64": "F64",
    "float32": "F32",
    "float16": "F16",
    "int64": "I64",
    "int32": "I32",
    "int16": "I16",
    "int8": "I8",
    "uint64": "U64",
    "uint32": "U32",
    "uint16": "U16",
    "uint8": "U8",
    "bool": "BOOL",
}


class BF16:
    """A bfloat16 tensor: float32 values that bfloat16 holds exactly."""

    def __init__(self, values, shape):
        f32 = np.asarray(values, dtype=np.float32).reshape(shape)
        self.bits = (f32.view(np.uint32) >> 16).astype(np.uint16)
        assert np.array_equal(
            (self.bits.astype(np.uint32) << 16).view(np.float32), f32
        ), "values must be exact in bfloat16"
        self.values = f32


def describe(tensor):
    """The expected.json record of one tensor."""
    if isinstance(tensor, BF16):
        return {
            "dtype": "BF16",
            "shape": list(tensor.values.shape),
            "values": [float(v) for v in tensor.values.reshape(-1)],
            "bits": [int(b) for b in tensor.bits.reshape(-1)],
        }
    record = {
        "dtype": NAMES[tensor.dtype.name],
        "shape": list(tensor.shape),
        "values": tensor.reshape(-1).tolist(),
    }
    if tensor.dtype == np.float16:
        record["values"] = [float(v) for v in tensor.reshape(-1)]
        record["bits"] = [int(b) for b in tensor.view(np.uint16).reshape(-1)]
    return record


def serialize_tensors(tensors, metadata):
    """The reference's bytes for a dict of numpy arrays and BF16 tensors."""
    if not any(isinstance(t, BF16) for t in tensors.values()):
        return save(tensors, metadata=metadata)
    # safetensors.numpy cannot express bfloat16; use the raw TensorSpec API.
    keep_alive = []
    specs = {}
    for name, tensor in tensors.items():
        # (Not np.ascontiguousarray, which turns 0-d arrays into 1-d ones.)
        if isinstance(tensor, BF16):
            array, dtype = tensor.bits.copy(order="C"), "bfloat16"
        else:
            array, dtype = tensor.copy(order="C"), tensor.dtype.name
        keep_alive.append(array)
        specs[name] = TensorSpec(
            dtype=dtype,
            shape=list(array.shape),
            data_ptr=array.ctypes.data,
            data_len=array.nbytes,
        )
    return bytes(serialize(specs, metadata=metadata))


def f32_range(n, scale, offset):
    return np.arange(n, dtype=np.float32) * np.float32(scale) + np.float32(offset)


def cases():
    return {
        "f32": (
            {
                "weight": f32_range(12, 0.25, -1.0).reshape(3, 4),
                "bias": f32_range(4, -0.5, 0.0),
            },
            None,
        ),
        "f64": (
            {
                "x": np.array(
                    [3.141592653589793, -1e-300, 1e300, 0.1, -0.0, 2.0**-1074],
                    dtype=np.float64,
                ).reshape(2, 3)
            },
            None,
        ),
        "f16": (
            {
                "h": np.array(
                    [-2.0, -0.5, 0.0, 0.333251953125, 1.0, 65504.0, 2.0**-24, 1000.5],
                    dtype=np.float16,
                ).reshape(2, 2, 2)
            },
            None,
        ),
        "bf16": (
            {"b": BF16([1.0, -2.5, 3.140625, 0.0078125, -65536.0, 2.0**-130], [2, 3])},
            None,
        ),
        "i64": (
            {
                "n": np.array(
                    [-(2**63), -(2**62), -1, 0, 1, 2**53 + 1, 2**63 - 1],
                    dtype=np.int64,
                )
            },
            None,
        ),
        "i32": (
            {"m": (np.arange(-3, 3, dtype=np.int32) * 1000003).reshape(2, 3)},
            None,
        ),
        "u8": ({"pixels": np.arange(0, 256, 17, dtype=np.uint8).reshape(4, 4)}, None),
        "bool": ({"mask": np.array([True, False, True, True, False])}, None),
        "scalar": ({"s": np.array(3.5, dtype=np.float32)}, None),
        "empty": (
            {
                "empty_f32": np.zeros((2, 0), dtype=np.float32),
                "empty_i64": np.zeros((0,), dtype=np.int64),
                "one": np.array([7], dtype=np.uint8),
            },
            None,
        ),
        "metadata": (
            {"t": np.arange(3, dtype=np.int32)},
            {"format": "np", "author": "tch tests", "note": "\u00fcn\u00efcode \u2713"},
        ),
        # The C++ writer must reproduce this file byte for byte. At most one
        # metadata entry, since the reference orders several by hash.
        "reference": (
            {
                "z.f64": np.array([1.5, -2.25], dtype=np.float64),
                "i64": np.array([[1, -2], [3, -4]], dtype=np.int64),
                "b.f32": f32_range(3, 1.0, 0.5),
                "a.f32": f32_range(2, -1.0, 0.0),
                "scalar.f32": np.array(-7.0, dtype=np.float32),
                "empty.f32": np.zeros((0, 3), dtype=np.float32),
                "i32": np.array([5, -6, 7], dtype=np.int32),
                "u32": np.array([4000000000], dtype=np.uint32),
                "u64": np.array([2**64 - 1], dtype=np.uint64),
                "bf16": BF16([0.5, -1.0, 2.0], [3]),
                "f16": np.array([0.5, -3.0], dtype=np.float16),
                "i16": np.array([-32768, 32767, 1], dtype=np.int16),
                "u16": np.array([65535], dtype=np.uint16),
                "i8": np.array([-128, 127, 0], dtype=np.int8),
                "u8": np.array([1, 2, 3, 4, 5], dtype=np.uint8),
                "mask": np.array([True, False, True]),
                'we"ird\\na\tme\x01\u00e9': np.array([9], dtype=np.uint8),
            },
            {"format": "pt"},
        ),
    }


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    expected = {
        "generator": {
            "safetensors": safetensors.__version__,
            "numpy": np.__version__,
        }
    }
    for case, (tensors, metadata) in cases().items():
        data = serialize_tensors(tensors, metadata)
        assert len(data) < 4096, (case, len(data))
        path = os.path.join(OUT_DIR, case + ".safetensors")
        with open(path, "wb") as f:
            f.write(data)
        # The reference must read back what it wrote.
        with open(path, "rb") as f:
            loaded = dict(deserialize(f.read()))
        assert sorted(loaded) == sorted(tensors), case
        for name, tensor in tensors.items():
            record = describe(tensor)
            assert loaded[name]["dtype"] == record["dtype"], (case, name)
            assert list(loaded[name]["shape"]) == record["shape"], (case, name)
        expected[case + ".safetensors"] = {
            "metadata": metadata or {},
            "tensors": {name: describe(t) for name, t in tensors.items()},
        }
    with open(os.path.join(OUT_DIR, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(expected) - 1} files to {OUT_DIR}", file=sys.stderr)


if __name__ == "__main__":
    main()
