// kdlts_gram_forward / kdlts_gram_backward through the public C API (so the same cases check
// CUDA on a GPU machine) against ref::gram_forward / ref::gram_backward on fresh random inputs.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "harness.hpp"
#include "reference.hpp"

namespace {

using kdlts_test::Context;

constexpr double kUnit = 1.0 / (1 << 24);  // u: float32 unit roundoff

struct Problem {
  int64_t batch = 0;
  std::vector<int64_t> dims;
  int32_t normalize = 1;
  float eps = 1e-12f;
  std::vector<std::vector<float>> features;  // one B x D_l block each

  kdlts_gram_params params() const {
    return {static_cast<int64_t>(dims.size()), batch, dims.data(), normalize, eps};
  }
  std::vector<const float*> pointers() const {
    std::vector<const float*> p;
    for (const auto& f : features) p.push_back(f.data());
    return p;
  }
};

Problem make_problem(Context& ctx, int64_t batch, std::vector<int64_t> dims, int32_t normalize) {
  Problem p;
  p.batch = batch;
  p.dims = std::move(dims);
  p.normalize = normalize;
  for (int64_t d : p.dims) p.features.push_back(kdlts_test::normal(ctx, batch * d));
  return p;
}

std::string where(const Problem& p, size_t l) {
  return "B=" + std::to_string(p.batch) + " D=" + std::to_string(p.dims[l]) + " block " +
         std::to_string(l) + " normalize=" + std::to_string(p.normalize);
}

std::vector<float> forward(Context& ctx, const Problem& p) {
  std::vector<float> grams(p.dims.size() * p.batch * p.batch, std::nanf(""));
  const auto params = p.params();
  const auto f = p.pointers();
  CHECK_OK(kdlts_gram_forward(&ctx.exec, &params, f.data(), grams.data()));
  return grams;
}

std::vector<std::vector<float>> backward(Context& ctx, const Problem& p,
                                         const std::vector<float>& dg) {
  std::vector<std::vector<float>> df;
  std::vector<float*> out;
  for (int64_t d : p.dims) df.emplace_back(p.batch * d, std::nanf(""));
  for (auto& v : df) out.push_back(v.data());
  const auto params = p.params();
  const auto f = p.pointers();
  CHECK_OK(kdlts_gram_backward(&ctx.exec, &params, f.data(), dg.data(), out.data()));
  return df;
}

// Forward tolerance. G_ij is a float32 dot product over D terms; its rounding error is
// ~u sqrt(D) |f_i| |f_j| (random-walk accumulation, Higham & Mary), plus a few u from the
// normalisation. We allow 4 u sqrt(D) + 1e-6 relative to the Cauchy-Schwarz scale
// sqrt(G_ii G_jj) of the exact result (1 for normalised rows): 1e-6 for small D, ~7e-5 at
// D = 65536. A wrong term or a mis-scaled row is off by O(1 / D) or more of that scale.
void check_forward(Context& ctx, const Problem& p, const std::vector<float>& grams) {
  const int64_t bb = p.batch * p.batch;
  for (size_t l = 0; l < p.dims.size(); ++l) {
    const auto ref =
        ref::gram_forward(p.features[l].data(), p.batch, p.dims[l], p.normalize, p.eps);
    const double rel = 4.0 * kUnit * std::sqrt(double(p.dims[l])) + 1e-6;
    double worst = 0.0;
    int64_t worst_at = 0;
    for (int64_t i = 0; i < p.batch; ++i)
      for (int64_t j = 0; j < p.batch; ++j) {
        const int64_t e = i * p.batch + j;
        const double scale = std::sqrt(ref[i * p.batch + i] * ref[j * p.batch + j]);
        const double ratio = std::fabs(grams[l * bb + e] - ref[e]) / (rel * scale + 1e-30);
        if (!(ratio <= worst)) {
          worst = ratio;
          worst_at = e;
        }
      }
    CHECK(worst <= 1.0) << where(p, l) << ": error/tolerance " << worst << " at ("
                        << worst_at / p.batch << ", " << worst_at % p.batch << "): got "
                        << grams[l * bb + worst_at] << ", expected " << ref[worst_at];
  }
}

// The size of the terms that make up row i of dF = M F before they cancel (the projection removes
// the radial part, so dF_i can be far smaller than its terms, even exactly zero):
//   (max_d sum_j |S_ij| |f^_jd| + sum_j |S_ij G_ij| max_d |f^_id|) / r_i,
// with r, f^ and G as in ref::gram_backward (clamped rows r = eps, unnormalised r = 1).
std::vector<double> gradient_scale(const Problem& p, size_t l, const float* dg) {
  const int64_t batch = p.batch, dim = p.dims[l];
  const float* f = p.features[l].data();
  std::vector<double> r(batch, 1.0), fh(batch * dim);
  for (int64_t i = 0; i < batch; ++i) {
    double s = 0.0;
    for (int64_t d = 0; d < dim; ++d) s += double(f[i * dim + d]) * f[i * dim + d];
    if (p.normalize) r[i] = std::max(std::sqrt(s), double(p.eps));
    for (int64_t d = 0; d < dim; ++d) fh[i * dim + d] = f[i * dim + d] / r[i];
  }
  std::vector<double> scale(batch, 0.0), terms(dim);
  for (int64_t i = 0; i < batch; ++i) {
    std::fill(terms.begin(), terms.end(), 0.0);
    double c = 0.0, fh_max = 0.0;
    for (int64_t j = 0; j < batch; ++j) {
      const double sij = std::fabs(double(dg[i * batch + j]) + dg[j * batch + i]);
      double g = 0.0;
      for (int64_t d = 0; d < dim; ++d) {
        terms[d] += sij * std::fabs(fh[j * dim + d]);
        g += fh[i * dim + d] * fh[j * dim + d];
      }
      c += sij * std::fabs(g);
    }
    for (int64_t d = 0; d < dim; ++d) fh_max = std::max(fh_max, std::fabs(fh[i * dim + d]));
    scale[i] = (*std::max_element(terms.begin(), terms.end()) + c * fh_max) / r[i];
  }
  return scale;
}

// Backward tolerance, per row i relative to gradient_scale (rows differ in scale by up to 1/eps
// for clamped rows). dF = M F recomputes G (error ~u sqrt(D), see above), which enters through
// c_i = sum_j S_ij G_ij, and sums B terms in float (~u sqrt(B)). We allow
// 8 u (sqrt(D) + sqrt(B)) + 1e-6: 1e-6..1e-5 for the sizes here, ~1.3e-4 at D = 65536.
void check_backward(Context& ctx, const Problem& p, const std::vector<float>& dg,
                    const std::vector<std::vector<float>>& df) {
  const int64_t bb = p.batch * p.batch;
  for (size_t l = 0; l < p.dims.size(); ++l) {
    const int64_t dim = p.dims[l];
    if (dim == 0) continue;
    const auto ref = ref::gram_backward(p.features[l].data(), dg.data() + l * bb, p.batch, dim,
                                        p.normalize, p.eps);
    const auto scale = gradient_scale(p, l, dg.data() + l * bb);
    const double rel = 8.0 * kUnit * (std::sqrt(double(dim)) + std::sqrt(double(p.batch))) + 1e-6;
    double worst = 0.0;
    int64_t worst_at = 0;
    for (int64_t e = 0; e < p.batch * dim; ++e) {
      const double ratio = std::fabs(df[l][e] - ref[e]) / (rel * scale[e / dim] + 1e-30);
      if (!(ratio <= worst)) {
        worst = ratio;
        worst_at = e;
      }
    }
    CHECK(worst <= 1.0) << where(p, l) << ": dF error/tolerance " << worst << " at row "
                        << worst_at / dim << ", column " << worst_at % dim << ": got "
                        << df[l][worst_at] << ", expected " << ref[worst_at];
  }
}

void check_both(Context& ctx, const Problem& p) {
  check_forward(ctx, p, forward(ctx, p));
  const auto dg = kdlts_test::uniform(ctx, int64_t(p.dims.size()) * p.batch * p.batch);
  check_backward(ctx, p, dg, backward(ctx, p, dg));
}

// Expects `call` on a problem with one poisoned value to fail naming it.
void expect_non_finite(Context& ctx, kdlts_status status, const std::string& fragment) {
  CHECK(status == KDLTS_ERR_NON_FINITE) << "got " << kdlts_status_name(status) << " ("
                                        << kdlts_last_error() << "), expected non-finite input";
  CHECK(std::string(kdlts_last_error()).find(fragment) != std::string::npos)
      << "message '" << kdlts_last_error() << "' does not mention '" << fragment << "'";
}

}  // namespace

KDLTS_TEST(gram, normalized_and_raw_small) {
  for (int32_t normalize : {1, 0})
    for (int64_t batch : {1, 2, 7, 33})
      check_both(ctx, make_problem(ctx, batch, {1, 5, 64, 300}, normalize));
}

KDLTS_TEST(gram, batch_128) {
  for (int32_t normalize : {1, 0})
    check_both(ctx, make_problem(ctx, 128, {3, 1000, 4096}, normalize));
}

KDLTS_TEST(gram, long_features) {
  // D = 65536 (the GEMM's depth-split path) for the forward at B = 128, the backward at B = 16.
  const Problem big = make_problem(ctx, 128, {65536}, 1);
  check_forward(ctx, big, forward(ctx, big));
  check_both(ctx, make_problem(ctx, 16, {65536}, 1));
  check_both(ctx, make_problem(ctx, 16, {40000}, 0));
}

KDLTS_TEST(gram, many_blocks_of_different_dims) {
  std::vector<int64_t> dims;
  std::uniform_int_distribution<int64_t> pick(0, 2500);
  for (int l = 0; l < 20; ++l)  // D from 0 (some blocks) over 1..26 (every 5th) to 2500
    dims.push_back(l % 7 == 3 ? 0 : (l % 5 == 0 ? pick(ctx.rng) / 100 + 1 : pick(ctx.rng)));
  check_both(ctx, make_problem(ctx, 24, dims, 1));
  check_both(ctx, make_problem(ctx, 24, dims, 0));
}

KDLTS_TEST(gram, zero_dim_blocks) {
  Problem p = make_problem(ctx, 5, {0, 3, 0}, 1);
  const auto g = forward(ctx, p);
  for (int64_t e = 0; e < 25; ++e)
    CHECK(g[e] == 0.0f && g[50 + e] == 0.0f) << "D = 0 must give G = 0";
  check_both(ctx, p);
  // A block of D = 0 may pass NULL features and dfeatures.
  const auto params = p.params();
  std::vector<const float*> f = {nullptr, p.features[1].data(), nullptr};
  std::vector<float> dg(75, 0.5f), df1(15), grams(75);
  std::vector<float*> df = {nullptr, df1.data(), nullptr};
  CHECK_OK(kdlts_gram_forward(&ctx.exec, &params, f.data(), grams.data()));
  CHECK_OK(kdlts_gram_backward(&ctx.exec, &params, f.data(), dg.data(), df.data()));
}

KDLTS_TEST(gram, clamped_rows) {
  // Rows with |f_i| <= eps: all-zero rows and tiny rows (|f_i| ~ 1e-14 < eps = 1e-12) have
  // r_i = eps and no projection term; their gradients are ~1/eps larger than the others'.
  for (int32_t normalize : {1, 0}) {
    Problem p = make_problem(ctx, 9, {4, 50}, normalize);
    for (auto& f : p.features) {
      const int64_t dim = int64_t(f.size()) / p.batch;
      for (int64_t d = 0; d < dim; ++d) {
        f[2 * dim + d] = 0.0f;
        f[5 * dim + d] *= 1e-15f;
      }
    }
    check_both(ctx, p);
  }
}

KDLTS_TEST(gram, backward_non_symmetric_dgrams) {
  // dG strictly upper triangular: S = dG + dG^T differs from 2 dG everywhere.
  Problem p = make_problem(ctx, 12, {20, 7}, 1);
  std::vector<float> dg = kdlts_test::uniform(ctx, 2 * 144);
  for (int64_t l = 0; l < 2; ++l)
    for (int64_t i = 0; i < 12; ++i)
      for (int64_t j = 0; j <= i; ++j) dg[l * 144 + i * 12 + j] = 0.0f;
  check_backward(ctx, p, dg, backward(ctx, p, dg));
}

KDLTS_TEST(gram, backward_matches_finite_differences) {
  // L(F) = sum_ij W_ij G_ij, so dL/dG = W. Central differences of the float32 forward with
  // h = 1e-2 on O(1) features: truncation ~h^2 |L'''| ~ 1e-4, rounding ~u |L| / h ~ 1e-5 (the
  // loss is summed in double); tolerance 2e-3 (1 + |dL/dF|).
  for (int32_t normalize : {1, 0}) {
    Problem p = make_problem(ctx, 3, {4}, normalize);
    const auto w = kdlts_test::uniform(ctx, 9);
    const auto df = backward(ctx, p, w);
    auto loss = [&] {
      const auto g = forward(ctx, p);
      double s = 0.0;
      for (int e = 0; e < 9; ++e) s += double(w[e]) * g[e];
      return s;
    };
    for (int64_t e = 0; e < 12; ++e) {
      const float x = p.features[0][e];
      p.features[0][e] = x + 1e-2f;
      const float hi = p.features[0][e];
      const double l_hi = loss();
      p.features[0][e] = x - 1e-2f;
      const float lo = p.features[0][e];
      const double l_lo = loss();
      p.features[0][e] = x;
      const double numeric = (l_hi - l_lo) / (double(hi) - double(lo));
      CHECK(std::fabs(numeric - df[0][e]) <= 2e-3 * (1.0 + std::fabs(numeric)))
          << "normalize=" << normalize << " element " << e << ": backward " << df[0][e]
          << ", finite differences " << numeric;
    }
  }
}

KDLTS_TEST(gram, non_finite_features) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  for (int32_t normalize : {1, 0}) {
    Problem p = make_problem(ctx, 6, {8, 10, 3}, normalize);
    p.features[1][3 * 10 + 5] = nan;  // block 1, row 3, column 5
    p.features[1][3 * 10 + 7] = inf;  // later in the same row: the first one is named
    p.features[1][4 * 10 + 0] = nan;  // a later row
    const auto params = p.params();
    const auto f = p.pointers();
    std::vector<float> grams(3 * 36), dg(3 * 36, 0.25f);
    std::vector<std::vector<float>> df = {std::vector<float>(48), std::vector<float>(60),
                                          std::vector<float>(18)};
    std::vector<float*> out = {df[0].data(), df[1].data(), df[2].data()};
    expect_non_finite(ctx, kdlts_gram_forward(&ctx.exec, &params, f.data(), grams.data()),
                      "features[1] row 3, column 5 is NaN");
    expect_non_finite(ctx, kdlts_gram_backward(&ctx.exec, &params, f.data(), dg.data(), out.data()),
                      "features[1] row 3, column 5 is NaN");

    p.features[1][3 * 10 + 5] = 1.0f;  // now the Inf at column 7 is first
    const auto f2 = p.pointers();
    expect_non_finite(ctx, kdlts_gram_forward(&ctx.exec, &params, f2.data(), grams.data()),
                      "features[1] row 3, column 7 is");
    CHECK(std::string(kdlts_last_error()).find("Inf") != std::string::npos) << kdlts_last_error();
  }
}

KDLTS_TEST(gram, overflowing_norm_is_reported) {
  // Finite features whose squared norm exceeds FLT_MAX cannot give a finite float32 G.
  Problem p = make_problem(ctx, 4, {16}, 1);
  for (int64_t d = 0; d < 16; ++d) p.features[0][2 * 16 + d] = 1e20f;
  const auto params = p.params();
  const auto f = p.pointers();
  std::vector<float> grams(16);
  expect_non_finite(ctx, kdlts_gram_forward(&ctx.exec, &params, f.data(), grams.data()),
                    "features[0] row 2");
}

KDLTS_TEST(gram, non_finite_dgrams) {
  Problem p = make_problem(ctx, 5, {4, 6, 2}, 1);
  const auto params = p.params();
  const auto f = p.pointers();
  std::vector<std::vector<float>> df = {std::vector<float>(20), std::vector<float>(30),
                                        std::vector<float>(10)};
  std::vector<float*> out = {df[0].data(), df[1].data(), df[2].data()};
  std::vector<float> dg = kdlts_test::uniform(ctx, 3 * 25);
  dg[2 * 25 + 1 * 5 + 4] = std::numeric_limits<float>::quiet_NaN();  // block 2, row 1, column 4
  expect_non_finite(ctx, kdlts_gram_backward(&ctx.exec, &params, f.data(), dg.data(), out.data()),
                    "dgrams[2] row 1, column 4 is NaN");
  dg[2 * 25 + 1 * 5 + 4] = 0.0f;
  dg[0 * 25 + 3 * 5 + 0] = -std::numeric_limits<float>::infinity();
  expect_non_finite(ctx, kdlts_gram_backward(&ctx.exec, &params, f.data(), dg.data(), out.data()),
                    "dgrams[0] row 3, column 0 is");
}

KDLTS_TEST(gram, deterministic) {
  const Problem p = make_problem(ctx, 40, {3000, 17}, 1);
  const auto dg = kdlts_test::uniform(ctx, 2 * 1600);
  const auto g1 = forward(ctx, p), g2 = forward(ctx, p);
  CHECK(std::memcmp(g1.data(), g2.data(), g1.size() * sizeof(float)) == 0)
      << "forward differs between runs";
  const auto d1 = backward(ctx, p, dg), d2 = backward(ctx, p, dg);
  for (size_t l = 0; l < d1.size(); ++l)
    CHECK(std::memcmp(d1[l].data(), d2[l].data(), d1[l].size() * sizeof(float)) == 0)
        << "backward block " << l << " differs between runs";
}

KDLTS_TEST(gram, empty_problems) {
  const int64_t dims[] = {3};
  kdlts_gram_params params{0, 4, dims, 1, 1e-12f};
  CHECK_OK(kdlts_gram_forward(&ctx.exec, &params, nullptr, nullptr));
  CHECK_OK(kdlts_gram_backward(&ctx.exec, &params, nullptr, nullptr, nullptr));
  params = {1, 0, dims, 1, 1e-12f};
  CHECK_OK(kdlts_gram_forward(&ctx.exec, &params, nullptr, nullptr));
  CHECK_OK(kdlts_gram_backward(&ctx.exec, &params, nullptr, nullptr, nullptr));
}
