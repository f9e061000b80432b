// File: torch/core/serialize.h
//
// Tensors to and from safetensors files (the Hugging Face format PyTorch and
// others load). Files are validated completely before any tensor is built
// (see safetensors.h for the rules and error messages) and written
// atomically.
//
// Example:
//   tch::SaveSafetensors("weights.safetensors", {{"fc.weight", w}});
//   auto tensors = tch::LoadSafetensors("weights.safetensors");
//   tch::Tensor w2 = tensors.at("fc.weight");   // CPU, contiguous
#pragma once

#include <map>
#include <string>

#include "torch/core/safetensors.h"
#include "torch/core/tensor.h"

namespace tch {

// The safetensors dtype of a tch dtype, and back. The reverse throws IoError
// naming `source` for file dtypes tch does not have (e.g. F8_E4M3, U16).
SafetensorsDType ToSafetensorsDType(DType dtype);
DType FromSafetensorsDType(SafetensorsDType dtype, const std::string& source);

// Reads every tensor of the file at `path` into a new contiguous CPU tensor.
// When `metadata` is not null it receives the "__metadata__" map.
// Errors: IoError naming the file (and tensor) for unreadable, malformed or
// unsupported contents.
std::map<std::string, Tensor> LoadSafetensors(
    const std::string& path,
    std::map<std::string, std::string>* metadata = nullptr);

// Writes `tensors` (any device, any layout; copied to contiguous CPU memory
// as needed) with optional metadata, atomically.
// Errors: ValueError for undefined tensors or invalid names; IoError naming
// `path` when it cannot be written.
void SaveSafetensors(const std::string& path,
                     const std::map<std::string, Tensor>& tensors,
                     const std::map<std::string, std::string>& metadata = {});

}  // namespace tch
