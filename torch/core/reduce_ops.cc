#include "torch/core/reduce_ops.h"

#include <algorithm>
#include <string>
#include <vector>

#include "torch/core/dispatch.h"
#include "torch/core/ops.h"

namespace tch {
namespace {

const Op kSumOp("sum");
const Op kMeanOp("mean");
const Op kProdOp("prod");
const Op kAmaxOp("amax");
const Op kAminOp("amin");
const Op kArgmaxOp("argmax");  // also max(dim): writes values when asked
const Op kArgminOp("argmin");
const Op kVarOp("var");
const Op kStdOp("std");
const Op kLogsumexpOp("logsumexp");
const Op kNormOp("norm");
const Op kAllOp("all");
const Op kAnyOp("any");
const Op kCumsumOp("cumsum");

// `dim` wrapped into [0, ndim) (a 0-D tensor takes 0 and -1); IndexError
// naming the op and the valid range otherwise.
int64_t WrapReduceDim(const char* op, int64_t dim, int64_t ndim) {
  const int64_t n = std::max<int64_t>(ndim, 1);
  TCH_CHECK_T(IndexError, dim >= -n && dim < n, op,
              "(): Dimension out of range (expected to be in range of [", -n,
              ", ", n - 1, "], but got ", dim, ")");
  return dim < 0 ? dim + n : dim;
}

// Which dims of `x` a reduction over `dims` removes (all of them when
// `dims` is empty). A 0-D tensor has one pseudo-dim. Throws IndexError for
// an out-of-range dim and ValueError for a repeated one.
std::vector<bool> ReduceMask(const char* op, const Tensor& x, IntList dims) {
  const int64_t ndim = x.dim();
  std::vector<bool> mask(static_cast<size_t>(std::max<int64_t>(ndim, 1)),
                         dims.empty());
  for (int64_t d : dims) {
    const int64_t w = WrapReduceDim(op, d, ndim);
    TCH_CHECK(!mask[static_cast<size_t>(w)], op, "(): dim ", w,
              " appears multiple times in the list of dims");
    mask[static_cast<size_t>(w)] = true;
  }
  return mask;
}

std::vector<bool> DimMask(const char* op, const Tensor& x, int64_t dim) {
  return ReduceMask(op, x, {dim});
}

// The result shape with reduced dims kept as size 1.
Shape KeptShape(const Tensor& x, const std::vector<bool>& mask) {
  Shape shape = x.sizes();
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (mask[static_cast<size_t>(d)]) shape[d] = 1;
  }
  return shape;
}

Shape SqueezedShape(const Tensor& x, const std::vector<bool>& mask) {
  Shape shape;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (!mask[static_cast<size_t>(d)]) shape.push_back(x.sizes()[d]);
  }
  return shape;
}

// Appends dim (size, strides...) to a merged dim list, merging it into the
// previous (inner) dim when every operand steps through both as one.
template <int K>
void AppendDim(int& ndim, int64_t* sizes, int64_t* const (&strides)[K],
               int64_t size, const int64_t (&dim_strides)[K],
               const char* what) {
  if (ndim > 0) {
    bool merge = true;
    for (int k = 0; k < K; ++k) {
      merge &= dim_strides[k] == strides[k][ndim - 1] * sizes[ndim - 1];
    }
    if (merge) {
      sizes[ndim - 1] *= size;
      return;
    }
  }
  TCH_CHECK(ndim < kMaxReduceDims, what, ": at most ", kMaxReduceDims,
            " non-mergeable dims are supported");
  sizes[ndim] = size;
  for (int k = 0; k < K; ++k) strides[k][ndim] = dim_strides[k];
  ++ndim;
}

// See Note [Reduction plan]. `out` and `indices` (either may be undefined)
// have the kept shape, contiguous.
ReducePlan MakeReducePlan(const char* op, const Tensor& x,
                          const std::vector<bool>& mask, const Tensor& out,
                          const Tensor& indices) {
  ReducePlan plan;
  plan.in = static_cast<const char*>(x.raw_data());
  plan.in_dtype = x.dtype();
  const Tensor& shaped = out.defined() ? out : indices;
  plan.out_dtype = shaped.dtype();
  if (out.defined()) plan.out = static_cast<char*>(out.raw_data());
  if (indices.defined()) plan.indices = static_cast<char*>(indices.raw_data());
  const int64_t in_size = x.element_size();
  const int64_t out_size = shaped.element_size();
  plan.num_outputs = 1;
  plan.reduce_size = 1;
  int64_t* kept_strides[3] = {plan.out_in_strides, plan.out_strides,
                              plan.index_strides};
  int64_t* red_strides[1] = {plan.red_strides};
  for (int64_t d = x.dim() - 1; d >= 0; --d) {
    const int64_t size = x.sizes()[d];
    const int64_t in_stride = x.strides()[d] * in_size;
    if (mask[static_cast<size_t>(d)]) {
      plan.reduce_size *= size;
      if (size == 1) continue;
      AppendDim<1>(plan.red_ndim, plan.red_sizes, red_strides, size,
                   {in_stride}, op);
    } else {
      plan.num_outputs *= size;
      if (size == 1) continue;
      const int64_t out_stride = shaped.strides()[d];
      AppendDim<3>(plan.out_ndim, plan.out_sizes, kept_strides, size,
                   {in_stride, out_stride * out_size, out_stride * 8}, op);
    }
  }
  // Kernels may rely on at least one dim in each group.
  if (plan.red_ndim == 0) {
    plan.red_ndim = 1;
    plan.red_sizes[0] = 1;
    plan.red_strides[0] = in_size;
  }
  if (plan.out_ndim == 0) {
    plan.out_ndim = 1;
    plan.out_sizes[0] = 1;
    plan.out_in_strides[0] = in_size;
    plan.out_strides[0] = out_size;
    plan.index_strides[0] = 8;
  }
  return plan;
}

struct ReduceRequest {
  const Op* op;
  std::vector<bool> mask;
  bool keepdim = false;
  DType out_dtype = DType::kFloat32;
  bool values = true;    // allocate and fill the values output
  bool indices = false;  // allocate and fill an int64 indices output
  double args[2] = {0, 0};
};

// Runs `req.op`'s kernel for input `x` (already in the kernel's dtype) and
// returns {values, indices} in the requested shape.
ValuesIndices RunReduce(const Tensor& x, const ReduceRequest& req) {
  const Shape kept = KeptShape(x, req.mask);
  const Device& device = x.device();
  Tensor out, indices;
  if (req.values) out = empty(kept, req.out_dtype, device);
  if (req.indices) indices = empty(kept, DType::kInt64, device);
  ReducePlan plan =
      MakeReducePlan(req.op->name().c_str(), x, req.mask, out, indices);
  plan.args[0] = req.args[0];
  plan.args[1] = req.args[1];
  if (plan.num_outputs > 0) {
    req.op->Get<ReduceKernel>(device.type, x.dtype())(plan);
  }
  if (!req.keepdim) {
    const Shape squeezed = SqueezedShape(x, req.mask);
    if (out.defined()) out = out.view(squeezed);
    if (indices.defined()) indices = indices.view(squeezed);
  }
  return {out, indices};
}

// Result dtype of sum/prod/cumsum without an explicit dtype.
DType SumDType(DType in) {
  return IsIntegral(in, /*include_bool=*/true) ? DType::kInt64 : in;
}

// sum/prod/cumsum kernels read `x` converted to `dtype` (if given) and write
// SumDType of that; the result is converted to the requested dtype after.
Tensor SumLike(const Op& op, const Tensor& x, std::vector<bool> mask,
               bool keepdim, std::optional<DType> dtype) {
  const Tensor in = dtype ? x.to(*dtype) : x;
  ReduceRequest req{&op, std::move(mask), keepdim, SumDType(in.dtype())};
  Tensor out = RunReduce(in, req).values;
  return dtype ? out.to(*dtype) : out;
}

void CheckFloating(const char* op, DType dtype, const char* message) {
  TCH_CHECK(IsFloatingPoint(dtype), op, message, dtype);
}

// max/min/argmax/argmin over reduced dims that must not be empty.
void CheckNonEmptyDims(const char* op, const Tensor& x,
                       const std::vector<bool>& mask) {
  for (int64_t d = 0; d < x.dim(); ++d) {
    TCH_CHECK_T(IndexError, !mask[static_cast<size_t>(d)] || x.sizes()[d] != 0,
                op, "(): Expected reduction dim ", d,
                " to have non-zero size.");
  }
}

void CheckNotEmpty(const char* op, const Tensor& x) {
  TCH_CHECK(x.numel() > 0, op,
            "(): Expected reduction dim to be specified for input.numel() == "
            "0. Specify the reduction dim with the 'dim' argument.");
}

}  // namespace

// --- Sums and products
// ----------------------------------------------------------

Tensor sum(const Tensor& x, std::optional<DType> dtype) {
  return sum(x, {}, false, dtype);
}

Tensor sum(const Tensor& x, IntList dims, bool keepdim,
           std::optional<DType> dtype) {
  return SumLike(kSumOp, x, ReduceMask("sum", x, dims), keepdim, dtype);
}

Tensor mean(const Tensor& x, std::optional<DType> dtype) {
  return mean(x, {}, false, dtype);
}

Tensor mean(const Tensor& x, IntList dims, bool keepdim,
            std::optional<DType> dtype) {
  const DType type = dtype.value_or(x.dtype());
  CheckFloating("mean", type,
                "(): could not infer output dtype. Input dtype must be either "
                "a floating point or complex dtype. Got: ");
  const Tensor in = x.to(type);
  ReduceRequest req{&kMeanOp, ReduceMask("mean", x, dims), keepdim, type};
  return RunReduce(in, req).values;
}

Tensor prod(const Tensor& x, std::optional<DType> dtype) {
  return SumLike(kProdOp, x, ReduceMask("prod", x, {}), false, dtype);
}

Tensor prod(const Tensor& x, int64_t dim, bool keepdim,
            std::optional<DType> dtype) {
  return SumLike(kProdOp, x, DimMask("prod", x, dim), keepdim, dtype);
}

Tensor cumsum(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  const int64_t d = WrapReduceDim("cumsum", dim, x.dim());
  const Tensor in = dtype ? x.to(*dtype) : x;
  Tensor out = empty(in.sizes(), SumDType(in.dtype()), in.device());
  if (in.numel() > 0) {
    ScanPlan plan;
    plan.in = static_cast<const char*>(in.raw_data());
    plan.out = static_cast<char*>(out.raw_data());
    plan.in_dtype = in.dtype();
    plan.out_dtype = out.dtype();
    const int64_t in_size = in.element_size(), out_size = out.element_size();
    plan.scan_size = in.dim() == 0 ? 1 : in.sizes()[d];
    plan.scan_in_stride = in.dim() == 0 ? 0 : in.strides()[d] * in_size;
    plan.scan_out_stride = in.dim() == 0 ? 0 : out.strides()[d] * out_size;
    plan.num_lines = 1;
    int64_t* strides[2] = {plan.outer_in_strides, plan.outer_out_strides};
    for (int64_t k = in.dim() - 1; k >= 0; --k) {
      const int64_t size = in.sizes()[k];
      if (k == d || size == 1) continue;
      plan.num_lines *= size;
      AppendDim<2>(plan.outer_ndim, plan.outer_sizes, strides, size,
                   {in.strides()[k] * in_size, out.strides()[k] * out_size},
                   "cumsum");
    }
    if (plan.outer_ndim == 0) {
      plan.outer_ndim = 1;
      plan.outer_sizes[0] = 1;
      plan.outer_in_strides[0] = in_size;
      plan.outer_out_strides[0] = out_size;
    }
    kCumsumOp.Get<ScanKernel>(in.device().type, in.dtype())(plan);
  }
  return dtype ? out.to(*dtype) : out;
}

// --- Extremes
// -------------------------------------------------------------------

namespace {

Tensor FullExtreme(const char* name, const Op& op, const Tensor& x) {
  CheckNotEmpty(name, x);
  ReduceRequest req{&op, ReduceMask(name, x, {}), false, x.dtype()};
  return RunReduce(x, req).values;
}

ValuesIndices DimExtreme(const char* name, const Op& op, const Tensor& x,
                         int64_t dim, bool keepdim) {
  std::vector<bool> mask = DimMask(name, x, dim);
  CheckNonEmptyDims(name, x, mask);
  ReduceRequest req{&op, std::move(mask), keepdim, x.dtype()};
  req.indices = true;
  return RunReduce(x, req);
}

Tensor ArgExtreme(const char* name, const Op& op, const Tensor& x,
                  std::optional<int64_t> dim, bool keepdim) {
  TCH_CHECK_T(NotImplementedError, x.dtype() != DType::kBool, name,
              "(): not implemented for 'bool'");
  std::vector<bool> mask;
  if (dim) {
    mask = DimMask(name, x, *dim);
    CheckNonEmptyDims(name, x, mask);
  } else {
    TCH_CHECK_T(IndexError, x.numel() > 0, name,
                "(): Expected reduction dim to be specified for input.numel() "
                "== 0.");
    mask = ReduceMask(name, x, {});
  }
  ReduceRequest req{&op, std::move(mask), keepdim, DType::kInt64};
  req.values = false;
  req.indices = true;
  return RunReduce(x, req).indices;
}

Tensor AExtreme(const char* name, const Op& op, const Tensor& x, IntList dims,
                bool keepdim) {
  std::vector<bool> mask = ReduceMask(name, x, dims);
  CheckNonEmptyDims(name, x, mask);
  ReduceRequest req{&op, std::move(mask), keepdim, x.dtype()};
  return RunReduce(x, req).values;
}

}  // namespace

Tensor max(const Tensor& x) { return FullExtreme("max", kAmaxOp, x); }
Tensor min(const Tensor& x) { return FullExtreme("min", kAminOp, x); }

ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim) {
  return DimExtreme("max", kArgmaxOp, x, dim, keepdim);
}
ValuesIndices min(const Tensor& x, int64_t dim, bool keepdim) {
  return DimExtreme("min", kArgminOp, x, dim, keepdim);
}

Tensor amax(const Tensor& x, IntList dims, bool keepdim) {
  return AExtreme("amax", kAmaxOp, x, dims, keepdim);
}
Tensor amin(const Tensor& x, IntList dims, bool keepdim) {
  return AExtreme("amin", kAminOp, x, dims, keepdim);
}

Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return ArgExtreme("argmax", kArgmaxOp, x, dim, keepdim);
}
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return ArgExtreme("argmin", kArgminOp, x, dim, keepdim);
}

// --- Statistics
// -----------------------------------------------------------------

namespace {

Tensor VarStd(const Op& op, const Tensor& x, IntList dims, int64_t correction,
              bool keepdim) {
  TCH_CHECK(IsFloatingPoint(x.dtype()), op.name(),
            ": std and var only support floating point and complex dtypes, "
            "got ",
            x.dtype());
  ReduceRequest req{&op, ReduceMask(op.name().c_str(), x, dims), keepdim,
                    x.dtype()};
  req.args[0] = static_cast<double>(correction);
  return RunReduce(x, req).values;
}

}  // namespace

Tensor var(const Tensor& x, IntList dims, int64_t correction, bool keepdim) {
  return VarStd(kVarOp, x, dims, correction, keepdim);
}

Tensor std(const Tensor& x, IntList dims, int64_t correction, bool keepdim) {
  return VarStd(kStdOp, x, dims, correction, keepdim);
}

Tensor logsumexp(const Tensor& x, IntList dims, bool keepdim) {
  const Tensor in = IsFloatingPoint(x.dtype()) ? x : x.to(DType::kFloat32);
  ReduceRequest req{&kLogsumexpOp, ReduceMask("logsumexp", x, dims), keepdim,
                    in.dtype()};
  return RunReduce(in, req).values;
}

Tensor norm(const Tensor& x, double p, IntList dims, bool keepdim,
            std::optional<DType> dtype) {
  const Tensor in = dtype ? x.to(*dtype) : x;
  CheckFloating("norm", in.dtype(),
                "(): input dtype should be either floating point or complex. "
                "Got ");
  ReduceRequest req{&kNormOp, ReduceMask("norm", x, dims), keepdim, in.dtype()};
  req.args[0] = p;
  return RunReduce(in, req).values;
}

// --- Logical
// --------------------------------------------------------------------

namespace {

Tensor Logical(const Op& op, const Tensor& x, std::vector<bool> mask,
               bool keepdim) {
  const DType out = x.dtype() == DType::kUInt8 ? DType::kUInt8 : DType::kBool;
  ReduceRequest req{&op, std::move(mask), keepdim, out};
  return RunReduce(x, req).values;
}

}  // namespace

Tensor all(const Tensor& x) {
  return Logical(kAllOp, x, ReduceMask("all", x, {}), false);
}
Tensor all(const Tensor& x, int64_t dim, bool keepdim) {
  return Logical(kAllOp, x, DimMask("all", x, dim), keepdim);
}
Tensor any(const Tensor& x) {
  return Logical(kAnyOp, x, ReduceMask("any", x, {}), false);
}
Tensor any(const Tensor& x, int64_t dim, bool keepdim) {
  return Logical(kAnyOp, x, DimMask("any", x, dim), keepdim);
}

}  // namespace tch
