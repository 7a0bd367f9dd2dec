// matmul and the conv2d kernels of kdlts_nn.h (packages/native/src/nn.ts):
//   matmul(a, b, bias | null, c, {batchA, batchB, m, n, k, transA, transB, activation}, exec?)
//   conv2dForward(x, filter, bias | null, y, geometry, activation, exec?)
//   conv2dBackwardInput(dy, filter, dx, geometry, exec?)
//   conv2dBackwardFilter(x, dy, dfilter, geometry, exec?)
// Sync only, each returns undefined. Thin: argument conversion, every buffer's length checked
// against the shapes (a RangeError naming the argument), the C call (its failure thrown as an
// Error with .code); no math. Values the C API validates (strides >= 1, activation, batch
// broadcasting) are left to it, so there is one source of truth for those messages.
#include <climits>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "args.hpp"
#include "kdlts_nn.h"
#include "ops.hpp"

namespace kdlts_node {

namespace {

void check(Napi::Env env, const char* fn, kdlts_status status) {
  if (status != KDLTS_OK) throw status_error(env, fn, status, kdlts_last_error());
}

// The product of sizes, or a RangeError naming `what` when it leaves int64.
int64_t count(Napi::Env env, const Where& where, const char* what,
              std::initializer_list<int64_t> sizes) {
  int64_t total = 1;
  for (int64_t s : sizes) {
    if (__builtin_mul_overflow(total, s, &total)) {
      throw Napi::RangeError::New(env, where.arg(what) + ": its size overflows");
    }
  }
  return total;
}

void require_count(Napi::Env env, const Where& where, const char* name,
                   const Napi::Float32Array& array, int64_t expected, const char* why) {
  require_length(env, where, name, array.ElementLength(), static_cast<size_t>(expected), why);
}

// null / undefined, or a Float32Array of `expected` elements.
const float* optional_vector(Napi::Env env, const Where& where, const Napi::Value& value,
                             const char* name, int64_t expected, const char* why) {
  if (value.IsNull() || value.IsUndefined()) return nullptr;
  const auto array = float32_array(where, value, name);
  require_count(env, where, name, array, expected, why);
  return array.Data();
}

Napi::Object object_arg(Napi::Env env, const Where& where, const Napi::Value& value,
                        const char* name) {
  if (!value.IsObject()) throw Napi::TypeError::New(env, where.arg(name) + " must be an object");
  return value.As<Napi::Object>();
}

bool bool_arg(Napi::Env env, const Where& where, const Napi::Value& value, const char* name) {
  if (!value.IsBoolean()) throw Napi::TypeError::New(env, where.arg(name) + " must be a boolean");
  return value.As<Napi::Boolean>().Value();
}

// An Activation value (a non-negative integer; the C call rejects unknown ones).
int32_t activation_arg(const Where& where, const Napi::Value& value, const char* name) {
  const int64_t v = size_arg(where, value, name);
  return v > INT32_MAX ? -1 : static_cast<int32_t>(v);
}

// The geometry object (all 15 fields required) -> kdlts_conv2d_params.
kdlts_conv2d_params geometry_arg(Napi::Env env, const Where& where, const Napi::Value& value) {
  const auto o = object_arg(env, where, value, "geometry");
  auto field = [&](const char* key) {
    return size_arg(where, o.Get(key), std::string("geometry.") + key);
  };
  kdlts_conv2d_params p{};
  p.batch = field("batch");
  p.in_height = field("inHeight");
  p.in_width = field("inWidth");
  p.in_channels = field("inChannels");
  p.out_height = field("outHeight");
  p.out_width = field("outWidth");
  p.out_channels = field("outChannels");
  p.filter_height = field("filterHeight");
  p.filter_width = field("filterWidth");
  p.stride_height = field("strideHeight");
  p.stride_width = field("strideWidth");
  p.dilation_height = field("dilationHeight");
  p.dilation_width = field("dilationWidth");
  p.pad_top = field("padTop");
  p.pad_left = field("padLeft");
  return p;
}

// Element counts of x, y (= dy) and the filter for a geometry.
struct ConvCounts {
  int64_t x, y, filter;
};

ConvCounts conv_counts(Napi::Env env, const Where& where, const kdlts_conv2d_params& p) {
  return {count(env, where, "geometry", {p.batch, p.in_height, p.in_width, p.in_channels}),
          count(env, where, "geometry", {p.batch, p.out_height, p.out_width, p.out_channels}),
          count(env, where, "geometry",
                {p.filter_height, p.filter_width, p.in_channels, p.out_channels})};
}

constexpr const char* kXShape = "batch * inHeight * inWidth * inChannels";
constexpr const char* kYShape = "batch * outHeight * outWidth * outChannels";
constexpr const char* kFilterShape = "filterHeight * filterWidth * inChannels * outChannels";

Napi::Value matmul(const Napi::CallbackInfo& info) {
  const Where where{"matmul"};
  auto env = info.Env();
  const auto a = float32_array(where, info[0], "a");
  const auto b = float32_array(where, info[1], "b");
  auto c = float32_array(where, info[3], "c");
  const auto o = object_arg(env, where, info[4], "params");
  kdlts_matmul_params p{};
  p.batch_a = size_arg(where, o.Get("batchA"), "params.batchA");
  p.batch_b = size_arg(where, o.Get("batchB"), "params.batchB");
  p.m = size_arg(where, o.Get("m"), "params.m");
  p.n = size_arg(where, o.Get("n"), "params.n");
  p.k = size_arg(where, o.Get("k"), "params.k");
  p.trans_a = bool_arg(env, where, o.Get("transA"), "params.transA") ? 1 : 0;
  p.trans_b = bool_arg(env, where, o.Get("transB"), "params.transB") ? 1 : 0;
  p.activation = activation_arg(where, o.Get("activation"), "params.activation");
  const kdlts_exec exec = exec_arg(where, info[5]);
  // The output batch as broadcast (incompatible batches are the C call's error to report).
  const int64_t batch = p.batch_a == 1 ? p.batch_b : p.batch_a;
  require_count(env, where, "a", a, count(env, where, "a", {p.batch_a, p.m, p.k}), "batchA * m * k");
  require_count(env, where, "b", b, count(env, where, "b", {p.batch_b, p.k, p.n}), "batchB * k * n");
  require_count(env, where, "c", c, count(env, where, "c", {batch, p.m, p.n}),
                "max(batchA, batchB) * m * n");
  const float* bias = optional_vector(env, where, info[2], "bias", p.n, "n");
  check(env, where.fn, kdlts_matmul(&exec, &p, a.Data(), b.Data(), bias, c.Data()));
  return env.Undefined();
}

Napi::Value conv2d_forward(const Napi::CallbackInfo& info) {
  const Where where{"conv2dForward"};
  auto env = info.Env();
  const auto x = float32_array(where, info[0], "x");
  const auto filter = float32_array(where, info[1], "filter");
  auto y = float32_array(where, info[3], "y");
  const kdlts_conv2d_params p = geometry_arg(env, where, info[4]);
  const int32_t activation = activation_arg(where, info[5], "activation");
  const kdlts_exec exec = exec_arg(where, info[6]);
  const ConvCounts n = conv_counts(env, where, p);
  require_count(env, where, "x", x, n.x, kXShape);
  require_count(env, where, "filter", filter, n.filter, kFilterShape);
  require_count(env, where, "y", y, n.y, kYShape);
  const float* bias = optional_vector(env, where, info[2], "bias", p.out_channels, "outChannels");
  check(env, where.fn,
        kdlts_conv2d_forward(&exec, &p, x.Data(), filter.Data(), bias, activation, y.Data()));
  return env.Undefined();
}

Napi::Value conv2d_backward_input(const Napi::CallbackInfo& info) {
  const Where where{"conv2dBackwardInput"};
  auto env = info.Env();
  const auto dy = float32_array(where, info[0], "dy");
  const auto filter = float32_array(where, info[1], "filter");
  auto dx = float32_array(where, info[2], "dx");
  const kdlts_conv2d_params p = geometry_arg(env, where, info[3]);
  const kdlts_exec exec = exec_arg(where, info[4]);
  const ConvCounts n = conv_counts(env, where, p);
  require_count(env, where, "dy", dy, n.y, kYShape);
  require_count(env, where, "filter", filter, n.filter, kFilterShape);
  require_count(env, where, "dx", dx, n.x, kXShape);
  check(env, where.fn, kdlts_conv2d_backward_input(&exec, &p, dy.Data(), filter.Data(), dx.Data()));
  return env.Undefined();
}

Napi::Value conv2d_backward_filter(const Napi::CallbackInfo& info) {
  const Where where{"conv2dBackwardFilter"};
  auto env = info.Env();
  const auto x = float32_array(where, info[0], "x");
  const auto dy = float32_array(where, info[1], "dy");
  auto dfilter = float32_array(where, info[2], "dfilter");
  const kdlts_conv2d_params p = geometry_arg(env, where, info[3]);
  const kdlts_exec exec = exec_arg(where, info[4]);
  const ConvCounts n = conv_counts(env, where, p);
  require_count(env, where, "x", x, n.x, kXShape);
  require_count(env, where, "dy", dy, n.y, kYShape);
  require_count(env, where, "dfilter", dfilter, n.filter, kFilterShape);
  check(env, where.fn,
        kdlts_conv2d_backward_filter(&exec, &p, x.Data(), dy.Data(), dfilter.Data()));
  return env.Undefined();
}

}  // namespace

void register_nn_conv(Napi::Env env, Napi::Object exports) {
  exports.Set("matmul", Napi::Function::New(env, matmul, "matmul"));
  exports.Set("conv2dForward", Napi::Function::New(env, conv2d_forward, "conv2dForward"));
  exports.Set("conv2dBackwardInput",
              Napi::Function::New(env, conv2d_backward_input, "conv2dBackwardInput"));
  exports.Set("conv2dBackwardFilter",
              Napi::Function::New(env, conv2d_backward_filter, "conv2dBackwardFilter"));
}

}  // namespace kdlts_node
