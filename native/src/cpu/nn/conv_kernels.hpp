// The register-tiled micro-kernels of the convolutions (conv2d.cpp) over a 16-lane float vector
// (one zmm with AVX-512, two ymm with AVX2, plain arrays otherwise).
//
//   tile_product:  acc[R][V] = A B, A = R rows of 16-value depth chunks, each chunk behind its
//                  own pointer (so A can be a packed block or windows of the input itself),
//                  B = the packed filter, 16 V columns per depth step.
//   store_tile:    targets[r] <- act(acc[r] + bias), masked at the right edge.
//   filter_rows:   the filter gradient: acc[R][V] += sum over pixels of (R broadcast values of a
//                  pixel row) x (V vectors of another): dW rows or dW^T rows depending on caller.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#else
#include <cmath>
#endif

namespace kdlts::cpu::conv {

constexpr int kLanes = 16;

#if defined(__AVX512F__)
using Vec = __m512;
// Rows of the micro-tiles that walk along output rows: 1-vector tiles (<= 16 output channels)
// and 2-vector tiles; the accumulators (R x V) plus the filter vectors fit in the 32 zmm. The
// driver picks the one that cuts an output row with the least waste.
constexpr int kNarrowRows[] = {8, 16, 28};
constexpr int kWideRows[] = {8, 12, 14};
// Filter-gradient tiles read in place: R output channels x 1 or x 2 vectors.
constexpr int kFilterRows[] = {16, 8};
inline Vec vzero() { return _mm512_setzero_ps(); }
inline Vec vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, Vec a) { _mm512_storeu_ps(p, a); }
inline Vec vfma(float a, Vec b, Vec c) { return _mm512_fmadd_ps(_mm512_set1_ps(a), b, c); }
inline Vec vadd(Vec a, Vec b) { return _mm512_add_ps(a, b); }
// max(0, a) keeping NaN (the second operand wins when either is NaN). The zero-masked form with
// a full mask avoids GCC 12's false -Wmaybe-uninitialized on _mm512_undefined_ps.
inline Vec vrelu(Vec a) { return _mm512_maskz_max_ps(0xFFFF, _mm512_setzero_ps(), a); }
inline __mmask16 first_lanes(int64_t n) { return static_cast<__mmask16>((1u << n) - 1); }
inline void vstore_first(float* p, Vec a, int64_t n) { _mm512_mask_storeu_ps(p, first_lanes(n), a); }
inline Vec vload_first(const float* p, int64_t n) { return _mm512_maskz_loadu_ps(first_lanes(n), p); }
#elif defined(__AVX2__) && defined(__FMA__)
struct Vec {
  __m256 lo, hi;
};
constexpr int kNarrowRows[] = {6};  // 12 accumulators of 16 ymm
constexpr int kWideRows[] = {3};
constexpr int kFilterRows[] = {6, 3};
inline Vec vzero() { return {_mm256_setzero_ps(), _mm256_setzero_ps()}; }
inline Vec vload(const float* p) { return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)}; }
inline void vstore(float* p, Vec a) {
  _mm256_storeu_ps(p, a.lo);
  _mm256_storeu_ps(p + 8, a.hi);
}
inline Vec vfma(float a, Vec b, Vec c) {
  const __m256 s = _mm256_set1_ps(a);
  return {_mm256_fmadd_ps(s, b.lo, c.lo), _mm256_fmadd_ps(s, b.hi, c.hi)};
}
inline Vec vadd(Vec a, Vec b) { return {_mm256_add_ps(a.lo, b.lo), _mm256_add_ps(a.hi, b.hi)}; }
inline Vec vrelu(Vec a) {
  const __m256 z = _mm256_setzero_ps();
  return {_mm256_max_ps(z, a.lo), _mm256_max_ps(z, a.hi)};
}
inline void vstore_first(float* p, Vec a, int64_t n) {
  alignas(32) float t[kLanes];
  vstore(t, a);
  std::memcpy(p, t, n * sizeof(float));
}
inline Vec vload_first(const float* p, int64_t n) {
  alignas(32) float t[kLanes] = {};
  std::memcpy(t, p, n * sizeof(float));
  return vload(t);
}
#else
struct Vec {
  float v[kLanes];
};
constexpr int kNarrowRows[] = {4};
constexpr int kWideRows[] = {2};
constexpr int kFilterRows[] = {4, 2};
inline Vec vzero() { return Vec{}; }
inline Vec vload(const float* p) {
  Vec r;
  std::memcpy(r.v, p, sizeof r.v);
  return r;
}
inline void vstore(float* p, Vec a) { std::memcpy(p, a.v, sizeof a.v); }
inline Vec vfma(float a, Vec b, Vec c) {
  for (int i = 0; i < kLanes; ++i) c.v[i] = std::fma(a, b.v[i], c.v[i]);
  return c;
}
inline Vec vadd(Vec a, Vec b) {
  for (int i = 0; i < kLanes; ++i) a.v[i] += b.v[i];
  return a;
}
inline Vec vrelu(Vec a) {
  for (float& x : a.v) x = 0.0f > x ? 0.0f : x;
  return a;
}
inline void vstore_first(float* p, Vec a, int64_t n) { std::memcpy(p, a.v, n * sizeof(float)); }
inline Vec vload_first(const float* p, int64_t n) {
  Vec r{};
  std::memcpy(r.v, p, n * sizeof(float));
  return r;
}
#endif

// Rows of the tiles that span output rows (packed A slivers): the largest of each set.
constexpr int kPackedNarrowRows = kNarrowRows[sizeof kNarrowRows / sizeof(int) - 1];
constexpr int kPackedWideRows = kWideRows[sizeof kWideRows / sizeof(int) - 1];

// acc = A B over `chunks` depth chunks of 16. Row r of chunk kc is a[kc][r * 16 .. + 16); B holds
// 16 * V values per depth step, contiguous.
template <int R, int V>
inline void tile_product(int64_t chunks, const float* const* a, const float* b, Vec (&acc)[R][V]) {
#pragma GCC unroll 32
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) acc[r][v] = vzero();
  for (int64_t kc = 0; kc < chunks; ++kc, b += kLanes * V * kLanes) {
    const float* ak = a[kc];
#pragma GCC unroll 16
    for (int j = 0; j < kLanes; ++j) {
      Vec bv[V];
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) bv[v] = vload(b + (j * V + v) * kLanes);
#pragma GCC unroll 32
      for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
        for (int v = 0; v < V; ++v) acc[r][v] = vfma(ak[r * kLanes + j], bv[v], acc[r][v]);
    }
  }
}

// Rows r < rows: targets[r][c0 ..) = act(acc[r] + bias[c0 ..)) for `columns` (<= 16 V) values.
// bias: NULL or padded to whole vectors.
template <int R, int V>
inline void store_tile(Vec (&acc)[R][V], float* const* targets, int64_t c0, int rows,
                       int64_t columns, const float* bias, bool relu) {
  Vec bv[V];
  for (int v = 0; v < V; ++v) bv[v] = bias ? vload(bias + c0 + v * kLanes) : vzero();
#pragma GCC unroll 32
  for (int r = 0; r < R; ++r) {
    if (r >= rows) break;
    float* out = targets[r] + c0;
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) {
      const int64_t left = columns - v * kLanes;
      if (left <= 0) break;
      Vec value = vadd(acc[r][v], bv[v]);
      if (relu) value = vrelu(value);
      if (left >= kLanes) vstore(out + v * kLanes, value);
      else vstore_first(out + v * kLanes, value, left);
    }
  }
}

// acc[r][v] = 0 (zero) or p[r * ld + 16 v] (the accumulators must be fully unrolled to stay
// in registers, hence these helpers).
template <int R, int V>
inline void load_tile(Vec (&acc)[R][V], const float* p, int64_t ld, bool zero) {
#pragma GCC unroll 32
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) acc[r][v] = zero ? vzero() : vload(p + r * ld + v * kLanes);
}
// p[r * ld + 16 v] = acc[r][v] for r < rows.
template <int R, int V>
inline void save_tile(Vec (&acc)[R][V], float* p, int64_t ld, int64_t rows = R) {
#pragma GCC unroll 32
  for (int r = 0; r < R; ++r) {
    if (r >= rows) break;
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) vstore(p + r * ld + v * kLanes, acc[r][v]);
  }
}

// acc[r][v] += sum over `count` steps q of a[q * lda + r] * b[q * ldb + 16 v].
template <int R, int V>
inline void filter_rows(int64_t count, const float* a, int64_t lda, const float* b, int64_t ldb,
                        Vec (&acc)[R][V]) {
  for (int64_t q = 0; q < count; ++q, a += lda, b += ldb) {
    Vec bv[V];
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) bv[v] = vload(b + v * kLanes);
#pragma GCC unroll 32
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) acc[r][v] = vfma(a[r], bv[v], acc[r][v]);
  }
}

}  // namespace kdlts::cpu::conv
