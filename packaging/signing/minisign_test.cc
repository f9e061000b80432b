// Known-answer and format tests for packaging/signing/minisign.h.
#include "packaging/signing/minisign.h"

#include <sodium.h>

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tch::packaging {
namespace {

using ::testing::HasSubstr;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

constexpr char kTestData[] = "packaging/signing/testdata/";

SecretKey TestKey() {
  absl::StatusOr<SecretKey> key = ParseSecretKey(
      Read(std::string(kTestData) + "TEST_ONLY_unencrypted_secret.key"),
      std::nullopt);
  EXPECT_TRUE(key.ok()) << key.status();
  return *key;
}

PublicKey TestPublicKey() {
  absl::StatusOr<PublicKey> key =
      ParsePublicKey(Read(std::string(kTestData) + "TEST_ONLY_key.pub"));
  EXPECT_TRUE(key.ok()) << key.status();
  return *key;
}

constexpr char kKatTrusted[] =
    "timestamp:1763769600\tfile:kat_message.txt\tproduct:tch\tversion:0.1.0";
// What `tch_sign sign` writes for the test key (which made the fixture).
constexpr char kKatUntrusted[] =
    "signature from tch release key 1ED487A8818DB425";

// The fixed test key signs the fixed message into exactly the committed
// bytes (Ed25519 is deterministic); `minisign -V` accepts the same file
// (packaging/tests/minisign_interop_test.sh).
TEST(MinisignTest, KnownAnswerSignatureIsByteIdentical) {
  const std::string message = Read(std::string(kTestData) + "kat_message.txt");
  absl::StatusOr<Signature> sig =
      SignMessage(TestKey(), message, kKatTrusted, kKatUntrusted);
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ(FormatSignature(*sig),
            Read(std::string(kTestData) + "kat_message.txt.minisig"));
  EXPECT_TRUE(VerifyMessage(TestPublicKey(), *sig, message).ok());
}

TEST(MinisignTest, PublicKeyFileRoundTripsAndMatchesSecretKey) {
  const std::string text = Read(std::string(kTestData) + "TEST_ONLY_key.pub");
  EXPECT_EQ(FormatPublicKey(TestPublicKey()), text);
  const PublicKey derived = PublicKeyOf(TestKey());
  EXPECT_EQ(derived.key, TestPublicKey().key);
  EXPECT_EQ(derived.key_id, TestPublicKey().key_id);
  EXPECT_EQ(KeyIdToHex(derived.key_id), text.substr(39, 16));
}

TEST(MinisignTest, KeyIdHexRoundTrips) {
  const KeyId id = TestPublicKey().key_id;
  absl::StatusOr<KeyId> back = KeyIdFromHex(KeyIdToHex(id));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, id);
  EXPECT_FALSE(KeyIdFromHex("123").ok());
  EXPECT_FALSE(KeyIdFromHex("zzzzzzzzzzzzzzzz").ok());
}

TEST(MinisignTest, EncryptedSecretKeyNeedsTheRightPassword) {
  const KdfLimits fast{crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_INTERACTIVE,
                       crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_INTERACTIVE};
  absl::StatusOr<std::string> text =
      FormatSecretKey(TestKey(), std::string("correct horse"), fast);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_THAT(*text, HasSubstr("minisign encrypted secret key"));
  EXPECT_TRUE(*SecretKeyIsEncrypted(*text));
  absl::StatusOr<SecretKey> back =
      ParseSecretKey(*text, std::string("correct horse"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->key, TestKey().key);
  EXPECT_EQ(back->key_id, TestKey().key_id);
  absl::StatusOr<SecretKey> wrong = ParseSecretKey(*text, std::string("nope"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(std::string(wrong.status().message()),
              HasSubstr("wrong password"));
  EXPECT_FALSE(ParseSecretKey(*text, std::nullopt).ok());
}

TEST(MinisignTest, UnencryptedTestKeyIsNotEncrypted) {
  EXPECT_FALSE(*SecretKeyIsEncrypted(
      Read(std::string(kTestData) + "TEST_ONLY_unencrypted_secret.key")));
}

TEST(MinisignTest, RejectsMalformedSignatureFiles) {
  const std::string good =
      Read(std::string(kTestData) + "kat_message.txt.minisig");
  ASSERT_TRUE(ParseSignature(good).ok());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "expected 4 lines"},
      {good.substr(0, good.rfind('\n', good.size() - 2) + 1),
       "expected 4 lines"},
      {good + "extra line\n", "expected 4 lines"},
      {"untrusted comment: x\n!!!!\ntrusted comment: y\nAAAA\n",
       "invalid base64"},
      {"untrusted comment: x\nRUQ=\ntrusted comment: y\nAAAA\n",
       "decodes to 2 bytes, expected 74"},
      {"comment: x\n" + good.substr(good.find('\n') + 1),
       "must start with 'untrusted comment: '"},
  };
  for (const auto& [text, want] : cases) {
    absl::StatusOr<Signature> sig = ParseSignature(text);
    ASSERT_FALSE(sig.ok()) << text;
    EXPECT_THAT(std::string(sig.status().message()), HasSubstr(want)) << text;
  }
  std::string crlf = good;
  crlf.insert(crlf.find('\n'), "\r");
  EXPECT_THAT(std::string(ParseSignature(crlf).status().message()),
              HasSubstr("carriage return"));
}

TEST(MinisignTest, RejectsUnknownAlgorithmAndLegacyUnlessAllowed) {
  const std::string message = Read(std::string(kTestData) + "kat_message.txt");
  const SecretKey key = TestKey();
  absl::StatusOr<Signature> sig =
      SignMessage(key, message, kKatTrusted, kKatUntrusted);
  ASSERT_TRUE(sig.ok());
  // Unknown algorithm "Xx": rewrite the 2-byte prefix, re-encode.
  std::string text = FormatSignature(*sig);
  {
    std::string line = text.substr(text.find('\n') + 1);
    line = line.substr(0, line.find('\n'));
    std::vector<unsigned char> raw(74);
    size_t n = 0;
    ASSERT_EQ(
        sodium_base642bin(raw.data(), raw.size(), line.data(), line.size(),
                          nullptr, &n, nullptr, sodium_base64_VARIANT_ORIGINAL),
        0);
    raw[0] = 'X';
    raw[1] = 'x';
    std::string b64(
        sodium_base64_ENCODED_LEN(74, sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(b64.data(), b64.size(), raw.data(), 74,
                      sodium_base64_VARIANT_ORIGINAL);
    b64.resize(b64.find('\0'));
    std::string bad = text;
    bad.replace(bad.find(line), line.size(), b64);
    EXPECT_THAT(std::string(ParseSignature(bad).status().message()),
                HasSubstr("unknown signature algorithm"));
  }
  // A valid legacy "Ed" signature: Ed25519 over the message itself.
  Signature legacy = *sig;
  legacy.algorithm = SignatureAlgorithm::kLegacy;
  crypto_sign_detached(legacy.signature.data(), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), key.key.data());
  std::string global(legacy.signature.begin(), legacy.signature.end());
  global += legacy.trusted_comment;
  crypto_sign_detached(legacy.global_signature.data(), nullptr,
                       reinterpret_cast<const unsigned char*>(global.data()),
                       global.size(), key.key.data());
  absl::StatusOr<Signature> parsed = ParseSignature(FormatSignature(legacy));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->algorithm, SignatureAlgorithm::kLegacy);
  absl::Status refused = VerifyMessage(TestPublicKey(), *parsed, message);
  EXPECT_THAT(std::string(refused.message()), HasSubstr("prehashed"));
  EXPECT_TRUE(VerifyMessage(TestPublicKey(), *parsed, message,
                            /*allow_legacy=*/true)
                  .ok());
}

TEST(MinisignTest, CommentsMustBeSingleLines) {
  EXPECT_FALSE(SignMessage(TestKey(), "m", "a\nb", "c").ok());
  EXPECT_FALSE(SignMessage(TestKey(), "m", "a", "c\r").ok());
}

}  // namespace
}  // namespace tch::packaging
