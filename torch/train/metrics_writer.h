// File: torch/train/metrics_writer.h
//
// Crash-safe, resumable metric logs for a training run. A MetricsWriter owns
// three files in one directory:
//
//   metrics.jsonl  one JSON object per record, keys in a fixed order:
//                    {"step":120,"epoch":1,"split":"train",
//                     "loss":0.6931471805599453,"lr":0.1}
//                  step, epoch, split first, then the metric names sorted
//                  (byte order). Doubles are printed so that they read back
//                  to the same bits (nlohmann::json's Grisu2: 0.1, 1.0,
//                  1e-05); NaN and infinities, which JSON lacks, are written
//                  as the strings "NaN", "Infinity" and "-Infinity" (Python's
//                  float() parses all three).
//   metrics.csv    the same records as a table: header
//                  `step,epoch,split,<metric names sorted>`, one row per
//                  record, an empty cell where a record lacks a metric;
//                  numbers in shortest round-trip form, non-finite values
//                  as nan, inf, -inf; names with ',' or '"' quoted (RFC 4180).
//                  When a record brings a metric name not seen before, the
//                  CSV is regenerated from metrics.jsonl with the widened
//                  header (atomically), so the file is always one
//                  rectangular table whose columns depend only on the set of
//                  names logged so far, never on the order they appeared.
//   timing.jsonl   {"step":120,"epoch":1,"split":"train","wall_time":...}
//                  wall-clock seconds since the Unix epoch, one line per
//                  record; only with `record_wall_time` (the default).
//
// Wall time is kept out of metrics.jsonl and metrics.csv on purpose: the
// trainer guarantees bit-identical metric values between a resumed and an
// uninterrupted run, and these two files are then byte-identical too
// (compare them with cmp); timing.jsonl naturally differs.
//
// Crash safety: every line is appended with a single write() on an O_APPEND
// descriptor, so a crash leaves at most one torn last line; Flush() fsync()s
// all files (call it when a checkpoint is committed). When a run resumes from
// the checkpoint at step S, TruncateAfterStep(S) drops every record with
// step > S (and any torn line) from all three files and rebuilds the CSV, so
// that the records the resumed run appends next produce exactly the files an
// uninterrupted run would have written. Records of step S are kept, so log
// everything of step S (its eval too) before committing the checkpoint at S.
//
// Not thread-safe: one writer per directory, used from one thread.
//
// Example:
//   MetricsWriterOptions options;
//   options.mode = MetricsFileMode::kAppend;  // resuming
//   MetricsWriter metrics(run_dir, options);
//   metrics.TruncateAfterStep(resumed_step);
//   metrics.Append({/*step=*/10, /*epoch=*/0, "train",
//                   {{"loss", 0.52}, {"lr", 0.1}}});
//   metrics.Flush();  // after a checkpoint commit
//   std::vector<MetricRecord> all = ReadMetricsJsonl(run_dir +
//                                                    "/metrics.jsonl");
//
// Errors: ValueError for invalid records (empty or reserved metric names,
// names or splits with control characters, an empty split); IoError naming
// the file for anything the file system refuses, and for malformed lines in
// an existing metrics.jsonl other than a torn last line.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace tch::train {

// One logged record. `values` is ordered by name, which fixes the key order
// of the JSON line.
struct MetricRecord {
  MetricRecord() = default;
  MetricRecord(int64_t step, int64_t epoch, std::string split,
               std::map<std::string, double> values,
               std::optional<double> wall_time = std::nullopt)
      : step(step),
        epoch(epoch),
        split(std::move(split)),
        values(std::move(values)),
        wall_time(wall_time) {}

  int64_t step = 0;
  int64_t epoch = 0;
  std::string split = "train";  // "train" or "eval" (any non-empty name)
  std::map<std::string, double> values;
  // Seconds since the Unix epoch for timing.jsonl; unset = now.
  std::optional<double> wall_time;

  bool operator==(const MetricRecord&) const = default;
};

enum class MetricsFileMode {
  kTruncate,  // start fresh: existing files are emptied
  kAppend,    // keep existing records (resume); repairs a torn last line
};

struct MetricsWriterOptions {
  MetricsFileMode mode = MetricsFileMode::kTruncate;
  bool record_wall_time = true;  // write timing.jsonl
  bool write_csv = true;         // write metrics.csv
};

class MetricsWriter {
 public:
  using Mode = MetricsFileMode;
  using Options = MetricsWriterOptions;

  // Opens (creating as needed) the files in directory `dir`, which must
  // exist. In kAppend mode the existing metrics.jsonl is read to learn the
  // metric names and metrics.csv is regenerated from it.
  //
  // Errors: IoError naming the file when it cannot be opened or
  // metrics.jsonl holds a malformed line that is not the torn last line.
  explicit MetricsWriter(std::string dir, Options options = {});
  ~MetricsWriter();

  MetricsWriter(const MetricsWriter&) = delete;
  MetricsWriter& operator=(const MetricsWriter&) = delete;

  // Appends one record to every file (one write() each).
  //
  // Errors: ValueError for a record that cannot be logged (see file
  // comment; the names "step", "epoch", "split", "wall_time" are reserved);
  // IoError when a write fails.
  void Append(const MetricRecord& record);

  // fsync()s every file so the records appended so far survive a crash.
  void Flush();

  // Removes every record with step > `step` (and a torn last line) from all
  // files, then rewrites them atomically and reopens them for appending.
  // TruncateAfterStep(-1) removes everything.
  void TruncateAfterStep(int64_t step);

  // The metric names seen so far (the CSV columns after step,epoch,split).
  const std::set<std::string>& metric_names() const { return names_; }

  const std::string& dir() const { return dir_; }
  std::string jsonl_path() const { return dir_ + "/metrics.jsonl"; }
  std::string csv_path() const { return dir_ + "/metrics.csv"; }
  std::string timing_path() const { return dir_ + "/timing.jsonl"; }

 private:
  void OpenAll(bool truncate);
  void CloseAll() noexcept;
  void RebuildCsv(const std::vector<MetricRecord>& records);

  std::string dir_;
  Options options_;
  std::set<std::string> names_;
  int jsonl_fd_ = -1;
  int csv_fd_ = -1;
  int timing_fd_ = -1;
};

// Formats a record as its metrics.jsonl line (with the trailing '\n').
// Errors: ValueError as for MetricsWriter::Append.
std::string FormatMetricsJsonLine(const MetricRecord& record);

// Formats a double the way metrics.jsonl does (shortest round-trip form,
// "NaN"/"Infinity"/"-Infinity" as JSON strings) — exposed for tests.
std::string FormatMetricValueJson(double value);

// Reads every record of a metrics.jsonl file (wall_time stays unset). A torn
// last line (no trailing newline) is skipped.
// Errors: IoError naming `path` and the line number for unreadable files and
// malformed lines.
std::vector<MetricRecord> ReadMetricsJsonl(const std::string& path);

}  // namespace tch::train
