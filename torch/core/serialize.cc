#include "torch/core/serialize.h"

#include <cstring>
#include <vector>

#include "torch/core/error.h"
#include "torch/core/ops.h"

namespace tch {

SafetensorsDType ToSafetensorsDType(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return SafetensorsDType::kF32;
    case DType::kFloat64:
      return SafetensorsDType::kF64;
    case DType::kFloat16:
      return SafetensorsDType::kF16;
    case DType::kBFloat16:
      return SafetensorsDType::kBF16;
    case DType::kInt64:
      return SafetensorsDType::kI64;
    case DType::kInt32:
      return SafetensorsDType::kI32;
    case DType::kUInt8:
      return SafetensorsDType::kU8;
    case DType::kBool:
      return SafetensorsDType::kBool;
  }
  TCH_INTERNAL_ASSERT(false, "unknown dtype");
  return SafetensorsDType::kF32;
}

DType FromSafetensorsDType(SafetensorsDType dtype, const std::string& source) {
  for (int i = 0; i < kNumDTypes; ++i) {
    const DType candidate = static_cast<DType>(i);
    if (ToSafetensorsDType(candidate) == dtype) return candidate;
  }
  throw IoError(detail::StrCat(source, ": dtype ", SafetensorsDTypeName(dtype),
                               " is not supported by tch (supported: F32, "
                               "F64, F16, BF16, I64, I32, U8, BOOL)"));
}

std::map<std::string, Tensor> LoadSafetensors(
    const std::string& path, std::map<std::string, std::string>* metadata) {
  const SafetensorsReader reader(path);
  std::map<std::string, Tensor> tensors;
  for (const SafetensorsTensorInfo& info : reader.tensors()) {
    const DType dtype =
        FromSafetensorsDType(info.dtype, path + ": tensor '" + info.name + "'");
    Tensor t = empty(info.shape, dtype, kCpu);
    const std::span<const std::byte> bytes = reader.Data(info);
    TCH_INTERNAL_ASSERT(bytes.size() == t.nbytes(), "size mismatch");
    if (!bytes.empty()) std::memcpy(t.raw_data(), bytes.data(), bytes.size());
    tensors.emplace(info.name, std::move(t));
  }
  if (metadata != nullptr) *metadata = reader.metadata();
  return tensors;
}

void SaveSafetensors(const std::string& path,
                     const std::map<std::string, Tensor>& tensors,
                     const std::map<std::string, std::string>& metadata) {
  std::vector<Tensor> hosts;  // keeps the bytes alive during the write
  std::vector<SafetensorsEntry> entries;
  hosts.reserve(tensors.size());
  for (const auto& [name, tensor] : tensors) {
    TCH_CHECK(tensor.defined(), "SaveSafetensors: tensor '", name,
              "' is undefined");
    hosts.push_back(tensor.to(kCpu).contiguous());
    const Tensor& host = hosts.back();
    entries.push_back(SafetensorsEntry{
        name, ToSafetensorsDType(host.dtype()),
        std::vector<int64_t>(host.sizes().begin(), host.sizes().end()),
        std::span<const std::byte>(
            static_cast<const std::byte*>(host.raw_data()), host.nbytes())});
  }
  WriteSafetensors(path, entries, metadata);
}

}  // namespace tch
