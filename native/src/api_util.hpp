// What every C API file (api.cpp, api_conv.cpp, api_nn.cpp, api_optim.cpp) shares: the
// conversion of every C++ exception into a status code plus a thread-local message, argument
// checks, and the backend choice.
#pragma once

#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>

#include "error.hpp"
#include "kdlts.h"

namespace kdlts::api {

// The message kdlts_last_error() returns on this thread.
std::string& last_error();

// Runs fn; returns KDLTS_OK, or the status of the exception it threw (message saved).
template <typename Fn>
kdlts_status guarded(Fn&& fn) {
  try {
    fn();
    last_error().clear();
    return KDLTS_OK;
  } catch (const kdlts::Error& e) {
    last_error() = e.what();
    return e.status();
  } catch (const std::bad_alloc&) {
    last_error() = "out of memory";
    return KDLTS_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    last_error() = std::string("internal error: ") + e.what();
    return KDLTS_ERR_INTERNAL;
  } catch (...) {
    last_error() = "internal error: unknown exception";
    return KDLTS_ERR_INTERNAL;
  }
}

inline void require(bool ok, const std::string& message) {
  if (!ok) fail(KDLTS_ERR_INVALID_ARGUMENT, message);
}

// Like require, but `message` is only built when the check fails: the training kernels run
// thousands of times per step, most calls are small, and a passing check must not allocate.
#define KDLTS_REQUIRE(cond, message)                                   \
  do {                                                                 \
    if (!(cond)) ::kdlts::fail(KDLTS_ERR_INVALID_ARGUMENT, (message)); \
  } while (0)

// exec.backend must name a backend.
inline void require_known_backend(int32_t backend) {
  KDLTS_REQUIRE(backend == KDLTS_BACKEND_AUTO || backend == KDLTS_BACKEND_CPU ||
                    backend == KDLTS_BACKEND_CUDA,
                "exec.backend: unknown backend " + std::to_string(backend));
}

// True when the op should run on CUDA; throws when CUDA was asked for but is unavailable.
inline bool use_cuda(const kdlts_exec* exec) {
  const int32_t backend = exec ? exec->backend : KDLTS_BACKEND_AUTO;
  require_known_backend(backend);
  if (backend == KDLTS_BACKEND_CPU) return false;
  const bool available = kdlts_cuda_device_count() > 0;
  if (backend == KDLTS_BACKEND_CUDA && !available) {
    fail(KDLTS_ERR_BACKEND, kdlts_cuda_compiled()
                                ? "exec.backend: CUDA requested but no CUDA device is available"
                                : "exec.backend: CUDA requested but kdlts was built without CUDA");
  }
  return available;
}

// For CPU-only ops: validates exec and fails when CUDA was requested explicitly. AUTO and CPU
// (the common case) return without building any message.
inline void require_cpu(const kdlts_exec* exec, const char* op) {
  const int32_t backend = exec ? exec->backend : KDLTS_BACKEND_AUTO;
  if (backend == KDLTS_BACKEND_AUTO || backend == KDLTS_BACKEND_CPU) return;
  require_known_backend(backend);
  if (backend == KDLTS_BACKEND_CUDA) {
    fail(KDLTS_ERR_BACKEND, std::string(op) + ": runs on the CPU only (exec.backend is CUDA)");
  }
}

}  // namespace kdlts::api
