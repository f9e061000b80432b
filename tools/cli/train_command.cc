// `tch train`, `tch check` and `tch config`: the config-driven front door.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "tools/cli/commands.h"
#include "tools/cli/flags.h"
#include "torch/autograd/variable.h"
#include "torch/data/loader.h"
#include "torch/train/config.h"
#include "torch/train/trainer.h"
#include "torch/train/trainer_setup.h"
#include "yaml-cpp/yaml.h"

namespace tch::cli {
namespace {

std::atomic<int> g_interrupt{0};

void OnInterrupt(int signal_number) {
  if (g_interrupt.exchange(signal_number) != 0) {
    // Second signal: the user insists; leave without a checkpoint.
    ::signal(signal_number, SIG_DFL);
    ::raise(signal_number);
  }
}

// Splits positional arguments into the config path and key=value overrides.
bool SplitConfigArgs(const std::vector<std::string>& positional,
                     std::string* config, std::vector<std::string>* overrides) {
  if (positional.empty()) return false;
  *config = positional[0];
  overrides->assign(positional.begin() + 1, positional.end());
  return true;
}

train::LoadedConfig LoadWithRunDir(const std::string& config,
                                   std::vector<std::string> overrides) {
  if (!FLAGS_run_dir.empty()) overrides.push_back("run_dir=" + FLAGS_run_dir);
  return train::LoadConfig(config, overrides);
}

const CommandSpec kTrainSpec{
    "train",
    "tch train CONFIG.yaml [key.path=value ...] [--resume auto|DIR] "
    "[--run-dir DIR] [--init-from WEIGHTS.safetensors]",
    "Trains the model a YAML config describes (see docs/config.md) and writes\n"
    "metrics, TensorBoard events, curves.png and crash-safe checkpoints to "
    "the run\ndirectory. Overrides use the config grammar: optimizer.lr=0.01, "
    "model.hidden=[64,64],\n~train.max_steps (removal).\n"
    "SIGINT/SIGTERM write a checkpoint and exit with 130/143; resume with\n"
    "--resume auto for bit-identical continuation. A NaN/inf loss stops "
    "with exit 1,\nkeeping the last good checkpoint.",
    {"resume", "run_dir", "init_from", "progress"}};

const CommandSpec kCheckSpec{
    "check",
    "tch check CONFIG.yaml [key.path=value ...] [--run-dir DIR]",
    "Validates a config without training: the schema, that the data exists "
    "and loads,\nthat the run directory is writable, the devices, and one "
    "training step on one batch.\nExit 0 when everything is ready.",
    {"run_dir"}};

const CommandSpec kConfigSpec{
    "config",
    "tch config print CONFIG.yaml [key.path=value ...] [--provenance]\n"
    "       tch config docs",
    "print: the fully resolved config (every default filled in); with\n"
    "--provenance, each value's source (file:line:column, command line or "
    "default).\ndocs: the Markdown reference of every key (docs/config.md).",
    {"provenance", "run_dir"}};

// "a.b: value  # source" for every leaf of the resolved YAML.
void PrintProvenance(const YAML::Node& node, const std::string& path,
                     const std::map<std::string, std::string>& provenance,
                     std::ostream& out) {
  if (node.IsMap()) {
    for (const auto& entry : node) {
      const std::string key = entry.first.as<std::string>();
      const std::string child = path.empty() ? key : path + "." + key;
      if (provenance.count(child) || !entry.second.IsMap()) {
        YAML::Emitter emitter;
        emitter << YAML::Flow << entry.second;
        auto it = provenance.find(child);
        out << child << ": " << emitter.c_str() << "  # "
            << (it != provenance.end() ? it->second : "default") << "\n";
      } else {
        PrintProvenance(entry.second, child, provenance, out);
      }
    }
  }
}

}  // namespace

int RunTrain(int argc, char** argv) {
  std::vector<std::string> positional;
  if (int code = ParseCommandFlags(kTrainSpec, argc, argv, &positional);
      code >= 0) {
    return code;
  }
  std::string config_path;
  std::vector<std::string> overrides;
  if (!SplitConfigArgs(positional, &config_path, &overrides)) {
    return CommandUsageError(kTrainSpec, "no config file given");
  }
  train::TrainOptions options;
  if (FLAGS_progress == "bar") {
    options.progress_mode = train::ProgressOptions::Mode::kTty;
  } else if (FLAGS_progress == "lines") {
    options.progress_mode = train::ProgressOptions::Mode::kPlain;
  } else if (FLAGS_progress != "auto") {
    return CommandUsageError(kTrainSpec,
                             "--progress: expected auto, bar or "
                             "lines, got '" +
                                 FLAGS_progress + "'");
  }
  train::LoadedConfig loaded = LoadWithRunDir(config_path, overrides);
  options.resume = FLAGS_resume;
  options.init_from = FLAGS_init_from;
  options.interrupt = &g_interrupt;
  struct sigaction action {};
  action.sa_handler = &OnInterrupt;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);

  train::TrainSummary summary = train::Train(loaded, options);
  std::ostringstream eval;
  eval.precision(4);
  for (const auto& [name, value] : summary.eval) {
    eval << " " << name << " " << value;
  }
  std::cout << "done: " << summary.steps << " steps;" << eval.str() << "; "
            << static_cast<int64_t>(summary.train_samples_per_second)
            << " samples/s; run dir " << summary.run_dir << "\n";
  if (summary.reason == train::StopReason::kInterrupted) {
    std::cout << "interrupted by signal " << summary.interrupt_signal << " ("
              << strsignal(summary.interrupt_signal) << "); checkpoint "
              << summary.last_checkpoint << "; continue with --resume auto\n";
    return 128 + summary.interrupt_signal;
  }
  return kExitOk;
}

int RunCheck(int argc, char** argv) {
  std::vector<std::string> positional;
  if (int code = ParseCommandFlags(kCheckSpec, argc, argv, &positional);
      code >= 0) {
    return code;
  }
  std::string config_path;
  std::vector<std::string> overrides;
  if (!SplitConfigArgs(positional, &config_path, &overrides)) {
    return CommandUsageError(kCheckSpec, "no config file given");
  }
  train::LoadedConfig loaded = LoadWithRunDir(config_path, overrides);
  const train::TrainConfig& config = loaded.config;
  std::cout << "config: ok (" << config_path << ")\n";
  std::cout << "device: " << config.device << " ("
            << (config.device == "cpu" ? "available" : "not available")
            << ")\n";
  TCH_CHECK(config.device == "cpu", "device: '", config.device,
            "' is not available in this build; use device: cpu");

  train::RunData data = train::BuildData(config);
  std::cout << "data: ok: " << data.train->description();
  if (data.eval) std::cout << "; " << data.eval->description();
  std::cout << "\n";

  namespace fs = std::filesystem;
  fs::create_directories(config.run_dir);
  const std::string probe = config.run_dir + "/.tch-check-probe";
  {
    std::ofstream out(probe);
    TCH_CHECK_T(IoError, out.good(), "run directory '", config.run_dir,
                "' is not writable");
  }
  fs::remove(probe);
  std::cout << "run dir: ok: " << config.run_dir << " is writable\n";

  train::SeedEverything(config.seed);
  auto model = train::BuildModel(config, data);
  auto params = model->parameters();
  auto optimizer = train::BuildOptimizer(config, params);
  data::LoaderOptions loader_options;
  loader_options.batch_size = config.data.batch_size;
  loader_options.seed = static_cast<uint64_t>(config.seed);
  data::DataLoader loader(data.train, loader_options);
  std::optional<data::Batch> batch = loader.Next();
  TCH_CHECK(batch.has_value(), "the training split yields no batch");
  model->train();
  Tensor output = model->forward(batch->inputs);
  Tensor loss = train::ComputeLoss(config, data.task, output, batch->targets);
  const double loss_value = loss.item<double>();
  autograd::backward(loss);
  optimizer->step();
  std::cout << "model: ok: " << model->num_parameters() << " parameters; one "
            << "training step on " << batch->size << " examples, loss "
            << loss_value << "\n";
  TCH_CHECK(std::isfinite(loss_value), "the first step's loss is not finite");
  std::cout << "ready\n";
  return kExitOk;
}

int RunConfig(int argc, char** argv) {
  std::vector<std::string> positional;
  if (int code = ParseCommandFlags(kConfigSpec, argc, argv, &positional);
      code >= 0) {
    return code;
  }
  if (positional.empty()) {
    return CommandUsageError(kConfigSpec, "expected 'print' or 'docs'");
  }
  if (positional[0] == "docs") {
    std::cout << train::ConfigDocsMarkdown();
    return kExitOk;
  }
  if (positional[0] != "print") {
    return CommandUsageError(
        kConfigSpec,
        "unknown subcommand '" + positional[0] + "'; expected print or docs");
  }
  std::vector<std::string> rest(positional.begin() + 1, positional.end());
  std::string config_path;
  std::vector<std::string> overrides;
  if (!SplitConfigArgs(rest, &config_path, &overrides)) {
    return CommandUsageError(kConfigSpec, "no config file given");
  }
  train::LoadedConfig loaded = LoadWithRunDir(config_path, overrides);
  if (!FLAGS_provenance) {
    std::cout << loaded.ResolvedYaml();
    return kExitOk;
  }
  PrintProvenance(YAML::Load(loaded.ResolvedYaml()), "", loaded.provenance,
                  std::cout);
  return kExitOk;
}

}  // namespace tch::cli
