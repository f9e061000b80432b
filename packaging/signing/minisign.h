// File: packaging/signing/minisign.h
//
// Keys and signatures in minisign's file formats (https://jedisct1.github.io/
// minisign/), implemented on libsodium. Files written here verify with
// `minisign -Vm FILE -p KEY.pub`, and keys written by `minisign -G` load here.
//
//   public key file   "untrusted comment: minisign public key <KEYID>\n"
//                     base64("Ed" || key id (8) || Ed25519 public key (32))
//   secret key file   "untrusted comment: <comment>\n"
//                     base64("Ed" || kdf ("Sc" or "\0\0") || "B2" || salt (32)
//                            || opslimit (8, LE) || memlimit (8, LE)
//                            || [key id (8) || secret key (64) || chk (32)]
//                               XOR scrypt(password, salt) when encrypted)
//                     chk = BLAKE2b-256("Ed" || key id || secret key)
//   signature file    "untrusted comment: <comment>\n"
//                     base64(alg || key id (8) || signature (64)) "\n"
//                     "trusted comment: <comment>\n"
//                     base64(global signature (64)) "\n"
//     alg "ED" (prehashed): signature = Ed25519(BLAKE2b-512(message));
//     alg "Ed" (legacy):    signature = Ed25519(message).
//     global signature = Ed25519(signature || trusted comment).
//
// A key id prints as 16 upper-case hex digits of the little-endian 64-bit
// number stored in the 8 key id bytes (what minisign prints).
//
// Parsers are strict: exactly the expected lines, '\n' line ends (a stray
// '\r' is an error), canonical padded base64 of the exact length. Every
// failure is an absl::Status with a one-line message.
//
// Example:
//   absl::StatusOr<KeyPair> keys = GenerateKeyPair();
//   Signature sig = SignMessage(keys->secret, data, "timestamp:0", "sig");
//   absl::Status ok = VerifyMessage(keys->public_key, sig, data);
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tch::packaging {

using KeyId = std::array<uint8_t, 8>;
using Ed25519PublicKey = std::array<uint8_t, 32>;
using Ed25519SecretKey = std::array<uint8_t, 64>;
using Ed25519Signature = std::array<uint8_t, 64>;

// "0123456789ABCDEF": the key id as minisign prints it.
std::string KeyIdToHex(const KeyId& id);

// Parses 16 hex digits (either case) as printed by KeyIdToHex.
absl::StatusOr<KeyId> KeyIdFromHex(std::string_view hex);

struct PublicKey {
  KeyId key_id{};
  Ed25519PublicKey key{};
};

struct SecretKey {
  KeyId key_id{};
  Ed25519SecretKey key{};  // libsodium layout: seed (32) || public key (32)
};

struct KeyPair {
  SecretKey secret;
  PublicKey public_key;
};

// scrypt cost stored in an encrypted secret key. The defaults are minisign's
// (libsodium's *_SENSITIVE limits: 1 GiB of memory, about a second).
struct KdfLimits {
  uint64_t opslimit = 33554432;
  uint64_t memlimit = 1073741824;
};

// A fresh random key pair with a random key id.
absl::StatusOr<KeyPair> GenerateKeyPair();

// The public half of `secret`.
PublicKey PublicKeyOf(const SecretKey& secret);

// Public key file contents (two lines), or just its base64 line.
std::string FormatPublicKey(const PublicKey& key);
std::string PublicKeyBase64(const PublicKey& key);

// Parses a public key file (comment line + base64 line) or a bare base64
// line (what `minisign -P` takes).
absl::StatusOr<PublicKey> ParsePublicKey(std::string_view text);

// Secret key file contents. With a password, the key is encrypted with
// scrypt (crypto_pwhash_scryptsalsa208sha256) under a random salt; without
// one (test fixtures only) the KDF fields are zero, like `minisign -G -W`.
absl::StatusOr<std::string> FormatSecretKey(
    const SecretKey& key, const std::optional<std::string>& password,
    const KdfLimits& limits = KdfLimits());

// True when the secret key file is scrypt-encrypted (needs a password).
absl::StatusOr<bool> SecretKeyIsEncrypted(std::string_view text);

// Parses (and, when encrypted, decrypts with `password`) a secret key file.
// Errors: malformed file, missing or wrong password (checksum mismatch).
absl::StatusOr<SecretKey> ParseSecretKey(
    std::string_view text, const std::optional<std::string>& password);

enum class SignatureAlgorithm { kLegacy, kPrehashed };  // "Ed", "ED"

struct Signature {
  SignatureAlgorithm algorithm = SignatureAlgorithm::kPrehashed;
  KeyId key_id{};
  Ed25519Signature signature{};
  std::string untrusted_comment;  // without the "untrusted comment: " prefix
  std::string trusted_comment;    // without the "trusted comment: " prefix
  Ed25519Signature global_signature{};
};

// Signs `message` prehashed ("ED"), minisign's default since 0.8. Ed25519 is
// deterministic: the same key, message and comments give the same bytes.
// Comments must be single lines (no '\n' or '\r'): checked, errors out.
absl::StatusOr<Signature> SignMessage(const SecretKey& key,
                                      std::string_view message,
                                      std::string_view trusted_comment,
                                      std::string_view untrusted_comment);

// The .minisig file contents (four lines).
std::string FormatSignature(const Signature& signature);

// Parses a .minisig file. Rejects missing or extra lines, '\r', bad or
// non-canonical base64, wrong lengths and unknown algorithms.
absl::StatusOr<Signature> ParseSignature(std::string_view text);

// Checks the key id, the signature of `message` and the global signature
// over the trusted comment. A legacy "Ed" signature is refused unless
// `allow_legacy` (tch signs prehashed only; accepting both would let an
// attacker pick the weaker mode).
absl::Status VerifyMessage(const PublicKey& key, const Signature& signature,
                           std::string_view message, bool allow_legacy = false);

}  // namespace tch::packaging
