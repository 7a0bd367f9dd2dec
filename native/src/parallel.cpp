#include "parallel.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace kdlts {

// The default thread count: KDLTS_NUM_THREADS when set to a positive integer (e.g. several
// worker processes sharing the cores), else every hardware thread.
int hardware_threads() {
  static const int n = [] {
    const char* env = std::getenv("KDLTS_NUM_THREADS");
    if (env != nullptr) {
      char* end = nullptr;
      const long v = std::strtol(env, &end, 10);
      if (end != env && *end == '\0' && v > 0 && v <= 4096) return static_cast<int>(v);
    }
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }();
  return n;
}

int resolve_threads(const kdlts_exec* exec) {
  if (exec != nullptr && exec->num_threads > 0) return exec->num_threads;
  return hardware_threads();
}

namespace {

// How long an idle worker (or a caller waiting for its helpers) spins before sleeping. Training
// runs thousands of small kernels back to back: waking a sleeping thread costs ~50-200 us, far
// more than many of those kernels take. A bounded spin keeps the wake-up to well under a
// microsecond without holding a core when nothing follows. KDLTS_SPIN_US overrides (0: never spin).
std::chrono::microseconds spin_budget() {
  static const std::chrono::microseconds budget = [] {
    const char* env = std::getenv("KDLTS_SPIN_US");
    if (env != nullptr && *env != '\0') return std::chrono::microseconds(std::max(0L, std::atol(env)));
    return std::chrono::microseconds(200);
  }();
  return budget;
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// Spins until done() or the spin budget is spent; returns done().
template <typename Done>
bool spin_until(Done&& done) {
  if (done()) return true;
  const auto budget = spin_budget();
  if (budget.count() == 0) return false;
  const auto until = std::chrono::steady_clock::now() + budget;
  for (int i = 1;; ++i) {
    // Pause first; then yield, so that more threads than cores (a caller asking for 7 threads on
    // 2 cores) still make progress instead of spinning against each other.
    if (i < 256) cpu_relax();
    else std::this_thread::yield();
    if (done()) return true;
    if ((i & 63) == 0 && std::chrono::steady_clock::now() >= until) return done();
  }
}

// One job at a time. Workers spin briefly, then sleep on a condition variable between jobs.
class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_.store(true);
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
    const int helpers = static_cast<int>(std::min<int64_t>({num_threads, num_tasks, 4096})) - 1;
    ensure_workers(helpers);
    fn_ = &fn;
    num_tasks_ = num_tasks;
    next_.store(0);
    error_ = nullptr;
    pending_helpers_.store(helpers);
    {
      // Under the mutex, so a worker about to sleep cannot miss the new job.
      std::lock_guard<std::mutex> lock(mutex_);
      job_.store(((job_.load() >> 16) + 1) << 16 | uint64_t(helpers), std::memory_order_release);
    }
    wake_.notify_all();
    work();  // the caller works too
    if (!spin_until([&] { return pending_helpers_.load(std::memory_order_acquire) == 0; })) {
      std::unique_lock<std::mutex> lock(mutex_);
      done_.wait(lock, [&] { return pending_helpers_.load() == 0; });
    }
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
    return true;
  }

 private:
  void ensure_workers(int count) {
    while (static_cast<int>(workers_.size()) < count) {
      const int index = static_cast<int>(workers_.size());
      const uint64_t job = job_.load();  // read before the new job is published
      workers_.emplace_back([this, index, job] { worker_loop(index, job); });
    }
  }

  void worker_loop(int index, uint64_t seen) {
    for (;;) {
      const auto changed = [&] {
        return stopping_.load(std::memory_order_acquire) ||
               job_.load(std::memory_order_acquire) != seen;
      };
      if (!spin_until(changed)) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, changed);
      }
      if (stopping_.load()) return;
      // One read gives the job and its helper count together: a worker that wakes late never
      // pairs an old job with a newer count.
      seen = job_.load(std::memory_order_acquire);
      if (index >= static_cast<int>(seen & 0xffff)) continue;  // not needed for this job
      work();
      if (pending_helpers_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mutex_);  // pairs with the caller's sleep
        done_.notify_one();
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
  // Job fields: written by the caller before job_ is published (release), read by workers after
  // they see it (acquire).
  const std::function<void(int64_t)>* fn_ = nullptr;
  int64_t num_tasks_ = 0;
  std::atomic<int64_t> next_{0};
  std::exception_ptr error_;
  std::atomic<int> pending_helpers_{0};
  std::atomic<uint64_t> job_{0};  // generation << 16 | helpers wanted
  std::atomic<bool> stopping_{false};
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
