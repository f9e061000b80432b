// File: torch/core/file_util.h
// -----------------------------------------------------------------------------
//
// Small POSIX file helpers for code that saves and loads model files:
//
//   * `WriteFileAtomically()` replaces a file so that a reader (or a crash)
//     sees either the old contents or the new contents, never a torn mix.
//   * `ReadFile()` reads a whole file into a string.
//   * `MappedFile` maps a file read-only into memory for zero-copy loading.
//
// Every failure throws `tch::IoError` whose message names the path and the
// operating system's reason (strerror).
//
// Example:
//
//   tch::WriteFileAtomically("/ckpt/model.bin", serialized);
//   std::string again = tch::ReadFile("/ckpt/model.bin");
//
//   tch::MappedFile map("/ckpt/model.bin");
//   std::span<const std::byte> bytes = map.bytes();  // valid while `map` lives
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "torch/core/error.h"  // IWYU pragma: export

namespace tch {

// WriteFileAtomically()
//
// Replaces the file at `path` with `bytes`. The data is written to a fresh
// temporary file in the same directory (named `.<basename>.tmp.<random>`),
// flushed with fsync(), renamed over `path`, and then the directory itself is
// fsync()ed so that the rename survives a power loss.
//
// A new file gets mode 0666 as reduced by the process umask; an existing file
// at `path` is replaced (its permissions are not carried over). Symlinks at
// `path` are replaced, not followed.
//
// Preconditions: `path` names a file (not a directory) whose directory exists.
//
// Errors: throws `tch::IoError` naming `path` (or the temporary file) and the
// strerror text when the temporary file cannot be created, written, synced or
// renamed. On failure the temporary file is removed and `path` is unchanged.
void WriteFileAtomically(const std::string& path, std::string_view bytes);

// Like above, writing the concatenation of `chunks` in order, without first
// copying them into one buffer. Chunks may be empty.
void WriteFileAtomically(const std::string& path,
                         std::span<const std::span<const std::byte>> chunks);

// ReadFile()
//
// Returns the complete contents of the file at `path`.
//
// Errors: throws `tch::IoError` naming `path` and the strerror text when the
// file cannot be opened or read, or when `path` is a directory.
std::string ReadFile(const std::string& path);

// MappedFile
//
// A read-only, private memory mapping of a whole file. The mapping stays valid
// for the lifetime of the object (moving transfers it); the file descriptor is
// closed right after mapping.
//
// An empty file is supported: `size()` is 0, `data()` is nullptr and `bytes()`
// is an empty span.
//
// Caveat: like every mmap, if another process truncates the file while it is
// mapped, touching the vanished pages raises SIGBUS. Files written with
// `WriteFileAtomically()` are replaced by rename, which never truncates a
// mapped file.
//
// Example:
//
//   tch::MappedFile map(path);
//   if (map.size() >= 8) { ... map.data()[0] ... }
class MappedFile {
 public:
  // Maps the file at `path`.
  //
  // Errors: throws `tch::IoError` naming `path` and the strerror text when the
  // file cannot be opened, is not a regular file, or cannot be mapped.
  explicit MappedFile(const std::string& path);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  // The first byte of the mapping, or nullptr for an empty file.
  const std::byte* data() const { return data_; }

  // The file size in bytes at the time it was mapped.
  size_t size() const { return size_; }

  // `data()` and `size()` as a span.
  std::span<const std::byte> bytes() const { return {data_, size_}; }

  // The path given to the constructor.
  const std::string& path() const { return path_; }

 private:
  void Reset() noexcept;

  std::string path_;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace tch
