#include "torch/autograd/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "torch/autograd/grad_mode.h"
#include "torch/autograd/variable.h"
#include "torch/core/error.h"
#include "torch/core/ops.h"

namespace tch::autograd {
namespace {

// Storage offsets (in elements) of every element of `t`, row-major.
std::vector<int64_t> ElementOffsets(const Tensor& t) {
  std::vector<int64_t> offsets;
  offsets.reserve(static_cast<size_t>(t.numel()));
  if (t.numel() == 0) return offsets;
  Shape index(static_cast<size_t>(t.dim()), 0);
  for (int64_t n = 0; n < t.numel(); ++n) {
    int64_t offset = t.storage_offset();
    for (int64_t d = 0; d < t.dim(); ++d) offset += index[d] * t.stride(d);
    offsets.push_back(offset);
    for (int64_t d = t.dim() - 1; d >= 0; --d) {
      if (++index[d] < t.size(d)) break;
      index[d] = 0;
    }
  }
  return offsets;
}

// Every output flattened to float64 and concatenated.
std::vector<double> Flatten(const TensorList& outputs) {
  std::vector<double> values;
  for (const Tensor& out : outputs) {
    if (!out.defined() || !IsFloatingPoint(out.dtype())) continue;
    std::vector<double> v = out.ToVector<double>();
    values.insert(values.end(), v.begin(), v.end());
  }
  return values;
}

}  // namespace

std::string GradCheck(const std::function<TensorList(const TensorList&)>& fn,
                      const TensorList& inputs,
                      const GradCheckOptions& options) {
  TensorList differentiated;
  std::vector<size_t> differentiated_index;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& in = inputs[i];
    if (!in.defined() || !requires_grad(in)) continue;
    TCH_CHECK(in.dtype() == DType::kFloat64, "GradCheck: input ", i,
              " has dtype ", in.dtype(), "; use float64 inputs");
    std::vector<int64_t> offsets = ElementOffsets(in);
    std::vector<int64_t> sorted = offsets;
    std::sort(sorted.begin(), sorted.end());
    TCH_CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end(),
              "GradCheck: input ", i,
              " has overlapping memory (an expanded tensor); expand inside "
              "the checked function instead");
    differentiated.push_back(in);
    differentiated_index.push_back(i);
  }
  TCH_CHECK(!differentiated.empty(),
            "GradCheck: no input requires grad; nothing to check");

  TensorList outputs = fn(inputs);
  TensorList float_outputs;
  for (const Tensor& out : outputs) {
    if (out.defined() && IsFloatingPoint(out.dtype())) {
      float_outputs.push_back(out);
    }
  }
  TCH_CHECK(!float_outputs.empty(), "GradCheck: fn has no floating outputs");
  size_t total_out = 0;
  for (const Tensor& out : float_outputs) {
    total_out += static_cast<size_t>(out.numel());
  }

  // Analytical Jacobian, one row per output element: analytic[k][input][j].
  std::vector<std::vector<std::vector<double>>> analytic(total_out);
  {
    size_t k = 0;
    for (size_t o = 0; o < float_outputs.size(); ++o) {
      for (int64_t e = 0; e < float_outputs[o].numel(); ++e, ++k) {
        TensorList grad_outputs;
        for (size_t p = 0; p < float_outputs.size(); ++p) {
          Tensor g = zeros(float_outputs[p].sizes(), float_outputs[p].dtype());
          if (p == o) g.view({-1}).select(0, e).fill_(1.0);
          grad_outputs.push_back(g);
        }
        bool any_requires = false;
        for (const Tensor& out : float_outputs) {
          any_requires = any_requires || requires_grad(out);
        }
        TensorList grads;
        if (any_requires) {
          grads = grad(float_outputs, differentiated, grad_outputs,
                       /*retain_graph=*/true, /*allow_unused=*/true);
        } else {
          grads.resize(differentiated.size());
        }
        for (size_t i = 0; i < differentiated.size(); ++i) {
          const Tensor& x = differentiated[i];
          if (grads[i].defined()) {
            if (grads[i].sizes() != x.sizes()) {
              std::ostringstream msg;
              msg << "gradient for input " << differentiated_index[i]
                  << " has shape " << ShapeToString(grads[i].sizes())
                  << ", expected " << ShapeToString(x.sizes());
              return msg.str();
            }
            analytic[k].push_back(grads[i].ToVector<double>());
          } else {
            analytic[k].emplace_back(static_cast<size_t>(x.numel()), 0.0);
          }
        }
      }
    }
  }

  // Numerical Jacobian, perturbing each element in place (no recording).
  NoGradGuard no_grad;
  for (size_t i = 0; i < differentiated.size(); ++i) {
    const Tensor& x = differentiated[i];
    auto* base = static_cast<double*>(x.storage().data());
    std::vector<int64_t> offsets = ElementOffsets(x);
    for (size_t j = 0; j < offsets.size(); ++j) {
      double& element = base[offsets[j]];
      const double original = element;
      element = original + options.eps;
      std::vector<double> plus = Flatten(fn(inputs));
      element = original - options.eps;
      std::vector<double> minus = Flatten(fn(inputs));
      element = original;
      if (plus.size() < total_out || minus.size() < total_out) {
        return "fn returned fewer output elements when perturbed";
      }
      for (size_t k = 0; k < total_out; ++k) {
        const double numerical = (plus[k] - minus[k]) / (2 * options.eps);
        const double analytical = analytic[k][i][j];
        // A NaN or infinite value on either side is a failure: comparisons
        // with NaN are false, which would otherwise pass silently.
        if (!std::isfinite(numerical) || !std::isfinite(analytical) ||
            std::abs(numerical - analytical) >
                options.atol + options.rtol * std::abs(numerical)) {
          std::ostringstream msg;
          msg.precision(10);
          msg << "Jacobian mismatch for output element " << k
              << " with respect to input " << differentiated_index[i]
              << ", element " << j << ": numerical " << numerical
              << ", analytical " << analytical;
          return msg.str();
        }
      }
    }
  }
  return "";
}

}  // namespace tch::autograd
