// Argument checks shared by the elementwise training-kernel C APIs (api_nn.cpp, api_optim.cpp).
// Every message names the op and the argument; messages are only built when a check fails.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "api_util.hpp"

namespace kdlts::api {

// "name[d]".
inline std::string at(const char* name, int d) { return std::string(name) + "[" + std::to_string(d) + "]"; }

// "op: name" / "op: name[d]" for messages.
inline std::string arg(const char* op, const char* name, int d = -1) {
  return std::string(op) + ": " + (d < 0 ? std::string(name) : at(name, d));
}

inline void require_size(const char* op, const char* name, int64_t v, int d = -1) {
  KDLTS_REQUIRE(v >= 0, arg(op, name, d) + " must be >= 0, got " + std::to_string(v));
}

// a * b for sizes already known to be >= 0; fails instead of overflowing.
inline int64_t product(const char* op, int64_t a, int64_t b) {
  KDLTS_REQUIRE(b == 0 || a <= std::numeric_limits<int64_t>::max() / b,
                std::string(op) + ": the sizes overflow a 64-bit element count");
  return a * b;
}

// A buffer with count > 0 elements must be given; empty buffers may be NULL.
inline void require_buffer(const char* op, const void* p, const char* name, int64_t count) {
  KDLTS_REQUIRE(count == 0 || p != nullptr, arg(op, name) + " is NULL");
}

// Float buffers `out` and `in` must not overlap; with `may_equal`, out == in (same length) is
// allowed too (in-place ops).
inline void require_apart(const char* op, const float* out, int64_t out_n, const char* out_name,
                          const float* in, int64_t in_n, const char* in_name,
                          bool may_equal = false) {
  if (out == nullptr || in == nullptr || out_n == 0 || in_n == 0) return;
  if (may_equal && out == in && out_n == in_n) return;
  const auto o = reinterpret_cast<uintptr_t>(out), i = reinterpret_cast<uintptr_t>(in);
  const bool apart =
      o + uintptr_t(out_n) * sizeof(float) <= i || i + uintptr_t(in_n) * sizeof(float) <= o;
  KDLTS_REQUIRE(apart, arg(op, out_name) + " overlaps " + in_name +
                           (may_equal ? " (only an exact alias is allowed)" : ""));
}

}  // namespace kdlts::api
