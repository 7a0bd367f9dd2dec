// Row softmax, the way tfjs-backend-cpu composes it (Softmax.js): m = max(row) (NaN if any is
// NaN), e = float(exp(float(x - m))), s = float(sum of e in double), y = e / s in float. Each
// step rounds where tfjs rounds, so results agree with tfjs to within exp_d's last double bits
// (a float ulp in rare cases). Rows are split into fixed chunks of ~kChunk elements. y may alias
// x.
#include "cpu/nn/ops.hpp"

namespace kdlts::cpu {

void softmax(int threads, int64_t rows, int64_t cols, const float* x, float* y) {
  // Per chunk of rows: y = x - max(row) (float, as tfjs's sub), then exp over the whole chunk in
  // one contiguous, vectorised loop (short rows would otherwise leave exp to scalar code), then
  // each row's sum and the division. The chunk stays in cache between the passes.
  for_ranges(threads, rows, items_per_task(cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      const float m = extreme_row<true>(xr, cols);  // NaN if any is NaN, as tfjs's Max
      for (int64_t c = 0; c < cols; ++c) yr[c] = xr[c] - m;
    }
    float* block = y + begin * cols;
    const int64_t n = (end - begin) * cols;
    for (int64_t i = 0; i < n; ++i) block[i] = static_cast<float>(exp_d(block[i]));
    for (int64_t r = begin; r < end; ++r) {
      float* yr = y + r * cols;
      const float s = static_cast<float>(sum_row(yr, cols));
      for (int64_t c = 0; c < cols; ++c) yr[c] = yr[c] / s;  // a division, as tfjs's div
    }
  });
}

}  // namespace kdlts::cpu
