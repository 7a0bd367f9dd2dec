// kdlts_project_capped_simplex against ref::project_capped_simplex (reference.hpp), through the
// public C API on ctx.exec's backend.
//
// Tolerances (x is float32 in [0, 1], so storing it rounds by at most 2^-24 ~ 6e-8):
//   |x - x_ref| <= 2e-6               exact lambda on both sides; the slack covers a backend that
//                                     computes lambda or y - lambda in float for |y| <~ 10
//   |x - clip(y - lambda, 0, 1)| <= 2e-6   the KKT form, for the lambda the call returned
//   |sum x - k| <= 1e-6 * n + 1e-4    n roundings of x (~6e-8 each) plus lambda's error times
//                                     the linear count
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "harness.hpp"
#include "reference.hpp"

namespace {

using kdlts_test::Context;

constexpr double kXTol = 2e-6;

double sum_tolerance(int64_t n) { return 1e-6 * double(n) + 1e-4; }

struct Result {
  kdlts_status status;
  std::vector<float> x;
  std::vector<double> lambda;
};

Result project(const kdlts_exec& exec, const std::vector<float>& y,
               const std::vector<int64_t>& sizes, const std::vector<double>& budgets) {
  Result r{KDLTS_OK, std::vector<float>(y.size(), -7.0f), std::vector<double>(sizes.size(), -7.0)};
  const kdlts_projection_params params{int64_t(sizes.size()), sizes.data(), budgets.data()};
  r.status = kdlts_project_capped_simplex(&exec, &params, y.data(), r.x.data(), r.lambda.data());
  return r;
}

// O(n) checks of one group: bounds, sum, and the KKT form for the returned lambda.
void check_invariants(Context& ctx, const float* y, const float* x, int64_t n, double k,
                      double lambda, const std::string& what) {
  double sum = 0.0, worst_kkt = 0.0;
  int64_t out_of_bounds = 0;
  for (int64_t i = 0; i < n; ++i) {
    sum += x[i];
    out_of_bounds += !(x[i] >= 0.0f && x[i] <= 1.0f);
    const double expected = std::min(1.0, std::max(0.0, double(y[i]) - lambda));
    worst_kkt = std::max(worst_kkt, std::fabs(double(x[i]) - expected));
  }
  CHECK(out_of_bounds == 0) << what << ": " << out_of_bounds << " values outside [0, 1]";
  CHECK(std::fabs(sum - k) <= sum_tolerance(n)) << what << ": sum " << sum << " vs k " << k;
  CHECK(worst_kkt <= kXTol) << what << ": |x - clip(y - lambda)| = " << worst_kkt
                            << " (lambda " << lambda << ")";
}

// One call over all groups; every group checked against the reference and the invariants.
void check_against_reference(Context& ctx, const std::vector<float>& y,
                             const std::vector<int64_t>& sizes, const std::vector<double>& budgets,
                             const std::string& what) {
  const Result r = project(ctx.exec, y, sizes, budgets);
  CHECK(r.status == KDLTS_OK) << what << ": " << kdlts_status_name(r.status) << ": "
                              << kdlts_last_error();
  if (r.status != KDLTS_OK) return;
  int64_t offset = 0;
  for (size_t g = 0; g < sizes.size(); ++g) {
    const std::string group = what + " group " + std::to_string(g) + " (n " +
                              std::to_string(sizes[g]) + ", k " + std::to_string(budgets[g]) + ")";
    const std::vector<double> expected =
        ref::project_capped_simplex(y.data() + offset, sizes[g], budgets[g]);
    const double ratio =
        kdlts_test::tolerance_ratio(r.x.data() + offset, expected.data(), sizes[g], kXTol, 0.0);
    CHECK(ratio <= 1.0) << group << ": |x - x_ref| = " << ratio * kXTol;
    check_invariants(ctx, y.data() + offset, r.x.data() + offset, sizes[g], budgets[g],
                     r.lambda[g], group);
    offset += sizes[g];
  }
}

double random_budget(Context& ctx, int64_t n) {
  return std::uniform_real_distribution<double>(0.0, double(n))(ctx.rng);
}

}  // namespace

KDLTS_TEST(capped_simplex, matches_reference_across_sizes) {
  for (const int64_t n : {0, 1, 2, 3, 17, 1000, 65537, 1 << 20}) {
    const std::vector<float> y = kdlts_test::uniform(ctx, n, -2.0f, 2.0f);
    check_against_reference(ctx, y, {n}, {random_budget(ctx, n)}, "n " + std::to_string(n));
  }
}

KDLTS_TEST(capped_simplex, normal_scores_and_fractional_budgets) {
  for (const int64_t n : {100, 5000, 300000}) {
    const std::vector<float> y = kdlts_test::normal(ctx, n, 0.5f, 3.0f);
    for (const double fraction : {0.001, 0.1, 0.5, 0.9, 0.999})
      check_against_reference(ctx, y, {n}, {fraction * double(n - 1) + 0.37},
                              "normal n " + std::to_string(n));
  }
}

KDLTS_TEST(capped_simplex, boundary_budgets) {
  for (const int64_t n : {1, 7, 1000, 200000}) {
    const std::vector<float> y = kdlts_test::uniform(ctx, n, -3.0f, 3.0f);
    for (const double k : {0.0, double(n), 1.0, double(n) - 1.0, 0.5, double(n) - 0.5, 1e-9}) {
      if (k < 0.0 || k > double(n)) continue;
      const std::string what = "n " + std::to_string(n) + " k " + std::to_string(k);
      check_against_reference(ctx, y, {n}, {k}, what);
      const Result r = project(ctx.exec, y, {n}, {k});
      const double ymax = *std::max_element(y.begin(), y.end());
      const double ymin = *std::min_element(y.begin(), y.end());
      // k = 0 and k = n are pinned by the contract: lambda = max y and min y - 1.
      if (k == 0.0) {
        CHECK(std::fabs(r.lambda[0] - ymax) <= 1e-6) << what << ": " << r.lambda[0];
      }
      if (k == double(n)) {
        CHECK(std::fabs(r.lambda[0] - (ymin - 1.0)) <= 1e-6) << what << ": " << r.lambda[0];
      }
    }
  }
}

KDLTS_TEST(capped_simplex, ties_and_duplicates) {
  for (const int64_t n : {10, 999, 300000}) {
    const std::vector<float> equal(static_cast<size_t>(n), 0.25f);
    for (const double k : {0.0, 1.0, double(n) / 3.0, double(n) / 2.0, double(n)})
      check_against_reference(ctx, equal, {n}, {k}, "all equal n " + std::to_string(n));
    std::vector<float> levels(static_cast<size_t>(n));
    for (auto& v : levels) v = float(ctx.rng() % 3);  // {0, 1, 2}: lambda often on a breakpoint
    for (const double k : {double(n / 3), double(n / 2), double(n / 3) + 0.5, 1.0, double(n - 1)})
      check_against_reference(ctx, levels, {n}, {k}, "levels n " + std::to_string(n));
  }
}

KDLTS_TEST(capped_simplex, signed_zeros_and_wide_range) {
  std::vector<float> y = {0.0f, -0.0f, 0.0f, -0.0f, 1.0f, -1.0f};
  check_against_reference(ctx, y, {6}, {2.0}, "signed zeros");
  // Scores spanning many magnitudes (|y| <= 1e3); lambda stays exact in double.
  y = kdlts_test::normal(ctx, 50000, 0.0f, 1.0f);
  for (auto& v : y) v = std::ldexp(v, int(ctx.rng() % 10));
  check_against_reference(ctx, y, {50000}, {1234.5}, "wide range");
}

KDLTS_TEST(capped_simplex, many_groups_of_different_sizes) {
  const std::vector<int64_t> sizes = {0, 1, 5, 100000, 3, 200000, 2, 0, 70000};
  int64_t n = 0;
  std::vector<double> budgets;
  for (const int64_t s : sizes) {
    n += s;
    budgets.push_back(random_budget(ctx, s));
  }
  budgets[4] = 3.0;  // k = n for one group, k = 0 for another
  budgets[6] = 0.0;
  const std::vector<float> y = kdlts_test::normal(ctx, n);
  check_against_reference(ctx, y, sizes, budgets, "groups");
  // Many tiny groups (processed in parallel over groups).
  std::vector<int64_t> tiny(3000);
  std::vector<double> tiny_budgets;
  int64_t total = 0;
  for (auto& s : tiny) {
    s = int64_t(ctx.rng() % 40);
    total += s;
    tiny_budgets.push_back(random_budget(ctx, s));
  }
  check_against_reference(ctx, kdlts_test::uniform(ctx, total), tiny, tiny_budgets, "tiny groups");
}

KDLTS_TEST(capped_simplex, output_may_alias_input) {
  const std::vector<int64_t> sizes = {1000, 300000};
  const std::vector<double> budgets = {123.25, 4567.5};
  const std::vector<float> y = kdlts_test::normal(ctx, 301000);
  const Result separate = project(ctx.exec, y, sizes, budgets);
  std::vector<float> inplace = y;
  std::vector<double> lambda(2);
  const kdlts_projection_params params{2, sizes.data(), budgets.data()};
  CHECK_OK(kdlts_project_capped_simplex(&ctx.exec, &params, inplace.data(), inplace.data(),
                                        lambda.data()));
  CHECK(separate.status == KDLTS_OK);
  CHECK(inplace == separate.x) << "x aliasing y differs from a separate x";
  CHECK(lambda == separate.lambda);
  // thresholds may be NULL.
  std::vector<float> x(y.size());
  CHECK_OK(kdlts_project_capped_simplex(&ctx.exec, &params, y.data(), x.data(), nullptr));
  CHECK(x == separate.x);
}

KDLTS_TEST(capped_simplex, deterministic_across_thread_counts) {
  // One large group (chunk-parallel) and many small ones (parallel over groups).
  std::vector<int64_t> sizes = {3000000};
  for (int g = 0; g < 50; ++g) sizes.push_back(int64_t(ctx.rng() % 20000));
  int64_t n = 0;
  std::vector<double> budgets;
  for (const int64_t s : sizes) {
    n += s;
    budgets.push_back(random_budget(ctx, s));
  }
  const std::vector<float> y = kdlts_test::normal(ctx, n);
  Result first;
  for (const int threads : {1, 2, 7, 2}) {
    kdlts_exec exec = ctx.exec;  // same backend; only the CPU thread count changes
    exec.num_threads = threads;
    const Result r = project(exec, y, sizes, budgets);
    CHECK(r.status == KDLTS_OK) << kdlts_last_error();
    if (first.x.empty()) {
      first = r;
      continue;
    }
    CHECK(r.x == first.x) << threads << " threads: x differs bitwise from 1 thread";
    CHECK(r.lambda == first.lambda) << threads << " threads: lambda differs from 1 thread";
  }
}

KDLTS_TEST(capped_simplex, large_group_invariants) {
  const int64_t n = 12000000;
  const std::vector<float> y = kdlts_test::normal(ctx, n, 0.0f, 2.0f);
  const double k = 0.3 * double(n) + 0.75;
  const Result r = project(ctx.exec, y, {n}, {k});
  CHECK(r.status == KDLTS_OK) << kdlts_last_error();
  if (r.status == KDLTS_OK) check_invariants(ctx, y.data(), r.x.data(), n, k, r.lambda[0], "12M");
}

KDLTS_TEST(capped_simplex, non_finite_inputs_are_rejected) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  struct Case {
    std::vector<int64_t> sizes;
    std::vector<double> budgets;
    int64_t group, element;
    float value;
    bool all_equal = false;  // heavy ties
  };
  const std::vector<Case> cases = {
      {{10, 100, 1000}, {1.0, 2.0, 3.0}, 2, 34, nan},
      {{10, 100, 1000}, {1.0, 2.0, 3.0}, 1, 0, inf},
      {{10, 100, 1000}, {1.0, 2.0, 0.0}, 2, 999, -inf},
      {{5, 300000}, {1.0, 300000.0}, 1, 123456, nan},          // k = n path
      {{5, 300000}, {1.0, 150000.5}, 1, 299999, -inf},        // large group
      {{5, 300000, 10}, {1.0, 0.0, 2.0}, 1, 7, inf},          // k = 0 path
      {{2000000}, {1000000.0}, 0, 1234567, nan, true},         // all equal but one NaN
  };
  for (const Case& c : cases) {
    int64_t n = 0, offset = 0;
    for (size_t g = 0; g < c.sizes.size(); ++g) {
      if (int64_t(g) < c.group) offset += c.sizes[g];
      n += c.sizes[g];
    }
    std::vector<float> y = c.all_equal ? std::vector<float>(static_cast<size_t>(n), 0.5f)
                                       : kdlts_test::uniform(ctx, n);
    y[offset + c.element] = c.value;
    // Later offenders (in the same group and in the last one) are not the ones reported.
    if (offset + c.element + 5 < n) y[offset + c.element + 5] = nan;
    if (offset + c.element < n - 1) y[n - 1] = -inf;
    // The message names the first offender; its spelling of Inf is free, NaN is "NaN".
    std::string expected = "y[" + std::to_string(offset + c.element) + "] (group " +
                           std::to_string(c.group) + ", element " + std::to_string(c.element) + ")";
    if (std::isnan(c.value)) expected += " is NaN";
    std::vector<float> x(y.size());
    const kdlts_projection_params params{int64_t(c.sizes.size()), c.sizes.data(), c.budgets.data()};
    CHECK_STATUS(kdlts_project_capped_simplex(&ctx.exec, &params, y.data(), x.data(), nullptr),
                 KDLTS_ERR_NON_FINITE, expected);
  }
}

// Regression: a group just above the exact-solve limit (4096) with 7 distinct values and a
// fractional budget once came back with sum x = k + 6.8. Sum tolerance: float rounding of x.
KDLTS_TEST(capped_simplex, few_distinct_values_just_above_exact_limit) {
  const float values[] = {-1.555144f, -1.045748f, -0.664965f, -0.458425f, -0.283637f, 0.653795f, 1.647263f};
  for (int trial = 0; trial < 20; ++trial) {
    const int64_t n = 4097 + trial;
    std::vector<float> y(static_cast<size_t>(n));
    for (auto& v : y) v = values[ctx.rng() % 7];
    const double k = double(n) * (0.1 + 0.04 * trial) + 0.4338746;
    const int64_t sizes[] = {n};
    const double budgets[] = {k};
    const kdlts_projection_params p{1, sizes, budgets};
    std::vector<float> x(static_cast<size_t>(n));
    CHECK_OK(kdlts_project_capped_simplex(&ctx.exec, &p, y.data(), x.data(), nullptr));
    double sum = 0.0;
    for (const float v : x) sum += v;
    CHECK(std::fabs(sum - k) <= 1e-6 * double(n)) << "n = " << n << ", k = " << k << ", sum = " << sum;
  }
}
