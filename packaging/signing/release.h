// File: packaging/signing/release.h
//
// Signing and verifying a tch release directory:
//
//   tch-0.1.0-linux-x86_64-cpu.tar.gz          the artifacts
//   tch-0.1.0-linux-x86_64-cu130-sm90.tar.gz
//   tch-0.1.0.provenance.json                  in-toto/SLSA statement
//   tch-0.1.0.provenance.json.minisig          its signature
//   SHA256SUMS                                 every file above but .minisig
//   SHA256SUMS.minisig                         minisign "ED" signature
//
// The trusted (signed) comment of SHA256SUMS.minisig carries the release's
// identity, tab-separated like minisign's own:
//   timestamp:<SOURCE_DATE_EPOCH>	file:SHA256SUMS	product:tch
//   version:<X.Y.Z>	flavours:<cpu,cu130-sm90,...>
// Verification checks the signature first (allowed, unrevoked key), then
// that policy (product, file name, version not older than a minimum, every
// tarball's name matching the version and a listed flavour), then every
// checksum and that no file is outside the manifest.
//
// Example:
//   VerifyOptions options;
//   options.keys.push_back(*ParsePublicKey(ReadFile("tch.pub")));
//   options.min_version = "0.1.0";
//   absl::StatusOr<VerifyReport> report = VerifyRelease("release/", options);
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "packaging/signing/minisign.h"

namespace tch::packaging {

inline constexpr std::string_view kProduct = "tch";
inline constexpr std::string_view kManifestName = "SHA256SUMS";
inline constexpr std::string_view kSignatureSuffix = ".minisig";

// The signed identity of a release (see the file comment).
struct TrustedComment {
  int64_t timestamp = 0;
  std::string file;
  std::string product;
  std::string version;
  std::vector<std::string> flavours;  // sorted
};

std::string FormatTrustedComment(const TrustedComment& comment);

// Errors: a missing or duplicated required key, a bad timestamp.
absl::StatusOr<TrustedComment> ParseTrustedComment(std::string_view text);

// "X.Y.Z" (one to four numeric components) -> components. No pre-release
// suffixes: release versions only.
absl::StatusOr<std::vector<int>> ParseVersion(std::string_view version);

// <0, 0, >0 like strcmp; missing components count as 0 (1.2 == 1.2.0).
int CompareVersions(const std::vector<int>& a, const std::vector<int>& b);

// "tch-<version>-linux-x86_64-<flavour>.tar.gz".
std::string TarballName(std::string_view version, std::string_view flavour);

struct TarballId {
  std::string version;
  std::string flavour;
};

// Inverse of TarballName; nullopt when `name` is not a tarball name.
std::optional<TarballId> ParseTarballName(std::string_view name);

// Revocation list: one key id (16 hex digits) per line, optionally followed
// by whitespace and a note; '#' comments and blank lines are ignored.
absl::StatusOr<std::set<KeyId>> ParseRevocationList(std::string_view text);

// Reads a whole file, refusing files larger than `max_bytes`.
absl::StatusOr<std::string> ReadFileLimited(const std::string& path,
                                            size_t max_bytes);

// Writes `contents` to `path` (replacing it).
absl::Status WriteFile(const std::string& path, std::string_view contents);

// Signs `file` (a path) into `file`.minisig with a trusted comment
// "timestamp:<epoch>	file:<basename>	product:tch	version:<version>".
absl::Status SignFile(const std::string& file, const SecretKey& key,
                      std::string_view version, int64_t epoch);

// Writes SHA256SUMS over every regular file of `dir` except SHA256SUMS and
// *.minisig, and SHA256SUMS.minisig. Every tarball must be named for
// `version`; the flavour list comes from the tarball names. Errors: no
// tarball, a misnamed tarball, a subdirectory or other non-regular entry.
absl::Status SignReleaseDirectory(const std::string& dir, const SecretKey& key,
                                  std::string_view version, int64_t epoch);

struct VerifyOptions {
  std::vector<PublicKey> keys;  // allowed keys; at least one
  std::set<KeyId> revoked;
  std::optional<std::string> min_version;
  bool allow_legacy = false;  // accept non-prehashed "Ed" signatures
};

struct VerifyReport {
  std::string version;
  std::vector<std::string> flavours;
  std::string key_id;
  int64_t timestamp = 0;
  std::vector<std::string> checked;  // files whose checksum matched
};

// Verifies a release directory, or one tarball with SHA256SUMS and
// SHA256SUMS.minisig beside it. The error message is the verdict's reason,
// one line.
absl::StatusOr<VerifyReport> VerifyRelease(const std::string& path,
                                           const VerifyOptions& options);

}  // namespace tch::packaging
