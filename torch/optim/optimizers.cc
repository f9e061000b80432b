// File: torch/optim/optimizers.cc
//
// The update rules: one fused loop per parameter and step, following the
// single-tensor implementations of torch.optim 1.13 operation by operation
// (same order, hyperparameters rounded to the parameter's dtype where
// PyTorch passes them as Python scalars), so float64 results agree with
// PyTorch to rounding and float32 within a few ulps (PyTorch's vectorized
// CPU kernels may use FMA).
#include <cmath>
#include <string>
#include <vector>

#include "torch/core/error.h"
#include "torch/core/ops.h"
#include "torch/core/parallel.h"
#include "torch/optim/optimizer.h"

namespace tch::optim {
namespace {

// Splits [0, n) over the thread pool; small tensors run inline.
template <typename F>
void ForChunks(int64_t n, const F& body) {
  ParallelFor(0, n, kElementwiseGrainSize,
              [&](int64_t lo, int64_t hi) { body(lo, hi); });
}

// torch.maximum: NaN in either operand gives NaN.
template <typename T>
inline T NanMax(T a, T b) {
  return (a > b || a != a) ? a : b;
}

// The state buffer `name`, created (filled with `init`) when missing: a
// state dict from a run with other options (e.g. amsgrad turned on later).
Tensor& Buffer(const Tensor& param, const std::string& name, double init,
               std::map<std::string, Tensor>& buffers) {
  Tensor& b = buffers[name];
  if (!b.defined()) b = full(param.sizes(), init, param.dtype());
  return b;
}

// --- SGD ------------------------------------------------------------------

template <typename T>
void SgdKernel(int64_t n, T* __restrict__ p, const T* __restrict__ g,
               T* __restrict__ buf, bool first, const GroupOptions& o) {
  const bool maximize = o.maximize;
  const bool decay = o.weight_decay != 0;
  const bool use_momentum = o.momentum != 0;
  const bool nesterov = o.nesterov;
  const T wd = static_cast<T>(o.weight_decay);
  const T momentum = static_cast<T>(o.momentum);
  const T one_minus_dampening = static_cast<T>(1 - o.dampening);
  const T neg_lr = static_cast<T>(-o.lr);
  ForChunks(n, [&](int64_t lo, int64_t hi) {
#pragma omp simd
    for (int64_t i = lo; i < hi; ++i) {
      T d = maximize ? -g[i] : g[i];
      if (decay) d = d + wd * p[i];
      if (use_momentum) {
        const T b = first ? d : buf[i] * momentum + one_minus_dampening * d;
        buf[i] = b;
        d = nesterov ? d + momentum * b : b;
      }
      p[i] = p[i] + neg_lr * d;
    }
  });
}

// --- Adam / AdamW -----------------------------------------------------------

template <typename T>
void AdamKernel(int64_t n, T* __restrict__ p, const T* __restrict__ g,
                T* __restrict__ m, T* __restrict__ v, T* __restrict__ vmax,
                bool decoupled, int64_t step, const GroupOptions& o) {
  const bool maximize = o.maximize;
  const bool l2 = !decoupled && o.weight_decay != 0;
  const bool amsgrad = o.amsgrad;
  const T wd = static_cast<T>(o.weight_decay);
  const T decay_factor = static_cast<T>(1 - o.lr * o.weight_decay);
  const T beta1 = static_cast<T>(o.beta1);
  const T beta2 = static_cast<T>(o.beta2);
  const T one_minus_beta1 = static_cast<T>(1 - o.beta1);
  const T one_minus_beta2 = static_cast<T>(1 - o.beta2);
  // Python floats in PyTorch: computed in double, then used as scalars.
  const double s = static_cast<double>(step);
  const double bias_correction1 = 1 - std::pow(o.beta1, s);
  const double bias_correction2 = 1 - std::pow(o.beta2, s);
  const T neg_step_size = static_cast<T>(-(o.lr / bias_correction1));
  const T bc2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  const T eps = static_cast<T>(o.eps);
  ForChunks(n, [&](int64_t lo, int64_t hi) {
#pragma omp simd
    for (int64_t i = lo; i < hi; ++i) {
      T gr = maximize ? -g[i] : g[i];
      T pi = p[i];
      if (decoupled) pi = pi * decay_factor;
      if (l2) gr = gr + wd * pi;
      const T mi = m[i] * beta1 + one_minus_beta1 * gr;
      const T vi = v[i] * beta2 + one_minus_beta2 * gr * gr;
      m[i] = mi;
      v[i] = vi;
      T second = vi;
      if (amsgrad) {
        second = NanMax(vmax[i], vi);
        vmax[i] = second;
      }
      const T denom = std::sqrt(second) / bc2_sqrt + eps;
      p[i] = pi + neg_step_size * (mi / denom);
    }
  });
}

// --- RMSprop ---------------------------------------------------------------

template <typename T>
void RmspropKernel(int64_t n, T* __restrict__ p, const T* __restrict__ g,
                   T* __restrict__ sq, T* __restrict__ gavg,
                   T* __restrict__ buf, const GroupOptions& o) {
  const bool maximize = o.maximize;
  const bool decay = o.weight_decay != 0;
  const bool centered = o.centered;
  const bool use_momentum = o.momentum > 0;
  const T wd = static_cast<T>(o.weight_decay);
  const T alpha = static_cast<T>(o.alpha);
  const T one_minus_alpha = static_cast<T>(1 - o.alpha);
  const T eps = static_cast<T>(o.eps);
  const T momentum = static_cast<T>(o.momentum);
  const T neg_lr = static_cast<T>(-o.lr);
  ForChunks(n, [&](int64_t lo, int64_t hi) {
#pragma omp simd
    for (int64_t i = lo; i < hi; ++i) {
      T gr = maximize ? -g[i] : g[i];
      if (decay) gr = gr + wd * p[i];
      const T si = sq[i] * alpha + one_minus_alpha * gr * gr;
      sq[i] = si;
      T avg;
      if (centered) {
        const T ai = gavg[i] * alpha + one_minus_alpha * gr;
        gavg[i] = ai;
        avg = std::sqrt(si + T(-1) * ai * ai);
      } else {
        avg = std::sqrt(si);
      }
      avg = avg + eps;
      if (use_momentum) {
        const T b = buf[i] * momentum + gr / avg;
        buf[i] = b;
        p[i] = p[i] + neg_lr * b;
      } else {
        p[i] = p[i] + neg_lr * (gr / avg);
      }
    }
  });
}

// --- Adagrad ---------------------------------------------------------------

template <typename T>
void AdagradKernel(int64_t n, T* __restrict__ p, const T* __restrict__ g,
                   T* __restrict__ sum, int64_t step, const GroupOptions& o) {
  const bool maximize = o.maximize;
  const bool decay = o.weight_decay != 0;
  const T wd = static_cast<T>(o.weight_decay);
  const double clr = o.lr / (1 + (static_cast<double>(step) - 1) * o.lr_decay);
  const T neg_clr = static_cast<T>(-clr);
  const T eps = static_cast<T>(o.eps);
  ForChunks(n, [&](int64_t lo, int64_t hi) {
#pragma omp simd
    for (int64_t i = lo; i < hi; ++i) {
      T gr = maximize ? -g[i] : g[i];
      if (decay) gr = gr + wd * p[i];
      const T si = sum[i] + T(1) * gr * gr;
      sum[i] = si;
      const T stdev = std::sqrt(si) + eps;
      p[i] = p[i] + neg_clr * (gr / stdev);
    }
  });
}

void CheckNonNegative(const char* opt, const char* field, double v) {
  TCH_CHECK(v >= 0, opt, ": invalid ", field, " ", v, " (must be >= 0)");
}

}  // namespace

// --- SGD ---------------------------------------------------------------------

SGD::SGD(std::vector<Tensor> params, const SGDOptions& options)
    : SGD(std::vector<ParamGroup>{ParamGroup{std::move(params), options}}) {}

SGD::SGD(std::vector<ParamGroup> groups) : Optimizer(std::move(groups)) {
  Init();
}

void SGD::ValidateOptions(const GroupOptions& o) const {
  CheckNonNegative("SGD", "learning rate", o.lr);
  CheckNonNegative("SGD", "momentum", o.momentum);
  CheckNonNegative("SGD", "weight_decay", o.weight_decay);
  TCH_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0),
            "SGD: nesterov momentum requires a momentum and zero dampening");
}

std::vector<std::string> SGD::BufferNames(const GroupOptions& o) const {
  if (o.momentum != 0) return {"momentum_buffer"};
  return {};
}

std::vector<std::string> SGD::KnownBufferNames() const {
  return {"momentum_buffer"};
}

void SGD::InitState(const Tensor&, const GroupOptions&, ParamState&) const {
  // The momentum buffer starts as a copy of the first (decayed) gradient,
  // made by the first update.
}

void SGD::Update(const Tensor& param, const Tensor& grad, const GroupOptions& o,
                 ParamState& state) {
  const int64_t n = param.numel();
  Tensor buf;
  bool first = false;
  if (o.momentum != 0) {
    auto it = state.buffers.find("momentum_buffer");
    first = it == state.buffers.end();
    if (first) {
      buf = empty(param.sizes(), param.dtype());
      state.buffers["momentum_buffer"] = buf;
    } else {
      buf = it->second;
    }
  }
  if (param.dtype() == DType::kFloat32) {
    SgdKernel<float>(n, param.data_ptr<float>(), grad.data_ptr<float>(),
                     buf.defined() ? buf.data_ptr<float>() : nullptr, first, o);
  } else {
    SgdKernel<double>(n, param.data_ptr<double>(), grad.data_ptr<double>(),
                      buf.defined() ? buf.data_ptr<double>() : nullptr, first,
                      o);
  }
  if (buf.defined()) buf.storage().BumpVersion();
  ++state.step;
}

// --- Adam / AdamW
// -------------------------------------------------------------

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options)
    : Adam(std::vector<ParamGroup>{ParamGroup{std::move(params), options}}) {}

Adam::Adam(std::vector<ParamGroup> groups) : Adam(std::move(groups), false) {}

Adam::Adam(std::vector<ParamGroup> groups, bool decoupled)
    : Optimizer(std::move(groups)), decoupled_(decoupled) {
  Init();
}

void Adam::ValidateOptions(const GroupOptions& o) const {
  const std::string n = name();
  CheckNonNegative(n.c_str(), "learning rate", o.lr);
  CheckNonNegative(n.c_str(), "epsilon value", o.eps);
  CheckNonNegative(n.c_str(), "weight_decay", o.weight_decay);
  TCH_CHECK(o.beta1 >= 0 && o.beta1 < 1, n, ": invalid beta1 ", o.beta1,
            " (must be in [0, 1))");
  TCH_CHECK(o.beta2 >= 0 && o.beta2 < 1, n, ": invalid beta2 ", o.beta2,
            " (must be in [0, 1))");
}

std::vector<std::string> Adam::BufferNames(const GroupOptions& o) const {
  if (o.amsgrad) return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  return {"exp_avg", "exp_avg_sq"};
}

std::vector<std::string> Adam::KnownBufferNames() const {
  return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
}

void Adam::InitState(const Tensor& param, const GroupOptions& o,
                     ParamState& state) const {
  for (const std::string& b : BufferNames(o)) {
    state.buffers[b] = zeros(param.sizes(), param.dtype());
  }
}

void Adam::Update(const Tensor& param, const Tensor& grad,
                  const GroupOptions& o, ParamState& state) {
  Tensor& m = Buffer(param, "exp_avg", 0, state.buffers);
  Tensor& v = Buffer(param, "exp_avg_sq", 0, state.buffers);
  Tensor vmax;
  if (o.amsgrad) vmax = Buffer(param, "max_exp_avg_sq", 0, state.buffers);
  const int64_t step = ++state.step;
  const int64_t n = param.numel();
  if (param.dtype() == DType::kFloat32) {
    AdamKernel<float>(n, param.data_ptr<float>(), grad.data_ptr<float>(),
                      m.data_ptr<float>(), v.data_ptr<float>(),
                      vmax.defined() ? vmax.data_ptr<float>() : nullptr,
                      decoupled_, step, o);
  } else {
    AdamKernel<double>(n, param.data_ptr<double>(), grad.data_ptr<double>(),
                       m.data_ptr<double>(), v.data_ptr<double>(),
                       vmax.defined() ? vmax.data_ptr<double>() : nullptr,
                       decoupled_, step, o);
  }
  m.storage().BumpVersion();
  v.storage().BumpVersion();
  if (vmax.defined()) vmax.storage().BumpVersion();
}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& options)
    : AdamW(std::vector<ParamGroup>{ParamGroup{std::move(params), options}}) {}

AdamW::AdamW(std::vector<ParamGroup> groups) : Adam(std::move(groups), true) {}

// --- RMSprop -----------------------------------------------------------------

RMSprop::RMSprop(std::vector<Tensor> params, const RMSpropOptions& options)
    : RMSprop(std::vector<ParamGroup>{ParamGroup{std::move(params), options}}) {
}

RMSprop::RMSprop(std::vector<ParamGroup> groups)
    : Optimizer(std::move(groups)) {
  Init();
}

void RMSprop::ValidateOptions(const GroupOptions& o) const {
  CheckNonNegative("RMSprop", "learning rate", o.lr);
  CheckNonNegative("RMSprop", "epsilon value", o.eps);
  CheckNonNegative("RMSprop", "momentum", o.momentum);
  CheckNonNegative("RMSprop", "weight_decay", o.weight_decay);
  CheckNonNegative("RMSprop", "alpha", o.alpha);
}

std::vector<std::string> RMSprop::BufferNames(const GroupOptions& o) const {
  std::vector<std::string> names = {"square_avg"};
  if (o.momentum > 0) names.push_back("momentum_buffer");
  if (o.centered) names.push_back("grad_avg");
  return names;
}

std::vector<std::string> RMSprop::KnownBufferNames() const {
  return {"square_avg", "momentum_buffer", "grad_avg"};
}

void RMSprop::InitState(const Tensor& param, const GroupOptions& o,
                        ParamState& state) const {
  for (const std::string& b : BufferNames(o)) {
    state.buffers[b] = zeros(param.sizes(), param.dtype());
  }
}

void RMSprop::Update(const Tensor& param, const Tensor& grad,
                     const GroupOptions& o, ParamState& state) {
  Tensor& sq = Buffer(param, "square_avg", 0, state.buffers);
  Tensor gavg, buf;
  if (o.centered) gavg = Buffer(param, "grad_avg", 0, state.buffers);
  if (o.momentum > 0) buf = Buffer(param, "momentum_buffer", 0, state.buffers);
  ++state.step;
  const int64_t n = param.numel();
  if (param.dtype() == DType::kFloat32) {
    RmspropKernel<float>(n, param.data_ptr<float>(), grad.data_ptr<float>(),
                         sq.data_ptr<float>(),
                         gavg.defined() ? gavg.data_ptr<float>() : nullptr,
                         buf.defined() ? buf.data_ptr<float>() : nullptr, o);
  } else {
    RmspropKernel<double>(n, param.data_ptr<double>(), grad.data_ptr<double>(),
                          sq.data_ptr<double>(),
                          gavg.defined() ? gavg.data_ptr<double>() : nullptr,
                          buf.defined() ? buf.data_ptr<double>() : nullptr, o);
  }
  sq.storage().BumpVersion();
  if (gavg.defined()) gavg.storage().BumpVersion();
  if (buf.defined()) buf.storage().BumpVersion();
}

// --- Adagrad -----------------------------------------------------------------

Adagrad::Adagrad(std::vector<Tensor> params, const AdagradOptions& options)
    : Adagrad(std::vector<ParamGroup>{ParamGroup{std::move(params), options}}) {
}

Adagrad::Adagrad(std::vector<ParamGroup> groups)
    : Optimizer(std::move(groups)) {
  Init();
}

void Adagrad::ValidateOptions(const GroupOptions& o) const {
  CheckNonNegative("Adagrad", "learning rate", o.lr);
  CheckNonNegative("Adagrad", "lr_decay", o.lr_decay);
  CheckNonNegative("Adagrad", "weight_decay", o.weight_decay);
  CheckNonNegative("Adagrad", "initial_accumulator_value",
                   o.initial_accumulator_value);
  CheckNonNegative("Adagrad", "epsilon value", o.eps);
}

std::vector<std::string> Adagrad::BufferNames(const GroupOptions&) const {
  return {"sum"};
}

std::vector<std::string> Adagrad::KnownBufferNames() const { return {"sum"}; }

void Adagrad::InitState(const Tensor& param, const GroupOptions& o,
                        ParamState& state) const {
  state.buffers["sum"] =
      full(param.sizes(), o.initial_accumulator_value, param.dtype());
}

void Adagrad::Update(const Tensor& param, const Tensor& grad,
                     const GroupOptions& o, ParamState& state) {
  Tensor& sum =
      Buffer(param, "sum", o.initial_accumulator_value, state.buffers);
  const int64_t step = ++state.step;
  const int64_t n = param.numel();
  if (param.dtype() == DType::kFloat32) {
    AdagradKernel<float>(n, param.data_ptr<float>(), grad.data_ptr<float>(),
                         sum.data_ptr<float>(), step, o);
  } else {
    AdagradKernel<double>(n, param.data_ptr<double>(), grad.data_ptr<double>(),
                          sum.data_ptr<double>(), step, o);
  }
  sum.storage().BumpVersion();
}

}  // namespace tch::optim
