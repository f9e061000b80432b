// File: torch/nn/init.cc
#include "torch/nn/init.h"

#include <cmath>
#include <vector>

#include "torch/autograd/grad_mode.h"
#include "torch/core/error.h"
#include "torch/core/ops.h"
#include "torch/core/random_ops.h"

namespace tch::nn::init {
namespace {

void CheckFloating(const Tensor& t, const char* op) {
  TCH_CHECK(t.defined(), op, ": the tensor is undefined");
  TCH_CHECK(IsFloatingPoint(t.dtype()), op,
            ": expected a floating-point tensor, got ", DTypeName(t.dtype()));
}

int64_t FanFor(const Tensor& t, const std::string& mode, const char* op) {
  auto [fan_in, fan_out] = CalculateFans(t, op);
  TCH_CHECK(mode == "fan_in" || mode == "fan_out", op, ": mode '", mode,
            "' is not supported; use 'fan_in' or 'fan_out'");
  const int64_t fan = mode == "fan_in" ? fan_in : fan_out;
  TCH_CHECK(fan > 0, op, ": initializing a zero-element tensor ",
            ShapeToString(t.sizes()));
  return fan;
}

// Inverse of erf on (-1, 1): Giles' single-precision approximation refined
// by two Newton steps on erf (accurate to double precision).
double ErfInv(double x) {
  if (x <= -1.0) return -INFINITY;
  if (x >= 1.0) return INFINITY;
  double w = -std::log((1.0 - x) * (1.0 + x));
  double p;
  if (w < 5.0) {
    w -= 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = std::sqrt(w) - 3.0;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  double y = p * x;
  const double two_over_sqrt_pi = 1.1283791670955126;
  for (int i = 0; i < 2; ++i) {
    y -= (std::erf(y) - x) / (two_over_sqrt_pi * std::exp(-y * y));
  }
  return y;
}

double NormCdf(double x) { return (1.0 + std::erf(x / std::sqrt(2.0))) / 2.0; }

}  // namespace

std::pair<int64_t, int64_t> CalculateFans(const Tensor& t,
                                          const std::string& op) {
  TCH_CHECK(t.defined(), op, ": the tensor is undefined");
  TCH_CHECK(t.dim() >= 2, op,
            ": fan in and fan out can not be computed for a tensor with "
            "fewer than 2 dimensions, got ",
            ShapeToString(t.sizes()));
  int64_t receptive = 1;
  for (int64_t d = 2; d < t.dim(); ++d) receptive *= t.size(d);
  return {t.size(1) * receptive, t.size(0) * receptive};
}

double CalculateGain(const std::string& nonlinearity, double param) {
  if (nonlinearity == "linear" || nonlinearity == "conv1d" ||
      nonlinearity == "conv2d" || nonlinearity == "conv3d" ||
      nonlinearity == "sigmoid" || nonlinearity == "conv_transpose1d" ||
      nonlinearity == "conv_transpose2d" ||
      nonlinearity == "conv_transpose3d") {
    return 1.0;
  }
  if (nonlinearity == "tanh") return 5.0 / 3.0;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") {
    const double slope = param < 0 ? 0.01 : param;
    return std::sqrt(2.0 / (1.0 + slope * slope));
  }
  if (nonlinearity == "selu") return 3.0 / 4.0;
  TCH_CHECK(false, "calculate_gain: unsupported nonlinearity '", nonlinearity,
            "' (expected linear, conv1d, conv2d, conv3d, sigmoid, tanh, relu, "
            "leaky_relu or selu)");
  return 1.0;
}

Tensor& uniform_(Tensor& t, double a, double b, Generator* generator) {
  CheckFloating(t, "uniform_");
  autograd::NoGradGuard no_grad;
  return tch::uniform_(t, a, b, generator);
}

Tensor& normal_(Tensor& t, double mean, double std, Generator* generator) {
  CheckFloating(t, "normal_");
  autograd::NoGradGuard no_grad;
  return tch::normal_(t, mean, std, generator);
}

Tensor& trunc_normal_(Tensor& t, double mean, double std, double a, double b,
                      Generator* generator) {
  CheckFloating(t, "trunc_normal_");
  TCH_CHECK(a < b, "trunc_normal_: expected a < b, got a=", a, ", b=", b);
  TCH_CHECK(std > 0, "trunc_normal_: expected std > 0, got ", std);
  autograd::NoGradGuard no_grad;
  const double l = NormCdf((a - mean) / std);
  const double u = NormCdf((b - mean) / std);
  Tensor draws = empty(t.sizes(), DType::kFloat64);
  tch::uniform_(draws, 2 * l - 1, 2 * u - 1, generator);
  double* p = draws.data_ptr<double>();
  for (int64_t i = 0, n = draws.numel(); i < n; ++i) {
    const double v = mean + std * std::sqrt(2.0) * ErfInv(p[i]);
    p[i] = std::min(std::max(v, a), b);
  }
  return t.copy_(draws);
}

Tensor& constant_(Tensor& t, double value) {
  TCH_CHECK(t.defined(), "constant_: the tensor is undefined");
  autograd::NoGradGuard no_grad;
  return t.fill_(value);
}

Tensor& zeros_(Tensor& t) { return constant_(t, 0.0); }
Tensor& ones_(Tensor& t) { return constant_(t, 1.0); }

Tensor& xavier_uniform_(Tensor& t, double gain, Generator* generator) {
  CheckFloating(t, "xavier_uniform_");
  auto [fan_in, fan_out] = CalculateFans(t, "xavier_uniform_");
  TCH_CHECK(fan_in + fan_out > 0, "xavier_uniform_: zero-element tensor ",
            ShapeToString(t.sizes()));
  const double std = gain * std::sqrt(2.0 / double(fan_in + fan_out));
  const double bound = std::sqrt(3.0) * std;
  return init::uniform_(t, -bound, bound, generator);
}

Tensor& xavier_normal_(Tensor& t, double gain, Generator* generator) {
  CheckFloating(t, "xavier_normal_");
  auto [fan_in, fan_out] = CalculateFans(t, "xavier_normal_");
  TCH_CHECK(fan_in + fan_out > 0, "xavier_normal_: zero-element tensor ",
            ShapeToString(t.sizes()));
  const double std = gain * std::sqrt(2.0 / double(fan_in + fan_out));
  return init::normal_(t, 0.0, std, generator);
}

Tensor& kaiming_uniform_(Tensor& t, double a, const std::string& mode,
                         const std::string& nonlinearity,
                         Generator* generator) {
  CheckFloating(t, "kaiming_uniform_");
  const int64_t fan = FanFor(t, mode, "kaiming_uniform_");
  const double gain = CalculateGain(nonlinearity, a);
  const double bound = std::sqrt(3.0) * gain / std::sqrt(double(fan));
  return init::uniform_(t, -bound, bound, generator);
}

Tensor& kaiming_normal_(Tensor& t, double a, const std::string& mode,
                        const std::string& nonlinearity, Generator* generator) {
  CheckFloating(t, "kaiming_normal_");
  const int64_t fan = FanFor(t, mode, "kaiming_normal_");
  const double gain = CalculateGain(nonlinearity, a);
  return init::normal_(t, 0.0, gain / std::sqrt(double(fan)), generator);
}

Tensor& orthogonal_(Tensor& t, double gain, Generator* generator) {
  CheckFloating(t, "orthogonal_");
  TCH_CHECK(t.dim() >= 2,
            "orthogonal_: only tensors with 2 or more dimensions are "
            "supported, got ",
            ShapeToString(t.sizes()));
  autograd::NoGradGuard no_grad;
  if (t.numel() == 0) return t;
  const int64_t rows = t.size(0);
  const int64_t cols = t.numel() / rows;
  Tensor flat = randn({rows, cols}, DType::kFloat64, generator);
  // Work on a tall matrix A [m, n], m >= n, row-major.
  const bool wide = rows < cols;
  const int64_t m = wide ? cols : rows;
  const int64_t n = wide ? rows : cols;
  std::vector<double> A(m * n);
  const double* src = flat.data_ptr<double>();
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      (wide ? A[j * n + i] : A[i * n + j]) = src[i * cols + j];
    }
  }
  // Householder QR: reflectors v_k stored separately; R overwrites A.
  std::vector<std::vector<double>> reflectors(n);
  std::vector<double> rdiag(n);
  for (int64_t k = 0; k < n; ++k) {
    double norm = 0;
    for (int64_t i = k; i < m; ++i) norm += A[i * n + k] * A[i * n + k];
    norm = std::sqrt(norm);
    std::vector<double>& v = reflectors[k];
    v.assign(m - k, 0.0);
    const double alpha = A[k * n + k] >= 0 ? -norm : norm;
    for (int64_t i = k; i < m; ++i) v[i - k] = A[i * n + k];
    v[0] -= alpha;
    double vnorm2 = 0;
    for (double x : v) vnorm2 += x * x;
    if (vnorm2 > 0) {
      for (int64_t j = k; j < n; ++j) {
        double dot = 0;
        for (int64_t i = k; i < m; ++i) dot += v[i - k] * A[i * n + j];
        const double f = 2 * dot / vnorm2;
        for (int64_t i = k; i < m; ++i) A[i * n + j] -= f * v[i - k];
      }
    }
    rdiag[k] = A[k * n + k];
  }
  // Q [m, n] = H_0 ... H_{n-1} applied to the first n columns of I.
  std::vector<double> Q(m * n, 0.0);
  for (int64_t j = 0; j < n; ++j) Q[j * n + j] = 1.0;
  for (int64_t k = n - 1; k >= 0; --k) {
    const std::vector<double>& v = reflectors[k];
    double vnorm2 = 0;
    for (double x : v) vnorm2 += x * x;
    if (vnorm2 == 0) continue;
    for (int64_t j = 0; j < n; ++j) {
      double dot = 0;
      for (int64_t i = k; i < m; ++i) dot += v[i - k] * Q[i * n + j];
      const double f = 2 * dot / vnorm2;
      for (int64_t i = k; i < m; ++i) Q[i * n + j] -= f * v[i - k];
    }
  }
  // Make diag(R) positive (PyTorch: q *= sign(diag(r))), which makes the
  // decomposition unique and the distribution Haar.
  for (int64_t j = 0; j < n; ++j) {
    const double s = rdiag[j] < 0 ? -1.0 : (rdiag[j] > 0 ? 1.0 : 0.0);
    for (int64_t i = 0; i < m; ++i) Q[i * n + j] *= s * gain;
  }
  Tensor out = empty({rows, cols}, DType::kFloat64);
  double* dst = out.data_ptr<double>();
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      dst[i * cols + j] = wide ? Q[j * n + i] : Q[i * n + j];
    }
  }
  return t.copy_(out.view(t.sizes()));
}

}  // namespace tch::nn::init
