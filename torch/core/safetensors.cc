#include "torch/core/safetensors.h"

#include <algorithm>
#include <array>
#include <limits>
#include <numeric>
#include <set>
#include <unordered_set>
#include <utility>

#include "nlohmann/json.hpp"
#include "torch/core/error.h"

namespace tch {
namespace {

using Json = nlohmann::json;

constexpr uint64_t kInt64Max =
    static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

// The nesting limit of the reference's JSON parser (serde_json).
constexpr size_t kMaxJsonDepth = 128;

constexpr std::string_view kMetadataKey = "__metadata__";

struct DTypeRow {
  SafetensorsDType dtype;
  std::string_view name;
  int bits;
};

// Indexed by the enumerator's value.
constexpr std::array<DTypeRow, 22> kDTypes = {{
    {SafetensorsDType::kBool, "BOOL", 8},
    {SafetensorsDType::kF4, "F4", 4},
    {SafetensorsDType::kF6E2M3, "F6_E2M3", 6},
    {SafetensorsDType::kF6E3M2, "F6_E3M2", 6},
    {SafetensorsDType::kU8, "U8", 8},
    {SafetensorsDType::kI8, "I8", 8},
    {SafetensorsDType::kF8E5M2, "F8_E5M2", 8},
    {SafetensorsDType::kF8E4M3, "F8_E4M3", 8},
    {SafetensorsDType::kF8E8M0, "F8_E8M0", 8},
    {SafetensorsDType::kF8E4M3Fnuz, "F8_E4M3FNUZ", 8},
    {SafetensorsDType::kF8E5M2Fnuz, "F8_E5M2FNUZ", 8},
    {SafetensorsDType::kI16, "I16", 16},
    {SafetensorsDType::kU16, "U16", 16},
    {SafetensorsDType::kF16, "F16", 16},
    {SafetensorsDType::kBF16, "BF16", 16},
    {SafetensorsDType::kI32, "I32", 32},
    {SafetensorsDType::kU32, "U32", 32},
    {SafetensorsDType::kF32, "F32", 32},
    {SafetensorsDType::kC64, "C64", 64},
    {SafetensorsDType::kF64, "F64", 64},
    {SafetensorsDType::kI64, "I64", 64},
    {SafetensorsDType::kU64, "U64", 64},
}};

constexpr bool TableIsIndexedByEnum() {
  for (size_t i = 0; i < kDTypes.size(); ++i) {
    if (static_cast<size_t>(kDTypes[i].dtype) != i) return false;
  }
  return true;
}
static_assert(TableIsIndexedByEnum());

const DTypeRow& Row(SafetensorsDType dtype) {
  size_t index = static_cast<size_t>(dtype);
  TCH_INTERNAL_ASSERT(index < kDTypes.size(), "bad SafetensorsDType ", index);
  return kDTypes[index];
}

// The offset of the first byte of `text` that does not belong to a
// well-formed UTF-8 sequence (no overlong forms, no surrogates, nothing above
// U+10FFFF), or std::nullopt if all of it is well formed.
std::optional<size_t> FindInvalidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // Range of the second byte.
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // Overlong.
      if (c == 0xED) hi = 0x9F;  // Surrogates.
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // Overlong.
      if (c == 0xF4) hi = 0x8F;  // Above U+10FFFF.
    } else {
      return i;
    }
    if (n - i < len) return i;
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
    }
    i += len;
  }
  return std::nullopt;
}

// `name` in single quotes for messages, cut short if very long.
std::string Quote(std::string_view name) {
  constexpr size_t kMaxShown = 200;
  if (name.size() <= kMaxShown) return detail::StrCat("'", name, "'");
  size_t cut = kMaxShown;
  // Do not split a UTF-8 sequence.
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return detail::StrCat("'", name.substr(0, cut), "...' (", name.size(),
                        " bytes)");
}

std::string FormatShape(std::span<const int64_t> shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

std::string FormatRange(uint64_t begin, uint64_t end) {
  return detail::StrCat("[", begin, ", ", end, "]");
}

// "number 3", "array [1,2]", ... for messages about unexpected JSON values.
std::string Describe(const Json& value) {
  constexpr size_t kMaxShown = 64;
  // The parser stores "-0" as a signed zero integer, which prints as "0".
  if (value.is_number_integer() && !value.is_number_unsigned() &&
      value.get<int64_t>() == 0) {
    return "number -0";
  }
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > kMaxShown) text = text.substr(0, kMaxShown) + "...";
  return detail::StrCat(value.type_name(), " ", text);
}

// The value of a JSON integer written without a minus sign, or std::nullopt
// for anything else (like the reference, "-0" is not accepted).
std::optional<uint64_t> AsNonNegativeInteger(const Json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  return std::nullopt;
}

// Computes the byte size of `shape` of `dtype`. On failure returns
// std::nullopt and, if `why` is set, stores a reason fit for a message.
std::optional<uint64_t> ComputeByteSize(SafetensorsDType dtype,
                                        std::span<const int64_t> shape,
                                        std::string* why) {
  const DTypeRow& row = Row(dtype);
  auto fail = [&](auto&&... reason) {
    if (why != nullptr) {
      *why = detail::StrCat("shape ", FormatShape(shape),
                            std::forward<decltype(reason)>(reason)...);
    }
    return std::nullopt;
  };
  // The product of the non-zero dimensions must fit in int64 so that the
  // strides of any view of the tensor do; a zero dimension makes it empty.
  uint64_t product = 1;
  bool empty = false;
  for (int64_t dim : shape) {
    if (dim < 0) return fail(" has a negative dimension");
    if (dim == 0) {
      empty = true;
      continue;
    }
    if (__builtin_mul_overflow(product, static_cast<uint64_t>(dim), &product) ||
        product > kInt64Max) {
      return fail(" has more than 2^63 - 1 elements");
    }
  }
  const uint64_t numel = empty ? 0 : product;
  const uint64_t bits = static_cast<uint64_t>(row.bits);
  if (bits % 8 == 0) {
    uint64_t bytes;
    if (__builtin_mul_overflow(numel, bits / 8, &bytes)) {
      return fail(" of ", row.name, " overflows a 64-bit byte count");
    }
    return bytes;
  }
  // Packed sub-byte types: the bits must fill whole bytes. With numel below
  // 2^63 and fewer than 8 bits per element, none of this can overflow.
  const uint64_t tail_bits = (numel % 8) * bits;
  if (tail_bits % 8 != 0) {
    return fail(" of ", row.name, " is ", numel, " elements of ", bits,
                " bits, not a whole number of bytes");
  }
  return numel / 8 * bits + tail_bits / 8;
}

// Tracks what the JSON parser reports: the order of the top-level keys,
// duplicate keys in the objects that carry meaning (the top level,
// "__metadata__" and the tensor entries), and the nesting depth.
class HeaderParseListener {
 public:
  explicit HeaderParseListener(std::string_view source) : source_(source) {}

  bool OnEvent(Json::parse_event_t event, const Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (frames_.size() >= kMaxJsonDepth) {
          throw IoError(detail::StrCat(source_,
                                       ": header JSON nests deeper than ",
                                       kMaxJsonDepth, " levels"));
        }
        frames_.emplace_back();
        break;
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        frames_.pop_back();
        break;
      case Json::parse_event_t::key:
        OnKey(parsed.get_ref<const std::string&>());
        break;
      case Json::parse_event_t::value:
        break;
    }
    return true;
  }

  const std::vector<std::string>& top_level_keys() const {
    return top_level_keys_;
  }

 private:
  void OnKey(const std::string& key) {
    if (frames_.size() == 1) {
      if (!frames_.back().insert(key).second) {
        if (key == kMetadataKey) {
          throw IoError(
              detail::StrCat(source_, ": duplicate key ", Quote(key)));
        }
        throw IoError(
            detail::StrCat(source_, ": duplicate tensor name ", Quote(key)));
      }
      top_level_keys_.push_back(key);
    } else if (frames_.size() == 2 && !frames_.back().insert(key).second) {
      const std::string& owner = top_level_keys_.back();
      if (owner == kMetadataKey) {
        throw IoError(detail::StrCat(source_, ": __metadata__: duplicate key ",
                                     Quote(key)));
      }
      throw IoError(detail::StrCat(source_, ": tensor ", Quote(owner),
                                   ": duplicate field ", Quote(key)));
    }
  }

  std::string_view source_;
  // One entry per open object or array: the keys seen so far (arrays and
  // objects deeper than the tensor entries leave theirs empty).
  std::vector<std::unordered_set<std::string>> frames_;
  std::vector<std::string> top_level_keys_;
};

// Parses one tensor entry of the header, checking everything that does not
// involve other tensors.
class EntryParser {
 public:
  EntryParser(std::string_view source, uint64_t data_size)
      : source_(source), data_size_(data_size) {}

  SafetensorsTensorInfo Parse(const std::string& name, const Json& entry) {
    name_ = &name;
    if (!entry.is_object()) {
      Fail("entry must be a JSON object, got ", Describe(entry));
    }
    SafetensorsTensorInfo info;
    info.name = name;

    const Json& dtype = Field(entry, "dtype");
    if (!dtype.is_string()) {
      Fail("dtype must be a string, got ", Describe(dtype));
    }
    const std::string& dtype_name = dtype.get_ref<const std::string&>();
    std::optional<SafetensorsDType> parsed_dtype =
        SafetensorsDTypeFromName(dtype_name);
    if (!parsed_dtype) Fail("unknown dtype ", Quote(dtype_name));
    info.dtype = *parsed_dtype;

    const Json& shape = Field(entry, "shape");
    if (!shape.is_array()) {
      Fail("shape must be an array of non-negative integers, got ",
           Describe(shape));
    }
    info.shape.reserve(shape.size());
    for (size_t i = 0; i < shape.size(); ++i) {
      std::optional<uint64_t> dim = AsNonNegativeInteger(shape[i]);
      if (!dim) {
        Fail("shape[", i, "] must be a non-negative integer, got ",
             Describe(shape[i]));
      }
      if (*dim > kInt64Max) {
        Fail("shape[", i, "] is ", *dim, ", beyond the int64 range");
      }
      info.shape.push_back(static_cast<int64_t>(*dim));
    }

    const Json& offsets = Field(entry, "data_offsets");
    if (!offsets.is_array() || offsets.size() != 2) {
      Fail("data_offsets must be an array of two non-negative integers, got ",
           Describe(offsets));
    }
    for (size_t i = 0; i < 2; ++i) {
      if (!AsNonNegativeInteger(offsets[i])) {
        Fail("data_offsets[", i, "] must be a non-negative integer, got ",
             Describe(offsets[i]));
      }
    }
    info.begin = *AsNonNegativeInteger(offsets[0]);
    info.end = *AsNonNegativeInteger(offsets[1]);
    if (info.begin > info.end) {
      Fail("data_offsets ", FormatRange(info.begin, info.end),
           " end before they begin");
    }
    if (info.end > data_size_) {
      Fail("data_offsets ", FormatRange(info.begin, info.end),
           " run past the end of the ", data_size_, "-byte data buffer");
    }

    std::string why;
    std::optional<uint64_t> needed =
        ComputeByteSize(info.dtype, info.shape, &why);
    if (!needed) Fail(why);
    if (*needed != info.nbytes()) {
      Fail("data_offsets ", FormatRange(info.begin, info.end), " hold ",
           info.nbytes(), " bytes but shape ", FormatShape(info.shape), " of ",
           dtype_name, " needs ", *needed);
    }
    return info;
  }

 private:
  template <typename... Args>
  [[noreturn]] void Fail(Args&&... args) const {
    throw IoError(detail::StrCat(source_, ": tensor ", Quote(*name_), ": ",
                                 std::forward<Args>(args)...));
  }

  const Json& Field(const Json& entry, const char* key) const {
    auto it = entry.find(key);
    if (it == entry.end()) Fail("missing field '", key, "'");
    return *it;
  }

  std::string_view source_;
  uint64_t data_size_;
  const std::string* name_ = nullptr;
};

std::map<std::string, std::string> ParseMetadata(std::string_view source,
                                                 const Json& value) {
  std::map<std::string, std::string> metadata;
  if (value.is_null()) return metadata;
  if (!value.is_object()) {
    throw IoError(detail::StrCat(
        source,
        ": __metadata__ must be an object mapping strings to strings, "
        "got ",
        Describe(value)));
  }
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) {
      throw IoError(detail::StrCat(source, ": __metadata__: value of ",
                                   Quote(key), " must be a string, got ",
                                   Describe(item)));
    }
    metadata.emplace(key, item.get<std::string>());
  }
  return metadata;
}

// Checks that the tensors, sorted by offset, tile [0, data_size) exactly.
void CheckCoverage(std::string_view source,
                   const std::vector<SafetensorsTensorInfo>& tensors,
                   uint64_t data_size) {
  std::vector<size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::pair(tensors[a].begin, tensors[a].end) <
           std::pair(tensors[b].begin, tensors[b].end);
  });
  uint64_t covered = 0;  // [0, covered) belongs to the tensors seen so far.
  const SafetensorsTensorInfo* previous = nullptr;
  for (size_t index : order) {
    const SafetensorsTensorInfo& info = tensors[index];
    if (info.begin > covered) {
      throw IoError(detail::StrCat(
          source, ": tensor ", Quote(info.name), ": data_offsets ",
          FormatRange(info.begin, info.end), " leave a gap: bytes [", covered,
          ", ", info.begin, ") of the data buffer belong to no tensor"));
    }
    if (info.begin < covered) {
      throw IoError(
          detail::StrCat(source, ": tensor ", Quote(info.name),
                         ": data_offsets ", FormatRange(info.begin, info.end),
                         " overlap tensor ", Quote(previous->name), " at ",
                         FormatRange(previous->begin, previous->end)));
    }
    covered = info.end;
    previous = &info;
  }
  if (covered != data_size) {
    throw IoError(detail::StrCat(source, ": bytes [", covered, ", ", data_size,
                                 ") at the end of the data buffer belong to "
                                 "no tensor"));
  }
}

// Appends `text` to `out` as a JSON string the way the reference writer
// (serde_json) does: quotes, backslashes and control characters escaped,
// everything else (including non-ASCII UTF-8) verbatim.
void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 0xF];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

// The 8-byte length prefix and padded JSON header for `entries`, and the
// order in which their data follows.
struct PreparedFile {
  std::string prefix_and_header;
  std::vector<const SafetensorsEntry*> order;
};

PreparedFile PrepareFile(const std::vector<SafetensorsEntry>& entries,
                         const std::map<std::string, std::string>& metadata) {
  std::set<std::string_view> names;
  for (const SafetensorsEntry& entry : entries) {
    TCH_CHECK(FindInvalidUtf8(entry.name) == std::nullopt,
              "WriteSafetensors: tensor name ", Quote(entry.name),
              " is not valid UTF-8");
    TCH_CHECK(entry.name != kMetadataKey,
              "WriteSafetensors: '__metadata__' is reserved and cannot name a "
              "tensor");
    TCH_CHECK(names.insert(entry.name).second,
              "WriteSafetensors: duplicate tensor name ", Quote(entry.name));
    std::string why;
    std::optional<uint64_t> needed =
        ComputeByteSize(entry.dtype, entry.shape, &why);
    TCH_CHECK(needed.has_value(), "WriteSafetensors: tensor ",
              Quote(entry.name), ": ", why);
    TCH_CHECK(*needed == entry.data.size(), "WriteSafetensors: tensor ",
              Quote(entry.name), ": shape ", FormatShape(entry.shape), " of ",
              SafetensorsDTypeName(entry.dtype), " needs ", *needed,
              " bytes but ", entry.data.size(), " were given");
  }
  for (const auto& [key, value] : metadata) {
    TCH_CHECK(FindInvalidUtf8(key) == std::nullopt,
              "WriteSafetensors: metadata key ", Quote(key),
              " is not valid UTF-8");
    TCH_CHECK(FindInvalidUtf8(value) == std::nullopt,
              "WriteSafetensors: metadata value for ", Quote(key),
              " is not valid UTF-8");
  }

  PreparedFile prepared;
  prepared.order.reserve(entries.size());
  for (const SafetensorsEntry& entry : entries) {
    prepared.order.push_back(&entry);
  }
  // Decreasing alignment (the enum order), then by name, as the reference.
  std::sort(prepared.order.begin(), prepared.order.end(),
            [](const SafetensorsEntry* a, const SafetensorsEntry* b) {
              if (a->dtype != b->dtype) return a->dtype > b->dtype;
              return a->name < b->name;
            });

  std::string json = "{";
  if (!metadata.empty()) {
    AppendJsonString(json, kMetadataKey);
    json += ":{";
    bool first = true;
    for (const auto& [key, value] : metadata) {
      if (!first) json += ',';
      first = false;
      AppendJsonString(json, key);
      json += ':';
      AppendJsonString(json, value);
    }
    json += '}';
  }
  uint64_t offset = 0;
  for (const SafetensorsEntry* entry : prepared.order) {
    if (json.size() > 1) json += ',';
    AppendJsonString(json, entry->name);
    json += ":{\"dtype\":\"";
    json += SafetensorsDTypeName(entry->dtype);
    json += "\",\"shape\":[";
    for (size_t i = 0; i < entry->shape.size(); ++i) {
      if (i > 0) json += ',';
      json += std::to_string(entry->shape[i]);
    }
    json += "],\"data_offsets\":[";
    json += std::to_string(offset);
    json += ',';
    offset += entry->data.size();
    json += std::to_string(offset);
    json += "]}";
  }
  json += '}';
  json.append((8 - json.size() % 8) % 8, ' ');
  TCH_CHECK(json.size() <= kSafetensorsMaxHeaderSize,
            "WriteSafetensors: the header would be ", json.size(),
            " bytes, more than the limit of ", kSafetensorsMaxHeaderSize);

  uint64_t n = json.size();
  prepared.prefix_and_header.resize(8);
  for (int i = 0; i < 8; ++i) {
    prepared.prefix_and_header[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  }
  prepared.prefix_and_header += json;
  return prepared;
}

}  // namespace

std::string_view SafetensorsDTypeName(SafetensorsDType dtype) {
  return Row(dtype).name;
}

std::optional<SafetensorsDType> SafetensorsDTypeFromName(
    std::string_view name) {
  for (const DTypeRow& row : kDTypes) {
    if (row.name == name) return row.dtype;
  }
  return std::nullopt;
}

int SafetensorsDTypeBits(SafetensorsDType dtype) { return Row(dtype).bits; }

size_t SafetensorsDTypeElementSize(SafetensorsDType dtype) {
  int bits = Row(dtype).bits;
  return bits % 8 == 0 ? static_cast<size_t>(bits / 8) : 0;
}

std::optional<uint64_t> SafetensorsByteSize(SafetensorsDType dtype,
                                            std::span<const int64_t> shape) {
  return ComputeByteSize(dtype, shape, nullptr);
}

int64_t SafetensorsTensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t dim : shape) {
    if (dim == 0) return 0;
  }
  for (int64_t dim : shape) n *= dim;
  return n;
}

SafetensorsHeader ParseSafetensorsHeader(std::span<const std::byte> file,
                                         std::string_view source) {
  if (file.size() < 8) {
    throw IoError(detail::StrCat(source, ": file is ", file.size(),
                                 " bytes, too short for the 8-byte header "
                                 "length"));
  }
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) {
    n |= static_cast<uint64_t>(file[i]) << (8 * i);
  }
  if (n > kSafetensorsMaxHeaderSize) {
    throw IoError(detail::StrCat(source, ": header length ", n,
                                 " exceeds the limit of ",
                                 kSafetensorsMaxHeaderSize, " bytes"));
  }
  if (n > file.size() - 8) {
    throw IoError(detail::StrCat(source, ": header length ", n,
                                 " runs past the end of the file (",
                                 file.size(), " bytes)"));
  }
  std::string_view text(reinterpret_cast<const char*>(file.data()) + 8,
                        static_cast<size_t>(n));
  if (std::optional<size_t> bad = FindInvalidUtf8(text)) {
    throw IoError(detail::StrCat(source, ": header is not valid UTF-8 (byte ",
                                 8 + *bad, " of the file)"));
  }
  // JSON text never contains a raw NUL, and the JSON parser would take one
  // for the end of its input, silently ignoring whatever follows.
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    throw IoError(detail::StrCat(source,
                                 ": header is not valid JSON: NUL byte at "
                                 "byte ",
                                 8 + nul, " of the file"));
  }

  HeaderParseListener listener(source);
  Json root;
  try {
    root = Json::parse(
        text.data(), text.data() + text.size(),
        [&listener](int /*depth*/, Json::parse_event_t event, Json& parsed) {
          return listener.OnEvent(event, parsed);
        });
  } catch (const Json::exception& e) {
    std::string_view what = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " tag.
    if (size_t tag_end = what.find("] ");
        tag_end != std::string_view::npos && what.starts_with("[json.")) {
      what.remove_prefix(tag_end + 2);
    }
    throw IoError(detail::StrCat(source, ": header is not valid JSON: ", what));
  }
  if (!root.is_object()) {
    throw IoError(detail::StrCat(source, ": header must be a JSON object, got ",
                                 Describe(root)));
  }

  SafetensorsHeader header;
  header.header_size = n;
  header.data_start = 8 + n;
  header.data_size = file.size() - 8 - n;
  EntryParser entry_parser(source, header.data_size);
  const std::vector<std::string>& keys = listener.top_level_keys();
  header.tensors.reserve(keys.size());
  for (const std::string& key : keys) {
    auto it = root.find(key);
    TCH_INTERNAL_ASSERT(it != root.end(), "key seen by the parser is missing");
    if (key == kMetadataKey) {
      header.metadata = ParseMetadata(source, *it);
    } else {
      header.tensors.push_back(entry_parser.Parse(key, *it));
    }
  }
  CheckCoverage(source, header.tensors, header.data_size);
  return header;
}

SafetensorsReader::SafetensorsReader(const std::string& path)
    : file_(path), header_(ParseSafetensorsHeader(file_.bytes(), path)) {
  for (size_t i = 0; i < header_.tensors.size(); ++i) {
    index_.emplace(header_.tensors[i].name, i);
  }
}

const SafetensorsTensorInfo* SafetensorsReader::Find(
    std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &header_.tensors[it->second];
}

const SafetensorsTensorInfo& SafetensorsReader::Get(
    std::string_view name) const {
  const SafetensorsTensorInfo* info = Find(name);
  TCH_CHECK(info != nullptr, path(), ": no tensor named ", Quote(name));
  return *info;
}

std::span<const std::byte> SafetensorsReader::Data(
    const SafetensorsTensorInfo& info) const {
  TCH_CHECK(info.begin <= info.end && info.end <= header_.data_size, path(),
            ": tensor ", Quote(info.name), ": data_offsets ",
            FormatRange(info.begin, info.end), " are not inside this file's ",
            header_.data_size, "-byte data buffer");
  return file_.bytes().subspan(header_.data_start + info.begin, info.nbytes());
}

std::string SerializeSafetensors(
    const std::vector<SafetensorsEntry>& entries,
    const std::map<std::string, std::string>& metadata) {
  PreparedFile prepared = PrepareFile(entries, metadata);
  std::string out = std::move(prepared.prefix_and_header);
  for (const SafetensorsEntry* entry : prepared.order) {
    out.append(reinterpret_cast<const char*>(entry->data.data()),
               entry->data.size());
  }
  return out;
}

void WriteSafetensors(const std::string& path,
                      const std::vector<SafetensorsEntry>& entries,
                      const std::map<std::string, std::string>& metadata) {
  PreparedFile prepared = PrepareFile(entries, metadata);
  std::vector<std::span<const std::byte>> chunks;
  chunks.reserve(prepared.order.size() + 1);
  chunks.push_back(std::as_bytes(std::span(prepared.prefix_and_header)));
  for (const SafetensorsEntry* entry : prepared.order) {
    chunks.push_back(entry->data);
  }
  WriteFileAtomically(path, chunks);
}

}  // namespace tch
