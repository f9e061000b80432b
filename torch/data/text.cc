// File: torch/data/text.cc
//
// Text for language modelling: byte and char vocabularies, and a token
// stream cut into windows of context_length tokens.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>
#include <utility>

#include "nlohmann/json.hpp"
#include "torch/core/error.h"
#include "torch/core/file_util.h"
#include "torch/core/ops.h"
#include "torch/data/dataset.h"

namespace tch::data {
namespace {

// Decodes the UTF-8 character at `pos`; returns its length, 0 if invalid
// (bad lead byte, bad continuation, overlong form, surrogate, > U+10FFFF).
size_t DecodeUtf8(std::string_view s, size_t pos, uint32_t* cp) {
  const auto b0 = static_cast<uint8_t>(s[pos]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t len;
  uint32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, *cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, *cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, *cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (pos + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<uint8_t>(s[pos + k]);
    if ((b & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (b & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) {
    return 0;
  }
  return len;
}

std::string CodePointName(uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "U+%04X", cp);
  return buf;
}

}  // namespace

Vocab Vocab::Bytes() {
  Vocab v;
  v.kind_ = Kind::kByte;
  v.tokens_.resize(256);
  v.byte_to_id_.resize(256);
  for (int b = 0; b < 256; ++b) {
    v.tokens_[b] = std::string(1, static_cast<char>(b));
    v.byte_to_id_[b] = b;
  }
  return v;
}

Vocab Vocab::Chars(std::string_view text) {
  std::vector<bool> seen_ascii(128, false);
  std::vector<uint32_t> others;
  for (size_t pos = 0; pos < text.size();) {
    uint32_t cp;
    const size_t len = DecodeUtf8(text, pos, &cp);
    TCH_CHECK(len > 0, "Vocab::Chars: invalid UTF-8 at byte offset ", pos,
              " (byte 0x", std::hex, int{static_cast<uint8_t>(text[pos])},
              std::dec, "); use the byte vocabulary for non-UTF-8 text");
    if (cp < 128) {
      seen_ascii[cp] = true;
    } else {
      others.push_back(cp);
    }
    pos += len;
  }
  std::sort(others.begin(), others.end());
  others.erase(std::unique(others.begin(), others.end()), others.end());
  std::vector<std::string> tokens;
  for (uint32_t c = 0; c < 128; ++c) {
    if (seen_ascii[c]) tokens.emplace_back(1, static_cast<char>(c));
  }
  for (uint32_t cp : others) {
    std::string t;
    if (cp < 0x800) {
      t = {static_cast<char>(0xC0 | (cp >> 6)),
           static_cast<char>(0x80 | (cp & 0x3F))};
    } else if (cp < 0x10000) {
      t = {static_cast<char>(0xE0 | (cp >> 12)),
           static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
           static_cast<char>(0x80 | (cp & 0x3F))};
    } else {
      t = {static_cast<char>(0xF0 | (cp >> 18)),
           static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
           static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
           static_cast<char>(0x80 | (cp & 0x3F))};
    }
    tokens.push_back(std::move(t));
  }
  return FromTokens(Kind::kChar, std::move(tokens));
}

Vocab Vocab::FromTokens(Kind kind, std::vector<std::string> tokens) {
  if (kind == Kind::kByte) {
    Vocab bytes = Bytes();
    TCH_CHECK(tokens == bytes.tokens_,
              "Vocab::FromTokens: a byte vocabulary must list the 256 byte "
              "values in order, got ",
              tokens.size(), " tokens");
    return bytes;
  }
  Vocab v;
  v.kind_ = Kind::kChar;
  v.byte_to_id_.assign(128, -1);
  for (size_t id = 0; id < tokens.size(); ++id) {
    const std::string& t = tokens[id];
    uint32_t cp = 0;
    TCH_CHECK(!t.empty() && DecodeUtf8(t, 0, &cp) == t.size(),
              "Vocab::FromTokens: token ", id,
              " must be exactly one UTF-8 character, got \"", t, "\" (",
              t.size(), " bytes)");
    v.code_point_ids_.emplace_back(cp, static_cast<int32_t>(id));
  }
  std::sort(v.code_point_ids_.begin(), v.code_point_ids_.end());
  for (size_t k = 1; k < v.code_point_ids_.size(); ++k) {
    TCH_CHECK(v.code_point_ids_[k].first != v.code_point_ids_[k - 1].first,
              "Vocab::FromTokens: duplicate token \"",
              tokens[static_cast<size_t>(v.code_point_ids_[k].second)], "\"");
  }
  for (const auto& [cp, id] : v.code_point_ids_) {
    if (cp < 128) v.byte_to_id_[cp] = id;
  }
  v.tokens_ = std::move(tokens);
  return v;
}

std::vector<int64_t> Vocab::Encode(std::string_view text) const {
  std::vector<int64_t> ids;
  ids.reserve(text.size());
  if (kind_ == Kind::kByte) {
    for (char c : text) ids.push_back(static_cast<uint8_t>(c));
    return ids;
  }
  for (size_t pos = 0; pos < text.size();) {
    const auto b = static_cast<uint8_t>(text[pos]);
    if (b < 128 && byte_to_id_[b] >= 0) {
      ids.push_back(byte_to_id_[b]);
      ++pos;
      continue;
    }
    uint32_t cp;
    const size_t len = DecodeUtf8(text, pos, &cp);
    TCH_CHECK(len > 0, "Vocab::Encode: invalid UTF-8 at byte offset ", pos);
    const auto it =
        std::lower_bound(code_point_ids_.begin(), code_point_ids_.end(),
                         std::pair<uint32_t, int32_t>(cp, -1));
    TCH_CHECK(it != code_point_ids_.end() && it->first == cp,
              "Vocab::Encode: character \"", text.substr(pos, len), "\" (",
              CodePointName(cp), ") at byte offset ", pos,
              " is not in the vocabulary of ", size(), " characters");
    ids.push_back(it->second);
    pos += len;
  }
  return ids;
}

std::string Vocab::Decode(std::span<const int64_t> ids) const {
  std::string out;
  out.reserve(ids.size());
  for (int64_t id : ids) {
    TCH_CHECK_T(IndexError, id >= 0 && id < size(), "Vocab::Decode: token id ",
                id, " is out of range for a vocabulary of ", size(), " tokens");
    out += tokens_[static_cast<size_t>(id)];
  }
  return out;
}

std::string Vocab::ToJson() const {
  nlohmann::json j;
  j["kind"] = kind_ == Kind::kByte ? "byte" : "char";
  if (kind_ == Kind::kChar) j["tokens"] = tokens_;
  return j.dump();
}

Vocab Vocab::FromJson(std::string_view json) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    throw IoError(detail::StrCat("vocab JSON: cannot parse: ", e.what()));
  }
  TCH_CHECK_T(IoError, j.is_object() && j.contains("kind"),
              "vocab JSON: expected an object with a \"kind\" field");
  const nlohmann::json& kind = j["kind"];
  if (kind == "byte") return Bytes();
  TCH_CHECK_T(IoError, kind == "char", "vocab JSON: kind must be \"byte\" or ",
              "\"char\", got ", kind.dump());
  TCH_CHECK_T(IoError, j.contains("tokens") && j["tokens"].is_array(),
              "vocab JSON: a char vocabulary needs a \"tokens\" array");
  std::vector<std::string> tokens;
  for (const nlohmann::json& t : j["tokens"]) {
    TCH_CHECK_T(IoError, t.is_string(),
                "vocab JSON: every token must be a string, got ", t.dump());
    tokens.push_back(t.get<std::string>());
  }
  try {
    return FromTokens(Kind::kChar, std::move(tokens));
  } catch (const ValueError& e) {
    throw IoError(detail::StrCat("vocab JSON: ", e.what()));
  }
}

void Vocab::Save(const std::string& path) const {
  WriteFileAtomically(path, ToJson());
}

Vocab Vocab::Load(const std::string& path) {
  const std::string text = ReadFile(path);
  try {
    return FromJson(text);
  } catch (const IoError& e) {
    throw IoError(detail::StrCat(path, ": ", e.what()));
  }
}

TextDataset::TextDataset(std::vector<int64_t> tokens,
                         std::shared_ptr<const Vocab> vocab,
                         int64_t context_length, std::string description)
    : tokens_(std::move(tokens)),
      vocab_(std::move(vocab)),
      context_length_(context_length),
      description_(std::move(description)) {
  TCH_CHECK(context_length_ >= 1, "TextDataset: context_length must be >= 1",
            ", got ", context_length_);
  TCH_CHECK(vocab_ != nullptr, "TextDataset: vocab must not be null");
}

int64_t TextDataset::size() const {
  const int64_t n = static_cast<int64_t>(tokens_.size());
  return n < 1 ? 0 : (n - 1) / context_length_;
}

Batch TextDataset::GetBatch(std::span<const int64_t> indices) const {
  const int64_t b = static_cast<int64_t>(indices.size());
  const int64_t t = context_length_;
  Batch batch{tch::empty({b, t}, DType::kInt64),
              tch::empty({b, t}, DType::kInt64), b};
  int64_t* x = batch.inputs.data_ptr<int64_t>();
  int64_t* y = batch.targets.data_ptr<int64_t>();
  const size_t row_bytes = static_cast<size_t>(t) * sizeof(int64_t);
  for (int64_t k = 0; k < b; ++k) {
    const int64_t i = indices[static_cast<size_t>(k)];
    TCH_CHECK_T(IndexError, i >= 0 && i < size(), "GetBatch: example index ", i,
                " is out of range for a dataset of ", size(), " examples");
    std::memcpy(x + k * t, tokens_.data() + i * t, row_bytes);
    std::memcpy(y + k * t, tokens_.data() + i * t + 1, row_bytes);
  }
  return batch;
}

namespace {

std::vector<std::string> ExpandPaths(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
      if (!fs::exists(path, ec)) {
        const bool fortunes = path.rfind(kFortunesDir, 0) == 0;
        throw IoError(detail::StrCat(
            "LoadText: ", path, " does not exist",
            fortunes ? "; install the Debian package fortunes (`apt-get "
                       "install fortunes`, or run ci/setup.sh)"
                     : ""));
      }
      files.push_back(path);
      continue;
    }
    std::vector<std::string> in_dir;
    for (const fs::directory_entry& e : fs::directory_iterator(path, ec)) {
      const std::string ext = e.path().extension().string();
      // fortune's strfile indexes (.dat) and UTF-8 aliases (.u8) are not
      // text to learn from.
      if (!e.is_regular_file() || e.is_symlink() || ext == ".dat" ||
          ext == ".u8") {
        continue;
      }
      in_dir.push_back(e.path().string());
    }
    TCH_CHECK_T(IoError, !ec, "LoadText: cannot list ", path, ": ",
                ec.message());
    TCH_CHECK_T(IoError, !in_dir.empty(), "LoadText: directory ", path,
                " holds no text files");
    std::sort(in_dir.begin(), in_dir.end());
    files.insert(files.end(), in_dir.begin(), in_dir.end());
  }
  return files;
}

}  // namespace

TextDatasets LoadText(const TextOptions& options) {
  TCH_CHECK(!options.paths.empty(), "LoadText: no input paths given");
  TCH_CHECK(options.context_length >= 1,
            "LoadText: context_length must be >= 1, got ",
            options.context_length);
  TCH_CHECK(options.val_fraction >= 0 && options.val_fraction < 1,
            "LoadText: val_fraction must be in [0, 1), got ",
            options.val_fraction);
  const std::vector<std::string> files = ExpandPaths(options.paths);
  const std::string source =
      options.paths.size() == 1
          ? options.paths[0] +
                (files.size() > 1
                     ? detail::StrCat(" (", files.size(), " files)")
                     : std::string())
          : detail::StrCat(files.size(), " files");
  // Errors name the file: vocabulary and encoding go file by file.
  auto in_file = [](const std::string& file, auto&& fn) {
    try {
      return fn();
    } catch (const ValueError& e) {
      throw ValueError(detail::StrCat("LoadText: ", file, ": ", e.what()));
    }
  };
  std::vector<std::string> contents;
  for (const std::string& file : files) contents.push_back(ReadFile(file));

  TextDatasets out;
  if (options.fixed_vocab.has_value()) {
    out.vocab = std::make_shared<const Vocab>(*options.fixed_vocab);
  } else if (options.vocab == Vocab::Kind::kByte) {
    out.vocab = std::make_shared<const Vocab>(Vocab::Bytes());
  } else {
    // UTF-8 byte order is code point order, so a sorted set of token
    // strings is the sorted set of characters.
    std::set<std::string> chars;
    for (size_t f = 0; f < files.size(); ++f) {
      const Vocab v =
          in_file(files[f], [&] { return Vocab::Chars(contents[f]); });
      chars.insert(v.tokens().begin(), v.tokens().end());
    }
    out.vocab = std::make_shared<const Vocab>(Vocab::FromTokens(
        Vocab::Kind::kChar,
        std::vector<std::string>(chars.begin(), chars.end())));
  }
  std::vector<int64_t> tokens;
  for (size_t f = 0; f < files.size(); ++f) {
    const std::vector<int64_t> ids =
        in_file(files[f], [&] { return out.vocab->Encode(contents[f]); });
    tokens.insert(tokens.end(), ids.begin(), ids.end());
    std::string().swap(contents[f]);
  }
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int64_t t = options.context_length;
  const int64_t n_val =
      static_cast<int64_t>(static_cast<double>(n) * options.val_fraction);
  const int64_t n_train = n - n_val;
  TCH_CHECK(n_train >= t + 1, "LoadText: the train split of ", source, " has ",
            n_train, " tokens; one window of context_length ", t, " needs ",
            t + 1);
  TCH_CHECK(options.val_fraction == 0 || n_val >= t + 1,
            "LoadText: the val split of ", source, " has ", n_val,
            " tokens (val_fraction ", options.val_fraction,
            "); one window of context_length ", t, " needs ", t + 1);
  const std::string vocab_text =
      detail::StrCat(out.vocab->kind() == Vocab::Kind::kByte ? "byte" : "char",
                     " vocab of ", out.vocab->size());
  auto describe = [&](std::string_view split, int64_t count) {
    return detail::StrCat("text ", source, " ", split, ": ",
                          count > 0 ? (count - 1) / t : 0, " windows of ", t,
                          " tokens, ", vocab_text);
  };
  if (n_val > 0) {
    std::vector<int64_t> val(tokens.begin() + n_train, tokens.end());
    out.val = std::make_shared<const TextDataset>(std::move(val), out.vocab, t,
                                                  describe("val", n_val));
  }
  tokens.resize(static_cast<size_t>(n_train));
  out.train = std::make_shared<const TextDataset>(
      std::move(tokens), out.vocab, t, describe("train", n_train));
  return out;
}

}  // namespace tch::data
