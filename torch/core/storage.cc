#include "torch/core/storage.h"

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "torch/core/error.h"

namespace tch {
namespace {

// 64-byte alignment: a cache line, and what AVX-512 loads want.
constexpr size_t kCpuAlignment = 64;

// Large blocks are 2 MiB-aligned and marked for transparent huge pages: with
// THP in "madvise" mode (Debian's default) first-touching a 64 MiB output
// drops from ~77 ms to ~24 ms, which dominates big out-of-place ops.
constexpr size_t kHugePage = size_t{2} << 20;

void* AllocateFresh(size_t rounded, size_t alignment, size_t nbytes) {
  void* ptr = std::aligned_alloc(alignment, rounded);
  TCH_CHECK_T(Error, ptr != nullptr, "cpu: out of memory allocating ", nbytes,
              " bytes");
  if (alignment == kHugePage) madvise(ptr, rounded, MADV_HUGEPAGE);
  return ptr;
}

// Blocks from 64 KiB up are cached after Free and handed out again for a
// request of the same size class, like PyTorch's CUDA caching allocator.
// Training allocates the same activation and gradient sizes every step;
// without the cache each step returns them to the OS and faults them back
// in, and the kernel's page zeroing (clear_page) took a quarter of a GPT
// training step. Size classes are 4 per power of two (at most 25% slack).
// At most `limit` bytes are kept idle (TCH_CPU_CACHE_MB, default 2048; 0
// disables the cache); beyond that, freed blocks go back to the system.
class CpuAllocator final : public Allocator {
 public:
  CpuAllocator() {
    if (const char* env = std::getenv("TCH_CPU_CACHE_MB")) {
      char* end = nullptr;
      const unsigned long long mb = std::strtoull(env, &end, 10);
      if (end != env && *end == '\0') cache_limit_ = size_t{mb} << 20;
    }
  }

  void* Allocate(size_t nbytes, int /*device_index*/) override {
    if (nbytes == 0) return nullptr;
    const size_t alignment = nbytes >= kHugePage ? kHugePage : kCpuAlignment;
    if (nbytes < kMinCached || cache_limit_ == 0) {
      const size_t rounded = (nbytes + alignment - 1) / alignment * alignment;
      return AllocateFresh(rounded, alignment, nbytes);
    }
    const size_t size_class = SizeClass(nbytes, alignment);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(size_class);
      if (it != free_.end() && !it->second.empty()) {
        void* ptr = it->second.back();
        it->second.pop_back();
        cached_bytes_ -= size_class;
        live_[ptr] = size_class;
        return ptr;
      }
    }
    void* ptr = AllocateFresh(size_class, alignment, nbytes);
    std::lock_guard<std::mutex> lock(mutex_);
    live_[ptr] = size_class;
    return ptr;
  }

  void Free(void* ptr, int /*device_index*/) noexcept override {
    if (ptr == nullptr) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = live_.find(ptr);
      if (it != live_.end()) {
        const size_t size_class = it->second;
        live_.erase(it);
        if (cached_bytes_ + size_class <= cache_limit_) {
          free_[size_class].push_back(ptr);
          cached_bytes_ += size_class;
          return;
        }
      }
    }
    std::free(ptr);
  }

 private:
  static constexpr size_t kMinCached = size_t{64} << 10;

  // nbytes rounded up to one of 4 classes per power of two, then to the
  // alignment.
  static size_t SizeClass(size_t nbytes, size_t alignment) {
    size_t power = 1;
    while (power * 2 <= nbytes) power *= 2;
    const size_t step = std::max<size_t>(power / 4, 1);
    size_t size_class = (nbytes + step - 1) / step * step;
    return (size_class + alignment - 1) / alignment * alignment;
  }

  std::mutex mutex_;
  size_t cache_limit_ = size_t{2048} << 20;
  size_t cached_bytes_ = 0;
  std::unordered_map<size_t, std::vector<void*>> free_;
  std::unordered_map<void*, size_t> live_;
};

std::array<Allocator*, kNumDeviceTypes>& Allocators() {
  // Never destroyed: tensors held by other static objects may be freed
  // after this function's statics would be.
  static auto* cpu_allocator = new CpuAllocator;
  static std::array<Allocator*, kNumDeviceTypes> allocators{cpu_allocator,
                                                            nullptr};
  return allocators;
}

}  // namespace

void RegisterAllocator(DeviceType type, Allocator* allocator) {
  Allocators()[static_cast<int>(type)] = allocator;
}

Allocator* GetAllocator(const Device& device) {
  CheckDeviceAvailable(device);
  Allocator* allocator = Allocators()[static_cast<int>(device.type)];
  TCH_CHECK_T(NotImplementedError, allocator != nullptr,
              "no allocator registered for device ", device);
  return allocator;
}

Storage::Impl::~Impl() {
  if (allocator != nullptr) allocator->Free(data, device.index);
}

Storage Storage::Allocate(size_t nbytes, const Device& device) {
  Allocator* allocator = GetAllocator(device);
  Storage storage;
  storage.impl_ = std::make_shared<Impl>();
  storage.impl_->data = allocator->Allocate(nbytes, device.index);
  storage.impl_->nbytes = nbytes;
  storage.impl_->device = device;
  storage.impl_->allocator = allocator;
  return storage;
}

Storage Storage::Wrap(void* data, size_t nbytes, const Device& device,
                      std::shared_ptr<void> owner) {
  Storage storage;
  storage.impl_ = std::make_shared<Impl>();
  storage.impl_->data = data;
  storage.impl_->nbytes = nbytes;
  storage.impl_->device = device;
  storage.impl_->owner = std::move(owner);
  return storage;
}

}  // namespace tch
