// File: torch/core/dispatch.h
//
// The kernel registry: one table from (op, device type, dtype) to a kernel
// function. Kernel libraries (torch/kernels/cpu, torch/kernels/cuda) register
// themselves at static-initialization time; core looks kernels up and never
// includes a kernel header.
//
// Each op family declares its kernel signature in a core header (see
// elementwise.h). Registering and calling:
//
//   // torch/kernels/cpu/binary_kernels.cc
//   static const tch::KernelRegistrar kAddCpu(
//       "add", tch::DeviceType::kCpu, tch::AllDTypes(), &AddKernel);
//
//   // torch/core/ops.cc
//   static const tch::Op kAdd("add");
//   kAdd.Get<BinaryKernel>(device, dtype)(plan);
//
// A missing (op, device, dtype) entry raises NotImplementedError naming all
// three, which is how unsupported combinations surface to users.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "torch/core/device.h"
#include "torch/core/dtype.h"

namespace tch {

using KernelFn = void (*)();  // type-erased; cast back by Op::Get<Fn>

// A handle to one op's row of the registry. Construct once (as a static) and
// reuse: lookups are then two array indexings.
class Op {
 public:
  explicit Op(std::string_view name);

  const std::string& name() const;

  // The kernel registered for (device, dtype), cast to `Fn`. Throws
  // NotImplementedError when there is none.
  template <typename Fn>
  Fn* Get(DeviceType device, DType dtype) const {
    return reinterpret_cast<Fn*>(Lookup(device, dtype));
  }

  // True when a kernel exists for (device, dtype).
  bool Has(DeviceType device, DType dtype) const;

 private:
  KernelFn Lookup(DeviceType device, DType dtype) const;
  int id_;
};

// Registers `fn` for `op` on `device` for each dtype in `dtypes`.
// Registering the same (op, device, dtype) twice is an internal error.
class KernelRegistrar {
 public:
  template <typename Fn>
  KernelRegistrar(std::string_view op, DeviceType device,
                  std::initializer_list<DType> dtypes, Fn* fn) {
    Register(op, device, std::vector<DType>(dtypes),
             reinterpret_cast<KernelFn>(fn));
  }
  template <typename Fn>
  KernelRegistrar(std::string_view op, DeviceType device,
                  const std::vector<DType>& dtypes, Fn* fn) {
    Register(op, device, dtypes, reinterpret_cast<KernelFn>(fn));
  }

 private:
  static void Register(std::string_view op, DeviceType device,
                       const std::vector<DType>& dtypes, KernelFn fn);
};

// Common dtype sets for registration.
std::vector<DType> AllDTypes();
std::vector<DType> FloatingDTypes();  // f32 f64 f16 bf16
std::vector<DType> NumericDTypes();   // all but bool

// Every registered op name with, per device, the dtypes it supports; for
// `tch info` and tests.
struct OpSupport {
  std::string op;
  std::vector<DType> dtypes[kNumDeviceTypes];
};
std::vector<OpSupport> ListRegisteredOps();

}  // namespace tch
