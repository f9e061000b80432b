// File: packaging/signing/manifest.h
//
// SHA256SUMS manifests in sha256sum's text format: one line per file,
// "<64 lower-case hex digits><two spaces><file name>\n", sorted by name (byte
// order), no duplicates. `sha256sum -c SHA256SUMS` checks them.
//
// File names are plain names inside the release directory: no '/', no
// leading '-' or '.', no control characters, no backslash (sha256sum would
// escape them). The parser is strict and rejects anything else with a
// one-line message naming the line.
//
// Example:
//   std::vector<ManifestEntry> entries = {{Sha256Hex(data), "a.tar.gz"}};
//   std::string text = FormatManifest(entries);
//   absl::StatusOr<std::vector<ManifestEntry>> back = ParseManifest(text);
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tch::packaging {

struct ManifestEntry {
  std::string sha256;  // 64 lower-case hex digits
  std::string name;
  bool operator==(const ManifestEntry&) const = default;
};

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// Lower-case hex SHA-256 of a file's contents, read in chunks.
absl::StatusOr<std::string> Sha256File(const std::string& path);

// OK when `name` may appear in a manifest (see the file comment).
absl::Status CheckManifestName(std::string_view name);

// Sorts `entries` by name and renders them. Errors on bad names, bad digests
// or duplicate names.
absl::StatusOr<std::string> FormatManifest(std::vector<ManifestEntry> entries);

// Parses a manifest. Errors: empty manifest, malformed line (with its
// number), '\r', missing final newline, unsorted or duplicate names.
absl::StatusOr<std::vector<ManifestEntry>> ParseManifest(std::string_view text);

}  // namespace tch::packaging
