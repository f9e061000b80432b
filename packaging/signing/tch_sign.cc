// tch_sign: the release signing tool.
//
//   tch_sign keygen --public tch.pub --secret tch.key [--password-file F]
//                   [--unencrypted-test-key] [--kdf-interactive] [--force]
//   tch_sign sign-release --dir DIR --secret tch.key --version X.Y.Z
//                   [--epoch N] [--password-file F] [--build-info FILE]...
//                   [--source-uri URI] [--command CMD]
//   tch_sign sign --secret tch.key --version X.Y.Z [--epoch N] FILE...
//   tch_sign pubkey --secret tch.key [--password-file F]
//
// Keys are minisign keys; secret keys are scrypt-encrypted unless
// --unencrypted-test-key (throw-away test fixtures only). The password comes
// from --password-file, else from the first line of standard input. The
// epoch (signed timestamp) is --epoch or $SOURCE_DATE_EPOCH, never the clock.
// Exit codes: 0 ok, 1 failure, 2 usage.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "packaging/signing/manifest.h"
#include "packaging/signing/minisign.h"
#include "packaging/signing/provenance.h"
#include "packaging/signing/release.h"
#include "packaging/signing/strings.h"

namespace tch::packaging {
namespace {

namespace fs = std::filesystem;

constexpr int kOk = 0;
constexpr int kFailure = 1;
constexpr int kUsage = 2;

constexpr char kUsageText[] =
    "usage: tch_sign keygen --public PUB --secret KEY [--password-file F]\n"
    "                       [--unencrypted-test-key] [--kdf-interactive] "
    "[--force]\n"
    "       tch_sign sign-release --dir DIR --secret KEY --version X.Y.Z\n"
    "                       [--epoch N] [--password-file F] [--build-info "
    "FILE]...\n"
    "                       [--source-uri URI] [--command CMD]\n"
    "       tch_sign sign --secret KEY --version X.Y.Z [--epoch N] FILE...\n"
    "       tch_sign pubkey --secret KEY [--password-file F]\n";

struct Args {
  std::multimap<std::string, std::string> values;
  std::vector<std::string> positional;
  bool Has(const std::string& k) const { return values.contains(k); }
  std::string Get(const std::string& k, const std::string& d = "") const {
    auto it = values.find(k);
    return it == values.end() ? d : it->second;
  }
};

const std::vector<std::string> kBoolFlags = {"--unencrypted-test-key",
                                             "--kdf-interactive", "--force"};

std::optional<Args> ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (!a.starts_with("--")) {
      args.positional.push_back(a);
      continue;
    }
    if (std::find(kBoolFlags.begin(), kBoolFlags.end(), a) !=
        kBoolFlags.end()) {
      args.values.emplace(a, "true");
      continue;
    }
    const size_t eq = a.find('=');
    if (eq != std::string::npos) {
      args.values.emplace(a.substr(0, eq), a.substr(eq + 1));
    } else if (i + 1 < argc) {
      args.values.emplace(a, argv[++i]);
    } else {
      std::cerr << "tch_sign: " << a << " needs a value\n";
      return std::nullopt;
    }
  }
  return args;
}

absl::StatusOr<std::string> ReadPassword(const Args& args) {
  std::string password;
  if (args.Has("--password-file")) {
    absl::StatusOr<std::string> text =
        ReadFileLimited(args.Get("--password-file"), 4096);
    if (!text.ok()) return text.status();
    password = text->substr(0, text->find('\n'));
  } else {
    std::cerr << "password: " << std::flush;
    if (!std::getline(std::cin, password)) {
      return absl::InvalidArgumentError("no password on standard input");
    }
  }
  if (password.empty()) return absl::InvalidArgumentError("empty password");
  return password;
}

absl::StatusOr<SecretKey> LoadSecretKey(const Args& args) {
  if (!args.Has("--secret")) {
    return absl::InvalidArgumentError("--secret KEY is required");
  }
  absl::StatusOr<std::string> text =
      ReadFileLimited(args.Get("--secret"), 4096);
  if (!text.ok()) return text.status();
  absl::StatusOr<bool> encrypted = SecretKeyIsEncrypted(*text);
  if (!encrypted.ok()) return encrypted.status();
  std::optional<std::string> password;
  if (*encrypted) {
    absl::StatusOr<std::string> p = ReadPassword(args);
    if (!p.ok()) return p.status();
    password = *p;
  }
  return ParseSecretKey(*text, password);
}

absl::StatusOr<int64_t> Epoch(const Args& args) {
  std::string text = args.Get("--epoch");
  if (text.empty()) {
    const char* env = std::getenv("SOURCE_DATE_EPOCH");
    if (env != nullptr) text = env;
  }
  int64_t epoch = 0;
  if (text.empty() || !ParseUint(text, &epoch)) {
    return absl::InvalidArgumentError(
        "--epoch N or SOURCE_DATE_EPOCH is required (never the clock)");
  }
  return epoch;
}

absl::Status Keygen(const Args& args) {
  const std::string pub = args.Get("--public");
  const std::string sec = args.Get("--secret");
  if (pub.empty() || sec.empty()) {
    return absl::InvalidArgumentError("--public and --secret are required");
  }
  if (!args.Has("--force") && (fs::exists(pub) || fs::exists(sec))) {
    return absl::AlreadyExistsError(
        "key file exists; pass --force to overwrite");
  }
  absl::StatusOr<KeyPair> pair = GenerateKeyPair();
  if (!pair.ok()) return pair.status();
  std::optional<std::string> password;
  if (!args.Has("--unencrypted-test-key")) {
    absl::StatusOr<std::string> p = ReadPassword(args);
    if (!p.ok()) return p.status();
    password = *p;
  }
  KdfLimits limits;
  if (args.Has("--kdf-interactive")) {
    limits = {524288, 16777216};  // libsodium's *_INTERACTIVE limits
  }
  absl::StatusOr<std::string> secret_text =
      FormatSecretKey(pair->secret, password, limits);
  if (!secret_text.ok()) return secret_text.status();
  {
    // Create the secret key file private to the owner.
    std::error_code ec;
    fs::remove(sec, ec);
    if (absl::Status s = WriteFile(sec, ""); !s.ok()) return s;
    fs::permissions(sec, fs::perms::owner_read | fs::perms::owner_write, ec);
  }
  if (absl::Status s = WriteFile(sec, *secret_text); !s.ok()) return s;
  if (absl::Status s = WriteFile(pub, FormatPublicKey(pair->public_key));
      !s.ok()) {
    return s;
  }
  std::cout << "key id " << KeyIdToHex(pair->public_key.key_id) << ": public "
            << pub << ", secret " << sec
            << (password ? " (encrypted)" : " (UNENCRYPTED: test use only)")
            << "\n";
  return absl::OkStatus();
}

absl::Status SignRelease(const Args& args) {
  const std::string dir = args.Get("--dir");
  const std::string version = args.Get("--version");
  if (dir.empty() || version.empty()) {
    return absl::InvalidArgumentError("--dir and --version are required");
  }
  absl::StatusOr<int64_t> epoch = Epoch(args);
  if (!epoch.ok()) return epoch.status();
  absl::StatusOr<SecretKey> key = LoadSecretKey(args);
  if (!key.ok()) return key.status();

  std::vector<std::string> infos;
  for (auto [it, end] = args.values.equal_range("--build-info"); it != end;
       ++it) {
    absl::StatusOr<std::string> text = ReadFileLimited(it->second, 1 << 20);
    if (!text.ok()) return text.status();
    infos.push_back(*text);
  }
  if (!infos.empty()) {
    ProvenanceInput input;
    input.version = version;
    input.build_infos = infos;
    input.source_uri = args.Get("--source-uri", "git+https://tch.invalid/tch");
    input.release_command = args.Get("--command", "ci/release.sh");
    input.epoch = *epoch;
    for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      if (!ParseTarballName(name).has_value()) continue;
      absl::StatusOr<std::string> digest = Sha256File(e.path().string());
      if (!digest.ok()) return digest.status();
      input.subjects.push_back({*digest, name});
    }
    absl::StatusOr<std::string> statement = MakeProvenance(input);
    if (!statement.ok()) return statement.status();
    const std::string path = (fs::path(dir) / ProvenanceName(version)).string();
    if (absl::Status s = WriteFile(path, *statement); !s.ok()) return s;
    if (absl::Status s = SignFile(path, *key, version, *epoch); !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = SignReleaseDirectory(dir, *key, version, *epoch);
      !s.ok()) {
    return s;
  }
  std::cout << "signed " << dir << "/SHA256SUMS with key "
            << KeyIdToHex(key->key_id) << "\n";
  return absl::OkStatus();
}

absl::Status SignFiles(const Args& args) {
  const std::string version = args.Get("--version");
  if (version.empty() || args.positional.empty()) {
    return absl::InvalidArgumentError("--version and FILE... are required");
  }
  absl::StatusOr<int64_t> epoch = Epoch(args);
  if (!epoch.ok()) return epoch.status();
  absl::StatusOr<SecretKey> key = LoadSecretKey(args);
  if (!key.ok()) return key.status();
  for (const std::string& file : args.positional) {
    if (absl::Status s = SignFile(file, *key, version, *epoch); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsageText;
    return kUsage;
  }
  const std::string command = argv[1];
  if (command == "--help" || command == "help") {
    std::cout << kUsageText;
    return kOk;
  }
  std::optional<Args> args = ParseArgs(argc, argv);
  if (!args.has_value()) return kUsage;
  absl::Status status;
  if (command == "keygen") {
    status = Keygen(*args);
  } else if (command == "sign-release") {
    status = SignRelease(*args);
  } else if (command == "sign") {
    status = SignFiles(*args);
  } else if (command == "pubkey") {
    absl::StatusOr<SecretKey> key = LoadSecretKey(*args);
    status = key.status();
    if (key.ok()) std::cout << FormatPublicKey(PublicKeyOf(*key));
  } else {
    std::cerr << "tch_sign: unknown command '" << command << "'\n"
              << kUsageText;
    return kUsage;
  }
  if (!status.ok()) {
    std::cerr << "tch_sign " << command << ": error: " << status.message()
              << "\n";
    return kFailure;
  }
  return kOk;
}

}  // namespace
}  // namespace tch::packaging

int main(int argc, char** argv) { return tch::packaging::Main(argc, argv); }
