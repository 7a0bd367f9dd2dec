// kdlts_nn.h: unary ops. References, tolerances: nn_test_util.hpp.
#include "nn_test_util.hpp"

namespace {

using namespace nn_test;

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

}  // namespace
