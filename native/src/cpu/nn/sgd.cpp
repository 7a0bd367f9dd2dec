// One SGD-with-momentum step (kdlts_sgd_update) as a single pass over the variable: read w, g,
// v and the mask once, write w' and v' once, where tfjs would run ~6-8 full-size binary ops.
//
// Bitwise what tfjs's sequence of mul/add/sub gives: every operation is one float operation in
// the documented order (a float +, - or * equals tfjs's double result rounded to float), and
// CMakeLists.txt compiles this file with -ffp-contract=off so that the compiler cannot fuse a
// multiply and an add into an FMA (one rounding instead of two).
//
// The options are template parameters, so each combination is a branch-free loop over explicit
// 16-float lanes (ops.hpp): every lane's inputs are loaded before its outputs are stored, which
// keeps w_out == w and v_out == v (in-place updates) correct. Fixed kChunk ranges, no
// reductions: the same output for any thread count.
#include "cpu/nn/ops.hpp"

namespace kdlts::cpu {

namespace {

struct Hyper {
  float lr, momentum, weight_decay;
};

// One element or one 16-lane vector (T = float or f32x16): writes w' and (with momentum) v'.
template <bool kMask, bool kDecay, bool kMomentum, bool kNesterov, typename T>
inline void step(const Hyper& h, T w, T g, T v, T mask, T* w_new, T* v_new) {
  T d = g;
  if constexpr (kMask) d = d * mask;
  if constexpr (kDecay) d = d + w * h.weight_decay;
  if constexpr (kMomentum) {
    const T velocity = v * h.momentum + d;
    *v_new = velocity;
    if constexpr (kNesterov) {
      d = d + velocity * h.momentum;
    } else {
      d = velocity;
    }
  }
  T updated = w - d * h.lr;
  if constexpr (kMask) updated = updated * mask;
  *w_new = updated;
}

template <bool kMask, bool kDecay, bool kMomentum, bool kNesterov>
void update_range(const Hyper& h, int64_t begin, int64_t end, const float* w, const float* g,
                  const float* v, const float* mask, float* w_out, float* v_out) {
  int64_t i = begin;
  for (; i + 16 <= end; i += 16) {
    const f32x16 wi = load16(w + i), gi = load16(g + i);
    const f32x16 vi = kMomentum ? load16(v + i) : f32x16{};
    const f32x16 mi = kMask ? load16(mask + i) : f32x16{};
    f32x16 w_new, v_new;
    step<kMask, kDecay, kMomentum, kNesterov>(h, wi, gi, vi, mi, &w_new, &v_new);
    store16(w_out + i, w_new);
    if constexpr (kMomentum) store16(v_out + i, v_new);
  }
  for (; i < end; ++i) {
    float w_new, v_new;
    step<kMask, kDecay, kMomentum, kNesterov>(h, w[i], g[i], kMomentum ? v[i] : 0.0f,
                                              kMask ? mask[i] : 0.0f, &w_new, &v_new);
    w_out[i] = w_new;
    if constexpr (kMomentum) v_out[i] = v_new;
  }
}

template <bool kMask, bool kDecay, bool kMomentum, bool kNesterov>
void run(int threads, int64_t n, const Hyper& h, const float* w, const float* g, const float* v,
         const float* mask, float* w_out, float* v_out) {
  for_ranges(threads, n, kChunk, [&](int64_t begin, int64_t end) {
    update_range<kMask, kDecay, kMomentum, kNesterov>(h, begin, end, w, g, v, mask, w_out, v_out);
  });
}

using Kernel = void (*)(int, int64_t, const Hyper&, const float*, const float*, const float*,
                        const float*, float*, float*);

template <bool kMask, bool kDecay>
Kernel pick(bool momentum, bool nesterov) {
  if (!momentum) return run<kMask, kDecay, false, false>;
  return nesterov ? run<kMask, kDecay, true, true> : run<kMask, kDecay, true, false>;
}

}  // namespace

void sgd_update(int threads, int64_t n, const float* w, const float* g, const float* v,
                const float* mask, float lr, float momentum, float weight_decay, bool nesterov,
                float* w_out, float* v_out) {
  const bool masked = mask != nullptr, decay = weight_decay > 0.0f, heavy = momentum > 0.0f;
  const Kernel kernel = masked ? (decay ? pick<true, true>(heavy, nesterov)
                                        : pick<true, false>(heavy, nesterov))
                               : (decay ? pick<false, true>(heavy, nesterov)
                                        : pick<false, false>(heavy, nesterov));
  kernel(threads, n, Hyper{lr, momentum, weight_decay}, w, g, v, mask, w_out, v_out);
}

}  // namespace kdlts::cpu
