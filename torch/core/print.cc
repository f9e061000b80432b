// Tensor::ToString: PyTorch's repr, simplified. Floats share one format per
// tensor (integers as "1.", fixed with 4 decimals, or scientific when the
// magnitudes span more than 1e3 or leave [1e-4, 1e8)); tensors with more than
// 1000 elements show the first and last 3 entries of each dim around "...".
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "torch/core/tensor.h"

namespace tch {
namespace {

constexpr int64_t kSummarizeThreshold = 1000;
constexpr int64_t kEdgeItems = 3;

struct Formatter {
  bool floating = false;
  bool integer_valued = true;
  bool scientific = false;
  bool is_bool = false;

  std::string Format(double v) const {
    char buf[64];
    if (is_bool) return v != 0 ? "True" : "False";
    if (!floating) {
      std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(v));
      return buf;
    }
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    if (scientific) {
      std::snprintf(buf, sizeof(buf), "%.4e", v);
    } else if (integer_valued) {
      std::snprintf(buf, sizeof(buf), "%.0f.", v);
    } else {
      std::snprintf(buf, sizeof(buf), "%.4f", v);
    }
    return buf;
  }
};

// Row-major element indices that will be printed (all, or the edges).
void VisibleIndices(const Shape& sizes, bool summarize, int64_t dim,
                    int64_t base, const Shape& strides,
                    std::vector<int64_t>* out) {
  if (dim == static_cast<int64_t>(sizes.size())) {
    out->push_back(base);
    return;
  }
  const int64_t n = sizes[dim];
  for (int64_t i = 0; i < n; ++i) {
    if (summarize && n > 2 * kEdgeItems && i == kEdgeItems) i = n - kEdgeItems;
    VisibleIndices(sizes, summarize, dim + 1, base + i * strides[dim], strides,
                   out);
  }
}

constexpr size_t kLineWidth = 80;

// Appends the elements of one row (the innermost dim), wrapped at 80
// columns the way PyTorch's _vector_str wraps them.
void RenderRow(const std::vector<double>& values, int64_t n, int64_t stride,
               bool summarize, const Formatter& fmt, size_t width, int64_t base,
               int indent, std::string* out) {
  std::vector<std::string> items;
  for (int64_t i = 0; i < n; ++i) {
    if (summarize && n > 2 * kEdgeItems && i == kEdgeItems) {
      items.push_back(" ...");
      i = n - kEdgeItems;
    }
    std::string s = fmt.Format(values[base + i * stride]);
    items.push_back(std::string(width - std::min(width, s.size()), ' ') + s);
  }
  const size_t per_line = std::max<size_t>(
      1, (kLineWidth - std::min<size_t>(kLineWidth, indent)) / (width + 2));
  out->push_back('[');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      out->append(i % per_line == 0 ? ",\n" + std::string(indent + 1, ' ')
                                    : ", ");
    }
    out->append(items[i]);
  }
  out->push_back(']');
}

void Render(const std::vector<double>& values, const Shape& sizes,
            const Shape& strides, bool summarize, const Formatter& fmt,
            size_t width, int64_t dim, int64_t base, int indent,
            std::string* out) {
  const int64_t ndim = static_cast<int64_t>(sizes.size());
  if (dim == ndim - 1) {
    RenderRow(values, sizes[dim], strides[dim], summarize, fmt, width, base,
              indent, out);
    return;
  }
  out->push_back('[');
  const int64_t n = sizes[dim];
  const std::string separator =
      "," + std::string(ndim - dim - 1, '\n') + std::string(indent + 1, ' ');
  for (int64_t i = 0; i < n; ++i) {
    if (i > 0) out->append(separator);
    if (summarize && n > 2 * kEdgeItems && i == kEdgeItems) {
      out->append("...");
      out->append(separator);
      i = n - kEdgeItems;
    }
    Render(values, sizes, strides, summarize, fmt, width, dim + 1,
           base + i * strides[dim], indent + 1, out);
  }
  out->push_back(']');
}

}  // namespace

std::string Tensor::ToString() const {
  if (!defined()) return "tensor(undefined)";
  const Tensor host = to(kCpu).contiguous();
  const std::vector<double> values = host.ToVector<double>();
  const bool summarize = numel() > kSummarizeThreshold;
  const Shape strides = ContiguousStrides(sizes());

  std::vector<int64_t> visible;
  if (numel() > 0) VisibleIndices(sizes(), summarize, 0, 0, strides, &visible);

  Formatter fmt;
  fmt.floating = IsFloatingPoint(dtype());
  fmt.is_bool = dtype() == DType::kBool;
  if (fmt.floating) {
    double lo = INFINITY, hi = 0;
    for (int64_t i : visible) {
      const double v = std::fabs(values[i]);
      if (!std::isfinite(v)) continue;
      if (v != std::floor(v)) fmt.integer_valued = false;
      if (v != 0) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    if (hi > 0) {
      fmt.scientific = hi / lo > 1000 || hi >= 1e8 || lo < 1e-4;
    }
  }
  // PyTorch sizes columns by the finite values only; nan/inf may overflow.
  size_t width = 0;
  for (int64_t i : visible) {
    if (!fmt.floating || std::isfinite(values[i])) {
      width = std::max(width, fmt.Format(values[i]).size());
    }
  }

  std::string out = "tensor(";
  if (numel() == 0) {
    out += "[]";
  } else if (dim() == 0) {
    out += fmt.Format(values[0]);
  } else {
    Render(values, sizes(), strides, summarize, fmt, width, 0, 0,
           static_cast<int>(std::string("tensor(").size()), &out);
  }
  if (numel() == 0 && dim() != 1) {
    std::string size = "(";
    for (int64_t i = 0; i < dim(); ++i) {
      size += (i > 0 ? ", " : "") + std::to_string(sizes()[i]);
    }
    out += ", size=" + size + ")";
  }
  if (!device().is_cpu()) out += ", device='" + device().str() + "'";
  const DType d = dtype();
  if (d != DType::kFloat32 && d != DType::kInt64 && d != DType::kBool) {
    out += ", dtype=tch.";
    out += DTypeName(d);
  }
  return out + ")";
}

}  // namespace tch
