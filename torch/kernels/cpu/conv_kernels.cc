// CPU kernels of conv2d and conv2d_backward. float32 runs the Highway
// kernels of conv_direct-inl.h and conv_gemm-inl.h; float64 runs im2col +
// OpenBLAS dgemm (conv_f64.cc); float16 / bfloat16 compute in float32.
//
// Note [Conv2d float32 algorithm]
// Per image and group (ConvPass, GradWeightStep):
//   forward      K = C/groups * kh * kw >= kDirectMinK: the direct kernel
//                (ConvDirect) with output channels as vector lanes, as
//                oneDNN's AVX-512 kernels do: the input is copied once into
//                zero-padded planes (ConvPad), a register tile is up to 14
//                pixels of an output row x 32 channels over all K taps
//                (each input value broadcast once, each weight vector loaded
//                once per tile), and the finished tile is transposed in
//                registers into the NCHW output. No im2col, no per-image
//                packing, no lanes lost to odd widths. Small K (the first
//                layer, memory bound): ConvGemm with pixels as lanes over
//                the implicit im2col rows of ConvBuildRows (per (j, c) one
//                shifted copy serving every kernel row i), written straight
//                into NCHW; its B is packed per strip so loads are aligned.
//   grad_input   stride 1 (and padding <= dilation * (k - 1)): a convolution
//                of grad_output with the flipped, transposed weights and
//                padding dil * (k - 1) - pad, so the same ConvPass.
//                Otherwise ConvGemm into an im2col-shaped buffer, then
//                col2im.
//   grad_weight  og * K large: gwT[kk][o] += sum_p x[p, kk] goutT[p][o]
//                (ConvGradWeight: channels as lanes, input broadcast from
//                the padded planes, grad_output transposed by 16 x 16
//                register blocks; no horizontal sums). Small (first layer):
//                lane-wise dot products over pixels (ConvGradWeightLanes),
//                reduced once per call.
//   grad_bias    the grad_weight of one more row of B: a row (or padded
//                plane) of ones.
// Measured on the 2-core AVX-512 dev machine against libtorch 1.13 (oneDNN)
// and the previous kernels (explicit im2col, per-image GEMMs with scalar
// tails, per-image dot products for grad_weight): see benchmarks/README.md.
//
// Note [Conv2d threading]
// The batch is split into one contiguous range of images per thread
// (ParallelFor over GetNumThreads() ranges); each thread uses its own
// scratch, and grad_weight / grad_bias are accumulated per range and summed
// in range order, so results are deterministic for a given thread count.
// When the batch is smaller than the thread count, images run in sequence
// and the work inside each is split instead (output rows or pixel chunks,
// rows of grad_weight, output channels of the lane-wise sums), which does
// not change any sum's order.

// clang-format off
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "torch/kernels/cpu/conv_gemm-inl.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "torch/kernels/cpu/conv_gemm-inl.h"
// clang-format on

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "torch/core/dispatch.h"
#include "torch/core/nn_ops.h"
#include "torch/core/ops.h"
#include "torch/core/parallel.h"
#include "torch/kernels/cpu/conv_util.h"

namespace tch::cpu {

HWY_EXPORT(ConvGemm);
HWY_EXPORT(ConvGradWeight);
HWY_EXPORT(ConvGradWeightLanes);
HWY_EXPORT(ConvBuildRows);
HWY_EXPORT(ConvPad);
HWY_EXPORT(ConvDirect);
HWY_EXPORT(ConvTransposeIn);

namespace {

constexpr int64_t kPanel = 8;   // rows per packed A panel (conv_gemm-inl.h)
constexpr int64_t kSlack = 16;  // floats ConvGemm may read past a B row
// Largest og * K (lane-wise partial sums of 64 bytes each) for which
// grad_weight takes ConvGradWeightLanes.
constexpr int64_t kLanesPathMaxEntries = 2048;

// Smallest K (taps x input channels) for the direct kernels: below it the
// transpose of the output costs more than what they save.
constexpr int64_t kDirectMinK = 64;

// Scratch slots (see Scratch in conv_util.h).
enum Slot {
  kRowsSlot,
  kTableSlot,
  kGoutTSlot,
  kGradRowsSlot,
  kGradTableSlot,
  kPadSlot
};

// n floats, 64-byte aligned.
class AlignedFloats {
 public:
  explicit AlignedFloats(int64_t n = 0)
      : storage_(static_cast<size_t>(n + 16), 0.0f) {}
  float* data() {
    const auto addr = reinterpret_cast<uintptr_t>(storage_.data());
    return reinterpret_cast<float*>((addr + 63) / 64 * 64);
  }
  const float* data() const { return const_cast<AlignedFloats*>(this)->data(); }

 private:
  std::vector<float> storage_;
};

int64_t RoundUp(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// A [m][k] with A(i, kk) = a(i, kk), packed into panels of kPanel rows,
// element (i, kk) at [(i / kPanel) * k * kPanel + kk * kPanel + i % kPanel];
// rows past m are zero.
template <class F>
std::vector<float> PackPanels(int64_t m, int64_t k, const F& a) {
  const int64_t panels = (m + kPanel - 1) / kPanel;
  std::vector<float> out(static_cast<size_t>(panels * k * kPanel), 0.0f);
  for (int64_t i = 0; i < m; ++i) {
    float* dst = out.data() + (i / kPanel) * k * kPanel + i % kPanel;
    for (int64_t kk = 0; kk < k; ++kk) dst[kk * kPanel] = a(i, kk);
  }
  return out;
}

int64_t ConvRowsSize(const ConvRows& r) {
  const int64_t kernel_rows = r.stride_h == 1 ? 1 : r.kh;
  const int64_t height =
      r.stride_h == 1 ? r.dst_h + (r.kh - 1) * r.dil_h : r.dst_h;
  return r.kw * kernel_rows * r.channels * height * r.dst_w + kSlack;
}

// B of the forward pass and of grad_weight: the input's rows.
ConvRows InputRows(const Conv2dGeometry& g) {
  return {g.in_channels / g.groups,
          g.in_h,
          g.in_w,
          g.out_h,
          g.out_w,
          g.kernel_h,
          g.kernel_w,
          g.stride_h,
          g.stride_w,
          g.pad_h,
          g.pad_w,
          g.dilation_h,
          g.dilation_w};
}

// grad_input as a convolution of grad_output (stride 1 only).
bool GradInputIsConv(const Conv2dGeometry& g) {
  return g.stride_h == 1 && g.stride_w == 1 &&
         g.pad_h <= g.dilation_h * (g.kernel_h - 1) &&
         g.pad_w <= g.dilation_w * (g.kernel_w - 1);
}

ConvRows GradOutputRows(const Conv2dGeometry& g) {
  return {g.out_channels / g.groups,
          g.out_h,
          g.out_w,
          g.in_h,
          g.in_w,
          g.kernel_h,
          g.kernel_w,
          1,
          1,
          g.dilation_h * (g.kernel_h - 1) - g.pad_h,
          g.dilation_w * (g.kernel_w - 1) - g.pad_w,
          g.dilation_h,
          g.dilation_w};
}

// Builds the B rows of `r` from src into this thread's scratch. The table
// has one more entry, rows[K], for the caller (see kOnesRow).
const float** BuildRows(const ConvRows& r, const float* src, Slot buf_slot,
                        Slot table_slot) {
  float* buf = Scratch<float>(buf_slot, ConvRowsSize(r));
  const float** table =
      Scratch<const float*>(table_slot, r.channels * r.kh * r.kw + 1);
  HWY_DYNAMIC_DISPATCH(ConvBuildRows)(r, src, buf, table);
  return table;
}

// Pulls the next image's planes toward L2 while this one is computed
// (`write`: the lines it will store to, fetched for ownership ahead of time,
// so the GEMM's stores do not stall on misses).
void Prefetch(const float* p, int64_t n, bool write = false) {
  for (int64_t i = 0; i < n; i += 16) {
    if (write) {
      __builtin_prefetch(p + i, 1, 2);
    } else {
      __builtin_prefetch(p + i, 0, 2);
    }
  }
}

// Pixels per ParallelFor chunk of one image's GEMM: a multiple of every
// target's strip (3 vectors).
constexpr int64_t kPixelChunk = 96;

// C[m][p] over [0, pixels), split over the pool when `split`.
void Gemm(bool split, int64_t m, int64_t pixels, int64_t k, const float* ap,
          const float* const* rows, const float* bias, float* c) {
  if (!split) {
    HWY_DYNAMIC_DISPATCH(ConvGemm)(m, 0, pixels, k, ap, rows, bias, c, pixels);
    return;
  }
  const int64_t chunks = (pixels + kPixelChunk - 1) / kPixelChunk;
  const int64_t grain =
      std::max<int64_t>(1, (int64_t{1} << 20) / (m * k * kPixelChunk + 1));
  ParallelFor(0, chunks, grain, [&](int64_t lo, int64_t hi) {
    HWY_DYNAMIC_DISPATCH(ConvGemm)
    (m, lo * kPixelChunk, std::min(pixels, hi * kPixelChunk), k, ap, rows, bias,
     c, pixels);
  });
}

// One convolution of an image's planes, with everything that depends only
// on the weights prepared once per call:
//   dst[m][p] = bias[m] + sum_kk a(m, kk) B_kk[p], kk = (c*kh + i)*kw + j,
// B the (implicit) im2col matrix of `rows`. Direct kernels (channels as
// lanes) for K >= kDirectMinK, else ConvGemm (pixels as lanes).
class ConvPass {
 public:
  template <class F>
  ConvPass(const ConvRows& rows, int64_t m, const F& a, const float* bias)
      : rows_(rows),
        m_(m),
        k_(rows.channels * rows.kh * rows.kw),
        pixels_(rows.dst_h * rows.dst_w),
        direct_(k_ >= kDirectMinK),
        bias_(bias) {
    if (!direct_) {
      panels_ = PackPanels(m, k_, a);
      return;
    }
    ld_ = RoundUp(m, 16);
    wt_ = AlignedFloats(k_ * ld_);
    float* wt = wt_.data();
    for (int64_t kk = 0; kk < k_; ++kk) {
      for (int64_t o = 0; o < m; ++o) wt[kk * ld_ + o] = a(o, kk);
    }
    if (bias != nullptr) {
      padded_bias_ = AlignedFloats(ld_);
      std::copy(bias, bias + m, padded_bias_.data());
    }
    const int64_t hp = PaddedHeight(rows), wp = PaddedWidth(rows);
    for (int64_t c = 0; c < rows.channels; ++c) {
      for (int64_t i = 0; i < rows.kh; ++i) {
        for (int64_t j = 0; j < rows.kw; ++j) {
          off_.push_back(c * hp * wp + i * rows.dil_h * wp + j * rows.dil_w);
        }
      }
    }
  }

  // src: the source planes of one image (and group); dst: m planes.
  // split: share the work with the pool (batch smaller than thread count).
  void Run(const float* src, float* dst, bool split) const {
    if (!direct_) {
      const float* const* table = BuildRows(rows_, src, kRowsSlot, kTableSlot);
      Gemm(split, m_, pixels_, k_, panels_.data(), table, bias_, dst);
      return;
    }
    const int64_t hp = PaddedHeight(rows_), wp = PaddedWidth(rows_);
    float* xp = Scratch<float>(kPadSlot, rows_.channels * hp * wp + kSlack);
    HWY_DYNAMIC_DISPATCH(ConvPad)(rows_, src, xp);
    const float* bias = bias_ != nullptr ? padded_bias_.data() : nullptr;
    const auto rows = [&](int64_t y0, int64_t y1) {
      HWY_DYNAMIC_DISPATCH(ConvDirect)
      (rows_, m_, xp, off_.data(), k_, wt_.data(), ld_, bias, dst, y0, y1);
    };
    if (!split) {
      rows(0, rows_.dst_h);
      return;
    }
    const int64_t row_work = rows_.dst_w * k_ * ld_;
    ParallelFor(0, rows_.dst_h,
                std::max<int64_t>(1, (int64_t{1} << 20) / (row_work + 1)),
                rows);
  }

 private:
  ConvRows rows_;
  int64_t m_, k_, pixels_;
  bool direct_;
  const float* bias_;
  std::vector<float> panels_;  // ConvGemm's A
  int64_t ld_ = 0;             // direct: channels rounded up to 16
  AlignedFloats wt_, padded_bias_;
  std::vector<int64_t> off_;  // direct: tap offsets in the padded planes
};

// Runs fn(image_begin, image_end, range, split) over the batch: one range
// per thread, or (batch smaller than the thread count) one range whose work
// is split inside (see Note [Conv2d threading]).
template <class Fn>
void ForEachRange(int64_t batch, int64_t ranges, const Fn& fn) {
  if (ranges <= 1) {
    fn(int64_t{0}, batch, int64_t{0},
       !InParallelRegion() && GetNumThreads() > 1);
    return;
  }
  ParallelFor(0, ranges, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      fn(batch * r / ranges, batch * (r + 1) / ranges, r, false);
    }
  });
}

// --- Forward
// ----------------------------------------------------------------------

void Conv2dForwardF32(const Conv2dPlan& plan) {
  const Conv2dGeometry& g = plan.g;
  const float* in = plan.input.data_ptr<float>();
  const float* w = plan.weight.data_ptr<float>();
  const float* b = plan.bias.defined() ? plan.bias.data_ptr<float>() : nullptr;
  float* out = plan.output.data_ptr<float>();
  const int64_t cg = g.in_channels / g.groups, og = g.out_channels / g.groups;
  const int64_t k = cg * g.kernel_h * g.kernel_w, p = g.out_h * g.out_w;
  const int64_t in_plane = g.in_h * g.in_w;
  std::vector<ConvPass> passes;
  for (int64_t grp = 0; grp < g.groups; ++grp) {
    const float* wg = w + grp * og * k;
    passes.emplace_back(
        InputRows(g), og, [&](int64_t o, int64_t kk) { return wg[o * k + kk]; },
        b != nullptr ? b + grp * og : nullptr);
  }
  ForEachRange(g.batch, SampleRanges(g.batch),
               [&](int64_t n0, int64_t n1, int64_t, bool split) {
                 for (int64_t n = n0; n < n1; ++n) {
                   if (n + 1 < n1) {
                     Prefetch(in + (n + 1) * g.in_channels * in_plane,
                              g.in_channels * in_plane);
                     Prefetch(out + (n + 1) * g.out_channels * p,
                              g.out_channels * p, /*write=*/true);
                   }
                   for (int64_t grp = 0; grp < g.groups; ++grp) {
                     passes[grp].Run(
                         in + (n * g.in_channels + grp * cg) * in_plane,
                         out + (n * g.out_channels + grp * og) * p, split);
                   }
                 }
               });
}

// --- Backward
// ---------------------------------------------------------------------

// grad_weight (and grad_bias) from one image and group, into one range's
// partial sums: lane-wise dot products over pixels for small og * K
// (ConvGradWeightLanes: no transpose, the sums stay lane-wise for the whole
// batch), else outer products with output channels as lanes
// (ConvGradWeight). grad_bias is the weight gradient of one more row of B
// (row K): a row, or padded plane, of ones.
class GradWeightStep {
 public:
  GradWeightStep(const ConvRows& rows, int64_t og, bool bias)
      : rows_(rows),
        og_(og),
        k_(rows.channels * rows.kh * rows.kw),
        n_(k_ + (bias ? 1 : 0)),
        pixels_(rows.dst_h * rows.dst_w),
        ld_(RoundUp(og, 16)),
        bias_(bias),
        lanes_(og * n_ <= kLanesPathMaxEntries) {
    if (lanes_) {
      if (bias) ones_.assign(static_cast<size_t>(pixels_ + kSlack), 1.0f);
      return;
    }
    const int64_t hp = PaddedHeight(rows), wp = PaddedWidth(rows);
    for (int64_t c = 0; c < rows.channels; ++c) {
      for (int64_t i = 0; i < rows.kh; ++i) {
        for (int64_t j = 0; j < rows.kw; ++j) {
          off_.push_back(c * hp * wp + i * rows.dil_h * wp + j * rows.dil_w);
        }
      }
    }
    if (bias) off_.push_back(rows.channels * hp * wp);  // the ones plane
  }

  // src: the image's input planes (of the group); gout: its grad_output
  // planes; acc: this range's partial sums of the group (size()).
  void operator()(bool split, const float* src, const float* gout,
                  float* acc) const {
    if (lanes_) {
      const float** table = BuildRows(rows_, src, kRowsSlot, kTableSlot);
      if (bias_) table[k_] = ones_.data();
      if (!split) {
        HWY_DYNAMIC_DISPATCH(ConvGradWeightLanes)
        (og_, n_, pixels_, gout, table, acc);
        return;
      }
      ParallelFor(0, og_, 1, [&](int64_t lo, int64_t hi) {
        HWY_DYNAMIC_DISPATCH(ConvGradWeightLanes)
        (hi - lo, n_, pixels_, gout + lo * pixels_, table, acc + lo * n_ * 16);
      });
      return;
    }
    const int64_t plane = PaddedHeight(rows_) * PaddedWidth(rows_);
    float* xp = Scratch<float>(kPadSlot, (rows_.channels + 1) * plane + kSlack);
    HWY_DYNAMIC_DISPATCH(ConvPad)(rows_, src, xp);
    if (bias_) {
      std::fill(xp + rows_.channels * plane, xp + (rows_.channels + 1) * plane,
                1.0f);
    }
    float* gt = Scratch<float>(kGoutTSlot, pixels_ * ld_);
    HWY_DYNAMIC_DISPATCH(ConvTransposeIn)(gout, og_, pixels_, ld_, gt);
    if (!split) {
      HWY_DYNAMIC_DISPATCH(ConvGradWeight)
      (rows_, 0, n_, xp, off_.data(), gt, ld_, acc);
      return;
    }
    constexpr int64_t kRowChunk = 12;  // a multiple of every tile's rows
    ParallelFor(0, (n_ + kRowChunk - 1) / kRowChunk, 1,
                [&](int64_t lo, int64_t hi) {
                  HWY_DYNAMIC_DISPATCH(ConvGradWeight)
                  (rows_, lo * kRowChunk, std::min(n_, hi * kRowChunk), xp,
                   off_.data(), gt, ld_, acc);
                });
  }

  // Rows of B (K, plus the row of ones), and floats of one group's sums.
  int64_t rows() const { return n_; }
  int64_t size() const { return lanes_ ? og_ * n_ * 16 : n_ * ld_; }
  // The partial sum of (o, kk) in one group's block.
  float Get(const float* part, int64_t o, int64_t kk) const {
    if (!lanes_) return part[kk * ld_ + o];
    const float* v = part + (o * n_ + kk) * 16;
    float sum = 0;
    for (int l = 0; l < 16; ++l) sum += v[l];
    return sum;
  }

 private:
  ConvRows rows_;
  int64_t og_, k_, n_, pixels_, ld_;
  bool bias_, lanes_;
  std::vector<float> ones_;   // lanes path: the row of ones
  std::vector<int64_t> off_;  // tap offsets in the padded planes
};

void Conv2dBackwardF32(const Conv2dBackwardPlan& plan) {
  const Conv2dGeometry& g = plan.g;
  const float* gout = plan.grad_output.data_ptr<float>();
  const float* in = plan.input.data_ptr<float>();
  const float* w = plan.weight.data_ptr<float>();
  float* gin =
      plan.grad_input.defined() ? plan.grad_input.data_ptr<float>() : nullptr;
  float* gw =
      plan.grad_weight.defined() ? plan.grad_weight.data_ptr<float>() : nullptr;
  float* gb =
      plan.grad_bias.defined() ? plan.grad_bias.data_ptr<float>() : nullptr;
  const int64_t cg = g.in_channels / g.groups, og = g.out_channels / g.groups;
  const int64_t khw = g.kernel_h * g.kernel_w;
  const int64_t k = cg * khw, p = g.out_h * g.out_w;
  const int64_t in_plane = g.in_h * g.in_w;
  if (gw == nullptr || k == 0) {
    // grad_bias on its own; with grad_weight it comes from the row of ones.
    if (gb != nullptr) BiasGrad(g, gout, gb);
    gb = nullptr;
    if (gin == nullptr || k == 0) return;
  }
  const bool gin_conv = GradInputIsConv(g);

  std::vector<ConvPass> gin_passes;        // grad_input as a convolution
  std::vector<std::vector<float>> packed;  // or as GEMM + col2im
  if (gin != nullptr) {
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      const float* wg = w + grp * og * k;
      if (gin_conv) {
        // a(c, (o, i, j)) = W[o][c][kh-1-i][kw-1-j].
        gin_passes.emplace_back(
            GradOutputRows(g), cg,
            [&](int64_t c, int64_t kk) {
              const int64_t o = kk / khw, ij = kk % khw;
              return wg[(o * cg + c) * khw + (khw - 1 - ij)];
            },
            nullptr);
      } else {
        // A[(c, i, j)][o] = W[o][(c, i, j)].
        packed.push_back(PackPanels(
            k, og, [&](int64_t kk, int64_t o) { return wg[o * k + kk]; }));
      }
    }
  }
  const ConvRows in_rows = InputRows(g);
  const int64_t ranges = SampleRanges(g.batch);
  const GradWeightStep step(in_rows, og, gb != nullptr);
  const int64_t gw_rows = step.rows();
  const int64_t group_size = step.size();
  std::vector<float> parts(gw != nullptr ? ranges * g.groups * group_size : 0,
                           0.0f);
  ForEachRange(
      g.batch, ranges, [&](int64_t n0, int64_t n1, int64_t r, bool split) {
        for (int64_t n = n0; n < n1; ++n) {
          if (n + 1 < n1) {
            if (gw != nullptr) {
              Prefetch(in + (n + 1) * g.in_channels * in_plane,
                       g.in_channels * in_plane);
            }
            Prefetch(gout + (n + 1) * g.out_channels * p, g.out_channels * p);
          }
          for (int64_t grp = 0; grp < g.groups; ++grp) {
            const float* gout_g = gout + (n * g.out_channels + grp * og) * p;
            const int64_t in_off = (n * g.in_channels + grp * cg) * in_plane;
            if (gw != nullptr) {
              step(split, in + in_off, gout_g,
                   parts.data() + (r * g.groups + grp) * group_size);
            }
            if (gin != nullptr) {
              if (gin_conv) {
                gin_passes[grp].Run(gout_g, gin + in_off, split);
              } else {
                const float* ap = packed[grp].data();
                // col[(c, i, j)][q] = sum_o W[o][(c, i, j)] gout[o][q], then
                // scattered back by col2im. B rows: grad_output's rows, copied
                // to leave ConvGemm its slack.
                float* rows_buf =
                    Scratch<float>(kGradRowsSlot, og * p + kSlack);
                std::memcpy(rows_buf, gout_g, og * p * sizeof(float));
                std::fill(rows_buf + og * p, rows_buf + og * p + kSlack, 0.0f);
                const float** table = Scratch<const float*>(kGradTableSlot, og);
                for (int64_t o = 0; o < og; ++o) table[o] = rows_buf + o * p;
                float* col = Scratch<float>(kRowsSlot, k * p);
                Gemm(split, k, p, og, ap, table, nullptr, col);
                std::fill(gin + in_off, gin + in_off + cg * in_plane, 0.0f);
                Col2Im(g, cg, col, gin + in_off);
              }
            }
          }
        }
      });
  if (gw == nullptr) return;
  // Partial sums in range order: deterministic for a given thread count.
  for (int64_t grp = 0; grp < g.groups; ++grp) {
    for (int64_t o = 0; o < og; ++o) {
      for (int64_t kk = 0; kk < gw_rows; ++kk) {
        float sum = 0;
        for (int64_t rr = 0; rr < ranges; ++rr) {
          sum += step.Get(parts.data() + (rr * g.groups + grp) * group_size, o,
                          kk);
        }
        if (kk < k) {
          gw[(grp * og + o) * k + kk] = sum;
        } else {
          gb[grp * og + o] = sum;
        }
      }
    }
  }
}

// --- float16 / bfloat16: convert to float32, run the float kernel, convert
// back.

void Conv2dForwardReduced(const Conv2dPlan& plan) {
  Conv2dPlan f = plan;
  f.input = plan.input.to(DType::kFloat32);
  f.weight = plan.weight.to(DType::kFloat32);
  if (plan.bias.defined()) f.bias = plan.bias.to(DType::kFloat32);
  f.output = empty(plan.output.sizes(), DType::kFloat32);
  Conv2dForwardF32(f);
  Tensor out = plan.output;
  out.copy_(f.output);
}

void Conv2dBackwardReduced(const Conv2dBackwardPlan& plan) {
  Conv2dBackwardPlan f = plan;
  f.grad_output = plan.grad_output.to(DType::kFloat32);
  f.input = plan.input.to(DType::kFloat32);
  f.weight = plan.weight.to(DType::kFloat32);
  for (Tensor* t : {&f.grad_input, &f.grad_weight, &f.grad_bias}) {
    if (t->defined()) *t = empty(t->sizes(), DType::kFloat32);
  }
  Conv2dBackwardF32(f);
  const std::pair<Tensor, Tensor> outs[] = {{plan.grad_input, f.grad_input},
                                            {plan.grad_weight, f.grad_weight},
                                            {plan.grad_bias, f.grad_bias}};
  for (auto [dst, src] : outs) {
    if (dst.defined()) dst.copy_(src);
  }
}

// --- Registration
// ----------------------------------------------------------------

const KernelRegistrar kConv2dF32("conv2d", DeviceType::kCpu, {DType::kFloat32},
                                 &Conv2dForwardF32);
const KernelRegistrar kConv2dF16("conv2d", DeviceType::kCpu, {DType::kFloat16},
                                 &Conv2dForwardReduced);
const KernelRegistrar kConv2dBF16("conv2d", DeviceType::kCpu,
                                  {DType::kBFloat16}, &Conv2dForwardReduced);
const KernelRegistrar kConv2dBwdF32("conv2d_backward", DeviceType::kCpu,
                                    {DType::kFloat32}, &Conv2dBackwardF32);
const KernelRegistrar kConv2dBwdF16("conv2d_backward", DeviceType::kCpu,
                                    {DType::kFloat16}, &Conv2dBackwardReduced);
const KernelRegistrar kConv2dBwdBF16("conv2d_backward", DeviceType::kCpu,
                                     {DType::kBFloat16},
                                     &Conv2dBackwardReduced);

}  // namespace
}  // namespace tch::cpu
