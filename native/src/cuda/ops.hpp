// The CUDA backend's ops: same contracts as cpu/ops.hpp, on host buffers (each op copies its
// inputs to the device, runs, and copies results back). Compiled only when CMake finds nvcc
// (KDLTS_HAVE_CUDA); api.cpp calls them only when device_count() > 0.
#pragma once

#include <cstdint>

#include "kdlts.h"

namespace kdlts::cuda {

// Usable devices; 0 when the driver or a device is missing. Never throws.
int device_count();

void gram_forward(const kdlts_gram_params& params, const float* const* features, float* grams);
void gram_backward(const kdlts_gram_params& params, const float* const* features,
                   const float* dgrams, float* const* dfeatures);

void project_capped_simplex(const kdlts_projection_params& params, const float* y, float* x,
                            double* thresholds);

void topk_mask(const kdlts_topk_params& params, const float* scores, void* mask);

}  // namespace kdlts::cuda
