// kdlts_nn.h: the SGD-with-momentum update against a plain scalar transcription of its
// definition (each step one float operation, in order: what tfjs's mul/add/sub sequence gives).
// Bitwise (NaN equals NaN, the sign of zero counts), for every option combination, with and
// without in-place outputs, on 1, 2 and 3 threads. This file is compiled with -ffp-contract=off
// (tests/CMakeLists.txt), so the reference rounds every operation too.
#include "nn_test_util.hpp"

namespace {

using namespace nn_test;

struct Options {
  bool mask, nesterov;
  float momentum, weight_decay, lr;
  std::string name() const {
    return std::string(mask ? "mask" : "no mask") + ", momentum " + std::to_string(momentum) +
           (nesterov ? " nesterov" : "") + ", weight decay " + std::to_string(weight_decay) +
           ", lr " + std::to_string(lr);
  }
};

struct Inputs {
  F w, g, v, mask;
};

// The definition in kdlts_nn.h, one element at a time.
void reference(const Options& o, const Inputs& in, F& w_out, F& v_out) {
  const size_t n = in.w.size();
  w_out.assign(n, 0.0f);
  v_out.assign(o.momentum > 0.0f ? n : 0, 0.0f);
  for (size_t i = 0; i < n; ++i) {
    float d = in.g[i];
    if (o.mask) d = d * in.mask[i];
    if (o.weight_decay > 0.0f) {
      const float decay = in.w[i] * o.weight_decay;
      d = d + decay;
    }
    if (o.momentum > 0.0f) {
      const float kept = in.v[i] * o.momentum;
      v_out[i] = kept + d;
      if (o.nesterov) {
        const float ahead = v_out[i] * o.momentum;
        d = d + ahead;
      } else {
        d = v_out[i];
      }
    }
    const float step = d * o.lr;
    float w = in.w[i] - step;
    if (o.mask) w = w * in.mask[i];
    w_out[i] = w;
  }
}

Inputs random_inputs(Context& ctx, int64_t n, bool specials) {
  Inputs in{values(ctx, n, false, specials), values(ctx, n, false, specials),
            kdlts_test::normal(ctx, n, 0.0f, 0.5f), F(size_t(n))};
  std::bernoulli_distribution keep(0.5);
  for (auto& m : in.mask) m = keep(ctx.rng) ? 1.0f : 0.0f;
  return in;
}

std::vector<Options> all_options(float lr) {
  std::vector<Options> out;
  for (bool mask : {false, true})
    for (float weight_decay : {0.0f, 5e-4f})
      for (float momentum : {0.0f, 0.9f, 0.37f})
        for (bool nesterov : {false, true})
          if (!nesterov || momentum > 0.0f) out.push_back({mask, nesterov, momentum, weight_decay, lr});
  return out;
}

// Runs one configuration into separate outputs and in place, on each thread count.
void check_sgd(Context& ctx, const Options& o, const Inputs& in, const std::vector<int>& thread_counts,
               const std::string& what) {
  const int64_t n = int64_t(in.w.size());
  const bool heavy = o.momentum > 0.0f;
  F want_w, want_v;
  reference(o, in, want_w, want_v);
  const float* mask = o.mask ? in.mask.data() : nullptr;
  const std::string w_name = what + " (" + o.name() + ")";
  for (int t : thread_counts) {
    const kdlts_exec e = threads(t);
    const std::string at = w_name + " threads " + std::to_string(t);
    F w_out(size_t(n), kNaN), v_out(heavy ? size_t(n) : 0, kNaN);
    CHECK_OK(kdlts_sgd_update(&e, n, in.w.data(), in.g.data(), heavy ? in.v.data() : nullptr, mask,
                              o.lr, o.momentum, o.weight_decay, o.nesterov, w_out.data(),
                              heavy ? v_out.data() : nullptr));
    expect_close(ctx, w_out, want_w, -1, at + ": w");
    if (heavy) expect_close(ctx, v_out, want_v, -1, at + ": v");
    F w = in.w, v = in.v;  // in place: w_out == w, v_out == v
    CHECK_OK(kdlts_sgd_update(&e, n, w.data(), in.g.data(), heavy ? v.data() : nullptr, mask, o.lr,
                              o.momentum, o.weight_decay, o.nesterov, w.data(),
                              heavy ? v.data() : nullptr));
    expect_close(ctx, w, want_w, -1, at + " in place: w");
    if (heavy) expect_close(ctx, v, want_v, -1, at + " in place: v");
  }
}

KDLTS_TEST(sgd, small_sizes_and_special_values) {
  for (int64_t n : {0, 1, 7, 15, 16, 17, 33, 100}) {
    const Inputs in = random_inputs(ctx, n, true);
    for (const Options& o : all_options(0.0137f))
      check_sgd(ctx, o, in, {0}, "n " + std::to_string(n));
  }
}

KDLTS_TEST(sgd, large_odd_size_any_thread_count) {
  const int64_t n = 1000003;  // several chunks and a ragged tail
  const Inputs in = random_inputs(ctx, n, true);
  for (const Options& o : all_options(0.1f)) check_sgd(ctx, o, in, {1, 2, 3}, "n 1000003");
}

KDLTS_TEST(sgd, masked_weights_stay_zero) {
  const int64_t n = 1000;
  const Inputs in = random_inputs(ctx, n, false);
  F w_out(n), v_out(n);
  CHECK_OK(kdlts_sgd_update(&ctx.exec, n, in.w.data(), in.g.data(), in.v.data(), in.mask.data(),
                            0.5f, 0.9f, 1e-2f, 1, w_out.data(), v_out.data()));
  for (int64_t i = 0; i < n; ++i) {
    if (in.mask[i] == 0.0f) {
      CHECK(w_out[i] == 0.0f) << "w_out[" << i << "] = " << w_out[i] << " under a 0 mask";
    }
  }
}

KDLTS_TEST(sgd, argument_errors) {
  const int64_t n = 8;
  F w(n, 1.0f), g(n, 1.0f), v(n, 0.0f), mask(n, 1.0f), w_out(n), v_out(n);
  const float nan = kNaN;
  auto call = [&](float lr, float momentum, float weight_decay, int32_t nesterov, const float* wp,
                  const float* gp, const float* vp, float* wo, float* vo, int64_t count = 8) {
    return kdlts_sgd_update(&ctx.exec, count, wp, gp, vp, mask.data(), lr, momentum, weight_decay,
                            nesterov, wo, vo);
  };
  const float* W = w.data();
  const float* G = g.data();
  const float* V = v.data();
  float* WO = w_out.data();
  float* VO = v_out.data();
  const auto bad = KDLTS_ERR_INVALID_ARGUMENT;
  CHECK_STATUS(call(0.1f, 1.0f, 0, 0, W, G, V, WO, VO), bad,
               "sgd_update: momentum must be in [0, 1), got 1");
  CHECK_STATUS(call(0.1f, -0.5f, 0, 0, W, G, V, WO, VO), bad, "momentum must be in [0, 1)");
  CHECK_STATUS(call(0.1f, nan, 0, 0, W, G, V, WO, VO), bad, "sgd_update: momentum must be finite");
  CHECK_STATUS(call(0.1f, 0.0f, 0, 1, W, G, nullptr, WO, nullptr), bad,
               "sgd_update: nesterov needs momentum > 0");
  CHECK_STATUS(call(0.1f, 0.9f, 0, 2, W, G, V, WO, VO), bad, "nesterov must be 0 or 1, got 2");
  CHECK_STATUS(call(nan, 0.9f, 0, 0, W, G, V, WO, VO), bad, "sgd_update: lr must be finite");
  CHECK_STATUS(call(kInf, 0.9f, 0, 0, W, G, V, WO, VO), bad, "sgd_update: lr must be finite");
  CHECK_STATUS(call(0.1f, 0.9f, kInf, 0, W, G, V, WO, VO), bad, "weight_decay must be finite");
  CHECK_STATUS(call(0.1f, 0.9f, -1e-4f, 0, W, G, V, WO, VO), bad, "weight_decay must be >= 0");
  CHECK_STATUS(call(0.1f, 0.9f, 0, 0, W, G, V, WO, VO, -1), bad, "sgd_update: n must be >= 0");
  CHECK_STATUS(call(0.1f, 0.9f, 0, 0, nullptr, G, V, WO, VO), bad, "sgd_update: w is NULL");
  CHECK_STATUS(call(0.1f, 0.9f, 0, 0, W, nullptr, V, WO, VO), bad, "sgd_update: g is NULL");
  CHECK_STATUS(call(0.1f, 0.9f, 0, 0, W, G, V, nullptr, VO), bad, "sgd_update: w_out is NULL");
  CHECK_STATUS(call(0.1f, 0.9f, 0, 0, W, G, nullptr, WO, VO), bad,
               "sgd_update: v is NULL (momentum > 0");
  CHECK_STATUS(call(0.1f, 0.9f, 0, 0, W, G, V, WO, nullptr), bad, "sgd_update: v_out is NULL");
  CHECK_STATUS(call(0.1f, 0.0f, 0, 0, W, G, V, WO, VO), bad,
               "sgd_update: v must be NULL when momentum is 0");
  CHECK_STATUS(call(0.1f, 0.0f, 0, 0, W, G, nullptr, WO, VO), bad,
               "sgd_update: v_out must be NULL when momentum is 0");
  // Outputs: an exact alias of their own input only.
  CHECK_STATUS(call(0.1f, 0.9f, 0, 0, W, G, V, g.data(), VO), bad, "w_out overlaps g");
  CHECK_STATUS(call(0.1f, 0.9f, 0, 0, W, G, V, w.data() + 1, VO, 7), bad,
               "w_out overlaps w (only an exact alias is allowed)");
  CHECK_STATUS(call(0.1f, 0.9f, 0, 0, W, G, V, WO, w.data()), bad, "v_out overlaps w");
  CHECK_STATUS(call(0.1f, 0.9f, 0, 0, W, G, V, WO, WO), bad, "v_out overlaps w_out");
  CHECK_STATUS(call(0.1f, 0.9f, 0, 0, W, G, V, WO, mask.data()), bad, "v_out overlaps mask");
  CHECK_STATUS(call(0.1f, 0.9f, 0, 0, W, G, V, v.data(), VO), bad, "w_out overlaps v");
  const kdlts_exec cuda{KDLTS_BACKEND_CUDA, 0};
  CHECK_STATUS(kdlts_sgd_update(&cuda, n, W, G, V, nullptr, 0.1f, 0.9f, 0, 0, WO, VO),
               KDLTS_ERR_BACKEND, "sgd_update: runs on the CPU only");
  // Empty: no buffers needed; the hyperparameters are still checked.
  CHECK_OK(kdlts_sgd_update(&ctx.exec, 0, nullptr, nullptr, nullptr, nullptr, 0.1f, 0.9f, 0, 1,
                            nullptr, nullptr));
  CHECK_STATUS(kdlts_sgd_update(&ctx.exec, 0, nullptr, nullptr, nullptr, nullptr, nan, 0.9f, 0, 1,
                                nullptr, nullptr),
               bad, "lr must be finite");
  // Inputs may share memory; nothing was written by the failed calls above.
  CHECK_OK(call(0.1f, 0.9f, 0, 1, W, W, V, WO, VO));
}

}  // namespace
