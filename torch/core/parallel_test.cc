#include "torch/core/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <numeric>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "torch/core/error.h"

namespace tch {
namespace {

class ParallelTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override { SetNumThreads(GetParam()); }
  void TearDown() override { SetNumThreads(2); }
};

TEST_P(ParallelTest, CoversRangeExactlyOnce) {
  for (int64_t n : {0, 1, 7, 1000, 100003}) {
    std::vector<std::atomic<int>> hits(n);
    ParallelFor(0, n, 16, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) hits[i].fetch_add(1);
    });
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << i;
  }
}

TEST_P(ParallelTest, SmallRangesRunInlineOnTheCaller) {
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id ran_on;
  ParallelFor(0, 100, 1000,
              [&](int64_t, int64_t) { ran_on = std::this_thread::get_id(); });
  EXPECT_EQ(ran_on, caller);
}

TEST_P(ParallelTest, UsesUpToThreadCountChunks) {
  std::mutex mutex;
  std::set<std::thread::id> threads;
  int chunks = 0;
  ParallelFor(0, 1 << 20, 1, [&](int64_t, int64_t) {
    std::lock_guard<std::mutex> lock(mutex);
    threads.insert(std::this_thread::get_id());
    ++chunks;
  });
  EXPECT_EQ(chunks, GetParam());
  EXPECT_LE(static_cast<int>(threads.size()), GetParam());
}

TEST_P(ParallelTest, NestedCallsRunInline) {
  std::atomic<int64_t> total{0};
  ParallelFor(0, 4, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      EXPECT_TRUE(InParallelRegion() || GetParam() == 1);
      ParallelFor(0, 1000, 1, [&](int64_t a, int64_t b) { total += b - a; });
    }
  });
  EXPECT_EQ(total.load(), 4000);
}

TEST_P(ParallelTest, ExceptionsReachTheCaller) {
  EXPECT_THROW(ParallelFor(0, 1000, 1,
                           [](int64_t lo, int64_t) {
                             if (lo == 0) throw std::runtime_error("boom");
                           }),
               std::runtime_error);
  // The pool still works afterwards.
  std::atomic<int64_t> total{0};
  ParallelFor(0, 1000, 1, [&](int64_t lo, int64_t hi) { total += hi - lo; });
  EXPECT_EQ(total.load(), 1000);
}

INSTANTIATE_TEST_SUITE_P(Threads, ParallelTest, ::testing::Values(1, 2, 3, 8));

TEST(ParallelConfigTest, RejectsBadThreadCounts) {
  EXPECT_THROW(SetNumThreads(0), ValueError);
}

}  // namespace
}  // namespace tch
