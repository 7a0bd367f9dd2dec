// The training kernels of kdlts_nn.h other than matmul / conv2d (packages/native/src/nn.ts):
// nnConstants, pooling, batch norm, binary, unary, reduce, softmax, tile, transpose, the SGD
// update. Sync only, each returns undefined. Thin: argument checks (every buffer length against
// the shapes, a RangeError naming the argument) and the C call; no math.
//
// These run thousands of times per training step, mostly on small tensors, so the common path
// allocates nothing: shapes go into fixed arrays, and messages are only built on failure.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "args.hpp"
#include "kdlts_nn.h"
#include "ops.hpp"

namespace kdlts_node {

namespace {

constexpr int kMaxRank = 8;

void check(Napi::Env env, const char* fn, kdlts_status status) {
  if (status != KDLTS_OK) throw status_error(env, fn, status, kdlts_last_error());
}

// a * b, or a RangeError naming `what` when the count leaves int64.
int64_t times(Napi::Env env, const Where& where, const char* what, int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) {
    throw Napi::RangeError::New(env, where.arg(what) + ": the sizes overflow");
  }
  return r;
}

// The common paths below make as few N-API calls as possible (each costs tens of ns, and a
// small op runs in less than a microsecond); the args.hpp helpers then only produce the errors.

// A non-negative safe integer, else false (size_arg then throws the right error).
bool fast_size(napi_env env, napi_value v, int64_t* out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return false;
  if (!(d >= 0.0 && d <= 9007199254740991.0 && std::floor(d) == d)) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

// size_arg without its std::string argument on the common path.
int64_t size_value(const Where& where, const Napi::Value& v, const char* name) {
  int64_t n;
  return fast_size(v.Env(), v, &n) ? n : size_arg(where, v, name);
}

// A JS array of at most 8 sizes into out[]; returns its length.
int shape_value(const Where& where, const Napi::Value& v, const char* name, int64_t* out) {
  napi_env env = v.Env();
  uint32_t n;
  if (napi_get_array_length(env, v, &n) != napi_ok) {
    return static_cast<int>(size_list(where, v, name).size());  // throws the TypeError
  }
  if (n > kMaxRank) {
    throw Napi::RangeError::New(
        env, where.arg(name) + " has " + std::to_string(n) + " entries, at most 8 are supported");
  }
  for (uint32_t i = 0; i < n; ++i) {
    napi_value e;
    if (napi_get_element(env, v, i, &e) != napi_ok) throw Napi::Error::New(env);
    if (!fast_size(env, e, &out[i])) {
      out[i] =
          size_arg(where, Napi::Value(env, e), std::string(name) + "[" + std::to_string(i) + "]");
    }
  }
  return static_cast<int>(n);
}

// A Float32Array's data (offset to its first element) and length in one N-API call;
// float32_array throws the TypeError for anything else.
struct F32 {
  float* data;
  size_t length;
};
F32 f32(const Where& where, const Napi::Value& v, const char* name) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(v.Env(), v, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_float32_array) {
    float32_array(where, v, name);
  }
  return {static_cast<float*>(data), length};
}

int64_t product(Napi::Env env, const Where& where, const char* name, const int64_t* shape,
                int rank) {
  int64_t n = 1;
  for (int d = 0; d < rank; ++d) n = times(env, where, name, n, shape[d]);
  return n;
}

// A Float32Array of `expected` elements, or nullptr for null / undefined.
float* optional_f32(const Where& where, const Napi::Value& v, const char* name, size_t expected,
                    const char* why) {
  if (v.IsNull() || v.IsUndefined()) return nullptr;
  const F32 array = f32(where, v, name);
  require_length(v.Env(), where, name, array.length, expected, why);
  return array.data;
}

int32_t op_value(const Where& where, const Napi::Value& v) {
  const int64_t op = size_value(where, v, "op");  // out of range: the C call names it
  return static_cast<int32_t>(std::min<int64_t>(op, std::numeric_limits<int32_t>::max()));
}

Napi::Value nn_constants(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto group = [&](std::initializer_list<std::pair<const char*, int>> entries) {
    auto o = Napi::Object::New(env);
    for (const auto& [name, value] : entries) o.Set(name, Napi::Number::New(env, value));
    return o;
  };
  auto out = Napi::Object::New(env);
  out.Set("activation",
          group({{"linear", KDLTS_ACTIVATION_LINEAR}, {"relu", KDLTS_ACTIVATION_RELU}}));
  out.Set("binaryOp", group({{"add", KDLTS_BINARY_ADD},
                             {"sub", KDLTS_BINARY_SUB},
                             {"mul", KDLTS_BINARY_MUL},
                             {"div", KDLTS_BINARY_DIV},
                             {"squaredDifference", KDLTS_BINARY_SQUARED_DIFFERENCE},
                             {"maximum", KDLTS_BINARY_MAXIMUM},
                             {"minimum", KDLTS_BINARY_MINIMUM},
                             {"reluGrad", KDLTS_BINARY_RELU_GRAD}}));
  out.Set("unaryOp", group({{"relu", KDLTS_UNARY_RELU},
                            {"relu6", KDLTS_UNARY_RELU6},
                            {"step", KDLTS_UNARY_STEP},
                            {"neg", KDLTS_UNARY_NEG},
                            {"abs", KDLTS_UNARY_ABS},
                            {"square", KDLTS_UNARY_SQUARE},
                            {"sqrt", KDLTS_UNARY_SQRT},
                            {"rsqrt", KDLTS_UNARY_RSQRT},
                            {"exp", KDLTS_UNARY_EXP},
                            {"log", KDLTS_UNARY_LOG},
                            {"sigmoid", KDLTS_UNARY_SIGMOID},
                            {"tanh", KDLTS_UNARY_TANH},
                            {"reciprocal", KDLTS_UNARY_RECIPROCAL}}));
  out.Set("reduceOp", group({{"sum", KDLTS_REDUCE_SUM},
                             {"mean", KDLTS_REDUCE_MEAN},
                             {"max", KDLTS_REDUCE_MAX},
                             {"min", KDLTS_REDUCE_MIN}}));
  return out;
}

// ---- pooling ------------------------------------------------------------------------------------

kdlts_pool2d_params pool_geometry(const Where& where, const Napi::Value& v) {
  if (!v.IsObject())
    throw Napi::TypeError::New(v.Env(), where.arg("geometry") + " must be an object");
  const auto o = v.As<Napi::Object>();
  kdlts_pool2d_params p;
  p.batch = size_value(where, o.Get("batch"), "geometry.batch");
  p.in_height = size_value(where, o.Get("inHeight"), "geometry.inHeight");
  p.in_width = size_value(where, o.Get("inWidth"), "geometry.inWidth");
  p.channels = size_value(where, o.Get("channels"), "geometry.channels");
  p.out_height = size_value(where, o.Get("outHeight"), "geometry.outHeight");
  p.out_width = size_value(where, o.Get("outWidth"), "geometry.outWidth");
  p.filter_height = size_value(where, o.Get("filterHeight"), "geometry.filterHeight");
  p.filter_width = size_value(where, o.Get("filterWidth"), "geometry.filterWidth");
  p.stride_height = size_value(where, o.Get("strideHeight"), "geometry.strideHeight");
  p.stride_width = size_value(where, o.Get("strideWidth"), "geometry.strideWidth");
  p.pad_top = size_value(where, o.Get("padTop"), "geometry.padTop");
  p.pad_left = size_value(where, o.Get("padLeft"), "geometry.padLeft");
  return p;
}

struct PoolSizes {
  size_t in, out;
};
PoolSizes pool_sizes(Napi::Env env, const Where& where, const kdlts_pool2d_params& p) {
  const int64_t in[] = {p.batch, p.in_height, p.in_width, p.channels};
  const int64_t out[] = {p.batch, p.out_height, p.out_width, p.channels};
  return {static_cast<size_t>(product(env, where, "geometry", in, 4)),
          static_cast<size_t>(product(env, where, "geometry", out, 4))};
}

// maxPoolForward / avgPoolForward(x, y, geometry, exec?)
template <kdlts_status (*Fn)(const kdlts_exec*, const kdlts_pool2d_params*, const float*, float*)>
Napi::Value pool_forward(const Napi::CallbackInfo& info, const char* name) {
  const Where where{name};
  auto env = info.Env();
  const F32 x = f32(where, info[0], "x");
  const F32 y = f32(where, info[1], "y");
  const kdlts_pool2d_params p = pool_geometry(where, info[2]);
  const kdlts_exec exec = exec_arg(where, info[3]);
  const PoolSizes n = pool_sizes(env, where, p);
  require_length(env, where, "x", x.length, n.in, "batch * inHeight * inWidth * channels");
  require_length(env, where, "y", y.length, n.out, "batch * outHeight * outWidth * channels");
  check(env, name, Fn(&exec, &p, x.data, y.data));
  return env.Undefined();
}

Napi::Value max_pool_forward(const Napi::CallbackInfo& info) {
  return pool_forward<kdlts_max_pool2d_forward>(info, "maxPoolForward");
}
Napi::Value avg_pool_forward(const Napi::CallbackInfo& info) {
  return pool_forward<kdlts_avg_pool2d_forward>(info, "avgPoolForward");
}

// maxPoolBackward(x, dy, dx, geometry, exec?)
Napi::Value max_pool_backward(const Napi::CallbackInfo& info) {
  const Where where{"maxPoolBackward"};
  auto env = info.Env();
  const F32 x = f32(where, info[0], "x");
  const F32 dy = f32(where, info[1], "dy");
  const F32 dx = f32(where, info[2], "dx");
  const kdlts_pool2d_params p = pool_geometry(where, info[3]);
  const kdlts_exec exec = exec_arg(where, info[4]);
  const PoolSizes n = pool_sizes(env, where, p);
  require_length(env, where, "x", x.length, n.in, "batch * inHeight * inWidth * channels");
  require_length(env, where, "dy", dy.length, n.out, "batch * outHeight * outWidth * channels");
  require_length(env, where, "dx", dx.length, n.in, "batch * inHeight * inWidth * channels");
  check(env, where.fn, kdlts_max_pool2d_backward(&exec, &p, x.data, dy.data, dx.data));
  return env.Undefined();
}

// avgPoolBackward(dy, dx, geometry, exec?)
Napi::Value avg_pool_backward(const Napi::CallbackInfo& info) {
  const Where where{"avgPoolBackward"};
  auto env = info.Env();
  const F32 dy = f32(where, info[0], "dy");
  const F32 dx = f32(where, info[1], "dx");
  const kdlts_pool2d_params p = pool_geometry(where, info[2]);
  const kdlts_exec exec = exec_arg(where, info[3]);
  const PoolSizes n = pool_sizes(env, where, p);
  require_length(env, where, "dy", dy.length, n.out, "batch * outHeight * outWidth * channels");
  require_length(env, where, "dx", dx.length, n.in, "batch * inHeight * inWidth * channels");
  check(env, where.fn, kdlts_avg_pool2d_backward(&exec, &p, dy.data, dx.data));
  return env.Undefined();
}

// ---- batch norm ---------------------------------------------------------------------------------

// rows from x's length and `channels` (x must hold whole rows).
int64_t norm_rows(Napi::Env env, const Where& where, size_t x_length, int64_t channels) {
  if (channels == 0 ? x_length != 0 : x_length % static_cast<size_t>(channels) != 0) {
    throw Napi::RangeError::New(env,
                                where.arg("x") + " has length " + std::to_string(x_length) +
                                    ", not a multiple of channels = " + std::to_string(channels));
  }
  return channels == 0 ? 0 : static_cast<int64_t>(x_length) / channels;
}

// batchNorm(x, mean, variance, offset | null, scale | null, y, channels, eps, exec?)
Napi::Value batch_norm(const Napi::CallbackInfo& info) {
  const Where where{"batchNorm"};
  auto env = info.Env();
  const F32 x = f32(where, info[0], "x");
  const F32 mean = f32(where, info[1], "mean");
  const F32 variance = f32(where, info[2], "variance");
  const F32 y = f32(where, info[5], "y");
  const int64_t channels = size_value(where, info[6], "channels");
  const float eps = static_cast<float>(number_arg(where, info[7], "eps"));
  const kdlts_exec exec = exec_arg(where, info[8]);
  const int64_t rows = norm_rows(env, where, x.length, channels);
  const size_t c = static_cast<size_t>(channels);
  const float* offset = optional_f32(where, info[3], "offset", c, "channels");
  const float* scale = optional_f32(where, info[4], "scale", c, "channels");
  require_length(env, where, "mean", mean.length, c, "channels");
  require_length(env, where, "variance", variance.length, c, "channels");
  require_length(env, where, "y", y.length, x.length, "same length as x");
  check(env, where.fn,
        kdlts_batch_norm(&exec, rows, channels, x.data, mean.data, variance.data, offset, scale,
                         eps, y.data));
  return env.Undefined();
}

// batchNormTrainForward(x, offset | null, scale | null, y, meanOut, varianceOut, channels, eps,
// relu, exec?): relu = true fuses a ReLU after the normalisation.
Napi::Value batch_norm_train_forward(const Napi::CallbackInfo& info) {
  const Where where{"batchNormTrainForward"};
  auto env = info.Env();
  const F32 x = f32(where, info[0], "x");
  const F32 y = f32(where, info[3], "y");
  const F32 mean = f32(where, info[4], "meanOut");
  const F32 variance = f32(where, info[5], "varianceOut");
  const int64_t channels = size_value(where, info[6], "channels");
  const float eps = static_cast<float>(number_arg(where, info[7], "eps"));
  if (!info[8].IsBoolean()) throw Napi::TypeError::New(env, where.arg("relu") + " must be a boolean");
  const bool relu = info[8].As<Napi::Boolean>().Value();
  const kdlts_exec exec = exec_arg(where, info[9]);
  const int64_t rows = norm_rows(env, where, x.length, channels);
  const size_t c = static_cast<size_t>(channels);
  const float* offset = optional_f32(where, info[1], "offset", c, "channels");
  const float* scale = optional_f32(where, info[2], "scale", c, "channels");
  require_length(env, where, "y", y.length, x.length, "same length as x");
  require_length(env, where, "meanOut", mean.length, c, "channels");
  require_length(env, where, "varianceOut", variance.length, c, "channels");
  const auto forward = relu ? kdlts_batch_norm_relu_train_forward : kdlts_batch_norm_train_forward;
  check(env, where.fn,
        forward(&exec, rows, channels, x.data, offset, scale, eps, y.data, mean.data, variance.data));
  return env.Undefined();
}

// batchNormTrainBackward(x, dy, mean, variance, scale | null, dx, doffset | null, dscale | null,
//                        channels, eps, reluY | null, exec?): reluY = the fused ReLU forward's y.
Napi::Value batch_norm_train_backward(const Napi::CallbackInfo& info) {
  const Where where{"batchNormTrainBackward"};
  auto env = info.Env();
  const F32 x = f32(where, info[0], "x");
  const F32 dy = f32(where, info[1], "dy");
  const F32 mean = f32(where, info[2], "mean");
  const F32 variance = f32(where, info[3], "variance");
  const F32 dx = f32(where, info[5], "dx");
  const int64_t channels = size_value(where, info[8], "channels");
  const float eps = static_cast<float>(number_arg(where, info[9], "eps"));
  const kdlts_exec exec = exec_arg(where, info[11]);
  const int64_t rows = norm_rows(env, where, x.length, channels);
  const size_t c = static_cast<size_t>(channels);
  const float* scale = optional_f32(where, info[4], "scale", c, "channels");
  float* doffset = optional_f32(where, info[6], "doffset", c, "channels");
  float* dscale = optional_f32(where, info[7], "dscale", c, "channels");
  const float* relu_y = optional_f32(where, info[10], "reluY", x.length, "same length as x");
  require_length(env, where, "dy", dy.length, x.length, "same length as x");
  require_length(env, where, "mean", mean.length, c, "channels");
  require_length(env, where, "variance", variance.length, c, "channels");
  require_length(env, where, "dx", dx.length, x.length, "same length as x");
  check(env, where.fn,
        relu_y ? kdlts_batch_norm_relu_train_backward(&exec, rows, channels, x.data, relu_y, dy.data,
                                                      mean.data, variance.data, scale, eps, dx.data,
                                                      doffset, dscale)
               : kdlts_batch_norm_train_backward(&exec, rows, channels, x.data, dy.data, mean.data,
                                                 variance.data, scale, eps, dx.data, doffset,
                                                 dscale));
  return env.Undefined();
}

// ---- elementwise, reductions, softmax, tile, transpose ------------------------------------------

// binary(op, a, aShape, b, bShape, out, outShape, exec?)
Napi::Value binary(const Napi::CallbackInfo& info) {
  const Where where{"binary"};
  auto env = info.Env();
  const int32_t op = op_value(where, info[0]);
  const F32 a = f32(where, info[1], "a");
  const F32 b = f32(where, info[3], "b");
  const F32 out = f32(where, info[5], "out");
  int64_t a_shape[kMaxRank], b_shape[kMaxRank], out_shape[kMaxRank];
  const int rank = shape_value(where, info[6], "outShape", out_shape);
  if (shape_value(where, info[2], "aShape", a_shape) != rank ||
      shape_value(where, info[4], "bShape", b_shape) != rank) {
    throw Napi::RangeError::New(
        env, std::string(where.fn) +
                 ": arguments 'aShape', 'bShape' and 'outShape' must have the same rank");
  }
  const kdlts_exec exec = exec_arg(where, info[7]);
  const int64_t a_n = product(env, where, "aShape", a_shape, rank);
  const int64_t b_n = product(env, where, "bShape", b_shape, rank);
  const int64_t out_n = product(env, where, "outShape", out_shape, rank);
  require_length(env, where, "a", a.length, a_n, "the product of aShape");
  require_length(env, where, "b", b.length, b_n, "the product of bShape");
  require_length(env, where, "out", out.length, out_n, "the product of outShape");
  check(env, where.fn,
        kdlts_binary(&exec, op, rank, out_shape, a_shape, b_shape, a.data, b.data, out.data));
  return env.Undefined();
}

// unary(op, x, y, alpha, exec?)
Napi::Value unary(const Napi::CallbackInfo& info) {
  const Where where{"unary"};
  auto env = info.Env();
  const int32_t op = op_value(where, info[0]);
  const F32 x = f32(where, info[1], "x");
  const F32 y = f32(where, info[2], "y");
  const float alpha = static_cast<float>(number_arg(where, info[3], "alpha"));
  const kdlts_exec exec = exec_arg(where, info[4]);
  require_length(env, where, "y", y.length, x.length, "same length as x");
  const int64_t n = static_cast<int64_t>(x.length);
  check(env, where.fn, kdlts_unary(&exec, op, n, x.data, alpha, y.data));
  return env.Undefined();
}

// reduce(op, x, y, outer, size, inner, exec?)
Napi::Value reduce(const Napi::CallbackInfo& info) {
  const Where where{"reduce"};
  auto env = info.Env();
  const int32_t op = op_value(where, info[0]);
  const F32 x = f32(where, info[1], "x");
  const F32 y = f32(where, info[2], "y");
  const int64_t outer = size_value(where, info[3], "outer");
  const int64_t size = size_value(where, info[4], "size");
  const int64_t inner = size_value(where, info[5], "inner");
  const kdlts_exec exec = exec_arg(where, info[6]);
  const int64_t out_n = times(env, where, "y", outer, inner);
  const int64_t in_n = times(env, where, "x", out_n, size);
  require_length(env, where, "x", x.length, in_n, "outer * size * inner");
  require_length(env, where, "y", y.length, out_n, "outer * inner");
  check(env, where.fn, kdlts_reduce(&exec, op, outer, size, inner, x.data, y.data));
  return env.Undefined();
}

// softmax(x, y, rows, cols, exec?)
Napi::Value softmax(const Napi::CallbackInfo& info) {
  const Where where{"softmax"};
  auto env = info.Env();
  const F32 x = f32(where, info[0], "x");
  const F32 y = f32(where, info[1], "y");
  const int64_t rows = size_value(where, info[2], "rows");
  const int64_t cols = size_value(where, info[3], "cols");
  const kdlts_exec exec = exec_arg(where, info[4]);
  const int64_t n = times(env, where, "x", rows, cols);
  require_length(env, where, "x", x.length, n, "rows * cols");
  require_length(env, where, "y", y.length, n, "rows * cols");
  check(env, where.fn, kdlts_softmax(&exec, rows, cols, x.data, y.data));
  return env.Undefined();
}

// tile(x, inShape, reps, y, exec?)
Napi::Value tile(const Napi::CallbackInfo& info) {
  const Where where{"tile"};
  auto env = info.Env();
  const F32 x = f32(where, info[0], "x");
  int64_t in_shape[kMaxRank], reps[kMaxRank], out_shape[kMaxRank];
  const int rank = shape_value(where, info[1], "inShape", in_shape);
  if (shape_value(where, info[2], "reps", reps) != rank) {
    throw Napi::RangeError::New(env, where.arg("reps") + " must have as many entries as inShape");
  }
  const F32 y = f32(where, info[3], "y");
  const kdlts_exec exec = exec_arg(where, info[4]);
  for (int d = 0; d < rank; ++d) out_shape[d] = times(env, where, "reps", in_shape[d], reps[d]);
  const int64_t in_n = product(env, where, "inShape", in_shape, rank);
  const int64_t out_n = product(env, where, "reps", out_shape, rank);
  require_length(env, where, "x", x.length, in_n, "the product of inShape");
  require_length(env, where, "y", y.length, out_n, "the product of inShape * reps");
  check(env, where.fn, kdlts_tile(&exec, rank, in_shape, reps, x.data, y.data));
  return env.Undefined();
}

// transpose(x, inShape, perm, y, exec?)
Napi::Value transpose(const Napi::CallbackInfo& info) {
  const Where where{"transpose"};
  auto env = info.Env();
  const F32 x = f32(where, info[0], "x");
  int64_t in_shape[kMaxRank], perm64[kMaxRank];
  const int rank = shape_value(where, info[1], "inShape", in_shape);
  if (shape_value(where, info[2], "perm", perm64) != rank) {
    throw Napi::RangeError::New(env, where.arg("perm") + " must have as many entries as inShape");
  }
  const F32 y = f32(where, info[3], "y");
  const kdlts_exec exec = exec_arg(where, info[4]);
  int32_t perm[kMaxRank];  // out-of-range entries stay out of range for the C check
  for (int d = 0; d < rank; ++d)
    perm[d] = static_cast<int32_t>(std::min<int64_t>(perm64[d], kMaxRank));
  const size_t n = static_cast<size_t>(product(env, where, "inShape", in_shape, rank));
  require_length(env, where, "x", x.length, n, "the product of inShape");
  require_length(env, where, "y", y.length, n, "the product of inShape");
  check(env, where.fn, kdlts_transpose(&exec, rank, in_shape, perm, x.data, y.data));
  return env.Undefined();
}

// ---- optimizer updates ---------------------------------------------------------------------------

// sgdUpdate(w, g, v | null, mask | null, wOut, vOut | null, lr, momentum, weightDecay, nesterov,
// exec?): wOut may be w and vOut may be v (in place).
Napi::Value sgd_update(const Napi::CallbackInfo& info) {
  const Where where{"sgdUpdate"};
  auto env = info.Env();
  const F32 w = f32(where, info[0], "w");
  const F32 g = f32(where, info[1], "g");
  const F32 w_out = f32(where, info[4], "wOut");
  const float lr = static_cast<float>(number_arg(where, info[6], "lr"));
  const float momentum = static_cast<float>(number_arg(where, info[7], "momentum"));
  const float weight_decay = static_cast<float>(number_arg(where, info[8], "weightDecay"));
  if (!info[9].IsBoolean()) {
    throw Napi::TypeError::New(env, where.arg("nesterov") + " must be a boolean");
  }
  const bool nesterov = info[9].As<Napi::Boolean>().Value();
  const kdlts_exec exec = exec_arg(where, info[10]);
  const float* v = optional_f32(where, info[2], "v", w.length, "same length as w");
  const float* mask = optional_f32(where, info[3], "mask", w.length, "same length as w");
  float* v_out = optional_f32(where, info[5], "vOut", w.length, "same length as w");
  require_length(env, where, "g", g.length, w.length, "same length as w");
  require_length(env, where, "wOut", w_out.length, w.length, "same length as w");
  check(env, where.fn,
        kdlts_sgd_update(&exec, static_cast<int64_t>(w.length), w.data, g.data, v, mask, lr,
                         momentum, weight_decay, nesterov ? 1 : 0, w_out.data, v_out));
  return env.Undefined();
}

}  // namespace

void register_nn_ops(Napi::Env env, Napi::Object exports) {
  const std::pair<const char*, Napi::Value (*)(const Napi::CallbackInfo&)> functions[] = {
      {"nnConstants", nn_constants},
      {"maxPoolForward", max_pool_forward},
      {"maxPoolBackward", max_pool_backward},
      {"avgPoolForward", avg_pool_forward},
      {"avgPoolBackward", avg_pool_backward},
      {"batchNorm", batch_norm},
      {"batchNormTrainForward", batch_norm_train_forward},
      {"batchNormTrainBackward", batch_norm_train_backward},
      {"binary", binary},
      {"unary", unary},
      {"reduce", reduce},
      {"softmax", softmax},
      {"tile", tile},
      {"transpose", transpose},
      {"sgdUpdate", sgd_update},
  };
  for (const auto& [name, fn] : functions) exports.Set(name, Napi::Function::New(env, fn, name));
}

}  // namespace kdlts_node
