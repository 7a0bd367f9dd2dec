// Batched matrix products with a fused bias and activation (tfjs BatchMatMul / _FusedMatMul).
//
// Every product runs on the built-in GEMM engine (gemm_builtin.cpp), not through the BLAS
// dispatch: its results are bitwise independent of the thread count, which kdlts_nn.h promises,
// and on AVX-512 it is the faster engine anyway. The bias and activation are a second pass over
// C (C is small next to the product's work: m x n against m x n x k).
#include <algorithm>
#include <cstdint>

#include "cpu/gemm.hpp"
#include "cpu/nn/conv_ops.hpp"
#include "parallel.hpp"

namespace kdlts::cpu {

void matmul(int threads, const kdlts_matmul_params& p, const float* a, const float* b,
            const float* bias, float* c) {
  const int64_t batch = p.batch_a == 1 ? p.batch_b : p.batch_a;
  const int64_t m = p.m, n = p.n, k = p.k;
  if (batch <= 0 || m <= 0 || n <= 0) return;
  const bool ta = p.trans_a != 0, tb = p.trans_b != 0;
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  const int64_t stride_a = p.batch_a == 1 ? 0 : m * k, stride_b = p.batch_b == 1 ? 0 : k * n;

  if (batch > 1 && !ta && p.batch_b == 1) {
    // One B for every A[b], A row-major: the stack of A is a single (batch * m) x k matrix.
    // Same per-element arithmetic as the per-batch products, fewer and larger GEMM tiles.
    sgemm_builtin(threads, false, tb, batch * m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
  } else if (batch > 1 && m * n * k < (int64_t{1} << 18)) {
    // Many small products: one per task (each on one thread) rather than each one split.
    parallel_for(batch, threads, [&](int64_t i) {
      sgemm_builtin(1, ta, tb, m, n, k, 1.0f, a + i * stride_a, lda, b + i * stride_b, ldb, 0.0f,
                    c + i * m * n, n);
    });
  } else {
    for (int64_t i = 0; i < batch; ++i)
      sgemm_builtin(threads, ta, tb, m, n, k, 1.0f, a + i * stride_a, lda, b + i * stride_b, ldb,
                    0.0f, c + i * m * n, n);
  }

  const bool relu = p.activation == KDLTS_ACTIVATION_RELU;
  if (!bias && !relu) return;
  // Epilogue: c = act(c + bias), rows in parallel. Relu keeps NaN (max(0, NaN) is NaN in tfjs).
  const int64_t rows = batch * m;
  const int64_t rows_per_task = std::max<int64_t>(1, (int64_t{1} << 15) / n);
  parallel_for(chunk_count(rows, rows_per_task), threads, [&](int64_t task) {
    const int64_t end = std::min(rows, (task + 1) * rows_per_task);
    for (int64_t i = task * rows_per_task; i < end; ++i) {
      float* row = c + i * n;
      if (bias)
        for (int64_t j = 0; j < n; ++j) row[j] += bias[j];
      if (relu)
        for (int64_t j = 0; j < n; ++j) row[j] = row[j] < 0.0f ? 0.0f : row[j];
    }
  });
}

}  // namespace kdlts::cpu
