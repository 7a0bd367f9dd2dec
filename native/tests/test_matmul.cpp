// kdlts_matmul (tfjs BatchMatMul / _FusedMatMul) against plain double loops: every transpose
// combination, odd sizes, broadcast batches, bias and relu, the LeNet-300-100 shapes, k = 0,
// empty sizes, NaN propagation, bitwise-identical results for 1, 2 and 3 threads, and argument
// errors.
//
// Tolerance: each C element is a float32 sum of k products t_p plus the bias; we require
//     |got - exact| <= 16 u (sum_p |t_p| + |bias|)        (u = 2^-24)
// (the worst seen is ~4.6 u sum|t|; one dropped or doubled product, ~sum|t| / k, exceeds it for
// every k used here).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "harness.hpp"
#include "kdlts_nn.h"

namespace {

using kdlts_test::Context;

constexpr double kUnit = 1.0 / (1 << 24);
constexpr double kTolerance = 16.0;

std::string describe(const kdlts_matmul_params& p, bool bias) {
  auto s = [](int64_t v) { return std::to_string(v); };
  return "batch " + s(p.batch_a) + "/" + s(p.batch_b) + " m=" + s(p.m) + " n=" + s(p.n) +
         " k=" + s(p.k) + (p.trans_a ? " T" : " N") + (p.trans_b ? "T" : "N") +
         (bias ? " +bias" : "") + (p.activation ? " relu" : "");
}

// Returns kdlts_matmul's C (NaN-filled first) and checks it against the reference.
std::vector<float> run_case(Context& ctx, const kdlts_matmul_params& p, bool with_bias,
                            std::vector<float> a = {}, std::vector<float> b = {}) {
  const int64_t batch = p.batch_a == 1 ? p.batch_b : p.batch_a;
  if (a.empty()) a = kdlts_test::uniform(ctx, p.batch_a * p.m * p.k);
  if (b.empty()) b = kdlts_test::uniform(ctx, p.batch_b * p.k * p.n);
  const auto bias = kdlts_test::uniform(ctx, p.n);
  std::vector<float> c(batch * p.m * p.n, std::nanf(""));
  CHECK_OK(kdlts_matmul(&ctx.exec, &p, a.data(), b.data(), with_bias ? bias.data() : nullptr,
                        c.data()));
  double worst = 0.0;
  int64_t worst_at = 0;
  for (int64_t i = 0; i < batch; ++i) {
    const float* ai = a.data() + (p.batch_a == 1 ? 0 : i * p.m * p.k);
    const float* bi = b.data() + (p.batch_b == 1 ? 0 : i * p.k * p.n);
    for (int64_t r = 0; r < p.m; ++r)
      for (int64_t j = 0; j < p.n; ++j) {
        double sum = with_bias ? bias[j] : 0.0, magnitude = std::fabs(sum);
        for (int64_t q = 0; q < p.k; ++q) {
          const double t = double(p.trans_a ? ai[q * p.m + r] : ai[r * p.k + q]) *
                           (p.trans_b ? bi[j * p.k + q] : bi[q * p.n + j]);
          sum += t;
          magnitude += std::fabs(t);
        }
        if (p.activation == KDLTS_ACTIVATION_RELU && sum < 0.0) sum = 0.0;
        const int64_t at = (i * p.m + r) * p.n + j;
        if (std::isnan(sum) && std::isnan(c[at])) continue;
        const double ratio = std::fabs(c[at] - sum) / (kUnit * magnitude + 1e-37);
        if (!(ratio <= worst)) worst = ratio, worst_at = at;
      }
  }
  CHECK(worst <= kTolerance) << describe(p, with_bias) << ": error " << worst << " u sum|t| at "
                             << worst_at << " (got " << c[worst_at] << ")";
  return c;
}

}  // namespace

KDLTS_TEST(matmul, transposes_and_odd_sizes) {
  const int64_t sizes[] = {1, 2, 3, 7, 12, 13, 16, 17, 31, 33, 64, 100, 129};
  std::uniform_int_distribution<int> pick(0, int(std::size(sizes)) - 1);
  for (int t = 0; t < 4; ++t)
    for (int rep = 0; rep < 10; ++rep) {
      kdlts_matmul_params p{1, 1, sizes[pick(ctx.rng)], sizes[pick(ctx.rng)], sizes[pick(ctx.rng)],
                            t & 1, (t >> 1) & 1, rep % 3 == 0 ? KDLTS_ACTIVATION_RELU : 0};
      run_case(ctx, p, rep % 2 == 0);
    }
}

KDLTS_TEST(matmul, broadcast_batches) {
  // (batch_a, batch_b): equal, either one broadcast; small products (one per task) and larger
  // ones (each split), and the stacked-A path (batch_b = 1, A not transposed).
  const int64_t batches[][2] = {{3, 3}, {1, 4}, {5, 1}, {1, 1}};
  const int64_t shapes[][3] = {{7, 9, 5}, {40, 70, 130}};
  for (const auto& bt : batches)
    for (const auto& s : shapes)
      for (int t = 0; t < 4; ++t) {
        kdlts_matmul_params p{bt[0], bt[1], s[0], s[1], s[2], t & 1, (t >> 1) & 1,
                              t == 2 ? KDLTS_ACTIVATION_RELU : 0};
        run_case(ctx, p, t != 1);
      }
}

KDLTS_TEST(matmul, lenet_300_100_shapes) {
  // Dense layers at batch 60 and 128: forward, dX = dY W^T (trans_b), dW = X^T dY (trans_a).
  const int64_t layers[][2] = {{784, 300}, {300, 100}, {100, 10}};
  for (int64_t batch : {60, 128})
    for (const auto& l : layers) {
      run_case(ctx, {1, 1, batch, l[1], l[0], 0, 0, KDLTS_ACTIVATION_RELU}, true);
      run_case(ctx, {1, 1, batch, l[0], l[1], 0, 1, 0}, false);
      run_case(ctx, {1, 1, l[0], l[1], batch, 1, 0, 0}, false);
    }
}

KDLTS_TEST(matmul, k_zero_gives_activated_bias) {
  const kdlts_matmul_params p{2, 2, 3, 4, 0, 0, 0, KDLTS_ACTIVATION_RELU};
  const std::vector<float> bias = {1.0f, -2.0f, 0.5f, -0.25f};
  std::vector<float> c(2 * 3 * 4, std::nanf(""));
  CHECK_OK(kdlts_matmul(&ctx.exec, &p, nullptr, nullptr, bias.data(), c.data()));
  for (size_t i = 0; i < c.size(); ++i) CHECK(c[i] == std::max(bias[i % 4], 0.0f)) << c[i];
  const kdlts_matmul_params linear{1, 1, 2, 3, 0, 1, 1, 0};
  std::fill(c.begin(), c.end(), std::nanf(""));
  CHECK_OK(kdlts_matmul(&ctx.exec, &linear, nullptr, nullptr, nullptr, c.data()));
  for (int i = 0; i < 6; ++i) CHECK(c[i] == 0.0f) << c[i];
}

KDLTS_TEST(matmul, empty_sizes) {
  const kdlts_matmul_params shapes[] = {{1, 1, 0, 5, 3, 0, 0, 0}, {1, 1, 4, 0, 3, 0, 0, 1},
                                        {0, 0, 4, 5, 3, 0, 0, 0}, {0, 1, 4, 5, 3, 1, 1, 0}};
  for (const auto& p : shapes)
    CHECK_OK(kdlts_matmul(&ctx.exec, &p, nullptr, nullptr, nullptr, nullptr));
}

KDLTS_TEST(matmul, nan_propagates) {
  // A NaN in row 2 of A reaches exactly row 2 of C (relu keeps it); a NaN in the bias, its column.
  const kdlts_matmul_params p{1, 1, 5, 6, 7, 0, 0, KDLTS_ACTIVATION_RELU};
  auto a = kdlts_test::uniform(ctx, 5 * 7);
  const auto b = kdlts_test::uniform(ctx, 7 * 6);
  a[2 * 7 + 4] = std::nanf("");
  const auto c = run_case(ctx, p, false, a, b);
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = 0; j < 6; ++j)
      CHECK(std::isnan(c[i * 6 + j]) == (i == 2)) << "row " << i << " col " << j << ": " << c[i * 6 + j];
  auto bias = kdlts_test::uniform(ctx, 6);
  bias[3] = std::nanf("");
  std::vector<float> out(30);
  a[2 * 7 + 4] = 0.5f;
  CHECK_OK(kdlts_matmul(&ctx.exec, &p, a.data(), b.data(), bias.data(), out.data()));
  for (int64_t i = 0; i < 30; ++i) CHECK(std::isnan(out[i]) == (i % 6 == 3)) << i << ": " << out[i];
}

KDLTS_TEST(matmul, bitwise_identical_for_1_2_3_threads) {
  const kdlts_matmul_params shapes[] = {{1, 1, 128, 300, 784, 0, 0, 1},
                                        {1, 1, 784, 300, 128, 1, 0, 0},
                                        {1, 1, 128, 784, 300, 0, 1, 0},
                                        {6, 1, 50, 70, 90, 0, 1, 1},
                                        {1, 9, 20, 30, 40, 1, 0, 0}};
  for (const auto& p : shapes) {
    const int64_t batch = std::max(p.batch_a, p.batch_b);
    const auto a = kdlts_test::uniform(ctx, p.batch_a * p.m * p.k);
    const auto b = kdlts_test::uniform(ctx, p.batch_b * p.k * p.n);
    const auto bias = kdlts_test::uniform(ctx, p.n);
    std::vector<float> first;
    for (int threads : {1, 2, 3}) {
      kdlts_exec exec{KDLTS_BACKEND_CPU, threads};
      std::vector<float> c(batch * p.m * p.n);
      CHECK_OK(kdlts_matmul(&exec, &p, a.data(), b.data(), bias.data(), c.data()));
      if (threads == 1) first = c;
      else CHECK(std::memcmp(c.data(), first.data(), c.size() * 4) == 0)
               << describe(p, true) << ": " << threads << " threads differ from 1";
    }
  }
}

KDLTS_TEST(matmul, argument_errors) {
  const kdlts_matmul_params ok{2, 2, 3, 4, 5, 0, 0, 0};
  const auto a = kdlts_test::uniform(ctx, 2 * 3 * 5), b = kdlts_test::uniform(ctx, 2 * 5 * 4);
  std::vector<float> c(2 * 3 * 4);
  const kdlts_status bad = KDLTS_ERR_INVALID_ARGUMENT;
  auto with = [&](auto change) {
    kdlts_matmul_params p = ok;
    change(p);
    return p;
  };
  CHECK_STATUS(kdlts_matmul(&ctx.exec, nullptr, a.data(), b.data(), nullptr, c.data()), bad,
               "params is NULL");
  auto p = with([](auto& q) { q.m = -1; });
  CHECK_STATUS(kdlts_matmul(&ctx.exec, &p, a.data(), b.data(), nullptr, c.data()), bad,
               "params.m must be >= 0, got -1");
  p = with([](auto& q) { q.batch_a = 3; });
  CHECK_STATUS(kdlts_matmul(&ctx.exec, &p, a.data(), b.data(), nullptr, c.data()), bad,
               "must be equal or 1");
  p = with([](auto& q) { q.trans_b = 2; });
  CHECK_STATUS(kdlts_matmul(&ctx.exec, &p, a.data(), b.data(), nullptr, c.data()), bad,
               "params.trans_b");
  p = with([](auto& q) { q.activation = 5; });
  CHECK_STATUS(kdlts_matmul(&ctx.exec, &p, a.data(), b.data(), nullptr, c.data()), bad,
               "params.activation");
  CHECK_STATUS(kdlts_matmul(&ctx.exec, &ok, nullptr, b.data(), nullptr, c.data()), bad, "a is NULL");
  CHECK_STATUS(kdlts_matmul(&ctx.exec, &ok, a.data(), nullptr, nullptr, c.data()), bad, "b is NULL");
  CHECK_STATUS(kdlts_matmul(&ctx.exec, &ok, a.data(), b.data(), nullptr, nullptr), bad, "c is NULL");
  std::vector<float> shared(64);
  CHECK_STATUS(kdlts_matmul(&ctx.exec, &ok, shared.data(), b.data(), nullptr, shared.data()), bad,
               "c must not alias a");
  kdlts_exec cuda{KDLTS_BACKEND_CUDA, 0};
  CHECK_STATUS(kdlts_matmul(&cuda, &ok, a.data(), b.data(), nullptr, c.data()), KDLTS_ERR_BACKEND,
               "CPU only");
}
