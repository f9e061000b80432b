// LR schedulers against PyTorch 1.13 (tests/golden/optim_golden.py): the
// get_last_lr() sequence of two param groups (lr 0.1 and 0.05) over 50-60
// steps for every scheduler PyTorch has, OneCycleLR's momentum / beta1,
// ReduceLROnPlateau on a fixed metric sequence, and the warmup schedules
// against LambdaLR with their documented formulas; state-dict resume and
// errors.
#include "torch/optim/lr_scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "torch/autograd/variable.h"
#include "torch/core/ops.h"
#include "torch/testing/tensor_matchers.h"

namespace tch::optim {
namespace {

using ::testing::HasSubstr;

constexpr char kGoldenPath[] = "tests/golden/optim.safetensors";

const Tensor& G(const std::string& key) {
  const auto& golden = tch::testing::CachedGolden(kGoldenPath);
  const auto it = golden.find(key);
  if (it == golden.end()) {
    ADD_FAILURE() << "golden tensor " << key << " missing";
    static const Tensor empty_tensor = zeros({0});
    return empty_tensor;
  }
  return it->second;
}
double D(const std::string& key) { return G(key).item<double>(); }
int64_t I(const std::string& key) { return G(key).item<int64_t>(); }

// Two groups with lr 0.1 and 0.05, like the fixture.
std::vector<ParamGroup> Groups(const GroupOptions& options) {
  GroupOptions a = options, b = options;
  a.lr = 0.1;
  b.lr = 0.05;
  return {{{autograd::requires_grad_(zeros({2}))}, a},
          {{autograd::requires_grad_(zeros({2}))}, b}};
}

using Factory = std::function<std::unique_ptr<LRScheduler>(Optimizer&)>;

Factory FactoryFor(const std::string& c) {
  const std::string p = "sched." + c + ".";
  if (c == "constant") {
    return [p](Optimizer& o) {
      return std::make_unique<ConstantLR>(o, D(p + "factor"),
                                          I(p + "total_iters"));
    };
  }
  if (c == "step") {
    return [p](Optimizer& o) {
      return std::make_unique<StepLR>(o, I(p + "step_size"), D(p + "gamma"));
    };
  }
  if (c == "multistep") {
    return [p](Optimizer& o) {
      return std::make_unique<MultiStepLR>(
          o, G(p + "milestones").ToVector<int64_t>(), D(p + "gamma"));
    };
  }
  if (c == "exponential") {
    return [p](Optimizer& o) {
      return std::make_unique<ExponentialLR>(o, D(p + "gamma"));
    };
  }
  if (c == "cosine") {
    return [p](Optimizer& o) {
      return std::make_unique<CosineAnnealingLR>(o, I(p + "t_max"),
                                                 D(p + "eta_min"));
    };
  }
  if (c.rfind("onecycle", 0) == 0) {
    return [p](Optimizer& o) {
      OneCycleOptions oc;
      oc.pct_start = D(p + "pct_start");
      oc.div_factor = D(p + "div_factor");
      oc.final_div_factor = D(p + "final_div_factor");
      if (tch::testing::CachedGolden(kGoldenPath).count(p + "base_momentum")) {
        oc.base_momentum = D(p + "base_momentum");
        oc.max_momentum = D(p + "max_momentum");
      }
      return std::make_unique<OneCycleLR>(o, D(p + "max_lr"),
                                          I(p + "total_steps"), oc);
    };
  }
  if (c.rfind("plateau", 0) == 0) {
    return [p](Optimizer& o) {
      PlateauOptions po;
      po.mode = I(p + "mode_max") ? "max" : "min";
      po.threshold_mode = I(p + "rel") ? "rel" : "abs";
      po.factor = D(p + "factor");
      po.patience = I(p + "patience");
      po.threshold = D(p + "threshold");
      po.cooldown = I(p + "cooldown");
      po.min_lr = D(p + "min_lr");
      return std::make_unique<ReduceLROnPlateau>(o, po);
    };
  }
  if (c.rfind("cosine_warmup", 0) == 0) {
    return [p](Optimizer& o) {
      return std::make_unique<CosineWarmupLR>(
          o, I(p + "warmup_steps"), I(p + "total_steps"), D(p + "min_lr"),
          D(p + "warmup_start_factor"));
    };
  }
  if (c == "linear_warmup_decay") {
    return [p](Optimizer& o) {
      return std::make_unique<LinearWarmupDecayLR>(
          o, I(p + "warmup_steps"), I(p + "total_steps"), D(p + "final_lr"),
          D(p + "warmup_start_factor"));
    };
  }
  ADD_FAILURE() << "no factory for " << c;
  return nullptr;
}

std::unique_ptr<Optimizer> OptimizerFor(const std::string& c) {
  if (c == "onecycle_adam")
    return std::make_unique<Adam>(Groups(AdamOptions{}));
  if (c == "onecycle_sgd") {
    return std::make_unique<SGD>(Groups(SGDOptions{.momentum = 0.9}));
  }
  return std::make_unique<SGD>(Groups(SGDOptions{}));
}

void Step(LRScheduler& s, const std::string& c, int64_t i) {
  if (s.uses_metric()) {
    s.step(G("sched." + c + ".metrics").ToVector<double>()[i]);
  } else {
    s.step();
  }
}

const std::vector<std::string> kCases = {"constant",
                                         "step",
                                         "multistep",
                                         "exponential",
                                         "cosine",
                                         "onecycle_sgd",
                                         "onecycle_adam",
                                         "plateau_min",
                                         "plateau_max_abs",
                                         "cosine_warmup",
                                         "cosine_warmup_start",
                                         "linear_warmup_decay"};

TEST(LRSchedulerGolden, MatchesPyTorch) {
  for (const std::string& c : kCases) {
    SCOPED_TRACE(c);
    auto opt = OptimizerFor(c);
    auto sched = FactoryFor(c)(*opt);
    const int64_t steps = I("sched." + c + ".steps");
    const std::vector<double> want =
        G("sched." + c + ".lrs").ToVector<double>();
    const bool tracked = c.rfind("onecycle", 0) == 0;
    std::vector<double> track;
    if (tracked) track = G("sched." + c + ".tracked").ToVector<double>();
    ASSERT_EQ(want.size(), static_cast<size_t>(2 * (steps + 1)));
    for (int64_t s = 0; s <= steps; ++s) {
      if (s > 0) Step(*sched, c, s - 1);
      for (int g = 0; g < 2; ++g) {
        const double expected = want[2 * s + g];
        EXPECT_NEAR(sched->last_lrs()[g], expected, 1e-13 * expected + 1e-16)
            << "step " << s << " group " << g;
        EXPECT_EQ(opt->param_groups()[g].options.lr, sched->last_lrs()[g]);
      }
      if (tracked) {
        const GroupOptions& o = opt->param_groups()[0].options;
        const double m = c == "onecycle_adam" ? o.beta1 : o.momentum;
        EXPECT_NEAR(m, track[s], 1e-14) << "momentum at step " << s;
      }
    }
    EXPECT_EQ(sched->last_lr(), sched->last_lrs()[0]);
  }
}

// Interrupt after 17 steps, restore optimizer + scheduler state into fresh
// objects, continue: the same lr sequence, bit for bit.
TEST(LRSchedulerStateDict, ResumeIsBitIdentical) {
  for (const std::string& c : kCases) {
    SCOPED_TRACE(c);
    const int64_t steps = I("sched." + c + ".steps");
    auto opt = OptimizerFor(c);
    auto sched = FactoryFor(c)(*opt);
    for (int64_t s = 0; s < 17; ++s) Step(*sched, c, s);
    const auto opt_state = opt->state_dict();
    const auto sched_state = sched->state_dict();
    auto opt2 = OptimizerFor(c);
    auto sched2 = FactoryFor(c)(*opt2);
    opt2->load_state_dict(opt_state);
    sched2->load_state_dict(sched_state);
    EXPECT_EQ(sched2->last_epoch(), sched->last_epoch());
    for (int64_t s = 17; s < steps; ++s) {
      Step(*sched, c, s);
      Step(*sched2, c, s);
      EXPECT_EQ(sched2->last_lrs(), sched->last_lrs()) << "step " << s;
      EXPECT_EQ(opt2->param_groups()[0].options.momentum,
                opt->param_groups()[0].options.momentum);
    }
  }
}

TEST(LRScheduler, FactoryAndMetricDispatch) {
  SGD opt(Groups(SGDOptions{}));
  SchedulerOptions so;
  so.step_size = 2;
  so.gamma = 0.5;
  auto s = MakeScheduler("Step", opt, so);  // names are case-insensitive
  s->step(123.0);                           // metric ignored
  s->step();
  EXPECT_DOUBLE_EQ(s->last_lr(), 0.05);
  EXPECT_FALSE(s->uses_metric());
  SGD opt2(Groups(SGDOptions{}));
  auto p = MakeScheduler("plateau", opt2, so);
  EXPECT_TRUE(p->uses_metric());
  EXPECT_THROW(p->step(), ValueError);
  for (const char* n : {"constant", "multistep", "exponential", "cosine",
                        "cosine_warmup", "linear_warmup_decay"}) {
    SGD o(Groups(SGDOptions{}));
    SchedulerOptions defaults;
    EXPECT_NO_THROW(MakeScheduler(n, o, defaults)) << n;
  }
  try {
    MakeScheduler("cyclic", opt, so);
    ADD_FAILURE() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown scheduler 'cyclic'"));
  }
}

template <typename F>
void ExpectError(F&& f, const std::string& substring) {
  try {
    f();
    ADD_FAILURE() << "expected an error containing: " << substring;
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr(substring));
  }
}

TEST(LRSchedulerErrors, Arguments) {
  SGD opt(Groups(SGDOptions{.momentum = 0.9}));
  ExpectError([&] { StepLR s(opt, 0); }, "step_size must be > 0");
  ExpectError([&] { ConstantLR s(opt, 1.5); }, "factor must be in (0, 1]");
  ExpectError([&] { CosineWarmupLR s(opt, 20, 10); },
              "warmup_steps must be in [0, total_steps = 10]");
  ExpectError(
      [&] {
        PlateauOptions po;
        po.mode = "up";
        ReduceLROnPlateau s(opt, po);
      },
      "mode must be \"min\" or \"max\"");
  Adagrad adagrad({autograd::requires_grad_(zeros({1}))});
  ExpectError([&] { OneCycleLR s(adagrad, 0.1, 10); }, "must support momentum");
  OneCycleLR one(opt, 0.1, 3);
  for (int i = 0; i < 3; ++i) one.step();
  ExpectError([&] { one.step(); },
              "Tried to step 4 times. The specified number of total steps "
              "is 3");
}

TEST(LRSchedulerErrors, BadStateDicts) {
  SGD opt(Groups(SGDOptions{}));
  StepLR s(opt, 3);
  auto state = s.state_dict();
  SGD one_group({autograd::requires_grad_(zeros({1}))});
  StepLR s1(one_group, 3);
  ExpectError([&] { s1.load_state_dict(state); },
              "scheduler state has 2 param groups, the optimizer has 1");
  auto bad = state;
  bad.erase("last_epoch");
  ExpectError([&] { s.load_state_dict(bad); }, "missing entry last_epoch");
  bad = state;
  bad["best"] = 1;
  ExpectError([&] { s.load_state_dict(bad); }, "unexpected entry best");
}

}  // namespace
}  // namespace tch::optim
