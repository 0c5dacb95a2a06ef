// Thread pool: workers sleep on a condition variable between jobs (after a short spin,
// since kernels arrive back to back) and take tasks from an atomic counter.
#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace lb {
namespace {

thread_local bool tl_inside_pool = false;

class ThreadPool {
 public:
  explicit ThreadPool(int n) { resize(n); }
  ~ThreadPool() { stop_workers(); }

  int size() const { return size_; }

  void resize(int n) {
    n = std::max(1, n);
    if (n == size_ && static_cast<int>(workers_.size()) == n - 1) return;
    stop_workers();
    size_ = n;
    stopping_ = false;
    // A new worker starts from the current generation, read here: read in the thread, it
    // could already include a job issued before the thread ran, which it would then miss.
    const uint64_t seen = generation_.load();
    for (int i = 0; i < n - 1; ++i) workers_.emplace_back([this, seen] { worker_loop(seen); });
  }

  void run(int64_t tasks, const std::function<void(int64_t)>& body) {
    if (tasks <= 0) return;
    if (tasks == 1 || size_ == 1 || tl_inside_pool) {
      for (int64_t t = 0; t < tasks; ++t) body(t);
      return;
    }
    std::lock_guard<std::mutex> serial(run_mutex_);  // one job at a time
    {
      std::lock_guard<std::mutex> lk(mutex_);
      body_ = &body;
      tasks_ = tasks;
      next_.store(0);
      pending_.store(static_cast<int>(workers_.size()));
      error_ = nullptr;
      generation_.fetch_add(1);
    }
    cv_.notify_all();
    tl_inside_pool = true;
    work_on_current_job();
    tl_inside_pool = false;
    // Wait for the workers to leave this job before body_ goes out of scope.
    while (pending_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void work_on_current_job() {
    for (;;) {
      int64_t t = next_.fetch_add(1);
      if (t >= tasks_) break;
      try {
        (*body_)(t);
      } catch (...) {
        std::lock_guard<std::mutex> lk(error_mutex_);
        if (!error_) error_ = std::current_exception();
      }
    }
  }

  void worker_loop(uint64_t seen) {
    tl_inside_pool = true;
    for (;;) {
      // Spin briefly: the next kernel usually follows within microseconds.
      for (int i = 0; i < 20000 && generation_.load(std::memory_order_acquire) == seen &&
                          !stopping_.load(std::memory_order_relaxed); ++i) {
#if defined(__x86_64__)
        __builtin_ia32_pause();
#endif
      }
      {
        std::unique_lock<std::mutex> lk(mutex_);
        cv_.wait(lk, [&] { return stopping_ || generation_.load() != seen; });
        if (stopping_) return;
        seen = generation_.load();
      }
      work_on_current_job();
      pending_.fetch_sub(1, std::memory_order_release);
    }
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lk(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  int size_ = 0;
  std::vector<std::thread> workers_;
  std::mutex mutex_, run_mutex_, error_mutex_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int64_t> next_{0};
  std::atomic<int> pending_{0};
  int64_t tasks_ = 0;
  const std::function<void(int64_t)>* body_ = nullptr;
  std::exception_ptr error_;
  // Atomic: the spin reads it without the lock while stop_workers writes it.
  std::atomic<bool> stopping_{false};
};

int default_threads() {
  if (const char* env = std::getenv("LARGEBATCH_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

ThreadPool& pool() {
  static ThreadPool p(default_threads());
  return p;
}

}  // namespace

int num_threads() { return pool().size(); }
void set_num_threads(int n) { pool().resize(n); }

void parallel_tasks(int64_t tasks, const std::function<void(int64_t)>& body) { pool().run(tasks, body); }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body) {
  if (n <= 0) return;
  int threads = num_threads();
  grain = std::max<int64_t>(grain, 1);
  int64_t chunks = std::min<int64_t>(threads, n / grain);
  if (chunks <= 1 || tl_inside_pool) {
    body(0, n);
    return;
  }
  int64_t step = (n + chunks - 1) / chunks;
  pool().run(chunks, [&](int64_t c) {
    int64_t begin = c * step;
    int64_t end = std::min(n, begin + step);
    if (begin < end) body(begin, end);
  });
}

}  // namespace lb
