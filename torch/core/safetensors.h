// File: torch/core/safetensors.h
// -----------------------------------------------------------------------------
//
// Reading and writing the Hugging Face safetensors format, independent of
// `tch::Tensor` (an adapter converts to and from tensors).
//
// The format, as defined by the reference implementation
// (github.com/huggingface/safetensors):
//
//   bytes [0, 8)        N, the header length, a little-endian uint64
//   bytes [8, 8 + N)    the header: UTF-8 JSON, one object mapping
//                         "<tensor name>": {"dtype": "F32",
//                                           "shape": [2, 3],
//                                           "data_offsets": [begin, end]}
//                       plus an optional "__metadata__": {string: string}
//   bytes [8 + N, EOF)  the data buffer; [begin, end) are relative to its
//                       start. Tensors are little-endian, row-major (C order)
//                       and dense.
//
// The reader is written for untrusted files: `ParseSafetensorsHeader()`
// checks every number before it is used and never reads outside the given
// bytes. A file is accepted only if
//   * N <= 100,000,000 (`kSafetensorsMaxHeaderSize`, the reference limit) and
//     8 + N <= file size;
//   * the header is valid UTF-8 and valid JSON (nesting <= 128 levels, the
//     reference parser's limit) whose top level is an object;
//   * no object among the top level, `__metadata__` and the tensor entries
//     repeats a key (the reference rejects repeated tensor fields but
//     silently keeps one of two equal metadata keys or tensor names; this
//     reader rejects them all);
//   * `__metadata__`, if present and not null, maps strings to strings;
//   * every other entry is an object with a known "dtype" string, a "shape"
//     array of non-negative integers and a "data_offsets" array of exactly two
//     non-negative integers begin <= end (integers are written without sign
//     or fraction, so "-0" and "1.0" are refused as by the reference; other
//     fields are ignored, as in the reference);
//   * each dimension fits in int64 and so does the product of the non-zero
//     dimensions (stricter than the reference, so that strides never
//     overflow);
//   * end - begin == numel * bits(dtype) / 8, a whole number of bytes;
//   * sorted by offset, the tensors tile the data buffer exactly: no gap, no
//     overlap, and the last one ends at the end of the file.
//
// The writer produces byte-for-byte the file that the reference writer
// produces for the same tensors and at most one metadata entry (with several,
// the reference orders them by hash; this writer sorts them by key): tensors
// sorted by decreasing dtype alignment and then by name, compact JSON, the
// header padded with spaces to a multiple of 8 bytes.
//
// Example:
//
//   tch::SafetensorsReader reader("model.safetensors");
//   for (const tch::SafetensorsTensorInfo& info : reader.tensors()) {
//     std::span<const std::byte> bytes = reader.Data(info);  // zero-copy
//     ...
//   }
//
//   std::vector<float> w = {1, 2, 3, 4, 5, 6};
//   tch::WriteSafetensors(
//       "out.safetensors",
//       {{.name = "fc.weight",
//         .dtype = tch::SafetensorsDType::kF32,
//         .shape = {2, 3},
//         .data = std::as_bytes(std::span(w))}},
//       {{"format", "pt"}});
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "torch/core/error.h"  // IWYU pragma: export
#include "torch/core/file_util.h"

namespace tch {

// The largest header (N) a reader accepts and a writer produces, in bytes.
inline constexpr uint64_t kSafetensorsMaxHeaderSize = 100'000'000;

// SafetensorsDType
//
// Element types of the format. The enumerators are declared in the
// reference's order of increasing alignment, which the writer uses to order
// tensors; `SafetensorsDTypeName()` gives the spelling used in files.
enum class SafetensorsDType : uint8_t {
  kBool,        // "BOOL", one byte per element (0 or 1)
  kF4,          // "F4", 4-bit float (e2m1), two per byte
  kF6E2M3,      // "F6_E2M3", 6-bit float, packed
  kF6E3M2,      // "F6_E3M2", 6-bit float, packed
  kU8,          // "U8"
  kI8,          // "I8"
  kF8E5M2,      // "F8_E5M2"
  kF8E4M3,      // "F8_E4M3" (e4m3fn)
  kF8E8M0,      // "F8_E8M0" (e8m0fnu)
  kF8E4M3Fnuz,  // "F8_E4M3FNUZ"
  kF8E5M2Fnuz,  // "F8_E5M2FNUZ"
  kI16,         // "I16"
  kU16,         // "U16"
  kF16,         // "F16", IEEE half
  kBF16,        // "BF16", bfloat16
  kI32,         // "I32"
  kU32,         // "U32"
  kF32,         // "F32"
  kC64,         // "C64", complex of two F32
  kF64,         // "F64"
  kI64,         // "I64"
  kU64,         // "U64"
};

// The file spelling of `dtype`, for example "F32" or "F8_E4M3".
std::string_view SafetensorsDTypeName(SafetensorsDType dtype);

// The dtype spelled `name` (case-sensitive, as in files), or std::nullopt if
// the name is not one of the spellings above.
std::optional<SafetensorsDType> SafetensorsDTypeFromName(std::string_view name);

// The size of one element of `dtype` in bits: 4 or 6 for the packed float
// types, otherwise 8 times the byte size.
int SafetensorsDTypeBits(SafetensorsDType dtype);

// The size of one element of `dtype` in bytes, or 0 for the packed sub-byte
// types (kF4, kF6E2M3, kF6E3M2), whose elements do not fill whole bytes.
size_t SafetensorsDTypeElementSize(SafetensorsDType dtype);

// The number of data bytes of a tensor of `dtype` and `shape`, or std::nullopt
// when a dimension is negative, the element count or byte count overflows
// (the product of the non-zero dimensions must fit in int64), or a packed
// sub-byte tensor does not fill a whole number of bytes.
std::optional<uint64_t> SafetensorsByteSize(SafetensorsDType dtype,
                                            std::span<const int64_t> shape);

// SafetensorsTensorInfo
//
// One tensor of a parsed header.
struct SafetensorsTensorInfo {
  std::string name;
  SafetensorsDType dtype = SafetensorsDType::kF32;
  // Dimensions, outermost first; empty for a 0-d scalar. Each is >= 0.
  std::vector<int64_t> shape;
  // [begin, end) within the data buffer (not the file).
  uint64_t begin = 0;
  uint64_t end = 0;

  uint64_t nbytes() const { return end - begin; }
  // The number of elements (1 for a 0-d scalar, 0 if a dimension is 0).
  // Precondition: `shape` is valid, as it is in every parsed header.
  int64_t numel() const;
};

// SafetensorsHeader
//
// A validated header: what `ParseSafetensorsHeader()` returns.
struct SafetensorsHeader {
  // In the order the header lists them (for files written by the reference or
  // by `WriteSafetensors()`, also the order of their data).
  std::vector<SafetensorsTensorInfo> tensors;
  // The "__metadata__" object; empty if absent or null.
  std::map<std::string, std::string> metadata;
  // N, the length of the JSON header in bytes.
  uint64_t header_size = 0;
  // The file offset of the data buffer (8 + N) and its length.
  uint64_t data_start = 0;
  uint64_t data_size = 0;
};

// ParseSafetensorsHeader()
//
// Parses and validates the safetensors file whose complete contents are
// `file` (the data buffer is needed to check that the tensors cover it
// exactly). `source` names the file in error messages, normally its path.
// Tensor data is not copied; it is at
// `file.subspan(header.data_start + info.begin, info.nbytes())`.
//
// Errors: throws `tch::IoError` for any violation of the rules listed at the
// top of this file. The message starts with `source`, then names the tensor
// (if any) and the offending value, for example:
//   "model.safetensors: tensor 'fc.weight': data_offsets [0, 100] hold 100
//    bytes but shape [5, 6] of F32 needs 120"
SafetensorsHeader ParseSafetensorsHeader(std::span<const std::byte> file,
                                         std::string_view source);

// SafetensorsReader
//
// Memory-maps a safetensors file and validates it completely on construction;
// afterwards no accessor can fail on file contents. Tensor data is returned as
// spans into the mapping, valid for the reader's lifetime. Move-only.
//
// Data spans are only as aligned as the file makes them: files written by the
// reference or by `WriteSafetensors()` align each tensor to its element size,
// but a hand-made file need not, so copy (memcpy) rather than cast when
// alignment matters.
class SafetensorsReader {
 public:
  // Opens and validates the file at `path`.
  //
  // Errors: throws `tch::IoError` if the file cannot be mapped or is not a
  // valid safetensors file (see `ParseSafetensorsHeader()`).
  explicit SafetensorsReader(const std::string& path);

  SafetensorsReader(SafetensorsReader&&) noexcept = default;
  SafetensorsReader& operator=(SafetensorsReader&&) noexcept = default;

  const std::string& path() const { return file_.path(); }

  // Every tensor, in header order.
  const std::vector<SafetensorsTensorInfo>& tensors() const {
    return header_.tensors;
  }

  // The tensor called `name`, or nullptr if there is none.
  const SafetensorsTensorInfo* Find(std::string_view name) const;

  // The tensor called `name`.
  //
  // Errors: throws `tch::ValueError` naming the file and `name` if there is
  // no such tensor.
  const SafetensorsTensorInfo& Get(std::string_view name) const;

  // The bytes of `info`'s tensor, pointing into the mapping.
  //
  // Precondition: `info` is one of `tensors()` of this reader.
  // Errors: throws `tch::ValueError` if `info`'s range lies outside this
  // file's data buffer (a violated precondition).
  std::span<const std::byte> Data(const SafetensorsTensorInfo& info) const;

  // The "__metadata__" entries (empty if the file has none).
  const std::map<std::string, std::string>& metadata() const {
    return header_.metadata;
  }

  // The whole parsed header, including sizes and offsets.
  const SafetensorsHeader& header() const { return header_; }

 private:
  MappedFile file_;
  SafetensorsHeader header_;
  std::map<std::string, size_t, std::less<>> index_;
};

// SafetensorsEntry
//
// One tensor to write: its name, dtype, shape and dense little-endian,
// row-major bytes. The bytes are only borrowed for the duration of the call.
struct SafetensorsEntry {
  std::string name;
  SafetensorsDType dtype = SafetensorsDType::kF32;
  std::vector<int64_t> shape;
  std::span<const std::byte> data;
};

// SerializeSafetensors()
//
// Returns the complete safetensors file for `entries` and `metadata` (an
// empty `metadata` writes no "__metadata__" key). See the top of this file
// for the layout; the order of `entries` does not matter.
//
// Errors: throws `tch::ValueError` if a name is repeated, is "__metadata__",
// or is not valid UTF-8; if a metadata key or value is not valid UTF-8; if a
// shape has a negative dimension or `data.size()` differs from
// `SafetensorsByteSize(dtype, shape)` (or that is std::nullopt); or if the
// header would exceed `kSafetensorsMaxHeaderSize`.
std::string SerializeSafetensors(
    const std::vector<SafetensorsEntry>& entries,
    const std::map<std::string, std::string>& metadata = {});

// WriteSafetensors()
//
// Writes what `SerializeSafetensors()` returns to `path` with
// `WriteFileAtomically()`, passing the tensor bytes through without copying
// them into one buffer.
//
// Errors: throws `tch::ValueError` as `SerializeSafetensors()` does (before
// touching the file system), and `tch::IoError` naming `path` if the file
// cannot be written.
void WriteSafetensors(const std::string& path,
                      const std::vector<SafetensorsEntry>& entries,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace tch
