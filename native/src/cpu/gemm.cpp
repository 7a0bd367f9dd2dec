// GEMM dispatch: CBLAS (OpenBLAS) when compiled in, else the built-in engine (gemm_builtin.cpp).
//
// The environment variable KDLTS_GEMM (read once) picks the engine at run time, so benchmarks can
// compare both in one build: "builtin" forces the built-in engine, "blas" forces BLAS. Unset, BLAS
// is used unless it is an OpenBLAS that picked an SSE-era kernel on a CPU with AVX2: Debian's
// OpenBLAS 0.3.21 does so on Sapphire Rapids ("Prescott"), running ~4x below the built-in engine.
#include <cctype>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>

#include "cpu/gemm.hpp"
#include "cpu/ops.hpp"

#ifdef KDLTS_HAVE_CBLAS
#include <cblas.h>
#ifdef KDLTS_HAVE_OPENBLAS
extern "C" void openblas_set_num_threads(int num_threads);
extern "C" char* openblas_get_corename(void);
#endif
#endif

namespace kdlts::cpu {
namespace {

#ifdef KDLTS_HAVE_OPENBLAS
// True when OpenBLAS runs a pre-AVX2 kernel although the CPU has AVX2 (a CPU its dispatch does
// not know): the built-in engine is then several times faster.
bool openblas_misdetected() {
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
  if (!__builtin_cpu_supports("avx2")) return false;
  std::string core = openblas_get_corename() ? openblas_get_corename() : "";
  for (char& ch : core) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (const char* avx2_core :
       {"haswell", "zen", "skylakex", "cooperlake", "sapphirerapids", "excavator"})
    if (core.find(avx2_core) != std::string::npos) return false;
  return true;
#else
  return false;
#endif
}
#endif

bool builtin_preferred() {
  static const bool preferred = [] {
    const char* value = std::getenv("KDLTS_GEMM");
    if (value != nullptr && std::strcmp(value, "builtin") == 0) return true;
    if (value != nullptr && std::strcmp(value, "blas") == 0) return false;
#ifdef KDLTS_HAVE_OPENBLAS
    return openblas_misdetected();
#else
    return false;
#endif
  }();
  return preferred;
}

// Whether BLAS runs this call: compiled in, not overridden, and sizes within its int range.
bool use_blas(std::initializer_list<int64_t> sizes) {
#ifdef KDLTS_HAVE_CBLAS
  if (builtin_preferred()) return false;
  for (int64_t size : sizes)
    if (size > INT_MAX) return false;
  return true;
#else
  (void)sizes;
  return false;
#endif
}

}  // namespace

void sgemm(int threads, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
           int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  // k == 0 and alpha == 0 only scale C: the built-in engine does that without touching A or B
  // (BLAS implementations disagree on whether beta == 0 then clears NaN).
  const bool scale_only = k == 0 || alpha == 0.0f;
  if (!scale_only && use_blas({m, n, k, lda, ldb, ldc})) {
#ifdef KDLTS_HAVE_CBLAS
#ifdef KDLTS_HAVE_OPENBLAS
    openblas_set_num_threads(threads);
#endif
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
                static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb),
                beta, c, static_cast<int>(ldc));
    return;
#endif
  }
  sgemm_builtin(threads, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void syrk(int threads, int64_t n, int64_t k, const float* a, int64_t lda, float* c, int64_t ldc) {
  if (n <= 0) return;
  if (k > 0 && use_blas({n, k, lda, ldc})) {
#ifdef KDLTS_HAVE_CBLAS
#ifdef KDLTS_HAVE_OPENBLAS
    openblas_set_num_threads(threads);
#endif
    // OpenBLAS 0.3.21 runs ssyrk single-threaded at n = 128 (the Gram shape): half the flops,
    // but with 2 threads its sgemm is faster (12.0 vs 13.7 ms at 128 x 65536).
    if (threads == 1) {
      cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, static_cast<int>(n),
                  static_cast<int>(k), 1.0f, a, static_cast<int>(lda), 0.0f, c,
                  static_cast<int>(ldc));
    } else {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n),
                  static_cast<int>(n), static_cast<int>(k), 1.0f, a, static_cast<int>(lda), a,
                  static_cast<int>(lda), 0.0f, c, static_cast<int>(ldc));
    }
#endif
  } else {
    syrk_upper_builtin(threads, n, k, a, lda, c, ldc);
  }
  for (int64_t i = 1; i < n; ++i)
    for (int64_t j = 0; j < i; ++j) c[i * ldc + j] = c[j * ldc + i];
}

const char* gemm_engine() {
  if (builtin_preferred()) return "builtin";
#if defined(KDLTS_HAVE_OPENBLAS)
  return "openblas";
#elif defined(KDLTS_HAVE_CBLAS)
  return "cblas";
#else
  return "builtin";
#endif
}

}  // namespace kdlts::cpu
