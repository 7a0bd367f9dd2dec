/*
 * kdlts.h — the C API of the kdlts native core.
 *
 * Plain C (C99 / C++17 compatible): status codes, plain structs, caller-owned buffers.
 * Nothing here allocates memory the caller must free, and nothing aborts: every failure
 * returns a status code and leaves a message naming the offending argument, readable with
 * kdlts_last_error() on the same thread.
 *
 * Ops (each has a CPU implementation; a CUDA one is used when compiled in and a device exists):
 *   - kdlts_gram_forward / kdlts_gram_backward: batched Gram matrices of L feature blocks.
 *   - kdlts_project_capped_simplex: batched Euclidean projection onto {x in [0,1]^n : sum x = k}.
 *   - kdlts_topk_mask: exact top-k mask selection, globally or per group.
 *   - kdlts_sgemm, kdlts_copy_f32: the building blocks whose speed bounds the ops above.
 *
 * All matrices are float32, row-major. Sizes are int64_t. Pointers to zero-length buffers
 * may be NULL.
 */
#ifndef KDLTS_H
#define KDLTS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KDLTS_VERSION_MAJOR 0
#define KDLTS_VERSION_MINOR 1
#define KDLTS_VERSION_PATCH 0

typedef enum kdlts_status {
  KDLTS_OK = 0,
  KDLTS_ERR_INVALID_ARGUMENT = 1, /* NULL pointer, negative size, inconsistent shapes */
  KDLTS_ERR_NON_FINITE = 2,       /* NaN (or Inf where not allowed) in an input */
  KDLTS_ERR_INFEASIBLE = 3,       /* e.g. a projection budget k outside [0, n] */
  KDLTS_ERR_OUT_OF_MEMORY = 4,
  KDLTS_ERR_BACKEND = 5,          /* a backend (CUDA) failed or was requested but is absent */
  KDLTS_ERR_INTERNAL = 6
} kdlts_status;

typedef enum kdlts_backend {
  KDLTS_BACKEND_AUTO = 0, /* CUDA when compiled in and a device is present, else CPU */
  KDLTS_BACKEND_CPU = 1,
  KDLTS_BACKEND_CUDA = 2  /* fails with KDLTS_ERR_BACKEND when unavailable */
} kdlts_backend;

/* How to run an op. Pass NULL for the defaults (AUTO backend, all hardware threads). */
typedef struct kdlts_exec {
  int32_t backend;     /* a kdlts_backend */
  int32_t num_threads; /* CPU threads; <= 0 means all hardware threads */
} kdlts_exec;

/* ---- library information ------------------------------------------------------------- */

const char* kdlts_version(void);
const char* kdlts_status_name(kdlts_status status);
/* The message of the last failed call on this thread ("" when none). */
const char* kdlts_last_error(void);
/* 1 when the library was compiled with CUDA support, else 0. */
int32_t kdlts_cuda_compiled(void);
/* Number of usable CUDA devices (0 when none or not compiled in). Never fails. */
int32_t kdlts_cuda_device_count(void);
/* The GEMM engine in use: "openblas", "cblas" or "builtin". The built-in engine replaces a BLAS
 * that runs pre-AVX2 kernels on an AVX2 CPU; KDLTS_GEMM=blas|builtin overrides (read once). */
const char* kdlts_gemm_engine(void);
/* Number of hardware threads the CPU backend uses by default. */
int32_t kdlts_hardware_threads(void);

/* ---- 1. batched Gram matrices ---------------------------------------------------------- */

typedef struct kdlts_gram_params {
  int64_t num_blocks;  /* L >= 0 */
  int64_t batch;       /* B >= 0: rows of every block */
  const int64_t* dims; /* D_l >= 0, length L */
  int32_t normalize;   /* 1: rows L2-normalised, G = F^ F^T with f^_i = f_i / max(|f_i|, eps) */
  float eps;           /* norm floor when normalize = 1 (>= 0; 1e-12 is typical) */
} kdlts_gram_params;

/* grams (L*B*B, block l at offset l*B*B) = F^_l F^_l^T for each block l.
 * features[l] points at a B x D_l row-major block. Inputs must be finite. */
kdlts_status kdlts_gram_forward(const kdlts_exec* exec, const kdlts_gram_params* params,
                                const float* const* features, float* grams);

/* Backward pass: given dL/dG_l (L*B*B, same layout as grams), write dL/dF_l into
 * dfeatures[l] (B x D_l). dG need not be symmetric. dfeatures may not alias features. */
kdlts_status kdlts_gram_backward(const kdlts_exec* exec, const kdlts_gram_params* params,
                                 const float* const* features, const float* dgrams,
                                 float* const* dfeatures);

/* ---- 2. batched capped-simplex projection ---------------------------------------------- */

typedef struct kdlts_projection_params {
  int64_t num_groups;         /* G >= 0 */
  const int64_t* group_sizes; /* n_g >= 0, length G; groups are consecutive in y and x */
  const double* budgets;      /* k_g in [0, n_g], length G (real values allowed) */
} kdlts_projection_params;

/* x = argmin ||x - y||_2 over {x in [0,1]^n_g : sum x = k_g}, for each group independently.
 * Solution: x_i = clip(y_i - lambda_g, 0, 1) with lambda_g found exactly (no fixed iteration
 * count): the result sums to k_g up to float rounding of x. x may alias y.
 * NaN/Inf in y -> KDLTS_ERR_NON_FINITE; k_g outside [0, n_g] -> KDLTS_ERR_INFEASIBLE.
 * thresholds (optional, length G, may be NULL) receives lambda_g. */
kdlts_status kdlts_project_capped_simplex(const kdlts_exec* exec,
                                          const kdlts_projection_params* params,
                                          const float* y, float* x, double* thresholds);

/* ---- 3. top-k mask selection ------------------------------------------------------------ */

typedef enum kdlts_mask_type {
  KDLTS_MASK_U8 = 0,  /* mask is uint8_t: 1 kept, 0 pruned */
  KDLTS_MASK_F32 = 1  /* mask is float: 1.0f kept, 0.0f pruned */
} kdlts_mask_type;

typedef struct kdlts_topk_params {
  int64_t num_groups;         /* G >= 0; G = 1 with n_0 = n is a global top-k */
  const int64_t* group_sizes; /* n_g >= 0, length G; groups are consecutive */
  const int64_t* k;           /* 0 <= k_g <= n_g, length G */
  int32_t mask_type;          /* a kdlts_mask_type */
} kdlts_topk_params;

/* Writes exactly k_g ones per group: the k_g largest scores. Tie rule: among equal scores the
 * lower index is kept; -0.0 equals +0.0. +Inf and -Inf are ordinary (largest / smallest)
 * values; NaN -> KDLTS_ERR_NON_FINITE. Expected O(n): a radix selection, not a sort. */
kdlts_status kdlts_topk_mask(const kdlts_exec* exec, const kdlts_topk_params* params,
                             const float* scores, void* mask);

/* ---- building blocks ------------------------------------------------------------------- */

/* C = alpha * op(A) op(B) + beta * C, row-major, op(X) = X or X^T. lda/ldb/ldc are row strides.
 * CPU only (BLAS when compiled in, else the built-in blocked kernel). */
kdlts_status kdlts_sgemm(const kdlts_exec* exec, int32_t trans_a, int32_t trans_b, int64_t m,
                         int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                         const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

/* dst[0..n) = src[0..n), multi-threaded (a memory-bandwidth probe). */
kdlts_status kdlts_copy_f32(const kdlts_exec* exec, const float* src, float* dst, int64_t n);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KDLTS_H */
