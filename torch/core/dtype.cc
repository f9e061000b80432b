#include "torch/core/dtype.h"

#include <algorithm>

namespace tch {

int64_t ElementSize(DType dtype) {
  return VisitDType(
      dtype, []<typename T>() { return static_cast<int64_t>(sizeof(T)); });
}

std::string_view DTypeName(DType dtype) {
  switch (dtype) {
#define TCH_DTYPE_NAME(e, T, name, short_name) \
  case DType::e:                               \
    return name;
    TCH_FORALL_DTYPES(TCH_DTYPE_NAME)
#undef TCH_DTYPE_NAME
  }
  return "unknown";
}

DType ParseDType(std::string_view name) {
#define TCH_DTYPE_PARSE(e, T, dtype_name, short_name) \
  if (name == dtype_name) return DType::e;
  TCH_FORALL_DTYPES(TCH_DTYPE_PARSE)
#undef TCH_DTYPE_PARSE
  // PyTorch's aliases.
  if (name == "float") return DType::kFloat32;
  if (name == "double") return DType::kFloat64;
  if (name == "half") return DType::kFloat16;
  if (name == "long") return DType::kInt64;
  if (name == "int") return DType::kInt32;
  std::string valid;
#define TCH_DTYPE_LIST(e, T, dtype_name, short_name) \
  valid += valid.empty() ? "" : ", ";                \
  valid += dtype_name;
  TCH_FORALL_DTYPES(TCH_DTYPE_LIST)
#undef TCH_DTYPE_LIST
  throw ValueError(
      detail::StrCat("unknown dtype '", name, "'; expected one of: ", valid));
}

std::ostream& operator<<(std::ostream& out, DType dtype) {
  return out << DTypeName(dtype);
}

DTypeCategory CategoryOf(DType dtype) {
  switch (dtype) {
    case DType::kBool:
      return DTypeCategory::kBool;
    case DType::kUInt8:
    case DType::kInt32:
    case DType::kInt64:
      return DTypeCategory::kIntegral;
    case DType::kFloat16:
    case DType::kBFloat16:
    case DType::kFloat32:
    case DType::kFloat64:
      return DTypeCategory::kFloating;
  }
  TCH_INTERNAL_ASSERT(false, "unknown dtype");
  return DTypeCategory::kBool;
}

namespace {

// Rank within the integral category: a wider signed type holds every value
// of the narrower ones (uint8 fits in int32).
int IntegralRank(DType dtype) {
  switch (dtype) {
    case DType::kUInt8:
      return 0;
    case DType::kInt32:
      return 1;
    default:
      return 2;  // int64
  }
}

}  // namespace

DType PromoteTypes(DType a, DType b) {
  if (a == b) return a;
  const DTypeCategory ca = CategoryOf(a);
  const DTypeCategory cb = CategoryOf(b);
  if (ca != cb) return ca > cb ? a : b;  // the higher category wins whole
  if (ca == DTypeCategory::kIntegral) {
    return IntegralRank(a) >= IntegralRank(b) ? a : b;
  }
  // Both floating and different.
  const bool a16 = a == DType::kFloat16 || a == DType::kBFloat16;
  const bool b16 = b == DType::kFloat16 || b == DType::kBFloat16;
  if (a16 && b16) return DType::kFloat32;  // float16 + bfloat16
  if (a16) return b;
  if (b16) return a;
  return DType::kFloat64;  // float32 + float64
}

}  // namespace tch
