// File: torch/train/config_test.cc
//
// Loading, defaults, bases, overrides, env interpolation, provenance, the
// resolved YAML round trip, sequential layer args and docs freshness. Error
// messages are checked in config_errors_test.cc. Every test runs in a fresh
// temporary directory (the working directory) so file names in messages are
// short.
#include "torch/train/config.h"

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "torch/train/config_test_util.h"

namespace tch::train {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ConfigTest : public ConfigTestBase {};

constexpr const char* kMinimal =
    "model:\n"
    "  arch: mlp\n"
    "data:\n"
    "  dataset: fashion_mnist\n";

TEST_F(ConfigTest, DefaultsComeFromTheSchema) {
  Write("min.yaml", kMinimal);
  LoadedConfig loaded = LoadConfig("min.yaml", {});
  const TrainConfig& c = loaded.config;
  EXPECT_EQ(c.config_path, "min.yaml");
  EXPECT_EQ(c.run_dir, "runs/min");
  EXPECT_EQ(c.seed, 0);
  EXPECT_EQ(c.device, "cpu");
  EXPECT_EQ(c.model.arch, Arch::kMlp);
  EXPECT_THAT(c.model.hidden, ElementsAre(256, 128));
  EXPECT_EQ(c.model.activation, Activation::kRelu);
  EXPECT_THAT(c.model.channels, ElementsAre(32, 64));
  EXPECT_TRUE(c.model.tie_weights);
  EXPECT_TRUE(c.model.layers.empty());
  EXPECT_EQ(c.data.dataset, Dataset::kFashionMnist);
  EXPECT_EQ(c.data.dir, "/usr/share/datasets/fashion-mnist");
  EXPECT_EQ(c.data.label_column, "label");
  EXPECT_EQ(c.data.label_column_index, -1);
  EXPECT_TRUE(c.data.paths.empty());
  EXPECT_EQ(c.data.batch_size, 128);
  EXPECT_EQ(c.data.eval_batch_size, 1000);
  EXPECT_THAT(c.data.synthetic.input_shape, ElementsAre(1, 8, 8));
  EXPECT_EQ(c.optimizer.name, OptimizerName::kAdam);
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 0.001);
  EXPECT_DOUBLE_EQ(c.optimizer.betas[0], 0.9);
  EXPECT_DOUBLE_EQ(c.optimizer.betas[1], 0.999);
  EXPECT_DOUBLE_EQ(c.optimizer.eps, 1e-8);
  EXPECT_EQ(c.schedule.name, ScheduleName::kConstant);
  EXPECT_EQ(c.schedule.patience, 10);
  EXPECT_EQ(c.train.epochs, 1);
  EXPECT_EQ(c.train.log_interval, 50);
  EXPECT_EQ(c.train.loss, LossName::kCrossEntropy);
  EXPECT_EQ(c.train.early_stopping.mode, MetricMode::kMin);
  EXPECT_EQ(c.checkpoint.keep_last, 3);
  EXPECT_EQ(c.checkpoint.keep_best.mode, MetricMode::kMax);
}

// The struct initializers in config.h and the schema defaults must agree,
// so code that builds a TrainConfig by hand gets what a file would give.
TEST_F(ConfigTest, StructInitializersMatchSchemaDefaults) {
  Write("min.yaml", kMinimal);
  TrainConfig by_hand;
  by_hand.config_path = "min.yaml";
  by_hand.run_dir = "runs/min";
  EXPECT_EQ(ConfigToYaml(by_hand), LoadConfig("min.yaml").ResolvedYaml());
}

TEST_F(ConfigTest, EmptyAndNullValuesMeanDefault) {
  Write("n.yaml", std::string(kMinimal) +
                      "optimizer:\n  lr:\n  momentum: null\nseed: ~\n");
  LoadedConfig loaded = LoadConfig("n.yaml");
  EXPECT_DOUBLE_EQ(loaded.config.optimizer.lr, 0.001);
  EXPECT_EQ(loaded.provenance.at("optimizer.lr"), "default");
}

TEST_F(ConfigTest, BaseIncludeAndPrecedence) {
  ASSERT_EQ(::mkdir("common", 0755), 0);
  ASSERT_EQ(::mkdir("exp", 0755), 0);
  Write("common/root.yaml",
        "seed: 1\n"
        "threads: 2\n"
        "train:\n"
        "  epochs: 9\n");
  Write("common/base.yaml",
        "base: root.yaml\n"  // relative to common/
        "model:\n"
        "  arch: cnn\n"
        "  channels: [8, 16, 32]\n"
        "data:\n"
        "  dataset: synthetic\n"
        "optimizer:\n"
        "  name: sgd\n"
        "  lr: 0.5\n"
        "  momentum: 0.9\n"
        "seed: 2\n");
  Write("exp/child.yaml",
        "base: ../common/base.yaml\n"
        "model:\n"
        "  channels: [4]\n"  // lists replace
        "optimizer:\n"
        "  lr: 0.25\n"   // maps merge key by key
        "  momentum:\n"  // null removes the base's value
        "seed: 3\n");
  LoadedConfig loaded = LoadConfig("exp/child.yaml", {"seed=4"});
  const TrainConfig& c = loaded.config;
  EXPECT_EQ(c.model.arch, Arch::kCnn);
  EXPECT_THAT(c.model.channels, ElementsAre(4));
  EXPECT_EQ(c.optimizer.name, OptimizerName::kSgd);
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 0.25);
  EXPECT_DOUBLE_EQ(c.optimizer.momentum, 0.0);
  EXPECT_EQ(c.threads, 2);
  EXPECT_EQ(c.train.epochs, 9);
  EXPECT_EQ(c.seed, 4);
  EXPECT_EQ(c.run_dir, "runs/child");
  EXPECT_EQ(loaded.provenance.at("seed"), "command line");
  EXPECT_EQ(loaded.provenance.at("optimizer.lr"), "exp/child.yaml:5:7");
  EXPECT_EQ(loaded.provenance.at("optimizer.name"), "common/base.yaml:8:9");
  EXPECT_EQ(loaded.provenance.at("threads"), "common/root.yaml:2:10");
  EXPECT_EQ(loaded.provenance.at("optimizer.momentum"), "default");
  EXPECT_EQ(loaded.provenance.at("model.channels"), "exp/child.yaml:3:13");
  EXPECT_EQ(loaded.provenance.count("base"), 0u);
}

TEST_F(ConfigTest, OverrideGrammar) {
  Write("o.yaml",
        "model:\n"
        "  arch: mlp\n"
        "  hidden: [10, 20]\n"
        "data:\n"
        "  dataset: csv\n"
        "  path: train.csv\n"
        "optimizer:\n"
        "  lr: 0.5\n");
  LoadedConfig a = LoadConfig(
      "o.yaml", {"optimizer.name=sgd", "model.hidden[1]=25",
                 "model.hidden[2]=30", "model.channels[0]=3", "~optimizer.lr",
                 "data.label_column=3", "schedule.milestones=[5, 10]",
                 "run_dir=", "optimizer={momentum: 0.5, nesterov: true}"});
  const TrainConfig& c = a.config;
  EXPECT_EQ(c.optimizer.name, OptimizerName::kSgd);
  EXPECT_THAT(c.model.hidden, ElementsAre(10, 25, 30));
  EXPECT_THAT(c.model.channels, ElementsAre(3, 64));  // indexes the default
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 0.001);            // removed: default
  EXPECT_DOUBLE_EQ(c.optimizer.momentum, 0.5);
  EXPECT_TRUE(c.optimizer.nesterov);
  EXPECT_EQ(c.data.label_column, "");
  EXPECT_EQ(c.data.label_column_index, 3);
  EXPECT_THAT(c.schedule.milestones, ElementsAre(5, 10));
  EXPECT_EQ(c.run_dir, "runs/o");  // empty string = default
  EXPECT_EQ(a.provenance.at("model.hidden"), "command line");
  EXPECT_EQ(a.provenance.at("model.channels"), "command line");
  EXPECT_EQ(a.provenance.at("optimizer.lr"), "default");
  EXPECT_EQ(a.provenance.at("data.path"), "o.yaml:6:9");

  LoadedConfig b =
      LoadConfig("o.yaml", {"model.hidden=[1,2,3]", "~model.hidden[0]",
                            "optimizer.lr=null", "data.label_column='3'"});
  EXPECT_THAT(b.config.model.hidden, ElementsAre(2, 3));
  EXPECT_DOUBLE_EQ(b.config.optimizer.lr, 0.001);
  EXPECT_EQ(b.config.data.label_column, "3");  // quoted: a column name
  EXPECT_EQ(b.config.data.label_column_index, -1);
}

TEST_F(ConfigTest, EnvInterpolation) {
  ::setenv("TCH_CONFIG_TEST_DIR", "/data/x", 1);
  ::setenv("TCH_CONFIG_TEST_LR", "0.125", 1);
  ::unsetenv("TCH_CONFIG_TEST_UNSET");
  Write("e.yaml",
        "model: {arch: mlp}\n"
        "data:\n"
        "  dataset: idx\n"
        "  dir: ${env:TCH_CONFIG_TEST_DIR}/fmnist\n"
        "  train_images: ${env:TCH_CONFIG_TEST_UNSET:-fallback.idx}\n"
        "  test_images: \"$${env:literal}\"\n"
        "optimizer:\n"
        "  lr: ${env:TCH_CONFIG_TEST_LR}\n");
  LoadedConfig loaded = LoadConfig("e.yaml");
  EXPECT_EQ(loaded.config.data.dir, "/data/x/fmnist");
  EXPECT_EQ(loaded.config.data.train_images, "fallback.idx");
  EXPECT_EQ(loaded.config.data.test_images, "${env:literal}");
  // Substitution happens before typing: a plain value becomes a number.
  EXPECT_DOUBLE_EQ(loaded.config.optimizer.lr, 0.125);
  EXPECT_EQ(loaded.provenance.at("data.dir"), "e.yaml:4:8");
  // Overrides are interpolated too.
  LoadedConfig from_override =
      LoadConfig("e.yaml", {"data.dir=${env:TCH_CONFIG_TEST_DIR}"});
  EXPECT_EQ(from_override.config.data.dir, "/data/x");
  // A quoted value stays a string, so a number field rejects it.
  Write("quoted.yaml",
        "model: {arch: mlp}\n"
        "data: {dataset: idx}\n"
        "optimizer: {lr: '${env:TCH_CONFIG_TEST_LR}'}\n");
  EXPECT_EQ(ErrorOf([] { LoadConfig("quoted.yaml"); }),
            "quoted.yaml:3:17: optimizer.lr: expected a positive number, got "
            "\"0.125\"");
}

TEST_F(ConfigTest, ProvenanceCoversEveryLeaf) {
  Write("p.yaml",
        "model:\n"
        "  arch: mlp\n"
        "data:\n"
        "  dataset: synthetic\n"
        "  synthetic:\n"
        "    num_classes: 7\n");
  LoadedConfig loaded = LoadConfig("p.yaml", {"train.epochs=2"});
  EXPECT_EQ(loaded.provenance.at("model.arch"), "p.yaml:2:9");
  EXPECT_EQ(loaded.provenance.at("data.synthetic.num_classes"), "p.yaml:6:18");
  EXPECT_EQ(loaded.provenance.at("train.epochs"), "command line");
  EXPECT_EQ(loaded.provenance.at("checkpoint.keep_best.mode"), "default");
  // Every key of the resolved YAML that is a leaf has a provenance entry.
  EXPECT_EQ(loaded.provenance.size(), 79u);
  EXPECT_EQ(loaded.provenance.count("model"), 0u);
}

constexpr const char* kFull =
    "seed: 7\n"
    "device: cuda:1\n"
    "run_dir: out/run 1\n"
    "model:\n"
    "  arch: sequential\n"
    "  layers:\n"
    "    - type: conv2d\n"
    "      out_channels: 16\n"
    "      kernel_size: [3, 3]\n"
    "      bias: false\n"
    "    - {type: dropout, p: 1.0, scale: 2.0}\n"
    "    - {type: activation, name: \"gelu\", note: '42'}\n"
    "data:\n"
    "  dataset: text\n"
    "  path: [a.txt, \"b c.txt\"]\n"
    "  vocab: char\n"
    "  label_column: 2\n"
    "optimizer:\n"
    "  name: adamw\n"
    "  betas: [0.8, 0.95]\n"
    "  eps: 1e-6\n"
    "schedule:\n"
    "  name: multistep\n"
    "  milestones: [100, 200]\n"
    "train:\n"
    "  max_steps: 1000\n"
    "  early_stopping: {metric: val_loss, patience: 3}\n"
    "checkpoint:\n"
    "  keep_best: {metric: \"val \\\"acc\\\"\", mode: max}\n";

TEST_F(ConfigTest, ResolvedYamlRoundTrips) {
  Write("full.yaml", kFull);
  LoadedConfig first = LoadConfig("full.yaml", {"model.layers[1].p=0.5"});
  const TrainConfig& c = first.config;
  EXPECT_EQ(c.device, "cuda:1");
  EXPECT_EQ(c.run_dir, "out/run 1");
  EXPECT_THAT(c.data.paths, ElementsAre("a.txt", "b c.txt"));
  EXPECT_EQ(c.data.label_column_index, 2);
  EXPECT_DOUBLE_EQ(c.optimizer.betas[0], 0.8);
  EXPECT_EQ(c.checkpoint.keep_best.metric, "val \"acc\"");

  Write("again.yaml", first.ResolvedYaml());
  LoadedConfig second = LoadConfig("again.yaml");
  EXPECT_EQ(second.ResolvedYaml(), first.ResolvedYaml());
  const TrainConfig& d = second.config;
  EXPECT_EQ(d.seed, 7);
  EXPECT_EQ(d.run_dir, c.run_dir);
  EXPECT_EQ(d.model.arch, Arch::kSequential);
  EXPECT_THAT(d.data.paths, ElementsAre("a.txt", "b c.txt"));
  EXPECT_EQ(d.data.label_column_index, 2);
  EXPECT_EQ(d.data.vocab, Vocab::kChar);
  EXPECT_EQ(d.optimizer.name, OptimizerName::kAdamw);
  EXPECT_DOUBLE_EQ(d.optimizer.eps, 1e-6);
  EXPECT_THAT(d.schedule.milestones, ElementsAre(100, 200));
  EXPECT_EQ(d.checkpoint.keep_best.metric, "val \"acc\"");
  ASSERT_EQ(d.model.layers.size(), 3u);
  // Argument types survive the round trip (2.0 and 0.5 stay doubles, '42'
  // stays a string).
  for (const std::vector<LayerSpec>* layers :
       {&c.model.layers, &d.model.layers}) {
    const std::vector<LayerSpec>& l = *layers;
    EXPECT_EQ(l[0].type, "conv2d");
    EXPECT_EQ(l[0].GetInt("out_channels"), 16);
    EXPECT_THAT(l[0].GetInts("kernel_size"), ElementsAre(3, 3));
    EXPECT_FALSE(l[0].GetBool("bias"));
    EXPECT_TRUE(std::holds_alternative<double>(l[1].args.at("p").value));
    EXPECT_DOUBLE_EQ(l[1].GetDouble("p"), 0.5);
    EXPECT_TRUE(std::holds_alternative<double>(l[1].args.at("scale").value));
    EXPECT_DOUBLE_EQ(l[1].GetDouble("scale"), 2.0);
    EXPECT_EQ(l[2].GetString("name"), "gelu");
    EXPECT_EQ(l[2].GetString("note"), "42");
  }
  // Deterministic: the same config always gives the same text.
  EXPECT_EQ(ConfigToYaml(c), first.ResolvedYaml());
}

TEST_F(ConfigTest, LayerArgsKeepTheirMarks) {
  Write("seq.yaml",
        "model:\n"
        "  arch: sequential\n"
        "  layers:\n"
        "    - type: conv2d\n"
        "      kernel_size: 2.5\n"
        "      strides: 2\n"
        "    - {type: linear, out_features: 10}\n"
        "data: {dataset: synthetic}\n");
  LoadedConfig loaded = LoadConfig("seq.yaml");
  const std::vector<LayerSpec>& layers = loaded.config.model.layers;
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[0].path, "model.layers[0]");
  EXPECT_EQ(ConfigLocation(layers[0].mark), "seq.yaml:4:7");
  EXPECT_EQ(ConfigLocation(layers[0].type_mark), "seq.yaml:4:13");
  EXPECT_EQ(ConfigLocation(layers[0].args.at("kernel_size").mark),
            "seq.yaml:5:20");
  EXPECT_EQ(ConfigLocation(layers[1].args.at("out_features").mark),
            "seq.yaml:7:36");
  EXPECT_EQ(ErrorOf([&] { layers[0].GetInt("kernel_size"); }),
            "seq.yaml:5:20: model.layers[0].kernel_size: expected an "
            "integer, got 2.5");
  EXPECT_EQ(ErrorOf([&] { layers[0].GetInt("padding"); }),
            "seq.yaml:4:7: model.layers[0].padding: required argument of "
            "conv2d missing");
  EXPECT_EQ(layers[0].GetInt("padding", 1), 1);
  // Integers are accepted where a number or a list of integers is expected.
  EXPECT_DOUBLE_EQ(layers[1].GetDouble("out_features"), 10.0);
  EXPECT_THAT(layers[1].GetInts("out_features"), ElementsAre(10));
  EXPECT_THAT(layers[1].GetInts("bias", {1, 2}), ElementsAre(1, 2));
  EXPECT_EQ(ErrorOf([&] {
              layers[0].CheckArgs({"out_channels", "kernel_size", "stride"});
            }),
            "seq.yaml:6:16: model.layers[0].strides: unknown argument for "
            "conv2d; did you mean 'stride'?");
  EXPECT_EQ(ErrorOf([&] { layers[1].Fail("", "unknown layer type"); }),
            "seq.yaml:7:7: model.layers[1]: unknown layer type");
  EXPECT_EQ(ErrorOf([&] { layers[1].GetString("out_features"); }),
            "seq.yaml:7:36: model.layers[1].out_features: expected a string, "
            "got 10");
}

TEST_F(ConfigTest, LocationsOfEachSource) {
  ConfigMark mark;
  EXPECT_EQ(ConfigLocation(mark), "default");
  mark.source = ConfigMark::Source::kCommandLine;
  mark.file = "seed=1";
  EXPECT_EQ(ConfigLocation(mark), "command line");
  mark.source = ConfigMark::Source::kFile;
  mark.file = "a.yaml";
  EXPECT_EQ(ConfigLocation(mark), "a.yaml");
  mark.line = 3;
  mark.column = 5;
  EXPECT_EQ(ConfigLocation(mark), "a.yaml:3:5");
}

TEST_F(ConfigTest, EnumNames) {
  EXPECT_EQ(ToString(Arch::kSequential), "sequential");
  EXPECT_EQ(ToString(Dataset::kFashionMnist), "fashion_mnist");
  EXPECT_EQ(ToString(LossName::kBceWithLogits), "bce_with_logits");
  EXPECT_EQ(ToString(ScheduleName::kPlateau), "plateau");
  EXPECT_EQ(ToString(MetricMode::kMax), "max");
}

// docs/config.md is generated from the schema; regenerate it with
//   bazel run //torch/train:config_docs > docs/config.md
TEST(ConfigDocs, DocsAreFresh) {
  std::ifstream in("docs/config.md");
  ASSERT_TRUE(in.good()) << "docs/config.md is not in the test's runfiles";
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_TRUE(text.str() == ConfigDocsMarkdown())
      << "docs/config.md is stale; regenerate it with: bazel run "
         "//torch/train:config_docs > docs/config.md";
  EXPECT_THAT(text.str(), HasSubstr("| `optimizer.lr` | number | `0.001` |"));
}

}  // namespace
}  // namespace tch::train
