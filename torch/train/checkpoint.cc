#include "torch/train/checkpoint.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "nlohmann/json.hpp"
#include "torch/core/error.h"
#include "torch/core/file_util.h"

namespace tch::train {
namespace fs = std::filesystem;
namespace {

constexpr char kManifest[] = "MANIFEST.json";
constexpr char kLatest[] = "LATEST";

std::string StepDirName(int64_t step) {
  char name[32];
  std::snprintf(name, sizeof(name), "step-%012lld",
                static_cast<long long>(step));
  return name;
}

void FsyncPath(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY);
  TCH_CHECK_T(IoError, fd >= 0, "cannot open '", path,
              "' to sync it: ", std::strerror(errno));
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  TCH_CHECK_T(IoError, rc == 0, "fsync of '", path,
              "' failed: ", std::strerror(saved));
}

void RemoveTree(const fs::path& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  TCH_CHECK_T(IoError, !ec, "cannot remove '", path.string(),
              "': ", ec.message());
}

bool IsSameDir(const std::string& a, const std::string& b) {
  std::error_code ec;
  return fs::equivalent(a, b, ec) && !ec;
}

}  // namespace

std::string Sha256File(const std::string& path) {
  TCH_CHECK(sodium_init() >= 0, "libsodium failed to initialize");
  std::ifstream in(path, std::ios::binary);
  TCH_CHECK_T(IoError, in.good(), "cannot read '", path,
              "': ", std::strerror(errno));
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize got = in.gcount();
    if (got > 0) {
      crypto_hash_sha256_update(
          &state, reinterpret_cast<const unsigned char*>(buffer.data()),
          static_cast<unsigned long long>(got));
    }
  }
  TCH_CHECK_T(IoError, in.eof(), "error reading '", path, "'");
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
  return hex;
}

CheckpointManager::CheckpointManager(std::string root, RetentionPolicy policy)
    : root_(std::move(root)), policy_(std::move(policy)) {
  std::error_code ec;
  fs::create_directories(root_, ec);
  TCH_CHECK_T(IoError, !ec, "cannot create checkpoint directory '", root_,
              "': ", ec.message());
  // Staging directories are never valid checkpoints: a crash left them.
  for (const auto& entry : fs::directory_iterator(root_)) {
    if (entry.path().filename().string().rfind(".staging-", 0) == 0) {
      RemoveTree(entry.path());
    }
  }
}

PendingCheckpoint CheckpointManager::Begin(int64_t step) {
  PendingCheckpoint pending;
  pending.step_ = step;
  pending.staging_dir_ = root_ + "/.staging-" + StepDirName(step) + "-" +
                         std::to_string(::getpid());
  RemoveTree(pending.staging_dir_);
  std::error_code ec;
  fs::create_directories(pending.staging_dir_, ec);
  TCH_CHECK_T(IoError, !ec, "cannot create '", pending.staging_dir_,
              "': ", ec.message());
  return pending;
}

std::string CheckpointManager::Commit(PendingCheckpoint& pending,
                                      std::optional<double> metric) {
  TCH_CHECK(!pending.committed_, "checkpoint step ", pending.step_,
            " was already committed");
  nlohmann::ordered_json manifest;
  manifest["format"] = "tch-checkpoint-1";
  manifest["step"] = pending.step_;
  manifest["metric"] = metric ? nlohmann::ordered_json(*metric) : nullptr;
  nlohmann::ordered_json files = nlohmann::ordered_json::object();
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(pending.staging_dir_)) {
    TCH_CHECK_T(IoError, entry.is_regular_file(), "checkpoint staging: '",
                entry.path().string(), "' is not a regular file");
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const std::string path = pending.staging_dir_ + "/" + name;
    FsyncPath(path, /*directory=*/false);
    files[name] = {{"size", fs::file_size(path)}, {"sha256", Sha256File(path)}};
  }
  manifest["files"] = files;
  WriteFileAtomically(pending.staging_dir_ + "/" + kManifest,
                      manifest.dump(2) + "\n");
  FsyncPath(pending.staging_dir_, /*directory=*/true);

  const std::string final_dir = root_ + "/" + StepDirName(pending.step_);
  if (fs::exists(final_dir)) RemoveTree(final_dir);
  std::error_code ec;
  fs::rename(pending.staging_dir_, final_dir, ec);
  TCH_CHECK_T(IoError, !ec, "cannot publish checkpoint '", final_dir,
              "': ", ec.message());
  FsyncPath(root_, /*directory=*/true);
  WriteFileAtomically(root_ + "/" + kLatest, StepDirName(pending.step_) + "\n");
  pending.committed_ = true;
  ApplyRetention();
  return final_dir;
}

CheckpointInfo CheckpointManager::Read(const std::string& dir) {
  const std::string path = dir + "/" + kManifest;
  nlohmann::json manifest;
  try {
    manifest = nlohmann::json::parse(ReadFile(path));
  } catch (const nlohmann::json::exception& e) {
    throw IoError(path + ": not a valid manifest: " + e.what());
  }
  CheckpointInfo info;
  info.dir = dir;
  try {
    info.step = manifest.at("step").get<int64_t>();
    if (!manifest.at("metric").is_null()) {
      info.metric = manifest.at("metric").get<double>();
    }
  } catch (const nlohmann::json::exception& e) {
    throw IoError(path + ": missing or bad field: " + e.what());
  }
  return info;
}

std::string CheckpointManager::Validate(const std::string& dir) {
  const std::string name = fs::path(dir).filename().string();
  const std::string manifest_path = dir + "/" + kManifest;
  if (!fs::exists(manifest_path)) return name + ": no " + kManifest;
  nlohmann::json manifest;
  try {
    manifest = nlohmann::json::parse(ReadFile(manifest_path));
    if (manifest.value("format", "") != "tch-checkpoint-1") {
      return name + "/" + kManifest + ": unknown format";
    }
    for (const auto& [file, entry] : manifest.at("files").items()) {
      const std::string path = dir + "/" + file;
      if (!fs::exists(path)) return name + "/" + file + ": missing";
      const auto size = fs::file_size(path);
      const auto want = entry.at("size").get<uintmax_t>();
      if (size != want) {
        return name + "/" + file + ": size " + std::to_string(size) +
               " != manifest " + std::to_string(want);
      }
      if (Sha256File(path) != entry.at("sha256").get<std::string>()) {
        return name + "/" + file + ": checksum mismatch (corrupt)";
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return name + "/" + kManifest + ": malformed: " + e.what();
  } catch (const Error& e) {
    return name + ": " + e.what();
  }
  return "";
}

std::vector<CheckpointInfo> CheckpointManager::List() const {
  std::vector<CheckpointInfo> result;
  for (const auto& entry : fs::directory_iterator(root_)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.rfind("step-", 0) != 0) continue;
    if (!fs::exists(entry.path() / kManifest)) continue;
    try {
      result.push_back(Read(entry.path().string()));
    } catch (const Error&) {
      // Unreadable manifests are invalid checkpoints; LatestValid reports.
      CheckpointInfo info;
      info.dir = entry.path().string();
      info.step = std::atoll(name.c_str() + 5);
      result.push_back(info);
    }
  }
  std::sort(result.begin(), result.end(),
            [](const auto& a, const auto& b) { return a.step < b.step; });
  return result;
}

std::optional<CheckpointInfo> CheckpointManager::LatestValid(
    std::vector<std::string>* skipped) const {
  std::vector<std::string> candidates;
  const std::string latest_path = root_ + "/" + kLatest;
  if (fs::exists(latest_path)) {
    std::string name = ReadFile(latest_path);
    while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) {
      name.pop_back();
    }
    if (!name.empty() && name.find('/') == std::string::npos) {
      candidates.push_back(root_ + "/" + name);
    }
  }
  std::vector<CheckpointInfo> all = List();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (candidates.empty() || it->dir != candidates.front()) {
      candidates.push_back(it->dir);
    }
  }
  // Directories without a manifest never count, but say so.
  for (const auto& entry : fs::directory_iterator(root_)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && name.rfind("step-", 0) == 0 &&
        !fs::exists(entry.path() / kManifest) && skipped != nullptr) {
      skipped->push_back(name + ": no " + std::string(kManifest) +
                         " (incomplete)");
    }
  }
  // LATEST may point at an older checkpoint than the newest directory only
  // if a crash hit between rename and pointer update; the newer one is
  // complete then (its manifest was written before the rename), so prefer
  // the highest valid step overall.
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()),
                   candidates.end());
  std::reverse(candidates.begin(), candidates.end());
  for (const std::string& dir : candidates) {
    if (!fs::exists(dir)) {
      if (skipped) skipped->push_back(dir + ": missing (named by LATEST)");
      continue;
    }
    const std::string problem = Validate(dir);
    if (problem.empty()) return Read(dir);
    if (skipped) skipped->push_back(problem);
  }
  return std::nullopt;
}

void CheckpointManager::ApplyRetention() {
  if (policy_.keep_last <= 0) return;
  std::vector<CheckpointInfo> all = List();
  if (all.size() <= static_cast<size_t>(policy_.keep_last)) return;
  std::vector<bool> keep(all.size(), false);
  for (size_t i = all.size() - static_cast<size_t>(policy_.keep_last);
       i < all.size(); ++i) {
    keep[i] = true;
  }
  if (!policy_.best_metric.empty()) {
    std::optional<size_t> best;
    for (size_t i = 0; i < all.size(); ++i) {
      if (!all[i].metric) continue;
      if (!best ||
          (policy_.best_mode_max ? *all[i].metric > *all[*best].metric
                                 : *all[i].metric < *all[*best].metric)) {
        best = i;
      }
    }
    if (best) keep[*best] = true;
  }
  for (size_t i = 0; i < all.size(); ++i) {
    if (keep[i]) continue;
    if (!protected_dir_.empty() && IsSameDir(all[i].dir, protected_dir_)) {
      continue;
    }
    RemoveTree(all[i].dir);
  }
}

}  // namespace tch::train
