#include "torch/core/generator.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <ios>
#include <iterator>
#include <limits>
#include <mutex>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "torch/core/error.h"

namespace tch {
namespace {

constexpr uint8_t kMagic[4] = {'T', 'C', 'H', 'G'};
constexpr size_t kHeaderSize = 8;  // Magic and version.

void PutLittleEndian(uint64_t value, int n_bytes, uint8_t* out) {
  for (int i = 0; i < n_bytes; ++i) {
    out[i] = static_cast<uint8_t>(value >> (8 * i));
  }
}

uint64_t GetLittleEndian(const uint8_t* in, int n_bytes) {
  uint64_t value = 0;
  for (int i = 0; i < n_bytes; ++i) {
    value |= static_cast<uint64_t>(in[i]) << (8 * i);
  }
  return value;
}

// Renders bytes as space-separated hex, e.g. "54 43 48 47".
std::string HexBytes(std::span<const uint8_t> bytes) {
  std::ostringstream out;
  out << std::hex;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) out << ' ';
    out << (bytes[i] >> 4) << (bytes[i] & 0xF);
  }
  return out.str();
}

}  // namespace

Generator::Generator(uint64_t seed) : seed_(seed), offset_(0) {}

void Generator::set_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  seed_ = seed;
  offset_ = 0;
}

uint64_t Generator::seed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return seed_;
}

uint64_t Generator::offset() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return offset_;
}

void Generator::set_offset(uint64_t offset) {
  std::lock_guard<std::mutex> lock(mutex_);
  offset_ = offset;
}

uint64_t Generator::ReserveBlocks(uint64_t n) {
  return Reserve(n).start_offset;
}

Generator::Reservation Generator::Reserve(uint64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  TCH_CHECK(n <= std::numeric_limits<uint64_t>::max() - offset_,
            "Generator::ReserveBlocks: reserving ", n, " blocks at offset ",
            offset_, " would overflow the 64-bit block offset");
  const Reservation reservation{seed_, offset_};
  offset_ += n;
  return reservation;
}

std::vector<uint8_t> Generator::GetState() const {
  std::vector<uint8_t> state(kStateSize);
  std::copy(std::begin(kMagic), std::end(kMagic), state.begin());
  PutLittleEndian(kStateVersion, 4, &state[4]);
  std::lock_guard<std::mutex> lock(mutex_);
  PutLittleEndian(seed_, 8, &state[8]);
  PutLittleEndian(offset_, 8, &state[16]);
  return state;
}

void Generator::SetState(std::span<const uint8_t> state) {
  TCH_CHECK(state.size() >= kHeaderSize, "Generator::SetState: state has ",
            state.size(), " bytes, too short for the ", kHeaderSize,
            "-byte header (magic and version); expected ", kStateSize,
            " bytes from Generator::GetState");
  TCH_CHECK(std::equal(std::begin(kMagic), std::end(kMagic), state.begin()),
            "Generator::SetState: bad magic: expected \"TCHG\" "
            "(54 43 48 47), got ",
            HexBytes(state.first(4)), "; not a tch generator state");
  const uint64_t version = GetLittleEndian(&state[4], 4);
  TCH_CHECK(version == kStateVersion,
            "Generator::SetState: unsupported state version ", version,
            "; this build reads version ", kStateVersion);
  TCH_CHECK(state.size() == kStateSize, "Generator::SetState: state has ",
            state.size(), " bytes; version ", kStateVersion, " states have ",
            kStateSize);
  const uint64_t seed = GetLittleEndian(&state[8], 8);
  const uint64_t offset = GetLittleEndian(&state[16], 8);
  std::lock_guard<std::mutex> lock(mutex_);
  seed_ = seed;
  offset_ = offset;
}

Generator& DefaultCpuGenerator() {
  // Leaked on purpose: random ops may run during static destruction.
  static Generator* const generator = new Generator();
  return *generator;
}

}  // namespace tch
