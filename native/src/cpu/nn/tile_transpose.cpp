// Tile and transpose: pure data movement (tfjs Tile, Transpose), so bitwise exact.
//
// Both first collapse the shapes (drop size-1 axes, merge axes that move together), which turns
// most real cases into a few long contiguous runs. Tile then writes output rows as repeated
// copies of an input row; transpose either copies contiguous runs (the innermost axis stays
// innermost) or transposes 2-D tiles between the input's and the output's innermost axes.
#include <algorithm>
#include <cstring>

#include "cpu/nn/ops.hpp"

namespace kdlts::cpu {

namespace {

void copy_floats(float* dst, const float* src, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

// In-register 16 x 16 transpose (Eklundh): for b = 1, 2, 4, 8, rows i and i + b (bit b of i
// clear) swap their elements (i, c) and (i + b, c - b) for every column c with bit b set; each
// step is one two-source shuffle per row. Whole cache lines are read and written, which
// matters with power-of-two strides, where the 16 lines of a tile share a cache set.
#define KDLTS_STAGE(B, ...)                                   \
  for (int i = 0; i < 16; ++i) {                              \
    if (i & B) continue;                                      \
    const f32x16 a = t[i], b = t[i + B];                      \
    t[i] = __builtin_shufflevector(a, b, __VA_ARGS__);        \
    t[i + B] = __builtin_shufflevector(a, b, KDLTS_HIGH_##B); \
  }
#define KDLTS_HIGH_1 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31
#define KDLTS_HIGH_2 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31
#define KDLTS_HIGH_4 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31
#define KDLTS_HIGH_8 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31
inline void transpose16(f32x16* t) {
  KDLTS_STAGE(1, 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30)
  KDLTS_STAGE(2, 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29)
  KDLTS_STAGE(4, 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27)
  KDLTS_STAGE(8, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23)
}
#undef KDLTS_STAGE
#undef KDLTS_HIGH_1
#undef KDLTS_HIGH_2
#undef KDLTS_HIGH_4
#undef KDLTS_HIGH_8

}  // namespace

void tile(int threads, int rank, const int64_t* in_shape, const int64_t* reps, const float* x,
          float* y) {
  // Collapsed axes: an axis with reps 1 merges into the one before it (its input rows stay
  // whole), as do two axes that both have input size 1.
  int n = 0;
  int64_t in[8], rep[8];
  for (int d = 0; d < rank; ++d) {
    if (in_shape[d] == 1 && reps[d] == 1) continue;
    if (n > 0 && reps[d] == 1) {
      in[n - 1] *= in_shape[d];
    } else if (n > 0 && in[n - 1] == 1 && in_shape[d] == 1) {
      rep[n - 1] *= reps[d];
    } else {
      in[n] = in_shape[d];
      rep[n] = reps[d];
      ++n;
    }
  }
  if (n == 0) {
    y[0] = x[0];
    return;
  }
  int64_t x_stride[8];
  int64_t rows = 1, s = 1;
  for (int k = n - 1; k >= 0; --k) {
    x_stride[k] = s;
    s *= in[k];
  }
  for (int k = 0; k < n - 1; ++k) rows *= in[k] * rep[k];
  const int64_t in_row = in[n - 1], reps_row = rep[n - 1], out_row = in_row * reps_row;
  for_ranges(threads, rows, items_per_task(out_row), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      int64_t rest = r, src = 0;
      for (int k = n - 2; k >= 0; --k) {  // output index along axis k -> input index
        const int64_t out_extent = in[k] * rep[k];
        src += (rest % out_extent) % in[k] * x_stride[k];
        rest /= out_extent;
      }
      float* dst = y + r * out_row;
      if (in_row == 1) {
        std::fill(dst, dst + out_row, x[src]);
      } else {
        for (int64_t t = 0; t < reps_row; ++t) copy_floats(dst + t * in_row, x + src, in_row);
      }
    }
  });
}

void transpose(int threads, int rank, const int64_t* in_shape, const int32_t* perm, const float* x,
               float* y) {
  // Drop size-1 axes, then merge runs of input axes that stay consecutive in the output.
  int kept_index[8];  // input axis -> its index among the kept axes, -1 if dropped
  int kept = 0;
  int64_t total = 1;
  for (int d = 0; d < rank; ++d) {
    total *= in_shape[d];
    kept_index[d] = in_shape[d] == 1 ? -1 : kept++;
  }
  int p1[8], m = 0;  // the permutation of the kept axes
  for (int j = 0; j < rank; ++j) {
    if (kept_index[perm[j]] >= 0) p1[m++] = kept_index[perm[j]];
  }
  int64_t size1[8];
  for (int d = 0, k = 0; d < rank; ++d) {
    if (kept_index[d] >= 0) size1[k++] = in_shape[d];
  }
  // Groups: maximal runs p1[j], p1[j] + 1, ... in output order, named by their first axis.
  int group_start[8], groups = 0;
  for (int j = 0; j < m; ++j) {
    if (j == 0 || p1[j] != p1[j - 1] + 1) group_start[groups++] = p1[j];
  }
  // The collapsed input axes are the groups in input order; perm2 is the collapsed perm.
  int order[8];
  for (int g = 0; g < groups; ++g) {  // insertion sort (std::sort trips -Warray-bounds here)
    int k = g;
    for (; k > 0 && order[k - 1] > group_start[g]; --k) order[k] = order[k - 1];
    order[k] = group_start[g];
  }
  int perm2[8];
  for (int g = 0; g < groups; ++g) {
    perm2[g] = static_cast<int>(std::lower_bound(order, order + groups, group_start[g]) - order);
  }
  int64_t dims[8] = {0};  // collapsed input dims
  for (int a = 0; a < groups; ++a) {
    const int end = a + 1 < groups ? order[a + 1] : m;
    dims[a] = 1;
    for (int d = order[a]; d < end; ++d) dims[a] *= size1[d];
  }
  const int r = groups;
  if (r <= 1) {  // the identity permutation up to size-1 axes
    for_ranges(threads, total, kChunk,
               [&](int64_t b, int64_t e) { copy_floats(y + b, x + b, e - b); });
    return;
  }
  int64_t xs[8];  // input strides of the collapsed axes
  xs[r - 1] = 1;
  for (int a = r - 2; a >= 0; --a) xs[a] = xs[a + 1] * dims[a + 1];
  int64_t od[8], oxs[8];  // output dims and the input stride of each output axis
  for (int j = 0; j < r; ++j) {
    od[j] = dims[perm2[j]];
    oxs[j] = xs[perm2[j]];
  }
  if (perm2[r - 1] == r - 1) {  // the innermost axis stays innermost: copy runs
    const int64_t run = od[r - 1];
    const int64_t rows = total / run;
    for_ranges(threads, rows, items_per_task(run), [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        int64_t rest = row, src = 0;
        for (int j = r - 2; j >= 0; --j) {
          src += rest % od[j] * oxs[j];
          rest /= od[j];
        }
        copy_floats(y + row * run, x + src, run);
      }
    });
    return;
  }
  // 2-D tiles between input axis p (the output's innermost) and input axis r-1 (which lands at
  // output axis q). The other axes are walked as "outer" combinations.
  const int p = perm2[r - 1];
  int q = 0;
  while (perm2[q] != r - 1) ++q;
  int64_t ys[8];  // output strides
  ys[r - 1] = 1;
  for (int j = r - 2; j >= 0; --j) ys[j] = ys[j + 1] * od[j + 1];
  const int64_t np = dims[p], nl = dims[r - 1], xsp = xs[p], ysq = ys[q];
  int other[8], n_other = 0;
  int64_t others = 1;
  for (int j = 0; j < r; ++j) {
    if (j != q && j != r - 1) {
      other[n_other++] = j;
      others *= od[j];
    }
  }
  constexpr int64_t kTile = 16;
  const int64_t p_blocks = chunk_count(np, kTile);
  const int64_t units = others * p_blocks;  // (outer combination, block of 16 along p)
  for_ranges(threads, units, items_per_task(kTile * nl), [&](int64_t begin, int64_t end) {
    for (int64_t unit = begin; unit < end; ++unit) {
      const int64_t pb = unit % p_blocks;
      int64_t rest = unit / p_blocks, xo = 0, yo = 0;
      for (int k = n_other - 1; k >= 0; --k) {
        const int j = other[k];
        const int64_t i = rest % od[j];
        rest /= od[j];
        xo += i * oxs[j];
        yo += i * ys[j];
      }
      const int64_t i0 = pb * kTile, ni = std::min(np, i0 + kTile) - i0;
      for (int64_t l0 = 0; l0 < nl; l0 += kTile) {
        const int64_t nt = std::min(nl - l0, kTile);
        if (ni == kTile && nt == kTile) {  // a full tile in registers: whole lines in, whole out
          f32x16 t[16];
          for (int i = 0; i < 16; ++i) t[i] = load16(x + xo + (i0 + i) * xsp + l0);
          transpose16(t);
          for (int l = 0; l < 16; ++l) store16(y + yo + (l0 + l) * ysq + i0, t[l]);
          continue;
        }
        for (int64_t l = 0; l < nt; ++l) {
          const float* src = x + xo + i0 * xsp + l0 + l;
          float* dst = y + yo + (l0 + l) * ysq + i0;
          for (int64_t i = 0; i < ni; ++i) dst[i] = src[i * xsp];
        }
      }
    }
  });
}

}  // namespace kdlts::cpu
