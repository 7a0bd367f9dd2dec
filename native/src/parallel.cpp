#include "parallel.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace kdlts {

int hardware_threads() {
  static const int n = std::max(1u, std::thread::hardware_concurrency());
  return n;
}

int resolve_threads(const kdlts_exec* exec) {
  if (exec != nullptr && exec->num_threads > 0) return exec->num_threads;
  return hardware_threads();
}

namespace {

// One job at a time; workers sleep on a condition variable between jobs.
class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }

  // Returns false when another caller holds the pool (the caller then runs inline).
  bool run(int64_t num_tasks, int num_threads, const std::function<void(int64_t)>& fn) {
    // An atomic flag, not a mutex: a task that calls parallel_for again on the caller's thread
    // must see "busy" rather than re-lock a mutex it holds.
    if (busy_.exchange(true)) return false;
    struct Release {
      std::atomic<bool>& flag;
      ~Release() { flag.store(false); }
    } release{busy_};
    const int helpers = static_cast<int>(std::min<int64_t>(num_threads, num_tasks)) - 1;
    ensure_workers(helpers);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fn_ = &fn;
      num_tasks_ = num_tasks;
      next_.store(0);
      error_ = nullptr;
      active_helpers_ = helpers;
      pending_helpers_ = helpers;
      ++generation_;
    }
    wake_.notify_all();
    work();  // the caller works too
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_helpers_ == 0; });
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
    return true;
  }

 private:
  void ensure_workers(int count) {
    while (static_cast<int>(workers_.size()) < count) {
      const int index = static_cast<int>(workers_.size());
      workers_.emplace_back([this, index] { worker_loop(index); });
    }
  }

  void worker_loop(int index) {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        if (index >= active_helpers_) continue;  // not needed for this job
      }
      work();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (--pending_helpers_ == 0) done_.notify_one();
      }
    }
  }

  void work() {
    for (;;) {
      const int64_t task = next_.fetch_add(1);
      if (task >= num_tasks_) return;
      try {
        (*fn_)(task);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
        next_.store(num_tasks_);  // stop handing out tasks
      }
    }
  }

  std::atomic<bool> busy_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::vector<std::thread> workers_;
  const std::function<void(int64_t)>* fn_ = nullptr;
  int64_t num_tasks_ = 0;
  std::atomic<int64_t> next_{0};
  std::exception_ptr error_;
  int active_helpers_ = 0;
  int pending_helpers_ = 0;
  uint64_t generation_ = 0;
  bool stopping_ = false;
};

Pool& pool() {
  static Pool instance;
  return instance;
}

}  // namespace

void parallel_for(int64_t num_tasks, int num_threads, const std::function<void(int64_t)>& fn) {
  if (num_tasks <= 0) return;
  if (num_threads > 1 && num_tasks > 1 && pool().run(num_tasks, num_threads, fn)) return;
  for (int64_t task = 0; task < num_tasks; ++task) fn(task);
}

}  // namespace kdlts
