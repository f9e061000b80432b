#include "torch/core/dispatch.h"

#include <array>
#include <deque>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "torch/core/error.h"

namespace tch {
namespace {

using KernelRow = std::array<std::array<KernelFn, kNumDTypes>, kNumDeviceTypes>;

// Op ids are dense indices into `rows`; a deque keeps row addresses stable
// while registration appends.
struct Registry {
  std::mutex mutex;
  absl::flat_hash_map<std::string, int> ids;
  std::deque<std::string> names;
  std::deque<KernelRow> rows;

  int Intern(std::string_view name) {
    std::lock_guard<std::mutex> lock(mutex);
    auto [it, inserted] =
        ids.try_emplace(std::string(name), static_cast<int>(names.size()));
    if (inserted) {
      names.emplace_back(name);
      rows.emplace_back();
      for (auto& per_device : rows.back()) per_device.fill(nullptr);
    }
    return it->second;
  }
};

Registry& GetRegistry() {
  static Registry* registry = new Registry();  // never destroyed: used by
  return *registry;                            // static destructors too
}

}  // namespace

Op::Op(std::string_view name) : id_(GetRegistry().Intern(name)) {}

const std::string& Op::name() const { return GetRegistry().names[id_]; }

bool Op::Has(DeviceType device, DType dtype) const {
  return GetRegistry()
             .rows[id_][static_cast<int>(device)][static_cast<int>(dtype)] !=
         nullptr;
}

KernelFn Op::Lookup(DeviceType device, DType dtype) const {
  const KernelFn fn =
      GetRegistry()
          .rows[id_][static_cast<int>(device)][static_cast<int>(dtype)];
  if (fn == nullptr) [[unlikely]] {
    std::string supported;
    for (DType d : AllDTypes()) {
      if (Has(device, d)) {
        supported += supported.empty() ? "" : ", ";
        supported += DTypeName(d);
      }
    }
    throw NotImplementedError(detail::StrCat(
        name(), ": no kernel for device '", DeviceTypeName(device),
        "' and dtype ", dtype, " (supported on ", DeviceTypeName(device), ": ",
        supported.empty() ? "none" : supported, ")"));
  }
  return fn;
}

void KernelRegistrar::Register(std::string_view op, DeviceType device,
                               const std::vector<DType>& dtypes, KernelFn fn) {
  Registry& registry = GetRegistry();
  const int id = registry.Intern(op);
  std::lock_guard<std::mutex> lock(registry.mutex);
  for (DType dtype : dtypes) {
    KernelFn& slot =
        registry.rows[id][static_cast<int>(device)][static_cast<int>(dtype)];
    TCH_INTERNAL_ASSERT(slot == nullptr, "kernel for (", op, ", ",
                        DeviceTypeName(device), ", ", dtype,
                        ") registered twice");
    slot = fn;
  }
}

std::vector<DType> AllDTypes() {
  std::vector<DType> all;
  for (int i = 0; i < kNumDTypes; ++i) all.push_back(static_cast<DType>(i));
  return all;
}

std::vector<DType> FloatingDTypes() {
  return {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kBFloat16};
}

std::vector<DType> NumericDTypes() {
  std::vector<DType> numeric;
  for (DType d : AllDTypes()) {
    if (d != DType::kBool) numeric.push_back(d);
  }
  return numeric;
}

std::vector<OpSupport> ListRegisteredOps() {
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  std::vector<OpSupport> ops;
  for (size_t id = 0; id < registry.names.size(); ++id) {
    OpSupport support{registry.names[id], {}};
    for (int device = 0; device < kNumDeviceTypes; ++device) {
      for (int dtype = 0; dtype < kNumDTypes; ++dtype) {
        if (registry.rows[id][device][dtype] != nullptr) {
          support.dtypes[device].push_back(static_cast<DType>(dtype));
        }
      }
    }
    ops.push_back(std::move(support));
  }
  return ops;
}

}  // namespace tch
