// The built-in GEMM, Goto/BLIS style: C is cut into fixed tiles (one task each); a task walks
// the depth in blocks of kDepth, packs its slice of op(A) and op(B) into cache-friendly buffers
// and runs a register-tiled micro-kernel over kRows x kCols pieces of its tile.
//
// Packed layouts (chosen so the common NN / NT cases pack with straight copies):
//   A: slivers of kRows rows; row r of a sliver is contiguous in depth (stride kDepth).
//   B: slivers of kCols columns; for each depth p the kCols values are contiguous.
// When C has few tiles but the depth is long (the B x B Gram with D = 65536), the depth is also
// split into fixed chunks whose partial sums are added in chunk order. For the symmetric A A^T
// (syrk_upper_builtin) tiles and micro-tiles strictly below the diagonal are skipped. All task
// shapes depend only on (m, n, k), never on the thread count, so results are bitwise
// reproducible.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

#include "cpu/gemm.hpp"
#include "parallel.hpp"

namespace kdlts::cpu {
namespace {

#if defined(__AVX512F__)
constexpr int kRows = 12, kCols = 32;  // 24 zmm accumulators
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int kRows = 6, kCols = 16;  // 12 ymm accumulators
#else
constexpr int kRows = 4, kCols = 16;  // left to the auto-vectoriser
#endif
constexpr int64_t kDepth = 256;             // depth block: a B sliver (32 KiB) stays in L1
constexpr int64_t kTileRows = 24 * kRows;   // C tile of one task; its packed A and B blocks
constexpr int64_t kTileCols = 16 * kCols;   // (~0.3 + 0.5 MiB) and C tile stay in L2
constexpr int64_t kTargetTasks = 16;        // split the depth when C has fewer tiles than this
constexpr int64_t kMinSplitDepth = 1024;    // ... but never into chunks shorter than this
constexpr int64_t kMinTiles = 4;            // else smaller C tiles (short depths only)

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// A view of op(X): element (r, c) of the logical (transposed or not) matrix.
struct Operand {
  const float* data;
  int64_t ld;
  bool trans;
  const float* at(int64_t r, int64_t c) const {
    return trans ? data + c * ld + r : data + r * ld + c;
  }
};

// 64-byte aligned per-thread scratch that only grows.
float* thread_buffer(std::vector<float>& storage, size_t floats) {
  if (storage.size() < floats + 16) storage.resize(floats + 16);
  const auto address = reinterpret_cast<uintptr_t>(storage.data());
  return storage.data() + ((64 - address % 64) % 64) / sizeof(float);
}

#if defined(__AVX512F__)
// Shuffles for the 16 x 16 transpose. The zero-masked forms (full mask) compile to the same
// instructions but avoid GCC 12's false -Wmaybe-uninitialized on _mm512_undefined_ps.
inline __m512 unpacklo(__m512 a, __m512 b) { return _mm512_maskz_unpacklo_ps(0xFFFF, a, b); }
inline __m512 unpackhi(__m512 a, __m512 b) { return _mm512_maskz_unpackhi_ps(0xFFFF, a, b); }
inline __m512 unpacklo_pairs(__m512 a, __m512 b) {
  return _mm512_castpd_ps(_mm512_maskz_unpacklo_pd(0xFF, _mm512_castps_pd(a), _mm512_castps_pd(b)));
}
inline __m512 unpackhi_pairs(__m512 a, __m512 b) {
  return _mm512_castpd_ps(_mm512_maskz_unpackhi_pd(0xFF, _mm512_castps_pd(a), _mm512_castps_pd(b)));
}
template <int kSelect>
inline __m512 lanes(__m512 a, __m512 b) {
  return _mm512_maskz_shuffle_f32x4(0xFFFF, a, b, kSelect);
}
#endif

// dst[q * dld + r] = src[r * ld + q] for r < rows, q < cols.
void transpose(const float* src, int64_t ld, int64_t rows, int64_t cols, float* dst, int64_t dld) {
#if defined(__AVX512F__)
  // 16 x 16 blocks in registers (4 shuffle stages instead of 256 scalar moves); masked loads and
  // stores cover partial blocks without touching memory outside them.
  auto lane_mask = [](int64_t n) { return n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1); };
  for (int64_t r0 = 0; r0 < rows; r0 += 16) {
    const int64_t row_count = std::min<int64_t>(16, rows - r0);
    const __mmask16 row_mask = lane_mask(row_count);
    for (int64_t q0 = 0; q0 < cols; q0 += 16) {
      const int64_t col_count = std::min<int64_t>(16, cols - q0);
      const __mmask16 col_mask = lane_mask(col_count);
      __m512 x[16], y[16];
      for (int i = 0; i < 16; ++i)
        x[i] = i < row_count ? _mm512_maskz_loadu_ps(col_mask, src + (r0 + i) * ld + q0)
                             : _mm512_setzero_ps();
      for (int i = 0; i < 16; i += 2) {
        y[i] = unpacklo(x[i], x[i + 1]);
        y[i + 1] = unpackhi(x[i], x[i + 1]);
      }
      for (int i = 0; i < 16; i += 4) {  // x[i + c]: column 4L + c of rows i..i+3 in lane L
        x[i] = unpacklo_pairs(y[i], y[i + 2]);
        x[i + 1] = unpackhi_pairs(y[i], y[i + 2]);
        x[i + 2] = unpacklo_pairs(y[i + 1], y[i + 3]);
        x[i + 3] = unpackhi_pairs(y[i + 1], y[i + 3]);
      }
      auto store = [&](int64_t q, __m512 column) {
        if (q < col_count) _mm512_mask_storeu_ps(dst + (q0 + q) * dld + r0, row_mask, column);
      };
      for (int c = 0; c < 4; ++c) {  // gather lane L of the four row groups into column 4L + c
        const __m512 lo01 = lanes<0x44>(x[c], x[4 + c]);
        const __m512 hi01 = lanes<0xEE>(x[c], x[4 + c]);
        const __m512 lo23 = lanes<0x44>(x[8 + c], x[12 + c]);
        const __m512 hi23 = lanes<0xEE>(x[8 + c], x[12 + c]);
        store(c, lanes<0x88>(lo01, lo23));
        store(4 + c, lanes<0xDD>(lo01, lo23));
        store(8 + c, lanes<0x88>(hi01, hi23));
        store(12 + c, lanes<0xDD>(hi01, hi23));
      }
    }
  }
#else
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t q = 0; q < cols; ++q) dst[q * dld + r] = src[r * ld + q];
#endif
}

// Rows [i0, i0 + rows) x depth [p0, p0 + depth) of op(A) into slivers of kRows x kDepth.
void pack_a(const Operand& a, int64_t i0, int64_t rows, int64_t p0, int64_t depth, float* dst) {
  for (int64_t s = 0; s * kRows < rows; ++s) {
    float* sliver = dst + s * kRows * kDepth;
    const int64_t valid = std::min<int64_t>(kRows, rows - s * kRows);
    if (a.trans) {  // op(A)(i, p) = A[p][i]: rows of A hold depth, so transpose
      transpose(a.at(i0 + s * kRows, p0), a.ld, depth, valid, sliver, kDepth);
    } else {
      for (int64_t r = 0; r < valid; ++r)
        std::memcpy(sliver + r * kDepth, a.at(i0 + s * kRows + r, p0), depth * sizeof(float));
    }
    for (int64_t r = valid; r < kRows; ++r) std::fill_n(sliver + r * kDepth, depth, 0.0f);
  }
}

// Depth [p0, p0 + depth) x columns [j0, j0 + cols) of op(B) into slivers of depth x kCols.
void pack_b(const Operand& b, int64_t p0, int64_t depth, int64_t j0, int64_t cols, float* dst) {
  const int64_t full = cols / kCols, tail = cols % kCols;  // whole slivers, columns left over
  if (b.trans) {  // op(B)(p, j) = B[j][p]: rows of B hold depth, so transpose
    for (int64_t s = 0; s * kCols < cols; ++s)
      transpose(b.at(p0, j0 + s * kCols), b.ld, std::min<int64_t>(kCols, cols - s * kCols), depth,
                dst + s * kCols * depth, kCols);
  } else {
    // 8 depth steps at a time: reads are 8 contiguous runs of op(B) (page- and prefetch-
    // friendly), writes 1 KiB runs per sliver; fixed trip counts become vector copies.
    for (int64_t pb = 0; pb < depth; pb += 8) {
      const int64_t pe = std::min(depth, pb + 8);
      for (int64_t s = 0; s < full; ++s)
        for (int64_t p = pb; p < pe; ++p) {
          const float* src = b.at(p0 + p, j0 + s * kCols);
          for (int j = 0; j < kCols; ++j) dst[(s * depth + p) * kCols + j] = src[j];
        }
      for (int64_t p = pb; p < pe; ++p)
        std::copy_n(b.at(p0 + p, j0 + full * kCols), tail, dst + (full * depth + p) * kCols);
    }
  }
  if (tail > 0) {
    float* last = dst + full * depth * kCols;
    for (int64_t p = 0; p < depth; ++p)
      std::fill(last + p * kCols + tail, last + (p + 1) * kCols, 0.0f);
  }
}

// c[i][j] = alpha * tile[i][j] + beta * c[i][j] for the valid part of a kRows x kCols tile.
[[maybe_unused]] void store_tile(const float* tile, float* c, int64_t ldc, int rows, int cols,
                                 float alpha, float beta) {
  for (int i = 0; i < rows; ++i) {
    float* ci = c + i * ldc;
    const float* ti = tile + i * kCols;
    if (beta == 0.0f) {
      for (int j = 0; j < cols; ++j) ci[j] = alpha * ti[j];
    } else {
      for (int j = 0; j < cols; ++j) ci[j] = alpha * ti[j] + beta * ci[j];
    }
  }
}

// C[rows x cols] = alpha * (A sliver)(B sliver) + beta * C over `depth` (beta == 0 overwrites).
void micro_kernel(int64_t depth, const float* a, const float* b, float* c, int64_t ldc, int rows,
                  int cols, float alpha, float beta) {
#if defined(__AVX512F__)
  constexpr int kVecs = kCols / 16;
  __m512 acc[kRows][kVecs];
#pragma GCC unroll 16
  for (int i = 0; i < kRows; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) acc[i][v] = _mm512_setzero_ps();
  for (int64_t p = 0; p < depth; ++p) {
    __m512 bv[kVecs];
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) bv[v] = _mm512_load_ps(b + p * kCols + 16 * v);
#pragma GCC unroll 16
    for (int i = 0; i < kRows; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i * kDepth + p]);
#pragma GCC unroll 4
      for (int v = 0; v < kVecs; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
    }
  }
  // Masked stores cover the ragged right edge; rows past the edge are skipped.
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 4
  for (int v = 0; v < kVecs; ++v) {
    const int left = cols - 16 * v;
    if (left <= 0) break;
    const __mmask16 mask = left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
#pragma GCC unroll 16
    for (int i = 0; i < kRows; ++i) {
      if (i >= rows) break;
      float* ci = c + i * ldc + 16 * v;
      __m512 out = _mm512_mul_ps(va, acc[i][v]);
      if (beta != 0.0f) out = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask, ci), out);
      _mm512_mask_storeu_ps(ci, mask, out);
    }
  }
#elif defined(__AVX2__) && defined(__FMA__)
  constexpr int kVecs = kCols / 8;
  __m256 acc[kRows][kVecs];
#pragma GCC unroll 8
  for (int i = 0; i < kRows; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) acc[i][v] = _mm256_setzero_ps();
  for (int64_t p = 0; p < depth; ++p) {
    __m256 bv[kVecs];
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) bv[v] = _mm256_load_ps(b + p * kCols + 8 * v);
#pragma GCC unroll 8
    for (int i = 0; i < kRows; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i * kDepth + p);
#pragma GCC unroll 4
      for (int v = 0; v < kVecs; ++v) acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
    }
  }
  if (rows == kRows && cols == kCols) {  // whole tile: update C straight from the registers
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
#pragma GCC unroll 8
    for (int i = 0; i < kRows; ++i)
#pragma GCC unroll 4
      for (int v = 0; v < kVecs; ++v) {
        float* ci = c + i * ldc + 8 * v;
        __m256 out = _mm256_mul_ps(va, acc[i][v]);
        if (beta != 0.0f) out = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci), out);
        _mm256_storeu_ps(ci, out);
      }
    return;
  }
  alignas(32) float tile[kRows * kCols];  // ragged edge: through a buffer
#pragma GCC unroll 8
  for (int i = 0; i < kRows; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) _mm256_store_ps(tile + i * kCols + 8 * v, acc[i][v]);
  store_tile(tile, c, ldc, rows, cols, alpha, beta);
#else
  float tile[kRows * kCols] = {};
  for (int64_t p = 0; p < depth; ++p)
    for (int i = 0; i < kRows; ++i) {
      const float ai = a[i * kDepth + p];
      for (int j = 0; j < kCols; ++j) tile[i * kCols + j] += ai * b[p * kCols + j];
    }
  store_tile(tile, c, ldc, rows, cols, alpha, beta);
#endif
}

// One task: C tile (rows x cols at c) = alpha * op(A)[i0.., p0..p1) op(B)[p0..p1), j0..] + beta C.
// upper_only skips the micro-tiles strictly below the diagonal of C (for the symmetric A A^T).
void compute_tile(const Operand& a, const Operand& b, int64_t i0, int64_t rows, int64_t j0,
                  int64_t cols, int64_t p_begin, int64_t p_end, float alpha, float beta, float* c,
                  int64_t ldc, bool upper_only) {
  thread_local std::vector<float> a_storage, b_storage;
  float* a_pack = thread_buffer(a_storage, kTileRows * kDepth);
  float* b_pack = thread_buffer(b_storage, kTileCols * kDepth);
  for (int64_t p0 = p_begin; p0 < p_end; p0 += kDepth) {
    const int64_t depth = std::min(kDepth, p_end - p0);
    pack_b(b, p0, depth, j0, cols, b_pack);
    pack_a(a, i0, rows, p0, depth, a_pack);
    const float block_beta = p0 == p_begin ? beta : 1.0f;  // later blocks accumulate
    for (int64_t jr = 0; jr < cols; jr += kCols) {
      const float* b_sliver = b_pack + (jr / kCols) * kCols * depth;
      const int sliver_cols = static_cast<int>(std::min<int64_t>(kCols, cols - jr));
      for (int64_t ir = 0; ir < rows; ir += kRows) {
        if (upper_only && i0 + ir >= j0 + jr + sliver_cols) break;  // this and later: below
        micro_kernel(depth, a_pack + (ir / kRows) * kRows * kDepth, b_sliver, c + ir * ldc + jr,
                     ldc, static_cast<int>(std::min<int64_t>(kRows, rows - ir)), sliver_cols,
                     alpha, block_beta);
      }
    }
  }
}

// C = beta * C (beta == 0 writes zeros, whatever C held).
void scale_c(int threads, int64_t m, int64_t n, float beta, float* c, int64_t ldc) {
  const int64_t rows_per_task = std::max<int64_t>(1, (1 << 16) / n);
  parallel_for(chunk_count(m, rows_per_task), threads, [&](int64_t task) {
    for (int64_t i = task * rows_per_task; i < std::min(m, (task + 1) * rows_per_task); ++i) {
      float* ci = c + i * ldc;
      if (beta == 0.0f) {
        std::fill_n(ci, n, 0.0f);
      } else {
        for (int64_t j = 0; j < n; ++j) ci[j] *= beta;
      }
    }
  });
}

// The GEMM on C's tiles (and depth chunks); upper_only leaves C's strict lower triangle to the
// caller (it may hold anything afterwards).
void run_gemm(int threads, const Operand& op_a, const Operand& op_b, int64_t m, int64_t n,
              int64_t k, float alpha, float beta, float* c, int64_t ldc, bool upper_only) {
  // C tiles of kTileRows x kTileCols, halved (in whole micro-tiles) while there are fewer than
  // kMinTiles of them and the depth is too short for the depth split below, so that skinny
  // products (a dense layer: 128 x 300 x 784) still feed every thread. A tile's packing costs
  // ~2 / (its rows or columns) of its work, a few percent at these sizes. The arithmetic of an
  // element does not depend on the tile shape, so results keep the same bits.
  int64_t tile_rows = kTileRows, tile_cols = kTileCols;
  if (k < 2 * kMinSplitDepth) {
    while (ceil_div(m, tile_rows) * ceil_div(n, tile_cols) < kMinTiles) {
      const int64_t rows = std::min(tile_rows, ceil_div(m, kRows) * kRows);
      const int64_t cols = std::min(tile_cols, ceil_div(n, kCols) * kCols);
      if (rows >= 2 * kRows && (rows / kRows >= cols / kCols || cols < 2 * kCols)) {
        tile_rows = ceil_div(ceil_div(rows, 2), kRows) * kRows;
      } else if (cols >= 2 * kCols) {
        tile_cols = ceil_div(ceil_div(cols, 2), kCols) * kCols;
      } else {
        break;
      }
    }
  }
  const int64_t tiles_m = ceil_div(m, tile_rows), tiles_n = ceil_div(n, tile_cols);
  const int64_t tiles = tiles_m * tiles_n;
  auto tile_of = [&](int64_t t, int64_t& i0, int64_t& rows, int64_t& j0, int64_t& cols) {
    i0 = (t / tiles_n) * tile_rows;
    j0 = (t % tiles_n) * tile_cols;
    rows = std::min(tile_rows, m - i0);
    cols = std::min(tile_cols, n - j0);
  };

  int64_t splits = 1;
  if (tiles < kTargetTasks && k >= 2 * kMinSplitDepth)
    splits = std::min(ceil_div(kTargetTasks, tiles), k / kMinSplitDepth);
  if (splits == 1) {
    parallel_for(tiles, threads, [&](int64_t t) {
      int64_t i0, rows, j0, cols;
      tile_of(t, i0, rows, j0, cols);
      if (upper_only && i0 >= j0 + cols) return;  // the whole tile lies below the diagonal
      compute_tile(op_a, op_b, i0, rows, j0, cols, 0, k, alpha, beta, c + i0 * ldc + j0, ldc,
                   upper_only);
    });
    return;
  }

  // Depth split: chunk s writes op(A) op(B) over its depth range into partial[s] (m x n).
  const int64_t chunk_depth = ceil_div(ceil_div(k, splits), kDepth) * kDepth;
  splits = ceil_div(k, chunk_depth);
  std::vector<float> partial(static_cast<size_t>(splits * m * n));
  parallel_for(tiles * splits, threads, [&](int64_t task) {
    const int64_t t = task / splits, s = task % splits;
    int64_t i0, rows, j0, cols;
    tile_of(t, i0, rows, j0, cols);
    if (upper_only && i0 >= j0 + cols) return;
    const int64_t p0 = s * chunk_depth, p1 = std::min(k, p0 + chunk_depth);
    compute_tile(op_a, op_b, i0, rows, j0, cols, p0, p1, 1.0f, 0.0f,
                 partial.data() + s * m * n + i0 * n + j0, n, upper_only);
  });
  // C = alpha * (sum of the chunks, in chunk order) + beta * C.
  const int64_t rows_per_task = std::max<int64_t>(1, (1 << 14) / n);
  parallel_for(chunk_count(m, rows_per_task), threads, [&](int64_t task) {
    std::vector<float> sum(static_cast<size_t>(n));
    for (int64_t i = task * rows_per_task; i < std::min(m, (task + 1) * rows_per_task); ++i) {
      std::copy_n(partial.data() + i * n, n, sum.data());
      for (int64_t s = 1; s < splits; ++s) {
        const float* part = partial.data() + s * m * n + i * n;
        for (int64_t j = 0; j < n; ++j) sum[j] += part[j];
      }
      float* ci = c + i * ldc;
      if (beta == 0.0f) {
        for (int64_t j = 0; j < n; ++j) ci[j] = alpha * sum[j];
      } else {
        for (int64_t j = 0; j < n; ++j) ci[j] = alpha * sum[j] + beta * ci[j];
      }
    }
  });
}

}  // namespace

void sgemm_builtin(int threads, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                   float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                   float beta, float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) return scale_c(threads, m, n, beta, c, ldc);
  run_gemm(threads, {a, lda, trans_a}, {b, ldb, trans_b}, m, n, k, alpha, beta, c, ldc, false);
}

void syrk_upper_builtin(int threads, int64_t n, int64_t k, const float* a, int64_t lda, float* c,
                        int64_t ldc) {
  if (n <= 0) return;
  if (k <= 0) return scale_c(threads, n, n, 0.0f, c, ldc);
  run_gemm(threads, {a, lda, false}, {a, lda, true}, n, n, k, 1.0f, 0.0f, c, ldc, true);
}

}  // namespace kdlts::cpu
