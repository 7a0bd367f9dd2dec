// Shared by the training-kernel tests (test_pool.cpp ... test_tile_transpose.cpp): the kernels
// of kdlts_nn.h through the C API, against plain references written as transcriptions of the
// tfjs-backend-cpu 4.22 kernels (double arithmetic where JS uses numbers, float rounding where
// tfjs stores into a Float32Array) on fresh random inputs.
//
// Tolerances: pool, binary, tile, transpose, reduce max/min, the other unary ops: bitwise (same
// summation order and precision as tfjs; NaN equals NaN, the sign of zero counts).
// exp/log/sigmoid/tanh: 1 ulp from libm's double result rounded, and bitwise in >= 99.9% of
// cases (the kernels evaluate in double like tfjs, with their own polynomials). batch_norm
// inference: 1 ulp (one extra double rounding). softmax: 2 ulps (exp plus the sum). sum / mean:
// 1 ulp or 1e-12 * sum|x| (double accumulation in another order). Training batch norm: the
// statistics within 1 ulp of two-pass double ones, the gradient within 8 u of the size of its
// terms before they cancel, and the double reference itself against finite differences.
// Every "large" case also checks that 1, 2 and 3 threads give bitwise identical outputs.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "harness.hpp"
#include "kdlts_nn.h"

namespace nn_test {

using kdlts_test::Context;
using F = std::vector<float>;
using Shape = std::vector<int64_t>;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

inline kdlts_exec threads(int n) { return {KDLTS_BACKEND_CPU, n}; }

// Distance in float ulps (+0 and -0 are 0 apart; NaN vs NaN 0; NaN vs a number: huge).
inline int64_t ulps(float a, float b) {
  if (a != a || b != b) return (a != a && b != b) ? 0 : INT64_MAX;
  auto ord = [](float f) {
    int32_t i;
    std::memcpy(&i, &f, 4);
    return i < 0 ? int64_t(INT32_MIN) - i : int64_t(i);
  };
  return std::llabs(ord(a) - ord(b));
}
inline bool same_bits(float a, float b) {
  return (a != a && b != b) || std::memcmp(&a, &b, sizeof a) == 0;
}

// Reports the first element of got that is not within max_ulps of want (bitwise when < 0).
inline void expect_close(Context& ctx, const F& got, const F& want, int64_t max_ulps,
                         const std::string& what) {
  CHECK(got.size() == want.size()) << what << ": size " << got.size() << " vs " << want.size();
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    const bool ok = max_ulps < 0 ? same_bits(got[i], want[i]) : ulps(got[i], want[i]) <= max_ulps;
    if (!ok) {
      CHECK(ok) << what << ": element " << i << " is " << got[i] << ", expected " << want[i]
                << (std::signbit(want[i]) ? " (negative)" : "");
      return;
    }
  }
}

// Number of elements of a shape.
inline int64_t count(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// Random values with ties (small integers) or not, with some NaN / +-Inf / +-0 sprinkled in.
inline F values(Context& ctx, int64_t n, bool ties, bool specials) {
  F v = ties ? kdlts_test::uniform(ctx, n, -3.0f, 3.0f) : kdlts_test::normal(ctx, n);
  if (ties)
    for (auto& x : v) x = std::round(x);
  if (specials && n > 0) {
    const float s[] = {kNaN, kInf, -kInf, 0.0f, -0.0f};
    std::uniform_int_distribution<int64_t> at(0, n - 1);
    for (int k = 0; k < 1 + int(n / 50); ++k) v[at(ctx.rng)] = s[k % 5];
  }
  return v;
}

}  // namespace nn_test
