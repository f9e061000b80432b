// matmul, mm, bmm, addmm, baddbmm, dot and outer against PyTorch 1.13
// (tests/golden/linalg_golden.py writes the fixture), plus error messages,
// zero-size dims, threading and consistency checks.
//
// Tolerances per dtype (|actual - expected| <= atol + rtol * |expected|):
//   float64 1e-12/1e-12, float32 1e-5/1e-5 (summation order differs from
//   PyTorch's BLAS calls), bfloat16 and float16 2e-2/2e-2 (one rounding of
//   a float32 result: 2^-8 and 2^-11 relative, plus the order of the float
//   sum near a rounding boundary), integers exact.
#include "torch/core/linalg_ops.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "torch/core/dispatch.h"
#include "torch/core/ops.h"
#include "torch/core/parallel.h"
#include "torch/testing/tensor_matchers.h"

namespace tch {
namespace {

using ::tch::testing::TensorsClose;
using ::testing::HasSubstr;

constexpr char kGoldenPath[] = "tests/golden/linalg.safetensors";


Tensor G(const std::string& name) {
  return tch::testing::GoldenTensor(kGoldenPath, name);
}

struct Tol {
  double rtol, atol;
};

Tol TolFor(DType dtype) {
  switch (dtype) {
    case DType::kFloat64:
      return {1e-12, 1e-12};
    case DType::kFloat32:
      return {1e-5, 1e-5};
    case DType::kFloat16:
    case DType::kBFloat16:
      return {2e-2, 2e-2};
    default:
      return {0, 0};
  }
}

::testing::AssertionResult Matches(const Tensor& actual,
                                   const std::string& expected_name) {
  const Tensor expected = G(expected_name);
  if (actual.dtype() != expected.dtype()) {
    return ::testing::AssertionFailure()
           << expected_name << ": dtype " << actual.dtype() << ", expected "
           << expected.dtype();
  }
  const Tol tol = TolFor(expected.dtype());
  return TensorsClose(actual, expected, tol.rtol, tol.atol)
         << " (" << expected_name << ")";
}

const char* const kDTypes[] = {"f32", "f64", "f16", "bf16", "i64", "i32", "u8"};

TEST(LinalgTest, EveryOpEveryDType) {
  for (const std::string d : kDTypes) {
    SCOPED_TRACE(d);
    EXPECT_TRUE(Matches(mm(G("mm_" + d + ".a"), G("mm_" + d + ".b")),
                        "mm_" + d + ".out"));
    EXPECT_TRUE(Matches(matmul(G("mm_" + d + ".a"), G("mm_" + d + ".b")),
                        "mm_" + d + ".out"));
    EXPECT_TRUE(Matches(
        matmul(G("matmul_bcast_" + d + ".a"), G("matmul_bcast_" + d + ".b")),
        "matmul_bcast_" + d + ".out"));
    const bool fp = d[0] == 'f' || d[0] == 'b';
    const Scalar beta = fp ? Scalar(0.5) : Scalar(2);
    const Scalar alpha = fp ? Scalar(1.5) : Scalar(3);
    const std::string bd = "baddbmm_" + d;
    EXPECT_TRUE(Matches(
        baddbmm(G(bd + ".self"), G(bd + ".b1"), G(bd + ".b2"), beta, alpha),
        bd + ".out"));
    const std::string ad = "addmm_" + d;
    EXPECT_TRUE(
        Matches(addmm(G(ad + ".self"), G(ad + ".m1"), G(ad + ".m2"), 2, 3),
                ad + ".out"));
    const Tensor dt = dot(G("dot_" + d + ".a"), G("dot_" + d + ".b"));
    EXPECT_EQ(dt.dim(), 0);
    EXPECT_TRUE(Matches(dt, "dot_" + d + ".out"));
    EXPECT_TRUE(Matches(matmul(G("dot_" + d + ".a"), G("dot_" + d + ".b")),
                        "dot_" + d + ".out"));
    EXPECT_TRUE(Matches(matmul(G("mv_" + d + ".m"), G("mv_" + d + ".v")),
                        "mv_" + d + ".mv"));
    EXPECT_TRUE(Matches(matmul(G("mv_" + d + ".w"), G("mv_" + d + ".m")),
                        "mv_" + d + ".vm"));
    EXPECT_TRUE(Matches(bmm(G("bmm16_" + d + ".b1"), G("bmm16_" + d + ".b2")),
                        "bmm16_" + d + ".out"));
  }
}

TEST(LinalgTest, StridedTransposedAndExpandedInputs) {
  for (const std::string d : {"f32", "f64", "i32", "bf16"}) {
    SCOPED_TRACE(d);
    EXPECT_TRUE(Matches(
        mm(G("mm_t_" + d + ".a_base").t(), G("mm_t_" + d + ".b_base").t()),
        "mm_t_" + d + ".out"));
    EXPECT_TRUE(Matches(
        mm(G("mm_slice_" + d + ".a_base").slice(0, 0, 10, 2).slice(1, 0, 14, 2),
           G("mm_slice_" + d + ".b_base").slice(1, 0, 6, 2)),
        "mm_slice_" + d + ".out"));
    EXPECT_TRUE(Matches(mm(G("mm_expand_" + d + ".a_base").expand({5, 7}),
                           G("mm_expand_" + d + ".b_base").expand({7, 3})),
                        "mm_expand_" + d + ".out"));
    EXPECT_TRUE(Matches(bmm(G("bmm_t_" + d + ".b1_base").transpose(1, 2),
                            G("bmm_t_" + d + ".b2_base").transpose(1, 2)),
                        "bmm_t_" + d + ".out"));
    EXPECT_TRUE(
        Matches(matmul(G("matmul_tfold_" + d + ".a_base").transpose(0, 1),
                       G("matmul_tfold_" + d + ".b")),
                "matmul_tfold_" + d + ".out"));
    EXPECT_TRUE(
        Matches(dot(G("dot_strided_" + d + ".a_base").slice(0, 0, 24, 3),
                    G("dot_strided_" + d + ".b_base").select(1, 1)),
                "dot_strided_" + d + ".out"));
  }
}

TEST(LinalgTest, MatmulEveryRankCombination) {
  const char* const cases[] = {"matmul_2x3x4_4x5",   "matmul_3x4_2x4x5",
                               "matmul_2x3x4_4",     "matmul_4_2x4x5",
                               "matmul_2x3x4_2x4x5", "matmul_3x1x2x4_1x2x4x3",
                               "matmul_1x3x4_2x4x5", "matmul_4_4x5",
                               "matmul_3x4_4",       "matmul_4_4"};
  for (const std::string c : cases) {
    SCOPED_TRACE(c);
    const Tensor out = matmul(G(c + ".a"), G(c + ".b"));
    EXPECT_EQ(out.sizes(), G(c + ".out").sizes());
    EXPECT_TRUE(Matches(out, c + ".out"));
  }
}

TEST(LinalgTest, AccuracyOverLongContractions) {
  EXPECT_TRUE(
      Matches(mm(G("mm_big_f32.a"), G("mm_big_f32.b")), "mm_big_f32.out"));
  EXPECT_TRUE(
      Matches(mm(G("mm_big_f64.a"), G("mm_big_f64.b")), "mm_big_f64.out"));
  // float32 BLAS against float64 BLAS on a 300-long contraction.
  const Tensor a = G("mm_big_f64.a"), b = G("mm_big_f64.b");
  EXPECT_TRUE(TensorsClose(mm(a.to(DType::kFloat32), b.to(DType::kFloat32)),
                           mm(a, b), 1e-4, 1e-4));
}

TEST(LinalgTest, IntegerOverflowWraps) {
  EXPECT_TRUE(
      Matches(mm(G("mm_wrap_i32.a"), G("mm_wrap_i32.b")), "mm_wrap_i32.out"));
  EXPECT_TRUE(
      Matches(mm(G("mm_wrap_i64.a"), G("mm_wrap_i64.b")), "mm_wrap_i64.out"));
}

TEST(LinalgTest, NanAndInf) {
  // beta = 0: NaN in self is ignored, as in BLAS and PyTorch.
  EXPECT_TRUE(Matches(addmm(G("addmm_beta0.self"), G("addmm_beta0.m1"),
                            G("addmm_beta0.m2"), 0, 2),
                      "addmm_beta0.out"));
  EXPECT_TRUE(Matches(mm(G("mm_nan.a"), G("mm_nan.b")), "mm_nan.out"));
  // The same through the loop used for float16 and in matrix-vector.
  const Tensor a = G("mm_nan.a"), b = G("mm_nan.b");
  const Tensor out = mm(a.to(DType::kBFloat16), b.to(DType::kBFloat16));
  EXPECT_TRUE(std::isnan(out.select(0, 0).select(0, 1).item<float>()));
  const Tensor mv = matmul(a, b.select(1, 0));
  EXPECT_TRUE(std::isnan(mv.select(0, 0).item<float>()));
  // beta = 0 with the matrix-vector (both sides) and the dot paths.
  const double nan = std::nan("");
  EXPECT_TRUE(
      TensorsClose(addmm(full({3, 1}, nan), ones({3, 2}), ones({2, 1}), 0),
                   full({3, 1}, 2)));
  EXPECT_TRUE(
      TensorsClose(addmm(full({1, 3}, nan), ones({1, 2}), ones({2, 3}), 0),
                   full({1, 3}, 2)));
  EXPECT_TRUE(
      TensorsClose(addmm(full({1, 1}, nan), ones({1, 2}), ones({2, 1}), 0),
                   full({1, 1}, 2)));
  EXPECT_TRUE(TensorsClose(baddbmm(full({2, 1, 1}, nan, DType::kInt32),
                                   ones({2, 1, 2}, DType::kInt32),
                                   ones({2, 2, 1}, DType::kInt32), 0),
                           full({2, 1, 1}, 2, DType::kInt32)));
}

TEST(LinalgTest, ZeroSizeDims) {
  // k = 0: the product is zero, so the result is beta * self.
  const Tensor self = G("addmm_k0.self");
  EXPECT_TRUE(
      Matches(addmm(self, ones({2, 0}), ones({0, 3}), 3), "addmm_k0.out"));
  EXPECT_TRUE(
      Matches(addmm(full({2, 3}, std::nan("")), ones({2, 0}), ones({0, 3}), 0),
              "addmm_k0_beta0.out"));
  EXPECT_TRUE(
      Matches(mm(ones({2, 0}, DType::kInt64), ones({0, 3}, DType::kInt64)),
              "mm_k0_i64.out"));
  EXPECT_EQ(mm(ones({0, 3}), ones({3, 4})).sizes(), Shape({0, 4}));
  EXPECT_EQ(bmm(ones({0, 2, 3}), ones({0, 3, 4})).sizes(), Shape({0, 2, 4}));
  EXPECT_EQ(matmul(ones({2, 0, 3}), ones({3, 4})).sizes(), Shape({2, 0, 4}));
  EXPECT_TRUE(TensorsClose(matmul(ones({2, 0}), ones({0})), zeros({2})));
  EXPECT_TRUE(TensorsClose(dot(ones({0}), ones({0})), zeros({})));
  EXPECT_EQ(outer(ones({0}), ones({3})).sizes(), Shape({0, 3}));
}

TEST(LinalgTest, Outer) {
  EXPECT_TRUE(
      Matches(outer(G("outer_f32.a"), G("outer_f32.b")), "outer_f32.out"));
  EXPECT_TRUE(
      Matches(outer(G("outer_mixed.a"), G("outer_f32.b")), "outer_mixed.out"));
  EXPECT_TRUE(testing::TensorsEqual(outer(G("outer_bool.a"), G("outer_bool.b")),
                                    G("outer_bool.out")));
}

TEST(LinalgTest, NestedInsideParallelForUsesOneBlasThread) {
  // Two products computed concurrently from pool threads (Note [BLAS
  // threads]): BLAS must run single-threaded there and still be right.
  Tensor results[2];
  ParallelFor(0, 2, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      const std::string c = "nested" + std::to_string(i);
      results[i] = mm(G(c + ".a"), G(c + ".b"));
    }
  });
  EXPECT_TRUE(Matches(results[0], "nested0.out"));
  EXPECT_TRUE(Matches(results[1], "nested1.out"));
}

TEST(LinalgTest, ThreadCountsAgree) {
  // Large enough for threaded BLAS and the threaded integer loop.
  const Tensor a =
      arange(0, 300 * 200, 1, DType::kFloat64).view({300, 200}) / 7.0;
  const Tensor b =
      arange(0, 200 * 260, 1, DType::kFloat64).view({200, 260}) / 11.0;
  const Tensor ai = arange(0, 300 * 200, 1, DType::kInt64).view({300, 200});
  const Tensor bi = arange(0, 200 * 260, 1, DType::kInt64).view({200, 260});
  const int saved = GetNumThreads();
  SetNumThreads(1);
  const Tensor ref32 = mm(a.to(DType::kFloat32), b.to(DType::kFloat32));
  const Tensor refi = mm(ai, bi);
  const Tensor refb =
      bmm(ai.view({6, 50, 200}), bi.view({1, 200, 260}).expand({6, 200, 260}));
  SetNumThreads(2);
  EXPECT_TRUE(TensorsClose(mm(a.to(DType::kFloat32), b.to(DType::kFloat32)),
                           ref32, 1e-5, 1e-3));
  EXPECT_TRUE(testing::TensorsEqual(mm(ai, bi), refi));
  EXPECT_TRUE(testing::TensorsEqual(
      bmm(ai.view({6, 50, 200}), bi.view({1, 200, 260}).expand({6, 200, 260})),
      refb));
  // The integer loop against float64 BLAS (values stay below 2^53).
  EXPECT_TRUE(TensorsClose(
      refi, mm(ai.to(DType::kFloat64), bi.to(DType::kFloat64)), 0, 0));
  SetNumThreads(saved);
}

TEST(LinalgTest, IntegerTilesMatchInt64) {
  // Wide enough for the full column tiles of every integer type (128 bytes:
  // 32 int32, 128 uint8) plus a partial one, and a contraction over 256.
  std::vector<int64_t> va(37 * 300), vb(300 * 290);
  uint32_t state = 7;
  for (int64_t& v : va) v = (state = state * 1664525u + 1013904223u) >> 29;
  for (int64_t& v : vb) v = (state = state * 1664525u + 1013904223u) >> 29;
  const Tensor a = from_vector(va, {37, 300}), b = from_vector(vb, {300, 290});
  const Tensor ref = mm(a, b);  // int64, exact (values < 8)
  EXPECT_TRUE(TensorsClose(
      ref, mm(a.to(DType::kFloat64), b.to(DType::kFloat64)), 0, 0));
  for (DType dtype : {DType::kInt32, DType::kUInt8}) {
    SCOPED_TRACE(DTypeName(dtype));
    // uint8 wraps mod 256, as the int64 -> uint8 conversion does.
    EXPECT_TRUE(
        testing::TensorsEqual(mm(a.to(dtype), b.to(dtype)), ref.to(dtype)));
    EXPECT_TRUE(testing::TensorsEqual(
        addmm(ones({290}, dtype), a.to(dtype), b.to(dtype), 2, 3),
        add(full({37, 290}, 2, dtype), ref.to(dtype), 3)));
  }
}

TEST(LinalgTest, BatchedMatchesPerMatrixProducts) {
  // matmul's batched path against mm of each slice, with broadcast batch
  // dims and a transposed (non-contiguous) operand.
  const Tensor a = G("matmul_bcast_f32.a");  // [2, 1, 3, 4]
  const Tensor b =
      G("matmul_bcast_f32.b").transpose(1, 2).contiguous().transpose(1, 2);
  const Tensor out = matmul(a, b);  // [2, 5, 3, 2]
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t j = 0; j < 5; ++j) {
      EXPECT_TRUE(TensorsClose(out.select(0, i).select(0, j),
                               mm(a.select(0, i).select(0, 0), b.select(0, j)),
                               1e-6, 1e-6));
    }
  }
}

TEST(LinalgTest, AddmmSelfLayoutsMatchComposedOps) {
  // `self` transposed, column-broadcast and row-broadcast, against
  // beta * self + alpha * mm computed with the elementwise ops.
  for (DType dtype : {DType::kFloat32, DType::kInt64, DType::kBFloat16}) {
    SCOPED_TRACE(DTypeName(dtype));
    const Tensor a = G("mm_i64.a").to(dtype), b = G("mm_i64.b").to(dtype);
    const Tensor selves[] = {
        G("mm_t_f32.b_base").slice(1, 0, 5).t().to(dtype),
        G("mv_i64.v").slice(0, 0, 5).unsqueeze(1).to(dtype),
        G("mv_i64.v").slice(0, 0, 3).to(dtype)};
    for (const Tensor& self : selves) {
      const Tensor expected = add(mul(self.expand({5, 3}), 2), mm(a, b), 3);
      const Tol tol = TolFor(dtype);
      EXPECT_TRUE(TensorsClose(addmm(self, a, b, 2, 3), expected, tol.rtol,
                               tol.atol + 0.05));
    }
  }
}

// --- Errors
// -------------------------------------------------------------------

template <typename E, typename Fn>
void ExpectError(Fn fn, const std::string& substring) {
  try {
    fn();
    ADD_FAILURE() << "expected an error containing: " << substring;
  } catch (const E& e) {
    EXPECT_THAT(e.what(), HasSubstr(substring));
  }
}

TEST(LinalgTest, ShapeErrors) {
  ExpectError<ValueError>(
      [] {
        mm(ones({2, 3}), ones({4, 5}));
      },
      "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)");
  ExpectError<ValueError>(
      [] {
        mm(ones({2, 3, 1}), ones({4, 5}));
      },
      "self must be a matrix");
  ExpectError<ValueError>(
      [] {
        mm(ones({2, 3}), ones({3}));
      },
      "mat2 must be a matrix");
  ExpectError<ValueError>(
      [] {
        addmm(ones({3}), ones({3}), ones({3, 5}));
      },
      "mat1 must be a matrix");
  ExpectError<ValueError>(
      [] {
        addmm(ones({5}), ones({2, 3}), ones({3, 4}));
      },
      "must match the existing size (5)");
  ExpectError<ValueError>(
      [] {
        bmm(ones({2, 3}), ones({2, 3, 4}));
      },
      "batch1 must be a 3D tensor");
  ExpectError<ValueError>(
      [] {
        bmm(ones({2, 2, 3}), ones({2, 4, 4}));
      },
      "Expected size for first two dimensions of batch2 tensor "
      "to be: [2, 3] but got: [2, 4].");
  ExpectError<ValueError>(
      [] {
        baddbmm(ones({3, 1, 4}), ones({2, 2, 3}), ones({2, 3, 4}));
      },
      "does not broadcast");
  ExpectError<ValueError>(
      [] { dot(ones({3}), ones({4})); },
      "inconsistent tensor size, expected tensor [3] and src [4]");
  ExpectError<ValueError>(
      [] {
        dot(ones({3, 1}), ones({3}));
      },
      "1D tensors expected, but got 2D and 1D tensors");
  ExpectError<ValueError>(
      [] { matmul(ones({}), ones({3})); },
      "both arguments to matmul need to be at least 1D, but "
      "they are 0D and 1D");
  ExpectError<ValueError>(
      [] {
        matmul(ones({2, 3}), ones({4}));
      },
      "size mismatch, got input (2), mat (2x3), vec (4)");
  ExpectError<ValueError>(
      [] {
        matmul(ones({3}), ones({4, 5}));
      },
      "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x5)");
  ExpectError<ValueError>(
      [] {
        matmul(ones({2, 2, 3}), ones({4, 5}));
      },
      "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)");
  ExpectError<ValueError>(
      [] {
        matmul(ones({2, 2, 3}), ones({3, 3, 5}));
      },
      "not broadcastable");
  ExpectError<ValueError>(
      [] {
        outer(ones({3}), ones({2, 2}));
      },
      "outer: Expected 1-D argument vec2, but got 2-D");
  ExpectError<ValueError>(
      [] {
        outer(ones({3, 1}), ones({2}));
      },
      "outer: Expected 1-D argument self, but got 2-D");
}

TEST(LinalgTest, DTypeErrors) {
  const Tensor f = ones({2, 3});
  const Tensor d = ones({3, 4}, DType::kFloat64);
  ExpectError<ValueError>([&] { mm(f, d); },
                          "expected scalar type Float but found Double");
  ExpectError<ValueError>([&] { matmul(f, d); },
                          "expected scalar type Float but found Double");
  ExpectError<ValueError>(
      [&] {
        bmm(ones({1, 2, 3}), ones({1, 3, 4}, DType::kInt64));
      },
      "expected scalar type Float but found Long");
  ExpectError<ValueError>(
      [&] { dot(ones({3}), ones({3}, DType::kFloat64)); },
      "dot : expected both vectors to have same dtype, but found "
      "Float and Double");
  ExpectError<ValueError>(
      [&] {
        addmm(ones({2, 4}, DType::kFloat64), f, ones({3, 4}));
      },
      "self and mat2 must have the same dtype");
  ExpectError<NotImplementedError>(
      [] {
        mm(ones({2, 3}, DType::kBool), ones({3, 4}, DType::kBool));
      },
      "\"mm\" not implemented for 'Bool'");
  ExpectError<NotImplementedError>(
      [] { dot(ones({3}, DType::kBool), ones({3}, DType::kBool)); },
      "\"dot\" not implemented for 'Bool'");
}

TEST(LinalgTest, KernelIsRegisteredForEveryNumericDType) {
  const Op gemm("gemm");
  for (DType dtype : NumericDTypes()) {
    EXPECT_TRUE(gemm.Has(DeviceType::kCpu, dtype)) << dtype;
  }
  EXPECT_FALSE(gemm.Has(DeviceType::kCpu, DType::kBool));
}

}  // namespace
}  // namespace tch
