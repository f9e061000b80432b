// File: torch/train/tensorboard_writer.h
//
// Scalar logs TensorBoard reads, written without TensorFlow or protobuf.
// A TensorBoardWriter creates `<log_dir>/events.out.tfevents.<unix seconds,
// 10 digits>.<hostname>` (".1", ".2", ... appended if that name exists) and
// appends TFRecord-framed `tensorflow.Event` protobufs encoded by hand:
//
//   record:  uint64 length (little endian) | uint32 masked_crc32c(length)
//            | data | uint32 masked_crc32c(data)
//   mask:    ((crc >> 15) | (crc << 17)) + 0xa282ead8   (crc32c = Castagnoli)
//   Event:   wall_time double = 1; step int64 = 2; file_version string = 3
//            ("brain.Event:2", first record only); summary Summary = 5;
//            session_log SessionLog = 7 (file_version, summary and
//            session_log are members of one oneof: one per event)
//   Summary: repeated Value value = 1;
//   Value:   tag string = 1; simple_value float = 2
//   SessionLog: status enum = 1 (START = 1)
//
// Resuming: a resumed run writes a new events file in the same directory and
// should first call AddSessionStart(first_step), where first_step is the
// first step it will log (checkpoint step + 1). TensorBoard's loader then
// discards the points with step >= first_step that the crashed run logged
// ("orphaned data"), so the curves match an uninterrupted run. Checked with
// tensorboard 2.21's EventAccumulator (tools/check_tensorboard_events.py);
// TensorBoard's optional Rust "fast loading" data server may not purge.
//
// Crash safety: each record is one write() on an O_APPEND descriptor; Flush()
// fsync()s. A torn last record is ignored by TensorBoard's reader (and by
// ReadTfRecords below, which reports it).
//
// Example:
//   TensorBoardWriter tb(run_dir + "/tensorboard");
//   tb.AddScalar("train/loss", 0.52, /*step=*/10);
//   tb.AddScalars({{"eval/loss", 0.61}, {"eval/accuracy", 0.83}}, 100);
//   tb.Flush();
//
// Errors: IoError naming the path when the directory or file cannot be
// created or written; ValueError for an empty tag; IoError from
// ReadTfRecords/DecodeEvent for malformed data (naming what is wrong).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tch::train {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven.
// Crc32c("123456789") == 0xE3069283. `crc` continues a previous result.
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

// TFRecord's CRC masking and its inverse.
uint32_t MaskCrc32c(uint32_t crc);
uint32_t UnmaskCrc32c(uint32_t masked);

// One scalar of an Event's Summary.
struct ScalarValue {
  std::string tag;
  float value = 0;

  bool operator==(const ScalarValue&) const = default;
};

// The fields of tensorflow.Event this module writes and reads back.
struct EventRecord {
  double wall_time = 0;
  int64_t step = 0;
  std::optional<std::string> file_version;
  std::vector<ScalarValue> scalars;   // Summary.value (simple_value only)
  std::optional<int> session_status;  // SessionLog.status (START = 1)

  bool operator==(const EventRecord&) const = default;
};

// Protobuf wire encoding of `event` (fields in increasing number order,
// proto3 defaults such as step 0 omitted). Errors: ValueError when more than
// one of file_version, scalars and session_status is set (Event.what is a
// oneof).
std::string EncodeEvent(const EventRecord& event);

// Decodes an Event (unknown fields skipped; Values without simple_value are
// skipped). Errors: IoError naming the field for truncated or malformed data.
EventRecord DecodeEvent(std::string_view data);

// Wraps `data` in TFRecord framing.
std::string FrameTfRecord(std::string_view data);

// Splits a TFRecord byte stream into record payloads, checking both CRCs.
// A truncated final record is not an error: it is dropped and, if
// `torn_tail` is given, *torn_tail is set to true.
// Errors: IoError naming `source` and the record's byte offset for a CRC
// mismatch.
std::vector<std::string> ReadTfRecords(std::string_view bytes,
                                       const std::string& source = "<bytes>",
                                       bool* torn_tail = nullptr);

struct TensorBoardWriterOptions {
  // Replaces the hostname in the file name (tests; "" = gethostname()).
  std::string hostname;
  // Seconds since the Unix epoch for file names and default wall times
  // (tests; unset = the system clock).
  std::function<double()> clock;
};

class TensorBoardWriter {
 public:
  using Options = TensorBoardWriterOptions;

  // Creates `log_dir` (one level, if missing) and a new events file in it,
  // whose first record is the file_version event.
  // Errors: IoError naming the path when either cannot be created.
  explicit TensorBoardWriter(const std::string& log_dir, Options options = {});
  ~TensorBoardWriter();

  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  // One event holding one scalar (stored as float32, like TensorBoard).
  void AddScalar(const std::string& tag, double value, int64_t step,
                 std::optional<double> wall_time = std::nullopt);

  // One event holding several scalars (in `values` order: sorted by tag).
  void AddScalars(const std::map<std::string, double>& values, int64_t step,
                  std::optional<double> wall_time = std::nullopt);

  // A SessionLog START event at `first_step`: TensorBoard drops the points
  // with step >= `first_step` logged earlier in this directory (see above).
  void AddSessionStart(int64_t first_step,
                       std::optional<double> wall_time = std::nullopt);

  // fsync()s the events file.
  void Flush();

  // The events file being written.
  const std::string& path() const { return path_; }

 private:
  void WriteEvent(const EventRecord& event);
  double Now() const;

  Options options_;
  std::string path_;
  int fd_ = -1;
};

}  // namespace tch::train
