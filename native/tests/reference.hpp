// Plain reference implementations: the definitions every backend is tested against.
// Straightforward loops and sorts in double precision; no speed, no cleverness.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

namespace ref {

// G = F^ F^T with f^_i = f_i / max(|f_i|, eps) (or F F^T when !normalize). F is B x D.
inline std::vector<double> gram_forward(const float* f, int64_t batch, int64_t dim, bool normalize,
                                        double eps) {
  std::vector<double> scale(static_cast<size_t>(batch), 1.0);
  if (normalize) {
    for (int64_t i = 0; i < batch; ++i) {
      double s = 0.0;
      for (int64_t d = 0; d < dim; ++d) s += double(f[i * dim + d]) * f[i * dim + d];
      scale[i] = 1.0 / std::max(std::sqrt(s), eps);
    }
  }
  std::vector<double> g(static_cast<size_t>(batch * batch));
  for (int64_t i = 0; i < batch; ++i) {
    for (int64_t j = 0; j < batch; ++j) {
      double s = 0.0;
      for (int64_t d = 0; d < dim; ++d) s += double(f[i * dim + d]) * f[j * dim + d];
      g[i * batch + j] = s * scale[i] * scale[j];
    }
  }
  return g;
}

// dL/dF given dL/dG for the forward above (dG need not be symmetric).
inline std::vector<double> gram_backward(const float* f, const float* dg, int64_t batch,
                                         int64_t dim, bool normalize, double eps) {
  // f^ and the row norms r (clamped rows have r = eps and no projection term).
  std::vector<double> fh(static_cast<size_t>(batch * dim));
  std::vector<double> r(static_cast<size_t>(batch), 1.0);
  std::vector<bool> clamped(static_cast<size_t>(batch), !normalize);
  for (int64_t i = 0; i < batch; ++i) {
    double s = 0.0;
    for (int64_t d = 0; d < dim; ++d) s += double(f[i * dim + d]) * f[i * dim + d];
    if (normalize) {
      const double norm = std::sqrt(s);
      r[i] = std::max(norm, eps);
      clamped[i] = norm <= eps;
    }
    for (int64_t d = 0; d < dim; ++d) fh[i * dim + d] = f[i * dim + d] / r[i];
  }
  // dF^ = (dG + dG^T) F^
  std::vector<double> dfh(static_cast<size_t>(batch * dim), 0.0);
  for (int64_t i = 0; i < batch; ++i)
    for (int64_t j = 0; j < batch; ++j) {
      const double s = double(dg[i * batch + j]) + dg[j * batch + i];
      for (int64_t d = 0; d < dim; ++d) dfh[i * dim + d] += s * fh[j * dim + d];
    }
  // dF_i = (dF^_i - (dF^_i . f^_i) f^_i) / r_i  (no projection for clamped or unnormalised rows)
  std::vector<double> df(static_cast<size_t>(batch * dim));
  for (int64_t i = 0; i < batch; ++i) {
    double dot = 0.0;
    if (!clamped[i])
      for (int64_t d = 0; d < dim; ++d) dot += dfh[i * dim + d] * fh[i * dim + d];
    for (int64_t d = 0; d < dim; ++d)
      df[i * dim + d] = (dfh[i * dim + d] - dot * fh[i * dim + d]) / r[i];
  }
  return df;
}

// phi(lambda) = sum_i clip(y_i - lambda, 0, 1).
inline double capped_sum(const float* y, int64_t n, double lambda) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += std::min(1.0, std::max(0.0, double(y[i]) - lambda));
  return s;
}

// The Euclidean projection of y onto {x in [0,1]^n : sum x = k} by a sweep over the sorted
// breakpoints {y_i - 1, y_i} of the piecewise-linear phi. Requires 0 <= k <= n.
inline double capped_simplex_threshold(const float* y, int64_t n, double k) {
  if (n == 0) return 0.0;
  const double ymax = *std::max_element(y, y + n);
  const double ymin = *std::min_element(y, y + n);
  if (k <= 0.0) return ymax;
  if (k >= double(n)) return ymin - 1.0;
  struct Event {
    double at;
    int delta;  // +1: an element enters the linear part, -1: it leaves it
  };
  std::vector<Event> events;
  events.reserve(static_cast<size_t>(2 * n));
  for (int64_t i = 0; i < n; ++i) {
    events.push_back({double(y[i]) - 1.0, +1});
    events.push_back({double(y[i]), -1});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.at < b.at; });
  double prev = events[0].at, phi = double(n);
  int64_t active = 0;
  for (size_t e = 0; e < events.size();) {
    const double at = events[e].at;
    const double next_phi = phi - double(active) * (at - prev);
    if (next_phi <= k) return active > 0 ? prev + (phi - k) / double(active) : prev;
    phi = next_phi;
    prev = at;
    for (; e < events.size() && events[e].at == at; ++e) active += events[e].delta;
  }
  return prev;  // unreachable for 0 < k < n
}

inline std::vector<double> project_capped_simplex(const float* y, int64_t n, double k,
                                                  double* lambda_out = nullptr) {
  const double lambda = capped_simplex_threshold(y, n, k);
  if (lambda_out) *lambda_out = lambda;
  std::vector<double> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) x[i] = std::min(1.0, std::max(0.0, double(y[i]) - lambda));
  return x;
}

// Exactly k ones at the k largest scores; ties keep the lower index; -0.0 == +0.0.
inline std::vector<uint8_t> topk_mask(const float* s, int64_t n, int64_t k) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return s[a] > s[b]; });
  std::vector<uint8_t> mask(static_cast<size_t>(n), 0);
  for (int64_t i = 0; i < k; ++i) mask[order[i]] = 1;
  return mask;
}

}  // namespace ref
