// Batched Gram matrices on the CPU: per block one syrk (and, backward, one GEMM) does the
// O(B^2 D) work; the row norms, the normalisation and the backward's B x B algebra are O(B^2)
// and run single-threaded.
//
// Forward, per block F (B x D):  Graw = F F^T,  r_i = max(|f_i|, eps) = max(sqrt(Graw_ii), eps),
//   G_ij = Graw_ij / (r_i r_j)   (G = Graw without normalisation).
// Backward, with S = dG + dG^T and c_i = sum_j S_ij G_ij:
//   dF = M F,  M = diag(1/r) S diag(1/r) - diag(c_i / r_i^2),
// where clamped rows (|f_i| <= eps) and normalize = 0 drop the c term (and use r = eps resp. 1).
// That is dF_i = (dF^_i - (dF^_i . f^_i) f^_i) / r_i with dF^ = S F^, the chain rule through
// f^_i = f_i / |f_i|, written so one GEMM applies it.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cpu/gemm.hpp"
#include "cpu/ops.hpp"
#include "error.hpp"

namespace kdlts::cpu {
namespace {

const char* describe(float x) { return std::isnan(x) ? "NaN" : (x > 0 ? "+Inf" : "-Inf"); }

// Throws for row i of features[l], whose squared norm (Graw_ii) came out non-finite.
[[noreturn]] void fail_feature_row(int64_t l, const float* f, int64_t i, int64_t dim) {
  const std::string row = "features[" + std::to_string(l) + "] row " + std::to_string(i);
  for (int64_t d = 0; d < dim; ++d) {
    const float x = f[i * dim + d];
    if (!std::isfinite(x))
      fail(KDLTS_ERR_NON_FINITE, row + ", column " + std::to_string(d) + " is " + describe(x));
  }
  fail(KDLTS_ERR_NON_FINITE, row + " is finite but its squared norm overflows float32");
}

// graw = F F^T (B x B, exactly symmetric; a syrk: half a GEMM's work). A NaN/Inf in row i makes
// graw_ii non-finite, so the input check is a scan of the diagonal plus, on failure only, of the
// offending row.
void raw_gram(int threads, int64_t l, const float* f, int64_t batch, int64_t dim, float* graw) {
  syrk(threads, batch, dim, f, dim, graw, batch);
  for (int64_t i = 0; i < batch; ++i)
    if (!std::isfinite(graw[i * batch + i])) fail_feature_row(l, f, i, dim);
}

// 1 / r_i, with r_i = max(|f_i|, eps) (or 1 without normalisation). An all-zero row with
// eps = 0 gets 0 instead of 1/0: its normalised row (and its gradient) is taken as zero.
std::vector<double> inverse_norms(const float* graw, int64_t batch, const kdlts_gram_params& p) {
  std::vector<double> inv(static_cast<size_t>(batch), 1.0);
  if (!p.normalize) return inv;
  for (int64_t i = 0; i < batch; ++i) {
    const double r = std::max(std::sqrt(double(graw[i * batch + i])), double(p.eps));
    inv[i] = r > 0.0 ? 1.0 / r : 0.0;
  }
  return inv;
}

void check_dgrams(const kdlts_gram_params& p, const float* dgrams) {
  const int64_t bb = p.batch * p.batch;
  for (int64_t l = 0; l < p.num_blocks; ++l)
    for (int64_t e = 0; e < bb; ++e) {
      const float x = dgrams[l * bb + e];
      if (!std::isfinite(x)) {
        fail(KDLTS_ERR_NON_FINITE, "dgrams[" + std::to_string(l) + "] row " +
                                       std::to_string(e / p.batch) + ", column " +
                                       std::to_string(e % p.batch) + " is " + describe(x));
      }
    }
}

}  // namespace

void gram_forward(int threads, const kdlts_gram_params& p, const float* const* features,
                  float* grams) {
  const int64_t batch = p.batch;
  for (int64_t l = 0; l < p.num_blocks; ++l) {
    float* g = grams + l * batch * batch;
    if (p.dims[l] == 0) {
      std::fill_n(g, batch * batch, 0.0f);
      continue;
    }
    raw_gram(threads, l, features[l], batch, p.dims[l], g);
    if (!p.normalize) continue;
    const std::vector<double> inv = inverse_norms(g, batch, p);
    for (int64_t i = 0; i < batch; ++i)
      for (int64_t j = 0; j < batch; ++j)
        g[i * batch + j] = static_cast<float>(double(g[i * batch + j]) * inv[i] * inv[j]);
  }
}

void gram_backward(int threads, const kdlts_gram_params& p, const float* const* features,
                   const float* dgrams, float* const* dfeatures) {
  check_dgrams(p, dgrams);  // before any output is written
  const int64_t batch = p.batch;
  std::vector<float> graw(static_cast<size_t>(batch * batch));
  std::vector<float> m(static_cast<size_t>(batch * batch));
  for (int64_t l = 0; l < p.num_blocks; ++l) {
    const int64_t dim = p.dims[l];
    if (dim == 0) continue;
    const float* f = features[l];
    const float* dg = dgrams + l * batch * batch;
    raw_gram(threads, l, f, batch, dim, graw.data());
    const std::vector<double> inv = inverse_norms(graw.data(), batch, p);
    for (int64_t i = 0; i < batch; ++i) {
      const double graw_ii = graw[i * batch + i];
      // The projection term applies to unclamped rows only: |f_i| > eps.
      const bool projected = p.normalize && std::sqrt(graw_ii) > double(p.eps);
      double c = 0.0;  // c_i = sum_j S_ij G_ij
      for (int64_t j = 0; j < batch; ++j) {
        const double s = double(dg[i * batch + j]) + double(dg[j * batch + i]);
        const double scaled = s * inv[i] * inv[j];  // S_ij / (r_i r_j)
        if (projected) c += scaled * double(graw[i * batch + j]);
        // A zero row j contributes nothing; keeping its column 0 avoids 0 * (huge / eps^2).
        m[i * batch + j] = graw[j * batch + j] == 0.0f ? 0.0f : static_cast<float>(scaled);
      }
      if (projected && graw_ii != 0.0) {
        const double s_ii = 2.0 * double(dg[i * batch + i]);
        m[i * batch + i] = static_cast<float>((s_ii - c) * inv[i] * inv[i]);
      }
    }
    sgemm(threads, false, false, batch, dim, batch, 1.0f, m.data(), batch, f, dim, 0.0f,
          dfeatures[l], dim);
  }
}

}  // namespace kdlts::cpu
