// Batched Euclidean projection onto the capped simplex {x in [0,1]^n : sum x = k}, on the CPU.
//
// x_i = clip(y_i - lambda, 0, 1), where lambda solves phi(lambda) = sum_i clip(y_i - lambda, 0, 1)
// = k. phi is piecewise linear and non-increasing with breakpoints y_i - 1 and y_i. A large
// group is solved in about two passes over memory:
//   1. a stratified sample of y estimates lambda and a bracket [lo, hi] around it (~4 sigma);
//   2. one parallel read pass classifies every element for lambda in [lo, hi]: always 0, always
//      1, always linear (y - lambda: only its sum and count are kept) or a candidate (a
//      breakpoint inside the bracket: kept, typically a few percent); it also rejects NaN/Inf;
//   3. the candidates form the same problem, much smaller: repeat until a few thousand are left,
//      then sweep their sorted breakpoints and compute lambda exactly on the final linear piece;
//   4. one parallel write pass.
// Work is split into fixed-size chunks and per-chunk results are merged in chunk order, so the
// output is bitwise identical for any thread count. Small groups run one per thread.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "cpu/ops.hpp"
#include "error.hpp"
#include "parallel.hpp"

#if defined(__AVX512F__)
#pragma GCC diagnostic push  // GCC 12's AVX-512 header trips -Wmaybe-uninitialized (PR 105593)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#define KDLTS_AVX512 1
#else
#define KDLTS_AVX512 0
#endif

namespace kdlts::cpu {
namespace {

constexpr int64_t kChunk = int64_t{1} << 16;       // elements per parallel task
constexpr int64_t kExactLimit = 4096;              // one-thread exact solve at or below this
constexpr int64_t kMaxSample = int64_t{1} << 16;   // sample size cap
constexpr int64_t kSmallGroup = int64_t{1} << 17;  // smaller groups: one thread each
constexpr int kLanes = 16;                         // block width of the hot loops
constexpr int64_t kPrefetchBytes = 4096;           // software prefetch distance of the passes
constexpr int64_t kStreamingWrites = int64_t{1} << 22;  // non-temporal x stores from this size
constexpr double kInf = std::numeric_limits<double>::infinity();

// The contribution of the elements already classified: for lambda inside the current bracket
// they add ones + lin_sum - lin_count * lambda to phi.
struct Fixed {
  int64_t ones = 0;
  int64_t lin_count = 0;
  double lin_sum = 0.0;

  double at(double lambda) const {
    return double(ones) + lin_sum - (lin_count ? double(lin_count) * lambda : 0.0);
  }
  void add(const Fixed& o) {
    ones += o.ones;
    lin_count += o.lin_count;
    lin_sum += o.lin_sum;
  }
};

// Order-preserving map of a non-NaN float to uint32 (for binary searches over floats).
uint32_t float_key(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return (bits & 0x80000000u) ? ~bits : bits | 0x80000000u;
}
float key_float(uint32_t key) {
  const uint32_t bits = (key & 0x80000000u) ? key & 0x7fffffffu : ~key;
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// The smallest float v in [-inf, +inf] with pred(v), for a predicate monotone in v; +inf if none.
// `guess` is usually it or a neighbour; otherwise a binary search over all floats settles it.
template <typename Pred>
float first_float_where(Pred pred, double guess) {
  const float inf = std::numeric_limits<float>::infinity();
  const double max = std::numeric_limits<float>::max();
  uint32_t key = float_key(std::isinf(guess) ? float(guess) : float(std::clamp(guess, -max, max)));
  for (int step = 0; step < 4; ++step) {
    const bool here = pred(key_float(key));
    if (here && (key == float_key(-inf) || !pred(key_float(key - 1)))) return key_float(key);
    if (!here && key == float_key(inf)) return inf;
    key += here ? -1 : 1;
  }
  uint32_t lo = float_key(-inf), hi = float_key(inf);
  if (!pred(inf)) return inf;
  while (lo < hi) {  // invariant: pred(key_float(hi))
    const uint32_t mid = lo + (hi - lo) / 2;
    if (pred(key_float(mid))) hi = mid; else lo = mid + 1;
  }
  return key_float(lo);
}

// Float thresholds that classify an element v for every lambda in [lo, hi], matching exactly the
// double breakpoints double(v) - 1.0 and double(v) used by the sweep and the final solve. The
// three ranges are disjoint (which matters only when lo == hi); the rest are candidates.
struct Cuts {
  float zero_end;  // v < zero_end: v <= lo, always 0
  float one_min;   // v >= one_min: v - 1 >= hi, always 1
  float lin_min;   // lin_min <= v < lin_end: hi <= v and v - 1 <= lo, always v - lambda
  float lin_end;

  Cuts(double lo, double hi)
      : zero_end(first_float_where([&](float v) { return double(v) > lo; }, lo)),
        one_min(first_float_where([&](float v) { return double(v) - 1.0 >= hi; }, hi + 1.0)),
        lin_min(std::max(zero_end, first_float_where([&](float v) { return v >= hi; }, hi))),
        lin_end(std::min(one_min,
                         first_float_where([&](float v) { return v - 1.0 > lo; }, lo + 1.0))) {}
};

double clip01(double v) { return std::min(1.0, std::max(0.0, v)); }

// sum_i clip(u_i - lambda, 0, 1) in double, in a fixed order (deterministic).
#if KDLTS_AVX512
double clip_sum(const float* u, int64_t n, double lambda) {
  const __m512d at = _mm512_set1_pd(lambda), zero = _mm512_setzero_pd(), one = _mm512_set1_pd(1.0);
  __m512d sum_lo = _mm512_setzero_pd(), sum_hi = _mm512_setzero_pd();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(u + i);
    const __m256 v_hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    const __m512d d_lo = _mm512_sub_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(v)), at);
    const __m512d d_hi = _mm512_sub_pd(_mm512_cvtps_pd(v_hi), at);
    sum_lo = _mm512_add_pd(sum_lo, _mm512_min_pd(_mm512_max_pd(d_lo, zero), one));
    sum_hi = _mm512_add_pd(sum_hi, _mm512_min_pd(_mm512_max_pd(d_hi, zero), one));
  }
  double s = _mm512_reduce_add_pd(sum_lo) + _mm512_reduce_add_pd(sum_hi);
  for (; i < n; ++i) s += clip01(double(u[i]) - lambda);
  return s;
}
#else
double clip_sum(const float* u, int64_t n, double lambda) {
  double lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) lanes[j] += clip01(double(u[i + j]) - lambda);
  double s = 0.0;
  for (; i < n; ++i) s += clip01(double(u[i]) - lambda);
  for (int j = 0; j < kLanes; ++j) s += lanes[j];
  return s;
}
#endif


int64_t first_non_finite(const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(y[i])) return i;
  return -1;
}

// ---- the two passes over a large group (the only code that has to run at memory speed) -----

// Per-chunk result of the classification pass.
struct ChunkResult {
  Fixed fixed;
  std::vector<float> candidates;
  double clip_lo = 0.0, clip_hi = 0.0;  // sum of clip(v - lo / hi, 0, 1) over the candidates
  bool all_finite = true;
};

// Working space for one chunk's candidates: kChunk + kLanes floats (blocks store whole vectors).
float* chunk_scratch() {
  thread_local std::vector<float> scratch(static_cast<size_t>(kChunk + kLanes));
  return scratch.data();
}

// Every element of p[0, n) is 0, 1, linear or a candidate (see Cuts); NaN compares false
// everywhere, so it is a candidate. Candidates go to `kept` (index order); returns their number.
int64_t classify_tail(const float* p, int64_t n, const Cuts& c, ChunkResult& r, float* kept) {
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float v = p[i];
    r.all_finite &= std::fabs(v) <= std::numeric_limits<float>::max();
    if (v < c.zero_end) continue;
    if (v >= c.one_min) ++r.fixed.ones;
    else if (v >= c.lin_min && v < c.lin_end) ++r.fixed.lin_count, r.fixed.lin_sum += double(v);
    else kept[count++] = v;
  }
  return count;
}

#if KDLTS_AVX512
int64_t classify_blocks(const float* p, int64_t n, const Cuts& c, ChunkResult& r, float* kept) {
  const __m512 zero_end = _mm512_set1_ps(c.zero_end), one_min = _mm512_set1_ps(c.one_min);
  const __m512 lin_min = _mm512_set1_ps(c.lin_min), lin_end = _mm512_set1_ps(c.lin_end);
  const __m512i one = _mm512_set1_epi32(1);
  __m512i ones = _mm512_setzero_si512(), lin_count = _mm512_setzero_si512();
  __m512d sum_lo = _mm512_setzero_pd(), sum_hi = _mm512_setzero_pd();
  __mmask16 non_finite = 0;
  int64_t i = 0, count = 0;
  for (; i + 16 <= n; i += 16) {
    _mm_prefetch(reinterpret_cast<const char*>(p + i) + kPrefetchBytes, _MM_HINT_T0);
    const __m512 v = _mm512_loadu_ps(p + i);
    const __mmask16 is_zero = _mm512_cmp_ps_mask(v, zero_end, _CMP_LT_OQ);
    const __mmask16 is_one = _mm512_cmp_ps_mask(v, one_min, _CMP_GE_OQ);
    const __mmask16 is_lin =
        _mm512_mask_cmp_ps_mask(_mm512_cmp_ps_mask(v, lin_min, _CMP_GE_OQ), v, lin_end, _CMP_LT_OQ);
    const __mmask16 is_candidate = ~(is_zero | is_one | is_lin);
    ones = _mm512_mask_add_epi32(ones, is_one, ones, one);
    lin_count = _mm512_mask_add_epi32(lin_count, is_lin, lin_count, one);
    const __m256 v_hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    sum_lo = _mm512_mask_add_pd(sum_lo, __mmask8(is_lin), sum_lo,
                                _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
    sum_hi = _mm512_mask_add_pd(sum_hi, __mmask8(is_lin >> 8), sum_hi, _mm512_cvtps_pd(v_hi));
#if defined(__AVX512DQ__)
    non_finite |= _mm512_fpclass_ps_mask(v, 0x99);  // NaN, +Inf, -Inf
#else
    non_finite |= _mm512_cmp_ps_mask(_mm512_sub_ps(v, v), _mm512_setzero_ps(), _CMP_NEQ_UQ);
#endif
    _mm512_storeu_ps(kept + count, _mm512_maskz_compress_ps(is_candidate, v));
    count += __builtin_popcount(is_candidate);
  }
  r.fixed.ones += _mm512_reduce_add_epi32(ones);
  r.fixed.lin_count += _mm512_reduce_add_epi32(lin_count);
  r.fixed.lin_sum += _mm512_reduce_add_pd(sum_lo) + _mm512_reduce_add_pd(sum_hi);
  r.all_finite &= non_finite == 0;
  return count + classify_tail(p + i, n - i, c, r, kept + count);
}
#else
// Portable: branch-free over blocks of kLanes so that it vectorises (comparisons become integer
// masks: GCC keeps floating-point selects scalar under its default -ftrapping-math).
int64_t classify_blocks(const float* p, int64_t n, const Cuts& c, ChunkResult& r, float* kept) {
  int32_t ones[kLanes] = {}, lin_count[kLanes] = {}, non_finite[kLanes] = {};
  double lin_sum[kLanes] = {};
  int64_t i = 0, count = 0;
  for (; i + kLanes <= n; i += kLanes) {
    float v[kLanes];
    int32_t candidate[kLanes];
    int32_t any_candidate = 0;
    std::memcpy(v, p + i, sizeof v);
    for (int j = 0; j < kLanes; ++j) {
      const int32_t zero = v[j] < c.zero_end;
      const int32_t one = v[j] >= c.one_min;
      const int32_t lin = (v[j] >= c.lin_min) & (v[j] < c.lin_end);
      ones[j] += one;
      lin_count[j] += lin;
      lin_sum[j] += double(v[j]) * double(lin);
      candidate[j] = 1 - (zero | one | lin);
      non_finite[j] |= !(std::fabs(v[j]) <= std::numeric_limits<float>::max());
      any_candidate |= candidate[j];
    }
    if (any_candidate)
      for (int j = 0; j < kLanes; ++j) kept[count] = v[j], count += candidate[j];
  }
  for (int j = 0; j < kLanes; ++j) {
    r.fixed.ones += ones[j];
    r.fixed.lin_count += lin_count[j];
    r.fixed.lin_sum += lin_sum[j];
    r.all_finite &= !non_finite[j];
  }
  return count + classify_tail(p + i, n - i, c, r, kept + count);
}
#endif

// The elements not classified yet, in index order: kChunk-sized slices of the group (first
// level) or the candidate lists that the previous level kept (owned here).
struct Undecided {
  std::vector<const float*> slice;
  std::vector<int64_t> start{0};  // start[s]: elements before slice s; start.back(): all
  std::vector<std::vector<float>> owned;

  int64_t size() const { return start.back(); }
  int64_t slices() const { return static_cast<int64_t>(slice.size()); }
  int64_t length(int64_t s) const { return start[s + 1] - start[s]; }
  void add(const float* data, int64_t n) {
    slice.push_back(data);
    start.push_back(start.back() + n);
  }
  std::vector<float> gather() const {
    std::vector<float> all;
    all.reserve(static_cast<size_t>(size()));
    for (int64_t s = 0; s < slices(); ++s) all.insert(all.end(), slice[s], slice[s] + length(s));
    return all;
  }
};

Undecided slices_of(const float* y, int64_t n) {
  Undecided u;
  for (int64_t begin = 0; begin < n; begin += kChunk) u.add(y + begin, std::min(kChunk, n - begin));
  return u;
}

// Classifies `u` for lambda in [lo, hi]: `fixed` receives the decided elements' part of phi,
// `next` the candidates (index order) and `phi_lo` / `phi_hi` phi at lo and hi (fixed part
// included). Returns false when `u` holds a NaN or an Inf.
struct Split {
  Fixed fixed;
  double phi_lo = 0.0, phi_hi = 0.0;
};
bool classify(int threads, const Undecided& u, double lo, double hi, Split& split,
              Undecided& next) {
  const Cuts cuts(lo, hi);
  std::vector<ChunkResult> results(static_cast<size_t>(u.slices()));
  parallel_for(u.slices(), threads, [&](int64_t s) {
    float* kept = chunk_scratch();  // slices are at most kChunk long
    const int64_t count = classify_blocks(u.slice[s], u.length(s), cuts, results[s], kept);
    results[s].candidates.assign(kept, kept + count);
    results[s].clip_lo = clip_sum(kept, count, lo);
    results[s].clip_hi = clip_sum(kept, count, hi);
  });
  Fixed& fixed = split.fixed;
  fixed = Fixed{};
  double clip_lo = 0.0, clip_hi = 0.0;
  next = Undecided{};
  for (auto& r : results) {
    if (!r.all_finite) return false;
    fixed.add(r.fixed);
    clip_lo += r.clip_lo;
    clip_hi += r.clip_hi;
    if (r.candidates.empty()) continue;
    next.add(r.candidates.data(), static_cast<int64_t>(r.candidates.size()));
    next.owned.push_back(std::move(r.candidates));  // moving keeps the data pointer
  }
  if (next.size() <= 4 * kChunk && next.slices() > 4) {  // few elements in many slices: merge
    std::vector<float> all = next.gather();
    next = Undecided{};
    for (int64_t begin = 0; begin < int64_t(all.size()); begin += kChunk) {
      const int64_t end = std::min<int64_t>(begin + kChunk, all.size());
      next.owned.emplace_back(all.begin() + begin, all.begin() + end);
      next.add(next.owned.back().data(), end - begin);
    }
  }
  split.phi_lo = fixed.at(lo) + clip_lo;
  split.phi_hi = fixed.at(hi) + clip_hi;
  return true;
}

// x = clip(y - lambda, 0, 1) in float with lambda split into hi + lo floats: (y - hi) - lo is
// within two roundings (~1e-7) of the exact value, as cheap as a copy, and the same on every
// path. Non-temporal stores for large outputs (no read-for-ownership of x). x may alias y.
struct SplitLambda {
  float hi, lo;
  explicit SplitLambda(double lambda)
      : hi(static_cast<float>(lambda)), lo(static_cast<float>(lambda - double(hi))) {}
  float project(float v) const {
    const float d = (v - hi) - lo;
    return d > 0.0f ? (d < 1.0f ? d : 1.0f) : 0.0f;
  }
};

#if KDLTS_AVX512
void write_projection(const float* y, float* x, int64_t n, SplitLambda l, bool stream) {
  int64_t i = 0;
  if (stream)  // aligned stores from here on
    for (; i < n && reinterpret_cast<uintptr_t>(x + i) % 64 != 0; ++i) x[i] = l.project(y[i]);
  const __m512 hi = _mm512_set1_ps(l.hi), lo = _mm512_set1_ps(l.lo);
  const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
  for (; i + 16 <= n; i += 16) {
    _mm_prefetch(reinterpret_cast<const char*>(y + i) + kPrefetchBytes, _MM_HINT_T0);
    const __m512 d = _mm512_sub_ps(_mm512_sub_ps(_mm512_loadu_ps(y + i), hi), lo);
    const __m512 v = _mm512_min_ps(_mm512_max_ps(d, zero), one);  // max(-0, +0) is +0
    if (stream) _mm512_stream_ps(x + i, v);
    else _mm512_storeu_ps(x + i, v);
  }
  if (stream) _mm_sfence();
  for (; i < n; ++i) x[i] = l.project(y[i]);
}
#else
void write_projection(const float* y, float* x, int64_t n, SplitLambda l, bool) {
  constexpr uint32_t kOneBits = 0x3f800000u;  // 1.0f
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {  // through a local buffer: x may alias y
    float v[kLanes];
    uint32_t out[kLanes];
    std::memcpy(v, y + i, sizeof v);
    for (int j = 0; j < kLanes; ++j) {
      const float d = (v[j] - l.hi) - l.lo;
      uint32_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      const uint32_t zero = 0u - uint32_t(!(d > 0.0f)), one = 0u - uint32_t(d >= 1.0f);
      out[j] = (bits & ~(zero | one)) | (one & kOneBits);
    }
    std::memcpy(x + i, out, sizeof out);
  }
  for (; i < n; ++i) x[i] = l.project(y[i]);
}
#endif

// A piece [a, b] of phi between consecutive breakpoints, and lambda on it.
struct Piece {
  double a, b, lambda;
};

// Sweeps the breakpoints of phi(l) = fixed.at(l) + w * sum_j clip(u_j - l, 0, 1) (u sorted,
// each element standing for w of them) over [lo, hi] and finds where phi crosses each target
// (given in decreasing order), interpolated on its piece. A lambda is -inf (+inf) when phi
// stays below (above) the target over the sample's range and that side of the bracket is open.
void sweep(const std::vector<float>& u, double w, const Fixed& fixed, double lo, double hi,
           const double* targets, Piece* pieces, int count) {
  const int64_t s = static_cast<int64_t>(u.size());
  int t = 0;
  const auto settle = [&](Piece piece) {  // the remaining targets all cross here
    while (t < count) pieces[t++] = piece;
  };
  double cur = lo;
  if (cur == -kInf) {
    if (s == 0) return settle({hi, hi, hi});
    cur = std::min(double(u[0]) - 1.0, hi);  // phi is constant below the first breakpoint
  }
  double phi = fixed.at(cur) + w * clip_sum(u.data(), s, cur);
  const double start = lo == -kInf ? -kInf : cur;
  while (t < count && phi <= targets[t]) pieces[t++] = {start, start, start};
  // Elements in [p_out, p_in) are on their linear part just right of cur.
  int64_t p_in = std::partition_point(u.begin(), u.end(),
                                      [&](float v) { return double(v) - 1.0 <= cur; }) - u.begin();
  int64_t p_out = std::partition_point(u.begin(), u.end(),
                                       [&](float v) { return double(v) <= cur; }) - u.begin();
  while (t < count) {
    double next = hi;
    if (p_in < s) next = std::min(next, double(u[p_in]) - 1.0);
    if (p_out < s) next = std::min(next, double(u[p_out]));
    const double slope = double(fixed.lin_count) + w * double(p_in - p_out);
    if (next == kInf) {  // past every breakpoint with the top of the bracket open
      for (; t < count; ++t)
        pieces[t] = {cur, kInf, slope > 0.0 ? cur + (phi - targets[t]) / slope : kInf};
      return;
    }
    const double phi_next = phi - slope * (next - cur);
    for (; t < count && phi_next <= targets[t]; ++t) {
      const double lambda = slope > 0.0 ? cur + (phi - targets[t]) / slope : cur;
      pieces[t] = {cur, next, std::min(std::max(lambda, cur), next)};
    }
    if (next >= hi) return settle({hi, hi, hi});
    cur = next;
    phi = phi_next;
    while (p_in < s && double(u[p_in]) - 1.0 <= cur) ++p_in;
    while (p_out < s && double(u[p_out]) <= cur) ++p_out;
  }
}

// Exact lambda for phi(l) = fixed.at(l) + sum_j clip(u_j - l, 0, 1) = k on [lo, hi].
double solve_exact(std::vector<float>& u, const Fixed& fixed, double lo, double hi, double k) {
  std::sort(u.begin(), u.end());
  Piece piece;
  sweep(u, 1.0, fixed, lo, hi, &k, &piece, 1);
  if (!(piece.a < piece.b)) {
    if (piece.lambda == -kInf) return double(u.front()) - 1.0;  // only when k >= n: all ones
    if (piece.lambda == kInf) return double(u.back());          // only when k <= 0: all zeros
    return piece.lambda;
  }
  // No breakpoint lies strictly inside (a, b): phi is affine there. Recompute it from the
  // elements rather than trusting the sweep's running sum.
  Fixed f = fixed;
  for (const float v : u) {
    if (double(v) <= piece.a) continue;
    if (double(v) - 1.0 >= piece.b) ++f.ones;
    else ++f.lin_count, f.lin_sum += double(v);
  }
  if (f.lin_count == 0) return std::isfinite(piece.a) ? piece.a : piece.b;
  const double lambda = (double(f.ones) + f.lin_sum - k) / double(f.lin_count);
  return std::min(std::max(lambda, piece.a), piece.b);
}

// A stratified sample: one element from each of m equal strata, at a hashed offset (all of u
// when m is its size).
std::vector<float> draw_sample(int threads, const Undecided& u, int64_t m) {
  const int64_t n = u.size();
  if (m == n) return u.gather();
  std::vector<float> s(static_cast<size_t>(m));
  const double stratum = double(n) / double(m);
  parallel_for(chunk_count(m, 4096), threads, [&](int64_t c) {
    const auto begin_of = [&](int64_t j) { return int64_t(double(j) * stratum); };
    int64_t slice = std::upper_bound(u.start.begin(), u.start.end(), begin_of(c * 4096)) -
                    u.start.begin() - 1;
    for (int64_t j = c * 4096; j < std::min(m, (c + 1) * 4096); ++j) {
      const int64_t begin = begin_of(j), len = (j + 1 == m ? n : begin_of(j + 1)) - begin;
      uint64_t h = uint64_t(j) * 0x9e3779b97f4a7c15ull;  // splitmix64 finaliser
      h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
      h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
      const int64_t at = begin + int64_t(((h >> 32) * uint64_t(len)) >> 32);  // in [0, len)
      while (u.start[slice + 1] <= at) ++slice;  // positions increase with j
      s[j] = u.slice[slice][at - u.start[slice]];
    }
  });
  return s;
}

// Where the sample's estimate of phi, fixed.at(l) + w * sum_j clip(s_j - l, 0, 1), crosses
// target inside [lo, hi], to within tol of phi: regula falsi (Illinois variant), each step one
// vectorised pass over the sample. -inf / +inf when the estimate stays below / above the target
// over the sample's range and that side of the bracket is open.
double sample_crossing(const std::vector<float>& sample, double w, const Fixed& fixed, double lo,
                       double hi, double target, double tol) {
  const auto f = [&](double l) {
    return fixed.at(l) + w * clip_sum(sample.data(), int64_t(sample.size()), l) - target;
  };
  const auto [min_it, max_it] = std::minmax_element(sample.begin(), sample.end());
  double a = lo == -kInf ? double(*min_it) - 1.0 : lo;  // f is constant beyond the sample
  double b = hi == kInf ? double(*max_it) : hi;
  double fa = f(a), fb = f(b);
  if (fa <= 0.0) return lo == -kInf ? -kInf : lo;
  if (fb >= 0.0) return hi == kInf ? kInf : hi;
  int side = 0;
  for (int step = 0; step < 100 && a < b; ++step) {
    double x = (a * fb - b * fa) / (fb - fa);
    if (!(x > a && x < b)) x = a + (b - a) / 2;
    const double fx = f(x);
    if (std::fabs(fx) <= tol) return x;
    if (fx > 0.0) {
      a = x, fa = fx;
      if (side == 1) fb /= 2;  // the same end twice: halve the other's weight
      side = 1;
    } else {
      b = x, fb = fx;
      if (side == -1) fa /= 2;
      side = -1;
    }
  }
  return a + (b - a) / 2;
}

// lambda for one group with 0 < k < n. Returns NaN after storing the offset of the first
// non-finite element in *first_bad.
double find_threshold(int threads, const float* y, int64_t n, double k, int64_t* first_bad) {
  // Invariant: lambda lies in [lo, hi] and there phi(l) = fixed.at(l) + sum over the elements
  // of `undecided` of clip(v - l, 0, 1).
  Fixed fixed;
  double lo = -kInf, hi = kInf;
  Undecided undecided = slices_of(y, n), next;
  bool checked = false;  // y known to be finite
  double spread = 1.0;   // bracket width factor, grown after a miss
  const auto fail_non_finite = [&] {
    *first_bad = first_non_finite(y, n);
    return std::numeric_limits<double>::quiet_NaN();
  };
  for (;;) {
    const int64_t size = undecided.size();
    if (size <= kExactLimit) {
      std::vector<float> all = undecided.gather();
      if (!checked && first_non_finite(all.data(), size) >= 0) return fail_non_finite();
      return solve_exact(all, fixed, lo, hi, k);  // sorts at most kExactLimit values
    }
    // Bracket lambda from a sample: its phi has a standard deviation of at most
    // sqrt(m) / 2 samples, each standing for w elements; aim ~4 deviations out. A sample of
    // everything is exact: then aim half an element out.
    const int64_t m =
        std::min({kMaxSample, size, std::max<int64_t>(1024, 8 * int64_t(std::sqrt(size)))});
    std::vector<float> sample = draw_sample(threads, undecided, m);
    if (!checked && first_non_finite(sample.data(), m) >= 0) return fail_non_finite();
    const double w = double(size) / double(m);
    const double delta = spread * (m == size ? 0.5 : (2.0 * std::sqrt(double(m)) + 1.0) * w);
    const double in_lo = sample_crossing(sample, w, fixed, lo, hi, k + delta, delta / 4);
    const double in_hi =
        std::max(in_lo, sample_crossing(sample, w, fixed, lo, hi, k - delta, delta / 4));

    // Heavy ties put most breakpoints inside any bracket: test the median breakpoint inside
    // instead (a pass that keeps no candidate) and keep the side that holds lambda.
    std::vector<double> inside;
    for (const float v : sample) {
      if (double(v) - 1.0 > in_lo && double(v) - 1.0 < in_hi) inside.push_back(double(v) - 1.0);
      if (double(v) > in_lo && double(v) < in_hi) inside.push_back(double(v));
    }
    if (int64_t(inside.size()) * 4 > m) {
      std::nth_element(inside.begin(), inside.begin() + inside.size() / 2, inside.end());
      const double pivot = inside[inside.size() / 2];
      Split at_pivot;
      if (!classify(threads, undecided, pivot, pivot, at_pivot, next)) return fail_non_finite();
      checked = true;
      const double phi_pivot = fixed.at(pivot) + at_pivot.phi_lo;
      if (phi_pivot == k) return pivot;
      if (phi_pivot > k) lo = pivot; else hi = pivot;
      continue;
    }

    Split level;
    if (!classify(threads, undecided, in_lo, in_hi, level, next)) return fail_non_finite();
    checked = true;
    const double phi_lo = in_lo == -kInf ? kInf : fixed.at(in_lo) + level.phi_lo;
    const double phi_hi = in_hi == kInf ? -kInf : fixed.at(in_hi) + level.phi_hi;
    if (phi_lo < k || phi_hi > k) {  // the sample misled us (rare): shrink the outer bracket
      // At an end of the outer bracket, the miss is rounding: lambda is that end.
      if (phi_lo < k && in_lo <= lo) return lo;
      if (phi_hi > k && in_hi >= hi) return hi;
      if (phi_lo < k) hi = in_lo; else lo = in_hi;
      spread *= 8.0;
      continue;
    }
    fixed.add(level.fixed);
    lo = in_lo;
    hi = in_hi;
    spread = 1.0;
    std::swap(undecided, next);
  }
}

// Minimum and maximum of a group (for k = n and k = 0); false on NaN/Inf. Over the integer
// keys, so that it vectorises.
bool min_max(int threads, const float* y, int64_t n, float& lo, float& hi) {
  struct MinMax {
    uint32_t lo = ~uint32_t{0}, hi = 0;
    bool finite = true;
  };
  std::vector<MinMax> chunks(static_cast<size_t>(chunk_count(n, kChunk)));
  parallel_for(static_cast<int64_t>(chunks.size()), threads, [&](int64_t c) {
    MinMax& r = chunks[c];
    uint32_t non_finite = 0;
    for (int64_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); ++i) {
      uint32_t bits;
      std::memcpy(&bits, y + i, sizeof bits);
      non_finite |= (bits & 0x7f800000u) == 0x7f800000u;
      const uint32_t key = float_key(y[i]);
      r.lo = std::min(r.lo, key);
      r.hi = std::max(r.hi, key);
    }
    r.finite = non_finite == 0;
  });
  MinMax all;
  for (const auto& c : chunks) {
    if (!c.finite) return false;
    all.lo = std::min(all.lo, c.lo);
    all.hi = std::max(all.hi, c.hi);
  }
  lo = key_float(all.lo);
  hi = key_float(all.hi);
  return true;
}

// Projects one group; returns false after storing the offset of the first NaN/Inf.
bool project_group(int threads, const float* y, float* x, int64_t n, double k, double& lambda,
                   int64_t& first_bad) {
  if (n == 0) {
    lambda = 0.0;
    return true;
  }
  if (k <= 0.0 || k >= double(n)) {  // all zeros (lambda = max y) or all ones (min y - 1)
    float lo, hi;
    if (!min_max(threads, y, n, lo, hi)) {
      first_bad = first_non_finite(y, n);
      return false;
    }
    lambda = k <= 0.0 ? double(hi) : double(lo) - 1.0;
    // Exactly 0 or 1: y - lambda in float could round to 0.99999994 (min y - 1 is inexact).
    const float fill = k <= 0.0 ? 0.0f : 1.0f;
    parallel_for(chunk_count(n, kChunk), threads, [&](int64_t c) {
      const int64_t begin = c * kChunk;
      std::fill(x + begin, x + std::min(n, begin + kChunk), fill);
    });
    return true;
  } else {
    lambda = find_threshold(threads, y, n, k, &first_bad);
    if (std::isnan(lambda)) return false;
  }
  const SplitLambda split(lambda);
  const bool stream = n >= kStreamingWrites;
  parallel_for(chunk_count(n, kChunk), threads, [&](int64_t c) {
    const int64_t begin = c * kChunk;
    write_projection(y + begin, x + begin, std::min(kChunk, n - begin), split, stream);
  });
  return true;
}

std::string describe_non_finite(const float* y, int64_t index, int64_t group, int64_t offset) {
  const float v = y[index];
  const char* what = std::isnan(v) ? "NaN" : (v > 0 ? "+Inf" : "-Inf");
  return "y[" + std::to_string(index) + "] (group " + std::to_string(group) + ", element " +
         std::to_string(offset) + ") is " + what;
}

}  // namespace

void project_capped_simplex(int threads, const kdlts_projection_params& params, const float* y,
                            float* x, double* thresholds) {
  const int64_t groups = params.num_groups;
  std::vector<int64_t> start(static_cast<size_t>(groups) + 1, 0);
  for (int64_t g = 0; g < groups; ++g) start[g + 1] = start[g] + params.group_sizes[g];

  // Small groups first, one task each (single-threaded); then large groups one at a time with
  // every thread. The first offending group in index order is reported.
  std::vector<int64_t> small;
  for (int64_t g = 0; g < groups; ++g)
    if (params.group_sizes[g] < kSmallGroup) small.push_back(g);
  std::vector<int64_t> first_bad(static_cast<size_t>(groups), -1);
  std::vector<double> lambdas(static_cast<size_t>(groups), 0.0);
  parallel_for(static_cast<int64_t>(small.size()), threads, [&](int64_t t) {
    const int64_t g = small[t];
    project_group(1, y + start[g], x + start[g], params.group_sizes[g], params.budgets[g],
                  lambdas[g], first_bad[g]);
  });
  for (int64_t g = 0; g < groups; ++g) {
    if (params.group_sizes[g] >= kSmallGroup)
      project_group(threads, y + start[g], x + start[g], params.group_sizes[g],
                    params.budgets[g], lambdas[g], first_bad[g]);
    if (first_bad[g] >= 0)
      fail(KDLTS_ERR_NON_FINITE, describe_non_finite(y, start[g] + first_bad[g], g, first_bad[g]));
  }
  if (thresholds)
    for (int64_t g = 0; g < groups; ++g) thresholds[g] = lambdas[g];
}

}  // namespace kdlts::cpu
