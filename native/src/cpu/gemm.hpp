// Internal GEMM declarations beside ops.hpp's kdlts::cpu::sgemm (which dispatches to BLAS or
// to the built-in engine below).
#pragma once

#include <cstdint>

namespace kdlts::cpu {

// The built-in blocked, packed GEMM: row-major C = alpha * op(A) op(B) + beta * C. Always
// compiled (it runs when no BLAS is linked or KDLTS_GEMM=builtin). beta == 0 overwrites C (NaN
// included); k == 0 or alpha == 0 only scales C. Results are bitwise independent of `threads`.
void sgemm_builtin(int threads, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                   float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                   float beta, float* c, int64_t ldc);

// C = A A^T for row-major A (n x k), both triangles written (exactly symmetric): the Gram product.
// With BLAS: ssyrk (1 thread) or sgemm (threads > 1); else syrk_upper_builtin. The upper
// triangle is then mirrored onto the lower one.
void syrk(int threads, int64_t n, int64_t k, const float* a, int64_t lda, float* c, int64_t ldc);

// The built-in engine on the tiles of C = A A^T that touch its upper triangle (j >= i): about
// half the work of the GEMM. C's strict lower triangle is left unspecified.
void syrk_upper_builtin(int threads, int64_t n, int64_t k, const float* a, int64_t lda, float* c,
                        int64_t ldc);

}  // namespace kdlts::cpu
