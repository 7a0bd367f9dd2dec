// kdlts_nn.h: batch norm: inference, training forward/backward, fused ReLU. References, tolerances: nn_test_util.hpp.
#include "nn_test_util.hpp"

namespace {

using namespace nn_test;

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

}  // namespace
