// `tch verify`: checks a signed release directory or one tarball of it.
//
//   tch verify RELEASE_DIR_OR_TARBALL --key tch.pub [--key next.pub]
//              [--min-version X.Y.Z] [--revoked revoked_keys.txt]
//              [--allow-legacy-signature]
//
// Prints one line: "tch verify: OK: ..." or "tch verify: FAILED: <reason>".
// Exit codes: 0 verified, 1 verification failed or unreadable input,
// 2 usage error.
#include <iostream>
#include <string>
#include <string_view>

#include "packaging/signing/release.h"
#include "packaging/signing/strings.h"
#include "tools/cli/commands.h"

namespace tch::cli {
namespace {

constexpr char kVerifyUsage[] =
    "usage: tch verify RELEASE_DIR_OR_TARBALL --key PUBKEY [--key PUBKEY]...\n"
    "                  [--min-version X.Y.Z] [--revoked FILE] "
    "[--allow-legacy-signature]\n"
    "Checks SHA256SUMS.minisig (minisign, prehashed Ed25519) with an allowed,\n"
    "unrevoked key, the signed policy (product, file name, version >= "
    "minimum,\n"
    "tarball names and flavours) and every SHA-256 checksum.\n"
    "exit codes: 0 verified, 1 verification failed, 2 usage error\n";

int UsageError(std::string_view message) {
  std::cerr << "tch verify: " << message << "\n" << kVerifyUsage;
  return kExitUsage;
}

int Failed(const absl::Status& status) {
  std::cout << "tch verify: FAILED: " << status.message() << "\n";
  return kExitUserError;
}

}  // namespace

int RunVerify(int argc, char** argv) {
  std::string path;
  std::vector<std::string> key_files;
  std::string revoked_file;
  packaging::VerifyOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--help" || arg == "-h") {
      std::cout << kVerifyUsage;
      return kExitOk;
    } else if (arg == "--key") {
      if (!value(&v)) return UsageError("--key needs a file");
      key_files.push_back(v);
    } else if (arg == "--min-version") {
      if (!value(&v)) return UsageError("--min-version needs a version");
      if (!packaging::ParseVersion(v).ok()) {
        return UsageError("--min-version: expected X.Y.Z");
      }
      options.min_version = v;
    } else if (arg == "--revoked") {
      if (!value(&revoked_file)) return UsageError("--revoked needs a file");
    } else if (arg == "--allow-legacy-signature") {
      options.allow_legacy = true;
    } else if (arg.starts_with("-")) {
      return UsageError("unknown option " + std::string(arg));
    } else if (path.empty()) {
      path = arg;
    } else {
      return UsageError("more than one release path given");
    }
  }
  if (path.empty()) return UsageError("no release directory or tarball given");
  if (key_files.empty()) return UsageError("--key PUBKEY is required");

  for (const std::string& file : key_files) {
    absl::StatusOr<std::string> text = packaging::ReadFileLimited(file, 4096);
    if (!text.ok()) return Failed(text.status());
    absl::StatusOr<packaging::PublicKey> key = packaging::ParsePublicKey(*text);
    if (!key.ok()) {
      std::cout << "tch verify: FAILED: " << file << ": "
                << key.status().message() << "\n";
      return kExitUserError;
    }
    options.keys.push_back(*key);
  }
  if (!revoked_file.empty()) {
    absl::StatusOr<std::string> text =
        packaging::ReadFileLimited(revoked_file, 1 << 20);
    if (!text.ok()) return Failed(text.status());
    absl::StatusOr<std::set<packaging::KeyId>> revoked =
        packaging::ParseRevocationList(*text);
    if (!revoked.ok()) return Failed(revoked.status());
    options.revoked = *revoked;
  }
  absl::StatusOr<packaging::VerifyReport> report =
      packaging::VerifyRelease(path, options);
  if (!report.ok()) return Failed(report.status());
  std::cout << "tch verify: OK: tch " << report->version << " ("
            << packaging::Join(report->flavours, ",") << "), "
            << report->checked.size() << " file(s) match SHA256SUMS, signed by "
            << "key " << report->key_id << " (timestamp " << report->timestamp
            << ")\n";
  return kExitOk;
}

}  // namespace tch::cli
