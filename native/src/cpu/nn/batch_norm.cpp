// Batch normalisation over channels-last data (x is rows x channels).
//
// Inference (tfjs FusedBatchNorm): y = offset + (x - mean) * scale / sqrt(variance + eps), which
// tfjs evaluates in double and rounds once. We do the same with the per-channel factor
// scale / sqrt(variance + eps) precomputed in double: one double rounding apart from tfjs, so
// the float results agree except within ~1e-16 of a rounding midpoint.
//
// Training (our fused op, no tfjs kernel): per channel, the batch mean and biased variance over
// the rows, then the normalisation above with those (float-rounded) statistics, so that
// train_forward(x) == batch_norm(x, mean_out, variance_out). The statistics take one pass:
// shifted sums s1 = sum(x - K), s2 = sum((x - K)^2) in double with K = the channel's first value
// (a sample near the mean, which keeps s2 / n - (s1 / n)^2 free of cancellation unless that
// sample is ~1e4 standard deviations out), over fixed row chunks merged in chunk order.
//
// Backward, with xhat = (x - mean) * inv, inv = 1 / sqrt(variance + eps), N = rows:
//   doffset = sum(dy),  dscale = sum(dy * xhat),
//   dx = scale * inv * (dy - doffset / N - xhat * dscale / N)
// (the mean's and the variance's dependence on x included).
//
// With a fused ReLU (y = relu(bn(x)), which ResNets follow every other batch norm with), the
// forward clamps in the same pass and the backward replaces dy by dy * step(y), exactly tfjs's
// ReLU gradient, wherever it reads dy: two passes each way instead of four. Sums in double as above; dx in
// double per element because its three terms cancel when dy is close to affine in xhat.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "cpu/nn/ops.hpp"

namespace kdlts::cpu {

namespace {

// Per-channel column sums over row chunks: sums(row_begin, row_end, acc) adds into acc
// (width `width` doubles per chunk); the chunks' partials are added in chunk order into out.
template <typename Fn>
void channel_sums(int threads, int64_t rows, int64_t channels, int width, std::vector<double>& out,
                  Fn&& sums) {
  const int64_t per_part = items_per_task(channels);
  const int64_t parts = chunk_count(rows, per_part);
  const int64_t stride = width * channels;
  std::vector<double> partial(static_cast<size_t>(parts * stride), 0.0);
  run_tasks(threads, parts, [&](int64_t part) {
    const int64_t begin = part * per_part;
    sums(begin, std::min(rows, begin + per_part), partial.data() + part * stride);
  });
  out.assign(static_cast<size_t>(stride), 0.0);
  for (int64_t part = 0; part < parts; ++part) {
    for (int64_t i = 0; i < stride; ++i) out[i] += partial[part * stride + i];
  }
}

// tfjs's step(y) (ReLU's gradient gate): 1 where y > 0, NaN where y is NaN, else 0.
inline float step_of(float y) { return y > 0.0f ? 1.0f : (y != y ? y : 0.0f); }
inline f32x16 step16(f32x16 y) {
  const f32x16 one = f32x16{} + 1.0f, zero = {};
  return y > 0.0f ? one : (y != y ? y : zero);
}

// Per-channel sums over rows [begin, end) of a rows x C matrix a (and b), added to s1 and s2:
//   statistics (kGrad false): u = a - k,  s1 += u,  s2 += u * u   (a = x, k = the shift)
//   gradient   (kGrad true):  s1 += b,  s2 += b * (a - k)          (a = x, b = dy, k = mean)
// With gate (kGrad only), b is first multiplied by step(gate) (the fused ReLU's gradient).
// Blocks of 16 channels keep their sums in registers across the rows; the C % 16 remaining
// channels go one at a time. Either way a channel's rows are added in row order, in double.
template <bool kGrad>
void pair_sums(const float* a, const float* b, const float* gate, const double* k, int64_t begin,
               int64_t end, int64_t C, double* s1, double* s2) {
  int64_t c = 0;
  for (; c + 16 <= C; c += 16) {
    f64x8 k_lo, k_hi, p_lo = {}, p_hi = {}, q_lo = {}, q_hi = {};
    std::memcpy(&k_lo, k + c, sizeof k_lo);
    std::memcpy(&k_hi, k + c + 8, sizeof k_hi);
    for (int64_t r = begin; r < end; ++r) {
      const f32x16 av = load16(a + r * C + c);
      const f64x8 u_lo = widen(low8(av)) - k_lo, u_hi = widen(high8(av)) - k_hi;
      if constexpr (kGrad) {
        f32x16 bv = load16(b + r * C + c);
        if (gate) bv = bv * step16(load16(gate + r * C + c));
        const f64x8 g_lo = widen(low8(bv)), g_hi = widen(high8(bv));
        p_lo += g_lo, p_hi += g_hi;
        q_lo += g_lo * u_lo, q_hi += g_hi * u_hi;
      } else {
        p_lo += u_lo, p_hi += u_hi;
        q_lo += u_lo * u_lo, q_hi += u_hi * u_hi;
      }
    }
    for (int j = 0; j < 8; ++j) {
      s1[c + j] += p_lo[j], s1[c + 8 + j] += p_hi[j];
      s2[c + j] += q_lo[j], s2[c + 8 + j] += q_hi[j];
    }
  }
  for (; c < C; ++c) {
    double p = 0.0, q = 0.0;
    for (int64_t r = begin; r < end; ++r) {
      const double u = double(a[r * C + c]) - k[c];
      if constexpr (kGrad) {
        const double g = gate ? b[r * C + c] * step_of(gate[r * C + c]) : b[r * C + c];
        p += g, q += g * u;
      } else {
        p += u, q += u * u;
      }
    }
    s1[c] += p, s2[c] += q;
  }
}

}  // namespace

void batch_norm(int threads, int64_t rows, int64_t channels, const float* x, const float* mean,
                const float* variance, const float* offset, const float* scale, float eps,
                float* y, bool relu) {
  std::vector<double> coef(static_cast<size_t>(3 * channels));
  double* m = coef.data();
  double* a = m + channels;
  double* b = a + channels;
  for (int64_t c = 0; c < channels; ++c) {
    m[c] = mean[c];
    a[c] = (scale ? double(scale[c]) : 1.0) / std::sqrt(double(variance[c]) + double(eps));
    b[c] = offset ? offset[c] : 0.0;
  }
  for_ranges(threads, rows, items_per_task(channels), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* xr = x + r * channels;
      float* yr = y + r * channels;
      for (int64_t c = 0; c < channels; ++c) {
        yr[c] = static_cast<float>(b[c] + (double(xr[c]) - m[c]) * a[c]);
      }
      if (relu) {  // tfjs's ReLU: NaN stays, -0 becomes +0
        for (int64_t c = 0; c < channels; ++c) yr[c] = !(yr[c] <= 0.0f) ? yr[c] : 0.0f;
      }
    }
  });
}

void batch_norm_train_forward(int threads, int64_t rows, int64_t channels, const float* x,
                              const float* offset, const float* scale, float eps, float* y,
                              float* mean_out, float* variance_out, bool relu) {
  if (rows == 0) {  // no samples: the statistics are 0 / 0
    std::fill(mean_out, mean_out + channels, std::numeric_limits<float>::quiet_NaN());
    std::fill(variance_out, variance_out + channels, std::numeric_limits<float>::quiet_NaN());
    return;
  }
  std::vector<double> shift(x, x + channels);
  std::vector<double> s;  // s1[channels] then s2[channels]
  channel_sums(threads, rows, channels, 2, s, [&](int64_t begin, int64_t end, double* acc) {
    pair_sums<false>(x, nullptr, nullptr, shift.data(), begin, end, channels, acc, acc + channels);
  });
  const double n = static_cast<double>(rows);
  for (int64_t c = 0; c < channels; ++c) {
    const double d = s[c] / n;
    mean_out[c] = static_cast<float>(shift[c] + d);
    variance_out[c] = static_cast<float>(std::max(0.0, s[channels + c] / n - d * d));
  }
  batch_norm(threads, rows, channels, x, mean_out, variance_out, offset, scale, eps, y, relu);
}

void batch_norm_train_backward(int threads, int64_t rows, int64_t channels, const float* x,
                               const float* dy, const float* mean, const float* variance,
                               const float* scale, float eps, float* dx, float* doffset,
                               float* dscale, const float* relu_y) {
  if (rows == 0) {  // empty sums, whatever the statistics
    if (doffset) std::fill(doffset, doffset + channels, 0.0f);
    if (dscale) std::fill(dscale, dscale + channels, 0.0f);
    return;
  }
  std::vector<double> s;  // sum(dy)[channels] then sum(dy * (x - mean))[channels]
  const std::vector<double> mean_d(mean, mean + channels);
  channel_sums(threads, rows, channels, 2, s, [&](int64_t begin, int64_t end, double* acc) {
    pair_sums<true>(x, dy, relu_y, mean_d.data(), begin, end, channels, acc, acc + channels);
  });
  // dx = k1 * ((dy - c0) - (x - mean) * c1) per channel.
  std::vector<double> coef(static_cast<size_t>(4 * channels));
  double* m = coef.data();
  double* k1 = m + channels;
  double* c0 = k1 + channels;
  double* c1 = c0 + channels;
  const double n = static_cast<double>(rows);
  for (int64_t c = 0; c < channels; ++c) {
    const double inv = 1.0 / std::sqrt(double(variance[c]) + double(eps));
    m[c] = mean[c];
    k1[c] = (scale ? double(scale[c]) : 1.0) * inv;
    c0[c] = s[c] / n;
    c1[c] = s[channels + c] * inv * inv / n;
    if (doffset) doffset[c] = static_cast<float>(s[c]);
    if (dscale) dscale[c] = static_cast<float>(s[channels + c] * inv);
  }
  for_ranges(threads, rows, items_per_task(channels), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* xr = x + r * channels;
      const float* dyr = dy + r * channels;
      float* dxr = dx + r * channels;
      if (relu_y) {
        const float* yr = relu_y + r * channels;
        for (int64_t c = 0; c < channels; ++c) {
          const double g = dyr[c] * step_of(yr[c]);
          dxr[c] = static_cast<float>(k1[c] * ((g - c0[c]) - (double(xr[c]) - m[c]) * c1[c]));
        }
        continue;
      }
      for (int64_t c = 0; c < channels; ++c) {
        dxr[c] =
            static_cast<float>(k1[c] * ((double(dyr[c]) - c0[c]) - (double(xr[c]) - m[c]) * c1[c]));
      }
    }
  });
}

}  // namespace kdlts::cpu
