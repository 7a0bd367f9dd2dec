// The C API: argument validation shared by every backend, the one backend dispatch switch, and
// the conversion of every C++ exception into a status code plus a thread-local message.
#include <cmath>
#include <cstring>
#include <new>
#include <string>

#include "api_util.hpp"
#include "cpu/ops.hpp"
#include "error.hpp"
#include "kdlts.h"
#include "parallel.hpp"
#ifdef KDLTS_HAVE_CUDA
#include "cuda/ops.hpp"
#endif

namespace {

using kdlts::fail;
using kdlts::api::guarded;
using kdlts::api::require;
using kdlts::api::use_cuda;

// Validates a list of consecutive group sizes and returns their total.
int64_t total_of_groups(const char* what, int64_t num_groups, const int64_t* sizes) {
  require(num_groups >= 0, std::string(what) + ".num_groups must be >= 0, got " +
                               std::to_string(num_groups));
  require(num_groups == 0 || sizes != nullptr, std::string(what) + ".group_sizes is NULL");
  int64_t total = 0;
  for (int64_t g = 0; g < num_groups; ++g) {
    require(sizes[g] >= 0, std::string(what) + ".group_sizes[" + std::to_string(g) +
                               "] must be >= 0, got " + std::to_string(sizes[g]));
    total += sizes[g];
  }
  return total;
}

void validate_gram(const kdlts_gram_params* p, const float* const* features, const void* out,
                   const char* out_name) {
  require(p != nullptr, "params is NULL");
  require(p->num_blocks >= 0, "params.num_blocks must be >= 0, got " + std::to_string(p->num_blocks));
  require(p->batch >= 0, "params.batch must be >= 0, got " + std::to_string(p->batch));
  require(p->num_blocks == 0 || p->dims != nullptr, "params.dims is NULL");
  require(p->normalize == 0 || p->normalize == 1, "params.normalize must be 0 or 1");
  require(std::isfinite(p->eps) && p->eps >= 0.0f, "params.eps must be finite and >= 0");
  if (p->num_blocks == 0 || p->batch == 0) return;
  require(features != nullptr, "features is NULL");
  require(out != nullptr, std::string(out_name) + " is NULL");
  for (int64_t l = 0; l < p->num_blocks; ++l) {
    const std::string block = "[" + std::to_string(l) + "]";
    require(p->dims[l] >= 0, "params.dims" + block + " must be >= 0, got " + std::to_string(p->dims[l]));
    require(p->dims[l] == 0 || features[l] != nullptr, "features" + block + " is NULL");
  }
}

}  // namespace

std::string& kdlts::api::last_error() {
  thread_local std::string message;
  return message;
}

extern "C" {

const char* kdlts_version(void) { return "0.1.0"; }

const char* kdlts_status_name(kdlts_status status) {
  switch (status) {
    case KDLTS_OK: return "ok";
    case KDLTS_ERR_INVALID_ARGUMENT: return "invalid argument";
    case KDLTS_ERR_NON_FINITE: return "non-finite input";
    case KDLTS_ERR_INFEASIBLE: return "infeasible";
    case KDLTS_ERR_OUT_OF_MEMORY: return "out of memory";
    case KDLTS_ERR_BACKEND: return "backend error";
    case KDLTS_ERR_INTERNAL: return "internal error";
  }
  return "unknown status";
}

const char* kdlts_last_error(void) { return kdlts::api::last_error().c_str(); }

int32_t kdlts_cuda_compiled(void) {
#ifdef KDLTS_HAVE_CUDA
  return 1;
#else
  return 0;
#endif
}

int32_t kdlts_cuda_device_count(void) {
#ifdef KDLTS_HAVE_CUDA
  static const int count = kdlts::cuda::device_count();  // probe once
  return count;
#else
  return 0;
#endif
}

const char* kdlts_gemm_engine(void) { return kdlts::cpu::gemm_engine(); }

int32_t kdlts_hardware_threads(void) { return kdlts::hardware_threads(); }

kdlts_status kdlts_gram_forward(const kdlts_exec* exec, const kdlts_gram_params* params,
                                const float* const* features, float* grams) {
  return guarded([&] {
    validate_gram(params, features, grams, "grams");
    if (params->num_blocks == 0 || params->batch == 0) return;
    if (use_cuda(exec)) {
#ifdef KDLTS_HAVE_CUDA
      kdlts::cuda::gram_forward(*params, features, grams);
#endif
      return;
    }
    kdlts::cpu::gram_forward(kdlts::resolve_threads(exec), *params, features, grams);
  });
}

kdlts_status kdlts_gram_backward(const kdlts_exec* exec, const kdlts_gram_params* params,
                                 const float* const* features, const float* dgrams,
                                 float* const* dfeatures) {
  return guarded([&] {
    validate_gram(params, features, dfeatures, "dfeatures");
    if (params->num_blocks == 0 || params->batch == 0) return;
    require(dgrams != nullptr, "dgrams is NULL");
    for (int64_t l = 0; l < params->num_blocks; ++l) {
      const std::string block = "[" + std::to_string(l) + "]";
      require(params->dims[l] == 0 || dfeatures[l] != nullptr, "dfeatures" + block + " is NULL");
      require(params->dims[l] == 0 || dfeatures[l] != features[l],
              "dfeatures" + block + " must not alias features" + block);
    }
    if (use_cuda(exec)) {
#ifdef KDLTS_HAVE_CUDA
      kdlts::cuda::gram_backward(*params, features, dgrams, dfeatures);
#endif
      return;
    }
    kdlts::cpu::gram_backward(kdlts::resolve_threads(exec), *params, features, dgrams, dfeatures);
  });
}

kdlts_status kdlts_project_capped_simplex(const kdlts_exec* exec,
                                          const kdlts_projection_params* params,
                                          const float* y, float* x, double* thresholds) {
  return guarded([&] {
    require(params != nullptr, "params is NULL");
    const int64_t n = total_of_groups("params", params->num_groups, params->group_sizes);
    require(params->num_groups == 0 || params->budgets != nullptr, "params.budgets is NULL");
    for (int64_t g = 0; g < params->num_groups; ++g) {
      const double k = params->budgets[g];
      const int64_t size = params->group_sizes[g];
      if (!(k >= 0.0 && k <= static_cast<double>(size))) {  // also catches NaN
        fail(KDLTS_ERR_INFEASIBLE, "params.budgets[" + std::to_string(g) + "] = " +
                                       std::to_string(k) + " is outside [0, " +
                                       std::to_string(size) + "] (the group's size)");
      }
    }
    if (n == 0) {
      for (int64_t g = 0; g < params->num_groups && thresholds; ++g) thresholds[g] = 0.0;
      return;
    }
    require(y != nullptr, "y is NULL");
    require(x != nullptr, "x is NULL");
    if (use_cuda(exec)) {
#ifdef KDLTS_HAVE_CUDA
      kdlts::cuda::project_capped_simplex(*params, y, x, thresholds);
#endif
      return;
    }
    kdlts::cpu::project_capped_simplex(kdlts::resolve_threads(exec), *params, y, x, thresholds);
  });
}

kdlts_status kdlts_topk_mask(const kdlts_exec* exec, const kdlts_topk_params* params,
                             const float* scores, void* mask) {
  return guarded([&] {
    require(params != nullptr, "params is NULL");
    const int64_t n = total_of_groups("params", params->num_groups, params->group_sizes);
    require(params->mask_type == KDLTS_MASK_U8 || params->mask_type == KDLTS_MASK_F32,
            "params.mask_type must be KDLTS_MASK_U8 or KDLTS_MASK_F32");
    require(params->num_groups == 0 || params->k != nullptr, "params.k is NULL");
    for (int64_t g = 0; g < params->num_groups; ++g) {
      const int64_t k = params->k[g];
      const int64_t size = params->group_sizes[g];
      if (k < 0 || k > size) {
        fail(KDLTS_ERR_INFEASIBLE, "params.k[" + std::to_string(g) + "] = " + std::to_string(k) +
                                       " is outside [0, " + std::to_string(size) +
                                       "] (the group's size)");
      }
    }
    if (n == 0) return;
    require(scores != nullptr, "scores is NULL");
    require(mask != nullptr, "mask is NULL");
    if (use_cuda(exec)) {
#ifdef KDLTS_HAVE_CUDA
      kdlts::cuda::topk_mask(*params, scores, mask);
#endif
      return;
    }
    kdlts::cpu::topk_mask(kdlts::resolve_threads(exec), *params, scores, mask);
  });
}

kdlts_status kdlts_sgemm(const kdlts_exec* exec, int32_t trans_a, int32_t trans_b, int64_t m,
                         int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                         const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  return guarded([&] {
    require(m >= 0 && n >= 0 && k >= 0, "sgemm: m, n and k must be >= 0");
    require((trans_a == 0 || trans_a == 1) && (trans_b == 0 || trans_b == 1),
            "sgemm: trans_a and trans_b must be 0 or 1");
    if (m == 0 || n == 0) return;
    require(c != nullptr, "sgemm: c is NULL");
    require(ldc >= n, "sgemm: ldc must be >= n");
    if (k > 0) {
      require(a != nullptr, "sgemm: a is NULL");
      require(b != nullptr, "sgemm: b is NULL");
      require(lda >= (trans_a ? m : k), "sgemm: lda is smaller than a row of op(A)'s storage");
      require(ldb >= (trans_b ? k : n), "sgemm: ldb is smaller than a row of op(B)'s storage");
    }
    kdlts::cpu::sgemm(kdlts::resolve_threads(exec), trans_a != 0, trans_b != 0, m, n, k, alpha,
                      a, lda, b, ldb, beta, c, ldc);
  });
}

kdlts_status kdlts_copy_f32(const kdlts_exec* exec, const float* src, float* dst, int64_t n) {
  return guarded([&] {
    require(n >= 0, "copy: n must be >= 0");
    if (n == 0) return;
    require(src != nullptr && dst != nullptr, "copy: src or dst is NULL");
    kdlts::cpu::copy_f32(kdlts::resolve_threads(exec), src, dst, n);
  });
}

}  // extern "C"
