#include "torch/core/parallel.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "torch/core/error.h"

namespace tch {
namespace {

thread_local bool in_parallel_region = false;

int DefaultNumThreads() {
  const char* env = std::getenv("TCH_NUM_THREADS");
  if (env != nullptr && *env != '\0') {
    const std::string_view text(env);
    int n = 0;
    const auto [end, ec] =
        std::from_chars(text.data(), text.data() + text.size(), n);
    TCH_CHECK(ec == std::errc() && end == text.data() + text.size() && n >= 1,
              "TCH_NUM_THREADS: expected a positive integer, got '", text, "'");
    return n;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

// One ParallelFor call in flight. Shared with the workers so that a worker
// finishing late never touches freed memory.
struct Job {
  const std::function<void(int64_t, int64_t)>* fn = nullptr;
  int64_t begin = 0;
  int64_t end = 0;
  int64_t chunk = 0;
  int64_t num_chunks = 0;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> remaining{0};
  std::mutex mutex;  // guards `error` and pairs with `done`
  std::condition_variable done;
  std::exception_ptr error;

  // Runs chunks until none are left; returns after the last one this thread
  // took has finished.
  void Work() {
    for (int64_t i = next.fetch_add(1); i < num_chunks; i = next.fetch_add(1)) {
      const int64_t lo = begin + i * chunk;
      const int64_t hi = std::min(end, lo + chunk);
      try {
        (*fn)(lo, hi);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!error) error = std::current_exception();
      }
      if (remaining.fetch_sub(1) == 1) {
        std::lock_guard<std::mutex> lock(mutex);
        done.notify_all();
      }
    }
  }
};

class ThreadPool {
 public:
  ~ThreadPool() { Stop(); }

  int num_threads() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (num_threads_ == 0) num_threads_ = DefaultNumThreads();
    return num_threads_;
  }

  void Resize(int n) {
    std::lock_guard<std::mutex> submit(submit_mutex_);
    Stop();
    std::lock_guard<std::mutex> lock(mutex_);
    num_threads_ = n;
  }

  void Run(const std::shared_ptr<Job>& job) {
    std::lock_guard<std::mutex> submit(submit_mutex_);  // one job at a time
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (workers_.empty() && num_threads_ > 1) Start(num_threads_ - 1);
      job_ = job;
      ++generation_;
    }
    wake_.notify_all();
    in_parallel_region = true;
    job->Work();
    in_parallel_region = false;
    std::unique_lock<std::mutex> lock(job->mutex);
    job->done.wait(lock, [&] { return job->remaining.load() == 0; });
  }

 private:
  void Start(int n) {
    stop_ = false;
    for (int i = 0; i < n; ++i) {
      workers_.emplace_back([this] { WorkerLoop(); });
    }
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
    workers_.clear();
    job_.reset();
  }

  void WorkerLoop() {
    in_parallel_region = true;
    uint64_t seen = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      seen = generation_;
    }
    while (true) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        job = job_;
      }
      if (job) job->Work();
    }
  }

  std::mutex submit_mutex_;  // serializes Run and Resize
  std::mutex mutex_;         // guards everything below
  std::condition_variable wake_;
  std::vector<std::thread> workers_;
  std::shared_ptr<Job> job_;
  uint64_t generation_ = 0;
  int num_threads_ = 0;
  bool stop_ = false;
};

ThreadPool& Pool() {
  static ThreadPool* pool = new ThreadPool();  // workers live until exit
  return *pool;
}

}  // namespace

int GetNumThreads() { return Pool().num_threads(); }

void SetNumThreads(int n) {
  TCH_CHECK(n >= 1, "SetNumThreads: expected a positive thread count, got ", n);
  TCH_CHECK(!in_parallel_region,
            "SetNumThreads: cannot change the thread count inside ParallelFor");
  Pool().Resize(n);
}

bool InParallelRegion() { return in_parallel_region; }

void ParallelFor(int64_t begin, int64_t end, int64_t grain_size,
                 const std::function<void(int64_t, int64_t)>& fn) {
  if (begin >= end) return;
  const int64_t range = end - begin;
  grain_size = std::max<int64_t>(grain_size, 1);
  const int threads = in_parallel_region ? 1 : GetNumThreads();
  if (threads == 1 || range <= grain_size) {
    fn(begin, end);
    return;
  }
  auto job = std::make_shared<Job>();
  job->fn = &fn;
  job->begin = begin;
  job->end = end;
  job->num_chunks =
      std::min<int64_t>(threads, (range + grain_size - 1) / grain_size);
  job->chunk = (range + job->num_chunks - 1) / job->num_chunks;
  job->num_chunks = (range + job->chunk - 1) / job->chunk;
  job->remaining = job->num_chunks;
  Pool().Run(job);
  if (job->error) std::rethrow_exception(job->error);
}

}  // namespace tch
