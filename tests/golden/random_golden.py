#!/usr/bin/python3
"""Golden values for torch/core/random_ops_test.cc.

Two kinds of reference:
  * The stream definition of Note [Random streams] (torch/core/random_ops.h),
    recomputed here from scratch with an independent numpy Philox4x32-10
    (checked against the Random123 known-answer vectors below) and Python
    integer arithmetic. A tch kernel that draws any element from the wrong
    counter, word or conversion disagrees with these values; so would a CUDA
    kernel, which must match them too.
  * PyTorch 1.13 for the deterministic arithmetic around the draws (dropout's
    output from its mask, dropout_backward).

Run: /usr/bin/python3 tests/golden/random_golden.py  (writes random.safetensors
beside this script).
"""
import os

import numpy as np
import torch
from safetensors.torch import save_file

M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK32 = 0xFFFFFFFF


def philox(c0, c1, c2, c3, k0, k1):
  """Philox4x32-10 on numpy uint64 arrays holding 32-bit words."""
  c = [np.asarray(x, dtype=np.uint64) for x in (c0, c1, c2, c3)]
  k0, k1 = np.uint64(k0), np.uint64(k1)
  for r in range(10):
    if r > 0:
      k0 = np.uint64((int(k0) + W0) & MASK32)
      k1 = np.uint64((int(k1) + W1) & MASK32)
    p0 = np.uint64(M0) * c[0]
    p1 = np.uint64(M1) * c[2]
    c = [(p1 >> np.uint64(32)) ^ c[1] ^ k0, p1 & np.uint64(MASK32),
         (p0 >> np.uint64(32)) ^ c[3] ^ k1, p0 & np.uint64(MASK32)]
  return c


def check_known_answers():
  cases = [
      ((0, 0, 0, 0), (0, 0), (0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8)),
      ((MASK32,) * 4, (MASK32, MASK32),
       (0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd)),
      ((0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344),
       (0xa4093822, 0x299f31d0),
       (0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1)),
  ]
  for ctr, key, want in cases:
    got = philox(*[[x] for x in ctr], *key)
    assert tuple(int(g[0]) for g in got) == want, (ctr, key, got)


def words(seed, start_block, n_words, subsequence=0):
  """W[0 .. n_words): word j % 4 of block start_block + j / 4."""
  n_blocks = (n_words + 3) // 4
  b = np.arange(n_blocks, dtype=np.uint64) + np.uint64(start_block)
  c = philox(b & np.uint64(MASK32), b >> np.uint64(32),
             np.full(n_blocks, subsequence & MASK32, np.uint64),
             np.full(n_blocks, subsequence >> 32, np.uint64),
             seed & MASK32, seed >> 32)
  out = np.stack(c, axis=1).reshape(-1)[:n_words]
  return [int(x) for x in out]


def words64(seed, start_block, n, subsequence=0):
  w = words(seed, start_block, 2 * n, subsequence)
  return [w[2 * i] | (w[2 * i + 1] << 32) for i in range(n)]


class Stream:
  """Mirrors a tch::Generator: hands out block ranges."""

  def __init__(self, seed, offset):
    self.seed, self.offset = seed, offset

  def reserve(self, numel, wide):
    start = self.offset
    self.offset += (numel + 1) // 2 if wide else (numel + 3) // 4
    return start


def box_muller(a, b, bits):
  """Box-Muller in float64 from two draws of `bits` bits (24 or 53)."""
  shift = 32 - bits if bits == 24 else 64 - bits
  u1 = ((a >> shift) + 1) * 2.0**-bits
  u2 = (b >> shift) * 2.0**-bits
  r = np.sqrt(-2.0 * np.log(u1))
  return r * np.cos(2 * np.pi * u2), r * np.sin(2 * np.pi * u2)


def randperm_reference(seed, start, n):
  """The random bucket sort of tch::randperm, from its documentation."""
  width = n.bit_length()
  k_bits = 0 if width <= 12 else min(width - 12, 6)
  r = words64(seed, start, n)
  bucket = [(x >> (64 - k_bits)) if k_bits else 0 for x in r]
  perm = sorted(range(n), key=lambda i: (bucket[i], i))
  draws = words64(seed, start, n, subsequence=1)
  s = 0
  while s < n:
    e = s + 1
    while e < n and bucket[perm[e]] == bucket[perm[s]]:
      e += 1
    for k in range(e - s - 1, 0, -1):
      j = (draws[s + k] * (k + 1)) >> 64
      perm[s + k], perm[s + j] = perm[s + j], perm[s + k]
    s = e
  return perm


def main():
  check_known_answers()
  out = {}
  seed, offset = 0x5EED_1234_ABCD_0001, 7
  out["params.seed"] = torch.tensor(seed - 2**64 if seed >= 2**63 else seed)
  out["params.offset"] = torch.tensor(offset)
  g = Stream(seed, offset)

  # The test makes these calls in this order on one generator.
  # 1. rand float32 [3, 50]
  n = 150
  w = words(seed, g.reserve(n, False), n)
  out["rand_f32.out"] = torch.tensor(
      [(x >> 8) * 2.0**-24 for x in w], dtype=torch.float32).view(3, 50)
  # 2. rand float64 [41]
  n = 41
  w = words64(seed, g.reserve(n, True), n)
  out["rand_f64.out"] = torch.tensor([(x >> 11) * 2.0**-53 for x in w],
                                     dtype=torch.float64)
  # 3. rand float16 [37] and 4. rand bfloat16 [37]: exact grids.
  n = 37
  w = words(seed, g.reserve(n, False), n)
  out["rand_f16.out"] = torch.tensor([(x >> 21) * 2.0**-11 for x in w],
                                     dtype=torch.float16)
  w = words(seed, g.reserve(n, False), n)
  out["rand_bf16.out"] = torch.tensor([(x >> 24) * 2.0**-8 for x in w],
                                      dtype=torch.bfloat16)
  # 5. uniform_(-2, 3) float32 [64], computed in float32.
  n = 64
  w = words(seed, g.reserve(n, False), n)
  u = np.array([(x >> 8) * 2.0**-24 for x in w], dtype=np.float32)
  v = u * np.float32(5.0) + np.float32(-2.0)
  v = np.where(v < np.float32(3.0), v, np.float32(-2.0))
  out["uniform_f32.out"] = torch.from_numpy(v.astype(np.float32))
  # 6. randn float32 [2, 33] (float64 reference; compare with tolerance).
  n = 66
  w = words(seed, g.reserve(n, False), n)
  z = []
  for k in range(0, n, 2):
    z.extend(box_muller(w[k], w[k + 1], 24))
  out["randn_f32.out"] = torch.tensor(z[:n], dtype=torch.float64).view(2, 33)
  # 7. randn float64 [9] (odd: the last pair is half used).
  n = 9
  w = words64(seed, g.reserve(n, True), n + 1)
  z = []
  for k in range(0, n, 2):
    z.extend(box_muller(w[k], w[k + 1], 53))
  out["randn_f64.out"] = torch.tensor(z[:n], dtype=torch.float64)
  # 8. randint(-5, 7, [100]) int64: narrow range, 32-bit draws.
  n = 100
  w = words(seed, g.reserve(n, False), n)
  out["randint_narrow.out"] = torch.tensor([-5 + ((x * 12) >> 32) for x in w])
  # 9. randint(-10^12, 10^12 + 3, [50]) int64: wide range, 64-bit draws.
  n, lo, hi = 50, -10**12, 10**12 + 3
  w = words64(seed, g.reserve(n, True), n)
  out["randint_wide.out"] = torch.tensor([lo + ((x * (hi - lo)) >> 64)
                                          for x in w])
  # 10. bernoulli(p) float32 [80] with p from a fixed PyTorch draw.
  torch.manual_seed(0)
  p = torch.rand(80, dtype=torch.float32)
  p[0], p[1] = 0.0, 1.0
  out["bernoulli.p"] = p
  n = 80
  w = words(seed, g.reserve(n, False), n)
  out["bernoulli.out"] = torch.tensor(
      [1.0 if x < float(pi) * 2.0**32 else 0.0 for x, pi in zip(w, p.tolist())],
      dtype=torch.float32)
  # 11. randperm(10) (one bucket) and 12. randperm(5000) (two buckets).
  for n in (10, 5000):
    out[f"randperm_{n}.out"] = torch.tensor(
        randperm_reference(seed, g.reserve(n, True), n))
  # 13. dropout(x, 0.3, training) float32 [4, 25]; x from a fixed draw.
  x = torch.randn(4, 25, dtype=torch.float32)
  n = 100
  w = words(seed, g.reserve(n, False), n)
  mask = torch.tensor([v < 0.7 * 2.0**32 for v in w]).view(4, 25)
  # NaN and infinities propagate like PyTorch's x * mask * scale: NaN even
  # where dropped, since inf * 0 and NaN * 0 are NaN.
  specials = torch.tensor([float("nan"), float("inf"), -float("inf")])
  flat = x.view(-1)
  flat[mask.view(-1).nonzero()[:3, 0]] = specials
  flat[(~mask).view(-1).nonzero()[:3, 0]] = specials
  out["dropout.x"] = x
  out["dropout.mask"] = mask
  out["dropout.out"] = torch.ops.aten.native_dropout_backward(
      x, mask, 1.0 / (1.0 - 0.3))
  out["params.final_offset"] = torch.tensor(g.offset)

  # dropout_backward (PyTorch only), every floating dtype.
  gm = torch.rand(5, 7) < 0.6
  out["dropout_backward.mask"] = gm
  for name, dt in (("f32", torch.float32), ("f64", torch.float64),
                   ("f16", torch.float16), ("bf16", torch.bfloat16)):
    grad = torch.randn(5, 7).to(dt)
    grad[0, :3] = torch.tensor([float("nan"), float("inf"), -float("inf")])
    grad[1, :3] = torch.tensor([float("nan"), float("inf"), -float("inf")])
    out[f"dropout_backward_{name}.grad"] = grad
    out[f"dropout_backward_{name}.out"] = (
        torch.ops.aten.native_dropout_backward(grad, gm, 1.0 / (1.0 - 0.4)))

  path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "random.safetensors")
  save_file({k: v.contiguous() for k, v in out.items()}, path)
  print(f"wrote {path}: {len(out)} tensors")


if __name__ == "__main__":
  main()
