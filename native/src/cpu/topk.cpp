// Exact top-k mask selection on the CPU: exactly k_g ones per group at the k_g largest scores,
// ties broken by the lower index. Expected O(n), in about one pass over memory for a large group:
//   1. scores map to order-preserving uint32 keys (-0 folded onto +0; NaN rejected);
//   2. a stratified sample brackets the k-th largest key between lo and hi (~4 sigma);
//   3. one parallel pass writes the mask: key > hi -> 1, key < lo -> 0, and collects the few
//      in-between candidates (key and offset, in index order) with a 0 written for now;
//   4. a radix selection over the candidates' keys finds the threshold key t; candidates above t
//      and the first ones equal to t (lowest indices) are set to 1.
// When the sample shows that the bracket would hold too many candidates (heavy ties), counting
// passes find t by histograms instead, and per-chunk counts of the keys equal to t decide which
// of them are kept. Work is split into fixed-size chunks whose results are merged in chunk order
// (or are integer counts, which any partition sums exactly), so the mask is the same for any
// thread count. Small groups are selected whole, one group per thread.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
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

constexpr int64_t kChunk = int64_t{1} << 16;               // elements per parallel task
constexpr int64_t kSmallGroup = int64_t{1} << 16;          // smaller groups: one thread each
constexpr int64_t kWholeSelect = 4096;                     // smaller: select among all keys
constexpr int64_t kMaxSample = int64_t{1} << 16;
constexpr int kLanes = 16;                                 // block width of the hot loop
constexpr int64_t kPrefetchBytes = 4096;                   // software prefetch distance
constexpr int64_t kStreamingWrites = int64_t{1} << 22;     // non-temporal mask stores from here

// Order-preserving key: a < b as floats iff key(a) < key(b); -0.0 and +0.0 share a key.
uint32_t key_of_bits(uint32_t bits) {
  bits = bits == 0x80000000u ? 0u : bits;
  return bits ^ (uint32_t(int32_t(bits) >> 31) | 0x80000000u);  // negatives: ~bits
}
uint32_t bits_of(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}
bool is_nan_bits(uint32_t bits) { return (bits & 0x7fffffffu) > 0x7f800000u; }

int64_t first_nan(const float* s, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (std::isnan(s[i])) return i;
  return -1;
}

int bit_width(uint32_t v) {
  int bits = 0;
  for (; v; v >>= 1) ++bits;
  return bits;
}

// Mask elements by their bit patterns: uint8_t 1, or uint32_t holding the bits of 1.0f.
template <typename Bits>
constexpr Bits kOne = Bits(1);
template <>
constexpr uint32_t kOne<uint32_t> = 0x3f800000u;

// The threshold key t for keeping r (>= 1) of `count` keys that all lie in [lo, hi]:
// count(key > t) < r <= count(key >= t); `greater` receives count(key > t). Radix selection:
// each round histograms the keys in [lo, hi] on up to max_bits bits (histogram(lo, hi, shift,
// bins) returns the counts of (key - lo) >> shift) and narrows [lo, hi] to one bin.
template <typename Histogram>
uint32_t select_threshold(Histogram histogram, int64_t count, int64_t r, uint32_t lo, uint32_t hi,
                          int64_t& greater) {
  const int max_bits = count >= (1 << 16) ? 16 : count >= 4096 ? 12 : 8;
  greater = 0;
  while (lo < hi) {
    const int shift = std::max(0, bit_width(hi - lo) - max_bits);
    const std::vector<int64_t> hist = histogram(lo, hi, shift, (size_t{hi - lo} >> shift) + 1);
    size_t bin = hist.size();
    int64_t above = 0;
    while (above + hist[--bin] < r) above += hist[bin];  // from the top bin down
    greater += above;
    r -= above;
    const uint32_t bin_lo = lo + (uint32_t(bin) << shift);
    hi = uint32_t(std::min<uint64_t>(hi, uint64_t(bin_lo) + ((uint64_t{1} << shift) - 1)));
    lo = bin_lo;
  }
  return lo;
}

// A small group (fewer than kWholeSelect elements): selection among all of its keys.
template <typename Bits>
bool topk_small(const float* s, Bits* mask, int64_t n, int64_t k, int64_t& first_bad) {
  std::vector<uint32_t> keys(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t bits = bits_of(s[i]);
    if (is_nan_bits(bits)) {
      first_bad = i;
      return false;
    }
    keys[i] = key_of_bits(bits);
  }
  if (k == 0 || k == n) {
    std::fill(mask, mask + n, k == 0 ? Bits(0) : kOne<Bits>);
    return true;
  }
  if (n <= 1024) {
    // Rank by (key desc, index asc) packed into one integer: all distinct, so the k best are
    // exactly those at least as good as the k-th (found by selection, not sorting).
    const auto rank = [&](int64_t i) { return uint64_t(keys[i]) << 32 | ~uint32_t(i); };
    std::vector<uint64_t> ranks(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) ranks[i] = rank(i);
    std::nth_element(ranks.begin(), ranks.begin() + (k - 1), ranks.end(), std::greater<>());
    const uint64_t kth = ranks[k - 1];
    for (int64_t i = 0; i < n; ++i) mask[i] = rank(i) >= kth ? kOne<Bits> : Bits(0);
    return true;
  }
  // Larger: radix selection of the threshold key (branch-free counting), then its ties by index.
  const auto histogram = [&](uint32_t lo, uint32_t hi, int shift, size_t bins) {
    std::vector<int64_t> hist(bins, 0);
    for (const uint32_t key : keys)
      if (key >= lo && key <= hi) ++hist[(key - lo) >> shift];
    return hist;
  };
  int64_t greater = 0;
  const uint32_t t = select_threshold(histogram, n, k, 0, ~uint32_t{0}, greater);
  int64_t ties = k - greater;  // keys equal to t that are kept, lowest indices first
  for (int64_t i = 0; i < n; ++i) {
    const bool keep = keys[i] > t || (keys[i] == t && ties-- > 0);
    mask[i] = keep ? kOne<Bits> : Bits(0);
  }
  return true;
}

// ---- the fused pass over a large group (the only code that has to run at memory speed) ----

// Per-chunk result of the fused pass.
struct ChunkResult {
  int64_t above = 0;             // keys > hi
  std::vector<uint32_t> keys;    // the candidates' keys and offsets in the chunk, index order
  std::vector<uint32_t> offsets;
  bool has_nan = false;
};

// Working space for one chunk's candidates: keys, then offsets, kChunk + kLanes each.
uint32_t* chunk_scratch() {
  thread_local std::vector<uint32_t> scratch(static_cast<size_t>(2 * (kChunk + kLanes)));
  return scratch.data();
}

// Writes mask[begin, end) for keys outside [lo, hi] (1 above, 0 below) and 0 for the keys inside,
// the candidates, which are appended to keys/offsets; returns their number.
template <typename Bits>
int64_t fused_scalar(const float* s, Bits* mask, int64_t begin, int64_t end, uint32_t lo,
                     uint32_t hi, ChunkResult& r, uint32_t* keys, uint32_t* offsets) {
  int64_t count = 0;
  for (int64_t i = begin; i < end; ++i) {
    const uint32_t bits = bits_of(s[i]), key = key_of_bits(bits);
    r.has_nan |= is_nan_bits(bits);
    r.above += key > hi;
    mask[i] = key > hi ? kOne<Bits> : Bits(0);
    if (key >= lo && key <= hi) keys[count] = key, offsets[count++] = uint32_t(i);
  }
  return count;
}

#if KDLTS_AVX512
template <typename Bits>
int64_t fused_pass(const float* s, Bits* mask, int64_t n, uint32_t lo, uint32_t hi, bool stream,
                   ChunkResult& r, uint32_t* keys, uint32_t* offsets) {
  const __m512i sign = _mm512_set1_epi32(int32_t(0x80000000u));
  const __m512i magnitude = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000);
  const __m512i key_lo = _mm512_set1_epi32(int32_t(lo)), key_hi = _mm512_set1_epi32(int32_t(hi));
  const __m512i one = _mm512_set1_epi32(1), one_bits = _mm512_set1_epi32(int32_t(kOne<Bits>));
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  // Streaming stores need the mask aligned to a block's size: do the first few one by one.
  const uintptr_t block_bytes = 16 * sizeof(Bits);
  int64_t i = stream ? std::min<int64_t>(n, int64_t((block_bytes - uintptr_t(mask) % block_bytes) %
                                                    block_bytes / sizeof(Bits)))
                     : 0;
  int64_t count = fused_scalar(s, mask, 0, i, lo, hi, r, keys, offsets);
  __m512i above = _mm512_setzero_si512();
  __mmask16 nan = 0;
  for (; i + 16 <= n; i += 16) {
    _mm_prefetch(reinterpret_cast<const char*>(s + i) + kPrefetchBytes, _MM_HINT_T0);
    __m512i bits = _mm512_loadu_si512(s + i);
    bits = _mm512_maskz_mov_epi32(_mm512_cmpneq_epi32_mask(bits, sign), bits);  // -0 -> +0
    nan |= _mm512_cmpgt_epu32_mask(_mm512_and_si512(bits, magnitude), inf);
    const __m512i key = _mm512_xor_si512(bits, _mm512_or_si512(_mm512_srai_epi32(bits, 31), sign));
    const __mmask16 keep = _mm512_cmpgt_epu32_mask(key, key_hi);
    const __mmask16 candidate = _mm512_mask_cmpge_epu32_mask(~keep, key, key_lo);
    above = _mm512_mask_add_epi32(above, keep, above, one);
    const __m512i out = _mm512_maskz_mov_epi32(keep, one_bits);
    if constexpr (sizeof(Bits) == 1) {
      const __m128i bytes = _mm512_cvtepi32_epi8(out);
      if (stream) _mm_stream_si128(reinterpret_cast<__m128i*>(mask + i), bytes);
      else _mm_storeu_si128(reinterpret_cast<__m128i*>(mask + i), bytes);
    } else {
      if (stream) _mm512_stream_si512(reinterpret_cast<__m512i*>(mask + i), out);
      else _mm512_storeu_si512(mask + i, out);
    }
    const __m512i offset = _mm512_add_epi32(lane, _mm512_set1_epi32(int32_t(i)));
    _mm512_storeu_si512(keys + count, _mm512_maskz_compress_epi32(candidate, key));
    _mm512_storeu_si512(offsets + count, _mm512_maskz_compress_epi32(candidate, offset));
    count += __builtin_popcount(candidate);
  }
  if (stream) _mm_sfence();
  r.above += _mm512_reduce_add_epi32(above);
  r.has_nan |= nan != 0;
  return count + fused_scalar(s, mask, i, n, lo, hi, r, keys + count, offsets + count);
}
#else
// Portable: branch-free over blocks of kLanes so that it vectorises.
template <typename Bits>
int64_t fused_pass(const float* s, Bits* mask, int64_t n, uint32_t lo, uint32_t hi, bool,
                   ChunkResult& r, uint32_t* keys, uint32_t* offsets) {
  int32_t above[kLanes] = {}, nan[kLanes] = {};
  int64_t i = 0, count = 0;
  for (; i + kLanes <= n; i += kLanes) {
    uint32_t bits[kLanes], block_keys[kLanes];
    Bits out[kLanes];
    int32_t candidate[kLanes];
    int32_t any_candidate = 0;
    std::memcpy(bits, s + i, sizeof bits);
    for (int j = 0; j < kLanes; ++j) {
      block_keys[j] = key_of_bits(bits[j]);
      const int32_t keep = block_keys[j] > hi;
      candidate[j] = (1 - keep) & (block_keys[j] >= lo);
      out[j] = Bits(Bits(0) - Bits(keep)) & kOne<Bits>;
      above[j] += keep;
      nan[j] |= is_nan_bits(bits[j]);
      any_candidate |= candidate[j];
    }
    std::memcpy(mask + i, out, sizeof out);
    if (any_candidate)
      for (int j = 0; j < kLanes; ++j) {
        keys[count] = block_keys[j], offsets[count] = uint32_t(i + j);
        count += candidate[j];
      }
  }
  for (int j = 0; j < kLanes; ++j) {
    r.above += above[j];
    r.has_nan |= nan[j] != 0;
  }
  return count + fused_scalar(s, mask, i, n, lo, hi, r, keys + count, offsets + count);
}
#endif

// Keys of a stratified sample: one element of each of m equal strata, at a hashed offset.
std::vector<uint32_t> sample_keys(int threads, const float* s, int64_t n, int64_t m,
                                  bool& has_nan) {
  std::vector<uint32_t> keys(static_cast<size_t>(m));
  std::vector<char> nan(static_cast<size_t>(chunk_count(m, 4096)), 0);
  const double stratum = double(n) / double(m);
  parallel_for(chunk_count(m, 4096), threads, [&](int64_t c) {
    for (int64_t j = c * 4096; j < std::min(m, (c + 1) * 4096); ++j) {
      const int64_t begin = int64_t(double(j) * stratum);
      const int64_t len = (j + 1 == m ? n : int64_t(double(j + 1) * stratum)) - begin;
      uint64_t h = uint64_t(j) * 0x9e3779b97f4a7c15ull;  // splitmix64 finaliser
      h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
      h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
      const uint32_t bits = bits_of(s[begin + int64_t(((h >> 32) * uint64_t(len)) >> 32)]);
      nan[c] |= is_nan_bits(bits);
      keys[j] = key_of_bits(bits);
    }
  });
  has_nan = std::find(nan.begin(), nan.end(), 1) != nan.end();
  return keys;
}

// Heavy ties: find the threshold by counting passes over the data (no candidate lists), then
// keep its first ties by per-chunk counts. [lo, hi] is a guess that is checked first, in a pass
// that also rejects NaN (returns false).
template <typename Bits>
bool topk_by_counting(int threads, const float* s, Bits* mask, int64_t n, int64_t k, uint32_t lo,
                      uint32_t hi) {
  const int64_t chunks = chunk_count(n, kChunk);
  const int64_t stripes = std::min<int64_t>(threads, chunks);
  const auto key_at = [&](int64_t i) { return key_of_bits(bits_of(s[i])); };
  // Integer counts over stripes: exact for any partition, so for any thread count.
  const auto histogram = [&](uint32_t from, uint32_t to, int shift, size_t bins) {
    std::vector<std::vector<int64_t>> part(static_cast<size_t>(stripes));
    parallel_for(stripes, threads, [&](int64_t t) {
      part[t].assign(bins, 0);
      for (int64_t i = n * t / stripes; i < n * (t + 1) / stripes; ++i) {
        const uint32_t key = key_at(i);
        if (key >= from && key <= to) ++part[t][(key - from) >> shift];
      }
    });
    std::vector<int64_t> total(bins, 0);
    for (const auto& p : part)
      for (size_t b = 0; b < bins; ++b) total[b] += p[b];
    return total;
  };
  // Check the guess: count the keys above and inside [lo, hi].
  std::vector<int64_t> above(static_cast<size_t>(stripes), 0), inside(above), nan(above);
  parallel_for(stripes, threads, [&](int64_t t) {
    for (int64_t i = n * t / stripes; i < n * (t + 1) / stripes; ++i) {
      const uint32_t bits = bits_of(s[i]), key = key_of_bits(bits);
      nan[t] |= is_nan_bits(bits);
      above[t] += key > hi;
      inside[t] += key >= lo && key <= hi;
    }
  });
  int64_t count_above = 0, count_inside = 0;
  for (int64_t t = 0; t < stripes; ++t) {
    if (nan[t]) return false;
    count_above += above[t], count_inside += inside[t];
  }
  if (count_above >= k) {  // the guess missed: the threshold is above hi
    lo = hi + 1, hi = ~uint32_t{0};
    count_inside = count_above, count_above = 0;
  } else if (count_above + count_inside < k) {  // ... or below lo
    hi = lo - 1, lo = 0;
    count_above += count_inside, count_inside = n - count_above;
  }
  int64_t greater = 0;
  const uint32_t t = select_threshold(histogram, count_inside, k - count_above, lo, hi, greater);
  // Per-chunk counts of the keys equal to t; the first k - count(key > t) of them are kept.
  std::vector<int64_t> equal(static_cast<size_t>(chunks), 0);
  parallel_for(chunks, threads, [&](int64_t c) {
    for (int64_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); ++i) equal[c] += key_at(i) == t;
  });
  int64_t ties = k - count_above - greater;
  std::vector<int64_t> tie_quota(static_cast<size_t>(chunks));
  for (int64_t c = 0; c < chunks; ++c) {
    tie_quota[c] = std::min(ties, equal[c]);
    ties -= tie_quota[c];
  }
  parallel_for(chunks, threads, [&](int64_t c) {
    int64_t quota = tie_quota[c];
    for (int64_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); ++i) {
      const uint32_t key = key_at(i);
      const bool keep = key > t || (key == t && quota-- > 0);
      mask[i] = keep ? kOne<Bits> : Bits(0);
    }
  });
  return true;
}

// A large group: sample, fused pass, selection among the candidates.
template <typename Bits>
bool topk_large(int threads, const float* s, Bits* mask, int64_t n, int64_t k, int64_t& first_bad) {
  const int64_t chunks = chunk_count(n, kChunk);
  const int64_t m = std::clamp(n / 16, int64_t{256}, kMaxSample);
  bool sample_nan = false;
  std::vector<uint32_t> sample = sample_keys(threads, s, n, m, sample_nan);
  if (sample_nan) {
    first_bad = first_nan(s, n);
    return false;
  }
  uint32_t outer_lo = 0, outer_hi = ~uint32_t{0};  // known to hold the threshold
  double spread = 1.0;                              // bracket width factor, grown after a miss
  for (;;) {
    // Sample ranks (from the top, 0-based) around k: ~4 standard deviations of a binomial.
    const double w = double(n) / double(m), ks = double(k) / w;
    const double delta = spread * (4.0 * std::sqrt(ks * (1.0 - double(k) / double(n))) + 2.0);
    const int64_t rank_hi = static_cast<int64_t>(std::floor(ks - delta));
    const int64_t rank_lo = static_cast<int64_t>(std::ceil(ks + delta));
    const auto key_at_rank = [&](int64_t rank) {  // the rank-th largest sample key
      std::nth_element(sample.begin(), sample.begin() + (m - 1 - rank), sample.end());
      return std::clamp(sample[m - 1 - rank], outer_lo, outer_hi);
    };
    const uint32_t hi = rank_hi < 0 ? outer_hi : key_at_rank(rank_hi);
    const uint32_t lo = rank_lo >= m ? outer_lo : key_at_rank(rank_lo);
    int64_t in_sample = 0;
    for (const uint32_t key : sample) in_sample += key >= lo && key <= hi;
    if (double(in_sample) * w > std::max(double(n) / 32.0, 1e6)) {  // heavy ties
      if (topk_by_counting(threads, s, mask, n, k, lo, hi)) return true;
      first_bad = first_nan(s, n);
      return false;
    }

    std::vector<ChunkResult> results(static_cast<size_t>(chunks));
    const bool stream = n >= kStreamingWrites;
    parallel_for(chunks, threads, [&](int64_t c) {
      const int64_t begin = c * kChunk;
      uint32_t* keys = chunk_scratch();
      uint32_t* offsets = keys + kChunk + kLanes;
      const int64_t count = fused_pass(s + begin, mask + begin, std::min(kChunk, n - begin), lo,
                                       hi, stream, results[c], keys, offsets);
      results[c].keys.assign(keys, keys + count);
      results[c].offsets.assign(offsets, offsets + count);
    });
    int64_t above = 0, candidates = 0;
    for (const auto& r : results) {
      if (r.has_nan) {
        first_bad = first_nan(s, n);
        return false;
      }
      above += r.above;
      candidates += static_cast<int64_t>(r.keys.size());
    }
    if (above > k || above + candidates < k) {  // the sample misled us (rare): widen, redo
      if (above > k) outer_lo = hi + 1;
      else outer_hi = lo - 1;
      spread *= 8.0;
      continue;
    }
    if (above == k) return true;

    // Radix selection over the candidates: parallel histograms over stripes of chunks.
    const int64_t stripes = std::min<int64_t>(threads, chunks);
    const auto histogram = [&](uint32_t from, uint32_t to, int shift, size_t bins) {
      std::vector<std::vector<int64_t>> part(static_cast<size_t>(stripes));
      parallel_for(stripes, threads, [&](int64_t t) {
        part[t].assign(bins, 0);
        for (int64_t c = chunks * t / stripes; c < chunks * (t + 1) / stripes; ++c)
          for (const uint32_t key : results[c].keys)
            if (key >= from && key <= to) ++part[t][(key - from) >> shift];
      });
      std::vector<int64_t> total(bins, 0);
      for (const auto& p : part)
        for (size_t b = 0; b < bins; ++b) total[b] += p[b];
      return total;
    };
    int64_t greater = 0;
    const uint32_t t = select_threshold(histogram, candidates, k - above, lo, hi, greater);
    // Set the chosen candidates, chunk by chunk in parallel: the ties kept are the first
    // k - above - greater in index order, so each chunk gets a quota from a prefix count.
    std::vector<int64_t> tie_quota(static_cast<size_t>(chunks), 0);
    parallel_for(chunks, threads, [&](int64_t c) {
      for (const uint32_t key : results[c].keys) tie_quota[c] += key == t;
    });
    int64_t ties = k - above - greater;
    for (auto& quota : tie_quota) {
      quota = std::min(ties, quota);
      ties -= quota;
    }
    parallel_for(chunks, threads, [&](int64_t c) {
      const ChunkResult& r = results[c];
      int64_t quota = tie_quota[c];
      for (size_t j = 0; j < r.keys.size(); ++j) {
        if (j + 16 < r.keys.size()) __builtin_prefetch(mask + c * kChunk + r.offsets[j + 16], 1);
        if (r.keys[j] > t || (r.keys[j] == t && quota-- > 0))
          mask[c * kChunk + r.offsets[j]] = kOne<Bits>;
      }
    });
    return true;
  }
}

template <typename Bits>
bool topk_group(int threads, const float* s, Bits* mask, int64_t n, int64_t k, int64_t& first_bad) {
  if (n == 0) return true;
  if (n < kWholeSelect) return topk_small(s, mask, n, k, first_bad);
  if (k == 0 || k == n) {  // a constant mask, still rejecting NaN
    std::vector<char> nan(static_cast<size_t>(chunk_count(n, kChunk)), 0);
    parallel_for(chunk_count(n, kChunk), threads, [&](int64_t c) {
      const int64_t begin = c * kChunk, end = std::min(n, begin + kChunk);
      std::fill(mask + begin, mask + end, k == 0 ? Bits(0) : kOne<Bits>);
      nan[c] = first_nan(s + begin, end - begin) >= 0;
    });
    if (std::find(nan.begin(), nan.end(), 1) == nan.end()) return true;
    first_bad = first_nan(s, n);
    return false;
  }
  return topk_large(threads, s, mask, n, k, first_bad);
}

template <typename Bits>
void topk_all(int threads, const kdlts_topk_params& params, const float* scores, Bits* mask) {
  const int64_t groups = params.num_groups;
  std::vector<int64_t> start(static_cast<size_t>(groups) + 1, 0);
  for (int64_t g = 0; g < groups; ++g) start[g + 1] = start[g] + params.group_sizes[g];
  // Small groups first, one task each; then large groups one at a time with every thread.
  // The first offending group in index order is reported.
  std::vector<int64_t> small;
  for (int64_t g = 0; g < groups; ++g)
    if (params.group_sizes[g] < kSmallGroup) small.push_back(g);
  std::vector<int64_t> first_bad(static_cast<size_t>(groups), -1);
  parallel_for(static_cast<int64_t>(small.size()), threads, [&](int64_t t) {
    const int64_t g = small[t];
    topk_group(1, scores + start[g], mask + start[g], params.group_sizes[g], params.k[g],
               first_bad[g]);
  });
  for (int64_t g = 0; g < groups; ++g) {
    if (params.group_sizes[g] >= kSmallGroup)
      topk_group(threads, scores + start[g], mask + start[g], params.group_sizes[g], params.k[g],
                 first_bad[g]);
    if (first_bad[g] >= 0)
      fail(KDLTS_ERR_NON_FINITE, "scores[" + std::to_string(start[g] + first_bad[g]) +
                                     "] (group " + std::to_string(g) + ", element " +
                                     std::to_string(first_bad[g]) + ") is NaN");
  }
}

}  // namespace

void topk_mask(int threads, const kdlts_topk_params& params, const float* scores, void* mask) {
  if (params.mask_type == KDLTS_MASK_F32)
    topk_all(threads, params, scores, static_cast<uint32_t*>(mask));
  else
    topk_all(threads, params, scores, static_cast<uint8_t*>(mask));
}

}  // namespace kdlts::cpu
