// libFuzzer target for the checkpoint reader: arbitrary bytes become a
// checkpoint directory's MANIFEST.json, the LATEST pointer and one data
// file; validation, listing and LatestValid must only ever report problems
// (strings or tch::Error), never crash.
//   bazel build --config=fuzz //torch/train:checkpoint_fuzz
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "torch/core/error.h"
#include "torch/train/checkpoint.h"

namespace {

void Write(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fs = std::filesystem;
  static const fs::path root =
      fs::temp_directory_path() /
      ("tch-checkpoint-fuzz-" + std::to_string(::getpid()));
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // Parts separated by NUL: manifest, LATEST, model.safetensors.
  const size_t a = input.find('\0');
  const size_t b = a == std::string_view::npos ? a : input.find('\0', a + 1);
  const std::string_view manifest = input.substr(0, a);
  const std::string_view latest = a == std::string_view::npos
                                      ? "step-000000000007\n"
                                      : input.substr(a + 1, b - a - 1);
  const std::string_view file =
      b == std::string_view::npos ? "" : input.substr(b + 1);

  fs::remove_all(root);
  const fs::path dir = root / "step-000000000007";
  fs::create_directories(dir);
  Write(dir / "MANIFEST.json", manifest);
  Write(dir / "model.safetensors", file);
  Write(root / "LATEST", latest);
  try {
    (void)tch::train::CheckpointManager::Validate(dir.string());
    tch::train::CheckpointManager manager(root.string(),
                                          tch::train::RetentionPolicy{});
    std::vector<std::string> skipped;
    (void)manager.LatestValid(&skipped);
    (void)manager.List();
  } catch (const tch::Error&) {
    // Reported to the user as one line: fine.
  }
  return 0;
}
