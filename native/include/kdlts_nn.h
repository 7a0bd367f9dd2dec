/*
 * kdlts_nn.h — the training kernels of the kdlts native core (CPU).
 *
 * The kernels a training step spends its time in: GEMM with fused bias and activation,
 * 2-D convolutions (forward and both gradients), pooling, batch normalisation, elementwise ops
 * with broadcasting, reductions, softmax, tile and transpose, and the optimizer's SGD update.
 * They back the `kdlts` TensorFlow.js backend, so each one computes what the tfjs kernel of the
 * same name computes (same layouts, padding, tie and NaN rules); where tfjs rounds through
 * float64, results agree to a few float32 ulps.
 *
 * Conventions (as in kdlts.h): float32, row-major, caller-owned buffers, int64_t sizes, a status
 * code plus kdlts_last_error() on failure, exec = NULL for the defaults. Images are NHWC and
 * convolution filters HWIO ([filter_h, filter_w, in_channels, out_channels]), as in tfjs.
 * These kernels run on the CPU only (exec->backend CUDA -> KDLTS_ERR_BACKEND). Outputs are
 * bitwise identical for any thread count. Outputs may not alias inputs unless stated.
 */
#ifndef KDLTS_NN_H
#define KDLTS_NN_H

#include "kdlts.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kdlts_activation {
  KDLTS_ACTIVATION_LINEAR = 0,
  KDLTS_ACTIVATION_RELU = 1
} kdlts_activation;

/* ---- matrix products ------------------------------------------------------------------------ */

typedef struct kdlts_matmul_params {
  int64_t batch_a, batch_b; /* each 1 (broadcast) or the output batch max(batch_a, batch_b) */
  int64_t m, n, k;          /* C[b] is m x n; op(A[b]) is m x k, op(B[b]) is k x n */
  int32_t trans_a, trans_b; /* A[b] stored k x m / B[b] stored n x k when set */
  int32_t activation;       /* a kdlts_activation, applied after the bias */
} kdlts_matmul_params;

/* C[b] = act(op(A[b]) op(B[b]) + bias) for b < max(batch_a, batch_b). bias: NULL or length n
 * (added to every row). tfjs BatchMatMul / _FusedMatMul. */
kdlts_status kdlts_matmul(const kdlts_exec* exec, const kdlts_matmul_params* params,
                          const float* a, const float* b, const float* bias, float* c);

/* ---- 2-D convolution (NHWC input, HWIO filter) --------------------------------------------- */

typedef struct kdlts_conv2d_params {
  int64_t batch, in_height, in_width, in_channels;
  int64_t out_height, out_width, out_channels;
  int64_t filter_height, filter_width;
  int64_t stride_height, stride_width;     /* >= 1 */
  int64_t dilation_height, dilation_width; /* >= 1 */
  int64_t pad_top, pad_left;               /* >= 0; bottom/right padding is implied by out_* */
} kdlts_conv2d_params;

/* y[n, oh, ow, oc] = act(bias[oc] + sum_{fh, fw, ic} x[n, ih, iw, ic] * filter[fh, fw, ic, oc])
 * with ih = oh * stride_h - pad_top + fh * dilation_h (likewise iw); out-of-range x is 0.
 * bias: NULL or length out_channels. tfjs Conv2D / FusedConv2D. */
kdlts_status kdlts_conv2d_forward(const kdlts_exec* exec, const kdlts_conv2d_params* params,
                                  const float* x, const float* filter, const float* bias,
                                  int32_t activation, float* y);

/* dx = dL/dx of the (linear, bias-free) forward, given dy (N x OH x OW x OC). tfjs
 * Conv2DBackpropInput. */
kdlts_status kdlts_conv2d_backward_input(const kdlts_exec* exec, const kdlts_conv2d_params* params,
                                         const float* dy, const float* filter, float* dx);

/* dfilter = dL/dfilter (FH x FW x IC x OC) given x and dy. tfjs Conv2DBackpropFilter. */
kdlts_status kdlts_conv2d_backward_filter(const kdlts_exec* exec, const kdlts_conv2d_params* params,
                                          const float* x, const float* dy, float* dfilter);

/* ---- 2-D pooling (NHWC) --------------------------------------------------------------------- */

typedef struct kdlts_pool2d_params {
  int64_t batch, in_height, in_width, channels;
  int64_t out_height, out_width;
  int64_t filter_height, filter_width;
  int64_t stride_height, stride_width;
  int64_t pad_top, pad_left; /* padded positions are never part of a window's max or mean */
} kdlts_pool2d_params;

/* Max over each window's in-range elements; as in tfjs, a value wins only when strictly greater
 * than the best so far (from -Inf), so NaN never wins. tfjs MaxPool. */
kdlts_status kdlts_max_pool2d_forward(const kdlts_exec* exec, const kdlts_pool2d_params* params,
                                      const float* x, float* y);
/* Each dy goes to its window's first strict maximum in row-major order, or nowhere when the
 * window has none (tfjs MaxPoolGrad). */
kdlts_status kdlts_max_pool2d_backward(const kdlts_exec* exec, const kdlts_pool2d_params* params,
                                       const float* x, const float* dy, float* dx);
/* Mean over each window's in-range elements. tfjs AvgPool. */
kdlts_status kdlts_avg_pool2d_forward(const kdlts_exec* exec, const kdlts_pool2d_params* params,
                                      const float* x, float* y);
/* tfjs AvgPoolGrad (which divides by the full window size, padded positions included). */
kdlts_status kdlts_avg_pool2d_backward(const kdlts_exec* exec, const kdlts_pool2d_params* params,
                                       const float* dy, float* dx);

/* ---- batch normalisation (channels last: x is rows x channels) ------------------------------ */

/* y = offset + (x - mean) * scale / sqrt(variance + eps), per channel; offset/scale NULL mean 0/1.
 * mean, variance, offset, scale have length `channels`. tfjs FusedBatchNorm. y may alias x. */
kdlts_status kdlts_batch_norm(const kdlts_exec* exec, int64_t rows, int64_t channels,
                              const float* x, const float* mean, const float* variance,
                              const float* offset, const float* scale, float eps, float* y);

/* Training mode: batch mean and (biased) variance of each channel over the rows, then the
 * normalisation above. mean_out / variance_out (length channels) receive them. */
kdlts_status kdlts_batch_norm_train_forward(const kdlts_exec* exec, int64_t rows, int64_t channels,
                                            const float* x, const float* offset, const float* scale,
                                            float eps, float* y, float* mean_out,
                                            float* variance_out);

/* The gradient of the training-mode forward (batch statistics included) given dy and the saved
 * mean and variance: dx (rows x channels), doffset and dscale (length channels; either may be
 * NULL when not wanted). scale NULL means 1. */
kdlts_status kdlts_batch_norm_train_backward(const kdlts_exec* exec, int64_t rows, int64_t channels,
                                             const float* x, const float* dy, const float* mean,
                                             const float* variance, const float* scale, float eps,
                                             float* dx, float* doffset, float* dscale);

/* The same two with a ReLU fused after the normalisation: y = relu(batch norm of x), tfjs's
 * ReLU (NaN stays NaN). The backward takes that y and passes the gradient dy * step(y), exactly
 * tfjs's ReLU gradient, through the batch norm. Two passes each way instead of four. */
kdlts_status kdlts_batch_norm_relu_train_forward(const kdlts_exec* exec, int64_t rows,
                                                 int64_t channels, const float* x,
                                                 const float* offset, const float* scale, float eps,
                                                 float* y, float* mean_out, float* variance_out);
kdlts_status kdlts_batch_norm_relu_train_backward(const kdlts_exec* exec, int64_t rows,
                                                  int64_t channels, const float* x, const float* y,
                                                  const float* dy, const float* mean,
                                                  const float* variance, const float* scale,
                                                  float eps, float* dx, float* doffset,
                                                  float* dscale);

/* ---- elementwise ------------------------------------------------------------------------------ */

typedef enum kdlts_binary_op {
  KDLTS_BINARY_ADD = 0,
  KDLTS_BINARY_SUB = 1,
  KDLTS_BINARY_MUL = 2,
  KDLTS_BINARY_DIV = 3,
  KDLTS_BINARY_SQUARED_DIFFERENCE = 4, /* (a - b)^2 */
  KDLTS_BINARY_MAXIMUM = 5,            /* NaN if either is NaN (Math.max) */
  KDLTS_BINARY_MINIMUM = 6,
  KDLTS_BINARY_RELU_GRAD = 7           /* a * step(b), tfjs's ReLU gradient (a = dy, b = x) */
} kdlts_binary_op;

/* out = op(a, b) with numpy/tfjs broadcasting. a_shape and b_shape have `rank` entries (pad with
 * leading 1s), each equal to out_shape's entry or 1. out may alias a or b when that operand has
 * the output's shape. */
kdlts_status kdlts_binary(const kdlts_exec* exec, int32_t op, int32_t rank, const int64_t* out_shape,
                          const int64_t* a_shape, const int64_t* b_shape, const float* a,
                          const float* b, float* out);

typedef enum kdlts_unary_op {
  KDLTS_UNARY_RELU = 0,  /* max(x, 0), NaN stays NaN */
  KDLTS_UNARY_RELU6 = 1,
  KDLTS_UNARY_STEP = 2,  /* x > 0 ? 1 : alpha, NaN stays NaN */
  KDLTS_UNARY_NEG = 3,
  KDLTS_UNARY_ABS = 4,
  KDLTS_UNARY_SQUARE = 5,
  KDLTS_UNARY_SQRT = 6,
  KDLTS_UNARY_RSQRT = 7,
  KDLTS_UNARY_EXP = 8,
  KDLTS_UNARY_LOG = 9,
  KDLTS_UNARY_SIGMOID = 10,
  KDLTS_UNARY_TANH = 11,
  KDLTS_UNARY_RECIPROCAL = 12
} kdlts_unary_op;

/* y[i] = op(x[i]) for i < n; alpha is used by STEP only. y may alias x. */
kdlts_status kdlts_unary(const kdlts_exec* exec, int32_t op, int64_t n, const float* x, float alpha,
                         float* y);

/* ---- reductions ------------------------------------------------------------------------------- */

typedef enum kdlts_reduce_op {
  KDLTS_REDUCE_SUM = 0,  /* accumulated in float64, as tfjs does */
  KDLTS_REDUCE_MEAN = 1,
  KDLTS_REDUCE_MAX = 2,  /* NaN if any is NaN */
  KDLTS_REDUCE_MIN = 3
} kdlts_reduce_op;

/* x viewed as outer x size x inner: y[o, i] = op over r < size of x[o, r, i] (y is outer x inner).
 * size 0: SUM 0, MEAN NaN, MAX -Inf, MIN +Inf. */
kdlts_status kdlts_reduce(const kdlts_exec* exec, int32_t op, int64_t outer, int64_t size,
                          int64_t inner, const float* x, float* y);

/* ---- softmax, tile, transpose ----------------------------------------------------------------- */

/* Softmax of each row of a rows x cols matrix (max-subtracted). y may alias x. */
kdlts_status kdlts_softmax(const kdlts_exec* exec, int64_t rows, int64_t cols, const float* x, float* y);

/* y = x tiled reps[d] times along each axis d (y's shape is in_shape[d] * reps[d]). */
kdlts_status kdlts_tile(const kdlts_exec* exec, int32_t rank, const int64_t* in_shape,
                        const int64_t* reps, const float* x, float* y);

/* y = x with its axes permuted: y's axis d is x's axis perm[d]. */
kdlts_status kdlts_transpose(const kdlts_exec* exec, int32_t rank, const int64_t* in_shape,
                             const int32_t* perm, const float* x, float* y);

/* ---- optimizer updates ------------------------------------------------------------------------ */

/* One step of SGD with momentum (PyTorch's torch.optim.SGD) over n elements, with an optional
 * 0/1 mask (pruned weights stay 0), in one pass. Per element, every operation rounded to float
 * in this order (so bitwise what the same sequence of tfjs mul/add/sub ops gives):
 *   g1 = mask ? g * mask : g
 *   g2 = weight_decay > 0 ? g1 + w * weight_decay : g1
 *   momentum > 0:  v' = v * momentum + g2;  d = nesterov ? g2 + v' * momentum : v'
 *   momentum == 0: d = g2 (no velocity: v and v_out must be NULL)
 *   w' = mask ? (w - d * lr) * mask : w - d * lr
 * lr, momentum, weight_decay finite; momentum in [0, 1); weight_decay >= 0; nesterov (0 or 1)
 * needs momentum > 0. v and v_out are given exactly when momentum > 0; mask may be NULL.
 * w_out may alias w and v_out may alias v (exactly); no other output overlaps another buffer. */
kdlts_status kdlts_sgd_update(const kdlts_exec* exec, int64_t n, const float* w, const float* g,
                              const float* v, const float* mask, float lr, float momentum,
                              float weight_decay, int32_t nesterov, float* w_out, float* v_out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KDLTS_NN_H */
