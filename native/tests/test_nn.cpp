// The training kernels of kdlts_nn.h (pool, batch_norm, binary, unary, reduce, softmax, tile,
// transpose) through the C API, against plain references written as transcriptions of the
// tfjs-backend-cpu 4.22 kernels (double arithmetic where JS uses numbers, float rounding where
// tfjs stores into a Float32Array) on fresh random inputs.
//
// Tolerances: pool, binary, tile, transpose, reduce max/min, the other unary ops: bitwise (same
// summation order and precision as tfjs; NaN equals NaN, the sign of zero counts).
// exp/log/sigmoid/tanh: 1 ulp from libm's double result rounded, and bitwise in >= 99.9% of
// cases (the kernels evaluate in double like tfjs, with their own polynomials). batch_norm
// inference: 1 ulp (one extra double rounding). softmax: 2 ulps (exp plus the sum). sum / mean:
// 1 ulp or 1e-12 * sum|x| (double accumulation in another order). Training batch norm: the
// statistics within 1 ulp of two-pass double ones, the gradient within 8 u of the size of its
// terms before they cancel, and the double reference itself against finite differences.
// Every "large" case also checks that 1, 2 and 3 threads give bitwise identical outputs.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "harness.hpp"
#include "kdlts_nn.h"

namespace {

using kdlts_test::Context;
using F = std::vector<float>;
using Shape = std::vector<int64_t>;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

kdlts_exec threads(int n) { return {KDLTS_BACKEND_CPU, n}; }

// Distance in float ulps (+0 and -0 are 0 apart; NaN vs NaN 0; NaN vs a number: huge).
int64_t ulps(float a, float b) {
  if (a != a || b != b) return (a != a && b != b) ? 0 : INT64_MAX;
  auto ord = [](float f) {
    int32_t i;
    std::memcpy(&i, &f, 4);
    return i < 0 ? int64_t(INT32_MIN) - i : int64_t(i);
  };
  return std::llabs(ord(a) - ord(b));
}
bool same_bits(float a, float b) {
  return (a != a && b != b) || std::memcmp(&a, &b, sizeof a) == 0;
}

// Reports the first element of got that is not within max_ulps of want (bitwise when < 0).
void expect_close(Context& ctx, const F& got, const F& want, int64_t max_ulps,
                  const std::string& what) {
  CHECK(got.size() == want.size()) << what << ": size " << got.size() << " vs " << want.size();
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    const bool ok = max_ulps < 0 ? same_bits(got[i], want[i]) : ulps(got[i], want[i]) <= max_ulps;
    if (!ok) {
      CHECK(ok) << what << ": element " << i << " is " << got[i] << ", expected " << want[i]
                << (std::signbit(want[i]) ? " (negative)" : "");
      return;
    }
  }
}

// Random values with ties (small integers) or not, with some NaN / +-Inf / +-0 sprinkled in.
F values(Context& ctx, int64_t n, bool ties, bool specials) {
  F v = ties ? kdlts_test::uniform(ctx, n, -3.0f, 3.0f) : kdlts_test::normal(ctx, n);
  if (ties)
    for (auto& x : v) x = std::round(x);
  if (specials && n > 0) {
    const float s[] = {kNaN, kInf, -kInf, 0.0f, -0.0f};
    std::uniform_int_distribution<int64_t> at(0, n - 1);
    for (int k = 0; k < 1 + int(n / 50); ++k) v[at(ctx.rng)] = s[k % 5];
  }
  return v;
}

// ---- pool ---------------------------------------------------------------------------------------

// tfjs computePool2DInfo for 'same' / 'valid' (dilation 1).
kdlts_pool2d_params geometry(int64_t n, int64_t h, int64_t w, int64_t c, int64_t f, int64_t s,
                             bool same) {
  kdlts_pool2d_params p{n, h, w, c, 0, 0, f, f, s, s, 0, 0};
  auto axis = [&](int64_t in, int64_t* out, int64_t* pad) {
    *out = same ? (in + s - 1) / s : std::max<int64_t>(0, (in - f + s) / s);
    *pad = same ? std::max<int64_t>(0, (*out - 1) * s + f - in) / 2 : 0;
  };
  axis(h, &p.out_height, &p.pad_top);
  axis(w, &p.out_width, &p.pad_left);
  return p;
}

// tfjs pool(): max ('pixel > best' from -Inf) or avg (double sum / in-range count).
F ref_pool(const kdlts_pool2d_params& p, const F& x, bool is_max) {
  if (p.filter_height == 1 && p.filter_width == 1 && p.out_height == p.in_height &&
      p.out_width == p.in_width)
    return x;
  F y(p.batch * p.out_height * p.out_width * p.channels);
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t d = 0; d < p.channels; ++d)
      for (int64_t yr = 0; yr < p.out_height; ++yr)
        for (int64_t yc = 0; yc < p.out_width; ++yc) {
          const int64_t rc = yr * p.stride_height - p.pad_top,
                        cc = yc * p.stride_width - p.pad_left;
          double best = -INFINITY, sum = 0;
          int count = 0;
          for (int64_t r = std::max<int64_t>(0, rc);
               r < std::min(p.in_height, rc + p.filter_height); ++r)
            for (int64_t c = std::max<int64_t>(0, cc);
                 c < std::min(p.in_width, cc + p.filter_width); ++c) {
              const double v = x[((b * p.in_height + r) * p.in_width + c) * p.channels + d];
              if (is_max && v > best) best = v;
              if (!is_max) sum += v, ++count;
            }
          y[((b * p.out_height + yr) * p.out_width + yc) * p.channels + d] =
              float(is_max ? best : sum / count);
        }
  return y;
}

// tfjs MaxPoolGrad (maxPoolPositions, then the gather over wR, wC) or AvgPoolGrad.
F ref_pool_grad(const kdlts_pool2d_params& p, const F& x, const F& dy, bool is_max) {
  const int64_t FH = p.filter_height, FW = p.filter_width, OH = p.out_height, OW = p.out_width;
  std::vector<int> pos(dy.size(), -1);
  if (is_max) {
    for (int64_t b = 0; b < p.batch; ++b)
      for (int64_t d = 0; d < p.channels; ++d)
        for (int64_t yr = 0; yr < OH; ++yr)
          for (int64_t yc = 0; yc < OW; ++yc) {
            const int64_t rc = yr * p.stride_height - p.pad_top,
                          cc = yc * p.stride_width - p.pad_left;
            double best = -INFINITY;
            int at = -1;
            for (int64_t r = std::max<int64_t>(0, rc); r < std::min(p.in_height, rc + FH); ++r)
              for (int64_t c = std::max<int64_t>(0, cc); c < std::min(p.in_width, cc + FW); ++c) {
                const double v = x[((b * p.in_height + r) * p.in_width + c) * p.channels + d];
                if (v > best) best = v, at = int((r - rc) * FW + (c - cc));
              }
            pos[((b * OH + yr) * OW + yc) * p.channels + d] = at;
          }
  }
  F dx(p.batch * p.in_height * p.in_width * p.channels);
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t d = 0; d < p.channels; ++d)
      for (int64_t r = 0; r < p.in_height; ++r)
        for (int64_t c = 0; c < p.in_width; ++c) {
          double dot = 0;
          for (int64_t wr = 0; wr < FH; ++wr) {
            const int64_t vr = r - (FH - 1 - p.pad_top) + wr;
            if (vr < 0 || vr % p.stride_height || vr / p.stride_height >= OH) continue;
            for (int64_t wc = 0; wc < FW; ++wc) {
              const int64_t vc = c - (FW - 1 - p.pad_left) + wc;
              if (vc < 0 || vc % p.stride_width || vc / p.stride_width >= OW) continue;
              const int64_t o =
                  ((b * OH + vr / p.stride_height) * OW + vc / p.stride_width) * p.channels + d;
              if (is_max && FH * FW - 1 - pos[o] != wr * FW + wc) continue;
              dot += dy[o];
            }
          }
          dx[((b * p.in_height + r) * p.in_width + c) * p.channels + d] =
              float(is_max ? dot : dot * (1.0 / double(FH * FW)));
        }
  return dx;
}

void check_pool(Context& ctx, const kdlts_pool2d_params& p, bool ties, bool specials,
                bool all_threads) {
  const int64_t in_n = p.batch * p.in_height * p.in_width * p.channels;
  const int64_t out_n = p.batch * p.out_height * p.out_width * p.channels;
  const F x = values(ctx, in_n, ties, specials), dy = values(ctx, out_n, false, specials);
  const std::string what = "pool N" + std::to_string(p.batch) + " " + std::to_string(p.in_height) +
                           "x" + std::to_string(p.in_width) + "x" + std::to_string(p.channels) +
                           " f" + std::to_string(p.filter_height) + "x" +
                           std::to_string(p.filter_width) + " s" + std::to_string(p.stride_height) +
                           " pad " + std::to_string(p.pad_top) + "," + std::to_string(p.pad_left) +
                           " out " + std::to_string(p.out_height) + "x" +
                           std::to_string(p.out_width);
  F first[4];
  for (int t : all_threads ? std::vector<int>{1, 2, 3} : std::vector<int>{0}) {
    const kdlts_exec e = threads(t);
    F y(out_n, 7.0f), z(out_n, 7.0f), dx(in_n, 7.0f), da(in_n, 7.0f);
    CHECK_OK(kdlts_max_pool2d_forward(&e, &p, x.data(), y.data()));
    CHECK_OK(kdlts_avg_pool2d_forward(&e, &p, x.data(), z.data()));
    CHECK_OK(kdlts_max_pool2d_backward(&e, &p, x.data(), dy.data(), dx.data()));
    CHECK_OK(kdlts_avg_pool2d_backward(&e, &p, dy.data(), da.data()));
    const F* got[4] = {&y, &z, &dx, &da};
    if (t <= 1) {
      expect_close(ctx, y, ref_pool(p, x, true), -1, what + " max");
      expect_close(ctx, z, ref_pool(p, x, false), -1, what + " avg");
      expect_close(ctx, dx, ref_pool_grad(p, x, dy, true), -1, what + " max grad");
      expect_close(ctx, da, ref_pool_grad(p, x, dy, false), -1, what + " avg grad");
      for (int k = 0; k < 4; ++k) first[k] = *got[k];
    } else {
      for (int k = 0; k < 4; ++k)
        expect_close(ctx, *got[k], first[k], -1, what + " threads " + std::to_string(t));
    }
  }
}

KDLTS_TEST(pool, same_and_valid_windows) {
  for (int64_t n : {1, 2})
    for (int64_t hw : {1, 2, 5, 8})
      for (int64_t c : {1, 3, 16, 19})
        for (int64_t f : {1, 2, 3})
          for (int64_t s : {1, 2})
            for (bool same : {false, true}) {
              const auto p = geometry(n, hw, hw + 1, c, f, s, same);
              check_pool(ctx, p, (hw + c + f) % 2 == 0, false, false);
            }
}

KDLTS_TEST(pool, ties_nan_inf_and_empty_windows) {
  for (int64_t f : {1, 2, 3})
    for (int64_t s : {1, 2, 3})
      check_pool(ctx, geometry(2, 7, 6, 5, f, s, true), true, true, false);
  // Explicit pads wider than the filter: windows entirely in the padding (max -Inf, avg NaN).
  kdlts_pool2d_params p{1, 3, 4, 2, 5, 6, 2, 2, 1, 1, 3, 2};
  check_pool(ctx, p, true, true, false);
  // A window of NaN / -Inf only: no position, -Inf; a 1x1 filter with stride 2 is not tfjs's
  // identity.
  const kdlts_pool2d_params q{1, 2, 2, 1, 1, 1, 1, 1, 2, 2, 0, 0};
  const F x = {kNaN, 1, 2, 3}, dy = {5};
  F y(1), dx(4, 7.0f);
  CHECK_OK(kdlts_max_pool2d_forward(&ctx.exec, &q, x.data(), y.data()));
  CHECK(y[0] == -kInf) << y[0];
  CHECK_OK(kdlts_max_pool2d_backward(&ctx.exec, &q, x.data(), dy.data(), dx.data()));
  CHECK(dx == F({0, 0, 0, 0}));
  // 1x1 with the input's shape: tfjs's identity, NaN kept.
  const kdlts_pool2d_params id{1, 2, 2, 1, 2, 2, 1, 1, 1, 1, 0, 0};
  F yi(4);
  CHECK_OK(kdlts_max_pool2d_forward(&ctx.exec, &id, x.data(), yi.data()));
  CHECK(std::isnan(yi[0]) && yi[3] == 3);
}

KDLTS_TEST(pool, large_and_deterministic) {
  check_pool(ctx, geometry(16, 32, 32, 16, 2, 2, false), true, true, true);
  check_pool(ctx, geometry(3, 33, 31, 24, 3, 1, true), true, false, true);
  check_pool(ctx, geometry(1, 130, 70, 4, 3, 2, true), false, true, true);
}

KDLTS_TEST(pool, argument_errors) {
  kdlts_pool2d_params p = geometry(1, 4, 4, 2, 2, 2, false);
  F x(32), y(8), dx(32);
  CHECK_STATUS(kdlts_max_pool2d_forward(&ctx.exec, nullptr, x.data(), y.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "max_pool2d_forward: params is NULL");
  CHECK_STATUS(kdlts_max_pool2d_forward(&ctx.exec, &p, nullptr, y.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "x is NULL");
  CHECK_STATUS(kdlts_avg_pool2d_backward(&ctx.exec, &p, y.data(), nullptr),
               KDLTS_ERR_INVALID_ARGUMENT, "dx is NULL");
  CHECK_STATUS(kdlts_max_pool2d_forward(&ctx.exec, &p, x.data(), x.data() + 4),
               KDLTS_ERR_INVALID_ARGUMENT, "y overlaps x");
  p.stride_height = 0;
  CHECK_STATUS(kdlts_avg_pool2d_forward(&ctx.exec, &p, x.data(), y.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "params.stride_height must be >= 1, got 0");
  p = geometry(1, 4, 4, 2, 2, 2, false);
  p.pad_left = -1;
  CHECK_STATUS(kdlts_max_pool2d_backward(&ctx.exec, &p, x.data(), y.data(), dx.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "params.pad_left must be >= 0");
  p = geometry(1, 4, 4, 2, 2, 2, false);
  const kdlts_exec cuda{KDLTS_BACKEND_CUDA, 0};
  CHECK_STATUS(kdlts_max_pool2d_forward(&cuda, &p, x.data(), y.data()), KDLTS_ERR_BACKEND,
               "CPU only");
  // Empty outputs return early (NULL buffers allowed); an empty dy still zeroes dx.
  kdlts_pool2d_params e = p;
  e.batch = 0;
  CHECK_OK(kdlts_max_pool2d_forward(&ctx.exec, &e, nullptr, nullptr));
  e = p;
  e.out_height = 0;
  F z(32, 7.0f);
  CHECK_OK(kdlts_max_pool2d_backward(&ctx.exec, &e, x.data(), nullptr, z.data()));
  CHECK(std::all_of(z.begin(), z.end(), [](float v) { return v == 0.0f; }));
}

// ---- batch_norm -------------------------------------------------------------------------------

struct Norm {
  int64_t rows, channels;
  F x, offset, scale;
};

Norm norm_problem(Context& ctx, int64_t rows, int64_t channels, float center, float spread) {
  Norm p{rows, channels, kdlts_test::normal(ctx, rows * channels),
         kdlts_test::normal(ctx, channels), kdlts_test::uniform(ctx, channels, 0.5f, 2.0f)};
  for (auto& v : p.x) v = center + spread * v;
  return p;
}

// tfjs BatchNorm.js: offset + (x - mean) * scale / sqrt(variance + eps), in double.
F ref_batch_norm(const F& x, int64_t channels, const double* mean, const double* var,
                 const float* offset, const float* scale, double eps) {
  F y(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const int64_t c = int64_t(i) % channels;
    y[i] = float((offset ? offset[c] : 0.0) +
                 (x[i] - mean[c]) * (scale ? scale[c] : 1.0) / std::sqrt(var[c] + eps));
  }
  return y;
}

KDLTS_TEST(batch_norm, inference_matches_tfjs) {
  for (int64_t rows : {1, 7, 1000, 40000})
    for (int64_t channels : {1, 3, 16, 33}) {
      const Norm p = norm_problem(ctx, rows, channels, 0.5f, 2.0f);
      const F m = kdlts_test::normal(ctx, channels),
              v = kdlts_test::uniform(ctx, channels, 0.0f, 3.0f);
      const std::vector<double> md(m.begin(), m.end()), vd(v.begin(), v.end());
      for (int with : {0, 1}) {
        const float* off = with ? p.offset.data() : nullptr;
        const float* sc = with ? p.scale.data() : nullptr;
        F y(p.x.size());
        CHECK_OK(kdlts_batch_norm(&ctx.exec, rows, channels, p.x.data(), m.data(), v.data(), off,
                                  sc, 1e-3f, y.data()));
        expect_close(ctx, y,
                     ref_batch_norm(p.x, channels, md.data(), vd.data(), off, sc, double(1e-3f)), 1,
                     "batch_norm " + std::to_string(rows) + "x" + std::to_string(channels));
        F inplace = p.x;  // y may alias x
        CHECK_OK(kdlts_batch_norm(&ctx.exec, rows, channels, inplace.data(), m.data(), v.data(),
                                  off, sc, 1e-3f, inplace.data()));
        expect_close(ctx, inplace, y, -1, "batch_norm in place");
      }
    }
}

// Training forward against two-pass double statistics. mean and variance: within 1 ulp of the
// double values (variance also 1e-12 of mean^2 for the shifted one-pass sums); y: bitwise
// batch_norm(x, mean_out, variance_out).
KDLTS_TEST(batch_norm, train_forward_statistics) {
  for (auto [rows, channels, center, spread] :
       std::vector<std::tuple<int64_t, int64_t, float, float>>{{1, 4, 0, 1},
                                                               {2, 3, 0, 1},
                                                               {777, 16, 3, 0.5f},
                                                               {70000, 16, -2, 3},
                                                               {5000, 5, 1000, 0.01f},
                                                               {3000, 64, 0, 1e-3f},
                                                               {4000, 8, 0, 1}}) {
    Norm p = norm_problem(ctx, rows, channels, center, spread);
    if (rows == 4000) {  // the first row (the shift of the one-pass sums) 1000 sd out
      for (int64_t c = 0; c < channels; ++c) p.x[c] = 1000.0f;
    }
    std::vector<double> mean(channels, 0.0), var(channels, 0.0);
    for (int64_t i = 0; i < rows * channels; ++i) mean[i % channels] += p.x[i] / double(rows);
    for (int64_t i = 0; i < rows * channels; ++i)
      var[i % channels] += std::pow(p.x[i] - mean[i % channels], 2) / double(rows);
    F first_y;
    for (int t : {1, 2, 3}) {
      const kdlts_exec e = threads(t);
      F y(p.x.size()), m(channels), v(channels), y2(p.x.size());
      CHECK_OK(kdlts_batch_norm_train_forward(&e, rows, channels, p.x.data(), p.offset.data(),
                                              p.scale.data(), 1e-5f, y.data(), m.data(), v.data()));
      const std::string what = "train forward " + std::to_string(rows) + "x" +
                               std::to_string(channels) + " center " + std::to_string(center);
      for (int64_t c = 0; c < channels; ++c) {
        CHECK(ulps(m[c], float(mean[c])) <= 1)
            << what << ": mean[" << c << "] " << m[c] << " vs " << mean[c];
        CHECK(std::fabs(v[c] - var[c]) <= 1.2e-7 * var[c] + 1e-12 * mean[c] * mean[c])
            << what << ": variance[" << c << "] " << v[c] << " vs " << var[c];
      }
      CHECK_OK(kdlts_batch_norm(&e, rows, channels, p.x.data(), m.data(), v.data(), p.offset.data(),
                                p.scale.data(), 1e-5f, y2.data()));
      expect_close(ctx, y, y2, -1, what + ": y vs batch_norm with the returned statistics");
      if (t == 1) first_y = y;
      expect_close(ctx, y, first_y, -1, what + " threads " + std::to_string(t));
    }
  }
}

// The batch-statistics gradient in double: with xhat = (x - m) inv,
// dx = scale inv (dy - sum(dy) / N - xhat sum(dy xhat) / N).
void ref_train_backward(const Norm& p, const std::vector<double>& dy, const std::vector<double>& m,
                        const std::vector<double>& v, double eps, std::vector<double>* dx,
                        std::vector<double>* doff, std::vector<double>* dsc) {
  const int64_t C = p.channels, N = p.rows;
  doff->assign(C, 0.0), dsc->assign(C, 0.0), dx->assign(N * C, 0.0);
  for (int64_t i = 0; i < N * C; ++i) {
    const int64_t c = i % C;
    (*doff)[c] += dy[i];
    (*dsc)[c] += dy[i] * (p.x[i] - m[c]) / std::sqrt(v[c] + eps);
  }
  for (int64_t i = 0; i < N * C; ++i) {
    const int64_t c = i % C;
    const double inv = 1.0 / std::sqrt(v[c] + eps), xhat = (p.x[i] - m[c]) * inv;
    (*dx)[i] = p.scale[c] * inv * (dy[i] - (*doff)[c] / N - xhat * (*dsc)[c] / N);
  }
}

// L(x, offset, scale) = sum(w * y) with the batch statistics recomputed from x, in double.
double train_loss(const Norm& p, const std::vector<double>& x, const std::vector<double>& off,
                  const std::vector<double>& sc, const std::vector<double>& w, double eps) {
  const int64_t C = p.channels, N = p.rows;
  std::vector<double> m(C, 0.0), v(C, 0.0);
  for (int64_t i = 0; i < N * C; ++i) m[i % C] += x[i] / N;
  for (int64_t i = 0; i < N * C; ++i) v[i % C] += (x[i] - m[i % C]) * (x[i] - m[i % C]) / N;
  double loss = 0;
  for (int64_t i = 0; i < N * C; ++i)
    loss += w[i] * (off[i % C] + sc[i % C] * (x[i] - m[i % C]) / std::sqrt(v[i % C] + eps));
  return loss;
}

KDLTS_TEST(batch_norm, train_backward_reference_matches_finite_differences) {
  Norm p = norm_problem(ctx, 6, 3, 0.3f, 1.5f);
  const double eps = 1e-3;
  std::vector<double> x(p.x.begin(), p.x.end()), off(p.offset.begin(), p.offset.end()),
      sc(p.scale.begin(), p.scale.end());
  const F wf = kdlts_test::normal(ctx, 18);
  const std::vector<double> w(wf.begin(), wf.end());
  std::vector<double> m(3, 0.0), v(3, 0.0), dx, doff, dsc;
  for (int i = 0; i < 18; ++i) m[i % 3] += x[i] / 6;
  for (int i = 0; i < 18; ++i) v[i % 3] += (x[i] - m[i % 3]) * (x[i] - m[i % 3]) / 6;
  ref_train_backward(p, w, m, v, eps, &dx, &doff, &dsc);
  const double h = 1e-6;
  auto fd = [&](std::vector<double>& param, size_t i) {
    const double keep = param[i];
    param[i] = keep + h;
    const double up = train_loss(p, x, off, sc, w, eps);
    param[i] = keep - h;
    const double down = train_loss(p, x, off, sc, w, eps);
    param[i] = keep;
    return (up - down) / (2 * h);
  };
  for (size_t i = 0; i < 18; ++i)
    CHECK(std::fabs(fd(x, i) - dx[i]) <= 1e-6 * (1 + std::fabs(dx[i])))
        << "dx[" << i << "] " << dx[i] << " vs " << fd(x, i);
  for (size_t c = 0; c < 3; ++c) {
    CHECK(std::fabs(fd(off, c) - doff[c]) <= 1e-6 * (1 + std::fabs(doff[c])))
        << "doffset[" << c << "]";
    CHECK(std::fabs(fd(sc, c) - dsc[c]) <= 1e-6 * (1 + std::fabs(dsc[c]))) << "dscale[" << c << "]";
  }
}

// The kernel against the double reference, given the same (float) statistics. Tolerance per
// element: 8 u times the size of the terms before they cancel,
// |scale| inv (|dy| + |sum dy| / N + |xhat| |sum dy xhat| / N); sums: 8 u sum of |terms|.
KDLTS_TEST(batch_norm, train_backward_matches_reference) {
  const double u = 1.0 / (1 << 24);
  for (auto [rows, channels] : std::vector<std::pair<int64_t, int64_t>>{
           {1, 3}, {5, 2}, {300, 16}, {70000, 16}, {2000, 37}}) {
    Norm p = norm_problem(ctx, rows, channels, 0.2f, 1.3f);
    const F dyf = kdlts_test::normal(ctx, rows * channels),
            m = kdlts_test::normal(ctx, channels, 0.2f, 0.1f),
            v = kdlts_test::uniform(ctx, channels, 0.5f, 2.0f);
    const std::vector<double> dy(dyf.begin(), dyf.end()), md(m.begin(), m.end()),
        vd(v.begin(), v.end());
    std::vector<double> dx, doff, dsc;
    ref_train_backward(p, dy, md, vd, double(1e-3f), &dx, &doff, &dsc);
    F first;
    for (int t : {1, 2, 3}) {
      const kdlts_exec e = threads(t);
      F gx(rows * channels), go(channels), gs(channels);
      CHECK_OK(kdlts_batch_norm_train_backward(&e, rows, channels, p.x.data(), dyf.data(), m.data(),
                                               v.data(), p.scale.data(), 1e-3f, gx.data(),
                                               go.data(), gs.data()));
      const std::string what =
          "train backward " + std::to_string(rows) + "x" + std::to_string(channels);
      std::vector<double> abs_dy(channels, 0.0), abs_dyx(channels, 0.0);
      for (int64_t i = 0; i < rows * channels; ++i) {
        abs_dy[i % channels] += std::fabs(dy[i]);
        abs_dyx[i % channels] +=
            std::fabs(dy[i] * (p.x[i] - md[i % channels]) / std::sqrt(vd[i % channels] + 1e-3));
      }
      for (int64_t c = 0; c < channels; ++c) {
        CHECK(std::fabs(go[c] - doff[c]) <= 8 * u * abs_dy[c]) << what << " doffset[" << c << "]";
        CHECK(std::fabs(gs[c] - dsc[c]) <= 8 * u * abs_dyx[c]) << what << " dscale[" << c << "]";
      }
      for (int64_t i = 0; i < rows * channels; ++i) {
        const int64_t c = i % channels;
        const double inv = 1 / std::sqrt(vd[c] + 1e-3), xhat = std::fabs(p.x[i] - md[c]) * inv;
        const double scale =
            p.scale[c] * inv *
            (std::fabs(dy[i]) + std::fabs(doff[c]) / rows + xhat * std::fabs(dsc[c]) / rows);
        if (!(std::fabs(gx[i] - dx[i]) <= 8 * u * scale)) {
          CHECK(false) << what << " dx[" << i << "] " << gx[i] << " vs " << dx[i];
          break;
        }
      }
      if (t == 1) first = gx;
      expect_close(ctx, gx, first, -1, what + " threads " + std::to_string(t));
      // doffset / dscale are optional, scale NULL means 1.
      F hx(rows * channels);
      CHECK_OK(kdlts_batch_norm_train_backward(&e, rows, channels, p.x.data(), dyf.data(), m.data(),
                                               v.data(), nullptr, 1e-3f, hx.data(), nullptr,
                                               nullptr));
      CHECK(std::fabs(hx[0] * p.scale[0] - gx[0]) <= 1e-5 * (std::fabs(gx[0]) + 1e-3))
          << what << " scale NULL";
    }
  }
}

// The fused ReLU variants equal the unfused kernels followed by tfjs's ReLU (forward) and fed
// dy * step(y) (backward), bitwise, for any thread count; NaN in dy passes where y > 0 only.
KDLTS_TEST(batch_norm, relu_variants_equal_unfused_composition) {
  for (auto [rows, channels] : std::vector<std::pair<int64_t, int64_t>>{{1, 3}, {37, 16}, {5000, 20}, {20000, 64}}) {
    Norm p = norm_problem(ctx, rows, channels, 0.3f, 1.0f);
    const int64_t n = rows * channels;
    F dy = kdlts_test::normal(ctx, n);
    dy[0] = kNaN;
    for (int t : {1, 2, 3}) {
      const kdlts_exec e = threads(t);
      F y(n), m(channels), v(channels), y_ref(n), m_ref(channels), v_ref(channels);
      CHECK_OK(kdlts_batch_norm_relu_train_forward(&e, rows, channels, p.x.data(), p.offset.data(),
                                                   p.scale.data(), 1e-5f, y.data(), m.data(), v.data()));
      CHECK_OK(kdlts_batch_norm_train_forward(&e, rows, channels, p.x.data(), p.offset.data(),
                                              p.scale.data(), 1e-5f, y_ref.data(), m_ref.data(),
                                              v_ref.data()));
      F gated(n);
      for (int64_t i = 0; i < n; ++i) {
        y_ref[i] = !(y_ref[i] <= 0.0f) ? y_ref[i] : 0.0f;
        const float step = y_ref[i] > 0.0f ? 1.0f : (y_ref[i] != y_ref[i] ? y_ref[i] : 0.0f);
        gated[i] = dy[i] * step;
      }
      CHECK(std::memcmp(y.data(), y_ref.data(), n * sizeof(float)) == 0) << rows << "x" << channels;
      CHECK(std::memcmp(m.data(), m_ref.data(), channels * sizeof(float)) == 0);
      F dx(n), doff(channels), dsc(channels), dx_ref(n), doff_ref(channels), dsc_ref(channels);
      CHECK_OK(kdlts_batch_norm_relu_train_backward(&e, rows, channels, p.x.data(), y.data(),
                                                    dy.data(), m.data(), v.data(), p.scale.data(),
                                                    1e-5f, dx.data(), doff.data(), dsc.data()));
      CHECK_OK(kdlts_batch_norm_train_backward(&e, rows, channels, p.x.data(), gated.data(),
                                               m.data(), v.data(), p.scale.data(), 1e-5f,
                                               dx_ref.data(), doff_ref.data(), dsc_ref.data()));
      bool same = true;
      for (int64_t i = 0; i < n; ++i) same &= ulps(dx[i], dx_ref[i]) == 0;
      for (int64_t c = 0; c < channels; ++c) same &= ulps(doff[c], doff_ref[c]) == 0 && ulps(dsc[c], dsc_ref[c]) == 0;
      CHECK(same) << rows << "x" << channels << " threads " << t;
    }
  }
  F x(6), y(6), m(3), v(3), dx(6);
  CHECK_STATUS(kdlts_batch_norm_relu_train_backward(&ctx.exec, 2, 3, x.data(), nullptr, x.data(),
                                                    m.data(), v.data(), nullptr, 0.0f, dx.data(),
                                                    nullptr, nullptr),
               KDLTS_ERR_INVALID_ARGUMENT, "batch_norm_relu_train_backward: y is NULL");
}

KDLTS_TEST(batch_norm, argument_errors) {
  F x(6), m(3), v(3), y(6);
  CHECK_STATUS(kdlts_batch_norm(&ctx.exec, 2, 3, x.data(), m.data(), v.data(), nullptr, nullptr,
                                -1.0f, y.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "batch_norm: eps must be finite and >= 0");
  CHECK_STATUS(kdlts_batch_norm(&ctx.exec, 2, 3, x.data(), m.data(), v.data(), nullptr, nullptr,
                                kNaN, y.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "eps");
  CHECK_STATUS(kdlts_batch_norm(&ctx.exec, 2, 3, x.data(), nullptr, v.data(), nullptr, nullptr,
                                0.0f, y.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "batch_norm: mean is NULL");
  CHECK_STATUS(kdlts_batch_norm(&ctx.exec, -2, 3, x.data(), m.data(), v.data(), nullptr, nullptr,
                                0.0f, y.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "batch_norm: rows must be >= 0, got -2");
  CHECK_STATUS(kdlts_batch_norm(&ctx.exec, 2, 3, x.data(), m.data(), v.data(), nullptr, nullptr,
                                0.0f, x.data() + 1),
               KDLTS_ERR_INVALID_ARGUMENT, "y overlaps x (only an exact alias");
  CHECK_STATUS(kdlts_batch_norm_train_forward(&ctx.exec, 2, 3, x.data(), nullptr, nullptr, 0.0f,
                                              y.data(), m.data(), nullptr),
               KDLTS_ERR_INVALID_ARGUMENT, "variance_out is NULL");
  CHECK_STATUS(kdlts_batch_norm_train_forward(&ctx.exec, 2, 3, x.data(), nullptr, nullptr, 0.0f,
                                              x.data(), m.data(), v.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "y overlaps x");
  CHECK_STATUS(kdlts_batch_norm_train_backward(&ctx.exec, 2, 3, x.data(), y.data(), m.data(),
                                               v.data(), nullptr, 0.0f, y.data(), nullptr, nullptr),
               KDLTS_ERR_INVALID_ARGUMENT, "dx overlaps dy");
  const kdlts_exec cuda{KDLTS_BACKEND_CUDA, 0};
  CHECK_STATUS(
      kdlts_batch_norm(&cuda, 2, 3, x.data(), m.data(), v.data(), nullptr, nullptr, 0.0f, y.data()),
      KDLTS_ERR_BACKEND, "batch_norm: runs on the CPU only");
  // Empty: nothing read; zero rows give NaN statistics and zero parameter gradients.
  CHECK_OK(kdlts_batch_norm(&ctx.exec, 0, 3, nullptr, nullptr, nullptr, nullptr, nullptr, 0.0f,
                            nullptr));
  CHECK_OK(kdlts_batch_norm_train_forward(&ctx.exec, 0, 3, nullptr, nullptr, nullptr, 0.0f, nullptr,
                                          m.data(), v.data()));
  CHECK(std::isnan(m[0]) && std::isnan(v[2]));
  F go(3, 7.0f), gs(3, 7.0f);
  CHECK_OK(kdlts_batch_norm_train_backward(&ctx.exec, 0, 3, nullptr, nullptr, m.data(), v.data(),
                                           nullptr, 0.0f, nullptr, go.data(), gs.data()));
  CHECK(go == F(3, 0.0f) && gs == F(3, 0.0f));
}

// ---- binary -------------------------------------------------------------------------------------

// tfjs's op on JS numbers, rounded to float.
float ref_binary_op(int op, float a, float b) {
  const double x = a, y = b;
  switch (op) {
    case KDLTS_BINARY_ADD:
      return float(x + y);
    case KDLTS_BINARY_SUB:
      return float(x - y);
    case KDLTS_BINARY_MUL:
      return float(x * y);
    case KDLTS_BINARY_DIV:
      return float(x / y);
    case KDLTS_BINARY_SQUARED_DIFFERENCE:
      return float((x - y) * (x - y));
    case KDLTS_BINARY_MAXIMUM:
    case KDLTS_BINARY_MINIMUM: {  // Math.max / Math.min
      if (std::isnan(x) || std::isnan(y)) return kNaN;
      const bool max = op == KDLTS_BINARY_MAXIMUM;
      if (x == 0 && y == 0) {  // max is -0 only when both are, min is -0 when either is
        const bool negative =
            max ? std::signbit(x) && std::signbit(y) : std::signbit(x) || std::signbit(y);
        return negative ? -0.0f : 0.0f;
      }
      return float(max ? std::max(x, y) : std::min(x, y));
    }
    default:
      return float(x * (std::isnan(y) ? y : (y > 0 ? 1.0 : 0.0)));  // mul(dy, step(x))
  }
}

F ref_binary(int op, const Shape& out, const Shape& as, const Shape& bs, const F& a, const F& b) {
  int64_t n = 1;
  for (int64_t d : out) n *= d;
  F y(n);
  for (int64_t i = 0; i < n; ++i) {
    int64_t rest = i, ia = 0, ib = 0, sa = 1, sb = 1;
    for (int d = int(out.size()) - 1; d >= 0; --d) {
      const int64_t k = rest % out[d];
      rest /= out[d];
      ia += (as[d] == 1 ? 0 : k) * sa, sa *= as[d];
      ib += (bs[d] == 1 ? 0 : k) * sb, sb *= bs[d];
    }
    y[i] = ref_binary_op(op, a[ia], b[ib]);
  }
  return y;
}

int64_t count(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

void check_binary(Context& ctx, const Shape& out, const Shape& as, const Shape& bs,
                  bool all_threads) {
  const F a = values(ctx, count(as), false, true), b = values(ctx, count(bs), false, true);
  std::string what = "binary [";
  for (size_t d = 0; d < out.size(); ++d)
    what += std::to_string(as[d]) + "/" + std::to_string(bs[d]) + (d + 1 < out.size() ? "," : "");
  for (int op = KDLTS_BINARY_ADD; op <= KDLTS_BINARY_RELU_GRAD; ++op) {
    const F want = ref_binary(op, out, as, bs, a, b);
    for (int t : all_threads ? std::vector<int>{1, 2, 3} : std::vector<int>{0}) {
      const kdlts_exec e = threads(t);
      F y(want.size(), 7.0f);
      CHECK_OK(kdlts_binary(&e, op, int32_t(out.size()), out.data(), as.data(), bs.data(), a.data(),
                            b.data(), y.data()));
      expect_close(ctx, y, want, -1,
                   what + "] op " + std::to_string(op) + " threads " + std::to_string(t));
    }
    if (count(as) == count(out)) {  // out may alias a
      F inplace = a;
      CHECK_OK(kdlts_binary(&ctx.exec, op, int32_t(out.size()), out.data(), as.data(), bs.data(),
                            inplace.data(), b.data(), inplace.data()));
      expect_close(ctx, inplace, want, -1, what + "] in place, op " + std::to_string(op));
    }
  }
}

KDLTS_TEST(binary, broadcast_patterns) {
  const std::vector<std::array<Shape, 3>> cases = {
      {Shape{}, Shape{}, Shape{}},                                   // rank 0
      {Shape{1}, Shape{1}, Shape{1}},                                // one element
      {Shape{2, 3, 4, 5}, Shape{2, 3, 4, 5}, Shape{2, 3, 4, 5}},     // same shape
      {Shape{2, 3, 4, 5}, Shape{2, 3, 4, 5}, Shape{1, 1, 1, 1}},     // tensor op scalar
      {Shape{2, 3, 4, 5}, Shape{1, 1, 1, 1}, Shape{2, 3, 4, 5}},     // scalar op tensor
      {Shape{2, 4, 4, 16}, Shape{2, 4, 4, 16}, Shape{1, 1, 1, 16}},  // NHWC op [C]
      {Shape{2, 4, 4, 3}, Shape{1, 1, 1, 3}, Shape{2, 4, 4, 3}},     // [C] op NHWC
      {Shape{3, 4, 5, 16}, Shape{3, 4, 5, 16}, Shape{3, 1, 1, 16}},  // [N,1,1,C]
      {Shape{2, 5, 3}, Shape{2, 5, 3}, Shape{1, 5, 1}},              // middle axis
      {Shape{3, 4}, Shape{3, 1}, Shape{1, 4}},                       // both sides
      {Shape{4, 3}, Shape{1, 3}, Shape{4, 1}},
      {Shape{2, 1, 3}, Shape{2, 1, 3}, Shape{1, 1, 1}},  // size-1 output axes
      {Shape{2, 3, 0}, Shape{2, 3, 0}, Shape{1, 3, 1}},  // empty
  };
  for (const auto& c : cases) check_binary(ctx, c[0], c[1], c[2], false);
  // Random ranks 0..6 with random broadcasting on either side.
  std::uniform_int_distribution<int> dim(1, 4), coin(0, 2);
  for (int trial = 0; trial < 60; ++trial) {
    const int rank = trial % 7;
    Shape out(rank), as(rank), bs(rank);
    for (int d = 0; d < rank; ++d) {
      out[d] = dim(ctx.rng);
      const int k = coin(ctx.rng);  // 0: both full, 1: a repeats, 2: b repeats
      as[d] = k == 1 ? 1 : out[d];
      bs[d] = k == 2 ? 1 : out[d];
    }
    check_binary(ctx, out, as, bs, false);
  }
}

KDLTS_TEST(binary, special_values_exact) {
  const F v = {0.0f, -0.0f, 1.0f, -1.0f, kNaN, kInf, -kInf, 3.5f, -2.25f, 1e-40f, 3e38f};
  const int64_t n = int64_t(v.size());
  F a, b;
  for (float x : v)
    for (float y : v) a.push_back(x), b.push_back(y);
  const Shape s{n * n};
  for (int op = KDLTS_BINARY_ADD; op <= KDLTS_BINARY_RELU_GRAD; ++op) {
    F out(n * n);
    CHECK_OK(kdlts_binary(&ctx.exec, op, 1, s.data(), s.data(), s.data(), a.data(), b.data(),
                          out.data()));
    expect_close(ctx, out, ref_binary(op, s, s, s, a, b), -1,
                 "binary specials op " + std::to_string(op));
  }
  const Shape one{1};
  F r(1);
  const float mz = -0.0f, pz = 0.0f;
  CHECK_OK(kdlts_binary(&ctx.exec, KDLTS_BINARY_MAXIMUM, 1, one.data(), one.data(), one.data(), &mz,
                        &pz, r.data()));
  CHECK(r[0] == 0.0f && !std::signbit(r[0])) << "max(-0, +0) must be +0";
  CHECK_OK(kdlts_binary(&ctx.exec, KDLTS_BINARY_MINIMUM, 1, one.data(), one.data(), one.data(), &pz,
                        &mz, r.data()));
  CHECK(r[0] == 0.0f && std::signbit(r[0])) << "min(+0, -0) must be -0";
}

KDLTS_TEST(binary, large_and_deterministic) {
  check_binary(ctx, {64, 16, 16, 16}, {64, 16, 16, 16}, {1, 1, 1, 16}, true);
  check_binary(ctx, {64, 16, 16, 16}, {64, 16, 16, 16}, {64, 16, 16, 16}, true);
  check_binary(ctx, {300, 500}, {1, 500}, {300, 1}, true);
  check_binary(ctx, {40000, 3}, {40000, 3}, {1, 1}, true);
}

KDLTS_TEST(binary, argument_errors) {
  const Shape out{2, 4, 5}, a3{2, 4, 3}, ok{2, 4, 5}, b1{1, 1, 1}, both{2, 1, 5};
  F a(40), b(40), y(40);
  CHECK_STATUS(
      kdlts_binary(&ctx.exec, 0, 3, out.data(), a3.data(), ok.data(), a.data(), b.data(), y.data()),
      KDLTS_ERR_INVALID_ARGUMENT, "binary: a_shape[2] = 3 is neither 1 nor out_shape[2] = 5");
  CHECK_STATUS(kdlts_binary(&ctx.exec, 0, 3, out.data(), both.data(), both.data(), a.data(),
                            b.data(), y.data()),
               KDLTS_ERR_INVALID_ARGUMENT,
               "binary: out_shape[1] = 4 but a_shape[1] and b_shape[1] are both 1");
  CHECK_STATUS(
      kdlts_binary(&ctx.exec, 8, 3, out.data(), ok.data(), ok.data(), a.data(), b.data(), y.data()),
      KDLTS_ERR_INVALID_ARGUMENT, "binary: op 8 is not a kdlts_binary_op");
  CHECK_STATUS(
      kdlts_binary(&ctx.exec, 0, 9, out.data(), ok.data(), ok.data(), a.data(), b.data(), y.data()),
      KDLTS_ERR_INVALID_ARGUMENT, "binary: rank must be in [0, 8], got 9");
  CHECK_STATUS(
      kdlts_binary(&ctx.exec, 0, 3, out.data(), nullptr, ok.data(), a.data(), b.data(), y.data()),
      KDLTS_ERR_INVALID_ARGUMENT, "binary: a_shape is NULL");
  CHECK_STATUS(
      kdlts_binary(&ctx.exec, 0, 3, out.data(), ok.data(), ok.data(), a.data(), nullptr, y.data()),
      KDLTS_ERR_INVALID_ARGUMENT, "binary: b is NULL");
  CHECK_STATUS(
      kdlts_binary(&ctx.exec, 0, 3, out.data(), ok.data(), b1.data(), a.data(), y.data(), y.data()),
      KDLTS_ERR_INVALID_ARGUMENT, "binary: out overlaps b");
  CHECK_STATUS(kdlts_binary(&ctx.exec, 0, 3, out.data(), ok.data(), ok.data(), a.data() + 1,
                            b.data(), a.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "binary: out overlaps a");
  const kdlts_exec cuda{KDLTS_BACKEND_CUDA, 0};
  CHECK_STATUS(
      kdlts_binary(&cuda, 0, 3, out.data(), ok.data(), ok.data(), a.data(), b.data(), y.data()),
      KDLTS_ERR_BACKEND, "binary: runs on the CPU only");
  const Shape empty{0, 3};
  CHECK_OK(kdlts_binary(&ctx.exec, 0, 2, empty.data(), empty.data(), empty.data(), nullptr, nullptr,
                        nullptr));
}

// ---- unary --------------------------------------------------------------------------------------

float ref_unary(int op, float v, float alpha) {
  const double x = v;
  switch (op) {
    case KDLTS_UNARY_RELU:
      return std::isnan(x) ? v : float(std::max(0.0, x) + 0.0);
    case KDLTS_UNARY_RELU6:
      return std::isnan(x) ? v : float(std::min(std::max(0.0, x) + 0.0, 6.0));
    case KDLTS_UNARY_STEP:
      return std::isnan(x) ? v : (x > 0 ? 1.0f : alpha);
    case KDLTS_UNARY_NEG:
      return float(x * -1);
    case KDLTS_UNARY_ABS:
      return float(std::fabs(x));
    case KDLTS_UNARY_SQUARE:
      return float(x * x);
    case KDLTS_UNARY_SQRT:
      return float(std::sqrt(x));
    case KDLTS_UNARY_RSQRT:
      return float(1 / std::sqrt(x));
    case KDLTS_UNARY_EXP:
      return float(std::exp(x));
    case KDLTS_UNARY_LOG:
      return float(std::log(x));
    case KDLTS_UNARY_SIGMOID:
      return float(1 / (1 + std::exp(-x)));
    case KDLTS_UNARY_TANH:
      return float(std::tanh(x));
    default:
      return float(1 / x);
  }
}

// exp / log / sigmoid / tanh within 1 ulp of libm's double result rounded (and exact in at
// least 99.9% of cases); the others bitwise.
void check_unary(Context& ctx, const F& x, bool all_threads, const std::string& what) {
  for (int op = KDLTS_UNARY_RELU; op <= KDLTS_UNARY_RECIPROCAL; ++op) {
    F want(x.size());
    for (size_t i = 0; i < x.size(); ++i) want[i] = ref_unary(op, x[i], -0.25f);
    const bool transcendental = op >= KDLTS_UNARY_EXP && op <= KDLTS_UNARY_TANH;
    F first;
    for (int t : all_threads ? std::vector<int>{1, 2, 3} : std::vector<int>{0}) {
      const kdlts_exec e = threads(t);
      F y(x.size(), 7.0f);
      CHECK_OK(kdlts_unary(&e, op, int64_t(x.size()), x.data(), -0.25f, y.data()));
      const std::string w = what + " op " + std::to_string(op);
      expect_close(ctx, y, want, transcendental ? 1 : -1, w);
      int64_t inexact = 0;
      for (size_t i = 0; i < y.size(); ++i) inexact += !same_bits(y[i], want[i]);
      CHECK(inexact * 1000 <= int64_t(y.size()))
          << w << ": " << inexact << " of " << y.size() << " differ by 1 ulp";
      if (first.empty()) first = y;
      expect_close(ctx, y, first, -1, w + " threads " + std::to_string(t));
    }
    F inplace = x;  // y may alias x
    CHECK_OK(kdlts_unary(&ctx.exec, op, int64_t(x.size()), inplace.data(), -0.25f, inplace.data()));
    expect_close(ctx, inplace, first, -1, what + " in place op " + std::to_string(op));
  }
}

KDLTS_TEST(unary, special_values) {
  check_unary(
      ctx, {0.0f,       -0.0f,   1.0f,   -1.0f,  kNaN,   kInf,    -kInf,   1e-45f,  -1e-45f, 1e-38f,
            3e38f,      -3e38f,  88.72f, 88.73f, -87.3f, -103.9f, -104.0f, -110.0f, 1e-5f,   -1e-4f,
            1.0001e-4f, 9.9e-5f, 1e-8f,  0.5f,   9.0f,   20.0f,   6.0f,    6.5f},
      false, "specials");
  for (int64_t n : {1, 15, 16, 17, 33})
    check_unary(ctx, values(ctx, n, false, true), false, "n " + std::to_string(n));
}

KDLTS_TEST(unary, wide_ranges_and_deterministic) {
  F x = kdlts_test::uniform(ctx, 200000, -100.0f, 100.0f);
  const F small = kdlts_test::uniform(ctx, 100000, -2.0f, 2.0f);
  x.insert(x.end(), small.begin(), small.end());
  for (int e = -140; e <= 120; e += 5)  // positive values across the exponent range (log, rsqrt)
    for (float m : kdlts_test::uniform(ctx, 200, 1.0f, 2.0f)) x.push_back(std::ldexp(m, e));
  check_unary(ctx, x, true, "wide");
}

KDLTS_TEST(unary, argument_errors) {
  F x(4), y(4);
  CHECK_STATUS(kdlts_unary(&ctx.exec, 13, 4, x.data(), 0.0f, y.data()), KDLTS_ERR_INVALID_ARGUMENT,
               "unary: op 13 is not a kdlts_unary_op");
  CHECK_STATUS(kdlts_unary(&ctx.exec, -1, 4, x.data(), 0.0f, y.data()), KDLTS_ERR_INVALID_ARGUMENT,
               "unary: op -1");
  CHECK_STATUS(kdlts_unary(&ctx.exec, 0, -4, x.data(), 0.0f, y.data()), KDLTS_ERR_INVALID_ARGUMENT,
               "unary: n must be >= 0, got -4");
  CHECK_STATUS(kdlts_unary(&ctx.exec, 0, 4, nullptr, 0.0f, y.data()), KDLTS_ERR_INVALID_ARGUMENT,
               "unary: x is NULL");
  CHECK_STATUS(kdlts_unary(&ctx.exec, 0, 3, x.data(), 0.0f, x.data() + 1),
               KDLTS_ERR_INVALID_ARGUMENT, "unary: y overlaps x");
  CHECK_OK(kdlts_unary(&ctx.exec, 0, 0, nullptr, 0.0f, nullptr));
}

// ---- reduce -------------------------------------------------------------------------------------

// tfjs after its transpose: a sequential loop per output. Sum: double accumulation. Mean (for
// the tolerance): the exact double mean. Max / Min: Max_impl.js / Min.js, starting from the
// first element, NaN sticking, the first of equal extremes kept.
F ref_reduce(int op, int64_t outer, int64_t size, int64_t inner, const F& x,
             std::vector<double>* abs_sum) {
  F y(outer * inner);
  abs_sum->assign(outer * inner, 0.0);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const float* p = x.data() + o * size * inner + i;
      double sum = 0;
      float ext = size ? p[0] : (op == KDLTS_REDUCE_MAX ? -kInf : kInf);
      for (int64_t r = 0; r < size; ++r) {
        const float v = p[r * inner];
        sum += v, (*abs_sum)[o * inner + i] += std::fabs(v);
        if (std::isnan(v) || (op == KDLTS_REDUCE_MAX ? v > ext : v < ext)) ext = v;
      }
      y[o * inner + i] = op == KDLTS_REDUCE_SUM    ? float(sum)
                         : op == KDLTS_REDUCE_MEAN ? float(sum / double(size))
                                                   : ext;
    }
  return y;
}

void check_reduce(Context& ctx, int64_t outer, int64_t size, int64_t inner, const F& x,
                  bool all_threads) {
  const std::string what =
      "reduce " + std::to_string(outer) + "x" + std::to_string(size) + "x" + std::to_string(inner);
  for (int op = KDLTS_REDUCE_SUM; op <= KDLTS_REDUCE_MIN; ++op) {
    std::vector<double> abs_sum;
    const F want = ref_reduce(op, outer, size, inner, x, &abs_sum);
    F first;
    for (int t : all_threads ? std::vector<int>{1, 2, 3} : std::vector<int>{0}) {
      const kdlts_exec e = threads(t);
      F y(want.size(), 7.0f);
      CHECK_OK(kdlts_reduce(&e, op, outer, size, inner, x.data(), y.data()));
      const std::string w = what + " op " + std::to_string(op) + " threads " + std::to_string(t);
      if (op >= KDLTS_REDUCE_MAX) {
        expect_close(ctx, y, want, -1, w);
      } else {
        const double scale = op == KDLTS_REDUCE_MEAN && size ? 1.0 / double(size) : 1.0;
        for (size_t k = 0; k < y.size(); ++k) {
          const bool ok =
              ulps(y[k], want[k]) <= 1 || std::fabs(y[k] - want[k]) <= 1e-12 * abs_sum[k] * scale;
          if (!ok) {
            CHECK(ok) << w << ": output " << k << " is " << y[k] << ", expected " << want[k];
            break;
          }
        }
      }
      if (first.empty()) first = y;
      expect_close(ctx, y, first, -1, w + " vs 1 thread");
    }
  }
}

KDLTS_TEST(reduce, shapes) {
  const std::vector<std::array<int64_t, 3>> shapes = {
      {1, 1, 1},     {1, 5, 1},      {3, 31, 1},    {7, 32, 1}, {5, 33, 1},
      {1000, 17, 1}, {2, 70001, 1},                                            // rows
      {1, 5, 3},     {1, 20000, 16}, {1, 3000, 37}, {4, 9, 2},  {6, 300, 16},  // per column
      {2, 50, 2500}, {1, 3, 5000},   {3, 1, 4},     {2, 0, 3},  {0, 4, 2}};
  for (const auto& s : shapes) {
    check_reduce(ctx, s[0], s[1], s[2], values(ctx, s[0] * s[1] * s[2], false, false), false);
    check_reduce(ctx, s[0], s[1], s[2], values(ctx, s[0] * s[1] * s[2], true, true),
                 false);  // ties, NaN, Inf, -0
  }
}

KDLTS_TEST(reduce, zero_signs_and_specials) {
  // The first zero wins for max / min (tfjs), also when a later zero sits in a lower lane.
  for (int64_t n : {2, 48, 40000, 70000}) {
    const int64_t first = n > 2 ? 15 : 0, second = n > 2 ? 16 : 1;
    for (float sign : {1.0f, -1.0f}) {
      F x(n, -1.0f), y(n, 1.0f);
      x[first] = y[first] = sign * 0.0f;
      x[second] = y[second] = -sign * 0.0f;
      check_reduce(ctx, 1, n, 1, x, false);  // max is the first zero
      check_reduce(ctx, 1, n, 1, y, false);  // min is the first zero
      check_reduce(ctx, 1, n / 2, 2, y, false);
    }
  }
  const F inf = {1.0f, kInf, -kInf, 2.0f};  // sum NaN, max Inf, min -Inf
  check_reduce(ctx, 1, 4, 1, inf, false);
  F out(1);
  CHECK_OK(kdlts_reduce(&ctx.exec, KDLTS_REDUCE_SUM, 1, 4, 1, inf.data(), out.data()));
  CHECK(std::isnan(out[0]));
  // size 0: sum 0, mean NaN, max -Inf, min +Inf.
  F e(3);
  for (int op = 0; op < 4; ++op) {
    CHECK_OK(kdlts_reduce(&ctx.exec, op, 1, 0, 3, nullptr, e.data()));
    const float want = op == 0 ? 0.0f : op == 1 ? kNaN : op == 2 ? -kInf : kInf;
    CHECK(same_bits(e[2], want)) << "size 0, op " << op << ": " << e[2];
  }
}

KDLTS_TEST(reduce, ten_million_deterministic) {
  const F x = kdlts_test::uniform(ctx, 10000000, -1.0f, 1.0f);
  check_reduce(ctx, 1, 10000000, 1, x, true);
  check_reduce(ctx, 1, 625000, 16, x, true);
  check_reduce(ctx, 128, 1024, 16, F(x.begin(), x.begin() + 128 * 1024 * 16), true);
}

KDLTS_TEST(reduce, argument_errors) {
  F x(6), y(2);
  CHECK_STATUS(kdlts_reduce(&ctx.exec, 4, 1, 3, 2, x.data(), y.data()), KDLTS_ERR_INVALID_ARGUMENT,
               "reduce: op 4 is not a kdlts_reduce_op");
  CHECK_STATUS(kdlts_reduce(&ctx.exec, 0, 1, -3, 2, x.data(), y.data()), KDLTS_ERR_INVALID_ARGUMENT,
               "reduce: size must be >= 0, got -3");
  CHECK_STATUS(kdlts_reduce(&ctx.exec, 0, 1, 3, 2, nullptr, y.data()), KDLTS_ERR_INVALID_ARGUMENT,
               "reduce: x is NULL");
  CHECK_STATUS(kdlts_reduce(&ctx.exec, 0, 1, 3, 2, x.data(), x.data() + 4),
               KDLTS_ERR_INVALID_ARGUMENT, "reduce: y overlaps x");
  CHECK_STATUS(
      kdlts_reduce(&ctx.exec, 0, int64_t(1) << 40, int64_t(1) << 40, 2, x.data(), y.data()),
      KDLTS_ERR_INVALID_ARGUMENT, "overflow");
  CHECK_OK(kdlts_reduce(&ctx.exec, 0, 0, 3, 2, nullptr, nullptr));
}

// ---- softmax ------------------------------------------------------------------------------------

// tfjs Softmax.js: max, sub (float), exp (double, rounded), sum (double, rounded), div (float).
F ref_softmax(int64_t rows, int64_t cols, const F& x) {
  F y(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    const float* p = x.data() + r * cols;
    float m = p[0];
    for (int64_t c = 0; c < cols; ++c) m = (std::isnan(p[c]) || p[c] > m) ? p[c] : m;
    double sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += (y[r * cols + c] = float(std::exp(double(p[c] - m))));
    for (int64_t c = 0; c < cols; ++c) y[r * cols + c] = y[r * cols + c] / float(sum);
  }
  return y;
}

void check_softmax(Context& ctx, int64_t rows, int64_t cols, const F& x, bool all_threads) {
  const F want = ref_softmax(rows, cols, x);
  F first;
  const std::string what = "softmax " + std::to_string(rows) + "x" + std::to_string(cols);
  for (int t : all_threads ? std::vector<int>{1, 2, 3} : std::vector<int>{0}) {
    const kdlts_exec e = threads(t);
    F y(x.size(), 7.0f);
    CHECK_OK(kdlts_softmax(&e, rows, cols, x.data(), y.data()));
    expect_close(ctx, y, want, 2, what);
    if (first.empty()) first = y;
    expect_close(ctx, y, first, -1, what + " threads " + std::to_string(t));
  }
  F inplace = x;
  CHECK_OK(kdlts_softmax(&ctx.exec, rows, cols, inplace.data(), inplace.data()));
  expect_close(ctx, inplace, first, -1, what + " in place");
}

KDLTS_TEST(softmax, rows_and_specials) {
  for (auto [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{
           {1, 1}, {3, 10}, {7, 17}, {64, 1000}, {2, 100000}, {5000, 10}}) {
    F x = kdlts_test::normal(ctx, rows * cols, 0.0f, 5.0f);
    check_softmax(ctx, rows, cols, x, rows * cols > 40000);
  }
  const F special = {1, -kInf, 2, 3, -kInf, -kInf,  -kInf, -kInf, 1, kNaN, 2, 3,
                     1, kInf,  2, 3, 1e30f, -1e30f, 0,     5,     7, 7,    7, 7};
  check_softmax(ctx, 6, 4, special, false);
}

KDLTS_TEST(softmax, argument_errors) {
  F x(6), y(6);
  CHECK_STATUS(kdlts_softmax(&ctx.exec, -1, 6, x.data(), y.data()), KDLTS_ERR_INVALID_ARGUMENT,
               "softmax: rows must be >= 0, got -1");
  CHECK_STATUS(kdlts_softmax(&ctx.exec, 1, 6, x.data(), nullptr), KDLTS_ERR_INVALID_ARGUMENT,
               "softmax: y is NULL");
  CHECK_STATUS(kdlts_softmax(&ctx.exec, 1, 5, x.data(), x.data() + 1), KDLTS_ERR_INVALID_ARGUMENT,
               "softmax: y overlaps x");
  CHECK_OK(kdlts_softmax(&ctx.exec, 3, 0, nullptr, nullptr));
}

// ---- tile / transpose ---------------------------------------------------------------------------

F ref_tile(const Shape& in, const Shape& reps, const F& x) {
  Shape out(in.size());
  for (size_t d = 0; d < in.size(); ++d) out[d] = in[d] * reps[d];
  F y(count(out));
  for (int64_t i = 0; i < int64_t(y.size()); ++i) {
    int64_t rest = i, src = 0, stride = 1;
    for (int d = int(in.size()) - 1; d >= 0; --d) {
      src += (rest % out[d]) % in[d] * stride;
      rest /= out[d], stride *= in[d];
    }
    y[i] = x[src];
  }
  return y;
}

F ref_transpose(const Shape& in, const std::vector<int32_t>& perm, const F& x) {
  const int r = int(in.size());
  Shape stride(r, 1), out(r);
  for (int d = r - 2; d >= 0; --d) stride[d] = stride[d + 1] * in[d + 1];
  for (int d = 0; d < r; ++d) out[d] = in[perm[d]];
  F y(x.size());
  for (int64_t i = 0; i < int64_t(y.size()); ++i) {
    int64_t rest = i, src = 0;
    for (int d = r - 1; d >= 0; --d) src += rest % out[d] * stride[perm[d]], rest /= out[d];
    y[i] = x[src];
  }
  return y;
}

void check_tile(Context& ctx, const Shape& in, const Shape& reps, bool all_threads) {
  const F x = values(ctx, count(in), false, true), want = ref_tile(in, reps, x);
  for (int t : all_threads ? std::vector<int>{1, 2, 3} : std::vector<int>{0}) {
    const kdlts_exec e = threads(t);
    F y(want.size(), 7.0f);
    CHECK_OK(kdlts_tile(&e, int32_t(in.size()), in.data(), reps.data(), x.data(), y.data()));
    expect_close(ctx, y, want, -1,
                 "tile rank " + std::to_string(in.size()) + " threads " + std::to_string(t));
  }
}

void check_transpose(Context& ctx, const Shape& in, const std::vector<int32_t>& perm,
                     bool all_threads) {
  const F x = values(ctx, count(in), false, true), want = ref_transpose(in, perm, x);
  std::string what = "transpose [";
  for (size_t d = 0; d < in.size(); ++d)
    what += std::to_string(in[d]) + ":" + std::to_string(perm[d]) + " ";
  for (int t : all_threads ? std::vector<int>{1, 2, 3} : std::vector<int>{0}) {
    const kdlts_exec e = threads(t);
    F y(want.size(), 7.0f);
    CHECK_OK(kdlts_transpose(&e, int32_t(in.size()), in.data(), perm.data(), x.data(), y.data()));
    expect_close(ctx, y, want, -1, what + "] threads " + std::to_string(t));
  }
}

KDLTS_TEST(tile, shapes) {
  check_tile(ctx, {}, {}, false);
  check_tile(ctx, {1}, {5}, false);
  check_tile(ctx, {3}, {4}, false);
  check_tile(ctx, {2, 3}, {2, 1}, false);
  check_tile(ctx, {2, 1, 3}, {1, 4, 2}, false);
  check_tile(ctx, {2, 3}, {0, 2}, false);
  std::uniform_int_distribution<int> dim(1, 4), rep(1, 3);
  for (int trial = 0; trial < 80; ++trial) {
    Shape in(trial % 7), reps(trial % 7);
    for (size_t d = 0; d < in.size(); ++d) in[d] = dim(ctx.rng), reps[d] = rep(ctx.rng);
    check_tile(ctx, in, reps, false);
  }
  check_tile(ctx, {64, 1, 32, 16}, {1, 8, 1, 1}, true);
  check_tile(ctx, {1, 100000}, {3, 2}, true);
  check_tile(ctx, {50000, 1}, {1, 3}, true);
}

KDLTS_TEST(transpose, shapes) {
  check_transpose(ctx, {}, {}, false);
  check_transpose(ctx, {5}, {0}, false);
  check_transpose(ctx, {3, 4}, {1, 0}, false);
  check_transpose(ctx, {2, 1, 3}, {2, 1, 0}, false);
  check_transpose(ctx, {2, 3, 0}, {1, 2, 0}, false);
  std::uniform_int_distribution<int> dim(1, 5);
  for (int trial = 0; trial < 120; ++trial) {
    const int r = trial % 7;
    Shape in(r);
    std::vector<int32_t> perm(r);
    for (int d = 0; d < r; ++d) in[d] = dim(ctx.rng), perm[d] = d;
    std::shuffle(perm.begin(), perm.end(), ctx.rng);
    check_transpose(ctx, in, perm, false);
  }
  check_transpose(ctx, {8, 32, 32, 16}, {0, 3, 1, 2}, true);  // NHWC -> NCHW
  check_transpose(ctx, {8, 16, 32, 32}, {0, 2, 3, 1}, true);  // NCHW -> NHWC
  check_transpose(ctx, {513, 257}, {1, 0}, true);
  check_transpose(ctx, {4, 100, 3, 50}, {2, 1, 0, 3}, true);  // innermost stays: runs
}

KDLTS_TEST(transpose, argument_errors) {
  const Shape in{2, 3, 4};
  const std::vector<int32_t> dup{0, 2, 0}, out_of_range{0, 3, 1};
  F x(24), y(24);
  CHECK_STATUS(kdlts_transpose(&ctx.exec, 3, in.data(), dup.data(), x.data(), y.data()),
               KDLTS_ERR_INVALID_ARGUMENT,
               "transpose: perm is not a permutation: perm[2] = 0 repeats perm[0]");
  CHECK_STATUS(kdlts_transpose(&ctx.exec, 3, in.data(), out_of_range.data(), x.data(), y.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "transpose: perm[1] = 3 is outside [0, 3)");
  CHECK_STATUS(kdlts_transpose(&ctx.exec, 9, in.data(), dup.data(), x.data(), y.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "transpose: rank must be in [0, 8], got 9");
  CHECK_STATUS(kdlts_transpose(&ctx.exec, 3, in.data(), nullptr, x.data(), y.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "transpose: perm is NULL");
  const std::vector<int32_t> perm{2, 0, 1};
  CHECK_STATUS(kdlts_transpose(&ctx.exec, 3, in.data(), perm.data(), x.data(), x.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "transpose: y overlaps x");
  CHECK_OK(kdlts_transpose(&ctx.exec, 3, Shape{2, 0, 4}.data(), perm.data(), nullptr, nullptr));
}

KDLTS_TEST(tile, argument_errors) {
  const Shape in{2, 3, 4}, reps{1, -2, 1}, ok{1, 2, 1};
  F x(24), y(48);
  CHECK_STATUS(kdlts_tile(&ctx.exec, 3, in.data(), reps.data(), x.data(), y.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "tile: reps[1] must be >= 0, got -2");
  CHECK_STATUS(kdlts_tile(&ctx.exec, 3, nullptr, ok.data(), x.data(), y.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "tile: in_shape is NULL");
  CHECK_STATUS(kdlts_tile(&ctx.exec, -1, in.data(), ok.data(), x.data(), y.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "tile: rank must be in [0, 8], got -1");
  CHECK_STATUS(kdlts_tile(&ctx.exec, 3, in.data(), ok.data(), x.data(), x.data() + 8),
               KDLTS_ERR_INVALID_ARGUMENT, "tile: y overlaps x");
  const kdlts_exec cuda{KDLTS_BACKEND_CUDA, 0};
  CHECK_STATUS(kdlts_tile(&cuda, 3, in.data(), ok.data(), x.data(), y.data()), KDLTS_ERR_BACKEND,
               "tile: runs on the CPU only");
  const Shape zero{1, 0, 1};
  CHECK_OK(kdlts_tile(&ctx.exec, 3, in.data(), zero.data(), nullptr, nullptr));
}

}  // namespace
