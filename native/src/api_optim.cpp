// The C API of the optimizer kernels in kdlts_nn.h (kdlts_sgd_update): argument validation,
// then the CPU kernel. CPU-only, like the other training kernels (api_nn.cpp).
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "api_util.hpp"
#include "cpu/nn/ops.hpp"
#include "kdlts_nn.h"
#include "parallel.hpp"

namespace {

using kdlts::api::guarded;
using std::string;

// As in api_nn.cpp: the message is only built when the check fails (one call per variable per
// training step, many of them small).
#define OPTIM_REQUIRE(cond, message)                                 \
  do {                                                               \
    if (!(cond)) kdlts::fail(KDLTS_ERR_INVALID_ARGUMENT, (message)); \
  } while (0)

void require_cpu(const kdlts_exec* exec, const char* op) {
  if (exec != nullptr && exec->backend != KDLTS_BACKEND_AUTO &&
      exec->backend != KDLTS_BACKEND_CPU) {
    kdlts::api::require_cpu(exec, op);
  }
}

string arg(const char* op, const char* name) { return string(op) + ": " + name; }

void require_finite(const char* op, const char* name, float v) {
  OPTIM_REQUIRE(std::isfinite(v), arg(op, name) + " must be finite, got " + std::to_string(v));
}

void require_buffer(const char* op, const void* p, const char* name) {
  OPTIM_REQUIRE(p != nullptr, arg(op, name) + " is NULL");
}

// Output `out` and buffer `in` (both n floats) must not overlap; with `may_equal`, out == in
// (an in-place update) is allowed.
void require_apart(const char* op, const float* out, const char* out_name, const float* in,
                   const char* in_name, int64_t n, bool may_equal = false) {
  if (out == nullptr || in == nullptr) return;
  if (may_equal && out == in) return;
  const auto o = reinterpret_cast<uintptr_t>(out), i = reinterpret_cast<uintptr_t>(in);
  const uintptr_t bytes = uintptr_t(n) * sizeof(float);
  OPTIM_REQUIRE(o + bytes <= i || i + bytes <= o,
                arg(op, out_name) + " overlaps " + in_name +
                    (may_equal ? " (only an exact alias is allowed)" : ""));
}

}  // namespace

extern "C" {

kdlts_status kdlts_sgd_update(const kdlts_exec* exec, int64_t n, const float* w, const float* g,
                              const float* v, const float* mask, float lr, float momentum,
                              float weight_decay, int32_t nesterov, float* w_out, float* v_out) {
  return guarded([&] {
    const char* op = "sgd_update";
    require_cpu(exec, op);
    OPTIM_REQUIRE(n >= 0, arg(op, "n") + " must be >= 0, got " + std::to_string(n));
    require_finite(op, "lr", lr);
    require_finite(op, "momentum", momentum);
    require_finite(op, "weight_decay", weight_decay);
    OPTIM_REQUIRE(momentum >= 0.0f && momentum < 1.0f,
                  arg(op, "momentum") + " must be in [0, 1), got " + std::to_string(momentum));
    OPTIM_REQUIRE(weight_decay >= 0.0f, arg(op, "weight_decay") + " must be >= 0, got " +
                                            std::to_string(weight_decay));
    OPTIM_REQUIRE(nesterov == 0 || nesterov == 1,
                  arg(op, "nesterov") + " must be 0 or 1, got " + std::to_string(nesterov));
    OPTIM_REQUIRE(!nesterov || momentum > 0.0f, arg(op, "nesterov") + " needs momentum > 0");
    if (n == 0) return;
    require_buffer(op, w, "w");
    require_buffer(op, g, "g");
    require_buffer(op, w_out, "w_out");
    if (momentum > 0.0f) {
      OPTIM_REQUIRE(v != nullptr && v_out != nullptr,
                    arg(op, v ? "v_out" : "v") + " is NULL (momentum > 0 keeps a velocity)");
    } else {
      OPTIM_REQUIRE(v == nullptr && v_out == nullptr,
                    arg(op, v ? "v" : "v_out") +
                        " must be NULL when momentum is 0 (no velocity is kept)");
    }
    const std::pair<const float*, const char*> inputs[] = {
        {w, "w"}, {g, "g"}, {v, "v"}, {mask, "mask"}};
    for (const auto& [in, name] : inputs) {
      require_apart(op, w_out, "w_out", in, name, n, in == w);
      require_apart(op, v_out, "v_out", in, name, n, in == v);
    }
    require_apart(op, v_out, "v_out", w_out, "w_out", n);
    kdlts::cpu::sgd_update(kdlts::resolve_threads(exec), n, w, g, v, mask, lr, momentum,
                           weight_decay, nesterov != 0, w_out, v_out);
  });
}

}  // extern "C"
