// File: tools/cli/commands.h
//
// The `tch` subcommands. Each takes the arguments after its name (argv[0] is
// the subcommand) and returns the process exit code:
//   0 success, 1 user error (bad config, file, flag value; a diverged
//   training run), 2 usage error, 128 + N when `tch train` stopped on
//   signal N (SIGINT 130, SIGTERM 143) after writing a checkpoint.
// User errors are tch::Error exceptions, turned into one line by main.cc.
#pragma once

namespace tch::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUserError = 1;
inline constexpr int kExitUsage = 2;

int RunInfo(int argc, char** argv);
int RunVerify(int argc, char** argv);  // tools/cli/verify_command.cc
// tools/cli/train_command.cc
int RunTrain(int argc, char** argv);
int RunCheck(int argc, char** argv);
int RunConfig(int argc, char** argv);
// tools/cli/model_commands.cc
int RunEval(int argc, char** argv);
int RunPredict(int argc, char** argv);
int RunBench(int argc, char** argv);

}  // namespace tch::cli
