// kdlts_nn.h: reductions. References, tolerances: nn_test_util.hpp.
#include "nn_test_util.hpp"

namespace {

using namespace nn_test;

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

}  // namespace
