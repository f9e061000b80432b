// File: torch/core/random_ops.h
//
// Random tensor ops: rand, randn, randint, randperm, bernoulli, the in-place
// samplers uniform_ and normal_, and dropout with its backward kernel. Every
// op draws from a `tch::Generator` (torch/core/generator.h), or from
// `DefaultCpuGenerator()` when given none.
//
// Example:
//   tch::Generator gen(/*seed=*/0);
//   tch::Tensor x = tch::randn({64, 128}, tch::DType::kFloat32, &gen);
//   tch::DropoutResult d = tch::dropout(x, /*p=*/0.1, /*training=*/true, &gen);
//   tch::Tensor dx = tch::dropout_backward(grad, d.mask, 0.1);
//   std::vector<uint8_t> state = gen.GetState();   // save ...
//   tch::Tensor a = tch::rand({3}, tch::DType::kFloat32, &gen);
//   gen.SetState(state);                            // ... and replay
//   tch::Tensor b = tch::rand({3}, tch::DType::kFloat32, &gen);  // b == a
//
// Note [Random streams]
// An op reserves a range of Philox blocks from its generator once, on the
// calling thread, then element `i` of its output (in row-major order of the
// output's logical shape, whatever its strides) is a pure function of
// (seed, first reserved block, i). Results are therefore bit-identical for
// any thread count, any chunking of the work and, because the mapping below
// is host/device code, on any device that implements it (a CUDA kernel must
// use the functions in the "Stream layout" section). Two layouts exist:
//
//   32-bit draws: element i uses word i % 4 of block start + i / 4. An op
//     reserves ceil(numel / 4) blocks. Used by float32/float16/bfloat16
//     uniform and normal, bernoulli, dropout, and randint with a range of at
//     most 2^16.
//   64-bit draws: element i uses words 2 (i % 2) (low half) and
//     2 (i % 2) + 1 (high half) of block start + i / 2. An op reserves
//     ceil(numel / 2) blocks. Used by float64 uniform and normal, randint
//     with a range above 2^16, and randperm.
//
// Normal values come in Box-Muller pairs: for floats, words (0, 1) of a block
// give elements 4k and 4k + 1 and words (2, 3) give 4k + 2 and 4k + 3; for
// doubles, the two 64-bit values of block k give elements 2k and 2k + 1.
// The integer draws, and every value computed from them by exact arithmetic
// (uniform, randint, bernoulli, dropout masks, randperm, float64 normals), are
// bit-identical everywhere. Float32/16 normals go through SIMD log/sin/cos on
// the CPU (Highway, chosen at run time) and agree with NormalFloatAt, and with
// another device, to a few ulps; on one machine they are still bit-identical
// for any thread count and chunking.
// Consecutive calls never share blocks, and `Generator::GetState` /
// `SetState` around a call replays it exactly. Ops that draw nothing (empty
// outputs, dropout with p == 0, p == 1 or training == false) reserve nothing.
#pragma once

#include <cmath>
#include <cstdint>

#include "torch/core/dtype.h"
#include "torch/core/elementwise.h"
#include "torch/core/generator.h"
#include "torch/core/philox.h"
#include "torch/core/tensor.h"

namespace tch {

// ---- Stream layout (host and device) -------------------------------------
// Reference definitions of Note [Random streams]. Kernels compute whole blocks
// at once but must produce exactly these values.

// The Philox key and first block one op draws from.
struct RandomStream {
  PhiloxKey key;
  uint64_t start_block;
};

// Blocks an op with `numel` elements reserves for 32-bit (`wide` false) or
// 64-bit (`wide` true) draws: ceil(numel / 4) or ceil(numel / 2).
TCH_HOST_DEVICE constexpr uint64_t RandomBlocksFor(int64_t numel, bool wide) {
  const uint64_t n = numel > 0 ? static_cast<uint64_t>(numel) : 0;
  return wide ? (n + 1) / 2 : (n + 3) / 4;
}

// Block `block_index` of the op's reservation; subsequence 0 unless an op
// documents a second stream (randperm's shuffles use subsequence 1).
TCH_HOST_DEVICE constexpr PhiloxBlock RandomBlockAt(const RandomStream& s,
                                                    uint64_t block_index,
                                                    uint64_t subsequence = 0) {
  return Philox4x32_10(
      PhiloxAdvance(PhiloxCounterFor(subsequence, s.start_block), block_index),
      s.key);
}

// Element i's 32-bit draw.
TCH_HOST_DEVICE constexpr uint32_t RandomUint32At(const RandomStream& s,
                                                  uint64_t i) {
  return RandomBlockAt(s, i / 4).x[i % 4];
}

// Element i's 64-bit draw.
TCH_HOST_DEVICE constexpr uint64_t RandomUint64At(const RandomStream& s,
                                                  uint64_t i,
                                                  uint64_t subsequence = 0) {
  const PhiloxBlock b = RandomBlockAt(s, i / 2, subsequence);
  const int w = static_cast<int>(i % 2) * 2;
  return WordsToUint64(b.x[w], b.x[w + 1]);
}

// A uniform value on [0, 1) with `digits` bits of resolution (24 for
// float32, 11 for float16, 8 for bfloat16: every result is exactly
// representable in the target type, so rounding never produces 1).
TCH_HOST_DEVICE constexpr float UniformFromUint32(uint32_t w, int digits) {
  return static_cast<float>(w >> (32 - digits)) *
         (1.0f / static_cast<float>(uint32_t{1} << digits));
}

// The number of mantissa digits used for uniform draws of `dtype` (float32:
// 24, float16: 11, bfloat16: 8, float64: 53).
constexpr int UniformDigits(DType dtype) {
  return dtype == DType::kFloat16    ? 11
         : dtype == DType::kBFloat16 ? 8
         : dtype == DType::kFloat64  ? 53
                                     : 24;
}

// Element i of a standard normal float stream (32-bit layout).
TCH_HOST_DEVICE inline float NormalFloatAt(const RandomStream& s, uint64_t i) {
  const PhiloxBlock b = RandomBlockAt(s, i / 4);
  const int pair = static_cast<int>(i % 4) / 2;
  const FloatPair z = BoxMullerFloat(b.x[2 * pair], b.x[2 * pair + 1]);
  return i % 2 == 0 ? z.first : z.second;
}

// Element i of a standard normal double stream (64-bit layout).
TCH_HOST_DEVICE inline double NormalDoubleAt(const RandomStream& s,
                                             uint64_t i) {
  const PhiloxBlock b = RandomBlockAt(s, i / 2);
  const DoublePair z = BoxMullerDouble(WordsToUint64(b.x[0], b.x[1]),
                                       WordsToUint64(b.x[2], b.x[3]));
  return i % 2 == 0 ? z.first : z.second;
}

// randint draws use 32-bit words for ranges up to this, 64-bit above.
inline constexpr uint64_t kRandintNarrowRange = uint64_t{1} << 16;

// The high 64 bits of a * b.
TCH_HOST_DEVICE inline uint64_t MulHi64(uint64_t a, uint64_t b) {
#if defined(__CUDA_ARCH__)
  return __umul64hi(a, b);
#else
  return static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) >> 64);
#endif
}

// Maps a draw to [0, range) by multiply-shift (Lemire, without rejection):
// floor(w * range / 2^32) for a 32-bit draw, floor(w * range / 2^64) for a
// 64-bit one. Each value's probability is within range / 2^32 (resp. 2^64)
// of 1 / range relative, i.e. at most 2^-16 for narrow ranges and 2^-32 for
// 64-bit draws of ranges up to 2^32.
TCH_HOST_DEVICE constexpr uint64_t BoundedFromUint32(uint32_t w,
                                                     uint64_t range) {
  return (static_cast<uint64_t>(w) * range) >> 32;
}
TCH_HOST_DEVICE inline uint64_t BoundedFromUint64(uint64_t w, uint64_t range) {
  return MulHi64(w, range);
}

// The Bernoulli rule: a 32-bit draw gives 1 with probability p when
// w < p * 2^32 (compared in double: p == 0 never, p == 1 always).
TCH_HOST_DEVICE constexpr bool BernoulliFromUint32(uint32_t w, double p) {
  return static_cast<double>(w) < p * 4294967296.0;
}

// The same rule as an integer compare for a fixed p in [0, 1]:
// BernoulliFromUint32(w, p) == (w < BernoulliThreshold(p)) for every w, since
// for an integer w, w < t exactly when w < ceil(t).
TCH_HOST_DEVICE inline uint64_t BernoulliThreshold(double p) {
  const double t = p * 4294967296.0;
  return t <= 0.0 ? 0 : static_cast<uint64_t>(std::ceil(t));
}

// randperm (see its comment below) puts element i in bucket
// RandpermBucketAt(i) and shuffles each bucket. The bucket count 2^K grows
// with n so that buckets average 2048 to 4096 elements (K = bit width of n
// minus 12), up to 64 buckets (K <= 6) so that the scatter into buckets
// streams through few cache lines; K is 0 (a plain Fisher-Yates shuffle) for
// n < 4096.
TCH_HOST_DEVICE constexpr int RandpermBucketBits(int64_t n) {
  int width = 0;
  for (uint64_t v = n > 0 ? static_cast<uint64_t>(n) : 0; v != 0; v >>= 1) {
    ++width;
  }
  return width <= 12 ? 0 : (width - 12 > 6 ? 6 : width - 12);
}

// Element i's bucket: the top `bits` bits of its 64-bit draw.
TCH_HOST_DEVICE constexpr uint64_t RandpermBucketAt(const RandomStream& s,
                                                    uint64_t i, int bits) {
  return bits == 0 ? 0 : RandomUint64At(s, i) >> (64 - bits);
}

// randperm's shuffle of the bucket at positions [begin, end) of `perm`:
// Fisher-Yates, for k = end - begin - 1 down to 1, swapping positions
// begin + k and begin + BoundedFromUint64(RandomUint64At(s, begin + k, 1),
// k + 1) (64-bit draws of Philox subsequence 1, indexed by position).
template <typename T>
TCH_HOST_DEVICE inline void RandpermShuffleRange(T* perm, int64_t begin,
                                                 int64_t end,
                                                 const RandomStream& s) {
  for (int64_t k = end - begin - 1; k >= 1; --k) {
    const int64_t j = static_cast<int64_t>(BoundedFromUint64(
        RandomUint64At(s, static_cast<uint64_t>(begin + k), 1),
        static_cast<uint64_t>(k + 1)));
    const T t = perm[begin + k];
    perm[begin + k] = perm[begin + j];
    perm[begin + j] = t;
  }
}

// ---- Kernel interface -------------------------------------------------

// What a random kernel gets: an elementwise plan (operand 0 is the output,
// written in the plan's row-major order, which is the element index of Note
// [Random streams]), the stream, and the op's parameters.
struct RandomPlan {
  ElementwisePlan iter;
  RandomStream stream{};
  // uniform: [a, b); normal: mean a, std b; bernoulli (scalar): p = a;
  // dropout: keep probability a = 1 - p, scale b = 1 / (1 - p);
  // dropout_backward: scale a.
  double a = 0.0;
  double b = 0.0;
  // randint: values low + [0, range).
  int64_t low = 0;
  uint64_t range = 0;
  // bernoulli (tensor p): the kernel sets *invalid_p to true when some p is
  // outside [0, 1] or NaN (core then throws); the output is then unspecified.
  bool* invalid_p = nullptr;
};

// Kernels registered as "uniform", "normal", "randint", "bernoulli_scalar"
// (operand 0 only), "bernoulli_tensor" (operand 1: p, same dtype), "dropout"
// (operand 1: bool mask written, operand 2: input) and "dropout_backward"
// (operand 1: grad, operand 2: bool mask; no stream), keyed by output dtype.
using RandomKernel = void(const RandomPlan& plan);

// randperm: writes a uniformly random permutation of [0, n) to `out`
// (contiguous, n elements of `dtype`). Registered as "randperm".
struct RandpermPlan {
  int64_t n = 0;
  RandomStream stream{};
  void* out = nullptr;
  DType dtype = DType::kInt64;
};
using RandpermKernel = void(const RandpermPlan& plan);

// ---- Ops ----------------------------------------------------------------
// `generator` may be null: the op then uses DefaultCpuGenerator(). All ops
// return new contiguous tensors on the CPU unless stated otherwise. Errors are
// tch::ValueError unless stated otherwise.

// Uniform samples on [0, 1). `dtype` must be floating (else ValueError:
// "rand: expected a floating-point dtype, got int64"); float16/bfloat16
// results are never 1 (see UniformFromUint32).
Tensor rand(IntList sizes, DType dtype = DType::kFloat32,
            Generator* generator = nullptr);
Tensor rand_like(const Tensor& input, Generator* generator = nullptr);

// Standard normal samples (Box-Muller); floating dtypes only.
Tensor randn(IntList sizes, DType dtype = DType::kFloat32,
             Generator* generator = nullptr);
Tensor randn_like(const Tensor& input, Generator* generator = nullptr);

// Integers uniform on [low, high) stored as `dtype` (any dtype; bool takes
// [0, 2)). Errors: low >= high ("random_ expects 'from' to be less than 'to',
// but got from=5 >= to=5"), bounds outside the dtype ("from is out of bounds
// for uint8", "to - 1 is out of bounds for uint8"; floating dtypes accept
// [-2^digits, 2^digits] so every integer is exact).
Tensor randint(int64_t low, int64_t high, IntList sizes,
               DType dtype = DType::kInt64, Generator* generator = nullptr);
Tensor randint(int64_t high, IntList sizes, DType dtype = DType::kInt64,
               Generator* generator = nullptr);

// A uniformly random permutation of [0, n) as a 1-D tensor of `dtype`
// (int64, int32 or floating; n - 1 must be exactly representable).
// Algorithm (defines the stream; a CUDA kernel must do the same): a random
// bucket sort. Element i goes to bucket RandpermBucketAt(i) (2^K buckets, see
// RandpermBucketBits); buckets are laid out in bucket order, elements within
// a bucket in increasing i; then each bucket is shuffled by
// RandpermShuffleRange. Iid uniform buckets followed by uniform shuffles give
// exactly uniform permutations, up to the n / 2^64 bias of the
// multiply-shift draws. Reserves ceil(n / 2) blocks; the shuffle draws use
// the same blocks of subsequence 1, which no other op touches.
// Errors: n < 0 ("randperm: n must be non-negative, got -1").
Tensor randperm(int64_t n, DType dtype = DType::kInt64,
                Generator* generator = nullptr);

// Samples 0/1 with per-element probability `p` (floating dtype); the result
// has p's shape and dtype. Errors: p not floating, or any p outside [0, 1]
// or NaN ("bernoulli: expected all probabilities p in [0, 1], got ...").
Tensor bernoulli(const Tensor& p, Generator* generator = nullptr);
// Samples 0/1 with probability `p` into a tensor shaped like `input`, with
// its dtype (any dtype). Errors: p outside [0, 1] ("bernoulli_ expects p to
// be in [0, 1], but got p=1.5").
Tensor bernoulli(const Tensor& input, double p, Generator* generator = nullptr);
// In place: fills `self` (any dtype, any strides) with Bernoulli(p) samples.
// Like every in-place sampler here, throws ValueError for a tensor whose
// elements share memory (an expanded, stride-0 dim): "bernoulli_: unsupported
// operation: more than one element of the written-to tensor refers to a
// single memory location".
Tensor& bernoulli_(Tensor& self, double p, Generator* generator = nullptr);

// In place: fills `self` (floating dtype, any strides) with samples uniform
// on [from, to). A value that rounds to `to` in self's dtype is replaced by
// `from` (as PyTorch's CUDA kernel does). Errors: from > to ("uniform_
// expects to return a [from, to) range, but found from=2 > to=1"), a
// non-finite or unrepresentable bound, non-floating dtype.
Tensor& uniform_(Tensor& self, double from = 0.0, double to = 1.0,
                 Generator* generator = nullptr);

// In place: fills `self` (floating dtype, any strides) with normal samples
// mean + std * z. Errors: std < 0 ("normal expects std >= 0.0, but found std
// -1"), non-finite mean/std, non-floating dtype.
Tensor& normal_(Tensor& self, double mean = 0.0, double std = 1.0,
                Generator* generator = nullptr);

// dropout: output = input * mask / (1 - p) (so NaN and Inf inputs give NaN
// even where dropped, as in PyTorch), with mask (bool, input's shape)
// true with probability 1 - p per element (the bernoulli rule on the element's
// 32-bit draw). When !training or p == 0, output is `input` itself (same
// tensor, no copy) and mask is all true; when p == 1, output is input * 0
// (zeros, NaN where input is NaN or Inf) and mask all false. Neither case draws
// from the generator. `input` must be floating. Errors: p outside [0, 1]
// ("dropout probability has to be between 0 and 1, but got 1.5").
struct DropoutResult {
  Tensor output;
  Tensor mask;
};
DropoutResult dropout(const Tensor& input, double p, bool training,
                      Generator* generator = nullptr);

// The gradient of dropout: grad * mask / (1 - p) (grad * 0 when p == 1), with
// grad's dtype and the broadcast shape of grad and mask (mask must be bool).
Tensor dropout_backward(const Tensor& grad, const Tensor& mask, double p);

}  // namespace tch
