// File: torch/optim/optimizer.cc
//
// The optimizer-independent part: param groups, the step driver (grad
// lookup, checks, lazy state), zero_grad, state dicts and the factory. The
// update rules themselves are in optimizers.cc.
#include "torch/optim/optimizer.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <string_view>
#include <utility>

#include "torch/autograd/grad_mode.h"
#include "torch/autograd/variable.h"
#include "torch/core/error.h"
#include "torch/core/ops.h"

namespace tch::optim {

GroupOptions::GroupOptions(const SGDOptions& o)
    : lr(o.lr),
      weight_decay(o.weight_decay),
      momentum(o.momentum),
      dampening(o.dampening),
      nesterov(o.nesterov),
      maximize(o.maximize) {}

GroupOptions::GroupOptions(const AdamOptions& o)
    : lr(o.lr),
      weight_decay(o.weight_decay),
      maximize(o.maximize),
      beta1(o.beta1),
      beta2(o.beta2),
      eps(o.eps),
      amsgrad(o.amsgrad) {}

GroupOptions::GroupOptions(const AdamWOptions& o)
    : lr(o.lr),
      weight_decay(o.weight_decay),
      maximize(o.maximize),
      beta1(o.beta1),
      beta2(o.beta2),
      eps(o.eps),
      amsgrad(o.amsgrad) {}

GroupOptions::GroupOptions(const RMSpropOptions& o)
    : lr(o.lr),
      weight_decay(o.weight_decay),
      momentum(o.momentum),
      maximize(o.maximize),
      eps(o.eps),
      alpha(o.alpha),
      centered(o.centered) {}

GroupOptions::GroupOptions(const AdagradOptions& o)
    : lr(o.lr),
      weight_decay(o.weight_decay),
      maximize(o.maximize),
      eps(o.eps),
      lr_decay(o.lr_decay),
      initial_accumulator_value(o.initial_accumulator_value) {}

namespace {

// The hyperparameter fields as (name, getter/setter) pairs, in state-dict
// order; bools are stored as 0/1.
struct Field {
  const char* name;
  double (*get)(const GroupOptions&);
  void (*set)(GroupOptions&, double);
};

#define TCH_OPTIM_FIELD(f)                                            \
  Field {                                                             \
#f, [](const GroupOptions& o) { return static_cast<double>(o.f); }, \
        [](GroupOptions& o, double v) {                                   \
          o.f = static_cast<decltype(o.f)>(v);                            \
        } \
  }

const std::vector<Field>& Fields() {
  static const std::vector<Field> fields = {
      TCH_OPTIM_FIELD(lr),       TCH_OPTIM_FIELD(weight_decay),
      TCH_OPTIM_FIELD(momentum), TCH_OPTIM_FIELD(dampening),
      TCH_OPTIM_FIELD(nesterov), TCH_OPTIM_FIELD(maximize),
      TCH_OPTIM_FIELD(beta1),    TCH_OPTIM_FIELD(beta2),
      TCH_OPTIM_FIELD(eps),      TCH_OPTIM_FIELD(amsgrad),
      TCH_OPTIM_FIELD(alpha),    TCH_OPTIM_FIELD(centered),
      TCH_OPTIM_FIELD(lr_decay), TCH_OPTIM_FIELD(initial_accumulator_value),
  };
  return fields;
}
#undef TCH_OPTIM_FIELD

constexpr const char* kPrefix = "optimizer state: ";

// Parses a non-negative decimal integer that spans all of `s`.
bool ParseIndex(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && out >= 0;
}

// The value of a one-element entry, or a ValueError naming it.
double ScalarEntry(const std::map<std::string, Tensor>& state,
                   const std::string& key) {
  auto it = state.find(key);
  TCH_CHECK(it != state.end(), kPrefix, "missing entry ", key);
  TCH_CHECK(it->second.defined() && it->second.numel() == 1, kPrefix, key,
            " must hold one value");
  return it->second.item<double>();
}

// True for "param_groups.<g>.<field>" with g < num_groups and a known field.
bool IsGroupKey(const std::string& key, size_t num_groups) {
  constexpr size_t kStart = 13;  // strlen("param_groups.")
  const size_t dot = key.find('.', kStart);
  int64_t g = 0;
  if (dot == std::string::npos ||
      !ParseIndex(std::string_view(key).substr(kStart, dot - kStart), g) ||
      g >= static_cast<int64_t>(num_groups)) {
    return false;
  }
  const std::string field = key.substr(dot + 1);
  return field == "params" ||
         std::any_of(Fields().begin(), Fields().end(),
                     [&](const Field& f) { return field == f.name; });
}

}  // namespace

Optimizer::Optimizer(std::vector<ParamGroup> groups)
    : groups_(std::move(groups)) {
  TCH_CHECK(!groups_.empty(), "optimizer got an empty parameter list");
  std::vector<const TensorImpl*> seen;
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (size_t i = 0; i < groups_[g].params.size(); ++i) {
      const Tensor& p = groups_[g].params[i];
      TCH_CHECK(p.defined(), "optimizer: parameter ", i, " of group ", g,
                " is an undefined tensor");
      TCH_CHECK(IsFloatingPoint(p.dtype()), "optimizer: parameter ", i,
                " of group ", g, " has dtype ", p.dtype(),
                "; only floating point tensors can be optimized");
      seen.push_back(p.impl());
    }
  }
  TCH_CHECK(!seen.empty(), "optimizer got an empty parameter list");
  std::sort(seen.begin(), seen.end());
  TCH_CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end(),
            "optimizer: some parameters appear more than once (in one group "
            "or in several param groups)");
}

void Optimizer::Init() {
  for (const ParamGroup& group : groups_) ValidateOptions(group.options);
  if (!EagerState()) return;
  autograd::NoGradGuard no_grad;
  int64_t index = 0;
  for (const ParamGroup& group : groups_) {
    for (const Tensor& p : group.params) {
      InitState(p, group.options, state_[index++]);
    }
  }
}

int64_t Optimizer::num_params() const {
  int64_t n = 0;
  for (const ParamGroup& group : groups_) {
    n += static_cast<int64_t>(group.params.size());
  }
  return n;
}

double Optimizer::lr() const { return groups_.at(0).options.lr; }

void Optimizer::set_lr(double lr) {
  for (ParamGroup& group : groups_) group.options.lr = lr;
}

void Optimizer::zero_grad(bool set_to_none) {
  for (const ParamGroup& group : groups_) {
    for (const Tensor& p : group.params) autograd::zero_grad(p, set_to_none);
  }
}

void Optimizer::step() {
  autograd::NoGradGuard no_grad;
  int64_t index = 0;
  for (ParamGroup& group : groups_) {
    ValidateOptions(group.options);  // schedulers may have changed them
    for (Tensor& param : group.params) {
      const int64_t i = index++;
      Tensor grad = autograd::grad_of(param);
      if (!grad.defined()) continue;
      TCH_CHECK_T(NotImplementedError,
                  param.device().type == DeviceType::kCpu &&
                      grad.device().type == DeviceType::kCpu,
                  name(), ": parameter ", i, " is on ", param.device(),
                  "; only CPU parameters are supported");
      TCH_CHECK_T(
          NotImplementedError,
          param.dtype() == DType::kFloat32 || param.dtype() == DType::kFloat64,
          name(), ": parameter ", i, " has dtype ", param.dtype(),
          "; only float32 and float64 are supported");
      TCH_CHECK(grad.sizes() == param.sizes(), name(),
                ": the grad of parameter ", i, " has shape ",
                ShapeToString(grad.sizes()), ", expected ",
                ShapeToString(param.sizes()));
      grad = grad.to(param.dtype()).contiguous();
      ParamState& state = state_[i];
      if (state.step == 0 && state.buffers.empty()) {
        InitState(param, group.options, state);
      }
      if (param.is_contiguous()) {
        Update(param, grad, group.options, state);
        param.storage().BumpVersion();
      } else {
        // Rare (parameters are made contiguous); update a copy, write back.
        Tensor work = param.contiguous();
        Update(work, grad, group.options, state);
        param.copy_(work);
      }
    }
  }
}

std::map<std::string, Tensor> Optimizer::state_dict() const {
  std::map<std::string, Tensor> out;
  out["optimizer." + name()] = scalar_tensor(int64_t{1}, DType::kInt64);
  int64_t index = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const std::string prefix = "param_groups." + std::to_string(g) + ".";
    for (const Field& f : Fields()) {
      out[prefix + f.name] =
          scalar_tensor(f.get(groups_[g].options), DType::kFloat64);
    }
    std::vector<int64_t> ids;
    for (size_t k = 0; k < groups_[g].params.size(); ++k) {
      ids.push_back(index++);
    }
    out[prefix + "params"] =
        from_vector<int64_t>(ids, {static_cast<int64_t>(ids.size())});
  }
  for (const auto& [i, st] : state_) {
    const std::string prefix = "state." + std::to_string(i) + ".";
    out[prefix + "step"] = scalar_tensor(st.step, DType::kInt64);
    for (const auto& [buffer_name, t] : st.buffers) {
      out[prefix + buffer_name] = t.clone();
    }
  }
  return out;
}

void Optimizer::load_state_dict(const std::map<std::string, Tensor>& state) {
  // Name check first: a dict from another optimizer fails with that reason.
  std::string saved_name;
  for (const auto& [key, t] : state) {
    if (key.rfind("optimizer.", 0) == 0) saved_name = key.substr(10);
  }
  TCH_CHECK(!saved_name.empty(), kPrefix,
            "no 'optimizer.<Name>' entry; not an optimizer state dict");
  TCH_CHECK(saved_name == name(), "optimizer state was saved for ", saved_name,
            ", this optimizer is ", name());

  // Groups and parameter counts.
  size_t saved_groups = 0;
  while (
      state.count("param_groups." + std::to_string(saved_groups) + ".params")) {
    ++saved_groups;
  }
  int64_t saved_params = 0;
  for (size_t g = 0; g < saved_groups; ++g) {
    saved_params +=
        state.at("param_groups." + std::to_string(g) + ".params").numel();
  }
  TCH_CHECK(saved_params == num_params(), "optimizer state was saved for ",
            saved_params, " parameters, this model has ", num_params());
  TCH_CHECK(saved_groups == groups_.size(), "optimizer state has ",
            saved_groups, " param groups, this optimizer has ", groups_.size());

  std::vector<GroupOptions> options(groups_.size());
  std::vector<const Tensor*> params;  // by global index
  std::vector<size_t> group_of;       // by global index
  for (size_t g = 0; g < groups_.size(); ++g) {
    const std::string prefix = "param_groups." + std::to_string(g) + ".";
    const Tensor& ids = state.at(prefix + "params");
    TCH_CHECK(ids.dtype() == DType::kInt64 && ids.dim() == 1, kPrefix, prefix,
              "params must be a 1-D int64 tensor");
    TCH_CHECK(ids.numel() == static_cast<int64_t>(groups_[g].params.size()),
              kPrefix, "param group ", g, " was saved with ", ids.numel(),
              " parameters, this optimizer's group has ",
              groups_[g].params.size());
    const std::vector<int64_t> id_values = ids.ToVector<int64_t>();
    for (size_t k = 0; k < id_values.size(); ++k) {
      const int64_t expected = static_cast<int64_t>(params.size());
      TCH_CHECK(id_values[k] == expected, kPrefix, prefix, "params[", k,
                "] is ", id_values[k], ", expected ", expected);
      params.push_back(&groups_[g].params[k]);
      group_of.push_back(g);
    }
    for (const Field& f : Fields()) {
      f.set(options[g], ScalarEntry(state, prefix + f.name));
    }
    ValidateOptions(options[g]);
  }

  // Per-parameter state.
  const std::vector<std::string> known = KnownBufferNames();
  std::map<int64_t, ParamState> new_state;
  for (const auto& [key, t] : state) {
    if (key.rfind("optimizer.", 0) == 0) continue;
    if (key.rfind("param_groups.", 0) == 0) {
      TCH_CHECK(IsGroupKey(key, groups_.size()), kPrefix, "unexpected entry ",
                key);
      continue;
    }
    TCH_CHECK(key.rfind("state.", 0) == 0, kPrefix, "unexpected entry ", key);
    const size_t dot = key.find('.', 6);
    int64_t i = 0;
    TCH_CHECK(dot != std::string::npos &&
                  ParseIndex(std::string_view(key).substr(6, dot - 6), i),
              kPrefix, "unexpected entry ", key);
    TCH_CHECK(i < num_params(), kPrefix, key, " refers to parameter ", i,
              " but the optimizer has ", num_params(), " parameters");
    const std::string field = key.substr(dot + 1);
    ParamState& st = new_state[i];
    if (field == "step") {
      TCH_CHECK(t.defined() && t.numel() == 1 && !IsFloatingPoint(t.dtype()),
                kPrefix, key, " must be a one-element integer tensor");
      st.step = t.item<int64_t>();
      TCH_CHECK(st.step >= 0, kPrefix, key, " is negative (", st.step, ")");
      continue;
    }
    TCH_CHECK(std::find(known.begin(), known.end(), field) != known.end(),
              kPrefix, "unexpected entry ", key, " (", name(),
              " has no state '", field, "')");
    const Tensor& param = *params[i];
    TCH_CHECK(t.defined() && t.sizes() == param.sizes(), kPrefix, key,
              " has shape ", t.defined() ? ShapeToString(t.sizes()) : "?",
              ", expected ", ShapeToString(param.sizes()));
    TCH_CHECK(IsFloatingPoint(t.dtype()), kPrefix, key, " has dtype ",
              t.dtype(), ", expected a floating dtype");
    Tensor copy = empty(param.sizes(), param.dtype(), param.device());
    copy.copy_(t);
    st.buffers[field] = copy;
  }
  for (const auto& [i, st] : new_state) {
    TCH_CHECK(state.count("state." + std::to_string(i) + ".step"), kPrefix,
              "missing entry state.", i, ".step");
    const bool initialized = st.step > 0 || EagerState();
    if (!initialized) continue;
    for (const std::string& b : BufferNames(options[group_of[i]])) {
      TCH_CHECK(st.buffers.count(b), kPrefix, "missing entry state.", i, ".",
                b);
    }
  }
  if (EagerState()) {
    for (int64_t i = 0; i < num_params(); ++i) {
      TCH_CHECK(new_state.count(i), kPrefix, "missing entry state.", i,
                ".step");
    }
  }

  for (size_t g = 0; g < groups_.size(); ++g) groups_[g].options = options[g];
  state_ = std::move(new_state);
}

GroupOptions DefaultOptions(const std::string& name) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (n == "sgd") return SGDOptions{};
  if (n == "adam") return AdamOptions{};
  if (n == "adamw") return AdamWOptions{};
  if (n == "rmsprop") return RMSpropOptions{};
  if (n == "adagrad") return AdagradOptions{};
  throw ValueError("unknown optimizer '" + name +
                   "'; expected one of sgd, adam, adamw, rmsprop, adagrad");
}

std::unique_ptr<Optimizer> MakeOptimizer(const std::string& name,
                                         std::vector<ParamGroup> groups) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (n == "sgd") return std::make_unique<SGD>(std::move(groups));
  if (n == "adam") return std::make_unique<Adam>(std::move(groups));
  if (n == "adamw") return std::make_unique<AdamW>(std::move(groups));
  if (n == "rmsprop") return std::make_unique<RMSprop>(std::move(groups));
  if (n == "adagrad") return std::make_unique<Adagrad>(std::move(groups));
  throw ValueError("unknown optimizer '" + name +
                   "'; expected one of sgd, adam, adamw, rmsprop, adagrad");
}

std::unique_ptr<Optimizer> MakeOptimizer(const std::string& name,
                                         std::vector<Tensor> params,
                                         const GroupOptions& options) {
  std::vector<ParamGroup> groups;
  groups.push_back(ParamGroup{std::move(params), options});
  return MakeOptimizer(name, std::move(groups));
}

}  // namespace tch::optim
