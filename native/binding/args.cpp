#include "args.hpp"

#include <cmath>
#include <memory>

namespace kdlts_node {

namespace {

const char* typed_array_name(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "typed array";
  }
}

std::string describe(const Napi::Value& value) {
  if (value.IsTypedArray()) return typed_array_name(value.As<Napi::TypedArray>().TypedArrayType());
  if (value.IsArray()) return "an array";
  if (value.IsUndefined()) return "undefined";
  if (value.IsNull()) return "null";
  if (value.IsNumber()) return "a number";
  if (value.IsString()) return "a string";
  if (value.IsBoolean()) return "a boolean";
  return "an object";
}

Napi::TypedArray typed_array(const Where& where, const Napi::Value& value, const std::string& name,
                             napi_typedarray_type expected) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != expected) {
    throw Napi::TypeError::New(value.Env(), where.arg(name) + " must be a " +
                                                typed_array_name(expected) + ", got " + describe(value));
  }
  return value.As<Napi::TypedArray>();
}

const char* status_code(kdlts_status status) {
  switch (status) {
    case KDLTS_OK: return "KDLTS_OK";
    case KDLTS_ERR_INVALID_ARGUMENT: return "KDLTS_ERR_INVALID_ARGUMENT";
    case KDLTS_ERR_NON_FINITE: return "KDLTS_ERR_NON_FINITE";
    case KDLTS_ERR_INFEASIBLE: return "KDLTS_ERR_INFEASIBLE";
    case KDLTS_ERR_OUT_OF_MEMORY: return "KDLTS_ERR_OUT_OF_MEMORY";
    case KDLTS_ERR_BACKEND: return "KDLTS_ERR_BACKEND";
    case KDLTS_ERR_INTERNAL: return "KDLTS_ERR_INTERNAL";
  }
  return "KDLTS_ERR_UNKNOWN";
}

// Runs the op on a libuv worker thread; the Promise settles on the JS thread.
class OpWorker : public Napi::AsyncWorker {
 public:
  OpWorker(Napi::Env env, const char* fn, std::function<kdlts_status()> work,
           const std::vector<Napi::Value>& keep_alive, Napi::Value result)
      : Napi::AsyncWorker(env, fn), fn_(fn), work_(std::move(work)), deferred_(Napi::Promise::Deferred::New(env)) {
    for (const auto& v : keep_alive) keep_alive_.push_back(Napi::Persistent(v));
    result_ = Napi::Persistent(result);
  }
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    status_ = work_();
    if (status_ != KDLTS_OK) message_ = kdlts_last_error();  // same thread as the call
  }
  void OnOK() override {
    if (status_ == KDLTS_OK) {
      deferred_.Resolve(result_.Value());
    } else {
      deferred_.Reject(status_error(Env(), fn_, status_, message_).Value());
    }
  }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  const char* fn_;
  std::function<kdlts_status()> work_;
  Napi::Promise::Deferred deferred_;
  std::vector<Napi::Reference<Napi::Value>> keep_alive_;
  Napi::Reference<Napi::Value> result_;
  kdlts_status status_ = KDLTS_OK;
  std::string message_;
};

}  // namespace

Napi::Float32Array float32_array(const Where& where, const Napi::Value& value, const std::string& name) {
  return typed_array(where, value, name, napi_float32_array).As<Napi::Float32Array>();
}

Napi::Float64Array float64_array(const Where& where, const Napi::Value& value, const std::string& name) {
  return typed_array(where, value, name, napi_float64_array).As<Napi::Float64Array>();
}

Napi::TypedArray mask_array(const Where& where, const Napi::Value& value, kdlts_mask_type* type) {
  if (value.IsTypedArray()) {
    const auto t = value.As<Napi::TypedArray>().TypedArrayType();
    if (t == napi_uint8_array || t == napi_float32_array) {
      *type = t == napi_uint8_array ? KDLTS_MASK_U8 : KDLTS_MASK_F32;
      return value.As<Napi::TypedArray>();
    }
  }
  throw Napi::TypeError::New(value.Env(), where.arg("mask") +
                                              " must be a Uint8Array or a Float32Array, got " +
                                              describe(value));
}

std::vector<Napi::Float32Array> float32_arrays(const Where& where, const Napi::Value& value,
                                               const std::string& name) {
  if (!value.IsArray()) {
    throw Napi::TypeError::New(value.Env(), where.arg(name) + " must be an array of Float32Arrays, got " +
                                                describe(value));
  }
  const auto array = value.As<Napi::Array>();
  std::vector<Napi::Float32Array> out;
  out.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    out.push_back(float32_array(where, array.Get(i), name + "[" + std::to_string(i) + "]"));
  }
  return out;
}

int64_t size_arg(const Where& where, const Napi::Value& value, const std::string& name) {
  if (!value.IsNumber()) {
    throw Napi::TypeError::New(value.Env(), where.arg(name) + " must be a number, got " + describe(value));
  }
  const double v = value.As<Napi::Number>().DoubleValue();
  if (!(v >= 0.0 && v <= 9007199254740991.0 && std::floor(v) == v)) {
    throw Napi::RangeError::New(value.Env(), where.arg(name) + " must be a non-negative integer, got " +
                                                 std::to_string(v));
  }
  return static_cast<int64_t>(v);
}

double number_arg(const Where& where, const Napi::Value& value, const std::string& name) {
  if (!value.IsNumber()) {
    throw Napi::TypeError::New(value.Env(), where.arg(name) + " must be a number, got " + describe(value));
  }
  const double v = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v)) {
    throw Napi::RangeError::New(value.Env(), where.arg(name) + " must be finite, got " + std::to_string(v));
  }
  return v;
}

std::vector<int64_t> size_list(const Where& where, const Napi::Value& value, const std::string& name) {
  if (!value.IsArray()) {
    throw Napi::TypeError::New(value.Env(), where.arg(name) + " must be an array of numbers, got " +
                                                describe(value));
  }
  const auto array = value.As<Napi::Array>();
  std::vector<int64_t> out(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    out[i] = size_arg(where, array.Get(i), name + "[" + std::to_string(i) + "]");
  }
  return out;
}

std::vector<double> number_list(const Where& where, const Napi::Value& value, const std::string& name) {
  if (!value.IsArray()) {
    throw Napi::TypeError::New(value.Env(), where.arg(name) + " must be an array of numbers, got " +
                                                describe(value));
  }
  const auto array = value.As<Napi::Array>();
  std::vector<double> out(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    out[i] = number_arg(where, array.Get(i), name + "[" + std::to_string(i) + "]");
  }
  return out;
}

kdlts_exec exec_arg(const Where& where, const Napi::Value& value) {
  kdlts_exec exec{KDLTS_BACKEND_AUTO, 0};
  if (value.IsUndefined() || value.IsNull()) return exec;
  if (!value.IsObject()) {
    throw Napi::TypeError::New(value.Env(), where.arg("exec") + " must be an object, got " + describe(value));
  }
  const auto object = value.As<Napi::Object>();
  const auto backend = object.Get("backend");
  if (!backend.IsUndefined()) {
    const std::string name = backend.IsString() ? backend.As<Napi::String>().Utf8Value() : "";
    if (name == "auto") exec.backend = KDLTS_BACKEND_AUTO;
    else if (name == "cpu") exec.backend = KDLTS_BACKEND_CPU;
    else if (name == "cuda") exec.backend = KDLTS_BACKEND_CUDA;
    else throw Napi::TypeError::New(value.Env(), where.arg("exec.backend") + " must be 'auto', 'cpu' or 'cuda'");
  }
  const auto threads = object.Get("numThreads");
  if (!threads.IsUndefined()) {
    const int64_t n = size_arg(where, threads, "exec.numThreads");
    if (n > 4096) throw Napi::RangeError::New(value.Env(), where.arg("exec.numThreads") + " must be <= 4096");
    exec.num_threads = static_cast<int32_t>(n);
  }
  return exec;
}

void require_length(Napi::Env env, const Where& where, const std::string& name, size_t actual,
                    size_t expected, const std::string& why) {
  if (actual != expected) {
    throw Napi::RangeError::New(env, where.arg(name) + " has length " + std::to_string(actual) +
                                         ", expected " + std::to_string(expected) + " (" + why + ")");
  }
}

Napi::Error status_error(Napi::Env env, const char* fn, kdlts_status status, const std::string& message) {
  auto error = Napi::Error::New(env, std::string(fn) + ": " + message);
  error.Set("code", Napi::String::New(env, status_code(status)));
  return error;
}

Napi::Value run_op(Napi::Env env, const char* fn, bool async, std::function<kdlts_status()> work,
                   const std::vector<Napi::Value>& keep_alive, Napi::Value result) {
  if (async) {
    auto* worker = new OpWorker(env, fn, std::move(work), keep_alive, result);  // deletes itself
    auto promise = worker->promise();
    worker->Queue();
    return promise;
  }
  const kdlts_status status = work();
  if (status != KDLTS_OK) throw status_error(env, fn, status, kdlts_last_error());
  return result;
}

}  // namespace kdlts_node
