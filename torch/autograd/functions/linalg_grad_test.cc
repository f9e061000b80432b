// Gradients of the matrix products and linear: finite differences (float64
// GradCheck) for every entry and dims case, with transposed, expanded and
// broadcast operands, and PyTorch 1.13's autograd (float32 golden file).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>

#include "torch/autograd/functions/grad_test_util.h"
#include "torch/autograd/functions/linalg.h"
#include "torch/autograd/functions/shape.h"
#include "torch/autograd/gradcheck.h"
#include "torch/autograd/variable.h"
#include "torch/core/error.h"
#include "torch/core/generator.h"
#include "torch/core/linalg_ops.h"
#include "torch/core/ops.h"
#include "torch/core/random_ops.h"
#include "torch/testing/tensor_matchers.h"

namespace tch::autograd {
namespace {

using grad_test::ExpectGradOk;

using ::testing::HasSubstr;
using testing::TensorsClose;

constexpr char kGolden[] = "tests/golden/autograd_linalg.safetensors";

Generator& Gen() {
  static Generator gen(/*seed=*/7);
  return gen;
}

// A float64 leaf of standard normal values.
Tensor Leaf(IntList sizes) {
  return requires_grad_(randn(sizes, DType::kFloat64, &Gen()));
}
// A non-contiguous leaf: the transpose of its last two dims.
Tensor TransposedLeaf(IntList sizes) {
  Shape s = sizes.ToShape();
  std::swap(s[s.size() - 1], s[s.size() - 2]);
  Tensor base = randn(s, DType::kFloat64, &Gen());
  return requires_grad_(base.transpose(-2, -1));
}

using Fn = std::function<Tensor(const TensorList&)>;
Tensor Matmul(const TensorList& in) { return ad::matmul(in[0], in[1]); }

TEST(LinalgGrad, MatmulEveryDimsCase) {
  ExpectGradOk("1d.1d", Matmul, {Leaf({4}), Leaf({4})});
  ExpectGradOk("2d.2d", Matmul, {Leaf({3, 4}), Leaf({4, 2})});
  ExpectGradOk("1d.2d", Matmul, {Leaf({4}), Leaf({4, 3})});
  ExpectGradOk("2d.1d", Matmul, {Leaf({3, 4}), Leaf({4})});
  ExpectGradOk("1d.nd", Matmul, {Leaf({3}), Leaf({2, 3, 2})});
  ExpectGradOk("nd.1d", Matmul, {Leaf({2, 2, 3}), Leaf({3})});
  ExpectGradOk("nd.2d (folded)", Matmul, {Leaf({2, 2, 3}), Leaf({3, 2})});
  ExpectGradOk("4d.2d (folded)", Matmul, {Leaf({2, 1, 2, 3}), Leaf({3, 2})});
  ExpectGradOk("2d.nd", Matmul, {Leaf({2, 3}), Leaf({2, 3, 2})});
  ExpectGradOk("3d.3d", Matmul, {Leaf({2, 2, 3}), Leaf({2, 3, 2})});
}

TEST(LinalgGrad, MatmulBroadcastBatchDims) {
  ExpectGradOk("[2,1,2,3] x [3,3,2]", Matmul,
               {Leaf({2, 1, 2, 3}), Leaf({3, 3, 2})});
  ExpectGradOk("[1,2,3] x [2,1,3,2]", Matmul,
               {Leaf({1, 2, 3}), Leaf({2, 1, 3, 2})});
  ExpectGradOk("1d x [2,2,3,2]", Matmul, {Leaf({3}), Leaf({2, 2, 3, 2})});
  // Operands expanded inside the function: the expand's gradient sums too.
  ExpectGradOk("expanded a",
               [](const TensorList& in) {
                 return ad::matmul(ad::expand(in[0], {3, 2, 3}), in[1]);
               },
               {Leaf({1, 2, 3}), Leaf({3, 3, 2})});
  ExpectGradOk("expanded b (stride-0 rows)",
               [](const TensorList& in) {
                 return ad::matmul(in[0], ad::expand(in[1], {3, 2}));
               },
               {Leaf({2, 3}), Leaf({1, 2})});
}

TEST(LinalgGrad, MatmulNonContiguous) {
  ExpectGradOk("transposed 2d", Matmul,
               {TransposedLeaf({3, 4}), TransposedLeaf({4, 2})});
  ExpectGradOk("transposed nd.2d", Matmul,
               {TransposedLeaf({2, 3, 4}), TransposedLeaf({4, 2})});
  ExpectGradOk("transposed batched", Matmul,
               {TransposedLeaf({2, 3, 4}), TransposedLeaf({2, 4, 2})});
  ExpectGradOk("ad::transpose with negative dims",
               [](const TensorList& in) {
                 return ad::matmul(in[0], ad::transpose(in[1], -1, -2));
               },
               {Leaf({2, 2, 3}), Leaf({2, 2, 3})});
  ExpectGradOk("sliced rows",
               [](const TensorList& in) {
                 return ad::matmul(ad::slice(in[0], 0, 0, 4, 2), in[1]);
               },
               {Leaf({4, 3}), Leaf({3, 2})});
}

TEST(LinalgGrad, MmBmmDotOuter) {
  auto mm = [](const TensorList& in) { return ad::mm(in[0], in[1]); };
  ExpectGradOk("mm", mm, {Leaf({3, 4}), Leaf({4, 2})});
  ExpectGradOk("mm transposed", mm,
               {TransposedLeaf({3, 4}), TransposedLeaf({4, 2})});
  auto bmm = [](const TensorList& in) { return ad::bmm(in[0], in[1]); };
  ExpectGradOk("bmm", bmm, {Leaf({2, 3, 4}), Leaf({2, 4, 2})});
  ExpectGradOk("bmm transposed", bmm,
               {TransposedLeaf({2, 3, 4}), TransposedLeaf({2, 4, 2})});
  ExpectGradOk("bmm expanded",
               [](const TensorList& in) {
                 return ad::bmm(ad::expand(in[0], {3, 2, 3}), in[1]);
               },
               {Leaf({1, 2, 3}), Leaf({3, 3, 2})});
  auto dot = [](const TensorList& in) { return ad::dot(in[0], in[1]); };
  ExpectGradOk("dot", dot, {Leaf({5}), Leaf({5})});
  ExpectGradOk("dot strided",
               [](const TensorList& in) {
                 return ad::dot(ad::select(in[0], 1, 0), in[1]);
               },
               {Leaf({4, 2}), Leaf({4})});
  auto outer = [](const TensorList& in) { return ad::outer(in[0], in[1]); };
  ExpectGradOk("outer", outer, {Leaf({3}), Leaf({4})});
  ExpectGradOk("outer strided",
               [](const TensorList& in) {
                 return ad::outer(ad::select(in[0], 0, 1), in[1]);
               },
               {Leaf({2, 3}), Leaf({4})});
}

TEST(LinalgGrad, OuterGradientsTakeEachInputsDtype) {
  Tensor a = requires_grad_(from_vector<float>({1, 2}));
  Tensor b = requires_grad_(from_vector<double>({3, 4, 5}));
  backward(ad::outer(a, b), ones({2, 3}, DType::kFloat64));
  EXPECT_EQ(grad_of(a).dtype(), DType::kFloat32);
  EXPECT_TRUE(TensorsClose(grad_of(a), from_vector<float>({12, 12})));
  EXPECT_TRUE(TensorsClose(grad_of(b), from_vector<double>({3, 3, 3})));
}

TEST(LinalgGrad, AddmmAndBaddbmm) {
  auto addmm = [](const Scalar& beta, const Scalar& alpha) {
    return [=](const TensorList& in) {
      return ad::addmm(in[0], in[1], in[2], beta, alpha);
    };
  };
  ExpectGradOk("addmm", addmm(1, 1),
               {Leaf({3, 2}), Leaf({3, 4}), Leaf({4, 2})});
  ExpectGradOk("addmm beta alpha, row bias", addmm(0.5, -1.5),
               {Leaf({2}), Leaf({3, 4}), Leaf({4, 2})});
  ExpectGradOk("addmm column bias, transposed", addmm(2, 3),
               {Leaf({3, 1}), TransposedLeaf({3, 4}), TransposedLeaf({4, 2})});
  ExpectGradOk("addmm beta 0", addmm(0, 2),
               {Leaf({3, 2}), Leaf({3, 4}), Leaf({4, 2})});
  ExpectGradOk("addmm 0-D self", addmm(1.5, 1),
               {Leaf({}), Leaf({3, 4}), Leaf({4, 2})});
  auto baddbmm = [](const Scalar& beta, const Scalar& alpha) {
    return [=](const TensorList& in) {
      return ad::baddbmm(in[0], in[1], in[2], beta, alpha);
    };
  };
  ExpectGradOk("baddbmm", baddbmm(1, 1),
               {Leaf({2, 3, 2}), Leaf({2, 3, 4}), Leaf({2, 4, 2})});
  ExpectGradOk("baddbmm broadcast self, beta alpha", baddbmm(0.5, 1.5),
               {Leaf({1, 2}), Leaf({2, 3, 4}), Leaf({2, 4, 2})});
  ExpectGradOk(
      "baddbmm transposed", baddbmm(-1, 2),
      {Leaf({3, 1}), TransposedLeaf({2, 3, 4}), TransposedLeaf({2, 4, 2})});
}

TEST(LinalgGrad, Linear) {
  auto linear = [](const TensorList& in) {
    return ad::linear(in[0], in[1], in.size() > 2 ? in[2] : Tensor());
  };
  ExpectGradOk("2d", linear, {Leaf({3, 4}), Leaf({2, 4}), Leaf({2})});
  ExpectGradOk("2d no bias", linear, {Leaf({3, 4}), Leaf({2, 4})});
  ExpectGradOk("3d", linear, {Leaf({2, 3, 4}), Leaf({2, 4}), Leaf({2})});
  ExpectGradOk("4d no bias", linear, {Leaf({2, 1, 2, 3}), Leaf({2, 3})});
  ExpectGradOk("1d", linear, {Leaf({4}), Leaf({2, 4}), Leaf({2})});
  ExpectGradOk("transposed input and weight", linear,
               {TransposedLeaf({3, 4}), TransposedLeaf({2, 4}), Leaf({2})});
  ExpectGradOk("non-contiguous 3d input", linear,
               {TransposedLeaf({2, 3, 4}), Leaf({2, 4}), Leaf({2})});
  ExpectGradOk("0-D bias", linear, {Leaf({3, 4}), Leaf({2, 4}), Leaf({})});
  ExpectGradOk("expanded input",
               [](const TensorList& in) {
                 return ad::linear(ad::expand(in[0], {2, 3, 4}), in[1], in[2]);
               },
               {Leaf({1, 3, 4}), Leaf({2, 4}), Leaf({2})});
}

TEST(LinalgGrad, LinearIsOneNodeOverTheLeaves) {
  Tensor x = Leaf({2, 3, 4}), w = Leaf({5, 4}), b = Leaf({5});
  Tensor y = ad::linear(x, w, b);
  EXPECT_EQ(y.sizes(), Shape({2, 3, 5}));
  ASSERT_NE(grad_fn(y), nullptr);
  EXPECT_EQ(grad_fn(y)->name(), "LinearBackward");
  const std::vector<Edge>& edges = grad_fn(y)->next_edges();
  ASSERT_EQ(edges.size(), 3u);
  EXPECT_EQ(edges[0].node, GradientEdge(x).node);
  EXPECT_EQ(edges[1].node, GradientEdge(w).node);
  EXPECT_EQ(edges[2].node, GradientEdge(b).node);
  // The forward equals addmm's on the flattened rows.
  Tensor expected = tch::addmm(b, x.reshape({6, 4}), w.t()).view({2, 3, 5});
  EXPECT_TRUE(TensorsClose(y, expected));
}

TEST(LinalgGrad, OnlyNeededGradientsAreComputed) {
  Tensor x = Leaf({3, 4});
  Tensor w = randn({2, 4}, DType::kFloat64);  // a constant
  backward(ad::linear(x, w), ones({3, 2}, DType::kFloat64));
  EXPECT_TRUE(
      TensorsClose(grad_of(x), tch::mm(ones({3, 2}, DType::kFloat64), w)));
  EXPECT_FALSE(grad_of(w).defined());
}

TEST(LinalgGrad, LinearErrors) {
  auto error_of = [](const std::function<void()>& f) -> std::string {
    try {
      f();
    } catch (const Error& e) {
      return e.what();
    }
    return "<no error>";
  };
  EXPECT_THAT(error_of([] {
                ad::linear(ones({}), ones({2, 1}));
              }),
              HasSubstr("linear: input must have at least 1 dim"));
  EXPECT_THAT(error_of([] { ad::linear(ones({3}), ones({3})); }),
              HasSubstr("weight must be 2-D"));
  EXPECT_THAT(error_of([] {
                ad::linear(ones({2, 3}), ones({4, 5}));
              }),
              HasSubstr("expects in_features = 5"));
}

// --- PyTorch 1.13 autograd, float32 ------------------------------------------

Tensor G(const std::string& name) {
  return tch::testing::GoldenTensor(kGolden, name);
}

// Runs fn on fresh float32 leaves of the case's stored inputs, backward with
// the stored "gy", and compares the output and each input's gradient.
void ExpectMatchesTorch(const std::string& name,
                        const std::vector<std::string>& inputs,
                        const std::function<Tensor(const TensorList&)>& fn) {
  SCOPED_TRACE(name);
  TensorList leaves;
  for (const std::string& in : inputs) {
    leaves.push_back(requires_grad_(G(name + "." + in).clone()));
  }
  Tensor y = fn(leaves);
  EXPECT_TRUE(TensorsClose(y, G(name + ".y"), 1e-5, 1e-5));
  backward(y, G(name + ".gy"));
  for (size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_TRUE(TensorsClose(grad_of(leaves[i]), G(name + ".g" + inputs[i]),
                             1e-5, 1e-5))
        << "gradient of " << inputs[i];
  }
}

TEST(LinalgGrad, MatmulMatchesTorch) {
  for (const char* name :
       {"matmul_1d_1d", "matmul_2d_2d", "matmul_1d_2d", "matmul_2d_1d",
        "matmul_1d_nd", "matmul_nd_1d", "matmul_nd_2d", "matmul_2d_nd",
        "matmul_bcast", "matmul_bcast_ones"}) {
    ExpectMatchesTorch(name, {"a", "b"}, Matmul);
  }
  ExpectMatchesTorch("matmul_transposed", {"a", "b"}, [](const TensorList& in) {
    return ad::matmul(ad::transpose(in[0], -2, -1), in[1]);
  });
}

TEST(LinalgGrad, LinearMatchesTorch) {
  auto linear = [](const TensorList& in) {
    return ad::linear(in[0], in[1], in.size() > 2 ? in[2] : Tensor());
  };
  ExpectMatchesTorch("linear_3d", {"x", "w", "b"}, linear);
  ExpectMatchesTorch("linear_2d_nobias", {"x", "w"}, linear);
  ExpectMatchesTorch("linear_1d", {"x", "w", "b"}, linear);
}

}  // namespace
}  // namespace tch::autograd
