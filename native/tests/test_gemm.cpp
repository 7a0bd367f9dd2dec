// kdlts_sgemm (BLAS or built-in, whichever the build chose), the built-in engine directly, and
// kdlts_copy_f32, against plain double-precision loops.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "cpu/gemm.hpp"
#include "harness.hpp"

namespace {

using kdlts_test::Context;

// kdlts may prefer its built-in engine over a linked OpenBLAS that picked a slow kernel
// (gemm.cpp). The tests check the linked BLAS through kdlts_sgemm anyway, and the built-in engine
// directly: ask for BLAS before the first GEMM reads KDLTS_GEMM (a value set by the user wins).
#ifndef _WIN32
const bool prefer_blas = setenv("KDLTS_GEMM", "blas", /*overwrite=*/0) == 0;
#endif

struct GemmCase {
  bool trans_a = false, trans_b = false;
  int64_t m = 1, n = 1, k = 1;
  float alpha = 1.0f, beta = 0.0f;
  int64_t pad = 0;         // extra row stride of A, B and C (strides larger than the width)
  bool nan_in_c = false;   // C starts as NaN (only meaningful with beta == 0)
  bool syrk = false;       // B is A (with trans_b and m == n): C = A A^T
};

std::string describe(const GemmCase& g) {
  return std::string(g.trans_a ? "T" : "N") + (g.trans_b ? "T" : "N") + " m=" +
         std::to_string(g.m) + " n=" + std::to_string(g.n) + " k=" + std::to_string(g.k) +
         " alpha=" + std::to_string(g.alpha) + " beta=" + std::to_string(g.beta) +
         " pad=" + std::to_string(g.pad);
}

constexpr float kSentinel = 777.0f;  // fills the stride padding of C, which must stay untouched

struct GemmData {
  int64_t lda, ldb, ldc;
  std::vector<float> a, b, c0;
  std::vector<double> expected, tolerance;
};

GemmData make_data(Context& ctx, const GemmCase& g) {
  GemmData d;
  const int64_t a_rows = g.trans_a ? g.k : g.m, a_cols = g.trans_a ? g.m : g.k;
  const int64_t b_rows = g.trans_b ? g.n : g.k, b_cols = g.trans_b ? g.k : g.n;
  d.lda = a_cols + g.pad;
  d.ldb = b_cols + g.pad;
  d.ldc = g.n + g.pad;
  d.a = kdlts_test::uniform(ctx, a_rows * d.lda);
  d.b = g.syrk ? d.a : kdlts_test::uniform(ctx, b_rows * d.ldb);
  d.c0 = kdlts_test::uniform(ctx, g.m * d.ldc);
  for (int64_t i = 0; i < g.m; ++i)
    for (int64_t j = 0; j < d.ldc; ++j)
      if (j >= g.n) d.c0[i * d.ldc + j] = kSentinel;
      else if (g.nan_in_c) d.c0[i * d.ldc + j] = std::numeric_limits<float>::quiet_NaN();

  // op(A) as m x k and op(B)^T as n x k, so the reference's inner loop is contiguous.
  std::vector<double> opa(g.m * g.k), opbt(g.n * g.k);
  for (int64_t i = 0; i < g.m; ++i)
    for (int64_t p = 0; p < g.k; ++p)
      opa[i * g.k + p] = g.trans_a ? d.a[p * d.lda + i] : d.a[i * d.lda + p];
  for (int64_t j = 0; j < g.n; ++j)
    for (int64_t p = 0; p < g.k; ++p)
      opbt[j * g.k + p] = g.trans_b ? d.b[j * d.ldb + p] : d.b[p * d.ldb + j];

  // Tolerance per element. Float accumulation of k products: the rounding errors of the partial
  // sums add up like a random walk, ~u sqrt(k/2) ||t||_2 for terms t_p = a_ip b_pj (u = 2^-24).
  // We allow 6 u sqrt(k) ||t||_2 (the worst element seen over all cases is ~0.4 of it). A single
  // dropped or doubled product (~||t||_2 / sqrt(k)) exceeds it for every k used here, 65536
  // included (checked by mutation). Plus a few u of the result and of beta * C.
  const double u = std::ldexp(1.0, -24);
  d.expected.assign(g.m * g.n, 0.0);
  d.tolerance.assign(g.m * g.n, 0.0);
  for (int64_t i = 0; i < g.m; ++i)
    for (int64_t j = 0; j < g.n; ++j) {
      double sum = 0.0, squares = 0.0;
      const double* x = opa.data() + i * g.k;
      const double* y = opbt.data() + j * g.k;
      for (int64_t p = 0; p < g.k; ++p) {
        sum += x[p] * y[p];
        squares += (x[p] * y[p]) * (x[p] * y[p]);
      }
      const double bc = g.beta == 0.0f ? 0.0 : double(g.beta) * d.c0[i * d.ldc + j];
      const double value = double(g.alpha) * sum + bc;
      d.expected[i * g.n + j] = value;
      d.tolerance[i * g.n + j] = u * (6.0 * std::sqrt(double(g.k) * squares) * std::fabs(g.alpha) +
                                      4.0 * (std::fabs(value) + std::fabs(bc))) + 1e-30;
    }
  return d;
}

// Checks one result against the reference, including the untouched stride padding of C.
// upper_only: only C's upper triangle (j >= i) is specified (syrk_upper_builtin).
void check_result(Context& ctx, const GemmCase& g, const GemmData& d, const std::vector<float>& c,
                  const std::string& engine, bool upper_only = false) {
  double worst = 0.0;
  int64_t worst_at = 0;
  bool padding_ok = true;
  for (int64_t i = 0; i < g.m; ++i)
    for (int64_t j = 0; j < d.ldc; ++j) {
      const float got = c[i * d.ldc + j];
      if (j >= g.n) {
        padding_ok = padding_ok && got == kSentinel;
        continue;
      }
      if (upper_only && j < i) continue;
      const double ratio = std::fabs(got - d.expected[i * g.n + j]) / d.tolerance[i * g.n + j];
      if (!(ratio <= worst)) {  // NaN counts as worst
        worst = ratio;
        worst_at = i * g.n + j;
      }
    }
  CHECK(worst <= 1.0) << engine << " " << describe(g) << ": error/tolerance " << worst
                      << " at row " << worst_at / g.n << " col " << worst_at % g.n << " (got "
                      << c[(worst_at / g.n) * d.ldc + worst_at % g.n] << ", expected "
                      << d.expected[worst_at] << ")";
  CHECK(padding_ok) << engine << " " << describe(g) << ": wrote into C's stride padding";
}

// Runs a case through the C API and through the built-in engine.
void run_case(Context& ctx, const GemmCase& g) {
  const GemmData d = make_data(ctx, g);
  std::vector<float> c = d.c0;
  CHECK_OK(kdlts_sgemm(&ctx.exec, g.trans_a, g.trans_b, g.m, g.n, g.k, g.alpha, d.a.data(), d.lda,
                       d.b.data(), d.ldb, g.beta, c.data(), d.ldc));
  check_result(ctx, g, d, c, std::string("kdlts_sgemm[") + kdlts_gemm_engine() + "]");
  c = d.c0;
  kdlts::cpu::sgemm_builtin(2, g.trans_a, g.trans_b, g.m, g.n, g.k, g.alpha, d.a.data(), d.lda,
                            d.b.data(), d.ldb, g.beta, c.data(), d.ldc);
  check_result(ctx, g, d, c, "builtin");
}

}  // namespace

KDLTS_TEST(gemm, engine_name) {
  const std::string engine = kdlts_gemm_engine();
  CHECK(engine == "openblas" || engine == "cblas" || engine == "builtin") << engine;
}

KDLTS_TEST(gemm, all_transposes_odd_and_prime_sizes) {
  // Sizes around the micro-tile (12 x 32 with AVX-512), the depth block (256) and C tiles.
  const int64_t sizes[] = {1,  2,  3,  5,  7,   11,  12,  13,  16,  17,  31,
                           32, 33, 47, 97, 127, 144, 145, 211, 256, 257, 300};
  std::uniform_int_distribution<int> pick(0, int(std::size(sizes)) - 1);
  for (int t = 0; t < 4; ++t)
    for (int rep = 0; rep < 12; ++rep) {
      GemmCase g;
      g.trans_a = t & 1;
      g.trans_b = t & 2;
      g.m = sizes[pick(ctx.rng)];
      g.n = sizes[pick(ctx.rng)];
      g.k = sizes[pick(ctx.rng)];
      g.alpha = rep % 3 == 0 ? 1.0f : -0.75f;
      g.beta = rep % 2 == 0 ? 0.0f : 1.5f;
      g.pad = rep % 4 == 1 ? 5 : 0;
      run_case(ctx, g);
    }
}

KDLTS_TEST(gemm, strides_alpha_beta) {
  for (int t = 0; t < 4; ++t) {
    const float betas[] = {0.0f, 1.0f, -2.0f};
    for (float beta : betas) {
      GemmCase g;
      g.trans_a = t & 1;
      g.trans_b = t & 2;
      g.m = 37;
      g.n = 70;
      g.k = 53;
      g.alpha = 2.5f;
      g.beta = beta;
      g.pad = 19;
      run_case(ctx, g);
    }
  }
}

KDLTS_TEST(gemm, beta_zero_overwrites_nan) {
  for (int t = 0; t < 4; ++t) {
    GemmCase g;
    g.trans_a = t & 1;
    g.trans_b = t & 2;
    g.m = 29;
    g.n = 41;
    g.k = 300;  // two depth blocks: the second accumulates onto what the first wrote
    g.pad = 3;
    g.nan_in_c = true;
    run_case(ctx, g);
  }
}

KDLTS_TEST(gemm, long_depth_split) {
  // Few C tiles and a long depth take the depth-split path (partial sums added in order).
  for (int t = 0; t < 4; ++t) {
    GemmCase g;
    g.trans_a = t & 1;
    g.trans_b = t & 2;
    g.m = 13;
    g.n = 37;
    g.k = 5003;
    g.alpha = 0.5f;
    g.beta = t % 2 ? 0.0f : -1.0f;
    g.pad = 2;
    g.nan_in_c = g.beta == 0.0f;
    run_case(ctx, g);
  }
}

KDLTS_TEST(gemm, large_square) {
  for (int t = 0; t < 4; ++t) {
    GemmCase g;
    g.trans_a = t & 1;
    g.trans_b = t & 2;
    g.m = g.n = g.k = 512;
    g.beta = 0.5f;
    run_case(ctx, g);
  }
}

KDLTS_TEST(gemm, gram_shape_128x128x65536) {
  GemmCase g;  // F F^T: the shape gram_forward runs
  g.trans_b = true;
  g.m = g.n = 128;
  g.k = 65536;
  run_case(ctx, g);
}

KDLTS_TEST(gemm, syrk_for_gram) {
  // kdlts::cpu::syrk (BLAS ssyrk or the built-in engine, mirrored) and the built-in upper-triangle
  // pass; sizes around the micro-tiles and C tiles, depths on both sides of the depth split.
  const int64_t shapes[][2] = {{1, 1}, {13, 257}, {128, 5000}, {300, 64}, {577, 40}, {20, 0}};
  for (const auto& shape : shapes) {
    GemmCase g;
    g.trans_b = g.syrk = g.nan_in_c = true;
    g.m = g.n = shape[0];
    g.k = shape[1];
    g.pad = 3;
    const GemmData d = make_data(ctx, g);
    std::vector<float> c;
    for (int threads : {1, 2}) {  // BLAS takes a different route for 1 thread (gemm.cpp)
      c = d.c0;
      kdlts::cpu::syrk(threads, g.n, g.k, d.a.data(), d.lda, c.data(), d.ldc);
      check_result(ctx, g, d, c, std::string("syrk[") + kdlts_gemm_engine() + "]");
      bool symmetric = true;
      for (int64_t i = 0; i < g.n; ++i)
        for (int64_t j = 0; j < i; ++j)
          symmetric = symmetric && c[i * d.ldc + j] == c[j * d.ldc + i];
      CHECK(symmetric) << describe(g) << ": syrk result is not exactly symmetric";
    }
    c = d.c0;
    kdlts::cpu::syrk_upper_builtin(2, g.n, g.k, d.a.data(), d.lda, c.data(), d.ldc);
    check_result(ctx, g, d, c, "syrk_upper_builtin", /*upper_only=*/true);
  }
}

KDLTS_TEST(gemm, k_zero_scales_c) {
  std::vector<float> c = {1.0f, std::nanf(""), 3.0f, 4.0f};
  CHECK_OK(kdlts_sgemm(&ctx.exec, 0, 0, 2, 2, 0, 1.0f, nullptr, 1, nullptr, 2, 0.0f, c.data(), 2));
  for (float x : c) CHECK(x == 0.0f) << "beta = 0 with k = 0 must write zeros, got " << x;
  c = {1.0f, 2.0f, 3.0f, 4.0f};
  CHECK_OK(kdlts_sgemm(&ctx.exec, 1, 1, 2, 2, 0, 1.0f, nullptr, 2, nullptr, 1, 0.5f, c.data(), 2));
  CHECK(c[0] == 0.5f && c[1] == 1.0f && c[2] == 1.5f && c[3] == 2.0f);
  c = {1.0f, std::nanf(""), 3.0f, 4.0f};
  kdlts::cpu::sgemm_builtin(2, false, false, 2, 2, 0, 1.0f, nullptr, 1, nullptr, 2, 0.0f, c.data(),
                            2);
  for (float x : c) CHECK(x == 0.0f) << "builtin: beta = 0 with k = 0 must write zeros, got " << x;
}

KDLTS_TEST(gemm, alpha_zero_ignores_a_and_b) {
  // BLAS semantics: alpha = 0 does not read A or B, so NaN there does not reach C.
  std::vector<float> a(6, std::nanf("")), b(6, std::nanf("")), c = {1.0f, 2.0f, 3.0f, 4.0f};
  CHECK_OK(
      kdlts_sgemm(&ctx.exec, 0, 0, 2, 2, 3, 0.0f, a.data(), 3, b.data(), 2, 2.0f, c.data(), 2));
  CHECK(c[0] == 2.0f && c[1] == 4.0f && c[2] == 6.0f && c[3] == 8.0f);
}

KDLTS_TEST(gemm, empty_m_or_n) {
  float c = 5.0f;
  CHECK_OK(kdlts_sgemm(&ctx.exec, 0, 0, 0, 3, 4, 1.0f, nullptr, 4, nullptr, 3, 0.0f, nullptr, 3));
  CHECK_OK(kdlts_sgemm(&ctx.exec, 0, 0, 3, 0, 4, 1.0f, nullptr, 4, nullptr, 1, 0.0f, nullptr, 1));
  kdlts::cpu::sgemm_builtin(2, false, false, 0, 1, 4, 1.0f, nullptr, 4, nullptr, 1, 0.0f, &c, 1);
  kdlts::cpu::sgemm_builtin(2, false, false, 1, 0, 4, 1.0f, nullptr, 4, nullptr, 1, 0.0f, &c, 1);
  CHECK(c == 5.0f);
}

KDLTS_TEST(gemm, builtin_independent_of_thread_count) {
  // Task shapes depend on (m, n, k) only, so every thread count gives the same bits.
  const int64_t shapes[][3] = {{300, 520, 700}, {100, 90, 9000}};
  for (const auto& s : shapes) {
    const int64_t m = s[0], n = s[1], k = s[2];
    const auto a = kdlts_test::uniform(ctx, m * k), b = kdlts_test::uniform(ctx, n * k);
    std::vector<float> first(m * n), other(m * n);
    kdlts::cpu::sgemm_builtin(1, false, true, m, n, k, 1.0f, a.data(), k, b.data(), k, 0.0f,
                              first.data(), n);
    for (int threads : {2, 3, 8}) {
      kdlts::cpu::sgemm_builtin(threads, false, true, m, n, k, 1.0f, a.data(), k, b.data(), k, 0.0f,
                                other.data(), n);
      CHECK(std::memcmp(first.data(), other.data(), first.size() * sizeof(float)) == 0)
          << "m=" << m << " n=" << n << " k=" << k << ": " << threads << " threads differ from 1";
    }
  }
}

KDLTS_TEST(gemm, copy_f32) {
  const int64_t chunk = int64_t{1} << 18;  // copy.cpp's task size
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{1000}, chunk - 1, chunk, chunk + 1,
                    3 * chunk + 7}) {
    const auto src = kdlts_test::uniform(ctx, n + 1);
    std::vector<float> dst(n + 1, kSentinel);
    CHECK_OK(kdlts_copy_f32(&ctx.exec, src.data(), dst.data(), n));
    CHECK(std::memcmp(src.data(), dst.data(), n * sizeof(float)) == 0) << "n=" << n;
    CHECK(dst[n] == kSentinel) << "n=" << n << ": wrote past the end";
  }
  CHECK_OK(kdlts_copy_f32(&ctx.exec, nullptr, nullptr, 0));
}
