// File: torch/core/index_ops.h
//
// Indexing ops (index_select, gather, scatter, scatter_add, index_add,
// masked_fill, masked_select, one_hot) and shape/copying ops (cat, stack,
// split, chunk, repeat, tril, triu, flip, roll, pad, topk, sort, argsort),
// with PyTorch 1.13 semantics on the CPU.
//
// Example:
//   using namespace tch;
//   Tensor x = arange(0, 12, 1, DType::kFloat32).view({3, 4});
//   Tensor rows = index_select(x, 0, from_vector<int64_t>({2, 0}));  // [2, 4]
//   Tensor y = cat({x, rows}, 0);                                    // [5, 4]
//   auto [values, indices] = topk(x, 2, /*dim=*/1);                   // [3, 2]
//   Tensor counts = zeros({3});
//   scatter_add_(counts, 0, from_vector<int64_t>({1, 1, 2}), ones({3}));
//
// Note [Index checking]
// Every index read from an index tensor is checked against the size of the
// dimension it addresses before any memory is touched through it; a bad one
// raises IndexError "<op>(): index 5 is out of bounds for dimension 0 with
// size 3". Negative indices are rejected by every op here, as in PyTorch
// (index_select, gather, scatter*, index_add). In-place ops may have written
// some elements before the error, as PyTorch's do.
//
// Note [Deterministic scatter]
// scatter, scatter_add and index_add process the entries of one output
// element in index order on one thread: work is split over the positions
// outside `dim`, or, when those are fewer than the threads and the output is
// large (>= 2^18 elements), each thread owns a range of output rows and skips
// indices outside it. Results are therefore bitwise identical to a
// sequential loop for any thread count (duplicate indices in scatter: the
// last write along `dim` wins).
//
// In-place ops (trailing underscore) write through `self`, which may be a
// view, and bump its storage's version counter (Note [Version counter]).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "torch/core/elementwise.h"
#include "torch/core/scalar.h"
#include "torch/core/tensor.h"

namespace tch {

// --- Indexing ----------------------------------------------------------------

// The slices of `self` along `dim` picked by `index` (1-D or 0-D, int64 or
// int32): the result has self's shape with size(dim) = index.numel(). For a
// 0-D self, `index` must hold exactly one 0.
// Errors: IndexError for a bad dim or an index outside [0, self.size(dim));
// ValueError for an index that is not a vector or not int32/int64.
Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index);

// out[i][j][k] = self[index[i][j][k]][j][k] (for dim 0; likewise for other
// dims). `index` is int64 with self's number of dims and
// index.size(d) <= self.size(d) for d != dim; the result has index's shape
// and self's dtype.
// Errors: IndexError for an index outside [0, self.size(dim)); ValueError for
// mismatched dims or shapes, or a non-int64 index.
Tensor gather(const Tensor& self, int64_t dim, const Tensor& index);

// self[index[i][j]][j] = src[i][j] (dim 0). `index` is int64 with
// index.size(d) <= src.size(d) for every d and <= self.size(d) for d != dim;
// src has self's dtype. The scalar form writes `value` (converted to self's
// dtype). With duplicate indices the last one along `dim` wins.
// Errors: as for gather, plus ValueError when src's dtype differs from self's.
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index,
               const Tensor& src);
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index,
               const Scalar& value);
const Tensor& scatter_(const Tensor& self, int64_t dim, const Tensor& index,
                       const Tensor& src);
const Tensor& scatter_(const Tensor& self, int64_t dim, const Tensor& index,
                       const Scalar& value);

// self[index[i][j]][j] += src[i][j] (dim 0), summing duplicates in index
// order (see Note [Deterministic scatter]). Shapes and errors as scatter.
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index,
                   const Tensor& src);
const Tensor& scatter_add_(const Tensor& self, int64_t dim, const Tensor& index,
                           const Tensor& src);

// For each i: self.select(dim, index[i]) += alpha * source.select(dim, i).
// `index` is a vector (int64 or int32) of source.size(dim) entries; source
// has self's dtype and self's shape except in `dim`. alpha is converted to
// self's dtype (as PyTorch does: 2.5 acts as 2 for integer tensors).
// Errors: IndexError for an index outside [0, self.size(dim)); ValueError
// for dtype or shape mismatches.
Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index,
                 const Tensor& source, const Scalar& alpha = 1);
const Tensor& index_add_(const Tensor& self, int64_t dim, const Tensor& index,
                         const Tensor& source, const Scalar& alpha = 1);

// Elements of self where `mask` (bool, or uint8 as PyTorch still accepts) is
// true are replaced by `value`, converted to self's dtype. The out-of-place
// form broadcasts self and mask together; the in-place form requires mask to
// broadcast to self's shape. A tensor value must be 0-D.
// Errors: ValueError for non-broadcastable shapes, a bad mask dtype or a
// value tensor with dims.
Tensor masked_fill(const Tensor& self, const Tensor& mask, const Scalar& value);
Tensor masked_fill(const Tensor& self, const Tensor& mask, const Tensor& value);
const Tensor& masked_fill_(const Tensor& self, const Tensor& mask,
                           const Scalar& value);
const Tensor& masked_fill_(const Tensor& self, const Tensor& mask,
                           const Tensor& value);

// A 1-D tensor of the elements of self where `mask` (bool or uint8) is true,
// after broadcasting both, in row-major order.
Tensor masked_select(const Tensor& self, const Tensor& mask);

// int64 tensor of shape self.shape + [num_classes] with a 1 at each class of
// `self` (int64). num_classes = -1 uses max(self) + 1.
// Errors: ValueError for a non-int64 input, or for -1 with an empty input;
// IndexError for a class < 0 or >= num_classes.
Tensor one_hot(const Tensor& self, int64_t num_classes = -1);

// --- Shape and copying -------------------------------------------------------

// Concatenation along `dim` (wrapped against the first input that is not
// skipped). The result dtype promotes over all inputs. Legacy rule: 1-D
// tensors of size 0 are skipped whatever the other shapes are; if all are
// skipped, the result is an empty 1-D tensor.
// Errors: ValueError for an empty list, 0-D inputs, differing ranks or sizes
// outside `dim`; IndexError for a bad dim.
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);

// Stacks equally shaped tensors along a new dim in [-(ndim+1), ndim].
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);

// Views of self along `dim` of `split_size` elements each (the last may be
// shorter), or of the given sizes (which must sum to self.size(dim)).
// split_size 0 is allowed only when size(dim) is 0.
std::vector<Tensor> split(const Tensor& self, int64_t split_size,
                          int64_t dim = 0);
std::vector<Tensor> split(const Tensor& self, IntList split_sizes,
                          int64_t dim = 0);
// `chunks` (>= 1) views of ceil(size / chunks) elements (fewer may result).
std::vector<Tensor> chunk(const Tensor& self, int64_t chunks, int64_t dim = 0);

// Tiles self: the result has shape repeats[i] * padded_self_shape[i], where
// self's shape is padded with leading 1s to repeats.size() dims.
// Errors: ValueError when repeats has fewer entries than self.dim() or a
// negative entry.
Tensor repeat(const Tensor& self, IntList repeats);

// Lower / upper triangle of the last two dims (batched over the others):
// elements with col - row > diagonal (tril) or < diagonal (triu) are zeroed.
// Errors: ValueError for inputs with fewer than 2 dims.
Tensor tril(const Tensor& self, int64_t diagonal = 0);
Tensor triu(const Tensor& self, int64_t diagonal = 0);

// Reverses the order of elements along each of `dims` (a copy).
// Errors: IndexError for a bad dim; ValueError for a repeated dim.
Tensor flip(const Tensor& self, IntList dims);

// Rotates elements along `dims` by `shifts` (which must align with dims);
// with no dims, rolls the flattened tensor by the single shift and restores
// the shape.
Tensor roll(const Tensor& self, IntList shifts, IntList dims = {});

// Constant padding in PyTorch order: pads = {last_left, last_right,
// second_last_left, ...}; negative pads crop. `value` is converted to self's
// dtype.
// Errors: ValueError for an odd pads length, more pairs than dims, or a
// negative resulting size.
Tensor pad(const Tensor& self, IntList pads, const Scalar& value = 0);

// The k largest (or smallest) elements along `dim` and their int64 indices,
// ordered like PyTorch 1.13's CPU kernel (NaN counts as larger than every
// number; sorted=false keeps the selection order). Not for float16 or bool
// (as in PyTorch 1.13).
// Errors: ValueError for k outside [0, size(dim)]; IndexError for a bad dim.
std::pair<Tensor, Tensor> topk(const Tensor& self, int64_t k, int64_t dim = -1,
                               bool largest = true, bool sorted = true);

// Stable sort along `dim` (NaN sorts as the largest value): returns sorted
// values and the int64 indices they came from. argsort returns the indices.
std::pair<Tensor, Tensor> sort(const Tensor& self, int64_t dim = -1,
                               bool descending = false);
Tensor argsort(const Tensor& self, int64_t dim = -1, bool descending = false);

// --- Kernel plans (host-side descriptions handed to kernels) -----------------

// gather / index_select: an elementwise walk over the output.
// iter operands: 0 = output, 1 = self restrided with stride 0 along `dim`,
// 2 = index (int64 or int32) broadcast to the output's shape. The kernel
// reads self at operand 1 + index * self_dim_stride (bytes), after checking
// 0 <= index < dim_size.
struct GatherPlan {
  ElementwisePlan iter;
  int64_t self_dim_stride = 0;  // bytes
  int64_t dim_size = 0;
  int64_t dim = 0;
  const char* op = "";
};
using GatherKernel = void(const GatherPlan& plan);

// scatter / scatter_add / index_add: an elementwise walk over the positions
// outside `dim` (the iteration shape has size 1 in `dim`), with an inner
// loop of `dim_len` steps along `dim` per position.
// iter operands: 0 = self at the position (written), 1 = index, 2 = src (or
// operand 1 again when `has_src` is false). At step j the kernel reads
// index at operand 1 + j * dim_strides[1] and src at operand 2 +
// j * dim_strides[2], checks the index value v against dim_size, and updates
// self at operand 0 + v * self_dim_stride (all bytes).
enum class ScatterMode : uint8_t { kAssign, kAdd };
struct ScatterPlan {
  ElementwisePlan iter;
  int64_t dim_len = 0;
  int64_t dim_strides[3] = {};
  int64_t self_dim_stride = 0;
  int64_t dim_size = 0;
  int64_t dim = 0;
  ScatterMode mode = ScatterMode::kAssign;
  bool has_src = true;
  Scalar value;  // written when !has_src
  Scalar alpha;  // src multiplier for kAdd (index_add)
  const char* op = "";
};
using ScatterKernel = void(const ScatterPlan& plan);

// masked_fill: in place, iter operands are 0 = self (written) and 1 = mask
// (1-byte, bool or uint8); out of place, 0 = out, 1 = self, 2 = mask.
// args[0] = value.
using MaskedFillKernel = void(const ElementwisePlan& plan);

// masked_select in two passes over iter (operand 0 = self broadcast, read;
// operand 1 = mask) cut into `num_chunks` chunks of `chunk_size` positions.
// Pass 1 (out == nullptr) writes each chunk's count of true mask values to
// counts[c]; pass 2 receives exclusive prefix sums in counts[c] and writes
// the selected elements to the contiguous `out`.
using MaskedSelectKernel = void(const ElementwisePlan& iter, int64_t chunk_size,
                                int64_t num_chunks, int64_t* counts, void* out);

// one_hot over a contiguous int64 input of n values: with out == nullptr,
// stores min and max of the input in min_max[0..1]; otherwise zero-fills
// out (n * num_classes int64) and sets out[i * num_classes + in[i]] = 1.
using OneHotKernel = void(const int64_t* in, int64_t n, int64_t num_classes,
                          int64_t* out, int64_t* min_max);

// cat of contiguous inputs with the output's dtype: the output is `outer`
// rows of out_row_bytes; input i contributes row_bytes[i] bytes at byte
// column col_offset[i] of every row.
struct CatPlan {
  char* out = nullptr;
  int64_t outer = 0;
  int64_t out_row_bytes = 0;
  std::vector<const char*> data;
  std::vector<int64_t> row_bytes;
  std::vector<int64_t> col_offset;
};
using CatKernel = void(const CatPlan& plan);

// Row-wise plans for repeat, tril/triu, flip and pad: contiguous input and
// output viewed as rows of their last dim.
inline constexpr int kMaxIndexDims = 16;
struct RowCopyPlan {
  const char* in = nullptr;
  char* out = nullptr;
  int ndim = 0;  // dims of in and out (same count)
  int64_t in_sizes[kMaxIndexDims] = {};
  int64_t out_sizes[kMaxIndexDims] = {};
  int64_t element_size = 0;
  // repeat: out_sizes = in_sizes * repeats.  pad: per-dim left pad
  // (negative crops).  tril/triu: diagonal and upper.  flip: flip[d].
  int64_t pad_before[kMaxIndexDims] = {};
  bool flip[kMaxIndexDims] = {};
  int64_t diagonal = 0;
  bool upper = false;
  Scalar value;  // pad value
};
using RowCopyKernel = void(const RowCopyPlan& plan);

// sort / topk along one dim. Rows are the positions outside `dim`
// (odometer over `sizes`, element strides per operand: 0 = input, 1 =
// values, 2 = indices int64); along `dim`, input has in_len elements at
// dim_strides[0], outputs out_len at dim_strides[1], dim_strides[2].
struct SortPlan {
  int ndim = 0;
  int64_t sizes[kMaxIndexDims] = {};
  int64_t strides[3][kMaxIndexDims] = {};
  int64_t dim_strides[3] = {};
  char* data[3] = {};
  int64_t in_len = 0;
  int64_t out_len = 0;      // k for topk; in_len for sort
  bool descending = false;  // sort: descending; topk: largest
  bool sorted = true;       // topk only
  bool write_values = true;
};
using SortKernel = void(const SortPlan& plan);

}  // namespace tch
