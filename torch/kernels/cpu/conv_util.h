// File: torch/kernels/cpu/conv_util.h
//
// Helpers shared by the conv2d kernels of conv_kernels.cc (float32) and
// conv_f64.cc (float64); internal to //torch/kernels/cpu:nn.
//   Scratch<T>(slot, n)  per-thread buffer that only grows (64-byte aligned)
//   SampleRanges(batch)  ranges of images to split the batch into
//   BlockSum, BiasGrad   grad_bias (sums of grad_output planes)
//   Im2Col, Col2Im       explicit im2col and its adjoint
// Nothing here throws. Example:
//   float* col = Scratch<float>(0, k * pixels);
//   Im2Col(g, channels, input_plane, col);
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "torch/core/nn_ops.h"
#include "torch/core/parallel.h"

namespace tch::cpu {

// A per-thread buffer of at least n elements for each (T, slot); steady-state
// calls never allocate. 64-byte aligned so vector loads stay in cache lines.
template <typename T>
T* Scratch(int slot, int64_t n) {
  constexpr int64_t kAlign = 64;
  constexpr int kSlots = 8;
  thread_local std::vector<T> buffers[kSlots];
  std::vector<T>& buffer = buffers[slot];
  const int64_t padded = n + kAlign / static_cast<int64_t>(sizeof(T));
  if (static_cast<int64_t>(buffer.size()) < padded) {
    buffer.clear();
    buffer.shrink_to_fit();
    buffer.resize(static_cast<size_t>(padded));
  }
  const auto addr = reinterpret_cast<uintptr_t>(buffer.data());
  return reinterpret_cast<T*>((addr + kAlign - 1) / kAlign * kAlign);
}

// One range per thread when the batch can feed every thread, else 1 (the
// kernels then split the work inside each image).
inline int64_t SampleRanges(int64_t batch) {
  const int64_t threads = InParallelRegion() ? 1 : GetNumThreads();
  return batch >= threads ? threads : 1;
}

// Sum of n values with 16 independent partial sums (vectorizable, and not
// bound by the latency of one serial add chain).
template <typename T>
T BlockSum(const T* x, int64_t n) {
  constexpr int kLanes = 16;
  T part[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) part[l] += x[i + l];
  }
  T sum = 0;
  for (int l = 0; l < kLanes; ++l) sum += part[l];
  for (; i < n; ++i) sum += x[i];
  return sum;
}

// gb[o] = sum over images and pixels of gout[n][o][...].
template <typename T>
void BiasGrad(const Conv2dGeometry& g, const T* gout, T* gb) {
  const int64_t p = g.out_h * g.out_w;
  ParallelFor(0, g.out_channels,
              std::max<int64_t>(1, 32768 / (g.batch * p + 1)),
              [&](int64_t lo, int64_t hi) {
                for (int64_t o = lo; o < hi; ++o) {
                  T sum = 0;
                  for (int64_t n = 0; n < g.batch; ++n) {
                    sum += BlockSum(gout + (n * g.out_channels + o) * p, p);
                  }
                  gb[o] = sum;
                }
              });
}

// The output columns [lo, hi) of kernel column j whose input column lies
// inside [0, in_w).
inline void ValidColumns(const Conv2dGeometry& g, int64_t j, int64_t& lo,
                         int64_t& hi) {
  const int64_t w_off = j * g.dilation_w - g.pad_w;
  lo = w_off >= 0 ? 0 : (-w_off + g.stride_w - 1) / g.stride_w;
  hi = g.in_w - w_off <= 0 ? 0 : (g.in_w - w_off + g.stride_w - 1) / g.stride_w;
  lo = std::min(lo, g.out_w);
  hi = std::clamp(hi, lo, g.out_w);
}

// col[(c*kh + i)*kw + j][oh*OW + ow] = in[c][oh*sh - ph + i*dh][ow*sw - pw +
// j*dw] (zero outside the image), for the `channels` channels starting at `in`.
template <typename T>
void Im2Col(const Conv2dGeometry& g, int64_t channels, const T* in, T* col) {
  const int64_t oh_n = g.out_h, ow_n = g.out_w, plane = g.in_h * g.in_w;
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t i = 0; i < g.kernel_h; ++i) {
      for (int64_t j = 0; j < g.kernel_w; ++j) {
        T* row = col + ((c * g.kernel_h + i) * g.kernel_w + j) * oh_n * ow_n;
        const int64_t w_off = j * g.dilation_w - g.pad_w;
        int64_t lo, hi;
        ValidColumns(g, j, lo, hi);
        for (int64_t oh = 0; oh < oh_n; ++oh) {
          T* dst = row + oh * ow_n;
          const int64_t ih = oh * g.stride_h - g.pad_h + i * g.dilation_h;
          if (ih < 0 || ih >= g.in_h) {
            std::fill(dst, dst + ow_n, T(0));
            continue;
          }
          const T* src = in + c * plane + ih * g.in_w + w_off;
          std::fill(dst, dst + lo, T(0));
          if (g.stride_w == 1) {
            std::memcpy(dst + lo, src + lo, (hi - lo) * sizeof(T));
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * g.stride_w];
          }
          std::fill(dst + hi, dst + ow_n, T(0));
        }
      }
    }
  }
}

// dst[i] += src[i]; the arrays never overlap (vectorizes).
// Blocks of 8 so that -O2's cheap vectorizer takes the fixed-size inner loop.
template <typename T>
void AddRow(T* __restrict dst, const T* __restrict src, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int l = 0; l < 8; ++l) dst[i + l] += src[i + l];
  }
  for (; i < n; ++i) dst[i] += src[i];
}

// The adjoint of Im2Col: in[...] += col[...] (in must start zeroed).
template <typename T>
void Col2Im(const Conv2dGeometry& g, int64_t channels, const T* col, T* in) {
  const int64_t oh_n = g.out_h, ow_n = g.out_w, plane = g.in_h * g.in_w;
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t i = 0; i < g.kernel_h; ++i) {
      for (int64_t j = 0; j < g.kernel_w; ++j) {
        const T* row =
            col + ((c * g.kernel_h + i) * g.kernel_w + j) * oh_n * ow_n;
        const int64_t w_off = j * g.dilation_w - g.pad_w;
        int64_t lo, hi;
        ValidColumns(g, j, lo, hi);
        for (int64_t oh = 0; oh < oh_n; ++oh) {
          const int64_t ih = oh * g.stride_h - g.pad_h + i * g.dilation_h;
          if (ih < 0 || ih >= g.in_h) continue;
          const T* src = row + oh * ow_n;
          T* dst = in + c * plane + ih * g.in_w + w_off;
          if (g.stride_w == 1) {
            AddRow(dst + lo, src + lo, hi - lo);
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) {
              dst[ow * g.stride_w] += src[ow];
            }
          }
        }
      }
    }
  }
}

}  // namespace tch::cpu
