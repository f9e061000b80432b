// File: torch/core/error.h
//
// The exception family for errors a user can cause and act on (bad shapes,
// bad dtypes, unreadable files, bad configs), and the check macros for
// internal invariants.
//
// When to use which:
//   * `TCH_CHECK(cond, ...)` when the condition depends on user input: it
//   throws
//     `tch::Error` (or a subclass via TCH_CHECK_T) with a message built from
//     the remaining arguments. The CLI catches `tch::Error`, prints one line
//     and exits 1.
//   * `TCH_INTERNAL_ASSERT(cond, ...)` for invariants that only a bug in tch
//   can
//     break. It prints file:line and the message, then aborts.
//
// Example:
//   TCH_CHECK(a.dim() == 2, "mm: expected a 2-D tensor for 'self', got ",
//             a.dim(), "-D");
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace tch {

// Base of every user-facing error. `what()` is a complete sentence-like
// message that names the operation and what was expected.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// A shape, dtype, device or argument value an operation cannot accept.
class ValueError : public Error {
 public:
  using Error::Error;
};

// An index (dim, element, class id) outside the valid range.
class IndexError : public Error {
 public:
  using Error::Error;
};

// No kernel for an (op, device, dtype) combination, or a feature not compiled
// in (for example CUDA in a CPU-only build).
class NotImplementedError : public Error {
 public:
  using Error::Error;
};

// A file that cannot be read or written, or whose contents are malformed.
class IoError : public Error {
 public:
  using Error::Error;
};

namespace detail {

// Concatenates every argument with operator<< into one string.
template <typename... Args>
std::string StrCat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}

[[noreturn]] void InternalAssertFail(const char* file, int line,
                                     const char* condition,
                                     const std::string& message);

}  // namespace detail
}  // namespace tch

// Throws tch::ValueError with the concatenated message unless `cond` holds.
#define TCH_CHECK(cond, ...) TCH_CHECK_T(::tch::ValueError, cond, __VA_ARGS__)

// Like TCH_CHECK, with an explicit exception type from the family above.
#define TCH_CHECK_T(ExceptionType, cond, ...)                  \
  do {                                                         \
    if (!(cond)) [[unlikely]] {                                \
      throw ExceptionType(::tch::detail::StrCat(__VA_ARGS__)); \
    }                                                          \
  } while (false)

// Aborts with file:line and message when an internal invariant is broken.
#define TCH_INTERNAL_ASSERT(cond, ...)                                       \
  do {                                                                       \
    if (!(cond)) [[unlikely]] {                                              \
      ::tch::detail::InternalAssertFail(__FILE__, __LINE__, #cond,           \
                                        ::tch::detail::StrCat(__VA_ARGS__)); \
    }                                                                        \
  } while (false)
