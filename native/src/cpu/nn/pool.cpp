// 2-D max / average pooling and their gradients over NHWC data, as tfjs-backend-cpu 4.22
// computes them (utils/pool_utils.js, kernels/MaxPoolGrad.js, kernels/AvgPoolGrad.js):
//   - A window covers its in-range pixels only; padding never takes part.
//   - MaxPool keeps a pixel when `pixel > best` starting from -Inf, so NaN never wins (a window
//     of NaN / -Inf only gives -Inf) and an empty window gives -Inf. AvgPool sums in double in
//     window order and divides by the number of in-range pixels (0 / 0 = NaN for an empty one).
//   - Both are the identity when the filter is 1x1 and the output has the input's shape (tfjs
//     returns x itself then, NaN included, whatever the pads and strides).
//   - MaxPoolGrad sends each dy to its window's first strict maximum in row-major window order
//     (ties: the first; no in-range pixel above -Inf, e.g. all NaN: nowhere). A dx element sums
//     its dys in double in output order (oh, then ow), as tfjs does.
//   - AvgPoolGrad sums the dys of the windows covering the pixel in double, in output order,
//     and multiplies by 1 / (filter_h * filter_w): the full window, padding included.
// With the same summation order and double accumulation, results match tfjs bitwise.
//
// Channels are innermost: blocks of 16 live in vector registers for a whole window (explicit
// vector types: GCC's own vectorisation of these selects stores through a branch per pixel),
// the C % 16 remaining channels take a scalar loop. Work is split by rows in fixed chunks.
#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "cpu/nn/ops.hpp"

namespace kdlts::cpu {

namespace {

// The in-range input range [begin, end) of output position o's window along one axis.
inline void window(int64_t o, int64_t stride, int64_t pad, int64_t filter, int64_t in,
                   int64_t* corner, int64_t* begin, int64_t* end) {
  *corner = o * stride - pad;
  *begin = std::max<int64_t>(0, *corner);
  *end = std::min(in, *corner + filter);
}

// Output positions o whose window covers input position i: [lo, hi].
inline void covering(int64_t i, int64_t stride, int64_t pad, int64_t filter, int64_t out,
                     int64_t* lo, int64_t* hi) {
  const int64_t first = i + pad - filter + 1;  // o * stride >= first
  *lo = first <= 0 ? 0 : (first + stride - 1) / stride;
  *hi = std::min(out - 1, (i + pad) / stride);
}

// tfjs's identity shortcut (MaxPool.js / AvgPool.js).
bool is_identity(const kdlts_pool2d_params& p) {
  return p.filter_height == 1 && p.filter_width == 1 && p.out_height == p.in_height &&
         p.out_width == p.in_width;
}

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

void copy_all(int threads, const float* x, float* y, int64_t n) {
  for_ranges(threads, n, kChunk, [&](int64_t b, int64_t e) {
    std::memcpy(y + b, x + b, static_cast<size_t>(e - b) * sizeof(float));
  });
}

}  // namespace

void max_pool2d_forward(int threads, const kdlts_pool2d_params& p, const float* x, float* y) {
  const int64_t C = p.channels, H = p.in_height, W = p.in_width, OH = p.out_height,
                OW = p.out_width;
  if (is_identity(p)) return copy_all(threads, x, y, p.batch * H * W * C);
  for_ranges(threads, p.batch * OH, items_per_task(OW * C), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / OH, oh = row % OH;
      int64_t cr, r0, r1;
      window(oh, p.stride_height, p.pad_top, p.filter_height, H, &cr, &r0, &r1);
      for (int64_t ow = 0; ow < OW; ++ow) {
        int64_t cc, c0, c1;
        window(ow, p.stride_width, p.pad_left, p.filter_width, W, &cc, &c0, &c1);
        const float* base = x + (n * H * W) * C;
        float* out = y + (row * OW + ow) * C;
        int64_t c = 0;
        for (; c + 16 <= C; c += 16) {
          f32x16 best = f32x16{} + kNegInf;
          for (int64_t r = r0; r < r1; ++r)
            for (int64_t col = c0; col < c1; ++col) {
              const f32x16 v = load16(base + (r * W + col) * C + c);
              best = v > best ? v : best;
            }
          store16(out + c, best);
        }
        for (; c < C; ++c) {
          float best = kNegInf;
          for (int64_t r = r0; r < r1; ++r)
            for (int64_t col = c0; col < c1; ++col) {
              const float v = base[(r * W + col) * C + c];
              best = v > best ? v : best;
            }
          out[c] = best;
        }
      }
    }
  });
}

void avg_pool2d_forward(int threads, const kdlts_pool2d_params& p, const float* x, float* y) {
  const int64_t C = p.channels, H = p.in_height, W = p.in_width, OH = p.out_height,
                OW = p.out_width;
  if (is_identity(p)) return copy_all(threads, x, y, p.batch * H * W * C);
  for_ranges(threads, p.batch * OH, items_per_task(OW * C), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / OH, oh = row % OH;
      int64_t cr, r0, r1;
      window(oh, p.stride_height, p.pad_top, p.filter_height, H, &cr, &r0, &r1);
      for (int64_t ow = 0; ow < OW; ++ow) {
        int64_t cc, c0, c1;
        window(ow, p.stride_width, p.pad_left, p.filter_width, W, &cc, &c0, &c1);
        const double count =
            static_cast<double>(std::max<int64_t>(0, r1 - r0) * std::max<int64_t>(0, c1 - c0));
        const float* base = x + (n * H * W) * C;
        float* out = y + (row * OW + ow) * C;
        int64_t c = 0;
        for (; c + 16 <= C; c += 16) {  // the window in order, in double, per channel
          f64x8 lo = {}, hi = {};
          for (int64_t r = r0; r < r1; ++r)
            for (int64_t col = c0; col < c1; ++col) {
              const f32x16 v = load16(base + (r * W + col) * C + c);
              lo += widen(low8(v));
              hi += widen(high8(v));
            }
          store8(out + c, narrow(lo / count));
          store8(out + c + 8, narrow(hi / count));
        }
        for (; c < C; ++c) {
          double sum = 0.0;
          for (int64_t r = r0; r < r1; ++r)
            for (int64_t col = c0; col < c1; ++col) sum += base[(r * W + col) * C + c];
          out[c] = static_cast<float>(sum / count);
        }
      }
    }
  });
}

// The first strict maximum in window order (tfjs maxPoolPositions) of channels [c, c + 16):
// window positions (r - cr) * FW + (col - cc), -1 where no pixel beats -Inf.
inline i32x16 argmax16(const float* base, int64_t W, int64_t C, int64_t c, int64_t cr, int64_t r0,
                       int64_t r1, int64_t cc, int64_t c0, int64_t c1, int64_t FW) {
  f32x16 best = f32x16{} + kNegInf;
  i32x16 at = i32x16{} - 1;
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t col = c0; col < c1; ++col) {
      const f32x16 v = load16(base + (r * W + col) * C + c);
      const i32x16 take = v > best;
      best = take ? v : best;
      at = take ? (i32x16{} + static_cast<int32_t>((r - cr) * FW + (col - cc))) : at;
    }
  return at;
}

inline int32_t argmax1(const float* base, int64_t W, int64_t C, int64_t c, int64_t cr, int64_t r0,
                       int64_t r1, int64_t cc, int64_t c0, int64_t c1, int64_t FW) {
  float best = kNegInf;
  int32_t at = -1;
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t col = c0; col < c1; ++col) {
      const float v = base[(r * W + col) * C + c];
      if (v > best) best = v, at = static_cast<int32_t>((r - cr) * FW + (col - cc));
    }
  return at;
}

// Windows that do not overlap (stride >= filter): every dx element gets at most one dy, so
// 0 + dy is written directly, without the double accumulator; pixels outside every window
// stay 0.
void max_pool2d_backward_disjoint(int threads, const kdlts_pool2d_params& p, const float* x,
                                  const float* dy, float* dx) {
  const int64_t C = p.channels, H = p.in_height, W = p.in_width, OH = p.out_height,
                OW = p.out_width;
  const int64_t FH = p.filter_height, FW = p.filter_width;
  if (OH == 0) {  // no window: dx is all zeros
    std::memset(dx, 0, static_cast<size_t>(p.batch * H * W * C) * sizeof(float));
    return;
  }
  // Tasks own output rows: row oh zeroes dx rows [corner, next corner) (from 0 for the first,
  // to H for the last), which hold its window, then writes the window.
  for_ranges(
      threads, p.batch * OH, items_per_task(OW * FH * FW * C), [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          const int64_t n = row / OH, oh = row % OH;
          int64_t cr, r0, r1;
          window(oh, p.stride_height, p.pad_top, FH, H, &cr, &r0, &r1);
          const int64_t z0 = oh == 0 ? 0 : std::max<int64_t>(0, std::min(H, cr)),
                        z1 = oh + 1 < OH ? std::max<int64_t>(0, std::min(H, cr + p.stride_height))
                                         : H;
          if (z1 > z0) {
            std::memset(dx + (n * H + z0) * W * C, 0,
                        static_cast<size_t>((z1 - z0) * W * C) * sizeof(float));
          }
          const float* base = x + n * H * W * C;
          for (int64_t ow = 0; ow < OW; ++ow) {
            int64_t cc, c0, c1;
            window(ow, p.stride_width, p.pad_left, FW, W, &cc, &c0, &c1);
            const float* g = dy + (row * OW + ow) * C;
            int64_t c = 0;
            for (; c + 16 <= C; c += 16) {
              const i32x16 at = argmax16(base, W, C, c, cr, r0, r1, cc, c0, c1, FW);
              const f32x16 gv = load16(g + c) + 0.0f;  // 0 + dy, as tfjs: -0 becomes +0
              for (int64_t r = r0; r < r1; ++r)
                for (int64_t col = c0; col < c1; ++col) {
                  const int32_t here = static_cast<int32_t>((r - cr) * FW + (col - cc));
                  store16(dx + ((n * H + r) * W + col) * C + c, at == here ? gv : f32x16{});
                }
            }
            for (; c < C; ++c) {
              const int32_t at = argmax1(base, W, C, c, cr, r0, r1, cc, c0, c1, FW);
              for (int64_t r = r0; r < r1; ++r)
                for (int64_t col = c0; col < c1; ++col) {
                  const int32_t here = static_cast<int32_t>((r - cr) * FW + (col - cc));
                  dx[((n * H + r) * W + col) * C + c] = at == here ? g[c] + 0.0f : 0.0f;
                }
            }
          }
        }
      });
}

void max_pool2d_backward(int threads, const kdlts_pool2d_params& p, const float* x, const float* dy,
                         float* dx) {
  const int64_t C = p.channels, H = p.in_height, W = p.in_width, OH = p.out_height,
                OW = p.out_width;
  const int64_t FH = p.filter_height, FW = p.filter_width;
  if (p.stride_height >= FH && p.stride_width >= FW) {
    return max_pool2d_backward_disjoint(threads, p, x, dy, dx);
  }
  // Tasks own bands of dx rows. A band recomputes the argmax of every window that reaches into
  // it (windows straddling two bands are evaluated twice), so bands never write the same dx.
  const int64_t band = std::max(items_per_task(W * C), FH);
  const int64_t bands = chunk_count(H, band);
  run_tasks(threads, p.batch * bands, [&](int64_t task) {
    const int64_t n = task / bands, r_begin = (task % bands) * band;
    const int64_t r_end = std::min(H, r_begin + band);
    std::vector<double> acc(static_cast<size_t>((r_end - r_begin) * W * C), 0.0);
    std::vector<int32_t> pos(static_cast<size_t>(C));  // the window's argmax per channel, -1: none
    std::vector<int64_t> where(static_cast<size_t>(FH * FW));
    const float* base = x + (n * H * W) * C;
    int64_t oh_lo, oh_hi, unused;
    covering(r_begin, p.stride_height, p.pad_top, FH, OH, &oh_lo, &unused);
    covering(r_end - 1, p.stride_height, p.pad_top, FH, OH, &unused, &oh_hi);
    for (int64_t oh = oh_lo; oh <= oh_hi; ++oh) {
      int64_t cr, r0, r1;
      window(oh, p.stride_height, p.pad_top, FH, H, &cr, &r0, &r1);
      for (int64_t ow = 0; ow < OW; ++ow) {
        int64_t cc, c0, c1;
        window(ow, p.stride_width, p.pad_left, FW, W, &cc, &c0, &c1);
        int64_t c = 0;
        for (; c + 16 <= C; c += 16) {
          const i32x16 at = argmax16(base, W, C, c, cr, r0, r1, cc, c0, c1, FW);
          std::memcpy(pos.data() + c, &at, sizeof at);
        }
        for (; c < C; ++c) pos[c] = argmax1(base, W, C, c, cr, r0, r1, cc, c0, c1, FW);
        // Each channel's dy goes to its argmax's accumulator (a scalar scatter: one add per
        // channel, where testing every window position would cost FH * FW vector passes).
        // where[p]: the accumulator offset of window position p, -1 outside the band.
        for (int64_t r = cr; r < cr + FH; ++r)
          for (int64_t col = cc; col < cc + FW; ++col) {
            const bool inside =
                r >= std::max(r0, r_begin) && r < std::min(r1, r_end) && col >= c0 && col < c1;
            where[(r - cr) * FW + (col - cc)] = inside ? ((r - r_begin) * W + col) * C : -1;
          }
        const float* g = dy + ((n * OH + oh) * OW + ow) * C;
        double* a = acc.data();
        for (int64_t k = 0; k < C; ++k) {
          const int32_t at = pos[k];
          if (at >= 0 && where[at] >= 0) a[where[at] + k] += g[k];
        }
      }
    }
    float* out = dx + (n * H + r_begin) * W * C;
    const double* a = acc.data();
    for (size_t i = 0; i < acc.size(); ++i) out[i] = static_cast<float>(a[i]);
  });
}

void avg_pool2d_backward(int threads, const kdlts_pool2d_params& p, const float* dy, float* dx) {
  const int64_t C = p.channels, H = p.in_height, W = p.in_width, OH = p.out_height,
                OW = p.out_width;
  const double multiplier = 1.0 / static_cast<double>(p.filter_height * p.filter_width);
  for_ranges(threads, p.batch * H, items_per_task(W * C), [&](int64_t begin, int64_t end) {
    std::vector<int64_t> cols(static_cast<size_t>(2 * W));  // covering output columns, per column
    for (int64_t col = 0; col < W; ++col) {
      covering(col, p.stride_width, p.pad_left, p.filter_width, OW, &cols[2 * col],
               &cols[2 * col + 1]);
    }
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / H, r = row % H;
      int64_t oh_lo, oh_hi;
      covering(r, p.stride_height, p.pad_top, p.filter_height, OH, &oh_lo, &oh_hi);
      const float* g_base = dy + n * OH * OW * C;
      for (int64_t col = 0; col < W; ++col) {
        const int64_t ow_lo = cols[2 * col], ow_hi = cols[2 * col + 1];
        float* out = dx + (row * W + col) * C;
        int64_t c = 0;
        for (; c + 16 <= C; c += 16) {  // the covering windows in output order, in double
          f64x8 lo = {}, hi = {};
          for (int64_t oh = oh_lo; oh <= oh_hi; ++oh)
            for (int64_t ow = ow_lo; ow <= ow_hi; ++ow) {
              const f32x16 v = load16(g_base + (oh * OW + ow) * C + c);
              lo += widen(low8(v));
              hi += widen(high8(v));
            }
          store8(out + c, narrow(lo * multiplier));
          store8(out + c + 8, narrow(hi * multiplier));
        }
        for (; c < C; ++c) {
          double sum = 0.0;
          for (int64_t oh = oh_lo; oh <= oh_hi; ++oh)
            for (int64_t ow = ow_lo; ow <= ow_hi; ++ow) sum += g_base[(oh * OW + ow) * C + c];
          out[c] = static_cast<float>(sum * multiplier);
        }
      }
    }
  });
}

}  // namespace kdlts::cpu
