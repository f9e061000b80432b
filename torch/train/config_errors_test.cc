// File: torch/train/config_errors_test.cc
//
// Every class of config error with its exact message: where (file:line:col,
// the file alone, or the command-line override), which key, what was wrong.
// Columns are 1-based and point at the offending value (or key, for unknown
// keys).
#include <sys/stat.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "torch/train/config.h"
#include "torch/train/config_test_util.h"

namespace tch::train {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class ConfigErrorsTest : public ConfigTestBase {
 protected:
  // Writes `text` to `name`, loads it with `overrides` and returns the error.
  static std::string LoadError(const std::string& name, const std::string& text,
                               const std::vector<std::string>& overrides = {}) {
    Write(name, text);
    return ErrorOf([&] { LoadConfig(name, overrides); });
  }
};

// Two lines that make a valid config; tests append a third line.
constexpr const char* kOk = "model: {arch: mlp}\ndata: {dataset: synthetic}\n";

TEST_F(ConfigErrorsTest, WrongType) {
  EXPECT_EQ(LoadError("cnn.yaml",
                      "model:\n"
                      "  arch: cnn\n"
                      "data:\n"
                      "  dataset: fashion_mnist\n"
                      "optimizer:\n"
                      "  lr: fast\n"),
            "cnn.yaml:6:7: optimizer.lr: expected a positive number, got "
            "\"fast\"");
  EXPECT_EQ(LoadError("l.yaml", "model: {arch: mlp, hidden: 64}\n"),
            "l.yaml:1:28: model.hidden: expected a list of positive integers, "
            "got 64");
  EXPECT_EQ(LoadError("b.yaml",
                      "model: {arch: mlp}\n"
                      "data: {dataset: synthetic, shuffle: yes}\n"),
            "b.yaml:2:37: data.shuffle: expected true or false, got \"yes\"");
  EXPECT_EQ(LoadError("d.yaml", std::string(kOk) + "device: gpu\n"),
            "d.yaml:3:9: device: expected cpu, cuda or cuda:N, got \"gpu\"");
  EXPECT_EQ(LoadError("s.yaml", std::string(kOk) + "optimizer: 5\n"),
            "s.yaml:3:12: optimizer: expected a mapping, got 5");
  EXPECT_EQ(LoadError("i.yaml", std::string(kOk) + "seed: 1.5\n"),
            "i.yaml:3:7: seed: expected a non-negative integer, got 1.5");
  EXPECT_EQ(LoadError("q.yaml", std::string(kOk) + "seed: \"1\"\n"),
            "q.yaml:3:7: seed: expected a non-negative integer, got \"1\"");
  EXPECT_EQ(
      LoadError("p.yaml", std::string(kOk) + "optimizer: {betas: [0.9]}\n"),
      "p.yaml:3:20: optimizer.betas: expected a list of two numbers in "
      "[0, 1), got a list");
}

TEST_F(ConfigErrorsTest, OutOfRange) {
  EXPECT_EQ(LoadError("r.yaml", "model: {arch: mlp, dropout: 1.5}\n"),
            "r.yaml:1:29: model.dropout: expected a number in [0, 1), got 1.5");
  EXPECT_EQ(LoadError("b.yaml",
                      "model: {arch: mlp}\n"
                      "data: {dataset: synthetic, batch_size: 0}\n"),
            "b.yaml:2:40: data.batch_size: expected a positive integer, got 0");
  EXPECT_EQ(LoadError("l.yaml", "model: {arch: mlp, hidden: [64, 1.5]}\n"),
            "l.yaml:1:33: model.hidden[1]: expected a positive integer, got "
            "1.5");
  EXPECT_EQ(LoadError("m.yaml",
                      std::string(kOk) + "schedule: {milestones: [5, 5]}\n"),
            "m.yaml:3:28: schedule.milestones[1]: expected a value greater "
            "than 5 (the list must increase), got 5");
  EXPECT_EQ(LoadError("o.yaml", std::string(kOk) + "seed: 1e400\n"),
            "o.yaml:3:7: seed: expected a non-negative integer, got 1e400");
}

TEST_F(ConfigErrorsTest, EnumListsTheChoices) {
  EXPECT_EQ(
      LoadError("e.yaml", std::string(kOk) + "optimizer: {name: adamm}\n"),
      "e.yaml:3:19: optimizer.name: expected one of sgd, adam, adamw, "
      "rmsprop, adagrad, got \"adamm\"; did you mean 'adam'?");
  EXPECT_EQ(LoadError("e.yaml", "model: {arch: transformer}\n"),
            "e.yaml:1:15: model.arch: expected one of mlp, cnn, resnet, gpt, "
            "sequential, got \"transformer\"");
}

TEST_F(ConfigErrorsTest, UnknownKeys) {
  EXPECT_EQ(LoadError("mlp.yaml",
                      "model:\n"
                      "  arch: mlp\n"
                      "  hiden: [64]\n"
                      "data: {dataset: synthetic}\n"),
            "mlp.yaml:3:3: model.hiden: unknown key; did you mean 'hidden'?");
  EXPECT_EQ(LoadError("x.yaml", std::string(kOk) + "wibble: 1\n"),
            "x.yaml:3:1: wibble: unknown key; expected one of: base, seed, "
            "threads, device, run_dir, model, data, optimizer, schedule, "
            "train, checkpoint");
  // Dotted keys are not paths inside a file.
  EXPECT_EQ(LoadError("x.yaml", std::string(kOk) + "optimizer.lr: 0.1\n"),
            "x.yaml:3:1: optimizer.lr: unknown key; did you mean "
            "'optimizer'?");
  // `base` is only a top-level key.
  EXPECT_EQ(LoadError("x.yaml", std::string(kOk) + "train: {base: a.yaml}\n"),
            "x.yaml:3:9: train.base: unknown key; expected one of: epochs, "
            "max_steps, eval_interval, log_interval, grad_clip_norm, "
            "grad_clip_value, grad_accumulation, loss, label_smoothing, "
            "early_stopping");
}

TEST_F(ConfigErrorsTest, RequiredKeys) {
  EXPECT_EQ(LoadError("req.yaml", "model: {arch: mlp}\n"),
            "req.yaml: data.dataset: required key missing");
  EXPECT_EQ(LoadError("req.yaml", "data: {dataset: synthetic}\n"),
            "req.yaml: model.arch: required key missing");
  EXPECT_EQ(LoadError("req.yaml", "model: {arch: mlp}\n",
                      {"data.dataset=csv", "~data.dataset"}),
            "req.yaml: data.dataset: required key missing");
}

TEST_F(ConfigErrorsTest, YamlSyntax) {
  EXPECT_EQ(LoadError("bad.yaml", "model: {arch: mlp\ndata: x\n"),
            "bad.yaml:2:5: YAML syntax error: end of map flow not found");
  EXPECT_EQ(LoadError("bad.yaml", "model:\n  arch: mlp\n data: x\n"),
            "bad.yaml:3:2: YAML syntax error: end of map not found");
  EXPECT_EQ(LoadError("bad.yaml", "seed: b: c\n"),
            "bad.yaml:1:8: YAML syntax error: illegal map value");
  EXPECT_EQ(LoadError("dup.yaml", "seed: 1\nseed: 2\n"),
            "dup.yaml:2:1: duplicate key \"seed\"");
  EXPECT_EQ(LoadError("k.yaml", "? [a]\n: 1\n"),
            "k.yaml:1:3: mapping keys must be plain strings, got a list");
  EXPECT_EQ(LoadError("multi.yaml", "seed: 1\n---\nseed: 2\n"),
            "multi.yaml: expected one YAML document, found more than one");
  EXPECT_EQ(LoadError("deep.yaml", "a: " + std::string(70, '[') +
                                       std::string(70, ']') + "\n"),
            "deep.yaml:1:67: nesting is deeper than 64 levels");
  // Aliases are counted expanded, so a "billion laughs" file is refused.
  std::string bomb = "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
  for (char c = 'b'; c <= 'g'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    bomb += std::string(1, c) + ": &" + c + " [*" + prev;
    for (int i = 0; i < 9; ++i) bomb += ", *" + prev;
    bomb += "]\n";
  }
  EXPECT_THAT(LoadError("bomb.yaml", bomb),
              HasSubstr("config is too large (more than 100000 values"));
}

TEST_F(ConfigErrorsTest, Files) {
  EXPECT_EQ(ErrorOf([] { LoadConfig("nope.yaml"); }),
            "IoError: cannot read config 'nope.yaml': No such file or "
            "directory");
  ASSERT_EQ(::mkdir("d.yaml", 0755), 0);
  EXPECT_EQ(ErrorOf([] { LoadConfig("d.yaml"); }),
            "IoError: cannot read config 'd.yaml': Is a directory");
  EXPECT_EQ(LoadError("empty.yaml", ""),
            "empty.yaml: model.arch: required key missing");
  EXPECT_EQ(LoadError("comments.yaml", "# nothing here\n\n"),
            "comments.yaml: model.arch: required key missing");
  EXPECT_EQ(LoadError("list.yaml", "- a\n- b\n"),
            "list.yaml:1:1: expected a mapping of keys at the top level, got "
            "a list");
  EXPECT_EQ(LoadError("s.yaml", "hello\n"),
            "s.yaml:1:1: expected a mapping of keys at the top level, got "
            "\"hello\"");
}

TEST_F(ConfigErrorsTest, Bases) {
  Write("b.yaml", "base: a.yaml\n");
  EXPECT_EQ(LoadError("a.yaml", std::string("base: b.yaml\n") + kOk),
            "b.yaml:1:7: base: include cycle: a.yaml -> b.yaml -> a.yaml");
  EXPECT_EQ(LoadError("self.yaml", "base: ./self.yaml\n"),
            "self.yaml:1:7: base: include cycle: self.yaml -> self.yaml");
  EXPECT_EQ(LoadError("m.yaml", "base: gone.yaml\n"),
            "IoError: m.yaml:1:7: base: cannot read config 'gone.yaml': No "
            "such file or directory");
  EXPECT_EQ(LoadError("null.yaml", std::string("base:\n") + kOk), "");
  EXPECT_EQ(LoadError("n.yaml", "base: [a.yaml]\n"),
            "n.yaml:1:7: base: expected a path, got a list");
  // Errors inside a base name the base file.
  Write("typo.yaml", "seed: -1\n");
  EXPECT_EQ(LoadError("t.yaml", std::string("base: typo.yaml\n") + kOk),
            "typo.yaml:1:7: seed: expected a non-negative integer, got -1");
}

TEST_F(ConfigErrorsTest, CrossFieldChecks) {
  EXPECT_EQ(LoadError("g.yaml",
                      "model: {arch: gpt}\ndata: {dataset: fashion_mnist}\n"),
            "g.yaml:1:15: model.arch: arch gpt needs data.dataset text, got "
            "fashion_mnist");
  EXPECT_EQ(
      LoadError("s.yaml",
                "model: {arch: sequential}\ndata: {dataset: synthetic}\n"),
      "s.yaml: model.layers: arch sequential needs at least one layer");
  EXPECT_EQ(LoadError("c.yaml", "model: {arch: mlp}\ndata: {dataset: csv}\n"),
            "c.yaml: data.path: dataset csv needs exactly one path, got 0");
  EXPECT_EQ(LoadError("t.yaml", std::string(kOk) + "train: {epochs: 0}\n"),
            "t.yaml:3:17: train.epochs: train.epochs or train.max_steps must "
            "be > 0 (both are 0)");
  EXPECT_EQ(LoadError("n.yaml", std::string(kOk) +
                                    "optimizer: {name: sgd, nesterov: true}\n"),
            "n.yaml:3:34: optimizer.nesterov: needs optimizer.momentum > 0 and "
            "optimizer.dampening 0");
  EXPECT_EQ(LoadError("rn.yaml",
                      "model: {arch: resnet, channels: [8, 16, 32]}\n"
                      "data: {dataset: synthetic}\n"),
            "rn.yaml: model.blocks: resnet needs one entry per model.channels "
            "entry (3), got 2");
  EXPECT_EQ(LoadError("h.yaml",
                      "model: {arch: gpt, d_model: 10, n_heads: 4}\n"
                      "data: {dataset: text, path: a.txt}\n"),
            "h.yaml:1:29: model.d_model: must be a multiple of model.n_heads "
            "(4), got 10");
}

TEST_F(ConfigErrorsTest, Environment) {
  ::unsetenv("TCH_CONFIG_TEST_UNSET");
  EXPECT_EQ(LoadError("env.yaml",
                      "model: {arch: mlp}\n"
                      "data:\n"
                      "  dataset: idx\n"
                      "  dir: ${env:TCH_CONFIG_TEST_UNSET}\n"),
            "env.yaml:4:8: data.dir: environment variable "
            "'TCH_CONFIG_TEST_UNSET' is not set (write "
            "${env:TCH_CONFIG_TEST_UNSET:-default} to give a default)");
  EXPECT_EQ(LoadError("env.yaml", std::string(kOk) + "run_dir: ${env:}\n"),
            "env.yaml:3:10: run_dir: malformed environment reference in "
            "\"${env:}\"; expected ${env:NAME} or ${env:NAME:-default}");
  EXPECT_EQ(
      LoadError("env.yaml", kOk, {"run_dir=${env:TCH_CONFIG_TEST_UNSET}"}),
      "command line: run_dir=${env:TCH_CONFIG_TEST_UNSET}: environment "
      "variable 'TCH_CONFIG_TEST_UNSET' is not set (write "
      "${env:TCH_CONFIG_TEST_UNSET:-default} to give a default)");
}

TEST_F(ConfigErrorsTest, Overrides) {
  Write("o.yaml",
        "model: {arch: mlp, hidden: [1, 2]}\n"
        "data: {dataset: synthetic}\n");
  auto error = [](std::vector<std::string> overrides) {
    return ErrorOf([&] { LoadConfig("o.yaml", overrides); });
  };
  EXPECT_EQ(error({"optimizer.lrr=0.1"}),
            "command line: optimizer.lrr=0.1: unknown key; did you mean 'lr'?");
  EXPECT_EQ(error({"optimizr.lr=0.1"}),
            "command line: optimizr.lr=0.1: optimizr: unknown key; did you "
            "mean 'optimizer'?");
  EXPECT_EQ(error({"~optimizer.lrr"}),
            "command line: ~optimizer.lrr: unknown key; did you mean 'lr'?");
  EXPECT_EQ(error({"optimizer.lr=fast"}),
            "command line: optimizer.lr=fast: expected a positive number, got "
            "\"fast\"");
  EXPECT_EQ(error({"model.hidden[0]=x"}),
            "command line: model.hidden[0]=x: expected a positive integer, got "
            "\"x\"");
  EXPECT_EQ(error({"model.hidden[5]=1"}),
            "command line: model.hidden[5]=1: index 5 is out of range for "
            "model.hidden (2 items)");
  EXPECT_EQ(error({"seed"}),
            "command line: seed: expected KEY=VALUE to set a key or ~KEY to "
            "remove it");
  EXPECT_EQ(error({"a..b=1"}),
            "command line: a..b=1: malformed key path \"a..b\"; expected keys "
            "separated by '.', each optionally followed by [INDEX]");
  EXPECT_EQ(error({"base=x.yaml"}),
            "command line: base=x.yaml: base can only be set in a config file");
  EXPECT_EQ(error({"model.arch.x=1"}),
            "command line: model.arch.x=1: model.arch is not a mapping");
  EXPECT_EQ(error({"model.arch[0]=1"}),
            "command line: model.arch[0]=1: model.arch is not a list");
  EXPECT_EQ(error({"model={arch: mlp, hiden: [3]}"}),
            "command line: model={arch: mlp, hiden: [3]}: model.hiden: unknown "
            "key; did you mean 'hidden'?");
  EXPECT_EQ(error({"data.synthetic.input_shape=[]"}),
            "command line: data.synthetic.input_shape=[]: must not be empty");
  EXPECT_THAT(
      error({"model.hidden=[1,"}),
      StartsWith("command line: model.hidden=[1,: invalid YAML value: "));
}

TEST_F(ConfigErrorsTest, Layers) {
  const std::string head =
      "data: {dataset: synthetic}\nmodel:\n  arch: sequential\n";
  EXPECT_EQ(LoadError("l.yaml", head + "  layers: [conv2d]\n"),
            "l.yaml:4:12: model.layers[0]: expected a mapping with a 'type' "
            "key, got \"conv2d\"");
  EXPECT_EQ(LoadError("l.yaml", head + "  layers: [{kernel: 3}]\n"),
            "l.yaml:4:12: model.layers[0].type: required key missing");
  EXPECT_EQ(LoadError("l.yaml", head + "  layers: [{type: x, k: {a: 1}}]\n"),
            "l.yaml:4:25: model.layers[0].k: expected a number, string, "
            "boolean or list of integers, got a mapping");
  EXPECT_EQ(
      LoadError("l.yaml", head + "  layers: [{type: x, k: [1, b]}]\n"),
      "l.yaml:4:29: model.layers[0].k[1]: expected an integer, got \"b\"");
  EXPECT_EQ(LoadError("l.yaml", head + "  layers: {type: x}\n"),
            "l.yaml:4:11: model.layers: expected a list of layer mappings, got "
            "a mapping");
}

}  // namespace
}  // namespace tch::train
