// File: torch/kernels/cpu/conv_gemm-inl.h
//
// Per-target float32 micro-kernels of conv2d and its backward.
// conv_kernels.cc includes this file once per Highway target through
// hwy/foreach_target.h (this file includes conv_direct-inl.h, the direct
// kernels) and calls the entry points through HWY_DYNAMIC_DISPATCH
// (AVX-512 / AVX2 / SSE4 where the CPU has them).
//
//   ConvBuildRows: the rows of the implicit im2col matrix B of one image.
//   ConvGemm: C[m][p] = init[m] + sum_kk A[m][kk] * B_kk[p] for p in
//     [p_begin, p_end): the forward of small-K layers (A = weights, B =
//     input rows) and strided grad_input (A = weights transposed, B =
//     grad_output rows, then col2im). A is packed in
//     panels of kPanel rows (PackPanels in conv_kernels.cc); row kk of B
//     starts at brows[kk] and may be read up to one vector past p_end (the
//     caller leaves that much readable slack). Pixels are the vector lanes,
//     so C is written straight into NCHW.
//   ConvGradWeight: gwT[kk][o] += sum_p B_kk[p] * goutT[p][o]: output
//     channels are the lanes (goutT is grad_output transposed, rows padded
//     to a multiple of 16), pixels the long reduction that stays in
//     registers, so no horizontal sums are needed; B is read from the
//     padded input planes of ConvPad (conv_direct-inl.h).
//   ConvGradWeightLanes: the same sums lane-wise over pixels (small K).
//
// None throws. Example (conv_kernels.cc):
//   HWY_DYNAMIC_DISPATCH(ConvGemm)(og, 0, P, K, packed, rows, bias, out, P);

// Shared by every target (a normal include guard): how the rows of B (the
// implicit im2col matrix) are cut out of one image's planes.
#ifndef TCH_KERNELS_CPU_CONV_GEMM_SHARED_H_
#define TCH_KERNELS_CPU_CONV_GEMM_SHARED_H_
#include <cstdint>
namespace tch::cpu {
// Source planes [channels][src_h][src_w] convolved into dst_h x dst_w
// pixels. Row (c, i, j) of B holds, for each output pixel (y, x), source
// element (y*stride_h + i*dil_h - pad_h, x*stride_w + j*dil_w - pad_w), zero
// outside the source.
struct ConvRows {
  int64_t channels, src_h, src_w, dst_h, dst_w;
  int64_t kh, kw, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
};

// Planes of the explicitly padded source (ConvPad): every window inside.
inline int64_t PaddedHeight(const ConvRows& g) {
  const int64_t need = (g.dst_h - 1) * g.stride_h + (g.kh - 1) * g.dil_h + 1;
  return g.src_h + g.pad_h > need ? g.src_h + g.pad_h : need;
}
inline int64_t PaddedWidth(const ConvRows& g) {
  const int64_t need = (g.dst_w - 1) * g.stride_w + (g.kw - 1) * g.dil_w + 1;
  return g.src_w + g.pad_w > need ? g.src_w + g.pad_w : need;
}
}  // namespace tch::cpu
#endif  // TCH_KERNELS_CPU_CONV_GEMM_SHARED_H_

// Per-target include guard (the pattern Highway's docs prescribe).
#if defined(TCH_KERNELS_CPU_CONV_GEMM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TCH_KERNELS_CPU_CONV_GEMM_INL_H_
#undef TCH_KERNELS_CPU_CONV_GEMM_INL_H_
#else
#define TCH_KERNELS_CPU_CONV_GEMM_INL_H_
#endif

#include <cstdint>
#include <type_traits>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tch::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

// Rows per packed A panel (every target: the widest tile).
inline constexpr int kPanel = 8;

// Register tiles. AVX-512 has 32 vector registers, narrower targets 16.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
inline constexpr int kGemmRows = 8;  // 8 x 3 accumulators
inline constexpr int kGwAcc = 24;    // grad_weight accumulators
inline constexpr int kGwVecs = 4;
#else
inline constexpr int kGemmRows = 4;  // 4 x 3 accumulators
inline constexpr int kGwAcc = 12;
inline constexpr int kGwVecs = 2;
#endif
inline constexpr int kGemmVecs = 3;

// Calls f(std::integral_constant<int, rows>) for a runtime 1 <= rows <= kMax.
template <int R, int kMax, class F>
HWY_INLINE void WithRows(int rows, const F& f) {
  if constexpr (R <= kMax) {
    if (rows == R) {
      f(std::integral_constant<int, R>());
      return;
    }
    WithRows<R + 1, kMax>(rows, f);
  }
}

// --- ConvGemm

#undef TCH_CONV_NATIVE_MASKS  // per target
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
#define TCH_CONV_NATIVE_MASKS 1  // masked loads/stores never touch other lanes
#else
#define TCH_CONV_NATIVE_MASKS 0
#endif

// The first n (< lane count) floats at p; the other lanes are zero.
HWY_INLINE VF LoadFirst(DF d, const float* p, int64_t n) {
#if TCH_CONV_NATIVE_MASKS
  return hn::MaskedLoad(hn::FirstN(d, static_cast<size_t>(n)), d, p);
#else
  HWY_ALIGN float buf[hn::MaxLanes(d)] = {};
  for (int64_t l = 0; l < n; ++l) buf[l] = p[l];
  return hn::Load(d, buf);
#endif
}

// Stores the first n (< lane count) lanes of v at p.
HWY_INLINE void StoreFirst(VF v, DF d, float* p, int64_t n) {
#if TCH_CONV_NATIVE_MASKS
  hn::BlendedStore(v, hn::FirstN(d, static_cast<size_t>(n)), d, p);
#else
  HWY_ALIGN float buf[hn::MaxLanes(d)];
  hn::Store(v, d, buf);
  for (int64_t l = 0; l < n; ++l) p[l] = buf[l];
#endif
}

// B is packed per strip of kGemmVecs vectors of pixels and block of at most
// kKBlock rows (24 KiB on AVX-512, in L1 while every row tile passes over
// it): aligned loads, whatever the alignment of B's rows.
inline constexpr int64_t kKBlock = 128;

// R rows x V vectors of C, over the kc rows of the packed block bp (row kk
// at bp + kk * stride). kPartial: the last vector holds only `last_n` valid
// lanes; the others are computed but never stored. `first`: start from the
// bias (or zero) instead of C.
template <int R, int V, bool kPartial>
HWY_INLINE void GemmTile(int64_t kc, const float* HWY_RESTRICT ap,
                         const float* HWY_RESTRICT bp, int64_t stride,
                         const float* bias, bool first, float* HWY_RESTRICT c,
                         int64_t ldc, int64_t last_n) {
  const DF d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  VF acc[R][V];
  if (first) {
    HWY_UNROLL(32)
    for (int r = 0; r < R; ++r) {
      const VF init = bias != nullptr ? hn::Set(d, bias[r]) : hn::Zero(d);
      HWY_UNROLL(32)
      for (int v = 0; v < V; ++v) acc[r][v] = init;
    }
  } else {
    HWY_UNROLL(32)
    for (int r = 0; r < R; ++r) {
      HWY_UNROLL(32)
      for (int v = 0; v < V; ++v) {
        float* cp = c + r * ldc + v * lanes;
        acc[r][v] = kPartial && v == V - 1 ? LoadFirst(d, cp, last_n)
                                           : hn::LoadU(d, cp);
      }
    }
  }
  for (int64_t kk = 0; kk < kc; ++kk) {
    const float* b = bp + kk * stride;
    VF bv[V];
    HWY_UNROLL(32)
    for (int v = 0; v < V; ++v) bv[v] = hn::Load(d, b + v * lanes);
    const float* a = ap + kk * kPanel;
    HWY_UNROLL(32)
    for (int r = 0; r < R; ++r) {
      const VF av = hn::Set(d, a[r]);
      HWY_UNROLL(32)
      for (int v = 0; v < V; ++v) acc[r][v] = hn::MulAdd(av, bv[v], acc[r][v]);
    }
  }
  HWY_UNROLL(32)
  for (int r = 0; r < R; ++r) {
    HWY_UNROLL(32)
    for (int v = 0; v < V; ++v) {
      float* cp = c + r * ldc + v * lanes;
      if (kPartial && v == V - 1) {
        StoreFirst(acc[r][v], d, cp, last_n);
      } else {
        hn::StoreU(acc[r][v], d, cp);
      }
    }
  }
}

// Every row tile of one strip of V vectors, over B rows [k0, k0 + kc).
template <int V, bool kPartial>
HWY_INLINE void GemmStrip(int64_t m, int64_t k0, int64_t kc, int64_t k,
                          const float* ap, const float* bp, int64_t stride,
                          const float* bias, bool first, float* c, int64_t ldc,
                          int64_t last_n) {
  for (int64_t i = 0; i < m; i += kGemmRows) {
    const int rows = static_cast<int>(m - i < kGemmRows ? m - i : kGemmRows);
    // Row i's panel, and its offset inside (4-row tiles use half panels).
    const float* a = ap + (i / kPanel) * k * kPanel + k0 * kPanel + i % kPanel;
    const float* bi = bias != nullptr ? bias + i : nullptr;
    WithRows<1, kGemmRows>(rows, [&](auto r) {
      GemmTile<decltype(r)::value, V, kPartial>(kc, a, bp, stride, bi, first,
                                                c + i * ldc, ldc, last_n);
    });
  }
}

void ConvGemm(int64_t m, int64_t p_begin, int64_t p_end, int64_t k,
              const float* ap, const float* const* brows, const float* bias,
              float* c, int64_t ldc) {
  const DF d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const int64_t stride = kGemmVecs * lanes;
  HWY_ALIGN float bp[kKBlock * kGemmVecs * hn::MaxLanes(d)];
  if (p_end <= p_begin || m <= 0) return;
  const int64_t blocks = k <= 0 ? 1 : (k + kKBlock - 1) / kKBlock;
  const int64_t kb = k <= 0 ? 0 : (k + blocks - 1) / blocks;
  for (int64_t j = p_begin; j < p_end; j += stride) {
    const int64_t rest = p_end - j < stride ? p_end - j : stride;
    const int64_t vecs = (rest + lanes - 1) / lanes;
    const int64_t last_n = rest - (vecs - 1) * lanes;
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t k0 = b * kb;
      const int64_t kc = (k0 + kb < k ? k0 + kb : k) - k0;
      for (int64_t kk = 0; kk < kc; ++kk) {
        const float* src = brows[k0 + kk] + j;
        for (int64_t v = 0; v < vecs; ++v) {
          hn::Store(hn::LoadU(d, src + v * lanes), d,
                    bp + kk * stride + v * lanes);
        }
      }
      const bool first = b == 0;
      WithRows<1, kGemmVecs>(static_cast<int>(vecs), [&](auto vs) {
        constexpr int kV = decltype(vs)::value;
        if (last_n == lanes) {
          GemmStrip<kV, false>(m, k0, kc, k, ap, bp, stride, bias, first, c + j,
                               ldc, last_n);
        } else {
          GemmStrip<kV, true>(m, k0, kc, k, ap, bp, stride, bias, first, c + j,
                              ldc, last_n);
        }
      });
    }
  }
}

// --- ConvGradWeight

// gwT rows kk0 .. kk0+R (tap offsets off[0, R)), vectors [0, V) of the
// o-block at `o`, over every pixel of the output rows [y0, y1). Inputs are
// broadcast from the padded planes xp (ConvPad), x stride sw (1 if kUnit).
template <int R, int V, bool kUnit>
HWY_INLINE void GwTile(const ConvRows& g, int64_t y0, int64_t y1,
                       const float* xp, const int64_t* off,
                       const float* HWY_RESTRICT gt, int64_t ld, int64_t o,
                       float* HWY_RESTRICT gw) {
  const DF d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const int64_t row_step = g.stride_h * PaddedWidth(g), sw = g.stride_w;
  VF acc[R][V];
  HWY_UNROLL(32)
  for (int r = 0; r < R; ++r) {
    HWY_UNROLL(32)
    for (int v = 0; v < V; ++v) {
      acc[r][v] = hn::LoadU(d, gw + r * ld + o + v * lanes);
    }
  }
  for (int64_t y = y0; y < y1; ++y) {
    const float* b[R];
    HWY_UNROLL(32)
    for (int r = 0; r < R; ++r) b[r] = xp + off[r] + y * row_step;
    const float* gp = gt + y * g.dst_w * ld + o;
    for (int64_t x = 0; x < g.dst_w; ++x) {
      VF gv[V];
      HWY_UNROLL(32)
      for (int v = 0; v < V; ++v) gv[v] = hn::LoadU(d, gp + x * ld + v * lanes);
      HWY_UNROLL(32)
      for (int r = 0; r < R; ++r) {
        const VF bv = hn::Set(d, kUnit ? b[r][x] : b[r][x * sw]);
        HWY_UNROLL(32)
        for (int v = 0; v < V; ++v)
          acc[r][v] = hn::MulAdd(bv, gv[v], acc[r][v]);
      }
    }
  }
  HWY_UNROLL(32)
  for (int r = 0; r < R; ++r) {
    HWY_UNROLL(32)
    for (int v = 0; v < V; ++v) {
      hn::StoreU(acc[r][v], d, gw + r * ld + o + v * lanes);
    }
  }
}

template <int V>
HWY_INLINE void GwBlock(const ConvRows& g, int64_t k_begin, int64_t k_end,
                        int64_t y0, int64_t y1, const float* xp,
                        const int64_t* off, const float* gt, int64_t ld,
                        int64_t o, float* gw) {
  // At most 12 rows: one pointer register per row.
  constexpr int kRows = kGwAcc / V < 12 ? kGwAcc / V : 12;
  for (int64_t kk = k_begin; kk < k_end; kk += kRows) {
    const int rows = static_cast<int>(k_end - kk < kRows ? k_end - kk : kRows);
    WithRows<1, kRows>(rows, [&](auto r) {
      constexpr int kR = decltype(r)::value;
      if (g.stride_w == 1) {
        GwTile<kR, V, true>(g, y0, y1, xp, off + kk, gt, ld, o, gw + kk * ld);
      } else {
        GwTile<kR, V, false>(g, y0, y1, xp, off + kk, gt, ld, o, gw + kk * ld);
      }
    });
  }
}

// Pixels per chunk (whole output rows): a 128 x 64 float chunk of goutT
// (32 KiB) stays in L1 while every row tile passes over it.
inline constexpr int64_t kPixelBlock = 128;

// gwT[kk][o] += sum_p xp[p's window + off[kk]] * gt[p][o] for kk in
// [k_begin, k_end): gt = grad_output with channels as lanes (ConvTransposeIn),
// ld the row length of gt and gwT, a multiple of 16 floats (lanes past the
// real channels hold zeros); xp the padded input planes (ConvPad).
void ConvGradWeight(const ConvRows& g, int64_t k_begin, int64_t k_end,
                    const float* xp, const int64_t* off, const float* gt,
                    int64_t ld, float* gw) {
  const DF d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const int64_t vecs = ld / lanes;
  const int64_t rows_per_chunk =
      g.dst_w >= kPixelBlock ? 1 : kPixelBlock / (g.dst_w > 0 ? g.dst_w : 1);
  for (int64_t y0 = 0; y0 < g.dst_h; y0 += rows_per_chunk) {
    const int64_t y1 =
        g.dst_h - y0 < rows_per_chunk ? g.dst_h : y0 + rows_per_chunk;
    for (int64_t v = 0; v < vecs;) {
      const int64_t left = vecs - v;
      const int64_t o = v * lanes;
      if (left >= kGwVecs) {
        GwBlock<kGwVecs>(g, k_begin, k_end, y0, y1, xp, off, gt, ld, o, gw);
        v += kGwVecs;
      } else if (left >= 2) {
        GwBlock<2>(g, k_begin, k_end, y0, y1, xp, off, gt, ld, o, gw);
        v += 2;
      } else {
        GwBlock<1>(g, k_begin, k_end, y0, y1, xp, off, gt, ld, o, gw);
        v += 1;
      }
    }
  }
}

// --- ConvGradWeightLanes

// Register tile of the lane-wise grad_weight: kDotRows rows of grad_output x
// up to kDotCols rows of B.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
inline constexpr int kDotRows = 2;
inline constexpr int kDotCols = 12;
#else
inline constexpr int kDotRows = 1;
inline constexpr int kDotCols = 12;
#endif

// acc[r][q] (lane-wise, at out + r*ld_r + q*16) += g_r[p] * b_q[p] over
// p < pixels; lanes past `pixels` are masked off on both sides, so whatever
// follows a row (even Inf) never enters a sum.
template <int R, int Q>
HWY_INLINE void DotTile(int64_t pixels, const float* const* g,
                        const float* const* b, float* HWY_RESTRICT out,
                        int64_t ld_r) {
  const DF d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  VF acc[R][Q];
  HWY_UNROLL(32)
  for (int r = 0; r < R; ++r) {
    HWY_UNROLL(32)
    for (int q = 0; q < Q; ++q)
      acc[r][q] = hn::LoadU(d, out + r * ld_r + q * 16);
  }
  const float* gp[R];
  const float* bp[Q];
  HWY_UNROLL(32)
  for (int r = 0; r < R; ++r) gp[r] = g[r];
  HWY_UNROLL(32)
  for (int q = 0; q < Q; ++q) bp[q] = b[q];
  int64_t p = 0;
  for (; p + lanes <= pixels; p += lanes) {
    VF gv[R];
    HWY_UNROLL(32)
    for (int r = 0; r < R; ++r) gv[r] = hn::LoadU(d, gp[r] + p);
    HWY_UNROLL(32)
    for (int q = 0; q < Q; ++q) {
      const VF bv = hn::LoadU(d, bp[q] + p);
      HWY_UNROLL(32)
      for (int r = 0; r < R; ++r) acc[r][q] = hn::MulAdd(gv[r], bv, acc[r][q]);
    }
  }
  if (p < pixels) {
    const int64_t n = pixels - p;
    VF gv[R];
    HWY_UNROLL(32)
    for (int r = 0; r < R; ++r) gv[r] = LoadFirst(d, gp[r] + p, n);
    HWY_UNROLL(32)
    for (int q = 0; q < Q; ++q) {
      const VF bv = LoadFirst(d, bp[q] + p, n);
      HWY_UNROLL(32)
      for (int r = 0; r < R; ++r) acc[r][q] = hn::MulAdd(gv[r], bv, acc[r][q]);
    }
  }
  HWY_UNROLL(32)
  for (int r = 0; r < R; ++r) {
    HWY_UNROLL(32)
    for (int q = 0; q < Q; ++q)
      hn::StoreU(acc[r][q], d, out + r * ld_r + q * 16);
  }
}

// gwv[o][kk][0, lanes) += lane-wise sums of gout[o][p] * brows[kk][p] over
// p < pixels, for o < m, kk < k (gout rows `pixels` apart; gwv entries of 16
// floats, lanes past the target's count untouched). For small K: the
// accumulators stay lane-wise for the whole batch and are reduced once, and
// grad_output needs no transpose.
void ConvGradWeightLanes(int64_t m, int64_t k, int64_t pixels,
                         const float* gout, const float* const* brows,
                         float* gwv) {
  for (int64_t o = 0; o < m; o += kDotRows) {
    const int rows = static_cast<int>(m - o < kDotRows ? m - o : kDotRows);
    const float* g[kDotRows];
    for (int r = 0; r < rows; ++r) g[r] = gout + (o + r) * pixels;
    for (int64_t kk = 0; kk < k; kk += kDotCols) {
      const int cols = static_cast<int>(k - kk < kDotCols ? k - kk : kDotCols);
      float* out = gwv + (o * k + kk) * 16;
      WithRows<1, kDotRows>(rows, [&](auto r) {
        WithRows<1, kDotCols>(cols, [&](auto q) {
          DotTile<decltype(r)::value, decltype(q)::value>(pixels, g, brows + kk,
                                                          out, k * 16);
        });
      });
    }
  }
}

// --- Building B

// The x range [lo, hi) of an output row whose source column x*sw + off lies
// inside [0, w), clamped to [0, n).
HWY_INLINE void ValidRange(int64_t w, int64_t off, int64_t sw, int64_t n,
                           int64_t& lo, int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
  hi = w - off <= 0 ? 0 : (w - off + sw - 1) / sw;
  lo = lo < n ? lo : n;
  hi = hi < lo ? lo : (hi > n ? n : hi);
}

// dst[0, n) = 0; writes up to one vector past dst + n.
HWY_INLINE void ZeroFill(float* HWY_RESTRICT dst, int64_t n) {
  const DF d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t x = 0; x < n; x += lanes) hn::StoreU(hn::Zero(d), d, dst + x);
}

// dst[x] = src[x*sw + off] for x in [lo, hi) (src: a source row, or null for
// a row of zeros), zero elsewhere in [0, n). Writes up to one vector past
// dst + n.
HWY_INLINE void GatherRow(const float* src, int64_t off, int64_t sw, int64_t lo,
                          int64_t hi, int64_t n, float* HWY_RESTRICT dst) {
#if TCH_CONV_NATIVE_MASKS
  if (src != nullptr && sw == 1) {
    const DF d;
    const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
    // One masked load per vector: lanes outside [lo, hi) read nothing and
    // come back zero.
    const float* s = src + off;
    for (int64_t x = 0; x < n; x += lanes) {
      const int64_t a = lo - x < 0 ? 0 : (lo - x > lanes ? lanes : lo - x);
      const int64_t b = hi - x < 0 ? 0 : (hi - x > lanes ? lanes : hi - x);
      const auto mask = hn::AndNot(hn::FirstN(d, static_cast<size_t>(a)),
                                   hn::FirstN(d, static_cast<size_t>(b)));
      hn::StoreU(hn::MaskedLoad(mask, d, s + x), d, dst + x);
    }
    return;
  }
#endif
  ZeroFill(dst, n);
  if (src == nullptr) return;
  for (int64_t x = lo; x < hi; ++x) dst[x] = src[x * sw + off];
}

// Fills buf with the rows of B for one image and rows[kk], kk = (c*kh + i)*kw
// + j, with where each starts. stride_h == 1: per (j, c) the source rows
// shifted by j, dst_h + (kh-1)*dil_h of them, so rows (c, i, j) for every i
// overlap (i*dil_h*dst_w apart) and B is ~kh times smaller than im2col.
// Otherwise plain im2col. Writes at most ConvRowsSize floats, the last 16
// zero (the slack ConvGemm may read past a row).
void ConvBuildRows(const ConvRows& g, const float* src, float* buf,
                   const float** rows) {
  const int64_t pixels = g.dst_h * g.dst_w;
  const int64_t plane = g.src_h * g.src_w;
  float* end = buf;
  if (g.stride_h == 1) {
    const int64_t height = g.dst_h + (g.kh - 1) * g.dil_h;
    for (int64_t j = 0; j < g.kw; ++j) {
      const int64_t off = j * g.dil_w - g.pad_w;
      int64_t lo, hi;
      ValidRange(g.src_w, off, g.stride_w, g.dst_w, lo, hi);
      // Source rows exist for r in [r_lo, r_hi); the others are zero.
      const int64_t r_lo = g.pad_h < height ? g.pad_h : height;
      const int64_t r_hi =
          g.pad_h + g.src_h < r_lo
              ? r_lo
              : (g.pad_h + g.src_h > height ? height : g.pad_h + g.src_h);
#if TCH_CONV_NATIVE_MASKS
      // Per-chunk masks of [lo, hi), the same for every row.
      const DF d;
      const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
      constexpr int64_t kMaxChunks = 4;
      const int64_t chunks = (g.dst_w + lanes - 1) / lanes;
      hn::Mask<DF> masks[kMaxChunks];
      const bool masked = g.stride_w == 1 && chunks <= kMaxChunks;
      for (int64_t ch = 0; masked && ch < chunks; ++ch) {
        const int64_t x = ch * lanes;
        const int64_t a = lo - x < 0 ? 0 : (lo - x > lanes ? lanes : lo - x);
        const int64_t b = hi - x < 0 ? 0 : (hi - x > lanes ? lanes : hi - x);
        masks[ch] = hn::AndNot(hn::FirstN(d, static_cast<size_t>(a)),
                               hn::FirstN(d, static_cast<size_t>(b)));
      }
#endif
      for (int64_t c = 0; c < g.channels; ++c) {
        float* block = buf + (j * g.channels + c) * height * g.dst_w;
        const float* src_c = src + c * plane;
#if TCH_CONV_NATIVE_MASKS
        if (masked) {
          ZeroFill(block, r_lo * g.dst_w);
          for (int64_t r = r_lo; r < r_hi; ++r) {
            const float* s = src_c + (r - g.pad_h) * g.src_w + off;
            float* dst = block + r * g.dst_w;
            for (int64_t ch = 0; ch < chunks; ++ch) {
              hn::StoreU(hn::MaskedLoad(masks[ch], d, s + ch * lanes), d,
                         dst + ch * lanes);
            }
          }
          ZeroFill(block + r_hi * g.dst_w, (height - r_hi) * g.dst_w);
        } else  // NOLINT(readability/braces)
#endif
        {
          for (int64_t r = 0; r < height; ++r) {
            const bool in = r >= r_lo && r < r_hi;
            GatherRow(in ? src_c + (r - g.pad_h) * g.src_w : nullptr, off,
                      g.stride_w, lo, hi, g.dst_w, block + r * g.dst_w);
          }
        }
        for (int64_t i = 0; i < g.kh; ++i) {
          rows[(c * g.kh + i) * g.kw + j] = block + i * g.dil_h * g.dst_w;
        }
      }
    }
    end = buf + g.kw * g.channels * height * g.dst_w;
  } else {
    for (int64_t c = 0; c < g.channels; ++c) {
      for (int64_t i = 0; i < g.kh; ++i) {
        for (int64_t j = 0; j < g.kw; ++j) {
          const int64_t kk = (c * g.kh + i) * g.kw + j;
          const int64_t off = j * g.dil_w - g.pad_w;
          int64_t lo, hi;
          ValidRange(g.src_w, off, g.stride_w, g.dst_w, lo, hi);
          rows[kk] = buf + kk * pixels;
          for (int64_t y = 0; y < g.dst_h; ++y) {
            const int64_t ih = y * g.stride_h + i * g.dil_h - g.pad_h;
            const bool in = ih >= 0 && ih < g.src_h;
            GatherRow(in ? src + c * plane + ih * g.src_w : nullptr, off,
                      g.stride_w, lo, hi, g.dst_w,
                      buf + kk * pixels + y * g.dst_w);
          }
        }
      }
    }
    end = buf + g.channels * g.kh * g.kw * pixels;
  }
  for (int i = 0; i < 16; ++i) end[i] = 0.0f;
}

}  // namespace tch::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

// The direct (channels-as-lanes) kernels, which use the helpers above.
#include "torch/kernels/cpu/conv_direct-inl.h"

#endif  // TCH_KERNELS_CPU_CONV_GEMM_INL_H_
