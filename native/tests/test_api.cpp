// The C API's shared contract: argument validation, status codes and messages, backend
// selection, and the library information functions. Runs on the CPU only (validation happens
// before any backend is chosen).
#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <limits>
#include <string>
#include <vector>

#include "harness.hpp"
#include "parallel.hpp"

KDLTS_TEST(api, library_information) {
  CHECK(std::string(kdlts_version()) == "0.1.0");
  const std::string engine = kdlts_gemm_engine();
  CHECK(engine == "openblas" || engine == "cblas" || engine == "builtin") << engine;
  CHECK(kdlts_hardware_threads() >= 1);
  CHECK(kdlts_cuda_device_count() >= 0);
  if (!kdlts_cuda_compiled()) {
    CHECK(kdlts_cuda_device_count() == 0);
  }
  CHECK(std::string(kdlts_status_name(KDLTS_ERR_INFEASIBLE)) == "infeasible");
  CHECK(std::string(kdlts_status_name(static_cast<kdlts_status>(99))) == "unknown status");
}

KDLTS_TEST(api, success_clears_last_error) {
  const int64_t sizes[] = {2};
  const double bad[] = {5.0};
  const double good[] = {1.0};
  const float y[] = {0.25f, 0.5f};
  float x[2];
  kdlts_projection_params params{1, sizes, bad};
  CHECK(kdlts_project_capped_simplex(&ctx.exec, &params, y, x, nullptr) == KDLTS_ERR_INFEASIBLE);
  CHECK(std::strlen(kdlts_last_error()) > 0);
  params.budgets = good;
  CHECK_OK(kdlts_project_capped_simplex(&ctx.exec, &params, y, x, nullptr));
  CHECK(std::string(kdlts_last_error()).empty()) << kdlts_last_error();
}

KDLTS_TEST(api, null_and_negative_arguments_are_named) {
  const float y[] = {1.0f};
  float x[1];
  const int64_t sizes[] = {1}, negative[] = {-1};
  const double budgets[] = {0.5};
  CHECK_STATUS(kdlts_project_capped_simplex(&ctx.exec, nullptr, y, x, nullptr), KDLTS_ERR_INVALID_ARGUMENT, "params");
  kdlts_projection_params p{1, nullptr, budgets};
  CHECK_STATUS(kdlts_project_capped_simplex(&ctx.exec, &p, y, x, nullptr), KDLTS_ERR_INVALID_ARGUMENT, "group_sizes");
  p.group_sizes = negative;
  CHECK_STATUS(kdlts_project_capped_simplex(&ctx.exec, &p, y, x, nullptr), KDLTS_ERR_INVALID_ARGUMENT, "group_sizes[0]");
  p.group_sizes = sizes;
  CHECK_STATUS(kdlts_project_capped_simplex(&ctx.exec, &p, nullptr, x, nullptr), KDLTS_ERR_INVALID_ARGUMENT, "y");
  CHECK_STATUS(kdlts_project_capped_simplex(&ctx.exec, &p, y, nullptr, nullptr), KDLTS_ERR_INVALID_ARGUMENT, "x");
  p.budgets = nullptr;
  CHECK_STATUS(kdlts_project_capped_simplex(&ctx.exec, &p, y, x, nullptr), KDLTS_ERR_INVALID_ARGUMENT, "budgets");

  const int64_t k[] = {1};
  uint8_t mask[1];
  kdlts_topk_params t{1, sizes, k, KDLTS_MASK_U8};
  CHECK_STATUS(kdlts_topk_mask(&ctx.exec, &t, nullptr, mask), KDLTS_ERR_INVALID_ARGUMENT, "scores");
  CHECK_STATUS(kdlts_topk_mask(&ctx.exec, &t, y, nullptr), KDLTS_ERR_INVALID_ARGUMENT, "mask");
  t.mask_type = 7;
  CHECK_STATUS(kdlts_topk_mask(&ctx.exec, &t, y, mask), KDLTS_ERR_INVALID_ARGUMENT, "mask_type");
  t.mask_type = KDLTS_MASK_U8;
  t.num_groups = -1;
  CHECK_STATUS(kdlts_topk_mask(&ctx.exec, &t, y, mask), KDLTS_ERR_INVALID_ARGUMENT, "num_groups");

  const int64_t dims[] = {1};
  const float* features[] = {y};
  float g[1];
  kdlts_gram_params gp{1, 1, dims, 1, 1e-12f};
  CHECK_STATUS(kdlts_gram_forward(&ctx.exec, &gp, nullptr, g), KDLTS_ERR_INVALID_ARGUMENT, "features");
  CHECK_STATUS(kdlts_gram_forward(&ctx.exec, &gp, features, nullptr), KDLTS_ERR_INVALID_ARGUMENT, "grams");
  gp.eps = -1.0f;
  CHECK_STATUS(kdlts_gram_forward(&ctx.exec, &gp, features, g), KDLTS_ERR_INVALID_ARGUMENT, "eps");
  gp.eps = 1e-12f;
  gp.normalize = 2;
  CHECK_STATUS(kdlts_gram_forward(&ctx.exec, &gp, features, g), KDLTS_ERR_INVALID_ARGUMENT, "normalize");
  gp.normalize = 1;
  const int64_t negative_dims[] = {-3};
  gp.dims = negative_dims;
  CHECK_STATUS(kdlts_gram_forward(&ctx.exec, &gp, features, g), KDLTS_ERR_INVALID_ARGUMENT, "dims[0]");
  gp.dims = dims;
  float dfeature[1];
  float* dfeatures[] = {const_cast<float*>(y)};
  CHECK_STATUS(kdlts_gram_backward(&ctx.exec, &gp, features, g, dfeatures), KDLTS_ERR_INVALID_ARGUMENT, "alias");
  dfeatures[0] = dfeature;
  CHECK_STATUS(kdlts_gram_backward(&ctx.exec, &gp, features, nullptr, dfeatures), KDLTS_ERR_INVALID_ARGUMENT, "dgrams");
}

KDLTS_TEST(api, infeasible_budgets_name_the_group) {
  const float y[] = {0.f, 0.f, 0.f, 0.f, 0.f};
  float x[5];
  const int64_t sizes[] = {2, 3};
  const double over[] = {1.0, 3.5}, under[] = {-0.5, 1.0};
  const double nan[] = {std::numeric_limits<double>::quiet_NaN(), 1.0};
  kdlts_projection_params p{2, sizes, over};
  CHECK_STATUS(kdlts_project_capped_simplex(&ctx.exec, &p, y, x, nullptr), KDLTS_ERR_INFEASIBLE, "budgets[1]");
  p.budgets = under;
  CHECK_STATUS(kdlts_project_capped_simplex(&ctx.exec, &p, y, x, nullptr), KDLTS_ERR_INFEASIBLE, "budgets[0]");
  p.budgets = nan;
  CHECK_STATUS(kdlts_project_capped_simplex(&ctx.exec, &p, y, x, nullptr), KDLTS_ERR_INFEASIBLE, "budgets[0]");

  const int64_t k_over[] = {2, 4}, k_under[] = {-1, 0};
  uint8_t mask[5];
  kdlts_topk_params t{2, sizes, k_over, KDLTS_MASK_U8};
  CHECK_STATUS(kdlts_topk_mask(&ctx.exec, &t, y, mask), KDLTS_ERR_INFEASIBLE, "k[1]");
  t.k = k_under;
  CHECK_STATUS(kdlts_topk_mask(&ctx.exec, &t, y, mask), KDLTS_ERR_INFEASIBLE, "k[0]");
}

KDLTS_TEST(api, empty_inputs_are_fine_with_null_buffers) {
  kdlts_projection_params p{0, nullptr, nullptr};
  CHECK_OK(kdlts_project_capped_simplex(&ctx.exec, &p, nullptr, nullptr, nullptr));
  const int64_t zero[] = {0};
  const double budget0[] = {0.0};
  double threshold = 42.0;
  p = {1, zero, budget0};
  CHECK_OK(kdlts_project_capped_simplex(&ctx.exec, &p, nullptr, nullptr, &threshold));
  const int64_t k0[] = {0};
  kdlts_topk_params t{1, zero, k0, KDLTS_MASK_F32};
  CHECK_OK(kdlts_topk_mask(&ctx.exec, &t, nullptr, nullptr));
  kdlts_gram_params g{0, 128, nullptr, 1, 0.0f};
  CHECK_OK(kdlts_gram_forward(&ctx.exec, &g, nullptr, nullptr));
  CHECK_OK(kdlts_gram_backward(&ctx.exec, &g, nullptr, nullptr, nullptr));
  CHECK_OK(kdlts_sgemm(&ctx.exec, 0, 0, 0, 5, 5, 1.0f, nullptr, 5, nullptr, 5, 0.0f, nullptr, 5));
  CHECK_OK(kdlts_copy_f32(&ctx.exec, nullptr, nullptr, 0));
}

KDLTS_TEST(api, backend_selection) {
  const float y[] = {0.5f, 0.25f};
  float x[2];
  const int64_t sizes[] = {2};
  const double budgets[] = {1.0};
  const kdlts_projection_params p{1, sizes, budgets};
  kdlts_exec exec{KDLTS_BACKEND_CPU, 1};
  CHECK_OK(kdlts_project_capped_simplex(&exec, &p, y, x, nullptr));
  CHECK_OK(kdlts_project_capped_simplex(nullptr, &p, y, x, nullptr));  // NULL exec = defaults
  exec.backend = 9;
  CHECK_STATUS(kdlts_project_capped_simplex(&exec, &p, y, x, nullptr), KDLTS_ERR_INVALID_ARGUMENT, "backend");
  exec.backend = KDLTS_BACKEND_CUDA;
  if (kdlts_cuda_device_count() == 0) {
    CHECK_STATUS(kdlts_project_capped_simplex(&exec, &p, y, x, nullptr), KDLTS_ERR_BACKEND, "CUDA");
  } else {
    CHECK_OK(kdlts_project_capped_simplex(&exec, &p, y, x, nullptr));
  }
}

KDLTS_TEST(api, sgemm_shape_checks) {
  const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 0, 1, 1, 1};
  float c[4];
  CHECK_STATUS(kdlts_sgemm(&ctx.exec, 2, 0, 2, 2, 3, 1.f, a, 3, b, 2, 0.f, c, 2), KDLTS_ERR_INVALID_ARGUMENT, "trans_a");
  CHECK_STATUS(kdlts_sgemm(&ctx.exec, 0, 0, -1, 2, 3, 1.f, a, 3, b, 2, 0.f, c, 2), KDLTS_ERR_INVALID_ARGUMENT, ">= 0");
  CHECK_STATUS(kdlts_sgemm(&ctx.exec, 0, 0, 2, 2, 3, 1.f, a, 2, b, 2, 0.f, c, 2), KDLTS_ERR_INVALID_ARGUMENT, "lda");
  CHECK_STATUS(kdlts_sgemm(&ctx.exec, 0, 0, 2, 2, 3, 1.f, a, 3, b, 1, 0.f, c, 2), KDLTS_ERR_INVALID_ARGUMENT, "ldb");
  CHECK_STATUS(kdlts_sgemm(&ctx.exec, 0, 0, 2, 2, 3, 1.f, a, 3, b, 2, 0.f, c, 1), KDLTS_ERR_INVALID_ARGUMENT, "ldc");
  CHECK_STATUS(kdlts_sgemm(&ctx.exec, 0, 0, 2, 2, 3, 1.f, nullptr, 3, b, 2, 0.f, c, 2), KDLTS_ERR_INVALID_ARGUMENT, "a is NULL");
  CHECK_OK(kdlts_sgemm(&ctx.exec, 0, 0, 2, 2, 3, 1.f, a, 3, b, 2, 0.f, c, 2));
  // [1 2 3; 4 5 6] x [1 0; 0 1; 1 1] = [4 5; 10 11]
  CHECK(c[0] == 4.f && c[1] == 5.f && c[2] == 10.f && c[3] == 11.f) << c[0] << " " << c[1] << " " << c[2] << " " << c[3];
}

// The pool hands out back-to-back jobs with changing helper counts (workers spinning, sleeping
// and waking late): every task runs exactly once per job, and a task's exception reaches the
// caller with the pool still usable.
KDLTS_TEST(api, thread_pool_back_to_back_jobs) {
  std::vector<std::atomic<int>> hits(64);
  const int thread_counts[] = {2, 3, 7, 1, 4};
  for (int job = 0; job < 20000; ++job) {
    const int64_t tasks = 1 + job % 9;
    for (int64_t t = 0; t < tasks; ++t) hits[t].store(0);
    kdlts::parallel_for(tasks, thread_counts[job % 5], [&](int64_t t) { hits[t].fetch_add(1); });
    for (int64_t t = 0; t < tasks; ++t) {
      if (hits[t].load() != 1) {
        CHECK(hits[t].load() == 1) << "job " << job << " task " << t << " ran " << hits[t].load() << " times";
        return;
      }
    }
    if (job % 2000 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));  // let workers sleep
  }
  bool thrown = false;
  try {
    kdlts::parallel_for(16, 2, [](int64_t t) {
      if (t == 5) throw std::runtime_error("task 5");
    });
  } catch (const std::runtime_error& e) {
    thrown = std::string(e.what()) == "task 5";
  }
  CHECK(thrown) << "a task's exception must reach the caller";
  std::atomic<int> after{0};
  kdlts::parallel_for(8, 2, [&](int64_t) { after.fetch_add(1); });
  CHECK(after.load() == 8) << "the pool must be usable after an exception";
}
