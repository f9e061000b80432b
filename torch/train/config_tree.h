// File: torch/train/config_tree.h
//
// Internal to //torch/train:config: the untyped configuration tree that YAML
// files and overrides are parsed into, merged and interpolated before the
// schema (config_schema.h) types it. Keeping our own tree instead of
// YAML::Node gives value semantics (merging never aliases), a mark on every
// node, the key's mark on every map value, and bounded size and depth for
// hostile input.
//
// Example:
//   ConfigNode tree = ParseYaml(text, FileMark("a.yaml"));
//   MergeInto(base, std::move(tree));
//   ApplyOverride(base, "optimizer.lr=0.1", hooks);
//   InterpolateEnv(base, "");
//
// Errors: ConfigError with "<where>: <key path>: <what>" messages (see
// FormatConfigError).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "torch/train/config.h"

namespace tch::train::internal {

struct ConfigNode {
  enum class Kind { kNull, kScalar, kSequence, kMap };
  Kind kind = Kind::kNull;
  std::string scalar;
  // Written in quotes, as a block scalar or tagged !!str: always a string.
  bool quoted = false;
  std::vector<ConfigNode> items;    // kSequence
  std::vector<ConfigNode> entries;  // kMap values in order, each with `key`
  std::string key;                  // for a map value: its key
  ConfigMark mark;                  // where the value was written
  ConfigMark key_mark;  // for a map value: where its key was written

  ConfigNode* Find(std::string_view key);
  const ConfigNode* Find(std::string_view key) const;
  void Erase(std::string_view key);
};

// A mark for a whole file (no line known yet).
ConfigMark FileMark(const std::string& file);
// A mark for one command-line override; `file` holds the override text.
ConfigMark CommandLineMark(const std::string& override_text);

// "<where>: <path>: <message>", where <where> is ConfigLocation(mark). For a
// command-line mark <where> is "command line: <override>" and the path is
// left out when it is the override's own key path. An empty path is left
// out too.
std::string FormatConfigError(const ConfigMark& mark, std::string_view path,
                              std::string_view message);
[[noreturn]] void ThrowConfigError(const ConfigMark& mark,
                                   std::string_view path,
                                   std::string_view message);

// "; did you mean 'x'?" for the closest candidate by edit distance, or "".
std::string DidYouMean(std::string_view key,
                       const std::vector<std::string>& candidates);

// For "got ...": a plain scalar as written when it reads as a number or
// boolean, other scalars double-quoted, "null", "a list", "a mapping".
std::string DescribeNode(const ConfigNode& node);
// `text` in double quotes with YAML escapes (also used when emitting).
std::string QuoteYaml(std::string_view text);

// "a.b", "a[2]" (section "" gives just the key).
std::string JoinPath(std::string_view section, std::string_view key);
std::string IndexPath(std::string_view list, size_t index);

// Parses one YAML document. Marks get `origin`'s source and file; for a
// file origin also the line and column of each node. An empty document is
// a null node. Throws ConfigError for syntax errors (with line:column),
// more than one document, duplicate keys, non-scalar keys, nesting deeper
// than kMaxDepth, or more than kMaxNodes nodes (aliases counted expanded).
inline constexpr int kMaxDepth = 64;
inline constexpr size_t kMaxNodes = 100000;
ConfigNode ParseYaml(std::string_view text, const ConfigMark& origin);

// Removes null values from every mapping in `node`, recursively.
void StripNulls(ConfigNode& node);

// Merges mapping `child` into mapping `base`: a null value removes the key,
// mappings merge key by key, anything else replaces.
void MergeInto(ConfigNode& base, ConfigNode child);

// Expands ${env:VAR} and ${env:VAR:-default} in every scalar; "$${" is a
// literal "${". Errors name the scalar's location, key path and VAR.
void InterpolateEnv(ConfigNode& node, const std::string& path);

struct OverrideHooks {
  // The default value at a key path, used when an override indexes a list
  // that no file set (e.g. `model.hidden[0]=64`).
  std::function<std::optional<ConfigNode>(const std::string& path)>
      default_value;
  // Throws if `path` is not a key of the schema (used by removals, which
  // otherwise leave nothing behind to validate).
  std::function<void(const std::string& path, const ConfigMark& mark)>
      check_key;
};

// Applies one override (`a.b=VALUE`, `a.list[2]=VALUE`, `~a.b`; see
// config.h) to the mapping `root`.
void ApplyOverride(ConfigNode& root, const std::string& text,
                   const OverrideHooks& hooks);

}  // namespace tch::train::internal
