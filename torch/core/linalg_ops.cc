#include "torch/core/linalg_ops.h"

#include <algorithm>
#include <string>

#include "torch/core/dispatch.h"
#include "torch/core/elementwise.h"
#include "torch/core/ops.h"

namespace tch {
namespace {

const Op kGemmOp("gemm");

// PyTorch's legacy scalar type names, used in its dtype error messages.
const char* ScalarTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "Float";
    case DType::kFloat64:
      return "Double";
    case DType::kFloat16:
      return "Half";
    case DType::kBFloat16:
      return "BFloat16";
    case DType::kInt64:
      return "Long";
    case DType::kInt32:
      return "Int";
    case DType::kUInt8:
      return "Byte";
    case DType::kBool:
      return "Bool";
  }
  return "?";
}

// "2x3" for the sizes of a matrix (or of any tensor).
std::string SizesX(IntList sizes) {
  std::string s;
  for (size_t i = 0; i < sizes.size(); ++i) {
    s += (i ? "x" : "") + std::to_string(sizes[i]);
  }
  return s;
}

void CheckDevices(const char* op, const Tensor& a, const Tensor& b) {
  TCH_CHECK(a.device() == b.device(), op,
            ": expected all tensors to be on the same device, but found at "
            "least two devices, ",
            a.device(), " and ", b.device());
}

void CheckDTypes(const char* op, const Tensor& a, const Tensor& b) {
  TCH_CHECK(a.dtype() == b.dtype(), op, ": expected scalar type ",
            ScalarTypeName(a.dtype()), " but found ", ScalarTypeName(b.dtype()),
            " (operands have dtypes ", a.dtype(), " and ", b.dtype(), ")");
}

void CheckSupported(const char* op, const Tensor& t) {
  TCH_CHECK_T(
      NotImplementedError,
      t.dtype() != DType::kBool && kGemmOp.Has(t.device().type, t.dtype()),
      "\"", op, "\" not implemented for '", ScalarTypeName(t.dtype()), "' (",
      t.dtype(), " on ", t.device(), ")");
}

bool IsZero(const Scalar& s, DType dtype) {
  return IsFloatingPoint(dtype) ? s.to<double>() == 0.0 : s.to<int64_t>() == 0;
}

// Merges and records the batch dims (all but the last two) of a, b, out and
// the optional initial value s, which share the batch shape. Returns false
// when more than kMaxGemmBatchDims dims remain after merging.
bool FillBatchDims(const Tensor& a, const Tensor& b, const Tensor& out,
                   const Tensor* s, GemmPlan* plan) {
  const int64_t nb = out.dim() - 2;
  constexpr int kOps = 4;  // a, b, out, s
  const Tensor* ops[kOps] = {&a, &b, &out, s};
  int merged = 0;
  // Walk from the innermost batch dim outwards; stored outermost first.
  int64_t sizes[64], strides[kOps][64];
  for (int64_t d = nb - 1; d >= 0; --d) {
    const int64_t size = out.size(d);
    if (size == 1) continue;
    int64_t st[kOps];
    for (int o = 0; o < kOps; ++o) st[o] = ops[o] ? ops[o]->stride(d) : 0;
    if (merged > 0) {
      bool can_merge = true;
      for (int o = 0; o < kOps; ++o) {
        can_merge =
            can_merge && st[o] == strides[o][merged - 1] * sizes[merged - 1];
      }
      if (can_merge) {
        sizes[merged - 1] *= size;
        continue;
      }
    }
    if (merged == 64) return false;
    sizes[merged] = size;
    for (int o = 0; o < kOps; ++o) strides[o][merged] = st[o];
    ++merged;
  }
  if (merged > kMaxGemmBatchDims) return false;
  plan->batch_ndim = merged;
  for (int i = 0; i < merged; ++i) {  // outermost first
    const int src = merged - 1 - i;
    plan->batch_sizes[i] = sizes[src];
    plan->a_batch_strides[i] = strides[0][src];
    plan->b_batch_strides[i] = strides[1][src];
    plan->c_batch_strides[i] = strides[2][src];
    plan->s_batch_strides[i] = strides[3][src];
  }
  return true;
}

// A batch whose B is shared (stride 0) and whose A, C (and S) matrices
// follow each other row after row is one tall product: fold the batch into
// m, as PyTorch folds [b, t, d] @ [d, e] into one mm.
void FoldBatchIntoRows(GemmPlan* plan) {
  if (plan->batch_ndim != 1 || plan->b_batch_strides[0] != 0) return;
  const int64_t sa = plan->a_batch_strides[0];
  const int64_t sc = plan->c_batch_strides[0];
  const int64_t ss = plan->s_batch_strides[0];
  if (plan->m == 1) {
    if (sc < plan->n) return;
    plan->a_rs = sa;
    plan->c_rs = sc;
    plan->s_rs = ss;
  } else if (sa != plan->a_rs * plan->m || sc != plan->c_rs * plan->m ||
             ss != plan->s_rs * plan->m) {
    return;
  }
  plan->m *= plan->batch_sizes[0];
  plan->batch_ndim = 0;
}

// out[..., m, n] = beta * init + alpha * a[..., m, k] @ b[..., k, n], where
// a, b, out (and init, if given) have the same batch dims and out is
// contiguous. init == nullptr means out itself; with beta == 0 neither is
// read.
void RunGemm(const Tensor& a_in, const Tensor& b_in, const Tensor& out,
             const Scalar& beta, const Scalar& alpha,
             const Tensor* init = nullptr) {
  if (out.numel() == 0) return;
  Tensor a = a_in, b = b_in;
  Tensor s = init != nullptr ? *init : Tensor();
  GemmPlan plan;
  plan.dtype = out.dtype();
  plan.m = out.size(-2);
  plan.n = out.size(-1);
  plan.k = a.size(-1);
  if (!FillBatchDims(a, b, out, s.defined() ? &s : nullptr, &plan)) {
    a = a.contiguous();
    b = b.contiguous();
    if (s.defined()) s = s.contiguous();
    TCH_INTERNAL_ASSERT(
        FillBatchDims(a, b, out, s.defined() ? &s : nullptr, &plan),
        "batch dims");
  }
  plan.a = a.raw_data();
  plan.a_rs = a.stride(-2);
  plan.a_cs = a.stride(-1);
  plan.b = b.raw_data();
  plan.b_rs = b.stride(-2);
  plan.b_cs = b.stride(-1);
  plan.c = out.raw_data();
  plan.c_rs = out.stride(-2);
  if (s.defined()) {
    plan.s = s.raw_data();
    plan.s_rs = s.stride(-2);
    plan.s_cs = s.stride(-1);
  }
  plan.alpha = alpha;
  plan.beta = beta;
  FoldBatchIntoRows(&plan);
  kGemmOp.Get<GemmKernel>(out.device().type, out.dtype())(plan);
}

// out = beta * self (broadcast to out's shape) + alpha * a @ b.
Tensor AddProduct(const char* op, const Tensor& self, const Tensor& a,
                  const Tensor& b, const Tensor& out, const Scalar& beta,
                  const Scalar& alpha) {
  if (IsZero(beta, out.dtype())) {
    RunGemm(a, b, out, 0, alpha);
    return out;
  }
  Tensor expanded;
  try {
    expanded = self.expand(out.sizes());
  } catch (const ValueError& e) {
    throw ValueError(
        detail::StrCat(op, ": 'self' of shape ", ShapeToString(self.sizes()),
                       " does not broadcast to the product's shape ",
                       ShapeToString(out.sizes()), ": ", e.what()));
  }
  RunGemm(a, b, out, beta, alpha, &expanded);
  return out;
}

void CheckMatrix(const char* op, const char* name, const Tensor& t) {
  TCH_CHECK(t.dim() == 2, op, ": ", name, " must be a matrix, got ", t.dim(),
            "-D tensor of shape ", ShapeToString(t.sizes()));
}

void CheckMmShapes(const char* op, const Tensor& mat1, const Tensor& mat2) {
  TCH_CHECK(mat1.size(1) == mat2.size(0), op,
            ": mat1 and mat2 shapes cannot be multiplied (",
            SizesX(mat1.sizes()), " and ", SizesX(mat2.sizes()), ")");
}

void CheckBatch3D(const char* op, const Tensor& batch1, const Tensor& batch2) {
  TCH_CHECK(batch1.dim() == 3, op, ": batch1 must be a 3D tensor, got ",
            batch1.dim(), "-D tensor of shape ", ShapeToString(batch1.sizes()));
  TCH_CHECK(batch2.dim() == 3, op, ": batch2 must be a 3D tensor, got ",
            batch2.dim(), "-D tensor of shape ", ShapeToString(batch2.sizes()));
  TCH_CHECK(
      batch2.size(0) == batch1.size(0) && batch2.size(1) == batch1.size(2), op,
      ": Expected size for first two dimensions of batch2 tensor to be: [",
      batch1.size(0), ", ", batch1.size(2), "] but got: [", batch2.size(0),
      ", ", batch2.size(1), "]. (batch1 ", ShapeToString(batch1.sizes()),
      ", batch2 ", ShapeToString(batch2.sizes()), ")");
}

void CheckOperands(const char* op, const Tensor& a, const Tensor& b) {
  CheckDevices(op, a, b);
  CheckDTypes(op, a, b);
  CheckSupported(op, a);
}

void CheckSelf(const char* op, const Tensor& self, const Tensor& mat) {
  CheckDevices(op, self, mat);
  TCH_CHECK(self.dtype() == mat.dtype(), op,
            ": self and mat2 must have the same dtype, got ", self.dtype(),
            " and ", mat.dtype());
}

}  // namespace

Tensor mm(const Tensor& mat1, const Tensor& mat2) {
  CheckMatrix("mm", "self", mat1);
  CheckMatrix("mm", "mat2", mat2);
  CheckOperands("mm", mat1, mat2);
  CheckMmShapes("mm", mat1, mat2);
  Tensor out = empty({mat1.size(0), mat2.size(1)}, mat1.dtype(), mat1.device());
  RunGemm(mat1, mat2, out, 0, 1);
  return out;
}

Tensor addmm(const Tensor& self, const Tensor& mat1, const Tensor& mat2,
             const Scalar& beta, const Scalar& alpha) {
  CheckMatrix("addmm", "mat1", mat1);
  CheckMatrix("addmm", "mat2", mat2);
  CheckOperands("addmm", mat1, mat2);
  CheckSelf("addmm", self, mat2);
  CheckMmShapes("addmm", mat1, mat2);
  Tensor out = empty({mat1.size(0), mat2.size(1)}, mat1.dtype(), mat1.device());
  return AddProduct("addmm", self, mat1, mat2, out, beta, alpha);
}

Tensor bmm(const Tensor& batch1, const Tensor& batch2) {
  CheckBatch3D("bmm", batch1, batch2);
  CheckOperands("bmm", batch1, batch2);
  Tensor out = empty({batch1.size(0), batch1.size(1), batch2.size(2)},
                     batch1.dtype(), batch1.device());
  RunGemm(batch1, batch2, out, 0, 1);
  return out;
}

Tensor baddbmm(const Tensor& self, const Tensor& batch1, const Tensor& batch2,
               const Scalar& beta, const Scalar& alpha) {
  CheckBatch3D("baddbmm", batch1, batch2);
  CheckOperands("baddbmm", batch1, batch2);
  CheckSelf("baddbmm", self, batch2);
  Tensor out = empty({batch1.size(0), batch1.size(1), batch2.size(2)},
                     batch1.dtype(), batch1.device());
  return AddProduct("baddbmm", self, batch1, batch2, out, beta, alpha);
}

Tensor dot(const Tensor& a, const Tensor& b) {
  TCH_CHECK(a.dim() == 1 && b.dim() == 1, "dot: 1D tensors expected, but got ",
            a.dim(), "D and ", b.dim(), "D tensors");
  CheckDevices("dot", a, b);
  TCH_CHECK(a.dtype() == b.dtype(),
            "dot : expected both vectors to have same dtype, but found ",
            ScalarTypeName(a.dtype()), " and ", ScalarTypeName(b.dtype()));
  CheckSupported("dot", a);
  TCH_CHECK(a.size(0) == b.size(0),
            "dot: inconsistent tensor size, expected tensor [", a.size(0),
            "] and src [", b.size(0),
            "] to have the same number of elements, but got ", a.size(0),
            " and ", b.size(0), " elements respectively");
  Tensor out = empty({}, a.dtype(), a.device());
  RunGemm(a.unsqueeze(0), b.unsqueeze(1), out.view({1, 1}), 0, 1);
  return out;
}

Tensor outer(const Tensor& a, const Tensor& b) {
  TCH_CHECK(a.dim() == 1, "outer: Expected 1-D argument self, but got ",
            a.dim(), "-D");
  TCH_CHECK(b.dim() == 1, "outer: Expected 1-D argument vec2, but got ",
            b.dim(), "-D");
  return mul(a.unsqueeze(1), b);
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  const int64_t da = a.dim(), db = b.dim();
  TCH_CHECK(da > 0 && db > 0,
            "matmul: both arguments to matmul need to be at least 1D, but they "
            "are ",
            da, "D and ", db, "D");
  if (da == 1 && db == 1) return dot(a, b);
  if (da == 2 && db == 2) return mm(a, b);
  if (da == 1 && db == 2) {
    CheckOperands("matmul", a, b);
    return mm(a.unsqueeze(0), b).squeeze(0);
  }
  CheckOperands("matmul", a, b);
  if (da == 2 && db == 1) {
    TCH_CHECK(a.size(1) == b.size(0), "matmul: size mismatch, got input (",
              a.size(0), "), mat (", SizesX(a.sizes()), "), vec (", b.size(0),
              ")");
    Tensor out = empty({a.size(0)}, a.dtype(), a.device());
    RunGemm(a, b.unsqueeze(1), out.unsqueeze(1), 0, 1);
    return out;
  }
  // Batched: 1-D operands become a row (a) or a column (b) matrix.
  const Tensor a2 = da == 1 ? a.unsqueeze(0) : a;
  const Tensor b2 = db == 1 ? b.unsqueeze(1) : b;
  const int64_t n = a2.size(-2), k = a2.size(-1), p = b2.size(-1);
  TCH_CHECK(k == b2.size(-2),
            "matmul: mat1 and mat2 shapes cannot be multiplied (", n, "x", k,
            " and ", b2.size(-2), "x", p, "); operands have shapes ",
            ShapeToString(a.sizes()), " and ", ShapeToString(b.sizes()));
  const IntList a_batch(
      std::span<const int64_t>(a2.sizes().data(), a2.sizes().size() - 2));
  const IntList b_batch(
      std::span<const int64_t>(b2.sizes().data(), b2.sizes().size() - 2));
  Shape shape = BroadcastShapes("matmul", {a_batch, b_batch});
  const size_t nb = shape.size();
  shape.push_back(n);
  shape.push_back(k);
  const Tensor ae = a2.expand(shape);
  shape[nb] = k;
  shape[nb + 1] = p;
  const Tensor be = b2.expand(shape);
  shape[nb] = n;
  Tensor out = empty(shape, a.dtype(), a.device());
  RunGemm(ae, be, out, 0, 1);
  if (da == 1) out = out.squeeze(-2);
  if (db == 1) out = out.squeeze(-1);
  return out;
}

}  // namespace tch
