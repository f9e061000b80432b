// File: tools/cli/flags.h
//
// Per-command flag parsing over gflags' registry. Flags are DEFINE_*d once
// (in flags.cc, shared by the commands that take them); each command names
// the flags it accepts, so `tch eval --resume x` is a usage error rather
// than a silently ignored flag. Accepted forms: --name=value, --name value,
// --bool, --nobool; `--` ends the flags. Positional arguments are returned
// in order.
//
// Example:
//   CommandSpec spec{"train", "tch train CONFIG.yaml [key=value ...]",
//                    "Trains a model.", {"resume", "run_dir"}};
//   std::vector<std::string> positional;
//   if (int code = ParseCommandFlags(spec, argc, argv, &positional);
//       code >= 0) return code;   // --help printed (0) or usage error (2)
#pragma once

#include <string>
#include <vector>

#include "gflags/gflags.h"

DECLARE_string(resume);
DECLARE_string(run_dir);
DECLARE_string(init_from);
DECLARE_string(progress);
DECLARE_string(checkpoint);
DECLARE_string(input);
DECLARE_string(output);
DECLARE_int32(max_new_tokens);
DECLARE_double(temperature);
DECLARE_int32(top_k);
DECLARE_int64(seed);
DECLARE_int32(steps);
DECLARE_int32(warmup);
DECLARE_bool(provenance);

namespace tch::cli {

struct CommandSpec {
  const char* name;         // "train"
  const char* usage;        // first line of --help
  const char* description;  // what the command does (may span lines)
  std::vector<std::string> flags;
};

// Parses argv (argv[0] is the command name). Returns -1 to go on, or the
// exit code to return now: 0 after printing --help, 2 after a usage error
// (unknown flag with a did-you-mean, bad value, missing value).
int ParseCommandFlags(const CommandSpec& spec, int argc, char** argv,
                      std::vector<std::string>* positional);

// Prints "tch <command>: <message>" and the usage line; returns 2.
int CommandUsageError(const CommandSpec& spec, const std::string& message);

}  // namespace tch::cli
