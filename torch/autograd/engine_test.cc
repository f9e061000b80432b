// Engine semantics: accumulation, dependency order, retain_graph, grad(),
// hooks, saved-tensor versions, grad mode and the errors users see.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "torch/autograd/functions/functions.h"
#include "torch/autograd/grad_mode.h"
#include "torch/autograd/gradcheck.h"
#include "torch/autograd/variable.h"
#include "torch/core/error.h"
#include "torch/core/ops.h"
#include "torch/testing/tensor_matchers.h"

namespace tch::autograd {
namespace {

using ::testing::HasSubstr;
using testing::TensorsClose;

Tensor Leaf(std::vector<double> values, IntList sizes,
            DType dtype = DType::kFloat64) {
  return requires_grad_(from_vector(values, sizes).to(dtype));
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(Engine, ProductRuleAndBroadcastReduction) {
  Tensor a = Leaf({1, 2, 3}, {3, 1});
  Tensor b = Leaf({10, 20, 30, 40}, {4});
  Tensor y = ad::add(ad::mul(a, b), a);  // [3, 4]
  backward(y, ones({3, 4}, DType::kFloat64));
  // dy/da summed over b's axis: sum(b) + 4 = 104 per row.
  EXPECT_TRUE(TensorsClose(grad_of(a), full({3, 1}, 104.0, DType::kFloat64)));
  // dy/db summed over a's axis: sum(a) = 6 per column.
  EXPECT_TRUE(TensorsClose(grad_of(b), full({4}, 6.0, DType::kFloat64)));
}

TEST(Engine, GradientsAccumulateUntilZeroed) {
  Tensor x = Leaf({1, 2}, {2});
  for (int i = 0; i < 3; ++i) {
    backward(ad::mul(x, 2.0), ones({2}, DType::kFloat64));
  }
  EXPECT_TRUE(TensorsClose(grad_of(x), full({2}, 6.0, DType::kFloat64)));
  zero_grad(x, /*set_to_none=*/false);
  EXPECT_TRUE(TensorsClose(grad_of(x), zeros({2}, DType::kFloat64)));
  zero_grad(x);
  EXPECT_FALSE(grad_of(x).defined());
}

TEST(Engine, DiamondRunsEachNodeOnce) {
  Tensor x = Leaf({1}, {});
  Tensor y = ad::mul(x, 2.0);
  int calls = 0;
  register_hook(y, [&calls](const Tensor&) {
    ++calls;
    return Tensor();
  });
  Tensor z = ad::add(ad::mul(y, 3.0), ad::mul(y, 4.0));
  backward(z);
  EXPECT_EQ(calls, 1);
  EXPECT_DOUBLE_EQ(grad_of(x).item<double>(), 14.0);
}

TEST(Engine, SecondBackwardNeedsRetainGraph) {
  Tensor x = Leaf({3}, {});
  Tensor y = ad::mul(x, x);
  backward(y, Tensor(), /*retain_graph=*/true);
  backward(y);
  EXPECT_DOUBLE_EQ(grad_of(x).item<double>(), 12.0);
  EXPECT_THAT(ErrorOf([&] { backward(y); }),
              HasSubstr("backward through the graph a second time"));
}

TEST(Engine, GradLeavesDotGradAlone) {
  Tensor x = Leaf({2}, {});
  Tensor unused = Leaf({5}, {});
  Tensor y = ad::mul(ad::mul(x, x), x);  // x^3
  TensorList g = grad({y}, {x, unused}, {}, /*retain_graph=*/true,
                      /*allow_unused=*/true);
  EXPECT_DOUBLE_EQ(g[0].item<double>(), 12.0);
  EXPECT_FALSE(g[1].defined());
  EXPECT_FALSE(grad_of(x).defined());
  EXPECT_THAT(ErrorOf([&] { grad({y}, {unused}); }),
              HasSubstr("not have been used in the graph"));
}

TEST(Engine, GradOfNonLeafInput) {
  Tensor x = Leaf({2}, {});
  Tensor h = ad::mul(x, 3.0);
  Tensor y = ad::mul(h, h);
  TensorList g = grad({y}, {h});
  EXPECT_DOUBLE_EQ(g[0].item<double>(), 12.0);  // 2h
}

TEST(Engine, InPlaceChangeOfSavedTensorIsAnError) {
  Tensor a = Leaf({1, 2}, {2});
  Tensor b = Leaf({3, 4}, {2});
  Tensor y = ad::mul(a, b);
  {
    NoGradGuard no_grad;
    b.add_(1.0);
  }
  const std::string error =
      ErrorOf([&] { backward(y, ones({2}, DType::kFloat64)); });
  EXPECT_THAT(error, HasSubstr("modified by an inplace operation"));
  EXPECT_THAT(error, HasSubstr("MulBackward"));
  EXPECT_THAT(error, HasSubstr("is at version 1; expected version 0"));
}

TEST(Engine, HooksReplaceGradients) {
  Tensor x = Leaf({1, 1}, {2});
  register_hook(x, [](const Tensor& g) { return tch::mul(g, 10.0); });
  Tensor h = ad::mul(x, 2.0);
  register_hook(h, [](const Tensor& g) { return tch::add(g, 1.0); });
  backward(h, ones({2}, DType::kFloat64));
  // (1 + 1) * 2 * 10
  EXPECT_TRUE(TensorsClose(grad_of(x), full({2}, 40.0, DType::kFloat64)));
}

TEST(Engine, HookWithWrongShapeIsAnError) {
  Tensor x = Leaf({1, 1}, {2});
  Tensor h = ad::mul(x, 2.0);
  register_hook(h, [](const Tensor&) { return zeros({3}, DType::kFloat64); });
  EXPECT_THAT(
      ErrorOf([&] { backward(h, ones({2}, DType::kFloat64)); }),
      HasSubstr("returned a gradient of shape [3]; expected shape [2]"));
}

TEST(Engine, RetainGradKeepsNonLeafGradient) {
  Tensor x = Leaf({1, 2}, {2});
  Tensor h = ad::mul(x, 3.0);
  retain_grad(h);
  backward(ad::mul(h, h), ones({2}, DType::kFloat64));
  EXPECT_TRUE(TensorsClose(grad_of(h), from_vector<double>({6, 12})));
  EXPECT_FALSE(is_leaf(h));
}

TEST(Engine, NoGradAndDetachDoNotRecord) {
  Tensor x = Leaf({1}, {});
  {
    NoGradGuard no_grad;
    EXPECT_FALSE(requires_grad(ad::mul(x, 2.0)));
    EnableGradGuard enable;
    EXPECT_TRUE(requires_grad(ad::mul(x, 2.0)));
  }
  Tensor d = ad::detach(x);
  EXPECT_FALSE(requires_grad(d));
  EXPECT_EQ(d.raw_data(), x.raw_data());
}

TEST(Engine, ClearErrors) {
  Tensor plain = ones({2});
  EXPECT_THAT(ErrorOf([&] { backward(plain); }),
              HasSubstr("does not require grad and does not have a grad_fn"));
  Tensor x = Leaf({1, 2}, {2});
  EXPECT_THAT(ErrorOf([&] { backward(ad::mul(x, 2.0)); }),
              HasSubstr("only for one-element outputs"));
  EXPECT_THAT(ErrorOf([&] { requires_grad_(ones({2}, DType::kInt64)); }),
              HasSubstr("only floating point tensors"));
  EXPECT_THAT(ErrorOf([&] { requires_grad_(ad::mul(x, 2.0), false); }),
              HasSubstr("leaf variables"));
  EXPECT_THAT(
      ErrorOf([&] { backward(ad::mul(x, 2.0), ones({3}, DType::kFloat64)); }),
      HasSubstr("has shape [3] but the tensor has shape [2]"));
}

TEST(Engine, MixedDtypeGradientsTakeTheInputDtype) {
  Tensor a = Leaf({1, 2}, {2}, DType::kFloat32);
  Tensor b = Leaf({3, 4}, {2}, DType::kFloat64);
  backward(ad::mul(a, b), ones({2}, DType::kFloat64));
  EXPECT_EQ(grad_of(a).dtype(), DType::kFloat32);
  EXPECT_TRUE(TensorsClose(grad_of(a), from_vector<float>({3, 4})));
}

TEST(GradCheck, ArithmeticAndViews) {
  Tensor a = requires_grad_(
      tch::add(tch::arange(12, DType::kFloat64), 1.0).view({3, 4}));
  Tensor b = requires_grad_(
      tch::add(tch::arange(4, DType::kFloat64), 2.0).view({1, 4}));
  auto check = [&](const char* what,
                   std::function<Tensor(const Tensor&, const Tensor&)> f) {
    EXPECT_EQ(
        GradCheck(
            [&](const TensorList& in) { return TensorList{f(in[0], in[1])}; },
            {a, b}),
        "")
        << what;
  };
  check("add", [](auto x, auto y) { return ad::add(x, y, 0.5); });
  check("sub", [](auto x, auto y) { return ad::sub(x, y, 2); });
  check("mul", [](auto x, auto y) { return ad::mul(x, y); });
  check("div", [](auto x, auto y) { return ad::div(x, y); });
  check("neg", [](auto x, auto) { return ad::neg(x); });
  check("scalar ops", [](auto x, auto) {
    return ad::div(ad::sub(ad::mul(ad::add(x, 1.0), 3.0), 2.0), 4.0);
  });
  check("transpose (non-contiguous)", [](auto x, auto y) {
    return ad::mul(ad::t(x), ad::transpose(y, 0, 1));
  });
  check("permute+reshape", [](auto x, auto) {
    return ad::reshape(ad::permute(x, {1, 0}), {-1});
  });
  check("view/flatten/unflatten", [](auto x, auto) {
    return ad::unflatten(ad::flatten(ad::view(x, {2, 6})), 0, {6, 2});
  });
  check("squeeze/unsqueeze", [](auto x, auto y) {
    return ad::add(ad::unsqueeze(x, 0), ad::squeeze(y, 0));
  });
  check("slice/narrow/select", [](auto x, auto) {
    return ad::add(ad::slice(x, 1, 0, 4, 2),
                   ad::narrow(ad::select(x, 0, 1), 0, 1, 2));
  });
  check("diagonal", [](auto x, auto) { return ad::diagonal(x, 1); });
  check("expand", [](auto, auto y) { return ad::expand(y, {2, 3, 4}); });
  check("contiguous/clone",
        [](auto x, auto) { return ad::clone(ad::contiguous(ad::t(x))); });
}

TEST(GradCheck, CatchesAWrongFormula) {
  Tensor x = requires_grad_(from_vector<double>({1, 2, 3}));
  // tch::mul does not record: fn's output has no gradient path, so the
  // analytic Jacobian is 0 while the numerical one is 2.
  const std::string failure = GradCheck(
      [](const TensorList& in) {
        return TensorList{ad::add(ad::detach(tch::mul(in[0], 2.0)), 0.0)};
      },
      {x});
  EXPECT_THAT(failure, HasSubstr("Jacobian mismatch"));
}

}  // namespace
}  // namespace tch::autograd
