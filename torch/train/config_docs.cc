// File: torch/train/config_docs.cc
//
// ConfigDocsMarkdown(): the reference of every config key, generated from
// the schema table so the docs cannot drift from what the loader accepts.
#include <string>

#include "torch/train/config.h"
#include "torch/train/config_schema.h"

namespace tch::train {
namespace {

using internal::Check;
using internal::FieldType;
using internal::SchemaEntry;

constexpr const char* kIntroduction = R"(# `tch train` configuration

<!-- Generated from the schema in torch/train/config_schema_table.cc; do not
     edit.
     Regenerate: bazel run //torch/train:config_docs > docs/config.md -->

A training run is described by one YAML file plus command-line overrides:

    tch train configs/mnist_mlp.yaml optimizer.lr=0.01 train.epochs=3

Every key is optional except `model.arch` and `data.dataset`; the tables
below give each key's type, default and allowed values. Unknown keys are an
error (with a suggestion for likely typos), and so is a value of the wrong
type or out of range. Errors name the file, line and column:

    cnn.yaml:14:9: optimizer.lr: expected a positive number, got "fast"
    mlp.yaml:3:3: model.hiden: unknown key; did you mean 'hidden'?

**Includes.** `base: other.yaml` (relative to the including file) loads
another config first; this file's keys override it. Mappings merge key by
key; lists and scalars replace. Bases may have bases; a cycle is an error.

**Null.** A key whose value is empty or `null` is the same as a key that is
not there: its default applies (and in a file with a base, the base's value
is removed).

**Overrides.** Each command-line override is one of

| Form | Meaning |
|---|---|
| `a.b=VALUE` | set a key; VALUE is a YAML scalar or flow collection (`lr=1e-3`, `hidden=[64,64]`, `name=sgd`); a mapping merges into the existing one |
| `a.list[2]=VALUE` | set one element of a list (an index equal to the length appends) |
| `~a.b` or `a.b=null` | remove the key, so its default applies; `~a.list[2]` removes one element |

Overrides apply in order, after every file. `a.b=` sets the empty string.
Errors name the override:
`command line: optimizer.lrr=0.1: unknown key; did you mean 'lr'?`

**Environment.** In any value, `${env:VAR}` is replaced by the environment
variable VAR (an error if it is not set) and `${env:VAR:-default}` falls
back to `default`; `$${` is a literal `${`. Substitution happens before
typing, so `lr: ${env:LR:-0.001}` is a number.

**Environment in flow style.** Inside `{...}` or `[...]` the braces of
`${env:...}` end the collection, so write such values in block style
(`lr: ${env:LR}` on its own line); a quoted value stays a string.

**Checks across keys.** After every key is valid on its own:
arch `gpt` needs dataset `text` (and `d_model` a multiple of `n_heads`);
dataset `text` needs arch `gpt` or `sequential` and at least one `data.path`;
dataset `csv` needs exactly one `data.path`; arch `sequential` needs at least
one layer; `cnn`/`resnet` need at least one `channels` entry and `resnet` one
`blocks` entry per stage; `train.epochs` or `train.max_steps` must be > 0;
`optimizer.nesterov` needs `momentum` > 0 and `dampening` 0; schedule
`multistep` needs milestones, `plateau` a `factor` > 0; `schedule.min_lr`
must not exceed `optimizer.lr`; early stopping with a metric needs
`patience` > 0; `label_smoothing` only applies to `cross_entropy`.

**Resolved config and provenance.** The loader records, for every key,
whether its value came from a file (`file:line:col`), the `command line` or
the `default`, and can write the fully resolved config (every key, in the
order below) which loads back to the same configuration.
)";

std::string TypeName(const SchemaEntry& entry) {
  switch (entry.type) {
    case FieldType::kInt:
      return "integer";
    case FieldType::kDouble:
      return "number";
    case FieldType::kBool:
      return "boolean";
    case FieldType::kString:
      return "string";
    case FieldType::kEnum:
      return "enum";
    case FieldType::kIntList:
      return "list of integers";
    case FieldType::kDoublePair:
      return "[number, number]";
    case FieldType::kPaths:
      return "path or list of paths";
    case FieldType::kLabelColumn:
      return "string or integer";
    case FieldType::kLayers:
      return "list of mappings";
    case FieldType::kInclude:
      return "path";
    case FieldType::kSection:
      return "mapping";
  }
  return "";
}

std::string Allowed(const SchemaEntry& entry) {
  if (entry.type == FieldType::kEnum) {
    std::string out;
    for (std::string_view choice : entry.choices) {
      out += (out.empty() ? "`" : ", `") + std::string(choice) + "`";
    }
    return out;
  }
  switch (entry.check) {
    case Check::kPositive:
      return "> 0";
    case Check::kNonNegative:
      return ">= 0";
    case Check::kFraction:
      return "[0, 1)";
    case Check::kUnit:
      return "[0, 1]";
    case Check::kDevice:
      return "`cpu`, `cuda`, `cuda:N`";
    case Check::kIncreasing:
      return "increasing, >= 0";
    case Check::kNone:
      break;
  }
  return "";
}

std::string Escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

void AppendTable(std::string_view section, std::string& out) {
  out += "| Key | Type | Default | Allowed | Description |\n";
  out += "|---|---|---|---|---|\n";
  for (const SchemaEntry& entry : internal::Schema()) {
    if (entry.type == FieldType::kSection ||
        internal::ParentPath(entry.path) != section) {
      continue;
    }
    std::string default_text =
        entry.required ? "**required**"
        : entry.type == FieldType::kInclude
            ? "none"
            : "`" + std::string(entry.default_yaml) + "`";
    out += "| `" + std::string(entry.path) + "` | " + TypeName(entry) + " | " +
           Escape(default_text) + " | " + Escape(Allowed(entry)) + " | " +
           Escape(entry.doc) + " |\n";
  }
}

}  // namespace

std::string ConfigDocsMarkdown() {
  std::string out = kIntroduction;
  out += "\n## Top level\n\n";
  AppendTable("", out);
  for (const SchemaEntry& entry : internal::Schema()) {
    if (entry.type != FieldType::kSection) continue;
    out += "\n## `" + std::string(entry.path) + "`\n\n";
    out += std::string(entry.doc) + "\n\n";
    AppendTable(entry.path, out);
  }
  return out;
}

}  // namespace tch::train
