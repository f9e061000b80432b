// File: torch/kernels/cpu/pool_simd-inl.h
//
// Per-target float32 kernels of 2x2 / stride 2 max pooling (no padding or
// dilation), the CNN's pooling; nn_kernels.cc includes this file once per
// Highway target (hwy/foreach_target.h) and calls them through
// HWY_DYNAMIC_DISPATCH. Branch-free: the scalar kernels' compare-and-branch
// per candidate mispredicts about half the time on real activations, which
// made them several times slower than the memory traffic.
//   MaxPool2x2Plane: one plane's values and int64 indices, PyTorch's rule
//     (scan order (0,0), (0,1), (1,0), (1,1); a candidate wins if greater or
//     NaN, so ties keep the first and the last NaN wins).
//   MaxPool2x2BackwardPlane: one plane's grad_input written in full (each
//     input of a window gets its grad_output or 0, inputs outside every
//     window 0), without a zero fill and scatter; false when an index lies
//     outside its own window (the caller then scatters).
// Both return false on targets without AVX-512 (the caller runs its scalar
// loops). Neither throws. Example (nn_kernels.cc):
//   if (!HWY_DYNAMIC_DISPATCH(MaxPool2x2Plane)(src, h, w, oh, ow, dst, idx))
//     ...scalar...

#if defined(TCH_KERNELS_CPU_POOL_SIMD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TCH_KERNELS_CPU_POOL_SIMD_INL_H_
#undef TCH_KERNELS_CPU_POOL_SIMD_INL_H_
#else
#define TCH_KERNELS_CPU_POOL_SIMD_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tch::cpu::HWY_NAMESPACE {

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3

// Lanes [0, n) of a 16-lane mask.
HWY_INLINE __mmask16 Lanes16(int64_t n) {
  return static_cast<__mmask16>(n >= 16 ? 0xFFFFu : (1u << n) - 1u);
}
HWY_INLINE __mmask8 Lanes8(int64_t n) {
  return static_cast<__mmask8>(n >= 8 ? 0xFFu : n <= 0 ? 0u : (1u << n) - 1u);
}

bool MaxPool2x2Plane(const float* in, int64_t in_h, int64_t in_w, int64_t out_h,
                     int64_t out_w, float* out, int64_t* idx) {
  (void)in_h;
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20,
                                         22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i two_iota = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
                                             20, 22, 24, 26, 28, 30);
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i below = _mm512_set1_epi32(static_cast<int32_t>(in_w));
  const __m512i below_right = _mm512_set1_epi32(static_cast<int32_t>(in_w + 1));
  for (int64_t oh = 0; oh < out_h; ++oh) {
    const float* r0 = in + 2 * oh * in_w;
    const float* r1 = r0 + in_w;
    for (int64_t ow = 0; ow < out_w; ow += 16) {
      const int64_t n = out_w - ow < 16 ? out_w - ow : 16;
      const __mmask16 lo = Lanes16(2 * n),
                      hi = Lanes16(2 * n - 16 > 0 ? 2 * n - 16 : 0);
      const __m512 a0 = _mm512_maskz_loadu_ps(lo, r0 + 2 * ow);
      const __m512 a1 = _mm512_maskz_loadu_ps(hi, r0 + 2 * ow + 16);
      const __m512 b0 = _mm512_maskz_loadu_ps(lo, r1 + 2 * ow);
      const __m512 b1 = _mm512_maskz_loadu_ps(hi, r1 + 2 * ow + 16);
      const __m512 c0 = _mm512_permutex2var_ps(a0, even, a1);
      const __m512 c1 = _mm512_permutex2var_ps(a0, odd, a1);
      const __m512 c2 = _mm512_permutex2var_ps(b0, even, b1);
      const __m512 c3 = _mm512_permutex2var_ps(b0, odd, b1);
      // best = c0; each later candidate wins if greater or NaN.
      __m512 best = c0;
      __m512i code = _mm512_setzero_si512();
      __mmask16 t = _mm512_cmp_ps_mask(c1, best, _CMP_GT_OQ) |
                    _mm512_cmp_ps_mask(c1, c1, _CMP_UNORD_Q);
      best = _mm512_mask_mov_ps(best, t, c1);
      code = _mm512_mask_mov_epi32(code, t, one);
      t = _mm512_cmp_ps_mask(c2, best, _CMP_GT_OQ) |
          _mm512_cmp_ps_mask(c2, c2, _CMP_UNORD_Q);
      best = _mm512_mask_mov_ps(best, t, c2);
      code = _mm512_mask_mov_epi32(code, t, below);
      t = _mm512_cmp_ps_mask(c3, best, _CMP_GT_OQ) |
          _mm512_cmp_ps_mask(c3, c3, _CMP_UNORD_Q);
      best = _mm512_mask_mov_ps(best, t, c3);
      code = _mm512_mask_mov_epi32(code, t, below_right);
      _mm512_mask_storeu_ps(out + oh * out_w + ow, Lanes16(n), best);
      const __m512i index = _mm512_add_epi32(
          _mm512_add_epi32(
              _mm512_set1_epi32(static_cast<int32_t>(2 * oh * in_w + 2 * ow)),
              two_iota),
          code);
      int64_t* dst = idx + oh * out_w + ow;
      _mm512_mask_storeu_epi64(
          dst, Lanes8(n), _mm512_cvtepi32_epi64(_mm512_castsi512_si256(index)));
      _mm512_mask_storeu_epi64(
          dst + 8, Lanes8(n - 8),
          _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(index, 1)));
    }
  }
  return true;
}

bool MaxPool2x2BackwardPlane(const float* gout, const int64_t* idx,
                             int64_t in_h, int64_t in_w, int64_t out_h,
                             int64_t out_w, float* gin) {
  // Interleaves of two 16-lane vectors: lanes 0..15 and 16..31 of
  // a0 b0 a1 b1 ...
  const __m512i zip_lo =
      _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i zip_hi = _mm512_add_epi32(zip_lo, _mm512_set1_epi32(8));
  const __m512i two_iota = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
                                             20, 22, 24, 26, 28, 30);
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i below = _mm512_set1_epi32(static_cast<int32_t>(in_w));
  const __m512i below_right = _mm512_set1_epi32(static_cast<int32_t>(in_w + 1));
  for (int64_t oh = 0; oh < out_h; ++oh) {
    float* r0 = gin + 2 * oh * in_w;
    float* r1 = r0 + in_w;
    for (int64_t ow = 0; ow < out_w; ow += 16) {
      const int64_t n = out_w - ow < 16 ? out_w - ow : 16;
      const __mmask16 valid = Lanes16(n);
      const __m512 g = _mm512_maskz_loadu_ps(valid, gout + oh * out_w + ow);
      const int64_t* ix = idx + oh * out_w + ow;
      const __m512i w0 = _mm512_maskz_loadu_epi64(Lanes8(n), ix);
      const __m512i w1 = _mm512_maskz_loadu_epi64(Lanes8(n - 8), ix + 8);
      const __m256i i0 = _mm512_cvtepi64_epi32(w0);
      const __m256i i1 = _mm512_cvtepi64_epi32(w1);
      // Indices must survive the narrowing to 32 bits.
      if (_mm512_cmpneq_epi64_mask(w0, _mm512_cvtepi32_epi64(i0)) != 0 ||
          _mm512_cmpneq_epi64_mask(w1, _mm512_cvtepi32_epi64(i1)) != 0) {
        return false;
      }
      const __m512i index =
          _mm512_inserti64x4(_mm512_castsi256_si512(i0), i1, 1);
      // The index relative to the window's corner must be 0, 1, W or W+1.
      const __m512i code = _mm512_sub_epi32(
          index,
          _mm512_add_epi32(
              _mm512_set1_epi32(static_cast<int32_t>(2 * oh * in_w + 2 * ow)),
              two_iota));
      const __mmask16 m0 =
          _mm512_cmpeq_epi32_mask(code, _mm512_setzero_si512());
      const __mmask16 m1 = _mm512_cmpeq_epi32_mask(code, one);
      const __mmask16 m2 = _mm512_cmpeq_epi32_mask(code, below);
      const __mmask16 m3 = _mm512_cmpeq_epi32_mask(code, below_right);
      if (static_cast<__mmask16>((m0 | m1 | m2 | m3) & valid) != valid) {
        return false;
      }

      const __m512 v0 = _mm512_maskz_mov_ps(m0, g);
      const __m512 v1 = _mm512_maskz_mov_ps(m1, g);
      const __m512 v2 = _mm512_maskz_mov_ps(m2, g);
      const __m512 v3 = _mm512_maskz_mov_ps(m3, g);
      const __mmask16 lo = Lanes16(2 * n);
      const __mmask16 hi = Lanes16(2 * n - 16 > 0 ? 2 * n - 16 : 0);
      _mm512_mask_storeu_ps(r0 + 2 * ow, lo,
                            _mm512_permutex2var_ps(v0, zip_lo, v1));
      _mm512_mask_storeu_ps(r0 + 2 * ow + 16, hi,
                            _mm512_permutex2var_ps(v0, zip_hi, v1));
      _mm512_mask_storeu_ps(r1 + 2 * ow, lo,
                            _mm512_permutex2var_ps(v2, zip_lo, v3));
      _mm512_mask_storeu_ps(r1 + 2 * ow + 16, hi,
                            _mm512_permutex2var_ps(v2, zip_hi, v3));
    }
    // A last column outside every window.
    for (int64_t x = 2 * out_w; x < in_w; ++x) r0[x] = r1[x] = 0.0f;
  }
  // A last row outside every window.
  for (int64_t y = 2 * out_h; y < in_h; ++y) {
    for (int64_t x = 0; x < in_w; ++x) gin[y * in_w + x] = 0.0f;
  }
  return true;
}

#else  // no AVX-512: the caller's scalar loops

bool MaxPool2x2Plane(const float*, int64_t, int64_t, int64_t, int64_t, float*,
                     int64_t*) {
  return false;
}
bool MaxPool2x2BackwardPlane(const float*, const int64_t*, int64_t, int64_t,
                             int64_t, int64_t, float*) {
  return false;
}

#endif

}  // namespace tch::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // TCH_KERNELS_CPU_POOL_SIMD_INL_H_
