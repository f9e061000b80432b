// File: packaging/signing/strings.h
//
// Small string helpers for packaging/. Debian's Abseil is built with its own
// absl::string_view (not std::string_view), so absl::StrCat and friends do
// not accept std::string_view; these do.
//
//   std::string s = Cat("line ", 3, ": ", status.message());
#pragma once

#include <concepts>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"

namespace tch::packaging {

namespace strings_internal {
inline void Append(std::string* out, std::string_view s) { out->append(s); }
inline void Append(std::string* out, const char* s) { out->append(s); }
inline void Append(std::string* out, const std::string& s) { out->append(s); }
inline void Append(std::string* out, absl::string_view s) {
  out->append(s.data(), s.size());
}
inline void Append(std::string* out, char c) { out->push_back(c); }
template <std::integral T>
void Append(std::string* out, T v) {
  out->append(std::to_string(v));
}
}  // namespace strings_internal

// Concatenates strings (std or absl views, C strings) and integers.
template <typename... T>
std::string Cat(const T&... parts) {
  std::string out;
  (strings_internal::Append(&out, parts), ...);
  return out;
}

// Joins `parts` with `separator`.
inline std::string Join(const std::vector<std::string>& parts,
                        std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.append(separator);
    out.append(parts[i]);
  }
  return out;
}

// Splits on every `separator` (empty pieces kept; "" gives one empty piece).
inline std::vector<std::string_view> Split(std::string_view text,
                                           char separator) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(separator, start);
    out.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

// `s` without leading and trailing spaces and tabs.
inline std::string_view Strip(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Parses a non-negative decimal integer (digits only, no sign, no spaces).
inline bool ParseUint(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

}  // namespace tch::packaging
