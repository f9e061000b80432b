#include "torch/core/safetensors.h"

#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "torch/core/error.h"
#include "torch/core/file_util.h"

namespace tch {
namespace {

static_assert(std::endian::native == std::endian::little,
              "these tests build little-endian bytes in native order");

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Json = nlohmann::json;

// Golden files, relative to the Bazel runfiles root (the working directory of
// a test); run manual builds from the repository root.
const std::string kGoldenDir = "tests/golden/safetensors/";

const Json& Expected() {
  static const Json* expected =
      new Json(Json::parse(ReadFile(kGoldenDir + "expected.json")));
  return *expected;
}

std::span<const std::byte> AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// A safetensors file: the 8-byte little-endian length of `header`, `header`,
// then `data`.
std::string MakeFile(std::string_view header, std::string_view data = {}) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 255);
  out += header;
  out += data;
  return out;
}

// A file whose prefix claims a header of `n` bytes, followed by `rest`.
std::string WithLength(uint64_t n, std::string_view rest) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 255);
  return out + std::string(rest);
}

// The message of the tch::IoError that parsing `file` throws ("" if none).
std::string ParseError(std::string_view file) {
  try {
    ParseSafetensorsHeader(AsBytes(file), "test.safetensors");
  } catch (const IoError& e) {
    return e.what();
  }
  return "";
}

class ScopedTempDir {
 public:
  ScopedTempDir() {
    std::string tmpl = ::testing::TempDir() + "safetensors_test.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~ScopedTempDir() {
    for (const std::string& file : files_) ::unlink(file.c_str());
    ::rmdir(path_.c_str());
  }
  std::string File(const std::string& name) {
    files_.push_back(path_ + "/" + name);
    return files_.back();
  }

 private:
  std::string path_;
  std::vector<std::string> files_;
};

float HalfToFloat(uint16_t h) {
  int sign = h >> 15, exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
  float magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  } else if (exponent == 31) {
    magnitude = mantissa == 0 ? INFINITY : NAN;
  } else {
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
  }
  return sign ? -magnitude : magnitude;
}

float BF16ToFloat(uint16_t b) {
  return std::bit_cast<float>(static_cast<uint32_t>(b) << 16);
}

template <typename T>
T LoadAt(std::span<const std::byte> bytes, size_t index) {
  T value;
  std::memcpy(&value, bytes.data() + index * sizeof(T), sizeof(T));
  return value;
}

template <typename T>
void AppendValue(std::string& out, T value) {
  char raw[sizeof(T)];
  std::memcpy(raw, &value, sizeof(T));
  out.append(raw, sizeof(T));
}

// The little-endian bytes of the tensor described by an expected.json record.
std::string EncodeRecord(const Json& record) {
  std::string dtype = record["dtype"];
  const Json& values = record["values"];
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    const Json& v = values[i];
    if (dtype == "F64") AppendValue(out, v.get<double>());
    if (dtype == "F32") AppendValue(out, static_cast<float>(v.get<double>()));
    if (dtype == "F16" || dtype == "BF16") {
      AppendValue(out, record["bits"][i].get<uint16_t>());
    }
    if (dtype == "I64") AppendValue(out, v.get<int64_t>());
    if (dtype == "I32") AppendValue(out, v.get<int32_t>());
    if (dtype == "I16") AppendValue(out, v.get<int16_t>());
    if (dtype == "I8") AppendValue(out, v.get<int8_t>());
    if (dtype == "U64") AppendValue(out, v.get<uint64_t>());
    if (dtype == "U32") AppendValue(out, v.get<uint32_t>());
    if (dtype == "U16") AppendValue(out, v.get<uint16_t>());
    if (dtype == "U8") AppendValue(out, v.get<uint8_t>());
    if (dtype == "BOOL") AppendValue(out, static_cast<uint8_t>(v.get<bool>()));
  }
  return out;
}

// Checks that `bytes` decode to the values of `record`.
void ExpectValues(std::span<const std::byte> bytes, const Json& record,
                  const std::string& where) {
  SCOPED_TRACE(where);
  std::string dtype = record["dtype"];
  const Json& values = record["values"];
  for (size_t i = 0; i < values.size(); ++i) {
    SCOPED_TRACE(::testing::Message() << "element " << i);
    const Json& v = values[i];
    if (dtype == "F64") {
      double got = LoadAt<double>(bytes, i);
      EXPECT_EQ(got, v.get<double>());
      EXPECT_EQ(std::signbit(got), std::signbit(v.get<double>()));
    } else if (dtype == "F32") {
      EXPECT_EQ(LoadAt<float>(bytes, i), static_cast<float>(v.get<double>()));
    } else if (dtype == "F16") {
      EXPECT_EQ(HalfToFloat(LoadAt<uint16_t>(bytes, i)),
                static_cast<float>(v.get<double>()));
    } else if (dtype == "BF16") {
      EXPECT_EQ(BF16ToFloat(LoadAt<uint16_t>(bytes, i)),
                static_cast<float>(v.get<double>()));
    } else if (dtype == "I64") {
      EXPECT_EQ(LoadAt<int64_t>(bytes, i), v.get<int64_t>());
    } else if (dtype == "I32") {
      EXPECT_EQ(LoadAt<int32_t>(bytes, i), v.get<int32_t>());
    } else if (dtype == "I16") {
      EXPECT_EQ(LoadAt<int16_t>(bytes, i), v.get<int16_t>());
    } else if (dtype == "I8") {
      EXPECT_EQ(LoadAt<int8_t>(bytes, i), v.get<int8_t>());
    } else if (dtype == "U64") {
      EXPECT_EQ(LoadAt<uint64_t>(bytes, i), v.get<uint64_t>());
    } else if (dtype == "U32") {
      EXPECT_EQ(LoadAt<uint32_t>(bytes, i), v.get<uint32_t>());
    } else if (dtype == "U16") {
      EXPECT_EQ(LoadAt<uint16_t>(bytes, i), v.get<uint16_t>());
    } else if (dtype == "U8") {
      EXPECT_EQ(LoadAt<uint8_t>(bytes, i), v.get<uint8_t>());
    } else if (dtype == "BOOL") {
      EXPECT_EQ(LoadAt<uint8_t>(bytes, i), v.get<bool>() ? 1 : 0);
    } else {
      ADD_FAILURE() << "unexpected dtype " << dtype;
    }
  }
}

// --- dtypes ------------------------------------------------------------------

TEST(SafetensorsDTypeTest, NamesRoundTrip) {
  const char* names[] = {
      "BOOL",    "F4",      "F6_E2M3", "F6_E3M2",     "U8",          "I8",
      "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "I16",
      "U16",     "F16",     "BF16",    "I32",         "U32",         "F32",
      "C64",     "F64",     "I64",     "U64"};
  int previous = -1;
  for (const char* name : names) {
    std::optional<SafetensorsDType> dtype = SafetensorsDTypeFromName(name);
    ASSERT_TRUE(dtype.has_value()) << name;
    EXPECT_EQ(SafetensorsDTypeName(*dtype), name);
    // Declared in the reference's order.
    EXPECT_GT(static_cast<int>(*dtype), previous) << name;
    previous = static_cast<int>(*dtype);
  }
  EXPECT_EQ(SafetensorsDTypeFromName("f32"), std::nullopt);
  EXPECT_EQ(SafetensorsDTypeFromName("F32 "), std::nullopt);
  EXPECT_EQ(SafetensorsDTypeFromName(""), std::nullopt);
}

TEST(SafetensorsDTypeTest, Sizes) {
  using D = SafetensorsDType;
  EXPECT_EQ(SafetensorsDTypeBits(D::kF4), 4);
  EXPECT_EQ(SafetensorsDTypeBits(D::kF6E3M2), 6);
  EXPECT_EQ(SafetensorsDTypeBits(D::kBool), 8);
  EXPECT_EQ(SafetensorsDTypeBits(D::kC64), 64);
  EXPECT_EQ(SafetensorsDTypeElementSize(D::kF4), 0u);
  EXPECT_EQ(SafetensorsDTypeElementSize(D::kBF16), 2u);
  EXPECT_EQ(SafetensorsDTypeElementSize(D::kF32), 4u);
  EXPECT_EQ(SafetensorsDTypeElementSize(D::kU64), 8u);
  EXPECT_EQ(SafetensorsDTypeElementSize(D::kF8E8M0), 1u);
}

TEST(SafetensorsDTypeTest, ByteSize) {
  using D = SafetensorsDType;
  std::vector<int64_t> scalar, s23 = {2, 3}, empty = {4, 0, 5}, neg = {-1};
  EXPECT_EQ(SafetensorsByteSize(D::kF32, scalar), 4u);
  EXPECT_EQ(SafetensorsByteSize(D::kF64, s23), 48u);
  EXPECT_EQ(SafetensorsByteSize(D::kF32, empty), 0u);
  EXPECT_EQ(SafetensorsByteSize(D::kF32, neg), std::nullopt);
  std::vector<int64_t> four = {4}, three = {3};
  EXPECT_EQ(SafetensorsByteSize(D::kF4, four), 2u);
  EXPECT_EQ(SafetensorsByteSize(D::kF4, three), std::nullopt);
  EXPECT_EQ(SafetensorsByteSize(D::kF6E2M3, four), 3u);
  std::vector<int64_t> huge = {int64_t{1} << 32, int64_t{1} << 30};
  EXPECT_EQ(SafetensorsByteSize(D::kU8, huge), uint64_t{1} << 62);
  EXPECT_EQ(SafetensorsByteSize(D::kU16, huge), uint64_t{1} << 63);
  EXPECT_EQ(SafetensorsByteSize(D::kU64, huge), std::nullopt);
  EXPECT_EQ(SafetensorsByteSize(D::kF4, huge), uint64_t{1} << 61);
  std::vector<int64_t> too_many = {int64_t{1} << 32, int64_t{1} << 31};
  EXPECT_EQ(SafetensorsByteSize(D::kU8, too_many), std::nullopt);
  // A zero dimension empties the tensor, but the other dimensions must still
  // multiply to at most 2^63 - 1 (so that strides fit in int64).
  std::vector<int64_t> zero_and_big = {0, int64_t{1} << 61, 2};
  EXPECT_EQ(SafetensorsByteSize(D::kU8, zero_and_big), 0u);
  std::vector<int64_t> zero_and_huge = {0, int64_t{1} << 62, 2};
  EXPECT_EQ(SafetensorsByteSize(D::kU8, zero_and_huge), std::nullopt);
}

// --- golden files from the reference implementation --------------------------

class GoldenFileTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenFileTest, MatchesReference) {
  const std::string file = GetParam();
  const Json& expected = Expected()[file];
  ASSERT_TRUE(expected.is_object()) << file << " missing from expected.json";
  SafetensorsReader reader(kGoldenDir + file);

  EXPECT_EQ(reader.tensors().size(), expected["tensors"].size());
  for (const auto& [name, record] : expected["tensors"].items()) {
    const SafetensorsTensorInfo* info = reader.Find(name);
    ASSERT_NE(info, nullptr) << file << ": " << name;
    EXPECT_EQ(SafetensorsDTypeName(info->dtype), record["dtype"]);
    EXPECT_EQ(info->shape, record["shape"].get<std::vector<int64_t>>());
    EXPECT_EQ(info->numel(), static_cast<int64_t>(record["values"].size()));
    std::span<const std::byte> data = reader.Data(*info);
    EXPECT_EQ(data.size(), info->nbytes());
    ExpectValues(data, record, file + ": " + name);
    // The reference aligns every tensor to its element size in the file.
    size_t file_offset = reader.header().data_start + info->begin;
    EXPECT_EQ(file_offset % SafetensorsDTypeElementSize(info->dtype), 0u)
        << name;
  }
  EXPECT_EQ(reader.metadata(),
            (expected["metadata"].get<std::map<std::string, std::string>>()));
}

INSTANTIATE_TEST_SUITE_P(
    AllFixtures, GoldenFileTest,
    ::testing::Values("f32.safetensors", "f64.safetensors", "f16.safetensors",
                      "bf16.safetensors", "i64.safetensors", "i32.safetensors",
                      "u8.safetensors", "bool.safetensors",
                      "scalar.safetensors", "empty.safetensors",
                      "metadata.safetensors", "reference.safetensors"),
    [](const ::testing::TestParamInfo<std::string>& info) {
      return info.param.substr(0, info.param.find('.'));
    });

TEST(SafetensorsGoldenTest, ScalarAndEmptyShapes) {
  SafetensorsReader scalar(kGoldenDir + "scalar.safetensors");
  const SafetensorsTensorInfo& s = scalar.Get("s");
  EXPECT_TRUE(s.shape.empty());
  EXPECT_EQ(s.numel(), 1);
  EXPECT_EQ(LoadAt<float>(scalar.Data(s), 0), 3.5f);

  SafetensorsReader empty(kGoldenDir + "empty.safetensors");
  EXPECT_THAT(empty.Get("empty_f32").shape, ElementsAre(2, 0));
  EXPECT_EQ(empty.Get("empty_f32").numel(), 0);
  EXPECT_TRUE(empty.Data(empty.Get("empty_f32")).empty());
  EXPECT_TRUE(empty.Data(empty.Get("empty_i64")).empty());
  EXPECT_EQ(LoadAt<uint8_t>(empty.Data(empty.Get("one")), 0), 7);
}

TEST(SafetensorsGoldenTest, TensorsAreInHeaderOrder) {
  SafetensorsReader reader(kGoldenDir + "reference.safetensors");
  std::vector<std::string> names;
  uint64_t previous_end = 0;
  for (const SafetensorsTensorInfo& info : reader.tensors()) {
    names.push_back(info.name);
    EXPECT_EQ(info.begin, previous_end);  // The reference writes in order.
    previous_end = info.end;
  }
  EXPECT_EQ(previous_end, reader.header().data_size);
  ASSERT_GE(names.size(), 4u);
  EXPECT_THAT(std::vector<std::string>(names.begin(), names.begin() + 4),
              ElementsAre("u64", "i64", "z.f64", "a.f32"));
  EXPECT_EQ(names.back(), "mask");
}

// The entries of a golden file, rebuilt from expected.json (not from the file).
struct RebuiltEntries {
  std::vector<std::string> storage;
  std::vector<SafetensorsEntry> entries;
};

RebuiltEntries RebuildFromExpected(const Json& expected) {
  RebuiltEntries out;
  out.storage.reserve(expected["tensors"].size());
  for (const auto& [name, record] : expected["tensors"].items()) {
    out.storage.push_back(EncodeRecord(record));
    out.entries.push_back(
        {.name = name,
         .dtype = *SafetensorsDTypeFromName(record["dtype"].get<std::string>()),
         .shape = record["shape"].get<std::vector<int64_t>>(),
         .data = AsBytes(out.storage.back())});
  }
  return out;
}

TEST(SafetensorsGoldenTest, WriterIsByteIdenticalToReference) {
  const Json& expected = Expected()["reference.safetensors"];
  RebuiltEntries rebuilt = RebuildFromExpected(expected);
  auto metadata =
      expected["metadata"].get<std::map<std::string, std::string>>();
  std::string reference = ReadFile(kGoldenDir + "reference.safetensors");

  EXPECT_EQ(SerializeSafetensors(rebuilt.entries, metadata), reference);

  ScopedTempDir dir;
  std::string path = dir.File("ours.safetensors");
  WriteSafetensors(path, rebuilt.entries, metadata);
  EXPECT_EQ(ReadFile(path), reference);
}

TEST(SafetensorsGoldenTest, WriterMatchesEveryDeterministicFixture) {
  for (const char* file :
       {"f32.safetensors", "f64.safetensors", "f16.safetensors",
        "bf16.safetensors", "i64.safetensors", "i32.safetensors",
        "u8.safetensors", "bool.safetensors", "scalar.safetensors",
        "empty.safetensors"}) {
    RebuiltEntries rebuilt = RebuildFromExpected(Expected()[file]);
    EXPECT_EQ(SerializeSafetensors(rebuilt.entries),
              ReadFile(kGoldenDir + file))
        << file;
  }
}

// --- writer ------------------------------------------------------------------

TEST(SerializeSafetensorsTest, EmptyFileMatchesReference) {
  // The reference's own test vectors (safetensors/src/tensor.rs, test_empty).
  EXPECT_EQ(SerializeSafetensors({}), MakeFile("{}      "));
  EXPECT_EQ(SerializeSafetensors({}, {{"framework", "pt"}}),
            MakeFile("{\"__metadata__\":{\"framework\":\"pt\"}}     "));
}

TEST(SerializeSafetensorsTest, MatchesReferenceSerializationVector) {
  // The reference's test_serialization: "attn.0", F32, shape [1, 2, 3].
  std::vector<float> values = {0, 1, 2, 3, 4, 5};
  std::string file =
      SerializeSafetensors({{.name = "attn.0",
                             .dtype = SafetensorsDType::kF32,
                             .shape = {1, 2, 3},
                             .data = std::as_bytes(std::span(values))}});
  std::string header =
      "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],"
      "\"data_offsets\":[0,24]}}";
  ASSERT_EQ(header.size(), 64u);  // Already a multiple of 8: no padding.
  EXPECT_EQ(
      file,
      MakeFile(header, std::string_view(
                           reinterpret_cast<const char*>(values.data()), 24)));
}

TEST(SafetensorsRoundTripTest, EveryDtype) {
  ScopedTempDir dir;
  std::string path = dir.File("all.safetensors");
  std::vector<SafetensorsEntry> entries;
  std::vector<std::string> storage;
  storage.reserve(64);
  for (int d = 0; d <= static_cast<int>(SafetensorsDType::kU64); ++d) {
    auto dtype = static_cast<SafetensorsDType>(d);
    std::vector<int64_t> shape = {2, 4};  // 8 elements: whole bytes for F4/F6.
    std::string bytes(*SafetensorsByteSize(dtype, shape), '\0');
    for (size_t i = 0; i < bytes.size(); ++i) {
      bytes[i] = static_cast<char>(static_cast<size_t>(d) * 31 + i);
    }
    storage.push_back(bytes);
    entries.push_back({.name = "t." + std::string(SafetensorsDTypeName(dtype)),
                       .dtype = dtype,
                       .shape = shape,
                       .data = AsBytes(storage.back())});
  }
  std::string scalar_bytes(8, '\x7f');
  entries.push_back({.name = "scalar",
                     .dtype = SafetensorsDType::kC64,
                     .shape = {},
                     .data = AsBytes(scalar_bytes)});
  entries.push_back({.name = "empty",
                     .dtype = SafetensorsDType::kBF16,
                     .shape = {3, 0},
                     .data = {}});
  std::map<std::string, std::string> metadata = {
      {"b", "2"}, {"a", "1"}, {"quote\"and\\", "tab\tnewline\n"}, {"", ""}};
  WriteSafetensors(path, entries, metadata);

  SafetensorsReader reader(path);
  EXPECT_EQ(reader.path(), path);
  EXPECT_EQ(reader.metadata(), metadata);
  ASSERT_EQ(reader.tensors().size(), entries.size());
  for (const SafetensorsEntry& entry : entries) {
    const SafetensorsTensorInfo& info = reader.Get(entry.name);
    EXPECT_EQ(info.dtype, entry.dtype) << entry.name;
    EXPECT_EQ(info.shape, entry.shape) << entry.name;
    std::span<const std::byte> data = reader.Data(info);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), entry.data.begin(),
                           entry.data.end()))
        << entry.name;
    size_t element = SafetensorsDTypeElementSize(info.dtype);
    if (element > 0) {
      EXPECT_EQ((reader.header().data_start + info.begin) % element, 0u)
          << entry.name;
    }
  }
  EXPECT_EQ(reader.header().data_start % 8, 0u);
  // Decreasing alignment first.
  EXPECT_EQ(reader.tensors().front().dtype, SafetensorsDType::kU64);
}

TEST(SafetensorsRoundTripTest, UnicodeAndControlCharactersInNames) {
  std::string value = "x";
  std::vector<SafetensorsEntry> entries;
  for (const std::string& name :
       {std::string("caf\xc3\xa9"),
        std::string("a\x01\x1f\x7f"
                    "b"),
        std::string("sl/ash"), std::string(""), std::string("nul\0in", 6)}) {
    entries.push_back({.name = name,
                       .dtype = SafetensorsDType::kU8,
                       .shape = {1},
                       .data = AsBytes(value)});
  }
  std::string file = SerializeSafetensors(entries);
  SafetensorsHeader header = ParseSafetensorsHeader(AsBytes(file), "mem");
  ASSERT_EQ(header.tensors.size(), entries.size());
  for (const SafetensorsEntry& entry : entries) {
    bool found = false;
    for (const SafetensorsTensorInfo& info : header.tensors) {
      found |= info.name == entry.name;
    }
    EXPECT_TRUE(found) << entry.name;
  }
}

TEST(WriteSafetensorsTest, RejectsInvalidEntries) {
  std::string four(4, '\0'), three(3, '\0');
  struct Case {
    const char* what;
    std::vector<SafetensorsEntry> entries;
    std::map<std::string, std::string> metadata;
    const char* message;
  };
  using D = SafetensorsDType;
  std::vector<Case> cases = {
      {"duplicate",
       {{"a", D::kF32, {1}, AsBytes(four)}, {"a", D::kI32, {1}, AsBytes(four)}},
       {},
       "duplicate tensor name 'a'"},
      {"size mismatch",
       {{"w", D::kF32, {1}, AsBytes(three)}},
       {},
       "tensor 'w': shape [1] of F32 needs 4 bytes but 3 were given"},
      {"negative dimension",
       {{"w", D::kF32, {-1}, {}}},
       {},
       "tensor 'w': shape [-1] has a negative dimension"},
      {"sub-byte remainder",
       {{"w", D::kF4, {3}, AsBytes(three)}},
       {},
       "is 3 elements of 4 bits, not a whole number of bytes"},
      {"reserved name",
       {{"__metadata__", D::kU8, {0}, {}}},
       {},
       "'__metadata__' is reserved"},
      {"invalid UTF-8 name",
       {{"bad\xff", D::kU8, {0}, {}}},
       {},
       "is not valid UTF-8"},
      {"invalid UTF-8 metadata", {}, {{"k", "\xc0\xaf"}}, "is not valid UTF-8"},
  };
  ScopedTempDir dir;
  std::string path = dir.File("never_written.safetensors");
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    try {
      WriteSafetensors(path, c.entries, c.metadata);
      ADD_FAILURE() << "expected tch::ValueError";
    } catch (const ValueError& e) {
      EXPECT_THAT(e.what(), HasSubstr(c.message));
    }
    EXPECT_NE(::access(path.c_str(), F_OK), 0) << "file must not be created";
  }
}

TEST(WriteSafetensorsTest, UnwritablePathIsAnIoError) {
  ScopedTempDir dir;
  std::string path = dir.File("missing_dir") + "/x.safetensors";
  try {
    WriteSafetensors(path, {});
    ADD_FAILURE() << "expected tch::IoError";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr(path));
  }
}

// --- reader: accessors -------------------------------------------------------

TEST(SafetensorsReaderTest, FindGetAndData) {
  SafetensorsReader reader(kGoldenDir + "f32.safetensors");
  EXPECT_EQ(reader.Find("nope"), nullptr);
  ASSERT_NE(reader.Find("bias"), nullptr);
  EXPECT_EQ(&reader.Get("bias"), reader.Find("bias"));
  try {
    reader.Get("fc.bias");
    ADD_FAILURE() << "expected tch::ValueError";
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("no tensor named 'fc.bias'"));
    EXPECT_THAT(e.what(), HasSubstr("f32.safetensors"));
  }
  SafetensorsTensorInfo foreign = reader.Get("bias");
  foreign.end = reader.header().data_size + 1;
  EXPECT_THROW(reader.Data(foreign), ValueError);
}

TEST(SafetensorsReaderTest, ReaderIsMovable) {
  SafetensorsReader a(kGoldenDir + "u8.safetensors");
  std::span<const std::byte> before = a.Data(a.Get("pixels"));
  SafetensorsReader b(std::move(a));
  EXPECT_EQ(b.Data(b.Get("pixels")).data(), before.data());
  EXPECT_EQ(LoadAt<uint8_t>(b.Data(b.Get("pixels")), 15), 255);
}

TEST(SafetensorsReaderTest, MissingFileNamesPath) {
  try {
    SafetensorsReader reader("tests/golden/safetensors/absent.safetensors");
    ADD_FAILURE() << "expected tch::IoError";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("absent.safetensors"));
  }
}

// --- reader: malformed input -------------------------------------------------

struct MalformedCase {
  const char* what;
  std::string file;
  const char* message;
};

std::string U8Entry(const char* name, int begin, int end) {
  return detail::StrCat("\"", name, "\":{\"dtype\":\"U8\",\"shape\":[",
                        end - begin, "],\"data_offsets\":[", begin, ",", end,
                        "]}");
}

std::vector<MalformedCase> MalformedCases() {
  const std::string ok_entry = "\"dtype\":\"U8\",\"shape\":[1]";
  std::string deep = "[";
  for (int i = 0; i < 200; ++i) deep += "[";
  for (int i = 0; i < 201; ++i) deep += "]";
  return {
      {"empty file", "", "file is 0 bytes, too short for the 8-byte header"},
      {"truncated prefix", std::string(5, '\0'), "file is 5 bytes"},
      {"header past end of file", WithLength(1000, "{}"),
       "header length 1000 runs past the end of the file (10 bytes)"},
      {"header over the limit", WithLength(100'000'001, "{}"),
       "header length 100000001 exceeds the limit of 100000000 bytes"},
      {"header length 2^64-1", WithLength(~uint64_t{0}, "{}"),
       "header length 18446744073709551615 exceeds the limit"},
      {"empty header", MakeFile(""), "header is not valid JSON"},
      {"invalid UTF-8", MakeFile("{\"\xff\":1}"),
       "header is not valid UTF-8 (byte 10 of the file)"},
      {"overlong UTF-8", MakeFile("{\"\xc0\xaf\":1}"), "not valid UTF-8"},
      {"encoded surrogate", MakeFile("{\"\xed\xa0\x80\":1}"),
       "not valid UTF-8"},
      {"bad JSON", MakeFile("{\"a\":"), "header is not valid JSON"},
      {"trailing NUL", MakeFile(std::string("{}\0", 3)),
       "header is not valid JSON: NUL byte at byte 10 of the file"},
      {"NUL before more JSON", MakeFile(std::string("{}\0{\"a\":1}", 10)),
       "header is not valid JSON: NUL byte"},
      {"lone surrogate escape", MakeFile("{\"\\ud800\":1}"),
       "header is not valid JSON"},
      {"number overflow", MakeFile("{\"a\":1e999}"), "not valid JSON"},
      {"top level array", MakeFile("[]"),
       "header must be a JSON object, got array []"},
      {"top level string", MakeFile("\"x\""), "must be a JSON object"},
      {"non-object entry", MakeFile("{\"a\":3}"),
       "tensor 'a': entry must be a JSON object, got number 3"},
      {"missing dtype",
       MakeFile("{\"a\":{\"shape\":[],\"data_offsets\":[0,0]}}"),
       "tensor 'a': missing field 'dtype'"},
      {"missing shape", MakeFile("{\"a\":{\"dtype\":\"U8\"}}"),
       "tensor 'a': missing field 'shape'"},
      {"missing offsets", MakeFile("{\"a\":{" + ok_entry + "}}", "x"),
       "tensor 'a': missing field 'data_offsets'"},
      {"dtype not a string",
       MakeFile("{\"a\":{\"dtype\":1,\"shape\":[],\"data_offsets\":[0,0]}}"),
       "tensor 'a': dtype must be a string, got number 1"},
      {"unknown dtype",
       MakeFile("{\"a\":{\"dtype\":\"f32\",\"shape\":[1],"
                "\"data_offsets\":[0,4]}}",
                "abcd"),
       "tensor 'a': unknown dtype 'f32'"},
      {"shape not an array",
       MakeFile("{\"a\":{\"dtype\":\"U8\",\"shape\":3,"
                "\"data_offsets\":[0,3]}}",
                "abc"),
       "tensor 'a': shape must be an array of non-negative integers, got "
       "number 3"},
      {"negative dimension",
       MakeFile("{\"a\":{\"dtype\":\"U8\",\"shape\":[2,-1],"
                "\"data_offsets\":[0,0]}}"),
       "tensor 'a': shape[1] must be a non-negative integer, got number -1"},
      {"negative zero",
       MakeFile("{\"a\":{\"dtype\":\"U8\",\"shape\":[-0],"
                "\"data_offsets\":[0,0]}}"),
       "tensor 'a': shape[0] must be a non-negative integer, got number -0"},
      {"fractional dimension",
       MakeFile("{\"a\":{\"dtype\":\"U8\",\"shape\":[1.5],"
                "\"data_offsets\":[0,0]}}"),
       "shape[0] must be a non-negative integer, got number 1.5"},
      {"string dimension",
       MakeFile("{\"a\":{\"dtype\":\"U8\",\"shape\":[\"1\"],"
                "\"data_offsets\":[0,1]}}",
                "x"),
       "shape[0] must be a non-negative integer, got string \"1\""},
      {"dimension beyond int64",
       MakeFile("{\"a\":{\"dtype\":\"U8\",\"shape\":[9223372036854775808],"
                "\"data_offsets\":[0,0]}}"),
       "shape[0] is 9223372036854775808, beyond the int64 range"},
      {"dimension beyond uint64",
       MakeFile("{\"a\":{\"dtype\":\"U8\",\"shape\":[18446744073709551616],"
                "\"data_offsets\":[0,0]}}"),
       "shape[0] must be a non-negative integer, got number"},
      {"element count overflow",
       MakeFile("{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],"
                "\"data_offsets\":[0,0]}}"),
       "tensor 'a': shape [4294967296, 4294967296] has more than 2^63 - 1 "
       "elements"},
      {"byte count overflow",
       MakeFile("{\"a\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904],"
                "\"data_offsets\":[0,0]}}"),
       "tensor 'a': shape [4611686018427387904] of F64 overflows a 64-bit "
       "byte count"},
      {"sub-byte remainder",
       MakeFile("{\"a\":{\"dtype\":\"F4\",\"shape\":[3],"
                "\"data_offsets\":[0,2]}}",
                "ab"),
       "tensor 'a': shape [3] of F4 is 3 elements of 4 bits, not a whole "
       "number of bytes"},
      {"three offsets",
       MakeFile("{\"a\":{" + ok_entry + ",\"data_offsets\":[0,1,2]}}", "xy"),
       "tensor 'a': data_offsets must be an array of two non-negative "
       "integers, got array [0,1,2]"},
      {"offsets not an array",
       MakeFile("{\"a\":{" + ok_entry + ",\"data_offsets\":{}}}", "x"),
       "data_offsets must be an array of two"},
      {"negative offset",
       MakeFile("{\"a\":{" + ok_entry + ",\"data_offsets\":[-1,0]}}", "x"),
       "tensor 'a': data_offsets[0] must be a non-negative integer, got "
       "number -1"},
      {"reversed offsets",
       MakeFile("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],"
                "\"data_offsets\":[4,0]}}",
                "abcd"),
       "tensor 'a': data_offsets [4, 0] end before they begin"},
      {"offsets out of bounds",
       MakeFile("{\"a\":{\"dtype\":\"U8\",\"shape\":[100],"
                "\"data_offsets\":[0,100]}}",
                "12345678"),
       "tensor 'a': data_offsets [0, 100] run past the end of the 8-byte "
       "data buffer"},
      {"huge offsets",
       MakeFile("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":"
                "[18446744073709551614,18446744073709551615]}}",
                "x"),
       "run past the end of the 1-byte data buffer"},
      {"wrong byte size",
       MakeFile("{\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[5,6],"
                "\"data_offsets\":[0,100]}}",
                std::string(100, '\0')),
       "test.safetensors: tensor 'fc.weight': data_offsets [0, 100] hold 100 "
       "bytes but shape [5, 6] of F32 needs 120"},
      {"gap at start", MakeFile("{" + U8Entry("a", 4, 8) + "}", "12345678"),
       "tensor 'a': data_offsets [4, 8] leave a gap: bytes [0, 4) of the data "
       "buffer belong to no tensor"},
      {"gap between",
       MakeFile("{" + U8Entry("a", 0, 4) + "," + U8Entry("b", 6, 10) + "}",
                "0123456789"),
       "tensor 'b': data_offsets [6, 10] leave a gap: bytes [4, 6)"},
      {"overlap",
       MakeFile("{" + U8Entry("a", 0, 4) + "," + U8Entry("b", 2, 6) + "}",
                "012345"),
       "tensor 'b': data_offsets [2, 6] overlap tensor 'a' at [0, 4]"},
      {"same range twice",
       MakeFile("{" + U8Entry("a", 0, 4) + "," + U8Entry("b", 0, 4) + "}",
                "0123"),
       "overlap tensor 'a' at [0, 4]"},
      {"empty tensor inside another",
       MakeFile("{" + U8Entry("a", 0, 4) + "," + U8Entry("e", 2, 2) + "}",
                "0123"),
       "tensor 'e': data_offsets [2, 2] overlap tensor 'a' at [0, 4]"},
      {"trailing bytes", MakeFile("{" + U8Entry("a", 0, 4) + "}", "012345"),
       "bytes [4, 6) at the end of the data buffer belong to no tensor"},
      {"no tensors but data", MakeFile("{}", "xyz"),
       "bytes [0, 3) at the end of the data buffer belong to no tensor"},
      {"duplicate names",
       MakeFile("{" + U8Entry("a", 0, 1) + "," + U8Entry("a", 1, 2) + "}",
                "xy"),
       "test.safetensors: duplicate tensor name 'a'"},
      {"duplicate field",
       MakeFile("{\"a\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[1],"
                "\"data_offsets\":[0,1]}}",
                "x"),
       "tensor 'a': duplicate field 'dtype'"},
      {"duplicate metadata key",
       MakeFile("{\"__metadata__\":{\"k\":\"v\",\"k\":\"w\"}}"),
       "__metadata__: duplicate key 'k'"},
      {"duplicate __metadata__",
       MakeFile("{\"__metadata__\":{},\"__metadata__\":{}}"),
       "duplicate key '__metadata__'"},
      {"metadata not an object", MakeFile("{\"__metadata__\":[1]}"),
       "__metadata__ must be an object mapping strings to strings, got array "
       "[1]"},
      {"metadata value not a string", MakeFile("{\"__metadata__\":{\"k\":1}}"),
       "__metadata__: value of 'k' must be a string, got number 1"},
      {"deep nesting",
       MakeFile("{\"a\":{" + ok_entry +
                    ",\"data_offsets\":[0,1],\"x\":" + deep + "}}",
                "x"),
       "header JSON nests deeper than 128 levels"},
  };
}

TEST(SafetensorsMalformedTest, EachCaseIsRejectedWithItsMessage) {
  for (const MalformedCase& c : MalformedCases()) {
    SCOPED_TRACE(c.what);
    std::string message = ParseError(c.file);
    EXPECT_THAT(message, StartsWith("test.safetensors: "));
    EXPECT_THAT(message, HasSubstr(c.message));
  }
}

TEST(SafetensorsMalformedTest, ReaderNamesThePath) {
  ScopedTempDir dir;
  for (const MalformedCase& c : MalformedCases()) {
    SCOPED_TRACE(c.what);
    std::string path = dir.File("bad.safetensors");
    WriteFileAtomically(path, c.file);
    try {
      SafetensorsReader reader(path);
      ADD_FAILURE() << "expected tch::IoError";
    } catch (const IoError& e) {
      EXPECT_THAT(e.what(), StartsWith(path + ": "));
    }
  }
}

TEST(SafetensorsMalformedTest, ErrorsQuoteLongNamesShortly) {
  std::string name(5000, 'n');
  std::string message =
      ParseError(MakeFile("{\"" + name + "\":{\"dtype\":\"X\"}}"));
  EXPECT_THAT(message, HasSubstr("(5000 bytes)"));
  EXPECT_LT(message.size(), 400u);
}

// --- reader: accepted edge cases
// ----------------------------------------------

TEST(SafetensorsLenientTest, AcceptsWhatTheReferenceAccepts) {
  struct Case {
    const char* what;
    std::string file;
  };
  std::vector<Case> cases = {
      {"empty object", MakeFile("{}")},
      {"padding and leading whitespace",
       MakeFile(" \n\t{" + U8Entry("a", 0, 1) + "}  \r\n ", "x")},
      {"unknown fields are ignored",
       MakeFile("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],"
                "\"extra\":[1,{\"q\":2,\"q\":3}]}}",
                "x")},
      {"null metadata", MakeFile("{\"__metadata__\":null}")},
      {"empty tensors at one offset",
       MakeFile("{" + U8Entry("a", 0, 0) + "," + U8Entry("b", 0, 0) + "," +
                    U8Entry("c", 0, 2) + "," + U8Entry("d", 2, 2) + "}",
                "xy")},
      {"sub-byte dtypes",
       MakeFile("{\"f4\":{\"dtype\":\"F4\",\"shape\":[2,2],"
                "\"data_offsets\":[0,2]},"
                "\"f6\":{\"dtype\":\"F6_E2M3\",\"shape\":[4],"
                "\"data_offsets\":[2,5]}}",
                "abcde")},
      {"zero dimension next to a huge one",
       MakeFile("{\"a\":{\"dtype\":\"U8\",\"shape\":[0,9223372036854775807],"
                "\"data_offsets\":[0,0]}}")},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(ParseError(c.file), "");
  }
}

TEST(SafetensorsLenientTest, HeaderOrderIsKeptWhenItDiffersFromDataOrder) {
  std::string file = MakeFile(
      "{" + U8Entry("second", 2, 3) + "," + U8Entry("first", 0, 2) + "}",
      "abc");
  SafetensorsHeader header = ParseSafetensorsHeader(AsBytes(file), "mem");
  ASSERT_EQ(header.tensors.size(), 2u);
  EXPECT_EQ(header.tensors[0].name, "second");
  EXPECT_EQ(header.tensors[0].begin, 2u);
  EXPECT_EQ(header.tensors[1].name, "first");
}

// Every prefix and every single-byte corruption of a real file must either
// parse or throw tch::IoError (the fuzz target explores this further).
TEST(SafetensorsRobustnessTest, TruncationsAndByteFlips) {
  std::string file = ReadFile(kGoldenDir + "reference.safetensors");
  int parsed = 0;
  for (size_t length = 0; length <= file.size(); ++length) {
    if (ParseError(file.substr(0, length)).empty()) ++parsed;
  }
  EXPECT_EQ(parsed, 1);  // Only the complete file.
  for (size_t i = 0; i < file.size(); ++i) {
    for (unsigned char flip : {0x01, 0x20, 0x80, 0xFF}) {
      std::string corrupted = file;
      corrupted[i] = static_cast<char>(corrupted[i] ^ flip);
      ParseError(corrupted);  // Must not crash; the result may be either.
    }
  }
}

}  // namespace
}  // namespace tch
