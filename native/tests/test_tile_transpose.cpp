// kdlts_nn.h: tile and transpose. References, tolerances: nn_test_util.hpp.
#include "nn_test_util.hpp"

namespace {

using namespace nn_test;

// ---- tile / transpose ---------------------------------------------------------------------------

F ref_tile(const Shape& in, const Shape& reps, const F& x) {
  Shape out(in.size());
  for (size_t d = 0; d < in.size(); ++d) out[d] = in[d] * reps[d];
  F y(count(out));
  for (int64_t i = 0; i < int64_t(y.size()); ++i) {
    int64_t rest = i, src = 0, stride = 1;
    for (int d = int(in.size()) - 1; d >= 0; --d) {
      src += (rest % out[d]) % in[d] * stride;
      rest /= out[d], stride *= in[d];
    }
    y[i] = x[src];
  }
  return y;
}

F ref_transpose(const Shape& in, const std::vector<int32_t>& perm, const F& x) {
  const int r = int(in.size());
  Shape stride(r, 1), out(r);
  for (int d = r - 2; d >= 0; --d) stride[d] = stride[d + 1] * in[d + 1];
  for (int d = 0; d < r; ++d) out[d] = in[perm[d]];
  F y(x.size());
  for (int64_t i = 0; i < int64_t(y.size()); ++i) {
    int64_t rest = i, src = 0;
    for (int d = r - 1; d >= 0; --d) src += rest % out[d] * stride[perm[d]], rest /= out[d];
    y[i] = x[src];
  }
  return y;
}

void check_tile(Context& ctx, const Shape& in, const Shape& reps, bool all_threads) {
  const F x = values(ctx, count(in), false, true), want = ref_tile(in, reps, x);
  for (int t : all_threads ? std::vector<int>{1, 2, 3} : std::vector<int>{0}) {
    const kdlts_exec e = threads(t);
    F y(want.size(), 7.0f);
    CHECK_OK(kdlts_tile(&e, int32_t(in.size()), in.data(), reps.data(), x.data(), y.data()));
    expect_close(ctx, y, want, -1,
                 "tile rank " + std::to_string(in.size()) + " threads " + std::to_string(t));
  }
}

void check_transpose(Context& ctx, const Shape& in, const std::vector<int32_t>& perm,
                     bool all_threads) {
  const F x = values(ctx, count(in), false, true), want = ref_transpose(in, perm, x);
  std::string what = "transpose [";
  for (size_t d = 0; d < in.size(); ++d)
    what += std::to_string(in[d]) + ":" + std::to_string(perm[d]) + " ";
  for (int t : all_threads ? std::vector<int>{1, 2, 3} : std::vector<int>{0}) {
    const kdlts_exec e = threads(t);
    F y(want.size(), 7.0f);
    CHECK_OK(kdlts_transpose(&e, int32_t(in.size()), in.data(), perm.data(), x.data(), y.data()));
    expect_close(ctx, y, want, -1, what + "] threads " + std::to_string(t));
  }
}

KDLTS_TEST(tile, shapes) {
  check_tile(ctx, {}, {}, false);
  check_tile(ctx, {1}, {5}, false);
  check_tile(ctx, {3}, {4}, false);
  check_tile(ctx, {2, 3}, {2, 1}, false);
  check_tile(ctx, {2, 1, 3}, {1, 4, 2}, false);
  check_tile(ctx, {2, 3}, {0, 2}, false);
  std::uniform_int_distribution<int> dim(1, 4), rep(1, 3);
  for (int trial = 0; trial < 80; ++trial) {
    Shape in(trial % 7), reps(trial % 7);
    for (size_t d = 0; d < in.size(); ++d) in[d] = dim(ctx.rng), reps[d] = rep(ctx.rng);
    check_tile(ctx, in, reps, false);
  }
  check_tile(ctx, {64, 1, 32, 16}, {1, 8, 1, 1}, true);
  check_tile(ctx, {1, 100000}, {3, 2}, true);
  check_tile(ctx, {50000, 1}, {1, 3}, true);
}

KDLTS_TEST(transpose, shapes) {
  check_transpose(ctx, {}, {}, false);
  check_transpose(ctx, {5}, {0}, false);
  check_transpose(ctx, {3, 4}, {1, 0}, false);
  check_transpose(ctx, {2, 1, 3}, {2, 1, 0}, false);
  check_transpose(ctx, {2, 3, 0}, {1, 2, 0}, false);
  std::uniform_int_distribution<int> dim(1, 5);
  for (int trial = 0; trial < 120; ++trial) {
    const int r = trial % 7;
    Shape in(r);
    std::vector<int32_t> perm(r);
    for (int d = 0; d < r; ++d) in[d] = dim(ctx.rng), perm[d] = d;
    std::shuffle(perm.begin(), perm.end(), ctx.rng);
    check_transpose(ctx, in, perm, false);
  }
  check_transpose(ctx, {8, 32, 32, 16}, {0, 3, 1, 2}, true);  // NHWC -> NCHW
  check_transpose(ctx, {8, 16, 32, 32}, {0, 2, 3, 1}, true);  // NCHW -> NHWC
  check_transpose(ctx, {513, 257}, {1, 0}, true);
  check_transpose(ctx, {4, 100, 3, 50}, {2, 1, 0, 3}, true);  // innermost stays: runs
}

KDLTS_TEST(transpose, argument_errors) {
  const Shape in{2, 3, 4};
  const std::vector<int32_t> dup{0, 2, 0}, out_of_range{0, 3, 1};
  F x(24), y(24);
  CHECK_STATUS(kdlts_transpose(&ctx.exec, 3, in.data(), dup.data(), x.data(), y.data()),
               KDLTS_ERR_INVALID_ARGUMENT,
               "transpose: perm is not a permutation: perm[2] = 0 repeats perm[0]");
  CHECK_STATUS(kdlts_transpose(&ctx.exec, 3, in.data(), out_of_range.data(), x.data(), y.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "transpose: perm[1] = 3 is outside [0, 3)");
  CHECK_STATUS(kdlts_transpose(&ctx.exec, 9, in.data(), dup.data(), x.data(), y.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "transpose: rank must be in [0, 8], got 9");
  CHECK_STATUS(kdlts_transpose(&ctx.exec, 3, in.data(), nullptr, x.data(), y.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "transpose: perm is NULL");
  const std::vector<int32_t> perm{2, 0, 1};
  CHECK_STATUS(kdlts_transpose(&ctx.exec, 3, in.data(), perm.data(), x.data(), x.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "transpose: y overlaps x");
  CHECK_OK(kdlts_transpose(&ctx.exec, 3, Shape{2, 0, 4}.data(), perm.data(), nullptr, nullptr));
}

KDLTS_TEST(tile, argument_errors) {
  const Shape in{2, 3, 4}, reps{1, -2, 1}, ok{1, 2, 1};
  F x(24), y(48);
  CHECK_STATUS(kdlts_tile(&ctx.exec, 3, in.data(), reps.data(), x.data(), y.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "tile: reps[1] must be >= 0, got -2");
  CHECK_STATUS(kdlts_tile(&ctx.exec, 3, nullptr, ok.data(), x.data(), y.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "tile: in_shape is NULL");
  CHECK_STATUS(kdlts_tile(&ctx.exec, -1, in.data(), ok.data(), x.data(), y.data()),
               KDLTS_ERR_INVALID_ARGUMENT, "tile: rank must be in [0, 8], got -1");
  CHECK_STATUS(kdlts_tile(&ctx.exec, 3, in.data(), ok.data(), x.data(), x.data() + 8),
               KDLTS_ERR_INVALID_ARGUMENT, "tile: y overlaps x");
  const kdlts_exec cuda{KDLTS_BACKEND_CUDA, 0};
  CHECK_STATUS(kdlts_tile(&cuda, 3, in.data(), ok.data(), x.data(), y.data()), KDLTS_ERR_BACKEND,
               "tile: runs on the CPU only");
  const Shape zero{1, 0, 1};
  CHECK_OK(kdlts_tile(&ctx.exec, 3, in.data(), zero.data(), nullptr, nullptr));
}

}  // namespace
