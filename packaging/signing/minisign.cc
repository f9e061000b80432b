#include "packaging/signing/minisign.h"

#include <sodium.h>

#include <cstring>
#include <vector>

#include "packaging/signing/strings.h"

namespace tch::packaging {
namespace {

constexpr std::string_view kUntrustedPrefix = "untrusted comment: ";
constexpr std::string_view kTrustedPrefix = "trusted comment: ";
constexpr size_t kSaltBytes = crypto_pwhash_scryptsalsa208sha256_SALTBYTES;
// sig_alg, kdf_alg, chk_alg, salt, opslimit, memlimit, then the 104 bytes of
// key id || secret key || checksum (the part that is encrypted).
constexpr size_t kSecretHeaderBytes = 2 + 2 + 2 + kSaltBytes + 8 + 8;
constexpr size_t kKeynumSkBytes = 8 + 64 + 32;
constexpr size_t kSecretKeyBytes = kSecretHeaderBytes + kKeynumSkBytes;
constexpr size_t kPublicKeyBytes = 2 + 8 + 32;
constexpr size_t kSignatureBytes = 2 + 8 + 64;
constexpr size_t kMaxCommentBytes = 8192;

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

std::string Base64Encode(const uint8_t* data, size_t size) {
  std::string out(
      sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size,
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

// Decodes canonical, padded base64 of exactly `expected` bytes.
absl::StatusOr<std::vector<uint8_t>> Base64Decode(std::string_view text,
                                                  size_t expected,
                                                  std::string_view what) {
  std::vector<uint8_t> out(expected + 3);
  size_t size = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(),
                        nullptr, &size, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return absl::InvalidArgumentError(Cat(what, ": invalid base64"));
  }
  if (size != expected) {
    return absl::InvalidArgumentError(
        Cat(what, ": decodes to ", size, " bytes, expected ", expected));
  }
  out.resize(size);
  // Reject non-canonical encodings (non-zero padding bits): re-encode.
  if (Base64Encode(out.data(), out.size()) != text) {
    return absl::InvalidArgumentError(Cat(what, ": non-canonical base64"));
  }
  return out;
}

// Splits `text` into lines terminated by '\n'. The last line may lack its
// '\n'. A '\r' anywhere is an error (files are written with '\n' only).
absl::StatusOr<std::vector<std::string_view>> SplitLines(
    std::string_view text, std::string_view what) {
  if (text.find('\r') != std::string_view::npos) {
    return absl::InvalidArgumentError(
        Cat(what, ": carriage return (\\r) in file"));
  }
  if (text.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError(Cat(what, ": NUL byte in file"));
  }
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (text.empty()) return std::vector<std::string_view>{};
  return std::vector<std::string_view>(Split(text, '\n'));
}

bool IsSingleLine(std::string_view s) {
  return s.find_first_of("\r\n") == std::string_view::npos &&
         s.find('\0') == std::string_view::npos;
}

void StoreLe64(uint8_t* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}

uint64_t LoadLe64(const uint8_t* in) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | in[i];
  return v;
}

std::array<uint8_t, 32> SecretKeyChecksum(const SecretKey& key) {
  std::array<uint8_t, 32> chk{};
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, chk.size());
  crypto_generichash_update(&state, reinterpret_cast<const uint8_t*>("Ed"), 2);
  crypto_generichash_update(&state, key.key_id.data(), key.key_id.size());
  crypto_generichash_update(&state, key.key.data(), key.key.size());
  crypto_generichash_final(&state, chk.data(), chk.size());
  return chk;
}

absl::Status XorWithScrypt(uint8_t* data, size_t size,
                           const std::string& password, const uint8_t* salt,
                           uint64_t opslimit, uint64_t memlimit) {
  std::vector<uint8_t> stream(size);
  if (crypto_pwhash_scryptsalsa208sha256(
          stream.data(), stream.size(), password.data(), password.size(), salt,
          opslimit, static_cast<size_t>(memlimit)) != 0) {
    return absl::ResourceExhaustedError(
        "secret key: scrypt failed (out of memory or invalid limits)");
  }
  for (size_t i = 0; i < size; ++i) data[i] ^= stream[i];
  sodium_memzero(stream.data(), stream.size());
  return absl::OkStatus();
}

// Decodes the base64 line of a secret key file.
absl::StatusOr<std::vector<uint8_t>> SecretKeyBytes(std::string_view text) {
  absl::StatusOr<std::vector<std::string_view>> lines =
      SplitLines(text, "secret key");
  if (!lines.ok()) return lines.status();
  if (lines->size() != 2 || !lines->front().starts_with(kUntrustedPrefix)) {
    return absl::InvalidArgumentError(
        "secret key: expected an 'untrusted comment:' line and a base64 line");
  }
  absl::StatusOr<std::vector<uint8_t>> bytes =
      Base64Decode((*lines)[1], kSecretKeyBytes, "secret key");
  if (!bytes.ok()) return bytes.status();
  if (std::memcmp(bytes->data(), "Ed", 2) != 0 ||
      std::memcmp(bytes->data() + 4, "B2", 2) != 0) {
    return absl::InvalidArgumentError(
        "secret key: unsupported signature or checksum algorithm");
  }
  if (std::memcmp(bytes->data() + 2, "Sc", 2) != 0 &&
      std::memcmp(bytes->data() + 2, "\0\0", 2) != 0) {
    return absl::InvalidArgumentError("secret key: unsupported KDF algorithm");
  }
  return bytes;
}

}  // namespace

std::string KeyIdToHex(const KeyId& id) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  const uint64_t v = LoadLe64(id.data());
  std::string out(16, '0');
  for (int i = 0; i < 16; ++i) out[15 - i] = kDigits[(v >> (4 * i)) & 0xF];
  return out;
}

absl::StatusOr<KeyId> KeyIdFromHex(std::string_view hex) {
  if (hex.size() != 16) {
    return absl::InvalidArgumentError(
        Cat("key id '", hex, "': expected 16 hex digits"));
  }
  uint64_t v = 0;
  for (char c : hex) {
    int d = 0;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return absl::InvalidArgumentError(
          Cat("key id '", hex, "': expected 16 hex digits"));
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  KeyId id;
  StoreLe64(id.data(), v);
  return id;
}

absl::StatusOr<KeyPair> GenerateKeyPair() {
  if (!SodiumReady()) return absl::InternalError("libsodium failed to start");
  KeyPair pair;
  crypto_sign_keypair(pair.public_key.key.data(), pair.secret.key.data());
  randombytes_buf(pair.secret.key_id.data(), pair.secret.key_id.size());
  pair.public_key.key_id = pair.secret.key_id;
  return pair;
}

PublicKey PublicKeyOf(const SecretKey& secret) {
  PublicKey pk;
  pk.key_id = secret.key_id;
  std::memcpy(pk.key.data(), secret.key.data() + 32, 32);
  return pk;
}

std::string PublicKeyBase64(const PublicKey& key) {
  std::array<uint8_t, kPublicKeyBytes> bytes{};
  std::memcpy(bytes.data(), "Ed", 2);
  std::memcpy(bytes.data() + 2, key.key_id.data(), 8);
  std::memcpy(bytes.data() + 10, key.key.data(), 32);
  return Base64Encode(bytes.data(), bytes.size());
}

std::string FormatPublicKey(const PublicKey& key) {
  return Cat(kUntrustedPrefix, "minisign public key ", KeyIdToHex(key.key_id),
             "\n", PublicKeyBase64(key), "\n");
}

absl::StatusOr<PublicKey> ParsePublicKey(std::string_view text) {
  absl::StatusOr<std::vector<std::string_view>> lines =
      SplitLines(text, "public key");
  if (!lines.ok()) return lines.status();
  std::string_view line;
  if (lines->size() == 1) {
    line = lines->front();
  } else if (lines->size() == 2 &&
             lines->front().starts_with(kUntrustedPrefix)) {
    line = (*lines)[1];
  } else {
    return absl::InvalidArgumentError(
        "public key: expected an 'untrusted comment:' line and a base64 line");
  }
  absl::StatusOr<std::vector<uint8_t>> bytes =
      Base64Decode(line, kPublicKeyBytes, "public key");
  if (!bytes.ok()) return bytes.status();
  if (std::memcmp(bytes->data(), "Ed", 2) != 0) {
    return absl::InvalidArgumentError(
        "public key: unsupported signature algorithm (expected Ed25519)");
  }
  PublicKey key;
  std::memcpy(key.key_id.data(), bytes->data() + 2, 8);
  std::memcpy(key.key.data(), bytes->data() + 10, 32);
  return key;
}

absl::StatusOr<std::string> FormatSecretKey(
    const SecretKey& key, const std::optional<std::string>& password,
    const KdfLimits& limits) {
  if (!SodiumReady()) return absl::InternalError("libsodium failed to start");
  std::array<uint8_t, kSecretKeyBytes> bytes{};
  std::memcpy(bytes.data(), "Ed", 2);
  std::memcpy(bytes.data() + 4, "B2", 2);
  uint8_t* keynum = bytes.data() + kSecretHeaderBytes;
  std::memcpy(keynum, key.key_id.data(), 8);
  std::memcpy(keynum + 8, key.key.data(), 64);
  const std::array<uint8_t, 32> chk = SecretKeyChecksum(key);
  std::memcpy(keynum + 72, chk.data(), 32);
  std::string comment = "minisign unencrypted secret key";
  if (password.has_value()) {
    comment = "minisign encrypted secret key";
    std::memcpy(bytes.data() + 2, "Sc", 2);
    uint8_t* salt = bytes.data() + 6;
    randombytes_buf(salt, kSaltBytes);
    StoreLe64(salt + kSaltBytes, limits.opslimit);
    StoreLe64(salt + kSaltBytes + 8, limits.memlimit);
    absl::Status s = XorWithScrypt(keynum, kKeynumSkBytes, *password, salt,
                                   limits.opslimit, limits.memlimit);
    if (!s.ok()) return s;
  }
  std::string out = Cat(kUntrustedPrefix, comment, "\n",
                        Base64Encode(bytes.data(), bytes.size()), "\n");
  sodium_memzero(bytes.data(), bytes.size());
  return out;
}

absl::StatusOr<bool> SecretKeyIsEncrypted(std::string_view text) {
  absl::StatusOr<std::vector<uint8_t>> bytes = SecretKeyBytes(text);
  if (!bytes.ok()) return bytes.status();
  const bool encrypted = std::memcmp(bytes->data() + 2, "Sc", 2) == 0;
  sodium_memzero(bytes->data(), bytes->size());
  return encrypted;
}

absl::StatusOr<SecretKey> ParseSecretKey(
    std::string_view text, const std::optional<std::string>& password) {
  if (!SodiumReady()) return absl::InternalError("libsodium failed to start");
  absl::StatusOr<std::vector<uint8_t>> bytes = SecretKeyBytes(text);
  if (!bytes.ok()) return bytes.status();
  uint8_t* keynum = bytes->data() + kSecretHeaderBytes;
  const bool encrypted = std::memcmp(bytes->data() + 2, "Sc", 2) == 0;
  if (encrypted) {
    if (!password.has_value()) {
      return absl::InvalidArgumentError(
          "secret key: encrypted, a password is required");
    }
    const uint8_t* salt = bytes->data() + 6;
    absl::Status s = XorWithScrypt(keynum, kKeynumSkBytes, *password, salt,
                                   LoadLe64(salt + kSaltBytes),
                                   LoadLe64(salt + kSaltBytes + 8));
    if (!s.ok()) return s;
  }
  SecretKey key;
  std::memcpy(key.key_id.data(), keynum, 8);
  std::memcpy(key.key.data(), keynum + 8, 64);
  const std::array<uint8_t, 32> chk = SecretKeyChecksum(key);
  // minisign checks the checksum only for encrypted keys (an unencrypted
  // key written by `minisign -G -W` stores zeros there).
  const bool chk_ok = sodium_memcmp(chk.data(), keynum + 72, 32) == 0;
  sodium_memzero(bytes->data(), bytes->size());
  if (encrypted && !chk_ok) {
    sodium_memzero(key.key.data(), key.key.size());
    return absl::PermissionDeniedError(
        "secret key: wrong password (checksum mismatch)");
  }
  return key;
}

absl::StatusOr<Signature> SignMessage(const SecretKey& key,
                                      std::string_view message,
                                      std::string_view trusted_comment,
                                      std::string_view untrusted_comment) {
  if (!SodiumReady()) return absl::InternalError("libsodium failed to start");
  if (!IsSingleLine(trusted_comment) || !IsSingleLine(untrusted_comment) ||
      trusted_comment.size() > kMaxCommentBytes ||
      untrusted_comment.size() > kMaxCommentBytes) {
    return absl::InvalidArgumentError(
        "signature comments must be single lines of at most 8192 bytes");
  }
  Signature sig;
  sig.algorithm = SignatureAlgorithm::kPrehashed;
  sig.key_id = key.key_id;
  sig.untrusted_comment = std::string(untrusted_comment);
  sig.trusted_comment = std::string(trusted_comment);
  std::array<uint8_t, crypto_generichash_BYTES_MAX> hash{};
  crypto_generichash(hash.data(), hash.size(),
                     reinterpret_cast<const uint8_t*>(message.data()),
                     message.size(), nullptr, 0);
  crypto_sign_detached(sig.signature.data(), nullptr, hash.data(), hash.size(),
                       key.key.data());
  std::string global(sig.signature.begin(), sig.signature.end());
  global += trusted_comment;
  crypto_sign_detached(sig.global_signature.data(), nullptr,
                       reinterpret_cast<const uint8_t*>(global.data()),
                       global.size(), key.key.data());
  return sig;
}

std::string FormatSignature(const Signature& signature) {
  std::array<uint8_t, kSignatureBytes> bytes{};
  std::memcpy(
      bytes.data(),
      signature.algorithm == SignatureAlgorithm::kPrehashed ? "ED" : "Ed", 2);
  std::memcpy(bytes.data() + 2, signature.key_id.data(), 8);
  std::memcpy(bytes.data() + 10, signature.signature.data(), 64);
  return Cat(kUntrustedPrefix, signature.untrusted_comment, "\n",
             Base64Encode(bytes.data(), bytes.size()), "\n", kTrustedPrefix,
             signature.trusted_comment, "\n",
             Base64Encode(signature.global_signature.data(),
                          signature.global_signature.size()),
             "\n");
}

absl::StatusOr<Signature> ParseSignature(std::string_view text) {
  absl::StatusOr<std::vector<std::string_view>> lines =
      SplitLines(text, "signature");
  if (!lines.ok()) return lines.status();
  if (lines->size() != 4) {
    return absl::InvalidArgumentError(Cat(
        "signature: expected 4 lines (untrusted comment, signature, trusted "
        "comment, global signature), got ",
        lines->size()));
  }
  const std::vector<std::string_view>& l = *lines;
  if (!l[0].starts_with(kUntrustedPrefix)) {
    return absl::InvalidArgumentError(
        "signature: line 1 must start with 'untrusted comment: '");
  }
  if (!l[2].starts_with(kTrustedPrefix)) {
    return absl::InvalidArgumentError(
        "signature: line 3 must start with 'trusted comment: '");
  }
  if (l[0].size() > kMaxCommentBytes + kUntrustedPrefix.size() ||
      l[2].size() > kMaxCommentBytes + kTrustedPrefix.size()) {
    return absl::InvalidArgumentError("signature: comment too long");
  }
  absl::StatusOr<std::vector<uint8_t>> bytes =
      Base64Decode(l[1], kSignatureBytes, "signature: line 2");
  if (!bytes.ok()) return bytes.status();
  Signature sig;
  if (std::memcmp(bytes->data(), "ED", 2) == 0) {
    sig.algorithm = SignatureAlgorithm::kPrehashed;
  } else if (std::memcmp(bytes->data(), "Ed", 2) == 0) {
    sig.algorithm = SignatureAlgorithm::kLegacy;
  } else {
    return absl::InvalidArgumentError(
        "signature: unknown signature algorithm (expected ED or Ed)");
  }
  std::memcpy(sig.key_id.data(), bytes->data() + 2, 8);
  std::memcpy(sig.signature.data(), bytes->data() + 10, 64);
  absl::StatusOr<std::vector<uint8_t>> global =
      Base64Decode(l[3], 64, "signature: line 4 (global signature)");
  if (!global.ok()) return global.status();
  std::memcpy(sig.global_signature.data(), global->data(), 64);
  sig.untrusted_comment = std::string(l[0].substr(kUntrustedPrefix.size()));
  sig.trusted_comment = std::string(l[2].substr(kTrustedPrefix.size()));
  return sig;
}

absl::Status VerifyMessage(const PublicKey& key, const Signature& signature,
                           std::string_view message, bool allow_legacy) {
  if (!SodiumReady()) return absl::InternalError("libsodium failed to start");
  if (signature.key_id != key.key_id) {
    return absl::PermissionDeniedError(
        Cat("signed by key ", KeyIdToHex(signature.key_id), ", not by key ",
            KeyIdToHex(key.key_id)));
  }
  int rc = -1;
  if (signature.algorithm == SignatureAlgorithm::kPrehashed) {
    std::array<uint8_t, crypto_generichash_BYTES_MAX> hash{};
    crypto_generichash(hash.data(), hash.size(),
                       reinterpret_cast<const uint8_t*>(message.data()),
                       message.size(), nullptr, 0);
    rc = crypto_sign_verify_detached(signature.signature.data(), hash.data(),
                                     hash.size(), key.key.data());
  } else {
    if (!allow_legacy) {
      return absl::PermissionDeniedError(
          "legacy (non-prehashed 'Ed') signature refused: prehashed 'ED' "
          "required");
    }
    rc = crypto_sign_verify_detached(
        signature.signature.data(),
        reinterpret_cast<const uint8_t*>(message.data()), message.size(),
        key.key.data());
  }
  if (rc != 0) {
    return absl::PermissionDeniedError(
        "signature verification failed (file modified or wrong key)");
  }
  std::string global(signature.signature.begin(), signature.signature.end());
  global += signature.trusted_comment;
  if (crypto_sign_verify_detached(
          signature.global_signature.data(),
          reinterpret_cast<const uint8_t*>(global.data()), global.size(),
          key.key.data()) != 0) {
    return absl::PermissionDeniedError(
        "global signature verification failed (trusted comment modified)");
  }
  return absl::OkStatus();
}

}  // namespace tch::packaging
