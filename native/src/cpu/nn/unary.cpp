// Elementwise unary ops, each as tfjs-backend-cpu computes it: in double (JS numbers), rounded
// to float on store. Where float arithmetic rounds identically (neg, abs, square, sqrt,
// reciprocal: one correctly rounded operation) we stay in float; where it would not (rsqrt,
// exp, log, sigmoid, tanh) we compute in double and round once, as tfjs does.
#include <limits>

#include "cpu/nn/ops.hpp"

#if defined(__AVX512F__) || defined(__AVX__)
#include <immintrin.h>
#endif

namespace kdlts::cpu {

namespace {

// ln(x) in double for x converted from a float: x = m 2^e with m in [sqrt(1/2), sqrt(2)),
// ln(m) = 2 atanh(f), f = (m - 1) / (m + 1), |f| <= 0.172, series to f^23 (error < 2e-17).
// Branch-free (blends at the end) so the loop vectorises.
inline double log_d(double x) {
  constexpr double kLn2Hi = 0.6931471803691238, kLn2Lo = 1.9082149292705877e-10;
  const uint64_t u = bits_of(x);
  int64_t e = static_cast<int64_t>((u >> 52) & 0x7ff) - 1023;
  double m = double_of((u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);  // [1, 2)
  const bool high = m > 1.4142135623730951;
  m = select(high, m * 0.5, m);
  e += high;
  const double f = (m - 1.0) / (m + 1.0);
  const double s = f * f;
  double p = 1.0 / 23;
  p = p * s + 1.0 / 21;
  p = p * s + 1.0 / 19;
  p = p * s + 1.0 / 17;
  p = p * s + 1.0 / 15;
  p = p * s + 1.0 / 13;
  p = p * s + 1.0 / 11;
  p = p * s + 1.0 / 9;
  p = p * s + 1.0 / 7;
  p = p * s + 1.0 / 5;
  p = p * s + 1.0 / 3;
  const double ed = static_cast<double>(e);
  double r = ed * kLn2Hi + (ed * kLn2Lo + 2.0 * f * (1.0 + s * p));
  constexpr double kInf = std::numeric_limits<double>::infinity();
  r = select(x == 0.0, -kInf, r);
  r = select(x == kInf, kInf, r);
  return select((x < 0.0) | (x != x), std::numeric_limits<double>::quiet_NaN(), r);
}

// Math.tanh: (E - 1) / (E + 1) with E = e^(2|x|), the sign copied back; below 1e-4 the series
// x - x^3/3 (relative error < 2e-17) avoids the cancellation in E - 1.
inline double tanh_d(double x) {
  const double t = std::fabs(x);
  const double big = exp_d(2.0 * t);
  double r = (big - 1.0) / (big + 1.0);
  r = select(t < 1e-4, t - t * t * t * (1.0 / 3.0), r);
  return std::copysign(r, x);
}

template <typename Op>
void apply(int threads, int64_t n, const float* x, float* y, Op op) {
  for_ranges(threads, n, kChunk, [&](int64_t begin, int64_t end) {
    const Op f = op;  // a local copy: stores to y cannot alias its captures (e.g. alpha)
    for (int64_t i = begin; i < end; ++i) y[i] = f(x[i]);
  });
}

// sqrt / 1/sqrt: libm's sqrt keeps an errno path that stops GCC from vectorising (CMake does not
// pass -fno-math-errno), so the SIMD instruction is spelled out.
void sqrt_range(const float* x, float* y, int64_t n) {
  int64_t i = 0;
#if defined(__AVX512F__)
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(y + i, _mm512_maskz_sqrt_ps(0xffff, _mm512_loadu_ps(x + i)));
#elif defined(__AVX__)
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_sqrt_ps(_mm256_loadu_ps(x + i)));
#endif
  for (; i < n; ++i) y[i] = std::sqrt(x[i]);
}

// 1 / Math.sqrt(x) in double, rounded once (float 1/sqrtf would round twice).
void rsqrt_range(const float* x, float* y, int64_t n) {
  int64_t i = 0;
#if defined(__AVX512F__)
  const __m512d one = _mm512_set1_pd(1.0);
  for (; i + 8 <= n; i += 8) {
    const __m512d d = _mm512_maskz_cvtps_pd(0xff, _mm256_loadu_ps(x + i));
    _mm256_storeu_ps(
        y + i, _mm512_maskz_cvtpd_ps(0xff, _mm512_div_pd(one, _mm512_maskz_sqrt_pd(0xff, d))));
  }
#elif defined(__AVX__)
  const __m256d one = _mm256_set1_pd(1.0);
  for (; i + 4 <= n; i += 4) {
    const __m256d d = _mm256_cvtps_pd(_mm_loadu_ps(x + i));
    _mm_storeu_ps(y + i, _mm256_cvtpd_ps(_mm256_div_pd(one, _mm256_sqrt_pd(d))));
  }
#endif
  for (; i < n; ++i) y[i] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(x[i])));
}

}  // namespace

void unary(int threads, int32_t op, int64_t n, const float* x, float alpha, float* y) {
  switch (op) {
    case KDLTS_UNARY_RELU:  // Math.max(0, x): NaN stays NaN, -0 becomes +0
      return apply(threads, n, x, y, [](float v) { return (v > 0.0f) | (v != v) ? v : 0.0f; });
    case KDLTS_UNARY_RELU6:  // Math.min(Math.max(0, x), 6)
      return apply(threads, n, x, y, [](float v) {
        const float r = (v > 0.0f) | (v != v) ? v : 0.0f;
        return r > 6.0f ? 6.0f : r;
      });
    case KDLTS_UNARY_STEP:  // NaN ? NaN : x > 0 ? 1 : alpha
      return apply(threads, n, x, y, [alpha](float v) {
        const float r = v > 0.0f ? 1.0f : alpha;
        return v != v ? v : r;
      });
    case KDLTS_UNARY_NEG:  // x * -1
      return apply(threads, n, x, y, [](float v) { return -v; });
    case KDLTS_UNARY_ABS:
      return apply(threads, n, x, y, [](float v) { return std::fabs(v); });
    case KDLTS_UNARY_SQUARE:
      return apply(threads, n, x, y, [](float v) { return v * v; });
    case KDLTS_UNARY_SQRT:
      return for_ranges(threads, n, kChunk,
                        [&](int64_t b, int64_t e) { sqrt_range(x + b, y + b, e - b); });
    case KDLTS_UNARY_RSQRT:
      return for_ranges(threads, n, kChunk,
                        [&](int64_t b, int64_t e) { rsqrt_range(x + b, y + b, e - b); });
    case KDLTS_UNARY_EXP:
      return apply(threads, n, x, y, [](float v) { return static_cast<float>(exp_d(v)); });
    case KDLTS_UNARY_LOG:
      return apply(threads, n, x, y, [](float v) { return static_cast<float>(log_d(v)); });
    case KDLTS_UNARY_SIGMOID:  // 1 / (1 + Math.exp(-x))
      return apply(threads, n, x, y,
                   [](float v) { return static_cast<float>(1.0 / (1.0 + exp_d(-double(v)))); });
    case KDLTS_UNARY_TANH:
      return apply(threads, n, x, y, [](float v) { return static_cast<float>(tanh_d(v)); });
    case KDLTS_UNARY_RECIPROCAL:
      return apply(threads, n, x, y, [](float v) { return 1.0f / v; });
    default:
      return;  // validated by the API
  }
}

}  // namespace kdlts::cpu
