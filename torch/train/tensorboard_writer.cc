// File: torch/train/tensorboard_writer.cc
#include "torch/train/tensorboard_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "torch/core/error.h"

namespace tch::train {
namespace {

constexpr std::array<uint32_t, 256> MakeCrc32cTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    table[i] = crc;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kCrc32cTable = MakeCrc32cTable();

// --- protobuf wire format (just what Event needs) ---------------------------

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

void PutVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void PutKey(std::string& out, uint32_t field, WireType type) {
  PutVarint(out, (static_cast<uint64_t>(field) << 3) | type);
}

template <typename T>
void PutFixed(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // x86-64 and aarch64: little endian
  out.append(bytes, sizeof(T));
}

void PutLen(std::string& out, uint32_t field, std::string_view bytes) {
  PutKey(out, field, kLen);
  PutVarint(out, bytes.size());
  out.append(bytes);
}

// A cursor over one message; errors name the message being decoded.
class WireReader {
 public:
  WireReader(std::string_view data, const char* message)
      : data_(data), message_(message) {}

  bool done() const { return pos_ == data_.size(); }

  uint64_t Varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      Need(1, "varint");
      uint8_t byte = static_cast<uint8_t>(data_[pos_++]);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return value;
    }
    Fail("varint longer than 10 bytes");
  }

  template <typename T>
  T Fixed() {
    Need(sizeof(T), "fixed-width field");
    T value;
    std::memcpy(&value, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }

  std::string_view Len() {
    uint64_t size = Varint();
    Need(size, "length-delimited field");
    std::string_view bytes = data_.substr(pos_, size);
    pos_ += size;
    return bytes;
  }

  void Skip(uint32_t type) {
    switch (type) {
      case kVarint:
        Varint();
        return;
      case kFixed64:
        Fixed<uint64_t>();
        return;
      case kLen:
        Len();
        return;
      case kFixed32:
        Fixed<uint32_t>();
        return;
      default:
        Fail(detail::StrCat("unsupported wire type ", type));
    }
  }

  // Fails unless `type` is `expected` (field `name`).
  void Expect(uint32_t type, WireType expected, const char* name) {
    if (type != expected) {
      Fail(detail::StrCat("field ", name, " has wire type ", type,
                          ", expected ", static_cast<uint32_t>(expected)));
    }
  }

  [[noreturn]] void Fail(const std::string& what) const {
    throw IoError(detail::StrCat("TensorBoard event: malformed ", message_,
                                 " at byte ", pos_, ": ", what));
  }

 private:
  void Need(uint64_t n, const char* what) const {
    if (n > data_.size() - pos_) Fail(detail::StrCat("truncated ", what));
  }

  std::string_view data_;
  const char* message_;
  size_t pos_ = 0;
};

ScalarValue DecodeValue(std::string_view data, bool* has_simple_value) {
  WireReader in(data, "Summary.Value");
  ScalarValue value;
  *has_simple_value = false;
  while (!in.done()) {
    uint64_t key = in.Varint();
    uint32_t field = static_cast<uint32_t>(key >> 3);
    uint32_t type = static_cast<uint32_t>(key & 7);
    if (field == 1) {
      in.Expect(type, kLen, "tag");
      value.tag = std::string(in.Len());
    } else if (field == 2) {
      in.Expect(type, kFixed32, "simple_value");
      value.value = in.Fixed<float>();
      *has_simple_value = true;
    } else {
      in.Skip(type);
    }
  }
  return value;
}

void WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    TCH_CHECK_T(IoError, n > 0, "TensorBoardWriter: cannot write to '", path,
                "': ", n < 0 ? std::strerror(errno) : "wrote nothing");
    data.remove_prefix(static_cast<size_t>(n));
  }
}

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') {
    return "localhost";
  }
  return name;
}

}  // namespace

uint32_t Crc32c(std::string_view data, uint32_t crc) {
  crc = ~crc;
  for (unsigned char byte : data) {
    crc = kCrc32cTable[(crc ^ byte) & 0xff] ^ (crc >> 8);
  }
  return ~crc;
}

uint32_t MaskCrc32c(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

uint32_t UnmaskCrc32c(uint32_t masked) {
  uint32_t rotated = masked - 0xa282ead8u;
  return (rotated >> 17) | (rotated << 15);
}

std::string EncodeEvent(const EventRecord& event) {
  int members = event.file_version.has_value() + !event.scalars.empty() +
                event.session_status.has_value();
  TCH_CHECK(members <= 1, "EncodeEvent: event at step ", event.step, " sets ",
            members, " of file_version, scalars and session_log; ",
            "tensorflow.Event holds one of them (oneof 'what')");
  std::string out;
  if (event.wall_time != 0) {
    PutKey(out, 1, kFixed64);
    PutFixed<double>(out, event.wall_time);
  }
  if (event.step != 0) {
    PutKey(out, 2, kVarint);
    PutVarint(out, static_cast<uint64_t>(event.step));
  }
  if (event.file_version) PutLen(out, 3, *event.file_version);
  if (!event.scalars.empty()) {
    std::string summary;
    for (const ScalarValue& scalar : event.scalars) {
      std::string value;
      PutLen(value, 1, scalar.tag);
      // simple_value is a oneof member: written even when 0.
      PutKey(value, 2, kFixed32);
      PutFixed<float>(value, scalar.value);
      PutLen(summary, 1, value);
    }
    PutLen(out, 5, summary);
  }
  if (event.session_status) {
    std::string session_log;
    if (*event.session_status != 0) {
      PutKey(session_log, 1, kVarint);
      PutVarint(session_log, static_cast<uint64_t>(*event.session_status));
    }
    PutLen(out, 7, session_log);
  }
  return out;
}

EventRecord DecodeEvent(std::string_view data) {
  WireReader in(data, "Event");
  EventRecord event;
  while (!in.done()) {
    uint64_t key = in.Varint();
    uint32_t field = static_cast<uint32_t>(key >> 3);
    uint32_t type = static_cast<uint32_t>(key & 7);
    switch (field) {
      case 1:
        in.Expect(type, kFixed64, "wall_time");
        event.wall_time = in.Fixed<double>();
        break;
      case 2:
        in.Expect(type, kVarint, "step");
        event.step = static_cast<int64_t>(in.Varint());
        break;
      case 3:
        in.Expect(type, kLen, "file_version");
        event.file_version = std::string(in.Len());
        break;
      case 5: {
        in.Expect(type, kLen, "summary");
        WireReader summary(in.Len(), "Summary");
        while (!summary.done()) {
          uint64_t skey = summary.Varint();
          if ((skey >> 3) != 1) {
            summary.Skip(static_cast<uint32_t>(skey & 7));
            continue;
          }
          summary.Expect(static_cast<uint32_t>(skey & 7), kLen, "value");
          bool has_simple_value = false;
          ScalarValue value = DecodeValue(summary.Len(), &has_simple_value);
          if (has_simple_value) event.scalars.push_back(std::move(value));
        }
        break;
      }
      case 7: {
        in.Expect(type, kLen, "session_log");
        WireReader log(in.Len(), "SessionLog");
        event.session_status = 0;
        while (!log.done()) {
          uint64_t lkey = log.Varint();
          if ((lkey >> 3) == 1) {
            log.Expect(static_cast<uint32_t>(lkey & 7), kVarint, "status");
            event.session_status = static_cast<int>(log.Varint());
          } else {
            log.Skip(static_cast<uint32_t>(lkey & 7));
          }
        }
        break;
      }
      default:
        in.Skip(type);
    }
  }
  return event;
}

std::string FrameTfRecord(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 16);
  uint64_t length = data.size();
  PutFixed<uint64_t>(out, length);
  PutFixed<uint32_t>(out, MaskCrc32c(Crc32c(out)));
  out.append(data);
  PutFixed<uint32_t>(out, MaskCrc32c(Crc32c(data)));
  return out;
}

std::vector<std::string> ReadTfRecords(std::string_view bytes,
                                       const std::string& source,
                                       bool* torn_tail) {
  std::vector<std::string> records;
  if (torn_tail) *torn_tail = false;
  size_t pos = 0;
  auto load32 = [&](size_t at) {
    uint32_t v;
    std::memcpy(&v, bytes.data() + at, 4);
    return v;
  };
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 12) break;  // torn header
    uint64_t length;
    std::memcpy(&length, bytes.data() + pos, 8);
    uint32_t length_crc = MaskCrc32c(Crc32c(bytes.substr(pos, 8)));
    TCH_CHECK_T(IoError, load32(pos + 8) == length_crc, source,
                ": TFRecord at byte ", pos,
                ": length CRC mismatch (corrupt file)");
    uint64_t available = bytes.size() - pos - 12;
    if (length > available || available - length < 4) break;  // torn payload
    std::string_view data = bytes.substr(pos + 12, length);
    TCH_CHECK_T(IoError, load32(pos + 12 + length) == MaskCrc32c(Crc32c(data)),
                source, ": TFRecord at byte ", pos,
                ": data CRC mismatch (corrupt file)");
    records.emplace_back(data);
    pos += 12 + length + 4;
  }
  if (pos < bytes.size() && torn_tail) *torn_tail = true;
  return records;
}

TensorBoardWriter::TensorBoardWriter(const std::string& log_dir,
                                     Options options)
    : options_(std::move(options)) {
  if (::mkdir(log_dir.c_str(), 0777) != 0) {
    TCH_CHECK_T(IoError, errno == EEXIST,
                "TensorBoardWriter: cannot create log directory '", log_dir,
                "': ", std::strerror(errno));
  }
  std::string host = options_.hostname.empty() ? HostName() : options_.hostname;
  for (char& c : host) {
    if (c == '/') c = '_';
  }
  char stamp[32];
  std::snprintf(stamp, sizeof(stamp), "%010lld",
                static_cast<long long>(std::floor(Now())));
  std::string base = log_dir + "/events.out.tfevents." + stamp + "." + host;
  // A second writer in the same second (a quick restart) gets its own file.
  for (int n = 0; fd_ < 0; ++n) {
    path_ = n == 0 ? base : base + "." + std::to_string(n);
    fd_ = ::open(path_.c_str(),
                 O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0666);
    TCH_CHECK_T(IoError, fd_ >= 0 || (errno == EEXIST && n < 1000),
                "TensorBoardWriter: cannot create events file '", path_,
                "': ", std::strerror(errno));
  }
  EventRecord first;
  first.wall_time = Now();
  first.file_version = "brain.Event:2";
  WriteEvent(first);
}

TensorBoardWriter::~TensorBoardWriter() {
  if (fd_ >= 0) ::close(fd_);
}

double TensorBoardWriter::Now() const {
  if (options_.clock) return options_.clock();
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

void TensorBoardWriter::WriteEvent(const EventRecord& event) {
  WriteAll(fd_, FrameTfRecord(EncodeEvent(event)), path_);
}

void TensorBoardWriter::AddScalar(const std::string& tag, double value,
                                  int64_t step,
                                  std::optional<double> wall_time) {
  AddScalars({{tag, value}}, step, wall_time);
}

void TensorBoardWriter::AddScalars(const std::map<std::string, double>& values,
                                   int64_t step,
                                   std::optional<double> wall_time) {
  EventRecord event;
  event.wall_time = wall_time.value_or(Now());
  event.step = step;
  for (const auto& [tag, value] : values) {
    TCH_CHECK(!tag.empty(), "TensorBoardWriter: scalar at step ", step,
              " has an empty tag; expected e.g. \"train/loss\"");
    event.scalars.push_back({tag, static_cast<float>(value)});
  }
  if (event.scalars.empty()) return;
  WriteEvent(event);
}

void TensorBoardWriter::AddSessionStart(int64_t first_step,
                                        std::optional<double> wall_time) {
  EventRecord event;
  event.wall_time = wall_time.value_or(Now());
  event.step = first_step;
  event.session_status = 1;  // SessionLog.START
  WriteEvent(event);
}

void TensorBoardWriter::Flush() {
  TCH_CHECK_T(IoError, ::fsync(fd_) == 0, "TensorBoardWriter: cannot fsync '",
              path_, "': ", std::strerror(errno));
}

}  // namespace tch::train
