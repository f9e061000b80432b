// File: torch/optim/clip_grad.cc
//
// clip_grad_norm_ / clip_grad_value_ as torch.nn.utils 1.13 defines them:
// the total norm is the norm of the per-parameter norms (equal to the norm of
// all gradient elements together), computed here in double with per-chunk
// partial sums added in a fixed order (deterministic for a thread count).
#include <cmath>
#include <map>
#include <mutex>
#include <vector>

#include "torch/autograd/grad_mode.h"
#include "torch/autograd/variable.h"
#include "torch/core/error.h"
#include "torch/core/parallel.h"
#include "torch/optim/optimizer.h"

namespace tch::optim {
namespace {

// sum |x|^p over the tensor (p finite > 0), or max |x| when p is infinite.
template <typename T>
double PartialNorm(const T* x, int64_t n, double p) {
  std::mutex mu;
  std::map<int64_t, double> partials;  // keyed by chunk start: fixed order
  ParallelFor(0, n, kElementwiseGrainSize, [&](int64_t lo, int64_t hi) {
    double acc = 0;
    if (std::isinf(p)) {
      for (int64_t i = lo; i < hi; ++i) {
        const double a = std::abs(static_cast<double>(x[i]));
        acc = (a > acc || a != a) ? a : acc;
      }
    } else if (p == 2) {
#pragma omp simd reduction(+ : acc)
      for (int64_t i = lo; i < hi; ++i) {
        const double v = static_cast<double>(x[i]);
        acc += v * v;
      }
    } else if (p == 1) {
#pragma omp simd reduction(+ : acc)
      for (int64_t i = lo; i < hi; ++i) {
        acc += std::abs(static_cast<double>(x[i]));
      }
    } else {
      for (int64_t i = lo; i < hi; ++i) {
        acc += std::pow(std::abs(static_cast<double>(x[i])), p);
      }
    }
    std::lock_guard<std::mutex> lock(mu);
    partials[lo] = acc;
  });
  double total = 0;
  for (const auto& [lo, v] : partials) {
    if (std::isinf(p)) {
      total = (v > total || v != v) ? v : total;
    } else {
      total += v;
    }
  }
  return total;
}

double GradPartialNorm(const Tensor& grad, double p) {
  const Tensor g = grad.contiguous();
  switch (g.dtype()) {
    case DType::kFloat32:
      return PartialNorm(g.data_ptr<float>(), g.numel(), p);
    case DType::kFloat64:
      return PartialNorm(g.data_ptr<double>(), g.numel(), p);
    default: {
      const Tensor d = g.to(DType::kFloat64);
      return PartialNorm(d.data_ptr<double>(), d.numel(), p);
    }
  }
}

// Applies fn(T&) to every element of `grad` in place, bumping its version.
template <typename F>
void MapInPlace(Tensor& grad, const F& fn) {
  Tensor work = grad.is_contiguous() ? grad : grad.contiguous();
  auto run = [&](auto* x) {
    ParallelFor(0, work.numel(), kElementwiseGrainSize,
                [&](int64_t lo, int64_t hi) {
#pragma omp simd
                  for (int64_t i = lo; i < hi; ++i) fn(x[i]);
                });
  };
  if (work.dtype() == DType::kFloat32) {
    run(work.data_ptr<float>());
  } else {
    run(work.data_ptr<double>());
  }
  if (work.SameImpl(grad)) {
    grad.storage().BumpVersion();
  } else {
    grad.copy_(work);
  }
}

std::vector<Tensor> DefinedGrads(const std::vector<Tensor>& params) {
  std::vector<Tensor> grads;
  for (const Tensor& p : params) {
    TCH_CHECK(p.defined(), "clip_grad: undefined parameter tensor");
    Tensor g = autograd::grad_of(p);
    if (!g.defined()) continue;
    TCH_CHECK_T(NotImplementedError, g.device().type == DeviceType::kCpu,
                "clip_grad: gradient on ", g.device(),
                "; only CPU gradients are supported");
    TCH_CHECK_T(NotImplementedError,
                g.dtype() == DType::kFloat32 || g.dtype() == DType::kFloat64,
                "clip_grad: gradient of dtype ", g.dtype(),
                "; only float32 and float64 are supported");
    grads.push_back(g);
  }
  return grads;
}

}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm,
                       double norm_type, bool error_if_nonfinite) {
  TCH_CHECK(norm_type > 0,
            "clip_grad_norm_: norm_type must be > 0 or "
            "INFINITY, got ",
            norm_type);
  autograd::NoGradGuard no_grad;
  std::vector<Tensor> grads = DefinedGrads(params);
  if (grads.empty()) return 0.0;
  double total = 0;
  const bool inf_norm = std::isinf(norm_type);
  for (const Tensor& g : grads) {
    const double part = GradPartialNorm(g, norm_type);
    total = inf_norm ? ((part > total || part != part) ? part : total)
                     : total + part;
  }
  if (!inf_norm) {
    total = norm_type == 2   ? std::sqrt(total)
            : norm_type == 1 ? total
                             : std::pow(total, 1.0 / norm_type);
  }
  TCH_CHECK(!error_if_nonfinite || std::isfinite(total),
            "clip_grad_norm_: the total norm of order ", norm_type,
            " for gradients from `parameters` is non-finite (", total,
            "), so it cannot be clipped. To scale the gradients by the "
            "non-finite norm anyway, set error_if_nonfinite=false");
  const double clip_coef = max_norm / (total + 1e-6);
  // PyTorch multiplies by min(clip_coef, 1): scaling by 1 changes nothing,
  // and a NaN coefficient (NaN norm) propagates into the grads as there.
  if (!(clip_coef >= 1.0)) {
    for (Tensor& g : grads) {
      if (g.dtype() == DType::kFloat32) {
        const float c = static_cast<float>(clip_coef);
        MapInPlace(g, [c](auto& x) { x = x * c; });
      } else {
        MapInPlace(g, [clip_coef](auto& x) { x = x * clip_coef; });
      }
    }
  }
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip) {
  TCH_CHECK(clip >= 0, "clip_grad_value_: clip must be >= 0, got ", clip);
  autograd::NoGradGuard no_grad;
  for (Tensor& g : DefinedGrads(params)) {
    const double hi_d = clip, lo_d = -clip;
    MapInPlace(g, [hi_d, lo_d](auto& x) {
      using T = std::remove_reference_t<decltype(x)>;
      const T lo = static_cast<T>(lo_d), hi = static_cast<T>(hi_d);
      x = x < lo ? lo : (x > hi ? hi : x);  // NaN stays NaN, like clamp
    });
  }
}

}  // namespace tch::optim
