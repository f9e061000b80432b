#include "torch/core/device.h"

#include <array>
#include <charconv>

#include "torch/core/error.h"

namespace tch {

std::string_view DeviceTypeName(DeviceType type) {
  return type == DeviceType::kCpu ? "cpu" : "cuda";
}

Device Device::Parse(std::string_view text) {
  if (text == "cpu") return kCpu;
  if (text == "cuda") return Device{DeviceType::kCuda, 0};
  constexpr std::string_view kCudaPrefix = "cuda:";
  if (text.starts_with(kCudaPrefix)) {
    const std::string_view digits = text.substr(kCudaPrefix.size());
    int index = -1;
    const auto [end, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (ec == std::errc() && end == digits.data() + digits.size() &&
        !digits.empty() && index >= 0) {
      return Device{DeviceType::kCuda, index};
    }
  }
  throw ValueError(detail::StrCat("invalid device '", text,
                                  "'; expected 'cpu', 'cuda' or 'cuda:N'"));
}

std::string Device::str() const {
  if (is_cpu()) return "cpu";
  return detail::StrCat("cuda:", index);
}

std::ostream& operator<<(std::ostream& out, const Device& device) {
  return out << device.str();
}

namespace {

std::array<const DeviceBackend*, kNumDeviceTypes>& Backends() {
  static std::array<const DeviceBackend*, kNumDeviceTypes> backends{};
  return backends;
}

}  // namespace

void RegisterDeviceBackend(DeviceType type, const DeviceBackend* backend) {
  auto& slot = Backends()[static_cast<int>(type)];
  TCH_INTERNAL_ASSERT(slot == nullptr, "device backend for ",
                      DeviceTypeName(type), " registered twice");
  slot = backend;
}

const DeviceBackend* GetDeviceBackend(DeviceType type) {
  return Backends()[static_cast<int>(type)];
}

void CheckDeviceAvailable(const Device& device) {
  if (device.is_cpu()) return;
  const DeviceBackend* backend = GetDeviceBackend(device.type);
  TCH_CHECK_T(NotImplementedError, backend != nullptr, "device ", device,
              " requested, but this build of tch has no ",
              DeviceTypeName(device.type),
              " support (rebuild with --config=cuda)");
  const int count = backend->DeviceCount();
  TCH_CHECK_T(NotImplementedError, device.index < count, "device ", device,
              " requested, but ", count, " ", DeviceTypeName(device.type),
              " device(s) are available",
              count == 0 ? " (" + backend->Unavailable() + ")" : "");
}

}  // namespace tch
