// 2-D convolution (NHWC input, HWIO filter) and both of its gradients as implicit GEMMs; the
// micro-kernels are in conv_kernels.hpp. Nothing the size of im2col(x) is ever built.
//
// Forward, y = im2col(x) W: rows are output pixels, depth is (tap, input channel) in 16-value
// chunks, columns are output channels (one or two 16-lane vectors per pass, so 16- and
// 32-channel layers waste no lanes). Bias and relu are applied before the single store.
//  - Channels a multiple of 16 ("window" path): a tile is R consecutive pixels of one output
//    row. For each filter row the tile's source row segment is copied once into a small buffer
//    (zeros in the padding; one copy per stride phase), and every (tap, 16 channels) depth chunk
//    is just a pointer into it: a 3x3 tap set costs 3 row copies instead of 9 im2col copies.
//  - Other channel counts ("packed" path): the im2col rows of R pixels are gathered into a
//    block (runs of taps that are contiguous in the input copied at once) and cut into chunks.
//
// Backward input runs the same engine as a gather (a transposed convolution), never a scatter:
// dx pixels are split into stride phases (ih mod stride_h, iw mod stride_w); within a phase the
// same taps reach every pixel, so dx[phase] = im2col_phase(dy) W_phase^T with rows = dx pixels
// and depth = (valid tap, output channel). Each dx element is computed and written once.
//
// Backward filter, dW = im2col(x)^T dy, reduces over the N * OH * OW pixels. They are cut into a
// fixed number of chunks that depends only on the shape; each chunk (a task) accumulates its own
// partial dW and the partials are added in chunk order, so the result is bitwise the same for
// any thread count. With channel counts that are multiples of 16 a chunk reads x and dy in
// place (rows = output channels broadcast from dy, vectors = 16 input channels of one tap loaded
// from x, skipping padded taps by range arithmetic); otherwise it packs im2col rows and puts the
// (tap, channel) depth on the rows.
//
// Every output element is one fixed sequence of fused multiply-adds; tasks only decide which
// thread runs it, so all three kernels are deterministic for any thread count.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <utility>
#include <vector>

#include "cpu/nn/conv_kernels.hpp"
#include "cpu/nn/conv_ops.hpp"
#include "parallel.hpp"

namespace kdlts::cpu {
namespace {

using conv::kLanes;
using conv::Vec;
using conv::vload;
using conv::vstore;
using conv::vzero;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// 64-byte aligned per-thread scratch that only grows.
template <typename T>
T* scratch(std::vector<T>& storage, size_t count) {
  if (storage.size() < count + 64) storage.resize(count + 64);
  const auto address = reinterpret_cast<uintptr_t>(storage.data());
  return storage.data() + ((64 - address % 64) % 64) / sizeof(T);
}

// Calls fn(std::integral_constant<int, R>) for the R of `rows` (one of the listed values).
template <const int* Values, size_t... I, typename Fn>
void with_rows(int rows, std::index_sequence<I...>, Fn fn) {
  ((rows == Values[I] && (fn(std::integral_constant<int, Values[I]>{}), true)) || ...);
}
template <typename Fn>
void with_narrow_rows(int rows, Fn fn) {
  with_rows<conv::kNarrowRows>(rows, std::make_index_sequence<std::size(conv::kNarrowRows)>{}, fn);
}
template <typename Fn>
void with_wide_rows(int rows, Fn fn) {
  with_rows<conv::kWideRows>(rows, std::make_index_sequence<std::size(conv::kWideRows)>{}, fn);
}

// The tile height among `candidates` that cuts a row of `width` pixels with the least padding
// (ties: the larger tile).
template <size_t N>
int pick_rows(const int (&candidates)[N], int64_t width) {
  int best = candidates[0];
  for (int r : candidates)
    if (ceil_div(width, r) * r <= ceil_div(width, best) * best) best = r;
  return best;
}

// ---- column passes over the output channels ---------------------------------------------------
// <= 16 columns: one 1-vector pass. More: passes of 2 vectors (32 columns), the last one 1 vector
// when the vector count is odd. Packed B holds each pass contiguously: [pass][depth][16 V].
struct Passes {
  int64_t vectors = 0, count = 0;
  bool wide() const { return vectors > 1; }
  int64_t width(int64_t pass) const { return std::min<int64_t>(2, vectors - 2 * pass); }
};

Passes plan_passes(int64_t columns) {
  Passes p;
  p.vectors = ceil_div(columns, kLanes);
  p.count = p.vectors <= 1 ? p.vectors : ceil_div(p.vectors, 2);
  return p;
}

// B[k][c] = value(k, c), zero-padded to depth_padded rows and whole vectors.
template <typename Value>
std::vector<float> pack_b(const Passes& passes, int64_t depth, int64_t depth_padded,
                          int64_t columns, Value value) {
  std::vector<float> packed(static_cast<size_t>(depth_padded * passes.vectors * kLanes), 0.0f);
  float* dst = packed.data();
  for (int64_t pass = 0; pass < passes.count; ++pass) {
    const int64_t width = passes.width(pass) * kLanes, c0 = pass * 2 * kLanes;
    for (int64_t k = 0; k < depth; ++k)
      for (int64_t c = 0; c < width && c0 + c < columns; ++c) dst[k * width + c] = value(k, c0 + c);
    dst += depth_padded * width;
  }
  return packed;
}

// ---- the gather description (forward and backward input) ------------------------------------
// Output pixel (n, i, j) of a grid_h x grid_w grid reads source pixels
// (i * step_h + off_h + tap_h[t], j * step_w + off_w + tap_w[t]) for every tap t (zero outside
// the source image), `channels` values each: its im2col row is their concatenation. It is written
// to output pixel (i * out_step_h + out_off_h, j * out_step_w + out_off_w).
struct Gather {
  int64_t batch = 0;
  const float* src = nullptr;
  int64_t src_h = 0, src_w = 0, channels = 0;
  int64_t grid_h = 0, grid_w = 0, step_h = 1, step_w = 1, off_h = 0, off_w = 0;
  std::vector<int64_t> tap_h, tap_w;
  float* out = nullptr;
  int64_t out_h = 0, out_w = 0, out_channels = 0;
  int64_t out_step_h = 1, out_step_w = 1, out_off_h = 0, out_off_w = 0;

  int64_t taps() const { return static_cast<int64_t>(tap_h.size()); }
  int64_t depth() const { return taps() * channels; }
  int64_t pixels() const { return batch * grid_h * grid_w; }
  float* target(int64_t n, int64_t i, int64_t j) const {
    return out + ((n * out_h + i * out_step_h + out_off_h) * out_w + j * out_step_w + out_off_w) *
                     out_channels;
  }
};

// The forward geometry as a gather from x (also the source addressing of backward filter).
Gather forward_gather(const kdlts_conv2d_params& p, const float* x, float* y) {
  Gather g;
  g.batch = p.batch;
  g.src = x;
  g.src_h = p.in_height, g.src_w = p.in_width, g.channels = p.in_channels;
  g.grid_h = p.out_height, g.grid_w = p.out_width;
  g.step_h = p.stride_height, g.step_w = p.stride_width;
  g.off_h = -p.pad_top, g.off_w = -p.pad_left;
  for (int64_t fh = 0; fh < p.filter_height; ++fh)
    for (int64_t fw = 0; fw < p.filter_width; ++fw) {
      g.tap_h.push_back(fh * p.dilation_height);
      g.tap_w.push_back(fw * p.dilation_width);
    }
  g.out = y;
  g.out_h = p.out_height, g.out_w = p.out_width, g.out_channels = p.out_channels;
  return g;
}

// Calls fn(n, i, j0, m, r0) for each run of consecutive pixels of one grid row among the grid
// pixels [q, q + count): pixels (n, i, j0 + u), u < m, are rows r0 + u of the block.
template <typename Fn>
void for_each_run(const Gather& g, int64_t q, int64_t count, Fn fn) {
  const int64_t per_image = g.grid_h * g.grid_w;
  int64_t n = q / per_image, i = (q % per_image) / g.grid_w, j = q % g.grid_w;
  for (int64_t r = 0; r < count;) {
    const int64_t m = std::min(count - r, g.grid_w - j);
    fn(n, i, j, m, r);
    r += m;
    j = 0;
    if (++i == g.grid_h) i = 0, ++n;
  }
}

// Of the m source spans starting at columns w0 + u * step_w (u < m), each `span` pixels wide in
// source row h: the range [lo, hi) of those wholly inside the image (by arithmetic: no per-pixel
// test; empty with lo = hi = m when row h is outside).
inline std::pair<int64_t, int64_t> inside(const Gather& g, int64_t h, int64_t w0, int64_t m,
                                          int64_t span = 1) {
  if (h < 0 || h >= g.src_h) return {m, m};
  const int64_t s = g.step_w, last = g.src_w - span;  // a span may start at columns [0, last]
  int64_t lo, hi;
  if (s == 1) {  // (no divisions on the common path)
    lo = -w0;
    hi = last - w0 + 1;
  } else {
    lo = w0 >= 0 ? 0 : ceil_div(-w0, s);
    hi = w0 > last ? 0 : (last - w0) / s + 1;
  }
  lo = std::clamp<int64_t>(lo, 0, m);
  return {lo, std::clamp<int64_t>(hi, lo, m)};
}

// Copies n floats from s to d in 16-float pieces, piece p at d + p * piece_stride.
inline void copy_pieces(float* d, const float* s, int64_t n, int64_t piece_stride) {
  int64_t p = 0;
  for (; p + kLanes <= n; p += kLanes, d += piece_stride) vstore(d, vload(s + p));
  if (p < n) conv::vstore_first(d, conv::vload_first(s + p, n - p), n - p);
}
inline void zero_pieces(float* d, int64_t n, int64_t piece_stride) {
  int64_t p = 0;
  for (; p + kLanes <= n; p += kLanes, d += piece_stride) vstore(d, vzero());
  if (p < n) conv::vstore_first(d, vzero(), n - p);
}

// Source pixels (n, h, w0 + u * step_w), u < m, to dst + u * pixel_stride (16-float pieces
// piece_stride apart); zeros outside the image.
void copy_source_run(const Gather& g, int64_t n, int64_t h, int64_t w0, int64_t m, float* dst,
                     int64_t pixel_stride, int64_t piece_stride) {
  const int64_t c = g.channels;
  const auto [lo, hi] = inside(g, h, w0, m);
  float* d = dst;
  for (int64_t u = 0; u < lo; ++u, d += pixel_stride) zero_pieces(d, c, piece_stride);
  if (lo < hi) {
    const float* s = g.src + ((n * g.src_h + h) * g.src_w + w0 + lo * g.step_w) * c;
    const int64_t src_stride = g.step_w * c;
    if (c == kLanes) {  // the common 16-channel case: one vector a pixel, a tight loop
      for (int64_t u = lo; u < hi; ++u, d += pixel_stride, s += src_stride) vstore(d, vload(s));
    } else {
      for (int64_t u = lo; u < hi; ++u, d += pixel_stride, s += src_stride)
        copy_pieces(d, s, c, piece_stride);
    }
  }
  for (int64_t u = hi; u < m; ++u, d += pixel_stride) zero_pieces(d, c, piece_stride);
}

// ---- window path (channels a multiple of 16) ----------------------------------------------------
// A tile is R pixels (n, i, j0 + r) of one grid row. Taps with the same tap_h share a "row slot";
// within it, tap t reads source columns (j0 + r) * s + off_w + tap_w[t]: with e = tap_w[t] -
// min tap_w, stream e mod s at position e div s + r, where stream k holds columns
// j0 * s + off_w + min_w + k + u * s, u < width = R + max(e div s). Buffer layout:
// [row slot][stream][16-channel piece][u][16]; depth chunk (t, piece) starts at chunk_offset.
struct Windows {
  int64_t pieces = 0, slots = 0, streams = 1, width = 0, min_w = 0;
  std::vector<int64_t> slot_h;         // tap_h of each row slot
  std::vector<char> used;              // [slot][stream]: read by some tap
  std::vector<int64_t> chunk_offset;   // per depth chunk (t * pieces + piece)
  int64_t size() const { return slots * streams * pieces * width * kLanes; }
};

Windows plan_windows(const Gather& g, int rows) {
  Windows w;
  w.pieces = g.channels / kLanes;
  w.streams = g.step_w;
  w.min_w = g.taps() ? *std::min_element(g.tap_w.begin(), g.tap_w.end()) : 0;
  std::vector<int64_t> slot_of(g.taps());
  int64_t max_u = 0;
  for (int64_t t = 0; t < g.taps(); ++t) {
    const auto it = std::find(w.slot_h.begin(), w.slot_h.end(), g.tap_h[t]);
    slot_of[t] = it - w.slot_h.begin();
    if (it == w.slot_h.end()) w.slot_h.push_back(g.tap_h[t]);
    max_u = std::max(max_u, (g.tap_w[t] - w.min_w) / w.streams);
  }
  w.slots = static_cast<int64_t>(w.slot_h.size());
  w.width = rows + max_u;
  w.used.assign(static_cast<size_t>(w.slots * w.streams), 0);
  for (int64_t t = 0; t < g.taps(); ++t) {
    const int64_t e = g.tap_w[t] - w.min_w, stream = e % w.streams, u = e / w.streams;
    w.used[slot_of[t] * w.streams + stream] = 1;
    for (int64_t piece = 0; piece < w.pieces; ++piece)
      w.chunk_offset.push_back(
          (((slot_of[t] * w.streams + stream) * w.pieces + piece) * w.width + u) * kLanes);
  }
  return w;
}

// The source windows of the tile at (n, i, j0) into buf.
void fill_windows(const Gather& g, const Windows& w, int64_t n, int64_t i, int64_t j0, float* buf) {
  for (int64_t slot = 0; slot < w.slots; ++slot)
    for (int64_t stream = 0; stream < w.streams; ++stream) {
      if (!w.used[slot * w.streams + stream]) continue;
      copy_source_run(g, n, i * g.step_h + g.off_h + w.slot_h[slot],
                      j0 * g.step_w + g.off_w + w.min_w + stream, w.width,
                      buf + (slot * w.streams + stream) * w.pieces * w.width * kLanes, kLanes,
                      w.width * kLanes);
    }
}

// The passes of one tile: out rows = act(A B + bias). Only wide tiles have 2-vector passes.
template <int R, bool kWide>
void tile_passes(const Passes& passes, int64_t chunks, const float* const* a, const float* b,
                 int64_t depth_padded, float* const* targets, int rows, int64_t columns,
                 const float* bias, bool relu) {
  auto pass = [&](auto v, int64_t c0) {
    constexpr int V = decltype(v)::value;
    Vec acc[R][V];
    conv::tile_product<R, V>(chunks, a, b, acc);
    conv::store_tile<R, V>(acc, targets, c0, rows, columns - c0, bias, relu);
    b += depth_padded * V * kLanes;
  };
  for (int64_t p = 0; p < passes.count; ++p) {
    if constexpr (kWide) {
      if (passes.width(p) == 2) {
        pass(std::integral_constant<int, 2>{}, p * 2 * kLanes);
        continue;
      }
    }
    pass(std::integral_constant<int, 1>{}, p * 2 * kLanes);
  }
}

template <int R, bool kWide>
void run_windows(int threads, const Gather& g, const Passes& passes, const float* b,
                 int64_t depth_padded, const float* bias, bool relu) {
  const Windows w = plan_windows(g, R);
  const int64_t chunks = depth_padded / kLanes;
  const int64_t row_tiles = ceil_div(g.grid_w, R), tiles = g.batch * g.grid_h * row_tiles;
  const int64_t tiles_per_task = std::max<int64_t>(1, 256 / R);  // ~256 pixels a task
  parallel_for(ceil_div(tiles, tiles_per_task), threads, [&](int64_t task) {
    thread_local std::vector<float> buf_storage;
    thread_local std::vector<const float*> chunk_storage;
    float* buf = scratch(buf_storage, static_cast<size_t>(w.size()));
    const float** a = scratch(chunk_storage, static_cast<size_t>(chunks));
    for (int64_t kc = 0; kc < chunks; ++kc) a[kc] = buf + w.chunk_offset[kc];
    float* targets[R];
    const int64_t end = std::min(tiles, (task + 1) * tiles_per_task);
    for (int64_t tile = task * tiles_per_task; tile < end; ++tile) {
      const int64_t row = tile / row_tiles, j0 = (tile % row_tiles) * R;
      const int64_t n = row / g.grid_h, i = row % g.grid_h;
      const int rows = static_cast<int>(std::min<int64_t>(R, g.grid_w - j0));
      fill_windows(g, w, n, i, j0, buf);
      for (int r = 0; r < rows; ++r) targets[r] = g.target(n, i, j0 + r);
      tile_passes<R, kWide>(passes, chunks, a, b, depth_padded, targets, rows, g.out_channels,
                            bias, relu);
    }
  });
}

// ---- packed path (other channel counts) ---------------------------------------------------------

// Taps t0 .. t0 + count - 1 of one tap_h with consecutive tap_w are contiguous in the source.
std::vector<std::pair<int64_t, int64_t>> tap_groups(const Gather& g) {
  std::vector<std::pair<int64_t, int64_t>> groups;
  for (int64_t t = 0; t < g.taps(); ++t) {
    if (!groups.empty()) {
      auto& [t0, count] = groups.back();
      if (g.tap_h[t] == g.tap_h[t0] && g.tap_w[t] == g.tap_w[t0] + count) {
        ++count;
        continue;
      }
    }
    groups.emplace_back(t, 1);
  }
  return groups;
}

// The im2col rows of the m pixels (n, i, j0 + u) for one tap group into dst + u * row_stride:
// pixels whose whole group span is inside the image copy count * channels values at once,
// the others tap by tap.
void gather_group(const Gather& g, int64_t n, int64_t i, int64_t j0, int64_t m, int64_t t0,
                  int64_t count, float* dst, int64_t row_stride) {
  const int64_t c = g.channels, span = count * c, h = i * g.step_h + g.off_h + g.tap_h[t0];
  const int64_t w0 = j0 * g.step_w + g.off_w + g.tap_w[t0];
  const auto [lo, hi] = inside(g, h, w0, m, count);
  auto border = [&](int64_t u) {  // a span crossing the image border (or outside its rows)
    const int64_t w = w0 + u * g.step_w;
    for (int64_t t = 0; t < count; ++t) {
      float* d = dst + u * row_stride + t * c;
      if (h >= 0 && h < g.src_h && w + t >= 0 && w + t < g.src_w) {
        copy_pieces(d, g.src + ((n * g.src_h + h) * g.src_w + w + t) * c, c, kLanes);
      } else {
        zero_pieces(d, c, kLanes);
      }
    }
  };
  for (int64_t u = 0; u < lo; ++u) border(u);
  if (lo < hi) {
    const float* s = g.src + ((n * g.src_h + h) * g.src_w + w0 + lo * g.step_w) * c;
    float* d = dst + lo * row_stride;
    const int64_t src_stride = g.step_w * c;
    if (span <= kLanes) {  // small channel counts (the RGB stem: 3 taps x 3 channels)
      for (int64_t u = lo; u < hi; ++u, s += src_stride, d += row_stride)
        conv::vstore_first(d, conv::vload_first(s, span), span);
    } else {
      for (int64_t u = lo; u < hi; ++u, s += src_stride, d += row_stride)
        copy_pieces(d, s, span, kLanes);
    }
  }
  for (int64_t u = hi; u < m; ++u) border(u);
}

// im2col rows of the grid pixels [q, q + count) into block (row-major, row_stride), zero-padded
// from depth to row_stride.
void gather_rows(const Gather& g, const std::vector<std::pair<int64_t, int64_t>>& groups,
                 int64_t q, int64_t count, float* block, int64_t row_stride) {
  for (int64_t r = 0; r < count; ++r)
    zero_pieces(block + r * row_stride + g.depth(), row_stride - g.depth(), kLanes);
  for_each_run(g, q, count, [&](int64_t n, int64_t i, int64_t j0, int64_t m, int64_t r0) {
    for (const auto& [t0, tap_count] : groups)
      gather_group(g, n, i, j0, m, t0, tap_count, block + r0 * row_stride + t0 * g.channels,
                   row_stride);
  });
}

template <int R, bool kWide>
void run_packed(int threads, const Gather& g, const Passes& passes, const float* b,
                int64_t depth_padded, const float* bias, bool relu) {
  const auto groups = tap_groups(g);
  const int64_t chunks = depth_padded / kLanes, pixels = g.pixels(), tiles = ceil_div(pixels, R);
  const int64_t tiles_per_task = std::max<int64_t>(1, 256 / R);
  parallel_for(ceil_div(tiles, tiles_per_task), threads, [&](int64_t task) {
    thread_local std::vector<float> sliver_storage, block_storage;
    thread_local std::vector<const float*> chunk_storage;
    float* sliver = scratch(sliver_storage, static_cast<size_t>(R * depth_padded));
    float* block = scratch(block_storage, static_cast<size_t>(R * depth_padded));
    const float** a = scratch(chunk_storage, static_cast<size_t>(chunks));
    for (int64_t kc = 0; kc < chunks; ++kc) a[kc] = sliver + kc * R * kLanes;
    float* targets[R];
    const int64_t end = std::min(tiles, (task + 1) * tiles_per_task);
    for (int64_t tile = task * tiles_per_task; tile < end; ++tile) {
      const int64_t q = tile * R;
      const int rows = static_cast<int>(std::min<int64_t>(R, pixels - q));
      gather_rows(g, groups, q, rows, block, depth_padded);
      for_each_run(g, q, rows, [&](int64_t n, int64_t i, int64_t j0, int64_t m, int64_t r0) {
        for (int64_t u = 0; u < m; ++u) targets[r0 + u] = g.target(n, i, j0 + u);
      });
      // Cut the rows into the sliver layout [chunk][row][16]; rows past `rows` are zero.
      for (int r = 0; r < R; ++r)
        for (int64_t kc = 0; kc < chunks; ++kc)
          vstore(sliver + (kc * R + r) * kLanes,
                 r < rows ? vload(block + r * depth_padded + kc * kLanes) : vzero());
      tile_passes<R, kWide>(passes, chunks, a, b, depth_padded, targets, rows, g.out_channels,
                            bias, relu);
    }
  });
}

// out = act(im2col(g) B + bias) for every pixel of g.
void run_gather(int threads, const Gather& g, const Passes& passes, const float* b,
                int64_t depth_padded, const float* bias, bool relu) {
  if (g.pixels() == 0) return;
  auto wide = [&](auto rows) {
    run_windows<decltype(rows)::value, true>(threads, g, passes, b, depth_padded, bias, relu);
  };
  auto narrow = [&](auto rows) {
    run_windows<decltype(rows)::value, false>(threads, g, passes, b, depth_padded, bias, relu);
  };
  if (g.channels % kLanes == 0) {
    if (passes.wide()) with_wide_rows(pick_rows(conv::kWideRows, g.grid_w), wide);
    else with_narrow_rows(pick_rows(conv::kNarrowRows, g.grid_w), narrow);
  } else if (passes.wide()) {
    run_packed<conv::kPackedWideRows, true>(threads, g, passes, b, depth_padded, bias, relu);
  } else {
    run_packed<conv::kPackedNarrowRows, false>(threads, g, passes, b, depth_padded, bias, relu);
  }
}

// ---- backward filter ------------------------------------------------------------------------------

// Fixed chunks of the pixel range, a function of the shape only (for determinism): ~1024 pixels
// each, at most 32, and a multiple of 4 (or of 2) so that 2 or 4 threads get equal shares.
struct Chunks {
  int64_t count, pixels;
};
Chunks plan_chunks(int64_t pixels) {
  int64_t count = std::clamp<int64_t>(pixels / 1024, 1, 32);
  if (count >= 4) count -= count % 4;
  else if (count >= 2) count -= count % 2;
  return {count, ceil_div(pixels, count)};
}

// 16 or 32 channels on both sides: partial dW^T[oc][k] of a chunk straight from x and dy. Rows
// are R output channels (broadcast from dy's pixel rows), vectors V x 16 input channels of one
// tap (loaded from x's pixels); padded taps are skipped by range, so there is no packing.
template <int R, int V>
void filter_in_place(const Gather& g, const float* dy, int64_t oc, int64_t q0, int64_t count,
                     float* part) {
  const int64_t c = g.channels, depth = g.depth(), s = g.step_w;
  struct Run {
    int64_t n, i, j0, m, q;
  };
  thread_local std::vector<Run> runs;
  // Blocks of ~`block` pixels whose x and dy rows stay in L1 while every (output channels, tap,
  // input channels) tile sweeps them; the tiles accumulate in `part` across blocks.
  const int64_t block = std::clamp<int64_t>(8192 / (c * s + oc), 16, 512);
  for (int64_t b0 = q0; b0 < q0 + count; b0 += block) {
    runs.clear();
    for_each_run(g, b0, std::min(block, q0 + count - b0),
                 [&](int64_t n, int64_t i, int64_t j0, int64_t m, int64_t r0) {
                   runs.push_back({n, i, j0, m, b0 + r0});
                 });
    for (int64_t o0 = 0; o0 < oc; o0 += R)
      for (int64_t t = 0; t < g.taps(); ++t)
        for (int64_t c0 = 0; c0 < c; c0 += V * kLanes) {
          float* out = part + o0 * depth + t * c + c0;
          Vec acc[R][V];
          conv::load_tile<R, V>(acc, out, depth, b0 == q0);
          for (const Run& run : runs) {
            const int64_t h = run.i * g.step_h + g.off_h + g.tap_h[t];
            const int64_t w0 = run.j0 * s + g.off_w + g.tap_w[t];
            const auto [lo, hi] = inside(g, h, w0, run.m);
            if (lo == hi) continue;
            conv::filter_rows<R, V>(
                hi - lo, dy + (run.q + lo) * oc + o0, oc,
                g.src + ((run.n * g.src_h + h) * g.src_w + w0 + lo * s) * c + c0, s * c, acc);
          }
          conv::save_tile<R, V>(acc, out, depth);
        }
  }
}

// Other channel counts: partial dW[k][oc] of a chunk from packed im2col rows (rows = depth k,
// broadcast; vectors = output channels of dy, copied zero-padded when oc is not whole vectors).
template <int R>
void filter_packed(const Gather& g, const Passes& passes, const float* dy, int64_t oc, int64_t q0,
                   int64_t count, float* part) {
  const int64_t depth = g.depth(), rows_padded = round_up(depth, R), width = passes.vectors * kLanes;
  const auto groups = tap_groups(g);
  // Pixels per packed block: the block (block x rows_padded) stays within ~256 KiB of L2.
  const int64_t block = std::clamp<int64_t>(65536 / rows_padded, 16, 256);
  thread_local std::vector<float> cols_storage, dy_storage;
  float* cols = scratch(cols_storage, static_cast<size_t>(block * rows_padded));
  float* dy_block = scratch(dy_storage, static_cast<size_t>(block * width));
  for (int64_t b0 = q0; b0 < q0 + count; b0 += block) {
    const int64_t n = std::min(block, q0 + count - b0);
    gather_rows(g, groups, b0, n, cols, rows_padded);
    const float* b = dy + b0 * oc;
    int64_t ldb = oc;
    if (oc % kLanes != 0) {
      for (int64_t q = 0; q < n; ++q) {
        std::memcpy(dy_block + q * width, dy + (b0 + q) * oc, oc * sizeof(float));
        std::fill(dy_block + q * width + oc, dy_block + (q + 1) * width, 0.0f);
      }
      b = dy_block;
      ldb = width;
    }
    for (int64_t k0 = 0; k0 < depth; k0 += R) {
      const int64_t rows = std::min<int64_t>(R, depth - k0);
      for (int64_t pass = 0, c0 = 0; pass < passes.count; ++pass, c0 += 2 * kLanes) {
        auto run = [&](auto v_const) {
          constexpr int V = decltype(v_const)::value;
          float* out = part + k0 * width + c0;
          // (rows past `rows` read the zero padding of partial's last rows: see below)
          Vec acc[R][V];
          conv::load_tile<R, V>(acc, out, width, b0 == q0);
          conv::filter_rows<R, V>(n, cols + k0, rows_padded, b + c0, ldb, acc);
          conv::save_tile<R, V>(acc, out, width, rows);
        };
        if (passes.width(pass) == 2) run(std::integral_constant<int, 2>{});
        else run(std::integral_constant<int, 1>{});
      }
    }
  }
}

}  // namespace

void conv2d_forward(int threads, const kdlts_conv2d_params& p, const float* x, const float* filter,
                    const float* bias, bool relu, float* y) {
  const Gather g = forward_gather(p, x, y);
  const int64_t depth = g.depth(), depth_padded = round_up(depth, kLanes), oc = p.out_channels;
  const Passes passes = plan_passes(oc);
  // The filter is already depth x oc row-major (HWIO): pack it into the passes' layout.
  const auto b = pack_b(passes, depth, depth_padded, oc,
                        [&](int64_t k, int64_t c) { return filter[k * oc + c]; });
  std::vector<float> bias_padded;
  if (bias) {
    bias_padded.assign(static_cast<size_t>(passes.vectors * kLanes), 0.0f);
    std::copy_n(bias, oc, bias_padded.begin());
  }
  run_gather(threads, g, passes, b.data(), depth_padded, bias ? bias_padded.data() : nullptr, relu);
}

void conv2d_backward_input(int threads, const kdlts_conv2d_params& p, const float* dy,
                           const float* filter, float* dx) {
  const int64_t sh = p.stride_height, sw = p.stride_width;
  const int64_t ic = p.in_channels, oc = p.out_channels;
  const Passes passes = plan_passes(ic);
  // Stride phase (ph, pw): dx pixels (ph + sh * i, pw + sw * j). Tap (fh, fw) reaches them iff
  // ph + pad_top - fh * dilation_h is a multiple of sh (likewise w); it then reads dy pixel
  // (i + (ph + pad_top - fh * dilation_h) / sh, ...). Taps go in descending fw so that their dy
  // columns ascend (contiguous tap groups for the packed path).
  for (int64_t ph = 0; ph < std::min(sh, p.in_height); ++ph)
    for (int64_t pw = 0; pw < std::min(sw, p.in_width); ++pw) {
      Gather g;
      g.batch = p.batch;
      g.src = dy;
      g.src_h = p.out_height, g.src_w = p.out_width, g.channels = oc;
      g.grid_h = ceil_div(p.in_height - ph, sh), g.grid_w = ceil_div(p.in_width - pw, sw);
      std::vector<int64_t> weight_taps;  // fh * FW + fw of each tap in the gather
      for (int64_t fh = 0; fh < p.filter_height; ++fh) {
        const int64_t dh = ph + p.pad_top - fh * p.dilation_height;
        if (dh % sh != 0) continue;  // (C++ remainder: 0 exactly for multiples, negative ones too)
        for (int64_t fw = p.filter_width - 1; fw >= 0; --fw) {
          const int64_t dw = pw + p.pad_left - fw * p.dilation_width;
          if (dw % sw != 0) continue;
          g.tap_h.push_back(dh / sh);
          g.tap_w.push_back(dw / sw);
          weight_taps.push_back(fh * p.filter_width + fw);
        }
      }
      g.out = dx;
      g.out_h = p.in_height, g.out_w = p.in_width, g.out_channels = ic;
      g.out_step_h = sh, g.out_step_w = sw, g.out_off_h = ph, g.out_off_w = pw;
      if (g.taps() == 0 || oc == 0) {  // no tap reaches this phase (a 1x1 stride-2 conv): zeros
        parallel_for(g.batch * g.grid_h, threads, [&](int64_t row) {
          for (int64_t j = 0; j < g.grid_w; ++j)
            std::fill_n(g.target(row / g.grid_h, row % g.grid_h, j), ic, 0.0f);
        });
        continue;
      }
      // B[(tap, o)][i] = filter[tap][i][o]: the phase's taps of the filter, transposed.
      const int64_t depth = g.depth(), depth_padded = round_up(depth, kLanes);
      const auto b = pack_b(passes, depth, depth_padded, ic, [&](int64_t k, int64_t c) {
        return filter[(weight_taps[k / oc] * ic + c) * oc + k % oc];
      });
      run_gather(threads, g, passes, b.data(), depth_padded, nullptr, false);
    }
}

void conv2d_backward_filter(int threads, const kdlts_conv2d_params& p, const float* x,
                            const float* dy, float* dfilter) {
  const Gather g = forward_gather(p, x, nullptr);
  const int64_t depth = g.depth(), oc = p.out_channels, pixels = g.pixels();
  if (depth == 0 || oc == 0) return;  // nothing to write
  if (pixels == 0) {  // no pixels: the gradient is zero
    std::fill_n(dfilter, depth * oc, 0.0f);
    return;
  }
  const Chunks chunks = plan_chunks(pixels);
  const Passes passes = plan_passes(oc);
  // 16 or 32 channels on both sides: read x and dy in place (partials are dW^T, oc x depth).
  // Packing would cost as much as the products there (each packed value feeds only one or two
  // vector FMAs), while with more channels the packed path's larger tiles win (one core:
  // ResNet 16->16 at 32x32, 143 GFLOP/s in place vs 96 packed; 32->64 stride 2, 106 vs 128).
  // In-place tiles are kFilterRows[0] output channels x 1 vector of input channels, or
  // kFilterRows[1] x 2 vectors (half the sweeps over the pixels) when the vectors pair up.
  const bool pairs = (g.channels / kLanes) % 2 == 0 && oc % conv::kFilterRows[1] == 0;
  const bool in_place = g.channels % kLanes == 0 && g.channels <= 2 * kLanes &&
                        oc <= 2 * kLanes && (pairs || oc % conv::kFilterRows[0] == 0);
  // Packed partials are dW: depth rounded up to the tile height (the one that cuts the depth
  // with the least padding) x the output channels rounded up to whole vectors; padding is 0.
  const int packed_rows = passes.wide() ? pick_rows(conv::kWideRows, depth)
                                        : pick_rows(conv::kNarrowRows, depth);
  const int64_t width = in_place ? oc : passes.vectors * kLanes;
  const int64_t chunk_size = in_place ? oc * depth : round_up(depth, packed_rows) * width;
  std::vector<float> partial(static_cast<size_t>(chunks.count * chunk_size));
  parallel_for(chunks.count, threads, [&](int64_t chunk) {
    const int64_t q0 = chunk * chunks.pixels, count = std::min(chunks.pixels, pixels - q0);
    float* part = partial.data() + chunk * chunk_size;
    if (in_place && pairs) {
      filter_in_place<conv::kFilterRows[1], 2>(g, dy, oc, q0, count, part);
    } else if (in_place) {
      filter_in_place<conv::kFilterRows[0], 1>(g, dy, oc, q0, count, part);
    } else {
      auto packed = [&](auto rows) {
        filter_packed<decltype(rows)::value>(g, passes, dy, oc, q0, count, part);
      };
      if (passes.wide()) with_wide_rows(packed_rows, packed);
      else with_narrow_rows(packed_rows, packed);
    }
  });
  // dfilter = the partials added in chunk order (dfilter rows in parallel).
  const int64_t rows_per_task = std::max<int64_t>(1, 4096 / oc);
  parallel_for(ceil_div(depth, rows_per_task), threads, [&](int64_t task) {
    const int64_t k_end = std::min(depth, (task + 1) * rows_per_task);
    for (int64_t k = task * rows_per_task; k < k_end; ++k) {
      float* out = dfilter + k * oc;
      // element (k, o) of chunk c: dW^T layout in place, dW layout when packed
      auto at = [&](int64_t c, int64_t o) {
        return partial[c * chunk_size + (in_place ? o * depth + k : k * width + o)];
      };
      for (int64_t o = 0; o < oc; ++o) {
        float sum = at(0, o);
        for (int64_t c = 1; c < chunks.count; ++c) sum += at(c, o);
        out[o] = sum;
      }
    }
  });
}

}  // namespace kdlts::cpu
