// The C API of the matrix-product and convolution training kernels (kdlts_nn.h): argument
// validation, empty-size short-cuts, and dispatch to the CPU kernels (cpu/nn/conv_ops.hpp).
// These ops run on the CPU only.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "api_util.hpp"
#include "cpu/nn/conv_ops.hpp"
#include "error.hpp"
#include "kdlts_nn.h"
#include "parallel.hpp"

namespace {

using kdlts::api::guarded;
using kdlts::api::require;
using kdlts::api::require_cpu;

std::string str(int64_t v) { return std::to_string(v); }

// The element count of a buffer (product of sizes, each >= 0); fails instead of overflowing.
int64_t elements(const char* op, const char* what, std::initializer_list<int64_t> sizes) {
  int64_t total = 1;
  for (int64_t s : sizes) {
    if (s == 0) return 0;
  }
  for (int64_t s : sizes) {
    require(!__builtin_mul_overflow(total, s, &total) && total <= (int64_t{1} << 60),
            std::string(op) + ": " + what + " has too many elements");
  }
  return total;
}

// A buffer with `count` > 0 elements must be given; empty buffers may be NULL.
void require_buffer(const char* op, const void* ptr, int64_t count, const char* name) {
  require(count == 0 || ptr != nullptr, std::string(op) + ": " + name + " is NULL");
}

// Outputs may not alias inputs (exact pointer equality: the common mistake).
void require_distinct(const char* op, const void* out, const char* out_name, const void* in,
                      const char* in_name) {
  require(in == nullptr || out != in,
          std::string(op) + ": " + out_name + " must not alias " + in_name);
}

void require_activation(const char* op, int32_t activation, const char* name) {
  require(activation == KDLTS_ACTIVATION_LINEAR || activation == KDLTS_ACTIVATION_RELU,
          std::string(op) + ": " + name + " must be KDLTS_ACTIVATION_LINEAR (0) or " +
              "KDLTS_ACTIVATION_RELU (1), got " + std::to_string(activation));
}

// Sizes >= 0, strides and dilations >= 1, pads >= 0, and an output no larger than the padded
// input allows: the last window must start before the end of the input (bottom/right padding is
// implied by out_height/out_width, so it may extend past it).
void validate_conv(const char* op, const kdlts_conv2d_params* p) {
  const std::string prefix = std::string(op) + ": params.";
  require(p != nullptr, std::string(op) + ": params is NULL");
  const std::pair<const char*, int64_t> sizes[] = {
      {"batch", p->batch},           {"in_height", p->in_height},
      {"in_width", p->in_width},     {"in_channels", p->in_channels},
      {"out_height", p->out_height}, {"out_width", p->out_width},
      {"out_channels", p->out_channels}, {"filter_height", p->filter_height},
      {"filter_width", p->filter_width}, {"pad_top", p->pad_top},
      {"pad_left", p->pad_left}};
  for (const auto& [name, value] : sizes)
    require(value >= 0, prefix + name + " must be >= 0, got " + str(value));
  const std::pair<const char*, int64_t> steps[] = {{"stride_height", p->stride_height},
                                                   {"stride_width", p->stride_width},
                                                   {"dilation_height", p->dilation_height},
                                                   {"dilation_width", p->dilation_width}};
  for (const auto& [name, value] : steps)
    require(value >= 1, prefix + name + " must be >= 1, got " + str(value));
  // Bound the geometry so that no index computed by the kernels can overflow.
  const int64_t limit = int64_t{1} << 31;
  for (const auto& [name, value] : sizes)
    require(value < limit, prefix + name + " is too large (" + str(value) + ")");
  for (const auto& [name, value] : steps)
    require(value < limit, prefix + name + " is too large (" + str(value) + ")");
  auto check_extent = [&](const char* out_name, int64_t out, const char* stride_name,
                          int64_t stride, const char* pad_name, int64_t pad, const char* in_name,
                          int64_t in) {
    if (out == 0) return;
    const int64_t last_start = (out - 1) * stride - pad;
    require(last_start < in, prefix + out_name + " = " + str(out) + " is too large: its last " +
                                 "window starts at " + str(last_start) + " (" + stride_name +
                                 " " + str(stride) + ", " + pad_name + " " + str(pad) +
                                 "), not before " + in_name + " " + str(in));
  };
  check_extent("out_height", p->out_height, "stride_height", p->stride_height, "pad_top",
               p->pad_top, "in_height", p->in_height);
  check_extent("out_width", p->out_width, "stride_width", p->stride_width, "pad_left",
               p->pad_left, "in_width", p->in_width);
}

struct ConvCounts {
  int64_t x, y, filter;
};

ConvCounts conv_counts(const char* op, const kdlts_conv2d_params& p) {
  return {elements(op, "x", {p.batch, p.in_height, p.in_width, p.in_channels}),
          elements(op, "y", {p.batch, p.out_height, p.out_width, p.out_channels}),
          elements(op, "filter", {p.filter_height, p.filter_width, p.in_channels, p.out_channels})};
}

}  // namespace

extern "C" {

kdlts_status kdlts_matmul(const kdlts_exec* exec, const kdlts_matmul_params* params,
                          const float* a, const float* b, const float* bias, float* c) {
  return guarded([&] {
    const char* op = "matmul";
    require(params != nullptr, "matmul: params is NULL");
    const kdlts_matmul_params& p = *params;
    const std::pair<const char*, int64_t> sizes[] = {
        {"batch_a", p.batch_a}, {"batch_b", p.batch_b}, {"m", p.m}, {"n", p.n}, {"k", p.k}};
    for (const auto& [name, value] : sizes)
      require(value >= 0, std::string("matmul: params.") + name + " must be >= 0, got " + str(value));
    require(p.trans_a == 0 || p.trans_a == 1,
            "matmul: params.trans_a must be 0 or 1, got " + std::to_string(p.trans_a));
    require(p.trans_b == 0 || p.trans_b == 1,
            "matmul: params.trans_b must be 0 or 1, got " + std::to_string(p.trans_b));
    require_activation(op, p.activation, "params.activation");
    // Broadcasting as in numpy and tfjs: equal batches, or one of them is 1.
    require(p.batch_a == p.batch_b || p.batch_a == 1 || p.batch_b == 1,
            "matmul: params.batch_a (" + str(p.batch_a) + ") and params.batch_b (" +
                str(p.batch_b) + ") must be equal or 1");
    const int64_t batch = p.batch_a == 1 ? p.batch_b : p.batch_a;
    const int64_t count_a = elements(op, "a", {p.batch_a, p.m, p.k});
    const int64_t count_b = elements(op, "b", {p.batch_b, p.k, p.n});
    const int64_t count_c = elements(op, "c", {batch, p.m, p.n});
    require_cpu(exec, op);
    if (count_c == 0) return;
    require_buffer(op, a, count_a, "a");
    require_buffer(op, b, count_b, "b");
    require_buffer(op, c, count_c, "c");
    require_distinct(op, c, "c", a, "a");
    require_distinct(op, c, "c", b, "b");
    require_distinct(op, c, "c", bias, "bias");
    kdlts::cpu::matmul(kdlts::resolve_threads(exec), p, a, b, bias, c);
  });
}

kdlts_status kdlts_conv2d_forward(const kdlts_exec* exec, const kdlts_conv2d_params* params,
                                  const float* x, const float* filter, const float* bias,
                                  int32_t activation, float* y) {
  return guarded([&] {
    const char* op = "conv2d_forward";
    validate_conv(op, params);
    require_activation(op, activation, "activation");
    const ConvCounts n = conv_counts(op, *params);
    require_cpu(exec, op);
    if (n.y == 0) return;
    require_buffer(op, x, n.x, "x");
    require_buffer(op, filter, n.filter, "filter");
    require_buffer(op, y, n.y, "y");
    require_distinct(op, y, "y", x, "x");
    require_distinct(op, y, "y", filter, "filter");
    require_distinct(op, y, "y", bias, "bias");
    kdlts::cpu::conv2d_forward(kdlts::resolve_threads(exec), *params, x, filter, bias,
                               activation == KDLTS_ACTIVATION_RELU, y);
  });
}

kdlts_status kdlts_conv2d_backward_input(const kdlts_exec* exec, const kdlts_conv2d_params* params,
                                         const float* dy, const float* filter, float* dx) {
  return guarded([&] {
    const char* op = "conv2d_backward_input";
    validate_conv(op, params);
    const ConvCounts n = conv_counts(op, *params);
    require_cpu(exec, op);
    if (n.x == 0) return;
    require_buffer(op, dy, n.y, "dy");
    require_buffer(op, filter, n.filter, "filter");
    require_buffer(op, dx, n.x, "dx");
    require_distinct(op, dx, "dx", dy, "dy");
    require_distinct(op, dx, "dx", filter, "filter");
    kdlts::cpu::conv2d_backward_input(kdlts::resolve_threads(exec), *params, dy, filter, dx);
  });
}

kdlts_status kdlts_conv2d_backward_filter(const kdlts_exec* exec,
                                          const kdlts_conv2d_params* params, const float* x,
                                          const float* dy, float* dfilter) {
  return guarded([&] {
    const char* op = "conv2d_backward_filter";
    validate_conv(op, params);
    const ConvCounts n = conv_counts(op, *params);
    require_cpu(exec, op);
    if (n.filter == 0) return;
    require_buffer(op, x, n.x, "x");
    require_buffer(op, dy, n.y, "dy");
    require_buffer(op, dfilter, n.filter, "dfilter");
    require_distinct(op, dfilter, "dfilter", x, "x");
    require_distinct(op, dfilter, "dfilter", dy, "dy");
    kdlts::cpu::conv2d_backward_filter(kdlts::resolve_threads(exec), *params, x, dy, dfilter);
  });
}

}  // extern "C"
