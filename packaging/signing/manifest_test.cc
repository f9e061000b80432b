// Tests for packaging/signing/manifest.h.
#include "packaging/signing/manifest.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tch::packaging {
namespace {

using ::testing::HasSubstr;

const std::string kA(64, 'a');
const std::string kB(64, 'b');

std::string Error(std::string_view text) {
  absl::StatusOr<std::vector<ManifestEntry>> parsed = ParseManifest(text);
  EXPECT_FALSE(parsed.ok()) << text;
  return std::string(parsed.status().message());
}

TEST(ManifestTest, Sha256MatchesKnownVector) {
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ManifestTest, FormatSortsAndRoundTrips) {
  absl::StatusOr<std::string> text =
      FormatManifest({{kB, "tch-b.tar.gz"}, {kA, "tch-a.tar.gz"}});
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, kA + "  tch-a.tar.gz\n" + kB + "  tch-b.tar.gz\n");
  absl::StatusOr<std::vector<ManifestEntry>> back = ParseManifest(*text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].name, "tch-a.tar.gz");
  EXPECT_EQ((*back)[1].sha256, kB);
}

TEST(ManifestTest, FormatRejectsDuplicatesAndBadNames) {
  EXPECT_FALSE(FormatManifest({{kA, "x"}, {kB, "x"}}).ok());
  EXPECT_FALSE(FormatManifest({{kA, "../x"}}).ok());
  EXPECT_FALSE(FormatManifest({{"abc", "x"}}).ok());
}

TEST(ManifestTest, ParseRejectsMalformedManifests) {
  EXPECT_THAT(Error(""), HasSubstr("empty"));
  EXPECT_THAT(Error(kA + "  x"), HasSubstr("no newline"));
  EXPECT_THAT(Error(kA + "  x\r\n"), HasSubstr("carriage return"));
  EXPECT_THAT(Error(kA + " x\n"), HasSubstr("expected"));
  EXPECT_THAT(Error(kA + " *x\n"), HasSubstr("expected"));
  EXPECT_THAT(Error(std::string(64, 'A') + "  x\n"), HasSubstr("expected"));
  EXPECT_THAT(Error(kA + "  a/b\n"), HasSubstr("'/'"));
  EXPECT_THAT(Error(kA + "  .hidden\n"), HasSubstr("starts with"));
  EXPECT_THAT(Error(kA + "  y\n" + kB + "  x\n"), HasSubstr("not sorted"));
  EXPECT_THAT(Error(kA + "  x\n" + kB + "  x\n"), HasSubstr("duplicate"));
  EXPECT_THAT(Error(kA + "  x\n\n"), HasSubstr("line 2"));
}

}  // namespace
}  // namespace tch::packaging
