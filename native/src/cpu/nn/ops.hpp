// The CPU training kernels of kdlts_nn.h other than matmul/conv2d, plus the small helpers they
// share. Arguments arrive validated by api_nn.cpp; `threads` is the CPU thread count (>= 1).
//
// Determinism: every kernel splits its work into chunks whose boundaries depend only on the
// shapes (never on `threads`), each chunk writes its own outputs or its own partial result, and
// partials are merged in chunk order. So outputs are bitwise identical for any thread count, and
// inputs of one chunk (< kChunk elements) run on the caller's thread without touching the pool.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "kdlts_nn.h"
#include "parallel.hpp"

namespace kdlts::cpu {

// ---- the kernels --------------------------------------------------------------------------------

void max_pool2d_forward(int threads, const kdlts_pool2d_params& p, const float* x, float* y);
void max_pool2d_backward(int threads, const kdlts_pool2d_params& p, const float* x, const float* dy,
                         float* dx);
void avg_pool2d_forward(int threads, const kdlts_pool2d_params& p, const float* x, float* y);
void avg_pool2d_backward(int threads, const kdlts_pool2d_params& p, const float* dy, float* dx);

// relu: y = relu(batch norm) (train forward); relu_y: the gradient passes only where that
// output is positive, dy * step(relu_y) as tfjs's ReLU gradient (train backward; NULL: no ReLU).
void batch_norm(int threads, int64_t rows, int64_t channels, const float* x, const float* mean,
                const float* variance, const float* offset, const float* scale, float eps,
                float* y, bool relu = false);
void batch_norm_train_forward(int threads, int64_t rows, int64_t channels, const float* x,
                              const float* offset, const float* scale, float eps, float* y,
                              float* mean_out, float* variance_out, bool relu = false);
void batch_norm_train_backward(int threads, int64_t rows, int64_t channels, const float* x,
                               const float* dy, const float* mean, const float* variance,
                               const float* scale, float eps, float* dx, float* doffset,
                               float* dscale, const float* relu_y = nullptr);

// Shapes have `rank` entries, validated: a/b dims are 1 or the output's, the output's dim is 1
// or one of theirs.
void binary(int threads, int32_t op, int rank, const int64_t* out_shape, const int64_t* a_shape,
            const int64_t* b_shape, const float* a, const float* b, float* out);
void unary(int threads, int32_t op, int64_t n, const float* x, float alpha, float* y);
void reduce(int threads, int32_t op, int64_t outer, int64_t size, int64_t inner, const float* x,
            float* y);
void softmax(int threads, int64_t rows, int64_t cols, const float* x, float* y);
void tile(int threads, int rank, const int64_t* in_shape, const int64_t* reps, const float* x,
          float* y);
void transpose(int threads, int rank, const int64_t* in_shape, const int32_t* perm, const float* x,
               float* y);
// v / v_out: NULL exactly when momentum == 0; mask: NULL for none (kdlts_sgd_update).
void sgd_update(int threads, int64_t n, const float* w, const float* g, const float* v,
                const float* mask, float lr, float momentum, float weight_decay, bool nesterov,
                float* w_out, float* v_out);

// ---- shared helpers -----------------------------------------------------------------------------

// Work per chunk, in elements: 128 KiB of floats. Big enough that handing out a task costs
// nothing next to it, small enough that an 8 MB tensor gives 64 chunks to balance.
constexpr int64_t kChunk = 32768;

// Calls fn(task) for task in [0, num_tasks): inline for one task or one thread (no std::function,
// no pool), else on the pool.
template <typename Fn>
void run_tasks(int threads, int64_t num_tasks, Fn&& fn) {
  if (num_tasks <= 0) return;
  if (threads <= 1 || num_tasks == 1) {
    for (int64_t t = 0; t < num_tasks; ++t) fn(t);
    return;
  }
  parallel_for(num_tasks, threads, [&fn](int64_t t) { fn(t); });
}

// Splits [0, n) into ranges of `per_task` (fixed by the shape) and calls fn(begin, end).
template <typename Fn>
void for_ranges(int threads, int64_t n, int64_t per_task, Fn&& fn) {
  per_task = per_task < 1 ? 1 : per_task;
  run_tasks(threads, chunk_count(n, per_task), [&](int64_t t) {
    const int64_t begin = t * per_task;
    fn(begin, begin + per_task < n ? begin + per_task : n);
  });
}

// Items of `item_size` elements per task so that a task holds about kChunk elements.
inline int64_t items_per_task(int64_t item_size) {
  return item_size >= kChunk ? 1 : kChunk / (item_size < 1 ? 1 : item_size);
}

inline uint64_t bits_of(double d) {
  uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  return u;
}
inline double double_of(uint64_t u) {
  double d;
  std::memcpy(&d, &u, sizeof d);
  return d;
}
inline uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline float float_of(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// c ? a : b on doubles as bit operations: GCC 12 if-converts a plain `?:` on doubles in a loop
// that also handles floats poorly ("control flow in loop", no vectorisation); this always works.
inline double select(bool c, double a, double b) {
  const uint64_t m = uint64_t{0} - static_cast<uint64_t>(c);
  return double_of((bits_of(a) & m) | (bits_of(b) & ~m));
}

// e^x in double, ~2 double ulps, branch-free so loops calling it vectorise (libm's exp does
// not). tfjs computes Math.exp in double and rounds to float; rounding this result to float
// gives the same float except within ~1e-15 relative of a rounding midpoint. x is clamped to
// [-200, 200], outside which every float result (exp, sigmoid, tanh) has already saturated.
inline double exp_d(double x) {
  constexpr double kLog2e = 1.4426950408889634, kLn2Hi = 0.6931471803691238,
                   kLn2Lo = 1.9082149292705877e-10, kShift = 6755399441055744.0;  // 1.5 * 2^52
  double xc = select(x > 200.0, 200.0, x);  // NaN passes through both
  xc = select(xc < -200.0, -200.0, xc);
  const double t = xc * kLog2e + kShift;  // round to the nearest integer n, kept in t's low bits
  const double n = t - kShift;
  const double r = (xc - n * kLn2Hi) - n * kLn2Lo;  // |r| <= ln2 / 2; kLn2Hi * n is exact
  // Taylor series to r^13: remainder < 5e-18 on |r| <= 0.347.
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const uint64_t e = (bits_of(t) - bits_of(kShift) + 1023) << 52;  // 2^n, |n| <= 289
  return p * double_of(e);
}

// ---- explicit lanes (GCC/Clang vector extensions, lowered to AVX-512 / AVX2 / SSE) ----------
// Reductions keep a fixed number of lanes combined in a fixed order: deterministic, and
// vectorised even where GCC will not vectorise a scalar reduction (NaN-aware max, double sums
// without -ffast-math).
typedef float f32x8 __attribute__((vector_size(32)));
typedef float f32x16 __attribute__((vector_size(64)));
typedef int32_t i32x16 __attribute__((vector_size(64)));
typedef double f64x8 __attribute__((vector_size(64)));

inline f32x8 load8(const float* p) {
  f32x8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline f32x16 load16(const float* p) {
  f32x16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store8(float* p, f32x8 v) { std::memcpy(p, &v, sizeof v); }
inline void store16(float* p, f32x16 v) { std::memcpy(p, &v, sizeof v); }
inline f32x8 low8(f32x16 v) { return __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7); }
inline f32x8 high8(f32x16 v) { return __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15); }
inline f64x8 widen(f32x8 v) { return __builtin_convertvector(v, f64x8); }
inline f32x8 narrow(f64x8 v) { return __builtin_convertvector(v, f32x8); }

// Sum of x[0..n) in double: 4 x 8 lanes, then a fixed tree, then the tail in order (short rows
// are just the tail: a plain sequential sum, as tfjs's).
inline double sum_row(const float* x, int64_t n) {
  double r = 0.0;
  int64_t i = 0;
  if (n >= 32) {
    f64x8 a0 = {}, a1 = {}, a2 = {}, a3 = {};
    for (; i + 32 <= n; i += 32) {
      a0 += __builtin_convertvector(load8(x + i), f64x8);
      a1 += __builtin_convertvector(load8(x + i + 8), f64x8);
      a2 += __builtin_convertvector(load8(x + i + 16), f64x8);
      a3 += __builtin_convertvector(load8(x + i + 24), f64x8);
    }
    const f64x8 a = (a0 + a1) + (a2 + a3);
    r = ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
  }
  for (; i < n; ++i) r += x[i];
  return r;
}

// Max (kMax) or min of x[0..n) with tfjs's rule: NaN if any element is NaN; -Inf / +Inf for
// n == 0. The sign of a zero result is not determined here (see reduce.cpp).
template <bool kMax>
float extreme_row(const float* x, int64_t n) {
  constexpr float kInit = kMax ? -__builtin_inff() : __builtin_inff();
  float r = kInit;
  bool nan = false;
  int64_t i = 0;
  if (n >= 16) {
    f32x16 acc = load16(x);
    i32x16 bad = acc != acc;
    for (i = 16; i + 16 <= n; i += 16) {
      const f32x16 v = load16(x + i);
      acc = kMax ? (v > acc ? v : acc) : (v < acc ? v : acc);
      bad |= v != v;
    }
    // Halve the lanes down to 4 (the NaN flags alongside), then finish in scalar code.
    f32x8 a8 = __builtin_shufflevector(acc, acc, 0, 1, 2, 3, 4, 5, 6, 7);
    const f32x8 b8 = __builtin_shufflevector(acc, acc, 8, 9, 10, 11, 12, 13, 14, 15);
    a8 = kMax ? (b8 > a8 ? b8 : a8) : (b8 < a8 ? b8 : a8);
    for (int j = 0; j < 8; ++j) r = kMax ? (a8[j] > r ? a8[j] : r) : (a8[j] < r ? a8[j] : r);
    typedef int32_t i32x8 __attribute__((vector_size(32)));
    const i32x8 f8 = __builtin_shufflevector(bad, bad, 0, 1, 2, 3, 4, 5, 6, 7) |
                     __builtin_shufflevector(bad, bad, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int j = 0; j < 8; ++j) nan |= f8[j] != 0;
  }
  for (; i < n; ++i) {
    r = kMax ? (x[i] > r ? x[i] : r) : (x[i] < r ? x[i] : r);
    nan |= x[i] != x[i];
  }
  return nan ? __builtin_nanf("") : r;
}

}  // namespace kdlts::cpu
