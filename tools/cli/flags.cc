#include "tools/cli/flags.h"

#include <algorithm>
#include <iostream>

#include "tools/cli/commands.h"

DEFINE_string(resume, "",
              "resume: 'auto' (newest valid checkpoint of the run directory, "
              "if any) or a checkpoint or run directory");
DEFINE_string(run_dir, "", "run directory (overrides the config's run_dir)");
DEFINE_string(init_from, "",
              "initial weights (.safetensors with PyTorch-style names) to "
              "fine-tune from");
DEFINE_string(progress, "auto",
              "progress display: auto (bar on a terminal, log lines "
              "otherwise), bar or lines");
DEFINE_string(checkpoint, "",
              "a checkpoint directory, a run directory (its newest valid "
              "checkpoint) or a .safetensors weights file");
DEFINE_string(input, "", "input file (see the command's help)");
DEFINE_string(output, "",
              "output file; .csv writes CSV, anything else JSON lines; "
              "default: JSON lines on stdout");
DEFINE_int32(max_new_tokens, 200, "language models: tokens to generate");
DEFINE_double(temperature, 1.0,
              "language models: sampling temperature (0 = greedy)");
DEFINE_int32(top_k, 0,
             "language models: sample among the k likeliest (0 = all)");
DEFINE_int64(seed, 0, "random seed for sampling");
DEFINE_int32(steps, 20, "timed training steps");
DEFINE_int32(warmup, 3, "untimed warm-up steps before timing");
DEFINE_bool(provenance, false,
            "show where each value came from (file:line, command line or "
            "default)");

namespace tch::cli {
namespace {

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string Normalize(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

void PrintHelp(const CommandSpec& spec) {
  std::cout << "usage: " << spec.usage << "\n\n" << spec.description << "\n";
  if (!spec.flags.empty()) std::cout << "\nflags:\n";
  for (const std::string& name : spec.flags) {
    gflags::CommandLineFlagInfo info;
    if (!gflags::GetCommandLineFlagInfo(name.c_str(), &info)) continue;
    std::string shown = name;
    std::replace(shown.begin(), shown.end(), '_', '-');
    std::cout << "  --" << shown << " (" << info.type << ", default: "
              << (info.default_value.empty() ? "\"\"" : info.default_value)
              << ")\n      " << info.description << "\n";
  }
  std::cout << "\nexit codes: 0 ok, 1 user error (bad config, data or file), "
               "2 usage error\n";
}

}  // namespace

int CommandUsageError(const CommandSpec& spec, const std::string& message) {
  std::cerr << "tch " << spec.name << ": " << message
            << "\nusage: " << spec.usage << "\nRun 'tch " << spec.name
            << " --help' for the options.\n";
  return kExitUsage;
}

int ParseCommandFlags(const CommandSpec& spec, int argc, char** argv,
                      std::vector<std::string>* positional) {
  bool flags_done = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (flags_done || arg.size() < 2 || arg[0] != '-' || arg == "-") {
      positional->push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      PrintHelp(spec);
      return kExitOk;
    }
    std::string body = arg.substr(arg[1] == '-' ? 2 : 1);
    std::string value;
    bool has_value = false;
    if (const size_t eq = body.find('='); eq != std::string::npos) {
      value = body.substr(eq + 1);
      body = body.substr(0, eq);
      has_value = true;
    }
    std::string name = Normalize(body);
    bool negated = false;
    auto accepts = [&](const std::string& n) {
      return std::find(spec.flags.begin(), spec.flags.end(), n) !=
             spec.flags.end();
    };
    if (!accepts(name) && name.rfind("no", 0) == 0 && accepts(name.substr(2))) {
      name = name.substr(2);
      negated = true;
    }
    if (!accepts(name)) {
      std::string best;
      size_t best_distance = 3;
      for (const std::string& candidate : spec.flags) {
        const size_t d = EditDistance(name, candidate);
        if (d < best_distance) {
          best = candidate;
          best_distance = d;
        }
      }
      std::string message = "unknown flag --" + body;
      if (!best.empty()) {
        std::replace(best.begin(), best.end(), '_', '-');
        message += "; did you mean --" + best + "?";
      }
      return CommandUsageError(spec, message);
    }
    gflags::CommandLineFlagInfo info;
    gflags::GetCommandLineFlagInfo(name.c_str(), &info);
    if (info.type == "bool") {
      if (negated) {
        if (has_value) {
          return CommandUsageError(spec, "--no" + name + " takes no value");
        }
        value = "false";
      } else if (!has_value) {
        value = "true";
      }
    } else if (!has_value) {
      if (i + 1 >= argc) {
        return CommandUsageError(spec, "--" + body + " needs a value");
      }
      value = argv[++i];
    }
    if (gflags::SetCommandLineOption(name.c_str(), value.c_str()).empty()) {
      return CommandUsageError(spec, "--" + body + ": invalid " + info.type +
                                         " value '" + value + "'");
    }
  }
  return -1;
}

}  // namespace tch::cli
