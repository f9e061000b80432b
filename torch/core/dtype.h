// File: torch/core/dtype.h
//
// Element types of tensors, their C++ types, and PyTorch's type-promotion
// rules. `TCH_FORALL_DTYPES` is the one list of dtypes in the code base:
// everything that enumerates dtypes expands it, nothing repeats it.
//
// Kernels pick a C++ type at run time with `VisitDType`:
//   VisitDType(t.dtype(), [&]<typename T>() { Fill(t.data_ptr<T>(), ...); });
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "torch/core/error.h"
#include "torch/core/half.h"

namespace tch {

// X-macro: _(enumerator, C++ type, name as PyTorch prints it, short name)
#define TCH_FORALL_DTYPES(_)                 \
  _(kFloat32, float, "float32", "F32")       \
  _(kFloat64, double, "float64", "F64")      \
  _(kFloat16, Float16, "float16", "F16")     \
  _(kBFloat16, BFloat16, "bfloat16", "BF16") \
  _(kInt64, int64_t, "int64", "I64")         \
  _(kInt32, int32_t, "int32", "I32")         \
  _(kUInt8, uint8_t, "uint8", "U8")          \
  _(kBool, bool, "bool", "BOOL")

enum class DType : uint8_t {
#define TCH_DTYPE_ENUM(e, T, name, short_name) e,
  TCH_FORALL_DTYPES(TCH_DTYPE_ENUM)
#undef TCH_DTYPE_ENUM
};

inline constexpr int kNumDTypes = 0
#define TCH_DTYPE_COUNT(e, T, name, short_name) +1
    TCH_FORALL_DTYPES(TCH_DTYPE_COUNT)
#undef TCH_DTYPE_COUNT
    ;

// The DType of a C++ element type, e.g. DTypeOf<float>() == DType::kFloat32.
template <typename T>
constexpr DType DTypeOf();
#define TCH_DTYPE_OF(e, T, name, short_name) \
  template <>                                \
  constexpr DType DTypeOf<T>() {             \
    return DType::e;                         \
  }
TCH_FORALL_DTYPES(TCH_DTYPE_OF)
#undef TCH_DTYPE_OF

// Bytes per element.
int64_t ElementSize(DType dtype);

// PyTorch's name: "float32", "int64", ...
std::string_view DTypeName(DType dtype);

// Parses a PyTorch name ("float32", also "float", "double", "half", "long",
// "int"). Throws ValueError listing the valid names.
DType ParseDType(std::string_view name);

std::ostream& operator<<(std::ostream& out, DType dtype);

// Type categories, ordered as PyTorch orders them for promotion.
enum class DTypeCategory : uint8_t { kBool = 0, kIntegral = 1, kFloating = 2 };
DTypeCategory CategoryOf(DType dtype);
inline bool IsFloatingPoint(DType dtype) {
  return CategoryOf(dtype) == DTypeCategory::kFloating;
}
inline bool IsIntegral(DType dtype, bool include_bool) {
  const DTypeCategory c = CategoryOf(dtype);
  return c == DTypeCategory::kIntegral ||
         (include_bool && c == DTypeCategory::kBool);
}

// The smallest dtype both `a` and `b` convert to without losing their
// category, following torch.promote_types (e.g. uint8+int32 -> int32,
// float16+bfloat16 -> float32, int64+float16 -> float16).
DType PromoteTypes(DType a, DType b);

// Calls `visitor.template operator()<T>()` with T the C++ type of `dtype` and
// returns its result. Use with a templated lambda: [&]<typename T>() {...}.
template <typename Visitor>
decltype(auto) VisitDType(DType dtype, Visitor&& visitor) {
  switch (dtype) {
#define TCH_DTYPE_CASE(e, T, name, short_name) \
  case DType::e:                               \
    return visitor.template operator()<T>();
    TCH_FORALL_DTYPES(TCH_DTYPE_CASE)
#undef TCH_DTYPE_CASE
  }
  TCH_INTERNAL_ASSERT(false, "unknown dtype ", static_cast<int>(dtype));
  return visitor.template operator()<float>();  // unreachable
}

}  // namespace tch
