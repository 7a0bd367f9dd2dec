// The CPU kernels behind kdlts_matmul and the kdlts_conv2d_* functions (kdlts_nn.h). Arguments
// arrive validated by api_conv.cpp (pointers, sizes, geometry); empty shapes are handled there
// too, except that the kernels also accept a zero reduction length (K = 0, no pixels).
// `threads` is the number of CPU threads to use (>= 1); results never depend on it.
#pragma once

#include <cstdint>

#include "kdlts_nn.h"

namespace kdlts::cpu {

// C[b] = act(op(A[b]) op(B[b]) + bias) for every output batch b (numpy broadcasting of 1s).
void matmul(int threads, const kdlts_matmul_params& params, const float* a, const float* b,
            const float* bias, float* c);

// y = act(conv2d(x, filter) + bias): NHWC x and y, HWIO filter; bias may be NULL.
void conv2d_forward(int threads, const kdlts_conv2d_params& params, const float* x,
                    const float* filter, const float* bias, bool relu, float* y);

// dx (N x H x W x IC) given dy (N x OH x OW x OC); every element of dx is written.
void conv2d_backward_input(int threads, const kdlts_conv2d_params& params, const float* dy,
                           const float* filter, float* dx);

// dfilter (FH x FW x IC x OC) given x and dy; every element is written.
void conv2d_backward_filter(int threads, const kdlts_conv2d_params& params, const float* x,
                            const float* dy, float* dfilter);

}  // namespace kdlts::cpu
