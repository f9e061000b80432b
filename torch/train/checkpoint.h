// File: torch/train/checkpoint.h
//
// Crash-safe checkpoint directories. A checkpoint is a directory
// `<root>/step-<12 digits>/` holding whatever files the trainer writes plus a
// MANIFEST.json (step, optional metric, size and SHA-256 of every file). It
// is built in a staging directory `<root>/.staging-step-N-<pid>/`, every file
// and the directory are fsync()ed, the directory is renamed into place, the
// root is fsync()ed, and only then the pointer file `<root>/LATEST` is
// replaced atomically. A crash at any moment leaves either the previous
// state or the new checkpoint, never a half-written one that looks valid:
// a checkpoint without a matching manifest is detected, named and skipped.
//
// Example:
//   CheckpointManager manager(run_dir + "/checkpoints", RetentionPolicy{3, "",
//   true}); PendingCheckpoint pending = manager.Begin(step);
//   SaveSafetensors(pending.dir() + "/model.safetensors", weights);
//   manager.Commit(pending, /*metric=*/val_accuracy);
//   ...
//   std::vector<std::string> skipped;
//   std::optional<CheckpointInfo> last = manager.LatestValid(&skipped);
//
// Errors: IoError naming the path for file-system failures; Validate()
// reports problems as strings instead of throwing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tch::train {

struct RetentionPolicy {
  int keep_last = 3;          // newest N kept; <= 0 keeps every checkpoint
  std::string best_metric;    // "" = no best tracking
  bool best_mode_max = true;  // higher metric is better
};

struct CheckpointInfo {
  std::string dir;
  int64_t step = 0;
  std::optional<double> metric;
};

// A checkpoint being written; files go into dir().
class PendingCheckpoint {
 public:
  const std::string& dir() const { return staging_dir_; }
  int64_t step() const { return step_; }

 private:
  friend class CheckpointManager;
  std::string staging_dir_;
  int64_t step_ = 0;
  bool committed_ = false;
};

class CheckpointManager {
 public:
  // Creates `root` if needed and removes staging directories left by a
  // crashed writer.
  CheckpointManager(std::string root, RetentionPolicy policy);

  const std::string& root() const { return root_; }

  // Starts checkpoint `step` (a fresh, empty staging directory).
  PendingCheckpoint Begin(int64_t step);
  // Writes the manifest, publishes the checkpoint, points LATEST at it, then
  // applies retention (never deleting the best, the newest, or `protect`).
  // Returns the committed directory. A checkpoint of the same step that
  // already exists is replaced.
  std::string Commit(PendingCheckpoint& pending, std::optional<double> metric);

  // Committed checkpoints (manifest present, not validated), oldest first.
  std::vector<CheckpointInfo> List() const;
  // "" when the directory is a complete, intact checkpoint; otherwise what is
  // wrong ("step-000000000040/model.safetensors: size 120 != manifest 4096").
  static std::string Validate(const std::string& dir);
  // The newest checkpoint that validates, trying LATEST first; each invalid
  // one met on the way is described in `skipped`.
  std::optional<CheckpointInfo> LatestValid(
      std::vector<std::string>* skipped) const;
  // Reads a checkpoint's manifest (after Validate). Throws IoError.
  static CheckpointInfo Read(const std::string& dir);

  // A checkpoint directory retention must keep (the one a run resumed from).
  void Protect(const std::string& dir) { protected_dir_ = dir; }

 private:
  void ApplyRetention();

  std::string root_;
  RetentionPolicy policy_;
  std::string protected_dir_;
};

// SHA-256 of a file as 64 lowercase hex digits. Throws IoError.
std::string Sha256File(const std::string& path);

}  // namespace tch::train
