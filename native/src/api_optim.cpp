// The C API of the optimizer kernels in kdlts_nn.h (kdlts_sgd_update): argument validation,
// then the CPU kernel. CPU-only, like the other training kernels (api_nn.cpp).
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "api_args.hpp"
#include "api_util.hpp"
#include "cpu/nn/ops.hpp"
#include "kdlts_nn.h"
#include "parallel.hpp"

namespace {

using kdlts::api::arg;
using kdlts::api::guarded;
using kdlts::api::require_apart;
using kdlts::api::require_buffer;
using kdlts::api::require_cpu;

void require_finite(const char* op, const char* name, float v) {
  KDLTS_REQUIRE(std::isfinite(v), arg(op, name) + " must be finite, got " + std::to_string(v));
}

}  // namespace

extern "C" {

kdlts_status kdlts_sgd_update(const kdlts_exec* exec, int64_t n, const float* w, const float* g,
                              const float* v, const float* mask, float lr, float momentum,
                              float weight_decay, int32_t nesterov, float* w_out, float* v_out) {
  return guarded([&] {
    const char* op = "sgd_update";
    require_cpu(exec, op);
    KDLTS_REQUIRE(n >= 0, arg(op, "n") + " must be >= 0, got " + std::to_string(n));
    require_finite(op, "lr", lr);
    require_finite(op, "momentum", momentum);
    require_finite(op, "weight_decay", weight_decay);
    KDLTS_REQUIRE(momentum >= 0.0f && momentum < 1.0f,
                  arg(op, "momentum") + " must be in [0, 1), got " + std::to_string(momentum));
    KDLTS_REQUIRE(weight_decay >= 0.0f, arg(op, "weight_decay") + " must be >= 0, got " +
                                            std::to_string(weight_decay));
    KDLTS_REQUIRE(nesterov == 0 || nesterov == 1,
                  arg(op, "nesterov") + " must be 0 or 1, got " + std::to_string(nesterov));
    KDLTS_REQUIRE(!nesterov || momentum > 0.0f, arg(op, "nesterov") + " needs momentum > 0");
    if (n == 0) return;
    require_buffer(op, w, "w", n);
    require_buffer(op, g, "g", n);
    require_buffer(op, w_out, "w_out", n);
    if (momentum > 0.0f) {
      KDLTS_REQUIRE(v != nullptr && v_out != nullptr,
                    arg(op, v ? "v_out" : "v") + " is NULL (momentum > 0 keeps a velocity)");
    } else {
      KDLTS_REQUIRE(v == nullptr && v_out == nullptr,
                    arg(op, v ? "v" : "v_out") +
                        " must be NULL when momentum is 0 (no velocity is kept)");
    }
    const std::pair<const float*, const char*> inputs[] = {
        {w, "w"}, {g, "g"}, {v, "v"}, {mask, "mask"}};
    for (const auto& [in, name] : inputs) {
      require_apart(op, w_out, n, "w_out", in, n, name, in == w);
      require_apart(op, v_out, n, "v_out", in, n, name, in == v);
    }
    require_apart(op, v_out, n, "v_out", w_out, n, "w_out");
    kdlts::cpu::sgd_update(kdlts::resolve_threads(exec), n, w, g, v, mask, lr, momentum,
                           weight_decay, nesterov != 0, w_out, v_out);
  });
}

}  // extern "C"
