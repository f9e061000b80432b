// File: torch/core/storage.h
//
// Allocator: the one-method-pair interface through which every byte of tensor
// memory is obtained, one per device type. Storage: a reference-counted block
// of bytes on one device, shared by a tensor and all of its views.
//
// The version counter lives on the Storage: every in-place write to any view
// bumps it, and autograd compares it with the value it saw when it saved a
// tensor (see Note [Version counter] in tensor.h).
//
// Example:
//   tch::Storage s = tch::Storage::Allocate(1024, tch::kCpu);
//   std::memset(s.data(), 0, s.nbytes());
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "torch/core/device.h"

namespace tch {

class Allocator {
 public:
  virtual ~Allocator() = default;
  // Returns `nbytes` of memory aligned to at least 64 bytes, or throws
  // tch::Error naming the device and size when memory is exhausted.
  // `nbytes == 0` may return nullptr.
  virtual void* Allocate(size_t nbytes, int device_index) = 0;
  // Releases memory returned by Allocate on the same device.
  virtual void Free(void* ptr, int device_index) noexcept = 0;
};

// Registers the allocator for a device type (backends do this statically).
void RegisterAllocator(DeviceType type, Allocator* allocator);

// The allocator for `device`, after CheckDeviceAvailable(device).
Allocator* GetAllocator(const Device& device);

class Storage {
 public:
  Storage() = default;

  // A new, uninitialized block of `nbytes` on `device`.
  static Storage Allocate(size_t nbytes, const Device& device);

  // Wraps memory owned elsewhere (for example a memory-mapped file). The
  // deleter runs when the last reference goes away; it may be empty.
  static Storage Wrap(void* data, size_t nbytes, const Device& device,
                      std::shared_ptr<void> owner);

  bool defined() const { return impl_ != nullptr; }
  void* data() const { return impl_->data; }
  size_t nbytes() const { return impl_->nbytes; }
  const Device& device() const { return impl_->device; }

  // In-place writes call BumpVersion(); autograd reads version().
  uint32_t version() const {
    return impl_->version.load(std::memory_order_relaxed);
  }
  void BumpVersion() const {
    impl_->version.fetch_add(1, std::memory_order_relaxed);
  }

  // True when both handles share one block.
  bool SameAs(const Storage& other) const { return impl_ == other.impl_; }

 private:
  struct Impl {
    void* data = nullptr;
    size_t nbytes = 0;
    Device device;
    Allocator* allocator = nullptr;  // set when tch allocated `data`
    std::shared_ptr<void> owner;     // set when `data` is borrowed
    std::atomic<uint32_t> version{0};
    ~Impl();
  };
  std::shared_ptr<Impl> impl_;
};

}  // namespace tch
