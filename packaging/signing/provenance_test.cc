// Tests for packaging/signing/provenance.h.
#include "packaging/signing/provenance.h"

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"

namespace tch::packaging {
namespace {

constexpr char kBuildInfo[] = R"({
  "flavour": "cpu", "git_commit": "0123456789abcdef0123456789abcdef01234567", "bazel_version": "4.2.3",
  "compiler": "gcc 12", "cuda": null,
  "dependencies": {"zlib": {"version": "1.2.13",
                            "debian_packages": ["zlib1g-dev"]}}})";

TEST(ProvenanceTest, InTotoStatementWithSlsaPredicate) {
  ProvenanceInput input;
  input.version = "0.1.0";
  input.subjects = {
      {std::string(64, 'b'), "tch-0.1.0-linux-x86_64-cpu.tar.gz"}};
  input.build_infos = {kBuildInfo};
  input.source_uri = "git+https://example.invalid/tch";
  input.release_command = "ci/release.sh";
  input.epoch = 0;
  absl::StatusOr<std::string> text = MakeProvenance(input);
  ASSERT_TRUE(text.ok()) << text.status();
  const nlohmann::json j = nlohmann::json::parse(*text);
  EXPECT_EQ(j["_type"], "https://in-toto.io/Statement/v1");
  EXPECT_EQ(j["predicateType"], "https://slsa.dev/provenance/v1");
  EXPECT_EQ(j["subject"][0]["digest"]["sha256"], std::string(64, 'b'));
  const auto& def = j["predicate"]["buildDefinition"];
  EXPECT_EQ(def["externalParameters"]["version"], "0.1.0");
  EXPECT_EQ(def["externalParameters"]["source"]["gitCommit"],
            "0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(def["resolvedDependencies"][0]["digest"]["gitCommit"],
            "0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(def["resolvedDependencies"][1]["uri"],
            "pkg:deb/debian/zlib1g-dev@1.2.13");
  EXPECT_EQ(j["predicate"]["runDetails"]["metadata"]["startedOn"],
            "1970-01-01T00:00:00Z");
  EXPECT_EQ(*MakeProvenance(input), *text);  // deterministic
}

TEST(ProvenanceTest, DirtyTreeHasNoCommitDigest) {
  ProvenanceInput input;
  input.version = "0.1.0";
  input.build_infos = {R"({"flavour": "cpu", "git_commit": "abc-dirty",
                           "dependencies": {}})"};
  const nlohmann::json j = nlohmann::json::parse(*MakeProvenance(input));
  const auto& source =
      j["predicate"]["buildDefinition"]["resolvedDependencies"][0];
  EXPECT_FALSE(source.contains("digest"));
  EXPECT_TRUE(source.contains("annotations"));
}

TEST(ProvenanceTest, RejectsBadBuildInfo) {
  ProvenanceInput input;
  input.build_infos = {"{not json"};
  EXPECT_FALSE(MakeProvenance(input).ok());
  input.build_infos = {R"({"flavour": "cpu", "git_commit": 3,
                           "dependencies": {}})"};
  EXPECT_FALSE(MakeProvenance(input).ok());
  input.build_infos = {R"({"flavour": "cpu", "git_commit": "x",
                           "dependencies": {"z": {"version": 1}}})"};
  EXPECT_FALSE(MakeProvenance(input).ok());
}

}  // namespace
}  // namespace tch::packaging
