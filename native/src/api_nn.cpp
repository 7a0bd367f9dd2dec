// The C API of the training kernels in kdlts_nn.h other than matmul / conv2d (api_conv.cpp):
// argument validation (every message names the op and the argument), then the CPU kernel.
// These ops are CPU-only: exec->backend CUDA fails with KDLTS_ERR_BACKEND.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "api_args.hpp"
#include "api_util.hpp"
#include "cpu/nn/ops.hpp"
#include "kdlts_nn.h"
#include "parallel.hpp"

namespace {

using kdlts::api::arg;
using kdlts::api::at;
using kdlts::api::guarded;
using kdlts::api::product;
using kdlts::api::require_apart;
using kdlts::api::require_buffer;
using kdlts::api::require_cpu;
using kdlts::api::require_size;
using std::string;
using std::to_string;

constexpr int kMaxRank = 8;

// Pool geometry; returns the input and output element counts.
void validate_pool(const char* op, const kdlts_pool2d_params* p, int64_t* in_n, int64_t* out_n) {
  KDLTS_REQUIRE(p != nullptr, arg(op, "params") + " is NULL");
  const std::pair<const char*, int64_t> sizes[] = {
      {"batch", p->batch},       {"in_height", p->in_height},   {"in_width", p->in_width},
      {"channels", p->channels}, {"out_height", p->out_height}, {"out_width", p->out_width},
      {"pad_top", p->pad_top},   {"pad_left", p->pad_left}};
  for (const auto& [name, v] : sizes) {
    KDLTS_REQUIRE(v >= 0, arg(op, "params.") + name + " must be >= 0, got " + to_string(v));
  }
  const std::pair<const char*, int64_t> positive[] = {{"filter_height", p->filter_height},
                                                      {"filter_width", p->filter_width},
                                                      {"stride_height", p->stride_height},
                                                      {"stride_width", p->stride_width}};
  for (const auto& [name, v] : positive) {
    KDLTS_REQUIRE(v >= 1, arg(op, "params.") + name + " must be >= 1, got " + to_string(v));
  }
  // Window positions are int32 (as tfjs's); corners are out * stride.
  KDLTS_REQUIRE(product(op, p->filter_height, p->filter_width) <= std::numeric_limits<int32_t>::max(),
             arg(op, "params.filter_height * params.filter_width") + " must fit in 32 bits");
  product(op, p->out_height, p->stride_height);
  product(op, p->out_width, p->stride_width);
  *in_n = product(op, product(op, product(op, p->batch, p->in_height), p->in_width), p->channels);
  *out_n =
      product(op, product(op, product(op, p->batch, p->out_height), p->out_width), p->channels);
}

// Broadcast shapes: returns the element counts of out, a and b.
void validate_binary(int32_t op, int32_t rank, const int64_t* out_shape, const int64_t* a_shape,
                     const int64_t* b_shape, int64_t* out_n, int64_t* a_n, int64_t* b_n) {
  KDLTS_REQUIRE(op >= KDLTS_BINARY_ADD && op <= KDLTS_BINARY_RELU_GRAD,
             "binary: op " + to_string(op) + " is not a kdlts_binary_op");
  KDLTS_REQUIRE(rank >= 0 && rank <= kMaxRank,
             "binary: rank must be in [0, 8], got " + to_string(rank));
  KDLTS_REQUIRE(rank == 0 || out_shape != nullptr, "binary: out_shape is NULL");
  KDLTS_REQUIRE(rank == 0 || a_shape != nullptr, "binary: a_shape is NULL");
  KDLTS_REQUIRE(rank == 0 || b_shape != nullptr, "binary: b_shape is NULL");
  *out_n = *a_n = *b_n = 1;
  for (int d = 0; d < rank; ++d) {
    require_size("binary", "out_shape", out_shape[d], d);
    require_size("binary", "a_shape", a_shape[d], d);
    require_size("binary", "b_shape", b_shape[d], d);
    const auto out_d = [&] { return at("out_shape", d) + " = " + to_string(out_shape[d]); };
    KDLTS_REQUIRE(a_shape[d] == 1 || a_shape[d] == out_shape[d], arg("binary", "a_shape", d) + " = " +
                                                                  to_string(a_shape[d]) +
                                                                  " is neither 1 nor " + out_d());
    KDLTS_REQUIRE(b_shape[d] == 1 || b_shape[d] == out_shape[d], arg("binary", "b_shape", d) + " = " +
                                                                  to_string(b_shape[d]) +
                                                                  " is neither 1 nor " + out_d());
    KDLTS_REQUIRE(out_shape[d] == 1 || a_shape[d] == out_shape[d] || b_shape[d] == out_shape[d],
               "binary: " + out_d() + " but " + at("a_shape", d) + " and " + at("b_shape", d) +
                   " are both 1");
    *out_n = product("binary", *out_n, out_shape[d]);
    *a_n = product("binary", *a_n, a_shape[d]);
    *b_n = product("binary", *b_n, b_shape[d]);
  }
}

void require_eps(const char* op, float eps) {
  KDLTS_REQUIRE(std::isfinite(eps) && eps >= 0.0f,
             arg(op, "eps") + " must be finite and >= 0, got " + to_string(eps));
}

}  // namespace

extern "C" {

kdlts_status kdlts_max_pool2d_forward(const kdlts_exec* exec, const kdlts_pool2d_params* params,
                                      const float* x, float* y) {
  return guarded([&] {
    const char* op = "max_pool2d_forward";
    require_cpu(exec, op);
    int64_t in_n, out_n;
    validate_pool(op, params, &in_n, &out_n);
    if (out_n == 0) return;
    require_buffer(op, x, "x", in_n);
    require_buffer(op, y, "y", out_n);
    require_apart(op, y, out_n, "y", x, in_n, "x");
    kdlts::cpu::max_pool2d_forward(kdlts::resolve_threads(exec), *params, x, y);
  });
}

kdlts_status kdlts_max_pool2d_backward(const kdlts_exec* exec, const kdlts_pool2d_params* params,
                                       const float* x, const float* dy, float* dx) {
  return guarded([&] {
    const char* op = "max_pool2d_backward";
    require_cpu(exec, op);
    int64_t in_n, out_n;
    validate_pool(op, params, &in_n, &out_n);
    if (in_n == 0) return;
    require_buffer(op, x, "x", in_n);
    require_buffer(op, dy, "dy", out_n);
    require_buffer(op, dx, "dx", in_n);
    require_apart(op, dx, in_n, "dx", x, in_n, "x");
    require_apart(op, dx, in_n, "dx", dy, out_n, "dy");
    kdlts::cpu::max_pool2d_backward(kdlts::resolve_threads(exec), *params, x, dy, dx);
  });
}

kdlts_status kdlts_avg_pool2d_forward(const kdlts_exec* exec, const kdlts_pool2d_params* params,
                                      const float* x, float* y) {
  return guarded([&] {
    const char* op = "avg_pool2d_forward";
    require_cpu(exec, op);
    int64_t in_n, out_n;
    validate_pool(op, params, &in_n, &out_n);
    if (out_n == 0) return;
    require_buffer(op, x, "x", in_n);
    require_buffer(op, y, "y", out_n);
    require_apart(op, y, out_n, "y", x, in_n, "x");
    kdlts::cpu::avg_pool2d_forward(kdlts::resolve_threads(exec), *params, x, y);
  });
}

kdlts_status kdlts_avg_pool2d_backward(const kdlts_exec* exec, const kdlts_pool2d_params* params,
                                       const float* dy, float* dx) {
  return guarded([&] {
    const char* op = "avg_pool2d_backward";
    require_cpu(exec, op);
    int64_t in_n, out_n;
    validate_pool(op, params, &in_n, &out_n);
    if (in_n == 0) return;
    require_buffer(op, dy, "dy", out_n);
    require_buffer(op, dx, "dx", in_n);
    require_apart(op, dx, in_n, "dx", dy, out_n, "dy");
    kdlts::cpu::avg_pool2d_backward(kdlts::resolve_threads(exec), *params, dy, dx);
  });
}

kdlts_status kdlts_batch_norm(const kdlts_exec* exec, int64_t rows, int64_t channels,
                              const float* x, const float* mean, const float* variance,
                              const float* offset, const float* scale, float eps, float* y) {
  return guarded([&] {
    const char* op = "batch_norm";
    require_cpu(exec, op);
    require_size(op, "rows", rows);
    require_size(op, "channels", channels);
    require_eps(op, eps);
    const int64_t n = product(op, rows, channels);
    if (n == 0) return;
    require_buffer(op, x, "x", n);
    require_buffer(op, mean, "mean", channels);
    require_buffer(op, variance, "variance", channels);
    require_buffer(op, y, "y", n);
    require_apart(op, y, n, "y", x, n, "x", true);
    require_apart(op, y, n, "y", mean, channels, "mean");
    require_apart(op, y, n, "y", variance, channels, "variance");
    require_apart(op, y, n, "y", offset, channels, "offset");
    require_apart(op, y, n, "y", scale, channels, "scale");
    kdlts::cpu::batch_norm(kdlts::resolve_threads(exec), rows, channels, x, mean, variance, offset,
                           scale, eps, y);
  });
}

}  // extern "C"

namespace {

kdlts_status train_forward(const char* op, bool relu, const kdlts_exec* exec, int64_t rows,
                           int64_t channels, const float* x, const float* offset,
                           const float* scale, float eps, float* y, float* mean_out,
                           float* variance_out) {
  return guarded([&] {
    require_cpu(exec, op);
    require_size(op, "rows", rows);
    require_size(op, "channels", channels);
    require_eps(op, eps);
    const int64_t n = product(op, rows, channels);
    if (channels == 0) return;
    require_buffer(op, x, "x", n);
    require_buffer(op, y, "y", n);
    require_buffer(op, mean_out, "mean_out", channels);
    require_buffer(op, variance_out, "variance_out", channels);
    const std::pair<const float*, const char*> inputs[] = {
        {x, "x"}, {offset, "offset"}, {scale, "scale"}};
    for (const auto& [in, name] : inputs) {
      const int64_t in_n = in == x ? n : channels;
      require_apart(op, y, n, "y", in, in_n, name);
      require_apart(op, mean_out, channels, "mean_out", in, in_n, name);
      require_apart(op, variance_out, channels, "variance_out", in, in_n, name);
    }
    require_apart(op, mean_out, channels, "mean_out", y, n, "y");
    require_apart(op, variance_out, channels, "variance_out", y, n, "y");
    require_apart(op, variance_out, channels, "variance_out", mean_out, channels, "mean_out");
    kdlts::cpu::batch_norm_train_forward(kdlts::resolve_threads(exec), rows, channels, x, offset,
                                         scale, eps, y, mean_out, variance_out, relu);
  });
}

// relu_y: the fused forward's output (NULL without the ReLU).
kdlts_status train_backward(const char* op, bool relu, const kdlts_exec* exec, int64_t rows,
                            int64_t channels, const float* x, const float* relu_y,
                            const float* dy, const float* mean, const float* variance,
                            const float* scale, float eps, float* dx, float* doffset,
                            float* dscale) {
  return guarded([&] {
    require_cpu(exec, op);
    require_size(op, "rows", rows);
    require_size(op, "channels", channels);
    require_eps(op, eps);
    const int64_t n = product(op, rows, channels);
    if (channels == 0) return;
    require_buffer(op, x, "x", n);
    require_buffer(op, dy, "dy", n);
    if (relu) require_buffer(op, relu_y, "y", n);
    require_buffer(op, mean, "mean", channels);
    require_buffer(op, variance, "variance", channels);
    require_buffer(op, dx, "dx", n);
    const std::pair<const float*, const char*> inputs[] = {
        {x, "x"}, {dy, "dy"}, {mean, "mean"}, {variance, "variance"}, {scale, "scale"},
        {relu ? relu_y : nullptr, "y"}};
    for (const auto& [in, name] : inputs) {
      const int64_t in_n = (in == x || in == dy || (relu && in == relu_y)) ? n : channels;
      require_apart(op, dx, n, "dx", in, in_n, name);
      require_apart(op, doffset, channels, "doffset", in, in_n, name);
      require_apart(op, dscale, channels, "dscale", in, in_n, name);
    }
    require_apart(op, doffset, channels, "doffset", dx, n, "dx");
    require_apart(op, dscale, channels, "dscale", dx, n, "dx");
    require_apart(op, dscale, channels, "dscale", doffset, channels, "doffset");
    kdlts::cpu::batch_norm_train_backward(kdlts::resolve_threads(exec), rows, channels, x, dy, mean,
                                          variance, scale, eps, dx, doffset, dscale,
                                          relu ? relu_y : nullptr);
  });
}

}  // namespace

extern "C" {

kdlts_status kdlts_batch_norm_train_forward(const kdlts_exec* exec, int64_t rows, int64_t channels,
                                            const float* x, const float* offset, const float* scale,
                                            float eps, float* y, float* mean_out,
                                            float* variance_out) {
  return train_forward("batch_norm_train_forward", false, exec, rows, channels, x, offset, scale,
                       eps, y, mean_out, variance_out);
}

kdlts_status kdlts_batch_norm_train_backward(const kdlts_exec* exec, int64_t rows, int64_t channels,
                                             const float* x, const float* dy, const float* mean,
                                             const float* variance, const float* scale, float eps,
                                             float* dx, float* doffset, float* dscale) {
  return train_backward("batch_norm_train_backward", false, exec, rows, channels, x, nullptr, dy,
                        mean, variance, scale, eps, dx, doffset, dscale);
}

kdlts_status kdlts_batch_norm_relu_train_forward(const kdlts_exec* exec, int64_t rows,
                                                 int64_t channels, const float* x,
                                                 const float* offset, const float* scale, float eps,
                                                 float* y, float* mean_out, float* variance_out) {
  return train_forward("batch_norm_relu_train_forward", true, exec, rows, channels, x, offset,
                       scale, eps, y, mean_out, variance_out);
}

kdlts_status kdlts_batch_norm_relu_train_backward(const kdlts_exec* exec, int64_t rows,
                                                  int64_t channels, const float* x, const float* y,
                                                  const float* dy, const float* mean,
                                                  const float* variance, const float* scale,
                                                  float eps, float* dx, float* doffset,
                                                  float* dscale) {
  return train_backward("batch_norm_relu_train_backward", true, exec, rows, channels, x, y, dy,
                        mean, variance, scale, eps, dx, doffset, dscale);
}

kdlts_status kdlts_binary(const kdlts_exec* exec, int32_t op, int32_t rank,
                          const int64_t* out_shape, const int64_t* a_shape, const int64_t* b_shape,
                          const float* a, const float* b, float* out) {
  return guarded([&] {
    require_cpu(exec, "binary");
    int64_t out_n, a_n, b_n;
    validate_binary(op, rank, out_shape, a_shape, b_shape, &out_n, &a_n, &b_n);
    if (out_n == 0) return;
    require_buffer("binary", a, "a", a_n);
    require_buffer("binary", b, "b", b_n);
    require_buffer("binary", out, "out", out_n);
    // out may be a or b exactly when that operand has the output's shape (so the same size).
    require_apart("binary", out, out_n, "out", a, a_n, "a", true);
    require_apart("binary", out, out_n, "out", b, b_n, "b", true);
    kdlts::cpu::binary(kdlts::resolve_threads(exec), op, rank, out_shape, a_shape, b_shape, a, b,
                       out);
  });
}

kdlts_status kdlts_unary(const kdlts_exec* exec, int32_t op, int64_t n, const float* x, float alpha,
                         float* y) {
  return guarded([&] {
    require_cpu(exec, "unary");
    KDLTS_REQUIRE(op >= KDLTS_UNARY_RELU && op <= KDLTS_UNARY_RECIPROCAL,
               "unary: op " + to_string(op) + " is not a kdlts_unary_op");
    require_size("unary", "n", n);
    if (n == 0) return;
    require_buffer("unary", x, "x", n);
    require_buffer("unary", y, "y", n);
    require_apart("unary", y, n, "y", x, n, "x", true);
    kdlts::cpu::unary(kdlts::resolve_threads(exec), op, n, x, alpha, y);
  });
}

kdlts_status kdlts_reduce(const kdlts_exec* exec, int32_t op, int64_t outer, int64_t size,
                          int64_t inner, const float* x, float* y) {
  return guarded([&] {
    require_cpu(exec, "reduce");
    KDLTS_REQUIRE(op >= KDLTS_REDUCE_SUM && op <= KDLTS_REDUCE_MIN,
               "reduce: op " + to_string(op) + " is not a kdlts_reduce_op");
    require_size("reduce", "outer", outer);
    require_size("reduce", "size", size);
    require_size("reduce", "inner", inner);
    const int64_t out_n = product("reduce", outer, inner);
    const int64_t in_n = product("reduce", out_n, size);
    if (out_n == 0) return;
    require_buffer("reduce", x, "x", in_n);
    require_buffer("reduce", y, "y", out_n);
    require_apart("reduce", y, out_n, "y", x, in_n, "x");
    kdlts::cpu::reduce(kdlts::resolve_threads(exec), op, outer, size, inner, x, y);
  });
}

kdlts_status kdlts_softmax(const kdlts_exec* exec, int64_t rows, int64_t cols, const float* x,
                           float* y) {
  return guarded([&] {
    require_cpu(exec, "softmax");
    require_size("softmax", "rows", rows);
    require_size("softmax", "cols", cols);
    const int64_t n = product("softmax", rows, cols);
    if (n == 0) return;
    require_buffer("softmax", x, "x", n);
    require_buffer("softmax", y, "y", n);
    require_apart("softmax", y, n, "y", x, n, "x", true);
    kdlts::cpu::softmax(kdlts::resolve_threads(exec), rows, cols, x, y);
  });
}

kdlts_status kdlts_tile(const kdlts_exec* exec, int32_t rank, const int64_t* in_shape,
                        const int64_t* reps, const float* x, float* y) {
  return guarded([&] {
    require_cpu(exec, "tile");
    KDLTS_REQUIRE(rank >= 0 && rank <= kMaxRank,
               "tile: rank must be in [0, 8], got " + to_string(rank));
    KDLTS_REQUIRE(rank == 0 || in_shape != nullptr, "tile: in_shape is NULL");
    KDLTS_REQUIRE(rank == 0 || reps != nullptr, "tile: reps is NULL");
    int64_t in_n = 1, out_n = 1;
    for (int d = 0; d < rank; ++d) {
      require_size("tile", "in_shape", in_shape[d], d);
      require_size("tile", "reps", reps[d], d);
      in_n = product("tile", in_n, in_shape[d]);
      out_n = product("tile", out_n, product("tile", in_shape[d], reps[d]));
    }
    if (out_n == 0) return;
    require_buffer("tile", x, "x", in_n);
    require_buffer("tile", y, "y", out_n);
    require_apart("tile", y, out_n, "y", x, in_n, "x");
    kdlts::cpu::tile(kdlts::resolve_threads(exec), rank, in_shape, reps, x, y);
  });
}

kdlts_status kdlts_transpose(const kdlts_exec* exec, int32_t rank, const int64_t* in_shape,
                             const int32_t* perm, const float* x, float* y) {
  return guarded([&] {
    require_cpu(exec, "transpose");
    KDLTS_REQUIRE(rank >= 0 && rank <= kMaxRank,
               "transpose: rank must be in [0, 8], got " + to_string(rank));
    KDLTS_REQUIRE(rank == 0 || in_shape != nullptr, "transpose: in_shape is NULL");
    KDLTS_REQUIRE(rank == 0 || perm != nullptr, "transpose: perm is NULL");
    int64_t n = 1;
    int seen_at[kMaxRank];
    for (int d = 0; d < rank; ++d) seen_at[d] = -1;
    for (int d = 0; d < rank; ++d) {
      require_size("transpose", "in_shape", in_shape[d], d);
      n = product("transpose", n, in_shape[d]);
      const int32_t p = perm[d];
      KDLTS_REQUIRE(p >= 0 && p < rank, "transpose: " + at("perm", d) + " = " + to_string(p) +
                                         " is outside [0, " + to_string(rank) + ")");
      KDLTS_REQUIRE(seen_at[p] < 0, "transpose: perm is not a permutation: " + at("perm", d) + " = " +
                                     to_string(p) + " repeats perm[" + to_string(seen_at[p]) + "]");
      seen_at[p] = d;
    }
    if (n == 0) return;
    require_buffer("transpose", x, "x", n);
    require_buffer("transpose", y, "y", n);
    require_apart("transpose", y, n, "y", x, n, "x");
    kdlts::cpu::transpose(kdlts::resolve_threads(exec), rank, in_shape, perm, x, y);
  });
}

}  // extern "C"
