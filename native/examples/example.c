/* example.c — embedding the kdlts core from plain C.
 *
 * Runs each op once on a tiny input, checks the result by hand and prints it.
 * Build: it is built with the library (target kdlts_example) and run by ctest.
 *   cc example.c -Ipath/to/native/include -Lbuild -lkdlts -lstdc++ -lpthread [-lopenblas]
 */
#include <math.h>
#include <stdio.h>

#include "kdlts.h"

static int check(kdlts_status status, const char* what) {
  if (status != KDLTS_OK) {
    fprintf(stderr, "%s failed: %s: %s\n", what, kdlts_status_name(status), kdlts_last_error());
    return 1;
  }
  return 0;
}

int main(void) {
  const kdlts_exec exec = {KDLTS_BACKEND_AUTO, 0};
  int errors = 0;
  printf("kdlts %s, GEMM engine %s, CUDA %s (%d devices), %d CPU threads\n", kdlts_version(),
         kdlts_gemm_engine(), kdlts_cuda_compiled() ? "compiled" : "not compiled",
         (int)kdlts_cuda_device_count(), (int)kdlts_hardware_threads());

  /* 1. Gram matrices of two feature blocks (B = 2 rows, D = 3 and 2). */
  {
    const float f0[] = {3, 0, 4, 0, 2, 0}; /* rows (3,0,4) and (0,2,0): orthogonal */
    const float f1[] = {1, 1, 2, 2};        /* rows (1,1) and (2,2): parallel */
    const float* features[] = {f0, f1};
    const int64_t dims[] = {3, 2};
    const kdlts_gram_params params = {2, 2, dims, 1, 1e-12f};
    float grams[2 * 2 * 2];
    errors += check(kdlts_gram_forward(&exec, &params, features, grams), "kdlts_gram_forward");
    printf("gram: block 0 = [%.3f %.3f; %.3f %.3f], block 1 = [%.3f %.3f; %.3f %.3f]\n",
           grams[0], grams[1], grams[2], grams[3], grams[4], grams[5], grams[6], grams[7]);
    if (fabsf(grams[1]) > 1e-6f || fabsf(grams[5] - 1.0f) > 1e-6f) ++errors;
  }

  /* 2. Project scores onto {x in [0,1]^4 : sum x = 2}. */
  {
    const float y[] = {0.9f, 0.8f, 0.1f, 2.0f};
    const int64_t sizes[] = {4};
    const double budgets[] = {2.0};
    const kdlts_projection_params params = {1, sizes, budgets};
    float x[4];
    double lambda = 0.0;
    errors += check(kdlts_project_capped_simplex(&exec, &params, y, x, &lambda),
                    "kdlts_project_capped_simplex");
    printf("projection: x = [%.3f %.3f %.3f %.3f], lambda = %.3f, sum = %.3f\n", x[0], x[1], x[2],
           x[3], lambda, x[0] + x[1] + x[2] + x[3]);
    if (fabsf(x[0] + x[1] + x[2] + x[3] - 2.0f) > 1e-5f || x[3] != 1.0f) ++errors;
  }

  /* 3. Keep the 2 largest of 5 scores (a tie at 0.5: the lower index wins). */
  {
    const float scores[] = {0.5f, 0.1f, 0.9f, 0.5f, -1.0f};
    const int64_t sizes[] = {5};
    const int64_t k[] = {2};
    const kdlts_topk_params params = {1, sizes, k, KDLTS_MASK_U8};
    unsigned char mask[5];
    errors += check(kdlts_topk_mask(&exec, &params, scores, mask), "kdlts_topk_mask");
    printf("topk: mask = [%d %d %d %d %d]\n", mask[0], mask[1], mask[2], mask[3], mask[4]);
    if (!(mask[0] == 1 && mask[1] == 0 && mask[2] == 1 && mask[3] == 0 && mask[4] == 0)) ++errors;
  }

  /* 4. Errors are status codes with a message, never a crash. */
  {
    const float y[] = {0.0f, 1.0f};
    const int64_t sizes[] = {2};
    const double budgets[] = {3.0}; /* infeasible: k > n */
    const kdlts_projection_params params = {1, sizes, budgets};
    float x[2];
    const kdlts_status status = kdlts_project_capped_simplex(&exec, &params, y, x, NULL);
    printf("infeasible budget: %s: %s\n", kdlts_status_name(status), kdlts_last_error());
    if (status != KDLTS_ERR_INFEASIBLE) ++errors;
  }

  if (errors) {
    printf("%d errors\n", errors);
    return 1;
  }
  printf("all ops ok\n");
  return 0;
}
