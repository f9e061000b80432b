// File: torch/core/safetensors_fuzz.cc
// -----------------------------------------------------------------------------
//
// libFuzzer target for the safetensors reader. Each input is a whole file
// given to `ParseSafetensorsHeader()`, which must either throw `tch::IoError`
// or return a header that satisfies every documented invariant. An accepted
// file must also survive a write/read round trip unchanged. Any other
// exception, sanitizer report or trap is a bug.
//
// Build and run (from the repository root; the golden files make a good seed
// corpus):
//
//   clang++-14 -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined \
//     -I. torch/core/safetensors_fuzz.cc torch/core/safetensors.cc \
//     torch/core/file_util.cc torch/core/error.cc -o /tmp/safetensors_fuzz
//   mkdir -p /tmp/corpus && cp tests/golden/safetensors/*.safetensors \
//     /tmp/corpus/
//   /tmp/safetensors_fuzz -max_total_time=60 /tmp/corpus

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "torch/core/error.h"
#include "torch/core/safetensors.h"

namespace {

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (false)

void CheckHeader(const tch::SafetensorsHeader& header,
                 std::span<const std::byte> file) {
  FUZZ_CHECK(header.header_size <= tch::kSafetensorsMaxHeaderSize);
  FUZZ_CHECK(header.data_start == 8 + header.header_size);
  FUZZ_CHECK(header.data_start + header.data_size == file.size());
  uint64_t total = 0;
  for (const tch::SafetensorsTensorInfo& info : header.tensors) {
    FUZZ_CHECK(info.begin <= info.end);
    FUZZ_CHECK(info.end <= header.data_size);
    FUZZ_CHECK(tch::SafetensorsByteSize(info.dtype, info.shape) ==
               info.nbytes());
    FUZZ_CHECK(info.numel() >= 0);
    total += info.nbytes();
  }
  // The tensors tile the data buffer: no gaps and no overlaps.
  FUZZ_CHECK(total == header.data_size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const std::byte> file(reinterpret_cast<const std::byte*>(data),
                                  size);
  tch::SafetensorsHeader header;
  try {
    header = tch::ParseSafetensorsHeader(file, "fuzz");
  } catch (const tch::IoError&) {
    return 0;
  }
  CheckHeader(header, file);

  // Write the tensors back out and read them again: nothing may change.
  std::vector<tch::SafetensorsEntry> entries;
  for (const tch::SafetensorsTensorInfo& info : header.tensors) {
    entries.push_back(
        {.name = info.name,
         .dtype = info.dtype,
         .shape = info.shape,
         .data = file.subspan(header.data_start + info.begin, info.nbytes())});
  }
  std::string written = tch::SerializeSafetensors(entries, header.metadata);
  std::span<const std::byte> written_bytes(
      reinterpret_cast<const std::byte*>(written.data()), written.size());
  tch::SafetensorsHeader again =
      tch::ParseSafetensorsHeader(written_bytes, "fuzz round trip");
  CheckHeader(again, written_bytes);
  FUZZ_CHECK(again.metadata == header.metadata);
  FUZZ_CHECK(again.tensors.size() == header.tensors.size());
  std::map<std::string, const tch::SafetensorsTensorInfo*> by_name;
  for (const tch::SafetensorsTensorInfo& info : again.tensors) {
    by_name[info.name] = &info;
  }
  FUZZ_CHECK(by_name.size() == header.tensors.size());
  for (const tch::SafetensorsEntry& entry : entries) {
    auto it = by_name.find(entry.name);
    FUZZ_CHECK(it != by_name.end());
    const tch::SafetensorsTensorInfo& info = *it->second;
    FUZZ_CHECK(info.dtype == entry.dtype);
    FUZZ_CHECK(info.shape == entry.shape);
    std::span<const std::byte> bytes =
        written_bytes.subspan(again.data_start + info.begin, info.nbytes());
    FUZZ_CHECK(std::equal(bytes.begin(), bytes.end(), entry.data.begin(),
                          entry.data.end()));
  }
  // Our own output is a fixed point of the writer.
  std::vector<tch::SafetensorsEntry> entries_again;
  for (const tch::SafetensorsTensorInfo& info : again.tensors) {
    entries_again.push_back(
        {.name = info.name,
         .dtype = info.dtype,
         .shape = info.shape,
         .data = written_bytes.subspan(again.data_start + info.begin,
                                       info.nbytes())});
  }
  FUZZ_CHECK(tch::SerializeSafetensors(entries_again, again.metadata) ==
             written);
  return 0;
}
