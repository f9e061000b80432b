#include "packaging/signing/provenance.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/time/time.h"
#include "packaging/signing/strings.h"

namespace tch::packaging {
namespace {

using nlohmann::json;

constexpr char kBuildType[] = "https://tch.invalid/release/bazel-tarball/v1";
constexpr char kBuilderId[] = "https://tch.invalid/ci/release.sh";

std::string Rfc3339(int64_t epoch) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(epoch),
                          absl::UTCTimeZone());
}

}  // namespace

std::string ProvenanceName(const std::string& version) {
  return Cat("tch-", version, ".provenance.json");
}

absl::StatusOr<std::string> MakeProvenance(const ProvenanceInput& input) {
  json subjects = json::array();
  std::vector<ManifestEntry> sorted = input.subjects;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (const ManifestEntry& s : sorted) {
    subjects.push_back({{"name", s.name}, {"digest", {{"sha256", s.sha256}}}});
  }

  std::string commit;
  std::string bazel;
  std::string compiler;
  json flavours = json::array();
  json dependencies = json::object();
  std::vector<std::string> infos = input.build_infos;
  std::sort(infos.begin(), infos.end());
  for (const std::string& text : infos) {
    json info = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (info.is_discarded() || !info.is_object() ||
        !info.contains("git_commit") || !info.contains("flavour") ||
        !info.contains("dependencies") || !info["git_commit"].is_string() ||
        !info["dependencies"].is_object()) {
      return absl::InvalidArgumentError(
          "BUILD_INFO.json: not JSON or missing git_commit, flavour or "
          "dependencies");
    }
    commit = info["git_commit"].get<std::string>();
    if (info.contains("bazel_version") && info["bazel_version"].is_string()) {
      bazel = info["bazel_version"].get<std::string>();
    }
    if (info.contains("compiler") && info["compiler"].is_string()) {
      compiler = info["compiler"].get<std::string>();
    }
    flavours.push_back(info["flavour"]);
    for (const auto& [name, dep] : info["dependencies"].items()) {
      dependencies[name] = dep;
    }
    if (info.contains("cuda") && info["cuda"].is_object()) {
      for (const char* key : {"cuda", "cudnn", "nccl"}) {
        const std::string field = Cat(key, "_version");
        if (info["cuda"].contains(field)) {
          dependencies[key] = {{"version", info["cuda"][field]}};
        }
      }
    }
  }

  json resolved = json::array();
  json source = {{"uri", Cat(input.source_uri, "@", commit)},
                 {"name", "tch source"}};
  // A digest only for a clean commit ("<sha>-dirty" or "unknown" are not
  // digests); a dirty tree is recorded as such.
  const bool clean_commit =
      commit.size() == 40 &&
      commit.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (clean_commit) {
    source["digest"] = {{"gitCommit", commit}};
  } else {
    source["annotations"] = {{"workingTree", "not a clean commit: " + commit}};
  }
  resolved.push_back(source);
  for (const auto& [name, dep] : dependencies.items()) {
    if (!dep.is_object() || !dep.contains("version") ||
        !dep["version"].is_string()) {
      return absl::InvalidArgumentError(
          Cat("BUILD_INFO.json: dependency ", name, " has no version"));
    }
    const std::string version = dep["version"].get<std::string>();
    std::string uri = Cat("pkg:generic/", name, "@", version);
    if (dep.contains("debian_packages") && dep["debian_packages"].is_array() &&
        !dep["debian_packages"].empty() &&
        dep["debian_packages"][0].is_string()) {
      uri = Cat("pkg:deb/debian/", dep["debian_packages"][0].get<std::string>(),
                "@", version);
    }
    resolved.push_back({{"name", name},
                        {"uri", uri},
                        {"annotations", {{"version", version}}}});
  }

  json statement = {
      {"_type", "https://in-toto.io/Statement/v1"},
      {"subject", subjects},
      {"predicateType", "https://slsa.dev/provenance/v1"},
      {"predicate",
       {{"buildDefinition",
         {{"buildType", kBuildType},
          {"externalParameters",
           {{"version", input.version},
            {"flavours", flavours},
            {"command", input.release_command},
            {"source", {{"uri", input.source_uri}, {"gitCommit", commit}}}}},
          {"internalParameters",
           {{"bazel_version", bazel}, {"compiler", compiler}}},
          {"resolvedDependencies", resolved}}},
        {"runDetails",
         {{"builder", {{"id", kBuilderId}}},
          {"metadata",
           {{"invocationId", Cat("tch-", input.version, "-", commit)},
            {"startedOn", Rfc3339(input.epoch)},
            {"finishedOn", Rfc3339(input.epoch)}}}}}}}};
  return statement.dump(2) + "\n";
}

}  // namespace tch::packaging
