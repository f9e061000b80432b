// The float32 conv2d kernels (conv_kernels.cc: direct, GEMM and lane-wise
// paths, whole-batch and split-image threading) against a plain loop
// reference computed here in double precision from the definition of the
// convolution, over geometries chosen to reach every path: K below and above
// the direct threshold, og * K below and above the lane-wise grad_weight
// threshold, odd channel counts, rows wider than one register tile, strides,
// dilations, asymmetric padding, groups, and batches smaller than the thread
// count. Also: results are bit-identical run to run for a thread count.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "torch/core/index_ops.h"
#include "torch/core/nn_ops.h"
#include "torch/core/ops.h"
#include "torch/core/parallel.h"
#include "torch/core/reduce_ops.h"
#include "torch/testing/tensor_matchers.h"

namespace tch {
namespace {

using ::tch::testing::TensorsClose;
using ::tch::testing::TensorsEqual;

struct Geo {
  int64_t n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups;
};

std::string Name(const Geo& g) {
  return "n" + std::to_string(g.n) + " c" + std::to_string(g.c) + " " +
         std::to_string(g.h) + "x" + std::to_string(g.w) + " o" +
         std::to_string(g.o) + " k" + std::to_string(g.kh) + "x" +
         std::to_string(g.kw) + " s" + std::to_string(g.sh) + "," +
         std::to_string(g.sw) + " p" + std::to_string(g.ph) + "," +
         std::to_string(g.pw) + " d" + std::to_string(g.dh) + "," +
         std::to_string(g.dw) + " g" + std::to_string(g.groups);
}

int64_t OutSize(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
  return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

// Deterministic values in [-1, 1).
std::vector<float> Values(int64_t n, uint32_t seed) {
  std::vector<float> v(static_cast<size_t>(n));
  uint32_t x = seed * 2654435761u + 1;
  for (float& e : v) {
    x = x * 1664525u + 1013904223u;
    e = static_cast<float>(x >> 8) / static_cast<float>(1 << 23) - 1.0f;
  }
  return v;
}

struct Reference {
  std::vector<double> y, gx, gw, gb;
};

// The definition: y[n][o][oy][ox] = b[o] + sum_{c in o's group, i, j}
// x[n][c][oy*sh - ph + i*dh][ox*sw - pw + j*dw] w[o][c'][i][j], and its
// gradients for the upstream gradient gy.
Reference Reference2d(const Geo& g, const std::vector<float>& x,
                      const std::vector<float>& w, const std::vector<float>& b,
                      const std::vector<float>& gy) {
  const int64_t oh = OutSize(g.h, g.kh, g.sh, g.ph, g.dh);
  const int64_t ow = OutSize(g.w, g.kw, g.sw, g.pw, g.dw);
  const int64_t cg = g.c / g.groups, og = g.o / g.groups;
  Reference r;
  r.y.assign(static_cast<size_t>(g.n * g.o * oh * ow), 0.0);
  r.gx.assign(x.size(), 0.0);
  r.gw.assign(w.size(), 0.0);
  r.gb.assign(static_cast<size_t>(g.o), 0.0);
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t o = 0; o < g.o; ++o) {
      const int64_t grp = o / og;
      for (int64_t y = 0; y < oh; ++y) {
        for (int64_t xo = 0; xo < ow; ++xo) {
          const int64_t yi = ((n * g.o + o) * oh + y) * ow + xo;
          double acc = b[o];
          const double up = gy[yi];
          r.gb[o] += up;
          for (int64_t cc = 0; cc < cg; ++cc) {
            const int64_t c = grp * cg + cc;
            for (int64_t i = 0; i < g.kh; ++i) {
              const int64_t iy = y * g.sh - g.ph + i * g.dh;
              if (iy < 0 || iy >= g.h) continue;
              for (int64_t j = 0; j < g.kw; ++j) {
                const int64_t ix = xo * g.sw - g.pw + j * g.dw;
                if (ix < 0 || ix >= g.w) continue;
                const int64_t xi = ((n * g.c + c) * g.h + iy) * g.w + ix;
                const int64_t wi = ((o * cg + cc) * g.kh + i) * g.kw + j;
                acc += static_cast<double>(x[xi]) * w[wi];
                r.gx[xi] += up * w[wi];
                r.gw[wi] += up * x[xi];
              }
            }
          }
          r.y[yi] = acc;
        }
      }
    }
  }
  return r;
}

Tensor FromDoubles(const std::vector<double>& v, Shape shape) {
  std::vector<float> f(v.begin(), v.end());
  return from_vector(f, shape);
}

// Tolerance relative to the largest reference value: float32 sums of up to
// a few thousand products.
void ExpectNear(const Tensor& actual, const std::vector<double>& ref,
                Shape shape, const char* what) {
  double scale = 1e-3;
  for (double v : ref) scale = std::max(scale, std::fabs(v));
  EXPECT_TRUE(TensorsClose(actual, FromDoubles(ref, shape), 0.0, 2e-5 * scale))
      << what;
}

class ConvKernelsTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    saved_ = GetNumThreads();
    SetNumThreads(GetParam());
  }
  void TearDown() override { SetNumThreads(saved_); }

 private:
  int saved_ = 1;
};

std::vector<Geo> Geometries() {
  return {
      // The CNN's layers (batch cut down): GEMM + lane-wise paths, then
      // direct + transposed grad_weight paths.
      {4, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1},
      {3, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1},
      // Batch 1 (split inside the image), odd channel counts, 20 channels
      // (a partial second vector), wide rows (several tiles per row).
      {1, 9, 13, 37, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1},
      {2, 7, 9, 30, 33, 5, 5, 1, 1, 2, 2, 1, 1, 1},
      // Strides (grad_input through GEMM + col2im), dilation, asymmetric
      // padding (pad > dilation * (k - 1) on one side), groups.
      {3, 8, 11, 12, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1},
      {2, 12, 10, 17, 18, 3, 3, 1, 3, 0, 2, 1, 1, 2},
      {2, 16, 12, 12, 24, 3, 3, 1, 1, 2, 2, 2, 2, 1},
      {1, 10, 8, 9, 10, 2, 4, 1, 1, 2, 0, 1, 1, 1},
      {2, 8, 7, 7, 8, 3, 3, 1, 1, 3, 3, 1, 1, 4},
      // 1x1 (pointwise), and K = 64 exactly at the direct threshold.
      {2, 70, 5, 6, 17, 1, 1, 1, 1, 0, 0, 1, 1, 1},
      {2, 16, 6, 6, 5, 2, 2, 1, 1, 0, 0, 1, 1, 1},
  };
}

TEST_P(ConvKernelsTest, MatchesDefinition) {
  uint32_t seed = 1;
  for (const Geo& g : Geometries()) {
    SCOPED_TRACE(Name(g));
    const int64_t oh = OutSize(g.h, g.kh, g.sh, g.ph, g.dh);
    const int64_t ow = OutSize(g.w, g.kw, g.sw, g.pw, g.dw);
    const Shape xs{g.n, g.c, g.h, g.w}, ws{g.o, g.c / g.groups, g.kh, g.kw};
    const Shape ys{g.n, g.o, oh, ow};
    const std::vector<float> xv = Values(NumElements(xs), seed++);
    const std::vector<float> wv = Values(NumElements(ws), seed++);
    const std::vector<float> bv = Values(g.o, seed++);
    const std::vector<float> gyv = Values(NumElements(ys), seed++);
    const Reference ref = Reference2d(g, xv, wv, bv, gyv);
    const Tensor x = from_vector(xv, xs), w = from_vector(wv, ws);
    const Tensor b = from_vector(bv, {g.o}), gy = from_vector(gyv, ys);
    const Tensor y =
        conv2d(x, w, b, {g.sh, g.sw}, {g.ph, g.pw}, {g.dh, g.dw}, g.groups);
    ExpectNear(y, ref.y, ys, "output");
    const Conv2dGrads gr =
        conv2d_backward(gy, x, w, {g.sh, g.sw}, {g.ph, g.pw}, {g.dh, g.dw},
                        g.groups, {true, true, true});
    ExpectNear(gr.grad_input, ref.gx, xs, "grad_input");
    ExpectNear(gr.grad_weight, ref.gw, ws, "grad_weight");
    ExpectNear(gr.grad_bias, ref.gb, {g.o}, "grad_bias");
    // Each gradient alone takes other branches (bias without weights).
    const Conv2dGrads gb =
        conv2d_backward(gy, x, w, {g.sh, g.sw}, {g.ph, g.pw}, {g.dh, g.dw},
                        g.groups, {true, false, true});
    ExpectNear(gb.grad_input, ref.gx, xs, "grad_input with grad_bias");
    ExpectNear(gb.grad_bias, ref.gb, {g.o}, "grad_bias without grad_weight");
    const Conv2dGrads gw =
        conv2d_backward(gy, x, w, {g.sh, g.sw}, {g.ph, g.pw}, {g.dh, g.dw},
                        g.groups, {false, true, false});
    ExpectNear(gw.grad_weight, ref.gw, ws, "grad_weight alone");
    // Run to run: bit-identical.
    EXPECT_TRUE(TensorsEqual(
        conv2d(x, w, b, {g.sh, g.sw}, {g.ph, g.pw}, {g.dh, g.dw}, g.groups),
        y));
    const Conv2dGrads again =
        conv2d_backward(gy, x, w, {g.sh, g.sw}, {g.ph, g.pw}, {g.dh, g.dw},
                        g.groups, {true, true, true});
    EXPECT_TRUE(TensorsEqual(again.grad_input, gr.grad_input));
    EXPECT_TRUE(TensorsEqual(again.grad_weight, gr.grad_weight));
    EXPECT_TRUE(TensorsEqual(again.grad_bias, gr.grad_bias));
  }
}

// 'same' padding with an even kernel pads one more column at the end than
// at the start; and an input whose borders hold Inf must not leak NaN into
// outputs whose windows do not touch them (padding lanes are real zeros,
// never garbage times zero).
TEST_P(ConvKernelsTest, SamePaddingAndInfAtTheBorder) {
  const Geo g{2, 20, 9, 11, 18, 4, 4, 1, 1, 1, 1, 1, 1, 1};
  std::vector<float> xv = Values(g.n * g.c * g.h * g.w, 7);
  const Tensor w = from_vector(Values(g.o * g.c * 16, 8), {g.o, g.c, 4, 4});
  Tensor x = from_vector(xv, {g.n, g.c, g.h, g.w});
  const Tensor y = conv2d(x, w, Tensor(), {1}, Conv2dPadding::kSame);
  ASSERT_EQ(y.sizes(), Shape({g.n, g.o, g.h, g.w}));
  // Reference: the same convolution on an explicitly padded input (pad 1
  // before, 2 after), with valid padding.
  const Tensor xp = pad(x, {1, 2, 1, 2});
  EXPECT_TRUE(TensorsClose(y, conv2d(xp, w, Tensor(), {1}, {0}), 1e-5, 1e-4));
  // Inf in the last column: outputs of windows that avoid it stay finite.
  x.select(3, g.w - 1).fill_(std::numeric_limits<float>::infinity());
  const Tensor yi = conv2d(x, w, Tensor(), {1}, {0});  // 6 x 8 outputs
  const Tensor left = yi.slice(3, 0, 7);  // windows that end before it
  EXPECT_TRUE(std::isfinite(sum(left).item<float>()));
  const Conv2dGrads gr = conv2d_backward(ones_like(yi), x, w, {1}, {0}, {1}, 1,
                                         {true, true, false});
  EXPECT_TRUE(std::isfinite(sum(gr.grad_input).item<float>()));
}

INSTANTIATE_TEST_SUITE_P(Threads, ConvKernelsTest, ::testing::Values(1, 2, 3),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "T" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace tch
