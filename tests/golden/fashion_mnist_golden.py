#!/usr/bin/python3
"""Golden values for torch/data/idx_test.cc, read from the real Fashion-MNIST
files of the Debian package dataset-fashion-mnist with numpy and gzip (an IDX
reader independent of tch's: fixed 16/8-byte headers, np.frombuffer).

For each split ("train", "test") it writes:
  <split>.labels8     int64 [8]      the first 8 labels
  <split>.pixel_sum0  int64 []       the sum of the 784 bytes of image 0
  <split>.image0      uint8 [28, 28] image 0 itself
  <split>.counts      int64 [10]     the label histogram

Run: /usr/bin/python3 tests/golden/fashion_mnist_golden.py  (writes
fashion_mnist.safetensors beside this script).
"""
import gzip
import os

import numpy as np
from safetensors.numpy import save_file

DIR = "/usr/share/datasets/fashion-mnist"


def read(name, header):
  with gzip.open(os.path.join(DIR, name), "rb") as f:
    return np.frombuffer(f.read(), dtype=np.uint8, offset=header)


out = {}
for split, prefix in (("train", "train"), ("test", "t10k")):
  labels = read(f"{prefix}-labels-idx1-ubyte.gz", 8)
  images = read(f"{prefix}-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
  assert len(labels) == len(images)
  out[f"{split}.labels8"] = labels[:8].astype(np.int64)
  out[f"{split}.pixel_sum0"] = np.array(images[0].astype(np.int64).sum())
  out[f"{split}.image0"] = np.ascontiguousarray(images[0])
  out[f"{split}.counts"] = np.bincount(labels, minlength=10).astype(np.int64)

save_file(out, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "fashion_mnist.safetensors"))
