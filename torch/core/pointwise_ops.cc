#include "torch/core/pointwise_ops.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "torch/core/dispatch.h"
#include "torch/core/ops.h"

namespace tch {
namespace {

// --- Registry handles (one per kernel name)
// ------------------------------------

const Op kNeg("neg"), kAbs("abs"), kSign("sign"), kExp("exp"), kExpm1("expm1"),
    kLog("log"), kLog1p("log1p"), kLog2("log2"), kSqrt("sqrt"), kRsqrt("rsqrt"),
    kSquare("square"), kReciprocal("reciprocal"), kSin("sin"), kCos("cos"),
    kTanh("tanh"), kSigmoid("sigmoid"), kErf("erf"), kRelu("relu"),
    kGelu("gelu"), kSilu("silu"), kSoftplus("softplus"), kFloor("floor"),
    kCeil("ceil"), kRound("round"), kTrunc("trunc"), kIsnan("isnan"),
    kIsinf("isinf"), kIsfinite("isfinite"), kNanToNum("nan_to_num");
const Op kRemainder("remainder"), kPow("pow"), kPowScalar("pow_scalar"),
    kMaximum("maximum"), kMinimum("minimum"), kDivTrunc("div_trunc"),
    kDivFloor("div_floor"), kEq("eq"), kNe("ne"), kLt("lt"), kLe("le"),
    kGt("gt"), kGe("ge"), kLogicalAnd("logical_and"), kLogicalOr("logical_or"),
    kLogicalXor("logical_xor"), kLogicalNot("logical_not");
const Op kWhere("where"), kClamp("clamp"), kClampMin("clamp_min"),
    kClampMax("clamp_max"), kClampTensor("clamp_tensor"),
    kLerpScalar("lerp_scalar"), kLerpTensor("lerp_tensor"), kAddcmul("addcmul"),
    kAddcdiv("addcdiv");

// --- Argument checks and dtype rules
// -------------------------------------------

void CheckSameDevice(const char* op, const Tensor& a, const Tensor& b) {
  TCH_CHECK(a.device() == b.device() || a.dim() == 0 || b.dim() == 0, op,
            ": expected all tensors to be on the same device, but found at "
            "least two devices, ",
            a.device(), " and ", b.device());
}

void CheckNotBool(const char* op, DType dtype) {
  TCH_CHECK(dtype != DType::kBool, op, ": bool tensors are not supported");
}

void CheckFloating(const char* op, DType dtype) {
  TCH_CHECK(IsFloatingPoint(dtype), op,
            ": expected a floating-point tensor (float32, float64, float16 or "
            "bfloat16), got ",
            dtype);
}

// Floating dtypes stay; integral and bool inputs compute as float32.
DType FloatResult(DType dtype) {
  return IsFloatingPoint(dtype) ? dtype : DType::kFloat32;
}

// PyTorch's canCast for in-place results: never to a lower category.
void CheckCastable(const char* op, DType result, DType out) {
  TCH_CHECK(CategoryOf(result) <= CategoryOf(out), op, ": result type ", result,
            " can't be cast to the desired output type ", out);
}

// Promotion over several tensors: tensors with dims decide unless the 0-D
// ones are of a higher category (the rule ResultType(a, b) applies).
DType ResultTypeOf(std::initializer_list<const Tensor*> tensors) {
  bool has_dim = false, has_zero = false;
  DType dim_type = DType::kBool, zero_type = DType::kBool;
  for (const Tensor* t : tensors) {
    if (t->dim() > 0) {
      dim_type = has_dim ? PromoteTypes(dim_type, t->dtype()) : t->dtype();
      has_dim = true;
    } else {
      zero_type = has_zero ? PromoteTypes(zero_type, t->dtype()) : t->dtype();
      has_zero = true;
    }
  }
  if (!has_zero) return dim_type;
  if (!has_dim) return zero_type;
  return CategoryOf(zero_type) > CategoryOf(dim_type)
             ? PromoteTypes(dim_type, zero_type)
             : dim_type;
}

// The wrapped scalar of the highest category among present ones.
std::optional<Scalar> HighestScalar(const std::optional<Scalar>& a,
                                    const std::optional<Scalar>& b) {
  if (!a) return b;
  if (!b) return a;
  return CategoryOf(b->wrapped_dtype()) > CategoryOf(a->wrapped_dtype()) ? b
                                                                         : a;
}

// The dtype two wrapped scalars promote to (float32 for floating ones).
DType ScalarPairType(const Scalar& a, const Scalar& b) {
  return PromoteTypes(a.wrapped_dtype(), b.wrapped_dtype());
}

Tensor Wrap(const Scalar& s, DType dtype, const Device& device) {
  return scalar_tensor(s, dtype, device);
}

// --- Plan runners
// ---------------------------------------------------------------

// Runs `op`'s kernel for `compute` over out = f(inputs...). Inputs must
// already have the dtype the kernel expects.
void Run(const Op& op, DType compute, const Tensor& out,
         std::initializer_list<Tensor> inputs, const Scalar& arg0 = 0,
         const Scalar& arg1 = 0) {
  ElementwisePlan plan = MakeElementwisePlan(out, inputs);
  plan.args[0] = arg0;
  plan.args[1] = arg1;
  op.Get<PointwiseKernel>(out.device().type, compute)(plan);
}

// out = op(x) with x converted to `compute`; out has dtype `out_dtype`.
Tensor Unary(const Op& op, const Tensor& x, DType compute, DType out_dtype,
             const Scalar& arg0 = 0, const Scalar& arg1 = 0) {
  Tensor out = empty(x.sizes(), out_dtype, x.device());
  Run(op, compute, out, {x.to(compute)}, arg0, arg1);
  return out;
}

Tensor FloatUnary(const Op& op, const Tensor& x) {
  const DType t = FloatResult(x.dtype());
  return Unary(op, x, t, t);
}

// x = op(x) in place; `result` is the dtype the out-of-place op would return.
Tensor& UnaryInPlace(const Op& op, Tensor& x, DType result,
                     const Scalar& arg0 = 0, const Scalar& arg1 = 0) {
  CheckCastable((op.name() + "_").c_str(), result, x.dtype());
  Run(op, x.dtype(), x, {x}, arg0, arg1);
  x.storage().BumpVersion();
  return x;
}

Device OutputDevice(std::initializer_list<const Tensor*> tensors) {
  for (const Tensor* t : tensors) {
    if (t->dim() > 0) return t->device();
  }
  return (*tensors.begin())->device();
}

// out = op(inputs converted to `compute`) over their broadcast shape.
Tensor Nary(const Op& op, const char* name,
            std::initializer_list<const Tensor*> inputs, DType compute,
            DType out_dtype, const Scalar& arg0 = 0, const Scalar& arg1 = 0) {
  const Tensor& first = **inputs.begin();
  for (const Tensor* t : inputs) CheckSameDevice(name, first, *t);
  const Device device = OutputDevice(inputs);
  Shape shape;
  std::vector<Tensor> converted;
  if (inputs.size() == 2) {
    shape = BroadcastShapes(
        name, {inputs.begin()[0]->sizes(), inputs.begin()[1]->sizes()});
  } else {
    shape = BroadcastShapes(
        name, {inputs.begin()[0]->sizes(), inputs.begin()[1]->sizes(),
               inputs.begin()[2]->sizes()});
  }
  Tensor out = empty(shape, out_dtype, device);
  for (const Tensor* t : inputs) converted.push_back(t->to(device, compute));
  if (converted.size() == 2) {
    Run(op, compute, out, {converted[0], converted[1]}, arg0, arg1);
  } else {
    Run(op, compute, out, {converted[0], converted[1], converted[2]}, arg0,
        arg1);
  }
  return out;
}

Tensor Binary(const Op& op, const Tensor& a, const Tensor& b, DType compute,
              DType out_dtype, const Scalar& arg0 = 0) {
  return Nary(op, op.name().c_str(), {&a, &b}, compute, out_dtype, arg0);
}

// x = op(x, others...) in place: checks dtype castability and that
// broadcasting keeps x's shape; computes in x's dtype.
Tensor& NaryInPlace(const Op& op, const char* name, Tensor& x,
                    std::initializer_list<const Tensor*> others, DType result,
                    const Scalar& arg0 = 0, const Scalar& arg1 = 0) {
  CheckCastable(name, result, x.dtype());
  std::vector<Tensor> converted{x};
  for (const Tensor* t : others) {
    CheckSameDevice(name, x, *t);
    const Shape shape = BroadcastShapes(name, {x.sizes(), t->sizes()});
    TCH_CHECK(shape == x.sizes(), name, ": output with shape ",
              ShapeToString(x.sizes()), " doesn't match the broadcast shape ",
              ShapeToString(shape));
    converted.push_back(t->to(x.device(), x.dtype()));
  }
  if (converted.size() == 2) {
    Run(op, x.dtype(), x, {converted[0], converted[1]}, arg0, arg1);
  } else {
    Run(op, x.dtype(), x, {converted[0], converted[1], converted[2]}, arg0,
        arg1);
  }
  x.storage().BumpVersion();
  return x;
}

std::optional<std::string_view> CheckRoundingMode(
    std::optional<std::string_view> mode) {
  TCH_CHECK(!mode || *mode == "trunc" || *mode == "floor",
            "div expected rounding_mode to be one of None, 'trunc', or "
            "'floor' but found '",
            mode ? *mode : "", "'");
  return mode;
}

Tensor DivRounding(const Tensor& a, const Tensor& b, std::string_view mode) {
  const DType t = ResultType(a, b);
  TCH_CHECK(t != DType::kBool, "div: rounding_mode '", mode,
            "' is not supported for bool tensors");
  return Binary(mode == "trunc" ? kDivTrunc : kDivFloor, a, b, t, t);
}

Tensor Compare(const Op& op, const Tensor& a, const Tensor& b) {
  return Binary(op, a, b, ResultType(a, b), DType::kBool);
}
Tensor Compare(const Op& op, const Tensor& a, const Scalar& b) {
  const DType t = ResultType(a, b);
  return Binary(op, a, Wrap(b, t, a.device()), t, DType::kBool);
}

// Logical kernels read their inputs' own dtypes: no conversion copies.
Tensor Logical(const Op& op, const Tensor& a, const Tensor& b) {
  const char* name = op.name().c_str();
  CheckSameDevice(name, a, b);
  const Shape shape = BroadcastShapes(name, {a.sizes(), b.sizes()});
  const Device device = OutputDevice({&a, &b});
  Tensor out = empty(shape, DType::kBool, device);
  Run(op, DType::kBool, out, {a.to(device), b.to(device)});
  return out;
}

GeluApproximate ParseGelu(std::string_view approximate) {
  TCH_CHECK(approximate == "none" || approximate == "tanh",
            "gelu: approximate argument must be either none or tanh, got '",
            approximate, "'");
  return approximate == "tanh" ? GeluApproximate::kTanh
                               : GeluApproximate::kNone;
}

void CheckPowExponent(const Tensor& a, const Scalar& exponent, DType result) {
  TCH_CHECK(!(IsIntegral(result, true) && !exponent.is_floating_point() &&
              exponent.to<int64_t>() < 0),
            "pow: integers to negative integer powers are not allowed (",
            a.dtype(), " tensor to the power ", exponent, ")");
}

// The replacement values nan_to_num uses for dtype `t`.
void ResolveNanToNum(DType t, std::optional<double>& nan,
                     std::optional<double>& posinf,
                     std::optional<double>& neginf) {
  const double max = VisitDType(t, [&]<typename T>() -> double {
    if constexpr (std::is_same_v<T, Float16>) return 65504.0;
    if constexpr (std::is_same_v<T, BFloat16>) return 3.3895313892515355e38;
    return static_cast<double>(std::numeric_limits<T>::max());
  });
  if (!nan) nan = 0.0;
  if (!posinf) posinf = max;
  if (!neginf) neginf = -max;
}

DType ClampScalarType(const Tensor& x, const std::optional<Scalar>& min,
                      const std::optional<Scalar>& max) {
  TCH_CHECK(min || max,
            "clamp: at least one of 'min' or 'max' must not be None");
  return ResultType(x, *HighestScalar(min, max));
}

Tensor ClampScalar(const Tensor& x, const std::optional<Scalar>& min,
                   const std::optional<Scalar>& max, DType t) {
  CheckNotBool("clamp", t);
  if (min && max) return Unary(kClamp, x, t, t, *min, *max);
  if (min) return Unary(kClampMin, x, t, t, *min);
  return Unary(kClampMax, x, t, t, *max);
}

DType AddcType(const char* op, const Tensor& self, const Tensor& t1,
               const Tensor& t2, bool is_div) {
  const DType t = ResultTypeOf({&self, &t1, &t2});
  if (is_div) {
    TCH_CHECK(IsFloatingPoint(t), op,
              ": integer division with addcdiv is not supported (result "
              "dtype ",
              t, "); use a floating-point tensor");
  } else {
    CheckNotBool(op, t);
  }
  return t;
}

void CheckLerp(const Tensor& start, const Tensor& end, const Tensor* weight) {
  CheckFloating("lerp", start.dtype());
  TCH_CHECK(end.dtype() == start.dtype(), "lerp: expected dtype ",
            start.dtype(), " for `end` but got dtype ", end.dtype());
  TCH_CHECK(weight == nullptr || weight->dtype() == start.dtype(),
            "lerp: expected dtype ", start.dtype(),
            " for `weight` but got dtype ", weight ? weight->dtype() : DType{});
}

}  // namespace

// --- Unary ------------------------------------------------------------------

Tensor neg(const Tensor& x) {
  TCH_CHECK(x.dtype() != DType::kBool,
            "neg: negation, the `-` operator, on a bool tensor is not "
            "supported; use logical_not instead");
  return Unary(kNeg, x, x.dtype(), x.dtype());
}
Tensor abs(const Tensor& x) {
  CheckNotBool("abs", x.dtype());
  return Unary(kAbs, x, x.dtype(), x.dtype());
}
Tensor sign(const Tensor& x) { return Unary(kSign, x, x.dtype(), x.dtype()); }
Tensor exp(const Tensor& x) { return FloatUnary(kExp, x); }
Tensor expm1(const Tensor& x) { return FloatUnary(kExpm1, x); }
Tensor log(const Tensor& x) { return FloatUnary(kLog, x); }
Tensor log1p(const Tensor& x) { return FloatUnary(kLog1p, x); }
Tensor log2(const Tensor& x) { return FloatUnary(kLog2, x); }
Tensor sqrt(const Tensor& x) { return FloatUnary(kSqrt, x); }
Tensor rsqrt(const Tensor& x) { return FloatUnary(kRsqrt, x); }
Tensor square(const Tensor& x) {
  const DType t = x.dtype() == DType::kBool ? DType::kInt64 : x.dtype();
  return Unary(kSquare, x, t, t);
}
Tensor reciprocal(const Tensor& x) { return FloatUnary(kReciprocal, x); }
Tensor sin(const Tensor& x) { return FloatUnary(kSin, x); }
Tensor cos(const Tensor& x) { return FloatUnary(kCos, x); }
Tensor tanh(const Tensor& x) { return FloatUnary(kTanh, x); }
Tensor sigmoid(const Tensor& x) { return FloatUnary(kSigmoid, x); }
Tensor erf(const Tensor& x) { return FloatUnary(kErf, x); }
Tensor relu(const Tensor& x) {
  TCH_CHECK(x.dtype() != DType::kBool,
            "relu: boolean inputs are not supported");
  return Unary(kRelu, x, x.dtype(), x.dtype());
}

Tensor gelu(const Tensor& x, GeluApproximate approximate) {
  CheckFloating("gelu", x.dtype());
  return Unary(kGelu, x, x.dtype(), x.dtype(),
               approximate == GeluApproximate::kTanh ? 1 : 0);
}
Tensor gelu(const Tensor& x, std::string_view approximate) {
  return gelu(x, ParseGelu(approximate));
}
Tensor silu(const Tensor& x) {
  CheckFloating("silu", x.dtype());
  return Unary(kSilu, x, x.dtype(), x.dtype());
}
Tensor softplus(const Tensor& x, const Scalar& beta, const Scalar& threshold) {
  CheckFloating("softplus", x.dtype());
  return Unary(kSoftplus, x, x.dtype(), x.dtype(), beta, threshold);
}

// --- Activation backward ---------------------------------------------------

namespace {
const Op kThresholdBackward("threshold_backward"),
    kSigmoidBackward("sigmoid_backward"), kTanhBackward("tanh_backward"),
    kSiluBackward("silu_backward"), kGeluBackward("gelu_backward"),
    kGeluTanhBackward("gelu_tanh_backward");

Tensor ActivationBackward(const Op& op, const char* name, const Tensor& grad,
                          const Tensor& other, const Scalar& arg0 = 0) {
  const DType t = ResultType(grad, other);
  if (&op == &kThresholdBackward) {
    CheckNotBool(name, t);
  } else {
    TCH_CHECK(IsFloatingPoint(t), name,
              ": expected floating-point tensors, got grad of dtype ",
              grad.dtype(), " and input of dtype ", other.dtype());
  }
  return Nary(op, name, {&grad, &other}, t, t, arg0);
}
}  // namespace

Tensor threshold_backward(const Tensor& grad, const Tensor& self,
                          const Scalar& threshold) {
  return ActivationBackward(kThresholdBackward, "threshold_backward", grad,
                            self, threshold);
}
Tensor relu_backward(const Tensor& grad, const Tensor& output) {
  return ActivationBackward(kThresholdBackward, "relu_backward", grad, output,
                            0);
}
Tensor gelu_backward(const Tensor& grad, const Tensor& x,
                     GeluApproximate approximate) {
  return approximate == GeluApproximate::kTanh
             ? ActivationBackward(kGeluTanhBackward, "gelu_backward", grad, x)
             : ActivationBackward(kGeluBackward, "gelu_backward", grad, x);
}
Tensor gelu_backward(const Tensor& grad, const Tensor& x,
                     std::string_view approximate) {
  return gelu_backward(grad, x, ParseGelu(approximate));
}
Tensor silu_backward(const Tensor& grad, const Tensor& x) {
  return ActivationBackward(kSiluBackward, "silu_backward", grad, x);
}
Tensor sigmoid_backward(const Tensor& grad, const Tensor& output) {
  return ActivationBackward(kSigmoidBackward, "sigmoid_backward", grad, output);
}
Tensor tanh_backward(const Tensor& grad, const Tensor& output) {
  return ActivationBackward(kTanhBackward, "tanh_backward", grad, output);
}

namespace {
Tensor Rounding(const Op& op, const Tensor& x) {
  TCH_CHECK(x.dtype() != DType::kBool, op.name(),
            ": bool tensors are not supported");
  if (!IsFloatingPoint(x.dtype())) return x.clone();
  return Unary(op, x, x.dtype(), x.dtype());
}
Tensor& RoundingInPlace(const Op& op, Tensor& x) {
  TCH_CHECK(x.dtype() != DType::kBool, op.name(),
            "_: bool tensors are not supported");
  if (!IsFloatingPoint(x.dtype())) {
    x.storage().BumpVersion();
    return x;
  }
  return UnaryInPlace(op, x, x.dtype());
}
Tensor Classify(const Op& op, const Tensor& x, bool integral_value) {
  if (!IsFloatingPoint(x.dtype())) {
    return full(x.sizes(), integral_value, DType::kBool, x.device());
  }
  return Unary(op, x, x.dtype(), DType::kBool);
}
}  // namespace

Tensor floor(const Tensor& x) { return Rounding(kFloor, x); }
Tensor ceil(const Tensor& x) { return Rounding(kCeil, x); }
Tensor round(const Tensor& x) { return Rounding(kRound, x); }
Tensor trunc(const Tensor& x) { return Rounding(kTrunc, x); }

Tensor isnan(const Tensor& x) { return Classify(kIsnan, x, false); }
Tensor isinf(const Tensor& x) { return Classify(kIsinf, x, false); }
Tensor isfinite(const Tensor& x) { return Classify(kIsfinite, x, true); }

Tensor nan_to_num(const Tensor& x, std::optional<double> nan,
                  std::optional<double> posinf, std::optional<double> neginf) {
  if (!IsFloatingPoint(x.dtype())) return x.clone();
  ResolveNanToNum(x.dtype(), nan, posinf, neginf);
  Tensor out = empty_like(x);
  const ElementwisePlan plan = MakeElementwisePlan(out, {x});
  kNanToNum.Get<NanToNumKernel>(x.device().type, x.dtype())(plan, *nan, *posinf,
                                                            *neginf);
  return out;
}

// --- Binary
// --------------------------------------------------------------------

Tensor remainder(const Tensor& a, const Tensor& b) {
  const DType t = ResultType(a, b);
  CheckNotBool("remainder", t);
  return Binary(kRemainder, a, b, t, t);
}
Tensor remainder(const Tensor& a, const Scalar& b) {
  const DType t = ResultType(a, b);
  return remainder(a, Wrap(b, t, a.device()));
}
Tensor remainder(const Scalar& a, const Tensor& b) {
  const DType t = ResultType(b, a);
  return remainder(Wrap(a, t, b.device()), b);
}

Tensor pow(const Tensor& a, const Tensor& b) {
  const DType t = ResultType(a, b);
  CheckNotBool("pow", t);
  return Binary(kPow, a, b, t, t);
}
Tensor pow(const Tensor& a, const Scalar& exponent) {
  const DType t = ResultType(a, exponent);
  CheckNotBool("pow", t);
  CheckPowExponent(a, exponent, t);
  return Unary(kPowScalar, a, t, t, exponent);
}
Tensor pow(const Scalar& base, const Tensor& exponent) {
  const DType t = ResultType(exponent, base);
  return pow(Wrap(base, t, exponent.device()), exponent);
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  const DType t = ResultType(a, b);
  return Binary(kMaximum, a, b, t, t);
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  const DType t = ResultType(a, b);
  return Binary(kMinimum, a, b, t, t);
}

Tensor div(const Tensor& a, const Tensor& b,
           std::optional<std::string_view> rounding_mode) {
  if (!CheckRoundingMode(rounding_mode)) return div(a, b);
  return DivRounding(a, b, *rounding_mode);
}
Tensor div(const Tensor& a, const Scalar& b,
           std::optional<std::string_view> rounding_mode) {
  if (!CheckRoundingMode(rounding_mode)) return div(a, b);
  return DivRounding(a, Wrap(b, ResultType(a, b), a.device()), *rounding_mode);
}
Tensor floor_divide(const Tensor& a, const Tensor& b) {
  return DivRounding(a, b, "floor");
}
Tensor floor_divide(const Tensor& a, const Scalar& b) {
  return div(a, b, "floor");
}

Tensor eq(const Tensor& a, const Tensor& b) { return Compare(kEq, a, b); }
Tensor eq(const Tensor& a, const Scalar& b) { return Compare(kEq, a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return Compare(kNe, a, b); }
Tensor ne(const Tensor& a, const Scalar& b) { return Compare(kNe, a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return Compare(kLt, a, b); }
Tensor lt(const Tensor& a, const Scalar& b) { return Compare(kLt, a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return Compare(kLe, a, b); }
Tensor le(const Tensor& a, const Scalar& b) { return Compare(kLe, a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return Compare(kGt, a, b); }
Tensor gt(const Tensor& a, const Scalar& b) { return Compare(kGt, a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return Compare(kGe, a, b); }
Tensor ge(const Tensor& a, const Scalar& b) { return Compare(kGe, a, b); }

Tensor logical_and(const Tensor& a, const Tensor& b) {
  return Logical(kLogicalAnd, a, b);
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  return Logical(kLogicalOr, a, b);
}
Tensor logical_xor(const Tensor& a, const Tensor& b) {
  return Logical(kLogicalXor, a, b);
}
Tensor logical_not(const Tensor& x) {
  Tensor out = empty(x.sizes(), DType::kBool, x.device());
  Run(kLogicalNot, DType::kBool, out, {x});
  return out;
}

// --- Ternary
// -------------------------------------------------------------------

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  TCH_CHECK(cond.dtype() == DType::kBool || cond.dtype() == DType::kUInt8,
            "where: expected condition to be a boolean tensor, but got a "
            "tensor with dtype ",
            cond.dtype());
  CheckSameDevice("where", cond, a);
  CheckSameDevice("where", a, b);
  const DType t = ResultType(a, b);
  const Device device = OutputDevice({&cond, &a, &b});
  const Shape shape =
      BroadcastShapes("where", {cond.sizes(), a.sizes(), b.sizes()});
  Tensor out = empty(shape, t, device);
  Run(kWhere, t, out,
      {cond.to(device, DType::kBool), a.to(device, t), b.to(device, t)});
  return out;
}
Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b) {
  return where(cond, a, Wrap(b, ResultType(a, b), a.device()));
}
Tensor where(const Tensor& cond, const Scalar& a, const Tensor& b) {
  return where(cond, Wrap(a, ResultType(b, a), b.device()), b);
}
Tensor where(const Tensor& cond, const Scalar& a, const Scalar& b) {
  const DType t = ScalarPairType(a, b);
  return where(cond, Wrap(a, t, cond.device()), Wrap(b, t, cond.device()));
}

Tensor clamp(const Tensor& x, const std::optional<Scalar>& min,
             const std::optional<Scalar>& max) {
  return ClampScalar(x, min, max, ClampScalarType(x, min, max));
}
Tensor clamp(const Tensor& x, const std::optional<Tensor>& min,
             const std::optional<Tensor>& max) {
  TCH_CHECK(min || max,
            "clamp: at least one of 'min' or 'max' must not be None");
  if (!max) return maximum(x, *min);
  if (!min) return minimum(x, *max);
  const DType t = ResultTypeOf({&x, &*min, &*max});
  CheckNotBool("clamp", t);
  return Nary(kClampTensor, "clamp", {&x, &*min, &*max}, t, t);
}
Tensor clamp_min(const Tensor& x, const Scalar& min) {
  return clamp(x, min, std::nullopt);
}
Tensor clamp_max(const Tensor& x, const Scalar& max) {
  return clamp(x, std::nullopt, max);
}

Tensor lerp(const Tensor& start, const Tensor& end, const Scalar& weight) {
  CheckLerp(start, end, nullptr);
  return Binary(kLerpScalar, start, end, start.dtype(), start.dtype(), weight);
}
Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight) {
  CheckLerp(start, end, &weight);
  return Nary(kLerpTensor, "lerp", {&start, &end, &weight}, start.dtype(),
              start.dtype());
}

Tensor addcmul(const Tensor& self, const Tensor& t1, const Tensor& t2,
               const Scalar& value) {
  const DType t = AddcType("addcmul", self, t1, t2, false);
  return Nary(kAddcmul, "addcmul", {&self, &t1, &t2}, t, t, value);
}
Tensor addcdiv(const Tensor& self, const Tensor& t1, const Tensor& t2,
               const Scalar& value) {
  const DType t = AddcType("addcdiv", self, t1, t2, true);
  return Nary(kAddcdiv, "addcdiv", {&self, &t1, &t2}, t, t, value);
}

// --- In place
// --------------------------------------------------------------------

Tensor& neg_(Tensor& x) {
  TCH_CHECK(x.dtype() != DType::kBool,
            "neg_: negation of a bool tensor is not supported");
  return UnaryInPlace(kNeg, x, x.dtype());
}
Tensor& abs_(Tensor& x) {
  CheckNotBool("abs_", x.dtype());
  return UnaryInPlace(kAbs, x, x.dtype());
}
Tensor& exp_(Tensor& x) {
  return UnaryInPlace(kExp, x, FloatResult(x.dtype()));
}
Tensor& log_(Tensor& x) {
  return UnaryInPlace(kLog, x, FloatResult(x.dtype()));
}
Tensor& sqrt_(Tensor& x) {
  return UnaryInPlace(kSqrt, x, FloatResult(x.dtype()));
}
Tensor& rsqrt_(Tensor& x) {
  return UnaryInPlace(kRsqrt, x, FloatResult(x.dtype()));
}
Tensor& reciprocal_(Tensor& x) {
  return UnaryInPlace(kReciprocal, x, FloatResult(x.dtype()));
}
Tensor& tanh_(Tensor& x) {
  return UnaryInPlace(kTanh, x, FloatResult(x.dtype()));
}
Tensor& sigmoid_(Tensor& x) {
  return UnaryInPlace(kSigmoid, x, FloatResult(x.dtype()));
}
Tensor& relu_(Tensor& x) {
  TCH_CHECK(x.dtype() != DType::kBool,
            "relu_: boolean inputs are not supported");
  return UnaryInPlace(kRelu, x, x.dtype());
}
Tensor& silu_(Tensor& x) {
  CheckFloating("silu_", x.dtype());
  return UnaryInPlace(kSilu, x, x.dtype());
}
Tensor& floor_(Tensor& x) { return RoundingInPlace(kFloor, x); }
Tensor& ceil_(Tensor& x) { return RoundingInPlace(kCeil, x); }
Tensor& round_(Tensor& x) { return RoundingInPlace(kRound, x); }
Tensor& trunc_(Tensor& x) { return RoundingInPlace(kTrunc, x); }

Tensor& nan_to_num_(Tensor& x, std::optional<double> nan,
                    std::optional<double> posinf,
                    std::optional<double> neginf) {
  if (IsFloatingPoint(x.dtype())) {
    ResolveNanToNum(x.dtype(), nan, posinf, neginf);
    const ElementwisePlan plan = MakeElementwisePlan(x, {x});
    kNanToNum.Get<NanToNumKernel>(x.device().type, x.dtype())(plan, *nan,
                                                              *posinf, *neginf);
  }
  x.storage().BumpVersion();
  return x;
}

Tensor& clamp_(Tensor& x, const std::optional<Scalar>& min,
               const std::optional<Scalar>& max) {
  const DType t = ClampScalarType(x, min, max);
  CheckCastable("clamp_", t, x.dtype());
  CheckNotBool("clamp_", x.dtype());
  if (min && max) return UnaryInPlace(kClamp, x, x.dtype(), *min, *max);
  if (min) return UnaryInPlace(kClampMin, x, x.dtype(), *min);
  return UnaryInPlace(kClampMax, x, x.dtype(), *max);
}
Tensor& clamp_(Tensor& x, const std::optional<Tensor>& min,
               const std::optional<Tensor>& max) {
  TCH_CHECK(min || max,
            "clamp_: at least one of 'min' or 'max' must not be None");
  CheckNotBool("clamp_", x.dtype());
  if (!max)
    return NaryInPlace(kMaximum, "clamp_", x, {&*min},
                       ResultTypeOf({&x, &*min}));
  if (!min)
    return NaryInPlace(kMinimum, "clamp_", x, {&*max},
                       ResultTypeOf({&x, &*max}));
  return NaryInPlace(kClampTensor, "clamp_", x, {&*min, &*max},
                     ResultTypeOf({&x, &*min, &*max}));
}

Tensor& pow_(Tensor& x, const Scalar& exponent) {
  const DType t = ResultType(x, exponent);
  CheckNotBool("pow_", t);
  CheckPowExponent(x, exponent, t);
  return UnaryInPlace(kPowScalar, x, t, exponent);
}

Tensor& remainder_(Tensor& x, const Tensor& other) {
  CheckNotBool("remainder_", x.dtype());
  return NaryInPlace(kRemainder, "remainder_", x, {&other},
                     ResultType(x, other));
}
Tensor& remainder_(Tensor& x, const Scalar& other) {
  CheckNotBool("remainder_", x.dtype());
  const Tensor wrapped = Wrap(other, x.dtype(), x.device());
  return NaryInPlace(kRemainder, "remainder_", x, {&wrapped},
                     ResultType(x, other));
}

Tensor& lerp_(Tensor& x, const Tensor& end, const Scalar& weight) {
  CheckLerp(x, end, nullptr);
  return NaryInPlace(kLerpScalar, "lerp_", x, {&end}, x.dtype(), weight);
}
Tensor& lerp_(Tensor& x, const Tensor& end, const Tensor& weight) {
  CheckLerp(x, end, &weight);
  return NaryInPlace(kLerpTensor, "lerp_", x, {&end, &weight}, x.dtype());
}

Tensor& addcmul_(Tensor& x, const Tensor& t1, const Tensor& t2,
                 const Scalar& value) {
  const DType t = AddcType("addcmul_", x, t1, t2, false);
  return NaryInPlace(kAddcmul, "addcmul_", x, {&t1, &t2}, t, value);
}
Tensor& addcdiv_(Tensor& x, const Tensor& t1, const Tensor& t2,
                 const Scalar& value) {
  const DType t = AddcType("addcdiv_", x, t1, t2, true);
  return NaryInPlace(kAddcdiv, "addcdiv_", x, {&t1, &t2}, t, value);
}

}  // namespace tch
