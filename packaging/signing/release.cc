#include "packaging/signing/release.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

#include "packaging/signing/manifest.h"
#include "packaging/signing/strings.h"

namespace tch::packaging {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxManifestBytes = 1 << 20;
constexpr size_t kMaxSignatureBytes = 64 << 10;
constexpr std::string_view kTarballPrefix = "tch-";
constexpr std::string_view kTarballPlatform = "-linux-x86_64-";
constexpr std::string_view kTarballSuffix = ".tar.gz";

bool IsFlavour(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

absl::Status Fail(const std::string& message) {
  return absl::PermissionDeniedError(message);
}

// Verifies `signature_text` over `message` with the allowed, unrevoked key
// it names.
absl::StatusOr<Signature> CheckSignature(std::string_view what,
                                         std::string_view signature_text,
                                         std::string_view message,
                                         const VerifyOptions& options) {
  absl::StatusOr<Signature> sig = ParseSignature(signature_text);
  if (!sig.ok()) {
    return absl::InvalidArgumentError(
        Cat(what, ".minisig: ", sig.status().message()));
  }
  if (options.revoked.contains(sig->key_id)) {
    return Fail(Cat(what, ": signed by revoked key ", KeyIdToHex(sig->key_id)));
  }
  const PublicKey* key = nullptr;
  for (const PublicKey& k : options.keys) {
    if (k.key_id == sig->key_id) key = &k;
  }
  if (key == nullptr) {
    std::vector<std::string> allowed;
    for (const PublicKey& k : options.keys)
      allowed.push_back(KeyIdToHex(k.key_id));
    return Fail(Cat(
        what, ": signed by key ", KeyIdToHex(sig->key_id),
        ", which is not an allowed key (allowed: ", Join(allowed, ", "), ")"));
  }
  if (absl::Status s = VerifyMessage(*key, *sig, message, options.allow_legacy);
      !s.ok()) {
    return Fail(Cat(what, ": ", s.message()));
  }
  return sig;
}

absl::Status CheckPolicy(const TrustedComment& tc,
                         const VerifyOptions& options) {
  if (tc.product != kProduct) {
    return Fail(Cat("trusted comment names product '", tc.product,
                    "', expected 'tch'"));
  }
  if (tc.file != kManifestName) {
    return Fail(Cat("trusted comment names file '", tc.file,
                    "', expected 'SHA256SUMS'"));
  }
  absl::StatusOr<std::vector<int>> version = ParseVersion(tc.version);
  if (!version.ok()) return Fail(Cat(version.status().message()));
  if (options.min_version.has_value()) {
    absl::StatusOr<std::vector<int>> minimum =
        ParseVersion(*options.min_version);
    if (!minimum.ok()) return minimum.status();
    if (CompareVersions(*version, *minimum) < 0) {
      return Fail(Cat(
          "release ", tc.version, " is older than the minimum version ",
          *options.min_version, " (downgrade or replay of an old release)"));
    }
  }
  return absl::OkStatus();
}

// Checks one manifest entry's file in `dir` against its digest.
absl::Status CheckDigest(const fs::path& dir, const ManifestEntry& entry) {
  const fs::path file = dir / entry.name;
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(file, ec))) {
    return Fail(Cat(entry.name,
                    " is listed in SHA256SUMS but missing (or not a "
                    "regular file)"));
  }
  absl::StatusOr<std::string> digest = Sha256File(file.string());
  if (!digest.ok()) return digest.status();
  if (*digest != entry.sha256) {
    return Fail(Cat(entry.name,
                    ": SHA-256 mismatch (file modified, truncated or "
                    "extended): got ",
                    digest->substr(0, 16), "..., SHA256SUMS says ",
                    entry.sha256.substr(0, 16), "..."));
  }
  return absl::OkStatus();
}

absl::Status CheckTarballName(std::string_view name, const TrustedComment& tc) {
  std::optional<TarballId> id = ParseTarballName(name);
  if (!id.has_value()) {
    return Fail(
        Cat(name,
            ": not a tch tarball name (tch-<version>-linux-x86_64-<flavour>"
            ".tar.gz)"));
  }
  if (id->version != tc.version) {
    return Fail(Cat(name, ": file name says version ", id->version,
                    " but the signed release is ", tc.version));
  }
  if (std::find(tc.flavours.begin(), tc.flavours.end(), id->flavour) ==
      tc.flavours.end()) {
    return Fail(Cat(name, ": flavour ", id->flavour,
                    " is not in the signed flavour list (",
                    Join(tc.flavours, ","), ")"));
  }
  return absl::OkStatus();
}

// Every file in `dir` must be listed, be the manifest or its signature, or
// be the signature of a listed file.
absl::Status CheckNoUnlistedFiles(const fs::path& dir,
                                  const std::set<std::string>& listed) {
  std::error_code ec;
  std::vector<std::string> names;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    names.push_back(e.path().filename().string());
  }
  if (ec) return absl::NotFoundError(Cat(dir.string(), ": ", ec.message()));
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    if (listed.contains(name) || name == kManifestName ||
        name == Cat(kManifestName, kSignatureSuffix)) {
      continue;
    }
    if (name.ends_with(kSignatureSuffix) &&
        listed.contains(
            name.substr(0, name.size() - kSignatureSuffix.size()))) {
      continue;
    }
    return Fail(
        Cat(name, " is in the release directory but not in SHA256SUMS"));
  }
  return absl::OkStatus();
}

// Verifies `<entry>.minisig` when present: same key rules, and a trusted
// comment naming this file, product and release version.
absl::Status CheckDetachedSignature(const fs::path& dir,
                                    const ManifestEntry& entry,
                                    const TrustedComment& release,
                                    const VerifyOptions& options) {
  const fs::path detached = dir / Cat(entry.name, kSignatureSuffix);
  std::error_code ec;
  if (!fs::exists(detached, ec)) return absl::OkStatus();
  absl::StatusOr<std::string> text =
      ReadFileLimited(detached.string(), kMaxSignatureBytes);
  if (!text.ok()) return text.status();
  absl::StatusOr<std::string> data =
      ReadFileLimited((dir / entry.name).string(), size_t{1} << 32);
  if (!data.ok()) return data.status();
  absl::StatusOr<Signature> sig =
      CheckSignature(entry.name, *text, *data, options);
  if (!sig.ok()) return sig.status();
  absl::StatusOr<TrustedComment> tc = ParseTrustedComment(sig->trusted_comment);
  if (!tc.ok()) return tc.status();
  if (tc->file != entry.name || tc->version != release.version ||
      tc->product != kProduct) {
    return Fail(Cat(entry.name, ".minisig: trusted comment is for ",
                    tc->product, " ", tc->version, " ", tc->file));
  }
  return absl::OkStatus();
}

}  // namespace

std::string FormatTrustedComment(const TrustedComment& c) {
  return Cat("timestamp:", c.timestamp, "\tfile:", c.file,
             "\tproduct:", c.product, "\tversion:", c.version,
             "\tflavours:", Join(c.flavours, ","));
}

absl::StatusOr<TrustedComment> ParseTrustedComment(std::string_view text) {
  std::map<std::string, std::string> fields;
  for (std::string_view field : Split(text, '\t')) {
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos) continue;  // e.g. minisign's "hashed"
    std::string key(field.substr(0, colon));
    if (!fields.emplace(key, std::string(field.substr(colon + 1))).second) {
      return Fail(Cat("trusted comment: duplicate field '", key, "'"));
    }
  }
  for (const char* key : {"timestamp", "file", "product", "version"}) {
    if (!fields.contains(key)) {
      return Fail(Cat("trusted comment: missing field '", key, "'"));
    }
  }
  TrustedComment c;
  if (!ParseUint(fields["timestamp"], &c.timestamp)) {
    return Fail("trusted comment: timestamp is not a number");
  }
  c.file = fields["file"];
  c.product = fields["product"];
  c.version = fields["version"];
  if (fields.contains("flavours") && !fields["flavours"].empty()) {
    for (std::string_view f : Split(fields["flavours"], ',')) {
      c.flavours.emplace_back(f);
    }
    std::sort(c.flavours.begin(), c.flavours.end());
  }
  return c;
}

absl::StatusOr<std::vector<int>> ParseVersion(std::string_view version) {
  std::vector<int> parts;
  for (std::string_view part : Split(version, '.')) {
    int64_t value = 0;
    if (part.size() > 6 || !ParseUint(part, &value)) {
      return absl::InvalidArgumentError(
          Cat("version '", version, "': expected numbers separated by dots"));
    }
    parts.push_back(static_cast<int>(value));
  }
  if (parts.size() > 4) {
    return absl::InvalidArgumentError(
        Cat("version '", version, "': too many components"));
  }
  return parts;
}

int CompareVersions(const std::vector<int>& a, const std::vector<int>& b) {
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const int x = i < a.size() ? a[i] : 0;
    const int y = i < b.size() ? b[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

std::string TarballName(std::string_view version, std::string_view flavour) {
  return Cat(kTarballPrefix, version, kTarballPlatform, flavour,
             kTarballSuffix);
}

std::optional<TarballId> ParseTarballName(std::string_view name) {
  if (!name.starts_with(kTarballPrefix) || !name.ends_with(kTarballSuffix)) {
    return std::nullopt;
  }
  name.remove_prefix(kTarballPrefix.size());
  name.remove_suffix(kTarballSuffix.size());
  const size_t platform = name.find(kTarballPlatform);
  if (platform == std::string_view::npos) return std::nullopt;
  TarballId id{std::string(name.substr(0, platform)),
               std::string(name.substr(platform + kTarballPlatform.size()))};
  if (!ParseVersion(id.version).ok() || !IsFlavour(id.flavour)) {
    return std::nullopt;
  }
  return id;
}

absl::StatusOr<std::set<KeyId>> ParseRevocationList(std::string_view text) {
  std::set<KeyId> revoked;
  int line_number = 0;
  for (std::string_view line : Split(text, '\n')) {
    ++line_number;
    const size_t hash = line.find('#');
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    line = Strip(line);
    if (line.empty()) continue;
    const size_t space = line.find_first_of(" \t");
    absl::StatusOr<KeyId> id = KeyIdFromHex(line.substr(0, space));
    if (!id.ok()) {
      return absl::InvalidArgumentError(Cat(
          "revocation list line ", line_number, ": ", id.status().message()));
    }
    revoked.insert(*id);
  }
  return revoked;
}

absl::StatusOr<std::string> ReadFileLimited(const std::string& path,
                                            size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(Cat(path, ": cannot open"));
  std::string data;
  std::vector<char> buffer(64 << 10);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    data.append(buffer.data(), static_cast<size_t>(in.gcount()));
    if (data.size() > max_bytes) {
      return absl::InvalidArgumentError(
          Cat(path, ": larger than ", max_bytes, " bytes"));
    }
  }
  if (in.bad()) return absl::DataLossError(Cat(path, ": read error"));
  return data;
}

absl::Status WriteFile(const std::string& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) return absl::InternalError(Cat(path, ": write failed"));
  return absl::OkStatus();
}

absl::Status SignFile(const std::string& file, const SecretKey& key,
                      std::string_view version, int64_t epoch) {
  absl::StatusOr<std::string> data = ReadFileLimited(file, size_t{1} << 32);
  if (!data.ok()) return data.status();
  TrustedComment tc{epoch,
                    fs::path(file).filename().string(),
                    std::string(kProduct),
                    std::string(version),
                    {}};
  std::string comment = Cat("timestamp:", tc.timestamp, "\tfile:", tc.file,
                            "\tproduct:", tc.product, "\tversion:", tc.version);
  absl::StatusOr<Signature> sig = SignMessage(
      key, *data, comment,
      Cat("signature from tch release key ", KeyIdToHex(key.key_id)));
  if (!sig.ok()) return sig.status();
  return WriteFile(file + std::string(kSignatureSuffix), FormatSignature(*sig));
}

absl::Status SignReleaseDirectory(const std::string& dir, const SecretKey& key,
                                  std::string_view version, int64_t epoch) {
  if (!ParseVersion(version).ok()) {
    return absl::InvalidArgumentError(
        Cat("version '", version, "': expected X.Y.Z"));
  }
  std::vector<ManifestEntry> entries;
  std::vector<std::string> flavours;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file() || e.is_symlink()) {
      return absl::InvalidArgumentError(
          Cat(dir, "/", name, ": not a regular file"));
    }
    if (name == kManifestName || name.ends_with(kSignatureSuffix)) continue;
    if (name.ends_with(kTarballSuffix)) {
      std::optional<TarballId> id = ParseTarballName(name);
      if (!id.has_value() || id->version != version) {
        return absl::InvalidArgumentError(
            Cat(name, ": expected ", TarballName(version, "<flavour>")));
      }
      flavours.push_back(id->flavour);
    }
    absl::StatusOr<std::string> digest = Sha256File(e.path().string());
    if (!digest.ok()) return digest.status();
    entries.push_back({*digest, name});
  }
  if (ec) return absl::NotFoundError(Cat(dir, ": ", ec.message()));
  if (flavours.empty()) {
    return absl::InvalidArgumentError(Cat(dir, ": no tarballs"));
  }
  std::sort(flavours.begin(), flavours.end());
  absl::StatusOr<std::string> manifest = FormatManifest(std::move(entries));
  if (!manifest.ok()) return manifest.status();
  const TrustedComment tc{epoch, std::string(kManifestName),
                          std::string(kProduct), std::string(version),
                          flavours};
  absl::StatusOr<Signature> sig = SignMessage(
      key, *manifest, FormatTrustedComment(tc),
      Cat("signature from tch release key ", KeyIdToHex(key.key_id)));
  if (!sig.ok()) return sig.status();
  const fs::path manifest_path = fs::path(dir) / kManifestName;
  if (absl::Status s = WriteFile(manifest_path.string(), *manifest); !s.ok()) {
    return s;
  }
  return WriteFile(manifest_path.string() + std::string(kSignatureSuffix),
                   FormatSignature(*sig));
}

absl::StatusOr<VerifyReport> VerifyRelease(const std::string& path,
                                           const VerifyOptions& options) {
  if (options.keys.empty()) {
    return absl::InvalidArgumentError("no public key given");
  }
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    return absl::NotFoundError(Cat(path, ": no such file or directory"));
  }
  const bool directory_mode = fs::is_directory(status);
  const fs::path dir =
      directory_mode ? fs::path(path) : fs::path(path).parent_path();
  const fs::path dir_or_dot = dir.empty() ? fs::path(".") : dir;
  const std::string manifest_path = (dir_or_dot / kManifestName).string();

  absl::StatusOr<std::string> manifest_text =
      ReadFileLimited(manifest_path, kMaxManifestBytes);
  if (!manifest_text.ok()) return manifest_text.status();
  absl::StatusOr<std::string> signature_text = ReadFileLimited(
      manifest_path + std::string(kSignatureSuffix), kMaxSignatureBytes);
  if (!signature_text.ok()) return signature_text.status();

  absl::StatusOr<Signature> sig =
      CheckSignature(kManifestName, *signature_text, *manifest_text, options);
  if (!sig.ok()) return sig.status();
  absl::StatusOr<TrustedComment> tc = ParseTrustedComment(sig->trusted_comment);
  if (!tc.ok()) return tc.status();
  if (absl::Status s = CheckPolicy(*tc, options); !s.ok()) return s;
  absl::StatusOr<std::vector<ManifestEntry>> entries =
      ParseManifest(*manifest_text);
  if (!entries.ok()) return Fail(Cat(entries.status().message()));

  VerifyReport report{
      tc->version, tc->flavours, KeyIdToHex(sig->key_id), tc->timestamp, {}};
  std::set<std::string> listed;
  std::set<std::string> tarball_flavours;
  for (const ManifestEntry& e : *entries) {
    listed.insert(e.name);
    if (e.name.ends_with(kTarballSuffix)) {
      if (absl::Status s = CheckTarballName(e.name, *tc); !s.ok()) return s;
      tarball_flavours.insert(ParseTarballName(e.name)->flavour);
    }
  }

  if (!directory_mode) {
    const std::string name = fs::path(path).filename().string();
    auto it =
        std::find_if(entries->begin(), entries->end(),
                     [&](const ManifestEntry& e) { return e.name == name; });
    if (it == entries->end()) {
      return Fail(Cat(name, " is not listed in SHA256SUMS"));
    }
    if (name.ends_with(kTarballSuffix)) {
      if (absl::Status s = CheckTarballName(name, *tc); !s.ok()) return s;
    }
    if (absl::Status s = CheckDigest(dir_or_dot, *it); !s.ok()) return s;
    report.checked.push_back(name);
    return report;
  }

  for (const std::string& flavour : tc->flavours) {
    if (!tarball_flavours.contains(flavour)) {
      return Fail(Cat("signed flavour ", flavour,
                      " has no tarball listed in SHA256SUMS"));
    }
  }
  if (absl::Status s = CheckNoUnlistedFiles(dir_or_dot, listed); !s.ok()) {
    return s;
  }
  for (const ManifestEntry& e : *entries) {
    if (absl::Status s = CheckDigest(dir_or_dot, e); !s.ok()) return s;
    if (absl::Status s = CheckDetachedSignature(dir_or_dot, e, *tc, options);
        !s.ok()) {
      return s;
    }
    report.checked.push_back(e.name);
  }
  return report;
}

}  // namespace tch::packaging
