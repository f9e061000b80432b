#include "torch/core/tensor.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "torch/core/ops.h"

namespace tch {

std::string ShapeToString(IntList shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

Shape ContiguousStrides(IntList sizes) {
  Shape strides(sizes.size());
  int64_t stride = 1;
  for (int64_t i = static_cast<int64_t>(sizes.size()) - 1; i >= 0; --i) {
    strides[i] = stride;
    stride *= std::max<int64_t>(sizes[i], 1);
  }
  return strides;
}

int64_t NumElements(IntList sizes) {
  int64_t n = 1;
  for (int64_t s : sizes) {
    TCH_CHECK(s >= 0, "invalid shape ", ShapeToString(sizes),
              ": sizes must be non-negative");
    TCH_CHECK(!__builtin_mul_overflow(n, s, &n), "shape ", ShapeToString(sizes),
              " has more than 2^63 elements");
  }
  return n;
}

int64_t WrapDim(int64_t dim, int64_t ndim) {
  const int64_t lo = ndim == 0 ? -1 : -ndim;
  const int64_t hi = ndim == 0 ? 0 : ndim - 1;
  TCH_CHECK_T(IndexError, dim >= lo && dim <= hi,
              "dimension out of range (expected to be in range of [", lo, ", ",
              hi, "], but got ", dim, ")");
  return dim < 0 ? dim + std::max<int64_t>(ndim, 1) : dim;
}

Tensor Tensor::FromStorage(Storage storage, IntList sizes, IntList strides,
                           int64_t storage_offset, DType dtype) {
  TCH_INTERNAL_ASSERT(sizes.size() == strides.size(), "sizes/strides rank");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->sizes = sizes.ToShape();
  impl->strides = strides.ToShape();
  impl->storage_offset = storage_offset;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

int64_t Tensor::WrapDim(int64_t d) const { return tch::WrapDim(d, dim()); }

int64_t Tensor::size(int64_t d) const {
  return dim() == 0 ? 1 : impl_->sizes[WrapDim(d)];
}

int64_t Tensor::stride(int64_t d) const {
  return dim() == 0 ? 1 : impl_->strides[WrapDim(d)];
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t s : impl_->sizes) n *= s;
  return n;
}

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    const int64_t s = impl_->sizes[i];
    if (s == 0) return true;
    if (s != 1 && impl_->strides[i] != expected) return false;
    expected *= s;
  }
  return true;
}

void* Tensor::raw_data() const {
  return static_cast<char*>(impl_->storage.data()) +
         impl_->storage_offset * element_size();
}

Scalar Tensor::item() const {
  TCH_CHECK(numel() == 1, "item: a Tensor with ", numel(),
            " elements cannot be converted to a Scalar");
  const Tensor host = to(kCpu);
  return VisitDType(dtype(), [&]<typename T>() -> Scalar {
    return Scalar(*static_cast<const T*>(host.raw_data()));
  });
}

template <typename T>
T Tensor::item() const {
  return item().to<T>();
}

template <typename T>
std::vector<T> Tensor::ToVector() const {
  const Tensor host = to(kCpu, DTypeOf<T>()).contiguous();
  const T* data = static_cast<const T*>(host.raw_data());
  return std::vector<T>(data, data + host.numel());
}

#define TCH_INSTANTIATE_ACCESSORS(e, T, name, short_name) \
  template T Tensor::item<T>() const;                     \
  template std::vector<T> Tensor::ToVector<T>() const;
TCH_FORALL_DTYPES(TCH_INSTANTIATE_ACCESSORS)
#undef TCH_INSTANTIATE_ACCESSORS

// --- Views -----------------------------------------------------------------

namespace {

// Replaces a single -1 in `sizes` so the element count equals `numel`.
Shape InferSize(IntList sizes, int64_t numel, const char* op) {
  Shape result = sizes.ToShape();
  int64_t known = 1;
  int infer_at = -1;
  for (size_t i = 0; i < result.size(); ++i) {
    if (result[i] == -1) {
      TCH_CHECK(infer_at < 0, op, ": only one dimension can be inferred");
      infer_at = static_cast<int>(i);
    } else {
      TCH_CHECK(result[i] >= 0, op, ": invalid shape dimension ", result[i]);
      known *= result[i];
    }
  }
  if (infer_at >= 0) {
    TCH_CHECK(known != 0 && numel % known == 0, op, ": shape '",
              ShapeToString(sizes), "' is invalid for input of size ", numel);
    result[infer_at] = numel / known;
  } else {
    TCH_CHECK(known == numel, op, ": shape '", ShapeToString(sizes),
              "' is invalid for input of size ", numel);
  }
  return result;
}

// Strides for viewing (old_sizes, old_strides) as new_sizes without copying,
// or an empty optional-like result (ok=false) when the layout forbids it.
// Walks chunks of old dims that are contiguous with each other and matches
// them against runs of new dims with the same element count.
bool ComputeViewStrides(IntList old_sizes, IntList old_strides,
                        IntList new_sizes, Shape* new_strides) {
  new_strides->assign(new_sizes.size(), 0);
  if (old_sizes.empty()) {
    for (size_t i = 0; i < new_sizes.size(); ++i) (*new_strides)[i] = 1;
    return true;
  }
  const int64_t numel = NumElements(old_sizes);
  if (numel == 0) {
    *new_strides = ContiguousStrides(new_sizes);
    return true;
  }
  int64_t view_d = static_cast<int64_t>(new_sizes.size()) - 1;
  int64_t chunk_base_stride = old_strides[old_strides.size() - 1];
  int64_t tensor_numel = 1;
  int64_t view_numel = 1;
  for (int64_t d = static_cast<int64_t>(old_sizes.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_sizes[d];
    const bool chunk_ends =
        d == 0 || (old_sizes[d - 1] != 1 &&
                   old_strides[d - 1] != tensor_numel * chunk_base_stride);
    if (chunk_ends) {
      while (view_d >= 0 &&
             (view_numel < tensor_numel || new_sizes[view_d] == 1)) {
        (*new_strides)[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_sizes[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}

}  // namespace

Tensor Tensor::view(IntList sizes) const {
  const Shape new_sizes = InferSize(sizes, numel(), "view");
  Shape new_strides;
  TCH_CHECK(
      ComputeViewStrides(impl_->sizes, impl_->strides, new_sizes, &new_strides),
      "view: size ", ShapeToString(new_sizes),
      " is not compatible with input tensor's size ",
      ShapeToString(this->sizes()), " and stride ",
      ShapeToString(impl_->strides),
      " (at least one dimension spans across two contiguous "
      "subspaces); use reshape instead");
  return as_strided(new_sizes, new_strides, storage_offset());
}

Tensor Tensor::reshape(IntList sizes) const {
  const Shape new_sizes = InferSize(sizes, numel(), "reshape");
  Shape new_strides;
  if (ComputeViewStrides(impl_->sizes, impl_->strides, new_sizes,
                         &new_strides)) {
    return as_strided(new_sizes, new_strides, storage_offset());
  }
  return clone().view(new_sizes);
}

Tensor Tensor::permute(IntList dims) const {
  TCH_CHECK(static_cast<int64_t>(dims.size()) == dim(),
            "permute: number of dims don't match (tensor has ", dim(),
            " dims, got ", dims.size(), ")");
  Shape sizes(dim()), strides(dim());
  std::vector<bool> seen(dim(), false);
  for (int64_t i = 0; i < dim(); ++i) {
    const int64_t d = WrapDim(dims[i]);
    TCH_CHECK(!seen[d], "permute: repeated dim ", dims[i], " in ",
              ShapeToString(dims));
    seen[d] = true;
    sizes[i] = impl_->sizes[d];
    strides[i] = impl_->strides[d];
  }
  return as_strided(sizes, strides, storage_offset());
}

Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  if (dim() == 0) return *this;
  const int64_t a = WrapDim(dim0), b = WrapDim(dim1);
  Shape sizes = impl_->sizes, strides = impl_->strides;
  std::swap(sizes[a], sizes[b]);
  std::swap(strides[a], strides[b]);
  return as_strided(sizes, strides, storage_offset());
}

Tensor Tensor::t() const {
  TCH_CHECK(dim() <= 2,
            "t() expects a tensor with <= 2 dimensions, but self is ", dim(),
            "D");
  return dim() < 2 ? *this : transpose(0, 1);
}

Tensor Tensor::slice(int64_t d, int64_t start, int64_t end,
                     int64_t step) const {
  TCH_CHECK(dim() > 0, "slice() cannot be applied to a 0-dim tensor");
  TCH_CHECK(step > 0, "slice: step must be positive, got ", step);
  d = WrapDim(d);
  const int64_t n = impl_->sizes[d];
  auto clamp = [n](int64_t i) {
    if (i < 0) i += n;
    return std::clamp<int64_t>(i, 0, n);
  };
  start = clamp(start);
  end = std::max(clamp(end), start);
  Shape sizes = impl_->sizes, strides = impl_->strides;
  sizes[d] = (end - start + step - 1) / step;
  strides[d] *= step;
  return as_strided(sizes, strides,
                    storage_offset() + start * impl_->strides[d]);
}

Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const {
  TCH_CHECK(dim() > 0, "narrow() cannot be applied to a 0-dim tensor");
  const int64_t n = size(d);
  if (start < 0) start += n;
  TCH_CHECK_T(IndexError, start >= 0 && length >= 0 && start + length <= n,
              "narrow: start (", start, ") + length (", length,
              ") exceeds dimension size (", n, ")");
  return slice(d, start, start + length);
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  TCH_CHECK_T(IndexError, dim() > 0,
              "select() cannot be applied to a 0-dim tensor");
  d = WrapDim(d);
  const int64_t n = impl_->sizes[d];
  TCH_CHECK_T(IndexError, index >= -n && index < n, "select(): index ", index,
              " out of range for tensor of size ", ShapeToString(sizes()),
              " at dimension ", d);
  if (index < 0) index += n;
  Shape sizes = impl_->sizes, strides = impl_->strides;
  sizes.erase(sizes.begin() + d);
  strides.erase(strides.begin() + d);
  return as_strided(sizes, strides,
                    storage_offset() + index * impl_->strides[d]);
}

Tensor Tensor::expand(IntList sizes) const {
  const int64_t ndim = static_cast<int64_t>(sizes.size());
  TCH_CHECK(ndim >= dim(), "expand: the number of sizes provided (", ndim,
            ") must be greater or equal to the number of dimensions in the "
            "tensor (",
            dim(), ")");
  Shape new_sizes(ndim), new_strides(ndim);
  for (int64_t i = ndim - 1; i >= 0; --i) {
    const int64_t src = i - (ndim - dim());
    int64_t target = sizes[i];
    if (src < 0) {
      TCH_CHECK(target >= 0,
                "expand: -1 is not allowed in a leading, "
                "non-existing dimension ",
                i);
      new_sizes[i] = target;
      new_strides[i] = 0;
      continue;
    }
    const int64_t have = impl_->sizes[src];
    if (target == -1) target = have;
    TCH_CHECK(have == target || have == 1,
              "expand: the expanded size of the tensor (", target,
              ") must match the existing size (", have,
              ") at non-singleton dimension ", i,
              ".  Target sizes: ", ShapeToString(sizes),
              ".  Tensor sizes: ", ShapeToString(this->sizes()));
    new_sizes[i] = target;
    new_strides[i] = have == target ? impl_->strides[src] : 0;
  }
  return as_strided(new_sizes, new_strides, storage_offset());
}

Tensor Tensor::unsqueeze(int64_t d) const {
  d = tch::WrapDim(d, dim() + 1);
  Shape sizes = impl_->sizes, strides = impl_->strides;
  const int64_t stride = d < dim() ? impl_->sizes[d] * impl_->strides[d] : 1;
  sizes.insert(sizes.begin() + d, 1);
  strides.insert(strides.begin() + d, stride);
  return as_strided(sizes, strides, storage_offset());
}

Tensor Tensor::squeeze() const {
  Shape sizes, strides;
  for (int64_t i = 0; i < dim(); ++i) {
    if (impl_->sizes[i] != 1) {
      sizes.push_back(impl_->sizes[i]);
      strides.push_back(impl_->strides[i]);
    }
  }
  return as_strided(sizes, strides, storage_offset());
}

Tensor Tensor::squeeze(int64_t d) const {
  if (dim() == 0) return *this;
  d = WrapDim(d);
  if (impl_->sizes[d] != 1) return *this;
  Shape sizes = impl_->sizes, strides = impl_->strides;
  sizes.erase(sizes.begin() + d);
  strides.erase(strides.begin() + d);
  return as_strided(sizes, strides, storage_offset());
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  start_dim = WrapDim(start_dim);
  end_dim = WrapDim(end_dim);
  TCH_CHECK(start_dim <= end_dim,
            "flatten() has invalid args: start_dim cannot come after end_dim");
  Shape sizes;
  for (int64_t i = 0; i < start_dim; ++i) sizes.push_back(impl_->sizes[i]);
  int64_t merged = 1;
  for (int64_t i = start_dim; i <= end_dim; ++i) merged *= impl_->sizes[i];
  sizes.push_back(merged);
  for (int64_t i = end_dim + 1; i < dim(); ++i)
    sizes.push_back(impl_->sizes[i]);
  return reshape(sizes);
}

Tensor Tensor::unflatten(int64_t d, IntList sizes) const {
  d = WrapDim(d);
  const Shape inner = InferSize(sizes, impl_->sizes[d], "unflatten");
  Shape new_sizes;
  for (int64_t i = 0; i < d; ++i) new_sizes.push_back(impl_->sizes[i]);
  new_sizes.insert(new_sizes.end(), inner.begin(), inner.end());
  for (int64_t i = d + 1; i < dim(); ++i) new_sizes.push_back(impl_->sizes[i]);
  return view(new_sizes);
}

Tensor Tensor::diagonal(int64_t offset, int64_t dim1, int64_t dim2) const {
  const int64_t a = WrapDim(dim1), b = WrapDim(dim2);
  TCH_CHECK(a != b, "diagonal dimensions cannot be identical ", dim1, ", ",
            dim2);
  int64_t length, start = storage_offset();
  if (offset >= 0) {
    length = std::max<int64_t>(
        std::min(impl_->sizes[a], impl_->sizes[b] - offset), 0);
    if (length > 0) start += offset * impl_->strides[b];
  } else {
    length = std::max<int64_t>(
        std::min(impl_->sizes[a] + offset, impl_->sizes[b]), 0);
    if (length > 0) start -= offset * impl_->strides[a];
  }
  Shape sizes, strides;
  for (int64_t i = 0; i < dim(); ++i) {
    if (i == a || i == b) continue;
    sizes.push_back(impl_->sizes[i]);
    strides.push_back(impl_->strides[i]);
  }
  sizes.push_back(length);
  strides.push_back(impl_->strides[a] + impl_->strides[b]);
  return as_strided(sizes, strides, start);
}

Tensor Tensor::as_strided(IntList sizes, IntList strides,
                          int64_t storage_offset) const {
  TCH_CHECK(sizes.size() == strides.size(),
            "as_strided: mismatch in length "
            "of strides and shape (",
            strides.size(), " vs ", sizes.size(), ")");
  TCH_CHECK(storage_offset >= 0, "as_strided: negative storage offset ",
            storage_offset);
  // Every reachable element must be inside the storage.
  int64_t max_offset = storage_offset;
  bool empty = false;
  for (size_t i = 0; i < sizes.size(); ++i) {
    TCH_CHECK(sizes[i] >= 0 && strides[i] >= 0,
              "as_strided: negative size "
              "or stride in sizes ",
              ShapeToString(sizes), " strides ", ShapeToString(strides));
    if (sizes[i] == 0)
      empty = true;
    else
      max_offset += (sizes[i] - 1) * strides[i];
  }
  const int64_t capacity =
      static_cast<int64_t>(impl_->storage.nbytes()) / element_size();
  TCH_CHECK(empty || max_offset < capacity, "as_strided: setStorage: sizes ",
            ShapeToString(sizes), ", strides ", ShapeToString(strides),
            ", storage offset ", storage_offset, " require ", max_offset + 1,
            " elements, but the storage holds ", capacity);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->sizes = sizes.ToShape();
  impl->strides = strides.ToShape();
  impl->storage_offset = storage_offset;
  impl->dtype = impl_->dtype;
  return Tensor(std::move(impl));
}

// --- Copies and in-place ops -----------------------------------------------

Tensor Tensor::contiguous() const { return is_contiguous() ? *this : clone(); }

Tensor Tensor::clone() const {
  Tensor out = empty(sizes(), dtype(), device());
  out.copy_(*this);
  return out;
}

Tensor Tensor::to(DType new_dtype) const { return to(device(), new_dtype); }

Tensor Tensor::to(const Device& new_device) const {
  return to(new_device, dtype());
}

Tensor Tensor::to(const Device& new_device, DType new_dtype) const {
  if (new_device == device() && new_dtype == dtype()) return *this;
  Tensor out = empty(sizes(), new_dtype, new_device);
  out.copy_(*this);
  return out;
}

Tensor& Tensor::zero_() { return fill_(0); }

std::ostream& operator<<(std::ostream& out, const Tensor& tensor) {
  return out << tensor.ToString();
}

}  // namespace tch
