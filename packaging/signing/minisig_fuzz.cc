// libFuzzer target for the .minisig, public key, secret key and trusted
// comment parsers: arbitrary bytes must give a value or a status, never a
// crash, leak or undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "packaging/signing/minisign.h"
#include "packaging/signing/release.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<tch::packaging::Signature> sig =
      tch::packaging::ParseSignature(text);
  if (sig.ok()) {
    (void)tch::packaging::FormatSignature(*sig);
    (void)tch::packaging::ParseTrustedComment(sig->trusted_comment);
    tch::packaging::PublicKey key;
    key.key_id = sig->key_id;
    (void)tch::packaging::VerifyMessage(key, *sig, text);
  }
  (void)tch::packaging::ParsePublicKey(text);
  (void)tch::packaging::SecretKeyIsEncrypted(text);
  (void)tch::packaging::ParseTrustedComment(text);
  return 0;
}
