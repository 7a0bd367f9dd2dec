// kdlts_nn.h: max/avg pooling and their gradients. References, tolerances: nn_test_util.hpp.
#include "nn_test_util.hpp"

namespace {

using namespace nn_test;

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

}  // namespace
