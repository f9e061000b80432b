#include "torch/core/file_util.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <random>
#include <system_error>
#include <utility>

#include "torch/core/error.h"

namespace tch {
namespace {

// The strerror text for `err`, thread-safe.
std::string ErrnoText(int err) { return std::system_category().message(err); }

[[noreturn]] void ThrowErrno(std::string_view what, const std::string& path,
                             int err) {
  throw IoError(detail::StrCat(what, " '", path, "': ", ErrnoText(err)));
}

// Closes `fd` on scope exit unless released.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  // Closes now and returns close()'s errno (0 on success).
  int CloseNow() {
    int fd = std::exchange(fd_, -1);
    return ::close(fd) == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

// Splits `path` into its directory ("." when there is none) and base name.
std::pair<std::string, std::string> SplitPath(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  std::string dir = slash == 0 ? "/" : path.substr(0, slash);
  return {dir, path.substr(slash + 1)};
}

std::string RandomSuffix() {
  thread_local std::mt19937_64 rng([] {
    std::random_device device;
    return (uint64_t{device()} << 32) ^ device() ^
           static_cast<uint64_t>(::getpid());
  }());
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx",
                static_cast<unsigned long long>(rng()));
  return buf;
}

// Writes all of [data, data + size) to `fd`, retrying on EINTR and short
// writes. Returns 0 or an errno value.
int WriteAll(int fd, const std::byte* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

// fsync()s the directory `dir`. Filesystems that cannot sync a directory
// report EINVAL; that is not an error for our purpose.
void SyncDirectory(const std::string& dir, const std::string& path) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    ThrowErrno(detail::StrCat("WriteFileAtomically: wrote '", path,
                              "' but cannot open its directory"),
               dir, errno);
  }
  FdCloser closer(fd);
  if (::fsync(fd) != 0 && errno != EINVAL) {
    ThrowErrno(detail::StrCat("WriteFileAtomically: wrote '", path,
                              "' but cannot fsync its directory"),
               dir, errno);
  }
}

}  // namespace

void WriteFileAtomically(const std::string& path, std::string_view bytes) {
  std::span<const std::byte> chunk(
      reinterpret_cast<const std::byte*>(bytes.data()), bytes.size());
  WriteFileAtomically(path,
                      std::span<const std::span<const std::byte>>(&chunk, 1));
}

void WriteFileAtomically(const std::string& path,
                         std::span<const std::span<const std::byte>> chunks) {
  auto [dir, base] = SplitPath(path);
  TCH_CHECK_T(IoError, !base.empty(), "WriteFileAtomically: path '", path,
              "' names a directory, not a file");

  // Create the temporary file with O_EXCL so that a concurrent writer (or a
  // stale file from a crash) can never be clobbered; retry on a name clash.
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    tmp = detail::StrCat(dir, "/.", base, ".tmp.", RandomSuffix());
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && (errno != EEXIST || attempt >= 100)) {
      ThrowErrno(detail::StrCat("WriteFileAtomically: cannot create a "
                                "temporary file in '",
                                dir, "' for"),
                 path, errno);
    }
  }
  FdCloser closer(fd);
  auto fail = [&](std::string_view what, int err) {
    closer.CloseNow();
    ::unlink(tmp.c_str());
    ThrowErrno(detail::StrCat("WriteFileAtomically: ", what), path, err);
  };

  for (std::span<const std::byte> chunk : chunks) {
    if (int err = WriteAll(fd, chunk.data(), chunk.size())) {
      fail(detail::StrCat("cannot write temporary file '", tmp, "' for"), err);
    }
  }
  if (::fsync(fd) != 0) {
    fail(detail::StrCat("cannot fsync temporary file '", tmp, "' for"), errno);
  }
  if (int err = closer.CloseNow()) {
    ::unlink(tmp.c_str());
    ThrowErrno(detail::StrCat("WriteFileAtomically: cannot close temporary "
                              "file '",
                              tmp, "' for"),
               path, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    ThrowErrno(
        detail::StrCat("WriteFileAtomically: cannot rename '", tmp, "' to"),
        path, err);
  }
  SyncDirectory(dir, path);
}

std::string ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) ThrowErrno("ReadFile: cannot open", path, errno);
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) ThrowErrno("ReadFile: cannot stat", path, errno);
  if (S_ISDIR(st.st_mode)) ThrowErrno("ReadFile: cannot read", path, EISDIR);

  std::string out;
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    out.reserve(static_cast<size_t>(st.st_size));
  }
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("ReadFile: cannot read", path, errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

MappedFile::MappedFile(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) ThrowErrno("MappedFile: cannot open", path, errno);
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ThrowErrno("MappedFile: cannot stat", path, errno);
  }
  if (S_ISDIR(st.st_mode)) ThrowErrno("MappedFile: cannot map", path, EISDIR);
  if (!S_ISREG(st.st_mode)) {
    throw IoError(detail::StrCat("MappedFile: cannot map '", path,
                                 "': not a regular file"));
  }
  if (st.st_size == 0) return;  // mmap() rejects length 0.
  size_t size = static_cast<size_t>(st.st_size);
  void* addr = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (addr == MAP_FAILED) ThrowErrno("MappedFile: cannot mmap", path, errno);
  data_ = static_cast<const std::byte*>(addr);
  size_ = size;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : path_(std::move(other.path_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    Reset();
    path_ = std::move(other.path_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() { Reset(); }

void MappedFile::Reset() noexcept {
  if (data_ != nullptr) {
    ::munmap(const_cast<std::byte*>(data_), size_);
  }
  data_ = nullptr;
  size_ = 0;
}

}  // namespace tch
