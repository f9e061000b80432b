// File: torch/train/config_tree.cc
#include "torch/train/config_tree.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

namespace tch::train::internal {
namespace {

using Kind = ConfigNode::Kind;

// Builds ConfigNodes from yaml-cpp's parse events.
class TreeBuilder : public YAML::EventHandler {
 public:
  explicit TreeBuilder(const ConfigMark& origin) : origin_(origin) {}

  ConfigNode TakeRoot() { return std::move(root_); }
  bool has_root() const { return has_root_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    ConfigNode node;
    node.mark = Mark(mark);
    Add(std::move(node), anchor, 1);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      ThrowConfigError(Mark(mark), "",
                       "alias refers to a node that is not complete yet");
    }
    ConfigNode copy = it->second.first;
    copy.mark = Mark(mark);
    Add(std::move(copy), YAML::NullAnchor, it->second.second);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag,
                YAML::anchor_t anchor, const std::string& value) override {
    ConfigNode node;
    node.kind = Kind::kScalar;
    node.scalar = value;
    node.quoted = tag == "!" || tag == "tag:yaml.org,2002:str";
    node.mark = Mark(mark);
    Add(std::move(node), anchor, 1);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&,
                       YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Push(Kind::kSequence, mark, anchor);
  }
  void OnSequenceEnd() override { Pop(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&,
                  YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    Push(Kind::kMap, mark, anchor);
  }
  void OnMapEnd() override {
    if (stack_.back().expecting_value) {
      ThrowConfigError(stack_.back().node.mark, "",
                       "mapping key without value");
    }
    Pop();
  }

 private:
  struct Frame {
    ConfigNode node;
    YAML::anchor_t anchor = YAML::NullAnchor;
    size_t size = 1;  // nodes in the subtree, aliases expanded
    bool expecting_value = false;
    std::string key;
    ConfigMark key_mark;
    std::set<std::string> keys;
  };

  ConfigMark Mark(const YAML::Mark& mark) const {
    ConfigMark result = origin_;
    if (origin_.source == ConfigMark::Source::kFile && !mark.is_null()) {
      result.line = mark.line + 1;
      result.column = mark.column + 1;
    }
    return result;
  }

  void Count(size_t nodes, const ConfigMark& mark) {
    total_ += nodes;
    if (total_ > kMaxNodes) {
      ThrowConfigError(mark, "",
                       "config is too large (more than " +
                           std::to_string(kMaxNodes) +
                           " values, aliases counted expanded)");
    }
  }

  void Push(Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    Frame frame;
    frame.node.kind = kind;
    frame.node.mark = Mark(mark);
    frame.anchor = anchor;
    if (static_cast<int>(stack_.size()) >= kMaxDepth) {
      ThrowConfigError(
          frame.node.mark, "",
          "nesting is deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    Count(1, frame.node.mark);
    stack_.push_back(std::move(frame));
  }

  void Pop() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    total_ -= 1;  // Add() counts it again
    Add(std::move(frame.node), frame.anchor, frame.size);
  }

  void Add(ConfigNode node, YAML::anchor_t anchor, size_t size) {
    Count(size, node.mark);
    if (anchor != YAML::NullAnchor) anchors_[anchor] = {node, size};
    if (stack_.empty()) {
      if (has_root_) ThrowConfigError(node.mark, "", "unexpected second root");
      root_ = std::move(node);
      has_root_ = true;
      return;
    }
    Frame& parent = stack_.back();
    parent.size += size;
    if (parent.node.kind == Kind::kSequence) {
      parent.node.items.push_back(std::move(node));
      return;
    }
    if (!parent.expecting_value) {
      if (node.kind != Kind::kScalar) {
        ThrowConfigError(
            node.mark, "",
            "mapping keys must be plain strings, got " + DescribeNode(node));
      }
      if (!parent.keys.insert(node.scalar).second) {
        ThrowConfigError(node.mark, "",
                         "duplicate key " + QuoteYaml(node.scalar));
      }
      parent.key = node.scalar;
      parent.key_mark = node.mark;
      parent.expecting_value = true;
      return;
    }
    node.key_mark = parent.key_mark;
    node.key = std::move(parent.key);
    parent.node.entries.push_back(std::move(node));
    parent.expecting_value = false;
  }

  ConfigMark origin_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, std::pair<ConfigNode, size_t>> anchors_;
  ConfigNode root_;
  bool has_root_ = false;
  size_t total_ = 0;
};

bool LooksLikeNumberOrBool(std::string_view s) {
  if (s == "true" || s == "false" || s == "True" || s == "False" ||
      s == "TRUE" || s == "FALSE") {
    return true;
  }
  if (s.empty()) return false;
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  bool digit = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digit = true;
    } else if (c != '.' && c != 'e' && c != 'E' && c != '-' && c != '+') {
      return false;
    }
  }
  return digit;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

struct PathStep {
  bool is_index = false;
  std::string key = {};
  size_t index = 0;
};

// key := [A-Za-z0-9_]+ ; path := key ('[' digits ']')* ('.' key ...)*
std::optional<std::vector<PathStep>> ParseKeyPath(std::string_view text) {
  std::vector<PathStep> steps;
  size_t i = 0;
  while (true) {
    size_t start = i;
    while (
        i < text.size() &&
        (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_')) {
      ++i;
    }
    if (i == start) return std::nullopt;
    steps.push_back({.key = std::string(text.substr(start, i - start))});
    while (i < text.size() && text[i] == '[') {
      size_t digits = ++i;
      while (i < text.size() &&
             std::isdigit(static_cast<unsigned char>(text[i]))) {
        ++i;
      }
      if (i == digits || i - digits > 9 || i >= text.size() || text[i] != ']') {
        return std::nullopt;
      }
      steps.push_back(
          {.is_index = true,
           .index = std::stoul(std::string(text.substr(digits, i - digits)))});
      ++i;
    }
    if (i == text.size()) return steps;
    if (text[i] != '.') return std::nullopt;
    ++i;
  }
}

std::string OverridePath(const std::string& text) {
  if (!text.empty() && text[0] == '~') return text.substr(1);
  return text.substr(0, text.find('='));
}

}  // namespace

ConfigNode* ConfigNode::Find(std::string_view key) {
  for (ConfigNode& entry : entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

const ConfigNode* ConfigNode::Find(std::string_view key) const {
  return const_cast<ConfigNode*>(this)->Find(key);
}

void ConfigNode::Erase(std::string_view key) {
  std::erase_if(entries,
                [&](const ConfigNode& entry) { return entry.key == key; });
}

ConfigMark FileMark(const std::string& file) {
  ConfigMark mark;
  mark.source = ConfigMark::Source::kFile;
  mark.file = file;
  return mark;
}

ConfigMark CommandLineMark(const std::string& override_text) {
  ConfigMark mark;
  mark.source = ConfigMark::Source::kCommandLine;
  mark.file = override_text;
  return mark;
}

std::string FormatConfigError(const ConfigMark& mark, std::string_view path,
                              std::string_view message) {
  std::string out;
  if (mark.source == ConfigMark::Source::kCommandLine) {
    out = "command line: " + mark.file + ": ";
    if (path == OverridePath(mark.file)) path = "";
  } else if (mark.source == ConfigMark::Source::kFile) {
    out = ConfigLocation(mark) + ": ";
  }
  if (!path.empty()) out += std::string(path) + ": ";
  return out + std::string(message);
}

void ThrowConfigError(const ConfigMark& mark, std::string_view path,
                      std::string_view message) {
  throw ConfigError(FormatConfigError(mark, path, message));
}

std::string DidYouMean(std::string_view key,
                       const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  size_t best_distance = 0;
  for (const std::string& candidate : candidates) {
    size_t distance = EditDistance(key, candidate);
    if (best == nullptr || distance < best_distance) {
      best = &candidate;
      best_distance = distance;
    }
  }
  // Close enough to be a typo, and not a rewrite of a short key.
  size_t limit = std::max<size_t>(2, key.size() / 3);
  if (best == nullptr || best_distance > limit || best_distance >= key.size()) {
    return "";
  }
  return "; did you mean '" + *best + "'?";
}

std::string QuoteYaml(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      char buffer[8];
      std::snprintf(buffer, sizeof(buffer), "\\x%02x", byte);
      out += buffer;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string DescribeNode(const ConfigNode& node) {
  switch (node.kind) {
    case Kind::kNull:
      return "null";
    case Kind::kSequence:
      return "a list";
    case Kind::kMap:
      return "a mapping";
    case Kind::kScalar:
      break;
  }
  std::string_view text = node.scalar;
  std::string shown(text.substr(0, 60));
  if (text.size() > 60) shown += "...";
  if (!node.quoted && LooksLikeNumberOrBool(text)) return shown;
  return QuoteYaml(shown);
}

std::string JoinPath(std::string_view section, std::string_view key) {
  if (section.empty()) return std::string(key);
  return std::string(section) + "." + std::string(key);
}

std::string IndexPath(std::string_view list, size_t index) {
  return std::string(list) + "[" + std::to_string(index) + "]";
}

ConfigNode ParseYaml(std::string_view text, const ConfigMark& origin) {
  std::istringstream in{std::string(text)};
  TreeBuilder builder(origin);
  try {
    YAML::Parser parser(in);
    if (parser.HandleNextDocument(builder)) {
      TreeBuilder second(origin);
      if (parser.HandleNextDocument(second)) {
        ThrowConfigError(origin, "",
                         "expected one YAML document, found more than one");
      }
    }
  } catch (const YAML::Exception& e) {
    ConfigMark mark = origin;
    if (origin.source == ConfigMark::Source::kFile && !e.mark.is_null()) {
      mark.line = e.mark.line + 1;
      mark.column = e.mark.column + 1;
    }
    std::string what = origin.source == ConfigMark::Source::kCommandLine
                           ? "invalid YAML value: "
                           : "YAML syntax error: ";
    ThrowConfigError(mark, "", what + e.msg);
  }
  if (!builder.has_root()) {
    ConfigNode empty;
    empty.mark = origin;
    return empty;
  }
  return builder.TakeRoot();
}

void StripNulls(ConfigNode& node) {
  if (node.kind == Kind::kMap) {
    std::erase_if(node.entries, [](const ConfigNode& entry) {
      return entry.kind == Kind::kNull;
    });
    for (ConfigNode& entry : node.entries) StripNulls(entry);
  } else if (node.kind == Kind::kSequence) {
    for (ConfigNode& item : node.items) StripNulls(item);
  }
}

void MergeInto(ConfigNode& base, ConfigNode child) {
  base.mark = child.mark;
  for (ConfigNode& value : child.entries) {
    const std::string key = value.key;
    ConfigNode* existing = base.Find(key);
    if (value.kind == Kind::kNull) {
      base.Erase(key);
    } else if (existing != nullptr && existing->kind == Kind::kMap &&
               value.kind == Kind::kMap) {
      existing->key_mark = value.key_mark;
      MergeInto(*existing, std::move(value));
    } else {
      StripNulls(value);
      if (existing != nullptr) {
        *existing = std::move(value);
      } else {
        base.entries.push_back(std::move(value));
      }
    }
  }
}

void InterpolateEnv(ConfigNode& node, const std::string& path) {
  if (node.kind == Kind::kSequence) {
    for (size_t i = 0; i < node.items.size(); ++i) {
      InterpolateEnv(node.items[i], IndexPath(path, i));
    }
    return;
  }
  if (node.kind == Kind::kMap) {
    for (ConfigNode& value : node.entries) {
      InterpolateEnv(value, JoinPath(path, value.key));
    }
    return;
  }
  if (node.kind != Kind::kScalar ||
      node.scalar.find("${") == std::string::npos) {
    return;
  }
  const std::string& in = node.scalar;
  std::string out;
  size_t i = 0;
  while (i < in.size()) {
    if (in.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (in.compare(i, 6, "${env:") != 0) {
      out += in[i++];
      continue;
    }
    size_t close = in.find('}', i);
    size_t name_start = i + 6;
    size_t name_end = name_start;
    while (name_end < in.size() &&
           (std::isalnum(static_cast<unsigned char>(in[name_end])) ||
            in[name_end] == '_')) {
      ++name_end;
    }
    bool has_default = in.compare(name_end, 2, ":-") == 0;
    if (close == std::string::npos || name_end == name_start ||
        std::isdigit(static_cast<unsigned char>(in[name_start])) ||
        (!has_default && name_end != close)) {
      ThrowConfigError(node.mark, path,
                       "malformed environment reference in " + QuoteYaml(in) +
                           "; expected ${env:NAME} or ${env:NAME:-default}");
    }
    std::string name = in.substr(name_start, name_end - name_start);
    const char* value = std::getenv(name.c_str());
    if (value != nullptr) {
      out += value;
    } else if (has_default) {
      out += in.substr(name_end + 2, close - name_end - 2);
    } else {
      ThrowConfigError(node.mark, path,
                       "environment variable '" + name +
                           "' is not set (write ${env:" + name +
                           ":-default} to give a default)");
    }
    i = close + 1;
  }
  node.scalar = std::move(out);
}

void ApplyOverride(ConfigNode& root, const std::string& text,
                   const OverrideHooks& hooks) {
  ConfigMark mark = CommandLineMark(text);
  bool remove = !text.empty() && text[0] == '~';
  size_t equals = text.find('=');
  if (!remove && equals == std::string::npos) {
    ThrowConfigError(mark, "",
                     "expected KEY=VALUE to set a key or ~KEY to remove it");
  }
  std::string path_text = OverridePath(text);
  std::optional<std::vector<PathStep>> steps = ParseKeyPath(path_text);
  if (!steps) {
    ThrowConfigError(mark, "",
                     "malformed key path " + QuoteYaml(path_text) +
                         "; expected keys separated by '.', each optionally "
                         "followed by [INDEX]");
  }
  if ((*steps)[0].key == "base") {
    ThrowConfigError(mark, "", "base can only be set in a config file");
  }
  ConfigNode value;
  if (!remove) {
    std::string value_text = text.substr(equals + 1);
    if (value_text.empty()) {
      value.kind = Kind::kScalar;
      value.quoted = true;
      value.mark = mark;
    } else {
      value = ParseYaml(value_text, mark);
    }
    value.key_mark = mark;
    remove = value.kind == Kind::kNull;
  }

  ConfigNode* current = &root;
  std::string path;
  for (size_t i = 0; i < steps->size(); ++i) {
    const PathStep& step = (*steps)[i];
    bool last = i + 1 == steps->size();
    if (!step.is_index) {
      if (current->kind != Kind::kMap) {
        ThrowConfigError(mark, "", path + " is not a mapping");
      }
      std::string child_path = JoinPath(path, step.key);
      if (last) value.key = step.key;
      ConfigNode* child = current->Find(step.key);
      if (last) {
        if (remove) {
          if (child == nullptr) hooks.check_key(path_text, mark);
          current->Erase(step.key);
        } else if (child != nullptr && child->kind == Kind::kMap &&
                   value.kind == Kind::kMap) {
          MergeInto(*child, std::move(value));
        } else {
          StripNulls(value);
          if (child != nullptr) {
            *child = std::move(value);
          } else {
            current->entries.push_back(std::move(value));
          }
        }
        return;
      }
      if (child == nullptr) {
        if (remove && !(*steps)[i + 1].is_index) {
          hooks.check_key(path_text, mark);
          return;
        }
        ConfigNode created;
        if ((*steps)[i + 1].is_index) {
          std::optional<ConfigNode> fallback = hooks.default_value(child_path);
          if (!fallback || fallback->kind != Kind::kSequence) {
            ThrowConfigError(mark, "", child_path + " is not a list");
          }
          created = std::move(*fallback);
        } else {
          created.kind = Kind::kMap;
          created.mark = mark;
        }
        created.key_mark = mark;
        created.key = step.key;
        current->entries.push_back(std::move(created));
        child = &current->entries.back();
      }
      current = child;
      path = child_path;
      continue;
    }
    if (current->kind != Kind::kSequence) {
      ThrowConfigError(mark, "", path + " is not a list");
    }
    size_t size = current->items.size();
    bool append = last && !remove && step.index == size;
    if (step.index >= size && !append) {
      ThrowConfigError(mark, "",
                       "index " + std::to_string(step.index) +
                           " is out of range for " + path + " (" +
                           std::to_string(size) + " items)");
    }
    std::string item_path = IndexPath(path, step.index);
    if (last) {
      current->mark = mark;  // provenance: the list was changed here
      if (remove) {
        current->items.erase(current->items.begin() +
                             static_cast<std::ptrdiff_t>(step.index));
      } else if (append) {
        current->items.push_back(std::move(value));
      } else {
        current->items[step.index] = std::move(value);
      }
      return;
    }
    current = &current->items[step.index];
    path = item_path;
  }
}

}  // namespace tch::train::internal
