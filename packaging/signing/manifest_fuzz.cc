// libFuzzer target for the SHA256SUMS, revocation list, version and tarball
// name parsers: arbitrary bytes must give a value or a status, never a
// crash, leak or undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "packaging/signing/manifest.h"
#include "packaging/signing/release.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<tch::packaging::ManifestEntry>> entries =
      tch::packaging::ParseManifest(text);
  if (entries.ok()) {
    absl::StatusOr<std::string> again =
        tch::packaging::FormatManifest(*entries);
    if (!again.ok() || *again != text) __builtin_trap();  // must round-trip
  }
  (void)tch::packaging::ParseRevocationList(text);
  (void)tch::packaging::ParseVersion(text);
  (void)tch::packaging::ParseTarballName(text);
  return 0;
}
