#include "torch/core/ops.h"

#include <algorithm>
#include <cmath>

#include "torch/core/dispatch.h"
#include "torch/core/elementwise.h"

namespace tch {

// --- Elementwise plans
// ---------------------------------------------------------

Shape BroadcastShapes(const char* op, std::initializer_list<IntList> shapes) {
  size_t ndim = 0;
  for (IntList s : shapes) ndim = std::max(ndim, s.size());
  Shape result(ndim, 1);
  for (IntList s : shapes) {
    const size_t lead = ndim - s.size();
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t& r = result[lead + i];
      if (s[i] == r || s[i] == 1) continue;
      if (r == 1) {
        r = s[i];
        continue;
      }
      std::string all;
      for (IntList t : shapes)
        all += (all.empty() ? "" : " and ") + ShapeToString(t);
      throw ValueError(detail::StrCat(
          op, ": shapes ", all, " are not broadcastable: the size ", s[i],
          " must match the size ", r, " at non-singleton dimension ",
          lead + i));
    }
  }
  return result;
}

ElementwisePlan MakeElementwisePlan(const Tensor& out,
                                    std::initializer_list<Tensor> inputs) {
  ElementwisePlan plan;
  plan.num_operands = 1 + static_cast<int>(inputs.size());
  TCH_INTERNAL_ASSERT(plan.num_operands <= kMaxElementwiseOperands,
                      "too many operands");
  const int64_t ndim = out.dim();
  plan.numel = out.numel();
  // Full-rank byte strides, innermost first, before merging.
  int64_t sizes[64];
  int64_t strides[kMaxElementwiseOperands][64];
  TCH_CHECK(ndim <= 64, "elementwise ops support at most 64 dims, got ", ndim);
  int op = 0;
  auto add_operand = [&](const Tensor& t) {
    TCH_INTERNAL_ASSERT(t.dim() <= ndim, "operand rank exceeds output rank");
    plan.data[op] = static_cast<char*>(t.raw_data());
    plan.dtypes[op] = t.dtype();
    const int64_t lead = ndim - t.dim();
    for (int64_t d = 0; d < ndim; ++d) {
      const int64_t src = d - lead;
      const bool broadcast = src < 0 || t.sizes()[src] == 1;
      strides[op][ndim - 1 - d] =
          broadcast ? 0 : t.strides()[src] * t.element_size();
    }
    ++op;
  };
  add_operand(out);
  for (const Tensor& t : inputs) add_operand(t);
  for (int64_t d = 0; d < ndim; ++d) sizes[ndim - 1 - d] = out.sizes()[d];

  // Merge dim d+1 into dim d when every operand steps through them as one.
  int merged = 0;
  for (int64_t d = 0; d < ndim; ++d) {
    if (sizes[d] == 1) continue;  // size-1 dims never need iterating
    if (merged > 0) {
      bool can_merge = true;
      for (int o = 0; o < plan.num_operands; ++o) {
        if (strides[o][d] !=
            plan.strides[o][merged - 1] * plan.sizes[merged - 1]) {
          can_merge = false;
          break;
        }
      }
      if (can_merge) {
        plan.sizes[merged - 1] *= sizes[d];
        continue;
      }
    }
    TCH_CHECK(merged < kMaxElementwiseDims, "elementwise ops support at most ",
              kMaxElementwiseDims, " non-mergeable dims; tensor of shape ",
              ShapeToString(out.sizes()), " has more");
    plan.sizes[merged] = sizes[d];
    for (int o = 0; o < plan.num_operands; ++o) {
      plan.strides[o][merged] = strides[o][d];
    }
    ++merged;
  }
  plan.ndim = merged;
  if (plan.numel == 0) plan.ndim = 1, plan.sizes[0] = 0;
  return plan;
}

// --- Creation
// ------------------------------------------------------------------

namespace {

const Op kFillOp("fill");
const Op kCopyOp("copy");
const Op kArangeOp("arange");
const Op kLinspaceOp("linspace");
const Op kAddOp("add");
const Op kSubOp("sub");
const Op kMulOp("mul");
const Op kDivOp("div");

void CheckSameDevice(const char* op, const Tensor& a, const Tensor& b) {
  TCH_CHECK(a.device() == b.device() || b.dim() == 0 || a.dim() == 0, op,
            ": expected all tensors to be on the same device, but found at "
            "least two devices, ",
            a.device(), " and ", b.device());
}

}  // namespace

Tensor empty(IntList sizes, DType dtype, const Device& device) {
  const int64_t numel = NumElements(sizes);
  const int64_t element_size = ElementSize(dtype);
  TCH_CHECK(numel <= INT64_MAX / element_size, "empty: shape ",
            ShapeToString(sizes), " of ", dtype, " needs more than 2^63 bytes");
  Storage storage =
      Storage::Allocate(static_cast<size_t>(numel * element_size), device);
  return Tensor::FromStorage(std::move(storage), sizes,
                             ContiguousStrides(sizes), 0, dtype);
}

Tensor zeros(IntList sizes, DType dtype, const Device& device) {
  return full(sizes, 0, dtype, device);
}

Tensor ones(IntList sizes, DType dtype, const Device& device) {
  return full(sizes, 1, dtype, device);
}

Tensor full(IntList sizes, const Scalar& value, DType dtype,
            const Device& device) {
  Tensor out = empty(sizes, dtype, device);
  out.fill_(value);
  return out;
}

Tensor empty_like(const Tensor& other) {
  return empty(other.sizes(), other.dtype(), other.device());
}
Tensor zeros_like(const Tensor& other) {
  return zeros(other.sizes(), other.dtype(), other.device());
}
Tensor ones_like(const Tensor& other) {
  return ones(other.sizes(), other.dtype(), other.device());
}
Tensor full_like(const Tensor& other, const Scalar& value) {
  return full(other.sizes(), value, other.dtype(), other.device());
}

Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step,
              DType dtype, const Device& device) {
  const double lo = start.to<double>(), hi = end.to<double>();
  const double st = step.to<double>();
  TCH_CHECK(st != 0, "arange: step must be nonzero");
  TCH_CHECK(std::isfinite(lo) && std::isfinite(hi),
            "arange: unsupported range: ", start, " -> ", end);
  TCH_CHECK((st > 0 && hi >= lo) || (st < 0 && hi <= lo),
            "arange: upper bound and larger bound inconsistent with step sign");
  const double length = std::ceil((hi - lo) / st);
  TCH_CHECK(length < 9.2e18, "arange: too many elements (", length, ")");
  Tensor out = empty({static_cast<int64_t>(length)}, dtype, device);
  ElementwisePlan plan = MakeElementwisePlan(out, {});
  plan.args[0] = start;
  plan.args[1] = step;
  kArangeOp.Get<ElementwiseKernel>(device.type, dtype)(plan);
  return out;
}

Tensor arange(const Scalar& end, DType dtype, const Device& device) {
  return arange(0, end, 1, dtype, device);
}

Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps,
                DType dtype, const Device& device) {
  TCH_CHECK(steps >= 0, "linspace: number of steps must be non-negative, got ",
            steps);
  Tensor out = empty({steps}, dtype, device);
  if (steps == 0) return out;
  ElementwisePlan plan = MakeElementwisePlan(out, {});
  plan.args[0] = start;
  plan.args[1] = end;
  kLinspaceOp.Get<ElementwiseKernel>(device.type, dtype)(plan);
  return out;
}

Tensor eye(int64_t n, int64_t m, DType dtype, const Device& device) {
  if (m == -1) m = n;
  TCH_CHECK(n >= 0 && m >= 0, "eye: n and m must be non-negative, got n=", n,
            ", m=", m);
  Tensor out = zeros({n, m}, dtype, device);
  out.diagonal().fill_(1);  // a view: writes the diagonal in place
  return out;
}

template <typename T>
Tensor from_vector(const std::vector<T>& values, IntList sizes,
                   const Device& device) {
  const Shape shape = sizes.empty() && values.size() != 1
                          ? Shape{static_cast<int64_t>(values.size())}
                          : sizes.ToShape();
  TCH_CHECK(NumElements(shape) == static_cast<int64_t>(values.size()),
            "from_vector: shape ", ShapeToString(shape), " holds ",
            NumElements(shape), " elements but ", values.size(),
            " values were given");
  Tensor host = empty(shape, DTypeOf<T>(), kCpu);
  if constexpr (std::is_same_v<T, bool>) {
    bool* out = host.data_ptr<bool>();
    for (size_t i = 0; i < values.size(); ++i) out[i] = values[i];
  } else {
    std::copy(values.begin(), values.end(), host.data_ptr<T>());
  }
  return host.to(device);
}

#define TCH_INSTANTIATE_FROM_VECTOR(e, T, name, short_name) \
  template Tensor from_vector<T>(const std::vector<T>&, IntList, const Device&);
TCH_FORALL_DTYPES(TCH_INSTANTIATE_FROM_VECTOR)
#undef TCH_INSTANTIATE_FROM_VECTOR

Tensor scalar_tensor(const Scalar& value, DType dtype, const Device& device) {
  return full({}, value, dtype, device);
}

// --- In-place basics
// -----------------------------------------------------------

Tensor& Tensor::fill_(const Scalar& value) {
  ElementwisePlan plan = MakeElementwisePlan(*this, {});
  plan.args[0] = value;
  kFillOp.Get<ElementwiseKernel>(device().type, dtype())(plan);
  storage().BumpVersion();
  return *this;
}

Tensor& Tensor::copy_(const Tensor& src) {
  if (src.SameImpl(*this)) return *this;
  BroadcastShapes("copy_", {sizes(), src.sizes()});
  TCH_CHECK(src.dim() <= dim(), "copy_: source of shape ",
            ShapeToString(src.sizes()), " cannot be broadcast to ",
            ShapeToString(sizes()));
  const Tensor source = src.expand(sizes());
  // Copies touching a GPU go to that GPU's kernel, which handles transfers.
  const DeviceType kernel_device =
      device().is_cuda() ? device().type : source.device().type;
  ElementwisePlan plan = MakeElementwisePlan(*this, {source});
  kCopyOp.Get<ElementwiseKernel>(kernel_device, dtype())(plan);
  storage().BumpVersion();
  return *this;
}

// --- Type promotion
// ----------------------------------------------------------------

namespace {

// Priority of an operand in promotion: 2 = has dims, 1 = 0-D tensor,
// 0 = wrapped scalar.
DType CombineTyped(DType dim_result, bool has_dim, DType zero_result,
                   bool has_zero) {
  if (!has_zero) return dim_result;
  if (!has_dim) return zero_result;
  return CategoryOf(zero_result) > CategoryOf(dim_result)
             ? PromoteTypes(dim_result, zero_result)
             : dim_result;
}

}  // namespace

DType ResultType(const Tensor& a, const Tensor& b) {
  const bool a_dim = a.dim() > 0, b_dim = b.dim() > 0;
  if (a_dim == b_dim) return PromoteTypes(a.dtype(), b.dtype());
  const Tensor& dimmed = a_dim ? a : b;
  const Tensor& zero = a_dim ? b : a;
  return CombineTyped(dimmed.dtype(), true, zero.dtype(), true);
}

DType ResultType(const Tensor& a, const Scalar& b) {
  const DType wrapped = b.wrapped_dtype();
  if (CategoryOf(wrapped) <= CategoryOf(a.dtype())) return a.dtype();
  // A float scalar with an integral tensor gives the default float dtype.
  return wrapped == DType::kFloat32 ? DType::kFloat32
                                    : PromoteTypes(a.dtype(), wrapped);
}

// --- Elementwise arithmetic
// ----------------------------------------------------------

namespace {

// out = kernel(a, b) over the broadcast shape in `compute` dtype.
Tensor BinaryOp(const Op& op, const Tensor& a, const Tensor& b, DType compute,
                const Scalar& alpha) {
  CheckSameDevice(op.name().c_str(), a, b);
  const Device device = a.dim() == 0 && b.dim() > 0 ? b.device() : a.device();
  const Shape shape =
      BroadcastShapes(op.name().c_str(), {a.sizes(), b.sizes()});
  Tensor out = empty(shape, compute, device);
  const Tensor lhs = a.to(device, compute);
  const Tensor rhs = b.to(device, compute);
  ElementwisePlan plan = MakeElementwisePlan(out, {lhs, rhs});
  plan.args[0] = alpha;
  op.Get<ElementwiseKernel>(device.type, compute)(plan);
  return out;
}

// self = kernel(self, other); the result dtype must be self's dtype.
void BinaryOpInPlace(const Op& op, Tensor& self, const Tensor& other,
                     DType result, const Scalar& alpha) {
  CheckSameDevice(op.name().c_str(), self, other);
  TCH_CHECK(PromoteTypes(result, self.dtype()) == self.dtype(), op.name(),
            "_: result type ", result,
            " can't be cast to the desired output "
            "type ",
            self.dtype());
  const Shape shape =
      BroadcastShapes(op.name().c_str(), {self.sizes(), other.sizes()});
  TCH_CHECK(IntList(shape).size() == static_cast<size_t>(self.dim()) &&
                std::equal(shape.begin(), shape.end(), self.sizes().begin()),
            op.name(), "_: output with shape ", ShapeToString(self.sizes()),
            " doesn't match the broadcast shape ", ShapeToString(shape));
  const Tensor rhs = other.to(self.device(), self.dtype());
  ElementwisePlan plan = MakeElementwisePlan(self, {self, rhs});
  plan.args[0] = alpha;
  op.Get<ElementwiseKernel>(self.device().type, self.dtype())(plan);
  self.storage().BumpVersion();
}

Tensor Wrap(const Scalar& s, DType dtype, const Device& device) {
  return scalar_tensor(s, dtype, device);
}

void CheckNotBool(const char* op, DType dtype) {
  TCH_CHECK(dtype != DType::kBool, op,
            ": subtraction/negation of bool tensors is not supported; use "
            "logical_not or logical_xor instead");
}

DType DivType(DType promoted) {
  return IsFloatingPoint(promoted) ? promoted : DType::kFloat32;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  return BinaryOp(kAddOp, a, b, ResultType(a, b), alpha);
}
Tensor add(const Tensor& a, const Scalar& b, const Scalar& alpha) {
  const DType t = ResultType(a, b);
  return BinaryOp(kAddOp, a, Wrap(b, t, a.device()), t, alpha);
}
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  const DType t = ResultType(a, b);
  CheckNotBool("sub", t);
  return BinaryOp(kSubOp, a, b, t, alpha);
}
Tensor sub(const Tensor& a, const Scalar& b, const Scalar& alpha) {
  const DType t = ResultType(a, b);
  CheckNotBool("sub", t);
  return BinaryOp(kSubOp, a, Wrap(b, t, a.device()), t, alpha);
}
Tensor mul(const Tensor& a, const Tensor& b) {
  return BinaryOp(kMulOp, a, b, ResultType(a, b), 1);
}
Tensor mul(const Tensor& a, const Scalar& b) {
  const DType t = ResultType(a, b);
  return BinaryOp(kMulOp, a, Wrap(b, t, a.device()), t, 1);
}
Tensor div(const Tensor& a, const Tensor& b) {
  return BinaryOp(kDivOp, a, b, DivType(ResultType(a, b)), 1);
}
Tensor div(const Tensor& a, const Scalar& b) {
  const DType t = DivType(ResultType(a, b));
  return BinaryOp(kDivOp, a, Wrap(b, t, a.device()), t, 1);
}

Tensor operator-(const Tensor& a) {
  CheckNotBool("neg", a.dtype());
  return mul(a, -1);
}
Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, const Scalar& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Scalar& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Scalar& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Scalar& b) { return div(a, b); }
Tensor operator+(const Scalar& a, const Tensor& b) { return add(b, a); }
Tensor operator*(const Scalar& a, const Tensor& b) { return mul(b, a); }

Tensor& Tensor::add_(const Tensor& other, const Scalar& alpha) {
  BinaryOpInPlace(kAddOp, *this, other, ResultType(*this, other), alpha);
  return *this;
}
Tensor& Tensor::add_(const Scalar& other) {
  BinaryOpInPlace(kAddOp, *this, Wrap(other, dtype(), device()),
                  ResultType(*this, other), 1);
  return *this;
}
Tensor& Tensor::sub_(const Tensor& other, const Scalar& alpha) {
  CheckNotBool("sub_", dtype());
  BinaryOpInPlace(kSubOp, *this, other, ResultType(*this, other), alpha);
  return *this;
}
Tensor& Tensor::mul_(const Tensor& other) {
  BinaryOpInPlace(kMulOp, *this, other, ResultType(*this, other), 1);
  return *this;
}
Tensor& Tensor::mul_(const Scalar& other) {
  BinaryOpInPlace(kMulOp, *this, Wrap(other, dtype(), device()),
                  ResultType(*this, other), 1);
  return *this;
}
Tensor& Tensor::div_(const Tensor& other) {
  BinaryOpInPlace(kDivOp, *this, other, DivType(ResultType(*this, other)), 1);
  return *this;
}
Tensor& Tensor::div_(const Scalar& other) {
  BinaryOpInPlace(kDivOp, *this, Wrap(other, dtype(), device()),
                  DivType(ResultType(*this, other)), 1);
  return *this;
}

// --- Comparison helpers
// ------------------------------------------------------------

bool allclose(const Tensor& actual, const Tensor& expected, double rtol,
              double atol, bool equal_nan) {
  if (!std::equal(actual.sizes().begin(), actual.sizes().end(),
                  expected.sizes().begin(), expected.sizes().end())) {
    return false;
  }
  const std::vector<double> a = actual.ToVector<double>();
  const std::vector<double> e = expected.ToVector<double>();
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) || std::isnan(e[i])) {
      if (!(equal_nan && std::isnan(a[i]) && std::isnan(e[i]))) return false;
      continue;
    }
    if (a[i] == e[i]) continue;  // also equal infinities
    if (!(std::fabs(a[i] - e[i]) <= atol + rtol * std::fabs(e[i])))
      return false;
  }
  return true;
}

bool equal(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype()) return false;
  if (!std::equal(a.sizes().begin(), a.sizes().end(), b.sizes().begin(),
                  b.sizes().end())) {
    return false;
  }
  return a.ToVector<double>() == b.ToVector<double>();
}

}  // namespace tch
