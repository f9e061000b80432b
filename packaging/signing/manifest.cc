#include "packaging/signing/manifest.h"

#include <sodium.h>

#include <algorithm>
#include <fstream>

#include "packaging/signing/strings.h"

namespace tch::packaging {
namespace {

std::string ToHex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xF];
  }
  return out;
}

bool IsDigest(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(
      digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return ToHex(digest, sizeof digest);
}

absl::StatusOr<std::string> Sha256File(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(Cat(path, ": cannot open"));
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize got = in.gcount();
    if (got > 0) {
      crypto_hash_sha256_update(
          &state, reinterpret_cast<const unsigned char*>(buffer.data()),
          static_cast<unsigned long long>(got));
    }
  }
  if (in.bad()) return absl::DataLossError(Cat(path, ": read error"));
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  return ToHex(digest, sizeof digest);
}

absl::Status CheckManifestName(std::string_view name) {
  if (name.empty() || name.size() > 255) {
    return absl::InvalidArgumentError("empty or overlong file name");
  }
  if (name.front() == '.' || name.front() == '-') {
    return absl::InvalidArgumentError(
        Cat("file name '", name, "' starts with '.' or '-'"));
  }
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '/' || c == '\\') {
      return absl::InvalidArgumentError(
          "file name contains '/', '\\' or a control character");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> FormatManifest(std::vector<ManifestEntry> entries) {
  std::sort(entries.begin(), entries.end(),
            [](const ManifestEntry& a, const ManifestEntry& b) {
              return a.name < b.name;
            });
  std::string out;
  for (size_t i = 0; i < entries.size(); ++i) {
    const ManifestEntry& e = entries[i];
    if (absl::Status s = CheckManifestName(e.name); !s.ok()) return s;
    if (!IsDigest(e.sha256)) {
      return absl::InvalidArgumentError(
          Cat(e.name, ": not a lower-case hex SHA-256 digest"));
    }
    if (i > 0 && entries[i - 1].name == e.name) {
      return absl::InvalidArgumentError(
          Cat("duplicate manifest entry for ", e.name));
    }
    out += Cat(e.sha256, "  ", e.name, "\n");
  }
  return out;
}

absl::StatusOr<std::vector<ManifestEntry>> ParseManifest(
    std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("SHA256SUMS is empty");
  if (text.back() != '\n') {
    return absl::InvalidArgumentError(
        "SHA256SUMS: last line has no newline (truncated?)");
  }
  std::vector<ManifestEntry> entries;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    const std::string where = Cat("SHA256SUMS line ", line_number);
    if (line.find('\r') != std::string_view::npos) {
      return absl::InvalidArgumentError(Cat(where, ": carriage return (\\r)"));
    }
    if (line.size() < 67 || line.substr(64, 2) != "  " ||
        !IsDigest(line.substr(0, 64))) {
      return absl::InvalidArgumentError(
          Cat(where, ": expected '<64 lower-case hex digits>  <file name>'"));
    }
    ManifestEntry entry{std::string(line.substr(0, 64)),
                        std::string(line.substr(66))};
    if (absl::Status s = CheckManifestName(entry.name); !s.ok()) {
      return absl::InvalidArgumentError(Cat(where, ": ", s.message()));
    }
    if (!entries.empty()) {
      const std::string& previous = entries.back().name;
      if (previous == entry.name) {
        return absl::InvalidArgumentError(
            Cat(where, ": duplicate manifest entry for ", entry.name));
      }
      if (previous > entry.name) {
        return absl::InvalidArgumentError(
            Cat(where, ": entries not sorted by name (", entry.name, " after ",
                previous, ")"));
      }
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace tch::packaging
