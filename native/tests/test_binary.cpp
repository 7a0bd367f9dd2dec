// kdlts_nn.h: broadcasting binary ops. References, tolerances: nn_test_util.hpp.
#include "nn_test_util.hpp"

namespace {

using namespace nn_test;

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

}  // namespace
