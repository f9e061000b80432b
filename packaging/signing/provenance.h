// File: packaging/signing/provenance.h
//
// Build provenance for a release: an in-toto Statement v1
// (https://in-toto.io/Statement/v1) whose predicate is SLSA provenance v1
// (https://slsa.dev/provenance/v1). Subjects are the tarballs with their
// SHA-256 digests; the build definition records the build type, the
// external parameters (version, flavours, the release command, the source
// commit) and the resolved dependencies (the source and every pinned system
// library with its version, from the tarballs' BUILD_INFO.json files).
//
// The output is deterministic: keys sorted, no host, user or wall-clock
// time; the build timestamps are SOURCE_DATE_EPOCH.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "packaging/signing/manifest.h"

namespace tch::packaging {

struct ProvenanceInput {
  std::string version;
  std::vector<ManifestEntry> subjects;   // tarball name + sha256
  std::vector<std::string> build_infos;  // BUILD_INFO.json texts, any order
  std::string source_uri;                // e.g. "git+https://host/tch"
  std::string release_command;           // e.g. "ci/release.sh"
  int64_t epoch = 0;                     // SOURCE_DATE_EPOCH
};

// The statement as pretty-printed JSON (ending in a newline). Errors: a
// BUILD_INFO.json that does not parse or lacks required fields.
absl::StatusOr<std::string> MakeProvenance(const ProvenanceInput& input);

// "tch-<version>.provenance.json".
std::string ProvenanceName(const std::string& version);

}  // namespace tch::packaging
