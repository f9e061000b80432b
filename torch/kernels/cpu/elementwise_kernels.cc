// CPU kernels for fill, copy (with dtype conversion), arange and the four
// arithmetic ops. Registered into core's dispatch table at load time; this
// library is linked with alwayslink so the registrations are never dropped.
#include <type_traits>

#include "torch/core/dispatch.h"
#include "torch/core/elementwise.h"
#include "torch/kernels/cpu/loops.h"

namespace tch::cpu {
namespace {

template <typename T>
void FillKernel(const ElementwisePlan& plan) {
  const T value = plan.args[0].to<T>();
  NullaryLoop<T>(plan, [value] { return value; });
}

// Converts one element between any two dtypes, as static_cast would, via
// float for the 16-bit types and with bool as "!= 0".
template <typename To, typename From>
To Convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return static_cast<OpMath<From>>(v) != OpMath<From>(0);
  } else if constexpr (std::is_same_v<From, Float16> ||
                       std::is_same_v<From, BFloat16>) {
    return static_cast<To>(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, Float16> ||
                       std::is_same_v<To, BFloat16>) {
    return To(static_cast<float>(v));
  } else {
    return static_cast<To>(v);
  }
}

template <typename Out>
void CopyKernel(const ElementwisePlan& plan) {
  VisitDType(plan.dtypes[1], [&]<typename In>() {
    UnaryLoop<Out, In>(plan, [](In v) { return Convert<Out>(v); });
  });
}

template <typename T>
void ArangeKernel(const ElementwisePlan& plan) {
  // Computed in double from the index, so long ranges do not drift.
  const double start = plan.args[0].to<double>();
  const double step = plan.args[1].to<double>();
  T* out = reinterpret_cast<T*>(plan.data[0]);
  for (int64_t i = 0; i < plan.numel; ++i) {
    out[i] = T(static_cast<OpMath<T>>(start + static_cast<double>(i) * step));
  }
}

template <typename T>
void AddKernel(const ElementwisePlan& plan) {
  using M = OpMath<T>;
  const M alpha = plan.args[0].to<M>();
  if (alpha == M(1)) {
    BinaryLoop<T>(plan, [](M a, M b) { return static_cast<M>(a + b); });
  } else {
    BinaryLoop<T>(plan, [alpha](M a, M b) {
      return static_cast<M>(a + alpha * b);
    });
  }
}

template <typename T>
void SubKernel(const ElementwisePlan& plan) {
  using M = OpMath<T>;
  const M alpha = plan.args[0].to<M>();
  BinaryLoop<T>(plan, [alpha](M a, M b) {
    return static_cast<M>(a - alpha * b);
  });
}

template <typename T>
void MulKernel(const ElementwisePlan& plan) {
  using M = OpMath<T>;
  if constexpr (std::is_same_v<T, bool>) {
    BinaryLoop<T>(plan, [](bool a, bool b) { return a && b; });
  } else {
    BinaryLoop<T>(plan, [](M a, M b) { return static_cast<M>(a * b); });
  }
}

template <typename T>
void DivKernel(const ElementwisePlan& plan) {
  using M = OpMath<T>;
  BinaryLoop<T>(plan, [](M a, M b) { return static_cast<M>(a / b); });
}

// Registers pick.operator()<T>() (a kernel pointer) for each dtype.
template <typename Pick>
void RegisterEach(const char* op, const std::vector<DType>& dtypes, Pick pick) {
  for (DType dtype : dtypes) {
    VisitDType(dtype, [&]<typename T>() {
      KernelRegistrar(op, DeviceType::kCpu, {dtype},
                      pick.template operator()<T>());
    });
  }
}

[[maybe_unused]] const bool kRegistered = [] {
  RegisterEach("fill", AllDTypes(), []<typename T>() { return &FillKernel<T>; });
  RegisterEach("copy", AllDTypes(), []<typename T>() { return &CopyKernel<T>; });
  RegisterEach("arange", NumericDTypes(),
               []<typename T>() { return &ArangeKernel<T>; });
  RegisterEach("add", AllDTypes(), []<typename T>() { return &AddKernel<T>; });
  RegisterEach("sub", NumericDTypes(), []<typename T>() { return &SubKernel<T>; });
  RegisterEach("mul", AllDTypes(), []<typename T>() { return &MulKernel<T>; });
  RegisterEach("div", FloatingDTypes(),
               []<typename T>() { return &DivKernel<T>; });
  return true;
}();

}  // namespace
}  // namespace tch::cpu
