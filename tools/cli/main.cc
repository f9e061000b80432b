// The `tch` command-line tool: a thin dispatcher over library calls. Parses
// the subcommand, runs it, and turns tch::Error into one line on stderr and
// exit code 1 (never a stack trace).
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <string_view>

#include "tools/cli/build_info.h"
#include "tools/cli/commands.h"
#include "torch/core/error.h"
#include "torch/kernels/cpu/blas_env.h"

namespace tch::cli {
namespace {

struct Command {
  const char* name;
  int (*run)(int argc, char** argv);
  const char* help;
};

constexpr Command kCommands[] = {
    {"train", &RunTrain, "train a model from a YAML config"},
    {"eval", &RunEval, "evaluate a checkpoint on the config's eval split"},
    {"predict", &RunPredict, "run a trained model on new inputs"},
    {"bench", &RunBench, "time forward, backward and optimizer per step"},
    {"check", &RunCheck, "validate a config, its data and one step"},
    {"config", &RunConfig, "print the resolved config or the config docs"},
    {"info", &RunInfo,
     "print version, build configuration, CPU features and GPUs"},
    {"verify", &RunVerify, "check a signed release's signature and checksums"},
};

void PrintUsage(std::ostream& out) {
  out << "usage: tch <command> [args]\n\ncommands:\n";
  for (const Command& c : kCommands) {
    out << "  " << c.name << std::string(10 - std::strlen(c.name), ' ')
        << c.help << "\n";
  }
  out << "\nexit codes: 0 ok, 1 user error, 2 usage error, other: a bug in "
         "tch\n"
      << "Run 'tch <command> --help' for a command's options.\n";
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(std::cerr);
    return kExitUsage;
  }
  const std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintUsage(std::cout);
    return kExitOk;
  }
  if (name == "--version") {
    std::cout << "tch " << GetBuildInfo().version << "\n";
    return kExitOk;
  }
  for (const Command& c : kCommands) {
    if (name == c.name) {
      try {
        return c.run(argc - 1, argv + 1);
      } catch (const Error& e) {
        std::cerr << "tch " << c.name << ": error: " << e.what() << "\n";
        return kExitUserError;
      } catch (const std::bad_alloc&) {
        std::cerr << "tch " << c.name << ": error: out of memory (try a "
                  << "smaller data.batch_size)\n";
        return kExitUserError;
      }
    }
  }
  std::cerr << "tch: unknown command '" << name << "'\n\n";
  PrintUsage(std::cerr);
  return kExitUsage;
}

}  // namespace
}  // namespace tch::cli

int main(int argc, char** argv) {
  tch::cpu::MaybeReexecWithFastBlas(argv);
  // Under `bazel run`, paths on the command line are the user's: resolve
  // them from where bazel was invoked, not from the runfiles tree.
  if (const char* dir = std::getenv("BUILD_WORKING_DIRECTORY")) {
    if (::chdir(dir) != 0) {
      std::cerr << "tch: cannot enter " << dir << "\n";
      return 1;
    }
  }
  return tch::cli::Main(argc, argv);
}
