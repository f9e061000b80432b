// File: torch/train/tensorboard_writer_test.cc
#include "torch/train/tensorboard_writer.h"

#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "torch/core/error.h"
#include "torch/core/file_util.h"

namespace tch::train {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string MakeTempDir(const std::string& name) {
  std::string tmpl = ::testing::TempDir() + name + ".XXXXXX";
  char* made = ::mkdtemp(tmpl.data());
  EXPECT_NE(made, nullptr);
  return tmpl;
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  while (dirent* entry = d ? ::readdir(d) : nullptr) {
    if (entry->d_name[0] != '.') names.push_back(entry->d_name);
  }
  if (d) ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// A bit-at-a-time CRC-32C straight from the definition, to check the table.
uint32_t SlowCrc32c(std::string_view data) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char byte : data) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
    }
  }
  return ~crc;
}

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
  // RFC 3720 (iSCSI) appendix B.4.
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(descending), 0x113FDB5Cu);
}

TEST(Crc32cTest, MatchesBitwiseDefinitionAndContinues) {
  std::mt19937 rng(3);
  for (int n = 0; n < 300; n += 7) {
    std::string data;
    for (int i = 0; i < n; ++i) data.push_back(static_cast<char>(rng()));
    ASSERT_EQ(Crc32c(data), SlowCrc32c(data)) << "length " << n;
    size_t cut = n / 3;
    EXPECT_EQ(Crc32c(data.substr(cut), Crc32c(data.substr(0, cut))),
              Crc32c(data));
  }
}

TEST(Crc32cTest, Mask) {
  EXPECT_EQ(MaskCrc32c(0), 0xa282ead8u);
  // rotate right by 15 of 0x00000001 is 0x00020000.
  EXPECT_EQ(MaskCrc32c(1), 0x00020000u + 0xa282ead8u);
  EXPECT_EQ(MaskCrc32c(0x8000u), 1u + 0xa282ead8u);
  for (uint32_t crc : {0u, 1u, 0xE3069283u, 0xffffffffu, 0x12345678u}) {
    EXPECT_EQ(UnmaskCrc32c(MaskCrc32c(crc)), crc);
  }
}

TEST(EventEncodingTest, HandAssembledBytes) {
  EventRecord event;
  event.wall_time = 1.5;  // 0x3FF8000000000000
  event.step = 3;
  event.scalars = {{"a", 0.5f}};  // 0x3F000000
  std::string expected = Bytes({
      0x09, 0,    0,   0, 0,    0, 0, 0xF8, 0x3F,  // 1: wall_time (fixed64)
      0x10, 0x03,                                  // 2: step (varint)
      0x2A, 0x0A,                                  // 5: summary, 10 bytes
      0x0A, 0x08,                                  //   1: value, 8 bytes
      0x0A, 0x01, 'a',                             //     1: tag "a"
      0x15, 0,    0,   0, 0x3F,  //     2: simple_value (fixed32)
  });
  EXPECT_EQ(EncodeEvent(event), expected);
  EXPECT_EQ(DecodeEvent(expected), event);

  EventRecord version;
  version.file_version = "brain.Event:2";
  EXPECT_EQ(EncodeEvent(version), Bytes({0x1A, 13}) + "brain.Event:2");

  EventRecord start;
  start.step = 300;  // varint 0xAC 0x02
  start.session_status = 1;
  EXPECT_EQ(EncodeEvent(start),
            Bytes({0x10, 0xAC, 0x02, 0x3A, 0x02, 0x08, 0x01}));
  EXPECT_EQ(DecodeEvent(EncodeEvent(start)), start);
}

TEST(EventEncodingTest, OneOfWhatIsEnforced) {
  EventRecord event;
  event.file_version = "brain.Event:2";
  event.session_status = 1;
  EXPECT_THROW(EncodeEvent(event), ValueError);
}

TEST(EventEncodingTest, ZeroValueIsStillWrittenAndNegativeStepRoundTrips) {
  EventRecord event;
  event.wall_time = 1700000000.25;
  event.step = -2;  // ten-byte varint
  event.scalars = {{"train/loss", 0.0f}, {"eval/acc", -1.25f}};
  std::string bytes = EncodeEvent(event);
  EXPECT_NE(bytes.find(Bytes({0x15, 0, 0, 0, 0})), std::string::npos);
  EXPECT_EQ(DecodeEvent(bytes), event);
}

TEST(EventEncodingTest, DecodeSkipsUnknownFieldsAndRejectsTruncation) {
  EventRecord event;
  event.step = 7;
  std::string bytes = EncodeEvent(event);
  // field 4 (double), field 9 (len), field 15 (varint): all unknown to us.
  std::string with_unknown = Bytes({0x21, 1, 2, 3, 4, 5, 6, 7, 8}) + bytes +
                             Bytes({0x4A, 2, 'x', 'y', 0x78, 5});
  EXPECT_EQ(DecodeEvent(with_unknown), event);
  std::string truncated = Bytes({0x09, 0, 0, 0});
  try {
    DecodeEvent(truncated);
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("Event"));
    EXPECT_THAT(e.what(), HasSubstr("truncated"));
  }
}

TEST(TfRecordTest, FramingLayout) {
  std::string data = "hello";
  std::string framed = FrameTfRecord(data);
  ASSERT_EQ(framed.size(), 8 + 4 + data.size() + 4);
  EXPECT_EQ(framed.substr(0, 8), Bytes({5, 0, 0, 0, 0, 0, 0, 0}));
  uint32_t length_crc, data_crc;
  std::memcpy(&length_crc, framed.data() + 8, 4);
  std::memcpy(&data_crc, framed.data() + 17, 4);
  EXPECT_EQ(UnmaskCrc32c(length_crc), SlowCrc32c(framed.substr(0, 8)));
  EXPECT_EQ(UnmaskCrc32c(data_crc), SlowCrc32c("hello"));
  EXPECT_EQ(framed.substr(12, 5), "hello");
}

TEST(TfRecordTest, TornTailAndCorruption) {
  std::string stream =
      FrameTfRecord("one") + FrameTfRecord("") + FrameTfRecord("three");
  bool torn = true;
  EXPECT_EQ(ReadTfRecords(stream, "s", &torn),
            (std::vector<std::string>{"one", "", "three"}));
  EXPECT_FALSE(torn);
  for (size_t cut : {1, 5, 11, 20}) {  // "three" takes 21 bytes
    std::vector<std::string> records = ReadTfRecords(
        std::string_view(stream).substr(0, stream.size() - cut), "s", &torn);
    EXPECT_TRUE(torn) << cut;
    EXPECT_EQ(records.size(), 2u) << cut;
  }
  std::string corrupt = stream;
  corrupt[FrameTfRecord("one").size() + FrameTfRecord("").size() + 13] ^= 1;
  try {
    ReadTfRecords(corrupt, "events.file");
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("events.file"));
    EXPECT_THAT(e.what(), HasSubstr("data CRC mismatch"));
    EXPECT_THAT(e.what(), HasSubstr("byte 35"));  // 19 + 16 bytes before it
  }
  corrupt = stream;
  corrupt[2] ^= 1;
  EXPECT_THROW(ReadTfRecords(corrupt, "s"), IoError);
}

TEST(TensorBoardWriterTest, WritesReadableEventFile) {
  std::string dir = MakeTempDir("tb") + "/logs";  // created by the writer
  TensorBoardWriterOptions options;
  options.hostname = "testhost";
  double now = 1700000123.75;
  options.clock = [&now] { return now; };
  std::string path;
  {
    TensorBoardWriter writer(dir, options);
    path = writer.path();
    writer.AddScalar("train/loss", 0.1, 10);
    now += 1;
    writer.AddScalars({{"eval/loss", 0.25}, {"eval/accuracy", 0.875}}, 20,
                      1700000200.0);
    writer.AddSessionStart(15);
    writer.Flush();
  }
  EXPECT_EQ(path, dir + "/events.out.tfevents.1700000123.testhost");

  bool torn = true;
  std::vector<std::string> records = ReadTfRecords(ReadFile(path), path, &torn);
  EXPECT_FALSE(torn);
  ASSERT_EQ(records.size(), 4u);
  std::vector<EventRecord> events;
  for (const auto& record : records) events.push_back(DecodeEvent(record));

  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  EXPECT_EQ(events[0].wall_time, 1700000123.75);
  EXPECT_TRUE(events[0].scalars.empty());

  EXPECT_EQ(events[1].step, 10);
  EXPECT_EQ(events[1].wall_time, 1700000123.75);
  EXPECT_FALSE(events[1].file_version.has_value());
  ASSERT_EQ(events[1].scalars.size(), 1u);
  EXPECT_EQ(events[1].scalars[0].tag, "train/loss");
  EXPECT_EQ(events[1].scalars[0].value, 0.1f);  // stored as float32

  EXPECT_EQ(events[2].step, 20);
  EXPECT_EQ(events[2].wall_time, 1700000200.0);
  EXPECT_EQ(events[2].scalars,
            (std::vector<ScalarValue>{{"eval/accuracy", 0.875f},
                                      {"eval/loss", 0.25f}}));

  EXPECT_EQ(events[3].step, 15);
  EXPECT_EQ(events[3].wall_time, 1700000124.75);
  EXPECT_EQ(events[3].session_status, 1);
}

TEST(TensorBoardWriterTest, RestartInTheSameSecondGetsANewFile) {
  std::string dir = MakeTempDir("tb_restart");
  TensorBoardWriterOptions options;
  options.hostname = "h/x";  // '/' cannot be part of a file name
  options.clock = [] { return 42.9; };
  TensorBoardWriter first(dir, options);
  TensorBoardWriter second(dir, options);
  EXPECT_EQ(first.path(), dir + "/events.out.tfevents.0000000042.h_x");
  EXPECT_EQ(second.path(), dir + "/events.out.tfevents.0000000042.h_x.1");
  EXPECT_EQ(ListDir(dir).size(), 2u);
}

TEST(TensorBoardWriterTest, Errors) {
  std::string dir = MakeTempDir("tb_errors");
  TensorBoardWriter writer(dir);
  EXPECT_THAT(writer.path(), StartsWith(dir + "/events.out.tfevents."));
  EXPECT_THROW(writer.AddScalar("", 1.0, 1), ValueError);
  try {
    TensorBoardWriter bad(dir + "/missing/parent");
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("missing/parent"));
  }
}

}  // namespace
}  // namespace tch::train
