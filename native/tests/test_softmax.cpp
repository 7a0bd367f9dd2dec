// kdlts_nn.h: softmax. References, tolerances: nn_test_util.hpp.
#include "nn_test_util.hpp"

namespace {

using namespace nn_test;

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

}  // namespace
