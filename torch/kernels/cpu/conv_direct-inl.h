// File: torch/kernels/cpu/conv_direct-inl.h
//
// Per-target direct convolution with output channels as vector lanes (the
// scheme of oneDNN's AVX-512 kernels), included by conv_gemm-inl.h once per
// Highway target. For one image (and group):
//   ConvPad: xp = the source planes with their zero padding made explicit,
//     [channels][PaddedHeight][PaddedWidth] (conv_gemm-inl.h).
//   ConvDirect: out[o][p] = bias[o] + sum_kk xp[p's window + off[kk]] *
//     wt[kk][o] for the output rows [y_begin, y_end): a register tile is a
//     run of up to kDirectRows pixels of one output row times kDirectVecs
//     vectors of output channels, over all K taps; each input value is
//     broadcast once per tile, each weight vector loaded once per tile, with
//     no im2col, no packing per image and no lanes wasted on odd widths (14
//     pixels = one tile). The finished tile is transposed in registers and
//     stored straight into the NCHW planes.
//   ConvTransposeIn: grad_output with channels as lanes (for grad_weight).
// None throws. Example (conv_kernels.cc):
//   HWY_DYNAMIC_DISPATCH(ConvPad)(rows, src, xp);
//   HWY_DYNAMIC_DISPATCH(ConvDirect)(rows, og, xp, off, k, wt, ld, bias, out,
//                                    0, rows.dst_h);

#if defined(TCH_KERNELS_CPU_CONV_DIRECT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TCH_KERNELS_CPU_CONV_DIRECT_INL_H_
#undef TCH_KERNELS_CPU_CONV_DIRECT_INL_H_
#else
#define TCH_KERNELS_CPU_CONV_DIRECT_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tch::cpu::HWY_NAMESPACE {

// Register tile: pixels x vectors of output channels.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
inline constexpr int kDirectRows = 14;  // 14 x 2 accumulators
#else
inline constexpr int kDirectRows = 6;  // 6 x 2 accumulators
#endif
inline constexpr int kDirectVecs = 2;

// xp[c][y][x] = src[c][y - pad_h][x - pad_w], zero outside the source, for
// the PaddedHeight x PaddedWidth planes (and 16 zero floats after them).
void ConvPad(const ConvRows& g, const float* src, float* xp) {
  const int64_t hp = PaddedHeight(g), wp = PaddedWidth(g);
  int64_t lo, hi;  // the columns that come from the source
  ValidRange(g.src_w, -g.pad_w, 1, wp, lo, hi);
  const int64_t r_hi = g.pad_h + g.src_h < hp ? g.pad_h + g.src_h : hp;
#if TCH_CONV_NATIVE_MASKS
  // One masked load per vector of a row, the masks the same for every row.
  const DF d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  constexpr int64_t kMaxChunks = 4;
  const int64_t chunks = (wp + lanes - 1) / lanes;
  if (chunks <= kMaxChunks) {
    hn::Mask<DF> masks[kMaxChunks];
    for (int64_t ch = 0; ch < chunks; ++ch) {
      const int64_t x = ch * lanes;
      const int64_t a = lo - x < 0 ? 0 : (lo - x > lanes ? lanes : lo - x);
      const int64_t b = hi - x < 0 ? 0 : (hi - x > lanes ? lanes : hi - x);
      masks[ch] = hn::AndNot(hn::FirstN(d, static_cast<size_t>(a)),
                             hn::FirstN(d, static_cast<size_t>(b)));
    }
    for (int64_t c = 0; c < g.channels; ++c) {
      float* dst = xp + c * hp * wp;
      // Source row y - pad_h, shifted so that lane x reads column x - pad_w.
      const float* s =
          src + c * g.src_h * g.src_w - g.pad_h * g.src_w - g.pad_w;
      ZeroFill(dst, g.pad_h * wp);
      for (int64_t y = g.pad_h; y < r_hi; ++y) {
        for (int64_t ch = 0; ch < chunks; ++ch) {
          hn::StoreU(hn::MaskedLoad(masks[ch], d, s + y * g.src_w + ch * lanes),
                     d, dst + y * wp + ch * lanes);
        }
      }
      ZeroFill(dst + r_hi * wp, (hp - r_hi) * wp);
    }
    ZeroFill(xp + g.channels * hp * wp, 16);
    return;
  }
#endif
  for (int64_t c = 0; c < g.channels; ++c) {
    float* dst = xp + c * hp * wp;
    const float* s = src + c * g.src_h * g.src_w;
    ZeroFill(dst, g.pad_h * wp);
    for (int64_t y = g.pad_h; y < r_hi; ++y) {
      GatherRow(s + (y - g.pad_h) * g.src_w, -g.pad_w, 1, lo, hi, wp,
                dst + y * wp);
    }
    ZeroFill(dst + r_hi * wp, (hp - r_hi) * wp);
  }
  ZeroFill(xp + g.channels * hp * wp, 16);
}

#undef TCH_CONV_AVX3  // per target
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
#define TCH_CONV_AVX3 1

// In place: r[i] becomes column i of the 16 x 16 matrix whose rows were
// r[0..16) (32-bit, then 64-bit interleaves inside 128-bit blocks, then two
// rounds of 128-bit block shuffles).
HWY_INLINE void Transpose16x16(__m512* r) {
  __m512 t[16];
  HWY_UNROLL(8)
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  HWY_UNROLL(4)
  for (int i = 0; i < 16; i += 4) {
    const __m512d a = _mm512_castps_pd(t[i]), b = _mm512_castps_pd(t[i + 2]);
    const __m512d c = _mm512_castps_pd(t[i + 1]);
    const __m512d e = _mm512_castps_pd(t[i + 3]);
    r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
    r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
    r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(c, e));
    r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(c, e));
  }
  HWY_UNROLL(2)
  for (int i = 0; i < 16; i += 8) {
    HWY_UNROLL(4)
    for (int j = 0; j < 4; ++j) {
      t[i + j] = _mm512_shuffle_f32x4(r[i + j], r[i + j + 4], 0x88);
      t[i + j + 4] = _mm512_shuffle_f32x4(r[i + j], r[i + j + 4], 0xdd);
    }
  }
  HWY_UNROLL(8)
  for (int j = 0; j < 8; ++j) {
    r[j] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0x88);
    r[j + 8] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0xdd);
  }
}
#else
#define TCH_CONV_AVX3 0
#endif

// R pixels (x stride sw, or 1 when kUnit) x V vectors of channels, over all
// K taps. xs: the padded input at the tile's first window; wt, bias: at the
// tile's first channel; out: the output plane of that channel at the tile's
// first pixel (planes `pixels` apart), `channels` of them left to write.
template <int R, int V, bool kUnit>
HWY_INLINE void DirectTile(int64_t k, const float* xs, int64_t sw,
                           const int64_t* HWY_RESTRICT off,
                           const float* HWY_RESTRICT wt, int64_t ld,
                           const float* bias, float* HWY_RESTRICT out,
                           int64_t pixels, int64_t channels) {
  const DF d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  VF acc[R][V];
  HWY_UNROLL(32)
  for (int v = 0; v < V; ++v) {
    const VF init =
        bias != nullptr ? hn::LoadU(d, bias + v * lanes) : hn::Zero(d);
    HWY_UNROLL(32)
    for (int r = 0; r < R; ++r) acc[r][v] = init;
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    const float* s = xs + off[kk];
    VF w[V];
    HWY_UNROLL(32)
    for (int v = 0; v < V; ++v) w[v] = hn::LoadU(d, wt + kk * ld + v * lanes);
    HWY_UNROLL(32)
    for (int r = 0; r < R; ++r) {
      const VF a = hn::Set(d, kUnit ? s[r] : s[r * sw]);
      HWY_UNROLL(32)
      for (int v = 0; v < V; ++v) acc[r][v] = hn::MulAdd(a, w[v], acc[r][v]);
    }
  }
  // Channels to planes: transposed in registers, R lanes per plane.
#if TCH_CONV_AVX3
  const __mmask16 pixel_mask = static_cast<__mmask16>((1u << R) - 1);
  HWY_UNROLL(32)
  for (int v = 0; v < V; ++v) {
    __m512 m[16];
    HWY_UNROLL(16)
    for (int r = 0; r < 16; ++r) {
      m[r] = r < R ? acc[r < R ? r : 0][v].raw : _mm512_setzero_ps();
    }
    Transpose16x16(m);
    const int64_t n = channels - v * 16 < 16 ? channels - v * 16 : 16;
    HWY_UNROLL(16)
    for (int l = 0; l < 16; ++l) {
      if (l < n) {
        _mm512_mask_storeu_ps(out + (v * 16 + l) * pixels, pixel_mask, m[l]);
      }
    }
  }
#else
  HWY_ALIGN float buf[R * V * hn::MaxLanes(d)];
  HWY_UNROLL(32)
  for (int r = 0; r < R; ++r) {
    HWY_UNROLL(32)
    for (int v = 0; v < V; ++v) {
      hn::Store(acc[r][v], d, buf + (r * V + v) * lanes);
    }
  }
  const int64_t n = channels < V * lanes ? channels : V * lanes;
  for (int64_t o = 0; o < n; ++o) {
    for (int r = 0; r < R; ++r) out[o * pixels + r] = buf[r * V * lanes + o];
  }
#endif
}

// out[o][y][x] (planes dst_h * dst_w apart) for o < og and the output rows
// [y_begin, y_end): wt [k][ld] (ld a multiple of 16, channels past og zero),
// off[kk] the offset in xp of tap kk relative to a window's corner, bias
// (ld entries) or null.
void ConvDirect(const ConvRows& g, int64_t og, const float* xp,
                const int64_t* off, int64_t k, const float* wt, int64_t ld,
                const float* bias, float* out, int64_t y_begin, int64_t y_end) {
  const DF d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const int64_t vecs = (og + lanes - 1) / lanes;
  const int64_t wp = PaddedWidth(g), pixels = g.dst_h * g.dst_w;
  const int64_t segs = (g.dst_w + kDirectRows - 1) / kDirectRows;
  const bool unit = g.stride_w == 1;
  for (int64_t v0 = 0; v0 < vecs; v0 += kDirectVecs) {
    const int nv =
        static_cast<int>(vecs - v0 < kDirectVecs ? vecs - v0 : kDirectVecs);
    const int64_t o0 = v0 * lanes;
    const float* bi = bias != nullptr ? bias + o0 : nullptr;
    for (int64_t y = y_begin; y < y_end; ++y) {
      for (int64_t s = 0; s < segs; ++s) {
        const int64_t x0 = g.dst_w * s / segs, x1 = g.dst_w * (s + 1) / segs;
        const float* xs = xp + y * g.stride_h * wp + x0 * g.stride_w;
        float* o = out + o0 * pixels + y * g.dst_w + x0;
        WithRows<1, kDirectRows>(static_cast<int>(x1 - x0), [&](auto r) {
          WithRows<1, kDirectVecs>(nv, [&](auto v) {
            constexpr int kR = decltype(r)::value, kV = decltype(v)::value;
            if (unit) {
              DirectTile<kR, kV, true>(k, xs, 1, off, wt + o0, ld, bi, o,
                                       pixels, og - o0);
            } else {
              DirectTile<kR, kV, false>(k, xs, g.stride_w, off, wt + o0, ld, bi,
                                        o, pixels, og - o0);
            }
          });
        });
      }
    }
  }
}

// gt[p * ld + o] = g[o * pixels + p] for p < pixels, o < ld (zero for
// o >= og): grad_output with channels as lanes, for ConvGradWeight. gt is
// 64-byte aligned and ld a multiple of 16.
void ConvTransposeIn(const float* g, int64_t og, int64_t pixels, int64_t ld,
                     float* gt) {
#if TCH_CONV_AVX3
  for (int64_t p0 = 0; p0 < pixels; p0 += 16) {
    const int64_t np = pixels - p0 < 16 ? pixels - p0 : 16;
    const __mmask16 mask = static_cast<__mmask16>((1u << np) - 1);
    for (int64_t o0 = 0; o0 < ld; o0 += 16) {
      __m512 m[16];
      HWY_UNROLL(16)
      for (int i = 0; i < 16; ++i) {
        m[i] = o0 + i < og
                   ? _mm512_maskz_loadu_ps(mask, g + (o0 + i) * pixels + p0)
                   : _mm512_setzero_ps();
      }
      Transpose16x16(m);
      for (int64_t i = 0; i < np; ++i) {
        _mm512_store_ps(gt + (p0 + i) * ld + o0, m[i]);
      }
    }
  }
#else
  constexpr int64_t kBlock = 16;
  for (int64_t q0 = 0; q0 < pixels; q0 += kBlock) {
    const int64_t q1 = pixels - q0 < kBlock ? pixels : q0 + kBlock;
    for (int64_t q = q0; q < q1; ++q) {
      for (int64_t o = og; o < ld; ++o) gt[q * ld + o] = 0.0f;
    }
    for (int64_t o = 0; o < og; ++o) {
      for (int64_t q = q0; q < q1; ++q) gt[q * ld + o] = g[o * pixels + q];
    }
  }
#endif
}

}  // namespace tch::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // TCH_KERNELS_CPU_CONV_DIRECT_INL_H_
