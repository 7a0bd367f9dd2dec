// The CPU backend's ops. Arguments arrive validated by api.cpp (sizes, pointers, budgets); a
// kernel checks only what needs the data itself (NaN/Inf) and throws kdlts::Error.
// `threads` is the number of CPU threads to use (>= 1).
#pragma once

#include <cstdint>

#include "kdlts.h"

namespace kdlts::cpu {

void gram_forward(int threads, const kdlts_gram_params& params, const float* const* features,
                  float* grams);
void gram_backward(int threads, const kdlts_gram_params& params, const float* const* features,
                   const float* dgrams, float* const* dfeatures);

void project_capped_simplex(int threads, const kdlts_projection_params& params, const float* y,
                            float* x, double* thresholds);

void topk_mask(int threads, const kdlts_topk_params& params, const float* scores, void* mask);

// Row-major C = alpha * op(A) op(B) + beta * C.
void sgemm(int threads, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
           int64_t ldc);
const char* gemm_engine();

void copy_f32(int threads, const float* src, float* dst, int64_t n);

}  // namespace kdlts::cpu
