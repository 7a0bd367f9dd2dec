// A small persistent thread pool for the CPU backend.
//
// parallel_for(num_tasks, num_threads, fn) calls fn(task) for every task in [0, num_tasks) and
// returns when all are done. Tasks are claimed dynamically, so callers that need bitwise
// determinism must make each task's result independent of which thread ran it (fixed chunking,
// per-task partial results reduced in task order) — every kernel in the core does so.
// An exception thrown by a task is rethrown on the caller's thread after all tasks stop.
// Calls from several threads at once are safe: a caller that finds the pool busy runs its
// tasks on its own thread.
#pragma once

#include <cstdint>
#include <functional>

#include "kdlts.h"

namespace kdlts {

// Hardware threads (>= 1).
int hardware_threads();

// The thread count an op should use: exec->num_threads when > 0, else hardware_threads().
int resolve_threads(const kdlts_exec* exec);

void parallel_for(int64_t num_tasks, int num_threads, const std::function<void(int64_t)>& fn);

// Splits [0, n) into fixed-size chunks (independent of the thread count, for determinism).
inline int64_t chunk_count(int64_t n, int64_t chunk) { return n <= 0 ? 0 : (n + chunk - 1) / chunk; }

}  // namespace kdlts
