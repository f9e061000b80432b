// File: torch/core/generator.h
//
// `tch::Generator`, the seed and position of a Philox4x32-10 random stream
// (see torch/core/philox.h), and `DefaultCpuGenerator()`, the process-wide
// generator that random ops use when the caller passes none.
//
// A generator does not produce numbers itself. It hands out disjoint ranges
// of Philox blocks: a random op reserves the blocks it needs once, then any
// number of threads compute element `i` from block `start + i / 4`, word
// `i % 4`, with the key from the seed. The generator's whole state is
// therefore two integers, and saving and restoring them replays a stream
// exactly, whatever the thread count.
//
// Example:
//
//   tch::Generator gen(/*seed=*/42);
//   const int64_t n = 1000;
//   const tch::Generator::Reservation r = gen.Reserve((n + 3) / 4);
//   const tch::PhiloxKey key = tch::PhiloxKeyFromSeed(r.seed);
//   // ... any thread: out[i] = Uint32ToUniformFloat(
//   //         PhiloxWordAt(key, /*subsequence=*/0, r.start_offset, i));
//
//   std::vector<uint8_t> saved = gen.GetState();
//   ...
//   gen.SetState(saved);  // The next reservation repeats the same blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

namespace tch {

// The seed a default-constructed generator starts from (PyTorch's default,
// so an unseeded tch program draws from the same key as an unseeded PyTorch
// program).
inline constexpr uint64_t kDefaultGeneratorSeed = 67280421310721ull;

// A seed and a 64-bit offset counting the 128-bit Philox blocks already handed
// out. All methods are thread-safe; a generator is neither copyable nor
// movable (clone one with `GetState` / `SetState`).
class Generator {
 public:
  // The result of `Reserve`: the seed in effect and the first reserved block.
  struct Reservation {
    uint64_t seed;
    uint64_t start_offset;
  };

  // Serialized state, version 1: 24 bytes, little-endian regardless of host:
  //   bytes  0..3   magic "TCHG"
  //   bytes  4..7   uint32 version (= kStateVersion)
  //   bytes  8..15  uint64 seed
  //   bytes 16..23  uint64 offset
  static constexpr uint32_t kStateVersion = 1;
  static constexpr size_t kStateSize = 24;

  // Creates a generator at offset 0 of `seed`'s stream.
  explicit Generator(uint64_t seed = kDefaultGeneratorSeed);

  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  // Switches to `seed` and resets the offset to 0, like `torch.manual_seed`.
  void set_seed(uint64_t seed);

  // The current seed.
  uint64_t seed() const;

  // The number of blocks handed out since the last `set_seed` (or the value
  // last given to `set_offset` / `SetState`, plus what was handed out since).
  uint64_t offset() const;

  // Moves the stream position to block `offset`, keeping the seed.
  void set_offset(uint64_t offset);

  // Reserves `n` blocks (4 * n 32-bit words) and returns the first one's
  // offset; the offset advances by `n` atomically, so concurrent callers get
  // disjoint ranges. `n == 0` returns the current offset and changes nothing.
  // Throws tch::ValueError when the 64-bit offset would overflow.
  // To read the seed consistently with the reservation when another thread
  // may call `set_seed`, use `Reserve`.
  uint64_t ReserveBlocks(uint64_t n);

  // Like `ReserveBlocks`, also returning the seed read under the same lock.
  Reservation Reserve(uint64_t n);

  // Returns the state in the versioned layout documented at `kStateVersion`.
  std::vector<uint8_t> GetState() const;

  // Restores a state produced by `GetState` (of any generator). Throws
  // tch::ValueError, leaving the generator unchanged, when `state` is
  // malformed: shorter than its 8-byte header, wrong magic, a version this
  // build does not read, or a size that does not match the version.
  void SetState(std::span<const uint8_t> state);

 private:
  mutable std::mutex mutex_;
  uint64_t seed_;
  uint64_t offset_;
};

// The process-wide CPU generator: the one global, registry-like object in tch,
// used by random ops that are given no generator. Created on first use with
// `kDefaultGeneratorSeed` and never destroyed. Thread-safe like any Generator.
Generator& DefaultCpuGenerator();

}  // namespace tch
