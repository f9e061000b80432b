// Crash-safety and retention of checkpoint directories.
#include "torch/train/checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "torch/core/file_util.h"

namespace tch::train {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string FreshDir(const std::string& name) {
  const std::string dir =
      std::string(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR")
                                             : "/tmp") +
      "/" + name;
  fs::remove_all(dir);
  return dir;
}

std::string Save(CheckpointManager& manager, int64_t step,
                 std::optional<double> metric = std::nullopt) {
  PendingCheckpoint pending = manager.Begin(step);
  WriteFileAtomically(pending.dir() + "/model.bin",
                      std::string(1000, static_cast<char>('a' + step % 26)));
  WriteFileAtomically(pending.dir() + "/state.json",
                      "{\"step\": " + std::to_string(step) + "}");
  return manager.Commit(pending, metric);
}

std::vector<int64_t> Steps(const CheckpointManager& manager) {
  std::vector<int64_t> steps;
  for (const auto& info : manager.List()) steps.push_back(info.step);
  return steps;
}

TEST(Checkpoint, CommitPublishesAValidatedDirectory) {
  CheckpointManager manager(FreshDir("commit"), RetentionPolicy{0, "", true});
  const std::string dir = Save(manager, 40, 0.5);
  EXPECT_EQ(fs::path(dir).filename(), "step-000000000040");
  EXPECT_EQ(CheckpointManager::Validate(dir), "");
  std::vector<std::string> skipped;
  auto latest = manager.LatestValid(&skipped);
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->step, 40);
  EXPECT_DOUBLE_EQ(*latest->metric, 0.5);
  EXPECT_TRUE(skipped.empty());
  EXPECT_EQ(ReadFile(manager.root() + "/LATEST"), "step-000000000040\n");
}

TEST(Checkpoint, CorruptOrTruncatedCheckpointIsSkippedForThePreviousOne) {
  CheckpointManager manager(FreshDir("corrupt"), RetentionPolicy{0, "", true});
  Save(manager, 10);
  const std::string newest = Save(manager, 20);
  {
    // Flip a byte without changing the size.
    std::fstream f(newest + "/model.bin",
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(500);
    f.put('#');
  }
  std::vector<std::string> skipped;
  auto latest = manager.LatestValid(&skipped);
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->step, 10);
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_THAT(skipped[0], HasSubstr("step-000000000020/model.bin: checksum"));

  fs::resize_file(fs::path(manager.root()) / "step-000000000010" / "model.bin",
                  10);
  skipped.clear();
  EXPECT_FALSE(manager.LatestValid(&skipped).has_value());
  ASSERT_EQ(skipped.size(), 2u);
  EXPECT_THAT(skipped[1], HasSubstr("model.bin: size 10 != manifest 1000"));
}

TEST(Checkpoint, CrashBeforeCommitLeavesNoCheckpoint) {
  const std::string root = FreshDir("crash");
  {
    CheckpointManager manager(root, RetentionPolicy{0, "", true});
    Save(manager, 5);
    PendingCheckpoint pending = manager.Begin(6);
    WriteFileAtomically(pending.dir() + "/model.bin", "partial");
    // No Commit: the process "dies" here.
  }
  // A directory renamed into place without its manifest (impossible with
  // Commit, but a user may copy one by hand) is reported, never used.
  fs::create_directories(root + "/step-000000000007");
  CheckpointManager manager(root, RetentionPolicy{0, "", true});
  for (const auto& entry : fs::directory_iterator(root)) {
    EXPECT_EQ(entry.path().filename().string().rfind(".staging-", 0),
              std::string::npos)
        << "stale staging directory kept: " << entry.path();
  }
  std::vector<std::string> skipped;
  auto latest = manager.LatestValid(&skipped);
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->step, 5);
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_THAT(skipped[0], HasSubstr("step-000000000007: no MANIFEST.json"));
}

TEST(Checkpoint, RetentionKeepsLastBestAndProtected) {
  CheckpointManager manager(
      FreshDir("retention"),
      RetentionPolicy{2, "val_accuracy", /*best_mode_max=*/true});
  Save(manager, 1, 0.70);
  Save(manager, 2, 0.90);  // best
  const std::string resumed = Save(manager, 3, 0.80);
  manager.Protect(resumed);
  Save(manager, 4, 0.85);
  Save(manager, 5, 0.60);
  Save(manager, 6, 0.65);
  EXPECT_EQ(Steps(manager), (std::vector<int64_t>{2, 3, 5, 6}));
}

TEST(Checkpoint, RetentionMinModeKeepsLowestMetric) {
  CheckpointManager manager(
      FreshDir("retention_min"),
      RetentionPolicy{1, "val_loss", /*best_mode_max=*/false});
  Save(manager, 1, 0.3);
  Save(manager, 2, 0.1);
  Save(manager, 3, 0.2);
  Save(manager, 4, 0.4);
  EXPECT_EQ(Steps(manager), (std::vector<int64_t>{2, 4}));
}

TEST(Checkpoint, Sha256MatchesKnownAnswer) {
  const std::string path = FreshDir("sha") + ".txt";
  WriteFileAtomically(path, "abc");
  // FIPS 180-2 test vector.
  EXPECT_EQ(Sha256File(path),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace tch::train
