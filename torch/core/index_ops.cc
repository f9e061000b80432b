#include "torch/core/index_ops.h"

#include <algorithm>
#include <numeric>

#include "torch/core/dispatch.h"
#include "torch/core/ops.h"
#include "torch/core/parallel.h"

namespace tch {
namespace {

const Op kGatherOp("gather");
const Op kScatterOp("scatter");
const Op kMaskedFillOp("masked_fill");
const Op kMaskedSelectOp("masked_select");
const Op kOneHotOp("one_hot");
const Op kCatOp("cat");
const Op kRepeatOp("repeat");
const Op kTriOp("tril_triu");
const Op kFlipOp("flip");
const Op kPadOp("constant_pad");
const Op kTopkOp("topk");
const Op kSortOp("sort");

// PyTorch's ensure_nonempty_dim/size: a 0-D tensor acts as 1-D of size 1.
int64_t NonEmptyDim(const Tensor& t) { return std::max<int64_t>(t.dim(), 1); }
int64_t NonEmptySize(const Tensor& t, int64_t d) {
  return t.dim() == 0 ? 1 : t.sizes()[d];
}
Tensor AtLeast1D(const Tensor& t) {
  return t.dim() == 0 ? t.as_strided({1}, {1}, t.storage_offset()) : t;
}

void CheckDevice(const char* op, const Tensor& a, const Tensor& b,
                 const char* what) {
  TCH_CHECK(a.device() == b.device(), op, "(): expected ", what,
            " to be on the same device as self (", a.device(), "), but got ",
            b.device());
}

void CheckDims(int64_t ndim, const char* op) {
  TCH_CHECK(ndim <= kMaxIndexDims, op, "(): tensors with more than ",
            kMaxIndexDims, " dims are not supported, got ", ndim);
}

// The first element of a non-empty integer tensor, for error messages.
int64_t FirstIndex(const Tensor& index) {
  return AtLeast1D(index).flatten().slice(0, 0, 1).item<int64_t>();
}

[[noreturn]] void ThrowOutOfBounds(const char* op, int64_t value, int64_t dim,
                                   int64_t size) {
  throw IndexError(detail::StrCat(op, "(): index ", value,
                                  " is out of bounds for dimension ", dim,
                                  " with size ", size));
}

std::string DimsToString(const Tensor& t) { return ShapeToString(t.sizes()); }

// In-place ops refuse inputs that share memory with the tensor they write
// (PyTorch's assert_no_overlap); like PyTorch, only dense layouts are
// compared, other layouts are let through.
void CheckNoOverlap(const char* op, const Tensor& self, const Tensor& other,
                    const char* what) {
  if (!self.storage().SameAs(other.storage()) || self.numel() == 0 ||
      other.numel() == 0 || !self.is_contiguous() || !other.is_contiguous()) {
    return;
  }
  const int64_t a0 = self.storage_offset() * self.element_size();
  const int64_t a1 = a0 + static_cast<int64_t>(self.nbytes());
  const int64_t b0 = other.storage_offset() * other.element_size();
  const int64_t b1 = b0 + static_cast<int64_t>(other.nbytes());
  TCH_CHECK(a1 <= b0 || b1 <= a0, op,
            "_(): unsupported operation: some "
            "elements of ",
            what,
            " and the written-to tensor refer to a "
            "single memory location; clone() the tensor first");
}

// In-place ops cannot write a tensor whose elements alias each other (an
// expanded tensor), as in PyTorch's assert_no_internal_overlap.
void CheckWritable(const char* op, const Tensor& self) {
  for (int64_t d = 0; d < self.dim(); ++d) {
    TCH_CHECK(self.sizes()[d] <= 1 || self.strides()[d] != 0, op,
              "_(): unsupported operation: more than one element of the "
              "written-to tensor refers to a single memory location (shape ",
              DimsToString(self), ", strides ", ShapeToString(self.strides()),
              "); clone() the tensor first");
  }
}

}  // namespace

// --- gather / index_select ---------------------------------------------------

namespace {

// out[p] = self[p with coordinate `dim` replaced by index[p]]; out, self and
// index are at least 1-D and index has out's shape.
void RunGather(const char* op, const Tensor& self, int64_t dim,
               const Tensor& index, const Tensor& out) {
  if (out.numel() == 0) return;
  const Tensor self1 = AtLeast1D(self), out1 = AtLeast1D(out);
  const Tensor index1 = AtLeast1D(index);
  if (self1.sizes()[dim] == 0) ThrowOutOfBounds(op, FirstIndex(index), dim, 0);
  Shape strides = self1.strides();
  strides[dim] = 0;
  const Tensor self_r =
      self1.as_strided(out1.sizes(), strides, self1.storage_offset());
  GatherPlan plan;
  plan.iter = MakeElementwisePlan(out1, {self_r, index1});
  plan.self_dim_stride = self1.strides()[dim] * self1.element_size();
  plan.dim_size = self1.sizes()[dim];
  plan.dim = dim;
  plan.op = op;
  kGatherOp.Get<GatherKernel>(self.device().type, self.dtype())(plan);
}

void CheckIndexVector(const char* op, const Tensor& index) {
  TCH_CHECK(index.dim() <= 1, op,
            "(): index is supposed to be a vector, but got a ", index.dim(),
            "-D tensor of shape ", DimsToString(index));
  TCH_CHECK(index.dtype() == DType::kInt64 || index.dtype() == DType::kInt32,
            op, "(): expected dtype int32 or int64 for index, got ",
            index.dtype());
}

}  // namespace

Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index) {
  dim = WrapDim(dim, self.dim());
  CheckDevice("index_select", self, index, "index");
  CheckIndexVector("index_select", index);
  const int64_t n = index.numel();
  Shape sizes = self.sizes();
  if (self.dim() == 0) {
    TCH_CHECK(n == 1,
              "index_select(): a 0-D self needs exactly one index, "
              "got ",
              n);
  } else {
    sizes[dim] = n;
  }
  Tensor out = empty(sizes, self.dtype(), self.device());
  if (out.numel() == 0) return out;
  // The index, broadcast to out's shape: stride 0 outside `dim`.
  const Tensor out1 = AtLeast1D(out);
  Shape index_strides(out1.dim(), 0);
  index_strides[dim] = index.dim() == 0 ? 1 : index.strides()[0];
  const Tensor index_b =
      index.as_strided(out1.sizes(), index_strides, index.storage_offset());
  RunGather("index_select", self, dim, index_b, out1);
  return out;
}

Tensor gather(const Tensor& self, int64_t dim, const Tensor& index) {
  dim = WrapDim(dim, self.dim());
  CheckDevice("gather", self, index, "index");
  Tensor out = empty(index.sizes(), self.dtype(), self.device());
  if (index.numel() == 0) return out;
  TCH_CHECK(index.dtype() == DType::kInt64,
            "gather(): expected dtype int64 for index, got ", index.dtype());
  TCH_CHECK(NonEmptyDim(self) == NonEmptyDim(index),
            "gather(): index tensor must have the same number of dimensions "
            "as input tensor, got ",
            index.dim(), " and ", self.dim());
  CheckDims(NonEmptyDim(self), "gather");
  for (int64_t d = 0; d < NonEmptyDim(self); ++d) {
    TCH_CHECK(d == dim || NonEmptySize(index, d) <= NonEmptySize(self, d),
              "gather(): size does not match at dimension ", d,
              ": expected index ", DimsToString(index),
              " to be smaller than self ", DimsToString(self),
              " apart from dimension ", dim);
  }
  RunGather("gather", self, dim, index, out);
  return out;
}

// --- scatter / scatter_add / index_add ---------------------------------------

namespace {

void CheckScatterShapes(const char* op, const Tensor& self, int64_t dim,
                        const Tensor& index, const Tensor* src) {
  const int64_t ndim = NonEmptyDim(self);
  TCH_CHECK(ndim == NonEmptyDim(index), op,
            "(): index tensor must have the same number of dimensions as "
            "self tensor, got ",
            index.dim(), " and ", self.dim());
  if (src != nullptr) {
    TCH_CHECK(NonEmptyDim(*src) == NonEmptyDim(index), op,
              "(): index tensor must have the same number of dimensions as "
              "src tensor, got ",
              index.dim(), " and ", src->dim());
  }
  CheckDims(ndim, op);
  for (int64_t d = 0; d < ndim; ++d) {
    const int64_t n = NonEmptySize(index, d);
    const bool ok = (d == dim || n <= NonEmptySize(self, d)) &&
                    (src == nullptr || n <= NonEmptySize(*src, d));
    TCH_CHECK(ok, op, "(): expected index ", DimsToString(index),
              " to be smaller than self ", DimsToString(self),
              " apart from dimension ", dim,
              src ? " and to be smaller than src " : "",
              src ? DimsToString(*src) : "");
  }
}

// Runs the scatter kernel with `iter_source` giving the iteration shape
// (index for scatter*, source for index_add); `index1` and `src1` must be
// indexable over that shape, with their step along `dim` given explicitly.
void RunScatter(ScatterPlan& plan, const Tensor& self, int64_t dim,
                const Tensor& iter_shape_of, const Tensor& index1,
                int64_t index_dim_stride, const Tensor* src1) {
  const Tensor self1 = AtLeast1D(self);
  if (self1.sizes()[dim] == 0) {
    ThrowOutOfBounds(plan.op, FirstIndex(index1), dim, 0);
  }
  Shape sizes = AtLeast1D(iter_shape_of).sizes();
  plan.dim_len = sizes[dim];
  sizes[dim] = 1;
  const Tensor self_r =
      self1.as_strided(sizes, self1.strides(), self1.storage_offset());
  const Tensor index_r =
      index1.as_strided(sizes, index1.strides(), index1.storage_offset());
  const Tensor src_r =
      src1 ? src1->as_strided(sizes, src1->strides(), src1->storage_offset())
           : index_r;
  plan.iter = MakeElementwisePlan(self_r, {index_r, src_r});
  plan.dim_strides[1] = index_dim_stride * index1.element_size();
  plan.dim_strides[2] = src1 ? src1->strides()[dim] * src1->element_size() : 0;
  plan.self_dim_stride = self1.strides()[dim] * self1.element_size();
  plan.dim_size = self1.sizes()[dim];
  plan.dim = dim;
  plan.has_src = src1 != nullptr;
  kScatterOp.Get<ScatterKernel>(self.device().type, self.dtype())(plan);
}

const Tensor& ScatterImpl(const char* op, ScatterMode mode, const Tensor& self,
                          int64_t dim, const Tensor& index, const Tensor* src,
                          const Scalar& value) {
  dim = WrapDim(dim, self.dim());
  CheckWritable(op, self);
  CheckDevice(op, self, index, "index");
  if (src != nullptr) {
    CheckDevice(op, self, *src, "src");
    TCH_CHECK(src->dtype() == self.dtype(), op,
              "(): expected self.dtype to be equal to src.dtype, got ",
              self.dtype(), " and ", src->dtype());
  }
  if (index.numel() == 0) return self;
  CheckNoOverlap(op, self, index, "index");
  if (src != nullptr) CheckNoOverlap(op, self, *src, "src");
  TCH_CHECK(index.dtype() == DType::kInt64, op,
            "(): expected dtype int64 for index, got ", index.dtype());
  CheckScatterShapes(op, self, dim, index, src);
  ScatterPlan plan;
  plan.mode = mode;
  plan.value = value;
  plan.alpha = 1;
  plan.op = op;
  const Tensor index1 = AtLeast1D(index);
  const Tensor src1 = src ? AtLeast1D(*src) : Tensor();
  RunScatter(plan, self, dim, index1, index1, index1.strides()[dim],
             src ? &src1 : nullptr);
  self.storage().BumpVersion();
  return self;
}

}  // namespace

const Tensor& scatter_(const Tensor& self, int64_t dim, const Tensor& index,
                       const Tensor& src) {
  return ScatterImpl("scatter", ScatterMode::kAssign, self, dim, index, &src,
                     0);
}
const Tensor& scatter_(const Tensor& self, int64_t dim, const Tensor& index,
                       const Scalar& value) {
  return ScatterImpl("scatter", ScatterMode::kAssign, self, dim, index, nullptr,
                     value);
}
const Tensor& scatter_add_(const Tensor& self, int64_t dim, const Tensor& index,
                           const Tensor& src) {
  return ScatterImpl("scatter_add", ScatterMode::kAdd, self, dim, index, &src,
                     0);
}
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index,
               const Tensor& src) {
  Tensor out = self.clone();
  scatter_(out, dim, index, src);
  return out;
}
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index,
               const Scalar& value) {
  Tensor out = self.clone();
  scatter_(out, dim, index, value);
  return out;
}
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index,
                   const Tensor& src) {
  Tensor out = self.clone();
  scatter_add_(out, dim, index, src);
  return out;
}

const Tensor& index_add_(const Tensor& self, int64_t dim, const Tensor& index,
                         const Tensor& source, const Scalar& alpha) {
  dim = WrapDim(dim, self.dim());
  CheckWritable("index_add", self);
  CheckDevice("index_add", self, index, "index");
  CheckDevice("index_add", self, source, "source");
  CheckIndexVector("index_add", index);
  TCH_CHECK(self.dtype() == source.dtype(), "index_add(): self (", self.dtype(),
            ") and source (", source.dtype(), ") must have the same dtype");
  TCH_CHECK(!IsIntegral(self.dtype(), true) || !alpha.is_floating_point(),
            "index_add(): for integral input tensors, argument alpha must not "
            "be a floating point number");
  const int64_t n = index.numel();
  TCH_CHECK(n == NonEmptySize(source, dim) || (source.dim() == 0 && n == 1),
            "index_add(): number of indices (", n,
            ") should be equal to source.size(dim) (",
            source.dim() == 0 ? 1 : source.sizes()[dim], "), for dim ", dim);
  bool same = NonEmptyDim(self) == NonEmptyDim(source);
  for (int64_t d = 0; same && d < NonEmptyDim(self); ++d) {
    same = d == dim || NonEmptySize(self, d) == NonEmptySize(source, d);
  }
  TCH_CHECK(same, "index_add(): source of shape ", DimsToString(source),
            " must match self's shape ", DimsToString(self),
            " except in dimension ", dim);
  CheckDims(NonEmptyDim(self), "index_add");
  if (n == 0 || source.numel() == 0) return self;
  CheckNoOverlap("index_add", self, index, "index");
  CheckNoOverlap("index_add", self, source, "source");
  ScatterPlan plan;
  plan.mode = ScatterMode::kAdd;
  plan.alpha = alpha;
  plan.op = "index_add";
  const Tensor source1 = AtLeast1D(source);
  // The index, broadcast over source's positions outside `dim`.
  const Tensor index_b = index.as_strided(
      Shape(source1.dim(), 1), Shape(source1.dim(), 0), index.storage_offset());
  RunScatter(plan, self, dim, source1, index_b,
             index.dim() == 0 ? 1 : index.strides()[0], &source1);
  self.storage().BumpVersion();
  return self;
}

Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index,
                 const Tensor& source, const Scalar& alpha) {
  Tensor out = self.clone();
  index_add_(out, dim, index, source, alpha);
  return out;
}

// --- masked_fill / masked_select ---------------------------------------------

namespace {

void CheckMask(const char* op, const Tensor& self, const Tensor& mask) {
  CheckDevice(op, self, mask, "mask");
  TCH_CHECK(mask.dtype() == DType::kBool || mask.dtype() == DType::kUInt8, op,
            ": expected a bool (or uint8) mask, got ", mask.dtype());
}

Scalar ValueOf(const char* op, const Tensor& value) {
  TCH_CHECK(value.dim() == 0, op,
            " only supports a 0-dimensional value tensor, but got tensor "
            "with ",
            value.dim(), " dimension(s)");
  return value.item();
}

}  // namespace

const Tensor& masked_fill_(const Tensor& self, const Tensor& mask,
                           const Scalar& value) {
  CheckMask("masked_fill_", self, mask);
  CheckWritable("masked_fill", self);
  const Shape shape =
      BroadcastShapes("masked_fill_", {self.sizes(), mask.sizes()});
  TCH_CHECK(shape == self.sizes(), "masked_fill_: mask of shape ",
            DimsToString(mask), " cannot be broadcast to self's shape ",
            DimsToString(self), " (the broadcast shape is ",
            ShapeToString(shape), ")");
  if (self.numel() > 0) {
    ElementwisePlan plan = MakeElementwisePlan(self, {mask});
    plan.args[0] = value;
    kMaskedFillOp.Get<MaskedFillKernel>(self.device().type, self.dtype())(plan);
  }
  self.storage().BumpVersion();
  return self;
}

const Tensor& masked_fill_(const Tensor& self, const Tensor& mask,
                           const Tensor& value) {
  return masked_fill_(self, mask, ValueOf("masked_fill_", value));
}

Tensor masked_fill(const Tensor& self, const Tensor& mask,
                   const Scalar& value) {
  CheckMask("masked_fill", self, mask);
  const Shape shape =
      BroadcastShapes("masked_fill", {self.sizes(), mask.sizes()});
  Tensor out = empty(shape, self.dtype(), self.device());
  if (out.numel() > 0) {  // one pass: out = mask ? value : self
    ElementwisePlan plan = MakeElementwisePlan(out, {self, mask});
    plan.args[0] = value;
    kMaskedFillOp.Get<MaskedFillKernel>(self.device().type, self.dtype())(plan);
  }
  return out;
}

Tensor masked_fill(const Tensor& self, const Tensor& mask,
                   const Tensor& value) {
  return masked_fill(self, mask, ValueOf("masked_fill", value));
}

Tensor masked_select(const Tensor& self, const Tensor& mask) {
  CheckMask("masked_select", self, mask);
  const Shape shape =
      BroadcastShapes("masked_select", {self.sizes(), mask.sizes()});
  const int64_t numel = NumElements(shape);
  if (numel == 0) return empty({0}, self.dtype(), self.device());
  const ElementwisePlan plan = MakeElementwisePlan(self.expand(shape), {mask});
  constexpr int64_t kChunk = 1 << 16;
  const int64_t num_chunks = (numel + kChunk - 1) / kChunk;
  std::vector<int64_t> counts(num_chunks);
  auto* kernel =
      kMaskedSelectOp.Get<MaskedSelectKernel>(self.device().type, self.dtype());
  kernel(plan, kChunk, num_chunks, counts.data(), nullptr);
  int64_t total = 0;
  for (int64_t& c : counts) {
    const int64_t n = c;
    c = total;
    total += n;
  }
  Tensor out = empty({total}, self.dtype(), self.device());
  if (total > 0)
    kernel(plan, kChunk, num_chunks, counts.data(), out.raw_data());
  return out;
}

// --- one_hot -----------------------------------------------------------------

Tensor one_hot(const Tensor& self, int64_t num_classes) {
  TCH_CHECK(self.dtype() == DType::kInt64,
            "one_hot is only applicable to index tensor (int64), got ",
            self.dtype());
  TCH_CHECK(num_classes >= -1,
            "one_hot: num_classes must be -1 (infer) or "
            "non-negative, got ",
            num_classes);
  const Tensor in = self.contiguous();
  const int64_t n = in.numel();
  auto* kernel = kOneHotOp.Get<OneHotKernel>(self.device().type, DType::kInt64);
  if (n == 0) {
    TCH_CHECK(num_classes != -1,
              "one_hot: can not infer the total number of "
              "classes from an empty tensor");
  } else {
    int64_t min_max[2];
    kernel(in.data_ptr<int64_t>(), n, num_classes, nullptr, min_max);
    TCH_CHECK_T(IndexError, min_max[0] >= 0,
                "one_hot: class values must be non-negative, got ", min_max[0]);
    if (num_classes == -1) num_classes = min_max[1] + 1;
    TCH_CHECK_T(IndexError, min_max[1] < num_classes,
                "one_hot: class values must be smaller than num_classes (",
                num_classes, "), got ", min_max[1]);
  }
  Shape sizes = self.sizes();
  sizes.push_back(num_classes);
  Tensor out = empty(sizes, DType::kInt64, self.device());
  if (out.numel() > 0) {
    kernel(in.data_ptr<int64_t>(), n, num_classes, out.data_ptr<int64_t>(),
           nullptr);
  }
  return out;
}

// --- cat / stack / split / chunk ---------------------------------------------

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  TCH_CHECK(!tensors.empty(), "cat(): expected a non-empty list of Tensors");
  DType dtype = tensors[0].dtype();
  size_t valid = tensors.size();
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    TCH_CHECK(t.dim() > 0, "cat(): zero-dimensional tensor (at position ", i,
              ") cannot be concatenated");
    TCH_CHECK(t.device() == tensors[0].device(),
              "cat(): expected all tensors to be on the same device, but "
              "found ",
              tensors[0].device(), " and ", t.device());
    dtype = PromoteTypes(dtype, t.dtype());
    const bool skip = t.dim() == 1 && t.sizes()[0] == 0;  // legacy rule
    if (!skip && valid == tensors.size()) valid = i;
  }
  const Device device = tensors[0].device();
  if (valid == tensors.size()) return empty({0}, dtype, device);
  const Tensor& ref = tensors[valid];
  dim = WrapDim(dim, ref.dim());
  Shape sizes = ref.sizes();
  sizes[dim] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (t.dim() == 1 && t.sizes()[0] == 0) continue;
    TCH_CHECK(t.dim() == ref.dim(),
              "cat(): tensors must have same number of "
              "dimensions: got ",
              ref.dim(), " and ", t.dim());
    for (int64_t d = 0; d < t.dim(); ++d) {
      TCH_CHECK(d == dim || t.sizes()[d] == ref.sizes()[d],
                "cat(): sizes of tensors must match except in dimension ", dim,
                ". Expected size ", ref.sizes()[d], " but got size ",
                t.sizes()[d], " for tensor number ", i, " in the list");
    }
    sizes[dim] += t.sizes()[dim];
  }
  Tensor out = empty(sizes, dtype, device);
  if (out.numel() == 0) return out;
  int64_t inner = 1;
  for (int64_t d = dim + 1; d < out.dim(); ++d) inner *= sizes[d];
  const int64_t bytes = inner * out.element_size();
  CatPlan plan;
  plan.out = static_cast<char*>(out.raw_data());
  plan.outer = out.numel() / (sizes[dim] * inner);
  plan.out_row_bytes = sizes[dim] * bytes;
  int64_t offset = 0;
  for (const Tensor& t : tensors) {
    if (t.dim() == 1 && t.sizes()[0] == 0) continue;
    const int64_t n = t.sizes()[dim];
    if (n == 0) continue;
    if (t.dtype() == dtype && t.is_contiguous()) {
      plan.data.push_back(static_cast<const char*>(t.raw_data()));
      plan.row_bytes.push_back(n * bytes);
      plan.col_offset.push_back(offset * bytes);
    } else {
      out.narrow(dim, offset, n).copy_(t);
    }
    offset += n;
  }
  if (!plan.data.empty()) {
    kCatOp.Get<CatKernel>(device.type, dtype)(plan);
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  TCH_CHECK(!tensors.empty(), "stack(): expects a non-empty TensorList");
  const Tensor& first = tensors[0];
  dim = WrapDim(dim, first.dim() + 1);
  std::vector<Tensor> parts;
  parts.reserve(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    TCH_CHECK(tensors[i].sizes() == first.sizes(),
              "stack(): expects each tensor to be equal size, but got ",
              DimsToString(first), " at entry 0 and ", DimsToString(tensors[i]),
              " at entry ", i);
    parts.push_back(tensors[i].unsqueeze(dim));
  }
  return cat(parts, dim);
}

std::vector<Tensor> split(const Tensor& self, int64_t split_size, int64_t dim) {
  TCH_CHECK(self.dim() > 0, "split(): expects at least a 1-dimensional tensor");
  dim = WrapDim(dim, self.dim());
  TCH_CHECK(split_size >= 0,
            "split(): expects split_size be non-negative, "
            "but got split_size=",
            split_size);
  const int64_t size = self.sizes()[dim];
  TCH_CHECK(split_size > 0 || size == 0,
            "split(): split_size can only be 0 "
            "if dimension size is 0, but got dimension size of ",
            size);
  const int64_t num =
      size == 0 || split_size == 0 ? 1 : (size - 1) / split_size + 1;
  std::vector<Tensor> out;
  out.reserve(num);
  for (int64_t i = 0; i < num; ++i) {
    const int64_t start = i * split_size;
    out.push_back(self.narrow(dim, start, std::min(split_size, size - start)));
  }
  return out;
}

std::vector<Tensor> split(const Tensor& self, IntList split_sizes,
                          int64_t dim) {
  TCH_CHECK(self.dim() > 0, "split(): expects at least a 1-dimensional tensor");
  dim = WrapDim(dim, self.dim());
  const int64_t size = self.sizes()[dim];
  int64_t total = 0;
  for (int64_t s : split_sizes) {
    TCH_CHECK(s >= 0,
              "split_with_sizes(): expects split_sizes have only "
              "non-negative entries, but got split_sizes=",
              ShapeToString(split_sizes));
    total += s;
  }
  TCH_CHECK(total == size,
            "split_with_sizes(): expects split_sizes to sum "
            "exactly to ",
            size, " (input tensor's size at dimension ", dim,
            "), but got split_sizes=", ShapeToString(split_sizes));
  std::vector<Tensor> out;
  out.reserve(split_sizes.size());
  int64_t start = 0;
  for (int64_t s : split_sizes) {
    out.push_back(self.narrow(dim, start, s));
    start += s;
  }
  return out;
}

std::vector<Tensor> chunk(const Tensor& self, int64_t chunks, int64_t dim) {
  TCH_CHECK(self.dim() > 0, "chunk(): expects at least a 1-dimensional tensor");
  TCH_CHECK(chunks > 0,
            "chunk(): expects `chunks` to be greater than 0, got: ", chunks);
  const int64_t size = self.sizes()[WrapDim(dim, self.dim())];
  const int64_t split_size = size == 0 ? 0 : (size - 1) / chunks + 1;
  if (split_size == 0 && size == 0) {
    return split(self, std::vector<int64_t>(chunks, 0), dim);
  }
  return split(self, split_size, dim);
}

// --- repeat / tril / triu / flip / roll / pad --------------------------------

namespace {

// Fills the geometry of a row plan for contiguous `in` and `out` of equal
// rank.
RowCopyPlan MakeRowPlan(const Tensor& in, const Tensor& out) {
  RowCopyPlan plan;
  plan.in = static_cast<const char*>(in.raw_data());
  plan.out = static_cast<char*>(out.raw_data());
  plan.ndim = static_cast<int>(out.dim());
  plan.element_size = out.element_size();
  for (int d = 0; d < plan.ndim; ++d) {
    plan.in_sizes[d] = in.sizes()[d];
    plan.out_sizes[d] = out.sizes()[d];
  }
  return plan;
}

}  // namespace

Tensor repeat(const Tensor& self, IntList repeats) {
  const int64_t n = static_cast<int64_t>(repeats.size());
  TCH_CHECK(n >= self.dim(), "repeat(): number of dimensions of repeat dims (",
            n, ") can not be smaller than number of dimensions of tensor (",
            self.dim(), ")");
  Shape padded(n - self.dim(), 1);
  padded.insert(padded.end(), self.sizes().begin(), self.sizes().end());
  Shape sizes(n);
  for (int64_t d = 0; d < n; ++d) {
    TCH_CHECK(repeats[d] >= 0, "repeat(): repeats must be non-negative, got ",
              ShapeToString(repeats));
    TCH_CHECK(!__builtin_mul_overflow(padded[d], repeats[d], &sizes[d]),
              "repeat(): the result of repeating ", DimsToString(self), " by ",
              ShapeToString(repeats), " has more than 2^63 elements");
  }
  Tensor out = empty(sizes, self.dtype(), self.device());
  if (out.numel() == 0) return out;
  if (n == 0) return out.copy_(self);
  CheckDims(n, "repeat");
  const Tensor in = self.contiguous().view(padded);
  kRepeatOp.Get<RowCopyKernel>(self.device().type,
                               self.dtype())(MakeRowPlan(in, out));
  return out;
}

namespace {

Tensor TriImpl(const char* op, const Tensor& self, int64_t diagonal,
               bool upper) {
  TCH_CHECK(self.dim() >= 2, op,
            "(): input tensor must have at least 2 "
            "dimensions, got ",
            self.dim());
  CheckDims(self.dim(), op);
  Tensor out = empty(self.sizes(), self.dtype(), self.device());
  if (out.numel() == 0) return out;
  const Tensor in = self.contiguous();
  RowCopyPlan plan = MakeRowPlan(in, out);
  plan.diagonal = diagonal;
  plan.upper = upper;
  kTriOp.Get<RowCopyKernel>(self.device().type, self.dtype())(plan);
  return out;
}

}  // namespace

Tensor tril(const Tensor& self, int64_t diagonal) {
  return TriImpl("tril", self, diagonal, false);
}
Tensor triu(const Tensor& self, int64_t diagonal) {
  return TriImpl("triu", self, diagonal, true);
}

Tensor flip(const Tensor& self, IntList dims) {
  bool flip_dims[kMaxIndexDims] = {};
  CheckDims(self.dim(), "flip");
  bool any = false;
  for (int64_t d : dims) {
    const int64_t w = WrapDim(d, self.dim());
    TCH_CHECK(!flip_dims[w], "flip(): dim ", w,
              " appears multiple times in the list of dims");
    flip_dims[w] = true;
    any = any || (self.dim() > 0 && self.sizes()[w] > 1);
  }
  Tensor out = empty(self.sizes(), self.dtype(), self.device());
  if (!any || out.numel() == 0) return out.copy_(self);
  const Tensor in = self.contiguous();
  RowCopyPlan plan = MakeRowPlan(in, out);
  std::copy(flip_dims, flip_dims + kMaxIndexDims, plan.flip);
  kFlipOp.Get<RowCopyKernel>(self.device().type, self.dtype())(plan);
  return out;
}

Tensor roll(const Tensor& self, IntList shifts, IntList dims) {
  TCH_CHECK(!shifts.empty(), "roll(): `shifts` required");
  if (dims.empty()) {
    TCH_CHECK(shifts.size() == 1,
              "roll(): shifts and dimensions must align. "
              "shifts: ",
              shifts.size(), ", dims: 0");
    return roll(self.flatten(), shifts, {0}).view(self.sizes());
  }
  TCH_CHECK(shifts.size() == dims.size(),
            "roll(): shifts and dimensions must "
            "align. shifts: ",
            shifts.size(), ", dims: ", dims.size());
  TCH_CHECK_T(IndexError, self.dim() > 0, "roll(): dimension specified as ",
              dims[0], " but tensor has no dimensions");
  Shape total(self.dim(), 0);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = WrapDim(dims[i], self.dim());
    const int64_t n = self.sizes()[d];
    if (n > 0) total[d] = ((total[d] + shifts[i] % n) % n + n) % n;
  }
  Tensor out = empty(self.sizes(), self.dtype(), self.device());
  std::vector<int64_t> rolled;
  for (int64_t d = 0; d < self.dim(); ++d) {
    if (total[d] != 0) rolled.push_back(d);
  }
  if (rolled.empty() || out.numel() == 0) return out.copy_(self);
  // Each rolled dim splits into two blocks: out[s:] <- in[:n-s] and
  // out[:s] <- in[n-s:]; copy every combination.
  for (uint64_t mask = 0; mask < (uint64_t{1} << rolled.size()); ++mask) {
    Tensor dst = out, src = self;
    for (size_t i = 0; i < rolled.size(); ++i) {
      const int64_t d = rolled[i], n = self.sizes()[d], s = total[d];
      if (mask & (uint64_t{1} << i)) {
        dst = dst.narrow(d, 0, s);
        src = src.narrow(d, n - s, s);
      } else {
        dst = dst.narrow(d, s, n - s);
        src = src.narrow(d, 0, n - s);
      }
    }
    dst.copy_(src);
  }
  return out;
}

Tensor pad(const Tensor& self, IntList pads, const Scalar& value) {
  TCH_CHECK(pads.size() % 2 == 0,
            "pad(): padding length must be divisible by "
            "2, got ",
            pads.size());
  const int64_t pairs = static_cast<int64_t>(pads.size()) / 2;
  TCH_CHECK(pairs <= self.dim(), "pad(): padding length too large: ", pairs,
            " (left, right) pairs for a ", self.dim(), "-D input");
  CheckDims(self.dim(), "pad");
  Shape sizes = self.sizes();
  int64_t pad_before[kMaxIndexDims] = {};
  for (int64_t i = 0; i < pairs; ++i) {
    const int64_t d = self.dim() - 1 - i;
    const int64_t left = pads[2 * i], right = pads[2 * i + 1];
    TCH_CHECK(!__builtin_add_overflow(sizes[d], left, &sizes[d]) &&
                  !__builtin_add_overflow(sizes[d], right, &sizes[d]),
              "pad(): padding (", left, ", ", right, ") of dimension ", d,
              " overflows int64");
    TCH_CHECK(sizes[d] >= 0, "pad(): the input size ", self.sizes()[d],
              ", plus negative padding ", left, " and ", right,
              " resulted in a negative output size, which is invalid. Check "
              "dimension ",
              d, " of your input.");
    pad_before[d] = left;
  }
  Tensor out = empty(sizes, self.dtype(), self.device());
  if (out.numel() == 0) return out;
  if (self.dim() == 0) return out.copy_(self);
  const Tensor in = self.contiguous();
  RowCopyPlan plan = MakeRowPlan(in, out);
  std::copy(pad_before, pad_before + kMaxIndexDims, plan.pad_before);
  plan.value = value;
  kPadOp.Get<RowCopyKernel>(self.device().type, self.dtype())(plan);
  return out;
}

// --- topk / sort / argsort ---------------------------------------------------

namespace {

// Row geometry of `in` and the outputs along `dim` (all of equal rank).
SortPlan MakeSortPlan(const Tensor& in, const Tensor& values,
                      const Tensor& indices, int64_t dim) {
  SortPlan plan;
  const Tensor* ts[3] = {&in, &values, &indices};
  for (int op = 0; op < 3; ++op) {
    if (!ts[op]->defined()) continue;
    plan.data[op] = static_cast<char*>(ts[op]->raw_data());
    plan.dim_strides[op] = ts[op]->strides()[dim];
    int nd = 0;
    for (int64_t d = 0; d < in.dim(); ++d) {
      if (d == dim) continue;
      plan.sizes[nd] = in.sizes()[d];
      plan.strides[op][nd++] = ts[op]->strides()[d];
    }
    plan.ndim = nd;
  }
  plan.in_len = in.sizes()[dim];
  return plan;
}

}  // namespace

std::pair<Tensor, Tensor> topk(const Tensor& self, int64_t k, int64_t dim,
                               bool largest, bool sorted) {
  dim = WrapDim(dim, self.dim());
  auto* kernel = kTopkOp.Get<SortKernel>(self.device().type, self.dtype());
  const int64_t size = self.dim() == 0 ? 1 : self.sizes()[dim];
  TCH_CHECK(k >= 0 && k <= size,
            "topk(): selected index k out of range: k = ", k, " but dimension ",
            dim, " has size ", size);
  CheckDims(self.dim(), "topk");
  Shape sizes = self.sizes();
  if (self.dim() > 0) sizes[dim] = k;
  Tensor values = empty(sizes, self.dtype(), self.device());
  Tensor indices = zeros(sizes, DType::kInt64, self.device());
  if (self.dim() == 0) {
    values.copy_(self);
    return {values, indices};
  }
  if (values.numel() == 0) return {values, indices};
  SortPlan plan = MakeSortPlan(self, values, indices, dim);
  plan.out_len = k;
  plan.descending = largest;
  plan.sorted = sorted;
  kernel(plan);
  return {values, indices};
}

namespace {

std::pair<Tensor, Tensor> SortImpl(const Tensor& self, int64_t dim,
                                   bool descending, bool want_values) {
  dim = WrapDim(dim, self.dim());
  auto* kernel = kSortOp.Get<SortKernel>(self.device().type, self.dtype());
  CheckDims(self.dim(), "sort");
  Tensor values =
      want_values ? empty(self.sizes(), self.dtype(), self.device()) : Tensor();
  Tensor indices = zeros(self.sizes(), DType::kInt64, self.device());
  if (self.dim() == 0) {
    if (want_values) values.copy_(self);
    return {values, indices};
  }
  if (self.numel() == 0) return {values, indices};
  SortPlan plan = MakeSortPlan(self, values, indices, dim);
  plan.out_len = plan.in_len;
  plan.descending = descending;
  plan.write_values = want_values;
  kernel(plan);
  return {values, indices};
}

}  // namespace

std::pair<Tensor, Tensor> sort(const Tensor& self, int64_t dim,
                               bool descending) {
  return SortImpl(self, dim, descending, true);
}

Tensor argsort(const Tensor& self, int64_t dim, bool descending) {
  return SortImpl(self, dim, descending, false).second;
}

}  // namespace tch
