// Optimizers and gradient clipping against PyTorch 1.13 goldens
// (tests/golden/optim_golden.py writes tests/golden/optim.safetensors):
// every optimizer over several option combinations, float32 and float64,
// five steps with changing grads and skipped parameters; state-dict
// round trips (through a safetensors file) that must continue bit for bit;
// the parallel path against the inline one; errors.
#include "torch/optim/optimizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "torch/autograd/variable.h"
#include "torch/core/ops.h"
#include "torch/core/parallel.h"
#include "torch/core/random_ops.h"
#include "torch/core/serialize.h"
#include "torch/testing/tensor_matchers.h"

namespace tch::optim {
namespace {

using ::testing::HasSubstr;

constexpr char kGoldenPath[] = "tests/golden/optim.safetensors";
constexpr int kSteps = 5;
constexpr int kParams = 3;

const std::map<std::string, Tensor>& Golden() {
  return tch::testing::CachedGolden(kGoldenPath);
}

const Tensor& G(const std::string& key) {
  const auto it = Golden().find(key);
  if (it == Golden().end()) {
    ADD_FAILURE() << "golden tensor " << key << " missing";
    static const Tensor empty_tensor = zeros({0});
    return empty_tensor;
  }
  return it->second;
}

// Every optimizer case prefix "opt.<Name>.<case>.<f32|f64>".
std::vector<std::string> OptimizerCases() {
  std::vector<std::string> cases;
  for (const auto& [key, t] : Golden()) {
    if (key.rfind("opt.", 0) == 0 && key.size() > 3 &&
        key.compare(key.size() - 3, 3, ".lr") == 0) {
      cases.push_back(key.substr(0, key.size() - 3));
    }
  }
  return cases;
}

std::string NameOf(const std::string& prefix) {
  const size_t a = prefix.find('.') + 1;
  return prefix.substr(a, prefix.find('.', a) - a);
}

GroupOptions OptionsOf(const std::string& prefix) {
  GroupOptions o;
  auto d = [&](const char* f) { return G(prefix + "." + f).item<double>(); };
  o.lr = d("lr");
  o.weight_decay = d("weight_decay");
  o.momentum = d("momentum");
  o.dampening = d("dampening");
  o.nesterov = d("nesterov") != 0;
  o.maximize = d("maximize") != 0;
  o.beta1 = d("beta1");
  o.beta2 = d("beta2");
  o.eps = d("eps");
  o.amsgrad = d("amsgrad") != 0;
  o.alpha = d("alpha");
  o.centered = d("centered") != 0;
  o.lr_decay = d("lr_decay");
  o.initial_accumulator_value = d("initial_accumulator_value");
  return o;
}

std::vector<Tensor> InitialParams(const std::string& prefix) {
  std::vector<Tensor> params;
  for (int k = 0; k < kParams; ++k) {
    params.push_back(autograd::requires_grad_(
        G(prefix + ".init." + std::to_string(k)).clone()));
  }
  return params;
}

// Sets the grads of step `s` (undefined where the fixture has none).
void SetGrads(const std::string& prefix, int s,
              const std::vector<Tensor>& params) {
  for (int k = 0; k < kParams; ++k) {
    const std::string key =
        prefix + ".grad." + std::to_string(s) + "." + std::to_string(k);
    const auto it = Golden().find(key);
    autograd::set_grad(params[k],
                       it == Golden().end() ? Tensor() : it->second.clone());
  }
}

bool IsF64(const std::string& prefix) {
  return prefix.compare(prefix.size() - 3, 3, "f64") == 0;
}

TEST(OptimizerGolden, MatchesPyTorch) {
  const std::vector<std::string> cases = OptimizerCases();
  ASSERT_EQ(cases.size(), 32u);
  for (const std::string& prefix : cases) {
    SCOPED_TRACE(prefix);
    std::vector<Tensor> params = InitialParams(prefix);
    auto opt = MakeOptimizer(NameOf(prefix), params, OptionsOf(prefix));
    EXPECT_EQ(opt->name(), NameOf(prefix));
    const double rtol = IsF64(prefix) ? 1e-12 : 1e-6;
    const double atol = IsF64(prefix) ? 1e-14 : 1e-6;
    for (int s = 0; s < kSteps; ++s) {
      SetGrads(prefix, s, params);
      opt->step();
      for (int k = 0; k < kParams; ++k) {
        EXPECT_TRUE(tch::testing::TensorsClose(
            params[k],
            G(prefix + ".param." + std::to_string(s) + "." + std::to_string(k)),
            rtol, atol))
            << "step " << s << " param " << k;
      }
    }
  }
}

// Stops after `split` steps, saves the state (through a safetensors file),
// resumes in a fresh optimizer over copies of the parameters and checks the
// remaining steps are bit-identical to an uninterrupted run.
TEST(OptimizerStateDict, ResumeIsBitIdentical) {
  const std::string path = ::testing::TempDir() + "/optim_state.safetensors";
  for (const std::string& prefix : OptimizerCases()) {
    SCOPED_TRACE(prefix);
    for (int split : {1, 3}) {
      std::vector<Tensor> params = InitialParams(prefix);
      auto opt = MakeOptimizer(NameOf(prefix), params, OptionsOf(prefix));
      for (int s = 0; s < split; ++s) {
        SetGrads(prefix, s, params);
        opt->step();
      }
      SaveSafetensors(path, opt->state_dict());
      std::vector<Tensor> resumed;
      for (const Tensor& p : params) {
        resumed.push_back(autograd::requires_grad_(p.clone()));
      }
      // Built with different options: everything comes from the state.
      auto opt2 = MakeOptimizer(NameOf(prefix), resumed,
                                DefaultOptions(NameOf(prefix)));
      opt2->load_state_dict(LoadSafetensors(path));
      EXPECT_EQ(opt2->lr(), opt->lr());
      for (int s = split; s < kSteps; ++s) {
        SetGrads(prefix, s, params);
        SetGrads(prefix, s, resumed);
        opt->step();
        opt2->step();
        for (int k = 0; k < kParams; ++k) {
          EXPECT_TRUE(tch::testing::TensorsEqual(resumed[k], params[k]))
              << "split " << split << " step " << s << " param " << k;
        }
      }
    }
  }
  std::remove(path.c_str());
}

TEST(OptimizerStateDict, LayoutAndCopies) {
  Tensor w = autograd::requires_grad_(ones({2, 3}));
  Tensor b = autograd::requires_grad_(zeros({3}));
  Adam opt({w, b}, {.lr = 0.1, .amsgrad = true});
  autograd::set_grad(w, full({2, 3}, 0.5));
  opt.step();  // b has no grad: no state
  auto state = opt.state_dict();
  std::set<std::string> keys;
  for (const auto& [k, v] : state) keys.insert(k);
  EXPECT_TRUE(keys.count("optimizer.Adam"));
  EXPECT_TRUE(keys.count("param_groups.0.lr"));
  EXPECT_TRUE(keys.count("param_groups.0.params"));
  EXPECT_TRUE(keys.count("state.0.step"));
  EXPECT_TRUE(keys.count("state.0.exp_avg"));
  EXPECT_TRUE(keys.count("state.0.max_exp_avg_sq"));
  EXPECT_FALSE(keys.count("state.1.step"));
  EXPECT_EQ(state.at("state.0.step").dtype(), DType::kInt64);
  EXPECT_EQ(state.at("state.0.step").item<int64_t>(), 1);
  EXPECT_EQ(state.at("param_groups.0.lr").dtype(), DType::kFloat64);
  EXPECT_EQ(state.at("param_groups.0.amsgrad").item<double>(), 1.0);
  EXPECT_EQ(state.at("param_groups.0.params").ToVector<int64_t>(),
            (std::vector<int64_t>{0, 1}));
  // A copy: later steps do not change a saved state.
  const Tensor saved = state.at("state.0.exp_avg").clone();
  opt.step();
  EXPECT_TRUE(tch::testing::TensorsEqual(state.at("state.0.exp_avg"), saved));
}

// Parameters big enough for ParallelFor give the same bits as the same
// values split into small parameters updated inline.
TEST(OptimizerKernels, ParallelMatchesInline) {
  const int saved_threads = GetNumThreads();
  SetNumThreads(4);
  const int64_t n = 200000, pieces = 100, m = n / pieces;
  const std::vector<GroupOptions> configs = {
      SGDOptions{
          .lr = 0.1, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true},
      AdamOptions{.lr = 0.01, .weight_decay = 0.1, .amsgrad = true},
      AdamWOptions{.lr = 0.01},
      RMSpropOptions{.lr = 0.01, .momentum = 0.5, .centered = true},
      AdagradOptions{.lr = 0.1, .lr_decay = 0.01}};
  const char* names[] = {"sgd", "adam", "adamw", "rmsprop", "adagrad"};
  for (DType dtype : {DType::kFloat32, DType::kFloat64}) {
    for (size_t c = 0; c < configs.size(); ++c) {
      SCOPED_TRACE(names[c]);
      Tensor big = autograd::requires_grad_(randn({n}, dtype));
      std::vector<Tensor> small;
      for (int64_t i = 0; i < pieces; ++i) {
        small.push_back(
            autograd::requires_grad_(big.narrow(0, i * m, m).clone()));
      }
      auto opt_big = MakeOptimizer(names[c], {big}, configs[c]);
      auto opt_small = MakeOptimizer(names[c], small, configs[c]);
      for (int s = 0; s < 3; ++s) {
        Tensor g = randn({n}, dtype);
        autograd::set_grad(big, g);
        for (int64_t i = 0; i < pieces; ++i) {
          autograd::set_grad(small[i], g.narrow(0, i * m, m).clone());
        }
        opt_big->step();
        opt_small->step();
      }
      for (int64_t i = 0; i < pieces; ++i) {
        ASSERT_TRUE(tch::testing::TensorsEqual(
            big.narrow(0, i * m, m).contiguous(), small[i]))
            << "piece " << i;
      }
    }
  }
  SetNumThreads(saved_threads);
}

TEST(Optimizer, InPlaceNoRecordingVersionBump) {
  Tensor w = autograd::requires_grad_(ones({4}));
  const Tensor alias = w;  // same handle: updates are visible
  SGD opt({w}, {.lr = 0.5});
  autograd::set_grad(w, full({4}, 2.0));
  const uint32_t version = w.storage().version();
  opt.step();
  EXPECT_GT(w.storage().version(), version);
  EXPECT_TRUE(autograd::is_leaf(w));
  EXPECT_TRUE(autograd::requires_grad(w));
  EXPECT_EQ(autograd::grad_fn(w), nullptr);
  EXPECT_EQ(alias.ToVector<float>(), std::vector<float>(4, 0.0f));
}

TEST(Optimizer, NonContiguousParameter) {
  Tensor base = randn({3, 5}, DType::kFloat64);
  Tensor t = autograd::requires_grad_(base.clone().t());  // strided view
  Tensor c = autograd::requires_grad_(t.contiguous());
  ASSERT_FALSE(t.is_contiguous());
  Adam opt_t({t}, {.lr = 0.1});
  Adam opt_c({c}, {.lr = 0.1});
  for (int s = 0; s < 2; ++s) {
    Tensor g = randn({5, 3}, DType::kFloat64);
    autograd::set_grad(t, g);
    autograd::set_grad(c, g.clone());
    opt_t.step();
    opt_c.step();
  }
  EXPECT_TRUE(tch::testing::TensorsEqual(t.contiguous(), c));
}

TEST(Optimizer, ZeroGradAndLr) {
  Tensor w = autograd::requires_grad_(ones({2}));
  Tensor b = autograd::requires_grad_(ones({2}));
  SGD opt(std::vector<ParamGroup>{{{w}, SGDOptions{.lr = 0.1}},
                                  {{b}, SGDOptions{.lr = 0.2}}});
  EXPECT_EQ(opt.num_params(), 2);
  EXPECT_DOUBLE_EQ(opt.lr(), 0.1);
  opt.set_lr(0.3);
  EXPECT_DOUBLE_EQ(opt.param_groups()[1].options.lr, 0.3);
  autograd::set_grad(w, full({2}, 3.0));
  opt.zero_grad(/*set_to_none=*/false);
  EXPECT_EQ(autograd::grad_of(w).ToVector<float>(), (std::vector<float>{0, 0}));
  opt.zero_grad();
  EXPECT_FALSE(autograd::grad_of(w).defined());
  opt.step();  // no grads: nothing changes
  EXPECT_EQ(w.ToVector<float>(), (std::vector<float>{1, 1}));
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

TEST(OptimizerErrors, Construction) {
  Tensor w = autograd::requires_grad_(ones({2}));
  ExpectError([] { SGD opt(std::vector<Tensor>{}); }, "empty parameter list");
  ExpectError([&] { SGD opt({w, w}); }, "more than once");
  ExpectError([&] { SGD opt({w}, {.lr = -1}); },
              "SGD: invalid learning rate -1");
  ExpectError([&] { SGD opt({w}, {.lr = 0.1, .nesterov = true}); },
              "nesterov momentum requires a momentum");
  ExpectError([&] { Adam opt({w}, {.beta2 = 1.0}); }, "invalid beta2 1");
  ExpectError([&] { MakeOptimizer("lamb", {w}, GroupOptions()); },
              "unknown optimizer 'lamb'");
  ExpectError([&] { SGD opt({ones({2}, DType::kInt64)}); },
              "only floating point tensors");
  SGD opt({w});
  autograd::set_grad(w, ones({2}));
  opt.param_groups()[0].options.lr = -0.5;  // e.g. a bad scheduler
  ExpectError([&] { opt.step(); }, "invalid learning rate");
}

TEST(OptimizerErrors, BadStateDicts) {
  auto make = [] {
    std::vector<Tensor> params = {autograd::requires_grad_(ones({128, 10})),
                                  autograd::requires_grad_(ones({10}))};
    for (const Tensor& p : params) autograd::set_grad(p, ones_like(p));
    return params;
  };
  std::vector<Tensor> params = make();
  Adam opt(params);
  opt.step();
  const auto good = opt.state_dict();
  std::vector<Tensor> params2 = make();
  Adam fresh(params2);

  auto bad = good;
  bad["state.0.exp_avg"] = zeros({10});
  ExpectError([&] { fresh.load_state_dict(bad); },
              "optimizer state: state.0.exp_avg has shape [10], expected "
              "[128, 10]");

  std::vector<Tensor> three = make();
  three.push_back(autograd::requires_grad_(ones({3})));
  Adam bigger(three);
  ExpectError([&] { bigger.load_state_dict(good); },
              "optimizer state was saved for 2 parameters, this model has 3");

  SGD sgd(make());
  ExpectError([&] { sgd.load_state_dict(good); },
              "optimizer state was saved for Adam, this optimizer is SGD");

  bad = good;
  bad.erase("state.1.exp_avg_sq");
  ExpectError([&] { fresh.load_state_dict(bad); },
              "missing entry state.1.exp_avg_sq");
  bad = good;
  bad.erase("param_groups.0.beta2");
  ExpectError([&] { fresh.load_state_dict(bad); },
              "missing entry param_groups.0.beta2");
  bad = good;
  bad["state.0.momentum"] = zeros({128, 10});
  ExpectError([&] { fresh.load_state_dict(bad); },
              "unexpected entry state.0.momentum");
  bad = good;
  bad["state.7.exp_avg"] = zeros({10});
  ExpectError([&] { fresh.load_state_dict(bad); }, "refers to parameter 7");
  bad = good;
  bad["param_groups.0.lr"] = scalar_tensor(-1.0, DType::kFloat64);
  ExpectError([&] { fresh.load_state_dict(bad); }, "invalid learning rate");
  ExpectError([&] { fresh.load_state_dict({}); }, "not an optimizer state");

  // A failed load leaves the optimizer untouched; a good one then works.
  EXPECT_EQ(fresh.state_dict().count("state.0.step"), 0u);
  fresh.load_state_dict(good);
  EXPECT_EQ(fresh.state_dict().at("state.0.step").item<int64_t>(), 1);
}

TEST(OptimizerErrors, GradShapeAndDtype) {
  Tensor w = autograd::requires_grad_(ones({2, 2}));
  SGD opt({w});
  // set_grad rejects a wrong shape itself; the optimizer rechecks anyway.
  autograd::set_grad(w, ones({2, 2}));
  opt.step();
  Tensor h = autograd::requires_grad_(ones({2}, DType::kFloat16));
  SGD half({h});
  autograd::set_grad(h, ones({2}, DType::kFloat16));
  EXPECT_THROW(half.step(), NotImplementedError);
}

// --- Clipping
// -----------------------------------------------------------------

TEST(ClipGrad, NormMatchesPyTorch) {
  for (const char* c : {"l2_clip", "l2_noclip", "l1", "inf", "p3"}) {
    for (const char* dt : {"f32", "f64"}) {
      const std::string prefix = std::string("clip.") + c + "." + dt;
      SCOPED_TRACE(prefix);
      std::vector<Tensor> params;
      for (int k = 0; k < 3; ++k) {
        const Tensor& g = G(prefix + ".grad." + std::to_string(k));
        params.push_back(autograd::requires_grad_(zeros_like(g)));
        autograd::set_grad(params.back(), g.clone());
      }
      params.push_back(autograd::requires_grad_(ones({2})));  // no grad
      const double total =
          clip_grad_norm_(params, G(prefix + ".max_norm").item<double>(),
                          G(prefix + ".norm_type").item<double>());
      const double expected = G(prefix + ".total_norm").item<double>();
      const double tol = std::string(dt) == "f64" ? 1e-12 : 1e-6;
      EXPECT_NEAR(total, expected, tol * expected);
      for (int k = 0; k < 3; ++k) {
        EXPECT_TRUE(tch::testing::TensorsClose(
            autograd::grad_of(params[k]),
            G(prefix + ".clipped." + std::to_string(k)), tol, tol));
      }
    }
  }
}

TEST(ClipGrad, ValueMatchesPyTorch) {
  Tensor p = autograd::requires_grad_(zeros({5, 5}, DType::kFloat64));
  autograd::set_grad(p, G("clip_value.grad").clone());
  clip_grad_value_({p}, G("clip_value.clip").item<double>());
  EXPECT_TRUE(tch::testing::TensorsEqual(autograd::grad_of(p),
                                         G("clip_value.clipped")));
}

TEST(ClipGrad, EdgeCases) {
  Tensor p = autograd::requires_grad_(zeros({3}));
  EXPECT_EQ(clip_grad_norm_({p}, 1.0), 0.0);  // no grads
  autograd::set_grad(p, from_vector<float>({1, NAN, 2}, {3}));
  ExpectError([&] { clip_grad_norm_({p}, 1.0, 2.0, true); }, "non-finite");
  EXPECT_TRUE(std::isnan(clip_grad_norm_({p}, 1.0)));
  ExpectError([&] { clip_grad_norm_({p}, 1.0, 0.0); }, "norm_type");
  ExpectError([&] { clip_grad_value_({p}, -1.0); }, "clip must be >= 0");
  // A non-contiguous grad is clipped in place.
  Tensor q = autograd::requires_grad_(zeros({2, 3}));
  Tensor g = from_vector<float>({3, -4, 0, 0, 0, 0}, {3, 2}).t();
  autograd::set_grad(q, g);
  EXPECT_NEAR(clip_grad_norm_({q}, 1.0), 5.0, 1e-6);
  EXPECT_NEAR(g.ToVector<float>()[0], 0.6f, 1e-6);
}

}  // namespace
}  // namespace tch::optim
