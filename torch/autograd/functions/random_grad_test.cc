// Gradient of dropout: grad * mask / (1 - p) with the mask the forward drew
// (replayed from the generator's state), pass-through when not training or
// p == 0, zeros for p == 1; and finite differences at a fixed mask.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "torch/autograd/functions/arith.h"
#include "torch/autograd/functions/random.h"
#include "torch/autograd/gradcheck.h"
#include "torch/autograd/variable.h"
#include "torch/core/error.h"
#include "torch/core/generator.h"
#include "torch/core/ops.h"
#include "torch/core/random_ops.h"
#include "torch/testing/tensor_matchers.h"

namespace tch::autograd {
namespace {

using ::testing::HasSubstr;
using testing::TensorsClose;
using testing::TensorsEqual;

Tensor Leaf(IntList sizes, DType dtype = DType::kFloat32) {
  Generator gen(/*seed=*/3);
  return requires_grad_(randn(sizes, dtype, &gen));
}

TEST(DropoutGrad, GradientIsMaskTimesScale) {
  for (double p : {0.2, 0.5, 0.9}) {
    SCOPED_TRACE(p);
    Tensor x = Leaf({64, 33});
    Generator gen(/*seed=*/11);
    const std::vector<uint8_t> state = gen.GetState();
    Tensor y = ad::dropout(x, p, /*training=*/true, &gen);
    // The same draws through core dropout give the mask the forward used.
    gen.SetState(state);
    DropoutResult reference = tch::dropout(x, p, true, &gen);
    EXPECT_TRUE(TensorsEqual(y, reference.output));
    Tensor g = randn({64, 33}, DType::kFloat32, &gen);
    backward(y, g);
    const Tensor expected = tch::mul(
        tch::mul(g, reference.mask.to(DType::kFloat32)), 1.0 / (1.0 - p));
    EXPECT_TRUE(TensorsClose(grad_of(x), expected, 1e-6, 1e-7));
    // Dropped elements get exactly zero; kept ones exactly g * scale.
    const std::vector<float> gx = grad_of(x).ToVector<float>();
    const std::vector<bool> mask = reference.mask.ToVector<bool>();
    int kept = 0;
    for (size_t i = 0; i < gx.size(); ++i) {
      if (!mask[i]) {
        EXPECT_EQ(gx[i], 0.0f) << i;
      }
      kept += mask[i] ? 1 : 0;
    }
    EXPECT_GT(kept, 0);
    EXPECT_LT(kept, static_cast<int>(gx.size()));
  }
}

TEST(DropoutGrad, PassThroughWhenNotTrainingOrPZero) {
  Tensor x = Leaf({5, 4});
  Generator gen(/*seed=*/1);
  const std::vector<uint8_t> state = gen.GetState();
  for (bool training : {false, true}) {
    const double p = training ? 0.0 : 0.5;
    Tensor y = ad::dropout(x, p, training, &gen);
    EXPECT_TRUE(y.SameImpl(x));  // the input itself, as in core and PyTorch
    backward(ad::mul(y, 3.0), ones({5, 4}));
    EXPECT_TRUE(TensorsClose(grad_of(x), full({5, 4}, 3.0)));
    zero_grad(x);
  }
  EXPECT_EQ(gen.GetState(), state);  // nothing drawn
}

TEST(DropoutGrad, POneGivesZeroGradient) {
  Tensor x = Leaf({3, 4});
  Tensor y = ad::dropout(x, 1.0, true);
  EXPECT_TRUE(TensorsEqual(y, zeros({3, 4})));
  backward(y, ones({3, 4}));
  EXPECT_TRUE(TensorsEqual(grad_of(x), zeros({3, 4})));
}

TEST(DropoutGrad, GradCheckAtAFixedMask) {
  // Each evaluation replays the same generator state, so the mask is fixed
  // and dropout is linear in x.
  Tensor x = Leaf({4, 5}, DType::kFloat64);
  Generator gen(/*seed=*/5);
  const std::vector<uint8_t> state = gen.GetState();
  EXPECT_EQ(GradCheck(
                [&](const TensorList& in) {
                  gen.SetState(state);
                  return TensorList{ad::dropout(in[0], 0.4, true, &gen)};
                },
                {x}),
            "");
  // Non-contiguous input.
  Tensor xt = requires_grad_(randn({5, 4}, DType::kFloat64, &gen).t());
  EXPECT_EQ(GradCheck(
                [&](const TensorList& in) {
                  gen.SetState(state);
                  return TensorList{ad::dropout(in[0], 0.4, true, &gen)};
                },
                {xt}),
            "");
}

TEST(DropoutGrad, NoRecordingForConstants) {
  Tensor x = randn({3});
  EXPECT_FALSE(requires_grad(ad::dropout(x, 0.5, true)));
}

TEST(DropoutGrad, Errors) {
  auto error_of = [](const std::function<void()>& f) -> std::string {
    try {
      f();
    } catch (const Error& e) {
      return e.what();
    }
    return "<no error>";
  };
  EXPECT_THAT(error_of([] { ad::dropout(ones({2}), 1.5, false); }),
              HasSubstr("dropout probability has to be between 0 and 1"));
  EXPECT_THAT(
      error_of([] { ad::dropout(ones({2}, DType::kInt64), 0.0, true); }),
      HasSubstr("expected a floating-point input"));
  EXPECT_THAT(error_of([] { ad::dropout(ones({2}), -0.1, true); }),
              HasSubstr("dropout probability has to be between 0 and 1"));
}

}  // namespace
}  // namespace tch::autograd
