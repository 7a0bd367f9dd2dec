// A tiny test harness for the ctest suite (no external test framework: the suite must build on
// a GPU machine that has only CMake and a compiler).
//
//   KDLTS_TEST(topk, ties_keep_lower_index) { ... CHECK(cond) << "detail"; ... }
//
// `kdlts_tests OP BACKEND` runs every case registered for OP on BACKEND (cpu or cuda) and exits
// 0 (all passed), 1 (a case failed) or 77 (backend unavailable: ctest reports it as skipped).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kdlts.h"

namespace kdlts_test {

struct Context {
  kdlts_exec exec{KDLTS_BACKEND_CPU, 0};
  std::string backend = "cpu";
  std::mt19937_64 rng{12345};
  int failures = 0;
  bool cuda() const { return exec.backend == KDLTS_BACKEND_CUDA; }
};

struct Case {
  std::string op;
  std::string name;
  std::function<void(Context&)> fn;
};

inline std::vector<Case>& registry() {
  static std::vector<Case> cases;
  return cases;
}

struct Registrar {
  Registrar(const char* op, const char* name, std::function<void(Context&)> fn) {
    registry().push_back({op, name, std::move(fn)});
  }
};

// Collects a failure message; reports it when destroyed (so `CHECK(x) << "detail"` works).
class Failure {
 public:
  Failure(Context& ctx, const char* file, int line, const char* expr) : ctx_(ctx) {
    ++ctx_.failures;
    msg_ << file << ":" << line << ": CHECK(" << expr << ") failed";
  }
  ~Failure() { std::cerr << "    " << msg_.str() << "\n"; }
  template <typename T>
  Failure& operator<<(const T& v) {
    msg_ << (first_ ? ": " : "") << v;
    first_ = false;
    return *this;
  }

 private:
  Context& ctx_;
  std::ostringstream msg_;
  bool first_ = true;
};

// Helpers for random inputs.
inline std::vector<float> uniform(Context& ctx, int64_t n, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = dist(ctx.rng);
  return v;
}

inline std::vector<float> normal(Context& ctx, int64_t n, float mean = 0.0f, float stddev = 1.0f) {
  std::normal_distribution<float> dist(mean, stddev);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = dist(ctx.rng);
  return v;
}

// Largest |a_i - b_i| / (atol + rtol |b_i|) over two arrays: <= 1 means "within tolerance".
template <typename A, typename B>
double tolerance_ratio(const A* a, const B* b, int64_t n, double atol, double rtol) {
  double worst = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double err = std::fabs(double(a[i]) - double(b[i]));
    const double r = err / (atol + rtol * std::fabs(double(b[i])));
    if (!(r <= worst)) worst = r;  // NaN propagates as "worst"
  }
  return worst;
}

}  // namespace kdlts_test

#define KDLTS_CONCAT_(a, b) a##b
#define KDLTS_CONCAT(a, b) KDLTS_CONCAT_(a, b)
#define KDLTS_TEST(op, name)                                                          \
  static void KDLTS_CONCAT(test_##op##_, name)(kdlts_test::Context & ctx);            \
  static kdlts_test::Registrar KDLTS_CONCAT(registrar_##op##_, name)(                 \
      #op, #name, KDLTS_CONCAT(test_##op##_, name));                                  \
  static void KDLTS_CONCAT(test_##op##_, name)(kdlts_test::Context & ctx)

#define CHECK(cond) \
  if (cond) {       \
  } else            \
    kdlts_test::Failure(ctx, __FILE__, __LINE__, #cond)

// Checks that a call returns `expected`, and that the message names `fragment`.
#define CHECK_STATUS(call, expected, fragment)                                              \
  do {                                                                                      \
    const kdlts_status status_ = (call);                                                    \
    CHECK(status_ == (expected)) << "got " << kdlts_status_name(status_) << " ("            \
                                 << kdlts_last_error() << "), expected "                    \
                                 << kdlts_status_name(expected);                            \
    CHECK(std::string(kdlts_last_error()).find(fragment) != std::string::npos)              \
        << "message '" << kdlts_last_error() << "' does not mention '" << (fragment) << "'"; \
  } while (0)

#define CHECK_OK(call)                                                                    \
  do {                                                                                    \
    const kdlts_status status_ = (call);                                                  \
    CHECK(status_ == KDLTS_OK) << kdlts_status_name(status_) << ": " << kdlts_last_error(); \
  } while (0)
