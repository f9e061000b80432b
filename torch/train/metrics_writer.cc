// File: torch/train/metrics_writer.cc
#include "torch/train/metrics_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "torch/core/error.h"
#include "torch/core/file_util.h"

namespace tch::train {
namespace {

using OrderedJson = nlohmann::ordered_json;

constexpr const char* kReserved[] = {"step", "epoch", "split", "wall_time"};

bool HasControlChar(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

void ValidateRecord(const MetricRecord& record) {
  TCH_CHECK(!record.split.empty(), "MetricsWriter: record at step ",
            record.step, " has an empty split; expected e.g. \"train\"");
  TCH_CHECK(!HasControlChar(record.split), "MetricsWriter: split of the ",
            "record at step ", record.step,
            " contains a control character (newline, tab, ...)");
  for (const auto& [name, value] : record.values) {
    TCH_CHECK(!name.empty(), "MetricsWriter: record at step ", record.step,
              " has a metric with an empty name");
    TCH_CHECK(!HasControlChar(name), "MetricsWriter: metric name '", name,
              "' at step ", record.step, " contains a control character");
    for (const char* reserved : kReserved) {
      TCH_CHECK(name != reserved, "MetricsWriter: metric name '", name,
                "' at step ", record.step,
                " is reserved (step, epoch, split and wall_time are columns "
                "of every record); rename the metric");
    }
  }
}

OrderedJson ValueJson(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return value;
}

// Shortest round-trip text for CSV cells.
std::string CsvNumber(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof(buf), value);
  return std::string(buf, result.ptr);
}

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string CsvHeader(const std::set<std::string>& names) {
  std::string line = "step,epoch,split";
  for (const auto& name : names) line += "," + CsvField(name);
  return line + "\n";
}

std::string CsvRow(const MetricRecord& record,
                   const std::set<std::string>& names) {
  std::string line = std::to_string(record.step) + "," +
                     std::to_string(record.epoch) + "," +
                     CsvField(record.split);
  for (const auto& name : names) {
    line += ',';
    auto it = record.values.find(name);
    if (it != record.values.end()) line += CsvNumber(it->second);
  }
  return line + "\n";
}

int OpenAppend(const std::string& path, bool truncate) {
  int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
  if (truncate) flags |= O_TRUNC;
  int fd = ::open(path.c_str(), flags, 0666);
  TCH_CHECK_T(IoError, fd >= 0, "MetricsWriter: cannot open '", path,
              "' for appending: ", std::strerror(errno));
  return fd;
}

// One write() in the normal case; loops only on a short write or EINTR.
void WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    TCH_CHECK_T(IoError, n > 0, "MetricsWriter: cannot write to '", path,
                "': ", n < 0 ? std::strerror(errno) : "wrote nothing");
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void Fsync(int fd, const std::string& path) {
  if (fd < 0) return;
  TCH_CHECK_T(IoError, ::fsync(fd) == 0, "MetricsWriter: cannot fsync '", path,
              "': ", std::strerror(errno));
}

std::string ReadIfExists(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0) return "";
  return ReadFile(path);
}

// The complete lines of `text` (each without its '\n'); a last line without
// '\n' is torn and left out.
std::vector<std::string_view> CompleteLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string_view::npos;
       start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  return lines;
}

int64_t IntField(const OrderedJson& object, const char* key,
                 const std::string& where) {
  auto it = object.find(key);
  TCH_CHECK_T(IoError, it != object.end() && it->is_number_integer(), where,
              ": expected an integer \"", key, "\" field");
  return it->get<int64_t>();
}

MetricRecord ParseLine(std::string_view line, const std::string& where) {
  OrderedJson object = OrderedJson::parse(line, nullptr, false);
  TCH_CHECK_T(IoError, object.is_object(), where,
              ": expected a JSON object per line, found '", line.substr(0, 80),
              "'");
  MetricRecord record;
  record.step = IntField(object, "step", where);
  record.epoch = IntField(object, "epoch", where);
  auto split = object.find("split");
  TCH_CHECK_T(IoError, split != object.end() && split->is_string(), where,
              ": expected a string \"split\" field");
  record.split = split->get<std::string>();
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string& key = it.key();
    if (key == "step" || key == "epoch" || key == "split") continue;
    double value;
    if (it->is_number()) {
      value = it->get<double>();
    } else if (*it == "NaN") {
      value = std::nan("");
    } else if (*it == "Infinity") {
      value = HUGE_VAL;
    } else if (*it == "-Infinity") {
      value = -HUGE_VAL;
    } else {
      throw IoError(detail::StrCat(where, ": metric \"", key,
                                   "\" is not a number (found ", it->dump(),
                                   ")"));
    }
    record.values.emplace(key, value);
  }
  return record;
}

// The step of a metrics.jsonl or timing.jsonl line, or nullopt when the line
// is not a JSON object with an integer step.
std::optional<int64_t> LineStep(std::string_view line) {
  OrderedJson object = OrderedJson::parse(line, nullptr, false);
  if (!object.is_object()) return std::nullopt;
  auto it = object.find("step");
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

double WallClockNow() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string FormatMetricValueJson(double value) {
  return ValueJson(value).dump();
}

std::string FormatMetricsJsonLine(const MetricRecord& record) {
  ValidateRecord(record);
  OrderedJson object = OrderedJson::object();
  object["step"] = record.step;
  object["epoch"] = record.epoch;
  object["split"] = record.split;
  for (const auto& [name, value] : record.values) {
    object[name] = ValueJson(value);
  }
  // Names are validated above; replace is a guard against invalid UTF-8.
  return object.dump(-1, ' ', false, OrderedJson::error_handler_t::replace) +
         "\n";
}

std::vector<MetricRecord> ReadMetricsJsonl(const std::string& path) {
  std::string text = ReadFile(path);
  std::vector<MetricRecord> records;
  int line_number = 0;
  for (std::string_view line : CompleteLines(text)) {
    ++line_number;
    records.push_back(ParseLine(line, detail::StrCat(path, ":", line_number)));
  }
  return records;
}

MetricsWriter::MetricsWriter(std::string dir, Options options)
    : dir_(std::move(dir)), options_(options) {
  if (options_.mode == Mode::kTruncate) {
    OpenAll(/*truncate=*/true);
  } else {
    // Validates every complete line, drops a torn last line, learns the
    // metric names and regenerates metrics.csv from metrics.jsonl.
    TruncateAfterStep(INT64_MAX);
  }
}

MetricsWriter::~MetricsWriter() { CloseAll(); }

void MetricsWriter::OpenAll(bool truncate) {
  CloseAll();
  jsonl_fd_ = OpenAppend(jsonl_path(), truncate);
  if (options_.write_csv) {
    csv_fd_ = OpenAppend(csv_path(), truncate);
    if (truncate) WriteAll(csv_fd_, CsvHeader(names_), csv_path());
  }
  if (options_.record_wall_time) {
    timing_fd_ = OpenAppend(timing_path(), truncate);
  }
}

void MetricsWriter::CloseAll() noexcept {
  for (int* fd : {&jsonl_fd_, &csv_fd_, &timing_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void MetricsWriter::Append(const MetricRecord& record) {
  std::string line = FormatMetricsJsonLine(record);  // validates
  WriteAll(jsonl_fd_, line, jsonl_path());
  bool new_name = false;
  for (const auto& [name, value] : record.values) {
    new_name |= names_.insert(name).second;
  }
  if (options_.write_csv) {
    if (new_name) {
      // metrics.jsonl (just appended) is the source of truth.
      RebuildCsv(ReadMetricsJsonl(jsonl_path()));
    } else {
      WriteAll(csv_fd_, CsvRow(record, names_), csv_path());
    }
  }
  if (options_.record_wall_time) {
    OrderedJson timing = OrderedJson::object();
    timing["step"] = record.step;
    timing["epoch"] = record.epoch;
    timing["split"] = record.split;
    timing["wall_time"] = record.wall_time.value_or(WallClockNow());
    WriteAll(
        timing_fd_,
        timing.dump(-1, ' ', false, OrderedJson::error_handler_t::replace) +
            "\n",
        timing_path());
  }
}

void MetricsWriter::RebuildCsv(const std::vector<MetricRecord>& records) {
  std::string text = CsvHeader(names_);
  for (const auto& record : records) text += CsvRow(record, names_);
  if (csv_fd_ >= 0) ::close(csv_fd_);
  csv_fd_ = -1;
  WriteFileAtomically(csv_path(), text);
  csv_fd_ = OpenAppend(csv_path(), /*truncate=*/false);
}

void MetricsWriter::Flush() {
  Fsync(jsonl_fd_, jsonl_path());
  Fsync(csv_fd_, csv_path());
  Fsync(timing_fd_, timing_path());
  // New files need their directory entries on disk too.
  int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  TCH_CHECK_T(IoError, dir_fd >= 0, "MetricsWriter: cannot open directory '",
              dir_, "': ", std::strerror(errno));
  int rc = ::fsync(dir_fd);
  int saved_errno = errno;
  ::close(dir_fd);
  TCH_CHECK_T(IoError, rc == 0, "MetricsWriter: cannot fsync directory '", dir_,
              "': ", std::strerror(saved_errno));
}

void MetricsWriter::TruncateAfterStep(int64_t step) {
  CloseAll();
  // metrics.jsonl: keep the original bytes of every retained line, so that
  // retained records are byte-identical to what was written.
  std::string text = ReadIfExists(jsonl_path());
  std::string kept;
  std::vector<MetricRecord> records;
  int line_number = 0;
  for (std::string_view line : CompleteLines(text)) {
    ++line_number;
    MetricRecord record =
        ParseLine(line, detail::StrCat(jsonl_path(), ":", line_number));
    if (record.step > step) continue;
    kept.append(line).push_back('\n');
    records.push_back(std::move(record));
  }
  if (kept != text) WriteFileAtomically(jsonl_path(), kept);

  names_.clear();
  for (const auto& record : records) {
    for (const auto& [name, value] : record.values) names_.insert(name);
  }

  // timing.jsonl is informational: malformed or torn lines are dropped.
  if (options_.record_wall_time) {
    std::string timing = ReadIfExists(timing_path());
    std::string timing_kept;
    for (std::string_view line : CompleteLines(timing)) {
      std::optional<int64_t> line_step = LineStep(line);
      if (line_step && *line_step <= step) {
        timing_kept.append(line).push_back('\n');
      }
    }
    if (timing_kept != timing) WriteFileAtomically(timing_path(), timing_kept);
  }

  OpenAll(/*truncate=*/false);
  if (options_.write_csv) RebuildCsv(records);
}

}  // namespace tch::train
