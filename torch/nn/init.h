// File: torch/nn/init.h
//
// Parameter initialization, in place and without recording gradients, with
// the formulas of torch.nn.init (PyTorch 1.13): the same distribution for
// the same arguments, drawn from `generator` (nullptr = the process-wide
// DefaultCpuGenerator()). The layers of layers.h use these for their
// PyTorch-default initialization.
//
// Example:
//   Tensor w = tch::empty({256, 784});
//   tch::nn::init::kaiming_uniform_(w, std::sqrt(5.0));   // nn.Linear default
//   tch::nn::init::orthogonal_(w, /*gain=*/1.0, &gen);
//
// Fans (CalculateFans): fan_in = size(1) * receptive field, fan_out =
// size(0) * receptive field, receptive field = product of sizes[2:].
//
// Errors (tch::ValueError): tensors with fewer than 2 dims for fan-based
// initializers ("kaiming_uniform_: fan in and fan out can not be computed for
// a tensor with fewer than 2 dimensions, got [5]"), orthogonal_ of fewer than
// 2 dims, unknown nonlinearity or mode names, non-floating tensors, zero
// fans.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "torch/core/generator.h"
#include "torch/core/tensor.h"

namespace tch::nn::init {

// (fan_in, fan_out) of a weight tensor; `op` names the caller in errors.
std::pair<int64_t, int64_t> CalculateFans(const Tensor& t,
                                          const std::string& op = "init");

// torch.nn.init.calculate_gain: linear, conv1d, conv2d, conv3d, sigmoid ->
// 1; tanh -> 5/3; relu -> sqrt(2); leaky_relu -> sqrt(2 / (1 + a^2)) with
// a = `param` (a negative `param` means "not given": a = 0.01, PyTorch's
// default slope); selu -> 3/4.
double CalculateGain(const std::string& nonlinearity, double param = -1.0);

Tensor& uniform_(Tensor& t, double a = 0.0, double b = 1.0,
                 Generator* generator = nullptr);
Tensor& normal_(Tensor& t, double mean = 0.0, double std = 1.0,
                Generator* generator = nullptr);
// Normal(mean, std) truncated to [a, b], by PyTorch's inverse-CDF method
// (uniform between the CDF values of a and b, then the inverse normal CDF).
Tensor& trunc_normal_(Tensor& t, double mean = 0.0, double std = 1.0,
                      double a = -2.0, double b = 2.0,
                      Generator* generator = nullptr);
Tensor& constant_(Tensor& t, double value);
Tensor& zeros_(Tensor& t);
Tensor& ones_(Tensor& t);

// U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).
Tensor& xavier_uniform_(Tensor& t, double gain = 1.0,
                        Generator* generator = nullptr);
// N(0, std), std = gain * sqrt(2 / (fan_in + fan_out)).
Tensor& xavier_normal_(Tensor& t, double gain = 1.0,
                       Generator* generator = nullptr);

// U(-bound, bound), bound = gain * sqrt(3 / fan), gain =
// CalculateGain(nonlinearity, a), fan = fan_in or fan_out per `mode`
// ("fan_in" | "fan_out").
Tensor& kaiming_uniform_(Tensor& t, double a = 0.0,
                         const std::string& mode = "fan_in",
                         const std::string& nonlinearity = "leaky_relu",
                         Generator* generator = nullptr);
// N(0, std), std = gain / sqrt(fan).
Tensor& kaiming_normal_(Tensor& t, double a = 0.0,
                        const std::string& mode = "fan_in",
                        const std::string& nonlinearity = "leaky_relu",
                        Generator* generator = nullptr);

// A (semi-)orthogonal matrix times `gain`: t viewed as [size(0), rest] gets
// the Q factor of the QR decomposition (Householder, computed here in
// float64) of a standard normal matrix, with column signs fixed by diag(R)
// so the result is uniformly (Haar) distributed, as in PyTorch.
Tensor& orthogonal_(Tensor& t, double gain = 1.0,
                    Generator* generator = nullptr);

}  // namespace tch::nn::init
