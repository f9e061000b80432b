// File: torch/train/config_fuzz.cc
// -----------------------------------------------------------------------------
//
// libFuzzer target for the config loader. An input is split at NUL bytes:
// part 0 is the config file `fuzz.yaml`, part 1 (if any) holds overrides,
// one per line, and parts 2.. are the files `b0.yaml`, `b1.yaml`, ... that
// `base:` can include (any other path is unreadable), so includes, cycles,
// overrides and env references are all reachable. Loading must either
// succeed or throw a tch::Error; anything else (another exception, a
// sanitizer report, a trap) is a bug. An accepted config must also survive
// a round trip: its resolved YAML loads again to the same resolved YAML.
//
// Build and run (from the repository root):
//
//   bazel build --config=fuzz //torch/train:config_fuzz
//   mkdir -p /tmp/config_corpus
//   bazel-bin/torch/train/config_fuzz -max_total_time=60 /tmp/config_corpus
//
// or without Bazel:
//
//   clang++-14 -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -I. \
//     torch/train/config_fuzz.cc torch/train/config.cc \
//     torch/train/config_docs.cc torch/train/config_schema.cc \
//     torch/train/config_schema_table.cc torch/train/config_tree.cc \
//     torch/core/error.cc -lyaml-cpp -o /tmp/config_fuzz

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "torch/core/error.h"
#include "torch/train/config.h"

namespace {

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (false)

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts(1);
  for (char c : text) {
    if (c == separator) {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  return parts;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> parts =
      Split(std::string(reinterpret_cast<const char*>(data), size), '\0');
  std::vector<std::string> overrides;
  if (parts.size() > 1) {
    for (std::string& line : Split(parts[1], '\n')) {
      if (!line.empty()) overrides.push_back(std::move(line));
    }
  }
  std::map<std::string, std::string> files;
  for (size_t i = 2; i < parts.size(); ++i) {
    files["b" + std::to_string(i - 2) + ".yaml"] = parts[i];
  }
  tch::train::ConfigFileReader reader = [&](const std::string& path) {
    auto it = files.find(path);
    if (it == files.end()) {
      throw tch::IoError("cannot read config '" + path +
                         "': No such file or directory");
    }
    return it->second;
  };

  tch::train::LoadedConfig loaded;
  try {
    loaded = tch::train::LoadConfigFromString(parts[0], "fuzz.yaml", overrides,
                                              reader);
  } catch (const tch::Error&) {
    return 0;
  }
  std::string resolved = loaded.ResolvedYaml();
  FUZZ_CHECK(resolved == tch::train::ConfigToYaml(loaded.config));
  FUZZ_CHECK(!loaded.provenance.empty());
  // What we print loads back to the same configuration.
  tch::train::LoadedConfig again =
      tch::train::LoadConfigFromString(resolved, "fuzz.yaml", {}, reader);
  FUZZ_CHECK(again.ResolvedYaml() == resolved);
  return 0;
}
