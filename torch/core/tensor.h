// File: torch/core/tensor.h
//
// `Tensor` is a cheap, reference-counted handle to a `TensorImpl`: a strided
// view (sizes, strides in elements, storage offset) of a `Storage`, with a
// dtype and an optional autograd slot. Copying a Tensor copies the handle,
// never the data. View operations (view, permute, slice, expand, ...) return
// tensors that share the storage; `contiguous()` copies only when needed.
//
// Example:
//   tch::Tensor a = tch::arange(6, tch::DType::kFloat32).view({2, 3});
//   tch::Tensor b = a.t();                 // shares storage, strides {1, 3}
//   tch::Tensor c = (a + 1) * b.t();       // broadcasting elementwise math
//   std::cout << c;                        // tensor([[...]]), PyTorch style
//
// Note [Version counter]
// In-place operations bump the version counter of the storage they write.
// Because views share their base's storage, writing through any view is seen
// by all of them, which is what autograd's saved-tensor check needs.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "torch/core/device.h"
#include "torch/core/dtype.h"
#include "torch/core/scalar.h"
#include "torch/core/storage.h"

namespace tch {

// Sizes or strides of a tensor; up to 6 dims without a heap allocation.
using Shape = absl::InlinedVector<int64_t, 6>;

// A read-only view of a list of integers (sizes, dims), constructible from an
// initializer list, a vector or a Shape. Like std::span, it does not own the
// elements: do not keep it beyond the full expression it was made in.
class IntList {
 public:
  IntList() = default;
// The list outlives the full expression that created the IntList, which is
// all an IntList promises (see above), so gcc's lifetime warning is moot.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
#endif
  IntList(std::initializer_list<int64_t> list)  // NOLINT
      : data_(list.begin()), size_(list.size()) {}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  IntList(const std::vector<int64_t>& v)  // NOLINT
      : data_(v.data()), size_(v.size()) {}
  IntList(const Shape& v) : data_(v.data()), size_(v.size()) {}  // NOLINT
  IntList(std::span<const int64_t> v)                            // NOLINT
      : data_(v.data()), size_(v.size()) {}

  const int64_t* begin() const { return data_; }
  const int64_t* end() const { return data_ + size_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int64_t operator[](size_t i) const { return data_[i]; }
  Shape ToShape() const { return Shape(begin(), end()); }

 private:
  const int64_t* data_ = nullptr;
  size_t size_ = 0;
};

std::string ShapeToString(IntList shape);  // "[2, 3]"

// Opaque to core: the autograd library derives from it (grad, grad_fn, ...).
struct AutogradMetaBase {
  virtual ~AutogradMetaBase() = default;
};

struct TensorImpl {
  Storage storage;
  Shape sizes;
  Shape strides;  // in elements, not bytes
  int64_t storage_offset = 0;
  DType dtype = DType::kFloat32;
  std::shared_ptr<AutogradMetaBase> autograd_meta;
};

// Contiguous (row-major) strides for `sizes`.
Shape ContiguousStrides(IntList sizes);

// Number of elements of `sizes`; throws ValueError on negative sizes or
// int64 overflow.
int64_t NumElements(IntList sizes);

class Tensor {
 public:
  Tensor() = default;  // undefined: defined() is false
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // A tensor over `storage` with explicit geometry (no copy, no checks
  // beyond bounds: every reachable element must lie inside the storage).
  static Tensor FromStorage(Storage storage, IntList sizes, IntList strides,
                            int64_t storage_offset, DType dtype);

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  bool SameImpl(const Tensor& other) const { return impl_ == other.impl_; }

  // --- Geometry ----------------------------------------------------------
  int64_t dim() const { return static_cast<int64_t>(impl_->sizes.size()); }
  const Shape& sizes() const { return impl_->sizes; }
  const Shape& strides() const { return impl_->strides; }
  // size(d) and stride(d) accept negative dims (-1 is the last); they throw
  // IndexError when `d` is out of range.
  int64_t size(int64_t d) const;
  int64_t stride(int64_t d) const;
  int64_t numel() const;
  int64_t storage_offset() const { return impl_->storage_offset; }
  bool is_contiguous() const;

  DType dtype() const { return impl_->dtype; }
  const Device& device() const { return impl_->storage.device(); }
  const Storage& storage() const { return impl_->storage; }
  int64_t element_size() const { return ElementSize(dtype()); }
  size_t nbytes() const {
    return static_cast<size_t>(numel() * element_size());
  }

  // Pointer to the first element. data_ptr<T>() throws ValueError unless T
  // matches dtype(). Only dereference on the CPU.
  void* raw_data() const;
  template <typename T>
  T* data_ptr() const {
    TCH_CHECK(DTypeOf<T>() == dtype(), "data_ptr: tensor has dtype ", dtype(),
              " but ", DTypeOf<T>(), " was requested");
    return static_cast<T*>(raw_data());
  }

  // The value of a one-element tensor (any shape), converted to T; copies
  // from the device if needed. Throws ValueError for numel() != 1.
  template <typename T>
  T item() const;
  Scalar item() const;

  // Copies every element to a vector of T (converting), in row-major order.
  template <typename T>
  std::vector<T> ToVector() const;

  // --- Views (share storage) --------------------------------------------
  // `view` requires compatible strides (throws ValueError naming the shape);
  // `reshape` returns a view when possible and a copy otherwise. One size may
  // be -1 (inferred).
  Tensor view(IntList sizes) const;
  Tensor reshape(IntList sizes) const;
  Tensor permute(IntList dims) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor t() const;  // 0-D and 1-D unchanged, 2-D transposed
  // Elements start, start+step, ... < end along `dim` (end clamped to size).
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor select(int64_t dim, int64_t index) const;  // removes `dim`
  // Broadcasts size-1 dims (and new leading dims) to `sizes`; -1 keeps a size.
  Tensor expand(IntList sizes) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze() const;             // every size-1 dim
  Tensor squeeze(int64_t dim) const;  // only `dim`, if its size is 1
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor unflatten(int64_t dim, IntList sizes) const;
  Tensor diagonal(int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1) const;
  Tensor as_strided(IntList sizes, IntList strides,
                    int64_t storage_offset) const;

  // --- Copies ------------------------------------------------------------
  Tensor contiguous() const;              // *this if already contiguous
  Tensor clone() const;                   // always a fresh contiguous copy
  Tensor to(DType dtype) const;           // *this if unchanged
  Tensor to(const Device& device) const;  // *this if unchanged
  Tensor to(const Device& device, DType dtype) const;

  // --- In place (bump the version counter) --------------------------------
  Tensor& fill_(const Scalar& value);
  Tensor& zero_();
  // Copies `src` (broadcast to this shape, converted to this dtype, from any
  // device) into this tensor.
  Tensor& copy_(const Tensor& src);
  Tensor& add_(const Tensor& other, const Scalar& alpha = 1);
  Tensor& add_(const Scalar& other);
  Tensor& sub_(const Tensor& other, const Scalar& alpha = 1);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(const Scalar& other);
  Tensor& div_(const Tensor& other);
  Tensor& div_(const Scalar& other);

  // PyTorch-style repr: values with elision, then dtype when not float32.
  std::string ToString() const;

 private:
  int64_t WrapDim(int64_t d) const;
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& out, const Tensor& tensor);

// Wraps a possibly negative dim into [0, ndim); throws IndexError naming the
// valid range otherwise. `ndim` 0 accepts -1 and 0 (PyTorch's rule).
int64_t WrapDim(int64_t dim, int64_t ndim);

}  // namespace tch
