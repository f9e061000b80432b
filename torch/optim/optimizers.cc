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
#include <type_traits>
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
  return ((a > b) | (a != a)) ? a : b;
}

// The state buffer `name`, created (filled with `init`) when missing: a
// state dict from a run with other options (e.g. amsgrad turned on later).
Tensor& Buffer(const Tensor& param, const std::string& name, double init,
               std::map<std::string, Tensor>& buffers) {
  Tensor& b = buffers[name];
  if (!b.defined()) b = full(param.sizes(), init, param.dtype());
  return b;
}

// The loops are branch-free so GCC vectorizes them at -O2: loop-invariant
// options are template arguments or exact arithmetic (maximize multiplies by
// -1; AdamW's decay factor and SGD's first-step coefficients are 1 / 0 when
// unused), and each chunk gets its own restrict pointers.

// Calls f(std::integral_constant<bool, b>) so a runtime flag becomes a
// template argument.
template <typename F>
void WithFlag(bool b, const F& f) {
  if (b) {
    f(std::true_type{});
  } else {
    f(std::false_type{});
  }
}

// --- SGD ------------------------------------------------------------------

template <typename T>
struct SgdCoef {
  T sign, wd, momentum, buf_momentum, one_minus_dampening, neg_lr;
};

template <typename T, bool kDecay, bool kMomentum, bool kNesterov>
void SgdChunk(int64_t n, T* __restrict__ p, const T* __restrict__ g,
              T* __restrict__ buf, const SgdCoef<T> c) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const T pi = p[i];
    T d = g[i] * c.sign;
    if constexpr (kDecay) d = d + c.wd * pi;
    if constexpr (kMomentum) {
      // First step: the zero buffer * 0 + 1 * d == d, PyTorch's clone(d).
      const T b = buf[i] * c.buf_momentum + c.one_minus_dampening * d;
      buf[i] = b;
      d = kNesterov ? d + c.momentum * b : b;
    }
    p[i] = pi + c.neg_lr * d;
  }
}

template <typename T>
void SgdKernel(int64_t n, T* p, const T* g, T* buf, bool first,
               const GroupOptions& o) {
  const SgdCoef<T> c{static_cast<T>(o.maximize ? -1 : 1),
                     static_cast<T>(o.weight_decay),
                     static_cast<T>(o.momentum),
                     static_cast<T>(first ? 0.0 : o.momentum),
                     static_cast<T>(first ? 1.0 : 1 - o.dampening),
                     static_cast<T>(-o.lr)};
  const bool momentum = o.momentum != 0;
  WithFlag(o.weight_decay != 0, [&](auto decay) {
    ForChunks(n, [&](int64_t lo, int64_t hi) {
      if (!momentum) {
        SgdChunk<T, decay, false, false>(hi - lo, p + lo, g + lo, nullptr, c);
      } else if (o.nesterov) {
        SgdChunk<T, decay, true, true>(hi - lo, p + lo, g + lo, buf + lo, c);
      } else {
        SgdChunk<T, decay, true, false>(hi - lo, p + lo, g + lo, buf + lo, c);
      }
    });
  });
}

// --- Adam / AdamW -----------------------------------------------------------

template <typename T>
struct AdamCoef {
  T sign, wd, decay_factor, beta1, beta2, one_minus_beta1, one_minus_beta2,
      neg_step_size, bc2_sqrt, eps;
};

template <typename T, bool kL2, bool kAmsgrad>
void AdamChunk(int64_t n, T* __restrict__ p, const T* __restrict__ g,
               T* __restrict__ m, T* __restrict__ v, T* __restrict__ vmax,
               const AdamCoef<T> c) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    T gr = g[i] * c.sign;
    const T pi = p[i] * c.decay_factor;  // AdamW; 1 for Adam
    if constexpr (kL2) gr = gr + c.wd * pi;
    const T mi = m[i] * c.beta1 + c.one_minus_beta1 * gr;
    const T vi = v[i] * c.beta2 + c.one_minus_beta2 * gr * gr;
    m[i] = mi;
    v[i] = vi;
    T second = vi;
    if constexpr (kAmsgrad) {
      second = NanMax(vmax[i], vi);
      vmax[i] = second;
    }
    const T denom = std::sqrt(second) / c.bc2_sqrt + c.eps;
    p[i] = pi + c.neg_step_size * (mi / denom);
  }
}

template <typename T>
void AdamKernel(int64_t n, T* p, const T* g, T* m, T* v, T* vmax,
                bool decoupled, int64_t step, const GroupOptions& o) {
  // Python floats in PyTorch: computed in double, then used as scalars.
  const double s = static_cast<double>(step);
  const double bias_correction1 = 1 - std::pow(o.beta1, s);
  const double bias_correction2 = 1 - std::pow(o.beta2, s);
  const AdamCoef<T> c{
      static_cast<T>(o.maximize ? -1 : 1),
      static_cast<T>(o.weight_decay),
      static_cast<T>(decoupled ? 1 - o.lr * o.weight_decay : 1.0),
      static_cast<T>(o.beta1),
      static_cast<T>(o.beta2),
      static_cast<T>(1 - o.beta1),
      static_cast<T>(1 - o.beta2),
      static_cast<T>(-(o.lr / bias_correction1)),
      static_cast<T>(std::sqrt(bias_correction2)),
      static_cast<T>(o.eps)};
  WithFlag(!decoupled && o.weight_decay != 0, [&](auto l2) {
    WithFlag(o.amsgrad, [&](auto amsgrad) {
      ForChunks(n, [&](int64_t lo, int64_t hi) {
        AdamChunk<T, l2, amsgrad>(hi - lo, p + lo, g + lo, m + lo, v + lo,
                                  amsgrad ? vmax + lo : nullptr, c);
      });
    });
  });
}

// --- RMSprop ---------------------------------------------------------------

template <typename T>
struct RmspropCoef {
  T sign, wd, alpha, one_minus_alpha, eps, momentum, neg_lr;
};

template <typename T, bool kDecay, bool kCentered, bool kMomentum>
void RmspropChunk(int64_t n, T* __restrict__ p, const T* __restrict__ g,
                  T* __restrict__ sq, T* __restrict__ gavg, T* __restrict__ buf,
                  const RmspropCoef<T> c) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const T pi = p[i];
    T gr = g[i] * c.sign;
    if constexpr (kDecay) gr = gr + c.wd * pi;
    const T si = sq[i] * c.alpha + c.one_minus_alpha * gr * gr;
    sq[i] = si;
    T avg;
    if constexpr (kCentered) {
      const T ai = gavg[i] * c.alpha + c.one_minus_alpha * gr;
      gavg[i] = ai;
      avg = std::sqrt(si + T(-1) * ai * ai);
    } else {
      avg = std::sqrt(si);
    }
    avg = avg + c.eps;
    if constexpr (kMomentum) {
      const T b = buf[i] * c.momentum + gr / avg;
      buf[i] = b;
      p[i] = pi + c.neg_lr * b;
    } else {
      p[i] = pi + c.neg_lr * (gr / avg);
    }
  }
}

template <typename T>
void RmspropKernel(int64_t n, T* p, const T* g, T* sq, T* gavg, T* buf,
                   const GroupOptions& o) {
  const RmspropCoef<T> c{static_cast<T>(o.maximize ? -1 : 1),
                         static_cast<T>(o.weight_decay),
                         static_cast<T>(o.alpha),
                         static_cast<T>(1 - o.alpha),
                         static_cast<T>(o.eps),
                         static_cast<T>(o.momentum),
                         static_cast<T>(-o.lr)};
  WithFlag(o.weight_decay != 0, [&](auto decay) {
    WithFlag(o.centered, [&](auto centered) {
      WithFlag(o.momentum > 0, [&](auto momentum) {
        ForChunks(n, [&](int64_t lo, int64_t hi) {
          RmspropChunk<T, decay, centered, momentum>(
              hi - lo, p + lo, g + lo, sq + lo, centered ? gavg + lo : nullptr,
              momentum ? buf + lo : nullptr, c);
        });
      });
    });
  });
}

// --- Adagrad ---------------------------------------------------------------

template <typename T>
struct AdagradCoef {
  T sign, wd, neg_clr, eps;
};

template <typename T, bool kDecay>
void AdagradChunk(int64_t n, T* __restrict__ p, const T* __restrict__ g,
                  T* __restrict__ sum, const AdagradCoef<T> c) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const T pi = p[i];
    T gr = g[i] * c.sign;
    if constexpr (kDecay) gr = gr + c.wd * pi;
    const T si = sum[i] + T(1) * gr * gr;
    sum[i] = si;
    const T stdev = std::sqrt(si) + c.eps;
    p[i] = pi + c.neg_clr * (gr / stdev);
  }
}

template <typename T>
void AdagradKernel(int64_t n, T* p, const T* g, T* sum, int64_t step,
                   const GroupOptions& o) {
  const double clr = o.lr / (1 + (static_cast<double>(step) - 1) * o.lr_decay);
  const AdagradCoef<T> c{static_cast<T>(o.maximize ? -1 : 1),
                         static_cast<T>(o.weight_decay), static_cast<T>(-clr),
                         static_cast<T>(o.eps)};
  WithFlag(o.weight_decay != 0, [&](auto decay) {
    ForChunks(n, [&](int64_t lo, int64_t hi) {
      AdagradChunk<T, decay>(hi - lo, p + lo, g + lo, sum + lo, c);
    });
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
      buf = zeros(param.sizes(), param.dtype());
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
