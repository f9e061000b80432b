// File: torch/core/pointwise_ops.h
//
// Pointwise (elementwise) tensor functions beyond the four arithmetic ops of
// ops.h: unary math and activations, binary ops with broadcasting and scalar
// overloads, comparisons, logical ops, where, clamp, lerp, addcmul/addcdiv,
// and in-place variants for training loops. Semantics follow PyTorch 1.13:
// result dtypes, integer behaviour (Python sign rule for remainder and floor
// division, ZeroDivisionError), NaN/Inf propagation.
//
// Example:
//   using namespace tch;
//   Tensor x = arange(-3, 3, 1, DType::kFloat32);
//   Tensor y = gelu(x, "tanh");              // float32, same shape
//   Tensor m = gt(x, 0);                     // bool
//   Tensor z = where(m, x, zeros({6}));      // relu, the long way
//   relu_(x);                                // in place, bumps the version
//
// Dtype rules (PyTorch's):
//   * "Float functions" (exp, log, sqrt, sin, tanh, sigmoid, erf, ...) keep a
//     floating dtype and compute integer or bool inputs as float32.
//   * Activations gelu, silu, softplus, lerp and addcdiv accept floating
//     dtypes only (ValueError otherwise).
//   * Binary ops promote with ResultType (ops.h); comparisons and logical ops
//     return bool.
//   * float16/bfloat16 compute in float32 and round once per element.
//
// Errors: ValueError for shapes that do not broadcast, dtypes an op cannot
// take, bad option strings and integer division by zero ("ZeroDivisionError");
// the message names the op. In-place ops throw ValueError when the result
// dtype cannot be cast to the tensor's dtype or when broadcasting would
// change the tensor's shape.
#pragma once

#include <optional>
#include <string_view>

#include "torch/core/elementwise.h"
#include "torch/core/scalar.h"
#include "torch/core/tensor.h"

namespace tch {

// --- Kernel signatures (implemented in torch/kernels/<device>) -------------
//
// Every pointwise kernel takes an ElementwisePlan (elementwise.h) whose
// operand 0 is the output; its op parameters travel in plan.args:
//   softplus: args = {beta, threshold}; clamp: {min, max};
//   clamp_min / clamp_max: {bound}; pow_scalar: {exponent};
//   lerp_scalar: {weight}; addcmul / addcdiv: {value};
//   gelu: {0 for "none", 1 for "tanh"}; threshold_backward: {threshold}.
// The activation backward kernels ("threshold_backward", "sigmoid_backward",
// "tanh_backward", "silu_backward", "gelu_backward", "gelu_tanh_backward")
// take operand 1 = grad and operand 2 = the saved input or output.
// Kernels are registered for the compute dtype (the dtype of the inputs);
// comparison kernels write bool.
using PointwiseKernel = void(const ElementwisePlan& plan);

// nan_to_num needs three replacement values (already resolved by core).
using NanToNumKernel = void(const ElementwisePlan& plan, double nan,
                            double posinf, double neginf);

// --- Unary -----------------------------------------------------------------
// Each returns a new tensor with x's shape. Dtypes: "same" keeps x's dtype;
// "float" means floating x keeps its dtype and integral/bool x gives float32.

Tensor neg(const Tensor& x);         // same; not bool
Tensor abs(const Tensor& x);         // same; not bool
Tensor sign(const Tensor& x);        // same; all dtypes; sign(NaN) = 0
Tensor exp(const Tensor& x);         // float
Tensor expm1(const Tensor& x);       // float
Tensor log(const Tensor& x);         // float
Tensor log1p(const Tensor& x);       // float
Tensor log2(const Tensor& x);        // float
Tensor sqrt(const Tensor& x);        // float
Tensor rsqrt(const Tensor& x);       // float
Tensor square(const Tensor& x);      // same; bool gives int64
Tensor reciprocal(const Tensor& x);  // float
Tensor sin(const Tensor& x);         // float
Tensor cos(const Tensor& x);         // float
Tensor tanh(const Tensor& x);        // float
Tensor sigmoid(const Tensor& x);     // float
Tensor erf(const Tensor& x);         // float
Tensor relu(const Tensor& x);        // same; not bool; relu(NaN) = NaN

// GELU: x * Phi(x). "none" uses erf, "tanh" the tanh approximation.
// Floating dtypes only. Throws ValueError for another approximate string.
enum class GeluApproximate { kNone, kTanh };
Tensor gelu(const Tensor& x,
            GeluApproximate approximate = GeluApproximate::kNone);
Tensor gelu(const Tensor& x, std::string_view approximate);

Tensor silu(const Tensor& x);  // x * sigmoid(x); floating dtypes only
// log(1 + exp(beta * x)) / beta, or x where beta * x > threshold. Floating
// dtypes only.
Tensor softplus(const Tensor& x, const Scalar& beta = 1,
                const Scalar& threshold = 20);

// --- Activation backward -------------------------------------------------
// grad_input of an activation in one fused pass (PyTorch 1.13's
// aten::*_backward ops and formulas), from the incoming gradient and the
// input or output the forward saved. grad and the other tensor broadcast;
// the result dtype is ResultType(grad, other), and 16-bit floats compute in
// float32. All but threshold/relu accept floating dtypes only.
//
//   Tensor y = sigmoid(x);
//   Tensor dx = sigmoid_backward(dy, y);       // dy * (1 - y) * y
//   Tensor dz = gelu_backward(dy, x, "tanh");  // d gelu(x, "tanh") / dx * dy
//
// Errors: ValueError for shapes that do not broadcast, bool (threshold,
// relu) or non-floating (the others) dtypes, and a bad gelu approximate.

// grad where self > threshold, else 0; a NaN self passes grad (self <=
// threshold is false), as PyTorch. Numeric dtypes.
Tensor threshold_backward(const Tensor& grad, const Tensor& self,
                          const Scalar& threshold);
// threshold_backward(grad, output, 0): the gradient of relu from its output.
Tensor relu_backward(const Tensor& grad, const Tensor& output);
// grad * (cdf(x) + x * pdf(x)) for "none"; the derivative of the tanh form
// for "tanh". x is gelu's input.
Tensor gelu_backward(const Tensor& grad, const Tensor& x,
                     GeluApproximate approximate = GeluApproximate::kNone);
Tensor gelu_backward(const Tensor& grad, const Tensor& x,
                     std::string_view approximate);
// grad * s * (1 + x * (1 - s)) with s = sigmoid(x); x is silu's input.
Tensor silu_backward(const Tensor& grad, const Tensor& x);
// grad * (1 - y) * y, from sigmoid's output y.
Tensor sigmoid_backward(const Tensor& grad, const Tensor& output);
// grad * (1 - y * y), from tanh's output y.
Tensor tanh_backward(const Tensor& grad, const Tensor& output);

// Rounding: integral x is returned as a copy; bool throws ValueError.
// round is half to even (round(2.5) == 2).
Tensor floor(const Tensor& x);
Tensor ceil(const Tensor& x);
Tensor round(const Tensor& x);
Tensor trunc(const Tensor& x);

// Classification: bool results; integral and bool x are always finite.
Tensor isnan(const Tensor& x);
Tensor isinf(const Tensor& x);
Tensor isfinite(const Tensor& x);

// Replaces NaN by `nan`, +inf by `posinf` and -inf by `neginf` (defaults:
// 0, the dtype's largest and lowest finite value). Integral x is copied.
Tensor nan_to_num(const Tensor& x, std::optional<double> nan = 0.0,
                  std::optional<double> posinf = std::nullopt,
                  std::optional<double> neginf = std::nullopt);

// --- Binary (broadcasting; result dtype ResultType(a, b) unless noted) ------

// a - b * floor(a / b): the result has b's sign (Python's %). Integer b == 0
// throws ValueError "ZeroDivisionError". Not bool.
Tensor remainder(const Tensor& a, const Tensor& b);
Tensor remainder(const Tensor& a, const Scalar& b);
Tensor remainder(const Scalar& a, const Tensor& b);

// a ** b. Integer tensors to a negative integer Scalar power throw
// ValueError; integer tensor exponents follow PyTorch (1 ** -n == 1,
// (-1) ** -n == +-1, otherwise 0). Not bool.
Tensor pow(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Scalar& exponent);
Tensor pow(const Scalar& base, const Tensor& exponent);

// Elementwise max/min; a NaN in either input gives NaN.
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

// Division with rounding: nullopt is true division (ops.h div), "trunc"
// rounds toward zero and "floor" toward -inf; both keep integral dtypes
// (integer division by zero throws ValueError). Bool inputs throw.
Tensor div(const Tensor& a, const Tensor& b,
           std::optional<std::string_view> rounding_mode);
Tensor div(const Tensor& a, const Scalar& b,
           std::optional<std::string_view> rounding_mode);
// div(a, b, "floor").
Tensor floor_divide(const Tensor& a, const Tensor& b);
Tensor floor_divide(const Tensor& a, const Scalar& b);

// Comparisons in ResultType(a, b); bool results.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, const Scalar& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Scalar& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Scalar& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Scalar& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Scalar& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Scalar& b);

// Logical ops treat nonzero as true; inputs of any dtypes; bool results.
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_xor(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& x);

// --- Ternary
// -------------------------------------------------------------------

// a where cond else b, broadcasting all three. cond must be bool or uint8
// (PyTorch's deprecated form; ValueError otherwise); the result dtype is the
// promotion of a and b.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b);
Tensor where(const Tensor& cond, const Scalar& a, const Tensor& b);
Tensor where(const Tensor& cond, const Scalar& a, const Scalar& b);

// min(max(x, min), max) with either bound optional (not both: ValueError).
// The result dtype promotes x with the bounds (clamp(int, 0.5, 2.5) is
// float32). NaN in x propagates; min > max gives max everywhere.
Tensor clamp(const Tensor& x, const std::optional<Scalar>& min,
             const std::optional<Scalar>& max = std::nullopt);
Tensor clamp(const Tensor& x, const std::optional<Tensor>& min,
             const std::optional<Tensor>& max = std::nullopt);
Tensor clamp_min(const Tensor& x, const Scalar& min);
Tensor clamp_max(const Tensor& x, const Scalar& max);

// start + weight * (end - start), computed as PyTorch does for accuracy near
// weight 1. start and end must have the same floating dtype; a weight tensor
// too (ValueError otherwise).
Tensor lerp(const Tensor& start, const Tensor& end, const Scalar& weight);
Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight);

// self + value * t1 * t2 and self + value * t1 / t2, broadcasting all three;
// the result dtype promotes the three tensors and `value` is cast to it (as
// in PyTorch, addcmul on integers truncates a floating value). addcdiv
// rejects integral and bool results.
Tensor addcmul(const Tensor& self, const Tensor& t1, const Tensor& t2,
               const Scalar& value = 1);
Tensor addcdiv(const Tensor& self, const Tensor& t1, const Tensor& t2,
               const Scalar& value = 1);

// --- In place ----------------------------------------------------------------
// Write the result into x (every element, through views) and bump the
// storage's version counter. The result dtype must cast to x's dtype by
// PyTorch's rule (exp_ on an int64 tensor throws ValueError) and broadcast
// operands must not change x's shape. Each returns x.

Tensor& neg_(Tensor& x);
Tensor& abs_(Tensor& x);
Tensor& exp_(Tensor& x);
Tensor& log_(Tensor& x);
Tensor& sqrt_(Tensor& x);
Tensor& rsqrt_(Tensor& x);
Tensor& reciprocal_(Tensor& x);
Tensor& tanh_(Tensor& x);
Tensor& sigmoid_(Tensor& x);
Tensor& relu_(Tensor& x);
Tensor& silu_(Tensor& x);
Tensor& floor_(Tensor& x);
Tensor& ceil_(Tensor& x);
Tensor& round_(Tensor& x);
Tensor& trunc_(Tensor& x);
Tensor& nan_to_num_(Tensor& x, std::optional<double> nan = 0.0,
                    std::optional<double> posinf = std::nullopt,
                    std::optional<double> neginf = std::nullopt);
Tensor& clamp_(Tensor& x, const std::optional<Scalar>& min,
               const std::optional<Scalar>& max = std::nullopt);
Tensor& clamp_(Tensor& x, const std::optional<Tensor>& min,
               const std::optional<Tensor>& max = std::nullopt);
Tensor& pow_(Tensor& x, const Scalar& exponent);
Tensor& remainder_(Tensor& x, const Tensor& other);
Tensor& remainder_(Tensor& x, const Scalar& other);
Tensor& lerp_(Tensor& x, const Tensor& end, const Scalar& weight);
Tensor& lerp_(Tensor& x, const Tensor& end, const Tensor& weight);
Tensor& addcmul_(Tensor& x, const Tensor& t1, const Tensor& t2,
                 const Scalar& value = 1);
Tensor& addcdiv_(Tensor& x, const Tensor& t1, const Tensor& t2,
                 const Scalar& value = 1);

}  // namespace tch
