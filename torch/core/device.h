// File: torch/core/device.h
//
// Where a tensor's memory lives: the CPU or one CUDA GPU. Every API that makes
// or moves a tensor takes a Device, and dispatch keys on its type.
//
// Device backends (the CUDA library) register a `DeviceBackend` so that core
// can ask how many devices exist without naming a backend.
//
// Example:
//   tch::Device d = tch::Device::Parse("cuda:1");   // {kCuda, 1}
//   tch::Device cpu;                                 // {kCpu, 0}
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

namespace tch {

enum class DeviceType : uint8_t { kCpu = 0, kCuda = 1 };
inline constexpr int kNumDeviceTypes = 2;

std::string_view DeviceTypeName(DeviceType type);  // "cpu", "cuda"

struct Device {
  DeviceType type = DeviceType::kCpu;
  int index = 0;  // always 0 for the CPU

  // Parses "cpu", "cuda" (= cuda:0) or "cuda:N". Throws ValueError naming
  // the accepted forms.
  static Device Parse(std::string_view text);

  bool is_cpu() const { return type == DeviceType::kCpu; }
  bool is_cuda() const { return type == DeviceType::kCuda; }
  std::string str() const;  // "cpu", "cuda:0"

  friend bool operator==(const Device&, const Device&) = default;
};

inline constexpr Device kCpu{DeviceType::kCpu, 0};

std::ostream& operator<<(std::ostream& out, const Device& device);

// What core needs to know about a device type that a backend library
// provides. Registered once per type at static-initialization time.
class DeviceBackend {
 public:
  virtual ~DeviceBackend() = default;
  // Number of usable devices (0 when no driver or no GPU is present).
  virtual int DeviceCount() const = 0;
  // Human-readable description of device `index` (name, memory, capability).
  virtual std::string Describe(int index) const = 0;
  // Why DeviceCount() is 0, if it is (e.g. "no CUDA driver"); else "".
  virtual std::string Unavailable() const = 0;
};

// Registers the backend for `type`; the registry does not take ownership
// (backends are static objects). A second registration is an internal error.
void RegisterDeviceBackend(DeviceType type, const DeviceBackend* backend);

// The backend for `type`, or nullptr when none is linked in (for example
// CUDA in a CPU-only build).
const DeviceBackend* GetDeviceBackend(DeviceType type);

// Throws NotImplementedError unless `device` exists: its backend is linked in
// and its index is below the device count.
void CheckDeviceAvailable(const Device& device);

}  // namespace tch
